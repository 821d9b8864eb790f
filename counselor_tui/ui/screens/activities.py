"""Activities & training 活动培训 (DESIGN §6; §1 trainings, drills, lectures, interest groups).

Tab *Activities*: every activity of the typed period (``2026``, ``2026-11``, ``2026-Q4``;
empty for all) and kind, newest first, in a virtual list, with the period's figures by kind
(count, participants, hours — the same figures as the submission's team section). Tab
*Interest groups*: the groups with lead, members, meetings held and the last meeting.

Counselors record the activities they ran and correct or void what they recorded;
coordinators manage everything, interest groups included; auditors see the figures only;
admins nothing here (the services refuse the same).

| key | action |
|---|---|
| n | record a new activity |
| e / Enter | correct the highlighted activity |
| x | void the highlighted activity (asks for the reason) |
| h | versions of the highlighted activity (a correction keeps the old one) |
| v | show / hide voided activities |
| g | new interest group (coordinator) |
| c | change the highlighted interest group (coordinator) |
| t | pause / resume the highlighted interest group (coordinator) |
| r | reload |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import (
    DataTable,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from counselor_tui.domain import vocab
from counselor_tui.domain.periods import Period, PeriodParseError, parse_period, period_of
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import N_, _
from counselor_tui.services import activities, interest_groups, record_versions
from counselor_tui.services.activities import (
    ActivityQuery,
    ActivityRow,
    ActivitySummary,
)
from counselor_tui.services.api import Backend
from counselor_tui.services.interest_groups import GroupRow
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.activity_form import ActivityFormDialog, hours_text
from counselor_tui.ui.screens.group_form import GroupFormDialog
from counselor_tui.ui.screens.reason_dialog import ReasonDialog
from counselor_tui.ui.screens.versions_dialog import VersionsDialog
from counselor_tui.ui.text import join_list
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable
from counselor_tui.ui.widgets.virtual_table import Column, VirtualTable

PAGE_SIZE = 100
LIST_ROLES = frozenset({Role.COUNSELOR, Role.COORDINATOR})
SUMMARY_ROLES = frozenset({Role.COUNSELOR, Role.COORDINATOR, Role.AUDITOR})


def columns() -> list[Column]:
    """The activity list's columns (translated titles)."""
    return [
        Column(_("Date"), 10), Column(_("Kind"), 10), Column(_("Title"), 11, flex=True),
        Column(_("Unit / group"), 12), Column(_("Participants"), 8), Column(_("Hours"), 4),
        Column(_("Counselors"), 14),
    ]


def row_cells(row: ActivityRow) -> list[str]:
    """The cells of one activity line; a voided one is marked ``[voided]``."""
    where = row.group_name if row.group_name else (row.unit_name or "")
    title = f"[{_('voided')}] {row.title}" if row.voided else row.title
    return [row.date, vocab.label(vocab.ACTIVITY_KINDS, row.kind), title, where,
            str(row.participants), hours_text(row.hours), join_list(row.counselors)]


def summary_text(summary: ActivitySummary) -> str:
    """One line of the period's figures: total, then each kind that happened."""
    parts = [_("{period}: {n} activities, {people} participants, {hours} hours").format(
        period=summary.period.display(), n=summary.count, people=summary.participants,
        hours=hours_text(summary.hours))]
    parts += [_("{kind} {n}").format(kind=vocab.label(vocab.ACTIVITY_KINDS, k.kind), n=k.count)
              for k in summary.kinds if k.count]
    return " · ".join(parts)


@dataclass(frozen=True)
class FirstAnswer:
    """Answer to a query: serial, total, first page (None: not allowed), summary; on a
    reload also the pages read to find the kept activity (page number -> rows) and the
    cursor position to restore (None: the top)."""

    serial: int
    total: int
    rows: list[ActivityRow] | None
    summary: ActivitySummary | None
    pages: dict[int, list[ActivityRow]] = field(default_factory=dict)
    cursor: int | None = None


@dataclass(frozen=True)
class Keep:
    """The highlighted activity before a reload: its id and its line number."""

    activity_id: int
    index: int


def first_page(backend: Backend, query: ActivityQuery, serial: int,
               keep: Keep | None = None) -> FirstAnswer:
    """Count, first page and the period's figures, as far as the role allows (worker).

    With ``keep`` (a reload), the pages around the kept line are read too and the answer's
    ``cursor`` is the kept activity's new line (found by its id), or its old line number
    when it left the list (voided and hidden), clamped to the list.
    """
    vs = backend.vs
    role = vs.actor.role
    total, rows = 0, None
    pages: dict[int, list[ActivityRow]] = {}
    cursor: int | None = None
    if role in LIST_ROLES:
        total = activities.count_activities(vs, query)
        rows = activities.list_activities(vs, query, 0, PAGE_SIZE)
        if keep is not None and total:
            pages[0] = rows
            near = keep.index // PAGE_SIZE
            for page in (near, near - 1, near + 1):
                if 0 <= page * PAGE_SIZE < total and page not in pages:
                    pages[page] = activities.list_activities(vs, query, page * PAGE_SIZE,
                                                             PAGE_SIZE)
            cursor = min(keep.index, total - 1)
            for page, page_rows in pages.items():
                for offset, row in enumerate(page_rows):
                    if row.id == keep.activity_id:
                        cursor = page * PAGE_SIZE + offset
            del pages[0]
    summary = None
    if role in SUMMARY_ROLES and query.period is not None:
        summary = activities.activity_summary(vs, query.period)
    return FirstAnswer(serial, total, rows, summary, pages, cursor)


def page_of(backend: Backend, query: ActivityQuery, page: int) -> list[ActivityRow]:
    """Page ``page`` of ``query`` (worker)."""
    return activities.list_activities(backend.vs, query, page * PAGE_SIZE, PAGE_SIZE)


class ActivitiesScreen(BaseScreen):
    """Activities and interest groups; constructed with no arguments."""

    CSS_PATH = "../styles/activities.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_activity", N_("New activity"), id="new_activity"),
        Binding("e", "edit_activity", N_("Correct"), id="edit_activity"),
        Binding("x", "void_activity", N_("Void"), id="void_activity"),
        Binding("v", "toggle_voided", N_("Voided too"), id="toggle_voided"),
        Binding("h", "activity_versions", N_("Versions"), id="activity_versions"),
        Binding("g", "new_group", N_("New group"), id="new_group"),
        Binding("c", "edit_group", N_("Change group"), id="edit_group", show=False),
        Binding("t", "toggle_group", N_("Pause / resume group"), id="toggle_group",
                show=False),
        Binding("r", "reload", N_("Reload"), id="reload"),
    ]
    AUTO_FOCUS = "#act-table"

    def __init__(self) -> None:
        super().__init__()
        self.query_serial = 0
        self.answered = 0
        self.total = 0
        self.include_voided = False
        self.current = ActivityQuery()
        self.summary: ActivitySummary | None = None
        self.groups: list[GroupRow] = []
        self._ready = False

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        year = period_of("year", self.backend.clock.now().date())
        yield Banner()
        yield Label(_("Activities & training"), classes="screen-title")
        with TabbedContent(id="act-tabs"):
            with TabPane(_("Activities"), id="act-tab-list"):
                with Horizontal(id="act-filters"):
                    yield Label(_("Period"), classes="act-filter-label")
                    yield Input(year.label, id="act-period", compact=True,
                                placeholder=_("2026, 2026-11, 2026-Q4; empty: all"))
                    yield Select[str](
                        [(vocab.label(vocab.ACTIVITY_KINDS, k), k)
                         for k in vocab.ACTIVITY_KINDS],
                        prompt=_("all kinds"), id="act-kind", compact=True)
                yield Static("", id="act-summary", markup=False)
                yield VirtualTable(columns(), row_cells, page_size=PAGE_SIZE, id="act-table")
            with TabPane(_("Interest groups"), id="act-tab-groups"):
                yield PlainTable(id="act-groups", cursor_type="row", zebra_stripes=True)
                yield Static("", id="act-groups-hint", classes="field-hint", markup=False)
        yield Static("", id="act-status", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        translate_bindings(self.query_one("#act-table", VirtualTable))
        groups = self.query_one("#act-groups", DataTable)
        for key, title in (("name", _("Group name")), ("lead", _("Lead")),
                           ("members", _("Members")), ("active", _("Status")),
                           ("meetings", _("Meetings")), ("last", _("Last meeting"))):
            groups.add_column(title, key=key)
        self._ready = True
        role = self._role()
        self.query_one("#act-groups-hint", Static).update(
            _("g new group · c change · t pause / resume") if role is Role.COORDINATOR
            else _("Interest groups are managed by a coordinator."))
        if role not in SUMMARY_ROLES:
            self._status(_("Your role ({role}) does not see activities.").format(
                role=role.label if role else ""))
            return
        self.run_query()
        self.load_groups()

    def _role(self) -> Role | None:
        vs = self.backend.session
        return vs.actor.role if vs is not None else None

    def _status(self, text: str) -> None:
        self.query_one("#act-status", Static).update(text)

    def on_screen_resume(self) -> None:
        if self.answered:
            self.reload()

    def data_changed(self, what: str) -> None:
        """The app reports a save somewhere: reload after activities or groups changed."""
        if what in ("activity", "interest_group") and self.answered:
            self.reload()

    # -- the activity list -------------------------------------------------------------------
    def build_query(self) -> ActivityQuery | None:
        """The query the filters describe, or None (after a message) when the period does
        not read."""
        text = self.query_one("#act-period", Input).value.strip()
        period: Period | None = None
        if text:
            try:
                period = parse_period(text)
            except PeriodParseError as exc:
                self._status(str(exc))
                return None
        kind = self.query_one("#act-kind", Select).value
        return ActivityQuery(period=period, kind=None if kind is Select.NULL else str(kind),
                             include_voided=self.include_voided)

    def run_query(self, keep: Keep | None = None) -> None:
        """Count, first page and figures of the current filters (in a worker); with
        ``keep`` the cursor goes back to that activity afterwards."""
        query = self.build_query()
        if query is None:
            return
        self.current = query
        self.query_serial += 1
        self.call(first_page, self.backend, query, self.query_serial, keep,
                  done=self._answer, group="activities-query")

    @property
    def settled(self) -> bool:
        """True when the list shows the answer to the latest query."""
        return self.answered == self.query_serial and self.answered > 0

    def _answer(self, answer: FirstAnswer) -> None:
        if answer.serial != self.query_serial or not self.is_attached:
            return
        self.answered = answer.serial
        self.total = answer.total
        self.summary = answer.summary
        table = self.query_one("#act-table", VirtualTable)
        if answer.rows is None:
            table.reset(0, [])
            self._status(_("Auditors see the figures only."))
        else:
            generation = table.reset(answer.total, answer.rows)
            for page, rows in answer.pages.items():
                table.set_page(page, rows, generation)
            if answer.cursor:
                table.cursor = answer.cursor  # stay on the same activity (by its id)
            self._status(_("Activities: {n}").format(n=answer.total))
        self.query_one("#act-summary", Static).update(
            summary_text(answer.summary) if answer.summary else "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "act-period":
            event.stop()
            self.run_query()
            self.set_focus(self.query_one("#act-table", VirtualTable))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "act-period" and self._ready:
            event.stop()
            text = event.value.strip()
            if not text or _reads(text):
                self.run_query()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "act-kind" and self._ready:
            event.stop()
            self.run_query()

    def on_virtual_table_page_wanted(self, event: VirtualTable.PageWanted) -> None:
        event.stop()
        table, query, generation = event.table, self.current, event.generation
        self.call(page_of, self.backend, query, event.page,
                  done=lambda rows: table.set_page(event.page, rows, generation),
                  group="activities-page", exclusive=False)

    def on_virtual_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
        event.stop()
        if self.settled:
            self._edit(event.row)

    def selected(self) -> ActivityRow | None:
        """The highlighted activity (when its page is loaded)."""
        table = self.query_one("#act-table", VirtualTable)
        row = table.row_at(table.cursor)
        return row if isinstance(row, ActivityRow) else None

    def reload(self) -> None:
        """Load the list, the figures and the groups again; the highlighted activity stays
        highlighted (found again by its id)."""
        if self._role() in SUMMARY_ROLES:
            table = self.query_one("#act-table", VirtualTable)
            row = self.selected()
            self.run_query(None if row is None else Keep(row.id, table.cursor))
            self.load_groups()

    def action_reload(self) -> None:
        """r: reload."""
        self.reload()

    def action_toggle_voided(self) -> None:
        """v: show or hide voided activities."""
        self.include_voided = not self.include_voided
        self.run_query()

    def _may_write(self) -> bool:
        if self._role() in LIST_ROLES:
            return True
        self.app.notify(_("Your role does not record activities."), severity="warning",
                        markup=False)
        return False

    def _after(self, result: int | None) -> None:
        if result is not None:
            self.app.post_message(DataChanged("activity"))
            self.reload()

    def action_new_activity(self) -> None:
        """n: record a new activity."""
        if self._may_write():
            self.app.push_screen(ActivityFormDialog(), self._after)

    def action_edit_activity(self) -> None:
        """e: correct the highlighted activity."""
        row = self.selected()
        if row is not None:
            self._edit(row)

    def _edit(self, row: ActivityRow) -> None:
        if not self._may_write():
            return
        if row.voided:
            self.app.notify(_("This activity was voided; it cannot be corrected."),
                            markup=False)
            return
        self.app.push_screen(ActivityFormDialog(row), self._after)

    def action_void_activity(self) -> None:
        """x: void the highlighted activity, with a reason."""
        row = self.selected()
        if row is None or not self._may_write() or row.voided:
            return

        def answer(reason: str | None) -> None:
            if reason:
                self.call(activities.void_activity, self.backend.vs, row.id, reason,
                          done=lambda _r: self._voided(), group="activity-void")

        self.app.push_screen(ReasonDialog(
            _("Void the activity"),
            _("“{title}” ({date}) leaves every figure but stays stored. Why is it void?")
            .format(title=row.title, date=row.date)), answer)

    def _voided(self) -> None:
        self.app.notify(_("Activity voided."), markup=False)
        self._after(0)

    def action_activity_versions(self) -> None:
        """h: the versions of the highlighted activity, oldest first."""
        row = self.selected()
        if row is None or self._role() not in LIST_ROLES:
            return
        self.call(record_versions.activity_versions, self.backend.vs, row.id,
                  done=lambda versions: self._show_versions(row, versions),
                  group="activity-versions")

    def _show_versions(self, row: ActivityRow,
                       versions: list[record_versions.ActivityVersionRow]) -> None:
        current = _("current")
        self.app.push_screen(VersionsDialog(
            _("Versions of “{title}”").format(title=row.title),
            [_("Version"), _("Kind"), _("Date"), _("Title"), _("Participants"), _("Hours"),
             _("Replaced at"), _("Replaced by")],
            [[str(v.version), vocab.label(vocab.ACTIVITY_KINDS, v.kind), v.date, v.title,
              str(v.participants), f"{v.hours:g}",
              (v.replaced_at or "")[:16].replace("T", " ") or current, v.replaced_by or ""]
             for v in versions]))

    # -- interest groups ---------------------------------------------------------------------
    def load_groups(self) -> None:
        """Fetch the interest groups (in a worker) for roles that may list them."""
        if self._role() in LIST_ROLES:
            self.call(interest_groups.list_groups, self.backend.vs, done=self._show_groups,
                      group="activities-groups")

    def _show_groups(self, groups: list[GroupRow]) -> None:
        if not self.is_attached:
            return
        kept = self.selected_group()
        self.groups = groups
        table = self.query_one("#act-groups", DataTable)
        table.clear()
        for g in groups:
            table.add_row(g.name, g.lead, str(g.members),
                          _("running") if g.active else _("paused"), str(g.meetings),
                          g.last_meeting or "", key=str(g.id))
        if kept is not None and any(g.id == kept.id for g in groups):
            table.move_cursor(row=table.get_row_index(str(kept.id)))  # stay on the group

    def selected_group(self) -> GroupRow | None:
        """The highlighted interest group, if any."""
        table = self.query_one("#act-groups", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((g for g in self.groups if str(g.id) == key), None)

    def _coordinator(self) -> bool:
        if self._role() is Role.COORDINATOR:
            return True
        self.app.notify(_("Only a coordinator manages interest groups."), severity="warning",
                        markup=False)
        return False

    def _after_group(self, result: int | None) -> None:
        if result is not None:
            self.app.post_message(DataChanged("interest_group"))
            self.load_groups()

    def action_new_group(self) -> None:
        """g: a new interest group."""
        if self._coordinator():
            self.query_one("#act-tabs", TabbedContent).active = "act-tab-groups"
            self.app.push_screen(GroupFormDialog(), self._after_group)

    def action_edit_group(self) -> None:
        """c: change the highlighted group's name, lead or members."""
        group = self.selected_group()
        if group is not None and self._coordinator():
            self.app.push_screen(GroupFormDialog(group), self._after_group)

    def action_toggle_group(self) -> None:
        """t: pause or resume the highlighted group."""
        group = self.selected_group()
        if group is None or not self._coordinator():
            return
        self.call(interest_groups.set_group_active, self.backend.vs, group.id, not group.active,
                  done=lambda _changed: self._after_group(group.id), group="group-toggle")

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        target = "#act-groups" if event.pane.id == "act-tab-groups" else "#act-table"
        self.call_after_refresh(self.set_focus, self.query_one(target))


def _reads(text: str) -> bool:
    try:
        parse_period(text)
    except PeriodParseError:
        return False
    return True
