"""Render the self-contained HTML report.

The page loads nothing: CSS is inlined from ``templates/report.css``, there is no script, and a
Content-Security-Policy forbids any fetch in case something slipped through. Every value comes
from :mod:`appaudit.report.view` and is escaped by Jinja2's autoescaping.
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
from appaudit.report.view import DEFAULT_MAX_ROWS, build_view

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("appaudit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
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
    bundle: EvidenceBundle, *, generated_by: str, max_rows: int = DEFAULT_MAX_ROWS, check: CheckResult | None = None
) -> str:
    """The report as one HTML document; the same inputs always give the same bytes."""
    view = build_view(bundle, generated_by=generated_by, max_rows=max_rows, check=check)
    return _environment().get_template(TEMPLATE).render(view=view, stylesheet=_stylesheet())


def write_html(
    bundle: EvidenceBundle, path: Path, *, generated_by: str | None = None, check: CheckResult | None = None
) -> None:
    """Write the report atomically, so a crash never leaves half a page behind."""
    html = render_html(bundle, generated_by=generated_by or f"appaudit {__version__}", check=check)
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
