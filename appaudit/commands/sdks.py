"""``appaudit sdks``: look up the SDK signature database and import third-party SDK lists.

Machine output (the table, JSON, YAML, an imported database without ``-o``) goes to stdout; notes,
the import summary and errors go to stderr. Text from data files and imported files is printed
without markup interpretation and with control characters escaped. Exit codes: 0 done, 2 usage or
input error (unreadable or invalid file, unknown SDK id), 3 internal error.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from appaudit.errors import AppauditError, ExitCode, InputError

if TYPE_CHECKING:
    from appaudit.knowledge.sdk_db import SdkEntry
    from appaudit.knowledge.user_db import LayeredDatabase

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
IMPORT_FORMATS = ("exodus", "libchecker", "sdkjson")  # = importers.FORMATS (kept here: --help stays light)
_SIGNATURE_FIELDS = (
    ("class_prefixes", "class prefix"), ("components", "component"), ("meta_data", "meta-data"),
    ("permissions", "permission"), ("native_libs", "native lib"), ("assets", "asset"),
    ("domains", "domain"), ("init_calls", "init call"),
)  # fmt: skip
_INFORMATIONAL = ("website", "docs_url", "registry_ids", "notes")

sdk_db_option = click.option(
    "--sdk-db", "sdk_dbs", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Add this user SDK database (YAML) on top of the built-in one; repeatable, later files win.",
)  # fmt: skip


@click.group(context_settings=CONTEXT_SETTINGS)
def sdks() -> None:
    """List and show SDK signatures; import Exodus, LibChecker or sdk.json lists into a user database.

    \b
    A user database is a YAML file in the format of appaudit/data/sdks.yaml; pass it to
    `appaudit scan --sdk-db FILE` (repeatable) to add its entries to the built-in ones.
    """


# --------------------------------------------------------------------------- list


@sdks.command("list", context_settings=CONTEXT_SETTINGS)
@sdk_db_option
@click.option("--category", help="Only SDKs in this category (e.g. advertising, push, analytics).")
@click.option("--region", help="Only SDKs of this region, when the database records regions.")
@click.option("--search", metavar="TEXT", help="Only SDKs whose id, names, vendor or a signature contain TEXT.")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "json", "yaml"]), default="table",
    show_default=True, help="Output format on stdout.",
)  # fmt: skip
def list_sdks(
    sdk_dbs: tuple[Path, ...], category: str | None, region: str | None, search: str | None, output_format: str
) -> None:
    """List the SDKs of the database (built-in plus any --sdk-db files), one per row."""
    _guarded(_list, sdk_dbs, category, region, search, output_format)


def _list(
    sdk_dbs: Sequence[Path], category: str | None, region: str | None, search: str | None, output_format: str
) -> None:
    from appaudit.knowledge.user_db import packaged_categories

    layered = _load(sdk_dbs)
    entries = list(layered.database.entries)
    if category is not None:
        known = packaged_categories() | {name for sdk in entries for name in sdk.categories}
        if category not in known:
            raise InputError(f"unknown category {category!r} (known: {', '.join(sorted(known))})")
        entries = [sdk for sdk in entries if category in sdk.categories]
    if region is not None:
        from appaudit.knowledge import sdk_db

        if not any(hasattr(sdk, "region") for sdk in layered.database.entries):
            raise InputError("this SDK database records no regions; --region cannot be used")
        regions = getattr(sdk_db, "REGIONS", None)
        if regions and region not in regions:
            raise InputError(f"unknown region {region!r} (use {' or '.join(sorted(regions))})")
        entries = [sdk for sdk in entries if _region_matches(getattr(sdk, "region", None), region)]
    if search:
        needle = search.casefold()
        entries = [sdk for sdk in entries if any(needle in text.casefold() for text in _searchable(sdk))]
    if output_format == "table":
        _print_table(entries, layered, with_origin=bool(sdk_dbs))
    else:
        views = [_view(sdk, layered) for sdk in entries]
        _emit({"sdks": views}, output_format)
    if not entries:
        _message("no SDK matches")


def _region_matches(value: Any, wanted: str) -> bool:
    if value is None:
        return False
    values = [value] if isinstance(value, str) else list(value) if isinstance(value, Iterable) else [value]
    return any(str(item).casefold() == wanted.casefold() for item in values)


def _searchable(sdk: SdkEntry) -> Iterable[str]:
    yield from (text for text in (sdk.id, sdk.name, sdk.name_zh, sdk.vendor, sdk.vendor_zh) if text)
    yield from (prefix[1:].replace("/", ".") for prefix in sdk.class_prefixes)
    yield from (name for _kind, name in sdk.components)
    yield from (*sdk.meta_data, *sdk.permissions, *sdk.assets, *sdk.domains, *sdk.init_calls)
    yield from (str(lib) for lib in sdk.native_libs)


def _print_table(entries: list[SdkEntry], layered: LayeredDatabase, *, with_origin: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    has_region = any(hasattr(sdk, "region") for sdk in layered.database.entries)
    table = Table(show_lines=False, title_justify="left", header_style="bold")
    for column in ("ID", "Name", "Vendor", "Categories", *(["Region"] if has_region else []), "Signatures"):
        table.add_column(column)
    if with_origin:
        table.add_column("Origin")
    for sdk in entries:
        name = sdk.name + (f"\n{sdk.name_zh}" if sdk.name_zh else "")
        row = [sdk.id, name, sdk.vendor or "", ", ".join(sdk.categories)]
        if has_region:
            region = getattr(sdk, "region", None)
            row.append(region if isinstance(region, str) else ", ".join(map(str, region or ())))
        row.append(_signature_counts(sdk))
        if with_origin:
            row.append(layered.origins.get(sdk.id, ""))
        table.add_row(*(Text(_safe(cell)) for cell in row))
    _stdout_console().print(table)


def _signature_counts(sdk: SdkEntry) -> str:
    counts = [
        (len(sdk.class_prefixes), "prefix", "prefixes"), (len(sdk.components), "component", "components"),
        (len(sdk.meta_data), "meta-data", "meta-data"), (len(sdk.native_libs), "lib", "libs"),
        (len(sdk.assets), "asset", "assets"), (len(sdk.domains), "domain", "domains"),
        (len(sdk.init_calls), "init call", "init calls"),
    ]  # fmt: skip
    return ", ".join(f"{count} {one if count == 1 else many}" for count, one, many in counts if count)


# --------------------------------------------------------------------------- show


@sdks.command("show", context_settings=CONTEXT_SETTINGS)
@click.argument("sdk_id")
@sdk_db_option
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json", "yaml"]), default="text",
    show_default=True, help="Output format on stdout.",
)  # fmt: skip
def show(sdk_id: str, sdk_dbs: tuple[Path, ...], output_format: str) -> None:
    """Show every field and signature of one SDK, with notes, unused signatures and its sources."""
    _guarded(_show, sdk_id, sdk_dbs, output_format)


def _show(sdk_id: str, sdk_dbs: Sequence[Path], output_format: str) -> None:
    import difflib

    layered = _load(sdk_dbs)
    sdk = layered.database.get(sdk_id)
    if sdk is None:
        ids = [entry.id for entry in layered.database.entries]
        close = difflib.get_close_matches(sdk_id, ids, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else "; see `appaudit sdks list`"
        raise InputError(f"unknown SDK id {sdk_id!r}{hint}")
    raw = layered.raw_entries.get(sdk.id, {})
    if output_format != "text":
        view = _view(sdk, layered)
        view["unverified"] = [
            {"kind": kind, **(item if isinstance(item, dict) else {"value": item})}
            for kind, item in _raw_items(raw) if _is_unverified(item)
        ]  # fmt: skip
        view.update({key: raw[key] for key in _INFORMATIONAL if raw.get(key)})
        view["source_details"] = _source_details(sdk.sources, layered.declared_sources)
        _emit(view, output_format)
        return
    _print_show(sdk, raw, layered)


def _print_show(sdk: SdkEntry, raw: Mapping[str, Any], layered: LayeredDatabase) -> None:
    from rich.text import Text

    console = _stdout_console()
    console.print(Text(_safe(f"{sdk.id} — {sdk.name}"), style="bold"))
    fields = _plain_table()
    fields.add_column(style="bold")
    fields.add_column()
    from appaudit.knowledge.user_db import entry_as_dict

    view = entry_as_dict(sdk)
    signature_keys = {key for key, _label in _SIGNATURE_FIELDS} | {"id", "name", "sources"}
    for key, value in view.items():
        if key not in signature_keys:
            fields.add_row(key, Text(_safe(_inline(value))))
    fields.add_row("origin", Text(_safe(layered.origins.get(sdk.id, "?"))))
    for key in _INFORMATIONAL:
        if raw.get(key):
            fields.add_row(key, Text(_safe(_inline(raw[key]))))
    console.print(fields)

    loaded = [(kind, item) for kind, item in _raw_items(raw) if not _is_unverified(item)]
    unused = [(kind, item) for kind, item in _raw_items(raw) if _is_unverified(item)]
    for title, rows in (("Signatures", loaded), ("Not used (status: unverified)", unused)):
        if not rows:
            continue
        table = _plain_table()
        table.add_column(style="cyan", no_wrap=True)
        table.add_column(overflow="fold")
        table.add_column(style="dim", overflow="fold")
        for kind, item in rows:
            table.add_row(kind, Text(_safe(_item_value(item))), Text(_safe(_item_note(item))))
        console.print(Text(title, style="bold"))
        console.print(table)

    sources = _plain_table()
    sources.add_column(overflow="fold")
    sources.add_column(style="dim", overflow="fold")
    details = _source_details(sdk.sources, layered.declared_sources)
    for ref in sdk.sources:
        source_id = ref.split(":", 1)[0].strip()
        sources.add_row(Text(_safe(ref)), Text(_safe(_inline(details.get(source_id, "")))))
    console.print(Text("Sources", style="bold"))
    console.print(sources)


def _plain_table() -> Any:
    from rich.table import Table

    return Table(show_header=False, box=None, padding=(0, 2, 0, 0))


def _raw_items(raw: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """(kind label, item) for every signature item written in the entry, in file order."""
    for key, label in _SIGNATURE_FIELDS:
        value = raw.get(key)
        if key == "components" and isinstance(value, Mapping):
            for kind, items in value.items():
                for item in items if isinstance(items, list) else []:
                    yield str(kind), item
        elif isinstance(value, list):
            for item in value:
                yield label, item


def _is_unverified(item: Any) -> bool:
    return isinstance(item, Mapping) and item.get("status") == "unverified"


def _item_value(item: Any) -> str:
    if isinstance(item, Mapping):
        return f"regex:{item['regex']}" if "regex" in item else str(item.get("value", ""))
    return str(item)


def _item_note(item: Any) -> str:
    if not isinstance(item, Mapping):
        return ""
    notes = [str(item["note"])] if item.get("note") else []
    if item.get("allow_short"):
        notes.append(f"allow_short: {item['allow_short']}")
    return "; ".join(notes)


def _source_details(refs: Iterable[str], declared: Mapping[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for ref in refs:
        source_id = ref.split(":", 1)[0].strip()
        if source_id in declared:
            details[source_id] = declared[source_id]
        elif source_id == "import":
            details[source_id] = "appaudit sdks import: format, file, SHA-256 and record follow the id"
    return details


# --------------------------------------------------------------------------- import


@sdks.command("import", context_settings=CONTEXT_SETTINGS)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--format", "input_format", type=click.Choice(IMPORT_FORMATS), required=True,
    help="exodus: Exodus Privacy /api/trackers JSON; libchecker: LibChecker rules.db (SQLite); "
         "sdkjson: a Python-literal list of {'sdk_name', 'package_name'} dicts.",
)  # fmt: skip
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
    help="Write the user database here instead of stdout.",
)  # fmt: skip
@sdk_db_option
def import_sdks(file: Path, input_format: str, output: Path | None, sdk_dbs: tuple[Path, ...]) -> None:
    """Convert FILE into a user SDK database usable with `appaudit scan --sdk-db`.

    Entries for SDKs the database already knows are merged into them (written as overrides with the
    new signatures); new SDKs get an id starting with the format's name. Regexes, over-broad package
    prefixes and other unusable values are kept as unverified signatures and listed in the summary
    on stderr.
    """
    _guarded(_import, file, input_format, output, sdk_dbs)


def _import(file: Path, input_format: str, output: Path | None, sdk_dbs: Sequence[Path]) -> None:
    from appaudit.knowledge.importers import import_file
    from appaudit.knowledge.importers.merge import merge_entries
    from appaudit.knowledge.user_db import UserDataError, add_layer, dump_user_database, load_layers

    if output is not None and any(output.resolve() == path.resolve() for path in sdk_dbs):
        raise InputError(f"{output} is also an --sdk-db input; write the new database to another file")
    layered = _load(sdk_dbs)
    result = import_file(file, input_format)
    entries, report = merge_entries(layered.database, list(result.entries), raw_entries=layered.raw_entries)
    text = dump_user_database(entries)
    try:  # what appaudit writes must load on top of the same databases
        import yaml

        add_layer(load_layers(sdk_dbs), str(output or "<stdout>"), yaml.safe_load(text))
    except UserDataError as exc:
        raise AppauditError(f"the generated database does not load: {exc}") from exc
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomically(output, text)

    lines = [f"skipped {item}" for item in result.skipped] + report
    counts = {verb: sum(line.startswith(f"{verb} ") for line in lines)
              for verb in ("added", "merged", "confirmed", "skipped")}  # fmt: skip
    source = result.source
    _message(
        f"imported {source.file} ({source.format}, sha256 {source.sha256[:12]}…): "
        + ", ".join(f"{count} {verb}" for verb, count in counts.items())
    )
    order = {"added": 0, "merged": 1, "confirmed": 2, "skipped": 3}
    for line in sorted(lines, key=lambda line: order.get(line.split(" ", 1)[0], 4)):
        _message(f"  {line}")
    where = output if output is not None else "stdout"
    _message(f"wrote {len(entries)} entries to {where}")


def _write_atomically(path: Path, text: str) -> None:
    import os
    import tempfile

    try:
        fd, temp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc


# --------------------------------------------------------------------------- shared


def _load(sdk_dbs: Sequence[Path]) -> LayeredDatabase:
    from appaudit.knowledge.user_db import load_layers

    layered = load_layers(sdk_dbs)
    for note in layered.notes:
        _message(f"note: {note}")
    return layered


def _view(sdk: SdkEntry, layered: LayeredDatabase) -> dict[str, Any]:
    from appaudit.knowledge.user_db import entry_as_dict

    view = entry_as_dict(sdk)
    return {"id": view.pop("id"), "origin": layered.origins.get(sdk.id, "?"), **view}


def _emit(document: Any, output_format: str) -> None:
    if output_format == "json":
        import json

        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        import yaml

        click.echo(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110), nl=False)


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {_inline(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_inline(item) for item in value)
    return str(value)


def _safe(text: str) -> str:
    """``text`` with control and format characters (terminal escapes, bidi overrides) made visible."""
    return "".join(
        ch if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf") else f"\\u{ord(ch):04x}" for ch in text
    )


def _stdout_console() -> Any:
    from rich.console import Console

    # Piped output is read by scripts and people alike: give it room instead of an 80-column squeeze.
    width = None if sys.stdout.isatty() else 200
    return Console(highlight=False, markup=False, emoji=False, soft_wrap=False, width=width)


def _root_flag(name: str) -> bool:
    context = click.get_current_context(silent=True)
    return bool(getattr(context.find_root().obj, name, False)) if context else False


def _message(text: str) -> None:
    if not _root_flag("quiet"):
        click.echo(_safe(text), err=True)


def _guarded(action: Callable[..., None], *args: Any) -> None:
    """Run ``action``; typed errors become a message and their exit code, anything else exit 3."""
    debug = _root_flag("debug")
    try:
        action(*args)
    except AppauditError as exc:
        if debug:
            raise
        _error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _error("interrupted")
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)")
        sys.exit(ExitCode.INTERNAL_ERROR)


def _error(text: str) -> None:
    from appaudit.console import Console

    Console().error(_safe(text))
