"""Recognise an obvious consent check that guards a call.

A call at offset X in method M is *guarded* when all of the following hold:

1. a conditional branch ``if-eqz``/``if-nez`` on register r ends a basic block G of M;
2. r was last written, in straight-line code before the branch, by a *consent read*:
   ``move-result`` of a call whose method name or constant string argument names consent
   (e.g. ``SharedPreferences.getBoolean("privacy_agreed", false)``, ``isPrivacyAgreed()``),
   or an ``sget-boolean``/``iget-boolean`` of a field whose name names consent;
3. G dominates X's block (every path from the method entry to X passes the branch), and
4. X cannot be reached from the branch's "not agreed" successor without passing G again
   (the branch decides; the flag's polarity is read from the opcode).

Names with a negation or a "first run" meaning (``needShowPrivacy``, ``isFirstLaunch``,
``notAgreed``) are not recognised, because their polarity cannot be told from the name. The
check is deliberately narrow: a guard it misses is reported as unguarded (the call is still a
finding), never the other way round.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from appaudit.errors import DexFormatError
from appaudit.evidence.model import ConsentGuard, MethodRef
from appaudit.static.dex.instructions import Block, Instruction, basic_blocks, decode_method, reachable_blocks
from appaudit.static.dex.reader import DexImage

CONSENT_WORDS = re.compile(
    r"agree|consent|privacy|accept|protocol|policy|authori[sz]|gdpr|permit|allow|同意|隐私|授权|协议",
    re.IGNORECASE,
)
NEGATED_WORDS = re.compile(r"not|need|show|first|refuse|reject|deny|disagree|unagree|never|pending", re.IGNORECASE)

IF_EQZ = 0x38
IF_NEZ = 0x39
MOVE_RESULT = 0x0A
CONST_STRING = 0x1A
CONST_STRING_JUMBO = 0x1B
SGET_BOOLEAN = 0x63
IGET_BOOLEAN = 0x55


def names_consent(text: str) -> bool:
    return bool(CONSENT_WORDS.search(text)) and not NEGATED_WORDS.search(text)


@dataclass(frozen=True)
class _Read:
    description: str
    recognised_by: str


class GuardFinder:
    """Decodes a method once and answers 'is the call at offset X guarded?'."""

    def __init__(self, dex: DexImage, code_off: int, method: MethodRef) -> None:
        self.dex = dex
        self.method = method
        try:
            self.insns = decode_method(dex, code_off)
        except (DexFormatError, IndexError):
            self.insns = []
        self.blocks = basic_blocks(self.insns)
        self.block_of_insn: list[int] = [0] * len(self.insns)
        for b, block in enumerate(self.blocks):
            for i in range(block.start, block.end):
                self.block_of_insn[i] = b
        self.pos_of_offset = {ins.offset: i for i, ins in enumerate(self.insns)}
        self._candidates = self._find_candidates()

    def _consent_read(self, at: int, reg: int) -> _Read | None:
        """What last wrote ``reg`` before instruction ``at``, if it is a consent read."""
        for i in range(at - 1, max(-1, at - 64), -1):
            ins = self.insns[i]
            if ins.op == MOVE_RESULT and ins.regs[0] == reg:
                return self._describe_call(i - 1) if i > 0 else None
            if ins.op in (SGET_BOOLEAN, IGET_BOOLEAN) and ins.regs[0] == reg:
                name = self.dex.field_name(ins.index) if ins.index is not None else ""
                if names_consent(name):
                    return _Read(f"field {name}", f"boolean field read whose name ('{name}') names consent")
                return None
            if ins.regs and ins.regs[0] == reg and ins.op not in (0x6E, 0x6F, 0x70, 0x71, 0x72):
                return None  # overwritten by something else
        return None

    def _describe_call(self, i: int) -> _Read | None:
        ins = self.insns[i]
        if ins.index is None or not (0x6E <= ins.op <= 0x78):
            return None
        cls, name, _proto = self.dex.method_key(ins.index)
        keys = self._const_args(i, ins.regs)
        short_cls = cls.rsplit("/", 1)[-1].rstrip(";")
        for key in keys:
            if names_consent(key):
                return _Read(
                    f'{short_cls}.{name}("{key}")',
                    f"result of {short_cls}.{name} called with the constant key '{key}', which names consent",
                )
        if names_consent(name) and not keys:
            return _Read(f"{short_cls}.{name}()", f"result of a method whose name ('{name}') names consent")
        return None

    def _const_args(self, call: int, regs: tuple[int, ...]) -> list[str]:
        found: dict[int, str] = {}
        wanted = set(regs)
        for i in range(call - 1, max(-1, call - 16), -1):
            ins = self.insns[i]
            if ins.op in (CONST_STRING, CONST_STRING_JUMBO) and ins.regs[0] in wanted and ins.regs[0] not in found:
                with contextlib.suppress(DexFormatError):
                    found[ins.regs[0]] = self.dex.string(ins.index) if ins.index is not None else ""
        return list(found.values())

    def _find_candidates(self) -> list[tuple[int, _Read]]:
        out = []
        for i, ins in enumerate(self.insns):
            if ins.op in (IF_EQZ, IF_NEZ):
                read = self._consent_read(i, ins.regs[0])
                if read is not None:
                    out.append((i, read))
        return out

    def guard_for(self, call_offset: int) -> ConsentGuard | None:
        if not self._candidates:
            return None
        call = self.pos_of_offset.get(call_offset)
        if call is None:
            return None
        target_block = self.block_of_insn[call]
        for i, read in self._candidates:
            ins: Instruction = self.insns[i]
            g = self.block_of_insn[i]
            if g == target_block or target_block in reachable_blocks(self.blocks, 0, removed=g):
                continue  # G does not dominate the call
            refused = self._refused_successor(ins, g)
            if refused is None:
                continue
            if target_block in reachable_blocks(self.blocks, refused, removed=g):
                continue  # the call also runs when consent is missing
            return ConsentGuard(
                method=self.method,
                branch_offset=ins.offset,
                condition=read.description,
                recognised_by=(
                    f"{read.recognised_by}; the {'if-eqz' if ins.op == IF_EQZ else 'if-nez'} at code unit "
                    f"{ins.offset} dominates the call and the call is unreachable when the value is false"
                ),
            )
        return None

    def _refused_successor(self, ins: Instruction, g: int) -> int | None:
        """The block that runs when the consent value is false."""
        block: Block = self.blocks[g]
        target = next((b for b, blk in enumerate(self.blocks) if self.insns[blk.start].offset == ins.targets[0]), None)
        fallthrough = g + 1 if block.end < len(self.insns) else None
        if target is None or fallthrough is None:
            return None
        return target if ins.op == IF_EQZ else fallthrough
