"""What the bytecode scan looks for, translated into the indices of one DEX.

Sensitive APIs and SDK initialisation calls are named by class and member; each DEX refers to
them through its own method, field and string tables. Looking those up first (binary search
in the sorted tables) lets the linear scan compare small integers instead of strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appaudit.knowledge.sdk_db import SdkDatabase, SdkEntry
from appaudit.knowledge.sensitive_apis import SensitiveApi
from appaudit.static.dex.code_index import Interest
from appaudit.static.dex.program import Program
from appaudit.static.dex.reader import DexImage

# Framework types whose subclasses run their code later on another thread or message loop:
# instantiating one in start-up code counts as calling its body (an "async" edge).
ASYNC_BODIES: dict[str, tuple[tuple[str, str], ...]] = {
    "Ljava/lang/Runnable;": (("run", "()V"),),
    "Ljava/lang/Thread;": (("run", "()V"),),
    "Ljava/util/TimerTask;": (("run", "()V"),),
    "Ljava/util/concurrent/Callable;": (("call", "()Ljava/lang/Object;"),),
    "Landroid/os/AsyncTask;": (("doInBackground", "([Ljava/lang/Object;)Ljava/lang/Object;"),),
    "Landroid/os/Handler$Callback;": (("handleMessage", "(Landroid/os/Message;)Z"),),
    "Lkotlin/jvm/functions/Function0;": (("invoke", "()Ljava/lang/Object;"),),
}
ASYNC_ANCESTORS = frozenset(ASYNC_BODIES)


def split_member(ref: str) -> tuple[str, str]:
    """'Lcom/x/Y;->name' → ('Lcom/x/Y;', 'name')."""
    cls, _, member = ref.partition("->")
    return cls, member


@dataclass
class DexTargets:
    """Sensitive APIs and SDK init calls as indices of one DEX."""

    methods: dict[int, list[SensitiveApi]] = field(default_factory=dict)
    fields: dict[int, list[SensitiveApi]] = field(default_factory=dict)
    strings: dict[int, list[SensitiveApi]] = field(default_factory=dict)
    string_values: dict[int, str] = field(default_factory=dict)  # every string idx of interest → value
    init_calls: dict[int, SdkEntry] = field(default_factory=dict)  # method_idx → SDK it initialises
    async_types: dict[int, str] = field(default_factory=dict)  # type idx → class descriptor
    consent_fields: frozenset[int] = frozenset()  # boolean fields whose name names consent (guard candidates)

    def interest(self) -> Interest:
        return Interest(
            strings=frozenset(self.string_values),
            fields=frozenset(self.fields) | self.consent_fields,
        )


def _members(dex: DexImage, class_desc: str, names: set[str], *, fields: bool) -> list[int]:
    type_idx = dex.find_type(class_desc)
    if type_idx is None:
        return []
    rng = dex.field_range_for_class(type_idx) if fields else dex.method_range_for_class(type_idx)
    name_of = dex.field_name if fields else dex.method_name
    return [i for i in rng if name_of(i) in names]


def _group(refs: tuple[str, ...]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for ref in refs:
        cls, member = split_member(ref)
        grouped.setdefault(cls, set()).add(member)
    return grouped


def async_task_classes(program: Program) -> list[str]:
    """App classes that are Runnables, Threads, AsyncTasks... (see ASYNC_BODIES)."""
    return [
        desc
        for desc, info in program.classes.items()
        if info.superclass is not None and desc not in ASYNC_ANCESTORS and program.is_subtype(desc, ASYNC_ANCESTORS)
    ]


def targets_for(
    dex: DexImage, apis: tuple[SensitiveApi, ...], sdk_db: SdkDatabase, async_classes: list[str]
) -> DexTargets:
    """Resolve every catalogue entry against ``dex``'s tables."""
    t = DexTargets()
    for api in apis:
        for cls, names in _group(api.methods).items():
            for midx in _members(dex, cls, names, fields=False):
                t.methods.setdefault(midx, []).append(api)
        for cls, names in _group(api.fields).items():
            for fidx in _members(dex, cls, names, fields=True):
                t.fields.setdefault(fidx, []).append(api)
        for value in (*api.strings, *api.required_strings):
            sidx = dex.find_string(value)
            if sidx is not None:
                t.string_values[sidx] = value
                if value in api.strings:
                    t.strings.setdefault(sidx, []).append(api)
    for entry in sdk_db.entries:
        for cls, names in _group(entry.init_calls).items():
            for midx in _members(dex, cls, names, fields=False):
                t.init_calls[midx] = entry
    for desc in async_classes:
        type_idx = dex.find_type(desc)
        if type_idx is not None:
            t.async_types[type_idx] = desc
    t.consent_fields = frozenset(_consent_fields(dex))
    return t


def _consent_fields(dex: DexImage) -> list[int]:
    """Boolean fields (type Z) whose name names consent; only boolean fields are decoded."""
    from appaudit.static.guard import names_consent

    bool_type = dex.find_type("Z")
    if bool_type is None:
        return []
    return [
        f for f in range(dex.field_count) if dex.field_type_idx(f) == bool_type and names_consent(dex.field_name(f))
    ]


def async_bodies(program: Program, class_desc: str) -> list[int]:
    """The methods of an async task class that run when it is started (cached on the program)."""
    cache = program.async_body_cache
    cached = cache.get(class_desc)
    if cached is not None:
        return cached
    out: list[int] = []
    for ancestor, bodies in ASYNC_BODIES.items():
        if program.is_subtype(class_desc, frozenset([ancestor])):
            for name, proto in bodies:
                node = program.find_definition(class_desc, name, proto)
                if node is not None and node not in out:
                    out.append(node)
    cache[class_desc] = out
    return out
