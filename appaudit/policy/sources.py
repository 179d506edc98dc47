"""Where policy documents come from: the APK, the auditor's file, a URL, or the captured traffic.

Every document keeps where it came from. Fetching a URL is explicit (only when asked), bounded (a
timeout, a size cap, at most a few redirects) and never follows a redirect to a private, loopback or
link-local address, so a hostile policy link cannot make appaudit probe the auditor's network.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from appaudit.errors import InputError
from appaudit.evidence.model import EvidenceBundle, PartError
from appaudit.static.policy_hints import load_policy_keywords

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = 10.0
MAX_REDIRECTS = 3
TEXT_TYPES = ("text/html", "text/plain", "application/xhtml")


@dataclass(frozen=True)
class PolicySource:
    data: bytes
    source: str  # "apk" | "url" | "traffic" | "auditor"
    location: str  # APK entry, URL, or file name
    content_type: str | None = None
    note: str = ""


def from_apk(apk: Path, bundle: EvidenceBundle) -> tuple[list[PolicySource], list[PartError]]:
    """The policy documents the static scan found bundled in the APK (assets, raw resources, HTML)."""
    from appaudit.static.archive import open_apk

    hints = bundle.policy_hints
    if hints is None or not hints.documents:
        return [], []
    found: list[PolicySource] = []
    errors: list[PartError] = []
    try:
        archive = open_apk(apk)
    except InputError as exc:
        return [], [PartError(apk.name, str(exc))]
    with archive:
        for doc in hints.documents:
            try:
                data = archive.read(doc.path, max_bytes=MAX_DOCUMENT_BYTES)
            except Exception as exc:  # a damaged entry loses that document only
                errors.append(PartError(doc.path, f"unreadable: {exc}"))
                continue
            kind = "text/html" if doc.path.lower().endswith((".html", ".htm")) else "text/plain"
            found.append(PolicySource(data, "apk", doc.path, kind))
    return found, errors


def from_file(path: Path) -> PolicySource:
    try:
        size = path.stat().st_size
        data = path.read_bytes()[:MAX_DOCUMENT_BYTES]
    except OSError as exc:
        raise InputError(f"cannot read the policy file {path}: {exc.strerror or exc}") from None
    note = f"cut at {MAX_DOCUMENT_BYTES} bytes of {size}" if size > MAX_DOCUMENT_BYTES else ""
    kind = "text/html" if path.suffix.lower() in (".html", ".htm", ".xhtml") else None
    return PolicySource(data, "auditor", path.name, kind, note)


def _public(host: str) -> bool:
    """Whether every address ``host`` resolves to is public (not private, loopback, link-local, reserved)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            return False
    return True


class _Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.count = 0

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self.count += 1
        if self.count > MAX_REDIRECTS:
            raise InputError(f"more than {MAX_REDIRECTS} redirects fetching the policy")
        _check_url(newurl, self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _check_url(url: str, allow_private: bool) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"not an http(s) URL: {url!r}")
    if not allow_private and not _public(parts.hostname):
        raise InputError(f"refusing to fetch {url}: the host is private, loopback, link-local or unresolvable")


def fetch_url(url: str, *, timeout: float = FETCH_TIMEOUT, allow_private: bool = False) -> PolicySource:
    """GET ``url`` (bounded and recorded); InputError says why it failed."""
    _check_url(url, allow_private)
    opener = urllib.request.build_opener(_Redirects(allow_private))
    request = urllib.request.Request(url, headers={"User-Agent": "appaudit policy fetch"})
    try:
        with opener.open(request, timeout=timeout) as response:
            data = response.read(MAX_DOCUMENT_BYTES + 1)
            final, kind = response.geturl(), response.headers.get("content-type")
    except InputError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise InputError(f"cannot fetch the policy at {url}: {getattr(exc, 'reason', exc)}") from None
    note = f"fetched {final}" + (f", cut at {MAX_DOCUMENT_BYTES} bytes" if len(data) > MAX_DOCUMENT_BYTES else "")
    return PolicySource(data[:MAX_DOCUMENT_BYTES], "url", url, kind, note)


@functools.cache
def _policy_url_pattern() -> re.Pattern[str]:
    words = (*load_policy_keywords().policy_url_words, "隐私")  # the static hints' URL words, and the word itself
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


def looks_like_policy_url(url: str) -> bool:
    """Whether ``url`` looks like a policy page (picks policy pages out of the captured traffic)."""
    return bool(_policy_url_pattern().search(url))


def from_traffic(flows_file: Path) -> tuple[list[PolicySource], list[PartError]]:
    """Policy pages the app loaded during a capture: text responses to policy-like URLs."""
    from mitmproxy import http, io

    found: list[PolicySource] = []
    errors: list[PartError] = []
    seen: set[str] = set()
    try:
        handle = flows_file.open("rb")
    except OSError as exc:
        return [], [PartError(flows_file.name, f"cannot open: {exc.strerror or exc}")]
    with handle:
        try:
            for flow in io.FlowReader(handle).stream():
                if not isinstance(flow, http.HTTPFlow) or flow.response is None:
                    continue
                url = flow.request.pretty_url
                kind = flow.response.headers.get("content-type", "")
                if url in seen or not looks_like_policy_url(url) or not kind.startswith(TEXT_TYPES):
                    continue
                body = flow.response.get_content(strict=False) or b""
                if body:
                    seen.add(url)
                    found.append(PolicySource(body[:MAX_DOCUMENT_BYTES], "traffic", url, kind))
        except Exception as exc:
            # can fail anywhere inside mitmproxy's tnetstring parser; the pages read so far are kept.
            errors.append(PartError(flows_file.name, f"damaged: {type(exc).__name__}: {exc}"))
    return found, errors


def collect(
    apk: Path | None,
    bundle: EvidenceBundle,
    *,
    files: Sequence[Path] = (),
    urls: Sequence[str] = (),
    flows_file: Path | None = None,
) -> tuple[list[PolicySource], list[PartError]]:
    """Every policy document from every source asked for; what failed is an error, not an exception."""
    sources: list[PolicySource] = []
    errors: list[PartError] = []
    if apk is not None:
        found, errs = from_apk(apk, bundle)
        sources += found
        errors += errs
    for path in files:
        try:
            sources.append(from_file(path))
        except InputError as exc:
            errors.append(PartError(path.name, str(exc)))
    for url in urls:
        try:
            sources.append(fetch_url(url))
        except InputError as exc:
            errors.append(PartError(url, str(exc)))
    if flows_file is not None and flows_file.exists():
        found, errs = from_traffic(flows_file)
        sources += found
        errors += errs
    return sources, errors
