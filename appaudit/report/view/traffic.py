"""The captured-traffic section: who received what, the PI found in each request, and what stayed hidden."""

from __future__ import annotations

import datetime as dt

from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.timeline import place
from appaudit.evidence.traffic import PiMatch, TrafficEvidence, UnobservableHost, VendorSummary
from appaudit.report.i18n import tr
from appaudit.report.view.availability import part_availability
from appaudit.report.view.cells import clip, na
from appaudit.report.view.model import Badge, Cell, Fact, Notice, Row, Section
from appaudit.report.view.sdks import sdk_names
from appaudit.report.view.tables import TableMaker

# Labels here are English message ids, translated where they are shown.
PARTY_LABELS = {"first_party": "First party", "sdk": "SDK vendor", "third_party": "Unknown third party"}
_PARTY_CSS = {"first_party": "b-info", "sdk": "b-warn", "third_party": "b-bad"}
_REASONS = {
    "tls_failed": "TLS refused (CA not trusted, or pinned)",
    "no_request_after_tls": "TLS set up, no request (pinned after the handshake)",
}
# When a request was sent, relative to the consent answer of its run (timeline phases).
_PHASES = {
    "before_consent": "before consent",
    "ambiguous": "ambiguous",
    "after_consent": "after consent",
    "after_refusal": "after refusal",
    "unknown": "unknown",
}
_CONFIDENCE = {"high": "high", "medium": "medium", "low": "low"}


def _word(words: dict[str, str], key: str) -> str:
    """A recorded key in words, in the current language; an unknown key as recorded."""
    return tr(words[key]) if key in words else key.replace("_", " ")


def _party_badge(party: str) -> Badge:
    return Badge(tr(PARTY_LABELS[party]) if party in PARTY_LABELS else party, _PARTY_CSS.get(party, "b-muted"))


def _clock(ts: float | None) -> str:
    if ts is None:
        return "—"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%H:%M:%S.%f")[:-3] + " UTC"


def _vendor_row(v: VendorSummary, names: dict[str, str]) -> Row:
    label = names.get(v.key, v.vendor or v.key) if v.party == "sdk" else v.key
    before = (
        na(tr("no consent moment"))
        if v.before_consent is None
        else Cell(badge=Badge(tr("before consent"), "b-bad"))
        if v.before_consent
        else Cell(text=tr("no"))
    )
    return Row(
        (
            Cell(text=label, sub=v.key if label != v.key else "", mono=v.party != "sdk"),
            Cell(badge=_party_badge(v.party)),
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
    phase = _word(_PHASES, place(bundle.device, flow.ts).phase.value if flow else "unknown")
    chain = " → ".join(m.encodings) if m.encodings else tr("as sent")
    return Row(
        (
            Cell(text=_clock(flow.ts) if flow else "—", sub=phase, css="small"),
            Cell(
                text=f"{flow.method} {url}" if flow else url, sub=tr("flow {id}", id=m.flow_id), mono=True, css="small"
            ),
            Cell(text=flow.destination.registrable_domain if flow else "—", mono=True),
            Cell(text=m.pi_type, sub=m.value_name),
            Cell(text=f"{m.detector}, {_word(_CONFIDENCE, m.confidence.value)}"),
            Cell(text=m.location, mono=True, css="small"),
            Cell(
                text=chain,
                sub=tr("bytes {offset}+{length}", offset=m.offset, length=m.length) if m.offset is not None else "",
                mono=True,
                css="small",
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
            Cell(text=tr(_REASONS[u.reason]) if u.reason in _REASONS else u.reason),
            Cell(text=str(u.count), css="num"),
            Cell(text=_clock(u.first_ts), css="small"),
            Cell(badge=_party_badge(who.party)) if who else na("—"),
        ),
        css="row-warn",
    )


def _facts(traffic: TrafficEvidence) -> tuple[Fact, ...]:
    c = traffic.capture
    verified = {True: "yes: an HTTPS request was decrypted", False: "no: TLS only failed", None: "unknown"}
    opaque = sum(1 for f in traffic.flows if f.opaque)
    return (
        Fact(
            tr("Source"), Cell(text=tr("appaudit capture run") if c.source == "capture" else tr("replayed .mitm file"))
        ),
        Fact(
            tr("Captured"),
            Cell(
                text=tr(
                    "{start} → {end} ({seconds} s)",
                    start=_clock(c.started),
                    end=_clock(c.ended),
                    seconds=f"{c.ended - c.started:.0f}",
                )
            ),
        ),
        Fact(
            tr("Proxy"),
            Cell(text=c.proxy or "—", sub=f"mitmproxy {c.mitmproxy_version}" if c.mitmproxy_version else ""),
        ),
        Fact(tr("CA certificate SHA-256"), Cell(text=c.ca_sha256 or tr("unknown"), mono=True, css="small")),
        Fact(tr("Interception verified"), Cell(text=tr(verified[c.interception_verified]))),
        Fact(tr("Requests"), Cell(text=tr("{n} ({opaque} opaque)", n=len(traffic.flows), opaque=opaque))),
        Fact(tr("PI matches"), Cell(text=str(len(traffic.pi_matches)))),
        Fact(
            tr("Device values looked for"),
            Cell(chips=c.profile_keys) if c.profile_keys else Cell(text=tr("none (pattern detectors only)")),
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
            title=tr("Captured traffic"),
            availability=avail,
            intro=(tr("Run `appaudit capture`, drive the app, then `appaudit scan APP.apk --traffic RUN_DIR`."),),
        )
    names = sdk_names(bundle)
    notices = []
    if traffic.unobservable or traffic.capture.interception_verified is not True:
        notices.append(
            Notice(
                "n-warn",
                tr("Part of the traffic could not be seen"),
                tr(
                    "Hosts that refused the proxy's certificate, or connected and sent nothing, may carry PI. "
                    "No item is marked compliant on traffic that was not observed."
                ),
            )
        )
    opaque = [f for f in traffic.flows if f.opaque and f.destination.third_party]
    if opaque:
        notices.append(
            Notice(
                "n-warn",
                tr("{n} opaque request body(ies) to third parties", n=len(opaque)),
                tr("Large high-entropy bodies no decoder could open: possibly encrypted PI, never counted as clean."),
                items=tuple(
                    tr("{host}: {size} bytes ({id})", host=f.destination.host, size=f.request_bytes, id=f.id)
                    for f in opaque[:20]
                ),
            )
        )
    return Section(
        id="traffic",
        title=tr("Captured traffic"),
        availability=avail,
        intro=(
            tr(
                "What the app sent through the capture proxy. Traffic proves transmission, not collection; "
                "times are the host's clock, shared with the device runs."
            ),
        ),
        facts=_facts(traffic),
        notices=tuple(notices),
        tables=(
            table(
                tr("Receivers"),
                tuple(
                    tr(c)
                    for c in (
                        "Receiver",
                        "Party",
                        "Domains",
                        "Requests",
                        "With PI",
                        "PI types",
                        "PI sent",
                        "Max/min",
                        "Before consent",
                    )
                ),
                [_vendor_row(v, names) for v in traffic.vendors],
                tr("No request was captured."),
                noun=tr("receivers"),
            ),
            table(
                tr("PI found in requests"),
                tuple(tr(c) for c in ("Time", "Request", "To", "PI", "Detector", "Where", "Encoding", "Excerpt")),
                [_match_row(m, traffic, bundle) for m in traffic.pi_matches],
                tr("No personal information was found in the captured requests."),
                noun=tr("matches"),
            ),
            table(
                tr("Hosts the proxy could not see"),
                tuple(tr(c) for c in ("Host (SNI)", "Why", "Times", "First", "Receiver")),
                [_hidden_row(u) for u in traffic.unobservable],
                tr("Every TLS connection was intercepted."),
                noun=tr("hosts"),
            ),
        ),
    )
