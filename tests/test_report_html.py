"""The HTML report: content, escaping, honesty about missing evidence, self-containment."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import browser  # tests/browser.py: pytest puts tests/ on sys.path
import pytest

from appaudit.evidence import codec
from appaudit.evidence.model import (
    ApiCallSite,
    AppIdentity,
    Certificate,
    Component,
    Confidence,
    ConsentGuard,
    DexFile,
    Endpoint,
    EntryPoint,
    EvidenceBundle,
    InputFile,
    ManifestEvidence,
    MetaData,
    MethodRef,
    NetworkSecurity,
    PackageVisibility,
    PartError,
    PartStatus,
    PermissionRequest,
    PolicyDocument,
    PolicyHints,
    SdkHit,
    SignatureMatch,
    Signing,
    StartupEvidence,
    StartupFinding,
    Status,
    TextHint,
    ToolInfo,
)
from appaudit.report import build_language_view, write_html
from appaudit.report import render_html as render_page
from appaudit.report.i18n import language
from appaudit.report.view import shorten_ref


def build_view(bundle: EvidenceBundle, **kwargs: object):
    """The English page body (these tests read English; the Chinese one is tested in test_report_i18n_*)."""
    with language("en"):
        return build_language_view(bundle, **kwargs)  # type: ignore[arg-type]


def render_html(bundle: EvidenceBundle, **kwargs: object) -> str:
    """The report in English only, so ids carry no language prefix."""
    kwargs.setdefault("lang", "en")
    return render_page(bundle, **kwargs)  # type: ignore[arg-type]


APK_SHA = "3f7a9c1e" * 8
CERT_SHA = "a1b2c3d4" * 8
LABEL = "隐私演示应用"
HOSTILE = "<script>alert(1)</script>"
HOSTILE_URL = "javascript:alert(1)"
GUARD_CONDITION = 'SharedPreferences.getBoolean("privacy_agreed")'
GENERATED_BY = "appaudit 0.1.0 (test)"

APP_ONCREATE = "Lcom/demo/privacy/DemoApp;->onCreate()V"
INIT_HELPER = "Lcom/demo/privacy/init/SdkBootstrap;->init(Landroid/content/Context;Ljava/lang/String;Z)V"
UMENG_INIT = "Lcom/umeng/commonsdk/UMConfigure;->init(Landroid/content/Context;Ljava/lang/String;Ljava/lang/String;ILjava/lang/String;)V"  # noqa: E501
IMEI_CALLER = "Lcom/demo/privacy/util/DeviceInfo;->collect(Landroid/content/Context;)[Ljava/lang/String;"
IMEI_API = "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;"
UNGUARDED_CHAIN = (APP_ONCREATE, INIT_HELPER, UMENG_INIT)
GUARDED_CHAIN = (APP_ONCREATE, IMEI_CALLER, IMEI_API)

ALL_PARTS = ("identity", "manifest", "dex", "sdks", "api_calls", "startup", "policy_hints", "endpoints")


def method(ref: str) -> MethodRef:
    cls, rest = ref.split("->")
    name, desc = rest.split("(", 1)
    return MethodRef(cls, name, "(" + desc)


def call_site(i: int, *, api_id: str = "telephony.imei", sdk_id: str | None = None) -> ApiCallSite:
    return ApiCallSite(
        api_id=api_id,
        api=IMEI_API,
        pi_types=("imei",),
        caller=MethodRef(f"Lcom/demo/privacy/gen/C{i:04d};", "run", "()V"),
        dex="classes.dex",
        offset=i * 4,
        sdk_id=sdk_id,
    )


def rich_bundle(**overrides) -> EvidenceBundle:
    """Every part collected, with hostile strings mixed into the APK-derived data."""
    cert = Certificate(
        sha256=CERT_SHA,
        sha1="0" * 40,
        subject="CN=Demo 演示, O=Demo",
        issuer="CN=Demo 演示, O=Demo",
        serial="1",
        not_before="2020-01-01T00:00:00Z",
        not_after="2050-01-01T00:00:00Z",
    )
    app = AppIdentity(
        package="com.demo.privacy",
        version_name="2.3.1",
        version_code="231",
        label=LABEL,
        min_sdk=21,
        target_sdk=33,
        apk_sha256=APK_SHA,
        file_size=5_432_100,
        signing=Signing(schemes=("v1", "v2"), certificates=(cert,)),
        dex_files=(
            DexFile("classes.dex", 4_000_000, "1" * 64, 5000, 40000),
            DexFile("classes2.dex", 900_000, "2" * 64, 800, 7000),
        ),
        native_abis=("arm64-v8a",),
    )
    manifest = ManifestEvidence(
        permissions=(
            PermissionRequest("android.permission.INTERNET", known=True, protection_level="normal", name_zh="访问网络"),
            PermissionRequest(
                "android.permission.READ_PHONE_STATE",
                known=True,
                protection_level="dangerous",
                runtime=True,
                group="android.permission-group.PHONE",
                group_zh="电话",
                name_zh="读取手机状态和身份",
                pi_types=("imei", "imsi"),
            ),
            PermissionRequest("com.demo.privacy.permission.C2D_MESSAGE"),
        ),
        declared_permissions=("com.demo.privacy.permission.C2D_MESSAGE",),
        application_class="com.demo.privacy.DemoApp",
        launcher_activities=("com.demo.privacy.SplashActivity",),
        components=(
            Component(
                "activity",
                "com.demo.privacy.SplashActivity",
                True,
                "intent-filter",
                intent_actions=("android.intent.action.MAIN",),
                is_launcher=True,
            ),
            Component("activity", "com.demo.privacy.MainActivity", False, "default"),
            Component(
                "provider",
                "com.demo.privacy.InitProvider",
                True,
                "explicit",
                authorities=("com.demo.privacy.init",),
            ),
            Component(
                "service",
                "com.umeng.message.UmengService",
                True,
                "intent-filter",
                permission="com.demo.privacy.permission.C2D_MESSAGE",
            ),
        ),
        meta_data=(MetaData("UMENG_APPKEY", "abc"),),
        package_visibility=PackageVisibility(query_all_packages=True, packages=("com.tencent.mm",)),
        network_security=NetworkSecurity(
            uses_cleartext_attr=True,
            config_resource="res/xml/network_security_config.xml",
            cleartext_permitted_base=True,
            cleartext_domains=("tracker.example.com",),
            trusts_user_cas=True,
        ),
        allow_backup=True,
    )
    sdks = (
        SdkHit(
            sdk_id="umeng_analytics",
            name="Umeng Analytics",
            name_zh="友盟+统计",
            vendor="友盟同欣（北京）科技有限公司",
            categories=("analytics",),
            confidence=Confidence.HIGH,
            class_count=812,
            matches=(SignatureMatch("class_prefix", "com.umeng.analytics", 800, ("com.umeng.analytics.A",)),),
        ),
        SdkHit(
            sdk_id="evil",
            name='<img src=x onerror="alert(1)">',
            name_zh=None,
            vendor=None,
            categories=("ads",),
            confidence=Confidence.LOW,
            class_count=3,
            matches=(SignatureMatch("class_prefix", "com.evil", 3),),
        ),
    )
    startup = StartupEvidence(
        entry_points=(
            EntryPoint("application_oncreate", method(APP_ONCREATE), "com.demo.privacy.DemoApp"),
            EntryPoint("provider_oncreate", MethodRef("Lcom/demo/privacy/InitProvider;", "onCreate", "()Z")),
        ),
        findings=(
            StartupFinding(
                kind="sensitive_api",
                target="telephony.imei",
                pi_types=("imei",),
                entry_point=EntryPoint("application_oncreate", method(APP_ONCREATE)),
                chain=GUARDED_CHAIN,
                guard=ConsentGuard(
                    method=method(APP_ONCREATE),
                    branch_offset=0x1A,
                    condition=GUARD_CONDITION,
                    recognised_by="if-eqz on a SharedPreferences boolean whose key contains 'privacy'",
                ),
            ),
            StartupFinding(
                kind="sdk_init",
                target="umeng_analytics",
                pi_types=("android_id", "oaid"),
                entry_point=EntryPoint("application_oncreate", method(APP_ONCREATE)),
                chain=UNGUARDED_CHAIN,
            ),
        ),
        max_depth=12,
    )
    hints = PolicyHints(
        urls=(
            TextHint("https://www.demo.example/privacy.html", "res/values/strings.xml:privacy_url"),
            TextHint(HOSTILE_URL, "res/values/strings.xml:evil_url"),
        ),
        documents=(PolicyDocument("assets/privacy.html", "asset", 20480, "隐私政策", "zh-Hans", ("隐私政策",)),),
        policy_strings=(TextHint("请阅读《隐私政策》", "res/values/strings.xml:policy_title", ("隐私政策",)),),
        consent_strings=(TextHint(HOSTILE, "res/values/strings.xml:consent_body", ("同意",)),),
        consent_layouts=("res/layout/dialog_privacy.xml",),
    )
    endpoints = (
        Endpoint("api.demo.example", ("https://api.demo.example/v1/login",), ("classes.dex",), "first_party"),
        Endpoint(
            "tracker.example.com",
            ("http://tracker.example.com/pixel.gif",),
            ("classes2.dex",),
            "sdk",
            sdk_id="umeng_analytics",
            cleartext=True,
        ),
    )
    parts = tuple(
        PartStatus(
            name,
            Status.PARTIAL if name == "dex" else Status.OK,
            seconds=0.5,
            errors=(PartError("classes2.dex:Lcom/x/Y;->m()V", "bad opcode 0xff"),) if name == "dex" else (),
        )
        for name in ALL_PARTS
    )
    bundle = EvidenceBundle(
        tool=ToolInfo("appaudit", "0.1.0", "4.1.2"),
        created_at="2025-01-02T03:04:05Z",
        input=InputFile("demo.apk", APK_SHA, 5_432_100),
        parts=parts,
        app=app,
        manifest=manifest,
        sdks=sdks,
        api_calls=(call_site(1), call_site(2, sdk_id="umeng_analytics")),
        startup=startup,
        policy_hints=hints,
        endpoints=endpoints,
        archive_anomalies=("duplicate entry name: classes.dex",),
    )
    return dataclasses.replace(bundle, **overrides)


def minimal_bundle() -> EvidenceBundle:
    """Nothing collected: every optional part None, every step failed."""
    return EvidenceBundle(
        tool=ToolInfo("appaudit", "0.1.0"),
        created_at="2025-01-02T03:04:05Z",
        input=InputFile("broken.apk", APK_SHA, 1234),
        parts=tuple(
            PartStatus(name, Status.FAILED, errors=(PartError("classes.dex", f"{name} exploded"),))
            for name in ALL_PARTS
        ),
    )


# --------------------------------------------------------------------------- a tiny DOM


class Dom(HTMLParser):
    """Elements with their attributes, plus the text inside each <section id=...>."""

    VOID = frozenset({"meta", "link", "br", "img", "input", "hr", "wbr", "source", "area", "base", "col"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_section: dict[str, list[str]] = {}
        self.all_text: list[str] = []
        self._sections: list[str | None] = []  # stack aligned with open <section> elements
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "section":
            self._sections.append(attributes.get("id"))

    def handle_endtag(self, tag):
        if tag == "section" and self._sections:
            self._sections.pop()

    def handle_data(self, data):
        self.all_text.append(data)
        for sid in self._sections:
            if sid:
                self.text_by_section.setdefault(sid, []).append(data)

    def text(self, section: str | None = None) -> str:
        chunks = self.all_text if section is None else self.text_by_section.get(section, [])
        return re.sub(r"\s+", " ", " ".join(chunks))

    def attrs(self, name: str) -> list[str]:
        return [a[name] or "" for _tag, a in self.elements if name in a]


@pytest.fixture(scope="module")
def rich_html() -> str:
    return render_html(rich_bundle(), generated_by=GENERATED_BY)


@pytest.fixture(scope="module")
def rich_dom(rich_html) -> Dom:
    return Dom(rich_html)


# --------------------------------------------------------------------------- content


def test_header_shows_identity_with_chinese_label_intact(rich_dom):
    header = rich_dom.text()
    assert LABEL in header
    expected_facts = (
        "com.demo.privacy",
        "2.3.1",
        "versionCode 231",
        APK_SHA,
        CERT_SHA,
        "21 / 33",
        "5.2 MiB (5,432,100 bytes)",
        "appaudit 0.1.0 (androguard 4.1.2)",
        "2025-01-02T03:04:05Z",
    )
    for expected in expected_facts:
        assert expected in header, expected
    assert "signatures not cryptographically verified" in header
    assert ("html", {"lang": "en"}) in rich_dom.elements  # English only; the bilingual page is tested below


def test_landmarks_and_headings(rich_dom):
    tags = [t for t, _ in rich_dom.elements]
    for landmark in ("header", "nav", "main", "footer", "h1", "h2", "h3"):
        assert landmark in tags, landmark
    section_ids = {a.get("id") for t, a in rich_dom.elements if t == "section"}
    assert {
        "scope",
        "startup",
        "sdks",
        "permissions",
        "api-calls",
        "components",
        "network-security",
        "package-visibility",
        "policy-hints",
        "endpoints",
    } <= section_ids
    # Every section is labelled by its own heading.
    for t, a in rich_dom.elements:
        if t == "section":
            assert ("h2", {"id": a["aria-labelledby"]}) in rich_dom.elements


def test_startup_chain_steps_guard_and_entry_point(rich_html, rich_dom):
    text = rich_dom.text("startup")
    titles = set(rich_dom.attrs("title"))
    for step in UNGUARDED_CHAIN + GUARDED_CHAIN:
        assert step in titles, f"full smali of {step} should be on hover"
        assert step in text, f"full smali of {step} should be in the <details> chain"
        assert shorten_ref(step).member in text
    assert "UMConfigure.init(Context, String, String, int, String)" in text
    assert "Umeng Analytics initialised" in text
    assert "telephony.imei — TelephonyManager.getDeviceId()" in text
    assert GUARD_CONDITION in text
    assert "if-eqz on a SharedPreferences boolean" in text
    assert "No consent guard recognised" in text and "Consent guard recognised" in text
    assert "Application.onCreate" in text
    # The unguarded finding comes first: it is the one an auditor must look at.
    assert text.index("Umeng Analytics initialised") < text.index("telephony.imei")
    assert "details" in [t for t, _ in rich_dom.elements]


def test_sdk_permission_and_endpoint_tables(rich_dom):
    sdks = rich_dom.text("sdks")
    assert "Umeng Analytics" in sdks and "友盟+统计" in sdks and "友盟同欣（北京）科技有限公司" in sdks
    assert "class_prefix: com.umeng.analytics ×800" in sdks
    perms = rich_dom.text("permissions")
    # Dangerous permission first and highlighted.
    assert perms.index("READ_PHONE_STATE") < perms.index("android.permission.INTERNET")
    assert "读取手机状态和身份" in perms and "not in appaudit's permission table" in perms
    endpoints = rich_dom.text("endpoints")
    assert "tracker.example.com" in endpoints and "cleartext http" in endpoints
    visibility = rich_dom.text("package-visibility")
    assert "QUERY_ALL_PACKAGES" in visibility and "requested" in visibility


def test_dangerous_permission_row_is_highlighted():
    view = build_view(rich_bundle(), generated_by=GENERATED_BY)
    table = next(s for s in view.sections if s.id == "permissions").tables[0]
    css_by_name = {row.cells[0].text: row.css for row in table.rows}
    assert css_by_name["android.permission.READ_PHONE_STATE"] == "row-dangerous"
    assert css_by_name["android.permission.INTERNET"] == ""


def test_scope_lists_what_was_not_assessed_and_archive_anomalies(rich_dom):
    scope = rich_dom.text("scope")
    assert "Static analysis only" in scope
    for item in (
        "Network traffic capture",
        "Device runs and UI",
        "Privacy-policy text analysis",
        "The 31-item verdicts",
    ):
        assert item in scope
    assert "Archive anomalies" in scope and "duplicate entry name: classes.dex" in scope
    assert "bad opcode 0xff" in scope  # a partial part lists its errors


def test_partial_dex_marks_code_sections_incomplete(rich_dom):
    for section in ("api-calls", "startup", "sdks", "endpoints"):
        assert "Incomplete" in rich_dom.text(section), section
        assert "“DEX bytecode” partial" in rich_dom.text(section), section
    for section in ("permissions", "components", "policy-hints"):
        assert "Incomplete" not in rich_dom.text(section), section


# --------------------------------------------------------------------------- escaping


def hostile_bundle() -> EvidenceBundle:
    base = rich_bundle()
    return dataclasses.replace(
        base,
        app=dataclasses.replace(base.app, label=HOSTILE, package='com.x"><svg onload=alert(1)>'),
        api_calls=(
            dataclasses.replace(
                call_site(1),
                caller=MethodRef('Lcom/x/"onmouseover=alert(1) x="/Y;', "<b>m</b>", "()V"),
                argument="</td></tr></table><script>alert(2)</script>",
            ),
        ),
        archive_anomalies=("<iframe src=http://evil.example/>",),
    )


def test_hostile_strings_are_only_ever_text():
    html = render_html(hostile_bundle(), generated_by=GENERATED_BY)
    dom = Dom(html)
    tags = {t for t, _ in dom.elements}
    assert not tags & {"script", "iframe", "object", "embed", "b", "foreignobject", "use", "image"}
    for tag, attributes in dom.elements:  # the only images are embedded screenshots
        if tag == "img":
            assert attributes.get("src", "").startswith("data:image/"), attributes
    for tag, attributes in dom.elements:
        assert not [a for a in attributes if a.lower().startswith("on")], (tag, attributes)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Escaped, they are still shown to the reader as they were.
    text = dom.text()
    assert HOSTILE in text
    assert "</td></tr></table><script>alert(2)</script>" in text
    assert HOSTILE_URL in text


def test_urls_from_the_apk_are_text_not_links(rich_dom):
    hrefs = rich_dom.attrs("href")
    assert hrefs, "the contents links should exist"
    assert all(h.startswith("#") for h in hrefs), hrefs
    assert HOSTILE_URL in rich_dom.text("policy-hints")
    assert "https://www.demo.example/privacy.html" in rich_dom.text("policy-hints")


def test_template_never_marks_data_safe():
    source = resources.files("appaudit.report").joinpath("templates", "report.html.j2").read_text("utf-8")
    assert "|safe" not in source.replace(" ", "")
    assert "autoescape" not in source  # no {% autoescape false %} blocks


# --------------------------------------------------------------------------- missing evidence


def test_failed_parts_say_not_assessed_never_none_found():
    html = render_html(minimal_bundle(), generated_by=GENERATED_BY)
    dom = Dom(html)
    sdks = dom.text("sdks")
    assert "Failed — not assessed" in sdks
    assert "This is not a “none found” result" in sdks
    assert "No SDK from appaudit's signature database was found" not in sdks
    for section in (
        "startup",
        "permissions",
        "api-calls",
        "components",
        "network-security",
        "package-visibility",
        "policy-hints",
        "endpoints",
    ):
        assert "not assessed" in dom.text(section).lower(), section
        assert "None found" not in dom.text(section)
    assert "No component is exported" not in html
    assert "The app requests no permission" not in html
    scope = dom.text("scope")
    assert "9 evidence parts failed or not recorded" in scope
    assert "sdks exploded" in scope
    # The first screen says the static evidence failed, and the contents mark each section, never "0".
    view = build_view(minimal_bundle(), generated_by="x")
    static = next(e for e in view.overview.scope if e.label == "static analysis")
    assert static.state.text == "failed" and static.state.css == "b-bad"
    nav = {item.href: item.css for item in view.nav}
    for section in ("#startup", "#sdks", "#permissions", "#api-calls", "#endpoints"):
        assert nav[section] == "st-failed", section
    assert "failed" in dom.text("overview")
    # Identity failed: the header still shows what the input file is.
    assert "broken.apk" in dom.text() and APK_SHA in dom.text()


def test_failed_part_is_visually_distinct():
    view = build_view(minimal_bundle(), generated_by=GENERATED_BY)
    sdks = next(s for s in view.sections if s.id == "sdks")
    assert sdks.availability.state == "failed" and sdks.availability.css == "st-failed"
    assert sdks.tables[0].empty_css == "empty-not-assessed"
    assert sdks.tables[0].count_text == ""  # no misleading "0"
    all_ok = tuple(PartStatus(name, Status.OK) for name in ALL_PARTS)
    ok_view = build_view(rich_bundle(sdks=(), parts=all_ok), generated_by=GENERATED_BY)
    ok_sdks = next(s for s in ok_view.sections if s.id == "sdks")
    assert ok_sdks.tables[0].empty_css == "empty-none"
    assert ok_sdks.tables[0].empty_text == "No SDK from appaudit's signature database was found."
    # With the DEX parse incomplete, an empty SDK list is only inconclusive.
    partial_view = build_view(rich_bundle(sdks=()), generated_by=GENERATED_BY)
    partial_sdks = next(s for s in partial_view.sections if s.id == "sdks")
    assert partial_sdks.tables[0].empty_css == "empty-partial"
    assert "inconclusive" in partial_sdks.tables[0].empty_text


def test_parts_that_were_never_recorded_are_flagged():
    bundle = dataclasses.replace(minimal_bundle(), parts=())
    dom = Dom(render_html(bundle, generated_by=GENERATED_BY))
    assert "not recorded" in dom.text("scope")
    assert "Not assessed: this run recorded no “Embedded SDKs” step" in dom.text("sdks")
    assert "This is not a “none found” result" in dom.text("sdks")


def test_skipped_part_is_not_reported_as_clean():
    parts = tuple(
        PartStatus(p.name, Status.SKIPPED, note="not requested") if p.name == "endpoints" else p
        for p in rich_bundle().parts
    )
    dom = Dom(render_html(rich_bundle(parts=parts, endpoints=()), generated_by=GENERATED_BY))
    assert "Skipped — not assessed" in dom.text("endpoints")
    assert "No network endpoint was found" not in dom.text("endpoints")


def test_budget_exhausted_search_is_inconclusive():
    base = rich_bundle()
    startup = dataclasses.replace(base.startup, findings=(), budget_exhausted=True)
    dom = Dom(render_html(dataclasses.replace(base, startup=startup), generated_by=GENERATED_BY))
    text = dom.text("startup")
    assert "Search cut short" in text
    assert "absence of a finding is inconclusive" in text
    assert "No finding before the search was cut — inconclusive" in text
    assert "No sensitive API or SDK initialisation was found" not in text


def test_long_tables_are_capped_with_a_count():
    calls = tuple(call_site(i) for i in range(250))
    dom = Dom(render_html(rich_bundle(api_calls=calls), generated_by=GENERATED_BY, max_rows=200))
    text = dom.text("api-calls")
    assert "and 50 more call sites not shown" in text
    assert "250" in text
    view = build_view(rich_bundle(api_calls=calls), generated_by=GENERATED_BY, max_rows=200)
    sites = next(s for s in view.sections if s.id == "api-calls").tables[1]
    assert len(sites.rows) == 200 and sites.total == 250 and sites.count_text == "250"


# --------------------------------------------------------------------------- self-contained, stable


def test_no_external_resource_is_referenced(rich_html):
    html = render_html(hostile_bundle(), generated_by=GENERATED_BY) + rich_html
    # Inside tags only: the escaped "&lt;iframe src=http://…" from the APK is text, and shown as such.
    attribute = r"""<[a-zA-Z][^<>]*?\s(?:src|href|action|srcset|poster|data|background)\s*=\s*["']?([^"'\s>]*)"""
    references = re.findall(attribute, html)
    assert references and all(ref.startswith("#") for ref in references), references
    assert "&lt;iframe src=http://evil.example/&gt;" in html
    assert not re.search(r"url\s*\(", html, re.IGNORECASE)
    assert "@import" not in html and "@font-face" not in html
    assert "<link" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "@media print" in html


def test_output_is_deterministic_and_survives_the_json_round_trip(rich_html):
    assert render_html(rich_bundle(), generated_by=GENERATED_BY) == rich_html
    reloaded = codec.loads(codec.dumps(rich_bundle()))
    assert render_html(reloaded, generated_by=GENERATED_BY) == rich_html


def test_write_html_writes_utf8(tmp_path):
    target = tmp_path / "report.html"
    write_html(rich_bundle(), target)
    text = target.read_text(encoding="utf-8")
    assert LABEL in text and text.startswith("<!DOCTYPE html>")
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    ("ref", "package", "member"),
    [
        (APP_ONCREATE, "com.demo.privacy.", "DemoApp.onCreate()"),
        (UMENG_INIT, "com.umeng.commonsdk.", "UMConfigure.init(Context, String, String, int, String)"),
        ("La/b;->m([I[[Ljava/lang/Object;J)V", "a.", "b.m(int[], Object[][], long)"),
        ("LTop;-><clinit>()V", "", "Top.<clinit>()"),
        ("Landroid/os/Build;->SERIAL:Ljava/lang/String;", "android.os.", "Build.SERIAL"),
        ("not smali at all", "", "not smali at all"),
    ],
)
def test_shorten_ref(ref, package, member):
    step = shorten_ref(ref)
    assert (step.package, step.member, step.full) == (package, member, ref)


# --------------------------------------------------------------------------- real browser

SECTION_HEADINGS = (
    "Does this app comply?",
    "The 31 items",
    "Scope and what was not validated",
    "Start-up: reachable before consent",
    "Embedded SDKs",
    "Permissions",
    "Sensitive API call sites",
    "Components",
    "Network security",
    "Package visibility",
    "Privacy-policy hints",
    "Network endpoints",
)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_html(rich_bundle(), path, generated_by=GENERATED_BY)
    return path


@pytest.mark.browser
def test_trap_sees_a_page_that_does_fetch(tmp_path):
    """Control for the no-network test: the trap must catch a page that loads something."""
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><img src="http://tracker.example.com/pixel.gif">', encoding="utf-8")
    with browser.connection_trap() as trap:
        browser.dump_dom(page, resolver_rules=trap.resolver_rules)
    assert "tracker.example.com" in trap.page_requests, trap.hosts


@pytest.mark.browser
def test_chromium_renders_the_report_without_network(report_file):
    with browser.connection_trap() as trap:
        dom = browser.dump_dom(report_file, resolver_rules=trap.resolver_rules)
    assert trap.page_requests == [], f"the report made network requests: {trap.hosts}"
    parsed = Dom(dom)
    headings = [parsed_text.strip() for parsed_text in re.findall(r"<h2[^>]*>(.*?)</h2>", dom, re.S)]
    for heading in SECTION_HEADINGS:
        assert any(h.startswith(heading) for h in headings), (heading, headings)
    assert LABEL in parsed.text()
    assert "Generated by appaudit 0.1.0 (test)" in parsed.text()  # the page rendered to the end
    assert "script" not in {t for t, _ in parsed.elements}


@pytest.mark.browser
def test_chromium_screenshot_is_a_real_page(report_file, tmp_path):
    png = tmp_path / "report.png"
    with browser.connection_trap() as trap:
        browser.screenshot(report_file, png, size=(1280, 1600), resolver_rules=trap.resolver_rules)
    assert trap.page_requests == [], trap.hosts
    assert png.stat().st_size > 10_000
    image = browser.read_png(png, max_rows=700)
    assert image.width == 1280
    samples = {image.pixel(x, y) for x in range(0, image.width, 64) for y in range(0, image.height, 35)}
    assert len(samples) >= 4, samples
    header, body = image.pixel(image.width - 5, 5), image.pixel(image.width - 5, image.height - 5)
    assert sum(header) < 200, f"the header band should be dark, got {header}"
    assert sum(body) > 700, f"the page body should be light, got {body}"


def test_sdk_usage_is_shown_with_its_evidence(tmp_path) -> None:
    from pathlib import Path

    from appaudit.pipeline import scan_apk
    from appaudit.report.html import render_html

    apk = Path(__file__).resolve().parent.parent / "fixtures" / "apps" / "compliant" / "compliant.apk"
    html = render_html(scan_apk(apk).bundle, generated_by="test")
    assert "initialised at start-up behind a consent check" in html
    assert "SdkBootstrap;-&gt;start" in html  # the usage evidence (a chain), escaped


def test_many_startup_findings_are_capped_and_summarised_never_dropped() -> None:
    from dataclasses import replace
    from pathlib import Path

    from appaudit.pipeline import scan_apk
    from appaudit.report.html import render_html
    from appaudit.report.view.startup import MAX_FINDING_CARDS

    apk = Path(__file__).resolve().parent.parent / "fixtures" / "apps" / "violating" / "violating.apk"
    bundle = scan_apk(apk).bundle
    template = next(f for f in bundle.startup.findings if f.target == "tm_getDeviceId")
    many = tuple(
        replace(template, chain=(*template.chain[:-1], f"Lcom/x/Caller{i};->read()V", template.chain[-1]))
        for i in range(500)
    )
    bundle = replace(bundle, startup=replace(bundle.startup, findings=bundle.startup.findings + many))
    html = render_html(bundle, generated_by="test", lang="en")
    assert html.count('class="finding unguarded"') == MAX_FINDING_CARDS
    shown_targets = {f.target for f in bundle.startup.findings}
    for target in shown_targets:  # every target keeps at least one full card
        assert f">{target}<" in html
    hidden = len(bundle.startup.findings) - MAX_FINDING_CARDS
    assert f"{hidden:,} further findings, summarised" in html


def test_auditor_verdicts_are_marked_human_in_the_report() -> None:
    from pathlib import Path

    from appaudit.checker.assessment import apply_assessments, load_assessments
    from appaudit.checker.run import evaluate
    from appaudit.pipeline import scan_apk
    from appaudit.report.html import render_html

    root = Path(__file__).resolve().parent.parent
    bundle = scan_apk(root / "fixtures" / "apps" / "violating" / "violating.apk").bundle
    reviewed = apply_assessments(evaluate(bundle), load_assessments(root / "fixtures" / "assessments" / "valid.yaml"))
    html = render_html(bundle, generated_by="test", check=reviewed, lang="en")
    dom = Dom(html)
    human = re.findall(r'<div class="notice n-human".*?</div>\s*</div>', html, re.S)
    assert len(human) >= 2, "every auditor verdict is shown as a person's judgement"
    first = Dom(human[0]).text()
    assert "Auditor's judgement (a person decided this, not appaudit)" in first
    assert "Li Wei" in first and "2026-11-20" in first and "violation" in first  # the machine verdict it replaced
    assert "诱导用户同意" in dom.text()  # the auditor's note replaces the machine summary
    assert 'title="auditor&#39;s verdict"' in html
