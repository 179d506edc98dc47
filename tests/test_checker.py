"""The checker: item logic over evidence fixtures, the registry, evaluate() and the score."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from appaudit.checker.model import Confidence, EvidenceRef, ItemResult, Verdict
from appaudit.checker.run import evaluate
from appaudit.checker.score import COVERAGE_FLOOR, INSUFFICIENT, score
from appaudit.checks.logic import ITEM_IDS, LOGIC
from appaudit.evidence import codec
from appaudit.evidence.model import EvidenceBundle

ROOT = Path(__file__).resolve().parents[1]
CHECK_FIXTURES = ROOT / "fixtures" / "checks"
APPS = ROOT / "fixtures" / "apps"
EXPECTED_ITEM_IDS = (
    *(f"I.{n}" for n in range(1, 5)),
    *(f"II.{n}" for n in range(1, 5)),
    *(f"III.{n}" for n in range(1, 10)),
    *(f"IV.{n}" for n in range(1, 7)),
    *(f"V.{n}" for n in range(1, 4)),
    *(f"VI.{n}" for n in range(1, 6)),
)


def _cases() -> list[tuple[str, str, dict]]:
    cases = []
    for expect_file in sorted(CHECK_FIXTURES.glob("*/expect.yaml")):
        item_id = expect_file.parent.name
        for name, expected in yaml.safe_load(expect_file.read_text(encoding="utf-8")).items():
            cases.append((item_id, name, expected))
    return cases


CASES = _cases()


def _bundle(item_id: str, case: str) -> EvidenceBundle:
    return codec.read(CHECK_FIXTURES / item_id / f"{case}.json")


@pytest.mark.parametrize(("item_id", "case", "expected"), CASES, ids=[f"{i}/{c}" for i, c, _ in CASES])
def test_fixture_case(item_id: str, case: str, expected: dict) -> None:
    result = LOGIC[item_id](_bundle(item_id, case))
    assert result.item_id == item_id
    assert result.verdict == Verdict(expected["verdict"]), result.summary
    if "confidence" in expected:
        assert result.confidence == Confidence(expected["confidence"])
    if "says" in expected:
        assert expected["says"] in result.summary, result.summary


def test_every_fixture_has_its_case_file_and_no_strays() -> None:
    for item_dir in (d for d in CHECK_FIXTURES.iterdir() if d.is_dir()):
        expected = set(yaml.safe_load((item_dir / "expect.yaml").read_text(encoding="utf-8")))
        assert {p.stem for p in item_dir.glob("*.json")} == expected, item_dir.name


def test_every_auto_item_has_pass_and_fail_fixtures() -> None:
    """The catalog's meta-test: an *auto* item is one the machine decides, so both outcomes must be shown."""
    from appaudit.checks.catalog import load_catalog

    verdicts: dict[str, set[str]] = {}
    for item_id, _case, expected in CASES:
        verdicts.setdefault(item_id, set()).add(expected["verdict"])
    auto = [entry.id for entry in load_catalog().items if entry.level == "auto"]
    assert len(auto) == 13
    for item_id in auto:
        assert {"pass", "violation"} <= verdicts.get(item_id, set()), item_id
        assert verdicts[item_id] & {"inconclusive", "not_assessed"}, item_id


def test_fixture_expectations_are_the_generated_scenarios() -> None:
    """expect.yaml below the generated marker matches make_dynamic_cases.py, case for case."""
    spec = importlib.util.spec_from_file_location("make_dynamic_cases", CHECK_FIXTURES / "make_dynamic_cases.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    by_item: dict[str, dict[str, str]] = {}
    for case in module.CASES:
        by_item.setdefault(case.item, {})[case.name] = case.verdict
    for item_id, cases in by_item.items():
        text = (CHECK_FIXTURES / item_id / "expect.yaml").read_text(encoding="utf-8")
        generated = yaml.safe_load(text.split(module.MARKER)[1])
        assert {name: e["verdict"] for name, e in generated.items()} == cases, item_id


@pytest.mark.parametrize(("item_id", "case"), [(i, c) for i, c, _ in CASES], ids=[f"{i}/{c}" for i, c, _ in CASES])
def test_decided_results_cite_evidence(item_id: str, case: str) -> None:
    for result in evaluate(_bundle(item_id, case)).results:
        assert result.verdict is not Verdict.ERROR, result.summary
        if result.verdict in (Verdict.VIOLATION, Verdict.PASS):
            assert result.evidence, result.item_id
            assert all(ref.ref for ref in result.evidence)
        if result.verdict is Verdict.NOT_ASSESSED:
            assert result.needs, result.item_id


def test_registry_covers_the_31_items() -> None:
    assert len(EXPECTED_ITEM_IDS) == 31
    assert ITEM_IDS == EXPECTED_ITEM_IDS
    assert set(LOGIC) == set(EXPECTED_ITEM_IDS)


@pytest.mark.skipif(importlib.util.find_spec("appaudit.checks.catalog") is None, reason="no catalog yet")
def test_logic_matches_catalog() -> None:
    catalog = importlib.import_module("appaudit.checks.catalog")
    ids = getattr(catalog, "ITEM_IDS", None)
    if ids is None:
        items = catalog.load_catalog() if hasattr(catalog, "load_catalog") else catalog.CATALOG
        ids = [i.id if hasattr(i, "id") else i for i in (items.values() if isinstance(items, dict) else items)]
    assert set(LOGIC) == set(ids)


def test_evaluate_returns_31_results_in_document_order() -> None:
    result = evaluate(_bundle("III.1", "pass_all_guarded"))
    ids = [r.item_id for r in result.results]
    assert ids == list(EXPECTED_ITEM_IDS)
    assert len(set(ids)) == 31
    assert all(r.source == "machine" for r in result.results)


def test_a_failing_check_gives_error_for_that_item_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_bundle: EvidenceBundle) -> ItemResult:
        raise RuntimeError("boom")

    monkeypatch.setitem(LOGIC, "III.4", broken)
    results = {r.item_id: r for r in evaluate(_bundle("III.1", "fail_unguarded_startup")).results}
    assert results["III.4"].verdict is Verdict.ERROR
    assert "boom" in results["III.4"].summary
    assert results["III.1"].verdict is Verdict.VIOLATION


def test_decided_verdict_without_evidence_is_refused() -> None:
    with pytest.raises(ValueError):
        ItemResult("I.1", Verdict.PASS, Confidence.LOW, "no evidence")


def test_check_result_is_json_serialisable() -> None:
    import json

    data = codec.to_jsonable(evaluate(_bundle("I.1", "pass_bundled_policy")))
    text = json.dumps(data, ensure_ascii=False)
    assert '"verdict": "pass"' in text
    assert data["score"]["overall"]["items"] == 31


# --------------------------------------------------------------------------- score


def _result(item_id: str, verdict: Verdict) -> ItemResult:
    evidence = (EvidenceRef("part", "parts[0]"),) if verdict in (Verdict.PASS, Verdict.VIOLATION) else ()
    return ItemResult(item_id, verdict, None, "", evidence)


def test_all_not_assessed_is_insufficient_evidence() -> None:
    s = score([_result(i, Verdict.NOT_ASSESSED) for i in EXPECTED_ITEM_IDS], EXPECTED_ITEM_IDS)
    assert s.overall.grade == INSUFFICIENT
    assert s.overall.pass_ratio is None
    assert s.overall.coverage == 0
    assert s.overall.not_assessed == 31
    assert all(c.grade == INSUFFICIENT for c in s.categories)
    assert [c.scope for c in s.categories] == ["I", "II", "III", "IV", "V", "VI"]
    assert [c.items for c in s.categories] == [4, 4, 9, 6, 3, 5]


def test_not_assessed_never_raises_the_score() -> None:
    decided = [_result("I.1", Verdict.PASS), _result("III.1", Verdict.VIOLATION)]
    base = score(decided, EXPECTED_ITEM_IDS)
    others = [_result(i, Verdict.NOT_ASSESSED) for i in EXPECTED_ITEM_IDS if i not in ("I.1", "III.1")]
    with_others = score(decided + others, EXPECTED_ITEM_IDS)
    assert with_others.overall.pass_ratio == base.overall.pass_ratio == 0.5
    assert with_others.overall.coverage == base.overall.coverage == 2 / 31
    reviews = [_result(i, Verdict.NEEDS_REVIEW) for i in EXPECTED_ITEM_IDS if i not in ("I.1", "III.1")]
    assert score(decided + reviews, EXPECTED_ITEM_IDS).overall.pass_ratio == 0.5


def test_grade_needs_the_coverage_floor() -> None:
    n_floor = int(COVERAGE_FLOOR * 31) + 1
    passing = [_result(i, Verdict.PASS) for i in EXPECTED_ITEM_IDS[:n_floor]]
    assert score(passing, EXPECTED_ITEM_IDS).overall.grade == "A"
    assert score(passing[: n_floor - 2], EXPECTED_ITEM_IDS).overall.grade == INSUFFICIENT
    one_violation = [replace(passing[0], verdict=Verdict.VIOLATION), *passing[1:]]
    assert score(one_violation, EXPECTED_ITEM_IDS).overall.grade != "A"


# --------------------------------------------------------------------------- done-when: the fixture APKs


@pytest.fixture(scope="module")
def scanned() -> dict[str, dict[str, ItemResult]]:
    from appaudit.pipeline import scan_apk

    out = {}
    for app in ("violating", "compliant"):
        bundle = scan_apk(APPS / app / f"{app}.apk").bundle
        out[app] = {r.item_id: r for r in evaluate(bundle).results}
    return out


def test_violating_apk_fails_iii1_and_i1(scanned: dict[str, dict[str, ItemResult]]) -> None:
    assert scanned["violating"]["III.1"].verdict is Verdict.VIOLATION
    assert scanned["violating"]["I.1"].verdict is Verdict.VIOLATION


def test_compliant_apk_passes_iii1_and_i1(scanned: dict[str, dict[str, ItemResult]]) -> None:
    assert scanned["compliant"]["III.1"].verdict is Verdict.PASS
    assert scanned["compliant"]["I.1"].verdict is Verdict.PASS
    assert any("privacy_policy" in ref.detail for ref in scanned["compliant"]["I.1"].evidence)


def test_coverage_is_counted_by_evidence_source() -> None:
    """A verdict decided from traffic and UI evidence is counted under those sources, not under static."""
    result = evaluate(_bundle("III.1", "fail_traffic_1ms_before_consent"))
    decided_by = dict(result.score.decided_by)
    iii1 = result.result("III.1")
    assert iii1 is not None and iii1.verdict is Verdict.VIOLATION
    assert {ref.kind for ref in iii1.evidence} >= {"flow", "pi_match"}
    assert decided_by["traffic"] >= 1 and decided_by["ui"] >= 1  # III.1 (traffic) and I.2/III.4 (ui)
    static_only = dict(evaluate(_bundle("III.1", "pass_all_guarded")).score.decided_by)
    assert static_only["traffic"] == 0 and static_only["ui"] == 0 and static_only["static"] >= 1
