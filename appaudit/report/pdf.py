"""Print the HTML report to PDF with a headless Chromium.

The report is a local file with no script and a strict Content-Security-Policy; Chromium is run on
it with a throw-away profile, every host name mapped to nowhere and its background services off,
so printing cannot reach the network. The PDF is written to a temporary name next to the target
and moved into place only once it looks like a PDF, so a failure never leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import IO

from appaudit.errors import AppauditError, ExitCode, InputError

BROWSER_ENV = "APPAUDIT_CHROMIUM"
BROWSER_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
NO_BROWSER_HINT = f"install Debian's chromium, or set {BROWSER_ENV}"

# A report of a few dozen kB prints to several hundred kB; anything this small is not a report.
MIN_PDF_BYTES = 1024

CHROMIUM_FLAGS = (
    "--headless",  # the "new" headless mode, the only one current Chromium has
    "--no-sandbox",  # the sandbox refuses to start as root (CI containers); the input is our own page
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-quic",
    "--disable-client-side-phishing-detection",
    "--disable-field-trial-config",
    "--metrics-recording-only",
    "--disable-features=NetworkTimeServiceQuerying,Translate,MediaRouter,OptimizationHints,"
    "OptimizationGuideModelDownloading",
    # Every host name fails to resolve: whatever the page or Chromium itself asks for goes nowhere.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--no-pdf-header-footer",  # no file:// path and date printed on every page
    "--generate-pdf-document-outline",  # the report's headings become PDF bookmarks
)
# Script is not disabled (--blink-settings=scriptEnabled=false): headless print-to-pdf then writes
# nothing at all. The report has no script and its CSP forbids any, which is what protects it.


class PdfError(AppauditError):
    """The report could not be printed to PDF (Chromium failed, hung, or wrote no PDF)."""


class BrowserNotFoundError(PdfError):
    """No Chromium to print with: the user's environment must provide one."""

    exit_code = ExitCode.INPUT_ERROR


def find_browser() -> str | None:
    """The Chromium to print with: ``$APPAUDIT_CHROMIUM`` when set, else the first candidate on PATH.

    An override that names nothing executable gives ``None`` rather than a silent fallback, so the
    user learns their setting is wrong.
    """
    override = os.environ.get(BROWSER_ENV, "").strip()
    if override:
        return shutil.which(override)
    for name in BROWSER_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def render_pdf(html_path: Path, pdf_path: Path, *, browser: str | None = None, timeout: float = 120) -> None:
    """Print ``html_path`` to ``pdf_path`` (replaced atomically) with headless Chromium.

    Raises :class:`BrowserNotFoundError` when there is no browser, :class:`InputError` when the
    HTML file is missing, and :class:`PdfError` when Chromium fails, exceeds ``timeout`` seconds
    (its whole process group is killed) or writes something that is not a PDF.
    """
    binary = _resolve_browser(browser)
    html_path = Path(html_path)
    if not html_path.is_file():
        raise InputError(f"cannot print {html_path} to PDF: no such file")
    pdf_path = Path(pdf_path)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{pdf_path.name}.", suffix=".tmp", dir=pdf_path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        _print(binary, html_path.resolve().as_uri(), tmp, timeout)
        _check_pdf(tmp)
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)  # mkstemp made it private; the PDF is a file to hand over, like the HTML
        tmp.replace(pdf_path)
    finally:
        tmp.unlink(missing_ok=True)


def _resolve_browser(browser: str | None) -> str:
    if browser is not None:
        found = shutil.which(browser)
        if found is None:
            raise BrowserNotFoundError(f"no Chromium found: {browser!r} is not an executable; {NO_BROWSER_HINT}")
        return found
    found = find_browser()
    if found is not None:
        return found
    override = os.environ.get(BROWSER_ENV, "").strip()
    if override:
        raise BrowserNotFoundError(f"no Chromium found: {BROWSER_ENV}={override!r} is not an executable")
    raise BrowserNotFoundError(f"no Chromium found: {NO_BROWSER_HINT}")


def _print(binary: str, url: str, out: Path, timeout: float) -> None:
    with (
        # A helper process can still be writing to the profile as the browser exits.
        tempfile.TemporaryDirectory(prefix="appaudit-pdf-profile-", ignore_cleanup_errors=True) as profile,
        tempfile.TemporaryFile() as log,
    ):
        args = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={out}", url]
        # Output goes to a file, not a pipe: a stray grandchild holding a pipe open cannot hang us.
        try:
            process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        except OSError as exc:
            raise PdfError(f"cannot start {binary}: {exc}") from exc
        try:
            returncode = _wait(process, timeout)
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium did not finish printing the report within {timeout:g} s") from None
        if returncode != 0:
            raise PdfError(f"Chromium exited with status {returncode} while printing: {_tail(log)}")


def _wait(process: subprocess.Popen, timeout: float) -> int:
    try:
        return process.wait(timeout=timeout)
    except BaseException:  # the timeout, or Ctrl-C: leave no Chromium behind either way
        # The browser process is not reaped yet, so its process group is still ours to kill.
        _kill_group(process)
        raise


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def _tail(log: IO[bytes], limit: int = 2000) -> str:
    log.seek(0)
    text = log.read().decode("utf-8", "replace")
    lines = [line for line in text.splitlines() if "dbus" not in line]  # D-Bus noise in containers
    return "\n".join(lines)[-limit:] or "(no output)"


def _check_pdf(path: Path) -> None:
    size = path.stat().st_size if path.exists() else 0
    if size == 0:
        raise PdfError("Chromium wrote no PDF (it exited without error but the file is empty)")
    with path.open("rb") as pdf:
        head = pdf.read(5)
    if head != b"%PDF-":
        raise PdfError(f"Chromium wrote something that is not a PDF (starts with {head!r})")
    if size < MIN_PDF_BYTES:
        raise PdfError(f"Chromium wrote a PDF of only {size} bytes; the report did not print")
