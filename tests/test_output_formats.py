"""Machine outputs of a check: SARIF 2.1.0 (validated against the official schema), JUnit XML, JSON.

The SARIF schema is not vendored (its licence is unclear): it is fetched once with ``npm pack`` from
the npm registry (``@microsoft/jest-sarif``, MIT, ships ``sarif-2.1.0-rtm.5.json``, the 2.1.0
schema published by the SARIF TC on SchemaStore) into ``.cache/sarif/`` (gitignored). Without npm or
the registry the schema tests skip, unless ``APPAUDIT_REQUIRE_REAL_APKS=1`` (CI), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from appaudit.checker.formats import to_json, to_junit, to_sarif
from appaudit.checker.formats.sarif import FINGERPRINT_KEY
from appaudit.checker.run import evaluate
from appaudit.checks.catalog import ITEM_IDS, load_catalog
from appaudit.evidence import codec
from appaudit.pipeline import scan_apk

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "fixtures" / "apps"
SCHEMA_CACHE = ROOT / ".cache" / "sarif"
SCHEMA_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SCHEMA_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"
SCHEMA_FILE = SCHEMA_CACHE / "sarif-2.1.0-rtm.5.json"
IMEI_METHOD = "Lcom/appaudit/fixture/violating/IdHelper;->imei("


def _unavailable(reason: str) -> None:
    if os.environ.get("APPAUDIT_REQUIRE_REAL_APKS") == "1":
        pytest.fail(f"SARIF schema required (APPAUDIT_REQUIRE_REAL_APKS=1) but {reason}")
    pytest.skip(f"SARIF 2.1.0 schema unavailable: {reason}")


def _fetch_schema() -> Path:
    if SCHEMA_FILE.is_file():
        return SCHEMA_FILE
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm is not installed (needed to fetch the schema from the npm registry)")
    SCHEMA_CACHE.mkdir(parents=True, exist_ok=True)
    try:
        packed = subprocess.run(
            [npm, "pack", SCHEMA_PACKAGE, "--pack-destination", str(SCHEMA_CACHE), "--silent"],
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        _unavailable(f"`npm pack {SCHEMA_PACKAGE}` timed out")
    tarballs = sorted(SCHEMA_CACHE.glob("*.tgz"))
    if packed.returncode != 0 or not tarballs:
        _unavailable(f"`npm pack {SCHEMA_PACKAGE}` failed: {(packed.stderr or packed.stdout).strip()[-300:]}")
    with tarfile.open(tarballs[-1]) as archive:
        member = archive.extractfile(SCHEMA_MEMBER)
        if member is None:
            _unavailable(f"{SCHEMA_PACKAGE} no longer ships {SCHEMA_MEMBER}")
        data = member.read()
    tmp = SCHEMA_FILE.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(SCHEMA_FILE)
    return SCHEMA_FILE


@pytest.fixture(scope="module")
def sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(_fetch_schema().read_text(encoding="utf-8"))
    assert "2.1.0" in schema["title"]
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def assert_valid_sarif(validator, log: dict) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{e.json_path}: {e.message[:300]}" for e in errors[:10])


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> dict[str, tuple]:
    """name -> (bundle, check result, evidence.json path)."""
    out = {}
    for name in ("violating", "compliant"):
        bundle = scan_apk(APPS / name / f"{name}.apk").bundle
        path = tmp_path_factory.mktemp(name) / "evidence.json"
        codec.write(bundle, path)
        out[name] = (bundle, evaluate(bundle), path)
    return out


def sarif_of(scanned, name: str) -> dict:
    bundle, result, _ = scanned[name]
    return json.loads(to_sarif(result, bundle, load_catalog()))


def appaudit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appaudit", *args], capture_output=True, text=True, timeout=300, check=False, cwd=cwd
    )


# --------------------------------------------------------------------------- SARIF


@pytest.mark.parametrize("name", ["violating", "compliant"])
def test_sarif_validates_against_the_official_schema(scanned, sarif_validator, name) -> None:
    assert_valid_sarif(sarif_validator, sarif_of(scanned, name))


def test_the_schema_check_is_not_vacuous(scanned, sarif_validator) -> None:
    log = sarif_of(scanned, "violating")
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(sarif_validator.iter_errors(log))


def test_sarif_has_one_rule_per_catalog_item(scanned) -> None:
    log = sarif_of(scanned, "violating")
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "appaudit" and driver["version"]
    assert "informationUri" not in driver
    rules = driver["rules"]
    assert [r["id"] for r in rules] == list(ITEM_IDS) and len(rules) == 31
    catalog = load_catalog()
    for rule, item in zip(rules, catalog.items, strict=True):
        assert rule["shortDescription"]["text"] == item.title_en
        assert rule["fullDescription"]["text"] == item.text_en
        assert item.text_zh in rule["help"]["text"] and item.fix in rule["help"]["markdown"]
        assert rule["properties"]["category"] == item.category
        assert rule["properties"]["level"] == item.level
        assert rule["properties"]["textZh"] == item.text_zh
        assert "helpUri" not in rule  # no URLs we do not own


def test_violating_app_gives_error_results_located_in_its_smali_methods(scanned) -> None:
    run = sarif_of(scanned, "violating")["runs"][0]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["III.1"]["level"] == "error" and by_rule["I.1"]["level"] == "error"
    assert all(r["kind"] == "fail" for r in run["results"])
    assert run["artifacts"][0]["location"]["uri"] == "violating.apk"
    iii1 = by_rule["III.1"]
    for location in iii1["locations"]:
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "violating.apk"
    functions = [
        logical["fullyQualifiedName"] for location in iii1["locations"] for logical in location["logicalLocations"]
    ]
    assert any(f.startswith(IMEI_METHOD) for f in functions), functions
    assert all(logical["kind"] == "function" for loc in iii1["locations"] for logical in loc["logicalLocations"])
    related = [loc["logicalLocations"][0]["fullyQualifiedName"] for loc in iii1["relatedLocations"]]
    assert any("getDeviceId" in f for f in related)  # the callee at the end of the chain
    assert any(f.startswith("Lcom/appaudit/fixture/violating/App;->") for f in related)  # the entry point
    assert len({loc["id"] for loc in iii1["relatedLocations"]}) == len(iii1["relatedLocations"])
    assert by_rule["I.1"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "violating.apk"


def test_every_item_is_accounted_for_and_non_findings_are_run_properties(scanned) -> None:
    for name in ("violating", "compliant"):
        _, result, _ = scanned[name]
        run = sarif_of(scanned, name)["runs"][0]
        ids = [r["ruleId"] for r in run["results"]]
        ids += run["properties"]["passed"] + [n["id"] for n in run["properties"]["notAssessed"]]
        assert sorted(ids) == sorted(ITEM_IDS)
        verdicts = {r.item_id: r.verdict.value for r in result.results}
        assert all(verdicts[i] == "pass" for i in run["properties"]["passed"])
        assert all(n["needs"] for n in run["properties"]["notAssessed"])
    compliant = sarif_of(scanned, "compliant")["runs"][0]
    assert not [r for r in compliant["results"] if r["level"] == "error"]


def test_fingerprints_are_stable_across_runs(scanned) -> None:
    path = scanned["violating"][2]
    reread = codec.read(path)
    first = sarif_of(scanned, "violating")["runs"][0]["results"]
    again = json.loads(to_sarif(evaluate(reread), reread, load_catalog()))["runs"][0]["results"]
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in first]
    assert prints == [r["partialFingerprints"][FINGERPRINT_KEY] for r in again]
    assert len(set(prints)) == len(prints)


# --------------------------------------------------------------------------- JUnit


def junit_tree(scanned, name: str) -> ET.Element:
    return ET.fromstring(to_junit(scanned[name][1], load_catalog()))


def assert_consistent_junit(root: ET.Element) -> None:
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [f"appaudit.{c}" for c in ("I", "II", "III", "IV", "V", "VI")]
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in suites:
        cases = suite.findall("testcase")
        counted = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for key, value in counted.items():
            assert int(suite.get(key)) == value, (suite.get("name"), key)
            totals[key] += value
        assert all(c.get("classname") == suite.get("name") for c in cases)
    assert totals["tests"] == 31
    for key, value in totals.items():
        assert int(root.get(key)) == value, key


def test_junit_for_the_violating_app(scanned) -> None:
    root = junit_tree(scanned, "violating")
    assert_consistent_junit(root)
    cases = {c.get("name").split(" ", 1)[0]: c for c in root.iter("testcase")}
    assert list(cases) == list(ITEM_IDS)
    assert cases["I.1"].get("name").startswith("I.1 ") and cases["I.1"].get("classname") == "appaudit.I"
    for item in ("I.1", "III.1"):
        failure = cases[item].find("failure")
        assert failure is not None and failure.get("type") == "violation" and failure.get("message")
    assert "getDeviceId" in cases["III.1"].find("failure").text
    assert cases["VI.5"].find("skipped") is not None  # not assessed is skipped, not passed


def test_junit_for_the_compliant_app(scanned) -> None:
    root = junit_tree(scanned, "compliant")
    assert_consistent_junit(root)
    assert root.get("failures") == "0" and not list(root.iter("failure"))
    verdicts = {r.item_id: r.verdict.value for r in scanned["compliant"][1].results}
    for case in root.iter("testcase"):
        item = case.get("name").split(" ", 1)[0]
        assert (case.find("skipped") is not None) == (
            verdicts[item] in ("not_assessed", "inconclusive", "needs_review")
        )


def test_junit_reads_with_junitparser(scanned, tmp_path) -> None:
    junitparser = pytest.importorskip("junitparser")
    path = tmp_path / "results.xml"
    path.write_text(to_junit(scanned["violating"][1], load_catalog()), encoding="utf-8")
    xml = junitparser.JUnitXml.fromfile(str(path))
    assert (xml.tests, xml.failures, xml.errors) == (31, 2, 0)
    assert len(list(xml)) == 6


# --------------------------------------------------------------------------- JSON


def test_json_has_the_input_and_every_verdict(scanned) -> None:
    bundle, result, _ = scanned["violating"]
    data = json.loads(to_json(result, bundle))
    assert data["input"]["file_name"] == "violating.apk" and data["app"]["package"] == bundle.app.package
    assert [r["item_id"] for r in data["results"]] == list(ITEM_IDS)
    assert data["score"]["overall"]["items"] == 31


# --------------------------------------------------------------------------- through the CLI, as CI runs it


@pytest.fixture(scope="module")
def ci_scan(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """``scan APK -o DIR --format sarif --output out.sarif --fail-on violation``, as a CI job runs it."""
    tmp = tmp_path_factory.mktemp("ci")
    out, sarif = tmp / "report", tmp / "out.sarif"
    result = appaudit(
        "scan", str(APPS / "violating" / "violating.apk"), "-o", str(out),
        "--format", "sarif", "--output", str(sarif), "--fail-on", "violation",
    )  # fmt: skip
    return result, out, sarif


def test_scan_writes_sarif_and_gates(ci_scan) -> None:
    result, out, sarif = ci_scan
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    for name in ("evidence.json", "verdicts.json", "report.html"):
        assert (out / name).is_file(), name
    log = json.loads(sarif.read_text(encoding="utf-8"))
    assert {"I.1", "III.1"} <= {r["ruleId"] for r in log["runs"][0]["results"] if r["level"] == "error"}


def test_scan_sarif_file_is_valid(ci_scan, sarif_validator) -> None:
    assert_valid_sarif(sarif_validator, json.loads(ci_scan[2].read_text(encoding="utf-8")))


def test_scan_machine_output_to_stdout(tmp_path) -> None:
    result = appaudit(
        "scan", str(APPS / "compliant" / "compliant.apk"), "-o", str(tmp_path / "r"), "--format", "junit",
        "--output", "-",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert_consistent_junit(ET.fromstring(result.stdout))


def test_scan_output_file_needs_a_format(tmp_path) -> None:
    result = appaudit("scan", str(APPS / "compliant" / "compliant.apk"), "--output", str(tmp_path / "x.sarif"))
    assert result.returncode == 2 and "--format" in result.stderr


def test_check_writes_junit(scanned, tmp_path) -> None:
    results = tmp_path / "results.xml"
    result = appaudit("check", str(scanned["violating"][2]), "--format", "junit", "-o", str(results))
    assert result.returncode == 1 and result.stdout == ""
    root = ET.parse(results).getroot()
    assert_consistent_junit(root)
    assert root.get("failures") == "2"


def test_check_writes_valid_sarif_to_stdout(scanned, sarif_validator) -> None:
    sarif = appaudit("check", str(scanned["violating"][2]), "--format", "sarif", "--exit-zero")
    assert sarif.returncode == 0
    assert_valid_sarif(sarif_validator, json.loads(sarif.stdout))


def test_a_suppressed_violation_is_reported_but_does_not_fail(scanned, sarif_validator) -> None:
    from dataclasses import fields, replace

    from appaudit.checker import model

    if "suppressed_by" not in {f.name for f in fields(model.ItemResult)}:
        pytest.skip("this tree has no suppressions")
    bundle, result, _ = scanned["violating"]
    accepted = model.Suppression(item_id="I.1", reason="policy shown by the web shell", expires="2099-12-31")
    results = tuple(replace(r, suppressed_by=accepted) if r.item_id == "I.1" else r for r in result.results)
    result = replace(result, results=results)
    log = json.loads(to_sarif(result, bundle, load_catalog()))
    assert_valid_sarif(sarif_validator, log)
    sarif = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert sarif["I.1"]["suppressions"][0]["status"] == "accepted" and sarif["I.1"]["level"] == "error"
    assert "suppressions" not in sarif["III.1"]
    root = ET.fromstring(to_junit(result, load_catalog()))
    assert_consistent_junit(root)
    assert root.get("failures") == "1"
