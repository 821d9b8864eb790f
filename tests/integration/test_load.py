"""The short version of ``make load`` (issue 14): a few real processes log sessions, read
the archive, compile and back up one vault at once for a few seconds; every attempted write
is stored, no process saw an error, ``check`` passes with the audit chain intact and every
backup opens. Figures, not timings, are asserted (latency is measured by ``make load``)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.load import Plan, run


def test_short_load_stores_every_write_and_the_vault_checks(tmp_path: Path) -> None:
    # no pauses: with the default mean pause of 2 s (exponential) the one reader's first
    # pause outlasted the 4 s window about one run in seven, and it then read nothing
    report = run(Plan(loggers=3, readers=1, compilers=1, backups=1, seconds=4,
                      alone_seconds=1, think=0, browse=0), tmp_path, fresh=True)
    assert report.errors == ()
    assert report.attempted == report.stored > 0
    assert report.operations["reader"] > 0 and report.operations["compiler"] > 0
    assert report.check_ok and report.chain_ok
    assert report.backups >= 1 and report.backups_open == report.backups
    assert all(line for line in report.lines())
