"""The sdk-zoo fixture against the packaged SDK database: exact SDK set and category coverage.

The expected ids are the code block under "Expected SDK ids (exact)" in
fixtures/apps/sdk-zoo/EXPECTED.md; a scan must report every one of them and nothing else, and
together they must cover every SDK category of the database at least twice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from appaudit.evidence.model import EvidenceBundle
from appaudit.knowledge.sdk_db import SdkDatabase, load_sdk_database
from appaudit.pipeline import scan_apk

ZOO = Path(__file__).resolve().parent.parent / "fixtures" / "apps" / "sdk-zoo"
HEADING = "## Expected SDK ids (exact)"
MIN_SDKS_PER_CATEGORY = 2

# The categories the zoo is meant to cover (every category of appaudit/data/sdks.yaml at the time of
# writing); a category added to the database later must be covered too (see the coverage test).
CATEGORIES = (
    "advertising", "analytics", "login_auth", "push", "risk_control", "crash_reporting", "payment",
    "social_share", "ai_voice_face", "map_location", "customer_service_im", "attribution",
    "hotfix_update", "apm", "oaid", "one_click_login", "security_hardening", "browser_webview",
    "development", "game", "media", "other",
)  # fmt: skip


def expected_ids() -> list[str]:
    """The ids listed, one per line, in the first code block after the heading."""
    text = (ZOO / "EXPECTED.md").read_text(encoding="utf-8")
    _, heading, rest = text.partition(HEADING + "\n")
    assert heading, f"EXPECTED.md has no {HEADING!r} section"
    block = re.search(r"^```[^\n]*\n(.*?)^```", rest, re.DOTALL | re.MULTILINE)
    assert block is not None, f"no code block under {HEADING!r}"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


@pytest.fixture(scope="module")
def db() -> SdkDatabase:
    return load_sdk_database()


@pytest.fixture(scope="module")
def zoo() -> EvidenceBundle:
    result = scan_apk(ZOO / "sdk-zoo.apk")
    assert result.internal_errors == []
    return result.bundle


def test_expected_list_is_sorted_unique_and_known(db) -> None:
    ids = expected_ids()
    assert ids, "the expected list is empty"
    assert ids == sorted(set(ids)), "the expected list must be sorted and without duplicates"
    assert [i for i in ids if db.get(i) is None] == [], "ids not in the packaged database"


def test_scan_reports_exactly_the_expected_sdks(zoo) -> None:
    expected = set(expected_ids())
    found = {s.sdk_id for s in zoo.sdks}
    assert sorted(expected - found) == [], "expected but not found"
    assert sorted(found - expected) == [], "found but not expected"
    assert len(zoo.sdks) == len(found)  # one hit per SDK


def test_every_category_is_covered_at_least_twice(db) -> None:
    db_categories = {c for entry in db.entries for c in entry.categories}
    assert set(CATEGORIES) <= db_categories, "a category named here is gone from the database"
    covered: dict[str, list[str]] = defaultdict(list)
    for sdk_id in expected_ids():
        entry = db.get(sdk_id)
        assert entry is not None, sdk_id
        for category in entry.categories:
            covered[category].append(sdk_id)
    thin = {c: covered[c] for c in sorted(db_categories | set(CATEGORIES)) if len(covered[c]) < MIN_SDKS_PER_CATEGORY}
    assert thin == {}, f"categories with fewer than {MIN_SDKS_PER_CATEGORY} expected SDKs"
