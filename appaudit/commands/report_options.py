"""The report's options, shared by every command that writes report.html: --lang and --pdf."""

from __future__ import annotations

from collections.abc import Callable

import click


def report_options[F: Callable[..., object]](func: F) -> F:
    """Add ``--lang`` (zh, en or both; both embeds a switch) and ``--pdf`` (render report.pdf via Chromium)."""
    func = click.option(
        "--pdf", is_flag=True,
        help="Also render report.pdf with headless Chromium (Debian's chromium; or set APPAUDIT_CHROMIUM).",
    )(func)  # fmt: skip
    func = click.option(
        "--lang", "report_lang", type=click.Choice(["both", "zh", "en"]), default="both", show_default=True,
        help="Report language: Chinese, English, or both with a switch in the page (Chinese first). The official "
        "rule text is always shown in Chinese.",
    )(func)  # fmt: skip
    return func


def command_line(argv: list[str]) -> str:
    """The command as typed, for the report's appendix (argv[0] replaced by the program name)."""
    import shlex

    return " ".join(["appaudit", *(shlex.quote(a) for a in argv[1:])])
