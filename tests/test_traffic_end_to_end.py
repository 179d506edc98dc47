"""Capture to verdict: a real mitmdump, real requests carrying the device's values, then `scan --traffic`."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from appaudit.cli import main
from appaudit.traffic.profile import load_profile
from appaudit.traffic.supervisor import CaptureProcess
from tests.traffic_peers import PeerServer, http_request, https_request, make_server_cert, tls_untrusted

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "fixtures" / "profiles" / "emulator.json"
APK = ROOT / "fixtures" / "apps" / "violating" / "violating.apk"


@pytest.fixture(scope="module")
def capture_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One capture: an SDK host gets the IMEI (gzip JSON) and a hashed Android ID; first party gets a location."""
    profile = load_profile(PROFILE)
    tmp = tmp_path_factory.mktemp("e2e")
    cert = make_server_cert(tmp / "cert", ("alog.umeng.com", "api.appaudit.com", "pinned.jpush.cn"))
    run = tmp / "run"
    with PeerServer.http(cert.server_context(("http/1.1",))) as https_server, PeerServer.http() as http_server:
        capture = CaptureProcess(run, extra_options=("ssl_insecure=true",))
        with capture:
            proxy = capture.address
            ca = capture.ca.pem_path
            target = ("127.0.0.1", https_server.port)
            body = gzip.compress(json.dumps({"device": {"i": profile.imei[0], "m": "sdk_gphone64"}}).encode())
            https_request(proxy, target, "alog.umeng.com", ca, "POST", "/app_logs", body,
                          {"Content-Type": "application/json", "Content-Encoding": "gzip"})  # fmt: skip
            digest = hashlib.md5(profile.android_id.encode()).hexdigest().upper()
            https_request(proxy, target, "alog.umeng.com", ca, "GET", f"/stat?aid={digest}&v=1")
            lat, lon = profile.locations[0]
            form = f"lat={lat}&lng={lon}&city=beijing".encode()
            http_request(proxy, "POST", f"http://api.appaudit.com:{http_server.port}/v1/near", form,
                         {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
            token = base64.urlsafe_b64encode(json.dumps({"pkgs": list(profile.packages)}).encode()).decode()
            https_request(proxy, target, "api.appaudit.com", ca, "GET", f"/cfg?t={token.rstrip('=')}")
            tls_untrusted(proxy, target, "pinned.jpush.cn")
    return run


@pytest.fixture(scope="module")
def scanned(capture_run: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(
        main,
        ["scan", str(APK), "-o", str(out), "--traffic", str(capture_run), "--device-profile", str(PROFILE)],
    )
    assert result.exit_code == 0, result.output
    return {"evidence": json.loads((out / "evidence.json").read_text(encoding="utf-8")), "out": out}


def _matches(evidence: dict) -> list[tuple[str, str, str, tuple[str, ...]]]:
    flows = {f["id"]: f for f in evidence["traffic"]["flows"]}
    return [
        (m["pi_type"], m["value_name"], flows[m["flow_id"]]["destination"]["party"], tuple(m["encodings"]))
        for m in evidence["traffic"]["pi_matches"]
    ]


def test_every_planted_value_is_found_with_its_encoding_chain(scanned: dict) -> None:
    found = _matches(scanned["evidence"])
    assert ("imei", "imei[0]", "sdk", ("gzip", "json:$.device.i")) in [(t, v, p, e[:2]) for t, v, p, e in found], found
    assert any(t == "android_id" and p == "sdk" and "md5" in "".join(e) for t, _v, p, e in found), found
    assert any(t == "location_precise" and p == "first_party" for t, _v, p, _e in found), found
    assert any(t == "installed_apps" and any("base64" in step for step in e) for t, _v, _p, e in found), found


def test_flows_are_attributed_and_the_pinned_host_is_unobservable(scanned: dict) -> None:
    traffic = scanned["evidence"]["traffic"]
    parties = {
        f["destination"]["host"]: (f["destination"]["party"], f["destination"]["sdk_id"]) for f in traffic["flows"]
    }
    assert parties["alog.umeng.com"] == ("sdk", "umeng_analytics")
    assert parties["api.appaudit.com"][0] == "first_party"  # com.appaudit.fixture.violating → appaudit.com
    (hidden,) = traffic["unobservable"]
    assert hidden["host"] == "pinned.jpush.cn" and hidden["reason"] == "tls_failed"
    assert traffic["capture"]["interception_verified"] is True
    assert len(traffic["capture"]["ca_sha256"]) == 64
    umeng = next(v for v in traffic["vendors"] if v["key"] == "umeng_analytics")
    assert umeng["pi_requests"] == 2 and set(umeng["pi_types"]) >= {"imei", "android_id"}


def test_report_shows_the_traffic_and_verdicts_use_it(scanned: dict) -> None:
    out = scanned["out"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Captured traffic" in html and "pinned.jpush.cn" in html and "json:$.device.i" in html
    verdicts = json.loads((out / "verdicts.json").read_text(encoding="utf-8"))
    iv4 = next(r for r in verdicts["results"] if r["item_id"] == "IV.4")
    # A capture of a few seconds can show no per-minute rate: inconclusive, never pass.
    assert iv4["verdict"] == "inconclusive"
    assert scanned["evidence"]["parts"][-1]["name"] == "traffic"
