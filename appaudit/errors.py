"""Typed errors, one family per layer; the CLI maps them to exit codes."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented process exit codes (see README)."""

    OK = 0
    FINDINGS = 1
    INPUT_ERROR = 2
    INTERNAL_ERROR = 3


class AppauditError(Exception):
    """Base class for every error appaudit raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR


class InputError(AppauditError):
    """The user's input cannot be used (missing file, not an APK, hostile archive...)."""

    exit_code = ExitCode.INPUT_ERROR


class ArchiveError(InputError):
    """The APK container (zip) is unreadable, truncated or hostile."""


class ResourceLimitError(ArchiveError):
    """An archive entry exceeds a configured size or ratio limit (e.g. a zip bomb)."""


class DexFormatError(AppauditError):
    """A DEX file is malformed; raised per DEX/class/method and caught at that level."""


class DataFileError(AppauditError):
    """A shipped or user-supplied knowledge file (YAML/JSON) is invalid."""
