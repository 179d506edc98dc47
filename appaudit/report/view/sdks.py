"""The embedded-SDK section, and SDK display names for the sections that attribute code to SDKs."""

from __future__ import annotations

from appaudit.evidence.model import Confidence, EvidenceBundle, SdkHit
from appaudit.report.view.availability import dex_availability
from appaudit.report.view.cells import capped, na
from appaudit.report.view.model import Badge, Cell, Row, Section
from appaudit.report.view.tables import TableMaker

_CONFIDENCE_ORDER = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2}
_CONFIDENCE_CSS = {Confidence.HIGH: "b-ok", Confidence.MEDIUM: "b-warn", Confidence.LOW: "b-muted"}


def sdk_names(bundle: EvidenceBundle) -> dict[str, str]:
    """SDK id -> display name, for every SDK found in the app."""
    return {h.sdk_id: h.name for h in bundle.sdks}


_COLUMNS = ("SDK", "Vendor", "Categories", "Confidence", "Usage", "Classes", "Matched signatures")

# How the app uses the SDK (appaudit/static/sdk_usage.py): label, badge style, sort rank.
_USAGE = {
    "initialised_at_startup": ("initialised at start-up, no consent check", "b-bad", 0),
    "initialised_at_startup_guarded": ("initialised at start-up behind a consent check", "b-warn", 1),
    "initialised_later": ("initialised later (not at start-up)", "b-info", 2),
    "reachable": ("code reachable, no init call found", "b-info", 3),
    "embedded": ("embedded, not called", "b-muted", 4),
    "inconclusive": ("inconclusive (search budget reached)", "b-warn", 5),
    "not_assessed": ("not assessed", "b-muted", 6),
}


def _usage_cell(h: SdkHit) -> Cell:
    label, css, _rank = _USAGE.get(h.usage, (h.usage, "b-muted", 9))
    return Cell(badge=Badge(label, css, title=h.usage), items=h.usage_evidence[:2], mono=True, css="small")


def _sdk_row(h: SdkHit, names: dict[str, str]) -> Row:
    matches = tuple(
        f"{m.kind}: {m.signature} ×{m.count}" + (f" (e.g. {', '.join(m.examples[:3])})" if m.examples else "")
        for m in sorted(h.matches, key=lambda m: (m.kind, m.signature))
    )
    shown, more = capped(matches)
    sub = h.name_zh or ""
    if h.parent:
        sub = (sub + " · " if sub else "") + f"part of {names.get(h.parent, h.parent)}"
    return Row(
        (
            Cell(text=h.name, sub=sub, title=h.sdk_id),
            Cell(text=h.vendor) if h.vendor else na("unknown"),
            Cell(chips=tuple(h.categories)),
            Cell(badge=Badge(h.confidence.value, _CONFIDENCE_CSS[h.confidence])),
            _usage_cell(h),
            Cell(text=f"{h.class_count:,}", css="num"),
            Cell(items=shown, more=more, mono=True, css="small"),
        )
    )


def _sort_key(h: SdkHit) -> tuple[int, int, str, str]:
    """Most worrying use first, then most confident match."""
    return (_USAGE.get(h.usage, ("", "", 9))[2], _CONFIDENCE_ORDER[h.confidence], h.name.casefold(), h.sdk_id)


def sdks_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    """Recognised SDKs, most confident first."""
    # Class-prefix signatures need the DEX files: an incomplete DEX parse can hide an SDK.
    avail = dex_availability(bundle, "sdks")
    table = TableMaker(avail, max_rows)
    names = sdk_names(bundle)
    hits = sorted(bundle.sdks, key=_sort_key)
    rows = [_sdk_row(h, names) for h in hits]
    return Section(
        id="sdks",
        title="Embedded SDKs",
        availability=avail,
        intro=(
            "Third-party SDKs recognised by appaudit's signature database (class prefixes, manifest "
            "components, meta-data, native libraries, assets, domains).",
            "Usage comes from the static call graph: an SDK initialised at start-up without a consent check "
            "runs before the user can agree; one that is only embedded is present but never called.",
        ),
        tables=(table("SDKs", _COLUMNS, rows, "No SDK from appaudit's signature database was found.", noun="SDKs"),),
    )
