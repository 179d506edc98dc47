"""The timeline figure: each request of a device run as a mark on its receiver's lane, consent moments as lines.

One figure per device run (x: seconds since the run started; one lane per receiver), or one for the
whole capture when no device run gives the consent moments. The phase of every mark comes from
:func:`appaudit.evidence.timeline.place`, the same function the checks use, so the picture cannot
disagree with a verdict. Every string taken from the evidence lands in a text node, a ``<title>`` or
an attribute value (the template escapes them); visible text is short and clipped with "…".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from appaudit.checks.logic.dynamic import PiFlow, device_of, pi_flows, traffic_of
from appaudit.evidence.device import (
    APP_EXIT,
    CONSENT_AGREE,
    CONSENT_REFUSE,
    MAIN_REACHED,
    PERMISSION_PROMPT,
    DeviceEvidence,
    DeviceRun,
)
from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.timeline import Phase, place, settled_at
from appaudit.evidence.traffic import Flow, TrafficEvidence
from appaudit.report.i18n import tr
from appaudit.report.view.figure import Figure, LegendEntry, Shape, shape
from appaudit.report.view.sdks import sdk_names

WIDTH = 760
PLOT_LEFT = 168  # lane labels sit left of this
PLOT_RIGHT = WIDTH - 16
LANE_HEIGHT = 24
LABEL_ROWS = 3  # rows of event labels above the plot, staggered so close events stay readable
LABEL_ROW_HEIGHT = 11
PLOT_TOP = 12 + LABEL_ROWS * LABEL_ROW_HEIGHT
MAX_THIRD_PARTY_LANES = 8  # unknown third parties beyond these share one "other" lane
MAX_MARKS_PER_LANE = 400  # above this a lane is drawn one mark per pixel column
LANE_LABEL_CHARS = 24
EVENT_LABEL_CHARS = 12
MARK_RADIUS = {"flow": 3.5, "pi": 5.0}

_PARTY_ORDER = {"first_party": 0, "sdk": 1, "third_party": 2}
_WORST_FIRST = (Phase.BEFORE_CONSENT, Phase.AMBIGUOUS, Phase.AFTER_REFUSAL, Phase.AFTER_CONSENT, Phase.UNKNOWN)


# --------------------------------------------------------------------------- text helpers (shared with dataflow)


def visible(text: str) -> str:
    """``text`` with control and format characters (bidi overrides, zero-width joiners) shown as ``\\uXXXX``.

    A host like ``evil\\u202emoc.elgoog`` must not display as a trusted name in an audit figure.
    """
    return "".join(
        ch if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp") else f"\\u{ord(ch):04x}" for ch in text
    )


def clip_label(text: str, limit: int) -> str:
    """Untrusted text made visible and cut to ``limit`` characters, ending in "…" when cut."""
    shown = visible(text)
    return shown if len(shown) <= limit else shown[: max(limit - 1, 1)] + "…"


ITEM_CHARS = 60  # one evidence value inside a sentence (description, caption)


def short_list(values: Sequence[str], limit: int = 3) -> str:
    """``a, b, c +2``: the first ``limit`` values, each clipped, and how many more."""
    head = ", ".join(clip_label(v, ITEM_CHARS) for v in values[:limit])
    rest = len(values) - limit
    return f"{head} +{rest}" if rest > 0 else head


def seconds(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}"


def phase_label(phase: Phase) -> str:
    return {
        Phase.BEFORE_CONSENT: tr("before consent"),
        Phase.AMBIGUOUS: tr("between the consent tap and the next screen (ambiguous)"),
        Phase.AFTER_CONSENT: tr("after consent"),
        Phase.AFTER_REFUSAL: tr("after refusal"),
        Phase.UNKNOWN: tr("consent phase unknown"),
    }[phase]


# --------------------------------------------------------------------------- the data behind the marks


@dataclass(frozen=True)
class _Point:
    flow: Flow
    phase: Phase
    pi_types: tuple[str, ...]  # empty: no PI found in this request
    lane: str


@dataclass(frozen=True)
class _Lane:
    key: str  # "first_party", "sdk:<id>", "third_party:<domain>", "other"
    party: str
    label: str
    title: str


@dataclass(frozen=True)
class _Window:
    start: float
    end: float
    consent: float | None = None  # the first consent answer of the run

    @property
    def span(self) -> float:
        return max(self.end - self.start, 0.0)

    def x(self, ts: float) -> float:
        if not (self.span > 0 and math.isfinite(self.span) and math.isfinite(ts)):
            return float(PLOT_LEFT)
        t = min(max(ts - self.start, 0.0), self.span)
        return PLOT_LEFT + t / self.span * (PLOT_RIGHT - PLOT_LEFT)

    def mark_x(self, ts: float, phase: Phase) -> float:
        """Where a request is drawn: a request before consent stays left of the consent line, even 1 ms before."""
        x = self.x(ts)
        if phase is Phase.BEFORE_CONSENT and self.consent is not None:
            x = min(x, self.x(self.consent) - 1.0)
        return x


def receiver_key(flow: Flow) -> tuple[str, str]:
    """(party, key) of a flow's receiver: the SDK id for an SDK, else the registrable domain (as VendorSummary)."""
    d = flow.destination
    return (d.party, d.sdk_id if d.party == "sdk" and d.sdk_id else d.registrable_domain)


def receiver_name(flow: Flow, names: dict[str, str]) -> str:
    """What a reader calls a flow's receiver: the SDK's name, else its vendor, else the registrable domain."""
    d = flow.destination
    if d.party == "sdk" and d.sdk_id:
        return names.get(d.sdk_id) or d.vendor or d.sdk_id
    return d.vendor or d.registrable_domain


def _lanes(
    points: list[tuple[Flow, Phase, tuple[str, ...]]], names: dict[str, str]
) -> tuple[list[_Lane], list[_Point]]:
    """One lane per receiver present; unknown third parties past the cap share an "other" lane."""
    per_receiver: Counter[tuple[str, str]] = Counter(receiver_key(f) for f, _, _ in points)
    third = sorted((k for k in per_receiver if k[0] == "third_party"), key=lambda k: (-per_receiver[k], k[1]))
    own_lane = set(third[:MAX_THIRD_PARTY_LANES])
    first_party = sorted(k for p, k in per_receiver if p == "first_party")
    lanes: dict[str, _Lane] = {}
    placed = []
    for flow, phase, types in points:
        party, key = receiver_key(flow)
        if party == "first_party":
            domains = short_list(first_party, 5)
            lane = _Lane("first_party", party, tr("first party"), tr("first party: {domain}", domain=domains))
        elif party == "sdk":
            name = receiver_name(flow, names)
            title = tr("SDK {name}", name=visible(name))
            if flow.destination.vendor and flow.destination.vendor != name:
                title += f" · {visible(flow.destination.vendor)}"
            lane = _Lane(f"sdk:{key}", party, clip_label(name, LANE_LABEL_CHARS), title)
        elif (party, key) in own_lane:
            lane = _Lane(f"third_party:{key}", party, clip_label(key, LANE_LABEL_CHARS), visible(key))
        else:
            others = len(third) - len(own_lane)
            lane = _Lane(
                "other",
                "third_party",
                tr("other third parties"),
                tr("{count} other unknown third parties", count=others),
            )
        lanes.setdefault(lane.key, lane)
        placed.append(_Point(flow, phase, types, lane.key))
    first_seen = {p.lane: i for i, p in reversed(list(enumerate(placed)))}
    ordered = sorted(
        lanes.values(),
        key=lambda ln: (_PARTY_ORDER.get(ln.party, 3), ln.key == "other", first_seen[ln.key], ln.key),
    )
    return ordered, placed


def _points(
    carried: dict[str, PiFlow], traffic: TrafficEvidence, device: DeviceEvidence | None, window: _Window
) -> list[tuple[Flow, Phase, tuple[str, ...]]]:
    """The flows inside the window, each with its consent phase and the PI types it carried."""
    out = []
    for flow in traffic.flows:
        if not window.start <= flow.ts <= window.end:
            continue
        found = carried.get(flow.id)
        if found is not None:
            out.append((flow, found.phase, found.pi_types))
        else:
            out.append((flow, place(device, flow.ts).phase, ()))
    return out


# --------------------------------------------------------------------------- drawing


def _ticks(span: float) -> list[float]:
    """Round tick values from 0 to ``span``: steps of 1, 2 or 5 × 10^k, at most about eight."""
    if not (span > 0 and math.isfinite(span)):
        return [0.0]
    raw = span / 8
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(int(span / step + 1e-9) + 1)]


def _tick_text(value: float) -> str:
    return tr("{seconds} s", seconds=f"{value:.6g}")


def _axis(window: _Window, bottom: float, title: str) -> list[Shape]:
    shapes = [shape("line", class_="ax-line", x1=PLOT_LEFT, y1=bottom, x2=PLOT_RIGHT, y2=bottom)]
    for value in _ticks(window.span):
        x = window.x(window.start + value)
        shapes.append(shape("line", class_="ax-tick", x1=x, y1=bottom, x2=x, y2=bottom + 4))
        shapes.append(shape("text", _tick_text(value), class_="ax-label", x=x, y=bottom + 16, text_anchor="middle"))
    shapes.append(
        shape("text", title, class_="ax-title", x=(PLOT_LEFT + PLOT_RIGHT) / 2, y=bottom + 32, text_anchor="middle")
    )
    return shapes


def _lane_shapes(lanes: list[_Lane], top: float) -> list[Shape]:
    shapes = []
    for i, lane in enumerate(lanes):
        y = top + i * LANE_HEIGHT
        if i % 2:
            shapes.append(
                shape("rect", class_="lane-band", x=PLOT_LEFT, y=y, width=PLOT_RIGHT - PLOT_LEFT, height=LANE_HEIGHT)
            )
        shapes.append(
            shape(
                "text",
                lane.label,
                title=lane.title,
                class_="lane-label",
                x=PLOT_LEFT - 6,
                y=y + LANE_HEIGHT / 2,
                text_anchor="end",
                dominant_baseline="middle",
                data_party=lane.party,
            )
        )
    return shapes


def _mark_title(start: float, point: _Point) -> str:
    f = point.flow
    when = tr("+{seconds} s", seconds=seconds(f.ts - start))
    parts = [f"{when}: {visible(f.method)} {visible(f.destination.host)}"]
    if point.pi_types:
        parts.append(tr("personal information: {types}", types=", ".join(visible(t) for t in point.pi_types)))
    parts.append(phase_label(point.phase))
    return " · ".join(parts)


def _mark(point: _Point, window: _Window, y: float, lane: _Lane) -> Shape:
    kind = "pi" if point.pi_types else "flow"
    extra = {"data_pi": ",".join(point.pi_types)} if point.pi_types else {}
    return shape(
        "circle",
        title=_mark_title(window.start, point),
        class_=f"mk-{kind}",
        cx=window.mark_x(point.flow.ts, point.phase),
        cy=y,
        r=MARK_RADIUS[kind],
        data_mark=kind,
        data_phase=point.phase.value,
        data_party=lane.party,
        **extra,
    )


def _binned_marks(points: list[_Point], window: _Window, y: float, lane: _Lane) -> list[Shape]:
    """One mark per pixel column and kind (PI or not), its count and time range in the title."""
    columns: dict[tuple[int, bool], list[_Point]] = defaultdict(list)
    for p in points:
        columns[(round(window.mark_x(p.flow.ts, p.phase)), bool(p.pi_types))].append(p)
    shapes = []
    for (column, has_pi), group in sorted(columns.items()):
        kind = "pi" if has_pi else "flow"
        phase = next(ph for ph in _WORST_FIRST if any(p.phase is ph for p in group))
        first, last = min(p.flow.ts for p in group), max(p.flow.ts for p in group)
        head = tr(
            "{count} requests at +{start}–{end} s",
            count=len(group),
            start=seconds(first - window.start),
            end=seconds(last - window.start),
        )
        parts = [head]
        types = sorted({t for p in group for t in p.pi_types})
        if types:
            parts.append(tr("personal information: {types}", types=", ".join(visible(t) for t in types)))
        parts.append(phase_label(phase))
        extra = {"data_pi": ",".join(types)} if types else {}
        shapes.append(
            shape(
                "circle",
                title=" · ".join(parts),
                class_=f"mk-{kind}",
                cx=column,
                cy=y,
                r=MARK_RADIUS[kind],
                data_mark=kind,
                data_phase=phase.value,
                data_party=lane.party,
                **extra,
            )
        )
    return shapes


@dataclass(frozen=True)
class _Line:
    ts: float
    mark: str  # data-mark: consent | first-screen | permission | exit | main
    css: str
    label: str
    title: str


def _event_lines(run: DeviceRun) -> list[_Line]:
    lines = []
    for e in run.events:
        at = seconds(e.ts - run.started)
        detail = clip_label(e.detail, 80)
        if e.kind in (CONSENT_AGREE, CONSENT_REFUSE):
            agreed = e.kind == CONSENT_AGREE
            lines.append(
                _Line(
                    e.ts,
                    "consent",
                    "ev-consent",
                    tr("agree") if agreed else tr("refuse"),
                    (
                        tr("Consent given (agree tapped) at +{seconds} s", seconds=at)
                        if agreed
                        else tr("Consent refused (refuse tapped) at +{seconds} s", seconds=at)
                    )
                    + (f": {detail}" if detail else ""),
                )
            )
            settled = settled_at(run, e)
            if settled is not None:
                lines.append(
                    _Line(
                        settled.ts,
                        "first-screen",
                        "ev-first-screen",
                        tr("next screen"),
                        tr(
                            "First changed screen after the tap at +{seconds} s: "
                            "requests between the tap and this line are ambiguous",
                            seconds=seconds(settled.ts - run.started),
                        ),
                    )
                )
        elif e.kind == PERMISSION_PROMPT:
            lines.append(
                _Line(
                    e.ts,
                    "permission",
                    "ev-permission",
                    tr("permission"),
                    tr("Permission dialog at +{seconds} s", seconds=at) + (f": {detail}" if detail else ""),
                )
            )
        elif e.kind == APP_EXIT:
            lines.append(
                _Line(
                    e.ts,
                    "exit",
                    "ev-exit",
                    tr("exit"),
                    tr("The app left the foreground by itself at +{seconds} s", seconds=at)
                    + (f": {detail}" if detail else ""),
                )
            )
    main = next((e for e in run.events if e.kind == MAIN_REACHED), None)
    if main is not None:
        at = seconds(main.ts - run.started)
        lines.append(
            _Line(
                main.ts, "main", "ev-main", tr("main screen"), tr("Main interface reached at +{seconds} s", seconds=at)
            )
        )
    return sorted(lines, key=lambda ln: ln.ts)


_LABEL_PRIORITY = ("consent", "exit", "permission", "first-screen", "main")


def _text_width(text: str) -> float:
    """Rough width in px of 10 px text: wide (CJK) characters count double."""
    return sum(10.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 6.0 for ch in text)


def _line_shapes(lines: list[_Line], window: _Window, bottom: float) -> list[Shape]:
    """Vertical lines with short labels above the plot, over a few rows; a label with no room is left out.

    Labels are placed by importance (consent first), so a burst of minor events cannot push the consent
    label out; every line keeps its full text in its tooltip.
    """
    shapes = [
        shape(
            "line",
            title=line.title,
            class_=line.css,
            x1=window.x(line.ts),
            y1=PLOT_TOP - 4,
            x2=window.x(line.ts),
            y2=bottom,
            data_mark=line.mark,
        )
        for line in lines
    ]
    taken: list[list[tuple[float, float]]] = [[] for _ in range(LABEL_ROWS)]
    for line in sorted(lines, key=lambda ln: (_LABEL_PRIORITY.index(ln.mark), ln.ts)):
        label = clip_label(line.label, EVENT_LABEL_CHARS)
        half = _text_width(label) / 2 + 3
        x = min(max(window.x(line.ts), PLOT_LEFT - 8 + half), PLOT_RIGHT + 8 - half)
        row = next(
            (r for r in range(LABEL_ROWS) if all(x + half <= a or x - half >= b for a, b in taken[r])),
            None,
        )
        if row is None:
            continue
        taken[row].append((x - half, x + half))
        shapes.append(
            shape(
                "text",
                label,
                title=line.title,
                class_=f"ev-label {line.css}-label",
                x=x,
                y=12 + row * LABEL_ROW_HEIGHT,
                text_anchor="middle",
            )
        )
    return shapes


def _regions(run: DeviceRun, window: _Window, top: float, bottom: float) -> list[Shape]:
    """Shade what ``phase_in_run`` calls before consent, and each tap-to-next-screen window."""
    shapes = []
    actions = [e for e in run.events if e.kind in (CONSENT_AGREE, CONSENT_REFUSE)]
    if run.fresh_install:
        end = actions[0].ts if actions else run.ended
        x0, x1 = window.x(run.started), window.x(end)
        shapes.append(
            shape(
                "rect",
                title=tr("Before consent: from the launch to the first consent answer"),
                class_="tl-before",
                x=x0,
                y=top,
                width=max(x1 - x0, 0.0),
                height=bottom - top,
                data_mark="before-consent",
            )
        )
    for action in actions:
        settled = settled_at(run, action)
        x0, x1 = window.x(action.ts), window.x(settled.ts if settled else run.ended)
        shapes.append(
            shape(
                "rect",
                title=tr("Between the consent tap and the next screen: the outcome is not yet visible"),
                class_="tl-ambiguous",
                x=x0,
                y=top,
                width=max(x1 - x0, 0.0),
                height=bottom - top,
                data_mark="ambiguous",
            )
        )
    return shapes


_LEGEND = {
    "flow": ("request", "mk-flow"),
    "pi": ("request carrying personal information", "mk-pi"),
    "before-consent": ("before consent", "tl-before"),
    "ambiguous": ("consent tap to next screen (ambiguous)", "tl-ambiguous"),
    "consent": ("consent tap (agree or refuse)", "ev-consent"),
    "first-screen": ("first changed screen after the tap", "ev-first-screen"),
    "permission": ("permission dialog", "ev-permission"),
    "main": ("main interface reached", "ev-main"),
    "exit": ("app exit", "ev-exit"),
}


def _legend(shapes: Sequence[Shape]) -> tuple[LegendEntry, ...]:
    present = {s.attr("data-mark") for s in shapes}
    return tuple(LegendEntry(tr(label), css) for mark, (label, css) in _LEGEND.items() if mark in present)


# --------------------------------------------------------------------------- the figures


def _shapes(
    window: _Window, points: list[_Point], lanes: list[_Lane], run: DeviceRun | None, axis_title: str
) -> tuple[list[Shape], int, bool]:
    """The shapes of one timeline, its height, and whether a lane had to be binned."""
    bottom = PLOT_TOP + max(len(lanes), 1) * LANE_HEIGHT
    shapes = _lane_shapes(lanes, PLOT_TOP)
    if run is not None:
        shapes += _regions(run, window, PLOT_TOP, bottom)
    if not lanes:
        shapes.append(
            shape(
                "text",
                tr("no request was captured in this window"),
                class_="tl-empty",
                x=(PLOT_LEFT + PLOT_RIGHT) / 2,
                y=PLOT_TOP + LANE_HEIGHT / 2,
                text_anchor="middle",
                dominant_baseline="middle",
            )
        )
    binned = False
    by_lane: dict[str, list[_Point]] = defaultdict(list)
    for p in points:
        by_lane[p.lane].append(p)
    for i, lane in enumerate(lanes):
        y = PLOT_TOP + i * LANE_HEIGHT + LANE_HEIGHT / 2
        group = by_lane[lane.key]
        if len(group) > MAX_MARKS_PER_LANE:
            binned = True
            shapes += _binned_marks(group, window, y, lane)
        else:
            # PI marks last, so they are drawn on top of plain requests at the same moment.
            shapes += [_mark(p, window, y, lane) for p in sorted(group, key=lambda p: bool(p.pi_types))]
    if run is not None:
        shapes += _line_shapes(_event_lines(run), window, bottom)
    shapes += _axis(window, bottom, axis_title)
    return shapes, int(bottom + 42), binned


def _description(points: list[_Point], window: _Window, run: DeviceRun | None, names: dict[str, str]) -> str:
    receivers = {receiver_key(p.flow) for p in points}
    with_pi = [p for p in points if p.pi_types]
    before = [p for p in with_pi if p.phase is Phase.BEFORE_CONSENT]
    sentences = [
        tr(
            "{requests} request(s) to {receivers} receiver(s) in {seconds} s; "
            "{pi} carried personal information, {before} of them before consent.",
            requests=len(points),
            receivers=len(receivers),
            seconds=seconds(window.span, 1),
            pi=len(with_pi),
            before=len(before),
        )
    ]
    if before:
        who = sorted({receiver_name(p.flow, names) for p in before})
        sentences.append(tr("Before consent it reached: {receivers}.", receivers=short_list(who, 6)))
    if run is None:
        return " ".join(sentences)
    action = run.first_consent_action()
    if action is None:
        sentences.append(tr("The consent prompt was not answered in this run."))
    else:
        event = action[1]
        at = seconds(event.ts - run.started, 1)
        sentences.append(
            tr("Consent given (agree tapped) at {seconds} s.", seconds=at)
            if event.kind == CONSENT_AGREE
            else tr("Consent refused (refuse tapped) at {seconds} s.", seconds=at)
        )
        settled = settled_at(run, event)
        if settled is not None:
            sentences.append(
                tr("The next screen appeared at {seconds} s.", seconds=seconds(settled.ts - run.started, 1))
            )
    if not run.fresh_install:
        sentences.append(tr("The run did not start from a fresh install, so no request is counted as before consent."))
    permissions = len(run.events_of(PERMISSION_PROMPT))
    if permissions:
        sentences.append(tr("{count} permission dialog(s) opened.", count=permissions))
    exit_event = next((e for e in run.events if e.kind == APP_EXIT), None)
    if exit_event is not None:
        sentences.append(
            tr("The app exited by itself at {seconds} s.", seconds=seconds(exit_event.ts - run.started, 1))
        )
    return " ".join(sentences)


def _caption(run: DeviceRun | None, binned: bool, has_traffic: bool) -> str:
    if run is None:
        parts = [
            tr(
                "No device run was recorded: the consent moments are unknown, "
                "so no request is placed before or after consent."
            )
        ]
    else:
        parts = [tr("Times are seconds since the run started, on the host clock the capture proxy also uses.")]
        if not has_traffic:
            parts.append(tr("No traffic was captured: only the device events are drawn."))
    if binned:
        parts.append(
            tr(
                "Lanes with more than {limit} requests are drawn one mark per pixel column; "
                "a mark's tooltip gives its count.",
                limit=MAX_MARKS_PER_LANE,
            )
        )
    return " ".join(parts)


def _run_kind(kind: str) -> str:
    return {"agree": tr("agree run"), "refuse": tr("refuse run"), "ignore": tr("ignore run")}.get(
        kind, clip_label(kind, 20)
    )


def _fig_id(raw: str, taken: set[str]) -> str:
    """``timeline-<raw>`` with anything but ASCII letters, digits and "-" replaced; unique among ``taken``."""
    base = "timeline-" + re.sub(r"[^A-Za-z0-9-]", "-", raw)
    fig_id, n = base, 1
    while fig_id in taken:
        n += 1
        fig_id = f"{base}-{n}"
    taken.add(fig_id)
    return fig_id


def _timeline(
    shared: _Shared,
    traffic: TrafficEvidence | None,
    device: DeviceEvidence | None,
    run: DeviceRun | None,
    window: _Window,
    fig_id: str,
    title: str,
    axis_title: str,
) -> Figure:
    raw = _points(shared.carried, traffic, device, window) if traffic is not None else []
    names = shared.names
    lanes, points = _lanes(raw, names)
    shapes, height, binned = _shapes(window, points, lanes, run, axis_title)
    return Figure(
        id=fig_id,
        title=title,
        description=_description(points, window, run, names),
        width=WIDTH,
        height=height,
        shapes=tuple(shapes),
        legend=_legend(shapes),
        caption=_caption(run, binned, traffic is not None),
        css="fig-timeline",
    )


def _first_answer(run: DeviceRun) -> float | None:
    found = run.first_consent_action()
    return found[1].ts if found else None


@dataclass(frozen=True)
class _Shared:
    """What every run's timeline reads from the whole capture: computed once per page, not once per run."""

    carried: dict[str, PiFlow]  # flow id -> its PI and consent phase
    names: dict[str, str]  # SDK id -> display name


def timeline_figures(bundle: EvidenceBundle) -> tuple[Figure, ...]:
    """One timeline per device run; one for the whole capture when there is traffic but no run; else none."""
    traffic = traffic_of(bundle)
    device = device_of(bundle)
    carried = {p.flow.id: p for p in pi_flows(bundle, traffic)} if traffic is not None else {}
    shared = _Shared(carried, sdk_names(bundle))
    if device is not None and device.runs:
        taken: set[str] = set()
        figures = tuple(
            _timeline(
                shared,
                traffic,
                device,
                run,
                _Window(run.started, max(run.ended, run.started), _first_answer(run)),
                _fig_id(run.id, taken),
                tr("Requests over time: {run} ({kind})", run=clip_label(run.id, 40), kind=_run_kind(run.kind)),
                tr("seconds since the run started"),
            )
            for run in device.runs
        )
        outside = (
            sum(1 for f in traffic.flows if not any(r.started <= f.ts <= r.ended for r in device.runs))
            if traffic is not None
            else 0
        )
        if outside:
            note = tr("{count} request(s) fell outside every device run and are not drawn.", count=outside)
            figures = tuple(replace(f, caption=f"{f.caption} {note}") for f in figures)
        return figures
    if traffic is None or not traffic.flows:
        return ()
    times = [f.ts for f in traffic.flows]
    window = _Window(min(traffic.capture.started, *times), max(traffic.capture.ended, *times))
    return (
        _timeline(
            shared,
            traffic,
            None,
            None,
            window,
            "timeline-capture",
            tr("Requests over time: the whole capture"),
            tr("seconds since the capture started"),
        ),
    )
