"""Extraction from privacy policies: every fixture in fixtures/policies/ against its expected YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from appaudit.knowledge.sdk_db import load_sdk_database
from appaudit.policy.channels import chinese_number
from appaudit.policy.extract import analyse_policies, readability_of
from appaudit.policy.lexicon import load_policy_lexicon
from appaudit.policy.parse import parse_policy
from appaudit.policy.sdk_match import SdkMatcher

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "policies"
EXPECTED = sorted(FIXTURES.glob("*.expected.yaml"))


def _parse(name: str, doc_id: str = "d0"):
    return parse_policy((FIXTURES / name).read_bytes(), doc_id=doc_id, source="auditor", location=name)


def _quote(evidence, sentence_id: str) -> str:
    sentence = evidence.sentence(sentence_id)
    assert sentence is not None, sentence_id
    return sentence.text


def test_every_fixture_has_expectations() -> None:
    documents = {p.name for p in FIXTURES.iterdir() if not p.name.endswith(".yaml")}
    expected = {yaml.safe_load(p.read_text(encoding="utf-8"))["file"] for p in EXPECTED}
    assert documents == expected
    assert len(expected) >= 10


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name.removesuffix(".expected.yaml"))
def test_fixture_extraction(path: Path) -> None:
    want = yaml.safe_load(path.read_text(encoding="utf-8"))
    parsed = _parse(want["file"])
    evidence = analyse_policies([parsed])
    text = parsed.text
    assert (text.title, text.language, text.is_privacy_policy) == (
        want["title"],
        want["language"],
        want["is_privacy_policy"],
    )
    assert evidence.has_sdk_list is want["has_sdk_list"]
    assert [_quote(evidence, s) for s in evidence.collection_rules] == want["collection_rules"]
    assert sorted(evidence.declared_pi_types()) == want["declared_pi_types"]
    got_pi = [
        {"phrase": d.phrase, "pi_types": list(d.pi_types), "purpose": d.purpose, "function": d.function,
         "quote": _quote(evidence, d.sentence)}
        for d in evidence.declared_pi
    ]  # fmt: skip
    assert got_pi == want["declared_pi"]
    got_sdks = [
        {"name": s.name, "sdk_id": s.sdk_id, "vendor": s.vendor, "pi_types": list(s.pi_types), "purpose": s.purpose,
         "quote": _quote(evidence, s.sentence)}
        for s in evidence.declared_sdks
    ]  # fmt: skip
    assert got_sdks == want["sdks"]
    got_contacts = [
        {"kind": c.kind, "value": c.value, "quote": _quote(evidence, c.sentence)} for c in evidence.contacts
    ]
    assert got_contacts == want["contacts"]
    got_times = [
        {"amount": r.amount, "unit": r.unit, "applies_to": r.applies_to, "quote": _quote(evidence, r.sentence)}
        for r in evidence.response_times
    ]
    assert got_times == want["response_times"]
    assert [{"kind": r.kind, "quote": _quote(evidence, r.sentence)} for r in evidence.rights] == want["rights"]


def test_expected_sdk_ids_exist_in_the_database() -> None:
    db = load_sdk_database()
    for path in EXPECTED:
        for sdk in yaml.safe_load(path.read_text(encoding="utf-8"))["sdks"]:
            assert sdk["sdk_id"] is None or db.get(sdk["sdk_id"]) is not None, (path.name, sdk)


def test_complete_policy_covers_every_right_kind_and_quotes_the_row() -> None:
    evidence = analyse_policies([_parse("good_complete_zh.html")])
    assert {r.kind for r in evidence.rights} == {
        "withdraw", "correct", "delete", "cancel_account", "targeting_opt_out", "complaint",
    }  # fmt: skip
    umeng = next(s for s in evidence.declared_sdks if s.sdk_id == "umeng_analytics")
    assert _quote(evidence, umeng.sentence).startswith("友盟+统计SDK | 友盟同欣（北京）科技有限公司 | ")
    # The <script> text says 通讯录/短信 are collected; the body says they are not. Neither is declared.
    assert not {"contacts", "sms", "call_log"} & evidence.declared_pi_types()


def test_incomplete_sdk_list_omits_jpush() -> None:
    evidence = analyse_policies([_parse("incomplete_sdk_zh.html")])
    ids = {s.sdk_id for s in evidence.declared_sdks}
    assert ids == {"getui", "wechat_opensdk", "tencent_open_qq"}
    assert "jpush" not in ids and evidence.has_sdk_list


def test_response_time_over_limit_is_read_in_working_days() -> None:
    evidence = analyse_policies([_parse("response_30_zh.html")])
    complaints = [r for r in evidence.response_times if r.applies_to == "complaints"]
    assert [(r.amount, r.unit, r.working_days) for r in complaints] == [(30, "working_days", 30.0)]


def test_only_privacy_policies_are_read_but_every_document_is_kept() -> None:
    evidence = analyse_policies(
        [_parse("user_agreement_zh.html", "d0"), _parse("stub_zh.html", "d1"), _parse("no_collection_zh.html", "d2")]
    )
    assert [d.id for d in evidence.documents] == ["d0", "d1", "d2"]
    assert [d.id for d in evidence.policies] == ["d2"]
    assert all(c.sentence.startswith("d2.") for c in evidence.contacts)
    assert evidence.contacts and not evidence.collection_rules
    assert "d0: not read as a privacy policy: titled as a user or service agreement" in evidence.note


def test_sentence_ids_resolve_across_documents() -> None:
    evidence = analyse_policies([_parse("stub_zh.html", "d0"), _parse("good_complete_zh.html", "d1")])
    first = evidence.declared_sdks[0]
    assert first.sentence.startswith("d1.")
    assert evidence.sentence_ref(first.sentence).startswith("policy.documents[1].sentences[")


@pytest.mark.parametrize(
    ("name", "vendor", "expected"),
    [
        ("友盟+统计SDK", None, "umeng_analytics"),
        ("友盟+统计SDK（U-App）", "友盟同欣（北京）科技有限公司", "umeng_analytics"),
        ("极光推送", None, "jpush"),
        ("个推", None, "getui"),
        ("Firebase Analytics", "Google LLC", "firebase_analytics"),
        ("腾讯Bugly SDK", None, "tencent_bugly"),
        # conservative: generic, unknown or contradicted by the vendor -> no match
        ("推送SDK", None, None),
        ("一键登录SDK", None, None),
        ("书友客服SDK", None, None),
        ("QQ音乐SDK", None, None),
        ("极光推送SDK", "每日互动股份有限公司", None),
    ],
)
def test_sdk_name_matching(name: str, vendor: str | None, expected: str | None) -> None:
    matcher = SdkMatcher(load_sdk_database(), load_policy_lexicon().sdk_aliases)
    assert matcher.match(name, vendor) == expected


def test_lexicon_aliases_name_existing_sdks() -> None:
    db = load_sdk_database()
    aliases = load_policy_lexicon().sdk_aliases
    assert aliases and all(db.get(sdk_id) is not None for sdk_id in aliases)


@pytest.mark.parametrize(
    ("text", "value"), [("十五", 15), ("三十", 30), ("四十八", 48), ("七", 7), ("一百八十", 180), ("15", 15)]
)
def test_chinese_numbers(text: str, value: int) -> None:
    assert chinese_number(text) == value


def _policy_with(body: str) -> bytes:
    head = "<h1>测试隐私政策</h1><h2>一、我们如何收集和使用您的个人信息</h2>"
    filler = "<p>我们会收集您的手机号码，用于注册账号。我们重视您的个人信息。您的个人信息受法律保护。</p>" * 10
    return f"<html><body>{head}{filler}{body}</body></html>".encode()


def test_retention_periods_and_dates_are_not_response_times() -> None:
    data = _policy_with(
        "<h2>二、存储</h2><p>您的日志信息将保存6个月，超期后我们会删除。</p><p>本政策于2024年3月1日更新并完成修订。</p>"
    )
    parsed = parse_policy(data, doc_id="d0", source="auditor", location="t.html")
    evidence = analyse_policies([parsed])
    assert evidence.response_times == ()
    assert "delete" not in {r.kind for r in evidence.rights}  # 我们会删除: a retention rule, not a right


def test_negated_collection_declares_nothing() -> None:
    parsed = parse_policy(
        _policy_with("<p>我们不会收集您的通讯录和短信。</p>"), doc_id="d0", source="auditor", location="t.html"
    )
    evidence = analyse_policies([parsed])
    assert {"contacts", "sms"}.isdisjoint(evidence.declared_pi_types())
    assert "phone_number" in evidence.declared_pi_types()


def test_contacts_need_contact_context() -> None:
    data = _policy_with(
        "<h2>二、第三方</h2><p>合作方网站为 https://partner.example.com，邮件服务由 mail@partner.example.com 提供。</p>"
        "<h2>三、联系我们</h2><p>邮箱：dpo@app.example.cn</p>"
    )
    evidence = analyse_policies([parse_policy(data, doc_id="d0", source="auditor", location="t.html")])
    assert [(c.kind, c.value) for c in evidence.contacts] == [("email", "dpo@app.example.cn")]


def test_readability_signals() -> None:
    parsed = _parse("good_complete_zh.html")
    readability = readability_of(parsed)
    prose = [s for s in parsed.text.sentences if " | " not in s.text and s.text not in parsed.headings]
    assert readability.sentences == len(prose)
    assert readability.max_sentence_chars == max(len(s.text) for s in prose)
    assert readability.long_sentence_share == 0.0
    assert readability.chars == parsed.text.chars
    long = parse_policy(
        _policy_with("<p>" + "我们将依据相关法律法规以及本政策的约定" * 8 + "。</p>"),
        doc_id="d0",
        source="auditor",
        location="t.html",
    )
    assert readability_of(long).long_sentence_share > 0
    assert readability_of(long).max_sentence_chars > 100


DISCLOSURE_POLICY = """<html><head><title>隐私政策</title></head><body>
<h1>隐私政策</h1>
<h2>一、我们如何收集和使用您的个人信息</h2>
<p>我们将通过本政策向您说明我们如何收集、使用、共享和保护您的个人信息。本政策适用于本应用的全部功能，请您在使用前仔细阅读并充分理解，尤其是以粗体标识的条款；如您不同意本政策的任何内容，您可以选择不使用本应用的相关功能，我们将仅为您提供浏览等基本服务。</p>
<p>在您使用账号注册与登录功能时，我们会收集您的手机号码，用于创建账号和验证身份；如您拒绝提供，将无法注册账号，但不影响浏览功能的使用。</p>
<p>为改善我们的产品和服务、提升用户体验，我们会收集您的设备信息并在您同意后用于个性化推荐。</p>
<h2>二、我们如何共享、转让您的个人信息</h2>
<p>我们会与我们的关联公司共享您的个人信息，用于账号统一管理。</p>
<h2>三、您的权利</h2>
<p>您可以注销账号；注销前需提供手持身份证照片完成身份核验，并结清账户余额。</p>
</body></html>"""


def test_disclosures_for_reviewers_are_quoted_and_not_rights() -> None:
    from appaudit.policy.parse import parse_policy

    parsed = parse_policy(DISCLOSURE_POLICY.encode(), doc_id="d0", source="auditor", location="p.html")
    evidence = analyse_policies([parsed])
    found = {(d.kind, evidence.sentence(d.sentence).text) for d in evidence.disclosures}
    assert found == {
        (
            "improvement_purpose",
            "为改善我们的产品和服务、提升用户体验，我们会收集您的设备信息并在您同意后用于个性化推荐。",
        ),
        ("backend_sharing", "我们会与我们的关联公司共享您的个人信息，用于账号统一管理。"),
        ("rights_condition", "注销前需提供手持身份证照片完成身份核验，并结清账户余额。"),
    }
    assert not {r.kind for r in evidence.rights} & {"improvement_purpose", "backend_sharing", "rights_condition"}
