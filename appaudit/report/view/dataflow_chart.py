"""The data-flow figure: the app on the left, each receiver on the right, an edge labelled with the PI it got.

From the captured traffic when there is some (one receiver per :class:`VendorSummary`: first party,
each SDK, each unknown registrable domain; hosts the proxy could not see are marked); otherwise from
the static evidence, where an edge says what an embedded SDK's code *can* access, not what it sent.
Every string from the evidence lands in a text node, a ``<title>`` or an attribute value, made
visible and clipped in text.
"""

from __future__ import annotations

from dataclasses import dataclass

from appaudit.checks.logic.dynamic import device_of, traffic_of
from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.traffic import TrafficEvidence, UnobservableHost, VendorSummary
from appaudit.report.i18n import tr
from appaudit.report.view.figure import Figure, LegendEntry, Shape, shape
from appaudit.report.view.sdks import sdk_names
from appaudit.report.view.timeline_chart import ITEM_CHARS, clip_label, short_list, visible
from appaudit.traffic.vendors import summarise

WIDTH = 760
APP_X, APP_WIDTH, APP_HEIGHT = 16, 164, 48
NODE_X, NODE_WIDTH, NODE_HEIGHT = 500, 244, 30
BEND_X = 290  # edges curve from the app to here, then run straight to their receiver
ROW_HEIGHT = 40
TOP = 16
MAX_RECEIVERS = 20
LABEL_CHARS = 30
APP_LABEL_CHARS = 22
EDGE_LABEL_CHARS = 34
PI_LABEL_TYPES = 3  # PI types spelled out on an edge; the rest as "+N"

_PARTY_CSS = {"first_party": "node-first", "sdk": "node-sdk", "third_party": "node-third"}


@dataclass(frozen=True)
class _Receiver:
    key: str  # data-edge / data-node: "sdk:umeng_analytics", "first_party:example.cn", ...
    party: str
    label: str  # full, unclipped (clipped when drawn)
    sub: str  # second line: party and counts
    pi_types: tuple[str, ...]
    before_consent: bool
    requests: int  # -1: static evidence (no request seen)
    pi_requests: int
    unobservable: tuple[UnobservableHost, ...] = ()
    note: str = ""  # static: how the app uses the SDK

    @property
    def rank(self) -> tuple[int, int, int, str]:
        tier = 0 if self.before_consent else 1 if self.pi_types else 2 if self.unobservable else 3
        return (tier, -self.pi_requests, -max(self.requests, len(self.pi_types)), self.key)


def _party_label(party: str) -> str:
    return {"first_party": tr("first party"), "sdk": tr("SDK"), "third_party": tr("third party")}.get(
        party, visible(party)
    )


def _vendor_name(v: VendorSummary, names: dict[str, str]) -> str:
    if v.party == "sdk":
        return names.get(v.key) or v.vendor or v.key
    return v.key


def _covers(v: VendorSummary, u: UnobservableHost) -> bool:
    """Whether a hidden host belongs to a receiver: same SDK, same registrable domain, or a subdomain of one."""
    d = u.destination
    if d is not None and d.party == v.party == "sdk" and d.sdk_id == v.key:
        return True
    if d is not None and d.registrable_domain in v.domains:
        return True
    host = u.host.lower().rstrip(".")
    return any(host == dom or host.endswith("." + dom) for dom in v.domains)


def _traffic_receivers(bundle: EvidenceBundle, traffic: TrafficEvidence) -> list[_Receiver]:
    names = sdk_names(bundle)
    vendors = traffic.vendors or summarise(traffic.flows, traffic.pi_matches, device_of(bundle))
    hidden = list(traffic.unobservable)
    out = []
    for v in vendors:
        mine = tuple(u for u in hidden if _covers(v, u))
        hidden = [u for u in hidden if u not in mine]
        sub = tr(
            "{party} · {requests} request(s), {pi} with PI",
            party=_party_label(v.party),
            requests=v.requests,
            pi=v.pi_requests,
        )
        out.append(
            _Receiver(
                f"{v.party}:{v.key}",
                v.party,
                _vendor_name(v, names),
                sub,
                v.pi_types,
                v.before_consent is True,
                v.requests,
                v.pi_requests,
                mine,
            )
        )
    # Hosts the proxy could not see that match no receiver with visible traffic get a node of their own.
    by_key: dict[str, list[UnobservableHost]] = {}
    for u in hidden:
        d = u.destination
        party = d.party if d else "third_party"
        key = d.sdk_id if d and d.party == "sdk" and d.sdk_id else d.registrable_domain if d else u.host
        by_key.setdefault(f"{party}:{key}", []).append(u)
    for key, hosts in by_key.items():
        party = key.split(":", 1)[0]
        d = hosts[0].destination
        label = (names.get(d.sdk_id or "") or d.vendor or key.split(":", 1)[1]) if d else hosts[0].host
        out.append(
            _Receiver(key, party, label, _party_label(party), (), False, 0, 0, tuple(hosts)),
        )
    return out


_USAGE = {
    "initialised_at_startup": "initialised at start-up, no consent check found",
    "initialised_at_startup_guarded": "initialised at start-up behind a consent check",
    "initialised_later": "initialised later, not at start-up",
    "reachable": "code reachable, no initialisation call found",
    "embedded": "embedded, not called",
}


def _static_receivers(bundle: EvidenceBundle) -> list[_Receiver]:
    """Embedded SDKs, with the PI their own code can reach: sensitive API calls and initialisations found."""
    types: dict[str, set[str]] = {}
    for call in bundle.api_calls:
        if call.sdk_id:
            types.setdefault(call.sdk_id, set()).update(call.pi_types)
    for finding in bundle.startup.findings if bundle.startup else ():
        if finding.kind in ("sdk_init", "sdk_call"):
            types.setdefault(finding.target, set()).update(finding.pi_types)
    out, seen = [], set()
    for hit in bundle.sdks:
        if hit.sdk_id in seen:
            continue
        seen.add(hit.sdk_id)
        pi = tuple(sorted(types.get(hit.sdk_id, ())))
        usage = _USAGE.get(hit.usage)
        out.append(
            _Receiver(
                f"sdk:{hit.sdk_id}",
                "sdk",
                hit.name or hit.sdk_id,
                tr("SDK · {vendor}", vendor=visible(hit.vendor)) if hit.vendor else tr("SDK"),
                pi,
                False,
                -1,
                0,
                note=tr(usage) if usage else "",
            )
        )
    return out


# --------------------------------------------------------------------------- drawing


def _edge_label(r: _Receiver, static: bool) -> tuple[str, str]:
    """(short text on the edge, full text in its tooltip)."""
    if r.pi_types:
        full = ", ".join(visible(t) for t in r.pi_types)
        if static:
            title = tr("{receiver}: its code can access {types}", receiver=visible(r.label), types=full)
        elif r.before_consent:
            title = tr("{receiver} received {types}, some of it before consent", receiver=visible(r.label), types=full)
        else:
            title = tr("{receiver} received {types}", receiver=visible(r.label), types=full)
        return clip_label(short_list(r.pi_types, PI_LABEL_TYPES), EDGE_LABEL_CHARS), title
    if static:
        text = tr("no PI access found in its code")
    elif r.requests == 0 and r.unobservable:
        text = tr("no request seen")
    else:
        text = tr("no personal information seen")
    return text, f"{visible(r.label)}: {text}"


def _edge(r: _Receiver, app_y: float, y: float, static: bool) -> list[Shape]:
    if static:
        css, dash, phase = "edge-static", "2 4", {}
    elif r.before_consent:
        css, dash, phase = "edge-pi-before", "", {"data_phase": "before_consent"}
    elif r.pi_types:
        css, dash, phase = "edge-pi", "", {}
    elif r.requests == 0 and r.unobservable:
        css, dash, phase = "edge-unobservable", "1 3", {}
    else:
        css, dash, phase = "edge-none", "6 4", {}
    text, title = _edge_label(r, static)
    start_x = APP_X + APP_WIDTH
    mid = (start_x + BEND_X) / 2
    path = f"M {start_x} {app_y:g} C {mid:g} {app_y:g} {mid:g} {y:g} {BEND_X} {y:g} L {NODE_X} {y:g}"
    extra = {"stroke_dasharray": dash} if dash else {}
    pi = {"data_pi": ",".join(r.pi_types)} if r.pi_types else {}
    return [
        shape("path", title=title, class_=css, d=path, data_mark="edge", data_edge=r.key, **phase, **pi, **extra),
        shape("text", text, title=title, class_=f"edge-label {css}-label", x=BEND_X + 6, y=y - 5, data_edge=r.key),
    ]


def _node(r: _Receiver, top: float) -> list[Shape]:
    """The receiver's box; a receiver with hidden hosts gets a note under its edge, in the gap to the next row."""
    y = top + NODE_HEIGHT / 2
    title = f"{visible(r.label)} · {r.sub}" + (f" · {r.note}" if r.note else "")
    shapes = [
        shape(
            "rect",
            title=title,
            class_=f"node {_PARTY_CSS.get(r.party, 'node-third')}",
            x=NODE_X,
            y=top,
            width=NODE_WIDTH,
            height=NODE_HEIGHT,
            rx=4,
            data_node=r.key,
            data_party=r.party,
        ),
        shape("text", clip_label(r.label, LABEL_CHARS), title=title, class_="node-label", x=NODE_X + 8, y=y - 2),
        shape("text", clip_label(r.sub, 44), title=title, class_="node-sub", x=NODE_X + 8, y=y + 10),
    ]
    if r.unobservable:
        hosts = ", ".join(f"{visible(u.host)} ({u.count}×, {visible(u.reason)})" for u in r.unobservable)
        shapes.append(
            shape(
                "text",
                tr("not observable: {count} host(s)", count=len(r.unobservable)),
                title=tr("The proxy could not see traffic to: {hosts}", hosts=hosts),
                class_="node-note",
                x=BEND_X + 6,
                y=y + 12,
                data_mark="unobservable",
                data_node=r.key,
            )
        )
    return shapes


def _more(rest: list[_Receiver], top: float) -> list[Shape]:
    shown = ", ".join(visible(r.label) for r in rest[:30]) + (" …" if len(rest) > 30 else "")
    title = tr("{count} more receivers: {names}", count=len(rest), names=shown)
    return [
        shape(
            "rect",
            title=title,
            class_="node node-more",
            x=NODE_X,
            y=top,
            width=NODE_WIDTH,
            height=NODE_HEIGHT,
            rx=4,
            data_mark="more",
        ),
        shape(
            "text",
            tr("+{count} more receivers", count=len(rest)),
            title=title,
            class_="node-label",
            x=NODE_X + 8,
            y=top + NODE_HEIGHT / 2 + 4,
        ),
    ]


def _app_label(bundle: EvidenceBundle) -> tuple[str, str]:
    if bundle.app is not None:
        return bundle.app.label or bundle.app.package, bundle.app.package
    return bundle.input.file_name, ""


def _draw(bundle: EvidenceBundle, receivers: list[_Receiver], static: bool) -> tuple[list[Shape], int, int]:
    ordered = sorted(receivers, key=lambda r: r.rank)
    shown, rest = (ordered, []) if len(ordered) <= MAX_RECEIVERS else (ordered[:MAX_RECEIVERS], ordered[MAX_RECEIVERS:])
    rows = len(shown) + (1 if rest else 0)
    height = TOP * 2 + max(rows, 1) * ROW_HEIGHT
    app_y = height / 2
    label, package = _app_label(bundle)
    title = visible(label) + (f" ({visible(package)})" if package and package != label else "")
    shapes = [
        shape(
            "rect",
            title=title,
            class_="node node-app",
            x=APP_X,
            y=app_y - APP_HEIGHT / 2,
            width=APP_WIDTH,
            height=APP_HEIGHT,
            rx=6,
            data_node="app",
        ),
        shape("text", clip_label(label, APP_LABEL_CHARS), title=title, class_="node-label", x=APP_X + 10, y=app_y - 3),
    ]
    if package and package != label:
        shapes.append(
            shape("text", clip_label(package, 26), title=title, class_="node-sub", x=APP_X + 10, y=app_y + 12)
        )
    edges, nodes = [], []
    for i, r in enumerate(shown):
        top = TOP + i * ROW_HEIGHT + (ROW_HEIGHT - NODE_HEIGHT) / 2
        edges += _edge(r, app_y, top + NODE_HEIGHT / 2, static)
        nodes += _node(r, top)
    if rest:
        nodes += _more(rest, TOP + len(shown) * ROW_HEIGHT + (ROW_HEIGHT - NODE_HEIGHT) / 2)
    # Edges first, so nodes are drawn over their ends.
    return [*edges, *shapes, *nodes], height, len(rest)


_LEGEND = (
    ("edge-pi-before", "personal information, some before consent"),
    ("edge-pi", "personal information"),
    ("edge-none", "requests without personal information"),
    ("edge-unobservable", "traffic the proxy could not see"),
    ("edge-static", "what the SDK's code can access (static)"),
)


def _legend(shapes: list[Shape]) -> tuple[LegendEntry, ...]:
    used = {s.attr("class") for s in shapes if s.attr("data-mark") == "edge"}
    return tuple(LegendEntry(tr(label), css) for css, label in _LEGEND if css in used)


def _traffic_description(receivers: list[_Receiver], traffic: TrafficEvidence) -> str:
    with_pi = [r for r in receivers if r.pi_types]
    before = [r for r in with_pi if r.before_consent]
    types = sorted({t for r in with_pi for t in r.pi_types})
    seen = [r for r in receivers if r.requests > 0]
    sentences = [
        tr(
            "The app sent {requests} request(s) to {receivers} receiver(s); "
            "{pi} of them received personal information, {before} before consent.",
            requests=len(traffic.flows),
            receivers=len(seen),
            pi=len(with_pi),
            before=len(before),
        )
    ]
    if types:
        sentences.append(tr("Types sent: {types}.", types=short_list(types, 12)))
    if before:
        sentences.append(tr("Before consent: {receivers}.", receivers=short_list([r.label for r in before], 8)))
    hidden = [u for r in receivers for u in r.unobservable]
    if hidden:
        sentences.append(
            tr(
                "{count} host(s) could not be observed: {hosts}.",
                count=len(hidden),
                hosts=short_list([u.host for u in hidden], 5),
            )
        )
    return " ".join(sentences)


def _static_description(receivers: list[_Receiver], captured: bool) -> str:
    with_pi = [r for r in receivers if r.pi_types]
    sentences = [
        tr("The capture recorded no request.") if captured else tr("No traffic was captured."),
        tr(
            "{sdks} SDK(s) are embedded; the code of {pi} of them can access personal information.",
            sdks=len(receivers),
            pi=len(with_pi),
        ),
    ]
    sentences += [
        tr("{sdk} can access {types}.", sdk=clip_label(r.label, ITEM_CHARS), types=short_list(r.pi_types, 8))
        for r in with_pi[:8]
    ]
    return " ".join(sentences)


def dataflow_figure(bundle: EvidenceBundle) -> Figure | None:
    """App → receivers, from the traffic; else app → embedded SDKs from static evidence; None with neither."""
    traffic = traffic_of(bundle)
    receivers = _traffic_receivers(bundle, traffic) if traffic is not None else []
    static = not receivers
    if static:
        receivers = _static_receivers(bundle)
        if not receivers:
            return None
    shapes, height, more = _draw(bundle, receivers, static)
    if static:
        description = _static_description(receivers, traffic is not None)
        caption = tr("Static evidence: what embedded code can access, not what was sent.")
    else:
        assert traffic is not None
        description = _traffic_description(receivers, traffic)
        caption = tr("From the captured traffic: each edge lists the personal information the receiver got.")
        if all(not r.before_consent for r in receivers) and device_of(bundle) is None:
            caption += " " + tr("Without a device run, whether anything was sent before consent is unknown.")
    if more:
        caption += " " + tr("{count} receivers with the least personal information are grouped.", count=more)
    return Figure(
        id="dataflow",
        title=tr("Where personal information went") if not static else tr("What embedded SDKs can access"),
        description=description,
        width=WIDTH,
        height=height,
        shapes=tuple(shapes),
        legend=_legend(shapes),
        caption=caption,
        css="fig-dataflow",
    )
