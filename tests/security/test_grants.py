"""Security test 22 (issue 11): a role is what an admin's signed grant says, chaining to the
vault creator's key. With one counselor's passphrase and the product's own ``db`` modules
on the vault files, a role written into the database, a self-sealed admin slot, a forged
grant or a whole new chain is refused at unlock (or reported by ``check``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counselor_tui.services import accounts, integrity, key_rotation, lifecycle
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import PermissionDenied
from db import grants
from db import vault as slots
from db.connection import open_connection
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE
from tests.integration.archive_world import World, make_world

AT = "2026-11-29T09:30:00+08:00"


@pytest.fixture
def world(session: VaultSession, clock: FixedClock, state_dir: Path) -> Iterator[World]:
    with make_world(session, clock, state_dir) as w:
        yield w
        w.close()


def _as_li(world: World) -> tuple[slots.KeySet, bytes, bytes]:
    """The insider's tools: the key-slot file and li's own slot opened with li's passphrase."""
    world.close()
    keys = slots.load(slots.keys_path(world.path))
    data_key, secret = slots.open_slot_secret(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    return keys, data_key, secret


def _unlock_li(world: World) -> VaultSession:
    return lifecycle.unlock(world.path, "li", OTHER_PASSPHRASE, clock=world.clock,
                        state_dir=world.state_dir)


def test_22_role_in_the_database_and_a_self_sealed_admin_slot_are_refused(
        world: World) -> None:
    keys, data_key, _secret = _as_li(world)
    conn = open_connection(world.path, data_key)
    try:
        conn.execute("UPDATE user SET role = 'admin' WHERE username = 'li'")
    finally:
        conn.close()
    # the slot must say admin too: li reseals it (the data key and li's public key suffice)
    slots.save(slots.keys_path(world.path), slots.with_role(keys, data_key, "li", "admin"))
    with pytest.raises(PermissionDenied, match="no valid grant"):
        _unlock_li(world)


def test_22_a_grant_signed_by_a_non_admin_key_is_refused(world: World) -> None:
    keys, data_key, secret = _as_li(world)
    conn = open_connection(world.path, data_key)
    try:
        forger = Ed25519PrivateKey.generate()  # li's own, or any key li can make
        mine = grants.open_account_key(conn.execute, keys.vault_id, secret)
        grants.issue(conn.execute, keys.vault_id, forger, "admin", "li", "admin",
                     keys.user_slot("li").public_key, grants.public_hex(mine), AT)
        grants.issue(conn.execute, keys.vault_id, mine, "li", "li", "admin",
                     keys.user_slot("li").public_key, grants.public_hex(mine), AT)
        conn.execute("UPDATE user SET role = 'admin' WHERE username = 'li'")
    finally:
        conn.close()
    slots.save(slots.keys_path(world.path), slots.with_role(keys, data_key, "li", "admin"))
    with pytest.raises(PermissionDenied, match="no valid grant"):
        _unlock_li(world)
    result = integrity.check_vault(world.path, "coord", OTHER_PASSPHRASE, state_dir=world.state_dir,
                               clock=world.clock)
    line = next(x for x in result.lines if x.name == "role_grants")
    assert not line.ok and "not counted" in line.detail and "li: role_mismatch" in line.detail


def test_22_a_whole_new_chain_is_refused_to_everyone_who_saw_the_real_root(
        world: World) -> None:
    keys, data_key, secret = _as_li(world)
    conn = open_connection(world.path, data_key)
    try:  # li's own chain: li is the root admin of it, and grants everyone else their role
        conn.execute("DELETE FROM role_grant")
        root = Ed25519PrivateKey.generate()
        for slot in keys.slots:
            role = "admin" if slot.username == "li" else slot.role
            grants.issue(conn.execute, keys.vault_id, root, "li", slot.username, role,
                         slot.public_key, grants.public_hex(root) if slot.username == "li"
                         else grants.public_hex(grants.open_account_key(
                             conn.execute, keys.vault_id, secret)), AT)
    finally:
        conn.close()
    for user, secret_ in (("admin", PASSPHRASE), ("coord", OTHER_PASSPHRASE)):
        with pytest.raises(PermissionDenied, match="no longer starts at the key"):
            lifecycle.unlock(world.path, user, secret_, clock=world.clock,
                             state_dir=world.state_dir)
    result = integrity.check_vault(world.path, "coord", OTHER_PASSPHRASE, state_dir=world.state_dir,
                               clock=world.clock)
    assert not result.ok


def test_the_root_fingerprint_is_shown_at_init_and_by_check(
        world: World, created: lifecycle.CreatedVault) -> None:
    assert len(created.root_fingerprint) == 64
    accounts.add_user(world.admin, "coord2", "coordinator", OTHER_PASSPHRASE, kdf_seconds=0)
    world.login("coord2")
    world.close()
    result = integrity.check_vault(world.path, "li", OTHER_PASSPHRASE, state_dir=world.state_dir,
                               clock=world.clock)
    line = next(x for x in result.lines if x.name == "role_grants")
    assert line.ok and grants.show_fingerprint(created.root_fingerprint) in line.detail


def test_an_old_vault_gets_its_grants_at_the_first_admin_unlock(
        world: World, created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path) -> None:
    keys, data_key, _secret = _as_li(world)
    world.admin.close()
    conn = open_connection(world.path, data_key)
    try:  # what an old vault has: no grants, no account keys, unsigned events, slots
        conn.execute("DELETE FROM role_grant")  # without a root
        conn.execute("DELETE FROM sealed_wrap WHERE kind = 'account_key'")
        conn.execute("UPDATE audit_event SET signer = NULL, sig = NULL")
    finally:
        conn.close()
    for slot in keys.slots:
        secret = (PASSPHRASE if slot.username == "admin" else
                  slots.normalize_recovery_code(created.recovery_code)
                  if slot.kind == slots.RECOVERY else OTHER_PASSPHRASE)
        keys = keys.with_slot(slots.rewrap(keys, slot, secret, secret,
                                           (slot.kdf.time_cost, slot.kdf.memory_kib), root=""))
    slots.save(slots.keys_path(world.path), keys)
    li = _unlock_li(world)  # before an admin came: the old rules
    li.close()
    admin = lifecycle.unlock(world.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    admin.close()
    for user in ("li", "coord", "wang"):
        lifecycle.unlock(world.path, user, OTHER_PASSPHRASE, clock=clock,
                     state_dir=state_dir).close()
    result = integrity.check_vault(world.path, "admin", PASSPHRASE, state_dir=state_dir,
                               clock=clock)
    assert result.ok, result.lines


def test_recovery_and_a_reset_sign_new_grants(
        world: World, created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path) -> None:
    accounts.change_passphrase(world.admin, "li", "fresh violet harbor evening",
                               kdf_seconds=0)
    lifecycle.unlock(world.path, "li", "fresh violet harbor evening", clock=clock,
                 state_dir=state_dir).close()
    world.close()
    world.admin.close()
    vs, _code = key_rotation.recover(world.path, created.recovery_code, "coord",
                              "brand new quiet lantern morning", clock=clock,
                              state_dir=state_dir, kdf_seconds=0)
    vs.close()
    lifecycle.unlock(world.path, "coord", "brand new quiet lantern morning", clock=clock,
                 state_dir=state_dir).close()
    result = integrity.check_vault(world.path, "coord", "brand new quiet lantern morning",
                               state_dir=state_dir, clock=clock)
    assert result.ok, result.lines
