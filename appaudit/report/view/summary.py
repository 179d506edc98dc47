"""The summary strip at the top of the report: one count per section, and the parts collected."""

from __future__ import annotations

from appaudit.evidence.model import EvidenceBundle, StartupEvidence, Status
from appaudit.report.view.availability import EXPECTED_PARTS
from appaudit.report.view.model import Availability, Section, SummaryItem
from appaudit.report.view.permissions import is_dangerous


def _count_item(label: str, href: str, avail: Availability, value: int, detail: str, bad: bool) -> SummaryItem:
    if not avail.assessed:
        return SummaryItem(label, "not assessed", avail.label, "sum-na", href)
    css = "sum-bad" if bad else ("sum-partial" if avail.state == "partial" else "sum-ok")
    if avail.state == "partial":
        detail = (detail + " · " if detail else "") + "incomplete"
    return SummaryItem(label, f"{value:,}", detail, css, href)


def _startup_count(startup: StartupEvidence | None) -> tuple[int, str, bool]:
    if startup is None:
        return 0, "", False
    unguarded = sum(1 for f in startup.findings if not f.guarded)
    detail = f"{unguarded} without a consent guard"
    if startup.budget_exhausted:
        detail += " · search cut short"
    return len(startup.findings), detail, unguarded > 0


def _parts_item(bundle: EvidenceBundle) -> SummaryItem:
    statuses = [bundle.part(n) for n in EXPECTED_PARTS]
    not_ok = sum(1 for p in statuses if p is None or p.status in (Status.FAILED, Status.SKIPPED))
    partial = sum(1 for p in statuses if p is not None and p.status is Status.PARTIAL)
    detail = f"{not_ok} failed/skipped/missing" + (f" · {partial} partial" if partial else "")
    css = "sum-bad" if not_ok else ("sum-partial" if partial else "sum-ok")
    return SummaryItem("Evidence parts", f"{len(EXPECTED_PARTS) - not_ok}/{len(EXPECTED_PARTS)}", detail, css, "#scope")


def summary_items(bundle: EvidenceBundle, sections: dict[str, Section]) -> tuple[SummaryItem, ...]:
    """Counts that link to their sections; "not assessed" where a section's evidence is missing."""
    perms = bundle.manifest.permissions if bundle.manifest else ()
    dangerous = sum(1 for p in perms if is_dangerous(p))
    first_party = sum(1 for c in bundle.api_calls if c.sdk_id is None)
    cleartext = sum(1 for e in bundle.endpoints if e.cleartext)
    # (label, section id, count, detail, whether the count is bad news)
    counts: tuple[tuple[str, str, int, str, bool], ...] = (
        ("Start-up findings", "startup", *_startup_count(bundle.startup)),
        ("Embedded SDKs", "sdks", len(bundle.sdks), "", False),
        ("Dangerous permissions", "permissions", dangerous, f"of {len(perms)} requested", dangerous > 0),
        ("Sensitive call sites", "api-calls", len(bundle.api_calls), f"{first_party} first party", False),
        ("Endpoints", "endpoints", len(bundle.endpoints), f"{cleartext} cleartext", cleartext > 0),
    )
    items = [
        _count_item(label, f"#{sid}", sections[sid].availability, value, detail, bad)
        for label, sid, value, detail, bad in counts
    ]
    return (*items, _parts_item(bundle))
