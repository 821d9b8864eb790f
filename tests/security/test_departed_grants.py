"""Security (issue 11, third attack round): disabling an account revokes its role grants.

A coordinator or admin who is about to leave saves what their own passphrase opens: their
key slot and their account key (the product's ``db`` modules do it). After they are
disabled and the data key is rotated, a colleague still holding the data key (``li``, a
counselor of the archive world) helps them back in — the old slot resealed to the current
data key and put back into ``<vault>.keys``, the account key wrapped to it again, the
account set active — or uses the departed admin's key to sign a coordinator grant for
themselves. Both must be refused at unlock: the disable signed a ``revoked`` grant for
every slot of the account, which replaces its old grant and takes the departed key out of
the admins who may grant; and when the colleague also deletes that revocation row, the
admin-signed ``disable user`` audit event still says the grants were revoked, so every
unlock is refused as tampering and ``check`` names the account.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counselor_tui.services import accounts, integrity, key_rotation, lifecycle
from counselor_tui.services.errors import PermissionDenied
from db import grants, sealing
from db import vault as slots
from db.connection import open_connection
from tests.conftest import OTHER_PASSPHRASE
from tests.worlds import World


@pytest.fixture
def world_kind() -> str:
    return "archive"


def _departs(world: World, name: str, role: str) -> tuple[slots.Slot, Ed25519PrivateKey]:
    """``name`` gets an account of ``role``, saves their slot and account key, and is
    disabled; the admin rotates the data key."""
    accounts.add_user(world.admin, name, role, OTHER_PASSPHRASE, display_name=name.upper(),
                      kdf_seconds=0)
    keys = slots.load(slots.keys_path(world.path))
    saved = keys.user_slot(name)
    data_key, secret = slots.open_slot_secret(keys, saved, OTHER_PASSPHRASE)
    conn = open_connection(world.path, data_key)
    try:
        account_key = grants.open_account_key(conn.execute, keys.vault_id, secret)
    finally:
        conn.close()
    accounts.disable_user(world.admin, name)
    world.close()
    key_rotation.rekey(world.admin)
    world.admin.close()
    return saved, account_key


def _li_opens(world: World) -> tuple[slots.KeySet, bytes]:
    keys = slots.load(slots.keys_path(world.path))
    return keys, slots.open_slot(keys, keys.user_slot("li"), OTHER_PASSPHRASE)


@pytest.mark.parametrize("delete_revocation", [False, True])
def test_a_departed_coordinator_put_back_by_a_colleague_is_refused(
        world: World, delete_revocation: bool) -> None:
    saved, account_key = _departs(world, "zhou", "coordinator")
    keys, data_key = _li_opens(world)
    conn = open_connection(world.path, data_key)
    try:
        if delete_revocation:
            assert conn.execute("DELETE FROM role_grant WHERE role = 'revoked'").rowcount == 1
        conn.execute("UPDATE user SET active = 1, disabled_at = NULL WHERE username = 'zhou'")
        sealing.put_wraps(conn.execute, keys.vault_id, sealing.ACCOUNT_KEY, 0,
                          account_key.private_bytes_raw(),
                          [sealing.Recipient("zhou", saved.public_key)])
        conn.commit()
    finally:
        conn.close()
    slots.save(slots.keys_path(world.path),
               keys.with_slot(slots.seal(keys, saved, data_key, keys.key_id)))
    expected = "grants was removed" if delete_revocation else "no valid grant"
    with pytest.raises(PermissionDenied, match=expected):
        lifecycle.unlock(world.path, "zhou", OTHER_PASSPHRASE, clock=world.clock,
                         state_dir=world.state_dir)
    line = next(x for x in integrity.check_vault(
        world.path, "li", OTHER_PASSPHRASE, state_dir=world.state_dir, clock=world.clock
    ).lines if x.name == "role_grants")
    assert not line.ok and "zhou" in line.detail


@pytest.mark.parametrize("delete_revocation", [False, True])
def test_a_departed_admins_key_signs_no_grant_that_counts(
        world: World, delete_revocation: bool) -> None:
    saved, admin_key = _departs(world, "adm2", "admin")
    keys, data_key = _li_opens(world)
    li_slot = keys.user_slot("li")
    conn = open_connection(world.path, data_key)
    try:
        if delete_revocation:
            assert conn.execute("DELETE FROM role_grant WHERE role = 'revoked'").rowcount == 1
        li_key = grants.open_account_key(conn.execute, keys.vault_id, slots.open_slot_secret(
            keys, li_slot, OTHER_PASSPHRASE)[1])
        grants.issue(conn.execute, keys.vault_id, admin_key, saved.username, "li",
                     "coordinator", li_slot.public_key, grants.public_hex(li_key),
                     "2026-12-01T09:00:00+08:00")
        conn.execute("UPDATE user SET role = 'coordinator' WHERE username = 'li'")
        conn.commit()
    finally:
        conn.close()
    slots.save(slots.keys_path(world.path), slots.with_role(keys, data_key, "li", "coordinator"))
    expected = "grants was removed" if delete_revocation else "no valid grant"
    with pytest.raises(PermissionDenied, match=expected):
        lifecycle.unlock(world.path, "li", OTHER_PASSPHRASE, clock=world.clock,
                         state_dir=world.state_dir)
    line = next(x for x in integrity.check_vault(
        world.path, "coord", OTHER_PASSPHRASE, state_dir=world.state_dir, clock=world.clock
    ).lines if x.name == "role_grants")
    assert not line.ok and ("adm2" in line.detail or "grants not counted" in line.detail)
