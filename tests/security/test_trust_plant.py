"""Security (issue 13 point 5): a trust-list row planted with the data key alone does not
make a package trusted.

The curious colleague ``li`` (a counselor) uses the product's own ``db`` modules with their
one passphrase: they put their own signing key on the vault's trust list by inserting a
``trusted_signer`` row — bare, or with a ``trust_add`` audit event in the coordinator's name
or their own, chained correctly and signed with the only account key they hold. The
coordinator then consolidates li's package: refused (the signer is unknown, exit 2), and
``check`` names the row. A row the coordinator added through the program is accepted
(positive control)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from counselor_tui.domain.audit_chain import event_hash
from counselor_tui.services import integrity, lifecycle, submissions, trusted_signers
from db import audit_sign, grants
from db import vault as slots
from db.connection import open_connection
from tests.conftest import OTHER_PASSPHRASE, World
from tests.integration import trust_world  # noqa: F401  (registers the "trust" world)
from tests.integration.test_trusted_signers import PASSWORD, foreign_signer, signed_packages

pytestmark = pytest.mark.world("trust")


def _plant(world: World, fingerprint: str, forged_event_user: str | None) -> None:
    keys = slots.load(slots.keys_path(world.path))
    data_key, li_secret = slots.open_slot_secret(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    conn = open_connection(world.path, data_key)
    try:
        conn.execute("INSERT INTO trusted_signer(fingerprint, name, added_at, added_by_id) "
                     "VALUES (?, '城关派出所', '2026-11-29T09:00:00+08:00', "
                     "(SELECT id FROM \"user\" WHERE username = 'co'))", (fingerprint,))
        if forged_event_user is not None:
            li_key = grants.open_account_key(conn.execute, keys.vault_id, li_secret)
            seq, prev = conn.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC "
                                     "LIMIT 1").fetchone()
            seq, at = int(seq) + 1, "2026-11-29T09:00:00+08:00"
            detail = {"fingerprint": fingerprint, "name": "城关派出所"}
            digest = event_hash(prev, seq, at, forged_event_user, "trust_add",
                                "trusted_signer", fingerprint[:16], detail)
            sig = audit_sign.sign_event(li_key, seq, digest, forged_event_user)
            conn.execute("INSERT INTO audit_event(seq, at, user, action, entity, entity_id, "
                         "detail, prev_hash, hash, signer, sig) VALUES (?, ?, ?, 'trust_add', "
                         "'trusted_signer', ?, ?, ?, ?, ?, ?)",
                         (seq, at, forged_event_user, fingerprint[:16],
                          json.dumps(detail, ensure_ascii=False, sort_keys=True,
                                     separators=(",", ":")),
                          prev, digest, forged_event_user, sig))
        conn.commit()
    finally:
        conn.close()


def _check(world: World) -> dict[str, object]:
    return {x.name: x for x in integrity.check_vault(
        world.path, "co", OTHER_PASSPHRASE, state_dir=world.state_dir,
        clock=world.clock).lines}


@pytest.mark.parametrize("forged_event_user", [None, "co", "li"])
def test_a_trust_row_planted_with_the_data_key_trusts_nothing(
        world: World, tmp_path: Path, forged_event_user: str | None) -> None:
    li_key, real = foreign_signer(), foreign_signer()
    co = world.login("co")
    planted_pkg, real_pkg = signed_packages(co, tmp_path / "in", li_key, real)
    world.close()
    _plant(world, li_key.fingerprint, forged_event_user)

    co = lifecycle.unlock(world.path, "co", OTHER_PASSPHRASE, clock=world.clock,
                          state_dir=world.state_dir)
    try:
        assert li_key.fingerprint not in trusted_signers.known_signers(co)
        with pytest.raises(trusted_signers.UnknownSigner) as refused:
            submissions.consolidate(co, [(planted_pkg, PASSWORD)])
        assert li_key.fingerprint in str(refused.value)
        trusted_signers.add(co, real.fingerprint, "交警大队")  # positive control
        assert real.fingerprint in trusted_signers.known_signers(co)
        submissions.consolidate(co, [(real_pkg, PASSWORD)])
    finally:
        co.close()
    line = _check(world)["trusted_signers"]
    assert not line.ok and li_key.fingerprint[:16] in line.detail  # type: ignore[attr-defined]
    assert real.fingerprint[:16] not in line.detail  # type: ignore[attr-defined]


def test_a_removed_signer_is_not_revived_by_inserting_its_row_again(world: World) -> None:
    gone = foreign_signer()
    co = world.login("co")
    trusted_signers.add(co, gone.fingerprint, "城关派出所")
    trusted_signers.remove(co, gone.fingerprint)
    world.close()
    _plant(world, gone.fingerprint, None)  # its own, signed trust_add event is still there
    co = lifecycle.unlock(world.path, "co", OTHER_PASSPHRASE, clock=world.clock,
                          state_dir=world.state_dir)
    try:
        assert gone.fingerprint not in trusted_signers.known_signers(co)
    finally:
        co.close()
    assert not _check(world)["trusted_signers"].ok  # type: ignore[attr-defined]
