"""Release over release: the evidence diff and how item II.2 reads it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from appaudit.checker.baseline import compare
from appaudit.checker.model import Verdict
from appaudit.checker.run import evaluate
from appaudit.checks.logic import LOGIC
from appaudit.evidence import codec
from appaudit.evidence.model import EvidenceBundle, Status

APPS = Path(__file__).resolve().parents[1] / "fixtures" / "apps"


@pytest.fixture(scope="module")
def bundles() -> dict[str, EvidenceBundle]:
    from appaudit.pipeline import scan_apk

    return {app: scan_apk(APPS / app / f"{app}.apk").bundle for app in ("compliant", "violating")}


def _keys(changes, kind: str) -> set[str]:
    return {c.key for c in changes if c.kind == kind}


def test_compare_lists_what_the_new_release_adds_and_removes(bundles: dict[str, EvidenceBundle]) -> None:
    diff = compare(bundles["compliant"], bundles["violating"])
    assert diff.changed
    assert {"android.permission.READ_CONTACTS", "android.permission.CAMERA"} <= _keys(diff.added, "permission")
    assert "android.permission.ACCESS_NETWORK_STATE" in _keys(diff.removed, "permission")
    assert _keys(diff.added, "sdk") == {"jpush"}
    assert any(k.startswith("sensitive_api:tm_getDeviceId via ") for k in _keys(diff.added, "startup_finding"))
    # umeng is initialised in both, but by another chain: a new start-up chain and the old one gone
    assert any(k.startswith("sdk_init:umeng_analytics via ") for k in _keys(diff.added, "startup_finding"))
    assert any(k.startswith("sdk_init:umeng_analytics via ") for k in _keys(diff.removed, "startup_finding"))
    assert _keys(diff.added, "endpoint") == {"log.violating-example.cn"}
    assert "www.umeng.com" in _keys(diff.removed, "endpoint")
    assert {"imei", "imsi", "clipboard"} <= _keys(diff.added, "pi_type")
    assert diff.policy_hints_changed is True
    assert "assets/privacy_policy.html" in _keys(diff.removed, "policy_document")
    assert all(c.ref.startswith("baseline:") for c in diff.removed)
    assert diff.same_package is False
    assert not diff.incomparable


def test_ii2_needs_review_citing_the_new_items(bundles: dict[str, EvidenceBundle]) -> None:
    diff = compare(bundles["compliant"], bundles["violating"])
    result = evaluate(bundles["violating"], baseline=diff)
    ii2 = result.result("II.2")
    assert ii2.verdict is Verdict.NEEDS_REVIEW
    refs = {(r.kind, r.ref) for r in ii2.evidence}
    for change in diff.added_of("permission", "sdk", "startup_finding", "endpoint"):
        assert (change.kind, change.ref) in refs
    assert any("READ_CONTACTS" in c.key for c in diff.added_of("permission"))
    assert "another package" in ii2.summary
    assert result.baseline is diff
    assert codec.to_jsonable(result)["baseline"]["added"]


def test_identical_bundles_have_no_changes_and_ii2_passes_with_low_confidence(
    bundles: dict[str, EvidenceBundle],
) -> None:
    diff = compare(bundles["violating"], bundles["violating"])
    assert not diff.changed and not diff.added and not diff.removed
    assert diff.policy_hints_changed is False and diff.same_package is True
    ii2 = evaluate(bundles["violating"], baseline=diff).result("II.2")
    assert ii2.verdict is Verdict.PASS
    assert ii2.confidence.value == "low"
    assert ii2.evidence[0].kind == "baseline"


def test_only_removals_do_not_need_a_renewed_notice(bundles: dict[str, EvidenceBundle]) -> None:
    current = bundles["violating"]
    previous = replace(current, sdks=(*current.sdks, replace(current.sdks[0], sdk_id="retired_sdk")))
    diff = compare(previous, current)
    assert [c.key for c in diff.removed] == ["retired_sdk"] and not diff.added
    assert LOGIC["II.2"](current, baseline=diff).verdict is Verdict.PASS


def test_an_unusable_part_is_incomparable_not_unchanged(bundles: dict[str, EvidenceBundle]) -> None:
    current = bundles["violating"]
    parts = tuple(replace(p, status=Status.FAILED) if p.name == "sdks" else p for p in current.parts)
    diff = compare(current, replace(current, parts=parts))
    assert diff.incomparable == ("sdk",)
    assert LOGIC["II.2"](current, baseline=diff).verdict is Verdict.INCONCLUSIVE


def test_ii2_without_a_baseline_is_not_assessed(bundles: dict[str, EvidenceBundle]) -> None:
    ii2 = evaluate(bundles["violating"]).result("II.2")
    assert ii2.verdict is Verdict.NOT_ASSESSED
    assert evaluate(bundles["violating"]).baseline is None


def test_review_inputs_from_files_end_to_end(bundles: dict[str, EvidenceBundle], tmp_path: Path) -> None:
    import datetime as dt

    from appaudit.checker.run import evaluate_reviewed, load_review_inputs
    from appaudit.errors import InputError

    fixtures = APPS.parent
    previous = tmp_path / "evidence.json"
    codec.write(bundles["compliant"], previous)
    inputs = load_review_inputs(
        baseline=previous,
        assessment=fixtures / "assessments" / "valid.yaml",
        suppressions=fixtures / "baselines" / "suppressions.yaml",
        today=dt.date(2026, 11, 22),
    )
    result = evaluate_reviewed(bundles["violating"], inputs, today=dt.date(2026, 11, 22))
    assert result.result("II.2").verdict is Verdict.NEEDS_REVIEW
    assert result.result("III.1").source == "auditor"
    assert result.result("I.1").suppressed_by is not None
    assert [s.item_id for s in result.expired_suppressions] == ["III.1"]

    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.json"):
        load_review_inputs(baseline=tmp_path / "broken.json")
    with pytest.raises(InputError, match=r"missing\.json"):
        load_review_inputs(baseline=tmp_path / "missing.json")
