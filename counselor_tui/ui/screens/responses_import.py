"""Import survey responses 导入测评结果 (DESIGN §10; issue 4 §4) — dry run first.

Give the export file (.xlsx or .csv, UTF-8 or GBK), its instrument, optionally the census
campaign and the administration date (else each row's submission date). The dry run lists
what would be added (with the band's name and each row's warnings: the platform's own total
differs, dated outside the campaign's window), what is already stored (duplicates:
re-importing adds nothing), and the rows not imported with their reasons — unmatched
respondents (never guessed), rows that cannot be read (date, answers) and respondents
repeated in the file. ctrl+s applies the plan in one transaction; critical items among the
imported rows are reported at once.

| key | action |
|---|---|
| Enter (in a field) | dry run |
| ctrl+s | apply the dry run (after a confirmation) |
| Tab | next field |
| Esc | back |
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from counselor_tui.domain.dates import DateParseError, parse_date
from counselor_tui.domain.instruments import InstrumentDefinition
from counselor_tui.i18n import _
from counselor_tui.services import assessments, census, responses_import
from counselor_tui.services.api import Backend
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.text import band_of
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable


def band_label(defn: InstrumentDefinition, code: str | None) -> str:
    """The translated name of band ``code`` of ``defn`` (轻度, Mild …); ``–`` without one."""
    return band_of(defn, code) or "–"


def _campaigns(backend: Backend) -> list[census.CensusRow]:
    return census.list_censuses(backend.vs, include_closed=False)


def _plan(backend: Backend, path: Path, instrument: str, census_id: int | None,
          day: date | None) -> responses_import.ResponsesPlan:
    return responses_import.plan_import(backend.vs, path, instrument, census_id=census_id,
                                        administered_on=day)


def _apply(backend: Backend,
           plan: responses_import.ResponsesPlan) -> responses_import.ResponsesApplied:
    return responses_import.apply_import(backend.vs, plan)


class ResponsesImportScreen(BaseScreen):
    """The import form, the dry-run tables and the apply step."""

    CSS_PATH = "../styles/responses_import.tcss"
    BINDINGS: ClassVar[list[BindingType]] = []

    def __init__(self, path: str | None = None, instrument: str | None = None) -> None:
        super().__init__()
        self.initial_path = path or ""
        self.initial_instrument = instrument or "phq9"
        self.plan: responses_import.ResponsesPlan | None = None
        self.applied: responses_import.ResponsesApplied | None = None
        self.summary = ""

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label(_("Import survey responses"), classes="screen-title")
        with Vertical(id="import-form"):
            with Horizontal(classes="import-row"):
                yield Label(_("File"), classes="import-label")
                yield Input(self.initial_path, id="import-path",
                            placeholder=_("path of the .xlsx or .csv export"))
            with Horizontal(classes="import-row"):
                yield Label(_("Instrument"), classes="import-label")
                yield Select([(self.initial_instrument, self.initial_instrument)],
                             value=self.initial_instrument, allow_blank=False,
                             id="import-instrument")
            with Horizontal(classes="import-row"):
                yield Label(_("Campaign"), classes="import-label")
                yield Select[int]([], prompt=_("(none)"), id="import-census")
            with Horizontal(classes="import-row"):
                yield Label(_("Date"), classes="import-label")
                yield Input(id="import-date",
                            placeholder=_("empty: each row's submission date"))
            with Horizontal(classes="import-buttons"):
                yield Button(_("Dry run"), variant="primary", id="import-dry-run")
                yield Button(_("Apply (ctrl+s)"), variant="warning", id="import-apply",
                             disabled=True)
        yield Static("", id="import-summary", markup=False)
        yield Label(_("Rows not imported"), classes="field-label")
        yield PlainTable(id="import-unmatched", cursor_type="row", zebra_stripes=True)
        yield Label(_("Rows to add"), classes="field-label")
        yield PlainTable(id="import-added", cursor_type="row", zebra_stripes=True)
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#import-unmatched", DataTable).add_columns(
            _("Row"), _("Result"), _("Reason"), _("Badge no."), _("Name"), _("Unit"))
        self.query_one("#import-added", DataTable).add_columns(
            _("Row"), _("Badge no."), _("Name"), _("Date"), _("Total"), _("Band"),
            _("Critical items"), _("Warnings"))
        self.query_one("#import-path", Input).focus()
        self.call(_campaigns, self.backend, done=self._campaigns_loaded, group="import-census")
        self.call(assessments.instruments, self.backend.vs, done=self._instruments_loaded,
                  group="import-instruments")

    def _instruments_loaded(self, rows: list[assessments.InstrumentInfo]) -> None:
        """The built-in instruments and the bureau's own (current versions)."""
        if not self.is_attached:
            return
        select = self.query_one("#import-instrument", Select)
        chosen = select.value
        select.set_options([(Text(f"{i.code}  {i.name}"), i.code) for i in rows])
        if any(i.code == chosen for i in rows):
            select.value = chosen

    def _campaigns_loaded(self, rows: list[census.CensusRow]) -> None:
        if self.is_attached:
            self.query_one("#import-census", Select).set_options(
                [(Text(f"{r.name} ({', '.join(r.instruments)})"), r.id) for r in rows])

    # -- dry run -------------------------------------------------------------------------
    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dry_run()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "import-dry-run":
            self.dry_run()
        elif event.button.id == "import-apply":
            self.action_save()

    def _say(self, text: str) -> None:
        self.summary = text
        self.query_one("#import-summary", Static).update(text)

    def dry_run(self) -> None:
        """Plan the import from the fields (in a worker)."""
        text = self.query_one("#import-path", Input).value.strip()
        if not text:
            self._say(_("Give the path of the export file."))
            return
        day: date | None = None
        day_text = self.query_one("#import-date", Input).value.strip()
        if day_text:
            try:
                day = parse_date(day_text, self.backend.vs.today())
            except DateParseError as exc:
                self._say(str(exc))
                return
        instrument = str(self.query_one("#import-instrument", Select).value)
        census_value = self.query_one("#import-census", Select).value
        census_id = census_value if isinstance(census_value, int) else None
        self.plan = None
        self.applied = None
        self.query_one("#import-apply", Button).disabled = True
        self._say(_("Reading…"))
        self.call(_plan, self.backend, Path(text).expanduser(), instrument, census_id, day,
                  done=self._planned, failed=self._plan_failed, group="import-plan")

    def _plan_failed(self, error: BaseException) -> bool:
        self._say("")
        return False

    def _planned(self, plan: responses_import.ResponsesPlan) -> None:
        if not self.is_attached:
            return
        self.plan = plan
        lines = [_("Dry run of {file}: {summary}. Nothing was written yet.").format(
            file=plan.file_name, summary=self._summary(len(plan.added), len(plan.duplicate),
                                                       len(plan.unmatched),
                                                       len(plan.rejected)))]
        if plan.outside_window and plan.census_window is not None:
            lines.append(_("{n} rows are dated outside the census window ({start} – {end}): "
                           "they are imported but do not count toward its completion.").format(
                               n=len(plan.outside_window), start=plan.census_window[0],
                               end=plan.census_window[1]))
        others = len({w.row for w in plan.warnings} - set(plan.outside_window))
        if others:
            lines.append(_("{n} rows with another warning: see the Warnings column.").format(
                n=others))
        if plan.columns.by == "position":
            lines.append(_("No header names the items: columns {columns} were taken as "
                           "items 1–{count} in order. Check them before applying.").format(
                               columns=", ".join(plan.columns.item_headers),
                               count=len(plan.columns.items)))
        critical = [str(r.row) for r in plan.added if r.critical_items]
        if critical:
            lines.append(_("Critical items answered in rows {rows}.").format(
                rows=", ".join(critical)))
        unanswered = [str(r.row) for r in plan.added if r.critical_unanswered]
        if unanswered:
            lines.append(_("A critical item is unanswered in rows {rows}: ask it before "
                           "relying on the score.").format(rows=", ".join(unanswered)))
        self._say("\n".join(lines))
        unmatched = self.query_one("#import-unmatched", DataTable)
        unmatched.clear()
        rejected = {id(u) for u in plan.rejected}
        for u in plan.not_imported():
            # cells of a file and texts of a definition are shown as typed, never as markup
            unmatched.add_row(str(u.row), _("rejected") if id(u) in rejected else
                              _("unmatched"), Text(u.reason), Text(u.badge_no or ""),
                              Text(u.name or ""), Text(u.unit or ""))
        defn = plan.definition
        warnings: dict[int, list[str]] = {}
        for w in plan.warnings:
            warnings.setdefault(w.row, []).append(w.reason)
        added = self.query_one("#import-added", DataTable)
        added.clear()
        for r in plan.added:
            added.add_row(str(r.row), Text(r.badge_no or ""), Text(r.name),
                          Text(r.administered_on), "–" if r.total is None else str(r.total),
                          Text(band_label(defn, r.band) if defn else (r.band or "–")),
                          ", ".join(map(str, r.critical_items)),
                          Text("; ".join(warnings.get(r.row, []))))
        self.query_one("#import-apply", Button).disabled = not plan.added

    @staticmethod
    def _summary(added: int, duplicate: int, unmatched: int, rejected: int) -> str:
        return _("{added} to add, {duplicate} already stored, {unmatched} unmatched, "
                 "{rejected} rejected").format(added=added, duplicate=duplicate,
                                               unmatched=unmatched, rejected=rejected)

    # -- apply ---------------------------------------------------------------------------
    def action_save(self) -> None:
        """ctrl+s: apply the dry run after a confirmation."""
        plan = self.plan
        if plan is None:
            self._say(_("Run the dry run first (Enter)."))
            return
        if not plan.added:
            self._say(_("Nothing to add."))
            return
        question = _("Add {n} assessments of {instrument} from {file}?").format(
            n=len(plan.added), instrument=plan.instrument, file=plan.file_name)

        def answer(yes: bool | None) -> None:
            if yes and self.plan is plan:
                self.call(_apply, self.backend, plan, done=self._applied, group="import-apply")

        self.app.push_screen(ConfirmDialog(question), answer)

    def _applied(self, applied: responses_import.ResponsesApplied) -> None:
        if not self.is_attached:
            return
        self.applied = applied
        self.plan = None
        self.query_one("#import-apply", Button).disabled = True
        text = _("Imported: {summary}.").format(summary=self._summary(
            len(applied.assessment_ids),
            len(applied.plan.duplicate) + len(applied.duplicate_rows),
            len(applied.plan.unmatched), len(applied.plan.rejected)))
        if applied.suggestions:
            text += "\n" + _("Tier suggestions made: {n} ({red} red) — decide them in the "
                             "census screen (F4, tab 3).").format(
                                 n=applied.suggestions, red=applied.red_suggestions)
        if applied.alerts:
            text += "\n" + _("Critical items answered in rows {rows}: review these "
                             "respondents at once.").format(
                                 rows=", ".join(str(a.row) for a in applied.alerts))
            self.notify(_("Critical items in {n} imported rows.").format(n=len(applied.alerts)),
                        severity="error", timeout=15, markup=False)
        self._say(text)
        self.post_message(DataChanged("assessment"))

    def has_unsaved_changes(self) -> bool:
        """A dry run waiting to be applied counts as unsaved."""
        return self.plan is not None and bool(self.plan.added)
