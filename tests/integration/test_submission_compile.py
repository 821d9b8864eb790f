"""Compiled submission figures against independent plain-SQL counts (issue 6 acceptance)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from counselor_tui.domain import vocab
from counselor_tui.domain.dates import from_storage
from counselor_tui.domain.incidents import StepFact, default_policy, timeliness
from counselor_tui.domain.periods import parse_period
from counselor_tui.reports.document import build_document, canonical_bytes
from counselor_tui.reports.protect import attach
from counselor_tui.reports.render import render_files
from counselor_tui.services import lifecycle
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.submission_compile import compile_content
from db.models import TierChange
from tests.conftest import PASSPHRASE, TZ
from tests.integration.submission_fixtures import populate

START, END = "2026-11-01T00:00:00+08:00", "2026-12-01T00:00:00+08:00"
DSTART, DEND = "2026-11-01", "2026-12-01"
VALID = ("s.voided_at IS NULL AND (s.person_id IS NULL OR s.person_id IN "
         "(SELECT id FROM person WHERE voided_at IS NULL))")
IN_NOV = f"s.started_at >= '{START}' AND s.started_at < '{END}'"


@pytest.fixture
def bureau(created: lifecycle.CreatedVault, state_dir: Path) -> Iterator[VaultSession]:
    """The demo-like bureau, with the clock two days after November ended."""
    clock = FixedClock(datetime(2026, 12, 2, 9, 0, tzinfo=TZ))
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    populate(vs)
    yield vs
    vs.close()


def one(vs: VaultSession, sql: str, *params: Any) -> Any:
    with vs.reading():
        return vs.execute(sql, params).fetchone()[0]


def as_dict(tbl: dict[str, Any]) -> dict[Any, int]:
    if tbl["type"] == "series":
        return dict(zip(tbl["rows"], tbl["counts"], strict=True))
    return {(r, c): v for r, row in zip(tbl["rows"], tbl["counts"], strict=True)
            for c, v in zip(tbl["cols"], row, strict=True)}


def test_counseling_figures_equal_plain_sql(bureau: VaultSession) -> None:
    c = compile_content(bureau, parse_period("2026-11"))["sections"]["counseling"]
    base = f"FROM counseling_session s WHERE {VALID} AND {IN_NOV}"
    figures = c["figures"]
    assert figures["sessions"] == one(bureau, f"SELECT COUNT(*) {base}") > 20
    assert figures["minutes"] == one(bureau, f"SELECT SUM(duration_min) {base}")
    assert figures["persons_served"] == one(bureau, f"SELECT COUNT(DISTINCT person_id) {base}")
    assert figures["new_persons"] == one(bureau, (
        "SELECT COUNT(*) FROM (SELECT s.person_id, MIN(s.started_at) AS first "
        f"FROM counseling_session s WHERE {VALID} AND s.person_id IS NOT NULL "
        f"GROUP BY s.person_id) WHERE first >= '{START}' AND first < '{END}'")) > 0
    tables = c["tables"]
    for code in vocab.CHANNELS:
        assert as_dict(tables["by_channel"])[code] == one(
            bureau, f"SELECT COUNT(*) {base} AND s.channel = ?", code)
    for code in vocab.SESSION_KINDS:
        assert as_dict(tables["by_kind"])[code] == one(
            bureau, f"SELECT COUNT(*) {base} AND s.kind = ?", code)
    for code in vocab.TOPICS:
        assert as_dict(tables["by_topic"])[code] == one(
            bureau, "SELECT COUNT(*) FROM session_topic t JOIN counseling_session s "
            f"ON s.id = t.session_id WHERE {VALID} AND {IN_NOV} AND t.topic = ?", code)
    referrals = as_dict(tables["referrals"])
    assert "none" not in referrals
    for code in set(vocab.REFERRALS) - {"none"}:
        assert referrals[code] == one(bureau, f"SELECT COUNT(*) {base} AND s.referral = ?",
                                      code)
    by_unit = as_dict(tables["by_unit"])
    assert tables["by_unit"]["rows"] == ["U01", "U02", "U03"]
    for code in ("U01", "U02", "U03"):
        unit = f"(SELECT id FROM unit WHERE code = '{code}')"
        assert by_unit[(code, "officer")] == one(bureau, (
            f"SELECT COUNT(*) {base} AND s.person_id IN (SELECT id FROM person "
            f"WHERE kind = 'officer' AND unit_id = {unit})"))
        assert by_unit[(code, "family")] == one(bureau, (
            f"SELECT COUNT(*) {base} AND s.person_id IN (SELECT fl.person_id FROM family_link fl "
            f"JOIN person o ON o.id = fl.officer_id WHERE o.unit_id = {unit})"))
        assert by_unit[(code, "other")] == one(bureau, (
            f"SELECT COUNT(*) {base} AND s.person_id IN (SELECT id FROM person "
            f"WHERE kind = 'other' AND unit_id = {unit})"))
        assert by_unit[(code, "anonymous")] == one(bureau, (
            f"SELECT COUNT(*) {base} AND s.person_id IS NULL AND s.counselor_id IN "
            f"(SELECT id FROM \"user\" WHERE unit_id = {unit})"))
    police = as_dict(tables["by_police_type"])
    assert sum(police.values()) == figures["sessions"]
    effective = (
        "CASE WHEN s.person_id IS NULL THEN 'unknown' ELSE "
        "REPLACE(COALESCE(p.police_type, o.police_type, u.police_type), '特警/巡特警', '特警') END")
    rows = dict(bureau.execute(
        f"SELECT {effective}, COUNT(*) FROM counseling_session s "
        "LEFT JOIN person p ON p.id = s.person_id "
        "LEFT JOIN family_link fl ON fl.person_id = p.id "
        "LEFT JOIN person o ON o.id = fl.officer_id "
        "LEFT JOIN unit u ON u.id = COALESCE(p.unit_id, o.unit_id) "
        f"WHERE {VALID} AND {IN_NOV} GROUP BY 1").fetchall())
    assert {k: v for k, v in police.items() if v} == rows
    assert police["特警"] > 0  # the alias 特警/巡特警 was folded in


def test_archive_census_incident_firearm_team_figures_equal_plain_sql(
        bureau: VaultSession) -> None:
    s = compile_content(bureau, parse_period("2026-11"))["sections"]
    serving = ("p.kind = 'officer' AND p.voided_at IS NULL AND p.created_at < '2026-12-01' "
               "AND (p.archived_at IS NULL OR p.archived_at >= '2026-12-01')")
    archive = s["archive"]
    # 36 officers: two archived in November; one more entered in December
    assert archive["figures"]["serving"] == one(
        bureau, f"SELECT COUNT(*) FROM person p WHERE {serving}") == 36 - 2
    assert archive["figures"]["archived_in_period"] == one(
        bureau, "SELECT COUNT(*) FROM person WHERE archived_at >= ? AND archived_at < ?",
        DSTART, DEND) == 2
    tier_at_end = (
        "COALESCE((SELECT to_tier FROM tier_change WHERE person_id = p.id AND at < ? "
        "ORDER BY at DESC LIMIT 1), (SELECT tier FROM tier_state WHERE person_id = p.id "
        "AND NOT EXISTS (SELECT 1 FROM tier_change WHERE person_id = p.id)), 'none')")
    tiers = as_dict(archive["tables"]["tiers_by_unit"])
    for code in ("U01", "U02", "U03"):
        for tier in ("green", "yellow", "red", "none"):
            assert tiers[(code, tier)] == one(bureau, (
                f"SELECT COUNT(*) FROM person p JOIN unit u ON u.id = p.unit_id WHERE {serving} "
                f"AND u.code = ? AND {tier_at_end} = ?"), code, END, tier), (code, tier)
    assert tiers[("U01", "yellow")] + tiers[("U02", "red")] > 0
    transitions = as_dict(archive["tables"]["transitions"])
    for (src, dst), n in transitions.items():
        assert n == one(bureau, (
            "SELECT COUNT(*) FROM tier_change WHERE at >= ? AND at < ? "
            "AND COALESCE(from_tier, 'none') = ? AND to_tier = ?"), START, END, src, dst)
    assert sum(transitions.values()) == 10

    census = s["census"]
    (campaign,) = census["campaigns"]
    target_units = "(SELECT unit_id FROM census_unit)"
    assert campaign["target"] == one(
        bureau, f"SELECT COUNT(*) FROM person p WHERE {serving} AND p.unit_id IN {target_units}")
    done = ("EXISTS (SELECT 1 FROM assessment a WHERE a.person_id = p.id AND a.census_id = 1 "
            "AND a.complete = 1 AND a.voided_at IS NULL AND a.instrument_code = '{code}')")
    assert campaign["completed"] == one(bureau, (
        f"SELECT COUNT(*) FROM person p WHERE {serving} AND p.unit_id IN {target_units} "
        f"AND {done.format(code='phq9')} AND {done.format(code='gad7')}"))
    assert 0 < campaign["completed"] < campaign["target"]
    screening = as_dict(census["tables"]["screening"])
    for (code, col), n in screening.items():
        assert n == one(bureau, (
            "SELECT COUNT(*) FROM assessment WHERE voided_at IS NULL AND complete = 1 "
            "AND administered_on >= ? AND administered_on < ? AND instrument_code = ? "
            f"AND {'positive = 1' if col == 'positive' else 'NOT COALESCE(positive, 0)'}"),
            DSTART, DEND, code), (code, col)
    assert screening[("pcl5", "positive")] == 1

    incidents = s["incidents"]["tables"]
    for kind, n in as_dict(incidents["reported_by_kind"]).items():
        assert n == one(bureau, "SELECT COUNT(*) FROM incident WHERE voided_at IS NULL "
                        "AND reported_at >= ? AND reported_at < ? AND kind = ?", START, END, kind)
    for kind, n in as_dict(incidents["open_at_end_by_kind"]).items():
        assert n == one(bureau, "SELECT COUNT(*) FROM incident WHERE voided_at IS NULL "
                        "AND reported_at < ? AND (closed_at IS NULL OR closed_at > ?) "
                        "AND kind = ?", END, END, kind)
    closed_by_end = "done_at IS NOT NULL AND done_at <= :end"
    status_sql = {
        "waived": f"waived_reason IS NOT NULL AND {closed_by_end}",
        "on_time": f"waived_reason IS NULL AND {closed_by_end} AND done_at <= due_at",
        "late": f"waived_reason IS NULL AND {closed_by_end} AND done_at > due_at",
        "open_overdue": "NOT (done_at IS NOT NULL AND done_at <= :end) AND due_at < :end",
        "pending": "NOT (done_at IS NOT NULL AND done_at <= :end) AND due_at >= :end",
    }
    steps = as_dict(incidents["steps"])
    for (step, status), n in steps.items():
        with bureau.reading():
            expected = bureau.db.connection().execute(
                "SELECT COUNT(*) FROM incident_step st JOIN incident i ON i.id = st.incident_id "
                "WHERE i.voided_at IS NULL AND st.due_at >= :start AND st.due_at < :end "
                f"AND st.step = :step AND {status_sql[status]}",
                {"start": START, "end": END, "step": step}).fetchone()[0]
        assert n == expected, (step, status)
    assert {st for (_s, st), n in steps.items() if n} >= {"on_time", "late", "open_overdue"}
    # the same rules as the incidents domain (services.incidents.timeliness uses them)
    with bureau.reading():
        facts = [StepFact(step, from_storage(due), from_storage(done) if done else None,
                          waived is not None)
                 for step, due, done, waived in bureau.execute(
                     "SELECT st.step, st.due_at, st.done_at, st.waived_reason FROM incident_step "
                     "st JOIN incident i ON i.id = st.incident_id WHERE i.voided_at IS NULL")]
    start, end = from_storage(START), from_storage(END)
    for row in timeliness(facts, start, end, bureau.now(), default_policy().step_order):
        for status in ("on_time", "late", "open_overdue", "waived", "pending"):
            assert steps[(row.step, status)] == getattr(row, status), (row.step, status)

    firearms = s["firearms"]["figures"]
    ev = "SELECT COUNT(*) FROM firearm_event e WHERE "
    assert firearms["recommended"] == one(
        bureau, ev + "e.kind = 'recommended' AND e.on_date >= ? AND e.on_date < ?",
        DSTART, DEND) == 4
    assert firearms["restricted"] == one(
        bureau, ev + "e.kind = 'decided' AND e.outcome IN ('suspended','revoked') "
        "AND e.on_date >= ? AND e.on_date < ?", DSTART, DEND) == 1
    assert firearms["declined"] == 1
    assert firearms["reinstated"] == one(
        bureau, ev + "e.kind = 'reinstated' AND e.on_date >= ? AND e.on_date < ?",
        DSTART, DEND) == 1
    assert firearms["in_force_at_end"] == one(
        bureau, "SELECT COUNT(*) FROM firearm_restriction WHERE status IN "
        "('suspended','revoked')") == 3
    assert firearms["pending_at_end"] == one(
        bureau, "SELECT COUNT(*) FROM firearm_restriction WHERE status = 'recommended'") == 2

    team = s["team"]
    assert team["figures"]["counselors"] == one(
        bureau, "SELECT COUNT(*) FROM \"user\" WHERE role = 'counselor' AND active = 1") == 6
    assert team["figures"]["coordinators"] == 1
    assert team["figures"]["trainings"] == one(
        bureau, "SELECT COUNT(*) FROM training_record WHERE date >= ? AND date < ?",
        DSTART, DEND) == 8
    assert team["figures"]["training_hours"] == pytest.approx(one(
        bureau, "SELECT SUM(hours) FROM training_record WHERE date >= ? AND date < ?",
        DSTART, DEND))
    act = team["tables"]["activities"]
    for kind, (count, participants, hours) in zip(act["rows"], act["values"], strict=True):
        row = bureau.execute(
            "SELECT COUNT(*), COALESCE(SUM(participants), 0), COALESCE(SUM(hours), 0) "
            "FROM activity WHERE voided_at IS NULL AND date >= ? AND date < ? AND kind = ?",
            (DSTART, DEND, kind)).fetchone()
        assert (count, participants) == (row[0], row[1])
        assert hours == pytest.approx(row[2])


def test_unit_scope_counts_only_that_unit(bureau: VaultSession) -> None:
    content = compile_content(bureau, parse_period("2026-11"), "U02")
    assert content["scope"] == {"kind": "unit", "code": "U02"}
    assert content["issuer"]["unit_name"] == "交警大队"
    c = content["sections"]["counseling"]
    assert c["tables"]["by_unit"]["rows"] == ["U02"]
    unit = "(SELECT id FROM unit WHERE code = 'U02')"
    expected = one(bureau, (
        f"SELECT COUNT(*) FROM counseling_session s WHERE {VALID} AND {IN_NOV} AND ("
        f"s.person_id IN (SELECT id FROM person WHERE unit_id = {unit}) OR s.person_id IN "
        "(SELECT fl.person_id FROM family_link fl JOIN person o ON o.id = fl.officer_id "
        f"WHERE o.unit_id = {unit}) OR (s.person_id IS NULL AND s.counselor_id IN "
        f"(SELECT id FROM \"user\" WHERE unit_id = {unit})))"))
    assert c["figures"]["sessions"] == expected > 0
    assert content["sections"]["census"]["campaigns"][0]["target"] == one(
        bureau, "SELECT COUNT(*) FROM person WHERE kind = 'officer' AND voided_at IS NULL "
        f"AND unit_id = {unit} AND (archived_at IS NULL OR archived_at >= '2026-12-01')")
    assert compile_content(bureau, parse_period("2026-11"), "U03")["sections"]["census"][
        "campaigns"] == []


def test_same_data_gives_byte_identical_files(bureau: VaultSession) -> None:
    first = attach(compile_content(bureau, parse_period("2026-Q4")), 3)
    second = attach(compile_content(bureau, parse_period("2026-Q4")), 3)
    doc1 = build_document(first, {"plan": "继续"}, version=1)
    doc2 = build_document(second, {"plan": "继续"}, version=1)
    assert canonical_bytes(doc1) == canonical_bytes(doc2)
    assert render_files(doc1) == render_files(doc2)
    assert first["period"] == {"kind": "quarter", "label": "2026-Q4", "start": "2026-10-01",
                               "end": "2027-01-01"}
    # every vocabulary code has its row, in vocabulary order, zeros included
    assert first["sections"]["counseling"]["tables"]["by_channel"]["rows"] == list(
        vocab.CHANNELS)
    assert first["sections"]["team"]["tables"]["activities"]["rows"] == list(
        vocab.ACTIVITY_KINDS)


def test_unknown_unit_is_refused(bureau: VaultSession) -> None:
    from counselor_tui.services.errors import InvalidInput

    with pytest.raises(InvalidInput, match="Unknown unit code X99"):
        compile_content(bureau, parse_period("2026-11"), "X99")


def test_a_person_whose_earlier_sessions_were_all_voided_is_new(bureau: VaultSession) -> None:
    from db.models import CounselingSession, Person

    before = compile_content(bureau, parse_period("2026-11"))["sections"]["counseling"]
    now = bureau.now_iso()
    who = {"created_at": now, "created_by": bureau.actor.id, "updated_at": now,
           "updated_by": bureau.actor.id}
    with bureau.transaction():
        unit = bureau.execute("SELECT id FROM unit WHERE code = 'U01'").fetchone()[0]
        counselor = bureau.execute("SELECT id FROM \"user\" WHERE username = 'c00'").fetchone()[0]
        for badge, october_voided in (("N1", True), ("N2", False)):
            person = Person.create(kind="officer", badge_no=badge, name="测试", unit=unit, **who)
            for when, voided in (("2026-10-10T10:00:00+08:00", october_voided),
                                 ("2026-11-10T10:00:00+08:00", False)):
                CounselingSession.create(
                    person=person.id, counselor=counselor, started_at=when, duration_min=30,
                    channel="hotline", kind="routine", voided_at=now if voided else None,
                    voided_by=bureau.actor.id if voided else None, **who)
    after = compile_content(bureau, parse_period("2026-11"))["sections"]["counseling"]
    assert after["figures"]["persons_served"] == before["figures"]["persons_served"] + 2
    assert after["figures"]["new_persons"] == before["figures"]["new_persons"] + 1


def test_a_tier_review_is_not_counted_as_a_tier_change(bureau: VaultSession) -> None:
    """fix15 C: a review keeps the tier (a TierChange with from_tier = to_tier, issue 15
    point 1); the table "tier changes in the period" (DESIGN §8 transitions) counted it as a
    change 关注 → 关注 (a "<3" cell in the 2026-12 submission after one review)."""
    before = as_dict(compile_content(bureau, parse_period("2026-11"))["sections"]["archive"]
                     ["tables"]["transitions"])
    with bureau.transaction():
        pid, tier = bureau.execute(
            "SELECT person_id, to_tier FROM tier_change WHERE at < ? ORDER BY id LIMIT 1",
            (START,)).fetchone()
        TierChange.create(person=pid, from_tier=tier, to_tier=tier, reason="复核无变化",
                          evidence={"review": True}, by=bureau.actor.id,
                          at="2026-11-20T09:00:00+08:00")
    after = as_dict(compile_content(bureau, parse_period("2026-11"))["sections"]["archive"]
                    ["tables"]["transitions"])
    assert after == before and after[(tier, tier)] == 0
