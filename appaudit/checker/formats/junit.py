"""The check result as JUnit XML, for CI test-report views.

One ``<testsuite>`` per category (I … VI) inside a ``<testsuites>`` root, one ``<testcase>`` per item
(``classname`` ``appaudit.I``, ``name`` ``I.1 <English title>``):

* violation → ``<failure type="violation">`` with the evidence in the body;
* error (the item's check failed) → ``<error type="error">``;
* needs_review, inconclusive, not_assessed → ``<skipped>``, the message naming the verdict;
* pass → a plain test case;
* a violation or needs_review accepted by an unexpired suppression → ``<skipped>`` naming it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appaudit.checker.model import CheckResult, ItemResult
    from appaudit.checks.catalog import Catalog

_SKIPPED = frozenset({"needs_review", "inconclusive", "not_assessed"})


def to_junit(result: CheckResult, catalog: Catalog) -> str:
    """A JUnit XML document (UTF-8 text with an XML declaration)."""
    by_id = {r.item_id: r for r in result.results}
    root = ET.Element("testsuites", name="appaudit")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for category in catalog.categories:
        items = catalog.in_category(category.id)
        suite = ET.SubElement(root, "testsuite", name=f"appaudit.{category.id}")
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="title", value=category.title_en)
        ET.SubElement(properties, "property", name="title_zh", value=category.title_zh)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for item in items:
            counts["tests"] += 1
            case = ET.SubElement(
                suite, "testcase", classname=f"appaudit.{category.id}", name=f"{item.id} {item.title_en}", time="0"
            )
            r = by_id.get(item.id)
            if r is None:
                ET.SubElement(case, "error", message="no result for this item", type="error")
                counts["errors"] += 1
                continue
            verdict = r.verdict.value
            suppression = getattr(r, "suppressed_by", None)
            if suppression is not None and verdict != "error":  # accepted: shown, but does not fail the build
                message = f"{verdict.replace('_', ' ')} (suppressed until {suppression.expires}: {suppression.reason})"
                ET.SubElement(case, "skipped", message=message)
                ET.SubElement(case, "system-out").text = _body(r)
                counts["skipped"] += 1
            elif verdict == "violation":
                element = ET.SubElement(case, "failure", message=r.summary, type="violation")
                element.text = _body(r)
                counts["failures"] += 1
            elif verdict == "error":
                element = ET.SubElement(case, "error", message=r.summary, type="error")
                element.text = _body(r)
                counts["errors"] += 1
            elif verdict in _SKIPPED:
                message = f"{verdict.replace('_', ' ')}: {r.summary}"
                if r.needs:
                    message += f" (needs: {'; '.join(r.needs)})"
                ET.SubElement(case, "skipped", message=message)
                counts["skipped"] += 1
            if r.evidence and suppression is None and verdict not in ("violation", "error"):
                ET.SubElement(case, "system-out").text = _body(r)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _body(r: ItemResult) -> str:
    lines = [f"verdict: {r.verdict.value}", f"confidence: {r.confidence.value if r.confidence else '-'}"]
    lines += [f"evidence {e.ref} ({e.kind}): {e.detail}" for e in r.evidence]
    lines += [f"needs: {n}" for n in r.needs]
    return "\n".join(lines)
