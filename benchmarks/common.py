"""Shared pieces: cached demo vaults, timing helpers, the result table."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from counselor_tui import demo
from counselor_tui.services.context import FixedClock
from db import connection, migrations

CACHE = Path(__file__).parent / ".cache"
PASSPHRASE = "benchmark horse battery staple"
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

#: Vault presets for benchmarks: the demo sizes plus an archive-only one with 100k persons.
PRESETS: dict[str, demo.DemoSize] = {
    **demo.SIZES,
    "archive100k": demo.DemoSize("archive100k", 40, 100_000, 20_000, 6, 50, 500),
}


def clock() -> FixedClock:
    """The fixed clock every benchmark vault is built and opened with."""
    return FixedClock(NOW)


#: Seconds each demo vault built by :func:`ensure_vault` took in this process (the build
#: row reports it instead of building the same size once more).
BUILT: dict[str, float] = {}


def cache_folder(preset: str, seed: int = 1) -> Path:
    """The cache folder of ``preset``'s vault under the current key: the demo generator's
    data version, the cipher settings and the schema version (a change to any of them names
    another folder)."""
    identity = repr((demo.DATA_VERSION, connection.CIPHER_SETTINGS, migrations.CURRENT_VERSION))
    digest = hashlib.sha256(identity.encode()).hexdigest()[:10]
    return CACHE / f"{preset}-s{seed}-{digest}"


def cached_vault(preset: str, seed: int = 1) -> Path | None:
    """The cached vault of ``preset`` under the current key, or None when none is cached
    (nothing is built)."""
    path = cache_folder(preset, seed) / "vault.db"
    return path if path.exists() else None


def ensure_vault(preset: str, seed: int = 1) -> Path:
    """A demo vault of ``preset``, built once and cached under ``benchmarks/.cache``.

    The cache key holds the demo generator's data version (bumped when what it generates
    changes), the cipher settings and the schema version: a change to any builds afresh (a
    newer schema alone would also be reached by the upgrade at unlock).
    Returns the database path (user ``demo``, :data:`PASSPHRASE`).
    """
    folder = cache_folder(preset, seed)
    path = folder / "vault.db"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("COUNSELOR_TUI_STATE_DIR", str(CACHE / "state"))
    started = time.perf_counter()
    print(f"building {preset} vault (cached for later runs) …", file=sys.stderr, flush=True)
    # built in a scratch folder and renamed when complete: an interrupted build leaves no
    # half-built vault that a later run would take for a cached one
    building = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=CACHE))
    demo.build_demo(building / "vault.db", PRESETS[preset], seed, PASSPHRASE, clock(),
                    kdf_seconds=0.5, state_dir=CACHE / "state",
                    progress=lambda line: print("  " + line, file=sys.stderr, flush=True))
    seconds = time.perf_counter() - started
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)
    BUILT[preset] = seconds
    print(f"built in {seconds:.0f} s", file=sys.stderr, flush=True)
    return path


@contextlib.contextmanager
def scratch_copy(path: Path) -> Iterator[Path]:
    """A throw-away copy of a cached vault (database and key slots) for write benchmarks."""
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        target = Path(tmp) / "vault.db"
        shutil.copyfile(path, target)
        shutil.copyfile(f"{path}.keys", f"{target}.keys")
        yield target


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    """Run ``fn`` ``rounds`` times; seconds per run."""
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def p95(values: list[float]) -> float:
    """95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def median(values: list[float]) -> float:
    return statistics.median(values)


@dataclass(frozen=True)
class Result:
    """One printed line: what was measured, its value, the baseline and the target."""

    name: str
    value: float
    unit: str
    baseline_name: str
    baseline: float
    target: str

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")


def report(results: list[Result]) -> None:
    """Print the results as an aligned table (ratio = value ÷ baseline)."""
    header = f"{'benchmark':44} {'value':>12} {'baseline':>40} {'ratio':>9}  target"
    print(header)
    print("-" * len(header))
    for r in results:
        base = f"{r.baseline_name} {r.baseline:,.2f} {r.unit}"
        print(f"{r.name:44} {r.value:>9,.2f} {r.unit:2} {base:>40} {r.ratio:>9.4f}  {r.target}")


_SCALE = {"ms": 1e-3, "s": 1.0, "MB": 1.0}
_LIMIT = re.compile(r"≤ ([\d,.]+) ?(ms|s|MB)(?: at (\w+))?")
_RATIO = re.compile(r"≤ ([\d.]+)×$")
_ABOVE = re.compile(r"≤ [\w ]+ \+ ([\d,.]+) ?(ms|s)$")


def _checks(r: Result, preset: str) -> list[tuple[bool, str]]:
    """(met, goal) for each part of ``r.target`` this checker reads: "≤ N unit [at SIZE]"
    (only at that size), "≤ N×" (the ratio), "≤ baseline + N unit"; other wording is not
    checked."""
    out = []
    for part in (p.strip() for p in r.target.split(",")):
        if (m := _LIMIT.match(part)) and r.unit in _SCALE:
            number, unit, size = m.groups()
            if size not in (None, preset) or (unit == "MB") != (r.unit == "MB"):
                continue
            goal = float(number.replace(",", "")) * _SCALE[unit] / _SCALE[r.unit]
            out.append((r.value <= goal, f"≤ {goal:,.4g} {r.unit}"))
        elif m := _RATIO.match(part):
            out.append((r.ratio <= float(m.group(1)), f"≤ {m.group(1)}× {r.baseline_name}"))
        elif (m := _ABOVE.match(part)) and r.unit in _SCALE:
            number, unit = m.groups()
            margin = float(number.replace(",", "")) * _SCALE[unit] / _SCALE[r.unit]
            out.append((r.value <= r.baseline + margin,
                        f"≤ {r.baseline_name} + {margin:,.4g} {r.unit}"))
    return out


def shortfalls(results: list[Result], preset: str) -> tuple[list[str], int]:
    """The closing note's lines: each row short of a goal its target states for ``preset``
    ("name: value unit, goal …"), and how many rows had a goal checked."""
    short, checked = [], 0
    for r in results:
        checks = _checks(r, preset)
        checked += bool(checks)
        missed = [goal for met, goal in checks if not met]
        if missed:
            short.append(f"{r.name}: {r.value:,.2f} {r.unit}, goal {'; '.join(missed)}")
    return short, checked
