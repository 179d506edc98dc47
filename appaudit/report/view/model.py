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
class SummaryItem:
    label: str
    value: str
    detail: str
    css: str
    href: str


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


@dataclass(frozen=True)
class ReportView:
    lang: str
    page_title: str
    header: Header
    summary: tuple[SummaryItem, ...]
    nav: tuple[NavItem, ...]
    sections: tuple[Section, ...]
    generated_by: str
    tool: str
    schema_version: str
    created_at: str
    kind: str = "static evidence report"  # "audit report (static + device, traffic)" when dynamic evidence is in
