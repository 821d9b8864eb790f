"""Census & assessments 普查测评 (F4; DESIGN §6, issue 4 §3–§6).

Three tabs:

1. **Campaigns** — every census campaign with its completion (screened / target officers),
   and for the highlighted one the completion by unit (a bar per unit, counts per
   instrument, screen-positive counts). Closed campaigns show their frozen figures.
2. **Not yet screened** — officers of the highlighted campaign's target units still missing
   an instrument; Enter opens the assessment entry for that officer and instrument.
3. **Tier suggestions** — pending suggestions (red first) to confirm or decide otherwise.

| key | action |
|---|---|
| 1 / 2 / 3 | campaigns / not yet screened / tier suggestions |
| a | enter an assessment (for the highlighted officer on tab 2) |
| n | new campaign (coordinators) |
| k | close the highlighted campaign and freeze its figures (coordinators) |
| c | confirm the highlighted tier suggestion |
| o | decide another tier for it (written reason) |
| Enter | tab 2: assess the officer · tab 3: open the person |
| i | import survey responses |
| m | instruments: the built-in ones and the bureau's own (coordinators add; others read) |
| y | analysis |
| r | reload |

Keys an account's role can never use are not offered (hidden from the footer and from F1
help): ``n``, ``k`` and ``i`` for everyone but coordinators, ``a`` for auditors and
admins. The services refuse those actions as well. A counselor's list of officers not yet
screened holds only the officers in their care, and the screen says so.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.widgets import DataTable, Label, Static, TabbedContent, TabPane

from counselor_tui.domain import vocab
from counselor_tui.domain.permissions import Action, allowed
from counselor_tui.domain.roles import WRITES_RECORDS, Role
from counselor_tui.i18n import N_, _
from counselor_tui.services import census, tier_policy
from counselor_tui.services.api import Backend
from counselor_tui.services.errors import PermissionDenied
from counselor_tui.ui.assessment_view import tier_text
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import DataChanged, OpenArea, OpenPerson
from counselor_tui.ui.screens.assessment_entry import AssessmentEntryScreen
from counselor_tui.ui.screens.census_form import CensusFormDialog
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.tier_override import TierOverrideDialog
from counselor_tui.ui.text import instrument_short
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.bar_chart import bar
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable

BAR_WIDTH = 12  # narrow enough that four instruments fit at 80 columns

#: Officers not yet screened shown at once (issue 18: tens of thousands at province).
PENDING_PAGE = 500


# --------------------------------------------------------------------------- worker jobs


def load_overview(backend: Backend) -> tuple[list[census.CensusRow],
                                             list[tier_policy.SuggestionRow] | None]:
    """Campaigns and pending suggestions (``None`` for roles that see no persons)."""
    vs = backend.vs
    rows = census.list_censuses(vs)
    try:
        suggestions: list[tier_policy.SuggestionRow] | None = tier_policy.pending(vs)
    except PermissionDenied:
        suggestions = None
    return rows, suggestions


def load_campaign(backend: Backend, census_id: int) -> tuple[
        census.CensusFigures, list[census.PendingOfficer] | None]:
    """Figures of one campaign and its officers not yet screened (``None``: not allowed)."""
    vs = backend.vs
    figures = census.figures(vs, census_id)
    try:
        pending: list[census.PendingOfficer] | None = census.not_screened(
            vs, census_id, limit=PENDING_PAGE + 1)  # one more: are there others?
    except PermissionDenied:
        pending = None
    return figures, pending


def _create(backend: Backend, draft: census.CensusDraft) -> int:
    return census.create_census(backend.vs, draft)


def _close(backend: Backend, census_id: int) -> census.CensusFigures:
    return census.close_census(backend.vs, census_id)


def _confirm(backend: Backend, suggestion_id: int) -> tier_policy.Decision:
    return tier_policy.confirm(backend.vs, suggestion_id)


def _override(backend: Backend, suggestion_id: int, tier: str,
              reason: str) -> tier_policy.Decision:
    return tier_policy.override(backend.vs, suggestion_id, tier, reason)


#: Actions only a coordinator may take (the services refuse everyone else too).
COORDINATOR_ACTIONS = frozenset({"new_campaign", "close_campaign", "import_responses"})


def drop_bindings(node: DOMNode, actions: frozenset[str]) -> None:
    """Remove ``node``'s bindings of ``actions`` (this instance only), so that neither the
    footer nor the F1 help (which lists the node's bindings) offers them."""
    keymap = node._bindings.key_to_bindings
    for key, bindings in list(keymap.items()):
        kept = [b for b in bindings if b.action not in actions]
        if kept:
            keymap[key] = kept
        else:
            del keymap[key]


def percent(value: float | None) -> str:
    """``0.456`` → ``46%``; ``None`` → ``–``."""
    return "–" if value is None else f"{value * 100:.0f}%"


# --------------------------------------------------------------------------- the screen


class CensusScreen(BaseScreen):
    """Campaigns, completion by unit, officers not yet screened, tier suggestions."""

    CSS_PATH = "../styles/census.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "tab('campaigns')", N_("Campaigns"), id="tab_campaigns", show=False),
        Binding("2", "tab('pending')", N_("Not yet screened"), id="tab_pending", show=False),
        Binding("3", "tab('suggestions')", N_("Tier suggestions"), id="tab_suggestions",
                show=False),
        Binding("a", "assess", N_("Assess"), id="assess"),
        Binding("n", "new_campaign", N_("New campaign"), id="new_campaign"),
        Binding("k", "close_campaign", N_("Close campaign"), id="close_campaign"),
        Binding("c", "confirm_suggestion", N_("Confirm tier"), id="confirm"),
        Binding("o", "override_suggestion", N_("Other tier"), id="override"),
        Binding("i", "import_responses", N_("Import"), id="import"),
        Binding("m", "instruments", N_("Instruments"), id="instruments", show=False),
        Binding("y", "analysis", N_("Analysis"), id="analysis"),
        Binding("r", "reload", N_("Reload"), id="reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.campaigns: list[census.CensusRow] = []
        self.suggestions: list[tier_policy.SuggestionRow] | None = []
        self.figures: census.CensusFigures | None = None
        self.pending: list[census.PendingOfficer] | None = []
        self.selected: int | None = None
        self.loaded = 0

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label(_("Census & assessments"), classes="screen-title")
        with TabbedContent(initial="campaigns", id="census-tabs"):
            with TabPane(_("Campaigns"), id="campaigns"):
                yield PlainTable(id="census-list", cursor_type="row", zebra_stripes=True)
                yield Static("", id="census-summary", markup=False)
                yield PlainTable(id="census-units", cursor_type="row", zebra_stripes=True)
            with TabPane(_("Not yet screened"), id="pending"):
                yield Static("", id="pending-summary", markup=False)
                yield PlainTable(id="census-pending", cursor_type="row", zebra_stripes=True)
            with TabPane(_("Tier suggestions"), id="suggestions"):
                yield Static("", id="suggestions-summary", markup=False)
                yield PlainTable(id="census-suggestions", cursor_type="row",
                                zebra_stripes=True)
        yield AppFooter()

    def role(self) -> Role | None:
        """The role of the unlocked account (``None`` while locked)."""
        vs = self.backend.session
        return None if vs is None else vs.actor.role

    def role_forbids(self, action: str) -> bool:
        """True for an action this account's role can never use on this screen."""
        role = self.role()
        if action in COORDINATOR_ACTIONS:
            return role is not Role.COORDINATOR
        if action == "assess":
            return role not in WRITES_RECORDS
        if action == "instruments":  # counselors and auditors read the list
            return role is None or not allowed(role, Action.LIST_INSTRUMENTS)
        return False

    def on_mount(self) -> None:
        translate_bindings(self)
        drop_bindings(self, frozenset(
            a for a in (*COORDINATOR_ACTIONS, "assess", "instruments")
            if self.role_forbids(a)))
        self.query_one("#census-list", DataTable).add_columns(
            _("Campaign"), _("Window"), _("Instruments"), _("Status"), _("Screened"), "%")
        self.query_one("#census-pending", DataTable).add_columns(
            _("Unit"), _("Badge no."), _("Name"), _("Missing"))
        self.query_one("#census-suggestions", DataTable).add_columns(
            _("Suggested"), _("Current"), _("Name"), _("Badge no."), _("Unit"), _("Rule"),
            _("Since"))
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    # -- loading -------------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch campaigns and suggestions again (in a worker)."""
        self.call(load_overview, self.backend, done=self._overview, group="census-overview")

    def action_reload(self) -> None:
        """Reload everything."""
        self.reload()

    def _overview(self, loaded: tuple[list[census.CensusRow],
                                      list[tier_policy.SuggestionRow] | None]) -> None:
        if not self.is_attached:
            return
        self.campaigns, self.suggestions = loaded
        self.loaded += 1
        table = self.query_one("#census-list", DataTable)
        table.clear()
        for row in self.campaigns:
            status = _("in progress") if row.status == "open" else _("closed (frozen)")
            table.add_row(Text(row.name), f"{row.starts_on} – {row.ends_on}",
                          ", ".join(map(instrument_short, row.instruments)), status,
                          f"{row.completed}/{row.target}", percent(row.rate), key=str(row.id))
        if self.campaigns:
            ids = [r.id for r in self.campaigns]
            index = ids.index(self.selected) if self.selected in ids else 0
            table.move_cursor(row=index)
            self._select_campaign(self.campaigns[index].id)
        else:
            self.query_one("#census-summary", Static).update(
                _("No campaign yet: press n to create one (coordinators)."))
        self._show_suggestions()

    def _select_campaign(self, census_id: int) -> None:
        self.selected = census_id
        self.call(load_campaign, self.backend, census_id, done=self._campaign,
                  group="census-campaign")

    @on(DataTable.RowHighlighted, "#census-list")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key is not None and int(key) != self.selected:
            self._select_campaign(int(key))

    def _campaign(self, loaded: tuple[census.CensusFigures,
                                      list[census.PendingOfficer] | None]) -> None:
        if not self.is_attached:
            return
        self.figures, self.pending = loaded
        figures = self.figures
        frozen = _(" · frozen {at}").format(at=figures.as_of[:16]) if figures.frozen else ""
        positive = ", ".join(f"{instrument_short(code)} {n}"
                             for code, n in figures.positive.items())
        self.query_one("#census-summary", Static).update(
            _("Screened {done} of {target} ({percent}); screen-positive: {positive}"
              ).format(done=figures.completed, target=figures.target,
                       percent=percent(figures.rate), positive=positive or "–") + frozen)
        units = self.query_one("#census-units", DataTable)
        units.clear(columns=True)
        codes = list(figures.per_instrument)
        units.add_columns(_("Unit"), _("Police type"), _("Target"), _("Screened"), "%", "",
                          *map(instrument_short, codes))
        for u in figures.units:
            style = "green" if u.rate == 1 else ("yellow" if (u.rate or 0) >= 0.5 else "red")
            units.add_row(u.unit_name, u.police_type, str(u.target), str(u.completed),
                          percent(u.rate),
                          Text(bar(u.completed, u.target, BAR_WIDTH), style=style),
                          *[str(u.per_instrument.get(c, 0)) for c in codes],
                          key=str(u.unit_id))
        self._show_pending()

    def _show_pending(self) -> None:
        table = self.query_one("#census-pending", DataTable)
        table.clear()
        summary = self.query_one("#pending-summary", Static)
        if self.pending is None:
            summary.update(_("Your role sees the figures only, not the officers."))
            return
        if len(self.pending) > PENDING_PAGE:
            self.pending = self.pending[:PENDING_PAGE]
            text = _("More than {n} officers not yet screened; the first {n} are listed "
                     "(Enter: assess)").format(n=PENDING_PAGE)
        else:
            text = _("{n} officers not yet screened (Enter: assess)").format(
                n=len(self.pending))
        if self.role() is Role.COUNSELOR:
            text += "  " + _("Only officers in your care are shown.")
        summary.update(text)
        for p in self.pending:
            table.add_row(Text(p.unit_name), Text(p.badge_no or ""), Text(p.name),
                          ", ".join(map(instrument_short, p.missing)),
                          key=str(p.person_id))

    def _show_suggestions(self) -> None:
        table = self.query_one("#census-suggestions", DataTable)
        table.clear()
        summary = self.query_one("#suggestions-summary", Static)
        if self.suggestions is None:
            summary.update(_("Your role does not decide tiers."))
            return
        red = sum(1 for s in self.suggestions if s.tier == "red")
        summary.update(_("{n} suggestions to decide, {red} red (c confirm · o other tier · "
                         "Enter person)").format(n=len(self.suggestions), red=red))
        for s in self.suggestions:
            table.add_row(tier_text(s.tier), tier_text(s.current_tier), s.person_name,
                          s.badge_no or "", s.unit_name or "", s.rule_label,
                          s.created_at[:10], key=str(s.id))

    # -- helpers -------------------------------------------------------------------------
    @property
    def tab(self) -> str:
        """The active tab id."""
        return str(self.query_one("#census-tabs", TabbedContent).active)

    def _cursor_key(self, ident: str) -> str | None:
        table = self.query_one(ident, DataTable)
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:  # no row under the cursor
            return None
        return None if key.value is None else str(key.value)

    def highlighted_pending(self) -> census.PendingOfficer | None:
        """The officer under the cursor of tab 2."""
        key = self._cursor_key("#census-pending")
        return next((p for p in self.pending or [] if str(p.person_id) == key), None)

    def highlighted_suggestion(self) -> tier_policy.SuggestionRow | None:
        """The suggestion under the cursor of tab 3."""
        key = self._cursor_key("#census-suggestions")
        return next((s for s in self.suggestions or [] if str(s.id) == key), None)

    # -- actions -------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        """Show tab ``tab``."""
        self.query_one("#census-tabs", TabbedContent).active = tab
        target = {"campaigns": "#census-list", "pending": "#census-pending",
                  "suggestions": "#census-suggestions"}[tab]
        self.query_one(target, DataTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.role_forbids(action):
            return False
        if action in ("confirm_suggestion", "override_suggestion"):
            return self.tab == "suggestions" and bool(self.suggestions)
        if action == "close_campaign":
            return any(c.id == self.selected and c.status == "open" for c in self.campaigns)
        return True

    def action_assess(self) -> None:
        """Open the assessment entry (for the highlighted officer on tab 2)."""
        officer = self.highlighted_pending() if self.tab == "pending" else None
        if officer is None:
            self.app.push_screen(AssessmentEntryScreen(census_id=None))
            return
        self._assess(officer)

    def _assess(self, officer: census.PendingOfficer) -> None:
        instrument = officer.missing[0] if officer.missing else None
        self.app.push_screen(AssessmentEntryScreen(person_id=officer.person_id,
                                                   instrument=instrument,
                                                   census_id=self.selected))

    @on(DataTable.RowSelected, "#census-pending")
    def _pending_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        officer = next((p for p in self.pending or []
                        if str(p.person_id) == event.row_key.value), None)
        if officer is not None:
            self._assess(officer)

    @on(DataTable.RowSelected, "#census-suggestions")
    def _suggestion_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        s = next((s for s in self.suggestions or [] if str(s.id) == event.row_key.value),
                 None)
        if s is not None:
            self.post_message(OpenPerson(s.person_id))

    def action_new_campaign(self) -> None:
        """Create a campaign (coordinators; the service refuses others)."""
        self.app.push_screen(CensusFormDialog(self.backend.vs.today()), self._new_draft)

    def _new_draft(self, draft: census.CensusDraft | None) -> None:
        if draft is not None:
            self.call(_create, self.backend, draft, done=self._created, group="census-write")

    def _created(self, census_id: int) -> None:
        self.selected = census_id
        self.notify(_("Campaign created."), markup=False)
        self.post_message(DataChanged("census"))
        self.reload()

    def action_close_campaign(self) -> None:
        """Close the highlighted campaign after a confirmation."""
        row = next((c for c in self.campaigns if c.id == self.selected), None)
        if row is None or row.status != "open":
            return
        question = _("Close “{name}”? Its figures ({done}/{target} screened) are frozen; "
                     "later assessments no longer change them.").format(
                         name=row.name, done=row.completed, target=row.target)

        def answer(yes: bool | None) -> None:
            if yes:
                self.call(_close, self.backend, row.id, done=self._campaign_closed,
                          group="census-write")

        self.app.push_screen(ConfirmDialog(question, default_yes=False), answer)

    def _campaign_closed(self, figures: census.CensusFigures) -> None:
        self.notify(_("Campaign closed: {done}/{target} screened.").format(
            done=figures.completed, target=figures.target), markup=False)
        self.post_message(DataChanged("census"))
        self.reload()

    def action_confirm_suggestion(self) -> None:
        """Confirm the highlighted suggestion."""
        s = self.highlighted_suggestion()
        if s is not None:
            self.call(_confirm, self.backend, s.id, done=self._decided, group="census-decide")

    def action_override_suggestion(self) -> None:
        """Decide another tier for the highlighted suggestion (written reason)."""
        s = self.highlighted_suggestion()
        if s is None:
            return

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is not None:
                self.call(_override, self.backend, s.id, *answer, done=self._decided,
                          group="census-decide")

        self.app.push_screen(TierOverrideDialog(
            _("Decide the tier of {name}").format(name=s.person_name), s.tier,
            s.current_tier), chosen)

    def _decided(self, decision: tier_policy.Decision) -> None:
        self.notify(_("Tier set to {tier}.").format(
            tier=vocab.label(vocab.TIERS, decision.state.tier)), markup=False)
        self.post_message(DataChanged("tier"))
        self.reload()

    def action_import_responses(self) -> None:
        """Open the survey-response import."""
        self.post_message(OpenArea("responses_import"))

    def action_instruments(self) -> None:
        """Open the instruments screen (a bureau's own instruments)."""
        self.post_message(OpenArea("instruments"))

    def action_analysis(self) -> None:
        """Open the analysis screen."""
        self.post_message(OpenArea("analysis"))

    def visible_text(self) -> dict[str, Any]:
        """What the tabs show (tests): campaign names, unit rows, pending, suggestions."""
        return {
            "campaigns": [c.name for c in self.campaigns],
            "units": [] if self.figures is None else [
                (u.unit_name, u.target, u.completed) for u in self.figures.units],
            "pending": [p.person_id for p in self.pending or []],
            "suggestions": [s.id for s in self.suggestions or []],
        }
