"""The privacy-policy text section: the documents read and what they declare, each row quoting its sentence."""

from __future__ import annotations

from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.policy_text import PolicyEvidence
from appaudit.report.i18n import tr
from appaudit.report.view.availability import part_availability
from appaudit.report.view.cells import clip, na
from appaudit.report.view.model import Badge, Cell, Row, Section
from appaudit.report.view.tables import TableMaker

# Recorded keys in words (English message ids); an unknown key is shown as recorded.
_CONTACT_KINDS = {"email": "email", "phone": "phone", "web": "web", "address": "address", "in_app": "in_app"}
_UNITS = {"working_days": "working days", "days": "days", "hours": "hours"}
_APPLIES_TO = {"requests": "requests", "complaints": "complaints", "both": "both"}
_RIGHTS = {
    "withdraw": "withdraw",
    "correct": "correct",
    "delete": "delete",
    "cancel_account": "cancel account",
    "targeting_opt_out": "targeting opt out",
    "complaint": "complaint",
}


def _word(words: dict[str, str], key: str, *, spaced: bool = True) -> str:
    if key in words:
        return tr(words[key])
    return key.replace("_", " ") if spaced else key


def _quote(policy: PolicyEvidence, sentence_id: str) -> Cell:
    sentence = policy.sentence(sentence_id)
    if sentence is None:
        return na(tr("(sentence not recorded)"))
    return Cell(text=f"“{clip(sentence.text, 220)[0]}”", sub=sentence.section or "", css="small")


def policy_text_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    policy = bundle.policy
    avail = part_availability(bundle, "policy", present=policy is not None)
    table = TableMaker(avail, max_rows)
    if policy is None:
        return Section(
            id="policy-text",
            title=tr("Privacy-policy text"),
            availability=avail,
            intro=(
                tr(
                    "No policy text was analysed: none is bundled in the APK. Give it with `--policy FILE|URL`, or "
                    "capture the app loading it."
                ),
            ),
        )
    docs = [
        Row(
            (
                Cell(text=d.location, sub=d.source, mono=True, css="small"),
                Cell(text=d.title or "—"),
                Cell(text=d.language or tr("unknown")),
                Cell(text=str(d.chars), css="num"),
                Cell(
                    badge=Badge(tr("privacy policy"), "b-ok")
                    if d.is_privacy_policy
                    else Badge(tr("not a policy"), "b-warn")
                ),
            )
        )
        for d in policy.documents
    ]
    sdks = [
        Row(
            (
                Cell(text=s.name, sub=s.vendor or ""),
                Cell(text=s.sdk_id, mono=True) if s.sdk_id else na(tr("not matched")),
                Cell(chips=s.pi_types) if s.pi_types else na("—"),
                Cell(text=s.purpose) if s.purpose else na(tr("no purpose stated")),
                _quote(policy, s.sentence),
            )
        )
        for s in policy.declared_sdks
    ]
    pi = [
        Row(
            (
                Cell(text=d.phrase),
                Cell(chips=d.pi_types) if d.pi_types else na(tr("unmapped")),
                Cell(text=d.purpose) if d.purpose else na("—"),
                _quote(policy, d.sentence),
            )
        )
        for d in policy.declared_pi
    ]
    channels = (
        [
            Row(
                (
                    Cell(text=_word(_CONTACT_KINDS, c.kind, spaced=False)),
                    Cell(text=c.value, mono=True),
                    _quote(policy, c.sentence),
                )
            )
            for c in policy.contacts
        ]
        + [
            Row(
                (
                    Cell(
                        text=tr("time limit ({applies_to})", applies_to=_word(_APPLIES_TO, t.applies_to, spaced=False))
                    ),
                    Cell(
                        text=tr(
                            "{amount} {unit} (≈ {working_days} working days)",
                            amount=t.amount,
                            unit=_word(_UNITS, t.unit),
                            working_days=f"{t.working_days:.1f}",
                        )
                    ),
                    _quote(policy, t.sentence),
                )
            )
            for t in policy.response_times
        ]
        + [Row((Cell(text=_word(_RIGHTS, r.kind)), na("—"), _quote(policy, r.sentence))) for r in policy.rights]
    )
    return Section(
        id="policy-text",
        title=tr("Privacy-policy text"),
        availability=avail,
        intro=(
            tr(
                "What the policy declares, each row with the sentence it was read from. Declared is compared with "
                "observed in items II.1, III.9 and V.1."
            ),
        ),
        tables=(
            table(
                tr("Documents read"),
                tuple(tr(c) for c in ("Document", "Title", "Language", "Characters", "Kind")),
                docs,
                tr("None."),
                noun=tr("documents"),
            ),
            table(
                tr("Third-party SDKs declared")
                if policy.has_sdk_list
                else tr("Third-party SDKs declared (no SDK list found)"),
                tuple(tr(c) for c in ("SDK as written", "Matched", "PI types", "Purpose", "Sentence")),
                sdks,
                tr("The policy names no third-party SDK."),
                noun=tr("SDKs"),
            ),
            table(
                tr("Personal information declared"),
                tuple(tr(c) for c in ("As written", "PI types", "Purpose", "Sentence")),
                pi,
                tr("The policy declares no personal information that appaudit recognised."),
                noun=tr("declarations"),
            ),
            table(
                tr("Rights, channels and time limits"),
                tuple(tr(c) for c in ("What", "Value", "Sentence")),
                channels,
                tr("No complaint channel, time limit or right was found in the policy."),
                noun=tr("statements"),
            ),
        ),
    )
