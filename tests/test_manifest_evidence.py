"""ManifestEvidence from the fixture APKs, a synthetic apktool-built APK, and hand-written manifests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from apk_factory import build_apk, resources_xml
from lxml import etree

from appaudit.errors import InputError
from appaudit.evidence.model import Component, MetaData, NetworkSecurity, PackageVisibility, PartError
from appaudit.static.androguard_adapter import AndroguardAdapter, DecodedXml
from appaudit.static.archive import open_apk
from appaudit.static.manifest import build_manifest_evidence

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"


@dataclass(frozen=True)
class FakePermission:
    name: str
    name_zh: str | None = None
    name_en: str | None = None
    group: str | None = None
    group_zh: str | None = None
    protection_level: str | None = None
    runtime: bool = False
    pi_types: tuple[str, ...] = ()


class FakeTable:
    """Knows READ_PHONE_STATE only, so tests do not depend on the shipped permission data."""

    def lookup(self, name: str) -> FakePermission | None:
        if name == "android.permission.READ_PHONE_STATE":
            return FakePermission(
                name, "读取电话状态", "read phone status", "PHONE", "电话", "dangerous", True, ("imei",)
            )
        return None


def evidence_of(apk: Path, table=None):
    with open_apk(apk) as archive:
        return build_manifest_evidence(AndroguardAdapter.open(archive), table or FakeTable())


# --------------------------------------------------------------------------- fixture apps


def test_compliant_manifest():
    evidence, errors = evidence_of(APPS / "compliant" / "compliant.apk")
    assert errors == ()
    assert [p.name for p in evidence.permissions] == [
        "android.permission.INTERNET",
        "android.permission.ACCESS_NETWORK_STATE",
        "android.permission.READ_PHONE_STATE",
    ]
    phone = evidence.permissions[2]
    assert (
        phone.known,
        phone.name_zh,
        phone.group_zh,
        phone.protection_level,
        phone.runtime,
        phone.pi_types,
    ) == (
        True,
        "读取电话状态",
        "电话",
        "dangerous",
        True,
        ("imei",),
    )
    assert evidence.permissions[0].known is False
    assert evidence.application_class == "com.appaudit.fixture.compliant.App"
    assert evidence.launcher_activities == ("com.appaudit.fixture.compliant.MainActivity",)
    assert evidence.components == (
        Component(
            kind="activity",
            name="com.appaudit.fixture.compliant.MainActivity",
            exported=True,
            exported_reason="explicit",
            intent_actions=("android.intent.action.MAIN",),
            is_launcher=True,
        ),
    )
    assert evidence.meta_data == (MetaData("UMENG_APPKEY", "5f0c0a1b2c3d4e5f60718293", "application"),)
    assert evidence.package_visibility == PackageVisibility(query_all_packages=False)
    assert evidence.allow_backup is False and evidence.debuggable is False
    assert evidence.network_security == NetworkSecurity(
        uses_cleartext_attr=None,
        config_resource="res/xml/network_security_config.xml",
        cleartext_permitted_base=False,
        cleartext_domains=(),
        trusts_user_cas=False,
        debug_overrides_trust_user=False,
        pinned_domains=(),
        note="res/xml/network_security_config.xml present: usesCleartextTraffic is ignored on Android 7.0+; "
        "base-config cleartextTrafficPermitted=false",
    )


def test_violating_manifest():
    evidence, errors = evidence_of(APPS / "violating" / "violating.apk")
    assert errors == ()
    assert len(evidence.permissions) == 8
    assert evidence.application_class == "com.appaudit.fixture.violating.App"
    assert evidence.launcher_activities == ("com.appaudit.fixture.violating.MainActivity",)
    by_name = {c.name: c for c in evidence.components}
    assert [(c.kind, c.name, c.exported, c.exported_reason) for c in evidence.components] == [
        ("activity", "com.appaudit.fixture.violating.MainActivity", True, "explicit"),
        ("activity", "com.appaudit.fixture.violating.SettingsActivity", False, "explicit"),
        ("provider", "com.appaudit.fixture.violating.InitProvider", False, "explicit"),
        ("receiver", "com.appaudit.fixture.violating.BootReceiver", True, "intent-filter"),
        ("service", "cn.jpush.android.service.PushService", False, "explicit"),
    ]
    assert by_name["com.appaudit.fixture.violating.BootReceiver"].intent_actions == (
        "android.intent.action.BOOT_COMPLETED",
    )
    assert by_name["com.appaudit.fixture.violating.InitProvider"].authorities == (
        "com.appaudit.fixture.violating.init",
    )
    assert by_name["com.appaudit.fixture.violating.MainActivity"].is_launcher is True
    assert evidence.package_visibility == PackageVisibility(query_all_packages=True, packages=("com.tencent.mm",))
    assert evidence.meta_data == (
        MetaData("UMENG_APPKEY", "5f9a8b7c6d5e4f3a2b1c0d9e"),
        MetaData("JPUSH_APPKEY", "a1b2c3d4e5f60718293a4b5c"),
    )
    assert evidence.allow_backup is True
    assert evidence.network_security == NetworkSecurity(
        uses_cleartext_attr=True,
        config_resource=None,
        cleartext_permitted_base=None,
        note="no network_security_config; usesCleartextTraffic=true decides",
    )


def test_sdk_zoo_manifest():
    evidence, errors = evidence_of(APPS / "sdk-zoo" / "sdk-zoo.apk")
    assert errors == ()
    assert evidence.launcher_activities == ("com.appaudit.fixture.sdkzoo.MainActivity",)
    assert len(evidence.components) == 27  # the launcher plus 26 SDK components
    exported = {c.name for c in evidence.components if c.exported}
    assert exported == {
        "com.appaudit.fixture.sdkzoo.MainActivity",
        "com.appaudit.fixture.sdkzoo.wxapi.WXEntryActivity",
        "com.xiaomi.mipush.sdk.PushMessageHandler",
        "com.xiaomi.push.service.receivers.NetworkStatusReceiver",
        "com.facebook.CustomTabActivity",
    }
    assert all(c.exported_reason == "explicit" for c in evidence.components)
    providers = {c.name: c.authorities for c in evidence.components if c.kind == "provider"}
    assert providers == {
        "cn.jpush.android.service.DataProvider": ("com.appaudit.fixture.sdkzoo.DataProvider",),
        "cn.jpush.android.service.InitProvider": ("com.appaudit.fixture.sdkzoo.jiguang.InitProvider",),
        "com.tencent.bugly.beta.utils.BuglyFileProvider": ("com.appaudit.fixture.sdkzoo.fileProvider",),
        "com.hihonor.push.sdk.init.AutoInitProvider": ("com.appaudit.fixture.sdkzoo.honorpush.initializer",),
        "com.google.android.gms.ads.MobileAdsInitProvider": ("com.appaudit.fixture.sdkzoo.mobileadsinitprovider",),
        "com.facebook.internal.FacebookInitProvider": ("com.appaudit.fixture.sdkzoo.FacebookInitProvider",),
    }
    assert [m.name for m in evidence.meta_data][:2] == ["UMENG_APPKEY", "UMENG_CHANNEL"]
    assert len(evidence.meta_data) == 9
    note = evidence.network_security.note
    assert evidence.network_security.cleartext_permitted_base is None
    assert "platform default for targetSdk 30: cleartext blocked" in note


def test_shipped_permission_table_is_used_by_default():
    evidence, _ = evidence_of_default(APPS / "violating" / "violating.apk")
    location = next(p for p in evidence.permissions if p.name == "android.permission.ACCESS_FINE_LOCATION")
    assert location.known is True
    assert location.runtime is True
    assert location.group == "LOCATION"
    assert location.pi_types  # whatever the table maps it to, it is personal information


def evidence_of_default(apk: Path):
    pytest.importorskip("appaudit.knowledge.permissions")
    with open_apk(apk) as archive:
        return build_manifest_evidence(AndroguardAdapter.open(archive))


# --------------------------------------------------------------------------- synthetic APK (apktool)

SYN_MANIFEST = """\
<?xml version="1.0" encoding="utf-8" standalone="no"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.syn">
    <uses-permission android:name="android.permission.READ_EXTERNAL_STORAGE" android:maxSdkVersion="28"/>
    <uses-permission-sdk-23 android:name="android.permission.READ_PHONE_STATE"/>
    <uses-permission android:name="com.example.syn.permission.CUSTOM"/>
    <uses-permission android:name="com.example.syn.permission.CUSTOM"/>
    <permission android:name="com.example.syn.permission.CUSTOM" android:protectionLevel="signature"/>
    <queries>
        <package android:name="com.eg.android.AlipayGphone"/>
        <intent>
            <action android:name="android.intent.action.VIEW"/>
            <data android:scheme="https"/>
        </intent>
        <provider android:name="com.other.Q" android:authorities="com.other.provider;com.other.second"/>
    </queries>
    <application android:name=".SynApp" android:debuggable="true"
        android:usesCleartextTraffic="@bool/cleartext" android:networkSecurityConfig="@xml/nsc">
        <meta-data android:name="app.key" android:value="k1"/>
        <activity android:name=".Splash" android:label="@string/splash_label"/>
        <activity-alias android:name=".Launcher" android:targetActivity=".Splash">
            <intent-filter>
                <action android:name="android.intent.action.MAIN"/>
                <category android:name="android.intent.category.LAUNCHER"/>
            </intent-filter>
        </activity-alias>
        <activity android:name="Detail" android:enabled="false">
            <intent-filter>
                <action android:name="android.intent.action.VIEW"/>
            </intent-filter>
        </activity>
        <service android:name="com.example.syn.SyncService"
            android:permission="android.permission.BIND_JOB_SERVICE">
            <meta-data android:name="svc.config" android:resource="@xml/nsc"/>
        </service>
        <provider android:name=".LegacyProvider" android:authorities="com.example.syn.legacy"/>
        <provider android:name=".ReadOnlyProvider" android:authorities="com.example.syn.ro"
            android:exported="true" android:readPermission="com.example.syn.permission.CUSTOM"/>
        <receiver android:name=".Quiet"/>
    </application>
</manifest>
"""

SYN_NSC = """\
<?xml version="1.0" encoding="utf-8"?>
<network-security-config>
    <base-config>
        <trust-anchors><certificates src="system"/><certificates src="user"/></trust-anchors>
    </base-config>
    <domain-config cleartextTrafficPermitted="true">
        <domain includeSubdomains="true">insecure.example.com</domain>
        <domain>legacy.example.cn</domain>
        <domain-config cleartextTrafficPermitted="false">
            <domain>secure.insecure.example.com</domain>
        </domain-config>
    </domain-config>
    <domain-config>
        <domain>pinned.example.com</domain>
        <pin-set expiration="2030-01-01">
            <pin digest="SHA-256">7HIpactkIAq2Y49orFOOQKurWxmmSFZhBCoQYcRhJ3Y=</pin>
        </pin-set>
    </domain-config>
    <debug-overrides>
        <trust-anchors><certificates src="user"/></trust-anchors>
    </debug-overrides>
</network-security-config>
"""


@pytest.fixture(scope="module")
def synthetic_apk(tmp_path_factory) -> Path:
    files = {
        "AndroidManifest.xml": SYN_MANIFEST,
        "res/xml/nsc.xml": SYN_NSC,
        "res/values/bools.xml": resources_xml('<bool name="cleartext">true</bool>'),
        "res/values/strings.xml": resources_xml('<string name="splash_label">Synthetic</string>'),
    }
    return build_apk(
        tmp_path_factory.mktemp("syn"),
        "synthetic.apk",
        files,
        min_sdk=14,
        target_sdk=16,
        version_code=7,
        version_name="7.0-syn",
    )


def test_synthetic_manifest_components(synthetic_apk):
    evidence, errors = evidence_of(synthetic_apk)
    assert errors == ()
    assert evidence.application_class == "com.example.syn.SynApp"  # ".SynApp" resolved
    assert evidence.debuggable is True and evidence.allow_backup is None
    assert [(p.name, p.max_sdk) for p in evidence.permissions] == [
        ("android.permission.READ_EXTERNAL_STORAGE", 28),
        ("android.permission.READ_PHONE_STATE", None),  # from <uses-permission-sdk-23>
        ("com.example.syn.permission.CUSTOM", None),  # listed twice, reported once
    ]
    assert evidence.declared_permissions == ("com.example.syn.permission.CUSTOM",)
    components = {c.name: c for c in evidence.components}
    assert list(components) == [
        "com.example.syn.Splash",
        "com.example.syn.Launcher",
        "com.example.syn.Detail",  # "Detail" (no dot) is relative too
        "com.example.syn.SyncService",
        "com.example.syn.LegacyProvider",
        "com.example.syn.ReadOnlyProvider",
        "com.example.syn.Quiet",
    ]
    alias = components["com.example.syn.Launcher"]
    assert (alias.kind, alias.exported, alias.exported_reason, alias.is_launcher) == (
        "activity-alias",
        True,
        "intent-filter",
        True,
    )
    splash = components["com.example.syn.Splash"]
    assert (splash.exported, splash.exported_reason, splash.is_launcher) == (False, "default", True)
    assert evidence.launcher_activities == ("com.example.syn.Splash",)  # the alias's target
    detail = components["com.example.syn.Detail"]
    assert (detail.enabled, detail.exported, detail.exported_reason) == (False, True, "intent-filter")
    legacy = components["com.example.syn.LegacyProvider"]
    # targetSdk 16: a provider without android:exported is exported
    assert (legacy.exported, legacy.exported_reason, legacy.authorities) == (
        True,
        "default",
        ("com.example.syn.legacy",),
    )
    read_only = components["com.example.syn.ReadOnlyProvider"]
    assert read_only.permission == "read=com.example.syn.permission.CUSTOM; write=-"
    assert components["com.example.syn.SyncService"].permission == "android.permission.BIND_JOB_SERVICE"
    assert components["com.example.syn.Quiet"].exported is False
    assert evidence.meta_data == (
        MetaData("app.key", "k1", "application"),
        MetaData("svc.config", "res/xml/nsc.xml", "com.example.syn.SyncService"),
    )
    assert evidence.package_visibility == PackageVisibility(
        query_all_packages=False,
        packages=("com.eg.android.AlipayGphone",),
        intent_actions=("android.intent.action.VIEW",),
        providers=("com.other.provider", "com.other.second"),
    )


def test_synthetic_network_security_config(synthetic_apk):
    evidence, _ = evidence_of(synthetic_apk)
    nsc = evidence.network_security
    assert nsc.uses_cleartext_attr is True  # @bool/cleartext resolved through resources.arsc
    assert nsc.config_resource == "res/xml/nsc.xml"
    assert nsc.cleartext_permitted_base is None
    # the nested domain-config turns cleartext back off for its own domain
    assert nsc.cleartext_domains == ("insecure.example.com", "legacy.example.cn")
    assert nsc.trusts_user_cas is True
    assert nsc.debug_overrides_trust_user is True
    assert nsc.pinned_domains == ("pinned.example.com",)
    assert "usesCleartextTraffic is ignored on Android 7.0+" in nsc.note
    assert "platform default for targetSdk 16: cleartext allowed" in nsc.note


# --------------------------------------------------------------------------- hand-written manifests

ANDROID = "http://schemas.android.com/apk/res/android"


@dataclass
class FakeFacts:
    effective_target_sdk: int


@dataclass
class FakeAdapter:
    """The adapter surface manifest.py uses, over text XML."""

    manifest_xml: str | None
    target_sdk: int = 30
    references: dict[str, str] = field(default_factory=dict)
    xml_files: dict[str, str] = field(default_factory=dict)
    errors: tuple[PartError, ...] = ()

    @property
    def manifest(self):
        return None if self.manifest_xml is None else etree.fromstring(self.manifest_xml.encode())

    @property
    def facts(self) -> FakeFacts:
        return FakeFacts(self.target_sdk)

    def resolve(self, value: str) -> str | None:
        return self.references.get(value) if value.startswith("@") else value

    def decode_xml(self, path: str) -> DecodedXml:
        if path not in self.xml_files:
            return DecodedXml(path, None, None, PartError(path, "invalid binary XML"))
        return DecodedXml(path, self.xml_files[path], etree.fromstring(self.xml_files[path].encode()))


def manifest(application: str, extra: str = "") -> str:
    return (
        f'<manifest xmlns:android="{ANDROID}" package="com.example.app">{extra}'
        f"<application {application}</application></manifest>"
    )


def test_provider_default_depends_on_target_sdk():
    xml = manifest('android:name="App"><provider android:name=".P" android:authorities="a;b"/>')
    old, _ = build_manifest_evidence(FakeAdapter(xml, target_sdk=16), FakeTable())
    new, _ = build_manifest_evidence(FakeAdapter(xml, target_sdk=17), FakeTable())
    assert old.application_class == "com.example.app.App"
    assert (old.components[0].exported, old.components[0].exported_reason) == (True, "default")
    assert (new.components[0].exported, new.components[0].exported_reason) == (False, "default")
    assert new.components[0].authorities == ("a", "b")


def test_explicit_exported_beats_intent_filter():
    xml = manifest(
        '><receiver android:name="com.x.R" android:exported="false">'
        '<intent-filter><action android:name="com.x.PING"/></intent-filter></receiver>'
        '<service android:name="com.x.S" android:exported="@7F010000"/>'
    )
    evidence, _ = build_manifest_evidence(FakeAdapter(xml, references={"@7F010000": "true"}), FakeTable())
    receiver, service = evidence.components
    assert (receiver.exported, receiver.exported_reason, receiver.intent_actions) == (
        False,
        "explicit",
        ("com.x.PING",),
    )
    assert (service.exported, service.exported_reason) == (True, "explicit")


def test_no_network_security_config_and_old_target_trusts_user_cas():
    evidence, _ = build_manifest_evidence(FakeAdapter(manifest(">"), target_sdk=23), FakeTable())
    nsc = evidence.network_security
    assert (nsc.uses_cleartext_attr, nsc.config_resource, nsc.cleartext_permitted_base) == (None, None, None)
    assert nsc.trusts_user_cas is True
    assert "platform default for targetSdk 23: cleartext allowed" in nsc.note
    assert "user-installed CAs trusted by default" in nsc.note


def test_unresolvable_network_security_config_is_an_error():
    xml = manifest('android:networkSecurityConfig="@7F0A0000">')
    evidence, errors = build_manifest_evidence(FakeAdapter(xml), FakeTable())
    assert evidence.network_security.config_resource == "@7F0A0000"
    assert evidence.network_security.cleartext_permitted_base is None
    assert errors == (PartError("network_security_config", "resource @7F0A0000 could not be resolved"),)


def test_undecodable_network_security_config_is_an_error():
    xml = manifest('android:networkSecurityConfig="@7F0A0000">')
    adapter = FakeAdapter(xml, references={"@7F0A0000": "res/xml/nsc.xml"})
    evidence, errors = build_manifest_evidence(adapter, FakeTable())
    assert evidence.network_security.config_resource == "res/xml/nsc.xml"
    assert "could not be decoded" in evidence.network_security.note
    assert errors == (PartError("res/xml/nsc.xml", "invalid binary XML"),)


def test_domain_config_user_ca_and_base_cleartext_true():
    nsc = (
        '<network-security-config><base-config cleartextTrafficPermitted="true"/>'
        "<domain-config><domain>a.example.com</domain>"
        '<trust-anchors><certificates src="user"/></trust-anchors></domain-config>'
        "</network-security-config>"
    )
    adapter = FakeAdapter(
        manifest('android:networkSecurityConfig="@7F0A0000">'),
        references={"@7F0A0000": "res/xml/n.xml"},
        xml_files={"res/xml/n.xml": nsc},
    )
    evidence, _ = build_manifest_evidence(adapter, FakeTable())
    assert evidence.network_security.cleartext_permitted_base is True
    assert evidence.network_security.cleartext_domains == ("a.example.com",)  # inherits base's true
    assert evidence.network_security.trusts_user_cas is True


def test_missing_manifest_raises_input_error():
    adapter = FakeAdapter(None, errors=(PartError("AndroidManifest.xml", "not valid binary XML"),))
    with pytest.raises(InputError, match="not valid binary XML"):
        build_manifest_evidence(adapter, FakeTable())
