"""Generators of hostile or broken APK-shaped files, shared by every test that opens an APK.

Each ``make_*`` function writes one file into ``directory`` and returns its path; its docstring names
the real attack or breakage it models. :data:`GENERATORS` lists them all, so a test can assert that
every one of them ends in a typed error or a clean result, never a traceback.

The zip container is written by hand (:func:`write_zip`), not with :mod:`zipfile`, because the point
is to write what a careful writer refuses to: sizes that lie, duplicate names, raw name bytes,
encryption flags, pre-compressed streams. Generation streams to disk and stays fast: the 1 GiB zip
bomb takes well under a second and about 1 MiB of disk, the 200,000-entry archive a second or two.
"""

from __future__ import annotations

import functools
import random
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "AndroidManifest.xml"

# --------------------------------------------------------------------------- binary manifest

_ANDROID_NS = "http://schemas.android.com/apk/res/android"
# android.R.attr ids of the attributes the minimal manifest sets
# (frameworks/base/core/res/res/values/public.xml).
_ATTRIBUTE_IDS = {
    "versionCode": 0x0101021B,
    "versionName": 0x0101021C,
    "minSdkVersion": 0x0101020C,
    "targetSdkVersion": 0x01010270,
    "label": 0x01010001,
}
_NO_INDEX = 0xFFFFFFFF
_TYPE_STRING = 0x03
_TYPE_INT_DEC = 0x10


def minimal_binary_manifest(package: str = "com.example.hostile") -> bytes:
    """A compiled (binary XML) AndroidManifest.xml, as aapt2 would emit for::

        <manifest xmlns:android="..." package="PACKAGE" android:versionCode="1" android:versionName="1.0">
            <uses-sdk android:minSdkVersion="21" android:targetSdkVersion="33"/>
            <application android:label="Hostile"/>
        </manifest>

    Generated rather than copied from a built APK so the hostile inputs need no Android tooling.
    """
    attribute_names = list(_ATTRIBUTE_IDS)  # first in the pool: the resource map runs parallel to it
    strings = [*attribute_names, "android", _ANDROID_NS, "package", "manifest", "1.0", package]
    strings += ["uses-sdk", "application", "Hostile"]
    index = {text: position for position, text in enumerate(strings)}
    prefix, uri = index["android"], index[_ANDROID_NS]

    def attribute(name: str, value: str | int) -> bytes:
        namespace = _NO_INDEX if name == "package" else uri
        if isinstance(value, int):
            return struct.pack("<IIIHBBI", namespace, index[name], _NO_INDEX, 8, 0, _TYPE_INT_DEC, value)
        return struct.pack("<IIIHBBI", namespace, index[name], index[value], 8, 0, _TYPE_STRING, index[value])

    def start(line: int, tag: str, *attributes: bytes) -> bytes:
        header = struct.pack("<HHIII", 0x0102, 16, 36 + 20 * len(attributes), line, _NO_INDEX)
        extension = struct.pack("<IIHHHHHH", _NO_INDEX, index[tag], 20, 20, len(attributes), 0, 0, 0)
        return header + extension + b"".join(attributes)

    def end(line: int, tag: str) -> bytes:
        return struct.pack("<HHIIIII", 0x0103, 16, 24, line, _NO_INDEX, _NO_INDEX, index[tag])

    body = b"".join(
        [
            _string_pool(strings),
            struct.pack(
                f"<HHI{len(attribute_names)}I",
                0x0180,
                8,
                8 + 4 * len(attribute_names),
                *_ATTRIBUTE_IDS.values(),
            ),
            struct.pack("<HHIIIII", 0x0100, 16, 24, 1, _NO_INDEX, prefix, uri),
            start(
                1,
                "manifest",
                attribute("versionCode", 1),
                attribute("versionName", "1.0"),
                attribute("package", package),
            ),
            start(2, "uses-sdk", attribute("minSdkVersion", 21), attribute("targetSdkVersion", 33)),
            end(2, "uses-sdk"),
            start(3, "application", attribute("label", "Hostile")),
            end(3, "application"),
            end(4, "manifest"),
            struct.pack("<HHIIIII", 0x0101, 16, 24, 4, _NO_INDEX, prefix, uri),
        ]
    )
    return struct.pack("<HHI", 0x0003, 8, 8 + len(body)) + body


def _string_pool(strings: list[str]) -> bytes:
    """A UTF-16 ResStringPool chunk (strings are short and in the BMP, so lengths fit one u16)."""
    encoded = [struct.pack("<H", len(text)) + text.encode("utf-16-le") + b"\0\0" for text in strings]
    offsets, position = [], 0
    for item in encoded:
        offsets.append(position)
        position += len(item)
    data = b"".join(encoded)
    data += b"\0" * (-len(data) % 4)
    strings_start = 28 + 4 * len(strings)
    header = struct.pack("<HHIIIIII", 0x0001, 28, strings_start + len(data), len(strings), 0, 0, strings_start, 0)
    return header + struct.pack(f"<{len(strings)}I", *offsets) + data


# --------------------------------------------------------------------------- zip writer


@dataclass(frozen=True)
class ZipEntry:
    """One entry for :func:`write_zip`. Every declared field may lie on purpose."""

    name: str | bytes  # bytes are written as is (no UTF-8 flag unless ``flags`` sets it)
    data: bytes = b""
    deflate: bool = False
    flags: int = 0  # general-purpose bits; 0x1 = encrypted, 0x800 = UTF-8 name
    # A pre-compressed raw deflate stream, produced lazily and written as is instead of ``data``.
    deflated_chunks: Callable[[], Iterable[bytes]] | None = None
    declared_size: int | None = None  # uncompressed size in the headers; default len(data)
    crc: int | None = None  # default crc32(data)


_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END_RECORD = struct.Struct("<4sHHHHIIH")
_ZIP64_END_RECORD = struct.Struct("<4sQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_DOS_DATE_2008_01_01 = ((2008 - 1980) << 9) | (1 << 5) | 1
_UTF8_FLAG = 0x800
_STORED, _DEFLATED = 0, 8


def write_zip(path: Path, entries: Iterable[ZipEntry], *, prefix: bytes = b"", trailing: bytes = b"") -> Path:
    """Write ``entries`` as a zip archive at ``path``, with ``prefix`` before it and ``trailing`` after.

    Offsets are absolute, so a ``prefix`` yields a polyglot that zip readers still accept. More than
    65,535 entries get Zip64 end records, as any zip writer must produce.
    """
    central: list[bytes] = []
    with path.open("wb") as out:
        out.write(prefix)
        position = len(prefix)
        for entry in entries:
            name = entry.name.encode("utf-8") if isinstance(entry.name, str) else entry.name
            flags = entry.flags
            if isinstance(entry.name, str) and not entry.name.isascii():
                flags |= _UTF8_FLAG
            method = _DEFLATED if entry.deflate or entry.deflated_chunks else _STORED
            crc = zlib.crc32(entry.data) if entry.crc is None else entry.crc
            size = len(entry.data) if entry.declared_size is None else entry.declared_size
            if entry.deflated_chunks is None:
                payload = zlib.compress(entry.data, 9, -15) if entry.deflate else entry.data
                compressed_size = len(payload)
            else:
                payload, compressed_size = b"", 0
            offset = position
            out.write(
                _LOCAL_HEADER.pack(
                    b"PK\x03\x04",
                    20,
                    flags,
                    method,
                    0,
                    _DOS_DATE_2008_01_01,
                    crc,
                    compressed_size,
                    size,
                    len(name),
                    0,
                )
            )
            out.write(name)
            out.write(payload)
            if entry.deflated_chunks is not None:
                for chunk in entry.deflated_chunks():
                    out.write(chunk)
                    compressed_size += len(chunk)
                out.seek(offset + 18)  # patch the compressed size into the local header
                out.write(struct.pack("<I", compressed_size))
                out.seek(0, 2)
            position = offset + _LOCAL_HEADER.size + len(name) + compressed_size
            central.append(
                _CENTRAL_HEADER.pack(
                    b"PK\x01\x02",
                    20,
                    20,
                    flags,
                    method,
                    0,
                    _DOS_DATE_2008_01_01,
                    crc,
                    compressed_size,
                    size,
                    len(name),
                    0,
                    0,
                    0,
                    0,
                    0o644 << 16,
                    offset,
                )
                + name
            )
        directory = b"".join(central)
        out.write(directory)
        count, directory_offset = len(central), position
        if count > 0xFFFF:
            out.write(
                _ZIP64_END_RECORD.pack(b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(directory), directory_offset)
            )
            out.write(_ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, directory_offset + len(directory), 1))
            count = 0xFFFF
        out.write(_END_RECORD.pack(b"PK\x05\x06", 0, 0, count, count, len(directory), directory_offset, 0))
        out.write(trailing)
    return path


# --------------------------------------------------------------------------- building blocks


def _manifest_entry() -> ZipEntry:
    return ZipEntry(MANIFEST, minimal_binary_manifest(), deflate=True)


def _fake_dex(seed: int, size: int = 4096) -> bytes:
    """DEX magic followed by deterministic noise: looks like a DEX to a magic sniffer, nothing more."""
    return b"dex\n035\x00" + random.Random(seed).randbytes(size - 8)


_GIB = 1 << 30
_MIB = 1 << 20


def _zero_run_deflated(size: int) -> Iterator[bytes]:
    """A raw deflate stream of ``size`` zero bytes (a multiple of 1 MiB), without compressing ``size`` bytes.

    Each 1 MiB block is compressed with a full flush, which resets the compressor's history, so
    every block after the first compresses to the same bytes and can simply be repeated.
    """
    megabytes = size // _MIB
    assert megabytes >= 3 and size % _MIB == 0
    block = bytes(_MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    middle = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(block) + compressor.flush(zlib.Z_FINISH)
    yield first
    for _ in range(megabytes - 2):
        yield middle
    yield last


@functools.cache
def _crc_of_zeros(size: int) -> int:
    block, crc = bytes(_MIB), 0
    for _ in range(size // _MIB):
        crc = zlib.crc32(block, crc)
    return crc


# --------------------------------------------------------------------------- generators


def make_non_zip(directory: Path) -> Path:
    """An HTML error page saved as ``app.apk``: what a failed or captive-portal download leaves behind."""
    path = directory / "non_zip.apk"
    path.write_bytes(b"<!DOCTYPE html>\n<html><body><h1>403 Forbidden</h1></body></html>\n")
    return path


def make_empty_file(directory: Path) -> Path:
    """A zero-byte APK: an interrupted ``adb pull``, a full disk, or a download that never started."""
    path = directory / "empty.apk"
    path.write_bytes(b"")
    return path


def make_truncated_zip(directory: Path) -> Path:
    """The first 60 % of a valid APK: an interrupted download or copy. The end record is gone."""
    path = directory / "truncated.apk"
    write_zip(path, [_manifest_entry(), ZipEntry("classes.dex", _fake_dex(1, 64 * 1024))])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 6 // 10])
    return path


def make_zip_bomb(directory: Path) -> Path:
    """An APK whose ``assets/bomb.bin`` honestly declares 1 GiB of zeros, stored in about 1 MiB.

    Models the classic decompression bomb (ratio ~1000:1) against any tool that inflates entries
    into memory or onto disk. The file is written by streaming a repeated deflate block, so
    generating it costs ~1 MiB of disk and no large allocation.
    """
    path = directory / "zip_bomb.apk"
    bomb = ZipEntry(
        "assets/bomb.bin",
        deflated_chunks=lambda: _zero_run_deflated(_GIB),
        declared_size=_GIB,
        crc=_crc_of_zeros(_GIB),
    )
    return write_zip(path, [_manifest_entry(), bomb])


def make_lying_zip_bomb(directory: Path) -> Path:
    """Like :func:`make_zip_bomb`, but the headers declare only 1 MiB for the 1 GiB stream.

    Models bombs aimed at readers that trust the declared size to pre-check (and so pass a size or
    ratio limit) but then inflate until the stream ends.
    """
    path = directory / "lying_zip_bomb.apk"
    bomb = ZipEntry(
        "assets/bomb.bin",
        deflated_chunks=lambda: _zero_run_deflated(_GIB),
        declared_size=_MIB,
        crc=_crc_of_zeros(_MIB),
    )
    return write_zip(path, [_manifest_entry(), bomb])


def make_ratio_bomb(directory: Path) -> Path:
    """An APK whose ``assets/ratio.bin`` is 64 MiB of zeros in ~64 KiB (ratio ~1000:1), declared honestly.

    Models a bomb sized to slip under a per-entry size cap: only a compression-ratio check catches it.
    """
    path = directory / "ratio_bomb.apk"
    size = 64 * _MIB
    entry = ZipEntry(
        "assets/ratio.bin",
        deflated_chunks=lambda: _zero_run_deflated(size),
        declared_size=size,
        crc=_crc_of_zeros(size),
    )
    return write_zip(path, [_manifest_entry(), entry])


def make_apk_without_manifest(directory: Path) -> Path:
    """An Android App Bundle passed where an APK was expected (its manifest is ``base/manifest/...``).

    The same shape as a plain JAR or AAR: a zip with code, but no top-level AndroidManifest.xml.
    """
    path = directory / "app_bundle.aab.apk"
    return write_zip(
        path,
        [
            ZipEntry("BundleConfig.pb", b"\x0a\x00"),
            ZipEntry("base/manifest/AndroidManifest.xml", minimal_binary_manifest(), deflate=True),
            ZipEntry("base/dex/classes.dex", _fake_dex(2)),
        ],
    )


def make_apk_without_dex(directory: Path) -> Path:
    """A resource-only APK (overlay, theme, or ``android:hasCode="false"``): a manifest and no DEX."""
    path = directory / "no_dex.apk"
    return write_zip(path, [_manifest_entry(), ZipEntry("res/values/strings.txt", b"hello", deflate=True)])


def make_corrupt_dex(directory: Path) -> Path:
    """An APK whose ``classes.dex`` has a valid magic and then garbage: bit rot, or an obfuscator's
    deliberately malformed DEX meant to crash static analysers while the device skips what it
    does not need."""
    path = directory / "corrupt_dex.apk"
    return write_zip(path, [_manifest_entry(), ZipEntry("classes.dex", _fake_dex(3), deflate=True)])


def make_path_traversal(directory: Path) -> Path:
    """Entries named ``../../evil.so``, ``/abs/evil`` and ``lib\\..\\..\\evil.so``: Zip Slip.

    Models archives that write outside the extraction directory when unpacked naively (Snyk's
    "Zip Slip", 2018), including the Windows-separator variant that only some tools interpret.
    """
    path = directory / "path_traversal.apk"
    return write_zip(
        path,
        [
            _manifest_entry(),
            ZipEntry("../../evil.so", b"\x7fELF evil"),
            ZipEntry("/abs/evil", b"evil"),
            ZipEntry("lib\\..\\..\\evil.so", b"\x7fELF evil"),
        ],
    )


def make_duplicate_entries(directory: Path) -> Path:
    """Two ``classes.dex`` entries with different content.

    Models the 2013 "Master Key" bug (Android bug 8219321): the signature verifier checked one copy
    while the loader ran the other. Same family as Janus (CVE-2017-13156, see
    :func:`make_dex_zip_polyglot`): two parsers disagreeing about one file.
    """
    path = directory / "duplicate_entries.apk"
    return write_zip(
        path,
        [
            _manifest_entry(),
            ZipEntry("classes.dex", _fake_dex(4)),
            ZipEntry("classes.dex", _fake_dex(5)),
        ],
    )


def make_many_entries(directory: Path, count: int = 200_000) -> Path:
    """An APK with ``count`` one-byte entries (plus the manifest), in a Zip64 archive.

    Models central-directory exhaustion: a small file (~20 MB here) that makes naive readers
    build hundreds of thousands of objects, or run quadratic duplicate checks.
    """
    path = directory / "many_entries.apk"
    entries = (ZipEntry(f"res/raw/f{number:06d}", b"x") for number in range(count))
    return write_zip(path, [_manifest_entry(), *entries])


def make_encrypted_entry(directory: Path) -> Path:
    """``classes.dex`` with the "encrypted" flag set over plain data: "fake encryption".

    A known anti-analysis trick: older Android ignored the flag, while analysis tools refused or
    crashed on the entry.
    """
    path = directory / "encrypted_entry.apk"
    return write_zip(path, [_manifest_entry(), ZipEntry("classes.dex", _fake_dex(6), flags=0x1)])


def make_invalid_utf8_names(directory: Path) -> Path:
    """Entry names that are not valid UTF-8, one flagged as UTF-8 and one not.

    Models names that tools decode differently (UTF-8, CP437, replacement characters), so two
    tools can disagree on what an entry is called; Android's own zip reader rejects them.
    """
    path = directory / "invalid_utf8_names.apk"
    return write_zip(
        path,
        [
            _manifest_entry(),
            ZipEntry(b"res/raw/\xff\xfe.bin", b"flagged", flags=_UTF8_FLAG),
            ZipEntry(b"assets/\x81\x8d\x90.bin", b"unflagged"),
        ],
    )


def make_bad_crc(directory: Path) -> Path:
    """``classes.dex`` whose CRC-32 does not match its data: bit rot, or content edited in place."""
    path = directory / "bad_crc.apk"
    dex = _fake_dex(7)
    return write_zip(path, [_manifest_entry(), ZipEntry("classes.dex", dex, deflate=True, crc=zlib.crc32(dex) ^ 1)])


def make_dex_zip_polyglot(directory: Path) -> Path:
    """A DEX file with an APK appended: the shape of a Janus attack (CVE-2017-13156).

    Android 5-8 ran such a file as DEX while verifying its v1 signature as an APK.
    """
    path = directory / "janus_polyglot.apk"
    return write_zip(path, [_manifest_entry(), ZipEntry("classes.dex", _fake_dex(8))], prefix=_fake_dex(9))


GENERATORS: tuple[Callable[[Path], Path], ...] = (
    make_non_zip,
    make_empty_file,
    make_truncated_zip,
    make_zip_bomb,
    make_lying_zip_bomb,
    make_ratio_bomb,
    make_apk_without_manifest,
    make_apk_without_dex,
    make_corrupt_dex,
    make_path_traversal,
    make_duplicate_entries,
    make_many_entries,
    make_encrypted_entry,
    make_invalid_utf8_names,
    make_bad_crc,
    make_dex_zip_polyglot,
)
