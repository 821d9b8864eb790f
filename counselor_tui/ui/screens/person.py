"""Person record (DESIGN §6 archive detail): profile, tier and history, family links,
sessions timeline, assessments, incidents, firearm status.

Opening the record calls :func:`counselor_tui.services.persons.get_person`, which writes
the ``view`` audit event. Sections without data say "none". F2 here logs a session for
this person; Enter on a session opens it for correction during its edit window, or asks
for an addendum once it is locked.

| key | action |
|---|---|
| ↑ / ↓ / Tab | move in the lists (family, sessions) |
| Enter | open the family member / the session (to correct it, or an addendum once locked) |
| o | the highlighted session in full: whole note, intervention, addenda with author and time |
| a | add a family member (officers) |
| n | add an addendum to the highlighted session |
| v | review the tier (keep it, next review by policy) |
| t | change the tier (reason and evidence) |
| c | informed consent 知情同意: the consents on record, record one |
| x | export the archive for a referral or transfer (encrypted package; consent shown) |
| p | schedule an appointment with this person (not offered once the person left service) |
| e | edit the details (what changed is kept) |
| m | transfer to another unit (dated) |
| l | left service (dated, with the reason) |
| r | reload |
| F2 | log a session for this person |
| Esc | back |
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from counselor_tui.domain import dates, vocab
from counselor_tui.i18n import N_, _
from counselor_tui.services import person_moves, persons, referral, session_reads
from counselor_tui.services.api import Backend
from counselor_tui.services.persons import PersonRecord, PersonRow
from counselor_tui.services.sessions import SessionSummary
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import OpenArea, OpenPerson
from counselor_tui.ui.screens import session_view
from counselor_tui.ui.screens.addendum import AddendumDialog
from counselor_tui.ui.screens.appointment_dialog import ScheduleDialog
from counselor_tui.ui.screens.family_member import FamilyMemberDialog
from counselor_tui.ui.screens.person_edit import PersonEditDialog
from counselor_tui.ui.screens.person_move import PersonMoveDialog
from counselor_tui.ui.screens.referral_dialogs import ConsentDialog, ReferralExportDialog
from counselor_tui.ui.screens.tier_decision import open_change, open_review
from counselor_tui.ui.text import band_name, instrument_short, join_list, plain
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter

NOTE_LINES = 3

#: The labels of a person's fields, for the history of edits.
FIELD_LABELS = {"kind": N_("Kind"), "name": N_("Name"), "badge_no": N_("Badge"),
                "gender": N_("Gender"), "birth_date": N_("Birth date"),
                "police_type": N_("Police type"), "post": N_("Post"),
                "hire_date": N_("Hire date"), "phone": N_("Phone")}

Loaded = tuple[PersonRecord, list[person_moves.MoveRow], list[person_moves.VersionRow],
               list[referral.ConsentRow]]


def load_record(backend: Backend, person_id: int) -> Loaded:
    """The record (audited view), its moves, the history of its edits and its consents,
    latest first (a worker)."""
    vs = backend.vs
    record = persons.get_person(vs, person_id)
    if vs.actor.role.value not in ("counselor", "coordinator"):
        return record, [], [], []
    return (record, person_moves.moves(vs, person_id), person_moves.versions(vs, person_id),
            referral.consents(vs, person_id))


def none_text() -> Text:
    """The dimmed "none" of an empty section."""
    return Text(_("none"), style="dim")


def pairs_table(pairs: list[tuple[str, str]]) -> Table:
    """A two-column grid of label/value pairs (rich measures CJK widths)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column()
    table.add_column(style="dim")
    table.add_column()
    for i in range(0, len(pairs), 2):
        left = pairs[i]
        right = pairs[i + 1] if i + 1 < len(pairs) else ("", "")
        table.add_row(left[0], plain(left[1] or "—"), right[0],
                      plain(right[1] or ("—" if right[0] else "")))
    return table


def session_text(s: SessionSummary) -> Text:
    """A session in the timeline: header line, then the first lines of the note."""
    started = s.started_at[:16].replace("T", " ")
    parts = [
        started, vocab.label(vocab.CHANNELS, s.channel), vocab.label(vocab.SESSION_KINDS, s.kind),
        join_list(vocab.label(vocab.TOPICS, t) for t in s.topics),
        _("{n} min").format(n=s.duration_min),
        _("risk: {risk}").format(risk=vocab.label(vocab.RISKS, s.risk)),
        join_list((s.counselor, *s.co_counselors)),
    ]
    text = Text(" · ".join(p for p in parts if p), style="bold")
    if s.risk in ("high", "imminent"):
        text.stylize("red")
    flags = []
    if s.sealed:
        flags.append(_("sealed"))
    if s.locked:
        flags.append(_("locked"))
    if s.follow_up_on:
        flags.append(_("follow-up {date}").format(date=s.follow_up_on)
                     + (" ✔" if s.follow_up_closed_at else ""))
    if flags:
        text.append("  [" + join_list(flags) + "]", style="dim")
    if s.note_hidden:
        text.append("\n  " + _("(the note is not visible to your account)"), style="dim italic")
    else:
        lines = s.note.splitlines()
        for line in lines[:NOTE_LINES]:
            text.append("\n  " + line)
        if len(lines) > NOTE_LINES:
            text.append("\n  …", style="dim")
        if s.intervention:
            text.append("\n  " + _("Intervention: {text}").format(
                text=s.intervention.splitlines()[0]), style="dim")
        for i, addendum in enumerate(s.addenda):
            by, at = s.addenda_by[i] if i < len(s.addenda_by) else ("", "")
            head = " · ".join(p for p in (at[:16].replace("T", " "), by) if p)
            first = addendum.splitlines()[0] if addendum else ""
            text.append("\n  + " + (_("{who}: {text}").format(who=head, text=first)
                                     if head else first), style="italic")
    return text


class PersonScreen(BaseScreen):
    """The record of person ``person_id``."""

    CSS_PATH = "../styles/person.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # the footer shows the most used keys first (issue 15: at 120 columns it must reach
        # m and l); the rest answer too and F1 lists them all
        Binding("o", "view_session", N_("The whole session"), id="view_session"),
        Binding("n", "addendum", N_("Addendum to the session"), id="addendum"),
        Binding("v", "review_tier", N_("Review the tier"), id="review_tier"),
        Binding("t", "change_tier", N_("Change the tier"), id="change_tier"),
        Binding("p", "schedule", N_("Appointment"), id="schedule_for_person"),
        Binding("m", "transfer", N_("Transfer"), id="transfer"),
        Binding("l", "leave", N_("Left service"), id="leave"),
        Binding("e", "edit_person", N_("Edit details"), id="edit_person"),
        Binding("c", "consent", N_("Consent"), id="consent"),
        Binding("x", "export_referral", N_("Referral export"), id="export_referral_record"),
        Binding("a", "add_family", N_("Add a family member"), id="add_family", show=False),
        Binding("r", "reload", N_("Reload"), id="reload", show=False),
    ]

    def __init__(self, person_id: int) -> None:
        super().__init__()
        self.person_id = person_id
        self.record: PersonRecord | None = None
        self.loads = 0
        self.stale = False

    @property
    def person_for_forms(self) -> PersonRow | None:
        """The person a session logged from here is for (F2)."""
        return self.record.person if self.record is not None else None

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label("", id="person-title", classes="screen-title")
        with VerticalScroll(id="person-body"):
            yield Static("", id="profile")
            yield Static("", id="moves")
            yield Label(_("Tier"), classes="section-title")
            yield Static("", id="tier")
            yield Label(_("Family"), classes="section-title")
            yield OptionList(id="family")
            yield Label(_("Sessions"), classes="section-title")
            yield OptionList(id="sessions")
            yield Label(_("Assessments"), classes="section-title")
            yield Static("", id="assessments")
            yield Label(_("Incidents"), classes="section-title")
            yield Static("", id="incidents")
            yield Label(_("Firearm"), classes="section-title")
            yield Static("", id="firearm")
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.reload()

    def data_changed(self, what: str) -> None:
        """Something was saved: load again now if shown, else when shown again (each load
        is a ``view`` event, so closing a dialog alone does not reload)."""
        if self.is_current:
            self.reload()
        else:
            self.stale = True

    def on_screen_suspend(self) -> None:
        # another full screen (session form, incidents …) may change what the record
        # shows; a dialog on top (help, addendum) reports its saves by data_changed
        if not isinstance(self.app.screen, ModalScreen):
            self.stale = True

    def on_screen_resume(self) -> None:
        if self.stale:
            self.reload()

    def action_reload(self) -> None:
        """Load the record again."""
        self.reload()

    def reload(self) -> None:
        """Load the record (audited as a view) in a worker."""
        self.stale = False
        self.call(load_record, self.backend, self.person_id, done=self._loaded,
                  group="person")

    def _loaded(self, loaded: Loaded) -> None:
        record, moves, versions, consents = loaded
        self._show(record)
        if self.is_attached:
            self._show_moves(moves, versions, consents)

    def _show_moves(self, moves: list[person_moves.MoveRow],
                    versions: list[person_moves.VersionRow],
                    consents: list[referral.ConsentRow]) -> None:
        """Transfers, leaving and edits of the details, newest first (dim; none: empty),
        then the consents on record, the one in force first and the former ones dim (a
        narrower consent never hides the one it replaced: fix15)."""
        text = Text()
        for i, c in enumerate(consents):
            if text:
                text.append("\n")
            text.append(c.line(), style="" if i == 0 else "dim")
            text.append(f"  {c.recorded_by}", style="dim")
        for m in moves:
            if text:
                text.append("\n")
            if m.kind == "leave":
                text.append(_("{on} left service · {reason}").format(
                    on=m.on_date, reason=vocab.label(person_moves.LEAVE_REASONS, m.reason)),
                    style="bold")
            else:
                text.append(_("{on} transferred · {old} → {new}").format(
                    on=m.on_date, old=m.from_unit or "—", new=m.to_unit or "—"))
            text.append(f"  {m.note}  {m.by}".rstrip(), style="dim")
        for v in versions:
            if text:
                text.append("\n")
            fields = join_list(f"{_(FIELD_LABELS.get(k, k))}: {old or '—'} → {new or '—'}"
                               for k, (old, new) in v.changed.items())
            text.append(_("{at} details edited · {fields}").format(at=v.at[:10],
                                                                   fields=fields), style="dim")
            text.append(f"  {v.by}", style="dim")
        self.query_one("#moves", Static).update(text)

    # -- rendering ---------------------------------------------------------------------------
    def _show(self, record: PersonRecord) -> None:
        if not self.is_attached:
            return
        self.record = record
        self.loads += 1
        self.refresh_bindings()
        p = record.person
        title = p.name + (f" · {p.badge_no}" if p.badge_no else "")
        if record.archived_at:
            title += " · " + _("former · left {date}").format(date=record.archived_at[:10])
        self.query_one("#person-title", Label).update(plain(title))
        self.query_one("#profile", Static).update(pairs_table([
            (_("Kind"), vocab.label(vocab.PERSON_KINDS, p.kind)),
            (_("Gender"), vocab.label(vocab.GENDERS, p.gender)),
            (_("Badge"), p.badge_no or ""), (_("Birth date"), record.birth_date or ""),
            (_("Unit"), p.unit_name or ""), (_("Police type"), p.police_type or ""),
            (_("Post"), p.post), (_("Hire date"), record.hire_date or ""),
            (_("Phone"), record.phone or ""), (_("Consent"), record.consent_on or ""),
        ]))
        self._show_tier(record)
        self._show_family(record)
        self._show_sessions(record)
        self._show_assessments(record)
        self._show_incidents(record)
        self._show_firearm(record)

    def _show_firearm(self, record: PersonRecord) -> None:
        """The firearm status, then each restriction's events in order (issue 19)."""
        status = record.firearm_status
        if not status:
            self.query_one("#firearm", Static).update(none_text())
            return
        text = Text(vocab.label(vocab.FIREARM_STATUSES, status), style="bold")
        not_kept = _("(not kept)")
        for restriction in record.firearm_history:
            reference = f"FR-{restriction.restriction_id:05d}"
            text.append("\n" + _("Restriction {id}").format(id=reference)
                        + " · " + vocab.label(vocab.FIREARM_STATUSES, restriction.status))
            for e in restriction.events:
                parts = [f"{e.seq}. {e.label}", e.on_date or not_kept]
                if e.kind == "recommended":
                    parts.append(vocab.label(vocab.FIREARM_REASONS, e.reason_code))
                else:
                    parts.append(e.decided_by_name or not_kept)
                if e.next_review_on:
                    parts.append(_("next review {date}").format(date=e.next_review_on))
                text.append("\n  " + " · ".join(parts))
        self.query_one("#firearm", Static).update(text)

    def _show_tier(self, record: PersonRecord) -> None:
        widget = self.query_one("#tier", Static)
        if record.tier is None:
            widget.update(none_text())
            return
        tier = record.tier
        colour = {"red": "bold red", "yellow": "bold yellow", "green": "bold green"}
        text = Text(vocab.label(vocab.TIERS, tier.tier), style=colour.get(tier.tier, "bold"))
        text.append("  " + _("since {date}").format(date=tier.since[:10]))
        if tier.review_due and not record.archived_at:  # a former officer is not reviewed
            today = self.backend.clock.now().date()
            hint = dates.relative_hint(dates.parse_date(tier.review_due, today), today)
            text.append("  " + _("review {date} ({hint})").format(date=tier.review_due,
                                                               hint=hint))
        for change in record.tier_history:
            if change.from_tier == change.to_tier:
                text.append("\n  {at}  {review}  {reason}  {by}".format(
                    at=change.at[:10], review=_("review: kept {tier}").format(
                        tier=vocab.label(vocab.TIERS, change.to_tier)),
                    reason=change.reason, by=change.by), style="dim")
                continue
            text.append("\n  {at}  {from_} → {to}  {reason}  {by}{suggested}".format(
                at=change.at[:10], from_=vocab.label(vocab.TIERS, change.from_tier) or "—",
                to=vocab.label(vocab.TIERS, change.to_tier), reason=change.reason,
                by=change.by, suggested=(" · " + _("suggested")) if change.suggested else ""),
                style="dim")
            if change.evidence:  # what the change rests on (fix15 E)
                text.append("  " + _("evidence: {items}").format(
                    items=join_list(change.evidence)), style="dim")
        widget.update(text)

    def _show_family(self, record: PersonRecord) -> None:
        family = self.query_one("#family", OptionList)
        if record.family:
            family.set_options([
                Option(f"{f.name} · {vocab.label(vocab.RELATIONS, f.relation)} · "
                       f"{vocab.label(vocab.PERSON_KINDS, f.kind)}", id=f"p{f.person_id}")
                for f in record.family])
        else:
            hint = (_("none (a: add a family member)") if record.person.kind == "officer"
                    else _("none"))
            family.set_options([Option(Text(hint, style="dim"), disabled=True)])

    def _show_sessions(self, record: PersonRecord) -> None:
        sessions = self.query_one("#sessions", OptionList)
        highlighted = sessions.highlighted
        if record.sessions:
            options: list[Option | None] = []
            for s in record.sessions:
                if options:
                    options.append(None)
                options.append(Option(session_text(s), id=f"s{s.id}"))
            sessions.set_options(options)
            if highlighted is not None and highlighted < sessions.option_count:
                sessions.highlighted = highlighted
            else:  # the newest session is selected at once, not after Tab and Down
                sessions.highlighted = 0
            if self.loads == 1:  # first load: ↑/↓ and Enter act on the sessions at once
                sessions.focus(scroll_visible=False)
        else:
            sessions.set_options([Option(none_text(), disabled=True)])

    def _show_assessments(self, record: PersonRecord) -> None:
        widget = self.query_one("#assessments", Static)
        if not record.assessments:
            widget.update(none_text())
            return
        table = Table.grid(padding=(0, 2))
        for a in record.assessments:
            total = "" if a.total is None else f"{a.total:g}"
            positive = _("positive") if a.positive else ""
            table.add_row(a.administered_on, instrument_short(a.instrument_code), total,
                          Text(a.band_label or band_name(a.instrument_code, a.band)),
                          Text(positive, style="red"))
        widget.update(table)

    def _show_incidents(self, record: PersonRecord) -> None:
        widget = self.query_one("#incidents", Static)
        if not record.incidents:
            widget.update(none_text())
            return
        table = Table.grid(padding=(0, 2))
        for i in record.incidents:
            table.add_row(i.occurred_at[:10], plain(i.title), i.kind, i.role, i.status)
        widget.update(table)

    # -- actions -----------------------------------------------------------------------------
    def _session(self, option_id: str | None) -> SessionSummary | None:
        if self.record is None or not option_id or not option_id.startswith("s"):
            return None
        return next((s for s in self.record.sessions if f"s{s.id}" == option_id), None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "family" and event.option_id:
            self.post_message(OpenPerson(int(event.option_id[1:])))
            return
        session = self._session(event.option_id)
        if session is None:
            return
        if session.editable:
            self.post_message(OpenArea("log_session", session=session))
        else:
            self._addendum(session)  # or why not: a colleague's session is not "locked"

    def action_view_session(self) -> None:
        """The highlighted session in full (issue 15 item 6); from there correct it or add
        an addendum."""
        session = self._highlighted_session()
        if session is None:
            self.notify(_("Choose a session first."), markup=False)
            return

        def then(choice: str | None) -> None:
            if choice == session_view.EDIT:
                self.post_message(OpenArea("log_session", session=session))
            elif choice == session_view.ADDENDUM:
                self._addendum(session)

        self.app.push_screen(session_view.SessionView(
            session, session_reads.change_refusal(self.backend.vs, session)), then)

    def action_addendum(self) -> None:
        """Add an addendum to the highlighted session."""
        session = self._highlighted_session()
        if session is None:
            self.notify(_("Choose a session first."), markup=False)
        else:
            self._addendum(session)

    def _highlighted_session(self) -> SessionSummary | None:
        """The highlighted session; the newest while none is highlighted."""
        option = self.query_one("#sessions", OptionList).highlighted_option
        if option is None:
            return self.record.sessions[0] if self.record and self.record.sessions else None
        return self._session(option.id)

    def _addendum(self, session: SessionSummary) -> None:
        """The addendum dialog, when this account may add one (author, coordinator);
        otherwise say whose session it is and who may change it."""
        if not session_reads.may_edit(self.backend.vs, session.counselor_id):
            self.notify(session_reads.change_refusal(self.backend.vs, session) or "",
                        markup=False, severity="warning")
            return
        self.app.push_screen(AddendumDialog(session.id, session))

    def action_add_family(self) -> None:
        """Add a family member of this officer (their own person record)."""
        if self.record is None:
            return
        if self.record.person.kind != "officer":
            self.notify(_("Family members are linked to officers only."), markup=False)
            return

        self.app.push_screen(FamilyMemberDialog(self.person_id))

    def action_review_tier(self) -> None:
        """Review the tier: keep it, the next review date set by the policy."""
        open_review(self, self.person_id)

    def action_change_tier(self) -> None:
        """Change the tier with a written reason and its evidence."""
        open_change(self, self.person_id)

    def action_consent(self) -> None:
        """c: the consents on record; record one (issue 15)."""
        if self.record is not None:
            self.app.push_screen(ConsentDialog(self.person_id, self.record.person.name),
                                 lambda _row: self.reload())

    def action_export_referral(self) -> None:
        """x: export this archive for a referral or a transfer (issue 15)."""
        if self.record is not None:
            self.app.push_screen(ReferralExportDialog(self.person_id, self.record.person.name))

    def action_schedule(self) -> None:
        """p: schedule an appointment with this person (issue 15)."""
        if self.record is not None:
            self.app.push_screen(ScheduleDialog(self.record.person))

    def action_edit_person(self) -> None:
        """Edit the person's details (what changed is kept with its old value)."""
        if self.record is not None:
            self.app.push_screen(PersonEditDialog(self.record))

    def _officer_in_service(self) -> PersonRow | None:
        if self.record is None:
            return None
        if self.record.person.kind != "officer":
            self.notify(_("Only officers transfer or leave service."), markup=False)
            return None
        if self.record.archived_at:
            self.notify(_("This person has left service already."), markup=False)
            return None
        return self.record.person

    def action_transfer(self) -> None:
        """Transfer the officer to another unit from a date."""
        person = self._officer_in_service()
        if person is not None:
            self.app.push_screen(PersonMoveDialog(person, "transfer"))

    def action_leave(self) -> None:
        """Record that the officer left service (date, reason)."""
        person = self._officer_in_service()
        if person is not None:
            self.app.push_screen(PersonMoveDialog(person, "leave"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """p is not offered on the record of a person who left service (the appointments
        service refuses them too)."""
        return not (action == "schedule" and self.record is not None
                    and self.record.archived_at is not None)

    def has_unsaved_changes(self) -> bool:
        """The record holds no typed text."""
        return False

    def resume_point(self) -> dict[str, Any]:
        """Where a lock left off (issue 15 item 7): this record, opened again at unlock."""
        return {"screen": "person", "person_id": self.person_id}

    def shown_text(self) -> str:
        """All the text of the record as shown (tests, e2e)."""
        parts: list[Any] = []
        for widget in self.query(Static):
            parts.append(str(widget.render()))
        for olist in self.query(OptionList):
            parts.extend(str(olist.get_option_at_index(i).prompt)
                         for i in range(olist.option_count))
        return "\n".join(parts)
