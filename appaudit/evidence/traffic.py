"""Traffic evidence: what the app sent, when and to whom, as seen through the capture proxy.

Filled by the capture (``appaudit capture`` and ``scan --traffic``); read by the checks through
:mod:`appaudit.evidence.timeline`. Raw facts only: the consent phase of a flow is derived from its
timestamp and the device runs, never stored, so the two cannot disagree.

Traffic proves *transmission*, not collection. A flow the proxy could not read (TLS refused, pinned,
an opaque encrypted body) is recorded as such and never counts as "no personal information".
"""

from __future__ import annotations

from dataclasses import dataclass

from appaudit.evidence.common import Confidence


@dataclass(frozen=True)
class Destination:
    """Who receives a flow, by registrable domain."""

    host: str
    registrable_domain: str  # "umeng.com" for "alog.umeng.com" (public-suffix list)
    party: str  # "first_party" | "sdk" | "third_party" (a third party appaudit cannot name)
    sdk_id: str | None = None  # the SDK whose vendor owns the domain, for party == "sdk"
    vendor: str | None = None

    @property
    def third_party(self) -> bool:
        return self.party != "first_party"


@dataclass(frozen=True)
class Flow:
    """One HTTP(S) exchange, HTTP/2 stream or websocket message."""

    id: str  # mitmproxy's flow id (websocket messages: "<flow id>#<message index>")
    ts: float  # host wall clock (seconds since the epoch) at request start: the timeline's clock
    method: str
    url: str
    destination: Destination
    kind: str = "http"  # "http" | "websocket"
    http_version: str = ""
    status: int | None = None  # None: no response (error or cut)
    request_bytes: int = 0
    response_bytes: int = 0
    request_content_type: str | None = None
    response_content_type: str | None = None
    sni: str | None = None
    # A large high-entropy body the decoders could not open: it may carry encrypted PI. Never "clean".
    opaque: bool = False
    error: str | None = None


@dataclass(frozen=True)
class PiMatch:
    """A known or pattern-detected personal-information value found in a flow, with where and how."""

    flow_id: str
    pi_type: str  # an id of appaudit's PI taxonomy ("imei", "android_id", "location_precise", ...)
    value_name: str  # the device-profile key matched ("imei", "canary:contact_1") or the pattern ("luhn15")
    detector: str  # "profile" (a known value of this device) | "pattern" (looks like one; lower confidence)
    confidence: Confidence
    location: str  # "url.query:imei" | "request.header:X-Dev" | "request.cookie:uid" | "request.body" | "ws"
    encodings: tuple[str, ...] = ()  # decode chain outermost first: ("gzip", "json:$.d", "base64", "md5")
    offset: int | None = None  # byte offset of the match in the innermost decoded text
    length: int | None = None
    excerpt: str = ""  # a short, escaped-on-display window around the match

    @property
    def hashed(self) -> bool:
        """The value was sent as a digest: still an identifier, but not raw."""
        return any(e in ("md5", "sha1", "sha256") or e.startswith(("md5", "sha1", "sha256")) for e in self.encodings)


@dataclass(frozen=True)
class UnobservableHost:
    """A host whose traffic the proxy could not see: a verdict about it must not be "compliant"."""

    host: str  # TLS SNI, or the server address when there was none
    reason: str  # "tls_failed" (CA not trusted or pinned) | "no_request_after_tls" (pinned after handshake)
    first_ts: float
    count: int
    destination: Destination | None = None


@dataclass(frozen=True)
class CaptureInfo:
    """How the traffic was captured, so a reader can judge what a clean result is worth."""

    source: str  # "capture" (a live appaudit capture run dir) | "mitm_file" (replayed flows)
    started: float
    ended: float
    proxy: str = ""  # "127.0.0.1:8080"
    mitmproxy_version: str = ""
    ca_sha256: str = ""  # SHA-256 of the CA certificate the device had to trust
    # One HTTPS request from the device was seen (the device trusts the CA). None: not checked.
    interception_verified: bool | None = None
    profile_keys: tuple[str, ...] = ()  # which known values PI matching looked for (device profile)
    note: str = ""


@dataclass(frozen=True)
class VendorSummary:
    """What one receiver got: per SDK vendor (or first party, or unknown registrable domain).

    Derived from the flows and matches when the traffic is merged (``appaudit.traffic.vendors``), kept
    for readers of evidence.json; the checks recompute what they need from the flows themselves.
    """

    party: str  # "first_party" | "sdk" | "third_party"
    key: str  # the SDK id for party "sdk", else the registrable domain
    domains: tuple[str, ...]  # the registrable domains seen for this receiver
    requests: int  # all requests to it
    pi_requests: int  # requests carrying at least one PI match
    pi_types: tuple[str, ...] = ()
    first_ts: float | None = None  # first and last PI-bearing request
    last_ts: float | None = None
    max_pi_per_minute: int = 0  # most PI-bearing requests in any 60-second window (item IV.4)
    vendor: str | None = None
    # Whether any PI reached it before consent: None until a device run gives the consent moment.
    before_consent: bool | None = None


@dataclass(frozen=True)
class TrafficEvidence:
    capture: CaptureInfo
    flows: tuple[Flow, ...]
    pi_matches: tuple[PiMatch, ...] = ()
    unobservable: tuple[UnobservableHost, ...] = ()
    vendors: tuple[VendorSummary, ...] = ()

    def flow(self, flow_id: str) -> tuple[int, Flow] | None:
        return next(((i, f) for i, f in enumerate(self.flows) if f.id == flow_id), None)

    @property
    def trustworthy_absence(self) -> bool:
        """Whether "no PI seen" may be read as "none sent": interception verified and nothing unobservable."""
        return self.capture.interception_verified is True and not self.unobservable
