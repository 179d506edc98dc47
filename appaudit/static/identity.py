"""Build :class:`AppIdentity`: what the app is, who signed it, and what it is made of."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from appaudit.errors import InputError
from appaudit.evidence.model import AppIdentity, DexFile, PartError

if TYPE_CHECKING:
    from appaudit.static.androguard_adapter import AndroguardAdapter
    from appaudit.static.archive import ApkArchive


def build_identity(
    archive: ApkArchive, adapter: AndroguardAdapter, dex_files: Iterable[DexFile]
) -> tuple[AppIdentity, tuple[PartError, ...]]:
    """The identity plus the errors met on the way (unresolvable label, unreadable signing block...).

    Raises InputError when the manifest names no package: such a file cannot be audited as an app.
    """
    facts = adapter.facts
    if not facts.package:
        reasons = "; ".join(e.message for e in facts.errors if e.scope == "AndroidManifest.xml")
        raise InputError(f"no package name in AndroidManifest.xml{': ' + reasons if reasons else ''}")
    identity = AppIdentity(
        package=facts.package,
        version_name=facts.version_name,
        version_code=facts.version_code,
        label=facts.label,
        min_sdk=facts.min_sdk,
        target_sdk=facts.target_sdk,
        apk_sha256=archive.sha256,
        file_size=archive.size,
        signing=facts.signing,
        dex_files=tuple(dex_files),
        native_abis=native_abis(archive.names),
        split_name=facts.split_name,
        is_split_base=facts.split_name is None and facts.is_split_required,
    )
    return identity, facts.errors


def native_abis(names: Iterable[str]) -> tuple[str, ...]:
    """ABIs with at least one shared library: ``lib/<abi>/<name>.so``."""
    abis = {
        parts[1]
        for name in names
        if len(parts := name.split("/")) == 3 and parts[0] == "lib" and parts[2].endswith(".so")
    }
    return tuple(sorted(abis))
