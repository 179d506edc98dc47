"""I. Collection and use rules not published (未公开收集使用规则): items I.1–I.4."""

from __future__ import annotations

from appaudit.checker.model import Confidence, EvidenceRef, ItemResult, Verdict
from appaudit.checks.logic import DEVICE, POLICY, item, not_assessed, part_ref, part_unavailable, review
from appaudit.checks.logic.dynamic import device_of, event_ref, fresh_runs, policy_of, screen_ref, sentence_ref
from appaudit.evidence.device import CONSENT_PROMPT, MAIN_REACHED, SCREEN, DeviceRun, PolicySearch
from appaudit.evidence.model import EvidenceBundle, PolicyDocument, Status
from appaudit.evidence.policy_text import PolicyEvidence, PolicyText

# A bundled policy shorter than this is a stub or a link page rather than the rules themselves.
MIN_POLICY_BYTES = 1000
# I.3: the policy must be reachable in at most this many operations from the main interface.
MAX_POLICY_OPERATIONS = 4


def _substantial(doc: PolicyDocument) -> bool:
    return doc.size >= MIN_POLICY_BYTES and bool(doc.title or doc.keywords)


def _doc_ref(i: int, doc: PolicyDocument) -> EvidenceRef:
    return EvidenceRef(
        "policy_hint", f"policy_hints.documents[{i}]", f"{doc.path} ({doc.size} bytes, title {doc.title!r})"
    )


def _document_ref(policy: PolicyEvidence, doc: PolicyText) -> EvidenceRef:
    index = policy.documents.index(doc)
    return EvidenceRef(
        "policy_document",
        f"policy.documents[{index}]",
        f"{doc.source}: {doc.location} ({doc.chars} characters, title {doc.title!r})",
    )


def _from_policy_text(bundle: EvidenceBundle, policy: PolicyEvidence) -> ItemResult | None:
    """The verdict the analysed policy text gives, or None when no policy text was found."""
    policies = policy.policies
    if not policies:
        return None
    if policy.collection_rules:
        return ItemResult(
            "I.1",
            Verdict.PASS,
            Confidence.HIGH,
            f"The privacy policy ({policies[0].location}) states rules for collecting and using personal "
            f"information ({len(policy.collection_rules)} sentence(s)).",
            (
                _document_ref(policy, policies[0]),
                *(sentence_ref(policy, s) for s in policy.collection_rules[:5]),
            ),
        )
    return ItemResult(
        "I.1",
        Verdict.VIOLATION,
        Confidence.HIGH,
        f"A privacy policy was found ({', '.join(d.location for d in policies)}) but it states no rules for "
        "collecting and using personal information (what is collected, why and how).",
        tuple(_document_ref(policy, d) for d in policies),
    )


def _policy_absent_on_device(bundle: EvidenceBundle) -> tuple[EvidenceRef, ...]:
    """Evidence that an exhaustive UI search found no policy screen (empty when there is none)."""
    device = device_of(bundle)
    if device is None:
        return ()
    return tuple(
        EvidenceRef(
            "policy_search",
            f"device.runs[{i}].policy_search",
            f"{r.id}: no policy screen in an exhaustive search to depth {r.policy_search.max_depth}",
        )
        for i, r in enumerate(device.runs)
        if r.policy_search is not None and not r.policy_search.found and r.policy_search.exhaustive
    )


def _policy_shown_on_device(bundle: EvidenceBundle) -> tuple[EvidenceRef, ...]:
    """Device evidence that the app shows a policy: a policy screen found, or a prompt linking one."""
    device = device_of(bundle)
    if device is None:
        return ()
    refs = [
        _search_ref(i, r, r.policy_search)
        for i, r in enumerate(device.runs)
        if r.policy_search is not None and r.policy_search.found
    ]
    for ri, run in enumerate(device.runs):
        for ei, e in run.events_of(CONSENT_PROMPT):
            screen = run.screen(e.screen)
            if screen is not None and screen.consent is not None and screen.consent.policy_links:
                refs.append(event_ref(ri, run, ei, e))
                break
    return tuple(refs)


@item("I.1")
def policy_published(bundle: EvidenceBundle) -> ItemResult:
    policy = policy_of(bundle)
    if policy is not None:
        decided = _from_policy_text(bundle, policy)
        if decided is not None:
            return decided
        searched = _policy_absent_on_device(bundle)
        if searched:
            return ItemResult(
                "I.1",
                Verdict.VIOLATION,
                Confidence.HIGH,
                "No privacy policy was found: the policy analysis read no policy text "
                f"({len(policy.documents)} document(s) read, none a privacy policy) and the device search of the "
                "app's screens found none.",
                (part_ref(bundle, "policy"), *searched),
            )
    shown = _policy_shown_on_device(bundle)
    if shown:
        return review(
            "I.1",
            "The app shows a privacy policy on the device (found by the UI search or linked from the consent "
            "prompt); whether it states collection and use rules needs its text analysed.",
            shown,
            POLICY,
        )
    hints, status = bundle.policy_hints, bundle.part("policy_hints")
    if hints is None or status is None or status.status in (Status.FAILED, Status.SKIPPED):
        return part_unavailable("I.1", bundle, "policy_hints", DEVICE, POLICY)
    if not (hints.documents or hints.urls or hints.policy_strings):
        if status.status is Status.PARTIAL:
            return ItemResult(
                "I.1",
                Verdict.INCONCLUSIVE,
                Confidence.LOW,
                "No privacy policy was found in the parts of the APK that could be read; some could not.",
                (part_ref(bundle, "policy_hints"),),
                needs=(DEVICE,),
            )
        return ItemResult(
            "I.1",
            Verdict.VIOLATION,
            Confidence.MEDIUM,
            "The APK contains no privacy-policy document, no policy URL and no policy string, so the app "
            "shows no collection and use rules (a policy fetched at run time would be seen by a device run).",
            (part_ref(bundle, "policy_hints"),),
            needs=(DEVICE,),
        )
    substantial = [(i, d) for i, d in enumerate(hints.documents) if _substantial(d)]
    if substantial:
        return ItemResult(
            "I.1",
            Verdict.PASS,
            Confidence.LOW,
            f"A privacy-policy document is bundled in the APK ({substantial[0][1].path}); whether it states "
            "the collection and use rules needs the policy text analysed.",
            tuple(_doc_ref(i, d) for i, d in substantial),
            needs=(POLICY,),
        )
    refs = (
        *(_doc_ref(i, d) for i, d in enumerate(hints.documents)),
        *(EvidenceRef("policy_hint", f"policy_hints.urls[{i}]", h.text) for i, h in enumerate(hints.urls)),
        *(
            EvidenceRef("policy_hint", f"policy_hints.policy_strings[{i}]", f"{h.location}: {h.text[:80]}")
            for i, h in enumerate(hints.policy_strings)
        ),
    )
    return review(
        "I.1",
        "The app refers to a privacy policy (URL or strings) but no substantial policy text is bundled; "
        "the policy may be online. Open it and check it states the collection and use rules.",
        refs,
        POLICY,
        DEVICE,
    )


def _first_prompt(run: DeviceRun) -> tuple[int, str | None] | None:
    """The first consent-prompt event of a run: (event index, screen id)."""
    found = run.events_of(CONSENT_PROMPT)
    return (found[0][0], found[0][1].screen) if found else None


def _prompt_from_device(bundle: EvidenceBundle) -> ItemResult | None:
    runs = fresh_runs(bundle)
    if not runs:
        return None
    linked, unlinked, silent, unseen = [], [], [], []
    for ri, run in runs:
        first = _first_prompt(run)
        if first is not None:
            ei, screen_id = first
            screen = run.screen(screen_id)
            refs = (event_ref(ri, run, ei, run.events[ei]), screen_ref(ri, run, screen_id))
            (linked if screen and screen.consent and screen.consent.policy_links else unlinked).append(refs)
        elif run.events_of(SCREEN):
            main = run.events_of(MAIN_REACHED)
            silent.append(
                (event_ref(ri, run, *main[0]),) if main else (screen_ref(ri, run, run.events_of(SCREEN)[0][1].screen),)
            )
        else:
            unseen.append(ri)
    if linked:
        return ItemResult(
            "I.2",
            Verdict.PASS,
            Confidence.HIGH,
            "On first run after a clean install, a consent prompt linking the privacy policy was shown "
            f"({len(linked)} of {len(runs)} fresh run(s)).",
            tuple(r for refs in linked for r in refs),
        )
    if unlinked:
        return ItemResult(
            "I.2",
            Verdict.VIOLATION,
            Confidence.MEDIUM,
            "On first run a consent prompt was shown, but it offers no link to the privacy policy, so the user "
            "is not prompted to read the rules.",
            tuple(r for refs in unlinked for r in refs),
        )
    if silent:
        return ItemResult(
            "I.2",
            Verdict.VIOLATION,
            Confidence.HIGH,
            f"No consent prompt appeared on first run after a clean install ({len(silent)} fresh run(s) observed, "
            "none showed a prompt to read the privacy policy).",
            tuple(r for refs in silent for r in refs),
        )
    return ItemResult(
        "I.2",
        Verdict.INCONCLUSIVE,
        Confidence.LOW,
        "The device runs recorded no screen, so whether a first-run prompt appears is unknown.",
        (part_ref(bundle, "device"),),
        needs=(DEVICE,),
    )


@item("I.2")
def first_run_prompt(bundle: EvidenceBundle) -> ItemResult:
    decided = _prompt_from_device(bundle)
    if decided is not None:
        return decided
    hints = bundle.policy_hints
    if hints is not None and (hints.consent_strings or hints.consent_layouts):
        refs = (
            *(
                EvidenceRef("policy_hint", f"policy_hints.consent_strings[{i}]", f"{h.location}: {h.text[:80]}")
                for i, h in enumerate(hints.consent_strings)
            ),
            *(
                EvidenceRef("policy_hint", f"policy_hints.consent_layouts[{i}]", layout)
                for i, layout in enumerate(hints.consent_layouts)
            ),
        )
        return review(
            "I.2",
            "Consent-dialog strings or layouts are in the APK, a hint that a first-run policy prompt exists; "
            "only a device run shows whether it appears on first start.",
            refs,
            DEVICE,
        )
    hint = (
        " No consent-dialog strings or layouts were found in the APK (a static hint that there may be no prompt)."
        if hints is not None
        else ""
    )
    return not_assessed(
        "I.2", "Whether a first-run popup prompts to read the policy needs a device run." + hint, DEVICE
    )


def _search_ref(ri: int, run: DeviceRun, search: PolicySearch) -> EvidenceRef:
    if search.found:
        detail = f"{run.id}: policy after {search.operations} operation(s): {' → '.join(search.path)}"
        if search.via_traffic:
            detail += f" (policy page {search.via_traffic} seen in traffic)"
    else:
        detail = f"{run.id}: not found; searched to depth {search.max_depth}, {search.states_visited} state(s), " + (
            "exhaustive" if search.exhaustive else "budget exhausted" if search.budget_exhausted else "partial"
        )
    return EvidenceRef("policy_search", f"device.runs[{ri}].policy_search", detail)


@item("I.3")
def policy_reachable(bundle: EvidenceBundle) -> ItemResult:
    device = device_of(bundle)
    searches = [(i, r, r.policy_search) for i, r in enumerate(device.runs) if r.policy_search] if device else []
    if not searches:
        return not_assessed(
            "I.3",
            "The click path from the main interface to the policy is measured on a device (UI exploration).",
            DEVICE,
        )
    found = sorted(
        ((i, r, s) for i, r, s in searches if s.found and s.operations is not None), key=lambda x: x[2].operations or 0
    )
    limit = MAX_POLICY_OPERATIONS
    if found and (found[0][2].operations or 0) <= limit:
        i, r, s = found[0]
        return ItemResult(
            "I.3",
            Verdict.PASS,
            Confidence.HIGH,
            f"The privacy policy is {s.operations} operation(s) from the main interface (at most {limit} allowed).",
            (_search_ref(i, r, s),),
        )
    if found:
        i, r, s = found[0]
        return ItemResult(
            "I.3",
            Verdict.VIOLATION,
            Confidence.HIGH,
            f"The privacy policy needs {s.operations} operations from the main interface; the rules allow at "
            f"most {limit}. The breadth-first search found no shorter path.",
            (_search_ref(i, r, s),),
        )
    proven = [(i, r, s) for i, r, s in searches if s.exhaustive and s.max_depth >= limit]
    if proven:
        i, r, s = proven[0]
        return ItemResult(
            "I.3",
            Verdict.VIOLATION,
            Confidence.HIGH,
            f"No screen showing the privacy policy is reachable within {s.max_depth} operations from the main "
            f"interface (every state searched to that depth; the rules allow at most {limit}).",
            (_search_ref(i, r, s),),
        )
    return ItemResult(
        "I.3",
        Verdict.INCONCLUSIVE,
        Confidence.LOW,
        f"The policy was not found, but the search did not cover every state to depth {limit} "
        "(budget exhausted or partial), so a longer path is not proven.",
        tuple(_search_ref(i, r, s) for i, r, s in searches),
        needs=(f"{DEVICE} with a larger exploration budget",),
    )


@item("I.4")
def policy_readable(bundle: EvidenceBundle) -> ItemResult:
    policy = policy_of(bundle)
    if policy is not None and policy.policies:
        simplified = [d for d in policy.policies if d.language == "zh-Hans"]
        refs = tuple(_document_ref(policy, d) for d in (simplified or policy.policies))
        if not simplified:
            return review(
                "I.4",
                "No privacy-policy text in Simplified Chinese was found (languages: "
                + ", ".join(sorted({d.language or "unknown" for d in policy.policies}))
                + "); check whether the app offers one.",
                refs,
                DEVICE,
            )
        return review(
            "I.4",
            "A Simplified Chinese policy exists; whether its text size, contrast and layout make it easy to read "
            "is judged on its screen.",
            refs,
            DEVICE,
        )
    docs = bundle.policy_hints.documents if bundle.policy_hints else ()
    if docs and not any(d.language == "zh-Hans" for d in docs):
        return review(
            "I.4",
            "No bundled policy document is in Simplified Chinese; check whether a Simplified Chinese version "
            "is offered.",
            tuple(_doc_ref(i, d) for i, d in enumerate(docs)),
            POLICY,
            DEVICE,
        )
    return not_assessed(
        "I.4", "Readability (language, text size, contrast) needs the policy text and its screen.", POLICY, DEVICE
    )
