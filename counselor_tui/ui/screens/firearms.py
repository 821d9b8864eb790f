"""Firearms 配枪管理: the restriction register and the armory list (DESIGN §6, §7.3).

The register lists restrictions in force or pending (with ended ones on ``e``); below it,
the history of the highlighted restriction shows every event in order — recommended,
decision, each review, reinstatement — each with its own date and decision-maker (issue 19).
The armory list shows only officers who may not draw a firearm now (name, badge number, unit, since,
review) — no reason, no note. A counselor may recommend; only a coordinator records the
decision, the review and the reinstatement, and writes the notice (the service refuses
everyone else as well).

| key | action |
|---|---|
| n | recommend a restriction (search an officer) |
| d | record the decision on the highlighted recommendation (coordinator) |
| v | review / reinstate the highlighted restriction (coordinator) |
| x | notice of one decision for the personnel department: DOCX + text (coordinator); the
  decision highlighted in the history, else the latest |
| e | show / hide ended restrictions |
| r | reload |
| Tab | between the register, the history and the armory list |

``d``, ``v`` and ``x`` are offered to coordinators only: for other roles they are hidden from
the footer and from the F1 help (``check_action`` and this screen's bindings), and the
service refuses those actions anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from counselor_tui.domain.roles import Role
from counselor_tui.domain.vocab import FIREARM_REASONS, FIREARM_STATUSES, label
from counselor_tui.i18n import N_, _
from counselor_tui.services import firearms
from counselor_tui.services.firearm_events import FirearmEventRow
from counselor_tui.services.firearms import ArmoryRow, RestrictionRow
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.screens.firearm_decision import FirearmDecisionModal
from counselor_tui.ui.screens.firearm_notice import FirearmNoticeModal
from counselor_tui.ui.screens.firearm_recommend import FirearmRecommendModal
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable

if TYPE_CHECKING:
    from counselor_tui.services.context import VaultSession

#: Actions only a coordinator may take on this screen.
COORDINATOR_ACTIONS = frozenset({"decide", "review", "notice"})

STATUS_STYLES = {"recommended": "yellow", "suspended": "bold red", "revoked": "bold red",
                 "declined": "dim", "reinstated": "green"}


def load(vs: VaultSession,
         include_ended: bool) -> tuple[list[RestrictionRow], list[ArmoryRow]]:
    """Register and armory list (runs in a worker)."""
    return firearms.register(vs, include_ended), firearms.current_restrictions(vs)


class FirearmsScreen(BaseScreen):
    """Register and armory list; constructed with no arguments."""

    CSS_PATH = "../styles/firearms.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "recommend", N_("Recommend"), id="recommend"),
        Binding("d", "decide", N_("Decision"), id="decide"),
        Binding("v", "review", N_("Review restriction"), id="review"),
        Binding("x", "notice", N_("Notice"), id="notice"),
        Binding("e", "toggle_ended", N_("Ended too"), id="toggle_ended"),
        Binding("r", "reload", N_("Reload"), id="reload"),
    ]
    AUTO_FOCUS = "#fa-register"

    def __init__(self) -> None:
        super().__init__()
        self.include_ended = False
        self.rows: list[RestrictionRow] = []
        self.armory: list[ArmoryRow] = []
        self.loaded = 0

    def compose(self) -> ComposeResult:
        yield Static(_("Firearms"), classes="screen-title")
        with Vertical(id="fa-body"):
            yield Label(_("Register"), classes="section-title")
            yield PlainTable(id="fa-register", cursor_type="row", zebra_stripes=True)
            yield Label(_("History of the highlighted restriction"), classes="section-title",
                        id="fa-history-title")
            yield PlainTable(id="fa-history", cursor_type="row", zebra_stripes=True)
            yield Label(_("Armory list: may not draw a firearm"), classes="section-title")
            yield PlainTable(id="fa-armory", cursor_type="row", zebra_stripes=True)
            yield Static("", id="fa-hint", classes="field-hint", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        if not self._is_coordinator():  # keys this role can never use: not offered at all
            keymap = self._bindings.key_to_bindings
            for key, bindings in list(keymap.items()):
                kept = [b for b in bindings if b.action not in COORDINATOR_ACTIONS]
                if kept:
                    keymap[key] = kept
                else:
                    del keymap[key]
        register = self.query_one("#fa-register", DataTable)
        for key, title in (("name", _("Name")), ("badge", _("Badge number")),
                           ("unit", _("Unit")), ("status", _("Status")),
                           ("reason", _("Reason")), ("latest", _("Latest decision")),
                           ("decided", _("Decided")), ("maker", _("Decision-maker")),
                           ("review", _("Review on")), ("by", _("Recommended by"))):
            register.add_column(title, key=key)
        history = self.query_one("#fa-history", DataTable)
        for key, title in (("seq", "#"), ("event", _("Event")), ("date", _("Date")),
                           ("maker", _("Decision-maker")), ("next", _("Next review")),
                           ("by", _("Recorded by"))):
            history.add_column(title, key=key)
        armory = self.query_one("#fa-armory", DataTable)
        for key, title in (("name", _("Name")), ("badge", _("Badge number")),
                           ("unit", _("Unit")), ("status", _("Status")),
                           ("since", _("Since")), ("review", _("Review on"))):
            armory.add_column(title, key=key)
        coordinator = self._is_coordinator()
        self.query_one("#fa-hint", Static).update(
            _("n recommend · d decision · v review · x notice") if coordinator
            else _("n recommend — decisions are recorded by a coordinator"))
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    def _is_coordinator(self) -> bool:
        vs = self.backend.session
        return vs is not None and vs.actor.role is Role.COORDINATOR

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the coordinator's keys (decision, review, notice) from other roles."""
        return action not in COORDINATOR_ACTIONS or self._is_coordinator()

    def reload(self) -> None:
        """Fetch the register and the armory list in a worker."""
        if self.backend.unlocked:
            self.call(load, self.backend.vs, self.include_ended, done=self._show,
                      group="firearms-load")

    def action_reload(self) -> None:
        """Reload."""
        self.reload()

    def action_toggle_ended(self) -> None:
        """Show or hide declined and reinstated restrictions."""
        self.include_ended = not self.include_ended
        self.reload()

    def _show(self, loaded: tuple[list[RestrictionRow], list[ArmoryRow]]) -> None:
        if not self.is_attached:
            return
        self.loaded += 1
        before = self.selected()
        self.rows, self.armory = loaded
        register = self.query_one("#fa-register", DataTable)
        register.clear()
        for r in self.rows:
            latest = r.latest_decision
            register.add_row(
                r.person_name, r.badge_no or "", r.unit_name or "",
                Text(label(FIREARM_STATUSES, r.status), style=STATUS_STYLES.get(r.status, "")),
                label(FIREARM_REASONS, r.reason_code), latest.label if latest else "",
                r.decided_on or "", r.decided_by_name or "", r.review_on or "",
                r.recommended_by, key=str(r.id))
        kept = [i for i, r in enumerate(self.rows) if before is not None and r.id == before.id]
        if kept:  # stay on the restriction just decided or reviewed
            register.move_cursor(row=kept[0])
        armory = self.query_one("#fa-armory", DataTable)
        armory.clear()
        for a in self.armory:
            armory.add_row(a.name, a.badge_no or "", a.unit_name or "",
                           label(FIREARM_STATUSES, a.status), a.decided_on or "",
                           a.review_on or "", key=str(a.restriction_id))
        self._show_history()

    def _show_history(self) -> None:
        """Fill the history table with the highlighted restriction's events, in order."""
        history = self.query_one("#fa-history", DataTable)
        history.clear()
        row = self.selected()
        if row is None:
            return
        not_kept = _("(not kept)")
        for e in row.events:
            maker = e.decided_by_name or (not_kept if "decided_by_name" in e.not_kept else "")
            what = e.label
            if e.kind == "recommended":
                what += " · " + label(FIREARM_REASONS, e.reason_code)
            history.add_row(
                str(e.seq), what, e.on_date or (not_kept if "on_date" in e.not_kept else ""),
                maker, e.next_review_on
                or (not_kept if "next_review_on" in e.not_kept else ""),
                e.recorded_by, key=str(e.id))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """A new register row: show its history."""
        if event.data_table.id == "fa-register":
            self._show_history()

    def selected_event(self) -> FirearmEventRow | None:
        """The event highlighted in the history table while it has the focus, else None."""
        history = self.query_one("#fa-history", DataTable)
        row = self.selected()
        if row is None or not history.has_focus or history.row_count == 0:
            return None
        key = history.coordinate_to_cell_key(history.cursor_coordinate).row_key.value
        return next((e for e in row.events if str(e.id) == key), None)

    def selected(self) -> RestrictionRow | None:
        """The highlighted register row, if any."""
        table = self.query_one("#fa-register", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.rows if str(r.id) == key), None)

    def _after(self, _result: object) -> None:
        self.reload()

    def action_recommend(self) -> None:
        """Recommend a restriction for an officer found by search."""
        self.app.push_screen(FirearmRecommendModal(), self._after)

    def _coordinator_row(self, statuses: frozenset[str]) -> RestrictionRow | None:
        if not self._is_coordinator():
            self.app.notify(_("Only a coordinator records firearm decisions."),
                            severity="warning", markup=False)
            return None
        row = self.selected()
        if row is None or row.status not in statuses:
            self.app.notify(_("Choose a restriction in the right state first."), markup=False)
            return None
        return row

    def action_decide(self) -> None:
        """Coordinator: the decision on the highlighted recommendation."""
        row = self._coordinator_row(frozenset({"recommended"}))
        if row is not None:
            self.app.push_screen(FirearmDecisionModal(row, "decision"), self._after)

    def action_review(self) -> None:
        """Coordinator: review (continue, revoke, reinstate) the highlighted restriction."""
        row = self._coordinator_row(frozenset({"suspended", "revoked"}))
        if row is not None:
            self.app.push_screen(FirearmDecisionModal(row, "review"), self._after)

    def action_notice(self) -> None:
        """Coordinator: write the notice of the highlighted restriction's decision."""
        chosen = self.selected_event()
        row = self._coordinator_row(frozenset({"suspended", "revoked", "declined",
                                               "reinstated"}))
        if row is None:
            return
        if chosen is not None and chosen.decision is None:
            self.app.notify(_("Choose a decision, review or reinstatement in the history."),
                            markup=False)
            return
        self.app.push_screen(FirearmNoticeModal(
            row.id, event_id=chosen.id if chosen is not None else None), self._after)
