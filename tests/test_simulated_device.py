"""The simulated device: scenario files, hit-testing, transitions, app state, dumps, and real traffic.

The network tests start a real ``mitmdump`` on 127.0.0.1 (``--listen-port 0``, its own confdir) with a
two-line addon that answers every request itself, so nothing leaves the host, and read the flows back
from its ``-w`` file with :class:`mitmproxy.io.FlowReader`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from mitmproxy import io

from appaudit.device.driver import DeviceDriver, DeviceError
from appaudit.device.inspection import DeviceInspector
from appaudit.device.simulated import SimulatedDevice
from appaudit.device.simulation.scenario import ScenarioError, load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
ALL_SCENARIOS = sorted(SCENARIOS.glob("*.yaml"))
LAUNCHER = "com.google.android.apps.nexuslauncher"
PERMISSION_CONTROLLER = "com.google.android.permissioncontroller"
TRAILER = "UI hierchary dumped to: /dev/tty\n"
# The attributes of a uiautomator <node>, in the order the dumper writes them (NAF, when present, first).
NODE_ATTRIBUTES = [
    "index",
    "text",
    "resource-id",
    "class",
    "package",
    "content-desc",
    "checkable",
    "checked",
    "clickable",
    "enabled",
    "focusable",
    "focused",
    "scrollable",
    "long-clickable",
    "password",
    "selected",
    "bounds",
]


def device(name: str) -> SimulatedDevice:
    return SimulatedDevice(SCENARIOS / f"{name}.yaml")


@pytest.fixture
def sim(request: pytest.FixtureRequest) -> Iterator[SimulatedDevice]:
    d = device(request.param)
    yield d
    d.close()


def nodes(dump: str) -> list[ET.Element]:
    start, end = dump.index("<hierarchy"), dump.rindex("</hierarchy>") + len("</hierarchy>")
    return list(ET.fromstring(dump[start:end]).iter("node"))


def find(dump: str, **attrs: str) -> ET.Element:
    wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
    matches = [n for n in nodes(dump) if all(n.get(k) == v for k, v in wanted.items())]
    assert matches, f"no node with {wanted}"
    return matches[-1]  # the topmost window's, when several windows have one


def center(node: ET.Element) -> tuple[int, int]:
    x1, y1, x2, y2 = map(int, re.findall(r"-?\d+", node.get("bounds", "")))
    return (x1 + x2) // 2, (y1 + y2) // 2


def tap(d: SimulatedDevice, **attrs: str) -> None:
    d.tap(*center(find(d.dump_hierarchy(), **attrs)))


def launch(d: SimulatedDevice) -> None:
    d.launch(d.scenario.package)


# ----------------------------------------------------------------- scenario files


@pytest.mark.parametrize("path", ALL_SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_loads_and_its_tap_rules_name_real_nodes(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.package and scenario.description
    for screen in scenario.screens.values():
        for rule in screen.taps:
            assert any(rule.selector.matches_within(w.root) for w in screen.windows), (screen.name, rule.selector)
        for window in screen.windows[1:]:
            assert window.modal, (screen.name, window.source)


def test_the_scenarios_the_project_needs_exist() -> None:
    assert {p.stem for p in ALL_SCENARIOS} >= {
        "compliant",
        "pre_consent_collection",
        "permission_burst",
        "policy_depth_3",
        "policy_depth_4",
        "policy_depth_5",
        "policy_by_swipe",
        "reprompt_after_refusal",
        "exit_on_refusal",
        "prechecked_consent",
        "webview_policy",
        "acknowledge_only",
    }


@pytest.mark.parametrize("path", sorted((SCENARIOS / "screens").glob("*.xml")), ids=lambda p: p.name)
def test_window_files_are_one_line_uiautomator_dumps(path: Path) -> None:
    content = path.read_text(encoding="utf-8")
    assert "\n" not in content
    assert content.startswith("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">")
    for node in nodes(content):
        names = list(node.attrib)
        assert names in (NODE_ATTRIBUTES, ["NAF", *NODE_ATTRIBUTES]), (path.name, names)
        assert re.fullmatch(r"\[\d+,\d+\]\[\d+,\d+\]", node.get("bounds", ""))


def write_scenario(tmp_path: Path, body: str) -> Path:
    (tmp_path / "w.xml").write_text(
        (SCENARIOS / "screens" / "splash.xml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = tmp_path / "s.yaml"
    path.write_text("package: com.x\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("launch: {first_run: {screen: a}}\nscreens: {a: {windows: [w.xml]}}\nextra: 1\n", "unknown keys"),
        ("launch: {first_run: {screen: b}}\nscreens: {a: {windows: [w.xml]}}\n", "unknown screen 'b'"),
        (
            "launch: {first_run: {screen: a, requests: [{url: 'https://h/{imei}'}]}}\n"
            "screens: {a: {windows: [w.xml]}}\n",
            "not in device.identifiers",
        ),
        ("launch: {first_run: {screen: a}}\nscreens: {a: {windows: [missing.xml]}}\n", "cannot read"),
        ("launch: {first_run: {screen: a}}\nscreens: {a: {windows: [{xml: '<x/>'}]}}\n", "not a uiautomator dump"),
        (
            "launch: {first_run: {screen: a}}\nscreens: {a: {windows: [w.xml], swipes: [{direction: sideways}]}}\n",
            "direction",
        ),
        ("launch: {first_run: {screen: a}}\nscreens: {a: {windows: [w.xml], taps: [{select: {txt: x}}]}}\n", "select"),
    ],
)
def test_invalid_scenarios_name_the_problem(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=re.escape(message)):
        load_scenario(write_scenario(tmp_path, body))


def test_the_template_package_and_label_are_rewritten() -> None:
    with device("compliant") as d:
        launch(d)
        dump = d.dump_hierarchy()
    assert "com.appaudit.sim.app" not in dump and "示例应用" not in dump
    assert find(dump, resource_id="com.appaudit.fixture.compliant:id/btn_agree").get("text") == "同意"
    assert "欢迎使用合规示例" in dump or "使用合规示例" in dump


# ----------------------------------------------------------------- the driver interface


def test_it_implements_the_driver_and_inspector_protocols() -> None:
    with device("compliant") as d:
        assert isinstance(d, DeviceDriver) and isinstance(d, DeviceInspector)
        info = d.info()
        assert (info.driver, info.api_level, info.emulator, info.ca_install) == ("simulated", 34, True, "none")
        assert d.is_installed("com.appaudit.fixture.compliant") and d.is_installed("com.appaudit.canary.alpha")
        assert not d.is_installed("com.not.installed")
        assert d.screenshot().startswith(b"\x89PNG\r\n\x1a\n")
        assert d.screen_size() == (1080, 2400)
        assert d.app_uid("com.appaudit.fixture.compliant") == 10191
        assert d.android_id_for("com.appaudit.fixture.compliant") == "3f4e8c2a91b7d605"
        assert d.imei() == "358240051111110"


def test_dump_has_the_trailer_and_the_launcher_shows_before_launch() -> None:
    with device("compliant") as d:
        assert d.current_package() == LAUNCHER
        assert d.dump_hierarchy().endswith(f"</hierarchy>{TRAILER}")
        launch(d)
        dump = d.dump_hierarchy()
        assert dump.endswith(f"</hierarchy>{TRAILER}") and dump.count("\n") == 1
        roots = list(ET.fromstring(dump[dump.index("<hierarchy") : dump.rindex(">") + 1]))
        assert len(roots) == 2  # the splash activity, and the consent dialog as a second window root


def test_an_animated_screen_fails_its_first_dumps() -> None:
    with device("policy_by_swipe") as d:
        launch(d)
        tap(d, text="同意")
        assert d.current_screen == "home"
        assert d.dump_hierarchy() == "ERROR: could not get idle state.\n"
        assert d.dump_hierarchy() == "ERROR: could not get idle state.\n"
        assert d.dump_hierarchy().endswith(TRAILER)


# ----------------------------------------------------------------- hit-testing


def test_a_tap_inside_a_dialog_does_not_reach_the_app_below(tmp_path: Path) -> None:
    screens = SCENARIOS / "screens"
    path = tmp_path / "dialog_over_home.yaml"
    path.write_text(
        f"package: com.appaudit.sim.app\nscreens_dir: {screens}\n"
        "launch: {first_run: {screen: prompt}}\n"
        "screens:\n"
        "  prompt:\n    windows: [home.xml, consent_dialog.xml]\n"
        "    taps: [{select: {text: 同意}, to: home},"
        " {select: {resource-id: 'com.appaudit.sim.app:id/feed_item'}, to: feed}]\n"
        "  home: {windows: [home.xml]}\n  feed: {windows: [policy.xml]}\n",
        encoding="utf-8",
    )
    with SimulatedDevice(path) as d:
        launch(d)
        dump = d.dump_hierarchy()
        title = find(dump, text="个人信息保护指引")  # inside the dialog, above a feed item of the home screen
        feed_items = [n for n in nodes(dump) if n.get("resource-id", "").endswith("feed_item")]
        x, y = center(title)
        assert any(_inside(n, x, y) for n in feed_items)
        d.tap(x, y)
        assert d.current_screen == "prompt"
        d.tap(540, 2245)  # outside the dialog, on the home screen's tab bar: the modal dialog swallows it
        assert d.current_screen == "prompt"
        tap(d, text="同意")
        assert d.current_screen == "home"


def _inside(node: ET.Element, x: int, y: int) -> bool:
    x1, y1, x2, y2 = map(int, re.findall(r"\d+", node.get("bounds", "")))
    return x1 <= x < x2 and y1 <= y < y2


def test_a_tap_outside_any_clickable_node_does_nothing() -> None:
    with device("compliant") as d:
        launch(d)
        tap(d, text="同意")
        before = d.dump_hierarchy()
        d.tap(1060, 200)  # the top bar right of the scan icon: the bar itself is not clickable
        assert d.history[-1][1].endswith("nothing clickable there")
        d.tap(*center(find(before, resource_id="com.appaudit.fixture.compliant:id/banner")))  # clickable, no rule
        assert d.current_screen == "home" and d.dump_hierarchy() == before


def test_the_clickable_ancestor_handles_a_tap_on_its_label() -> None:
    with device("compliant") as d:
        launch(d)
        tap(d, text="同意")
        tap(d, text="我的")  # the label TextView is not clickable; its tab FrameLayout is
        assert d.current_screen == "mine"
        tap(d, content_desc="设置")  # the icon-only gear: only a content-desc names it
        assert d.current_screen == "settings"


# ----------------------------------------------------------------- transitions and state


def test_compliant_policy_is_three_taps_away_and_back_returns() -> None:
    with device("compliant") as d:
        launch(d)
        assert d.current_package() == "com.appaudit.fixture.compliant"
        tap(d, text="同意")
        for label, screen in (("我的", "mine"), ("设置", "settings"), ("隐私政策", "policy")):
            tap(d, text=label)
            assert d.current_screen == screen
        assert "一、我们如何收集和使用您的个人信息" in d.dump_hierarchy()
        d.back()
        assert d.current_screen == "settings"
        d.back()
        assert d.current_screen == "mine"
        d.back()  # the last screen: the app goes to the background
        assert d.current_package() == LAUNCHER
        launch(d)  # warm start: where it was
        assert d.current_screen == "mine"


def test_clear_data_resets_consent() -> None:
    with device("compliant") as d:
        launch(d)
        assert d.current_screen == "consent"
        tap(d, text="同意")
        assert d.consent_state == "agreed"
        d.stop(d.scenario.package)
        assert d.current_package() == LAUNCHER
        launch(d)
        assert d.current_screen == "home"  # agreed before: no dialog
        d.clear_data(d.scenario.package)
        assert d.consent_state is None and d.current_package() == LAUNCHER
        launch(d)
        assert d.current_screen == "consent"


def test_exit_on_refusal_leaves_the_launcher_in_front() -> None:
    with device("exit_on_refusal") as d:
        launch(d)
        tap(d, text="不同意")
        assert d.current_package() == LAUNCHER and d.consent_state == "refused"
        launch(d)
        assert d.current_screen == "consent"


def test_reprompt_returns_twice_then_exits() -> None:
    with device("reprompt_after_refusal") as d:
        launch(d)
        tap(d, text="不同意")
        assert d.current_screen == "reprompt"
        tap(d, text="仍不同意")
        assert d.current_screen == "consent_again"
        tap(d, text="不同意")
        assert d.current_package() == LAUNCHER


def test_compliant_refusal_leaves_a_basic_mode() -> None:
    with device("compliant") as d:
        launch(d)
        tap(d, text="不同意")
        assert d.current_screen == "home_basic"
        d.stop(d.scenario.package)
        launch(d)
        assert d.current_screen == "home_basic"  # the refusal is remembered; no re-prompt


def test_back_is_ignored_on_a_consent_dialog() -> None:
    with device("compliant") as d:
        launch(d)
        d.back()
        assert d.current_screen == "consent"


def test_permission_dialogs_come_before_consent_and_change_permission_state() -> None:
    with device("permission_burst") as d:
        launch(d)
        assert d.current_package() == PERMISSION_CONTROLLER
        tap(d, resource_id="com.android.permissioncontroller:id/permission_allow_button")
        assert d.current_screen == "permission_location"
        tap(d, text="不允许")
        d.back()  # back on the contacts dialog counts as deny
        assert d.current_screen == "consent" and d.current_package() == "com.appaudit.sim.permburst"
        perms = d.package_permissions("com.appaudit.sim.permburst")
        assert perms is not None and perms.granted_runtime == ("android.permission.READ_PHONE_STATE",)


def test_a_swipe_reveals_the_policy_entry() -> None:
    with device("policy_by_swipe") as d:
        launch(d)
        tap(d, text="同意")
        while d.dump_hierarchy().startswith("ERROR"):
            pass
        tap(d, text="我的")
        tap(d, text="设置")
        assert "隐私政策" not in d.dump_hierarchy()
        d.swipe(540, 1800, 540, 720)  # finger up: the list scrolls down
        assert d.current_screen == "settings_scrolled"
        tap(d, text="隐私政策")
        assert d.current_screen == "policy"
        d.back()
        assert d.current_screen == "settings_scrolled"
        d.back()  # scrolling was not navigation
        assert d.current_screen == "mine"


def test_prechecked_checkbox_is_checked_and_toggles() -> None:
    with device("prechecked_consent") as d:
        launch(d)
        assert find(d.dump_hierarchy(), class_="android.widget.CheckBox").get("checked") == "true"
        tap(d, class_="android.widget.CheckBox")
        assert find(d.dump_hierarchy(), class_="android.widget.CheckBox").get("checked") == "false"
        tap(d, text="同意并继续")  # does nothing while unticked
        assert d.current_screen == "consent_unticked"


def test_acknowledge_only_has_a_single_choice() -> None:
    with device("acknowledge_only") as d:
        launch(d)
        buttons = [n for n in nodes(d.dump_hierarchy()) if n.get("class") == "android.widget.Button"]
        assert [b.get("text") for b in buttons] == ["我知道了"]


def test_shell_answers_known_commands_and_refuses_others() -> None:
    with device("compliant") as d:
        d.shell("settings", "put", "global", "http_proxy", "127.0.0.1:8080")
        assert d.shell("settings get global http_proxy") == "127.0.0.1:8080\n"
        d.shell("settings put global http_proxy :0")
        assert d.shell("settings", "get", "global", "http_proxy") == ":0\n"
        assert d.shell("getprop ro.build.version.sdk") == "34\n"
        assert "[ro.product.model]: [sdk_gphone64_x86_64]" in d.shell("getprop")
        assert d.shell("pm list packages com.appaudit.fixture.compliant") == "package:com.appaudit.fixture.compliant\n"
        assert d.shell("wm size") == "Physical size: 1080x2400\n"
        assert d.shell("monkey -p com.appaudit.fixture.compliant -c android.intent.category.LAUNCHER 1")
        assert d.current_screen == "consent"
        assert d.shell("pm clear com.appaudit.fixture.compliant") == "Success\n"
        with pytest.raises(DeviceError, match="does not implement"):
            d.shell("reboot")
        with pytest.raises(DeviceError):
            d.launch("com.other.app")


def test_install_records_the_path_and_install_ca_checks_the_file(tmp_path: Path) -> None:
    with device("compliant") as d:
        d.install(tmp_path / "any.apk")
        assert d.installed_apks == [tmp_path / "any.apk"]
        bad = tmp_path / "ca.pem"
        bad.write_text("not a certificate")
        with pytest.raises(DeviceError, match="proxy CA"):
            d.install_ca(bad)


def test_requests_are_not_sent_without_a_proxy_and_dropped_when_the_app_stops() -> None:
    with device("pre_consent_collection") as d:
        launch(d)
        d.stop(d.scenario.package)  # before 0.2 s: the pending requests die with the process
        assert d.wait_for_traffic(2)
        assert [r.outcome for r in d.network_log] == ["not sent: app stopped (force-stop)"] * 3
        launch(d)
        assert d.wait_for_traffic(3)
        assert all(r.outcome.startswith("not sent: no proxy") for r in d.network_log[3:])


# ----------------------------------------------------------------- real traffic through mitmdump

SINK_ADDON = """from mitmproxy import http


def request(flow: http.HTTPFlow) -> None:
    flow.response = http.Response.make(200, b"ok", {"Content-Type": "text/plain"})
"""


@dataclass
class Proxy:
    process: subprocess.Popen[str]
    port: int
    ca: Path
    flows_file: Path
    log: list[str] = field(default_factory=list)

    def flows(self) -> list:  # type: ignore[type-arg]
        with self.flows_file.open("rb") as f:
            return list(io.FlowReader(f).stream())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_mitmdump(directory: Path, *options: str, sink: bool = True) -> Proxy:
    directory.mkdir(parents=True, exist_ok=True)
    flows_file = directory / "flows.mitm"
    command = [str(Path(sys.executable).with_name("mitmdump")), "--listen-host", "127.0.0.1", "--listen-port", "0"]
    command += ["--set", f"confdir={directory}", "-w", str(flows_file)]
    for option in options:
        command += ["--set", option]
    if sink:
        (directory / "sink.py").write_text(SINK_ADDON, encoding="utf-8")
        command += ["-s", str(directory / "sink.py")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    proxy = Proxy(process, 0, directory / "mitmproxy-ca-cert.pem", flows_file)
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            proxy.log.append(line)
            m = re.search(r"listening at .*:(\d+)", line)
            if m:
                proxy.port = int(m.group(1))
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(30):
        proxy.stop()
        raise RuntimeError("mitmdump did not start: " + "".join(proxy.log))
    deadline = time.monotonic() + 10
    while not proxy.ca.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return proxy


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    p = start_mitmdump(tmp_path_factory.mktemp("mitm"), "connection_strategy=lazy")
    yield p
    p.stop()


def connected(name: str, proxy: Proxy) -> SimulatedDevice:
    d = device(name)
    d.set_proxy("127.0.0.1", proxy.port)
    assert d.install_ca(proxy.ca) == "simulated"
    return d


def flows_since(proxy: Proxy, t0: float, host: str) -> list:  # type: ignore[type-arg]
    return [f for f in proxy.flows() if f.request.timestamp_start >= t0 and f.request.pretty_host == host]


def test_pre_consent_requests_really_arrive_through_the_proxy(proxy: Proxy) -> None:
    with connected("pre_consent_collection", proxy) as d:
        t0 = time.time()
        launch(d)  # and never answer the consent dialog
        assert d.wait_for_traffic(10)
        assert d.current_screen == "consent" and d.consent_state is None
        outcomes = {r.url.split("?")[0]: r.outcome for r in d.network_log}
    (umeng,) = flows_since(proxy, t0, "alog.umeng.com")
    assert umeng.request.method == "POST" and umeng.request.pretty_url == "https://alog.umeng.com/app_logs"
    assert umeng.request.headers["Content-Encoding"] == "gzip"
    body = json.loads(umeng.request.get_content())
    assert body["imei"] == "358240051111110" and body["android_id"] == "3f4e8c2a91b7d605"
    assert 0.18 <= umeng.request.timestamp_start - t0 < 2.0  # sent 0.2 s after launch, on the host clock
    (jpush,) = flows_since(proxy, t0, "stats.jpush.cn")
    assert jpush.request.pretty_url == "http://stats.jpush.cn/v3/report"
    assert dict(jpush.request.urlencoded_form) == {
        "imei": "358240051111110",
        "aid": "3f4e8c2a91b7d605",
        "lat": "39.9042",
        "lng": "116.4074",
    }
    assert outcomes["https://alog.umeng.com/app_logs"] == "HTTP 200"
    # the pinned host: a TLS failure at the proxy, never a flow
    assert flows_since(proxy, t0, "api.pinned.appaudit-sim.cn") == []
    assert outcomes["https://api.pinned.appaudit-sim.cn/v1/device"].startswith("tls-failed")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not _tls_failure_logged(proxy, "api.pinned.appaudit-sim.cn"):
        time.sleep(0.05)
    assert _tls_failure_logged(proxy, "api.pinned.appaudit-sim.cn"), "".join(proxy.log)


def _tls_failure_logged(proxy: Proxy, host: str) -> bool:
    return any("tls handshake failed" in line.lower() and host in line for line in proxy.log)


def test_compliant_sends_nothing_before_agreement(proxy: Proxy) -> None:
    with connected("compliant", proxy) as d:
        t0 = time.time()
        launch(d)
        time.sleep(0.4)
        assert d.network_log == () and flows_since(proxy, t0, "alog.umeng.com") == []
        tap(d, text="同意")
        assert d.wait_for_traffic(10)
    (config,) = flows_since(proxy, t0, "api.appaudit-sim.cn")
    assert config.request.method == "GET" and config.request.query["platform"] == "android"
    (umeng,) = flows_since(proxy, t0, "alog.umeng.com")
    assert json.loads(umeng.request.get_content())["android_id"] == "3f4e8c2a91b7d605"


def test_webview_policy_url_is_fetched_when_the_page_opens(proxy: Proxy) -> None:
    with connected("webview_policy", proxy) as d:
        launch(d)
        tap(d, text="同意")
        tap(d, text="我的")
        tap(d, text="设置")
        t0 = time.time()
        tap(d, text="隐私政策")
        texts = [n.get("text") for n in nodes(d.dump_hierarchy()) if n.get("text")]
        assert texts == []  # the WebView page shows no accessible text at all
        assert d.wait_for_traffic(10)
    (page,) = flows_since(proxy, t0, "h5.appaudit-sim.cn")
    assert page.request.path.startswith("/agreement/privacy.html")
    assert page.request.headers["Accept"].startswith("text/html")


def test_pinning_after_the_handshake_sends_no_request(proxy: Proxy, tmp_path: Path) -> None:
    path = tmp_path / "pinned.yaml"
    path.write_text(
        f"package: com.x\nscreens_dir: {SCENARIOS / 'screens'}\n"
        "network: {pinned_hosts: {okhttp.pinned.appaudit-sim.cn: after_handshake}}\n"
        "launch: {first_run: {screen: a, requests: [{url: 'https://okhttp.pinned.appaudit-sim.cn/v1/x'}]}}\n"
        "screens: {a: {windows: [splash.xml]}}\n",
        encoding="utf-8",
    )
    with SimulatedDevice(path) as d:
        d.set_proxy("127.0.0.1", proxy.port)
        d.install_ca(proxy.ca)
        t0 = time.time()
        launch(d)
        assert d.wait_for_traffic(10)
        (entry,) = d.network_log
    assert entry.outcome.startswith("pinned: certificate pin mismatch")
    assert flows_since(proxy, t0, "okhttp.pinned.appaudit-sim.cn") == []


def test_eager_connection_strategy_records_no_https_flow_for_an_unresolvable_host(tmp_path: Path) -> None:
    """The finding in the simulated module's docstring: without connection_strategy=lazy, mitmproxy fails the
    CONNECT (502) when the host does not resolve, and records nothing; plain HTTP is still recorded."""
    path = tmp_path / "eager.yaml"
    path.write_text(
        f"package: com.x\nscreens_dir: {SCENARIOS / 'screens'}\n"
        "launch: {first_run: {screen: a, requests: [{url: 'https://sdk.appaudit.invalid/a'},"
        " {url: 'http://sdk.appaudit.invalid/b'}]}}\n"
        "screens: {a: {windows: [splash.xml]}}\n",
        encoding="utf-8",
    )
    eager = start_mitmdump(tmp_path / "eager", sink=False)
    try:
        with SimulatedDevice(path) as d:
            d.set_proxy("127.0.0.1", eager.port)
            d.install_ca(eager.ca)
            launch(d)
            assert d.wait_for_traffic(15)
            outcomes = {r.url: r.outcome for r in d.network_log}
        assert "502" in outcomes["https://sdk.appaudit.invalid/a"]
        assert [f.request.pretty_url for f in eager.flows()] == ["http://sdk.appaudit.invalid/b"]
    finally:
        eager.stop()
