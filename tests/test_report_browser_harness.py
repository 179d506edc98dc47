"""The Playwright harness catches what a report must never do: run script, open dialogs, fetch.

Controls for the report's browser tests: each page here misbehaves on purpose (no CSP), and the
harness has to notice.
"""

from __future__ import annotations

import asyncio

import browser  # tests/browser.py
import pytest

GIF_1PX = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="


def page_file(tmp_path, body: str, name: str = "page.html"):
    path = tmp_path / name
    path.write_text(f'<!DOCTYPE html><html lang="en"><meta charset="utf-8"><title>t</title>{body}', encoding="utf-8")
    return path


@pytest.mark.browser
def test_script_console_error_and_alert_are_recorded(open_page, tmp_path):
    page = page_file(tmp_path, '<p>hi</p><script>console.error("from the page"); alert("label")</script>')
    session = open_page(page)
    assert "from the page" in session.console_errors
    assert session.dialogs == [browser.RecordedDialog("alert", "label")]
    assert session.page.text_content("p") == "hi"  # the dialog was dismissed and the page went on
    assert session.problems()
    with pytest.raises(AssertionError, match="dialog \\(alert\\): label"):
        session.assert_clean()


@pytest.mark.browser
def test_remote_image_is_blocked_and_recorded(open_page, tmp_path):
    session = open_page(page_file(tmp_path, '<img src="http://example.invalid/x.png" alt="x">'))
    assert session.blocked_requests == ["http://example.invalid/x.png"]


@pytest.mark.browser
def test_every_other_way_out_is_recorded(open_page, tmp_path):
    script = (
        'console.warn("careful");'
        'new WebSocket("wss://ws.example.invalid/");'
        'window.open("https://popup.example.invalid/");'
        'fetch("https://api.example.invalid/collect").catch(() => {});'
        'throw new Error("uncaught");'
    )
    body = (
        '<link rel="stylesheet" href="https://fonts.example.invalid/f.css">'
        '<img src="file:///etc/hostname" alt="">'
        f"<script>{script}</script>"
    )
    session = open_page(page_file(tmp_path, body))
    session.page.wait_for_timeout(300)  # the socket and the fetch happen after load
    blocked = set(session.blocked_requests)
    assert {
        "https://fonts.example.invalid/f.css",
        "file:///etc/hostname",  # another local file is as forbidden as the network
        "wss://ws.example.invalid/",
        "https://api.example.invalid/collect",
    } <= blocked, blocked
    assert "careful" in session.console_warnings
    assert any("uncaught" in error for error in session.page_errors)
    assert session.popups, "window.open was not recorded"


@pytest.mark.browser
def test_a_quiet_page_is_clean_and_data_urls_load(open_page, tmp_path):
    session = open_page(page_file(tmp_path, f'<h1>Report</h1><img src="{GIF_1PX}" alt="dot">'))
    session.assert_clean()
    assert session.page.evaluate("document.images[0].complete && document.images[0].naturalWidth") == 1


@pytest.mark.browser
def test_screenshot_goes_to_the_artifacts_directory(open_page, tmp_path, monkeypatch, chromium_session):
    artifacts = tmp_path / "artifacts"
    monkeypatch.setenv(browser.ARTIFACTS_ENV, str(artifacts))
    launches = chromium_session.launches
    first = open_page(page_file(tmp_path, '<h1 style="height:3000px;background:#123">tall</h1>', "a.html"))
    second = open_page(page_file(tmp_path, "<p>second</p>", "b.html"))
    assert chromium_session.launches == launches <= 1, "pages must share one browser"
    png = first.screenshot("Tall page / 1")
    assert png.parent == artifacts
    assert png.name == "test_report_browser_harness.test_screenshot_goes_to_the_artifacts_directory--Tall_page_1.png"
    image = browser.read_png(png, max_rows=1)
    assert image.width == 1280
    assert image.height == 1, "max_rows limits decoding only"
    assert png.stat().st_size > 1000
    assert second.page.text_content("p") == "second"


def test_artifacts_default_to_build_under_the_repository(monkeypatch):
    monkeypatch.delenv(browser.ARTIFACTS_ENV, raising=False)
    assert browser.artifacts_dir() == browser.REPO_ROOT / "build" / "test-artifacts"


def test_missing_browser_skips_unless_required(monkeypatch):
    monkeypatch.delenv(browser.REQUIRE_BROWSER_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no chromium here"):
        browser.skip_without_browser("no chromium here")
    monkeypatch.setenv(browser.REQUIRE_BROWSER_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="APPAUDIT_REQUIRE_BROWSER is set"):
        browser.skip_without_browser("no chromium here")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.fail.Exception, match="no Chromium on PATH"):
        browser.require_chromium()


def test_asyncio_works_again_after_the_browser_tests():
    """The conftest hook stops Playwright once no further test needs it (its sync API blocks asyncio.run)."""

    async def answer() -> int:
        return 42

    assert asyncio.run(answer()) == 42
