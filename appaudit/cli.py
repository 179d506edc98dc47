"""Command-line interface. A thin layer: parse options, call the pipeline, map errors to exit codes.

Heavy modules (androguard, jinja2, the pipeline) are imported inside commands so that
``appaudit --help`` stays instant.

Exit codes: 0 done (evidence written), 1 items at or above the --fail-on threshold, 2 usage or input
error (not an APK, hostile archive, missing file), 3 internal error
(a bug in appaudit; the evidence collected so far is still written).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appaudit import __version__
from appaudit.commands.check import review_options
from appaudit.commands.report_options import report_options
from appaudit.errors import AppauditError, ExitCode

if TYPE_CHECKING:
    from appaudit.checker.run import ReviewInputs
    from appaudit.commands.run import DeviceRequest
    from appaudit.console import Console
    from appaudit.evidence.model import EvidenceBundle
    from appaudit.knowledge.sdk_db import SdkDatabase
    from appaudit.traffic.profile import DeviceProfile

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Ctx:
    def __init__(self, debug: bool, quiet: bool) -> None:
        self.debug = debug
        self.quiet = quiet


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="appaudit")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
@click.option("-q", "--quiet", is_flag=True, help="No progress display or summary; errors only.")
@click.pass_context
def main(ctx: click.Context, debug: bool, quiet: bool) -> None:
    """Audit an Android app against China's 2019 Determination Rules on personal information
    (App违法违规收集使用个人信息行为认定方法).

    \b
    Exit codes:
      0  done: evidence and report written
      1  findings at or above the threshold (used by the checker; not produced by scan yet)
      2  usage or input error (missing file, not an APK, hostile or corrupt archive)
      3  internal error in appaudit (evidence collected so far is still written)
    """
    ctx.obj = _Ctx(debug, quiet)


def _default_output(package: str | None, version: str | None) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in f"{package or 'app'}-{version or 'unknown'}")
    return Path("reports") / safe[:120]


@dataclass(frozen=True)
class ScanRequest:
    """Everything one scan was asked to do (the CLI's options, parsed)."""

    apk: Path
    output: Path | None = None
    sdk_dbs: Sequence[Path] = ()
    html: bool = True
    fail_on: str | None = None  # None: report only (scan gates only when asked to)
    exit_zero: bool = False
    fmt: str | None = None  # machine output: json | sarif | junit
    machine_output: Path | None = None
    review: ReviewInputs | None = None  # baseline, auditor assessments, suppressions
    traffic: Path | None = None  # a capture run directory or a .mitm file to merge
    profile: DeviceProfile | None = None  # the test device's known values, for PI detection in traffic
    first_party: tuple[str, ...] = ()  # extra first-party domains for traffic attribution
    device: DeviceRequest | None = None  # drive the app on a device (appaudit run, the demo)
    device_profile_path: Path | None = None  # with device: the profile file (loaded by the session)
    policies: tuple[str, ...] = ()  # --policy: files or http(s) URLs of the privacy policy
    fetch_policy: bool = False  # --fetch-policy: also fetch the policy URLs found in the APK
    report_lang: str = "both"  # --lang: zh | en | both
    pdf: bool = False  # --pdf: also render report.pdf through headless Chromium


def run_scan(ctx: click.Context, request: ScanRequest) -> None:
    from appaudit.console import Console

    console = Console(quiet=ctx.obj.quiet)
    if request.pdf and not request.html:
        console.error("--pdf renders report.html: it cannot be combined with --no-html")
        sys.exit(ExitCode.INPUT_ERROR)
    try:
        code = _scan_and_write(console, request)
    except AppauditError as exc:
        console.error(str(exc))
        if ctx.obj.debug:
            raise
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console.error("interrupted")
        sys.exit(130)
    except Exception as exc:
        if ctx.obj.debug:
            raise
        console.error(f"internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)")
        sys.exit(ExitCode.INTERNAL_ERROR)
    sys.exit(code)


def _scan_and_write(console: Console, request: ScanRequest) -> int:
    from appaudit.checker.run import ReviewInputs, evaluate_reviewed
    from appaudit.commands.check import exit_code_for
    from appaudit.evidence import codec
    from appaudit.knowledge.user_db import load_with_user_databases
    from appaudit.pipeline import scan_apk

    with console.progress() as step:
        result = scan_apk(request.apk, sdk_db_paths=request.sdk_dbs, progress=step, on_note=console.warn)
        bundle = result.bundle
        # The same database the scan used (cached when built-in only; its override notes were shown once).
        sdk_db = load_with_user_databases(request.sdk_dbs)
        out = request.output or _default_output(
            bundle.app.package if bundle.app else None, bundle.app.version_name if bundle.app else None
        )
        if request.traffic is not None:
            step("Reading the captured traffic")
            bundle = _with_traffic(bundle, request, step, sdk_db)
        if request.device is None:
            bundle = _with_policy(bundle, request, step, sdk_db)
        else:
            from appaudit.commands.run import attach_device_runs

            bundle = attach_device_runs(
                bundle, request.device, request.apk, out, step, profile_path=request.device_profile_path,
                first_party=request.first_party, sdk_dbs=tuple(request.sdk_dbs),
            )  # fmt: skip
            bundle = _with_policy(bundle, request, step, sdk_db, flows_file=out / "capture" / "flows.mitm")
        step("Writing evidence and report")
        out.mkdir(parents=True, exist_ok=True)
        codec.write(bundle, out / "evidence.json")
        step("Evaluating the 31 items")
        verdicts = evaluate_reviewed(bundle, request.review or ReviewInputs())
        codec.write_json(verdicts, out / "verdicts.json")
        report = None
        if request.html:
            from appaudit.commands.report_options import command_line
            from appaudit.report.html import write_html

            report = out / "report.html"
            (out / "report.pdf").unlink(missing_ok=True)  # never leave an old PDF beside a new report
            previous = request.review.previous if request.review else None
            write_html(bundle, report, check=verdicts, lang=request.report_lang, command_line=command_line(sys.argv),
                       previous=previous)  # fmt: skip
            if request.pdf:
                from appaudit.report.pdf import render_pdf

                step("Rendering report.pdf")
                render_pdf(report, out / "report.pdf")
        machine_text = None
        if request.fmt is not None:
            from appaudit.checker.formats import render

            step(f"Writing {request.fmt} output")
            machine_text = render(request.fmt, verdicts, bundle)
            if request.machine_output is not None and str(request.machine_output) != "-":
                request.machine_output.parent.mkdir(parents=True, exist_ok=True)
    if machine_text is not None:  # after the progress display, so stdout carries only the machine output
        from appaudit.commands.check import write_machine_output

        write_machine_output(machine_text, request.machine_output)
    console.summary(bundle, out / "evidence.json", report, verdicts)
    for s in verdicts.expired_suppressions:
        console.warn(f"suppression of {s.item_id} expired on {s.expires} ({s.source}); ignored")
    for problem in result.internal_errors:
        console.error(f"internal error in part {problem}")
    if result.internal_errors:
        return ExitCode.INTERNAL_ERROR
    if request.fail_on is None:  # scan gates only when asked to; `appaudit check` gates by default
        return ExitCode.INTERNAL_ERROR if any(r.verdict.value == "error" for r in verdicts.results) else ExitCode.OK
    return exit_code_for(verdicts, request.fail_on, exit_zero=request.exit_zero)


MAX_FETCHED_POLICY_URLS = 3


def _with_policy(
    bundle: EvidenceBundle,
    request: ScanRequest,
    step: Callable[[str], None],
    sdk_db: SdkDatabase,
    flows_file: Path | None = None,
) -> EvidenceBundle:
    """Analyse the privacy policy: bundled in the APK, given with --policy, or loaded in the traffic.

    Without any document the policy part is not added: the items that need the text stay not assessed.
    """
    from appaudit.policy.build import add_policy, build_policy
    from appaudit.policy.sources import collect
    from appaudit.traffic import layout

    if flows_file is None and request.traffic is not None:
        flows_file = layout.flows_path(request.traffic) if request.traffic.is_dir() else request.traffic
    urls = tuple(p for p in request.policies if p.startswith(("http://", "https://")))
    files = tuple(Path(p) for p in request.policies if p not in urls)
    if request.fetch_policy and bundle.policy_hints is not None:  # explicit: the auditor asked for the fetch
        found = [h.text for h in bundle.policy_hints.urls if h.text.startswith(("http://", "https://"))]
        urls += tuple(u for u in dict.fromkeys(found) if u not in urls)[:MAX_FETCHED_POLICY_URLS]
    sources, errors = collect(request.apk, bundle, files=files, urls=urls, flows_file=flows_file)
    if not sources and not errors:
        return bundle
    step("Analysing the privacy policy")
    evidence, status = build_policy(sources, errors, sdk_db)
    return add_policy(bundle, evidence, status)


def _with_traffic(
    bundle: EvidenceBundle, request: ScanRequest, step: Callable[[str], None], sdk_db: SdkDatabase
) -> EvidenceBundle:
    """Merge the capture in ``request.traffic`` into ``bundle``: flows, PI matches, attribution."""
    from appaudit.traffic.attribution import build_attributor
    from appaudit.traffic.merge import add_traffic, load_traffic

    assert request.traffic is not None
    attributor = build_attributor(bundle, sdk_db, request.first_party)
    load = load_traffic(
        request.traffic, profile=request.profile, attributor=attributor, device=bundle.device, progress=step
    )
    return add_traffic(bundle, load)


@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument("apk", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o", "--output-dir", "output", type=click.Path(path_type=Path, file_okay=False),
    help="Directory for evidence.json, verdicts.json and report.html [default: reports/<package>-<version>/].",
)  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["json", "sarif", "junit"]), default=None,
    help="Also write the verdicts for machines: json, sarif (2.1.0, code scanning) or junit (XML, CI test reports); "
    "to --output FILE, or stdout.",
)  # fmt: skip
@click.option(
    "--output", "machine_output", type=click.Path(path_type=Path, dir_okay=False),
    help="With --format: write the machine output to FILE ('-' for stdout, the default).",
)  # fmt: skip
@click.option(
    "--sdk-db", "sdk_dbs", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Add this user SDK database (YAML) on top of the built-in one; repeatable, later files win. An entry "
    "with a built-in id replaces that entry (see `appaudit sdks import`).",
)  # fmt: skip
@click.option("--no-html", is_flag=True, help="Write evidence.json and verdicts.json only.")
@click.option(
    "--fail-on",
    type=click.Choice(["violation", "inconclusive", "needs-review"]),
    default=None,
    help="Exit 1 when an item's verdict is at or above LEVEL (default: scan does not gate; see `appaudit check`).",
)
@click.option("--exit-zero", is_flag=True, help="With --fail-on: exit 0 anyway when the run completed.")
@click.option(
    "--traffic", type=click.Path(path_type=Path, exists=True),
    help="Merge captured traffic: a run directory from `appaudit capture`, or a .mitm flows file. PI detection "
    "and attribution run on the replayed flows.",
)  # fmt: skip
@click.option(
    "--device-profile", "device_profile", type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="JSON of the test device's known values (IMEI, Android ID, location, canaries...) to find in the "
    "traffic; without it only pattern detectors run, at lower confidence.",
)  # fmt: skip
@click.option(
    "--policy", "policies", multiple=True, metavar="FILE|URL",
    help="The app's privacy policy (HTML or text file, or an http(s) URL fetched once, bounded); repeatable. "
    "Policies bundled in the APK and pages loaded in --traffic are read anyway.",
)  # fmt: skip
@click.option(
    "--fetch-policy", is_flag=True,
    help="Also fetch the privacy-policy URLs found in the APK (at most 3; bounded; never private addresses).",
)  # fmt: skip
@click.option(
    "--first-party", "first_party", multiple=True, metavar="DOMAIN",
    help="A domain of the app's own back end (repeatable); adds to the ones learned from the APK.",
)  # fmt: skip
@review_options
@report_options
@click.pass_context
def scan(
    ctx: click.Context,
    apk: Path,
    output: Path | None,
    sdk_dbs: tuple[Path, ...],
    no_html: bool,
    fail_on: str | None,
    exit_zero: bool,
    fmt: str | None,
    machine_output: Path | None,
    traffic: Path | None,
    device_profile: Path | None,
    policies: tuple[str, ...],
    fetch_policy: bool,
    first_party: tuple[str, ...],
    baseline: Path | None,
    assessment: Path | None,
    suppressions: Path | None,
    report_lang: str,
    pdf: bool,
) -> None:
    """Statically analyse APK, evaluate the 31 items, and write evidence.json, verdicts.json and report.html.

    Extracts the app's identity, manifest, embedded third-party SDKs, privacy-sensitive API calls,
    what runs at start-up before consent (with call chains), privacy-policy hints and endpoints.
    With --traffic, also what the app sent: PI found in each request and who received it.
    """
    if machine_output is not None and fmt is None:
        raise click.UsageError(
            "--output FILE needs --format json|sarif|junit (the directory option is -o/--output-dir)"
        )
    from appaudit.checker.run import load_review_inputs

    if device_profile is not None and traffic is None:
        raise click.UsageError("--device-profile is used to find PI in traffic: give --traffic too")
    try:  # read the review files and the device profile first, so a bad one fails fast
        review = load_review_inputs(baseline=baseline, assessment=assessment, suppressions=suppressions)
        profile = None
        if device_profile is not None:
            from appaudit.traffic.profile import load_profile

            profile = load_profile(device_profile)
    except AppauditError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.INPUT_ERROR)
    request = ScanRequest(
        apk, output, sdk_dbs, not no_html, fail_on, exit_zero, fmt, machine_output, review,
        traffic, profile, tuple(first_party), policies=tuple(policies), fetch_policy=fetch_policy,
        report_lang=report_lang, pdf=pdf,
    )  # fmt: skip
    run_scan(ctx, request)


@main.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, file_okay=False),
    help="Directory for the demo's evidence and report [default: reports/demo/].",
)  # fmt: skip
@click.option("--static-only", is_flag=True, help="Only the static scan (no simulated device, no proxy).")
@report_options
@click.pass_context
def demo(ctx: click.Context, output: Path | None, static_only: bool, report_lang: str, pdf: bool) -> None:
    """Audit the built-in demo app end to end: static scan, then simulated device runs through a real proxy.

    The demo app (a deliberately non-compliant test APK) is played on the simulated device: mitmdump
    captures its traffic, the agree, refuse and ignore runs and the policy search run as on an emulator,
    and the checker and the report take it all in. Nothing leaves this machine.
    """
    from appaudit.commands.run import DeviceRequest
    from appaudit.demo import demo_apk, demo_scenario

    with demo_apk() as apk, demo_scenario() as scenario:
        device = (
            None
            if static_only
            else DeviceRequest(scenario=scenario, dwell=2.0, observe=2.0, search_seconds=180, quiet=0.6, poll=0.2)
        )
        out = output or Path("reports") / "demo"
        _clear_previous_demo(out)
        request = ScanRequest(apk, out, device=device, report_lang=report_lang, pdf=pdf)
        run_scan(ctx, request)


# What a demo run writes into its output directory; a second run replaces exactly these.
_DEMO_OUTPUTS = ("capture", "runs", "evidence.json", "verdicts.json", "report.html", "report.pdf")


def _clear_previous_demo(out: Path) -> None:
    """Remove the previous demo's outputs so the demo can run again; nothing else in ``out`` is touched."""
    import shutil

    for name in _DEMO_OUTPUTS:
        target = out / name
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)


def _register_commands() -> None:
    """Command groups that live in their own modules (imported lightly: click only)."""
    from appaudit.commands.capture import capture
    from appaudit.commands.check import check
    from appaudit.commands.rules import rules
    from appaudit.commands.run import run
    from appaudit.commands.sdks import sdks

    main.add_command(capture)
    main.add_command(check)
    main.add_command(rules)
    main.add_command(run)
    main.add_command(sdks)


_register_commands()
