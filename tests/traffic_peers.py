"""Real peers for the capture tests: local servers (HTTP/1.1, HTTPS with HTTP/2, websocket) and clients that go
through the proxy. Everything binds 127.0.0.1 with port 0; certificates are made at test time.

Servers answer every request with ``response_body(method, path, request_body)`` so tests can predict sizes.
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, BytesMessage, CloseConnection, Message, Request, TextMessage

TIMEOUT = 10.0
CONTENT_TYPE = "text/plain; charset=utf-8"


def response_body(method: str, path: str, request_body: bytes) -> bytes:
    return f"appaudit peer: {method} {path} with {len(request_body)} bytes".encode()


# certificates


@dataclass(frozen=True)
class ServerCert:
    cert: Path
    key: Path

    def server_context(self, alpn: tuple[str, ...] = ("h2", "http/1.1")) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        context.set_alpn_protocols(list(alpn))
        return context


def make_server_cert(directory: Path, names: tuple[str, ...] = ("localhost",)) -> ServerCert:
    """A self-signed server certificate for ``names`` and 127.0.0.1 (mitmproxy needs ssl_insecure for it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    san = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "server-cert.pem", directory / "server-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ServerCert(cert_path, key_path)


# servers


class _Http1Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: avoid Nagle + delayed ACK stalls

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = response_body(self.command, self.path, self.rfile.read(length) if length else b"")
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve_h2(sock: ssl.SSLSocket) -> None:
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    requests: dict[int, tuple[dict[str, str], bytearray]] = {}
    while data := sock.recv(65536):
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                requests[event.stream_id] = (dict(event.headers), bytearray())  # type: ignore[arg-type]
            elif isinstance(event, h2.events.DataReceived):
                requests[event.stream_id][1].extend(event.data)
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                headers, received = requests.pop(event.stream_id)
                body = response_body(headers[":method"], headers[":path"], bytes(received))
                conn.send_headers(
                    event.stream_id,
                    [(":status", "200"), ("content-type", CONTENT_TYPE), ("content-length", str(len(body)))],
                )
                conn.send_data(event.stream_id, body, end_stream=True)
            elif isinstance(event, h2.events.ConnectionTerminated):
                sock.sendall(conn.data_to_send())
                return
        sock.sendall(conn.data_to_send())


class _Dispatch(socketserver.BaseRequestHandler):
    server: PeerServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(TIMEOUT)
        if self.server.tls is not None:
            try:
                sock = self.server.tls.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                return
            if sock.selected_alpn_protocol() == "h2":
                _serve_h2(sock)
                return
        _Http1Handler(sock, self.client_address, self.server)


class _WebSocketEcho(socketserver.BaseRequestHandler):
    """Accepts the upgrade, echoes every message, answers the close."""

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(TIMEOUT)
        ws = WSConnection(ConnectionType.SERVER)
        pending: dict[bool, list[Any]] = {True: [], False: []}
        while data := sock.recv(65536):
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, Request):
                    sock.sendall(ws.send(AcceptConnection()))
                elif isinstance(event, Message):
                    text = isinstance(event, TextMessage)
                    pending[text].append(event.data)
                    if event.message_finished:
                        whole = "".join(pending[text]) if text else b"".join(pending[text])
                        pending[text].clear()
                        reply = TextMessage(data=whole) if text else BytesMessage(data=whole)
                        sock.sendall(ws.send(reply))
                elif isinstance(event, CloseConnection):
                    sock.sendall(ws.send(event.response()))
                    return


class PeerServer(socketserver.ThreadingTCPServer):
    """A threaded server on 127.0.0.1:<free port>: HTTP/1.1 (plain or TLS, h2 when negotiated) or websocket."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: type[socketserver.BaseRequestHandler], tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.tls = tls
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @classmethod
    def http(cls, tls: ssl.SSLContext | None = None) -> PeerServer:
        return cls(_Dispatch, tls)

    @classmethod
    def websocket(cls) -> PeerServer:
        return cls(_WebSocketEcho)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def __enter__(self) -> PeerServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


# clients (all through the proxy)


def http_request(
    proxy: tuple[str, int], method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """Plain HTTP through the proxy (absolute-form request line)."""
    conn = http.client.HTTPConnection(*proxy, timeout=TIMEOUT)
    try:
        conn.request(method, url, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def open_tunnel(proxy: tuple[str, int], target: tuple[str, int]) -> socket.socket:
    """A CONNECT tunnel through the proxy to ``target``."""
    sock = socket.create_connection(proxy, timeout=TIMEOUT)
    authority = f"{target[0]}:{target[1]}"
    sock.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("proxy closed the tunnel")
        head += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(f"CONNECT refused: {head.splitlines()[0]!r}")
    return sock


def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """Trusts ``ca_file`` only (the run's CA), or the system CAs when None (then the proxy is not trusted)."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    context.set_alpn_protocols(["http/1.1"])
    return context


def https_request(
    proxy: tuple[str, int],
    target: tuple[str, int],
    sni: str,
    ca_file: Path,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """HTTPS through a CONNECT tunnel, with ``sni`` as server name and Host, trusting the run's CA."""
    tls = client_context(ca_file).wrap_socket(open_tunnel(proxy, target), server_hostname=sni)
    conn = http.client.HTTPConnection(sni, target[1], timeout=TIMEOUT)
    conn.sock = tls
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def tls_untrusted(proxy: tuple[str, int], target: tuple[str, int], sni: str) -> ssl.SSLError:
    """A client that does not trust the proxy's CA: the handshake fails (what the proxy sees as tls_failed)."""
    sock = open_tunnel(proxy, target)
    try:
        client_context(None).wrap_socket(sock, server_hostname=sni)
    except ssl.SSLError as exc:
        return exc
    finally:
        sock.close()
    raise AssertionError("the handshake unexpectedly succeeded")


def tls_then_close(proxy: tuple[str, int], target: tuple[str, int], sni: str, ca_file: Path) -> None:
    """Completes TLS (trusting the CA) and leaves without a request, like OkHttp's CertificatePinner."""
    tls = client_context(ca_file).wrap_socket(open_tunnel(proxy, target), server_hostname=sni)
    tls.close()


def websocket_echo(proxy: tuple[str, int], target: tuple[str, int], messages: list[str | bytes]) -> list[str | bytes]:
    """A websocket session through a CONNECT tunnel: send ``messages``, return the echoes, close cleanly."""
    sock = open_tunnel(proxy, target)
    ws = WSConnection(ConnectionType.CLIENT)
    received: list[str | bytes] = []
    try:
        sock.sendall(ws.send(Request(host=f"{target[0]}:{target[1]}", target="/ws")))
        accepted = closed = False
        while not closed:
            data = sock.recv(65536)
            if not data:
                break
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, AcceptConnection):
                    accepted = True
                    for message in messages:
                        event_out = (
                            TextMessage(data=message) if isinstance(message, str) else BytesMessage(data=message)
                        )
                        sock.sendall(ws.send(event_out))
                elif isinstance(event, Message):
                    received.append(event.data)
                    if len(received) == len(messages):
                        sock.sendall(ws.send(CloseConnection(code=1000)))
                elif isinstance(event, CloseConnection):
                    closed = True
        if not accepted:
            raise ConnectionError("websocket upgrade refused")
    finally:
        sock.close()
    return received


def curl_path() -> str | None:
    return shutil.which("curl")


def curl_h2(proxy: tuple[str, int], url: str, ca_file: Path, connect_to: str) -> subprocess.CompletedProcess[str]:
    """HTTP/2 with curl through the proxy; ``connect_to`` is curl's HOST1:PORT1:HOST2:PORT2."""
    curl = curl_path()
    assert curl
    return subprocess.run(
        [curl, "--silent", "--show-error", "--http2", "--proxy", f"http://{proxy[0]}:{proxy[1]}",
         "--cacert", str(ca_file), "--connect-to", connect_to, "--max-time", str(TIMEOUT),
         "--write-out", "\n%{http_version}", url],
        capture_output=True, text=True, timeout=TIMEOUT + 5, check=False,
    )  # fmt: skip
