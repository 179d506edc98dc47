"""Endpoints from the fixture APKs (DEX strings, string resources, assets) and the extraction rules."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from apk_factory import copy_with_entries

from appaudit.evidence.model import Endpoint
from appaudit.knowledge.loader import read_packaged_yaml
from appaudit.static.androguard_adapter import AndroguardAdapter
from appaudit.static.archive import open_apk
from appaudit.static.endpoints import (
    app_domain,
    build_endpoints,
    dex_string_needles,
    extract_bare_hosts,
    extract_urls,
    load_endpoint_filters,
)

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
COMPLIANT = APPS / "compliant" / "compliant.apk"
VIOLATING = APPS / "violating" / "violating.apk"
SDK_ZOO = APPS / "sdk-zoo" / "sdk-zoo.apk"
STRINGS_XML = "res/values/strings.xml"


def dex_strings(data: bytes, dex_name: str) -> list[tuple[str, str]]:
    """Every string in a DEX string table (test stand-in for the DEX engine's const-strings)."""
    count, table = struct.unpack_from("<II", data, 0x38)
    values = []
    for i in range(count):
        (offset,) = struct.unpack_from("<I", data, table + 4 * i)
        while data[offset] & 0x80:  # skip the ULEB128 length
            offset += 1
        end = data.index(b"\0", offset + 1)
        values.append((data[offset + 1 : end].decode("utf-8", "replace"), dex_name))
    return values


class FakeSdk:
    def __init__(self, sdk_id: str) -> None:
        self.id = sdk_id


def fake_sdk_for_host(host: str) -> FakeSdk | None:
    for domain, sdk_id in (("umeng.com", "umeng_analytics"), ("appsflyer.com", "appsflyer")):
        if host == domain or host.endswith("." + domain):
            return FakeSdk(sdk_id)
    return None


def endpoints_of(apk: Path, **kwargs):
    with open_apk(apk) as archive:
        strings = [s for name in archive.dex_names() for s in dex_strings(archive.read(name), name)]
        return build_endpoints(archive, AndroguardAdapter.open(archive), strings, **kwargs)


# --------------------------------------------------------------------------- fixtures, shipped SDK database


def test_sdk_zoo_endpoints_with_the_sdk_database():
    pytest.importorskip("appaudit.knowledge.sdk_db")
    endpoints, errors = endpoints_of(SDK_ZOO)
    assert errors == ()
    assert [(e.host, e.party, e.sdk_id, e.sources) for e in endpoints] == [
        ("alogs.umeng.com", "sdk", "umeng_analytics", (STRINGS_XML,)),
        ("api.jpush.cn", "sdk", "jpush", (STRINGS_XML,)),
        ("googleads.g.doubleclick.net", "sdk", "google_admob", (STRINGS_XML,)),
        ("graph.facebook.com", "sdk", "facebook_sdk", (STRINGS_XML,)),
        ("launches.appsflyer.com", "sdk", "appsflyer", ("classes2.dex",)),
        ("mst03.is.autonavi.com", "sdk", "amap", (STRINGS_XML,)),
        ("restapi.amap.com", "sdk", "amap", (STRINGS_XML,)),
        ("www.notfacebook.com", "unknown", None, (STRINGS_XML,)),  # the decoy
    ]
    assert not any(e.cleartext for e in endpoints)
    by_host = {e.host: e for e in endpoints}
    assert by_host["launches.appsflyer.com"].urls == ("https://launches.appsflyer.com/api/v6.0/androidevent",)
    assert by_host["graph.facebook.com"].urls == ("https://graph.facebook.com/v16.0/",)


def test_violating_endpoint_is_cleartext_and_unattributed():
    pytest.importorskip("appaudit.knowledge.sdk_db")
    endpoints, errors = endpoints_of(VIOLATING)
    assert errors == ()
    assert endpoints == (
        Endpoint(
            host="log.violating-example.cn",
            urls=("http://log.violating-example.cn/collect",),
            sources=("classes.dex", STRINGS_XML),
            party="unknown",
            sdk_id=None,
            cleartext=True,
        ),
    )


def test_compliant_endpoints_include_the_policy_asset():
    pytest.importorskip("appaudit.knowledge.sdk_db")
    endpoints, errors = endpoints_of(COMPLIANT)
    assert errors == ()
    assert endpoints == (
        Endpoint("www.example.com", ("https://www.example.com/privacy",), (STRINGS_XML,), "unknown"),
        Endpoint(
            "www.umeng.com",
            ("https://www.umeng.com/page/policy",),
            ("assets/privacy_policy.html",),
            "sdk",
            "umeng_analytics",
        ),
    )  # privacy@example.com in the same asset is an e-mail address, not a host


# --------------------------------------------------------------------------- attribution (fake SDK lookup)


def test_first_party_sdk_and_unknown_hosts(tmp_path):
    config = (
        b'{"api": "https://api.appaudit.com/v2/report", "ws": "wss://push.appaudit.com/socket",'
        b' "cdn": "static.appaudit.com", "evil": "https://appaudit.com.evil.cn/x",'
        b' "stats": "http://t.umeng.com/collect", "ns": "http://schemas.android.com/apk/res/android",'
        b' "license": "http://www.apache.org/licenses/LICENSE-2.0", "xmlns": "http://www.w3.org/2000/svg"}'
    )
    apk = copy_with_entries(VIOLATING, tmp_path / "config.apk", {"assets/conf/app.json": config})
    endpoints, errors = endpoints_of(apk, sdk_for_host=fake_sdk_for_host)
    assert errors == ()
    parties = {e.host: (e.party, e.sdk_id, e.cleartext) for e in endpoints}
    assert parties == {
        "api.appaudit.com": ("first_party", None, False),
        "push.appaudit.com": ("first_party", None, False),
        "static.appaudit.com": ("first_party", None, False),  # a bare host
        "appaudit.com.evil.cn": ("unknown", None, False),
        "t.umeng.com": ("sdk", "umeng_analytics", True),
        "log.violating-example.cn": ("unknown", None, True),
    }
    assert {e.host: e.sources for e in endpoints}["static.appaudit.com"] == ("assets/conf/app.json",)
    assert {e.host: e.urls for e in endpoints}["static.appaudit.com"] == ()


def test_package_override_and_custom_lookup():
    endpoints, _ = endpoints_of(VIOLATING, package="cn.violating-example.app", sdk_for_host=lambda host: None)
    assert [(e.host, e.party) for e in endpoints] == [("log.violating-example.cn", "first_party")]


# --------------------------------------------------------------------------- extraction rules


@pytest.mark.parametrize(
    ("text", "hosts"),
    [
        ("api.weixin.qq.com", ["api.weixin.qq.com"]),
        ("umeng.com", ["umeng.com"]),
        ("see www.baidu.com/s?wd=1 now", ["www.baidu.com"]),
        ("com.umeng.analytics", []),  # a package name
        ("cn.jpush.android.api.JPushInterface", []),
        ("com.tencent.mm", []),
        ("org.json.JSONObject", []),
        ("libjcore220.so", []),
        ("config.json", []),
        ("user.info", []),  # two labels need a common TLD
        ("a.b.cc", []),  # minified-name shaped
        ("support@example.com", []),  # an e-mail address
        ("Build.VERSION.SDK_INT", []),
        ("getHost().example.com(", []),
        ("api.example.com.MainActivity", []),
        ("Lcom/example/app/Api;", []),
    ],
)
def test_bare_hosts_are_conservative(text, hosts):
    assert extract_bare_hosts(text, load_endpoint_filters()) == hosts


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("https://api.example.com/v1?a=b.", [("https://api.example.com/v1?a=b", "api.example.com", "https")]),
        ("ws://10.0.0.2:8080/s", [("ws://10.0.0.2:8080/s", "10.0.0.2", "ws")]),
        ("WSS://Push.Example.COM/x", [("WSS://Push.Example.COM/x", "push.example.com", "wss")]),
        ("访问https://h5.example.cn/#/p。", [("https://h5.example.cn/#/p", "h5.example.cn", "https")]),
        ("https://%s/api", []),
        ("http://", []),
        ("ftp://files.example.com/", []),
        (
            "a,http://a.example.com,http://b.example.com",
            [
                ("http://a.example.com", "a.example.com", "http"),
                ("http://b.example.com", "b.example.com", "http"),
            ],
        ),
    ],
)
def test_urls(text, found):
    assert extract_urls(text) == found


def test_ignored_namespace_hosts():
    flt = load_endpoint_filters()
    assert flt.is_ignored("schemas.android.com")
    assert flt.is_ignored("www.w3.org")
    assert flt.is_ignored("ns.adobe.com")
    assert flt.is_ignored("www.apache.org")
    assert not flt.is_ignored("notw3.org")


@pytest.mark.parametrize(
    ("package", "domain"),
    [
        ("com.example.app", "example.com"),
        ("com.appaudit.fixture.sdkzoo", "appaudit.com"),
        ("cn.com.bank.mobile", "bank.com.cn"),
        ("tv.danmaku.bili", "danmaku.tv"),
        ("ctrip.android.view", None),
        ("com", None),
        (None, None),
    ],
)
def test_app_domain(package, domain):
    assert app_domain(package) == domain


def test_filter_file_documents_every_list():
    _source, doc = read_packaged_yaml("endpoint_filters.yaml")
    lists = {k: v for k, v in doc.items() if k != "schema_version"}
    assert set(lists) == {
        "ignored_hosts",
        "known_tlds",
        "reverse_domain_roots",
        "multi_label_suffixes",
        "two_label_tlds",
    }
    for key, section in lists.items():
        assert section["description"].strip() and section["source"].strip(), key
        assert section["entries"], key
    flt = load_endpoint_filters()
    assert flt.two_label_tlds <= flt.known_tlds


def test_dex_string_needles_preselect_urls_and_hosts():
    needles = dex_string_needles()
    for text in ("https://x.example/a", "api.weixin.qq.com", "umeng.com"):
        assert any(n in text.encode() for n in needles), text
