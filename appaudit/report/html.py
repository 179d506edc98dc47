"""Render the self-contained HTML report.

The page loads nothing: CSS is inlined from ``templates/report.css``, there is no script, and a
Content-Security-Policy forbids any fetch in case something slipped through. Images (screenshots)
are embedded as data: URIs. With two languages the page carries both bodies and a switch made of
two radio buttons and CSS, so it still needs no script. Every value comes from
:mod:`appaudit.report.view` and is escaped by Jinja2's autoescaping.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from appaudit import __version__
from appaudit.checker.model import CheckResult
from appaudit.evidence.model import EvidenceBundle
from appaudit.report.view import DEFAULT_MAX_ROWS
from appaudit.report.view.appendix import hash_evidence_files
from appaudit.report.view.build import ReportContext, build_page
from appaudit.report.visible_text import visible

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"
# --lang choices -> the languages embedded, the first shown first.
LANGUAGE_CHOICES: dict[str, tuple[str, ...]] = {"both": ("zh", "en"), "zh": ("zh",), "en": ("en",)}


def _finalize(value: object) -> object:
    """Applied to every ``{{ value }}`` before escaping: no untrusted string may change direction unseen."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("appaudit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )


@functools.cache
def _stylesheet() -> Markup:
    css = resources.files("appaudit.report").joinpath("templates", STYLESHEET).read_text(encoding="utf-8")
    # Our own asset, not data: marked safe so that selectors like "a > b" survive. It must not be
    # able to close the <style> element or pull anything from outside.
    lowered = css.lower()
    if "</" in css or "@import" in lowered or "url(" in lowered:
        raise ValueError(f"{STYLESHEET} must not contain '</', @import or url()")
    return Markup(css)


def render_html(
    bundle: EvidenceBundle,
    *,
    generated_by: str,
    max_rows: int = DEFAULT_MAX_ROWS,
    check: CheckResult | None = None,
    lang: str = "both",
    context: ReportContext | None = None,
) -> str:
    """The report as one HTML document; the same inputs always give the same bytes."""
    page = build_page(
        bundle,
        generated_by=generated_by,
        languages=LANGUAGE_CHOICES[lang],
        max_rows=max_rows,
        check=check,
        context=context,
    )
    return _environment().get_template(TEMPLATE).render(page=page, stylesheet=_stylesheet())


def write_html(
    bundle: EvidenceBundle,
    path: Path,
    *,
    generated_by: str | None = None,
    check: CheckResult | None = None,
    lang: str = "both",
    command_line: str = "",
    previous: EvidenceBundle | None = None,
) -> None:
    """Write the report atomically, so a crash never leaves half a page behind.

    The files already in the report's directory (evidence.json, verdicts.json, the capture, dumps,
    screenshots) are hashed into the appendix and screenshots are embedded from there.
    """
    path = Path(path)
    files, left_out = hash_evidence_files(path.parent)
    context = ReportContext(
        artifacts=path.parent, command_line=command_line, previous=previous, files=files, files_left_out=left_out
    )
    html = render_html(bundle, generated_by=generated_by or f"appaudit {__version__}", check=check, lang=lang,
                       context=context)  # fmt: skip
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
