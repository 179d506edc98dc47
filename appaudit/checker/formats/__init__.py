"""Machine-readable outputs of a check: JSON, SARIF 2.1.0 and JUnit XML.

Each is a pure function from a :class:`~appaudit.checker.model.CheckResult` (plus the evidence
bundle and catalog it needs) to a string; the commands decide where the string goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from appaudit.checker.formats.json_format import to_json
from appaudit.checker.formats.junit import to_junit
from appaudit.checker.formats.sarif import to_sarif

if TYPE_CHECKING:
    from appaudit.checker.model import CheckResult
    from appaudit.evidence.model import EvidenceBundle

FORMATS: tuple[str, ...] = ("json", "sarif", "junit")

__all__ = ["FORMATS", "render", "to_json", "to_junit", "to_sarif"]


def render(fmt: str, result: CheckResult, bundle: EvidenceBundle) -> str:
    """The check result in one of :data:`FORMATS`."""
    if fmt == "json":
        return to_json(result, bundle)
    from appaudit.checks.catalog import load_catalog

    if fmt == "sarif":
        return to_sarif(result, bundle, load_catalog())
    if fmt == "junit":
        return to_junit(result, load_catalog())
    raise ValueError(f"unknown format {fmt!r}")
