"""Two counselors editing the same record: the optimistic check on ``updated_at``.

An edit form remembers the ``updated_at`` of the version it started from and passes it to
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
    meanwhile (oldest first); ``current_updated_at`` is the stored version now (pass it
    with the next save to save over it deliberately)."""

    def __init__(self, message: str, changes: tuple[ChangeMeanwhile, ...],
                 current_updated_at: str) -> None:
        super().__init__(message)
        self.changes = changes
        self.current_updated_at = current_updated_at


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
                  since: str) -> tuple[ChangeMeanwhile, ...]:
    """The ``update`` events of ``entity`` ``entity_id`` committed after ``since`` (storage
    form), oldest first (inside ``reading`` or a transaction)."""
    rows = vs.execute(
        "SELECT a.at, a.user, a.detail, u.display_name FROM audit_event a "
        "LEFT JOIN user u ON u.username = a.user "
        "WHERE a.entity = ? AND a.entity_id = ? AND a.action = 'update' AND a.at > ? "
        "ORDER BY a.seq", (entity, str(entity_id), since)).fetchall()
    found = []
    for at, user, detail, display in rows:
        try:
            parsed = json.loads(detail) if detail else {}
        except ValueError:
            parsed = {}
        fields = parsed.get("fields", []) if isinstance(parsed, dict) else []
        found.append(ChangeMeanwhile(str(display or user), str(at),
                                     tuple(str(f) for f in fields)))
    return tuple(found)


def check_unchanged(vs: VaultSession, entity: str, entity_id: int, expected: str | None,
                    current: str) -> None:
    """Raise :class:`EditedMeanwhile` when ``current`` (the stored ``updated_at``) is not
    the ``expected`` version the form started from; ``expected`` None skips the check
    (callers without a form, e.g. imports). Must run inside the saving transaction, so the
    check and the write are one."""
    if expected is None or expected == current:
        return
    changes = changes_since(vs, entity, entity_id, expected)
    if changes:
        parts = [_("{who} at {time} ({fields})").format(
            who=c.by, time=c.at[11:16] if len(c.at) >= 16 else c.at,
            fields=", ".join(_field_label(f) for f in c.fields) or "-") for c in changes]
        said = "; ".join(parts)
    else:
        said = _("another session at {time}").format(time=current[11:16])
    raise EditedMeanwhile(
        _("Changed meanwhile by {changes}. Nothing was saved; your text is still in the "
          "form. Compare it with the record, then ctrl+s saves your version over it, or "
          "Esc discards yours.").format(changes=said), changes, current)
