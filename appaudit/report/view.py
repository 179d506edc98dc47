"""The report's view model: everything the HTML template shows, decided here in Python.

The template only loops and prints. Sorting, counting, CSS classes, human labels, caps on long
tables and — above all — the difference between "none found" and "not assessed" are decided in
this module, so they can be tested without parsing HTML.

Every string taken from the evidence is untrusted (it comes from the APK); this module never
marks anything as safe HTML, and the template is rendered with autoescaping.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from appaudit.evidence.model import (
    ApiCallSite,
    Component,
    Confidence,
    Endpoint,
    EvidenceBundle,
    ManifestEvidence,
    PartStatus,
    PermissionRequest,
    SdkHit,
    StartupEvidence,
    StartupFinding,
    Status,
    TextHint,
)

DEFAULT_MAX_ROWS = 200
MAX_CELL_ITEMS = 8
MAX_TEXT_CHARS = 400

# The order the collector runs its steps in; parts the bundle does not record are shown as such.
EXPECTED_PARTS: tuple[str, ...] = (
    "identity",
    "manifest",
    "dex",
    "sdks",
    "api_calls",
    "startup",
    "policy_hints",
    "endpoints",
)

PART_LABELS: dict[str, str] = {
    "identity": "App identity",
    "manifest": "Manifest",
    "dex": "DEX bytecode",
    "sdks": "Embedded SDKs",
    "api_calls": "Sensitive API call sites",
    "startup": "Start-up reachability",
    "policy_hints": "Privacy-policy hints",
    "endpoints": "Network endpoints",
}

# What this version never assesses, whatever the evidence: shown in the scope section.
NOT_ASSESSED: tuple[tuple[str, str], ...] = (
    (
        "Network traffic capture",
        "No proxy session was run: what the app actually sends, when, and to whom was not observed.",
    ),
    (
        "Device runs and UI",
        "The app was not installed or launched: first-run consent dialogs, permission prompts, "
        "click paths and refusal behaviour were not observed.",
    ),
    (
        "Privacy-policy text analysis",
        "Policy documents and links are listed below as hints, but their content was not read or "
        "compared with the app's behaviour.",
    ),
    (
        "The 31-item verdicts",
        "This version produces evidence only: no item of the Determination Rules "
        "(《App违法违规收集使用个人信息行为认定方法》) has a verdict in this report.",
    ),
    (
        "Code outside the APK's DEX files",
        "Code downloaded or decrypted at run time, and calls made through reflection or native "
        "libraries, can escape static analysis.",
    ),
)

ENTRY_KIND_LABELS: dict[str, str] = {
    "application_attach": "Application.attachBaseContext",
    "application_oncreate": "Application.onCreate",
    "provider_oncreate": "ContentProvider.onCreate",
    "static_initializer": "Static initialiser (<clinit>)",
    "launcher_oncreate": "Launcher Activity.onCreate",
}

FINDING_KIND_LABELS: dict[str, str] = {
    "sensitive_api": "Sensitive API",
    "sdk_init": "SDK initialisation",
}

EXPORTED_REASON_LABELS: dict[str, str] = {
    "explicit": 'android:exported="true"',
    "intent-filter": "intent filter, no explicit exported (implicit)",
    "default": "platform default",
}

PARTY_LABELS: dict[str, str] = {
    "first_party": "First party",
    "sdk": "Third-party SDK",
    "unknown": "Unknown",
}
_PARTY_ORDER = {"sdk": 0, "unknown": 1, "first_party": 2}
_CONFIDENCE_ORDER = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2}
_COMPONENT_KIND_ORDER = ("activity", "activity-alias", "service", "receiver", "provider")

NA = "not collected"


# --------------------------------------------------------------------------- building blocks


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


# --------------------------------------------------------------------------- small helpers


def human_size(size: int) -> str:
    units = ("bytes", "KiB", "MiB", "GiB")
    value = float(size)
    unit = 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return f"{size:,} bytes"
    return f"{value:.1f} {units[unit]} ({size:,} bytes)"


def clip(text: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, str]:
    """Shorten long untrusted text for display; return (shown, full-or-empty). Never silent."""
    if len(text) <= limit:
        return text, ""
    return f"{text[:limit]}… [{len(text) - limit:,} more characters]", text


def capped(values: Sequence[str], limit: int = MAX_CELL_ITEMS) -> tuple[tuple[str, ...], str]:
    shown = tuple(values[:limit])
    rest = len(values) - len(shown)
    return shown, (f"+ {rest:,} more" if rest else "")


_PRIMITIVES = {
    "V": "void",
    "Z": "boolean",
    "B": "byte",
    "S": "short",
    "C": "char",
    "I": "int",
    "J": "long",
    "F": "float",
    "D": "double",
}
_METHOD_RE = re.compile(r"^(L[^;]+;)->([^(]+)\((.*)\)(.+)$")
_FIELD_RE = re.compile(r"^(L[^;]+;)->([^:(]+):(.+)$")


def _split_descriptors(params: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(params):
        start = i
        while i < len(params) and params[i] == "[":
            i += 1
        if i < len(params) and params[i] == "L":
            end = params.find(";", i)
            if end < 0:
                return [params[start:]]
            i = end + 1
        else:
            i += 1
        out.append(params[start:i])
    return out


def _simple_type(descriptor: str) -> str:
    dims = len(descriptor) - len(descriptor.lstrip("["))
    base = descriptor[dims:]
    if base.startswith("L") and base.endswith(";"):
        name = base[1:-1].rsplit("/", 1)[-1]
    else:
        name = _PRIMITIVES.get(base, base)
    return name + "[]" * dims


def _split_class(class_name: str) -> tuple[str, str]:
    """'Lcom/x/Y;' -> ('com.x.', 'Y')."""
    body = class_name[1:-1]
    package, _, simple = body.rpartition("/")
    return (package.replace("/", ".") + "." if package else ""), simple


def shorten_ref(ref: str) -> ChainStep:
    """Make a smali member reference readable: quiet package, Class.method(Simple, Types)."""
    method = _METHOD_RE.match(ref)
    if method:
        class_name, name, params, _ret = method.groups()
        package, simple = _split_class(class_name)
        args = ", ".join(_simple_type(d) for d in _split_descriptors(params))
        return ChainStep(package=package, member=f"{simple}.{name}({args})", full=ref)
    fld = _FIELD_RE.match(ref)
    if fld:
        class_name, name, _type = fld.groups()
        package, simple = _split_class(class_name)
        return ChainStep(package=package, member=f"{simple}.{name}", full=ref)
    return ChainStep(package="", member=ref, full=ref)


def _java_class(class_name: str) -> str:
    if class_name.startswith("L") and class_name.endswith(";"):
        return class_name[1:-1].replace("/", ".")
    return class_name


def _yes_no(value: bool | None, *, yes_css: str = "b-warn", no_css: str = "b-muted", unset: str) -> Cell:
    if value is None:
        return Cell(text=unset, css="na")
    return Cell(badge=Badge("yes", yes_css) if value else Badge("no", no_css))


def _na(text: str = NA) -> Cell:
    return Cell(text=text, css="na")


# --------------------------------------------------------------------------- availability

_STATUS_RANK = {"ok": 0, "partial": 1, "skipped": 2, "failed": 3, "missing": 3}


def part_availability(bundle: EvidenceBundle, name: str, *, present: bool = True) -> Availability:
    """How far a section can be trusted, from its evidence part's status."""
    label = PART_LABELS.get(name, name)
    part = bundle.part(name)
    not_none_found = "This is not a “none found” result."
    if part is None:
        return Availability(
            "missing",
            "Not collected",
            f"This run recorded no “{label}” step, so nothing here was assessed. {not_none_found}",
            "st-missing",
            f"Not assessed: this run recorded no “{label}” step. {not_none_found}",
        )
    errors = f" ({len(part.errors)} error{'s' if len(part.errors) != 1 else ''})" if part.errors else ""
    note = f" {part.note.rstrip('.')}." if part.note else ""
    if part.status is Status.FAILED:
        return Availability(
            "failed",
            "Failed — not assessed",
            f"The “{label}” step failed{errors}.{note} Nothing here was assessed. {not_none_found}",
            "st-failed",
            f"Not assessed: the “{label}” step failed. {not_none_found}",
        )
    if part.status is Status.SKIPPED:
        return Availability(
            "skipped",
            "Skipped — not assessed",
            f"The “{label}” step was skipped.{note} Nothing here was assessed. {not_none_found}",
            "st-skipped",
            f"Not assessed: the “{label}” step was skipped. {not_none_found}",
        )
    if not present:
        return Availability(
            "missing",
            "Not collected",
            f"The “{label}” step reported {part.status.value} but left no data. {not_none_found}",
            "st-missing",
            f"Not assessed: the “{label}” step left no data. {not_none_found}",
        )
    if part.status is Status.PARTIAL:
        return Availability(
            "partial",
            "Incomplete",
            f"The “{label}” step could not analyse every input{errors}.{note} "
            "Items may be missing; an absence is inconclusive.",
            "st-partial",
        )
    return Availability("ok", "Collected", "", "st-ok")


def degrade(avail: Availability, bundle: EvidenceBundle, depends_on: Iterable[str]) -> Availability:
    """A section built on another step (e.g. DEX parsing) is incomplete when that step was."""
    if not avail.assessed:
        return avail
    weak = [p for p in (bundle.part(n) for n in depends_on) if p is not None and p.status is not Status.OK]
    if not weak:
        return avail
    parts = ", ".join(f"“{PART_LABELS.get(p.name, p.name)}” {p.status.value}" for p in weak)
    message = (avail.message + " " if avail.message else "") + (
        f"This section depends on steps that did not complete ({parts}): items may be missing; "
        "an absence is inconclusive."
    )
    return Availability("partial", "Incomplete", message, "st-partial")


def empty_text(avail: Availability, none_found: str) -> tuple[str, str]:
    """The sentence shown for an empty table: 'none found' only when the step really ran."""
    if not avail.assessed:
        return avail.short, "empty-not-assessed"
    if avail.state == "partial":
        return (
            f"{none_found} — but the step was incomplete, so this absence is inconclusive.",
            "empty-partial",
        )
    return none_found, "empty-none"


def make_table(
    title: str,
    columns: tuple[str, ...],
    rows: Sequence[Row],
    avail: Availability,
    none_found: str,
    *,
    max_rows: int,
    noun: str = "rows",
) -> Table:
    text, css = empty_text(avail, none_found)
    if not avail.assessed:
        rows = ()
    shown = tuple(rows[:max_rows])
    omitted = len(rows) - len(shown)
    omitted_text = (
        f"… and {omitted:,} more {noun} not shown here (the table is capped at {max_rows:,}); "
        "all of them are in evidence.json."
        if omitted
        else ""
    )
    count = f"{len(rows):,}" if avail.assessed else ""
    return Table(title, _columns(columns, shown), shown, len(rows), text, css, omitted_text, count)


def _columns(labels: Sequence[str], rows: Sequence[Row]) -> tuple[Column, ...]:
    numeric = [bool(rows) and all(r.cells[i].css == "num" for r in rows) for i in range(len(labels))]
    return tuple(Column(label, "num" if num else "") for label, num in zip(labels, numeric, strict=True))


# --------------------------------------------------------------------------- header and scope


def _header(bundle: EvidenceBundle) -> Header:
    app = bundle.app
    avail = part_availability(bundle, "identity", present=app is not None)
    tool = f"{bundle.tool.name} {bundle.tool.version}"
    if bundle.tool.androguard_version:
        tool += f" (androguard {bundle.tool.androguard_version})"
    if app is None:
        facts = (
            Fact("App label", _na()),
            Fact("Package", _na()),
            Fact("Version", _na()),
            Fact("APK SHA-256", Cell(text=bundle.input.sha256, mono=True, css="hash")),
            Fact("Signer certificate SHA-256", _na()),
            Fact("File size", Cell(text=human_size(bundle.input.size))),
            Fact("DEX files", _na()),
            Fact("Min / target SDK", _na()),
            Fact("Input file", Cell(text=bundle.input.file_name, mono=True)),
            Fact("Tool", Cell(text=tool)),
            Fact("Evidence collected at", Cell(text=bundle.created_at)),
        )
        title = bundle.input.file_name
        return Header(title=title, subtitle="App identity not collected", facts=facts, availability=avail)

    version = app.version_name or "not declared"
    if app.version_code:
        version += f" (versionCode {app.version_code})"
    certs = app.signing.certificates
    if certs:
        cert_cell = Cell(
            items=tuple(c.sha256 for c in certs),
            title="\n".join(
                f"{c.subject} — issued by {c.issuer}, valid {c.not_before} to {c.not_after}" for c in certs
            ),
            mono=True,
            css="hash",
            sub=_signing_note(app.signing.schemes, app.signing.verified, app.signing.note),
        )
    else:
        cert_cell = Cell(
            text="no signer certificate found",
            css="na",
            sub=_signing_note(app.signing.schemes, app.signing.verified, app.signing.note),
        )
    dex_names = ", ".join(d.name for d in app.dex_files)
    split = ""
    if app.split_name:
        split = f"split APK “{app.split_name}”"
    elif app.is_split_base:
        split = "base APK that requires splits (not analysed here)"
    facts = [
        Fact("App label", Cell(text=app.label) if app.label else _na("no label declared")),
        Fact("Package", Cell(text=app.package, mono=True)),
        Fact("Version", Cell(text=version)),
        Fact("APK SHA-256", Cell(text=app.apk_sha256, mono=True, css="hash")),
        Fact("Signer certificate SHA-256", cert_cell),
        Fact("File size", Cell(text=human_size(app.file_size))),
        Fact("DEX files", Cell(text=str(app.dex_count), sub=clip(dex_names, 120)[0], title=dex_names)),
        Fact(
            "Min / target SDK",
            Cell(text=f"{_sdk(app.min_sdk)} / {_sdk(app.target_sdk)}"),
        ),
        Fact("Input file", Cell(text=bundle.input.file_name, mono=True)),
        Fact("Tool", Cell(text=tool)),
        Fact("Evidence collected at", Cell(text=bundle.created_at)),
    ]
    if app.native_abis:
        facts.insert(7, Fact("Native ABIs", Cell(chips=app.native_abis)))
    if split:
        facts.insert(3, Fact("Split", Cell(text=split, css="warn-text")))
    return Header(
        title=app.label or app.package,
        subtitle=app.package,
        facts=tuple(facts),
        availability=avail,
    )


def _sdk(level: int | None) -> str:
    return str(level) if level is not None else "not declared"


def _signing_note(schemes: tuple[str, ...], verified: bool | None, note: str) -> str:
    parts = [f"schemes: {', '.join(schemes)}" if schemes else "no signature scheme recognised"]
    if verified is None:
        parts.append("signatures not cryptographically verified by appaudit")
    elif verified:
        parts.append("signatures verified")
    else:
        parts.append("SIGNATURE VERIFICATION FAILED")
    if note:
        parts.append(note)
    return "; ".join(parts)


_STATUS_BADGES = {
    "ok": ("ok", "b-ok"),
    "partial": ("partial", "b-warn"),
    "failed": ("FAILED", "b-bad"),
    "skipped": ("skipped", "b-muted"),
    "missing": ("not recorded", "b-bad"),
}


def _part_row(name: str, part: PartStatus | None) -> Row:
    label = PART_LABELS.get(name, name)
    if part is None:
        text, css = _STATUS_BADGES["missing"]
        return Row(
            (
                Cell(text=label, sub=name),
                Cell(badge=Badge(text, css)),
                Cell(text="—", css="num"),
                Cell(text="This run recorded no such step: its results are not assessed."),
            ),
            css="row-bad",
        )
    text, css = _STATUS_BADGES[part.status.value]
    errors = tuple(f"{e.scope}: {e.message}" for e in part.errors)
    shown, more = capped(errors, 20)
    return Row(
        (
            Cell(text=label, sub=name),
            Cell(badge=Badge(text, css)),
            Cell(text=f"{part.seconds:.1f} s", css="num"),
            Cell(text=part.note, items=shown, more=more, css="errors" if errors else ""),
        ),
        css={"failed": "row-bad", "partial": "row-warn", "skipped": "row-muted"}.get(part.status.value, ""),
    )


def _scope(bundle: EvidenceBundle) -> Section:
    names = list(EXPECTED_PARTS) + sorted({p.name for p in bundle.parts} - set(EXPECTED_PARTS))
    rows = [_part_row(name, bundle.part(name)) for name in names]
    notices: list[Notice] = [
        Notice(
            "n-info",
            "Not assessed in this run",
            "Static analysis only. The following were not assessed, so nothing in this report "
            "says they are fine:",
            facts=tuple(Fact(t, Cell(text=d)) for t, d in NOT_ASSESSED),
        )
    ]
    bad = [r for r in rows if r.css == "row-bad"]
    if bad:
        notices.insert(
            0,
            Notice(
                "n-bad",
                f"{len(bad)} evidence part{'s' if len(bad) != 1 else ''} failed or not recorded",
                "Sections built on them say “not assessed”: an empty result there is not a clean result.",
                items=tuple(r.cells[0].text for r in bad),
            ),
        )
    if bundle.archive_anomalies:
        notices.append(
            Notice(
                "n-warn",
                "Archive anomalies",
                "The APK container has irregularities; some tools or devices may read it differently.",
                items=tuple(clip(a)[0] for a in bundle.archive_anomalies),
            )
        )
    parts_table = Table(
        "Evidence parts",
        _columns(("Part", "Status", "Time", "Notes and errors"), rows),
        tuple(rows),
        len(rows),
        "No evidence part was recorded.",
        "empty-not-assessed",
        count_text=str(len(rows)),
    )
    return Section(
        id="scope",
        title="Scope and what was not validated",
        availability=Availability("ok", "", "", "st-ok"),
        intro=(
            "Static analysis only: this report describes what the APK file contains and what its "
            "code could do, not what the app was seen doing.",
        ),
        notices=tuple(notices),
        tables=(parts_table,),
    )


# --------------------------------------------------------------------------- start-up


def _finding(f: StartupFinding, sdk_names: dict[str, str]) -> FindingView:
    kind_label = FINDING_KIND_LABELS.get(f.kind, f.kind)
    if f.kind == "sdk_init":
        name = sdk_names.get(f.target)
        title = f"{name} initialised" if name else f"SDK “{f.target}” initialised"
    steps = tuple(shorten_ref(s) for s in f.chain)
    if f.kind != "sdk_init":
        title = f"{f.target} — {steps[-1].member}" if steps else f.target
    guard = None
    if f.guard is not None:
        guard = GuardView(
            condition=f.guard.condition,
            recognised_by=f.guard.recognised_by,
            method=shorten_ref(str(f.guard.method)),
            branch_offset=f"0x{f.guard.branch_offset:x}",
        )
        guard_badge = Badge("Consent guard recognised", "b-ok")
    else:
        guard_badge = Badge("No consent guard recognised", "b-bad")
    return FindingView(
        title=title,
        target=f.target,
        css="finding guarded" if f.guarded else "finding unguarded",
        kind=Badge(kind_label, "b-info"),
        guard_badge=guard_badge,
        pi_types=tuple(sorted(f.pi_types)),
        entry_label=ENTRY_KIND_LABELS.get(f.entry_point.kind, f.entry_point.kind),
        entry_method=shorten_ref(str(f.entry_point.method)),
        entry_component=_java_class(f.entry_point.component) if f.entry_point.component else "",
        steps=steps,
        full_chain="\n→ ".join(f.chain),
        guard=guard,
    )


def _finding_key(f: StartupFinding) -> tuple:
    return (f.guarded, f.kind != "sdk_init", f.target, str(f.entry_point.method), f.chain)


def _startup(bundle: EvidenceBundle, max_rows: int) -> Section:
    startup: StartupEvidence | None = bundle.startup
    avail = degrade(part_availability(bundle, "startup", present=startup is not None), bundle, ("dex",))
    notices: list[Notice] = []
    facts: tuple[Fact, ...] = ()
    findings: tuple[FindingView, ...] = ()
    entry_rows: list[Row] = []
    if startup is not None and avail.assessed:
        sdk_names = {h.sdk_id: h.name for h in bundle.sdks}
        findings = tuple(_finding(f, sdk_names) for f in sorted(startup.findings, key=_finding_key))
        unguarded = sum(1 for f in startup.findings if not f.guarded)
        facts = (
            Fact(
                "Findings",
                Cell(text=f"{len(startup.findings)} ({unguarded} without a recognised consent guard)"),
            ),
            Fact("Entry points searched", Cell(text=str(len(startup.entry_points)))),
            Fact("Maximum call depth", Cell(text=str(startup.max_depth))),
        )
        if startup.budget_exhausted:
            notices.append(
                Notice(
                    "n-bad",
                    "Search cut short",
                    f"The reachability search hit its budget (maximum depth {startup.max_depth}) before "
                    "exploring every path. Findings below are real, but the absence of a finding is "
                    "inconclusive: more sensitive calls may be reachable before consent.",
                )
            )
        if startup.note:
            notices.append(Notice("n-info", "Note", startup.note))
        for ep in sorted(startup.entry_points, key=lambda e: (e.kind, str(e.method))):
            step = shorten_ref(str(ep.method))
            entry_rows.append(
                Row(
                    (
                        Cell(text=ENTRY_KIND_LABELS.get(ep.kind, ep.kind)),
                        Cell(text=step.member, sub=step.package, title=step.full, mono=True),
                        Cell(text=_java_class(ep.component), mono=True) if ep.component else _na("—"),
                    )
                )
            )
    if not avail.assessed or startup is None:
        text, css = empty_text(avail, "")
    elif startup.budget_exhausted:
        text, css = (
            "No finding before the search was cut — inconclusive, not a clean result.",
            "empty-partial",
        )
    else:
        text, css = empty_text(
            avail,
            "No sensitive API or SDK initialisation was found reachable from start-up code "
            f"within call depth {startup.max_depth}.",
        )
    finding_list = FindingList(findings, text, css)
    return Section(
        id="startup",
        title="Start-up: reachable before consent",
        availability=avail,
        intro=(
            "Sensitive APIs and SDK initialisations reachable from code that runs when the app starts "
            "(Application, ContentProvider, static initialisers, the launcher activity), before any "
            "consent UI can be shown. Each chain reads from the entry point down to the call. "
            "A recognised guard means appaudit found a consent check on the chain; it was not "
            "verified on a device.",
        ),
        notices=tuple(notices),
        facts=facts,
        findings=finding_list,
        tables=(
            make_table(
                "Entry points",
                ("Kind", "Method", "Component"),
                entry_rows,
                avail,
                "No start-up entry point was identified.",
                max_rows=max_rows,
                noun="entry points",
            ),
        ),
    )


# --------------------------------------------------------------------------- SDKs


def _sdk_row(h: SdkHit, sdk_names: dict[str, str]) -> Row:
    conf_css = {Confidence.HIGH: "b-ok", Confidence.MEDIUM: "b-warn", Confidence.LOW: "b-muted"}[h.confidence]
    matches = tuple(
        f"{m.kind}: {m.signature} ×{m.count}" + (f" (e.g. {', '.join(m.examples[:3])})" if m.examples else "")
        for m in sorted(h.matches, key=lambda m: (m.kind, m.signature))
    )
    shown, more = capped(matches)
    sub = h.name_zh or ""
    if h.parent:
        sub = (sub + " · " if sub else "") + f"part of {sdk_names.get(h.parent, h.parent)}"
    return Row(
        (
            Cell(text=h.name, sub=sub, title=h.sdk_id),
            Cell(text=h.vendor) if h.vendor else _na("unknown"),
            Cell(chips=tuple(h.categories)),
            Cell(badge=Badge(h.confidence.value, conf_css)),
            Cell(text=f"{h.class_count:,}", css="num"),
            Cell(items=shown, more=more, mono=True, css="small"),
        )
    )


def _sdks(bundle: EvidenceBundle, max_rows: int) -> Section:
    # Class-prefix signatures need the DEX files: an incomplete DEX parse can hide an SDK.
    avail = degrade(part_availability(bundle, "sdks"), bundle, ("dex",))
    sdk_names = {h.sdk_id: h.name for h in bundle.sdks}
    hits = sorted(bundle.sdks, key=lambda h: (_CONFIDENCE_ORDER[h.confidence], h.name.casefold(), h.sdk_id))
    rows = [_sdk_row(h, sdk_names) for h in hits]
    return Section(
        id="sdks",
        title="Embedded SDKs",
        availability=avail,
        intro=(
            "Third-party SDKs recognised by appaudit's signature database (class prefixes, manifest "
            "components, meta-data, native libraries, assets, domains).",
        ),
        tables=(
            make_table(
                "SDKs",
                ("SDK", "Vendor", "Categories", "Confidence", "Classes", "Matched signatures"),
                rows,
                avail,
                "No SDK from appaudit's signature database was found.",
                max_rows=max_rows,
                noun="SDKs",
            ),
        ),
    )


# --------------------------------------------------------------------------- permissions


def _is_dangerous(p: PermissionRequest) -> bool:
    return "dangerous" in (p.protection_level or "").split("|")


def _permission_row(p: PermissionRequest) -> Row:
    level = p.protection_level
    if level is None:
        badge = Badge("unknown", "b-muted", "not in appaudit's permission table" if not p.known else "")
    elif _is_dangerous(p):
        badge = Badge(level, "b-bad")
    elif level.startswith("signature"):
        badge = Badge(level, "b-info")
    else:
        badge = Badge(level, "b-muted")
    sub = " · ".join(x for x in (p.name_zh, p.name_en) if x)
    if not p.known:
        sub = sub or "not in appaudit's permission table"
    group = " · ".join(x for x in (p.group_zh, p.group) if x)
    return Row(
        (
            Cell(text=p.name, sub=sub, mono=True),
            Cell(badge=badge),
            Cell(text=group) if group else _na("—"),
            Cell(chips=tuple(sorted(p.pi_types))),
            Cell(text=str(p.max_sdk)) if p.max_sdk is not None else _na("—"),
        ),
        css="row-dangerous" if _is_dangerous(p) else "",
    )


def _permissions(bundle: EvidenceBundle, max_rows: int) -> Section:
    manifest = bundle.manifest
    avail = part_availability(bundle, "manifest", present=manifest is not None)
    perms = manifest.permissions if manifest and avail.assessed else ()
    ordered = sorted(perms, key=lambda p: (not _is_dangerous(p), p.name))
    dangerous = sum(1 for p in perms if _is_dangerous(p))
    facts: tuple[Fact, ...] = ()
    if manifest is not None and avail.assessed:
        facts = (
            Fact("Requested", Cell(text=f"{len(perms)} ({dangerous} dangerous)")),
            Fact(
                "Declared by the app",
                Cell(items=tuple(sorted(manifest.declared_permissions)), mono=True)
                if manifest.declared_permissions
                else _na("none"),
            ),
        )
    return Section(
        id="permissions",
        title="Permissions",
        availability=avail,
        intro=(
            "Permissions requested with <uses-permission>. Dangerous (runtime) permissions are listed first "
            "and highlighted.",
        ),
        facts=facts,
        tables=(
            make_table(
                "Requested permissions",
                ("Permission", "Protection level", "Group", "PI types", "Max SDK"),
                [_permission_row(p) for p in ordered],
                avail,
                "The app requests no permission.",
                max_rows=max_rows,
                noun="permissions",
            ),
        ),
    )


# --------------------------------------------------------------------------- API call sites


def _party_cell(sdk_id: str | None, sdk_names: dict[str, str]) -> Cell:
    if sdk_id is None:
        return Cell(badge=Badge("first party", "b-info"))
    return Cell(text=sdk_names.get(sdk_id, sdk_id), title=sdk_id)


def _api_calls(bundle: EvidenceBundle, max_rows: int) -> Section:
    avail = degrade(part_availability(bundle, "api_calls"), bundle, ("dex",))
    sdk_names = {h.sdk_id: h.name for h in bundle.sdks}
    calls: tuple[ApiCallSite, ...] = bundle.api_calls if avail.assessed else ()
    by_api: dict[str, list[ApiCallSite]] = {}
    for c in calls:
        by_api.setdefault(c.api_id, []).append(c)
    summary_rows = []
    for api_id in sorted(by_api):
        sites = by_api[api_id]
        first_party = sum(1 for c in sites if c.sdk_id is None)
        sdk_counts = Counter(c.sdk_id for c in sites if c.sdk_id is not None)
        sdks = tuple(f"{sdk_names.get(s, s)} ×{n}" for s, n in sorted(sdk_counts.items()))
        shown, more = capped(sdks)
        apis = sorted({c.api for c in sites})
        summary_rows.append(
            Row(
                (
                    Cell(text=api_id, title="\n".join(apis), mono=True),
                    Cell(chips=tuple(sorted({t for c in sites for t in c.pi_types}))),
                    Cell(text=f"{len(sites):,}", css="num"),
                    Cell(text=f"{first_party:,}", css="num"),
                    Cell(items=shown, more=more) if sdks else _na("—"),
                ),
                css="row-warn" if first_party else "",
            )
        )
    ordered = sorted(
        calls, key=lambda c: (c.api_id, c.sdk_id is not None, c.sdk_id or "", str(c.caller), c.dex, c.offset)
    )
    site_rows = []
    for c in ordered:
        caller = shorten_ref(str(c.caller))
        site_rows.append(
            Row(
                (
                    Cell(text=c.api_id, title=c.api, mono=True),
                    Cell(chips=tuple(sorted(c.pi_types))),
                    Cell(text=caller.member, sub=caller.package, title=caller.full, mono=True),
                    Cell(text=clip(c.argument, 120)[0], mono=True) if c.argument is not None else _na("—"),
                    Cell(text=f"{c.dex} @0x{c.offset:x}", mono=True, css="small"),
                    _party_cell(c.sdk_id, sdk_names),
                )
            )
        )
    first_party_total = sum(1 for c in calls if c.sdk_id is None)
    facts: tuple[Fact, ...] = ()
    if avail.assessed:
        facts = (
            Fact("Call sites", Cell(text=f"{len(calls):,} ({first_party_total:,} in first-party code)")),
            Fact("Distinct APIs", Cell(text=str(len(by_api)))),
        )
    return Section(
        id="api-calls",
        title="Sensitive API call sites",
        availability=avail,
        intro=(
            "Where the bytecode calls privacy-sensitive Android APIs. Presence of a call does not prove it "
            "runs; see the start-up section for calls reachable before consent.",
        ),
        facts=facts,
        tables=(
            make_table(
                "By API",
                ("API", "PI types", "Call sites", "First party", "SDKs"),
                summary_rows,
                avail,
                "No call to a sensitive API in appaudit's list was found.",
                max_rows=max_rows,
                noun="APIs",
            ),
            make_table(
                "Call sites",
                ("API", "PI types", "Caller", "Argument", "Location", "Code owner"),
                site_rows,
                avail,
                "No call to a sensitive API in appaudit's list was found.",
                max_rows=max_rows,
                noun="call sites",
            ),
        ),
    )


# --------------------------------------------------------------------------- manifest sections


def _component_row(c: Component) -> Row:
    actions, more = capped(tuple(sorted(c.intent_actions)), 5)
    return Row(
        (
            Cell(text=c.kind),
            Cell(text=c.name, mono=True, sub="" if c.enabled else "disabled"),
            Cell(text=EXPORTED_REASON_LABELS.get(c.exported_reason, c.exported_reason)),
            Cell(text=c.permission, mono=True) if c.permission else Cell(badge=Badge("none", "b-warn")),
            Cell(items=actions, more=more, mono=True, css="small") if actions else _na("—"),
        )
    )


def _components(bundle: EvidenceBundle, max_rows: int) -> Section:
    manifest: ManifestEvidence | None = bundle.manifest
    avail = part_availability(bundle, "manifest", present=manifest is not None)
    if manifest is None or not avail.assessed:
        return Section(
            id="components",
            title="Components",
            availability=avail,
            tables=(make_table("Exported components", ("Kind",), [], avail, "", max_rows=max_rows),),
        )
    comps = manifest.components
    kinds = [k for k in _COMPONENT_KIND_ORDER if any(c.kind == k for c in comps)]
    kinds += sorted({c.kind for c in comps} - set(kinds))
    per_kind = Counter(c.kind for c in comps)
    exported_per_kind = Counter(c.kind for c in comps if c.exported)
    counts = tuple(f"{k}: {per_kind[k]} ({exported_per_kind[k]} exported)" for k in kinds)
    kind_rank = {k: i for i, k in enumerate(kinds)}
    exported = sorted((c for c in comps if c.exported), key=lambda c: (kind_rank[c.kind], c.name))
    providers = sorted((c for c in comps if c.kind == "provider"), key=lambda c: c.name)
    facts = (
        Fact(
            "Application class",
            Cell(text=manifest.application_class, mono=True)
            if manifest.application_class
            else _na("none (android.app.Application)"),
        ),
        Fact(
            "Launcher activities",
            Cell(items=manifest.launcher_activities, mono=True)
            if manifest.launcher_activities
            else _na("none"),
        ),
        Fact("Components", Cell(items=counts) if counts else _na("none")),
        Fact(
            "Debuggable", Cell(badge=Badge("yes", "b-bad") if manifest.debuggable else Badge("no", "b-muted"))
        ),
        Fact("allowBackup", _yes_no(manifest.allow_backup, unset="not set (platform default)")),
    )
    provider_rows = [
        Row(
            (
                Cell(text=p.name, mono=True),
                Cell(items=p.authorities, mono=True) if p.authorities else _na("—"),
                Cell(badge=Badge("exported", "b-warn") if p.exported else Badge("not exported", "b-muted")),
                Cell(text=p.permission, mono=True) if p.permission else _na("none"),
            )
        )
        for p in providers
    ]
    return Section(
        id="components",
        title="Components",
        availability=avail,
        intro=(
            "Exported components can be started by other apps. Content providers run their onCreate before "
            "the Application's, at process start.",
        ),
        facts=facts,
        tables=(
            make_table(
                "Exported components",
                ("Kind", "Name", "Why exported", "Permission", "Intent actions"),
                [_component_row(c) for c in exported],
                avail,
                "No component is exported.",
                max_rows=max_rows,
                noun="components",
            ),
            make_table(
                "Content providers",
                ("Name", "Authorities", "Exported", "Permission"),
                provider_rows,
                avail,
                "No content provider is declared.",
                max_rows=max_rows,
                noun="providers",
            ),
        ),
    )


def _list_cell(values: Sequence[str], none: str = "none") -> Cell:
    if not values:
        return _na(none)
    shown, more = capped(sorted(values), 20)
    return Cell(items=shown, more=more, mono=True)


def _network_security(bundle: EvidenceBundle) -> Section:
    manifest = bundle.manifest
    avail = part_availability(bundle, "manifest", present=manifest is not None)
    facts: tuple[Fact, ...] = ()
    notices: tuple[Notice, ...] = ()
    if manifest is not None and avail.assessed:
        ns = manifest.network_security
        facts = (
            Fact(
                "usesCleartextTraffic",
                _yes_no(ns.uses_cleartext_attr, yes_css="b-bad", unset="not set (platform default)"),
            ),
            Fact(
                "Network security config",
                Cell(text=ns.config_resource, mono=True) if ns.config_resource else _na("none"),
            ),
            Fact(
                "Cleartext permitted (base config)",
                _yes_no(ns.cleartext_permitted_base, yes_css="b-bad", unset="platform default"),
            ),
            Fact("Cleartext allowed for domains", _list_cell(ns.cleartext_domains)),
            Fact("Trusts user-installed CAs", _yes_no(ns.trusts_user_cas, yes_css="b-bad", unset="no")),
            Fact(
                "Debug build trusts user CAs",
                _yes_no(ns.debug_overrides_trust_user, yes_css="b-warn", unset="no"),
            ),
            Fact("Certificate pinning for", _list_cell(ns.pinned_domains)),
        )
        if ns.note:
            notices = (Notice("n-info", "Note", ns.note),)
    return Section(
        id="network-security",
        title="Network security",
        availability=avail,
        notices=notices,
        facts=facts,
    )


def _package_visibility(bundle: EvidenceBundle) -> Section:
    manifest = bundle.manifest
    avail = part_availability(bundle, "manifest", present=manifest is not None)
    facts: tuple[Fact, ...] = ()
    if manifest is not None and avail.assessed:
        pv = manifest.package_visibility
        facts = (
            Fact(
                "QUERY_ALL_PACKAGES",
                Cell(
                    badge=Badge("requested", "b-bad")
                    if pv.query_all_packages
                    else Badge("not requested", "b-muted")
                ),
            ),
            Fact("Queried packages", _list_cell(pv.packages)),
            Fact("Queried intent actions", _list_cell(pv.intent_actions)),
            Fact("Queried providers", _list_cell(pv.providers)),
        )
    return Section(
        id="package-visibility",
        title="Package visibility",
        availability=avail,
        intro=("How much of the list of installed apps (软件列表) the app may see on Android 11 and later.",),
        facts=facts,
    )


# --------------------------------------------------------------------------- policy hints and endpoints


def _hint_rows(hints: Iterable[TextHint]) -> list[Row]:
    rows = []
    for h in sorted(hints, key=lambda h: (h.location, h.text)):
        text, full = clip(h.text)
        rows.append(
            Row(
                (
                    Cell(text=text, title=full),
                    Cell(text=h.location, mono=True, css="small"),
                    Cell(chips=tuple(h.keywords)),
                )
            )
        )
    return rows


def _policy(bundle: EvidenceBundle, max_rows: int) -> Section:
    hints = bundle.policy_hints
    avail = part_availability(bundle, "policy_hints", present=hints is not None)
    docs_rows: list[Row] = []
    url_rows: list[Row] = []
    policy_rows: list[Row] = []
    consent_rows: list[Row] = []
    layouts: list[Row] = []
    if hints is not None and avail.assessed:
        for d in sorted(hints.documents, key=lambda d: d.path):
            docs_rows.append(
                Row(
                    (
                        Cell(text=d.path, mono=True),
                        Cell(text=d.kind),
                        Cell(text=human_size(d.size), css="num"),
                        Cell(text=clip(d.title, 200)[0]) if d.title else _na("—"),
                        Cell(text=d.language) if d.language else _na("unknown"),
                        Cell(chips=tuple(d.keywords)),
                    )
                )
            )
        url_rows = _hint_rows(hints.urls)
        policy_rows = _hint_rows(hints.policy_strings)
        consent_rows = _hint_rows(hints.consent_strings)
        layouts = [Row((Cell(text=lay, mono=True),)) for lay in sorted(hints.consent_layouts)]
    hint_cols = ("Text", "Found in", "Keywords")
    return Section(
        id="policy-hints",
        title="Privacy-policy hints",
        availability=avail,
        intro=(
            "Clues that the app ships or links a privacy policy and shows a consent dialog. They are hints "
            "only: the policy text was not analysed. URLs are shown as text and are not links.",
        ),
        tables=(
            make_table(
                "Policy documents in the APK",
                ("Path", "Kind", "Size", "Title", "Language", "Keywords"),
                docs_rows,
                avail,
                "No policy document was found in the APK.",
                max_rows=max_rows,
                noun="documents",
            ),
            make_table(
                "Policy URLs",
                hint_cols,
                url_rows,
                avail,
                "No policy URL was found.",
                max_rows=max_rows,
                noun="URLs",
            ),
            make_table(
                "Policy strings",
                hint_cols,
                policy_rows,
                avail,
                "No policy string was found.",
                max_rows=max_rows,
                noun="strings",
            ),
            make_table(
                "Consent strings",
                hint_cols,
                consent_rows,
                avail,
                "No consent string was found.",
                max_rows=max_rows,
                noun="strings",
            ),
            make_table(
                "Consent layouts",
                ("Layout",),
                layouts,
                avail,
                "No consent layout was found.",
                max_rows=max_rows,
                noun="layouts",
            ),
        ),
    )


def _endpoint_row(e: Endpoint, sdk_names: dict[str, str]) -> Row:
    urls, more = capped(tuple(clip(u, 200)[0] for u in sorted(e.urls)), 5)
    sources, more_sources = capped(tuple(sorted(e.sources)), 5)
    party_css = {"first_party": "b-info", "sdk": "b-warn"}.get(e.party, "b-muted")
    return Row(
        (
            Cell(text=e.host, mono=True),
            Cell(badge=Badge(PARTY_LABELS.get(e.party, e.party), party_css)),
            Cell(text=sdk_names.get(e.sdk_id, e.sdk_id), title=e.sdk_id) if e.sdk_id else _na("—"),
            Cell(badge=Badge("cleartext http", "b-bad")) if e.cleartext else Cell(text="no"),
            Cell(items=urls, more=more, mono=True, css="small") if urls else _na("—"),
            Cell(items=sources, more=more_sources, mono=True, css="small"),
        ),
        css="row-dangerous" if e.cleartext else "",
    )


def _endpoints(bundle: EvidenceBundle, max_rows: int) -> Section:
    avail = degrade(part_availability(bundle, "endpoints"), bundle, ("dex",))
    sdk_names = {h.sdk_id: h.name for h in bundle.sdks}
    ordered = sorted(bundle.endpoints, key=lambda e: (_PARTY_ORDER.get(e.party, 3), e.host))
    return Section(
        id="endpoints",
        title="Network endpoints",
        availability=avail,
        intro=(
            "Hosts found in the code and resources. Seen in the APK, not observed in traffic; shown as text, "
            "not links.",
        ),
        tables=(
            make_table(
                "Endpoints",
                ("Host", "Party", "SDK", "Cleartext", "URLs", "Seen in"),
                [_endpoint_row(e, sdk_names) for e in ordered],
                avail,
                "No network endpoint was found.",
                max_rows=max_rows,
                noun="endpoints",
            ),
        ),
    )


# --------------------------------------------------------------------------- summary and assembly


def _count_item(
    label: str, href: str, avail: Availability, value: int, detail: str, bad: bool
) -> SummaryItem:
    if not avail.assessed:
        return SummaryItem(label, "not assessed", avail.label, "sum-na", href)
    css = "sum-bad" if bad else ("sum-partial" if avail.state == "partial" else "sum-ok")
    if avail.state == "partial":
        detail = (detail + " · " if detail else "") + "incomplete"
    return SummaryItem(label, f"{value:,}", detail, css, href)


def _summary(bundle: EvidenceBundle, sections: dict[str, Section]) -> tuple[SummaryItem, ...]:
    items = []
    startup = bundle.startup
    s_av = sections["startup"].availability
    if startup is not None:
        unguarded = sum(1 for f in startup.findings if not f.guarded)
        detail = f"{unguarded} without a consent guard"
        if startup.budget_exhausted:
            detail += " · search cut short"
        items.append(
            _count_item("Start-up findings", "#startup", s_av, len(startup.findings), detail, unguarded > 0)
        )
    else:
        items.append(_count_item("Start-up findings", "#startup", s_av, 0, "", False))
    items.append(
        _count_item("Embedded SDKs", "#sdks", sections["sdks"].availability, len(bundle.sdks), "", False)
    )
    perms = bundle.manifest.permissions if bundle.manifest else ()
    dangerous = sum(1 for p in perms if _is_dangerous(p))
    items.append(
        _count_item(
            "Dangerous permissions",
            "#permissions",
            sections["permissions"].availability,
            dangerous,
            f"of {len(perms)} requested",
            dangerous > 0,
        )
    )
    first_party = sum(1 for c in bundle.api_calls if c.sdk_id is None)
    items.append(
        _count_item(
            "Sensitive call sites",
            "#api-calls",
            sections["api-calls"].availability,
            len(bundle.api_calls),
            f"{first_party} first party",
            False,
        )
    )
    cleartext = sum(1 for e in bundle.endpoints if e.cleartext)
    items.append(
        _count_item(
            "Endpoints",
            "#endpoints",
            sections["endpoints"].availability,
            len(bundle.endpoints),
            f"{cleartext} cleartext",
            cleartext > 0,
        )
    )
    statuses = [bundle.part(n) for n in EXPECTED_PARTS]
    not_ok = sum(1 for p in statuses if p is None or p.status in (Status.FAILED, Status.SKIPPED))
    partial = sum(1 for p in statuses if p is not None and p.status is Status.PARTIAL)
    detail = f"{not_ok} failed/skipped/missing" + (f" · {partial} partial" if partial else "")
    css = "sum-bad" if not_ok else ("sum-partial" if partial else "sum-ok")
    items.append(
        SummaryItem(
            "Evidence parts", f"{len(EXPECTED_PARTS) - not_ok}/{len(EXPECTED_PARTS)}", detail, css, "#scope"
        )
    )
    return tuple(items)


def build_view(bundle: EvidenceBundle, *, generated_by: str, max_rows: int = DEFAULT_MAX_ROWS) -> ReportView:
    """Turn an evidence bundle into everything the report template prints."""
    header = _header(bundle)
    sections = (
        _scope(bundle),
        _startup(bundle, max_rows),
        _sdks(bundle, max_rows),
        _permissions(bundle, max_rows),
        _api_calls(bundle, max_rows),
        _components(bundle, max_rows),
        _network_security(bundle),
        _package_visibility(bundle),
        _policy(bundle, max_rows),
        _endpoints(bundle, max_rows),
    )
    by_id = {s.id: s for s in sections}
    nav = tuple(
        NavItem(f"#{s.id}", s.title, "" if s.availability.state == "ok" else s.availability.css)
        for s in sections
    )
    app = bundle.app
    page_title = f"appaudit report — {header.title}" + (f" ({app.package})" if app and app.label else "")
    return ReportView(
        lang="zh-CN",
        page_title=page_title,
        header=header,
        summary=_summary(bundle, by_id),
        nav=nav,
        sections=sections,
        generated_by=generated_by,
        tool=f"{bundle.tool.name} {bundle.tool.version}",
        schema_version=bundle.schema_version,
        created_at=bundle.created_at,
    )
