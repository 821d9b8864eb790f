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

from collections import defaultdict
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


def early_warnings(vs: VaultSession) -> list[EarlyWarning]:
    """The early-warning list (module docstring) of persons the actor sees: score warnings
    first (one line per person and instrument), then overdue reviews; red before yellow."""
    pol = tier_policy.policy(vs)
    ew = pol.early_warning
    today = vs.today()
    cond, params = visibility_sql(vs)
    with vs.reading():
        pairs: dict[tuple[int, str], list[Any]] = defaultdict(list)
        for r in vs.execute(
                "SELECT x.person_id, x.instrument_code, x.administered_on, x.total, x.band, "
                "x.positive FROM (SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.person_id, "
                "a.instrument_code ORDER BY a.administered_on DESC, a.id DESC) AS rn "
                "FROM assessment a WHERE a.voided_at IS NULL AND a.complete = 1) x "
                "JOIN person p ON p.id = x.person_id "
                f"WHERE x.rn <= 2 AND p.voided_at IS NULL AND p.archived_at IS NULL AND {cond} "
                "ORDER BY x.person_id, x.instrument_code, x.rn DESC", tuple(params)):
            pairs[(int(r[0]), str(r[1]))].append(r)
        info = {int(r[0]): r for r in vs.execute(
            "SELECT p.id, p.name, p.badge_no, u.name, t.tier, t.review_due FROM person p "
            "LEFT JOIN unit u ON u.id = p.unit_id LEFT JOIN tier_state t ON t.person_id = p.id "
            f"WHERE p.voided_at IS NULL AND p.archived_at IS NULL AND {cond}", tuple(params))}
    out: list[EarlyWarning] = []
    for (pid, code), rows in sorted(pairs.items()):
        if len(rows) < 2 or pid not in info:
            continue
        before, after = (rules.ScorePoint(date.fromisoformat(str(r[2])), r[3], r[4],
                                          None if r[5] is None else bool(r[5])) for r in rows)
        reasons = rules.score_warnings(ew, code, _bands(code), before, after)
        if reasons:
            p = info[pid]
            out.append(EarlyWarning(pid, str(p[1]), p[2], p[3], p[4], p[5], code,
                                    before.total, after.total, after.on.isoformat(), reasons,
                                    tuple(rules.reason_label(x, ew) for x in reasons)))
    for pid, p in sorted(info.items()):
        due = date.fromisoformat(str(p[5])) if p[5] else None
        if rules.review_overdue(ew, p[4], due, today):
            out.append(EarlyWarning(pid, str(p[1]), p[2], p[3], p[4], p[5], None, None, None,
                                    None, ("review_overdue",),
                                    (rules.reason_label("review_overdue", ew),)))
    order = {"red": 0, "yellow": 1, "green": 2}
    out.sort(key=lambda w: (w.reasons == ("review_overdue",), order.get(w.tier or "", 3),
                            w.name))
    return out
