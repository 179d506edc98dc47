"""The capture addon: one JSONL event per HTTP flow, websocket message and unobservable TLS connection.

Load it with ``mitmdump -s appaudit/traffic/addon.py --set appaudit_out=RUN_DIR`` (the supervisor,
``appaudit.traffic.supervisor``, does). The events and their fields are listed in ``layout.py``; raw flows
go to ``flows.mitm`` through mitmproxy's own ``save_stream_file`` option.

Hooks do in-memory work and one append+flush per event, never anything that blocks the event loop. When
an event cannot be written (disk full, permissions), the addon logs an error, kills every further flow and
shuts mitmproxy down: traffic never passes unrecorded.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Concatenate

from mitmproxy import connection, ctx, exceptions, http, tcp, tls
from mitmproxy.addonmanager import Loader
from mitmproxy.version import VERSION

from appaudit.traffic import layout

logger = logging.getLogger(__name__)

LOCAL_OPTION = "appaudit_answer_locally"
OUT_OPTION = "appaudit_out"


def _listen_address(addr: Any) -> list[Any]:
    """A listen address (``(host, port)`` or an IPv6 4-tuple) as ``[host, port]``, the running event's form."""
    return [addr[0], addr[1]]


def _address(addr: Any) -> str | None:
    """A peer address as ``"host:port"`` (``"[v6]:port"``), the form of every other event's addresses."""
    if not addr:
        return None
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


def _content_length(message: http.Message | None) -> int | None:
    """Raw (still encoded) body size; None when the body was streamed and not stored."""
    if message is None:
        return 0
    raw = message.raw_content
    return None if raw is None else len(raw)


class _TlsClient:
    """A client connection that completed TLS with the proxy, and how many requests it has sent since.

    A plain class, not a dataclass: mitmproxy loads this file as a script without registering it in
    ``sys.modules``, which ``@dataclass`` needs.
    """

    __slots__ = ("client", "established_ts", "requests", "server", "sni")

    def __init__(self, established_ts: float, sni: str | None, server: str | None, client: str | None) -> None:
        self.established_ts = established_ts
        self.sni = sni
        self.server = server
        self.client = client
        self.requests = 0


def _timed[**P, R](hook: Callable[Concatenate[CaptureAddon, P], R]) -> Callable[Concatenate[CaptureAddon, P], R]:
    """Add the hook's own run time to the addon's overhead counter."""

    @functools.wraps(hook)
    def wrapper(self: CaptureAddon, *args: P.args, **kwargs: P.kwargs) -> R:
        start = time.perf_counter()
        try:
            return hook(self, *args, **kwargs)
        finally:
            self.seconds_in_hooks += time.perf_counter() - start

    return wrapper


class CaptureAddon:
    """Writes the run's ``events.jsonl``; see the module docstring."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        """``stream`` replaces ``RUN_DIR/events.jsonl`` (tests); otherwise it is opened in ``configure``."""
        self._stream = stream
        self._owns_stream = stream is None
        self.failed = False
        self.seconds_in_hooks = 0.0
        self.counts = {"flows": 0, "https_flows": 0, "websocket_messages": 0, "tls_failed": 0, "tls_no_request": 0}
        self._tls_clients: dict[str, _TlsClient] = {}

    # lifecycle

    def load(self, loader: Loader) -> None:
        loader.add_option(
            OUT_OPTION, str, "", "appaudit: the capture run directory; events are appended to events.jsonl there."
        )
        loader.add_option(
            LOCAL_OPTION,
            bool,
            False,
            "appaudit: answer every request here (204) instead of forwarding it: for simulated devices, whose "
            "requests carry test values to real-looking hosts that must never receive them.",
        )

    def configure(self, updated: set[str]) -> None:
        if OUT_OPTION not in updated or not self._owns_stream:
            return
        out = ctx.options.appaudit_out
        if not out:
            raise exceptions.OptionsError(
                f"appaudit capture addon: --set {OUT_OPTION}=RUN_DIR is required (where events.jsonl is written)"
            )
        path = layout.events_path(Path(out).expanduser())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            stream = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise exceptions.OptionsError(f"appaudit capture addon: cannot write {path}: {exc}") from exc
        self._close()
        self._stream = stream

    def running(self) -> None:
        proxyserver = ctx.master.addons.get("proxyserver")
        listen = [_listen_address(a) for a in proxyserver.listen_addrs()] if proxyserver else []
        self._emit({"type": layout.RUNNING, "ts": time.time(), "listen": listen, "mitmproxy_version": VERSION})

    def done(self) -> None:
        flows = self.counts["flows"]
        per_flow = self.seconds_in_hooks * 1000 / flows if flows else 0.0
        self._emit(
            {
                "type": layout.DONE,
                "ts": time.time(),
                **self.counts,
                "overhead_ms_per_flow": round(per_flow, 4),
                "overhead_ms_total": round(self.seconds_in_hooks * 1000, 3),
            }
        )
        self._close()

    # HTTP and websocket

    @_timed
    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if self.failed:
            flow.kill()  # recording is broken: let nothing through unrecorded
            return
        state = self._tls_clients.get(flow.client_conn.id)
        if state is not None:
            state.requests += 1

    @_timed
    def request(self, flow: http.HTTPFlow) -> None:
        if ctx.options.appaudit_answer_locally and flow.response is None:
            flow.response = http.Response.make(204, b"", {"X-Appaudit": "answered locally, not forwarded"})

    @_timed
    def response(self, flow: http.HTTPFlow) -> None:
        self._flow_event(flow)

    @_timed
    def error(self, flow: http.HTTPFlow) -> None:
        self._flow_event(flow)  # mitmproxy fires either response or error for a flow, never both

    @_timed
    def websocket_message(self, flow: http.HTTPFlow) -> None:
        assert flow.websocket is not None
        message = flow.websocket.messages[-1]
        self.counts["websocket_messages"] += 1
        self._emit(
            {
                "type": layout.WEBSOCKET_MESSAGE,
                "ts": message.timestamp,
                "flow_id": flow.id,
                "index": len(flow.websocket.messages) - 1,
                "from_client": message.from_client,
                "bytes": len(message.content),
                "is_text": message.is_text,
            }
        )

    @_timed
    def tcp_start(self, flow: tcp.TCPFlow) -> None:
        """A TLS connection carrying raw TCP (not HTTP) is not a silent one."""
        state = self._tls_clients.get(flow.client_conn.id)
        if state is not None:
            state.requests += 1

    # TLS with the client

    @_timed
    def tls_established_client(self, data: tls.TlsData) -> None:
        conn = data.conn
        self._tls_clients[conn.id] = _TlsClient(
            established_ts=time.time(),
            sni=conn.sni,
            server=_address(data.context.server.address),
            client=_address(conn.peername),
        )

    @_timed
    def tls_failed_client(self, data: tls.TlsData) -> None:
        conn = data.conn
        self.counts["tls_failed"] += 1
        self._emit(
            {
                "type": layout.TLS_FAILED,
                "ts": time.time(),
                "conn_id": conn.id,
                "sni": conn.sni,
                "server": _address(data.context.server.address),
                "client": _address(conn.peername),
                "error": conn.error,
            }
        )

    @_timed
    def client_disconnected(self, client: connection.Client) -> None:
        state = self._tls_clients.pop(client.id, None)
        if state is None or state.requests:
            return
        self.counts["tls_no_request"] += 1
        self._emit(
            {
                "type": layout.TLS_NO_REQUEST,
                "ts": time.time(),
                "conn_id": client.id,
                "sni": state.sni,
                "server": state.server,
                "client": state.client,
                "established_ts": state.established_ts,
            }
        )

    # writing

    def _flow_event(self, flow: http.HTTPFlow) -> None:
        request, response = flow.request, flow.response
        self.counts["flows"] += 1
        if request.scheme == "https":
            self.counts["https_flows"] += 1
        self._emit(
            {
                "type": layout.FLOW,
                "ts": request.timestamp_start,
                "flow_id": flow.id,
                "method": request.method,
                "url": request.pretty_url,
                "host": request.pretty_host,
                "port": request.port,
                "scheme": request.scheme,
                "http_version": request.http_version,
                "status": response.status_code if response is not None else None,
                "request_bytes": _content_length(request),
                "response_bytes": _content_length(response),
                "request_content_type": request.headers.get("content-type"),
                "response_content_type": response.headers.get("content-type") if response is not None else None,
                "sni": flow.client_conn.sni,
                "client": _address(flow.client_conn.peername),
                "websocket": flow.websocket is not None,
                "error": flow.error.msg if flow.error else None,
            }
        )

    def _emit(self, event: dict[str, Any]) -> None:
        if self.failed:
            return
        if self._stream is None:
            self._fail(f"no events file: is --set {OUT_OPTION}=RUN_DIR given?")
            return
        try:
            self._stream.write(json.dumps(event, separators=(",", ":")) + "\n")
            self._stream.flush()
        except (OSError, ValueError) as exc:  # ValueError: the file was closed under us
            self._fail(f"cannot write {getattr(self._stream, 'name', 'events')}: {exc}")

    def _fail(self, reason: str) -> None:
        """Recording broke: say so, block further flows, and stop the proxy."""
        self.failed = True
        logger.error(f"appaudit capture addon: {reason}; shutting the proxy down so no traffic passes unrecorded")
        ctx.master.shutdown()

    def _close(self) -> None:
        if self._stream is not None and self._owns_stream:
            try:
                self._stream.close()
            except OSError as exc:
                logger.error(f"appaudit capture addon: closing the events file failed: {exc}")
            self._stream = None


addons = [CaptureAddon()]
