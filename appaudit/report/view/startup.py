"""The start-up section: sensitive calls and SDK initialisations reachable before consent."""

from __future__ import annotations

from appaudit.evidence.model import EvidenceBundle, StartupEvidence, StartupFinding
from appaudit.report.i18n import tr
from appaudit.report.view.availability import dex_availability
from appaudit.report.view.cells import na
from appaudit.report.view.model import (
    Availability,
    Badge,
    Cell,
    Fact,
    FindingList,
    FindingView,
    GuardView,
    Notice,
    Row,
    Section,
    Table,
)
from appaudit.report.view.sdks import sdk_names
from appaudit.report.view.smali import java_class, ref_cell, shorten_ref
from appaudit.report.view.tables import TableMaker, empty_text

# Findings drawn as full cards; the rest are summarised per target (all of them are in evidence.json).
MAX_FINDING_CARDS = 60

# Labels are English message ids: shown through entry_kind_label() / finding_kind_label().
ENTRY_KIND_LABELS: dict[str, str] = {
    "application_init": "Application constructor",
    "provider_init": "ContentProvider constructor",
    "androidx_startup_initializer": "androidx.startup Initializer.create",
    "application_attach": "Application.attachBaseContext",
    "application_oncreate": "Application.onCreate",
    "provider_oncreate": "ContentProvider.onCreate",
    "static_initializer": "Static initialiser (<clinit>)",
    "launcher_oncreate": "Launcher Activity.onCreate",
}

FINDING_KIND_LABELS: dict[str, str] = {
    "sensitive_api": "Sensitive API",
    "sdk_init": "SDK initialisation",
    "sdk_call": "Call into SDK code",
}


def entry_kind_label(kind: str) -> str:
    """An entry point's kind in words, in the current language; an unknown kind as recorded."""
    return tr(ENTRY_KIND_LABELS[kind]) if kind in ENTRY_KIND_LABELS else kind


def finding_kind_label(kind: str) -> str:
    """A finding's kind in words, in the current language; an unknown kind as recorded."""
    return tr(FINDING_KIND_LABELS[kind]) if kind in FINDING_KIND_LABELS else kind


def _finding(f: StartupFinding, names: dict[str, str]) -> FindingView:
    steps = tuple(shorten_ref(s) for s in f.chain)
    if f.kind == "sdk_init":
        name = names.get(f.target)
        title = tr("{name} initialised", name=name) if name else tr("SDK “{target}” initialised", target=f.target)
    else:
        title = f"{f.target} — {steps[-1].member}" if steps else f.target
    guard = None
    if f.guard is not None:
        guard = GuardView(
            condition=f.guard.condition,
            recognised_by=f.guard.recognised_by,
            method=shorten_ref(str(f.guard.method)),
            branch_offset=f"0x{f.guard.branch_offset:x}",
        )
        guard_badge = Badge(tr("Consent guard recognised"), "b-ok")
    else:
        guard_badge = Badge(tr("No consent guard recognised"), "b-bad")
    return FindingView(
        title=title,
        target=f.target,
        css="finding guarded" if f.guarded else "finding unguarded",
        kind=Badge(finding_kind_label(f.kind), "b-info"),
        guard_badge=guard_badge,
        pi_types=tuple(sorted(f.pi_types)),
        entry_label=entry_kind_label(f.entry_point.kind),
        entry_method=shorten_ref(str(f.entry_point.method)),
        entry_component=java_class(f.entry_point.component) if f.entry_point.component else "",
        steps=steps,
        full_chain="\n→ ".join(f.chain),
        guard=guard,
    )


def _finding_key(f: StartupFinding) -> tuple:
    return (f.guarded, f.kind != "sdk_init", f.target, str(f.entry_point.method), f.chain)


def _split_for_cards(findings: tuple[StartupFinding, ...]) -> tuple[list[StartupFinding], list[StartupFinding]]:
    """The findings drawn as cards (one per kind, target and guard state first), and the rest."""
    ordered = sorted(findings, key=_finding_key)
    firsts: dict[tuple[str, str, bool], StartupFinding] = {}
    for f in ordered:
        firsts.setdefault((f.kind, f.target, f.guarded), f)
    shown = sorted(firsts.values(), key=_finding_key)[:MAX_FINDING_CARDS]
    chosen = {id(f) for f in shown}
    for f in ordered:
        if len(shown) >= MAX_FINDING_CARDS:
            break
        if id(f) not in chosen:
            shown.append(f)
            chosen.add(id(f))
    shown.sort(key=_finding_key)
    return shown, [f for f in ordered if id(f) not in chosen]


def _rest_table(rest: list[StartupFinding], table: TableMaker) -> Table:
    """Findings not drawn as cards, counted per target, with one example caller each."""
    groups: dict[tuple[bool, str, str], list[StartupFinding]] = {}
    for f in rest:
        groups.setdefault((f.guarded, f.kind, f.target), []).append(f)
    rows = [
        Row(
            (
                Cell(text=target, mono=True),
                Cell(text=finding_kind_label(kind)),
                Cell(badge=Badge(tr("guarded"), "b-ok") if guarded else Badge(tr("no consent check"), "b-bad")),
                Cell(text=f"{len(items):,}", css="num"),
                ref_cell(items[0].chain[-2] if len(items[0].chain) > 1 else items[0].chain[0]),
            )
        )
        for (guarded, kind, target), items in sorted(groups.items())
    ]
    return table(
        tr("{n} further findings, summarised (every chain is in evidence.json)", n=f"{len(rest):,}"),
        (tr("Target"), tr("Kind"), tr("Consent check"), tr("Findings"), tr("Example caller")),
        rows,
        "",
        noun=tr("targets"),
    )


def _notices(startup: StartupEvidence) -> tuple[Notice, ...]:
    notices: list[Notice] = []
    if startup.budget_exhausted:
        notices.append(
            Notice(
                "n-bad",
                tr("Search cut short"),
                tr(
                    "The reachability search hit its budget (maximum depth {depth}) before "
                    "exploring every path. Findings below are real, but the absence of a finding is "
                    "inconclusive: more sensitive calls may be reachable before consent.",
                    depth=startup.max_depth,
                ),
            )
        )
    if startup.note:
        notices.append(Notice("n-info", tr("Note"), startup.note))
    return tuple(notices)


def _facts(startup: StartupEvidence) -> tuple[Fact, ...]:
    unguarded = sum(1 for f in startup.findings if not f.guarded)
    return (
        Fact(
            tr("Findings"),
            Cell(
                text=tr(
                    "{n} ({unguarded} without a recognised consent guard)",
                    n=len(startup.findings),
                    unguarded=unguarded,
                )
            ),
        ),
        Fact(tr("Entry points searched"), Cell(text=str(len(startup.entry_points)))),
        Fact(tr("Maximum call depth"), Cell(text=str(startup.max_depth))),
    )


def _entry_rows(startup: StartupEvidence) -> list[Row]:
    return [
        Row(
            (
                Cell(text=entry_kind_label(ep.kind)),
                ref_cell(str(ep.method)),
                Cell(text=java_class(ep.component), mono=True) if ep.component else na("—"),
            )
        )
        for ep in sorted(startup.entry_points, key=lambda e: (e.kind, str(e.method)))
    ]


def _no_findings_text(avail: Availability, startup: StartupEvidence | None) -> tuple[str, str]:
    """What an empty finding list says: a search cut short is never a clean result."""
    if startup is None:
        return empty_text(avail, "")
    if startup.budget_exhausted:
        return tr("No finding before the search was cut — inconclusive, not a clean result."), "empty-partial"
    return empty_text(
        avail,
        tr(
            "No sensitive API or SDK initialisation was found reachable from start-up code within call depth {depth}.",
            depth=startup.max_depth,
        ),
    )


def startup_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    """Findings (unguarded first), the search's limits, and the entry points it started from."""
    avail = dex_availability(bundle, "startup", present=bundle.startup is not None)
    table = TableMaker(avail, max_rows)
    startup = bundle.startup if avail.assessed else None
    findings: tuple[FindingView, ...] = ()
    if startup is not None:
        names = sdk_names(bundle)
        shown, rest = _split_for_cards(startup.findings)
        findings = tuple(_finding(f, names) for f in shown)
    return Section(
        id="startup",
        title=tr("Start-up: reachable before consent"),
        availability=avail,
        intro=(
            tr(
                "Sensitive APIs and SDK initialisations reachable from code that runs when the app starts "
                "(Application, ContentProvider, static initialisers, the launcher activity), before any "
                "consent UI can be shown. Each chain reads from the entry point down to the call. "
                "A recognised guard means appaudit found a consent check on the chain; it was not "
                "verified on a device."
            ),
        ),
        notices=_notices(startup) if startup else (),
        facts=_facts(startup) if startup else (),
        findings=FindingList(findings, *_no_findings_text(avail, startup)),
        tables=(
            *((_rest_table(rest, table),) if startup is not None and rest else ()),
            table(
                tr("Entry points"),
                (tr("Kind"), tr("Method"), tr("Component")),
                _entry_rows(startup) if startup else [],
                tr("No start-up entry point was identified."),
                noun=tr("entry points"),
            ),
        ),
    )
