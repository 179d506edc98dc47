"""The embedded-SDK section, and SDK display names for the sections that attribute code to SDKs."""

from __future__ import annotations

from appaudit.evidence.model import Confidence, EvidenceBundle, SdkHit
from appaudit.report.i18n import tr
from appaudit.report.view.availability import dex_availability
from appaudit.report.view.cells import capped, clip, na
from appaudit.report.view.model import Badge, Cell, Row, Section
from appaudit.report.view.tables import TableMaker

_CONFIDENCE_ORDER = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2}
_CONFIDENCE_CSS = {Confidence.HIGH: "b-ok", Confidence.MEDIUM: "b-warn", Confidence.LOW: "b-muted"}


def sdk_names(bundle: EvidenceBundle) -> dict[str, str]:
    """SDK id -> display name, for every SDK found in the app."""
    return {h.sdk_id: h.name for h in bundle.sdks}


_COLUMNS = (
    "SDK",
    "Vendor",
    "Categories",
    "Confidence",
    "Usage",
    "In the privacy policy",
    "PI seen sent",
    "Classes",
    "Matched signatures",
)

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


def usage_label(usage: str) -> str:
    """How the app uses an SDK, in words (the usage value itself when it is not a known one)."""
    return tr(_USAGE[usage][0]) if usage in _USAGE else usage


def _usage_cell(h: SdkHit) -> Cell:
    label, css, _rank = _USAGE.get(h.usage, (h.usage, "b-muted", 9))
    return Cell(badge=Badge(tr(label), css, title=h.usage), items=h.usage_evidence[:2], mono=True, css="small")


def _disclosed_cell(h: SdkHit, bundle: EvidenceBundle) -> Cell:
    """Whether the privacy policy names this SDK (or the SDK it is part of); unknown without policy text."""
    policy = bundle.policy
    if policy is None or not policy.policies:
        return na(tr("policy text not read"))
    declared = {d.sdk_id: d for d in policy.declared_sdks if d.sdk_id}
    found = declared.get(h.sdk_id) or (declared.get(h.parent) if h.parent else None)
    if found is None:
        return Cell(badge=Badge(tr("not named"), "b-bad"))
    sentence = policy.sentence(found.sentence)
    return Cell(badge=Badge(tr("named"), "b-ok"), sub=clip(found.name, 80)[0], title=sentence.text if sentence else "")


def _observed_cell(h: SdkHit, bundle: EvidenceBundle) -> Cell:
    """The PI types captured traffic carried to this SDK's vendor; unknown without a capture."""
    traffic = bundle.traffic
    if traffic is None:
        return na(tr("no capture"))
    summary = next((v for v in traffic.vendors if v.party == "sdk" and v.key in (h.sdk_id, h.parent)), None)
    if summary is None:
        return na(tr("no request seen"))
    if not summary.pi_types:
        return Cell(text=tr("{n} requests, no PI", n=summary.requests))
    before = tr("before consent") if summary.before_consent else ""
    return Cell(chips=summary.pi_types, badge=Badge(before, "b-bad") if before else None,
                sub=tr("{n} requests", n=summary.requests))  # fmt: skip


def _sdk_row(h: SdkHit, names: dict[str, str], bundle: EvidenceBundle) -> Row:
    matches = tuple(
        f"{m.kind}: {m.signature} ×{m.count}" + (f" (e.g. {', '.join(m.examples[:3])})" if m.examples else "")
        for m in sorted(h.matches, key=lambda m: (m.kind, m.signature))
    )
    shown, more = capped(matches)
    sub = h.name_zh or ""
    if h.parent:
        sub = (sub + " · " if sub else "") + tr("part of {name}", name=names.get(h.parent, h.parent))
    return Row(
        (
            Cell(text=h.name, sub=sub, title=h.sdk_id),
            Cell(text=h.vendor) if h.vendor else na(tr("unknown")),
            Cell(chips=tuple(h.categories)),
            Cell(badge=Badge(h.confidence.value, _CONFIDENCE_CSS[h.confidence])),
            _usage_cell(h),
            _disclosed_cell(h, bundle),
            _observed_cell(h, bundle),
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
    rows = [_sdk_row(h, names, bundle) for h in hits]
    return Section(
        id="sdks",
        title=tr("Embedded SDKs"),
        availability=avail,
        intro=(
            tr(
                "Third-party SDKs recognised by appaudit's signature database (class prefixes, manifest "
                "components, meta-data, native libraries, assets, domains)."
            ),
            tr(
                "Usage comes from the static call graph: an SDK initialised at start-up without a consent check "
                "runs before the user can agree; one that is only embedded is present but never called."
            ),
            tr(
                "“In the privacy policy” says whether the policy's SDK list names it; “PI seen sent” is what the "
                "captured traffic carried to its vendor."
            ),
        ),
        tables=(
            table(
                tr("SDKs"),
                tuple(tr(c) for c in _COLUMNS),
                rows,
                tr("No SDK from appaudit's signature database was found."),
                noun=tr("SDKs"),
            ),
        ),
    )
