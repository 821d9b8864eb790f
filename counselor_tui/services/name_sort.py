"""The name order's sort keys (``person.name_sort``, migration 17; issue 16 item 5).

Persons written by this program get their key with their profile
(:func:`counselor_tui.services.persons.profile_of`); a vault upgraded from an older schema,
or rows written by an older program, have none (``NULL``) until the upgrade's last step,
:func:`finish_upgrade`, computes them from the stored names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from counselor_tui.domain.pinyin import name_keys
from db import sealing
from db import vault as slots

Execute = Callable[..., Any]


def fill_name_sort(execute: Execute) -> int:
    """Compute the sort key of every person who has none (``name_sort IS NULL``, found
    through its index); returns how many were filled. Runs inside the caller's
    transaction."""
    missing = [(int(pid), str(name)) for pid, name in execute(
        "SELECT id, name FROM person WHERE name_sort IS NULL")]
    for pid, name in missing:
        execute("UPDATE person SET name_sort = ? WHERE id = ?", (name_keys(name).sort, pid))
    return len(missing)


def finish_upgrade(keys: slots.KeySet) -> Callable[[Any], None]:
    """The last step of opening a vault (``then`` of :func:`db.migrations.migrate`, in the
    upgrade's transaction): seal what is still plain (:func:`db.sealing.seal_pending`) and
    fill missing name sort keys (:func:`fill_name_sort`)."""

    def finish(conn: Any) -> None:
        sealing.seal_pending(conn.execute, keys)
        fill_name_sort(conn.execute)

    return finish
