"""Assembly: the header, the sections in page order, the navigation and the summary strip."""

from __future__ import annotations

from appaudit.checker.model import CheckResult
from appaudit.evidence.model import EvidenceBundle
from appaudit.report.view.api_calls import api_calls_section
from appaudit.report.view.device import device_section
from appaudit.report.view.endpoints import endpoints_section
from appaudit.report.view.header import build_header
from appaudit.report.view.items import items_section
from appaudit.report.view.manifest import (
    components_section,
    network_security_section,
    package_visibility_section,
)
from appaudit.report.view.model import NavItem, ReportView
from appaudit.report.view.permissions import permissions_section
from appaudit.report.view.policy import policy_section
from appaudit.report.view.policy_text import policy_text_section
from appaudit.report.view.scope import scope_section
from appaudit.report.view.sdks import sdks_section
from appaudit.report.view.startup import startup_section
from appaudit.report.view.summary import summary_items
from appaudit.report.view.tables import DEFAULT_MAX_ROWS
from appaudit.report.view.traffic import traffic_section


def build_view(
    bundle: EvidenceBundle,
    *,
    generated_by: str,
    max_rows: int = DEFAULT_MAX_ROWS,
    check: CheckResult | None = None,
) -> ReportView:
    """Turn an evidence bundle (and the checker's verdicts, when computed) into what the template prints."""
    header = build_header(bundle)
    sections = (
        scope_section(bundle, verdicts_included=check is not None),
        items_section(check, max_rows),
        device_section(bundle, max_rows),
        traffic_section(bundle, max_rows),
        policy_text_section(bundle, max_rows),
        startup_section(bundle, max_rows),
        sdks_section(bundle, max_rows),
        permissions_section(bundle, max_rows),
        api_calls_section(bundle, max_rows),
        components_section(bundle, max_rows),
        network_security_section(bundle),
        package_visibility_section(bundle),
        policy_section(bundle, max_rows),
        endpoints_section(bundle, max_rows),
    )
    by_id = {s.id: s for s in sections}
    nav = tuple(
        NavItem(f"#{s.id}", s.title, "" if s.availability.state == "ok" else s.availability.css) for s in sections
    )
    app = bundle.app
    page_title = f"appaudit report — {header.title}" + (f" ({app.package})" if app and app.label else "")
    return ReportView(
        lang="zh-CN",
        page_title=page_title,
        header=header,
        summary=summary_items(bundle, by_id),
        nav=nav,
        sections=sections,
        generated_by=generated_by,
        tool=f"{bundle.tool.name} {bundle.tool.version}",
        schema_version=bundle.schema_version,
        created_at=bundle.created_at,
        kind=_report_kind(bundle),
    )


def _report_kind(bundle: EvidenceBundle) -> str:
    dynamic = [label for name, label in (("device", "device"), ("traffic", "traffic"), ("policy", "policy text"))
               if bundle.part(name) is not None]  # fmt: skip
    return f"audit report (static + {', '.join(dynamic)})" if dynamic else "static evidence report"
