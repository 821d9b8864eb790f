"""A table that shows any number of rows by loading only the pages on screen (DESIGN §11).

Textual's DataTable needs every row up front (about 13 s for 100,000 persons); this widget
knows only the row count and asks its owner for pages (:class:`VirtualTable.PageWanted`)
as they scroll into view, keeping at most :data:`MAX_PAGES` pages in memory. It draws with
the line API (one :class:`~textual.strip.Strip` per screen line), so its cost depends on
the screen height, not the row count. Widths are measured in terminal cells
(``rich.cells.cell_len``): a Chinese character takes two.

| key | action |
|---|---|
| ↑ / ↓ | previous / next row |
| PgUp / PgDn | one screen up / down |
| Home / End | first / last row |
| Enter | open the row |
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from counselor_tui.i18n import N_

#: Pages kept in memory (least recently used are dropped).
MAX_PAGES = 40


@dataclass(frozen=True)
class Column:
    """A column: header text, width in cells (``flex`` columns share what is left, at
    least ``width`` each)."""

    title: str
    width: int
    flex: bool = False


def fit(text: str, width: int) -> str:
    """``text`` cut (with …) or padded with spaces to exactly ``width`` cells."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    rich_text = Text(text)
    rich_text.truncate(width, overflow="ellipsis", pad=True)
    plain = rich_text.plain
    return plain + " " * (width - cell_len(plain))


class VirtualTable(ScrollView, can_focus=True):
    """Rows ``0 … total-1`` in pages of ``page_size``; ``render`` turns a row object into
    its cell texts. The first screen line is the header."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header", "virtual-table--cursor", "virtual-table--placeholder",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", N_("Previous row"), id="row_up", show=False),
        Binding("down", "move(1)", N_("Next row"), id="row_down", show=False),
        Binding("pageup", "page(-1)", N_("Page up"), id="page_up", show=False),
        Binding("pagedown", "page(1)", N_("Page down"), id="page_down", show=False),
        Binding("home", "first", N_("First row"), id="first_row", show=False),
        Binding("end", "last", N_("Last row"), id="last_row", show=False),
        Binding("enter", "open", N_("Open"), id="open_row"),
    ]

    cursor: reactive[int] = reactive(0)

    class PageWanted(Message):
        """Page ``page`` (rows ``page*page_size`` …) of ``generation`` is needed."""

        def __init__(self, table: VirtualTable, page: int, generation: int) -> None:
            super().__init__()
            self.table = table
            self.page = page
            self.generation = generation

        @property
        def control(self) -> VirtualTable:
            return self.table

    class RowSelected(Message):
        """Enter (or a double click) on row ``index`` holding ``row``."""

        def __init__(self, table: VirtualTable, index: int, row: Any) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.row = row

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(self, columns: Sequence[Column], render: Callable[[Any], Sequence[str]], *,
                 page_size: int = 100, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = tuple(columns)
        self.render_row = render
        self.page_size = page_size
        self.total = 0
        self.generation = 0
        self._pages: OrderedDict[int, list[Any]] = OrderedDict()
        self._requested: set[int] = set()

    # -- data ------------------------------------------------------------------------------
    def reset(self, total: int, first_page: list[Any] | None = None) -> int:
        """Start over with ``total`` rows (new search or filter); returns the new
        generation, which :meth:`set_page` answers must carry."""
        self.generation += 1
        self.total = max(0, total)
        self._pages.clear()
        self._requested.clear()
        if first_page is not None:
            self._pages[0] = list(first_page)
        self.virtual_size = Size(self.size.width, self.total + 1)
        self.set_reactive(VirtualTable.cursor, 0)
        self.scroll_to(0, 0, animate=False)
        self.refresh()
        return self.generation

    def invalidate(self) -> None:
        """Drop the loaded pages (they are asked for again) but keep the cursor and the
        scroll position: after returning from a record whose data may have changed."""
        self.generation += 1
        self._pages.clear()
        self._requested.clear()
        self.refresh()

    def set_page(self, page: int, rows: list[Any], generation: int) -> None:
        """Store the rows of ``page`` (ignored when ``generation`` is stale)."""
        if generation != self.generation:
            return
        self._requested.discard(page)
        self._pages[page] = list(rows)
        self._pages.move_to_end(page)
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        self.refresh()

    def row_at(self, index: int) -> Any | None:
        """The row object at ``index`` if its page is loaded (else None, and it is asked
        for)."""
        if not 0 <= index < self.total:
            return None
        page, offset = divmod(index, self.page_size)
        rows = self._pages.get(page)
        if rows is None:
            self._want(page)
            return None
        self._pages.move_to_end(page)
        return rows[offset] if offset < len(rows) else None

    def loaded_page(self, page: int) -> list[Any] | None:
        """The rows of ``page`` if it is loaded (None otherwise; nothing is asked for)."""
        rows = self._pages.get(page)
        return list(rows) if rows is not None else None

    def _want(self, page: int) -> None:
        if page not in self._requested:
            self._requested.add(page)
            self.post_message(self.PageWanted(self, page, self.generation))

    @property
    def loaded_rows(self) -> int:
        """How many rows are held in memory now."""
        return sum(len(rows) for rows in self._pages.values())

    # -- drawing ---------------------------------------------------------------------------
    def _widths(self, width: int) -> list[int]:
        gaps = len(self.columns) - 1
        fixed = sum(c.width for c in self.columns if not c.flex)
        flex = [c for c in self.columns if c.flex]
        spare = max(0, width - fixed - gaps)
        share = spare // len(flex) if flex else 0
        return [max(c.width, share) if c.flex else c.width for c in self.columns]

    def _line(self, cells: Sequence[str], widths: list[int], style: Style,
              width: int) -> Strip:
        text = " ".join(fit(cell, w) for cell, w in zip(cells, widths, strict=False))
        text = fit(text, width)
        return Strip([Segment(text, style)], cell_len(text))

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        widths = self._widths(width)
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("virtual-table--header")
            return self._line([c.title for c in self.columns], widths, style, width)
        index = int(self.scroll_offset.y) + y - 1
        if index >= self.total:
            return Strip.blank(width, base)
        row = self.row_at(index)
        if row is None:
            style = base + self.get_component_rich_style("virtual-table--placeholder")
            return self._line(["…"], [width], style, width)
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("virtual-table--cursor")
        return self._line(list(self.render_row(row)), widths, style, width)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self.total + 1)

    # -- cursor ----------------------------------------------------------------------------
    @property
    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def watch_cursor(self, old: int, new: int) -> None:
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + self._body_height:
            self.scroll_to(y=new - self._body_height + 1, animate=False)
        self.refresh()

    def _move_to(self, index: int) -> None:
        if self.total:
            self.cursor = max(0, min(self.total - 1, index))

    def action_move(self, step: int) -> None:
        """Move the cursor ``step`` rows."""
        self._move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        """Move the cursor one screen."""
        self._move_to(self.cursor + direction * self._body_height)

    def action_first(self) -> None:
        """Go to the first row."""
        self._move_to(0)

    def action_last(self) -> None:
        """Go to the last row."""
        self._move_to(self.total - 1)

    def action_open(self) -> None:
        """Open the row under the cursor (when loaded)."""
        row = self.row_at(self.cursor)
        if row is not None:
            self.post_message(self.RowSelected(self, self.cursor, row))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        index = int(self.scroll_offset.y) + event.y - 1
        if 0 <= index < self.total:
            self.cursor = index
            if event.chain >= 2:
                self.action_open()
