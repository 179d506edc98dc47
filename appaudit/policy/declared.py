"""Collection and use rules (item I.1) and the personal information they declare (II.1, III.9).

A sentence is a collection rule when it is not a negation ("我们不会收集…") and either names a PI type
next to a collection verb, or names personal information with a collection verb and a purpose, or sits
in the collection section and names a PI type or a collection verb. Rows of a PI collection table
(个人信息收集清单) are rules too, with the table's purpose and function columns. Rows of SDK tables are
not: they are the SDK list (see :mod:`appaudit.policy.sdk_list`).
"""

from __future__ import annotations

import re
from collections.abc import Set

from appaudit.evidence.policy_text import DeclaredCollection
from appaudit.policy.lexicon import PolicyLexicon
from appaudit.policy.pi_phrases import find_pi_phrases
from appaudit.policy.view import PI_TABLE, PolicyView, SentenceView

_NUMBER_PREFIX = re.compile(
    r"^(?:#+|第[^章节条部]{1,4}[章节条部分]+|[一二三四五六七八九十]+[、.．]|[（(][^)）]{1,3}[)）]|[\d.]+[、.．]?)\s*"
)


def in_collection_section(sentence: SentenceView, lexicon: PolicyLexicon) -> bool:
    return any(h in lexicon.collection_sections for h in sentence.path)


def is_collection_rule(sentence: SentenceView, lexicon: PolicyLexicon) -> bool:
    if sentence.heading:
        return False
    if sentence.table is not None and sentence.table.kind is not None:
        return sentence.table.kind == PI_TABLE
    text = sentence.text
    if text in lexicon.negations:
        return False
    verb = text in lexicon.collection_verbs
    names_pi = lexicon.pi_terms.terms.search(text) is not None
    if verb and names_pi:
        return True
    if verb and text in lexicon.pi_words and text in lexicon.purposes:
        return True
    return in_collection_section(sentence, lexicon) and (verb or names_pi)


def collection_rules(view: PolicyView, lexicon: PolicyLexicon, skip: Set[str] = frozenset()) -> list[str]:
    """Ids of the collection-rule sentences; ``skip``: sentences of the SDK list, which are not rules."""
    return [s.id for s in view.sentences if s.id not in skip and is_collection_rule(s, lexicon)]


def declared_collections(
    view: PolicyView, lexicon: PolicyLexicon, skip: Set[str] = frozenset()
) -> list[DeclaredCollection]:
    """One entry per PI phrase in a collection rule, with its purpose and business function when stated.

    A PI word inside the purpose clause ("用于上传宠物照片") is not a declaration of what is collected.
    """
    found: list[DeclaredCollection] = []
    seen: set[tuple[str, str]] = set()
    for sentence in view.sentences:
        if sentence.id in skip or not is_collection_rule(sentence, lexicon):
            continue
        purpose_span = (0, 0)
        if sentence.table is not None and sentence.table.kind == PI_TABLE:
            table = sentence.table
            source = table.cell(sentence.row, "pi")
            purpose = table.cell(sentence.row, "purpose") or None
            function = table.cell(sentence.row, "function") or None
        else:
            source = sentence.text
            match = lexicon.purposes.search(source)
            purpose = match.group(1).strip() if match else None
            purpose_span = match.span(1) if match else (0, 0)
            function = _function_of(sentence, lexicon)
        for phrase in find_pi_phrases(source, lexicon):
            if purpose_span[0] <= phrase.start < purpose_span[1] or (phrase.phrase, sentence.id) in seen:
                continue
            seen.add((phrase.phrase, sentence.id))
            found.append(DeclaredCollection(phrase.phrase, sentence.id, phrase.pi_types, purpose, function))
    return found


def _function_of(sentence: SentenceView, lexicon: PolicyLexicon) -> str | None:
    """The sub-heading under the collection section ("（一）注册登录" → "注册登录"), the business function."""
    inside = False
    function = None
    for heading in sentence.path:
        if heading in lexicon.collection_sections:
            inside, function = True, None
        elif inside:
            function = _NUMBER_PREFIX.sub("", heading).strip() or heading
    return function
