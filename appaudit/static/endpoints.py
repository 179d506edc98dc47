"""Build the app's network endpoints from DEX strings, string resources and text assets.

URLs with an ``http``, ``https``, ``ws`` or ``wss`` scheme are always taken. Bare hostnames (no scheme)
are taken conservatively, because DEX string tables are full of dotted Java names: lowercase only, a
TLD from ``known_tlds`` (two-label names: from ``two_label_tlds``), not starting with a package root
such as ``com.``/``cn.``/``android.``, not followed by ``(`` or another dotted part, and not preceded by
``@`` (e-mail addresses) or ``/`` (already part of a URL). Filters live in
``appaudit/data/endpoint_filters.yaml``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from appaudit.errors import ArchiveError, DataFileError
from appaudit.evidence.model import Endpoint, PartError
from appaudit.knowledge.loader import read_packaged_yaml
from appaudit.static.policy_hints import summarise_errors

if TYPE_CHECKING:
    from appaudit.static.androguard_adapter import AndroguardAdapter
    from appaudit.static.archive import ApkArchive

FILTERS_FILE = "endpoint_filters.yaml"

TEXT_PREFIXES = ("assets/", "res/raw/")
# Text formats apps keep configuration and web content in; binary formats are not scanned.
TEXT_EXTENSIONS = frozenset(
    (
        "json",
        "xml",
        "txt",
        "properties",
        "conf",
        "cfg",
        "ini",
        "html",
        "htm",
        "js",
        "yml",
        "yaml",
        "csv",
        "md",
    )
)
MAX_TEXT_BYTES = 2 * 1024 * 1024
MAX_TEXT_TOTAL_BYTES = 64 * 1024 * 1024
MAX_URLS_PER_HOST = 50

CLEARTEXT_SCHEMES = ("http", "ws")

# ASCII-only lookbehind: "访问https://..." has no \b before "https" (Han characters are word characters).
_URL = re.compile(r"(?i)(?<![A-Za-z0-9])(?:https?|wss?)://[A-Za-z0-9\-._~:/?#@!$&*+;=%]+")
_BARE_HOST = re.compile(
    r"(?<![A-Za-z0-9_.@/\\$-])"  # not inside a longer token, an e-mail address or a URL
    r"((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})"
    r"(?![A-Za-z0-9_$(-]|\.[A-Za-z0-9])"  # not a method call, not a longer dotted name
)
_HOST_CHARS = re.compile(r"^[a-z0-9.-]+$")
_TRAILING = ".,;:!?*'"


@dataclass(frozen=True)
class EndpointFilters:
    ignored_hosts: tuple[str, ...]
    known_tlds: frozenset[str]
    two_label_tlds: frozenset[str]
    reverse_domain_roots: frozenset[str]
    multi_label_suffixes: frozenset[str]

    def is_ignored(self, host: str) -> bool:
        return any(host == h or host.endswith("." + h) for h in self.ignored_hosts)


@cache
def load_endpoint_filters() -> EndpointFilters:
    """The shipped filters; raises DataFileError if the data file is malformed."""
    source, data = read_packaged_yaml(FILTERS_FILE)

    def entries(key: str) -> tuple[str, ...]:
        section = data.get(key)
        if not isinstance(section, dict) or "description" not in section:
            raise DataFileError(f"{source}: {key!r} needs 'description' and 'entries'")
        raw = section.get("entries")
        if not isinstance(raw, list) or not raw or not all(isinstance(e, str) and e for e in raw):
            raise DataFileError(f"{source}: {key!r} entries must be a non-empty list of strings")
        return tuple(e.strip().lower() for e in raw)

    return EndpointFilters(
        ignored_hosts=entries("ignored_hosts"),
        known_tlds=frozenset(entries("known_tlds")),
        two_label_tlds=frozenset(entries("two_label_tlds")),
        reverse_domain_roots=frozenset(entries("reverse_domain_roots")),
        multi_label_suffixes=frozenset(entries("multi_label_suffixes")),
    )


def dex_string_needles(filters: EndpointFilters | None = None) -> tuple[bytes, ...]:
    """Byte needles that pre-select the DEX strings worth passing to :func:`build_endpoints`:
    ``://`` for URLs and ``.<tld>`` for bare hostnames."""
    flt = filters or load_endpoint_filters()
    return (b"://", *sorted(f".{tld}".encode() for tld in flt.known_tlds))


# --------------------------------------------------------------------------- entry point


def build_endpoints(
    archive: ApkArchive,
    adapter: AndroguardAdapter,
    dex_strings: Iterable[tuple[str, str]] = (),
    *,
    package: str | None = None,
    sdk_for_host: Callable[[str], Any] | None = None,
    filters: EndpointFilters | None = None,
) -> tuple[tuple[Endpoint, ...], tuple[PartError, ...]]:
    """Endpoints grouped by host, sorted by host, plus the errors met on the way.

    ``dex_strings`` yields ``(value, dex_name)``. ``sdk_for_host`` returns an object with ``.id`` or
    None; it defaults to the shipped SDK database. ``package`` defaults to the manifest's.
    """
    flt = filters or load_endpoint_filters()
    if sdk_for_host is None:
        from appaudit.knowledge.sdk_db import load_sdk_database

        sdk_for_host = load_sdk_database().sdk_for_host
    own_domain = app_domain(package if package is not None else adapter.facts.package, flt)
    errors: list[PartError] = []
    found = _Found(flt)

    for value, dex_name in dex_strings:
        found.scan(value, dex_name)
    table = adapter.resources()
    if table.error is not None:
        errors.append(table.error)
    for string in table.strings:
        folder = f"values-{string.config}" if string.config else "values"
        found.scan(string.value, f"res/{folder}/strings.xml")
    _scan_text_files(archive, found, errors)

    endpoints = []
    for host in sorted(found.hosts):
        seen = found.hosts[host]
        sdk = sdk_for_host(host)
        if sdk is not None:
            party, sdk_id = "sdk", sdk.id
        elif own_domain and (host == own_domain or host.endswith("." + own_domain)):
            party, sdk_id = "first_party", None
        else:
            party, sdk_id = "unknown", None
        endpoints.append(
            Endpoint(
                host=host,
                urls=tuple(sorted(seen.urls)[:MAX_URLS_PER_HOST]),
                sources=tuple(seen.sources),
                party=party,
                sdk_id=sdk_id,
                cleartext=seen.cleartext,
            )
        )
    return tuple(endpoints), summarise_errors(errors)


# --------------------------------------------------------------------------- extraction


@dataclass
class _Seen:
    urls: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)
    cleartext: bool = False


class _Found:
    def __init__(self, filters: EndpointFilters) -> None:
        self.filters = filters
        self.hosts: dict[str, _Seen] = {}

    def _seen(self, host: str, source: str) -> _Seen:
        seen = self.hosts.setdefault(host, _Seen())
        if source not in seen.sources:
            seen.sources.append(source)
        return seen

    def scan(self, text: str, source: str) -> None:
        if "://" in text:
            for url, host, scheme in extract_urls(text):
                if not self.filters.is_ignored(host):
                    seen = self._seen(host, source)
                    seen.urls.add(url)
                    seen.cleartext = seen.cleartext or scheme in CLEARTEXT_SCHEMES
        if "." in text:
            for host in extract_bare_hosts(text, self.filters):
                if not self.filters.is_ignored(host):
                    self._seen(host, source)


def extract_urls(text: str) -> list[tuple[str, str, str]]:
    """``(url, host, scheme)`` for every http(s)/ws(s) URL with a plausible host."""
    results = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").rstrip(".")
        except ValueError:
            continue
        if _valid_host(host):
            results.append((url, host, parts.scheme.lower()))
    return results


def extract_bare_hosts(text: str, filters: EndpointFilters) -> list[str]:
    hosts = []
    for match in _BARE_HOST.finditer(text):
        host = match.group(1)
        labels = host.split(".")
        if labels[0] in filters.reverse_domain_roots or labels[-1] not in filters.known_tlds:
            continue
        if len(labels) == 2 and labels[-1] not in filters.two_label_tlds:
            continue
        if len(labels) > 2 and len(labels[-2]) < 2:
            continue  # "a.b.cc": minified-name shaped
        hosts.append(host)
    return hosts


def _valid_host(host: str) -> bool:
    if not host or not _HOST_CHARS.match(host):
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.split(".")
    return len(labels) >= 2 and all(labels) and not labels[-1].isdigit()


def app_domain(package: str | None, filters: EndpointFilters | None = None) -> str | None:
    """The domain a reverse-domain package name implies: com.example.app → example.com.

    None when the package does not start with a TLD (e.g. "ctrip.android.view").
    """
    flt = filters or load_endpoint_filters()
    if not package:
        return None
    labels = package.lower().split(".")
    if len(labels) < 2 or labels[0] not in flt.known_tlds:
        return None
    if len(labels) >= 3 and f"{labels[1]}.{labels[0]}" in flt.multi_label_suffixes:
        return f"{labels[2]}.{labels[1]}.{labels[0]}"
    return f"{labels[1]}.{labels[0]}"


def _scan_text_files(archive: ApkArchive, found: _Found, errors: list[PartError]) -> None:
    budget = MAX_TEXT_TOTAL_BYTES
    for prefix in TEXT_PREFIXES:
        for path in archive.names_under(prefix):
            if path.endswith("/") or path.rsplit(".", 1)[-1].lower() not in TEXT_EXTENSIONS:
                continue
            size = archive.entry_size(path)
            if size > MAX_TEXT_BYTES:
                continue  # configuration and web files are small; big text files are data
            if size > budget:
                errors.append(
                    PartError(
                        prefix,
                        f"text budget of {MAX_TEXT_TOTAL_BYTES} bytes spent; {path} and later files unread",
                    )
                )
                return
            try:
                data = archive.read(path, max_bytes=MAX_TEXT_BYTES)
            except ArchiveError as exc:
                errors.append(PartError(path, str(exc)))
                continue
            budget -= len(data)
            if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue  # binary (e.g. a compiled XML under res/raw)
            found.scan(_decode(data), path)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")
