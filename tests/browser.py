"""Drive a headless Chromium for report tests, and read its PNG screenshots without PIL.

Two ways in, both for tests marked ``@pytest.mark.browser``:

* :func:`run_chromium` / :func:`dump_dom` / :func:`screenshot` run the Chromium command line once
  per call (after :func:`require_chromium`);
* the ``open_page`` fixture (``tests/conftest.py``) opens a local file in Chromium through
  Playwright and returns a :class:`PageSession` that records console errors, page errors, dialogs
  and every request other than the file itself, which is blocked.

Without Chromium (or Playwright) these tests skip with the reason, unless
``APPAUDIT_REQUIRE_BROWSER=1`` is set (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright, Route, WebSocketRoute

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 90

BASE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-field-trial-config",
    "--disable-client-side-phishing-detection",
    "--metrics-recording-only",
    "--disable-features=NetworkTimeServiceQuerying,Translate,MediaRouter,OptimizationHints,"
    "OptimizationGuideModelDownloading",
    "--hide-scrollbars",
)

# Chromium's own housekeeping that no flag above turns off in Debian's build (component updater,
# GAIA ListAccounts). A connection trap reports them apart from anything a page asked for; the
# report is separately checked to reference no URL at all.
BROWSER_SERVICE_HOSTS = frozenset(
    {"update.googleapis.com", "accounts.google.com", "clients2.google.com", "clientservices.googleapis.com"}
)


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


REQUIRE_BROWSER_ENV = "APPAUDIT_REQUIRE_BROWSER"
ARTIFACTS_ENV = "APPAUDIT_TEST_ARTIFACTS"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ARTIFACTS = REPO_ROOT / "build" / "test-artifacts"  # build/ is git-ignored


def browser_required() -> bool:
    return os.environ.get(REQUIRE_BROWSER_ENV, "").strip() not in ("", "0")


def skip_without_browser(reason: str) -> None:
    """Skip a browser test for a missing prerequisite, or fail it where a browser is required (CI)."""
    if browser_required():
        pytest.fail(f"{reason} ({REQUIRE_BROWSER_ENV} is set, so browser tests must run)", pytrace=False)
    pytest.skip(reason)


def require_chromium() -> str:
    path = find_chromium()
    if path is None:
        skip_without_browser(f"no Chromium on PATH (looked for {', '.join(CANDIDATES)}); install Debian's 'chromium'")
    assert path is not None
    return path


def run_chromium(page: Path, extra: tuple[str, ...] = (), *, resolver_rules: str | None = None) -> str:
    """Run Chromium headless on a local file with a throw-away profile; return its stdout."""
    binary = require_chromium()
    with tempfile.TemporaryDirectory(prefix="appaudit-chromium-") as profile:
        args = [binary, *BASE_FLAGS, f"--user-data-dir={profile}"]
        if resolver_rules is not None:
            args.append(f"--host-resolver-rules={resolver_rules}")
        args += [*extra, page.resolve().as_uri()]
        done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    if done.returncode != 0:
        raise AssertionError(f"chromium exited {done.returncode}:\n{done.stderr[-4000:]}")
    return done.stdout


def dump_dom(page: Path, *, resolver_rules: str | None = None) -> str:
    return run_chromium(page, ("--dump-dom",), resolver_rules=resolver_rules)


def screenshot(
    page: Path, png: Path, *, size: tuple[int, int] = (1280, 2000), resolver_rules: str | None = None
) -> Path:
    run_chromium(
        page,
        (f"--screenshot={png.resolve()}", f"--window-size={size[0]},{size[1]}"),
        resolver_rules=resolver_rules,
    )
    if not png.exists():
        raise AssertionError(f"chromium wrote no screenshot to {png}")
    return png


# --------------------------------------------------------------------------- Playwright harness

# Our flags, minus --headless (Playwright's own launch option). Every host name also fails to
# resolve, a second fence behind the route that aborts requests.
PLAYWRIGHT_FLAGS = (
    *(flag for flag in BASE_FLAGS if flag != "--headless"),
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def artifacts_dir() -> Path:
    """Where screenshots go: ``$APPAUDIT_TEST_ARTIFACTS`` or ``build/test-artifacts/`` (created)."""
    configured = os.environ.get(ARTIFACTS_ENV, "").strip()
    path = Path(configured) if configured else DEFAULT_ARTIFACTS
    path.mkdir(parents=True, exist_ok=True)
    return path


def artifact_slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "page"


@dataclass(frozen=True)
class RecordedDialog:
    type: str  # alert, confirm, prompt or beforeunload
    message: str


@dataclass
class PageSession:
    """One local page open in Chromium, with everything it tried to do that a report must not."""

    page: Page
    url: str
    artifact_prefix: str
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions and rejections
    blocked_requests: list[str] = field(default_factory=list)  # URLs, in request order
    dialogs: list[RecordedDialog] = field(default_factory=list)  # each one dismissed
    popups: list[str] = field(default_factory=list)  # window.open and target=_blank, closed

    def screenshot(self, name: str) -> Path:
        """Save a full-page PNG to the artifacts directory and return its path."""
        path = artifacts_dir() / f"{self.artifact_prefix}--{artifact_slug(name)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def problems(self) -> list[str]:
        """Everything recorded, one line each: empty for a well-behaved report."""
        return [
            *(f"console error: {text}" for text in self.console_errors),
            *(f"console warning: {text}" for text in self.console_warnings),
            *(f"page error: {text}" for text in self.page_errors),
            *(f"blocked request: {url}" for url in self.blocked_requests),
            *(f"dialog ({dialog.type}): {dialog.message}" for dialog in self.dialogs),
            *(f"popup: {url}" for url in self.popups),
        ]

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, "the page misbehaved:\n" + "\n".join(problems)


class ChromiumSession:
    """Playwright and one Chromium, started on first use and reused by later tests.

    Playwright's sync API marks an asyncio loop as running on this thread for as long as it is
    alive, which breaks ``asyncio.run`` in unrelated tests; ``tests/conftest.py`` therefore calls
    :meth:`stop` after the last of a run of consecutive browser tests, and the next one restarts it.
    """

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.launches = 0
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def browser(self) -> Browser:
        if self._browser is None or not self._browser.is_connected():
            from playwright.sync_api import sync_playwright

            self.stop()
            self._playwright = sync_playwright().start()
            try:
                self._browser = self._playwright.chromium.launch(
                    executable_path=self.executable, headless=True, args=list(PLAYWRIGHT_FLAGS), timeout=60_000
                )
            except Exception as exc:
                self.stop()
                pytest.fail(f"Chromium at {self.executable} did not start under Playwright: {exc}", pytrace=False)
            self.launches += 1
        assert self._browser is not None
        return self._browser

    def stop(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        try:
            if browser is not None and browser.is_connected():
                browser.close()
        finally:
            if playwright is not None:
                playwright.stop()

    @contextmanager
    def open(
        self,
        path: Path,
        *,
        artifact_prefix: str = "page",
        width: int = 1280,
        height: int = 900,
        **context_options: Any,
    ) -> Iterator[PageSession]:
        """Open ``path`` in a fresh context; only the file itself and data: URLs may load."""
        url = Path(path).resolve().as_uri()
        context = self.browser().new_context(viewport={"width": width, "height": height}, **context_options)
        try:
            page = context.new_page()
            session = PageSession(page=page, url=url, artifact_prefix=artifact_prefix)
            _record(session, context)
            page.goto(url, wait_until="load", timeout=TIMEOUT_SECONDS * 1000)
            yield session
        finally:
            context.close()


def _record(session: PageSession, context: Any) -> None:
    """Wire the listeners before navigation, so nothing the page does early is missed."""
    page = session.page

    def route(route: Route) -> None:
        # data: URLs never reach a route; the page's own file is the one request allowed.
        if route.request.url == session.url:
            route.continue_()
        else:
            session.blocked_requests.append(route.request.url)
            route.abort()

    def websocket(socket: WebSocketRoute) -> None:
        session.blocked_requests.append(socket.url)
        socket.close()

    def console(message: Any) -> None:
        if message.type == "error":
            session.console_errors.append(message.text)
        elif message.type == "warning":
            session.console_warnings.append(message.text)

    def dialog(dialog: Any) -> None:
        session.dialogs.append(RecordedDialog(dialog.type, dialog.message))
        dialog.dismiss()

    def popup(new_page: Page) -> None:
        session.popups.append(new_page.url)
        new_page.close()

    context.route("**/*", route)
    context.route_web_socket("**/*", websocket)
    context.on("page", popup)  # only pages after the first: that one exists already
    page.on("console", console)
    page.on("pageerror", lambda error: session.page_errors.append(str(error)))
    page.on("dialog", dialog)


# --------------------------------------------------------------------------- network trap


def requested_host(first_bytes: bytes) -> str | None:
    """The host a connection was for: the HTTP Host header, or the TLS ClientHello's SNI."""
    if first_bytes[:2] == b"\x16\x03":  # TLS handshake record
        return _sni(first_bytes)
    for line in first_bytes.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"host":
            return value.strip().decode("ascii", "replace").rsplit(":", 1)[0]
    return None


def _sni(hello: bytes) -> str | None:
    try:
        pos = 5 + 4 + 2 + 32  # record header, handshake header, version, random
        pos += 1 + hello[pos]  # session id
        pos += 2 + int.from_bytes(hello[pos : pos + 2])  # cipher suites
        pos += 1 + hello[pos]  # compression methods
        end = pos + 2 + int.from_bytes(hello[pos : pos + 2])
        pos += 2
        while pos + 4 <= end:
            kind = int.from_bytes(hello[pos : pos + 2])
            length = int.from_bytes(hello[pos + 2 : pos + 4])
            if kind == 0:  # server_name: list length, name type, name length, name
                size = int.from_bytes(hello[pos + 7 : pos + 9])
                return hello[pos + 9 : pos + 9 + size].decode("ascii", "replace")
            pos += 4 + length
    except IndexError:
        return None
    return None


@dataclass
class ConnectionTrap:
    """A local TCP listener that every host name is mapped to; it records what connects."""

    port: int
    hits: list[bytes]

    @property
    def resolver_rules(self) -> str:
        # Every name resolves to the trap, so any fetch shows up in ``hits`` and nothing leaves the machine.
        return f"MAP * 127.0.0.1:{self.port}"

    @property
    def hosts(self) -> list[str]:
        return [requested_host(hit) or f"<unrecognised: {hit[:40]!r}>" for hit in self.hits]

    @property
    def page_requests(self) -> list[str]:
        """Connections that were not Chromium's own housekeeping: a page asked for these."""
        return [host for host in self.hosts if host not in BROWSER_SERVICE_HOSTS]


def _first_message(conn: socket.socket) -> bytes:
    """Enough of what the client sent to name the host: a whole TLS record or the HTTP headers."""
    conn.settimeout(1.0)
    data = b""
    try:
        while len(data) < 65536:
            chunk = conn.recv(16384)
            if not chunk:
                break
            data += chunk
            if data[:2] == b"\x16\x03" and len(data) >= 5 and len(data) >= 5 + int.from_bytes(data[3:5]):
                break
            if data[:2] != b"\x16\x03" and b"\r\n\r\n" in data:
                break
    except OSError:
        pass
    return data or b"<connected, sent nothing>"


@contextmanager
def connection_trap() -> Iterator[ConnectionTrap]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    trap = ConnectionTrap(port=server.getsockname()[1], hits=[])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                trap.hits.append(_first_message(conn))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield trap
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


# --------------------------------------------------------------------------- PNG decoding


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    channels: int
    rows: tuple[bytes, ...]  # unfiltered scanlines

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        start = x * self.channels
        px = self.rows[y][start : start + self.channels]
        return tuple(px[:3]) if self.channels >= 3 else tuple(px[:1])


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(path: Path, *, max_rows: int | None = None) -> Png:
    """Decode an 8-bit RGB/RGBA/grey non-interlaced PNG (what Chromium writes).

    Unfiltering is pure Python, so ``max_rows`` limits it to the top of the image.
    """
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos = 8
    idat = bytearray()
    width = height = depth = colour = interlace = -1
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _comp, _filter, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    decoded = height if max_rows is None else min(height, max_rows)
    for y in range(decoded):
        offset = y * (stride + 1)
        kind = raw[offset]
        line = bytearray(raw[offset + 1 : offset + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(left, up, up_left)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return Png(width, decoded, channels, tuple(rows))
