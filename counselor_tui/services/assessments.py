"""Assessments 测评: score with the instrument engine, store, suggest a tier, raise alerts.

DESIGN §4 (``Assessment``), §7.1 (instruments), §7.2 (tiers); issue 4 §3, §6, §7.

:func:`record_assessment` scores the responses with
:func:`counselor_tui.domain.instruments.score` (settings: the vault's ``pcl5_cutoff``),
stores responses, total, subscales, band, flags (critical items, screen result, provisional
diagnosis, prorating, missing items, positive/negative counts, derived values), ``positive``
and ``complete``; links the assessment to a census (given, or the one open census whose
window, instruments and target units contain it); asks
:mod:`counselor_tui.services.tier_policy` for a suggestion; and returns the critical-item
alerts (PHQ-9 item 9 ≥ 1, SCL-90 items 15/59/63 ≥ 3) for the caller to show at once, with
whether to offer a firearm-suspension recommendation. One transaction, audited ``create
assessment`` (ids and codes only).

Roles: counselors (persons they see) and coordinators record; the same plus admins read
(admins read the archive without notes, see :mod:`counselor_tui.services.persons`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from counselor_tui.domain import instruments as engine
from counselor_tui.domain import policy as rules
from counselor_tui.domain.permissions import Action
from counselor_tui.i18n import _, language
from counselor_tui.services import audit, firearms, tier_policy
from counselor_tui.services import instruments as instrument_defs
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound
from counselor_tui.services.settings import get_setting
from db.models import Assessment, Census, Person

SOURCES = ("manual", "import")
MAX_VOID_REASON = 500


@dataclass(frozen=True)
class InstrumentInfo:
    """An instrument a counselor may pick: code, translated name, item count, response
    range, and whether item texts are shipped (SCL-90: numbers only)."""

    code: str
    name: str
    item_count: int
    response_min: int
    response_max: int
    has_texts: bool


@dataclass(frozen=True)
class AssessmentDraft:
    """One administration to record: person, instrument code, one response per item
    (``None`` = missing), the day it was administered, optional census id."""

    person_id: int
    instrument: str
    responses: tuple[int | None, ...]
    administered_on: date
    census_id: int | None = None


@dataclass(frozen=True)
class CriticalAlert:
    """A critical item that fired: item number, answered value, threshold, topic
    (translated paraphrase, never the item text)."""

    item: int
    value: int
    threshold: int
    topic: str


@dataclass(frozen=True)
class AssessmentSaved:
    """What :func:`record_assessment` wrote and what to show at once.

    ``match`` is the tier the policy gives this result alone (even when not higher than
    ``current_tier``); ``suggestion`` the stored pending suggestion (``None`` when nothing
    higher); ``firearm_prompt`` whether to offer a firearm-suspension recommendation."""

    id: int
    person_id: int
    result: engine.ScoreResult
    census_id: int | None
    current_tier: str | None
    match: rules.Match | None
    suggestion: tier_policy.SuggestionRow | None
    alerts: tuple[CriticalAlert, ...]
    firearm_prompt: bool


@dataclass(frozen=True)
class AssessmentRow:
    """One stored assessment (person record, trends): scores without responses."""

    id: int
    person_id: int
    instrument_code: str
    administered_on: str
    total: float | None
    band: str | None
    positive: bool | None
    complete: bool
    critical_items: tuple[int, ...]
    census_id: int | None
    source: str
    instrument_version: str = ""
    band_label: str = ""


@dataclass(frozen=True)
class PersonBrief:
    """Who is being assessed, as the entry screen shows it."""

    id: int
    name: str
    badge_no: str | None
    unit_name: str | None
    kind: str
    tier: str | None
    review_due: str | None


def person_brief(vs: VaultSession, person_id: int) -> PersonBrief:
    """Name, badge, unit and current tier of a visible person (the head of F4 entry);
    audited ``view person`` with ``{"part": "brief"}``. Raises :class:`NotFound`."""
    with vs.reading():
        person = tier_policy.visible_person(vs, person_id)
        state = tier_policy.state_of(person_id)
        unit = person.unit
        brief = PersonBrief(int(person.id), str(person.name), person.badge_no,
                            None if unit is None else str(unit.name), str(person.kind),
                            None if state is None else str(state.tier),
                            None if state is None else state.review_due)
    audit.record_view(vs, "person", person_id, {"part": "brief"})
    return brief


# --------------------------------------------------------------------------- instruments


def instrument_settings(vs: VaultSession) -> dict[str, float]:
    """The scoring settings of the vault for every instrument (``pcl5.cutoff`` from the
    ``pcl5_cutoff`` setting, default 33)."""
    cutoff = get_setting(vs, "pcl5_cutoff", 33)
    return {"pcl5.cutoff": float(cutoff)}


def definition(vs: VaultSession, code: str) -> engine.InstrumentDefinition:
    """The definition new assessments of ``code`` are scored with: built-in, or the
    current version of the bureau's own (:func:`counselor_tui.services.instruments.current`);
    :class:`InvalidInput` for an unknown code."""
    try:
        return instrument_defs.current(vs, code)
    except engine.UnknownInstrumentError as exc:
        raise InvalidInput(str(exc.args[0]) if exc.args else str(exc)) from None


def instruments(vs: VaultSession) -> list[InstrumentInfo]:
    """Every instrument a counselor may pick — the built-in ones in code order, then the
    bureau's own (current versions) —, named in the interface language."""
    out = []
    for defn in instrument_defs.available(vs):
        out.append(InstrumentInfo(
            code=defn.code, name=defn.name_en if language() == "en" else defn.name_zh,
            item_count=defn.item_count, response_min=defn.response_min,
            response_max=defn.response_max, has_texts=bool(defn.items)))
    return out


def score_with(vs: VaultSession, defn: engine.InstrumentDefinition,
               responses: Sequence[int | None]) -> engine.ScoreResult:
    """Score ``responses`` with ``defn`` and the vault's settings, without storing.
    Raises :class:`InvalidInput` for bad responses (naming the item)."""
    try:
        return engine.score(defn, list(responses), instrument_settings(vs))
    except engine.InstrumentError as exc:
        raise InvalidInput(str(exc)) from None


def score(vs: VaultSession, instrument: str,
          responses: Sequence[int | None]) -> engine.ScoreResult:
    """Score without storing (current definition, vault's settings). Raises
    :class:`InvalidInput` for an unknown instrument or bad responses (naming the item)."""
    return score_with(vs, definition(vs, instrument), responses)


def alerts_for(defn: engine.InstrumentDefinition, result: engine.ScoreResult,
               responses: Sequence[int | None]) -> tuple[CriticalAlert, ...]:
    """The critical-item alerts of a result, with the definition's topic paraphrase."""
    out = []
    for spec in defn.critical_items:
        if spec.item in result.critical_items:
            value = responses[spec.item - 1]
            topic = spec.topic_en if language() == "en" else spec.topic_zh
            out.append(CriticalAlert(spec.item, int(value or 0), spec.threshold, topic))
    return tuple(out)


def flags_of(result: engine.ScoreResult) -> dict[str, Any]:
    """The JSON stored in ``Assessment.flags``."""
    return {
        "critical_items": list(result.critical_items),
        "screen_positive": result.screen_positive,
        "provisional_diagnosis": result.provisional_diagnosis,
        "prorated": result.prorated,
        "missing_items": list(result.missing_items),
        "positive_count": result.positive_count,
        "negative_count": result.negative_count,
        "derived": dict(result.derived),
    }


# --------------------------------------------------------------------------- recording


def _matching_census(vs: VaultSession, person: Person, code: str, on: date) -> int | None:
    """The one open census containing this administration, else ``None``."""
    if person.unit_id is None:
        return None
    rows = vs.execute(
        "SELECT c.id, c.instruments FROM census c JOIN census_unit cu ON cu.census_id = c.id "
        "WHERE c.status = 'open' AND cu.unit_id = ? AND c.starts_on <= ? AND c.ends_on >= ?",
        (person.unit_id, on.isoformat(), on.isoformat())).fetchall()
    ids = [int(r[0]) for r in rows if code in json.loads(r[1] or "[]")]
    return ids[0] if len(ids) == 1 else None


def _check_census(census_id: int, code: str) -> None:
    census = Census.get_or_none(Census.id == census_id)
    if census is None:
        raise NotFound(_("No such census."))
    if census.status != "open":
        raise Conflict(_("This census is closed: its figures are frozen."))
    if code not in (census.instruments or []):
        raise InvalidInput(_("This census does not use the instrument {code}.").format(
            code=code))


def insert_assessment(vs: VaultSession, person: Person, defn: engine.InstrumentDefinition,
                      result: engine.ScoreResult, responses: Sequence[int | None],
                      administered_on: date, census_id: int | None,
                      source: str) -> tuple[int, int | None, tier_policy.SuggestionRow | None]:
    """Insert one scored assessment and its suggestion inside the caller's transaction;
    returns ``(assessment id, census id, suggestion)``. Used by :func:`record_assessment`
    and the responses import."""
    if census_id is None:
        census_id = _matching_census(vs, person, defn.code, administered_on)
    else:
        _check_census(census_id, defn.code)
    now = vs.now_iso()
    row = Assessment.create(
        person=person.id, instrument_code=defn.code, instrument_version=defn.version,
        administered_on=administered_on.isoformat(), responses=list(responses),
        total=result.total, subscales=dict(result.subscales), band=result.band,
        flags=flags_of(result), positive=result.screen_positive, complete=result.complete,
        census=census_id, source=source, created_at=now, created_by=vs.actor.id,
        updated_at=now, updated_by=vs.actor.id)
    audit.record(vs, "create", "assessment", row.id, {
        "person_id": int(person.id), "instrument": defn.code, "source": source,
        "census_id": census_id})
    suggestion = tier_policy.suggest(
        vs, int(person.id), rules.AssessmentFacts(result, tuple(responses), int(row.id)))
    return int(row.id), census_id, suggestion


def _firearm_prompt(vs: VaultSession, person_id: int, tier: str | None,
                    critical: bool) -> bool:
    return firearms.should_prompt_recommendation(vs, person_id, tier=tier,
                                                  critical_item=critical)


def record_assessment(vs: VaultSession, draft: AssessmentDraft,
                      source: str = "manual") -> AssessmentSaved:
    """Score, store and evaluate one assessment (module docstring).

    Raises :class:`InvalidInput` (unknown instrument, wrong number of responses or a value
    out of range — naming the item —, a date in the future, an unknown source),
    :class:`NotFound` (person not visible, unknown census), :class:`Conflict` (closed
    census), :class:`PermissionDenied` (not a counselor or coordinator).
    """
    vs.require_to(Action.RECORD_ASSESSMENT)
    if source not in SOURCES:
        raise InvalidInput(_("Unknown source '{source}'.").format(source=source))
    if draft.administered_on > vs.today():
        raise InvalidInput(_("The administration date is in the future."))
    defn = definition(vs, draft.instrument)
    result = score_with(vs, defn, draft.responses)
    with vs.transaction():
        person = tier_policy.visible_person(vs, draft.person_id)
        state = tier_policy.state_of(draft.person_id)
        current = None if state is None else str(state.tier)
        assessment_id, census_id, suggestion = insert_assessment(
            vs, person, defn, result, draft.responses, draft.administered_on,
            draft.census_id, source)
    match = rules.evaluate(tier_policy.policy(vs),
                           rules.AssessmentFacts(result, draft.responses, assessment_id),
                           vs.today())
    alerts = alerts_for(defn, result, draft.responses)
    tier = None if match is None else match.tier
    prompt = _firearm_prompt(vs, draft.person_id, tier, bool(alerts))
    return AssessmentSaved(assessment_id, draft.person_id, result, census_id, current, match,
                           suggestion, alerts, prompt)


def void_assessment(vs: VaultSession, assessment_id: int, reason: str) -> None:
    """Void a wrongly entered assessment (tombstone with reason; never deleted). Its pending
    tier suggestions are marked ``void``. Raises :class:`InvalidInput` (no reason),
    :class:`NotFound`, :class:`Conflict` (already void), :class:`PermissionDenied`."""
    vs.require_to(Action.RECORD_ASSESSMENT)
    text = reason.strip()
    if not text:
        raise InvalidInput(_("Write why this assessment is void."))
    if len(text) > MAX_VOID_REASON:
        raise InvalidInput(_("The reason is too long (at most {n} characters).").format(
            n=MAX_VOID_REASON))
    with vs.transaction():
        row = Assessment.get_or_none(Assessment.id == assessment_id)
        if row is None:
            raise NotFound(_("No such assessment."))
        tier_policy.visible_person(vs, int(row.person_id))
        if row.voided_at is not None:
            raise Conflict(_("This assessment is already void."))
        now = vs.now_iso()
        row.voided_at, row.voided_by_id, row.void_reason = now, vs.actor.id, text
        row.updated_at, row.updated_by_id = now, vs.actor.id
        row.save()
        voided = vs.execute(
            "UPDATE tier_suggestion SET status = 'void', resolved_at = ?, resolved_by_id = ? "
            "WHERE status = 'pending' AND person_id = ? "
            "AND json_extract(evidence, '$.assessment') = ?",
            (now, vs.actor.id, row.person_id, assessment_id)).rowcount
        audit.record(vs, "void", "assessment", assessment_id,
                     {"person_id": int(row.person_id), "suggestions_void": int(voided)})


# --------------------------------------------------------------------------- reading


def _rows(vs: VaultSession, where: str, params: tuple[Any, ...]) -> list[AssessmentRow]:
    cursor = vs.execute(
        "SELECT a.id, a.person_id, a.instrument_code, a.administered_on, a.total, a.band, "
        "a.positive, a.complete, a.flags, a.census_id, a.source, a.instrument_version "
        "FROM assessment a "
        f"WHERE a.voided_at IS NULL AND {where} "
        "ORDER BY a.administered_on, a.id", params)
    out = []
    for r in cursor:
        flags: Mapping[str, Any] = json.loads(r[8]) if r[8] else {}
        out.append(AssessmentRow(
            id=int(r[0]), person_id=int(r[1]), instrument_code=str(r[2]),
            administered_on=str(r[3]), total=r[4], band=r[5],
            positive=None if r[6] is None else bool(r[6]), complete=bool(r[7]),
            critical_items=tuple(flags.get("critical_items") or ()),
            census_id=r[9], source=str(r[10]), instrument_version=str(r[11]),
            band_label=instrument_defs.band_label(vs, str(r[2]), str(r[11]), r[5])))
    return out


def for_person(vs: VaultSession, person_id: int,
               instrument: str | None = None) -> list[AssessmentRow]:
    """A visible person's assessments (oldest first), optionally of one instrument; audited
    ``view person`` with ``{"part": "assessments"}``."""
    with vs.reading():
        tier_policy.visible_person(vs, person_id)
        if instrument is None:
            rows = _rows(vs, "a.person_id = ?", (person_id,))
        else:
            rows = _rows(vs, "a.person_id = ? AND a.instrument_code = ?",
                         (person_id, instrument))
    audit.record_view(vs, "person", person_id, {"part": "assessments"})
    return rows


def get_assessment(vs: VaultSession, assessment_id: int) -> tuple[AssessmentRow,
                                                                   engine.ScoreResult]:
    """One assessment of a visible person with its full result re-scored from the stored
    responses with the definition version it was scored with
    (:func:`counselor_tui.services.instruments.bound`: a newer version of a bureau's
    instrument never changes an assessment already made), same engine, vault settings.
    Raises :class:`NotFound`."""
    with vs.reading():
        row = Assessment.get_or_none((Assessment.id == assessment_id)
                                     & Assessment.voided_at.is_null())
        if row is None:
            raise NotFound(_("No such assessment."))
        tier_policy.visible_person(vs, int(row.person_id))
        stored = _rows(vs, "a.id = ?", (assessment_id,))[0]
        responses = list(row.responses or [])
    defn = instrument_defs.bound(vs, stored.instrument_code, stored.instrument_version)
    result = score_with(vs, defn, responses)
    audit.record_view(vs, "assessment", assessment_id, {})
    return stored, result
