"""Gold files for the report's HTML structure: every element, its id, classes and data attributes.

Text is left out (wording and translations change for good reasons) and so are volatile values
(times, durations, versions, the catalog's digest). What is kept is what a reviewer would notice
breaking: sections, the 31 item articles and their verdicts, figure marks, table shapes, landmarks.

When a change to the structure is intended, regenerate and review the diff:

    APPAUDIT_UPDATE_GOLD=1 ./dev test tests/test_report_gold.py
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from appaudit.checker.run import evaluate
from appaudit.evidence import codec
from appaudit.pipeline import scan_apk
from appaudit.report.html import render_html

ROOT = Path(__file__).resolve().parents[1]
GOLD = Path(__file__).resolve().parent / "data" / "gold"
KEPT_ATTRIBUTES = ("id", "class", "lang", "role", "href", "for", "type", "name", "checked", "aria-labelledby")
# Attribute values that change from run to run, or with unrelated edits, replaced by a placeholder.
_VOLATILE = (
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?"), "<TIME>"),
    (re.compile(r"\d+\.\d+\.\d+\b"), "<VERSION>"),
)


class _Outline(HTMLParser):
    """One line per element: depth, tag, and the kept attributes; <style> and text are skipped."""

    VOID = frozenset({"meta", "link", "img", "input", "br", "hr", "col", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kept = []
        for name, value in attrs:
            if name in KEPT_ATTRIBUTES or name.startswith("data-"):
                text = value or ""
                for pattern, placeholder in _VOLATILE:
                    text = pattern.sub(placeholder, text)
                kept.append(f'{name}="{text}"')
            elif name == "src":
                kept.append('src="' + (value or "")[:22] + '…"')  # the data: URI's type, not its bytes
        self.lines.append("  " * self.depth + " ".join([tag, *kept]))
        if tag not in self.VOID:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID:
            self.depth = max(0, self.depth - 1)


def outline(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", "<style></style>", html, flags=re.S)
    parser = _Outline()
    parser.feed(html)
    return "\n".join(parser.lines) + "\n"


def _static_compliant() -> str:
    bundle = scan_apk(ROOT / "fixtures" / "apps" / "compliant" / "compliant.apk").bundle
    return render_html(bundle, generated_by="appaudit (gold)", check=evaluate(bundle))


def _dynamic_case() -> str:
    bundle = codec.read(ROOT / "fixtures" / "checks" / "III.1" / "fail_traffic_1ms_before_consent.json")
    return render_html(bundle, generated_by="appaudit (gold)", check=evaluate(bundle))


CASES = {"static-compliant": _static_compliant, "dynamic-pre-consent": _dynamic_case}


@pytest.mark.parametrize("name", list(CASES))
def test_report_structure_matches_the_gold_file(name: str) -> None:
    got = outline(CASES[name]())
    gold = GOLD / f"report-{name}.txt"
    if os.environ.get("APPAUDIT_UPDATE_GOLD") == "1":
        gold.write_text(got, encoding="utf-8")
    assert gold.exists(), f"no gold file {gold.name}: run with APPAUDIT_UPDATE_GOLD=1 and review it"
    expected = gold.read_text(encoding="utf-8")
    if got != expected:
        import difflib

        diff = "".join(
            list(difflib.unified_diff(expected.splitlines(True), got.splitlines(True), "gold", "now", n=2))[:80]
        )
        pytest.fail(f"the report's structure changed ({gold.name}); if intended, regenerate it:\n{diff}")


def test_outline_keeps_structure_and_drops_volatile_values() -> None:
    html = (
        '<html lang="en"><head><style>a > b {}</style></head><body><p id="x" class="c" title="t">hi'
        '<img src="data:image/png;base64,AAAA" alt="a"><span data-at="2026-11-23T01:02:03Z v1.2.3"></span></p>'
    )
    assert outline(html) == (
        'html lang="en"\n  head\n    style\n  body\n    p id="x" class="c"\n'
        '      img src="data:image/png;base64,…"\n      span data-at="<TIME> v<VERSION>"\n'
    )


def test_gold_files_cover_the_report_landmarks() -> None:
    """The gold files themselves must contain what they are meant to protect (a gold file can rot)."""
    text = (GOLD / "report-dynamic-pre-consent.txt").read_text(encoding="utf-8")
    assert text.count('article class="item v-') == 62  # 31 items in each language
    assert 'data-item="III.1" data-verdict="violation"' in text
    assert 'data-mark="pi"' in text and 'data-mark="consent"' in text
    for landmark in ('header class="report-header"', 'nav class="toc"', "main id=", "footer"):
        assert text.count(f" {landmark}") == 2, landmark  # once per language
