"""Auditor assessments and suppressions on top of the machine's check result."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from appaudit.checker.assessment import apply_assessments, load_assessments
from appaudit.checker.model import CheckResult, Verdict
from appaudit.checker.run import evaluate
from appaudit.checker.suppress import apply_suppressions, load_suppressions
from appaudit.errors import InputError
from appaudit.evidence import codec

ROOT = Path(__file__).resolve().parents[1]
ASSESSMENTS = ROOT / "fixtures" / "assessments"
BASELINES = ROOT / "fixtures" / "baselines"
TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def violating() -> CheckResult:
    from appaudit.pipeline import scan_apk

    return evaluate(scan_apk(ROOT / "fixtures" / "apps" / "violating" / "violating.apk").bundle)


def test_assessment_overrides_the_machine_verdict_and_the_score(violating: CheckResult) -> None:
    assert violating.result("III.1").verdict is Verdict.VIOLATION
    assessed = apply_assessments(violating, load_assessments(ASSESSMENTS / "valid.yaml", today=TODAY))

    iii1 = assessed.result("III.1")
    assert iii1.verdict is Verdict.PASS
    assert iii1.source == "auditor"
    assert iii1.machine_verdict is Verdict.VIOLATION
    assert iii1.assessment.auditor == "Li Wei"
    assert iii1.evidence[0].kind == "auditor"
    assert [r.detail for r in iii1.evidence[1:3]] == ["screenshot 3 in the audit file", "logcat excerpt L120-L180"]
    assert any(r.kind == "startup_finding" for r in iii1.evidence), "the machine's evidence is kept"

    iii7 = assessed.result("III.7")  # the machine could not assess it; the auditor completes it
    assert iii7.verdict is Verdict.VIOLATION
    assert iii7.machine_verdict is violating.result("III.7").verdict
    assert iii7.machine_verdict is not Verdict.VIOLATION

    before, after = violating.score.overall, assessed.score.overall
    assert after.decided == before.decided + 1  # III.7 newly decided; III.1 changed side
    assert after.passed == before.passed + 1
    assert after.violation == before.violation
    assert [r.item_id for r in assessed.results if r.source == "auditor"] == ["III.1", "III.7"]

    data = json.loads(json.dumps(codec.to_jsonable(assessed), ensure_ascii=False))
    row = next(r for r in data["results"] if r["item_id"] == "III.1")
    assert (row["verdict"], row["source"], row["machine_verdict"]) == ("pass", "auditor", "violation")
    assert row["assessment"]["date"] == "2026-11-20"
    untouched = next(r for r in data["results"] if r["item_id"] == "I.1")
    assert (untouched["source"], untouched["machine_verdict"], untouched["assessment"]) == ("machine", None, None)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("unknown_item", "unknown item 'III.12'"),
        ("bad_verdict", "unknown verdict 'compliant'"),
        ("future_date", "is in the future"),
        ("missing_auditor", "entry 2 (line 7): 'auditor' is required"),
        ("duplicate_item", "a second assessment of III.1"),
    ],
)
def test_invalid_assessment_files_are_input_errors(name: str, message: str) -> None:
    path = ASSESSMENTS / f"{name}.yaml"
    with pytest.raises(InputError) as caught:
        load_assessments(path, today=TODAY)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "assessments:\n  - item: I.1\n    verdict: pass\n    note: x\n    auditor: y\n    date: 2026-02-30\n",
        "assessments:\n  - item: I.1\n    verdict: pass\n    note: x\n    auditor: y\n    date: yesterday\n",
        "assessments:\n  - item: I.1\n    verdict: pass\n    note: ''\n    auditor: y\n    date: 2026-11-01\n",
        "assessments:\n  - item: I.1\n    item: I.2\n",
        "assessments:\n  - !!python/object/apply:os.system ['true']\n",
        "other: []\n",
        "assessments:\n  - item: I.1\n    verdict: error\n    note: x\n    auditor: y\n    date: 2026-11-01\n",
    ],
    ids=["impossible-date", "not-a-date", "empty-note", "duplicate-key", "unsafe-tag", "wrong-top-key", "error"],
)
def test_more_invalid_assessments(tmp_path: Path, text: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError):
        load_assessments(path, today=TODAY)


# --------------------------------------------------------------------------- suppressions


def test_unexpired_suppression_marks_without_hiding_and_expired_is_reported(violating: CheckResult) -> None:
    suppressions = load_suppressions(BASELINES / "suppressions.yaml")
    result = apply_suppressions(violating, suppressions, TODAY)

    i1 = result.result("I.1")
    assert i1.verdict is Verdict.VIOLATION  # kept and shown
    assert i1.suppressed_by is not None and i1.suppressed_by.expires == "2027-01-31"
    assert "PRIV-12" in i1.suppressed_by.reason
    assert i1 not in result.findings()

    iii1 = result.result("III.1")  # its suppression expired on 2026-10-31
    assert iii1.verdict is Verdict.VIOLATION and iii1.suppressed_by is None
    assert iii1 in result.findings()
    assert [s.item_id for s in result.expired_suppressions] == ["III.1"]

    assert result.score == violating.score  # an accepted violation is still a violation
    data = codec.to_jsonable(result)
    assert next(r for r in data["results"] if r["item_id"] == "I.1")["suppressed_by"]["reason"]
    assert data["expired_suppressions"][0]["expires"] == "2026-10-31"


def test_suppression_applies_until_its_expiry_day_and_match_must_hit(violating: CheckResult) -> None:
    suppressions = load_suppressions(BASELINES / "suppressions.yaml")
    on_the_day = apply_suppressions(violating, suppressions, dt.date(2026, 10, 31))
    assert on_the_day.result("III.1").suppressed_by is not None  # "jpush" is in a III.1 evidence ref
    assert not on_the_day.expired_suppressions
    assert apply_suppressions(violating, suppressions, dt.date(2027, 2, 1)).result("I.1").suppressed_by is None


def test_suppression_match_that_hits_nothing_does_not_suppress(violating: CheckResult, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "suppressions:\n  - item: III.1\n    reason: r\n    expires: 2027-01-31\n    match: no-such-sdk\n",
        encoding="utf-8",
    )
    assert apply_suppressions(violating, load_suppressions(path), TODAY).result("III.1").suppressed_by is None


@pytest.mark.parametrize(
    ("name", "message"),
    [("suppression_no_reason", "'reason' is required"), ("suppression_no_expiry", "'expires' must be a real date")],
)
def test_suppression_without_reason_or_expiry_is_an_input_error(name: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_suppressions(BASELINES / f"{name}.yaml")
