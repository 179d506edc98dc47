"""The command line: help, outputs, exit codes, and bad input never producing a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import hostile_inputs as hostile
import pytest
from click.testing import CliRunner

from appaudit.cli import main
from appaudit.evidence.model import SCHEMA_VERSION

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run appaudit as a real process, the way a user or CI does."""
    return subprocess.run(
        [sys.executable, "-m", "appaudit", *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for command in [[], *([name] for name in main.commands)]:
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage:" in result.output
    assert "Exit codes" in runner.invoke(main, ["--help"]).output
    assert {"scan", "demo"} <= set(main.commands)
    for name, command in main.commands.items():
        assert command.help and len(command.help) > 20, name


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from appaudit.cli import main\n"
        "try:\n    main(['scan', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('androguard', 'jinja2', 'mitmproxy', 'lxml') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


def test_scan_writes_evidence_and_report(tmp_path: Path) -> None:
    result = run("scan", str(APPS / "violating" / "violating.apk"), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    evidence = json.loads((tmp_path / "out" / "evidence.json").read_text(encoding="utf-8"))
    assert evidence["schema_version"] == SCHEMA_VERSION
    assert evidence["app"]["label"] == "违规示例"
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "违规示例" in html and evidence["app"]["apk_sha256"] in html
    assert "Reachable at start-up" in result.stderr and "10 unguarded" in result.stderr
    assert result.stdout == ""  # machine output only when asked; messages go to stderr


def test_default_output_directory_is_named_after_package_and_version(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["-q", "scan", str(APPS / "compliant" / "compliant.apk"), "--no-html"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "reports" / "com.appaudit.fixture.compliant-1.0.0"
    assert (out / "evidence.json").is_file() and not (out / "report.html").exists()


def test_demo_is_a_whole_simulated_audit(tmp_path: Path, monkeypatch) -> None:
    """The README's main command: static scan, simulated device runs through a real mitmdump, verdicts, report."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["-q", "demo"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "reports/demo"
    evidence = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    assert evidence["app"]["package"] == "com.appaudit.fixture.violating"
    assert [r["kind"] for r in evidence["device"]["runs"]] == ["agree", "refuse", "ignore"]
    assert evidence["device"]["device"]["driver"] == "simulated"
    assert any(m["pi_type"] == "imei" for m in evidence["traffic"]["pi_matches"])
    verdicts = {r["item_id"]: r["verdict"] for r in json.loads((out / "verdicts.json").read_text())["results"]}
    for item in ("I.3", "III.1", "III.2", "IV.2", "V.1"):  # the demo app's designed faults
        assert verdicts[item] == "violation", (item, verdicts[item])
    assert verdicts["I.2"] == "pass" and verdicts["III.4"] == "pass"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Device runs" in html and "Captured traffic" in html and "simulated device" in html
    assert (out / "capture" / "flows.mitm").stat().st_size > 0
    assert any((out / "runs" / "agree").glob("*.xml"))


def test_demo_static_only_needs_no_proxy(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["-q", "demo", "--static-only"])
    assert result.exit_code == 0, result.output
    evidence = json.loads((tmp_path / "reports/demo/evidence.json").read_text(encoding="utf-8"))
    assert evidence["device"] is None and evidence["traffic"] is None


INPUT_ERRORS = {
    "make_non_zip": "not a zip archive",
    "make_empty_file": "is empty",
    "make_truncated_zip": "truncated",
    "make_apk_without_manifest": "contains no AndroidManifest.xml",
    "make_many_entries": "too many entries",
    "make_dex_zip_polyglot": "Janus",
}


@pytest.mark.parametrize("generator", sorted(INPUT_ERRORS))
def test_unusable_input_gives_one_line_error_and_exit_2(generator: str, tmp_path: Path) -> None:
    apk = getattr(hostile, generator)(tmp_path)
    result = run("scan", str(apk), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and INPUT_ERRORS[generator] in lines[0]
    assert not (tmp_path / "out" / "evidence.json").exists()


def test_missing_file_and_directory_are_input_errors(tmp_path: Path) -> None:
    assert run("scan", str(tmp_path / "nope.apk")).returncode == 2
    result = run("scan", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr


# (generator, part that must not be ok, its status, words in its first error, anomaly words)
PARTIAL_RESULTS = [
    ("make_zip_bomb", "dex", "skipped", "no classes", "zip bomb"),
    ("make_lying_zip_bomb", "dex", "skipped", "no classes", None),
    ("make_ratio_bomb", "dex", "skipped", "no classes", "ratio"),
    ("make_apk_without_dex", "dex", "skipped", "no classes", None),
    ("make_corrupt_dex", "dex", "failed", "DEX unreadable", None),
    ("make_duplicate_entries", "dex", "failed", "DEX unreadable", "duplicate entry"),
    ("make_path_traversal", "dex", "skipped", "no classes", ".."),
    ("make_encrypted_entry", "dex", "failed", "encrypted", "encrypted"),
    ("make_bad_crc", "dex", "failed", "CRC-32", None),
    ("make_invalid_utf8_names", "dex", "skipped", "no classes", "UTF-8"),
]


@pytest.mark.parametrize(("generator", "part", "status", "words", "anomaly"), PARTIAL_RESULTS)
def test_damaged_apk_gives_partial_evidence_naming_what_failed(
    generator: str, part: str, status: str, words: str, anomaly: str | None, tmp_path: Path
) -> None:
    apk = getattr(hostile, generator)(tmp_path)
    result = CliRunner().invoke(main, ["-q", "scan", str(apk), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    evidence = json.loads((tmp_path / "out" / "evidence.json").read_text(encoding="utf-8"))
    parts = {p["name"]: p for p in evidence["parts"]}
    assert parts[part]["status"] == status
    assert words in parts[part]["errors"][0]["message"]
    assert parts["manifest"]["status"] == "ok"  # the rest of the evidence survived
    for dependent in ("api_calls", "startup"):
        assert parts[dependent]["status"] == "skipped"  # never an empty "nothing found"
    if anomaly:
        assert any(anomaly in a for a in evidence["archive_anomalies"]), evidence["archive_anomalies"]
    assert (tmp_path / "out" / "report.html").is_file()


def test_user_sdk_database_adds_to_the_built_in_one(tmp_path: Path) -> None:
    user_db = tmp_path / "my-sdks.yaml"
    user_db.write_text(
        "schema_version: 1\n"
        "sdks:\n"
        "- id: house_glide_fork\n"
        "  name: In-house Glide fork\n"
        "  categories: [other]\n"
        "  class_prefixes: [com.bumptech.glide.]\n"
        '  sources: ["manual: test"]\n',
        encoding="utf-8",
    )
    apk = APPS / "plain-libs" / "plain-libs.apk"
    result = CliRunner().invoke(main, ["-q", "scan", str(apk), "-o", str(tmp_path / "out"), "--sdk-db", str(user_db)])
    assert result.exit_code == 0, result.output
    evidence = json.loads((tmp_path / "out" / "evidence.json").read_text(encoding="utf-8"))
    hit = next(s for s in evidence["sdks"] if s["sdk_id"] == "house_glide_fork")
    assert hit["matches"][0]["signature"] == "Lcom/bumptech/glide/"
    # the built-in database is still in force: scanning a fixture with a known SDK still finds it
    other = CliRunner().invoke(
        main,
        ["-q", "scan", str(APPS / "violating" / "violating.apk"), "-o", str(tmp_path / "v"), "--sdk-db", str(user_db)],
    )
    assert other.exit_code == 0
    assert {"jpush", "umeng_analytics"} <= {
        s["sdk_id"] for s in json.loads((tmp_path / "v" / "evidence.json").read_text())["sdks"]
    }


def test_invalid_user_sdk_database_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nsdks:\n- id: x\n  class_prefixes: [com.google.]\n", encoding="utf-8")
    result = run("scan", str(APPS / "violating" / "violating.apk"), "-o", str(tmp_path / "o"), "--sdk-db", str(bad))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "bad.yaml" in result.stderr


def test_scan_writes_verdicts_and_gates_only_when_asked(tmp_path: Path) -> None:
    violating = str(APPS / "violating" / "violating.apk")
    plain = run("scan", violating, "-o", str(tmp_path / "a"), "--no-html")
    assert plain.returncode == 0  # no --fail-on: report-only
    verdicts = json.loads((tmp_path / "a" / "verdicts.json").read_text(encoding="utf-8"))
    assert {r["item_id"]: r["verdict"] for r in verdicts["results"]}["III.1"] == "violation"
    assert "2 violations (I.1, III.1)" in plain.stderr
    assert run("scan", violating, "-o", str(tmp_path / "b"), "--fail-on", "violation").returncode == 1
    assert run("scan", violating, "-o", str(tmp_path / "c"), "--fail-on", "violation", "--exit-zero").returncode == 0
    compliant = run(
        "scan", str(APPS / "compliant" / "compliant.apk"), "-o", str(tmp_path / "d"), "--fail-on", "violation"
    )
    assert compliant.returncode == 0
    html = (tmp_path / "d" / "report.html").read_text(encoding="utf-8")
    assert "The 31 items" in html and "31 项认定条目" in html and 'id="en-item-III-1"' in html  # both languages
