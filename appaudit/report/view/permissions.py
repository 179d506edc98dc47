"""The permissions section: what the app requests, dangerous (runtime) permissions first."""

from __future__ import annotations

from appaudit.evidence.model import EvidenceBundle, PermissionRequest
from appaudit.report.view.availability import assessed_manifest
from appaudit.report.view.cells import na
from appaudit.report.view.model import Badge, Cell, Fact, Row, Section
from appaudit.report.view.tables import TableMaker


def is_dangerous(p: PermissionRequest) -> bool:
    """Whether the permission's protection level includes "dangerous" (granted at run time)."""
    return "dangerous" in (p.protection_level or "").split("|")


def _level_badge(p: PermissionRequest) -> Badge:
    level = p.protection_level
    if level is None:
        return Badge("unknown", "b-muted", "not in appaudit's permission table" if not p.known else "")
    if is_dangerous(p):
        return Badge(level, "b-bad")
    if level.startswith("signature"):
        return Badge(level, "b-info")
    return Badge(level, "b-muted")


_COLUMNS = ("Permission", "Protection level", "Group", "PI types", "Max SDK")


def _permission_row(p: PermissionRequest) -> Row:
    sub = " · ".join(x for x in (p.name_zh, p.name_en) if x)
    if not p.known:
        sub = sub or "not in appaudit's permission table"
    group = " · ".join(x for x in (p.group_zh, p.group) if x)
    return Row(
        (
            Cell(text=p.name, sub=sub, mono=True),
            Cell(badge=_level_badge(p)),
            Cell(text=group) if group else na("—"),
            Cell(chips=tuple(sorted(p.pi_types))),
            Cell(text=str(p.max_sdk)) if p.max_sdk is not None else na("—"),
        ),
        css="row-dangerous" if is_dangerous(p) else "",
    )


def permissions_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    """Requested permissions and the app's own declared ones."""
    manifest, avail = assessed_manifest(bundle)
    table = TableMaker(avail, max_rows)
    perms = manifest.permissions if manifest else ()
    rows = [_permission_row(p) for p in sorted(perms, key=lambda p: (not is_dangerous(p), p.name))]
    facts: tuple[Fact, ...] = ()
    if manifest is not None:
        dangerous = sum(1 for p in perms if is_dangerous(p))
        facts = (
            Fact("Requested", Cell(text=f"{len(perms)} ({dangerous} dangerous)")),
            Fact(
                "Declared by the app",
                Cell(items=tuple(sorted(manifest.declared_permissions)), mono=True)
                if manifest.declared_permissions
                else na("none"),
            ),
        )
    return Section(
        id="permissions",
        title="Permissions",
        availability=avail,
        intro=(
            "Permissions requested with <uses-permission>. Dangerous (runtime) permissions are listed first "
            "and highlighted.",
        ),
        facts=facts,
        tables=(table("Requested permissions", _COLUMNS, rows, "The app requests no permission.", noun="permissions"),),
    )
