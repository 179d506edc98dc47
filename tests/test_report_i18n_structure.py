"""The report's structure in Chinese: overview, items, baseline, appendix, page chrome and the SDK/permission/endpoint
tables. Every message these modules can show has a translation, and the translations keep their placeholders."""

from __future__ import annotations

import ast
import functools
import importlib
import string
from importlib import resources
from pathlib import Path

import pytest
import yaml

from appaudit.checker.model import CheckResult
from appaudit.checker.run import evaluate
from appaudit.checker.score import FORMULA
from appaudit.checks.catalog import load_catalog
from appaudit.evidence.model import EvidenceBundle
from appaudit.pipeline import scan_apk
from appaudit.report import i18n
from appaudit.report.html import render_html

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "fixtures" / "apps"
VIEW = "appaudit.report.view"
MODULES = ("overview", "items", "baseline", "appendix", "build", "verdicts", "sdks", "permissions", "endpoints")
# Module-level constants whose English texts are passed through tr() where they are used.
# A dict contributes its values; a tuple its strings; a (label, css, ...) tuple its label.
CONSTANTS = {
    "build": ("TEMPLATE_LABELS",),
    "verdicts": ("_SHOWN", "CONFIDENCE_LABELS", "LEVEL_LABELS", "SOURCE_LABELS"),
    "overview": ("_STATE_BADGES",),
    "baseline": ("_KIND_LABELS", "_DYNAMIC_PARTS"),
    "sdks": ("_COLUMNS", "_USAGE"),
    "permissions": ("_COLUMNS",),
    "endpoints": ("_COLUMNS", "PARTY_LABELS"),
}
OWN_FILES = ("report.yaml", "items.yaml")


def _string(node: ast.expr) -> str | None:
    """A str constant (implicitly concatenated literals are already one constant in the AST)."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _literal_msgids(tree: ast.AST) -> set[str]:
    """The first positional argument of every ``tr(...)`` call that is a string literal."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr" and node.args:
            text = _string(node.args[0])
            if text is not None:
                found.add(text)
    return found


def _comprehension_msgids(tree: ast.AST) -> set[str]:
    """``tr(x) for ..., x in (("a", "b"), ...)``: the strings bound to ``x`` by a literal tuple being iterated."""
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)):
            continue
        translated = {
            call.args[0].id
            for call in ast.walk(node)
            if isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "tr"
            and call.args
            and isinstance(call.args[0], ast.Name)
        }
        for gen in node.generators:
            if not isinstance(gen.iter, (ast.Tuple, ast.List)):
                continue
            for element in gen.iter.elts:
                if isinstance(gen.target, ast.Tuple) and isinstance(element, (ast.Tuple, ast.List)):
                    bound = list(zip(gen.target.elts, element.elts, strict=False))
                else:
                    bound = [(gen.target, element)]
                for target, value in bound:
                    text = _string(value)
                    if isinstance(target, ast.Name) and target.id in translated and text is not None:
                        found.add(text)
    return found


def _constant_msgids(value: object) -> set[str]:
    items = value.values() if isinstance(value, dict) else value
    found = set()
    for item in items:
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, tuple) and item and isinstance(item[0], str):
            found.add(item[0])
    return found


@functools.cache
def structure_msgids() -> dict[str, str]:
    """Every message id the covered modules can show -> where it comes from."""
    found: dict[str, str] = {}
    for name in MODULES:
        module = importlib.import_module(f"{VIEW}.{name}")
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for msgid in sorted(_literal_msgids(tree) | _comprehension_msgids(tree)):
            found.setdefault(msgid, f"{name}.py")
        for constant in CONSTANTS.get(name, ()):
            for msgid in sorted(_constant_msgids(getattr(module, constant))):
                found.setdefault(msgid, f"{name}.{constant}")
    found.setdefault(FORMULA, "checker/score.py FORMULA")
    for item in load_catalog().items:
        found.setdefault(item.title_en, f"catalog {item.id} title_en")
    return found


def test_extraction_finds_the_known_kinds_of_message():
    found = structure_msgids()
    assert "Skip to content" in found  # TEMPLATE_LABELS
    assert "needs review" in found  # _SHOWN
    assert "Third-party SDK" in found  # PARTY_LABELS
    assert "policy text" in found  # the comprehension in build._report_kind
    assert FORMULA in found
    assert len(found) > 150


def test_every_structure_message_is_translated():
    translations = i18n.catalog()
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in structure_msgids().items() if msgid not in translations)
    assert not missing, "untranslated message ids:\n" + "\n".join(missing)


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.mark.parametrize("filename", OWN_FILES)
def test_translations_keep_their_placeholders(filename):
    text = resources.files("appaudit").joinpath("data", "report_i18n", filename).read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    assert data, filename
    wrong = [
        f"{msgid!r}: {sorted(_placeholders(msgid))} != {sorted(_placeholders(zh))}"
        for msgid, zh in data.items()
        if _placeholders(msgid) != _placeholders(zh)
    ]
    assert not wrong, f"{filename}: placeholders differ:\n" + "\n".join(wrong)


def test_every_structure_message_has_chinese_text():
    translations = i18n.catalog()
    same = [m for m in structure_msgids() if m in translations and not translations[m].strip()]
    assert not same, same


@functools.cache
def _scanned(app: str) -> tuple[EvidenceBundle, CheckResult]:
    bundle = scan_apk(APPS / app / f"{app}.apk").bundle
    return bundle, evaluate(bundle)


@pytest.mark.parametrize("app", ("violating", "compliant"))
@pytest.mark.parametrize("with_check", (True, False), ids=("checked", "evidence-only"))
def test_demo_report_in_chinese_has_no_untranslated_message(app, with_check):
    bundle, result = _scanned(app)
    i18n.reset_untranslated()
    html = render_html(bundle, generated_by="t", check=result if with_check else None, lang="zh")
    missing = sorted(i18n.untranslated())
    assert not missing, f"{len(missing)} untranslated message(s):\n" + "\n".join(repr(m) for m in missing)
    assert 'lang="zh-CN"' in html


def test_the_checks_fixed_needs_lines_are_translated() -> None:
    """Every fixed ``needs`` line the checks can give (the module constants and their fixed variants)."""
    from appaudit.checks import logic
    from appaudit.report.i18n import language, tr_known

    fixed = [logic.TRAFFIC, logic.DEVICE, logic.REFUSE_RUN, logic.POLICY, logic.AUDITOR, logic.BASELINE, logic.UPGRADE]
    with language("zh"):
        for line in fixed:
            assert tr_known(line) != line, line
        assert tr_known("a static scan with a working startup part") == "a static scan with a working startup part"
    with language("en"):
        assert tr_known(logic.TRAFFIC) == logic.TRAFFIC
