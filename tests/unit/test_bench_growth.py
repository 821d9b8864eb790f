"""The benchmark harness's growth table and build row (issue 18), without measuring anything:
the table names every cached size and every missing one, and rows keep their names across
sizes."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import bench_build, common, growth
from benchmarks.common import Result


def _rows(preset: str, compile_ms: float) -> list[Result]:
    return [Result(f"compile month (2026-10, {preset})", compile_ms, "ms", "hand-written SQL",
                   compile_ms * 2, "≤ 1×"),
            Result(f"dashboard data ({preset})", 5.0, "ms", "hand-written SQL", 10.0, "")]


def test_growth_table_rows_sizes_and_missing() -> None:
    lines = growth.table_lines({"county": _rows("county", 10.0), "city": _rows("city", 140.0)},
                               ["province"])
    text = "\n".join(lines)
    assert "county" in lines[0] and "city" in lines[0] and "city÷county" in lines[0]
    assert "province" not in lines[0]
    compile_line = next(line for line in lines if line.startswith("compile month (2026-10)"))
    assert "10.0 ms" in compile_line and "140.0 ms" in compile_line
    assert "0.50×" in compile_line and compile_line.rstrip().endswith("14.0×")
    assert sum(line.startswith("dashboard data") for line in lines) == 1
    assert "left out: province" in text


def test_row_name_drops_only_the_size() -> None:
    assert growth.row_name("compile month (2024-12, province)", "province") == \
        "compile month (2024-12)"
    assert growth.row_name("dashboard data (city)", "city") == "dashboard data"
    assert growth.row_name("sorted page: tier desc", "city") == "sorted page: tier desc"


def test_build_row_reports_this_runs_cache_build(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # a size whose cache was built in this run is not built again: its time is reported
    monkeypatch.setattr(common, "CACHE", tmp_path)
    monkeypatch.setattr(bench_build, "CACHE", tmp_path)
    monkeypatch.setattr(bench_build, "cached_vault", lambda preset: tmp_path / "vault.db")
    monkeypatch.setitem(common.BUILT, "tiny", 12.5)
    (row,) = bench_build.run("tiny")
    assert row.value == 12.5 and "this run's cache build" in row.name
    assert row.baseline > 0


def test_closing_note_names_the_rows_short_of_their_goal() -> None:
    rows = [
        Result("compile month (2026-10, province)", 751.0, "ms", "hand-written SQL", 8150.0,
               "≤ 1×, ≤ 0.5 s at province"),
        Result("dashboard data (province)", 44.0, "ms", "hand-written SQL", 1421.0,
               "≤ 120 ms at province"),
        Result("build province vault: fresh", 332.0, "s", "plain rows written", 12.2,
               "≤ 120 s"),
        Result("RSS, TUI on archive (province)", 133.0, "MB", "bare Textual app", 33.0,
               "≤ 150 MB at province"),
        Result("counselor: archive first page", 30.0, "ms", "coordinator", 8.0,
               "≤ coordinator + 20 ms"),
        Result("unlock + dashboard (province)", 2000.0, "ms", "Argon2id alone", 100.0,
               "≤ 1 s at city"),
        Result("issue-11 steps", 75.0, "ms", "unlock", 356.0, "small share of ≤ 1 s"),
    ]
    short, checked = common.shortfalls(rows, "province")
    assert checked == 5  # the city-only goal and the wording without a number are not read
    assert short == [
        "compile month (2026-10, province): 751.00 ms, goal ≤ 500 ms",
        "build province vault: fresh: 332.00 s, goal ≤ 120 s",
        "counselor: archive first page: 30.00 ms, goal ≤ coordinator + 20 ms",
    ]
    short_city, _ = common.shortfalls(rows, "city")
    assert any(line.startswith("unlock + dashboard") for line in short_city)
