"""Retention and de-identification 保存期限与去标识 (issue 15 point 2; PIPL Art. 19/47), for
the coordinator: the setting (years after leaving service), the dry run of the records past
it (shown at once, counts only, no names), and the run that de-identifies exactly those
records after a confirmation (:mod:`counselor_tui.services.retention`).

| key | action |
|---|---|
| d | dry run again |
| a | de-identify the records listed (asks first) |
| Tab, then Enter (in the years) | save the retention setting |
| Esc | back |
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from counselor_tui.domain import vocab
from counselor_tui.i18n import N_, _
from counselor_tui.services import person_moves, retention
from counselor_tui.services.api import Backend
from counselor_tui.services.errors import PermissionDenied
from counselor_tui.services.retention import RetentionReport
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter


def _dry(backend: Backend) -> tuple[int, RetentionReport]:
    vs = backend.vs
    return retention.retention_years(vs), retention.dry_run(vs)


def _set(backend: Backend, years: int) -> tuple[int, RetentionReport]:
    retention.set_retention_years(backend.vs, years)
    return _dry(backend)


class RetentionScreen(BaseScreen):
    """The coordinator's retention screen."""

    CSS_PATH = "../styles/retention.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "dry_run", N_("Dry run"), id="dry_run"),
        Binding("a", "apply", N_("De-identify"), id="apply"),
    ]
    AUTO_FOCUS = "#retention-body"  # d and a work at once; Tab reaches the years

    def __init__(self) -> None:
        super().__init__()
        self.report: RetentionReport | None = None
        self.runs = 0

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label(_("Retention & de-identification"), classes="screen-title")
        with Horizontal(id="retention-years-row"):
            yield Label(_("Years kept after leaving service:"))
            yield Input(id="retention-years", type="integer")
        with VerticalScroll(id="retention-body"):
            yield Static("", id="retention-list")
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.action_dry_run()

    def action_dry_run(self) -> None:
        """List the records past retention (nothing is changed)."""
        self.call(_dry, self.backend, done=self._listed, failed=self._refused,
                  group="retention")

    def _refused(self, error: BaseException) -> bool:
        """Another role: say who runs it here instead of an error dialog."""
        if not isinstance(error, PermissionDenied):
            return False
        self.query_one("#retention-list", Static).update(Text(str(error), style="yellow"))
        return True

    def _listed(self, loaded: tuple[int, RetentionReport]) -> None:
        years, report = loaded
        self.report = report
        self.runs += 1
        self.query_one("#retention-years", Input).value = str(years)
        text = Text(_("Dry run: {n} records left service on or before {cutoff} ({years}-year "
                      "retention). Nothing was changed.").format(
            n=len(report.candidates), cutoff=report.cutoff, years=report.years), style="bold")
        for c in report.candidates:
            text.append("\n" + _("person {id} · left {on} ({reason}) · {sessions} sessions, "
                                 "{addenda} addenda, {tiers} tier reasons, {other} other notes")
                        .format(id=c.person_id, on=c.left_on,
                                reason=vocab.label(person_moves.LEAVE_REASONS, c.left_reason),
                                sessions=c.sessions, addenda=c.addenda, tiers=c.tier_reasons,
                                other=c.other_notes))
            text.append("\n  " + _("recorded by {by} at {at} · hired {hired} · latest "
                                   "session {last}").format(
                by=c.recorded_by or "—", at=(c.recorded_at or "—")[:16].replace("T", " "),
                hired=c.hire_date or "—", last=c.last_session or "—"), style="dim")
            for f in c.family:
                what = (_("de-identified too ({n} sessions with text)").format(n=f.sessions)
                        if f.action == "deidentify" else
                        _("linked to another officer: only this link is removed"))
                text.append("\n  " + _("family member {id} ({relation}): {what}").format(
                    id=f.person_id, relation=vocab.label(vocab.RELATIONS, f.relation),
                    what=what))
        if report.candidates:
            text.append("\n\n" + _("a: replace their identifying fields and notes; every "
                                   "count is kept."), style="dim")
        self.query_one("#retention-list", Static).update(text)

    @on(Input.Submitted, "#retention-years")
    def _years(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            years = int(event.value)
        except ValueError:
            self.notify(_("Retention is a whole number of years from 1 to {n}.").format(
                n=retention.MAX_YEARS), severity="warning", markup=False)
            return
        self.call(_set, self.backend, years, done=self._listed, group="retention")

    def action_apply(self) -> None:
        """De-identify the records of the dry run shown, after a confirmation."""
        if self.report is None or not self.report.candidates:
            self.notify(_("No record is past retention."), markup=False)
            return
        count = len(self.report.candidates)

        def answer(yes: bool | None) -> None:
            if yes:
                # its own group: the dry run started when it is done must not cancel it
                self.call(retention.apply, self.backend.vs, done=self._applied,
                          group="retention-apply")

        self.app.push_screen(ConfirmDialog(_(
            "De-identify {n} records? Names, identifying fields and every note are replaced "
            "for good; counts are kept.").format(n=count), default_yes=False), answer)

    def _applied(self, report: RetentionReport) -> None:
        self.notify(_("De-identified {n} records (left on or before {cutoff}).").format(
            n=len(report.candidates), cutoff=report.cutoff), markup=False)
        self.post_message(DataChanged("person"))
        self.action_dry_run()
