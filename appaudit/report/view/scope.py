"""The scope section: what this run did not assess, and the status of every evidence part."""

from __future__ import annotations

from appaudit.evidence.model import EvidenceBundle, PartStatus
from appaudit.report.view.availability import EXPECTED_PARTS, PART_LABELS
from appaudit.report.view.cells import capped, clip
from appaudit.report.view.model import Availability, Badge, Cell, Fact, Notice, Row, Section, Table
from appaudit.report.view.tables import table_columns

# What this version never assesses, whatever the evidence: shown in the scope section.
NOT_ASSESSED: tuple[tuple[str, str], ...] = (
    (
        "Network traffic capture",
        "No proxy session was run: what the app actually sends, when, and to whom was not observed.",
    ),
    (
        "Device runs and UI",
        "The app was not installed or launched: first-run consent dialogs, permission prompts, "
        "click paths and refusal behaviour were not observed.",
    ),
    (
        "Privacy-policy text analysis",
        "Policy documents and links are listed below as hints, but their content was not read or "
        "compared with the app's behaviour.",
    ),
    (
        "The 31-item verdicts",
        "This version produces evidence only: no item of the Determination Rules "
        "(《App违法违规收集使用个人信息行为认定方法》) has a verdict in this report.",
    ),
    (
        "Code outside the APK's DEX files",
        "Code downloaded or decrypted at run time, and calls made through reflection or native "
        "libraries, can escape static analysis.",
    ),
)

# With the checker's verdicts in the report, the 31 items are no longer "not produced"; items the
# static evidence cannot decide say so in the items section itself.
NOT_ASSESSED_WITH_VERDICTS = tuple(
    (title, text)
    if title != "The 31-item verdicts"
    else (
        "Items that need other evidence",
        "Verdicts below come from static evidence only: items that need traffic, a device run, the "
        "policy text or an auditor are marked not assessed, never pass.",
    )
    for title, text in NOT_ASSESSED
)

# Part state -> (badge text, badge class, row class).
_STATUS_SHOWN = {
    "ok": ("ok", "b-ok", ""),
    "partial": ("partial", "b-warn", "row-warn"),
    "failed": ("FAILED", "b-bad", "row-bad"),
    "skipped": ("skipped", "b-muted", "row-muted"),
    "missing": ("not recorded", "b-bad", "row-bad"),
}


def _part_row(name: str, part: PartStatus | None) -> Row:
    if part is None:
        state = "missing"
        time = Cell(text="—", css="num")
        notes = Cell(text="This run recorded no such step: its results are not assessed.")
    else:
        state = part.status.value
        time = Cell(text=f"{part.seconds:.1f} s", css="num")
        errors = tuple(f"{e.scope}: {e.message}" for e in part.errors)
        shown, more = capped(errors, 20)
        notes = Cell(text=part.note, items=shown, more=more, css="errors" if errors else "")
    text, badge_css, row_css = _STATUS_SHOWN[state]
    label = PART_LABELS.get(name, name)
    return Row((Cell(text=label, sub=name), Cell(badge=Badge(text, badge_css)), time, notes), css=row_css)


def scope_section(bundle: EvidenceBundle, *, verdicts_included: bool = False) -> Section:
    """What was not validated, failed parts first, then every part's status, time and errors."""
    names = list(EXPECTED_PARTS) + sorted({p.name for p in bundle.parts} - set(EXPECTED_PARTS))
    rows = [_part_row(name, bundle.part(name)) for name in names]
    notices: list[Notice] = [
        Notice(
            "n-info",
            "Not assessed in this run",
            "Static analysis only. The following were not assessed, so nothing in this report says they are fine:",
            facts=tuple(
                Fact(t, Cell(text=d)) for t, d in (NOT_ASSESSED_WITH_VERDICTS if verdicts_included else NOT_ASSESSED)
            ),
        )
    ]
    bad = [r for r in rows if r.css == "row-bad"]
    if bad:
        notices.insert(
            0,
            Notice(
                "n-bad",
                f"{len(bad)} evidence part{'s' if len(bad) != 1 else ''} failed or not recorded",
                "Sections built on them say “not assessed”: an empty result there is not a clean result.",
                items=tuple(r.cells[0].text for r in bad),
            ),
        )
    if bundle.archive_anomalies:
        notices.append(
            Notice(
                "n-warn",
                "Archive anomalies",
                "The APK container has irregularities; some tools or devices may read it differently.",
                items=tuple(clip(a)[0] for a in bundle.archive_anomalies),
            )
        )
    parts_table = Table(
        "Evidence parts",
        table_columns(("Part", "Status", "Time", "Notes and errors"), rows),
        tuple(rows),
        len(rows),
        "No evidence part was recorded.",
        "empty-not-assessed",
        count_text=str(len(rows)),
    )
    return Section(
        id="scope",
        title="Scope and what was not validated",
        availability=Availability("ok", "", "", "st-ok"),
        intro=(
            "Static analysis only: this report describes what the APK file contains and what its "
            "code could do, not what the app was seen doing.",
        ),
        notices=tuple(notices),
        tables=(parts_table,),
    )
