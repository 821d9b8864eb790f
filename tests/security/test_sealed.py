"""Security tests 21 (issue 11): sealed notes and the signing key are encrypted to their
readers, so one counselor's passphrase — used with the product's own ``db`` modules on a
copy of the vault, as the insider attack did — opens neither another counselor's sealed
note nor the package signing key.

Real SQLCipher vaults in a temporary folder (the archive world: ``coord`` coordinator,
counselors ``li``/``zhao`` of U001 and ``wang`` of U002, ``audit`` auditor).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from counselor_tui.services import (
    accounts,
    integrity,
    key_rotation,
    lifecycle,
    sealed,
    sessions,
    submissions,
)
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import PermissionDenied
from counselor_tui.services.sessions import SessionDraft
from db import sealing, witness
from db import vault as slots
from db.connection import open_connection
from db.migrations import migrate
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, TZ
from tests.helpers import as_schema
from tests.integration.archive_world import World, make_world, officer

CANARY = "封存金丝雀-SEALED-c4n4ry"
ADDENDUM = "补记-ADDENDUM-7e1b"


@pytest.fixture
def world(session: VaultSession, clock: FixedClock, state_dir: Path) -> Iterator[World]:
    with make_world(session, clock, state_dir) as w:
        yield w


def _draft(person_id: int, note: str, *, sealed_: bool = True) -> SessionDraft:
    return SessionDraft(person_id=person_id, started_at=datetime(2026, 11, 28, 10, tzinfo=TZ),
                        channel="face_to_face", kind="routine", topics=("work_stress",),
                        duration_min=50, note=note, intervention="干预-" + note,
                        sealed=sealed_)


def _wang_seals(world: World) -> int:
    """``wang`` logs a sealed session (with an addendum) about an officer of U002."""
    person = officer(world, "赵六", "440001", unit=world.unit2, police_type="交警")
    wang = world.login("wang")
    sid = sessions.log_session(wang, _draft(person, f"谈话 {CANARY} 结束")).id
    sessions.add_addendum(wang, sid, ADDENDUM)
    return sid


def _copy(world: World, into: Path) -> Path:
    """What the curious colleague takes: the database (after a checkpoint, as a copy
    would be) and the key-slot file."""
    for vs in (world.admin, *world._open.values()):
        vs.close()
    world._open.clear()
    into.mkdir()
    for src in (world.path, slots.keys_path(world.path)):
        shutil.copy2(src, into / src.name)
    wal = Path(f"{world.path}-wal")
    if wal.exists():
        shutil.copy2(wal, into / wal.name)
    return into / world.path.name


def _dump(conn: Any) -> str:
    """Every value of every table (FTS shadow tables included), as text; blobs decoded
    as UTF-8 where they can be, so a stored plain text shows whatever its type."""
    parts = []
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            for value in row:
                parts.append(value.decode("utf-8", "replace") if isinstance(value, bytes)
                             else str(value))
    return "\n".join(parts)


def test_21_a_counselor_cannot_open_anothers_sealed_note_nor_the_signing_key(
        world: World, tmp_path: Path) -> None:
    sid = _wang_seals(world)
    li_person = officer(world, "钱七", "330777")
    own = sessions.log_session(world.login("li"), _draft(li_person, "李自己的封存记录")).id
    copy = _copy(world, tmp_path / "stolen")

    # -- the attack: li's passphrase and the product's db modules, nothing else ---------
    keys = slots.load(slots.keys_path(copy))
    data_key, li_secret = slots.open_slot_secret(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    conn = open_connection(copy, data_key)
    try:
        dump = _dump(conn)
        wraps = list(conn.execute("SELECT kind, ref_id, recipient, wrapped FROM sealed_wrap"))
        blobs = list(conn.execute("SELECT kind, ref_id, blob FROM sealed_text"))
        signing = list(conn.execute("SELECT id, private_key, public_key FROM signing_key"))
        execute = conn.execute
        # positive control: li's own sealed note opens with li's key
        own_key = sealing.open_secret(execute, keys.vault_id, sealing.NOTE, own, li_secret)
        assert sealing.open_session(execute, keys.vault_id, own, own_key).note == "李自己的封存记录"
        # wang's note: no wrap for li, and every wrap of it refuses li's key
        with pytest.raises(sealing.SealError):
            sealing.open_secret(execute, keys.vault_id, sealing.NOTE, sid, li_secret)
    finally:
        conn.close()
    assert CANARY not in dump and ADDENDUM not in dump  # nowhere in the database in clear
    assert "干预-谈话" not in dump
    note_wraps = [w for w in wraps if w[0] == sealing.NOTE and w[1] == sid]
    assert {w[2] for w in note_wraps} >= {keys.user_slot("wang").public_key.hex(),
                                          keys.user_slot("coord").public_key.hex()}
    li_public = keys.user_slot("li").public_key.hex()
    for kind, ref_id, recipient, wrapped in wraps:
        if (kind, ref_id) == (sealing.NOTE, own) or (
                kind == sealing.ACCOUNT_KEY and recipient == li_public):
            continue  # li's own note and li's own account key
        with pytest.raises(sealing.SealError):
            sealing.unwrap(keys.vault_id, kind, ref_id, bytes(wrapped), li_secret)
    # the sealed blobs are not encrypted under the data key (or anything li holds)
    for kind, ref_id, blob in blobs:
        if ref_id == own and kind == sealing.SESSION_TEXT:
            continue
        for guess in (data_key, li_secret):
            with pytest.raises(sealing.SealError):
                sealing.decrypt_text(guess, keys.vault_id, kind, ref_id, bytes(blob))
    # the signing key: only its public half is stored; its wraps refuse li's key
    assert signing and all(bytes(row[1]) == b"" for row in signing)
    signing_wraps = [w for w in wraps if w[0] == sealing.SIGNING_KEY]
    assert {w[2] for w in signing_wraps} >= {keys.user_slot("coord").public_key.hex()}
    assert keys.user_slot("li").public_key.hex() not in {w[2] for w in signing_wraps}


def test_readers_author_and_coordinators_others_see_it_is_hidden(world: World) -> None:
    sid = _wang_seals(world)
    for reader in ("wang", "coord"):
        got = sessions.get_session(world.login(reader), sid)
        assert CANARY in got.note and got.addenda == (ADDENDUM,) and not got.note_hidden
        assert got.intervention.startswith("干预-")
        assert [s.id for s in sessions.search_notes(world.login(reader), "金丝雀")] == [sid]
        assert [s.id for s in sessions.search_notes(world.login(reader), "封存")] == [sid]
    # the shared full-text index never holds a sealed note
    with world.admin.reading():
        hits = world.admin.execute("SELECT rowid FROM session_note_fts WHERE "
                                   "session_note_fts MATCH ?", ('"金丝雀"',)).fetchall()
    assert hits == []
    # zhao (same role, other author) gets nothing, even by search
    assert sessions.search_notes(world.login("zhao"), "金丝雀") == []


def test_editing_and_unsealing_a_sealed_session(world: World) -> None:
    sid = _wang_seals(world)
    wang = world.login("wang")
    person = sessions.get_session(wang, sid).person_id
    assert person is not None
    sessions.update_session(wang, sid, _draft(person, "改过的封存内容"))
    assert sessions.get_session(world.login("coord"), sid).note == "改过的封存内容"
    sessions.update_session(wang, sid, _draft(person, "公开内容", sealed_=False))
    opened = sessions.get_session(world.login("coord"), sid)
    assert opened.note == "公开内容" and opened.addenda == (ADDENDUM,) and not opened.sealed
    with wang.reading():  # back in plain storage: the row itself, no blob, no wrap
        row = wang.execute("SELECT note FROM counseling_session WHERE id = ?", (sid,)).fetchone()
        added = wang.execute("SELECT text FROM session_addendum WHERE session_id = ?",
                             (sid,)).fetchone()
        left = wang.execute("SELECT (SELECT count(*) FROM sealed_wrap WHERE kind = 'note') + "
                            "(SELECT count(*) FROM sealed_text)").fetchone()
    assert row[0] == "公开内容" and added[0] == ADDENDUM and left[0] == 0


def test_only_signing_holders_sign_and_a_new_coordinator_can(world: World) -> None:
    for who in ("li", "audit"):
        with pytest.raises(PermissionDenied):
            submissions.signer(world.login(who))
    coord = submissions.signer(world.login("coord"))
    assert coord.fingerprint == submissions.fingerprint(world.login("coord"))
    assert coord.private_key  # opened with coord's slot key
    accounts.add_user(world.admin, "coord2", "coordinator", OTHER_PASSPHRASE, kdf_seconds=0)
    assert submissions.signer(world.login("coord2")).private_key == coord.private_key


def test_a_new_coordinator_reads_after_a_grant_and_a_disabled_one_not_after_rekey(
        world: World, tmp_path: Path) -> None:
    sid = _wang_seals(world)
    accounts.add_user(world.admin, "coord2", "coordinator", OTHER_PASSPHRASE, kdf_seconds=0)
    coord2 = world.login("coord2")
    assert sessions.get_session(coord2, sid).note_hidden  # written before coord2 existed
    with pytest.raises(PermissionDenied):  # a counselor cannot grant
        sealed.grant(world.login("wang"), "coord2")
    done = sealed.grant(world.login("coord"), "coord2")
    assert done.notes == 1
    assert CANARY in sessions.get_session(coord2, sid).note
    # new notes reach every coordinator at once
    person = sessions.get_session(world.login("wang"), sid).person_id
    assert person is not None
    later = sessions.log_session(world.login("wang"), _draft(person, "新的封存"))
    assert sessions.get_session(coord2, later.id).note == "新的封存"

    old_keys = slots.load(slots.keys_path(world.path))
    _key, coord2_secret = slots.open_slot_secret(old_keys, old_keys.user_slot("coord2"),
                                                 OTHER_PASSPHRASE)
    world.close()  # a rekey needs the vault alone
    accounts.disable_user(world.admin, "coord2")
    key_rotation.rekey(world.admin)
    with world.admin.reading():
        execute = world.admin.execute
        held = sealing.readable(execute, sealing.NOTE, coord2_secret)
        signing = sealing.readable(execute, sealing.SIGNING_KEY, coord2_secret)
    assert held == [] and signing == []
    assert CANARY in sessions.get_session(world.login("coord"), sid).note  # others keep it


def test_recovery_gives_the_recovered_coordinator_its_notes_back(
        world: World, created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path) -> None:
    sid = _wang_seals(world)
    world.close()
    vs, _code = key_rotation.recover(world.path, created.recovery_code, "coord",
                              "brand new quiet lantern morning", clock=clock,
                              state_dir=state_dir, kdf_seconds=0)
    try:
        assert CANARY in sessions.get_session(vs, sid).note
        assert submissions.signer(vs).private_key
    finally:
        vs.close()


def test_migration_seals_an_old_vaults_notes_and_signing_key_in_one_go(
        world: World, tmp_path: Path, clock: FixedClock, state_dir: Path) -> None:
    """A vault of schema 6 (plain sealed notes, plain signing key) moves to the sealed form
    at the first unlock; ``check`` passes afterwards."""
    person = officer(world, "孙八", "330888")
    plain_id = sessions.log_session(world.login("wang"), _draft(person, "x", sealed_=False)).id
    private = submissions.signer(world.login("coord")).private_key
    path = _copy(world, tmp_path / "old")
    keys = slots.load(slots.keys_path(path))
    data_key = slots.open_slot(keys, keys.user_slot("admin"), PASSPHRASE)
    conn = open_connection(path, data_key)
    try:  # turn it into what schema 6 stored: plain text, plain private key, no new tables
        conn.execute("UPDATE counseling_session SET sealed = 1, note = ?, intervention = ? "
                     "WHERE id = ?", (f"旧的 {CANARY}", "旧干预", plain_id))
        conn.execute("INSERT INTO session_addendum(session_id, text, by_id, at) VALUES "
                     "(?, ?, 1, '2026-11-28T12:00:00+08:00')", (plain_id, ADDENDUM))
        conn.execute("UPDATE signing_key SET private_key = ?", (private,))
        as_schema(conn, 6)  # no sealed_text/sealed_wrap/role_grant, no later tables
        assert migrate(conn, "2026-11-28T12:00:00+08:00", target=6) == []
    finally:
        conn.close()
    witness.witness_path(path).unlink(missing_ok=True)  # (the copy has none either)
    # a schema-6 key-slot file: no slot bound to a trust root (issue 11)
    unbound = keys
    for slot in keys.slots:
        if slot.kind == slots.USER:
            secret_ = PASSPHRASE if slot.username == "admin" else OTHER_PASSPHRASE
            unbound = unbound.with_slot(slots.rewrap(
                keys, slot, secret_, secret_, (slot.kdf.time_cost, slot.kdf.memory_kib), root=""))
        else:
            unbound = unbound.with_slot(slots.make_slot(
                keys, kind=slots.RECOVERY, username=slot.username, role=slot.role,
                passphrase="OLD-CODE", data_key=data_key,
                kdf_cost=(slot.kdf.time_cost, slot.kdf.memory_kib), created_at=slot.created_at))
    slots.save(slots.keys_path(path), unbound)
    coord = lifecycle.unlock(path, "coord", OTHER_PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        got = sessions.get_session(coord, plain_id)
        assert CANARY in got.note and got.addenda == (ADDENDUM,)
        assert submissions.signer(coord).private_key == private
        with coord.reading():
            dump = _dump(coord.db.raw())
        assert CANARY not in dump and ADDENDUM not in dump
    finally:
        coord.close()
    result = integrity.check_vault(path, "coord", OTHER_PASSPHRASE, state_dir=state_dir,
                                   clock=clock)
    assert result.ok, result.lines


def test_sealing_bulk_written_sessions_in_batches_gives_each_its_readers(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18: the demo writes sealed sessions plain and seals them all at once
    (:func:`db.sealing.seal_pending`, multi-row inserts of :data:`db.sealing._BATCH` rows,
    here 2 so that every insert spans several statements): each session gets its own note
    key, its author and the coordinators open note, intervention and addenda, another
    counselor finds nothing, and no plain text is left in the rows."""
    person = officer(world, "周九", "550001", unit=world.unit2, police_type="交警")
    wang = world.login("wang")
    ids = [sessions.log_session(wang, _draft(person, f"批量 {n}", sealed_=False)).id
           for n in range(3)]
    for sid in ids[:2]:
        sessions.add_addendum(wang, sid, f"{ADDENDUM} {sid}")
    with world.admin.transaction():  # as the demo's bulk writer leaves them
        world.admin.execute("UPDATE counseling_session SET sealed = 1 WHERE id IN (?, ?, ?)",
                            tuple(ids))
    monkeypatch.setattr(sealing, "_BATCH", 2)
    assert sealed.seal_pending(world.admin) == (3, 0)
    assert sealed.seal_pending(world.admin) == (0, 0)  # nothing left to seal
    for reader in ("wang", "coord"):
        for n, sid in enumerate(ids):
            got = sessions.get_session(world.login(reader), sid)
            assert got.note == f"批量 {n}" and got.intervention == f"干预-批量 {n}"
            assert got.addenda == ((f"{ADDENDUM} {sid}",) if n < 2 else ())
    with world.admin.reading():
        plain = world.admin.execute(
            "SELECT count(*) FROM counseling_session WHERE id IN (?, ?, ?) AND "
            "(note != '' OR intervention != '')", tuple(ids)).fetchone()[0]
        left = world.admin.execute("SELECT count(*) FROM session_addendum WHERE text != '' "
                                   "AND session_id IN (?, ?, ?)", tuple(ids)).fetchone()[0]
        keys = world.admin.execute("SELECT count(DISTINCT blob) FROM sealed_text").fetchone()[0]
    assert plain == 0 and left == 0 and keys == 5
    assert sessions.search_notes(world.login("zhao"), "批量") == []
