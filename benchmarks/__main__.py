"""``python -m benchmarks [--size county|city|province] [--only NAME]`` (``make bench``)."""

from __future__ import annotations

import argparse
import importlib

from benchmarks.common import report


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--size", default="county", choices=("tiny", "county", "city",
                                                               "province"),
                        help="demo size of the vault every benchmark uses")
    parser.add_argument("--only", action="append",
                        choices=("archive", "vault", "dashboard", "compile", "memory",
                                 "startup", "disclosure", "sealed", "counselor"))
    args = parser.parse_args()
    chosen = args.only or ["vault", "sealed", "archive", "counselor", "dashboard", "compile",
                           "memory", "startup"]
    results = []
    for name in chosen:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        results += module.run(args.size)
    report(results)


if __name__ == "__main__":
    main()
