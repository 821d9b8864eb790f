"""Compile the content of a periodic submission (情况报送, DESIGN §8) with SQL aggregates.

:func:`compile_content` reads the vault through one read transaction and returns the
submission *content*: plain JSON-ready data (dicts, lists, ints, floats, strings) with exact
counts and no names of persons. Every figure is a ``COUNT``/``SUM``/``GROUP BY`` in SQLite;
Python only arranges the grouped rows (a handful per query) into the fixed category order of
the vocabularies (:mod:`counselor_tui.domain.vocab`), with a zero for every code that has no
row, so the same data always gives the same content. The shape is documented in
``docs/submission-json.md`` and its codes in :mod:`counselor_tui.reports.content`; the
disclosure record is added by :func:`counselor_tui.reports.protect.protect`. The data-reading
half of a submission lives here, in the service layer; ``reports`` only renders plain data.

Rules (decisions recorded in ``docs/submission-json.md`` § "Counting rules"):

* Periods are calendar months/quarters/years in the bureau time zone (setting ``timezone``);
  timestamps are stored bureau-local with an explicit offset (DESIGN §4), so a timestamp is
  in the period when ``start <= ts < end`` as ISO strings of the same zone; date columns
  compare as ``YYYY-MM-DD``.
* Voided rows (``voided_at``) are left out everywhere, and so are sessions, assessments,
  tier changes and restrictions of a voided person.
* Unit attribution (scope ``UNITCODE``): a person belongs to their own unit; a family member
  without one to the unit of the officer they are linked to (lowest officer id); an anonymous
  session to the unit of the counselor who held it; an incident, activity or census target to
  its own unit; a counselor (and their training) to their account's unit. Rows attributed to no
  unit appear only in the bureau scope (as the ``_unassigned`` row of per-unit tables).
  Each row belongs to at most one unit, so unit scopes add up to the bureau scope.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from counselor_tui import __version__
from counselor_tui.domain import vocab
from counselor_tui.domain.audit_chain import GENESIS
from counselor_tui.domain.dates import bureau_tz, to_storage
from counselor_tui.domain.instruments import builtin_codes
from counselor_tui.domain.periods import Period, datetime_bounds
from counselor_tui.i18n import _
from counselor_tui.reports.content import (
    BUREAU,
    CLIENT_KINDS,
    FIREARM_FIGURES,
    SCHEMA_ID,
    SCHEMA_VERSION,
    SCREEN_COLUMNS,
    TIER_CODES,
    TIER_COLUMNS,
    UNASSIGNED,
    UNKNOWN,
    period_json,
    series,
    table,
)
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import InvalidInput
from counselor_tui.services.settings import get_setting
from counselor_tui.services.submission_incidents import incidents_section
from counselor_tui.services.submission_team import team_section
from db.migrations.m0025_compile_person_index import INDEX as PERSON_INDEX

#: Number of compile steps reported to the progress callback.
STEPS = 7

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Scope:
    """What a submission covers: the whole bureau (``unit_id`` None) or one unit."""

    code: str
    unit_id: int | None
    unit_name: str | None

    @property
    def is_bureau(self) -> bool:
        """True for the bureau scope."""
        return self.unit_id is None


@dataclass(frozen=True)
class _Bounds:
    """The period's bounds as storage strings: instants for timestamp columns (bureau-local
    ISO), dates for date columns, and the cut-off ``min(now, end)`` for "as of" figures."""

    start: str
    end: str
    start_date: str
    end_date: str
    cutoff: str


def resolve_scope(vs: VaultSession, scope: str) -> Scope:
    """The :class:`Scope` for ``"bureau"`` or a unit code (inside ``vs.reading()``).

    Raises :class:`InvalidInput` for an empty scope (never read as the bureau: an empty
    ``--scope ""`` is a mistake, not a choice) and for an unknown unit code.
    """
    code = scope.strip()
    if not code:
        raise InvalidInput(_("The scope is empty: give 'bureau' or the code of a unit."))
    if code == BUREAU:
        return Scope(BUREAU, None, None)
    row = vs.execute("SELECT id, name FROM unit WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise InvalidInput(
            _("Unknown unit code {code}: use 'bureau' or the code of a unit.").format(code=code))
    return Scope(code, int(row[0]), str(row[1]))


def _bounds(vs: VaultSession, period: Period) -> _Bounds:
    tz = bureau_tz(str(get_setting(vs, "timezone", "Asia/Shanghai")))
    start, end = datetime_bounds(period, tz)
    now = vs.now().astimezone(tz)
    return _Bounds(to_storage(start), to_storage(end), period.start.isoformat(),
                   period.end.isoformat(), to_storage(min(now, end)))


# --------------------------------------------------------------------------- SQL pieces

#: Every non-voided person with the unit and police type the submission counts them under
#: (a family member without a unit: the linked officer with the lowest id). Not materialized:
#: SQLite looks persons up by id for the rows of the period only, in the narrow index of the
#: columns read here (db migration 25) rather than in the person rows.
_FAMILY_OFFICER = ("(SELECT fl.officer_id FROM family_link fl WHERE fl.person_id = p.id "
                   "ORDER BY fl.officer_id LIMIT 1)")
_PU = f"""
pu AS NOT MATERIALIZED (
  SELECT p.id AS pid, p.kind AS kind,
         COALESCE(p.unit_id, (SELECT o.unit_id FROM person o WHERE o.id = {_FAMILY_OFFICER}))
           AS unit_id,
         COALESCE(p.police_type,
                  (SELECT o.police_type FROM person o WHERE o.id = {_FAMILY_OFFICER}),
                  (SELECT un.police_type FROM unit un WHERE un.id = COALESCE(p.unit_id,
                     (SELECT o.unit_id FROM person o WHERE o.id = {_FAMILY_OFFICER}))))
           AS police_type
  FROM person p INDEXED BY {PERSON_INDEX}
  WHERE p.voided_at IS NULL
)"""

#: Sessions started in the period, with client kind, unit and police type.
_SS = """
ss AS (
  SELECT s.id AS id, s.duration_min AS minutes, s.channel AS channel, s.kind AS kind,
         s.referral AS referral, s.person_id AS person_id,
         CASE WHEN s.person_id IS NULL THEN 'anonymous' ELSE pu.kind END AS client_kind,
         CASE WHEN s.person_id IS NULL THEN cu.unit_id
              ELSE COALESCE((SELECT m.from_unit_id FROM person_move m
                             WHERE m.person_id = s.person_id AND m.kind = 'transfer'
                               AND m.on_date > substr(s.started_at, 1, 10)
                             ORDER BY m.on_date, m.id LIMIT 1), pu.unit_id) END AS unit_id,
         pu.police_type AS police_type
  FROM counseling_session s
  LEFT JOIN pu ON pu.pid = s.person_id
  LEFT JOIN "user" cu ON cu.id = s.counselor_id
  WHERE s.voided_at IS NULL AND s.started_at >= :start AND s.started_at < :end
    AND (s.person_id IS NULL OR pu.pid IS NOT NULL)
)"""

#: Officers serving at the period's end (entered before it, not archived by then), under
#: the unit they were in on its last day: a transfer dated after it (issue 15) still counts
#: them in the unit they left. Sessions likewise count under the person's unit on the day.
def _sv(source: str = "person p", how: str = "") -> str:
    """The ``sv`` CTE over the persons of ``source`` (a FROM clause naming them ``p``);
    ``how``: ``MATERIALIZED`` when it is joined to many rows."""
    return f"""
sv AS {how} (
  SELECT p.id AS pid,
         COALESCE((SELECT m.from_unit_id FROM person_move m
                   WHERE m.person_id = p.id AND m.kind = 'transfer' AND m.on_date >= :end_date
                   ORDER BY m.on_date, m.id LIMIT 1), p.unit_id) AS unit_id
  FROM {source}
  WHERE p.kind = 'officer' AND p.voided_at IS NULL AND p.created_at < :end
    AND (p.archived_at IS NULL OR substr(p.archived_at, 1, 10) >= :end_date)
)"""


_SV = _sv()


class _Query:
    """Runs named-parameter SQL on the session's connection with the period bounds."""

    def __init__(self, vs: VaultSession, bounds: _Bounds, scope: Scope) -> None:
        self.vs = vs
        self.params: dict[str, Any] = {
            "start": bounds.start, "end": bounds.end, "start_date": bounds.start_date,
            "end_date": bounds.end_date, "cutoff": bounds.cutoff, "unit": scope.unit_id,
        }
        self.scope = scope

    def where_unit(self, column: str) -> str:
        """``AND column = :unit`` for a unit scope, nothing for the bureau."""
        return "" if self.scope.is_bureau else f" AND {column} = :unit"

    def run(self, sql: str) -> None:
        """Execute a statement (temporary tables) with the bounds as parameters."""
        self.vs.db.connection().execute(sql, self.params)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self.vs.db.connection().execute(sql, self.params)
        return [tuple(r) for r in cursor.fetchall()]

    def one(self, sql: str) -> tuple[Any, ...]:
        rows = self.rows(sql)
        return rows[0]


# --------------------------------------------------------------------------- arranging


def _unit_rows(
    rows: Iterable[tuple[int | None, str | None, int]], unit_codes: dict[int, str]
) -> list[tuple[str, str | None, int]]:
    """Replace unit ids by codes; rows of no unit become :data:`UNASSIGNED`."""
    return [(unit_codes.get(u, UNASSIGNED) if u is not None else UNASSIGNED, c, n)
            for u, c, n in rows]


def _drop_empty_row(tbl: dict[str, Any], code: str) -> dict[str, Any]:
    """Remove row ``code`` when it is all zeros (the ``_unassigned`` row is shown only when
    something is attributed to no unit)."""
    if code in tbl["rows"]:
        i = tbl["rows"].index(code)
        if not any(tbl["counts"][i]):
            tbl["rows"].pop(i)
            tbl["counts"].pop(i)
    return tbl


def _police_type(code: str | None) -> str:
    if code is None or not str(code).strip():
        return UNKNOWN
    return vocab.canonical_police_type(str(code)) or str(code).strip()


def _hours(value: Any) -> float:
    return round(float(value or 0), 2)


# --------------------------------------------------------------------------- sections


def _counseling(q: _Query, unit_rows: list[str], unit_codes: dict[int, str]) -> dict[str, Any]:
    # The period's sessions are read once into a temporary table (temp_store is MEMORY, so
    # nothing reaches the disk) and every breakdown is an aggregate over it.
    q.run("DROP TABLE IF EXISTS temp.sub_sessions")
    q.run(f"CREATE TEMP TABLE sub_sessions AS WITH {_PU},{_SS} SELECT * FROM ss "
          f"WHERE 1{q.where_unit('ss.unit_id')}")
    try:
        # Every breakdown (unit and client kind, channel, kind, referral, police type) and
        # the session and minute totals in one grouped pass, summed per column below.
        grouped = q.rows("SELECT unit_id, client_kind, channel, kind, referral, police_type, "
                         "COUNT(*), COALESCE(SUM(minutes), 0) FROM temp.sub_sessions "
                         "GROUP BY 1, 2, 3, 4, 5, 6")
        # Persons served, and the new ones: no non-voided session before the period, by the
        # earliest one kept on the person (db migration 19): one look-up per person served.
        persons, new_persons = q.one(
            "SELECT COUNT(*), COALESCE(SUM(p.first_session_at >= :start), 0) "
            f"FROM person p INDEXED BY {PERSON_INDEX} "
            "WHERE p.id IN (SELECT person_id FROM temp.sub_sessions)")
        topics = q.rows("SELECT st.topic, COUNT(*) FROM temp.sub_sessions s "
                        "JOIN session_topic st ON st.session_id = s.id GROUP BY st.topic")
    finally:
        q.run("DROP TABLE IF EXISTS temp.sub_sessions")
    sessions = sum(int(row[6]) for row in grouped)
    minutes = sum(int(row[7]) for row in grouped)
    client_unit = [(row[0], row[1], int(row[6])) for row in grouped]
    by: dict[str, list[tuple[Any, int]]] = {
        col: [(row[i], int(row[6])) for row in grouped]
        for i, col in enumerate(("channel", "kind", "referral", "police_type"), start=2)
    }
    police: dict[str, int] = {}
    for code, n in by["police_type"]:
        key = _police_type(code)
        police[key] = police.get(key, 0) + int(n)
    referrals = [(c, n) for c, n in by["referral"] if c != "none"]
    return {
        "figures": {
            "sessions": int(sessions), "minutes": int(minutes),
            "persons_served": int(persons), "new_persons": int(new_persons),
        },
        "tables": {
            "by_channel": series(by["channel"], tuple(vocab.CHANNELS)),
            "by_kind": series(by["kind"], tuple(vocab.SESSION_KINDS)),
            "by_topic": series(topics, tuple(vocab.TOPICS)),
            "by_unit": _drop_empty_row(
                table(_unit_rows(client_unit, unit_codes), unit_rows, CLIENT_KINDS), UNASSIGNED),
            "by_police_type": series(police.items(), vocab.POLICE_TYPES),
            "referrals": series(referrals, tuple(c for c in vocab.REFERRALS if c != "none")),
        },
    }


#: 建档 without a change row: a tier state whose person has no change *from* no tier (the
#: first decision of :mod:`counselor_tui.services.tier_policy` writes one; imports and the
#: demo set the first tier with the tier state alone). Entered on the state's ``since`` when
#: the tier never changed, else on the day the state was created, with the first change's
#: ``from_tier``, or the state's tier when it never changed.
def _entered(extra: str = "") -> str:
    """The ``entered`` CTE; ``extra`` narrows the tier states (``AND …`` on ``ts``)."""
    return f"""
entered AS (
  SELECT ts.person_id AS pid,
         CASE WHEN EXISTS (SELECT 1 FROM tier_change c WHERE c.person_id = ts.person_id)
              THEN substr(ts.created_at, 1, 10) ELSE substr(ts.since, 1, 10) END AS day,
         COALESCE((SELECT tc.from_tier FROM tier_change tc WHERE tc.person_id = ts.person_id
                   ORDER BY tc.at, tc.id LIMIT 1), ts.tier) AS tier
  FROM tier_state ts
  WHERE NOT EXISTS (SELECT 1 FROM tier_change n
                    WHERE n.person_id = ts.person_id AND n.from_tier IS NULL){extra}
)"""


#: Persons whose standing at the period's end may differ from now (db migration 19): a tier
#: change at or after the end, a tier state entered on or after it, a transfer dated on or
#: after it, a person created after it or archived on or after it. Everyone else stands at
#: the end as they stand now, which ``serving_count`` and ``person.tier_now`` keep.
_TOUCHED = """
touched AS (
  SELECT person_id AS pid FROM tier_change WHERE at >= :end
  UNION ALL SELECT person_id FROM tier_state WHERE since >= :end_date
  UNION ALL SELECT person_id FROM person_move WHERE kind = 'transfer' AND on_date >= :end_date
  UNION ALL SELECT id FROM person WHERE created_at >= :end
  UNION ALL SELECT id FROM person WHERE archived_at >= :end_date
)"""

#: The touched persons, each once, looked up by id (never a scan of every officer) in the
#: narrow index of the person columns read here (db migration 25).
_TOUCHED_PERSONS = ("(SELECT DISTINCT pid FROM touched) t "
                    f"CROSS JOIN person p INDEXED BY {PERSON_INDEX} ON p.id = t.pid")


#: The tier states that may have entered in the period (either day of :func:`_entered`).
_ENTERED_IN_PERIOD = (" AND ((ts.since >= :start_date AND ts.since < :end_date) "
                      "OR (ts.created_at >= :start_date AND ts.created_at < :end_date))")


def _serving_at_end(q: _Query) -> list[tuple[Any, ...]]:
    """``(unit id, tier, officers)`` of the officers serving at the period's end (``sv``) by
    the unit they were in and their tier then: the last change before the end (ties: the
    later id); else the tier they entered with when that was before the end
    (:func:`_entered`); else ``none``. Everyone untouched since the end counts as now
    (``serving_count``); the touched persons are taken out as they stand now and put back as
    they stood at the end."""
    return q.rows(
        f"WITH {_TOUCHED}, {_sv(_TOUCHED_PERSONS)}, "
        f"{_entered(' AND ts.person_id IN touched')}, "
        "last AS (SELECT person_id, to_tier, MAX(at || '#' || printf('%012d', id)) "
        "FROM tier_change WHERE +at < :end AND person_id IN touched GROUP BY person_id) "
        "SELECT unit_id, tier, SUM(n) FROM ("
        "SELECT NULLIF(unit_key, 0) AS unit_id, tier, n FROM serving_count "
        f"UNION ALL SELECT p.unit_id, p.tier_now, -1 FROM {_TOUCHED_PERSONS} "
        "WHERE p.kind = 'officer' AND p.voided_at IS NULL AND p.archived_at IS NULL "
        "UNION ALL SELECT sv.unit_id, COALESCE(last.to_tier, CASE WHEN entered.day < :end_date "
        "THEN entered.tier END, 'none'), 1 "
        "FROM sv LEFT JOIN last ON last.person_id = sv.pid "
        "LEFT JOIN entered ON entered.pid = sv.pid) "
        f"WHERE 1{q.where_unit('unit_id')} GROUP BY 1, 2 HAVING SUM(n) != 0")


def _archive(q: _Query, unit_rows: list[str], unit_codes: dict[int, str]) -> dict[str, Any]:
    tiers = _serving_at_end(q)
    (archived,) = q.one(
        "SELECT COUNT(*) FROM person p INDEXED BY person_archived_at WHERE p.kind = 'officer' "
        "AND p.voided_at IS NULL AND p.archived_at >= :start_date "
        f"AND p.archived_at < :end_date{q.where_unit('p.unit_id')}")
    # changes in the period (not reviews), and the entries (新建档: none → first tier)
    transitions = q.rows(
        f"WITH {_PU}, {_entered(_ENTERED_IN_PERIOD)}, moves AS ("
        "SELECT tc.person_id AS pid, COALESCE(tc.from_tier, 'none') AS f, tc.to_tier AS t "
        "FROM tier_change tc WHERE tc.at >= :start AND tc.at < :end "
        "AND tc.from_tier IS NOT tc.to_tier UNION ALL SELECT pid, 'none', tier FROM entered "
        "WHERE day >= :start_date AND day < :end_date) "
        "SELECT moves.f, moves.t, COUNT(*) FROM moves JOIN pu ON pu.pid = moves.pid "
        f"WHERE 1{q.where_unit('pu.unit_id')} GROUP BY 1, 2")
    by_unit = _drop_empty_row(
        table(_unit_rows(tiers, unit_codes), unit_rows, TIER_COLUMNS), UNASSIGNED)
    serving = sum(sum(row) for row in by_unit["counts"])
    return {
        "figures": {"serving": serving, "archived_in_period": int(archived)},
        "tables": {
            "tiers_by_unit": by_unit,
            "transitions": table(transitions, ("none", *TIER_CODES), TIER_CODES),
        },
    }


#: The persons who completed a campaign, each once, looked up by id.
_OK_PERSONS = "(SELECT DISTINCT pid FROM ok) t CROSS JOIN person p ON p.id = t.pid"


#: The instrument codes of the completed, non-voided assessments, each found by one seek of
#: the screening index (the next code after the last one found).
_SCREENED = "assessment INDEXED BY assessment_screening WHERE voided_at IS NULL AND complete = 1"
_CODES = (f"codes(code) AS (SELECT MIN(instrument_code) FROM {_SCREENED} "
          f"UNION ALL SELECT (SELECT MIN(instrument_code) FROM {_SCREENED} "
          "AND instrument_code > codes.code) FROM codes WHERE codes.code IS NOT NULL)")


def _census(q: _Query) -> dict[str, Any]:
    # Campaigns open in the period with a target unit (in the scope). Target: the officers
    # serving at the end in those units (:func:`_serving_at_end`, no pass over every
    # officer); completed: those of them with every instrument done in the campaign before
    # the end, read from the campaigns' assessments and looked up by id.
    w = q.where_unit("cu.unit_id")
    found = q.rows(
        "SELECT c.id, c.name, c.starts_on, c.ends_on, c.instruments, "
        "json_group_array(cu.unit_id) FROM census c JOIN census_unit cu ON cu.census_id = c.id "
        f"WHERE c.starts_on < :end_date AND c.ends_on >= :start_date{w} GROUP BY c.id "
        "ORDER BY c.starts_on, c.name, c.ends_on, c.id")
    serving: dict[Any, int] = {}
    if found:
        for unit_id, _tier, n in _serving_at_end(q):
            serving[unit_id] = serving.get(unit_id, 0) + int(n)
    screened = dict(q.rows(
        "WITH cc AS (SELECT c.id AS cid FROM census c WHERE c.starts_on < :end_date "
        "AND c.ends_on >= :start_date), "
        "ci AS (SELECT DISTINCT cc.cid AS cid, j.value AS code FROM cc JOIN census c "
        "ON c.id = cc.cid, json_each(c.instruments) j), "
        "need AS (SELECT cid, COUNT(*) AS n FROM ci GROUP BY cid), "
        "done AS (SELECT a.census_id AS cid, a.person_id AS pid, "
        "COUNT(DISTINCT a.instrument_code) AS n FROM assessment a "
        "JOIN ci ON ci.cid = a.census_id AND ci.code = a.instrument_code "
        "WHERE a.complete = 1 AND a.voided_at IS NULL AND a.administered_on < :end_date "
        "GROUP BY a.census_id, a.person_id), "
        "ok AS MATERIALIZED (SELECT done.cid AS cid, done.pid AS pid FROM done JOIN need "
        "ON need.cid = done.cid WHERE done.n >= need.n), "
        f"{_sv(_OK_PERSONS, 'MATERIALIZED')} "
        "SELECT ok.cid, COUNT(*) FROM ok JOIN sv ON sv.pid = ok.pid "
        "JOIN census_unit cu ON cu.census_id = ok.cid AND cu.unit_id = sv.unit_id "
        f"WHERE 1{w} GROUP BY ok.cid")) if found else {}
    campaigns = []
    for cid, name, starts, ends, instruments, units in found:
        target = sum(serving.get(u, 0) for u in json.loads(units))
        # a campaign without instruments counts every target officer as completed
        done = screened.get(cid, 0) if json.loads(instruments or "[]") else target
        campaigns.append((name, starts, ends, instruments, target, done))
    records: dict[tuple[str, str, str], dict[str, Any]] = {}
    for name, starts, ends, instruments, target, completed in campaigns:
        key = (str(starts), str(name), str(ends))
        entry = records.setdefault(key, {
            "name": str(name), "starts_on": str(starts), "ends_on": str(ends),
            "instruments": sorted({str(i) for i in json.loads(instruments or "[]")}),
            "target": 0, "completed": 0,
        })
        entry["target"] += int(target)
        entry["completed"] += int(completed)
    # The period's completed assessments, per instrument code, by a range of the covering
    # screening index (db migration 4: instrument, date, person, result): the codes present
    # are found one index seek each (``codes``), so no pass over every assessment ever made.
    screening = q.rows(
        f"WITH RECURSIVE {_PU}, {_CODES} SELECT a.instrument_code, "
        "CASE WHEN a.positive = 1 THEN 'positive' ELSE 'negative' END, COUNT(*) "
        "FROM codes CROSS JOIN assessment a INDEXED BY assessment_screening "
        "ON a.instrument_code = codes.code JOIN pu ON pu.pid = a.person_id "
        "WHERE a.voided_at IS NULL AND a.complete = 1 AND a.administered_on >= :start_date "
        f"AND a.administered_on < :end_date{q.where_unit('pu.unit_id')} GROUP BY 1, 2")
    return {
        "figures": {},
        "campaigns": [records[k] for k in sorted(records)],
        "tables": {"screening": table(screening, builtin_codes(), SCREEN_COLUMNS)},
    }


def _firearms(q: _Query) -> dict[str, Any]:
    """Firearm figures read from the restrictions' events (issue 19): recommendations,
    restricting decisions, declined recommendations and reinstatements dated in the period;
    restrictions in force and recommendations still undecided at its end. A restriction is
    restricted from its first restricting decision or review with a known date (a migrated
    decision whose outcome the old register lost was restricting: it was reinstated later);
    an event whose date the old register did not keep counts in no period."""
    restricting = ("(e.kind = 'decided' AND (e.outcome IN ('suspended', 'revoked') "
                   "OR e.outcome IS NULL)) OR (e.kind = 'reviewed' AND e.outcome = 'revoked')")
    row = q.one(
        f"WITH {_PU}, ev AS (SELECT f.id AS rid, "
        "MIN(CASE WHEN e.kind = 'recommended' THEN e.on_date END) AS recommended_on, "
        f"MIN(CASE WHEN {restricting} THEN e.on_date END) AS restricted_on, "
        "MIN(CASE WHEN e.kind = 'decided' AND e.outcome = 'declined' THEN e.on_date END) "
        "AS declined_on, "
        "MIN(CASE WHEN e.kind = 'reinstated' THEN e.on_date END) AS reinstated_on, "
        "MAX(e.kind != 'recommended') AS decided, "
        "MIN(CASE WHEN e.kind != 'recommended' THEN e.on_date END) AS first_decision_on "
        "FROM firearm_restriction f JOIN pu ON pu.pid = f.person_id "
        "JOIN firearm_event e ON e.restriction_id = f.id "
        f"WHERE 1{q.where_unit('pu.unit_id')} GROUP BY f.id) SELECT "
        "COALESCE(SUM(recommended_on >= :start_date AND recommended_on < :end_date), 0), "
        "COALESCE(SUM(restricted_on >= :start_date AND restricted_on < :end_date), 0), "
        "COALESCE(SUM(declined_on >= :start_date AND declined_on < :end_date), 0), "
        "COALESCE(SUM(reinstated_on >= :start_date AND reinstated_on < :end_date), 0), "
        "COALESCE(SUM(restricted_on < :end_date "
        "AND (reinstated_on IS NULL OR reinstated_on >= :end_date)), 0), "
        "COALESCE(SUM(recommended_on < :end_date AND (NOT decided "
        "OR first_decision_on >= :end_date)), 0) FROM ev")
    return {"figures": {name: int(v) for name, v in zip(FIREARM_FIGURES, row, strict=True)},
            "tables": {}}


# --------------------------------------------------------------------------- entry point


def compile_content(
    vs: VaultSession,
    period: Period,
    scope: str = BUREAU,
    *,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The exact content of a submission for ``period`` and ``scope`` (``"bureau"`` or a
    unit code), without narrative and without the disclosure record.

    Shape: ``schema``, ``schema_version``, ``period`` (kind, label, start, end), ``scope``
    (kind ``bureau``/``unit``, code), ``issuer`` (bureau name, unit name), ``units``
    ({code: name} of the per-unit rows), ``source`` (``{"kind": "compiled"}``), ``sections``
    (``counseling``, ``archive``, ``census``, ``incidents``, ``firearms``, ``team``; each with
    ``figures`` and ``tables``) and ``integrity`` (``audit_head`` — the chain head when the
    figures were read, ``compiled_at`` — the session clock, ``software_version``). See
    ``docs/submission-json.md``. No role check here: callers (services) check roles.
    ``progress(done, total)`` is called after each step (from the calling thread).

    Raises :class:`InvalidInput` for an unknown unit code.
    """
    def tick(step: int) -> None:
        if progress is not None:
            progress(step, STEPS)

    bounds = _bounds(vs, period)
    bureau_name = str(get_setting(vs, "bureau_name", "") or "")
    with vs.reading():
        sc = resolve_scope(vs, scope)
        units = [(int(i), str(c), str(n)) for i, c, n in vs.execute(
            "SELECT id, code, name FROM unit ORDER BY code")]
        if not sc.is_bureau:
            units = [u for u in units if u[0] == sc.unit_id]
        unit_codes = {i: c for i, c, _n in units}
        unit_rows = [c for _i, c, _n in units]
        q = _Query(vs, bounds, sc)
        tick(0)
        sections: dict[str, Any] = {}
        sections["counseling"] = _counseling(q, unit_rows, unit_codes)
        tick(1)
        sections["archive"] = _archive(q, unit_rows, unit_codes)
        tick(2)
        sections["census"] = _census(q)
        tick(3)
        sections["incidents"] = incidents_section(q)
        tick(4)
        sections["firearms"] = _firearms(q)
        tick(5)
        sections["team"] = team_section(q, unit_codes)
        tick(6)
        head_row = vs.execute("SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone()
    head = str(head_row[0]) if head_row else GENESIS
    content: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "period": period_json(period),
        "scope": {"kind": "bureau" if sc.is_bureau else "unit", "code": sc.code},
        "issuer": {"bureau": bureau_name, "unit_name": sc.unit_name},
        "units": {c: n for _i, c, n in units},
        "source": {"kind": "compiled"},
        "sections": sections,
        "integrity": {
            "audit_head": head,
            "compiled_at": vs.now_iso(),
            "software_version": __version__,
        },
    }
    tick(STEPS)
    return content
