"""Files a device run left beside the report (UI dumps, screenshots), read safely for embedding.

The evidence names these files by relative paths, and evidence.json may come from anywhere: a path is
only followed when it resolves (symbolic links included) to a regular file inside the report's output
directory, and a screenshot is only embedded when its first bytes say PNG, JPEG or WebP and it is under
a size cap. Every refusal is a note for the reader, never an exception.
"""

from __future__ import annotations

import base64
import stat
from pathlib import Path

from appaudit.report.i18n import tr
from appaudit.report.view.cells import human_size

MAX_IMAGE_BYTES = 1_048_576
MAX_DUMP_BYTES = 8 * 1_048_576  # a real dump is well under 1 MiB; a 20,000-node one is about 7 MB
# A run's artifacts sit in ``<output>/runs/<run kind>/``; the evidence names them relative to ``runs/``.
RUNS_DIR = "runs"

_SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/webp", b"WEBP", 8),  # after "RIFF" and the 4-byte size
)


def artifact_path(root: Path, relative: str | Path) -> Path | None:
    """``relative`` resolved under ``root``; None when it resolves (links followed) outside ``root``."""
    try:
        base = root.resolve()
        candidate = (base / relative).resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte in the name
        return None
    return candidate if candidate.is_relative_to(base) else None


def locate_artifact(root: Path, relative: str) -> tuple[Path | None, str]:
    """Where a run artifact named in the evidence is, and "" — or None and why it cannot be used.

    Runs write their artifacts under ``root/runs/`` and name them relative to it; a name relative to
    ``root`` itself is accepted too. A name that escapes ``root`` is refused, never followed.
    """
    escapes = 0
    for base in (Path(RUNS_DIR), Path()):
        found = artifact_path(root, base / relative)
        if found is None:
            escapes += 1
        elif found.exists():
            return found, ""
    if escapes == 2:
        return None, tr("{path} is outside the report's output directory: not read", path=relative)
    return None, tr("{path} is missing from the report's output directory", path=relative)


def read_artifact(root: Path, relative: str, *, max_bytes: int = MAX_DUMP_BYTES) -> tuple[bytes | None, str]:
    """The bytes of a run artifact and "" — or None and why it was not read."""
    found, why = locate_artifact(root, relative)
    if found is None:
        return None, why
    return _read_regular(found, relative, max_bytes)


def _read_regular(path: Path, shown: str, max_bytes: int) -> tuple[bytes | None, str]:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, tr("{path} is not a regular file: not read", path=shown)
        if info.st_size > max_bytes:
            return None, tr(
                "{path} not embedded: {size} is over the {cap} cap",
                path=shown,
                size=human_size(info.st_size),
                cap=human_size(max_bytes),
            )
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        return None, tr("{path} could not be read: {error}", path=shown, error=exc.strerror or type(exc).__name__)
    if len(data) > max_bytes:  # grew since stat
        return None, tr(
            "{path} not embedded: {size} is over the {cap} cap",
            path=shown,
            size=human_size(len(data)),
            cap=human_size(max_bytes),
        )
    return data, ""


def image_type(data: bytes) -> str | None:
    """The MIME type the magic bytes announce (PNG, JPEG, WebP), else None."""
    for mime, magic, at in _SIGNATURES:
        if data[at : at + len(magic)] == magic and (mime != "image/webp" or data[:4] == b"RIFF"):
            return mime
    return None


def embed_image(path: str | Path, *, root: Path, max_bytes: int = MAX_IMAGE_BYTES) -> tuple[str, str]:
    """A screenshot as a ``data:`` URI, and "" — or "" and a note saying why it is not embedded.

    ``path`` is relative to ``root`` (the report's output directory) or absolute; either way it must
    resolve to a regular file inside ``root``. Only PNG, JPEG and WebP (checked by their magic bytes,
    never by the name) up to ``max_bytes`` are embedded.
    """
    shown = str(path)
    found = artifact_path(root, path)
    if found is None:
        return "", tr("screenshot {path} is outside the report's output directory: not embedded", path=shown)
    if not found.exists():
        return "", tr("screenshot {path} is missing", path=shown)
    data, note = _read_regular(found, shown, max_bytes)
    if data is None:
        return "", note
    mime = image_type(data)
    if mime is None:
        return "", tr("{path} is not a PNG, JPEG or WebP image: not embedded", path=shown)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", ""
