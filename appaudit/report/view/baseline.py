"""The baseline section: what changed since the previous release (--baseline).

Two things are compared. The evidence (``CheckResult.baseline``: permissions, SDKs, start-up
findings, endpoints, PI types, policy hints added or removed), and the verdicts: the previous
release's evidence is evaluated again by this version's checks, so a changed verdict reflects a
changed app, not changed rules. A verdict that moved only because one side lacks a kind of evidence
(a device run, a capture) is said to be so, not shown as an improvement.
"""

from __future__ import annotations

from appaudit.checker.baseline import BaselineDiff, Change
from appaudit.checker.model import CheckResult, ItemResult, Verdict
from appaudit.evidence.model import EvidenceBundle
from appaudit.report.i18n import tr
from appaudit.report.view.cells import clip
from appaudit.report.view.model import Availability, Badge, Cell, Fact, Notice, Row, Section
from appaudit.report.view.tables import TableMaker
from appaudit.report.view.verdicts import SERIOUSNESS, anchor, verdict_badge, verdict_css, verdict_label

_KIND_LABELS = {
    "permission": "permission",
    "sdk": "SDK",
    "startup_finding": "start-up finding",
    "endpoint": "endpoint",
    "pi_type": "PI type",
    "policy_document": "policy document",
    "policy_url": "policy URL",
}
_DYNAMIC_PARTS = ("traffic", "device", "policy")
_JUDGES_THE_CHANGE = frozenset({"II.2"})


def baseline_section(
    check: CheckResult | None,
    bundle: EvidenceBundle,
    previous: EvidenceBundle | None,
    prefix: str,
    max_rows: int,
    previous_check: CheckResult | None = None,
) -> Section | None:
    """The section, or None when no baseline was given."""
    diff = check.baseline if check is not None else None
    if diff is None:
        return None
    avail = Availability("ok", tr("Compared"), "", "st-ok")
    table = TableMaker(avail, max_rows)
    notices: list[Notice] = []
    if diff.same_package is False:
        notices.append(Notice("n-bad", tr("The baseline is a different app"),
                              text=tr("{previous} is not the same package as {current}: the comparison is not "
                                      "meaningful.", previous=diff.previous, current=diff.current)))  # fmt: skip
    if diff.incomparable:
        notices.append(Notice("n-warn", tr("Not compared"),
                              text=tr("These kinds were not compared because their evidence is unusable in one of "
                                      "the two releases; absence of a change there means nothing:"),
                              items=tuple(tr(_KIND_LABELS.get(k, k)) for k in diff.incomparable)))  # fmt: skip
    verdict_rows, uneven = (
        _verdict_rows(check, bundle, previous, prefix, previous_check) if previous is not None else ([], ())
    )
    if uneven:
        notices.append(Notice("n-info", tr("The two releases were audited with different evidence"),
                              text=tr("Only one side has: {parts}. Verdicts of items that read this evidence may "
                                      "differ for that reason alone.", parts=", ".join(uneven))))  # fmt: skip
    change_rows = [_change_row(c, added=True) for c in diff.added] + [_change_row(c, added=False) for c in diff.removed]
    tables = [
        table(tr("Evidence changes"), (tr("Change"), tr("Kind"), tr("What"), tr("Evidence")), change_rows,
              tr("No permission, SDK, start-up finding, endpoint, PI type or policy hint changed."),
              noun=tr("changes")),
    ]  # fmt: skip
    if previous is not None:
        tables.append(
            table(tr("Verdict changes"), (tr("Item"), tr("Previous release"), tr("This release"), tr("Finding")),
                  verdict_rows, tr("No item's verdict changed."), noun=tr("items"))
        )  # fmt: skip
    return Section(
        id=f"{prefix}baseline",
        title=tr("Changes since the previous release"),
        availability=avail,
        intro=(tr("Compared with the previous release's evidence: {previous} → {current}.",
                  previous=diff.previous, current=diff.current),
               tr("Previous verdicts are re-evaluated from the previous evidence by this version's checks, so a "
                  "change reflects the app, not a change in appaudit's rules. Machine verdicts are compared (an "
                  "auditor's verdict is not a change in the app); II.2, which judges the change itself, is not.")),
        notices=tuple(notices),
        facts=_facts(diff),
        tables=tuple(tables),
    )  # fmt: skip


def _facts(diff: BaselineDiff) -> tuple[Fact, ...]:
    relevant = len(diff.added_of("permission", "sdk", "pi_type", "policy_document", "policy_url"))
    return (
        Fact(tr("Added"), Cell(text=str(len(diff.added)))),
        Fact(tr("Removed"), Cell(text=str(len(diff.removed)))),
        Fact(tr("Additions users must be told about (II.2)"), Cell(text=str(relevant))),
        Fact(tr("Policy hints changed"), Cell(text="—" if diff.policy_hints_changed is None
                                              else tr("yes") if diff.policy_hints_changed else tr("no"))),
    )  # fmt: skip


def _change_row(c: Change, *, added: bool) -> Row:
    badge = Badge(tr("added"), "b-warn") if added else Badge(tr("removed"), "b-muted")
    return Row(
        (
            Cell(badge=badge),
            Cell(text=tr(_KIND_LABELS.get(c.kind, c.kind))),
            Cell(text=clip(c.key, 200)[0], mono=True, title=c.key if len(c.key) > 200 else ""),
            Cell(text=c.ref, sub=clip(c.detail, 200)[0], mono=True, css="small"),
        ),
        css="row-warn" if added else "",
    )


def _verdict_rows(
    check: CheckResult | None,
    bundle: EvidenceBundle,
    previous: EvidenceBundle,
    prefix: str,
    previous_check: CheckResult | None,
) -> tuple[list[Row], tuple[str, ...]]:
    from appaudit.checker.run import evaluate

    if check is None:
        return [], ()
    before = {r.item_id: r for r in (previous_check or evaluate(previous)).results}
    rows = []
    for r in check.results:
        old = before.get(r.item_id)
        # II.2 judges the change itself (it reads this very diff): the previous release has no verdict of
        # its own to compare. Auditor verdicts are compared by the machine verdict they replaced, so a
        # person's judgement is never shown as a change in the app.
        if old is None or r.item_id in _JUDGES_THE_CHANGE:
            continue
        now = r.machine_verdict if r.source == "auditor" and r.machine_verdict is not None else r.verdict
        if old.verdict is now:
            continue
        worse = SERIOUSNESS.index(now) < SERIOUSNESS.index(old.verdict)
        rows.append(
            Row(
                (
                    Cell(text=r.item_id, mono=True, sub=f"#{anchor(prefix, r.item_id)}"),
                    _old_cell(old),
                    Cell(badge=Badge(verdict_label(now), verdict_css(now))),
                    Cell(text=clip(r.summary, 300)[0]),
                ),
                css="row-bad" if worse and now in (Verdict.VIOLATION, Verdict.ERROR) else "",
            )
        )
    uneven = tuple(tr(name) for name in _DYNAMIC_PARTS if (bundle.part(name) is None) != (previous.part(name) is None))
    return rows, uneven


def _old_cell(old: ItemResult) -> Cell:
    return Cell(badge=Badge(verdict_label(old.verdict), verdict_badge(old).css))
