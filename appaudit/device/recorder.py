"""Recording one run: every UI state seen and every action taken, on the host clock.

The recorder is the only place that reads the screen. ``observe`` dumps the hierarchy (retrying the
"could not get idle state" error of animated screens), keeps the dump and a screenshot as artifacts,
and emits the timeline events the checks read: a ``screen`` event when the canonical state changes,
``consent_prompt`` / ``permission_prompt`` when one appears. Action events are stamped just *before*
the action is sent, so nothing the app does in reaction can precede its cause on the timeline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from appaudit.device.driver import DeviceDriver
from appaudit.device.ui.classify import ScreenAnalysis, analyse
from appaudit.device.ui.hierarchy import DumpError, Hierarchy, parse_dump
from appaudit.device.ui.state import state_id
from appaudit.evidence.device import (
    CONSENT_PROMPT,
    PERMISSION_PROMPT,
    SCREEN,
    DeviceRun,
    PolicySearch,
    Screen,
    UiEvent,
)

DUMP_RETRIES = 4
RETRY_PAUSE = 0.3


@dataclass(frozen=True)
class Observation:
    hierarchy: Hierarchy
    analysis: ScreenAnalysis
    screen_id: str


@dataclass
class Recorder:
    """Builds one :class:`DeviceRun` while the run drives the device."""

    driver: DeviceDriver
    package: str
    run_id: str
    kind: str
    artifacts: Path  # where dumps and screenshots go; paths in the evidence are relative to its parent
    fresh_install: bool = True
    clock: Callable[[], float] = time.time
    events: list[UiEvent] = field(default_factory=list)
    screens: dict[str, Screen] = field(default_factory=dict)
    last_screen: str | None = None
    dump_failures: int = 0
    started: float = 0.0

    def __post_init__(self) -> None:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.started = self.clock()

    def event(self, kind: str, screen: str | None = None, detail: str = "", ts: float | None = None) -> UiEvent:
        e = UiEvent(self.clock() if ts is None else ts, kind, screen, detail)
        self.events.append(e)
        return e

    def observe(self) -> Observation | None:
        """Dump the screen and record it; None when no dump could be had (counted, not fatal)."""
        hierarchy, raw = None, ""
        for attempt in range(DUMP_RETRIES):
            try:
                raw = self.driver.dump_hierarchy()
                hierarchy = parse_dump(raw)
                break
            except DumpError as exc:
                if not exc.retryable:  # a refused or malformed dump does not get better by asking again
                    break
                if attempt + 1 < DUMP_RETRIES:
                    time.sleep(RETRY_PAUSE)
        seen_at = self.clock()  # the end of the dump: when the state was known to be on screen
        if hierarchy is None:
            self.dump_failures += 1
            return None
        analysis = analyse(hierarchy, self.package)
        sid = state_id(hierarchy)
        if sid not in self.screens:
            self.screens[sid] = self._keep(sid, raw, analysis)
        if sid != self.last_screen:
            self.event(SCREEN, sid, analysis.kind, ts=seen_at)
            if analysis.kind == "consent_prompt":  # a new prompt, or a re-prompt replacing the last one
                self.event(CONSENT_PROMPT, sid, ts=seen_at)
            if analysis.kind == "permission_dialog":
                self.event(PERMISSION_PROMPT, sid, ", ".join(analysis.permissions), ts=seen_at)
            self.last_screen = sid
        return Observation(hierarchy, analysis, sid)

    def _keep(self, sid: str, raw: str, analysis: ScreenAnalysis) -> Screen:
        """Keep the dump exactly as the device gave it, and a screenshot, for the reader to check."""
        n = len(self.screens) + 1
        dump_name = f"{n:04d}-{sid}.xml"
        (self.artifacts / dump_name).write_text(raw, encoding="utf-8", errors="replace")
        shot = self.driver.screenshot()
        shot_name = None
        if shot:
            shot_name = f"{n:04d}-{sid}.png"
            (self.artifacts / shot_name).write_bytes(shot)
        rel = self.artifacts.name
        return Screen(
            sid,
            analysis.package,
            analysis.kind,
            dump=f"{rel}/{dump_name}",
            screenshot=f"{rel}/{shot_name}" if shot_name else None,
            texts=analysis.texts,
            consent=analysis.consent,
            permissions=analysis.permissions,
        )

    def finish(self, search: PolicySearch | None = None, note: str = "") -> DeviceRun:
        ended = self.clock()
        notes = [note] if note else []
        if self.dump_failures:
            notes.append(f"{self.dump_failures} screen dump(s) failed (screen never idle)")
        return DeviceRun(
            self.run_id,
            self.kind,
            self.started,
            ended,
            self.fresh_install,
            tuple(self.events),
            tuple(self.screens.values()),
            policy_search=search,
            note="; ".join(notes),
        )
