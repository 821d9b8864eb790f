"""Migration 21: the name order groups each surname character (issue 16 item 5).

The sort key of migration 17 put the surname's and the given name's syllables in one part,
so 张 and 章 (both zhāng) interleaved by given name (张安, 章北, 张成). The key now has the
surname first — syllables, tones, characters; a compound surname (欧阳, 长孙 …) as one —
then the given name (:func:`counselor_tui.domain.pinyin.name_keys`). Every stored key is
emptied (``NULL``) and the upgrade's last step computes it again in the same transaction
(:func:`counselor_tui.services.name_sort.fill_name_sort`); the empty keys of de-identified
persons (``''``, retention) stay empty.
"""

from __future__ import annotations

from typing import Any

NAME = "name order by surname character (person.name_sort recomputed)"


def up(conn: Any) -> None:
    """Empty every person's sort key so that the upgrade's last step recomputes it."""
    conn.execute("UPDATE person SET name_sort = NULL WHERE name_sort <> ''")
