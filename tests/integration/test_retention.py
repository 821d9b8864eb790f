"""Retention and de-identification (issue 15 point 2; PIPL Art. 19/47): a former officer
past retention keeps every count and loses every identifying field and note; a canary name
is in no decrypted page of the vault afterwards, and the audit chain verifies."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from counselor_tui.domain.periods import parse_period
from counselor_tui.domain.pinyin import name_keys
from counselor_tui.services import (
    audit,
    integrity,
    person_moves,
    persons,
    retention,
    sessions,
    tier_review,
)
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, PermissionDenied
from counselor_tui.services.persons import PersonDraft
from counselor_tui.services.submission_compile import compile_content
from db import vault as slots
from tests.conftest import OTHER_PASSPHRASE, TZ
from tests.worlds import World

pytestmark = pytest.mark.world("bureau+team")

CANARY = "甄钦差"
MARKERS = (CANARY.encode(), name_keys(CANARY).full.encode(), b"CANARY9", b"13912345678")
PAGE = 4096
RESERVE = 48  # IV 16 + HMAC-SHA256 32 (db.connection.CIPHER_SETTINGS)


def _decrypted_pages(path: Path, key: bytes) -> list[bytes]:
    """Every page of the SQLCipher file ``path`` and of its WAL, decrypted with the raw data
    key (AES-256-CBC, the page's IV in its reserved tail; page 1 after its 16-byte salt)."""
    def page_plain(page: bytes, first: bool) -> bytes:
        start = 16 if first else 0
        iv = page[PAGE - RESERVE:PAGE - RESERVE + 16]
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        return decryptor.update(page[start:PAGE - RESERVE]) + decryptor.finalize()

    pages = []
    data = path.read_bytes()
    for n in range(len(data) // PAGE):
        pages.append(page_plain(data[n * PAGE:(n + 1) * PAGE], n == 0))
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        raw = wal.read_bytes()
        offset = 32
        while offset + 24 + PAGE <= len(raw):
            number = int.from_bytes(raw[offset:offset + 4], "big")
            pages.append(page_plain(raw[offset + 24:offset + 24 + PAGE], number == 1))
            offset += 24 + PAGE
    return pages


def _residue(world: World) -> set[bytes]:
    keys = slots.load(slots.keys_path(world.path))
    key = slots.open_slot(keys, keys.user_slot("zhou"), OTHER_PASSPHRASE)
    pages = _decrypted_pages(world.path, key)
    assert any(b"SQLite format 3" in p or b"CREATE TABLE" in p for p in pages)  # decrypted
    return {m for m in MARKERS if any(m in p for p in pages)}


def _content(vs: VaultSession) -> dict[str, Any]:
    return {(period, scope): compile_content(vs, parse_period(period), scope)["sections"]
            for period in ("2015-05", "2015-06", "2015", "2026-11") for scope in ("bureau", "U001")}


def _canary(world: World, zhou: VaultSession) -> int:
    pid = persons.create_person(zhou, PersonDraft(
        kind="officer", name=CANARY, badge_no="canary9", gender="female",
        birth_date="1960-01-02", unit_id=world.unit1, police_type="派出所",
        post=f"机要员{CANARY}", hire_date="1980-09-01", phone="13912345678"))
    person_moves.edit_person(zhou, pid, PersonDraft(
        kind="officer", name=CANARY + "乙", badge_no="canary9", gender="female",
        birth_date="1960-01-02", unit_id=world.unit1, police_type="派出所",
        post=f"机要员{CANARY}", hire_date="1980-09-01", phone="13912345678"))
    for sealed, at in ((False, datetime(2015, 5, 4, 9, 0, tzinfo=TZ)),
                       (True, datetime(2015, 5, 5, 9, 0, tzinfo=TZ))):
        saved = sessions.log_session(zhou, sessions.SessionDraft(
            person_id=pid, started_at=at, channel="hotline", kind="routine",
            topics=("work_stress", "health_sleep"), duration_min=40,
            note=f"{CANARY}诉说工作压力，{CANARY}连续失眠两周。", risk="moderate",
            intervention=f"与{CANARY}约定每周联系", sealed=sealed))
        sessions.add_addendum(zhou, saved.id, f"补充：{CANARY}已就医")
    tier_review.change(zhou, pid, "yellow", f"{CANARY}睡眠差", {"sessions": [saved.id]})
    person_moves.transfer(zhou, pid, world.unit2, "2015-03-01", f"{CANARY}调交警")
    person_moves.transfer(zhou, pid, world.unit1, "2015-04-01", f"{CANARY}调回")
    person_moves.leave(zhou, pid, "2015-06-30", "retired", f"{CANARY}退休")
    return pid


def test_deidentification_keeps_counts_and_leaves_no_canary(world: World) -> None:
    zhou = world.login("zhou")
    pid = _canary(world, zhou)
    other = world.ids["zhang"]
    sessions.log_session(zhou, sessions.SessionDraft(
        person_id=other, started_at=datetime(2026, 11, 4, 9, 0, tzinfo=TZ),
        channel="face_to_face", kind="routine", topics=("work_stress",), duration_min=50,
        note="张三的谈话照常保留"))
    before = _content(zhou)
    assert before[("2015-06", "bureau")]["archive"]["figures"]["archived_in_period"] == 1
    assert before[("2015-05", "bureau")]["counseling"]["figures"]["sessions"] == 2
    assert _residue(world) == set(MARKERS)  # the check sees what is there

    # the coordinator only; a dry run first, of the same records
    with pytest.raises(PermissionDenied):
        retention.dry_run(world.login("li"))
    with pytest.raises(PermissionDenied):
        retention.apply(world.admin)
    with pytest.raises(Conflict):
        retention.apply(zhou)
    retention.set_retention_years(zhou, 20)
    assert retention.dry_run(zhou).candidates == ()
    retention.set_retention_years(zhou, 10)
    with pytest.raises(Conflict):  # the latest dry run listed no one
        retention.apply(zhou)
    dry = retention.dry_run(zhou)
    assert [c.person_id for c in dry.candidates] == [pid]
    found = dry.candidates[0]
    assert (found.left_on, found.left_reason, found.sessions, found.addenda) == (
        "2015-06-30", "retired", 2, 2)
    assert CANARY not in repr(dry)
    assert persons.get_person(zhou, pid).person.name.startswith(CANARY)  # dry: untouched
    former = persons.ArchiveQuery(text=name_keys(CANARY).initials, include_archived=True)
    assert pid in [r.id for r in persons.list_persons(zhou, former, 0, 50)]
    by_name = persons.ArchiveQuery(text=CANARY[1:], include_archived=True)
    assert pid in [r.id for r in persons.list_persons(zhou, by_name, 0, 50)]
    by_badge = persons.ArchiveQuery(text="canary9", include_archived=True)
    assert [r.id for r in persons.list_persons(zhou, by_badge, 0, 50)] == [pid]

    done = retention.apply(zhou)
    assert done.applied and done.checkpointed
    assert [c.person_id for c in done.candidates] == [pid]
    assert _content(zhou) == before  # every compiled figure kept
    record = persons.get_person(zhou, pid)
    assert record.person.name == f"{retention.PLACEHOLDER_NAME}{pid:06d}"
    assert (record.person.badge_no, record.birth_date, record.phone, record.hire_date) == (
        None, None, None, None)
    assert all(s.note in ("", retention.PLACEHOLDER) for s in record.sessions)
    assert {s.risk for s in record.sessions} == {"moderate"}
    assert record.tier is not None and record.tier.tier == "yellow"
    assert retention.dry_run(zhou).candidates == ()  # done once
    # the search keys (migrations 24, 26, 27) held the name's sort key, pinyin, characters
    # and badge number
    assert pid not in [r.id for r in persons.list_persons(zhou, former, 0, 50)]
    assert pid not in [r.id for r in persons.list_persons(zhou, by_name, 0, 50)]
    assert persons.list_persons(zhou, by_badge, 0, 50) == []
    with zhou.reading():
        for table in ("person_search_key", "person_badge_key"):
            assert zhou.execute(f"SELECT count(*) FROM {table} WHERE person_id = ? "
                                "OR name_sort LIKE ?", (pid, f"%{CANARY}%")).fetchone() == (0,)
        grams = {r[0] for r in zhou.execute(
            "SELECT gram FROM person_name_key WHERE person_id = ? OR name_sort LIKE ?",
            (pid, f"%{CANARY}%"))}
        assert grams and not any(ch in gram for gram in grams for ch in CANARY)
    kept = persons.get_person(zhou, other)
    assert kept.sessions[0].note == "张三的谈话照常保留"
    # every step audited, ids and counts only: the dry runs, the person, the run
    with zhou.reading():
        steps = [(e.action, e.entity_id, dict(e.detail)) for e in audit.iter_events(zhou)
                 if e.action in ("retention_dry_run", "deidentify", "retention_run")]
    assert [a for a, _i, _d in steps] == ["retention_dry_run"] * 2 + [
        "deidentify", "retention_run", "retention_dry_run"]
    assert [d["count"] for a, _i, d in steps if a != "deidentify"] == [0, 1, 1, 0]
    assert steps[2][1] == str(pid)
    assert {k: steps[2][2][k] for k in ("session_notes", "sealed", "addenda", "tier_reasons",
                                        "move_notes", "years")} == {
        "session_notes": 2, "sealed": 1, "addenda": 2, "tier_reasons": 1, "move_notes": 3,
        "years": 10}
    assert CANARY not in repr(steps)

    world.close()
    assert _residue(world) == set()
    result = integrity.check_vault(world.path, "zhou", OTHER_PASSPHRASE, clock=world.clock,
                                   state_dir=world.state_dir)
    assert result.ok, result.lines
