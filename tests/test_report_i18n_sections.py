"""The report's evidence sections in Chinese: every message translated, evidence values left as they are."""

from __future__ import annotations

import ast
import dataclasses
import string
from importlib import resources
from pathlib import Path

import pytest
import yaml

from appaudit.evidence import codec
from appaudit.evidence.model import EvidenceBundle, PartError, PartStatus, Status
from appaudit.pipeline import scan_apk
from appaudit.report.i18n import catalog, language, reset_untranslated, tr, untranslated
from appaudit.report.view import (
    api_calls,
    availability,
    cells,
    device,
    header,
    manifest,
    policy,
    policy_text,
    scope,
    startup,
    tables,
    traffic,
)
from appaudit.report.view.cells import NA
from appaudit.report.view.model import Section

SECTION_MODULES = (
    api_calls,
    availability,
    device,
    header,
    manifest,
    policy,
    policy_text,
    scope,
    startup,
    traffic,
)
ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "fixtures" / "apps"
CHECKS = ROOT / "fixtures" / "checks"
# Cases with every kind of dynamic evidence: device runs, captured traffic, policy text, unobservable hosts.
DYNAMIC_CASES = (
    "III.9/fail_traffic_sends_undeclared",
    "III.9/inconclusive_unobservable_host",
    "V.1/inconclusive_pinned_vendor",
    "III.1/inconclusive_opaque_before_consent",
    "I.3/pass_policy_at_3",
    "I.3/inconclusive_budget_exhausted",
    "IV.4/inconclusive_short_capture",
    "VI.5/pass_channel_15_working_days",
    "II.1/fail_embedded_sdk_missing",
    "III.1/inconclusive_budget_exhausted",
    "III.1/not_assessed_startup_failed",
    "I.1/not_assessed_part_failed",
    "I.1/inconclusive_partial_scan",
)


def _sections(bundle: EvidenceBundle, max_rows: int = 200) -> list[Section]:
    """Every section built by the modules this test covers (header and summary aside)."""
    built = [
        scope.scope_section(bundle, verdicts_included=False),
        scope.scope_section(bundle, verdicts_included=True),
        device.device_section(bundle, max_rows),
        traffic.traffic_section(bundle, max_rows),
        policy_text.policy_text_section(bundle, max_rows),
        startup.startup_section(bundle, max_rows),
        api_calls.api_calls_section(bundle, max_rows),
        manifest.components_section(bundle, max_rows),
        manifest.network_security_section(bundle),
        manifest.package_visibility_section(bundle),
        policy.policy_section(bundle, max_rows),
    ]
    return built


def _build(bundle: EvidenceBundle, max_rows: int = 200) -> str:
    """Everything the covered modules show for ``bundle``, as one repr (in the current language)."""
    sections = _sections(bundle, max_rows)
    shown = [header.build_header(bundle), *sections]
    return repr(shown)


def _variants(bundle: EvidenceBundle) -> list[EvidenceBundle]:
    """The bundle, and versions of it that reach the rarer branches (failed, partial, missing, split)."""
    out = [bundle, dataclasses.replace(bundle, parts=())]
    errors = (PartError("classes2.dex", "truncated"), PartError("classes3.dex", "bad magic"))
    for status in (Status.FAILED, Status.SKIPPED, Status.PARTIAL):
        parts = tuple(
            dataclasses.replace(p, status=status, errors=errors, note="Something went wrong.")
            if p.name in ("dex", "manifest", "identity", "traffic", "device", "policy")
            else p
            for p in bundle.parts
        )
        out.append(dataclasses.replace(bundle, parts=parts))
    one_error = tuple(
        dataclasses.replace(p, status=Status.PARTIAL, errors=errors[:1]) if p.name == "dex" else p for p in bundle.parts
    )
    out.append(dataclasses.replace(bundle, parts=one_error))
    # a step that reported ok but left no data, and an unknown extra step
    extra = (*bundle.parts, PartStatus("future_step", Status.OK, 0.5))
    out.append(dataclasses.replace(bundle, parts=extra, manifest=None, startup=None, device=None, traffic=None))
    if bundle.app is not None:
        out.append(dataclasses.replace(bundle, app=dataclasses.replace(bundle.app, split_name="config.arm64_v8a")))
        out.append(
            dataclasses.replace(
                bundle,
                app=dataclasses.replace(
                    bundle.app,
                    is_split_base=True,
                    label="",
                    version_name="",
                    native_abis=("arm64-v8a",),
                    signing=dataclasses.replace(bundle.app.signing, certificates=(), schemes=(), verified=False),
                ),
            )
        )
        out.append(dataclasses.replace(bundle, app=None, archive_anomalies=("duplicate entry: " + "x" * 500,)))
    many_errors = tuple(PartError(f"classes{i}.dex", "truncated") for i in range(25))
    parts = tuple(dataclasses.replace(p, errors=many_errors) if p.name == "dex" else p for p in bundle.parts)
    out.append(dataclasses.replace(bundle, parts=parts))
    if bundle.startup is not None and bundle.startup.findings:
        # more findings than cards: the rest are summarised in a table
        template = bundle.startup.findings[0]
        many = tuple(
            dataclasses.replace(
                template, chain=(*template.chain[:-1], f"Lcom/x/Caller{i};->read()V", template.chain[-1])
            )
            for i in range(startup.MAX_FINDING_CARDS + 10)
        )
        more = dataclasses.replace(bundle.startup, findings=bundle.startup.findings + many)
        out.append(dataclasses.replace(bundle, startup=more))
    return out


@pytest.fixture(scope="module")
def scanned() -> dict[str, EvidenceBundle]:
    return {name: scan_apk(APPS / name / f"{name}.apk").bundle for name in ("compliant", "violating")}


@pytest.fixture(scope="module")
def dynamic() -> dict[str, EvidenceBundle]:
    return {case: codec.read(CHECKS / f"{case}.json") for case in DYNAMIC_CASES}


def test_every_message_of_the_sections_is_translated(scanned, dynamic) -> None:
    reset_untranslated()
    with language("zh"):
        for bundle in [*scanned.values(), *dynamic.values()]:
            for variant in _variants(bundle):
                _build(variant)
                _build(variant, max_rows=1)  # the "… and N more not shown" sentence
    assert not untranslated(), sorted(untranslated())


def test_the_english_labels_kept_as_constants_are_all_translated() -> None:
    """Labels looked up at build time from module constants: each one, not only those a fixture reaches."""
    ids: list[str] = [NA]
    ids += availability.PART_LABELS.values()
    ids += availability.STATUS_WORDS.values()
    ids += [text for pair in scope.NOT_ASSESSED for text in pair]
    ids += [shown[0] for shown in scope._STATUS_SHOWN.values()]
    ids += header._IDENTITY_LABELS
    ids += startup.ENTRY_KIND_LABELS.values()
    ids += startup.FINDING_KIND_LABELS.values()
    ids += api_calls._API_COLUMNS + api_calls._SITE_COLUMNS
    ids += manifest.EXPORTED_REASON_LABELS.values()
    ids += manifest._COMPONENT_COLUMNS + manifest._PROVIDER_COLUMNS
    ids += policy._DOCUMENT_COLUMNS + policy._HINT_COLUMNS
    ids += [label for label, _css in device.KEY_EVENTS.values()]
    ids += device.CONTROL_LABELS.values()
    ids += device.RUN_KIND_LABELS.values()
    for words in (traffic.PARTY_LABELS, traffic._REASONS, traffic._PHASES, traffic._CONFIDENCE):
        ids += words.values()
    for words in (policy_text._CONTACT_KINDS, policy_text._UNITS, policy_text._APPLIES_TO, policy_text._RIGHTS):
        ids += words.values()
    missing = sorted(i for i in ids if i not in catalog())
    assert not missing


def _literal_msgids() -> set[str]:
    """Every ``tr("...")`` message id written in the covered modules, whether or not a fixture reaches it."""
    found: set[str] = set()
    for module in (*SECTION_MODULES, cells, tables):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(first.value)
            # ``tr(c) for c in ("Column", ...)``
            if isinstance(node, ast.GeneratorExp) and getattr(getattr(node.elt, "func", None), "id", None) == "tr":
                source = node.generators[0].iter
                if isinstance(source, ast.Tuple):
                    found |= {e.value for e in source.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return found


def test_every_literal_message_id_is_translated() -> None:
    ids = _literal_msgids()
    assert len(ids) > 250  # the scan found the tr() calls
    assert not sorted(i for i in ids if i not in catalog())


def test_chinese_headings_and_evidence_values(scanned, dynamic) -> None:
    bundle = scanned["violating"]
    with language("zh"):
        sections = {s.id: s for s in _sections(bundle)}
        head = header.build_header(bundle)
    assert sections["scope"].title == "评估范围与未验证事项"
    assert sections["startup"].title == "启动时：征得同意前可达的调用"
    assert sections["api-calls"].title == "敏感 API 调用点"
    assert sections["components"].tables[0].title == "已导出的组件"
    assert [c.label for c in sections["scope"].tables[0].columns] == ["环节", "状态", "时间", "说明与错误"]
    facts = {f.label: f.value for f in head.facts}
    assert facts["包名"].text == bundle.app.package  # the package name, verbatim
    assert facts["APK SHA-256"].text == bundle.app.apk_sha256
    assert head.subtitle == bundle.app.package
    # start-up findings: the target and the smali chain are evidence, shown as recorded
    findings = sections["startup"].findings.findings
    assert findings
    for view, finding in zip(findings, sorted(bundle.startup.findings, key=startup._finding_key), strict=False):
        assert view.full_chain == "\n→ ".join(finding.chain)
    assert {v.target for v in findings} <= {f.target for f in bundle.startup.findings}
    guard_badges = {v.guard_badge.text for v in findings}
    assert guard_badges <= {"已识别到同意检查", "未识别到同意检查"}
    # API call sites: API ids and PI type ids untranslated
    api_table = sections["api-calls"].tables[0]
    assert {r.cells[0].text for r in api_table.rows} == {c.api_id for c in bundle.api_calls}
    assert {chip for r in api_table.rows for chip in r.cells[1].chips} == {
        t for c in bundle.api_calls for t in c.pi_types
    }

    case = dynamic["III.9/fail_traffic_sends_undeclared"]
    with language("zh"):
        zh = {s.id: s for s in _sections(case)}
    with language("en"):
        en = {s.id: s for s in _sections(case)}
    assert zh["traffic"].title == "流量抓包"
    assert zh["device"].title == "设备运行"
    assert zh["policy-text"].title == "隐私政策文本"
    # hosts, domains, PI type ids and quoted policy sentences are the same in both languages
    for sid in ("traffic", "policy-text", "device"):
        for t_zh, t_en in zip(zh[sid].tables, en[sid].tables, strict=True):
            for r_zh, r_en in zip(t_zh.rows, t_en.rows, strict=True):
                for c_zh, c_en in zip(r_zh.cells, r_en.cells, strict=True):
                    assert c_zh.items == c_en.items
                    assert c_zh.chips == c_en.chips
                    if c_en.mono and c_en.text not in catalog():  # "as sent" is ours, the encodings are not
                        assert c_zh.text == c_en.text
                    if c_en.text.startswith("“"):  # a quoted policy sentence
                        assert c_zh.text == c_en.text
    receivers = zh["traffic"].tables[0]
    assert {d for r in receivers.rows for d in r.cells[2].items} == {d for v in case.traffic.vendors for d in v.domains}


def test_english_is_the_default_and_chinese_differs(scanned) -> None:
    bundle = scanned["compliant"]
    with language("en"):
        en = _build(bundle)
    assert _build(bundle) == en  # outside a language block the report is English
    with language("zh"):
        zh = _build(bundle)
    assert zh != en
    assert "Scope and what was not validated" in en and "评估范围与未验证事项" not in en


def test_sentences_are_joined_the_chinese_way() -> None:
    bundle = codec.read(CHECKS / "I.1" / "not_assessed_part_failed.json")
    errors = (PartError("classes2.dex", "truncated"), PartError("classes3.dex", "bad magic"))
    failed = PartStatus("dex", Status.FAILED, 1.0, errors)
    noted = dataclasses.replace(failed, note="Could not parse classes2.dex.")
    with language("zh"):
        plain = availability.part_availability(dataclasses.replace(bundle, parts=(failed,)), "dex")
        with_note = availability.part_availability(dataclasses.replace(bundle, parts=(noted,)), "dex")
    assert plain.label == "失败——未评估"
    assert plain.message == "“DEX 字节码”环节失败（2 个错误）。本节内容均未评估。这并非“未发现”的结论。"
    # the collector's own note stays English, set off by spaces
    assert with_note.message == (
        "“DEX 字节码”环节失败（2 个错误）。 Could not parse classes2.dex. 本节内容均未评估。这并非“未发现”的结论。"
    )
    with language("en"):
        english = availability.part_availability(dataclasses.replace(bundle, parts=(noted,)), "dex")
    assert english.message == (
        "The “DEX bytecode” step failed (2 errors). Could not parse classes2.dex. Nothing here was assessed. "
        "This is not a “none found” result."
    )


# --------------------------------------------------------------------------- the translation file


def _sections_yaml() -> dict[str, str]:
    text = resources.files("appaudit").joinpath("data", "report_i18n", "sections.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict) and data
    return data


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_translations_keep_their_placeholders() -> None:
    for msgid, text in _sections_yaml().items():
        assert isinstance(text, str) and text.strip(), msgid
        assert _placeholders(text) == _placeholders(msgid), msgid
        values = dict.fromkeys(_placeholders(msgid), "X")
        text.format(**values)  # no stray braces


def test_the_catalog_loads_with_the_sections_file() -> None:
    catalog.cache_clear()
    merged = catalog()
    for msgid, text in _sections_yaml().items():
        assert merged[msgid] == text
    with language("zh"):
        assert tr("Scope and what was not validated") == "评估范围与未验证事项"
        assert tr("{n} error", n=3) == "3 个错误"
