"""Importers of third-party SDK lists into appaudit's ``sdks.yaml`` entry shape.

One module per format, each a pure function from the file to an
:class:`~appaudit.knowledge.importers.common.ImportResult` (entries ready to dump as YAML, plus what
was skipped and why); :func:`~appaudit.knowledge.importers.merge.merge_entries` then folds the
entries into a database. Bad input raises :class:`~appaudit.knowledge.user_db.UserDataError`.
"""

from __future__ import annotations

from pathlib import Path

from appaudit.knowledge.importers.common import ImportResult, ImportSource, SkippedItem, read_limited
from appaudit.knowledge.user_db import PrefixPolicy

FORMATS = ("exodus", "libchecker", "sdkjson")

__all__ = ["FORMATS", "ImportResult", "ImportSource", "SkippedItem", "import_file"]


def import_file(path: Path, format: str, *, policy: PrefixPolicy | None = None) -> ImportResult:
    """Import ``path`` as ``format`` (one of :data:`FORMATS`)."""
    if format == "exodus":
        from appaudit.knowledge.importers import exodus

        return exodus.import_exodus(read_limited(path, exodus.MAX_BYTES, "an Exodus tracker list"),
                                    path.name, policy=policy)  # fmt: skip
    if format == "libchecker":
        from appaudit.knowledge.importers.libchecker import import_libchecker

        return import_libchecker(path, policy=policy)
    if format == "sdkjson":
        from appaudit.knowledge.importers import sdkjson

        return sdkjson.import_sdkjson(read_limited(path, sdkjson.MAX_BYTES, "an sdk.json list"),
                                      path.name, policy=policy)  # fmt: skip
    raise ValueError(f"unknown import format {format!r} (use one of {', '.join(FORMATS)})")
