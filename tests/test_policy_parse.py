"""Parsing policy documents: sentences and offsets, tables, encodings, language, classification, hostile input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from appaudit.policy.parse import MAX_INPUT_BYTES, MAX_SENTENCES, ParsedPolicy, parse_policy
from appaudit.policy.sentences import split_sentences

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "policies"
DOCUMENTS = sorted(p for p in FIXTURES.iterdir() if not p.name.endswith(".yaml"))


def parse(data: bytes | str, content_type: str | None = None, doc_id: str = "d0") -> ParsedPolicy:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return parse_policy(raw, doc_id=doc_id, source="auditor", location="test", content_type=content_type)


def texts(parsed: ParsedPolicy) -> list[str]:
    return [s.text for s in parsed.text.sentences]


def assert_offsets(parsed: ParsedPolicy) -> None:
    plain = parsed.plain_text
    assert parsed.text.chars == len(plain)
    for index, sentence in enumerate(parsed.text.sentences):
        assert sentence.id == f"{parsed.text.id}.s{index}"
        assert plain[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip() and sentence.text


POLICY_BODY = "".join(
    f"<p>第{i}条：我们会收集您的手机号码和设备信息，用于提供服务。您的个人信息受到保护。</p>" for i in range(8)
)


# --------------------------------------------------------------------------- sentences and offsets


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_fixture_offsets(path: Path) -> None:
    parsed = parse(path.read_bytes())
    assert_offsets(parsed)
    assert parsed.text.sentences


def test_sentences_sections_and_headings() -> None:
    parsed = parse((FIXTURES / "good_complete_zh.html").read_bytes())
    by_text = {s.text: s for s in parsed.text.sentences}
    rule = by_text["当您注册星河阅读账号时，我们会收集您的手机号码，用于创建账号和验证身份。"]
    assert rule.section == "（一）注册与登录"
    index = parsed.text.sentences.index(rule)
    assert parsed.section_paths[index] == ("星河阅读隐私政策", "一、我们如何收集和使用您的个人信息", "（一）注册与登录")
    assert "四、如何联系我们" in parsed.headings
    # a list item is its own sentence
    assert "电子邮箱：privacy@xinghe-reader.cn" in by_text


def test_script_style_and_hidden_text_never_appear() -> None:
    parsed = parse(
        "<html><head><style>p{color:red}</style><script>var s='我们会收集您的通讯录';</script></head><body>"
        "<noscript>请启用脚本</noscript><template><p>模板里的假政策</p></template>"
        "<div style='display: none'>隐藏的假条款</div><p>真实正文。</p></body></html>"
    )
    assert texts(parsed) == ["真实正文。"]
    assert "通讯录" not in parsed.plain_text


def test_chinese_splitting_keeps_closing_quotes_and_splits_semicolons() -> None:
    text = "我们会收集：手机号码；设备信息。您可以点击“同意”。是否继续？好的！"
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "我们会收集：手机号码；", "设备信息。", "您可以点击“同意”。", "是否继续？", "好的！",
    ]  # fmt: skip


def test_english_splitting_respects_abbreviations_and_decimals() -> None:
    text = "We use identifiers, e.g. Android ID. Version 2.1 applies to Acme Inc. users. See www.example.com. Done!"
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "We use identifiers, e.g. Android ID.",
        "Version 2.1 applies to Acme Inc. users.",
        "See www.example.com.",
        "Done!",
    ]


def test_bold_and_numbered_paragraphs_are_headings() -> None:
    parsed = parse(
        "<p><strong>一、我们如何收集和使用您的个人信息</strong></p><p>（二）设备权限</p>"
        "<p><b>注意：</b>这是一个普通段落，不是标题。</p><p>1. 我们会收集您的位置信息。</p>"
    )
    assert parsed.headings == ("一、我们如何收集和使用您的个人信息", "（二）设备权限")
    assert texts(parsed)[-1] == "1. 我们会收集您的位置信息。"


# --------------------------------------------------------------------------- tables


def test_tables_with_thead_colspan_rowspan_and_nested_markup() -> None:
    html = (
        "<h2>第三方SDK清单</h2><table><thead><tr><th>SDK名称</th><th>第三方名称</th><th>目的</th></tr></thead>"
        "<tbody><tr><td><p><span>微信SDK</span></p></td><td rowspan='2'>腾讯</td><td>登录<br>分享</td></tr>"
        "<tr><td>QQ SDK</td><td>登录</td></tr>"
        "<tr><td colspan='2'>合计</td><td><table><tr><td>内</td><td>表</td></tr></table></td></tr></tbody></table>"
    )
    parsed = parse(html)
    (table,) = parsed.tables
    assert table.headers == ("SDK名称", "第三方名称", "目的")
    assert table.rows == (("微信SDK", "腾讯", "登录；分享"), ("QQ SDK", "腾讯", "登录"), ("合计", "", "内表"))
    assert table.section == "第三方SDK清单"
    sentences = {s.id: s.text for s in parsed.text.sentences}
    assert [sentences[i] for i in table.row_sentences] == [
        "微信SDK | 腾讯 | 登录；分享",
        "QQ SDK | 腾讯 | 登录",
        "合计 |  | 内表",
    ]
    assert sentences[table.header_sentence] == "SDK名称 | 第三方名称 | 目的"
    assert_offsets(parsed)


def test_td_header_row_is_recognised_and_unclosed_cells_close() -> None:
    parsed = parse("<table><tr><td>业务功能<td>个人信息<td>目的<tr><td>注册<td>手机号码<td>创建账号</table>")
    (table,) = parsed.tables
    assert table.headers == ("业务功能", "个人信息", "目的")
    assert table.rows == (("注册", "手机号码", "创建账号"),)


# --------------------------------------------------------------------------- plain text and PDF-like text


def test_pdf_like_text_joins_lines_and_drops_page_furniture() -> None:
    parsed = parse((FIXTURES / "pdf_like_zh.txt").read_bytes())
    assert "第 1 页" not in parsed.plain_text and "共 3 页" not in parsed.plain_text
    assert parsed.plain_text.count("云游天气隐私政策") == 1  # the running header is kept once, as the title
    assert "我们将通过本政策向您说明我们如何收集、使用、共享和保护您的个人信息，请您仔细阅读。" in texts(parsed)
    assert parsed.text.title == "云游天气隐私政策"
    assert "（一）天气预报" in parsed.headings


def test_plain_english_text() -> None:
    body = "Privacy Policy\n\nWe collect your IP address\nto prevent fraud. We keep it\nfor 30 days.\n"
    parsed = parse(body)
    assert texts(parsed) == [
        "Privacy Policy",
        "We collect your IP address to prevent fraud.",
        "We keep it for 30 days.",
    ]
    assert parsed.text.language == "en"


# --------------------------------------------------------------------------- encodings


def test_gbk_fixture_is_decoded_from_its_meta_charset() -> None:
    parsed = parse((FIXTURES / "gbk_policy_zh.html").read_bytes())
    assert parsed.text.title == "智行公交隐私政策"
    assert "为便于您找回账号，我们会收集您的手机号码。" in texts(parsed)
    assert parsed.notes == ()


def test_undeclared_gbk_falls_back_with_a_note() -> None:
    parsed = parse("<p>我们会收集您的手机号码。</p>".encode("gbk"))
    assert texts(parsed) == ["我们会收集您的手机号码。"]
    assert any("GB18030" in n for n in parsed.notes)


def test_content_type_charset_and_bom() -> None:
    assert texts(parse("<p>隐私政策正文。</p>".encode("gbk"), content_type="text/html; charset=GBK")) == [
        "隐私政策正文。"
    ]
    assert texts(parse("\ufeff<p>正文。</p>".encode("utf-16-le"))) == ["正文。"]
    assert texts(parse(b"\xef\xbb\xbf<p>\xe6\xad\xa3\xe6\x96\x87\xe3\x80\x82</p>")) == ["正文。"]


def test_wrong_declared_charset_is_overridden_with_a_note() -> None:
    parsed = parse('<meta charset="gbk"><p>我们会收集您的位置信息。</p>'.encode())
    assert texts(parsed) == ["我们会收集您的位置信息。"]
    assert "declared charset gb18030 does not decode the document; read as utf-8" in parsed.notes


def test_mixed_encodings_replace_and_note() -> None:
    data = "<p>第一段是UTF-8文本。</p>".encode() + "<p>第二段是GBK文本。</p>".encode("gbk") + b"\xff\xfe\xff"
    parsed = parse(data)
    assert "第一段是UTF-8文本。" in texts(parsed)
    assert any("no encoding decodes every byte" in n for n in parsed.notes)
    assert_offsets(parsed)


def test_unknown_charset_is_ignored_with_a_note() -> None:
    parsed = parse('<meta charset="x-klingon"><p>正文。</p>'.encode())
    assert texts(parsed) == ["正文。"]
    assert any("unknown charset 'x-klingon'" in n for n in parsed.notes)


# --------------------------------------------------------------------------- language and classification


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("<p>我们会保护您的个人信息和隐私权。</p>", "zh-Hans"),
        ("<p>我們會保護您的個人資訊與隱私權。</p>", "zh-Hant"),
        ("<p>We protect your personal information.</p>", "en"),
        ("<p>本App使用Firebase Analytics和AppsFlyer统计数据。</p>", "zh-Hans"),
        ("<p>12345 !!!</p>", None),
    ],
)
def test_language_detection(text: str, language: str | None) -> None:
    assert parse(text).text.language == language


@pytest.mark.parametrize(
    ("name", "is_policy"),
    [
        ("good_complete_zh.html", True),
        ("english_policy.html", True),
        ("pdf_like_zh.txt", True),
        ("traditional_zh_hant.html", True),
        ("user_agreement_zh.html", False),
        ("stub_zh.html", False),
    ],
)
def test_is_privacy_policy_for_fixtures(name: str, is_policy: bool) -> None:
    parsed = parse((FIXTURES / name).read_bytes())
    assert parsed.text.is_privacy_policy is is_policy
    assert any(n.startswith("not read as a privacy policy") for n in parsed.notes) is not is_policy


def test_unrelated_page_and_untitled_policy() -> None:
    news = "<h1>本周新书推荐</h1>" + "<p>这是一本关于旅行的书，作者走遍了全国各地，记录了沿途的风景和人情。</p>" * 10
    assert parse(news).text.is_privacy_policy is False
    untitled = "<h2>一、我们如何收集和使用您的个人信息</h2>" + POLICY_BODY
    assert parse(untitled).text.is_privacy_policy is True


# --------------------------------------------------------------------------- hostile input


def test_empty_and_whitespace_documents() -> None:
    for data in (b"", b"   \n\t ", b"<html><body></body></html>"):
        parsed = parse(data)
        assert parsed.text.sentences == () and parsed.text.is_privacy_policy is False
    assert parse(b"").notes == ("empty document",)


def test_binary_garbage_and_pdf_files() -> None:
    garbage = bytes(range(256)) * 400
    parsed = parse(garbage)
    assert parsed.text.sentences == ()
    assert any("binary" in n for n in parsed.notes)
    pdf = parse(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    assert any("PDF" in n for n in pdf.notes) and pdf.text.sentences == ()


def test_broken_html_does_not_raise() -> None:
    broken = (
        "<html><body><p>我们会收集<b>您的<i>位置信息。<table><tr><td>未闭合<div><p>第二段</span></span></html></td>"
    )
    parsed = parse(broken + "<<<>>>&&#xZZ;<!-- 未闭合注释")
    assert "我们会收集您的位置信息。" in texts(parsed)
    assert_offsets(parsed)


def test_deeply_nested_tags_take_linear_time() -> None:
    depth = 100_000
    html = "<div><span><b>" * depth + "深层文本。" + "</b></span></div>" * depth
    started = time.perf_counter()
    parsed = parse(html)
    assert texts(parsed) == ["深层文本。"]
    assert time.perf_counter() - started < 10


def test_huge_document_is_cut_with_a_note() -> None:
    line = "我们会收集您的手机号码，用于注册账号。\n"
    data = (line * (MAX_INPUT_BYTES // len(line.encode()) + 5000)).encode()
    assert len(data) > MAX_INPUT_BYTES
    started = time.perf_counter()
    parsed = parse(data)
    assert time.perf_counter() - started < 15
    assert any("only the first" in n for n in parsed.notes)
    assert any(f"more than {MAX_SENTENCES:,} sentences" in n for n in parsed.notes)
    assert len(parsed.text.sentences) == MAX_SENTENCES
    assert parsed.text.sentences[-1].text == "我们会收集您的手机号码，用于注册账号。"


def test_cut_never_splits_a_multibyte_character() -> None:
    from appaudit.policy.parse import _cut

    data = ("隐私" * 10 + "\n").encode() * 10
    for limit in range(30, 200, 7):
        _cut(data, limit).decode("utf-8")  # raises if a character was split
