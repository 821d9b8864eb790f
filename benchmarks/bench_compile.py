"""Compile a monthly submission (DESIGN §11).

* compile (``services.submission_compile.compile_content``, last month, bureau scope) against
  the same month's figures written by hand in plain SQL (:mod:`benchmarks.compile_sql`, not
  a replay of compile's statements) on a bare DB-API connection to the same vault; the
  headline figures of both must agree (target ≤ 1×, ≤ 0.5 s at province). A second row
  compiles the month 22 months earlier: its cost follows the activity since then, not the
  population;
* compile's own statements, replayed on an encrypted copy against a plain SQLite copy, both
  written by ``sqlcipher_export`` so their page layouts are identical (the SQLCipher overhead
  alone; target ≤ 1.3×). The copies hold fictitious demo data only and are deleted right
  after.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks import compile_sql
from benchmarks.common import CACHE, PASSPHRASE, Result, clock, ensure_vault, median, timed
from counselor_tui.domain.periods import Period, period_of, previous
from counselor_tui.services import lifecycle
from counselor_tui.services.context import VaultSession
from counselor_tui.services.submission_compile import _bounds, compile_content
from db.connection import CACHE_KIB, attach, open_connection


def _record(vs: VaultSession, period: Any) -> list[str]:
    """Every SQL statement one compile runs, with its parameters filled in (SQLite's trace
    callback), temporary tables included."""
    seen: list[str] = []
    with vs.reading():
        conn = vs.db.raw()
        conn.set_trace_callback(seen.append)
        try:
            compile_content(vs, period)
        finally:
            conn.set_trace_callback(None)
    skip = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")
    return [s for s in seen if not s.lstrip().upper().startswith(skip)]


def _replay(conn: Any, statements: list[str]) -> None:
    for sql in statements:
        conn.execute(sql).fetchall()


@contextlib.contextmanager
def _copies(path: Path, key: bytes) -> Iterator[tuple[Path, Path]]:
    """Two copies with the same page layout, made by ``sqlcipher_export`` in a private
    temporary folder and removed after: one encrypted with the vault's settings, one plain."""
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        encrypted, plain = Path(tmp) / "encrypted.db", Path(tmp) / "plain.db"
        conn = open_connection(path, key)
        try:
            attach(conn, encrypted, key, "enc")
            conn.execute("SELECT sqlcipher_export('enc')")
            conn.execute("DETACH DATABASE enc")
            conn.execute(f"ATTACH DATABASE '{plain}' AS plain KEY ''")
            conn.execute("SELECT sqlcipher_export('plain')")
            conn.execute("DETACH DATABASE plain")
        finally:
            conn.close()
        yield encrypted, plain


def _replay_seconds(conn: Any, statements: list[str], rounds: int) -> float:
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    _replay(conn, statements)  # warm the page cache as a running app has it
    return median(timed(lambda: _replay(conn, statements), rounds))


def _headline(content: dict[str, Any]) -> dict[str, int]:
    """The figures :func:`benchmarks.compile_sql.figures` returns, read from the content."""
    sections = content["sections"]
    counts = {**sections["counseling"]["figures"], **sections["archive"]["figures"]}
    return {
        **{k: int(counts[k]) for k in ("sessions", "minutes", "persons_served",
                                       "new_persons", "serving", "archived_in_period")},
        "screenings": sum(map(sum, sections["census"]["tables"]["screening"]["counts"])),
        "reported": sum(sections["incidents"]["tables"]["reported_by_kind"]["counts"]),
    }


def _params(vs: VaultSession, period: Period) -> dict[str, Any]:
    b = _bounds(vs, period)
    return {"start": b.start, "end": b.end, "start_date": b.start_date,
            "end_date": b.end_date, "cutoff": b.cutoff}


def _by_hand(path: Path, key: bytes, params: dict[str, Any], expected: dict[str, int],
             rounds: int) -> float:
    """Seconds for the hand-written figures on a bare connection (page cache warmed as a
    running app has it); raises when they differ from the compiled ones."""
    conn = open_connection(path, key)
    try:
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        found = compile_sql.figures(conn, params)
        if found != expected:
            raise AssertionError(f"hand-written SQL {found} != compiled {expected}")
        return median(timed(lambda: compile_sql.figures(conn, params), rounds))
    finally:
        conn.close()


def run(preset: str = "county", rounds: int = 5, *, sqlcipher: bool = True) -> list[Result]:
    """The compile rows of ``preset``; ``sqlcipher`` False leaves out the SQLCipher-vs-plain
    row (it writes two exported copies of the vault: the growth table skips it)."""
    path = ensure_vault(preset)
    vs = lifecycle.unlock(path, "demo", PASSPHRASE, clock=clock(), state_dir=path.parent / "st")
    try:
        period = previous(period_of("month", vs.today()))
        old = period
        for _ in range(22):
            old = previous(old)
        statements = _record(vs, period)
        compile_s = median(timed(lambda: compile_content(vs, period), rounds))
        old_s = median(timed(lambda: compile_content(vs, old), rounds))
        expected = _headline(compile_content(vs, period))
        expected_old = _headline(compile_content(vs, old))
        params, params_old = _params(vs, period), _params(vs, old)
        key = vs.db.key
    finally:
        vs.close()
    hand_s = _by_hand(path, key, params, expected, rounds)
    hand_old_s = _by_hand(path, key, params_old, expected_old, rounds)
    rows = [
        Result(f"compile month ({period.label}, {preset})", compile_s * 1000, "ms",
               "hand-written SQL", hand_s * 1000, "≤ 1×, ≤ 0.5 s at province"),
        Result(f"compile month ({old.label}, {preset})", old_s * 1000, "ms",
               "hand-written SQL", hand_old_s * 1000, "≤ 1×"),
    ]
    if not sqlcipher:
        return rows
    with _copies(path, key) as (encrypted, plain):
        enc = open_connection(encrypted, key)
        try:
            encrypted_s = _replay_seconds(enc, statements, rounds)
        finally:
            enc.close()
        conn = sqlite3.connect(plain)
        try:
            plain_s = _replay_seconds(conn, statements, rounds)
        finally:
            conn.close()
    return [
        *rows,
        Result(f"SQLCipher vs plain SQLite ({preset})", encrypted_s * 1000, "ms",
               "plain SQLite", plain_s * 1000, "≤ 1.3×"),
    ]
