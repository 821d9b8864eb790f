"""Security (issue 11, third attack round): a signing key planted with the data key alone is
refused where packages are signed, not only flagged by ``check``.

The curious colleague (``li``, a counselor of the archive world) copies nothing more than
the vault and its key-slot file and uses the product's own ``db`` modules with their one
passphrase: they insert a newer active signing key of their own, wrap it to every holder
of the real one (so a coordinator's slot opens it), and — to look vouched for — append a
``create signing_key`` audit event in the admin's name or their own, signed with the only
account key they hold. The coordinator then exports a finalized submission: the program
must refuse to sign with that key (exit 2, a message saying what to do), write no package,
and refuse to print the planted fingerprint as the bureau's.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counselor_tui import cli
from counselor_tui.domain.audit_chain import event_hash
from counselor_tui.services import integrity, lifecycle, settings, submissions, trusted_signers
from counselor_tui.services import witness as witness_writer
from counselor_tui.services.context import FixedClock
from counselor_tui.services.errors import PermissionDenied
from db import audit_sign, grants, sealing, witness
from db import vault as slots
from db.connection import open_connection
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, TZ, write_secret
from tests.integration.submission_fixtures import DOCUMENT
from tests.worlds import World

PACKAGE_PASSWORD = "amber lighthouse quietly folding maps"


@pytest.fixture
def world_kind() -> str:
    return "archive"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 2, 9, 0, tzinfo=TZ))


def _finalized(world: World) -> None:
    """The admin compiles and finalizes November 2026 (nothing is exported yet)."""
    settings.save_settings(world.admin, DOCUMENT)  # 主送机关, 签发人, 发文字号 set
    detail = submissions.compile_draft(world.office, "2026-11", "bureau")
    submissions.save_narrative(world.office, detail.info.id, {"highlights": "完成", "plan": "继续"})
    submissions.finalize(world.office, detail.info.id)
    world.close()
    world.admin.close()


def _plant(world: World, forged_event_user: str | None) -> str:
    """li's attack; returns the planted key's fingerprint. ``forged_event_user``: append a
    ``create signing_key`` event in that account's name, signed with li's account key."""
    keys = slots.load(slots.keys_path(world.path))
    data_key, li_secret = slots.open_slot_secret(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    planted = Ed25519PrivateKey.generate()
    public = planted.public_key().public_bytes_raw()
    fpr = hashlib.sha256(public).hexdigest()
    conn = open_connection(world.path, data_key)
    try:
        cur = conn.execute("INSERT INTO signing_key(private_key, public_key, fingerprint, "
                           "created_at, active) VALUES (x'', ?, ?, '2099-01-01T00:00:00+08:00', "
                           "1)", (public, fpr))
        sealing.put_wraps(conn.execute, keys.vault_id, sealing.SIGNING_KEY, int(cur.lastrowid),
                          planted.private_bytes_raw(), sealing.signing_holders(keys))
        if forged_event_user is not None:
            li_key = grants.open_account_key(conn.execute, keys.vault_id, li_secret)
            seq, prev = conn.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC "
                                     "LIMIT 1").fetchone()
            seq, at = int(seq) + 1, "2026-12-02T09:00:00+08:00"
            digest = event_hash(prev, seq, at, forged_event_user, "create", "signing_key",
                                fpr[:16], {})
            sig = audit_sign.sign_event(li_key, seq, digest, forged_event_user)
            conn.execute("INSERT INTO audit_event(seq, at, user, action, entity, entity_id, "
                         "detail, prev_hash, hash, signer, sig) VALUES (?, ?, ?, 'create', "
                         "'signing_key', ?, ?, ?, ?, ?, ?)",
                         (seq, at, forged_event_user, fpr[:16], json.dumps({}), prev, digest,
                          forged_event_user, sig))
        conn.commit()
    finally:
        conn.close()
    return fpr


def _cli(world: World, tmp_path: Path, *args: str) -> int:
    pw = write_secret(tmp_path, "pw.txt", OTHER_PASSPHRASE)
    return cli.main(["--lang", "en", "--vault", str(world.path), "--passphrase-file", str(pw),
                     "--user", "coord", *args])


@pytest.mark.parametrize("forged_event_user", [None, "admin", "li"])
def test_export_refuses_a_signing_key_planted_by_a_counselor(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        forged_event_user: str | None) -> None:
    _finalized(world)
    coord = lifecycle.unlock(world.path, "coord", OTHER_PASSPHRASE, clock=world.clock,
                             state_dir=world.state_dir)
    real = submissions.fingerprint(coord)
    assert submissions.signer(coord).fingerprint == real  # positive control
    coord.close()

    planted = _plant(world, forged_event_user)

    out = tmp_path / "out"
    out.mkdir()
    code = _cli(world, tmp_path, "submission", "export", "--period", "2026-11", "--out",
                str(out))
    err = capsys.readouterr().err
    assert code == 2, err
    assert "was not created by an admin or coordinator" in err and planted[:16] in err
    assert "counselor-tui check" in err and "Traceback" not in err
    assert list(out.iterdir()) == []  # nothing signed, nothing written
    assert _cli(world, tmp_path, "submission", "fingerprint") == 2
    assert planted not in capsys.readouterr().out
    coord = lifecycle.unlock(world.path, "coord", OTHER_PASSPHRASE, clock=world.clock,
                             state_dir=world.state_dir)
    try:
        with pytest.raises(PermissionDenied, match="not created by an admin"):
            submissions.signer(coord)
    finally:
        coord.close()
    lines = {x.name: x for x in integrity.check_vault(
        world.path, "coord", OTHER_PASSPHRASE, state_dir=world.state_dir,
        clock=world.clock).lines}
    assert not lines["signing_keys"].ok and planted[:16] in lines["signing_keys"].detail


def test_the_real_key_with_a_swapped_private_half_is_refused(world: World) -> None:
    """li keeps the real row's fingerprint and creation event but replaces its public key
    and the coordinators' wraps with a key of their own."""
    world.close()
    world.admin.close()
    keys = slots.load(slots.keys_path(world.path))
    data_key = slots.open_slot(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    planted = Ed25519PrivateKey.generate()
    conn = open_connection(world.path, data_key)
    try:
        key_id = int(conn.execute("SELECT id FROM signing_key").fetchone()[0])
        conn.execute("UPDATE signing_key SET public_key = ? WHERE id = ?",
                     (planted.public_key().public_bytes_raw(), key_id))
        conn.execute("DELETE FROM sealed_wrap WHERE kind = ? AND ref_id = ?",
                     (sealing.SIGNING_KEY, key_id))
        sealing.put_wraps(conn.execute, keys.vault_id, sealing.SIGNING_KEY, key_id,
                          planted.private_bytes_raw(), sealing.signing_holders(keys))
        conn.commit()
    finally:
        conn.close()
    coord = lifecycle.unlock(world.path, "coord", OTHER_PASSPHRASE, clock=world.clock,
                             state_dir=world.state_dir)
    try:
        with pytest.raises(PermissionDenied, match="not created by an admin"):
            submissions.signer(coord)
    finally:
        coord.close()


def _make_old_and_upgrade(world: World) -> None:
    """The world as an old vault (no grants, no account keys, unsigned events, unbound
    slots), then the admin's first unlock signs the grants: events are signed from then on
    and the signing key's creation event lies before that."""
    world.close()
    world.admin.close()
    keys = slots.load(slots.keys_path(world.path))
    data_key = slots.open_slot(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    conn = open_connection(world.path, data_key)
    try:
        conn.execute("DELETE FROM role_grant")
        conn.execute("DELETE FROM sealed_wrap WHERE kind = 'account_key'")
        conn.execute("UPDATE audit_event SET signer = NULL, sig = NULL")
        conn.commit()
    finally:
        conn.close()
    assert world.created is not None
    for slot in keys.slots:
        secret = (PASSPHRASE if slot.username == "admin" else
                  slots.normalize_recovery_code(world.created.recovery_code)
                  if slot.kind == slots.RECOVERY else OTHER_PASSPHRASE)
        keys = keys.with_slot(slots.rewrap(keys, slot, secret, secret,
                                           (slot.kdf.time_cost, slot.kdf.memory_kib), root=""))
    slots.save(slots.keys_path(world.path), keys)
    for user, secret in (("admin", PASSPHRASE), ("coord", OTHER_PASSPHRASE)):
        lifecycle.unlock(world.path, user, secret, clock=world.clock,
                         state_dir=world.state_dir).close()


def _rechain_from_2(conn: Any) -> tuple[int, str, str]:
    """Recompute the hash chain from event 2 on, as an insider who rewrote it does; returns
    the new tail ``(seq, hash, at)`` for a matching witness."""
    prev = conn.execute("SELECT hash FROM audit_event WHERE seq = 1").fetchone()[0]
    rows = list(conn.execute("SELECT seq, at, user, action, entity, entity_id, detail "
                             "FROM audit_event WHERE seq >= 2 ORDER BY seq"))
    for seq, at, user, action, entity, entity_id, detail in rows:
        digest = event_hash(prev, seq, at, user, action, entity, entity_id, json.loads(detail))
        conn.execute("UPDATE audit_event SET prev_hash = ?, hash = ? WHERE seq = ?",
                     (prev, digest, seq))
        prev = digest
    return int(rows[-1][0]), str(prev), str(rows[-1][1])


def _forge_witness(world: World, data_key: bytes, vault_id: str,
                   tail: tuple[int, str, str]) -> None:
    """li writes a witness matching the rewritten chain, once the program's own witness
    rewrites are done (an insider acts later than the writer thread)."""
    witness_writer.settle()
    witness.write(world.path, data_key, witness.Witness(vault_id, *tail))


def test_a_planted_key_backdated_into_the_unsigned_past_is_refused(world: World) -> None:
    """In an upgraded vault the key's creation event is older than the first signed event.
    li plants a key, rewrites an early unsigned event into its ``create signing_key`` event,
    recomputes the hash chain and writes a matching witness: the first signed event's
    signature no longer covers that past, so the key is not vouched for."""
    _make_old_and_upgrade(world)
    coord = lifecycle.unlock(world.path, "coord", OTHER_PASSPHRASE, clock=world.clock,
                             state_dir=world.state_dir)
    assert submissions.signer(coord).fingerprint  # positive control: the real key signs
    coord.close()
    fpr = _plant(world, None)
    keys = slots.load(slots.keys_path(world.path))
    data_key = slots.open_slot(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    conn = open_connection(world.path, data_key)
    try:
        conn.execute("UPDATE audit_event SET action = 'create', entity = 'signing_key', "
                     "entity_id = ?, detail = '{}' WHERE seq = 2", (fpr[:16],))
        tail = _rechain_from_2(conn)
        conn.commit()
    finally:
        conn.close()
    _forge_witness(world, data_key, keys.vault_id, tail)
    coord = lifecycle.unlock(world.path, "coord", OTHER_PASSPHRASE, clock=world.clock,
                             state_dir=world.state_dir)
    try:
        assert not coord.read_only
        with pytest.raises(PermissionDenied, match="not created by an admin"):
            submissions.signer(coord)
    finally:
        coord.close()


def test_a_planted_signing_key_is_not_a_known_signer(world: World) -> None:
    """A package signed with a key li planted (a bare ``signing_key`` row, or one with a
    forged creation event) must not pass ``verify`` or ``consolidate`` as "this vault's
    own key": neither the trust list nor the vault's own keys include it (attack of a
    fresh tester: both accepted it as this vault's signer)."""
    _finalized(world)
    coord = lifecycle.unlock(world.path, "coord", OTHER_PASSPHRASE, clock=world.clock,
                             state_dir=world.state_dir)
    real = submissions.fingerprint(coord)
    coord.close()
    planted = _plant(world, None)
    coord = lifecycle.unlock(world.path, "coord", OTHER_PASSPHRASE, clock=world.clock,
                             state_dir=world.state_dir)
    try:
        known = trusted_signers.known_signers(coord)
        assert real in known  # positive control: the vouched key stays trusted
        assert planted not in known
        assert trusted_signers.own_fingerprints(coord) == [real]
        assert [s.fingerprint for s in trusted_signers.list_signers(coord) if s.own] == [real]
    finally:
        coord.close()


def test_a_trust_row_backdated_into_the_unsigned_past_trusts_nothing(world: World) -> None:
    """The trust list's counterpart of the backdated key (fresh attacker's reading of the
    code): in an upgraded vault li inserts a trust-list row for a key of their own and
    rewrites an early unsigned event into its ``trust_add``, re-chaining the hashes. The
    first signed event no longer covers that past, so the row trusts nothing."""
    _make_old_and_upgrade(world)
    mine = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    fpr = hashlib.sha256(mine).hexdigest()
    keys = slots.load(slots.keys_path(world.path))
    data_key = slots.open_slot(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    detail = {"fingerprint": fpr, "name": "城关派出所"}
    conn = open_connection(world.path, data_key)
    try:
        conn.execute("INSERT INTO trusted_signer(fingerprint, name, added_at, added_by_id) "
                     "VALUES (?, '城关派出所', '2026-11-29T09:00:00+08:00', "
                     "(SELECT id FROM \"user\" WHERE username = 'coord'))", (fpr,))
        conn.execute("UPDATE audit_event SET action = 'trust_add', entity = 'trusted_signer', "
                     "entity_id = ?, detail = ? WHERE seq = 2",
                     (fpr[:16], json.dumps(detail, ensure_ascii=False, sort_keys=True,
                                           separators=(",", ":"))))
        tail = _rechain_from_2(conn)
        conn.commit()
    finally:
        conn.close()
    _forge_witness(world, data_key, keys.vault_id, tail)
    coord = lifecycle.unlock(world.path, "coord", OTHER_PASSPHRASE, clock=world.clock,
                             state_dir=world.state_dir)
    try:
        assert not coord.read_only
        assert fpr not in trusted_signers.known_signers(coord)
    finally:
        coord.close()
