"""The network-endpoints section: hosts seen in the code and resources, and who they belong to."""

from __future__ import annotations

from collections import Counter

from appaudit.evidence.model import Endpoint, EvidenceBundle
from appaudit.report.i18n import tr
from appaudit.report.view.availability import dex_availability
from appaudit.report.view.cells import capped, clip, na
from appaudit.report.view.model import Badge, Cell, Row, Section
from appaudit.report.view.sdks import sdk_names
from appaudit.report.view.tables import TableMaker

PARTY_LABELS: dict[str, str] = {
    "first_party": "First party",
    "sdk": "Third-party SDK",
    "unknown": "Unknown",
}
_PARTY_ORDER = {"sdk": 0, "unknown": 1, "first_party": 2}

_COLUMNS = ("Host", "Party", "SDK", "Cleartext", "Contacted in the capture", "URLs", "Seen in")


def _contacted_cell(host: str, requests: dict[str, int] | None) -> Cell:
    if requests is None:
        return na(tr("no capture"))
    n = requests.get(host, 0)
    return Cell(text=tr("{n} requests", n=n), css="num") if n else na(tr("not contacted"))


def _endpoint_row(e: Endpoint, names: dict[str, str], requests: dict[str, int] | None) -> Row:
    urls, more = capped(tuple(clip(u, 200)[0] for u in sorted(e.urls)), 5)
    sources, more_sources = capped(tuple(sorted(e.sources)), 5)
    party_css = {"first_party": "b-info", "sdk": "b-warn"}.get(e.party, "b-muted")
    return Row(
        (
            Cell(text=e.host, mono=True),
            Cell(badge=Badge(tr(PARTY_LABELS.get(e.party, e.party)), party_css)),
            Cell(text=names.get(e.sdk_id, e.sdk_id), title=e.sdk_id) if e.sdk_id else na("—"),
            Cell(badge=Badge(tr("cleartext http"), "b-bad")) if e.cleartext else Cell(text=tr("no")),
            _contacted_cell(e.host, requests),
            Cell(items=urls, more=more, mono=True, css="small") if urls else na("—"),
            Cell(items=sources, more=more_sources, mono=True, css="small"),
        ),
        css="row-dangerous" if e.cleartext else "",
    )


def endpoints_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    """Endpoints, third-party SDK hosts first; cleartext ones highlighted."""
    avail = dex_availability(bundle, "endpoints")
    table = TableMaker(avail, max_rows)
    names = sdk_names(bundle)
    ordered = sorted(bundle.endpoints, key=lambda e: (_PARTY_ORDER.get(e.party, 3), e.host))
    requests = None
    if bundle.traffic is not None:
        requests = dict(Counter(f.destination.host.casefold() for f in bundle.traffic.flows))
        requests = {e.host: requests.get(e.host.casefold(), 0) for e in ordered}
    rows = [_endpoint_row(e, names, requests) for e in ordered]
    return Section(
        id="endpoints",
        title=tr("Network endpoints"),
        availability=avail,
        intro=(
            tr(
                "Hosts found in the code and resources, shown as text, not links. “Contacted in the capture” says "
                "how many captured requests went to the host."
            ),
        ),
        tables=(
            table(
                tr("Endpoints"),
                tuple(tr(c) for c in _COLUMNS),
                rows,
                tr("No network endpoint was found."),
                noun=tr("endpoints"),
            ),
        ),
    )
