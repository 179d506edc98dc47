"""Device runs end to end: the production run code on the simulated device, through a real mitmdump.

Each scenario in fixtures/scenarios is one app behaviour; the verdicts it must produce are asserted, so
a scenario that changes one behaviour (a policy one click deeper, a request before the tap) flips them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from appaudit.checker.model import Verdict
from appaudit.checker.run import evaluate
from appaudit.device.policy_search import SearchBudget
from appaudit.device.runs import RunSettings
from appaudit.device.session import SessionSettings, run_device_session
from appaudit.device.simulated import SimulatedDevice
from appaudit.evidence import codec
from appaudit.evidence.device import APP_EXIT, CONSENT_AGREE, CONSENT_PROMPT, CONSENT_REFUSE, PERMISSION_PROMPT
from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.timeline import Phase, place

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "fixtures" / "scenarios"
STATIC = ROOT / "fixtures" / "checks" / "III.1" / "pass_all_guarded.json"  # compliant.apk's static evidence
FAST = RunSettings("", dwell=0.8, observe=0.8, poll=0.1, settle_timeout=3.0, quiet=0.4)
OPTIONS = ("connection_strategy=lazy", "appaudit_answer_locally=true")


def _session(
    tmp_path: Path, scenario: str, runs: tuple[str, ...], budget: SearchBudget | None = None
) -> EvidenceBundle:
    with SimulatedDevice(SCENARIOS / f"{scenario}.yaml") as device:
        static = codec.read(STATIC)
        assert static.app is not None
        bundle = replace(static, app=replace(static.app, package=device.scenario.package))
        settings = SessionSettings(runs=runs, run=FAST, budget=budget or SearchBudget(max_seconds=120),
                                   capture_options=OPTIONS)  # fmt: skip
        result = run_device_session(device, ROOT / "fixtures" / "apps" / "compliant" / "compliant.apk", bundle,
                                    tmp_path, settings)  # fmt: skip
    return result.bundle


def _verdicts(bundle: EvidenceBundle) -> dict[str, Verdict]:
    return {r.item_id: r.verdict for r in evaluate(bundle).results}


@pytest.fixture(scope="module")
def compliant(tmp_path_factory: pytest.TempPathFactory) -> EvidenceBundle:
    return _session(tmp_path_factory.mktemp("compliant"), "compliant", ("agree", "refuse", "ignore"))


def test_compliant_app_passes_the_device_items(compliant: EvidenceBundle) -> None:
    v = _verdicts(compliant)
    for item in ("I.2", "I.3", "III.2", "III.4", "IV.2", "IV.6"):
        assert v[item] is Verdict.PASS, (item, v[item])
    agree = compliant.device.runs[0]
    assert agree.policy_search is not None and agree.policy_search.found and agree.policy_search.operations == 3
    assert agree.policy_search.path[-1] == 'text="隐私政策"'


def test_timeline_and_artifacts_are_recorded(compliant: EvidenceBundle, tmp_path_factory) -> None:
    agree, refuse, ignore = compliant.device.runs
    assert [r.kind for r in compliant.device.runs] == ["agree", "refuse", "ignore"]
    assert all(r.fresh_install for r in compliant.device.runs)
    kinds = [e.kind for e in agree.events]
    assert kinds.index(CONSENT_PROMPT) < kinds.index(CONSENT_AGREE)
    assert CONSENT_REFUSE in [e.kind for e in refuse.events]
    assert CONSENT_AGREE not in [e.kind for e in ignore.events]
    prompt = next(s for s in agree.screens if s.kind == "consent_prompt")
    assert prompt.consent is not None and "《隐私政策》" in prompt.consent.policy_links
    assert prompt.dump and prompt.dump.endswith(".xml")
    ts = [e.ts for e in agree.events]
    assert ts == sorted(ts)  # one clock, in order


def test_compliant_traffic_is_all_after_consent(compliant: EvidenceBundle) -> None:
    traffic = compliant.traffic
    assert traffic is not None and traffic.capture.interception_verified is True
    phases = {place(compliant.device, f.ts).phase for f in traffic.flows if f.destination.third_party}
    assert Phase.BEFORE_CONSENT not in phases and Phase.AFTER_REFUSAL not in phases


def test_pre_consent_collection_is_a_violation_with_the_flow_as_evidence(tmp_path: Path) -> None:
    bundle = _session(tmp_path, "pre_consent_collection", ("agree",))
    result = {r.item_id: r for r in evaluate(bundle).results}
    assert result["III.1"].verdict is Verdict.VIOLATION
    assert any(ref.kind == "flow" and "alog.umeng.com" in ref.detail for ref in result["III.1"].evidence)
    assert result["V.1"].verdict is Verdict.VIOLATION
    assert any(u.host == "api.pinned.appaudit-sim.cn" for u in bundle.traffic.unobservable)
    # The profile was gathered from the device: its IMEI, the app's Android ID and the seeded location.
    found = {m.pi_type for m in bundle.traffic.pi_matches if m.detector == "profile"}
    assert {"imei", "android_id", "location_precise"} <= found, found
    assert any("location seeded" in v for v in bundle.device.validated)


def test_permission_burst_before_consent(tmp_path: Path) -> None:
    bundle = _session(tmp_path, "permission_burst", ("agree",))
    v = _verdicts(bundle)
    assert v["III.1"] is Verdict.VIOLATION and v["IV.6"] is Verdict.VIOLATION
    run = bundle.device.runs[0]
    assert len(run.events_of(PERMISSION_PROMPT)) == 3


def test_no_consent_prompt_flips_i2_and_the_flows_are_before_consent(tmp_path: Path) -> None:
    bundle = _session(tmp_path, "no_consent_prompt", ("agree",))
    v = _verdicts(bundle)
    assert v["I.2"] is Verdict.VIOLATION and v["III.1"] is Verdict.VIOLATION
    assert not bundle.device.runs[0].events_of(CONSENT_PROMPT)


@pytest.mark.parametrize(("scenario", "operations", "verdict"), [
    ("policy_depth_4", 4, Verdict.PASS),
    ("policy_depth_5", 5, Verdict.VIOLATION),
    ("policy_by_swipe", None, Verdict.PASS),
    ("webview_policy", None, Verdict.PASS),
])  # fmt: skip
def test_policy_search_depth(tmp_path: Path, scenario: str, operations: int | None, verdict: Verdict) -> None:
    bundle = _session(tmp_path, scenario, ("agree",))
    search = bundle.device.runs[0].policy_search
    assert search is not None and search.found, search
    if operations is not None:
        assert search.operations == operations
    if scenario == "policy_by_swipe":
        assert "swipe up" in search.path
    if scenario == "webview_policy":
        assert search.via_traffic and "privacy" in search.via_traffic
    assert _verdicts(bundle)["I.3"] is verdict


def test_budget_limited_search_is_inconclusive(tmp_path: Path) -> None:
    bundle = _session(tmp_path, "policy_depth_5", ("agree",), SearchBudget(max_states=2, max_seconds=60))
    search = bundle.device.runs[0].policy_search
    assert search is not None and not search.found and search.budget_exhausted
    assert _verdicts(bundle)["I.3"] is Verdict.INCONCLUSIVE


@pytest.mark.parametrize(("scenario", "item"), [
    ("reprompt_after_refusal", "III.2"),
    ("exit_on_refusal", "IV.2"),
    ("prechecked_consent", "III.4"),
    ("acknowledge_only", "III.4"),
])  # fmt: skip
def test_consent_behaviours_flip_their_items(tmp_path: Path, scenario: str, item: str) -> None:
    runs = ("refuse",) if item in ("III.2", "IV.2") else ("agree",)
    bundle = _session(tmp_path, scenario, runs)
    assert _verdicts(bundle)[item] is Verdict.VIOLATION
    if scenario == "exit_on_refusal":
        assert bundle.device.runs[0].events_of(APP_EXIT)


class _SplashDevice:
    """Serves a real splash dump with a countdown skip button and records where it was tapped."""

    serial = "splash-1"

    def __init__(self) -> None:
        self.taps: list[tuple[int, int]] = []

    def dump_hierarchy(self) -> str:
        return (ROOT / "fixtures" / "ui" / "splash_countdown_5.xml").read_text(encoding="utf-8")

    def screenshot(self) -> None:
        return None

    def current_package(self) -> None:
        return None

    def tap(self, x: int, y: int) -> None:
        self.taps.append((x, y))


def test_onboarding_skip_matches_a_countdown_label(tmp_path: Path) -> None:
    from appaudit.device.recorder import Recorder
    from appaudit.device.runs import RunContext
    from appaudit.device.ui.selectors import Selector

    device = _SplashDevice()
    rec = Recorder(device, "com.appaudit.sim.app", "agree-1", "agree", tmp_path)  # type: ignore[arg-type]
    ctx = RunContext(device, replace(FAST, package="com.appaudit.sim.app", quiet=0.1), rec)  # type: ignore[arg-type]
    obs = ctx.look()
    assert obs is not None and ctx._skip_onboarding(obs)
    skip = Selector(text="跳过 5").find(obs.hierarchy)
    assert skip is not None and len(device.taps) == 1
    x, y = device.taps[0]
    assert skip.bounds[0] <= x <= skip.bounds[2] and skip.bounds[1] <= y <= skip.bounds[3]
    assert rec.events[-1].kind == "tap" and "onboarding" in rec.events[-1].detail
