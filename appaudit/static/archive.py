"""Bounded, read-only access to the zip container of an APK.

The APK is hostile input, so this module parses the zip structures itself instead of using
:mod:`zipfile`, which (as of CPython 3.12) lets a duplicated name silently resolve to the *last*
copy, raises ``UnicodeDecodeError`` from its constructor for a name flagged UTF-8 that is not,
builds every central-directory record before anyone can check the entry count, and silently
truncates an entry that inflates past its declared size instead of reporting it. Here:

* the end record's entry count and directory size are checked against the limits before the
  central directory is read, and parsing is one linear pass;
* names are decoded as UTF-8 (as Android does), never fail to decode, and duplicates resolve to
  the first copy, with an anomaly;
* :meth:`ApkArchive.read` inflates into a buffer capped at the declared size (and the limits),
  and refuses a stream that produces more; CRC, truncation and header mismatches are errors;
* nothing is ever extracted to disk, and the file is never read whole into memory.

Only stored and deflated entries exist in APKs (Android reads no other method), so those are the
only two decoders. Problems that do not prevent reading the archive (traversal names,
duplicates, encrypted flags, suspicious ratios, no DEX...) are collected as one-line
:attr:`ApkArchive.anomalies` for the caller to report, not raised.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, NamedTuple, Self

from appaudit.errors import ArchiveError, InputError, ResourceLimitError

MANIFEST = "AndroidManifest.xml"
_BUNDLE_MANIFEST = "base/manifest/AndroidManifest.xml"
_PRIMARY_DEX = "classes.dex"

_MIB = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """Ceilings that keep a hostile archive from exhausting memory or time."""

    max_entries: int = 100_000
    max_entry_bytes: int = 256 * _MIB  # declared uncompressed size of any single entry we read
    max_total_bytes: int = 2 * 1024**3  # sum of declared sizes of the entries read from one archive
    max_ratio: float = 200.0  # uncompressed/compressed, checked for entries larger than 1 MiB
    max_manifest_bytes: int = 8 * _MIB


DEFAULT_LIMITS = ArchiveLimits()

# Zip structures (APPNOTE.TXT 4.3). Android's reader never spans disks and knows two methods.
_LOCAL_SIGNATURE = b"PK\x03\x04"
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_END_SIGNATURE = b"PK\x05\x06"
_ZIP64_END_SIGNATURE = b"PK\x06\x06"
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_DEX_MAGIC = b"dex\n"
_END_RECORD = struct.Struct("<4sHHHHIIH")
_ZIP64_END_RECORD = struct.Struct("<4sQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_CENTRAL_HEADER = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_ZIP64_EXTRA_ID = 0x0001
_MAX_COMMENT = 0xFFFF
_FLAG_ENCRYPTED = 0x0001
_FLAG_UTF8 = 0x0800
_STORED, _DEFLATED = 0, 8

# A central-directory record is 46 bytes plus name, extra field and comment; real ones average
# well under 200 bytes. Allowing 1 KiB per permitted entry bounds the directory we read.
_DIRECTORY_BYTES_PER_ENTRY = 1024
_RATIO_MIN_BYTES = _MIB  # ratios of small entries are noise (a 1 KiB run of spaces is 100:1)
_HASH_CHUNK = _MIB
_INFLATE_CHUNK = 64 * 1024
_DETAILED_PER_KIND = 20  # anomaly lines of one kind before the rest are summarised in one line
_SHOWN_NAME_CHARS = 120

_DEX_NAME = re.compile(r"classes(\d*)\.dex")
_SEPARATORS = re.compile(r"[/\\]")
_DRIVE = re.compile(r"[A-Za-z]:")
_ODD_NAME = re.compile(r"^[/\\]|^[A-Za-z]:|\.\.|\\|\x00")  # one search rules out every name check below


class _Entry(NamedTuple):  # a NamedTuple: 100,000 of them build several times faster than dataclasses
    name: str
    raw_name: bytes  # compared with the local header's copy
    flags: int
    method: int
    crc: int
    compressed_size: int
    size: int
    header_offset: int


class _Anomalies:
    """One-line anomaly messages, at most a few per kind so 200,000 odd names stay readable."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._counts: Counter[str] = Counter()

    def add(self, kind: str, line: str) -> None:
        self._counts[kind] += 1
        if self._counts[kind] <= _DETAILED_PER_KIND:
            self._lines.append(line)

    def lines(self) -> tuple[str, ...]:
        summaries = [
            f"... and {count - _DETAILED_PER_KIND:,} more {kind}"
            for kind, count in self._counts.items()
            if count > _DETAILED_PER_KIND
        ]
        return (*self._lines, *summaries)


def _show(name: str) -> str:
    """A name quoted for a one-line message: control characters escaped, long names shortened."""
    if len(name) > _SHOWN_NAME_CHARS:
        return repr(name[:_SHOWN_NAME_CHARS]) + "..."
    return repr(name)


def _size(count: int) -> str:
    return f"{count:,} bytes"


class ApkArchive:
    """An open APK: entry names, declared sizes and bounded reads. Build it with :func:`open_apk`.

    Holds one open file handle until :meth:`close` (or the end of a ``with`` block). Not safe to
    share between threads: reads seek the shared handle.
    """

    def __init__(
        self,
        path: Path,
        handle: BinaryIO,
        sha256: str,
        size: int,
        entries: dict[str, _Entry],
        names: tuple[str, ...],
        data_end: int,
        anomalies: _Anomalies,
        refused: set[str],
        limits: ArchiveLimits,
    ) -> None:
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.names = names
        self._handle = handle
        self._entries = entries
        self._data_end = data_end  # entry data must end before the central directory
        self._anomalies = anomalies
        self._limits = limits
        self._bytes_read = 0
        self._unreadable = refused  # names already reported as not readable
        self._dex_names = _loaded_dex_names(entries)

    # ------------------------------------------------------------------ public interface

    @property
    def anomalies(self) -> tuple[str, ...]:
        """Structural oddities, one line each. Grows when :meth:`read` refuses an entry."""
        return self._anomalies.lines()

    def has(self, name: str) -> bool:
        return name in self._entries

    def entry_size(self, name: str) -> int:
        """Declared uncompressed size of ``name``. KeyError if there is no such entry."""
        return self._entries[name].size

    def read(self, name: str, max_bytes: int | None = None) -> bytes:
        """The whole content of ``name``, never more than ``min(max_bytes, limits.max_entry_bytes)``.

        KeyError if there is no such entry (check :meth:`has` first). ResourceLimitError when the
        entry is (or turns out to be) over a limit; ArchiveError when it is encrypted, corrupt or
        truncated. Either way the message names the entry and the entry is added to
        :attr:`anomalies`.
        """
        entry = self._entries[name]
        if self._handle.closed:
            raise ValueError(f"{self.path}: archive is closed")
        cap = self._limits.max_entry_bytes if max_bytes is None else min(max_bytes, self._limits.max_entry_bytes)
        try:
            try:
                return self._read_entry(entry, cap)
            except OSError as exc:
                raise ArchiveError(f"{self.path}: entry {_show(name)}: cannot read: {exc.strerror or exc}") from None
        except ArchiveError as exc:
            if name not in self._unreadable:
                self._unreadable.add(name)
                reason = str(exc).removeprefix(f"{self.path}: ")
                self._anomalies.add("entries that could not be read", f"{reason} (not read)")
            raise

    def dex_names(self) -> tuple[str, ...]:
        """The DEX files Android loads, in load order: classes.dex, classes2.dex, ... up to the first gap."""
        return self._dex_names

    def names_under(self, prefix: str) -> tuple[str, ...]:
        """Entry names starting with ``prefix`` (pass ``"lib/"``, not ``"lib"``), in directory order."""
        return tuple(name for name in self.names if name.startswith(prefix))

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ApkArchive({str(self.path)!r}, {len(self.names)} entries)"

    # ------------------------------------------------------------------ reading one entry

    def _read_entry(self, entry: _Entry, cap: int) -> bytes:
        label = f"{self.path}: entry {_show(entry.name)}"
        refusal = _refusal(entry, cap, self._limits)
        if refusal is not None:
            error_type, reason = refusal
            raise error_type(f"{label} {reason}")
        if self._bytes_read + entry.size > self._limits.max_total_bytes:
            raise ResourceLimitError(
                f"{label} declares {_size(entry.size)}; reading it exceeds the total of "
                f"{_size(self._limits.max_total_bytes)} read from one archive (overlapping-entry zip bomb?)"
            )
        self._bytes_read += entry.size
        data_offset = self._locate_data(entry, label)
        if data_offset + entry.compressed_size > self._data_end:
            raise ArchiveError(f"{label}: its data runs past the end of the entries: truncated or corrupt archive")
        self._handle.seek(data_offset)
        if entry.method == _STORED:
            data = self._handle.read(entry.compressed_size)
            if len(data) != entry.compressed_size:
                raise ArchiveError(f"{label}: data is truncated")
        else:
            data = _inflate(self._handle, entry.compressed_size, entry.size, label)
        if zlib.crc32(data) != entry.crc:
            raise ArchiveError(f"{label} fails its CRC-32 check: corrupt or modified after packaging")
        return data

    def _locate_data(self, entry: _Entry, label: str) -> int:
        """Offset of the entry's data, after checking its local header agrees with the directory."""
        if entry.header_offset + _LOCAL_HEADER.size > self._data_end:
            raise ArchiveError(f"{label}: local header offset {entry.header_offset:,} is outside the entry area")
        self._handle.seek(entry.header_offset)
        header = self._handle.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
            raise ArchiveError(f"{label}: no local file header at offset {entry.header_offset:,}: corrupt archive")
        name_length, extra_length = struct.unpack_from("<HH", header, 26)
        local_name = self._handle.read(name_length)
        if local_name != entry.raw_name:
            # Android refuses this too: a reader that trusts the local header sees a different file.
            raise ArchiveError(
                f"{label}: its local header names it {_show(local_name.decode('utf-8', 'replace'))}: "
                "central directory and local header disagree"
            )
        return entry.header_offset + _LOCAL_HEADER.size + name_length + extra_length


def _refusal(entry: _Entry, cap: int, limits: ArchiveLimits) -> tuple[type[ArchiveError], str] | None:
    """Why ``entry`` must not be read, judged from its declared fields alone; None if it may be."""
    if entry.flags & _FLAG_ENCRYPTED:
        return (
            ArchiveError,
            "is marked encrypted (flag bit 0; fake encryption is a known anti-analysis trick)",
        )
    if entry.method not in (_STORED, _DEFLATED):
        return ArchiveError, f"uses compression method {entry.method}, which Android cannot read"
    if entry.size > cap:
        return ResourceLimitError, (
            f"declares {_size(entry.size)} uncompressed, which exceeds the limit of {_size(cap)} (possible zip bomb)"
        )
    if entry.size > _RATIO_MIN_BYTES and entry.size > limits.max_ratio * max(entry.compressed_size, 1):
        ratio = entry.size / max(entry.compressed_size, 1)
        return ResourceLimitError, (
            f"declares {_size(entry.size)} from {_size(entry.compressed_size)} compressed, a ratio of "
            f"{ratio:,.0f}:1 that exceeds the limit of {limits.max_ratio:,.0f}:1 (zip bomb)"
        )
    return None


def _inflate(handle: BinaryIO, compressed_size: int, size: int, label: str) -> bytes:
    """Inflate a raw deflate stream into at most ``size`` bytes, refusing a stream that yields more."""
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    out = bytearray()
    remaining = compressed_size
    pending = b""
    try:
        while not decompressor.eof:
            if not pending:
                if remaining == 0:
                    break
                pending = handle.read(min(_INFLATE_CHUNK, remaining))
                if not pending:
                    raise ArchiveError(f"{label}: compressed data is truncated")
                remaining -= len(pending)
            # One byte more than declared is enough to prove the size is a lie.
            out += decompressor.decompress(pending, size - len(out) + 1)
            if len(out) > size:
                raise ResourceLimitError(
                    f"{label} inflates beyond its declared size of {_size(size)} (zip bomb lying about its size)"
                )
            pending = decompressor.unconsumed_tail
    except zlib.error as exc:
        raise ArchiveError(f"{label}: corrupt deflate data ({exc})") from None
    if not decompressor.eof:
        raise ArchiveError(f"{label}: deflate stream ends early: truncated or corrupt")
    if len(out) != size:
        raise ArchiveError(f"{label} inflates to {_size(len(out))} but declares {_size(size)}")
    return bytes(out)


def _loaded_dex_names(entries: dict[str, _Entry]) -> tuple[str, ...]:
    # ART opens classes.dex, then classes2.dex, classes3.dex, ... and stops at the first missing one.
    if _PRIMARY_DEX not in entries:
        return ()
    loaded = [_PRIMARY_DEX]
    while f"classes{len(loaded) + 1}.dex" in entries:
        loaded.append(f"classes{len(loaded) + 1}.dex")
    return tuple(loaded)


# --------------------------------------------------------------------------- opening


def open_apk(path: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> ApkArchive:
    """Open ``path`` as an APK, checking its container; close the result (or use ``with``).

    Raises InputError when the file cannot be used at all (missing, a directory, empty,
    unreadable) and ArchiveError when it is not a readable APK (not a zip, truncated or corrupt
    central directory, too many entries, no AndroidManifest.xml); ResourceLimitError, a kind of
    ArchiveError, when the manifest is over its limit. Everything else becomes an anomaly.
    """
    path = Path(path)
    handle = _open_regular_file(path)
    try:
        return _parse(path, handle, limits)
    except BaseException:
        handle.close()
        raise


def _open_regular_file(path: Path) -> BinaryIO:
    # O_NONBLOCK: opening a FIFO must not hang waiting for a writer; it is rejected just below.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not an APK file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise InputError(f"{path}: is {kind}, not an APK file")
    if hasattr(os, "set_blocking"):
        os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb")


def _parse(path: Path, handle: BinaryIO, limits: ArchiveLimits) -> ApkArchive:
    size = os.fstat(handle.fileno()).st_size
    if size == 0:
        raise InputError(f"{path}: is empty (0 bytes)")
    try:
        head = handle.read(4)
        _check_magic(path, head)
        sha256 = _hash(handle)
        anomalies = _Anomalies()
        directory_offset, directory_size, declared_count = _find_central_directory(path, handle, size, anomalies)
        _check_directory_limits(path, directory_size, declared_count, limits)
        entries, names, refused = _read_central_directory(
            path, handle, directory_offset, directory_size, declared_count, limits, anomalies
        )
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    _check_manifest(path, entries, limits)
    _note_code(entries, anomalies)
    return ApkArchive(path, handle, sha256, size, entries, names, directory_offset, anomalies, refused, limits)


def _check_magic(path: Path, head: bytes) -> None:
    if head in (_LOCAL_SIGNATURE, _END_SIGNATURE):  # an empty zip starts with its end record
        return
    if head.startswith(_DEX_MAGIC):
        raise ArchiveError(
            f"{path}: starts with a DEX header, not a zip header: a bare .dex file, or a DEX/APK "
            "polyglot (Janus, CVE-2017-13156)"
        )
    raise ArchiveError(f"{path}: not a zip archive (starts with {head!r}), so not an APK")


def _hash(handle: BinaryIO) -> str:
    handle.seek(0)
    digest = hashlib.sha256()
    while chunk := handle.read(_HASH_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _find_central_directory(path: Path, handle: BinaryIO, size: int, anomalies: _Anomalies) -> tuple[int, int, int]:
    """(offset, size, declared entry count) of the central directory, from the (Zip64) end record."""
    tail_length = min(size, _END_RECORD.size + _MAX_COMMENT)
    tail_start = size - tail_length
    handle.seek(tail_start)
    tail = handle.read(tail_length)
    # Like Android, take the last signature whose record and comment fit in the file.
    position = tail.rfind(_END_SIGNATURE)
    while position >= 0:
        if position + _END_RECORD.size <= len(tail):
            record = _END_RECORD.unpack_from(tail, position)
            if position + _END_RECORD.size + record[7] <= len(tail):
                break
        position = tail.rfind(_END_SIGNATURE, 0, position)
    if position < 0:
        raise ArchiveError(f"{path}: no end-of-central-directory record: the file is truncated or not a zip archive")
    _, disk, directory_disk, _, count, directory_size, directory_offset, comment_length = record
    end_offset = tail_start + position
    directory_limit = end_offset  # the central directory must end before this
    after_end = len(tail) - (position + _END_RECORD.size + comment_length)
    if after_end:
        anomalies.add(
            "structural anomalies",
            f"{_size(after_end)} of unexplained data after the end-of-central-directory record",
        )

    if end_offset >= _ZIP64_LOCATOR.size:
        handle.seek(end_offset - _ZIP64_LOCATOR.size)
        locator = handle.read(_ZIP64_LOCATOR.size)
        if locator[:4] == _ZIP64_LOCATOR_SIGNATURE:
            _, _, zip64_offset, _ = _ZIP64_LOCATOR.unpack(locator)
            if zip64_offset + _ZIP64_END_RECORD.size > end_offset - _ZIP64_LOCATOR.size:
                raise ArchiveError(f"{path}: corrupt Zip64 end record locator (offset {zip64_offset:,})")
            handle.seek(zip64_offset)
            zip64 = handle.read(_ZIP64_END_RECORD.size)
            if zip64[:4] != _ZIP64_END_SIGNATURE:
                raise ArchiveError(f"{path}: Zip64 end record missing at offset {zip64_offset:,}: corrupt archive")
            (_, _, _, _, disk, directory_disk, _, count, directory_size, directory_offset) = _ZIP64_END_RECORD.unpack(
                zip64
            )
            directory_limit = zip64_offset

    if disk != 0 or directory_disk != 0:
        raise ArchiveError(f"{path}: is a multi-disk (spanned) zip archive, which Android cannot read")
    if directory_offset + directory_size > directory_limit:
        raise ArchiveError(
            f"{path}: the central directory (offset {directory_offset:,}, {_size(directory_size)}) runs past "
            "the end record: truncated or corrupt archive"
        )
    gap = directory_limit - (directory_offset + directory_size)
    if gap:
        anomalies.add("structural anomalies", f"{_size(gap)} of unexplained data after the central directory")
    return directory_offset, directory_size, count


def _check_directory_limits(path: Path, directory_size: int, declared_count: int, limits: ArchiveLimits) -> None:
    if declared_count > limits.max_entries:
        raise ArchiveError(
            f"{path}: too many entries: the archive declares {declared_count:,}, more than the limit of "
            f"{limits.max_entries:,}"
        )
    max_directory = limits.max_entries * _DIRECTORY_BYTES_PER_ENTRY
    if directory_size > max_directory:
        raise ArchiveError(
            f"{path}: the central directory is {_size(directory_size)}, more than the limit of "
            f"{_size(max_directory)} for {limits.max_entries:,} entries"
        )


def _read_central_directory(
    path: Path,
    handle: BinaryIO,
    directory_offset: int,
    directory_size: int,
    declared_count: int,
    limits: ArchiveLimits,
    anomalies: _Anomalies,
) -> tuple[dict[str, _Entry], tuple[str, ...], set[str]]:
    """Entries by name (first copy wins), names in directory order, and names refused up front."""
    handle.seek(directory_offset)
    directory = handle.read(directory_size)  # bounded by _check_directory_limits and the file size
    if len(directory) != directory_size:
        raise ArchiveError(f"{path}: the central directory is truncated")
    entries: dict[str, _Entry] = {}
    names: list[str] = []
    duplicates: Counter[str] = Counter()
    owner_of_offset: dict[int, str] = {}
    refused: set[str] = set()
    position = index = 0
    while position + _CENTRAL_HEADER.size <= directory_size:
        if index == limits.max_entries:
            raise ArchiveError(
                f"{path}: too many entries: the central directory holds more than the limit of {limits.max_entries:,}"
            )
        (
            signature,
            _,
            _,
            flags,
            method,
            _,
            _,
            crc,
            compressed_size,
            size,
            name_length,
            extra_length,
            comment_length,
            _,
            _,
            _,
            header_offset,
        ) = _CENTRAL_HEADER.unpack_from(directory, position)
        if signature != _CENTRAL_SIGNATURE:
            raise ArchiveError(f"{path}: corrupt central directory: record #{index + 1} has no valid signature")
        name_start = position + _CENTRAL_HEADER.size
        position = name_start + name_length + extra_length + comment_length
        if position > directory_size:
            raise ArchiveError(f"{path}: corrupt central directory: record #{index + 1} runs past its end")
        raw_name = directory[name_start : name_start + name_length]
        if 0xFFFFFFFF in (compressed_size, size, header_offset):
            extra = directory[name_start + name_length : name_start + name_length + extra_length]
            compressed_size, size, header_offset = _apply_zip64_extra(
                path, index, extra, compressed_size, size, header_offset
            )
        name = _decode_name(raw_name, flags, anomalies)
        index += 1
        entry = _Entry(name, raw_name, flags, method, crc, compressed_size, size, header_offset)
        if name in entries:
            duplicates[name] += 1
            continue
        entries[name] = entry
        names.append(name)
        if not _note_entry(entry, directory_offset, limits, anomalies):
            refused.add(name)
        shared_with = owner_of_offset.setdefault(header_offset, name)
        if shared_with != name:
            anomalies.add(
                "entries sharing data",
                f"entry {_show(name)} shares its data with {_show(shared_with)} (overlapping entries, as in "
                "non-recursive zip bombs)",
            )
    if position != directory_size:
        anomalies.add(
            "structural anomalies",
            f"{_size(directory_size - position)} of stray data at the end of the central directory",
        )
    if index != declared_count:
        anomalies.add(
            "structural anomalies",
            f"the end record declares {declared_count:,} entries but the central directory holds {index:,}",
        )
    for name, extra_copies in duplicates.items():
        anomalies.add(
            "duplicated names",
            f"duplicate entry {_show(name)} ({extra_copies + 1} copies): appaudit reads the first; tools "
            "disagree on which copy counts, a signature-bypass trick (Android bug 8219321, 'Master Key')",
        )
    return entries, tuple(names), refused


def _apply_zip64_extra(
    path: Path, index: int, extra: bytes, compressed_size: int, size: int, header_offset: int
) -> tuple[int, int, int]:
    """Replace the 0xFFFFFFFF placeholders with the 64-bit values of the Zip64 extra field."""
    position = 0
    while position + 4 <= len(extra):
        field_id, field_length = struct.unpack_from("<HH", extra, position)
        body = extra[position + 4 : position + 4 + field_length]
        position += 4 + field_length
        if field_id != _ZIP64_EXTRA_ID:
            continue
        values = iter(struct.unpack_from(f"<{len(body) // 8}Q", body))
        try:
            # APPNOTE 4.5.3: only the fields that overflowed are present, in this order.
            if size == 0xFFFFFFFF:
                size = next(values)
            if compressed_size == 0xFFFFFFFF:
                compressed_size = next(values)
            if header_offset == 0xFFFFFFFF:
                header_offset = next(values)
        except StopIteration:
            break
        return compressed_size, size, header_offset
    raise ArchiveError(f"{path}: corrupt central directory: record #{index + 1} lacks its Zip64 sizes")


def _decode_name(raw_name: bytes, flags: int, anomalies: _Anomalies) -> str:
    # Android treats every name as UTF-8 whatever the flag says (and rejects invalid ones).
    try:
        return raw_name.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if flags & _FLAG_UTF8:
        name, shown_as = raw_name.decode("utf-8", "replace"), "with replacement characters"
    else:
        name, shown_as = raw_name.decode("cp437"), "decoded as CP437"
    anomalies.add(
        "names that are not valid UTF-8",
        f"entry name {raw_name!r} is not valid UTF-8 (shown {shown_as}); Android rejects such archives",
    )
    return name


def _note_entry(entry: _Entry, directory_offset: int, limits: ArchiveLimits, anomalies: _Anomalies) -> bool:
    """Record the entry's anomalies; False if it can never be read under ``limits``."""
    name = entry.name
    if _ODD_NAME.search(name):
        _note_name(name, anomalies)
    if entry.header_offset >= directory_offset:
        anomalies.add(
            "misplaced entries",
            f"entry {_show(name)} points past the entry area (offset {entry.header_offset:,})",
        )
    could_be_refused = (
        entry.flags & _FLAG_ENCRYPTED
        or entry.method not in (_STORED, _DEFLATED)
        or entry.size > min(_RATIO_MIN_BYTES, limits.max_entry_bytes)
    )
    refusal = _refusal(entry, limits.max_entry_bytes, limits) if could_be_refused else None
    if refusal is not None:
        anomalies.add("entries over limits or unreadable", f"entry {_show(name)} {refusal[1]} (not read)")
        return False
    return True


def _note_name(name: str, anomalies: _Anomalies) -> None:
    parts = _SEPARATORS.split(name)
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        anomalies.add("absolute names", f"entry {_show(name)} has an absolute path")
    if ".." in parts:
        anomalies.add("path-traversal names", f"entry {_show(name)} has a path-traversal name ('..' component)")
    if "\\" in name:
        anomalies.add(
            "names with backslashes",
            f"entry {_show(name)} contains backslashes, a path separator to some tools",
        )
    if "\0" in name:
        anomalies.add("names with NUL bytes", f"entry {_show(name)} contains a NUL byte")


def _check_manifest(path: Path, entries: dict[str, _Entry], limits: ArchiveLimits) -> None:
    manifest = entries.get(MANIFEST)
    if manifest is None:
        hint = ""
        if _BUNDLE_MANIFEST in entries:
            hint = " (it looks like an Android App Bundle; build APKs from it with bundletool)"
        raise ArchiveError(f"{path}: contains no {MANIFEST}: not an APK{hint}")
    if manifest.size > limits.max_manifest_bytes:
        raise ResourceLimitError(
            f"{path}: {MANIFEST} declares {_size(manifest.size)}, which exceeds the manifest limit of "
            f"{_size(limits.max_manifest_bytes)}"
        )


def _note_code(entries: dict[str, _Entry], anomalies: _Anomalies) -> None:
    loaded = set(_loaded_dex_names(entries))
    if not loaded:
        anomalies.add(
            "code anomalies",
            "no classes.dex: the APK carries no code that Android loads (resource-only, or code fetched at runtime)",
        )
    for name in entries:
        if _DEX_NAME.fullmatch(name) and name not in loaded:
            anomalies.add(
                "code anomalies",
                f"{_show(name)} is not loaded by Android: multidex loading stops at the first missing "
                "classesN.dex (code hidden from the loader, or loaded by hand at runtime)",
            )
