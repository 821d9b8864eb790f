"""A connection's page cache during a read of the whole file (issue 18: TUI memory).

The open-time integrity checks (:mod:`counselor_tui.services.health`) read every page of the
vault once, in a worker, while the screens use the other pooled connections. Such a read
gains little from a cache, and the :data:`db.connection.CACHE_KIB` (32 MiB) of decrypted
pages it would otherwise keep beside the screens' caches took the interface over 150 MB at
province size.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from db.connection import CACHE_KIB

#: Page cache in KiB of a connection while it reads the whole file (:func:`scan_cache`).
SCAN_CACHE_KIB = 2 * 1024


@contextlib.contextmanager
def scan_cache(conn: Any, kib: int = SCAN_CACHE_KIB) -> Iterator[None]:
    """Bound ``conn``'s page cache to ``kib`` KiB for a read of the whole file, then restore
    :data:`CACHE_KIB` (the cache then grows again only as pages are read).

    Lowering ``cache_size`` drops the pages over the new bound at once, so a pooled
    connection that served a screen before holds only ``kib`` during the scan. (Not
    ``PRAGMA shrink_memory`` as well: after it, the command line's reads on a vault found
    damaged failed where they had worked, tests/security/test_health.py::test_25_cli_…)
    """
    conn.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
