"""Build a demo vault (issue 18: province ≤ 120 s, city ≤ 20 s).

The figure is the wall time of :func:`counselor_tui.demo.build_demo` for the size, with the
benchmarks' key-slot setting (Argon2id 0.5 s per slot). Where it comes from is printed in the
row's name: **cache build in this run** when the size's cached vault was missing and built
by this process (:data:`benchmarks.common.BUILT`), else **fresh build** into a temporary
folder under ``benchmarks/.cache`` that is deleted after (the cached vault is never
rebuilt or touched).

Baseline, same run: the floor of writing that much data — one row per person and per
session of the size (ids, dates and a note of the demo's length) written by ``executemany``
in one transaction into an unindexed table of a plain, unencrypted SQLite file in the same
folder. The ratio says how far above raw row writing the build is.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

from benchmarks.common import (
    BUILT,
    CACHE,
    PASSPHRASE,
    PRESETS,
    Result,
    cached_vault,
    clock,
    ensure_vault,
)
from counselor_tui import demo

#: A note of the demo's typical length (fictitious).
NOTE = "来访民警近期连续加班，睡眠不足，情绪低落。与配偶沟通减少，担心子女学业。已做放松训练。"

TARGETS = {"province": "≤ 120 s", "city": "≤ 20 s"}


def fresh_build_seconds(preset: str, folder: Path) -> float:
    """Seconds to build ``preset``'s demo vault into ``folder`` (a new, empty folder)."""
    started = time.perf_counter()
    demo.build_demo(folder / "vault.db", PRESETS[preset], 1, PASSPHRASE, clock(),
                    kdf_seconds=0.5, state_dir=folder / "st")
    return time.perf_counter() - started


def floor_seconds(preset: str, folder: Path) -> float:
    """Seconds to write one plain row per person and session of ``preset`` (the baseline)."""
    size = PRESETS[preset]
    rows = size.officers + size.others + size.sessions
    conn = sqlite3.connect(folder / "floor.db")
    try:
        conn.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, person INTEGER, "
                     "at TEXT, note TEXT)")
        started = time.perf_counter()
        with conn:
            conn.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", (
                (i, i % 100_000, f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T09:00:00+08:00", NOTE)
                for i in range(1, rows + 1)))
        return time.perf_counter() - started
    finally:
        conn.close()


def run(preset: str = "county") -> list[Result]:
    """The build row of ``preset``: this run's cache build when there was one, else a fresh
    build into a temporary folder; against the plain-rows floor."""
    if cached_vault(preset) is None:
        ensure_vault(preset)  # the other benchmarks need it anyway: build it once, time it
    CACHE.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix=".build-") as tmp:
        if preset in BUILT:
            seconds, how = BUILT[preset], "this run's cache build"
        else:
            seconds, how = fresh_build_seconds(preset, Path(tmp)), "fresh, temp folder"
        floor = floor_seconds(preset, Path(tmp))
    return [Result(f"build {preset} vault: {how}", seconds, "s",
                   "plain rows written", floor, TARGETS.get(preset, ""))]
