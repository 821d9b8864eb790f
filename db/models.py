"""The peewee models of the whole data model (DESIGN §4).

Every model is bound to :data:`database_proxy`, initialised with a
:class:`db.connection.VaultDatabase` at unlock. Storage formats (DESIGN §4): timestamps are
ISO-8601 text with an explicit offset (``2026-11-03T14:30:00+08:00``); dates are
``YYYY-MM-DD`` text; JSON columns hold UTF-8 JSON text. Every clinical or administrative row
carries ``created_at/created_by/updated_at/updated_by`` (the acting :class:`User`). Nothing
clinical is hard-deleted: a wrongly entered row is voided (``voided_at``, ``voided_by``,
``void_reason``) and stays visible to admins and the audit.

The schema itself is created by :mod:`db.migrations` (frozen SQL per version), not by
``create_tables``; a test keeps the two in agreement.
"""

from __future__ import annotations

import peewee as pw

from db.model_base import BaseModel as BaseModel
from db.model_base import JSONField as JSONField
from db.model_base import SchemaVersion as SchemaVersion
from db.model_base import database_proxy as database_proxy
from db.models_care import CARE_MODELS
from db.models_instruments import BureauInstrument as BureauInstrument
from db.models_org import ORG_MODELS
from db.models_people import PEOPLE_MODELS
from db.models_people import PersonMove as PersonMove
from db.models_people import PersonVersion as PersonVersion
from db.models_trust import TrustedSigner as TrustedSigner


class User(BaseModel):
    """A counselor account (``Counselor`` in DESIGN §2): role counselor / coordinator /
    auditor / admin."""

    username = pw.TextField(unique=True)
    display_name = pw.TextField()
    role = pw.TextField()
    unit = pw.DeferredForeignKey("Unit", null=True, backref="+", on_delete="RESTRICT")
    unit_id: int | None
    active = pw.BooleanField(default=True)
    disabled_at = pw.TextField(null=True)
    created_at = pw.TextField()
    created_by = pw.ForeignKeyField("self", null=True, backref="+")
    created_by_id: int | None
    updated_at = pw.TextField()
    updated_by = pw.ForeignKeyField("self", null=True, backref="+")
    updated_by_id: int | None


class Tracked(BaseModel):
    """Abstract base: who created and last changed a row, and when."""

    created_at = pw.TextField()
    created_by = pw.ForeignKeyField(User, backref="+")
    created_by_id: int
    updated_at = pw.TextField()
    updated_by = pw.ForeignKeyField(User, backref="+")
    updated_by_id: int


class Voidable(Tracked):
    """Abstract base for clinical rows that are voided (tombstoned), never deleted."""

    voided_at = pw.TextField(null=True)
    voided_by = pw.ForeignKeyField(User, null=True, backref="+")
    voided_by_id: int | None
    void_reason = pw.TextField(null=True)


class Setting(BaseModel):
    """A key/value setting (values are JSON text)."""

    key = pw.TextField(primary_key=True)
    value = JSONField()
    updated_at = pw.TextField()
    updated_by = pw.ForeignKeyField(User, null=True, backref="+")
    updated_by_id: int | None


class Unit(Tracked):
    """A station, brigade or office; ``police_type`` is its default police type (警种)."""

    code = pw.TextField(unique=True)
    name = pw.TextField()
    police_type = pw.TextField()
    parent = pw.ForeignKeyField("self", null=True, backref="children")
    parent_id: int | None
    active = pw.BooleanField(default=True)


class TrainingRecord(Voidable):
    """A counselor's training: date, title, hours, provider; ``version`` (1, then one more
    per correction, the replaced versions kept in :class:`TrainingRecordVersion`); voided
    with a reason, never deleted (the void columns and versions: migration 6)."""

    user = pw.ForeignKeyField(User, backref="trainings")
    user_id: int
    date = pw.TextField()
    title = pw.TextField()
    hours = pw.FloatField()
    provider = pw.TextField(default="")
    version = pw.IntegerField(default=1)


class TrainingRecordVersion(BaseModel):
    """A replaced version of a training record, kept when it was corrected (never changed:
    triggers refuse UPDATE and DELETE): the fields as they were, ``replaced_by``/``at``."""

    record = pw.ForeignKeyField(TrainingRecord, backref="versions")
    record_id: int
    version = pw.IntegerField()
    user = pw.ForeignKeyField(User, backref="+")
    user_id: int
    date = pw.TextField()
    title = pw.TextField()
    hours = pw.FloatField()
    provider = pw.TextField()
    replaced_at = pw.TextField()
    replaced_by = pw.ForeignKeyField(User, backref="+")
    replaced_by_id: int

    class Meta:
        indexes = ((("record", "version"), True),)


class Person(Voidable):
    """Someone counseled (服务对象): ``kind`` officer / family / other.

    Officers have a unique badge number (警号); family members and others have none.
    ``name_pinyin`` (full pinyin, no spaces) and ``name_initials`` serve search,
    ``name_sort`` the name order.
    """

    kind = pw.TextField()
    badge_no = pw.TextField(null=True, unique=True)
    name = pw.TextField()
    name_pinyin = pw.TextField(default="")
    name_initials = pw.TextField(default="")
    gender = pw.TextField(null=True)
    birth_date = pw.TextField(null=True)
    unit = pw.ForeignKeyField(Unit, null=True, backref="persons")
    unit_id: int | None
    police_type = pw.TextField(null=True)
    post = pw.TextField(default="")
    hire_date = pw.TextField(null=True)
    phone = pw.TextField(null=True)
    consent_on = pw.TextField(null=True)
    archived_at = pw.TextField(null=True)
    #: Bureau-local date of the latest non-voided session; kept by triggers (migration 3).
    last_session_on = pw.TextField(null=True)
    #: Migration 12: why a former officer left (the date: ``archived_at``); de-identified when.
    left_reason = pw.TextField(null=True)
    deidentified_at = pw.TextField(null=True)
    #: The archive's computed sort keys, kept by triggers (migration 13): the unit's name,
    #: the tier's rank (green 0, yellow 1, red 2) and the next review date of tier_state.
    sort_unit = pw.TextField(null=True)
    sort_tier = pw.IntegerField(null=True)
    sort_review = pw.TextField(null=True)
    #: What the monthly compile reads, kept by triggers (migration 19; never written by the
    #: program): the earliest non-voided session's ``started_at`` and the current tier by
    #: the compile's rule (``none`` without one).
    first_session_at = pw.TextField(null=True)
    tier_now = pw.TextField(default="none")
    #: Migration 17: the name's sort key by pinyin syllable (``domain.pinyin.name_keys``).
    name_sort = pw.TextField(null=True)

    class Meta:
        indexes = (
            (("name",), False),
            (("name_pinyin",), False),
            (("name_initials",), False),
            (("unit", "kind"), False),
        )


class FamilyLink(Tracked):
    """A family member (a Person) linked to an officer with a relation 配偶/子女/父母/其他."""

    person = pw.ForeignKeyField(Person, backref="family_of")
    person_id: int
    officer = pw.ForeignKeyField(Person, backref="family")
    officer_id: int
    relation = pw.TextField()

    class Meta:
        indexes = ((("person", "officer"), True),)


class Incident(Voidable):
    """A critical incident or individual crisis with its response clock."""

    kind = pw.TextField()
    title = pw.TextField()
    occurred_at = pw.TextField()
    reported_at = pw.TextField()
    location = pw.TextField(null=True)
    severity = pw.TextField()
    status = pw.TextField(default="open")
    summary = pw.TextField(default="")
    unit = pw.ForeignKeyField(Unit, null=True, backref="incidents")
    unit_id: int | None
    closed_at = pw.TextField(null=True)


class CounselingSession(Voidable):
    """One counseling contact (咨询记录). ``person`` is null for an anonymous hotline caller.

    Editable for 7 days (setting), then ``locked_at`` is set and corrections are addenda.
    ``follow_up_on`` is the planned follow-up date; it is closed by a later session for the
    same person (``follow_up_closed_by``).
    """

    person = pw.ForeignKeyField(Person, null=True, backref="sessions")
    person_id: int | None
    counselor = pw.ForeignKeyField(User, backref="sessions")
    counselor_id: int
    started_at = pw.TextField()
    duration_min = pw.IntegerField()
    channel = pw.TextField()
    kind = pw.TextField()
    note = pw.TextField(default="")
    risk = pw.TextField(default="none")
    intervention = pw.TextField(default="")
    referral = pw.TextField(default="none")
    follow_up_on = pw.TextField(null=True)
    follow_up_closed_at = pw.TextField(null=True)
    follow_up_closed_by = pw.ForeignKeyField("self", null=True, backref="+")
    follow_up_closed_by_id: int | None
    incident = pw.ForeignKeyField(Incident, null=True, backref="sessions")
    incident_id: int | None
    sealed = pw.BooleanField(default=False)
    locked_at = pw.TextField(null=True)
    caller_label = pw.TextField(null=True)
    #: An anonymous caller's category (officer/family/other/unknown; migration 15).
    caller_kind = pw.TextField(null=True)
    #: 1, then one more per change through the edit form (migration 8): the version the
    #: optimistic check of two editors compares (``updated_at`` has one-second resolution).
    version = pw.IntegerField(default=1)

    class Meta:
        indexes = (
            (("person", "started_at"), False),
            (("started_at",), False),
            (("follow_up_on",), False),
            (("counselor", "started_at"), False),
        )


class SessionTopic(BaseModel):
    """A topic (问题类型) of a session; a session has several."""

    session = pw.ForeignKeyField(CounselingSession, backref="topics", on_delete="CASCADE")
    session_id: int
    topic = pw.TextField()

    class Meta:
        primary_key = pw.CompositeKey("session", "topic")


class SessionAddendum(BaseModel):
    """A correction appended to a locked session."""

    session = pw.ForeignKeyField(CounselingSession, backref="addenda")
    session_id: int
    text = pw.TextField()
    by = pw.ForeignKeyField(User, backref="+")
    by_id: int
    at = pw.TextField()


class Census(Tracked):
    """A screening campaign (普查): window, instruments, target units, status.

    ``frozen_figures`` holds the completion figures fixed when the campaign is closed.
    """

    name = pw.TextField()
    starts_on = pw.TextField()
    ends_on = pw.TextField()
    instruments = JSONField()
    status = pw.TextField(default="open")
    closed_at = pw.TextField(null=True)
    frozen_figures = JSONField(null=True)


class CensusUnit(BaseModel):
    """A target unit of a census (many-to-many)."""

    census = pw.ForeignKeyField(Census, backref="units", on_delete="CASCADE")
    census_id: int
    unit = pw.ForeignKeyField(Unit, backref="+")
    unit_id: int

    class Meta:
        primary_key = pw.CompositeKey("census", "unit")


class Assessment(Voidable):
    """One administration of an instrument to a person, with responses and scores."""

    person = pw.ForeignKeyField(Person, backref="assessments")
    person_id: int
    instrument_code = pw.TextField()
    instrument_version = pw.TextField()
    administered_on = pw.TextField()
    responses = JSONField()
    total = pw.FloatField(null=True)
    subscales = JSONField(default=dict)
    band = pw.TextField(null=True)
    flags = JSONField(default=dict)
    positive = pw.BooleanField(null=True)
    complete = pw.BooleanField(default=True)
    census = pw.ForeignKeyField(Census, null=True, backref="assessments")
    census_id: int | None
    source = pw.TextField(default="manual")

    class Meta:
        indexes = ((("person", "instrument_code", "administered_on"), False),)


class TierState(Tracked):
    """A person's current tier (green/yellow/red), since when, and the next review date."""

    person = pw.ForeignKeyField(Person, unique=True, backref="+")
    person_id: int
    tier = pw.TextField()
    since = pw.TextField()
    review_due = pw.TextField(null=True)


class TierChange(BaseModel):
    """One change of tier with its reason and evidence ids (assessment/session/incident)."""

    person = pw.ForeignKeyField(Person, backref="tier_changes")
    person_id: int
    from_tier = pw.TextField(null=True)
    to_tier = pw.TextField()
    reason = pw.TextField()
    evidence = JSONField(default=dict)
    suggested = pw.BooleanField(default=False)
    by = pw.ForeignKeyField(User, backref="+")
    by_id: int
    at = pw.TextField()


class TierSuggestion(BaseModel):
    """A tier suggested by the policy, waiting for a counselor to confirm or override."""

    person = pw.ForeignKeyField(Person, backref="tier_suggestions")
    person_id: int
    tier = pw.TextField()
    rule = pw.TextField()
    evidence = JSONField(default=dict)
    status = pw.TextField(default="pending")
    created_at = pw.TextField()
    resolved_at = pw.TextField(null=True)
    resolved_by = pw.ForeignKeyField(User, null=True, backref="+")
    resolved_by_id: int | None
    change = pw.ForeignKeyField(TierChange, null=True, backref="+")
    change_id: int | None


class IncidentExposure(Tracked):
    """A person exposed to an incident: role involved / witness / injured / family."""

    incident = pw.ForeignKeyField(Incident, backref="exposures")
    incident_id: int
    person = pw.ForeignKeyField(Person, backref="exposures")
    person_id: int
    role = pw.TextField()

    class Meta:
        indexes = ((("incident", "person"), True),)


class IncidentStep(Tracked):
    """A step of an incident's response plan with its due time and completion."""

    incident = pw.ForeignKeyField(Incident, backref="steps")
    incident_id: int
    person = pw.ForeignKeyField(Person, null=True, backref="+")
    person_id: int | None
    step = pw.TextField()
    due_at = pw.TextField()
    done_at = pw.TextField(null=True)
    waived_reason = pw.TextField(null=True)
    form = pw.TextField(null=True)
    by = pw.ForeignKeyField(User, null=True, backref="+")
    by_id: int | None
    note = pw.TextField(default="")
    session = pw.ForeignKeyField(CounselingSession, null=True, backref="+")
    session_id: int | None

    class Meta:
        indexes = ((("done_at", "due_at"), False),)


class FirearmRestriction(Tracked):
    """A firearm restriction (配枪限制): recommended → suspended/revoked/declined → reinstated.

    The register's history is the sequence of its :class:`FirearmEvent` rows; this row keeps
    the recommendation (``reason_code``, ``recommended_by``, ``recommended_at``, ``note``)
    and, as a summary of the events, the current ``status`` and the next ``review_on``.
    ``decided_by_name``, ``decided_at``, ``recorded_by`` and ``ended_at`` are the old
    single-decision form (schema 1–4): migration 5 copied them into events and left them as
    they were; nothing writes them any more (NULL on newer rows).
    """

    person = pw.ForeignKeyField(Person, backref="firearm_restrictions")
    person_id: int
    status = pw.TextField()
    reason_code = pw.TextField()
    recommended_by = pw.ForeignKeyField(User, backref="+")
    recommended_by_id: int
    recommended_at = pw.TextField()
    decided_by_name = pw.TextField(null=True)
    decided_at = pw.TextField(null=True)
    recorded_by = pw.ForeignKeyField(User, null=True, backref="+")
    recorded_by_id: int | None
    review_on = pw.TextField(null=True)
    ended_at = pw.TextField(null=True)
    note = pw.TextField(default="")


class FirearmEvent(BaseModel):
    """One event of a firearm restriction, appended and never changed (triggers refuse
    UPDATE and DELETE): ``kind`` recommended / decided / reviewed / reinstated; ``outcome``
    (decided: suspended / revoked / declined; reviewed: no_change / revoked; reinstated:
    reinstated; recommended: NULL); ``on_date`` the date of the event (``YYYY-MM-DD``);
    ``decided_by_name`` the named decision-maker; ``reason_code`` (recommended);
    ``next_review_on`` the review date it set; ``by``/``at`` who recorded it and when;
    ``not_kept`` (JSON list of field names) what the old single-decision form could not
    keep when migration 5 moved an old restriction (those fields are NULL).
    """

    restriction = pw.ForeignKeyField(FirearmRestriction, backref="events")
    restriction_id: int
    kind = pw.TextField()
    outcome = pw.TextField(null=True)
    on_date = pw.TextField(null=True)
    decided_by_name = pw.TextField(null=True)
    reason_code = pw.TextField(null=True)
    next_review_on = pw.TextField(null=True)
    by = pw.ForeignKeyField(User, backref="+")
    by_id: int
    at = pw.TextField()
    not_kept = JSONField(default=list)


class InterestGroup(Tracked):
    """An interest group (兴趣小组) run by the bureau."""

    name = pw.TextField(unique=True)
    lead = pw.TextField(default="")
    members = pw.IntegerField(default=0)
    active = pw.BooleanField(default=True)


class Activity(Voidable):
    """Training, drill, lecture, interest-group meeting or group session."""

    kind = pw.TextField()
    title = pw.TextField()
    date = pw.TextField()
    unit = pw.ForeignKeyField(Unit, null=True, backref="+")
    unit_id: int | None
    group = pw.ForeignKeyField(InterestGroup, null=True, backref="activities")
    group_id: int | None
    participants = pw.IntegerField(default=0)
    hours = pw.FloatField(default=0)
    note = pw.TextField(default="")
    version = pw.IntegerField(default=1)


class ActivityVersion(BaseModel):
    """A replaced version of an activity, kept when it was corrected (never changed:
    triggers refuse UPDATE and DELETE): the fields as they were, ``counselor_ids`` (JSON
    list of account ids), ``replaced_by``/``at``."""

    activity = pw.ForeignKeyField(Activity, backref="versions")
    activity_id: int
    version = pw.IntegerField()
    kind = pw.TextField()
    title = pw.TextField()
    date = pw.TextField()
    unit = pw.ForeignKeyField(Unit, null=True, backref="+")
    unit_id: int | None
    group = pw.ForeignKeyField(InterestGroup, null=True, backref="+")
    group_id: int | None
    participants = pw.IntegerField()
    hours = pw.FloatField()
    note = pw.TextField()
    counselor_ids = JSONField(default=list)
    replaced_at = pw.TextField()
    replaced_by = pw.ForeignKeyField(User, backref="+")
    replaced_by_id: int

    class Meta:
        indexes = ((("activity", "version"), True),)


class ActivityCounselor(BaseModel):
    """A counselor who ran an activity (many-to-many)."""

    activity = pw.ForeignKeyField(Activity, backref="counselors", on_delete="CASCADE")
    activity_id: int
    user = pw.ForeignKeyField(User, backref="+")
    user_id: int

    class Meta:
        primary_key = pw.CompositeKey("activity", "user")


class Submission(Tracked):
    """A compiled periodic report (报送) and its lifecycle draft → final → exported."""

    period_kind = pw.TextField()
    period_start = pw.TextField()
    scope = pw.TextField()
    version = pw.IntegerField()
    status = pw.TextField(default="draft")
    content = JSONField(null=True)
    narrative = JSONField(default=dict)
    suppression_k = pw.IntegerField(default=3)
    content_sha256 = pw.TextField(null=True)
    audit_head = pw.TextField(null=True)
    finalized_by = pw.ForeignKeyField(User, null=True, backref="+")
    finalized_by_id: int | None
    finalized_at = pw.TextField(null=True)
    package_name = pw.TextField(null=True)
    replaces = pw.ForeignKeyField("self", null=True, backref="+")
    replaces_id: int | None

    class Meta:
        indexes = ((("period_kind", "period_start", "scope", "version"), True),)


class AuditEvent(BaseModel):
    """One append-only, hash-chained audit record (see counselor_tui.domain.audit_chain)."""

    seq = pw.IntegerField(primary_key=True)
    at = pw.TextField()
    user = pw.TextField()
    action = pw.TextField()
    entity = pw.TextField(default="")
    entity_id = pw.TextField(default="")
    detail = JSONField(default=dict)
    prev_hash = pw.TextField()
    hash = pw.TextField()
    #: The account that wrote the event and its Ed25519 signature of ``seq`` and ``hash``
    #: (issue 11; None for events written before signed grants).
    signer = pw.TextField(null=True)
    sig = pw.BlobField(null=True)


class SigningKey(BaseModel):
    """The vault's Ed25519 key for signing submission packages (private key inside the vault)."""

    private_key = pw.BlobField()
    public_key = pw.BlobField()
    fingerprint = pw.TextField(unique=True)
    created_at = pw.TextField()
    active = pw.BooleanField(default=True)


ALL_MODELS: tuple[type[BaseModel], ...] = (
    SchemaVersion,
    User,
    Setting,
    Unit,
    TrainingRecord,
    TrainingRecordVersion,
    Person,
    FamilyLink,
    Incident,
    CounselingSession,
    SessionTopic,
    SessionAddendum,
    Census,
    CensusUnit,
    Assessment,
    BureauInstrument,
    TierState,
    TierChange,
    TierSuggestion,
    IncidentExposure,
    IncidentStep,
    FirearmRestriction,
    FirearmEvent,
    InterestGroup,
    Activity,
    ActivityVersion,
    ActivityCounselor,
    Submission,
    AuditEvent,
    SigningKey,
    TrustedSigner,
    *CARE_MODELS, *PEOPLE_MODELS, *ORG_MODELS,
)
