"""Assembly: one language's page body — header, overview, figures, the 31 items, evidence, appendix."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from appaudit.checker.model import CheckResult
from appaudit.evidence.model import EvidenceBundle
from appaudit.report.i18n import HTML_LANG, LANGUAGE_NAMES, current, language, tr
from appaudit.report.view.api_calls import api_calls_section
from appaudit.report.view.appendix import EvidenceFile, appendix_section
from appaudit.report.view.baseline import baseline_section
from appaudit.report.view.dataflow_chart import dataflow_figure
from appaudit.report.view.device import device_section
from appaudit.report.view.endpoints import endpoints_section
from appaudit.report.view.figure import Figure
from appaudit.report.view.header import build_header
from appaudit.report.view.items import category_views
from appaudit.report.view.manifest import (
    components_section,
    network_security_section,
    package_visibility_section,
)
from appaudit.report.view.model import LanguageView, NavItem, Section
from appaudit.report.view.overview import build_overview
from appaudit.report.view.permissions import permissions_section
from appaudit.report.view.policy import policy_section
from appaudit.report.view.policy_text import policy_text_section
from appaudit.report.view.scope import scope_section
from appaudit.report.view.sdks import sdks_section
from appaudit.report.view.startup import startup_section
from appaudit.report.view.tables import DEFAULT_MAX_ROWS
from appaudit.report.view.timeline_chart import timeline_figures
from appaudit.report.view.traffic import traffic_section
from appaudit.report.view.verdicts import verdict_meanings


@dataclass(frozen=True)
class ReportContext:
    """What the report knows besides the evidence and the verdicts."""

    artifacts: Path | None = None  # the report's directory: dumps and screenshots are read from it
    command_line: str = ""
    previous: EvidenceBundle | None = None  # the --baseline release's evidence
    previous_check: CheckResult | None = None  # its verdicts by this version's checks (computed once per page)
    files: tuple[EvidenceFile, ...] = ()  # the evidence files beside the report, hashed
    files_left_out: int = 0


# The template's own words (message ids); translated once per language.
TEMPLATE_LABELS = (
    "Skip to content",
    "Contents",
    "Does this app comply?",
    "Grade",
    "Verdicts",
    "Verdicts by category",
    "Category",
    "Most serious findings",
    "No finding: no item is violated, in review, inconclusive or in error.",
    "The app",
    "Scope of this run",
    "Evidence source",
    "Status",
    "What it covered",
    "What was not validated",
    "Timeline and data flow",
    "The 31 items",
    "Official text",
    "English rendering",
    "Verdict",
    "Confidence",
    "Judged",
    "Decided by",
    "Finding",
    "Machine finding",
    "Conclusion",
    "What the verdicts mean",
    "Evidence",
    "What would assess it",
    "Entered by a person",
    "Decoded as",
    "Language",
    "Full call chain (smali)",
    "No evidence is cited for this verdict.",
    "Legend",
    "evidence ref",
    "Target",
    "Entry point",
    "component",
    "PI types",
    "none recorded",
    "Call chain",
    "Consent guard",
    "Condition",
    "Recognised by",
    "In method",
    "branch at",
    "No consent check was recognised on this chain: as far as static analysis can tell, this runs before the "
    "user agrees.",
)


def build_language_view(
    bundle: EvidenceBundle,
    *,
    generated_by: str,
    max_rows: int = DEFAULT_MAX_ROWS,
    check: CheckResult | None = None,
    context: ReportContext | None = None,
    prefix: str = "",
) -> LanguageView:
    """The page body in the current language (see :func:`appaudit.report.i18n.language`)."""
    context = context or ReportContext()
    header = build_header(bundle)
    categories = category_views(check, bundle, prefix, artifacts=context.artifacts) if check is not None else ()
    overview = build_overview(bundle, check, prefix, categories if check is not None else None)
    figures = _figures(bundle, prefix)
    baseline = baseline_section(check, bundle, context.previous, prefix, max_rows, context.previous_check)
    evidence_sections = (
        device_section(bundle, max_rows),
        traffic_section(bundle, max_rows),
        policy_text_section(bundle, max_rows),
        startup_section(bundle, max_rows),
        sdks_section(bundle, max_rows),
        permissions_section(bundle, max_rows),
        endpoints_section(bundle, max_rows),
        api_calls_section(bundle, max_rows),
        components_section(bundle, max_rows),
        network_security_section(bundle),
        package_visibility_section(bundle),
        policy_section(bundle, max_rows),
        scope_section(bundle, verdicts_included=check is not None),
    )
    sections = (
        *((baseline,) if baseline else ()),
        *(dataclasses.replace(s, id=f"{prefix}{s.id}") for s in evidence_sections),
        appendix_section(
            bundle, context.files, context.files_left_out, context.command_line, generated_by, prefix, max_rows
        ),
    )
    nav = [
        NavItem(f"#{prefix}overview", tr("Does this app comply?"), ""),
        *((NavItem(f"#{prefix}figures", tr("Timeline and data flow"), ""),) if figures else ()),
        NavItem(f"#{prefix}items", tr("The 31 items"), "" if check is not None else "st-missing"),
        *(NavItem(f"#{s.id}", s.title, _nav_css(s)) for s in sections),
    ]
    lang = current()
    return LanguageView(
        lang=lang,
        html_lang=HTML_LANG[lang],
        prefix=prefix,
        labels={label: tr(label) for label in TEMPLATE_LABELS},
        header=header,
        overview=overview,
        figures=figures,
        figures_note=_figures_note(bundle, figures),
        categories=categories,
        items_note=tr(
            "Every item of 《App违法违规收集使用个人信息行为认定方法》 (2019), in the document's order. An item the "
            "evidence of this run cannot decide is marked not assessed, with what would assess it; it never "
            "counts as a pass. Findings are written by appaudit's checks in English; the official text is in Chinese."
        )
        if check is not None
        else tr("No item of the Determination Rules was evaluated for this report."),
        verdict_meanings=verdict_meanings(),
        sections=sections,
        nav=tuple(nav),
        kind=_report_kind(bundle),
        footer=(
            tr(
                "Generated by {generated_by} from evidence collected at {created_at} by {tool} (evidence schema "
                "{schema}).",
                generated_by=generated_by,
                created_at=bundle.created_at,
                tool=f"{bundle.tool.name} {bundle.tool.version}",
                schema=bundle.schema_version,
            ),
            tr(
                "This file is self-contained: it loads nothing from the network and contains no script. Strings "
                "taken from the app are shown as text; URLs in it are not links."
            ),
        ),
    )


def _figures(bundle: EvidenceBundle, prefix: str) -> tuple[Figure, ...]:
    found: list[Figure] = []
    flow = dataflow_figure(bundle)
    if flow is not None:
        found.append(flow)
    found.extend(timeline_figures(bundle))
    return tuple(dataclasses.replace(f, id=f"{prefix}{f.id}") for f in found)


def _figures_note(bundle: EvidenceBundle, figures: tuple[Figure, ...]) -> str:
    if not figures:
        return tr("No traffic was captured and no SDK was found: there is nothing to draw.")
    if bundle.traffic is None:
        return tr("No traffic was captured: the diagram shows what embedded SDK code can access, not what was sent.")
    return tr("Drawn from the captured traffic and the device runs. Each chart also says in words what it shows.")


def _nav_css(s: Section) -> str:
    return "" if s.availability.state == "ok" else s.availability.css


def _report_kind(bundle: EvidenceBundle) -> str:
    dynamic = [tr(label) for name, label in (("device", "device"), ("traffic", "traffic"), ("policy", "policy text"))
               if bundle.part(name) is not None]  # fmt: skip
    if dynamic:
        return tr("audit report (static + {sources})", sources=", ".join(dynamic))
    return tr("static evidence report")


@dataclass(frozen=True)
class LanguageChoice:
    lang: str
    name: str  # "中文", "English"
    checked: bool


@dataclass(frozen=True)
class PageView:
    """The whole page: one body per language, and the switch between them when there are two."""

    html_lang: str
    page_title: str
    generated_by: str
    bodies: tuple[LanguageView, ...]
    switch: tuple[LanguageChoice, ...]  # empty with a single language
    switch_label: str


def build_page(
    bundle: EvidenceBundle,
    *,
    generated_by: str,
    languages: tuple[str, ...] = ("zh", "en"),
    max_rows: int = DEFAULT_MAX_ROWS,
    check: CheckResult | None = None,
    context: ReportContext | None = None,
) -> PageView:
    """The page in ``languages`` (the first is shown first); ids are prefixed when there are several."""
    if not languages or len(set(languages)) != len(languages):
        raise ValueError("languages must name each report language once")
    context = context or ReportContext()
    if check is not None and context.previous is not None and context.previous_check is None:
        from appaudit.checker.run import evaluate

        context = dataclasses.replace(context, previous_check=evaluate(context.previous))  # once, not per language
    bodies = []
    for lang in languages:
        with language(lang):
            prefix = f"{lang}-" if len(languages) > 1 else ""
            bodies.append(build_language_view(
                bundle, generated_by=generated_by, max_rows=max_rows, check=check, context=context, prefix=prefix
            ))  # fmt: skip
    first = bodies[0]
    app = bundle.app
    title = f"appaudit — {first.header.title}" + (f" ({app.package})" if app and app.label else "")
    switch = tuple(LanguageChoice(b.lang, LANGUAGE_NAMES[b.lang], i == 0) for i, b in enumerate(bodies))
    return PageView(
        html_lang=first.html_lang,
        page_title=title,
        generated_by=generated_by,
        bodies=tuple(bodies),
        switch=switch if len(bodies) > 1 else (),
        switch_label="语言 / Language",
    )
