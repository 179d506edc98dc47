"""The simulated device: an app described by a scenario file, behind the same driver interface as adb.

The device runs, the recorder and the policy search drive it exactly as they drive an emulator; tests and
the demo use it where no device exists. It is not an emulator: it answers ``dump_hierarchy`` with the
scenario's window dumps, moves between screens on taps, swipes and Back, keeps the app's consent state
like app data, and sends the scenario's HTTP(S) requests, on time, through the proxy it was given.

Scenario format (YAML; ``fixtures/scenarios/README.md`` has a worked example)::

    name: compliant
    package: com.appaudit.fixture.compliant
    label: 合规示例                 # the app's name on screen
    template: {package: com.appaudit.sim.app, label: 示例应用}   # rewrite shared window files (optional)
    screens_dir: screens           # window files resolve here (relative to this file)
    permissions: [android.permission.READ_PHONE_STATE]   # runtime permissions requested
    device:                        # all optional: serial, model, manufacturer, android_release, api_level,
      api_level: 34                #   abi, screen [w, h], uid, packages (other installed apps), user_agent
      identifiers: {imei: "358240051111110", android_id: "3f4e8c2a91b7d605", lat: 39.9042, lon: 116.4074}
    network:
      pinned_hosts: {pin.example.cn: handshake}   # or after_handshake; a plain list means handshake
    launcher: launcher.xml         # the home screen's dump (optional)
    launch:                        # a cold start, by the consent state kept in app data
      first_run: {screen: consent, requests: [...]}   # fresh data (never answered); required
      agreed: {screen: home}       # after "agree" (defaults to first_run)
      refused: {screen: consent}   # after "refuse" (defaults to first_run); "exit" is allowed
    screens:
      consent:
        windows: [splash.xml, consent_dialog.xml]   # bottom first; {file: x.xml, modal: false} or {xml: "..."}
        base: other_screen         # optional: that screen's windows go underneath
        back: ignore               # previous (default) | ignore | exit | a screen name
        root: false                # true: entering it clears the back stack (a main interface)
        idle_errors: 0             # the first N dumps after entering answer "ERROR: could not get idle state."
        on_enter: [...]            # requests sent each time the screen becomes current (tap, swipe, back, launch)
        taps:
          - select: {text: 同意}   # resource-id / text / content-desc / class, all exact
            consent: agree         # agree | refuse (kept until clear_data)
            grant: [...]           # or deny: [...] (permission dialogs)
            requests: [...]
            to: home               # a screen, exit (the app closes itself), back, or omitted (stay)
        swipes:                    # finger movement: up scrolls a list down; the new screen replaces this one
          - {direction: up, to: settings_more}   #   (scrolling is not navigation: Back does not undo it)

    # a request
    - {delay_ms: 200, method: POST, url: "https://alog.umeng.com/app_logs",
       headers: {X-App: demo}, json: {imei: "{imei}"}, gzip: true}   # or form: {...} or body: "text"

A window file is a one-window ``uiautomator dump`` in the exact device format. A tap is hit-tested against
the current screen (:mod:`appaudit.device.simulation.screens`): the node that would handle it is found
from the bounds, then the first tap rule whose selector matches that node or a node inside it applies.
Taps that land on nothing clickable, or on a clickable node no rule names, do nothing.

Behaviour worth knowing:

* ``dump_hierarchy`` returns the one-line XML followed by ``UI hierchary dumped to: /dev/tty``, the trailer
  ``adb exec-out uiautomator dump /dev/tty`` prints; animated screens answer the idle-state error instead.
* ``current_package`` is the topmost window's package: a permission dialog is
  ``com.google.android.permissioncontroller``, as on a real device; the launcher when the app is not in
  front. Back on the last screen moves the app to the background (Android 12+ behaviour), ``exit`` kills it.
* ``stop`` and ``clear_data`` kill the app: requests not sent yet are dropped (logged as not sent).
* ``screenshot`` returns a 1×1 grey PNG: valid for code that stores screenshots, not a picture of the screen.
* ``install`` accepts any path and records it; ``install_ca`` keeps the PEM path, and HTTPS then trusts
  exactly that CA; it returns ``"simulated"``.
* ``shell`` understands the few commands the run code may send (``settings put/get global http_proxy``,
  ``getprop [name]``, ``pm clear``, ``pm list packages``, ``pm path``, ``am force-stop``, ``wm size``,
  ``input tap/swipe/keyevent``, ``monkey -p``) and raises DeviceError for anything else.
* Times are host wall-clock seconds (``time.time()``), the clock mitmproxy stamps flows with;
  :meth:`SimulatedDevice.wait_for_traffic` waits until every scheduled request has gone out.

mitmproxy and fake upstream hosts (checked with mitmdump 12.2.3 on a machine without DNS): with the default
``connection_strategy=eager`` mitmproxy connects upstream when it receives ``CONNECT``, the name does not
resolve, the client gets ``502 Bad Gateway`` to its ``CONNECT`` and **no flow is recorded** (``-w`` stays
empty); a pinned client never even starts TLS. ``upstream_cert=false`` alone changes nothing. With
``--set connection_strategy=lazy`` mitmproxy completes TLS with the client first (certificate from the SNI),
reads the request and records it as a flow (with an error and no response: the client sees ``502``), and a
client that does not trust the CA fails the handshake (a client TLS failure, no flow). Plain HTTP is
recorded in both modes. So captures of the simulated device need ``connection_strategy=lazy``; on a machine
*with* network access mitmproxy would then forward the requests to the real hosts, so tests answer every
request inside mitmproxy (a two-line addon setting ``flow.response``) and nothing leaves the host.
"""

from __future__ import annotations

import shlex
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from types import TracebackType

from cryptography import x509

from appaudit.device.driver import DeviceError
from appaudit.device.inspection import AppOp, PackagePermissions, PermissionState
from appaudit.device.simulation.network import Network, RequestSpec, SentRequest
from appaudit.device.simulation.scenario import BACK, EXIT, Effect, Scenario, ScreenSpec, load_scenario
from appaudit.device.simulation.screens import compose, hit_test
from appaudit.evidence.device import DeviceInfo

DUMP_TRAILER = "UI hierchary dumped to: /dev/tty\n"
IDLE_STATE_ERROR = "ERROR: could not get idle state.\n"
PERMISSION_CONTROLLER = "com.google.android.permissioncontroller"
# A 1x1 grey PNG (8-bit greyscale), so code that stores screenshots has real bytes to store.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a4944415478da6368000000820081da45083b0000000049454e44ae426082"
)
MIN_SWIPE = 40  # pixels: a shorter movement is not a scroll
SHELL_UID = "uid=2000(shell) gid=2000(shell) groups=2000(shell) context=u:r:shell:s0"


class SimulatedDevice:
    """A :class:`~appaudit.device.driver.DeviceDriver` (and DeviceInspector) playing one scenario.

    Use it as a context manager, or call :meth:`close`, so the network threads stop.
    """

    def __init__(self, scenario: Scenario | str | Path, *, serial: str | None = None) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.serial = serial or self.scenario.device.serial
        self.installed_apks: list[Path] = []
        self.history: list[tuple[float, str]] = []  # what the device did, for tests and debugging
        self._lock = threading.RLock()
        self._installed = self.scenario.installed
        self._running = False
        self._foreground = False
        self._stack: list[str] = []
        self._consent: str | None = None  # None (never answered) | "agreed" | "refused"
        self._granted: set[str] = set()
        self._idle_left = 0
        self._proxy_setting = "null"
        self._ca_method = "none"
        device = self.scenario.device
        self._net = Network(device.identifiers, self.scenario.pinned, device.user_agent)

    # ----------------------------------------------------------------- lifecycle

    def __enter__(self) -> SimulatedDevice:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Drop requests not sent yet and stop the network threads."""
        self._net.close()

    def wait_for_traffic(self, timeout: float = 10.0) -> bool:
        """Wait until every scheduled request has been sent (or dropped); False on timeout."""
        return self._net.wait_idle(timeout)

    @property
    def network_log(self) -> tuple[SentRequest, ...]:
        return self._net.log

    @property
    def consent_state(self) -> str | None:
        return self._consent

    @property
    def current_screen(self) -> str | None:
        """The scenario screen in front, None when the launcher is."""
        with self._lock:
            return self._stack[-1] if self._in_front() else None

    # ----------------------------------------------------------------- DeviceDriver: facts

    def info(self) -> DeviceInfo:
        d = self.scenario.device
        return DeviceInfo(
            serial=self.serial,
            driver="simulated",
            model=d.model,
            android_release=d.android_release,
            api_level=d.api_level,
            abi=d.abi,
            emulator=True,
            rooted=True,
            ca_install=self._ca_method,
        )

    def getprops(self) -> dict[str, str]:
        d = self.scenario.device
        return {
            "ro.product.model": d.model,
            "ro.product.manufacturer": d.manufacturer,
            "ro.build.version.release": d.android_release,
            "ro.build.version.sdk": str(d.api_level),
            "ro.product.cpu.abi": d.abi,
            "ro.boot.qemu": "1",
            "ro.hardware": "ranchu",
            "ro.serialno": self.serial,
        }

    def getprop(self, name: str) -> str:
        return self.getprops().get(name, "")

    # ----------------------------------------------------------------- DeviceDriver: screen

    def dump_hierarchy(self) -> str:
        with self._lock:
            if not self._in_front():
                return compose([self.scenario.launcher]) + DUMP_TRAILER
            if self._idle_left > 0:
                self._idle_left -= 1
                return IDLE_STATE_ERROR
            return compose(self._screen().windows) + DUMP_TRAILER

    def screenshot(self) -> bytes | None:
        return TINY_PNG

    def screen_size(self) -> tuple[int, int] | None:
        return self.scenario.device.screen

    def current_package(self) -> str | None:
        with self._lock:
            if not self._in_front():
                return self.scenario.launcher_package
            return self._screen().package

    # ----------------------------------------------------------------- DeviceDriver: input

    def tap(self, x: int, y: int) -> None:
        with self._lock:
            if not self._in_front():
                self._tap_launcher(x, y)
                return
            screen = self._screen()
            node = hit_test(screen.windows, x, y)
            if node is None:
                self._note(f"tap ({x},{y}) on {screen.name}: nothing clickable there")
                return
            for rule in screen.taps:
                if rule.selector.matches_within(node):
                    self._note(f"tap ({x},{y}) on {screen.name}: {rule.selector.describe()}")
                    self._apply(rule.effect, f"tap:{screen.name}")
                    return
            self._note(f"tap ({x},{y}) on {screen.name}: {_describe(node)} does nothing")

    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None:
        dx, dy = x2 - x1, y2 - y1
        if max(abs(dx), abs(dy)) < MIN_SWIPE:
            return
        direction = ("left" if dx < 0 else "right") if abs(dx) > abs(dy) else ("up" if dy < 0 else "down")
        with self._lock:
            if not self._in_front():
                return
            screen = self._screen()
            for rule in screen.swipes:
                if rule.direction == direction:
                    self._note(f"swipe {direction} on {screen.name}")
                    self._apply(rule.effect, f"swipe:{screen.name}", replace=True)
                    return
            self._note(f"swipe {direction} on {screen.name}: nothing new scrolls into view")

    def back(self) -> None:
        with self._lock:
            if self._in_front():
                self._back()

    def home(self) -> None:
        with self._lock:
            if self._in_front():
                self._note("home: the app goes to the background")
            self._foreground = False

    # ----------------------------------------------------------------- DeviceDriver: apps

    def install(self, apk: Path) -> None:
        with self._lock:
            self.installed_apks.append(Path(apk))
            self._installed = True
            self._note(f"install {apk}")

    def is_installed(self, package: str) -> bool:
        return package in self.list_packages()

    def list_packages(self) -> tuple[str, ...]:
        own = (self.scenario.package,) if self._installed else ()
        system = (self.scenario.launcher_package, PERMISSION_CONTROLLER, "com.android.settings")
        return (*own, *self.scenario.device.packages, *system)

    def launch(self, package: str) -> None:
        with self._lock:
            self._require_app(package)
            if self._running:
                self._foreground = True
                self._note("launch: the running app comes to the front")
                return
            state = {None: "first_run", "agreed": "agreed", "refused": "refused"}[self._consent]
            effect = self.scenario.launch[state]
            self._running, self._foreground, self._stack = True, True, []
            self._note(f"launch ({state})")
            self._apply(effect, f"launch:{state}")

    def stop(self, package: str) -> None:
        with self._lock:
            if package == self.scenario.package and self._running:
                self._kill("force-stop")

    def clear_data(self, package: str) -> None:
        with self._lock:
            self._require_app(package)
            if self._running:
                self._kill("data cleared")
            self._consent, self._granted = None, set()
            self._note("clear data: the next launch is a first run")

    # ----------------------------------------------------------------- DeviceDriver: proxy, CA, shell

    def set_proxy(self, host: str, port: int) -> None:
        self._net.proxy = (host, int(port))
        self._proxy_setting = f"{host}:{port}"

    def clear_proxy(self) -> None:
        self._net.proxy = None
        self._proxy_setting = ":0"

    def open_url(self, url: str) -> None:
        """Like a browser opening ``url``: one GET through the configured proxy, trusting the installed CA."""
        self._net.schedule((RequestSpec("GET", url),), "open_url")

    def install_ca(self, cert_pem: Path) -> str:
        """Trust ``cert_pem`` for HTTPS from now on (pinned hosts excepted); returns "simulated"."""
        try:
            x509.load_pem_x509_certificate(Path(cert_pem).read_bytes())
        except (OSError, ValueError) as exc:
            raise DeviceError(f"cannot use {cert_pem} as the proxy CA: {exc}") from exc
        self._net.ca_file = Path(cert_pem)
        self._ca_method = "simulated"
        return self._ca_method

    def shell(self, *args: str) -> str:
        """The few shell commands the run code may send (one argument is split like a command line)."""
        words = shlex.split(args[0]) if len(args) == 1 else list(args)
        return _Shell(self).run(words)

    # ----------------------------------------------------------------- DeviceInspector

    def app_uid(self, package: str) -> int | None:
        return self.scenario.device.uid if package == self.scenario.package and self._installed else None

    def android_id_for(self, package: str) -> str | None:
        value = self.scenario.device.identifiers.get("android_id")
        return str(value) if value is not None and package == self.scenario.package else None

    def seed_location(self, lat: float, lon: float) -> bool:
        """Set the device's location (what ``{lat}``/``{lon}`` send from now on), like ``adb emu geo fix``."""
        self._net.values.update(lat=lat, lon=lon)
        return True

    def imei(self) -> str | None:
        value = self.scenario.device.identifiers.get("imei")
        return str(value) if value else None

    def package_permissions(self, package: str) -> PackagePermissions | None:
        if package != self.scenario.package or not self._installed:
            return None
        runtime = tuple(PermissionState(p, p in self._granted) for p in self.scenario.permissions)
        internet = PermissionState("android.permission.INTERNET", True)
        requested = ("android.permission.INTERNET", *self.scenario.permissions)
        return PackagePermissions(package, self.scenario.device.uid, requested, (internet,), runtime)

    def appops(self, package: str) -> tuple[AppOp, ...]:
        return ()

    # ----------------------------------------------------------------- the app's state machine

    def _in_front(self) -> bool:
        return self._running and self._foreground and bool(self._stack)

    def _screen(self) -> ScreenSpec:
        return self.scenario.screens[self._stack[-1]]

    def _require_app(self, package: str) -> None:
        if package != self.scenario.package:
            raise DeviceError(f"the simulated device only runs {self.scenario.package}, not {package}")
        if not self._installed:
            raise DeviceError(f"{package} is not installed on {self.serial}")

    def _apply(self, effect: Effect, trigger: str, *, replace: bool = False) -> None:
        """Consent, permissions and traffic first, then the move (``replace``: scrolling, not navigating)."""
        if effect.consent == "agree":
            self._consent = "agreed"
        elif effect.consent == "refuse":
            self._consent = "refused"
        self._granted |= set(effect.grant)
        self._granted -= set(effect.deny)
        self._net.schedule(effect.requests, trigger)
        if effect.to == EXIT:
            self._kill("the app closed itself")
        elif effect.to == BACK:
            self._back()
        elif effect.to is not None:
            if replace:
                self._stack.pop()
            self._enter(effect.to)

    def _enter(self, name: str, *, push: bool = True) -> None:
        screen = self.scenario.screens[name]
        if push:
            if screen.root:
                self._stack = []
            self._stack.append(name)
        self._idle_left = screen.idle_errors
        self._note(f"screen {name}")
        self._net.schedule(screen.on_enter, f"enter:{name}")

    def _back(self) -> None:
        rule = self._screen().back
        if rule == "ignore":
            self._note(f"back on {self._stack[-1]}: ignored")
        elif rule == EXIT:
            self._kill("the app closed itself on back")
        elif rule == "previous":
            if len(self._stack) > 1:
                self._stack.pop()
                self._enter(self._stack[-1], push=False)
            else:
                self._foreground = False
                self._note("back on the last screen: the app goes to the background")
        else:
            self._stack.pop()
            self._enter(rule)

    def _kill(self, why: str) -> None:
        self._running, self._foreground, self._stack = False, False, []
        dropped = self._net.cancel_pending(f"app stopped ({why})")
        self._note(f"app stopped ({why}); {dropped} pending request(s) dropped")

    def _tap_launcher(self, x: int, y: int) -> None:
        node = hit_test([self.scenario.launcher], x, y)
        if node is not None and self.scenario.label in (node.get("text"), node.get("content-desc")):
            self.launch(self.scenario.package)

    def _note(self, what: str) -> None:
        self.history.append((time.time(), what))


def _describe(node: ET.Element) -> str:
    for attr in ("resource-id", "text", "content-desc"):
        if node.get(attr):
            return f'{attr}="{node.get(attr)}"'
    return node.get("class", "node")


class _Shell:
    """The shell commands the simulated device answers."""

    def __init__(self, device: SimulatedDevice) -> None:
        self.d = device

    def run(self, words: list[str]) -> str:
        d = self.d
        match words:
            case ["settings", "put", "global", "http_proxy", value]:
                if value == ":0":
                    d.clear_proxy()
                else:
                    host, _, port = value.rpartition(":")
                    if not host or not port.isdigit():
                        raise DeviceError(f"bad http_proxy value {value!r} (HOST:PORT or :0)")
                    d.set_proxy(host, int(port))
                return ""
            case ["settings", "get", "global", "http_proxy"]:
                return d._proxy_setting + "\n"
            case ["getprop"]:
                return "".join(f"[{k}]: [{v}]\n" for k, v in sorted(d.getprops().items()))
            case ["getprop", name]:
                return d.getprop(name) + "\n"
            case ["pm", "clear", package]:
                d.clear_data(package)
                return "Success\n"
            case ["pm", "list", "packages", *rest]:
                wanted = rest[-1] if rest else ""
                return "".join(f"package:{p}\n" for p in d.list_packages() if wanted in p)
            case ["pm", "path", package] if d.is_installed(package):
                return f"package:/data/app/~~sim/{package}-sim/base.apk\n"
            case ["am", "force-stop", package]:
                d.stop(package)
                return ""
            case ["wm", "size"]:
                w, h = d.scenario.device.screen
                return f"Physical size: {w}x{h}\n"
            case ["input", "tap", x, y]:
                d.tap(int(x), int(y))
                return ""
            case ["input", "swipe", x1, y1, x2, y2, *duration]:
                d.swipe(int(x1), int(y1), int(x2), int(y2), int(duration[0]) if duration else 300)
                return ""
            case ["input", "keyevent", ("4" | "KEYCODE_BACK")]:
                d.back()
                return ""
            case ["input", "keyevent", ("3" | "KEYCODE_HOME")]:
                d.home()
                return ""
            case ["monkey", "-p", package, *_]:
                d.launch(package)
                return "Events injected: 1\n"
            case ["id"]:
                return SHELL_UID + "\n"
        raise DeviceError(f"the simulated device does not implement `{shlex.join(words)}`")
