"""The 31 items, grouped by the 6 categories: verdict, confidence, the official text, evidence inline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from appaudit.checker.model import CheckResult, ItemResult, Verdict
from appaudit.checker.score import sources_of
from appaudit.checks.catalog import CatalogItem, load_catalog
from appaudit.evidence.model import EvidenceBundle
from appaudit.report.i18n import current, pick, tr, tr_known
from appaudit.report.view.evidence_inline import resolve_all
from appaudit.report.view.model import CategoryView, Cell, Fact, ItemView, Notice, VerdictCount
from appaudit.report.view.statements import statement
from appaudit.report.view.verdicts import (
    LEVEL_LABELS,
    SERIOUSNESS,
    SOURCE_LABELS,
    anchor,
    confidence_label,
    verdict_badge,
    verdict_css,
    verdict_label,
)

MAX_INLINE_EVIDENCE = 6


def verdict_counts(results: Sequence[ItemResult]) -> tuple[VerdictCount, ...]:
    """How many results have each verdict, most serious first; every verdict listed, zeros included."""
    return tuple(
        VerdictCount(verdict_label(v), sum(1 for r in results if r.verdict is v), verdict_css(v), v.value)
        for v in SERIOUSNESS
    )


def category_views(
    check: CheckResult, bundle: EvidenceBundle, prefix: str, *, with_items: bool = True, artifacts: Path | None = None
) -> tuple[CategoryView, ...]:
    """The 6 categories in the document's order, each with its verdict counts (and its items)."""
    catalog = load_catalog()
    by_id = {r.item_id: r for r in check.results}
    out = []
    for cat in catalog.categories:
        results = [by_id[i.id] for i in catalog.in_category(cat.id) if i.id in by_id]
        items = tuple(_item_view(by_id[i.id], i, bundle, prefix, artifacts) for i in catalog.in_category(cat.id)
                      if i.id in by_id) if with_items else ()  # fmt: skip
        out.append(
            CategoryView(
                id=cat.id,
                anchor=f"{prefix}cat-{cat.id}",
                title=pick(cat.title_en, cat.title_zh),
                title_zh=cat.title_zh,
                counts=verdict_counts(results),
                items=items,
            )
        )
    return tuple(out)


def _item_view(
    r: ItemResult, item: CatalogItem, bundle: EvidenceBundle, prefix: str, artifacts: Path | None
) -> ItemView:
    evidence, more = resolve_all(
        bundle, r.evidence, artifacts, limit=MAX_INLINE_EVIDENCE, id_prefix=f"{anchor(prefix, r.item_id)}-"
    )
    auditor = None
    summary = r.summary
    if r.source == "auditor" and r.assessment is not None:
        a = r.assessment
        was = r.machine_verdict.value if r.machine_verdict else None
        auditor = Notice(
            "n-human",
            tr("Auditor's judgement (a person decided this, not appaudit)"),
            text=a.note,
            facts=(
                Fact(tr("Auditor"), Cell(text=a.auditor)),
                Fact(tr("Date"), Cell(text=a.date)),
                Fact(tr("Machine verdict it replaced"), Cell(text=verdict_label(Verdict(was)) if was else "—")),
                Fact(tr("Recorded in"), Cell(text=a.source or "—")),
            ),
        )
        summary = a.note
    suppressed = ""
    if r.suppressed_by is not None:
        suppressed = tr("Accepted until {date}: {reason}", date=r.suppressed_by.expires, reason=r.suppressed_by.reason)
    sources = sorted(sources_of(r)) if r.verdict in (Verdict.VIOLATION, Verdict.PASS) else []
    return ItemView(
        id=r.item_id,
        anchor=anchor(prefix, r.item_id),
        title=tr(item.title_en),
        text_zh=item.text_zh,
        text_en=item.text_en,
        verdict=verdict_badge(r),
        verdict_key=r.verdict.value,
        confidence=confidence_label(r.confidence),
        level=tr(LEVEL_LABELS.get(item.level, item.level)),
        decided_by=tuple(tr(SOURCE_LABELS.get(s, s)) for s in sources),
        statement=statement(r.item_id, r.verdict.value, current()),
        summary=summary,
        evidence=evidence,
        more_evidence=more,
        needs=tuple(tr_known(n) for n in r.needs),
        auditor=auditor,
        suppressed=suppressed,
        css=f"item v-{r.verdict.value}",
    )
