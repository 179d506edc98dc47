"""``appaudit check``: evaluate the 31 items on saved evidence, offline, with CI gating.

Exit codes follow the CLI's contract: 0 nothing at or above the ``--fail-on`` threshold, 1 findings
at or above it, 2 usage or input error, 3 internal error (an item's logic failed: verdict *error*).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appaudit.errors import AppauditError, ExitCode, InputError

if TYPE_CHECKING:
    from appaudit.checker.model import CheckResult, Score

# The formats for machines (see appaudit.checker.formats; kept here so --help needs no import of it).
MACHINE_FORMATS: tuple[str, ...] = ("json", "sarif", "junit")

# --fail-on LEVEL: the verdicts that count as findings at that level (each includes the more severe).
FAIL_LEVELS: dict[str, frozenset[str]] = {
    "violation": frozenset({"violation"}),
    "inconclusive": frozenset({"violation", "inconclusive"}),
    "needs-review": frozenset({"violation", "inconclusive", "needs_review"}),
}


def exit_code_for(result: CheckResult, fail_on: str, *, exit_zero: bool = False) -> int:
    """The process exit code for a check result under a ``--fail-on`` level."""
    verdicts = {r.verdict.value for r in result.results}
    if "error" in verdicts:
        return ExitCode.INTERNAL_ERROR
    if exit_zero:
        return ExitCode.OK
    gating = {r.verdict.value for r in result.findings()}  # suppressed results are shown but never gate
    return ExitCode.FINDINGS if gating & FAIL_LEVELS[fail_on] else ExitCode.OK


def review_options[F: Callable[..., object]](function: F) -> F:
    """--baseline, --assessment, --suppressions: what people add to a run (scan and check)."""
    file = click.Path(path_type=Path, dir_okay=False, exists=True)
    function = click.option(
        "--suppressions", type=file,
        help="YAML of accepted findings (item, reason, expires, optional match): kept in the report, not counted "
        "by --fail-on; expired ones are ignored and reported.",
    )(function)  # fmt: skip
    function = click.option(
        "--assessment", type=file,
        help="YAML of auditor verdicts (item, verdict, note, auditor, date): they override or complete the "
        "machine's, marked as human.",
    )(function)  # fmt: skip
    return click.option(
        "--baseline", type=file, help="PREVIOUS/evidence.json of the last release: lists what is new; assesses II.2."
    )(function)


def fail_on_option[F: Callable[..., object]](function: F) -> F:
    """``--fail-on`` and ``--exit-zero``, shared by the commands that gate CI."""
    function = click.option(
        "--exit-zero", is_flag=True, help="Always exit 0 when the run completed (report-only pipelines)."
    )(function)
    return click.option(
        "--fail-on",
        type=click.Choice(sorted(FAIL_LEVELS)),
        default="violation",
        show_default=True,
        help="Lowest verdict that makes the exit code 1 (each level includes the more severe ones).",
    )(function)


def render_table(result: CheckResult) -> None:
    """A verdict table on stdout (untrusted text is never read as markup)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    styles = {
        "violation": "bold red",
        "pass": "green",
        "needs_review": "yellow",
        "inconclusive": "magenta",
        "not_assessed": "dim",
        "error": "bold red reverse",
    }
    table = Table(title="Determination Rules (2019): 31 items", title_justify="left")
    for column in ("Item", "Verdict", "Confidence", "Summary"):
        table.add_column(column)
    for r in result.results:
        table.add_row(
            r.item_id,
            Text(r.verdict.value.replace("_", " "), style=styles.get(r.verdict.value, "")),
            r.confidence.value if r.confidence else "",
            Text(r.summary),
        )
    console = Console(highlight=False)
    console.print(table)
    score = result.score
    console.print(Text(score_line(score)))


def score_line(score: Score) -> str:
    """One line: the overall grade with its coverage, so a grade is never read without it."""
    t = score.overall
    ratio = "—" if t.pass_ratio is None else f"{t.pass_ratio:.0%} passed"
    return (
        f"Score: {t.grade} · decided {t.decided} of {t.items} items ({t.coverage:.0%} coverage), {ratio} · "
        f"{t.violation} violation, {t.needs_review} needs review, {t.inconclusive} inconclusive, "
        f"{t.not_assessed} not assessed, {t.error} error · decided by evidence: {score.decided_by_text()}"
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("evidence", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", *MACHINE_FORMATS]),
    default="table",
    show_default=True,
    help="table for people; json, sarif (2.1.0, code scanning) or junit (XML, CI test reports) for machines.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="With a machine format: write to FILE instead of stdout ('-' for stdout).",
)
@fail_on_option
@review_options
def check(
    evidence: Path,
    fmt: str,
    output: Path | None,
    fail_on: str,
    exit_zero: bool,
    baseline: Path | None,
    assessment: Path | None,
    suppressions: Path | None,
) -> None:
    """Evaluate the 31 Determination Rules items on a saved evidence.json (offline).

    Items the evidence cannot decide are reported as not assessed, with the run that would
    assess them; nothing is silently skipped.
    """
    from appaudit.checker.run import evaluate_reviewed, load_review_inputs
    from appaudit.evidence import codec

    try:
        if not evidence.is_file():
            raise InputError(f"{evidence}: no such evidence file")
        bundle = codec.read(evidence)
        inputs = load_review_inputs(baseline=baseline, assessment=assessment, suppressions=suppressions)
    except AppauditError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.INPUT_ERROR)
    except (OSError, UnicodeDecodeError) as exc:
        click.echo(f"error: {evidence}: {exc}", err=True)
        sys.exit(ExitCode.INPUT_ERROR)
    result = evaluate_reviewed(bundle, inputs)
    for s in result.expired_suppressions:
        click.echo(f"warning: suppression of {s.item_id} expired on {s.expires} ({s.source}); ignored", err=True)
    if fmt == "table":
        render_table(result)
    else:
        from appaudit.checker.formats import render

        try:
            write_machine_output(render(fmt, result, bundle), output)
        except OSError as exc:
            click.echo(f"error: {output}: {exc}", err=True)
            sys.exit(ExitCode.INPUT_ERROR)
    sys.exit(exit_code_for(result, fail_on, exit_zero=exit_zero))


def write_machine_output(text: str, output: Path | None) -> None:
    """Machine output to FILE, or to stdout when FILE is absent or '-'."""
    if output is None or str(output) == "-":
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
