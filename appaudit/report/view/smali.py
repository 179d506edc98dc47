"""Readable forms of smali references: quiet package, ``Class.method(Simple, Types)``."""

from __future__ import annotations

import re

from appaudit.report.view.model import Cell, ChainStep

_PRIMITIVES = {
    "V": "void",
    "Z": "boolean",
    "B": "byte",
    "S": "short",
    "C": "char",
    "I": "int",
    "J": "long",
    "F": "float",
    "D": "double",
}
_METHOD_RE = re.compile(r"^(L[^;]+;)->([^(]+)\((.*)\)(.+)$")
_FIELD_RE = re.compile(r"^(L[^;]+;)->([^:(]+):(.+)$")


def _split_descriptors(params: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(params):
        start = i
        while i < len(params) and params[i] == "[":
            i += 1
        if i < len(params) and params[i] == "L":
            end = params.find(";", i)
            if end < 0:
                return [params[start:]]
            i = end + 1
        else:
            i += 1
        out.append(params[start:i])
    return out


def _simple_type(descriptor: str) -> str:
    dims = len(descriptor) - len(descriptor.lstrip("["))
    base = descriptor[dims:]
    name = base[1:-1].rsplit("/", 1)[-1] if base.startswith("L") and base.endswith(";") else _PRIMITIVES.get(base, base)
    return name + "[]" * dims


def _split_class(class_name: str) -> tuple[str, str]:
    """'Lcom/x/Y;' -> ('com.x.', 'Y')."""
    body = class_name[1:-1]
    package, _, simple = body.rpartition("/")
    return (package.replace("/", ".") + "." if package else ""), simple


def shorten_ref(ref: str) -> ChainStep:
    """Make a smali member reference readable: quiet package, Class.method(Simple, Types)."""
    method = _METHOD_RE.match(ref)
    if method:
        class_name, name, params, _ret = method.groups()
        package, simple = _split_class(class_name)
        args = ", ".join(_simple_type(d) for d in _split_descriptors(params))
        return ChainStep(package=package, member=f"{simple}.{name}({args})", full=ref)
    fld = _FIELD_RE.match(ref)
    if fld:
        class_name, name, _type = fld.groups()
        package, simple = _split_class(class_name)
        return ChainStep(package=package, member=f"{simple}.{name}", full=ref)
    return ChainStep(package="", member=ref, full=ref)


def ref_cell(ref: str) -> Cell:
    """A member reference as a table cell: short form, package underneath, full text on hover."""
    step = shorten_ref(ref)
    return Cell(text=step.member, sub=step.package, title=step.full, mono=True)


def java_class(class_name: str) -> str:
    """'Lcom/x/Y;' -> 'com.x.Y'; anything else is returned as it is."""
    if class_name.startswith("L") and class_name.endswith(";"):
        return class_name[1:-1].replace("/", ".")
    return class_name
