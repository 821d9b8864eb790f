"""Who sees which persons (DESIGN §5 "Roles"; decided here, tested in
tests/integration/test_persons.py). A leaf of the service layer: persons, sessions, tier
policy, census and analysis all ask it, it asks none of them.

* **counselor** — persons of their own unit (family members carry the unit of the officer
  they belong to), persons they have served (a non-voided session of theirs names the
  person) and persons they created — unless handed away to another counselor since — and
  persons a handover gave them (``case_access``, :mod:`counselor_tui.services.handover`);
  all sessions of those persons, but the free text of a *sealed* session (note,
  intervention, addenda) only when they wrote it (a handover re-wraps no sealed note);
* **coordinator** — everything, every note;
* **admin** and **auditor** — no person data at all (:class:`PermissionDenied`): admins
  manage users, settings and keys, auditors read the audit log and aggregates
  (:data:`counselor_tui.domain.permissions.RULES`, ``read_person``).

"Served or created" is read from ``own_case`` (db migration 29: the non-voided sessions per
counselor and person and the creator of each person, kept by triggers), never from the
sessions themselves: a counselor with 393k sessions at province sees their archive as fast as
a coordinator (issue 18; ``tests/integration/test_visibility.py`` holds the kept pairs and
the rule's forms equal to the rule written out plainly, and the query plans).

"""

from __future__ import annotations

from typing import Any

from counselor_tui.domain.permissions import Action, allowed
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import NotFound, PermissionDenied


def require_archive_reader(vs: VaultSession) -> None:
    """Raise :class:`PermissionDenied` for roles that may not read person data (auditor,
    admin: ``read_person``)."""
    if vs.actor.role == Role.AUDITOR:
        raise PermissionDenied(
            _("Auditors see the audit log and aggregate figures, not person records.")
        )
    if not allowed(vs.actor.role, Action.READ_PERSON):
        raise PermissionDenied(
            _("Administrators manage accounts, settings and keys; they do not read person "
              "records.")
        )


def visibility_sql(vs: VaultSession, alias: str = "p") -> tuple[str, list[Any]]:
    """The SQL condition (on person alias ``alias``) selecting the persons the actor sees,
    and its parameters. See the module doc for the rule."""
    return _rule_sql(vs, f"{alias}.id", f"{alias}.unit_id = ?")


def _rule_sql(vs: VaultSession, person_id: str, in_unit: str) -> tuple[str, list[Any]]:
    """The rule of the module doc as an SQL condition on the person-id expression
    ``person_id``, with ``in_unit`` the condition (one ``?``: the unit) that the person is
    of the actor's unit; ``("1", [])`` for an actor who sees everyone."""
    require_archive_reader(vs)
    if vs.actor.role != Role.COUNSELOR:
        return "1", []
    conds = [
        # served or created (kept in own_case: db migration 29), unless handed away since
        # (issue 15: services/handover.py); a probe per person, never a scan of sessions
        f"(EXISTS (SELECT 1 FROM own_case oc WHERE oc.user_id = ? AND oc.person_id = {person_id}) "
        f"AND {person_id} NOT IN (SELECT person_id FROM case_access WHERE user_id = ? "
        "AND granted = 0))",
        f"{person_id} IN (SELECT person_id FROM case_access WHERE user_id = ? AND granted = 1)",
    ]
    params: list[Any] = [vs.actor.id] * 3
    if vs.actor.unit_id is not None:
        conds.insert(0, in_unit)
        params.insert(0, vs.actor.unit_id)
    return "(" + " OR ".join(conds) + ")", params


def visible_id_sql(vs: VaultSession, column: str) -> tuple[str, list[Any]]:
    """The condition of :func:`visibility_sql` on a person-id ``column`` of another table,
    qualified by its alias (e.g. ``k.person_id`` of a search key; :class:`ValueError`
    otherwise), reading no person row but the actor's unit's
    ids (``person_unit_id``): the same rule for every person id, for a statement that needs
    nothing else of the person. Returns ``("1", [])`` for an actor who sees everyone;
    raises :class:`PermissionDenied` as :func:`visibility_sql` does."""
    if "." not in column:  # unqualified, it would name own_case's own column inside EXISTS
        raise ValueError("visible_id_sql needs a qualified column (alias.column)")
    return _rule_sql(vs, column, f"{column} IN (SELECT id FROM person WHERE unit_id = ?)")


def visible_ids_sql(vs: VaultSession) -> tuple[str, list[Any]] | None:
    """A compound SELECT of the ids of every person the actor sees (voided ones too: the
    caller filters), ascending, and its parameters; None for an actor who sees everyone.
    Call inside ``reading``/``transaction`` and run it there: the statement holds only the
    parts of the rule the actor's handover rows (``case_access``) need, as they are now.

    For whole-population counts: ``SELECT count(*) FROM (<this> INTERSECT SELECT p.id FROM
    person p WHERE …)`` merges id-ordered streams (the kept pairs of ``own_case``, the
    unit's persons, the person index) instead of probing ``own_case`` once per person (at
    province: 18 ms instead of 45 ms for a counselor's 64k of 113k persons). The compound
    is read left to right: served or created, less the handed away, with the unit's and
    the handed-over persons added. Raises :class:`PermissionDenied` as
    :func:`visibility_sql` does."""
    require_archive_reader(vs)
    if vs.actor.role != Role.COUNSELOR:
        return None
    me = vs.actor.id
    kinds = {int(r[0]) for r in vs.execute(
        "SELECT DISTINCT granted FROM case_access WHERE user_id = ?", (me,))}
    sql = "SELECT person_id FROM own_case WHERE user_id = ?"
    params: list[Any] = [me]
    if 0 in kinds:
        sql += " EXCEPT SELECT person_id FROM case_access WHERE user_id = ? AND granted = 0"
        params.append(me)
    if vs.actor.unit_id is not None:
        sql += " UNION SELECT id FROM person WHERE unit_id = ?"
        params.append(vs.actor.unit_id)
    if 1 in kinds:
        sql += " UNION SELECT person_id FROM case_access WHERE user_id = ? AND granted = 1"
        params.append(me)
    return sql, params


def can_see_person(vs: VaultSession, person_id: int) -> bool:
    """True when the actor sees person ``person_id`` (inside ``reading``/``transaction``)."""
    cond, params = visibility_sql(vs)
    row = vs.execute(
        f"SELECT 1 FROM person p WHERE p.id = ? AND p.voided_at IS NULL AND {cond}",
        (person_id, *params),
    ).fetchone()
    return row is not None


def require_visible(vs: VaultSession, person_id: int) -> None:
    """Raise :class:`NotFound` unless the actor sees person ``person_id``."""
    if not can_see_person(vs, person_id):
        raise NotFound(_("No such person, or not visible to your account."))


def require_writer(vs: VaultSession) -> None:
    """Raise :class:`PermissionDenied` unless the actor may write person records
    (counselor, coordinator: ``write_person``)."""
    vs.require_to(Action.WRITE_PERSON)
