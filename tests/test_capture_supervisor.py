"""The capture end to end: a real mitmdump child with the addon, real local servers and clients on 127.0.0.1.

One capture (module fixture) carries every kind of traffic; the other tests start their own mitmdump to
check start-up failures, parallel runs and the ``appaudit capture`` command under SIGINT and SIGTERM.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import traffic_peers as peers
from click.testing import CliRunner
from mitmproxy import http, io

from appaudit.cli import main
from appaudit.errors import InputError
from appaudit.traffic import layout
from appaudit.traffic.ca import read_ca
from appaudit.traffic.supervisor import (
    ADDON_PATH,
    CaptureError,
    CaptureProcess,
    MitmdumpNotFound,
    RunDirInUse,
    find_mitmdump,
    read_events,
)

JSON_BODY = b'{"imei":"864536049188765","app":"demo"}'
FORM_BODY = b"a=1&b=2"
INSECURE = ("ssl_insecure=true",)  # the test servers' certificates are self-signed


@dataclass
class Recorded:
    capture: CaptureProcess
    events: list[dict[str, Any]]
    plain_port: int
    tls_port: int
    ws_port: int
    results: dict[str, Any]

    def flow(self, url: str) -> dict[str, Any]:
        (event,) = [e for e in self.events if e["type"] == "flow" and e["url"] == url]
        return event

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    base = tmp_path_factory.mktemp("capture")
    cert = peers.make_server_cert(base / "cert", ("localhost", "api.appaudit.test", "h2.appaudit.test"))
    results: dict[str, Any] = {}
    with (
        peers.PeerServer.http() as plain,
        peers.PeerServer.http(cert.server_context()) as tls_server,
        peers.PeerServer.websocket() as ws_server,
        CaptureProcess(base / "run", extra_options=INSECURE) as capture,
    ):
        proxy = capture.address
        assert proxy is not None
        ca_file = capture.confdir / "mitmproxy-ca-cert.pem"
        tls_target = ("127.0.0.1", tls_server.port)
        results["http"] = peers.http_request(
            proxy, "POST", f"http://127.0.0.1:{plain.port}/form", FORM_BODY,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        results["https"] = peers.https_request(
            proxy, tls_target, "api.appaudit.test", ca_file, "POST", "/v1/report?os=android", JSON_BODY,
            {"Content-Type": "application/json"},
        )  # fmt: skip
        if peers.curl_path():
            results["h2"] = peers.curl_h2(
                proxy, f"https://h2.appaudit.test:{tls_server.port}/h2/config", ca_file,
                f"h2.appaudit.test:{tls_server.port}:127.0.0.1:{tls_server.port}",
            )  # fmt: skip
        results["ws"] = peers.websocket_echo(proxy, ("127.0.0.1", ws_server.port), ["hello", b"\x00\x01\x02\x03"])
        results["untrusted"] = peers.tls_untrusted(proxy, tls_target, "pinned.appaudit.test")
        peers.tls_then_close(proxy, tls_target, "silent.appaudit.test", ca_file)
        results["refused"] = peers.http_request(proxy, "GET", "http://127.0.0.1:1/unreachable")
    return Recorded(capture, list(read_events(capture.run_dir)), plain.port, tls_server.port, ws_server.port, results)


# the events


def test_plain_http_flow(recorded: Recorded) -> None:
    body = peers.response_body("POST", "/form", FORM_BODY)
    assert recorded.results["http"] == (200, body)
    event = recorded.flow(f"http://127.0.0.1:{recorded.plain_port}/form")
    assert {k: v for k, v in event.items() if k not in ("ts", "flow_id", "client")} == {
        "type": "flow",
        "method": "POST",
        "url": f"http://127.0.0.1:{recorded.plain_port}/form",
        "host": "127.0.0.1",
        "port": recorded.plain_port,
        "scheme": "http",
        "http_version": "HTTP/1.1",
        "status": 200,
        "request_bytes": len(FORM_BODY),
        "response_bytes": len(body),
        "request_content_type": "application/x-www-form-urlencoded",
        "response_content_type": peers.CONTENT_TYPE,
        "sni": None,
        "websocket": False,
        "error": None,
    }
    assert event["client"].startswith("127.0.0.1:")


def test_https_flow_with_sni(recorded: Recorded) -> None:
    body = peers.response_body("POST", "/v1/report?os=android", JSON_BODY)
    assert recorded.results["https"] == (200, body)
    event = recorded.flow(f"https://api.appaudit.test:{recorded.tls_port}/v1/report?os=android")
    assert (event["method"], event["scheme"], event["host"], event["sni"]) == (
        "POST", "https", "api.appaudit.test", "api.appaudit.test",
    )  # fmt: skip
    assert (event["status"], event["http_version"]) == (200, "HTTP/1.1")
    assert (event["request_bytes"], event["response_bytes"]) == (len(JSON_BODY), len(body))
    assert event["request_content_type"] == "application/json"


def test_http2_stream(recorded: Recorded) -> None:
    if "h2" not in recorded.results:
        pytest.skip("curl is not installed: the HTTP/2 client is curl --http2")
    result = recorded.results["h2"]
    body = peers.response_body("GET", "/h2/config", b"")
    assert result.returncode == 0, result.stderr
    assert result.stdout == body.decode() + "\n2"  # curl's %{http_version}: the client spoke HTTP/2
    event = recorded.flow(f"https://h2.appaudit.test:{recorded.tls_port}/h2/config")
    assert (event["http_version"], event["sni"], event["status"]) == ("HTTP/2.0", "h2.appaudit.test", 200)
    assert event["response_bytes"] == len(body)


def test_websocket_upgrade_and_messages(recorded: Recorded) -> None:
    assert recorded.results["ws"] == ["hello", b"\x00\x01\x02\x03"]
    upgrade = recorded.flow(f"http://127.0.0.1:{recorded.ws_port}/ws")
    assert (upgrade["status"], upgrade["websocket"]) == (101, True)
    frames = recorded.of_type("websocket_message")
    assert {f["flow_id"] for f in frames} == {upgrade["flow_id"]}
    assert [(f["index"], f["from_client"], f["bytes"], f["is_text"]) for f in frames] == [
        (0, True, 5, True),
        (1, False, 5, True),
        (2, True, 4, False),
        (3, False, 4, False),
    ]


def test_client_that_does_not_trust_the_ca_is_tls_failed(recorded: Recorded) -> None:
    assert isinstance(recorded.results["untrusted"], ssl.SSLCertVerificationError)
    (event,) = recorded.of_type("tls_failed")
    assert event["sni"] == "pinned.appaudit.test"
    assert event["server"] == f"127.0.0.1:{recorded.tls_port}"
    assert event["client"].startswith("127.0.0.1:")
    assert "does not trust the proxy's certificate" in event["error"]


def test_tls_then_no_request_is_recorded(recorded: Recorded) -> None:
    (event,) = recorded.of_type("tls_no_request")
    assert event["sni"] == "silent.appaudit.test"
    assert event["server"] == f"127.0.0.1:{recorded.tls_port}"


def test_unreachable_server_is_a_flow_with_an_error(recorded: Recorded) -> None:
    assert recorded.results["refused"][0] == 502  # mitmproxy's own error page, not a server response
    event = recorded.flow("http://127.0.0.1:1/unreachable")
    assert event["status"] is None and event["error"]


def test_running_first_done_last_and_one_clock(recorded: Recorded) -> None:
    events = recorded.events
    assert events[0]["type"] == "running" and events[-1]["type"] == "done"
    assert events[0]["listen"] == [list(recorded.capture.address or ())]
    flows = recorded.of_type("flow")
    assert all(events[0]["ts"] <= f["ts"] <= events[-1]["ts"] for f in flows)
    done = events[-1]
    expected_flows = 5 if "h2" in recorded.results else 4  # http, https, (h2,) ws upgrade, refused
    assert (done["flows"], done["websocket_messages"], done["tls_failed"], done["tls_no_request"]) == (
        expected_flows, 4, 1, 1,
    )  # fmt: skip
    assert 0 < done["overhead_ms_per_flow"] < 20
    assert {e["type"] for e in events} <= layout.EVENT_TYPES


def test_flows_file_holds_bodies_errors_and_websockets(recorded: Recorded) -> None:
    with layout.flows_path(recorded.capture.run_dir).open("rb") as f:
        flows = [flow for flow in io.FlowReader(f).stream() if isinstance(flow, http.HTTPFlow)]
    by_id = {flow.id: flow for flow in flows}
    assert set(by_id) == {e["flow_id"] for e in recorded.of_type("flow")}
    https = by_id[recorded.flow(f"https://api.appaudit.test:{recorded.tls_port}/v1/report?os=android")["flow_id"]]
    assert https.request.content == JSON_BODY
    assert https.response is not None and https.response.content.startswith(b"appaudit peer: POST /v1/report")
    form = by_id[recorded.flow(f"http://127.0.0.1:{recorded.plain_port}/form")["flow_id"]]
    assert form.request.content == FORM_BODY
    failed = by_id[recorded.flow("http://127.0.0.1:1/unreachable")["flow_id"]]
    assert failed.error is not None and failed.response is None
    ws = by_id[recorded.flow(f"http://127.0.0.1:{recorded.ws_port}/ws")["flow_id"]]
    assert ws.websocket is not None
    assert [m.content for m in ws.websocket.messages] == [b"hello", b"hello", b"\x00\x01\x02\x03", b"\x00\x01\x02\x03"]


def test_capture_json(recorded: Recorded) -> None:
    capture = recorded.capture
    info = json.loads(layout.capture_path(capture.run_dir).read_text(encoding="utf-8"))
    pem = (capture.confdir / "mitmproxy-ca-cert.pem").read_text(encoding="ascii")
    assert info["ca_sha256"] == hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()
    assert info["ca_android_name"] == read_ca(capture.confdir).android_name
    assert (capture.confdir / info["ca_android_name"]).read_text(encoding="ascii") == pem
    host, port = capture.address or ("", 0)
    assert info["proxy"] == f"{host}:{port}" and info["status"] == "stopped" and info["note"] == ""
    assert info["mitmproxy_version"].startswith("12.") and info["confdir"] == str(capture.confdir)
    assert info["started"] < info["ended"]
    assert info["flows"] == len(recorded.of_type("flow"))
    assert info["overhead_ms_per_flow"] == recorded.events[-1]["overhead_ms_per_flow"]
    assert info["unobservable_hosts"] == ["pinned.appaudit.test", "silent.appaudit.test"]
    assert capture.clean and capture.returncode == 0 and not capture.killed


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_android_name_matches_openssl(recorded: Recorded) -> None:
    pem = recorded.capture.confdir / "mitmproxy-ca-cert.pem"
    result = subprocess.run(
        ["openssl", "x509", "-subject_hash_old", "-noout", "-in", str(pem)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert read_ca(recorded.capture.confdir).android_name == result.stdout.strip() + ".0"


# start-up and parallel runs


def test_two_captures_run_in_parallel(tmp_path: Path) -> None:
    with (
        peers.PeerServer.http() as server,
        CaptureProcess(tmp_path / "a") as first,
        CaptureProcess(tmp_path / "b") as second,
    ):
        assert first.address and second.address and first.address[1] != second.address[1]
        info = json.loads(layout.capture_path(first.run_dir).read_text(encoding="utf-8"))
        assert (info["status"], info["ended"], info["flows"]) == ("running", None, None)  # written at start
        assert info["proxy"] == f"127.0.0.1:{first.address[1]}" and len(info["ca_sha256"]) == 64
        for capture, path in ((first, "/first"), (second, "/second")):
            assert peers.http_request(capture.address, "GET", f"http://127.0.0.1:{server.port}{path}")[0] == 200
    for capture, path in ((first, "/first"), (second, "/second")):
        urls = [e["url"] for e in read_events(capture.run_dir) if e["type"] == "flow"]
        assert urls == [f"http://127.0.0.1:{server.port}{path}"]
        assert capture.clean


def mitmdump_alone(tmp_path: Path, *sets: str) -> subprocess.CompletedProcess[str]:
    """mitmdump with the addon but without the supervisor (as a user might run it)."""
    command = [str(find_mitmdump()), "-s", str(ADDON_PATH), "--listen-host", "127.0.0.1", "--listen-port", "0"]
    for option in (f"confdir={tmp_path / 'confdir'}", *sets):
        command += ["--set", option]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        pytest.param((), "--set appaudit_out=RUN_DIR is required", id="missing"),
        pytest.param(("appaudit_out={blocker}/run",), "cannot write", id="unwritable"),
    ],
)
def test_addon_without_a_usable_out_makes_mitmdump_fail(tmp_path: Path, sets: tuple[str, ...], message: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = mitmdump_alone(tmp_path, *(s.format(blocker=blocker) for s in sets))
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_full_disk_makes_mitmdump_fail_loudly(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    layout.events_path(run).symlink_to("/dev/full")
    result = mitmdump_alone(tmp_path, f"appaudit_out={run}")
    assert result.returncode != 0
    assert "No space left on device" in result.stdout + result.stderr


def test_mitmdump_exiting_at_start_is_reported_with_its_output(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        capture = CaptureProcess(tmp_path / "run", listen_port=port)
        with pytest.raises(CaptureError, match="address already in use"):
            capture.start()
    assert not capture.running
    with CaptureProcess(tmp_path / "run") as retry:  # the failed start left empty files only: the dir is reusable
        assert retry.address is not None


def test_run_dir_with_a_capture_is_refused(tmp_path: Path) -> None:
    layout.events_path(tmp_path).write_text("{}\n")
    with pytest.raises(RunDirInUse, match="already holds a capture"):
        CaptureProcess(tmp_path).start()


def test_reserved_options_are_refused(tmp_path: Path) -> None:
    for option in ("appaudit_out=/tmp/x", "save_stream_file=/tmp/y", "ssl_insecure"):
        with pytest.raises(InputError):
            CaptureProcess(tmp_path, extra_options=(option,))


def test_missing_mitmdump_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(MitmdumpNotFound, match="mitmdump not found"):
        find_mitmdump()
    result = CliRunner().invoke(main, ["capture", "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "mitmdump not found" in result.output


# the command, as a real process


def _read_lines(stream: Any, sink: queue.Queue[str]) -> None:
    for line in stream:
        sink.put(line)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_appaudit_capture_command_stops_cleanly(tmp_path: Path, stop_signal: signal.Signals) -> None:
    appaudit = Path(sys.executable).parent / "appaudit"
    run = tmp_path / "run"
    proc = subprocess.Popen(
        [str(appaudit), "capture", "--out", str(run)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(proc.stderr, lines), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        port = None
        while port is None:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if "listening on" in line:
                port = int(line.split("(port ")[1].split(")")[0])
        with peers.PeerServer.http() as server:
            assert peers.http_request(("127.0.0.1", port), "GET", f"http://127.0.0.1:{server.port}/x")[0] == 200
        proc.send_signal(stop_signal)  # to appaudit only, as a terminal's Ctrl-C or a service manager would
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.stdout is not None
    stdout = proc.stdout.read()
    reader.join(timeout=5)
    rest = "".join(lines.get() for _ in range(lines.qsize()))
    assert proc.returncode == 0, rest
    assert stdout == ""
    assert "Capture stopped: 1 flow (0 HTTPS)" in rest and "0 unobservable hosts" in rest
    events = list(read_events(run))
    assert events[-1]["type"] == "done" and events[-1]["flows"] == 1
    info = json.loads(layout.capture_path(run).read_text(encoding="utf-8"))
    assert info["status"] == "stopped" and info["proxy"] == f"127.0.0.1:{port}" and info["flows"] == 1


def test_capture_help_does_not_import_mitmproxy() -> None:
    code = (
        "import sys; from appaudit.cli import main\n"
        "try:\n    main(['capture', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('HEAVY', [m for m in ('mitmproxy', 'cryptography', 'appaudit.traffic.supervisor') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


def test_untrusted_text_is_printed_with_control_characters_escaped() -> None:
    from appaudit.commands.capture import _printable

    assert (
        _printable("evil\x1b]0;title\x07.example.com\nnext\tline") == "evil\\x1b]0;title\\x07.example.com\nnext\tline"
    )
