"""A DataTable whose text cells are shown exactly as typed.

Textual's :class:`~textual.widgets.DataTable` reads every ``str`` cell as Rich markup: a
name, title or reason typed by a user with ``[b]`` in it lost those characters silently,
and one with ``[/]`` raised ``MarkupError`` and stopped the program for whoever opened the
screen (an insider could crash a colleague's screen with an activity or appointment name).
:class:`PlainTable` turns ``str`` cells into :func:`counselor_tui.ui.text.plain` texts
(never markup; control characters shown as visible escapes); cells that are already
renderables (a styled :class:`rich.text.Text`) are kept as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey

from counselor_tui.ui.text import plain


class PlainCell(Text):
    """A text cell shown as typed that still compares, hashes and prints as its string
    (``table.get_row(key)[2] == "8"`` holds as it did for the ``str`` it was made from)."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.plain == other
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash(self.plain)

    def __lt__(self, other: object) -> bool:
        return self.plain < (other.plain if isinstance(other, Text) else str(other))


def as_cell(value: object) -> object:
    """``value`` ready for a cell: a ``str`` as a :class:`PlainCell` (never markup; control
    characters as visible escapes, :func:`counselor_tui.ui.text.plain`), anything else as
    is."""
    if isinstance(value, str):
        shown = plain(value)
        return PlainCell(shown.plain, style=shown.style)
    return value


class PlainTable(DataTable[Any]):
    """A :class:`DataTable` (same arguments and bindings) whose ``str`` cells are plain
    text, in :meth:`add_row`, :meth:`add_rows`, :meth:`update_cell` and
    :meth:`update_cell_at`."""

    def add_row(self, *cells: CellType, height: int | None = 1, key: str | None = None,
                label: str | Text | None = None) -> RowKey:
        return super().add_row(*(as_cell(c) for c in cells), height=height, key=key,
                               label=label)

    def add_rows(self, rows: Iterable[Iterable[CellType]]) -> list[RowKey]:
        return [self.add_row(*row) for row in rows]

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str,
                    value: CellType, *, update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, as_cell(value), update_width=update_width)

    def update_cell_at(self, coordinate: Coordinate, value: CellType, *,
                       update_width: bool = False) -> None:
        super().update_cell_at(coordinate, as_cell(value), update_width=update_width)
