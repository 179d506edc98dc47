"""The sensitive-API section: call sites in the bytecode, summarised per API and listed one by one."""

from __future__ import annotations

from collections import Counter

from appaudit.evidence.model import ApiCallSite, EvidenceBundle
from appaudit.report.i18n import tr
from appaudit.report.view.availability import dex_availability
from appaudit.report.view.cells import capped, clip, na
from appaudit.report.view.model import Badge, Cell, Fact, Row, Section
from appaudit.report.view.sdks import sdk_names
from appaudit.report.view.smali import ref_cell
from appaudit.report.view.tables import TableMaker


def _party_cell(sdk_id: str | None, names: dict[str, str]) -> Cell:
    if sdk_id is None:
        return Cell(badge=Badge(tr("first party"), "b-info"))
    return Cell(text=names.get(sdk_id, sdk_id), title=sdk_id)


# Column labels are English message ids, translated where the table is built.
_API_COLUMNS = ("API", "PI types", "Call sites", "First party", "SDKs")


def _api_row(api_id: str, sites: list[ApiCallSite], names: dict[str, str]) -> Row:
    first_party = sum(1 for c in sites if c.sdk_id is None)
    sdk_counts = Counter(c.sdk_id for c in sites if c.sdk_id is not None)
    sdks = tuple(f"{names.get(s, s)} ×{n}" for s, n in sorted(sdk_counts.items()))
    shown, more = capped(sdks)
    apis = sorted({c.api for c in sites})
    return Row(
        (
            Cell(text=api_id, title="\n".join(apis), mono=True),
            Cell(chips=tuple(sorted({t for c in sites for t in c.pi_types}))),
            Cell(text=f"{len(sites):,}", css="num"),
            Cell(text=f"{first_party:,}", css="num"),
            Cell(items=shown, more=more) if sdks else na("—"),
        ),
        css="row-warn" if first_party else "",
    )


_SITE_COLUMNS = ("API", "PI types", "Caller", "Argument", "Location", "Code owner")


def _site_row(c: ApiCallSite, names: dict[str, str]) -> Row:
    return Row(
        (
            Cell(text=c.api_id, title=c.api, mono=True),
            Cell(chips=tuple(sorted(c.pi_types))),
            ref_cell(str(c.caller)),
            Cell(text=clip(c.argument, 120)[0], mono=True) if c.argument is not None else na("—"),
            Cell(text=f"{c.dex} @0x{c.offset:x}", mono=True, css="small"),
            _party_cell(c.sdk_id, names),
        )
    )


def api_calls_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    """One row per sensitive API (call sites in first-party code flagged), then every call site."""
    avail = dex_availability(bundle, "api_calls")
    table = TableMaker(avail, max_rows)
    names = sdk_names(bundle)
    calls: tuple[ApiCallSite, ...] = bundle.api_calls if avail.assessed else ()
    by_api: dict[str, list[ApiCallSite]] = {}
    for c in calls:
        by_api.setdefault(c.api_id, []).append(c)
    api_rows = [_api_row(api_id, by_api[api_id], names) for api_id in sorted(by_api)]
    ordered = sorted(
        calls, key=lambda c: (c.api_id, c.sdk_id is not None, c.sdk_id or "", str(c.caller), c.dex, c.offset)
    )
    site_rows = [_site_row(c, names) for c in ordered]
    facts: tuple[Fact, ...] = ()
    if avail.assessed:
        first_party = sum(1 for c in calls if c.sdk_id is None)
        facts = (
            Fact(
                tr("Call sites"),
                Cell(
                    text=tr(
                        "{n} ({first_party} in first-party code)", n=f"{len(calls):,}", first_party=f"{first_party:,}"
                    )
                ),
            ),
            Fact(tr("Distinct APIs"), Cell(text=str(len(by_api)))),
        )
    none_found = tr("No call to a sensitive API in appaudit's list was found.")
    return Section(
        id="api-calls",
        title=tr("Sensitive API call sites"),
        availability=avail,
        intro=(
            tr(
                "Where the bytecode calls privacy-sensitive Android APIs. Presence of a call does not prove it "
                "runs; see the start-up section for calls reachable before consent."
            ),
        ),
        facts=facts,
        tables=(
            table(tr("By API"), tuple(tr(c) for c in _API_COLUMNS), api_rows, none_found, noun=tr("APIs")),
            table(tr("Call sites"), tuple(tr(c) for c in _SITE_COLUMNS), site_rows, none_found, noun=tr("call sites")),
        ),
    )
