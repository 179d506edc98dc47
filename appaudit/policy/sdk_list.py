"""The policy's third-party SDK list: table rows, "SDK名称：…；第三方名称：…" records, or list items.

Three shapes are read: (1) rows of a table whose columns name the SDK (see :mod:`appaudit.policy.view`);
(2) labelled records, one per line or several lines ("SDK名称：友盟统计SDK；第三方名称：…；收集个人信息类型：
…；使用目的：…"); (3) list items under an SDK section that start with an SDK name and a colon
("极光推送SDK：用于…"). Every entry points at the sentence it starts in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from appaudit.evidence.policy_text import DeclaredSdk
from appaudit.policy.lexicon import COLUMN_ROLES, PolicyLexicon
from appaudit.policy.pi_phrases import pi_types_in
from appaudit.policy.sdk_match import SdkMatcher
from appaudit.policy.view import SDK_TABLE, PolicyView

_NAME_LABEL = re.compile(r"(?:第三方)?(?:SDK|插件|组件)\s*名称\s*[：:]|SDK\s*name\s*:", re.IGNORECASE)
_FIELD = re.compile(r"^\s*([^：:；;，,。]{1,16}?)\s*[：:]\s*(.*)$", re.DOTALL)
_ITEM_NAME = re.compile(r"^\s*(?:\d{1,2}\s*[.、．)]|[（(]\d{1,2}[)）]|[•·●\-*])?\s*([^：:，,。；;]{2,40}?)\s*[：:]")


@dataclass(frozen=True)
class SdkList:
    sdks: list[DeclaredSdk]
    present: bool  # the policy has an SDK list at all (a table, records or items)
    sentences: frozenset[str]  # the sentences the list is made of (not collection rules of the app)


def extract_sdks(view: PolicyView, lexicon: PolicyLexicon, matcher: SdkMatcher | None) -> SdkList:
    """The SDKs the policy lists."""
    found: list[DeclaredSdk] = []
    has_list = False
    for table in view.tables:
        if table.kind != SDK_TABLE:
            continue
        has_list = True
        for row, sentence_id in zip(table.table.rows, table.table.row_sentences, strict=True):
            name = table.cell(row, "name")
            if name:
                found.append(
                    _declared(
                        name,
                        sentence_id,
                        table.cell(row, "vendor"),
                        table.cell(row, "pi"),
                        table.cell(row, "purpose"),
                        lexicon,
                        matcher,
                    )
                )
    covered: set[str] = set()
    records = _records(view, lexicon, matcher, covered)
    items = [] if records else _section_items(view, lexicon, matcher)
    covered |= {s.sentence for s in items}
    return SdkList(found + records + items, has_list or bool(records) or bool(items), frozenset(covered))


def _declared(
    name: str,
    sentence_id: str,
    vendor: str,
    pi_text: str,
    purpose: str,
    lexicon: PolicyLexicon,
    matcher: SdkMatcher | None,
) -> DeclaredSdk:
    return DeclaredSdk(
        name=name,
        sentence=sentence_id,
        sdk_id=matcher.match(name, vendor or None) if matcher else None,
        vendor=vendor or None,
        pi_types=pi_types_in(pi_text, lexicon),
        purpose=purpose or None,
    )


def _field_role(label: str, lexicon: PolicyLexicon) -> str | None:
    if _NAME_LABEL.match(label + "："):
        return "name"
    return next((r for r in COLUMN_ROLES if label in lexicon.table_columns[r]), None)


def _records(
    view: PolicyView, lexicon: PolicyLexicon, matcher: SdkMatcher | None, covered: set[str]
) -> list[DeclaredSdk]:
    """Labelled records: a name label opens one; following labelled fields (same or next lines) fill it.

    Adds the ids of the sentences the records span to ``covered``.
    """
    found: list[DeclaredSdk] = []
    current: dict[str, str] | None = None
    start = 0

    def close() -> None:
        if current and current.get("name"):
            sentence = view.at(start)
            if sentence is not None:
                found.append(
                    _declared(
                        current["name"],
                        sentence.id,
                        current.get("vendor", ""),
                        current.get("pi", ""),
                        current.get("purpose", ""),
                        lexicon,
                        matcher,
                    )
                )

    for offset, line in view.lines():
        opens = _NAME_LABEL.search(line)
        fields = _fields(line, lexicon)
        if opens is not None and fields.get("name"):
            close()
            current, start = fields, offset + opens.start()
        elif current is not None and opens is None and _FIELD.match(line):
            for role, value in fields.items():
                current.setdefault(role, value)
        else:
            close()
            current = None
            continue
        covered.update(s.id for s in view.between(offset, offset + len(line)))
    close()
    return found


def _fields(line: str, lexicon: PolicyLexicon) -> dict[str, str]:
    """Role -> value of the "标签：值" fields of one line (fields separated by ；or ;)."""
    fields: dict[str, str] = {}
    role: str | None = None
    for piece in re.split(r"[；;]", line):
        match = _FIELD.match(piece)
        new_role = _field_role(match.group(1).strip(), lexicon) if match else None
        if match and new_role is not None:
            role = new_role
            fields.setdefault(role, match.group(2).strip().rstrip("。."))
        elif role is not None and piece.strip():
            fields[role] = f"{fields[role]}；{piece.strip().rstrip('。.')}"
    return fields


# A lead-in sentence ("…接入了以下第三方SDK：", "the following SDKs:") rather than an SDK's name.
_INTRODUCES_LIST = re.compile(r"以下|如下|下列|接入了|包括|following|below|include", re.IGNORECASE)


def _section_items(view: PolicyView, lexicon: PolicyLexicon, matcher: SdkMatcher | None) -> list[DeclaredSdk]:
    """List items under an SDK section that start "Name：…" where the name is an SDK."""
    found: list[DeclaredSdk] = []
    for sentence in view.sentences:
        if sentence.heading or sentence.table is not None:
            continue
        if not any(h in lexicon.sdk_sections for h in sentence.path):
            continue
        match = _ITEM_NAME.match(sentence.text)
        if match is None:
            continue
        name = match.group(1).strip()
        rest = sentence.text[match.end() :]
        sdk_id = matcher.match(name) if matcher else None
        if sdk_id is None and ("sdk" not in name.lower() or not rest.strip() or _INTRODUCES_LIST.search(name)):
            continue  # "本应用接入了以下第三方SDK：" introduces the list; it is not an entry of it
        purpose = lexicon.purposes.search(rest)
        found.append(
            DeclaredSdk(
                name=name,
                sentence=sentence.id,
                sdk_id=sdk_id,
                pi_types=pi_types_in(rest, lexicon),
                purpose=purpose.group(1).strip() if purpose else None,
            )
        )
    return found
