"""SDK detection cost against its floor: reading the class names from the DEX headers.

Both are measured in the same run on the same APK (default: the generated large APK, see
gen_large_apk.py), best of ``--repeat`` runs each:

- baseline: open the APK, read every classes*.dex and list its class descriptors (no code decoded);
- detection: the same reading plus ``match_sdks`` over those classes, the manifest's components and
  meta-data, native libraries, assets and hosts.

Prints both times and the ratio detection / baseline.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from appaudit.knowledge.sdk_db import load_sdk_database
from appaudit.static.archive import open_apk
from appaudit.static.dex.reader import DexImage
from appaudit.static.sdk_match import match_sdks

DEFAULT_APK = Path(__file__).resolve().parent / ".cache" / "large.apk"


def class_names(apk: Path) -> tuple[list[str], list[str], list[str]]:
    with open_apk(apk) as archive:
        names = [n for dex in archive.dex_names() for n in DexImage(dex, archive.read(dex)).class_descriptors()]
        return names, list(archive.names_under("lib/")), list(archive.names_under("assets/"))


def detect(apk: Path) -> int:
    db = load_sdk_database()
    names, libs, assets = class_names(apk)
    hits = match_sdks(
        db, class_names=names, components=[], meta_data_keys=[], permissions=[], native_libs=libs, assets=assets,
        hosts=[],
    )  # fmt: skip
    return len(hits)


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apk", type=Path, default=DEFAULT_APK)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.apk.is_file():
        raise SystemExit(f"{args.apk} does not exist: run benchmarks/gen_large_apk.py first")
    load_sdk_database()  # load (and cache) the database outside the timed region, as a scan does
    classes = len(class_names(args.apk)[0])
    baseline = best_of(args.repeat, lambda: class_names(args.apk))
    detection = best_of(args.repeat, lambda: detect(args.apk))
    found = detect(args.apk)
    result = {
        "apk": str(args.apk),
        "classes": classes,
        "sdks_found": found,
        "read_class_names_s": round(baseline, 4),
        "detect_sdks_s": round(detection, 4),
        "ratio": round(detection / baseline, 2),
    }
    print(f"classes: {classes:,}   SDKs found: {found}")
    print(f"read class names : {baseline:8.3f} s (best of {args.repeat})")
    print(f"detect SDKs      : {detection:8.3f} s (best of {args.repeat}, includes reading the names)")
    print(f"ratio            : {detection / baseline:8.2f}x")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
