#!/usr/bin/env python3
"""Benchmark appaudit's static scan against androguard's full AnalyzeAPK.

Targets: appaudit must be >= 5x faster (wall time) and use <= 25% of the peak
memory of ``androguard.misc.AnalyzeAPK`` (+ the xref walk answering the same
question) on the large generated APK. Every measurement runs in a fresh child
process; its peak memory comes from ``os.wait4`` on that child only, plus a
sampled sum of PSS over the child's whole process tree (so multi-process
scanners are not under-reported).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GENERATOR = HERE / "gen_large_apk.py"
DEFAULT_APK = HERE / ".cache" / "large.apk"
TARGET_SPEEDUP = 5.0
TARGET_MEMORY_RATIO = 0.25

# Runs in a fresh interpreter: argv = [apk, facts.json, result.json].
BASELINE_CODE = r"""
import json, os, re, sys, time
t0 = time.perf_counter()
from loguru import logger
logger.remove()
from androguard.misc import AnalyzeAPK
apk_path, facts_path, result_path = sys.argv[1:4]
with open(facts_path) as fh:
    facts = json.load(fh)
t1 = time.perf_counter()
a, d, dx = AnalyzeAPK(apk_path)
t2 = time.perf_counter()

def desc(name):
    return "L" + name.replace(".", "/") + ";"

entries = set()
app = a.get_attribute_value("application", "name", format_value=True)
if app:
    app = desc(app)
    for m in ("onCreate()V", "attachBaseContext(Landroid/content/Context;)V"):
        entries.add(app + "->" + m)
for prov in a.get_providers():
    entries.add(desc(prov) + "->onCreate()Z")

def ref(ma):
    return ma.class_name + "->" + ma.name + ma.descriptor.replace(" ", "")

chains = []
for api in facts["sensitive_apis"]:
    cls, rest = api.split("->", 1)
    name, proto = rest[:rest.index("(")], rest[rest.index("("):]
    found = dx.find_methods(classname="^" + re.escape(cls) + "$",
                            methodname="^" + re.escape(name) + "$")
    targets = [m for m in found if m.descriptor.replace(" ", "") == proto]
    for target in targets:
        parent = {ref(target): None}
        queue = [target]
        while queue:
            nxt = []
            for ma in queue:
                for _, caller, _ in ma.get_xref_from():
                    r = ref(caller)
                    if r in parent:
                        continue
                    parent[r] = ref(ma)
                    if r in entries:
                        chain, cur = [], r
                        while cur is not None:
                            chain.append(cur)
                            cur = parent[cur]
                        chains.append({"entry": r, "api": api, "chain": chain})
                    nxt.append(caller)
            queue = nxt
t3 = time.perf_counter()
n_methods = sum(1 for _ in dx.get_methods())
with open(result_path, "w") as fh:
    json.dump({"import_s": t1 - t0, "analyze_s": t2 - t1, "xref_walk_s": t3 - t2,
               "total_s": time.perf_counter() - t0, "methods": n_methods,
               "dex_count": len(d), "entries": sorted(entries), "chains": chains}, fh)
# Skip interpreter teardown (freeing GBs of objects takes ~1 min): the baseline
# is timed as favourably as possible.
sys.stdout.flush()
os._exit(0)
"""


@dataclass
class Measurement:
    """One measured child-process run."""

    label: str
    wall_s: float
    maxrss_mib: float  # ru_maxrss of the child (largest single process of its tree)
    tree_pss_mib: float  # sampled peak of summed PSS/RSS over the process tree
    returncode: int
    stdout_tail: str = ""
    stderr_tail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def peak_mib(self) -> float:
        """Peak memory used for the comparison."""
        return max(self.maxrss_mib, self.tree_pss_mib)


def _children_map() -> dict[int, list[int]]:
    """Map pid -> child pids from /proc."""
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _proc_mem_kib(pid: int) -> int:
    """PSS (or RSS as fallback) of one process in KiB, 0 if gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return 0


class TreeSampler(threading.Thread):
    """Periodically sums the memory of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self._halt = threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        while not self._halt.is_set():
            kids = _children_map()
            todo, total = [self.pid], 0
            while todo:
                pid = todo.pop()
                total += _proc_mem_kib(pid)
                todo.extend(kids.get(pid, []))
            self.peak_kib = max(self.peak_kib, total)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        """Stop sampling."""
        self._halt.set()
        self.join()


def _tail(path: Path, n: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


def _kill_group(pid: int) -> None:
    """SIGKILL a child's process group, ignoring a race with its exit."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def measure(
    label: str, cmd: list[str], workdir: Path, env: dict[str, str] | None = None, timeout: float | None = None
) -> Measurement:
    """Run ``cmd`` in a fresh child and measure wall time and peak memory."""
    out_p, err_p = workdir / f"{label}.stdout", workdir / f"{label}.stderr"
    with out_p.open("wb") as out, err_p.open("wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=REPO, env=env, start_new_session=True
        )
        sampler = TreeSampler(proc.pid)
        sampler.start()
        timer = None
        if timeout:
            timer = threading.Timer(timeout, _kill_group, (proc.pid,))
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # e.g. Ctrl-C: the child runs in its own session
            _kill_group(proc.pid)
            os.wait4(proc.pid, 0)
            raise
        finally:
            if timer:
                timer.cancel()
            sampler.stop()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(
        label=label,
        wall_s=wall,
        maxrss_mib=usage.ru_maxrss / 1024,
        tree_pss_mib=sampler.peak_kib / 1024,
        returncode=proc.returncode,
        stdout_tail=_tail(out_p),
        stderr_tail=_tail(err_p),
    )


def ensure_apk(apk: Path, force: bool, gen_args: str) -> dict[str, Any]:
    """Run the generator (it skips work when cached) and load the sidecar facts."""
    cmd = [sys.executable, str(GENERATOR), "--out", str(apk), *shlex.split(gen_args)]
    if force:
        cmd.append("--force")
    print(f"$ {' '.join(cmd)}", flush=True)
    subprocess.run(cmd, check=True)
    facts: dict[str, Any] = json.loads(apk.with_name(apk.name + ".json").read_text())
    return facts


def appaudit_env() -> tuple[dict[str, str], str | None]:
    """Environment for ``python -m appaudit``; second item explains if unavailable."""
    env = dict(os.environ)
    probe = [
        sys.executable,
        "-c",
        "import importlib.util as u, sys; "
        "sys.exit(0 if u.find_spec('appaudit') and u.find_spec('appaudit.__main__')"
        " else 3)",
    ]
    if subprocess.run(probe, cwd=REPO, env=env, capture_output=True).returncode == 0:
        return env, None
    src = REPO / "src"
    if (src / "appaudit").is_dir():
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH", "")) if p)
        if subprocess.run(probe, cwd=REPO, env=env, capture_output=True).returncode == 0:
            return env, None
    return env, (
        "`python -m appaudit` is not available yet (no importable "
        "appaudit package with __main__); skipping the appaudit half"
    )


def _norm(item: Any) -> str | None:
    """Normalise one chain element to a 'Lcls;->name(proto)ret' string."""
    if isinstance(item, str):
        return item.replace(" ", "")
    if isinstance(item, dict):
        for key in ("method", "descriptor", "signature", "ref", "name", "api"):
            if isinstance(item.get(key), str):
                return str(item[key]).replace(" ", "")
    return None


def _deep_chains(obj: Any) -> list[dict[str, Any]]:
    """Find every dict holding a list under 'chain', anywhere in the JSON."""
    found: list[dict[str, Any]] = []
    if isinstance(obj, dict):
        if isinstance(obj.get("chain"), list):
            found.append(obj)
        for v in obj.values():
            found.extend(_deep_chains(v))
    elif isinstance(obj, list):
        for v in obj:
            found.extend(_deep_chains(v))
    return found


def check_chains(
    expected: list[dict[str, Any]], findings: list[dict[str, Any]], unreachable: list[dict[str, Any]]
) -> dict[str, Any]:
    """Compare reported chains with the expected ones (tolerant to format)."""
    got: list[tuple[list[str], set[str]]] = []
    for f in findings:
        raw = f.get("chain")
        chain = [x for x in (_norm(i) for i in raw) if x] if isinstance(raw, list) else []
        apis = {x for x in (_norm(f.get(k)) for k in ("api", "sink", "sensitive_api")) if x}
        got.append((chain, apis))
    per: list[dict[str, str]] = []
    for exp in expected:
        want: list[str] = exp["chain"]
        api: str = exp["api"]
        status = "missing"
        for chain, apis in got:
            c = chain[:-1] if chain and chain[-1] == api else chain
            if c == want[:-1]:
                status = "exact"
                break
            if chain and chain[0] == want[0] and (api in chain or api in apis):
                status = "endpoints"
        per.append({"id": exp.get("id", "?"), "status": status})
    orphan_callers = {o["caller"] for o in unreachable}
    false_pos = sorted({m for chain, _ in got for m in chain if m in orphan_callers})
    return {
        "expected": len(expected),
        "exact": sum(p["status"] == "exact" for p in per),
        "endpoints_only": sum(p["status"] == "endpoints" for p in per),
        "missing": [p["id"] for p in per if p["status"] == "missing"],
        "per_chain": per,
        "unreachable_reported": false_pos,
    }


def read_evidence(outdir: Path, facts: dict[str, Any]) -> dict[str, Any]:
    """Read appaudit's evidence.json defensively and check the start-up chains."""
    path = outdir / "evidence.json"
    if not path.exists():
        return {"status": f"no evidence.json in {outdir}"}
    try:
        ev = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return {"status": f"unreadable evidence.json: {exc}"}
    note = "startup.findings"
    findings: Any = None
    startup = ev.get("startup") if isinstance(ev, dict) else None
    if isinstance(startup, dict):
        findings = startup.get("findings")
    elif isinstance(startup, list):
        findings = startup
    if not isinstance(findings, list) or not all(isinstance(f, dict) for f in findings):
        findings = _deep_chains(ev)
        note = "format differs: no startup.findings list; chains found by deep search"
    res = check_chains(facts["startup_chains"], findings, facts.get("unreachable_sensitive", []))
    res["status"] = note
    res["findings_seen"] = len(findings)
    return res


def run_baseline(apk: Path, facts_path: Path, workdir: Path, i: int, timeout: float | None) -> Measurement:
    """Measure androguard AnalyzeAPK + xref walk in a fresh interpreter."""
    result = workdir / f"baseline{i}.json"
    m = measure(
        f"androguard{i}",
        [sys.executable, "-c", BASELINE_CODE, str(apk), str(facts_path), str(result)],
        workdir,
        timeout=timeout,
    )
    if m.returncode == 0 and result.exists():
        m.extra = json.loads(result.read_text())
    return m


def run_appaudit(
    apk: Path, workdir: Path, i: int, env: dict[str, str], facts: dict[str, Any], timeout: float | None
) -> Measurement:
    """Measure ``python -m appaudit scan`` in a fresh interpreter."""
    outdir = workdir / f"appaudit_out{i}"
    outdir.mkdir()
    cmd = [sys.executable, "-m", "appaudit", "scan", str(apk), "-o", str(outdir)]
    m = measure(f"appaudit{i}", cmd, workdir, env=env, timeout=timeout)
    m.extra = {"evidence": read_evidence(outdir, facts)} if m.returncode == 0 else {}
    return m


def summarise(runs: list[Measurement]) -> dict[str, float]:
    """Median wall/peak over successful runs."""
    ok = [r for r in runs if r.returncode == 0]
    if not ok:
        return {}
    return {
        "wall_s": statistics.median(r.wall_s for r in ok),
        "wall_min_s": min(r.wall_s for r in ok),
        "peak_mib": statistics.median(r.peak_mib for r in ok),
        "maxrss_mib": statistics.median(r.maxrss_mib for r in ok),
        "tree_pss_mib": statistics.median(r.tree_pss_mib for r in ok),
        "runs": len(ok),
    }


def _fmt(s: dict[str, float] | None, key: str, spec: str) -> str:
    if s:
        return format(s[key], spec)
    return "-".rjust(int(spec.split(".")[0]))


def print_report(
    facts: dict[str, Any], base: dict[str, float] | None, aud: dict[str, float] | None, note: str | None
) -> dict[str, Any]:
    """Print the comparison table; return verdict numbers."""
    print()
    print(
        f"APK: {facts['apk']}  dex: {facts['dex_total_bytes'] / 1e6:.1f} MB in "
        f"{facts['dex_count']} files, {facts['stats']['classes']} classes, "
        f"~{facts['stats']['methods']} methods"
    )
    print(f"{'':34}{'wall time (s)':>14}{'peak mem (MiB)':>16}")
    print(f"{'androguard AnalyzeAPK + xrefs':34}{_fmt(base, 'wall_s', '14.1f')}{_fmt(base, 'peak_mib', '16.0f')}")
    print(f"{'appaudit scan':34}{_fmt(aud, 'wall_s', '14.1f')}{_fmt(aud, 'peak_mib', '16.0f')}")
    verdict: dict[str, Any] = {}
    if base and aud:
        speedup = base["wall_s"] / aud["wall_s"]
        mem = aud["peak_mib"] / base["peak_mib"]
        sp_ok, mem_ok = speedup >= TARGET_SPEEDUP, mem <= TARGET_MEMORY_RATIO
        print(
            f"{'speedup (baseline/appaudit)':34}{speedup:13.1f}x   target >= "
            f"{TARGET_SPEEDUP:.0f}x   {'PASS' if sp_ok else 'FAIL'}"
        )
        print(
            f"{'memory (appaudit/baseline)':34}{mem * 100:13.1f}%   target <= "
            f"{TARGET_MEMORY_RATIO * 100:.0f}%  {'PASS' if mem_ok else 'FAIL'}"
        )
        verdict = {
            "speedup": speedup,
            "memory_ratio": mem,
            "speedup_pass": sp_ok,
            "memory_pass": mem_ok,
            "pass": sp_ok and mem_ok,
        }
    elif note:
        print(f"appaudit: {note}")
    return verdict


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    ap.add_argument("--apk", type=Path, default=DEFAULT_APK, help="generated APK path")
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool (median)")
    ap.add_argument("--skip-baseline", action="store_true", help="only run appaudit")
    ap.add_argument("--skip-appaudit", action="store_true", help="only run androguard")
    ap.add_argument("--json", type=Path, help="write all numbers to this file")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per run")
    ap.add_argument("--regenerate", action="store_true", help="force APK rebuild")
    ap.add_argument("--gen-args", default="", help="extra generator arguments, e.g. '--dex-count 2 --min-dex-mb 0'")
    ap.add_argument("--keep", action="store_true", help="keep the temp work dir")
    args = ap.parse_args(argv)
    apk: Path = args.apk.resolve()
    facts = ensure_apk(apk, args.regenerate, args.gen_args)
    facts_path = apk.with_name(apk.name + ".json")
    apk.read_bytes()  # warm the page cache so neither tool pays for cold I/O
    workdir = Path(tempfile.mkdtemp(prefix="appaudit-bench-"))
    env, note = appaudit_env()
    if args.skip_appaudit:
        note = "skipped (--skip-appaudit)"
    base_runs: list[Measurement] = []
    aud_runs: list[Measurement] = []
    for i in range(args.repeat):
        if not args.skip_baseline:
            print(f"[run {i + 1}/{args.repeat}] androguard AnalyzeAPK ...", flush=True)
            m = run_baseline(apk, facts_path, workdir, i, args.timeout)
            base_runs.append(m)
            if m.returncode != 0:
                print(f"  androguard FAILED (rc={m.returncode}):\n{m.stderr_tail}")
            else:
                found = {(c["entry"], c["api"]) for c in m.extra.get("chains", [])}
                want = {(c["entry"], c["api"]) for c in facts["startup_chains"]}
                print(
                    f"  {m.wall_s:.1f}s, peak {m.peak_mib:.0f} MiB (ru_maxrss "
                    f"{m.maxrss_mib:.0f}, tree PSS {m.tree_pss_mib:.0f}); analyze "
                    f"{m.extra.get('analyze_s', 0):.1f}s, xref walk "
                    f"{m.extra.get('xref_walk_s', 0):.2f}s; "
                    f"{len(want & found)}/{len(want)} expected chains found",
                    flush=True,
                )
        if note is None:
            print(f"[run {i + 1}/{args.repeat}] appaudit scan ...", flush=True)
            m = run_appaudit(apk, workdir, i, env, facts, args.timeout)
            aud_runs.append(m)
            if m.returncode != 0:
                print(f"  appaudit FAILED (rc={m.returncode}):\n{m.stderr_tail}")
            else:
                ev = m.extra.get("evidence", {})
                print(
                    f"  {m.wall_s:.1f}s, peak {m.peak_mib:.0f} MiB (ru_maxrss "
                    f"{m.maxrss_mib:.0f}, tree PSS {m.tree_pss_mib:.0f})",
                    flush=True,
                )
                print(
                    f"  evidence: {ev.get('status')}; exact {ev.get('exact', 0)}/"
                    f"{ev.get('expected', len(facts['startup_chains']))}, endpoints-only "
                    f"{ev.get('endpoints_only', 0)}, missing {ev.get('missing', '?')}, "
                    f"unreachable reported {ev.get('unreachable_reported', [])}",
                    flush=True,
                )
    base = summarise(base_runs) or None
    aud = summarise(aud_runs) or None
    verdict = print_report(facts, base, aud, note)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "apk": str(apk),
                    "dex_total_bytes": facts["dex_total_bytes"],
                    "dex_count": facts["dex_count"],
                    "targets": {"speedup": TARGET_SPEEDUP, "memory_ratio": TARGET_MEMORY_RATIO},
                    "baseline": base,
                    "appaudit": aud,
                    "appaudit_note": note,
                    "verdict": verdict,
                    "runs": [asdict(r) for r in base_runs + aud_runs],
                },
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {args.json}")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"work dir kept: {workdir}")
    if any(r.returncode != 0 for r in base_runs + aud_runs):
        return 1
    if verdict and not verdict["pass"]:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
