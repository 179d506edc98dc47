"""The CI recipe in README.md, run exactly as written (the shell block after <!-- ci-recipe -->)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "fixtures" / "apps"


def recipe() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- ci-recipe -->\s*```sh\n(.*?)```", readme, re.S)
    assert match, "README.md has no <!-- ci-recipe --> shell block"
    return match.group(1)


@pytest.mark.parametrize(("app", "expected_exit"), [("violating", 1), ("compliant", 0)])
def test_readme_ci_recipe_gates_the_build(app: str, expected_exit: int, tmp_path: Path) -> None:
    bindir = tmp_path / "bin"  # `appaudit` on PATH, as a pip-installed CI job has it
    bindir.mkdir()
    shim = bindir / "appaudit"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m appaudit "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "APK": str(APPS / app / f"{app}.apk")}
    result = subprocess.run(
        ["sh", "-c", recipe()], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == expected_exit, result.stderr
    report = tmp_path / "appaudit-report"
    for name in ("evidence.json", "verdicts.json", "report.html", "appaudit.sarif"):
        assert (report / name).is_file(), name
    sarif = json.loads((report / "appaudit.sarif").read_text(encoding="utf-8"))
    rule_ids = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert ("III.1" in rule_ids) is (app == "violating")
