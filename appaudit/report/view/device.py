"""The device-runs section: what each run saw and did, the search for the policy, and what was validated."""

from __future__ import annotations

from appaudit.checks.logic.i_publish import MAX_POLICY_OPERATIONS
from appaudit.evidence.device import (
    APP_EXIT,
    CONSENT_AGREE,
    CONSENT_PROMPT,
    CONSENT_REFUSE,
    MAIN_REACHED,
    PERMISSION_PROMPT,
    DeviceEvidence,
    DeviceRun,
    PolicySearch,
)
from appaudit.evidence.model import EvidenceBundle
from appaudit.report.i18n import current, tr
from appaudit.report.view.availability import part_availability
from appaudit.report.view.cells import clip, na
from appaudit.report.view.model import Badge, Cell, Fact, Notice, Row, Section
from appaudit.report.view.tables import TableMaker

# Events worth a row in the timeline; screens and taps are many, these are what the items read.
# The labels are English message ids, translated where the timeline is built.
KEY_EVENTS = {
    CONSENT_PROMPT: ("consent prompt shown", "b-info"),
    CONSENT_AGREE: ("agree tapped", "b-ok"),
    CONSENT_REFUSE: ("refuse tapped", "b-warn"),
    PERMISSION_PROMPT: ("permission dialog", "b-warn"),
    "permission_answer": ("permission answered", "b-muted"),
    MAIN_REACHED: ("main interface", "b-ok"),
    APP_EXIT: ("app exited", "b-bad"),
    "launch": ("launch", "b-muted"),
}

# The controls later items look for, in words (English message ids); another kind is shown as recorded.
CONTROL_LABELS = {
    "withdraw_consent": "withdraw consent",
    "delete_data": "delete data",
    "correct_data": "correct data",
    "cancel_account": "cancel account",
    "complaint": "complaint",
    "targeting_switch": "targeting switch",
}

# What each kind of run did at the consent prompt (English message ids).
RUN_KIND_LABELS = {"agree": "agree", "refuse": "refuse", "ignore": "ignore"}


def _label(labels: dict[str, str], kind: str) -> str:
    return tr(labels[kind]) if kind in labels else kind.replace("_", " ")


def operations_css(search: PolicySearch) -> str:
    """Green within item I.3's limit of operations to the policy, red beyond it."""
    operations = search.operations if search.operations is not None else len(search.path)
    return "b-ok" if operations <= MAX_POLICY_OPERATIONS else "b-bad"


def _search_text(s: PolicySearch | None) -> Cell:
    if s is None:
        return na(tr("not searched"))
    if s.found:
        via = ""
        if s.via_traffic:
            via = ("" if current() == "zh" else " ") + tr("(policy URL {url} in traffic)", url=s.via_traffic)
        return Cell(
            badge=Badge(tr("{n} operation(s)", n=s.operations), operations_css(s)),
            sub=" → ".join(s.path) + via,
        )
    how = (
        tr("every state searched")
        if s.exhaustive
        else tr("budget exhausted")
        if s.budget_exhausted
        else tr("partial search")
    )
    return Cell(
        badge=Badge(tr("not found"), "b-bad" if s.exhaustive else "b-warn"),
        sub=tr("to depth {depth}; {how}", depth=s.max_depth, how=how),
    )


def _run_row(i: int, run: DeviceRun) -> Row:
    prompts = len(run.events_of(CONSENT_PROMPT))
    permissions = len(run.events_of(PERMISSION_PROMPT))
    exits = len(run.events_of(APP_EXIT))
    return Row(
        (
            Cell(text=run.id, sub=tr(RUN_KIND_LABELS[run.kind]) if run.kind in RUN_KIND_LABELS else run.kind),
            Cell(text=tr("yes") if run.fresh_install else tr("no (data kept)")),
            Cell(text=tr("{seconds} s", seconds=f"{run.ended - run.started:.1f}"), css="num"),
            Cell(text=str(len(run.screens)), css="num"),
            Cell(
                text=tr(
                    "{prompts} consent · {permissions} permission · {exits} exit",
                    prompts=prompts,
                    permissions=permissions,
                    exits=exits,
                )
            ),
            _search_text(run.policy_search),
            Cell(text=run.note) if run.note else na("—"),
        ),
        css="row-warn" if run.note else "",
    )


def _timeline_rows(run: DeviceRun) -> list[Row]:
    rows = []
    for e in run.events:
        shown = KEY_EVENTS.get(e.kind)
        if shown is None:
            continue
        screen = run.screen(e.screen)
        rows.append(
            Row(
                (
                    Cell(text=tr("+{seconds} s", seconds=f"{e.ts - run.started:.2f}"), css="num"),
                    Cell(badge=Badge(tr(shown[0]), shown[1])),
                    Cell(text=clip(e.detail, 120)[0]) if e.detail else na("—"),
                    Cell(text=screen.dump or screen.id, mono=True, css="small", sub=", ".join(screen.texts[:4]))
                    if screen
                    else na("—"),
                )
            )
        )
    return rows


def _facts(device: DeviceEvidence) -> tuple[Fact, ...]:
    d = device.device
    kind = tr("simulated device (scenario)") if d.driver == "simulated" else "adb"
    return (
        Fact(
            tr("Device"),
            Cell(text=f"{d.model or '—'} · Android {d.android_release or '?'} (API {d.api_level or '?'})"),
        ),
        Fact(tr("Serial / driver"), Cell(text=f"{d.serial} · {kind}")),
        Fact(tr("Emulator / root"), Cell(text=f"{_yn(d.emulator)} / {_yn(d.rooted)}")),
        Fact(tr("Proxy CA installed"), Cell(text=d.ca_install or "—")),
    )


def _yn(value: bool | None) -> str:
    return tr("unknown") if value is None else tr("yes") if value else tr("no")


def device_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    device = bundle.device
    avail = part_availability(bundle, "device", present=device is not None)
    table = TableMaker(avail, max_rows)
    if device is None:
        return Section(
            id="device",
            title=tr("Device runs"),
            availability=avail,
            intro=(tr("Run `appaudit run APP.apk --device SERIAL` (or the demo) to drive the app on a device."),),
        )
    notices = [
        Notice(
            "n-info" if device.device.driver != "simulated" else "n-warn",
            tr("What this run validated, and what it did not"),
            items=(
                *(tr("validated: {what}", what=v) for v in device.validated),
                *(tr("not validated: {what}", what=v) for v in device.not_validated),
            ),
        )
    ]
    controls = [
        Row(
            (
                Cell(text=_label(CONTROL_LABELS, c.kind)),
                Cell(text=c.label),
                Cell(text=" → ".join(c.path) or tr("main interface")),
            )
        )
        for r in device.runs
        for c in r.controls
    ]
    tables = [
        table(
            tr("Runs"),
            tuple(tr(c) for c in ("Run", "Fresh install", "Duration", "Screens", "Prompts", "Privacy policy", "Note")),
            [_run_row(i, r) for i, r in enumerate(device.runs)],
            tr("No run was recorded."),
            noun=tr("runs"),
        ),
        *(
            table(
                tr("Timeline: {run}", run=r.id),
                tuple(tr(c) for c in ("Time", "Event", "Detail", "Screen (dump)")),
                _timeline_rows(r),
                tr("No key event was recorded in this run."),
                noun=tr("events"),
            )
            for r in device.runs
        ),
        table(
            tr("Controls found while exploring"),
            tuple(tr(c) for c in ("Control", "Label", "Path from the main interface")),
            controls,
            tr(
                "None of the controls later items look for (withdraw consent, delete, cancel account, complaint, "
                "personalisation switch) was seen."
            ),
            noun=tr("controls"),
        ),
    ]
    return Section(
        id="device",
        title=tr("Device runs"),
        availability=avail,
        intro=(
            tr(
                "Each run starts the app as a user would and records every screen (uiautomator dump, kept as a "
                "file) and action on the host clock shared with the traffic capture."
            ),
        ),
        facts=_facts(device),
        notices=tuple(notices),
        tables=tuple(tables),
    )
