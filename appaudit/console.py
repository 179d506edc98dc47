"""One console object for progress, messages and the end-of-run summary (all on stderr).

Untrusted text (app labels, package names, paths) is never interpreted as rich markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console as RichConsole
from rich.table import Table
from rich.text import Text

from appaudit.evidence.model import EvidenceBundle, Status

if TYPE_CHECKING:
    from appaudit.checker.model import CheckResult

_STATUS_STYLE = {
    Status.OK: "green",
    Status.PARTIAL: "yellow",
    Status.FAILED: "bold red",
    Status.SKIPPED: "dim",
}


class Console:
    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self._err = RichConsole(stderr=True, highlight=False, soft_wrap=False)

    def error(self, message: str) -> None:
        self._err.print(Text("error: ", style="bold red") + Text(message), markup=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        if not self.quiet:
            self._err.print(Text("warning: ", style="yellow") + Text(message), markup=False)

    @contextmanager
    def progress(self) -> Iterator[Callable[[str], None]]:
        """Yield a callback that announces each step; shows a live status line on a terminal."""
        if self.quiet:
            yield lambda _msg: None
            return
        if not self._err.is_terminal:
            yield lambda msg: self._err.print(Text(f"… {msg}"), markup=False)
            return
        with self._err.status("Starting") as status:

            def step(msg: str) -> None:
                status.update(Text(msg))
                self._err.log(Text(msg), markup=False)

            yield step

    def summary(
        self, bundle: EvidenceBundle, evidence: Path, report: Path | None, verdicts: CheckResult | None = None
    ) -> None:
        if self.quiet:
            return
        dynamic = [name for name in ("device", "traffic", "policy") if bundle.part(name) is not None]
        title = "appaudit audit (static + " + ", ".join(dynamic) + ")" if dynamic else "appaudit static scan"
        table = Table(title=title, show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        app = bundle.app
        if app:
            table.add_row("App", Text(f"{app.label or '?'}  ({app.package} {app.version_name or ''})"))
            table.add_row("APK SHA-256", app.apk_sha256)
            table.add_row("DEX files", str(app.dex_count))
        if bundle.manifest:
            dangerous = sum(
                1 for p in bundle.manifest.permissions if p.protection_level and "dangerous" in p.protection_level
            )
            table.add_row("Permissions", f"{len(bundle.manifest.permissions)} requested, {dangerous} dangerous")
        table.add_row("Embedded SDKs", _count_or_missing(bundle, "sdks", len(bundle.sdks)))
        table.add_row("Sensitive API call sites", _count_or_missing(bundle, "api_calls", len(bundle.api_calls)))
        if bundle.startup is not None:
            unguarded = sum(1 for f in bundle.startup.findings if not f.guarded)
            guarded = len(bundle.startup.findings) - unguarded
            text = f"{unguarded} unguarded, {guarded} behind a consent check"
            if bundle.startup.budget_exhausted:
                text += " (search limit reached: inconclusive)"
            table.add_row("Reachable at start-up", Text(text, style="red" if unguarded else "green"))
        else:
            table.add_row("Reachable at start-up", Text("not assessed", style="dim"))
        if bundle.device is not None:
            runs = ", ".join(f"{r.id}{' (' + r.note + ')' if r.note else ''}" for r in bundle.device.runs)
            table.add_row("Device runs", Text(f"{runs} on {bundle.device.device.serial}"))
        if bundle.traffic is not None:
            t = bundle.traffic
            hidden = f", {len(t.unobservable)} unobservable host(s)" if t.unobservable else ""
            table.add_row("Traffic", Text(f"{len(t.flows)} request(s), {len(t.pi_matches)} PI match(es){hidden}"))
        for part in bundle.parts:
            if part.status is not Status.OK:
                table.add_row(
                    f"Part {part.name}",
                    Text(f"{part.status.value}: {part.errors[0].message if part.errors else part.note}"[:160],
                         style=_STATUS_STYLE[part.status]),
                )  # fmt: skip
        for anomaly in bundle.archive_anomalies[:5]:
            table.add_row("Archive anomaly", Text(anomaly, style="yellow"))
        if verdicts is not None:
            t = verdicts.score.overall
            violated = [r.item_id for r in verdicts.results if r.verdict.value == "violation"]
            table.add_row(
                "Determination Rules",
                Text(
                    f"{t.violation} violation{'s' if t.violation != 1 else ''}"
                    + (f" ({', '.join(violated)})" if violated else "")
                    + f", {t.passed} pass, {t.needs_review} needs review, {t.not_assessed} not assessed"
                    + f" — {t.grade}",
                    style="red" if violated else "",
                ),
            )
        table.add_row("Evidence", Text(str(evidence)))
        if report:
            table.add_row("Report", Text(str(report)))
            pdf = report.with_suffix(".pdf")
            if pdf.is_file():
                table.add_row("PDF", Text(str(pdf)))
        self._err.print(table)


def _count_or_missing(bundle: EvidenceBundle, part_name: str, count: int) -> Text:
    part = bundle.part(part_name)
    if part is None or part.status in (Status.FAILED, Status.SKIPPED):
        return Text("not assessed (part did not run)", style="dim")
    suffix = " (partial)" if part.status is Status.PARTIAL else ""
    return Text(f"{count}{suffix}")
