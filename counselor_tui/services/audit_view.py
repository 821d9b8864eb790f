"""The audit log as an auditor reads it (issue 16 point 3): who acted, and whose record.

Events store ids only (DESIGN §5: no names in the chain). The audit screen resolves, for
one page of events at a time, the actor's display name and the person an event is about —
name and badge number — so that "who looked at whose record" reads without a look-up:

* ``person`` events name their person (``entity_id``);
* events about a session, an assessment, a firearm restriction or a tier change name that
  record's person;
* any event whose detail carries ``person_id`` names that person;
* events about an organisation record name the committee or office member or the cadre
  trained (:data:`SUBJECT_OF`).

Reading the log is for auditors and admins (``read_audit``); opening the screen is itself
audited (:func:`counselor_tui.services.audit.record_log_view`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from counselor_tui.domain.permissions import Action
from counselor_tui.services import audit
from counselor_tui.services.audit import AuditFilter, AuditRow
from counselor_tui.services.context import VaultSession

#: entity → SQL giving (id, name) of the organisation records among ``ids`` (``{marks}``).
SUBJECT_OF: dict[str, str] = {
    "org_member": "SELECT m.id, CASE WHEN m.user_id IS NULL THEN m.name ELSE "
                  "COALESCE(NULLIF(u.display_name, ''), u.username) END FROM org_member m "
                  'LEFT JOIN "user" u ON u.id = m.user_id WHERE m.id IN ({marks})',
    "cadre_training": "SELECT id, name FROM cadre_training WHERE id IN ({marks})",
}
#: entity → table holding a ``person_id`` column for that entity's id.
PERSON_OF: dict[str, str] = {
    "counseling_session": "counseling_session", "assessment": "assessment",
    "firearm_restriction": "firearm_restriction", "tier_change": "tier_change",
}


@dataclass(frozen=True)
class AuditLine:
    """One event with its actor's display name (``actor``: ``周主任（zhou）``, or the
    username of an account that no longer exists) and the person it concerns
    (``person_name`` and ``badge_no``; empty when it concerns no person)."""

    row: AuditRow
    actor: str
    person_id: int | None
    person_name: str
    badge_no: str
    #: The username of the account an event about an account (``user``) concerns.
    account: str = ""
    #: The name of the organisation record (committee or office member, cadre trained) an
    #: event concerns, read from the record now (the event itself holds ids only).
    subject: str = ""


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _person_of(row: AuditRow) -> tuple[str, int] | None:
    """(table or ``person``, id) naming the person of ``row``, if any."""
    if row.entity == "person" and (pid := _int(row.entity_id)) is not None:
        return "person", pid
    if (pid := _int(row.detail.get("person_id"))) is not None:
        return "person", pid
    if row.entity in PERSON_OF and (rid := _int(row.entity_id)) is not None:
        return PERSON_OF[row.entity], rid
    return None


def _marks(n: int) -> str:
    return ",".join("?" * n)


def describe(vs: VaultSession, rows: Iterable[AuditRow]) -> list[AuditLine]:
    """:class:`AuditLine` of each row (one query per table for the whole page). Auditor or
    admin (:class:`~counselor_tui.services.errors.PermissionDenied`)."""
    vs.require_to(Action.READ_AUDIT)
    rows = list(rows)
    wanted = [_person_of(r) for r in rows]
    by_table: dict[str, set[int]] = {}
    for w in wanted:
        if w is not None and w[0] != "person":
            by_table.setdefault(w[0], set()).add(w[1])
    with vs.reading():
        via: dict[tuple[str, int], int] = {}
        for table, ids in by_table.items():
            for rid, pid in vs.execute(
                    f"SELECT id, person_id FROM {table} WHERE id IN ({_marks(len(ids))})",
                    tuple(ids)):
                if pid is not None:
                    via[(table, int(rid))] = int(pid)
        person_ids = {w[1] if w[0] == "person" else via.get(w, -1)
                      for w in wanted if w is not None}
        person_ids.discard(-1)
        people = {int(r[0]): (str(r[1]), str(r[2] or "")) for r in vs.execute(
            f"SELECT id, name, badge_no FROM person WHERE id IN ({_marks(len(person_ids))})",
            tuple(person_ids))} if person_ids else {}
        subjects: dict[tuple[str, str], str] = {}
        for entity, sql in SUBJECT_OF.items():
            ids = {i for r in rows if r.entity == entity and (i := _int(r.entity_id)) is not None}
            if ids:
                for rid, name in vs.execute(sql.format(marks=_marks(len(ids))), tuple(ids)):
                    subjects[(entity, str(rid))] = str(name or "")
        users: dict[str, str] = {}
        usernames: dict[str, str] = {}
        for uid, username, display in vs.execute(
                "SELECT id, username, display_name FROM user"):
            users[str(username)] = str(display or "")
            usernames[str(uid)] = str(username)
    lines = []
    for row, w in zip(rows, wanted, strict=True):
        pid = None if w is None else (w[1] if w[0] == "person" else via.get(w))
        name, badge = people.get(pid, ("", "")) if pid is not None else ("", "")
        shown = users.get(row.user, "")
        actor = f"{shown}（{row.user}）" if shown and shown != row.user else row.user
        account = usernames.get(row.entity_id, "") if row.entity == "user" else ""
        lines.append(AuditLine(row, actor, pid, name, badge, account,
                               subjects.get((row.entity, row.entity_id), "")))
    return lines


def page(vs: VaultSession, flt: AuditFilter | None, offset: int,
         limit: int) -> list[AuditLine]:
    """:func:`counselor_tui.services.audit.list_events` described (:func:`describe`)."""
    return describe(vs, audit.list_events(vs, flt, offset, limit))
