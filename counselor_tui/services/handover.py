"""Handover 交接 (issue 15, point 3): a counselor's open work moves to another counselor.

What moves (:func:`plan`), from the *giver* — always a counselor — to the *receiver* — an
active counselor:

* **persons** in the giver's *caseload*: persons named by a non-voided session the giver
  wrote, and persons an earlier handover gave them (``case_access`` granted) — minus those
  handed away since (``case_access`` revoked). Persons the giver merely *created* (a roster
  import, a registration never followed by a session) are not a caseload and do not move:
  creating a record is not serving the person, and counting it made a handover of the
  account that entered the archive hand the whole archive over. The giver's unit does not
  move either (the receiver sees their own unit);
* **open follow-ups** the giver holds: sessions with a follow-up not yet closed, written by
  the giver (or handed to them), unless handed away since;
* **open incident steps** the giver holds: steps neither done nor waived, of open incidents
  the giver flagged (or handed to them), unless handed away since;
* **scheduled appointments** of the giver (missed ones included): they become the
  receiver's (:mod:`counselor_tui.services.appointments`).

What a handover does, in one transaction (:func:`hand_over`): a ``handover`` row listing the
ids moved; ``case_access`` rows — the receiver now *holds* each person (the record is visible
to them: :func:`counselor_tui.services.access.visibility_sql` reads these rows) and the giver
no longer sees it through their past sessions (their unit, if it is the person's, still
shows it); ``follow_up_holder`` / ``step_holder`` rows — the follow-up appears on the
receiver's dashboard, the step's incident becomes visible to them; one ``handover`` audit
event with the ids and counts (no names). With ``disable=True`` the giver's account is
disabled in the same transaction (:func:`counselor_tui.services.accounts.disable_user`).

**Sealed notes are not re-wrapped.** A sealed note stays encrypted to its author and the
coordinators (DESIGN §5: "sealed sessions are visible to their author and coordinators
only"); the receiver sees the session in the timeline (date, channel, topics) but not its
text. A coordinator who judges the receiver must read one tells them what they need; giving
the receiver the key of a sealed note would widen who may read it, which the seal exists to
prevent — so no handover does it, and no policy setting turns it on.

Roles (refused here, not only in the UI): a coordinator hands over (the listing names the
persons); an admin hands over only while disabling the giver's account (``disable=True``; the
listing gives record ids only — admins read no person record) and may preview it
(:func:`plan`). Counselors and auditors are refused (:class:`PermissionDenied`). The giver
must be a counselor: coordinators, admins and auditors hold no caseload (a coordinator sees
every record; handing that over would give a counselor the whole archive), so such a giver
is refused (:class:`Conflict`), as is a receiver who is not an active counselor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from counselor_tui.domain.incidents import step_label
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import accounts, audit
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from db.models import User
from db.models_care import Handover


@dataclass(frozen=True)
class MovedItem:
    """One record that moves: ``kind`` ``person`` / ``follow_up`` / ``step``; ``id`` the
    person, session or incident-step id; ``label`` what a coordinator reads (a name, a due
    date); empty for an admin."""

    kind: str
    id: int
    label: str


@dataclass(frozen=True)
class HandoverResult:
    """What moved (or would move): the giver, the receiver (None in a plan), the items by
    kind, the ``handover`` row id (None in a plan), whether the giver was disabled."""

    giver: str
    receiver: str | None
    persons: tuple[MovedItem, ...]
    follow_ups: tuple[MovedItem, ...]
    steps: tuple[MovedItem, ...]
    appointments: tuple[MovedItem, ...] = ()
    handover_id: int | None = None
    disabled: bool = False

    @property
    def counts(self) -> dict[str, int]:
        """Items per kind."""
        return {"persons": len(self.persons), "follow_ups": len(self.follow_ups),
                "steps": len(self.steps), "appointments": len(self.appointments)}

    def lines(self) -> list[str]:
        """The listing shown by the CLI and the dialog (translated)."""
        out = [_("Persons moving: {n}").format(n=len(self.persons))]
        out += [f"  {i.label or '#' + str(i.id)}" for i in self.persons]
        out.append(_("Open follow-ups moving: {n}").format(n=len(self.follow_ups)))
        out += [f"  {i.label or '#' + str(i.id)}" for i in self.follow_ups]
        out.append(_("Open incident steps moving: {n}").format(n=len(self.steps)))
        out += [f"  {i.label or '#' + str(i.id)}" for i in self.steps]
        out.append(_("Scheduled appointments moving: {n}").format(n=len(self.appointments)))
        out += [f"  {i.label or '#' + str(i.id)}" for i in self.appointments]
        return out


def _require(vs: VaultSession, disable: bool, *, planning: bool = False) -> None:
    """Coordinators hand over; an admin only together with disabling the giver (and may
    preview that); a coordinator does not disable accounts."""
    if disable:
        vs.require(Role.ADMIN)  # as disabling an account
    elif planning:
        vs.require(Role.COORDINATOR, Role.ADMIN)
    elif vs.actor.role is Role.ADMIN:
        raise PermissionDenied(_("An admin hands work over only while disabling the account "
                                 "(users disable NAME --reassign-to OTHER); a coordinator "
                                 "reassigns work without disabling anyone."))
    else:
        vs.require(Role.COORDINATOR)


def _giver(username: str) -> User:
    """The giver's account; :class:`Conflict` unless it is a counselor's."""
    user = _account(username)
    if user.role != Role.COUNSELOR.value:
        raise Conflict(_("{user} is not a counselor: only a counselor's caseload is handed "
                         "over.").format(user=username))
    return user


def _account(username: str) -> User:
    user = User.get_or_none(User.username == username)
    if user is None:
        raise NotFound(_("No account named {user}.").format(user=username))
    return user


_PERSONS = (
    "SELECT p.id, p.name, p.badge_no FROM person p WHERE p.voided_at IS NULL AND ("
    " p.id IN (SELECT person_id FROM own_case WHERE user_id = :u AND sessions > 0)"  # served
    " OR p.id IN (SELECT person_id FROM case_access WHERE user_id = :u AND granted = 1))"
    " AND p.id NOT IN (SELECT person_id FROM case_access WHERE user_id = :u AND granted = 0)"
    " ORDER BY p.name_sort, p.id")
_FOLLOW_UPS = (
    "SELECT s.id, p.name, s.follow_up_on FROM counseling_session s"
    " LEFT JOIN person p ON p.id = s.person_id"
    " LEFT JOIN follow_up_holder h ON h.session_id = s.id"
    " WHERE s.follow_up_on IS NOT NULL AND s.follow_up_closed_at IS NULL"
    " AND s.voided_at IS NULL AND COALESCE(h.user_id, s.counselor_id) = :u"
    " ORDER BY s.follow_up_on, s.id")
_STEPS = (
    "SELECT st.id, i.title, st.step, st.due_at FROM incident_step st"
    " JOIN incident i ON i.id = st.incident_id"
    " LEFT JOIN step_holder h ON h.step_id = st.id"
    " WHERE st.done_at IS NULL AND st.waived_reason IS NULL AND i.voided_at IS NULL"
    " AND i.status = 'open' AND COALESCE(h.user_id, i.created_by_id) = :u"
    " ORDER BY st.due_at, st.id")
_APPOINTMENTS = (
    "SELECT a.id, COALESCE(p.name, a.caller_label, ''), a.starts_at FROM appointment a"
    " LEFT JOIN person p ON p.id = a.person_id"
    " WHERE a.counselor_id = :u AND a.status = 'scheduled' ORDER BY a.starts_at, a.id")


def _named(sql: str, user_id: int) -> tuple[str, tuple[Any, ...]]:
    """``sql`` with its one named parameter ``:u`` as positional ones."""
    return sql.replace(":u", "?"), (user_id,) * sql.count(":u")


def _collect(vs: VaultSession, giver: User) -> HandoverResult:
    names = vs.actor.role is Role.COORDINATOR
    persons, follow_ups, steps = [], [], []
    for r in vs.execute(*_named(_PERSONS, giver.id)):
        label = (f"{r[1]} ({r[2]})" if r[2] else str(r[1])) if names else ""
        persons.append(MovedItem("person", int(r[0]), label))
    for r in vs.execute(*_named(_FOLLOW_UPS, giver.id)):
        label = _("{name}, due {due}").format(name=r[1] or _("anonymous caller"), due=r[2])
        follow_ups.append(MovedItem("follow_up", int(r[0]), label if names else ""))
    for r in vs.execute(*_named(_STEPS, giver.id)):
        # the step by its name, as the incidents screen shows it (the code was printed)
        label = f"{r[1]} · {step_label(r[2])} · {str(r[3])[:16].replace('T', ' ')}"
        steps.append(MovedItem("step", int(r[0]), label if names else ""))
    booked = [MovedItem("appointment", int(r[0]), f"{str(r[2])[:16].replace('T', ' ')} {r[1]}"
                        if names else "")
              for r in vs.execute(*_named(_APPOINTMENTS, giver.id))]
    return HandoverResult(giver.username, None, tuple(persons), tuple(follow_ups),
                          tuple(steps), tuple(booked))


def plan(vs: VaultSession, giver: str) -> HandoverResult:
    """What a handover from ``giver`` would move now (nothing is changed or audited).
    Raises :class:`PermissionDenied` (counselor, auditor), :class:`NotFound`,
    :class:`Conflict` (the giver is not a counselor)."""
    _require(vs, disable=False, planning=True)
    with vs.reading():
        return _collect(vs, _giver(giver))


def hand_over(vs: VaultSession, giver: str, receiver: str, reason: str, *,
              disable: bool = False) -> HandoverResult:
    """Move the giver's open work to ``receiver`` (see the module doc), optionally
    disabling the giver's account in the same transaction (admin, as
    :func:`~counselor_tui.services.accounts.disable_user`; an admin may hand over only so).

    Raises :class:`InvalidInput` (no reason), :class:`NotFound` (unknown account),
    :class:`Conflict` (giver = receiver, giver not a counselor, receiver disabled or not a
    counselor, giver already disabled when disabling), :class:`PermissionDenied`
    (counselor, auditor; an admin without ``disable``; a coordinator with it)."""
    _require(vs, disable)
    if not reason.strip():
        raise InvalidInput(_("Write why the work is handed over (e.g. 调离, 退休, 长期病假)."))
    with vs.transaction():
        source, target = _giver(giver), _account(receiver)
        if source.id == target.id:
            raise Conflict(_("Choose another counselor to receive the work."))
        if not target.active or target.role != Role.COUNSELOR.value:
            raise Conflict(_("{user} is not an active counselor.").format(user=receiver))
        moved = _collect(vs, source)
        now = vs.now_iso()
        ids = {"persons": [i.id for i in moved.persons],
               "follow_ups": [i.id for i in moved.follow_ups],
               "steps": [i.id for i in moved.steps],
               "appointments": [i.id for i in moved.appointments]}
        row = Handover.create(from_user=source.id, to_user=target.id, at=now, by=vs.actor.id,
                              reason=reason.strip(), disabled=disable, moved=ids)
        for pid in ids["persons"]:
            for user_id, granted in ((source.id, 0), (target.id, 1)):
                vs.execute("INSERT OR REPLACE INTO case_access (person_id, user_id, granted, "
                           "handover_id) VALUES (?, ?, ?, ?)", (pid, user_id, granted, row.id))
        for table, column in (("follow_up_holder", "session_id"), ("step_holder", "step_id")):
            for ref in ids["follow_ups" if table == "follow_up_holder" else "steps"]:
                vs.execute(f"INSERT OR REPLACE INTO {table} ({column}, user_id, handover_id) "
                           "VALUES (?, ?, ?)", (ref, target.id, row.id))
        for ref in ids["appointments"]:
            vs.execute("UPDATE appointment SET counselor_id = ?, updated_at = ?, "
                       "updated_by_id = ? WHERE id = ?", (target.id, now, vs.actor.id, ref))
        audit.record(vs, "handover", "user", source.id, {
            "from": source.username, "to": target.username, "handover_id": row.id,
            "disabled": disable, **ids})
        if disable:
            accounts.disable_user(vs, giver)
    return HandoverResult(source.username, target.username, moved.persons, moved.follow_ups,
                          moved.steps, moved.appointments, int(row.id), disable)


@dataclass(frozen=True)
class Receiver:
    """An account that may receive work: id, user name, display name."""

    id: int
    username: str
    name: str


def receivers(vs: VaultSession, giver: str) -> list[Receiver]:
    """Active counselors other than ``giver``, by display name."""
    _require(vs, disable=False, planning=True)
    with vs.reading():
        return [Receiver(int(r[0]), r[1], r[2]) for r in vs.execute(
            "SELECT id, username, display_name FROM user WHERE active = 1 AND role = ? "
            "AND username != ? ORDER BY display_name, id",
            (Role.COUNSELOR.value, giver))]
