"""``python -m benchmarks [--size tiny|county|city|province] [--only NAME] [--growth|--no-growth]``
(``make bench SIZE=province``).

Every benchmark of ``--only`` (default: all but ``disclosure``) at ``--size``, one table with
each row's same-run baseline and ratio; then, for a full run or with ``--growth``, the growth
table county → city → province over the vaults already cached (:mod:`benchmarks.growth`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import time

from benchmarks import growth
from benchmarks.common import report, shortfalls

NAMES = ("build", "archive", "vault", "dashboard", "compile", "memory", "startup", "disclosure",
         "sealed", "counselor")
DEFAULT = ("build", "vault", "sealed", "archive", "counselor", "dashboard", "compile", "memory",
           "startup")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--size", default="county", choices=("tiny", "county", "city",
                                                               "province"),
                        help="demo size of the vault every benchmark uses")
    parser.add_argument("--only", action="append", choices=NAMES)
    parser.add_argument("--growth", action=argparse.BooleanOptionalAction, default=None,
                        help="print the growth table county → city → province (default: "
                             "with a full run, not with --only)")
    args = parser.parse_args()
    chosen = args.only or list(DEFAULT)
    print(f"{platform.node()}: {os.cpu_count()} CPUs, {platform.platform()}, Python "
          f"{platform.python_version()}; load {os.getloadavg()[0]:.1f} at start "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}", flush=True)
    results = []
    for name in chosen:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        results += module.run(args.size)
    report(results)
    short, checked = shortfalls(results, args.size)
    print(f"\n{checked} rows with a goal at {args.size}: {checked - len(short)} met, "
          f"{len(short)} short{':' if short else '.'}")
    for line in short:
        print(f"  short: {line}")
    if args.growth or (args.growth is None and not args.only):
        growth.report()
    print(f"load {os.getloadavg()[0]:.1f} at the end", flush=True)


if __name__ == "__main__":
    main()
