"""`appaudit run`: the command line around the device session."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from appaudit.cli import main

ROOT = Path(__file__).resolve().parents[1]
APK = ROOT / "fixtures" / "apps" / "compliant" / "compliant.apk"
SCENARIO = ROOT / "fixtures" / "scenarios" / "compliant.yaml"


def test_run_on_a_scenario_writes_evidence_report_capture_and_dumps(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["-q", "run", str(APK), "--scenario", str(SCENARIO), "--runs", "agree", "--dwell", "0.5",
            "--observe", "0.5", "--quiet-seconds", "0.4", "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    evidence = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    (run,) = evidence["device"]["runs"]
    assert run["kind"] == "agree" and run["policy_search"]["operations"] == 3
    assert any("HTTPS probe" in v for v in evidence["device"]["validated"])
    assert evidence["traffic"]["capture"]["interception_verified"] is True
    dumps = sorted((out / "runs" / "agree").glob("*.xml"))
    assert dumps and all(d.read_text(encoding="utf-8").startswith("<?xml") for d in dumps)
    assert (out / "capture" / "capture.json").is_file()


def test_device_and_scenario_together_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(APK), "--device", "emulator-5554", "--scenario", str(SCENARIO)])
    assert result.exit_code == 2 and "not both" in result.output


def test_unknown_run_kind_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["run", str(APK), "--scenario", str(SCENARIO), "--runs", "agree,dance"])
    assert result.exit_code == 2 and "agree, refuse, ignore" in result.output


def test_missing_adb_is_a_clear_input_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no adb anywhere
    monkeypatch.delenv("ANDROID_HOME", raising=False)
    monkeypatch.delenv("ANDROID_SDK_ROOT", raising=False)
    result = CliRunner().invoke(main, ["run", str(APK), "--device", "emulator-5554", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "adb" in result.output and "Traceback" not in result.output
