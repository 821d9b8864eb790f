"""The tables of a caseload's course (issue 15, points 3–5): appointments, handovers between
counselors, consents (知情同意) and referral exports.

Kept apart from :mod:`db.models` (which re-exports them and lists them in ``ALL_MODELS``); the
foreign keys name their targets lazily (``DeferredForeignKey``), so this module imports only
the model base and :mod:`db.models` may import it first. Storage formats as DESIGN §4:
timestamps ISO-8601 with offset, dates ``YYYY-MM-DD``. Created by migration 11.
"""

from __future__ import annotations

import peewee as pw

from db.model_base import BaseModel, JSONField


class Appointment(BaseModel):
    """A scheduled session (预约): a person (or an anonymous caller, ``person`` NULL, with an
    optional ``caller_label``), the counselor, ``starts_at`` (ISO with offset),
    ``duration_min``, ``channel`` (a DESIGN §2 channel code), a short ``note`` (the purpose,
    no clinical text), ``status`` ``scheduled`` / ``kept`` (``session`` is the session logged
    from it) / ``cancelled`` (``cancel_reason``). A scheduled appointment whose end has passed
    is *missed* (derived, never stored)."""

    person = pw.DeferredForeignKey("Person", null=True, backref="+")
    person_id: int | None
    caller_label = pw.TextField(null=True)
    counselor = pw.DeferredForeignKey("User", backref="+")
    counselor_id: int
    starts_at = pw.TextField()
    duration_min = pw.IntegerField(default=50)
    channel = pw.TextField()
    note = pw.TextField(default="")
    status = pw.TextField(default="scheduled")
    session = pw.DeferredForeignKey("CounselingSession", null=True, backref="+")
    session_id: int | None
    cancel_reason = pw.TextField(null=True)
    created_at = pw.TextField()
    created_by = pw.DeferredForeignKey("User", backref="+")
    created_by_id: int
    updated_at = pw.TextField()
    updated_by = pw.DeferredForeignKey("User", backref="+")
    updated_by_id: int


class Handover(BaseModel):
    """One handover (交接) of a counselor's open work to another: who from, who to, when,
    by whom, the written ``reason``, whether the giver's account was disabled with it, and
    ``moved`` (JSON: ``{"persons": [ids], "follow_ups": [session ids], "steps": [step ids],
    "appointments": [appointment ids]}``)."""

    from_user = pw.DeferredForeignKey("User", backref="+")
    from_user_id: int
    to_user = pw.DeferredForeignKey("User", backref="+")
    to_user_id: int
    at = pw.TextField()
    by = pw.DeferredForeignKey("User", backref="+")
    by_id: int
    reason = pw.TextField(default="")
    disabled = pw.BooleanField(default=False)
    moved = JSONField(default=dict)


class CaseAccess(BaseModel):
    """A person's caseload entry changed by a handover: ``granted`` 1 — the counselor holds
    the person (sees the record although they never served them); 0 — the person was handed
    away from this counselor (their own past sessions no longer make the record visible)."""

    person = pw.DeferredForeignKey("Person", backref="+")
    person_id: int
    user = pw.DeferredForeignKey("User", backref="+")
    user_id: int
    granted = pw.BooleanField()
    handover = pw.ForeignKeyField(Handover, backref="+")
    handover_id: int

    class Meta:
        primary_key = pw.CompositeKey("person", "user")


class FollowUpHolder(BaseModel):
    """Who now holds the open follow-up of session ``session`` (else its author)."""

    session = pw.DeferredForeignKey("CounselingSession", primary_key=True, backref="+")
    session_id: int
    user = pw.DeferredForeignKey("User", backref="+")
    user_id: int
    handover = pw.ForeignKeyField(Handover, backref="+")
    handover_id: int


class StepHolder(BaseModel):
    """Who now holds the open incident step ``step`` (sees its incident and records it)."""

    step = pw.DeferredForeignKey("IncidentStep", primary_key=True, backref="+")
    step_id: int
    user = pw.DeferredForeignKey("User", backref="+")
    user_id: int
    handover = pw.ForeignKeyField(Handover, backref="+")
    handover_id: int


class Consent(BaseModel):
    """An informed consent (知情同意) on a person's record: the date it was given
    (``given_on``), its ``scope`` (codes, JSON list: ``counseling``, ``assessment``,
    ``referral``, ``transfer``), an optional note, who recorded it when. The latest row is
    the consent in force; earlier rows are its history."""

    person = pw.DeferredForeignKey("Person", backref="+")
    person_id: int
    given_on = pw.TextField()
    scope = JSONField(default=list)
    note = pw.TextField(default="")
    created_at = pw.TextField()
    created_by = pw.DeferredForeignKey("User", backref="+")
    created_by_id: int


class ReferralExport(BaseModel):
    """One export of a person's archive for a referral or a transfer (转介/移交): the
    ``recipient``, the ``purpose`` (``referral`` / ``transfer``), whether sealed notes were
    included, the package file name, its SHA-256, who exported it when."""

    person = pw.DeferredForeignKey("Person", backref="+")
    person_id: int
    recipient = pw.TextField()
    purpose = pw.TextField()
    include_sealed = pw.BooleanField(default=False)
    package_name = pw.TextField()
    package_sha256 = pw.TextField()
    at = pw.TextField()
    by = pw.DeferredForeignKey("User", backref="+")
    by_id: int


CARE_MODELS: tuple[type[BaseModel], ...] = (
    Appointment, Handover, CaseAccess, FollowUpHolder, StepHolder, Consent, ReferralExport,
)
