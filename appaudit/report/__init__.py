"""The self-contained HTML report (and its PDF rendering)."""

from appaudit.report.html import LANGUAGE_CHOICES, render_html, write_html
from appaudit.report.view import PageView, ReportContext, build_language_view, build_page

__all__ = [
    "LANGUAGE_CHOICES",
    "PageView",
    "ReportContext",
    "build_language_view",
    "build_page",
    "render_html",
    "write_html",
]
