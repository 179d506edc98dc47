"""The search for the privacy policy from the main interface (item I.3: at most 4 operations).

Breadth-first over canonical UI states, so the first time the policy is seen, the path is a shortest
one. Every expansion replays its path from a fresh launch (Back is unreliable: it may leave the app,
or land elsewhere), identifies taps by selector rather than coordinates, counts a swipe as an
operation, and never taps unsafe labels (退出登录, 注销, 删除, 支付 ...). "Searched every state to
depth N, not found" is a result; "ran out of budget" is a different one (inconclusive). A WebView policy
page with little text counts when the capture saw a policy URL fetched right after the operation.

On the way, the controls later items need (withdraw consent, delete or correct data, cancel account,
complaint channel, personalised-recommendation switch) are noted with their path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from appaudit.device.recorder import Observation
from appaudit.device.runs import RunContext
from appaudit.device.ui.classify import is_policy_screen, looks_like_main
from appaudit.device.ui.hierarchy import Hierarchy
from appaudit.device.ui.selectors import Selector, clickable_targets
from appaudit.evidence.device import SWIPE, TAP, FoundControl, PolicySearch

# Controls worth locating for later items, by the words their labels contain.
CONTROL_WORDS: dict[str, tuple[str, ...]] = {
    "withdraw_consent": ("撤回同意", "撤回授权", "撤销同意", "withdraw consent"),
    "cancel_account": ("注销账号", "注销账户", "账号注销", "delete account", "close account"),
    "delete_data": ("删除个人信息", "清除个人信息", "delete my data"),
    "correct_data": ("更正个人信息", "修改个人信息", "编辑资料", "edit profile"),
    "complaint": ("投诉", "举报", "意见反馈", "feedback", "report"),
    "targeting_switch": ("个性化推荐", "个性化广告", "personalized", "personalised"),
}


WEBVIEW_URL_WAIT = 3.0  # seconds to wait for a WebView's page request to reach the capture


@dataclass(frozen=True)
class Op:
    """One operation from a state: a tap on a selector, or a swipe up on the screen."""

    kind: str  # "tap" | "swipe"
    selector: Selector | None
    label: str


@dataclass(frozen=True)
class SearchBudget:
    max_depth: int = 5  # one beyond the rule's 4, so a policy at 5 is reported as such
    max_states: int = 200
    max_operations: int = 2000
    max_seconds: float = 900.0


class _OutOfBudget(Exception):
    pass


class PolicySearcher:
    def __init__(
        self,
        ctx: RunContext,
        budget: SearchBudget = SearchBudget(),
        policy_url_seen: Callable[[float], str | None] | None = None,
    ) -> None:
        self.ctx, self.budget, self.policy_url_seen = ctx, budget, policy_url_seen
        self.operations = 0
        self.deadline = time.monotonic() + budget.max_seconds
        self.controls: dict[str, FoundControl] = {}

    # ----------------------------------------------------------------- moving

    def _charge(self) -> None:
        if self.operations >= self.budget.max_operations or time.monotonic() > self.deadline:
            raise _OutOfBudget

    def _to_main(self) -> Observation | None:
        """Restart the app (consent already given) and get to its main interface."""
        ctx = self.ctx
        ctx.driver.stop(ctx.settings.package)
        ctx.launch(clear=False)
        if not ctx.reach_main():
            return None
        return ctx.last

    def _apply(self, op: Op) -> Observation | None:
        self._charge()
        self.operations += 1
        ctx = self.ctx
        if op.kind == "swipe":
            w, h = _screen_size(ctx.last.hierarchy) if ctx.last else (1080, 2400)
            ctx.rec.event(SWIPE, ctx.rec.last_screen, "up (scroll)")
            ctx.driver.swipe(w // 2, int(h * 0.75), w // 2, int(h * 0.3), 300)
        elif op.selector is None or not ctx.tap(op.selector, TAP, op.label):
            return None
        return ctx.wait_change()

    def _replay(self, path: tuple[Op, ...]) -> Observation | None:
        obs = self._to_main()
        for op in path:
            if obs is None:
                return None
            obs = self._apply(op)
        return obs

    # ----------------------------------------------------------------- looking

    def _ops(self, h: Hierarchy) -> list[Op]:
        ops = [Op("tap", s, s.describe()) for s, _node in clickable_targets(h, self.ctx.settings.package)]
        if any(n.scrollable for n in h.nodes()):
            ops.append(Op("swipe", None, "swipe up"))
        return ops

    def _note_controls(self, obs: Observation, path: tuple[Op, ...]) -> None:
        for node in obs.hierarchy.nodes():
            label = node.label
            if not label or len(label) > 40:
                continue
            low = label.lower()
            for kind, words in CONTROL_WORDS.items():
                if kind not in self.controls and any(w.lower() in low for w in words):
                    self.controls[kind] = FoundControl(kind, label, tuple(o.label for o in path), obs.screen_id)

    def _is_policy(self, obs: Observation, since: float) -> str | None:
        """ "" for a screen that shows the policy text, the URL for a WebView that loaded one, else None."""
        if is_policy_screen(obs.hierarchy):
            return ""
        if self.policy_url_seen is None:
            return None
        url = self.policy_url_seen(since)
        if url is None and any("WebView" in n.cls for n in obs.hierarchy.nodes()):
            deadline = time.monotonic() + WEBVIEW_URL_WAIT  # the page's request may trail the screen change
            while url is None and time.monotonic() < deadline:
                time.sleep(0.2)
                url = self.policy_url_seen(since)
        return url

    # ----------------------------------------------------------------- the search

    def run(self) -> tuple[PolicySearch, tuple[FoundControl, ...]]:
        root = self.ctx.last
        if root is None or not looks_like_main(root.hierarchy, self.ctx.settings.package):
            root = self._to_main()
        if root is None:
            return PolicySearch(False, 0, False), ()
        self._note_controls(root, ())
        frontier: list[tuple[tuple[Op, ...], str]] = [((), root.screen_id)]
        visited = {root.screen_id}
        completed = 0
        try:
            for depth in range(1, self.budget.max_depth + 1):
                next_frontier: list[tuple[tuple[Op, ...], str]] = []
                for path, _state in frontier:
                    start = self._replay(path)
                    if start is None:
                        continue
                    for i, op in enumerate(self._ops(start.hierarchy)):
                        if i and self._replay(path) is None:
                            break
                        since = time.time()
                        obs = self._apply(op)
                        if obs is None or not self.ctx._running:
                            continue
                        if obs.analysis.package != self.ctx.settings.package:
                            continue  # left the app (a browser, the store): not explored further
                        new_path = (*path, op)
                        self._note_controls(obs, new_path)
                        via = self._is_policy(obs, since)
                        if via is not None:
                            return self._found(new_path, obs, via, visited, completed), self._found_controls()
                        if obs.screen_id not in visited:
                            if len(visited) >= self.budget.max_states:
                                raise _OutOfBudget
                            visited.add(obs.screen_id)
                            next_frontier.append((new_path, obs.screen_id))
                completed = depth
                frontier = next_frontier
                if not frontier:
                    break  # every reachable state explored: absence proven to any depth
        except _OutOfBudget:
            return (
                PolicySearch(False, completed, completed >= 1, budget_exhausted=True, states_visited=len(visited)),
                self._found_controls(),
            )
        # Every level to max_depth was searched, or the reachable states ran out first (absence proven).
        return PolicySearch(False, self.budget.max_depth, True, states_visited=len(visited)), self._found_controls()

    def _found(
        self, path: tuple[Op, ...], obs: Observation, via: str, visited: set[str], completed: int
    ) -> PolicySearch:
        return PolicySearch(
            True,
            max(completed, len(path)),
            True,
            operations=len(path),
            path=tuple(o.label for o in path),
            policy_screen=obs.screen_id,
            states_visited=len(visited) + 1,
            via_traffic=via or None,
        )

    def _found_controls(self) -> tuple[FoundControl, ...]:
        return tuple(self.controls[k] for k in CONTROL_WORDS if k in self.controls)


def _screen_size(h: Hierarchy) -> tuple[int, int]:
    x2 = max((w.bounds[2] for w in h.windows), default=1080)
    y2 = max((w.bounds[3] for w in h.windows), default=2400)
    return x2 or 1080, y2 or 2400


def search_policy(
    ctx: RunContext, budget: SearchBudget = SearchBudget(), policy_url_seen: Callable[[float], str | None] | None = None
) -> tuple[PolicySearch, tuple[FoundControl, ...]]:
    return PolicySearcher(ctx, budget, policy_url_seen).run()
