"""The dashboard's data (DESIGN §11: part of unlock; issue 18: ≤ 120 ms at province).

``services.dashboard.gather`` as the demo coordinator (every section: incidents,
appointments, follow-ups, tier suggestions and reviews, census progress, firearms, the
submission due, backups) against the same figures written by hand in plain SQL on a bare
DB-API connection to the same vault: the open campaigns' targets and screened officers, the
tier reviews due this week, the open follow-ups of the coming week, the open incident steps,
the pending tier suggestions and the restrictions under review. The census, review and
follow-up figures of both must agree.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from benchmarks.common import PASSPHRASE, Result, clock, ensure_vault, median, timed
from counselor_tui.services import dashboard, lifecycle
from db.connection import CACHE_KIB, open_connection

#: Every officer of an open campaign's units, screened when they completed every instrument
#: of the campaign inside its window (DESIGN §4).
_CENSUS = (
    "SELECT c.id, COUNT(p.id), COALESCE(SUM((SELECT COUNT(DISTINCT a.instrument_code) "
    "FROM assessment a, json_each(c.instruments) j WHERE a.person_id = p.id "
    "AND a.instrument_code = j.value AND a.voided_at IS NULL AND a.complete = 1 "
    "AND a.administered_on BETWEEN c.starts_on AND c.ends_on) "
    "= json_array_length(c.instruments)), 0) "
    "FROM census c JOIN census_unit cu ON cu.census_id = c.id "
    "JOIN person p ON p.unit_id = cu.unit_id AND p.kind = 'officer' "
    "AND p.voided_at IS NULL AND p.archived_at IS NULL "
    "WHERE c.status = 'open' GROUP BY c.id")
_REVIEWS = (
    "SELECT COUNT(*), COALESCE(SUM(t.review_due < :today), 0) FROM tier_state t "
    "JOIN person p ON p.id = t.person_id WHERE t.review_due <= :horizon "
    "AND p.voided_at IS NULL AND p.archived_at IS NULL")
_FOLLOW_UPS = (
    "SELECT COALESCE(SUM(s.follow_up_on < :today), 0), "
    "COALESCE(SUM(s.follow_up_on = :today), 0), COALESCE(SUM(s.follow_up_on > :today), 0) "
    "FROM counseling_session s JOIN person p ON p.id = s.person_id "
    "WHERE s.follow_up_on <= :week AND s.follow_up_closed_at IS NULL "
    "AND s.voided_at IS NULL AND p.voided_at IS NULL")
_OTHERS = (
    "SELECT st.incident_id, st.step, st.due_at FROM incident_step st JOIN incident i "
    "ON i.id = st.incident_id WHERE i.voided_at IS NULL AND i.closed_at IS NULL "
    "AND st.done_at IS NULL AND st.waived_reason IS NULL ORDER BY st.due_at",
    "SELECT COUNT(*) FROM tier_suggestion WHERE status = 'pending'",
    "SELECT COUNT(*) FROM firearm_restriction WHERE review_on IS NOT NULL "
    "AND review_on <= :week AND ended_at IS NULL",
)


def by_hand(conn: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The hand-written dashboard figures: census totals, reviews due/overdue, follow-ups."""
    campaigns = conn.execute(_CENSUS, params).fetchall()
    due, overdue = conn.execute(_REVIEWS, params).fetchone()
    follow = conn.execute(_FOLLOW_UPS, params).fetchone()
    for sql in _OTHERS:
        conn.execute(sql, params).fetchall()
    return {
        "census": (len(campaigns), sum(int(r[2]) for r in campaigns),
                   sum(int(r[1]) for r in campaigns)),
        "tier_reviews": (int(due), int(overdue)),
        "follow_ups": tuple(int(n) for n in follow),
    }


def _shown(sections: list[dashboard.DashboardSection]) -> dict[str, Any]:
    extra = {s.id: s.extra for s in sections}
    census = extra.get("census", {"open": 0, "completed": 0, "target": 0})
    reviews = extra.get("tier_reviews", {"due": 0, "overdue": 0})
    follow = extra.get("follow_ups", {"overdue": 0, "today": 0, "this_week": 0})
    return {
        "census": (census["open"], census["completed"], census["target"]),
        "tier_reviews": (reviews["due"], reviews["overdue"]),
        "follow_ups": (follow["overdue"], follow["today"], follow["this_week"]),
    }


def run(preset: str = "county", rounds: int = 7) -> list[Result]:
    path = ensure_vault(preset)
    vs = lifecycle.unlock(path, "demo", PASSPHRASE, clock=clock(), state_dir=path.parent / "st")
    try:
        shown = _shown(dashboard.gather(vs))
        gather_s = median(timed(lambda: dashboard.gather(vs), rounds))
        today = vs.today()
        horizon = today + timedelta(days=6 - today.weekday())
        params = {"today": today.isoformat(), "horizon": horizon.isoformat(),
                  "week": (today + timedelta(days=7)).isoformat()}
        key = vs.db.key
    finally:
        vs.close()
    conn = open_connection(path, key)
    try:
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        found = by_hand(conn, params)  # also warms the page cache as a running app has it
        if found != shown:
            raise AssertionError(f"hand-written SQL {found} != dashboard {shown}")
        hand_s = median(timed(lambda: by_hand(conn, params), rounds))
    finally:
        conn.close()
    return [Result(f"dashboard data ({preset})", gather_s * 1000, "ms", "hand-written SQL",
                   hand_s * 1000, "≤ 120 ms at province")]
