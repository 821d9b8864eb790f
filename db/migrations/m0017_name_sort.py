"""Migration 17: the archive sorts names by pinyin syllable (issue 16 item 5).

``name_pinyin`` has no syllable boundaries (``chenli``, ``chengan``), so sorting on it put
程安 between 陈立 and 陈子. ``person.name_sort`` keeps a key that separates syllables (``chen
li`` < ``cheng an``), tones and the characters as tie-breaks
(:func:`counselor_tui.domain.pinyin.name_keys`). The key needs pinyin, which SQL cannot
compute: the column starts empty (``NULL``) and the upgrade's last step fills every empty
key in the same transaction (:func:`counselor_tui.services.name_sort.fill_name_sort`).

The archive's sort indexes move from ``(key, name_pinyin)`` to ``(key, name_sort)``;
``person_name_pinyin`` stays for search by pinyin prefix.
"""

from __future__ import annotations

from typing import Any

NAME = "names sorted by pinyin syllable (person.name_sort)"

#: The sort indexes of migration 13, rebuilt on the new key: (index, key column).
_SORT_INDEXES = (
    ("person_sort_badge", "badge_no"),
    ("person_sort_unit", "sort_unit"),
    ("person_sort_tier", "sort_tier"),
    ("person_sort_review", "sort_review"),
    ("person_sort_last", "last_session_on"),
)

STATEMENTS = (
    'ALTER TABLE "person" ADD COLUMN "name_sort" TEXT',
    'DROP INDEX IF EXISTS "person_kind_name_pinyin"',
    'CREATE INDEX "person_name_sort" ON "person" ("name_sort")',
    'CREATE INDEX "person_kind_name_sort" ON "person" ("kind", "name_sort")',
    *(f'DROP INDEX IF EXISTS "{index}"' for index, _column in _SORT_INDEXES),
    *(f'CREATE INDEX "{index}" ON "person" ("{column}", "name_sort")'
      for index, column in _SORT_INDEXES),
)


def up(conn: Any) -> None:
    """Add the (empty) sort key and rebuild the name-order indexes on it."""
    for statement in STATEMENTS:
        conn.execute(statement)
