"""The captured-traffic section: who received what, the PI found in each request, and what stayed hidden."""

from __future__ import annotations

import datetime as dt

from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.timeline import place
from appaudit.evidence.traffic import PiMatch, TrafficEvidence, UnobservableHost, VendorSummary
from appaudit.report.view.availability import part_availability
from appaudit.report.view.cells import clip, na
from appaudit.report.view.model import Badge, Cell, Fact, Notice, Row, Section
from appaudit.report.view.sdks import sdk_names
from appaudit.report.view.tables import TableMaker

PARTY_LABELS = {"first_party": "First party", "sdk": "SDK vendor", "third_party": "Unknown third party"}
_PARTY_CSS = {"first_party": "b-info", "sdk": "b-warn", "third_party": "b-bad"}
_REASONS = {
    "tls_failed": "TLS refused (CA not trusted, or pinned)",
    "no_request_after_tls": "TLS set up, no request (pinned after the handshake)",
}


def _clock(ts: float | None) -> str:
    if ts is None:
        return "—"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%H:%M:%S.%f")[:-3] + " UTC"


def _vendor_row(v: VendorSummary, names: dict[str, str]) -> Row:
    label = names.get(v.key, v.vendor or v.key) if v.party == "sdk" else v.key
    before = (
        na("no consent moment")
        if v.before_consent is None
        else Cell(badge=Badge("before consent", "b-bad"))
        if v.before_consent
        else Cell(text="no")
    )
    return Row(
        (
            Cell(text=label, sub=v.key if label != v.key else "", mono=v.party != "sdk"),
            Cell(badge=Badge(PARTY_LABELS.get(v.party, v.party), _PARTY_CSS.get(v.party, "b-muted"))),
            Cell(items=v.domains, mono=True, css="small"),
            Cell(text=str(v.requests), css="num"),
            Cell(text=str(v.pi_requests), css="num"),
            Cell(chips=v.pi_types) if v.pi_types else na("—"),
            Cell(text=f"{_clock(v.first_ts)} → {_clock(v.last_ts)}" if v.first_ts else "—", css="small"),
            Cell(text=str(v.max_pi_per_minute), css="num"),
            before,
        ),
        css="row-dangerous" if v.pi_requests and v.party != "first_party" else "",
    )


def _match_row(m: PiMatch, traffic: TrafficEvidence, bundle: EvidenceBundle) -> Row:
    found = traffic.flow(m.flow_id)
    flow = found[1] if found else None
    url = clip(flow.url, 160)[0] if flow else m.flow_id
    phase = place(bundle.device, flow.ts).phase.value.replace("_", " ") if flow else "unknown"
    chain = " → ".join(m.encodings) if m.encodings else "as sent"
    return Row(
        (
            Cell(text=_clock(flow.ts) if flow else "—", sub=phase, css="small"),
            Cell(text=f"{flow.method} {url}" if flow else url, sub=f"flow {m.flow_id}", mono=True, css="small"),
            Cell(text=flow.destination.registrable_domain if flow else "—", mono=True),
            Cell(text=m.pi_type, sub=m.value_name),
            Cell(text=f"{m.detector}, {m.confidence.value}"),
            Cell(text=m.location, mono=True, css="small"),
            Cell(
                text=chain, sub=f"bytes {m.offset}+{m.length}" if m.offset is not None else "", mono=True, css="small"
            ),
            Cell(text=clip(m.excerpt, 120)[0], mono=True, css="small") if m.excerpt else na("—"),
        ),
        css="row-dangerous" if flow and flow.destination.third_party else "",
    )


def _hidden_row(u: UnobservableHost) -> Row:
    who = u.destination
    return Row(
        (
            Cell(text=u.host, mono=True),
            Cell(text=_REASONS.get(u.reason, u.reason)),
            Cell(text=str(u.count), css="num"),
            Cell(text=_clock(u.first_ts), css="small"),
            Cell(badge=Badge(PARTY_LABELS.get(who.party, who.party), _PARTY_CSS.get(who.party, "b-muted")))
            if who
            else na("—"),
        ),
        css="row-warn",
    )


def _facts(traffic: TrafficEvidence) -> tuple[Fact, ...]:
    c = traffic.capture
    verified = {True: "yes: an HTTPS request was decrypted", False: "no: TLS only failed", None: "unknown"}
    opaque = sum(1 for f in traffic.flows if f.opaque)
    return (
        Fact("Source", Cell(text="appaudit capture run" if c.source == "capture" else "replayed .mitm file")),
        Fact("Captured", Cell(text=f"{_clock(c.started)} → {_clock(c.ended)} ({c.ended - c.started:.0f} s)")),
        Fact("Proxy", Cell(text=c.proxy or "—", sub=f"mitmproxy {c.mitmproxy_version}" if c.mitmproxy_version else "")),
        Fact("CA certificate SHA-256", Cell(text=c.ca_sha256 or "unknown", mono=True, css="small")),
        Fact("Interception verified", Cell(text=verified[c.interception_verified])),
        Fact("Requests", Cell(text=f"{len(traffic.flows)} ({opaque} opaque)")),
        Fact("PI matches", Cell(text=str(len(traffic.pi_matches)))),
        Fact(
            "Device values looked for",
            Cell(chips=c.profile_keys) if c.profile_keys else Cell(text="none (pattern detectors only)"),
        ),
    )


def traffic_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    """What the app sent, by receiver and by match; unobservable hosts and opaque bodies flagged."""
    traffic = bundle.traffic
    avail = part_availability(bundle, "traffic", present=traffic is not None)
    table = TableMaker(avail, max_rows)
    if traffic is None:
        return Section(
            id="traffic",
            title="Captured traffic",
            availability=avail,
            intro=("Run `appaudit capture`, drive the app, then `appaudit scan APP.apk --traffic RUN_DIR`.",),
        )
    names = sdk_names(bundle)
    notices = []
    if traffic.unobservable or traffic.capture.interception_verified is not True:
        notices.append(
            Notice(
                "n-warn",
                "Part of the traffic could not be seen",
                "Hosts that refused the proxy's certificate, or connected and sent nothing, may carry PI. "
                "No item is marked compliant on traffic that was not observed.",
            )
        )
    opaque = [f for f in traffic.flows if f.opaque and f.destination.third_party]
    if opaque:
        notices.append(
            Notice(
                "n-warn",
                f"{len(opaque)} opaque request body(ies) to third parties",
                "Large high-entropy bodies no decoder could open: possibly encrypted PI, never counted as clean.",
                items=tuple(f"{f.destination.host}: {f.request_bytes} bytes ({f.id})" for f in opaque[:20]),
            )
        )
    return Section(
        id="traffic",
        title="Captured traffic",
        availability=avail,
        intro=(
            "What the app sent through the capture proxy. Traffic proves transmission, not collection; "
            "times are the host's clock, shared with the device runs.",
        ),
        facts=_facts(traffic),
        notices=tuple(notices),
        tables=(
            table(
                "Receivers",
                (
                    "Receiver",
                    "Party",
                    "Domains",
                    "Requests",
                    "With PI",
                    "PI types",
                    "PI sent",
                    "Max/min",
                    "Before consent",
                ),
                [_vendor_row(v, names) for v in traffic.vendors],
                "No request was captured.",
                noun="receivers",
            ),
            table(
                "PI found in requests",
                ("Time", "Request", "To", "PI", "Detector", "Where", "Encoding", "Excerpt"),
                [_match_row(m, traffic, bundle) for m in traffic.pi_matches],
                "No personal information was found in the captured requests.",
                noun="matches",
            ),
            table(
                "Hosts the proxy could not see",
                ("Host (SNI)", "Why", "Times", "First", "Receiver"),
                [_hidden_row(u) for u in traffic.unobservable],
                "Every TLS connection was intercepted.",
                noun="hosts",
            ),
        ),
    )
