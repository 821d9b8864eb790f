"""Census campaigns 普查 (DESIGN §2, §4 ``Census``; issue 4 §5).

A campaign has a name, a window (``starts_on`` .. ``ends_on``, inclusive), instruments and
target units. **Completion** (DESIGN §4): an officer of a target unit (``kind = officer``,
not archived, not voided) is *screened* when they have a complete, non-voided assessment of
**every** instrument of the campaign administered within the window — whichever way it was
entered (manual, import) and whether or not it is linked to the campaign.
**Screen-positive** counts per instrument: target officers whose latest complete assessment
of that instrument in the window is positive.

Closing a campaign freezes its figures in ``Census.frozen_figures``; later assessments, new
officers or roster changes no longer move them (:func:`figures` returns the frozen copy).

Roles: coordinators create and close campaigns; every role sees the figures (counts only);
the list of officers not yet screened is person data (counselors: persons they see;
auditors: refused).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from counselor_tui.domain import instruments as engine
from counselor_tui.domain.analysis import rate
from counselor_tui.domain.dates import relative_hint
from counselor_tui.domain.permissions import Action
from counselor_tui.i18n import _
from counselor_tui.services import audit
from counselor_tui.services import instruments as instrument_defs
from counselor_tui.services.access import visibility_sql
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard_items import DashboardItem, DashboardSection
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound
from db.models import Census, CensusUnit

MAX_NAME = 100


@dataclass(frozen=True)
class CensusDraft:
    """A new campaign: name, window (inclusive), instrument codes, target unit ids."""

    name: str
    starts_on: date
    ends_on: date
    instruments: tuple[str, ...]
    unit_ids: tuple[int, ...]


@dataclass(frozen=True)
class UnitProgress:
    """Completion of one target unit: officers targeted, fully screened, and screened per
    instrument (``{code: officers}``)."""

    unit_id: int
    unit_code: str
    unit_name: str
    police_type: str
    target: int
    completed: int
    per_instrument: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        """``completed / target`` (``None`` for a unit without officers)."""
        return rate(self.completed, self.target)


@dataclass(frozen=True)
class CensusFigures:
    """A campaign's figures: totals, per unit, per instrument (screened officers) and
    screen-positive officers per instrument; ``frozen`` when the campaign is closed
    (``as_of`` = closing time), else live (``as_of`` = now)."""

    census_id: int
    as_of: str
    target: int
    completed: int
    units: tuple[UnitProgress, ...]
    per_instrument: dict[str, int]
    positive: dict[str, int]
    frozen: bool

    @property
    def rate(self) -> float | None:
        """``completed / target`` (``None`` without target officers)."""
        return rate(self.completed, self.target)

    def to_json(self) -> dict[str, Any]:
        """The form stored in ``Census.frozen_figures``."""
        return {
            "as_of": self.as_of, "target": self.target, "completed": self.completed,
            "per_instrument": dict(self.per_instrument), "positive": dict(self.positive),
            "units": [{"unit_id": u.unit_id, "unit_code": u.unit_code,
                       "unit_name": u.unit_name, "police_type": u.police_type,
                       "target": u.target, "completed": u.completed,
                       "per_instrument": dict(u.per_instrument)} for u in self.units],
        }

    @classmethod
    def from_json(cls, census_id: int, data: dict[str, Any]) -> CensusFigures:
        """Read back :meth:`to_json` (frozen)."""
        units = tuple(UnitProgress(
            int(u["unit_id"]), str(u["unit_code"]), str(u["unit_name"]),
            str(u["police_type"]), int(u["target"]), int(u["completed"]),
            {k: int(v) for k, v in u["per_instrument"].items()}) for u in data["units"])
        return cls(census_id, str(data["as_of"]), int(data["target"]), int(data["completed"]),
                   units, {k: int(v) for k, v in data["per_instrument"].items()},
                   {k: int(v) for k, v in data["positive"].items()}, True)


@dataclass(frozen=True)
class CensusRow:
    """One campaign in the list, with its completion totals."""

    id: int
    name: str
    starts_on: str
    ends_on: str
    instruments: tuple[str, ...]
    unit_ids: tuple[int, ...]
    status: str
    closed_at: str | None
    target: int
    completed: int

    @property
    def rate(self) -> float | None:
        """``completed / target``."""
        return rate(self.completed, self.target)


@dataclass(frozen=True)
class PendingOfficer:
    """An officer of a target unit not yet fully screened, with the instruments missing."""

    person_id: int
    badge_no: str | None
    name: str
    unit_id: int
    unit_name: str
    missing: tuple[str, ...]


# --------------------------------------------------------------------------- checks


def _require_manager(vs: VaultSession) -> None:
    vs.require_to(Action.MANAGE_CENSUS)


def validate(draft: CensusDraft, known: Sequence[str] | None = None) -> dict[str, str]:
    """Field → message for every problem of ``draft`` (``{}`` when valid). ``known`` are
    the instrument codes a campaign may use (default: the built-in ones; the vault's
    with :func:`counselor_tui.services.instruments.codes`)."""
    errors: dict[str, str] = {}
    name = draft.name.strip()
    if not name:
        errors["name"] = _("Give the campaign a name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("The name is too long (at most {n} characters).").format(n=MAX_NAME)
    if draft.ends_on < draft.starts_on:
        errors["ends_on"] = _("The window ends before it starts.")
    if not draft.instruments:
        errors["instruments"] = _("Choose at least one instrument.")
    else:
        codes = engine.builtin_codes() if known is None else known
        unknown = [c for c in draft.instruments if c not in codes]
        if unknown:
            errors["instruments"] = _("Unknown instrument: {codes}.").format(
                codes=", ".join(unknown))
        elif len(set(draft.instruments)) != len(draft.instruments):
            errors["instruments"] = _("An instrument is listed twice.")
    if not draft.unit_ids:
        errors["unit_ids"] = _("Choose at least one target unit.")
    return errors


# --------------------------------------------------------------------------- writing


def create_census(vs: VaultSession, draft: CensusDraft) -> int:
    """Create an open campaign; returns its id. Coordinators only; audited ``create
    census``. Raises :class:`InvalidInput` (first problem of :func:`validate`, unknown
    unit), :class:`PermissionDenied`."""
    _require_manager(vs)
    errors = validate(draft, instrument_defs.codes(vs))
    if errors:
        raise InvalidInput(next(iter(errors.values())))
    units = sorted(set(draft.unit_ids))
    now = vs.now_iso()
    with vs.transaction():
        marks = ", ".join("?" for _u in units)
        known = {int(r[0]) for r in vs.execute(
            f"SELECT id FROM unit WHERE id IN ({marks})", tuple(units))}
        if len(known) != len(units):
            raise InvalidInput(_("Unknown target unit."))
        row = Census.create(name=draft.name.strip(), starts_on=draft.starts_on.isoformat(),
                            ends_on=draft.ends_on.isoformat(),
                            instruments=list(draft.instruments), status="open",
                            created_at=now, created_by=vs.actor.id, updated_at=now,
                            updated_by=vs.actor.id)
        for unit_id in units:
            CensusUnit.create(census=row.id, unit=unit_id)
        audit.record(vs, "create", "census", row.id,
                     {"units": len(units), "instruments": list(draft.instruments)})
    return int(row.id)


def close_census(vs: VaultSession, census_id: int) -> CensusFigures:
    """Close a campaign and freeze its figures (returned). Coordinators only; audited
    ``update census``. Raises :class:`NotFound`, :class:`Conflict` (already closed)."""
    _require_manager(vs)
    with vs.transaction():
        census = _census(census_id)
        if census.status != "open":
            raise Conflict(_("This census is already closed."))
        figures = _live_figures(vs, census)
        census.status = "closed"
        census.closed_at = figures.as_of
        census.frozen_figures = figures.to_json()
        census.updated_at, census.updated_by_id = figures.as_of, vs.actor.id
        census.save()
        audit.record(vs, "update", "census", census_id,
                     {"status": "closed", "target": figures.target,
                      "completed": figures.completed})
    return CensusFigures.from_json(census_id, figures.to_json())


# --------------------------------------------------------------------------- reading


def _census(census_id: int) -> Census:
    census = Census.get_or_none(Census.id == census_id)
    if census is None:
        raise NotFound(_("No such census."))
    return census


def _unit_ids(census_id: int) -> tuple[int, ...]:
    return tuple(int(r.unit_id) for r in CensusUnit.select(CensusUnit.unit)
                 .where(CensusUnit.census == census_id).order_by(CensusUnit.unit))


def _screened_sql(codes: Sequence[str]) -> str:
    """SQL (on person alias ``p``) counting the census instruments ``p`` completed in the
    window; parameters: starts_on, ends_on, *codes."""
    marks = ", ".join("?" for _c in codes)
    return ("(SELECT COUNT(DISTINCT a.instrument_code) FROM assessment a "
            "WHERE a.person_id = p.id AND a.voided_at IS NULL AND a.complete = 1 "
            f"AND a.administered_on BETWEEN ? AND ? AND a.instrument_code IN ({marks}))")


#: The target units' serving officers, read by unit (the name-order index would walk every
#: officer of the archive once per unit).
_TARGET = ("FROM census_unit cu JOIN unit u ON u.id = cu.unit_id "
           "LEFT JOIN person p INDEXED BY person_unit_id_kind ON p.unit_id = cu.unit_id "
           "AND p.kind = 'officer' "
           "AND p.voided_at IS NULL AND p.archived_at IS NULL WHERE cu.census_id = ?")


_IN_WINDOW = ("a.voided_at IS NULL AND a.complete = 1 AND a.administered_on BETWEEN ? AND ? "
              "AND a.instrument_code IN ({marks})")


def _unit_progress(vs: VaultSession, census: Census) -> tuple[UnitProgress, ...]:
    """Completion by target unit in ONE grouped query driven by the window's assessments:
    the officers targeted come from ``serving_count`` (db migration 19: serving officers by
    unit, kept on write), the screened ones from the window's assessments joined to their
    officer, so the cost follows the campaign's activity, not the number of officers."""
    codes = list(census.instruments or [])
    window = (census.starts_on, census.ends_on)
    marks = ", ".join("?" for _c in codes) or "NULL"
    flags = "".join(f", MAX(code = ?) AS c{i}" for i in range(len(codes)))
    sums = "".join(f", SUM(s.c{i}) AS c{i}" for i in range(len(codes)))
    picks = "".join(f", COALESCE(done.c{i}, 0)" for i in range(len(codes)))
    sql = (
        "WITH per AS (SELECT a.person_id AS pid, a.instrument_code AS code FROM assessment a "
        f"WHERE {_IN_WINDOW.format(marks=marks)} GROUP BY a.person_id, a.instrument_code), "
        f"scr AS (SELECT pid, COUNT(*) AS n{flags} FROM per GROUP BY pid), "
        f"done AS (SELECT p.unit_id AS unit_id, SUM(s.n = ?) AS completed{sums} "
        "FROM scr s CROSS JOIN person p ON p.id = s.pid "  # by id, never every officer
        "WHERE p.kind = 'officer' AND p.voided_at IS NULL AND p.archived_at IS NULL "
        "GROUP BY p.unit_id), "
        "tgt AS (SELECT unit_key AS unit_id, SUM(n) AS n FROM serving_count GROUP BY unit_key) "
        "SELECT u.id, u.code, u.name, u.police_type, COALESCE(tgt.n, 0), "
        f"COALESCE(done.completed, 0){picks} "
        "FROM census_unit cu JOIN unit u ON u.id = cu.unit_id "
        "LEFT JOIN tgt ON tgt.unit_id = cu.unit_id "
        "LEFT JOIN done ON done.unit_id = cu.unit_id WHERE cu.census_id = ? "
        "ORDER BY u.code, u.id")
    params: list[Any] = [*window, *codes, *codes, len(codes), census.id]
    return tuple(
        UnitProgress(int(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), int(r[5] or 0),
                     {c: int(r[6 + i] or 0) for i, c in enumerate(codes)})
        for r in vs.execute(sql, tuple(params)))


def _positive(vs: VaultSession, census: Census) -> dict[str, int]:
    """Screen-positive target officers per instrument (their latest assessment of it in the
    window is positive), every instrument in ONE grouped query."""
    codes = list(census.instruments or [])
    if not codes:
        return {}
    marks = ", ".join("?" for _c in codes)
    found = dict(vs.execute(
        "WITH latest AS (SELECT a.person_id AS pid, a.instrument_code AS code, "
        "a.positive AS positive, ROW_NUMBER() OVER (PARTITION BY a.person_id, "
        "a.instrument_code ORDER BY a.administered_on DESC, a.id DESC) AS rn FROM assessment a "
        f"WHERE {_IN_WINDOW.format(marks=marks)}) "
        "SELECT l.code, COUNT(*) FROM latest l CROSS JOIN person p ON p.id = l.pid "
        "AND p.kind = 'officer' AND p.voided_at IS NULL AND p.archived_at IS NULL "
        "JOIN census_unit cu ON cu.unit_id = p.unit_id AND cu.census_id = ? "
        "WHERE l.rn = 1 AND l.positive = 1 GROUP BY l.code",
        (census.starts_on, census.ends_on, *codes, census.id)).fetchall())
    return {c: int(found.get(c, 0)) for c in codes}


def _live_figures(vs: VaultSession, census: Census) -> CensusFigures:
    """The figures computed now: :func:`_unit_progress` and :func:`_positive`."""
    codes = list(census.instruments or [])
    units = _unit_progress(vs, census)
    return CensusFigures(
        census_id=int(census.id), as_of=vs.now_iso(),
        target=sum(u.target for u in units), completed=sum(u.completed for u in units),
        units=units,
        per_instrument={c: sum(u.per_instrument[c] for u in units) for c in codes},
        positive=_positive(vs, census), frozen=False)


def figures(vs: VaultSession, census_id: int) -> CensusFigures:
    """A campaign's figures: frozen when closed, else computed now (module docstring).
    Any role. Raises :class:`NotFound`."""
    with vs.reading():
        census = _census(census_id)
        if census.status != "open" and census.frozen_figures:
            return CensusFigures.from_json(census_id, dict(census.frozen_figures))
        return _live_figures(vs, census)


def _kept_totals(vs: VaultSession, census_id: int) -> tuple[int, int]:
    """An open campaign's (target, screened) officers from the values kept on write (db
    migration 22: ``census_done``, screened serving officers by unit; migration 19:
    ``serving_count``) summed over its target units: a handful of rows, not every
    assessment of the window. Equal to the totals of :func:`_unit_progress`."""
    target, completed = vs.execute(
        "SELECT (SELECT COALESCE(SUM(sc.n), 0) FROM census_unit cu JOIN serving_count sc "
        "ON sc.unit_key = cu.unit_id WHERE cu.census_id = ?), "
        "(SELECT COALESCE(SUM(d.n), 0) FROM census_unit cu JOIN census_done d "
        "ON d.census_id = cu.census_id AND d.unit_key = cu.unit_id "
        "WHERE cu.census_id = ?)", (census_id, census_id)).fetchone()
    return int(target), int(completed)


def _row(vs: VaultSession, census: Census) -> CensusRow:
    if census.status != "open" and census.frozen_figures:
        target = int(census.frozen_figures["target"])
        completed = int(census.frozen_figures["completed"])
    elif census.status == "open":  # the list and the dashboard need the totals only
        target, completed = _kept_totals(vs, int(census.id))
    else:  # closed without frozen figures (none are written so): computed now
        units = _unit_progress(vs, census)
        target, completed = sum(u.target for u in units), sum(u.completed for u in units)
    return CensusRow(int(census.id), str(census.name), str(census.starts_on),
                     str(census.ends_on), tuple(census.instruments or ()),
                     _unit_ids(int(census.id)), str(census.status), census.closed_at,
                     target, completed)


def list_censuses(vs: VaultSession, *, include_closed: bool = True) -> list[CensusRow]:
    """Campaigns, open first, newest window first, with completion totals. Any role."""
    with vs.reading():
        query = Census.select()
        if not include_closed:
            query = query.where(Census.status == "open")
        rows = list(query)
        open_rows = [c for c in rows if c.status == "open"]
        closed_rows = [c for c in rows if c.status != "open"]
        ordered = (sorted(open_rows, key=lambda c: c.starts_on, reverse=True)
                   + sorted(closed_rows, key=lambda c: c.starts_on, reverse=True))
        return [_row(vs, c) for c in ordered]


def get_census(vs: VaultSession, census_id: int) -> CensusRow:
    """One campaign with its totals; :class:`NotFound` when missing."""
    with vs.reading():
        return _row(vs, _census(census_id))


def not_screened(vs: VaultSession, census_id: int, unit_id: int | None = None,
                 limit: int | None = None) -> list[PendingOfficer]:
    """Officers of the target units (optionally one unit) not yet screened with every
    instrument in the window, by unit then pinyin, with the instruments they miss.
    Counselors see persons they may see; auditors are refused (person data).

    The instruments each officer took are read in the same statement: for an open campaign
    from ``census_take`` (db migration 22, one probe per officer), for a closed one from
    the window's assessments grouped once through the screening index (migration 4), never
    a query per officer (issue 18)."""
    cond, vparams = visibility_sql(vs)
    with vs.reading():
        census = _census(census_id)
        codes = list(census.instruments or [])
        marks = ", ".join("?" for _c in codes) or "NULL"
        if census.status == "open":
            head, hparams = "", []
            taken = ("SELECT instrument_code AS c FROM census_take WHERE person_id = p.id "
                     "AND census_id = ?")
            tparams: list[Any] = [census_id]
        else:
            head = ("WITH took(pid, code) AS MATERIALIZED (SELECT a.person_id, "
                    "a.instrument_code FROM assessment a INDEXED BY assessment_screening "
                    f"WHERE a.instrument_code IN ({marks}) AND a.administered_on BETWEEN ? "
                    "AND ? AND a.voided_at IS NULL AND a.complete = 1 "
                    "GROUP BY a.person_id, a.instrument_code) ")
            hparams = [*codes, census.starts_on, census.ends_on]
            taken = "SELECT code AS c FROM took WHERE pid = p.id"
            tparams = []
        params: list[Any] = [*hparams, *tparams, census_id, *tparams, len(codes), *vparams]
        sql = (f"{head}SELECT p.id, p.badge_no, p.name, u.id, u.name, "
               f"(SELECT group_concat(c, char(31)) FROM ({taken})) "
               f"{_TARGET} AND p.id IS NOT NULL "
               f"AND (SELECT count(*) FROM ({taken})) < ? AND {cond}")
        # an open campaign's list is read unit by unit (codes are unique, so this is the
        # list's order) and stops at the limit: a page walks a unit's officers, not all
        units: list[int | None] = [unit_id]
        if census.status == "open":
            units = [int(r[0]) for r in vs.execute(
                "SELECT cu.unit_id FROM census_unit cu JOIN unit u ON u.id = cu.unit_id "
                "WHERE cu.census_id = ? ORDER BY u.code, u.id", (census_id,))
                if unit_id is None or int(r[0]) == unit_id]
        rows: list[Any] = []
        for unit in units:
            left = None if limit is None else int(limit) - len(rows)
            if left is not None and left <= 0:
                break
            one = [*params]
            where = ""
            if unit is not None:
                where = " AND cu.unit_id = ?"
                one.append(unit)
            page = ""
            if left is not None:
                page = " LIMIT ?"
                one.append(left)
            rows += vs.execute(f"{sql}{where} ORDER BY u.code, p.name_sort, p.id{page}",
                               tuple(one)).fetchall()
    out = []
    for r in rows:
        done = set(str(r[5]).split("\x1f")) if r[5] is not None else set()
        out.append(PendingOfficer(int(r[0]), r[1], str(r[2]), int(r[3]), str(r[4]),
                                  tuple(c for c in codes if c not in done)))
    return out


# --------------------------------------------------------------------------- dashboard


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def dashboard_section(vs: VaultSession) -> DashboardSection | None:
    """The dashboard block "census progress": one line per open campaign (screened /
    target, percentage, window end). ``None`` when no campaign is open."""
    rows = list_censuses(vs, include_closed=False)
    if not rows:
        return None
    today = vs.today()
    items = []
    for r in rows:
        end = date.fromisoformat(r.ends_on)
        late = end < today and r.completed < r.target
        items.append(DashboardItem(
            text=_("{name}: {done}/{target} screened ({percent}) · ends {hint}").format(
                name=r.name, done=r.completed, target=r.target, percent=_percent(r.rate),
                hint=relative_hint(end, today)),
            due=r.ends_on, level="warning" if late else "info", ref=f"census:{r.id}"))
    done = sum(r.completed for r in rows)
    target = sum(r.target for r in rows)
    return DashboardSection(
        id="census", title=_("Census progress"), items=tuple(items),
        summary=_("{done}/{target} screened").format(done=done, target=target),
        extra={"open": len(rows), "completed": done, "target": target})


def frozen_json(vs: VaultSession, census_id: int) -> str | None:
    """The stored frozen figures as JSON text (``None`` while open) — for reports."""
    with vs.reading():
        census = _census(census_id)
        if census.frozen_figures is None:
            return None
        return json.dumps(census.frozen_figures, ensure_ascii=False, sort_keys=True)
