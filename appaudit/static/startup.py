"""Start-up reachability: what runs before any UI can ask for consent (evidence for item III.1).

Entry points are the code Android runs when the process starts, before the first activity can
show a consent dialog: the Application's constructor, ``attachBaseContext`` and ``onCreate``
and its static initialiser; every ContentProvider's constructor, ``onCreate`` and static
initialiser (providers are created before ``Application.onCreate``); androidx.startup
``Initializer.create`` methods named in the manifest; and the launcher activity's
``onCreate`` (it runs before any dialog it shows can be answered).

From those, a breadth-first search over the invoke graph (plus "async" edges: a Runnable,
Thread, AsyncTask... instantiated on the path runs its body) finds every sensitive API and
SDK initialisation call that can run at start-up, with the shortest call chain. Calls behind
a recognised consent check (see :mod:`appaudit.static.guard`) are reported as guarded: a
second search that refuses to cross guarded calls tells whether an unguarded path exists.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from appaudit.evidence.model import (
    ConsentGuard,
    EntryPoint,
    ManifestEvidence,
    MethodRef,
    StartupEvidence,
    StartupFinding,
)
from appaudit.knowledge.sdk_db import SdkDatabase
from appaudit.knowledge.sensitive_apis import SensitiveApi
from appaudit.static.dex.program import Program, method_ref_text
from appaudit.static.guard import GuardFinder, names_consent
from appaudit.static.targets import DexTargets, async_bodies

MAX_DEPTH = 40
MAX_NODES = 600_000
# Key-value stores whose getters commonly hold the "user agreed" flag.
KV_STORES = frozenset(
    ["Landroid/content/SharedPreferences;", "Lcom/tencent/mmkv/MMKV;", "Landroid/provider/Settings$Secure;"]
)
ANDROIDX_STARTUP_PROVIDER = "androidx.startup.InitializationProvider"


def java_to_desc(name: str) -> str:
    return "L" + name.replace(".", "/") + ";"


def entry_points(program: Program, manifest: ManifestEvidence) -> list[tuple[EntryPoint, int]]:
    """Entry methods present in the app's code, with their graph nodes."""
    wanted: list[tuple[str, str, str, str, str | None]] = []  # (kind, class, name, proto, component)
    app_cls = manifest.application_class
    if app_cls:
        d = java_to_desc(app_cls)
        wanted += [
            ("static_initializer", d, "<clinit>", "()V", app_cls),
            ("application_init", d, "<init>", "()V", app_cls),
            ("application_attach", d, "attachBaseContext", "(Landroid/content/Context;)V", app_cls),
            ("application_oncreate", d, "onCreate", "()V", app_cls),
        ]
    for comp in manifest.components:
        if comp.kind != "provider":
            continue
        d = java_to_desc(comp.name)
        wanted += [
            ("static_initializer", d, "<clinit>", "()V", comp.name),
            ("provider_init", d, "<init>", "()V", comp.name),
            ("provider_oncreate", d, "onCreate", "()Z", comp.name),
        ]
        if comp.name == ANDROIDX_STARTUP_PROVIDER:
            for meta in manifest.meta_data:
                if meta.scope == comp.name and (meta.value or "").strip() == "androidx.startup":
                    wanted.append(
                        ("androidx_startup_initializer", java_to_desc(meta.name), "create",
                         "(Landroid/content/Context;)Ljava/lang/Object;", meta.name)
                    )  # fmt: skip
    for activity in manifest.launcher_activities:
        d = java_to_desc(activity)
        wanted += [
            ("static_initializer", d, "<clinit>", "()V", activity),
            ("launcher_oncreate", d, "onCreate", "(Landroid/os/Bundle;)V", activity),
        ]
    out: list[tuple[EntryPoint, int]] = []
    seen: set[int] = set()
    for kind, cls, name, proto, component in wanted:
        # Inherited lifecycle methods count: a BaseApplication.onCreate runs for its subclass.
        node = (
            program.find_method(cls, name, proto) if name.startswith("<") else program.find_definition(cls, name, proto)
        )
        if node is None or node in seen:
            continue
        seen.add(node)
        key = program.node_key(node)
        out.append((EntryPoint(kind=kind, method=MethodRef(*key), component=component), node))
    return out


@dataclass(frozen=True)
class _Hit:
    kind: str  # sensitive_api | sdk_init | sdk_call
    target: str
    pi_types: tuple[str, ...]
    callee: str  # the API or SDK method reference, smali notation
    node: int  # method that performs the call
    offset: int


@dataclass
class _Search:
    state: dict[int, tuple[int, int, str, int, int]]  # node → (parent, call offset, edge kind, depth, entry)
    exhausted: bool


class StartupAnalyser:
    def __init__(
        self,
        program: Program,
        targets: list[DexTargets],
        apis: tuple[SensitiveApi, ...],
        sdk_db: SdkDatabase,
        *,
        max_depth: int = MAX_DEPTH,
        max_nodes: int = MAX_NODES,
    ) -> None:
        self.program = program
        self.targets = targets
        self.sdk_db = sdk_db
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self._guards: dict[int, GuardFinder] = {}
        self._owner_cache: dict[str, str | None] = {}
        self._callee_cache: dict[tuple[int, int], tuple] = {}
        self._node_owner_cache: dict[tuple[int, int], str | None] = {}
        self._sites: dict[int, list[int]] | None = None  # node → edges whose callee means something
        self._may_guard_nodes: set[int] = set()
        self._callback_cache: list[dict[int, list[int]]] = [{} for _ in program.dexes]
        self.closed: set[int] = set()  # methods the last start-up search reached (closed under its edges)

    # ------------------------------------------------------------------ sparse index of meaningful calls
    def _index_sites(self) -> dict[int, list[int]]:
        """One pass per DEX over the callee array: which call sites mean something.

        A site means something when its callee is a catalogued sensitive API, an SDK init call,
        a method of an SDK's class (a call into the SDK), or a consent-looking read (a method named
        like consent, or a key-value store getter). Everything per method afterwards is a lookup.
        """
        if self._sites is not None:
            return self._sites
        program = self.program
        sites: dict[int, list[int]] = {}
        for d, ci in enumerate(program.indexes):
            dex = program.dexes[d]
            t = self.targets[d]
            meaningful = set(t.methods) | set(t.init_calls)
            consentish: set[int] = set()
            owner_by_class: dict[int, str | None] = {}
            kv_types = self._kv_store_types(d)
            for midx in range(dex.method_count):
                class_idx = dex.method_class_idx(midx)
                if class_idx not in owner_by_class:
                    owner_by_class[class_idx] = self._owner(dex.type_name(class_idx))
                if owner_by_class[class_idx] is not None:
                    meaningful.add(midx)
                if class_idx in kv_types or names_consent(dex.method_name(midx)):
                    consentish.add(midx)
            starts = ci.edge_start
            local = 0
            base = program.node(d, 0)
            for e, midx in enumerate(ci.callees):
                if midx in meaningful or midx in consentish:
                    while starts[local + 1] <= e:
                        local += 1
                    if midx in meaningful:
                        sites.setdefault(base + local, []).append(e)
                    if midx in consentish:
                        self._may_guard_nodes.add(base + local)
            for local, reads in ci.fields_read.items():
                if any(fidx in t.consent_fields for fidx, _off in reads):
                    self._may_guard_nodes.add(base + local)
        self._sites = sites
        return sites

    def _kv_store_types(self, d: int) -> set[int]:
        dex = self.program.dexes[d]
        return {t for t in (dex.find_type(name) for name in KV_STORES) if t is not None}

    # ------------------------------------------------------------------ graph walking
    def _successors(self, node: int) -> Iterator[tuple[int, int, str]]:
        """(next node, call offset, edge kind) for the calls in ``node``."""
        program = self.program
        d, local = program.locate(node)
        ci = program.indexes[d]
        resolve = program.resolve
        callees = ci.callees
        offsets = ci.call_offsets
        for e in range(ci.edge_start[local], ci.edge_start[local + 1]):
            for target in resolve(d, callees[e]):
                yield target, offsets[e], "invoke"
        async_types = self.targets[d].async_types
        if async_types:
            new_types = ci.new_types
            for r in range(ci.new_start[local], ci.new_start[local + 1]):
                desc = async_types.get(new_types[r])
                if desc:
                    for body in async_bodies(program, desc):
                        yield body, ci.new_offsets[r], "async"

    def _guarded(self, node: int, offset: int) -> ConsentGuard | None:
        finder = self._guards.get(node)
        if finder is None:
            d, _local = self.program.locate(node)
            finder = GuardFinder(
                self.program.dexes[d],
                self.program.node_code_off(node),
                MethodRef(*self.program.node_key(node)),
            )
            self._guards[node] = finder
        return finder.guard_for(offset)

    def _may_guard(self, node: int) -> bool:
        """Does the method read something that could be a consent flag? (a lookup in the site index)"""
        self._index_sites()
        return node in self._may_guard_nodes

    def _any_guarded_edge(self, search: _Search) -> bool:
        self._index_sites()
        for node in self._may_guard_nodes:
            if node in search.state:
                for _target, off, _kind in self._successors(node):
                    if self._guarded(node, off) is not None:
                        return True
        return False

    def _search(self, entries: list[int], *, respect_guards: bool) -> _Search:
        # node → (parent node or -1, call offset, edge kind, depth, entry node)
        state: dict[int, tuple[int, int, str, int, int]] = {e: (-1, 0, "", 0, e) for e in entries}
        queue = deque(entries)
        exhausted = False
        while queue:
            node = queue.popleft()
            depth = state[node][3]
            if depth >= self.max_depth:
                exhausted = True
                continue
            check_guards = respect_guards and self._may_guard(node)
            origin = state[node][4]
            for nxt, off, kind in self._successors(node):
                if nxt in state:
                    continue
                if check_guards and self._guarded(node, off) is not None:
                    continue
                if len(state) >= self.max_nodes:
                    exhausted = True
                    queue.clear()
                    break
                state[nxt] = (node, off, kind, depth + 1, origin)
                queue.append(nxt)
        return _Search(state, exhausted)

    def component_entries(self, manifest: ManifestEvidence) -> list[int]:
        """Every method of the Application and of every component class (and their app superclasses)."""
        program = self.program
        names = [manifest.application_class, *(c.name for c in manifest.components)]
        nodes: dict[int, None] = {n: None for _e, n in entry_points(program, manifest)}
        for name in filter(None, names):
            desc: str | None = java_to_desc(name)
            for _ in range(16):
                if desc is None or desc not in program.classes:
                    break
                nodes.update(dict.fromkeys(program.methods_of(desc)))
                desc = program.classes[desc].superclass
        return list(nodes)

    def _callbacks(self, node: int) -> list[int]:
        """Methods of framework-facing app classes that ``node`` instantiates (listeners, tasks...)."""
        program = self.program
        d, local = program.locate(node)
        ci = program.indexes[d]
        rng = ci.instantiations_of(local)
        if not rng:
            return []
        cache = self._callback_cache[d]
        out: list[int] = []
        for r in rng:
            type_idx = ci.new_types[r]
            methods = cache.get(type_idx)
            if methods is None:
                desc = program.dexes[d].type_name(type_idx)
                methods = program.methods_of(desc) if program.faces_framework(desc) else []
                cache[type_idx] = methods
            out.extend(methods)
        return out

    def reachable_from_components(self, manifest: ManifestEvidence) -> tuple[set[int], bool]:
        """Methods that can run at all: from every component, following calls, async tasks and callbacks.

        An app class that implements a framework type (a click listener, a Runnable...) and is
        instantiated in reachable code has all its methods counted as reachable: the framework
        may call any of them. This over-approximates on purpose — it decides "embedded but never
        used" versus "used", and calling something used when it is not is the safe mistake.

        The start-up search's reached set is already closed under calls and async edges, so it is
        taken as is and only its callback edges are expanded.
        """
        seen = set(self.closed)
        queue: deque[int] = deque()

        def visit(nodes: list[int] | Iterator[int]) -> bool:
            for n in nodes:
                if n not in seen:
                    if len(seen) >= self.max_nodes:
                        return False
                    seen.add(n)
                    queue.append(n)
            return True

        within_budget = visit(self.component_entries(manifest))
        for node in list(self.closed):
            if not within_budget:
                break
            within_budget = visit(self._callbacks(node))
        while queue and within_budget:
            node = queue.popleft()
            within_budget = visit(n for n, _off, _kind in self._successors(node)) and visit(self._callbacks(node))
        return seen, not within_budget

    # ------------------------------------------------------------------ what each method does
    def _owner(self, class_desc: str) -> str | None:
        if class_desc not in self._owner_cache:
            entry = self.sdk_db.owner_of_class(class_desc)
            self._owner_cache[class_desc] = entry.id if entry else None
        return self._owner_cache[class_desc]

    def _callee_hits(
        self, d: int, midx: int
    ) -> tuple[tuple[str, str, tuple[str, ...], str, str | None, tuple[str, ...]], ...]:
        """What calling method_id ``midx`` of DEX ``d`` means, computed once per callee.

        Each item: (kind, target, pi_types, callee text, SDK owning the callee, required strings).
        """
        key = (d, midx)
        cached = self._callee_cache.get(key)
        if cached is not None:
            return cached
        t = self.targets[d]
        dex = self.program.dexes[d]
        out: list[tuple[str, str, tuple[str, ...], str, str | None, tuple[str, ...]]] = []
        apis = t.methods.get(midx)
        entry = t.init_calls.get(midx)
        text: str | None = None
        if apis or entry is not None:
            text = method_ref_text(dex.method_key(midx))
        for api in apis or ():
            out.append(("sensitive_api", api.id, api.pi_types, text or "", None, api.required_strings))
        if entry is not None:
            out.append(("sdk_init", entry.id, entry.pi_types, text or "", entry.id, ()))
        else:
            owner = self._owner(dex.type_name(dex.method_class_idx(midx)))
            sdk = self.sdk_db.get(owner) if owner else None
            if sdk is not None and not sdk.init_calls:
                out.append(("sdk_call", sdk.id, sdk.pi_types, method_ref_text(dex.method_key(midx)), sdk.id, ()))
        result = tuple(out)
        self._callee_cache[key] = result
        return result

    def owner_of_node(self, node: int) -> str | None:
        """The SDK whose class prefix owns the method's class, or None for first-party code."""
        d, local = self.program.locate(node)
        ci = self.program.indexes[d]
        key = (d, ci.class_def_of[local])
        if key not in self._node_owner_cache:
            self._node_owner_cache[key] = self._owner(self.program.dexes[d].type_name(ci.class_defs[key[1]].class_idx))
        return self._node_owner_cache[key]

    def hits_in(self, node: int) -> list[_Hit]:
        program = self.program
        d, local = program.locate(node)
        dex = program.dexes[d]
        t = self.targets[d]
        ci = program.indexes[d]
        hits: list[_Hit] = []
        caller_owner: str | None = None
        owner_known = False
        strings_here: set[str | None] | None = None
        for e in self._index_sites().get(node, ()):
            for kind, target, pi_types, text, callee_owner, required in self._callee_hits(d, ci.callees[e]):
                if required:
                    if strings_here is None:
                        strings_here = {t.string_values.get(s) for s, _ in ci.strings_used.get(local, ())}
                    if not any(r in strings_here for r in required):
                        continue
                if callee_owner is not None:
                    if not owner_known:
                        caller_owner = self._owner(program.node_class(node))
                        owner_known = True
                    if caller_owner == callee_owner:
                        continue  # an SDK calling itself is not the app starting it
                hits.append(_Hit(kind, target, pi_types, text, node, ci.call_offsets[e]))
        for sidx, off in ci.strings_used.get(local, ()):
            for api in t.strings.get(sidx, ()):
                hits.append(
                    _Hit(
                        "sensitive_api",
                        api.id,
                        api.pi_types,
                        f'const-string "{t.string_values[sidx]}"',
                        node,
                        off,
                    )
                )
        for fidx, off in ci.fields_read.get(local, ()):
            for api in t.fields.get(fidx, ()):
                cls = dex.type_name(dex.field_class_idx(fidx))
                hits.append(_Hit("sensitive_api", api.id, api.pi_types, f"{cls}->{dex.field_name(fidx)}", node, off))
        return hits

    # ------------------------------------------------------------------ the analysis
    def _chain(self, search: _Search, node: int) -> tuple[list[int], list[tuple[int, int, str]]]:
        nodes = [node]
        steps: list[tuple[int, int, str]] = []
        while search.state[node][0] >= 0:
            prev, off, kind, _depth, _origin = search.state[node]
            steps.append((prev, off, kind))
            nodes.append(prev)
            node = prev
        nodes.reverse()
        steps.reverse()
        return nodes, steps

    def analyse(self, manifest: ManifestEvidence) -> StartupEvidence:
        entries = entry_points(self.program, manifest)
        entry_nodes = [n for _e, n in entries]
        entry_of = {n: e for e, n in entries}
        free = self._search(entry_nodes, respect_guards=False)
        self.closed = set() if free.exhausted else set(free.state)
        # The strict search (refusing guarded calls) can only differ if some reached call is guarded.
        strict = self._search(entry_nodes, respect_guards=True) if self._any_guarded_edge(free) else free
        findings: list[StartupFinding] = []
        seen: set[tuple[str, str, int]] = set()
        for node in sorted(free.state, key=lambda n: (free.state[n][3], n)):
            for hit in self.hits_in(node):
                key = (hit.kind, hit.target, node)
                if key in seen:
                    continue
                seen.add(key)
                unguarded = node in strict.state and not (self._may_guard(node) and self._guarded(node, hit.offset))
                search = strict if unguarded else free
                nodes, steps = self._chain(search, node)
                guard = None
                via = [kind for _p, _o, kind in steps] + ["invoke"]
                if not unguarded:
                    for prev, off, _kind in [*steps, (node, hit.offset, "invoke")]:
                        guard = self._guarded(prev, off)
                        if guard is not None:
                            break
                chain = (*tuple(method_ref_text(self.program.node_key(n)) for n in nodes), hit.callee)
                findings.append(
                    StartupFinding(
                        kind=hit.kind,
                        target=hit.target,
                        pi_types=hit.pi_types,
                        entry_point=entry_of[search.state[node][4]],
                        chain=chain,
                        guard=guard,
                        via=tuple(via),
                        call_offset=hit.offset,
                    )
                )
        findings.sort(key=lambda f: (f.guarded, f.kind, f.target, len(f.chain), f.chain))
        exhausted = free.exhausted or strict.exhausted
        note = f"searched {len(free.state)} methods to depth {self.max_depth}" + (
            "; the search hit its limits, so absence of a finding is inconclusive" if exhausted else ""
        )
        return StartupEvidence(
            entry_points=tuple(e for e, _n in entries),
            findings=tuple(findings),
            max_depth=self.max_depth,
            budget_exhausted=exhausted,
            note=note,
        )
