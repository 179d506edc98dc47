"""The report options of `appaudit scan` as a user runs them: --lang, --pdf, and the command line in the appendix.

Every test runs ``python -m appaudit`` in a real process (as tests/test_cli.py does) and reads what it wrote.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import browser  # tests/browser.py: pytest puts tests/ on sys.path
import pytest
from test_report_view_units import Dom

from appaudit.report.i18n import catalog as translations

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
VIOLATING = APPS / "violating" / "violating.apk"
COMPLIANT = APPS / "compliant" / "compliant.apk"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run appaudit as a real process, the way a user or CI does."""
    return subprocess.run(
        [sys.executable, "-m", "appaudit", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


def bodies(dom: Dom) -> list[tuple[str, str]]:
    return [(b.attrs["lang"], b.attrs["data-lang"]) for b in dom.with_class("l10n")]


@pytest.fixture(scope="module")
def english_scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("en") / "out"
    args = ["scan", str(VIOLATING), "-o", str(out), "--lang", "en"]
    return out, args, run(*args)


def test_scan_lang_en_writes_an_english_only_report(english_scan) -> None:
    out, _args, result = english_scan
    assert result.returncode == 0, result.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    dom = Dom(page)
    (html,) = dom.root.find_all("html")
    assert html.attrs["lang"] == "en"
    assert bodies(dom) == [("en", "en")]
    assert dom.root.find_all("input") == []  # no language switch with one language
    assert 'id="item-III-1"' in page and 'id="en-item-III-1"' not in page
    overview = dom.by_id("overview").text()
    assert "Does not comply: 2 of the 31 items are violated." in overview
    assert "Violated: I.1, III.1." in overview
    assert translations()["Does this app comply?"] not in page  # no Chinese interface text
    assert "违规示例" in page  # the app's own (Chinese) label is data, shown as it is


def test_the_command_line_is_recorded_in_the_appendix(english_scan) -> None:
    out, args, result = english_scan
    assert result.returncode == 0, result.stderr
    appendix = Dom((out / "report.html").read_text(encoding="utf-8")).by_id("appendix")
    command = "appaudit " + shlex.join(args)
    assert command in appendix.text()
    text = appendix.text()
    assert "evidence.json" in text and "verdicts.json" in text and "report.html" not in text


def test_scan_lang_zh_writes_a_chinese_only_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("-q", "scan", str(VIOLATING), "-o", str(out), "--lang", "zh")
    assert result.returncode == 0, result.stderr
    dom = Dom((out / "report.html").read_text(encoding="utf-8"))
    assert bodies(dom) == [("zh-CN", "zh")]
    assert translations()["Does this app comply?"] in dom.by_id("overview").text()
    assert "Does this app comply?" not in dom.by_id("overview").text()


@pytest.mark.browser
def test_scan_pdf_writes_a_pdf_beside_the_report(tmp_path: Path) -> None:
    chromium = browser.require_chromium()
    out = tmp_path / "out"
    result = run("-q", "scan", str(COMPLIANT), "-o", str(out), "--pdf", env={"APPAUDIT_CHROMIUM": chromium})
    assert result.returncode == 0, result.stderr
    pdf = (out / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1024
    assert pdf.rstrip().endswith(b"%%EOF")
    assert sorted(p.name for p in out.iterdir()) == ["evidence.json", "report.html", "report.pdf", "verdicts.json"]


def test_pdf_with_no_html_is_a_usage_error_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("scan", str(COMPLIANT), "-o", str(out), "--pdf", "--no-html")
    assert result.returncode == 2
    assert "--pdf renders report.html: it cannot be combined with --no-html" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()  # refused before scanning: nothing written


def test_pdf_without_chromium_exits_2_and_keeps_the_other_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("scan", str(COMPLIANT), "-o", str(out), "--pdf", env={"APPAUDIT_CHROMIUM": "/nonexistent"})
    assert result.returncode == 2, result.stderr
    assert "no Chromium found" in result.stderr and "APPAUDIT_CHROMIUM='/nonexistent'" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["evidence.json", "report.html", "verdicts.json"]
    dom = Dom((out / "report.html").read_text(encoding="utf-8"))
    assert bodies(dom) == [("zh-CN", "zh"), ("en", "en")]  # the default: both languages
    assert "--pdf" in dom.by_id("en-appendix").text()
