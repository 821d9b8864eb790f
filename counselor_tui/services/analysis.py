"""Analysis 分析 (issue 4 §8): tier distribution, screen-positive rates, trends, warnings.

* :func:`tier_distribution` — serving officers (``kind = officer``, not archived, not voided)
  by unit or by police type (the officer's own, else the unit's default), counted per tier
  (``untiered`` = no tier recorded yet). Aggregates: every role.
* :func:`positive_rates` — per unit or police type, among serving officers with a complete
  assessment of the instrument in the period, how many had a positive *latest* assessment
  (one per officer). Aggregates: every role.
* :func:`score_trend` — a person's totals per instrument over time (person data).
* :func:`early_warnings` — persons whose latest total rose by ≥ 5 on PHQ-9/GAD-7 or crossed a
  band since their previous assessment, and red/yellow persons with an overdue review
  (:mod:`counselor_tui.domain.analysis`, parameters in the tier policy). Person data.

All counting is done in SQL; the pure rules decide warnings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from counselor_tui.domain import analysis as rules
from counselor_tui.domain import instruments as engine
from counselor_tui.i18n import _
from counselor_tui.services import assessments, audit, tier_policy
from counselor_tui.services.access import visibility_sql
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import InvalidInput

GROUPINGS = ("unit", "police_type")
_OFFICERS = ("FROM person p LEFT JOIN unit u ON u.id = p.unit_id "
             "WHERE p.kind = 'officer' AND p.voided_at IS NULL AND p.archived_at IS NULL")


@dataclass(frozen=True)
class TierGroupRow:
    """Officers of one group by tier. ``key`` = unit id (as text) or police type."""

    key: str
    label: str
    officers: int
    red: int
    yellow: int
    green: int
    untiered: int


@dataclass(frozen=True)
class RateRow:
    """Screen-positive officers among those assessed, for one group."""

    key: str
    label: str
    assessed: int
    positive: int

    @property
    def rate(self) -> float | None:
        """``positive / assessed`` (``None`` when nobody was assessed)."""
        return rules.rate(self.positive, self.assessed)


@dataclass(frozen=True)
class TrendPoint:
    """One complete assessment on a person's trend chart."""

    assessment_id: int
    on: str
    total: float
    band: str | None
    positive: bool | None


@dataclass(frozen=True)
class EarlyWarning:
    """A person on the early-warning list with the reason codes and their labels."""

    person_id: int
    name: str
    badge_no: str | None
    unit_name: str | None
    tier: str | None
    review_due: str | None
    instrument: str | None
    previous_total: float | None
    latest_total: float | None
    latest_on: str | None
    reasons: tuple[str, ...]
    labels: tuple[str, ...]


def _group_sql(by: str) -> tuple[str, str]:
    if by == "unit":
        return "COALESCE(CAST(u.id AS TEXT), '')", "COALESCE(u.name, '')"
    if by == "police_type":
        expr = "COALESCE(p.police_type, u.police_type, '')"
        return expr, expr
    raise InvalidInput(_("Group by unit or police_type."))


def _label(text: str) -> str:
    return text or _("(none)")


def tier_distribution(vs: VaultSession, by: str = "unit") -> list[TierGroupRow]:
    """Serving officers per tier, grouped ``by`` ``unit`` or ``police_type`` (module
    docstring), largest group first. Any role."""
    key, label = _group_sql(by)
    sql = (f"SELECT {key} AS k, {label} AS l, COUNT(*), "
           "SUM(t.tier = 'red'), SUM(t.tier = 'yellow'), SUM(t.tier = 'green'), "
           "SUM(t.tier IS NULL) "
           "FROM person p LEFT JOIN unit u ON u.id = p.unit_id "
           "LEFT JOIN tier_state t ON t.person_id = p.id "
           "WHERE p.kind = 'officer' AND p.voided_at IS NULL AND p.archived_at IS NULL "
           "GROUP BY k, l ORDER BY COUNT(*) DESC, l")
    with vs.reading():
        return [TierGroupRow(str(r[0]), _label(str(r[1])), int(r[2]), int(r[3] or 0),
                             int(r[4] or 0), int(r[5] or 0), int(r[6] or 0))
                for r in vs.execute(sql)]


def positive_rates(vs: VaultSession, instrument: str, by: str = "unit", *,
                   starts_on: date | None = None,
                   ends_on: date | None = None) -> list[RateRow]:
    """Per group, serving officers with a complete ``instrument`` assessment in the period
    (inclusive; open-ended when a bound is ``None``) and how many had a positive latest
    one. Groups without anyone assessed are left out. Any role."""
    code = assessments.definition(vs, instrument).code
    key, label = _group_sql(by)
    low = (starts_on or date.min).isoformat()
    high = (ends_on or date.max).isoformat()
    latest = ("(SELECT a.positive FROM assessment a WHERE a.person_id = p.id "
              "AND a.voided_at IS NULL AND a.complete = 1 AND a.instrument_code = ? "
              "AND a.administered_on BETWEEN ? AND ? "
              "ORDER BY a.administered_on DESC, a.id DESC LIMIT 1)")
    sql = (f"SELECT k, l, COUNT(pos), SUM(pos = 1) FROM (SELECT {key} AS k, {label} AS l, "
           f"{latest} AS pos {_OFFICERS}) WHERE pos IS NOT NULL GROUP BY k, l "
           "ORDER BY COUNT(pos) DESC, l")
    with vs.reading():
        return [RateRow(str(r[0]), _label(str(r[1])), int(r[2]), int(r[3] or 0))
                for r in vs.execute(sql, (code, low, high))]


def trend_instruments(vs: VaultSession, person_id: int) -> list[str]:
    """Instrument codes a visible person has complete assessments of (code order); the
    chart itself is audited by :func:`score_trend`."""
    with vs.reading():
        tier_policy.visible_person(vs, person_id)
        return [str(r[0]) for r in vs.execute(
            "SELECT DISTINCT instrument_code FROM assessment WHERE person_id = ? "
            "AND voided_at IS NULL AND complete = 1 ORDER BY instrument_code", (person_id,))]


def score_trend(vs: VaultSession, person_id: int, instrument: str) -> list[TrendPoint]:
    """A visible person's complete assessments of ``instrument``, oldest first; audited
    ``view person`` with ``{"part": "trend", "instrument": code}`` (issue 16 point 3)."""
    code = assessments.definition(vs, instrument).code
    with vs.reading():
        tier_policy.visible_person(vs, person_id)
        points = [TrendPoint(int(r[0]), str(r[1]), float(r[2]), r[3],
                             None if r[4] is None else bool(r[4]))
                  for r in vs.execute(
                      "SELECT id, administered_on, total, band, positive FROM assessment "
                      "WHERE person_id = ? AND instrument_code = ? AND voided_at IS NULL "
                      "AND complete = 1 AND total IS NOT NULL ORDER BY administered_on, id",
                      (person_id, code))]
    audit.record_view(vs, "person", person_id, {"part": "trend", "instrument": code})
    return points


def _bands(code: str) -> list[str]:
    try:
        return [b.code for b in engine.builtin(code).bands]
    except engine.UnknownInstrumentError:
        return []


def _rank_sql(column: str, banded: dict[str, list[str]], params: list[Any]) -> str:
    """SQL giving the rank of band ``column`` of kept pair ``s`` in its instrument's band
    order (NULL for an unknown band); appends its parameters to ``params``."""
    arms = []
    for code, bands in banded.items():
        inner = " ".join("WHEN ? THEN ?" for _b in bands)
        arms.append(f"WHEN ? THEN CASE {column} {inner} END")
        params.append(code)
        for i, band in enumerate(bands):
            params += [band, i]
    return f"CASE s.instrument_code {' '.join(arms)} END"


def _warns_sql(ew: Any) -> tuple[str, list[Any]]:
    """The policy's score rule (:func:`counselor_tui.domain.analysis.score_warnings`) as a
    condition on a kept pair ``s`` (db migration 30) and its parameters: the rows it
    selects are exactly those the rule gives a reason to."""
    params: list[Any] = []
    conds = []
    if ew.rise_instruments:
        marks = ", ".join("?" for _c in ew.rise_instruments)
        conds.append(f"(s.instrument_code IN ({marks}) "
                     "AND s.latest_total - s.previous_total >= ?)")
        params += [*ew.rise_instruments, ew.rise]
    if ew.band_crossing:
        banded = {c: b for c in engine.builtin_codes() if (b := _bands(c))}
        marks = ", ".join("?" for _c in banded)
        params += list(banded)
        after = _rank_sql("s.latest_band", banded, params)
        before = _rank_sql("s.previous_band", banded, params)
        conds.append(f"(CASE WHEN s.instrument_code IN ({marks}) "  # a crossing moves it
                     f"THEN s.latest_band IS NOT s.previous_band AND {after} > {before} "
                     "ELSE s.previous_positive = 0 AND s.latest_positive = 1 END)")
    return "(" + (" OR ".join(conds) or "0") + ")", params


_WHO = "p.id, p.name, p.badge_no, u.name, t.tier, t.review_due"
#: Unit and tier of person ``p``; the tier read from migration 31's index alone (the unique
#: person index the planner prefers needs the row too: 113 against 34 ms for the province
#: page's 11,392 look-ups).
_WHO_JOINS = ("LEFT JOIN unit u ON u.id = p.unit_id "
              "LEFT JOIN tier_state t INDEXED BY tier_state_person_tier ON t.person_id = p.id ")


#: The list's order by tier (:func:`early_warnings`), in Python and in SQL on ``t.tier``.
_TIER_ORDER = {"red": 0, "yellow": 1, "green": 2}
_TIER_RANK = ("CASE t.tier " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in _TIER_ORDER.items())
              + " ELSE 3 END")


def early_warnings(vs: VaultSession, limit: int | None = None) -> list[EarlyWarning]:
    """The early-warning list (module docstring) of persons the actor sees: score warnings
    first (one line per person and instrument), then overdue reviews; red before yellow,
    then by name (code point order), person id and instrument. With ``limit``, the first
    ``limit`` lines of that list (:func:`warning_page` also gives the whole list's length).

    Score warnings are read from the kept rising pairs (db migration 30: ``score_rise``)
    filtered by the policy's rule in SQL, overdue reviews from the tier index (migration
    2), each person's visibility probed per row (:func:`visibility_sql`): the cost follows
    the list, not the archive (issue 18). Raises :class:`PermissionDenied` for roles that
    see no persons, ``ValueError`` for a negative ``limit``."""
    return warning_page(vs, limit)[0]


def warning_page(vs: VaultSession, limit: int | None = None) -> tuple[list[EarlyWarning], int]:
    """The first ``limit`` lines of :func:`early_warnings` (all when ``None``) and the whole
    list's length, counted by the same statements (a window count over the rows before the
    limit). Raises as :func:`early_warnings` does."""
    if limit is not None and limit < 0:
        raise ValueError("limit must be 0 or more")
    ew = tier_policy.policy(vs).early_warning
    today = vs.today()
    scores_sql, overdue_sql, params = _warning_sql(vs, ew, today)
    order = f" ORDER BY {_TIER_RANK}, p.name, p.id"
    page = "" if limit is None else " LIMIT ?"
    labels = {code: rules.reason_label(code, ew) for code in rules.REASONS}
    out: list[EarlyWarning] = []
    total = 0
    with vs.reading():
        if limit is None:  # every line, in one pass
            scores = vs.execute(f"{_LINES} {scores_sql}{order}, s.instrument_code",
                                tuple(params[0])).fetchall()
            total += len(scores)
        else:
            scores, counted = _score_page(vs, scores_sql, order, params[0], limit)
            total += counted
        for r in scores:
            code = str(r[6])
            after = rules.ScorePoint(date.fromisoformat(str(r[7])), r[8], r[9],
                                     None if r[10] is None else bool(r[10]))
            before = rules.ScorePoint(after.on, r[11], r[12],
                                      None if r[13] is None else bool(r[13]))
            reasons = rules.score_warnings(ew, code, _bands(code), before, after)
            if reasons:
                out.append(EarlyWarning(int(r[0]), str(r[1]), r[2], r[3], r[4], r[5], code,
                                        before.total, after.total, after.on.isoformat(),
                                        reasons, tuple(labels[x] for x in reasons)))
        left = None if limit is None else max(0, limit - len(out))
        if left == 0:
            overdue = []
            total += _count(vs, overdue_sql, params[1])
        else:
            overdue = vs.execute(
                f"SELECT {_WHO}, count(*) OVER () {overdue_sql}{order}{page}",
                (*params[1], *([] if left is None else [left]))).fetchall()
            total += int(overdue[0][6]) if overdue else 0
    for p in overdue:
        due = date.fromisoformat(str(p[5])) if p[5] else None
        if rules.review_overdue(ew, p[4], due, today):
            out.append(EarlyWarning(int(p[0]), str(p[1]), p[2], p[3], p[4], p[5], None, None,
                                    None, None, ("review_overdue",),
                                    (labels["review_overdue"],)))
    out.sort(key=lambda w: (w.reasons == ("review_overdue",),
                            _TIER_ORDER.get(w.tier or "", 3), w.name))
    return out, total


#: A score line's columns (:func:`warning_page`).
_LINES = (f"SELECT {_WHO}, s.instrument_code, s.latest_on, s.latest_total, s.latest_band, "
          "s.latest_positive, s.previous_total, s.previous_band, s.previous_positive")


def _score_page(vs: VaultSession, scores_sql: str, order: str, params: list[Any],
                limit: int) -> tuple[list[Any], int]:
    """The first ``limit`` score lines and how many there are: the keys first (narrow rows
    to order and count), then their lines by key."""
    keys = vs.execute(
        f"SELECT s.person_id, s.instrument_code, count(*) OVER () {scores_sql}{order}, "
        "s.instrument_code LIMIT ?", (*params, limit)).fetchall()
    if not keys:
        return [], (_count(vs, scores_sql, params) if limit == 0 else 0)
    found = {(int(r[0]), str(r[6])): r for r in vs.execute(
        f"{_LINES} FROM json_each(?) j CROSS JOIN score_rise s "
        "ON s.person_id = json_extract(j.value, '$[0]') "
        "AND s.instrument_code = json_extract(j.value, '$[1]') "
        f"CROSS JOIN person p ON p.id = s.person_id {_WHO_JOINS}",
        (json.dumps([[int(k[0]), str(k[1])] for k in keys]),))}
    return [found[(int(k[0]), str(k[1]))] for k in keys], int(keys[0][2])


def early_warning_count(vs: VaultSession) -> int:
    """The length of the whole early-warning list (:func:`early_warnings`) counted in SQL;
    raises :class:`PermissionDenied` for roles that see no persons."""
    ew = tier_policy.policy(vs).early_warning
    scores_sql, overdue_sql, params = _warning_sql(vs, ew, vs.today())
    with vs.reading():
        return _count(vs, scores_sql, params[0]) + _count(vs, overdue_sql, params[1])


def _count(vs: VaultSession, sql: str, params: list[Any]) -> int:
    return int(vs.execute(f"SELECT count(*) {sql}", tuple(params)).fetchone()[0])


def _warning_sql(vs: VaultSession, ew: Any, today: date) -> tuple[
        str, str, tuple[list[Any], list[Any]]]:
    """The FROM … WHERE parts of the score warnings and the overdue reviews the actor sees
    (persons ``p``, tiers ``t``, units ``u``; kept pairs ``s``) and their parameters."""
    cond, vis = visibility_sql(vs)
    warns, wparams = _warns_sql(ew)
    living = f"p.voided_at IS NULL AND p.archived_at IS NULL AND {cond}"
    tiers = sorted(ew.overdue_tiers)
    marks = ", ".join("?" for _t in tiers) or "NULL"
    scores = (f"FROM score_rise s CROSS JOIN person p ON p.id = s.person_id {_WHO_JOINS}"
              f"WHERE {warns} AND {living}")
    overdue = (f"FROM tier_state t CROSS JOIN person p ON p.id = t.person_id "
               "LEFT JOIN unit u ON u.id = p.unit_id "
               f"WHERE t.tier IN ({marks}) AND t.review_due < ? AND {living}")
    return scores, overdue, ([*wparams, *vis], [*tiers, today.isoformat(), *vis])
