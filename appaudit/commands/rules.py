"""``appaudit rules``: list and explain the 31 items of the Determination Rules.

The table and the explanation of one item go to stdout, as do ``--format json`` and ``--format md``;
errors go to stderr. Text is printed without rich markup interpretation. Exit codes: 0 done, 2 unknown
item id, 3 internal error (a broken packaged catalog).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from appaudit.errors import AppauditError, ExitCode

if TYPE_CHECKING:
    from rich.console import Console as RichConsole

    from appaudit.checks.catalog import Catalog, CatalogItem

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_VALID_IDS = "I.1–I.4, II.1–II.4, III.1–III.9, IV.1–IV.6, V.1–V.3, VI.1–VI.5"
_SECTIONS = (
    ("what", "What it checks"),
    ("why", "Why it matters"),
    ("detection", "How it is detected"),
    ("fix", "How to fix"),
    ("reference", "Reference"),
)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("item_id", metavar="[ITEM]", required=False)
@click.option(
    "--format", "output_format", type=click.Choice(["table", "json", "md"]), default="table",
    show_default=True, help="table: a summary (or, with ITEM, an explanation); json or md: the full catalog or ITEM.",
)  # fmt: skip
def rules(item_id: str | None, output_format: str) -> None:
    """List the 31 items of the Determination Rules, or explain ITEM (e.g. III.1).

    \b
    Items are numbered as in the official Chinese text:
      I.1–I.4, II.1–II.4, III.1–III.9, IV.1–IV.6, V.1–V.3, VI.1–VI.5
    Level: auto (a machine verdict with evidence), assisted (the auditor confirms),
    manual (only the auditor decides).
    """
    try:
        _rules(item_id, output_format)
    except AppauditError as exc:
        _error(str(exc))
        sys.exit(exc.exit_code)


def _rules(item_id: str | None, output_format: str) -> None:
    from appaudit.checks.catalog import load_catalog

    catalog = load_catalog()
    items = catalog.items
    if item_id is not None:
        item = catalog.get(item_id.strip().upper())
        if item is None:
            _error(f"unknown item {item_id!r}: expected an id such as III.1 ({_VALID_IDS})")
            sys.exit(ExitCode.INPUT_ERROR)
        items = (item,)

    if output_format == "json":
        click.echo(to_json(catalog, items, whole=item_id is None))
    elif output_format == "md":
        click.echo(to_markdown(catalog, items, whole=item_id is None), nl=False)
    elif item_id is None:
        _print_table(catalog)
    else:
        _print_item(catalog, items[0])


def _stdout() -> RichConsole:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def _error(message: str) -> None:
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True, highlight=False).print(
        Text("error: ", style="bold red") + Text(message), markup=False, soft_wrap=True
    )


def _print_table(catalog: Catalog) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Determination Rules (2019): 31 items", title_justify="left")
    table.add_column("id", no_wrap=True, style="bold")
    table.add_column("category", no_wrap=True)
    table.add_column("level", no_wrap=True)
    table.add_column("evidence")
    table.add_column("title")
    for item in catalog.items:
        table.add_row(
            Text(item.id), Text(item.category), Text(item.level), Text(", ".join(item.evidence)), Text(item.title_en)
        )
    _stdout().print(table)


def _print_item(catalog: Catalog, item: CatalogItem) -> None:
    from rich.text import Text

    category = catalog.category(item.category)
    out = _stdout()
    out.print(Text(f"{item.id}  ", style="bold") + Text(item.title_en, style="bold"), soft_wrap=True)
    if category is not None:
        out.print(Text(f"Category {category.id}: {category.title_zh}"), soft_wrap=True)
        out.print(Text(f"  ({category.title_en})"), soft_wrap=True)
    out.print(Text(f"Level: {item.level}    Evidence: {', '.join(item.evidence)}"))
    blocks = (("Official text (authoritative)", item.text_zh), ("English", item.text_en))
    blocks += tuple((title, getattr(item, field)) for field, title in _SECTIONS)
    for title, body in blocks:
        out.print()
        out.print(Text(title, style="bold underline"))
        out.print(Text(body), soft_wrap=False)


def item_record(item: CatalogItem) -> dict[str, Any]:
    """An item as a JSON-ready mapping (evidence as a list)."""
    return {
        "id": item.id,
        "category": item.category,
        "title_en": item.title_en,
        "text_zh": item.text_zh,
        "text_en": item.text_en,
        "level": item.level,
        "evidence": list(item.evidence),
        **{field: getattr(item, field) for field, _title in _SECTIONS},
    }


def to_json(catalog: Catalog, items: tuple[CatalogItem, ...], *, whole: bool) -> str:
    import json

    if not whole:
        return json.dumps(item_record(items[0]), ensure_ascii=False, indent=2)
    doc = {
        "categories": [
            {"id": category.id, "title_zh": category.title_zh, "title_en": category.title_en}
            for category in catalog.categories
        ],
        "items": [item_record(item) for item in items],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def to_markdown(catalog: Catalog, items: tuple[CatalogItem, ...], *, whole: bool) -> str:
    """One ``###`` section per item, in the documentation skeleton; categories as ``##`` when whole."""
    lines: list[str] = []
    if whole:
        lines += ["# App违法违规收集使用个人信息行为认定方法 (2019): the 31 items", ""]
    for category in catalog.categories:
        members = [item for item in items if item.category == category.id]
        if not members:
            continue
        if whole:
            lines += [f"## {category.id}. {category.title_en}", "", f"{category.title_zh}", ""]
        for item in members:
            lines += [f"### {item.id} {item.title_en}", ""]
            lines += [f"- **Level:** {item.level}", f"- **Evidence:** {', '.join(item.evidence)}", ""]
            lines += [f"> {item.text_zh}", ">", f"> {item.text_en}", ""]
            for field, title in _SECTIONS:
                lines += [f"**{title}.** {getattr(item, field)}", ""]
    return "\n".join(lines)
