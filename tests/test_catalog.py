"""Meta-tests of the Determination Rules catalog (checks/catalog.yaml)."""

from __future__ import annotations

import dataclasses
from importlib.resources import files
from pathlib import Path

import pytest
import yaml

from appaudit.checks.catalog import (
    CATEGORY_IDS,
    EVIDENCE_KINDS,
    ITEM_IDS,
    LEVELS,
    build_catalog,
    load_catalog,
)
from appaudit.errors import DataFileError

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "determination-rules-2019.md"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture
def raw_doc():
    return yaml.safe_load(files("appaudit.checks").joinpath("catalog.yaml").read_text(encoding="utf-8"))


def test_exactly_31_items(catalog):
    assert len(catalog.items) == 31
    assert len(ITEM_IDS) == 31


def test_six_categories_with_document_item_counts(catalog):
    assert tuple(category.id for category in catalog.categories) == CATEGORY_IDS == ("I", "II", "III", "IV", "V", "VI")
    counts = tuple(len(catalog.in_category(category.id)) for category in catalog.categories)
    assert counts == (4, 4, 9, 6, 3, 5)


def test_ids_unique_and_in_document_order(catalog):
    ids = [item.id for item in catalog.items]
    assert len(set(ids)) == len(ids)
    assert tuple(ids) == ITEM_IDS
    assert ids[:5] == ["I.1", "I.2", "I.3", "I.4", "II.1"]
    assert ids[-1] == "VI.5"


def test_every_field_non_empty(catalog):
    for category in catalog.categories:
        for field in dataclasses.fields(category):
            assert str(getattr(category, field.name)).strip(), (category.id, field.name)
    for item in catalog.items:
        for field in dataclasses.fields(item):
            assert getattr(item, field.name), (item.id, field.name)
        assert item.level in LEVELS
        assert item.evidence and set(item.evidence) <= set(EVIDENCE_KINDS), item.id
        assert item.category == item.id.split(".")[0]
        assert item.reference.startswith("App违法违规收集使用个人信息行为认定方法 (2019) ")


@pytest.mark.skipif(not REFERENCE.exists(), reason=f"reference text not found at {REFERENCE}")
def test_chinese_text_is_verbatim_from_the_reference(catalog):
    reference = REFERENCE.read_text(encoding="utf-8")
    numerals = "一二三四五六"
    for category, numeral in zip(catalog.categories, numerals, strict=True):
        assert f"{numeral}、{category.title_zh}" in reference, category.id
    for item in catalog.items:
        number = item.id.split(".")[1]
        assert f"{number}.{item.text_zh}" in reference, item.id


@pytest.mark.parametrize(
    ("item_id", "level"),
    [("I.1", "auto"), ("I.4", "assisted"), ("III.1", "auto"), ("III.5", "manual"), ("III.7", "manual"),
     ("IV.4", "auto"), ("V.2", "manual"), ("VI.4", "manual"), ("VI.5", "auto")],
)  # fmt: skip
def test_levels_follow_rule_coverage(catalog, item_id, level):
    assert catalog.get(item_id).level == level


def test_evidence_follows_rule_coverage(catalog):
    assert catalog.get("VI.4").evidence == ("auditor",)
    assert set(catalog.get("III.1").evidence) == {"static", "traffic", "ui"}
    assert set(catalog.get("V.1").evidence) == {"static", "traffic"}


def test_get_and_in_category(catalog):
    assert catalog.get("III.1").text_zh.startswith("征得用户同意前")
    assert catalog.get("VII.1") is None
    assert [item.id for item in catalog.in_category("V")] == ["V.1", "V.2", "V.3"]


def test_loads_from_the_installed_package_resource():
    resource = files("appaudit.checks").joinpath("catalog.yaml")
    assert resource.is_file()
    assert "schema_version" in resource.read_text(encoding="utf-8")
    assert load_catalog() is load_catalog()  # cached


def _first_item(doc):
    return doc["items"][0]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda doc: doc["items"].append(dict(doc["items"][0])), "duplicate item id 'I.1'"),
        (lambda doc: doc["items"].pop(), "missing item(s) VI.5"),
        (lambda doc: _first_item(doc).update(id="I-1"), "item 'I-1'"),
        (lambda doc: _first_item(doc).update(category="VII"), "unknown category 'VII'"),
        (lambda doc: _first_item(doc).update(level="automatic"), "level 'automatic'"),
        (lambda doc: _first_item(doc).update(evidence=["static", "logs"]), "evidence kind 'logs'"),
        (lambda doc: _first_item(doc).update(fix="  "), "item 'I.1': 'fix' must be a non-empty string"),
        (lambda doc: _first_item(doc).pop("why"), "item 'I.1': 'why' must be a non-empty string"),
        (lambda doc: doc["items"].reverse(), "document order"),
    ],
)
def test_validation_names_the_entry(raw_doc, mutate, message):
    mutate(raw_doc)
    with pytest.raises(DataFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_catalog("catalog.yaml", raw_doc)
