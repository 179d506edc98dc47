"""The only door to androguard: APK metadata, signing, resources and binary XML as plain data.

Why androguard's ``APK`` is never opened on the file itself (checked against androguard 4.1.4):
``APK(path)`` reads the *whole* file into memory (apkInspector's ``ZipEntry.parse`` copies it into a
``BytesIO``) and every later ``zip.read`` inflates an entry with an unbounded ``zlib.decompress`` — a
zip bomb in ``resources.arsc`` or a signature file would exhaust memory. So :class:`_BoundedApk`
subclasses ``APK`` without running its constructor and gives it a stand-in zip whose ``read`` goes
through :meth:`ApkArchive.read` with a per-entry cap. The v2/v3 signature parser wants "the raw
APK" only to find the APK Signing Block before the central directory; it gets a small synthetic
buffer (signing block + stub central directory + end record) read from the file tail with explicit
bounds, never the whole file.

Every androguard failure is caught here and recorded as a :class:`PartError`; no androguard object
(``APK``, ``ARSCParser``, ``AXMLPrinter``, asn1crypto certificates) leaves this module. The manifest and
decoded XML are handed out as lxml elements, which are plain XML trees.
"""

from __future__ import annotations

import contextlib
import io
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from androguard.core.apk import APK
from androguard.core.axml import ARSCParser, AXMLPrinter
from androguard.util import get_certificate_name_string
from loguru import logger
from lxml import etree

from appaudit.errors import ArchiveError
from appaudit.evidence.model import Certificate, PartError, Signing

if TYPE_CHECKING:
    from appaudit.static.archive import ApkArchive

# androguard logs through loguru at INFO/WARNING for routine things ("Requested API level ...",
# "No default resource config ..."); appaudit owns stderr. Disabling the "androguard" namespace
# leaves the user's own loguru handlers untouched.
logger.disable("androguard")

ANDROID_NS = "http://schemas.android.com/apk/res/android"
MANIFEST = "AndroidManifest.xml"
RESOURCES = "resources.arsc"

# Per-entry caps for what androguard is fed. Real manifests are a few hundred KiB at most; big
# apps ship resources.arsc of 10-30 MiB; binary XML files under res/ are small.
MAX_MANIFEST_BYTES = 8 * 1024 * 1024
MAX_RESOURCES_BYTES = 64 * 1024 * 1024
MAX_XML_BYTES = 4 * 1024 * 1024
MAX_SIGNATURE_FILE_BYTES = 4 * 1024 * 1024
# v1: Android verifies every signer; more than a handful of signature files is an attack on time.
MAX_V1_SIGNATURE_FILES = 8
# APK Signing Blocks hold certificates, signatures and padding: tens of KiB in practice.
MAX_SIGNING_BLOCK_BYTES = 16 * 1024 * 1024

_APK_SIG_MAGIC = b"APK Sig Block 42"
_EOCD_MAGIC = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_ZIP_COMMENT = 0xFFFF

# Locale preference when an app label has no default-configuration value. The audited apps are
# meant for the Chinese market, so Simplified Chinese comes first, then other Chinese, then English.
_LABEL_LOCALE_PREFERENCE = ("zh-rCN", "zh", "zh-rHK", "zh-rTW", "en", "en-rUS", "en-rGB")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Swallow what androguard ``print()``s to stdout (ARSCComplex on malformed resources does),
    which would otherwise corrupt appaudit's machine output. Not thread-safe: sys.stdout is global."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


# --------------------------------------------------------------------------- plain results


@dataclass(frozen=True)
class StringResource:
    """One ``<string>`` value for one configuration in resources.arsc."""

    resource_id: int
    name: str
    config: str  # resource qualifier, "" for the default configuration, e.g. "zh-rCN", "en-night"
    locale: str  # language[-rREGION] or "" when the configuration has no locale
    value: str

    @property
    def reference(self) -> str:
        """How binary XML spells a reference to this string, e.g. ``@7F030004``."""
        return f"@{self.resource_id:08X}"


@dataclass(frozen=True)
class ResourceTable:
    """All string resources, or why there are none."""

    strings: tuple[StringResource, ...]
    error: PartError | None = None
    present: bool = True  # False when the APK has no resources.arsc at all


@dataclass(frozen=True)
class DecodedXml:
    """A binary XML entry decoded to text and an lxml tree (both None on failure)."""

    path: str
    text: str | None
    element: etree._Element | None
    error: PartError | None = None


@dataclass(frozen=True)
class ApkFacts:
    """What the manifest, resources and signing block say about the app's identity."""

    package: str | None
    version_name: str | None
    version_code: str | None
    label: str | None
    min_sdk: int | None  # as declared; None when absent
    target_sdk: int | None  # as declared; None when absent
    split_name: str | None
    is_split_required: bool
    signing: Signing
    errors: tuple[PartError, ...] = ()

    @property
    def effective_target_sdk(self) -> int:
        """Android's rule: targetSdkVersion defaults to minSdkVersion, which defaults to 1."""
        return self.target_sdk or self.min_sdk or 1


# --------------------------------------------------------------------------- bounded plumbing


class _BoundedZip:
    """The subset of apkInspector's ``ZipEntry`` that ``APK`` uses, backed by bounded reads."""

    def __init__(self, archive: ApkArchive) -> None:
        self._archive = archive

    def namelist(self) -> list[str]:
        return list(self._archive.names)

    def read(self, name: str) -> bytes:
        if not self._archive.has(name):
            raise KeyError(name)  # APK turns KeyError into "missing" / FileNotPresent
        return self._archive.read(name, max_bytes=_cap_for(name))


def _cap_for(name: str) -> int:
    if name == MANIFEST:
        return MAX_MANIFEST_BYTES
    if name == RESOURCES:
        return MAX_RESOURCES_BYTES
    if name.startswith("META-INF/"):
        return MAX_SIGNATURE_FILE_BYTES
    return MAX_XML_BYTES


class _BoundedApk(APK):
    """androguard's APK with its archive access replaced (see the module docstring)."""

    def __init__(self, archive: ApkArchive, signing_view: bytes | None) -> None:  # no super().__init__
        # The attributes APK.__init__ would set, minus the raw file copy.
        self.filename = str(archive.path)
        self.xml: dict[str, Any] = {}
        self.axml: dict[str, Any] = {}
        self.arsc: dict[str, Any] = {}
        self.package = ""
        self.androidversion: dict[str, Any] = {}
        self.permissions: list[str] = []
        self.uses_permissions: list[Any] = []
        self.declared_permissions: dict[str, Any] = {}
        self.valid_apk = False
        self._v2_blocks = []
        self._v2_signing_data = None
        self._v3_signing_data = None
        self._v31_signing_data = None
        self._files = {}
        self.files_crc32 = {}
        self.zip = _BoundedZip(archive)
        self._signing_view = signing_view or b""
        self.v1_signature_files = 0
        if signing_view is None:
            # No APK Signing Block: answer "not signed with v2/v3" without parsing anything.
            self._is_signed_v2 = self._is_signed_v3 = self._is_signed_v31 = False
        else:
            self._is_signed_v2 = self._is_signed_v3 = self._is_signed_v31 = None

    def get_raw(self) -> bytes:
        # Only parse_v2_v3_signature calls this; it gets the synthetic signing-block buffer.
        return self._signing_view

    def get_signature_names(self) -> list[str]:
        names = super().get_signature_names()
        self.v1_signature_files = len(names)
        return names[:MAX_V1_SIGNATURE_FILES]


def _zip64_directory_offset(fh: BinaryIO, eocd_offset: int) -> int:
    """The central directory offset from the Zip64 end record that the locator before the end record names."""
    if eocd_offset < 20:
        raise ArchiveError("Zip64 end-of-central-directory locator missing")
    fh.seek(eocd_offset - 20)
    signature, _disk, zip64_end_offset, _disks = struct.unpack("<4sIQI", fh.read(20))
    if signature != b"PK\x06\x07" or zip64_end_offset + 56 > eocd_offset:
        raise ArchiveError("Zip64 end-of-central-directory locator missing or corrupt")
    fh.seek(zip64_end_offset)
    record = fh.read(56)
    if record[:4] != b"PK\x06\x06":
        raise ArchiveError("Zip64 end-of-central-directory record missing")
    return struct.unpack_from("<Q", record, 48)[0]


def _signing_block_view(path: Path, file_size: int) -> bytes | None:
    """Read the APK Signing Block and return it followed by a stub central directory and end record.

    That is the exact layout androguard's ``parse_v2_v3_signature`` walks (end record → central
    directory offset → 24 bytes before it: block size and magic → block start). None when the APK has
    no signing block. Raises ArchiveError for sizes that do not fit in the file or exceed the cap.
    """
    with path.open("rb") as fh:
        tail_len = min(file_size, _EOCD_SIZE + _MAX_ZIP_COMMENT)
        tail_start = file_size - tail_len
        fh.seek(tail_start)
        tail = fh.read(tail_len)
        # The last end record whose comment fits in the file, as Android's reader picks it.
        eocd_at = tail.rfind(_EOCD_MAGIC)
        while eocd_at >= 0 and not (
            eocd_at + _EOCD_SIZE <= len(tail)
            and eocd_at + _EOCD_SIZE + struct.unpack_from("<H", tail, eocd_at + 20)[0] <= len(tail)
        ):
            eocd_at = tail.rfind(_EOCD_MAGIC, 0, eocd_at)
        if eocd_at < 0:
            raise ArchiveError("end of central directory record not found")
        cd_offset = struct.unpack_from("<I", tail, eocd_at + 16)[0]
        if cd_offset == 0xFFFFFFFF:
            cd_offset = _zip64_directory_offset(fh, tail_start + eocd_at)
        if cd_offset < 32 or cd_offset > file_size:
            return None
        fh.seek(cd_offset - 24)
        block_size, magic = struct.unpack("<Q16s", fh.read(24))
        if magic != _APK_SIG_MAGIC:
            return None
        if block_size > MAX_SIGNING_BLOCK_BYTES or block_size + 8 > cd_offset or block_size < 24:
            raise ArchiveError(f"APK Signing Block size {block_size} is implausible")
        fh.seek(cd_offset - block_size - 8)
        block = fh.read(block_size + 8)
    stub_central_directory = b"PK\x01\x02"
    end_record = struct.pack("<4sHHHHIIH", _EOCD_MAGIC, 0, 0, 0, 0, len(stub_central_directory), len(block), 0)
    return block + stub_central_directory + end_record


# --------------------------------------------------------------------------- the adapter


class AndroguardAdapter:
    """Facts about one APK, read through androguard on bounded input. Never raises for bad input.

    Build it with :meth:`open`; everything it returns is plain data (dataclasses, str, lxml trees).
    """

    def __init__(self, archive: ApkArchive, apk: _BoundedApk, errors: list[PartError]) -> None:
        self._archive = archive
        self._apk = apk
        self._errors = errors
        self._arsc: ARSCParser | None = None
        self._arsc_error: PartError | None = None
        self._arsc_loaded = False
        self._resource_table: ResourceTable | None = None
        self._xml_cache: dict[str, DecodedXml] = {}
        self._facts: ApkFacts | None = None

    @classmethod
    def open(cls, archive: ApkArchive) -> AndroguardAdapter:
        errors: list[PartError] = []
        view: bytes | None = None
        try:
            view = _signing_block_view(Path(archive.path), archive.size)
        except (OSError, ArchiveError, struct.error) as exc:
            errors.append(PartError("signing", f"APK Signing Block unreadable: {exc}"))
        apk = _BoundedApk(archive, view)
        adapter = cls(archive, apk, errors)
        adapter._load_manifest()
        return adapter

    # ------------------------------------------------------------------ manifest

    def _load_manifest(self) -> None:
        if not self._archive.has(MANIFEST):
            self._errors.append(PartError(MANIFEST, "AndroidManifest.xml is missing"))
            return
        try:
            with _quiet():
                self._apk._apk_analysis()  # reads the manifest through _BoundedZip
        except ArchiveError as exc:
            self._errors.append(PartError(MANIFEST, str(exc)))
            return
        except Exception as exc:  # androguard raises anything from struct.error to KeyError
            self._errors.append(PartError(MANIFEST, f"androguard could not parse the manifest: {exc!r}"))
            return
        if self._apk.get_android_manifest_xml() is None or not self._apk.is_valid_APK():
            self._errors.append(PartError(MANIFEST, "AndroidManifest.xml is not valid binary XML"))

    @property
    def manifest(self) -> etree._Element | None:
        """The decoded manifest (shared: do not modify it).

        Android attributes are keyed ``{http://schemas.android.com/apk/res/android}name``; references
        stay as ``@7F040000`` (see :meth:`resolve`).
        """
        if not self._apk.is_valid_APK():
            return None
        return self._apk.get_android_manifest_xml()

    @property
    def manifest_text(self) -> str | None:
        root = self.manifest
        return None if root is None else etree.tostring(root, encoding="unicode", pretty_print=True)

    @property
    def errors(self) -> tuple[PartError, ...]:
        """Errors met opening the APK (manifest, signing block). Facts, resources and decoded XML carry
        their own errors (:attr:`ApkFacts.errors`, :attr:`ResourceTable.error`, :attr:`DecodedXml.error`)."""
        return tuple(self._errors)

    # ------------------------------------------------------------------ identity facts

    @property
    def facts(self) -> ApkFacts:
        if self._facts is None:
            self._facts = self._collect_facts()
        return self._facts

    def _collect_facts(self) -> ApkFacts:
        errors = list(self._errors)  # manifest and signing-block problems so far
        root = self.manifest
        application = root.find("application") if root is not None else None
        label, label_error = self._label(root)
        if label_error:
            errors.append(label_error)
        signing, signing_errors = self._signing()
        errors.extend(signing_errors)
        split_required = _attr(application, "isSplitRequired") if application is not None else None
        required_splits_meta = application is not None and any(
            _attr(md, "name") == "com.android.vending.splits.required" and (_attr(md, "value") or "").lower() == "true"
            for md in application.findall("meta-data")
        )
        return ApkFacts(
            package=(root.get("package") or None) if root is not None else None,
            version_name=_attr(root, "versionName") if root is not None else None,
            version_code=_attr(root, "versionCode") if root is not None else None,
            label=label,
            min_sdk=_sdk_int(root, "minSdkVersion"),
            target_sdk=_sdk_int(root, "targetSdkVersion"),
            split_name=(root.get("split") or None) if root is not None else None,
            is_split_required=(split_required or "").lower() == "true" or required_splits_meta,
            signing=signing,
            errors=tuple(dict.fromkeys(errors)),
        )

    def _label(self, root: etree._Element | None) -> tuple[str | None, PartError | None]:
        """The application label, else the launcher activity's label, resolved from resources."""
        if root is None:
            return None, None
        raw = None
        application = root.find("application")
        if application is not None:
            raw = _attr(application, "label")
        if raw is None and application is not None:
            package = root.get("package") or ""
            activities = {_class_name(package, _attr(a, "name")): a for a in application.iter("activity")}
            for component in application.iter("activity", "activity-alias"):
                if not _is_launcher(component):
                    continue
                raw = _attr(component, "label")
                if raw is None and component.tag == "activity-alias":
                    # An alias without a label shows its target activity's (PackageParser.parseActivityAlias).
                    target = _class_name(package, _attr(component, "targetActivity"))
                    raw = _attr(activities.get(target), "label")
                if raw is not None:
                    break
        if raw is None:
            return None, None
        if not raw.startswith("@"):
            return raw, None
        value, error = self._resolve_preferring_default(raw, prefer_locales=_LABEL_LOCALE_PREFERENCE)
        if error is not None:
            return None, PartError(RESOURCES, f"app label {raw}: {error}")
        return value, None

    # ------------------------------------------------------------------ signing

    def _signing(self) -> tuple[Signing, list[PartError]]:
        errors: list[PartError] = []
        apk = self._apk
        schemes: list[str] = []
        certificates: list[Certificate] = []
        seen: set[str] = set()

        def add(certs: list[Any]) -> None:
            for cert in certs:
                if cert is None:
                    continue
                converted = _certificate(cert)
                if converted.sha256 not in seen:
                    seen.add(converted.sha256)
                    certificates.append(converted)

        v1_names = _guard(errors, "signing:v1", apk.get_signature_names) or []
        if v1_names:
            schemes.append("v1")
            if apk.v1_signature_files > len(v1_names):
                errors.append(
                    PartError(
                        "signing:v1",
                        f"{apk.v1_signature_files} v1 signature files; only the first {len(v1_names)} read",
                    )
                )
            v1 = _guard(errors, "signing:v1", apk.get_certificates_v1)
            if v1 is not None:
                add(v1)
                if not v1:
                    errors.append(PartError("signing:v1", "no v1 signer matched its .SF file"))
        for scheme, is_signed, get_certs in (
            ("v2", apk.is_signed_v2, apk.get_certificates_v2),
            ("v3", apk.is_signed_v3, apk.get_certificates_v3),
            ("v3.1", apk.is_signed_v31, apk.get_certificates_v31),
        ):
            if _guard(errors, f"signing:{scheme}", is_signed):
                schemes.append(scheme)
                add(_guard(errors, f"signing:{scheme}", get_certs) or [])
        signing = Signing(
            schemes=tuple(schemes),
            certificates=tuple(certificates),
            verified=None,
            note="parsed, not cryptographically verified (v1 signer info is checked against its .SF)",
        )
        return signing, errors

    # ------------------------------------------------------------------ resources

    def _resources(self) -> tuple[ARSCParser | None, PartError | None]:
        if not self._arsc_loaded:
            self._arsc_loaded = True
            if self._archive.has(RESOURCES):
                try:
                    data = self._archive.read(RESOURCES, max_bytes=MAX_RESOURCES_BYTES)
                    with _quiet():
                        self._arsc = ARSCParser(data)
                        self._arsc._analyse()  # force the lazy pass here so its failures are caught here
                except ArchiveError as exc:
                    self._arsc, self._arsc_error = None, PartError(RESOURCES, str(exc))
                except Exception as exc:
                    self._arsc = None
                    self._arsc_error = PartError(RESOURCES, f"androguard could not parse resources.arsc: {exc!r}")
        return self._arsc, self._arsc_error

    def resources(self) -> ResourceTable:
        """Every string resource in every configuration (cached)."""
        if self._resource_table is None:
            self._resource_table = self._build_resource_table()
        return self._resource_table

    def _build_resource_table(self) -> ResourceTable:
        if not self._archive.has(RESOURCES):
            return ResourceTable(strings=(), present=False)
        arsc, error = self._resources()
        if arsc is None:
            return ResourceTable(strings=(), error=error)
        strings: list[StringResource] = []
        try:
            for package in arsc.get_packages_names():
                for name, rid in arsc.resource_keys[package].get("string", {}).items():
                    for config, entry in arsc.resource_values.get(rid, {}).items():
                        if entry.is_complex():
                            continue  # <plurals>/<string-array> are not <string>
                        value = entry.get_key_data()
                        if value is None:
                            continue
                        strings.append(
                            StringResource(
                                resource_id=rid,
                                name=name,
                                config=config.get_qualifier(),
                                locale=_locale_of(config),
                                value=str(value),
                            )
                        )
        except Exception as exc:
            return ResourceTable(
                strings=tuple(strings), error=PartError(RESOURCES, f"string resources incomplete: {exc!r}")
            )
        return ResourceTable(strings=tuple(strings))

    def resolve(self, value: str) -> str | None:
        """Resolve a binary-XML reference (``@7F040000``) for the default configuration.

        File resources resolve to their entry path (``res/xml/network_security_config.xml``), strings
        and booleans to their value. Non-references are returned unchanged; unresolvable ones give None.
        """
        if not value.startswith("@"):
            return value
        resolved, _error = self._resolve_preferring_default(value, prefer_locales=())
        return resolved

    def _resolve_preferring_default(
        self, reference: str, prefer_locales: tuple[str, ...]
    ) -> tuple[str | None, str | None]:
        """(value, None) or (None, why). Default configuration first, then ``prefer_locales``, then any."""
        arsc, error = self._resources()
        if arsc is None:
            return None, error.message if error else "the APK has no resources.arsc"
        try:
            rid, package = ARSCParser.parse_id(reference)
        except ValueError as exc:
            return None, str(exc)
        if package and package not in arsc.get_packages_names():
            return None, f"reference into package {package!r}, whose resources are not in this APK"
        try:
            with _quiet():
                resolved = arsc.get_resolved_res_configs(rid, None)
            candidates = [(config, value) for config, value in resolved if isinstance(value, str) and value != ""]
        except Exception as exc:
            return None, f"androguard could not resolve it: {exc!r}"
        if not candidates:
            return None, "no value in resources.arsc"
        for config, value in candidates:
            if config.is_default():
                return value, None
        no_locale = [(c, v) for c, v in candidates if c.locale == 0]
        if no_locale:
            return no_locale[0][1], None
        by_locale = {c.get_language_and_region(): v for c, v in candidates}
        for locale in prefer_locales:
            if locale in by_locale:
                return by_locale[locale], None
        return candidates[0][1], None

    # ------------------------------------------------------------------ binary XML

    def decode_xml(self, path: str) -> DecodedXml:
        """Decode a binary XML entry (layout, xml/…) to text and an lxml tree (cached)."""
        cached = self._xml_cache.get(path)
        if cached is not None:
            return cached
        result = self._decode_xml(path)
        self._xml_cache[path] = result
        return result

    def _decode_xml(self, path: str) -> DecodedXml:
        if not self._archive.has(path):
            return DecodedXml(path, None, None, PartError(path, "entry not in the APK"))
        try:
            data = self._archive.read(path, max_bytes=MAX_XML_BYTES)
        except ArchiveError as exc:
            return DecodedXml(path, None, None, PartError(path, str(exc)))
        if not data.startswith(b"\x03\x00"):
            # Plain-text XML (some packers ship these); parse it as such, without network or DTDs.
            try:
                parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
                element = etree.fromstring(data, parser)
                return DecodedXml(path, etree.tostring(element, encoding="unicode"), element)
            except etree.XMLSyntaxError as exc:
                return DecodedXml(path, None, None, PartError(path, f"neither binary nor text XML: {exc}"))
        try:
            with _quiet():
                printer = AXMLPrinter(data)
                if not printer.is_valid():
                    return DecodedXml(path, None, None, PartError(path, "invalid binary XML"))
                element = printer.get_xml_obj()
                text = printer.get_xml(pretty=True).decode("utf-8", errors="replace")
        except Exception as exc:
            return DecodedXml(path, None, None, PartError(path, f"androguard could not decode it: {exc!r}"))
        return DecodedXml(path, text, element)


# --------------------------------------------------------------------------- helpers


def open_adapter(archive: ApkArchive) -> AndroguardAdapter:
    """Shorthand for :meth:`AndroguardAdapter.open`."""
    return AndroguardAdapter.open(archive)


def androguard_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("androguard")
    except Exception:
        return None


def _attr(element: etree._Element | None, name: str) -> str | None:
    """An ``android:`` attribute, falling back to the un-namespaced spelling some repackagers emit."""
    if element is None:
        return None
    value = element.get(f"{{{ANDROID_NS}}}{name}")
    return value if value is not None else element.get(name)


def _class_name(package: str, name: str | None) -> str | None:
    """Android's ``buildClassName``: ``.App`` and ``App`` are relative to the package."""
    if not name:
        return None
    if name.startswith("."):
        return package + name
    return name if "." in name else f"{package}.{name}"


def _sdk_int(root: etree._Element | None, name: str) -> int | None:
    if root is None:
        return None
    uses_sdk = root.find("uses-sdk")
    raw = _attr(uses_sdk, name)
    if raw is None:
        return None
    try:
        return int(raw, 0)
    except ValueError:
        return None  # a preview codename ("Tiramisu") has no number


def _is_launcher(component: etree._Element) -> bool:
    for intent_filter in component.findall("intent-filter"):
        actions = {_attr(a, "name") for a in intent_filter.findall("action")}
        categories = {_attr(c, "name") for c in intent_filter.findall("category")}
        if "android.intent.action.MAIN" in actions and "android.intent.category.LAUNCHER" in categories:
            return True
    return False


def _locale_of(config: Any) -> str:
    locale = config.get_language_and_region()
    return "" if locale == "\x00\x00" else str(locale)


def _certificate(cert: Any) -> Certificate:
    return Certificate(
        sha256=cert.sha256.hex(),
        sha1=cert.sha1.hex(),
        subject=get_certificate_name_string(cert.subject, short=True),
        issuer=get_certificate_name_string(cert.issuer, short=True),
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before.isoformat(),
        not_after=cert.not_valid_after.isoformat(),
    )


def _guard[T](errors: list[PartError], scope: str, call: Callable[[], T]) -> T | None:
    try:
        with _quiet():
            return call()
    except Exception as exc:
        errors.append(PartError(scope, f"androguard failed: {exc!r}"))
        return None
