"""Suppressions: accepted findings that stay visible but stop gating CI until they expire.

File format (YAML, safe loading only, duplicate keys rejected)::

    suppressions:
      - item: IV.1                     # an item ID of the catalog (I.1 … VI.5)
        reason: "READ_PHONE_STATE is removed in 3.2; accepted by legal, ticket PRIV-41"   # required
        expires: 2027-01-31            # required, a real date; the suppression holds up to that day
        match: "READ_PHONE_STATE"      # optional: only when an evidence ref (path or detail) contains it

A suppression applies to a ``violation`` or ``needs_review`` result of its item. The verdict is kept
and shown; the result gains ``suppressed_by`` (reason and expiry) and is left out of
:meth:`CheckResult.findings`, which is what ``--fail-on`` reads. The score is unchanged: an accepted
violation is still a violation. A suppression past its expiry is ignored and listed in
``CheckResult.expired_suppressions`` so the report can ask for it to be renewed or fixed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from appaudit.checker.assessment import read_entries
from appaudit.checker.model import SUPPRESSIBLE, CheckResult, ItemResult, Suppression

__all__ = ["apply_suppressions", "is_expired", "load_suppressions"]

_KEYS = frozenset({"item", "reason", "expires", "match"})


def load_suppressions(path: Path) -> tuple[Suppression, ...]:
    """Read and validate a suppression file. Expiry is judged when applied (:func:`apply_suppressions`)."""
    out = []
    for entry in read_entries(path, "suppressions"):
        entry.only(_KEYS)
        out.append(
            Suppression(
                item_id=entry.item_id(),
                reason=entry.text("reason").strip(),
                expires=entry.date("expires").isoformat(),
                match=entry.optional_text("match"),
                source=entry.where,
            )
        )
    return tuple(out)


def is_expired(suppression: Suppression, today: dt.date) -> bool:
    return dt.date.fromisoformat(suppression.expires) < today


def apply_suppressions(
    result: CheckResult, suppressions: Iterable[Suppression], today: dt.date | None = None
) -> CheckResult:
    """Mark the results accepted by an unexpired suppression; report the expired ones."""
    today = today or dt.date.today()
    suppressions = tuple(suppressions)
    active = [s for s in suppressions if not is_expired(s, today)]
    expired = tuple(s for s in suppressions if is_expired(s, today))
    results = tuple(_suppressed(r, active) for r in result.results)
    return replace(result, results=results, expired_suppressions=result.expired_suppressions + expired)


def _suppressed(r: ItemResult, active: list[Suppression]) -> ItemResult:
    if r.verdict not in SUPPRESSIBLE or r.suppressed_by is not None:
        return r
    for s in active:
        if s.item_id == r.item_id and _matches(r, s.match):
            return replace(r, suppressed_by=s)
    return r


def _matches(r: ItemResult, match: str | None) -> bool:
    if match is None:
        return True
    return any(match in ref.ref or match in ref.detail for ref in r.evidence)
