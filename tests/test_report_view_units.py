"""The report's view modules on real evidence: overview, items, baseline, appendix, the SDK / permission / endpoint
tables, and the bilingual page.

Nothing here is a hand-made stand-in for evidence: bundles are scans of the fixture APKs, the check fixture cases
(``fixtures/checks/<item>/<case>.json``), a capture file read by the product's own traffic merge, and the compliant
app's bundled privacy policy read by the policy pipeline. Auditor inputs are the files under ``fixtures/assessments``
and ``fixtures/baselines``. Tests assert what a reader is told (wording, ids, badges, hashes), not just counts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from mitmproxy import io as mitm_io
from mitmproxy.test import tflow, tutils

from appaudit.checker.assessment import apply_assessments, load_assessments
from appaudit.checker.baseline import compare
from appaudit.checker.model import CheckResult, Verdict
from appaudit.checker.run import ReviewInputs, evaluate, evaluate_reviewed
from appaudit.checker.suppress import load_suppressions
from appaudit.checks.catalog import load_catalog
from appaudit.evidence import codec
from appaudit.evidence.device import PERMISSION_PROMPT
from appaudit.evidence.model import EvidenceBundle, Status
from appaudit.pipeline import scan_apk
from appaudit.report.html import render_html, write_html
from appaudit.report.i18n import catalog as translations
from appaudit.report.i18n import language
from appaudit.report.view import appendix as appendix_module
from appaudit.report.view import overview as overview_module
from appaudit.report.view.appendix import appendix_section, hash_evidence_files
from appaudit.report.view.baseline import baseline_section
from appaudit.report.view.build import ReportContext, build_language_view, build_page
from appaudit.report.view.endpoints import endpoints_section
from appaudit.report.view.items import category_views
from appaudit.report.view.model import Cell, ItemView, Overview, Row, Section, Table
from appaudit.report.view.overview import build_overview
from appaudit.report.view.permissions import asked_before_consent, permissions_section
from appaudit.report.view.sdks import sdks_section
from appaudit.report.view.verdicts import SERIOUSNESS, SOURCE_LABELS

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "fixtures" / "apps"
CASES = ROOT / "fixtures" / "checks"
ASSESSMENTS = ROOT / "fixtures" / "assessments"
BASELINES = ROOT / "fixtures" / "baselines"
PROFILE = ROOT / "fixtures" / "profiles" / "emulator.json"
TODAY = dt.date(2026, 11, 22)  # the day the auditor files are checked against (as in tests/test_assessments.py)
T0 = 1_795_000_000.0
MAX_ROWS = 200
CATEGORY_IDS = ("I", "II", "III", "IV", "V", "VI")
FINDINGS = (Verdict.VIOLATION, Verdict.ERROR, Verdict.NEEDS_REVIEW, Verdict.INCONCLUSIVE)
CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2, "—": 3}


# --------------------------------------------------------------------------- evidence


@pytest.fixture(scope="module")
def scans() -> dict[str, EvidenceBundle]:
    return {app: scan_apk(APPS / app / f"{app}.apk").bundle for app in ("compliant", "violating")}


def case(name: str) -> EvidenceBundle:
    """A check fixture case, e.g. ``case("III.1/fail_permission_dialog_before_consent")``."""
    return codec.read(CASES / f"{name}.json")


def _flow(url: str, ts: float, body: bytes = b""):
    req = tutils.treq()
    req.url = url
    req.method = "POST" if body else "GET"
    req.headers.clear()
    if body:
        req.headers["Content-Type"] = "application/json"
    req.raw_content = body
    req.timestamp_start = ts
    req.timestamp_end = ts + 0.01
    flow = tflow.tflow(req=req, resp=tutils.tresp())
    flow.response.timestamp_start = ts + 0.05
    return flow


@dataclass(frozen=True)
class Captured:
    bundle: EvidenceBundle
    imei: str
    android_id: str


@pytest.fixture(scope="module")
def captured(scans: dict[str, EvidenceBundle], tmp_path_factory: pytest.TempPathFactory) -> Captured:
    """violating.apk's scan with a capture merged by the product's traffic pipeline: 3 cleartext requests carrying
    the IMEI to the app's own log host (an endpoint found in the code), 2 carrying the Android ID to Umeng."""
    from appaudit.knowledge.user_db import load_with_user_databases
    from appaudit.traffic.attribution import build_attributor
    from appaudit.traffic.merge import add_traffic, load_traffic
    from appaudit.traffic.profile import load_profile

    values = json.loads(PROFILE.read_text(encoding="utf-8"))
    imei, android_id = values["imei"][0], values["android_id"]
    flows = [_flow(f"http://log.violating-example.cn/collect?imei={imei}", T0 + i) for i in range(3)]
    flows += [
        _flow("https://alog.umeng.com/v1/report", T0 + 10 + i, json.dumps({"aid": android_id}).encode())
        for i in range(2)
    ]
    path = tmp_path_factory.mktemp("capture") / "flows.mitm"
    with path.open("wb") as handle:
        writer = mitm_io.FlowWriter(handle)
        for f in flows:
            writer.add(f)
    bundle = scans["violating"]
    attributor = build_attributor(bundle, load_with_user_databases(()))
    load = load_traffic(path, profile=load_profile(PROFILE), attributor=attributor)
    assert load.status.status is Status.OK, load.status.errors
    return Captured(add_traffic(bundle, load), imei, android_id)


@pytest.fixture(scope="module")
def with_policy(scans: dict[str, EvidenceBundle]) -> EvidenceBundle:
    """compliant.apk's scan with its bundled privacy policy read by the policy pipeline (as `appaudit scan` does)."""
    from appaudit.knowledge.user_db import load_with_user_databases
    from appaudit.policy.build import add_policy, build_policy
    from appaudit.policy.sources import collect

    apk = APPS / "compliant" / "compliant.apk"
    sources, errors = collect(apk, scans["compliant"])
    evidence, status = build_policy(sources, errors, load_with_user_databases(()))
    assert evidence is not None and status.status is Status.OK, status.errors
    return add_policy(scans["compliant"], evidence, status)


def english[T](build: Callable[..., T], *args: object, **kwargs: object) -> T:
    with language("en"):
        return build(*args, **kwargs)


def overview(bundle: EvidenceBundle, check: CheckResult | None) -> Overview:
    return english(build_overview, bundle, check, "")


def items(check: CheckResult, bundle: EvidenceBundle) -> dict[str, ItemView]:
    return {it.id: it for cat in english(category_views, check, bundle, "") for it in cat.items}


def table(section: Section, title: str) -> Table:
    return next(t for t in section.tables if t.title == title)


def column(section: Section, label: str, key: Callable[[Row], str] = lambda r: r.cells[0].text) -> dict[str, Cell]:
    """The cells of the column headed ``label`` in the section's only table, keyed by ``key(row)``."""
    (t,) = section.tables
    index = [c.label for c in t.columns].index(label)
    return {key(r): r.cells[index] for r in t.rows}


def sdk_id(row: Row) -> str:
    return row.cells[0].title  # the SDK's display name is the text; its id is the hover title


# --------------------------------------------------------------------------- overview


def test_a_violating_app_does_not_comply_and_the_answer_names_the_violated_items(
    scans: dict[str, EvidenceBundle],
) -> None:
    bundle = scans["violating"]
    check = evaluate(bundle)
    violated = [r.item_id for r in check.results if r.verdict is Verdict.VIOLATION]
    assert violated == ["I.1", "III.1"]  # no policy anywhere; IMEI, Android ID, location read at start-up

    o = overview(bundle, check)
    assert o.answer_css == "ans-bad"
    assert o.answer == "Does not comply: 2 of the 31 items are violated."
    undecided = 31 - check.score.overall.decided
    assert o.answer_detail == f"Violated: I.1, III.1. {undecided} items were not decided by this run."
    assert o.grade == "insufficient evidence" and o.grade_css == "grade-na"  # 2 decided items is no grade


def test_top_findings_put_violations_first_and_confident_ones_first_within_a_verdict(
    scans: dict[str, EvidenceBundle],
) -> None:
    bundle = scans["violating"]
    check = evaluate(bundle)
    o = overview(bundle, check)
    by_id = {r.item_id: r for r in check.results}

    # I.1 comes first in the document, but III.1 is the more confident violation (high vs medium).
    assert [(t.item_id, t.verdict.text, t.confidence) for t in o.top_findings[:2]] == [
        ("III.1", "violation", "high"),
        ("I.1", "violation", "medium"),
    ]
    ranks = [(SERIOUSNESS.index(by_id[t.item_id].verdict), CONFIDENCE_RANK[t.confidence]) for t in o.top_findings]
    assert ranks == sorted(ranks)
    findings = {r.item_id for r in check.results if r.verdict in FINDINGS}
    assert {t.item_id for t in o.top_findings} == findings  # 6 findings: under the cap, none left out
    assert o.more_findings == ""
    assert all(by_id[t.item_id].verdict not in (Verdict.PASS, Verdict.NOT_ASSESSED) for t in o.top_findings)
    top = o.top_findings[0]
    assert top.anchor == "item-III-1"
    summary = by_id["III.1"].summary
    assert len(summary) > 300 and top.summary.startswith(summary[:300])  # clipped, and it says so
    assert top.summary.endswith(f"… [{len(summary) - 300} more characters]")
    assert top.title == load_catalog().get("III.1").title_en


def test_top_findings_over_the_cap_say_how_many_more_there_are(
    scans: dict[str, EvidenceBundle], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(overview_module, "MAX_TOP_FINDINGS", 2)
    bundle = scans["violating"]
    check = evaluate(bundle)
    o = overview(bundle, check)
    findings = sum(1 for r in check.results if r.verdict in FINDINGS)
    assert [t.item_id for t in o.top_findings] == ["III.1", "I.1"]
    assert o.more_findings == f"+ {findings - 2} more findings in the items below"


@pytest.mark.parametrize(
    "source", ["scan:violating", "scan:compliant", "II.1/fail_embedded_sdk_missing", "III.9/pass_all_declared"]
)
def test_totals_add_up_to_31_and_equal_the_verdicts(scans: dict[str, EvidenceBundle], source: str) -> None:
    bundle = scans[source[5:]] if source.startswith("scan:") else case(source)
    check = evaluate(bundle)
    o = overview(bundle, check)
    totals = {c.key: c.count for c in o.totals}
    assert sum(totals.values()) == 31
    assert totals == {v.value: sum(1 for r in check.results if r.verdict is v) for v in Verdict}
    assert [c.key for c in o.totals] == [v.value for v in SERIOUSNESS]  # most serious first, zeros listed
    per_category = Counter()
    for cat in o.categories:
        per_category.update({c.key: c.count for c in cat.counts})
        assert cat.items == ()  # the overview shows counts only; the items are in the items section
    assert dict(per_category) == totals
    assert [cat.id for cat in o.categories] == list(CATEGORY_IDS)


def test_a_clean_static_scan_is_not_called_compliant(scans: dict[str, EvidenceBundle]) -> None:
    bundle = scans["compliant"]
    check = evaluate(bundle)
    t = check.score.overall
    assert t.violation == 0 and t.grade == "insufficient evidence"
    o = overview(bundle, check)
    assert o.answer_css != "ans-ok"
    assert o.answer_css == "ans-warn"
    assert o.answer == f"No violation found in the {t.decided} items decided, but that is too few to judge the app."
    assert o.answer_detail == f"{31 - t.decided} of 31 items were not decided: compliance is not established."
    assert o.grade == "insufficient evidence" and o.grade_css == "grade-na"
    facts = {f.label: f.value.text for f in o.score_facts}
    assert facts["Items decided"] == f"{t.decided} of 31 ({t.decided / 31:.0%} coverage)"


def test_without_verdicts_the_overview_says_nothing_was_evaluated(scans: dict[str, EvidenceBundle]) -> None:
    o = overview(scans["violating"], None)
    assert o.answer_css == "ans-na"
    assert o.answer == "No item of the Determination Rules was evaluated for this report."
    assert o.answer_detail == "This report lists evidence only."
    assert (o.totals, o.categories, o.top_findings, o.score_facts) == ((), (), (), ())
    assert o.grade == "—"
    scope = {s.label: s for s in o.scope}
    assert scope["static analysis"].state.text == "collected"  # the evidence is still described


def test_suppressions_accepting_every_violation_warn_instead_of_passing(scans: dict[str, EvidenceBundle]) -> None:
    bundle = scans["violating"]
    suppressions = load_suppressions(BASELINES / "suppressions.yaml")
    # On 2026-10-31 both suppressions hold: I.1 until 2027-01-31, III.1 (matching "jpush") until that very day.
    check = evaluate_reviewed(bundle, ReviewInputs(suppressions=suppressions), today=dt.date(2026, 10, 31))
    violations = [r for r in check.results if r.verdict is Verdict.VIOLATION]
    assert [r.item_id for r in violations] == ["I.1", "III.1"]
    assert all(r.suppressed_by is not None for r in violations)
    o = overview(bundle, check)
    assert o.answer_css == "ans-warn"
    assert o.answer == "Violations found, all accepted by suppressions: I.1, III.1."
    assert "still break the rules" in o.answer_detail
    assert {c.key: c.count for c in o.totals}["violation"] == 2  # accepted violations are still counted

    # A month later III.1's suppression has expired: the app does not comply again, and only III.1 is named.
    later = evaluate_reviewed(bundle, ReviewInputs(suppressions=suppressions), today=TODAY)
    o = overview(bundle, later)
    assert o.answer_css == "ans-bad"
    assert o.answer_detail.startswith("Violated: III.1. ")


def test_scope_of_a_static_scan_says_traffic_device_and_policy_were_not_collected(
    scans: dict[str, EvidenceBundle],
) -> None:
    bundle = scans["violating"]
    check = evaluate(bundle)
    scope = {s.label: s for s in overview(bundle, check).scope}
    assert list(scope) == ["static analysis", "captured traffic", "device UI", "policy text", "auditor"]
    decided = dict(check.score.decided_by)
    assert (scope["static analysis"].state.text, scope["static analysis"].state.css) == ("collected", "b-ok")
    assert scope["static analysis"].detail == f"{decided['static']} decided items rest on it"
    for label in ("captured traffic", "device UI", "policy text"):
        assert (scope[label].state.text, scope[label].state.css) == ("not collected", "b-muted"), label
    assert scope["auditor"].detail == "no auditor assessment given"


def test_scope_with_a_capture_and_a_device_run_describes_them(captured: Captured) -> None:
    bundle = captured.bundle
    scope = {s.label: s for s in overview(bundle, evaluate(bundle)).scope}
    traffic = scope["captured traffic"]
    assert (traffic.state.text, traffic.state.css) == ("collected", "b-ok")
    assert traffic.detail.startswith("5 requests")

    device_case = case("III.1/fail_traffic_1ms_before_consent")
    scope = {s.label: s for s in overview(device_case, evaluate(device_case)).scope}
    assert scope["captured traffic"].detail.startswith(f"{len(device_case.traffic.flows)} requests")
    runs = ", ".join(r.id for r in device_case.device.runs)
    assert scope["device UI"].state.text == "collected"
    assert scope["device UI"].detail.startswith(f"runs {runs} on {device_case.device.device.driver} device")


def test_not_validated_of_a_static_scan_names_what_was_not_observed(scans: dict[str, EvidenceBundle]) -> None:
    bundle = scans["compliant"]
    check = evaluate(bundle)
    lines = overview(bundle, check).not_validated
    assert any(line.startswith("No device run:") and "consent dialogs" in line for line in lines)
    assert any(line.startswith("No traffic capture:") for line in lines)
    assert any(line.startswith("No privacy-policy text was read") for line in lines)
    pattern = re.compile(r"Not assessed for lack of evidence: (.*)\.")
    (listed,) = [m.group(1) for line in lines if (m := pattern.fullmatch(line))]
    not_assessed = [r.item_id for r in check.results if r.verdict is Verdict.NOT_ASSESSED]
    assert listed.split(", ") == not_assessed
    assert "III.9" in not_assessed and "I.1" not in not_assessed  # a decided item is not listed


def test_not_validated_mentions_hosts_the_capture_could_not_see() -> None:
    hidden = case("III.9/inconclusive_unobservable_host")
    assert [u.host for u in hidden.traffic.unobservable] == ["pin.example-app.cn"]
    lines = overview(hidden, evaluate(hidden)).not_validated
    assert not any(line.startswith("No traffic capture") for line in lines)  # there was a capture
    assert [line for line in lines if "could not be observed" in line] == [
        "1 host could not be observed (certificate pinning or an untrusted CA)."
    ]
    clean = case("III.9/pass_all_declared")  # the same run without the hidden host
    assert not any("could not be observed" in line for line in overview(clean, evaluate(clean)).not_validated)


def test_overview_in_chinese_still_names_the_item_ids(scans: dict[str, EvidenceBundle]) -> None:
    bundle = scans["violating"]
    check = evaluate(bundle)
    with language("zh"):
        zh = build_overview(bundle, check, "zh-")
    en = overview(bundle, check)
    assert zh.answer != en.answer and zh.answer_css == "ans-bad"
    assert "I.1" in zh.answer_detail and "III.1" in zh.answer_detail
    assert zh.top_findings[0].anchor == "zh-item-III-1"


# --------------------------------------------------------------------------- the 31 items


def _number(item_id: str) -> int:
    return int(item_id.split(".")[1])


def test_items_are_the_31_in_the_documents_order(scans: dict[str, EvidenceBundle]) -> None:
    bundle = scans["violating"]
    check = evaluate(bundle)
    cats = english(category_views, check, bundle, "")
    catalog = load_catalog()
    assert [c.id for c in cats] == list(CATEGORY_IDS)
    assert [c.anchor for c in cats] == [f"cat-{c}" for c in CATEGORY_IDS]
    seen = []
    for cat in cats:
        ids = [it.id for it in cat.items]
        assert ids == [i.id for i in catalog.in_category(cat.id)]
        assert all(i.startswith(f"{cat.id}.") for i in ids)
        assert [_number(i) for i in ids] == list(range(1, len(ids) + 1))  # I.1, I.2, ... with no gap
        assert {c.key: c.count for c in cat.counts} == {
            v.value: sum(1 for it in cat.items if it.verdict_key == v.value) for v in SERIOUSNESS
        }
        seen += ids
    assert len(seen) == 31 and seen == [r.item_id for r in check.results]
    iii1 = next(it for cat in cats for it in cat.items if it.id == "III.1")
    assert iii1.anchor == "item-III-1" and iii1.css == "item v-violation"
    assert iii1.text_zh == catalog.get("III.1").text_zh  # the official text, always in Chinese


def test_an_auditor_assessment_is_marked_as_a_human_judgement(scans: dict[str, EvidenceBundle]) -> None:
    bundle = scans["violating"]
    check = apply_assessments(evaluate(bundle), load_assessments(ASSESSMENTS / "valid.yaml", today=TODAY))
    views = items(check, bundle)

    iii1 = views["III.1"]  # the machine said violation; the auditor, after a device run, says pass
    assert iii1.verdict_key == "pass" and iii1.verdict.title == "auditor's verdict"
    assert iii1.auditor is not None and iii1.auditor.css == "n-human"
    assert "a person decided this" in iii1.auditor.title
    facts = {f.label: f.value.text for f in iii1.auditor.facts}
    assert facts["Auditor"] == "Li Wei" and facts["Date"] == "2026-11-20"
    assert facts["Machine verdict it replaced"] == "violation"
    assert "valid.yaml" in facts["Recorded in"]
    assert iii1.summary == iii1.auditor.text == check.result("III.1").assessment.note
    assert iii1.decided_by == ("auditor",)
    assert iii1.evidence[0].human and iii1.evidence[0].kind == "auditor"
    assert any(e.kind == "call_chain" and not e.human for e in iii1.evidence), "the machine's evidence is kept"

    iii7 = views["III.7"]  # the machine could not assess it
    assert {f.label: f.value.text for f in iii7.auditor.facts}["Machine verdict it replaced"] == "not assessed"
    assert iii7.verdict_key == "violation" and iii7.verdict.css == "b-bad"
    others = [v for k, v in views.items() if k not in ("III.1", "III.7")]
    assert all(v.auditor is None and v.verdict.title == "machine verdict" for v in others)


def test_a_suppressed_violation_says_until_when_and_why(scans: dict[str, EvidenceBundle]) -> None:
    bundle = scans["violating"]
    check = evaluate_reviewed(
        bundle, ReviewInputs(suppressions=load_suppressions(BASELINES / "suppressions.yaml")), today=TODAY
    )
    views = items(check, bundle)
    i1 = views["I.1"]
    assert i1.verdict_key == "violation"  # accepted, still shown as what it is
    assert i1.suppressed == (
        "Accepted until 2027-01-31: Policy is served from the app's web shell from 3.0; tracked as PRIV-12"
    )
    assert views["III.1"].suppressed == ""  # its suppression expired on 2026-10-31
    assert [k for k, v in views.items() if v.suppressed] == ["I.1"]


EVIDENCE_MIX = (
    "scan:violating",
    "scan:compliant",
    "II.1/fail_embedded_sdk_missing",
    "III.1/fail_traffic_1ms_before_consent",
    "III.1/fail_permission_dialog_before_consent",
    "V.1/fail_undisclosed_hashed_id",
)


def _views_of(scans: dict[str, EvidenceBundle], source: str) -> dict[str, ItemView]:
    bundle = scans[source[5:]] if source.startswith("scan:") else case(source)
    return items(evaluate(bundle), bundle)


def test_decided_by_is_given_for_pass_and_violation_only(scans: dict[str, EvidenceBundle]) -> None:
    kinds = Counter()
    for source in EVIDENCE_MIX:
        for view in _views_of(scans, source).values():
            kinds[view.verdict_key] += 1
            if view.verdict_key in ("pass", "violation"):
                assert view.decided_by, (source, view.id)
                assert set(view.decided_by) <= set(SOURCE_LABELS.values()), (source, view.id)
            else:
                assert view.decided_by == (), (source, view.id, view.verdict_key)
    assert kinds["pass"] and kinds["violation"] and kinds["not_assessed"] and kinds["needs_review"]


def test_every_violation_shows_its_evidence(scans: dict[str, EvidenceBundle]) -> None:
    violations = 0
    for source in EVIDENCE_MIX:
        for view in _views_of(scans, source).values():
            if view.verdict_key == "violation":
                violations += 1
                assert view.evidence, (source, view.id)
                assert all(e.ref and e.title for e in view.evidence), (source, view.id)
    assert violations >= 8

    ii1 = _views_of(scans, "II.1/fail_embedded_sdk_missing")["II.1"]  # jpush is embedded, the policy omits it
    assert ii1.decided_by == ("policy text", "static analysis")
    sdk = next(e for e in ii1.evidence if e.kind == "sdk")
    assert sdk.title == "JPush (Aurora Mobile)" and sdk.ref.startswith("sdks[")
    assert any(e.kind == "policy_quote" and e.quote for e in ii1.evidence)

    iii1 = _views_of(scans, "scan:violating")["III.1"]
    chains = [e for e in iii1.evidence if e.kind == "call_chain"]
    assert chains and all(e.steps for e in chains)
    assert any("DeviceInfoCollector" in s.member for e in chains for s in e.steps)
    assert iii1.more_evidence == "+ 4 more references in verdicts.json"  # 10 chains, 6 shown inline


# --------------------------------------------------------------------------- baseline


def _baseline(current: EvidenceBundle, previous: EvidenceBundle | None) -> tuple[CheckResult, Section | None]:
    check = evaluate(current, baseline=compare(previous, current)) if previous is not None else evaluate(current)
    return check, english(baseline_section, check, current, previous, "", MAX_ROWS)


def test_without_a_baseline_there_is_no_baseline_section(scans: dict[str, EvidenceBundle]) -> None:
    bundle = scans["violating"]
    check, section = _baseline(bundle, None)
    assert section is None
    body = english(build_language_view, bundle, generated_by="t", check=check)
    assert "baseline" not in [s.id for s in body.sections]
    assert "#baseline" not in [n.href for n in body.nav]


def test_an_sdk_the_previous_release_lacked_is_an_added_change(scans: dict[str, EvidenceBundle]) -> None:
    current = scans["violating"]
    previous = dataclasses.replace(current, sdks=tuple(s for s in current.sdks if s.sdk_id != "jpush"))
    _check, section = _baseline(current, previous)
    assert section is not None and section.id == "baseline"
    changes = table(section, "Evidence changes")
    assert [c.label for c in changes.columns] == ["Change", "Kind", "What", "Evidence"]
    rows = [(r.cells[0].badge.text, r.cells[1].text, r.cells[2].text) for r in changes.rows]
    assert rows == [("added", "SDK", "jpush")]
    (row,) = changes.rows
    assert row.cells[0].badge.css == "b-warn" and row.css == "row-warn"
    index = next(i for i, s in enumerate(current.sdks) if s.sdk_id == "jpush")
    assert row.cells[3].text == f"sdks[{index}]"  # where to find it in evidence.json
    assert not section.notices  # same package, same kinds of evidence


def test_verdict_changes_show_the_previous_and_the_current_verdict(scans: dict[str, EvidenceBundle]) -> None:
    current = scans["violating"]
    previous = dataclasses.replace(current, startup=dataclasses.replace(current.startup, findings=()))
    assert evaluate(previous).result("III.1").verdict is Verdict.PASS  # nothing ran at start-up back then
    check, section = _baseline(current, previous)
    assert check.result("III.1").verdict is Verdict.VIOLATION
    changes = table(section, "Verdict changes")
    assert [c.label for c in changes.columns] == ["Item", "Previous release", "This release", "Finding"]
    rows = {r.cells[0].text: r for r in changes.rows}
    iii1 = rows["III.1"]
    assert (iii1.cells[1].badge.text, iii1.cells[1].badge.css) == ("pass", "b-ok")
    assert (iii1.cells[2].badge.text, iii1.cells[2].badge.css) == ("violation", "b-bad")
    assert iii1.css == "row-bad"
    assert iii1.cells[0].sub == "#item-III-1"
    assert check.result("III.1").summary.startswith(iii1.cells[3].text.split("…")[0])
    assert "I.1" not in rows  # violated in both releases: not a change
    before = {r.item_id: r.verdict for r in evaluate(previous).results}
    for item_id, row in rows.items():  # every listed item really changed, and is shown as it changed
        assert before[item_id] is not check.result(item_id).verdict
        assert row.cells[2].badge.text == check.result(item_id).verdict.value.replace("_", " ")


def test_identical_releases_have_no_verdict_changes(scans: dict[str, EvidenceBundle]) -> None:
    bundle = scans["violating"]
    check, section = _baseline(bundle, bundle)
    assert not check.baseline.changed
    changes = table(section, "Verdict changes")
    assert [r.cells[0].text for r in changes.rows] == []
    assert changes.empty_text == "No item's verdict changed."


def test_a_baseline_of_another_app_is_flagged(scans: dict[str, EvidenceBundle]) -> None:
    _check, section = _baseline(scans["violating"], scans["compliant"])
    (notice,) = [n for n in section.notices if n.css == "n-bad"]
    assert notice.title == "The baseline is a different app"
    assert "com.appaudit.fixture.compliant" in notice.text and "com.appaudit.fixture.violating" in notice.text
    assert "not meaningful" in notice.text


def test_uneven_dynamic_evidence_is_named_in_a_notice(scans: dict[str, EvidenceBundle]) -> None:
    current = case("III.1/fail_traffic_1ms_before_consent")  # compliant.apk with a capture and a device run
    previous = scans["compliant"]  # the same app, static only
    assert current.app.package == previous.app.package
    _check, section = _baseline(current, previous)
    (notice,) = section.notices
    assert notice.css == "n-info" and notice.title == "The two releases were audited with different evidence"
    assert notice.text.startswith("Only one side has: traffic, device.")
    assert "policy" not in notice.text.split(".")[0]  # neither side has policy text
    iii1 = next(r for r in table(section, "Verdict changes").rows if r.cells[0].text == "III.1")
    assert (iii1.cells[1].badge.text, iii1.cells[2].badge.text) == ("pass", "violation")


def test_the_baseline_section_comes_first_after_the_items(scans: dict[str, EvidenceBundle]) -> None:
    current = scans["violating"]
    previous = dataclasses.replace(current, sdks=tuple(s for s in current.sdks if s.sdk_id != "jpush"))
    check = evaluate(current, baseline=compare(previous, current))
    body = english(
        build_language_view, current, generated_by="t", check=check, context=ReportContext(previous=previous)
    )
    assert body.sections[0].id == "baseline" and body.sections[-1].id == "appendix"
    assert "#baseline" in [n.href for n in body.nav]


# --------------------------------------------------------------------------- appendix


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_hash_evidence_files_lists_exactly_the_evidence_files(tmp_path: Path) -> None:
    report = tmp_path / "report"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"not evidence of this report")
    evidence = {
        "evidence.json": b'{"schema_version": "x"}',
        "verdicts.json": b'{"results": []}\n',
        "capture/flows.mitm": bytes(range(256)) * 3,
        "runs/agree-1/screens/s1.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        "runs/agree-1/dump.xml": "<hierarchy text='隐私'/>".encode(),
    }
    for name, data in evidence.items():
        (report / name).parent.mkdir(parents=True, exist_ok=True)
        (report / name).write_bytes(data)
    (report / "report.html").write_text("<html>", encoding="utf-8")
    (report / "report.pdf").write_bytes(b"%PDF-1.4")
    (report / "report.html.tmp").write_text("half", encoding="utf-8")
    (report / "capture" / ".report.pdf.x1y2.tmp").write_bytes(b"%PDF-")
    (report / "linked.txt").symlink_to(outside / "secret.txt")
    (report / "linked-dir").symlink_to(outside, target_is_directory=True)

    files, left_out = hash_evidence_files(report)
    assert left_out == 0
    assert [(f.path, f.size, f.sha256) for f in files] == [
        (name, len(data), _sha256(data)) for name, data in sorted(evidence.items())
    ]


def test_hash_evidence_files_without_a_folder_lists_nothing(tmp_path: Path) -> None:
    assert hash_evidence_files(None) == ((), 0)
    assert hash_evidence_files(tmp_path / "missing") == ((), 0)


def test_the_cap_on_hashed_files_says_how_many_were_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scans: dict[str, EvidenceBundle]
) -> None:
    monkeypatch.setattr(appendix_module, "MAX_HASHED_FILES", 2)
    for i in range(5):
        (tmp_path / f"dump-{i}.xml").write_text(f"<n i='{i}'/>", encoding="utf-8")
    files, left_out = hash_evidence_files(tmp_path)
    assert [f.path for f in files] == ["dump-0.xml", "dump-1.xml"] and left_out == 3
    section = english(appendix_section, scans["violating"], files, left_out, "", "t", "", MAX_ROWS)
    assert "3 more files were not hashed (the list is capped at 2)." in section.intro
    assert [r.cells[0].text for r in section.tables[0].rows] == ["dump-0.xml", "dump-1.xml"]


def test_the_appendix_records_the_command_line_catalog_and_input(scans: dict[str, EvidenceBundle]) -> None:
    bundle = scans["violating"]
    command = "appaudit scan fixtures/apps/violating/violating.apk --lang en"
    section = english(appendix_section, bundle, (), 0, command, "appaudit 9.9", "", MAX_ROWS)
    facts = {f.label: f.value for f in section.facts}
    assert facts["Command line"].text == command and facts["Command line"].mono
    assert facts["Report generated by"].text == "appaudit 9.9"
    catalog_sha = _sha256((ROOT / "appaudit" / "checks" / "catalog.yaml").read_bytes())
    assert facts["Rule catalog"].text == "31 items"
    assert facts["Rule catalog"].sub == f"catalog.yaml SHA-256 {catalog_sha}"
    apk_sha = _sha256((APPS / "violating" / "violating.apk").read_bytes())
    assert facts["Input file SHA-256"].text == apk_sha
    assert "violating.apk" in facts["Input file SHA-256"].sub
    assert section.tables[0].rows == ()
    assert section.tables[0].empty_text.startswith("No evidence file was found beside the report")

    unrecorded = english(appendix_section, bundle, (), 0, "", "t", "zh-", MAX_ROWS)
    assert unrecorded.id == "zh-appendix"
    assert {f.label: f.value for f in unrecorded.facts}["Command line"].text == "not recorded"


def test_write_html_hashes_the_evidence_files_beside_the_report(
    tmp_path: Path, scans: dict[str, EvidenceBundle]
) -> None:
    bundle = scans["violating"]
    check = evaluate(bundle)
    out = tmp_path / "out"
    out.mkdir()
    codec.write(bundle, out / "evidence.json")
    codec.write_json(check, out / "verdicts.json")
    report = out / "report.html"
    for _ in range(2):  # the second time report.html is already there: it must not hash itself
        write_html(bundle, report, check=check, lang="en", command_line="appaudit scan violating.apk")
    dom = Dom(report.read_text(encoding="utf-8"))
    appendix = dom.by_id("appendix")
    rows = [[td.text() for td in tr.find_all("td")] for tr in appendix.find_all("tr") if tr.find_all("td")]
    expected = {
        name: [name, f"{(out / name).stat().st_size:,}", _sha256((out / name).read_bytes())]
        for name in ("evidence.json", "verdicts.json")
    }
    assert rows == [expected["evidence.json"], expected["verdicts.json"]]
    assert "appaudit scan violating.apk" in appendix.text()
    assert sorted(p.name for p in out.iterdir()) == ["evidence.json", "report.html", "verdicts.json"]


# --------------------------------------------------------------------------- SDK, permission, endpoint tables


def test_sdk_columns_without_policy_or_capture_say_so(scans: dict[str, EvidenceBundle]) -> None:
    section = english(sdks_section, scans["violating"], MAX_ROWS)
    disclosed = column(section, "In the privacy policy", sdk_id)
    sent = column(section, "PI seen sent", sdk_id)
    assert set(disclosed) == {"jpush", "umeng_analytics"}
    for cell in disclosed.values():
        assert (cell.text, cell.css, cell.badge) == ("policy text not read", "na", None)
    for cell in sent.values():
        assert (cell.text, cell.css, cell.chips) == ("no capture", "na", ())


def test_sdk_named_in_the_apps_own_privacy_policy(with_policy: EvidenceBundle) -> None:
    declared = {d.sdk_id: d for d in with_policy.policy.declared_sdks}
    assert declared["umeng_analytics"].name == "友盟+统计分析SDK"
    cell = column(english(sdks_section, with_policy, MAX_ROWS), "In the privacy policy", sdk_id)["umeng_analytics"]
    assert (cell.badge.text, cell.badge.css) == ("named", "b-ok")
    assert cell.sub == "友盟+统计分析SDK"  # as the policy writes it


def test_sdk_named_cell_shows_the_policy_sentence_on_hover(with_policy: EvidenceBundle) -> None:
    policy = with_policy.policy
    declared = next(d for d in policy.declared_sdks if d.sdk_id == "umeng_analytics")
    sentence = policy.sentence(declared.sentence)
    assert sentence is not None and "友盟" in sentence.text
    cell = column(english(sdks_section, with_policy, MAX_ROWS), "In the privacy policy", sdk_id)["umeng_analytics"]
    assert sentence.text[:80] in cell.title


def test_sdk_not_named_in_the_policy_is_marked() -> None:
    bundle = case("II.1/fail_embedded_sdk_missing")  # violating.apk; the policy's SDK table lists only umeng
    cells = column(english(sdks_section, bundle, MAX_ROWS), "In the privacy policy", sdk_id)
    assert (cells["jpush"].badge.text, cells["jpush"].badge.css) == ("not named", "b-bad")
    assert (cells["umeng_analytics"].badge.text, cells["umeng_analytics"].badge.css) == ("named", "b-ok")
    assert evaluate(bundle).result("II.1").verdict is Verdict.VIOLATION  # the table and the verdict agree


def test_pi_seen_sent_comes_from_the_capture(captured: Captured) -> None:
    sent = column(english(sdks_section, captured.bundle, MAX_ROWS), "PI seen sent", sdk_id)
    umeng = sent["umeng_analytics"]
    assert "android_id" in umeng.chips and "imei" not in umeng.chips  # the IMEI went to the app's own host
    assert umeng.sub == "2 requests"
    assert umeng.badge is None  # no device run: whether it was before consent is unknown, so not claimed
    assert (sent["jpush"].text, sent["jpush"].css) == ("no request seen", "na")


def test_asked_before_consent_names_the_run_of_a_permission_dialog_before_consent() -> None:
    bundle = case("III.1/fail_permission_dialog_before_consent")  # READ_PHONE_STATE dialog before the answer
    (run,) = bundle.device.runs
    assert run.fresh_install
    assert asked_before_consent(bundle) == {"android.permission.READ_PHONE_STATE": [run.id]}
    cells = column(english(permissions_section, bundle, MAX_ROWS), "Asked before consent")
    phone = cells["android.permission.READ_PHONE_STATE"]
    assert (phone.badge.text, phone.badge.css, phone.sub) == ("yes", "b-bad", run.id)
    assert cells["android.permission.INTERNET"].text == "—"  # a normal permission has no dialog

    after = case("IV.6/pass_two_dialogs_after_feature_tap")  # two dialogs, both after the agree tap
    (run,) = after.device.runs
    prompts = [e.ts for _, e in run.events_of(PERMISSION_PROMPT)]
    _index, agree = run.first_consent_action()
    assert len(prompts) == 2 and all(ts > agree.ts for ts in prompts)
    assert asked_before_consent(after) == {}
    asked = column(english(permissions_section, after, MAX_ROWS), "Asked before consent")
    assert {c.badge for c in asked.values()} == {None}


def test_asked_before_consent_is_unknown_without_a_device_run_and_not_seen_after_a_clean_one(
    scans: dict[str, EvidenceBundle],
) -> None:
    static = scans["violating"]
    assert asked_before_consent(static) is None
    cells = column(english(permissions_section, static, MAX_ROWS), "Asked before consent")
    assert len(cells) == len(static.manifest.permissions)
    assert {(c.text, c.css) for c in cells.values()} == {("no device run", "na")}

    clean = case("III.1/fail_traffic_1ms_before_consent")  # a device run without any permission dialog
    assert asked_before_consent(clean) == {}
    cells = column(english(permissions_section, clean, MAX_ROWS), "Asked before consent")
    assert cells["android.permission.READ_PHONE_STATE"].text == "not seen"  # dangerous: it could have been asked
    assert cells["android.permission.INTERNET"].text == "—"


def test_endpoints_contacted_in_the_capture(captured: Captured, scans: dict[str, EvidenceBundle]) -> None:
    cells = column(english(endpoints_section, captured.bundle, MAX_ROWS), "Contacted in the capture")
    assert set(cells) == {"log.violating-example.cn"}
    assert (cells["log.violating-example.cn"].text, cells["log.violating-example.cn"].css) == ("3 requests", "num")

    static = column(english(endpoints_section, scans["violating"], MAX_ROWS), "Contacted in the capture")
    assert {(c.text, c.css) for c in static.values()} == {("no capture", "na")}

    untouched = case("III.1/fail_traffic_1ms_before_consent")  # its one flow goes to alog.umeng.com
    cells = column(english(endpoints_section, untouched, MAX_ROWS), "Contacted in the capture")
    assert set(cells) == {"www.umeng.com", "www.example.com"}
    assert {c.text for c in cells.values()} == {"not contacted"}


# --------------------------------------------------------------------------- the page


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, tag: str) -> list[Node]:
        return [n for n in self.iter() if n.tag == tag and n is not self]

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())


class Dom(HTMLParser):
    """A small tree of the page (the template writes well-formed HTML), for ids, attributes and text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self._stack = [self.root]
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self._stack[-1].children.append(node)
        if tag not in _VOID:
            self._stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, 0, -1):
            if self._stack[i].tag == tag:
                del self._stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)

    def ids(self) -> list[str]:
        return [n.attrs["id"] for n in self.root.iter() if "id" in n.attrs]

    def by_id(self, id_: str) -> Node:
        (node,) = [n for n in self.root.iter() if n.attrs.get("id") == id_]
        return node

    def with_class(self, css: str) -> list[Node]:
        return [n for n in self.root.iter() if css in n.classes()]


@pytest.fixture(scope="module")
def reviewed(scans: dict[str, EvidenceBundle]) -> tuple[EvidenceBundle, CheckResult]:
    bundle = scans["violating"]
    return bundle, evaluate(bundle)


def _render(bundle: EvidenceBundle, check: CheckResult, lang: str) -> str:
    return render_html(
        bundle, generated_by="appaudit test", check=check, lang=lang, context=ReportContext(command_line="appaudit x")
    )


def test_both_languages_give_two_bodies_chinese_first_with_a_switch(
    reviewed: tuple[EvidenceBundle, CheckResult],
) -> None:
    dom = Dom(_render(*reviewed, "both"))
    (html,) = dom.root.find_all("html")
    assert html.attrs["lang"] == "zh-CN"
    bodies = dom.with_class("l10n")
    assert [(b.attrs["lang"], b.attrs["data-lang"]) for b in bodies] == [("zh-CN", "zh"), ("en", "en")]
    radios = [n for n in dom.root.find_all("input") if n.attrs.get("type") == "radio"]
    assert [(r.attrs["id"], r.attrs["name"], "checked" in r.attrs) for r in radios] == [
        ("lang-zh", "appaudit-lang", True),
        ("lang-en", "appaudit-lang", False),
    ]
    (switch,) = dom.with_class("lang-switch")
    assert [(label.attrs["for"], label.text()) for label in switch.find_all("label")] == [
        ("lang-zh", "中文"),
        ("lang-en", "English"),
    ]

    ids = dom.ids()
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert {"zh-item-III-1", "en-item-III-1", "zh-appendix", "en-appendix", "zh-overview"} <= set(ids)
    assert "item-III-1" not in ids
    links = [a.attrs["href"][1:] for a in dom.root.find_all("a") if a.attrs.get("href", "").startswith("#")]
    assert links and set(links) <= set(ids)  # every in-page link has its target, in its own language
    for body in bodies:
        prefix = body.attrs["data-lang"] + "-"
        body_ids = [n.attrs["id"] for n in body.iter() if "id" in n.attrs]
        assert body_ids and all(i.startswith(prefix) for i in body_ids)

    zh, en = bodies
    assert translations()["Does this app comply?"] in dom.by_id("zh-overview").text()
    assert "Does this app comply?" in dom.by_id("en-overview").text()
    assert "Does not comply: 2 of the 31 items are violated." in en.text()
    assert "Does not comply" not in zh.text()


def test_english_only_has_one_body_no_switch_and_plain_ids(reviewed: tuple[EvidenceBundle, CheckResult]) -> None:
    page = _render(*reviewed, "en")
    dom = Dom(page)
    (html,) = dom.root.find_all("html")
    assert html.attrs["lang"] == "en"
    assert [(b.attrs["lang"], b.attrs["data-lang"]) for b in dom.with_class("l10n")] == [("en", "en")]
    assert dom.root.find_all("input") == [] and dom.with_class("lang-switch") == []
    ids = dom.ids()
    assert 'id="item-III-1"' in page
    assert {"item-III-1", "overview", "appendix", "cat-III"} <= set(ids)
    assert not [i for i in ids if i.startswith(("en-", "zh-"))]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert translations()["Does this app comply?"] not in page


def test_the_same_evidence_renders_to_the_same_bytes(
    reviewed: tuple[EvidenceBundle, CheckResult], tmp_path: Path
) -> None:
    bundle, check = reviewed
    assert _render(bundle, check, "both") == _render(bundle, check, "both")
    reread = codec.read(_write_evidence(tmp_path / "round-trip", bundle))  # through evidence.json and back
    assert _render(reread, evaluate(reread), "both") == _render(bundle, check, "both")
    pages = []
    for name in ("a", "b"):
        out = tmp_path / name
        _write_evidence(out, bundle)
        write_html(bundle, out / "report.html", check=check, command_line="appaudit scan v.apk")
        pages.append((out / "report.html").read_bytes())
    assert pages[0] == pages[1]


def _write_evidence(out: Path, bundle: EvidenceBundle) -> Path:
    out.mkdir(parents=True)
    codec.write(bundle, out / "evidence.json")
    return out / "evidence.json"


def test_build_page_prefixes_ids_only_with_several_languages(reviewed: tuple[EvidenceBundle, CheckResult]) -> None:
    bundle, check = reviewed
    both = build_page(bundle, generated_by="t", check=check)
    assert [(b.lang, b.prefix) for b in both.bodies] == [("zh", "zh-"), ("en", "en-")]
    assert [(c.lang, c.checked) for c in both.switch] == [("zh", True), ("en", False)]
    single = build_page(bundle, generated_by="t", check=check, languages=("en",))
    assert [(b.lang, b.prefix) for b in single.bodies] == [("en", "")] and single.switch == ()
    with pytest.raises(ValueError, match="each report language once"):
        build_page(bundle, generated_by="t", languages=("en", "en"))
    with pytest.raises(ValueError):
        build_page(bundle, generated_by="t", languages=())
