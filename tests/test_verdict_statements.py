"""The verdict statements (appaudit/data/verdict_statements.yaml) and their loader."""

from __future__ import annotations

import copy
import re
from importlib.resources import files

import pytest
import yaml

from appaudit.checker.model import Verdict
from appaudit.checks.catalog import load_catalog
from appaudit.report.view.statements import (
    DEFAULT_VERDICTS,
    ITEM_VERDICTS,
    VerdictStatementsError,
    load_statements,
    statement,
    validate_statements,
)

LANGS = ("zh", "en")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Numbers a statement may contain: thresholds fixed by the Determination Rules themselves.
ALLOWED_NUMBERS = {"I.3": {"4"}, "VI.3": {"15"}, "VI.5": {"15"}}


@pytest.fixture
def raw_doc():
    text = files("appaudit").joinpath("data", "verdict_statements.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _all_statements():
    """(item id or "default", verdict, language, text) for every statement in the packaged file."""
    loaded = load_statements()
    for item_id, verdicts in loaded.items.items():
        for verdict, texts in verdicts.items():
            for lang, text in texts.items():
                yield item_id, verdict, lang, text
    for verdict, texts in loaded.default.items():
        for lang, text in texts.items():
            yield "default", verdict, lang, text


def test_verdict_split_covers_every_verdict():
    assert set(ITEM_VERDICTS) == {"violation", "pass"}
    assert set(DEFAULT_VERDICTS) == {"needs_review", "inconclusive", "not_assessed", "error"}
    assert set(ITEM_VERDICTS) | set(DEFAULT_VERDICTS) == {v.value for v in Verdict}


def test_every_item_has_both_decided_verdicts_in_both_languages():
    ids = [item.id for item in load_catalog()]
    assert len(ids) == 31
    for item_id in ids:
        for verdict in ("violation", "pass"):
            for lang in LANGS:
                assert statement(item_id, verdict, lang).strip(), (item_id, verdict, lang)
    assert sum(1 for s in _all_statements() if s[0] != "default") == 31 * 2 * 2


def test_defaults_for_the_other_verdicts():
    for verdict in ("needs_review", "inconclusive", "not_assessed", "error"):
        for lang in LANGS:
            expected = load_statements().default[verdict][lang]
            assert expected.strip()
            assert {statement(item.id, verdict, lang) for item in load_catalog()} == {expected}


def test_decided_statements_differ_by_verdict_and_language():
    for item in load_catalog():
        texts = [statement(item.id, v, lang) for v in ITEM_VERDICTS for lang in LANGS]
        assert len(set(texts)) == len(texts), item.id


def test_accepts_verdict_enum_members():
    assert statement("I.3", Verdict.VIOLATION, "zh") == statement("I.3", "violation", "zh")
    assert statement("I.3", Verdict.NOT_ASSESSED, "en") == statement("I.3", "not_assessed", "en")


@pytest.mark.parametrize(
    ("item_id", "verdict", "lang"),
    [("I.5", "pass", "zh"), ("I.1", "passed", "zh"), ("I.1", "pass", "fr"), ("VII.1", "error", "en")],
)
def test_unknown_arguments_are_rejected(item_id, verdict, lang):
    with pytest.raises(ValueError):
        statement(item_id, verdict, lang)


def test_zh_statements_are_chinese_sentences():
    for where, verdict, lang, text in _all_statements():
        if lang == "zh":
            assert CJK.search(text), (where, verdict, text)
            assert text.endswith("。"), (where, verdict, text)
            assert text.count("。") == 1, f"one sentence only: {where} {verdict}: {text}"


def test_en_statements_are_english_sentences():
    for where, verdict, lang, text in _all_statements():
        if lang == "en":
            assert text.endswith("."), (where, verdict, text)
            assert not CJK.search(text), (where, verdict, text)
            assert text[0].isupper(), (where, verdict, text)


def test_thresholds_fixed_by_the_rules_are_stated():
    for lang in LANGS:
        for verdict in ITEM_VERDICTS:
            assert "4" in statement("I.3", verdict, lang), (verdict, lang)
            assert "15" in statement("VI.3", verdict, lang), (verdict, lang)
            assert "15" in statement("VI.5", verdict, lang), (verdict, lang)


def test_no_other_numbers():
    for where, verdict, lang, text in _all_statements():
        numbers = set(re.findall(r"\d+", text))
        assert numbers <= ALLOWED_NUMBERS.get(where, set()), (where, verdict, lang, text)


def test_packaged_document_validates(raw_doc):
    assert validate_statements(raw_doc) == load_statements()


def test_rejects_a_missing_item(raw_doc):
    del raw_doc["items"]["III.4"]
    with pytest.raises(ValueError, match=r"missing item\(s\) III\.4"):
        validate_statements(raw_doc)


def test_rejects_a_missing_verdict(raw_doc):
    del raw_doc["items"]["VI.5"]["pass"]
    with pytest.raises(ValueError, match=r"item VI\.5: missing verdict\(s\) pass"):
        validate_statements(raw_doc)


def test_rejects_a_missing_language(raw_doc):
    del raw_doc["items"]["I.2"]["violation"]["zh"]
    with pytest.raises(ValueError, match=r"item I\.2: violation: missing language\(s\) zh"):
        validate_statements(raw_doc)


def test_rejects_a_missing_default(raw_doc):
    del raw_doc["default"]["inconclusive"]
    with pytest.raises(ValueError, match=r"default: missing verdict\(s\) inconclusive"):
        validate_statements(raw_doc)


@pytest.mark.parametrize("value", ["", "   ", None, 4, ["text"]])
def test_rejects_an_empty_or_non_string_statement(raw_doc, value):
    raw_doc["items"]["II.1"]["pass"]["en"] = value
    with pytest.raises(ValueError, match=r"item II\.1: pass: en: must be a non-empty string"):
        validate_statements(raw_doc)


@pytest.mark.parametrize(
    ("path", "key", "match"),
    [
        ((), "notes", r"the top level: unknown key\(s\) notes"),
        (("items",), "VII.1", r"items: unknown key\(s\) VII\.1"),
        (("items", "IV.4"), "needs_review", r"item IV\.4: unknown key\(s\) needs_review"),
        (("items", "IV.4", "pass"), "fr", r"item IV\.4: pass: unknown key\(s\) fr"),
        (("default",), "violation", r"default: unknown key\(s\) violation"),
    ],
)
def test_rejects_unknown_keys(raw_doc, path, key, match):
    doc = copy.deepcopy(raw_doc)
    target = doc
    for step in path:
        target = target[step]
    target[key] = {}
    with pytest.raises(ValueError, match=match):
        validate_statements(doc)


def test_rejects_a_malformed_section(raw_doc):
    raw_doc["items"] = [raw_doc["items"]]
    with pytest.raises(ValueError, match="top-level 'items' must be a mapping"):
        validate_statements(raw_doc)


def test_error_is_also_a_data_file_error(raw_doc):
    from appaudit.errors import DataFileError

    del raw_doc["items"]["I.1"]
    with pytest.raises(VerdictStatementsError) as caught:
        validate_statements(raw_doc)
    assert isinstance(caught.value, DataFileError)
    assert "appaudit/data/verdict_statements.yaml" in str(caught.value)
