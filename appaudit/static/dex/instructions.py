"""Full decoding of one method body, for the few methods whose control flow matters.

Used for consent-guard recognition on start-up chains: registers, reference indices and
branch targets of every instruction, and the basic blocks they form.
"""

from __future__ import annotations

from dataclasses import dataclass

from appaudit.errors import DexFormatError
from appaudit.static.dex.opcodes import (
    FORMAT,
    GOTO_OPS,
    IF_OPS,
    RETURN_OPS,
    SWITCH_OPS,
    WIDTH_UNITS,
    payload_units,
)
from appaudit.static.dex.reader import DexImage


@dataclass(frozen=True, slots=True)
class Instruction:
    offset: int  # code units from the start of the method
    op: int
    regs: tuple[int, ...]  # registers in format order (vA, vB, ... or the /range span)
    index: int | None  # string/type/field/method index for *c formats
    targets: tuple[int, ...]  # branch targets (code-unit offsets)
    literal: int | None = None


def _s8(b: int) -> int:
    return b - 256 if b > 127 else b


def _s16(v: int) -> int:
    return v - 65536 if v > 32767 else v


def _s32(v: int) -> int:
    return v - (1 << 32) if v >= (1 << 31) else v


def decode_method(dex: DexImage, code_off: int) -> list[Instruction]:
    """Decode every instruction of the method whose code item is at ``code_off``."""
    item = dex.code_item(code_off)
    data = dex.data
    start = item.insns_off
    end = start + 2 * item.insns_size
    out: list[Instruction] = []
    p = start
    while p < end:
        op = data[p]
        fmt = FORMAT[op]
        off = (p - start) >> 1
        if op == 0 and data[p + 1]:
            p += 2 * payload_units(data, p)
            continue
        if fmt is None:
            raise DexFormatError(f"invalid opcode 0x{op:02x} at code unit {off}")
        hi = data[p + 1]

        def u16(at: int, p: int = p) -> int:
            return data[p + at] | (data[p + at + 1] << 8)

        regs: tuple[int, ...] = ()
        index: int | None = None
        targets: tuple[int, ...] = ()
        literal: int | None = None
        if fmt in ("12x",):
            regs = (hi & 0xF, hi >> 4)
        elif fmt == "11x":
            regs = (hi,)
        elif fmt == "11n":
            regs = (hi & 0xF,)
            literal = ((hi >> 4) ^ 8) - 8
        elif fmt == "10t":
            targets = (off + _s8(hi),)
        elif fmt == "20t":
            targets = (off + _s16(u16(2)),)
        elif fmt == "30t":
            targets = (off + _s32(u16(2) | (u16(4) << 16)),)
        elif fmt == "22x":
            regs = (hi, u16(2))
        elif fmt == "32x":
            regs = (u16(2), u16(4))
        elif fmt == "21t":
            regs = (hi,)
            targets = (off + _s16(u16(2)),)
        elif fmt in ("21s", "21h"):
            regs = (hi,)
            literal = _s16(u16(2))
        elif fmt == "21c":
            regs = (hi,)
            index = u16(2)
        elif fmt == "23x":
            regs = (hi, data[p + 2], data[p + 3])
        elif fmt == "22b":
            regs = (hi, data[p + 2])
            literal = _s8(data[p + 3])
        elif fmt == "22t":
            regs = (hi & 0xF, hi >> 4)
            targets = (off + _s16(u16(2)),)
        elif fmt == "22s":
            regs = (hi & 0xF, hi >> 4)
            literal = _s16(u16(2))
        elif fmt == "22c":
            regs = (hi & 0xF, hi >> 4)
            index = u16(2)
        elif fmt in ("31i", "31c"):
            regs = (hi,)
            value = u16(2) | (u16(4) << 16)
            if fmt == "31c":
                index = value
            else:
                literal = _s32(value)
        elif fmt == "31t":
            regs = (hi,)
            payload = off + _s32(u16(2) | (u16(4) << 16))
            if op in SWITCH_OPS:
                targets = _switch_targets(data, start, off, payload)
        elif fmt in ("35c", "45cc"):
            count = hi >> 4
            packed = u16(4)
            all_regs = (
                packed & 0xF,
                (packed >> 4) & 0xF,
                (packed >> 8) & 0xF,
                (packed >> 12) & 0xF,
                hi & 0xF,
            )
            regs = all_regs[:count]
            index = u16(2)
        elif fmt in ("3rc", "4rcc"):
            first = u16(4)
            regs = tuple(range(first, first + hi))
            index = u16(2)
        elif fmt == "51l":
            regs = (hi,)
        out.append(Instruction(off, op, regs, index, targets, literal))
        p += 2 * WIDTH_UNITS[op]
    if p != end:
        raise DexFormatError("last instruction runs past the end of the method")
    return out


def _switch_targets(data: bytes, start: int, base: int, payload_off: int) -> tuple[int, ...]:
    pos = start + 2 * payload_off
    ident = data[pos] | (data[pos + 1] << 8)
    size = data[pos + 2] | (data[pos + 3] << 8)
    if ident == 0x0100:
        first = pos + 8
    elif ident == 0x0200:
        first = pos + 4 + 4 * size
    else:
        raise DexFormatError(f"switch at {base} points to a payload of unknown kind 0x{ident:04x}")
    return tuple(base + _s32(int.from_bytes(data[first + 4 * i : first + 4 * i + 4], "little")) for i in range(size))


@dataclass(frozen=True, slots=True)
class Block:
    start: int  # index into the instruction list
    end: int  # exclusive
    successors: tuple[int, ...]  # block numbers


def basic_blocks(insns: list[Instruction]) -> list[Block]:
    """Split a decoded method into basic blocks (exception edges are not modelled)."""
    if not insns:
        return []
    pos_of = {ins.offset: i for i, ins in enumerate(insns)}
    leaders = {0}
    for i, ins in enumerate(insns):
        if ins.op in IF_OPS or ins.op in GOTO_OPS or ins.op in SWITCH_OPS or ins.op in RETURN_OPS:
            if i + 1 < len(insns):
                leaders.add(i + 1)
            for t in ins.targets:
                if t in pos_of:
                    leaders.add(pos_of[t])
    starts = sorted(leaders)
    block_of = {s: b for b, s in enumerate(starts)}
    blocks: list[Block] = []
    for b, s in enumerate(starts):
        e = starts[b + 1] if b + 1 < len(starts) else len(insns)
        last = insns[e - 1]
        succ: list[int] = []
        if last.op in GOTO_OPS:
            succ = [block_of[pos_of[t]] for t in last.targets if t in pos_of]
        elif last.op in RETURN_OPS:
            succ = []
        else:
            succ = [block_of[pos_of[t]] for t in last.targets if t in pos_of]
            if e < len(insns):
                succ.append(block_of[e])
        blocks.append(Block(s, e, tuple(dict.fromkeys(succ))))
    return blocks


def reachable_blocks(blocks: list[Block], start: int, *, removed: int | None = None) -> set[int]:
    """Blocks reachable from ``start`` without passing through block ``removed``."""
    seen: set[int] = set()
    stack = [start]
    while stack:
        b = stack.pop()
        if b in seen or b == removed:
            continue
        seen.add(b)
        stack.extend(blocks[b].successors)
    return seen
