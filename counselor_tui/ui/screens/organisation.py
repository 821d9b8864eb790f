"""The programme's organisation 组织机构 (issue 16 item 1; the regulation's 三(一), 三(三)).

Top: the protection committee's and its office's members — post, name, position, term, and
whether they are one of the bureau's part-time counselors —, serving members first. Under it,
the units whose designated counselors break the one-to-three rule, then the 教导员 and
政工干部 trained this year. The coordinator changes them; every role reads them.

| key | action |
|---|---|
| a | add a member (coordinator) |
| e | change the highlighted member: post, person, position, term (coordinator) |
| x | void the highlighted member record entered by mistake, with a reason (coordinator) |
| c | record a 教导员 or 政工干部 trained (coordinator) |
| r | reload |
| Tab | between the members and the trainings |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from counselor_tui.domain import organisation as rules
from counselor_tui.domain.periods import period_of
from counselor_tui.domain.permissions import Action, allowed
from counselor_tui.domain.text_rules import escape_for_terminal
from counselor_tui.i18n import N_, _
from counselor_tui.services import organisation
from counselor_tui.services.api import Backend
from counselor_tui.services.organisation import CadreRow, MemberRow, UnitCoverage
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.screens.org_forms import CadreFormDialog, MemberFormDialog
from counselor_tui.ui.screens.reason_dialog import ReasonDialog
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable


@dataclass(frozen=True)
class OrgAnswer:
    """What the screen shows: members, units outside the rule, this year's cadre trainings."""

    members: list[MemberRow]
    outside: list[UnitCoverage]
    units: int
    cadres: list[CadreRow]


def load(backend: Backend) -> OrgAnswer:
    """Everything the screen shows (runs in a worker)."""
    vs = backend.vs
    year = period_of("year", backend.clock.now().date())
    coverage = organisation.unit_coverage(vs)
    return OrgAnswer(organisation.list_members(vs), [u for u in coverage if u.outside_rule],
                     len(coverage), organisation.list_cadre_trainings(vs, year.start, year.end))


def outside_text(units: list[UnitCoverage], limit: int = 6) -> str:
    """``城关派出所（5名）、特警大队（无）`` — the units outside the 1–3 rule in words, the
    first ``limit`` of them and how many more (``…等15个单位``)."""
    text = _("、").join(
        _("{unit} (none)").format(unit=u.name) if u.count == 0
        else _("{unit} ({n})").format(unit=u.name, n=u.count) for u in units[:limit])
    if len(units) > limit:
        text = _("{units} … {n} units in all").format(units=text, n=len(units))
    return text


def post_label(code: str) -> str:
    """The post's name in the interface language."""
    return _(rules.POSTS[code]) if code in rules.POSTS else code


class OrganisationScreen(BaseScreen):
    """The committee, its office, the units' counselors and the cadres trained."""

    CSS_PATH = "../styles/organisation.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_member", N_("Add member"), id="add_member"),
        Binding("e", "change_member", N_("Change member"), id="change_member"),
        Binding("x", "void_member", N_("Void member"), id="void_member"),
        Binding("c", "add_cadre", N_("Cadre trained"), id="add_cadre"),
        Binding("r", "reload", N_("Reload"), id="reload"),
    ]
    AUTO_FOCUS = "#org-members"

    def __init__(self) -> None:
        super().__init__()
        self.answer: OrgAnswer | None = None
        self.loaded = 0

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label(_("Organisation"), classes="screen-title")
        yield Static("", id="org-summary", markup=False)
        with Vertical(id="org-body"):
            yield Label(_("Protection committee and its office"), classes="section-title")
            yield PlainTable(id="org-members", cursor_type="row", zebra_stripes=True)
            yield Static("", id="org-units", markup=False)
            yield Label(_("Political instructors and political-work cadres trained this year"),
                        id="org-cadres-title", classes="section-title")
            yield PlainTable(id="org-cadres", cursor_type="row", zebra_stripes=True)
        yield Static("", id="org-hint", classes="field-hint", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        members = self.query_one("#org-members", DataTable)
        for key, title in (("body", _("Body")), ("post", _("Post")), ("name", _("Name")),
                           ("job", _("Position")), ("term", _("Term")),
                           ("counselor", _("Counselor")), ("state", _("Status"))):
            members.add_column(title, key=key)
        cadres = self.query_one("#org-cadres", DataTable)
        for key, title in (("date", _("Date")), ("post", _("Post")), ("name", _("Name")),
                           ("unit", _("Unit")), ("title", _("Training")),
                           ("hours", _("Hours"))):
            cadres.add_column(title, key=key)
        self.query_one("#org-hint", Static).update(
            _("a add member · e change or end a term · x void · c cadre trained · r reload")
            if self._manages() else _("r reload (the office changes these records)"))
        self.reload()

    def _manages(self) -> bool:
        vs = self.backend.session
        return vs is not None and allowed(vs.actor.role, Action.MANAGE_ORGANISATION)

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    def data_changed(self, what: str) -> None:
        """Reload after an organisation record or an account changed."""
        if self.loaded and what in ("organisation", "user"):
            self.reload()

    def reload(self) -> None:
        """Fetch everything (in a worker)."""
        if self.backend.unlocked:
            self.call(load, self.backend, done=self._show, group="org-load")

    def action_reload(self) -> None:
        """r: reload."""
        self.reload()

    def _show(self, answer: OrgAnswer) -> None:
        if not self.is_attached:
            return
        self.answer = answer
        self.loaded += 1
        table = self.query_one("#org-members", DataTable)
        keep = table.cursor_row
        table.clear()
        for m in answer.members:
            table.add_row(
                _(rules.BODIES[m.body]), post_label(m.post), m.name, m.job or "—",
                f"{m.starts_on} – {m.ends_on or _('now')}",
                _("✓ counselor") if m.counselor else "—",
                _("serving") if m.serving else _("not serving"), key=str(m.id))
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        serving = [m for m in answer.members if m.serving]
        summary = _(
            "Serving: {committee} on the committee, {office} in its office, {counselors} of "
            "them counselors").format(
            committee=sum(m.body == "committee" for m in serving),
            office=sum(m.body == "office" for m in serving),
            counselors=sum(m.counselor for m in serving))
        missing = organisation.director_missing(answer.members)
        summary_line = self.query_one("#org-summary", Static)
        summary_line.set_class(missing is not None, "-warning")
        summary_line.update(summary if missing is None else f"{summary}\n⚠ {missing}")
        units = self.query_one("#org-units", Static)
        units.set_class(bool(answer.outside), "-warning")
        units.update(
            _("⚠ Units outside the rule of one to three designated counselors: {units}")
            .format(units=outside_text(answer.outside)) if answer.outside
            else _("✓ Every unit ({n}) has one to three designated counselors.").format(
                n=answer.units))
        cadres = self.query_one("#org-cadres", DataTable)
        cadres.clear()
        for c in answer.cadres:
            cadres.add_row(c.on_date, _(rules.CADRE_POSTS.get(c.post, c.post)), c.name,
                           c.unit_name or _("bureau level"), c.title,
                           f"{c.hours:g}",
                           key=str(c.id))
        people = {(c.name, c.post, c.unit_id) for c in answer.cadres}
        self.query_one("#org-cadres-title", Label).update(_(
            "Political instructors and political-work cadres trained this year: {n}").format(
            n=len(people)))

    def selected_member(self) -> MemberRow | None:
        """The highlighted member, if any."""
        table = self.query_one("#org-members", DataTable)
        if table.row_count == 0 or self.answer is None:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((m for m in self.answer.members if str(m.id) == key), None)

    def _refuse(self) -> bool:
        if self._manages():
            return False
        self.app.notify(_("The programme office (a coordinator) changes the organisation."),
                        severity="warning", markup=False)
        return True

    def _after(self, result: object | None) -> None:
        if result is not None:
            self.reload()

    def action_add_member(self) -> None:
        """a: add a member."""
        if not self._refuse():
            self.app.push_screen(MemberFormDialog(), self._after)

    def action_change_member(self) -> None:
        """e: change the highlighted member (post, person, position, term)."""
        if self._refuse():
            return
        member = self.selected_member()
        if member is None:
            self.app.notify(_("Highlight a member first."), markup=False)
            return
        self.app.push_screen(MemberFormDialog(member), self._after)

    def action_void_member(self) -> None:
        """x: void the highlighted member record, with a reason."""
        if self._refuse():
            return
        member = self.selected_member()
        if member is None:
            self.app.notify(_("Highlight a member first."), markup=False)
            return

        def answer(reason: str | None) -> None:
            if reason:
                self.call(organisation.void_member, self.backend.vs, member.id, reason,
                          done=lambda _r: self._voided(), group="org-void")

        self.app.push_screen(ReasonDialog(
            _("Void the member record"),
            _("{post} {name}: void a record entered by mistake (someone who left has their "
              "term ended instead, with e). Why is it void?").format(
                post=post_label(member.post), name=escape_for_terminal(member.name))),
            answer)

    def _voided(self) -> None:
        self.app.notify(_("Member record voided."), markup=False)
        self.reload()

    def action_add_cadre(self) -> None:
        """c: record a 教导员 or 政工干部 trained."""
        if not self._refuse():
            self.app.push_screen(CadreFormDialog(), self._after)
