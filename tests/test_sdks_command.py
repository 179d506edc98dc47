"""``appaudit sdks list|show|import``: outputs, streams, exit codes, and untrusted text kept inert.

The group is invoked directly (``CliRunner().invoke(sdks, ...)``); registering it under ``main`` is
the CLI module's job. Tests run on a small frozen base database (tests/data/importers/base_sdks.yaml)
in place of the packaged one, except those using ``real_packaged``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from sdk_db_fixtures import use_small_base

from appaudit.commands.sdks import IMPORT_FORMATS, sdks
from appaudit.knowledge.importers import FORMATS
from appaudit.knowledge.sdk_db import load_sdk_database
from appaudit.knowledge.user_db import LayeredDatabase, load_with_user_databases

DATA = Path(__file__).resolve().parent / "data" / "importers"
EXODUS = DATA / "exodus_trackers.json"
SDKJSON = DATA / "sdk.json"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(sdks, list(args))


@pytest.fixture(autouse=True)
def small_base(monkeypatch: pytest.MonkeyPatch) -> LayeredDatabase:
    return use_small_base(monkeypatch)


@pytest.fixture
def real_packaged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo ``small_base`` (autouse, so set up first): the test runs on the packaged database."""
    monkeypatch.undo()


@pytest.fixture
def libchecker_db(tmp_path: Path) -> Path:
    path = tmp_path / "rules.db"
    connection = sqlite3.connect(path)
    connection.executescript((DATA / "libchecker_rules.sql").read_text(encoding="utf-8"))
    connection.commit()
    connection.close()
    return path


@pytest.fixture
def exodus_db(tmp_path: Path) -> Path:
    out = tmp_path / "exodus.yaml"
    assert invoke("import", str(EXODUS), "--format", "exodus", "-o", str(out)).exit_code == 0
    return out


# ----------------------------------------------------------------------------- help and imports


def test_every_sdks_command_has_help() -> None:
    assert set(sdks.commands) == {"list", "show", "import"}
    for name, command in sdks.commands.items():
        result = invoke(name, "--help")
        assert result.exit_code == 0, name
        assert "Usage:" in result.output
        assert command.help and len(command.help) > 20, name
    assert IMPORT_FORMATS == FORMATS


def test_importing_the_command_module_stays_light() -> None:
    code = (
        "import sys; import appaudit.commands.sdks\n"
        "print(sorted(m for m in ('yaml', 'rich', 'sqlite3', 'androguard', 'jinja2', 'mitmproxy',"
        " 'appaudit.knowledge.sdk_db') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ----------------------------------------------------------------------------- list


def test_list_prints_a_table_of_every_sdk_on_stdout(small_base: LayeredDatabase) -> None:
    result = invoke("list")
    assert result.exit_code == 0, result.stderr
    for sdk in small_base.database.entries:
        assert sdk.id in result.stdout
    assert "Umeng+ Analytics (U-App)" in result.stdout and "友盟+统计分析SDK" in result.stdout
    assert "3 prefixes, 2 meta-data, 1 lib, 2 domains, 1 init call" in result.stdout
    assert result.stderr == ""


@pytest.mark.usefixtures("real_packaged")
def test_list_and_show_work_on_the_packaged_database() -> None:
    as_json = json.loads(invoke("list", "--format", "json").stdout)
    assert [item["id"] for item in as_json["sdks"]] == [sdk.id for sdk in load_sdk_database().entries]
    shown = invoke("show", "umeng_analytics")
    assert shown.exit_code == 0 and "umeng_analytics" in shown.stdout and "Sources" in shown.stdout
    assert invoke("list").exit_code == 0


def test_list_json_and_yaml_are_machine_readable(small_base: LayeredDatabase) -> None:
    as_json = json.loads(invoke("list", "--format", "json").stdout)
    as_yaml = yaml.safe_load(invoke("list", "--format", "yaml").stdout)
    assert as_json == as_yaml
    ids = [item["id"] for item in as_json["sdks"]]
    assert ids == [sdk.id for sdk in small_base.database.entries]
    umeng = next(item for item in as_json["sdks"] if item["id"] == "umeng_analytics")
    assert umeng["origin"] == "packaged"
    assert umeng["class_prefixes"][:2] == ["com.umeng.analytics.", "com.umeng.commonsdk."]
    assert "umeng.com" in umeng["domains"]


def test_list_filters(small_base: LayeredDatabase) -> None:
    def ids(*args: str) -> list[str]:
        result = invoke("list", "--format", "json", *args)
        assert result.exit_code == 0, result.stderr
        return [item["id"] for item in json.loads(result.stdout)["sdks"]]

    assert ids("--category", "push") == ["umeng_push", "jiguang_jcore", "jpush"]
    assert ids("--search", "友盟") == ["umeng_analytics", "umeng_push"]
    assert ids("--search", "JPUSH.CN") == ["jpush"]  # signatures too, case-insensitive
    assert ids("--search", "com.umeng.message") == ["umeng_push"]
    assert ids("--category", "push", "--search", "jiguang") == ["jiguang_jcore"]


@pytest.mark.usefixtures("real_packaged")
def test_list_region_filter_on_the_packaged_database() -> None:
    result = invoke("list", "--format", "json", "--region", "cn")
    assert result.exit_code == 0, result.stderr
    listed = {item["id"] for item in json.loads(result.stdout)["sdks"]}
    assert listed == {sdk.id for sdk in load_sdk_database().entries if getattr(sdk, "region", None) == "cn"}


def test_list_with_no_match_says_so_on_stderr() -> None:
    result = invoke("list", "--search", "no-such-sdk-anywhere")
    assert result.exit_code == 0
    assert "no SDK matches" in result.stderr


@pytest.mark.parametrize("args", [["--category", "nope"], ["--region", "mars"], ["--format", "xml"]])
def test_list_bad_filters_are_usage_errors(args: list[str]) -> None:
    result = invoke("list", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_list_with_a_user_database_shows_origin_and_notes_the_override(exodus_db: Path) -> None:
    result = invoke("list", "--sdk-db", str(exodus_db))
    assert result.exit_code == 0
    assert "Origin" in result.stdout and "exodus_flurry" in result.stdout
    assert f"note: {exodus_db}: SDK entry 'umeng_analytics' overrides the packaged entry" in result.stderr


# ----------------------------------------------------------------------------- show


def test_show_prints_every_field_signature_and_source() -> None:
    result = invoke("show", "umeng_analytics")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for expected in (
        "Umeng+ Analytics (U-App)",
        "友盟+统计分析SDK",
        "com.umeng.analytics.",
        "allow_short: obfuscated package of legacy Umeng Analytics",  # a signature's own note
        "UMENG_APPKEY",
        "libumeng-spy.so",
        "Lcom/umeng/commonsdk/UMConfigure;->init",
        "Not used (status: unverified)",
        "umeng.co",
        "Sources",
        "https://github.com/pkumza/LibRadar",  # the declared source, resolved
        "manual: meta-data keys and init calls",
        "origin",
    ):
        assert expected in out, expected


def test_show_json_and_the_import_provenance_of_a_merged_signature(exodus_db: Path) -> None:
    result = invoke("show", "umeng_analytics", "--sdk-db", str(exodus_db), "--format", "json")
    assert result.exit_code == 0, result.stderr
    view = json.loads(result.stdout)
    assert view["origin"] == str(exodus_db)
    assert "umtrack.com" in view["domains"]
    assert {"kind": "domain", "value": "umeng.co", "status": "unverified"} in view["unverified"]
    assert view["registry_ids"] == {"exodus": 70}
    assert view["source_details"]["libradar"]["license"] == "Apache-2.0"
    assert view["sources"][-1].startswith("import: exodus exodus_trackers.json sha256:")
    text = invoke("show", "umeng_analytics", "--sdk-db", str(exodus_db)).stdout
    assert "from import: exodus exodus_trackers.json" in text  # per-signature provenance


def test_show_unknown_id_is_an_input_error_with_suggestions() -> None:
    result = invoke("show", "umeng_analytic")
    assert result.exit_code == 2
    assert "unknown SDK id 'umeng_analytic'" in result.stderr
    assert "umeng_analytics" in result.stderr
    assert result.stdout == ""


# ----------------------------------------------------------------------------- import


def test_import_exodus_writes_a_usable_user_database_and_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "exodus.yaml"
    result = invoke("import", str(EXODUS), "--format", "exodus", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("imported exodus_trackers.json (exodus, sha256 ")
    assert lines[0].endswith("3 added, 2 merged, 1 confirmed, 9 skipped")
    assert "  added exodus_flurry: new SDK 'Flurry' (2 class prefixes, 1 domain)" in lines
    assert "  merged exodus_umeng_analytics (Umeng Analytics) into umeng_analytics: + domain umtrack.com" in lines
    assert (
        "  skipped tracker 48 (Google Analytics): 'com.google.': code signature is over-broad: covers the vendor "
        "root com.google." in lines
    )
    assert lines[-1] == f"wrote 5 entries to {out}"
    db = load_with_user_databases([out])
    assert db.sdk_for_host("x.umtrack.com").id == "umeng_analytics"
    assert db.owner_of_class("Lcom/mopub/mobileads/MoPubView;").id == "exodus_mopub"


def test_import_without_output_writes_yaml_to_stdout() -> None:
    result = invoke("import", str(SDKJSON), "--format", "sdkjson")
    assert result.exit_code == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    assert doc["schema_version"] == 1
    assert [entry["id"] for entry in doc["sdks"]] == [
        "sdkjson_com_sensorsdata_analytics_android_sdk",
        "sdkjson_sharesdk",
        "sdkjson_com_qiyukf_unicorn",
    ]
    assert "3 added, 0 merged, 2 confirmed, 2 skipped" in result.stderr
    assert "wrote 3 entries to stdout" in result.stderr


def test_import_libchecker_merges_into_packaged_entries(tmp_path: Path, libchecker_db: Path) -> None:
    out = tmp_path / "lc.yaml"
    result = invoke("import", str(libchecker_db), "--format", "libchecker", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "3 added, 2 merged, 2 confirmed, 10 skipped" in result.stderr
    assert (
        "  merged libchecker_com_umeng_message (友盟推送) into umeng_push: + service "
        "com.umeng.message.XiaomiIntentService" in result.stderr.splitlines()
    )
    db = load_with_user_databases([out])
    assert ("service", "com.umeng.message.XiaomiIntentService") in db.get("umeng_push").components


def test_import_on_top_of_an_earlier_import_keeps_both(tmp_path: Path, exodus_db: Path, libchecker_db: Path) -> None:
    out = tmp_path / "lc.yaml"
    result = invoke("import", str(libchecker_db), "--format", "libchecker", "-o", str(out), "--sdk-db", str(exodus_db))
    assert result.exit_code == 0, result.stderr
    db = load_with_user_databases([exodus_db, out])
    pangle = db.get("pangle_csj")
    assert "pangle.io" in pangle.domains  # from the Exodus import
    assert any(lib.exact == "libnms.so" for lib in pangle.native_libs)  # from the LibChecker import


@pytest.mark.parametrize(
    ("name", "content", "fmt", "message"),
    [
        ("rules.db", b"not sqlite at all\n" * 100, "libchecker", "not a readable LibChecker rules database"),
        ("sdk.json", b"__import__('os').system('true')", "sdkjson", "not a Python literal list"),
        ("trackers.json", b'{"trackers": [', "exodus", "not JSON"),
        ("trackers.json", b'{"nothing": 1}', "exodus", "not an Exodus tracker list"),
    ],
)
def test_import_of_bad_input_exits_2_without_a_traceback(
    tmp_path: Path, name: str, content: bytes, fmt: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    out = tmp_path / "out.yaml"
    result = invoke("import", str(path), "--format", fmt, "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_import_usage_errors_exit_2(tmp_path: Path, exodus_db: Path) -> None:
    assert invoke("import", str(EXODUS)).exit_code == 2  # --format is required
    assert invoke("import", str(EXODUS), "--format", "csv").exit_code == 2
    assert invoke("import", str(tmp_path / "missing.json"), "--format", "exodus").exit_code == 2
    before = exodus_db.read_bytes()
    clobber = invoke("import", str(SDKJSON), "--format", "sdkjson", "--sdk-db", str(exodus_db), "-o", str(exodus_db))
    assert clobber.exit_code == 2 and "is also an --sdk-db input" in clobber.stderr
    assert exodus_db.read_bytes() == before


def test_import_refuses_a_fifo_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "trackers.json"
    os.mkfifo(fifo)
    result = invoke("import", str(fifo), "--format", "exodus")
    assert result.exit_code == 2
    assert "not a regular file" in result.stderr


def test_an_unexpected_failure_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import appaudit.knowledge.importers.merge as merge

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(merge, "merge_entries", boom)
    result = invoke("import", str(EXODUS), "--format", "exodus")
    assert result.exit_code == 3
    assert "internal error: RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.output


# ----------------------------------------------------------------------------- untrusted text


HOSTILE_NAME = "[bold red]Evil[/] \x1b[31mRed\x1b[0m \u202eesrever"


def test_untrusted_text_is_neither_markup_nor_terminal_control(tmp_path: Path) -> None:
    trackers = tmp_path / "trackers.json"
    trackers.write_text(
        json.dumps(
            {
                "trackers": {
                    "9": {
                        "name": HOSTILE_NAME,
                        "code_signature": "com.evil.tracker.|com.evil.[bold]x",
                        "network_signature": "",
                        "categories": ["Analytics"],
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "evil.yaml"
    result = invoke("import", str(trackers), "--format", "exodus", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "[bold red]Evil[/]" in result.stderr and "com.evil.[bold]x" in result.stderr
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr

    sdk_id = yaml.safe_load(out.read_text(encoding="utf-8"))["sdks"][0]["id"]
    for args in (["list", "--search", "evil"], ["show", sdk_id]):
        shown = invoke(*args, "--sdk-db", str(out))
        assert shown.exit_code == 0, shown.stderr
        assert "[bold red]Evil[/]" in shown.stdout
        assert "\x1b" not in shown.stdout and "\u202e" not in shown.stdout


def test_control_characters_in_a_user_database_are_shown_escaped(tmp_path: Path) -> None:
    user = tmp_path / "user.yaml"
    user.write_text(
        'schema_version: 1\nsdks:\n- id: acme_sdk\n  name: "\\e[31mAcme\\e[0m [b]x[/b] \\u202eSDK"\n'
        "  categories: [analytics]\n  class_prefixes: [com.acme.sdk.]\n  sources: [manual]\n",
        encoding="utf-8",
    )
    assert "\x1b" in load_with_user_databases([user]).get("acme_sdk").name
    for args in (["list", "--search", "acme"], ["show", "acme_sdk"]):
        shown = invoke(*args, "--sdk-db", str(user))
        assert shown.exit_code == 0, shown.stderr
        assert "\\u001b[31mAcme" in shown.stdout and "[b]x[/b]" in shown.stdout
        assert "\x1b" not in shown.stdout and "\u202e" not in shown.stdout
