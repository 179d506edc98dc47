"""Scenario files for the simulated device: loading and validating them (the format is documented in
:mod:`appaudit.device.simulated` and ``fixtures/scenarios/README.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from appaudit.device.simulation.network import BUILTIN_PLACEHOLDERS, PIN_MODES, RequestSpec
from appaudit.device.simulation.screens import ScreenFormatError, Selector, Window, parse_window, retarget
from appaudit.errors import InputError

EXIT, BACK = "exit", "back"  # transition targets that are not screens
BACK_RULES = ("previous", "ignore", EXIT)
DIRECTIONS = ("up", "down", "left", "right")
LAUNCH_STATES = ("first_run", "agreed", "refused")
CONSENT_ACTIONS = ("agree", "refuse")
SELECTOR_KEYS = {"resource-id": "resource_id", "text": "text", "content-desc": "content_desc", "class": "class_name"}
DEFAULT_LAUNCHER_PACKAGE = "com.google.android.apps.nexuslauncher"


class ScenarioError(InputError):
    """A scenario file is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class Effect:
    """What a tap, a swipe or a launch does: state changes, traffic, then where the app goes."""

    to: str | None = None  # a screen name, "exit", "back", or None (stay)
    consent: str | None = None  # "agree" | "refuse"
    grant: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    requests: tuple[RequestSpec, ...] = ()


@dataclass(frozen=True)
class TapRule:
    selector: Selector
    effect: Effect


@dataclass(frozen=True)
class SwipeRule:
    direction: str
    effect: Effect


@dataclass(frozen=True)
class ScreenSpec:
    name: str
    windows: tuple[Window, ...]
    taps: tuple[TapRule, ...] = ()
    swipes: tuple[SwipeRule, ...] = ()
    back: str = "previous"  # "previous" | "ignore" | "exit" | a screen name
    on_enter: tuple[RequestSpec, ...] = ()
    idle_errors: int = 0  # the first N dumps after entering return "ERROR: could not get idle state."
    root: bool = False  # entering it clears the back stack (a main interface)

    @property
    def package(self) -> str:
        return self.windows[-1].package


@dataclass(frozen=True)
class DeviceProfile:
    serial: str
    model: str = "sdk_gphone64_x86_64"
    manufacturer: str = "Google"
    android_release: str = "14"
    api_level: int = 34
    abi: str = "x86_64"
    screen: tuple[int, int] = (1080, 2400)
    uid: int = 10123
    packages: tuple[str, ...] = ()  # other installed packages (canaries)
    identifiers: Mapping[str, Any] = field(default_factory=dict)  # placeholder values: imei, android_id, lat, ...
    user_agent: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    source: Path
    package: str
    label: str
    device: DeviceProfile
    launch: Mapping[str, Effect]  # "first_run" | "agreed" | "refused" -> the screen (effect.to) and requests
    screens: Mapping[str, ScreenSpec]
    launcher: Window
    description: str = ""
    permissions: tuple[str, ...] = ()  # runtime permissions the app requests
    pinned: Mapping[str, str] = field(default_factory=dict)  # host -> "handshake" | "after_handshake"
    installed: bool = True

    @property
    def launcher_package(self) -> str:
        return self.launcher.package


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario YAML file (window files resolve against ``screens_dir``)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc}") from exc
    return _Builder(path, data).build()


class _Builder:
    TOP_KEYS = frozenset(
        {"name", "description", "package", "label", "template", "screens_dir", "device", "network", "launch"}
        | {"screens", "launcher", "permissions", "installed"}
    )

    def __init__(self, path: Path, data: Any) -> None:
        self.path = path
        self.data = self._mapping(data, "the file")
        self.base = path.parent / str(self.data.get("screens_dir", "."))
        template = self._mapping(self.data.get("template", {}), "template")
        self.package = self._text(self.data.get("package"), "package")
        self.label = str(self.data.get("label", template.get("label", "")))
        self.package_map = (str(template["package"]), self.package) if "package" in template else None
        self.replacements = [(str(template["label"]), self.label)] if template.get("label") else []
        self.identifiers: dict[str, Any] = {}

    def fail(self, message: str) -> ScenarioError:
        return ScenarioError(f"scenario {self.path}: {message}")

    def build(self) -> Scenario:
        unknown = {k for k in self.data if not str(k).startswith("x-")} - self.TOP_KEYS
        if unknown:
            raise self.fail(f"unknown keys {sorted(unknown)}")
        device = self._device(self._mapping(self.data.get("device", {}), "device"))
        self.identifiers = dict(device.identifiers)
        raw_screens = self._mapping(self.data.get("screens"), "screens")
        if not raw_screens:
            raise self.fail("screens: at least one screen is needed")
        windows = {name: self._windows(name, raw_screens, ()) for name in raw_screens}
        screens = {name: self._screen(str(name), spec, windows[name]) for name, spec in raw_screens.items()}
        launch = self._launch(self._mapping(self.data.get("launch"), "launch"))
        for where, target in self._targets(screens, launch):
            if target not in screens and target not in (EXIT, BACK):
                raise self.fail(f"{where}: unknown screen {target!r}")
        launcher_ref = self.data.get("launcher")
        launcher = self._window(launcher_ref, "launcher", modal=False) if launcher_ref else _default_launcher()
        network = self._mapping(self.data.get("network", {}), "network")
        return Scenario(
            name=str(self.data.get("name", self.path.stem)),
            source=self.path,
            package=self.package,
            label=self.label,
            device=device,
            launch=launch,
            screens=screens,
            launcher=launcher,
            description=str(self.data.get("description", "")).strip(),
            permissions=tuple(str(p) for p in self.data.get("permissions", ()) or ()),
            pinned=self._pinned(network.get("pinned_hosts", {})),
            installed=bool(self.data.get("installed", True)),
        )

    # ----------------------------------------------------------------- pieces

    def _device(self, raw: Mapping[str, Any]) -> DeviceProfile:
        unknown = set(raw) - set(DeviceProfile.__dataclass_fields__)
        if unknown:
            raise self.fail(f"device: unknown keys {sorted(unknown)}")
        values = dict(raw)
        values.setdefault("serial", f"simulated-{self.data.get('name', self.path.stem)}")
        values["packages"] = tuple(str(p) for p in values.get("packages", ()) or ())
        if "screen" in values:
            w, h = values["screen"]
            values["screen"] = (int(w), int(h))
        values["identifiers"] = dict(self._mapping(values.get("identifiers", {}), "device.identifiers"))
        if not values.get("user_agent"):
            model, release = values.get("model", "sdk_gphone64_x86_64"), values.get("android_release", "14")
            values["user_agent"] = f"Dalvik/2.1.0 (Linux; U; Android {release}; {model} Build/UE1A.230829.036)"
        return DeviceProfile(**values)

    def _pinned(self, raw: Any) -> dict[str, str]:
        if isinstance(raw, list):
            return {str(host): "handshake" for host in raw}
        pinned = {str(h): str(m) for h, m in self._mapping(raw, "network.pinned_hosts").items()}
        bad = {h: m for h, m in pinned.items() if m not in PIN_MODES}
        if bad:
            raise self.fail(f"network.pinned_hosts: modes must be one of {PIN_MODES}, got {bad}")
        return pinned

    def _windows(self, name: Any, raw_screens: Mapping[Any, Any], seen: tuple[str, ...]) -> tuple[Window, ...]:
        if name in seen:
            raise self.fail(f"screens: 'base' cycle {' -> '.join(map(str, (*seen, name)))}")
        spec = self._mapping(raw_screens.get(name), f"screens.{name}")
        base: tuple[Window, ...] = ()
        if "base" in spec:
            if spec["base"] not in raw_screens:
                raise self.fail(f"screens.{name}.base: unknown screen {spec['base']!r}")
            base = self._windows(spec["base"], raw_screens, (*seen, str(name)))
        own = spec.get("windows", [] if base else None)
        if not isinstance(own, list) or (not own and not base):
            raise self.fail(f"screens.{name}.windows: a list of window files (or inline xml) is needed")
        first_modal = bool(base)
        windows = [
            self._window(ref, f"screens.{name}.windows", modal=first_modal or i > 0) for i, ref in enumerate(own)
        ]
        return (*base, *windows)

    def _window(self, ref: Any, where: str, *, modal: bool) -> Window:
        if isinstance(ref, str):
            ref = {"file": ref}
        ref = self._mapping(ref, where)
        if "xml" in ref:
            text, source = str(ref["xml"]), f"{where} (inline)"
        elif "file" in ref:
            file = self.base / str(ref["file"])
            try:
                text = file.read_text(encoding="utf-8")
            except OSError as exc:
                raise self.fail(f"{where}: cannot read {file}: {exc}") from exc
            source = str(file)
        else:
            raise self.fail(f"{where}: a window is a file name, {{file: ...}} or {{xml: ...}}")
        try:
            root = parse_window(text, source)
        except ScreenFormatError as exc:
            raise self.fail(str(exc)) from exc
        retarget(root, self.replacements, self.package_map)
        return Window(root, bool(ref.get("modal", modal)), source)

    def _screen(self, name: str, raw: Mapping[str, Any], windows: tuple[Window, ...]) -> ScreenSpec:
        allowed = {"windows", "base", "taps", "swipes", "back", "on_enter", "idle_errors", "root"}
        unknown = set(raw) - allowed
        if unknown:
            raise self.fail(f"screens.{name}: unknown keys {sorted(unknown)}")
        taps = []
        for i, tap in enumerate(raw.get("taps", []) or []):
            where = f"screens.{name}.taps[{i}]"
            tap = self._mapping(tap, where)
            taps.append(TapRule(self._selector(tap.get("select"), where), self._effect(tap, where, {"select"})))
        swipes = []
        for i, swipe in enumerate(raw.get("swipes", []) or []):
            swipe = self._mapping(swipe, f"screens.{name}.swipes[{i}]")
            direction = swipe.get("direction")
            if direction not in DIRECTIONS:
                raise self.fail(f"screens.{name}.swipes[{i}].direction: one of {DIRECTIONS}")
            swipes.append(SwipeRule(str(direction), self._effect(swipe, f"screens.{name}.swipes[{i}]", {"direction"})))
        back = str(raw.get("back", "previous"))
        return ScreenSpec(
            name=name,
            windows=windows,
            taps=tuple(taps),
            swipes=tuple(swipes),
            back=back,
            on_enter=self._requests(raw.get("on_enter", []), f"screens.{name}.on_enter"),
            idle_errors=int(raw.get("idle_errors", 0)),
            root=bool(raw.get("root", False)),
        )

    def _selector(self, raw: Any, where: str) -> Selector:
        raw = self._mapping(raw, f"{where}.select")
        unknown = set(raw) - set(SELECTOR_KEYS)
        if unknown or not raw:
            raise self.fail(f"{where}.select: use one or more of {sorted(SELECTOR_KEYS)}")
        return Selector(**{SELECTOR_KEYS[k]: str(v) for k, v in raw.items()})

    def _effect(self, raw: Mapping[str, Any], where: str, extra: set[str]) -> Effect:
        allowed = {"to", "consent", "grant", "deny", "requests"} | extra
        unknown = set(raw) - allowed
        if unknown:
            raise self.fail(f"{where}: unknown keys {sorted(unknown)}")
        consent = raw.get("consent")
        if consent is not None and consent not in CONSENT_ACTIONS:
            raise self.fail(f"{where}.consent: one of {CONSENT_ACTIONS}")
        return Effect(
            to=str(raw["to"]) if raw.get("to") is not None else None,
            consent=consent,
            grant=tuple(str(p) for p in raw.get("grant", ()) or ()),
            deny=tuple(str(p) for p in raw.get("deny", ()) or ()),
            requests=self._requests(raw.get("requests", []), f"{where}.requests"),
        )

    def _launch(self, raw: Mapping[str, Any]) -> dict[str, Effect]:
        unknown = set(raw) - set(LAUNCH_STATES)
        if unknown or "first_run" not in raw:
            raise self.fail(f"launch: keys {LAUNCH_STATES} ('first_run' required)")
        launch = {}
        for state in LAUNCH_STATES:
            spec = self._mapping(raw.get(state, raw["first_run"]), f"launch.{state}")
            unknown = set(spec) - {"screen", "requests"}
            if unknown or "screen" not in spec:
                raise self.fail(f"launch.{state}: 'screen' (a screen or 'exit') and optional 'requests'")
            launch[state] = Effect(
                to=str(spec["screen"]), requests=self._requests(spec.get("requests", []), f"launch.{state}")
            )
        return launch

    def _requests(self, raw: Any, where: str) -> tuple[RequestSpec, ...]:
        if not isinstance(raw, list):
            raise self.fail(f"{where}: a list of requests")
        return tuple(self._request(self._mapping(r, f"{where}[{i}]"), f"{where}[{i}]") for i, r in enumerate(raw))

    def _request(self, raw: Mapping[str, Any], where: str) -> RequestSpec:
        allowed = {"delay_ms", "method", "url", "headers", "json", "form", "body", "gzip"}
        unknown = set(raw) - allowed
        if unknown:
            raise self.fail(f"{where}: unknown keys {sorted(unknown)}")
        url = str(raw.get("url", ""))
        if not url.startswith(("http://", "https://")):
            raise self.fail(f"{where}.url: an http:// or https:// URL is needed")
        kinds = [k for k in ("json", "form", "body") if k in raw]
        if len(kinds) > 1:
            raise self.fail(f"{where}: one of json, form or body")
        kind = {"json": "json", "form": "form", "body": "raw"}[kinds[0]] if kinds else ""
        if kind == "form" and not isinstance(raw["form"], Mapping):
            raise self.fail(f"{where}.form: a mapping of fields")
        headers = self._mapping(raw.get("headers", {}), f"{where}.headers")
        spec = RequestSpec(
            method=str(raw.get("method", "GET")).upper(),
            url=url,
            delay_ms=int(raw.get("delay_ms", 0)),
            headers=tuple((str(k), str(v)) for k, v in headers.items()),
            body_kind=kind,
            body=raw[kinds[0]] if kinds else None,
            gzip=bool(raw.get("gzip", False)),
        )
        unknown_names = spec.placeholders() - set(self.identifiers) - BUILTIN_PLACEHOLDERS
        if unknown_names:
            raise self.fail(f"{where}: placeholders {sorted(unknown_names)} are not in device.identifiers")
        return spec

    def _targets(self, screens: Mapping[str, ScreenSpec], launch: Mapping[str, Effect]) -> list[tuple[str, str]]:
        found = [(f"launch.{state}.screen", effect.to) for state, effect in launch.items() if effect.to]
        for name, screen in screens.items():
            found += [(f"screens.{name}.taps", t.effect.to) for t in screen.taps if t.effect.to]
            found += [(f"screens.{name}.swipes", s.effect.to) for s in screen.swipes if s.effect.to]
            if screen.back not in BACK_RULES:
                found.append((f"screens.{name}.back", screen.back))
        return found  # type: ignore[return-value]

    def _mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(f"{where}: a mapping is needed")
        return value

    def _text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(f"{where}: a non-empty string is needed")
        return value


_DEFAULT_LAUNCHER = (
    f'<hierarchy rotation="0"><node index="0" text="" resource-id="" class="android.widget.FrameLayout" '
    f'package="{DEFAULT_LAUNCHER_PACKAGE}" content-desc="" checkable="false" checked="false" clickable="false" '
    'enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" '
    'selected="false" bounds="[0,0][1080,2400]" /></hierarchy>'
)


def _default_launcher() -> Window:
    return Window(parse_window(_DEFAULT_LAUNCHER, "built-in launcher"), False, "built-in launcher")
