"""Static collection pipeline: APK → evidence bundle. One direction, one step per evidence part.

Each step runs inside :func:`_Collector.part`, which times it and turns its failure into a
:class:`PartStatus` instead of an exception, so one broken part (a corrupt DEX, undecodable
resources) never loses the others. Only problems that make the whole input unusable (not an
APK at all) propagate as :class:`InputError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from appaudit import __version__
from appaudit.errors import AppauditError, InputError
from appaudit.evidence.model import (
    ApiCallSite,
    AppIdentity,
    EvidenceBundle,
    InputFile,
    ManifestEvidence,
    PartError,
    PartStatus,
    Status,
    ToolInfo,
)

ProgressCallback = Callable[[str], None]

PART_TITLES = {
    "archive": "Opening the APK",
    "manifest": "Reading the manifest and resources",
    "dex": "Indexing bytecode",
    "identity": "Identifying the app",
    "endpoints": "Extracting endpoints",
    "sdks": "Detecting embedded SDKs",
    "api_calls": "Finding sensitive API calls",
    "startup": "Searching start-up code paths",
    "sdk_usage": "Classifying how each SDK is used",
    "policy_hints": "Looking for privacy-policy hints",
}


@dataclass
class _Collector:
    progress: ProgressCallback
    parts: list[PartStatus] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)

    @contextmanager
    def part(self, name: str) -> Iterator[list[PartError]]:
        """Run one step; the body appends recoverable errors to the yielded list."""
        errors: list[PartError] = []
        self.progress(PART_TITLES.get(name, name))
        start = time.perf_counter()
        status = Status.OK
        try:
            yield errors
        except _Skip as skip:
            status = Status.SKIPPED
            errors.append(PartError(name, str(skip)))
        except InputError as exc:
            status = Status.FAILED
            errors.append(PartError(name, str(exc)))
        except AppauditError as exc:
            status = Status.FAILED
            errors.append(PartError(name, str(exc)))
        except Exception as exc:  # a bug in appaudit: record it, keep the other parts
            status = Status.FAILED
            errors.append(PartError(name, f"internal error: {type(exc).__name__}: {exc}"))
            self.internal_errors.append(f"{name}: {type(exc).__name__}: {exc}")
        else:
            if errors:
                status = Status.PARTIAL
        self.parts.append(PartStatus(name, status, round(time.perf_counter() - start, 3), tuple(errors)))


class _Skip(Exception):
    """Raised inside a part to mark it skipped for a stated reason."""


@dataclass
class ScanResult:
    bundle: EvidenceBundle
    internal_errors: list[str]


def _need[T](value: T | None, what: str) -> T:
    """Skip the current part when a prerequisite part produced nothing."""
    if value is None:
        raise _Skip(f"skipped: {what} is unavailable because an earlier part failed")
    return value


def scan_apk(
    apk: Path,
    *,
    sdk_db_paths: Sequence[Path] = (),
    progress: ProgressCallback | None = None,
    on_note: Callable[[str], None] | None = None,
) -> ScanResult:
    """Collect all static evidence for one APK."""
    from appaudit.knowledge.sensitive_apis import load_sensitive_apis
    from appaudit.knowledge.user_db import load_with_user_databases
    from appaudit.static import code_scan
    from appaudit.static.androguard_adapter import androguard_version, open_adapter
    from appaudit.static.archive import open_apk
    from appaudit.static.endpoints import build_endpoints
    from appaudit.static.endpoints import dex_string_needles as endpoint_string_needles
    from appaudit.static.identity import build_identity
    from appaudit.static.manifest import build_manifest_evidence
    from appaudit.static.policy_hints import build_policy_hints
    from appaudit.static.policy_hints import dex_string_needles as policy_string_needles
    from appaudit.static.sdk_match import match_sdks
    from appaudit.static.sdk_usage import annotate_usage
    from appaudit.static.startup import StartupAnalyser

    c = _Collector(progress or (lambda _msg: None))
    sdk_db = load_with_user_databases(sdk_db_paths, on_note=on_note)
    apis = load_sensitive_apis()

    c.progress(PART_TITLES["archive"])
    archive = open_apk(apk)  # InputError / ArchiveError: the file is not an APK we can read
    with archive:
        adapter = open_adapter(archive)
        manifest: ManifestEvidence | None = None
        with c.part("manifest") as errs:
            manifest, manifest_errors = build_manifest_evidence(adapter)
            errs.extend(manifest_errors)

        scan: code_scan.CodeScan | None = None
        with c.part("dex") as errs:
            if not archive.dex_names():
                raise _Skip("the APK contains no classes*.dex: no code to analyse")
            loaded = code_scan.load_program(archive, apis, sdk_db)
            errs.extend(loaded.errors)
            if not loaded.program.dexes:
                raise AppauditError("no DEX file could be read")
            scan = loaded

        identity: AppIdentity | None = None
        with c.part("identity") as errs:
            identity, identity_errors = build_identity(archive, adapter, scan.dex_files if scan else ())
            errs.extend(identity_errors)

        needles = (*policy_string_needles(), *endpoint_string_needles())
        dex_strings: list[tuple[str, str]] = list(code_scan.interesting_strings(scan, needles)) if scan else []
        endpoints = ()
        with c.part("endpoints") as errs:
            endpoints, endpoint_errors = build_endpoints(
                archive,
                adapter,
                dex_strings,
                package=identity.package if identity else None,
                sdk_for_host=sdk_db.sdk_for_host,
            )
            errs.extend(endpoint_errors)

        sdks = ()
        with c.part("sdks") as errs:
            sdks = match_sdks(
                sdk_db,
                class_names=scan.class_names if scan else [],
                components=[(comp.kind, comp.name) for comp in manifest.components] if manifest else [],
                meta_data_keys=[m.name for m in manifest.meta_data] if manifest else [],
                permissions=[p.name for p in manifest.permissions] if manifest else [],
                native_libs=archive.names_under("lib/"),
                assets=archive.names_under("assets/"),
                hosts=[e.host for e in endpoints],
            )
            if manifest is None:
                errs.append(PartError("sdks", "manifest unavailable: only class and file signatures were matched"))
            if scan is None:
                errs.append(PartError("sdks", "bytecode unavailable: class signatures were not matched"))

        api_calls: tuple[ApiCallSite, ...] = ()
        with c.part("api_calls") as errs:
            api_calls = code_scan.call_sites(_need(scan, "the bytecode index"), sdk_db)
            if scan and scan.errors:
                errs.append(
                    PartError("dex", "some code could not be decoded (see the dex part): call sites may be missing")
                )

        startup = None
        analyser: StartupAnalyser | None = None
        with c.part("startup") as errs:
            program = _need(scan, "the bytecode index")
            analyser = StartupAnalyser(program.program, program.targets, apis, sdk_db)
            startup = analyser.analyse(_need(manifest, "the manifest"))
            if not startup.entry_points:
                errs.append(PartError("startup", "no start-up entry point was found in the app's code"))

        with c.part("sdk_usage"):
            graph = _need(analyser, "the call graph")
            found_at_startup = _need(startup, "start-up evidence")
            sdks = annotate_usage(sdks, found_at_startup, graph, _need(manifest, "the manifest"))

        policy_hints = None
        with c.part("policy_hints") as errs:
            policy_hints, hint_errors = build_policy_hints(archive, adapter, dex_strings)
            errs.extend(hint_errors)

        bundle = EvidenceBundle(
            tool=ToolInfo("appaudit", __version__, androguard_version()),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            input=InputFile(apk.name, archive.sha256, archive.size),
            parts=tuple(_ordered(c.parts)),
            app=identity,
            manifest=manifest,
            sdks=tuple(sdks),
            api_calls=api_calls,
            startup=startup,
            policy_hints=policy_hints,
            endpoints=tuple(endpoints),
            archive_anomalies=tuple(archive.anomalies),
        )
    return ScanResult(bundle, c.internal_errors)


def _ordered(parts: list[PartStatus]) -> list[PartStatus]:
    order = list(PART_TITLES)
    return sorted(parts, key=lambda p: order.index(p.name) if p.name in order else len(order))
