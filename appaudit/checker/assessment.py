"""Auditor assessments: a human verdict that overrides or completes the machine one.

Many items (consent dialogs, policy wording, rights requests) can only be settled by a person. An
assessment file records that judgement next to the evidence, so the report shows who decided what,
when, and what the machine had said.

File format (YAML, safe loading only, duplicate keys rejected)::

    assessments:
      - item: III.7                # an item ID of the catalog (I.1 … VI.5)
        verdict: violation         # violation | pass | needs_review | not_assessed | inconclusive
        note: "诱导用户同意: the dialog hides the refuse button"   # required, non-empty
        auditor: "Li Wei"          # required, non-empty
        date: 2026-11-20           # required, a real date (YYYY-MM-DD), not in the future
        evidence: ["screenshot 3 in the audit file"]   # optional free-text references

At most one assessment per item. Any problem raises :class:`~appaudit.errors.InputError` naming
the file, the entry number and its line.

Applying an assessment (:func:`apply_assessments`) replaces the item's verdict, records
``source="auditor"``, keeps the replaced ``machine_verdict`` and the ``assessment`` itself, and
recomputes the score. The assessment is cited as an ``auditor`` evidence ref (with one more ref per
free-text reference) ahead of the machine's refs, so a human pass or violation is founded evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from appaudit.checker.model import AUDITOR_VERDICTS, Assessment, CheckResult, EvidenceRef, ItemResult, Verdict
from appaudit.checker.score import score
from appaudit.checks.catalog import ITEM_IDS
from appaudit.errors import InputError
from appaudit.evidence.model import Confidence

__all__ = ["apply_assessments", "load_assessments"]

_KEYS = frozenset({"item", "verdict", "note", "auditor", "date", "evidence"})


def load_assessments(path: Path, *, today: dt.date | None = None) -> tuple[Assessment, ...]:
    """Read and validate an assessment file; ``today`` (default: the local date) bounds ``date``."""
    today = today or dt.date.today()
    seen: dict[str, str] = {}
    out = []
    for entry in read_entries(path, "assessments"):
        entry.only(_KEYS)
        item_id = entry.item_id()
        verdict_text = entry.text("verdict")
        try:
            verdict = Verdict(verdict_text)
        except ValueError:
            verdict = None
        if verdict not in AUDITOR_VERDICTS:
            allowed = " | ".join(v.value for v in Verdict if v in AUDITOR_VERDICTS)
            raise entry.error(f"unknown verdict {verdict_text!r} (expected {allowed})")
        assert verdict is not None
        when = entry.date("date")
        if when > today:
            raise entry.error(f"date {when.isoformat()} is in the future (today is {today.isoformat()})")
        if item_id in seen:
            raise entry.error(f"a second assessment of {item_id} (the first is {seen[item_id]})")
        seen[item_id] = entry.label
        out.append(
            Assessment(
                item_id=item_id,
                verdict=verdict,
                note=entry.text("note").strip(),
                auditor=entry.text("auditor").strip(),
                date=when.isoformat(),
                evidence=entry.texts("evidence"),
                source=entry.where,
            )
        )
    return tuple(out)


def apply_assessments(result: CheckResult, assessments: Iterable[Assessment]) -> CheckResult:
    """The check result with each assessed item's verdict set by its auditor, and the score recomputed."""
    by_item = {a.item_id: (index, a) for index, a in enumerate(assessments)}
    if not by_item:
        return result
    results = tuple(_assessed(r, *by_item[r.item_id]) if r.item_id in by_item else r for r in result.results)
    return replace(result, results=results, score=score(results, ITEM_IDS))


def _assessed(machine: ItemResult, index: int, a: Assessment) -> ItemResult:
    own = (
        EvidenceRef("auditor", f"assessments[{index}]", f"{a.auditor}, {a.date}: {a.note} ({a.source})"),
        *(EvidenceRef("auditor", f"assessments[{index}].evidence[{j}]", text) for j, text in enumerate(a.evidence)),
    )
    return replace(
        machine,
        verdict=a.verdict,
        confidence=None if a.verdict is Verdict.NOT_ASSESSED else Confidence.HIGH,
        summary=f"Auditor {a.auditor} ({a.date}): {a.note} [machine verdict: {machine.verdict.value}]",
        evidence=own + machine.evidence,
        needs=machine.needs if a.verdict is Verdict.NOT_ASSESSED else (),
        source="auditor",
        machine_verdict=machine.machine_verdict or machine.verdict,
        assessment=a,
    )


# --------------------------------------------------------------------------- reading (shared with suppress)


class _UniqueKeySafeLoader(yaml.SafeLoader):
    """Safe loading only; a repeated key is an error rather than silently the last value."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class FileEntry:
    """One mapping of a user's list file, with accessors that raise :class:`InputError` naming it."""

    source: str
    label: str  # "entry 2 (line 9)"
    data: Mapping[str, Any]

    @property
    def where(self) -> str:
        return f"{self.source}, {self.label}"

    def error(self, message: str) -> InputError:
        return InputError(f"{self.where}: {message}")

    def only(self, allowed: frozenset[str]) -> None:
        unknown = sorted(str(k) for k in set(self.data) - allowed)
        if unknown:
            raise self.error(f"unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"'{key}' is required and must be a non-empty string")
        return value

    def optional_text(self, key: str) -> str | None:
        return None if self.data.get(key) is None else self.text(key)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(f"'{key}' must be a list of non-empty strings")
        return tuple(value)

    def item_id(self) -> str:
        value = self.data.get("item")
        if not isinstance(value, str) or value not in ITEM_IDS:
            raise self.error(f"unknown item {value!r} (expected one of I.1 … VI.5, e.g. III.7)")
        return value

    def date(self, key: str) -> dt.date:
        value = self.data.get(key)
        if isinstance(value, dt.datetime):  # a timestamp is more than asked for; keep the day
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                if len(value) == 10:
                    return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise self.error(f"'{key}' must be a real date written YYYY-MM-DD, got {value!r}")


def read_entries(path: Path, key: str) -> list[FileEntry]:
    """The list under the only top-level ``key`` of a YAML file, one :class:`FileEntry` per item."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read: {exc}") from exc
    try:
        node = yaml.compose(text, Loader=_UniqueKeySafeLoader)
        doc = yaml.load(text, Loader=_UniqueKeySafeLoader)  # a SafeLoader subclass
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date such as 2026-02-30
        raise InputError(f"{source}: invalid YAML: {exc}") from exc
    if not isinstance(doc, dict) or set(doc) != {key}:
        raise InputError(f"{source}: expected a mapping with one key, '{key}', holding a list")
    if doc[key] is None:
        return []
    if not isinstance(doc[key], list):
        raise InputError(f"{source}: '{key}' must be a list")
    assert isinstance(node, yaml.MappingNode)
    seq = next(v for k, v in node.value if k.value == key)
    entries = []
    for i, (item_node, data) in enumerate(zip(seq.value, doc[key], strict=True)):
        label = f"entry {i + 1} (line {item_node.start_mark.line + 1})"
        if not isinstance(data, Mapping):
            raise InputError(f"{source}, {label}: expected a mapping (item: …, …), got {data!r}")
        entries.append(FileEntry(source, label, data))
    return entries
