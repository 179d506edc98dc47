"""The SDK matcher: attribution, counts, examples and the documented confidence rule."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from appaudit.evidence.model import Confidence, SdkHit, SignatureMatch
from appaudit.knowledge.sdk_db import SdkDatabase, load_sdk_database
from appaudit.static.sdk_match import confidence_for, match_sdks

SYNTHETIC_DB = """\
schema_version: 1
sdks:
- id: alpha
  name: Alpha Analytics
  name_zh: 阿尔法统计
  vendor: Alpha Inc
  categories: [analytics]
  class_prefixes: [com.alpha.sdk.]
  components:
    service: [com.alpha.sdk.AlphaService]
    activity: ["*.alpha.EntryActivity"]
  meta_data: [ALPHA_KEY, SHARED_KEY]
  permissions: ["*.permission.ALPHA"]
  native_libs: [libalpha.so, {regex: "libalphacore[0-9]*\\\\.so"}]
  assets: [alpha.json]
  domains: [alpha.io]
  sources: [manual]
- id: alpha_push
  parent: alpha
  name: Alpha Push
  vendor: Alpha Inc
  categories: [push]
  class_prefixes: [com.alpha.sdk.push.]
  components:
    receiver: ["com.alpha.sdk.push.*"]
  sources: [manual]
- id: beta
  name: Beta Crash
  categories: [crash_reporting]
  class_prefixes: [org.beta.crash.]
  domains: [beta.dev]
  sources: [manual]
- id: gamma
  name: Gamma Maps
  categories: [map_location]
  class_prefixes: [net.gamma.maps.]
  meta_data: [SHARED_KEY]
  sources: [manual]
- id: delta
  name: Delta Ads
  categories: [advertising]
  class_prefixes: [io.delta.ads.]
  permissions: [io.delta.permission.ADS]
  sources: [manual]
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> SdkDatabase:
    path: Path = tmp_path_factory.mktemp("db") / "sdks.yaml"
    path.write_text(SYNTHETIC_DB, encoding="utf-8")
    return load_sdk_database(path)


def _match(db: SdkDatabase, **kwargs: object) -> dict[str, SdkHit]:
    args: dict[str, object] = {
        "class_names": [],
        "components": [],
        "meta_data_keys": [],
        "permissions": [],
        "native_libs": [],
        "assets": [],
        "hosts": [],
    }
    args.update(kwargs)
    hits = match_sdks(db, **args)  # type: ignore[arg-type]
    assert [h.sdk_id for h in hits] == sorted(h.sdk_id for h in hits), "hits are sorted by id"
    return {h.sdk_id: h for h in hits}


def test_full_synthetic_app(db: SdkDatabase) -> None:
    classes = [
        "Lcom/alpha/sdk/Alpha;",
        "Lcom/alpha/sdk/a/b;",
        "Lcom/alpha/sdk/push/PushReceiver;",
        "Lcom/alpha/sdk/Alpha;",  # the same class from a second DEX counts once
        "Lorg/beta/crash/Beta;",
        "Lcom/example/app/MainActivity;",
        "Lcom/google/common/base/Preconditions;",
    ]
    hits = _match(
        db,
        class_names=classes,
        components=[
            ("service", "com.alpha.sdk.AlphaService"),
            ("activity-alias", "com.example.app.alpha.EntryActivity"),
            ("receiver", "com.alpha.sdk.push.PushReceiver"),
            ("receiver", "com.alpha.sdk.AlphaService"),  # right name, wrong kind: no match
        ],
        meta_data_keys=["ALPHA_KEY", "SHARED_KEY", "OTHER"],
        permissions=["com.example.app.permission.ALPHA", "android.permission.INTERNET"],
        native_libs=[
            "lib/arm64-v8a/libalpha.so",
            "lib/armeabi-v7a/libalpha.so",
            "lib/arm64-v8a/libalphacore2.so",
            "lib/arm64-v8a/libalphacore_x.so",
        ],
        assets=["assets/alpha.json", "assets/other.json"],
        hosts=["api.alpha.io", "ALPHA.IO", "beta.dev", "example.com"],
    )
    assert set(hits) == {"alpha", "alpha_push", "beta"}  # gamma's only match is the shared meta-data key
    assert hits["alpha"] == SdkHit(
        sdk_id="alpha",
        name="Alpha Analytics",
        name_zh="阿尔法统计",
        vendor="Alpha Inc",
        categories=("analytics",),
        confidence=Confidence.HIGH,
        class_count=2,
        matches=(
            SignatureMatch("class_prefix", "Lcom/alpha/sdk/", 2, ("Lcom/alpha/sdk/Alpha;", "Lcom/alpha/sdk/a/b;")),
            SignatureMatch("manifest_component", "*.alpha.EntryActivity", 1, ("com.example.app.alpha.EntryActivity",)),
            SignatureMatch("manifest_component", "com.alpha.sdk.AlphaService", 1, ("com.alpha.sdk.AlphaService",)),
            SignatureMatch("meta_data", "ALPHA_KEY", 1, ("ALPHA_KEY",)),
            SignatureMatch("meta_data", "SHARED_KEY", 1, ("SHARED_KEY",)),
            SignatureMatch("native_lib", "libalpha.so", 1, ("libalpha.so",)),
            SignatureMatch("native_lib", "regex:libalphacore[0-9]*\\.so", 1, ("libalphacore2.so",)),
            SignatureMatch("asset", "alpha.json", 1, ("assets/alpha.json",)),
            SignatureMatch("domain", "alpha.io", 2, ("alpha.io", "api.alpha.io")),
            SignatureMatch("permission", "*.permission.ALPHA", 1, ("com.example.app.permission.ALPHA",)),
        ),
        parent=None,
    )
    # The child is reported beside its parent, and its class is not counted for the parent.
    assert hits["alpha_push"] == SdkHit(
        sdk_id="alpha_push",
        name="Alpha Push",
        name_zh=None,
        vendor="Alpha Inc",
        categories=("push",),
        confidence=Confidence.HIGH,
        class_count=1,
        matches=(
            SignatureMatch("class_prefix", "Lcom/alpha/sdk/push/", 1, ("Lcom/alpha/sdk/push/PushReceiver;",)),
            SignatureMatch("manifest_component", "com.alpha.sdk.push.*", 1, ("com.alpha.sdk.push.PushReceiver",)),
        ),
        parent="alpha",
    )
    assert hits["beta"].confidence is Confidence.HIGH  # one class + its domain: two kinds agree
    assert hits["beta"].class_count == 1


def test_examples_are_capped_at_five_and_counts_are_complete(db: SdkDatabase) -> None:
    classes = [f"Lcom/alpha/sdk/C{i};" for i in range(12)]
    hit = _match(db, class_names=classes)["alpha"]
    assert hit.class_count == 12
    assert hit.matches == (SignatureMatch("class_prefix", "Lcom/alpha/sdk/", 12, tuple(classes[:5])),)
    assert hit.confidence is Confidence.MEDIUM


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"class_names": ["Lorg/beta/crash/A;"]}, Confidence.LOW),
        ({"class_names": ["Lorg/beta/crash/A;", "Lorg/beta/crash/B;"]}, Confidence.LOW),
        (
            {"class_names": ["Lorg/beta/crash/A;", "Lorg/beta/crash/B;", "Lorg/beta/crash/C;"]},
            Confidence.MEDIUM,
        ),
        ({"hosts": ["beta.dev"]}, Confidence.LOW),
    ],
)
def test_confidence_of_single_weak_signals(db: SdkDatabase, inputs: dict[str, object], expected: Confidence) -> None:
    assert _match(db, **inputs)["beta"].confidence is expected


def test_single_manifest_or_native_signature_is_medium(db: SdkDatabase) -> None:
    assert _match(db, meta_data_keys=["ALPHA_KEY"])["alpha"].confidence is Confidence.MEDIUM
    assert _match(db, native_libs=["lib/x86/libalpha.so"])["alpha"].confidence is Confidence.MEDIUM
    assert _match(db, components=[("service", "com.alpha.sdk.AlphaService")])["alpha"].confidence is Confidence.MEDIUM


def test_permission_alone_is_low_and_domain_plus_permission_stays_low(db: SdkDatabase) -> None:
    assert _match(db, permissions=["io.delta.permission.ADS"])["delta"].confidence is Confidence.LOW
    hit = _match(db, permissions=["x.permission.ALPHA"], hosts=["alpha.io"])["alpha"]
    assert hit.confidence is Confidence.LOW


def test_shared_signature_alone_reports_nothing(db: SdkDatabase) -> None:
    assert _match(db, meta_data_keys=["SHARED_KEY"]) == {}


def test_shared_signature_supports_an_sdk_with_its_own_evidence(db: SdkDatabase) -> None:
    hit = _match(db, class_names=["Lnet/gamma/maps/Map;"], meta_data_keys=["SHARED_KEY"])["gamma"]
    assert [m.kind for m in hit.matches] == ["class_prefix", "meta_data"]
    assert hit.confidence is Confidence.HIGH


def test_nothing_matches_an_app_without_sdks(db: SdkDatabase) -> None:
    assert _match(db, class_names=["Lcom/example/A;", "LTop;", "La;"], hosts=["example.com"]) == {}


def test_large_input_is_counted_exactly(db: SdkDatabase) -> None:
    classes = (f"Lcom/example/p{i % 97}/C{i};" if i % 10 else f"Lcom/alpha/sdk/x{i % 7}/C{i};" for i in range(300_000))
    hit = _match(db, class_names=classes)["alpha"]
    assert hit.class_count == 30_000


@pytest.mark.parametrize(
    ("kinds", "class_count", "expected"),
    [
        ({"class_prefix", "manifest_component"}, 1, Confidence.HIGH),
        ({"native_lib", "meta_data"}, 0, Confidence.HIGH),
        ({"class_prefix", "domain"}, 1, Confidence.HIGH),
        ({"native_lib", "domain"}, 0, Confidence.HIGH),
        ({"class_prefix"}, 3, Confidence.MEDIUM),
        ({"meta_data"}, 0, Confidence.MEDIUM),
        ({"asset"}, 0, Confidence.MEDIUM),
        ({"class_prefix"}, 2, Confidence.LOW),
        ({"domain"}, 0, Confidence.LOW),
        ({"domain", "permission"}, 0, Confidence.LOW),
    ],
)
def test_confidence_rule(kinds: set[str], class_count: int, expected: Confidence) -> None:
    assert confidence_for(kinds, class_count) is expected


def test_packaged_database_detects_umeng_from_the_fixture_shape() -> None:
    """The compliant fixture: UMConfigure in code plus UMENG_APPKEY meta-data."""
    hits = _match(
        load_sdk_database(),
        class_names=["Lcom/umeng/commonsdk/UMConfigure;", "Lcom/appaudit/fixture/compliant/App;"],
        meta_data_keys=["UMENG_APPKEY"],
    )
    assert set(hits) == {"umeng_analytics"}
    assert hits["umeng_analytics"].confidence is Confidence.HIGH
    assert hits["umeng_analytics"].class_count == 1


def test_packaged_database_keeps_gaid_client_apart_from_admob() -> None:
    hits = _match(
        load_sdk_database(),
        class_names=[
            "Lcom/google/android/gms/ads/identifier/AdvertisingIdClient;",
            "Lcom/google/android/gms/ads/identifier/AdvertisingIdClient$Info;",
        ],
    )
    assert set(hits) == {"google_ads_identifier"}


def test_packaged_database_wechat_entry_activity_pattern() -> None:
    hits = _match(load_sdk_database(), components=[("activity", "com.example.shop.wxapi.WXEntryActivity")])
    assert hits["wechat_opensdk"].confidence is Confidence.MEDIUM


# --------------------------------------------------------------------- the packaged database at scale


def _longest_prefix_by_brute_force(db: SdkDatabase, smali_class: str) -> str | None:
    matches = [p for entry in db.entries for p in entry.class_prefixes if smali_class.startswith(p)]
    return max(matches, key=len) if matches else None


def test_owning_prefix_agrees_with_a_brute_force_search() -> None:
    db = load_sdk_database()
    prefixes = [p for entry in db.entries for p in entry.class_prefixes]
    classes = [p + "Api;" for p in prefixes]
    classes += [p + "a/b/c/Deep;" for p in prefixes]
    classes += [p[:-1] + "x/Near;" for p in prefixes]  # "Lcom/umeng/messagex/": not inside the package
    classes += [p[:-1] + ";" for p in prefixes]  # a class named like the package
    classes += [p.rsplit("/", 2)[0] + "/Sibling;" for p in prefixes]
    classes += ["Landroidx/core/A;", "La/b;", "LTop;", "Lcom/google/common/collect/Lists;", ""]
    for smali_class in classes:
        found = db.owning_prefix(smali_class)
        assert (found[0] if found else None) == _longest_prefix_by_brute_force(db, smali_class), smali_class


def test_owner_of_class_stays_fast_on_a_large_app() -> None:
    """About 10^6 classes per large app: a lookup must stay around a microsecond (budget 10x)."""
    db = load_sdk_database()
    names = [f"Lcom/example/p{i % 97}/C{i};" for i in range(100_000)]
    names += [f"Lcom/google/common/collect/C{i};" for i in range(50_000)]
    names += [f"Lcom/tencent/mm/opensdk/modelmsg/C{i};" for i in range(50_000)]
    owner_of_class = db.owner_of_class
    started = time.perf_counter()
    owners = [owner_of_class(name) for name in names]
    elapsed = time.perf_counter() - started
    assert sum(owner is not None for owner in owners) == 50_000
    assert elapsed < 2.0, f"{len(names)} lookups took {elapsed:.2f}s"


def _packaged(**kwargs: object) -> dict[str, SdkHit]:
    return _match(load_sdk_database(), **kwargs)


def test_packaged_database_reports_a_plugin_and_the_sdk_it_bundles() -> None:
    hits = _packaged(
        class_names=["Lcn/sharesdk/wechat/friends/Wechat;", "Lcom/tencent/mm/opensdk/openapi/WXAPIFactory;"],
        components=[("activity", "com.example.shop.wxapi.WXEntryActivity")],
    )
    assert set(hits) == {"sharesdk_wechat", "wechat_opensdk"}
    assert hits["sharesdk_wechat"].parent == "sharesdk"  # the family is named even when the parent has no match
    assert hits["wechat_opensdk"].confidence is Confidence.HIGH


def test_packaged_database_family_keys_count_for_the_family_parent_only() -> None:
    hits = _packaged(meta_data_keys=["com.baidu.lbsapi.API_KEY", "UMENG_APPKEY", "com.huawei.hms.client.appid"])
    assert set(hits) == {"baidu_lbs", "umeng_analytics", "huawei_hms_core"}
    assert {hit.confidence for hit in hits.values()} == {Confidence.MEDIUM}


def test_packaged_database_names_the_push_channel_plugins() -> None:
    hits = _packaged(
        components=[
            ("receiver", "com.igexin.sdk.MiuiPushReceiver"),
            ("service", "cn.jpush.android.service.JHonorService"),
        ],
        class_names=["Lorg/android/agoo/huawei/HuaWeiRegister;"],
    )
    assert set(hits) == {"getui_vendor_channels", "jpush_vendor_channels", "alibaba_agoo_vendor_channels"}
