"""The three runs: agree, refuse and ignore, each from a fresh install (cleared app data).

* **agree**: dwell on the first-run consent prompt (what the app does before consent is observed),
  agree, reach the main interface, deny the permission dialogs that follow (does the app still work?),
  then search for the privacy policy (``policy_search``).
* **refuse**: refuse, refuse again on each re-prompt (counted), observe; relaunch and observe again.
* **ignore**: never answer; observe for the dwell time.

Every decision the run makes is an event on the timeline with its reason, so a reader can replay it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from appaudit.device.driver import DeviceDriver
from appaudit.device.recorder import Observation, Recorder
from appaudit.device.ui.classify import looks_like_main
from appaudit.device.ui.lexicon import load_ui_lexicon
from appaudit.device.ui.selectors import Selector, selector_for, tap_point
from appaudit.evidence.device import (
    APP_EXIT,
    BACK,
    BACKGROUND,
    CONSENT_AGREE,
    CONSENT_REFUSE,
    LAUNCH,
    MAIN_REACHED,
    PERMISSION_ANSWER,
    RUN_END,
    RUN_START,
    SCREEN,
    SWIPE,
    TAP,
    DeviceRun,
)

# Labels that move past a splash screen or onboarding towards the main interface, tried in this order.
ONBOARDING_LABELS = (
    "跳过",
    "跳过广告",
    "立即体验",
    "开始使用",
    "进入应用",
    "下一步",
    "我知道了",
    "Skip",
    "Next",
    "Start",
)
CAUSE_WINDOW = 3.0  # seconds: leaving the app this soon after a driver action is that action's doing
MAX_REPROMPTS = 3  # refusals sent in one refuse run before giving up (the count itself is the evidence)


@dataclass(frozen=True)
class RunSettings:
    package: str
    dwell: float = 20.0  # seconds on the first screen before answering (pre-consent observation)
    observe: float = 10.0  # seconds to watch after an answer
    poll: float = 0.5  # seconds between screen dumps while waiting
    settle_timeout: float = 10.0  # seconds to wait at most for the screen to change after an action
    quiet: float = 2.5  # an action followed by this long without change changed nothing
    main_steps: int = 8  # actions tried to get from the consent prompt to the main interface


class RunContext:
    """One run in progress: the driver, its recorder and the settings."""

    def __init__(self, driver: DeviceDriver, settings: RunSettings, recorder: Recorder) -> None:
        self.driver, self.settings, self.rec = driver, settings, recorder
        self.last: Observation | None = None
        self._running = False  # the app was launched and has not left the foreground since

    # ----------------------------------------------------------------- watching

    def look(self) -> Observation | None:
        obs = self.rec.observe()
        if obs is not None:
            self.last = obs
        self._check_exit()
        return obs

    def watch(self, seconds: float, until: Callable[[Observation], bool] | None = None) -> Observation | None:
        """Poll the screen for ``seconds`` (or until ``until`` holds); the last observation."""
        deadline = time.monotonic() + seconds
        obs = self.look()
        while time.monotonic() < deadline:
            if obs is not None and until is not None and until(obs):
                return obs
            time.sleep(self.settings.poll)
            obs = self.look() or obs
        return obs

    def wait_change(self) -> Observation | None:
        """Watch until the canonical state differs from the one before the action, or stays put for
        ``quiet`` seconds (the action changed nothing), at most ``settle_timeout``."""
        before = self.rec.last_screen
        quiet_until = time.monotonic() + min(self.settings.quiet, self.settings.settle_timeout)
        return self.watch(
            self.settings.settle_timeout,
            until=lambda o: o.screen_id != before or time.monotonic() >= quiet_until,
        )

    def _check_exit(self) -> None:
        """Note when the app is no longer in front (recorded once per launch).

        A system permission dialog in front is still the app asking. The app leaving right after one of
        the driver's own actions (a link that opens a browser) is navigation, recorded as ``background``;
        leaving on its own is ``app_exit``, the event item IV.2 reads.
        """
        if not self._running:
            return
        current = self.driver.current_package()
        # Windows of the permission controller sit on top of the app on its behalf (ui_lexicon.yaml).
        if current is None or current == self.settings.package or current in load_ui_lexicon().permission_packages:
            return
        last = next((e for e in reversed(self.rec.events) if e.kind not in (SCREEN,)), None)
        caused = last is not None and last.kind in (TAP, SWIPE, BACK) and self.rec.clock() - last.ts < CAUSE_WINDOW
        self.rec.event(BACKGROUND if caused else APP_EXIT, detail=f"foreground: {current}")
        self._running = False

    # ----------------------------------------------------------------- acting

    def launch(self, *, clear: bool) -> None:
        if clear:
            self.driver.stop(self.settings.package)
            self.driver.clear_data(self.settings.package)
        self.rec.event(LAUNCH, detail="fresh install (data cleared)" if clear else "relaunch")
        self.driver.launch(self.settings.package)
        self._running = True

    def tap(self, selector: Selector, kind: str = TAP, detail: str = "") -> bool:
        """Tap the node ``selector`` finds on the last screen; False when it is not there."""
        if self.last is None:
            return False
        node = selector.find(self.last.hierarchy)
        if node is None:
            return False
        x, y = tap_point(node, self.last.hierarchy)
        self.rec.event(kind, self.last.screen_id, detail or selector.describe())  # stamped before the tap
        self.driver.tap(x, y)
        return True

    def answer_permission(self, allow: bool) -> bool:
        a = self.last.analysis if self.last else None
        if a is None or a.kind != "permission_dialog":
            return False
        target = a.allow if allow else a.deny
        if target is None:
            return False
        return self.tap(target, PERMISSION_ANSWER, "allow" if allow else "deny")

    def reach_main(self) -> bool:
        """From wherever the app is after consent, get to its main interface (denying permissions)."""
        for _ in range(self.settings.main_steps):
            obs = self.watch(self.settings.settle_timeout, until=lambda o: o.analysis.kind != "other")
            if obs is None or not self._running:
                return False
            kind = obs.analysis.kind
            if kind == "permission_dialog":
                self.answer_permission(allow=False)
                continue
            if kind == "consent_prompt" and obs.analysis.agree is not None:  # a second-stage prompt
                self.tap(obs.analysis.agree, CONSENT_AGREE)
                self.wait_change()
                continue
            heuristic = looks_like_main(obs.hierarchy, self.settings.package)
            if heuristic:
                self.rec.event(MAIN_REACHED, obs.screen_id, heuristic)
                return True
            if not self._skip_onboarding(obs):
                return False
        return False

    def _skip_onboarding(self, obs: Observation) -> bool:
        """Tap a skip/next/start control; labels match after their digits are dropped ("跳过 5" is "跳过")."""
        h = obs.hierarchy
        for label in ONBOARDING_LABELS:
            for node in h.nodes():
                shown = "".join(c for c in node.label if not c.isdigit()).strip(" s秒")
                if shown == label or shown.lower() == label.lower():
                    selector = selector_for(node, h)
                    self.tap(selector, TAP, f"{selector.describe()} (onboarding)")
                    self.wait_change()
                    return True
        return False


def _consent_prompt(ctx: RunContext, seconds: float) -> Observation | None:
    """Watch for the first consent prompt, answering nothing; permission dialogs on the way are left."""
    return ctx.watch(seconds, until=lambda o: o.analysis.kind == "consent_prompt")


def agree_run(ctx: RunContext) -> str:
    """Dwell, agree, reach the main interface. Returns a note for the run ("" when all went to plan)."""
    ctx.launch(clear=True)
    obs = ctx.watch(ctx.settings.dwell)  # the whole dwell is pre-consent observation
    for _ in range(ctx.settings.main_steps):
        if obs is None or not ctx._running:
            break
        kind = obs.analysis.kind
        if kind == "consent_prompt" and obs.analysis.agree is not None:
            ctx.tap(obs.analysis.agree, CONSENT_AGREE)
            ctx.wait_change()
            break
        if kind == "permission_dialog":  # before consent: recorded as such, denied to get on
            ctx.answer_permission(allow=False)
            obs = ctx.wait_change()
            continue
        obs = _consent_prompt(ctx, ctx.settings.settle_timeout)
        if obs is None or obs.analysis.kind not in ("consent_prompt", "permission_dialog"):
            break  # no prompt: the app goes straight on (I.2 judges that)
    if not ctx.reach_main():
        return "main interface not reached"
    return ""


def refuse_run(ctx: RunContext) -> str:
    """Refuse, refuse every re-prompt (up to MAX_REPROMPTS), observe; relaunch, observe."""
    ctx.launch(clear=True)
    obs = _consent_prompt(ctx, ctx.settings.dwell)
    if obs is None or obs.analysis.kind != "consent_prompt" or obs.analysis.refuse is None:
        return "no consent prompt with a refuse choice was found"
    for _ in range(MAX_REPROMPTS):
        ctx.tap(obs.analysis.refuse, CONSENT_REFUSE)  # type: ignore[arg-type]
        obs = ctx.watch(ctx.settings.observe, until=lambda o: o.analysis.kind == "consent_prompt")
        if obs is None or obs.analysis.kind != "consent_prompt" or obs.analysis.refuse is None:
            break
    ctx.watch(ctx.settings.observe, until=lambda o: bool(looks_like_main(o.hierarchy, ctx.settings.package)))
    if ctx.last is not None and ctx._running:
        heuristic = looks_like_main(ctx.last.hierarchy, ctx.settings.package)
        if heuristic:
            ctx.rec.event(MAIN_REACHED, ctx.last.screen_id, heuristic)
    ctx.driver.stop(ctx.settings.package)
    ctx.launch(clear=False)
    ctx.watch(ctx.settings.observe)
    return ""


def ignore_run(ctx: RunContext) -> str:
    ctx.launch(clear=True)
    ctx.watch(ctx.settings.dwell)
    return ""


RUNS: dict[str, Callable[[RunContext], str]] = {"agree": agree_run, "refuse": refuse_run, "ignore": ignore_run}


def perform(
    driver: DeviceDriver,
    kind: str,
    settings: RunSettings,
    artifacts: Path,
    *,
    after_main: Callable[[RunContext], object] | None = None,
) -> tuple[DeviceRun, RunContext]:
    """Perform one run of ``kind``; ``after_main`` (the policy search) runs in an agree run once main is reached."""
    rec = Recorder(driver, settings.package, f"{kind}-1", kind, artifacts)
    ctx = RunContext(driver, settings, rec)
    rec.event(RUN_START, detail=kind)
    note = RUNS[kind](ctx)
    search, controls = None, ()
    if kind == "agree" and after_main is not None and not note:
        search, controls = after_main(ctx)  # type: ignore[misc]
    driver.stop(settings.package)
    rec.event(RUN_END)
    run = rec.finish(search, note)
    return replace(run, controls=tuple(controls)), ctx
