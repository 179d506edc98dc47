"""Per-receiver summaries of captured traffic: who got which PI, when, how often, before consent or not."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from appaudit.evidence.device import DeviceEvidence
from appaudit.evidence.timeline import Phase, place
from appaudit.evidence.traffic import Flow, PiMatch, VendorSummary

WINDOW_SECONDS = 60.0


def busiest_window[T](items: Sequence[T], ts: Callable[[T], float], window: float = WINDOW_SECONDS) -> list[T]:
    """The most items whose times fall inside one half-open window of ``window`` seconds, in time order."""
    ordered = sorted(items, key=ts)
    best: list[T] = []
    start = 0
    for end, item in enumerate(ordered):
        while ts(item) - ts(ordered[start]) >= window:
            start += 1
        if end - start + 1 > len(best):
            best = ordered[start : end + 1]
    return best


def peak_per_window(timestamps: Sequence[float], window: float = WINDOW_SECONDS) -> int:
    """The most timestamps inside any half-open window of ``window`` seconds."""
    return len(busiest_window(timestamps, float, window))


def _key(flow: Flow) -> tuple[str, str]:
    d = flow.destination
    return (d.party, d.sdk_id if d.party == "sdk" and d.sdk_id else d.registrable_domain)


def summarise(
    flows: Sequence[Flow], matches: Sequence[PiMatch], device: DeviceEvidence | None = None
) -> tuple[VendorSummary, ...]:
    """One summary per receiver, PI-receiving ones first (most PI requests first), then by key."""
    by_flow: dict[str, set[str]] = defaultdict(set)
    for m in matches:
        by_flow[m.flow_id].add(m.pi_type)
    groups: dict[tuple[str, str], list[Flow]] = defaultdict(list)
    for f in flows:
        groups[_key(f)].append(f)
    out = []
    for (party, key), group in groups.items():
        pi_flows = [f for f in group if f.id in by_flow]
        times = [f.ts for f in pi_flows]
        before: bool | None = None
        if device is not None and device.runs:
            before = any(place(device, f.ts).phase is Phase.BEFORE_CONSENT for f in pi_flows)
        out.append(
            VendorSummary(
                party=party,
                key=key,
                domains=tuple(sorted({f.destination.registrable_domain for f in group})),
                requests=len(group),
                pi_requests=len(pi_flows),
                pi_types=tuple(sorted({t for f in pi_flows for t in by_flow[f.id]})),
                first_ts=min(times) if times else None,
                last_ts=max(times) if times else None,
                max_pi_per_minute=peak_per_window(times),
                vendor=next((f.destination.vendor for f in group if f.destination.vendor), None),
                before_consent=before,
            )
        )
    return tuple(sorted(out, key=lambda v: (-v.pi_requests, v.party, v.key)))
