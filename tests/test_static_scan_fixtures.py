"""End-to-end static scans of the fixture APKs: exact SDKs, call sites and start-up chains.

The expectations come from each fixture's EXPECTED.md (fixtures/apps/<name>/).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from appaudit.evidence import codec
from appaudit.evidence.model import EvidenceBundle, Status
from appaudit.pipeline import scan_apk

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
V = "Lcom/appaudit/fixture/violating/"
C = "Lcom/appaudit/fixture/compliant/"


@pytest.fixture(scope="module")
def bundles() -> dict[str, EvidenceBundle]:
    out = {}
    for name in ("violating", "compliant", "sdk-zoo"):
        result = scan_apk(APPS / name / f"{name}.apk")
        assert result.internal_errors == []
        out[name] = result.bundle
    return out


def chains(bundle: EvidenceBundle) -> dict[tuple[str, str], tuple[str, ...]]:
    assert bundle.startup is not None
    return {(f.kind, f.target): f.chain for f in bundle.startup.findings}


def test_every_part_ran_cleanly(bundles) -> None:
    for name, bundle in bundles.items():
        assert [(p.name, p.status) for p in bundle.parts if p.status is not Status.OK] == [], name
        assert bundle.archive_anomalies == ()


def test_violating_identity_and_manifest(bundles) -> None:
    b = bundles["violating"]
    assert b.app is not None and b.manifest is not None
    assert (b.app.package, b.app.version_name, b.app.version_code, b.app.label) == (
        "com.appaudit.fixture.violating", "2.3.1", "23", "违规示例",
    )  # fmt: skip
    assert (b.app.min_sdk, b.app.target_sdk, b.app.dex_count) == (21, 30, 1)
    assert set(b.app.signing.schemes) >= {"v1", "v2", "v3"}
    assert len(b.app.signing.certificates[0].sha256) == 64
    assert b.manifest.application_class == "com.appaudit.fixture.violating.App"
    assert b.manifest.launcher_activities == ("com.appaudit.fixture.violating.MainActivity",)
    assert b.manifest.package_visibility.query_all_packages is True
    assert b.manifest.network_security.uses_cleartext_attr is True
    phone = next(p for p in b.manifest.permissions if p.name == "android.permission.READ_PHONE_STATE")
    assert phone.protection_level == "dangerous" and "imei" in phone.pi_types


def test_violating_startup_chains_are_exact(bundles) -> None:
    got = chains(bundles["violating"])
    assert got == {
        ("sensitive_api", "tm_getDeviceId"): (
            f"{V}App;->onCreate()V",
            f"{V}DeviceInfoCollector;->collect(Landroid/content/Context;)V",
            f"{V}IdHelper;->imei(Landroid/content/Context;)Ljava/lang/String;",
            "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;",
        ),
        ("sensitive_api", "secure_android_id"): (
            f"{V}App;->onCreate()V",
            f"{V}DeviceInfoCollector;->collect(Landroid/content/Context;)V",
            "Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)Ljava/lang/String;",
        ),
        ("sensitive_api", "pm_installed"): (
            f"{V}App;->onCreate()V",
            f"{V}DeviceInfoCollector;->collect(Landroid/content/Context;)V",
            "Landroid/content/pm/PackageManager;->getInstalledPackages(I)Ljava/util/List;",
        ),
        ("sensitive_api", "lm_getLastKnownLocation"): (
            f"{V}App;->onCreate()V",
            f"{V}DeviceInfoCollector;->collect(Landroid/content/Context;)V",
            f"{V}LocationHelper;->last(Landroid/content/Context;)Landroid/location/Location;",
            "Landroid/location/LocationManager;->getLastKnownLocation(Ljava/lang/String;)Landroid/location/Location;",
        ),
        ("sensitive_api", "build_getSerial"): (
            f"{V}App;->attachBaseContext(Landroid/content/Context;)V",
            f"{V}DeviceInfoCollector;->collectSerial()V",
            "Landroid/os/Build;->getSerial()Ljava/lang/String;",
        ),
        ("sensitive_api", "netif_enum"): (
            f"{V}App;-><clinit>()V",
            f"{V}Tracker;->warmUp()V",
            "Ljava/net/NetworkInterface;->getNetworkInterfaces()Ljava/util/Enumeration;",
        ),
        ("sensitive_api", "clipboard_read"): (
            f"{V}InitProvider;->onCreate()Z",
            "Landroid/content/ClipboardManager;->getPrimaryClip()Landroid/content/ClipData;",
        ),
        ("sensitive_api", "tm_getSubscriberId"): (
            f"{V}MainActivity;->onCreate(Landroid/os/Bundle;)V",
            "Landroid/telephony/TelephonyManager;->getSubscriberId()Ljava/lang/String;",
        ),
        ("sdk_init", "umeng_analytics"): (
            f"{V}App;->onCreate()V",
            "Lcom/umeng/commonsdk/UMConfigure;->init(Landroid/content/Context;Ljava/lang/String;Ljava/lang/String;ILjava/lang/String;)V",
        ),
        ("sdk_init", "jpush"): (
            f"{V}App;->onCreate()V",
            "Lcn/jpush/android/api/JPushInterface;->init(Landroid/content/Context;)V",
        ),
    }
    startup = bundles["violating"].startup
    assert all(not f.guarded for f in startup.findings)
    kinds = {f.target: f.entry_point.kind for f in startup.findings}
    assert kinds["clipboard_read"] == "provider_oncreate"
    assert kinds["netif_enum"] == "static_initializer"
    assert kinds["build_getSerial"] == "application_attach"
    assert startup.budget_exhausted is False


def test_violating_call_sites_include_code_not_reachable_at_startup(bundles) -> None:
    sites = {(s.api_id, str(s.caller)) for s in bundles["violating"].api_calls}
    mac = ("wifiinfo_getMacAddress", f"{V}SettingsActivity;->onCreate(Landroid/os/Bundle;)V")
    assert mac in sites  # found as a call site ...
    assert ("sensitive_api", "wifiinfo_getMacAddress") not in chains(bundles["violating"])  # ... but not at start-up
    android_id = next(s for s in bundles["violating"].api_calls if s.api_id == "secure_android_id")
    assert android_id.argument == "android_id" and android_id.sdk_id is None and android_id.dex == "classes.dex"


def test_violating_sdks_and_endpoints(bundles) -> None:
    b = bundles["violating"]
    assert {s.sdk_id for s in b.sdks} == {"umeng_analytics", "jpush"}
    jpush = next(s for s in b.sdks if s.sdk_id == "jpush")
    assert {m.kind for m in jpush.matches} >= {"class_prefix", "manifest_component", "meta_data"}
    host = next(e for e in b.endpoints if e.host == "log.violating-example.cn")
    assert host.cleartext is True and "http://log.violating-example.cn/collect" in host.urls
    assert b.policy_hints is not None and b.policy_hints.documents == () and b.policy_hints.urls == ()


def test_compliant_startup_calls_are_guarded_by_the_consent_flag(bundles) -> None:
    startup = bundles["compliant"].startup
    assert {(f.kind, f.target) for f in startup.findings} == {
        ("sdk_init", "umeng_analytics"),
        ("sensitive_api", "secure_android_id"),
    }
    for f in startup.findings:
        assert f.guarded, f
        assert f.guard.method.class_name == f"{C}App;" and f.guard.method.name == "onCreate"
        assert "isAgreed" in f.guard.condition
        assert "dominates the call" in f.guard.recognised_by
        assert f.chain[:2] == (
            f"{C}App;->onCreate()V",
            f"{C}SdkBootstrap;->start(Landroid/content/Context;)V",
        )


def test_compliant_policy_hints(bundles) -> None:
    hints = bundles["compliant"].policy_hints
    assert [d.path for d in hints.documents] == ["assets/privacy_policy.html"]
    assert hints.documents[0].language == "zh-Hans"
    assert "https://www.example.com/privacy" in [u.text for u in hints.urls]
    assert any("同意" in s.text for s in hints.consent_strings)


def test_sdk_zoo_detects_every_seed_sdk_and_no_decoy(bundles) -> None:
    b = bundles["sdk-zoo"]
    found = {s.sdk_id for s in b.sdks}
    assert len(found) >= 31
    assert b.app is not None and [d.name for d in b.app.dex_files] == ["classes.dex", "classes2.dex"]
    assert b.app.native_abis == ("arm64-v8a",)
    for s in b.sdks:
        for m in s.matches:
            assert not any(
                ex.startswith(("Lcom/google/common/", "Lcom/bytedance/unrelated/", "Lcom/tencent/unrelated/", "La/a/"))
                for ex in m.examples
            ), (s.sdk_id, m)
    native = {(s.sdk_id, ex) for s in b.sdks for m in s.matches if m.kind == "native_lib" for ex in m.examples}
    assert native == {
        ("jiguang_jcore", "libjcore220.so"),
        ("tencent_bugly", "libBugly.so"),
    }  # not libnative-lib.so
    assert "www.notfacebook.com" not in {e.host for e in b.endpoints if e.sdk_id}


def test_evidence_round_trips_through_json(bundles, tmp_path) -> None:
    for bundle in bundles.values():
        path = tmp_path / "evidence.json"
        codec.write(bundle, path)
        assert codec.read(path) == bundle


def test_sdk_usage_separates_embedded_from_initialised(bundles) -> None:
    usage = {name: {s.sdk_id: s.usage for s in b.sdks} for name, b in bundles.items()}
    assert usage["violating"] == {"jpush": "initialised_at_startup", "umeng_analytics": "initialised_at_startup"}
    assert usage["compliant"] == {"umeng_analytics": "initialised_at_startup_guarded"}
    zoo = usage["sdk-zoo"]
    assert {k for k, v in zoo.items() if v == "initialised_at_startup"} == {"jpush", "umeng_analytics", "xiaomi_push"}
    assert zoo["amap_location"] == "reachable"  # its declared service (APSService) can be started by the system
    assert zoo["adjust"] == "embedded"  # classes present, nothing calls them
    compliant = bundles["compliant"].sdks[0]
    assert "isAgreed" in compliant.usage_evidence[0] and "SdkBootstrap;->start" in compliant.usage_evidence[0]
