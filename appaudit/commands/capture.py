"""``appaudit capture``: run the capture proxy (mitmdump with appaudit's addon) until Ctrl-C.

Everything goes to stderr (the proxy address, device instructions, the summary); stdout stays empty.
Exit codes: 0 clean stop, 2 usage error or no mitmdump, 3 mitmdump failed to start or stopped on its own.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appaudit.device.adb_ca import APEX_CACERTS, SYSTEM_CACERTS
from appaudit.errors import AppauditError, ExitCode

if TYPE_CHECKING:
    from rich.console import Console as RichConsole

    from appaudit.console import Console
    from appaudit.traffic.supervisor import CaptureProcess

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EMULATOR_HOST_LOOPBACK = "10.0.2.2"  # the host's 127.0.0.1 as seen from inside an Android emulator


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--out", "run_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
    help="Run directory for events.jsonl, flows.mitm, capture.json and the CA (must not hold a capture yet).",
)  # fmt: skip
@click.option("--listen-host", default="127.0.0.1", show_default=True, help="Address the proxy listens on.")
@click.option(
    "--listen-port", default=0, show_default=True, type=click.IntRange(0, 65535),
    help="Port the proxy listens on; 0 picks a free one (printed once the proxy is ready).",
)  # fmt: skip
@click.option(
    "--confdir", type=click.Path(path_type=Path, file_okay=False),
    help="Reuse this mitmproxy confdir (and its CA, e.g. one already installed on the device) "
    "instead of a new RUN_DIR/confdir.",
)  # fmt: skip
@click.option(
    "--set", "mitm_options", multiple=True, metavar="NAME=VALUE",
    help="Extra mitmproxy option for mitmdump, repeatable (e.g. --set mode=wireguard).",
)  # fmt: skip
@click.option("--ready-timeout", default=30.0, show_default=True, help="Seconds to wait for the proxy to start.")
@click.pass_context
def capture(
    ctx: click.Context,
    run_dir: Path,
    listen_host: str,
    listen_port: int,
    confdir: Path | None,
    mitm_options: tuple[str, ...],
    ready_timeout: float,
) -> None:
    """Record an app's traffic: run an intercepting proxy until Ctrl-C, writing into --out RUN_DIR.

    \b
    Starts mitmdump with appaudit's addon, waits until it is ready, prints its address and how to
    point an Android emulator at it and trust its CA. Every HTTP(S) flow, websocket message and
    connection the proxy could not read (TLS refused or pinned) is recorded in RUN_DIR/events.jsonl,
    the raw flows in RUN_DIR/flows.mitm. Ctrl-C (or SIGTERM) stops it cleanly.
    Exit codes: 0 clean stop, 2 usage error or mitmdump missing, 3 the proxy failed.
    """
    from rich.console import Console as RichConsole

    from appaudit.console import Console
    from appaudit.traffic.supervisor import CaptureProcess

    quiet = bool(getattr(ctx.obj, "quiet", False))
    debug = bool(getattr(ctx.obj, "debug", False))
    console = Console(quiet=quiet)
    err = RichConsole(stderr=True, highlight=False, soft_wrap=True)
    stop_requested = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop_requested.set()) for sig in _STOP_SIGNALS}
    try:
        process = CaptureProcess(
            run_dir, listen_host=listen_host, listen_port=listen_port, confdir=confdir,
            extra_options=mitm_options, ready_timeout=ready_timeout,
        )  # fmt: skip
        code = _run(process, stop_requested, console, err)
    except AppauditError as exc:
        console.error(_printable(str(exc)))  # may carry mitmdump's output
        sys.exit(exc.exit_code)
    except Exception as exc:
        if debug:
            raise
        console.error(_printable(f"internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)"))
        sys.exit(ExitCode.INTERNAL_ERROR)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    sys.exit(code)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, *((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ()))


def _run(process: CaptureProcess, stop_requested: threading.Event, console: Console, err: RichConsole) -> int:
    """Start, wait for a stop signal (or the proxy dying), stop, summarise; the exit code."""
    from rich.text import Text

    if not console.quiet:
        err.print(Text(_printable(f"Starting the capture proxy (mitmdump) into {process.run_dir} …")))
    try:
        process.start()
        if not console.quiet:
            _print_instructions(err, process)
        while not stop_requested.wait(0.25):
            if not process.running:
                break
    finally:
        if not console.quiet and process.address is not None:
            err.print(Text("Stopping the capture proxy …"))
        summary = process.stop() if process.address is not None else None
    assert summary is not None
    stopped_on_request = stop_requested.is_set() and not process.exited_early
    if not stopped_on_request or not process.clean:
        reason = "stopped on its own" if not stopped_on_request else "did not stop cleanly"
        console.error(f"the capture proxy {reason} (exit code {process.returncode}); see {process.log_path}:")
        err.print(Text(_printable(process.log_tail()), style="dim"))
    if not console.quiet:
        hosts = summary.unobservable_hosts
        overhead = "n/a" if summary.overhead_ms_per_flow is None else f"{summary.overhead_ms_per_flow:.3f} ms"
        err.print(
            Text(
                f"Capture {'stopped' if process.clean else 'ended'}: {_count(summary.flows, 'flow')} "
                f"({summary.https_flows} HTTPS), {_count(summary.websocket_messages, 'websocket message')}, "
                f"{_count(len(hosts), 'unobservable host')}, addon overhead {overhead} per flow."
            )
        )
        if hosts:
            shown = ", ".join(hosts[:10]) + (" …" if len(hosts) > 10 else "")
            err.print(Text(_printable(f"Unobservable (TLS refused, or TLS then no request: pinned?): {shown}")))
        if summary.https_flows == 0:
            console.warn("no HTTPS request was intercepted: this capture does not show that the device trusts the CA")
    return ExitCode.OK if process.clean and stopped_on_request else ExitCode.INTERNAL_ERROR


def _printable(message: str) -> str:
    """Escape control characters (rich strips some, but not ESC): host names and log lines are untrusted."""
    return "\n".join(
        "".join(ch if ch.isprintable() or ch == "\t" else repr(ch)[1:-1] for ch in line) for line in message.split("\n")
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _print_instructions(err: RichConsole, process: CaptureProcess) -> None:
    """Where the proxy is, and how to point an emulator at it and make it trust the CA (all untrusted: Text)."""
    from rich.text import Text

    assert process.address is not None and process.ca is not None
    host, port = process.address
    ca = process.ca
    android_file = ca.pem_path.with_name(ca.android_name)
    wildcard = host in ("0.0.0.0", "::")
    local = "127.0.0.1" if wildcard else host  # the emulator process runs on this host
    emulator_host = EMULATOR_HOST_LOOPBACK if wildcard or host in ("127.0.0.1", "localhost", "::1") else host
    lines = [
        f"Capture proxy listening on {host}:{port}  (port {port})",
        f"Recording into {process.run_dir}  (events.jsonl, flows.mitm, capture.json)",
        f"CA certificate {ca.pem_path}",
        f"  SHA-256 {ca.sha256}",
        f"  Android system-CA file name {ca.android_name}  (copy ready: {android_file})",
        "",
        "Point an Android emulator at the proxy:",
        f"  at boot (catches more apps):  emulator -avd <AVD> -writable-system -http-proxy http://{local}:{port}",
        f"  or on a running device:       adb shell settings put global http_proxy {emulator_host}:{port}",
        "                                (undo: adb shell settings put global http_proxy :0)",
        f"  ({EMULATOR_HOST_LOOPBACK} is the host's loopback seen from the emulator; Flutter, Unity, native code"
        " and QUIC ignore the global proxy setting)",
        "Trust the CA as a system CA (apps ignore user CAs since Android 7; needs a rootable google_apis image):",
        f"  first check where the system CAs live:  adb shell ls {APEX_CACERTS}",
        "  if that path does not exist (Android ≤ 13, API ≤ 33): with -writable-system,",
        "    adb root && adb shell avbctl disable-verification && adb reboot   (once), then adb root && adb remount",
        f"    adb push {android_file} {SYSTEM_CACERTS}/{ca.android_name}",
        f"    adb shell chmod 644 {SYSTEM_CACERTS}/{ca.android_name} && adb reboot",
        f"  if it exists (Android 14+, updated 13): CAs are read from {APEX_CACERTS} in each mount namespace:",
        f"    copy the existing CAs and {ca.android_name} into a tmpfs mounted over {SYSTEM_CACERTS}, then",
        f"    bind-mount it over {APEX_CACERTS} in zygote's, zygote64's and every running app's mount namespace",
        "    (adb root; nsenter --mount=/proc/<pid>/ns/mnt -- mount --bind ...); it lasts until reboot.",
        "",
        "Warning: a capture without a verified HTTPS request proves nothing. Open an HTTPS page or app on the",
        "device and check that the summary counts HTTPS flows; unobservable hosts are never 'clean'.",
        "Press Ctrl-C to stop.",
    ]
    for line in lines:
        err.print(Text(_printable(line)))
