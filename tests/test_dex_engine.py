"""appaudit's own DEX reader and invoke index, checked against androguard's full analysis."""

from __future__ import annotations

import struct
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from appaudit.errors import DexFormatError
from appaudit.static.dex.code_index import Interest, build_code_index
from appaudit.static.dex.instructions import basic_blocks, decode_method
from appaudit.static.dex.reader import DexImage, decode_mutf8

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
APKS = sorted(FIXTURES.glob("*/*.apk"))


def dex_images(apk: Path) -> list[DexImage]:
    with zipfile.ZipFile(apk) as z:
        names = sorted((n for n in z.namelist() if n.startswith("classes") and n.endswith(".dex")), key=len)
        return [DexImage(n, z.read(n)) for n in names]


def our_edges(dex: DexImage) -> dict[str, Counter]:
    index = build_code_index(dex, Interest())
    assert index.errors == []
    edges: dict[str, Counter] = {}
    for local in range(index.method_total):
        if not index.code_off[local]:
            continue
        cls, name, proto = dex.method_key(index.method_idx[local])
        edges[f"{cls}->{name}{proto}"] = Counter(
            ("{}->{}{}".format(*dex.method_key(index.callees[e])), 2 * index.call_offsets[e])
            for e in index.edges_of(local)
        )
    return edges


@pytest.fixture(scope="module")
def androguard_analyses():
    from androguard.misc import AnalyzeAPK
    from loguru import logger

    logger.disable("androguard")
    return {apk.name: AnalyzeAPK(str(apk)) for apk in APKS}


@pytest.mark.parametrize("apk", APKS, ids=lambda p: p.name)
def test_invoke_edges_equal_androguard_xrefs(apk: Path, androguard_analyses) -> None:
    """Every method's outgoing calls (callee and byte offset) match androguard's xref_to."""
    _a, _d, dx = androguard_analyses[apk.name]
    ours: dict[str, Counter] = {}
    for dex in dex_images(apk):
        ours.update(our_edges(dex))
    theirs: dict[str, Counter] = {}
    for m in dx.get_methods():
        if m.is_external() or m.get_method().get_code() is None:
            continue
        key = f"{m.class_name}->{m.name}{m.descriptor.replace(' ', '')}"
        theirs[key] = Counter(
            (f"{callee.class_name}->{callee.name}{callee.descriptor.replace(' ', '')}", off)
            for _cls, callee, off in m.get_xref_to()
        )
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert ours[key] == theirs[key], key
    # The comparison covered real calls (the hostile-strings app is tiny on purpose: its attack is its strings).
    assert sum(len(c) for c in ours.values()) > (5 if apk.name == "hostile-strings.apk" else 10)


@pytest.mark.parametrize("apk", APKS, ids=lambda p: p.name)
def test_class_names_equal_androguard(apk: Path, androguard_analyses) -> None:
    _a, d, _dx = androguard_analyses[apk.name]
    ours = sorted(n for dex in dex_images(apk) for n in dex.class_descriptors())
    theirs = sorted(c for dvm in d for c in dvm.get_classes_names())
    assert ours == theirs


def test_multidex_fixture_has_two_dex_files() -> None:
    images = dex_images(FIXTURES / "sdk-zoo" / "sdk-zoo.apk")
    assert [i.name for i in images] == ["classes.dex", "classes2.dex"]
    assert all(i.class_def_count > 5 for i in images)


def test_find_string_and_type_use_the_sorted_tables() -> None:
    (dex,) = dex_images(FIXTURES / "violating" / "violating.apk")
    sidx = dex.find_string("android_id")
    assert sidx is not None and dex.string(sidx) == "android_id"
    assert dex.find_string("android_ie") is None
    tidx = dex.find_type("Landroid/telephony/TelephonyManager;")
    assert tidx is not None and dex.type_name(tidx) == "Landroid/telephony/TelephonyManager;"
    names = {dex.method_name(m) for m in dex.method_range_for_class(tidx)}
    assert names == {"getDeviceId", "getSubscriberId"}


def test_mutf8_decoding_handles_nul_and_supplementary_characters() -> None:
    assert decode_mutf8(b"a\xc0\x80b") == "a\x00b"
    # U+1F600 as a surrogate pair, each half encoded as 3 bytes (CESU-8 style, as DEX does)
    assert decode_mutf8(b"\xed\xa0\xbd\xed\xb8\x80") == "\U0001f600"
    assert decode_mutf8("隐私政策".encode()) == "隐私政策"


def _violating_dex_bytes() -> bytes:
    with zipfile.ZipFile(FIXTURES / "violating" / "violating.apk") as z:
        return z.read("classes.dex")


def _code_off(dex: DexImage, class_desc: str, name: str) -> int:
    for cdef in dex.class_defs():
        if dex.type_name(cdef.class_idx) == class_desc:
            for m in dex.class_methods(cdef):
                if dex.method_name(m.method_idx) == name:
                    return m.code_off
    raise AssertionError(f"{class_desc}->{name} not found")


def test_one_corrupt_method_costs_only_that_method() -> None:
    data = bytearray(_violating_dex_bytes())
    dex = DexImage("classes.dex", bytes(data))
    off = _code_off(dex, "Lcom/appaudit/fixture/violating/Tracker;", "warmUp")
    data[off + 16] = 0x3E  # an opcode no valid DEX uses
    broken = DexImage("classes.dex", bytes(data))
    index = build_code_index(broken, Interest())
    assert len(index.errors) == 1
    assert "Tracker;->warmUp()V" in index.errors[0].scope and "invalid opcode 0x3e" in index.errors[0].message
    edges = our_edges_allowing_errors(broken)
    assert edges["Lcom/appaudit/fixture/violating/Tracker;->warmUp()V"] == []
    assert (
        "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;"
        in edges["Lcom/appaudit/fixture/violating/IdHelper;->imei(Landroid/content/Context;)Ljava/lang/String;"]
    )


def our_edges_allowing_errors(dex: DexImage) -> dict[str, list[str]]:
    index = build_code_index(dex, Interest())
    out = {}
    for local in range(index.method_total):
        cls, name, proto = dex.method_key(index.method_idx[local])
        out[f"{cls}->{name}{proto}"] = [
            "{}->{}{}".format(*dex.method_key(index.callees[e])) for e in index.edges_of(local)
        ]
    return out


def test_code_item_pointing_outside_the_file_is_an_error_for_that_method() -> None:
    data = bytearray(_violating_dex_bytes())
    dex = DexImage("classes.dex", bytes(data))
    off = _code_off(dex, "Lcom/appaudit/fixture/violating/IdHelper;", "imei")
    struct.pack_into("<I", data, off + 12, 0x7FFFFFFF)  # insns_size far beyond the file
    index = build_code_index(DexImage("classes.dex", bytes(data)), Interest())
    assert [e.message for e in index.errors] == [
        f"method body skipped: classes.dex: code_item at 0x{off:x} runs past the end of the file"
    ]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b[:0x40], "too small for a DEX header"),
        (lambda b: b"xex\n035\x00" + b[8:], "bad DEX magic"),
        (lambda b: b[:0x3C] + struct.pack("<I", 0x7FFFFFF0) + b[0x40:], "string_ids table"),
        (lambda b: b[:0x28] + struct.pack("<I", 0x78563412) + b[0x2C:], "endian tag"),
    ],
)
def test_malformed_headers_raise_dex_format_error(mutate, message: str) -> None:
    with pytest.raises(DexFormatError, match=message):
        DexImage("classes.dex", mutate(_violating_dex_bytes()))


def test_truncated_dex_fails_cleanly_per_class() -> None:
    data = _violating_dex_bytes()
    dex = DexImage("classes.dex", data[: len(data) * 2 // 3])  # the ID tables survive, class data does not
    index = build_code_index(dex, Interest())
    assert index.error_count == dex.class_def_count == 12
    assert all("uleb128 runs past the end of the file" in e.message for e in index.errors)


def test_decode_method_and_blocks_of_a_guarded_method() -> None:
    with zipfile.ZipFile(FIXTURES / "compliant" / "compliant.apk") as z:
        dex = DexImage("classes.dex", z.read("classes.dex"))
    insns = decode_method(dex, _code_off(dex, "Lcom/appaudit/fixture/compliant/App;", "onCreate"))
    ops = [i.op for i in insns]
    assert ops.count(0x38) == 2  # two if-eqz guards
    blocks = basic_blocks(insns)
    assert len(blocks) >= 4
    assert all(b.end > b.start for b in blocks)
