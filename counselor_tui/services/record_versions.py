"""Kept versions of corrected training records and activities (issue 19; DESIGN §4).

A correction never overwrites silently: before :func:`counselor_tui.services.team.
correct_training` or :func:`counselor_tui.services.activities.update_activity` writes the
new values, the version being replaced is copied into ``training_record_version`` /
``activity_version`` (who replaced it and when), and the live row's ``version`` goes up by
one. Kept versions are never changed (the database refuses UPDATE and DELETE).

This module writes those copies (inside the caller's transaction) and reads a record's
versions, oldest first, for the team and activities screens.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import NotFound, PermissionDenied
from db.models import Activity, ActivityVersion, TrainingRecord, TrainingRecordVersion

__all__ = ["ActivityVersionRow", "TrainingVersionRow", "activity_versions",
           "keep_activity", "keep_training", "training_versions"]


@dataclass(frozen=True)
class TrainingVersionRow:
    """One version of a training record: ``version`` (1 …), the fields of that version,
    ``replaced_at``/``replaced_by`` (display name) — None for the current version."""

    version: int
    date: str
    title: str
    hours: float
    provider: str
    replaced_at: str | None
    replaced_by: str | None


@dataclass(frozen=True)
class ActivityVersionRow:
    """One version of an activity (as :class:`TrainingVersionRow`); ``counselor_ids`` the
    accounts who ran it in that version."""

    version: int
    kind: str
    title: str
    date: str
    participants: int
    hours: float
    counselor_ids: tuple[int, ...]
    replaced_at: str | None
    replaced_by: str | None


def keep_training(vs: VaultSession, row: TrainingRecord) -> int:
    """Copy the current version of ``row`` before it is corrected (inside the caller's
    transaction); returns the number of the next version."""
    TrainingRecordVersion.create(
        record=row.id, version=row.version, user=row.user_id, date=row.date, title=row.title,
        hours=row.hours, provider=row.provider, replaced_at=vs.now_iso(),
        replaced_by=vs.actor.id)
    return int(row.version) + 1


def keep_activity(vs: VaultSession, row: Activity, counselor_ids: list[int]) -> int:
    """Copy the current version of activity ``row`` (with its counselors) before it is
    corrected (inside the caller's transaction); returns the number of the next version."""
    ActivityVersion.create(
        activity=row.id, version=row.version, kind=row.kind, title=row.title, date=row.date,
        unit=row.unit_id, group=row.group_id, participants=row.participants, hours=row.hours,
        note=row.note, counselor_ids=sorted(counselor_ids), replaced_at=vs.now_iso(),
        replaced_by=vs.actor.id)
    return int(row.version) + 1


def training_versions(vs: VaultSession, training_id: int) -> list[TrainingVersionRow]:
    """Every version of a training record, oldest first, the current one last.
    Coordinators, and counselors for their own records. Raises :class:`NotFound`,
    :class:`PermissionDenied`."""
    role = vs.actor.role
    if role not in (Role.COUNSELOR, Role.COORDINATOR):
        raise PermissionDenied(_("Your role ({role}) does not see training records.").format(
            role=role.label))
    with vs.reading():
        row = TrainingRecord.get_or_none(TrainingRecord.id == training_id)
        if row is None:
            raise NotFound(_("No such training record."))
        if role is Role.COUNSELOR and row.user_id != vs.actor.id:
            raise PermissionDenied(_("Counselors see their own training records only."))
        kept = [TrainingVersionRow(int(v), str(d), str(t), float(h), str(p), str(at), str(n))
                for v, d, t, h, p, at, n in vs.execute(
                    "SELECT v.version, v.date, v.title, v.hours, v.provider, v.replaced_at, "
                    'u.display_name FROM training_record_version v JOIN "user" u '
                    "ON u.id = v.replaced_by_id WHERE v.record_id = ? ORDER BY v.version",
                    (training_id,))]
    return [*kept, TrainingVersionRow(int(row.version), row.date, row.title, float(row.hours),
                                      row.provider, None, None)]


def activity_versions(vs: VaultSession, activity_id: int) -> list[ActivityVersionRow]:
    """Every version of an activity, oldest first, the current one last. Counselors and
    coordinators. Raises :class:`NotFound`, :class:`PermissionDenied`."""
    if vs.actor.role not in (Role.COUNSELOR, Role.COORDINATOR):
        raise PermissionDenied(_("Your role ({role}) does not see the list of activities.")
                               .format(role=vs.actor.role.label))
    with vs.reading():
        row = Activity.get_or_none(Activity.id == activity_id)
        if row is None:
            raise NotFound(_("No such activity."))
        kept = [ActivityVersionRow(int(v), str(k), str(t), str(d), int(p), float(h),
                                   tuple(json.loads(c)), str(at), str(n))
                for v, k, t, d, p, h, c, at, n in vs.execute(
                    "SELECT v.version, v.kind, v.title, v.date, v.participants, v.hours, "
                    'v.counselor_ids, v.replaced_at, u.display_name FROM activity_version v '
                    'JOIN "user" u ON u.id = v.replaced_by_id WHERE v.activity_id = ? '
                    "ORDER BY v.version", (activity_id,))]
        current = tuple(int(r[0]) for r in vs.execute(
            "SELECT user_id FROM activity_counselor WHERE activity_id = ? ORDER BY user_id",
            (activity_id,)))
    return [*kept, ActivityVersionRow(int(row.version), row.kind, row.title, row.date,
                                      int(row.participants), float(row.hours), current,
                                      None, None)]
