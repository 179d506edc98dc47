"""``appaudit rules``: the catalog as a table, JSON, Markdown, and one item explained."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from appaudit.checks.catalog import ITEM_IDS
from appaudit.commands.rules import rules


def _invoke(*args: str):
    return CliRunner().invoke(rules, list(args))


def test_table_lists_all_31_ids():
    result = _invoke()
    assert result.exit_code == 0, result.output
    for item_id in ITEM_IDS:
        assert re.search(rf"│ {re.escape(item_id)}\s+│", result.output), item_id


def test_json_has_31_items():
    result = _invoke("--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [item["id"] for item in doc["items"]] == list(ITEM_IDS)
    assert len(doc["categories"]) == 6
    assert doc["items"][0]["evidence"] == ["static", "ui", "policy"]


def test_markdown_has_31_item_headings_in_the_skeleton():
    result = _invoke("--format", "md")
    assert result.exit_code == 0, result.output
    headings = re.findall(r"^### (\S+) ", result.output, flags=re.MULTILINE)
    assert headings == list(ITEM_IDS)
    for title in ("What it checks", "Why it matters", "How it is detected", "How to fix", "Reference"):
        assert result.output.count(f"**{title}.**") == 31


def test_explain_one_item_shows_the_chinese_text():
    result = _invoke("III.1")
    assert result.exit_code == 0, result.output
    assert "征得用户同意前就开始收集个人信息或打开可收集个人信息的权限" in result.output
    for title in ("What it checks", "Why it matters", "How it is detected", "How to fix", "Reference"):
        assert title in result.output
    assert "Level: auto" in result.output


def test_item_id_is_case_insensitive_and_json_works_for_one_item():
    result = _invoke("vi.5", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["id"] == "VI.5"


def test_unknown_id_exits_2_with_one_line_error():
    result = CliRunner().invoke(rules, ["VII.1"])
    assert result.exit_code == 2
    error_lines = [line for line in result.stderr.splitlines() if line.strip()] if result.stderr else []
    assert len(error_lines) == 1
    assert "unknown item 'VII.1'" in error_lines[0]
    assert "III.9" in error_lines[0]


def test_unknown_id_markup_is_not_interpreted():
    result = CliRunner().invoke(rules, ["[bold]x[/bold]"])
    assert result.exit_code == 2
    assert "[bold]x[/bold]" in result.stderr


def test_help_text():
    result = _invoke("--help")
    assert result.exit_code == 0
    assert "III.1" in result.output
