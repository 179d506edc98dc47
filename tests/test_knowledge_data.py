"""The packaged knowledge files load, are internally consistent, and the loaders reject bad data."""

from __future__ import annotations

from pathlib import Path

import pytest

from appaudit.errors import DataFileError
from appaudit.knowledge.loader import parse_yaml
from appaudit.knowledge.permissions import build_permission_table, load_permission_table
from appaudit.knowledge.pi_types import build_pi_taxonomy, load_pi_taxonomy
from appaudit.knowledge.sdk_db import load_sdk_database
from appaudit.knowledge.sensitive_apis import MEMBER_RE, build_sensitive_apis, load_sensitive_apis

# ----------------------------------------------------------------------------- loader


def test_duplicate_yaml_keys_are_rejected() -> None:
    with pytest.raises(DataFileError, match="duplicate key 'imei'"):
        parse_yaml("schema_version: 1\npi_types:\n  imei: {}\n  imei: {}\n", "x.yaml")


def test_unsupported_schema_version_is_rejected() -> None:
    with pytest.raises(DataFileError, match="schema_version"):
        parse_yaml("schema_version: 2\n", "x.yaml")


# ----------------------------------------------------------------------------- PI taxonomy


def test_pi_taxonomy_has_the_13_gbt35273_categories_and_47_types() -> None:
    taxonomy = load_pi_taxonomy()
    assert len(taxonomy) == 47
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


def test_sdk_database_holds_every_seed_entry() -> None:
    db = load_sdk_database()
    assert not SEED_SDK_IDS - {entry.id for entry in db.entries}
    assert len(SEED_SDK_IDS) == 31


def test_sdk_entries_are_sourced_and_reference_known_pi_types() -> None:
    taxonomy = load_pi_taxonomy()
    for entry in load_sdk_database().entries:
        assert entry.sources, entry.id
        assert all(pi_type in taxonomy for pi_type in entry.pi_types), entry.id
        assert all(p.startswith("L") and p.endswith("/") for p in entry.class_prefixes), entry.id
        assert all(d == d.lower() for d in entry.domains), entry.id


@pytest.mark.parametrize(
    ("smali_class", "sdk_id"),
    [
        ("Lcom/umeng/analytics/MobclickAgent;", "umeng_analytics"),
        ("Lcom/umeng/commonsdk/UMConfigure;", "umeng_analytics"),
        ("Lu/aly/bi;", "umeng_analytics"),
        ("Lcom/umeng/message/PushAgent;", "umeng_push"),
        ("Lcn/jpush/android/api/JPushInterface;", "jpush"),
        ("Lcn/jiguang/api/JCoreInterface;", "jiguang_jcore"),
        ("Lcom/google/android/gms/ads/identifier/AdvertisingIdClient;", "google_ads_identifier"),
        ("Lcom/google/android/gms/ads/AdView;", "google_admob"),
        ("Lcom/google/firebase/analytics/FirebaseAnalytics;", "firebase_analytics"),
        ("Lcom/google/firebase/FirebaseApp;", "firebase_core"),
        ("Lcom/tencent/bugly/crashreport/CrashReport;", "tencent_bugly"),
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
    ],
)
def test_classes_outside_every_sdk_have_no_owner(smali_class: str) -> None:
    assert load_sdk_database().owner_of_class(smali_class) is None


def test_sdk_for_host_matches_domains_and_subdomains_only() -> None:
    db = load_sdk_database()
    assert _id(db.sdk_for_host("umeng.com")) == "umeng_analytics"
    assert _id(db.sdk_for_host("ALOGS.Umeng.com.")) == "umeng_analytics"
    assert _id(db.sdk_for_host("webst01.is.autonavi.com")) == "amap"
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
    umeng_push, pangle = db.get("umeng_push"), db.get("pangle_csj")
    assert umeng_push is not None and pangle is not None
    assert "Lcom/taobao/accs/" not in umeng_push.class_prefixes
    assert "Lcom/pgl/" not in pangle.class_prefixes
    assert db.sdk_for_host("xlog.snssdk.com") is None


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


def _id(entry: object) -> str | None:
    return getattr(entry, "id", None)
