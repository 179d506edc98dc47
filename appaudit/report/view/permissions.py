"""The permissions section: what the app requests, dangerous (runtime) permissions first."""

from __future__ import annotations

from appaudit.evidence.device import PERMISSION_PROMPT
from appaudit.evidence.model import EvidenceBundle, PermissionRequest
from appaudit.report.i18n import tr
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
        return Badge(tr("unknown"), "b-muted", tr("not in appaudit's permission table") if not p.known else "")
    if is_dangerous(p):
        return Badge(level, "b-bad")
    if level.startswith("signature"):
        return Badge(level, "b-info")
    return Badge(level, "b-muted")


_COLUMNS = ("Permission", "Protection level", "Group", "PI types", "Asked before consent", "Max SDK")


def asked_before_consent(bundle: EvidenceBundle) -> dict[str, list[str]] | None:
    """Permission name -> the fresh runs in which its dialog appeared before any consent answer.

    None when no device run exists: whether a permission is asked before consent is then unknown.
    """
    device = bundle.device
    if device is None:
        return None
    out: dict[str, list[str]] = {}
    for run in device.runs:
        if not run.fresh_install:
            continue
        first = run.first_consent_action()
        answer = first[1] if first else None
        screens = {s.id: s for s in run.screens}
        for _, e in run.events_of(PERMISSION_PROMPT):
            if answer is not None and e.ts >= answer.ts:
                continue
            screen = screens.get(e.screen or "")
            for name in screen.permissions if screen else ():
                out.setdefault(name, []).append(run.id)
    return out


def _asked_cell(p: PermissionRequest, asked: dict[str, list[str]] | None) -> Cell:
    if asked is None:
        return na(tr("no device run"))
    runs = asked.get(p.name)
    if runs:
        return Cell(badge=Badge(tr("yes"), "b-bad"), sub=", ".join(dict.fromkeys(runs)))
    return Cell(text=tr("not seen")) if is_dangerous(p) else na("—")


def _permission_row(p: PermissionRequest, asked: dict[str, list[str]] | None) -> Row:
    sub = " · ".join(x for x in (p.name_zh, p.name_en) if x)
    if not p.known:
        sub = sub or tr("not in appaudit's permission table")
    group = " · ".join(x for x in (p.group_zh, p.group) if x)
    return Row(
        (
            Cell(text=p.name, sub=sub, mono=True),
            Cell(badge=_level_badge(p)),
            Cell(text=group) if group else na("—"),
            Cell(chips=tuple(sorted(p.pi_types))),
            _asked_cell(p, asked),
            Cell(text=str(p.max_sdk)) if p.max_sdk is not None else na("—"),
        ),
        css="row-dangerous" if is_dangerous(p) else "",
    )


def permissions_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    """Requested permissions and the app's own declared ones."""
    manifest, avail = assessed_manifest(bundle)
    table = TableMaker(avail, max_rows)
    perms = manifest.permissions if manifest else ()
    asked = asked_before_consent(bundle)
    rows = [_permission_row(p, asked) for p in sorted(perms, key=lambda p: (not is_dangerous(p), p.name))]
    facts: tuple[Fact, ...] = ()
    if manifest is not None:
        dangerous = sum(1 for p in perms if is_dangerous(p))
        facts = (
            Fact(tr("Requested"), Cell(text=tr("{n} ({dangerous} dangerous)", n=len(perms), dangerous=dangerous))),
            Fact(
                tr("Declared by the app"),
                Cell(items=tuple(sorted(manifest.declared_permissions)), mono=True)
                if manifest.declared_permissions
                else na(tr("none")),
            ),
        )
    return Section(
        id="permissions",
        title=tr("Permissions"),
        availability=avail,
        intro=(
            tr(
                "Permissions requested with <uses-permission>. Dangerous (runtime) permissions are listed first "
                "and highlighted."
            ),
            tr(
                "“Asked before consent” comes from the device runs: the system dialog appeared on a fresh install "
                "before the user answered the privacy prompt."
            ),
        ),
        facts=facts,
        tables=(
            table(
                tr("Requested permissions"),
                tuple(tr(c) for c in _COLUMNS),
                rows,
                tr("The app requests no permission."),
                noun=tr("permissions"),
            ),
        ),
    )
