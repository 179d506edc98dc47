"""A whole device audit: static scan, capture proxy, the runs on the device, then traffic merged in.

One host clock for everything: the proxy stamps flows with it, the recorder stamps events with it, so a
flow's consent phase is read straight off the timeline. The device's proxy and CA are set before the
first run; what could and could not be validated (interception, CA installation, which driver) is
written into the evidence for the report.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from appaudit.device.driver import DeviceDriver, DeviceError
from appaudit.device.policy_search import SearchBudget, search_policy
from appaudit.device.runs import RunContext, RunSettings, perform
from appaudit.evidence.device import DeviceEvidence, DeviceRun
from appaudit.evidence.model import EvidenceBundle, PartStatus, Status
from appaudit.policy.sources import looks_like_policy_url
from appaudit.traffic import layout

PROBE_HOST = "probe.appaudit.invalid"  # never resolves: the probe is answered or failed by the proxy itself
PROBE_TIMEOUT = 10.0
CANARY_PACKAGE_PREFIX = "com.appaudit.canary."  # install such apps on the device: an app list that names them is seen
CANARY_LOCATION = (39.9042, 116.4074)  # a known fix (Beijing): where the device says it is during the runs


@dataclass(frozen=True)
class SessionSettings:
    runs: tuple[str, ...] = ("agree", "refuse", "ignore")
    run: RunSettings | None = None  # package filled in from the APK when None
    budget: SearchBudget = field(default_factory=SearchBudget)
    proxy_host: str | None = None  # the proxy's address as the device sees it (10.0.2.2 for an emulator)
    capture_options: tuple[str, ...] = ("connection_strategy=lazy",)


@dataclass(frozen=True)
class SessionResult:
    bundle: EvidenceBundle
    capture_dir: Path
    notes: tuple[str, ...] = ()


def _wait_for_url(capture_dir: Path, url: str, timeout: float) -> bool:
    """Whether the capture records a flow for ``url`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    path = layout.events_path(capture_dir)
    while time.monotonic() < deadline:
        try:
            if url in path.read_text(encoding="utf-8", errors="replace"):
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def _policy_url_seen(capture_dir: Path) -> Callable[[float], str | None]:
    """A probe for the policy search: a policy-like URL the capture saw since a given time."""

    def seen(since: float) -> str | None:
        path = layout.events_path(capture_dir)
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None
        for line in reversed(lines[-200:]):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("type") == layout.FLOW and float(event.get("ts") or 0) >= since:
                url = str(event.get("url") or "")
                if looks_like_policy_url(url):
                    return url
        return None

    return seen


def run_device_session(
    driver: DeviceDriver,
    apk: Path,
    bundle: EvidenceBundle,
    out: Path,
    settings: SessionSettings = SessionSettings(),
    *,
    progress: Callable[[str], None] = lambda _m: None,
    profile_path: Path | None = None,
    first_party: tuple[str, ...] = (),
    sdk_db_paths: tuple[Path, ...] = (),
) -> SessionResult:
    """Drive the app through the runs with the capture on, and return the bundle with device and traffic."""
    from appaudit.knowledge.user_db import load_with_user_databases
    from appaudit.traffic.attribution import build_attributor
    from appaudit.traffic.merge import add_traffic, load_traffic
    from appaudit.traffic.supervisor import CaptureProcess

    if bundle.app is None:
        raise DeviceError("the APK's package name could not be read, so the app cannot be driven")
    package = bundle.app.package
    run_settings = replace(settings.run, package=package) if settings.run else RunSettings(package)
    capture_dir = out / "capture"
    validated: list[str] = []
    not_validated: list[str] = []
    runs: list[DeviceRun] = []
    progress("Starting the capture proxy")
    capture = CaptureProcess(capture_dir, extra_options=settings.capture_options)
    with capture:
        host, port = capture.address
        device_host = settings.proxy_host or host
        progress(f"Preparing the device ({driver.serial}): app, proxy {device_host}:{port}, CA")
        if not driver.is_installed(package):
            driver.install(apk)
        driver.set_proxy(device_host, port)
        ca_method = driver.install_ca(capture.ca.pem_path)
        seed = getattr(driver, "seed_location", None)
        seeded = CANARY_LOCATION if callable(seed) and seed(*CANARY_LOCATION) else None
        if seeded:
            validated.append(f"location seeded at {seeded[0]}, {seeded[1]} (searched for in the traffic)")
        validated.append(f"proxy CA installed on the device ({ca_method}); CA SHA-256 {capture.ca.sha256}")
        probe = f"https://{PROBE_HOST}/interception-check/{uuid.uuid4().hex}"
        driver.open_url(probe)
        probe_seen = _wait_for_url(capture_dir, probe, PROBE_TIMEOUT)
        if probe_seen:
            validated.append(f"interception: the HTTPS probe {probe} opened on the device was decrypted")
        else:
            not_validated.append(
                f"interception: the HTTPS probe {probe} was not seen decrypted within {PROBE_TIMEOUT:.0f} s "
                "(CA not trusted, proxy not in the path, or no browser): absence of PI in traffic proves nothing"
            )
        for kind in settings.runs:
            progress(f"Run: {kind}")
            after_main = None
            if kind == "agree":

                def after_main(ctx: RunContext) -> object:
                    progress("Searching for the privacy policy from the main interface")
                    return search_policy(ctx, settings.budget, _policy_url_seen(capture_dir))

            run, _ctx = perform(driver, kind, run_settings, out / "runs" / kind, after_main=after_main)
            runs.append(run)
        driver.clear_proxy()
    info = replace(driver.info(), ca_install=ca_method)
    if info.driver == "simulated":
        not_validated.append(
            "simulated device: screens and traffic come from a scenario file, not from the app itself; "
            "the run logic, the proxy and the evidence are the production ones"
        )
    device = DeviceEvidence(info, tuple(runs), tuple(validated), tuple(not_validated))
    progress("Reading the captured traffic")
    profile = _profile(driver, package, profile_path, seeded)
    attributor = build_attributor(bundle, load_with_user_databases(sdk_db_paths), first_party)
    load = load_traffic(capture_dir, profile=profile, attributor=attributor, device=device)
    verified = probe_seen or load.traffic.capture.interception_verified is True
    capture_info = replace(load.traffic.capture, interception_verified=verified)
    load = replace(load, traffic=replace(load.traffic, capture=capture_info))
    parts = (*(p for p in bundle.parts if p.name != "device"), PartStatus("device", Status.OK, note=_note(runs)))
    merged = add_traffic(replace(bundle, parts=parts, device=device), load)
    return SessionResult(merged, capture_dir)


def _note(runs: list[DeviceRun]) -> str:
    notes = [f"{r.id}: {r.note}" for r in runs if r.note]
    return "; ".join(notes)


def _profile(driver: DeviceDriver, package: str, path: Path | None, seeded: tuple[float, float] | None):
    """The device values to look for: the auditor's profile file, else what the device tells."""
    from appaudit.traffic.profile import load_profile, parse_profile

    if path is not None:
        return load_profile(path)
    values: dict[str, object] = {}
    if seeded is not None:
        values["locations"] = [list(seeded)]
    imei = getattr(driver, "imei", None)
    android_id = getattr(driver, "android_id_for", None)
    packages = getattr(driver, "list_packages", None)
    try:
        if callable(packages):
            canaries = [p for p in packages() if p.startswith(CANARY_PACKAGE_PREFIX)]
            if canaries:
                values["packages"] = canaries
        if callable(imei) and (value := imei()):
            values["imei"] = [value]
        if callable(android_id) and (value := android_id(package)):
            values["android_id"] = value
    except DeviceError:
        pass
    if not values:
        return None
    return parse_profile(json.dumps(values), "values read from the device")
