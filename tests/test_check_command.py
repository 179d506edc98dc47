"""``appaudit check``: offline evaluation of saved evidence, with CI exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from appaudit.checker.model import Verdict
from appaudit.checker.run import evaluate
from appaudit.commands.check import exit_code_for
from appaudit.evidence import codec
from appaudit.pipeline import scan_apk

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"


@pytest.fixture(scope="module")
def evidence(tmp_path_factory) -> dict[str, Path]:
    out = {}
    for name in ("violating", "compliant"):
        path = tmp_path_factory.mktemp(name) / "evidence.json"
        codec.write(scan_apk(APPS / name / f"{name}.apk").bundle, path)
        out[name] = path
    return out


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appaudit", "check", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_violations_fail_the_run_and_exit_zero_reports_only(evidence) -> None:
    result = check(str(evidence["violating"]))
    assert result.returncode == 1
    assert "III.1" in result.stdout and "violation" in result.stdout
    assert "insufficient evidence" in result.stdout  # a static-only run decides too little for a grade
    assert check(str(evidence["violating"]), "--exit-zero").returncode == 0


def test_json_output_has_31_items_with_evidence_behind_every_decision(evidence, tmp_path) -> None:
    out = tmp_path / "verdicts.json"
    assert check(str(evidence["violating"]), "--format", "json", "-o", str(out)).returncode == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["item_id"] for r in data["results"]][:5] == ["I.1", "I.2", "I.3", "I.4", "II.1"]
    assert len(data["results"]) == 31
    by_id = {r["item_id"]: r for r in data["results"]}
    assert by_id["III.1"]["verdict"] == "violation" and by_id["I.1"]["verdict"] == "violation"
    assert any("getDeviceId" in ref["detail"] for ref in by_id["III.1"]["evidence"])
    for r in data["results"]:
        if r["verdict"] in ("violation", "pass"):
            assert r["evidence"], r["item_id"]
        if r["verdict"] == "not_assessed":
            assert r["needs"], r["item_id"]  # says which run would assess it


def test_compliant_app_passes_at_the_default_level_but_not_at_needs_review(evidence) -> None:
    assert check(str(evidence["compliant"])).returncode == 0
    assert check(str(evidence["compliant"]), "--fail-on", "needs-review").returncode == 1


@pytest.mark.parametrize("content", [None, "{not json", '{"schema_version": "9.0"}'])
def test_bad_evidence_file_is_an_input_error(tmp_path, content) -> None:
    path = tmp_path / "evidence.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = check(str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr


def test_an_item_logic_error_is_an_internal_error(evidence) -> None:
    result = evaluate(codec.read(evidence["compliant"]))
    broken = replace(result, results=(replace(result.results[0], verdict=Verdict.ERROR), *result.results[1:]))
    assert exit_code_for(broken, "violation") == 3
    assert exit_code_for(broken, "violation", exit_zero=True) == 3  # a broken run is never reported as clean
