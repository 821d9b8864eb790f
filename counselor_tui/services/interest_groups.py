"""Interest groups 兴趣小组 (DESIGN §1, §4 ``InterestGroup``, §6): the bureau runs about
thirteen; their meetings are activities of kind ``interest_group``
(:mod:`counselor_tui.services.activities`).

Roles (DESIGN §5): coordinators create, change, pause and resume groups; counselors and
coordinators list them (with meetings held: non-voided activities of the group).

Validation (:func:`validate_group`, messages per field, translated): name 1–50 characters
and unique; lead at most 50 characters; members a whole number 0–10,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import audit
from counselor_tui.services.activities import require_reader, tracked
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import InvalidInput, NotFound
from db.models import InterestGroup

MAX_GROUP_NAME = 50
MAX_LEAD = 50
MAX_MEMBERS = 10_000


@dataclass(frozen=True)
class GroupDraft:
    """An interest group as typed: ``name`` (unique), ``lead`` (who leads it, free text),
    ``members`` (head count 0–10,000)."""

    name: str
    lead: str = ""
    members: int = 0


@dataclass(frozen=True)
class GroupRow:
    """An interest group as listed, with its non-voided ``meetings`` (all time) and the date
    of the ``last_meeting`` (ISO, or None)."""

    id: int
    name: str
    lead: str
    members: int
    active: bool
    meetings: int
    last_meeting: str | None


class GroupInvalid(InvalidInput):
    """A :class:`GroupDraft` failed :func:`validate_group`; ``errors`` maps field → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


def validate_group(draft: GroupDraft) -> dict[str, str]:
    """Field name → translated message for each problem of an interest group draft."""
    errors: dict[str, str] = {}
    name = draft.name.strip()
    if not name:
        errors["name"] = _("Give the group a name.")
    elif len(name) > MAX_GROUP_NAME:
        errors["name"] = _("The name is too long (at most {n} characters).").format(
            n=MAX_GROUP_NAME)
    if len(draft.lead.strip()) > MAX_LEAD:
        errors["lead"] = _("The lead is too long (at most {n} characters).").format(n=MAX_LEAD)
    if (not isinstance(draft.members, int) or isinstance(draft.members, bool)
            or not 0 <= draft.members <= MAX_MEMBERS):
        errors["members"] = _("Members: a whole number from 0 to {n}.").format(n=MAX_MEMBERS)
    return errors


def list_groups(vs: VaultSession, *, include_inactive: bool = True) -> list[GroupRow]:
    """Interest groups (active first, then by name), with meetings held and the last
    meeting's date. Counselors and coordinators."""
    require_reader(vs)
    where = "" if include_inactive else "WHERE g.active = 1 "
    with vs.reading():
        return [GroupRow(int(i), str(n), str(lead or ""), int(m), bool(a), int(c), last)
                for i, n, lead, m, a, c, last in vs.execute(
                    "SELECT g.id, g.name, g.lead, g.members, g.active, COUNT(a.id), "
                    "MAX(a.date) FROM interest_group g LEFT JOIN activity a "
                    "ON a.group_id = g.id AND a.voided_at IS NULL "
                    f"{where}GROUP BY g.id ORDER BY g.active DESC, g.name")]


def _group_conflict(vs: VaultSession, name: str, group_id: int | None) -> None:
    row = vs.execute("SELECT id FROM interest_group WHERE name = ?", (name,)).fetchone()
    if row is not None and int(row[0]) != group_id:
        raise GroupInvalid({"name": _("An interest group of this name exists.")})


def add_group(vs: VaultSession, draft: GroupDraft) -> int:
    """Create an active interest group; returns its id. Coordinators only; audited
    ``create interest_group``. Raises :class:`GroupInvalid` (also for a taken name),
    :class:`PermissionDenied`."""
    vs.require(Role.COORDINATOR)
    errors = validate_group(draft)
    if errors:
        raise GroupInvalid(errors)
    name = draft.name.strip()
    with vs.transaction():
        _group_conflict(vs, name, None)
        row = InterestGroup.create(name=name, lead=draft.lead.strip(), members=draft.members,
                                   active=True, **tracked(vs))
        audit.record(vs, "create", "interest_group", row.id, {"members": draft.members})
    return int(row.id)


def update_group(vs: VaultSession, group_id: int, draft: GroupDraft) -> list[str]:
    """Change a group's name, lead or head count; returns the changed field names.
    Coordinators only; audited ``update interest_group``. Raises :class:`NotFound`,
    :class:`GroupInvalid`, :class:`PermissionDenied`."""
    vs.require(Role.COORDINATOR)
    errors = validate_group(draft)
    if errors:
        raise GroupInvalid(errors)
    name = draft.name.strip()
    new: dict[str, Any] = {"name": name, "lead": draft.lead.strip(), "members": draft.members}
    with vs.transaction():
        row = InterestGroup.get_or_none(InterestGroup.id == group_id)
        if row is None:
            raise NotFound(_("No such interest group."))
        _group_conflict(vs, name, group_id)
        changed = [k for k, v in new.items() if getattr(row, k) != v]
        if changed:
            InterestGroup.update(**new, updated_at=vs.now_iso(), updated_by=vs.actor.id).where(
                InterestGroup.id == group_id).execute()
            audit.record(vs, "update", "interest_group", group_id, {"fields": changed})
    return changed


def set_group_active(vs: VaultSession, group_id: int, active: bool) -> bool:
    """Pause (``active=False``) or resume a group; returns whether anything changed. A paused
    group keeps its past meetings but takes no new ones. Coordinators only; audited
    ``update interest_group`` (``fields: ["active"]``). Raises :class:`NotFound`."""
    vs.require(Role.COORDINATOR)
    with vs.transaction():
        row = InterestGroup.get_or_none(InterestGroup.id == group_id)
        if row is None:
            raise NotFound(_("No such interest group."))
        if bool(row.active) == active:
            return False
        InterestGroup.update(active=active, updated_at=vs.now_iso(),
                             updated_by=vs.actor.id).where(
            InterestGroup.id == group_id).execute()
        audit.record(vs, "update", "interest_group", group_id,
                     {"fields": ["active"], "active": active})
    return True
