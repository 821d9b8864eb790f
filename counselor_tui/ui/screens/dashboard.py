"""Dashboard 工作台 (DESIGN §6): what needs doing today, gathered from every area.

Sections come from :func:`counselor_tui.services.dashboard.gather` (follow-ups, tier reviews,
last backup, and whatever later areas add: incidents, census, submissions …), urgent first.
The screen reloads whenever it becomes active again (after a save, after returning from
another screen). A line naming a person opens that person's record.

| key | action |
|---|---|
| ↑ / ↓ | move between lines |
| Enter | open the line's area (incidents, census …) or person record |
| v | review the tier of the highlighted "tier review due" line (elsewhere: go to the first) |
| t | change the tier of the highlighted "tier review due" line (elsewhere: go to the first) |
| r | reload |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from counselor_tui.i18n import N_, _
from counselor_tui.services import dashboard, settings
from counselor_tui.services.api import Backend
from counselor_tui.services.dashboard import DashboardItem, DashboardSection
from counselor_tui.ui import registry
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import OpenArea, OpenPerson
from counselor_tui.ui.screens.tier_decision import open_change, open_review
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter

LEVEL_STYLES = {"urgent": "bold red", "warning": "yellow", "info": ""}


def load(backend: Backend, arrived: Callable[[DashboardSection], object]) -> str:
    """Hand each dashboard section to ``arrived`` as soon as it is gathered, then return the
    bureau name (runs in a worker; ``arrived`` posts a message, so the screen paints each
    section while the next is gathered: issue 18)."""
    vs = backend.vs
    for section in dashboard.sections(vs):
        arrived(section)
    return str(settings.get_setting(vs, "bureau_name", "") or "")


class DashboardScreen(BaseScreen):
    """The home screen after unlocking."""

    CSS_PATH = "../styles/dashboard.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # the dashboard follows changes by itself (LIVE_SECONDS): r stays in F1, not the footer
        Binding("r", "reload", N_("Reload"), id="reload", show=False),
        Binding("v", "review_tier", N_("Review the tier"), id="review_tier"),
        Binding("t", "change_tier", N_("Change the tier"), id="change_tier"),
    ]
    AUTO_FOCUS = "#dashboard-list"

    class SectionArrived(Message):
        """One section of load number ``serial`` was gathered (posted from the worker)."""

        def __init__(self, serial: int, section: DashboardSection) -> None:
            super().__init__()
            self.serial = serial
            self.section = section

    class Filled(Message):
        """Load number ``serial`` ended; ``bureau`` is the bureau's name. Posted after the
        load's last :class:`SectionArrived`, so it is handled after every section."""

        def __init__(self, serial: int, bureau: str) -> None:
            super().__init__()
            self.serial = serial
            self.bureau = bureau

    def __init__(self) -> None:
        super().__init__()
        #: The sections shown: the first load's so far while it runs; after it, those of
        #: the last load that ended (a reload shows its sections once the last arrived).
        self.sections: list[DashboardSection] = []
        self._items: dict[str, DashboardItem] = {}
        self._section_of: dict[str, str] = {}
        #: Loads finished (tests wait on it); sections of the running one are in ``_fresh``.
        self.loaded = 0
        self._serial = 0
        self._fresh: list[DashboardSection] = []
        self._header = ""

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Static("", id="dashboard-header", markup=False)
        yield OptionList(id="dashboard-list")
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    def data_changed(self, what: str) -> None:
        """Something was saved: gather again now if shown (else on return)."""
        if self.is_current:
            self.reload()

    def action_reload(self) -> None:
        """Reload every section."""
        self.reload()

    def reload(self) -> None:
        """Gather the sections again (in a worker); the header says "Loading…" until the
        last arrived. The first load shows each section as it arrives (one list append each);
        a reload keeps the list shown until its last section, then shows them at once."""
        if not self.backend.unlocked:
            return
        self._serial += 1
        serial, post = self._serial, self.post_message
        self._fresh = []
        if not self.loaded and self.sections:  # a first load replaced before it ended
            self._show([])
        self._set_header(loading=True)

        def filled(bureau: str) -> None:
            post(self.Filled(serial, bureau))  # queued behind the load's last section

        self.call(load, self.backend, lambda section: post(self.SectionArrived(serial, section)),
                  done=filled,
                  failed=lambda _error: self._stopped(serial), group="dashboard")

    def _set_header(self, *, loading: bool) -> None:
        text = self._header
        if loading:
            text = f"{text} · {_('Loading…')}" if text else _("Loading…")
        self.query_one("#dashboard-header", Static).update(text)

    def on_dashboard_screen_section_arrived(self, message: SectionArrived) -> None:
        message.stop()
        if message.serial != self._serial or not self.is_attached:
            return  # a load that a newer one replaced
        self._fresh.append(message.section)
        if not self.loaded:  # the first load: each section below the others as it comes
            self.sections = list(self._fresh)
            index = len(self._fresh) - 1
            self.query_one("#dashboard-list", OptionList).add_options(
                self._options(index, message.section))

    def _stopped(self, serial: int) -> bool:
        if serial == self._serial and self.is_attached:
            self._set_header(loading=False)
        return False  # the app shows the error

    def on_dashboard_screen_filled(self, message: Filled) -> None:
        message.stop()
        serial, bureau = message.serial, message.bureau
        if serial != self._serial or not self.is_attached:
            return
        vs = self.backend.session
        who = "" if vs is None else f"{vs.actor.display_name} ({vs.actor.role.label})"
        today = "" if vs is None else vs.today().isoformat()
        self._header = _("Dashboard · {bureau} · {user} · {today}").format(
            bureau=bureau, user=who, today=today)
        self._set_header(loading=False)
        if self.loaded:  # a reload: the list shown until now gives way at once
            self._show(self._fresh)
        self.loaded += 1

    def _options(self, s_index: int, section: DashboardSection) -> list[Option | None]:
        """The options of section number ``s_index`` (a separator first but for the first)."""
        options: list[Option | None] = [None] if s_index else []
        title = Text(section.title, style="bold " + LEVEL_STYLES.get(section.level, ""))
        if section.summary:
            title.append("  " + section.summary, style="dim")
        options.append(Option(title, id=f"s{s_index}", disabled=True))
        if not section.items:
            options.append(Option(Text("  " + _("Nothing due."), style="dim"),
                                  id=f"s{s_index}-none", disabled=True))
        for i_index, item in enumerate(section.items):
            ident = f"s{s_index}-{i_index}"
            self._items[ident] = item
            self._section_of[ident] = section.id
            line = Text("  ")
            line.append(item.text, style=LEVEL_STYLES.get(item.level, ""))
            options.append(Option(line, id=ident))
        return options

    def _show(self, sections: list[DashboardSection]) -> None:
        self.sections = sections
        self._items.clear()
        self._section_of.clear()
        options = [o for index, section in enumerate(sections)
                   for o in self._options(index, section)]
        olist = self.query_one("#dashboard-list", OptionList)
        highlighted = olist.highlighted
        olist.set_options(options)
        if highlighted is not None and highlighted < olist.option_count:
            olist.highlighted = highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        item = self._items.get(event.option_id or "")
        if item is None:
            return
        area = item.ref.partition(":")[0]
        if area and area not in ("person", "session") and registry.area(area) is not None:
            self.post_message(OpenArea(area))  # the item's own area (incident, census …)
        elif item.person_id is not None:
            self.post_message(OpenPerson(item.person_id))

    def _review_person(self) -> int | None:
        """The person of the highlighted "tier review due" line, or None (and a hint)."""
        option = self.query_one("#dashboard-list", OptionList).highlighted_option
        ident = "" if option is None else (option.id or "")
        item = self._items.get(ident)
        if item is None or item.person_id is None or self._section_of.get(ident) != "tier_reviews":
            self._to_first_review()
            return None
        return item.person_id

    def _to_first_review(self) -> None:
        """v or t away from the tier reviews: highlight the first one due (scrolled into
        view, past however many lines come before it) and say what the key does there; or
        say that none is due."""
        first = next((i for i, s in self._section_of.items() if s == "tier_reviews"), None)
        if first is None:
            self.notify(_("No tier review is due."), markup=False)
            return
        olist = self.query_one("#dashboard-list", OptionList)
        olist.highlighted = olist.get_option_index(first)
        olist.scroll_to_highlight(top=True)  # the section at the top, its title line too
        olist.scroll_relative(y=-1, animate=False, immediate=True)
        olist.focus()
        self.notify(_("The first tier review due is highlighted: v reviews it (keeps the "
                      "tier), t changes it."), markup=False)

    def action_review_tier(self) -> None:
        """Review the tier of the highlighted tier-review line (keep it)."""
        person_id = self._review_person()
        if person_id is not None:
            open_review(self, person_id)

    def action_change_tier(self) -> None:
        """Change the tier of the highlighted tier-review line."""
        person_id = self._review_person()
        if person_id is not None:
            open_change(self, person_id)

    def text_lines(self) -> list[str]:
        """Every line shown (section titles and items), for tests and the e2e check."""
        lines = []
        for section in self.sections:
            lines.append(section.title)
            lines.extend(item.text for item in section.items)
        return lines
