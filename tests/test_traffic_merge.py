"""Merging a capture into the evidence: replayed .mitm flows, the event stream, attribution, vendors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from mitmproxy import io
from mitmproxy.test import tflow, tutils

from appaudit.evidence import codec
from appaudit.evidence.model import Status
from appaudit.evidence.traffic import Destination, Flow, PiMatch
from appaudit.knowledge.sdk_db import load_sdk_database
from appaudit.traffic import layout
from appaudit.traffic.attribution import Attributor, build_attributor, registrable_domain
from appaudit.traffic.merge import add_traffic, load_traffic
from appaudit.traffic.profile import load_profile
from appaudit.traffic.replay import read_mitm
from appaudit.traffic.vendors import peak_per_window, summarise

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "fixtures" / "profiles" / "emulator.json"
T0 = 1_795_000_000.0


@pytest.fixture(scope="module")
def profile():
    return load_profile(PROFILE)


@pytest.fixture(scope="module")
def attributor() -> Attributor:
    return Attributor(frozenset({"example-app.cn"}), load_sdk_database())


def _http(url: str, ts: float, *, body: bytes = b"", headers: dict[str, str] | None = None, status: int = 200):
    req = tutils.treq()
    req.url = url
    req.method = "POST" if body else "GET"
    req.headers.clear()
    for k, v in (headers or {}).items():
        req.headers[k] = v
    req.raw_content = body
    req.timestamp_start = ts
    req.timestamp_end = ts + 0.01
    flow = tflow.tflow(req=req, resp=tutils.tresp(status_code=status))
    flow.response.timestamp_start = ts + 0.05
    return flow


def _write_mitm(path: Path, flows: list) -> None:
    with path.open("wb") as handle:
        writer = io.FlowWriter(handle)
        for f in flows:
            writer.add(f)


def _run_dir(tmp_path: Path, flows: list, events: list[dict], meta: dict | None = None) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    _write_mitm(layout.flows_path(run), flows)
    lines = [json.dumps(e) for e in events]
    layout.events_path(run).write_text("\n".join(lines) + "\n", encoding="utf-8")
    layout.capture_path(run).write_text(
        json.dumps(meta or {"started": T0, "ended": T0 + 120, "proxy": "127.0.0.1:8080", "ca_sha256": "ab" * 32}),
        encoding="utf-8",
    )
    return run


# --------------------------------------------------------------------------- attribution


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("alog.umeng.com", "umeng.com"),
        ("a.b.example.com.cn", "example.com.cn"),
        ("10.0.2.2", "10.0.2.2"),
        ("[::1]", "::1"),
        ("API.Example-App.CN.", "example-app.cn"),
    ],
)
def test_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


def test_sdk_vendor_beats_first_party_and_unknown_is_third_party(attributor: Attributor) -> None:
    umeng = attributor.destination("alog.umeng.com")
    assert umeng.party == "sdk" and umeng.sdk_id == "umeng_analytics" and umeng.registrable_domain == "umeng.com"
    own = attributor.destination("api.example-app.cn")
    assert own.party == "first_party" and not own.third_party
    other = attributor.destination("t.adtrack.example")
    assert other.party == "third_party" and other.sdk_id is None


def test_first_party_domains_come_from_the_package_endpoints_and_the_auditor() -> None:
    bundle = codec.read(ROOT / "fixtures" / "checks" / "III.1" / "pass_all_guarded.json")
    attributor = build_attributor(bundle, load_sdk_database(), ["backend.example.org"])
    assert "appaudit.com" in attributor.first_party  # com.appaudit.fixture.compliant
    assert attributor.destination("api.backend.example.org").party == "first_party"


# --------------------------------------------------------------------------- vendors


def test_peak_per_window_is_a_sliding_minute() -> None:
    assert peak_per_window([0, 59.9, 60.0, 61]) == 3  # 0..59.9 is 2; 59.9..61 is 3 (60 s half-open window)
    assert peak_per_window([]) == 0


def test_vendor_summary_counts_pi_requests_and_rate() -> None:
    umeng = Destination("alog.umeng.com", "umeng.com", "sdk", "umeng_analytics", "Umeng")
    own = Destination("api.example-app.cn", "example-app.cn", "first_party")
    flows = [Flow(f"u{i}", T0 + i * 5, "POST", "https://alog.umeng.com/", umeng) for i in range(13)]
    flows.append(Flow("o1", T0, "GET", "https://api.example-app.cn/", own))
    matches = [
        PiMatch(f"u{i}", "android_id", "android_id", "profile", "high", "request.body")  # type: ignore[arg-type]
        for i in range(12)
    ]
    (first, second) = summarise(flows, matches)
    assert (first.key, first.party, first.vendor) == ("umeng_analytics", "sdk", "Umeng")
    assert (first.requests, first.pi_requests, first.pi_types) == (13, 12, ("android_id",))
    assert first.max_pi_per_minute == 12 and first.first_ts == T0 and first.last_ts == T0 + 55
    assert first.before_consent is None  # no device run: no consent moment to compare with
    assert (second.key, second.pi_requests) == ("example-app.cn", 0)


# --------------------------------------------------------------------------- replay and merge


def test_replay_splits_requests_into_scanned_parts(tmp_path: Path) -> None:
    flow = _http(
        "https://alog.umeng.com/v1/report?imei=358240051111110&x=1",
        T0,
        body=gzip.compress(b'{"aid":"x"}'),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip", "X-Device": "abc", "Cookie": "uid=42"},
    )
    _write_mitm(tmp_path / "f.mitm", [flow])
    result = read_mitm(tmp_path / "f.mitm")
    assert not result.errors and result.flows_read == 1
    (req,) = result.requests
    locations = {p.location for p in req.parts}
    assert {"url.path", "url.query:imei", "url.query:x", "request.header:X-Device", "request.cookie:uid"} <= locations
    body = next(p for p in req.parts if p.location == "request.body")
    assert body.content_encoding == "gzip" and gzip.decompress(body.data) == b'{"aid":"x"}'
    assert "request.header:Cookie" not in locations  # cookies are split, not scanned twice


def test_damaged_mitm_keeps_the_flows_before_the_damage(tmp_path: Path) -> None:
    flows = [_http(f"https://api.example-app.cn/{i}", T0 + i) for i in range(3)]
    _write_mitm(tmp_path / "f.mitm", flows)
    data = (tmp_path / "f.mitm").read_bytes()
    (tmp_path / "cut.mitm").write_bytes(data[: len(data) - 40])
    result = read_mitm(tmp_path / "cut.mitm")
    assert result.errors and "cut.mitm" in result.errors[0]
    assert [r.url for r in result.requests] == [f"https://api.example-app.cn/{i}" for i in range(2)]


def test_run_dir_merge_finds_pi_attributes_and_records_hidden_hosts(tmp_path: Path, profile, attributor) -> None:
    flows = [
        _http("https://alog.umeng.com/v1/report", T0 + 1, body=json.dumps({"aid": profile.android_id}).encode(),
              headers={"Content-Type": "application/json"}),
        _http("https://api.example-app.cn/config", T0 + 2),
    ]  # fmt: skip
    events = [
        {"type": layout.RUNNING, "ts": T0, "listen": [["127.0.0.1", 8080]]},
        *({"type": layout.FLOW, "ts": f.request.timestamp_start, "flow_id": f.id} for f in flows),
        {"type": layout.TLS_FAILED, "ts": T0 + 3, "sni": "pinned.umeng.com", "server": "pinned.umeng.com:443"},
        {"type": layout.TLS_FAILED, "ts": T0 + 4, "sni": "pinned.umeng.com", "server": "pinned.umeng.com:443"},
        {"type": layout.TLS_NO_REQUEST, "ts": T0 + 5, "sni": "api.example-app.cn", "server": "1.2.3.4:443"},
        {"type": layout.DONE, "ts": T0 + 120, "flows": 2},
    ]
    load = load_traffic(_run_dir(tmp_path, flows, events), profile=profile, attributor=attributor)
    assert load.status.status is Status.OK, load.status.errors
    t = load.traffic
    assert [f.destination.party for f in t.flows] == ["sdk", "first_party"]
    (match,) = [m for m in t.pi_matches if m.pi_type == "android_id"]
    assert match.flow_id == flows[0].id and match.detector == "profile" and "request.body" in match.location
    hidden = {(u.host, u.reason, u.count) for u in t.unobservable}
    assert hidden == {("pinned.umeng.com", "tls_failed", 2), ("api.example-app.cn", "no_request_after_tls", 1)}
    assert next(u for u in t.unobservable if u.host == "pinned.umeng.com").destination.sdk_id == "umeng_analytics"
    assert t.capture.interception_verified is True and t.capture.ca_sha256 == "ab" * 32
    assert not t.trustworthy_absence  # hidden hosts: a clean result would not be trustworthy
    assert t.vendors[0].key == "umeng_analytics" and t.vendors[0].pi_types == ("android_id",)


def test_flows_missing_from_the_file_and_bad_event_lines_are_reported(tmp_path: Path, profile, attributor) -> None:
    flows = [_http("https://api.example-app.cn/a", T0 + 1)]
    events = [{"type": layout.FLOW, "ts": T0 + 1, "flow_id": flows[0].id}, {"type": layout.FLOW, "flow_id": "lost"}]
    run = _run_dir(tmp_path, flows, events)
    with layout.events_path(run).open("a", encoding="utf-8") as handle:
        handle.write("{not json\n\x00\xff garbage\n")
    load = load_traffic(run, profile=profile, attributor=attributor)
    assert load.status.status is Status.PARTIAL
    messages = " | ".join(e.message for e in load.status.errors)
    assert "1 flow(s) in the event stream are missing" in messages
    assert "2 malformed event line(s)" in messages
    assert len(load.traffic.flows) == 1  # what was read is kept


def test_bare_mitm_file_cannot_vouch_for_unobservable_hosts(tmp_path: Path, profile, attributor) -> None:
    _write_mitm(tmp_path / "flows.mitm", [_http("http://api.example-app.cn/a", T0)])
    load = load_traffic(tmp_path / "flows.mitm", profile=profile, attributor=attributor)
    t = load.traffic
    assert t.capture.source == "mitm_file" and "TLS failures are not recorded" in t.capture.note
    assert t.capture.interception_verified is None and not t.trustworthy_absence


def test_unreadable_source_fails_the_part_but_not_the_scan(tmp_path: Path, profile, attributor) -> None:
    (tmp_path / "junk.mitm").write_bytes(b"\x89PNG not a flow file at all" * 10)
    load = load_traffic(tmp_path / "junk.mitm", profile=profile, attributor=attributor)
    assert load.status.status is Status.FAILED and load.status.errors
    bundle = codec.read(ROOT / "fixtures" / "checks" / "III.1" / "pass_all_guarded.json")
    merged = add_traffic(bundle, load)
    assert merged.traffic is None and merged.part("traffic").status is Status.FAILED


def test_websocket_client_frames_are_scanned(tmp_path: Path, profile, attributor) -> None:
    flow = tflow.twebsocketflow()
    flow.request.host = "push.example-app.cn"
    flow.websocket.messages[0].content = json.dumps({"imei": profile.imei[0]}).encode()
    _write_mitm(tmp_path / "ws.mitm", [flow])
    load = load_traffic(tmp_path / "ws.mitm", profile=profile, attributor=attributor)
    ws = [f for f in load.traffic.flows if f.kind == "websocket"]
    assert ws and all("#" in f.id for f in ws)
    assert any(m.pi_type == "imei" and m.flow_id in {f.id for f in ws} for m in load.traffic.pi_matches)
