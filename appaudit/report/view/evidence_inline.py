"""A verdict's evidence references, resolved into what a person reads inline under the item.

A check cites evidence by a path into evidence.json (``traffic.pi_matches[3]``,
``device.runs[0].policy_search``, ``policy.documents[0].sentences[12]``). Here each path is followed
into the bundle and turned into an :class:`InlineEvidence`: a call chain, a request with the personal
information it carried highlighted in its decoded text, the click path to the privacy policy screen by
screen (a wireframe from each UI dump, the screenshot embedded), a policy sentence quoted, an auditor's
note marked as human. A reference that cannot be followed (an unknown form, an index out of range, a
part that is missing) becomes a ``plain`` entry with the reference and the check's own description:
a report is never lost to an odd evidence file.

Evidence values (URLs, labels, policy text) are shown as recorded, never translated; every label
around them goes through :func:`~appaudit.report.i18n.tr`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from appaudit.checker.model import EvidenceRef
from appaudit.evidence.device import (
    APP_EXIT,
    BACKGROUND,
    CONSENT_AGREE,
    CONSENT_PROMPT,
    CONSENT_REFUSE,
    LAUNCH,
    MAIN_REACHED,
    PERMISSION_ANSWER,
    PERMISSION_PROMPT,
    SCREEN,
    SWIPE,
    TAP,
    DeviceRun,
    PolicySearch,
    Screen,
    UiEvent,
)
from appaudit.evidence.model import EvidenceBundle, PartStatus, StartupFinding, TextHint
from appaudit.evidence.timeline import Phase, place
from appaudit.evidence.traffic import Destination, Flow, PiMatch
from appaudit.knowledge.pi_types import load_pi_taxonomy
from appaudit.report.i18n import pick, tr
from appaudit.report.view.cells import capped, clip, human_size, na
from appaudit.report.view.device import operations_css
from appaudit.report.view.images import embed_image, locate_artifact, read_artifact
from appaudit.report.view.model import Badge, Cell, Fact, Highlight, InlineEvidence, UiStep
from appaudit.report.view.sdks import usage_label
from appaudit.report.view.smali import java_class, shorten_ref
from appaudit.report.view.startup import entry_kind_label, finding_kind_label
from appaudit.report.view.wireframe import selector_label, wireframe_figure
from appaudit.traffic.pi.limits import EXCERPT_CHARS

DEFAULT_LIMIT = 6
MAX_MATCH_FACTS = 6  # PI matches listed under one flow
MAX_RUN_STEPS = 8  # key events of a run drawn screen by screen
URL_CHARS = 160
TEXT_CHARS = 400
QUOTE_CHARS = 2000  # a policy sentence longer than this is not a sentence the splitter meant

# ------------------------------------------------------------------ labels (message ids, translated on use)

PARTY = {"first_party": "first party", "sdk": "SDK vendor", "third_party": "unknown third party"}
PARTY_CSS = {"first_party": "b-muted", "sdk": "b-warn", "third_party": "b-bad"}
PHASE = {
    Phase.BEFORE_CONSENT: ("before consent", "b-bad"),
    Phase.AMBIGUOUS: ("between the consent tap and the next screen", "b-warn"),
    Phase.AFTER_CONSENT: ("after consent", "b-ok"),
    Phase.AFTER_REFUSAL: ("after refusal", "b-bad"),
    Phase.UNKNOWN: ("outside a fresh run", "b-muted"),
}
SCREEN_KIND = {
    "consent_prompt": "consent prompt",
    "permission_dialog": "permission dialog",
    "policy": "policy page",
    "main": "main interface",
    "other": "screen",
}
EVENT_KIND = {
    "run_start": "run started",
    "run_end": "run ended",
    LAUNCH: "app launched",
    SCREEN: "new screen",
    TAP: "tap",
    SWIPE: "swipe",
    "back": "back",
    CONSENT_PROMPT: "consent prompt shown",
    CONSENT_AGREE: "agree tapped",
    CONSENT_REFUSE: "refuse tapped",
    PERMISSION_PROMPT: "permission dialog shown",
    PERMISSION_ANSWER: "permission answered",
    MAIN_REACHED: "main interface reached",
    APP_EXIT: "the app left the foreground by itself",
    BACKGROUND: "the app was sent to the background",
    "foreground": "the app came back to the foreground",
}
# Events that carry the label of what was tapped (the wireframe marks it).
TAP_EVENTS = frozenset({TAP, CONSENT_AGREE, CONSENT_REFUSE})
# The events a run is summarised by, screen by screen.
RUN_KEY_EVENTS = frozenset(
    {CONSENT_PROMPT, CONSENT_AGREE, CONSENT_REFUSE, PERMISSION_PROMPT, PERMISSION_ANSWER, MAIN_REACHED, APP_EXIT}
)
UNOBSERVABLE_REASON = {
    "tls_failed": "TLS handshake failed: the CA is not trusted or the certificate is pinned",
    "no_request_after_tls": "no request after the TLS handshake: pinned after the handshake",
}
DETECTOR = {"profile": "a known value of this device", "pattern": "looks like one (pattern)"}
PART_STATUS = {
    "ok": ("collected", "b-ok"),
    "partial": ("partly collected", "b-warn"),
    "failed": ("collection failed", "b-bad"),
    "skipped": ("not collected (skipped)", "b-muted"),
}
HINT_LISTS = {
    "urls": "Policy URL found in the APK",
    "policy_strings": "Policy text found in the APK",
    "consent_strings": "Consent text found in the APK",
}
# The PI detector writes a note instead of a window of the decoded text for these matches.
_NOTE_VALUE_NAMES = ("package_list", "coordinates")
_PROFILE_LOCATION_NOTE = re.compile(r"^(\S+) with \S+ at .+$", re.S)
_PATTERN_COORDINATE_NOTE = re.compile(r"^([^=\s]+=)(\S+) with .+$", re.S)
_INDEX = re.compile(r"\[(\d+)\]")


# ------------------------------------------------------------------ entry points


def resolve(bundle: EvidenceBundle, ref: EvidenceRef, artifacts: Path | None, *, id_prefix: str = "") -> InlineEvidence:
    """``ref`` followed into ``bundle``; a ``plain`` entry when it cannot be followed.

    ``artifacts`` is the report's output directory: UI dumps and screenshots named in the evidence are
    read from under it (``runs/…``), never from outside it. None: nothing is read or embedded, and each
    screen says so. ``id_prefix`` keeps the ids of the wireframe figures unique in the page (the same
    reference may be cited by several items): pass the item's anchor.
    """
    ctx = _Context(bundle, artifacts, _safe_id(id_prefix))
    try:
        found = _dispatch(ctx, ref)
    except (LookupError, ValueError):
        found = None
    return found if found is not None else _plain(ref)


def resolve_all(
    bundle: EvidenceBundle,
    refs: Sequence[EvidenceRef],
    artifacts: Path | None,
    limit: int = DEFAULT_LIMIT,
    *,
    id_prefix: str = "",
) -> tuple[tuple[InlineEvidence, ...], str]:
    """The first ``limit`` references resolved, and "+ N more references in verdicts.json" (or "")."""
    shown = tuple(
        resolve(bundle, ref, artifacts, id_prefix=f"{id_prefix}e{i}-") for i, ref in enumerate(refs[: max(0, limit)])
    )
    rest = len(refs) - len(shown)
    return shown, tr("+ {count} more references in verdicts.json", count=rest) if rest else ""


@dataclass
class _Context:
    bundle: EvidenceBundle
    artifacts: Path | None
    id_prefix: str
    figures: int = field(default=0)

    def fig_id(self, tag: str) -> str:
        self.figures += 1
        return f"{self.id_prefix}wf-{tag}-{self.figures}"


def _safe_id(prefix: str) -> str:
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", prefix)
    return prefix if not prefix or prefix.endswith("-") else f"{prefix}-"


def _dispatch(ctx: _Context, ref: EvidenceRef) -> InlineEvidence | None:
    path = ref.ref.strip()
    if ref.kind == "auditor" or path.startswith("assessments["):
        return _auditor(ref)
    if path.startswith("traffic:"):
        return _pi_stream(ctx, ref)
    if path == "baseline" or path.startswith("baseline:"):
        return _baseline(ref)
    if ref.kind == "part" and re.fullmatch(r"[a-z_]+", path):
        status = ctx.bundle.part(path)
        return _part(ref, status) if status is not None else None
    shape = _INDEX.sub("[]", path)
    handler = _HANDLERS.get(shape)
    if handler is None:
        return None
    return handler(ctx, ref, [int(i) for i in _INDEX.findall(path)])


def _at[T](items: Sequence[T] | None, index: int) -> T | None:
    return items[index] if items is not None and 0 <= index < len(items) else None


def _plain(ref: EvidenceRef) -> InlineEvidence:
    text, _full = clip(ref.detail, TEXT_CHARS)
    return InlineEvidence("plain", ref.ref, tr("Evidence reference ({kind})", kind=ref.kind), text=text)


def _context_text(ref: EvidenceRef) -> str:
    """The check's own words, kept where they add what the evidence alone does not (a baseline change)."""
    return clip(ref.detail, TEXT_CHARS)[0] if "baseline" in ref.detail else ""


# ------------------------------------------------------------------ small cells


def _text(value: str, limit: int = TEXT_CHARS, *, mono: bool = False, sub: str = "") -> Cell:
    shown, full = clip(value, limit)
    return Cell(text=shown, title=full, mono=mono, sub=sub)


def _member(ref: str) -> Cell:
    step = shorten_ref(ref)
    return Cell(text=step.member, sub=step.package, title=step.full, mono=True)


def _chips(values: Sequence[str], none: str) -> Cell:
    return Cell(chips=tuple(values)) if values else na(none)


def _pi_cell(pi_type: str) -> Cell:
    known = load_pi_taxonomy().get(pi_type)
    return Cell(text=pi_type, sub=pick(known.name_en, known.name_zh) if known else "", mono=True)


def _yes_no(value: bool | None) -> str:
    return tr("not known") if value is None else tr("yes") if value else tr("no")


def _seconds(value: float) -> str:
    value = abs(value)
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}" if value >= 0.1 else f"{value:.3f}"


def _receiver(d: Destination) -> Cell:
    who = d.vendor or d.sdk_id or d.registrable_domain
    return Cell(
        text=who,
        sub=d.host if d.host != who else "",
        badge=Badge(tr(PARTY.get(d.party, d.party)), PARTY_CSS.get(d.party, "b-muted")),
    )


def _timing(ctx: _Context, ts: float) -> Fact | None:
    """When ``ts`` was, relative to the consent answer of the device run it falls in."""
    device = ctx.bundle.device
    if device is None:
        return None
    placement = place(device, ts)
    run = placement.run
    label, css = PHASE[placement.phase]
    badge = Badge(tr(label), css)
    if run is None:
        return Fact(tr("When"), Cell(text=tr("outside every device run"), badge=badge))
    actions = run.events_of(CONSENT_AGREE, CONSENT_REFUSE)
    if not actions:
        text = tr("{seconds} s into run {run}; consent never answered", seconds=_seconds(ts - run.started), run=run.id)
        return Fact(tr("When"), Cell(text=text, badge=badge))
    first = actions[0][1]
    if ts < first.ts:
        action, before = first, True
    else:
        action, before = max((e for _, e in actions if e.ts <= ts), key=lambda e: e.ts), False
    seconds = _seconds(ts - action.ts)
    if action.kind == CONSENT_AGREE:
        text = (
            tr("{seconds} s before the consent tap in run {run}", seconds=seconds, run=run.id)
            if before
            else tr("{seconds} s after the consent tap in run {run}", seconds=seconds, run=run.id)
        )
    else:
        text = (
            tr("{seconds} s before the refusal tap in run {run}", seconds=seconds, run=run.id)
            if before
            else tr("{seconds} s after the refusal tap in run {run}", seconds=seconds, run=run.id)
        )
    return Fact(tr("When"), Cell(text=text, badge=badge))


# ------------------------------------------------------------------ static code: call chains


def _startup_finding(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    startup = ctx.bundle.startup
    f = _at(startup.findings if startup else None, idx[0])
    if f is None:
        return None
    steps = tuple(shorten_ref(s) for s in f.chain)
    names = {h.sdk_id: h.name for h in ctx.bundle.sdks}
    if f.kind == "sdk_init":
        title = tr("{name} initialised at start-up", name=names.get(f.target, f.target))
    else:
        title = tr("{target} reachable at start-up", target=f.target)
    entry = f.entry_point
    facts = [
        Fact(
            tr("Entry point"),
            Cell(
                text=shorten_ref(str(entry.method)).member,
                sub=entry_kind_label(entry.kind) + (f" · {java_class(entry.component)}" if entry.component else ""),
                title=str(entry.method),
                mono=True,
            ),
        ),
        Fact(
            tr("Target"),
            Cell(text=f.target, sub=finding_kind_label(f.kind), title=f.chain[-1] if f.chain else "", mono=True),
        ),
        Fact(tr("Personal information"), _chips(f.pi_types, tr("none named"))),
        _guard_fact(f),
    ]
    async_steps = [steps[i + 1].member for i, via in enumerate(f.via) if via == "async" and i + 1 < len(steps)]
    if async_steps:
        facts.append(Fact(tr("Started asynchronously"), Cell(items=tuple(async_steps), mono=True)))
    return InlineEvidence("call_chain", ref.ref, title, facts=tuple(facts), steps=steps, text=_context_text(ref))


def _guard_fact(f: StartupFinding) -> Fact:
    if f.guard is None:
        return Fact(tr("Consent guard"), Cell(badge=Badge(tr("no consent guard recognised"), "b-bad")))
    g = f.guard
    return Fact(
        tr("Consent guard"),
        Cell(
            badge=Badge(tr("guarded"), "b-ok"),
            text=g.condition,
            sub=tr("in {method}, recognised by {how}", method=shorten_ref(str(g.method)).member, how=g.recognised_by),
            title=str(g.method),
        ),
    )


def _api_call(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    c = _at(ctx.bundle.api_calls, idx[0])
    if c is None:
        return None
    sdk = next((h for h in ctx.bundle.sdks if h.sdk_id == c.sdk_id), None) if c.sdk_id else None
    facts = [
        Fact(tr("Target API"), Cell(text=c.api_id, sub=shorten_ref(c.api).member, title=c.api, mono=True)),
        Fact(tr("Personal information"), _chips(c.pi_types, tr("none named"))),
        Fact(tr("Caller"), _member(str(c.caller))),
        Fact(tr("Code location"), Cell(text=f"{c.dex} @ 0x{c.offset:x}", mono=True)),
        Fact(
            tr("Code owner"),
            Cell(text=sdk.name if sdk else c.sdk_id) if c.sdk_id else Cell(text=tr("first-party code")),
        ),
    ]
    if c.argument:
        facts.append(Fact(tr("Argument"), _text(c.argument, 120, mono=True)))
    startup = ctx.bundle.startup
    if startup is not None:
        caller = str(c.caller)
        on_path = next(
            (f for f in startup.findings if f.target == c.api_id and len(f.chain) > 1 and f.chain[-2] == caller), None
        )
        if on_path is not None:
            facts.append(_guard_fact(on_path))
        else:
            facts.append(Fact(tr("Consent guard"), na(tr("not reached from start-up code"))))
    steps = (shorten_ref(str(c.caller)), shorten_ref(c.api))
    return InlineEvidence(
        "call_chain",
        ref.ref,
        tr("{api} called in {caller}", api=c.api_id, caller=c.caller.java_class),
        facts=tuple(facts),
        steps=steps,
        text=_context_text(ref),
    )


def _entry_point(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    startup = ctx.bundle.startup
    e = _at(startup.entry_points if startup else None, idx[0])
    if e is None:
        return None
    facts = [
        Fact(tr("Kind"), Cell(text=entry_kind_label(e.kind))),
        Fact(tr("Method"), _member(str(e.method))),
    ]
    if e.component:
        facts.append(Fact(tr("Component"), Cell(text=java_class(e.component), mono=True)))
    return InlineEvidence("entry_point", ref.ref, tr("Start-up entry point"), facts=tuple(facts))


# ------------------------------------------------------------------ static: the rest


def _sdk(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    s = _at(ctx.bundle.sdks, idx[0])
    if s is None:
        return None
    matches, more = capped([f"{m.kind}: {m.signature} ×{m.count}" for m in s.matches], 6)
    facts = [
        Fact(tr("SDK"), Cell(text=s.name, sub=s.name_zh or "", title=s.sdk_id)),
        Fact(tr("Vendor"), Cell(text=s.vendor) if s.vendor else na(tr("not known"))),
        Fact(tr("Categories"), _chips(s.categories, tr("none"))),
        Fact(tr("Usage"), Cell(text=usage_label(s.usage), items=tuple(s.usage_evidence[:3]))),
        Fact(
            tr("Detection"),
            Cell(
                text=tr("{confidence} confidence, {count} classes", confidence=s.confidence.value, count=s.class_count),
                items=matches,
                more=more,
                mono=True,
            ),
        ),
    ]
    return InlineEvidence("sdk", ref.ref, s.name, facts=tuple(facts), text=_context_text(ref))


def _permission(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    manifest = ctx.bundle.manifest
    p = _at(manifest.permissions if manifest else None, idx[0])
    if p is None:
        return None
    facts = [
        Fact(tr("Permission"), Cell(text=p.name, sub=pick(p.name_en or "", p.name_zh or ""), mono=True)),
        Fact(tr("Protection level"), Cell(text=p.protection_level) if p.protection_level else na(tr("not known"))),
        Fact(tr("Runtime permission"), Cell(text=_yes_no(p.runtime))),
        Fact(tr("Personal information"), _chips(p.pi_types, tr("none named"))),
    ]
    if p.group:
        facts.append(Fact(tr("Group"), Cell(text=p.group, sub=p.group_zh or "")))
    if p.max_sdk is not None:
        facts.append(Fact(tr("Requested up to API level"), Cell(text=str(p.max_sdk))))
    return InlineEvidence("permission", ref.ref, p.name.rsplit(".", 1)[-1], facts=tuple(facts), text=_context_text(ref))


def _component(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    manifest = ctx.bundle.manifest
    c = _at(manifest.components if manifest else None, idx[0])
    if c is None:
        return None
    facts = [
        Fact(tr("Kind"), Cell(text=c.kind)),
        Fact(tr("Exported"), Cell(text=_yes_no(c.exported), sub=c.exported_reason)),
    ]
    if c.permission:
        facts.append(Fact(tr("Protected by"), Cell(text=c.permission, mono=True)))
    return InlineEvidence("component", ref.ref, java_class(c.name), facts=tuple(facts), text=_context_text(ref))


def _endpoint(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    e = _at(ctx.bundle.endpoints, idx[0])
    if e is None:
        return None
    urls, more = capped([clip(u, URL_CHARS)[0] for u in e.urls], 4)
    sources, more_sources = capped(list(e.sources), 4)
    facts = [
        Fact(
            tr("Host"),
            Cell(
                text=e.host,
                sub=e.sdk_id or "",
                mono=True,
                badge=Badge(tr(PARTY.get(e.party, e.party)), PARTY_CSS.get(e.party, "b-muted")),
            ),
        ),
        Fact(tr("Cleartext HTTP"), Cell(text=_yes_no(e.cleartext))),
        Fact(tr("URLs"), Cell(items=urls, more=more, mono=True) if urls else na(tr("none"))),
        Fact(tr("Found in"), Cell(items=sources, more=more_sources, mono=True)),
    ]
    return InlineEvidence("endpoint", ref.ref, e.host, facts=tuple(facts), text=_context_text(ref))


def _hint(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    hints = ctx.bundle.policy_hints
    which = ref.ref.split(".", 1)[1].split("[", 1)[0]
    if hints is None:
        return None
    if which == "documents":
        d = _at(hints.documents, idx[0])
        if d is None:
            return None
        facts = [
            Fact(tr("File in the APK"), Cell(text=d.path, sub=d.kind, mono=True)),
            Fact(tr("Size"), Cell(text=human_size(d.size))),
            Fact(tr("Title"), _text(d.title, 200) if d.title else na(tr("none"))),
            Fact(tr("Keywords"), _chips(d.keywords[:8], tr("none"))),
        ]
        return InlineEvidence(
            "policy_hint", ref.ref, tr("Policy document found in the APK"), facts=tuple(facts), text=_context_text(ref)
        )
    if which == "consent_layouts":
        layout = _at(hints.consent_layouts, idx[0])
        if layout is None:
            return None
        facts = (Fact(tr("Layout"), Cell(text=layout, mono=True)),)
        return InlineEvidence("policy_hint", ref.ref, tr("Consent dialog layout found in the APK"), facts=facts)
    if which not in HINT_LISTS:
        return None
    found: TextHint | None = _at(getattr(hints, which), idx[0])
    if found is None:
        return None
    facts = (
        Fact(tr("Text"), _text(found.text, 300, mono=which == "urls")),
        Fact(tr("Found in"), Cell(text=found.location, mono=True)),
        Fact(tr("Keywords"), _chips(found.keywords[:8], tr("none"))),
    )
    return InlineEvidence("policy_hint", ref.ref, tr(HINT_LISTS[which]), facts=facts, text=_context_text(ref))


def _part_ref(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    status = _at(ctx.bundle.parts, idx[0])
    return _part(ref, status) if status is not None else None


def _part(ref: EvidenceRef, status: PartStatus) -> InlineEvidence:
    errors, more = capped([f"{e.scope}: {clip(e.message, 160)[0]}" for e in status.errors], 4)
    label, css = PART_STATUS.get(status.status.value, (status.status.value, "b-muted"))
    facts = [
        Fact(tr("Evidence part"), Cell(text=status.name, mono=True, badge=Badge(tr(label), css))),
        Fact(tr("Collection time"), Cell(text=f"{status.seconds:.1f} s")),
    ]
    if status.note:
        facts.append(Fact(tr("Note"), _text(status.note, 300)))
    if errors:
        facts.append(Fact(tr("Errors"), Cell(items=errors, more=more, mono=True)))
    return InlineEvidence(
        "part",
        ref.ref,
        tr("How the {part} evidence was collected", part=status.name),
        facts=tuple(facts),
        text=clip(ref.detail, TEXT_CHARS)[0],
    )


def _baseline(ref: EvidenceRef) -> InlineEvidence:
    text = clip(ref.detail, TEXT_CHARS)[0]
    if ref.ref.startswith("baseline:"):
        facts = (
            Fact(tr("In the previous release's evidence"), Cell(text=ref.ref.removeprefix("baseline:"), mono=True)),
        )
        return InlineEvidence("baseline", ref.ref, tr("Removed since the baseline release"), facts=facts, text=text)
    return InlineEvidence("baseline", ref.ref, tr("Compared with the baseline release"), text=text)


def _auditor(ref: EvidenceRef) -> InlineEvidence:
    title = tr("Reference given by the auditor") if ".evidence[" in ref.ref else tr("Auditor's assessment")
    return InlineEvidence("auditor", ref.ref, title, text=clip(ref.detail, TEXT_CHARS)[0], human=True)


# ------------------------------------------------------------------ traffic


def _capture(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    traffic = ctx.bundle.traffic
    if traffic is None:
        return None
    c = traffic.capture
    verified = {
        True: (tr("verified"), "b-ok"),
        False: (tr("not verified"), "b-bad"),
        None: (tr("not checked"), "b-warn"),
    }
    facts = [
        Fact(
            tr("Captured"),
            Cell(
                text=tr(
                    "{seconds} s, {flows} requests", seconds=_seconds(c.ended - c.started), flows=len(traffic.flows)
                ),
                sub=c.source,
            ),
        ),
        Fact(tr("Interception"), Cell(badge=Badge(*verified[c.interception_verified]))),
        Fact(tr("PI matches"), Cell(text=str(len(traffic.pi_matches)))),
        Fact(tr("Hosts the proxy could not read"), Cell(text=str(len(traffic.unobservable)))),
        Fact(tr("Known device values looked for"), _chips(c.profile_keys, tr("none"))),
    ]
    if c.note:
        facts.append(Fact(tr("Note"), _text(c.note, 300)))
    return InlineEvidence(
        "capture", ref.ref, tr("Traffic capture"), facts=tuple(facts), text=clip(ref.detail, TEXT_CHARS)[0]
    )


def _flow_matches(ctx: _Context, flow: Flow) -> list[tuple[int, PiMatch]]:
    traffic = ctx.bundle.traffic
    return [(i, m) for i, m in enumerate(traffic.pi_matches if traffic else ()) if m.flow_id == flow.id]


def _flow(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    traffic = ctx.bundle.traffic
    f = _at(traffic.flows if traffic else None, idx[0])
    if f is None:
        return None
    url, full = clip(f.url, URL_CHARS)
    response = str(f.status) if f.status is not None else tr("no response")
    facts = [
        Fact(
            tr("Request"), Cell(text=f"{f.method} {url}", title=full, mono=True, sub=f.kind if f.kind != "http" else "")
        ),
        Fact(tr("Receiver"), _receiver(f.destination)),
        Fact(tr("Response"), Cell(text=response, sub=clip(f.error, 160)[0] if f.error else "")),
    ]
    timing = _timing(ctx, f.ts)
    if timing is not None:
        facts.append(timing)
    facts.append(
        Fact(
            tr("Body sent"),
            Cell(
                text=human_size(f.request_bytes),
                sub=f.request_content_type or "",
                badge=Badge(tr("opaque: may hide encrypted personal information"), "b-warn") if f.opaque else None,
            ),
        )
    )
    matches = _flow_matches(ctx, f)
    types = sorted({m.pi_type for _, m in matches})
    facts.append(Fact(tr("Personal information"), _chips(types, tr("none matched"))))
    for _, m in matches[:MAX_MATCH_FACTS]:
        light = locate_match(m)
        value = light.match or clip(light.before, 80)[0]
        chain = " → ".join(m.encodings) if m.encodings else tr("as sent")
        facts.append(Fact(tr("PI match"), Cell(text=f"{m.pi_type}: {value}", sub=f"{m.location} · {chain}", mono=True)))
    if len(matches) > MAX_MATCH_FACTS:
        facts.append(Fact(tr("PI match"), na(tr("+ {count} more", count=len(matches) - MAX_MATCH_FACTS))))
    return InlineEvidence(
        "flow", ref.ref, f"{f.method} {f.destination.host}", facts=tuple(facts), text=_context_text(ref)
    )


def locate_match(m: PiMatch) -> Highlight:
    """The matched value marked inside the match's excerpt; ``match`` is "" when it cannot be located.

    The excerpt is either a window of the innermost decoded text around the match (see
    ``appaudit.traffic.pi.detect.excerpt``: ``…`` + escaped text from ``offset - context``), or, for
    matches spanning several pieces, a note the detector wrote instead. The window is walked byte by
    byte (``offset`` and ``length`` count bytes of the decoded data, the excerpt is text), and the
    result is only used when both ends fall exactly on character boundaries.
    """
    text = m.excerpt
    if not text or m.offset is None or m.length is None or m.length <= 0 or m.offset < 0:
        return Highlight(text, "", "")
    if m.value_name in _NOTE_VALUE_NAMES or (m.value_name.startswith("locations[") and " with " in text):
        return _in_note(m, text)
    return _in_window(text, m.offset, m.length) or Highlight(text, "", "")


def _in_note(m: PiMatch, text: str) -> Highlight:
    pattern = _PATTERN_COORDINATE_NOTE if m.detector == "pattern" else _PROFILE_LOCATION_NOTE
    found = pattern.match(text) if m.value_name != "package_list" else None
    if found is not None:
        start, end = found.span(found.lastindex or 1)
        if len(text[start:end].encode("utf-8")) == m.length:
            return Highlight(text[:start], text[start:end], text[end:])
    return Highlight(text, "", "")


def _in_window(text: str, offset: int, length: int) -> Highlight | None:
    context = max(8, (EXCERPT_CHARS - length) // 2)  # as detect.excerpt computes it
    window_start = max(0, offset - context)
    lead = ""
    if window_start > 0:
        if not text.startswith("…"):
            return None
        lead, text = "…", text[1:]
    at_byte = {0: 0}  # byte offset in the window -> character position in the excerpt
    used = pos = 0
    for token, size in _byte_tokens(text):
        used += size
        pos += len(token)
        at_byte[used] = pos
    start_char = at_byte.get(offset - window_start)
    end_char = at_byte.get(offset - window_start + length)
    if start_char is None or end_char is None or end_char <= start_char:
        return None
    match = text[start_char:end_char]
    if "…" in match:
        return None
    return Highlight(lead + text[:start_char], match, text[end_char:])


_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[ntr])")


def _byte_tokens(text: str) -> list[tuple[str, int]]:
    """The excerpt split into (text, bytes of the decoded data it stands for).

    The detector shows undecodable bytes as ``\\xHH`` and non-printable characters with Python's
    escapes; a literal backslash stays one character. ``\\xHH`` is counted as one byte (an undecodable
    byte, by far the commoner source); the caller rejects a highlight that does not land on a boundary.
    """
    tokens: list[tuple[str, int]] = []
    i = 0
    while i < len(text):
        escape = _ESCAPE.match(text, i) if text[i] == "\\" else None
        if escape is not None:
            token = escape.group(0)
            if token[1] == "x" or token[1] in "ntr":
                size = 1
            else:
                size = len(chr(int(token[2:], 16)).encode("utf-8", "surrogatepass"))
            tokens.append((token, size))
            i = escape.end()
        else:
            tokens.append((text[i], len(text[i].encode("utf-8", "surrogatepass"))))
            i += 1
    return tokens


def _pi_match(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    traffic = ctx.bundle.traffic
    m = _at(traffic.pi_matches if traffic else None, idx[0])
    if m is None or traffic is None:
        return None
    found = traffic.flow(m.flow_id)
    flow = found[1] if found else None
    facts = [
        Fact(tr("PI type"), _pi_cell(m.pi_type)),
        Fact(tr("Where in the request"), Cell(text=m.location, mono=True)),
        Fact(
            tr("Detected as"),
            Cell(
                text=tr(DETECTOR.get(m.detector, m.detector)),
                sub=tr("{value} · {confidence} confidence", value=m.value_name, confidence=m.confidence.value),
            ),
        ),
    ]
    if m.hashed:
        facts.append(Fact(tr("Form"), Cell(badge=Badge(tr("sent as a digest: still an identifier"), "b-warn"))))
    if flow is not None:
        url, full = clip(flow.url, URL_CHARS)
        facts.append(Fact(tr("Request"), Cell(text=f"{flow.method} {url}", title=full, mono=True)))
        facts.append(Fact(tr("Receiver"), _receiver(flow.destination)))
        timing = _timing(ctx, flow.ts)
        if timing is not None:
            facts.append(timing)
    else:
        facts.append(Fact(tr("Request"), na(tr("flow {id} not in the capture", id=m.flow_id))))
    host = flow.destination.host if flow else m.flow_id
    return InlineEvidence(
        "pi_match",
        ref.ref,
        tr("{pi_type} sent to {host}", pi_type=m.pi_type, host=host),
        facts=tuple(facts),
        highlight=locate_match(m),
        encodings=tuple(m.encodings),
        text=_context_text(ref),
    )


def _unobservable(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    traffic = ctx.bundle.traffic
    u = _at(traffic.unobservable if traffic else None, idx[0])
    if u is None:
        return None
    facts = [
        Fact(tr("Host"), Cell(text=u.host, mono=True)),
        Fact(tr("Why it was not readable"), Cell(text=tr(UNOBSERVABLE_REASON.get(u.reason, u.reason)))),
        Fact(tr("Connections"), Cell(text=str(u.count))),
    ]
    if u.destination is not None:
        facts.append(Fact(tr("Receiver"), _receiver(u.destination)))
    timing = _timing(ctx, u.first_ts)
    if timing is not None:
        facts.append(timing)
    return InlineEvidence(
        "unobservable_host",
        ref.ref,
        tr("Traffic the proxy could not read"),
        facts=tuple(facts),
        text=_context_text(ref),
    )


def _pi_stream(ctx: _Context, ref: EvidenceRef) -> InlineEvidence | None:
    traffic = ctx.bundle.traffic
    parts = ref.ref.split(":", 2)
    if traffic is None or len(parts) != 3:
        return None
    _, domain, pi_type = parts
    flows = {f.id: f for f in traffic.flows if f.destination.registrable_domain == domain}
    sent = sorted(
        {m.flow_id for m in traffic.pi_matches if m.pi_type == pi_type and m.flow_id in flows},
        key=lambda i: flows[i].ts,
    )
    if not sent:
        return None
    first, last = flows[sent[0]], flows[sent[-1]]
    facts = [
        Fact(tr("Receiver"), _receiver(first.destination)),
        Fact(tr("PI type"), _pi_cell(pi_type)),
        Fact(
            tr("Requests carrying it"),
            Cell(text=tr("{count} over {seconds} s", count=len(sent), seconds=_seconds(last.ts - first.ts))),
        ),
    ]
    timing = _timing(ctx, first.ts)
    if timing is not None:
        facts.append(Fact(tr("First sent"), timing.value))
    return InlineEvidence(
        "pi_stream",
        ref.ref,
        tr("{pi_type} sent repeatedly to {domain}", pi_type=pi_type, domain=domain),
        facts=tuple(facts),
        text=clip(ref.detail, TEXT_CHARS)[0],
    )


# ------------------------------------------------------------------ device runs: screens and paths


def _run(ctx: _Context, index: int) -> DeviceRun | None:
    device = ctx.bundle.device
    return _at(device.runs if device else None, index)


def _screen_text(screen: Screen) -> str:
    return tr("{kind} (screen {id})", kind=tr(SCREEN_KIND.get(screen.kind, "screen")), id=screen.id[:8])


def _action_text(kind: str, label: str) -> str:
    """How an operation reads: "tap “我的”", "swipe up"."""
    if kind == SWIPE or label.startswith("swipe"):
        return tr("swipe up")
    return tr("tap “{label}”", label=clip(selector_label(label), 60)[0])


def _screen_step(ctx: _Context, ri: int, screen: Screen, action: str, highlight: str | None) -> UiStep:
    """One screen with the operation done on it: a wireframe from its dump, its screenshot, what is missing."""
    described = _screen_text(screen)
    notes: list[str] = []
    figure, image = None, ""
    if ctx.artifacts is None:
        notes.append(tr("screenshot and UI dump not embedded: the report's output directory is not known"))
    else:
        if screen.dump:
            data, why = read_artifact(ctx.artifacts, screen.dump)
            if data is not None:
                figure = wireframe_figure(
                    data,
                    highlight=highlight,
                    fig_id=ctx.fig_id(f"r{ri}"),
                    title=tr("Wireframe of {screen}", screen=described),
                )
                if figure is None:
                    notes.append(
                        tr("the UI dump {path} is not a usable uiautomator dump: no wireframe", path=screen.dump)
                    )
            else:
                notes.append(why)
        else:
            notes.append(tr("no UI dump was recorded for this screen"))
        if screen.screenshot:
            found, why = locate_artifact(ctx.artifacts, screen.screenshot)
            if found is not None:
                image, why = embed_image(found, root=ctx.artifacts)
            if why:
                notes.append(why)
        else:
            notes.append(tr("no screenshot was recorded for this screen"))
    texts = clip(", ".join(screen.texts[:6]), 200)[0]
    alt = tr("Screenshot of the {screen}", screen=described) + (f": {texts}" if texts else "")
    return UiStep(action, described, figure=figure, image=image, image_alt=alt if image else "", note="; ".join(notes))


def _run_facts(run: DeviceRun) -> list[Fact]:
    return [
        Fact(tr("Run"), Cell(text=run.id, sub=tr("fresh install") if run.fresh_install else tr("app data kept"))),
        Fact(tr("Duration"), Cell(text=f"{_seconds(run.ended - run.started)} s")),
    ]


def _policy_search(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    run = _run(ctx, idx[0])
    search = run.policy_search if run else None
    if run is None or search is None:
        return None
    facts = _run_facts(run)
    if not search.found:
        how = (
            tr("every reachable state searched")
            if search.exhaustive
            else tr("search cut by its budget")
            if search.budget_exhausted
            else tr("partial search")
        )
        facts += [
            Fact(tr("Result"), Cell(badge=Badge(tr("policy not found"), "b-bad" if search.exhaustive else "b-warn"))),
            Fact(
                tr("Searched"),
                Cell(
                    text=tr("to depth {depth}, {states} states", depth=search.max_depth, states=search.states_visited),
                    sub=how,
                ),
            ),
        ]
        return InlineEvidence("ui_path", ref.ref, tr("Search for the privacy policy"), facts=tuple(facts))
    steps = _search_steps(ctx, idx[0], run, search)
    facts.append(
        Fact(
            tr("Operations"),
            Cell(badge=Badge(str(search.operations or len(search.path)), operations_css(search))),
        )
    )
    end = run.screen(search.policy_screen)
    facts.append(Fact(tr("Policy screen"), Cell(text=_screen_text(end)) if end else na(tr("not recorded"))))
    if search.via_traffic:
        facts.append(Fact(tr("Policy page loaded"), _text(search.via_traffic, URL_CHARS, mono=True)))
    return InlineEvidence(
        "ui_path",
        ref.ref,
        tr("Click path to the privacy policy"),
        facts=tuple(facts),
        ui_steps=steps,
    )


def _search_steps(ctx: _Context, ri: int, run: DeviceRun, search: PolicySearch) -> tuple[UiStep, ...]:
    """The path's operations screen by screen, taken from the replay that reached the policy.

    The search replays every path from a fresh launch, so the run's timeline holds one segment per
    replay (a ``launch`` event, then taps and swipes, each stamped with the screen it was done on). The
    last segment whose operations begin with the whole path is the one that found the policy; its
    events say which screen each operation was done on. Where no segment matches that far, the
    remaining steps say their screen was not recorded rather than guessing it.
    """
    events = _replayed_events(run, search.path)
    steps = []
    for k, label in enumerate(search.path):
        event = events[k] if k < len(events) else None
        action = _action_text(event.kind if event else TAP, label)
        screen = run.screen(event.screen) if event is not None else None
        if event is None:
            steps.append(
                UiStep(
                    action, tr("screen not recorded"), note=tr("the screen this operation was done on was not recorded")
                )
            )
        elif screen is None:
            steps.append(
                UiStep(
                    action,
                    tr("screen not recorded"),
                    note=tr("screen {id} is not among the run's recorded screens", id=(event.screen or "?")[:8]),
                )
            )
        else:
            steps.append(_screen_step(ctx, ri, screen, action, label))
    return tuple(steps)


def _operation_matches(event: UiEvent, label: str) -> bool:
    if event.kind == SWIPE:
        return label.startswith("swipe")
    return event.kind == TAP and event.detail == label


def _replayed_events(run: DeviceRun, path: tuple[str, ...]) -> list[UiEvent]:
    """The operation events of the replay that best matches ``path`` (the longest prefix, the last replay)."""
    segments: list[list[UiEvent]] = [[]]
    for e in run.events:
        if e.kind == LAUNCH:
            segments.append([])
        elif e.kind in (TAP, SWIPE):
            segments[-1].append(e)
    best: list[UiEvent] = []
    for ops in segments:
        matched = 0
        while matched < min(len(ops), len(path)) and _operation_matches(ops[matched], path[matched]):
            matched += 1
        if matched and matched >= len(best):
            best = ops[:matched]
    return best


def _screen_ref(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    run = _run(ctx, idx[0])
    screen = _at(run.screens if run else None, idx[1])
    if run is None or screen is None:
        return None
    facts = [*_run_facts(run), Fact(tr("App"), Cell(text=screen.package, mono=True))]
    if screen.activity:
        facts.append(Fact(tr("Activity"), Cell(text=screen.activity, mono=True)))
    texts, more = capped([clip(t, 120)[0] for t in screen.texts], 6)
    facts.append(Fact(tr("Text on the screen"), Cell(items=texts, more=more) if texts else na(tr("none"))))
    if screen.consent is not None:
        c = screen.consent
        facts += [
            Fact(tr("Policy links"), _chips(c.policy_links, tr("none"))),
            Fact(tr("Choices"), Cell(chips=(*c.agree_labels, *c.refuse_labels))),
        ]
        if c.prechecked:
            facts.append(
                Fact(tr("Checked in advance"), Cell(chips=c.prechecked, badge=Badge(tr("pre-checked"), "b-bad")))
            )
        if c.acknowledge_only:
            facts.append(
                Fact(tr("Choice offered"), Cell(badge=Badge(tr("acknowledge only: no way to refuse"), "b-bad")))
            )
    if screen.permissions:
        facts.append(Fact(tr("Permissions asked"), Cell(chips=screen.permissions, mono=True)))
    step = _screen_step(ctx, idx[0], screen, "", None)
    return InlineEvidence("screen", ref.ref, _screen_text(screen), facts=tuple(facts), ui_steps=(step,))


def _event_ref(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    run = _run(ctx, idx[0])
    event = _at(run.events if run else None, idx[1])
    if run is None or event is None:
        return None
    what = tr(EVENT_KIND.get(event.kind, event.kind))
    facts = [
        Fact(tr("Event"), Cell(text=what, sub=clip(event.detail, 200)[0])),
        Fact(
            tr("Run"), Cell(text=run.id, sub=tr("{seconds} s into the run", seconds=_seconds(event.ts - run.started)))
        ),
    ]
    timing = _timing(ctx, event.ts)
    if timing is not None and event.kind not in (CONSENT_AGREE, CONSENT_REFUSE):
        facts.append(timing)
    screen = run.screen(event.screen)
    steps: tuple[UiStep, ...] = ()
    if screen is not None:
        highlight = event.detail if event.kind in TAP_EVENTS and event.detail else None
        action = _action_text(event.kind, event.detail) if highlight else what
        steps = (_screen_step(ctx, idx[0], screen, action, highlight),)
    elif event.screen:
        facts.append(Fact(tr("Screen"), na(tr("screen {id} not recorded", id=event.screen[:8]))))
    return InlineEvidence(
        "ui_event", ref.ref, tr("{event} in run {run}", event=what, run=run.id), facts=tuple(facts), ui_steps=steps
    )


def _run_ref(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    """A whole run, by its key events screen by screen (a reference to the run, not to one event)."""
    run = _run(ctx, idx[0])
    if run is None:
        return None
    key: list[UiEvent] = []
    main_seen = False
    for e in run.events:
        if e.kind not in RUN_KEY_EVENTS or (e.kind == MAIN_REACHED and main_seen):
            continue  # the policy search reaches the main interface on every replay: the first one says it
        main_seen = main_seen or e.kind == MAIN_REACHED
        key.append(e)
    facts = [*_run_facts(run), Fact(tr("Kind"), Cell(text=run.kind))]
    if run.note:
        facts.append(Fact(tr("Note"), _text(run.note, 300)))
    if len(key) > MAX_RUN_STEPS:
        facts.append(
            Fact(tr("Key events"), Cell(text=tr("first {shown} of {count} shown", shown=MAX_RUN_STEPS, count=len(key))))
        )
    steps = []
    for e in key[:MAX_RUN_STEPS]:
        what = tr(EVENT_KIND.get(e.kind, e.kind))
        action = f"{what}: {clip(e.detail, 80)[0]}" if e.detail else what
        screen = run.screen(e.screen)
        if screen is None:
            steps.append(UiStep(action, tr("no screen"), note=clip(e.detail, 200)[0]))
        else:
            highlight = e.detail if e.kind in TAP_EVENTS and e.detail else None
            steps.append(_screen_step(ctx, idx[0], screen, action, highlight))
    return InlineEvidence(
        "ui_path",
        ref.ref,
        tr("Device run {run}", run=run.id),
        facts=tuple(facts),
        ui_steps=tuple(steps),
        text=clip(ref.detail, TEXT_CHARS)[0],
    )


# ------------------------------------------------------------------ policy text


def _policy_document(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    policy = ctx.bundle.policy
    doc = _at(policy.documents if policy else None, idx[0])
    if doc is None:
        return None
    opening = clip(" ".join(s.text for s in doc.sentences[:3]), 600)[0]
    facts = [
        Fact(tr("Source"), Cell(text=doc.location, sub=doc.source, mono=True)),
        Fact(tr("Title"), _text(doc.title, 200) if doc.title else na(tr("none"))),
        Fact(
            tr("Size"),
            Cell(
                text=tr("{chars} characters, {sentences} sentences", chars=doc.chars, sentences=len(doc.sentences)),
                sub=doc.language or "",
            ),
        ),
        Fact(
            tr("Read as"),
            Cell(
                badge=Badge(tr("privacy policy"), "b-info")
                if doc.is_privacy_policy
                else Badge(tr("not a privacy policy"), "b-muted")
            ),
        ),
    ]
    return InlineEvidence(
        "policy_quote", ref.ref, doc.title or doc.location, facts=tuple(facts), quote=opening, text=_context_text(ref)
    )


def _policy_sentence(ctx: _Context, ref: EvidenceRef, idx: list[int]) -> InlineEvidence | None:
    policy = ctx.bundle.policy
    doc = _at(policy.documents if policy else None, idx[0])
    sentence = _at(doc.sentences if doc else None, idx[1])
    if doc is None or sentence is None:
        return None
    facts = [
        Fact(tr("Section"), _text(sentence.section, 200) if sentence.section else na(tr("no heading"))),
        Fact(tr("Document"), Cell(text=doc.title or doc.location, sub=f"{doc.source}: {doc.location}")),
        Fact(
            tr("Position"),
            Cell(
                text=tr("characters {start}–{end}", start=sentence.start, end=sentence.end), sub=sentence.id, mono=True
            ),
        ),
    ]
    quote = clip(sentence.text, QUOTE_CHARS)[0]
    prefix = ref.detail.split("“", 1)[0].strip().rstrip(":") if "“" in ref.detail else ""
    title = tr("Privacy policy: {what}", what=prefix) if prefix else tr("Privacy policy sentence")
    return InlineEvidence("policy_quote", ref.ref, title, facts=tuple(facts), quote=quote)


Handler = Callable[[_Context, EvidenceRef, list[int]], InlineEvidence | None]

_HANDLERS: dict[str, Handler] = {
    "startup.findings[]": _startup_finding,
    "startup.findings[].guard": _startup_finding,
    "startup.entry_points[]": _entry_point,
    "api_calls[]": _api_call,
    "sdks[]": _sdk,
    "manifest.permissions[]": _permission,
    "manifest.components[]": _component,
    "endpoints[]": _endpoint,
    "policy_hints.urls[]": _hint,
    "policy_hints.policy_strings[]": _hint,
    "policy_hints.consent_strings[]": _hint,
    "policy_hints.consent_layouts[]": _hint,
    "policy_hints.documents[]": _hint,
    "parts[]": _part_ref,
    "traffic.capture": _capture,
    "traffic.flows[]": _flow,
    "traffic.pi_matches[]": _pi_match,
    "traffic.unobservable[]": _unobservable,
    "device.runs[]": _run_ref,
    "device.runs[].events[]": _event_ref,
    "device.runs[].screens[]": _screen_ref,
    "device.runs[].policy_search": _policy_search,
    "policy.documents[]": _policy_document,
    "policy.documents[].sentences[]": _policy_sentence,
}
