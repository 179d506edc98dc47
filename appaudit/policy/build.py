"""The policy part of a bundle: parse every document found, analyse them together, record what failed."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from appaudit.evidence.model import EvidenceBundle, PartError, PartStatus, Status
from appaudit.evidence.policy_text import PolicyEvidence
from appaudit.knowledge.sdk_db import SdkDatabase
from appaudit.policy.sources import PolicySource


def build_policy(
    sources: Sequence[PolicySource], errors: Sequence[PartError], sdk_db: SdkDatabase | None = None
) -> tuple[PolicyEvidence | None, PartStatus]:
    """Parse and analyse ``sources``; None (with a failed part) when nothing could be read."""
    from appaudit.policy.extract import analyse_policies
    from appaudit.policy.parse import parse_policy

    started = time.perf_counter()
    problems = list(errors)
    parsed = []
    for i, s in enumerate(sources):
        try:
            parsed.append(parse_policy(s.data, doc_id=f"d{i}", source=s.source, location=s.location,
                                       content_type=s.content_type))  # fmt: skip
        except Exception as exc:  # one unreadable document must not lose the others
            problems.append(PartError(s.location, f"could not be parsed: {type(exc).__name__}: {exc}"))
    seconds = round(time.perf_counter() - started, 3)
    if not parsed:
        return None, PartStatus("policy", Status.FAILED, seconds, tuple(problems), "no policy document could be read")
    evidence = analyse_policies(parsed, sdk_db)
    read = ", ".join(f"{p.text.source}: {p.text.location}" for p in parsed)
    status = Status.PARTIAL if problems else Status.OK
    return evidence, PartStatus(
        "policy", status, round(time.perf_counter() - started, 3), tuple(problems), f"read {read}"
    )


def add_policy(bundle: EvidenceBundle, evidence: PolicyEvidence | None, status: PartStatus) -> EvidenceBundle:
    parts = (*(p for p in bundle.parts if p.name != "policy"), status)
    return replace(bundle, parts=parts, policy=evidence)
