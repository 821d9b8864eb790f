"""Compile a monthly submission (DESIGN §11).

* compile (``reports.compile.compile_content``, last month, bureau scope) against the very
  SQL aggregates it runs, replayed as hand-written statements on a bare DB-API connection
  (the framework's overhead; target ≤ 1.5×, and ≤ 2 s at province);
* the same replayed SQL on the encrypted vault against a plain SQLite copy of it (the
  SQLCipher overhead; target ≤ 1.3×). The plain copy holds fictitious demo data only and
  is deleted right after.
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
from counselor_tui.reports.compile import compile_content
from counselor_tui.services import vault
from counselor_tui.services.context import VaultSession
from db.connection import CACHE_KIB, open_connection


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
def _plain_copy(path: Path, key: bytes) -> Iterator[Path]:
    """A decrypted copy (sqlcipher_export) in a private temporary folder, removed after."""
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        plain = Path(tmp) / "plain.db"
        conn = open_connection(path, key)
        try:
            conn.execute(f"ATTACH DATABASE '{plain}' AS plain KEY ''")
            conn.execute("SELECT sqlcipher_export('plain')")
            conn.execute("DETACH DATABASE plain")
        finally:
            conn.close()
        yield plain


def run(preset: str = "county", rounds: int = 5) -> list[Result]:
    path = ensure_vault(preset)
    vs = vault.unlock(path, "demo", PASSPHRASE, clock=clock(), state_dir=path.parent / "st")
    try:
        period = previous(period_of("month", vs.today()))
        statements = _record(vs, period)
        compile_s = median(timed(lambda: compile_content(vs, period), rounds))
        key = vs.db.key
    finally:
        vs.close()
    enc = open_connection(path, key)
    try:
        _replay(enc, statements)  # warm the page cache like the compile had it
        encrypted_s = median(timed(lambda: _replay(enc, statements), rounds))
    finally:
        enc.close()
    with _plain_copy(path, key) as plain:
        conn = sqlite3.connect(plain)
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        try:
            _replay(conn, statements)
            plain_s = median(timed(lambda: _replay(conn, statements), rounds))
        finally:
            conn.close()
    label = f"{period.label}, {len(statements)} queries, {preset}"
    return [
        Result(f"compile month ({label})", compile_s * 1000, "ms", "same SQL replayed",
               encrypted_s * 1000, "≤ 1.5×, ≤ 2 s at province"),
        Result(f"SQLCipher vs plain SQLite ({preset})", encrypted_s * 1000, "ms",
               "plain SQLite", plain_s * 1000, "≤ 1.3×"),
    ]
