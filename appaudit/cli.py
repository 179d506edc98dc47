"""Command-line interface. A thin layer: parse options, call the pipeline, map errors to exit codes.

Heavy modules (androguard, jinja2, the pipeline) are imported inside commands so that
``appaudit --help`` stays instant.

Exit codes: 0 done (evidence written), 1 findings at or above the threshold (reserved for the
checker), 2 usage or input error (not an APK, hostile archive, missing file), 3 internal error
(a bug in appaudit; the evidence collected so far is still written).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appaudit import __version__
from appaudit.errors import AppauditError, ExitCode

if TYPE_CHECKING:
    from appaudit.console import Console

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


def _run_scan(
    ctx: click.Context,
    apk: Path,
    output: Path | None,
    sdk_dbs: Sequence[Path],
    html: bool,
    fail_on: str | None = None,
    exit_zero: bool = False,
) -> None:
    from appaudit.console import Console

    console = Console(quiet=ctx.obj.quiet)
    try:
        code = _scan_and_write(console, apk, output, sdk_dbs, html, fail_on, exit_zero)
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


def _scan_and_write(
    console: Console,
    apk: Path,
    output: Path | None,
    sdk_dbs: Sequence[Path],
    html: bool,
    fail_on: str | None,
    exit_zero: bool,
) -> int:
    from appaudit.checker.run import evaluate
    from appaudit.commands.check import exit_code_for
    from appaudit.evidence import codec
    from appaudit.pipeline import scan_apk

    with console.progress() as step:
        result = scan_apk(apk, sdk_db_paths=sdk_dbs, progress=step, on_note=console.warn)
        bundle = result.bundle
        out = output or _default_output(
            bundle.app.package if bundle.app else None, bundle.app.version_name if bundle.app else None
        )
        step("Writing evidence and report")
        out.mkdir(parents=True, exist_ok=True)
        codec.write(bundle, out / "evidence.json")
        step("Evaluating the 31 items")
        verdicts = evaluate(bundle)
        codec.write_json(verdicts, out / "verdicts.json")
        report = None
        if html:
            from appaudit.report.html import write_html

            report = out / "report.html"
            write_html(bundle, report, check=verdicts)
    console.summary(bundle, out / "evidence.json", report, verdicts)
    for problem in result.internal_errors:
        console.error(f"internal error in part {problem}")
    if result.internal_errors:
        return ExitCode.INTERNAL_ERROR
    if fail_on is None:  # scan gates only when asked to; `appaudit check` gates by default
        return ExitCode.INTERNAL_ERROR if any(r.verdict.value == "error" for r in verdicts.results) else ExitCode.OK
    return exit_code_for(verdicts, fail_on, exit_zero=exit_zero)


@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument("apk", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, file_okay=False),
    help="Directory for evidence.json and report.html [default: reports/<package>-<version>/].",
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
@click.pass_context
def scan(
    ctx: click.Context,
    apk: Path,
    output: Path | None,
    sdk_dbs: tuple[Path, ...],
    no_html: bool,
    fail_on: str | None,
    exit_zero: bool,
) -> None:
    """Statically analyse APK and write evidence.json and report.html.

    Extracts the app's identity, manifest, embedded third-party SDKs, privacy-sensitive API calls,
    what runs at start-up before consent (with call chains), privacy-policy hints and endpoints.
    """
    _run_scan(ctx, apk, output, sdk_dbs, not no_html, fail_on, exit_zero)


@main.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, file_okay=False),
    help="Directory for the demo's evidence and report [default: reports/demo/].",
)  # fmt: skip
@click.pass_context
def demo(ctx: click.Context, output: Path | None) -> None:
    """Scan the built-in demo app (a deliberately non-compliant test APK) and write its report."""
    from appaudit.demo import demo_apk

    with demo_apk() as apk:
        _run_scan(ctx, apk, output or Path("reports") / "demo", (), True)


def _register_commands() -> None:
    """Command groups that live in their own modules (imported lightly: click only)."""
    from appaudit.commands.check import check
    from appaudit.commands.rules import rules
    from appaudit.commands.sdks import sdks

    main.add_command(check)
    main.add_command(rules)
    main.add_command(sdks)


_register_commands()
