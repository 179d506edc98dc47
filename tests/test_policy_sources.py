"""Where policy documents come from: the APK, the auditor's file, a bounded URL fetch, the captured traffic."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from mitmproxy import io
from mitmproxy.test import tflow, tutils

from appaudit.errors import InputError
from appaudit.evidence import codec
from appaudit.policy import sources

ROOT = Path(__file__).resolve().parents[1]
COMPLIANT = ROOT / "fixtures" / "apps" / "compliant" / "compliant.apk"
POLICY_HTML = "<html><head><title>隐私政策</title></head><body><p>我们会收集您的设备标识符。</p></body></html>"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/redirect-to-private":
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/privacy.html")
            self.end_headers()
            return
        body = POLICY_HTML.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_bundled_policy_is_read_from_the_apk() -> None:
    bundle = codec.read(ROOT / "fixtures" / "checks" / "III.1" / "pass_all_guarded.json")
    found, errors = sources.from_apk(COMPLIANT, bundle)
    assert not errors
    (doc,) = found
    assert doc.source == "apk" and doc.location == "assets/privacy_policy.html"
    assert "隐私政策".encode() in doc.data


def test_fetch_refuses_private_addresses_by_default(server: str) -> None:
    with pytest.raises(InputError, match="private, loopback"):
        sources.fetch_url(f"{server}/privacy.html")


def test_fetch_reads_a_page_and_records_where(server: str) -> None:
    doc = sources.fetch_url(f"{server}/privacy.html", allow_private=True)
    assert doc.source == "url" and doc.data.decode() == POLICY_HTML
    assert doc.content_type.startswith("text/html") and "fetched" in doc.note


def test_fetch_never_follows_a_redirect_to_a_private_address(server: str, monkeypatch) -> None:
    checked: list[str] = []
    real = sources._check_url

    def check(url: str, allow_private: bool) -> None:
        checked.append(url)
        real(url, allow_private=("127.0.0.1" in url) or allow_private)  # the test server itself is allowed

    monkeypatch.setattr(sources, "_check_url", check)
    with pytest.raises(InputError, match=r"10\.0\.0\.1"):
        sources.fetch_url(f"{server}/redirect-to-private")
    assert checked[-1] == "http://10.0.0.1/privacy.html"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/p", "javascript:alert(1)"])
def test_only_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(InputError, match="not an http"):
        sources.fetch_url(url)


def test_policy_page_loaded_in_the_traffic_is_found(tmp_path: Path) -> None:
    page = tflow.tflow(req=tutils.treq(), resp=tutils.tresp())
    page.request.url = "https://h5.example-app.cn/agreement/privacy.html"
    page.response.headers["content-type"] = "text/html; charset=utf-8"
    page.response.content = POLICY_HTML.encode()
    other = tflow.tflow(req=tutils.treq(), resp=tutils.tresp())
    other.request.url = "https://api.example-app.cn/config"
    with (tmp_path / "flows.mitm").open("wb") as handle:
        writer = io.FlowWriter(handle)
        writer.add(page)
        writer.add(other)
    found, errors = sources.from_traffic(tmp_path / "flows.mitm")
    assert not errors
    assert [(d.source, d.location) for d in found] == [("traffic", "https://h5.example-app.cn/agreement/privacy.html")]


def test_unreadable_file_is_an_error_not_an_exception(tmp_path: Path) -> None:
    bundle = codec.read(ROOT / "fixtures" / "checks" / "III.1" / "pass_all_guarded.json")
    found, errors = sources.collect(None, bundle, files=[tmp_path / "missing.html"], urls=["http://10.255.255.1/p"])
    assert not found
    assert [e.scope for e in errors] == ["missing.html", "http://10.255.255.1/p"]
