"""Evidence inline: a verdict's references resolved into call chains, highlighted PI, UI paths and quotes.

The device evidence comes from the production pipeline: the demo scenario (PI before consent, exit on
refusal, the policy 5 taps deep) played on the simulated device through a real mitmdump, once per
module. The static and policy kinds come from the check fixtures, resolved from the references their
own verdicts cite.
"""

from __future__ import annotations

import base64
import os
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from appaudit.checker.assessment import apply_assessments, load_assessments
from appaudit.checker.model import EvidenceRef, ItemResult
from appaudit.checker.run import evaluate
from appaudit.demo import demo_scenario
from appaudit.device.policy_search import SearchBudget
from appaudit.device.runs import RunSettings
from appaudit.device.session import SessionSettings, run_device_session
from appaudit.device.simulated import SimulatedDevice
from appaudit.evidence import codec
from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.timeline import Phase, place
from appaudit.evidence.traffic import PiMatch
from appaudit.report.i18n import catalog, language, reset_untranslated, untranslated
from appaudit.report.view import evidence_inline as inline
from appaudit.report.view.evidence_inline import locate_match, resolve, resolve_all
from appaudit.report.view.images import MAX_IMAGE_BYTES, embed_image, read_artifact
from appaudit.report.view.model import InlineEvidence
from appaudit.report.view.wireframe import MAX_SHAPES_NODES, parse_selector, selector_label, wireframe_figure
from appaudit.traffic.pi.detect import PiDetector
from appaudit.traffic.pi.types import MessagePart
from appaudit.traffic.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ROOT / "fixtures" / "checks"
STATIC = CHECKS / "III.1" / "pass_all_guarded.json"  # compliant.apk's static evidence
FAST = RunSettings("", dwell=0.8, observe=0.8, poll=0.1, settle_timeout=3.0, quiet=0.4)
OPTIONS = ("connection_strategy=lazy", "appaudit_answer_locally=true")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- the demo, run once


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[EvidenceBundle, Path, dict[str, ItemResult], dict]:
    out = tmp_path_factory.mktemp("demo")
    with demo_scenario() as scenario_file:
        identifiers = yaml.safe_load(scenario_file.read_text(encoding="utf-8"))["device"]["identifiers"]
        with SimulatedDevice(scenario_file) as device:
            static = codec.read(STATIC)
            assert static.app is not None
            bundle = replace(static, app=replace(static.app, package=device.scenario.package))
            settings = SessionSettings(runs=("agree", "refuse"), run=FAST, budget=SearchBudget(max_seconds=120),
                                       capture_options=OPTIONS)  # fmt: skip
            result = run_device_session(device, ROOT / "fixtures" / "apps" / "compliant" / "compliant.apk", bundle,
                                        out, settings)  # fmt: skip
    results = {r.item_id: r for r in evaluate(result.bundle).results}
    return result.bundle, out, results, identifiers


def _cited(results: dict[str, ItemResult], kind: str) -> list[EvidenceRef]:
    return [ref for r in results.values() for ref in r.evidence if ref.kind == kind]


def _fact(ev: InlineEvidence, label: str) -> str:
    found = [f.value for f in ev.facts if f.label == label]
    assert found, (label, [f.label for f in ev.facts])
    cell = found[0]
    return " ".join(filter(None, (cell.text, cell.sub, cell.badge.text if cell.badge else "", *cell.chips)))


# --------------------------------------------------------------------------- traffic


def test_pre_consent_imei_is_highlighted_with_its_decode_chain(demo) -> None:
    bundle, out, results, identifiers = demo
    traffic = bundle.traffic
    assert traffic is not None
    checked = 0
    for ref in _cited(results, "pi_match"):
        index = int(ref.ref.split("[")[1].rstrip("]"))
        m = traffic.pi_matches[index]
        flow = traffic.flow(m.flow_id)[1]
        if m.pi_type != "imei" or place(bundle.device, flow.ts).phase is not Phase.BEFORE_CONSENT:
            continue
        ev = resolve(bundle, ref, out)
        assert ev.kind == "pi_match" and ev.ref == ref.ref
        assert ev.highlight is not None and ev.highlight.match == identifiers["imei"]
        assert ev.encodings == m.encodings and ev.encodings  # gzip → json:$.imei, or form:imei
        assert "before the consent tap in run agree-1" in _fact(ev, "When")
        assert flow.destination.host in ev.title and "imei" in _fact(ev, "PI type")
        checked += 1
    assert checked >= 2, "the demo sends the IMEI to two SDK hosts before consent"


def test_a_flow_lists_its_pi_matches_and_its_timing(demo) -> None:
    bundle, out, results, identifiers = demo
    ref = next(r for r in results["III.1"].evidence if r.kind == "flow" and "umeng" in r.detail)
    ev = resolve(bundle, ref, out)
    assert ev.kind == "flow" and ev.title.startswith("POST alog.umeng.com")
    assert "Umeng" in _fact(ev, "Receiver") and "SDK vendor" in _fact(ev, "Receiver")
    assert "before the consent tap" in _fact(ev, "When")
    matches = [f.value.text for f in ev.facts if f.label == "PI match"]
    assert f"imei: {identifiers['imei']}" in matches
    assert f"android_id: {identifiers['android_id']}" in matches


def test_location_note_highlights_the_latitude(demo) -> None:
    bundle, out, _results, identifiers = demo
    traffic = bundle.traffic
    index = next(i for i, m in enumerate(traffic.pi_matches) if m.pi_type == "location_precise")
    ev = resolve(bundle, EvidenceRef("pi_match", f"traffic.pi_matches[{index}]"), out)
    assert ev.highlight is not None and float(ev.highlight.match) == pytest.approx(identifiers["lat"])
    assert ev.highlight.before + ev.highlight.match + ev.highlight.after == traffic.pi_matches[index].excerpt


@pytest.mark.parametrize(
    "data",
    [
        b"a=" + b"x" * 100 + b" imei=867530041234566 b=" + b"y" * 100,
        "说明:设备信息如下\n\t".encode() * 5 + b"imei=867530041234566" + "\x01尾巴".encode() * 30,
        b"\xff\xfe\x00" * 20 + b"867530041234566" + b"\xff" * 50,
    ],
    ids=["ascii-window", "cjk-and-controls", "undecodable-bytes"],
)
def test_highlight_is_found_inside_a_detector_window(data: bytes) -> None:
    """The detector's own excerpt, however it escaped the bytes around the match, still locates the value."""
    detector = PiDetector(load_profile(ROOT / "fixtures" / "profiles" / "cn_phone.json"), patterns=False)
    found = [d for d in detector.scan([MessagePart("request.body", data, "text/plain")]) if d.pi_type == "imei"]
    assert found
    d = found[0]
    m = PiMatch("f", d.pi_type, d.value_name, d.detector, d.confidence, d.location, d.encodings, d.offset,
                d.length, d.excerpt)  # fmt: skip
    light = locate_match(m)
    assert light.match == "867530041234566"
    assert light.before + light.match + light.after == d.excerpt
    assert light.before.startswith("…")  # the window starts inside the body


def test_an_excerpt_that_does_not_fit_its_offsets_is_shown_unmarked() -> None:
    m = PiMatch("f", "imei", "imei[0]", "profile", "high", "url.query:imei", (), 500, 15, "short excerpt")  # type: ignore[arg-type]
    light = locate_match(m)
    assert (light.before, light.match, light.after) == ("short excerpt", "", "")


# --------------------------------------------------------------------------- UI: the click path


def test_policy_search_is_five_screens_with_the_tapped_node_marked(demo) -> None:
    bundle, out, results, _ = demo
    ref = next(r for r in results["I.3"].evidence if r.kind == "policy_search")
    run = bundle.device.runs[0]
    search = run.policy_search
    assert search is not None and search.found and len(search.path) == 5
    ev = resolve(bundle, ref, out, id_prefix="item-I-3")
    assert ev.kind == "ui_path" and len(ev.ui_steps) == 5
    labels = [selector_label(p) for p in search.path]
    assert labels == ["我的", "设置", "隐私设置", "隐私协议", "隐私政策"]
    for step, label in zip(ev.ui_steps, labels, strict=True):
        assert step.action == f"tap “{label}”"
        assert step.figure is not None, step.note
        tapped = step.figure.marks("tapped")
        assert len(tapped) == 1 and label in tapped[0].title
        assert step.figure.id.startswith("item-I-3-wf-")
        assert step.image.startswith("data:image/png;base64,")
        screen = next(s for s in run.screens if step.screen.endswith(f"(screen {s.id[:8]})"))
        assert base64.b64decode(step.image.split(",", 1)[1]) == (out / "runs" / screen.screenshot).read_bytes()
    ids = [s.figure.id for s in ev.ui_steps]
    assert len(set(ids)) == len(ids)
    # The first step starts on the main interface; the path ends on the policy screen.
    assert ev.ui_steps[0].screen.startswith("main interface")
    assert _fact(ev, "Policy screen").startswith("policy page")
    assert _fact(ev, "Operations").strip() == "5"


def test_each_step_is_on_the_screen_the_previous_step_led_to(demo) -> None:
    bundle, out, _results, _ = demo
    run = bundle.device.runs[0]
    ev = resolve(bundle, EvidenceRef("policy_search", "device.runs[0].policy_search"), out)
    shown = [s.screen for s in ev.ui_steps]
    assert len(set(shown)) == 5  # five different screens, one per operation
    kinds = [next(s for s in run.screens if step.endswith(f"(screen {s.id[:8]})")).kind for step in shown]
    assert kinds[0] == "main" and "policy" not in kinds


def test_without_an_output_directory_nothing_is_read_and_each_step_says_so(demo) -> None:
    bundle, _out, _results, _ = demo
    ev = resolve(bundle, EvidenceRef("policy_search", "device.runs[0].policy_search"), None)
    assert len(ev.ui_steps) == 5
    for step in ev.ui_steps:
        assert step.figure is None and step.image == ""
        assert "output directory is not known" in step.note


def test_consent_screen_event_and_refusal_exit(demo) -> None:
    bundle, out, _results, _ = demo
    refuse = next(i for i, r in enumerate(bundle.device.runs) if r.kind == "refuse")
    run = bundle.device.runs[refuse]
    tap = next(i for i, e in enumerate(run.events) if e.kind == "consent_refuse")
    ev = resolve(bundle, EvidenceRef("ui_event", f"device.runs[{refuse}].events[{tap}]"), out)
    assert ev.kind == "ui_event" and ev.ui_steps and ev.ui_steps[0].action == "tap “不同意”"
    assert ev.ui_steps[0].figure is not None and len(ev.ui_steps[0].figure.marks("tapped")) == 1
    screen = resolve(bundle, EvidenceRef("ui_screen", f"device.runs[{refuse}].screens[0]"), out)
    assert screen.kind == "screen" and "《隐私政策》" in _fact(screen, "Policy links")
    whole = resolve(bundle, EvidenceRef("device_run", f"device.runs[{refuse}]", "refuse-1 (refuse)"), out)
    assert whole.kind == "ui_path"
    actions = [s.action for s in whole.ui_steps]
    assert any(a.startswith("refuse tapped") for a in actions)
    assert any(a.startswith("the app left the foreground by itself") for a in actions)


def test_every_device_reference_the_checks_cite_resolves(demo) -> None:
    bundle, out, results, _ = demo
    refs = [ref for r in results.values() for ref in r.evidence]
    assert {"flow", "pi_match", "policy_search", "ui_event", "capture"} <= {r.kind for r in refs}
    for ref in refs:
        ev = resolve(bundle, ref, out)
        assert ev.kind != "plain", ref


# --------------------------------------------------------------------------- wireframes


def _dump(nodes: str, width: int = 1080, height: int = 2400) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
        f'<node index="0" text="" class="android.widget.FrameLayout" package="p" content-desc="" clickable="false" '
        f'bounds="[0,0][{width},{height}]">{nodes}</node></hierarchy>'
    )


def _node(text: str, bounds: str, clickable: bool = True, desc: str = "") -> str:
    return (
        f'<node index="0" text="{text}" class="android.widget.TextView" package="p" content-desc="{desc}" '
        f'clickable="{str(clickable).lower()}" bounds="{bounds}"/>'
    )


def test_wireframe_scales_marks_and_labels() -> None:
    dump = _dump(_node("设置", "[0,200][1080,350]") + _node("", "[900,2200][1080,2400]", desc="我的")
                 + _node("标题", "[0,0][1080,150]", clickable=False))  # fmt: skip
    fig = wireframe_figure(dump, highlight='content-desc="我的"', fig_id="wf-1", title="screen")
    assert fig is not None and fig.width == 180 and fig.height == 400 and fig.css == "fig-wireframe"
    tapped = fig.marks("tapped")
    assert len(tapped) == 1 and "wf-tapped" in tapped[0].attr("class") and "wf-click" in tapped[0].attr("class")
    assert tapped[0].attr("x") == "150" and tapped[0].attr("width") == "30"
    texts = [s.text for s in fig.shapes if s.element == "text"]
    assert "设置" in texts and "标题" in texts
    plain = [s for s in fig.shapes if s.element == "rect" and s.title.endswith("标题")]
    assert plain and "wf-click" not in plain[0].attr("class")
    assert "outlined" in fig.description and {e.css for e in fig.legend} == {"wf-click", "wf-tapped"}
    # A plain label names the same node as its selector.
    again = wireframe_figure(dump, highlight="我的", fig_id="wf-2", title="screen")
    assert again is not None and len(again.marks("tapped")) == 1


def test_a_label_that_is_not_on_the_screen_is_said_so() -> None:
    fig = wireframe_figure(_dump(_node("设置", "[0,200][1080,350]")), highlight='text="隐私"', fig_id="w", title="t")
    assert fig is not None and not fig.marks("tapped") and "not found" in fig.caption


def test_a_long_label_is_clipped_with_its_full_text_as_title() -> None:
    long = "很长的隐私政策说明文字" * 20
    fig = wireframe_figure(_dump(_node(long, "[0,200][1080,350]")), fig_id="w", title="t")
    label = next(s for s in fig.shapes if s.element == "text")
    assert label.text.endswith("…") and len(label.text) < 30 and label.title.startswith("很长的")


def test_wireframe_is_capped_and_the_tapped_node_is_always_drawn() -> None:
    rows = "".join(_node(f"row{i}", f"[0,{i * 2}][1080,{i * 2 + 2}]") for i in range(1000))
    fig = wireframe_figure(_dump(rows), highlight="row999", fig_id="w", title="t")
    assert fig is not None
    rects = [s for s in fig.shapes if s.element == "rect"]
    assert len(rects) <= MAX_SHAPES_NODES + 1  # + the screen outline
    assert len(fig.marks("tapped")) == 1 and "not drawn" in fig.caption


@pytest.mark.parametrize(
    "dump",
    [
        '<?xml version="1.0"?><!DOCTYPE h [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<hierarchy rotation="0"><node text="&b;" bounds="[0,0][10,10]"/></hierarchy>',
        '<?xml version="1.0"?><!DOCTYPE h SYSTEM "file:///etc/passwd"><hierarchy/>',
        b"\x89PNG\r\n\x1a\n not xml at all",
        "ERROR: could not get idle state.",
        "<hierarchy rotation='0'><node bounds='[0,0][1080,2400]'><node",
        "<html><body>not a dump</body></html>",
        "",
        _dump("", width=0, height=0),
    ],
    ids=["billion-laughs", "external-dtd", "binary", "uiautomator-error", "cut", "html", "empty", "zero-size"],
)
def test_hostile_or_broken_dumps_give_no_figure(dump) -> None:
    assert wireframe_figure(dump, highlight="x", fig_id="w", title="t") is None


def test_selector_descriptions_parse_back() -> None:
    s = parse_selector('resource-id="com.x:id/a\\"b" text="同意并继续" nth=2')
    assert s is not None and (s.resource_id, s.text, s.nth) == ('com.x:id/a"b', "同意并继续", 2)
    assert parse_selector("swipe up") is None and parse_selector("nth=1") is None
    assert selector_label('content-desc="我的"') == "我的" and selector_label("swipe up") == "swipe up"


# --------------------------------------------------------------------------- screenshots and paths


def test_embed_image_refuses_what_it_should(tmp_path: Path) -> None:
    root = tmp_path / "report"
    (root / "runs" / "agree").mkdir(parents=True)
    png = root / "runs" / "agree" / "0001.png"
    png.write_bytes(PNG_MAGIC + b"\x00" * 40)
    uri, note = embed_image("runs/agree/0001.png", root=root)
    assert uri.startswith("data:image/png;base64,") and note == ""
    assert base64.b64decode(uri.split(",", 1)[1]) == png.read_bytes()

    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG_MAGIC)
    for escaping in ("../../etc/passwd", "../secret.png", str(secret), "runs/../../secret.png"):
        uri, note = embed_image(escaping, root=root)
        assert uri == "" and "outside the report's output directory" in note, escaping
    (root / "runs" / "link.png").symlink_to(secret)
    uri, note = embed_image("runs/link.png", root=root)
    assert uri == "" and "outside" in note

    (root / "runs" / "page.png").write_text("<html>not an image</html>")
    uri, note = embed_image("runs/page.png", root=root)
    assert uri == "" and "not a PNG, JPEG or WebP" in note

    (root / "runs" / "big.png").write_bytes(PNG_MAGIC + b"\x00" * MAX_IMAGE_BYTES)
    uri, note = embed_image("runs/big.png", root=root)
    assert uri == "" and "over the" in note and "1.0 MiB" in note

    uri, note = embed_image("runs/none.png", root=root)
    assert uri == "" and "missing" in note
    uri, note = embed_image("runs", root=root)
    assert uri == "" and "not a regular file" in note
    fifo = root / "runs" / "fifo.png"
    os.mkfifo(fifo)
    uri, note = embed_image("runs/fifo.png", root=root)  # must not block on the pipe
    assert uri == "" and "not a regular file" in note


def test_webp_and_jpeg_are_recognised_by_their_magic(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"RIFF\x10\x00\x00\x00WEBPVP8 ")
    (tmp_path / "b.png").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    assert embed_image("a.bin", root=tmp_path)[0].startswith("data:image/webp;base64,")
    assert embed_image("b.png", root=tmp_path)[0].startswith("data:image/jpeg;base64,")


def test_a_screen_whose_files_point_outside_is_drawn_without_them(demo, tmp_path: Path) -> None:
    bundle, out, _results, _ = demo
    run = bundle.device.runs[0]
    hostile = replace(run.screens[0], dump="../../etc/passwd", screenshot="../../../etc/passwd")
    device = replace(bundle.device, runs=(replace(run, screens=(hostile, *run.screens[1:])), *bundle.device.runs[1:]))
    ev = resolve(replace(bundle, device=device), EvidenceRef("ui_screen", "device.runs[0].screens[0]"), out)
    step = ev.ui_steps[0]
    assert step.figure is None and step.image == ""
    assert step.note.count("outside the report's output directory") == 2
    data, note = read_artifact(out, "../../etc/passwd")
    assert data is None and "outside" in note


# --------------------------------------------------------------------------- static and policy evidence


def _fixture(item: str, case: str) -> tuple[EvidenceBundle, ItemResult]:
    bundle = codec.read(CHECKS / item / f"{case}.json")
    return bundle, next(r for r in evaluate(bundle).results if r.item_id == item)


def test_startup_finding_is_a_call_chain_with_its_guard() -> None:
    bundle, result = _fixture("III.1", "fail_mixed_guards")
    refs = [r for r in result.evidence if r.kind == "startup_finding"]
    assert refs
    for ref in refs:
        ev = resolve(bundle, ref, None)
        finding = bundle.startup.findings[int(ref.ref.split("[")[1].split("]")[0])]
        assert ev.kind == "call_chain" and [s.full for s in ev.steps] == list(finding.chain)
        guard = _fact(ev, "Consent guard")
        if finding.guard is None:
            assert "no consent guard recognised" in guard
        else:
            assert "guarded" in guard and finding.guard.condition in guard
        assert _fact(ev, "Entry point")


def test_guarded_finding_shows_the_condition() -> None:
    bundle, _ = _fixture("III.1", "pass_all_guarded")
    index = next(i for i, f in enumerate(bundle.startup.findings) if f.guard is not None)
    ev = resolve(bundle, EvidenceRef("startup_finding", f"startup.findings[{index}].guard"), None)
    assert ev.kind == "call_chain" and bundle.startup.findings[index].guard.condition in _fact(ev, "Consent guard")


def test_api_call_is_a_two_step_chain() -> None:
    bundle, result = _fixture("III.9", "fail_code_reads_undeclared")
    ref = next(r for r in result.evidence if r.kind == "api_call")
    ev = resolve(bundle, ref, None)
    call = bundle.api_calls[int(ref.ref.split("[")[1].rstrip("]"))]
    assert ev.kind == "call_chain" and [s.full for s in ev.steps] == [str(call.caller), call.api]
    assert call.api_id in _fact(ev, "Target API")


def test_policy_sentence_is_quoted_verbatim() -> None:
    bundle, result = _fixture("I.1", "pass_policy_text_states_rules")
    refs = [r for r in result.evidence if r.kind == "policy_sentence"]
    assert refs
    for ref in refs:
        ev = resolve(bundle, ref, None)
        doc_i, s_i = (int(x) for x in inline._INDEX.findall(ref.ref))
        sentence = bundle.policy.documents[doc_i].sentences[s_i]
        assert ev.kind == "policy_quote" and ev.quote == sentence.text
        assert sentence.section in _fact(ev, "Section")
        assert bundle.policy.documents[doc_i].location in _fact(ev, "Document")


def test_every_reference_in_every_check_fixture_resolves_without_error() -> None:
    """Every ref the checks cite on their fixtures: never an exception, and plain only when unfollowable."""
    kinds: set[str] = set()
    for case in sorted(CHECKS.glob("*/*.json")):
        bundle = codec.read(case)
        for result in evaluate(bundle).results:
            for ref in result.evidence:
                ev = resolve(bundle, ref, None)
                kinds.add(ev.kind)
                if ev.kind == "plain":
                    assert ref.ref.startswith("policy.sentence:"), (case.name, ref)
    assert {"call_chain", "policy_quote", "sdk", "permission", "part"} <= kinds, kinds


@pytest.mark.parametrize(
    "ref",
    [
        EvidenceRef("flow", "traffic.flows[9999]", "gone"),
        EvidenceRef("pi_match", "traffic.pi_matches[-1]", "negative"),
        EvidenceRef("ui_screen", "device.runs[7].screens[0]"),
        EvidenceRef("ui_event", "device.runs[0].events[100000]"),
        EvidenceRef("policy_search", "device.runs[1].policy_search"),  # the refuse run searched nothing
        EvidenceRef("policy_sentence", "policy.documents[3].sentences[0]"),
        EvidenceRef("policy_sentence", "policy.sentence:d9.s9"),
        EvidenceRef("sdk", "sdks[50]"),
        EvidenceRef("startup_finding", "startup.findings[1000]"),
        EvidenceRef("part", "parts[99]"),
        EvidenceRef("part", "no_such_part"),
        EvidenceRef("component", "manifest.whatever[0]"),
        EvidenceRef("pi_stream", "traffic:nowhere.cn:imei"),
        EvidenceRef("mystery", "x[0].y[1]", "something new"),
        EvidenceRef("flow", "", ""),
        EvidenceRef("flow", "traffic.flows[99999999999999999999999]"),
    ],
)
def test_unresolvable_references_are_plain(demo, ref: EvidenceRef) -> None:
    bundle, out, _results, _ = demo
    ev = resolve(bundle, ref, out)
    assert ev.kind == "plain" and ev.ref == ref.ref and ev.text == ref.detail


def test_auditor_evidence_is_marked_human() -> None:
    bundle, _ = _fixture("III.1", "pass_all_guarded")
    assessed = apply_assessments(evaluate(bundle), load_assessments(ROOT / "fixtures" / "assessments" / "valid.yaml"))
    result = assessed.result("III.1")
    assert result is not None and result.source == "auditor"
    shown, more = resolve_all(bundle, result.evidence, None, limit=3)
    auditor = [e for e in shown if e.kind == "auditor"]
    assert len(auditor) == 3 and all(e.human for e in auditor)
    assert "Li Wei" in auditor[0].text and auditor[1].text == "screenshot 3 in the audit file"
    machine = [e for e in (resolve(bundle, r, None) for r in result.evidence[3:])]
    assert machine and not any(e.human for e in machine)
    assert more == f"+ {len(result.evidence) - 3} more references in verdicts.json"


def test_resolve_all_caps_and_keeps_figure_ids_unique(demo) -> None:
    bundle, out, results, _ = demo
    refs = [EvidenceRef("policy_search", "device.runs[0].policy_search")] * 2
    shown, more = resolve_all(bundle, refs, out, id_prefix="item-I-3")
    ids = [s.figure.id for e in shown for s in e.ui_steps if s.figure]
    assert len(ids) == 10 and len(set(ids)) == 10 and more == ""
    shown, more = resolve_all(bundle, results["III.1"].evidence, out)
    assert len(shown) == min(6, len(results["III.1"].evidence))
    assert more == ("" if len(results["III.1"].evidence) <= 6 else
                    f"+ {len(results['III.1'].evidence) - 6} more references in verdicts.json")  # fmt: skip


# --------------------------------------------------------------------------- Chinese


def test_every_label_table_entry_is_translated() -> None:
    tables = (
        inline.PARTY,
        inline.SCREEN_KIND,
        inline.EVENT_KIND,
        inline.UNOBSERVABLE_REASON,
        inline.DETECTOR,
        inline.HINT_LISTS,
    )  # fmt: skip  (entry, finding and usage labels belong to startup.py / sdks.py)
    labels = [v for t in tables for v in t.values()]
    labels += [v[0] for v in inline.PHASE.values()] + [v[0] for v in inline.PART_STATUS.values()]
    missing = [label for label in labels if label not in catalog()]
    assert not missing


def test_chinese_report_has_every_message_translated(demo, tmp_path: Path) -> None:
    bundle, out, results, _ = demo
    reset_untranslated()
    with language("zh"):
        for result in results.values():
            resolve_all(bundle, result.evidence, out, limit=100)
        resolve_all(bundle, results["III.1"].evidence, None, limit=1)  # the "+ N more" text
        for case in sorted(CHECKS.glob("*/*.json")):
            fixture = codec.read(case)
            for result in evaluate(fixture).results:
                resolve_all(fixture, result.evidence, None, limit=100)
        ev = resolve(bundle, EvidenceRef("policy_search", "device.runs[0].policy_search"), out)
        step = ev.ui_steps[0]
        assert step.action == "点击“我的”" and step.figure is not None and "可点击" in step.figure.description
        resolve(bundle, EvidenceRef("mystery", "x[0]"), out)
        embed_image("../../etc/passwd", root=tmp_path)
        embed_image("missing.png", root=tmp_path)
        (tmp_path / "t.txt").write_text("x")
        embed_image("t.txt", root=tmp_path)
        wireframe_figure(_dump(_node("a", "[0,0][10,10]")), highlight="zzz", fig_id="w", title="t")
    assert untranslated() == frozenset()
