"""Assessment entry 测评录入 (issue 4 §3, §6, §7; DESIGN §6 "Census & assessments").

Steps: pick the person (search as you type) → pick the instrument (and the date it was
administered, today by default) → type one key per item → on the last item the assessment
is saved and the total, band, subscales, flags (critical items, screen result, provisional
diagnosis, prorating) and the tier suggestion appear at once; SCL-90 shows its factor table
against the 1986 Chinese norms. A critical item (PHQ-9 item 9 ≥ 1, SCL-90 items 15/59/63 ≥
3) opens the alert at once, offering to flag an emergency and to recommend a firearm
suspension; a critical item left *unanswered* (a PHQ-9 prorated without item 9) is shown as
a warning — the risk it asks about is unknown. An incomplete result says so plainly
("incomplete: 1 item missing (item 20), no score" — the PCL-5 is never prorated) instead of
a bare "no tier suggestion". Confirming the suggestion writes a tier change with the
assessment as evidence.

| key | action |
|---|---|
| 0–9 | answer the current item (see the entry's own keys: ←/Backspace back, → next, - skip) |
| c | confirm the tier suggestion |
| o | decide another tier (written reason) |
| n | new entry for the same person |
| p | another person |
| x | void this entry (written reason) |
| Esc | back |
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any, ClassVar

from rich.console import Console
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from counselor_tui.domain import instruments as engine
from counselor_tui.domain import vocab
from counselor_tui.domain.dates import DateParseError, parse_date
from counselor_tui.i18n import N_, _, language
from counselor_tui.services import assessments, firearms, tier_policy, tier_review
from counselor_tui.services import instruments as instrument_defs
from counselor_tui.services.api import Backend
from counselor_tui.ui.assessment_view import (
    incomplete_hint,
    incomplete_text,
    result_renderable,
    tier_text,
    unanswered_critical_text,
)
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import DataChanged, OpenArea
from counselor_tui.ui.screens.critical_alert import CriticalAlertDialog
from counselor_tui.ui.screens.reason_dialog import ReasonDialog
from counselor_tui.ui.screens.tier_override import TierOverrideDialog
from counselor_tui.ui.text import instrument_short, plain
from counselor_tui.ui.widgets.assessment_person_picker import AssessmentPersonPicker
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.response_entry import ResponseEntry

FIREARM_REASON = "mh_assessment_pending"


# --------------------------------------------------------------------------- worker jobs


def _brief(backend: Backend, person_id: int) -> tuple[assessments.PersonBrief,
                                                     list[engine.InstrumentDefinition]]:
    """The person's head line and the instruments to pick from (built-in and the bureau's
    own, current versions), read afresh for each person."""
    return (assessments.person_brief(backend.vs, person_id),
            instrument_defs.available(backend.vs))


def _record(backend: Backend, draft: assessments.AssessmentDraft) -> assessments.AssessmentSaved:
    return assessments.record_assessment(backend.vs, draft)


def _confirm(backend: Backend, suggestion_id: int) -> tier_policy.Decision:
    return tier_policy.confirm(backend.vs, suggestion_id)


def _override(backend: Backend, suggestion_id: int, tier: str,
              reason: str) -> tier_policy.Decision:
    return tier_policy.override(backend.vs, suggestion_id, tier, reason)


def _set_tier(backend: Backend, person_id: int, tier: str, reason: str,
              assessment_id: int) -> tier_policy.Decision:
    current = tier_policy.current_tier(backend.vs, person_id)
    if current is not None and current.tier == tier:  # keeping the tier is a review
        return tier_review.review(backend.vs, person_id, reason)
    return tier_policy.set_tier(backend.vs, person_id, tier, reason,
                                {"assessment": assessment_id})


def _void(backend: Backend, assessment_id: int, reason: str) -> int:
    assessments.void_assessment(backend.vs, assessment_id, reason)
    return assessment_id


def _recommend(backend: Backend, person_id: int) -> int:
    return int(firearms.recommend(backend.vs, person_id, FIREARM_REASON))


# --------------------------------------------------------------------------- the screen


class AssessmentEntryScreen(BaseScreen):
    """Enter one assessment; optional presets: person, instrument, census, date."""

    CSS_PATH = "../styles/assessment_entry.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "confirm_suggestion", N_("Confirm tier"), id="confirm"),
        Binding("o", "override_suggestion", N_("Other tier"), id="override"),
        Binding("n", "new_entry", N_("New entry"), id="new"),
        Binding("p", "change_person", N_("Another person"), id="person"),
        Binding("x", "void", N_("Void entry"), id="void"),
    ]

    def __init__(self, person_id: int | None = None, instrument: str | None = None,
                 census_id: int | None = None, administered_on: date | None = None) -> None:
        super().__init__()
        self.person_id = person_id
        self.preset_instrument = instrument
        self.census_id = census_id
        self.administered_on = administered_on
        self.brief: assessments.PersonBrief | None = None
        self.defn: engine.InstrumentDefinition | None = None
        self.definitions: dict[str, engine.InstrumentDefinition] = {}
        self.phase = "person"
        self.saved: assessments.AssessmentSaved | None = None
        self.decision: tier_policy.Decision | None = None
        self.alert_shown = 0
        self.suggestion_text = Text()

    # -- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label(_("Assessment entry"), classes="screen-title")
        yield Static("", id="entry-person", markup=False)
        with Vertical(id="entry-pick-person"):
            yield Label(_("Person to assess"), classes="field-label")
            yield AssessmentPersonPicker(id="entry-picker")
        with Vertical(id="entry-pick-instrument"):
            yield Label(_("Instrument"), classes="field-label")
            yield OptionList(id="entry-instruments")
            yield Label(_("Date administered (today if empty)"), classes="field-label")
            yield Input(id="entry-date", placeholder=_("e.g. 2026-11-03, 昨天, 11-03"))
            yield Static("", id="entry-date-error", classes="field-error", markup=False)
        yield Vertical(id="entry-area")
        with VerticalScroll(id="entry-result-box"):
            yield Static("", id="entry-result")
            yield Static("", id="entry-suggestion")
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        if self.person_id is not None:
            self.call(_brief, self.backend, self.person_id, done=self._person_loaded,
                      group="entry-person")
        else:
            self._to_person()

    # -- phases --------------------------------------------------------------------------
    def _show(self, box: str, visible: bool) -> None:
        self.query_one(box).display = visible

    def _to_person(self) -> None:
        self.phase = "person"
        self.person_id = None
        self.brief = None
        self._reset_result()
        self._show("#entry-pick-person", True)
        self._show("#entry-pick-instrument", False)
        self.query_one("#entry-person", Static).update("")
        self.query_one(AssessmentPersonPicker).focus_input()

    def _person_loaded(self, loaded: tuple[assessments.PersonBrief,
                                           list[engine.InstrumentDefinition]]) -> None:
        if not self.is_attached:
            return
        brief, definitions = loaded
        self._set_definitions(definitions)
        self.brief = brief
        self.person_id = brief.id
        self._update_person_line()
        if self.preset_instrument:
            code = self.preset_instrument
            self.preset_instrument = None
            self._start_entry(code)
        else:
            self._to_instrument()

    def _set_definitions(self, definitions: list[engine.InstrumentDefinition]) -> None:
        """Fill the instrument list (keeping the highlighted one where it still is)."""
        self.definitions = {d.code: d for d in definitions}
        options = self.query_one("#entry-instruments", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        width = max((len(d.code) for d in definitions), default=6)
        options.add_options([
            Option(plain(f"{d.code:<{width}} {d.name_en if language() == 'en' else d.name_zh}"),
                   id=d.code)  # a bureau's own name is shown as typed, never as markup
            for d in definitions])
        if highlighted is not None and highlighted < len(definitions):
            options.highlighted = highlighted

    def _update_person_line(self) -> None:
        brief = self.brief
        if brief is None:
            return
        line = Text(brief.name, style="bold")
        line.append("  " + " · ".join(x for x in (brief.badge_no, brief.unit_name) if x))
        line.append("   " + _("Tier") + " ")
        line.append_text(tier_text(brief.tier))
        if brief.review_due:
            line.append("  " + _("review by {date}").format(date=brief.review_due), style="dim")
        self.query_one("#entry-person", Static).update(line)

    def _to_instrument(self) -> None:
        self.phase = "instrument"
        self._reset_result()
        self._show("#entry-pick-person", False)
        self._show("#entry-pick-instrument", True)
        instruments = self.query_one("#entry-instruments", OptionList)
        if instruments.highlighted is None:
            instruments.highlighted = 0
        instruments.focus()

    def _reset_result(self) -> None:
        self.saved = None
        self.decision = None
        self.defn = None
        for entry in self.query(ResponseEntry):
            entry.remove()
        self.query_one("#entry-result", Static).update("")
        self.suggestion_text = Text()
        self.query_one("#entry-suggestion", Static).update("")
        self.refresh_bindings()

    def _read_date(self) -> date | None:
        text = self.query_one("#entry-date", Input).value.strip()
        today = self.backend.vs.today()
        if not text:
            return self.administered_on or today
        try:
            day = parse_date(text, today)
        except DateParseError as exc:
            self.query_one("#entry-date-error", Static).update(str(exc))
            return None
        if day > today:
            self.query_one("#entry-date-error", Static).update(
                _("The administration date is in the future."))
            return None
        self.query_one("#entry-date-error", Static).update("")
        return day

    def _start_entry(self, code: str) -> None:
        day = self._read_date()
        if day is None:
            self.query_one("#entry-date", Input).focus()
            return
        self.administered_on = day
        self._reset_result()
        defn = self.definitions.get(code)
        if defn is None:
            self.notify(_("Unknown instrument '{code}'.").format(code=code), severity="error",
                        markup=False)
            return
        self.defn = defn
        self.phase = "entry"
        self._show("#entry-pick-person", False)
        self._show("#entry-pick-instrument", False)
        title = self.defn.name_en if language() == "en" else self.defn.name_zh
        intro = self.defn.instructions_en if language() == "en" else self.defn.instructions_zh
        header = Static(plain(f"{title} · {day.isoformat()}" + (f"\n{intro}" if intro else ""),
                              style="bold", multi_line=True), id="entry-instrument-title",
                        markup=False)
        entry = ResponseEntry(self.defn, id="entry-responses")
        area = self.query_one("#entry-area", Vertical)
        area.remove_children()
        area.mount(header, entry)
        self.call_after_refresh(entry.focus)

    # -- events --------------------------------------------------------------------------
    @on(AssessmentPersonPicker.Picked)
    def _picked(self, event: AssessmentPersonPicker.Picked) -> None:
        event.stop()
        self.call(_brief, self.backend, event.person_id, done=self._person_loaded,
                  group="entry-person")

    @on(OptionList.OptionSelected, "#entry-instruments")
    def _instrument_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id:
            self._start_entry(event.option_id)

    @on(Input.Submitted, "#entry-date")
    def _date_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        instruments = self.query_one("#entry-instruments", OptionList)
        if not instruments.option_count:
            return
        index = instruments.highlighted or 0
        option = instruments.get_option_at_index(index)
        if option.id:
            self._start_entry(option.id)

    @on(ResponseEntry.Completed)
    def _completed(self, event: ResponseEntry.Completed) -> None:
        event.stop()
        if self.defn is None or self.person_id is None or self.administered_on is None:
            return
        self.phase = "saving"
        draft = assessments.AssessmentDraft(self.person_id, self.defn.code, event.responses,
                                            self.administered_on, self.census_id)
        self.query_one("#entry-result", Static).update(Text(_("Saving…"), style="dim"))
        self.call(_record, self.backend, draft, done=self._saved, failed=self._save_failed,
                  group="entry-save")

    def _save_failed(self, error: BaseException) -> bool:
        """Reopen the last item so the entry can be corrected; the app shows the error."""
        self.phase = "entry"
        self.query_one("#entry-result", Static).update("")
        for entry in self.query(ResponseEntry):
            entry.done = False
            entry.index = entry.defn.item_count - 1
            entry.refresh(layout=True)
            entry.focus()
        return False

    def _saved(self, saved: assessments.AssessmentSaved) -> None:
        if not self.is_attached or self.defn is None:
            return
        self.saved = saved
        self.phase = "result"
        self.query_one("#entry-result", Static).update(
            result_renderable(self.defn, saved.result))
        self._show_suggestion()
        self.refresh_bindings()
        self.post_message(DataChanged("assessment"))
        self.query_one("#entry-result-box").focus()
        self.notify(_("{instrument} saved. n: the next instrument for this person, p: another "
                      "person.").format(instrument=instrument_short(self.defn.code)),
                    markup=False)  # a paper form's entry never saves silently
        if saved.result.critical_items_unanswered:
            self.notify(unanswered_critical_text(saved.result), severity="warning",
                        timeout=15, markup=False)
        if saved.alerts:
            self._alert(saved)

    def _alert(self, saved: assessments.AssessmentSaved) -> None:
        assert self.defn is not None
        self.alert_shown += 1
        note = ""
        if not saved.firearm_prompt:
            note = _("No firearm recommendation offered: not an officer, a restriction is "
                     "already active, or your role may not recommend one.")
        name = self.defn.name_en if language() == "en" else self.defn.name_zh
        self.app.push_screen(
            CriticalAlertDialog(name, saved.alerts, firearm=saved.firearm_prompt,
                                firearm_note=note),
            self._alert_choice)

    def _alert_choice(self, choice: str | None) -> None:
        if choice == "emergency":
            self._flag_emergency()
        elif choice == "firearm" and self.person_id is not None:
            self.call(_recommend, self.backend, self.person_id, done=self._recommended,
                      group="entry-firearm")

    def _flag_emergency(self) -> None:
        """The emergency form (F9), this person prefilled as involved."""
        options: dict[str, Any] = {}
        if self.person_id is not None:
            options["person_id"] = self.person_id
        self.post_message(OpenArea("emergency", **options))

    def _recommended(self, restriction_id: int) -> None:
        self.notify(_("Firearm suspension recommended (no. {id}); the personnel department "
                      "decides.").format(id=restriction_id), markup=False)
        self.post_message(DataChanged("firearm"))

    def _show_suggestion(self) -> None:
        saved = self.saved
        if saved is None:
            return
        out = Text()
        if self.decision is not None:
            change = self.decision.change
            out.append(_("Tier decided: ") , style="bold")
            out.append_text(tier_text(change.to_tier))
            out.append("  " + _("review by {date}").format(
                date=self.decision.state.review_due or "–"))
        elif saved.suggestion is not None:
            s = saved.suggestion
            out.append(_("Tier suggestion: "), style="bold")
            out.append_text(tier_text(s.tier))
            out.append(f"  {s.rule_label}")
            out.append("\n" + _("Current tier: "))
            out.append_text(tier_text(saved.current_tier))
            out.append("\n")
            out.append(_("c confirm · o other tier (with a reason)"), style="dim")
        elif not saved.result.complete and self.defn is not None:
            out.append(incomplete_text(saved.result), style="bold yellow")
            out.append("\n" + incomplete_hint(self.defn), style="dim")
        else:
            out.append(_("No tier suggestion: "), style="bold")
            alone = saved.match.tier if saved.match is not None else None
            if alone is None:
                out.append(_("the result is incomplete."))
            else:
                out.append(_("this result gives {tier}; the current tier is {current} and a "
                             "suggestion never lowers it.").format(
                                 tier=vocab.label(vocab.TIERS, alone),
                                 current=vocab.label(vocab.TIERS, saved.current_tier)))
        self.suggestion_text = out
        self.query_one("#entry-suggestion", Static).update(out)

    # -- actions -------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        pending = (self.saved is not None and self.saved.suggestion is not None
                   and self.decision is None)
        if action == "confirm_suggestion":
            return pending
        if action == "override_suggestion":
            return self.saved is not None and self.decision is None
        if action in ("void",):
            return self.saved is not None
        if action == "new_entry":
            return self.phase == "result"
        if action == "change_person":
            return self.phase in ("instrument", "result")
        return True

    def action_confirm_suggestion(self) -> None:
        """Accept the suggestion: the tier change cites this assessment."""
        if self.saved is None or self.saved.suggestion is None:
            return
        self.call(_confirm, self.backend, self.saved.suggestion.id, done=self._decided,
                  group="entry-decide")

    def action_override_suggestion(self) -> None:
        """Decide another tier with a written reason."""
        if self.saved is None:
            return
        initial = self.saved.suggestion.tier if self.saved.suggestion else self.saved.current_tier
        self.app.push_screen(TierOverrideDialog(_("Decide the tier"), initial,
                                                self.saved.current_tier),
                             self._override_chosen)

    def _override_chosen(self, answer: tuple[str, str] | None) -> None:
        if answer is None or self.saved is None:
            return
        tier, reason = answer
        if self.saved.suggestion is not None:
            self.call(_override, self.backend, self.saved.suggestion.id, tier, reason,
                      done=self._decided, group="entry-decide")
        else:
            self.call(_set_tier, self.backend, self.saved.person_id, tier, reason,
                      self.saved.id, done=self._decided, group="entry-decide")

    def _decided(self, decision: tier_policy.Decision) -> None:
        if not self.is_attached:
            return
        self.decision = decision
        if self.brief is not None:
            self.brief = assessments.PersonBrief(
                self.brief.id, self.brief.name, self.brief.badge_no, self.brief.unit_name,
                self.brief.kind, decision.state.tier, decision.state.review_due)
            self._update_person_line()
        self._show_suggestion()
        self.refresh_bindings()
        self.post_message(DataChanged("tier"))
        self.notify(_("Tier set to {tier}.").format(
            tier=vocab.label(vocab.TIERS, decision.state.tier)), markup=False)

    def action_new_entry(self) -> None:
        """Another instrument for the same person: the one after the instrument just
        entered is highlighted (a paper form holds several, in the list's order)."""
        instruments = self.query_one("#entry-instruments", OptionList)
        if self.saved is not None and instruments.highlighted is not None:
            instruments.highlighted = (instruments.highlighted + 1) % instruments.option_count
        self._to_instrument()

    def action_change_person(self) -> None:
        """Pick another person."""
        self._to_person()

    def action_void(self) -> None:
        """Void this entry (written reason), then start again."""
        if self.saved is None:
            return
        self.app.push_screen(ReasonDialog(_("Void this entry"),
                                          _("Why is this assessment void?")), self._void_reason)

    def _void_reason(self, reason: str | None) -> None:
        if reason and self.saved is not None:
            self.call(_void, self.backend, self.saved.id, reason, done=self._voided,
                      group="entry-void")

    def _voided(self, _assessment_id: int) -> None:
        self.notify(_("The entry was voided."), markup=False)
        self.post_message(DataChanged("assessment"))
        self._to_instrument()

    def has_unsaved_changes(self) -> bool:
        """True while answers are typed but not yet saved."""
        if self.phase != "entry":
            return False
        return any(v is not None for e in self.query(ResponseEntry) for v in e.responses)

    def result_text(self) -> str:
        """The result and suggestion as plain text (tests, e2e)."""
        if self.saved is None or self.defn is None:
            return ""
        console = Console(width=100, file=io.StringIO(), record=True, color_system=None)
        console.print(result_renderable(self.defn, self.saved.result))
        console.print(self.suggestion_text)
        return console.export_text()
