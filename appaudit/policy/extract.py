"""What the privacy policies declare, as :class:`PolicyEvidence`.

Every document is kept in ``documents``; extraction reads only those that are privacy policies. The
readability of each policy (item II.4) and the parser's notes go into ``PolicyEvidence.note``, one
"; "-separated part each. Statements a reviewer needs quoted (collection justified by service
improvement (IV.5), back-end sharing (V.2), conditions on rights (VI.2)) are found by ``rights.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from appaudit.evidence.policy_text import PolicyEvidence
from appaudit.knowledge.sdk_db import SdkDatabase, load_sdk_database
from appaudit.policy.channels import extract_contacts, extract_response_times
from appaudit.policy.declared import collection_rules, declared_collections
from appaudit.policy.lexicon import PolicyLexicon, load_policy_lexicon
from appaudit.policy.parse import ParsedPolicy
from appaudit.policy.readability import Readability, measure_readability
from appaudit.policy.rights import extract_disclosures, extract_rights
from appaudit.policy.sdk_list import extract_sdks
from appaudit.policy.sdk_match import SdkMatcher
from appaudit.policy.view import PolicyView


def analyse_policies(parsed: Sequence[ParsedPolicy], sdk_db: SdkDatabase | None = None) -> PolicyEvidence:
    """Extract the declarations of every privacy policy in ``parsed`` (default SDK database: the packaged one)."""
    lexicon = load_policy_lexicon()
    matcher = SdkMatcher(sdk_db if sdk_db is not None else load_sdk_database(), lexicon.sdk_aliases)
    rules, pi, sdks, contacts, times, rights, disclosures = [], [], [], [], [], [], []
    has_sdk_list = False
    notes: list[str] = []
    for doc in parsed:
        notes.extend(f"{doc.text.id}: {n}" for n in doc.notes)
        if not doc.text.is_privacy_policy:
            continue
        view = PolicyView(doc, lexicon)
        sdk_list = extract_sdks(view, lexicon, matcher)
        sdks += sdk_list.sdks
        has_sdk_list = has_sdk_list or sdk_list.present
        rules += collection_rules(view, lexicon, sdk_list.sentences)
        pi += declared_collections(view, lexicon, sdk_list.sentences)
        contacts += extract_contacts(view, lexicon)
        times += extract_response_times(view, lexicon)
        rights += extract_rights(view, lexicon)
        disclosures += extract_disclosures(view, lexicon)
        notes.append(measure_readability(view, lexicon).summary())
    return PolicyEvidence(
        documents=tuple(d.text for d in parsed),
        collection_rules=tuple(rules),
        declared_pi=tuple(pi),
        declared_sdks=tuple(sdks),
        contacts=tuple(contacts),
        response_times=tuple(times),
        rights=tuple(rights),
        disclosures=tuple(disclosures),
        has_sdk_list=has_sdk_list,
        note="; ".join(notes),
    )


def readability_of(parsed: ParsedPolicy, lexicon: PolicyLexicon | None = None) -> Readability:
    """The readability signals of one parsed document (also summarised in ``PolicyEvidence.note``)."""
    lexicon = lexicon or load_policy_lexicon()
    return measure_readability(PolicyView(parsed, lexicon), lexicon)
