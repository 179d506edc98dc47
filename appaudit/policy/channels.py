"""Complaint channels (item VI.4) and committed response times (VI.3, VI.5).

A contact is read only in a contact sentence (one with a contact word) or under a contact heading, and
never from an SDK table (vendors' addresses there are not the app's channels). Kinds: e-mail, phone
(400/800, landline, mobile, +country), web (a URL), postal address (after a label such as 联系地址：),
in-app path (我的-设置-意见反馈). Response times need a response word in the sentence ("…内回复"),
so retention periods ("保存6个月") are not read; months count as 30 days.
"""

from __future__ import annotations

import re

from appaudit.evidence.policy_text import ContactChannel, ResponseTime
from appaudit.policy.lexicon import PolicyLexicon
from appaudit.policy.view import SDK_TABLE, PolicyView, SentenceView

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24}"
)
_URL = re.compile(r"(?:https?://|www\.)[^\s，。；、）)」】\"'<>|]+", re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"\+\d{1,3}[\s-]?\(?\d{1,4}\)?(?:[\s-]?\d{2,4}){2,3}"  # international
    r"|(?:\+?86[\s-]?)?[48]00[\s-]?\d{3}[\s-]?\d{4}"  # 400/800 service numbers
    r"|(?:\+?86[\s-]?)?(?:\(0\d{2,3}\)|0\d{2,3})[\s-]?\d{7,8}(?:\s?(?:转|ext\.?|-)\s?\d{1,6})?"  # landline
    r"|(?:\+?86[\s-]?)?1[3-9]\d{9}"  # mobile
    r"|95\d{3,4}"  # short service numbers, only after a phone label (see _contacts_in)
    r")(?!\d)",
    re.IGNORECASE,
)
_PHONE_LABEL = re.compile(r"(?:电话|热线|客服|phone|call)", re.IGNORECASE)
_IN_APP = re.compile(
    r"[「“【\"]?[A-Za-z\u4e00-\u9fff]{1,10}[」”】\"]?(?:\s*(?:->|-|—|－|>|＞|→|》)\s*[「“【\"]?[A-Za-z\u4e00-\u9fff]{1,10}[」”】\"]?){1,6}"
)
_DURATION = re.compile(
    r"(?P<num>\d{1,3}|[一二两三四五六七八九十百零〇]{1,4})\s*(?:\(\d{1,3}\)\s*)?"
    r"(?P<unit>个?\s*工作日|个?自然日|日|天|个?小时|个月"
    r"|(?:working|business)\s+days?|calendar\s+days?|days?|hours?|months?)"
    r"|(?P<word>one|two|three|five|seven|ten|fourteen|fifteen|twenty|thirty|forty-eight|sixty)\s*(?:\((?P<wnum>\d{1,3})\)\s*)?"
    r"(?P<wunit>(?:working|business)\s+days?|calendar\s+days?|days?|hours?|months?)",
    re.IGNORECASE,
)
_WORDS = {"one": 1, "two": 2, "three": 3, "five": 5, "seven": 7, "ten": 10, "fourteen": 14, "fifteen": 15,
          "twenty": 20, "thirty": 30, "forty-eight": 48, "sixty": 60}  # fmt: skip
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def chinese_number(text: str) -> int:
    """十五 → 15, 三十 → 30, 四十八 → 48, 一百八十 → 180; Arabic digits pass through."""
    if text.isdigit():
        return int(text)
    total = current = 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
    return total + current


def _contact_context(sentence: SentenceView, lexicon: PolicyLexicon) -> bool:
    if sentence.table is not None and sentence.table.kind == SDK_TABLE:
        return False
    return sentence.text in lexicon.contact_words or any(h in lexicon.contact_sections for h in sentence.path)


def _mask(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _contacts_in(text: str, lexicon: PolicyLexicon) -> list[tuple[str, str]]:
    found = [("email", m.group()) for m in _EMAIL.finditer(text)]
    no_mail = _mask(text, _EMAIL)
    found += [("web", m.group().rstrip(".")) for m in _URL.finditer(no_mail)]
    plain = _mask(no_mail, _URL)
    for match in _PHONE.finditer(plain):
        value = match.group()
        if value.startswith("95") and not _PHONE_LABEL.search(plain[max(0, match.start() - 12) : match.start()]):
            continue
        found.append(("phone", value.strip()))
    found += _addresses(plain, lexicon)
    for match in _IN_APP.finditer(_mask(plain, _PHONE)):
        path = match.group().strip().strip('「」“”【】"')
        if sum(1 for ch in path if "\u4e00" <= ch <= "\u9fff") >= 4 and not re.search(r"\d", path):
            found.append(("in_app", path))
    return found


def _addresses(text: str, lexicon: PolicyLexicon) -> list[tuple[str, str]]:
    found = []
    for label in lexicon.address_labels.finditer(text):
        rest = text[label.end() :]
        colon = re.match(r"\s*(?:为|是)?\s*[：:]\s*", rest)
        if colon is None:
            continue
        value = re.split(r"[；;。\n]|[，,]\s*(?:邮编|邮政编码|postcode|zip)", rest[colon.end() :], maxsplit=1)[
            0
        ].strip()
        value = value.rstrip("，,. ")
        if len(value) >= 6:
            found.append(("address", value))
    return found


def extract_contacts(view: PolicyView, lexicon: PolicyLexicon) -> list[ContactChannel]:
    found: list[ContactChannel] = []
    seen: set[tuple[str, str]] = set()
    for sentence in view.sentences:
        if sentence.heading or not _contact_context(sentence, lexicon):
            continue
        for kind, value in _contacts_in(sentence.text, lexicon):
            if (kind, value) not in seen:
                seen.add((kind, value))
                found.append(ContactChannel(kind, value, sentence.id))
    return found


def _applies_to(sentence: SentenceView, lexicon: PolicyLexicon) -> str:
    complaints = sentence.text in lexicon.complaint_context
    requests = sentence.text in lexicon.request_context
    if complaints and requests:
        return "both"
    if complaints:
        return "complaints"
    if requests:
        return "requests"
    if any(h in lexicon.contact_sections for h in sentence.path):
        return "complaints"
    if any(h in lexicon.rights_sections for h in sentence.path):
        return "requests"
    return "both"


def _unit(raw: str) -> tuple[str, int]:
    """(unit, multiplier) for a written unit."""
    unit = raw.lower().lstrip("个 ")
    if unit in ("工作日",) or unit.startswith(("working", "business")):
        return "working_days", 1
    if unit in ("小时",) or unit.startswith("hour"):
        return "hours", 1
    if unit in ("月",) or unit.startswith("month"):
        return "days", 30
    return "days", 1


def extract_response_times(view: PolicyView, lexicon: PolicyLexicon) -> list[ResponseTime]:
    found: list[ResponseTime] = []
    for sentence in view.sentences:
        text = sentence.text
        if sentence.heading or sentence.table is not None or text not in lexicon.response_words:
            continue
        for match in _DURATION.finditer(text):
            if match.group("num"):
                if match.group("unit") == "日" and text[max(0, match.start() - 1) : match.start()] == "月":
                    continue  # a date (3月1日), not a duration
                amount, (unit, factor) = chinese_number(match.group("num")), _unit(match.group("unit"))
            else:
                amount = int(match.group("wnum")) if match.group("wnum") else _WORDS[match.group("word").lower()]
                unit, factor = _unit(match.group("wunit"))
            if amount > 0:
                found.append(ResponseTime(amount * factor, unit, sentence.id, _applies_to(sentence, lexicon)))
    return found
