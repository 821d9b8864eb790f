"""Migrations 5 and 6 on a vault built at schema 4 with restrictions of the old
single-decision form and training records without void columns: every decision it can keep
is kept as an event of its own, what the old form lost is marked, training records become
version 1 and not voided, and the vault passes ``check`` (issue 19)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from counselor_tui.domain.audit_chain import event_hash
from counselor_tui.domain.periods import Period
from counselor_tui.services import audit, firearm_notice, firearms, integrity, lifecycle
from counselor_tui.services.context import FixedClock
from counselor_tui.services.errors import Conflict
from counselor_tui.services.submission_compile import compile_content
from db import vault as slots
from db.connection import attach, open_connection
from db.migrations import CURRENT_VERSION, migrate, schema_version
from tests.conftest import PASSPHRASE
from tests.integration.incident_fixtures import login

FIREARMS = 5  # the migration under test


def _append_audit(conn: Any, at: str, action: str, entity: str, entity_id: str,
                  detail: dict[str, Any]) -> None:
    """Append a correctly chained audit event as the old program wrote it."""
    seq, prev = conn.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"
                             ).fetchone()
    seq = int(seq) + 1
    digest = event_hash(prev, seq, at, "admin", action, entity, entity_id, detail)
    conn.execute(
        "INSERT INTO audit_event(seq, at, user, action, entity, entity_id, detail, prev_hash,"
        " hash) VALUES (?, ?, 'admin', ?, ?, ?, ?, ?, ?)",
        (seq, at, action, entity, entity_id,
         json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
         prev, digest))


def _old_restriction(conn: Any, rid: int, person: int, status: str, *, maker: str | None,
                     decided: str | None, review: str | None, ended: str | None,
                     changes: list[tuple[str, str, str]]) -> None:
    """A restriction row of schema 1–4 and the audit events its changes left."""
    conn.execute(
        "INSERT INTO firearm_restriction(id, created_at, created_by_id, updated_at,"
        " updated_by_id, person_id, status, reason_code, recommended_by_id, recommended_at,"
        " decided_by_name, decided_at, recorded_by_id, review_on, ended_at, note) VALUES"
        " (?, 'x', 1, 'x', 1, ?, ?, 'mh_treatment', 1, '2026-05-02T09:00:00+08:00', ?, ?, ?,"
        " ?, ?, '旧登记的备注')",
        (rid, person, status, maker, f"{decided}T00:00:00+08:00" if decided else None,
         1 if maker else None, review, f"{ended}T00:00:00+08:00" if ended else None))
    _append_audit(conn, "2026-05-02T09:00:00+08:00", "create", "firearm_restriction",
                  str(rid), {"status": "recommended", "reason_code": "mh_treatment",
                             "person_id": person})
    for i, (change, before, after) in enumerate(changes):
        _append_audit(conn, f"2026-06-{i + 10:02d}T10:00:00+08:00", "update",
                      "firearm_restriction", str(rid),
                      {"change": change, "from": before, "to": after})


@pytest.fixture
def old_vault(tmp_path: Path, created: lifecycle.CreatedVault) -> Path:
    """A vault exactly as schema 4 left it, holding six restrictions of the old form."""
    keys = slots.load(created.keys_path)
    key = slots.open_slot(keys, keys.user_slot("admin"), PASSPHRASE)
    conn = open_connection(created.path, key)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    old = tmp_path / "old" / "vault.db"
    old.parent.mkdir()
    conn = open_connection(old, key, create=True)
    assert migrate(conn, "2026-01-01T00:00:00+08:00", target=FIREARMS - 1) == [1, 2, 3, 4]
    attach(conn, created.path, key, "src")
    for table in ("user", "setting", "signing_key", "audit_event"):
        # the columns schema 4 had (later migrations added columns to some of these tables)
        cols = ", ".join(f'"{row[1]}"' for row in
                         conn.execute(f'PRAGMA main.table_info("{table}")').fetchall())
        conn.execute(f'INSERT INTO main."{table}" ({cols}) SELECT {cols} FROM src."{table}"')
    conn.execute("DETACH DATABASE src")
    conn.execute(
        "INSERT INTO unit(id, created_at, created_by_id, updated_at, updated_by_id, code, name,"
        " police_type, active) VALUES (1, 'x', 1, 'x', 1, 'U1', '城关派出所', '派出所', 1)")
    for pid, name in enumerate(("张一", "张二", "张三", "张四", "张五", "张六"), start=1):
        conn.execute(
            "INSERT INTO person(id, created_at, created_by_id, updated_at, updated_by_id, kind,"
            " badge_no, name, name_pinyin, name_initials, post, unit_id) VALUES"
            " (?, 'x', 1, 'x', 1, 'officer', ?, ?, 'zhang', 'z', '', 1)",
            (pid, f"01000{pid}", name))
    # 1: only recommended
    _old_restriction(conn, 1, 1, "recommended", maker=None, decided=None, review=None,
                     ended=None, changes=[])
    # 2: suspended by 王主任 on 06-01, reviewed without change by 李处长 (who overwrote the name)
    _old_restriction(conn, 2, 2, "suspended", maker="李处长", decided="2026-06-01",
                     review="2026-12-20", ended=None,
                     changes=[("decision", "recommended", "suspended"),
                              ("review", "suspended", "suspended")])
    # 3: suspended on 06-01, reinstated by 赵局长 on 09-01 (the reported bug)
    _old_restriction(conn, 3, 3, "reinstated", maker="赵局长", decided="2026-06-01",
                     review=None, ended="2026-09-01",
                     changes=[("decision", "recommended", "suspended"),
                              ("reinstated", "suspended", "reinstated")])
    # 4: revoked, no audit trail of its decision (written by the demo generator)
    _old_restriction(conn, 4, 4, "revoked", maker="王主任", decided="2026-06-03",
                     review="2026-09-01", ended=None, changes=[])
    # 5: reinstated, no audit trail
    _old_restriction(conn, 5, 5, "reinstated", maker="赵局长", decided="2026-05-10",
                     review=None, ended="2026-08-10", changes=[])
    # 6: declined
    _old_restriction(conn, 6, 6, "declined", maker="王主任", decided="2026-05-05",
                     review=None, ended="2026-05-05",
                     changes=[("decision", "recommended", "declined")])
    conn.execute(
        "INSERT INTO training_record(id, created_at, created_by_id, updated_at, updated_by_id,"
        " user_id, date, title, hours, provider) VALUES (1, 'x', 1, 'x', 1, 1, '2026-06-02',"
        " '旧培训', 6, '')")
    assert schema_version(conn) == FIREARMS - 1
    conn.close()
    # a schema-4 key-slot file: no slot bound to a trust root of role grants (issue 11)
    slot = keys.user_slot("admin")
    rec = keys.recovery_slot()
    cost = (slot.kdf.time_cost, slot.kdf.memory_kib)
    slots.save(slots.keys_path(old), keys.with_slot(slots.rewrap(
        keys, slot, PASSPHRASE, PASSPHRASE, cost, root="")).with_slot(slots.make_slot(
            keys, kind=slots.RECOVERY, username=rec.username, role=rec.role,
            passphrase="OLD-CODE", data_key=key, kdf_cost=cost, created_at=rec.created_at)))
    return old


def test_old_restrictions_move_into_events_and_pass_check(
        old_vault: Path, clock: FixedClock, state_dir: Path, tmp_path: Path) -> None:
    vs = lifecycle.unlock(old_vault, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        with vs.reading():
            assert schema_version(vs.db.raw()) == CURRENT_VERSION
            rows = vs.execute(
                "SELECT restriction_id, kind, outcome, on_date, decided_by_name,"
                " next_review_on, not_kept FROM firearm_event ORDER BY id").fetchall()
            assert vs.execute("SELECT version, voided_at FROM training_record").fetchall() \
                == [(1, None)]
            old_columns = vs.execute(
                "SELECT decided_by_name, decided_at FROM firearm_restriction WHERE id = 3"
            ).fetchone()
        assert audit.verify_chain(vs).ok
    finally:
        vs.close()
    events: dict[int, list[tuple[Any, ...]]] = {}
    for rid, *rest in rows:
        events.setdefault(rid, []).append((*rest[:-1], json.loads(rest[-1])))
    rec = ("recommended", None, "2026-05-02", None, None, [])
    assert events[1] == [rec]
    assert events[2] == [
        rec,
        ("decided", "suspended", "2026-06-01", None, None,
         ["decided_by_name", "next_review_on"]),
        ("reviewed", "no_change", None, "李处长", "2026-12-20", ["on_date"])]
    assert events[3] == [
        rec,
        ("decided", "suspended", "2026-06-01", None, None,
         ["decided_by_name", "next_review_on"]),
        ("reinstated", "reinstated", "2026-09-01", "赵局长", None, [])]
    assert events[4] == [rec, ("decided", "revoked", "2026-06-03", "王主任", "2026-09-01", [])]
    assert events[5] == [
        rec,
        ("decided", None, "2026-05-10", None, None,
         ["outcome", "decided_by_name", "next_review_on"]),
        ("reinstated", "reinstated", "2026-08-10", "赵局长", None, [])]
    assert events[6] == [rec, ("decided", "declined", "2026-05-05", "王主任", None, [])]
    assert old_columns == ("赵局长", "2026-06-01T00:00:00+08:00")  # the old form, untouched

    result = integrity.check_vault(old_vault, "admin", PASSPHRASE, state_dir=state_dir,
                               clock=clock)
    assert result.ok, result.lines

    # the migrated history is usable: register, notices, submission figures
    admin = lifecycle.unlock(old_vault, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    created = lifecycle.CreatedVault(old_vault, slots.keys_path(old_vault), "", "")
    coord = login(admin, created, clock, state_dir, "zhou", "coordinator")
    try:
        row = firearms.get(coord, 3)
        assert [(e.label, e.decided_by_name) for e in row.decisions] == [
            ("decision: suspended", None), ("reinstatement", "赵局长")]
        assert row.restricted_on == "2026-06-01" and row.ended_on == "2026-09-01"
        n = firearm_notice.notice(coord, 3)
        assert (n.decision, n.decided_on, n.decided_by_name) == (
            "reinstated", "2026-09-01", "赵局长")
        with pytest.raises(Conflict):  # the old form did not keep who suspended
            firearm_notice.notice(coord, 3, row.decisions[0].id)
        with pytest.raises(Conflict):  # nor what was decided first
            firearm_notice.notice(coord, 5, firearms.get(coord, 5).decisions[0].id)
        content = compile_content(coord, Period("month", date(2026, 6, 1), date(2026, 7, 1)))
        figures = content["sections"]["firearms"]["figures"]
        assert (figures["restricted"], figures["in_force_at_end"]) == (3, 4)
        firearms.review(coord, 2, "reinstated", "赵局长", clock.now().date())
        assert [e.kind for e in firearms.get(coord, 2).events] == [
            "recommended", "decided", "reviewed", "reinstated"]
    finally:
        coord.close()
        admin.close()

