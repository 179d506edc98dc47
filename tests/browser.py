"""Drive a headless Chromium for report tests, and read its PNG screenshots without PIL.

Tests that need a browser are marked ``@pytest.mark.browser`` and use :func:`require_chromium`,
which skips with a clear reason only when no Chromium binary is on PATH (CI installs Debian's
``chromium`` package).
"""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
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


def require_chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip(f"no Chromium on PATH (looked for {', '.join(CANDIDATES)}); install Debian's 'chromium'")
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
