"""How verdicts look in the report: labels, badge classes, and the order of seriousness."""

from __future__ import annotations

from appaudit.checker.model import ItemResult, Verdict
from appaudit.evidence.model import Confidence
from appaudit.report.i18n import tr
from appaudit.report.view.model import Badge

# verdict -> (English label = msgid, badge class); the order is the order of seriousness.
_SHOWN: dict[Verdict, tuple[str, str]] = {
    Verdict.VIOLATION: ("violation", "b-bad"),
    Verdict.ERROR: ("error", "b-bad"),
    Verdict.NEEDS_REVIEW: ("needs review", "b-warn"),
    Verdict.INCONCLUSIVE: ("inconclusive", "b-warn"),
    Verdict.NOT_ASSESSED: ("not assessed", "b-muted"),
    Verdict.PASS: ("pass", "b-ok"),
}
SERIOUSNESS: tuple[Verdict, ...] = tuple(_SHOWN)
_CONFIDENCE_RANK = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2, None: 3}
CONFIDENCE_LABELS = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}
LEVEL_LABELS = {"auto": "automatic", "assisted": "assisted (machine evidence, human decision)", "manual": "manual"}
SOURCE_LABELS = {
    "static": "static analysis",
    "traffic": "captured traffic",
    "ui": "device UI",
    "policy": "policy text",
    "auditor": "auditor",
}


# What each verdict means, for the reader of the report (English message ids).
VERDICT_MEANINGS: tuple[tuple[Verdict, str], ...] = (
    (Verdict.VIOLATION, "The evidence shows the behaviour the item describes; the evidence is cited."),
    (Verdict.PASS, "The evidence needed to decide the item was collected and shows no such behaviour."),
    (Verdict.NEEDS_REVIEW, "appaudit found something concrete for a person to judge; it is not a decision."),
    (
        Verdict.INCONCLUSIVE,
        "The evidence was collected but cannot settle the item (a search cut short, traffic that could not be read).",
    ),
    (Verdict.NOT_ASSESSED, "The evidence this item needs was not collected in this run; it never counts as a pass."),
    (Verdict.ERROR, "appaudit's check failed on this item; the failure says nothing about the app."),
)


def verdict_meanings() -> tuple[tuple[Badge, str], ...]:
    """Each verdict's badge with its meaning, in the current language."""
    return tuple((Badge(verdict_label(v), verdict_css(v)), tr(text)) for v, text in VERDICT_MEANINGS)


def verdict_label(verdict: Verdict) -> str:
    return tr(_SHOWN[verdict][0])


def verdict_badge(r: ItemResult) -> Badge:
    label, css = _SHOWN[r.verdict]
    who = tr("auditor's verdict") if r.source == "auditor" else tr("machine verdict")
    return Badge(tr(label), css, title=who)


def verdict_css(verdict: Verdict) -> str:
    return _SHOWN[verdict][1]


def confidence_label(c: Confidence | None) -> str:
    return tr(CONFIDENCE_LABELS[c]) if c is not None else "—"


def seriousness_key(r: ItemResult) -> tuple[int, int]:
    """Sort key: the most serious verdict first, then the most confident."""
    return SERIOUSNESS.index(r.verdict), _CONFIDENCE_RANK.get(r.confidence, 3)


def anchor(prefix: str, item_id: str) -> str:
    return f"{prefix}item-{item_id.replace('.', '-')}"
