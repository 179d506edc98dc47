"""The manifest sections: components, network security configuration and package visibility."""

from __future__ import annotations

from collections import Counter

from appaudit.evidence.model import (
    Component,
    EvidenceBundle,
    ManifestEvidence,
    NetworkSecurity,
    PackageVisibility,
)
from appaudit.report.i18n import tr
from appaudit.report.view.availability import assessed_manifest
from appaudit.report.view.cells import capped, list_cell, na, yes_no
from appaudit.report.view.model import Badge, Cell, Fact, Notice, Row, Section
from appaudit.report.view.tables import TableMaker

# Why a component is exported, in words (English message ids, translated where shown).
EXPORTED_REASON_LABELS: dict[str, str] = {
    "explicit": 'android:exported="true"',
    "intent-filter": "intent filter, no explicit exported (implicit)",
    "default": "platform default",
}

_COMPONENT_KIND_ORDER = ("activity", "activity-alias", "service", "receiver", "provider")


# --------------------------------------------------------------------------- components

_COMPONENT_COLUMNS = ("Kind", "Name", "Why exported", "Permission", "Intent actions")  # message ids


def _component_row(c: Component) -> Row:
    actions, more = capped(tuple(sorted(c.intent_actions)), 5)
    return Row(
        (
            Cell(text=c.kind),
            Cell(text=c.name, mono=True, sub="" if c.enabled else tr("disabled")),
            Cell(
                text=tr(EXPORTED_REASON_LABELS[c.exported_reason])
                if c.exported_reason in EXPORTED_REASON_LABELS
                else c.exported_reason
            ),
            Cell(text=c.permission, mono=True) if c.permission else Cell(badge=Badge(tr("none"), "b-warn")),
            Cell(items=actions, more=more, mono=True, css="small") if actions else na("—"),
        )
    )


_PROVIDER_COLUMNS = ("Name", "Authorities", "Exported", "Permission")  # message ids


def _provider_row(p: Component) -> Row:
    return Row(
        (
            Cell(text=p.name, mono=True),
            Cell(items=p.authorities, mono=True) if p.authorities else na("—"),
            Cell(badge=Badge(tr("exported"), "b-warn") if p.exported else Badge(tr("not exported"), "b-muted")),
            Cell(text=p.permission, mono=True) if p.permission else na(tr("none")),
        )
    )


def _component_facts(manifest: ManifestEvidence, kinds: list[str]) -> tuple[Fact, ...]:
    comps = manifest.components
    per_kind = Counter(c.kind for c in comps)
    exported_per_kind = Counter(c.kind for c in comps if c.exported)
    counts = tuple(
        tr("{kind}: {n} ({exported} exported)", kind=k, n=per_kind[k], exported=exported_per_kind[k]) for k in kinds
    )
    return (
        Fact(
            tr("Application class"),
            Cell(text=manifest.application_class, mono=True)
            if manifest.application_class
            else na(tr("none (android.app.Application)")),
        ),
        Fact(
            tr("Launcher activities"),
            Cell(items=manifest.launcher_activities, mono=True) if manifest.launcher_activities else na(tr("none")),
        ),
        Fact(tr("Components"), Cell(items=counts) if counts else na(tr("none"))),
        Fact(
            tr("Debuggable"),
            Cell(badge=Badge(tr("yes"), "b-bad") if manifest.debuggable else Badge(tr("no"), "b-muted")),
        ),
        Fact("allowBackup", yes_no(manifest.allow_backup, unset=tr("not set (platform default)"))),
    )


def components_section(bundle: EvidenceBundle, max_rows: int) -> Section:
    """Exported components and content providers, with counts per kind."""
    manifest, avail = assessed_manifest(bundle)
    table = TableMaker(avail, max_rows)
    if manifest is None:
        return Section(
            id="components",
            title=tr("Components"),
            availability=avail,
            tables=(table(tr("Exported components"), (tr("Kind"),), [], ""),),
        )
    comps = manifest.components
    kinds = [k for k in _COMPONENT_KIND_ORDER if any(c.kind == k for c in comps)]
    kinds += sorted({c.kind for c in comps} - set(kinds))
    kind_rank = {k: i for i, k in enumerate(kinds)}
    exported = sorted((c for c in comps if c.exported), key=lambda c: (kind_rank[c.kind], c.name))
    providers = sorted((c for c in comps if c.kind == "provider"), key=lambda c: c.name)
    exported_rows = [_component_row(c) for c in exported]
    provider_rows = [_provider_row(p) for p in providers]
    return Section(
        id="components",
        title=tr("Components"),
        availability=avail,
        intro=(
            tr(
                "Exported components can be started by other apps. Content providers run their onCreate before "
                "the Application's, at process start."
            ),
        ),
        facts=_component_facts(manifest, kinds),
        tables=(
            table(
                tr("Exported components"),
                tuple(tr(c) for c in _COMPONENT_COLUMNS),
                exported_rows,
                tr("No component is exported."),
                noun=tr("components"),
            ),
            table(
                tr("Content providers"),
                tuple(tr(c) for c in _PROVIDER_COLUMNS),
                provider_rows,
                tr("No content provider is declared."),
                noun=tr("providers"),
            ),
        ),
    )


# --------------------------------------------------------------------------- network security


def _network_facts(ns: NetworkSecurity) -> tuple[Fact, ...]:
    return (
        Fact(
            "usesCleartextTraffic",
            yes_no(ns.uses_cleartext_attr, yes_css="b-bad", unset=tr("not set (platform default)")),
        ),
        Fact(
            tr("Network security config"),
            Cell(text=ns.config_resource, mono=True) if ns.config_resource else na(tr("none")),
        ),
        Fact(
            tr("Cleartext permitted (base config)"),
            yes_no(ns.cleartext_permitted_base, yes_css="b-bad", unset=tr("platform default")),
        ),
        Fact(tr("Cleartext allowed for domains"), list_cell(ns.cleartext_domains)),
        Fact(tr("Trusts user-installed CAs"), yes_no(ns.trusts_user_cas, yes_css="b-bad", unset=tr("no"))),
        Fact(
            tr("Debug build trusts user CAs"),
            yes_no(ns.debug_overrides_trust_user, yes_css="b-warn", unset=tr("no")),
        ),
        Fact(tr("Certificate pinning for"), list_cell(ns.pinned_domains)),
    )


def network_security_section(bundle: EvidenceBundle) -> Section:
    """Cleartext traffic, user-installed CAs and certificate pinning."""
    manifest, avail = assessed_manifest(bundle)
    ns = manifest.network_security if manifest else None
    return Section(
        id="network-security",
        title=tr("Network security"),
        availability=avail,
        notices=(Notice("n-info", tr("Note"), ns.note),) if ns and ns.note else (),
        facts=_network_facts(ns) if ns else (),
    )


# --------------------------------------------------------------------------- package visibility


def _visibility_facts(pv: PackageVisibility) -> tuple[Fact, ...]:
    return (
        Fact(
            "QUERY_ALL_PACKAGES",
            Cell(
                badge=Badge(tr("requested"), "b-bad")
                if pv.query_all_packages
                else Badge(tr("not requested"), "b-muted")
            ),
        ),
        Fact(tr("Queried packages"), list_cell(pv.packages)),
        Fact(tr("Queried intent actions"), list_cell(pv.intent_actions)),
        Fact(tr("Queried providers"), list_cell(pv.providers)),
    )


def package_visibility_section(bundle: EvidenceBundle) -> Section:
    """How much of the list of installed apps the app may see."""
    manifest, avail = assessed_manifest(bundle)
    return Section(
        id="package-visibility",
        title=tr("Package visibility"),
        availability=avail,
        intro=(tr("How much of the list of installed apps (软件列表) the app may see on Android 11 and later."),),
        facts=_visibility_facts(manifest.package_visibility) if manifest else (),
    )
