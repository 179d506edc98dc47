"""A small, bounds-checked reader for the DEX tables appaudit needs.

Why not androguard's ``DEX``: it materialises every class, method and instruction as Python
objects, which costs ~100 MB per MB of DEX in a full analysis. appaudit only needs the string,
type, proto, field and method tables, the class definitions and raw code-item bytes; this
reader keeps the file as one ``bytes`` object and decodes table entries on demand.

Every offset read from the file is checked against the file size; a violation raises
:class:`~appaudit.errors.DexFormatError` naming what was being read.
"""

from __future__ import annotations

import struct
import sys
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

from appaudit.errors import DexFormatError

HEADER_SIZE = 0x70
NO_INDEX = 0xFFFFFFFF
ACC_INTERFACE = 0x200
ACC_ABSTRACT = 0x400
ACC_NATIVE = 0x100

_HEADER = struct.Struct("<8s I 20s I I I I I I I I I I I I I I I I I I I I")


@dataclass(frozen=True, slots=True)
class ClassDef:
    index: int
    class_idx: int
    access_flags: int
    superclass_idx: int  # NO_INDEX for java.lang.Object
    interfaces: tuple[int, ...]
    class_data_off: int


@dataclass(frozen=True, slots=True)
class EncodedMethod:
    method_idx: int
    access_flags: int
    code_off: int  # 0 for abstract/native methods


@dataclass(frozen=True, slots=True)
class CodeItem:
    registers: int
    ins: int
    outs: int
    tries: int
    insns_off: int  # byte offset of the first code unit in the file
    insns_size: int  # in 16-bit code units


def _u32_array(data: bytes, off: int, count: int) -> array:
    arr = array("I")
    arr.frombytes(data[off : off + 4 * count])
    if sys.byteorder != "little":
        arr.byteswap()
    return arr


def _u16_array(data: bytes, off: int, count: int) -> array:
    arr = array("H")
    arr.frombytes(data[off : off + 2 * count])
    if sys.byteorder != "little":
        arr.byteswap()
    return arr


def read_uleb128(data: bytes, off: int) -> tuple[int, int]:
    """Decode an unsigned LEB128 at ``off``; return (value, next offset)."""
    result = 0
    shift = 0
    for i in range(5):
        try:
            b = data[off + i]
        except IndexError:
            raise DexFormatError(f"uleb128 runs past the end of the file at 0x{off:x}") from None
        result |= (b & 0x7F) << shift
        if b < 0x80:
            if result > 0xFFFFFFFF:
                raise DexFormatError(f"uleb128 at 0x{off:x} exceeds 32 bits")
            return result, off + i + 1
        shift += 7
    raise DexFormatError(f"uleb128 longer than 5 bytes at 0x{off:x}")


def decode_mutf8(raw: bytes) -> str:
    """Decode DEX 'modified UTF-8' (NUL as C0 80, supplementary characters as surrogate pairs)."""
    if raw.isascii():
        return raw.decode("ascii")
    raw = raw.replace(b"\xc0\x80", b"\x00")
    try:
        text = raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:  # corrupt or hostile bytes: keep what is readable, mark the rest
        return raw.decode("utf-8", "replace")
    try:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _class_slice(raw: array, count: int, class_idx: int) -> range:
    """The run of 4×u16 records (class_idx first) in ``raw`` whose class is ``class_idx``."""
    lo, hi = 0, count
    while lo < hi:
        mid = (lo + hi) // 2
        if raw[4 * mid] < class_idx:
            lo = mid + 1
        else:
            hi = mid
    start, hi = lo, count
    while lo < hi:
        mid = (lo + hi) // 2
        if raw[4 * mid] <= class_idx:
            lo = mid + 1
        else:
            hi = mid
    return range(start, lo)


class DexImage:
    """One parsed DEX file. Tables are decoded lazily and cached."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self.data = data
        size = len(data)
        if size < HEADER_SIZE:
            raise DexFormatError(f"{name}: {size} bytes is too small for a DEX header")
        magic = data[:8]
        if magic[:4] != b"dex\n" or magic[7] != 0:
            raise DexFormatError(f"{name}: bad DEX magic {magic[:8]!r}")
        (
            _magic,
            _checksum,
            _sig,
            self.declared_size,
            header_size,
            endian_tag,
            _link_size,
            _link_off,
            _map_off,
            string_ids_size,
            string_ids_off,
            type_ids_size,
            type_ids_off,
            proto_ids_size,
            proto_ids_off,
            field_ids_size,
            field_ids_off,
            method_ids_size,
            method_ids_off,
            class_defs_size,
            class_defs_off,
            _data_size,
            _data_off,
        ) = _HEADER.unpack_from(data, 0)
        if endian_tag != 0x12345678:
            raise DexFormatError(f"{name}: unsupported endian tag 0x{endian_tag:x}")
        if header_size < HEADER_SIZE:
            raise DexFormatError(f"{name}: header size {header_size} is smaller than 0x70")
        self.version = magic[4:7].decode("ascii", "replace")

        def section(what: str, off: int, count: int, item: int) -> None:
            if count and (off <= 0 or off + count * item > size):
                raise DexFormatError(f"{name}: {what} table (0x{off:x} + {count}×{item}) lies outside the file")

        section("string_ids", string_ids_off, string_ids_size, 4)
        section("type_ids", type_ids_off, type_ids_size, 4)
        section("proto_ids", proto_ids_off, proto_ids_size, 12)
        section("field_ids", field_ids_off, field_ids_size, 8)
        section("method_ids", method_ids_off, method_ids_size, 8)
        section("class_defs", class_defs_off, class_defs_size, 32)

        self.string_offsets = _u32_array(data, string_ids_off, string_ids_size)
        self.type_string_idx = _u32_array(data, type_ids_off, type_ids_size)
        self._proto_off = proto_ids_off
        self.proto_count = proto_ids_size
        # field_ids / method_ids: u16 class_idx, u16 type/proto idx, u32 name idx
        self._field_raw = _u16_array(data, field_ids_off, field_ids_size * 4)
        self._method_raw = _u16_array(data, method_ids_off, method_ids_size * 4)
        self.field_count = field_ids_size
        self.method_count = method_ids_size
        self._class_defs_off = class_defs_off
        self.class_def_count = class_defs_size
        self.string = lru_cache(maxsize=65536)(self._string)
        self.proto_descriptor = lru_cache(maxsize=16384)(self._proto_descriptor)

    # ------------------------------------------------------------------ strings and types
    def _string_bytes(self, idx: int) -> bytes:
        if not 0 <= idx < len(self.string_offsets):
            raise DexFormatError(f"{self.name}: string index {idx} out of range")
        off = self.string_offsets[idx]
        _utf16_len, start = read_uleb128(self.data, off)
        end = self.data.find(b"\x00", start)
        if end < 0:
            raise DexFormatError(f"{self.name}: string {idx} is not NUL-terminated")
        return self.data[start:end]

    def _string(self, idx: int) -> str:
        return decode_mutf8(self._string_bytes(idx))

    def type_name(self, type_idx: int) -> str:
        if not 0 <= type_idx < len(self.type_string_idx):
            raise DexFormatError(f"{self.name}: type index {type_idx} out of range")
        return self.string(self.type_string_idx[type_idx])

    def find_string(self, value: str) -> int | None:
        """Binary-search the (sorted) string table for ``value``."""
        lo, hi = 0, len(self.string_offsets)
        key = value.encode("utf-16-be", "surrogatepass")  # DEX sorts by UTF-16 code units
        while lo < hi:
            mid = (lo + hi) // 2
            probe = self.string(mid).encode("utf-16-be", "surrogatepass")
            if probe < key:
                lo = mid + 1
            elif probe > key:
                hi = mid
            else:
                return mid
        return None

    def find_type(self, descriptor: str) -> int | None:
        sidx = self.find_string(descriptor)
        if sidx is None:
            return None
        pos = bisect_left(self.type_string_idx, sidx)
        if pos < len(self.type_string_idx) and self.type_string_idx[pos] == sidx:
            return pos
        return None

    # ------------------------------------------------------------------ protos, fields, methods
    def _type_list(self, off: int) -> tuple[int, ...]:
        if off == 0:
            return ()
        if off + 4 > len(self.data):
            raise DexFormatError(f"{self.name}: type_list at 0x{off:x} lies outside the file")
        (count,) = struct.unpack_from("<I", self.data, off)
        if off + 4 + 2 * count > len(self.data):
            raise DexFormatError(f"{self.name}: type_list at 0x{off:x} runs past the end of the file")
        return struct.unpack_from(f"<{count}H", self.data, off + 4)

    def _proto_descriptor(self, proto_idx: int) -> str:
        if not 0 <= proto_idx < self.proto_count:
            raise DexFormatError(f"{self.name}: proto index {proto_idx} out of range")
        _shorty, return_idx, params_off = struct.unpack_from("<III", self.data, self._proto_off + 12 * proto_idx)
        params = "".join(self.type_name(t) for t in self._type_list(params_off))
        return f"({params}){self.type_name(return_idx)}"

    def method_class_idx(self, method_idx: int) -> int:
        return self._method_raw[4 * method_idx]

    def method_name_idx(self, method_idx: int) -> int:
        raw = self._method_raw
        return raw[4 * method_idx + 2] | (raw[4 * method_idx + 3] << 16)

    def method_proto_idx(self, method_idx: int) -> int:
        return self._method_raw[4 * method_idx + 1]

    def method_name(self, method_idx: int) -> str:
        return self.string(self.method_name_idx(method_idx))

    def method_key(self, method_idx: int) -> tuple[str, str, str]:
        """(class descriptor, name, proto descriptor) of a method reference."""
        if not 0 <= method_idx < self.method_count:
            raise DexFormatError(f"{self.name}: method index {method_idx} out of range")
        return (
            self.type_name(self.method_class_idx(method_idx)),
            self.method_name(method_idx),
            self.proto_descriptor(self.method_proto_idx(method_idx)),
        )

    def method_range_for_class(self, class_idx: int) -> range:
        """Indices of method_ids whose class is ``class_idx`` (method_ids are sorted by class)."""
        return _class_slice(self._method_raw, self.method_count, class_idx)

    def field_class_idx(self, field_idx: int) -> int:
        return self._field_raw[4 * field_idx]

    def field_type_idx(self, field_idx: int) -> int:
        return self._field_raw[4 * field_idx + 1]

    def field_name(self, field_idx: int) -> str:
        raw = self._field_raw
        return self.string(raw[4 * field_idx + 2] | (raw[4 * field_idx + 3] << 16))

    def field_range_for_class(self, class_idx: int) -> range:
        """Indices of field_ids whose class is ``class_idx`` (field_ids are sorted by class)."""
        return _class_slice(self._field_raw, self.field_count, class_idx)

    # ------------------------------------------------------------------ classes and code
    def class_def(self, index: int) -> ClassDef:
        off = self._class_defs_off + 32 * index
        class_idx, access, super_idx, interfaces_off, _src, _ann, data_off, _static = struct.unpack_from(
            "<8I", self.data, off
        )
        return ClassDef(index, class_idx, access, super_idx, self._type_list(interfaces_off), data_off)

    def class_defs(self) -> list[ClassDef]:
        return [self.class_def(i) for i in range(self.class_def_count)]

    def class_descriptors(self) -> list[str]:
        """Class names from the class_defs table only: no code is decoded."""
        out = []
        base = self._class_defs_off
        for i in range(self.class_def_count):
            (class_idx,) = struct.unpack_from("<I", self.data, base + 32 * i)
            out.append(self.type_name(class_idx))
        return out

    def class_methods(self, cdef: ClassDef) -> list[EncodedMethod]:
        """Direct and virtual methods declared by a class (from its class_data_item)."""
        return [EncodedMethod(*m) for m in self.class_method_tuples(cdef.class_data_off)]

    def class_method_tuples(self, class_data_off: int) -> list[tuple[int, int, int]]:
        """(method_idx, access_flags, code_off) for each method of a class_data_item; the hot path."""
        if class_data_off == 0:
            return []
        data = self.data
        off = class_data_off
        static_fields, off = read_uleb128(data, off)
        instance_fields, off = read_uleb128(data, off)
        direct, off = read_uleb128(data, off)
        virtual, off = read_uleb128(data, off)
        if static_fields + instance_fields + direct + virtual > len(data):
            raise DexFormatError(f"{self.name}: class_data at 0x{class_data_off:x} declares impossible sizes")
        for _ in range(2 * (static_fields + instance_fields)):
            if data[off] < 0x80:
                off += 1
            else:
                _, off = read_uleb128(data, off)
        methods: list[tuple[int, int, int]] = []
        limit = self.method_count
        for count in (direct, virtual):
            idx = 0
            for _ in range(count):
                b = data[off]
                if b < 0x80:
                    diff = b
                    off += 1
                else:
                    diff, off = read_uleb128(data, off)
                access, off = read_uleb128(data, off)
                b = data[off]
                if b < 0x80:
                    code_off = b
                    off += 1
                else:
                    code_off, off = read_uleb128(data, off)
                idx += diff
                if idx >= limit:
                    raise DexFormatError(f"{self.name}: class_data refers to method {idx} out of range")
                methods.append((idx, access, code_off))
        return methods

    def code_item(self, code_off: int) -> CodeItem:
        if code_off + 16 > len(self.data):
            raise DexFormatError(f"{self.name}: code_item at 0x{code_off:x} lies outside the file")
        registers, ins, outs, tries, _debug, insns_size = struct.unpack_from("<HHHHII", self.data, code_off)
        insns_off = code_off + 16
        if insns_off + 2 * insns_size > len(self.data):
            raise DexFormatError(f"{self.name}: code_item at 0x{code_off:x} runs past the end of the file")
        return CodeItem(registers, ins, outs, tries, insns_off, insns_size)
