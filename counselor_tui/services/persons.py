"""The archive 档案: persons (服务对象), their units, family links and the person record.

DESIGN §2 (terms), §4 (Person, FamilyLink, search), §5 (roles), §6 (archive screen), §11
(performance). Every function takes the :class:`VaultSession` first, checks the actor's
role itself and returns frozen dataclasses.

Split by job: who sees what in :mod:`.access`, the archive list and picker in
:mod:`.person_search`, the person record in :mod:`.person_record`; this module keeps units,
profiles (create, update) and family links, and re-exports the others' public names.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from counselor_tui.domain import vocab
from counselor_tui.domain.permissions import Action
from counselor_tui.domain.pinyin import name_keys
from counselor_tui.domain.roster import fold_unit_name
from counselor_tui.i18n import _
from counselor_tui.services import audit
from counselor_tui.services.access import (
    can_see_person,
    require_archive_reader,
    require_visible,
    require_writer,
    visibility_sql,
)
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput
from counselor_tui.services.person_record import (
    AssessmentRow,
    FamilyRow,
    IncidentRow,
    PersonRecord,
    TierChangeRow,
    TierRow,
    get_person,
)
from counselor_tui.services.person_search import (
    SORTS,
    ArchiveQuery,
    PersonRow,
    clean_text,
    count_persons,
    find_persons,
    list_persons,
    person_rows,
    text_condition,
)
from db.models import FamilyLink, Person, Unit

__all__ = [
    "SORTS", "ArchiveQuery", "AssessmentRow", "FamilyRow", "IncidentRow", "PersonDraft",
    "PersonInvalid", "PersonRecord", "PersonRow", "TierChangeRow", "TierRow", "UnitRow",
    "add_family_member", "can_see_person", "count_persons", "create_person",
    "create_person_in_transaction", "create_unit", "create_unit_in_transaction",
    "find_persons", "get_person", "list_persons", "person_rows", "profile_of",
    "require_archive_reader", "text_condition", "units", "update_person",
    "update_person_in_transaction", "validate_person", "visibility_sql",
]

_require_visible = require_visible
_require_writer = require_writer

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


class PersonInvalid(InvalidInput):
    """A :class:`PersonDraft` failed validation; ``errors`` maps field → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors



# --------------------------------------------------------------------------- units


def units(vs: VaultSession, *, include_inactive: bool = False) -> list[UnitRow]:
    """Every (active) unit, by the pinyin of its name as names are sorted (城关派出所
    before 交警大队; :func:`counselor_tui.domain.pinyin.name_keys`), not by code point.
    Any role may list units (no personal data)."""
    with vs.reading():
        query = Unit.select()
        if not include_inactive:
            query = query.where(Unit.active == True)  # noqa: E712
        rows = [UnitRow(u.id, u.code, u.name, u.police_type, bool(u.active)) for u in query]
    return sorted(rows, key=lambda u: (name_keys(u.name).sort, u.name, u.id))


def create_unit(vs: VaultSession, name: str, police_type: str = "其他",
                code: str | None = None) -> int:
    """Create a unit (coordinator or admin) and return its id; audited ``create unit``.

    ``code`` defaults to the next free ``U001``-style code. Raises :class:`InvalidInput`
    for an empty name or unknown police type, :class:`Conflict` for a taken name or code.
    """
    vs.require_to(Action.MANAGE_UNITS)
    with vs.transaction():
        return create_unit_in_transaction(vs, name, police_type, code)


def create_unit_in_transaction(vs: VaultSession, name: str, police_type: str = "其他",
                               code: str | None = None) -> int:
    """:func:`create_unit` inside the caller's transaction (roster import)."""
    # Stored as typed (NFC: full-width brackets stay, issue 16); compared folded.
    clean = " ".join(unicodedata.normalize("NFC", name).split())
    if not clean:
        raise InvalidInput(_("The unit name is empty."))
    canonical = vocab.canonical_police_type(police_type)
    if canonical is None:
        raise InvalidInput(_("Unknown police type {code}.").format(code=police_type))
    folded = fold_unit_name(clean)
    if any(fold_unit_name(str(u.name)) == folded for u in Unit.select(Unit.name)):
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
    name = clean_text(draft.name)
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
    name = clean_text(draft.name)
    keys = name_keys(name)
    badge = (draft.badge_no or "").strip().upper() or None
    return {
        "kind": draft.kind, "name": name, "name_pinyin": keys.full,
        "name_initials": keys.initials, "name_sort": keys.sort, "badge_no": badge,
        "gender": draft.gender,
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

