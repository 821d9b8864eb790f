"""The archive 档案: persons (服务对象), their units, family links and the person record.

DESIGN §2 (terms), §4 (Person, FamilyLink, search), §5 (roles), §6 (archive screen), §11
(performance). Every function takes the :class:`VaultSession` first, checks the actor's
role itself and returns frozen dataclasses.

Who sees what (DESIGN §5 "Roles"; decided here, tested in tests/integration/test_persons.py):

* **counselor** — persons of their own unit (family members carry the unit of the officer
  they belong to), persons they have served (a non-voided session of theirs names the
  person) and persons they created; all sessions of those persons, but the free text of a
  *sealed* session (note, intervention, addenda) only when they wrote it;
* **coordinator** — everything, every note;
* **admin** — the archive (profiles, tiers, the session timeline) without any session
  text: admins manage users, settings, keys and the roster, they do not read notes;
* **auditor** — no person data at all (:class:`PermissionDenied`): the audit log and
  aggregates only.

Search (:class:`ArchiveQuery.text`), on indexed columns so it stays fast at 100,000 persons:
Chinese text matches anywhere in the name (one character is enough: ``三`` finds 张三;
the scan runs over the covering ``person_name`` index only); Latin letters only match the
start of the full pinyin (``zhang``) or of the initials (``zs`` finds 张三); text with a
digit matches the start of the badge number (letters upper-cased). Trigram full-text search serves
session notes only (:func:`counselor_tui.services.sessions.search_notes`).

Sorting puts missing values last in both directions; ties break on pinyin then id, so
pages never overlap. Names sort by pinyin (the order a Chinese reader expects).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from counselor_tui.domain import vocab
from counselor_tui.domain.pinyin import name_keys
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import audit
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from db.models import FamilyLink, Person, Unit

if TYPE_CHECKING:  # avoids an import cycle at run time
    from counselor_tui.services.sessions import SessionSummary

SORTS: tuple[str, ...] = ("name", "badge_no", "unit", "tier", "review_due", "last_session")
_TOP = "\U0010ffff"  # sorts after every other character: the upper bound of a prefix range
_LAST_SESSION = "p.last_session_on"  # kept by triggers (db migration 3)
_TIER_RANK = "CASE t.tier WHEN 'green' THEN 0 WHEN 'yellow' THEN 1 WHEN 'red' THEN 2 END"


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class UnitRow:
    """A unit (单位): id, code, name, default police type, active flag."""

    id: int
    code: str
    name: str
    police_type: str
    active: bool = True


@dataclass(frozen=True)
class PersonRow:
    """One archive line. ``tier`` (green/yellow/red), ``review_due`` and
    ``last_session_on`` (``YYYY-MM-DD``) are None when missing. ``visible`` is False for an
    officer shown only by the session form's picker (:func:`find_persons`) to a counselor
    outside the officer's unit: tier, review and last session are then left empty."""

    id: int
    kind: str
    badge_no: str | None
    name: str
    gender: str | None
    unit_id: int | None
    unit_name: str | None
    police_type: str | None
    post: str
    tier: str | None
    review_due: str | None
    last_session_on: str | None
    archived: bool = False
    visible: bool = True


@dataclass(frozen=True)
class ArchiveQuery:
    """What the archive list shows: search text, filters, sort (see the module doc)."""

    text: str = ""
    unit_id: int | None = None
    police_type: str | None = None
    tier: str | None = None
    kind: str | None = None
    sort: str = "name"
    descending: bool = False
    include_archived: bool = False


@dataclass(frozen=True)
class PersonDraft:
    """A person's profile as typed. Dates ``YYYY-MM-DD``; codes from ``domain.vocab``."""

    kind: str
    name: str
    badge_no: str | None = None
    gender: str | None = None
    birth_date: str | None = None
    unit_id: int | None = None
    police_type: str | None = None
    post: str = ""
    hire_date: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class FamilyRow:
    """A family link seen from the record's person: for an officer, a family member and
    its relation to the officer; for a family member, the officer (same relation code)."""

    person_id: int
    name: str
    relation: str
    kind: str


@dataclass(frozen=True)
class TierRow:
    """The current tier, since when (``YYYY-MM-DD``), next review (or None)."""

    tier: str
    since: str
    review_due: str | None


@dataclass(frozen=True)
class TierChangeRow:
    """One tier change: when, from (None for the first), to, reason, suggested by the
    policy or not, and the display name of the counselor who made it."""

    at: str
    from_tier: str | None
    to_tier: str
    reason: str
    suggested: bool
    by: str


@dataclass(frozen=True)
class AssessmentRow:
    """An assessment in the record: instrument, date, total, band, screen-positive."""

    id: int
    instrument_code: str
    administered_on: str
    total: float | None
    band: str | None
    positive: bool | None


@dataclass(frozen=True)
class IncidentRow:
    """An incident the person was exposed to, with their role and the incident status."""

    id: int
    kind: str
    title: str
    occurred_at: str
    role: str
    status: str


@dataclass(frozen=True)
class PersonRecord:
    """The person record screen: profile (``person`` plus the fields below), family links,
    tier and history, sessions (newest first), assessments, incidents, firearm status.
    ``notes_hidden`` is True when the actor may read no session text at all (admin)."""

    person: PersonRow
    birth_date: str | None
    hire_date: str | None
    phone: str | None
    consent_on: str | None
    archived_at: str | None
    family: tuple[FamilyRow, ...]
    tier: TierRow | None
    tier_history: tuple[TierChangeRow, ...]
    sessions: tuple[SessionSummary, ...]
    assessments: tuple[AssessmentRow, ...]
    incidents: tuple[IncidentRow, ...]
    firearm_status: str | None
    notes_hidden: bool = False


class PersonInvalid(InvalidInput):
    """A :class:`PersonDraft` failed validation; ``errors`` maps field → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


# --------------------------------------------------------------------------- access rules


def require_archive_reader(vs: VaultSession) -> None:
    """Raise :class:`PermissionDenied` for roles that may not read person data (auditor)."""
    if vs.actor.role == Role.AUDITOR:
        raise PermissionDenied(
            _("Auditors see the audit log and aggregate figures, not person records.")
        )


def visibility_sql(vs: VaultSession, alias: str = "p") -> tuple[str, list[Any]]:
    """The SQL condition (on person alias ``alias``) selecting the persons the actor sees,
    and its parameters. See the module doc for the rule."""
    require_archive_reader(vs)
    if vs.actor.role != Role.COUNSELOR:
        return "1", []
    conds = [
        f"{alias}.id IN (SELECT person_id FROM counseling_session WHERE counselor_id = ? "
        "AND person_id IS NOT NULL AND voided_at IS NULL)",
        f"{alias}.created_by_id = ?",
    ]
    params: list[Any] = [vs.actor.id, vs.actor.id]
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


def _require_visible(vs: VaultSession, person_id: int) -> None:
    if not can_see_person(vs, person_id):
        raise NotFound(_("No such person, or not visible to your account."))


def _require_writer(vs: VaultSession) -> None:
    vs.require(Role.COUNSELOR, Role.COORDINATOR, Role.ADMIN)


# --------------------------------------------------------------------------- units


def units(vs: VaultSession, *, include_inactive: bool = False) -> list[UnitRow]:
    """Every (active) unit, by name. Any role may list units (no personal data)."""
    with vs.reading():
        query = Unit.select().order_by(Unit.name)
        if not include_inactive:
            query = query.where(Unit.active == True)  # noqa: E712
        return [UnitRow(u.id, u.code, u.name, u.police_type, bool(u.active)) for u in query]


def create_unit(vs: VaultSession, name: str, police_type: str = "其他",
                code: str | None = None) -> int:
    """Create a unit (coordinator or admin) and return its id; audited ``create unit``.

    ``code`` defaults to the next free ``U001``-style code. Raises :class:`InvalidInput`
    for an empty name or unknown police type, :class:`Conflict` for a taken name or code.
    """
    vs.require(Role.COORDINATOR, Role.ADMIN)
    with vs.transaction():
        return create_unit_in_transaction(vs, name, police_type, code)


def create_unit_in_transaction(vs: VaultSession, name: str, police_type: str = "其他",
                               code: str | None = None) -> int:
    """:func:`create_unit` inside the caller's transaction (roster import)."""
    clean = " ".join(unicodedata.normalize("NFKC", name).split())
    if not clean:
        raise InvalidInput(_("The unit name is empty."))
    canonical = vocab.canonical_police_type(police_type)
    if canonical is None:
        raise InvalidInput(_("Unknown police type {code}.").format(code=police_type))
    if Unit.get_or_none(Unit.name == clean) is not None:
        raise Conflict(_("A unit named {name} exists already.").format(name=clean))
    if code is None:
        taken = {u.code for u in Unit.select(Unit.code)}
        n = len(taken) + 1
        while f"U{n:03d}" in taken:
            n += 1
        code = f"U{n:03d}"
    elif Unit.get_or_none(Unit.code == code) is not None:
        raise Conflict(_("The unit code {code} is taken.").format(code=code))
    now = vs.now_iso()
    unit = Unit.create(code=code, name=clean, police_type=canonical, active=True,
                       created_at=now, created_by=vs.actor.id, updated_at=now,
                       updated_by=vs.actor.id)
    audit.record(vs, "create", "unit", unit.id, {"code": code})
    return int(unit.id)


# --------------------------------------------------------------------------- search & list


def _clean_query(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def text_condition(text: str, alias: str = "p") -> tuple[str, list[Any]]:
    """The SQL condition of an archive search text (see the module doc) and parameters;
    ``("1", [])`` for empty text."""
    t = _clean_query(text)
    if not t:
        return "1", []
    if _has_cjk(t):
        needle = t.replace(" ", "")
        return (f"{alias}.id IN (SELECT id FROM person INDEXED BY person_name "
                "WHERE instr(name, ?) > 0)", [needle])
    compact = t.replace(" ", "")
    if compact.isascii() and compact.isalpha():
        # Initials start with the first letter of the full pinyin, so both prefixes lie in
        # the pinyin range of the first letter: one index range, already in name order.
        low = compact.lower()
        return (
            f"({alias}.name_pinyin >= ? AND {alias}.name_pinyin < ? AND "
            f"(({alias}.name_pinyin >= ? AND {alias}.name_pinyin < ?) OR "
            f"({alias}.name_initials >= ? AND {alias}.name_initials < ?)))",
            [low[0], low[0] + _TOP, low, low + _TOP, low, low + _TOP],
        )
    badge = compact.upper()
    return f"({alias}.badge_no >= ? AND {alias}.badge_no < ?)", [badge, badge + _TOP]


def _where(vs: VaultSession, q: ArchiveQuery) -> tuple[str, list[Any], bool]:
    """WHERE clause, parameters, and whether tier_state must be joined."""
    cond, params = visibility_sql(vs)
    parts = ["p.voided_at IS NULL", cond]
    if not q.include_archived:
        parts.append("p.archived_at IS NULL")
    if q.unit_id is not None:
        parts.append("p.unit_id = ?")
        params.append(q.unit_id)
    if q.police_type:
        parts.append("p.police_type = ?")
        params.append(q.police_type)
    if q.kind:
        parts.append("p.kind = ?")
        params.append(q.kind)
    join_tier = False
    if q.tier:
        parts.append("t.tier = ?")
        params.append(q.tier)
        join_tier = True
    text_sql, text_params = text_condition(q.text)
    if text_params:
        parts.append(text_sql)
        params.extend(text_params)
    return " AND ".join(parts), params, join_tier


def _order(q: ArchiveQuery) -> tuple[str, bool, bool]:
    """ORDER BY clause, and whether unit / tier_state must be joined."""
    if q.sort not in SORTS:
        raise InvalidInput(_("Unknown sort {sort}.").format(sort=q.sort))
    d = "DESC" if q.descending else "ASC"
    # A Chinese search collects its few matching ids from the name index; "+" keeps the
    # planner from walking the whole pinyin index instead to avoid the small sort (5x faster
    # at 100k persons).
    pinyin = "+p.name_pinyin" if _has_cjk(_clean_query(q.text)) else "p.name_pinyin"
    tail = f"{pinyin} {d}, p.id {d}"
    if q.sort == "name":
        return tail, False, False
    if q.sort == "badge_no":
        return f"p.badge_no IS NULL, p.badge_no {d}, {tail}", False, False
    if q.sort == "unit":
        return f"u.name IS NULL, u.name {d}, {tail}", True, False
    if q.sort == "tier":
        return f"t.tier IS NULL, {_TIER_RANK} {d}, {tail}", False, True
    if q.sort == "review_due":
        return f"t.review_due IS NULL, t.review_due {d}, {tail}", False, True
    return f"{_LAST_SESSION} IS NULL, {_LAST_SESSION} {d}, {tail}", False, False


def count_persons(vs: VaultSession, q: ArchiveQuery) -> int:
    """How many persons match ``q`` (for the list's scroll size and the status line)."""
    where, params, join_tier = _where(vs, q)
    join = "LEFT JOIN tier_state t ON t.person_id = p.id " if join_tier else ""
    with vs.reading():
        row = vs.execute(f"SELECT count(*) FROM person p {join}WHERE {where}",
                         tuple(params)).fetchone()
    return int(row[0])


def list_persons(vs: VaultSession, q: ArchiveQuery, offset: int, limit: int) -> list[PersonRow]:
    """One page (``offset``, ``limit`` ≤ 500) of the archive in ``q``'s order.

    Two indexed queries: the page's ids (filters, search, sort), then the page's rows.
    Raises :class:`PermissionDenied` for auditors, :class:`InvalidInput` for a bad sort.
    """
    where, params, join_tier = _where(vs, q)
    order, need_unit, sort_tier = _order(q)
    joins = ""
    if need_unit:
        joins += "LEFT JOIN unit u ON u.id = p.unit_id "
    if join_tier or sort_tier:
        joins += "LEFT JOIN tier_state t ON t.person_id = p.id "
    limit = max(0, min(int(limit), 500))
    with vs.reading():
        ids = [int(r[0]) for r in vs.execute(
            f"SELECT p.id FROM person p {joins}WHERE {where} ORDER BY {order} "
            "LIMIT ? OFFSET ?", (*params, limit, max(0, int(offset))))]
        rows = _rows_by_id(vs, ids)
    return [rows[i] for i in ids if i in rows]


def _rows_by_id(vs: VaultSession, ids: Sequence[int],
                hidden: Iterable[int] = ()) -> dict[int, PersonRow]:
    """PersonRows for ``ids`` (inside ``reading``); ids in ``hidden`` get no clinical
    columns."""
    if not ids:
        return {}
    hide = set(hidden)
    marks = ",".join("?" * len(ids))
    cursor = vs.execute(
        "SELECT p.id, p.kind, p.badge_no, p.name, p.gender, p.unit_id, u.name, p.police_type, "
        f"p.post, t.tier, t.review_due, substr({_LAST_SESSION}, 1, 10), p.archived_at "
        "FROM person p LEFT JOIN unit u ON u.id = p.unit_id "
        f"LEFT JOIN tier_state t ON t.person_id = p.id WHERE p.id IN ({marks})",
        tuple(ids),
    )
    out: dict[int, PersonRow] = {}
    for r in cursor:
        pid = int(r[0])
        secret = pid in hide
        out[pid] = PersonRow(
            id=pid, kind=r[1], badge_no=r[2], name=r[3], gender=r[4], unit_id=r[5],
            unit_name=r[6], police_type=r[7], post=r[8] or "",
            tier=None if secret else r[9], review_due=None if secret else r[10],
            last_session_on=None if secret else r[11], archived=r[12] is not None,
            visible=not secret,
        )
    return out


def person_rows(vs: VaultSession, ids: Sequence[int]) -> list[PersonRow]:
    """PersonRows of ``ids`` in that order (inside ``reading``; no visibility check)."""
    rows = _rows_by_id(vs, ids)
    return [rows[i] for i in ids if i in rows]


def find_persons(vs: VaultSession, text: str, limit: int = 20,
                 kind: str | None = None) -> list[PersonRow]:
    """The person picker of the session and emergency forms: up to ``limit`` matches of
    ``text`` (as in the archive), visible persons first.

    A counselor also finds serving officers outside their unit (an officer of any unit
    may call the hotline): those rows carry identity only (``visible=False``, no tier or
    session dates); logging a session for them makes them "served". Archived and voided
    persons are left out. Raises :class:`PermissionDenied` for auditors and admins (they
    log no sessions).
    """
    vs.require(Role.COUNSELOR, Role.COORDINATOR)
    text_sql, text_params = text_condition(text)
    cond, vparams = visibility_sql(vs)
    kind_sql = "AND p.kind = ? " if kind else ""
    kparams = [kind] if kind else []
    limit = max(1, min(int(limit), 200))
    base = ("FROM person p WHERE p.voided_at IS NULL AND p.archived_at IS NULL "
            f"AND {text_sql} {kind_sql}")
    with vs.reading():
        seen = [int(r[0]) for r in vs.execute(
            f"SELECT p.id {base}AND {cond} ORDER BY p.name_pinyin, p.id LIMIT ?",
            (*text_params, *kparams, *vparams, limit))]
        others: list[int] = []
        if len(seen) < limit and vs.actor.role == Role.COUNSELOR and kind in (None, "officer"):
            marks = ",".join("?" * len(seen))
            skip = f"AND p.id NOT IN ({marks}) " if seen else ""
            others = [int(r[0]) for r in vs.execute(
                f"SELECT p.id {base}AND p.kind = 'officer' {skip}"
                "ORDER BY p.name_pinyin, p.id LIMIT ?",
                (*text_params, *kparams, *seen, limit - len(seen)))]
        rows = _rows_by_id(vs, seen + others, hidden=others)
    return [rows[i] for i in seen + others if i in rows]


# --------------------------------------------------------------------------- create / update


def _iso_date(text: str | None) -> date | None:
    if text is None or text == "":
        return None
    return date.fromisoformat(text)


def validate_person(draft: PersonDraft, today: date) -> dict[str, str]:
    """Field → translated message for everything wrong with ``draft``; ``{}`` when valid.

    Rules: kind from ``vocab.PERSON_KINDS``; name 1–50 characters; an officer has a badge
    number (letters, digits, ``-``) and a unit, family members and others have no badge
    number; gender from ``vocab.GENDERS``; police type canonical (aliases accepted by the
    roster only); dates ``YYYY-MM-DD``, not in the future, hire not before birth.
    """
    errors: dict[str, str] = {}
    if draft.kind not in vocab.PERSON_KINDS:
        errors["kind"] = _("Choose officer, family member or other.")
    name = _clean_query(draft.name)
    if not name:
        errors["name"] = _("Type the name.")
    elif len(name) > 50:
        errors["name"] = _("The name is longer than 50 characters.")
    badge = (draft.badge_no or "").strip()
    if draft.kind == "officer":
        if not badge:
            errors["badge_no"] = _("An officer needs a badge number.")
        elif not all(c.isascii() and (c.isalnum() or c == "-") for c in badge):
            errors["badge_no"] = _("A badge number holds only letters, digits and '-'.")
        if draft.unit_id is None:
            errors["unit_id"] = _("Choose the officer's unit.")
    elif badge:
        errors["badge_no"] = _("Only officers have a badge number.")
    if draft.gender is not None and draft.gender not in vocab.GENDERS:
        errors["gender"] = _("Choose male or female.")
    if draft.police_type is not None and draft.police_type not in vocab.POLICE_TYPES:
        errors["police_type"] = _("Unknown police type {code}.").format(code=draft.police_type)
    dates: dict[str, date | None] = {}
    for field in ("birth_date", "hire_date"):
        try:
            dates[field] = _iso_date(getattr(draft, field))
        except ValueError:
            errors[field] = _("Write the date as YYYY-MM-DD.")
            continue
        value = dates[field]
        if value is not None and value > today:
            errors[field] = _("The date is in the future.")
    birth, hire = dates.get("birth_date"), dates.get("hire_date")
    if birth and hire and hire < birth and "hire_date" not in errors:
        errors["hire_date"] = _("The hire date is before the birth date.")
    return errors


def profile_of(draft: PersonDraft) -> dict[str, Any]:
    """The stored columns of a validated draft (name cleaned, pinyin keys, badge upper-case;
    the unit under the key ``unit``)."""
    name = _clean_query(draft.name)
    keys = name_keys(name)
    badge = (draft.badge_no or "").strip().upper() or None
    return {
        "kind": draft.kind, "name": name, "name_pinyin": keys.full,
        "name_initials": keys.initials, "badge_no": badge, "gender": draft.gender,
        "birth_date": draft.birth_date or None, "unit": draft.unit_id,
        "police_type": draft.police_type, "post": draft.post.strip(),
        "hire_date": draft.hire_date or None,
        "phone": (draft.phone or "").strip() or None,
    }


def _check_refs(profile: dict[str, Any], person_id: int | None) -> None:
    if profile["unit"] is not None and Unit.get_or_none(Unit.id == profile["unit"]) is None:
        raise PersonInvalid({"unit_id": _("Unknown unit.")})
    if profile["badge_no"]:
        other = Person.get_or_none(Person.badge_no == profile["badge_no"])
        if other is not None and other.id != person_id:
            raise Conflict(_("The badge number {badge} belongs to another person.").format(
                badge=profile["badge_no"]))


def create_person(vs: VaultSession, draft: PersonDraft) -> int:
    """Create a person and return the id (counselor, coordinator, admin); audited
    ``create person`` with the kind. Raises :class:`PersonInvalid` (field → message),
    :class:`Conflict` for a badge number in use."""
    _require_writer(vs)
    errors = validate_person(draft, vs.today())
    if errors:
        raise PersonInvalid(errors)
    with vs.transaction():
        return create_person_in_transaction(vs, draft)


def create_person_in_transaction(vs: VaultSession, draft: PersonDraft) -> int:
    """:func:`create_person` inside the caller's transaction (draft already validated)."""
    profile = profile_of(draft)
    _check_refs(profile, None)
    now = vs.now_iso()
    person = Person.create(**profile, created_at=now, created_by=vs.actor.id,
                           updated_at=now, updated_by=vs.actor.id)
    audit.record(vs, "create", "person", person.id, {"kind": draft.kind})
    return int(person.id)


_COMPARED = ("kind", "name", "badge_no", "gender", "birth_date", "unit", "police_type", "post",
             "hire_date", "phone")


def _changed_fields(person: Person, profile: dict[str, Any]) -> list[str]:
    changed = []
    for field in _COMPARED:
        current = person.unit_id if field == "unit" else getattr(person, field)
        if (current or None) != (profile[field] or None):
            changed.append("unit_id" if field == "unit" else field)
    return changed


def update_person(vs: VaultSession, person_id: int, draft: PersonDraft) -> None:
    """Replace a visible person's profile; audited ``update person`` naming the changed
    fields (nothing is written when nothing changed). An officer's new unit is carried to
    family members who had the old one. Raises :class:`NotFound`, :class:`PersonInvalid`,
    :class:`Conflict`."""
    _require_writer(vs)
    errors = validate_person(draft, vs.today())
    if errors:
        raise PersonInvalid(errors)
    with vs.transaction():
        _require_visible(vs, person_id)
        update_person_in_transaction(vs, person_id, profile_of(draft))


def update_person_in_transaction(vs: VaultSession, person_id: int,
                                 profile: dict[str, Any]) -> list[str]:
    """Write ``profile`` (fields of :func:`_profile`) to the person; returns the changed
    field names (audited as ``update person``); nothing happens when none changed."""
    person = Person.get_by_id(person_id)
    _check_refs(profile, person_id)
    changed = _changed_fields(person, profile)
    if not changed:
        return []
    old_unit = person.unit_id
    Person.update(**profile, updated_at=vs.now_iso(), updated_by=vs.actor.id).where(
        Person.id == person_id).execute()
    audit.record(vs, "update", "person", person_id, {"fields": changed})
    if "unit_id" in changed and person.kind == "officer":
        family_ids = [fl.person_id for fl in FamilyLink.select(FamilyLink.person).where(
            FamilyLink.officer == person_id)]
        if family_ids:
            moved = (Person.update(unit=profile["unit"], updated_at=vs.now_iso(),
                                   updated_by=vs.actor.id)
                     .where(Person.id.in_(family_ids),  # type: ignore[attr-defined]
                          Person.unit == old_unit).execute())
            if moved:
                audit.record(vs, "update", "person", person_id,
                             {"family_unit_moved": int(moved)})
    return changed


def add_family_member(vs: VaultSession, officer_id: int, draft: PersonDraft,
                      relation: str) -> int:
    """Create a family member (their own Person, kind ``family``) linked to an officer
    with ``relation`` (``vocab.RELATIONS``); returns the new person's id.

    The family member takes the officer's unit unless the draft names one (visibility and
    per-unit figures follow the officer). Audited ``create person`` + ``create
    family_link``. Raises :class:`NotFound` (officer not visible), :class:`InvalidInput`
    (not an officer, bad relation), :class:`PersonInvalid`.
    """
    _require_writer(vs)
    if relation not in vocab.RELATIONS:
        raise PersonInvalid({"relation": _("Choose spouse, child, parent or other.")})
    with vs.transaction():
        _require_visible(vs, officer_id)
        officer = Person.get_by_id(officer_id)
        if officer.kind != "officer":
            raise InvalidInput(_("Family members are linked to officers only."))
        fam = PersonDraft(
            kind="family", name=draft.name, badge_no=None, gender=draft.gender,
            birth_date=draft.birth_date, unit_id=draft.unit_id or officer.unit_id,
            police_type=None, post=draft.post, hire_date=None, phone=draft.phone,
        )
        errors = validate_person(fam, vs.today())
        if errors:
            raise PersonInvalid(errors)
        person_id = create_person_in_transaction(vs, fam)
        now = vs.now_iso()
        link = FamilyLink.create(person=person_id, officer=officer_id, relation=relation,
                                 created_at=now, created_by=vs.actor.id, updated_at=now,
                                 updated_by=vs.actor.id)
        audit.record(vs, "create", "family_link", link.id,
                     {"person_id": person_id, "officer_id": officer_id, "relation": relation})
    return person_id


# --------------------------------------------------------------------------- the record


def get_person(vs: VaultSession, person_id: int) -> PersonRecord:
    """The whole record of a visible person; writes a ``view person`` audit event.

    Raises :class:`PermissionDenied` for auditors, :class:`NotFound` when the person does
    not exist, is voided or is not visible to the actor.
    """
    from counselor_tui.services.sessions import sessions_of_person

    require_archive_reader(vs)
    with vs.transaction():
        _require_visible(vs, person_id)
        person = Person.get_by_id(person_id)
        row = person_rows(vs, [person_id])[0]
        family = _family(vs, person_id)
        tier = _tier(vs, person_id)
        history = tuple(
            TierChangeRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5] or "")
            for r in vs.execute(
                "SELECT c.at, c.from_tier, c.to_tier, c.reason, c.suggested, u.display_name "
                "FROM tier_change c LEFT JOIN user u ON u.id = c.by_id "
                "WHERE c.person_id = ? ORDER BY c.at DESC, c.id DESC", (person_id,))
        )
        sessions = tuple(sessions_of_person(vs, person_id))
        assessments = tuple(
            AssessmentRow(int(r[0]), r[1], r[2], r[3], r[4], None if r[5] is None else bool(r[5]))
            for r in vs.execute(
                "SELECT id, instrument_code, administered_on, total, band, positive "
                "FROM assessment WHERE person_id = ? AND voided_at IS NULL "
                "ORDER BY administered_on DESC, id DESC", (person_id,))
        )
        incidents = tuple(
            IncidentRow(int(r[0]), r[1], r[2], r[3], r[4], r[5])
            for r in vs.execute(
                "SELECT i.id, i.kind, i.title, i.occurred_at, e.role, i.status "
                "FROM incident_exposure e JOIN incident i ON i.id = e.incident_id "
                "WHERE e.person_id = ? AND i.voided_at IS NULL "
                "ORDER BY i.occurred_at DESC, i.id DESC", (person_id,))
        )
        firearm = vs.execute(
            "SELECT status FROM firearm_restriction WHERE person_id = ? "
            "ORDER BY recommended_at DESC, id DESC LIMIT 1", (person_id,)).fetchone()
        audit.record(vs, "view", "person", person_id, {})
    return PersonRecord(
        person=row, birth_date=person.birth_date, hire_date=person.hire_date,
        phone=person.phone, consent_on=person.consent_on, archived_at=person.archived_at,
        family=family, tier=tier, tier_history=history, sessions=sessions,
        assessments=assessments, incidents=incidents,
        firearm_status=firearm[0] if firearm else None,
        notes_hidden=vs.actor.role not in (Role.COUNSELOR, Role.COORDINATOR),
    )


def _family(vs: VaultSession, person_id: int) -> tuple[FamilyRow, ...]:
    rows = vs.execute(
        "SELECT p.id, p.name, f.relation, p.kind FROM family_link f "
        "JOIN person p ON p.id = f.person_id WHERE f.officer_id = ? AND p.voided_at IS NULL "
        "UNION ALL "
        "SELECT p.id, p.name, f.relation, p.kind FROM family_link f "
        "JOIN person p ON p.id = f.officer_id WHERE f.person_id = ? AND p.voided_at IS NULL "
        "ORDER BY 1", (person_id, person_id))
    return tuple(FamilyRow(int(r[0]), r[1], r[2], r[3]) for r in rows)


def _tier(vs: VaultSession, person_id: int) -> TierRow | None:
    r = vs.execute("SELECT tier, since, review_due FROM tier_state WHERE person_id = ?",
                   (person_id,)).fetchone()
    return TierRow(r[0], r[1], r[2]) if r else None
