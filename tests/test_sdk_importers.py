"""SDK list importers (Exodus, LibChecker, sdk.json), merging into the database, and user databases.

The sample inputs live in tests/data/importers/ (hand-written; the LibChecker one as SQL, built into
a SQLite file per test). Each importer is checked entry by entry, then against hostile input. Merge
reports are checked exactly against a small frozen base database (``small_base``); tests against the
real packaged database assert only what its growth cannot change.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sdk_db_fixtures import use_small_base

from appaudit.errors import DataFileError, ExitCode
from appaudit.knowledge.importers import FORMATS, import_file
from appaudit.knowledge.importers.exodus import import_exodus
from appaudit.knowledge.importers.libchecker import import_libchecker
from appaudit.knowledge.importers.merge import merge_entries
from appaudit.knowledge.importers.sdkjson import import_sdkjson
from appaudit.knowledge.sdk_db import load_sdk_database
from appaudit.knowledge.user_db import (
    LayeredDatabase,
    UserDataError,
    check_entry,
    dump_user_database,
    load_layers,
    load_with_user_databases,
    packaged_raw_entries,
)

DATA = Path(__file__).resolve().parent / "data" / "importers"
EXODUS = DATA / "exodus_trackers.json"
SDKJSON = DATA / "sdk.json"
# The project's shared data sits beside the checkout (as in CI: <dir>/main and <dir>/shared).
UPSTREAM_LIBCHECKER = Path(__file__).resolve().parents[2] / "shared" / "data" / "upstream" / "libchecker_rules_v3.db"


def build_libchecker_db(path: Path, sql: str | None = None) -> Path:
    connection = sqlite3.connect(path)
    connection.executescript(sql if sql is not None else (DATA / "libchecker_rules.sql").read_text(encoding="utf-8"))
    connection.commit()
    connection.close()
    return path


@pytest.fixture
def libchecker_db(tmp_path: Path) -> Path:
    return build_libchecker_db(tmp_path / "rules.db")


@pytest.fixture
def small_base(monkeypatch: pytest.MonkeyPatch) -> LayeredDatabase:
    return use_small_base(monkeypatch)


def merge_into(base: LayeredDatabase, entries: Any) -> tuple[list[dict[str, Any]], list[str]]:
    return merge_entries(base.database, list(entries), raw_entries=base.raw_entries)


def ref(fmt: str, path: Path, record: str) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"import: {fmt} {path.name} sha256:{digest} {record}"


def unverified(value: str, reason: str, key: str = "value") -> dict[str, str]:
    return {key: value, "status": "unverified", "note": f"not used: {reason}"}


def write_user_db(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(dump_user_database(entries), encoding="utf-8")
    return path


OVER_BROAD_ROOT = "over-broad: covers the vendor root {}"
OVER_BROAD_SHORT = (
    "over-broad: 2 package segment(s), the database needs 3 (a curator may keep it with allow_short and a reason)"
)


# ----------------------------------------------------------------------------- Exodus


def test_exodus_sample_gives_exactly_these_entries() -> None:
    result = import_exodus(EXODUS.read_bytes(), EXODUS.name)
    assert result.source.as_dict() == {
        "id": "import",
        "file": "exodus_trackers.json",
        "format": "exodus",
        "sha256": hashlib.sha256(EXODUS.read_bytes()).hexdigest(),
    }
    regex_prefix = "a regular expression, not a plain package prefix"
    assert list(result.entries) == [
        {
            "id": "exodus_umeng_analytics",
            "name": "Umeng Analytics",
            "categories": ["analytics"],
            "class_prefixes": [
                "com.umeng.analytics.",
                "com.umeng.commonsdk.",
                unverified("com.umeng.", "Exodus code signature is " + OVER_BROAD_ROOT.format("com.umeng.")),
            ],
            "domains": ["umeng.com", "umengcloud.com", "umtrack.com"],
            "website": "https://www.umeng.com/",
            "registry_ids": {"exodus": 70},
            "sources": [ref("exodus", EXODUS, "tracker 70 (Umeng Analytics)")],
        },
        {
            "id": "exodus_flurry",
            "name": "Flurry",
            "categories": ["advertising", "analytics"],
            "class_prefixes": ["com.flurry.android.", "com.flurry.sdk."],
            "domains": ["flurry.com"],  # from "\\.flurry\\.com"
            "website": "https://www.flurry.com/",
            "registry_ids": {"exodus": 25},
            "sources": [ref("exodus", EXODUS, "tracker 25 (Flurry)")],
        },
        {
            "id": "exodus_google_analytics",
            "name": "Google Analytics",
            "categories": ["analytics"],  # Analytics and Profiling both map to analytics
            "class_prefixes": [
                "com.google.android.gms.analytics.",
                "com.google.analytics.",
                unverified("com.google.", "Exodus code signature is " + OVER_BROAD_ROOT.format("com.google.")),
            ],
            "domains": ["google-analytics.com"],
            "website": "https://marketingplatform.google.com/about/analytics/",
            "registry_ids": {"exodus": 48},
            "sources": [ref("exodus", EXODUS, "tracker 48 (Google Analytics)")],
        },
        {
            "id": "exodus_mopub",
            "name": "MoPub",
            "categories": ["advertising"],
            "class_prefixes": [
                "com.mopub.mobileads.",
                unverified(r"com\.mopub\.nativeads\.[A-Z]", f"Exodus code signature is {regex_prefix}"),
            ],
            "domains": [
                "ads.mopub.com",
                unverified(
                    r"mopub-.*\.s3\.amazonaws\.com",
                    "Exodus network signature is a regular expression, not a plain domain",
                ),
            ],
            "website": "https://www.mopub.com/",
            "registry_ids": {"exodus": 56},
            "sources": [ref("exodus", EXODUS, "tracker 56 (MoPub)")],
        },
        {
            "id": "exodus_pangle",
            "name": "Pangle",
            "categories": ["advertising"],
            "class_prefixes": [
                "com.bytedance.sdk.openadsdk.",
                unverified("com.bytedance.", "Exodus code signature is " + OVER_BROAD_ROOT.format("com.bytedance.")),
            ],
            "domains": ["pangolin-sdk-toutiao.com", "pangle.io"],
            "website": "https://www.pangleglobal.com/",
            "registry_ids": {"exodus": 393},
            "sources": [ref("exodus", EXODUS, "tracker 393 (Pangle)")],
        },
        {
            "id": "exodus_appsflyer",
            "name": "AppsFlyer",
            "categories": ["analytics"],
            "class_prefixes": [unverified("com.appsflyer.", f"Exodus code signature is {OVER_BROAD_SHORT}")],
            "domains": ["appsflyer.com"],
            "website": "https://www.appsflyer.com/",
            "registry_ids": {"exodus": 12},
            "sources": [ref("exodus", EXODUS, "tracker 12 (AppsFlyer)")],
        },
    ]


def test_exodus_over_broad_and_regex_signatures_are_skipped_with_reasons() -> None:
    result = import_exodus(EXODUS.read_bytes(), EXODUS.name)
    skipped = {(item.record, item.value, item.reason) for item in result.skipped}
    assert (
        "tracker 48 (Google Analytics)",
        "com.google.",
        "code signature is over-broad: covers the vendor root com.google.",
    ) in skipped
    assert (
        "tracker 70 (Umeng Analytics)",
        "com.umeng.",
        "code signature is over-broad: covers the vendor root com.umeng.",
    ) in skipped
    assert ("tracker 12 (AppsFlyer)", "com.appsflyer.", f"code signature is {OVER_BROAD_SHORT}") in skipped
    # alternatives inside a group stay one regex; a tracker left with nothing usable is skipped whole
    assert (
        "tracker 401 (Adjust Signature)",
        r"(sdk|app)\.adjust\.net\.in",
        "network signature is a regular expression, not a plain domain",
    ) in skipped
    assert ("tracker 401 (Adjust Signature)", "", "no usable code or network signature") in skipped
    assert "exodus_adjust_signature" not in {entry["id"] for entry in result.entries}
    assert len(result.skipped) == 9


def test_exodus_entries_load_as_a_user_database_once_merged(tmp_path: Path, small_base: LayeredDatabase) -> None:
    entries, _report = merge_into(small_base, import_exodus(EXODUS.read_bytes(), EXODUS.name).entries)
    db = load_with_user_databases([write_user_db(tmp_path / "user.yaml", entries)])
    assert db.owner_of_class("Lcom/flurry/android/FlurryAgent;").id == "exodus_flurry"
    assert db.sdk_for_host("data.flurry.com").id == "exodus_flurry"
    assert db.owner_of_class("Lcom/google/android/gms/analytics/Tracker;").id == "exodus_google_analytics"
    # the unverified com.google. prefix is kept in the file but never matches
    assert db.owner_of_class("Lcom/google/common/base/Strings;") is None
    assert db.sdk_for_host("alog.umtrack.com").id == "umeng_analytics"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "not an Exodus tracker list"),
        (b'{"trackers": 5}', "not an Exodus tracker list"),
        (b'{"trackers": {"1": "x"}}', "tracker '1': expected an object"),
        (b'{"trackers": {"1": {"code_signature": "a.b.c"}}}', "'name' must be a non-empty string"),
        (b'{"trackers": {"1": {"name": "X", "code_signature": 5}}}', "'code_signature' must be a string"),
        (b'{"trackers": {"1": {"name": "X", "categories": "Ads"}}}', "'categories' must be a list"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_exodus_bad_input_is_a_typed_error(payload: bytes, message: str) -> None:
    with pytest.raises(DataFileError, match=message) as caught:
        import_exodus(payload, "trackers.json")
    assert caught.value.exit_code == ExitCode.INPUT_ERROR


# ----------------------------------------------------------------------------- LibChecker


def test_libchecker_sample_gives_exactly_these_entries(libchecker_db: Path) -> None:
    result = import_libchecker(libchecker_db)

    def lc_ref(label: str) -> list[str]:
        return [ref("libchecker", libchecker_db, f"label {label}")]

    assert list(result.entries) == [
        {
            "id": "libchecker_com_umeng_message",
            "name": "友盟推送",
            "categories": ["other"],
            "components": {
                "service": ["com.umeng.message.UmengService", "com.umeng.message.XiaomiIntentService"],
                "receiver": ["com.umeng.message.NotificationProxyBroadcastReceiver"],
            },
            "sources": lc_ref("友盟推送"),
        },
        {
            "id": "libchecker_cn_jpush_android",
            "name": "极光推送",
            "categories": ["other"],
            "components": {
                "service": ["cn.jpush.android.service.PushService"],
                "activity": ["cn.jpush.android.ui.PushActivity"],
            },
            "native_libs": [{"regex": r"libjcore.*\.so"}],  # LibChecker's "(.*)" group dropped
            "sources": lc_ref("极光推送"),
        },
        {
            "id": "libchecker_pangle_sdk",
            "name": "Pangle SDK",
            "categories": ["other"],
            "components": {
                "activity": [
                    "com.bytedance.sdk.openadsdk.*",  # from the regex "com.bytedance.sdk.openadsdk.(.*)"
                    unverified(
                        "com.yxcorp.gifshow.ad(.*)",
                        "component rule is a regular expression that is not a whole-package pattern",
                    ),
                ]
            },
            "native_libs": ["libfile_lock_pg.so", "libnms.so"],
            "sources": lc_ref("Pangle SDK"),
        },
        {
            "id": "libchecker_glide",
            "name": "Glide",
            "categories": ["other"],
            "class_prefixes": ["com.bumptech.glide."],
            "sources": lc_ref("Glide"),
        },
        {
            "id": "libchecker_com_tencent_map",
            "name": "腾讯地图 SDK",
            "categories": ["other"],
            "class_prefixes": ["com.tencent.map."],
            "sources": lc_ref("腾讯地图 SDK"),
        },
        {
            "id": "libchecker_com_alipay",
            "name": "支付宝 SDK",
            "categories": ["other"],
            "class_prefixes": [
                unverified("com.alipay.(.*)", "package rule is " + OVER_BROAD_ROOT.format("com.alipay."))
            ],
            "components": {"activity": ["com.alipay.sdk.app.H5PayActivity"]},
            "sources": lc_ref("支付宝 SDK"),
        },
        {
            "id": "libchecker_com_sensorsdata_analytics_android_sdk",
            "name": "神策分析 SDK",
            "categories": ["other"],
            "components": {"provider": ["com.sensorsdata.analytics.android.sdk.SensorsDataContentProvider"]},
            "sources": lc_ref("神策分析 SDK"),
        },
    ]
    skipped = {(item.record, item.value, item.reason) for item in result.skipped}
    assert skipped == {
        ("rule #19", "", "name and label must be non-empty text"),
        (
            "label Pangle SDK",
            "com.yxcorp.gifshow.ad(.*)",
            "rule is a regular expression that is not a whole-package pattern",
        ),
        ("label Jetpack Lifecycle", "androidx.lifecycle", f"rule is {OVER_BROAD_SHORT}"),
        ("label Jetpack Lifecycle", "", "no usable rule"),
        ("label 支付宝 SDK", "com.alipay.(.*)", "rule is " + OVER_BROAD_ROOT.format("com.alipay.")),
        ("label Trichrome", "com.google.android.trichromelibrary", "rule type 6 is not supported"),
        ("label Trichrome", "", "no usable rule"),
        (
            "label Mira",
            "com.bytedance.mira.stub.p[0-9]*.StubTranslucentActivity",
            "rule is a regular expression that is not a whole-package pattern",
        ),
        ("label Mira", "", "no usable rule"),
    }


def test_libchecker_database_is_opened_read_only_and_left_untouched(libchecker_db: Path) -> None:
    before = libchecker_db.read_bytes()
    libchecker_db.chmod(0o444)
    try:
        assert import_libchecker(libchecker_db).entries
    finally:
        libchecker_db.chmod(0o644)
    assert libchecker_db.read_bytes() == before
    assert sorted(p.name for p in libchecker_db.parent.iterdir()) == ["rules.db"]  # no journal, no WAL


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a database\n" * 50, "not a readable LibChecker rules database"),
        (b"SQLite format 3\x00" + os.urandom(4080), "not a readable LibChecker rules database"),
        (b"", "no table rules_table"),  # SQLite reads an empty file as an empty database
    ],
)
def test_corrupt_libchecker_file_is_a_typed_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "rules.db"
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=message) as caught:
        import_libchecker(path)
    assert caught.value.exit_code == ExitCode.INPUT_ERROR


def test_truncated_libchecker_database_is_a_typed_error(tmp_path: Path, libchecker_db: Path) -> None:
    path = tmp_path / "truncated.db"
    path.write_bytes(libchecker_db.read_bytes()[:3000])
    with pytest.raises(DataFileError):
        import_libchecker(path)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("CREATE TABLE other(x);", "no table rules_table"),
        ("CREATE TABLE rules_table(name, label);", "lacks column"),
        (
            "CREATE TABLE t(name, label, type, isRegexRule); CREATE VIEW rules_table AS SELECT * FROM t;",
            "no table rules_table",
        ),
    ],
)
def test_sqlite_file_without_a_rules_table_is_rejected(tmp_path: Path, sql: str, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        import_libchecker(build_libchecker_db(tmp_path / "x.db", sql))


def test_libchecker_rows_of_the_wrong_type_are_skipped_not_fatal(tmp_path: Path) -> None:
    path = build_libchecker_db(
        tmp_path / "x.db",
        "CREATE TABLE rules_table(name, label, type, isRegexRule);"
        "INSERT INTO rules_table VALUES (X'00ff', 'L', 1, 0), ('a.b.C', 'L', 'one', 0), (NULL, NULL, NULL, NULL),"
        "('com.example.sdk.Service', 'Example', 1, 0);",
    )
    result = import_libchecker(path)
    assert [entry["id"] for entry in result.entries] == ["libchecker_example"]
    assert len(result.skipped) == 3


def test_libchecker_values_longer_than_the_limit_are_refused(tmp_path: Path) -> None:
    path = build_libchecker_db(
        tmp_path / "x.db",
        f"CREATE TABLE rules_table(name, label, type, isRegexRule); INSERT INTO rules_table VALUES"
        f" ('{'a' * 10_000}', 'L', 0, 0);",
    )
    with pytest.raises(DataFileError, match="not a readable LibChecker rules database"):
        import_libchecker(path)


@pytest.mark.skipif(not UPSTREAM_LIBCHECKER.exists(), reason="shared upstream sample not present")
def test_the_full_libchecker_v3_database_imports_and_loads(tmp_path: Path) -> None:
    result = import_libchecker(UPSTREAM_LIBCHECKER)
    assert len(result.entries) > 500
    base = load_sdk_database()
    entries, report = merge_entries(base, list(result.entries))
    db = load_with_user_databases([write_user_db(tmp_path / "lc.yaml", entries)])
    assert len(db) > len(base) + 100
    assert {line.split(" ", 1)[0] for line in report} <= {"added", "merged", "confirmed", "skipped"}
    # Aliyun push shares Umeng's org.android.agoo. channel but is its own SDK, not part of umeng_push
    assert not any("(阿里移动推送) into umeng_push" in line for line in report)
    assert any("(友盟推送)" in line and "umeng_push" in line for line in report)


# ----------------------------------------------------------------------------- sdk.json


def test_sdkjson_sample_gives_exactly_these_entries() -> None:
    result = import_sdkjson(SDKJSON.read_bytes(), SDKJSON.name)

    def sj_ref(name: str) -> list[str]:
        return [ref("sdkjson", SDKJSON, f"sdk_name {name}")]

    assert list(result.entries) == [
        {
            "id": "sdkjson_com_umeng_analytics",
            "name": "友盟统计",
            "categories": ["other"],
            "class_prefixes": ["com.umeng.analytics.", "com.umeng.commonsdk."],
            "sources": sj_ref("友盟统计"),
        },
        {
            "id": "sdkjson_com_bytedance_sdk_openadsdk",
            "name": "穿山甲广告",
            "categories": ["other"],
            "class_prefixes": ["com.bytedance.sdk.openadsdk."],
            "sources": sj_ref("穿山甲广告"),
        },
        {
            "id": "sdkjson_com_sensorsdata_analytics_android_sdk",
            "name": "神策分析",
            "categories": ["other"],
            "class_prefixes": ["com.sensorsdata.analytics.android.sdk."],
            "sources": sj_ref("神策分析"),
        },
        {
            "id": "sdkjson_sharesdk",
            "name": "ShareSDK",
            "categories": ["other"],
            "class_prefixes": ["cn.sharesdk.framework.", "cn.sharesdk.wechat."],
            "sources": sj_ref("ShareSDK"),
        },
        {
            "id": "sdkjson_com_qiyukf_unicorn",
            "name": "七鱼客服",
            "categories": ["other"],
            "class_prefixes": ["com.qiyukf.unicorn."],
            "sources": sj_ref("七鱼客服"),
        },
    ]
    assert [str(item) for item in result.skipped] == [
        "sdk_name 腾讯: 'com.tencent': package_name is over-broad: covers the vendor root com.tencent.",
        "sdk_name 腾讯: no usable package prefix",
    ]


@pytest.mark.parametrize(
    "payload",
    [
        "__import__('os').system('touch {marker}')",
        "[{{'sdk_name': __import__('os').system('touch {marker}'), 'package_name': 'a.b.c'}}]",
        "[{{'sdk_name': 'x', 'package_name': 'a.b.c'}}] + [__import__('os').system('touch {marker}')]",
        "(lambda: __import__('os').system('touch {marker}'))()",
        "[x for x in ().__class__.__base__.__subclasses__()]",
    ],
)
def test_sdkjson_is_parsed_as_a_literal_and_never_executed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, payload: str
) -> None:
    marker = tmp_path / "ran"
    calls: list[str] = []
    monkeypatch.setattr(os, "system", lambda command: calls.append(command) or 0)
    with pytest.raises(DataFileError, match="not a Python literal list") as caught:
        import_sdkjson(payload.format(marker=marker).encode(), "sdk.json")
    assert caught.value.exit_code == ExitCode.INPUT_ERROR
    assert calls == []
    assert not marker.exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{'sdk_name': 'x', 'package_name': 'a.b.c'}", "expected a list of dicts, got a dict"),
        (b"'just a string'", "expected a list of dicts, got a str"),
        (b"['a.b.c']", "item #1: expected a dict"),
        (b"[{'sdk_name': 'x'}]", "item #1: 'package_name' must be a non-empty string"),
        (b"[{'sdk_name': 1, 'package_name': 'a.b.c'}]", "item #1: 'sdk_name' must be a non-empty string"),
        (b"[{'sdk_name': 'x', 'package_name': 'a.b.c'},, ]", "not a Python literal list"),
        (b"[" * 100_000 + b"]" * 100_000, "not a Python literal list"),
        (b"\xff\xfe[]", "not UTF-8"),
    ],
)
def test_sdkjson_that_is_not_a_list_of_such_dicts_is_a_clear_error(payload: bytes, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        import_sdkjson(payload, "sdk.json")


def test_sdkjson_size_is_limited(tmp_path: Path) -> None:
    from appaudit.knowledge.importers import sdkjson

    big = tmp_path / "sdk.json"
    big.write_bytes(b"[" + b"{'sdk_name': 'x', 'package_name': 'a.b.c'}," * 200_000 + b"]")
    assert big.stat().st_size > sdkjson.MAX_BYTES
    with pytest.raises(DataFileError, match="MiB limit"):
        import_file(big, "sdkjson")
    with pytest.raises(DataFileError, match="MiB limit"):
        import_sdkjson(big.read_bytes(), "sdk.json")


def test_import_file_dispatches_every_format(libchecker_db: Path) -> None:
    assert FORMATS == ("exodus", "libchecker", "sdkjson")
    paths = {"exodus": EXODUS, "libchecker": libchecker_db, "sdkjson": SDKJSON}
    for fmt in FORMATS:
        assert import_file(paths[fmt], fmt).source.format == fmt
    with pytest.raises(DataFileError, match="cannot read"):
        import_file(EXODUS.parent / "missing.json", "exodus")


# ----------------------------------------------------------------------------- merging


def test_an_exodus_umeng_entry_merges_into_the_packaged_umeng_entry() -> None:
    result = import_exodus(EXODUS.read_bytes(), EXODUS.name)
    tracker = next(entry for entry in result.entries if entry["id"] == "exodus_umeng_analytics")
    entries, report = merge_entries(load_sdk_database(), list(result.entries))
    by_id = {entry["id"]: entry for entry in entries}
    assert "exodus_umeng_analytics" not in by_id  # never a duplicate of a known SDK
    packaged = packaged_raw_entries()["umeng_analytics"]
    known = {d if isinstance(d, str) else d["value"] for d in packaged.get("domains") or []}
    new_domains = [d for d in tracker["domains"] if isinstance(d, str) and d not in known]
    if not new_domains:  # the packaged data has caught up with the sample: a confirmation, nothing written
        assert "umeng_analytics" not in by_id
        assert any(line.startswith("confirmed exodus_umeng_analytics") for line in report)
        return
    umeng = by_id["umeng_analytics"]
    source = ref("exodus", EXODUS, "tracker 70 (Umeng Analytics)")
    # the packaged entry as written, plus what the tracker adds, with the import as a source
    assert umeng["name"] == packaged["name"]
    assert umeng["class_prefixes"] == packaged["class_prefixes"]
    assert umeng["domains"] == packaged["domains"] + [{"value": d, "note": f"from {source}"} for d in new_domains]
    assert umeng["sources"] == packaged["sources"] + [source]
    assert check_entry(umeng) is None
    added = ", ".join(f"domain {d}" for d in new_domains)
    assert f"merged exodus_umeng_analytics (Umeng Analytics) into umeng_analytics: + {added}" in report


def test_an_exodus_umeng_entry_merges_into_the_base_umeng_entry(small_base: LayeredDatabase) -> None:
    entries, report = merge_into(small_base, import_exodus(EXODUS.read_bytes(), EXODUS.name).entries)
    umeng = next(entry for entry in entries if entry["id"] == "umeng_analytics")
    source = ref("exodus", EXODUS, "tracker 70 (Umeng Analytics)")
    assert umeng == {
        **small_base.raw_entries["umeng_analytics"],
        "domains": [
            "umeng.com",
            "umengcloud.com",
            {"value": "umeng.co", "status": "unverified"},
            {"value": "umtrack.com", "note": f"from {source}"},
        ],
        "registry_ids": {"exodus": 70},
        "sources": ["libradar", "libchecker", "manual: meta-data keys and init calls", source],
    }
    assert "merged exodus_umeng_analytics (Umeng Analytics) into umeng_analytics: + domain umtrack.com" in report


def test_merge_report_for_the_exodus_sample(small_base: LayeredDatabase) -> None:
    entries, report = merge_into(small_base, import_exodus(EXODUS.read_bytes(), EXODUS.name).entries)
    assert [entry["id"] for entry in entries] == [
        "umeng_analytics",
        "exodus_flurry",
        "exodus_google_analytics",
        "exodus_mopub",
        "pangle_csj",
    ]
    assert report == [
        "merged exodus_umeng_analytics (Umeng Analytics) into umeng_analytics: + domain umtrack.com",
        "added exodus_flurry: new SDK 'Flurry' (2 class prefixes, 1 domain)",
        "added exodus_google_analytics: new SDK 'Google Analytics' (2 class prefixes, 1 domain)",
        "added exodus_mopub: new SDK 'MoPub' (1 class prefix, 1 domain)",
        "merged exodus_pangle (Pangle) into pangle_csj: + domain pangle.io",
        # nothing new: reported, and the packaged entry is not frozen into the user file
        "confirmed exodus_appsflyer (AppsFlyer): already in appsflyer, nothing new",
    ]


def test_merge_keeps_deliberately_narrow_prefixes_narrow(small_base: LayeredDatabase) -> None:
    imported = {
        "id": "exodus_baidu_map",
        "name": "Baidu Map",
        "categories": ["map_location"],
        "class_prefixes": ["com.baidu.mapapi.", "com.baidu.platform."],
        "sources": ["import: test"],
    }
    entries, report = merge_into(small_base, [imported])
    assert entries == []
    assert report == [
        "confirmed exodus_baidu_map (Baidu Map): already in baidu_map, nothing new",
        "skipped exodus_baidu_map (Baidu Map): class prefix com.baidu.platform.: broader than baidu_map's class "
        "prefix com.baidu.platform.comapi.; the database keeps the narrower one",
    ]


def test_merge_does_not_let_a_family_namespace_absorb_a_sibling_sdk(small_base: LayeredDatabase) -> None:
    # Aliyun push ships components under org.android.agoo. (umeng_push's class prefix) but is its own SDK.
    imported = {
        "id": "libchecker_aliyun_push",
        "name": "阿里移动推送",
        "categories": ["other"],
        "components": {
            "service": ["com.alibaba.sdk.android.push.MsgService", "org.android.agoo.accs.AgooService"],
        },
        "sources": ["import: test"],
    }
    entries, report = merge_into(small_base, [imported])
    assert [entry["id"] for entry in entries] == ["libchecker_aliyun_push"]
    assert report == [
        "added libchecker_aliyun_push: new SDK '阿里移动推送' (2 components; some component classes lie under the "
        "class prefixes of umeng_push)"
    ]


def test_a_component_is_attached_only_to_the_sdk_owning_its_class(small_base: LayeredDatabase) -> None:
    imported = {
        "id": "libchecker_umeng_push",
        "name": "友盟推送",
        "categories": ["other"],
        "components": {
            "service": [
                "com.umeng.message.UmengService",  # listed by umeng_push: decides the target
                "com.umeng.message.XiaomiIntentService",  # new, under umeng_push's prefix: attached
                "cn.jpush.android.service.Foo",  # under jpush's prefix: not attached
            ]
        },
        "sources": ["import: test"],
    }
    entries, report = merge_into(small_base, [imported])
    assert [entry["id"] for entry in entries] == ["umeng_push"]
    assert {"value": "com.umeng.message.XiaomiIntentService", "note": "from import: test"} in entries[0]["components"][
        "service"
    ]
    assert report == [
        "merged libchecker_umeng_push (友盟推送) into umeng_push: + service com.umeng.message.XiaomiIntentService",
        "skipped libchecker_umeng_push (友盟推送): service cn.jpush.android.service.Foo: its class lies under the "
        "class prefixes of jpush",
    ]


def test_records_of_one_import_sharing_signatures_become_one_entry(small_base: LayeredDatabase) -> None:
    def record(name: str, prefixes: list[str]) -> dict[str, Any]:
        return {"id": f"exodus_{name}", "name": name, "categories": ["analytics"], "class_prefixes": prefixes,
                "sources": [f"import: {name}"]}  # fmt: skip

    entries, report = merge_into(
        small_base, [record("a", ["com.example.tracker."]), record("b", ["com.example.tracker.", "com.example.extra."])]
    )
    assert entries == [
        {
            "id": "exodus_a",
            "name": "a",
            "categories": ["analytics"],
            "class_prefixes": ["com.example.tracker.", {"value": "com.example.extra.", "note": "from import: b"}],
            "sources": ["import: a", "import: b"],
        }
    ]
    assert report[1] == "merged exodus_b (b) into exodus_a: + class prefix com.example.extra."


def test_a_new_entry_that_does_not_validate_is_reported_not_written(small_base: LayeredDatabase) -> None:
    domain_only = {
        "id": "exodus_x",
        "name": "X",
        "categories": ["analytics"],
        "domains": ["x-tracker.example"],
        "sources": ["import: x"],
    }
    entries, report = merge_into(small_base, [domain_only])
    assert entries == []
    assert report == [
        "skipped exodus_x (X): SDK entry 'exodus_x': needs at least one code, manifest, native-library or asset "
        "signature"
    ]


def test_merging_on_top_of_a_user_database_starts_from_the_user_entry(
    tmp_path: Path, small_base: LayeredDatabase
) -> None:
    first, _ = merge_into(small_base, import_exodus(EXODUS.read_bytes(), EXODUS.name).entries)
    user = write_user_db(tmp_path / "exodus.yaml", first)
    layered = load_layers([user])
    extra = {
        "id": "x_umeng",
        "name": "Umeng",
        "categories": ["analytics"],
        "class_prefixes": ["com.umeng.analytics."],
        "domains": ["umeng-extra.example"],
        "sources": ["import: second"],
    }
    second, _ = merge_into(layered, [extra])
    domains = [d if isinstance(d, str) else d["value"] for d in second[0]["domains"]]
    assert "umtrack.com" in domains and "umeng-extra.example" in domains  # the first import is kept


# ----------------------------------------------------------------------------- user databases


USER_ENTRY = """\
schema_version: 1
sdks:
- id: {id}
  name: {name}
  categories: [analytics]
  class_prefixes: [{prefix}]
  sources: ["manual: test"]
{extra}"""


def user_file(tmp_path: Path, name: str, *, sdk_id: str, prefix: str, extra: str = "", label: str = "X") -> Path:
    path = tmp_path / name
    path.write_text(USER_ENTRY.format(id=sdk_id, name=label, prefix=prefix, extra=extra), encoding="utf-8")
    return path


def test_no_user_database_means_the_packaged_one() -> None:
    assert load_with_user_databases([]) is load_sdk_database()


def test_user_entries_are_added_on_top_of_the_packaged_database(tmp_path: Path, small_base: LayeredDatabase) -> None:
    path = user_file(tmp_path, "a.yaml", sdk_id="acme_sdk", prefix="com.acme.sdk.", extra="  parent: umeng_analytics\n")
    notes: list[str] = []
    db = load_with_user_databases([path], on_note=notes.append)
    assert len(db) == len(small_base.database) + 1
    assert db.owner_of_class("Lcom/acme/sdk/A;").id == "acme_sdk"
    assert db.get("acme_sdk").parent == "umeng_analytics"  # a packaged parent is allowed
    assert db.owner_of_class("Lcom/umeng/analytics/A;").id == "umeng_analytics"
    assert notes == []


def test_a_user_entry_with_a_packaged_id_overrides_it_and_is_noted(tmp_path: Path, small_base: LayeredDatabase) -> None:
    first = user_file(tmp_path, "a.yaml", sdk_id="baidu_map", prefix="com.baidu.mapapi.", label="Mine")
    second = user_file(tmp_path, "b.yaml", sdk_id="baidu_map", prefix="com.baidu.mapapi.", label="Mine again")
    notes: list[str] = []
    db = load_with_user_databases([first, second], on_note=notes.append)
    assert db.get("baidu_map").name == "Mine again"
    assert db.owner_of_class("Lcom/baidu/platform/comapi/A;") is None  # the override dropped that prefix
    assert [e.id for e in db.entries] == [e.id for e in small_base.database.entries]  # same place
    assert notes == [
        f"{first}: SDK entry 'baidu_map' overrides the packaged entry",
        f"{second}: SDK entry 'baidu_map' overrides the entry from {first}",
    ]


@pytest.mark.parametrize(
    ("sdk_id", "prefix", "extra", "message"),
    [
        ("mine", "com.umeng.analytics.", "", "class prefix 'Lcom/umeng/analytics/' is already used by SDK entry "
         "'umeng_analytics' \\(packaged\\)"),
        ("mine", "com.acme.sdk.", "  parent: nowhere\n", "unknown parent 'nowhere'"),
        ("mine", "com.google.", "", "over-broad"),
        ("mine", "com.acme.sdk.", "  bogus_key: 1\n", "unknown key"),
        ("umeng_push", "com.acme.sdk.", "  parent: umeng_push\n", "parent chain loops"),
    ],
)  # fmt: skip
def test_user_databases_are_validated_like_the_packaged_one(
    tmp_path: Path, small_base: LayeredDatabase, sdk_id: str, prefix: str, extra: str, message: str
) -> None:
    path = user_file(tmp_path, "u.yaml", sdk_id=sdk_id, prefix=prefix, extra=extra)
    with pytest.raises(UserDataError, match=message) as caught:
        load_with_user_databases([path])
    assert caught.value.exit_code == ExitCode.INPUT_ERROR
    assert str(path) in str(caught.value)


def test_a_missing_or_broken_user_database_is_an_input_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 1\nsdks: [\n", encoding="utf-8")
    for path in (tmp_path / "missing.yaml", broken):
        with pytest.raises(UserDataError) as caught:
            load_with_user_databases([path])
        assert caught.value.exit_code == ExitCode.INPUT_ERROR


def test_user_entries_may_bundle_packaged_sdks(tmp_path: Path, small_base: LayeredDatabase) -> None:
    from dataclasses import fields

    from appaudit.knowledge.sdk_db import SdkEntry

    if "bundles" not in {item.name for item in fields(SdkEntry)}:
        pytest.skip("this SdkEntry has no bundles")
    path = user_file(tmp_path, "u.yaml", sdk_id="acme_share", prefix="com.acme.share.", extra="  bundles: [jpush]\n")
    assert load_with_user_databases([path]).get("acme_share").bundles == ("jpush",)
    bad = user_file(tmp_path, "v.yaml", sdk_id="acme_share", prefix="com.acme.share.", extra="  bundles: [nothing]\n")
    with pytest.raises(UserDataError, match="'bundles' names unknown entry 'nothing'"):
        load_with_user_databases([bad])
