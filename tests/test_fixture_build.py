"""The committed fixture APKs are exactly what their sources build (the build is reproducible)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TOOLS = ("apktool", "apksigner", "zipalign")


@pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS), reason="needs Debian's apktool, apksigner and zipalign"
)
def test_rebuilding_every_fixture_gives_the_committed_bytes(tmp_path: Path) -> None:
    env = {**os.environ, "FIXTURES_OUT_DIR": str(tmp_path)}
    script = str(FIXTURES / "build_apps.sh")
    result = subprocess.run(["bash", script], env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    committed = sorted(FIXTURES.glob("apps/*/*.apk"))
    assert len(committed) >= 4
    for apk in committed:
        rebuilt = tmp_path / apk.name
        assert rebuilt.is_file(), apk.name
        digest = hashlib.sha256(apk.read_bytes()).hexdigest()
        assert hashlib.sha256(rebuilt.read_bytes()).hexdigest() == digest, (
            f"{apk.name} differs from a rebuild of its sources: run bash fixtures/build_apps.sh and commit"
        )


def test_demo_apk_is_the_violating_fixture() -> None:
    demo = Path(__file__).resolve().parent.parent / "appaudit" / "data" / "demo" / "violating.apk"
    assert demo.read_bytes() == (FIXTURES / "apps" / "violating" / "violating.apk").read_bytes()
