"""The view model's data types: what the report template reads, and nothing else.

Every field holds plain text taken from the evidence (untrusted: it comes from the APK) or a
label chosen here; none of it is marked as safe HTML.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Badge:
    text: str
    css: str  # b-ok | b-bad | b-warn | b-info | b-muted
    title: str = ""


@dataclass(frozen=True)
class Cell:
    """One value as shown in a table cell or a fact list."""

    text: str = ""
    sub: str = ""  # a second, quieter line (Chinese name, full form)
    items: tuple[str, ...] = ()  # shown as a list, one per line
    chips: tuple[str, ...] = ()  # short tags (PI types, categories)
    badge: Badge | None = None
    title: str = ""  # the full text, on hover
    mono: bool = False
    css: str = ""
    more: str = ""  # "+ 12 more" when items were capped

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.items or self.chips or self.badge or self.sub)


@dataclass(frozen=True)
class Fact:
    label: str
    value: Cell


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    css: str = ""


@dataclass(frozen=True)
class Column:
    label: str
    css: str = ""  # "num" right-aligns the header over right-aligned numbers


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    total: int  # rows before capping
    empty_text: str
    empty_css: str = "empty-none"
    omitted_text: str = ""  # "… and N more, not shown" — never left blank when rows were cut
    count_text: str = ""  # "" when the rows were not assessed: a count of 0 would read as "none"


@dataclass(frozen=True)
class Notice:
    css: str  # n-bad | n-warn | n-info
    title: str
    text: str = ""
    items: tuple[str, ...] = ()
    facts: tuple[Fact, ...] = ()


@dataclass(frozen=True)
class Availability:
    """Whether a section's evidence was collected, and what its absence means."""

    state: str  # ok | partial | failed | skipped | missing
    label: str
    message: str  # the banner under the section heading; "" when ok
    css: str
    short: str = ""  # what an empty table says when nothing was assessed

    @property
    def assessed(self) -> bool:
        return self.state in ("ok", "partial")


@dataclass(frozen=True)
class ChainStep:
    package: str  # "com.example.app." (quiet)
    member: str  # "MainApplication.onCreate()"
    full: str  # the smali text as recorded


@dataclass(frozen=True)
class GuardView:
    condition: str
    recognised_by: str
    method: ChainStep
    branch_offset: str


@dataclass(frozen=True)
class FindingView:
    title: str
    target: str
    css: str
    kind: Badge
    guard_badge: Badge
    pi_types: tuple[str, ...]
    entry_label: str
    entry_method: ChainStep
    entry_component: str
    steps: tuple[ChainStep, ...]
    full_chain: str
    guard: GuardView | None


@dataclass(frozen=True)
class FindingList:
    findings: tuple[FindingView, ...]
    empty_text: str
    empty_css: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    availability: Availability
    intro: tuple[str, ...] = ()
    notices: tuple[Notice, ...] = ()
    facts: tuple[Fact, ...] = ()
    findings: FindingList | None = None
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class NavItem:
    href: str
    title: str
    css: str


@dataclass(frozen=True)
class Header:
    title: str
    subtitle: str
    facts: tuple[Fact, ...]
    availability: Availability


# ---------------------------------------------------------------- the items, with evidence inline


@dataclass(frozen=True)
class Highlight:
    """A text with one matched value marked: ``before`` + ``match`` + ``after`` (each escaped on display)."""

    before: str
    match: str
    after: str


@dataclass(frozen=True)
class UiStep:
    """One screen of a UI path: what was on it, what was done there, and how it looked."""

    action: str  # "tap “我的”", "swipe up", "launch"
    screen: str  # "policy page (screen 9bed0f8b)"
    figure: object | None = None  # a figure.Figure: the wireframe drawn from the UI dump, the tapped node marked
    image: str = ""  # a screenshot as a data: URI (PNG/JPEG/WebP, size-capped), or ""
    image_alt: str = ""
    note: str = ""  # "screenshot not embedded: 3.1 MiB is over the 1 MiB cap"


@dataclass(frozen=True)
class InlineEvidence:
    """One piece of evidence behind a verdict, resolved from its reference into something a person reads."""

    # call_chain | flow | pi_match | pi_stream | ui_path | ui_event | screen | policy_quote | auditor | sdk |
    # permission | capture | unobservable_host | policy_hint | part | baseline | entry_point | endpoint | plain
    kind: str
    ref: str  # the path into evidence.json, shown small so the reader can check it
    title: str
    facts: tuple[Fact, ...] = ()
    steps: tuple[ChainStep, ...] = ()  # call chain
    highlight: Highlight | None = None  # the matched PI in its decoded text
    encodings: tuple[str, ...] = ()  # the decode chain, outermost first
    quote: str = ""  # a policy sentence, verbatim
    ui_steps: tuple[UiStep, ...] = ()
    human: bool = False  # given by an auditor, not measured by appaudit
    text: str = ""  # anything else, as plain text


@dataclass(frozen=True)
class ItemView:
    id: str  # "III.1"
    anchor: str  # "item-III-1"
    title: str  # the item's short title, in the report's language
    text_zh: str  # the official Chinese text, always shown
    text_en: str  # our English rendering
    verdict: Badge
    verdict_key: str  # the verdict's value ("violation", ...), for tests and CSS
    confidence: str
    level: str  # automation level, in words
    decided_by: tuple[str, ...]  # evidence sources the verdict rests on ("traffic", "ui", ...)
    statement: str  # what the verdict concludes for this item, in the report's language
    summary: str  # the machine's finding (English from the checks), or the auditor's note
    evidence: tuple[InlineEvidence, ...]
    more_evidence: str  # "+ 12 more references in verdicts.json", or ""
    needs: tuple[str, ...]  # what would (better) assess it
    auditor: Notice | None = None  # an auditor's verdict: marked as a human judgement
    suppressed: str = ""
    css: str = ""


@dataclass(frozen=True)
class VerdictCount:
    label: str
    count: int
    css: str
    key: str  # the verdict's value


@dataclass(frozen=True)
class CategoryView:
    id: str  # "I"
    anchor: str  # "cat-I"
    title: str  # in the report's language
    title_zh: str  # the official heading
    counts: tuple[VerdictCount, ...]
    items: tuple[ItemView, ...]


# ---------------------------------------------------------------- the first screen


@dataclass(frozen=True)
class TopFinding:
    item_id: str
    anchor: str
    title: str
    verdict: Badge
    confidence: str
    summary: str


@dataclass(frozen=True)
class ScopeEntry:
    """One evidence source of the run: whether it was collected, and how many decided items rest on it."""

    label: str
    state: Badge
    detail: str


@dataclass(frozen=True)
class Overview:
    """What the first screen answers: does this app comply, how sure are we, and what was not looked at."""

    answer: str  # one sentence
    answer_detail: str
    answer_css: str  # ans-bad | ans-warn | ans-ok | ans-na
    grade: str
    grade_css: str
    score_facts: tuple[Fact, ...]
    totals: tuple[VerdictCount, ...]
    categories: tuple[CategoryView, ...]  # verdict counts per category (the items are in the items section)
    top_findings: tuple[TopFinding, ...]
    more_findings: str
    scope: tuple[ScopeEntry, ...]
    not_validated: tuple[str, ...]


@dataclass(frozen=True)
class LanguageView:
    """One language's whole page body: everything the template prints inside one ``<div lang>``."""

    lang: str  # "en" | "zh"
    html_lang: str  # "en" | "zh-CN"
    prefix: str  # prepended to every id, so two languages can share one page
    labels: dict[str, str]  # the template's own words, translated
    header: Header
    overview: Overview
    figures: tuple[object, ...]  # figure.Figure: the data-flow diagram, then one timeline per run
    figures_note: str
    categories: tuple[CategoryView, ...]
    items_note: str
    verdict_meanings: tuple[tuple[Badge, str], ...]  # the legend of the six verdicts
    sections: tuple[Section, ...]  # evidence sections, the baseline and the appendix, in page order
    nav: tuple[NavItem, ...]
    kind: str
    footer: tuple[str, ...]
