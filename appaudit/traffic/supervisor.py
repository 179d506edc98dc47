"""Run ``mitmdump`` with the capture addon as a child process: start it, wait until it is ready, stop it cleanly.

No mitmproxy import here: mitmproxy runs in the child. Readiness is the addon's own ``running`` event in
``events.jsonl`` (never a sleep), which also carries the real listen address (``--listen-port 0`` picks a
free port, so parallel captures never race). Stopping sends SIGINT, waits for mitmdump to run its ``done``
hooks (the addon's ``done`` event, the end of ``flows.mitm``), and kills it only after a timeout.

    with CaptureProcess(run_dir) as capture:
        host, port = capture.address
        ...  # traffic through http://host:port
    summary = capture.summary
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from appaudit.errors import AppauditError, InputError
from appaudit.traffic import layout
from appaudit.traffic.ca import CaCertificate, read_ca, write_android_copy

ADDON_PATH = Path(__file__).with_name("addon.py")
CAPTURE_SCHEMA_VERSION = 1
# Options the supervisor sets itself; an extra option may not override them.
RESERVED_OPTIONS = frozenset({"appaudit_out", "confdir", "save_stream_file", "listen_host", "listen_port", "scripts"})


class CaptureError(AppauditError):
    """mitmdump did not start, or stopped without being asked to (exit code 3)."""


class MitmdumpNotFound(InputError):
    """No ``mitmdump`` next to the running Python or on PATH (exit code 2)."""


class RunDirInUse(InputError):
    """The run directory already holds a capture; appaudit never appends to or overwrites one."""


def find_mitmdump() -> Path:
    """``mitmdump`` from the same environment as this Python first, else from PATH."""
    here = Path(sys.executable).parent  # not resolved: a venv's bin/ holds its own mitmdump
    for name in ("mitmdump", "mitmdump.exe"):
        if (here / name).is_file():
            return here / name
    found = shutil.which("mitmdump")
    if found:
        return Path(found)
    raise MitmdumpNotFound(
        f"mitmdump not found next to {sys.executable} or on PATH; install mitmproxy 12 in appaudit's "
        "environment (pip install 'mitmproxy>=12,<13')"
    )


@dataclass(frozen=True)
class CaptureSummary:
    """What one capture recorded, read back from its events.jsonl."""

    flows: int
    https_flows: int
    websocket_messages: int
    unobservable_hosts: tuple[str, ...]  # TLS refused, or TLS then silence (pinning or CA not installed)
    overhead_ms_per_flow: float | None  # the addon's own measurement; None without a done event
    done: bool  # the addon wrote its done event (it shut down cleanly)


def read_events(run_dir: Path) -> Iterator[dict[str, Any]]:
    """The events of a run, in order; a torn last line (the writer was killed mid-write) is skipped."""
    path = layout.events_path(run_dir)
    if not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.endswith("\n"):
                yield json.loads(line)


def summarize(run_dir: Path) -> CaptureSummary:
    flows = https = messages = 0
    unobservable: set[str] = set()
    done: dict[str, Any] | None = None
    for event in read_events(run_dir):
        kind = event.get("type")
        if kind == layout.FLOW:
            flows += 1
            https += event.get("scheme") == "https"
        elif kind == layout.WEBSOCKET_MESSAGE:
            messages += 1
        elif kind in (layout.TLS_FAILED, layout.TLS_NO_REQUEST):
            unobservable.add(layout.unobservable_host(event))
        elif kind == layout.DONE:
            done = event
    overhead = done.get("overhead_ms_per_flow") if done else None
    return CaptureSummary(flows, https, messages, tuple(sorted(unobservable)), overhead, done is not None)


class CaptureProcess:
    """One ``mitmdump`` child recording into ``run_dir``: ``start()`` → ``(host, port)``, ``stop()`` → summary."""

    def __init__(
        self,
        run_dir: Path,
        *,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        confdir: Path | None = None,
        extra_options: Sequence[str] = (),
        ready_timeout: float = 30.0,
        stop_timeout: float = 15.0,
        mitmdump: Path | None = None,
    ) -> None:
        """``extra_options``: more ``NAME=VALUE`` mitmproxy options (e.g. ``ssl_insecure=true`` in tests);
        ``confdir``: reuse a CA (one already installed on a device) instead of ``RUN_DIR/confdir``."""
        for option in extra_options:
            name = option.split("=", 1)[0].strip()
            if "=" not in option or name in RESERVED_OPTIONS:
                raise InputError(f"invalid mitmproxy option {option!r}: expected NAME=VALUE, and appaudit sets "
                                 f"{', '.join(sorted(RESERVED_OPTIONS))} itself")  # fmt: skip
        self.run_dir = run_dir.resolve()
        self.confdir = (confdir or layout.confdir_path(self.run_dir)).resolve()
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.extra_options = tuple(extra_options)
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self._mitmdump = mitmdump
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.mitmdump_path: Path | None = None
        self.exited_early = False  # mitmdump stopped before stop() asked it to
        self.address: tuple[str, int] | None = None
        self.listen: list[list[Any]] = []
        self.ca: CaCertificate | None = None
        self.mitmproxy_version = ""
        self.started: float | None = None
        self.summary: CaptureSummary | None = None
        self.returncode: int | None = None
        self.killed = False

    # public API

    @property
    def proxy_url(self) -> str:
        if self.address is None:
            raise RuntimeError("capture not started")
        return f"http://{self.address[0]}:{self.address[1]}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def log_path(self) -> Path:
        return self.run_dir / layout.MITMDUMP_LOG

    @property
    def clean(self) -> bool:
        """Stopped on request, the addon wrote its done event, and mitmdump exited 0 without being killed."""
        done = self.summary is not None and self.summary.done
        return done and not self.exited_early and not self.killed and self.returncode == 0

    def start(self) -> tuple[str, int]:
        """Launch mitmdump and return its real listen address once the addon reports it is running."""
        if self._proc is not None:
            raise RuntimeError("capture already started")
        self.mitmdump_path = mitmdump = self._mitmdump or find_mitmdump()
        self._prepare_run_dir()
        self._log = self.log_path.open("wb")
        try:
            self._proc = subprocess.Popen(
                self._command(mitmdump),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                process_group=0,  # a terminal's Ctrl-C reaches the supervisor only; it decides how to stop
            )
            running = self._wait_until_running()
            self.listen = running.get("listen") or []
            if not self.listen:
                raise CaptureError("mitmdump reported no listen address")
            host, port = self.listen[0][0], int(self.listen[0][1])
            self.address = (host, port)
            self.mitmproxy_version = running.get("mitmproxy_version", "")
            self.started = float(running["ts"])
            self.ca = read_ca(self.confdir)
            write_android_copy(self.ca)
            self._write_capture_json(status="running")
        except BaseException:
            self._terminate()
            raise
        return self.address

    def stop(self) -> CaptureSummary:
        """Ask mitmdump to shut down (SIGINT), wait for it (kill after ``stop_timeout``), update capture.json."""
        if self.summary is not None:
            return self.summary
        if self._proc is None:
            raise RuntimeError("capture not started")
        self.exited_early = not self.running
        self._terminate()
        self.summary = summarize(self.run_dir)
        notes = []
        if self.exited_early:
            notes.append(f"mitmdump stopped (code {self.returncode}) before it was asked to; see {layout.MITMDUMP_LOG}")
        if self.killed:
            notes.append(f"mitmdump did not stop within {self.stop_timeout:g} s and was killed")
        if not self.summary.done:
            notes.append("the addon wrote no done event")
        self._write_capture_json(status="stopped" if self.clean else "failed", note="; ".join(notes))
        return self.summary

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for mitmdump to exit on its own; its exit code, or None on timeout."""
        if self._proc is None:
            raise RuntimeError("capture not started")
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def log_tail(self, max_lines: int = 20) -> str:
        """The end of mitmdump's own output, for error messages."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - 8192))
                text = log.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-max_lines:])

    def __enter__(self) -> CaptureProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc is not None:
            self.stop()

    # internals

    def _prepare_run_dir(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for existing in (layout.events_path(self.run_dir), layout.flows_path(self.run_dir)):
            if existing.exists() and existing.stat().st_size > 0:  # empty: a start that failed (port in use...)
                raise RunDirInUse(f"{self.run_dir} already holds a capture ({existing.name}); choose a new directory")
        self.confdir.mkdir(mode=0o700, parents=True, exist_ok=True)  # it will hold the CA's private key

    def _command(self, mitmdump: Path) -> list[str]:
        # save_stream_file is passed through strftime and a leading "+" means append: keep the path literal.
        flows = str(layout.flows_path(self.run_dir)).replace("%", "%%")
        options = [
            f"confdir={self.confdir}",
            f"save_stream_file={flows}",
            f"appaudit_out={self.run_dir}",
            "flow_detail=0",  # no per-flow lines in the log: events.jsonl is the record
            "termlog_verbosity=warn",
            *self.extra_options,
        ]
        command = [str(mitmdump), "-s", str(ADDON_PATH), "--listen-host", self.listen_host]
        command += ["--listen-port", str(self.listen_port)]
        for option in options:
            command += ["--set", option]
        return command

    def _wait_until_running(self) -> dict[str, Any]:
        assert self._proc is not None
        deadline = time.monotonic() + self.ready_timeout
        while True:
            for event in read_events(self.run_dir):
                if event.get("type") == layout.RUNNING:
                    return event
            if self._proc.poll() is not None:
                raise CaptureError(
                    f"mitmdump exited with code {self._proc.returncode} before the capture addon was ready:\n"
                    + self.log_tail()
                )
            if time.monotonic() > deadline:
                raise CaptureError(
                    f"mitmdump did not report ready within {self.ready_timeout:g} s (see {self.log_path}):\n"
                    + self.log_tail()
                )
            time.sleep(0.05)

    def _terminate(self) -> None:
        """Stop the child (SIGINT, then SIGKILL after the timeout) and close the log."""
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(self.stop_timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    self.killed = True
                    proc.wait()
            self.returncode = proc.returncode
        if self._log is not None:
            self._log.close()
            self._log = None

    def _write_capture_json(self, *, status: str, note: str = "") -> None:
        ended = time.time() if status != "running" else None
        summary = asdict(self.summary) if self.summary is not None else {}
        info = {
            "schema_version": CAPTURE_SCHEMA_VERSION,
            "status": status,  # running | stopped (clean) | failed
            "started": self.started,
            "ended": ended,
            "proxy": f"{self.address[0]}:{self.address[1]}" if self.address else None,
            "listen": self.listen,
            "mitmproxy_version": self.mitmproxy_version,
            "mitmdump": str(self.mitmdump_path or ""),
            "ca_sha256": self.ca.sha256 if self.ca else None,
            "ca_android_name": self.ca.android_name if self.ca else None,
            "ca_subject": self.ca.subject if self.ca else None,
            "confdir": str(self.confdir),
            "flows": summary.get("flows"),
            "https_flows": summary.get("https_flows"),
            "websocket_messages": summary.get("websocket_messages"),
            "unobservable_hosts": list(summary.get("unobservable_hosts", ())),
            "overhead_ms_per_flow": summary.get("overhead_ms_per_flow"),
            "mitmdump_returncode": self.returncode,
            "note": note,
        }
        path = layout.capture_path(self.run_dir)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
