"""The capture addon's hooks, called directly with mitmproxy's test helpers (no proxy, no network)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import connection, exceptions, tls
from mitmproxy.proxy import context
from mitmproxy.test import taddons, tflow

from appaudit.traffic import layout
from appaudit.traffic.addon import CaptureAddon
from appaudit.traffic.supervisor import ADDON_PATH


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in layout.events_path(path).read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def addon_in(tmp_path: Path):
    """An addon configured to write into tmp_path, inside a mitmproxy test context."""
    addon = CaptureAddon()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, appaudit_out=str(tmp_path))
        yield addon, tctx
        addon.done()


def tls_data(sni: str | None, server: tuple[str, int] | None, error: str | None = None) -> tls.TlsData:
    client = tflow.tclient_conn()
    client.sni = sni
    client.error = error
    ctx = context.Context(client, taddons.context().options)
    ctx.server = connection.Server(address=server)
    return tls.TlsData(conn=client, context=ctx)


def test_the_script_loads_as_mitmproxy_loads_it(tmp_path: Path) -> None:
    with taddons.context() as tctx:
        script = tctx.script(str(ADDON_PATH))  # loading configures it without appaudit_out: an error is logged
        (addon,) = script.addons
        assert type(addon).__name__ == "CaptureAddon"
        tctx.options.update(appaudit_out=str(tmp_path))  # the script registered its option when it loaded
        addon.configure({"appaudit_out"})
        addon.running()
        addon.done()
    assert [e["type"] for e in events(tmp_path)] == ["running", "done"]


def test_missing_or_unwritable_out_is_an_options_error(tmp_path: Path) -> None:
    addon = CaptureAddon()
    with taddons.context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match="appaudit_out=RUN_DIR is required"):
            addon.configure({"appaudit_out"})
        blocker = tmp_path / "a-file"
        blocker.write_text("not a directory")
        tctx.configure(addon, appaudit_out=str(tmp_path / "ok"))  # what a failed update rolls back to
        with pytest.raises(exceptions.OptionsError, match="cannot write"):
            tctx.configure(addon, appaudit_out=str(blocker / "run"))


def test_out_directory_is_created(tmp_path: Path) -> None:
    addon = CaptureAddon()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, appaudit_out=str(tmp_path / "new" / "run"))
        addon.running()
    assert layout.events_path(tmp_path / "new" / "run").is_file()


def test_running_event_without_a_proxy_server(addon_in, tmp_path: Path) -> None:
    addon, _ = addon_in
    addon.running()
    (running,) = events(tmp_path)
    assert running["type"] == layout.RUNNING and running["listen"] == []
    assert running["mitmproxy_version"].startswith("12.")


def test_flow_event_has_every_field(addon_in, tmp_path: Path) -> None:
    addon, _ = addon_in
    flow = tflow.tflow(resp=True)
    flow.request.headers["content-type"] = "application/json"
    flow.response.headers["content-type"] = "text/html"
    flow.client_conn.sni = "api.example.com"
    addon.requestheaders(flow)
    addon.response(flow)
    (event,) = events(tmp_path)
    assert event == {
        "type": "flow",
        "ts": 946681200,
        "flow_id": flow.id,
        "method": "GET",
        "url": "http://address:22/path",
        "host": "address",
        "port": 22,
        "scheme": "http",
        "http_version": "HTTP/1.1",
        "status": 200,
        "request_bytes": 7,
        "response_bytes": 7,
        "request_content_type": "application/json",
        "response_content_type": "text/html",
        "sni": "api.example.com",
        "client": "127.0.0.1:22",
        "websocket": False,
        "error": None,
    }


def test_failed_flow_has_no_status_and_the_error(addon_in, tmp_path: Path) -> None:
    addon, _ = addon_in
    flow = tflow.tflow(err=True)
    addon.error(flow)
    (event,) = events(tmp_path)
    assert event["status"] is None and event["response_bytes"] == 0 and event["error"] == "error"


def test_streamed_body_size_is_unknown_not_zero(addon_in, tmp_path: Path) -> None:
    addon, _ = addon_in
    flow = tflow.tflow(resp=True)
    flow.response.stream = True
    flow.response.raw_content = None
    addon.response(flow)
    assert events(tmp_path)[0]["response_bytes"] is None


def test_websocket_upgrade_and_messages(addon_in, tmp_path: Path) -> None:
    addon, _ = addon_in
    flow = tflow.twebsocketflow()
    messages = flow.websocket.messages
    flow.websocket.messages = []
    addon.response(flow)  # the upgrade
    for message in messages:
        flow.websocket.messages.append(message)
        addon.websocket_message(flow)
    upgrade, *frames = events(tmp_path)
    assert upgrade["status"] == 101 and upgrade["websocket"] is True
    assert [(f["index"], f["from_client"], f["bytes"], f["is_text"], f["ts"]) for f in frames] == [
        (0, True, 12, False, 946681203),
        (1, True, 10, True, 946681204),
        (2, False, 7, True, 946681205),
    ]
    assert {f["flow_id"] for f in frames} == {flow.id}


def test_tls_failed_event(addon_in, tmp_path: Path) -> None:
    addon, _ = addon_in
    data = tls_data("pinned.example.com", ("93.184.216.34", 443), "The client does not trust the proxy's certificate")
    addon.tls_failed_client(data)
    (event,) = events(tmp_path)
    assert event["type"] == "tls_failed" and event["sni"] == "pinned.example.com"
    assert event["server"] == "93.184.216.34:443" and event["client"] == "127.0.0.1:22"
    assert event["error"] == "The client does not trust the proxy's certificate"
    assert event["conn_id"] == data.conn.id


def test_tls_then_silence_is_tls_no_request(addon_in, tmp_path: Path) -> None:
    addon, _ = addon_in
    silent = tls_data("silent.example.com", ("10.0.0.1", 443))
    talking = tls_data("talking.example.com", ("10.0.0.2", 443))
    raw_tcp = tls_data("mqtt.example.com", ("10.0.0.3", 8883))
    for data in (silent, talking, raw_tcp):
        addon.tls_established_client(data)
    flow = tflow.tflow(client_conn=talking.conn, resp=True)
    addon.requestheaders(flow)
    addon.response(flow)
    addon.tcp_start(tflow.ttcpflow(client_conn=raw_tcp.conn))
    for data in (silent, talking, raw_tcp):
        addon.client_disconnected(data.conn)
    addon.client_disconnected(tflow.tclient_conn())  # never did TLS: nothing to say
    kinds = [(e["type"], e.get("sni")) for e in events(tmp_path)]
    assert kinds == [("flow", "talking.example.com"), ("tls_no_request", "silent.example.com")]
    no_request = events(tmp_path)[1]
    assert no_request["server"] == "10.0.0.1:443" and no_request["established_ts"] <= no_request["ts"]


def test_done_reports_counts_and_overhead(tmp_path: Path) -> None:
    addon = CaptureAddon()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, appaudit_out=str(tmp_path))
        for _ in range(3):
            flow = tflow.tflow(resp=True)
            flow.request.scheme = "https"
            addon.requestheaders(flow)
            addon.response(flow)
        addon.tls_failed_client(tls_data("x.example.com", ("10.0.0.1", 443)))
        addon.done()
    done = events(tmp_path)[-1]
    assert done["type"] == "done"
    assert (done["flows"], done["https_flows"], done["tls_failed"], done["tls_no_request"]) == (3, 3, 1, 0)
    assert 0 < done["overhead_ms_per_flow"] < 50
    assert done["overhead_ms_total"] == pytest.approx(done["overhead_ms_per_flow"] * 3, abs=0.01)


def test_events_go_to_an_injected_stream() -> None:
    stream = io.StringIO()
    addon = CaptureAddon(stream)
    with taddons.context(addon):
        addon.response(tflow.tflow(resp=True))
    assert json.loads(stream.getvalue())["type"] == "flow"


class _FullDisk(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")


def test_write_failure_stops_the_proxy_and_blocks_traffic(caplog: pytest.LogCaptureFixture) -> None:
    addon = CaptureAddon(_FullDisk())
    with taddons.context(addon) as tctx, caplog.at_level(logging.ERROR):
        addon.response(tflow.tflow(resp=True))
        tctx.master.event_loop.run_until_complete(asyncio.sleep(0))  # let the scheduled shutdown run
        assert tctx.master.should_exit.is_set()
        assert addon.failed
        assert "No space left on device" in caplog.text and "shutting the proxy down" in caplog.text
        later = tflow.tflow()
        addon.requestheaders(later)
        assert later.error is not None and later.error.msg == "Connection killed."


def test_ipv6_addresses_are_bracketed(addon_in, tmp_path: Path) -> None:
    addon, _ = addon_in
    flow = tflow.tflow(resp=True)
    flow.client_conn.peername = ("::1", 5555, 0, 0)
    addon.response(flow)
    assert events(tmp_path)[0]["client"] == "[::1]:5555"


def test_hooks_are_plain_functions_with_mitmproxy_names() -> None:
    """A typo in a hook name would silently never run: every public method must be a mitmproxy hook."""
    from mitmproxy import hooks

    public = {name for name in vars(CaptureAddon) if not name.startswith("_")}
    assert public <= set(hooks.all_hooks), public - set(hooks.all_hooks)
