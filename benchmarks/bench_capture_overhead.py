"""Per-flow cost of appaudit's capture addon against mitmdump without it.

Both configurations run in the same process, on the same machine, against the same local HTTP server, with
the same mitmdump options (per-run confdir, ``save_stream_file``, no per-flow log lines); the only
difference is ``-s addon.py --set appaudit_out=...``:

- baseline: ``mitmdump`` alone (ready when a probe request gets through);
- addon: ``appaudit.traffic.supervisor.CaptureProcess`` (ready on the addon's running event), as
  ``appaudit capture`` runs it.

Each run sends ``--warmup`` untimed then ``--requests`` timed POST requests, one after another on one
keep-alive connection through the proxy. Runs alternate baseline/addon ``--repeat`` times; the median
per-flow time of each configuration is reported, with the ratio addon / baseline, the difference in ms
per flow, and the addon's self-measured time per flow (the ``done`` event's ``overhead_ms_per_flow``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from appaudit.traffic import layout
from appaudit.traffic.supervisor import CaptureProcess, find_mitmdump, read_events


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: Nagle + delayed ACK would add ~40 ms
    response = b"x" * 1024

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(self.response)))
        self.end_headers()
        self.wfile.write(self.response)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def send_requests(proxy: tuple[str, int], server_port: int, count: int, body: bytes) -> float:
    """Seconds for ``count`` sequential POSTs through the proxy on one keep-alive connection."""
    conn = http.client.HTTPConnection(*proxy, timeout=30)
    url = f"http://127.0.0.1:{server_port}/collect"
    start = time.perf_counter()
    for _ in range(count):
        conn.request("POST", url, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"proxy answered {response.status}")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_baseline(work: Path, server_port: int, args: argparse.Namespace, body: bytes) -> float:
    """mitmdump without the addon; returns seconds per flow."""
    work.mkdir(parents=True)
    port = _free_port()
    command = [str(find_mitmdump()), "--listen-host", "127.0.0.1", "--listen-port", str(port)]
    for option in (f"confdir={work / 'confdir'}", f"save_stream_file={work / 'flows.mitm'}", "flow_detail=0",
                   "termlog_verbosity=warn"):  # fmt: skip
        command += ["--set", option]
    with (work / "mitmdump.log").open("wb") as log:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:  # ready when a request gets through
                try:
                    send_requests(("127.0.0.1", port), server_port, 1, body)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"baseline mitmdump did not start; see {work / 'mitmdump.log'}") from None
                    time.sleep(0.05)
            send_requests(("127.0.0.1", port), server_port, args.warmup, body)
            return send_requests(("127.0.0.1", port), server_port, args.requests, body) / args.requests
        finally:
            proc.terminate()
            proc.wait(30)


def run_addon(work: Path, server_port: int, args: argparse.Namespace, body: bytes) -> tuple[float, float]:
    """mitmdump with the addon; returns (seconds per flow, the addon's own ms per flow)."""
    with CaptureProcess(work) as capture:
        assert capture.address is not None
        send_requests(capture.address, server_port, args.warmup, body)
        per_flow = send_requests(capture.address, server_port, args.requests, body) / args.requests
    done = [e for e in read_events(work) if e["type"] == layout.DONE]
    if not done or not capture.clean:
        raise RuntimeError(f"the capture did not stop cleanly; see {capture.log_path}")
    return per_flow, float(done[0]["overhead_ms_per_flow"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500, help="timed requests per run (default 500)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests first (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each configuration (default 3)")
    parser.add_argument("--body-bytes", type=int, default=512, help="request body size (default 512)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    body = b'{"k":"' + b"v" * max(0, args.body_bytes - 8) + b'"}'
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    baseline: list[float] = []
    addon: list[float] = []
    self_measured: list[float] = []
    with tempfile.TemporaryDirectory(prefix="appaudit-bench-capture-") as tmp:
        for i in range(args.repeat):
            baseline.append(run_baseline(Path(tmp) / f"baseline-{i}", server.server_address[1], args, body))
            per_flow, own = run_addon(Path(tmp) / f"addon-{i}", server.server_address[1], args, body)
            addon.append(per_flow)
            self_measured.append(own)
            print(
                f"run {i + 1}/{args.repeat}: baseline {baseline[-1] * 1000:.3f} ms/flow, "
                f"addon {addon[-1] * 1000:.3f} ms/flow (self-measured {own:.3f} ms/flow)",
                file=sys.stderr,
            )
    server.shutdown()
    base_ms, addon_ms = statistics.median(baseline) * 1000, statistics.median(addon) * 1000
    own_ms = statistics.median(self_measured)
    result = {
        "requests": args.requests,
        "repeat": args.repeat,
        "body_bytes": len(body),
        "baseline_ms_per_flow": round(base_ms, 4),
        "addon_ms_per_flow": round(addon_ms, 4),
        "ratio": round(addon_ms / base_ms, 3),
        "overhead_ms_per_flow": round(addon_ms - base_ms, 4),
        "addon_self_measured_ms_per_flow": round(own_ms, 4),
    }
    print(f"{args.requests} sequential POSTs ({len(body)} B up, 1 KiB down) per run, median of {args.repeat} runs")
    print(f"mitmdump without the addon : {base_ms:8.3f} ms per flow")
    print(f"mitmdump with the addon    : {addon_ms:8.3f} ms per flow")
    print(f"ratio                      : {addon_ms / base_ms:8.3f}x  ({addon_ms - base_ms:+.3f} ms per flow)")
    print(f"addon's own measurement    : {own_ms:8.3f} ms per flow (time inside its hooks, from the done event)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
