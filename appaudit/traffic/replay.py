"""Read captured flows back from a ``.mitm`` file as plain requests, split into the parts PI detection reads.

Only what the app *sent* is kept for matching: the URL, request headers and cookies, the request body
and client-to-server websocket frames. Responses are described (status, size, type) but not scanned.
A damaged file gives the flows read before the damage and an error naming it; nothing is lost silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from appaudit.traffic.pi.types import MessagePart

# Bodies larger than this are scanned up to it (and the flow says so); uploads of media are not PI text.
MAX_SCANNED_BODY = 8 * 1024 * 1024
MAX_FLOWS = 200_000
# Headers that never carry app-chosen values (they are set by the HTTP stack) are not scanned.
UNSCANNED_HEADERS = frozenset(
    {"host", "content-length", "connection", "cookie", "accept-encoding", "transfer-encoding", "te", ":authority"}
)


@dataclass(frozen=True)
class CapturedRequest:
    """One request (or one client websocket frame) as it was sent, with its response's outline."""

    flow_id: str
    ts: float
    method: str
    url: str
    host: str
    kind: str  # "http" | "websocket"
    parts: tuple[MessagePart, ...]
    content_type: str | None = None
    http_version: str = ""
    status: int | None = None
    request_bytes: int = 0
    response_bytes: int = 0
    response_content_type: str | None = None
    sni: str | None = None
    error: str | None = None
    truncated: bool = False


@dataclass
class ReplayResult:
    requests: list[CapturedRequest] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    flows_read: int = 0


def _text(value: str | bytes) -> bytes:
    return value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value


def request_parts(flow) -> tuple[tuple[MessagePart, ...], bool]:
    """The parts of an HTTP request that PI detection scans, and whether the body was cut."""
    req = flow.request
    parts = [MessagePart("url.path", _text(req.path.split("?", 1)[0]))]
    for key, value in req.query.items(multi=True):
        parts.append(MessagePart(f"url.query:{key}", _text(value)))
    for name, value in req.headers.items(multi=True):
        if name.lower() not in UNSCANNED_HEADERS:
            parts.append(MessagePart(f"request.header:{name}", _text(value)))
    for name, value in req.cookies.items(multi=True):
        parts.append(MessagePart(f"request.cookie:{name}", _text(value)))
    body = req.raw_content or b""
    truncated = len(body) > MAX_SCANNED_BODY
    if body:
        parts.append(
            MessagePart(
                "request.body",
                body[:MAX_SCANNED_BODY],
                req.headers.get("content-type"),
                req.headers.get("content-encoding"),
            )
        )
    return tuple(parts), truncated


def _http_request(flow) -> CapturedRequest:
    req, resp = flow.request, flow.response
    parts, truncated = request_parts(flow)
    body = req.raw_content or b""
    return CapturedRequest(
        flow_id=flow.id,
        ts=req.timestamp_start,
        method=req.method,
        url=req.pretty_url,
        host=req.pretty_host,
        kind="http",
        parts=parts,
        content_type=req.headers.get("content-type"),
        http_version=req.http_version,
        status=resp.status_code if resp is not None else None,
        request_bytes=len(body),
        response_bytes=len(resp.raw_content or b"") if resp is not None else 0,
        response_content_type=resp.headers.get("content-type") if resp is not None else None,
        sni=flow.client_conn.sni,
        error=flow.error.msg if flow.error is not None else None,
        truncated=truncated,
    )


def _websocket_frames(flow) -> Iterator[CapturedRequest]:
    for index, message in enumerate(flow.websocket.messages):
        if not message.from_client:
            continue
        content = message.content or b""
        yield CapturedRequest(
            flow_id=f"{flow.id}#{index}",
            ts=message.timestamp,
            method="WS",
            url=flow.request.pretty_url,
            host=flow.request.pretty_host,
            kind="websocket",
            parts=(MessagePart("ws.client", content[:MAX_SCANNED_BODY]),),
            http_version=flow.request.http_version,
            request_bytes=len(content),
            sni=flow.client_conn.sni,
            truncated=len(content) > MAX_SCANNED_BODY,
        )


def read_mitm(path: Path, *, max_flows: int = MAX_FLOWS) -> ReplayResult:
    """Every HTTP request and client websocket frame in ``path``, in file order."""
    from mitmproxy import http, io
    from mitmproxy.exceptions import FlowReadException

    result = ReplayResult()
    try:
        handle = path.open("rb")
    except OSError as exc:
        result.errors.append(f"{path.name}: cannot open: {exc.strerror or exc}")
        return result
    with handle:
        try:
            for flow in io.FlowReader(handle).stream():
                if result.flows_read >= max_flows:
                    result.errors.append(f"{path.name}: more than {max_flows} flows; the rest were not read")
                    break
                result.flows_read += 1
                if not isinstance(flow, http.HTTPFlow):
                    continue  # TCP/UDP/DNS flows carry no HTTP request
                try:
                    result.requests.append(_http_request(flow))
                    if flow.websocket is not None:
                        result.requests.extend(_websocket_frames(flow))
                except Exception as exc:  # one malformed flow must not lose the others
                    result.errors.append(f"{path.name}: flow {flow.id}: {type(exc).__name__}: {exc}")
        except FlowReadException as exc:
            result.errors.append(f"{path.name}: damaged after {result.flows_read} flow(s): {exc}")
        except Exception as exc:  # a truncated or foreign file can fail inside the tnetstring parser
            result.errors.append(
                f"{path.name}: unreadable after {result.flows_read} flow(s): {type(exc).__name__}: {exc}"
            )
    return result
