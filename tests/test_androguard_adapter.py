"""The androguard adapter against the fixture APKs, damaged copies of them, and a synthetic APK."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from apk_factory import build_apk, resources_xml
from loguru import logger
from lxml import etree

from appaudit.errors import InputError
from appaudit.evidence.model import DexFile
from appaudit.static import androguard_adapter as adapter_module
from appaudit.static.androguard_adapter import AndroguardAdapter, StringResource
from appaudit.static.archive import ApkArchive, open_apk
from appaudit.static.identity import build_identity, native_abis

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
COMPLIANT = APPS / "compliant" / "compliant.apk"
VIOLATING = APPS / "violating" / "violating.apk"
SDK_ZOO = APPS / "sdk-zoo" / "sdk-zoo.apk"

# fixtures/keys/fixtures.jks, the key every fixture is signed with (see each EXPECTED.md).
FIXTURE_CERT_SHA256 = "622b597c91fba8635b115b7a3226ba73bf313a9eae4d9c471d98adf0ac71899e"
FIXTURE_CERT_SUBJECT = "O=appaudit, CN=appaudit test fixtures"


@pytest.fixture
def opened() -> Iterator[Callable[[Path], tuple[ApkArchive, AndroguardAdapter]]]:
    archives: list[ApkArchive] = []

    def open_(path: Path) -> tuple[ApkArchive, AndroguardAdapter]:
        archive = open_apk(path)
        archives.append(archive)
        return archive, AndroguardAdapter.open(archive)

    yield open_
    for archive in archives:
        archive.close()


def rewrite(source: Path, target: Path, replace: dict[str, bytes | None]) -> Path:
    """Copy an APK entry by entry, replacing (bytes) or dropping (None) some entries."""
    with zipfile.ZipFile(io.BytesIO(source.read_bytes())) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            if info.filename in replace:
                data = replace[info.filename]
                if data is not None:
                    zout.writestr(info.filename, data)
            else:
                zout.writestr(info.filename, zin.read(info.filename))
        for name, data in replace.items():
            if data is not None and name not in zin.namelist():
                zout.writestr(name, data)
    return target


# --------------------------------------------------------------------------- fixture apps


@pytest.mark.parametrize(
    ("apk", "package", "label", "version_name", "version_code"),
    [
        (COMPLIANT, "com.appaudit.fixture.compliant", "合规示例", "1.0.0", "1"),
        (VIOLATING, "com.appaudit.fixture.violating", "违规示例", "2.3.1", "23"),
        (SDK_ZOO, "com.appaudit.fixture.sdkzoo", "SDK动物园", "0.9", "9"),
    ],
)
def test_facts_of_the_fixture_apps(opened, apk, package, label, version_name, version_code):
    _, adapter = opened(apk)
    facts = adapter.facts
    assert facts.package == package
    assert facts.label == label
    assert (facts.version_name, facts.version_code) == (version_name, version_code)
    assert (facts.min_sdk, facts.target_sdk, facts.effective_target_sdk) == (21, 30, 30)
    assert (facts.split_name, facts.is_split_required) == (None, False)
    assert facts.errors == ()


@pytest.mark.parametrize("apk", [COMPLIANT, VIOLATING, SDK_ZOO])
def test_signing_schemes_and_certificate(opened, apk):
    _, adapter = opened(apk)
    signing = adapter.facts.signing
    assert signing.schemes == ("v1", "v2", "v3")
    assert signing.verified is None
    (cert,) = signing.certificates  # v1, v2 and v3 carry the same certificate: listed once
    assert cert.sha256 == FIXTURE_CERT_SHA256
    assert len(cert.sha1) == 40
    assert cert.subject == cert.issuer == FIXTURE_CERT_SUBJECT  # self-signed
    assert cert.serial and int(cert.serial, 16) > 0
    assert cert.not_before < cert.not_after


def test_identity_of_the_compliant_app(opened):
    archive, adapter = opened(COMPLIANT)
    dex = DexFile(name="classes.dex", size=100, sha256="0" * 64)
    identity, errors = build_identity(archive, adapter, [dex])
    assert errors == ()
    assert identity.package == "com.appaudit.fixture.compliant"
    assert identity.label == "合规示例"
    assert (identity.version_name, identity.version_code) == ("1.0.0", "1")
    assert (identity.min_sdk, identity.target_sdk) == (21, 30)
    assert identity.apk_sha256 == archive.sha256
    assert identity.file_size == COMPLIANT.stat().st_size
    assert identity.dex_files == (dex,)
    assert identity.native_abis == ()
    assert identity.split_name is None and identity.is_split_base is False
    assert identity.signing.schemes == ("v1", "v2", "v3")


def test_identity_lists_native_abis(opened):
    archive, adapter = opened(SDK_ZOO)
    identity, _ = build_identity(archive, adapter, [])
    assert identity.native_abis == ("arm64-v8a",)
    assert native_abis(["lib/x86/a.so", "lib/armeabi-v7a/b.so", "lib/x86/notes.txt", "lib/c.so"]) == (
        "armeabi-v7a",
        "x86",
    )


def test_string_resources_of_the_compliant_app(opened):
    _, adapter = opened(COMPLIANT)
    table = adapter.resources()
    assert table.error is None and table.present
    strings = {s.name: s for s in table.strings}
    assert strings["app_name"] == StringResource(0x7F030000, "app_name", "", "", "合规示例")
    assert strings["consent_agree"].value == "同意"
    assert strings["consent_refuse"].value == "不同意"
    assert strings["consent_title"].value == "用户协议与隐私政策"
    assert strings["privacy_link"].value == "隐私政策"
    assert strings["privacy_policy_url"].value == "https://www.example.com/privacy"
    assert strings["consent_message"].value.startswith("请您务必审慎阅读《隐私政策》")
    assert strings["consent_title"].reference == "@7F030004"
    assert len(table.strings) == 7


def test_manifest_is_an_lxml_tree_and_text(opened):
    _, adapter = opened(VIOLATING)
    root = adapter.manifest
    assert isinstance(root, etree._Element)
    assert root.get("package") == "com.appaudit.fixture.violating"
    assert root.find("application").get(f"{{{adapter_module.ANDROID_NS}}}usesCleartextTraffic") == "true"
    assert 'package="com.appaudit.fixture.violating"' in adapter.manifest_text


def test_resolve_and_decode_the_network_security_config(opened):
    _, adapter = opened(COMPLIANT)
    assert adapter.resolve("@7F040000") == "res/xml/network_security_config.xml"
    assert adapter.resolve("@7F030000") == "合规示例"
    assert adapter.resolve("plain") == "plain"
    assert adapter.resolve("@7F0FFFFF") is None
    assert adapter.resolve("@android:01040000") is None  # framework resources are not in the APK
    decoded = adapter.decode_xml("res/xml/network_security_config.xml")
    assert decoded.error is None
    base = decoded.element.find("base-config")
    assert base.get("cleartextTrafficPermitted") == "false"
    assert base.find("trust-anchors/certificates").get("src") == "system"
    assert "<network-security-config>" in decoded.text


def test_decode_layout_keeps_references(opened):
    _, adapter = opened(COMPLIANT)
    decoded = adapter.decode_xml("res/layout/dialog_consent.xml")
    texts = [e.get(f"{{{adapter_module.ANDROID_NS}}}text") for e in decoded.element.iter("Button")]
    assert texts == ["@7F030003", "@7F030001"]  # 不同意, 同意


def test_decode_xml_failures_are_recorded_not_raised(opened, tmp_path):
    apk = rewrite(COMPLIANT, tmp_path / "bad_xml.apk", {"res/layout/dialog_consent.xml": b"\x03\x00\x08\x00junk"})
    _, adapter = opened(apk)
    missing = adapter.decode_xml("res/layout/nope.xml")
    assert (missing.text, missing.element) == (None, None)
    assert missing.error.scope == "res/layout/nope.xml"
    broken = adapter.decode_xml("res/layout/dialog_consent.xml")
    assert broken.element is None and broken.error.scope == "res/layout/dialog_consent.xml"


# --------------------------------------------------------------------------- damaged input


def test_missing_resources_arsc_gives_no_label_and_an_error(opened, tmp_path):
    apk = rewrite(COMPLIANT, tmp_path / "no_arsc.apk", {"resources.arsc": None})
    archive, adapter = opened(apk)
    facts = adapter.facts
    assert facts.package == "com.appaudit.fixture.compliant"
    assert facts.label is None
    assert [e.scope for e in facts.errors] == ["resources.arsc"]
    assert "no resources.arsc" in facts.errors[0].message
    table = adapter.resources()
    assert (table.strings, table.present, table.error) == ((), False, None)
    identity, errors = build_identity(archive, adapter, [])
    assert identity.label is None and errors == facts.errors


@pytest.mark.parametrize(
    "content",
    [b"\x00" * 100, bytes(range(256)) * 8, b"\x02\x00\x0c\x00" + b"\xff" * 60],
    ids=["zeros", "bytes", "bad-header"],
)
def test_corrupt_resources_arsc_gives_no_label_and_an_error(opened, tmp_path, content):
    apk = rewrite(COMPLIANT, tmp_path / "bad_arsc.apk", {"resources.arsc": content})
    _, adapter = opened(apk)
    assert adapter.facts.label is None
    assert [e.scope for e in adapter.facts.errors] == ["resources.arsc"]
    table = adapter.resources()
    assert table.strings == () and table.error.scope == "resources.arsc"
    assert adapter.resolve("@7F040000") is None


def test_truncated_resources_arsc(opened, tmp_path):
    arsc = zipfile.ZipFile(COMPLIANT).read("resources.arsc")
    apk = rewrite(COMPLIANT, tmp_path / "short_arsc.apk", {"resources.arsc": arsc[: len(arsc) // 2]})
    _, adapter = opened(apk)
    assert adapter.facts.label is None
    assert "truncated" in adapter.resources().error.message


def test_oversized_resources_arsc_is_refused_by_the_cap(opened, monkeypatch):
    monkeypatch.setattr(adapter_module, "MAX_RESOURCES_BYTES", 100)
    _, adapter = opened(COMPLIANT)
    assert adapter.facts.label is None
    error = adapter.resources().error
    assert error.scope == "resources.arsc" and "exceeds the limit" in error.message


def test_corrupt_manifest_is_an_error_and_identity_refuses(opened, tmp_path):
    apk = rewrite(COMPLIANT, tmp_path / "bad_manifest.apk", {"AndroidManifest.xml": b"\x03\x00\x08\x00" + b"\x00" * 40})
    archive, adapter = opened(apk)
    assert adapter.manifest is None and adapter.manifest_text is None
    assert adapter.facts.package is None
    assert any(e.scope == "AndroidManifest.xml" for e in adapter.facts.errors)
    with pytest.raises(InputError, match="no package name"):
        build_identity(archive, adapter, [])


def test_unsigned_apk_has_no_schemes(opened, tmp_path):
    replace = {n: None for n in zipfile.ZipFile(COMPLIANT).namelist() if n.startswith("META-INF/")}
    apk = rewrite(COMPLIANT, tmp_path / "unsigned.apk", replace)
    _, adapter = opened(apk)
    assert adapter.facts.signing.schemes == ()
    assert adapter.facts.signing.certificates == ()
    assert adapter.facts.errors == ()


def test_v1_only_after_repacking(opened, tmp_path):
    # Rewriting the zip drops the APK Signing Block (v2/v3) but keeps META-INF (v1).
    apk = rewrite(COMPLIANT, tmp_path / "repacked.apk", {})
    _, adapter = opened(apk)
    assert adapter.facts.signing.schemes == ("v1",)
    assert adapter.facts.signing.certificates[0].sha256 == FIXTURE_CERT_SHA256


def test_many_v1_signature_files_are_capped(opened, tmp_path):
    source = zipfile.ZipFile(COMPLIANT)
    sf = next(n for n in source.namelist() if n.endswith(".SF"))
    rsa = next(n for n in source.namelist() if n.endswith(".RSA"))
    extra: dict[str, bytes | None] = {}
    for i in range(12):
        extra[f"META-INF/COPY{i:02d}.SF"] = source.read(sf)
        extra[f"META-INF/COPY{i:02d}.RSA"] = source.read(rsa)
    _, adapter = opened(rewrite(COMPLIANT, tmp_path / "many_signers.apk", extra))
    signing = adapter.facts.signing
    assert signing.schemes == ("v1",)
    assert [c.sha256 for c in signing.certificates] == [FIXTURE_CERT_SHA256]
    assert [e.message for e in adapter.facts.errors] == [
        f"13 v1 signature files; only the first {adapter_module.MAX_V1_SIGNATURE_FILES} read"
    ]


def test_mutated_resources_and_manifest_never_raise_or_print(opened, tmp_path, capsys):
    """Random byte flips: androguard must not raise through the adapter, nor print to stdout."""
    source = zipfile.ZipFile(io.BytesIO(COMPLIANT.read_bytes()))
    originals = {n: source.read(n) for n in ("resources.arsc", "AndroidManifest.xml")}
    rnd = random.Random(20240101)
    for round_ in range(40):
        target = rnd.choice(sorted(originals))
        data = bytearray(originals[target])
        for _ in range(rnd.randint(1, 8)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        apk = rewrite(COMPLIANT, tmp_path / f"fuzz{round_}.apk", {target: bytes(data)})
        _, adapter = opened(apk)
        adapter.facts  # noqa: B018 - computing the facts is the test
        adapter.resources()
        adapter.decode_xml("res/xml/network_security_config.xml")
    assert capsys.readouterr().out == ""


def test_reads_go_through_the_archive_with_caps(tmp_path):
    """Only bounded reads of the entries androguard needs; never a whole-archive read."""
    calls: list[tuple[str, int | None]] = []
    with open_apk(COMPLIANT) as archive:
        real_read = archive.read

        def recording_read(name: str, max_bytes: int | None = None) -> bytes:
            calls.append((name, max_bytes))
            return real_read(name, max_bytes)

        archive.read = recording_read  # type: ignore[method-assign]
        adapter = AndroguardAdapter.open(archive)
        adapter.facts  # noqa: B018
        adapter.resources()
        adapter.decode_xml("res/xml/network_security_config.xml")
    names = {name for name, _ in calls}
    assert names <= {"AndroidManifest.xml", "resources.arsc", "res/xml/network_security_config.xml"} | {
        n for n in names if n.startswith("META-INF/")
    }
    assert "classes.dex" not in names
    assert all(cap is not None for _, cap in calls)


def test_androguard_logging_is_disabled_without_touching_user_handlers(opened, tmp_path):
    messages: list[str] = []
    handler = logger.add(lambda m: messages.append(m.record["name"]), level="TRACE")
    try:
        apk = rewrite(COMPLIANT, tmp_path / "no_arsc.apk", {"resources.arsc": None})
        opened(apk)[1].facts  # noqa: B018 - androguard warns about the missing resources
        logger.info("the user's own message")
    finally:
        logger.remove(handler)
    assert not [m for m in messages if m and m.startswith("androguard")]
    assert messages  # the user's handler still works


# --------------------------------------------------------------------------- synthetic APK (apktool)

LABELS_MANIFEST = """\
<?xml version="1.0" encoding="utf-8" standalone="no"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.labels"
    split="config.zh">
    <application android:isSplitRequired="true">
        <activity android:name=".Home" android:label="@string/home"/>
        <activity-alias android:name=".Entry" android:targetActivity=".Home">
            <intent-filter>
                <action android:name="android.intent.action.MAIN"/>
                <category android:name="android.intent.category.LAUNCHER"/>
            </intent-filter>
        </activity-alias>
    </application>
</manifest>
"""


@pytest.fixture(scope="module")
def labels_apk(tmp_path_factory) -> Path:
    """An APK whose label exists only in zh-rTW, en and zh-rCN (no default) and only on the
    launcher alias's target activity; minSdk without targetSdk."""
    files = {"AndroidManifest.xml": LABELS_MANIFEST}
    for folder, value in (("values-zh-rTW", "標籤"), ("values-en", "Label"), ("values-zh-rCN", "标签")):
        files[f"res/{folder}/strings.xml"] = resources_xml(f'<string name="home">{value}</string>')
    return build_apk(
        tmp_path_factory.mktemp("labels"),
        "labels.apk",
        files,
        min_sdk=19,
        version_code=3,
        version_name="3.0",
    )


def test_label_falls_back_through_locales_and_the_alias_target(opened, labels_apk):
    _, adapter = opened(labels_apk)
    facts = adapter.facts
    assert facts.label == "标签"  # no default value: zh-rCN is preferred over zh-rTW and en
    assert {(s.locale, s.value) for s in adapter.resources().strings} == {
        ("zh-rTW", "標籤"),
        ("en", "Label"),
        ("zh-rCN", "标签"),
    }
    assert (facts.min_sdk, facts.target_sdk, facts.effective_target_sdk) == (19, None, 19)
    assert facts.split_name == "config.zh"
    assert facts.is_split_required is True
    assert facts.signing.schemes == ()
