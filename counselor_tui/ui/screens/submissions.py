"""Submissions 报送 (F7, DESIGN §6, §8): compile, preview, narrative, finalize, export.

Pick the period (``2026-11``, ``2026-Q4``, ``2026``, ``2026年11月`` …) and the scope (the
bureau or one unit), compile (a progress bar follows the sections), look at every section
as tables — as the documents will print them (``<3`` and ``x`` for hidden counts) or, with
``e``, the exact figures — write the narrative, finalize and export the signed, encrypted
package. The versions tab lists every stored version; Enter opens one. Auditors may compile
a preview (nothing is stored); finalize and export are for coordinators and admins (the
service refuses everyone else too).

| key | action |
|---|---|
| c | compile the period and scope (the Compile button has the focus on arrival) |
| Enter | in the period or on Compile: compile |
| e | exact figures / as published |
| f | finalize the shown draft |
| x | export the shown final version |
| r | reload the versions |
| Ctrl+S | save the narrative |
| Enter (versions) | open that version |
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import (
    Button,
    DataTable,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from counselor_tui.domain.periods import period_of, previous
from counselor_tui.i18n import N_, _
from counselor_tui.reports.spec import NARRATIVE_FIELDS
from counselor_tui.reports.view import DocumentView, TableView, build, scope_label, time_text
from counselor_tui.services import filing, submissions
from counselor_tui.services.filing import FinalizeDefaults
from counselor_tui.services.submission_compile import STEPS
from counselor_tui.services.submissions import ExportResult, SubmissionDetail, SubmissionInfo
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.finalize_dialog import FinalizeChoice, FinalizeDialog
from counselor_tui.ui.screens.submission_export import SubmissionExportModal
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable

STATUS_LABELS = {"draft": N_("draft"), "final": N_("final"), "exported": N_("exported"),
                 "preview": N_("preview, not stored")}


class SubmissionsScreen(BaseScreen):
    """The submissions area; constructed with no arguments."""

    CSS_PATH = "../styles/submissions.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "compile", N_("Compile"), id="compile"),
        Binding("e", "toggle_exact", N_("Exact / published"), id="toggle_exact"),
        Binding("f", "finalize", N_("Finalize"), id="finalize"),
        Binding("x", "export", N_("Export"), id="export"),
        Binding("r", "reload", N_("Reload"), id="reload"),
    ]
    #: On arrival the Compile button has the focus, so the screen's own keys (c, e, f, x,
    #: r) act at once instead of being typed into the period; Enter compiles from both.
    AUTO_FOCUS = "#sb-compile"

    class Shown(Message):
        """A submission (or preview) was put on screen: ``status`` draft/final/… ."""

        def __init__(self, status: str) -> None:
            super().__init__()
            self.status = status

    def __init__(self) -> None:
        super().__init__()
        self.exact = False
        self.detail: SubmissionDetail | None = None
        self.document: dict[str, Any] | None = None
        self.view: DocumentView | None = None
        self.versions: list[SubmissionInfo] = []
        self.saved_narrative: dict[str, str] = {}
        self.compiling = False
        self.rendered = 0

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(_("Submissions"), classes="screen-title")
        with Horizontal(id="sb-controls"):
            yield Label(_("Period"), classes="sb-label")
            yield Input(self._default_period(), id="sb-period")
            yield Label(_("Scope"), classes="sb-label")
            yield Select[str]([], allow_blank=True, prompt=_("whole bureau"), id="sb-scope")
            yield Button(_("Compile"), variant="primary", id="sb-compile")
        yield ProgressBar(total=STEPS, show_eta=False, id="sb-progress")
        yield Static(_("Nothing compiled yet: press Enter in the period, or C, to compile it."),
                     id="sb-status", markup=False)
        with TabbedContent(id="sb-tabs", initial="sb-tab-preview"):
            with TabPane(_("Preview"), id="sb-tab-preview"):
                yield VerticalScroll(id="sb-preview")
            with TabPane(_("Narrative"), id="sb-tab-narrative"), Vertical(id="sb-narrative"):
                for key, label in NARRATIVE_FIELDS:
                    yield Label(_(label), classes="field-label")
                    yield TextArea(id=f"sb-{key}", soft_wrap=True)
                yield Static(_("Ctrl+S saves the narrative of a draft."),
                             classes="field-hint", markup=False)
            with TabPane(_("Versions"), id="sb-tab-versions"):
                yield PlainTable(id="sb-versions", cursor_type="row", zebra_stripes=True)
        yield AppFooter()

    def _default_period(self) -> str:
        vs = self.backend.session
        if vs is None:
            return ""
        return previous(period_of("month", vs.today())).label

    def on_mount(self) -> None:
        translate_bindings(self)
        table = self.query_one("#sb-versions", DataTable)
        for key, title in (("period", _("Period")), ("scope", _("Scope")),
                           ("version", _("Version")), ("status", _("Status")),
                           ("final", _("Finalized at")), ("sha", _("SHA-256")),
                           ("package", _("Package"))):
            table.add_column(title, key=key)
        self._set_narrative_editable(False)
        if self.backend.unlocked:
            self.call(submissions.scopes, self.backend.vs, done=self._scopes,
                      group="submission-scopes")
            self.reload()

    def _scopes(self, scopes: list[tuple[str, str]]) -> None:
        if not self.is_attached:
            return
        options = [(f"{name} ({code})" if code != "bureau" else name, code)
                   for code, name in scopes]
        select = self.query_one("#sb-scope", Select)
        select.set_options(options)
        select.value = "bureau"

    @property
    def scope(self) -> str:
        """The chosen scope code (``bureau`` when nothing is chosen)."""
        value = self.query_one("#sb-scope", Select).value
        return value if isinstance(value, str) else "bureau"

    def _is_compiler(self) -> bool:
        vs = self.backend.session
        return vs is not None and vs.actor.role in submissions.COMPILERS

    # -- versions ------------------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch the stored versions."""
        if self.backend.unlocked:
            self.call(submissions.list_versions, self.backend.vs, done=self._versions,
                      group="submission-versions")

    def action_reload(self) -> None:
        """Reload the versions."""
        self.reload()

    def _versions(self, versions: list[SubmissionInfo]) -> None:
        if not self.is_attached:
            return
        self.versions = versions
        table = self.query_one("#sb-versions", DataTable)
        table.clear()
        for v in versions:
            table.add_row(v.period_label, scope_label(v.scope), str(v.version),
                          _(STATUS_LABELS.get(v.status, v.status)), time_text(v.finalized_at or ""),
                          (v.content_sha256 or "")[:16], v.package_name or "", key=str(v.id))

    @on(DataTable.RowSelected, "#sb-versions")
    def _open_version(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key is not None:
            self.call(submissions.get, self.backend.vs, int(key), done=self._show_detail,
                      group="submission-open")

    # -- compile -------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "sb-compile":
            self.action_compile()

    @on(Input.Submitted, "#sb-period")
    def _period_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_compile()

    def action_compile(self) -> None:
        """Compile the period and scope (a stored draft; a preview for auditors)."""
        if self.compiling or not self.backend.unlocked:
            return
        period = self.query_one("#sb-period", Input).value.strip()
        if not period:
            self.notify(_("Type the period, e.g. 2026-11."), severity="warning", markup=False)
            return
        bar = self.query_one("#sb-progress", ProgressBar)
        bar.update(total=STEPS, progress=0)
        self.compiling = True
        app = self.app

        def progress(done: int, total: int) -> None:
            app.call_from_thread(bar.update, total=total, progress=done)

        if self._is_compiler():
            self.call(submissions.compile_draft, self.backend.vs, period, self.scope,
                      progress=progress, done=self._show_detail, failed=self._compile_failed,
                      group="submission-compile")
        else:
            self.call(submissions.preview, self.backend.vs, period, self.scope,
                      progress=progress, done=self._show_preview, failed=self._compile_failed,
                      group="submission-compile")

    def _compile_failed(self, error: BaseException) -> bool:
        self.compiling = False
        return False

    def _show_preview(self, document: dict[str, Any]) -> None:
        self.compiling = False
        self.detail = None
        self._show(document, None)

    def _show_detail(self, detail: SubmissionDetail) -> None:
        self.compiling = False
        self.detail = detail
        self._show(detail.document, detail.info)
        self.reload()

    def _show(self, document: dict[str, Any], info: SubmissionInfo | None) -> None:
        if not self.is_attached:
            return
        self.document = document
        self.query_one("#sb-progress", ProgressBar).update(total=STEPS, progress=STEPS)
        narrative = (self.detail.narrative if self.detail is not None
                     else {k: "" for k, _l in NARRATIVE_FIELDS})
        self.saved_narrative = dict(narrative)
        for key, _label in NARRATIVE_FIELDS:
            self.query_one(f"#sb-{key}", TextArea).text = narrative.get(key, "")
        self._set_narrative_editable(info is not None and info.status == "draft")
        status = "preview" if info is None else info.status
        if info is None:
            text = _("{period} · {scope} · {status}").format(
                period=document["period"]["label"], scope=scope_label(document["scope"]["code"]),
                status=_(STATUS_LABELS["preview"]))
        else:
            text = _("{period} · {scope} · version {version} · {status}").format(
                period=info.period_label, scope=scope_label(info.scope), version=info.version,
                status=_(STATUS_LABELS.get(info.status, info.status)))
            if info.replaces_version is not None:
                text += " · " + _("replaces version {version}").format(
                    version=info.replaces_version)
            if info.content_sha256:
                text += f" · SHA-256 {info.content_sha256[:16]}…"
        self.query_one("#sb-status", Static).update(text)
        self._render_preview()
        self.post_message(self.Shown(status))

    def _set_narrative_editable(self, editable: bool) -> None:
        for key, _label in NARRATIVE_FIELDS:
            self.query_one(f"#sb-{key}", TextArea).read_only = not editable

    # -- preview -------------------------------------------------------------------------------
    def action_toggle_exact(self) -> None:
        """Switch between the published tables and the exact figures."""
        self.exact = not self.exact
        self.notify(_("Exact figures (for the office only).") if self.exact
                    else _("As the documents print them."), markup=False)
        if self.document is not None:
            self._render_preview()

    def _render_preview(self) -> None:
        """Rebuild the preview tables (in an async worker: old widgets go first)."""
        assert self.document is not None
        self.view = build(self.document, exact=self.exact)
        self.run_worker(self._rebuild(self.view), group="submission-render", exclusive=True)

    async def _rebuild(self, view: DocumentView) -> None:
        box = self.query_one("#sb-preview", VerticalScroll)
        await box.remove_children()
        widgets: list[Any] = [Static(view.title, classes="sb-doc-title", markup=False),
                              Static(" · ".join(x for x in (view.issuer, view.scope) if x),
                                     classes="sb-doc-sub", markup=False)]
        for section in view.sections:
            widgets.append(Label(f"{section.number}. {section.title}",
                                 classes="sb-section-title"))
            for label, text in section.paragraphs:
                widgets.append(Static(f"{label}: {text}", classes="sb-paragraph",
                                      markup=False))
            for table in section.tables:
                widgets.append(Label(table.caption, classes="sb-table-title"))
                widgets.append(self._data_table(table))
                if table.note:
                    widgets.append(Static(table.note, classes="field-hint", markup=False))
        if view.footnote:
            widgets.append(Static(view.footnote, classes="field-hint", markup=False))
        await box.mount_all(widgets)
        self.rendered += 1

    def _data_table(self, view: TableView) -> DataTable[Any]:
        table: DataTable[Any] = PlainTable(cursor_type="none", zebra_stripes=True,
                                          classes="sb-table")
        for i, title in enumerate(view.header):
            table.add_column(Text(title, justify="right" if i else "left"), key=str(i))
        for row in view.rows:
            table.add_row(*(Text(c, justify="right" if i else "left")
                            for i, c in enumerate(row)))
        if view.total is not None:
            table.add_row(*(Text(c, style="bold", justify="right" if i else "left")
                            for i, c in enumerate(view.total)))
        return table

    def preview_cells(self) -> list[str]:
        """Every cell text of the preview tables (for tests and the e2e check)."""
        if self.view is None:
            return []
        return [c for s in self.view.sections for t in s.tables for r in t.all_rows()
                for c in r]

    # -- narrative -----------------------------------------------------------------------------
    def narrative(self) -> dict[str, str]:
        """The narrative as typed."""
        return {key: self.query_one(f"#sb-{key}", TextArea).text
                for key, _label in NARRATIVE_FIELDS}

    def has_unsaved_changes(self) -> bool:
        """True when the typed narrative differs from the stored one."""
        if self.detail is None or self.detail.info.status != "draft":
            return False
        typed = self.narrative()
        return any(typed[k].strip() != self.saved_narrative.get(k, "") for k in typed)

    def action_save(self) -> None:
        """Ctrl+S: save the narrative of the shown draft."""
        if self.detail is None or self.detail.info.status != "draft":
            self.notify(_("Compile a draft first: only a draft's narrative can change."),
                        severity="warning", markup=False)
            return
        text = self.narrative()
        self.call(submissions.save_narrative, self.backend.vs, self.detail.info.id, text,
                  done=lambda info: self._narrative_saved(info, text),
                  group="submission-narrative")

    def _narrative_saved(self, info: SubmissionInfo, text: dict[str, str]) -> None:
        self.saved_narrative = {k: v.strip() for k, v in text.items()}
        if self.detail is not None:
            document = dict(self.detail.document)
            document["narrative"] = dict(self.saved_narrative)
            self.detail = SubmissionDetail(info, document)
            self.document = document
            self._render_preview()
        self.notify(_("Narrative saved."), markup=False)

    # -- finalize and export -------------------------------------------------------------------
    def action_finalize(self) -> None:
        """Ask, then freeze the shown draft."""
        if self.detail is None or self.detail.info.status != "draft":
            self.notify(_("Compile a draft first; a final version never changes."),
                        severity="warning", markup=False)
            return
        if self.has_unsaved_changes():
            self.notify(_("Save the narrative first (Ctrl+S)."), severity="warning",
                        markup=False)
            return
        info = self.detail.info

        def answer(choice: FinalizeChoice | None) -> None:
            if choice is not None:
                self.call(submissions.finalize, self.backend.vs, info.id,
                          classification=choice.classification,
                          classification_years=choice.classification_years,
                          allow_incomplete=choice.allow_incomplete, done=self._finalized,
                          failed=self._finalize_failed, group="submission-finalize")

        def ask(defaults: FinalizeDefaults) -> None:
            self.app.push_screen(FinalizeDialog(
                _("Finalize version {version} of {period}? Its figures, narrative and the "
                  "audit-chain head are then frozen; a correction is a new version.").format(
                    version=info.version, period=info.period_label), defaults), answer)

        self.call(filing.finalize_defaults, self.backend.vs, info.id, done=ask,
                  group="submission-finalize-ask")

    def _finalize_failed(self, error: BaseException) -> bool:
        if self.detail is not None:  # a stale draft was refreshed: show it again
            self.call(submissions.get, self.backend.vs, self.detail.info.id,
                      done=self._show_detail, group="submission-open")
        return False

    def _finalized(self, info: SubmissionInfo) -> None:
        self.call(submissions.get, self.backend.vs, info.id, done=self._show_detail,
                  group="submission-open")
        self.post_message(DataChanged("submission"))
        self.notify(_("Version {version} is final.").format(version=info.version),
                    markup=False)

    def action_export(self) -> None:
        """Open the export dialog for the shown final version."""
        if self.detail is None or not self.detail.info.is_final:
            self.notify(_("Finalize the submission before exporting it."), severity="warning",
                        markup=False)
            return
        info = self.detail.info
        folder = Path.home() / "counselor-submissions"

        def closed(result: ExportResult | None) -> None:
            if result is not None:
                self.post_message(DataChanged("submission"))
                self.call(submissions.get, self.backend.vs, info.id, done=self._show_detail,
                          group="submission-open")

        label = _("{period} · {scope} · version {version}").format(
            period=info.period_label, scope=scope_label(info.scope), version=info.version)
        self.app.push_screen(SubmissionExportModal(info.id, label, folder), closed)
