"""Instruments 量表管理 (issue 16 point 4): the instruments in use and a bureau's own.

The table lists the built-in instruments and every stored version of the bureau's own
(code, name, version, revision — ``*`` on the version new assessments use —, source, items,
when and by whom it was added). Type the path of a definition file (TOML, the built-in
format) and press Enter: it is checked (:func:`counselor_tui.services.instruments.check_file`)
and what adding it would do is shown — a new instrument, a new version (assessments already
scored keep theirs), identical to a stored version (nothing to add) or a version text
already used with other content (refused). "Add" (or ctrl+s) stores it. Adding is the
coordinators' (the service refuses the other roles); counselors and auditors see the list
only, without the file row (the area is hidden from admins).

| key | action |
|---|---|
| Enter (in the path) | check the file |
| ctrl+s | add the checked definition |
| Esc | back |
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Label, Static

from counselor_tui.domain.instruments.bureau import CheckedDefinition
from counselor_tui.domain.permissions import Action, allowed
from counselor_tui.i18n import _, language
from counselor_tui.services import instruments
from counselor_tui.services.api import Backend
from counselor_tui.services.instruments import AddPreview, AddResult, InstrumentListing
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.form import FormScreen
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable


def _check(backend: Backend, path: Path) -> tuple[CheckedDefinition, AddPreview]:
    """Check a definition file and say what adding it would do."""
    checked = instruments.check_file(path)
    return checked, instruments.preview(backend.vs, checked)


def check_text(checked: CheckedDefinition, plan: AddPreview) -> str:
    """The lines shown after a check: the definition's shape, then what adding it does."""
    defn = checked.definition
    if language() == "en":
        bands = ", ".join(f"{b.label_en} ({b.low}–{b.high})" for b in defn.bands)
    else:
        bands = "、".join(f"{b.label_zh}（{b.low}–{b.high}）" for b in defn.bands)
    head = _("Checked: {code} version {version}, {items} items, responses {low}–{high}."
             ).format(code=defn.code, version=defn.version, items=defn.item_count,
                      low=defn.response_min, high=defn.response_max)
    return "\n".join((head, _("Bands: {bands}").format(bands=bands or _("none")),
                      plan.message))


class InstrumentsScreen(FormScreen):
    """The instrument list; check and add a bureau's own definition file."""

    CSS_PATH = "../styles/instruments.tcss"
    AUTO_FOCUS = "#instrument-path"
    ERROR_LINE = "#instrument-status"
    SAVE_BUTTON = "instrument-add"
    DISCARD_QUESTION = None

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[InstrumentListing] = []
        self.checked: CheckedDefinition | None = None
        self.plan: AddPreview | None = None
        self.checked_path: Path | None = None
        self.result: AddResult | None = None
        self.loads = 0

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label(_("Instruments"), classes="screen-title")
        yield PlainTable(id="instruments-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="instrument-file"):
            yield Input(id="instrument-path", compact=True,
                        placeholder=_("path of a definition file (.toml)"))
            yield Button(_("Check"), id="instrument-validate", compact=True)
            yield Button(_("Add (ctrl+s)"), id="instrument-add", variant="primary",
                         disabled=True, compact=True)
        yield Static(_("Type the path of a definition file and press Enter: it is checked "
                       "first, nothing is stored before you add it.") + "\n"
                     + _("* marks the version new assessments use; those already scored "
                         "keep theirs."), id="instrument-check", markup=False)
        yield Static("", id="instrument-status", markup=False)
        yield AppFooter()

    @property
    def may_add(self) -> bool:
        """True when this account's role may add a definition (coordinators)."""
        return allowed(self.backend.vs.actor.role, Action.MANAGE_INSTRUMENTS)

    def on_mount(self) -> None:
        if not self.may_add:  # the read-only list: no file to check or add
            self.query_one("#instrument-file").display = False
            self.query_one("#instrument-check", Static).update(
                _("* marks the version new assessments use; those already scored keep "
                  "theirs."))
            self.query_one("#instruments-table", DataTable).focus()
        self.query_one("#instruments-table", DataTable).add_columns(
            _("Code"), _("Instrument"), _("Version"), _("Revision"), _("Source"), _("Items"),
            _("Added"), _("By"))
        self.reload()

    def reload(self) -> None:
        """Read the instrument list (in a worker)."""
        self.call(instruments.list_instruments, self.backend.vs, done=self._listed,
                  group="instruments-list")

    def _listed(self, rows: list[InstrumentListing]) -> None:
        self.loads += 1
        self.rows = rows
        if not self.is_attached:
            return
        table = self.query_one("#instruments-table", DataTable)
        table.clear()
        for row in rows:
            revision = "" if row.revision is None else str(row.revision)
            if row.current and not row.builtin:
                revision += " *"
            source = _("built-in") if row.builtin else _("bureau")
            # every text of a definition is shown as typed, never read as markup (PlainTable)
            table.add_row(row.code.upper(), row.name, row.version,
                          revision, Text(source, style="dim" if row.builtin else "bold"),
                          str(row.item_count), (row.added_at or "")[:10],
                          row.added_by or "")

    # -- check -------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.check()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "instrument-validate":
            self.check()
        elif event.button.id == "instrument-add":
            self.action_save()

    def check(self) -> None:
        """Check the file typed in the path (in a worker)."""
        if not self.may_add:
            return
        text = self.query_one("#instrument-path", Input).value.strip()
        if not text:
            self.say(_("Type the path of the definition file."))
            return
        path = Path(text).expanduser()
        self.checked = self.plan = None
        self.checked_path = path
        self.form_saved = False
        self.query_one("#instrument-add", Button).disabled = True
        self.query_one("#instrument-check", Static).update("")
        self.say(_("Checking…"))
        self.call(_check, self.backend, path, done=self._checked, failed=self._check_failed,
                  group="instruments-check")

    def _checked(self, outcome: tuple[CheckedDefinition, AddPreview]) -> None:
        if not self.is_attached:
            return
        self.checked, self.plan = outcome
        self.query_one("#instrument-check", Static).update(check_text(*outcome))
        addable = self.plan.status in ("new", "new_version")
        self.query_one("#instrument-add", Button).disabled = not addable
        self.say(_("Press ctrl+s to add it.") if addable else "")

    def _check_failed(self, error: BaseException) -> bool:
        if self.is_attached:
            self.query_one("#instrument-check", Static).update("")
        return self.form_failed(error)

    # -- add ---------------------------------------------------------------------------------
    def submit(self) -> None:
        """ctrl+s: add the checked definition."""
        if not self.may_add:
            return
        if self.plan is None or self.checked_path is None or self.plan.status not in (
                "new", "new_version"):
            self.say(_("Check a definition file first (Enter in the path)."))
            return
        self.save_with(instruments.add_definition, self.backend.vs, self.checked_path,
                       done=self._added, saying=_("Adding…"), group="instruments-add")

    def _added(self, result: AddResult) -> None:
        self.result = result
        self.plan = None
        if self.is_attached:
            self.query_one("#instrument-add", Button).disabled = True
            self.query_one("#instrument-check", Static).update(result.message)
            self.say("")
        self.app.notify(result.message, markup=False)
        self.app.post_message(DataChanged("instrument"))
        self.reload()
