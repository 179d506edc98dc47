"""The report's view model: everything the HTML template shows, decided here in Python.

The template only loops and prints. Sorting, counting, CSS classes, human labels, caps on long
tables and — above all — the difference between "none found" and "not assessed" are decided in
this package, so they can be tested without parsing HTML.

Every string taken from the evidence is untrusted (it comes from the APK); this package never
marks anything as safe HTML, and the template is rendered with autoescaping.

Modules: ``model`` (the data types the template reads), ``build`` (assembly, once per language:
see ``appaudit.report.i18n``), ``overview`` (the first screen), ``items`` (the 31 items by
category, their evidence resolved inline by ``evidence_inline``), the figures (``figure`` model,
``timeline_chart``, ``dataflow_chart``, ``wireframe``), ``baseline``, ``appendix``, one module per
evidence section (``header``, ``scope``, ``startup``, ``sdks``, ``permissions``, ``api_calls``,
``manifest``, ``policy``, ``endpoints``, ``device``, ``traffic``, ``policy_text``) and shared helpers
(``availability``, ``tables``, ``cells``, ``smali``, ``verdicts``, ``images``).
"""

from appaudit.report.view.availability import EXPECTED_PARTS, PART_LABELS, degrade, part_availability
from appaudit.report.view.build import PageView, ReportContext, build_language_view, build_page
from appaudit.report.view.cells import MAX_CELL_ITEMS, MAX_TEXT_CHARS, capped, clip, human_size
from appaudit.report.view.model import (
    Availability,
    Badge,
    Cell,
    ChainStep,
    Column,
    Fact,
    FindingList,
    FindingView,
    GuardView,
    Header,
    NavItem,
    Notice,
    Row,
    Section,
    Table,
)
from appaudit.report.view.smali import shorten_ref
from appaudit.report.view.tables import DEFAULT_MAX_ROWS, empty_text

__all__ = [
    "DEFAULT_MAX_ROWS",
    "EXPECTED_PARTS",
    "MAX_CELL_ITEMS",
    "MAX_TEXT_CHARS",
    "PART_LABELS",
    "Availability",
    "Badge",
    "Cell",
    "ChainStep",
    "Column",
    "Fact",
    "FindingList",
    "FindingView",
    "GuardView",
    "Header",
    "NavItem",
    "Notice",
    "PageView",
    "ReportContext",
    "Row",
    "Section",
    "Table",
    "build_language_view",
    "build_page",
    "capped",
    "clip",
    "degrade",
    "empty_text",
    "human_size",
    "part_availability",
    "shorten_ref",
]
