"""Compile a monthly submission (DESIGN §11).

* compile (``services.submission_compile.compile_content``, last month, bureau scope) against
  the very SQL aggregates it runs, replayed as hand-written statements on a bare DB-API
  connection
  (the framework's overhead; target ≤ 1.5×, and ≤ 2 s at province);
* the same replayed SQL on an encrypted copy against a plain SQLite copy, both written by
  ``sqlcipher_export`` so their page layouts are identical (the SQLCipher overhead alone;
  target ≤ 1.3×). The copies hold fictitious demo data only and are deleted right after.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import CACHE, PASSPHRASE, Result, clock, ensure_vault, median, timed
from counselor_tui.domain.periods import period_of, previous
from counselor_tui.services import lifecycle
from counselor_tui.services.context import VaultSession
from counselor_tui.services.submission_compile import compile_content
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


def run(preset: str = "county", rounds: int = 5) -> list[Result]:
    path = ensure_vault(preset)
    vs = lifecycle.unlock(path, "demo", PASSPHRASE, clock=clock(), state_dir=path.parent / "st")
    try:
        period = previous(period_of("month", vs.today()))
        statements = _record(vs, period)
        compile_s = median(timed(lambda: compile_content(vs, period), rounds))
        key = vs.db.key
    finally:
        vs.close()
    vault_conn = open_connection(path, key)
    try:
        replayed_s = _replay_seconds(vault_conn, statements, rounds)
    finally:
        vault_conn.close()
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
    label = f"{period.label}, {len(statements)} queries, {preset}"
    return [
        Result(f"compile month ({label})", compile_s * 1000, "ms", "same SQL replayed",
               replayed_s * 1000, "≤ 1.5×, ≤ 2 s at province"),
        Result(f"SQLCipher vs plain SQLite ({preset})", encrypted_s * 1000, "ms",
               "plain SQLite", plain_s * 1000, "≤ 1.3×"),
    ]
