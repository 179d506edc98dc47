"""How the report's rendering scales with the evidence, against serialising the same evidence.

The report is built from evidence.json in memory; its cost should grow with the evidence about as
the evidence's own JSON does, not faster. This benchmark takes a real bundle (by default the demo's
``reports/demo/evidence.json``; run ``./dev demo`` first) and scales its traffic: every flow and PI
match is copied ``k`` times with shifted timestamps, for ``k`` in ``--scales``. For each scale it
measures, in the same process and run, the median of ``--repeat`` runs of:

- baseline: ``codec.dumps(bundle)`` (writing evidence.json);
- report: ``render_html(bundle, check=evaluate(bundle), lang=...)`` (one language, and both).

It prints the ratio report / baseline per scale and the page size; the ratio should stay roughly
flat as flows grow (the timeline bins crowded lanes; tables are capped). Exit 0 always: it measures.

    .venv/bin/python benchmarks/bench_report.py --scales 1 10 50 --repeat 3
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from appaudit.checker.run import evaluate
from appaudit.evidence import codec
from appaudit.evidence.model import EvidenceBundle
from appaudit.report.html import render_html
from appaudit.report.view.build import ReportContext


def scaled(bundle: EvidenceBundle, k: int) -> EvidenceBundle:
    """``bundle`` with its flows and PI matches repeated ``k`` times (ids and times kept distinct)."""
    traffic = bundle.traffic
    if traffic is None or k == 1:
        return bundle
    flows, matches = [], []
    for copy in range(k):
        shift = copy * 1e-3
        for f in traffic.flows:
            flows.append(dataclasses.replace(f, id=f"{f.id}~{copy}", ts=f.ts + shift))
        for m in traffic.pi_matches:
            matches.append(dataclasses.replace(m, flow_id=f"{m.flow_id}~{copy}"))
    return dataclasses.replace(
        bundle, traffic=dataclasses.replace(traffic, flows=tuple(flows), pi_matches=tuple(matches))
    )


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evidence", type=Path, default=Path("reports/demo/evidence.json"))
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.evidence.is_file():
        print(f"no evidence at {args.evidence}: run ./dev demo first, or pass --evidence", file=sys.stderr)
        return 2
    original = codec.read(args.evidence)
    context = ReportContext(artifacts=args.evidence.parent)
    print(f"{'flows':>8} {'json s':>8} {'en s':>8} {'both s':>8} {'en/json':>8} {'both/json':>9} {'page KiB':>9}")
    for k in args.scales:
        bundle = scaled(original, k)
        check = evaluate(bundle)
        baseline = median_seconds(lambda b=bundle: codec.dumps(b), args.repeat)
        render = functools.partial(render_html, bundle, generated_by="bench", check=check, context=context)
        en = median_seconds(functools.partial(render, lang="en"), args.repeat)
        both = median_seconds(functools.partial(render, lang="both"), args.repeat)
        flows = len(bundle.traffic.flows) if bundle.traffic else 0
        size = len(render(lang="both").encode("utf-8")) / 1024
        print(f"{flows:>8} {baseline:>8.3f} {en:>8.3f} {both:>8.3f} {en / baseline:>8.1f} {both / baseline:>9.1f} "
              f"{size:>9.0f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
