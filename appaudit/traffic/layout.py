"""A capture run directory, and the JSONL events the addon writes into it.

Written by the addon (``addon.py``) while mitmdump runs, read by the supervisor (readiness) and by the
offline merge (``scan --traffic``). Everything here is plain data: no mitmproxy import.

    RUN_DIR/
      events.jsonl    one JSON object per line, appended and flushed per event (see EVENT_TYPES)
      flows.mitm      the raw flows (mitmproxy's save_stream_file), for replay and PI detection
      capture.json    written by the supervisor: proxy address, CA SHA-256, versions, start and end
      confdir/        mitmproxy's confdir for this run only (its CA lives here)
      mitmdump.log    mitmdump's own output (warnings, errors), written by the supervisor
"""

from __future__ import annotations

from pathlib import Path

EVENTS_FILE = "events.jsonl"
FLOWS_FILE = "flows.mitm"
CAPTURE_FILE = "capture.json"
CONFDIR = "confdir"
MITMDUMP_LOG = "mitmdump.log"

# Event types (the "type" key of each events.jsonl line). Every event has "ts": host wall-clock seconds.
RUNNING = "running"  # the addon is up: {"listen": [[host, port], ...], "mitmproxy_version": str}
FLOW = "flow"  # one HTTP(S) exchange or HTTP/2 stream, written when the response (or error) arrives
WEBSOCKET_MESSAGE = "websocket_message"  # one websocket frame: {"flow_id", "index", "from_client", "bytes"}
TLS_FAILED = "tls_failed"  # the client refused the proxy's certificate: {"sni", "server", "client", "error"}
TLS_NO_REQUEST = "tls_no_request"  # TLS established, then the client left with no request: {"sni", ...}
DONE = "done"  # the addon is shutting down: {"flows": int, "overhead_ms_per_flow": float}
# Addresses: "host:port" strings ("[::1]:443" for IPv6) in flow and TLS events; [host, port] lists in "listen".
EVENT_TYPES = frozenset({RUNNING, FLOW, WEBSOCKET_MESSAGE, TLS_FAILED, TLS_NO_REQUEST, DONE})


def events_path(run_dir: Path) -> Path:
    return run_dir / EVENTS_FILE


def flows_path(run_dir: Path) -> Path:
    return run_dir / FLOWS_FILE


def capture_path(run_dir: Path) -> Path:
    return run_dir / CAPTURE_FILE


def confdir_path(run_dir: Path) -> Path:
    return run_dir / CONFDIR


def unobservable_host(event: dict) -> str:
    """The host a ``tls_failed`` / ``tls_no_request`` event is about: its SNI, else the server address."""
    server = str(event.get("server") or "")
    return str(event.get("sni") or server.rsplit(":", 1)[0].strip("[]") or "unknown")
