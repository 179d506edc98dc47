"""The scope section: what this run did not assess, and the status of every evidence part."""

from __future__ import annotations

from appaudit.evidence.model import EvidenceBundle, PartStatus
from appaudit.report.i18n import tr
from appaudit.report.view.availability import EXPECTED_PARTS, part_label
from appaudit.report.view.cells import capped, clip, join_list
from appaudit.report.view.model import Availability, Badge, Cell, Fact, Notice, Row, Section, Table
from appaudit.report.view.tables import table_columns

# What this version never assesses, whatever the evidence: shown in the scope section.
# English message ids: translated where they are shown (not_assessed_facts).
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

# Which evidence part, once collected, removes which "not assessed" entry.
_COVERED_BY_PART = {
    "Network traffic capture": "traffic",
    "Device runs and UI": "device",
    "Privacy-policy text analysis": "policy",
}


def not_assessed_facts(bundle: EvidenceBundle, *, verdicts_included: bool) -> tuple[tuple[str, str], ...]:
    """What this run did not assess: the dynamic sources it lacks, and the limits of static analysis."""
    collected = [
        name for name in ("traffic", "device", "policy")
        if (p := bundle.part(name)) is not None and p.status.value in ("ok", "partial")
    ]  # fmt: skip
    sources = join_list([tr("static"), *(tr(_SOURCE_WORDS[name]) for name in collected)])
    out = []
    for title, text in NOT_ASSESSED:
        if _COVERED_BY_PART.get(title) in collected:
            continue
        if title == "The 31-item verdicts" and verdicts_included:
            out.append(
                (
                    tr("Items that need other evidence"),
                    tr(
                        "Verdicts below come from the evidence of this run ({sources}): items that need evidence it "
                        "lacks, or an auditor, are marked not assessed, never pass.",
                        sources=sources,
                    ),
                )
            )
        else:
            out.append((tr(title), tr(text)))
    return tuple(out)


# The evidence sources of a run, as named in the sentence above (English message ids).
_SOURCE_WORDS = {"traffic": "traffic", "device": "device", "policy": "policy"}

# Part state -> (badge text (message id), badge class, row class).
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
        notes = Cell(text=tr("This run recorded no such step: its results are not assessed."))
    else:
        state = part.status.value
        time = Cell(text=tr("{seconds} s", seconds=f"{part.seconds:.1f}"), css="num")
        errors = tuple(f"{e.scope}: {e.message}" for e in part.errors)
        shown, more = capped(errors, 20)
        notes = Cell(text=part.note, items=shown, more=more, css="errors" if errors else "")
    text, badge_css, row_css = _STATUS_SHOWN[state]
    return Row(
        (Cell(text=part_label(name), sub=name), Cell(badge=Badge(tr(text), badge_css)), time, notes), css=row_css
    )


def _scope_intro(bundle: EvidenceBundle) -> str:
    dynamic = [p for p in (bundle.part(n) for n in ("traffic", "device", "policy")) if p is not None]
    if not dynamic:
        return tr(
            "Static analysis only: this report describes what the APK file contains and what its "
            "code could do, not what the app was seen doing."
        )
    names = join_list([part_label(p.name).lower() for p in dynamic])
    return tr("Static analysis of the APK, with evidence from: {names} (status of each below).", names=names)


def scope_section(bundle: EvidenceBundle, *, verdicts_included: bool = False) -> Section:
    """What was not validated, failed parts first, then every part's status, time and errors."""
    names = list(EXPECTED_PARTS) + sorted({p.name for p in bundle.parts} - set(EXPECTED_PARTS))
    rows = [_part_row(name, bundle.part(name)) for name in names]
    notices: list[Notice] = [
        Notice(
            "n-info",
            tr("Not assessed in this run"),
            tr("The following were not assessed, so nothing in this report says they are fine:"),
            facts=tuple(
                Fact(t, Cell(text=d)) for t, d in not_assessed_facts(bundle, verdicts_included=verdicts_included)
            ),
        )
    ]
    bad = [r for r in rows if r.css == "row-bad"]
    if bad:
        notices.insert(
            0,
            Notice(
                "n-bad",
                tr("{n} evidence part failed or not recorded", n=len(bad))
                if len(bad) == 1
                else tr("{n} evidence parts failed or not recorded", n=len(bad)),
                tr("Sections built on them say “not assessed”: an empty result there is not a clean result."),
                items=tuple(r.cells[0].text for r in bad),
            ),
        )
    if bundle.archive_anomalies:
        notices.append(
            Notice(
                "n-warn",
                tr("Archive anomalies"),
                tr("The APK container has irregularities; some tools or devices may read it differently."),
                items=tuple(clip(a)[0] for a in bundle.archive_anomalies),
            )
        )
    parts_table = Table(
        tr("Evidence parts"),
        table_columns((tr("Part"), tr("Status"), tr("Time"), tr("Notes and errors")), rows),
        tuple(rows),
        len(rows),
        tr("No evidence part was recorded."),
        "empty-not-assessed",
        count_text=str(len(rows)),
    )
    return Section(
        id="scope",
        title=tr("Scope and what was not validated"),
        availability=Availability("ok", "", "", "st-ok"),
        intro=(_scope_intro(bundle),),
        notices=tuple(notices),
        tables=(parts_table,),
    )
