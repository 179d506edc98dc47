"""The policy text in a scan: bundled in the APK, given with --policy, and what the items make of it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from appaudit.cli import main

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "fixtures" / "apps"
POLICIES = ROOT / "fixtures" / "policies"


def _scan(tmp_path: Path, apk: Path, *extra: str) -> tuple[dict, dict]:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-q", "scan", str(apk), "-o", str(out), "--no-html", *extra])
    assert result.exit_code == 0, result.output
    evidence = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    verdicts = {r["item_id"]: r for r in json.loads((out / "verdicts.json").read_text(encoding="utf-8"))["results"]}
    return evidence, verdicts


def test_the_bundled_policy_is_analysed_and_decides_policy_items(tmp_path: Path) -> None:
    evidence, verdicts = _scan(tmp_path, APPS / "compliant" / "compliant.apk")
    policy = evidence["policy"]
    assert [d["location"] for d in policy["documents"]] == ["assets/privacy_policy.html"]
    assert [(s["name"], s["sdk_id"]) for s in policy["declared_sdks"]] == [("友盟+统计分析SDK", "umeng_analytics")]
    assert verdicts["I.1"]["verdict"] == "pass" and verdicts["I.1"]["confidence"] == "high"
    assert verdicts["II.1"]["verdict"] == "pass"  # the one embedded SDK is in the SDK table
    quoted = [ref["detail"] for ref in verdicts["VI.5"]["evidence"]]
    assert any("privacy@example.com" in q for q in quoted)


def test_an_auditor_policy_is_compared_with_the_code(tmp_path: Path) -> None:
    evidence, verdicts = _scan(
        tmp_path, APPS / "violating" / "violating.apk", "--policy", str(POLICIES / "good_complete_zh.html")
    )
    assert evidence["policy"]["documents"][0]["source"] == "auditor"
    iii9 = verdicts["III.9"]
    assert iii9["verdict"] == "violation"
    assert "imsi" in iii9["summary"] and "clipboard" in iii9["summary"]  # read by code, never declared


def test_a_policy_without_complaint_channel_fails_vi5(tmp_path: Path) -> None:
    _evidence, verdicts = _scan(
        tmp_path, APPS / "violating" / "violating.apk", "--policy", str(POLICIES / "no_complaint_zh.html")
    )
    assert verdicts["VI.5"]["verdict"] == "violation"


def test_an_unreadable_policy_source_is_a_partial_part_not_a_crash(tmp_path: Path) -> None:
    evidence, verdicts = _scan(
        tmp_path, APPS / "compliant" / "compliant.apk", "--policy", str(tmp_path / "missing.html")
    )
    part = next(p for p in evidence["parts"] if p["name"] == "policy")
    assert part["status"] == "partial" and "missing.html" in part["errors"][0]["scope"]
    assert verdicts["I.1"]["verdict"] == "pass"  # the bundled policy was still read


def test_fetch_policy_is_explicit_and_records_what_could_not_be_fetched(tmp_path: Path) -> None:
    evidence, _verdicts = _scan(tmp_path, APPS / "compliant" / "compliant.apk", "--fetch-policy")
    part = next(p for p in evidence["parts"] if p["name"] == "policy")
    hinted = [h["text"] for h in evidence["policy_hints"]["urls"] if h["text"].startswith("http")]
    assert hinted, "the fixture names its policy URL"
    # Each hinted URL was either fetched (a "url" document) or failed and says why (an error scoped to it);
    # on a machine without internet access, it is the latter.
    fetched = {d["location"] for d in evidence["policy"]["documents"] if d["source"] == "url"}
    failed = {e["scope"] for e in part["errors"]}
    assert set(hinted[:3]) == fetched | failed and not fetched & failed
    assert any(d["source"] == "apk" for d in evidence["policy"]["documents"])  # the bundled policy still read
