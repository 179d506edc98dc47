"""All DEX files of an app as one program: class table, hierarchy and call resolution.

Nodes of the call graph are app-defined methods, numbered globally across DEX files. A call
to a method_id is resolved the way the runtime would for the common cases: the exact class,
else the nearest superclass that defines the method (virtual dispatch to an inherited
method); for abstract or interface methods, the app classes that implement them
(class-hierarchy analysis, capped). Framework methods are leaves, identified by their key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appaudit.errors import DexFormatError
from appaudit.static.dex.code_index import CodeIndex
from appaudit.static.dex.reader import ACC_ABSTRACT, ACC_INTERFACE, NO_INDEX, ClassDef, DexImage

MAX_IMPLEMENTORS = 64
MAX_HIERARCHY_DEPTH = 64

MethodKey = tuple[str, str, str]  # (class descriptor, name, proto descriptor)


@dataclass(frozen=True, slots=True)
class ClassInfo:
    descriptor: str
    dex: int  # position in Program.dexes
    class_def: int  # index in that DEX's class_defs table
    superclass: str | None
    interfaces: tuple[str, ...]
    access_flags: int
    class_idx: int  # type index of the class in its own DEX


@dataclass
class Program:
    dexes: list[DexImage]
    indexes: list[CodeIndex] = field(default_factory=list)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    duplicate_classes: list[str] = field(default_factory=list)
    _base: list[int] = field(default_factory=list)
    _subtypes: dict[str, list[str]] | None = None
    _resolved: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)
    async_body_cache: dict[str, list[int]] = field(default_factory=dict)

    # ------------------------------------------------------------------ construction
    def add_classes(self, dex_pos: int, class_defs: list[ClassDef]) -> None:
        """Register the classes of one DEX (first definition wins, as in the runtime's loader)."""
        dex = self.dexes[dex_pos]
        for cdef in class_defs:
            desc = dex.type_name(cdef.class_idx)
            if desc in self.classes:
                self.duplicate_classes.append(desc)
                continue
            sup = None if cdef.superclass_idx == NO_INDEX else dex.type_name(cdef.superclass_idx)
            interfaces = tuple(dex.type_name(t) for t in cdef.interfaces)
            self.classes[desc] = ClassInfo(
                desc, dex_pos, cdef.index, sup, interfaces, cdef.access_flags, cdef.class_idx
            )

    def seal(self, indexes: list[CodeIndex]) -> None:
        """Attach the code indexes (one per DEX, same order) and number the nodes."""
        self.indexes = indexes
        self._base = []
        total = 0
        for ci in indexes:
            self._base.append(total)
            total += ci.method_total
        self.node_count = total

    # ------------------------------------------------------------------ nodes
    def node(self, dex_pos: int, local: int) -> int:
        return self._base[dex_pos] + local

    def locate(self, node: int) -> tuple[int, int]:
        dex_pos = len(self._base) - 1
        while self._base[dex_pos] > node:
            dex_pos -= 1
        return dex_pos, node - self._base[dex_pos]

    def node_key(self, node: int) -> MethodKey:
        d, local = self.locate(node)
        return self.dexes[d].method_key(self.indexes[d].method_idx[local])

    def node_class(self, node: int) -> str:
        d, local = self.locate(node)
        dex = self.dexes[d]
        return dex.type_name(dex.method_class_idx(self.indexes[d].method_idx[local]))

    def node_access(self, node: int) -> int:
        d, local = self.locate(node)
        return self.indexes[d].access[local]

    def node_code_off(self, node: int) -> int:
        d, local = self.locate(node)
        return self.indexes[d].code_off[local]

    # ------------------------------------------------------------------ lookup
    def find_method(self, class_desc: str, name: str, proto: str | None = None) -> int | None:
        """The node defining ``name``/``proto`` in ``class_desc`` itself (no inheritance)."""
        info = self.classes.get(class_desc)
        if info is None:
            return None
        dex = self.dexes[info.dex]
        local_of = self.indexes[info.dex].local_of_method
        for midx in dex.method_range_for_class(info.class_idx):
            if dex.method_name(midx) != name:
                continue
            if proto is not None and dex.proto_descriptor(dex.method_proto_idx(midx)) != proto:
                continue
            local = local_of.get(midx)
            if local is not None:
                return self.node(info.dex, local)
        return None

    def methods_of(self, class_desc: str) -> list[int]:
        """Every method node declared by an app class (no inherited ones)."""
        info = self.classes.get(class_desc)
        if info is None:
            return []
        local_of = self.indexes[info.dex].local_of_method
        rng = self.dexes[info.dex].method_range_for_class(info.class_idx)
        return [self.node(info.dex, local_of[m]) for m in rng if m in local_of]

    def faces_framework(self, class_desc: str) -> bool:
        """Whether an app class extends or implements a type outside the app (a listener, a task...)."""
        info = self.classes.get(class_desc)
        if info is None:
            return False
        parents = [info.superclass, *info.interfaces]
        return any(p and p != "Ljava/lang/Object;" and p not in self.classes for p in parents)

    def find_definition(self, class_desc: str, name: str, proto: str) -> int | None:
        """Resolve like virtual dispatch on an object of exactly ``class_desc``."""
        current: str | None = class_desc
        for _ in range(MAX_HIERARCHY_DEPTH):
            if current is None or current not in self.classes:
                return None
            found = self.find_method(current, name, proto)
            if found is not None:
                return found
            current = self.classes[current].superclass
        return None

    def is_subtype(self, class_desc: str, ancestors: frozenset[str]) -> bool:
        """Whether an app class extends or implements any of ``ancestors`` (transitively)."""
        stack = [class_desc]
        seen: set[str] = set()
        while stack:
            c = stack.pop()
            if c in ancestors:
                return True
            if c in seen or c not in self.classes:
                continue
            seen.add(c)
            info = self.classes[c]
            if info.superclass:
                stack.append(info.superclass)
            stack.extend(info.interfaces)
        return False

    def _subtype_map(self) -> dict[str, list[str]]:
        if self._subtypes is None:
            subs: dict[str, list[str]] = {}
            for info in self.classes.values():
                for parent in (info.superclass, *info.interfaces):
                    if parent:
                        subs.setdefault(parent, []).append(info.descriptor)
            self._subtypes = subs
        return self._subtypes

    def implementors(self, class_desc: str, name: str, proto: str) -> list[int]:
        """App methods overriding ``name``/``proto`` in subtypes of ``class_desc`` (capped)."""
        out: list[int] = []
        subs = self._subtype_map()
        stack = list(subs.get(class_desc, ()))
        seen: set[str] = set()
        while stack and len(out) < MAX_IMPLEMENTORS:
            c = stack.pop()
            if c in seen:
                continue
            seen.add(c)
            found = self.find_method(c, name, proto)
            if found is not None and not self.node_access(found) & ACC_ABSTRACT:
                out.append(found)
            stack.extend(subs.get(c, ()))
        return out

    def resolve(self, dex_pos: int, method_idx: int) -> tuple[int, ...]:
        """App nodes a call to ``method_idx`` (in DEX ``dex_pos``) may execute; () for framework code."""
        cache_key = (dex_pos, method_idx)
        hit = self._resolved.get(cache_key)
        if hit is not None:
            return hit
        ci = self.indexes[dex_pos]
        local = ci.local_of_method.get(method_idx)
        if local is not None:
            # Defined in this DEX: no strings needed unless dispatch may go to implementations.
            cls_access = ci.class_defs[ci.class_def_of[local]].access_flags
            if not (ci.access[local] & ACC_ABSTRACT or cls_access & ACC_INTERFACE):
                result: tuple[int, ...] = (self.node(dex_pos, local),)
                self._resolved[cache_key] = result
                return result
        try:
            cls, name, proto = self.dexes[dex_pos].method_key(method_idx)
        except DexFormatError:
            self._resolved[cache_key] = ()
            return ()
        info = self.classes.get(cls)
        targets: list[int] = []
        if local is not None and info is not None and info.dex == dex_pos:
            targets.append(self.node(dex_pos, local))
        elif info is not None:
            found = self.find_definition(cls, name, proto)
            if found is not None:
                targets.append(found)
        abstract_target = not targets or self.node_access(targets[0]) & ACC_ABSTRACT
        if info is not None and (abstract_target or info.access_flags & ACC_INTERFACE):
            targets.extend(t for t in self.implementors(cls, name, proto) if t not in targets)
        result = tuple(targets)
        self._resolved[cache_key] = result
        return result


def method_ref_text(key: MethodKey) -> str:
    return f"{key[0]}->{key[1]}{key[2]}"
