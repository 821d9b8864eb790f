"""Import survey responses 导入测评结果 (DESIGN §10 "Responses"; issue 4 §4).

Dry run first: :func:`plan_import` reads the file (XLSX, or CSV in UTF-8, UTF-8 with BOM or
GBK/GB18030), parses it with :mod:`counselor_tui.domain.responses` and matches each
respondent to an officer, without writing anything; :func:`apply_import` then stores the
planned assessments in one transaction (each scored, linked, suggested like a manual entry:
:func:`counselor_tui.services.assessments.insert_assessment`).

Matching — listed, never guessed:

* a row with a badge number matches the person with that badge number (full-width digits and
  spaces normalized); when the row also has a name that differs from the person's, the row is
  unmatched ("badge number and name do not agree");
* a row without a badge number matches by name **and** unit (unit name or code): exactly one
  officer must fit; none or several leave the row unmatched, and so does a name without unit;
* archived or voided persons are not matched.

Idempotent: a row whose person, instrument, administration day and responses equal a stored
(non-voided) assessment — or an earlier row of the same file — is a *duplicate* and adds
nothing, so re-importing a file adds nothing.

Rows not imported are either *unmatched* (nobody, or not one certain officer, fits the
identity) or *rejected* — the row's content cannot be taken as it is, reported with that
reason: an unreadable or future date, an answer out of range or unknown, no item answered,
or a **respondent repeated in the file**: one officer with two or more rows that differ
(other answers or another day). All rows of such an officer are rejected ("appears more
than once in the file (rows a, b)") until the file is corrected — which row is right is never
guessed. Rows identical to each other stay one assessment plus duplicates.

Warnings (the row is imported): the platform's own total, when the export has one and it
differs from the total computed from the items (the platform's is never used), and — when a
census is chosen — an administration day outside the census window (the assessment is
stored and linked, but does not count toward the census's completion, which only counts
assessments inside the window: :mod:`counselor_tui.services.census`). Messages hold row
numbers and dates, never names or scores (CLI lines may be logged).

Coordinators only (a bulk write of clinical data for the whole bureau).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from counselor_tui.domain import instruments as engine
from counselor_tui.domain import responses as parsing
from counselor_tui.domain.permissions import Action
from counselor_tui.i18n import _, language
from counselor_tui.reports import input_limits as limits
from counselor_tui.services import assessments, audit
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound
from db.models import Assessment, Census, Person

#: Screenings dated before this year are refused as slips (1900-01-01 from an empty cell).
EARLIEST_YEAR = 2000
MAX_BYTES = limits.RESPONSES.max_bytes


@dataclass(frozen=True)
class ImportRow:
    """A respondent matched to a person, with the scores the import will store."""

    row: int
    person_id: int
    badge_no: str | None
    name: str
    unit_name: str | None
    administered_on: str
    responses: tuple[int | None, ...]
    total: int | None
    band: str | None
    positive: bool | None
    critical_items: tuple[int, ...]
    platform_total: float | None = None
    critical_unanswered: tuple[int, ...] = ()


@dataclass(frozen=True)
class Unmatched:
    """A row that will not be imported (in ``ResponsesPlan.unmatched`` / ``.rejected``) or
    a row imported with a warning (``.warnings``): 1-based row number, translated reason,
    and the identity as written in the file (for the screen; the CLI prints row and reason
    only)."""

    row: int
    reason: str
    badge_no: str | None = None
    name: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class ResponsesPlan:
    """The dry run: what :func:`apply_import` would add, what is already stored, what is
    unmatched, what is rejected (readable identity, unusable content: module docstring) and
    the warnings of rows to add; the column mapping used (``columns.by == "position"``
    deserves a look); the census window (``starts_on``, ``ends_on``) when a census is
    chosen, and ``outside_window`` — the rows to add dated outside it."""

    file_name: str
    instrument: str
    census_id: int | None
    columns: parsing.ColumnMap
    added: tuple[ImportRow, ...]
    duplicate: tuple[ImportRow, ...]
    unmatched: tuple[Unmatched, ...]
    rejected: tuple[Unmatched, ...] = ()
    warnings: tuple[Unmatched, ...] = ()
    census_window: tuple[str, str] | None = None
    outside_window: tuple[int, ...] = ()
    definition: engine.InstrumentDefinition | None = None

    def summary(self) -> str:
        """``added N, duplicate N, unmatched N, rejected N`` (the CLI's first line, DESIGN
        §9 style, the same words in every language)."""
        return f"added {len(self.added)}, duplicate {len(self.duplicate)}, " \
               f"unmatched {len(self.unmatched)}, rejected {len(self.rejected)}"

    def not_imported(self) -> tuple[Unmatched, ...]:
        """Unmatched and rejected rows together, by row number."""
        return tuple(sorted((*self.unmatched, *self.rejected), key=lambda u: u.row))


@dataclass(frozen=True)
class ImportAlert:
    """A critical item that fired in an imported row."""

    row: int
    person_id: int
    assessment_id: int
    items: tuple[int, ...]


@dataclass(frozen=True)
class ResponsesApplied:
    """What was written: assessment ids, rows that turned out to be duplicates meanwhile,
    tier suggestions made (and how many red), critical-item alerts."""

    plan: ResponsesPlan
    assessment_ids: tuple[int, ...]
    duplicate_rows: tuple[int, ...]
    suggestions: int
    red_suggestions: int
    alerts: tuple[ImportAlert, ...]


# --------------------------------------------------------------------------- reading files


def read_table(path: Path) -> list[list[parsing.Cell]]:
    """The first sheet of an XLSX/XLSM workbook, or a CSV file, as rows of cell values.

    CSV: UTF-8 (with or without BOM), else GB18030 (a superset of GBK); the delimiter is
    ``,``, ``;`` or a tab (sniffed from the first line). Raises :class:`InvalidInput` for a
    missing or unreadable file, an old ``.xls`` workbook, or an unknown type.
    """
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InvalidInput(_("Old .xls workbooks cannot be read: save the file as .xlsx or "
                             ".csv and import that."))
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt"):
        raise InvalidInput(_("Unknown file type {suffix}: use .xlsx or .csv.").format(
            suffix=suffix or "?"))
    try:
        data = limits.read_regular_file(path, limits.RESPONSES.max_bytes)
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(data, path.name)
        return limits.csv_rows(_read_csv_reader(data), path.name, limits.RESPONSES)
    except limits.InputRefused as exc:
        raise InvalidInput(str(exc)) from None
    except OSError:
        raise InvalidInput(_("Cannot read the file {name}.").format(name=path.name)) from None


def _read_xlsx(data: bytes, name: str) -> list[list[parsing.Cell]]:
    import openpyxl

    limits.check_xlsx(data, name, limits.RESPONSES)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for damaged files
        raise InvalidInput(_("The file {name} is not a readable .xlsx workbook.").format(
            name=name)) from None
    try:
        sheet = workbook.worksheets[0]
        return limits.bounded_rows(limits.open_sheet_rows(sheet), name, limits.RESPONSES)
    except limits.InputRefused:
        raise
    except Exception:  # a damaged sheet inside a readable zip
        raise InvalidInput(_("The file {name} is not a readable .xlsx workbook.").format(
            name=name)) from None
    finally:
        workbook.close()


def decode_text(raw: bytes) -> str:
    """Text of a CSV file: UTF-8 (BOM or not), else GB18030/GBK."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput(_("The CSV file is neither UTF-8 nor GBK text.")) from None


def _read_csv_reader(raw: bytes) -> Iterator[list[str]]:
    text = decode_text(raw)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class _Person:
    id: int
    name: str
    unit_name: str | None
    archived: bool


class _Directory:
    """Persons by badge number and by (name, unit), normalized as the parser normalizes."""

    def __init__(self, vs: VaultSession) -> None:
        self.by_badge: dict[str, _Person] = {}
        self.by_name_unit: dict[tuple[str, str], list[_Person]] = defaultdict(list)
        cursor = vs.execute(
            "SELECT p.id, p.badge_no, p.name, u.name, u.code, p.archived_at, p.kind "
            "FROM person p LEFT JOIN unit u ON u.id = p.unit_id WHERE p.voided_at IS NULL")
        for pid, badge, name, unit_name, unit_code, archived, kind in cursor:
            person = _Person(int(pid), str(name), unit_name, archived is not None)
            key = parsing.normalize_badge(badge)
            if key:
                self.by_badge[key] = person
            norm = parsing.normalize_name(name)
            if kind == "officer" and norm:
                for unit in {parsing.normalize_name(unit_name), parsing.normalize_name(unit_code)}:
                    if unit:
                        self.by_name_unit[(norm, unit)].append(person)

    def match(self, r: parsing.Respondent) -> _Person | str:
        """The person of respondent ``r`` or the reason there is none."""
        if r.badge_no is not None:
            person = self.by_badge.get(r.badge_no)
            if person is None:
                return _("badge number not in the archive")
            if r.name is not None and parsing.normalize_name(person.name) != r.name:
                return _("badge number and name do not agree")
        else:
            if r.unit is None:
                return _("no badge number and no unit: a name alone is not matched")
            assert r.name is not None
            found = self.by_name_unit.get((r.name, r.unit), [])
            if not found:
                return _("no officer of this name in this unit")
            if len(found) > 1:
                return _("several officers of this name in this unit")
            person = found[0]
        if person.archived:
            return _("the officer is archived")
        return person


def _stored_keys(vs: VaultSession, code: str,
                 person_ids: set[int]) -> set[tuple[int, str, tuple[int | None, ...]]]:
    keys: set[tuple[int, str, tuple[int | None, ...]]] = set()
    if not person_ids:
        return keys
    ids = sorted(person_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _i in chunk)
        for pid, on, responses in vs.execute(
                "SELECT person_id, administered_on, responses FROM assessment "
                f"WHERE voided_at IS NULL AND instrument_code = ? AND person_id IN ({marks})",
                (code, *chunk)):
            keys.add((int(pid), str(on), tuple(json.loads(responses or "[]"))))
    return keys


# --------------------------------------------------------------------------- plan / apply


def _require_importer(vs: VaultSession) -> None:
    vs.require_to(Action.IMPORT_RESPONSES)


def plan_import(vs: VaultSession, path: Path, instrument: str, *,
                census_id: int | None = None,
                administered_on: date | None = None) -> ResponsesPlan:
    """The dry run of importing ``path`` as answers to ``instrument`` (module docstring).

    ``administered_on`` (``--date``) sets the day of every row; otherwise each row's
    submission date is used. ``census_id`` links the assessments to that (open) campaign.
    Raises :class:`InvalidInput` (file unreadable, no header/items, unknown instrument,
    census not using the instrument), :class:`NotFound` (census),
    :class:`PermissionDenied` (not a coordinator). Writes nothing.
    """
    _require_importer(vs)
    defn = assessments.definition(vs, instrument)
    table = read_table(path)
    try:
        parsed = parsing.parse_table(table, defn, default_date=administered_on)
    except parsing.ResponsesFormatError as exc:
        raise InvalidInput(str(exc)) from None
    settings = assessments.instrument_settings(vs)
    today = vs.today()
    window: tuple[str, str] | None = None
    with vs.reading():
        if census_id is not None:
            census = Census.get_or_none(Census.id == census_id)
            if census is None:
                raise NotFound(_("No such census."))
            if defn.code not in (census.instruments or []):
                raise InvalidInput(_("This census does not use the instrument {code}.").format(
                    code=defn.code))
            window = (str(census.starts_on), str(census.ends_on))
        directory = _Directory(vs)
        unmatched = [Unmatched(p.row, p.reason) for p in parsed.problems if p.identity]
        rejected = [Unmatched(p.row, p.reason) for p in parsed.problems if not p.identity]
        matched: list[tuple[parsing.Respondent, _Person]] = []
        for respondent in parsed.respondents:
            outcome = directory.match(respondent)
            if isinstance(outcome, str):
                unmatched.append(_note(respondent, outcome))
            elif respondent.administered_on > today:
                rejected.append(_note(respondent, _("the date is in the future")))
            elif respondent.administered_on.year < EARLIEST_YEAR:
                rejected.append(_note(respondent, _("the date is before {year}: check it")
                                      .format(year=EARLIEST_YEAR)))
            else:
                matched.append((respondent, outcome))
        matched, repeated = _repeated(matched)
        rejected.extend(repeated)
        stored = _stored_keys(vs, defn.code, {p.id for _r, p in matched})
    added: list[ImportRow] = []
    duplicate: list[ImportRow] = []
    warnings: list[Unmatched] = []
    outside: list[int] = []
    for respondent, person in matched:
        result = engine.score(defn, list(respondent.responses), settings)
        row = ImportRow(respondent.row, person.id, respondent.badge_no, person.name,
                        person.unit_name, respondent.administered_on.isoformat(),
                        respondent.responses, result.total, result.band,
                        result.screen_positive, result.critical_items,
                        respondent.platform_total, result.critical_items_unanswered)
        key = (person.id, row.administered_on, respondent.responses)
        if key in stored:
            duplicate.append(row)
            continue
        stored.add(key)
        added.append(row)
        if result.missing_items:
            warnings.append(_note(respondent, _blank_note(result.missing_items,
                                                          result.prorated, result.total)))
        if (respondent.platform_total is not None and result.total is not None
                and abs(respondent.platform_total - result.total) > 1e-6):
            warnings.append(_note(respondent, _(
                "the platform's own total differs from the total computed from the items "
                "(the computed total is used)")))
        if window is not None:
            day = respondent.administered_on.isoformat()
            if day < window[0] or day > window[1]:
                outside.append(respondent.row)
                warnings.append(_note(respondent, _(
                    "dated before the census window: it will not count toward its "
                    "completion") if day < window[0] else _(
                    "dated after the census window: it will not count toward its "
                    "completion")))
    unmatched.sort(key=lambda u: u.row)
    rejected.sort(key=lambda u: u.row)
    warnings.sort(key=lambda u: u.row)
    return ResponsesPlan(path.name, defn.code, census_id, parsed.columns, tuple(added),
                         tuple(duplicate), tuple(unmatched), tuple(rejected), tuple(warnings),
                         window, tuple(outside), defn)


def _blank_note(items: Sequence[int], prorated: bool, total: int | float | None) -> str:
    """The per-row note of blank answers: which items, and what the total became."""
    listed = ("、" if language() == "zh" else ", ").join(str(i) for i in items)
    if prorated:
        return _("item(s) {items} left blank: the total {total} is prorated from the "
                 "answered items").format(items=listed, total=total)
    return _("item(s) {items} left blank: the instrument's rule for blank items gives no "
             "total").format(items=listed)


def _note(r: parsing.Respondent, reason: str) -> Unmatched:
    return Unmatched(r.row, reason, r.badge_no, r.name, r.unit)


def _repeated(matched: list[tuple[parsing.Respondent, _Person]]) -> tuple[
        list[tuple[parsing.Respondent, _Person]], list[Unmatched]]:
    """Split off every officer with two or more rows that differ (day or answers): all of
    their rows are rejected, naming the rows (module docstring). Identical rows stay."""
    rows_of: dict[int, list[parsing.Respondent]] = defaultdict(list)
    for respondent, person in matched:
        rows_of[person.id].append(respondent)
    repeated = {pid for pid, rows in rows_of.items()
                if len({(r.administered_on, r.responses) for r in rows}) > 1}
    kept = [(r, p) for r, p in matched if p.id not in repeated]
    notes = []
    for respondent, person in matched:
        if person.id in repeated:
            rows = ("、" if language() == "zh" else ", ").join(
                str(r.row) for r in rows_of[person.id])
            notes.append(_note(respondent, _(
                "appears more than once in the file (rows {rows}): none of these rows is "
                "imported until the file keeps one").format(rows=rows)))
    return kept, notes


def apply_import(vs: VaultSession, plan: ResponsesPlan) -> ResponsesApplied:
    """Store the planned assessments in one transaction; audited once ``import
    assessment`` (counts) plus ``create`` per assessment. Rows stored meanwhile by someone
    else are skipped as duplicates. Raises like :func:`plan_import` and
    :class:`counselor_tui.services.errors.Conflict` for a census closed since the dry run."""
    _require_importer(vs)
    defn = assessments.definition(vs, plan.instrument)
    if plan.definition is not None and plan.definition != defn:
        raise Conflict(_("A new version of the instrument {code} was added since the dry "
                         "run: run the dry run again.").format(code=defn.code))
    settings = assessments.instrument_settings(vs)
    ids: list[int] = []
    skipped: list[int] = []
    alerts: list[ImportAlert] = []
    suggestions = red = 0
    with vs.transaction():
        stored = _stored_keys(vs, defn.code, {r.person_id for r in plan.added})
        for row in plan.added:
            key = (row.person_id, row.administered_on, row.responses)
            if key in stored:
                skipped.append(row.row)
                continue
            stored.add(key)
            person = Person.get_or_none((Person.id == row.person_id)
                                        & Person.voided_at.is_null())
            if person is None:
                raise InvalidInput(_("Row {row}: the person was removed since the dry run; "
                                     "run the import again.").format(row=row.row))
            result = engine.score(defn, list(row.responses), settings)
            assessment_id, _census, suggestion = assessments.insert_assessment(
                vs, person, defn, result, row.responses,
                date.fromisoformat(row.administered_on), plan.census_id, "import")
            ids.append(assessment_id)
            if suggestion is not None:
                suggestions += 1
                red += suggestion.tier == "red"
            if result.critical_items:
                alerts.append(ImportAlert(row.row, row.person_id, assessment_id,
                                          result.critical_items))
        audit.record(vs, "import", "assessment", "", {
            "instrument": defn.code, "added": len(ids),
            "duplicate": len(plan.duplicate) + len(skipped),
            "unmatched": len(plan.unmatched), "rejected": len(plan.rejected),
            "census_id": plan.census_id})
    vs.checkpoint()  # a bulk write: leave less in the -wal file
    return ResponsesApplied(plan, tuple(ids), tuple(skipped), suggestions, red, tuple(alerts))


def existing_count(vs: VaultSession, instrument: str) -> int:
    """Non-voided assessments of ``instrument`` stored (a check for scripts and tests)."""
    with vs.reading():
        return int(Assessment.select().where((Assessment.instrument_code == instrument)
                                             & Assessment.voided_at.is_null()).count())
