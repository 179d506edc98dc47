"""Printing the report to PDF: finding Chromium, the flags it gets, and every way printing can fail.

The failure paths run a tiny fake "browser" (a shell script in tmp_path): they test our process
handling, not Chromium. One test prints a real report with the system Chromium.
"""

from __future__ import annotations

import html as html_lib
import os
import re
import stat
import time
from pathlib import Path

import browser  # tests/browser.py
import pytest
from click.testing import CliRunner

from appaudit.cli import main
from appaudit.errors import ExitCode, InputError
from appaudit.report.pdf import BROWSER_ENV, BrowserNotFoundError, PdfError, find_browser, render_pdf

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"

FAKE_PDF = "%PDF-1.4\n% fake\n" + "0" * 4096 + "\n%%EOF\n"
WRITES_A_PDF = 'cp "$(dirname "$0")/fake.pdf" "$out"'


def fake_browser(tmp_path: Path, body: str, name: str = "fake-chromium") -> Path:
    """A shell script standing in for Chromium; ``$out`` is the --print-to-pdf path it was given."""
    script = tmp_path / name
    (tmp_path / "fake.pdf").write_text(FAKE_PDF, encoding="ascii")
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{tmp_path}/args.txt"\n'
        'out=""\nfor a in "$@"; do case "$a" in --print-to-pdf=*) out="${a#--print-to-pdf=}";; esac; done\n'
        f"{body}\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
def report_html(tmp_path: Path) -> Path:
    page = tmp_path / "report.html"
    page.write_text("<!DOCTYPE html><title>r</title><p>report</p>", encoding="utf-8")
    return page


def recorded_args(tmp_path: Path) -> list[str]:
    return (tmp_path / "args.txt").read_text(encoding="utf-8").splitlines()


# --------------------------------------------------------------------------- finding the browser


def test_find_browser_takes_the_first_candidate_on_path(tmp_path, monkeypatch):
    monkeypatch.delenv(BROWSER_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_browser() is None
    stable = fake_browser(tmp_path, "exit 0", name="google-chrome-stable")
    assert find_browser() == str(stable)
    chromium = fake_browser(tmp_path, "exit 0", name="chromium")
    assert find_browser() == str(chromium)


def test_the_environment_override_wins_and_is_never_silently_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    fake_browser(tmp_path, "exit 0", name="chromium")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    custom = fake_browser(elsewhere, "exit 0", name="my-chrome")
    monkeypatch.setenv(BROWSER_ENV, str(custom))
    assert find_browser() == str(custom)
    monkeypatch.setenv(BROWSER_ENV, str(tmp_path / "missing-chrome"))
    assert find_browser() is None  # a wrong setting is an error, not a fallback to PATH


def test_no_browser_is_a_clear_input_error(tmp_path, monkeypatch, report_html):
    monkeypatch.delenv(BROWSER_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PdfError) as caught:
        render_pdf(report_html, tmp_path / "report.pdf")
    assert isinstance(caught.value, BrowserNotFoundError)
    assert caught.value.exit_code == ExitCode.INPUT_ERROR
    assert str(caught.value) == "no Chromium found: install Debian's chromium, or set APPAUDIT_CHROMIUM"
    assert not (tmp_path / "report.pdf").exists()


def test_a_wrong_override_names_the_variable(tmp_path, monkeypatch, report_html):
    monkeypatch.setenv(BROWSER_ENV, "/nonexistent/chromium")
    with pytest.raises(BrowserNotFoundError, match="APPAUDIT_CHROMIUM='/nonexistent/chromium' is not an executable"):
        render_pdf(report_html, tmp_path / "report.pdf")
    with pytest.raises(BrowserNotFoundError, match="'/nonexistent/other' is not an executable"):
        render_pdf(report_html, tmp_path / "report.pdf", browser="/nonexistent/other")


def test_render_failures_are_internal_errors():
    assert PdfError("x").exit_code == ExitCode.INTERNAL_ERROR


def test_missing_html_is_an_input_error(tmp_path):
    chrome = fake_browser(tmp_path, WRITES_A_PDF)
    with pytest.raises(InputError, match="no such file"):
        render_pdf(tmp_path / "nope.html", tmp_path / "report.pdf", browser=str(chrome))


# --------------------------------------------------------------------------- the command line we run


def test_chromium_gets_a_fresh_profile_no_network_and_the_file_url(tmp_path, report_html):
    chrome = fake_browser(tmp_path, WRITES_A_PDF)
    out_dir = tmp_path / "out dir"  # a space, and a directory that does not exist yet
    render_pdf(report_html, out_dir / "report.pdf", browser=str(chrome))
    assert (out_dir / "report.pdf").read_text() == FAKE_PDF
    assert os.listdir(out_dir) == ["report.pdf"], "the temporary file was left behind"
    args = recorded_args(tmp_path)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-pdf-header-footer",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ):
        assert flag in args, flag
    assert args[-1] == report_html.resolve().as_uri()
    profile = next(a.split("=", 1)[1] for a in args if a.startswith("--user-data-dir="))
    assert not Path(profile).exists(), "the throw-away profile was not removed"
    target = Path(next(a.split("=", 1)[1] for a in args if a.startswith("--print-to-pdf=")))
    assert target.parent == out_dir and target.name != "report.pdf", "must print to a temporary name first"


def test_the_pdf_is_readable_like_any_file_the_user_writes(tmp_path, report_html):
    """mkstemp's private 0600 must not survive: the PDF is handed to a client like the HTML."""
    chrome = fake_browser(tmp_path, WRITES_A_PDF)
    old = os.umask(0o022)
    try:
        render_pdf(report_html, tmp_path / "report.pdf", browser=str(chrome))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.pdf").stat().st_mode) == 0o644


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("printf '<html>not a pdf</html>%01000d' 0 > \"$out\"", "not a PDF"),
        (': > "$out"', "wrote no PDF"),
        ('rm -f "$out"', "wrote no PDF"),
        ("printf '%%PDF-1.4\\n' > \"$out\"", "only 9 bytes"),
        ("echo 'FATAL: cannot open display' >&2; exit 7", "status 7 while printing: FATAL: cannot open display"),
    ],
    ids=["html-instead-of-pdf", "empty", "no-file", "tiny", "crash"],
)
def test_a_bad_result_is_an_error_and_keeps_the_previous_pdf(tmp_path, report_html, body, message):
    chrome = fake_browser(tmp_path, body)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "report.pdf").write_text("previous", encoding="utf-8")
    with pytest.raises(PdfError, match=re.escape(message)):
        render_pdf(report_html, out_dir / "report.pdf", browser=str(chrome))
    assert (out_dir / "report.pdf").read_text() == "previous"
    assert os.listdir(out_dir) == ["report.pdf"]


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")  # a zombie has exited; its new parent reaps it


def test_a_hung_browser_is_killed_with_its_children(tmp_path, report_html):
    body = f'echo $$ > "{tmp_path}/browser.pid"\nsleep 300 &\necho $! > "{tmp_path}/child.pid"\nwait'
    chrome = fake_browser(tmp_path, body)
    started = time.monotonic()
    with pytest.raises(PdfError, match="did not finish printing the report within 1 s"):
        render_pdf(report_html, tmp_path / "report.pdf", browser=str(chrome), timeout=1)
    assert time.monotonic() - started < 30
    pids = [int((tmp_path / f"{name}.pid").read_text()) for name in ("browser", "child")]
    deadline = time.monotonic() + 5
    while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in pids), f"still running: {[p for p in pids if not _gone(p)]}"
    assert not (tmp_path / "report.pdf").exists()
    assert not list(tmp_path.glob(".report.pdf.*"))


# --------------------------------------------------------------------------- real Chromium


def _pdf_strings(data: bytes, key: bytes) -> list[str]:
    """Every ``/<key>`` string value in the PDF: hex (UTF-16 with a BOM, as Chromium writes) or literal."""
    values = []
    for hexa, literal in re.findall(rb"/" + key + rb"\s*(?:<([0-9A-Fa-f\s]*)>|\(((?:\\.|[^\\)])*)\))", data):
        if hexa:
            raw = bytes.fromhex(hexa.decode("ascii"))
            values.append(raw[2:].decode("utf-16-be") if raw[:2] == b"\xfe\xff" else raw.decode("latin-1"))
        else:
            text = re.sub(rb"\\([()\\])", rb"\1", literal)
            values.append(text.decode("latin-1"))
    return values


@pytest.fixture(scope="module")
def compliant_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("compliant") / "out"
    result = CliRunner().invoke(main, ["-q", "scan", str(APPS / "compliant" / "compliant.apk"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out / "report.html"


@pytest.mark.browser
def test_chromium_prints_the_report(compliant_report, tmp_path):
    chromium = browser.require_chromium()
    pdf = tmp_path / "report.pdf"
    render_pdf(compliant_report, pdf, browser=chromium)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data))
    assert pages >= 2, pages
    # Text checks without a PDF library: the document title and the bookmarks from the headings.
    html = compliant_report.read_text(encoding="utf-8")
    title = html_lib.unescape(re.search(r"<title>(.*?)</title>", html, re.S).group(1)).strip()
    titles = _pdf_strings(data, b"Title")
    assert title in titles, titles[:5]
    headings = {
        " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", h)).split())
        for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html, re.S)
    }
    bookmarks = {" ".join(t.split()) for t in titles}
    assert headings & bookmarks, (sorted(headings)[:5], sorted(bookmarks)[:5])
    assert os.listdir(tmp_path) == ["report.pdf"]
