"""Archive 档案 (DESIGN §6): every person, searched and filtered as you type.

The list is a :class:`~counselor_tui.ui.widgets.virtual_table.VirtualTable`: it loads
only the pages on screen from :func:`counselor_tui.services.persons.list_persons` (with
:func:`~counselor_tui.services.persons.count_persons` for its length), so it opens at once
at 100,000 persons. Each keystroke in the search box restarts a short debounce; queries
run in an exclusive worker group and an answer to an older query is dropped.

| key | action |
|---|---|
| F8 | focus the search box |
| ↓ (in the search box) / Enter | go to the list |
| ↑ / ↓ / PgUp / PgDn / Home / End | move in the list |
| Enter (in the list) | open the person record |
| Tab | filters: unit, police type, tier, kind, sort, descending |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Label, Select, Static

from counselor_tui.domain import vocab
from counselor_tui.i18n import N_, _
from counselor_tui.services import persons
from counselor_tui.services.api import Backend
from counselor_tui.services.persons import ArchiveQuery, PersonRow, UnitRow
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.virtual_table import Column, VirtualTable

PAGE_SIZE = 100
DEBOUNCE_SECONDS = 0.12
SORT_LABELS: dict[str, str] = {
    "name": N_("name"), "badge_no": N_("badge number"), "unit": N_("unit"),
    "tier": N_("tier"), "review_due": N_("review due"), "last_session": N_("last session"),
}


def columns() -> list[Column]:
    """The archive's columns (translated titles)."""
    return [
        Column(_("Badge"), 8), Column(_("Name"), 10), Column(_("Kind"), 6),
        Column(_("Unit"), 12, flex=True), Column(_("Police type"), 8), Column(_("Tier"), 4),
        Column(_("Review"), 10), Column(_("Last session"), 10),
    ]


#: The kind filter's choice that lists officers who left service too (issue 15: the former
#: stay in the archive).
FORMER = "officer+former"


def row_cells(row: PersonRow) -> list[str]:
    """The cells of one archive line (missing values empty)."""
    return [
        row.badge_no or "", row.name,
        _("former") if row.archived else vocab.label(vocab.PERSON_KINDS, row.kind),
        row.unit_name or "", row.police_type or "", vocab.label(vocab.TIERS, row.tier),
        "" if row.archived else row.review_due or "",  # a former officer is not reviewed
        row.last_session_on or "",
    ]


@dataclass(frozen=True)
class FirstAnswer:
    """Count and first page of a query."""

    serial: int
    total: int
    rows: list[PersonRow]


def first_page(backend: Backend, query: ArchiveQuery, serial: int) -> FirstAnswer:
    """Count and first page of ``query`` (runs in a worker)."""
    vs = backend.vs
    return FirstAnswer(serial, persons.count_persons(vs, query),
                       persons.list_persons(vs, query, 0, PAGE_SIZE))


def page_of(backend: Backend, query: ArchiveQuery, page: int,
            before: Sequence[PersonRow] | None = None) -> list[PersonRow]:
    """Page ``page`` of ``query`` (runs in a worker): read on from the last row of the page
    ``before`` it when that one is loaded and full (keyset), else from its offset."""
    after = before[-1].page_key if before and len(before) == PAGE_SIZE else None
    return persons.list_persons(backend.vs, query, page * PAGE_SIZE, PAGE_SIZE,
                                after=after or None)


class ArchiveScreen(BaseScreen):
    """The archive list with search, filters and sorting."""

    CSS_PATH = "../styles/archive.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "focus_list", N_("Go to the list"), id="focus_list", show=False),
    ]
    AUTO_FOCUS = "#archive-search"

    def __init__(self) -> None:
        super().__init__()
        self.query_serial = 0
        self.answered = 0
        self.total = 0
        self.current = ArchiveQuery()
        self._debounce: Timer | None = None
        self._ready = False

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label(_("Archive"), classes="screen-title")
        yield Input(id="archive-search", compact=True,
                    placeholder=_("search: name, pinyin, initials, badge number"))
        with Horizontal(id="archive-filters"):
            yield Select[int]([], prompt=_("all units"), id="filter-unit", compact=True)
            yield Select[str]([(t, t) for t in vocab.POLICE_TYPES],
                              prompt=_("all police types"), id="filter-police-type",
                              compact=True)
            yield Select[str]([(vocab.label(vocab.TIERS, t), t) for t in vocab.TIERS],
                              prompt=_("all tiers"), id="filter-tier", compact=True)
            yield Select[str]([*((vocab.label(vocab.PERSON_KINDS, k), k)
                                 for k in vocab.PERSON_KINDS),
                               (_("officers, former too"), FORMER)],
                              prompt=_("all kinds"), id="filter-kind", compact=True)
            yield Select[str]([(_(label), code) for code, label in SORT_LABELS.items()],
                              value="name", allow_blank=False, id="sort", compact=True)
            yield Checkbox(_("descending"), id="descending", compact=True)
        yield VirtualTable(columns(), row_cells, page_size=PAGE_SIZE, id="archive-table")
        yield Static("", id="archive-status", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.call(persons.units, self.backend.vs, done=self._units, group="archive-units")
        self._ready = True
        self.run_query()

    def on_screen_resume(self) -> None:
        if self.answered:
            self.query_one("#archive-table", VirtualTable).invalidate()

    def data_changed(self, what: str) -> None:
        """Something was saved (here or in another session): the loaded pages are asked for
        again, the cursor and scroll position stay."""
        if self.answered and self.is_attached:
            self.query_one("#archive-table", VirtualTable).invalidate()

    def _units(self, units: list[UnitRow]) -> None:
        if self.is_attached:
            self.query_one("#filter-unit", Select).set_options(
                [(u.name, u.id) for u in units])

    # -- building and running the query -----------------------------------------------------
    def build_query(self) -> ArchiveQuery:
        """The query the widgets describe."""
        def chosen(ident: str) -> Any:
            value = self.query_one(ident, Select).value
            return None if value is Select.NULL else value

        kind = chosen("#filter-kind")
        text = self.query_one("#archive-search", Input).value.strip()
        return ArchiveQuery(
            text=text,
            unit_id=chosen("#filter-unit"), police_type=chosen("#filter-police-type"),
            tier=chosen("#filter-tier"), kind="officer" if kind == FORMER else kind,
            # a search (name, badge, pinyin) finds those who left service too, marked
            # former (issue 15 item 2); the plain list shows them with that filter only
            include_archived=kind == FORMER or bool(text),
            sort=chosen("#sort") or "name",
            descending=self.query_one("#descending", Checkbox).value,
        )

    def run_query(self) -> None:
        """Count and load the first page of the current query (in a worker)."""
        self._debounce = None
        self.current = self.build_query()
        self.query_serial += 1
        self.query_one("#archive-status", Static).update(_("Searching…"))
        self.call(first_page, self.backend, self.current, self.query_serial,
                  done=self._answer, group="archive-query")

    @property
    def settled(self) -> bool:
        """True when the list shows the answer to the latest query."""
        return self._debounce is None and self.answered == self.query_serial

    def _answer(self, answer: FirstAnswer) -> None:
        if answer.serial != self.query_serial or not self.is_attached:
            return  # an older query: a newer one is on its way
        self.answered = answer.serial
        self.total = answer.total
        self.query_one("#archive-table", VirtualTable).reset(answer.total, answer.rows)
        self.query_one("#archive-status", Static).update(
            _("Persons: {n}").format(n=answer.total))

    def _schedule(self) -> None:
        if not self._ready:
            return
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self.run_query)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._schedule()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._schedule()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._schedule()

    def on_virtual_table_page_wanted(self, event: VirtualTable.PageWanted) -> None:
        event.stop()
        table, query, generation = event.table, self.current, event.generation
        before = table.loaded_page(event.page - 1) if event.page else None
        self.call(page_of, self.backend, query, event.page, before,
                  done=lambda rows: table.set_page(event.page, rows, generation),
                  group="archive-page", exclusive=False)

    # -- keys ------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._debounce is not None:  # Enter before the pause: search now
            self._debounce.stop()
            self.run_query()
        self.action_focus_list()

    def action_focus_list(self) -> None:
        """Move to the list."""
        self.set_focus(self.query_one("#archive-table", VirtualTable))

    def focus_search(self) -> None:
        """F8: put the cursor in the search box, text selected."""
        search = self.query_one("#archive-search", Input)
        search.focus()
        search.select_all()

    def on_virtual_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
        event.stop()
        if self.settled:  # never open a row of a list that is about to change
            self.post_message(OpenPerson(int(event.row.id)))

    def visible_names(self) -> Sequence[str]:
        """Names of the loaded rows on screen (for tests and the e2e check)."""
        table = self.query_one("#archive-table", VirtualTable)
        top = int(table.scroll_offset.y)
        rows = (table.row_at(i) for i in range(top, min(table.total, top + table.size.height)))
        return [r.name for r in rows if r is not None]
