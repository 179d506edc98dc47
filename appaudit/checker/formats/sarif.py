"""The check result as SARIF 2.1.0, for code-scanning dashboards and CI annotations.

Layout (one run):

* ``tool.driver``: name ``appaudit`` and its version (no ``informationUri``: we own no URL), and one
  ``reportingDescriptor`` per catalog item (31, in document order) whose ``id`` is the item id.
* ``results``: one per item whose verdict is a finding or could not be settled:

  ========================  =========  ==========
  verdict                   level      kind
  ========================  =========  ==========
  violation                 error      fail
  needs_review              warning    fail
  inconclusive              note       fail
  error (the check failed)  error      fail
  ========================  =========  ==========

  ``kind`` is ``fail`` throughout because SARIF §3.27.9 requires ``level`` ``none`` for every other
  kind; the verdict itself is in the result's ``properties.verdict``.

  Items that passed or were not assessed are **not** results (dashboards would show them as
  alerts); they are listed in ``run.properties`` (``passed``, ``notAssessed`` with the runs that
  would assess them) together with the score, so the file still accounts for all 31 items.
* Locations: every result points at the APK (``artifactLocation.uri`` = the input file name, also
  ``run.artifacts[0]`` with its SHA-256). Evidence in code adds ``logicalLocations`` (kind
  ``function``, smali notation): for a start-up chain the method that makes the call, for an API
  call site its caller, for an entry point its method. The other methods of a chain (entry point …
  callee) are ``relatedLocations``.
* A finding an unexpired suppression accepted carries ``suppressions`` (kind ``external``, status
  ``accepted``, the reason as justification); an auditor's verdict records the machine verdict it
  replaced in ``properties.machineVerdict``.
* ``partialFingerprints["appauditEvidence/v1"]``: SHA-256 of the item id and its evidence (kind and
  detail, e.g. the call chain, falling back to the reference path), so a finding keeps its identity
  across runs and across reordering of the evidence file.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from appaudit import __version__

if TYPE_CHECKING:
    from appaudit.checker.model import CheckResult, EvidenceRef, ItemResult
    from appaudit.checks.catalog import Catalog, CatalogItem
    from appaudit.evidence.model import EvidenceBundle

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "appauditEvidence/v1"

# verdict -> (level, kind); verdicts not listed here are not results (see the module docstring)
RESULT_VERDICTS: dict[str, tuple[str, str]] = {
    "violation": ("error", "fail"),
    "needs_review": ("warning", "fail"),
    "inconclusive": ("note", "fail"),
    "error": ("error", "fail"),
}

_INDEXED = re.compile(r"^(?P<path>[a-z_.]+)\[(?P<index>\d+)\]$")


def to_sarif(result: CheckResult, bundle: EvidenceBundle, catalog: Catalog) -> str:
    """A SARIF 2.1.0 log (JSON text) with one run."""
    rule_index = {item.id: i for i, item in enumerate(catalog.items)}
    artifact_uri = quote(bundle.input.file_name)
    results = [
        _result(r, rule_index, artifact_uri, bundle)
        for r in result.results
        if r.verdict.value in RESULT_VERDICTS and r.item_id in rule_index
    ]
    overall = result.score.overall
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "appaudit",
                "fullName": "appaudit: Determination Rules (2019) audit of Android apps",
                "version": bundle.tool.version or __version__,
                "semanticVersion": bundle.tool.version or __version__,
                "rules": [_rule(item, catalog) for item in catalog.items],
            }
        },
        "invocations": [{"executionSuccessful": not any(r.verdict.value == "error" for r in result.results)}],
        "artifacts": [
            {
                "location": {"uri": artifact_uri},
                "length": bundle.input.size,
                "hashes": {"sha-256": bundle.input.sha256},
                "roles": ["analysisTarget"],
            }
        ],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "passed": [r.item_id for r in result.results if r.verdict.value == "pass"],
            "notAssessed": [
                {"id": r.item_id, "summary": r.summary, "needs": list(r.needs)}
                for r in result.results
                if r.verdict.value == "not_assessed"
            ],
            "score": {
                "grade": overall.grade,
                "passRatio": overall.pass_ratio,
                "coverage": overall.coverage,
                "decided": overall.decided,
                "decidedBy": dict(result.score.decided_by),
                "items": overall.items,
                "violation": overall.violation,
                "passed": overall.passed,
                "needsReview": overall.needs_review,
                "inconclusive": overall.inconclusive,
                "notAssessed": overall.not_assessed,
                "error": overall.error,
                "formula": result.score.formula,
            },
            "app": (
                {"package": bundle.app.package, "versionName": bundle.app.version_name}
                if bundle.app is not None
                else None
            ),
        },
    }
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, ensure_ascii=False, indent=2)


def _rule(item: CatalogItem, catalog: Catalog) -> dict[str, Any]:
    category = catalog.category(item.category)
    text = (
        f"{item.id} {item.title_en}\n\n{item.text_en}\n\n原文: {item.text_zh}\n\n"
        f"What: {item.what}\nWhy: {item.why}\nDetection: {item.detection}\nFix: {item.fix}\n"
        f"Reference: {item.reference}"
    )
    markdown = (
        f"**{item.id} {item.title_en}**\n\n{item.text_en}\n\n> {item.text_zh}\n\n"
        f"**What.** {item.what}\n\n**Why.** {item.why}\n\n**Detection.** {item.detection}\n\n"
        f"**Fix.** {item.fix}\n\n**Reference.** {item.reference}"
    )
    return {
        "id": item.id,
        "name": _pascal(item.title_en) or item.id,
        "shortDescription": {"text": item.title_en},
        "fullDescription": {"text": item.text_en},
        "help": {"text": text, "markdown": markdown},
        "properties": {
            "level": item.level,
            "evidenceKinds": list(item.evidence),
            "category": item.category,
            "categoryTitle": category.title_en if category else None,
            "categoryTitleZh": category.title_zh if category else None,
            "textZh": item.text_zh,
            "tags": ["privacy", f"category-{item.category}", item.level],
        },
    }


def _pascal(title: str) -> str:
    """A rule ``name``: the English title in PascalCase, ASCII letters and digits only."""
    return "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))


def _result(r: ItemResult, rule_index: dict[str, int], artifact_uri: str, bundle: EvidenceBundle) -> dict[str, Any]:
    level, kind = RESULT_VERDICTS[r.verdict.value]
    physical = {"artifactLocation": {"uri": artifact_uri, "index": 0}}
    locations: list[dict[str, Any]] = []
    related: list[dict[str, Any]] = []
    for ref in r.evidence:
        primary, others = _code_locations(ref, bundle)
        if primary is None:
            continue
        locations.append(
            {
                "physicalLocation": physical,
                "logicalLocations": [_function(primary)],
                "message": {"text": ref.detail or ref.ref},
            }
        )
        for method in others:
            related.append(
                {
                    "id": len(related),
                    "physicalLocation": physical,
                    "logicalLocations": [_function(method)],
                    "message": {"text": f"{ref.ref}: {method}"},
                }
            )
    if not locations:
        locations.append({"physicalLocation": physical})
    out: dict[str, Any] = {
        "ruleId": r.item_id,
        "ruleIndex": rule_index[r.item_id],
        "kind": kind,
        "level": level,
        "message": {"text": r.summary},
        "locations": locations,
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(r.item_id, r.evidence)},
        "properties": {
            "verdict": r.verdict.value,
            "confidence": r.confidence.value if r.confidence else None,
            "source": r.source,
            "needs": list(r.needs),
            "evidence": [{"kind": e.kind, "ref": e.ref, "detail": e.detail} for e in r.evidence],
        },
    }
    if related:
        out["relatedLocations"] = related
    machine_verdict = getattr(r, "machine_verdict", None)
    if machine_verdict is not None:
        out["properties"]["machineVerdict"] = machine_verdict.value
    suppression = getattr(r, "suppressed_by", None)
    if suppression is not None:  # an accepted finding: still reported, no longer gating (SARIF §3.35)
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": suppression.reason,
                "properties": {
                    "expires": suppression.expires,
                    "match": suppression.match,
                    "source": suppression.source,
                },
            }
        ]
    return out


def fingerprint(item_id: str, evidence: tuple[EvidenceRef, ...]) -> str:
    """Stable across runs: the item id and its evidence, order-independent, hashed."""
    keys = sorted(f"{e.kind}:{e.detail or e.ref}" for e in evidence)
    return hashlib.sha256("\n".join([item_id, *keys]).encode("utf-8")).hexdigest()


def _function(method: str) -> dict[str, str]:
    name = method.split("->", 1)[1].split("(", 1)[0] if "->" in method else method
    return {"name": name, "fullyQualifiedName": method, "kind": "function"}


def _code_locations(ref: EvidenceRef, bundle: EvidenceBundle) -> tuple[str | None, list[str]]:
    """The method a piece of evidence points at, and the other methods of its chain."""
    match = _INDEXED.match(ref.ref)
    if match is None:
        return None, []
    path, index = match["path"], int(match["index"])
    if path == "startup.findings" and bundle.startup is not None and index < len(bundle.startup.findings):
        chain = list(bundle.startup.findings[index].chain)
        if not chain:
            return None, []
        if len(chain) == 1:
            return chain[0], []
        # chain[-2] is the app method that makes the call; chain[-1] is the callee (API or SDK)
        return chain[-2], [*chain[:-2], chain[-1]]
    if path == "api_calls" and index < len(bundle.api_calls):
        site = bundle.api_calls[index]
        return str(site.caller), [site.api]
    if path == "startup.entry_points" and bundle.startup is not None and index < len(bundle.startup.entry_points):
        return str(bundle.startup.entry_points[index].method), []
    return None, []
