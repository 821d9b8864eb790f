"""The figures of a bureau month, written by hand in plain SQL (the compile benchmark's baseline).

Independent of :mod:`counselor_tui.services.submission_compile`: straightforward statements
over the stored tables as someone writing the month's report by hand would, with window
functions for "latest per person", no temporary tables and none of the values the program
keeps for itself (migration 19). :func:`figures` runs them all on a DB-API connection and
returns the headline figures, which the benchmark checks against the compiled content, so both
sides did the same work. Parameters: ``start``/``end`` (bureau-local instants), ``start_date``
/``end_date`` (``YYYY-MM-DD``) and ``cutoff`` (``min(now, end)``).
"""

from __future__ import annotations

from typing import Any

#: The month's valid sessions with the person, the unit they counted under on the day and
#: the police type (a family member: their linked officer's; else the unit's).
_MONTH = """
WITH month AS (
  SELECT s.id, s.person_id, s.duration_min, s.channel, s.kind, s.referral,
         CASE WHEN s.person_id IS NULL THEN 'anonymous' ELSE p.kind END AS client,
         CASE WHEN s.person_id IS NULL THEN c.unit_id
              ELSE COALESCE((SELECT m.from_unit_id FROM person_move m
                             WHERE m.person_id = s.person_id AND m.kind = 'transfer'
                               AND m.on_date > substr(s.started_at, 1, 10)
                             ORDER BY m.on_date, m.id LIMIT 1),
                            p.unit_id, o.unit_id) END AS unit_id,
         COALESCE(p.police_type, o.police_type, hu.police_type) AS police_type
  FROM counseling_session s
  LEFT JOIN person p ON p.id = s.person_id
  LEFT JOIN person o ON p.unit_id IS NULL AND o.id = (SELECT MIN(f.officer_id)
                                                     FROM family_link f WHERE f.person_id = p.id)
  LEFT JOIN unit hu ON hu.id = COALESCE(p.unit_id, o.unit_id)
  LEFT JOIN "user" c ON c.id = s.counselor_id
  WHERE s.voided_at IS NULL AND s.started_at >= :start AND s.started_at < :end
    AND (s.person_id IS NULL OR p.voided_at IS NULL))
"""

#: Officers serving on the period's last day, under the unit they were in then, and the
#: tier they held: the last change before the end, else the tier they entered with (a tier
#: state without a change from no tier) when it began before the end.
_SERVING = """
WITH serving AS (
  SELECT p.id,
         COALESCE((SELECT m.from_unit_id FROM person_move m WHERE m.person_id = p.id
                   AND m.kind = 'transfer' AND m.on_date >= :end_date
                   ORDER BY m.on_date, m.id LIMIT 1), p.unit_id) AS unit_id
  FROM person p
  WHERE p.kind = 'officer' AND p.voided_at IS NULL AND p.created_at < :end
    AND (p.archived_at IS NULL OR p.archived_at >= :end_date)),
changes AS (
  SELECT person_id, from_tier, to_tier, at,
         ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY at DESC, id DESC) AS newest,
         ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY at, id) AS oldest,
         MAX(from_tier IS NULL) OVER (PARTITION BY person_id) AS has_entry
  FROM tier_change),
entry AS (
  SELECT t.person_id,
         CASE WHEN f.person_id IS NULL THEN t.since ELSE t.created_at END AS day,
         COALESCE(f.from_tier, t.tier) AS tier
  FROM tier_state t LEFT JOIN changes f ON f.person_id = t.person_id AND f.oldest = 1
  WHERE COALESCE(f.has_entry, 0) = 0)
"""

STATEMENTS: dict[str, str] = {
    "sessions": _MONTH + "SELECT COUNT(*), COALESCE(SUM(duration_min), 0), "
                "COUNT(DISTINCT person_id) FROM month",
    "new_persons": _MONTH + "SELECT COUNT(*) FROM (SELECT DISTINCT person_id FROM month "
                   "WHERE person_id IS NOT NULL) m WHERE (SELECT e.started_at FROM "
                   "counseling_session e WHERE e.person_id = m.person_id "
                   "AND e.voided_at IS NULL ORDER BY e.started_at LIMIT 1) >= :start",
    "by_kind": _MONTH + "SELECT channel, kind, referral, police_type, COUNT(*) FROM month "
               "GROUP BY 1, 2, 3, 4",
    "by_topic": _MONTH + "SELECT t.topic, COUNT(*) FROM month JOIN session_topic t "
                "ON t.session_id = month.id GROUP BY t.topic",
    "by_unit": _MONTH + "SELECT unit_id, client, COUNT(*) FROM month GROUP BY 1, 2",
    "tiers_by_unit": _SERVING + "SELECT s.unit_id, COALESCE(c.to_tier, CASE WHEN "
                     "substr(e.day, 1, 10) < :end_date THEN e.tier END, 'none'), COUNT(*) "
                     "FROM serving s LEFT JOIN (SELECT person_id, to_tier, ROW_NUMBER() OVER "
                     "(PARTITION BY person_id ORDER BY at DESC, id DESC) AS rn "
                     "FROM tier_change WHERE at < :end) c ON c.person_id = s.id AND c.rn = 1 "
                     "LEFT JOIN entry e ON e.person_id = s.id GROUP BY 1, 2",
    "archived": "SELECT COUNT(*) FROM person WHERE kind = 'officer' AND voided_at IS NULL "
                "AND archived_at >= :start_date AND archived_at < :end_date",
    "transitions": _SERVING + "SELECT COALESCE(x.from_tier, 'none'), x.to_tier, COUNT(*) "
                   "FROM (SELECT person_id, from_tier, to_tier FROM tier_change "
                   "WHERE at >= :start AND at < :end UNION ALL SELECT person_id, NULL, tier "
                   "FROM entry WHERE substr(day, 1, 10) >= :start_date "
                   "AND substr(day, 1, 10) < :end_date) x JOIN person p ON p.id = x.person_id "
                   "AND p.voided_at IS NULL GROUP BY 1, 2",
    "campaigns": "WITH codes AS (SELECT DISTINCT c.id, j.value AS code FROM census c, "
                 "json_each(c.instruments) j WHERE c.starts_on < :end_date "
                 "AND c.ends_on >= :start_date), "
                 "screened AS (SELECT a.census_id, a.person_id, "
                 "COUNT(DISTINCT a.instrument_code) AS n FROM assessment a JOIN codes "
                 "ON codes.id = a.census_id AND codes.code = a.instrument_code "
                 "WHERE a.complete = 1 AND a.voided_at IS NULL "
                 "AND a.administered_on < :end_date GROUP BY 1, 2) "
                 "SELECT c.id, COUNT(p.id), SUM(sc.n >= (SELECT COUNT(*) FROM codes "
                 "WHERE codes.id = c.id)) FROM census c JOIN census_unit cu "
                 "ON cu.census_id = c.id LEFT JOIN person p ON p.unit_id = cu.unit_id "
                 "AND p.kind = 'officer' AND p.voided_at IS NULL AND p.created_at < :end "
                 "AND (p.archived_at IS NULL OR p.archived_at >= :end_date) "
                 "LEFT JOIN screened sc ON sc.census_id = c.id AND sc.person_id = p.id "
                 "WHERE c.starts_on < :end_date AND c.ends_on >= :start_date GROUP BY c.id",
    "screening": "SELECT a.instrument_code, a.positive, COUNT(*) FROM assessment a "
                 "JOIN person p ON p.id = a.person_id AND p.voided_at IS NULL "
                 "WHERE a.complete = 1 AND a.voided_at IS NULL "
                 "AND a.administered_on >= :start_date AND a.administered_on < :end_date "
                 "GROUP BY 1, 2",
    "incidents": "SELECT kind, SUM(reported_at >= :start AND reported_at < :end), "
                 "SUM(reported_at < :cutoff AND (closed_at IS NULL OR closed_at > :cutoff)) "
                 "FROM incident WHERE voided_at IS NULL GROUP BY kind",
    "steps": "SELECT st.step, st.done_at IS NOT NULL, st.waived_reason IS NOT NULL, "
             "st.due_at < :cutoff, COUNT(*) FROM incident_step st JOIN incident i "
             "ON i.id = st.incident_id AND i.voided_at IS NULL WHERE st.due_at >= :start "
             "AND st.due_at < :end GROUP BY 1, 2, 3, 4",
    "firearms": "SELECT e.kind, e.outcome, COUNT(*) FROM firearm_event e "
                "WHERE e.on_date >= :start_date AND e.on_date < :end_date GROUP BY 1, 2",
    "team": "SELECT role, COUNT(*) FROM \"user\" WHERE role IN ('counselor', 'coordinator') "
            "AND created_at < :end AND (disabled_at IS NULL OR disabled_at >= :end) "
            "GROUP BY role",
    "trainings": "SELECT COUNT(*), COALESCE(SUM(hours), 0), COUNT(DISTINCT user_id) "
                 "FROM training_record WHERE voided_at IS NULL AND date >= :start_date "
                 "AND date < :end_date",
    "activities": "SELECT kind, COUNT(*), SUM(participants), SUM(hours) FROM activity "
                  "WHERE voided_at IS NULL AND date >= :start_date AND date < :end_date "
                  "GROUP BY kind",
}


def figures(conn: Any, params: dict[str, Any]) -> dict[str, int]:
    """Run every statement; the headline figures: sessions, minutes, persons served, new
    persons, serving officers, archived in the period, screenings, incidents reported."""
    out = {name: conn.execute(sql, params).fetchall() for name, sql in STATEMENTS.items()}
    sessions, minutes, persons = out["sessions"][0]
    return {
        "sessions": int(sessions), "minutes": int(minutes), "persons_served": int(persons),
        "new_persons": int(out["new_persons"][0][0]),
        "serving": sum(int(r[2]) for r in out["tiers_by_unit"]),
        "archived_in_period": int(out["archived"][0][0]),
        "screenings": sum(int(r[2]) for r in out["screening"]),
        "reported": sum(int(r[1] or 0) for r in out["incidents"]),
    }
