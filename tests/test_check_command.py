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


FIXTURES = APPS.parent


def test_auditor_assessment_overrides_and_is_marked_human(evidence, tmp_path) -> None:
    out = tmp_path / "v.json"
    assessments = str(FIXTURES / "assessments" / "valid.yaml")
    result = check(str(evidence["violating"]), "--assessment", assessments, "--format", "json", "-o", str(out))
    by_id = {r["item_id"]: r for r in json.loads(out.read_text(encoding="utf-8"))["results"]}
    assert by_id["III.1"]["verdict"] == "pass" and by_id["III.1"]["source"] == "auditor"
    assert by_id["III.1"]["machine_verdict"] == "violation"  # the machine's answer is kept
    assert by_id["III.7"]["verdict"] == "violation" and by_id["III.7"]["source"] == "auditor"
    assert by_id["I.1"]["source"] == "machine"
    assert result.returncode == 1  # I.1 (machine) and III.7 (auditor) are still violations


def test_invalid_assessment_file_is_an_input_error(evidence) -> None:
    bad = FIXTURES / "assessments" / "unknown_item.yaml"
    assert bad.is_file()
    result = check(str(evidence["violating"]), "--assessment", str(bad))
    assert result.returncode == 2 and result.stderr.startswith("error:") and "Traceback" not in result.stderr


def test_unexpired_suppression_stops_gating_but_stays_visible(evidence, tmp_path) -> None:
    sup = tmp_path / "sup.yaml"
    sup.write_text(
        "suppressions:\n"
        "  - {item: I.1, reason: 'policy moves to the web shell (PRIV-12)', expires: 2999-01-31}\n"
        "  - {item: III.1, reason: 'accepted until the bootstrap moves (PRIV-40)', expires: 2999-01-31}\n"
        "  - {item: IV.1, reason: 'old', expires: 2000-01-01}\n",
        encoding="utf-8",
    )
    out = tmp_path / "v.json"
    result = check(str(evidence["violating"]), "--suppressions", str(sup), "--format", "json", "-o", str(out))
    assert result.returncode == 0  # both violations are suppressed, so nothing gates
    assert "suppression of IV.1 expired" in result.stderr
    by_id = {r["item_id"]: r for r in json.loads(out.read_text(encoding="utf-8"))["results"]}
    assert by_id["III.1"]["verdict"] == "violation"  # still shown as what it is
    assert by_id["III.1"]["suppressed_by"]["reason"].startswith("accepted until")


def test_baseline_feeds_item_ii2(evidence, tmp_path) -> None:
    out = tmp_path / "v.json"
    check(str(evidence["violating"]), "--baseline", str(evidence["compliant"]), "--format", "json", "-o", str(out))
    ii2 = next(r for r in json.loads(out.read_text(encoding="utf-8"))["results"] if r["item_id"] == "II.2")
    assert ii2["verdict"] == "needs_review"
    assert any("jpush" in (e["ref"] + e["detail"]) for e in ii2["evidence"])  # a new SDK since the baseline
