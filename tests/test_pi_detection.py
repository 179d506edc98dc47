"""The PI detector: planted values are found through every encoding, ordinary traffic yields nothing,
hostile bodies are cut at the limits, and every detection can be re-derived from the original bytes.

Corpora are generated here with fixed seeds (no committed blobs). ``verify`` is the reader's check:
re-apply the encoding chain to the original part and compare the bytes at offset/length with the
needle computed from the profile value, independently of the detector's own needle code.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import random
import re
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, quote_plus

import brotli
import pytest
import zstandard

from appaudit.errors import DataFileError
from appaudit.evidence.common import Confidence
from appaudit.knowledge.loader import parse_yaml
from appaudit.knowledge.pi_types import load_pi_taxonomy
from appaudit.traffic.pi import limits
from appaudit.traffic.pi.detect import PiDetector, is_opaque
from appaudit.traffic.pi.entropy import entropy_bits_per_byte
from appaudit.traffic.pi.patterns import build_pattern_data, load_pattern_data, luhn_valid, resident_id_valid
from appaudit.traffic.pi.tree import replay
from appaudit.traffic.pi.types import Detection, MessagePart
from appaudit.traffic.profile import DeviceProfile, ProfileValue, load_profile

PROFILES = Path(__file__).resolve().parent.parent / "fixtures" / "profiles"
MIB = 1 << 20
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
PROTOBUF = "application/x-protobuf"


@pytest.fixture(scope="module")
def profile() -> DeviceProfile:
    return load_profile(PROFILES / "cn_phone.json")


@pytest.fixture(scope="module")
def detector(profile: DeviceProfile) -> PiDetector:
    return PiDetector(profile)


@pytest.fixture(scope="module")
def patterns_only() -> PiDetector:
    return PiDetector(None)


# =========================================================================== the reader's check


def spec_forms(value: ProfileValue) -> list[tuple[tuple[str, ...], bytes]]:
    """(labels, needle bytes) for every form the spec promises, written independently of needles.py."""
    raw = value.value
    plain: list[tuple[tuple[str, ...], str]] = [((), raw)]
    if value.key == "imei":
        plain.append((("imei14",), raw[:14]))
    if value.key in ("wifi_mac", "bluetooth_mac"):
        octets = re.findall(r"[0-9A-Fa-f]{2}", raw)
        for sep, name in ((":", "colon"), ("-", "dash"), ("", "plain")):
            plain.append(((f"mac:{name}-lower",), sep.join(octets).lower()))
            plain.append(((f"mac:{name}-upper",), sep.join(octets).upper()))
    if value.key == "phone_number" and re.fullmatch(r"(\+86|86|0086)?1[3-9]\d{9}", raw):
        national = raw[-11:]
        for label, text in (
            ("national", national),
            ("86", "86" + national),
            ("+86", "+86" + national),
            ("+86-space", "+86 " + national),
            ("+86-dash", "+86-" + national),
            ("0086", "0086" + national),
        ):
            plain.append(((f"phone:{label}",), text))
    if value.key == "accounts":
        plain.append((("lower",), raw.lower()))
    if value.key in ("android_id", "gaid", "oaid", "meid", "serial"):
        plain += [(("lower",), raw.lower()), (("upper",), raw.upper())]
        if value.key == "gaid":
            plain += [(("nodash",), raw.replace("-", "").lower()), (("nodash:upper",), raw.replace("-", "").upper())]
    unique: dict[str, tuple[str, ...]] = {}
    for labels, text in plain:
        unique.setdefault(text, labels)
    forms: list[tuple[tuple[str, ...], bytes]] = []
    for text, labels in unique.items():
        data = text.encode()
        forms.append((labels, data))
        for name in ("md5", "sha1", "sha256"):
            digest = hashlib.new(name, data)
            forms.append(((name, *labels), digest.hexdigest().encode()))
            forms.append(((f"{name}:upper", *labels), digest.hexdigest().upper().encode()))
            forms.append(((f"{name}:binary", *labels), digest.digest()))
    return forms


def verify(part: MessagePart, detection: Detection, profile: DeviceProfile | None = None) -> None:
    """Replay the chain on the original part; the bytes at offset/length must be what was reported."""
    replayed = replay(part, detection.encodings)
    found = replayed.data[detection.offset : detection.offset + detection.length]
    assert len(found) == detection.length, detection
    if detection.detector == "pattern" or profile is None:
        assert found, detection
        return
    if detection.pi_type == "location_precise":
        index = int(detection.value_name.split("[")[1].rstrip("]"))
        lat, lon = profile.locations[index]
        numbers = [float(n) for n in re.findall(rb"-?\d+(?:\.\d+)?", found)]
        scale = 1e6 if replayed.labels == ("microdegrees",) else 1.0
        near = limits.LOCATION_TOLERANCE_DEG
        assert any(abs(n / scale - lat) <= near for n in numbers), detection
        if len(numbers) > 1:  # both in one piece: the span covers the latitude and the longitude
            assert any(abs(n / scale - lon) <= near for n in numbers), detection
        return
    value = next(v for v in profile.values() if v.name == detection.value_name)
    needles = dict(spec_forms(value))
    assert replayed.labels in needles, detection
    assert found == needles[replayed.labels], (found, detection)


def verify_all(part: MessagePart, detections: list[Detection], profile: DeviceProfile | None) -> None:
    taxonomy = load_pi_taxonomy()
    for detection in detections:
        assert detection.pi_type in taxonomy  # custom canaries without a type are "canary_other"
        verify(part, detection, profile)


# =========================================================================== carriers


@dataclass(frozen=True)
class Planted:
    part: MessagePart
    chain: tuple[str, ...]
    location: str


def _b64_label(token: bytes) -> str:
    return "base64url" if b"-" in token or b"_" in token else "base64"


def _percent(text: bytes) -> tuple[bytes, tuple[str, ...]]:
    quoted = quote(text, safe="").encode()
    return quoted, (("percent",) if quoted != text else ())


def _json(obj: object) -> bytes:
    return json.dumps(obj).encode()


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _pb_field(number: int, value: bytes | int | float) -> bytes:
    if isinstance(value, float):
        return _varint(number << 3 | 1) + struct.pack("<d", value)
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _multipart(fields: list[tuple[str, bytes, str | None, str | None]]) -> tuple[bytes, str]:
    boundary = "----appauditBoundary7MA4YWxkTrZu0gW"
    body = b""
    for name, data, filename, content_type in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if content_type:
            body += f"Content-Type: {content_type}\r\n".encode()
        body += b"\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _compressed(needle: bytes, coding: str) -> Planted:
    document = _json({"v": 2, "d": {"i": needle.decode(), "n": "x"}})
    compress: dict[str, tuple[Callable[[bytes], bytes], str, str]] = {
        "gzip": (gzip.compress, "gzip", "gzip"),
        "zlib": (zlib.compress, "deflate", "zlib"),
        "deflate_raw": (lambda b: zlib.compress(b, wbits=-15), "deflate", "deflate_raw"),
        "br": (brotli.compress, "br", "br"),
        "zstd": (zstandard.ZstdCompressor().compress, "zstd", "zstd"),
    }
    function, header, step = compress[coding]
    part = MessagePart("request.body", function(document), JSON, header)
    return Planted(part, (step, "json:$.d.i"), "request.body:$.d.i")


def _base64_json(needle: bytes, variant: str) -> Planted:
    inner = _json({"pad": "~~~>>>???", "i": needle.decode()})
    token = base64.urlsafe_b64encode(inner) if variant == "url" else base64.b64encode(inner)
    if variant == "unpadded":
        token = token.rstrip(b"=")
    part = MessagePart("request.body", _json({"p": token.decode(), "t": 1700000000123}), JSON)
    return Planted(part, ("json:$.p", _b64_label(token), "json:$.i"), "request.body:$.p")


def _jwt(needle: bytes) -> Planted:
    head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(_json({"sub": needle.decode(), "iat": 1700000000})).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hashlib.sha256(b"k").digest()).rstrip(b"=")
    value = b"Bearer " + head + b"." + payload + b"." + signature
    start = len(b"Bearer ") + len(head) + 1
    step = f"{_b64_label(payload)}[{start}:{start + len(payload)}]"
    part = MessagePart("request.header:Authorization", value)
    return Planted(part, (step, "json:$.sub"), "request.header:Authorization:$.sub")


def _text_carriers(needle: bytes) -> dict[str, Planted]:
    """Carriers for a text needle: every place and encoding the detector must see through."""
    quoted, percent = _percent(needle)
    text = needle.decode()
    multipart_body, multipart_type = _multipart(
        [("sdk", b"3.2.1", None, None), ("i", needle, None, "text/plain; charset=utf-8")]
    )
    gz_body, gz_type = _multipart(
        [("meta", b'{"n":1}', None, JSON), ("log", gzip.compress(_json({"i": text})), "log.gz", "application/gzip")]
    )
    hex_inner = _json({"i": text}).hex().encode()
    nested_inner = base64.b64encode(_json({"device": {"i": text}, "ts": 1700000000}))
    protobuf = _pb_field(1, _pb_field(2, 42) + _pb_field(3, needle)) + _pb_field(4, b"sdk-3.2")
    token = base64.b64encode(needle)
    url = "https://h.example.com/cb?d=" + quote(text, safe="") + "&t=1"
    return {
        "query-value": Planted(MessagePart("url.query:v", quoted), percent, "url.query:v"),
        "query-string": Planted(
            MessagePart("url.query", b"ts=1700000000&v=" + quoted + b"&sdk=3.2.1"), ("form:v",), "url.query:v"
        ),
        "path": Planted(MessagePart("url.path", b"/api/v2/device/" + quoted + b"/report"), percent, "url.path"),
        "header": Planted(MessagePart("request.header:X-Dev", needle), (), "request.header:X-Dev"),
        "cookie": Planted(MessagePart("request.cookie:dev", quoted), percent, "request.cookie:dev"),
        "cookie-header": Planted(
            MessagePart("request.header:Cookie", b"sid=9f8a7b; dev=" + quoted + b"; lang=zh-CN"),
            ("cookie:dev", *percent),
            "request.header:Cookie:dev",
        ),
        "json": Planted(
            MessagePart("request.body", _json({"device": {"i": text, "os": "android"}}), JSON),
            ("json:$.device.i",),
            "request.body:$.device.i",
        ),
        "form": Planted(
            MessagePart("request.body", b"a=1&i=" + quote_plus(text).encode() + b"&b=2", FORM),
            ("form:i",),
            "request.body:i",
        ),
        "multipart": Planted(
            MessagePart("request.body", multipart_body, multipart_type), ("multipart:i",), "request.body:i"
        ),
        "multipart-gzip-file": Planted(
            MessagePart("request.body", gz_body, gz_type), ("multipart:log", "gzip", "json:$.i"), "request.body:log"
        ),
        "gzip": _compressed(needle, "gzip"),
        "deflate-zlib": _compressed(needle, "zlib"),
        "deflate-raw": _compressed(needle, "deflate_raw"),
        "br": _compressed(needle, "br"),
        "zstd": _compressed(needle, "zstd"),
        "base64-std": _base64_json(needle, "std"),
        "base64-url": _base64_json(needle, "url"),
        "base64-unpadded": _base64_json(needle, "unpadded"),
        "base64-header": Planted(
            MessagePart("request.header:X-Token", token), (_b64_label(token),), "request.header:X-Token"
        ),
        "hex-json": Planted(
            MessagePart("request.body", _json({"h": hex_inner.decode()}), JSON),
            ("json:$.h", "hex", "json:$.i"),
            "request.body:$.h",
        ),
        "hex-header": Planted(
            MessagePart("request.header:X-Hex", needle.hex().encode()), ("hex",), "request.header:X-Hex"
        ),
        "protobuf": Planted(MessagePart("request.body", protobuf, PROTOBUF), ("protobuf:1.3",), "request.body:1.3"),
        "websocket": Planted(
            MessagePart("ws.client", _json({"cmd": "report", "i": text})), ("json:$.i",), "ws.client:$.i"
        ),
        "gzip-json-base64-json": Planted(
            MessagePart("request.body", gzip.compress(_json({"payload": nested_inner.decode()})), JSON, "gzip"),
            ("gzip", "json:$.payload", "base64", "json:$.device.i"),
            "request.body:$.payload",
        ),
        "jwt": _jwt(needle),
        "url-in-json": Planted(
            MessagePart("request.body", _json({"url": url}), JSON),
            ("json:$.url", *percent),
            "request.body:$.url",
        ),
    }


def _binary_carriers(needle: bytes) -> dict[str, Planted]:
    """Carriers for raw digest bytes: only base64 can carry them in text."""
    token = base64.b64encode(needle)
    return {
        "base64-header": Planted(MessagePart("request.header:X-Sig", token), ("base64",), "request.header:X-Sig"),
        "base64-json": Planted(
            MessagePart("request.body", _json({"s": token.decode(), "v": 1}), JSON),
            ("json:$.s", "base64"),
            "request.body:$.s",
        ),
    }


CARRIERS = sorted(_text_carriers(b"probe-value").keys())


def _find(detections: list[Detection], value_name: str, chain: tuple[str, ...], location: str) -> Detection | None:
    return next(
        (d for d in detections if d.value_name == value_name and d.encodings == chain and d.location == location),
        None,
    )


def _value_names(path: str) -> list[str]:
    return [v.name for v in load_profile(PROFILES / path).values()]


# =========================================================================== planted corpus


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("value_name", _value_names("cn_phone.json"))
def test_every_profile_value_is_found_through_every_carrier(
    detector: PiDetector, profile: DeviceProfile, value_name: str, carrier: str
) -> None:
    value = next(v for v in profile.values() if v.name == value_name)
    planted = _text_carriers(value.value.encode())[carrier]
    detections = detector.scan([planted.part])
    match = _find(detections, value_name, planted.chain, planted.location)
    assert match is not None, (planted.chain, planted.location, detections)
    assert (match.pi_type, match.detector, match.confidence) == (value.pi_type, "profile", Confidence.HIGH)
    assert {d.value_name for d in detections} == {value_name}
    verify_all(planted.part, detections, profile)


@pytest.mark.parametrize("value_name", _value_names("cn_phone.json"))
def test_every_needle_form_is_found(detector: PiDetector, profile: DeviceProfile, value_name: str) -> None:
    """Hashes (md5/sha1/sha256, lower/upper hex, binary), MAC separators, phone prefixes, IMEI-14, case."""
    value = next(v for v in profile.values() if v.name == value_name)
    missing = []
    for labels, needle in spec_forms(value):
        binary = any(label.endswith(":binary") for label in labels)
        carriers = _binary_carriers(needle) if binary else _text_carriers(needle)
        chosen = ("base64-header", "base64-json") if binary else ("query-string", "json", "gzip-json-base64-json")
        for name in chosen:
            planted = carriers[name]
            detections = detector.scan([planted.part])
            if _find(detections, value_name, (*planted.chain, *labels), planted.location) is None:
                missing.append((labels, name, [d.encodings for d in detections]))
            verify_all(planted.part, detections, profile)
    assert not missing, missing[:5]


def test_the_forms_cover_what_the_issue_lists(profile: DeviceProfile) -> None:
    labels = {label for v in profile.values() for labels, _ in spec_forms(v) for label in labels}
    assert {"imei14", "md5", "md5:upper", "sha1", "sha1:upper", "sha256", "sha256:upper"} <= labels
    assert {f"mac:{s}-{c}" for s in ("colon", "dash", "plain") for c in ("lower", "upper")} <= labels
    assert {"phone:national", "phone:86", "phone:0086"} <= labels
    national = replace(profile, phone_number="13912345678")
    phone = next(v for v in national.values() if v.key == "phone_number")
    assert {label for labels, _ in spec_forms(phone) for label in labels} >= {"phone:+86", "phone:86"}


def test_base64_url_and_unpadded_are_named_in_the_chain(detector: PiDetector, profile: DeviceProfile) -> None:
    needle = profile.imei[0].encode()
    url = _base64_json(needle, "url")
    assert url.chain[1] == "base64url"  # the "~~~>>>???" pad forces '-' or '_' into the token
    assert _find(detector.scan([url.part]), "imei[0]", url.chain, url.location) is not None
    unpadded = _base64_json(needle, "unpadded")
    assert not json.loads(unpadded.part.data)["p"].endswith("=")


def test_mime_wrapped_base64_is_decoded(detector: PiDetector, profile: DeviceProfile) -> None:
    """android.util.Base64.DEFAULT wraps lines at 76 characters."""
    document = _json({"filler": "x" * 120, "imei": profile.imei[1]})
    wrapped = base64.encodebytes(document)
    assert b"\n" in wrapped.strip()
    part = MessagePart("request.body", _json({"blob": wrapped.decode()}), JSON)
    detections = detector.scan([part])
    assert _find(detections, "imei[1]", ("json:$.blob", "base64", "json:$.imei"), "request.body:$.blob")
    verify_all(part, detections, load_profile(PROFILES / "cn_phone.json"))


def test_emulator_profile_values_are_found(profile: DeviceProfile) -> None:
    emulator = load_profile(PROFILES / "emulator.json")
    detector = PiDetector(emulator)
    for value in emulator.values():
        planted = _text_carriers(value.value.encode())["gzip-json-base64-json"]
        detections = detector.scan([planted.part])
        assert _find(detections, value.name, planted.chain, planted.location), value
        verify_all(planted.part, detections, emulator)


def test_a_value_inside_a_longer_number_prefix_is_reported_once(detector: PiDetector) -> None:
    part = MessagePart("url.query:tel", b"+8613912345678")
    detections = detector.scan([part])
    assert [(d.value_name, d.encodings, d.offset, d.length) for d in detections] == [("phone_number", (), 0, 14)]


# =========================================================================== locations


LAT, LON = 39.9593, 116.2981  # cn_phone.json locations[0]


@pytest.mark.parametrize(
    ("part", "chain", "location"),
    [
        pytest.param(
            MessagePart("url.query:loc", b"39.9593,116.2981"), ("degrees",), "url.query:loc", id="pair-string"
        ),
        pytest.param(
            MessagePart("request.body", b"gps: 116.29807, 39.95934 (wgs84)", "text/plain"),
            ("degrees",),
            "request.body",
            id="lon-first-jittered-text",
        ),
        pytest.param(
            MessagePart("request.body", _json({"loc": {"lat": LAT, "lng": LON, "acc": 12.5}}), JSON),
            ("json:$.loc.lat", "degrees"),
            "request.body:$.loc.lat",
            id="json-numbers",
        ),
        pytest.param(
            MessagePart("request.body", _json({"la": "39.959312", "lo": "116.298087"}), JSON),
            ("json:$.la", "degrees"),
            "request.body:$.la",
            id="json-strings",
        ),
        pytest.param(
            MessagePart("request.body", _json({"x": 39959300, "y": 116298100}), JSON),
            ("json:$.x", "microdegrees"),
            "request.body:$.x",
            id="json-microdegrees",
        ),
        pytest.param(
            MessagePart("url.query", b"lat=39.9593&lng=116.2981&t=1"),
            ("form:lat", "degrees"),
            "url.query:lat",
            id="form",
        ),
        pytest.param(
            MessagePart("request.body", _json({"p": "39959300|116298100"}), JSON),
            ("json:$.p", "microdegrees"),
            "request.body:$.p",
            id="microdegree-pair-string",
        ),
        pytest.param(
            MessagePart("request.body", _pb_field(1, b"x-sdk") + _pb_field(5, LAT) + _pb_field(6, LON), PROTOBUF),
            ("protobuf:5", "degrees"),
            "request.body:5",
            id="protobuf-doubles",
        ),
        pytest.param(
            MessagePart(
                "request.body",
                gzip.compress(_json({"payload": base64.b64encode(_json({"lat": LAT, "lon": LON})).decode()})),
                JSON,
                "gzip",
            ),
            ("gzip", "json:$.payload", "base64", "json:$.lat", "degrees"),
            "request.body:$.payload",
            id="gzip-json-base64-json",
        ),
    ],
)
def test_locations_are_matched_numerically_as_pairs(
    detector: PiDetector, profile: DeviceProfile, part: MessagePart, chain: tuple[str, ...], location: str
) -> None:
    detections = detector.scan([part])
    found = [d for d in detections if d.value_name == "locations[0]"]
    assert len(found) == 1, detections
    assert (found[0].encodings, found[0].location, found[0].pi_type) == (chain, location, "location_precise")
    verify_all(part, detections, profile)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_json({"lat": LAT, "amount": 12.5}), id="latitude-alone"),
        pytest.param(_json({"lat": 39.9503, "lng": 116.2981}), id="latitude-off-by-0.009"),
        pytest.param(_json({"lat": 39.96, "lng": 116.30}), id="rounded-to-2-decimals"),
        pytest.param(_json({"a": {"lat": LAT}, "b": {"lng": LON}}), id="different-objects"),
        pytest.param(b"39.9593" + b" " * 100 + b"116.2981", id="too-far-apart-in-text"),
    ],
)
def test_location_near_misses_are_not_detected(detector: PiDetector, data: bytes) -> None:
    detections = detector.scan([MessagePart("request.body", data)])
    assert not [d for d in detections if d.detector == "profile"], detections


@pytest.mark.parametrize(("offset", "found"), [(0.0009, True), (-0.0009, True), (0.0011, False), (-0.0011, False)])
def test_the_tolerance_is_a_thousandth_of_a_degree_on_each_axis(
    detector: PiDetector, offset: float, found: bool
) -> None:
    """0.001° is ~110 m of latitude: mock-location jitter and 3-decimal rounding pass, a neighbourhood does not."""
    assert limits.LOCATION_TOLERANCE_DEG == 0.001
    for lat, lon in ((LAT + offset, LON), (LAT, LON + offset)):
        part = MessagePart("request.body", _json({"lat": round(lat, 6), "lng": round(lon, 6)}), JSON)
        profile_hits = [d for d in detector.scan([part]) if d.detector == "profile"]
        assert bool(profile_hits) is found, (lat, lon)


# =========================================================================== pattern detectors


@pytest.mark.parametrize(
    ("part", "name", "pi_type", "confidence", "text"),
    [
        pytest.param(
            MessagePart("request.body", _json({"deviceId": "490154203237518"}), JSON),
            "imei_luhn",
            "imei",
            Confidence.MEDIUM,
            b"490154203237518",
            id="imei-under-deviceId",
        ),
        pytest.param(
            MessagePart("request.header:X-IMEI2", b"356938035643809"),
            "imei_luhn",
            "imei",
            Confidence.MEDIUM,
            b"356938035643809",
            id="imei-header",
        ),
        pytest.param(
            MessagePart("request.body", b"report?imei=356938035643809;v=2", "text/plain"),
            "imei_luhn",
            "imei",
            Confidence.MEDIUM,
            b"356938035643809",
            id="imei-key-in-text",
        ),
        pytest.param(
            MessagePart("request.body", _json({"user": {"mobile": "13812345678"}}), JSON),
            "cn_mobile",
            "phone_number",
            Confidence.MEDIUM,
            b"13812345678",
            id="mobile",
        ),
        pytest.param(
            MessagePart("url.query", b"tel=%2B86%2013812345678&x=1"),
            "cn_mobile",
            "phone_number",
            Confidence.MEDIUM,
            b"+86 13812345678",
            id="tel-with-prefix",
        ),
        pytest.param(
            MessagePart("request.body", _json({"idCardNo": "11010519491231002X"}), JSON),
            "cn_resident_id",
            "id_card",
            Confidence.MEDIUM,
            b"11010519491231002X",
            id="resident-id-keyed",
        ),
        pytest.param(
            MessagePart("request.body", _json({"remark": "11010519491231002X"}), JSON),
            "cn_resident_id",
            "id_card",
            Confidence.LOW,
            b"11010519491231002X",
            id="resident-id-unkeyed",
        ),
        pytest.param(
            MessagePart("request.body", _json({"latitude": 31.230416, "longitude": 121.473701}), JSON),
            "coordinates",
            "location_precise",
            Confidence.MEDIUM,
            b"31.230416",
            id="keyed-coordinates",
        ),
        pytest.param(
            MessagePart("request.body", _json({"p": "22.543096,114.057865"}), JSON),
            "coordinates",
            "location_precise",
            Confidence.LOW,
            b"22.543096,114.057865",
            id="pair-string",
        ),
        pytest.param(
            MessagePart("request.body", _json({"location": "22.543096,114.057865"}), JSON),
            "coordinates",
            "location_precise",
            Confidence.MEDIUM,
            b"22.543096,114.057865",
            id="pair-string-keyed",
        ),
        pytest.param(
            MessagePart("request.body", b"lat:22.543096;lng:114.057865", "text/plain"),
            "coordinates",
            "location_precise",
            Confidence.MEDIUM,
            b"lat:22.543096;lng:114.057865",
            id="keyed-in-text",
        ),
        pytest.param(
            MessagePart(
                "request.body", _json({"apps": ["com.tencent.mm", "com.sina.weibo", "com.taobao.taobao"]}), JSON
            ),
            "package_list",
            "installed_apps",
            Confidence.MEDIUM,
            b"com.tencent.mm",
            id="json-array",
        ),
        pytest.param(
            MessagePart(
                "request.body",
                _json(
                    {
                        "list": [
                            {"pkg": "com.tencent.mm", "v": 1},
                            {"pkg": "com.sina.weibo"},
                            {"pkg": "cn.wps.moffice_eng"},
                        ]
                    }
                ),
                JSON,
            ),
            "package_list",
            "installed_apps",
            Confidence.MEDIUM,
            b"com.tencent.mm",
            id="array-of-objects",
        ),
        pytest.param(
            MessagePart("request.body", _json({"al": "com.tencent.mm,com.sina.weibo;com.taobao.taobao"}), JSON),
            "package_list",
            "installed_apps",
            Confidence.MEDIUM,
            b"com.tencent.mm",
            id="delimited-string",
        ),
        pytest.param(
            MessagePart(
                "request.body",
                _pb_field(2, b"com.tencent.mm") + _pb_field(2, b"com.sina.weibo") + _pb_field(2, b"com.taobao.taobao"),
                PROTOBUF,
            ),
            "package_list",
            "installed_apps",
            Confidence.MEDIUM,
            b"com.tencent.mm",
            id="protobuf-repeated",
        ),
    ],
)
def test_pattern_detectors_find_pi_without_a_profile(
    patterns_only: PiDetector, part: MessagePart, name: str, pi_type: str, confidence: Confidence, text: bytes
) -> None:
    detections = patterns_only.scan([part])
    assert [(d.value_name, d.pi_type, d.detector, d.confidence) for d in detections] == [
        (name, pi_type, "pattern", confidence)
    ]
    detection = detections[0]
    data = replay(part, detection.encodings).data
    assert data[detection.offset : detection.offset + detection.length] == text
    assert detection.excerpt


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_json({"order_id": "490154203237518"}), id="luhn-number-under-order-id"),
        pytest.param(_json({"imei": "490154203237519"}), id="imei-key-luhn-fails"),
        pytest.param(_json({"imei": "111111111111116"}), id="imei-repeated-digit"),
        pytest.param(_json({"imei_md5": "a490154203237518b0c9d8e7f6a5b4c3"}), id="digits-inside-hex"),
        pytest.param(_json({"amount": "13812345678"}), id="mobile-shape-without-key"),
        pytest.param(_json({"mobile": "12812345678"}), id="not-a-mobile-prefix"),
        pytest.param(_json({"idcard": "110105194912310021"}), id="resident-id-bad-check"),
        pytest.param(_json({"idcard": "990105194912310028"}), id="resident-id-bad-region"),
        pytest.param(_json({"lat": 39.9, "lng": 116.4}), id="coordinates-one-decimal"),
        pytest.param(_json({"lat": 95.123456, "lng": 116.407395}), id="latitude-out-of-range"),
        pytest.param(_json({"p": "0.000000,0.000000"}), id="null-island"),
        pytest.param(_json({"hosts": ["api.example.com", "cdn.example.net", "cn.bing.com"]}), id="host-names"),
        pytest.param(_json({"pages": ["com.example.MainActivity", "com.example.Detail", "com.x.Y"]}), id="class-names"),
        pytest.param(_json({"apps": ["com.tencent.mm", "com.sina.weibo"]}), id="only-two-packages"),
    ],
)
def test_pattern_near_misses_are_not_detected(patterns_only: PiDetector, data: bytes) -> None:
    assert patterns_only.scan([MessagePart("request.body", data, JSON)]) == []


def test_a_pattern_hit_on_a_profile_value_is_left_to_the_profile(detector: PiDetector, profile: DeviceProfile) -> None:
    part = MessagePart("request.body", _json({"imei": profile.imei[0], "mobile": profile.phone_number}), JSON)
    detections = detector.scan([part])
    assert {(d.value_name, d.detector) for d in detections} == {("imei[0]", "profile"), ("phone_number", "profile")}


def test_patterns_can_be_switched_off(profile: DeviceProfile) -> None:
    part = MessagePart("request.body", _json({"deviceId": "490154203237518"}), JSON)
    assert PiDetector(profile, patterns=False).scan([part]) == []
    assert PiDetector(None, patterns=False).scan([part]) == []


def test_check_digit_algorithms() -> None:
    assert luhn_valid(b"358240051111110") and luhn_valid(b"490154203237518")
    assert not luhn_valid(b"490154203237519")
    provinces = load_pattern_data().provinces
    assert resident_id_valid("11010519491231002X", provinces)
    assert not resident_id_valid("11010519491231002x".replace("x", "1"), provinces)
    assert not resident_id_valid("110105194902300021", provinces)  # 30 February


def test_pattern_data_file_is_checked() -> None:
    document = parse_yaml(
        "schema_version: 1\nsources: {a: x}\ncontext_keys:\n  imei: {keys: [imei], sources: [a]}\n", "p.yaml"
    )
    with pytest.raises(DataFileError, match=r"context_keys\.phone"):
        build_pattern_data("p.yaml", document)
    data = load_pattern_data()
    assert "deviceid" in data.context_keys["imei"] and b"com" in data.package_roots and "11" in data.provinces


# =========================================================================== reporting


def test_the_same_value_at_the_same_place_is_reported_once(detector: PiDetector, profile: DeviceProfile) -> None:
    imei = profile.imei[0]
    part = MessagePart("request.body", _json({"a": f"{imei} {imei} {imei}", "b": imei}), JSON)
    detections = detector.scan([part])
    assert [(d.location, d.offset) for d in detections] == [("request.body:$.a", 0), ("request.body:$.b", 0)]


def test_detections_name_value_chain_place_offset_and_excerpt(detector: PiDetector, profile: DeviceProfile) -> None:
    md5 = hashlib.md5(profile.android_id.encode()).hexdigest()  # type: ignore[union-attr]
    part = MessagePart("request.body", _json({"d": {"h": f"prefix-{md5}-suffix"}}), JSON)
    (detection,) = detector.scan([part])
    assert detection == Detection(
        pi_type="android_id",
        value_name="android_id",
        detector="profile",
        confidence=Confidence.HIGH,
        location="request.body:$.d.h",
        encodings=("json:$.d.h", "md5"),
        offset=7,
        length=32,
        excerpt=f"prefix-{md5}-suffix",
    )


def test_excerpts_escape_control_characters(detector: PiDetector, profile: DeviceProfile) -> None:
    part = MessagePart("request.body", b"\x00\x01\n" + profile.imsi.encode() + b"\r\n\x7f", "text/plain")  # type: ignore[union-attr]
    (detection,) = detector.scan([part])
    assert "\n" not in detection.excerpt and "\x00" not in detection.excerpt


def test_values_used_as_json_keys_are_found(detector: PiDetector, patterns_only: PiDetector) -> None:
    apps = {"com.appaudit.canary.beta": {"v": 3}, "com.tencent.mm": {"v": 8}, "com.sina.weibo": {"v": 1}}
    part = MessagePart("request.body", _json({"apps": apps}), JSON)
    found, pattern = detector.scan([part])
    assert pattern.value_name == "package_list"
    step = 'json_key:$.apps["com.appaudit.canary.beta"]'
    assert (found.value_name, found.encodings, found.location) == ("packages[1]", (step,), "request.body:" + step[9:])
    assert [d.value_name for d in patterns_only.scan([part])] == ["package_list"]
    assert replay(part, found.encodings).data == b"com.appaudit.canary.beta"


def test_an_unknown_content_coding_is_reported() -> None:
    report = PiDetector(None).examine([MessagePart("request.body", b"\x04\x22\x4d\x18" + bytes(64), None, "lz4")])
    assert [t.reason for t in report.truncations] == ["unknown Content-Encoding 'lz4': the body was searched as sent"]


def test_scan_covers_several_parts_in_order(detector: PiDetector, profile: DeviceProfile) -> None:
    parts = [
        MessagePart("url.path", b"/v1/" + profile.imsi.encode()),  # type: ignore[union-attr]
        MessagePart("request.header:X-Oaid", profile.oaid.encode()),  # type: ignore[union-attr]
        MessagePart("request.cookie:aid", profile.android_id.encode()),  # type: ignore[union-attr]
        MessagePart("ws.client", _json({"sn": profile.serial})),
    ]
    assert [d.value_name for d in detector.scan(parts)] == ["imsi", "oaid", "android_id", "serial"]


# =========================================================================== opacity


def test_random_bytes_are_opaque() -> None:
    rng = random.Random(7)
    assert is_opaque(rng.randbytes(300), "application/octet-stream", None)
    assert is_opaque(rng.randbytes(4096), None, None)


def test_compressed_json_is_not_opaque() -> None:
    document = _json({"items": [{"id": i, "name": f"item {i}", "price": i * 1.5} for i in range(200)]})
    assert not is_opaque(gzip.compress(document), JSON, "gzip")
    assert not is_opaque(gzip.compress(document), JSON, None)  # gzip recognised by its magic bytes
    assert not is_opaque(zstandard.ZstdCompressor().compress(document), JSON, "zstd")


def test_base64_of_random_bytes_is_opaque() -> None:
    """base64 text has ~6 bits/char, but it decodes to a high-entropy blob: treated as opaque."""
    blob = random.Random(8).randbytes(600)
    assert is_opaque(base64.b64encode(blob), "text/plain", None)
    assert is_opaque(_json({"v": 1, "data": base64.b64encode(blob).decode()}), JSON, None)


def test_media_small_and_readable_bodies_are_not_opaque() -> None:
    rng = random.Random(9)
    noise = rng.randbytes(4096)
    assert not is_opaque(noise, "image/jpeg", None)
    assert not is_opaque(noise, "font/woff2", None)
    assert not is_opaque(b"\x89PNG\r\n\x1a\n" + noise, "application/octet-stream", None)
    assert not is_opaque(_json({"img": base64.b64encode(b"\xff\xd8\xff\xe0" + noise).decode()}), JSON, None)
    assert not is_opaque(rng.randbytes(limits.OPAQUE_MIN_BYTES - 1), None, None)
    assert not is_opaque(b"<html>" + b"hello world " * 100, "text/html", None)
    assert not is_opaque(b"", None, None)


def test_entropy_estimate_separates_random_from_text() -> None:
    rng = random.Random(10)
    for _ in range(50):
        assert entropy_bits_per_byte(rng.randbytes(limits.OPAQUE_MIN_BYTES)) >= limits.OPAQUE_MIN_ENTROPY
    assert entropy_bits_per_byte(base64.b64encode(rng.randbytes(3000))) < 6.5
    assert entropy_bits_per_byte(b"The quick brown fox jumps over the lazy dog. " * 20) < 5


def test_examine_reports_opaque_parts(detector: PiDetector) -> None:
    parts = [MessagePart("request.body", random.Random(11).randbytes(1024)), MessagePart("url.path", b"/v1/x")]
    assert detector.examine(parts).opaque == ("request.body",)


# =========================================================================== hostile input


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """A valid gzip stream of ``size`` zero bytes (a multiple of 1 MiB), built from one repeated block."""
    chunk = bytes(MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)  # the same bytes after a full flush
    end = compressor.flush()[:-8]
    crc = 0
    for _ in range(size // MIB):
        crc = zlib.crc32(chunk, crc)
    return head + block * (size // MIB - 1) + end + struct.pack("<II", crc, size & 0xFFFFFFFF)


def test_the_bomb_builder_makes_a_valid_stream() -> None:
    assert gzip.decompress(gzip_bomb(4 * MIB)) == bytes(4 * MIB)


@pytest.mark.parametrize(
    ("coding", "build"),
    [
        pytest.param("gzip", lambda: gzip_bomb(1024 * MIB), id="gzip-1GiB"),
        pytest.param(None, lambda: gzip_bomb(1024 * MIB), id="gzip-1GiB-undeclared"),
        pytest.param("zstd", lambda: zstandard.ZstdCompressor(level=1).compress(bytes(256 * MIB)), id="zstd-256MiB"),
        pytest.param("br", lambda: brotli.compress(bytes(256 * MIB), quality=1), id="br-256MiB"),
        pytest.param("deflate", lambda: zlib.compress(bytes(64 * MIB), 9), id="deflate-64MiB"),
    ],
)
def test_compression_bombs_are_cut_and_reported(
    detector: PiDetector, coding: str | None, build: Callable[[], bytes]
) -> None:
    bomb = build()
    report = detector.examine([MessagePart("request.body", bomb, JSON, coding)])
    assert report.detections == ()
    assert report.truncated
    assert any(f"cut at {limits.MAX_INFLATED_BYTES} bytes" in t.reason for t in report.truncations)


def test_a_bomb_inside_a_json_value_is_cut(detector: PiDetector) -> None:
    inner = base64.b64encode(gzip_bomb(64 * MIB)).decode()
    report = detector.examine([MessagePart("request.body", _json({"log": inner}), JSON)])
    assert [t.encodings for t in report.truncations] == [("json:$.log", "base64")]


def test_deeply_nested_json_does_not_raise(detector: PiDetector, profile: DeviceProfile) -> None:
    too_deep_for_the_parser = b"[" * 200_000 + b"]" * 200_000
    assert detector.scan([MessagePart("request.body", too_deep_for_the_parser, JSON)]) == []
    nested: object = {"imei": profile.imei[0]}
    for _ in range(limits.MAX_JSON_NESTING + 10):
        nested = {"n": nested}
    report = detector.examine([MessagePart("request.body", _json(nested), JSON)])
    assert report.detections == ()
    assert any("nested deeper" in t.reason for t in report.truncations)


def test_deep_decoding_chains_stop_at_the_depth_limit(detector: PiDetector, profile: DeviceProfile) -> None:
    data = _json({"imei": profile.imei[0]})
    for _ in range(limits.MAX_DEPTH + 2):
        data = _json({"b": base64.b64encode(data).decode()})
    report = detector.examine([MessagePart("request.body", data, JSON)])
    assert report.detections == ()
    assert any("depth limit" in t.reason for t in report.truncations)


def test_too_many_pieces_stop_at_the_node_limit(detector: PiDetector, profile: DeviceProfile) -> None:
    document = _json({"items": [f"value-{i}" for i in range(limits.MAX_NODES + 100)] + [profile.imei[0]]})
    report = detector.examine([MessagePart("request.body", document, JSON)])
    assert any("work limit" in t.reason for t in report.truncations)


def test_too_many_tokens_in_one_piece_are_reported(detector: PiDetector) -> None:
    rng = random.Random(12)
    tokens = " ".join(base64.b64encode(f"token number {i} {rng.random()}".encode()).decode() for i in range(100))
    report = detector.examine([MessagePart("request.body", tokens.encode(), "text/plain")])
    assert any("encoded tokens" in t.reason for t in report.truncations)


@pytest.mark.parametrize(
    "part",
    [
        pytest.param(MessagePart("request.body", b""), id="empty"),
        pytest.param(MessagePart("request.body", b"", JSON, "gzip"), id="empty-gzip"),
        pytest.param(MessagePart("request.body", b"\xff\xfe\xfd" + bytes(range(256)) * 4, JSON), id="invalid-utf8"),
        pytest.param(MessagePart("request.body", b"\x1f\x8b\x08" + b"\x00" * 40, JSON, "gzip"), id="corrupt-gzip"),
        pytest.param(MessagePart("request.body", gzip.compress(b'{"a": 1}')[:12], JSON, "gzip"), id="cut-gzip"),
        pytest.param(MessagePart("request.body", b"garbage", JSON, "br"), id="not-brotli"),
        pytest.param(MessagePart("request.body", b"\x28\xb5\x2f\xfd\x00\x00", JSON, "zstd"), id="cut-zstd"),
        pytest.param(MessagePart("request.body", b"x", JSON, "gzip, lz4, br"), id="unknown-coding"),
        pytest.param(MessagePart("request.body", b"--b\r\nbroken", "multipart/form-data; boundary=b"), id="multipart"),
        pytest.param(MessagePart("request.body", b"\x0a\xff\xff\xff\xff\x0f", PROTOBUF), id="protobuf-length-lies"),
        pytest.param(MessagePart("request.body", b"\x0a\x02" * 5000 + b"\x08\x01", PROTOBUF), id="protobuf-nested"),
        pytest.param(MessagePart("request.body", b'{"a": "\\ud800", "b": 1e999999}', JSON), id="json-oddities"),
        pytest.param(MessagePart("request.body", b'{"n": ' + b"9" * 100_000 + b"}", JSON), id="json-huge-int"),
        pytest.param(MessagePart("request.body", b"a=%ZZ&b=%&c=" + b"%25" * 1000, FORM), id="bad-percent"),
        pytest.param(MessagePart("request.body", b"A" * 3 * MIB, "text/plain"), id="huge-base64-like"),
    ],
)
def test_broken_and_hostile_bodies_return_normally(detector: PiDetector, part: MessagePart) -> None:
    report = detector.examine([part])
    assert report.detections == ()


def test_a_value_repeated_through_a_large_body_is_one_detection(detector: PiDetector, profile: DeviceProfile) -> None:
    """Hostile repetition: matching stays linear and the report holds one detection per value and place."""
    body = b"imei=" + profile.imei[0].encode() + b";lat=39.9593,lng=116.2981;"
    report = detector.examine([MessagePart("request.body", body * 30_000, "text/plain")])
    assert sorted(d.value_name for d in report.detections) == ["imei[0]", "locations[0]"]
    assert {t.reason for t in report.truncations} == {
        f"more than {limits.MAX_TOKEN_CANDIDATES} token candidates in one piece; the rest were not decoded",
        f"more than {limits.MAX_COORDINATE_HITS} numbers near a profile location in one piece",
        f"a pattern detector stopped after {limits.MAX_PATTERN_CANDIDATES} hits all explained by the profile",
    }


def test_huge_base64_blob_is_searched_and_opaque(detector: PiDetector, profile: DeviceProfile) -> None:
    blob = random.Random(13).randbytes(2 * MIB) + profile.imei[0].encode()
    part = MessagePart("request.body", _json({"blob": base64.b64encode(blob).decode()}), JSON)
    report = detector.examine([part])
    assert [(d.value_name, d.encodings, d.offset) for d in report.detections] == [
        ("imei[0]", ("json:$.blob", "base64"), 2 * MIB)
    ]
    assert report.opaque == ("request.body",)


# =========================================================================== negative corpus

WORDS = [
    "alpha",
    "banner",
    "cart",
    "coupon",
    "detail",
    "feed",
    "goods",
    "home",
    "index",
    "list",
    "live",
    "mall",
    "news",
    "order",
    "page",
    "pay",
    "promo",
    "rank",
    "search",
    "shop",
    "sku",
    "store",
    "topic",
    "user",
    "video",
    "vip",
    "wallet",
    "weather",
    "share",
    "comment",
    "like",
    "follow",
    "message",
    "notice",
]
CN_WORDS = ["北京", "上海", "优惠", "订单", "商品", "推荐", "直播", "会员", "红包", "新闻", "天气", "视频"]
HOSTS = ["api.example.com", "cdn.shopcdn.net", "img.static-assets.cn", "log.metrics-hub.io", "m.news-site.com"]
UA = "Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A.230805.001)"


class Corpus:
    """Realistic request parts without PI: API payloads, forms, HTML, protobuf, binaries, URLs."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def numeric_id(self) -> str:
        digits = self.rng.randint(15, 19)
        return str(self.rng.randrange(10 ** (digits - 1), 10**digits))

    def digest(self) -> str:
        name = self.rng.choice(("md5", "sha1", "sha256"))
        text = hashlib.new(name, f"{self.rng.choice(WORDS)}-{self.rng.random()}".encode()).hexdigest()
        return text.upper() if self.rng.random() < 0.3 else text

    def image_b64(self) -> str:
        header = self.rng.choice((b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"))
        return base64.b64encode(header + self.rng.randbytes(self.rng.randint(200, 2500))).decode()

    def url(self) -> str:
        path = "/".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 3)))
        query = f"w={self.rng.randint(100, 1080)}&q={self.rng.randint(50, 95)}&sign={self.digest()[:16]}"
        return f"https://{self.rng.choice(HOSTS)}/{path}/{self.digest()[:12]}.jpg?{query}"

    def text(self) -> str:
        pool = CN_WORDS if self.rng.random() < 0.4 else WORDS
        return " ".join(self.rng.choice(pool) for _ in range(self.rng.randint(1, 12)))

    def scalar(self, key: str) -> object:
        rng = self.rng
        makers: dict[str, Callable[[], object]] = {
            "ts": lambda: rng.randrange(1_600_000_000_000, 1_800_000_000_000),
            "time": lambda: rng.randrange(1_600_000_000, 1_800_000_000),
            "order_id": self.numeric_id,
            "trade_no": lambda: self.numeric_id() if rng.random() < 0.5 else int(self.numeric_id()),
            "item_id": lambda: int(self.numeric_id()),
            "request_id": self.uuid,
            "trace_id": lambda: self.digest()[:32],
            "user_id": self.uuid,
            "session": lambda: base64.urlsafe_b64encode(rng.randbytes(24)).decode(),
            "nonce": lambda: base64.b64encode(rng.randbytes(rng.randint(8, 32))).decode(),
            "sign": self.digest,
            "price": lambda: round(rng.uniform(0.5, 9999), 2),
            "amount": lambda: f"{rng.uniform(1, 50000):.2f}",
            "ratio": lambda: round(rng.random(), 6),
            "rating": lambda: round(rng.uniform(1, 5), 1),
            "count": lambda: rng.randint(0, 100000),
            "page": lambda: rng.randint(1, 50),
            "title": self.text,
            "desc": self.text,
            "city": lambda: rng.choice(CN_WORDS),
            "url": self.url,
            "avatar": self.image_b64,
            "version": lambda: f"{rng.randint(1, 12)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}",
            "os": lambda: rng.choice(("android", "Android")),
            "model": lambda: rng.choice(("Pixel 7", "MI 9", "SM-G9910", "V2055A", "PCLM10")),
            "net": lambda: rng.choice(("wifi", "4g", "5g")),
            "lang": lambda: rng.choice(("zh-CN", "en-US")),
            "status": lambda: rng.choice((0, 1, 200, "ok")),
            "token": lambda: ".".join(
                base64.urlsafe_b64encode(rng.randbytes(n)).decode().rstrip("=") for n in (12, 40, 32)
            ),
            "event": lambda: rng.choice(WORDS) + "_" + rng.choice(("click", "show", "start", "end")),
        }
        return makers[key]()

    def obj(self, depth: int = 0) -> dict[str, object]:
        keys = self.rng.sample(sorted(self._scalar_keys()), self.rng.randint(3, 9))
        result: dict[str, object] = {key: self.scalar(key) for key in keys}
        if depth < 3 and self.rng.random() < 0.6:
            result["data"] = self.obj(depth + 1)
        if depth < 3 and self.rng.random() < 0.4:
            result["items"] = [self.obj(depth + 2) for _ in range(self.rng.randint(1, 5))]
        if self.rng.random() < 0.2:
            result["tags"] = [self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 6))]
        return result

    def _scalar_keys(self) -> set[str]:
        return {"ts", "time", "order_id", "trade_no", "item_id", "request_id", "trace_id", "user_id", "session",
                "nonce", "sign", "price", "amount", "ratio", "rating", "count", "page", "title", "desc", "city",
                "url", "avatar", "version", "os", "model", "net", "lang", "status", "token", "event"}  # fmt: skip

    def form(self) -> bytes:
        pairs = [(key, str(self.scalar(key))) for key in self.rng.sample(sorted(self._scalar_keys()), 6)]
        return "&".join(f"{k}={quote_plus(v)}" for k, v in pairs).encode()

    def html(self) -> bytes:
        rows = "".join(
            f"<li data-id='{self.numeric_id()}'>{self.text()} ¥{self.scalar('price')}</li>" for _ in range(8)
        )
        head = f"<!doctype html><html><head><title>{self.text()}</title></head>"
        return f"{head}<body><ul>{rows}</ul></body></html>".encode()

    def protobuf(self, depth: int = 0) -> bytes:
        out = b""
        for number in range(1, self.rng.randint(3, 9)):
            kind = self.rng.random()
            if kind < 0.3:
                out += _pb_field(number, self.rng.randrange(1, 1 << 40))
            elif kind < 0.6:
                out += _pb_field(number, self.text().encode())
            elif kind < 0.75:
                out += _pb_field(number, round(self.rng.uniform(0, 999), 2))
            elif kind < 0.9 and depth < 2:
                out += _pb_field(number, self.protobuf(depth + 1))
            else:
                out += _pb_field(number, int(self.numeric_id()) % (1 << 63))
        return out

    def parts(self, count: int) -> Iterator[MessagePart]:
        rng = self.rng
        for _ in range(count):
            kind = rng.random()
            if kind < 0.35:
                yield MessagePart("request.body", _json(self.obj()), JSON)
            elif kind < 0.45:
                yield MessagePart("request.body", gzip.compress(_json(self.obj()), mtime=0), JSON, "gzip")
            elif kind < 0.53:
                yield MessagePart("request.body", self.form(), FORM)
            elif kind < 0.61:
                yield MessagePart("url.query", self.form())
            elif kind < 0.66:
                yield MessagePart("request.body", self.html(), "text/html")
            elif kind < 0.72:
                yield MessagePart("request.body", rng.randbytes(rng.randint(16, 4096)), "application/octet-stream")
            elif kind < 0.82:
                yield MessagePart("request.body", self.protobuf(), PROTOBUF)
            elif kind < 0.87:
                inner = base64.b64encode(_json(self.obj(2))).decode()
                yield MessagePart("request.body", _json({"v": 2, "payload": inner, "sign": self.digest()}), JSON)
            elif kind < 0.92:
                body, content_type = _multipart(
                    [
                        ("meta", _json(self.obj(2)), None, JSON),
                        ("file", base64.b64decode(self.image_b64()), "a.jpg", "image/jpeg"),
                    ]
                )
                yield MessagePart("request.body", body, content_type)
            elif kind < 0.96:
                yield MessagePart("url.path", self.url().split("/", 3)[3].split("?")[0].encode())
            else:
                yield MessagePart("request.header:User-Agent", UA.encode())
                yield MessagePart("request.header:X-Request-Id", self.uuid().encode())
                yield MessagePart("request.header:Cookie", f"sid={self.scalar('session')}; uid={self.uuid()}".encode())


def test_ordinary_traffic_yields_no_detection(detector: PiDetector) -> None:
    """2,000+ bodies (plus URLs and headers), the richest profile (~430 needles, 2 locations), every pattern."""
    parts = list(Corpus(2024).parts(2400))
    assert sum(p.location == "request.body" for p in parts) >= 2000
    assert {p.content_type for p in parts} >= {JSON, FORM, PROTOBUF, "text/html", "application/octet-stream", None}
    false_positives = [(p.location, p.content_type, d) for p in parts for d in detector.scan([p])]
    assert not false_positives, false_positives[:5]


def test_ordinary_traffic_yields_no_detection_for_the_emulator_profile() -> None:
    detector = PiDetector(load_profile(PROFILES / "emulator.json"))
    false_positives = [d for part in Corpus(77).parts(300) for d in detector.scan([part])]
    assert not false_positives, false_positives[:5]


def test_ordinary_traffic_yields_no_pattern_detection_without_a_profile(patterns_only: PiDetector) -> None:
    false_positives = [d for part in Corpus(99).parts(300) for d in patterns_only.scan([part])]
    assert not false_positives, false_positives[:5]


def test_a_planted_value_stands_out_of_the_negative_corpus(detector: PiDetector, profile: DeviceProfile) -> None:
    """The same generator with one value planted: the corpus is not negative by construction."""
    corpus = Corpus(5)
    document = corpus.obj()
    document["data"] = {**corpus.obj(1), "did": hashlib.sha1(profile.imei[1].encode()).hexdigest()}
    part = MessagePart("request.body", gzip.compress(_json(document)), JSON, "gzip")
    detections = detector.scan([part])
    assert [(d.value_name, d.encodings) for d in detections] == [("imei[1]", ("gzip", "json:$.data.did", "sha1"))]
    verify_all(part, detections, profile)


def test_profile_fixture_keeps_the_planted_corpus_meaningful(profile: DeviceProfile) -> None:
    assert len(list(profile.values())) >= 15 and len(profile.imei) == 2 and profile.meid and profile.bluetooth_mac
    assert len(profile.locations) == 2 and profile.custom_pi_types
