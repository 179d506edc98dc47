"""One linear pass over a DEX's bytecode that keeps only what the audit needs.

For every method with code it records the methods it invokes (as method_ids of its own DEX) with
the code-unit offset of each invoke, and — only for indices the caller asks about — the
const-strings it loads, the fields it reads and the classes it instantiates. Nothing else is kept:
no instruction objects, no basic blocks. This is what makes the scan linear in time and small in
memory; methods that need more (consent-guard recognition) are decoded again one by one.

A failure in one method or class costs only that method or class and is recorded.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Collection
from dataclasses import dataclass, field

from appaudit.errors import DexFormatError
from appaudit.evidence.model import PartError
from appaudit.static.dex.opcodes import FORMAT, WIDTH_UNITS, payload_units
from appaudit.static.dex.reader import ClassDef, DexImage

MAX_RECORDED_ERRORS = 50

# Per-opcode action in the hot loop: 0 skip, 1 invoke (method_idx at +2), 2 const-string,
# 3 const-string/jumbo, 4 field read (field_idx at +2), 5 new-instance (always recorded), 6 nop/payload,
# 7 invalid.
_ACTION = bytearray(256)
for _op in [*range(0x6E, 0x73), *range(0x74, 0x79), 0xFA, 0xFB]:
    _ACTION[_op] = 1
_ACTION[0x1A] = 2
_ACTION[0x1B] = 3
for _op in [*range(0x52, 0x59), *range(0x60, 0x67)]:
    _ACTION[_op] = 4
_ACTION[0x22] = 5
_ACTION[0x00] = 6
for _op in range(256):
    if FORMAT[_op] is None:
        _ACTION[_op] = 7
_WIDTH_BYTES = bytes(2 * w for w in WIDTH_UNITS)
_INSNS_SIZE = struct.Struct("<I")


@dataclass(frozen=True, slots=True)
class Interest:
    """Indices (in one DEX) whose uses the pass must record."""

    strings: Collection[int] = frozenset()
    fields: Collection[int] = frozenset()


@dataclass
class CodeIndex:
    """The invoke graph and recorded uses of one DEX, indexed by 'local method' number."""

    dex: DexImage
    method_idx: array = field(default_factory=lambda: array("I"))  # local → method_id
    class_def_of: array = field(default_factory=lambda: array("I"))  # local → class_def index
    access: array = field(default_factory=lambda: array("I"))
    code_off: array = field(default_factory=lambda: array("I"))
    edge_start: array = field(default_factory=lambda: array("I", [0]))  # local → first edge
    callees: array = field(default_factory=lambda: array("I"))  # edge → method_id invoked
    call_offsets: array = field(default_factory=lambda: array("I"))  # edge → code-unit offset
    local_of_method: dict[int, int] = field(default_factory=dict)  # method_id → local (defined here)
    strings_used: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # local → [(string, off)]
    fields_read: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    new_start: array = field(default_factory=lambda: array("I", [0]))  # local → first new-instance record
    new_types: array = field(default_factory=lambda: array("I"))  # record → type idx instantiated
    new_offsets: array = field(default_factory=lambda: array("I"))  # record → code-unit offset
    class_defs: list[ClassDef] = field(default_factory=list)
    errors: list[PartError] = field(default_factory=list)
    error_count: int = 0
    instructions_scanned: int = 0

    @property
    def method_total(self) -> int:
        return len(self.method_idx)

    def edges_of(self, local: int) -> range:
        return range(self.edge_start[local], self.edge_start[local + 1])

    def instantiations_of(self, local: int) -> range:
        return range(self.new_start[local], self.new_start[local + 1])

    def record_error(self, scope: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_RECORDED_ERRORS:
            self.errors.append(PartError(scope=f"{self.dex.name}:{scope}", message=message))


def build_code_index(
    dex: DexImage,
    interest: Interest,
    *,
    class_defs: list[ClassDef] | None = None,
) -> CodeIndex:
    """Scan every method body of ``dex`` once (``class_defs``: the already-read class table)."""
    index = CodeIndex(dex=dex)
    method_idx_append = index.method_idx.append
    class_def_append = index.class_def_of.append
    access_append = index.access.append
    code_off_append = index.code_off.append
    edge_start_append = index.edge_start.append
    local_of_method = index.local_of_method
    callees = index.callees
    new_types = index.new_types
    new_start_append = index.new_start.append
    local = 0
    for ci in range(dex.class_def_count):
        try:
            cdef = class_defs[ci] if class_defs is not None else dex.class_def(ci)
            methods = dex.class_method_tuples(cdef.class_data_off)
        except (DexFormatError, IndexError, ValueError) as exc:
            index.record_error(f"class_def[{ci}]", f"class skipped: {exc}")
            continue
        index.class_defs.append(cdef)
        class_pos = len(index.class_defs) - 1
        for method_idx, access, code_off in methods:
            method_idx_append(method_idx)
            class_def_append(class_pos)
            access_append(access)
            code_off_append(code_off)
            if method_idx not in local_of_method:
                local_of_method[method_idx] = local
            if code_off:
                try:
                    _scan_method(dex, index, local, code_off, interest)
                except (DexFormatError, IndexError, struct.error) as exc:
                    index.record_error(_method_scope(dex, method_idx), f"method body skipped: {exc}")
                    # keep edges found before the failure: they are real instructions
            edge_start_append(len(callees))
            new_start_append(len(new_types))
            local += 1
    return index


def _method_scope(dex: DexImage, method_idx: int) -> str:
    try:
        cls, name, proto = dex.method_key(method_idx)
        return f"{cls}->{name}{proto}"
    except DexFormatError:
        return f"method[{method_idx}]"


def _scan_method(dex: DexImage, index: CodeIndex, local: int, code_off: int, interest: Interest) -> None:
    data = dex.data
    insns_size = _INSNS_SIZE.unpack_from(data, code_off + 12)[0]
    start = code_off + 16
    end = start + 2 * insns_size
    if end > len(data):
        raise DexFormatError(f"{dex.name}: code_item at 0x{code_off:x} runs past the end of the file")
    p = start
    action = _ACTION
    width = _WIDTH_BYTES
    callees_append = index.callees.append
    offsets_append = index.call_offsets.append
    want_strings = interest.strings
    want_fields = interest.fields
    new_types_append = index.new_types.append
    new_offsets_append = index.new_offsets.append
    type_count = len(dex.type_string_idx)
    method_count = dex.method_count
    count = 0
    while p < end:
        op = data[p]
        act = action[op]
        if act:
            if act == 1:
                m = data[p + 2] | (data[p + 3] << 8)
                if m >= method_count:
                    raise DexFormatError(f"invoke at code unit {(p - start) >> 1} names method {m} out of range")
                callees_append(m)
                offsets_append((p - start) >> 1)
            elif act == 6:
                if data[p + 1]:
                    p += 2 * payload_units(data, p)
                    continue
            elif act == 2:
                if want_strings:
                    s = data[p + 2] | (data[p + 3] << 8)
                    if s in want_strings:
                        index.strings_used.setdefault(local, []).append((s, (p - start) >> 1))
            elif act == 4:
                if want_fields:
                    f = data[p + 2] | (data[p + 3] << 8)
                    if f in want_fields:
                        index.fields_read.setdefault(local, []).append((f, (p - start) >> 1))
            elif act == 5:
                t = data[p + 2] | (data[p + 3] << 8)
                if t >= type_count:
                    where = (p - start) >> 1
                    raise DexFormatError(f"new-instance at code unit {where} names type {t} out of range")
                new_types_append(t)
                new_offsets_append((p - start) >> 1)
            elif act == 3:
                if want_strings:
                    s = int.from_bytes(data[p + 2 : p + 6], "little")
                    if s in want_strings:
                        index.strings_used.setdefault(local, []).append((s, (p - start) >> 1))
            else:
                raise DexFormatError(f"invalid opcode 0x{op:02x} at code unit {(p - start) >> 1}")
        p += width[op]
        count += 1
    index.instructions_scanned += count
    if p != end:
        raise DexFormatError("last instruction runs past the end of the method")
