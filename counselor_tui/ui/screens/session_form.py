"""Log a session 记录咨询 (F2 from anywhere; DESIGN §6, issue 3 item 5).

Left: who (person picker, or an anonymous caller), topics, the note (a TextArea: a pasted
multi-line text keeps every line). Right: date and time (default now; ``今天 14:30``,
``昨天``, ``2026年11月3日`` …), channel, kind, duration, risk, intervention, referral,
follow-up (``+7d``, ``3天后``, ``下周一``, ``1个月后``), sealed. Defaults make the shortest
entry F2, the person's initials, Enter, Space (first topic), Tab, the note, ctrl+s.

Choosing the anonymous caller shows an optional caller label (``热线来电A``: how the
counselor recognises a repeat caller; never a real name), stored as
``SessionDraft.caller_label``.

Each field is checked when it loses focus and every field on save, with
:func:`counselor_tui.services.sessions.validate`; messages appear under the field. Choosing
risk high or imminent asks at once whether to flag an emergency (the F9 screen). Saving
notifies (with the tier the policy now suggests, to confirm on the record), refreshes the
dashboard and goes back. After a save with risk ``imminent`` or a suggested red tier — once
the emergency question is answered (asked then if it was not asked before) — an officer
without an active restriction is offered a firearm-suspension recommendation
(:func:`counselor_tui.services.firearms.should_prompt_recommendation`, then the
:class:`~counselor_tui.ui.screens.firearm_recommend.FirearmRecommendModal`; DESIGN §7.3). The
prompt never changes a status: only a recorded recommendation does, and the decision stays
with the personnel department. Opened with ``session=`` it corrects a session during its
edit window (:func:`~counselor_tui.services.sessions.update_session`).

| key | action |
|---|---|
| ctrl+s | save |
| Esc | cancel (asks when something was typed) |
| Tab / Shift+Tab | next / previous field |
| Enter (person) | pick the highlighted match, go to the topics |
| Space (topics) | choose / drop the highlighted topic |
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
    TextArea,
)

from counselor_tui.domain import dates, vocab
from counselor_tui.domain.roles import WRITES_RECORDS
from counselor_tui.i18n import N_, _
from counselor_tui.services import firearms, sessions, team
from counselor_tui.services.edit_conflicts import EditedMeanwhile
from counselor_tui.services.persons import PersonRow
from counselor_tui.services.sessions import (
    ANONYMOUS_CHANNELS,
    PROMPT_RISKS,
    SessionDraft,
    SessionSaved,
    SessionSummary,
)
from counselor_tui.ui.messages import DataChanged, OpenArea
from counselor_tui.ui.screens import session_form_draft
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.firearm_recommend import FirearmRecommendModal
from counselor_tui.ui.screens.form import CORRECT_FIELDS, FormScreen
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.form_field import FormField
from counselor_tui.ui.widgets.form_scroll import FormScroll
from counselor_tui.ui.widgets.person_picker import PersonPicker
from counselor_tui.ui.widgets.topic_select import TopicSelect

DEFAULT_DURATION = 50
#: Past anonymous contacts shown under the caller's category.
HISTORY_ROWS = 5


def firearm_trigger(risk: str, suggested_tier: str | None) -> str | None:
    """What prompts a firearm-suspension recommendation after a save (DESIGN §7.3): an
    ``imminent`` risk or a suggested red tier, as the words shown in the prompt; else None."""
    if risk == "imminent":
        return _("imminent risk")
    if suggested_tier == "red":
        return _("red tier suggested")
    return None


def choices(vocabulary: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(label, code)`` pairs of a vocabulary for a Select."""
    return [(vocab.label(vocabulary, code), code) for code in vocabulary]


class SessionFormScreen(FormScreen):
    """A new session (for ``person`` when given) or a correction of ``session``."""

    CSS_PATH = "../styles/session_form.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    AUTO_FOCUS = None
    ERROR_LINE = "#session-error"
    DISCARD_QUESTION = N_("Discard this session? What you typed is lost.")
    #: Asked when a correction is left with changes: the session itself stays (fix15: the
    #: question of a new session read as deleting the record).
    DISCARD_CHANGES = N_("Discard your changes to this session? The session stays as it was.")

    def discard_question(self) -> str | None:
        """A correction asks about the changes, a new session about the session."""
        return self.DISCARD_CHANGES if self.editing is not None else self.DISCARD_QUESTION

    def __init__(self, person: PersonRow | None = None,
                 session: SessionSummary | None = None, *,
                 restore: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.person = person
        self.editing = session
        #: A resume point kept at a lock (:meth:`resume_point`): filled in once mounted.
        self._restore: Mapping[str, Any] | None = None
        if restore is not None:
            self.restore_from(restore)
        #: The stored version this edit started from (optimistic check, issue 14); after
        #: a conflict it is the version the user was told about, so ctrl+s saves over it.
        self._version: int | None = session.version if session is not None else None
        self.touched: set[str] = set()
        self._passed_through: str | None = None
        self.saved: SessionSaved | None = None
        self._risk_asked = False
        self._draft: SessionDraft | None = None
        self._wants_emergency = False
        #: Co-counselors to choose once the team list is loaded (the session's, a draft's).
        self.co_wanted: list[int] = list(session.co_counselor_ids) if session else []
        self._colleagues_loaded = False

    # -- layout ------------------------------------------------------------------------------
    @property
    def person_id_for_emergency(self) -> int | None:
        """The person chosen in the form: F9 prefills them in the emergency form."""
        try:
            return self.query_one("#person", PersonPicker).person_id
        except NoMatches:  # not composed yet: nobody
            return None

    def compose(self) -> ComposeResult:
        s = self.editing
        now = self.backend.clock.now()
        started = dates.format_datetime(dates.from_storage(s.started_at)) if s else (
            dates.format_datetime(now))
        title = _("Correct a session") if s else _("Log a session")
        yield Banner()
        yield Label(title, classes="screen-title")
        with Horizontal(id="session-columns"):
            with FormScroll(id="session-left"):
                yield FormField(_("Person"), PersonPicker(id="person"), name="person_id")
                yield FormField(_("Caller label (optional)"), Input(
                    s.caller_label or "" if s else "", id="caller-label", compact=True,
                    placeholder=_("e.g. 热线来电A — never a real name")), name="caller_label")
                yield FormField(_("Caller is"), Select(
                    choices(vocab.CALLER_KINDS),
                    value=(s.caller_kind or "unknown") if s else "unknown",
                    allow_blank=False, id="caller-kind", compact=True), name="caller_kind")
                yield Static("", id="anonymous-history", markup=False)
                yield FormField(_("Topics"), TopicSelect(s.topics if s else (), id="topics"),
                                name="topics")
                note = TextArea(s.note if s else "", id="note", soft_wrap=True,
                                tab_behavior="focus")
                yield FormField(_("Note"), note, name="note")
            with FormScroll(id="session-right"):
                yield FormField(_("Date and time"),
                                DateInput(started, mode="datetime", id="started", compact=True),
                                name="started_at")
                yield FormField(_("Channel"), Select(
                    choices(vocab.CHANNELS), value=s.channel if s else "face_to_face",
                    allow_blank=False, id="channel", compact=True), name="channel")
                yield FormField(_("Kind"), Select(
                    choices(vocab.SESSION_KINDS), value=s.kind if s else "routine",
                    allow_blank=False, id="kind", compact=True), name="kind")
                yield FormField(_("Duration (minutes)"), Input(
                    # text, not type="integer": that drops a typed "." or "e" on the quiet
                    # (1.5 became 15); a non-integer is refused with a message instead
                    str(s.duration_min if s else DEFAULT_DURATION), id="duration",
                    compact=True), name="duration_min")
                yield FormField(_("Risk"), Select(
                    choices(vocab.RISKS), value=s.risk if s else "none", allow_blank=False,
                    id="risk", compact=True), name="risk")
                yield FormField(_("Intervention"), Input(
                    s.intervention if s else "", id="intervention", compact=True,
                    placeholder=_("e.g. relaxation training (optional)")),
                    name="intervention")  # a bare empty line was invisible (fix15)
                yield FormField(_("Referral"), Select(
                    choices(vocab.REFERRALS), value=s.referral if s else "none",
                    allow_blank=False, id="referral", compact=True), name="referral")
                yield FormField(_("Co-counselors"), SelectionList[int](
                    id="co-counselors", compact=True), name="co_counselor_ids")
                yield FormField(_("Follow-up"), DateInput(
                    s.follow_up_on or "" if s else "", optional=True, due=True, id="follow-up",
                    compact=True, placeholder=_("e.g. +7d, 3天后, 下周一")), name="follow_up_on")
                yield FormField(_("Sealed"), Checkbox(
                    _("only the author and coordinators read the note"),
                    value=s.sealed if s else False, id="sealed", compact=True), name="sealed")
        with Horizontal(id="session-actions"):
            yield Static("", id="session-error", markup=False)
            yield Button(_("Save (ctrl+s)"), variant="primary", id="save", compact=True)
        yield AppFooter()

    def on_mount(self) -> None:
        vs = self.backend.session
        if vs is not None and vs.actor.role not in WRITES_RECORDS:
            self.notify(_("Your role ({role}) does not log sessions.").format(
                role=vs.actor.role.label), severity="warning", markup=False)
            self.call_after_refresh(self.close_form)
            return
        picker = self.query_one("#person", PersonPicker)
        if self.editing is not None:
            s = self.editing
            row = PersonRow(s.person_id, "", None, s.person_name or "", None, None, None, None,
                            "", None, None, None) if s.person_id is not None else None
            picker.preset(row, anonymous=s.person_id is None)
            self.query_one("#topics", TopicSelect).focus()
        elif self.person is not None:
            picker.preset(self.person)
            self.query_one("#topics", TopicSelect).focus()
        else:
            picker.focus()
        self._show_caller_label()
        self._hide_colleagues()
        self.call(team.list_counselors, self.backend.vs, done=self._fill_colleagues,
                  failed=lambda _error: True, group="colleagues")
        if self._restore is not None:
            self.call_after_refresh(self._restore_fields, self._restore)

    # -- a lock keeps the form (issue 15 item 7) -----------------------------------------------
    @classmethod
    def resumed(cls, point: Mapping[str, Any]) -> SessionFormScreen:
        """The form again from its :meth:`resume_point`, filled once mounted."""
        return cls(session_form_draft.person_of(point), session_form_draft.session_of(point),
                   restore=point)

    def restore_from(self, point: Mapping[str, Any]) -> None:
        """Fill the fields from ``point`` once mounted (before mounting only); the tracking
        starts from the form as it was before the lock."""
        self._restore = point
        self.ready = False

    def resume_point(self) -> dict[str, Any] | None:
        """This form as it is (JSON-able, for the vault only): whom and which session it
        is for, every field as typed, whether that was unsaved."""
        if not self.is_attached or self.form_saved:
            return None
        return {
            "screen": session_form_draft.KIND,
            "person": dataclasses.asdict(self.person) if self.person else None,
            "session": dataclasses.asdict(self.editing) if self.editing else None,
            "version": self._version, "risk_asked": self._risk_asked,
            "unsaved": self.has_unsaved_changes(),
            "fields": session_form_draft.form_fields(self),
        }

    def _restore_fields(self, point: Mapping[str, Any]) -> None:
        fields = point.get("fields")
        version = point.get("version")
        if isinstance(version, int):
            self._version = version
        self._risk_asked = bool(point.get("risk_asked"))
        unsaved = bool(point.get("unsaved"))
        if unsaved:
            self.mark_clean()  # the form as opened: what was typed counts as unsaved again
        if isinstance(fields, Mapping):
            if fields.get("risk") in PROMPT_RISKS:
                self._risk_asked = True  # asked before the lock, or the form was opened so
            session_form_draft.fill_form(self, fields)
            self._show_caller_label()
        self.ready = True
        if not unsaved:
            self.call_after_refresh(self.mark_clean)

    def _fill_colleagues(self, rows: list[team.CounselorRow]) -> None:
        """The co-counselors to choose from: the other active team accounts; those of the
        session (or of a kept draft) chosen."""
        if not self.is_attached:
            return
        clean = not self.has_unsaved_changes()
        own = self.backend.vs.actor.id if self.backend.unlocked else None
        wanted = set(self.co_wanted)
        box = self.query_one("#co-counselors", SelectionList)
        options = [(r.display_name, r.user_id, r.user_id in wanted)
                   for r in rows if r.active and r.user_id != own]
        box.add_options(options)
        # shown only when there is someone to choose (a one-counselor office has no one)
        self.query_one("#field-co_counselor_ids", FormField).display = bool(options)
        self._colleagues_loaded = True
        if clean and self.tracking:
            self.call_after_refresh(self.mark_clean)

    @property
    def co_counselor_ids(self) -> tuple[int, ...]:
        """The chosen co-counselors (those of the session until the list is loaded)."""
        if not self._colleagues_loaded:
            return tuple(sorted(self.co_wanted))
        return tuple(sorted(self.query_one("#co-counselors", SelectionList).selected))

    def _hide_colleagues(self) -> None:
        self.query_one("#field-co_counselor_ids", FormField).display = False

    def _show_caller_label(self) -> None:
        """The caller label, category and past anonymous contacts are shown only while the
        anonymous caller is picked."""
        anonymous = self.query_one("#person", PersonPicker).anonymous
        self.query_one("#field-caller_label", FormField).display = anonymous
        self.query_one("#field-caller_kind", FormField).display = anonymous
        self.query_one("#anonymous-history", Static).display = anonymous
        if anonymous:
            self._load_history()

    def _load_history(self) -> None:
        """The latest anonymous contacts (of this caller label as typed), in a worker."""
        label = self.query_one("#caller-label", Input).value
        self.call(sessions.anonymous_contacts, self.backend.vs, label, HISTORY_ROWS,
                  done=self._show_history, failed=lambda _error: True,
                  group="anonymous-history")

    def _show_history(self, rows: list[SessionSummary]) -> None:
        if not self.is_attached:
            return
        lines = [_("Past anonymous contacts:") + ("" if rows else " —")]
        lines.extend(" · ".join(p for p in (
            s.started_at[:16].replace("T", " "), vocab.label(vocab.CHANNELS, s.channel),
            s.caller_label or "", vocab.label(vocab.CALLER_KINDS, s.caller_kind),
            vocab.label(vocab.TOPICS, s.topics[0]) if s.topics else "", s.counselor) if p)
            for s in rows if self.editing is None or s.id != self.editing.id)
        self.query_one("#anonymous-history", Static).update("\n".join(lines))

    # -- reading the form --------------------------------------------------------------------
    def snapshot(self) -> tuple[Any, ...]:
        """The raw content of every field (to tell whether anything was typed)."""
        picker = self.query_one("#person", PersonPicker)
        return (
            picker.person_id, picker.anonymous, self.query_one("#topics", TopicSelect).topics,
            self.query_one("#note", TextArea).text, self.query_one("#started", DateInput).text,
            self._select("#channel"), self._select("#kind"),
            self.query_one("#duration", Input).value, self._select("#risk"),
            self.query_one("#intervention", Input).value, self._select("#referral"),
            self.query_one("#follow-up", DateInput).text,
            self.query_one("#sealed", Checkbox).value,
            self.query_one("#caller-label", Input).value, self._select("#caller-kind"),
            self.co_counselor_ids,
        )

    def _select(self, ident: str) -> str:
        value = self.query_one(ident, Select).value
        return "" if value is Select.NULL else str(value)

    def build(self) -> tuple[SessionDraft | None, dict[str, str]]:
        """The draft the form describes, and the messages of fields that do not read
        (dates, duration, no person chosen)."""
        errors: dict[str, str] = {}
        picker = self.query_one("#person", PersonPicker)
        if not picker.chosen:
            errors["person_id"] = _("Pick the person (type a name, initials or badge "
                                    "number), or the anonymous caller.")
        started, error = self.query_one("#started", DateInput).parse()
        if error:
            errors["started_at"] = error
        follow, error = self.query_one("#follow-up", DateInput).parse()
        if error:
            errors["follow_up_on"] = error
        try:
            duration = int(self.query_one("#duration", Input).value.strip())
        except ValueError:
            errors["duration_min"] = _("Type the duration in whole minutes.")
            duration = 0
        start = started if isinstance(started, datetime) else self.backend.clock.now()
        follow_day = follow.date() if isinstance(follow, datetime) else follow
        draft = SessionDraft(
            person_id=picker.person_id, started_at=start, channel=self._select("#channel"),
            kind=self._select("#kind"), topics=self.query_one("#topics", TopicSelect).topics,
            duration_min=duration, note=self.query_one("#note", TextArea).text,
            risk=self._select("#risk") or "none",
            intervention=self.query_one("#intervention", Input).value.strip(),
            referral=self._select("#referral") or "none",
            follow_up_on=follow_day if isinstance(follow_day, date) else None,
            sealed=self.query_one("#sealed", Checkbox).value,
            incident_id=self.editing.incident_id if self.editing else None,
            caller_label=(self.query_one("#caller-label", Input).value.strip() or None
                          if picker.anonymous else None),
            caller_kind=self._select("#caller-kind") or None if picker.anonymous else None,
            co_counselor_ids=self.co_counselor_ids,
        )
        return draft, errors

    def check(self, only: set[str] | None = None) -> dict[str, str]:
        """Validate and show messages in the fields (all, or those in ``only``)."""
        draft, errors = self.build()
        if draft is not None:
            now = self.backend.clock.now()
            for name, message in sessions.validate(draft, now.date(), now=now).items():
                errors.setdefault(name, message)
        for field in self.query(FormField):
            name = field.name or ""
            if only is None or name in only:
                field.set_error(errors.get(name))
        return errors

    def on_date_input_changed(self, event: DateInput.Changed) -> None:
        """A date field with a message shown is checked again as it is typed, so a stale
        message ("没有13月") goes as soon as the text reads."""
        field = next((a for a in event.date_input.ancestors_with_self
                      if isinstance(a, FormField)), None)
        if field is not None and field.name and field.error:
            self.check({field.name})

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        field = next((a for a in event.widget.ancestors_with_self if isinstance(a, FormField)),
                     None)
        if field is None or field.name is None or not self.is_attached:
            return
        if field.name == self._passed_through:
            self._passed_through = None
            return
        self.touched.add(field.name)
        self.check(self.touched)

    # -- events ------------------------------------------------------------------------------
    def on_person_picker_picked(self, event: PersonPicker.Picked) -> None:
        event.stop()
        channel = self.query_one("#channel", Select)
        if event.row is None and channel.value not in ANONYMOUS_CHANNELS:
            channel.value = "hotline"  # an anonymous caller rings, writes or chats: no error
        self.touched.add("person_id")
        self.check({"person_id", "channel"})  # not every other field at once (issue 16)
        self._show_caller_label()
        # the picker moved the focus on before the caller label was shown: the field it
        # passed through was not "visited", so its blur shows no error (issue 16)
        passed = self.app.focused
        self._passed_through = next((a.name for a in passed.ancestors_with_self
                                     if isinstance(a, FormField)), None) if passed else None
        if event.row is None:  # anonymous: the caller label first
            self.set_focus(self.query_one("#caller-label", Input))
        else:
            self.set_focus(self.query_one("#topics", TopicSelect))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "caller-label" and self.is_mounted:
            self._load_history()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "caller-label":
            event.stop()
            self.set_focus(self.query_one("#topics", TopicSelect))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "risk" and event.value in PROMPT_RISKS and not self._risk_asked:
            self._risk_asked = True
            self._ask_emergency()

    def _ask_emergency(self) -> None:
        def answer(yes: bool | None) -> None:
            if yes:
                self.post_message(OpenArea("emergency"))

        self.app.push_screen(ConfirmDialog(
            _("The risk is high. Flag an emergency now? (This form stays open.)"),
            title=_("Emergency"), yes=_("Flag an emergency (F9)"), no=_("Not now")), answer)

    # -- saving ------------------------------------------------------------------------------
    def submit(self) -> None:
        """ctrl+s: check every field, then save (in a worker)."""
        errors = self.check()
        if errors:
            self.say(_(CORRECT_FIELDS))
            self.focus_first_error(errors)
            return
        draft, _errors = self.build()
        assert draft is not None
        self._draft = draft
        if self.editing is not None:
            self.save_with(sessions.update_session, self.backend.vs, self.editing.id, draft,
                           self._version, done=lambda _r: self._saved(None),
                           saying=_("Saving…"), group="session")
        else:
            self.save_with(sessions.log_session, self.backend.vs, draft, done=self._saved,
                           saying=_("Saving…"), group="session")

    def _saved(self, result: SessionSaved | None) -> None:
        self.saved = result or SessionSaved(self.editing.id if self.editing else 0, 0, False)
        text = _("Session saved.") if self.editing is None else _("Session corrected.")
        if result is not None and result.closed_follow_ups:
            text += " " + _("{n} follow-up(s) closed.").format(n=result.closed_follow_ups)
        suggested = result.suggested_tier if result is not None else None
        if suggested:
            text += " " + _("Suggested tier: {tier} (confirm it on the record).").format(
                tier=vocab.label(vocab.TIERS, suggested))
        self.app.notify(text, markup=False, timeout=10 if suggested else 5)
        self.query_one("#session-error", Static).update(text)  # under a prompt, if any
        self.app.post_message(DataChanged("session"))
        self._after_save(suggested)

    # -- after saving: the emergency question, then the firearm prompt ---------------------------
    def _after_save(self, suggested_tier: str | None) -> None:
        """Ask the emergency question if it was not asked yet (risk high/imminent), then
        offer the firearm recommendation when it applies, then close the form."""
        draft = self._draft
        if draft is None:
            self.close_form()
            return
        if draft.risk in PROMPT_RISKS and not self._risk_asked:
            self._risk_asked = True

            def answer(yes: bool | None) -> None:
                self._wants_emergency = bool(yes)
                self._offer_firearm(draft, suggested_tier)

            self.app.push_screen(ConfirmDialog(
                _("The risk is high. Flag an emergency now?"), title=_("Emergency"),
                yes=_("Flag an emergency (F9)"), no=_("Not now")), answer)
            return
        self._offer_firearm(draft, suggested_tier)

    def _offer_firearm(self, draft: SessionDraft, suggested_tier: str | None) -> None:
        was = self.editing.risk if self.editing is not None else None
        trigger = firearm_trigger(draft.risk if draft.risk != was else "", suggested_tier)
        if draft.person_id is None or trigger is None:
            self._finish()
            return
        person_id = draft.person_id
        self.call(firearms.should_prompt_recommendation, self.backend.vs, person_id,
                  tier=suggested_tier, risk=draft.risk,
                  done=lambda ask: self._firearm_prompt(ask, person_id, trigger),
                  failed=self._prompt_failed, group="firearm-prompt")

    def _firearm_prompt(self, ask: bool, person_id: int, trigger: str) -> None:
        if not ask:
            self._finish()
            return
        picker = self.query_one("#person", PersonPicker)
        name = picker.picked.name if picker.picked is not None else (
            self.editing.person_name or "" if self.editing else "")
        self.app.push_screen(FirearmRecommendModal(person_id, name, trigger=trigger),
                             lambda _restriction: self._finish())

    def _prompt_failed(self, error: BaseException) -> bool:
        self._finish()
        return False  # the session is saved; the error dialog says why no prompt came

    def _finish(self) -> None:
        """Close the form; open the emergency screen when it was asked for after the save."""
        wants_emergency, self._wants_emergency = self._wants_emergency, False
        self.close_form()
        if wants_emergency:
            self.app.post_message(OpenArea("emergency"))

    def form_failed(self, error: BaseException) -> bool:
        """As every form; a session changed meanwhile by someone else (issue 14) is told
        here and in a notice, and the version shown becomes the one a second ctrl+s saves
        over."""
        if isinstance(error, EditedMeanwhile):
            self.saving = False
            self._version = error.current_version  # the user now knows; ctrl+s saves over
            self.say(str(error))
            self.app.notify(str(error), severity="warning", markup=False, timeout=15)
            return True
        return super().form_failed(error)
