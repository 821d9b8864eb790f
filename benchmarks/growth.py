"""The growth table (issue 18): the same rows at county, city and province.

For each of :data:`SIZES` whose vault is cached under the current key
(:func:`benchmarks.common.cached_vault`; nothing is built here, a missing size is named in
the output), the rows that read a vault without building or copying it: the archive's sorted
pages and name searches (:mod:`benchmarks.bench_archive`), the dashboard data
(:mod:`benchmarks.bench_dashboard`) and the two compiled months (:mod:`benchmarks.bench_compile`
without its SQLCipher-vs-plain copies). Each cell is the value and its ratio to the same
run's baseline at that size; the last columns are the growth of the value from one size to
the next, beside the growth of the data (persons and sessions of :data:`counselor_tui.demo.SIZES`).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable

from benchmarks import bench_archive, bench_compile, bench_dashboard
from benchmarks.common import PASSPHRASE, PRESETS, Result, cached_vault, clock
from counselor_tui.services import lifecycle, persons

SIZES = ("county", "city", "province")


def _archive(preset: str, rounds: int = 5) -> list[Result]:
    path = cached_vault(preset)
    assert path is not None
    vs = lifecycle.unlock(path, "demo", PASSPHRASE, clock=clock(), state_dir=path.parent / "st")
    try:
        units = persons.units(vs)
        return (bench_archive.sorted_pages(vs, rounds)
                + bench_archive.name_search(vs, rounds, units[len(units) // 2].id))
    finally:
        vs.close()


#: The benchmarks of the table, each ``preset -> rows``.
BENCHES: tuple[Callable[[str], list[Result]], ...] = (
    _archive,
    functools.partial(bench_dashboard.run, rounds=3),
    functools.partial(bench_compile.run, rounds=3, sqlcipher=False),
)


def row_name(name: str, preset: str) -> str:
    """``name`` without the size it was measured at: "compile month (2026-10, city)" →
    "compile month (2026-10)", "dashboard data (city)" → "dashboard data"."""
    name = name.replace(f", {preset})", ")").replace(f" ({preset})", "")
    return re.sub(r"\s+", " ", name).strip()


def measure(sizes: tuple[str, ...] = SIZES) -> tuple[dict[str, list[Result]], list[str]]:
    """The rows of every cached size, and the sizes that are not cached."""
    found: dict[str, list[Result]] = {}
    missing = []
    for preset in sizes:
        if cached_vault(preset) is None:
            missing.append(preset)
            continue
        found[preset] = [r for bench in BENCHES for r in bench(preset)]
    return found, missing


def data_size(preset: str) -> str:
    """"113,807 persons, 2,000,000 sessions"-style description of a preset's data
    (officers and persons of kind other; family members are added by the generator)."""
    size = PRESETS[preset]
    return f"{size.officers + size.others:,}+ persons, {size.sessions:,} sessions"


def table_lines(found: dict[str, list[Result]], missing: list[str]) -> list[str]:
    """The growth table as printed lines: one row per benchmark row, a column per size
    (value, ratio to its same-run baseline), then the growth between neighbouring sizes."""
    sizes = [s for s in SIZES if s in found]
    names: list[str] = []
    cells: dict[tuple[str, str], Result] = {}
    for preset in sizes:
        for r in found[preset]:
            name = row_name(r.name, preset)
            if name not in names:
                names.append(name)
            cells[(name, preset)] = r
    steps = list(itertools.pairwise(sizes))
    head = f"{'growth (value, × baseline)':42}" + "".join(f"{s:>22}" for s in sizes)
    head += "".join(f"{b + '÷' + a:>16}" for a, b in steps)
    lines = [head, "-" * len(head)]
    lines.append(f"{'data: sessions':42}" + "".join(
        f"{PRESETS[s].sessions:>22,}" for s in sizes) + "".join(
        f"{PRESETS[b].sessions / PRESETS[a].sessions:>15.1f}×" for a, b in steps))
    for name in names:
        line = f"{name[:42]:42}"
        for s in sizes:
            cell = cells.get((name, s))
            line += (f"{'':>22}" if cell is None
                     else f"{cell.value:>9,.1f} {cell.unit:2} ({cell.ratio:6.2f}×)")
        for a, b in steps:
            ra, rb = cells.get((name, a)), cells.get((name, b))
            line += (f"{rb.value / ra.value:>15.1f}×" if ra and rb and ra.value
                     else f"{'':>16}")
        lines.append(line)
    for s in sizes:
        lines.append(f"  {s}: {data_size(s)}")
    if missing:
        lines.append(f"  not cached under the current key, left out: {', '.join(missing)} "
                     "(python -m benchmarks --size SIZE builds one)")
    return lines


def report() -> None:
    """Measure and print the growth table."""
    found, missing = measure()
    print()
    print("\n".join(table_lines(found, missing)))
