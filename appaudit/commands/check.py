"""``appaudit check``: evaluate the 31 items on saved evidence, offline, with CI gating.

Exit codes follow the CLI's contract: 0 nothing at or above the ``--fail-on`` threshold, 1 findings
at or above it, 2 usage or input error, 3 internal error (an item's logic failed: verdict *error*).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appaudit.errors import AppauditError, ExitCode, InputError

if TYPE_CHECKING:
    from appaudit.checker.model import CheckResult, Score

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
    return ExitCode.FINDINGS if verdicts & FAIL_LEVELS[fail_on] else ExitCode.OK


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
        f"{t.not_assessed} not assessed, {t.error} error"
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("evidence", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="With --format json: write to FILE."
)
@fail_on_option
def check(evidence: Path, fmt: str, output: Path | None, fail_on: str, exit_zero: bool) -> None:
    """Evaluate the 31 Determination Rules items on a saved evidence.json (offline).

    Items the evidence cannot decide are reported as not assessed, with the run that would
    assess them; nothing is silently skipped.
    """
    from appaudit.checker.run import evaluate
    from appaudit.evidence import codec

    try:
        if not evidence.is_file():
            raise InputError(f"{evidence}: no such evidence file")
        bundle = codec.read(evidence)
    except AppauditError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.INPUT_ERROR)
    except (OSError, UnicodeDecodeError) as exc:
        click.echo(f"error: {evidence}: {exc}", err=True)
        sys.exit(ExitCode.INPUT_ERROR)
    result = evaluate(bundle)
    if fmt == "json":
        text = json.dumps(codec.to_jsonable(result), ensure_ascii=False, indent=2)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
        else:
            click.echo(text)
    else:
        render_table(result)
    sys.exit(exit_code_for(result, fail_on, exit_zero=exit_zero))
