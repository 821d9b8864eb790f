"""Roster import 人员花名册 (DESIGN §10): dry run first, then apply in one transaction.

Type the path of an XLSX or CSV file; the dry run
(:func:`counselor_tui.services.roster.plan_roster_import`) lists every row that would be
rejected (with its row number, badge number, name and reason), imported with a warning (a
value left out, as the CLI's ``row R (warning): …`` lines), updated (with the fields that
change), added or left unchanged. Nothing is written until "Apply" (or ctrl+s) is confirmed.
"Create units that are not in the vault yet" starts ticked when the vault has no unit at
all (the first import of a new bureau), unticked otherwise.

| key | action |
|---|---|
| Enter (in the path) | dry run |
| ctrl+s | apply the dry run shown |
| Tab | path, create missing units, dry run, table, apply |
| Esc | back |
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Static

from counselor_tui.i18n import _
from counselor_tui.services import roster
from counselor_tui.services.errors import ServiceError
from counselor_tui.services.roster import RosterPlan, RosterRow
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.form import FormScreen
from counselor_tui.ui.text import join_list
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable

#: Rows shown per status at most (the summary line always has the full counts).
MAX_SHOWN = 5000


def summary_text(plan: RosterPlan) -> str:
    """The translated counts of a plan."""
    return _("added {added}, updated {updated}, unchanged {unchanged}, rejected {rejected}"
             ).format(added=len(plan.added), updated=len(plan.updated),
                      unchanged=len(plan.unchanged), rejected=len(plan.rejected))


class RosterImportScreen(FormScreen):
    """Pick a roster file, see the dry run, apply it."""

    CSS_PATH = "../styles/roster_import.tcss"
    AUTO_FOCUS = "#roster-path"
    ERROR_LINE = "#roster-status"
    SAVE_BUTTON = "apply"

    def __init__(self) -> None:
        super().__init__()
        self.plan: RosterPlan | None = None

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label(_("Import roster"), classes="screen-title")
        with Horizontal(id="roster-file"):
            yield Input(id="roster-path", placeholder=_("path of the .xlsx or .csv file"),
                        compact=True)
            yield Button(_("Dry run"), id="dry-run", compact=True)
        yield Checkbox(_("create units that are not in the vault yet"), id="create-units",
                       compact=True)
        yield Static(_("Type the file's path and press Enter: nothing is written before "
                       "you apply."), id="roster-summary", markup=False)
        yield PlainTable(id="roster-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="roster-actions"):
            yield Static("", id="roster-status", markup=False)
            yield Button(_("Apply (ctrl+s)"), variant="primary", id="apply", disabled=True,
                         compact=True)
        yield AppFooter()

    def on_mount(self) -> None:
        table = self.query_one("#roster-table", DataTable)
        table.add_columns(_("Result"), _("Row"), _("Badge"), _("Name"), _("Unit"),
                          _("Details"))
        self.call(roster.unit_count, self.backend.vs, done=self._units_counted,
                  failed=self._count_failed, group="roster-units")

    def _units_counted(self, count: int) -> None:
        """No unit yet (a new bureau): create the roster's units by default."""
        if count == 0 and self.is_attached:
            box = self.query_one("#create-units", Checkbox)
            with box.prevent(Checkbox.Changed):
                box.value = True

    def _count_failed(self, error: BaseException) -> bool:
        return isinstance(error, ServiceError)  # the dry run reports the refusal itself

    # -- dry run -----------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dry_run()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "dry-run":
            self.dry_run()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        if self.query_one("#roster-path", Input).value.strip():
            self.dry_run()

    def dry_run(self) -> None:
        """Read the file and show what an import would do (in a worker)."""
        text = self.query_one("#roster-path", Input).value.strip()
        if not text or self.saving:
            self.say(_("Type the path of the roster file."))
            return
        path = Path(text).expanduser()
        self.saving = True
        self.plan = None
        self.query_one("#apply", Button).disabled = True
        self.say(_("Reading the roster…"))
        create = self.query_one("#create-units", Checkbox).value
        self.call(roster.plan_roster_import, self.backend.vs, path, create_units=create,
                  done=self._planned, failed=self.form_failed, group="roster")

    def _planned(self, plan: RosterPlan) -> None:
        self.saving = False
        self.form_saved = False  # a new dry run can be applied
        if not self.is_attached:
            return
        self.plan = plan
        self._show(plan)
        can_apply = bool(plan.added or plan.updated) and not plan.applied
        self.query_one("#apply", Button).disabled = not can_apply
        self.say(_("Dry run: nothing written yet.") if can_apply
                     else _("Nothing to import."))

    def _show(self, plan: RosterPlan) -> None:
        summary = summary_text(plan)
        if plan.warnings:
            summary += "\n" + _("{n} rows imported with a value left out (rows {rows}): see "
                                 "the warnings in the table.").format(
                n=len(plan.warnings), rows=", ".join(str(w.row) for w in plan.warnings))
        if plan.new_units:
            summary += "\n" + (_("Units to be created: {units}") if plan.create_units
                               else _("Units not in the vault: {units}")).format(
                units=join_list(plan.new_units))
        self.query_one("#roster-summary", Static).update(summary)
        table = self.query_one("#roster-table", DataTable)
        table.clear()

        def add(label: str, row: RosterRow, details: str) -> None:
            table.add_row(label, str(row.row), row.badge_no, row.name, row.unit, details)

        rejected = sorted(plan.rejected, key=lambda r: r.row)
        for item in rejected[:MAX_SHOWN]:
            table.add_row(Text(_("rejected"), style="bold red"), str(item.row), item.badge_no,
                          item.name, item.unit, item.reason)
        for warning in plan.warnings[:MAX_SHOWN]:
            table.add_row(Text(_("warning"), style="bold yellow"), str(warning.row),
                          warning.badge_no, warning.name, warning.unit, warning.reason)
        for row in plan.updated[:MAX_SHOWN]:
            add(_("updated"), row, row.change_labels())
        for row in plan.added[:MAX_SHOWN]:
            add(_("added"), row, "")
        for row in plan.unchanged[:MAX_SHOWN]:
            add(_("unchanged"), row, "")

    # -- apply -------------------------------------------------------------------------------
    def submit(self) -> None:
        """ctrl+s: apply the dry run shown, after a confirmation."""
        plan = self.plan
        if plan is None or not (plan.added or plan.updated) or plan.applied:
            self.say(_("Run a dry run first (Enter in the path)."))
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._apply(plan)

        self.app.push_screen(ConfirmDialog(
            _("Import now? {summary}").format(summary=summary_text(plan))), answer)

    def _apply(self, plan: RosterPlan) -> None:
        self.save_with(roster.apply_roster_import, self.backend.vs, plan, done=self._applied,
                       saying=_("Importing…"), group="roster")

    def _applied(self, plan: RosterPlan) -> None:
        self.plan = plan
        if self.is_attached:
            self._show(plan)
            self.query_one("#apply", Button).disabled = True
            self.say(_("Imported."))
        self.app.notify(_("Roster imported: {summary}").format(summary=summary_text(plan)),
                        markup=False)
        self.app.post_message(DataChanged("roster"))
