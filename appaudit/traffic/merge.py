"""Turn a capture (a run directory or a bare ``.mitm`` file) into the evidence bundle's traffic section.

Detection runs here, after the capture, never inside the proxy's hooks: the same code serves a live
run and a replayed file. What could not be read is said, part by part: a damaged flows file, malformed
event lines, flows the event stream saw but the flows file lacks, hosts the proxy could not see into.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from appaudit.errors import InputError
from appaudit.evidence.device import DeviceEvidence
from appaudit.evidence.model import EvidenceBundle, PartError, PartStatus, Status
from appaudit.evidence.traffic import CaptureInfo, Flow, PiMatch, TrafficEvidence, UnobservableHost
from appaudit.traffic import layout
from appaudit.traffic.attribution import Attributor
from appaudit.traffic.profile import DeviceProfile
from appaudit.traffic.replay import MAX_SCANNED_BODY, CapturedRequest, read_mitm
from appaudit.traffic.vendors import summarise

MAX_EVENT_LINE = 64 * 1024
MAX_EVENTS = 1_000_000
MAX_TRUNCATIONS_LISTED = 10


@dataclass(frozen=True)
class TrafficLoad:
    traffic: TrafficEvidence
    status: PartStatus


@dataclass
class _Events:
    unobservable: list[dict] = field(default_factory=list)
    flow_ids: set[str] = field(default_factory=set)
    running: dict | None = None
    done: dict | None = None
    bad_lines: int = 0


def _read_events(path: Path, errors: list[PartError]) -> _Events:
    events = _Events()
    try:
        handle = path.open("rb")
    except OSError as exc:
        errors.append(PartError(path.name, f"cannot open: {exc.strerror or exc}"))
        return events
    with handle:
        for number, raw in enumerate(handle, 1):
            if number > MAX_EVENTS:
                errors.append(PartError(path.name, f"more than {MAX_EVENTS} events; the rest were not read"))
                break
            if len(raw) > MAX_EVENT_LINE:
                events.bad_lines += 1
                continue
            try:
                event = json.loads(raw)
                kind = event["type"]
            except (ValueError, KeyError, TypeError):
                events.bad_lines += 1
                continue
            if kind in (layout.TLS_FAILED, layout.TLS_NO_REQUEST):
                events.unobservable.append(event)
            elif kind == layout.FLOW and isinstance(event.get("flow_id"), str):
                events.flow_ids.add(event["flow_id"])
            elif kind == layout.RUNNING:
                events.running = event
            elif kind == layout.DONE:
                events.done = event
    if events.bad_lines:
        errors.append(PartError(path.name, f"{events.bad_lines} malformed event line(s) skipped"))
    return events


def _read_capture_meta(path: Path, errors: list[PartError]) -> dict:
    if not path.exists():
        errors.append(PartError(path.name, "missing: proxy address and CA fingerprint unknown"))
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        errors.append(PartError(path.name, f"unreadable: {exc}"))
        return {}


def _unobservable(events: list[dict], attributor: Attributor) -> tuple[UnobservableHost, ...]:
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for e in events:
        host = layout.unobservable_host(e)
        reason = "tls_failed" if e.get("type") == layout.TLS_FAILED else "no_request_after_tls"
        ts = e.get("ts")
        groups[(host, reason)].append(float(ts) if isinstance(ts, int | float) else 0.0)
    return tuple(
        UnobservableHost(host, reason, min(times), len(times), attributor.destination(host))
        for (host, reason), times in sorted(groups.items())
    )


def _interception(requests: list[CapturedRequest], unobservable: tuple[UnobservableHost, ...]) -> bool | None:
    """True when an HTTPS request was decrypted; False when TLS only failed; None when nothing tells."""
    if any(r.url.startswith("https://") and r.kind == "http" for r in requests):
        return True
    if unobservable:
        return False
    return None


def _detect(
    requests: list[CapturedRequest],
    profile: DeviceProfile | None,
    attributor: Attributor,
    progress: Callable[[str], None],
    errors: list[PartError],
) -> tuple[list[Flow], list[PiMatch]]:
    """Flows with their destinations, and every PI match; cut-short decoding is reported in ``errors``."""
    from appaudit.traffic.pi.detect import PiDetector

    detector = PiDetector(profile)
    flows, matches = [], []
    truncated: list[str] = []
    for n, r in enumerate(sorted(requests, key=lambda r: r.ts)):
        if n and n % 500 == 0:
            progress(f"PI detection: {n} of {len(requests)} requests")
        report = detector.examine(r.parts)
        if r.truncated:
            truncated.append(f"{r.flow_id}: body longer than the scanned {MAX_SCANNED_BODY} bytes")
        truncated += [f"{r.flow_id}: {t.location}: {t.reason}" for t in report.truncations]
        opaque = any(loc in ("request.body", "ws.client") for loc in report.opaque)
        flows.append(
            Flow(
                r.flow_id,
                r.ts,
                r.method,
                r.url,
                attributor.destination(r.host or r.sni or "unknown"),
                kind=r.kind,
                http_version=r.http_version,
                status=r.status,
                request_bytes=r.request_bytes,
                response_bytes=r.response_bytes,
                request_content_type=r.content_type,
                response_content_type=r.response_content_type,
                sni=r.sni,
                opaque=opaque,
                error=r.error,
            )
        )
        matches += [
            PiMatch(
                r.flow_id, d.pi_type, d.value_name, d.detector, d.confidence, d.location, d.encodings, d.offset,
                d.length, d.excerpt,
            )
            for d in report.detections
        ]  # fmt: skip
    if truncated:
        shown = "; ".join(truncated[:MAX_TRUNCATIONS_LISTED])
        more = (
            f" (and {len(truncated) - MAX_TRUNCATIONS_LISTED} more)" if len(truncated) > MAX_TRUNCATIONS_LISTED else ""
        )
        errors.append(
            PartError("pi_detection", f"{len(truncated)} request part(s) only partly searched: {shown}{more}")
        )
    return flows, matches


def load_traffic(
    source: Path,
    *,
    profile: DeviceProfile | None,
    attributor: Attributor,
    device: DeviceEvidence | None = None,
    progress: Callable[[str], None] = lambda _m: None,
) -> TrafficLoad:
    """Read ``source`` (run directory or ``.mitm`` file) and detect PI in every request."""
    started_at = time.perf_counter()
    errors: list[PartError] = []
    if source.is_dir():
        flows_file = layout.flows_path(source)
        events = _read_events(layout.events_path(source), errors)
        meta = _read_capture_meta(layout.capture_path(source), errors)
        kind = "capture"
    elif source.is_file():
        flows_file, events, meta, kind = source, None, {}, "mitm_file"
    else:
        raise InputError(f"traffic source not found: {source}")
    replayed = read_mitm(flows_file) if flows_file.exists() else None
    if replayed is None:
        errors.append(PartError(flows_file.name, "missing: no flows were saved"))
        requests: list[CapturedRequest] = []
    else:
        requests = replayed.requests
        errors += [PartError(flows_file.name, e) for e in replayed.errors]
    if events is not None:
        missing = events.flow_ids - {r.flow_id for r in requests}
        if missing:
            errors.append(
                PartError(flows_file.name, f"{len(missing)} flow(s) in the event stream are missing from the file")
            )
    progress(f"PI detection on {len(requests)} request(s)" + (" with a device profile" if profile else ""))
    flows, matches = _detect(requests, profile, attributor, progress, errors)
    unobservable = _unobservable(events.unobservable, attributor) if events is not None else ()
    times = [f.ts for f in flows]
    started = float(meta.get("started") or (min(times) if times else 0.0))
    ended = float(meta.get("ended") or (max(times) if times else started))
    note = (
        ""
        if events is not None
        else "a bare .mitm file: TLS failures are not recorded there, unobservable hosts unknown"
    )
    capture = CaptureInfo(
        source=kind,
        started=started,
        ended=ended,
        proxy=str(meta.get("proxy") or ""),
        mitmproxy_version=str(meta.get("mitmproxy_version") or ""),
        ca_sha256=str(meta.get("ca_sha256") or ""),
        interception_verified=_interception(requests, unobservable),
        profile_keys=profile.keys() if profile is not None else (),
        note=note,
    )
    traffic = TrafficEvidence(capture, tuple(flows), tuple(matches), unobservable, summarise(flows, matches, device))
    status = Status.PARTIAL if errors else Status.OK
    if not requests and errors:
        status = Status.FAILED
    seconds = round(time.perf_counter() - started_at, 3)
    return TrafficLoad(traffic, PartStatus("traffic", status, seconds, tuple(errors), note))


def add_traffic(bundle: EvidenceBundle, load: TrafficLoad) -> EvidenceBundle:
    """The bundle with its traffic section and part status replaced by ``load``'s."""
    parts = (*(p for p in bundle.parts if p.name != "traffic"), load.status)
    traffic = load.traffic if load.status.status is not Status.FAILED else None
    return replace(bundle, parts=parts, traffic=traffic)
