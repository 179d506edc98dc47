"""Curation aid for ``appaudit/data/sdks.yaml``: check citations against the upstream rule sets.

Not used at run time. Run it after editing the SDK database, with the upstream files at hand::

    python -m appaudit.data.tools.check_upstream \\
        --libchecker /path/to/LibChecker-Rules/cloud/rules/v3/rules.db \\
        --libradar /path/to/LibRadar/tag_rules.csv

It reports

* **citations**: entries that cite ``libchecker`` (or ``libradar``) but none of whose signatures
  appears in that upstream file -- the citation is wrong or the signature was mistyped;
* **coverage**: upstream rules that no entry matches yet, grouped by upstream label, as a to-do
  list for curators (many are libraries, not SDKs, and rightly stay out).

Exit status 0 when every citation is backed, 1 otherwise, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import csv
import re
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from appaudit.knowledge.sdk_db import SdkDatabase, SdkEntry, load_sdk_database

# rules_table.type in LibChecker-Rules v3
_LIBCHECKER_KINDS = {0: "native_lib", 1: "service", 2: "activity", 3: "receiver", 4: "provider", 5: "package"}


@dataclass
class UpstreamRule:
    """One upstream rule: a label and a signature of one kind (exact or regex)."""

    label: str
    kind: str  # native_lib | activity | service | receiver | provider | package
    value: str
    regex: bool = False

    def matched_by(self, entry: SdkEntry) -> bool:
        if self.kind == "native_lib":
            return any(_lib_overlaps(pattern.exact, pattern.regex, self) for pattern in entry.native_libs)
        if self.kind == "package":
            dotted = self.value.rstrip(".") + "."
            smali = "L" + dotted.replace(".", "/")
            return any(
                prefix == smali or prefix.startswith(smali) or smali.startswith(prefix)
                for prefix in entry.class_prefixes
            )
        return any(kind == self.kind and _name_overlaps(name, self) for kind, name in entry.components)


@dataclass
class Report:
    unbacked: dict[str, list[str]] = field(default_factory=dict)  # source id -> entry ids
    uncovered: dict[str, list[str]] = field(default_factory=dict)  # upstream label -> rule values


def _lib_overlaps(exact: str | None, regex: str | None, rule: UpstreamRule) -> bool:
    if rule.regex:
        if exact is not None:
            return re.fullmatch(rule.value, exact) is not None
        return regex is not None and (
            _plain(regex) == _plain(rule.value) or re.fullmatch(regex, _example(rule.value)) is not None
        )
    if exact is not None:
        return exact == rule.value
    return regex is not None and re.fullmatch(regex, rule.value) is not None


def _plain(regex: str) -> str:
    """LibChecker writes "lib(.*)\\.so" where appaudit writes "lib.*\\.so"."""
    return regex.replace("(.*)", ".*")


def _example(regex: str) -> str:
    """A file name the simple upstream pattern matches: "libx_v(.*)\\.so" -> "libx_v0.so"."""
    return _plain(regex).replace(".*", "0").replace("\\.", ".")


def _name_overlaps(name: str, rule: UpstreamRule) -> bool:
    if rule.regex:
        stem = rule.value.split("(", 1)[0]  # "com.x.(.*)" -> "com.x."
        return name.startswith(stem) or (name.endswith(".*") and stem.startswith(name[:-1]))
    if name.startswith("*."):
        return rule.value.endswith(name[1:])
    if name.endswith(".*"):
        return rule.value.startswith(name[:-1])
    return name == rule.value


def read_libchecker(path: Path) -> list[UpstreamRule]:
    """Rules of a LibChecker-Rules v3 ``rules.db``, opened read-only."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT name, label, type, isRegexRule FROM rules_table").fetchall()
    finally:
        connection.close()
    return [
        UpstreamRule(label=str(label), kind=_LIBCHECKER_KINDS[kind], value=str(name), regex=bool(is_regex))
        for name, label, kind, is_regex in rows
        if kind in _LIBCHECKER_KINDS
    ]


def read_libradar(path: Path) -> list[UpstreamRule]:
    """Named package rules of LibRadar's ``tag_rules.csv`` (rows tagged "no" are skipped)."""
    rules = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            name = (row.get("Library Name") or "").strip()
            package = (row.get("Package Name") or "").strip().rstrip("/")
            if not name or name == "no" or not package.startswith("L"):
                continue
            rules.append(UpstreamRule(label=name, kind="package", value=package[1:].replace("/", ".") + "."))
    return rules


def cites(entry: SdkEntry, source_id: str) -> bool:
    return any(ref.split(":", 1)[0].strip() == source_id for ref in entry.sources)


def check(db: SdkDatabase, upstreams: dict[str, list[UpstreamRule]]) -> Report:
    report = Report()
    for source_id, rules in upstreams.items():
        unbacked = [
            entry.id
            for entry in db.entries
            if cites(entry, source_id) and not any(rule.matched_by(entry) for rule in rules)
        ]
        if unbacked:
            report.unbacked[source_id] = unbacked
        for rule in rules:
            if not any(rule.matched_by(entry) for entry in db.entries):
                report.uncovered.setdefault(f"{source_id}: {rule.label}", []).append(rule.value)
    return report


def format_report(report: Report, *, show_coverage: bool) -> Iterable[str]:
    for source_id, ids in report.unbacked.items():
        yield f"{len(ids)} entries cite {source_id} without a signature found there: {', '.join(ids)}"
    if show_coverage:
        labels: dict[str, int] = defaultdict(int)
        rules: dict[str, int] = defaultdict(int)
        for label, values in report.uncovered.items():
            labels[label.split(":", 1)[0]] += 1
            rules[label.split(":", 1)[0]] += len(values)
        for source_id in sorted(labels):
            yield f"{source_id}: {rules[source_id]} rules under {labels[source_id]} labels match no entry"
        for label, values in sorted(report.uncovered.items()):
            yield f"  {label}: {', '.join(values[:4])}{' ...' if len(values) > 4 else ''}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--libchecker", type=Path, help="LibChecker-Rules v3 rules.db")
    parser.add_argument("--libradar", type=Path, help="LibRadar tag_rules.csv")
    parser.add_argument("--sdk-db", type=Path, help="an SDK database file (default: the packaged one)")
    parser.add_argument("--coverage", action="store_true", help="also list upstream rules no entry matches")
    args = parser.parse_args(argv)
    if not (args.libchecker or args.libradar):
        parser.error("give --libchecker and/or --libradar")
    upstreams: dict[str, list[UpstreamRule]] = {}
    if args.libchecker:
        upstreams["libchecker"] = read_libchecker(args.libchecker)
    if args.libradar:
        upstreams["libradar"] = read_libradar(args.libradar)
    report = check(load_sdk_database(args.sdk_db), upstreams)
    for line in format_report(report, show_coverage=args.coverage):
        print(line)
    return 1 if report.unbacked else 0


if __name__ == "__main__":
    sys.exit(main())
