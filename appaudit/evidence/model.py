"""The evidence bundle: everything appaudit observed about one app, as frozen data.

Every later stage (checks, reports) reads only this model, never an APK or a proxy, so an
``evidence.json`` can be re-evaluated offline. Absent evidence is explicit: each collection
step records a :class:`PartStatus`, and a part that failed or was skipped is never read as
"nothing found".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from appaudit.evidence.common import Confidence
from appaudit.evidence.device import DeviceEvidence
from appaudit.evidence.policy_text import PolicyEvidence
from appaudit.evidence.traffic import TrafficEvidence

# 1.1 added the dynamic sections (traffic, device, policy); 1.0 files still load (they are None there).
SCHEMA_VERSION = "1.1"


class Status(StrEnum):
    """Outcome of one collection step."""

    OK = "ok"
    PARTIAL = "partial"  # ran, but some inputs failed (see errors)
    FAILED = "failed"  # produced nothing usable
    SKIPPED = "skipped"  # not run (not requested, or a prerequisite failed)


@dataclass(frozen=True)
class PartError:
    """One failure inside a step, scoped as narrowly as possible (a DEX, a class, a method)."""

    scope: str  # e.g. "classes3.dex", "classes2.dex:Lcom/x/Y;->m()V", "resources.arsc"
    message: str


@dataclass(frozen=True)
class PartStatus:
    """How one evidence part was collected."""

    name: str  # "identity", "manifest", "dex", ..., "policy_hints", "endpoints"; dynamic: "traffic", "device", "policy"
    status: Status
    seconds: float = 0.0
    errors: tuple[PartError, ...] = ()
    note: str = ""


# --------------------------------------------------------------------------- identity


@dataclass(frozen=True)
class Certificate:
    sha256: str
    sha1: str
    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str


@dataclass(frozen=True)
class Signing:
    schemes: tuple[str, ...]  # subset of ("v1", "v2", "v3", "v3.1", "v4")
    certificates: tuple[Certificate, ...]
    verified: bool | None = None  # None: signatures not cryptographically verified by appaudit
    note: str = ""


@dataclass(frozen=True)
class DexFile:
    name: str  # "classes.dex", "classes2.dex", ...
    size: int
    sha256: str
    class_count: int | None = None  # None when the header could not be read
    method_count: int | None = None


@dataclass(frozen=True)
class AppIdentity:
    package: str
    version_name: str | None
    version_code: str | None
    label: str | None
    min_sdk: int | None
    target_sdk: int | None
    apk_sha256: str
    file_size: int
    signing: Signing
    dex_files: tuple[DexFile, ...]
    native_abis: tuple[str, ...] = ()
    split_name: str | None = None  # set for a split APK; None for a base APK
    is_split_base: bool = False  # base APK that declares required splits

    @property
    def dex_count(self) -> int:
        return len(self.dex_files)


# --------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class PermissionRequest:
    """A ``<uses-permission>`` with what appaudit's permission table knows about it."""

    name: str
    max_sdk: int | None = None
    known: bool = False  # present in appaudit's permission table
    protection_level: str | None = None
    runtime: bool | None = None
    group: str | None = None
    group_zh: str | None = None
    name_zh: str | None = None
    name_en: str | None = None
    pi_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Component:
    kind: str  # activity | activity-alias | service | receiver | provider
    name: str
    exported: bool
    exported_reason: str  # "explicit" | "intent-filter" | "default"
    enabled: bool = True
    permission: str | None = None
    authorities: tuple[str, ...] = ()
    intent_actions: tuple[str, ...] = ()
    is_launcher: bool = False


@dataclass(frozen=True)
class MetaData:
    name: str
    value: str | None
    scope: str = "application"  # or the component name it belongs to


@dataclass(frozen=True)
class PackageVisibility:
    """``<queries>`` and QUERY_ALL_PACKAGES: how much of the installed-app list the app may see."""

    query_all_packages: bool
    packages: tuple[str, ...] = ()
    intent_actions: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkSecurity:
    """Cleartext and CA-trust settings (manifest attribute plus network_security_config.xml)."""

    uses_cleartext_attr: bool | None
    config_resource: str | None
    cleartext_permitted_base: bool | None  # None: platform default applies
    cleartext_domains: tuple[str, ...] = ()
    trusts_user_cas: bool = False
    debug_overrides_trust_user: bool = False
    pinned_domains: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ManifestEvidence:
    permissions: tuple[PermissionRequest, ...]
    declared_permissions: tuple[str, ...]
    application_class: str | None
    launcher_activities: tuple[str, ...]
    components: tuple[Component, ...]
    meta_data: tuple[MetaData, ...]
    package_visibility: PackageVisibility
    network_security: NetworkSecurity
    debuggable: bool = False
    allow_backup: bool | None = None


# --------------------------------------------------------------------------- code


@dataclass(frozen=True)
class MethodRef:
    """A method in smali notation: ``Lcom/x/Y;->name(Ljava/lang/String;)V``."""

    class_name: str  # "Lcom/x/Y;"
    name: str
    descriptor: str  # "(Ljava/lang/String;)V"

    def __str__(self) -> str:
        return f"{self.class_name}->{self.name}{self.descriptor}"

    @property
    def java_class(self) -> str:
        return self.class_name[1:-1].replace("/", ".") if self.class_name.startswith("L") else self.class_name


@dataclass(frozen=True)
class SignatureMatch:
    kind: str  # class_prefix | manifest_component | meta_data | native_lib | asset | domain | permission
    signature: str  # the database signature that matched
    count: int  # how many things it matched (classes, components, ...)
    examples: tuple[str, ...] = ()  # a few of the matched items, for the reader


@dataclass(frozen=True)
class SdkHit:
    sdk_id: str
    name: str
    name_zh: str | None
    vendor: str | None
    categories: tuple[str, ...]
    confidence: Confidence
    class_count: int
    matches: tuple[SignatureMatch, ...]
    parent: str | None = None
    # How the app uses the SDK (see appaudit/static/sdk_usage.py): embedded | reachable |
    # initialised_at_startup | initialised_at_startup_guarded | initialised_later | not_assessed
    usage: str = "not_assessed"
    usage_evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiCallSite:
    """One invoke (or field read) of a privacy-sensitive API in the app's bytecode."""

    api_id: str
    api: str  # the referenced member in smali notation
    pi_types: tuple[str, ...]
    caller: MethodRef
    dex: str
    offset: int  # code-unit offset of the instruction inside the caller
    sdk_id: str | None = None  # the SDK the caller belongs to, None for first-party code
    argument: str | None = None  # constant argument seen (e.g. "android_id"), when the API needs one


@dataclass(frozen=True)
class ConsentGuard:
    """A consent check recognised on a start-up chain."""

    method: MethodRef  # the method that contains the check
    branch_offset: int
    condition: str  # e.g. 'SharedPreferences.getBoolean("privacy_agreed")'
    recognised_by: str  # how the guard was recognised, in words


@dataclass(frozen=True)
class EntryPoint:
    # application_init | application_attach | application_oncreate | provider_init | provider_oncreate |
    # static_initializer | androidx_startup_initializer | launcher_oncreate
    kind: str
    method: MethodRef
    component: str | None = None


@dataclass(frozen=True)
class StartupFinding:
    """A sensitive API or SDK initialisation reachable from code that runs before any consent UI."""

    kind: str  # "sensitive_api" | "sdk_init"
    target: str  # api_id or sdk_id
    pi_types: tuple[str, ...]
    entry_point: EntryPoint
    chain: tuple[str, ...]  # entry method → ... → the call site's method → the callee, smali notation
    guard: ConsentGuard | None = None
    via: tuple[str, ...] = ()  # how each step of the chain is taken: "invoke" or "async" (a task started)
    call_offset: int = 0  # code-unit offset of the final call inside the chain's last method

    @property
    def guarded(self) -> bool:
        return self.guard is not None


@dataclass(frozen=True)
class StartupEvidence:
    entry_points: tuple[EntryPoint, ...]
    findings: tuple[StartupFinding, ...]
    max_depth: int
    budget_exhausted: bool = False  # a search limit cut the exploration: absence is inconclusive
    note: str = ""


# --------------------------------------------------------------------------- resources


@dataclass(frozen=True)
class PolicyDocument:
    path: str  # entry path inside the APK
    kind: str  # asset | raw_resource | html
    size: int
    title: str | None = None
    language: str | None = None  # "zh-Hans", "zh-Hant", "en", ...
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextHint:
    """A string that hints at a privacy policy or consent dialog, with where it was found."""

    text: str
    location: str  # "res/values/strings.xml:consent_title", "res/layout/dialog_consent.xml", "classes.dex"
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyHints:
    urls: tuple[TextHint, ...]
    documents: tuple[PolicyDocument, ...]
    policy_strings: tuple[TextHint, ...]
    consent_strings: tuple[TextHint, ...]
    consent_layouts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    host: str
    urls: tuple[str, ...]
    sources: tuple[str, ...]  # where the host was seen: "classes.dex", "res/values/strings.xml", ...
    party: str  # "first_party" | "sdk" | "unknown"
    sdk_id: str | None = None
    cleartext: bool = False


# --------------------------------------------------------------------------- bundle


@dataclass(frozen=True)
class ToolInfo:
    name: str
    version: str
    androguard_version: str | None = None


@dataclass(frozen=True)
class InputFile:
    file_name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class EvidenceBundle:
    """Everything collected for one app. Absent parts are None and explained in ``parts``."""

    tool: ToolInfo
    created_at: str
    input: InputFile
    parts: tuple[PartStatus, ...]
    app: AppIdentity | None = None
    manifest: ManifestEvidence | None = None
    sdks: tuple[SdkHit, ...] = ()
    api_calls: tuple[ApiCallSite, ...] = ()
    startup: StartupEvidence | None = None
    policy_hints: PolicyHints | None = None
    endpoints: tuple[Endpoint, ...] = ()
    archive_anomalies: tuple[str, ...] = ()
    # The dynamic sections, each with its own part ("traffic", "device", "policy"); None until collected.
    traffic: TrafficEvidence | None = None
    device: DeviceEvidence | None = None
    policy: PolicyEvidence | None = None
    schema_version: str = field(default=SCHEMA_VERSION)

    def part(self, name: str) -> PartStatus | None:
        return next((p for p in self.parts if p.name == name), None)
