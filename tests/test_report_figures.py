"""The report's figures: the requests timeline per device run and the data-flow diagram.

Bundles come from the check fixtures (``fixtures/checks``) and from the scenario builders that wrote
them (``make_dynamic_cases.py``), so the figures are tested on the evidence the checks are tested on.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import string
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from appaudit.evidence import codec
from appaudit.evidence.device import PERMISSION_PROMPT, DeviceRun
from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.timeline import place
from appaudit.evidence.traffic import Destination, UnobservableHost
from appaudit.report.i18n import catalog, language, reset_untranslated, untranslated
from appaudit.report.view import dataflow_chart, timeline_chart
from appaudit.report.view.dataflow_chart import MAX_RECEIVERS, dataflow_figure
from appaudit.report.view.figure import ATTRIBUTES, ELEMENTS, Figure, Shape
from appaudit.report.view.timeline_chart import (
    LANE_LABEL_CHARS,
    MAX_MARKS_PER_LANE,
    MAX_THIRD_PARTY_LANES,
    PLOT_LEFT,
    PLOT_RIGHT,
    timeline_figures,
)
from appaudit.traffic.vendors import summarise

ROOT = Path(__file__).resolve().parents[1]
CHECK_FIXTURES = ROOT / "fixtures" / "checks"
FIGURES_YAML = ROOT / "appaudit" / "data" / "report_i18n" / "figures.yaml"
CASE_FILES = sorted(CHECK_FIXTURES.glob("*/*.json"))


def _scenarios() -> ModuleType:
    """fixtures/checks/make_dynamic_cases.py: the builders of the dynamic fixture cases."""
    spec = importlib.util.spec_from_file_location("make_dynamic_cases", CHECK_FIXTURES / "make_dynamic_cases.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


S = _scenarios()


def case(path: str) -> EvidenceBundle:
    return codec.read(CHECK_FIXTURES / f"{path}.json")


def run_figure(bundle: EvidenceBundle, run_id: str = "agree-1") -> Figure:
    figures = {f.id: f for f in timeline_figures(bundle)}
    return figures[f"timeline-{run_id}"]


def x_of(s: Shape) -> float:
    return float(s.attr("cx") or s.attr("x1") or s.attr("x") or "nan")


def points(figure: Figure) -> tuple[Shape, ...]:
    return figure.marks("flow") + figure.marks("pi")


def with_traffic(bundle: EvidenceBundle, flows: tuple, matches: tuple = (), **kw: object) -> EvidenceBundle:
    return S.with_parts(bundle, traffic=S.traffic(flows, matches, **kw))


# --------------------------------------------------------------------------- timeline


def test_pre_consent_pi_flow_is_a_pi_mark_left_of_the_consent_line() -> None:
    figure = run_figure(case("III.1/fail_traffic_1ms_before_consent"))  # android_id to umeng 1 ms before the tap
    (mark,) = figure.marks("pi")
    (consent,) = figure.marks("consent")
    assert mark.attr("data-phase") == "before_consent"
    assert mark.attr("class") == "mk-pi"
    assert "android_id" in mark.title and "alog.umeng.com" in mark.title
    assert x_of(mark) < x_of(consent)
    (shade,) = figure.marks("before-consent")
    assert float(shade.attr("x")) <= x_of(mark) <= float(shade.attr("x")) + float(shade.attr("width"))
    assert "1 carried personal information, 1 of them before consent" in figure.description
    assert "Consent given (agree tapped) at 20.0 s" in figure.description


def test_flow_between_tap_and_next_screen_is_ambiguous_and_between_the_two_lines() -> None:
    figure = run_figure(case("III.1/pass_flow_in_ambiguous_window"))
    (mark,) = figure.marks("pi")
    (consent,) = figure.marks("consent")
    (first_screen,) = figure.marks("first-screen")
    assert mark.attr("data-phase") == "ambiguous"
    assert x_of(consent) <= x_of(mark) <= x_of(first_screen)
    assert "0 of them before consent" in figure.description


@pytest.mark.parametrize("path", CASE_FILES, ids=[f"{p.parent.name}/{p.stem}" for p in CASE_FILES])
def test_every_fixture_case_draws_one_mark_per_flow_in_each_run(path: Path) -> None:
    bundle = codec.read(path)
    figures = timeline_figures(bundle)
    if bundle.device is None or not bundle.device.runs:
        flows = bundle.traffic.flows if bundle.traffic else ()
        assert [f.id for f in figures] == (["timeline-capture"] if flows else [])
    else:
        assert len(figures) == len(bundle.device.runs)
    runs: list[DeviceRun | None] = list(bundle.device.runs) if bundle.device and bundle.device.runs else [None]
    for figure, run in zip(figures, runs, strict=False):
        in_window = [
            f
            for f in (bundle.traffic.flows if bundle.traffic else ())
            if run is None or run.started <= f.ts <= run.ended
        ]
        assert len(points(figure)) == len(in_window)
        # The phase on each mark is the timeline's, the one the checks use.
        assert sorted(m.attr("data-phase") for m in points(figure)) == sorted(
            place(bundle.device if run else None, f.ts).phase.value for f in in_window
        )
        if run is not None:
            assert len(figure.marks("permission")) == len(run.events_of(PERMISSION_PROMPT))
        for s in figure.shapes:
            assert s.element in ELEMENTS and all(name in ATTRIBUTES for name, _ in s.attrs)
            Shape(s.element, s.attrs, s.text, s.title)  # the whitelist check, again
            assert PLOT_LEFT - 200 <= x_of(s) <= PLOT_RIGHT + 1 or s.element == "path"
        assert {e.css for e in figure.legend} >= {s.attr("class") for s in points(figure)}
        assert figure.description and figure.title


def test_permission_dialogs_are_lines_one_each() -> None:
    bundle = case("IV.6/fail_three_dialogs_at_startup")
    figure = run_figure(bundle)
    lines = figure.marks("permission")
    assert len(lines) == 3 == len(bundle.device.runs[0].events_of(PERMISSION_PROMPT))
    assert any("READ_PHONE_STATE" in line.title for line in lines)
    assert "3 permission dialog(s) opened" in figure.description
    assert "permission dialog" in [e.label for e in figure.legend]


def test_app_exit_after_refusal_is_a_line_after_the_consent_line() -> None:
    figure = run_figure(case("IV.2/fail_exits_on_refusal"), "refuse-1")
    (exit_line,) = figure.marks("exit")
    (consent,) = figure.marks("consent")
    assert x_of(consent) < x_of(exit_line)
    assert "refuse" in [s.text for s in figure.shapes if s.element == "text"]
    assert "The app exited by itself at 21.0 s" in figure.description


def test_flows_of_other_runs_stay_out_of_a_runs_figure() -> None:
    bundle = case("III.2/fail_pi_after_refusal")  # OAID to umeng at +450 s, in the refuse run only
    agree_only = S.with_parts(bundle, device=S.device(S.agree_run(), bundle.device.runs[0]))
    agree, refuse = timeline_figures(agree_only)
    assert not points(agree)
    assert [m.attr("data-phase") for m in refuse.marks("pi")] == ["after_refusal"]


def test_run_that_is_not_a_fresh_install_has_no_before_consent_region() -> None:
    bundle = S.with_parts(
        S.base("compliant"),
        device=S.device(S.agree_run(fresh=False)),
        traffic=S.traffic((S.flow("f1", 3, S.UMENG),), (S.pi("f1"),)),
    )
    figure = run_figure(bundle)
    assert not figure.marks("before-consent")
    assert [m.attr("data-phase") for m in figure.marks("pi")] == ["unknown"]
    assert "did not start from a fresh install" in figure.description


def test_traffic_without_device_runs_is_one_capture_figure_without_consent_lines() -> None:
    bundle = case("V.1/fail_sdk_before_consent")
    bundle = replace(bundle, device=None, parts=tuple(p for p in bundle.parts if p.name != "device"))
    (figure,) = timeline_figures(bundle)
    assert figure.id == "timeline-capture"
    assert [m.attr("data-phase") for m in figure.marks("pi")] == ["unknown"]
    assert not figure.marks("consent") and not figure.marks("before-consent")
    assert "consent moments are unknown" in figure.caption


def test_device_runs_without_traffic_still_show_the_events() -> None:
    figure = run_figure(case("III.1/fail_permission_dialog_before_consent"))
    assert not points(figure)
    assert len(figure.marks("permission")) == 1 and len(figure.marks("consent")) == 1
    assert "No traffic was captured" in figure.caption


def test_nothing_to_draw() -> None:
    bundle = case("III.1/pass_no_findings")  # static only, no SDK
    assert timeline_figures(bundle) == ()
    assert dataflow_figure(bundle) is None
    assert timeline_figures(case("IV.4/inconclusive_short_capture")) == ()  # a capture with no request


def test_zero_length_run_and_flows_at_the_same_instant() -> None:
    run = DeviceRun("agree-1", "agree", S.T0, S.T0, True, (S.ev(0, "run_start"), S.ev(0, "consent_agree")), ())
    flows = tuple(S.flow(f"f{i}", 0, S.UMENG) for i in range(3))
    bundle = S.with_parts(S.base("compliant"), device=S.device(run), traffic=S.traffic(flows, (S.pi("f0"),)))
    figure = run_figure(bundle)
    assert len(points(figure)) == 3
    assert {x_of(m) for m in points(figure)} == {PLOT_LEFT}
    assert [s.text for s in figure.shapes if s.attr("class") == "ax-label"] == ["0 s"]
    assert "in 0.0 s" in figure.description


def test_crowded_lane_is_binned_by_pixel_column_and_says_so() -> None:
    count = 2000
    flows = tuple(S.flow(f"f{i}", 21.5 + i * 0.1, S.UMENG) for i in range(count))
    matches = tuple(S.pi(f"f{i}") for i in range(0, count, 7))
    bundle = with_traffic(S.with_parts(S.base("compliant"), device=S.device(S.agree_run())), flows, matches)
    figure = run_figure(bundle)
    marks = points(figure)
    assert len(marks) <= 2 * (PLOT_RIGHT - PLOT_LEFT + 1)
    assert len(marks) < count
    counted = sum(int(re.match(r"(\d+) requests at", m.title).group(1)) for m in marks)  # type: ignore[union-attr]
    assert counted == count
    assert sum(int(re.match(r"(\d+)", m.title).group(1)) for m in figure.marks("pi")) == len(matches)  # type: ignore[union-attr]
    assert str(MAX_MARKS_PER_LANE) in figure.caption
    assert f"{count} request(s)" in figure.description


def test_unknown_third_parties_beyond_the_cap_share_one_lane() -> None:
    extra = MAX_THIRD_PARTY_LANES + 4
    flows = tuple(
        S.flow(f"f{i}", 30 + i, Destination(f"t.tracker{i}.example", f"tracker{i}.example", "third_party"))
        for i in range(extra)
    )
    bundle = with_traffic(S.with_parts(S.base("compliant"), device=S.device(S.agree_run())), flows)
    figure = run_figure(bundle)
    lanes = [s for s in figure.shapes if s.attr("class") == "lane-label"]
    assert len(lanes) == MAX_THIRD_PARTY_LANES + 1
    assert lanes[-1].text == "other third parties"
    assert len(points(figure)) == extra


def test_figure_ids_are_sanitised_and_unique() -> None:
    runs = (
        replace(S.agree_run(), id='agree 1/<x>"'),
        replace(S.agree_run(), id="agree-1--x--"),
    )
    figures = timeline_figures(S.with_parts(S.base("compliant"), device=S.device(*runs)))
    ids = [f.id for f in figures]
    assert len(set(ids)) == 2
    assert all(re.fullmatch(r"[A-Za-z0-9-]+", i) for i in ids)


# --------------------------------------------------------------------------- hostile strings

HOSTILE_HOST = '<script>alert("x")</script>\u202eevil\'.' + "a" * 5000 + ".example"


def _hostile_bundle() -> EvidenceBundle:
    hostile = Destination(HOSTILE_HOST, HOSTILE_HOST, "third_party")
    hostile_sdk = Destination("x.sdk.example", "sdk.example", "sdk", "<b>sdk</b>\u202e", '"><script>' * 600)
    flows = (S.flow("f1", 3, hostile), S.flow("f2", 4, hostile_sdk), S.flow("f3", 30, S.UMENG))
    matches = (S.pi("f1", "<img src=x>"), S.pi("f2"))
    unobservable = (UnobservableHost(HOSTILE_HOST, "tls_failed\u202e", S.T0 + 1, 2),)
    bundle = S.with_parts(S.base("compliant"), device=S.device(replace(S.agree_run(), id="<run>\u202e")))
    bundle = with_traffic(bundle, flows, matches, unobservable=unobservable)
    return replace(bundle, app=replace(bundle.app, label="<svg onload=alert(1)>\u202e" + "名" * 3000))


def _all_figures(bundle: EvidenceBundle) -> list[Figure]:
    flow = dataflow_figure(bundle)
    return [*timeline_figures(bundle), *([flow] if flow else [])]


def test_hostile_strings_stay_in_text_titles_and_values_clipped_and_visible() -> None:
    figures = _all_figures(_hostile_bundle())
    assert len(figures) == 2
    texts = [s.text for f in figures for s in f.shapes if s.text]
    titles = [s.title for f in figures for s in f.shapes if s.title]
    for figure in figures:
        assert re.fullmatch(r"[A-Za-z0-9-]+", figure.id)
        assert "\u202e" not in figure.title + figure.description + figure.caption
        assert len(figure.description) < 1000 and len(figure.title) < 200
        for s in figure.shapes:
            assert s.element in ELEMENTS and all(name in ATTRIBUTES for name, _ in s.attrs)
    # Visible text is short: no label carries the 5,000-character host, and bidi overrides are shown, not obeyed.
    assert all(len(t) <= 60 for t in texts), max(texts, key=len)[:80]
    assert not any("\u202e" in t for t in texts + titles)
    assert any(t.startswith("<script>alert") and t.endswith("…") and len(t) <= LANE_LABEL_CHARS for t in texts)
    # The full value stays reachable in a tooltip, its control character made visible.
    visible_host = HOSTILE_HOST.replace("\u202e", "\\u202e")
    assert any(visible_host in t for t in titles)
    assert any("<img src=x>" in t for t in titles)


# --------------------------------------------------------------------------- data flow


def _edge(figure: Figure, key: str) -> Shape:
    (edge,) = [e for e in figure.marks("edge") if e.attr("data-edge") == key]
    return edge


def test_sdk_receiving_pi_before_consent_has_a_before_consent_edge() -> None:
    figure = dataflow_figure(case("V.1/fail_sdk_before_consent"))
    assert figure is not None and figure.id == "dataflow"
    edge = _edge(figure, "sdk:umeng_analytics")
    assert edge.attr("data-phase") == "before_consent"
    assert edge.attr("class") == "edge-pi-before"
    assert edge.attr("data-pi") == "android_id"
    assert "1 before consent" in figure.description


def test_pi_after_consent_is_a_plain_pi_edge_and_no_pi_is_dashed() -> None:
    bundle = case("V.1/pass_after_consent_disclosed")
    bundle = with_traffic(
        bundle, (*bundle.traffic.flows, S.flow("f9", 40, S.FIRST, "/v1/config")), bundle.traffic.pi_matches
    )
    figure = dataflow_figure(bundle)
    assert figure is not None
    umeng = _edge(figure, "sdk:umeng_analytics")
    first = _edge(figure, "first_party:example-app.cn")
    assert umeng.attr("data-phase") is None and umeng.attr("class") == "edge-pi"
    assert first.attr("class") == "edge-none" and first.attr("stroke-dasharray")
    # Receivers with PI come first.
    order = [s.attr("data-node") for s in figure.shapes if s.element == "rect" and s.attr("data-node") != "app"]
    assert order == ["sdk:umeng_analytics", "first_party:example-app.cn"]


def test_merged_vendor_summaries_give_the_same_edges() -> None:
    bundle = case("V.1/fail_sdk_before_consent")
    t = bundle.traffic
    merged = replace(bundle, traffic=replace(t, vendors=summarise(t.flows, t.pi_matches, bundle.device)))
    assert dataflow_figure(merged) == dataflow_figure(bundle)


def test_receiver_the_proxy_could_not_see_is_marked() -> None:
    figure = dataflow_figure(case("V.1/inconclusive_pinned_vendor"))
    assert figure is not None
    (note,) = figure.marks("unobservable")
    assert note.attr("data-node") == "sdk:umeng_analytics"
    assert "alog.umeng.com" in note.title
    assert _edge(figure, "sdk:umeng_analytics").attr("class") == "edge-unobservable"
    assert "could not be observed" in figure.description


def test_no_traffic_falls_back_to_what_embedded_sdks_can_access() -> None:
    figure = dataflow_figure(case("III.1/fail_unguarded_startup"))  # violating.apk: jpush and umeng, no capture
    assert figure is not None
    assert "static" in figure.caption.lower() and "not what was sent" in figure.caption
    edges = figure.marks("edge")
    assert {e.attr("class") for e in edges} == {"edge-static"}
    jpush = _edge(figure, "sdk:jpush")
    assert "imei" in (jpush.attr("data-pi") or "").split(",")
    assert jpush.attr("data-phase") is None
    assert "2 SDK(s) are embedded" in figure.description


def test_many_receivers_are_capped_with_a_more_node() -> None:
    extra = MAX_RECEIVERS + 5
    flows = tuple(
        S.flow(f"f{i}", 30 + i, Destination(f"t.r{i:02d}.example", f"r{i:02d}.example", "third_party"))
        for i in range(extra)
    )
    bundle = with_traffic(S.with_parts(S.base("compliant"), device=S.device(S.agree_run())), flows, (S.pi("f24"),))
    figure = dataflow_figure(bundle)
    assert figure is not None
    assert len(figure.marks("edge")) == MAX_RECEIVERS
    (more,) = figure.marks("more")
    assert "5 more receivers" in more.title
    assert figure.marks("edge")[0].attr("data-edge") == "third_party:r24.example"  # the one with PI first


# --------------------------------------------------------------------------- translations


def _all_bundles() -> list[EvidenceBundle]:
    crowded = tuple(S.flow(f"f{i}", 21.5 + i * 0.1, S.UMENG) for i in range(MAX_MARKS_PER_LANE + 10))
    third = tuple(
        S.flow(f"g{i}", 30 + i, Destination(f"t.r{i:02d}.example", f"r{i:02d}.example", "third_party"))
        for i in range(MAX_RECEIVERS + 3)
    )
    capture_only = case("V.1/fail_sdk_before_consent")
    capture_only = replace(capture_only, device=None, parts=tuple(p for p in capture_only.parts if p.name != "device"))
    agree = S.with_parts(S.base("compliant"), device=S.device(S.agree_run(fresh=False)))
    return [
        *(codec.read(p) for p in CASE_FILES),
        _hostile_bundle(),
        capture_only,
        with_traffic(agree, crowded + third, (S.pi("f1"),)),
    ]


def test_every_message_the_figures_show_is_translated() -> None:
    reset_untranslated()
    with language("zh"):
        figures = [f for b in _all_bundles() for f in _all_figures(b)]
    assert figures
    assert untranslated() == frozenset()
    zh = next(f for f in figures if f.id == "timeline-agree-1" and f.marks("pi"))
    assert "同意" in zh.description


def _msgids(module: ModuleType) -> set[str]:
    """Every literal ``tr("...")`` message id in a module's source."""
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "tr"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_figure_messages_are_all_in_figures_yaml_with_their_placeholders() -> None:
    table = yaml.safe_load(FIGURES_YAML.read_text(encoding="utf-8"))
    used = _msgids(timeline_chart) | _msgids(dataflow_chart)
    used |= {label for label, _ in timeline_chart._LEGEND.values()}
    used |= {label for _, label in dataflow_chart._LEGEND} | set(dataflow_chart._USAGE.values())
    assert used - set(table) == set()
    assert set(table) - used == set(), "translations no figure uses"
    fields = string.Formatter()
    for msgid, text in table.items():
        assert sorted(f for _, f, _, _ in fields.parse(msgid) if f) == sorted(
            f for _, f, _, _ in fields.parse(text) if f
        ), msgid
    assert all(catalog()[k] == v for k, v in table.items())
