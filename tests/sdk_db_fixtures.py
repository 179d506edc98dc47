"""A small frozen SDK database for importer and ``appaudit sdks`` tests.

``tests/data/importers/base_sdks.yaml`` stands in for the packaged ``sdks.yaml`` (which keeps growing)
so that merge reports and command output can be asserted exactly. :func:`use_small_base` installs it
as the bottom layer of :func:`appaudit.knowledge.user_db.load_layers`.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from appaudit.knowledge import user_db
from appaudit.knowledge.loader import read_yaml_file
from appaudit.knowledge.pi_types import load_pi_taxonomy
from appaudit.knowledge.sdk_db import build_sdk_database

BASE = Path(__file__).resolve().parent / "data" / "importers" / "base_sdks.yaml"


def small_base() -> user_db.LayeredDatabase:
    source, doc = read_yaml_file(BASE)
    database = build_sdk_database(source, doc, load_pi_taxonomy(), None)
    return user_db.LayeredDatabase(
        database=database,
        raw_entries={raw["id"]: copy.deepcopy(raw) for raw in doc["sdks"]},
        origins={sdk.id: user_db.PACKAGED for sdk in database.entries},
        declared_sources=dict(doc["sources"]),
    )


def use_small_base(monkeypatch: pytest.MonkeyPatch) -> user_db.LayeredDatabase:
    """Make every ``load_layers`` call start from the small base; returns one copy of it."""
    monkeypatch.setattr(user_db, "_packaged_layer", small_base)
    return small_base()
