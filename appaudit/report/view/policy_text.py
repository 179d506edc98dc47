"""The privacy-policy text section: the documents read and what they declare, each row quoting its sentence."""

from __future__ import annotations

from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.policy_text import PolicyEvidence
from appaudit.report.view.availability import part_availability
from appaudit.report.view.cells import clip, na
from appaudit.report.view.model import Badge, Cell, Row, Section
from appaudit.report.view.tables import TableMaker


def _quote(policy: PolicyEvidence, sentence_id: str) -> Cell:
    sentence = policy.sentence(sentence_id)
    if sentence is None:
        return na("(sentence not recorded)")
    return Cell(text=f"“{clip(sentence.text, 220)[0]}”", sub=sentence.section or "", css="small")


def policy_text_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    policy = bundle.policy
    avail = part_availability(bundle, "policy", present=policy is not None)
    table = TableMaker(avail, max_rows)
    if policy is None:
        return Section(
            id="policy-text",
            title="Privacy-policy text",
            availability=avail,
            intro=(
                "No policy text was analysed: none is bundled in the APK. Give it with `--policy FILE|URL`, or "
                "capture the app loading it.",
            ),
        )
    docs = [
        Row(
            (
                Cell(text=d.location, sub=d.source, mono=True, css="small"),
                Cell(text=d.title or "—"),
                Cell(text=d.language or "unknown"),
                Cell(text=str(d.chars), css="num"),
                Cell(badge=Badge("privacy policy", "b-ok") if d.is_privacy_policy else Badge("not a policy", "b-warn")),
            )
        )
        for d in policy.documents
    ]
    sdks = [
        Row(
            (
                Cell(text=s.name, sub=s.vendor or ""),
                Cell(text=s.sdk_id, mono=True) if s.sdk_id else na("not matched"),
                Cell(chips=s.pi_types) if s.pi_types else na("—"),
                Cell(text=s.purpose) if s.purpose else na("no purpose stated"),
                _quote(policy, s.sentence),
            )
        )
        for s in policy.declared_sdks
    ]
    pi = [
        Row(
            (
                Cell(text=d.phrase),
                Cell(chips=d.pi_types) if d.pi_types else na("unmapped"),
                Cell(text=d.purpose) if d.purpose else na("—"),
                _quote(policy, d.sentence),
            )
        )
        for d in policy.declared_pi
    ]
    channels = (
        [Row((Cell(text=c.kind), Cell(text=c.value, mono=True), _quote(policy, c.sentence))) for c in policy.contacts]
        + [
            Row(
                (
                    Cell(text=f"time limit ({t.applies_to})"),
                    Cell(text=f"{t.amount} {t.unit.replace('_', ' ')} (≈ {t.working_days:.1f} working days)"),
                    _quote(policy, t.sentence),
                )
            )
            for t in policy.response_times
        ]
        + [Row((Cell(text=r.kind.replace("_", " ")), na("—"), _quote(policy, r.sentence))) for r in policy.rights]
    )
    return Section(
        id="policy-text",
        title="Privacy-policy text",
        availability=avail,
        intro=(
            "What the policy declares, each row with the sentence it was read from. Declared is compared with "
            "observed in items II.1, III.9 and V.1.",
        ),
        tables=(
            table(
                "Documents read",
                ("Document", "Title", "Language", "Characters", "Kind"),
                docs,
                "None.",
                noun="documents",
            ),
            table(
                "Third-party SDKs declared" + ("" if policy.has_sdk_list else " (no SDK list found)"),
                ("SDK as written", "Matched", "PI types", "Purpose", "Sentence"),
                sdks,
                "The policy names no third-party SDK.",
                noun="SDKs",
            ),
            table(
                "Personal information declared",
                ("As written", "PI types", "Purpose", "Sentence"),
                pi,
                "The policy declares no personal information that appaudit recognised.",
                noun="declarations",
            ),
            table(
                "Rights, channels and time limits",
                ("What", "Value", "Sentence"),
                channels,
                "No complaint channel, time limit or right was found in the policy.",
                noun="statements",
            ),
        ),
    )
