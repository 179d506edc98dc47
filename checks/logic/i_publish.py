"""I. Collection and use rules not published (未公开收集使用规则): items I.1–I.4."""

from __future__ import annotations

from appaudit.checker.model import Confidence, EvidenceRef, ItemResult, Verdict
from appaudit.checks.logic import DEVICE, POLICY, item, not_assessed, part_ref, part_unavailable, review
from appaudit.evidence.model import EvidenceBundle, PolicyDocument, Status

# A bundled policy shorter than this is a stub or a link page rather than the rules themselves.
MIN_POLICY_BYTES = 1000


def _substantial(doc: PolicyDocument) -> bool:
    return doc.size >= MIN_POLICY_BYTES and bool(doc.title or doc.keywords)


def _doc_ref(i: int, doc: PolicyDocument) -> EvidenceRef:
    return EvidenceRef(
        "policy_hint", f"policy_hints.documents[{i}]", f"{doc.path} ({doc.size} bytes, title {doc.title!r})"
    )


@item("I.1")
def policy_published(bundle: EvidenceBundle) -> ItemResult:
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


@item("I.2")
def first_run_prompt(bundle: EvidenceBundle) -> ItemResult:
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


@item("I.3")
def policy_reachable(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed(
        "I.3", "The click path from the main interface to the policy is measured on a device (UI exploration).", DEVICE
    )


@item("I.4")
def policy_readable(bundle: EvidenceBundle) -> ItemResult:
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
