"""The device-runs section: what each run saw and did, the search for the policy, and what was validated."""

from __future__ import annotations

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
from appaudit.report.view.availability import part_availability
from appaudit.report.view.cells import clip, na
from appaudit.report.view.model import Badge, Cell, Fact, Notice, Row, Section
from appaudit.report.view.tables import TableMaker

# Events worth a row in the timeline; screens and taps are many, these are what the items read.
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


def _search_text(s: PolicySearch | None) -> Cell:
    if s is None:
        return na("not searched")
    if s.found:
        via = f" (policy URL {s.via_traffic} in traffic)" if s.via_traffic else ""
        return Cell(
            badge=Badge(f"{s.operations} operation(s)", "b-ok" if (s.operations or 0) <= 4 else "b-bad"),
            sub=" → ".join(s.path) + via,
        )
    how = "every state searched" if s.exhaustive else "budget exhausted" if s.budget_exhausted else "partial search"
    return Cell(badge=Badge("not found", "b-bad" if s.exhaustive else "b-warn"), sub=f"to depth {s.max_depth}; {how}")


def _run_row(i: int, run: DeviceRun) -> Row:
    prompts = len(run.events_of(CONSENT_PROMPT))
    permissions = len(run.events_of(PERMISSION_PROMPT))
    exits = len(run.events_of(APP_EXIT))
    return Row(
        (
            Cell(text=run.id, sub=run.kind),
            Cell(text="yes" if run.fresh_install else "no (data kept)"),
            Cell(text=f"{run.ended - run.started:.1f} s", css="num"),
            Cell(text=str(len(run.screens)), css="num"),
            Cell(text=f"{prompts} consent · {permissions} permission · {exits} exit"),
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
                    Cell(text=f"+{e.ts - run.started:.2f} s", css="num"),
                    Cell(badge=Badge(shown[0], shown[1])),
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
    kind = "simulated device (scenario)" if d.driver == "simulated" else "adb"
    return (
        Fact("Device", Cell(text=f"{d.model or '—'} · Android {d.android_release or '?'} (API {d.api_level or '?'})")),
        Fact("Serial / driver", Cell(text=f"{d.serial} · {kind}")),
        Fact("Emulator / root", Cell(text=f"{_yn(d.emulator)} / {_yn(d.rooted)}")),
        Fact("Proxy CA installed", Cell(text=d.ca_install or "—")),
    )


def _yn(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def device_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    device = bundle.device
    avail = part_availability(bundle, "device", present=device is not None)
    table = TableMaker(avail, max_rows)
    if device is None:
        return Section(
            id="device",
            title="Device runs",
            availability=avail,
            intro=("Run `appaudit run APP.apk --device SERIAL` (or the demo) to drive the app on a device.",),
        )
    notices = [
        Notice(
            "n-info" if device.device.driver != "simulated" else "n-warn",
            "What this run validated, and what it did not",
            items=(
                *(f"validated: {v}" for v in device.validated),
                *(f"not validated: {v}" for v in device.not_validated),
            ),
        )
    ]
    controls = [
        Row(
            (Cell(text=c.kind.replace("_", " ")), Cell(text=c.label), Cell(text=" → ".join(c.path) or "main interface"))
        )
        for r in device.runs
        for c in r.controls
    ]
    tables = [
        table(
            "Runs",
            ("Run", "Fresh install", "Duration", "Screens", "Prompts", "Privacy policy", "Note"),
            [_run_row(i, r) for i, r in enumerate(device.runs)],
            "No run was recorded.",
            noun="runs",
        ),
        *(
            table(
                f"Timeline: {r.id}",
                ("Time", "Event", "Detail", "Screen (dump)"),
                _timeline_rows(r),
                "No key event was recorded in this run.",
                noun="events",
            )
            for r in device.runs
        ),
        table(
            "Controls found while exploring",
            ("Control", "Label", "Path from the main interface"),
            controls,
            "None of the controls later items look for (withdraw consent, delete, cancel account, complaint, "
            "personalisation switch) was seen.",
            noun="controls",
        ),
    ]
    return Section(
        id="device",
        title="Device runs",
        availability=avail,
        intro=(
            "Each run starts the app as a user would and records every screen (uiautomator dump, kept as a file) "
            "and action on the host clock shared with the traffic capture.",
        ),
        facts=_facts(device),
        notices=tuple(notices),
        tables=tuple(tables),
    )
