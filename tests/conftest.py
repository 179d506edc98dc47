"""Fixtures shared across test modules: the Playwright browser harness (see ``tests/browser.py``)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import browser
import pytest

CHROMIUM_SESSION = pytest.StashKey[browser.ChromiumSession]()


@pytest.fixture(scope="session")
def chromium_session(pytestconfig: pytest.Config) -> Iterator[browser.ChromiumSession]:
    """Playwright driving the system Chromium; skips (or fails under APPAUDIT_REQUIRE_BROWSER=1) without them."""
    if importlib.util.find_spec("playwright") is None:
        browser.skip_without_browser("the Python package 'playwright' is not installed (pip install -e '.[dev]')")
    session = browser.ChromiumSession(browser.require_chromium())
    pytestconfig.stash[CHROMIUM_SESSION] = session
    try:
        yield session
    finally:
        del pytestconfig.stash[CHROMIUM_SESSION]
        session.stop()


@pytest.fixture
def open_page(
    chromium_session: browser.ChromiumSession, request: pytest.FixtureRequest
) -> Iterator[Callable[..., browser.PageSession]]:
    """``open_page(path, *, width=1280, height=900, **context_options) -> PageSession``.

    Each call opens the local file in a new browser context, closed when the test ends.
    """
    prefix = f"{Path(request.node.path).stem}.{browser.artifact_slug(request.node.name)}"
    with ExitStack() as stack:

        def open_(path: Path, **options) -> browser.PageSession:
            return stack.enter_context(chromium_session.open(path, artifact_prefix=prefix, **options))

        yield open_


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    result = yield
    # Playwright's sync API breaks asyncio.run on this thread while it runs: stop it as soon as the
    # next test does not need it (ChromiumSession restarts it on demand).
    session = item.config.stash.get(CHROMIUM_SESSION, None)
    if session is not None and (nextitem is None or "chromium_session" not in nextitem.fixturenames):
        session.stop()
    return result
