"""IV. Collecting PI unrelated to the service (违反必要原则): items IV.1–IV.6."""

from __future__ import annotations

from appaudit.checker.model import Confidence, EvidenceRef, ItemResult, Verdict
from appaudit.checks.logic import (
    AUDITOR,
    BASELINE,
    DEVICE,
    POLICY,
    TRAFFIC,
    item,
    not_assessed,
    part_unavailable,
    review,
    usable,
)
from appaudit.checks.logic.dynamic import (
    PiFlow,
    device_of,
    disclosure_review,
    event_ref,
    fresh_runs,
    launch_segment,
    pi_flows,
    traffic_of,
)
from appaudit.evidence.device import (
    APP_EXIT,
    BACK,
    CONSENT_PROMPT,
    CONSENT_REFUSE,
    LAUNCH,
    MAIN_REACHED,
    PERMISSION_ANSWER,
    PERMISSION_PROMPT,
    SWIPE,
    TAP,
    DeviceRun,
    UiEvent,
)
from appaudit.evidence.model import EvidenceBundle, PermissionRequest
from appaudit.traffic.vendors import busiest_window

# IV.4: more PI-bearing requests than this to one destination, for one PI type, in any 60-second window
# is collection more frequent than a service needs (one every 6 s, sustained for a minute).
MAX_PI_REQUESTS_PER_MINUTE = 10
# IV.4: a capture shorter than this cannot show a per-minute rate.
MIN_CAPTURE_SECONDS = 60.0
# IV.6: this many system permission dialogs in one start-up burst is asking for many permissions at once.
BURST_PERMISSIONS = 2


def _dangerous(p: PermissionRequest) -> bool:
    return "dangerous" in (p.protection_level or "").split("|")


@item("IV.1")
def unrelated_permissions(bundle: EvidenceBundle) -> ItemResult:
    if bundle.manifest is None or not usable(bundle.part("manifest")):
        return part_unavailable("IV.1", bundle, "manifest", AUDITOR)
    if not usable(bundle.part("api_calls")):
        return part_unavailable("IV.1", bundle, "api_calls", AUDITOR)
    touched = {pi for call in bundle.api_calls for pi in call.pi_types}
    unused = [
        (i, p)
        for i, p in enumerate(bundle.manifest.permissions)
        if _dangerous(p) and p.pi_types and not touched.intersection(p.pi_types)
    ]
    if unused:
        return review(
            "IV.1",
            f"{len(unused)} dangerous permission(s) are requested but no code found reads the personal information "
            "they guard: possibly unnecessary. Check each against the app's service.",
            tuple(
                EvidenceRef("permission", f"manifest.permissions[{i}]", f"{p.name} ({', '.join(p.pi_types)})")
                for i, p in unused
            ),
            AUDITOR,
            TRAFFIC,
        )
    return not_assessed(
        "IV.1",
        "Every dangerous permission is matched by code reading its PI; whether each is related to the service is "
        "the auditor's judgement (app type).",
        AUDITOR,
        TRAFFIC,
    )


def _after(run: DeviceRun, ts: float, *kinds: str) -> list[tuple[int, UiEvent]]:
    """Events of ``kinds`` after ``ts`` and before the next launch by the driver."""
    out: list[tuple[int, UiEvent]] = []
    for i, e in enumerate(run.events):
        if e.ts <= ts:
            continue
        if e.kind == LAUNCH:
            break
        if e.kind in kinds:
            out.append((i, e))
    return out


def _refusal_outcomes(bundle: EvidenceBundle) -> tuple[list[EvidenceRef], list[EvidenceRef], list[EvidenceRef]]:
    """(refused-and-exited, refused-and-looped, refused-and-continued) across refuse runs and permission denials."""
    exited, looped, continued = [], [], []
    device = device_of(bundle)
    for ri, run in enumerate(device.runs) if device else ():
        refusals = [(i, e) for i, e in run.events_of(CONSENT_REFUSE)]
        denials = [(i, e) for i, e in run.events_of(PERMISSION_ANSWER) if e.detail == "deny"]
        for ei, e in [*refusals[:1], *denials]:
            what = "the privacy policy was refused" if e.kind == CONSENT_REFUSE else "a permission was denied"
            again = CONSENT_PROMPT if e.kind == CONSENT_REFUSE else PERMISSION_PROMPT
            exit_ = _after(run, e.ts, APP_EXIT)
            main = _after(run, e.ts, MAIN_REACHED)
            if exit_:
                exited.append(event_ref(ri, run, ei, e))
                exited.append(event_ref(ri, run, exit_[0][0], run.events[exit_[0][0]]))
            elif main:
                continued.append(event_ref(ri, run, main[0][0], run.events[main[0][0]]))
            elif len(_after(run, e.ts, again)) >= 2:
                looped.append(event_ref(ri, run, ei, e))
                looped.append(EvidenceRef("ui_event", f"device.runs[{ri}]", f"{run.id}: {what}, then asked again"))
    return exited, looped, continued


@item("IV.2")
def refuses_service(bundle: EvidenceBundle) -> ItemResult:
    device = device_of(bundle)
    if device is None:
        return not_assessed("IV.2", "Refusing service when a permission is denied is seen on a device.", DEVICE)
    exited, looped, continued = _refusal_outcomes(bundle)
    if exited or looped:
        return ItemResult(
            "IV.2",
            Verdict.VIOLATION,
            Confidence.HIGH if exited else Confidence.MEDIUM,
            "When the user declined, the app "
            + ("closed itself" if exited else "kept asking and never let the user in")
            + " instead of offering the functions that do not need the declined information. Confirm the declined "
            "item is not essential to the app's basic function.",
            (*exited, *looped),
            needs=(AUDITOR,),
        )
    if continued:
        return ItemResult(
            "IV.2",
            Verdict.PASS,
            Confidence.MEDIUM,
            "After the user declined (consent or a permission), the app still reached its main interface.",
            tuple(continued),
        )
    return ItemResult(
        "IV.2",
        Verdict.INCONCLUSIVE,
        Confidence.LOW,
        "No refusal or permission denial with a visible outcome was recorded in the device runs.",
        tuple(EvidenceRef("device_run", f"device.runs[{i}]", f"{r.id} ({r.kind})") for i, r in enumerate(device.runs)),
        needs=("device run that refuses consent and denies a non-essential permission",),
    )


@item("IV.3")
def new_features(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("IV.3", "New features demanding wider consent is judged across versions.", BASELINE, AUDITOR)


def _peak_rate(flows: list[PiFlow]) -> tuple[int, list[PiFlow]]:
    """The most flows inside any 60-second window, and those flows."""
    busiest = busiest_window(flows, lambda p: p.flow.ts)
    return len(busiest), busiest


@item("IV.4")
def frequency(bundle: EvidenceBundle) -> ItemResult:
    traffic = traffic_of(bundle)
    if traffic is None:
        return not_assessed("IV.4", "Collection frequency is measured from captured traffic.", TRAFFIC)
    # One stream per destination, PI type and app launch (see launch_segment).
    streams: dict[tuple[str, str, tuple[int, int] | None], list[PiFlow]] = {}
    for p in pi_flows(bundle, traffic):
        segment = launch_segment(bundle, p.flow.ts)
        for t in p.pi_types:
            streams.setdefault((p.flow.destination.registrable_domain, t, segment), []).append(p)
    peaks = sorted(((*_peak_rate(fl), key[:2]) for key, fl in streams.items()), key=lambda x: -x[0])
    limit = MAX_PI_REQUESTS_PER_MINUTE
    too_frequent = [(n, fl, key) for n, fl, key in peaks if n > limit]
    if too_frequent:
        n, fl, (domain, pi) = too_frequent[0]
        refs = [
            EvidenceRef("pi_stream", f"traffic:{d}:{t}", f"{t} to {d}: {c} request(s) in 60 s")
            for c, _f, (d, t) in too_frequent
        ]
        refs += [r for p in fl[:5] for r in p.refs()[:1]]
        return ItemResult(
            "IV.4",
            Verdict.VIOLATION,
            Confidence.MEDIUM,
            f"{pi} was sent to {domain} {n} times within one minute of one app launch (threshold: more than "
            f"{limit} per minute); "
            f"{len(too_frequent)} destination/PI stream(s) exceed it. Traffic shows how often PI is sent, "
            "which bounds how often it is collected from below.",
            tuple(refs),
        )
    span = traffic.capture.ended - traffic.capture.started
    if span < MIN_CAPTURE_SECONDS or not traffic.trustworthy_absence:
        why = (
            f"the capture lasted {span:.0f} s (at least {MIN_CAPTURE_SECONDS:.0f} s needed)"
            if span < MIN_CAPTURE_SECONDS
            else "part of the traffic was unobservable or interception was not verified"
        )
        return ItemResult(
            "IV.4",
            Verdict.INCONCLUSIVE,
            Confidence.LOW,
            f"No PI stream exceeded {limit} requests per minute, but {why}.",
            (EvidenceRef("capture", "traffic.capture", f"{span:.0f} s captured"),),
            needs=(f"a longer {TRAFFIC} with interception verified",),
        )
    peak = (
        f"the busiest stream is {peaks[0][2][1]} to {peaks[0][2][0]} at {peaks[0][0]} per minute"
        if peaks
        else "no PI was sent"
    )
    return ItemResult(
        "IV.4",
        Verdict.PASS,
        Confidence.MEDIUM,
        f"Over {span:.0f} s of captured traffic, no PI stream exceeded {limit} requests per minute ({peak}).",
        (EvidenceRef("capture", "traffic.capture", f"{span:.0f} s captured, interception verified"),),
    )


@item("IV.5")
def forced_for_improvement(bundle: EvidenceBundle) -> ItemResult:
    reviewed = disclosure_review(
        "IV.5",
        bundle,
        "improvement_purpose",
        "The privacy policy justifies collection by service improvement, user experience, personalised push or "
        "R&D (quoted); check that consent to these purposes is not a condition of using the app.",
        "The privacy policy states no collection for service improvement, user experience, personalised push or "
        "R&D that appaudit recognised; check the consent dialog for such mandatory purposes.",
        DEVICE,
    )
    if reviewed is not None:
        return reviewed
    return not_assessed(
        "IV.5", "Consent forced for improvement, UX, push or R&D is judged from the consent dialog.", POLICY, DEVICE
    )


def _startup_burst(run: DeviceRun) -> list[tuple[int, UiEvent]]:
    """Permission dialogs shown after the launch and before the user's first own action (tap, swipe, back).

    Answering a dialog or the consent prompt is not an own action: dialogs that follow one another that
    way were asked for by the app, not by a feature the user chose.
    """
    burst: list[tuple[int, UiEvent]] = []
    for i, e in enumerate(run.events):
        if e.kind in (TAP, SWIPE, BACK) or (e.kind == LAUNCH and burst):
            break
        if e.kind == PERMISSION_PROMPT:
            burst.append((i, e))
    return burst


@item("IV.6")
def bundled_permissions(bundle: EvidenceBundle) -> ItemResult:
    runs = fresh_runs(bundle)
    if not runs:
        return not_assessed("IV.6", "A burst of permission dialogs at start-up is seen on a device.", DEVICE)
    bursts = [(ri, run, _startup_burst(run)) for ri, run in runs]
    worst = max(bursts, key=lambda b: len(b[2]))
    ri, run, burst = worst
    if len(burst) >= BURST_PERMISSIONS:
        asked = [e.detail or (run.screen(e.screen).permissions if run.screen(e.screen) else "") for _, e in burst]
        return ItemResult(
            "IV.6",
            Verdict.VIOLATION,
            Confidence.HIGH if len(burst) > BURST_PERMISSIONS else Confidence.MEDIUM,
            f"At start-up the app asked for {len(burst)} permissions in a row before the user used any function "
            f"({', '.join(str(a) for a in asked)}).",
            tuple(event_ref(ri, run, i, e) for i, e in burst),
        )
    return ItemResult(
        "IV.6",
        Verdict.PASS,
        Confidence.MEDIUM,
        f"No fresh run showed {BURST_PERMISSIONS} or more permission dialogs in a row at start-up "
        f"(the largest start-up burst had {len(burst)}).",
        tuple(
            EvidenceRef("device_run", f"device.runs[{i}]", f"{r.id}: {len(b)} start-up dialog(s)") for i, r, b in bursts
        ),
    )
