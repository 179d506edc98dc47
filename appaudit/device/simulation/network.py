"""The simulated app's network traffic: timed HTTP(S) requests really sent through the capture proxy.

Requests are scheduled on the host clock (``time.time()``) and sent from a background thread: plain HTTP
as an absolute-form request to the proxy, HTTPS through a ``CONNECT`` tunnel with TLS on top, trusting only
the CA given to ``install_ca`` (nothing when none was given, as on a device without the CA). A *pinned*
host is either not trusted at all (``handshake``: the proxy sees a client TLS failure) or trusted and then
dropped right after the handshake without a request (``after_handshake``, like OkHttp's CertificatePinner).

Without a proxy nothing is sent: the fake hosts must never be contacted directly, so the request is logged
as not sent. Placeholders ``{name}`` in the URL, headers and body take the scenario's identifier values
(``{imei}``, ``{android_id}``, ``{lat}``, ...) plus ``{ts}``, the send time in milliseconds.
"""

from __future__ import annotations

import gzip
import heapq
import http.client
import itertools
import json
import re
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
BUILTIN_PLACEHOLDERS = frozenset({"ts"})
PIN_MODES = ("handshake", "after_handshake")
SEND_TIMEOUT = 5.0


@dataclass(frozen=True)
class RequestSpec:
    """One request of a scenario, before its placeholders are filled."""

    method: str
    url: str
    delay_ms: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    body_kind: str = ""  # "" (no body) | "json" | "form" | "raw"
    body: Any = None
    gzip: bool = False

    def placeholders(self) -> set[str]:
        texts = [self.url, *(v for _, v in self.headers), *_strings(self.body)]
        return {m.group(1) for text in texts for m in PLACEHOLDER.finditer(text)}


@dataclass(frozen=True)
class SentRequest:
    """What happened to one scheduled request (``outcome``: "HTTP 502", "tls-failed: ...", "not sent: ...")."""

    trigger: str  # what scheduled it: "launch:first_run", "enter:policy", "tap:home", ...
    method: str
    url: str
    scheduled_at: float
    sent_at: float | None
    outcome: str
    status: int | None = None


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def fill(value: Any, values: Mapping[str, Any]) -> Any:
    """Fill placeholders recursively; a string that is exactly one placeholder keeps the value's type."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), value)
    if isinstance(value, Mapping):
        return {fill(k, values): fill(v, values) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill(v, values) for v in value]
    return value


@dataclass(frozen=True)
class Rendered:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


def render(spec: RequestSpec, values: Mapping[str, Any], user_agent: str) -> Rendered:
    url = str(fill(spec.url, values))
    headers = {k: str(fill(v, values)) for k, v in spec.headers}
    body: bytes | None = None
    if spec.body_kind == "json":
        body = json.dumps(fill(spec.body, values), ensure_ascii=False, separators=(",", ":")).encode()
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
    elif spec.body_kind == "form":
        body = urllib.parse.urlencode({k: str(v) for k, v in fill(spec.body, values).items()}).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif spec.body_kind == "raw":
        body = str(fill(spec.body, values)).encode()
    if body is not None and spec.gzip:
        body = gzip.compress(body, mtime=0)
        headers["Content-Encoding"] = "gzip"
    headers.setdefault("User-Agent", user_agent)
    return Rendered(spec.method, url, headers, body)


def send(request: Rendered, proxy: tuple[str, int], ca_file: Path | None, pin: str | None) -> tuple[str, int | None]:
    """Send one request through the proxy; the outcome in words and the response status."""
    parts = urllib.parse.urlsplit(request.url)
    host = parts.hostname or ""
    try:
        if parts.scheme == "http":
            conn: http.client.HTTPConnection = http.client.HTTPConnection(*proxy, timeout=SEND_TIMEOUT)
            target = request.url
        else:
            conn = http.client.HTTPSConnection(*proxy, timeout=SEND_TIMEOUT, context=_context(ca_file, pin))
            conn.set_tunnel(host, parts.port or 443)
            target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        try:
            if pin == "after_handshake":
                conn.connect()
                return "pinned: certificate pin mismatch, closed after the TLS handshake", None
            conn.request(request.method, target, body=request.body, headers=request.headers)
            response = conn.getresponse()
            response.read()
            return f"HTTP {response.status}", response.status
        finally:
            conn.close()
    except ssl.SSLError as exc:
        return f"tls-failed: {exc.reason or exc}", None
    except (OSError, http.client.HTTPException) as exc:
        return f"error: {exc}", None


def _context(ca_file: Path | None, pin: str | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the chain and the host name; trusts nothing yet
    if ca_file is not None and pin != "handshake":
        context.load_verify_locations(cafile=str(ca_file))
    context.set_alpn_protocols(["http/1.1"])
    return context


class Network:
    """Schedules requests and sends them, in due time, from a background thread pool."""

    def __init__(self, values: Mapping[str, Any], pinned: Mapping[str, str], user_agent: str) -> None:
        self.values = dict(values)
        self.pinned = dict(pinned)
        self.user_agent = user_agent
        self.proxy: tuple[str, int] | None = None
        self.ca_file: Path | None = None
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, RequestSpec, str, float]] = []
        self._order = itertools.count()
        self._inflight = 0
        self._log: list[SentRequest] = []
        self._closed = False
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None

    @property
    def log(self) -> tuple[SentRequest, ...]:
        with self._cond:
            return tuple(self._log)

    def schedule(self, requests: Iterable[RequestSpec], trigger: str) -> None:
        now = time.time()
        with self._cond:
            if self._closed:
                return
            for spec in requests:
                due = now + spec.delay_ms / 1000
                heapq.heappush(self._queue, (due, next(self._order), spec, trigger, now))
            self._start()
            self._cond.notify_all()

    def cancel_pending(self, reason: str) -> int:
        """Drop every request not sent yet (the app process died); returns how many."""
        with self._cond:
            dropped = self._queue
            self._queue = []
            for _due, _n, spec, trigger, at in dropped:
                self._log.append(SentRequest(trigger, spec.method, spec.url, at, None, f"not sent: {reason}"))
            self._cond.notify_all()
            return len(dropped)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every scheduled request has been sent (or dropped); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and self._inflight == 0, timeout)

    def close(self) -> None:
        """Drop pending requests, wait for those in flight, stop the threads."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self.cancel_pending("device closed")
        if self._thread is not None:
            self._thread.join(timeout=SEND_TIMEOUT + 1)
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _start(self) -> None:
        if self._thread is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sim-net")
            self._thread = threading.Thread(target=self._loop, name="sim-net-scheduler", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        with self._cond:
            while not self._closed:
                if not self._queue:
                    self._cond.wait()
                    continue
                wait = self._queue[0][0] - time.time()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                _due, _n, spec, trigger, at = heapq.heappop(self._queue)
                self._inflight += 1
                assert self._pool is not None
                self._pool.submit(self._send, spec, trigger, at, self.proxy, self.ca_file)

    def _send(self, spec: RequestSpec, trigger: str, at: float, proxy: tuple[str, int] | None, ca: Path | None) -> None:
        try:
            values = {**self.values, "ts": int(time.time() * 1000)}
            request = render(spec, values, self.user_agent)
            sent_at = time.time()
            if proxy is None:
                outcome, status = "not sent: no proxy set (the simulated device never goes online directly)", None
                sent_at = None
            else:
                host = urllib.parse.urlsplit(request.url).hostname or ""
                pin = self.pinned.get(host) if urllib.parse.urlsplit(request.url).scheme == "https" else None
                outcome, status = send(request, proxy, ca, pin)
            entry = SentRequest(trigger, request.method, request.url, at, sent_at, outcome, status)
        except Exception as exc:  # a bug in one request must not kill the pool or hang wait_idle
            entry = SentRequest(trigger, spec.method, spec.url, at, None, f"error: {exc!r}")
        with self._cond:
            self._log.append(entry)
            self._inflight -= 1
            self._cond.notify_all()
