"""Privacy-policy evidence: the policy's text, split into quotable sentences, and what it declares.

Filled by the policy analysis (from the APK, a URL, the captured traffic or the auditor's file); read
by the checks. Every extraction points at the sentence it came from (``"d0.s12"``: document 0,
sentence 12), so a verdict can quote the policy word for word.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PolicySentence:
    id: str  # "d0.s12"
    text: str
    start: int  # character offsets in the document's plain text
    end: int
    section: str | None = None  # the heading the sentence sits under


@dataclass(frozen=True)
class PolicyText:
    """One document that was read as (a candidate for) the privacy policy."""

    id: str  # "d0"
    source: str  # "apk" | "url" | "traffic" | "auditor"
    location: str  # the APK entry path, the URL, or the auditor's file name
    sha256: str
    chars: int
    sentences: tuple[PolicySentence, ...]
    title: str | None = None
    language: str | None = None  # "zh-Hans" | "zh-Hant" | "en" | ...
    is_privacy_policy: bool = True  # False: read, but it is a user agreement, a stub or an unrelated page


@dataclass(frozen=True)
class DeclaredCollection:
    """A kind of personal information the policy says is collected, with what it says about it."""

    phrase: str  # as written: "设备识别码(IMEI、Android ID)"
    sentence: str  # sentence id
    pi_types: tuple[str, ...] = ()  # appaudit PI taxonomy ids the phrase maps to (empty: unmapped)
    purpose: str | None = None  # as written, when stated next to it
    function: str | None = None  # the business function it serves, when stated


@dataclass(frozen=True)
class DeclaredSdk:
    """A third-party SDK (or partner) the policy names, typically a row of its SDK table."""

    name: str  # as written: "友盟统计SDK"
    sentence: str
    sdk_id: str | None = None  # the SDK database id it matched, None when unmatched
    vendor: str | None = None
    pi_types: tuple[str, ...] = ()
    purpose: str | None = None


@dataclass(frozen=True)
class ContactChannel:
    """A complaint or reporting channel with a concrete contact."""

    kind: str  # "email" | "phone" | "web" | "address" | "in_app"
    value: str
    sentence: str


@dataclass(frozen=True)
class ResponseTime:
    """A committed time limit for handling requests or complaints."""

    amount: int
    unit: str  # "working_days" | "days" (calendar days) | "hours"
    sentence: str
    applies_to: str = "requests"  # "requests" (rights requests) | "complaints" | "both"

    @property
    def working_days(self) -> float:
        """The limit in working days (calendar days scaled by 5/7, hours by 1/24 day)."""
        if self.unit == "working_days":
            return float(self.amount)
        if self.unit == "hours":
            return self.amount / 24
        return self.amount * 5 / 7


@dataclass(frozen=True)
class RightStatement:
    """A sentence that offers a right or an option (withdraw consent, delete, cancel account, opt out)."""

    # In ``rights``: "withdraw" | "correct" | "delete" | "cancel_account" | "targeting_opt_out" | "complaint".
    # In ``disclosures`` (quoted for a reviewer): "improvement_purpose" (IV.5) | "backend_sharing" (V.2) |
    # "rights_condition" (VI.2).
    kind: str
    sentence: str


@dataclass(frozen=True)
class PolicyEvidence:
    documents: tuple[PolicyText, ...]
    collection_rules: tuple[str, ...] = ()  # sentence ids that state collection and use rules
    declared_pi: tuple[DeclaredCollection, ...] = ()
    declared_sdks: tuple[DeclaredSdk, ...] = ()
    contacts: tuple[ContactChannel, ...] = ()
    response_times: tuple[ResponseTime, ...] = ()
    rights: tuple[RightStatement, ...] = ()
    disclosures: tuple[RightStatement, ...] = ()  # statements for reviewers: IV.5, V.2, VI.2
    # The policy has a third-party SDK list (table or section): an SDK missing from it is undisclosed.
    has_sdk_list: bool = False
    note: str = ""

    def sentence(self, sentence_id: str) -> PolicySentence | None:
        doc_id = sentence_id.split(".", 1)[0]
        doc = next((d for d in self.documents if d.id == doc_id), None)
        return next((s for s in doc.sentences if s.id == sentence_id), None) if doc else None

    def sentence_ref(self, sentence_id: str) -> str:
        """A stable path into evidence.json for a sentence id."""
        for di, doc in enumerate(self.documents):
            for si, s in enumerate(doc.sentences):
                if s.id == sentence_id:
                    return f"policy.documents[{di}].sentences[{si}]"
        return f"policy.sentence:{sentence_id}"

    @property
    def policies(self) -> tuple[PolicyText, ...]:
        return tuple(d for d in self.documents if d.is_privacy_policy)

    def declared_pi_types(self) -> frozenset[str]:
        return frozenset(t for d in self.declared_pi for t in d.pi_types) | frozenset(
            t for s in self.declared_sdks for t in s.pi_types
        )
