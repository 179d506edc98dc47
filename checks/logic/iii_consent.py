"""III. Collecting or using without consent (未经用户同意收集使用个人信息): items III.1–III.9."""

from __future__ import annotations

from appaudit.checker.model import Confidence, EvidenceRef, ItemResult, Verdict
from appaudit.checks.logic import (
    AUDITOR,
    DEVICE,
    POLICY,
    REFUSE_RUN,
    TRAFFIC,
    UPGRADE,
    item,
    not_assessed,
    part_ref,
    part_unavailable,
    review,
    usable,
)
from appaudit.checks.logic.dynamic import (
    PiFlow,
    device_of,
    event_ref,
    fresh_runs,
    no_policy_text,
    pi_flows,
    policy_document_refs,
    policy_of,
    rights_evidence,
    screen_ref,
    sentence_ref,
    traffic_of,
)
from appaudit.evidence.device import (
    CONSENT_PROMPT,
    CONSENT_REFUSE,
    PERMISSION_PROMPT,
    SCREEN,
    DeviceRun,
)
from appaudit.evidence.model import EvidenceBundle, StartupFinding, Status
from appaudit.evidence.timeline import Phase, place
from appaudit.evidence.traffic import TrafficEvidence
from appaudit.knowledge.pi_types import load_pi_taxonomy

_STATIC_CAVEAT = (
    "Static reachability shows code that can run before consent; a traffic capture will confirm transmission."
)
_TRAFFIC_CAVEAT = "Traffic shows transmission; the collection itself happened no later than the flow."
# III.2: consent prompts tolerated after a refusal (one confirmation dialog, "are you sure?").
MAX_PROMPTS_AFTER_REFUSAL = 1
# SDK categories whose presence suggests targeted (personalised) push or advertising.
TARGETING_SDK_CATEGORIES = frozenset({"push", "advertising"})


def _identifies_or_locates(finding: StartupFinding) -> bool:
    """A device identifier (persistent or resettable) or a location: the reads the rules single out."""
    taxonomy = load_pi_taxonomy()
    for pi in finding.pi_types:
        t = taxonomy.get(pi)
        if t is not None and (t.persistent or t.resettable or t.category == "location"):
            return True
    return False


def _finding_ref(i: int, f: StartupFinding) -> EvidenceRef:
    return EvidenceRef("startup_finding", f"startup.findings[{i}]", " → ".join(f.chain))


def _pre_consent_permission_prompts(bundle: EvidenceBundle) -> list[EvidenceRef]:
    """System permission dialogs shown in a fresh run before the consent prompt was answered."""
    refs = []
    for ri, run in fresh_runs(bundle):
        first = run.first_consent_action()
        cutoff = first[1].ts if first else float("inf")
        refs += [event_ref(ri, run, ei, e) for ei, e in run.events_of(PERMISSION_PROMPT) if e.ts < cutoff]
    return refs


def _hidden_before_consent(bundle: EvidenceBundle, traffic: TrafficEvidence) -> list[EvidenceRef]:
    """Third-party traffic before consent that could not be read: opaque bodies and unobservable hosts."""
    device = device_of(bundle)
    refs = [
        EvidenceRef("flow", f"traffic.flows[{i}]", f"opaque {f.request_bytes}-byte body to {f.destination.host}")
        for i, f in enumerate(traffic.flows)
        if f.opaque and f.destination.third_party and place(device, f.ts).phase is Phase.BEFORE_CONSENT
    ]
    refs += [
        EvidenceRef("unobservable_host", f"traffic.unobservable[{i}]", f"{u.host}: {u.reason} ({u.count}×)")
        for i, u in enumerate(traffic.unobservable)
        if place(device, u.first_ts).phase is Phase.BEFORE_CONSENT
    ]
    return refs


def _dynamic_before_consent(bundle: EvidenceBundle) -> ItemResult | None:
    """III.1 from the device runs and the traffic; None when neither was collected."""
    traffic, runs = traffic_of(bundle), fresh_runs(bundle)
    if not runs:
        return None
    prompts = _pre_consent_permission_prompts(bundle)
    flows = [p for p in pi_flows(bundle, traffic) if p.phase is Phase.BEFORE_CONSENT] if traffic else []
    if flows or prompts:
        refs = tuple(r for p in flows for r in p.refs()) + tuple(prompts)
        parts = []
        if flows:
            types = sorted({t for p in flows for t in p.pi_types})
            parts.append(f"{len(flows)} request(s) carried personal information ({', '.join(types)}) before consent")
        if prompts:
            parts.append(f"{len(prompts)} system permission dialog(s) appeared before the consent prompt was answered")
        strong = prompts or any(m.detector == "profile" for p in flows for _, m in p.matches)
        return ItemResult(
            "III.1",
            Verdict.VIOLATION,
            Confidence.HIGH if strong else Confidence.MEDIUM,
            "In a fresh run, " + "; ".join(parts) + "." + (f" {_TRAFFIC_CAVEAT}" if flows else ""),
            refs,
        )
    if traffic is None:
        return None
    hidden = _hidden_before_consent(bundle, traffic)
    if hidden or not traffic.trustworthy_absence:
        why = (
            "some third-party traffic before consent could not be read"
            if hidden
            else "interception was not verified, so traffic may have been missed"
        )
        return ItemResult(
            "III.1",
            Verdict.INCONCLUSIVE,
            Confidence.LOW,
            f"No personal information was seen before consent, but {why}.",
            tuple(hidden) or (EvidenceRef("capture", "traffic.capture", "interception not verified"),),
            needs=(f"{TRAFFIC} with the CA trusted by the app (no pinning)",),
        )
    return None


@item("III.1")
def before_consent(bundle: EvidenceBundle) -> ItemResult:
    dynamic = _dynamic_before_consent(bundle)
    if dynamic is not None:
        return dynamic
    static = _static_before_consent(bundle)
    traffic = traffic_of(bundle)
    if static.verdict is Verdict.PASS and traffic is not None and fresh_runs(bundle):
        clean = EvidenceRef("capture", "traffic.capture", "fresh run captured: no PI before consent, no hidden hosts")
        ambiguous = [p for p in pi_flows(bundle, traffic) if p.phase is Phase.AMBIGUOUS]
        note = (
            f" {len(ambiguous)} PI request(s) fell between the consent tap and the next screen; they are not "
            "counted as before consent."
            if ambiguous
            else ""
        )
        return ItemResult(
            "III.1",
            Verdict.PASS,
            Confidence.MEDIUM if ambiguous else Confidence.HIGH,
            static.summary.replace(_STATIC_CAVEAT, "")
            + "The traffic capture of a fresh run confirms no personal information was sent before consent."
            + note,
            (*static.evidence, clean, *(r for p in ambiguous for r in p.refs())),
        )
    if static.verdict is Verdict.NOT_ASSESSED and traffic is not None and fresh_runs(bundle):
        return ItemResult(
            "III.1",
            Verdict.PASS,
            Confidence.MEDIUM,
            "The traffic capture of a fresh run shows no personal information sent and no permission dialog "
            "before consent (interception verified). Static start-up evidence was unavailable, so code paths the "
            "run did not exercise are not covered.",
            (EvidenceRef("capture", "traffic.capture", "fresh run captured, interception verified"),),
            needs=static.needs,
        )
    return static


def _static_before_consent(bundle: EvidenceBundle) -> ItemResult:
    startup, status = bundle.startup, bundle.part("startup")
    if startup is None or status is None or status.status in (Status.FAILED, Status.SKIPPED):
        return part_unavailable("III.1", bundle, "startup", TRAFFIC, DEVICE)
    unguarded = [
        (i, f) for i, f in enumerate(startup.findings) if f.kind in ("sensitive_api", "sdk_init") and not f.guarded
    ]
    if unguarded:
        high = any(f.kind == "sensitive_api" and _identifies_or_locates(f) for _, f in unguarded)
        targets = sorted({f.target for _, f in unguarded})
        return ItemResult(
            "III.1",
            Verdict.VIOLATION,
            Confidence.HIGH if high else Confidence.MEDIUM,
            f"{len(unguarded)} sensitive call(s) or SDK initialisation(s) run at start-up with no consent check "
            f"({', '.join(targets)}). {_STATIC_CAVEAT}",
            tuple(_finding_ref(i, f) for i, f in unguarded),
            needs=(TRAFFIC,),
        )
    if startup.budget_exhausted or status.status is not Status.OK:
        why = "a search limit cut the exploration" if startup.budget_exhausted else "the startup part is partial"
        return ItemResult(
            "III.1",
            Verdict.INCONCLUSIVE,
            Confidence.LOW,
            f"No unguarded start-up collection was found, but {why}, so absence is not proven. {_STATIC_CAVEAT}",
            (part_ref(bundle, "startup"),),
            needs=(TRAFFIC, DEVICE),
        )
    guarded = [(i, f) for i, f in enumerate(startup.findings) if f.guard is not None]
    if guarded:
        refs = tuple(
            EvidenceRef(
                "startup_finding",
                f"startup.findings[{i}].guard",
                f"{f.target} behind {f.guard.condition} in {f.guard.method}" if f.guard else f.target,
            )
            for i, f in guarded
        )
        summary = (
            f"Every start-up call to a sensitive API or SDK initialisation ({len(guarded)}) is behind a recognised "
            f"consent check. {_STATIC_CAVEAT}"
        )
    else:
        refs = (
            part_ref(bundle, "startup"),
            *(
                EvidenceRef("entry_point", f"startup.entry_points[{i}]", f"{e.kind}: {e.method}")
                for i, e in enumerate(startup.entry_points)
            ),
        )
        summary = (
            f"No sensitive API or SDK initialisation is reachable from the {len(startup.entry_points)} start-up "
            f"entry point(s) searched (depth {startup.max_depth}). {_STATIC_CAVEAT}"
        )
    return ItemResult("III.1", Verdict.PASS, Confidence.MEDIUM, summary, refs, needs=(TRAFFIC,))


def _after_refusal_ui(ri: int, run: DeviceRun) -> tuple[list[EvidenceRef], list[EvidenceRef]]:
    """(re-prompts beyond the tolerated one, permission dialogs) after the run's first refusal."""
    refusal = next(iter(run.events_of(CONSENT_REFUSE)), None)
    if refusal is None:
        return [], []
    after = refusal[1].ts
    prompts = [event_ref(ri, run, ei, e) for ei, e in run.events_of(CONSENT_PROMPT) if e.ts > after]
    permissions = [event_ref(ri, run, ei, e) for ei, e in run.events_of(PERMISSION_PROMPT) if e.ts > after]
    return (prompts if len(prompts) > MAX_PROMPTS_AFTER_REFUSAL else []), permissions


@item("III.2")
def after_refusal(bundle: EvidenceBundle) -> ItemResult:
    device = device_of(bundle)
    refused = [(i, r) for i, r in device.runs_of("refuse") if r.events_of(CONSENT_REFUSE)] if device else []
    if not device or not device.runs_of("refuse"):
        return not_assessed(
            "III.2",
            "Collection after refusal and repeated prompts are seen in a refuse-path session.",
            REFUSE_RUN,
            TRAFFIC,
        )
    if not refused:
        return ItemResult(
            "III.2",
            Verdict.INCONCLUSIVE,
            Confidence.LOW,
            "The refuse run found no consent prompt to refuse, so behaviour after a refusal was not observed.",
            tuple(screen_ref(i, r, s.id) for i, r in device.runs_of("refuse") for s in r.screens[:1]),
            needs=(REFUSE_RUN,),
        )
    traffic = traffic_of(bundle)
    flows = [p for p in pi_flows(bundle, traffic) if p.phase is Phase.AFTER_REFUSAL] if traffic else []
    reprompts, permissions = [], []
    for ri, run in refused:
        again, perms = _after_refusal_ui(ri, run)
        reprompts += again
        permissions += perms
    if flows or reprompts or permissions:
        parts = []
        if flows:
            types = sorted({t for p in flows for t in p.pi_types})
            parts.append(f"{len(flows)} request(s) carried personal information ({', '.join(types)}) after refusal")
        if permissions:
            parts.append(f"{len(permissions)} system permission dialog(s) were opened after refusal")
        if reprompts:
            parts.append(
                f"the consent prompt came back {len(reprompts)} time(s) after refusal "
                f"(more than the {MAX_PROMPTS_AFTER_REFUSAL} confirmation tolerated)"
            )
        return ItemResult(
            "III.2",
            Verdict.VIOLATION,
            Confidence.HIGH if flows or permissions else Confidence.MEDIUM,
            "After the user refused consent, " + "; ".join(parts) + ".",
            (*(r for p in flows for r in p.refs()), *permissions, *reprompts),
        )
    ui_refs = tuple(event_ref(i, r, *r.events_of(CONSENT_REFUSE)[0]) for i, r in refused)
    if traffic is None:
        return ItemResult(
            "III.2",
            Verdict.INCONCLUSIVE,
            Confidence.LOW,
            "After refusal the app neither asked again nor opened a permission dialog, but no traffic was captured, "
            "so collection after refusal is unknown.",
            ui_refs,
            needs=(TRAFFIC,),
        )
    if not traffic.trustworthy_absence:
        return ItemResult(
            "III.2",
            Verdict.INCONCLUSIVE,
            Confidence.LOW,
            "No personal information was seen after refusal, but part of the traffic was unobservable or "
            "interception was not verified.",
            (*ui_refs, EvidenceRef("capture", "traffic.capture", "absence not trustworthy")),
            needs=(f"{TRAFFIC} with the CA trusted by the app (no pinning)",),
        )
    return ItemResult(
        "III.2",
        Verdict.PASS,
        Confidence.HIGH,
        "After refusal, no personal information was sent, no permission dialog opened and the consent prompt did "
        f"not return more than {MAX_PROMPTS_AFTER_REFUSAL} time(s).",
        (*ui_refs, EvidenceRef("capture", "traffic.capture", "interception verified, nothing unobservable")),
    )


@item("III.3")
def beyond_authorised(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed(
        "III.3", "PI beyond what was authorised is judged from observed traffic and grants.", TRAFFIC, DEVICE, POLICY
    )


@item("III.4")
def consent_by_default(bundle: EvidenceBundle) -> ItemResult:
    runs = fresh_runs(bundle)
    if not runs:
        return not_assessed("III.4", "A pre-ticked consent box is seen on the first screen of a device run.", DEVICE)
    prompts = [
        (ri, run, screen)
        for ri, run in runs
        for _ei, e in run.events_of(CONSENT_PROMPT)
        if (screen := run.screen(e.screen)) is not None and screen.consent is not None
    ]
    if not prompts:
        seen = [screen_ref(ri, r, r.events_of(SCREEN)[0][1].screen) for ri, r in runs if r.events_of(SCREEN)]
        if not seen:
            return ItemResult(
                "III.4",
                Verdict.INCONCLUSIVE,
                Confidence.LOW,
                "The device runs recorded no screen.",
                needs=(DEVICE,),
            )
        return review(
            "III.4",
            "No consent prompt was shown (see I.2), so consent can only be implied by using the app; decide "
            "whether the first screens ask for consent in another, non-explicit way.",
            tuple(seen),
            AUDITOR,
        )
    prechecked = [(ri, r, s) for ri, r, s in prompts if s.consent and s.consent.prechecked]
    if prechecked:
        return ItemResult(
            "III.4",
            Verdict.VIOLATION,
            Confidence.HIGH,
            "The consent prompt comes with the agreement already ticked ("
            + ", ".join(sorted({c for _, _, s in prechecked for c in (s.consent.prechecked if s.consent else ())}))
            + "): consent by default.",
            tuple(screen_ref(ri, r, s.id) for ri, r, s in prechecked),
        )
    implied = [(ri, r, s) for ri, r, s in prompts if s.consent and s.consent.acknowledge_only]
    if implied:
        return ItemResult(
            "III.4",
            Verdict.VIOLATION,
            Confidence.MEDIUM,
            "The consent prompt offers only an acknowledgement (such as 我知道了 / OK), no way to agree or refuse: "
            "consent is implied, not explicit.",
            tuple(screen_ref(ri, r, s.id) for ri, r, s in implied),
        )
    return ItemResult(
        "III.4",
        Verdict.PASS,
        Confidence.HIGH,
        "The consent prompt offers explicit agree and refuse choices and nothing is pre-ticked.",
        tuple(screen_ref(ri, r, s.id) for ri, r, s in prompts[:3]),
    )


@item("III.5")
def settings_changed(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("III.5", "Permission settings changed on update need an upgrade run.", UPGRADE, AUDITOR)


@item("III.6")
def targeted_push(bundle: EvidenceBundle) -> ItemResult:
    hits = [(i, s) for i, s in enumerate(bundle.sdks) if TARGETING_SDK_CATEGORIES.intersection(s.categories)]
    policy = policy_of(bundle)
    if policy is not None and policy.policies and (hits or rights_evidence(policy, "targeting_opt_out")):
        opt_out = rights_evidence(policy, "targeting_opt_out")
        sdk_refs = tuple(EvidenceRef("sdk", f"sdks[{i}]", f"{s.name}: {', '.join(s.categories)}") for i, s in hits)
        return review(
            "III.6",
            (
                "The privacy policy offers a non-targeted option; check that the switch exists in the app's settings."
                if opt_out
                else "Push or advertising SDKs are embedded but the privacy policy mentions no non-targeted option; "
                "check whether the app does targeted push and offers a way to turn it off."
            ),
            (*opt_out, *sdk_refs),
            DEVICE,
        )
    if hits:
        return review(
            "III.6",
            "Push or advertising SDKs are embedded; if the app does targeted push or personalised ads, check "
            "that the policy says so and that a non-targeted option exists in settings.",
            tuple(
                EvidenceRef("sdk", f"sdks[{i}]", f"{s.name}: {', '.join(s.categories)}, usage {s.usage}")
                for i, s in hits
            ),
            POLICY,
            DEVICE,
        )
    return not_assessed(
        "III.6", "Targeted push and its opt-out are judged from the policy and settings.", POLICY, DEVICE
    )


@item("III.7")
def misleading_inducement(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("III.7", "Misleading inducement to consent is an auditor's judgement.", AUDITOR, DEVICE)


@item("III.8")
def withdrawal(bundle: EvidenceBundle) -> ItemResult:
    policy = policy_of(bundle)
    if policy is not None and policy.policies:
        found = rights_evidence(policy, "withdraw")
        if found:
            return review(
                "III.8",
                "The privacy policy says consent can be withdrawn; check that the way it describes exists in the "
                "app's settings and works as easily as giving consent.",
                found,
                DEVICE,
            )
        return review(
            "III.8",
            "The privacy policy describes no way to withdraw consent; check the app's settings for one.",
            policy_document_refs(policy),
            DEVICE,
        )
    return not_assessed("III.8", "A way to withdraw consent is judged from the policy and settings.", POLICY, DEVICE)


def _undeclared_in_traffic(flows: tuple[PiFlow, ...], declared: frozenset[str]) -> list[PiFlow]:
    return [p for p in flows if any(m.detector == "profile" and m.pi_type not in declared for _, m in p.matches)]


@item("III.9")
def against_own_rules(bundle: EvidenceBundle) -> ItemResult:
    policy = policy_of(bundle)
    if policy is None:
        return not_assessed(
            "III.9", "Collection against the declared rules needs the policy text to compare with.", POLICY, TRAFFIC
        )
    if not policy.policies:
        return no_policy_text("III.9", policy, "compare the app's collection with")
    declared = policy.declared_pi_types()
    traffic = traffic_of(bundle)
    flows = _undeclared_in_traffic(pi_flows(bundle, traffic), declared) if traffic else []
    calls = [(i, c) for i, c in enumerate(bundle.api_calls) if c.pi_types and not set(c.pi_types) <= declared]
    if flows or calls:
        sent = sorted({m.pi_type for p in flows for _, m in p.matches if m.pi_type not in declared})
        read = sorted({t for _, c in calls for t in c.pi_types if t not in declared})
        parts = []
        if sent:
            parts.append(f"sent in traffic: {', '.join(sent)}")
        if read:
            parts.append(f"read by the code: {', '.join(read)}")
        seen_calls: set[str] = set()
        call_refs = []
        for i, c in calls:
            key = f"{c.api_id}@{c.caller}"
            if key not in seen_calls and len(call_refs) < 20:
                seen_calls.add(key)
                call_refs.append(
                    EvidenceRef("api_call", f"api_calls[{i}]", f"{c.api_id} ({', '.join(c.pi_types)}) in {c.caller}")
                )
        return ItemResult(
            "III.9",
            Verdict.VIOLATION,
            Confidence.HIGH if sent else Confidence.MEDIUM,
            "The app collects personal information its privacy policy does not declare (" + "; ".join(parts) + "). "
            f"The policy declares {len(declared)} PI type(s).",
            (
                *(r for p in flows for r in p.refs()),
                *call_refs,
                *(  # the other side: what the policy does declare, quoted
                    sentence_ref(policy, d.sentence, f"declares {', '.join(d.pi_types) or d.phrase}: ")
                    for d in policy.declared_pi[:5]
                ),
            ),
        )
    refs = tuple(
        sentence_ref(policy, d.sentence, f"declares {', '.join(d.pi_types)}: ") for d in policy.declared_pi[:8]
    )
    if not usable(bundle.part("api_calls")) and traffic is None:
        return ItemResult(
            "III.9",
            Verdict.NOT_ASSESSED,
            None,
            "The policy was read, but neither the code scan nor a traffic capture is available to compare with.",
            refs,
            needs=("a static scan with a working api_calls part", TRAFFIC),
        )
    if traffic is not None and not traffic.trustworthy_absence:
        return ItemResult(
            "III.9",
            Verdict.INCONCLUSIVE,
            Confidence.LOW,
            "Everything seen is declared, but part of the traffic was unobservable or interception was not verified.",
            refs or (EvidenceRef("capture", "traffic.capture", "absence not trustworthy"),),
            needs=(f"{TRAFFIC} with the CA trusted by the app",),
        )
    code = usable(bundle.part("api_calls"))
    seen = " and ".join(w for w, on in (("the code reads", code), ("the traffic carries", traffic is not None)) if on)
    return ItemResult(
        "III.9",
        Verdict.PASS,
        Confidence.HIGH if traffic is not None and code else Confidence.MEDIUM,
        f"Every PI type {seen} is declared in the privacy policy.",
        refs or (EvidenceRef("part", "policy", "policy declares the PI types observed"),),
        needs=() if traffic is not None else (TRAFFIC,),
    )
