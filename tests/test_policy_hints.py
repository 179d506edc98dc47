"""PolicyHints from the fixture APKs, copies of them with extra documents, and the keyword rules."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest
from apk_factory import build_apk, copy_with_entries

from appaudit.evidence.model import PartError, PolicyDocument, TextHint
from appaudit.knowledge.loader import read_packaged_yaml
from appaudit.static import policy_hints as hints_module
from appaudit.static.androguard_adapter import AndroguardAdapter
from appaudit.static.archive import open_apk
from appaudit.static.policy_hints import (
    build_policy_hints,
    decode_text,
    detect_language,
    dex_string_needles,
    load_policy_keywords,
    summarise_errors,
)

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
COMPLIANT = APPS / "compliant" / "compliant.apk"
VIOLATING = APPS / "violating" / "violating.apk"
SDK_ZOO = APPS / "sdk-zoo" / "sdk-zoo.apk"


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


def hints_of(apk: Path, with_dex: bool = True):
    with open_apk(apk) as archive:
        strings = [s for name in archive.dex_names() for s in dex_strings(archive.read(name), name)] if with_dex else []
        return build_policy_hints(archive, AndroguardAdapter.open(archive), strings)


# --------------------------------------------------------------------------- fixture apps


def test_compliant_app_hints():
    hints, errors = hints_of(COMPLIANT)
    assert errors == ()
    (document,) = hints.documents
    assert document == PolicyDocument(
        path="assets/privacy_policy.html",
        kind="asset",
        size=document.size,
        title="隐私政策",
        language="zh-Hans",
        keywords=document.keywords,
    )
    assert document.size == zipfile.ZipFile(COMPLIANT).getinfo("assets/privacy_policy.html").file_size
    assert "隐私政策" in document.keywords
    assert hints.urls == (
        TextHint("https://www.example.com/privacy", "res/values/strings.xml:privacy_policy_url", ("privacy",)),
    )
    policy_locations = [h.location for h in hints.policy_strings]
    assert policy_locations == [
        "res/values/strings.xml:consent_message",
        "res/values/strings.xml:consent_title",
        "res/values/strings.xml:privacy_link",
    ]
    consent = {h.location: h.keywords for h in hints.consent_strings}
    assert consent == {
        "res/values/strings.xml:consent_message": ("同意",),
        "res/values/strings.xml:consent_agree": ("同意",),
        "res/values/strings.xml:consent_refuse": ("不同意",),  # not also 同意: refuse words are masked first
    }
    assert hints.consent_layouts == ("res/layout/dialog_consent.xml",)


@pytest.mark.parametrize("apk", [VIOLATING, SDK_ZOO])
def test_apps_without_policy_have_no_hints(apk):
    hints, errors = hints_of(apk)
    assert errors == ()
    assert (
        hints.urls,
        hints.documents,
        hints.policy_strings,
        hints.consent_strings,
        hints.consent_layouts,
    ) == (
        (),
        (),
        (),
        (),
        (),
    )


def test_dex_identifiers_are_not_policy_text():
    # compliant's classes.dex holds the preference keys "privacy" and "privacy_agreed"
    with open_apk(COMPLIANT) as archive:
        values = [v for v, _ in dex_strings(archive.read("classes.dex"), "classes.dex")]
    assert {"privacy", "privacy_agreed"} <= set(values)
    hints, _ = hints_of(COMPLIANT)
    assert not [h for h in (*hints.policy_strings, *hints.consent_strings) if h.location == "classes.dex"]


# --------------------------------------------------------------------------- documents

ZH_HANT_MD = (
    "# 隱私權政策\n\n本應用程式非常重視您的隱私。我們會依照個人資料保護法處理您的資料，並說明我們如何蒐集與使用資訊。\n"
)
EN_TXT = "PRIVACY POLICY\n\nThis Privacy Policy explains how we collect, use and share information about you.\n"
GBK_HTML = (
    "<html><head><title>用户协议</title></head><body><h1>协议</h1><p>请阅读本用户协议和隐私政策。</p></body></html>"
)


def test_documents_by_name_and_content(tmp_path):
    apk = copy_with_entries(
        VIOLATING,
        tmp_path / "docs.apk",
        {
            "assets/yinsi.md": ZH_HANT_MD.encode(),
            "res/raw/terms.txt": EN_TXT.encode(),
            "assets/web/agreement_page.htm": GBK_HTML.encode("gb18030"),
            "assets/readme.txt": b"Nothing to see here, just some release notes about privacy.",
            "assets/data.bin": "隐私政策".encode(),
        },
    )
    hints, errors = hints_of(apk, with_dex=False)
    assert errors == ()
    documents = {d.path: d for d in hints.documents}
    assert set(documents) == {"assets/yinsi.md", "res/raw/terms.txt", "assets/web/agreement_page.htm"}
    assert (documents["assets/yinsi.md"].title, documents["assets/yinsi.md"].language) == (
        "隱私權政策",
        "zh-Hant",
    )
    assert documents["assets/yinsi.md"].kind == "asset"
    terms = documents["res/raw/terms.txt"]
    assert (terms.kind, terms.title, terms.language) == ("raw_resource", "PRIVACY POLICY", "en")
    page = documents["assets/web/agreement_page.htm"]
    assert (page.title, page.language) == ("用户协议", "zh-Hans")  # decoded as GB18030
    assert "用户协议" in page.keywords


def test_oversized_policy_document_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(hints_module, "MAX_DOCUMENT_BYTES", 10)
    apk = copy_with_entries(VIOLATING, tmp_path / "big.apk", {"assets/privacy.html": b"<title>Privacy</title>" * 4})
    hints, errors = hints_of(apk, with_dex=False)
    assert hints.documents == ()
    assert [e.scope for e in errors] == ["assets/privacy.html"]


# --------------------------------------------------------------------------- DEX strings


def test_dex_strings_feed_policy_and_consent_hints():
    strings = [
        ("请阅读《隐私政策》，点击同意并继续", "classes.dex"),
        ("不同意", "classes.dex"),  # a button label next to policy text in the same DEX
        ("同意", "classes2.dex"),  # no policy text in classes2.dex: not a consent hint
        ("https://h5.example.cn/#/xieyi?from=app", "classes2.dex"),
        ("com.example.PrivacyActivity", "classes2.dex"),
    ]
    with open_apk(VIOLATING) as archive:
        hints, _ = build_policy_hints(archive, AndroguardAdapter.open(archive), strings)
    assert hints.policy_strings == (TextHint("请阅读《隐私政策》，点击同意并继续", "classes.dex", ("隐私政策",)),)
    assert hints.consent_strings == (
        TextHint("请阅读《隐私政策》，点击同意并继续", "classes.dex", ("同意并继续", "同意")),
        TextHint("不同意", "classes.dex", ("不同意",)),
    )
    assert hints.urls == (TextHint("https://h5.example.cn/#/xieyi?from=app", "classes2.dex", ("xieyi",)),)


# --------------------------------------------------------------------------- layouts (apktool)

LAYOUT = """\
<?xml version="1.0" encoding="utf-8"?>
<LinearLayout xmlns:android="http://schemas.android.com/apk/res/android"
    android:layout_width="match_parent" android:layout_height="wrap_content">
{body}
</LinearLayout>
"""


def test_layouts_with_literal_text(tmp_path):
    text_view = '<TextView android:layout_width="1dp" android:layout_height="1dp" android:text="{}"/>'
    files = {
        "AndroidManifest.xml": '<?xml version="1.0" encoding="utf-8"?>\n<manifest '
        'xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.layouts">'
        "<application/></manifest>\n",
        "res/layout/agreement.xml": LAYOUT.format(
            body="\n".join(text_view.format(t) for t in ("请阅读隐私协议", "同意并继续", "暂不使用"))
        ),
        "res/layout/buttons_only.xml": LAYOUT.format(body=text_view.format("同意")),
        "res/layout/plain.xml": LAYOUT.format(body=text_view.format("Hello")),
    }
    apk = build_apk(tmp_path, "layouts.apk", files, min_sdk=21, target_sdk=30, version_code=1, version_name="1")

    hints, errors = hints_of(apk, with_dex=False)
    assert errors == ()
    assert hints.consent_layouts == ("res/layout/agreement.xml",)
    assert hints.policy_strings == (TextHint("请阅读隐私协议", "res/layout/agreement.xml", ("隐私协议",)),)
    assert hints.consent_strings == (
        TextHint("同意并继续", "res/layout/agreement.xml", ("同意并继续", "同意")),
        TextHint("暂不使用", "res/layout/agreement.xml", ("暂不使用",)),
    )


# --------------------------------------------------------------------------- keyword rules


@pytest.mark.parametrize(
    ("text", "refuse", "agree"),
    [
        ("不同意", ("不同意",), ()),
        ("同意并继续", (), ("同意并继续", "同意")),
        ("不同意并退出", ("不同意并退出", "不同意"), ()),
        ("暂不使用", ("暂不使用",), ()),
        ("Disagree", ("Disagree",), ()),
        ("I agree", (), ("I agree", "Agree")),
        ("同意 / 不同意", ("不同意",), ("同意",)),
        ("agreement", (), ()),  # word boundaries for English phrases
    ],
)
def test_refuse_words_are_checked_before_agree_words(text, refuse, agree):
    assert load_policy_keywords().consent_matches(text) == (refuse, agree)


def test_policy_phrases_respect_word_boundaries():
    kw = load_policy_keywords()
    assert kw.policy_matches("Read our Privacy Policy") == ("Privacy Policy", "privacy")
    assert kw.policy_matches("privacy_mode") == ()
    assert kw.policy_matches("隐私政策与个人信息保护指引") == ("隐私政策", "个人信息保护")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("我们非常重视您的个人信息和隐私保护，本政策说明我们如何收集和使用这些信息。", "zh-Hans"),
        ("我們非常重視您的個人資訊和隱私保護，本政策說明我們如何蒐集和使用這些資訊。", "zh-Hant"),
        ("We value your privacy. This policy explains what we collect and why we collect it.", "en"),
        ("OK", None),
        ("隐私", None),
    ],
)
def test_language_detection(text, language):
    assert detect_language(text) == language


def test_decode_text_handles_boms_and_gb18030():
    assert decode_text("隐私".encode("gb18030")) == "隐私"
    assert decode_text("\ufeff隐私".encode()) == "隐私"
    assert decode_text("隐私".encode("utf-16")) == "隐私"


def test_keyword_file_documents_every_list():
    _source, doc = read_packaged_yaml("policy_keywords.yaml")
    lists = {k: v for k, v in doc.items() if k != "schema_version"}
    assert set(lists) == {
        "policy_phrases",
        "refuse_phrases",
        "agree_phrases",
        "policy_url_words",
        "document_name_words",
        "document_extensions",
        "simplified_only_chars",
        "traditional_only_chars",
    }
    for key, section in lists.items():
        assert section["description"].strip() and section["source"].strip(), key
        assert section["entries"], key
    simplified, traditional = (set(doc[k]["entries"]) for k in ("simplified_only_chars", "traditional_only_chars"))
    assert not simplified & traditional


def test_long_error_lists_are_summarised():
    errors = [PartError(f"assets/{i}.txt", "corrupt") for i in range(25)]
    summary = summarise_errors(errors)
    assert summary[:20] == tuple(errors[:20])
    assert summary[20] == PartError("(more)", "... and 5 more errors of the same scan")
    assert summarise_errors(errors[:3]) == tuple(errors[:3])


def test_dex_string_needles_cover_the_lexicon():
    needles = dex_string_needles()
    assert b"://" in needles
    for text in (
        "请阅读隐私政策",
        "暂不使用",
        "不同意",
        "Privacy Policy",
        "PRIVACY",
        "Decline",
        "隱私權政策",
    ):
        assert any(n in text.encode() for n in needles), text
