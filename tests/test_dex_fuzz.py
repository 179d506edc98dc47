"""Corrupted DEX bytes: every failure is typed and recorded, never an exception that escapes."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from appaudit.errors import DexFormatError
from appaudit.pipeline import scan_apk
from appaudit.static.dex.code_index import Interest, build_code_index
from appaudit.static.dex.reader import DexImage

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
SOURCES = [
    APPS / "violating" / "violating.apk",
    APPS / "guards" / "guards.apk",
    APPS / "compliant" / "compliant.apk",
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice([1, 4, 16, 64])):
        pos = rng.randrange(0x70, len(out))  # keep the magic so the interesting code runs
        out[pos] = rng.randrange(256)
    return bytes(out)


@pytest.mark.parametrize("seed", range(300))
def test_dex_layer_raises_only_dex_format_error(seed: int) -> None:
    rng = random.Random(seed)
    with zipfile.ZipFile(SOURCES[seed % len(SOURCES)]) as z:
        data = mutate(z.read("classes.dex"), rng)
    try:
        dex = DexImage("classes.dex", data)
        class_defs = dex.class_defs()
    except DexFormatError:
        return
    index = build_code_index(dex, Interest(), class_defs=class_defs)
    for e in range(len(index.callees)):  # every recorded invoke names a readable method_id
        assert 0 <= index.callees[e] < dex.method_count


def _apk_with_dex(source: Path, dex: bytes, target: Path) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, dex if info.filename == "classes.dex" else zin.read(info.filename))
    return target


# 2048, 2279, 2284: an invoke naming a method index past the table once escaped as IndexError.
@pytest.mark.parametrize("seed", [*range(40), 2048, 2279, 2284])
def test_pipeline_on_corrupted_dex_records_errors_instead_of_crashing(seed: int, tmp_path: Path) -> None:
    rng = random.Random(1000 + seed)
    source = SOURCES[seed % len(SOURCES)]
    with zipfile.ZipFile(source) as z:
        data = mutate(z.read("classes.dex"), rng)
    result = scan_apk(_apk_with_dex(source, data, tmp_path / "fuzzed.apk"))
    assert result.internal_errors == []
    assert result.bundle.manifest is not None  # the manifest part never depends on the DEX
