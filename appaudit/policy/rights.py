"""Rights and options the policy offers: withdraw consent, correct, delete, cancel the account, turn off
personalised recommendations, complain (items III.6, III.8, VI.1–VI.4).

A rights phrase counts when the sentence offers it to the user ("您可以…", "you may…") or sits under a
rights heading; a complaint phrase also counts in a contact sentence. So "我们会删除超出保存期限的信息"
(a retention rule) is not a deletion right.
"""

from __future__ import annotations

from appaudit.evidence.policy_text import RightStatement
from appaudit.policy.lexicon import DISCLOSURE_KINDS, RIGHT_KINDS, PolicyLexicon
from appaudit.policy.view import SDK_TABLE, PolicyView


def extract_rights(view: PolicyView, lexicon: PolicyLexicon) -> list[RightStatement]:
    found: list[RightStatement] = []
    for sentence in view.sentences:
        if sentence.heading or (sentence.table is not None and sentence.table.kind == SDK_TABLE):
            continue
        text = sentence.text
        offered = text in lexicon.offer_markers or any(h in lexicon.rights_sections for h in sentence.path)
        for kind in RIGHT_KINDS:
            if text not in lexicon.rights[kind]:
                continue
            contact = kind == "complaint" and (
                text in lexicon.contact_words or any(h in lexicon.contact_sections for h in sentence.path)
            )
            if offered or contact:
                found.append(RightStatement(kind, sentence.id))
    return found


def extract_disclosures(view: PolicyView, lexicon: PolicyLexicon) -> list[RightStatement]:
    """Sentences the reviewers of IV.5, V.2 and VI.2 need: each kind's statement with its context."""
    found: list[RightStatement] = []
    for sentence in view.sentences:
        if sentence.heading or (sentence.table is not None and sentence.table.kind == SDK_TABLE):
            continue
        for kind in DISCLOSURE_KINDS:
            statement, context = lexicon.disclosures[kind]
            if sentence.text in statement and sentence.text in context:
                found.append(RightStatement(kind, sentence.id))
    return found
