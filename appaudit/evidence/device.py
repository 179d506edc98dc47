"""Device evidence: what a user saw and did in each run on a device (or the simulated device).

Filled by ``appaudit run`` (device runs); read by the checks directly and, for the consent phase of
traffic, through :mod:`appaudit.evidence.timeline`. Times are host wall-clock seconds, the clock the
capture proxy stamps flows with.

A run is one fresh launch driven to one end: ``agree`` (accept the consent prompt, reach the main
interface, search for the privacy policy), ``refuse`` (decline, decline again, relaunch) or ``ignore``
(never answer). Screens are canonical UI states; events are the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass

# Event kinds a run records, in the words the checks use.
RUN_START = "run_start"
RUN_END = "run_end"
LAUNCH = "launch"  # the app was (re)started by the driver
SCREEN = "screen"  # a new canonical state was seen (first dump that shows it)
TAP = "tap"  # a tap the driver sent (detail: the label or selector)
SWIPE = "swipe"
BACK = "back"
CONSENT_PROMPT = "consent_prompt"  # a consent prompt appeared (entering a prompt state)
CONSENT_AGREE = "consent_agree"  # the driver tapped "agree" (ts: just before the tap was sent)
CONSENT_REFUSE = "consent_refuse"  # the driver tapped "refuse" (ts: just before the tap was sent)
PERMISSION_PROMPT = "permission_prompt"  # a system permission dialog appeared
PERMISSION_ANSWER = "permission_answer"  # the driver allowed or denied it (detail: "allow" | "deny")
MAIN_REACHED = "main_reached"  # the main interface was reached (detail: the heuristic used)
APP_EXIT = "app_exit"  # the app left the foreground without the driver asking (closed itself)
BACKGROUND = "background"  # the driver sent the app to the background (HOME)
FOREGROUND = "foreground"

EVENT_KINDS = frozenset(
    {
        RUN_START,
        RUN_END,
        LAUNCH,
        SCREEN,
        TAP,
        SWIPE,
        BACK,
        CONSENT_PROMPT,
        CONSENT_AGREE,
        CONSENT_REFUSE,
        PERMISSION_PROMPT,
        PERMISSION_ANSWER,
        MAIN_REACHED,
        APP_EXIT,
        BACKGROUND,
        FOREGROUND,
    }
)


@dataclass(frozen=True)
class DeviceInfo:
    serial: str
    driver: str  # "adb" | "simulated"
    model: str = ""
    android_release: str = ""
    api_level: int | None = None
    abi: str = ""
    emulator: bool | None = None
    rooted: bool | None = None
    ca_install: str = ""  # how the proxy CA was made a system CA: "system-remount" | "tmpfs" | "apex" | "none"


@dataclass(frozen=True)
class ConsentPrompt:
    """A consent prompt as detected on one screen: its policy links and its choices."""

    policy_links: tuple[str, ...]  # labels that open the policy: "《隐私政策》", "Privacy Policy"
    agree_labels: tuple[str, ...]  # "同意", "同意并继续", "Agree"
    refuse_labels: tuple[str, ...]  # "不同意", "暂不使用", "Disagree" (checked before agree words)
    prechecked: tuple[str, ...] = ()  # checkable controls beside the policy text that were already checked
    acknowledge_only: bool = False  # the only choice is "好的/我知道了/OK": no real choice is offered


@dataclass(frozen=True)
class Screen:
    """A canonical UI state (bounds, clock digits and repeated rows ignored)."""

    id: str  # the state id (hash of sorted node signatures)
    package: str  # the foreground window's package
    kind: str  # "consent_prompt" | "permission_dialog" | "policy" | "main" | "other"
    activity: str | None = None
    dump: str | None = None  # the uiautomator XML, relative to the run directory
    screenshot: str | None = None
    texts: tuple[str, ...] = ()  # the first visible labels, for the reader
    consent: ConsentPrompt | None = None  # set for kind == "consent_prompt"
    permissions: tuple[str, ...] = ()  # set for kind == "permission_dialog", when the dialog names them


@dataclass(frozen=True)
class UiEvent:
    ts: float
    kind: str  # one of EVENT_KINDS
    screen: str | None = None  # the screen id the event happened on or led to
    detail: str = ""


@dataclass(frozen=True)
class PolicySearch:
    """The search for the privacy policy from the main interface (item I.3)."""

    found: bool
    max_depth: int  # the deepest level searched
    exhaustive: bool  # every reachable state was explored to max_depth (absence is then proven to that depth)
    budget_exhausted: bool = False  # a time or state budget cut the search
    operations: int | None = None  # the fewest operations (taps and swipes) to the policy, when found
    path: tuple[str, ...] = ()  # the operations, as labels: ("我的", "设置", "隐私政策")
    policy_screen: str | None = None  # the screen id that shows the policy
    states_visited: int = 0
    via_traffic: str | None = None  # the policy URL seen in the traffic when the screen is a WebView


@dataclass(frozen=True)
class FoundControl:
    """A control later items need, found while exploring: where it is and how deep."""

    kind: (
        str  # "withdraw_consent" | "delete_data" | "correct_data" | "cancel_account" | "complaint" | "targeting_switch"
    )
    label: str  # the label as shown
    path: tuple[str, ...]  # the operations from the main interface
    screen: str  # the screen id it is on


@dataclass(frozen=True)
class DeviceRun:
    id: str  # "agree-1", "refuse-1", ...
    kind: str  # "agree" | "refuse" | "ignore"
    started: float
    ended: float
    fresh_install: bool  # app data cleared before the launch: the first screen is a true first run
    events: tuple[UiEvent, ...]
    screens: tuple[Screen, ...]
    policy_search: PolicySearch | None = None
    note: str = ""
    controls: tuple[FoundControl, ...] = ()  # found during the policy search (agree run)

    def screen(self, screen_id: str | None) -> Screen | None:
        return next((s for s in self.screens if s.id == screen_id), None)

    def events_of(self, *kinds: str) -> tuple[tuple[int, UiEvent], ...]:
        return tuple((i, e) for i, e in enumerate(self.events) if e.kind in kinds)

    def first_consent_action(self) -> tuple[int, UiEvent] | None:
        return next(iter(self.events_of(CONSENT_AGREE, CONSENT_REFUSE)), None)


@dataclass(frozen=True)
class DeviceEvidence:
    device: DeviceInfo
    runs: tuple[DeviceRun, ...]
    validated: tuple[str, ...] = ()  # what this run checked on the device ("CA trusted: HTTPS probe seen")
    not_validated: tuple[str, ...] = ()  # what it could not ("simulated device: no real app was driven")

    def runs_of(self, kind: str) -> tuple[tuple[int, DeviceRun], ...]:
        return tuple((i, r) for i, r in enumerate(self.runs) if r.kind == kind)
