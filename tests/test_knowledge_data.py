"""The packaged knowledge files load, are internally consistent, and the loaders reject bad data."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from appaudit.data.tools import check_upstream
from appaudit.errors import DataFileError
from appaudit.knowledge.loader import parse_yaml, read_packaged_yaml
from appaudit.knowledge.permissions import build_permission_table, load_permission_table
from appaudit.knowledge.pi_types import build_pi_taxonomy, load_pi_taxonomy
from appaudit.knowledge.sdk_db import PI_TYPES_BASES, REGIONS, SdkDatabase, load_sdk_database
from appaudit.knowledge.sensitive_apis import MEMBER_RE, build_sensitive_apis, load_sensitive_apis

# ----------------------------------------------------------------------------- loader


def test_duplicate_yaml_keys_are_rejected() -> None:
    with pytest.raises(DataFileError, match="duplicate key 'imei'"):
        parse_yaml("schema_version: 1\npi_types:\n  imei: {}\n  imei: {}\n", "x.yaml")


def test_unsupported_schema_version_is_rejected() -> None:
    with pytest.raises(DataFileError, match="schema_version"):
        parse_yaml("schema_version: 2\n", "x.yaml")


# ----------------------------------------------------------------------------- PI taxonomy


def test_pi_taxonomy_has_the_13_gbt35273_categories_and_48_types() -> None:
    taxonomy = load_pi_taxonomy()
    assert len(taxonomy) == 48  # 47 curated types + canary_other for custom canary values
    categories = {c.id for c in taxonomy.categories()}
    assert len(categories) == 13
    assert {t.category for t in taxonomy} <= categories
    assert len(set(taxonomy.ids())) == len(taxonomy.ids())


def test_pi_type_fields() -> None:
    taxonomy = load_pi_taxonomy()
    imei = taxonomy.get("imei")
    assert imei is not None
    assert (imei.category, imei.category_zh, imei.sensitive, imei.persistent) == (
        "device",
        "个人常用设备信息",
        False,
        True,
    )
    assert "contacts" in taxonomy and "no_such_type" not in taxonomy
    assert taxonomy.get("no_such_type") is None


@pytest.mark.parametrize(
    ("pi_type", "sensitive"),
    [
        ("contacts", True),  # Appendix B: 通讯录
        ("location_precise", True),  # Appendix B: 精准定位信息
        ("face", True),  # inherits biometric
        ("id_card", True),  # inherits identity
        ("activity", True),  # inherits health
        ("imei", False),
        ("location_coarse", False),
    ],
)
def test_sensitive_flags(pi_type: str, sensitive: bool) -> None:
    found = load_pi_taxonomy().get(pi_type)
    assert found is not None and found.sensitive is sensitive


def test_pi_type_with_unknown_category_names_the_entry() -> None:
    doc = {
        "categories": {"device": {"name_zh": "设备", "name_en": "Device"}},
        "pi_types": {"imei": {"name_zh": "a", "name_en": "b", "category": "nope"}},
    }
    with pytest.raises(DataFileError, match=r"PI type 'imei'.*unknown category 'nope'"):
        build_pi_taxonomy("pi.yaml", doc)


# ----------------------------------------------------------------------------- permissions


def test_permission_table_has_the_58_seed_permissions_with_labels() -> None:
    table = load_permission_table()
    assert len(table) == 58
    assert all(p.name_en for p in table), "every permission carries an English label"
    assert all(p.sources for p in table)


def test_every_permission_pi_type_exists() -> None:
    taxonomy = load_pi_taxonomy()
    for permission in load_permission_table():
        for pi_type in permission.pi_types:
            assert pi_type in taxonomy, (permission.name, pi_type)


def test_dangerous_permissions_are_runtime_permissions() -> None:
    for permission in load_permission_table():
        dangerous = "dangerous" in (permission.protection_level or "").split("|")
        assert permission.runtime is dangerous, permission.name


def test_permission_lookup() -> None:
    table = load_permission_table()
    info = table.lookup("android.permission.READ_PHONE_STATE")
    assert info is not None
    assert (info.group, info.group_zh, info.protection_level, info.runtime) == (
        "PHONE",
        "电话",
        "dangerous",
        True,
    )
    assert {"imei", "imsi", "phone_number"} <= set(info.pi_types)
    ad_id = table.lookup("com.google.android.gms.permission.AD_ID")
    assert ad_id is not None and ad_id.protection_level is None and ad_id.pi_types == ("gaid",)
    nearby = table.lookup("android.permission.NEARBY_WIFI_DEVICES")
    assert nearby is not None and nearby.name_en == "interact with nearby Wi-Fi devices"
    assert table.lookup("android.permission.INTERNET_NOT_LISTED") is None


def test_permission_with_unknown_pi_type_names_the_entry() -> None:
    doc = {
        "sources": {"aosp": "x"},
        "permissions": [{"name": "android.permission.X", "pi_types": ["no_such"], "sources": ["aosp"]}],
    }
    with pytest.raises(DataFileError, match=r"permission 'android.permission.X'.*unknown PI type 'no_such'"):
        build_permission_table("permissions.yaml", doc, load_pi_taxonomy())


# ----------------------------------------------------------------------------- sensitive APIs

SENSITIVE_API_CATEGORIES = {
    "device_ids", "phone_sim", "location", "apps", "clipboard", "contacts", "sms", "call_log", "calendar",
    "camera", "microphone", "sensors", "wifi_bluetooth", "accounts", "oaid", "sysprop", "media", "other",
}  # fmt: skip


def _all_members() -> tuple[set[str], set[str], set[str]]:
    apis = load_sensitive_apis()
    return (
        {m for api in apis for m in api.methods},
        {f for api in apis for f in api.fields},
        {s for api in apis for s in api.strings},
    )


def test_sensitive_api_catalogue_is_complete_and_consistent() -> None:
    apis = load_sensitive_apis()
    taxonomy = load_pi_taxonomy()
    assert len(apis) >= 60
    assert len({api.id for api in apis}) == len(apis)
    for api in apis:
        assert api.category in SENSITIVE_API_CATEGORIES, api.id
        assert api.sources, api.id
        assert api.methods or api.fields or api.strings, api.id
        for pi_type in api.pi_types:
            assert pi_type in taxonomy, (api.id, pi_type)
        for member in api.methods + api.fields:
            assert MEMBER_RE.match(member), (api.id, member)


@pytest.mark.parametrize(
    "method",
    [
        "Landroid/telephony/TelephonyManager;->getDeviceId",
        "Landroid/telephony/TelephonyManager;->getImei",
        "Landroid/telephony/TelephonyManager;->getMeid",
        "Landroid/telephony/TelephonyManager;->getSubscriberId",
        "Landroid/telephony/TelephonyManager;->getSimSerialNumber",
        "Landroid/telephony/TelephonyManager;->getLine1Number",
        "Landroid/os/Build;->getSerial",
        "Landroid/content/pm/PackageManager;->getInstalledPackages",
        "Landroid/content/pm/PackageManager;->getInstalledApplications",
        "Landroid/content/pm/PackageManager;->queryIntentActivities",
        "Landroid/app/ActivityManager;->getRunningAppProcesses",
        "Landroid/app/ActivityManager;->getRunningTasks",
        "Landroid/content/ClipboardManager;->getPrimaryClip",
        "Landroid/content/ClipboardManager;->getText",
        "Landroid/content/ClipboardManager;->hasPrimaryClip",
        "Landroid/location/LocationManager;->getLastKnownLocation",
        "Landroid/location/LocationManager;->requestLocationUpdates",
        "Landroid/net/wifi/WifiInfo;->getMacAddress",
        "Ljava/net/NetworkInterface;->getHardwareAddress",
        "Ljava/net/NetworkInterface;->getNetworkInterfaces",
        "Landroid/bluetooth/BluetoothAdapter;->getAddress",
        "Landroid/accounts/AccountManager;->getAccounts",
        "Landroid/accounts/AccountManager;->getAccountsByType",
        "Landroid/hardware/Camera;->open",
        "Landroid/hardware/camera2/CameraManager;->openCamera",
        "Landroid/media/AudioRecord;->startRecording",
        "Landroid/media/MediaRecorder;->setAudioSource",
        "Landroid/hardware/SensorManager;->getDefaultSensor",
        "Landroid/hardware/SensorManager;->registerListener",
        "Lcom/bun/miitmdid/core/MdidSdkHelper;->InitSdk",
        "Lcom/huawei/hms/ads/identifier/AdvertisingIdClient;->getAdvertisingIdInfo",
        "Lcom/google/android/gms/ads/identifier/AdvertisingIdClient;->getAdvertisingIdInfo",
        "Landroid/os/SystemProperties;->get",
    ],
)
def test_required_method_is_catalogued(method: str) -> None:
    assert method in _all_members()[0]


@pytest.mark.parametrize(
    "field",
    [
        "Landroid/os/Build;->SERIAL",
        "Landroid/provider/ContactsContract$Contacts;->CONTENT_URI",
        "Landroid/provider/CallLog$Calls;->CONTENT_URI",
        "Landroid/provider/CalendarContract$Events;->CONTENT_URI",
        "Landroid/provider/Telephony$Sms;->CONTENT_URI",
    ],
)
def test_required_field_is_catalogued(field: str) -> None:
    assert field in _all_members()[1]


@pytest.mark.parametrize(
    "string",
    [
        "content://com.android.contacts",
        "content://sms",
        "content://call_log",
        "content://com.android.calendar",
        "android.os.SystemProperties",
        "ro.serialno",
        "/sys/class/net/wlan0/address",
    ],
)
def test_required_string_is_catalogued(string: str) -> None:
    assert string in _all_members()[2]


def test_android_id_needs_its_constant_argument() -> None:
    api = next(api for api in load_sensitive_apis() if api.id == "secure_android_id")
    assert api.methods == ("Landroid/provider/Settings$Secure;->getString",)
    assert api.required_strings == ("android_id",)
    assert api.pi_types == ("android_id",)


def test_sensitive_api_with_unknown_pi_type_names_the_entry() -> None:
    doc = {
        "categories": ["device_ids"],
        "apis": [
            {
                "id": "x",
                "title_en": "X",
                "category": "device_ids",
                "pi_types": ["nope"],
                "methods": ["La/B;->c"],
                "sources": ["https://example.invalid"],
            }
        ],
    }
    with pytest.raises(DataFileError, match=r"API 'x'.*unknown PI type 'nope'"):
        build_sensitive_apis("apis.yaml", doc, load_pi_taxonomy())


def test_sensitive_api_with_java_style_member_is_rejected() -> None:
    doc = {
        "categories": ["device_ids"],
        "apis": [
            {
                "id": "x",
                "title_en": "X",
                "category": "device_ids",
                "methods": ["android.telephony.TelephonyManager.getImei"],
                "sources": ["s"],
            }
        ],
    }
    with pytest.raises(DataFileError, match=r"API 'x'.*not a smali member"):
        build_sensitive_apis("apis.yaml", doc, load_pi_taxonomy())


# ----------------------------------------------------------------------------- SDK database

SEED_SDK_IDS = {
    "umeng_analytics", "umeng_push", "jpush", "getui", "tencent_bugly", "baidu_location", "baidu_map", "amap",
    "alipay", "alibaba_utdid", "wechat_opensdk", "tencent_open_qq", "sina_weibo", "pangle_csj", "tencent_gdt",
    "kuaishou_ads", "xiaomi_push", "huawei_push", "oppo_push", "vivo_push", "meizu_push", "honor_push",
    "msa_oaid", "youmi_ads", "domob_ads", "waps_offerwall", "firebase_analytics", "google_admob",
    "facebook_sdk", "appsflyer", "adjust",
}  # fmt: skip
# Ids that tests, fixtures and users' files may already name: never rename them.
STABLE_SDK_IDS = SEED_SDK_IDS | {"jiguang_jcore", "google_ads_identifier", "firebase_core"}

MIN_TOTAL_SDKS = 300
MIN_CHINESE_SDKS = 150
# The categories the database must cover (issue 3), with the least number of entries in each.
MIN_PER_CATEGORY = {
    "analytics": 20, "push": 15, "advertising": 40, "map_location": 10, "payment": 10, "social_share": 10,
    "login_auth": 15, "one_click_login": 8, "oaid": 8, "crash_reporting": 15, "apm": 8, "risk_control": 15,
    "customer_service_im": 10, "hotfix_update": 8, "browser_webview": 4, "ai_voice_face": 12, "attribution": 8,
    "security_hardening": 6,
}  # fmt: skip
# Named SDKs the issue asks for, by id: each must be present.
REQUIRED_SDK_IDS = {
    # push channels and push services
    "xiaomi_push", "huawei_push", "honor_push", "oppo_push", "vivo_push", "meizu_push", "getui", "jpush",
    "umeng_push", "tencent_tpns", "aliyun_push",
    # advertising
    "tencent_gdt", "pangle_csj", "baidu_mobads", "kuaishou_ads", "sigmob", "mintegral",
    # maps and location, payment, social
    "amap", "baidu_map", "baidu_location", "tencent_map_sdk", "tencent_location", "alipay", "wechat_opensdk",
    "unionpay", "tencent_open_qq", "sina_weibo", "sharesdk", "umeng_share",
    # one-click login, device ids
    "cmcc_auth", "unicom_auth", "telecom_auth", "alibaba_number_auth", "shanyan", "msa_oaid", "huawei_oaid",
    # crash/APM, risk control, IM, hot fix, WebView, AI
    "tencent_bugly", "umeng_apm", "tingyun", "bonree", "tongdun", "shumei", "netease_yidun",
    "alibaba_security_guard", "geetest_captcha", "rongcloud_im", "netease_nim", "easemob_im", "tencent_im",
    "meiqia", "tencent_tinker", "aliyun_sophix", "tencent_x5_tbs", "uc_webview", "iflytek_msc", "baidu_asr",
    "baidu_face", "megvii_faceid", "sensetime_senseid",
    # global
    "firebase_analytics", "firebase_messaging", "firebase_crashlytics", "google_admob", "facebook_sdk",
    "appsflyer", "adjust", "branch", "applovin", "unity_ads", "ironsource", "mopub", "flurry", "inmobi",
    "millennial_media", "fabric_crashlytics", "sentry", "onesignal", "airship", "amplitude", "mixpanel",
    "segment", "braze",
}  # fmt: skip

# What a packaged entry may contain, beyond what the loader checks for any user file.
REQUIRED_ENTRY_KEYS = {"id", "name", "vendor", "region", "categories", "sources"}
SIGNATURE_KEYS = ("class_prefixes", "meta_data", "permissions", "native_libs", "assets", "domains", "init_calls")
APK_SIGNATURE_KINDS = ("class_prefixes", "components", "meta_data", "native_libs", "assets")  # not domains


def _raw_sdk_entries() -> list[dict[str, Any]]:
    _source, doc = read_packaged_yaml("sdks.yaml")
    return doc["sdks"]


def test_sdk_database_holds_every_seed_entry() -> None:
    db = load_sdk_database()
    assert not STABLE_SDK_IDS - {entry.id for entry in db.entries}
    assert len(SEED_SDK_IDS) == 31


def test_sdk_database_size_and_chinese_share() -> None:
    entries = load_sdk_database().entries
    assert len(entries) >= MIN_TOTAL_SDKS
    assert sum(entry.region == "cn" for entry in entries) >= MIN_CHINESE_SDKS


@pytest.mark.parametrize(("category", "minimum"), sorted(MIN_PER_CATEGORY.items()))
def test_every_required_category_is_covered(category: str, minimum: int) -> None:
    count = sum(category in entry.categories for entry in load_sdk_database().entries)
    assert count >= minimum, f"{category}: {count} entries, want at least {minimum}"


def test_every_named_sdk_of_the_issue_is_present() -> None:
    ids = {entry.id for entry in load_sdk_database().entries}
    assert not REQUIRED_SDK_IDS - ids


def test_every_packaged_entry_follows_the_schema() -> None:
    """Stricter than the loader (which also reads users' files): the packaged data is complete."""
    _source, doc = read_packaged_yaml("sdks.yaml")
    declared_categories = set(doc["categories"])
    for raw in doc["sdks"]:
        sdk_id = raw["id"]
        assert set(raw) >= REQUIRED_ENTRY_KEYS, (sdk_id, REQUIRED_ENTRY_KEYS - set(raw))
        assert raw["region"] in REGIONS, sdk_id
        assert isinstance(raw["name"], str) and raw["name"].strip(), sdk_id
        assert isinstance(raw["vendor"], str) and raw["vendor"].strip(), sdk_id
        if raw["region"] == "cn":
            assert raw.get("name_zh"), f"{sdk_id}: a Chinese SDK needs its Chinese name"
        assert raw["categories"] and set(raw["categories"]) <= declared_categories, sdk_id
        assert raw["sources"], sdk_id
        for key in SIGNATURE_KEYS:
            for item in raw.get(key) or []:
                status = item.get("status", "verified") if isinstance(item, dict) else "verified"
                assert isinstance(item, (str, dict)) and status in ("verified", "unverified"), (sdk_id, key, item)
        basis = raw.get("pi_types_basis")
        if raw.get("pi_types"):
            assert basis in PI_TYPES_BASES, f"{sdk_id}: PI types need a basis"
        url = raw.get("privacy_policy_url")
        assert url is None or url.startswith(("https://", "http://")), sdk_id


def test_every_entry_can_match_an_apk_and_is_sourced() -> None:
    taxonomy = load_pi_taxonomy()
    for entry in load_sdk_database().entries:
        assert any(getattr(entry, kind) for kind in APK_SIGNATURE_KINDS), (
            f"{entry.id}: a domain alone cannot match an APK"
        )
        assert entry.sources, entry.id
        assert all(pi_type in taxonomy for pi_type in entry.pi_types), entry.id
        assert all(p.startswith("L") and p.endswith("/") for p in entry.class_prefixes), entry.id
        assert all(d == d.lower() for d in entry.domains), entry.id


def test_short_prefixes_say_why_and_none_covers_a_vendor_root() -> None:
    _source, doc = read_packaged_yaml("sdks.yaml")
    roots = {root for root in doc["prefix_policy"]["vendor_roots"]}
    assert {"android.", "androidx.", "kotlin.", "java.", "com.google.", "com.tencent.", "com.alibaba."} <= roots
    for raw in doc["sdks"]:
        for item in raw.get("class_prefixes") or []:
            value = item if isinstance(item, str) else item["value"]
            if isinstance(item, dict) and item.get("status") == "unverified":
                continue
            assert not any(root.startswith(value) for root in roots), (raw["id"], value)
            if value.count(".") < 3:
                assert isinstance(item, dict) and item.get("allow_short"), (raw["id"], value)


@pytest.mark.parametrize(
    "smali_class",
    [
        "Landroid/app/Activity;",
        "Landroidx/core/content/FileProvider;",
        "Lkotlin/collections/CollectionsKt;",
        "Lkotlinx/coroutines/BuildersKt;",
        "Ljava/lang/String;",
        "Lcom/google/common/collect/ImmutableList;",
        "Lcom/google/gson/Gson;",
        "Lcom/google/protobuf/MessageLite;",
        "Lcom/google/android/material/button/MaterialButton;",
        "Lcom/google/android/gms/common/GoogleApiAvailability;",
        "Lcom/google/android/gms/tasks/Task;",
        "Lokhttp3/OkHttpClient;",
        "Lretrofit2/Retrofit;",
        "Lcom/squareup/okhttp/OkHttpClient;",
        "Lcom/bumptech/glide/Glide;",
        "Lcom/alibaba/fastjson/JSON;",
        "Lcom/tencent/mmkv/MMKV;",
        "Lcom/tencent/mars/xlog/Log;",
        "Lcom/facebook/react/ReactActivity;",
        "Lcom/facebook/imagepipeline/core/ImagePipeline;",
        "Lcom/huawei/hms/framework/common/Logger;",
        "Lcom/baidu/platform/core/Foo;",
        "Lorg/json/JSONObject;",
        "Lorg/apache/http/client/HttpClient;",
        "Lio/flutter/embedding/android/FlutterActivity;",
        "Lcom/example/app/MainActivity;",
    ],
)
def test_platform_and_common_library_classes_belong_to_no_sdk(smali_class: str) -> None:
    assert load_sdk_database().owner_of_class(smali_class) is None


def _signature_owners(db: SdkDatabase) -> dict[tuple[str, str], set[str]]:
    owners: dict[tuple[str, str], set[str]] = {}
    for entry in db.entries:
        keys = [("class prefix", p) for p in entry.class_prefixes]
        keys += [(f"component {kind}", name) for kind, name in entry.components]
        keys += [("meta-data", key) for key in entry.meta_data]
        keys += [("native lib", str(pattern)) for pattern in entry.native_libs]
        keys += [("asset", asset) for asset in entry.assets]
        keys += [("domain", domain) for domain in entry.domains]
        keys += [("permission", name) for name in entry.permissions]
        for key in keys:
            owners.setdefault(key, set()).add(entry.id)
    return owners


def test_no_two_unrelated_entries_claim_the_same_signature() -> None:
    """A signature is shared only along a parent chain (UMENG_APPKEY on the Umeng parent only)."""
    db = load_sdk_database()
    clashes = [
        (kind, value, sorted(ids))
        for (kind, value), ids in _signature_owners(db).items()
        if any(not db.related(a, b) for a in ids for b in ids)
    ]
    assert clashes == []


def _name_pattern_covers(pattern: str, name: str) -> bool:
    """The matcher's reading of "*.Suffix" and "prefix.*" component patterns."""
    return name.endswith(pattern[1:]) if pattern.startswith("*.") else name.startswith(pattern[:-1])


def test_no_pattern_of_one_entry_swallows_a_signature_of_an_unrelated_one() -> None:
    db = load_sdk_database()
    components = [(entry.id, kind, name) for entry in db.entries for kind, name in entry.components]
    libs = [(entry.id, pattern) for entry in db.entries for pattern in entry.native_libs]
    overlaps = []
    for sdk_id, kind, pattern in components:
        if pattern.startswith("*.") or pattern.endswith(".*"):
            for other_id, other_kind, name in components:
                if other_kind == kind and other_id != sdk_id and name != pattern and not db.related(sdk_id, other_id):
                    stem = name[:-1] if name.endswith(".*") else name
                    if _name_pattern_covers(pattern, stem):
                        overlaps.append((sdk_id, pattern, other_id, name))
    for sdk_id, pattern in libs:
        if pattern.regex is not None:
            overlaps += [
                (sdk_id, str(pattern), other_id, other.exact)
                for other_id, other in libs
                if other.exact is not None and other_id != sdk_id and pattern.matches(other.exact)
                and not db.related(sdk_id, other_id)
            ]  # fmt: skip
    assert overlaps == []


def test_relations_name_existing_entries_and_model_the_sdk_families() -> None:
    db = load_sdk_database()
    for entry in db.entries:
        assert entry.parent is None or db.get(entry.parent) is not None, entry.id
        assert all(db.get(bundled) is not None and bundled != entry.id for bundled in entry.bundles), entry.id
    parent = {entry.id: entry.parent for entry in db.entries}
    for child in ("umeng_push", "umeng_share", "umeng_apm", "umeng_verify"):
        assert parent[child] == "umeng_analytics"
    for child in ("jpush", "jverification", "janalytics", "jshare", "jmessage"):
        assert parent[child] == "jiguang_jcore"
    for child in ("firebase_analytics", "firebase_messaging", "firebase_crashlytics", "firebase_performance"):
        assert parent[child] == "firebase_core"
    assert (parent["sharesdk"], parent["sharesdk_wechat"]) == ("mob_commons", "sharesdk")
    assert parent["huawei_push"] == "huawei_hms_core"
    assert (parent["baidu_location"], parent["baidu_map"]) == ("baidu_lbs", "baidu_lbs")
    assert (parent["amap_location"], parent["amap_map"]) == ("amap", "amap")
    bundles = {entry.id: set(entry.bundles) for entry in db.entries}
    assert bundles["sharesdk_wechat"] == {"wechat_opensdk"}
    assert {"wechat_opensdk", "tencent_open_qq", "sina_weibo"} <= bundles["umeng_share"]
    assert {"xiaomi_push", "huawei_push", "oppo_push", "vivo_push"} <= bundles["jpush_vendor_channels"]
    assert "alibaba_accs" in bundles["umeng_push"] and "alibaba_accs" in bundles["aliyun_push"]
    assert {"cmcc_auth", "unicom_auth", "telecom_auth"} <= bundles["shanyan"]


def test_family_navigation() -> None:
    db = load_sdk_database()
    assert {e.id for e in db.children("jiguang_jcore")} >= {"jpush", "jverification", "janalytics"}
    assert [e.id for e in db.ancestors("sharesdk_wechat")] == ["sharesdk", "mob_commons"]
    assert db.ancestors("umeng_analytics") == () and db.ancestors("no_such_sdk") == ()
    assert db.children("no_such_sdk") == ()
    assert db.related("sharesdk_wechat", "mob_commons") and db.related("mob_commons", "sharesdk_wechat")
    assert not db.related("sharesdk_wechat", "wechat_opensdk")  # bundled, not family


def test_vendors_are_split_into_their_products() -> None:
    db = load_sdk_database()
    owner = {
        "Lcom/umeng/analytics/MobclickAgent;": "umeng_analytics",
        "Lcom/umeng/message/PushAgent;": "umeng_push",
        "Lcom/umeng/socialize/ShareAction;": "umeng_share",
        "Lcom/umeng/umcrash/UMCrash;": "umeng_apm",
        "Lcom/google/firebase/analytics/FirebaseAnalytics;": "firebase_analytics",
        "Lcom/google/firebase/messaging/FirebaseMessaging;": "firebase_messaging",
        "Lcom/google/firebase/crashlytics/FirebaseCrashlytics;": "firebase_crashlytics",
        "Lcom/google/firebase/FirebaseApp;": "firebase_core",
        "Lcom/amap/api/location/AMapLocationClient;": "amap_location",
        "Lcom/amap/api/maps/MapView;": "amap_map",
        "Lcom/amap/api/services/poisearch/PoiSearch;": "amap_search",
        "Lcom/loc/ab;": "amap_location",
        "Lcom/facebook/login/LoginManager;": "facebook_login",
        "Lcom/facebook/ads/AdView;": "facebook_audience_network",
        "Lcom/facebook/appevents/AppEventsLogger;": "facebook_sdk",
        "Lcom/huawei/hms/ads/identifier/AdvertisingIdClient;": "huawei_oaid",
        "Lcom/huawei/hms/ads/InterstitialAd;": "huawei_ads",
        "Lorg/android/agoo/xiaomi/MiPushRegistar;": "alibaba_agoo_vendor_channels",
        "Lcom/taobao/accs/ACCSManager;": "alibaba_accs",
        "Lcom/tencent/map/geolocation/TencentLocationManager;": "tencent_location",
        "Lcom/tencent/map/tools/Util;": "tencent_lbs",
        "Lcn/sharesdk/wechat/friends/Wechat;": "sharesdk_wechat",
        "Lcom/tencent/mm/opensdk/openapi/WXAPIFactory;": "wechat_opensdk",
    }
    assert {cls: getattr(db.owner_of_class(cls), "id", None) for cls in owner} == owner


def test_sdk_entries_are_sourced_and_reference_known_pi_types() -> None:
    taxonomy = load_pi_taxonomy()
    for entry in load_sdk_database().entries:
        assert entry.sources, entry.id
        assert all(pi_type in taxonomy for pi_type in entry.pi_types), entry.id


@pytest.mark.parametrize(
    ("smali_class", "sdk_id"),
    [
        ("Lcom/umeng/analytics/MobclickAgent;", "umeng_analytics"),
        ("Lcom/umeng/commonsdk/UMConfigure;", "umeng_analytics"),
        ("Lu/aly/bi;", "umeng_analytics"),
        ("Lcom/umeng/message/PushAgent;", "umeng_push"),
        ("Lcn/jpush/android/api/JPushInterface;", "jpush"),
        ("Lcn/jiguang/api/JCoreInterface;", "jiguang_jcore"),
        ("Lcn/jiguang/verifysdk/api/JVerificationInterface;", "jverification"),
        ("Lcom/google/android/gms/ads/identifier/AdvertisingIdClient;", "google_ads_identifier"),
        ("Lcom/google/android/gms/ads/AdView;", "google_admob"),
        ("Lcom/google/firebase/analytics/FirebaseAnalytics;", "firebase_analytics"),
        ("Lcom/google/firebase/FirebaseApp;", "firebase_core"),
        ("Lcom/tencent/bugly/crashreport/CrashReport;", "tencent_bugly"),
        ("Lcom/igexin/sdk/PushManager;", "getui"),
        ("Lcom/qq/e/ads/splash/SplashAD;", "tencent_gdt"),
        ("Lcom/bytedance/sdk/openadsdk/TTAdSdk;", "pangle_csj"),
        ("Lcom/baidu/mobads/sdk/api/SplashAd;", "baidu_mobads"),
        ("Lcom/sigmob/windad/WindAds;", "sigmob"),
        ("Lcom/mbridge/msdk/out/MBridgeSDKFactory;", "mintegral"),
        ("Lcom/cmic/gen/sdk/auth/GenAuthnHelper;", "cmcc_auth"),
        ("Lcom/mobile/auth/gatewayauth/PhoneNumberAuthHelper;", "alibaba_number_auth"),
        ("Lcom/bun/miitmdid/core/MdidSdkHelper;", "msa_oaid"),
        ("Lcom/tencent/smtt/sdk/QbSdk;", "tencent_x5_tbs"),
        ("Lcom/tencent/tinker/lib/tinker/TinkerInstaller;", "tencent_tinker"),
        ("Lcn/tongdun/android/shell/FMAgent;", "tongdun"),
        ("Lio/rong/imlib/RongIMClient;", "rongcloud_im"),
        ("Lcom/iflytek/cloud/SpeechUtility;", "iflytek_msc"),
        ("Lnet/youmi/android/AdManager;", "youmi_ads"),
        ("Lcom/energysource/szj/embeded/AdView;", "adtouch_ads"),
        ("Lcom/appsflyer/AppsFlyerLib;", "appsflyer"),
        ("Lio/sentry/Sentry;", "sentry"),
    ],
)
def test_owner_of_class_uses_the_longest_prefix(smali_class: str, sdk_id: str) -> None:
    owner = load_sdk_database().owner_of_class(smali_class)
    assert owner is not None and owner.id == sdk_id


@pytest.mark.parametrize(
    "smali_class",
    [
        "Lcom/google/common/base/Preconditions;",  # Guava
        "Lcom/google/android/gms/common/GoogleApiAvailability;",
        "Lcom/tencent/mmkv/MMKV;",
        "Lcom/alipay/mobile/nebula/X;",  # vendor root com.alipay. is not claimed by the Alipay SDK
        "Landroidx/appcompat/app/AppCompatActivity;",
        "Lcom/umeng/analytics;",  # a class named like a package is not inside it
        "LTopLevel;",
        "Lcom/Foo;",
        "Lcom/loc;",
    ],
)
def test_classes_outside_every_sdk_have_no_owner(smali_class: str) -> None:
    assert load_sdk_database().owner_of_class(smali_class) is None


def test_sdk_for_host_matches_domains_and_subdomains_only() -> None:
    db = load_sdk_database()
    assert _id(db.sdk_for_host("umeng.com")) == "umeng_analytics"
    assert _id(db.sdk_for_host("ALOGS.Umeng.com.")) == "umeng_analytics"
    assert _id(db.sdk_for_host("webst01.is.autonavi.com")) == "amap"
    assert _id(db.sdk_for_host("an.facebook.com")) == "facebook_audience_network"  # the longest domain wins
    assert _id(db.sdk_for_host("graph.facebook.com")) == "facebook_sdk"
    assert db.sdk_for_host("notumeng.com") is None
    assert db.sdk_for_host("umeng.com.example.net") is None
    assert db.sdk_for_host("com") is None


@pytest.mark.parametrize(
    ("call", "sdk_id"),
    [
        ("Lcom/umeng/commonsdk/UMConfigure;->init", "umeng_analytics"),
        ("Lcom/umeng/commonsdk/UMConfigure;->preInit", "umeng_analytics"),
        ("Lcn/jpush/android/api/JPushInterface;->init", "jpush"),
        ("Lcom/igexin/sdk/PushManager;->initialize", "getui"),
        ("Lcom/tencent/bugly/crashreport/CrashReport;->initCrashReport", "tencent_bugly"),
        ("Lcom/google/firebase/FirebaseApp;->initializeApp", "firebase_core"),
        ("Lcom/xiaomi/mipush/sdk/MiPushClient;->registerPush", "xiaomi_push"),
        ("Lorg/android/agoo/huawei/HuaWeiRegister;->register", "alibaba_agoo_vendor_channels"),
        ("Lcom/mob/MobSDK;->init", "mob_commons"),
        (
            "Lcom/umeng/commonsdk/UMConfigure;->init(Landroid/content/Context;Ljava/lang/String;)V",
            "umeng_analytics",
        ),
    ],
)
def test_init_call_owner(call: str, sdk_id: str) -> None:
    assert _id(load_sdk_database().init_call_owner(call)) == sdk_id


def test_init_call_owner_needs_the_exact_method() -> None:
    db = load_sdk_database()
    assert db.init_call_owner("Lcom/umeng/commonsdk/UMConfigure;->initialize") is None
    assert db.init_call_owner("Lcom/umeng/commonsdk/UMConfigure;->") is None


def test_unverified_signatures_are_not_loaded() -> None:
    db = load_sdk_database()
    alibaba_accs, pangle, huawei = db.get("alibaba_accs"), db.get("pangle_csj"), db.get("huawei_analytics")
    assert alibaba_accs is not None and pangle is not None and huawei is not None
    assert "Lcom/taobao/accs/" in alibaba_accs.class_prefixes
    assert "Lcom/pgl/" not in pangle.class_prefixes
    assert "Lcom/huawei/hianalytics/" not in huawei.class_prefixes
    assert db.sdk_for_host("xlog.snssdk.com") is None
    assert db.owner_of_class("Lcom/huawei/hianalytics/v2/HiAnalytics;") is None


def test_upstream_check_tool_reports_unbacked_citations(tmp_path: Path) -> None:
    """appaudit/data/tools/check_upstream.py on a two-rule LibChecker file and a one-row LibRadar file."""
    rules = tmp_path / "rules.db"
    with closing(sqlite3.connect(rules)) as connection, connection:
        connection.execute(
            "CREATE TABLE rules_table(_id INTEGER PRIMARY KEY, name TEXT, label TEXT, type INTEGER,"
            " iconIndex INTEGER, isRegexRule INTEGER, regexName TEXT)"
        )
        connection.executemany(
            "INSERT INTO rules_table(name, label, type, iconIndex, isRegexRule) VALUES (?, ?, ?, 0, ?)",
            [("libjcore(.*)\\.so", "极光推送", 0, 1), ("com.acme.push.PushService", "Acme", 1, 0)],
        )
    csv_file = tmp_path / "tag_rules.csv"
    csv_file.write_text("Package Name,Library Name,Type,Official Website\nLcn/jiguang,Jiguang,x,\n", encoding="utf-8")
    path = tmp_path / "cited.yaml"
    path.write_text(
        "schema_version: 1\nsdks:\n"
        "- {id: jcore, name: JCore, categories: [push], sources: [libchecker, libradar],\n"
        "   class_prefixes: [{value: cn.jiguang., allow_short: core}], native_libs: [{regex: 'libjcore.*\\.so'}]}\n"
        "- {id: ghost, name: Ghost, categories: [push], sources: [libchecker, libradar],\n"
        "   class_prefixes: [com.ghost.sdk.]}\n",
        encoding="utf-8",
    )
    report = check_upstream.check(
        load_sdk_database(path),
        {"libchecker": check_upstream.read_libchecker(rules), "libradar": check_upstream.read_libradar(csv_file)},
    )
    assert report.unbacked == {"libchecker": ["ghost"], "libradar": ["ghost"]}
    assert report.uncovered == {"libchecker: Acme": ["com.acme.push.PushService"]}


# --------------------------------------------------------------------- custom database files

ENTRY = """\
- id: {id}
  name: Test SDK
  categories: [analytics]
  class_prefixes: [{prefix}]
  sources: [manual]
"""


def _write_db(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "sdks.yaml"
    path.write_text("schema_version: 1\nsdks:\n" + "".join(entries), encoding="utf-8")
    return path


def test_custom_database_loads(tmp_path: Path) -> None:
    db = load_sdk_database(_write_db(tmp_path, ENTRY.format(id="acme", prefix="com.acme.tracker.")))
    assert [e.id for e in db.entries] == ["acme"]
    assert _id(db.owner_of_class("Lcom/acme/tracker/T;")) == "acme"


def test_custom_database_accepts_smali_prefixes(tmp_path: Path) -> None:
    db = load_sdk_database(_write_db(tmp_path, ENTRY.format(id="acme", prefix="Lcom/acme/tracker/")))
    assert db.entries[0].class_prefixes == ("Lcom/acme/tracker/",)


@pytest.mark.parametrize(
    "prefix",
    ["com.google.", "com.google.android.gms.", "com.tencent.", "android.", "com.", "Lcom/google/"],
)
def test_vendor_root_prefix_is_rejected_naming_the_entry(tmp_path: Path, prefix: str) -> None:
    path = _write_db(tmp_path, ENTRY.format(id="greedy", prefix=prefix))
    with pytest.raises(DataFileError, match=r"SDK entry 'greedy'.*over-broad"):
        load_sdk_database(path)


def test_short_prefix_needs_a_reason(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"SDK entry 'short'.*package segment"):
        load_sdk_database(_write_db(tmp_path, ENTRY.format(id="short", prefix="com.acme.")))
    allowed = '{value: com.acme., allow_short: "the whole namespace is this SDK"}'
    db = load_sdk_database(_write_db(tmp_path, ENTRY.format(id="short", prefix=allowed)))
    assert db.entries[0].class_prefixes == ("Lcom/acme/",)


def test_one_segment_prefix_is_rejected_even_with_a_reason(tmp_path: Path) -> None:
    one = '{value: acme., allow_short: "no"}'
    with pytest.raises(DataFileError, match=r"SDK entry 'tiny'"):
        load_sdk_database(_write_db(tmp_path, ENTRY.format(id="tiny", prefix=one)))


def test_prefix_claimed_twice_is_rejected(tmp_path: Path) -> None:
    path = _write_db(
        tmp_path,
        ENTRY.format(id="first", prefix="com.acme.tracker."),
        ENTRY.format(id="second", prefix="com.acme.tracker."),
    )
    with pytest.raises(DataFileError, match=r"SDK entry 'second'.*already used by SDK entry 'first'"):
        load_sdk_database(path)


def test_unknown_key_and_unknown_parent_are_rejected(tmp_path: Path) -> None:
    typo = ENTRY.format(id="typo", prefix="com.acme.tracker.") + "  class_prefix: [com.acme.x.]\n"
    with pytest.raises(DataFileError, match=r"SDK entry 'typo'.*unknown key"):
        load_sdk_database(_write_db(tmp_path, typo))
    orphan = ENTRY.format(id="orphan", prefix="com.acme.tracker.") + "  parent: nobody\n"
    with pytest.raises(DataFileError, match=r"'orphan'.*unknown parent 'nobody'"):
        load_sdk_database(_write_db(tmp_path, orphan))


def test_invalid_yaml_and_missing_file_raise_data_file_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nsdks: [\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="invalid YAML"):
        load_sdk_database(bad)
    with pytest.raises(DataFileError, match="cannot read"):
        load_sdk_database(tmp_path / "missing.yaml")


def test_region_and_bundles_of_a_custom_database(tmp_path: Path) -> None:
    extra = "  region: cn\n  bundles: [base]\n"
    db = load_sdk_database(
        _write_db(
            tmp_path,
            ENTRY.format(id="base", prefix="com.acme.base."),
            ENTRY.format(id="plugin", prefix="com.acme.plug.") + extra,
        )
    )
    base, plugin = db.get("base"), db.get("plugin")
    assert base is not None and plugin is not None
    assert (base.region, base.bundles) == (None, ())  # a user file need not say
    assert (plugin.region, plugin.bundles) == ("cn", ("base",))
    assert not db.related("base", "plugin")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("  region: mars\n", "unknown region 'mars'"),
        ("  bundles: [nobody]\n", "'bundles' names unknown entry 'nobody'"),
        ("  bundles: [solo]\n", "'bundles' names itself"),
    ],
)
def test_bad_region_or_bundles_is_rejected(tmp_path: Path, extra: str, message: str) -> None:
    path = _write_db(tmp_path, ENTRY.format(id="solo", prefix="com.acme.solo.") + extra)
    with pytest.raises(DataFileError, match=rf"SDK entry 'solo'.*{message}"):
        load_sdk_database(path)


def _id(entry: object) -> str | None:
    return getattr(entry, "id", None)
