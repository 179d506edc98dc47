"""Real third-party APKs, not built by us: the uiautomator ATX app and its test jar from PyPI.

`uiautomator2` (MIT) ships `app-uiautomator.apk` (an R8-built release APK: obfuscated names,
androidx, resources) and `u2.jar` (seven DEX files, ~900 Kotlin classes). The wheel is fetched
once with ``pip download --no-deps`` into ``.cache/real-apks`` (nothing is committed). Without a
package registry the tests skip, unless ``APPAUDIT_REQUIRE_REAL_APKS=1`` (set by CI) makes that a
failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from appaudit.evidence.model import Status
from appaudit.pipeline import scan_apk
from appaudit.static.dex.code_index import Interest, build_code_index
from appaudit.static.dex.reader import DexImage

WHEEL = "uiautomator2==3.7.1"
CACHE = Path(__file__).resolve().parent.parent / ".cache" / "real-apks"


@pytest.fixture(scope="session")
def real_apks() -> dict[str, Path]:
    apk = CACHE / "app-uiautomator.apk"
    jar = CACHE / "u2.jar"
    if not (apk.is_file() and jar.is_file()):
        CACHE.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE), WHEEL],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        wheels = sorted(CACHE.glob("uiautomator2-*.whl"))
        if result.returncode != 0 or not wheels:
            if os.environ.get("APPAUDIT_REQUIRE_REAL_APKS"):
                pytest.fail(f"could not download {WHEEL}: {result.stderr.strip()[-300:]}")
            pytest.skip(f"{WHEEL} could not be downloaded (no package registry?)")
        with zipfile.ZipFile(wheels[-1]) as wheel:
            apk.write_bytes(wheel.read("uiautomator2/assets/app-uiautomator.apk"))
            jar.write_bytes(wheel.read("uiautomator2/assets/u2.jar"))
    return {"apk": apk, "jar": jar}


def test_real_release_apk_scans_cleanly(real_apks) -> None:
    result = scan_apk(real_apks["apk"])
    bundle = result.bundle
    assert result.internal_errors == []
    assert [(p.name, p.status) for p in bundle.parts if p.status is not Status.OK] == []
    assert bundle.app is not None
    assert (bundle.app.package, bundle.app.label, bundle.app.version_name) == (
        "com.github.uiautomator",
        "ATX",
        "2.4.0",
    )
    assert bundle.app.signing.certificates, "a release APK is signed"
    assert len(bundle.api_calls) > 10
    assert bundle.startup is not None and bundle.startup.entry_points
    assert not bundle.startup.budget_exhausted


def _dex_edges(path: Path) -> dict[str, Counter]:
    edges: dict[str, Counter] = {}
    with zipfile.ZipFile(path) as z:
        for name in (n for n in z.namelist() if n.startswith("classes") and n.endswith(".dex")):
            dex = DexImage(name, z.read(name))
            index = build_code_index(dex, Interest())
            assert index.errors == [], index.errors[:3]
            for local in range(index.method_total):
                if index.code_off[local]:
                    key = "{}->{}{}".format(*dex.method_key(index.method_idx[local]))
                    edges[key] = Counter(
                        ("{}->{}{}".format(*dex.method_key(index.callees[e])), 2 * index.call_offsets[e])
                        for e in index.edges_of(local)
                    )
    return edges


def test_real_apk_invoke_edges_equal_androguard_xrefs(real_apks) -> None:
    """Equal on every method, except where androguard rewrites calls on array receivers.

    androguard turns ``[Lfoo/Bar;->clone()`` into ``Lfoo/Bar;->clone()`` and drops calls on
    primitive arrays; appaudit keeps the reference exactly as the bytecode writes it. Both sides
    are compared with edges at those offsets removed.
    """
    from androguard.misc import AnalyzeAPK
    from loguru import logger

    logger.disable("androguard")
    ours = _dex_edges(real_apks["apk"])
    _a, _d, dx = AnalyzeAPK(str(real_apks["apk"]))
    theirs: dict[str, Counter] = {}
    for m in dx.get_methods():
        if not m.is_external() and m.get_method().get_code() is not None:
            theirs[f"{m.class_name}->{m.name}{m.descriptor.replace(' ', '')}"] = Counter(
                (f"{c.class_name}->{c.name}{c.descriptor.replace(' ', '')}", off) for _cls, c, off in m.get_xref_to()
            )
    assert ours.keys() == theirs.keys()
    array_calls = 0
    for key, edges in ours.items():
        array_offsets = {off for callee, off in edges if callee.startswith("[")}
        array_calls += len(array_offsets)
        mine = Counter({k: n for k, n in edges.items() if k[1] not in array_offsets})
        other = Counter({k: n for k, n in theirs[key].items() if k[1] not in array_offsets})
        assert mine == other, key
    assert sum(len(c) for c in ours.values()) > 40_000
    assert 0 < array_calls < 100


def test_real_multidex_kotlin_jar_indexes_without_errors(real_apks) -> None:
    edges = _dex_edges(real_apks["jar"])
    assert len(edges) > 30_000
    assert any(k.startswith("Lkotlin/") for k in edges)


def test_real_seven_dex_package_scans_and_says_it_found_no_entry_point(real_apks) -> None:
    """u2.jar is an instrumentation package: a manifest with no Application, provider or launcher."""
    bundle = scan_apk(real_apks["jar"]).bundle
    assert bundle.app is not None and bundle.app.dex_count == 7
    assert [d.name for d in bundle.app.dex_files][:3] == ["classes.dex", "classes2.dex", "classes3.dex"]
    assert bundle.part("dex").status is Status.OK
    startup = bundle.part("startup")
    assert startup.status is Status.PARTIAL
    assert "no start-up entry point" in startup.errors[0].message
    assert bundle.startup is not None and bundle.startup.findings == ()
