"""Security tests (issue 11, second attack): the readers of a new sealed note, the holders
of the signing key and the slots ``rekey`` keeps are chosen from slots whose role a counted
grant backs, never from what the key-slot file says. With one counselor's passphrase and
the product's own ``db`` modules, an extra slot (a phantom coordinator, a second recovery
slot) added to ``<vault>.keys`` reads nothing written after it and does not survive
``rekey``; ``check`` names it. Real SQLCipher vaults (the archive world).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from counselor_tui.domain.audit_chain import GENESIS, event_hash
from counselor_tui.services import integrity, key_rotation, lifecycle, sessions
from counselor_tui.services import witness as witness_writer
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import PermissionDenied
from counselor_tui.services.sessions import SessionDraft
from db import sealing, witness
from db import vault as slots
from db.connection import CheckLine, open_connection
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, TZ
from tests.integration.archive_world import World, make_world, officer


@pytest.fixture
def world(session: VaultSession, clock: FixedClock, state_dir: Path) -> Iterator[World]:
    with make_world(session, clock, state_dir) as w:
        yield w
        w.close()


def _add_phantoms(world: World) -> tuple[bytes, bytes]:
    """li (a counselor) adds a phantom coordinator slot and a second recovery slot (role
    admin) to the key-slot file, keeping their private keys; returns those raw keys."""
    world.close()
    world.admin.close()
    keys = slots.load(slots.keys_path(world.path))
    data_key = slots.open_slot(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    coord, rec = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    cost = (2, 65536)
    phantom = slots.make_slot(keys, kind=slots.USER, username="zz-phantom", role="coordinator",
                              passphrase="x", data_key=data_key, kdf_cost=cost,
                              created_at="2026-01-01", private=coord)
    extra = slots.make_slot(keys, kind=slots.RECOVERY, username="*recovery2*", role="admin",
                            passphrase="x", data_key=data_key, kdf_cost=cost,
                            created_at="2026-01-01", private=rec)
    slots.save(slots.keys_path(world.path),
               slots.KeySet(keys.vault_id, keys.key_id, (*keys.slots, phantom, extra)))
    return coord.private_bytes_raw(), rec.private_bytes_raw()


def _sealed_note(world: World, badge: str) -> int:
    person = officer(world, "赵六", badge, unit=world.unit2, police_type="交警")
    wang = world.login("wang")
    draft = SessionDraft(person_id=person, started_at=datetime(2026, 11, 28, 10, tzinfo=TZ),
                         channel="face_to_face", kind="routine", topics=("work_stress",),
                         duration_min=50, note="封存-phantom", intervention="干预", sealed=True)
    return sessions.log_session(wang, draft).id


def _opens(world: World, data_key: bytes, private_raw: bytes, sid: int) -> bool:
    keys = slots.load(slots.keys_path(world.path))
    conn = open_connection(world.path, data_key)
    try:
        sealing.open_secret(conn.execute, keys.vault_id, sealing.NOTE, sid, private_raw)
    except sealing.SealError:
        return False
    finally:
        conn.close()
    return True


def test_extra_slots_read_no_new_sealed_note_and_rekey_drops_them(world: World) -> None:
    coord_raw, rec_raw = _add_phantoms(world)
    world.admin = lifecycle.unlock(world.path, "admin", PASSPHRASE, clock=world.clock,
                                   state_dir=world.state_dir)
    sid = _sealed_note(world, "440001")
    keys = slots.load(slots.keys_path(world.path))
    data_key = slots.open_slot(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    assert not _opens(world, data_key, coord_raw, sid)
    assert not _opens(world, data_key, rec_raw, sid)
    # the real readers still open it: the coordinator and the recovery slot
    conn = open_connection(world.path, data_key)
    try:
        holders = {str(r[0]) for r in conn.execute(
            "SELECT username FROM sealed_wrap WHERE kind = 'note' AND ref_id = ?", (sid,))}
    finally:
        conn.close()
    assert holders == {"wang", "coord", slots.RECOVERY_USERNAME}
    result = integrity.check_vault(world.path, "coord", OTHER_PASSPHRASE,
                                   state_dir=world.state_dir, clock=world.clock)
    line = next(x for x in result.lines if x.name == "role_grants")
    assert not line.ok
    assert "zz-phantom: slot without a grant" in line.detail
    assert "*recovery2*: slot without a grant" in line.detail
    world.close()
    key_rotation.rekey(world.admin)
    after = slots.load(slots.keys_path(world.path))
    assert {s.username for s in after.slots} == {"admin", "coord", "li", "zhao", "wang",
                                                 "audit", slots.RECOVERY_USERNAME}


def _li_tools(world: World) -> tuple[slots.KeySet, bytes]:
    world.close()
    world.admin.close()
    keys = slots.load(slots.keys_path(world.path))
    return keys, slots.open_slot(keys, keys.user_slot("li"), OTHER_PASSPHRASE)


def _check(world: World) -> dict[str, CheckLine]:
    result = integrity.check_vault(world.path, "coord", OTHER_PASSPHRASE,
                                   state_dir=world.state_dir, clock=world.clock)
    return {line.name: line for line in result.lines}


def test_grants_deleted_and_audit_rechained_is_tampering_not_an_old_vault(
        world: World) -> None:
    keys, data_key = _li_tools(world)
    conn = open_connection(world.path, data_key)
    try:
        conn.execute("DELETE FROM role_grant")
        rows = conn.execute("SELECT seq, at, user, action, entity, entity_id, detail FROM "
                            "audit_event ORDER BY seq").fetchall()
        prev = GENESIS
        for seq, at, user, action, entity, entity_id, detail in rows:
            digest = event_hash(prev, seq, at, user, action, entity, entity_id,
                                json.loads(detail) if detail else {})
            conn.execute("UPDATE audit_event SET prev_hash = ?, hash = ?, signer = NULL, "
                         "sig = NULL WHERE seq = ?", (prev, digest, seq))
            prev = digest
        conn.commit()
    finally:
        conn.close()
    witness_writer.settle()  # the program's own rewrites are done before li's
    witness.write(world.path, data_key, witness.Witness(keys.vault_id, rows[-1][0], prev,
                                                        rows[-1][1]))  # unsigned
    lines = _check(world)
    assert lines["audit_chain"].ok  # the rewrite itself is consistent …
    assert not lines["role_grants"].ok and "tampering" in lines["role_grants"].detail
    assert not lines["audit_signatures"].ok
    assert not lines["witness_signature"].ok
    with pytest.raises(PermissionDenied, match="no longer starts at the key"):
        lifecycle.unlock(world.path, "admin", PASSPHRASE, clock=world.clock,
                         state_dir=world.state_dir)
    conn = open_connection(world.path, data_key)
    try:  # … and nobody silently signed a new grant set
        assert conn.execute("SELECT COUNT(*) FROM role_grant").fetchone()[0] == 0
    finally:
        conn.close()


def test_a_counselor_cannot_become_coordinator_by_deleting_the_grants(world: World) -> None:
    keys, data_key = _li_tools(world)
    conn = open_connection(world.path, data_key)
    try:
        conn.execute("UPDATE user SET role = 'coordinator' WHERE username = 'li'")
        conn.execute("DELETE FROM role_grant")
        conn.commit()
    finally:
        conn.close()
    slots.save(slots.keys_path(world.path), slots.with_role(keys, data_key, "li", "coordinator"))
    with pytest.raises(PermissionDenied, match="no longer starts at the key"):
        lifecycle.unlock(world.path, "li", OTHER_PASSPHRASE, clock=world.clock,
                         state_dir=world.state_dir)


def test_a_malformed_grant_is_refused_clearly_and_check_prints_every_line(
        world: World) -> None:
    _keys, data_key = _li_tools(world)
    conn = open_connection(world.path, data_key)
    try:
        conn.execute("UPDATE role_grant SET signature = 'not a signature'")
        conn.commit()
    finally:
        conn.close()
    with pytest.raises(PermissionDenied):
        lifecycle.unlock(world.path, "li", OTHER_PASSPHRASE, clock=world.clock,
                         state_dir=world.state_dir)
    lines = _check(world)
    assert not lines["role_grants"].ok
    assert "audit_signatures" in lines and "audit_chain" in lines


def test_a_note_sealed_after_saving_leaves_no_trigrams_in_the_search_index(
        world: World) -> None:
    canary = "齉齉齉-FTS-金丝雀"
    person = officer(world, "钱七", "440002", unit=world.unit2, police_type="交警")
    wang = world.login("wang")
    draft = SessionDraft(person_id=person, started_at=datetime(2026, 11, 28, 10, tzinfo=TZ),
                         channel="face_to_face", kind="routine", topics=("work_stress",),
                         duration_min=50, note=f"谈话 {canary} 结束", intervention="干预",
                         sealed=False)
    sid = sessions.log_session(wang, draft).id
    sessions.update_session(wang, sid, replace(draft, sealed=True))
    _keys, data_key = _li_tools(world)
    conn = open_connection(world.path, data_key)
    try:
        blocks = [bytes(r[0]) for r in conn.execute("SELECT block FROM session_note_fts_data")]
    finally:
        conn.close()
    assert blocks and not any("齉".encode() in b for b in blocks)


def test_a_signing_key_planted_by_a_counselor_is_flagged_by_check(world: World) -> None:
    keys, data_key = _li_tools(world)
    assert _check(world)["signing_keys"].ok
    planted = Ed25519PrivateKey.generate()
    public = planted.public_key().public_bytes_raw()
    conn = open_connection(world.path, data_key)
    try:
        cur = conn.execute("INSERT INTO signing_key(private_key, public_key, fingerprint, "
                           "created_at, active) VALUES (x'', ?, ?, '2099-01-01T00:00:00+08:00', "
                           "1)", (public, hashlib.sha256(public).hexdigest()))
        sealing.put_wraps(conn.execute, keys.vault_id, sealing.SIGNING_KEY, int(cur.lastrowid),
                          planted.private_bytes_raw(), sealing.signing_holders(keys))
        conn.commit()
    finally:
        conn.close()
    line = _check(world)["signing_keys"]
    assert not line.ok and "no creation event" in line.detail
