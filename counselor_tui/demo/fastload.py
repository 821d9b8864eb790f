"""Bulk-load settings of a demo vault while it is built (issue 18).

The builder writes a NEW file under a temporary name that only becomes the vault when it
is complete (:func:`counselor_tui.demo.build_demo` renames it into place last), so nothing
the interrupted build left behind is ever taken for a vault. While the phases write, the
one building connection therefore needs none of the durability a live vault needs:

* ``journal_mode = OFF`` and ``synchronous = OFF`` — no rollback journal or WAL frame is
  written and nothing waits for the disk (measured: a 0.1-city build spent two thirds of its
  time waiting for ``fsync``);
* a larger page cache (:data:`BUILD_CACHE_KIB`), so the index pages of the big tables stay
  decrypted in memory;
* the secondary indexes of the tables written in bulk (:data:`BULK_TABLES`) are dropped and
  created once at the end from their stored SQL: one sort per index instead of a B-tree
  insert per index per row (a session row carried thirteen of them);
* ``foreign_keys = OFF``: no parent looked up per row, and no child table scanned for a
  session whose closing session (``follow_up_closed_by``, same table) comes later in the
  chunk while its index is dropped. The generator writes only ids it made; the demo tests
  run ``check`` (``foreign_key_check``) on the vaults it builds.

On success the indexes are back exactly as the schema stores them and the connection is
returned to the vault's own settings (``journal_mode = WAL``, ``synchronous = FULL``, the
page cache of :data:`db.connection.CACHE_KIB`). A failed body leaves the file as it is: the
caller removes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from counselor_tui.services import audit
from counselor_tui.services.context import VaultSession
from db.connection import CACHE_KIB, PragmaCheckError

#: The tables the phases fill in bulk (their secondary indexes are created at the end).
BULK_TABLES = ("counseling_session", "session_topic", "assessment")

#: The building connection's page cache in KiB.
BUILD_CACHE_KIB = 256 * 1024


@contextlib.contextmanager
def bulk_settings(vs: VaultSession) -> Iterator[None]:
    """Hold this thread's connection for the body with the bulk-load settings above; on
    success restore the vault's own settings (and its anchor connection).

    Only for a vault being built under a temporary name. Raises
    :class:`db.connection.PragmaCheckError` when the journal mode cannot be switched.
    """
    vs.db.release()  # the anchor connection: leaving WAL needs the only connection
    with vs.reading():
        conn = vs.db.raw()
        _journal(conn, "off")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
        yield
        _journal(conn, "wal")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    vs.db.hold()


@contextlib.contextmanager
def indexes_afterwards(vs: VaultSession) -> Iterator[None]:
    """Drop the secondary indexes of :data:`BULK_TABLES` for the body; on success create
    them again from their stored SQL, recorded by one ``demo_generate`` audit event."""
    marks = ", ".join("?" * len(BULK_TABLES))
    with vs.transaction():
        indexes = [(str(name), str(sql)) for name, sql in vs.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY name", BULK_TABLES)]
        for name, _sql in indexes:
            vs.execute(f'DROP INDEX "{name}"')
    yield
    with vs.transaction():
        for _name, sql in indexes:
            vs.execute(sql)
        audit.record(vs, "demo_generate", "index", "", {"created": len(indexes)})


def _journal(conn: object, mode: str) -> None:
    got = conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()[0]  # type: ignore[attr-defined]
    if str(got).lower() != mode:
        raise PragmaCheckError("journal_mode")
