"""Load every DEX of an APK into a :class:`Program` and find sensitive call sites.

A DEX that cannot be read costs only itself; a class or method that cannot be decoded costs
only that class or method. Every such failure is returned as a :class:`PartError`.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from appaudit.errors import ArchiveError, DexFormatError
from appaudit.evidence.model import ApiCallSite, DexFile, MethodRef, PartError
from appaudit.knowledge.sdk_db import SdkDatabase
from appaudit.knowledge.sensitive_apis import SensitiveApi
from appaudit.static.archive import ApkArchive
from appaudit.static.dex.code_index import build_code_index
from appaudit.static.dex.program import Program
from appaudit.static.dex.reader import DexImage
from appaudit.static.targets import DexTargets, async_task_classes, targets_for


@dataclass
class CodeScan:
    program: Program
    targets: list[DexTargets]
    dex_files: list[DexFile] = field(default_factory=list)
    errors: list[PartError] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)  # every class defined, smali descriptors
    instructions: int = 0


def load_program(archive: ApkArchive, apis: tuple[SensitiveApi, ...], sdk_db: SdkDatabase) -> CodeScan:
    """Read the class tables of every DEX, then scan their bytecode once."""
    images: list[DexImage] = []
    scan = CodeScan(program=Program(dexes=images), targets=[])
    class_tables: dict[str, list] = {}
    for name in archive.dex_names():
        try:
            data = archive.read(name)
        except ArchiveError as exc:
            scan.errors.append(PartError(name, str(exc)))
            continue
        sha = hashlib.sha256(data).hexdigest()
        try:
            dex = DexImage(name, data)
            class_defs = dex.class_defs()
        except (DexFormatError, IndexError, ValueError) as exc:
            scan.errors.append(PartError(name, f"DEX unreadable, its code is not analysed: {exc}"))
            scan.dex_files.append(DexFile(name, len(data), sha))
            continue
        images.append(dex)
        class_tables[name] = class_defs
        scan.program.add_classes(len(images) - 1, class_defs)
        scan.dex_files.append(DexFile(name, len(data), sha, dex.class_def_count, dex.method_count))
    async_classes = async_task_classes(scan.program)
    indexes = []
    for dex in images:
        targets = targets_for(dex, apis, sdk_db, async_classes)
        scan.targets.append(targets)
        index = build_code_index(dex, targets.interest(), class_defs=class_tables[dex.name])
        indexes.append(index)
        scan.errors.extend(index.errors)
        if index.error_count > len(index.errors):
            scan.errors.append(
                PartError(dex.name, f"{index.error_count - len(index.errors)} further decoding errors not listed")
            )
        scan.instructions += index.instructions_scanned
    scan.program.seal(indexes)
    scan.class_names = list(scan.program.classes)
    return scan


def call_sites(scan: CodeScan, sdk_db: SdkDatabase) -> tuple[ApiCallSite, ...]:
    """Every use of a catalogued sensitive API anywhere in the app's code."""
    program = scan.program
    owner_cache: dict[str, str | None] = {}

    def owner(cls: str) -> str | None:
        if cls not in owner_cache:
            entry = sdk_db.owner_of_class(cls)
            owner_cache[cls] = entry.id if entry else None
        return owner_cache[cls]

    sites: list[ApiCallSite] = []
    for d, (dex, ci, t) in enumerate(zip(program.dexes, program.indexes, scan.targets, strict=True)):

        def caller(local: int, _d: int = d) -> MethodRef:
            return MethodRef(*program.node_key(program.node(_d, local)))

        def add(api: SensitiveApi, local: int, ref: str, off: int, arg: str | None, _dex: DexImage = dex) -> None:
            who = caller(local)
            sites.append(ApiCallSite(api.id, ref, api.pi_types, who, _dex.name, off, owner(who.class_name), arg))

        if t.methods:
            wanted = t.methods
            starts = ci.edge_start
            for e, midx in enumerate(ci.callees):
                apis = wanted.get(midx)
                if not apis:
                    continue
                local = bisect_right(starts, e) - 1  # last method whose first edge is <= e
                here = {t.string_values.get(s) for s, _ in ci.strings_used.get(local, ())}
                ref = f"{dex.type_name(dex.method_class_idx(midx))}->{dex.method_name(midx)}"
                for api in apis:
                    arg = next((v for v in api.required_strings if v in here), None)
                    if api.required_strings and arg is None:
                        continue
                    add(api, local, ref, ci.call_offsets[e], arg)
        for local, uses in ci.strings_used.items():
            for sidx, off in uses:
                for api in t.strings.get(sidx, ()):
                    add(api, local, f'const-string "{t.string_values[sidx]}"', off, t.string_values[sidx])
        for local, reads in ci.fields_read.items():
            for fidx, off in reads:
                for api in t.fields.get(fidx, ()):
                    ref = f"{dex.type_name(dex.field_class_idx(fidx))}->{dex.field_name(fidx)}"
                    add(api, local, ref, off, None)
    sites.sort(key=lambda s: (s.api_id, str(s.caller), s.offset))
    return tuple(sites)


def interesting_strings(scan: CodeScan, needles: tuple[bytes, ...]) -> Iterator[tuple[str, str]]:
    """(value, dex name) for every DEX string whose raw bytes contain one of ``needles``."""
    pattern = re.compile(b"|".join(re.escape(n) for n in sorted(set(needles), key=len, reverse=True)))
    for dex in scan.program.dexes:
        data = dex.data
        for i, off in enumerate(dex.string_offsets):
            start = off + 1
            # uleb128 length prefix: skip continuation bytes
            while start - 1 < len(data) and data[start - 1] & 0x80:
                start += 1
            end = data.find(b"\x00", start)
            if end < 0:
                continue
            raw = data[start:end]
            if pattern.search(raw):
                try:
                    yield dex.string(i), dex.name
                except DexFormatError:
                    continue
