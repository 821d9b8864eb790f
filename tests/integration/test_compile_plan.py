"""The query plans of a month's compile (issue 18, db migrations 23 and 25): the month's
sessions are one range scan of the covering index ``counseling_session_month``, never a
look-up of the session rows (which carry the notes), and their persons, the persons served
and the persons touched since the period's end are looked up in the narrow covering index
``person_compile``, never in the person rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from counselor_tui import demo
from counselor_tui.domain.periods import parse_period
from counselor_tui.services import lifecycle
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.submission_compile import compile_content
from db.migrations.m0023_compile_month_index import INDEX, STATEMENTS
from db.migrations.m0025_compile_person_index import INDEX as PERSON_INDEX
from tests.conftest import PASSPHRASE

_SKIP = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE", "DROP")


def _plans(vs: VaultSession, label: str, scope: str) -> list[str]:
    """Every line of ``EXPLAIN QUERY PLAN`` of every statement one compile runs."""
    seen: list[str] = []
    with vs.reading():
        conn: Any = vs.db.raw()
        conn.set_trace_callback(seen.append)
        try:
            compile_content(vs, parse_period(label), scope)
        finally:
            conn.set_trace_callback(None)
        lines = []
        for sql in seen:  # replayed in order: the temporary table exists while it is read
            head = sql.lstrip().upper()
            if not head.startswith(_SKIP):
                lines += [str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
            if head.startswith(("CREATE", "DROP")):
                conn.execute(sql)
    return lines


def test_the_months_sessions_are_read_from_the_covering_index(session: VaultSession) -> None:
    lines = _plans(session, "2026-10", "bureau")
    assert f"SEARCH s USING COVERING INDEX {INDEX} (started_at>? AND started_at<?)" in lines
    # no statement of the compile reads session rows by their time
    assert not [line for line in lines if "counseling_session_started_at" in line]


def test_persons_are_looked_up_in_the_narrow_index(session: VaultSession) -> None:
    lines = _plans(session, "2026-10", "bureau")
    person_lookups = [line for line in lines if line.startswith("SEARCH p ")]
    covered = [line for line in person_lookups
               if line.startswith(f"SEARCH p USING COVERING INDEX {PERSON_INDEX} (id=?")]
    # the session's person, the persons served, the touched persons (two references)
    assert len(covered) >= 4, person_lookups
    # the session's person was the only look-up of person rows by id in the counseling part
    assert "SEARCH p USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN" not in lines


def test_the_demo_builder_creates_the_index_again(tmp_path: Path, clock: FixedClock,
                                                   state_dir: Path) -> None:
    # the bulk path drops the session table's indexes and creates them again at the end
    path = tmp_path / "demo" / "demo.db"
    demo.build_demo(path, "tiny", 1, PASSPHRASE, clock, kdf_seconds=0, state_dir=state_dir)
    vs = lifecycle.unlock(path, demo.DEMO_USER, PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        with vs.reading():
            (sql,) = vs.execute("SELECT sql FROM sqlite_master WHERE type = 'index' "
                                "AND name = ?", (INDEX,)).fetchone()
        assert " ".join(sql.split()) == " ".join(STATEMENTS[0].split())
        lines = _plans(vs, "2026-10", "bureau")
        assert f"SEARCH s USING COVERING INDEX {INDEX} (started_at>? AND started_at<?)" in lines
    finally:
        vs.close()


def test_no_statement_scans_a_whole_table_or_index(session: VaultSession) -> None:
    # what grows with the population is never read whole: the period's rows are ranges
    lines = _plans(session, "2026-10", "bureau")
    assert ("SEARCH a USING INDEX assessment_screening "
            "(instrument_code=? AND administered_on>? AND administered_on<?)") in lines
    assert not [line for line in lines if "assessment_person_id_instrument_code" in line]
    big = {"assessment", "p", "person", "counseling_session", "session_topic", "tier_change",
           "tier_state"}  # ("a" is also the team section's activity table, read whole)
    assert not [line for line in lines if line.startswith("SCAN ") and line.split()[1] in big]
