"""Two counselors editing the same record: the optimistic check on the record's version.

An edit form remembers the ``version`` of the row it started from (a counter that every
change through the form's service raises by one: ``updated_at`` alone has one-second
resolution, so two saves in the same second would look like one version) and passes it to
the service with the save. When the stored row changed meanwhile (another session saved
first), the service writes nothing and raises :class:`EditedMeanwhile`, which says who
changed which fields and when — read from the audit trail, whose ``update`` events name the
changed fields — so the form keeps the user's text and lets them decide (DESIGN §12,
issue 14 "two counselors editing the same record"). Nothing is silently overwritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from counselor_tui.i18n import _
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict


@dataclass(frozen=True)
class ChangeMeanwhile:
    """One change another session committed after the form was opened: the author's
    display name (or username), the time in storage form, the changed field names."""

    by: str
    at: str
    fields: tuple[str, ...]


class EditedMeanwhile(Conflict):
    """The record changed after the form was opened. ``changes`` lists what changed
    meanwhile (oldest first); ``current_version`` is the stored version now (pass it with
    the next save to save over it deliberately)."""

    def __init__(self, message: str, changes: tuple[ChangeMeanwhile, ...],
                 current_version: int) -> None:
        super().__init__(message)
        self.changes = changes
        self.current_version = current_version


def _field_label(name: str) -> str:
    labels = {
        "note": _("note"), "risk": _("risk"), "intervention": _("intervention"),
        "referral": _("referral"), "topics": _("topics"), "started_at": _("date and time"),
        "duration_min": _("duration"), "channel": _("channel"), "kind": _("kind"),
        "follow_up_on": _("follow-up"), "sealed": _("sealed"), "person_id": _("person"),
        "incident_id": _("incident"), "caller_label": _("caller label"),
    }
    return labels.get(name, name)


def changes_since(vs: VaultSession, entity: str, entity_id: int,
                  count: int) -> tuple[ChangeMeanwhile, ...]:
    """The last ``count`` ``update`` events of ``entity`` ``entity_id`` (the changes made
    since a version ``count`` behind the stored one), oldest first (inside ``reading`` or a
    transaction). Ordered by the audit sequence, not by time: saves within one second are
    told apart."""
    if count <= 0:
        return ()
    rows = vs.execute(
        "SELECT a.at, a.user, a.detail, u.display_name FROM audit_event a "
        "LEFT JOIN user u ON u.username = a.user "
        "WHERE a.entity = ? AND a.entity_id = ? AND a.action = 'update' "
        "ORDER BY a.seq DESC LIMIT ?", (entity, str(entity_id), count)).fetchall()
    found = []
    for at, user, detail, display in reversed(rows):
        try:
            parsed = json.loads(detail) if detail else {}
        except ValueError:
            parsed = {}
        fields = parsed.get("fields", []) if isinstance(parsed, dict) else []
        found.append(ChangeMeanwhile(str(display or user), str(at),
                                     tuple(str(f) for f in fields)))
    return tuple(found)


def check_unchanged(vs: VaultSession, entity: str, entity_id: int, expected: int | None,
                    current: int, current_updated_at: str) -> None:
    """Raise :class:`EditedMeanwhile` when ``current`` (the stored version counter) is not
    the ``expected`` version the form started from; ``expected`` None skips the check
    (callers without a form, e.g. imports). ``current_updated_at`` (storage form) names the
    time when the audit trail has no event to tell. Must run inside the saving transaction,
    so the check and the write are one."""
    if expected is None or expected == current:
        return
    changes = changes_since(vs, entity, entity_id, current - expected)
    if changes:
        parts = [_("{who} at {time} ({fields})").format(
            who=c.by, time=c.at[11:16] if len(c.at) >= 16 else c.at,
            fields=", ".join(_field_label(f) for f in c.fields) or "-") for c in changes]
        said = "; ".join(parts)
    else:
        said = _("another session at {time}").format(time=current_updated_at[11:16])
    raise EditedMeanwhile(
        _("Changed meanwhile by {changes}. Nothing was saved; your text is still in the "
          "form. Compare it with the record, then ctrl+s saves your version over it, or "
          "Esc discards yours.").format(changes=said), changes, current)
