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
    require_archive_reader(vs)
    if vs.actor.role != Role.COUNSELOR:
        return "1", []
    conds = [
        # served or created, unless handed away since (issue 15: services/handover.py)
        f"(({alias}.id IN (SELECT person_id FROM counseling_session WHERE counselor_id = ? "
        f"AND person_id IS NOT NULL AND voided_at IS NULL) OR {alias}.created_by_id = ?) "
        f"AND {alias}.id NOT IN (SELECT person_id FROM case_access WHERE user_id = ? "
        "AND granted = 0))",
        f"{alias}.id IN (SELECT person_id FROM case_access WHERE user_id = ? AND granted = 1)",
    ]
    params: list[Any] = [vs.actor.id] * 4
    if vs.actor.unit_id is not None:
        conds.insert(0, f"{alias}.unit_id = ?")
        params.insert(0, vs.actor.unit_id)
    return "(" + " OR ".join(conds) + ")", params


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
