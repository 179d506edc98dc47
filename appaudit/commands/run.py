"""``appaudit run``: the full audit on a device — static scan, capture, agree/refuse/ignore runs, verdicts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appaudit.commands.report_options import report_options

if TYPE_CHECKING:
    from appaudit.device.driver import DeviceDriver
    from appaudit.evidence.model import EvidenceBundle

RUN_KINDS = ("agree", "refuse", "ignore")


@dataclass(frozen=True)
class DeviceRequest:
    """Which device to drive and how (the ``run`` command's options, parsed)."""

    serial: str | None = None  # a real device or emulator over adb
    scenario: Path | None = None  # a simulated device
    runs: tuple[str, ...] = RUN_KINDS
    dwell: float = 20.0
    observe: float = 10.0
    proxy_host: str | None = None
    search_seconds: float = 900.0
    quiet: float = 2.5  # seconds without change after an action before deciding it changed nothing
    poll: float = 0.5


def open_driver(request: DeviceRequest) -> DeviceDriver:
    if request.scenario is not None:
        from appaudit.device.simulated import SimulatedDevice

        return SimulatedDevice(request.scenario)
    from appaudit.device.adb import AdbDriver

    return AdbDriver(request.serial) if request.serial else AdbDriver.only_device()


def attach_device_runs(
    bundle: EvidenceBundle,
    request: DeviceRequest,
    apk: Path,
    out: Path,
    step: Callable[[str], None],
    *,
    profile_path: Path | None = None,
    first_party: tuple[str, ...] = (),
    sdk_dbs: tuple[Path, ...] = (),
) -> EvidenceBundle:
    """Drive the app on the device with the capture on; the bundle with device runs and traffic added."""
    from appaudit.device.policy_search import SearchBudget
    from appaudit.device.runs import RunSettings
    from appaudit.device.session import SessionSettings, run_device_session

    simulated = request.scenario is not None
    options = ("connection_strategy=lazy",) + (("appaudit_answer_locally=true",) if simulated else ())
    settings = SessionSettings(
        runs=request.runs,
        run=RunSettings("", dwell=request.dwell, observe=request.observe, poll=request.poll, quiet=request.quiet),
        budget=SearchBudget(max_seconds=request.search_seconds),
        proxy_host=request.proxy_host,
        capture_options=options,
    )
    driver = open_driver(request)
    try:
        result = run_device_session(
            driver, apk, bundle, out, settings, progress=step, profile_path=profile_path,
            first_party=first_party, sdk_db_paths=sdk_dbs,
        )  # fmt: skip
    finally:
        close = getattr(driver, "close", None)
        if callable(close):
            close()
    return result.bundle


def _runs(value: str) -> tuple[str, ...]:
    runs = tuple(r.strip() for r in value.split(",") if r.strip())
    bad = [r for r in runs if r not in RUN_KINDS]
    if bad or not runs:
        raise click.BadParameter(f"choose from {', '.join(RUN_KINDS)} (comma-separated); got {value!r}")
    return runs


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("apk", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--device", "serial", metavar="SERIAL", help="adb serial of the emulator or rooted test phone.")
@click.option(
    "--scenario", type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Drive a simulated device from this scenario file instead of a real one (see fixtures/scenarios).",
)  # fmt: skip
@click.option("--runs", "runs", default=",".join(RUN_KINDS), show_default=True, help="Runs to perform, in order.")
@click.option(
    "--dwell", type=float, default=20.0, show_default=True, help="Seconds on the first screen before answering."
)
@click.option("--observe", type=float, default=10.0, show_default=True, help="Seconds to watch after each answer.")
@click.option(
    "--quiet-seconds", "quiet", type=float, default=2.5, show_default=True,
    help="After a tap, this long without a screen change means the tap changed nothing (raise it for slow devices).",
)  # fmt: skip
@click.option(
    "--proxy-host", metavar="HOST",
    help="The capture proxy's address as the device sees it (default: the listen address; an emulator reaches "
    "the host's loopback at 10.0.2.2).",
)  # fmt: skip
@click.option(
    "--search-seconds", type=float, default=900.0, show_default=True, help="Time budget of the policy search."
)
@click.option(
    "-o", "--output-dir", "output", type=click.Path(path_type=Path, file_okay=False), help="Output directory."
)
@click.option(
    "--device-profile", "device_profile", type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="JSON of the device's known values; default: what the device tells (IMEI, the app's Android ID).",
)  # fmt: skip
@click.option("--first-party", multiple=True, metavar="DOMAIN", help="A domain of the app's own back end (repeatable).")
@click.option(
    "--policy", "policies", multiple=True, metavar="FILE|URL",
    help="The app's privacy policy (file or http(s) URL); the APK's own and pages seen in the traffic are read anyway.",
)  # fmt: skip
@click.option("--no-html", is_flag=True, help="Write evidence.json and verdicts.json only.")
@click.option(
    "--fail-on", type=click.Choice(["violation", "inconclusive", "needs-review"]), default=None,
    help="Exit 1 when an item's verdict is at or above LEVEL.",
)  # fmt: skip
@report_options
@click.pass_context
def run(
    ctx: click.Context,
    apk: Path,
    serial: str | None,
    scenario: Path | None,
    runs: str,
    dwell: float,
    observe: float,
    quiet: float,
    proxy_host: str | None,
    search_seconds: float,
    output: Path | None,
    device_profile: Path | None,
    first_party: tuple[str, ...],
    policies: tuple[str, ...],
    no_html: bool,
    fail_on: str | None,
    report_lang: str,
    pdf: bool,
) -> None:
    """Audit APK on a device: static scan, traffic capture, agree/refuse/ignore runs, the policy search.

    Needs an emulator or rooted phone over adb (see docs/device-setup.md), or --scenario for the
    simulated device. Writes evidence.json, verdicts.json and report.html, plus the capture (capture/)
    and every screen dump and screenshot (runs/).
    """
    from appaudit.cli import ScanRequest, run_scan

    if serial is not None and scenario is not None:
        raise click.UsageError("give either --device SERIAL or --scenario FILE, not both")
    device = DeviceRequest(
        serial, scenario, _runs(runs), dwell, observe, proxy_host, search_seconds, quiet=quiet, poll=min(0.5, quiet / 3)
    )
    if scenario is None:  # fail before the static scan when there is no adb to drive a device with
        from appaudit.device.driver import DeviceError
        from appaudit.device.runner import find_adb

        try:
            find_adb()
        except DeviceError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(int(exc.exit_code))
    request = ScanRequest(
        apk, output, html=not no_html, fail_on=fail_on, first_party=tuple(first_party), device=device,
        device_profile_path=device_profile, policies=tuple(policies), report_lang=report_lang, pdf=pdf,
    )  # fmt: skip
    run_scan(ctx, request)
