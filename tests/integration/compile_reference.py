"""The compile's former query path (before db migration 19), kept to prove the new one gives
byte-identical content: the counseling, archive and census sections as they read whole
populations (every officer's tier history, an earlier-session probe per person served, every
officer of each campaign unit). Verbatim copies of the former ``submission_compile``
functions; shared pieces are imported."""

from __future__ import annotations

import json
from typing import Any

from counselor_tui.domain import vocab
from counselor_tui.domain.instruments import builtin_codes
from counselor_tui.reports.content import (
    CLIENT_KINDS,
    SCREEN_COLUMNS,
    TIER_CODES,
    TIER_COLUMNS,
    UNASSIGNED,
    series,
    table,
)
from counselor_tui.services.submission_compile import (
    _drop_empty_row,
    _police_type,
    _Query,
    _unit_rows,
)

# The month's sessions and their persons as the former path read them (by the row id of
# each person; frozen here so later changes to the service's statements are compared with
# them, not with themselves).
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
  FROM person p
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


_SV = """
sv AS (
  SELECT p.id AS pid,
         COALESCE((SELECT m.from_unit_id FROM person_move m
                   WHERE m.person_id = p.id AND m.kind = 'transfer' AND m.on_date >= :end_date
                   ORDER BY m.on_date, m.id LIMIT 1), p.unit_id) AS unit_id
  FROM person p
  WHERE p.kind = 'officer' AND p.voided_at IS NULL AND p.created_at < :end
    AND (p.archived_at IS NULL OR substr(p.archived_at, 1, 10) >= :end_date)
)"""


def _counseling(q: _Query, unit_rows: list[str], unit_codes: dict[int, str]) -> dict[str, Any]:
    # The period's sessions are read once into a temporary table (temp_store is MEMORY, so
    # nothing reaches the disk) and every breakdown is an aggregate over it.
    q.run("DROP TABLE IF EXISTS temp.sub_sessions")
    q.run(f"CREATE TEMP TABLE sub_sessions AS WITH {_PU},{_SS} SELECT * FROM ss "
          f"WHERE 1{q.where_unit('ss.unit_id')}")
    try:
        sessions, minutes, persons = q.one(
            "SELECT COUNT(*), COALESCE(SUM(minutes), 0), COUNT(DISTINCT person_id) "
            "FROM temp.sub_sessions")
        # New persons: no earlier session at all (a covering-index probe), or earlier
        # sessions that were all voided (only persons with a voided one are looked at; voided
        # rows carry voided_by, which is indexed).
        (never_before,) = q.one(
            "SELECT COUNT(*) FROM (SELECT DISTINCT person_id FROM temp.sub_sessions "
            "WHERE person_id IS NOT NULL) s WHERE NOT EXISTS (SELECT 1 FROM counseling_session "
            "e WHERE e.person_id = s.person_id AND e.started_at < :start)")
        (only_voided_before,) = q.one(
            "WITH vp AS MATERIALIZED (SELECT DISTINCT v.person_id AS person_id "
            "FROM counseling_session v INDEXED BY counseling_session_voided_by_id "
            "WHERE v.voided_by_id IS NOT NULL AND v.started_at < :start) "
            "SELECT COUNT(*) FROM vp "
            "WHERE vp.person_id IN (SELECT person_id FROM temp.sub_sessions) "
            "AND NOT EXISTS (SELECT 1 FROM counseling_session e WHERE e.person_id = vp.person_id "
            "AND e.voided_at IS NULL AND e.started_at < :start)")
        new_persons = int(never_before) + int(only_voided_before)
        by = {
            col: q.rows(f"SELECT {col}, COUNT(*) FROM temp.sub_sessions GROUP BY {col}")
            for col in ("channel", "kind", "referral", "police_type")
        }
        topics = q.rows("SELECT st.topic, COUNT(*) FROM temp.sub_sessions s "
                        "JOIN session_topic st ON st.session_id = s.id GROUP BY st.topic")
        client_unit = q.rows("SELECT unit_id, client_kind, COUNT(*) FROM temp.sub_sessions "
                             "GROUP BY unit_id, client_kind")
    finally:
        q.run("DROP TABLE IF EXISTS temp.sub_sessions")
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


_ENTERED = """
entered AS (
  SELECT ts.person_id AS pid,
         CASE WHEN EXISTS (SELECT 1 FROM tier_change c WHERE c.person_id = ts.person_id)
              THEN substr(ts.created_at, 1, 10) ELSE substr(ts.since, 1, 10) END AS day,
         COALESCE((SELECT tc.from_tier FROM tier_change tc WHERE tc.person_id = ts.person_id
                   ORDER BY tc.at, tc.id LIMIT 1), ts.tier) AS tier
  FROM tier_state ts
  WHERE NOT EXISTS (SELECT 1 FROM tier_change n
                    WHERE n.person_id = ts.person_id AND n.from_tier IS NULL)
)"""


def _archive(q: _Query, unit_rows: list[str], unit_codes: dict[int, str]) -> dict[str, Any]:
    w = q.where_unit("sv.unit_id")
    # Tier at the end: the last change before it (ties: the later id); else the tier the
    # person entered with when that was before the end (_ENTERED); else "none".
    tiers = q.rows(
        f"WITH {_SV}, {_ENTERED}, "
        "last AS (SELECT person_id, to_tier, MAX(at || '#' || printf('%012d', id)) "
        "FROM tier_change WHERE at < :end GROUP BY person_id) "
        "SELECT sv.unit_id, COALESCE(last.to_tier, CASE WHEN entered.day < :end_date "
        "THEN entered.tier END, 'none'), COUNT(*) "
        "FROM sv LEFT JOIN last ON last.person_id = sv.pid "
        "LEFT JOIN entered ON entered.pid = sv.pid "
        f"WHERE 1{w} GROUP BY 1, 2")
    (archived,) = q.one(
        "SELECT COUNT(*) FROM person p WHERE p.kind = 'officer' AND p.voided_at IS NULL "
        "AND substr(p.archived_at, 1, 10) >= :start_date "
        f"AND substr(p.archived_at, 1, 10) < :end_date{q.where_unit('p.unit_id')}")
    # changes in the period (a review, from_tier = to_tier, is none), and the entries
    # (新建档: none → first tier) of _ENTERED
    transitions = q.rows(
        f"WITH {_PU}, {_ENTERED}, moves AS ("
        "SELECT tc.person_id AS pid, COALESCE(tc.from_tier, 'none') AS f, tc.to_tier AS t "
        "FROM tier_change tc WHERE tc.at >= :start AND tc.at < :end "
        "AND tc.from_tier IS NOT tc.to_tier "  # a review keeps the tier: not a change
        "UNION ALL SELECT pid, 'none', tier FROM entered "
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


def _census(q: _Query) -> dict[str, Any]:
    campaigns = q.rows(
        f"WITH {_SV}, "
        "cc AS (SELECT c.id AS cid FROM census c WHERE c.starts_on < :end_date "
        "AND c.ends_on >= :start_date), "
        "ci AS (SELECT DISTINCT cc.cid AS cid, j.value AS code FROM cc JOIN census c "
        "ON c.id = cc.cid, json_each(c.instruments) j), "
        "need AS (SELECT cid, COUNT(*) AS n FROM ci GROUP BY cid), "
        "done AS (SELECT a.census_id AS cid, a.person_id AS pid, "
        "COUNT(DISTINCT a.instrument_code) AS n FROM assessment a "
        "JOIN ci ON ci.cid = a.census_id AND ci.code = a.instrument_code "
        "WHERE a.complete = 1 AND a.voided_at IS NULL AND a.administered_on < :end_date "
        "GROUP BY a.census_id, a.person_id) "
        "SELECT c.name, c.starts_on, c.ends_on, c.instruments, COUNT(sv.pid), "
        "COALESCE(SUM(COALESCE(done.n, 0) >= COALESCE(need.n, 0) AND sv.pid IS NOT NULL), 0) "
        "FROM cc JOIN census c ON c.id = cc.cid "
        "JOIN census_unit cu ON cu.census_id = c.id "
        "LEFT JOIN need ON need.cid = c.id "
        "LEFT JOIN sv ON sv.unit_id = cu.unit_id "
        "LEFT JOIN done ON done.cid = c.id AND done.pid = sv.pid "
        f"WHERE 1{q.where_unit('cu.unit_id')} "
        "GROUP BY c.id ORDER BY c.starts_on, c.name, c.ends_on, c.id")
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
    screening = q.rows(
        f"WITH {_PU} SELECT a.instrument_code, "
        "CASE WHEN a.positive = 1 THEN 'positive' ELSE 'negative' END, COUNT(*) "
        # administered_on has no index of its own: scan the (person, instrument, date) index,
        # much smaller than the rows with their responses, and fetch only the period's rows.
        "FROM assessment a INDEXED BY assessment_person_id_instrument_code_administered_on "
        "JOIN pu ON pu.pid = a.person_id "
        "WHERE a.voided_at IS NULL AND a.complete = 1 AND a.administered_on >= :start_date "
        f"AND a.administered_on < :end_date{q.where_unit('pu.unit_id')} GROUP BY 1, 2")
    return {
        "figures": {},
        "campaigns": [records[k] for k in sorted(records)],
        "tables": {"screening": table(screening, builtin_codes(), SCREEN_COLUMNS)},
    }
