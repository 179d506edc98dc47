"""Human-readable reports built from an evidence bundle."""

from appaudit.report.html import render_html, write_html
from appaudit.report.view import ReportView, build_view

__all__ = ["ReportView", "build_view", "render_html", "write_html"]
