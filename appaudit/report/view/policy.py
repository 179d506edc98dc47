"""The privacy-policy hints section: documents, URLs, strings and layouts that hint at a policy."""

from __future__ import annotations

from collections.abc import Iterable

from appaudit.evidence.model import EvidenceBundle, PolicyDocument, PolicyHints, TextHint
from appaudit.report.i18n import tr
from appaudit.report.view.availability import part_availability
from appaudit.report.view.cells import clip, human_size, na
from appaudit.report.view.model import Cell, Row, Section
from appaudit.report.view.tables import TableMaker

_NO_HINTS = PolicyHints(urls=(), documents=(), policy_strings=(), consent_strings=())
# Column labels are English message ids, translated where the tables are built.
_DOCUMENT_COLUMNS = ("Path", "Kind", "Size", "Title", "Language", "Keywords")
_HINT_COLUMNS = ("Text", "Found in", "Keywords")


def _document_rows(documents: Iterable[PolicyDocument]) -> list[Row]:
    return [
        Row(
            (
                Cell(text=d.path, mono=True),
                Cell(text=d.kind),
                Cell(text=human_size(d.size), css="num"),
                Cell(text=clip(d.title, 200)[0]) if d.title else na("—"),
                Cell(text=d.language) if d.language else na(tr("unknown")),
                Cell(chips=tuple(d.keywords)),
            )
        )
        for d in sorted(documents, key=lambda d: d.path)
    ]


def _hint_rows(hints: Iterable[TextHint]) -> list[Row]:
    rows = []
    for h in sorted(hints, key=lambda h: (h.location, h.text)):
        text, full = clip(h.text)
        rows.append(
            Row(
                (
                    Cell(text=text, title=full),
                    Cell(text=h.location, mono=True, css="small"),
                    Cell(chips=tuple(h.keywords)),
                )
            )
        )
    return rows


def policy_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    """One table per kind of hint; the policy text itself is not analysed."""
    avail = part_availability(bundle, "policy_hints", present=bundle.policy_hints is not None)
    table = TableMaker(avail, max_rows)
    hints = bundle.policy_hints if bundle.policy_hints is not None and avail.assessed else _NO_HINTS
    layouts = [Row((Cell(text=lay, mono=True),)) for lay in sorted(hints.consent_layouts)]
    hint_columns = tuple(tr(c) for c in _HINT_COLUMNS)
    return Section(
        id="policy-hints",
        title=tr("Privacy-policy hints"),
        availability=avail,
        intro=(
            tr(
                "Clues that the app ships or links a privacy policy and shows a consent dialog. They are hints "
                "only: the policy text was not analysed. URLs are shown as text and are not links."
            ),
        ),
        tables=(
            table(
                tr("Policy documents in the APK"),
                tuple(tr(c) for c in _DOCUMENT_COLUMNS),
                _document_rows(hints.documents),
                tr("No policy document was found in the APK."),
                noun=tr("documents"),
            ),
            table(
                tr("Policy URLs"), hint_columns, _hint_rows(hints.urls), tr("No policy URL was found."), noun=tr("URLs")
            ),
            table(
                tr("Policy strings"),
                hint_columns,
                _hint_rows(hints.policy_strings),
                tr("No policy string was found."),
                noun=tr("strings"),
            ),
            table(
                tr("Consent strings"),
                hint_columns,
                _hint_rows(hints.consent_strings),
                tr("No consent string was found."),
                noun=tr("strings"),
            ),
            table(
                tr("Consent layouts"),
                (tr("Layout"),),
                layouts,
                tr("No consent layout was found."),
                noun=tr("layouts"),
            ),
        ),
    )
