"""The places for traffic, device-run and policy evidence: round trip, timeline phases, helpers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from appaudit.evidence import codec
from appaudit.evidence.common import Confidence
from appaudit.evidence.device import (
    CONSENT_AGREE,
    CONSENT_REFUSE,
    SCREEN,
    DeviceEvidence,
    DeviceInfo,
    DeviceRun,
    UiEvent,
)
from appaudit.evidence.model import SCHEMA_VERSION
from appaudit.evidence.policy_text import PolicyEvidence, PolicySentence, PolicyText, ResponseTime
from appaudit.evidence.timeline import Phase, place
from appaudit.evidence.traffic import CaptureInfo, Destination, PiMatch, TrafficEvidence, UnobservableHost

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ROOT / "fixtures" / "checks"
T = 1_000.0


def _run(*events: UiEvent, fresh: bool = True, start: float = T, end: float = T + 100) -> DeviceRun:
    return DeviceRun("agree-1", "agree", start, end, fresh, events, ())


def _device(*runs: DeviceRun) -> DeviceEvidence:
    return DeviceEvidence(DeviceInfo("emulator-5554", "simulated"), runs)


AGREE = _run(
    UiEvent(T + 1, SCREEN, "prompt"), UiEvent(T + 20, CONSENT_AGREE, "prompt"), UiEvent(T + 21.5, SCREEN, "main")
)


@pytest.mark.parametrize(
    ("ts", "phase"),
    [
        (T + 0.0, Phase.BEFORE_CONSENT),
        (T + 19.999, Phase.BEFORE_CONSENT),  # one millisecond before the tap: before consent, no grace window
        (T + 20.0, Phase.AMBIGUOUS),  # the tap itself: its outcome is not visible yet
        (T + 21.499, Phase.AMBIGUOUS),
        (T + 21.5, Phase.AFTER_CONSENT),  # the first changed screen settles it
        (T + 100.0, Phase.AFTER_CONSENT),
        (T + 100.001, Phase.UNKNOWN),  # outside every run
        (T - 0.001, Phase.UNKNOWN),
    ],
)
def test_phase_around_the_consent_tap(ts: float, phase: Phase) -> None:
    assert place(_device(AGREE), ts).phase is phase


def test_refusal_then_later_agreement_switches_phase() -> None:
    run = _run(
        UiEvent(T + 10, CONSENT_REFUSE, "prompt"),
        UiEvent(T + 11, SCREEN, "confirm"),
        UiEvent(T + 30, CONSENT_AGREE, "confirm"),
        UiEvent(T + 31, SCREEN, "main"),
    )
    device = _device(run)
    assert place(device, T + 12).phase is Phase.AFTER_REFUSAL
    assert place(device, T + 30.5).phase is Phase.AMBIGUOUS
    assert place(device, T + 40).phase is Phase.AFTER_CONSENT


def test_a_run_without_cleared_data_cannot_say_before_consent() -> None:
    """Consent may have been given in an earlier run when the app data was kept."""
    assert place(_device(replace(AGREE, fresh_install=False)), T + 5).phase is Phase.UNKNOWN
    assert place(_device(_run(fresh=True)), T + 50).phase is Phase.BEFORE_CONSENT  # never answered: ignore run


def test_no_device_evidence_means_unknown_phase() -> None:
    placement = place(None, T)
    assert placement.phase is Phase.UNKNOWN and placement.run is None


def test_placement_names_the_run() -> None:
    second = replace(AGREE, id="refuse-1", kind="refuse", started=T + 200, ended=T + 300)
    placement = place(_device(AGREE, second), T + 250)
    assert placement.run_index == 1 and placement.run is second


@pytest.mark.parametrize(
    ("amount", "unit", "working"),
    [(15, "working_days", 15.0), (21, "days", 15.0), (30, "days", 30 * 5 / 7), (48, "hours", 2.0)],
)
def test_response_time_in_working_days(amount: int, unit: str, working: float) -> None:
    assert ResponseTime(amount, unit, "d0.s0").working_days == pytest.approx(working)


def test_policy_sentence_lookup_and_ref() -> None:
    sentence = PolicySentence("d0.s1", "我们收集设备标识符。", 10, 20)
    doc = PolicyText("d0", "apk", "assets/p.html", "0" * 64, 40, (PolicySentence("d0.s0", "前言", 0, 2), sentence))
    policy = PolicyEvidence((doc,))
    assert policy.sentence("d0.s1") is sentence
    assert policy.sentence_ref("d0.s1") == "policy.documents[0].sentences[1]"
    assert policy.sentence("d1.s0") is None


def test_hashed_match_and_trustworthy_absence() -> None:
    dest = Destination("alog.umeng.com", "umeng.com", "sdk", "umeng_analytics")
    raw = PiMatch("f1", "imei", "imei", "profile", Confidence.HIGH, "request.body", ("json:$.i",))
    digest = replace(raw, encodings=("form:di", "md5"))
    assert not raw.hashed and digest.hashed
    capture = CaptureInfo("capture", T, T + 60, interception_verified=True)
    assert TrafficEvidence(capture, ()).trustworthy_absence
    assert not TrafficEvidence(replace(capture, interception_verified=None), ()).trustworthy_absence
    pinned = UnobservableHost("alog.umeng.com", "tls_failed", T, 2, dest)
    assert not TrafficEvidence(capture, (), (), (pinned,)).trustworthy_absence


@pytest.mark.parametrize(
    "fixture",
    [
        "III.2/fail_pi_after_refusal.json",
        "VI.5/fail_30_calendar_days.json",
        "IV.6/fail_three_dialogs_at_startup.json",
        "V.1/fail_undisclosed_hashed_id.json",
    ],
)
def test_dynamic_sections_round_trip_losslessly(fixture: str) -> None:
    text = (CHECKS / fixture).read_text(encoding="utf-8")
    bundle = codec.loads(text)
    assert bundle.schema_version == SCHEMA_VERSION
    assert bundle.traffic or bundle.device or bundle.policy
    assert codec.loads(codec.dumps(bundle)) == bundle
    assert json.loads(codec.dumps(bundle)) == json.loads(text)


def test_a_schema_1_0_file_still_loads_with_empty_dynamic_sections() -> None:
    data = json.loads((CHECKS / "III.1" / "pass_all_guarded.json").read_text(encoding="utf-8"))
    data["schema_version"] = "1.0"
    for key in ("traffic", "device", "policy"):
        data.pop(key, None)
    bundle = codec.loads(json.dumps(data))
    assert bundle.traffic is None and bundle.device is None and bundle.policy is None
    assert bundle.app is not None and bundle.app.package == "com.appaudit.fixture.compliant"


def test_dynamic_part_marked_failed_is_not_used() -> None:
    """A failed traffic part is never read as 'nothing sent'."""
    from appaudit.checks.logic import LOGIC
    from appaudit.evidence.model import PartStatus, Status

    bundle = codec.read(CHECKS / "V.1" / "fail_sdk_before_consent.json")
    failed = replace(
        bundle,
        parts=tuple(
            PartStatus("traffic", Status.FAILED, note="capture dir unreadable") if p.name == "traffic" else p
            for p in bundle.parts
        ),
    )
    assert LOGIC["V.1"](bundle).verdict.value == "violation"
    assert LOGIC["V.1"](failed).verdict.value != "violation"
    assert LOGIC["IV.4"](failed).verdict.value == "not_assessed"
