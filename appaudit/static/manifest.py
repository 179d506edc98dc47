"""Build :class:`ManifestEvidence` from the decoded AndroidManifest.xml (and the network security config).

Android rules applied here, with their sources:

* Class names: a leading ``.`` or a name without any dot is relative to the package
  (``PackageParser.buildClassName``).
* ``android:exported``: an explicit value wins; otherwise a component is exported iff it has an
  ``<intent-filter>``; a ``<provider>`` without the attribute is exported when targetSdk ≤ 16
  (``<provider>`` docs). Since targetSdk 31 a component with an intent-filter *must* say it
  explicitly — such an APK is refused by Android 12+, but older devices still apply the implicit rule,
  so the implicit answer is reported.
* Cleartext: with a network_security_config, ``usesCleartextTraffic`` is ignored on Android 7.0+;
  without a ``cleartextTrafficPermitted`` value, cleartext is allowed by default only for targetSdk < 28.
  User-installed CAs are trusted by default only for targetSdk ≤ 23.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from lxml import etree

from appaudit.errors import InputError
from appaudit.evidence.model import (
    Component,
    ManifestEvidence,
    MetaData,
    NetworkSecurity,
    PackageVisibility,
    PartError,
    PermissionRequest,
)

if TYPE_CHECKING:
    from appaudit.static.androguard_adapter import AndroguardAdapter

ANDROID_NS = "http://schemas.android.com/apk/res/android"
COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")
PERMISSION_TAGS = ("uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m")
QUERY_ALL_PACKAGES = "android.permission.QUERY_ALL_PACKAGES"
ACTION_MAIN = "android.intent.action.MAIN"
CATEGORY_LAUNCHER = "android.intent.category.LAUNCHER"

# Platform defaults (see the module docstring).
CLEARTEXT_DEFAULT_OFF_FROM_SDK = 28
USER_CA_DEFAULT_TRUST_UP_TO_SDK = 23
PROVIDER_DEFAULT_EXPORTED_UP_TO_SDK = 16


class _PermissionInfo(Protocol):
    name_zh: str | None
    name_en: str | None
    group: str | None
    group_zh: str | None
    protection_level: str | None
    runtime: bool | None
    pi_types: tuple[str, ...]


class _PermissionTable(Protocol):
    def lookup(self, name: str) -> _PermissionInfo | None: ...


def build_manifest_evidence(
    adapter: AndroguardAdapter, permission_table: _PermissionTable | None = None
) -> tuple[ManifestEvidence, tuple[PartError, ...]]:
    """The manifest evidence plus the errors met on the way (e.g. an undecodable network config).

    Raises InputError when there is no decodable manifest at all: nothing here can be inferred then.
    """
    root = adapter.manifest
    if root is None:
        reasons = "; ".join(e.message for e in adapter.errors if e.scope == "AndroidManifest.xml")
        raise InputError(f"AndroidManifest.xml could not be decoded{': ' + reasons if reasons else ''}")
    if permission_table is None:
        from appaudit.knowledge.permissions import load_permission_table

        permission_table = load_permission_table()

    errors: list[PartError] = []
    package = root.get("package") or ""
    target_sdk = adapter.facts.effective_target_sdk
    application = root.find("application")

    def boolean(element: etree._Element | None, name: str) -> bool | None:
        return _bool(_attr(element, name), adapter)

    components = tuple(_components(application, package, target_sdk, adapter)) if application is not None else ()
    permissions = _permissions(root, permission_table)
    evidence = ManifestEvidence(
        permissions=permissions,
        declared_permissions=tuple(dict.fromkeys(n for p in root.findall("permission") if (n := _attr(p, "name")))),
        application_class=_class_name(package, _attr(application, "name")),
        launcher_activities=_launcher_activities(components),
        components=components,
        meta_data=tuple(_meta_data(application, package, adapter)) if application is not None else (),
        package_visibility=_package_visibility(root, permissions),
        network_security=_network_security(application, target_sdk, adapter, errors),
        debuggable=boolean(application, "debuggable") is True,
        allow_backup=boolean(application, "allowBackup"),
    )
    return evidence, tuple(errors)


# --------------------------------------------------------------------------- permissions


def _permissions(root: etree._Element, table: _PermissionTable) -> tuple[PermissionRequest, ...]:
    requests: dict[str, PermissionRequest] = {}
    for element in root.iter(*PERMISSION_TAGS):
        name = _attr(element, "name")
        if not name or name in requests:
            continue
        info = table.lookup(name)
        max_sdk = _int(_attr(element, "maxSdkVersion"))
        if info is None:
            requests[name] = PermissionRequest(name=name, max_sdk=max_sdk)
            continue
        requests[name] = PermissionRequest(
            name=name,
            max_sdk=max_sdk,
            known=True,
            protection_level=info.protection_level,
            runtime=info.runtime,
            group=info.group,
            group_zh=info.group_zh,
            name_zh=info.name_zh,
            name_en=info.name_en,
            pi_types=tuple(info.pi_types),
        )
    return tuple(requests.values())


# --------------------------------------------------------------------------- components


def _components(
    application: etree._Element, package: str, target_sdk: int, adapter: AndroguardAdapter
) -> Iterable[Component]:
    launcher_targets: set[str] = set()
    elements = [e for e in application if isinstance(e.tag, str) and e.tag in COMPONENT_TAGS]
    for element in elements:
        if element.tag == "activity-alias" and _is_launcher(element):
            target = _class_name(package, _attr(element, "targetActivity"))
            if target:
                launcher_targets.add(target)

    for element in elements:
        name = _class_name(package, _attr(element, "name"))
        if not name:
            continue
        exported, reason = _exported(element, target_sdk, adapter)
        authorities = tuple(a.strip() for a in (_attr(element, "authorities") or "").split(";") if a.strip())
        yield Component(
            kind=element.tag,
            name=name,
            exported=exported,
            exported_reason=reason,
            enabled=_bool(_attr(element, "enabled"), adapter) is not False,
            permission=_component_permission(element),
            authorities=authorities,
            intent_actions=tuple(
                dict.fromkeys(
                    action
                    for intent_filter in element.findall("intent-filter")
                    for a in intent_filter.findall("action")
                    if (action := _attr(a, "name"))
                )
            ),
            is_launcher=element.tag in ("activity", "activity-alias")
            and (_is_launcher(element) or (element.tag == "activity" and name in launcher_targets)),
        )


def _exported(element: etree._Element, target_sdk: int, adapter: AndroguardAdapter) -> tuple[bool, str]:
    explicit = _bool(_attr(element, "exported"), adapter)
    if explicit is not None:
        return explicit, "explicit"
    if element.find("intent-filter") is not None:
        return True, "intent-filter"
    if element.tag == "provider":
        return target_sdk <= PROVIDER_DEFAULT_EXPORTED_UP_TO_SDK, "default"
    return False, "default"


def _component_permission(element: etree._Element) -> str | None:
    permission = _attr(element, "permission")
    if permission or element.tag != "provider":
        return permission
    read, write = _attr(element, "readPermission"), _attr(element, "writePermission")
    if read and read == write:
        return read
    if read or write:
        return f"read={read or '-'}; write={write or '-'}"
    return None


def _launcher_activities(components: tuple[Component, ...]) -> tuple[str, ...]:
    """The activity classes that start from the launcher (an alias counts as its target activity)."""
    return tuple(dict.fromkeys(c.name for c in components if c.kind == "activity" and c.is_launcher and c.enabled))


def _is_launcher(element: etree._Element) -> bool:
    for intent_filter in element.findall("intent-filter"):
        actions = {_attr(a, "name") for a in intent_filter.findall("action")}
        categories = {_attr(c, "name") for c in intent_filter.findall("category")}
        if ACTION_MAIN in actions and CATEGORY_LAUNCHER in categories:
            return True
    return False


# --------------------------------------------------------------------------- meta-data, queries


def _meta_data(application: etree._Element, package: str, adapter: AndroguardAdapter) -> Iterable[MetaData]:
    scopes: list[tuple[str, etree._Element]] = [("application", application)]
    for element in application:
        if isinstance(element.tag, str) and element.tag in COMPONENT_TAGS:
            scopes.append((_class_name(package, _attr(element, "name")) or element.tag, element))
    for scope, owner in scopes:
        for item in owner.findall("meta-data"):
            name = _attr(item, "name")
            if not name:
                continue
            value = _attr(item, "value")
            if value is None and (resource := _attr(item, "resource")) is not None:
                value = adapter.resolve(resource) or resource
            yield MetaData(name=name, value=value, scope=scope)


def _package_visibility(root: etree._Element, permissions: tuple[PermissionRequest, ...]) -> PackageVisibility:
    packages: list[str] = []
    actions: list[str] = []
    providers: list[str] = []
    for queries in root.findall("queries"):
        packages += [n for p in queries.findall("package") if (n := _attr(p, "name"))]
        actions += [n for i in queries.findall("intent") for a in i.findall("action") if (n := _attr(a, "name"))]
        for provider in queries.findall("provider"):
            providers += [a.strip() for a in (_attr(provider, "authorities") or "").split(";") if a.strip()]
    return PackageVisibility(
        query_all_packages=any(p.name == QUERY_ALL_PACKAGES for p in permissions),
        packages=tuple(dict.fromkeys(packages)),
        intent_actions=tuple(dict.fromkeys(actions)),
        providers=tuple(dict.fromkeys(providers)),
    )


# --------------------------------------------------------------------------- network security


def _network_security(
    application: etree._Element | None,
    target_sdk: int,
    adapter: AndroguardAdapter,
    errors: list[PartError],
) -> NetworkSecurity:
    uses_cleartext = _bool(_attr(application, "usesCleartextTraffic"), adapter)
    default_cleartext = target_sdk < CLEARTEXT_DEFAULT_OFF_FROM_SDK
    default_user_ca = target_sdk <= USER_CA_DEFAULT_TRUST_UP_TO_SDK
    platform = (
        f"platform default for targetSdk {target_sdk}: cleartext "
        f"{'allowed' if default_cleartext else 'blocked'} (allowed by default only below targetSdk "
        f"{CLEARTEXT_DEFAULT_OFF_FROM_SDK})"
    )
    reference = _attr(application, "networkSecurityConfig")
    if reference is None:
        if uses_cleartext is None:
            note = f"no network_security_config and no usesCleartextTraffic; {platform}"
        else:
            note = f"no network_security_config; usesCleartextTraffic={str(uses_cleartext).lower()} decides"
        if default_user_ca:
            note += f"; user-installed CAs trusted by default (targetSdk ≤ {USER_CA_DEFAULT_TRUST_UP_TO_SDK})"
        return NetworkSecurity(
            uses_cleartext_attr=uses_cleartext,
            config_resource=None,
            cleartext_permitted_base=None,
            trusts_user_cas=default_user_ca,
            note=note,
        )

    path = adapter.resolve(reference)
    if path is None or path.startswith("@"):
        errors.append(PartError("network_security_config", f"resource {reference} could not be resolved"))
        return NetworkSecurity(
            uses_cleartext_attr=uses_cleartext,
            config_resource=reference,
            cleartext_permitted_base=None,
            note=f"network_security_config {reference} could not be resolved; its settings are unknown",
        )
    decoded = adapter.decode_xml(path)
    if decoded.element is None:
        if decoded.error is not None:
            errors.append(decoded.error)
        return NetworkSecurity(
            uses_cleartext_attr=uses_cleartext,
            config_resource=path,
            cleartext_permitted_base=None,
            note=f"{path} could not be decoded; its settings are unknown",
        )
    config = _parse_network_security_config(decoded.element, adapter)
    notes = [f"{path} present: usesCleartextTraffic is ignored on Android 7.0+"]
    if config.base_cleartext is None:
        notes.append(f"base-config sets no cleartextTrafficPermitted; {platform}")
    else:
        notes.append(f"base-config cleartextTrafficPermitted={str(config.base_cleartext).lower()}")
    trusts_user = config.base_trusts_user if config.base_trusts_user is not None else default_user_ca
    if config.base_trusts_user is None and default_user_ca:
        notes.append(f"user-installed CAs trusted by default (targetSdk ≤ {USER_CA_DEFAULT_TRUST_UP_TO_SDK})")
    return NetworkSecurity(
        uses_cleartext_attr=uses_cleartext,
        config_resource=path,
        cleartext_permitted_base=config.base_cleartext,
        cleartext_domains=config.cleartext_domains,
        trusts_user_cas=trusts_user or config.domain_trusts_user,
        debug_overrides_trust_user=config.debug_trusts_user,
        pinned_domains=config.pinned_domains,
        note="; ".join(notes),
    )


class _ParsedConfig:
    def __init__(self) -> None:
        self.base_cleartext: bool | None = None
        self.base_trusts_user: bool | None = None  # None: base-config has no trust-anchors
        self.domain_trusts_user = False
        self.debug_trusts_user = False
        self.cleartext_domains: tuple[str, ...] = ()
        self.pinned_domains: tuple[str, ...] = ()


def _parse_network_security_config(root: etree._Element, adapter: AndroguardAdapter) -> _ParsedConfig:
    parsed = _ParsedConfig()
    base = root.find("base-config")
    if base is not None:
        parsed.base_cleartext = _bool(base.get("cleartextTrafficPermitted"), adapter)
        anchors = base.find("trust-anchors")
        if anchors is not None:
            parsed.base_trusts_user = _has_user_certificates(anchors)
    debug = root.find("debug-overrides")
    if debug is not None:
        anchors = debug.find("trust-anchors")
        parsed.debug_trusts_user = anchors is not None and _has_user_certificates(anchors)

    cleartext: list[str] = []
    pinned: list[str] = []

    def walk(domain_config: etree._Element, inherited_cleartext: bool | None, inherited_pins: bool) -> None:
        own = _bool(domain_config.get("cleartextTrafficPermitted"), adapter)
        permitted = own if own is not None else inherited_cleartext
        pins = inherited_pins or domain_config.find("pin-set") is not None
        domains = [d.text.strip() for d in domain_config.findall("domain") if d.text and d.text.strip()]
        if permitted:
            cleartext.extend(domains)
        if pins:
            pinned.extend(domains)
        anchors = domain_config.find("trust-anchors")
        if anchors is not None and _has_user_certificates(anchors):
            parsed.domain_trusts_user = True
        for nested in domain_config.findall("domain-config"):
            walk(nested, permitted, pins)

    # A domain-config without its own value inherits base-config's (itself possibly the default);
    # only domains where cleartext ends up explicitly permitted are listed.
    for domain_config in root.findall("domain-config"):
        walk(domain_config, parsed.base_cleartext, False)
    parsed.cleartext_domains = tuple(dict.fromkeys(cleartext))
    parsed.pinned_domains = tuple(dict.fromkeys(pinned))
    return parsed


def _has_user_certificates(anchors: etree._Element) -> bool:
    return any((c.get("src") or "").strip() == "user" for c in anchors.findall("certificates"))


# --------------------------------------------------------------------------- small helpers


def _attr(element: etree._Element | None, name: str) -> str | None:
    if element is None:
        return None
    value = element.get(f"{{{ANDROID_NS}}}{name}")
    return value if value is not None else element.get(name)


def _bool(raw: str | None, adapter: AndroguardAdapter) -> bool | None:
    """Parse a boolean attribute; ``@7F…`` references to bool resources are resolved."""
    if raw is None:
        return None
    if raw.startswith("@"):
        resolved = adapter.resolve(raw)
        if resolved is None or resolved.startswith("@"):
            return None
        raw = resolved
    return {"true": True, "false": False}.get(raw.strip().lower())


def _int(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw, 0)
    except ValueError:
        return None


def _class_name(package: str, name: str | None) -> str | None:
    """Android's ``buildClassName``: ``.App`` and ``App`` are relative to the package."""
    if not name:
        return None
    if name.startswith("."):
        return package + name
    if "." not in name:
        return f"{package}.{name}" if package else name
    return name
