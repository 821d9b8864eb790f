"""Roster import 人员花名册 (DESIGN §9 ``import roster``, §10): dry run, then apply.

The file is read here (XLSX through openpyxl in read-only, values-only mode; CSV decoded by
:func:`counselor_tui.domain.roster.decode_csv`), every row is normalised by
:mod:`counselor_tui.domain.roster`, then compared with the vault. Decisions (tested in
``tests/integration/test_roster.py``):

* **Who**: coordinators and admins (the roster is the bureau's personnel list; the
  first-run wizard imports it as the admin). Counselors and auditors are refused.
* **Key**: the badge number. A badge number not in the vault is *added*; one whose stored
  profile differs is *updated* (only the differing fields; an empty roster cell never
  erases a stored value); one whose profile is the same is *unchanged*. Officers missing
  from the roster are left alone (nobody is archived by an import).
* **Identity**: a badge number stored for an officer of a *different name* is rejected, never
  updated — rewriting the name would hand that officer's counseling history to another
  person. The reason names neither person (CLI lines may be logged): the roster or the
  archive must be corrected first. Names are compared as normalised
  (:func:`counselor_tui.domain.roster.normalize_name`: spaces and full-width forms do not
  count). A new unit or post with the same name stays an update.
* **A badge number repeated in the file** is rejected in every later row
  (:func:`counselor_tui.domain.roster.parse_rows`), so one file never updates one officer
  twice.
* **Units come from the vault**. A row naming a unit that is not in the vault (matched by
  name without spaces, or by unit code) is rejected, and the unit's name is listed in
  ``RosterPlan.new_units``, so that a clerk's typo never creates a unit silently. With
  ``create_units=True`` (CLI ``--create-units``; the first import of a new bureau) those
  units are created instead — only those used by rows that are otherwise valid, with the
  police type most of their rows give (else 其他). The sample roster's last row is
  therefore rejected for its impossible date *and* its unknown unit without the option,
  and for its date alone with it.
* **Police type** empty → the unit's default police type for new officers; for an officer
  already stored, an empty cell keeps the stored police type (a unit's default never
  overwrites it).
* **Rejected** rows carry their spreadsheet row number and every translated reason,
  joined by ``; ``. **Warnings** (implausible dates left out) do not reject the row.
* **Apply** runs in one transaction: units created (``create unit``), one ``create
  person`` / ``update person`` audit event per officer (ids and field names only) and one
  ``import roster`` event with the counts and the file's SHA-256. The plan is re-checked
  against the vault inside that transaction, so a plan made before someone else's change
  still applies correctly; the returned plan tells what was actually done.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from counselor_tui.domain import vocab
from counselor_tui.domain.permissions import Action
from counselor_tui.domain.roster import (
    ParsedRow,
    RosterFormatError,
    decode_csv,
    field_label,
    find_header,
    fold_unit_name,
    normalize_name,
    parse_rows,
)
from counselor_tui.i18n import _, language
from counselor_tui.reports import input_limits as limits
from counselor_tui.services import audit
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import InvalidInput
from counselor_tui.services.persons import (
    PersonDraft,
    create_person_in_transaction,
    create_unit_in_transaction,
    profile_of,
    update_person_in_transaction,
    validate_person,
)
from db.models import Person, Unit

_COMPARED = ("name", "gender", "birth_date", "unit_id", "police_type", "post", "hire_date",
             "phone")


@dataclass(frozen=True)
class RosterRow:
    """One officer of the roster after normalisation (dates ``YYYY-MM-DD``, gender
    ``male``/``female``, canonical police type). ``unit`` is the unit's name as stored
    (or as written, for a unit still to be created); ``person_id`` is the matched person
    for updated/unchanged rows; ``changes`` the fields an update changes."""

    row: int
    badge_no: str
    name: str
    gender: str | None
    birth_date: str | None
    unit: str
    police_type: str | None
    post: str
    hire_date: str | None
    phone: str | None
    unit_id: int | None = None
    person_id: int | None = None
    changes: tuple[str, ...] = ()
    unit_police_type: str | None = None

    def change_labels(self) -> str:
        """The fields an update changes, translated and comma-separated (``unit, post``):
        field names only, never values."""
        labels: list[str] = []
        for change in self.changes:
            text = field_label(change)
            if text not in labels:
                labels.append(text)
        return ("、" if language() == "zh" else ", ").join(labels)


@dataclass(frozen=True)
class Rejected:
    """A rejected row (or, in ``RosterPlan.warnings``, a row with a warning): the
    spreadsheet row number and the translated reason(s); ``badge_no``, ``name`` and
    ``unit`` as the row had them (for the screen only — the CLI prints row and reason)."""

    row: int
    reason: str
    badge_no: str = ""
    name: str = ""
    unit: str = ""


@dataclass(frozen=True)
class RosterPlan:
    """What an import does (dry run) or did (after :func:`apply_roster_import`).

    ``new_units``: unit names not in the vault — rejected rows' units without
    ``create_units``, units to be created with it. ``warnings``: rows imported with a value
    left out. ``header_row``: where the header was found. ``applied``: True once written.
    """

    added: tuple[RosterRow, ...]
    updated: tuple[RosterRow, ...]
    unchanged: tuple[RosterRow, ...]
    rejected: tuple[Rejected, ...]
    new_units: tuple[str, ...]
    warnings: tuple[Rejected, ...] = ()
    create_units: bool = False
    header_row: int = 0
    file_sha256: str = ""
    applied: bool = False

    def summary(self) -> str:
        """``added N, updated N, unchanged N, rejected N`` — the automation contract of
        DESIGN §9, the same words in every language."""
        return (f"added {len(self.added)}, updated {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}, rejected {len(self.rejected)}")


class RosterUnreadable(InvalidInput):
    """The file cannot be read as a roster (missing, wrong format, encoding, no header)."""


# --------------------------------------------------------------------------- reading files


def read_roster_file(path: Path) -> tuple[list[list[object]], bool, bytes]:
    """The rows (cell values) of the roster at ``path``, whether it uses Excel's 1904 date
    system, and the file's bytes. XLSX: the first worksheet with a header row; CSV: UTF-8
    (BOM or not) or GB18030/GBK, comma-, tab- or semicolon-separated.

    Raises :class:`RosterUnreadable` with a translated reason.
    """
    try:
        data = limits.read_regular_file(path, limits.ROSTER.max_bytes)
    except limits.InputRefused as exc:
        raise RosterUnreadable(str(exc)) from None
    except OSError as exc:
        raise RosterUnreadable(_("Cannot read the file {file} ({error}).").format(
            file=Path(path).name, error=exc.strerror or type(exc).__name__)) from None
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterUnreadable(_("{file} is an old .xls workbook: save it as .xlsx or CSV.")
                               .format(file=Path(path).name))
    if data.startswith(b"PK\x03\x04"):
        return (*_read_xlsx(data, Path(path).name), data)
    try:
        text = decode_csv(data)
    except RosterFormatError as exc:
        raise RosterUnreadable(str(exc)) from None
    try:
        return _read_csv(text, Path(path).name), False, data
    except limits.InputRefused as exc:
        raise RosterUnreadable(str(exc)) from None


def _read_xlsx(data: bytes, name: str) -> tuple[list[list[object]], bool]:
    import openpyxl

    try:
        limits.check_xlsx(data, name, limits.ROSTER)
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except limits.InputRefused as exc:
        raise RosterUnreadable(str(exc)) from None
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise RosterUnreadable(_("Cannot read {file} as an XLSX workbook ({error}).").format(
            file=name, error=type(exc).__name__)) from None
    try:
        epoch_1904 = getattr(wb, "epoch", None) is not None and wb.epoch.year == 1904
        first: list[list[object]] | None = None
        for ws in wb.worksheets:
            try:
                rows = limits.bounded_rows(limits.open_sheet_rows(ws), name, limits.ROSTER)
            except limits.InputRefused as exc:
                raise RosterUnreadable(str(exc)) from None
            except Exception:  # openpyxl raises many types for a damaged sheet
                raise RosterUnreadable(_("Cannot read {file} as an XLSX workbook ({error}).")
                                       .format(file=name, error="sheet")) from None
            if first is None:
                first = rows
            if _has_header(rows):
                return rows, epoch_1904
        return first or [], epoch_1904
    finally:
        wb.close()


def _has_header(rows: Sequence[Sequence[object]]) -> bool:
    try:
        find_header(rows)
    except RosterFormatError:
        return False
    return True


def _read_csv(text: str, name: str) -> list[list[object]]:
    first: list[list[object]] | None = None
    for delimiter in (",", "\t", ";"):
        rows = limits.csv_rows(csv.reader(io.StringIO(text), delimiter=delimiter), name,
                               limits.ROSTER)
        if first is None:
            first = rows
        if _has_header(rows):
            return rows
    return first or []


# --------------------------------------------------------------------------- planning


def _require_importer(vs: VaultSession) -> None:
    vs.require_to(Action.IMPORT_ROSTER)


def unit_count(vs: VaultSession) -> int:
    """How many units the vault holds (active or not). The import screen turns "create
    missing units" on by default when there are none yet: the first import of a new bureau
    (DESIGN §10). Coordinators and admins (the importers)."""
    _require_importer(vs)
    with vs.reading():
        return int(Unit.select().count())


@dataclass(frozen=True)
class _UnitInfo:
    id: int
    name: str
    police_type: str


def _unit_index(vs: VaultSession) -> dict[str, _UnitInfo]:
    index: dict[str, _UnitInfo] = {}
    for u in Unit.select():
        info = _UnitInfo(u.id, u.name, u.police_type)
        index.setdefault(fold_unit_name(u.name), info)
        index.setdefault(fold_unit_name(u.code), info)
    return index


def _existing(badges: Sequence[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for start in range(0, len(badges), 500):
        chunk = list(badges[start:start + 500])
        for p in Person.select().where(Person.badge_no.in_(chunk)):
            found[str(p.badge_no)] = p
    return found


def _draft(row: RosterRow) -> PersonDraft:
    return PersonDraft(
        kind="officer", name=row.name, badge_no=row.badge_no, gender=row.gender,
        birth_date=row.birth_date, unit_id=row.unit_id, police_type=row.police_type,
        post=row.post, hire_date=row.hire_date, phone=row.phone)


def _merge(row: RosterRow, person: Person) -> tuple[RosterRow, dict[str, Any]]:
    """The roster row with empty cells filled from the stored person, and the changes."""
    merged = replace(
        row,
        gender=row.gender or person.gender,
        birth_date=row.birth_date or person.birth_date,
        police_type=row.police_type or person.police_type or row.unit_police_type,
        post=row.post or person.post or "",
        hire_date=row.hire_date or person.hire_date,
        phone=row.phone or person.phone,
        person_id=person.id,
    )
    changes = tuple(f for f in _COMPARED
                    if (getattr(merged, f) or None) != (getattr(person, f) or None))
    return replace(merged, changes=changes), profile_of(_draft(merged))


def _classify(vs: VaultSession, rows: Sequence[RosterRow]) -> tuple[
        list[RosterRow], list[RosterRow], list[RosterRow], list[Rejected]]:
    """Split resolved rows into added / updated / unchanged / rejected against the vault."""
    existing = _existing([r.badge_no for r in rows])
    added: list[RosterRow] = []
    updated: list[RosterRow] = []
    unchanged: list[RosterRow] = []
    rejected: list[Rejected] = []
    for row in rows:
        person = existing.get(row.badge_no)
        if person is None:
            added.append(replace(row, police_type=row.police_type or row.unit_police_type))
        elif person.voided_at is not None or person.kind != "officer":
            rejected.append(Rejected(row.row, _(
                "badge number {badge} belongs to a voided record or to a person who is not "
                "an officer").format(badge=row.badge_no), row.badge_no, row.name, row.unit))
        elif normalize_name(row.name) != normalize_name(str(person.name)):
            rejected.append(Rejected(row.row, _(
                "badge number {badge} already belongs to another person in the vault (the "
                "names differ): correct the roster or the archive").format(badge=row.badge_no),
                row.badge_no, row.name, row.unit))
        else:
            merged, _profile = _merge(row, person)
            (updated if merged.changes else unchanged).append(merged)
    return added, updated, unchanged, rejected


def plan_roster_import(vs: VaultSession, path: Path, *,
                       create_units: bool = False) -> RosterPlan:
    """Dry run: read the roster at ``path`` and say what an import would do (nothing is
    written). See the module doc for the rules. Raises :class:`RosterUnreadable` (exit 2)
    when the file cannot be read, :class:`PermissionDenied` for counselors and auditors.
    """
    _require_importer(vs)
    rows, epoch_1904, data = read_roster_file(path)
    try:
        header, parsed = parse_rows(rows, vs.today(), epoch_1904=epoch_1904)
    except RosterFormatError as exc:
        raise RosterUnreadable(str(exc)) from None
    with vs.reading():
        units = _unit_index(vs)
        plan = _plan(vs, parsed, units, create_units)
    return replace(plan, header_row=header.row, file_sha256=hashlib.sha256(data).hexdigest())


def _plan(vs: VaultSession, parsed: Sequence[ParsedRow], units: dict[str, _UnitInfo],
          create_units: bool) -> RosterPlan:
    resolved: list[RosterRow] = []
    rejected: list[Rejected] = []
    unknown: dict[str, None] = {}
    to_create: dict[str, None] = {}
    today = vs.today()
    for p in parsed:
        problems = list(p.problems)
        info = units.get(fold_unit_name(p.unit)) if p.unit else None
        if p.unit and info is None:
            unknown.setdefault(p.unit, None)
            if not create_units:
                problems.append(_("unknown unit {unit}").format(unit=p.unit))
        row = RosterRow(
            row=p.row, badge_no=p.badge_no, name=p.name, gender=p.gender,
            birth_date=p.birth_date, unit=info.name if info else p.unit,
            police_type=p.police_type, post=p.post, hire_date=p.hire_date, phone=p.phone,
            unit_id=info.id if info else None,
            unit_police_type=info.police_type if info else None)
        if not problems:
            check = validate_person(replace(_draft(row), unit_id=row.unit_id or 0,
                                            police_type=row.police_type
                                            or row.unit_police_type), today)
            problems.extend(check.values())
        if problems:
            rejected.append(Rejected(p.row, "; ".join(problems), p.badge_no, p.name, p.unit))
            continue
        if info is None:
            to_create.setdefault(p.unit, None)
        resolved.append(row)
    added, updated, unchanged, late = _classify(vs, resolved)
    rejected = sorted([*rejected, *late], key=lambda r: r.row)
    warn_rows = {r.row for r in rejected}
    warnings = tuple(Rejected(p.row, "; ".join(p.warnings), p.badge_no, p.name, p.unit)
                     for p in parsed if p.warnings and p.row not in warn_rows)
    return RosterPlan(
        added=tuple(added), updated=tuple(updated), unchanged=tuple(unchanged),
        rejected=tuple(rejected),
        new_units=tuple(to_create) if create_units else tuple(unknown),
        warnings=warnings, create_units=create_units)


# --------------------------------------------------------------------------- applying


def _unit_police_type(plan: RosterPlan, name: str) -> str:
    types = Counter(r.police_type for r in (*plan.added, *plan.updated)
                    if r.unit == name and r.police_type in vocab.POLICE_TYPES)
    return types.most_common(1)[0][0] if types else "其他"


def apply_roster_import(vs: VaultSession, plan: RosterPlan) -> RosterPlan:
    """Write a plan in one transaction (see the module doc) and return what was done.

    Rows are re-checked against the vault inside the transaction. Raises
    :class:`PermissionDenied` for counselors and auditors.
    """
    _require_importer(vs)
    created_units: list[int] = []
    with vs.transaction():
        units = _unit_index(vs)
        if plan.create_units:
            for name in plan.new_units:
                if fold_unit_name(name) not in units:
                    uid = create_unit_in_transaction(vs, name, _unit_police_type(plan, name))
                    created_units.append(uid)
            units = _unit_index(vs)
        rows: list[RosterRow] = []
        for r in (*plan.added, *plan.updated, *plan.unchanged):
            info = units.get(fold_unit_name(r.unit))
            if info is None:  # a unit removed since the plan was made
                continue
            rows.append(replace(r, unit_id=info.id, unit=info.name,
                                unit_police_type=info.police_type, person_id=None,
                                changes=()))
        added, updated, unchanged, late = _classify(vs, rows)
        added = [replace(r, person_id=create_person_in_transaction(vs, _draft(r)))
                 for r in added]
        for r in updated:
            assert r.person_id is not None
            person = Person.get_by_id(r.person_id)
            _merged, profile = _merge(r, person)
            update_person_in_transaction(vs, r.person_id, profile)
        rejected = tuple(sorted([*plan.rejected, *late], key=lambda x: x.row))
        audit.record(vs, "import", "roster", "", {
            "added": len(added), "updated": len(updated), "unchanged": len(unchanged),
            "rejected": len(rejected), "units_created": created_units,
            "file_sha256": plan.file_sha256})
    vs.checkpoint()  # a bulk write: leave less in the -wal file
    return replace(plan, added=tuple(added), updated=tuple(updated),
                   unchanged=tuple(unchanged), rejected=rejected, applied=True)
