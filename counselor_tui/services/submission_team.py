"""Section 6 of a submission, team and activities (DESIGN §8 item 6;
``docs/submission-json.md``), with the programme's organisation (issue 16 item 1). Kept
apart from :mod:`counselor_tui.services.submission_compile`, which calls
:func:`team_section` with its query.
"""

from __future__ import annotations

from typing import Any, Protocol

from counselor_tui.domain import vocab
from counselor_tui.domain.organisation import outside_rule
from counselor_tui.reports.content import ACTIVITY_COLUMNS, ordered_codes


class Query(Protocol):
    """What :func:`add_organisation` needs of the compile's query (``submission_compile._Query``):
    named-parameter SQL with the period bounds (``:start_date``, ``:end_date``, ``:end``)."""

    def where_unit(self, column: str) -> str:
        """``AND column = :unit`` for a unit scope, nothing for the bureau."""
        ...

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Every row of ``sql``."""
        ...

    def one(self, sql: str) -> tuple[Any, ...]:
        """The first row of ``sql``."""
        ...


def _hours(value: Any) -> float:
    return round(float(value or 0), 2)


def team_section(q: Query, unit_codes: dict[int, str]) -> dict[str, Any]:
    """Section 6 (team and activities) of the period and scope of ``q``: figures
    ``counselors``, ``coordinators``, ``trainings``, ``counselors_trained``,
    ``training_hours``; table ``activities`` (measures); and :func:`add_organisation`.
    ``unit_codes``: unit id → code of the units in scope."""
    w = q.where_unit("u.unit_id")
    roles = dict(q.rows(
        "SELECT u.role, COUNT(*) FROM \"user\" u WHERE u.role IN ('counselor', 'coordinator') "
        "AND u.created_at < :end AND (u.disabled_at IS NULL OR u.disabled_at >= :end) "
        f"AND (u.active = 1 OR u.disabled_at IS NOT NULL){w} GROUP BY u.role"))
    trainings, hours, trained = q.one(
        "SELECT COUNT(*), COALESCE(SUM(t.hours), 0), COUNT(DISTINCT t.user_id) "
        "FROM training_record t JOIN \"user\" u ON u.id = t.user_id "
        f"WHERE t.voided_at IS NULL AND t.date >= :start_date AND t.date < :end_date{w}")
    activity = q.rows(
        "SELECT a.kind, COUNT(*), COALESCE(SUM(a.participants), 0), COALESCE(SUM(a.hours), 0) "
        "FROM activity a WHERE a.voided_at IS NULL AND a.date >= :start_date "
        f"AND a.date < :end_date{q.where_unit('a.unit_id')} GROUP BY a.kind")
    found = {str(k): (int(n), int(p), _hours(h)) for k, n, p, h in activity}
    kinds = ordered_codes(tuple(vocab.ACTIVITY_KINDS), list(found))
    section: dict[str, Any] = {
        "figures": {
            "counselors": int(roles.get("counselor", 0)),
            "coordinators": int(roles.get("coordinator", 0)),
            "trainings": int(trainings), "counselors_trained": int(trained),
            "training_hours": _hours(hours),
        },
        "tables": {
            "activities": {
                "type": "measures", "rows": kinds, "cols": list(ACTIVITY_COLUMNS),
                "values": [list(found.get(k, (0, 0, 0.0))) for k in kinds],
            },
        },
    }
    add_organisation(q, unit_codes, section)
    return section


def add_organisation(q: Query, unit_codes: dict[int, str], section: dict[str, Any]) -> None:
    """Add the organisation's part to ``section`` (the team section being compiled with the
    period bounds of ``q``; ``unit_codes``: unit id → code of the units in scope), only where
    there is something to say, so content without organisation records is as before:

    * ``figures.cadres_trained``: the 教导员 and 政工干部 trained in the period (distinct
      name, post and unit; voided records left out), once the vault records any;
    * ``tables.unit_counselors``: a series of the units in scope whose designated counselors
      (counselor accounts of the unit, active at period end; units created after the period's
      end left out) number none or more than three
      (:func:`counselor_tui.domain.organisation.outside_rule`), with that number, when
      there is such a unit.
    """
    if q.one("SELECT EXISTS (SELECT 1 FROM cadre_training)")[0]:
        (cadres,) = q.one(
            "SELECT COUNT(*) FROM (SELECT DISTINCT c.name, c.post, c.unit_id "
            "FROM cadre_training c WHERE c.voided_at IS NULL AND c.on_date >= :start_date "
            f"AND c.on_date < :end_date{q.where_unit('c.unit_id')})")
        section["figures"]["cadres_trained"] = int(cadres)
    counts = dict(q.rows(
        "SELECT u.unit_id, COUNT(*) FROM \"user\" u WHERE u.role = 'counselor' AND "
        "u.created_at < :end AND (u.disabled_at IS NULL OR u.disabled_at >= :end) AND "
        "(u.active = 1 OR u.disabled_at IS NOT NULL) AND u.unit_id IS NOT NULL GROUP BY 1"))
    active = {int(i) for (i,) in q.rows(
        "SELECT id FROM unit WHERE active = 1 AND created_at < :end")}
    outside = [(c, int(counts.get(u, 0))) for u, c in unit_codes.items()
               if u in active and outside_rule(int(counts.get(u, 0)))]
    if outside:
        section["tables"]["unit_counselors"] = {
            "type": "series", "rows": [c for c, _n in outside],
            "counts": [n for _c, n in outside]}
