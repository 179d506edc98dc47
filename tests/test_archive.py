"""Tests for appaudit.static.archive: bounded, typed access to hostile APK containers."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_inputs import (
    GENERATORS,
    MANIFEST,
    ZipEntry,
    make_apk_without_dex,
    make_apk_without_manifest,
    make_bad_crc,
    make_corrupt_dex,
    make_dex_zip_polyglot,
    make_duplicate_entries,
    make_empty_file,
    make_encrypted_entry,
    make_invalid_utf8_names,
    make_lying_zip_bomb,
    make_many_entries,
    make_non_zip,
    make_path_traversal,
    make_ratio_bomb,
    make_truncated_zip,
    make_zip_bomb,
    minimal_binary_manifest,
    write_zip,
)

from appaudit.errors import AppauditError, ArchiveError, InputError, ResourceLimitError
from appaudit.static.archive import DEFAULT_LIMITS, ApkArchive, ArchiveLimits, _apply_zip64_extra, open_apk

Generator = Callable[[Path], Path]
BOMB_MEMORY_CEILING = 64 * 1024 * 1024
AXML_MAGIC = b"\x03\x00\x08\x00"
REPO_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "apps"


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Generator], Path]:
    """Each hostile input generated once per session (the 200k-entry archive takes a second or two)."""
    directory = tmp_path_factory.mktemp("hostile")
    cache: dict[Generator, Path] = {}

    def get(generator: Generator) -> Path:
        if generator not in cache:
            cache[generator] = generator(directory)
        return cache[generator]

    return get


def apk_with(tmp_path: Path, *entries: ZipEntry, name: str = "case.apk") -> Path:
    """A small archive with a valid manifest followed by ``entries``."""
    return write_zip(tmp_path / name, [ZipEntry(MANIFEST, minimal_binary_manifest(), deflate=True), *entries])


def read_peak(archive: ApkArchive, name: str) -> tuple[BaseException | None, int]:
    """(exception raised by archive.read(name) or None, peak bytes allocated meanwhile)."""
    tracemalloc.start()
    try:
        archive.read(name)
    except AppauditError as exc:
        return exc, tracemalloc.get_traced_memory()[1]
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return None, peak


# --------------------------------------------------------------------------- inputs open_apk refuses


@pytest.mark.parametrize(
    ("generator", "error_type", "fragments"),
    [
        pytest.param(make_non_zip, ArchiveError, ["not a zip archive", "<!DO"], id="non-zip"),
        pytest.param(make_empty_file, InputError, ["is empty"], id="empty"),
        pytest.param(make_truncated_zip, ArchiveError, ["truncated", "end-of-central-directory"], id="truncated"),
        pytest.param(
            make_apk_without_manifest,
            ArchiveError,
            ["contains no AndroidManifest.xml: not an APK", "App Bundle"],
            id="no-manifest",
        ),
        pytest.param(make_many_entries, ArchiveError, ["too many entries", "200,001", "100,000"], id="many-entries"),
        pytest.param(make_dex_zip_polyglot, ArchiveError, ["DEX header", "CVE-2017-13156"], id="janus"),
    ],
)
def test_open_refuses_with_a_typed_one_line_error(
    generated: Callable[[Generator], Path], generator: Generator, error_type: type, fragments: list[str]
) -> None:
    path = generated(generator)
    with pytest.raises(AppauditError) as caught:
        open_apk(path)
    message = str(caught.value)
    assert type(caught.value) is error_type
    assert str(path) in message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file") as caught:
        open_apk(tmp_path / "absent.apk")
    assert type(caught.value) is InputError


def test_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory") as caught:
        open_apk(tmp_path)
    assert type(caught.value) is InputError


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "app.apk"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        open_apk(fifo)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads unreadable files")
def test_unreadable_file_is_an_input_error(generated: Callable[[Generator], Path], tmp_path: Path) -> None:
    path = tmp_path / "locked.apk"
    shutil.copy(generated(make_apk_without_dex), path)
    path.chmod(0)
    with pytest.raises(InputError, match="cannot open") as caught:
        open_apk(path)
    assert type(caught.value) is InputError


def test_empty_zip_has_no_manifest(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "empty.zip", [])
    with pytest.raises(ArchiveError, match=r"contains no AndroidManifest\.xml: not an APK"):
        open_apk(path)


def test_oversized_manifest_is_a_resource_limit_error(generated: Callable[[Generator], Path]) -> None:
    path = generated(make_apk_without_dex)
    with pytest.raises(ResourceLimitError, match=r"AndroidManifest\.xml declares .* exceeds the manifest limit"):
        open_apk(path, ArchiveLimits(max_manifest_bytes=100))


def test_entry_count_is_checked_even_when_the_end_record_lies(tmp_path: Path) -> None:
    path = apk_with(tmp_path, *(ZipEntry(f"res/raw/f{number}", b"x") for number in range(50)))
    patch_end_record_count(path, 1)
    with pytest.raises(ArchiveError, match="central directory holds more than the limit of 10"):
        open_apk(path, ArchiveLimits(max_entries=10))
    with open_apk(path) as archive:
        assert len(archive.names) == 51
        assert any("declares 1 entries but the central directory holds 51" in line for line in archive.anomalies)


def test_central_directory_past_the_end_record_is_corrupt(tmp_path: Path) -> None:
    path = apk_with(tmp_path)
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<I", data, end + 16, len(data))  # central directory offset beyond the file
    path.write_bytes(data)
    with pytest.raises(ArchiveError, match="runs past the end record: truncated or corrupt") as caught:
        open_apk(path)
    assert type(caught.value) is ArchiveError


def test_clobbered_central_directory_record_is_corrupt(tmp_path: Path) -> None:
    path = apk_with(tmp_path, ZipEntry("classes.dex", b"dex\n035\x00"))
    data = path.read_bytes()
    second_record = data.rfind(b"PK\x01\x02")
    path.write_bytes(data[:second_record] + b"XXXX" + data[second_record + 4 :])
    with pytest.raises(ArchiveError, match=r"corrupt central directory: record #2"):
        open_apk(path)


# --------------------------------------------------------------------------- zip bombs


def test_zip_bomb_is_refused_from_its_declared_size_with_bounded_memory(
    generated: Callable[[Generator], Path],
) -> None:
    with open_apk(generated(make_zip_bomb)) as archive:
        assert archive.entry_size("assets/bomb.bin") == 1 << 30
        error, peak = read_peak(archive, "assets/bomb.bin")
        anomalies = archive.anomalies
    assert type(error) is ResourceLimitError
    assert "'assets/bomb.bin'" in str(error) and "exceeds" in str(error) and "zip bomb" in str(error)
    assert peak < BOMB_MEMORY_CEILING
    assert any("'assets/bomb.bin'" in line and "(not read)" in line for line in anomalies)


def test_zip_bomb_is_refused_under_a_smaller_caller_cap_even_with_generous_limits(
    generated: Callable[[Generator], Path],
) -> None:
    generous = ArchiveLimits(max_entry_bytes=4 << 30, max_total_bytes=8 << 30, max_ratio=1e9)
    with (
        open_apk(generated(make_zip_bomb), generous) as archive,
        pytest.raises(ResourceLimitError, match=r"exceeds the limit of 1,048,576 bytes"),
    ):
        archive.read("assets/bomb.bin", max_bytes=1 << 20)


def test_lying_zip_bomb_is_stopped_one_byte_past_its_declared_size(
    generated: Callable[[Generator], Path],
) -> None:
    with open_apk(generated(make_lying_zip_bomb)) as archive:
        assert archive.entry_size("assets/bomb.bin") == 1 << 20
        error, peak = read_peak(archive, "assets/bomb.bin")
        anomalies = archive.anomalies
    assert type(error) is ResourceLimitError
    assert "'assets/bomb.bin' inflates beyond its declared size of 1,048,576 bytes" in str(error)
    assert peak < BOMB_MEMORY_CEILING
    assert any("inflates beyond" in line and "(not read)" in line for line in anomalies)


def test_ratio_bomb_under_the_size_cap_is_refused_by_ratio(generated: Callable[[Generator], Path]) -> None:
    with open_apk(generated(make_ratio_bomb)) as archive:
        assert any("'assets/ratio.bin'" in line and "ratio" in line for line in archive.anomalies)
        error, peak = read_peak(archive, "assets/ratio.bin")
    assert type(error) is ResourceLimitError
    assert "'assets/ratio.bin'" in str(error) and "exceeds the limit of 200:1" in str(error)
    assert peak < BOMB_MEMORY_CEILING


def test_total_bytes_read_from_one_archive_are_capped(tmp_path: Path) -> None:
    path = apk_with(tmp_path, ZipEntry("assets/a.bin", bytes(600)), ZipEntry("assets/b.bin", bytes(600)))
    with open_apk(path, ArchiveLimits(max_total_bytes=1000)) as archive:
        assert archive.read("assets/a.bin") == bytes(600)
        with pytest.raises(ResourceLimitError, match=r"'assets/b.bin'.*exceeds the total of 1,000 bytes"):
            archive.read("assets/b.bin")


def test_read_respects_the_caller_cap(generated: Callable[[Generator], Path]) -> None:
    with open_apk(generated(make_apk_without_dex)) as archive:
        with pytest.raises(ResourceLimitError, match=r"'AndroidManifest.xml' declares .* exceeds the limit of 100"):
            archive.read(MANIFEST, max_bytes=100)
        assert archive.read(MANIFEST, max_bytes=archive.entry_size(MANIFEST)) == minimal_binary_manifest()


# --------------------------------------------------------------------------- inputs that open, with anomalies


def test_resource_only_apk_opens_with_an_anomaly(generated: Callable[[Generator], Path]) -> None:
    path = generated(make_apk_without_dex)
    with open_apk(path) as archive:
        assert archive.dex_names() == ()
        assert archive.read(MANIFEST).startswith(AXML_MAGIC)
        assert any("no classes.dex" in line for line in archive.anomalies)


def test_corrupt_dex_is_returned_as_bytes_for_the_dex_layer(generated: Callable[[Generator], Path]) -> None:
    with open_apk(generated(make_corrupt_dex)) as archive:
        assert archive.dex_names() == ("classes.dex",)
        assert archive.read("classes.dex").startswith(b"dex\n035\x00")
        assert archive.anomalies == ()


def test_path_traversal_names_are_anomalies_and_never_extracted(
    generated: Callable[[Generator], Path],
) -> None:
    path = generated(make_path_traversal)
    with open_apk(path) as archive:
        assert set(archive.names) >= {"../../evil.so", "/abs/evil", "lib\\..\\..\\evil.so"}
        assert archive.read("../../evil.so") == b"\x7fELF evil"
        anomalies = "\n".join(archive.anomalies)
    assert "'../../evil.so' has a path-traversal name" in anomalies
    assert "'/abs/evil' has an absolute path" in anomalies
    assert "'lib\\\\..\\\\..\\\\evil.so' contains backslashes" in anomalies
    assert not (path.parent.parent / "evil.so").exists()


def test_duplicate_names_resolve_to_the_first_copy(generated: Callable[[Generator], Path], tmp_path: Path) -> None:
    with open_apk(generated(make_duplicate_entries)) as archive:
        assert archive.names.count("classes.dex") == 1
        assert any("duplicate entry 'classes.dex' (2 copies)" in line for line in archive.anomalies)
    path = apk_with(tmp_path, ZipEntry("classes.dex", b"first"), ZipEntry("classes.dex", b"second"))
    with open_apk(path) as archive:
        assert archive.read("classes.dex") == b"first"
        assert archive.entry_size("classes.dex") == len(b"first")


def test_encrypted_entry_is_an_anomaly_and_unreadable(generated: Callable[[Generator], Path]) -> None:
    with open_apk(generated(make_encrypted_entry)) as archive:
        assert any("'classes.dex' is marked encrypted" in line for line in archive.anomalies)
        with pytest.raises(ArchiveError, match=r"'classes\.dex' is marked encrypted") as caught:
            archive.read("classes.dex")
    assert type(caught.value) is ArchiveError


def test_invalid_utf8_names_do_not_crash(generated: Callable[[Generator], Path]) -> None:
    with open_apk(generated(make_invalid_utf8_names)) as archive:
        flagged = next(name for name in archive.names if name.startswith("res/raw/"))
        unflagged = next(name for name in archive.names if name.startswith("assets/"))
        assert archive.read(flagged) == b"flagged"
        assert archive.read(unflagged) == b"unflagged"
        assert sum("is not valid UTF-8" in line for line in archive.anomalies) == 2


def test_bad_crc_is_an_archive_error_naming_the_entry(generated: Callable[[Generator], Path]) -> None:
    with (
        open_apk(generated(make_bad_crc)) as archive,
        pytest.raises(ArchiveError, match=r"'classes\.dex' fails its CRC-32 check") as caught,
    ):
        archive.read("classes.dex")
    assert type(caught.value) is ArchiveError


def test_corrupt_deflate_data_is_an_archive_error(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 16
    path = apk_with(tmp_path, ZipEntry("classes.dex", payload, deflate=True))
    data = bytearray(path.read_bytes())
    start = data.find(b"classes.dex") + len("classes.dex")  # first occurrence: the local header
    data[start : start + 16] = b"\xff" * 16
    path.write_bytes(data)
    with open_apk(path) as archive, pytest.raises(ArchiveError, match=r"'classes\.dex'") as caught:
        archive.read("classes.dex")
    assert type(caught.value) is ArchiveError


def test_local_header_that_renames_the_entry_is_refused(tmp_path: Path) -> None:
    path = apk_with(tmp_path, ZipEntry("classes.dex", b"dex\n035\x00"))
    data = path.read_bytes()
    first = data.find(b"classes.dex")
    path.write_bytes(data[:first] + b"classes.xyz" + data[first + len("classes.dex") :])
    with (
        open_apk(path) as archive,
        pytest.raises(ArchiveError, match=r"local header names it 'classes\.xyz'"),
    ):
        archive.read("classes.dex")


def test_data_after_the_archive_is_an_anomaly(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "trailing.apk", [ZipEntry(MANIFEST, minimal_binary_manifest())], trailing=b"JUNK")
    with open_apk(path) as archive:
        assert any("4 bytes of unexplained data after the end-of-central-directory" in x for x in archive.anomalies)
    data = path.read_bytes()[:-4]
    end = data.rfind(b"PK\x05\x06")
    path.write_bytes(data[:end] + b"HIDDEN" + data[end:])
    with open_apk(path) as archive:
        assert any("6 bytes of unexplained data after the central directory" in x for x in archive.anomalies)


def test_many_anomalies_of_one_kind_are_summarised(tmp_path: Path) -> None:
    path = apk_with(tmp_path, *(ZipEntry(f"../x{number}", b"") for number in range(100)))
    with open_apk(path) as archive:
        traversal = [line for line in archive.anomalies if "path-traversal" in line]
    assert len(traversal) == 21
    assert traversal[-1] == "... and 80 more path-traversal names"


def test_every_generated_input_ends_in_a_typed_error_or_a_clean_result(
    generated: Callable[[Generator], Path],
) -> None:
    for generator in GENERATORS:
        path = generated(generator)
        try:
            archive = open_apk(path)
        except AppauditError as exc:
            assert "\n" not in str(exc), generator.__name__
            continue
        with archive:
            for name in archive.names:
                try:
                    archive.read(name)
                except AppauditError as exc:
                    assert "\n" not in str(exc), generator.__name__
            for line in archive.anomalies:
                assert "\n" not in line and "\r" not in line, generator.__name__


# --------------------------------------------------------------------------- the interface


def test_dex_names_follow_the_multidex_loading_order(tmp_path: Path) -> None:
    dex = b"dex\n035\x00"
    contiguous = [ZipEntry(f"classes{number}.dex", dex) for number in (11, 10, 3, 2, 9, 4, 5, 6, 7, 8)]
    path = apk_with(tmp_path, ZipEntry("classes.dex", dex), *contiguous, ZipEntry("lib/classes12.dex", dex))
    with open_apk(path) as archive:
        assert archive.dex_names() == ("classes.dex", *(f"classes{number}.dex" for number in range(2, 12)))
        assert archive.anomalies == ()


def test_dex_files_after_a_gap_are_not_loaded_and_are_reported(tmp_path: Path) -> None:
    dex = b"dex\n035\x00"
    names = ["classes.dex", "classes2.dex", "classes4.dex", "classes1.dex", "classes02.dex"]
    path = apk_with(tmp_path, *(ZipEntry(name, dex) for name in names), name="gap.apk")
    with open_apk(path) as archive:
        assert archive.dex_names() == ("classes.dex", "classes2.dex")
        reported = [line for line in archive.anomalies if "is not loaded by Android" in line]
    assert len(reported) == 3
    for name in ("classes4.dex", "classes1.dex", "classes02.dex"):
        assert any(f"'{name}'" in line for line in reported)


def test_names_lookup_and_sizes(tmp_path: Path) -> None:
    path = apk_with(
        tmp_path,
        ZipEntry("lib/arm64-v8a/libfoo.so", b"\x7fELF"),
        ZipEntry("assets/lib/readme.txt", b"hi", deflate=True),
        ZipEntry("lib/x86/libfoo.so", b"\x7fELF"),
    )
    with open_apk(path) as archive:
        assert archive.names == (
            MANIFEST,
            "lib/arm64-v8a/libfoo.so",
            "assets/lib/readme.txt",
            "lib/x86/libfoo.so",
        )
        assert archive.names_under("lib/") == ("lib/arm64-v8a/libfoo.so", "lib/x86/libfoo.so")
        assert archive.has("assets/lib/readme.txt") and not archive.has("assets/lib")
        assert archive.entry_size("assets/lib/readme.txt") == 2
        assert archive.read("assets/lib/readme.txt") == b"hi"
        with pytest.raises(KeyError):
            archive.read("missing")
        with pytest.raises(KeyError):
            archive.entry_size("missing")


def test_identity_and_closing(generated: Callable[[Generator], Path]) -> None:
    path = generated(make_apk_without_dex)
    archive = open_apk(path)
    with archive:
        assert archive.path == path
        assert archive.size == path.stat().st_size
        assert archive.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="closed"):
        archive.read(MANIFEST)
    archive.close()  # idempotent


def test_zip64_extra_field_supplies_overflowed_sizes() -> None:
    extra = struct.pack("<HH", 0xCAFE, 2) + b"xx" + struct.pack("<HHQQ", 0x0001, 16, 5 << 32, 7 << 32)
    assert _apply_zip64_extra(Path("a.apk"), 0, extra, 0xFFFFFFFF, 0xFFFFFFFF, 10) == (7 << 32, 5 << 32, 10)
    with pytest.raises(ArchiveError, match="record #1 lacks its Zip64 sizes"):
        _apply_zip64_extra(Path("a.apk"), 0, b"", 10, 0xFFFFFFFF, 10)


def test_many_entries_open_in_linear_time_when_allowed(generated: Callable[[Generator], Path]) -> None:
    path = generated(make_many_entries)
    started = time.perf_counter()
    with open_apk(path, ArchiveLimits(max_entries=250_000)) as archive:
        elapsed = time.perf_counter() - started
        assert len(archive.names) == 200_001
        assert archive.read("res/raw/f199999") == b"x"
        assert [line for line in archive.anomalies if "no classes.dex" not in line] == []
    assert elapsed < 20, f"open_apk took {elapsed:.1f}s for 200,001 entries"


def test_default_limits_match_the_contract() -> None:
    assert (
        ArchiveLimits(
            max_entries=100_000,
            max_entry_bytes=256 * 1024 * 1024,
            max_total_bytes=2 * 1024**3,
            max_ratio=200.0,
            max_manifest_bytes=8 * 1024 * 1024,
        )
        == DEFAULT_LIMITS
    )


# --------------------------------------------------------------------------- real APKs


APKTOOL_MANIFEST = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.appaudit.archivetest">
    <application android:label="@string/app_name"/>
</manifest>
"""
APKTOOL_YML = """!!brut.androlib.meta.MetaInfo
apkFileName: archivetest.apk
isFrameworkApk: false
usesFramework:
  ids:
  - 1
sdkInfo:
  minSdkVersion: '21'
  targetSdkVersion: '30'
versionInfo:
  versionCode: '1'
  versionName: '1.0'
doNotCompress:
- resources.arsc
"""
APKTOOL_STRINGS = """<?xml version="1.0" encoding="utf-8"?>
<resources><string name="app_name">Archive test</string></resources>
"""
APKTOOL_SMALI = """.class public Lcom/appaudit/archivetest/Main;
.super Ljava/lang/Object;
.source "Main.java"
"""


@pytest.fixture(scope="session")
def apktool_apk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An APK built by Debian's apktool (offline) from a minimal project."""
    apktool = shutil.which("apktool")
    if apktool is None:
        pytest.skip("apktool is not installed (Debian: apt-get install apktool)")
    project = tmp_path_factory.mktemp("apktool") / "project"
    (project / "res" / "values").mkdir(parents=True)
    (project / "smali" / "com" / "appaudit" / "archivetest").mkdir(parents=True)
    (project / "AndroidManifest.xml").write_text(APKTOOL_MANIFEST)
    (project / "apktool.yml").write_text(APKTOOL_YML)
    (project / "res" / "values" / "strings.xml").write_text(APKTOOL_STRINGS)
    (project / "smali" / "com" / "appaudit" / "archivetest" / "Main.smali").write_text(APKTOOL_SMALI)
    output = project.parent / "archivetest.apk"
    result = subprocess.run(
        [apktool, "b", str(project), "-o", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0 or not output.exists():
        pytest.skip(f"apktool could not build the test APK: {(result.stderr or result.stdout)[-500:]}")
    return output


def test_apktool_built_apk(apktool_apk: Path) -> None:
    with open_apk(apktool_apk) as archive:
        assert archive.dex_names() == ("classes.dex",)
        assert archive.read(MANIFEST).startswith(AXML_MAGIC)
        assert archive.read("classes.dex").startswith(b"dex\n")
        assert archive.has("resources.arsc")
        for name in archive.names:
            archive.read(name)
        assert archive.anomalies == ()


@pytest.mark.parametrize("path", sorted(REPO_FIXTURES.glob("*/*.apk")), ids=lambda path: path.name)
def test_repository_fixture_apks_read_cleanly(path: Path) -> None:
    # Signed (v1-v3) and zip-aligned: an APK Signing Block sits before the central directory.
    with open_apk(path) as archive:
        assert archive.dex_names()
        for name in archive.names:
            archive.read(name)
        assert archive.anomalies == ()


def patch_end_record_count(path: Path, count: int) -> None:
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, count, count)
    path.write_bytes(data)
