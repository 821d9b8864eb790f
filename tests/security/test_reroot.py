"""Security (issue 11, third attack round): the known gap — an insider re-roots the grants.

``li`` (a counselor of the archive world) holds their own slot entirely: with their
passphrase and the product's ``db`` modules they delete every other key slot, strip the
trust root from their own (its private key re-encrypted under the same passphrase), set
their role to admin in the slot and the database and delete the role grants — the vault
now looks, to them, like an old vault before its first admin unlock, and their next unlock
makes them the root of a new chain. Cryptography cannot refuse this (everything they change
is theirs to change; see docs/threat-model.md), so the tests pin down what it gets them —
no sealed note of another, no signing key — and that it is detected: every other account is
locked out, ``check`` shows another root, flags events signed before the new chain began,
and a backup's witness or a package made earlier reports the replaced grants
(``check --anchor``), even after the insider strips every old signature.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from counselor_tui.services import (
    backup_restore,
    integrity,
    lifecycle,
    sealed,
    sessions,
    settings,
    submissions,
)
from counselor_tui.services.context import FixedClock
from counselor_tui.services.errors import PermissionDenied, ServiceError
from counselor_tui.services.sessions import SessionDraft
from db import grants, witness
from db import vault as slots
from db.connection import CheckLine, open_connection
from tests.conftest import OTHER_PASSPHRASE, TZ
from tests.integration.archive_world import officer
from tests.integration.submission_fixtures import DOCUMENT
from tests.worlds import World

PACKAGE_PASSWORD = "amber lighthouse quietly folding maps"


@pytest.fixture
def world_kind() -> str:
    return "archive"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 2, 9, 0, tzinfo=TZ))


def _before(world: World, tmp_path: Path) -> tuple[int, Path, Path]:
    """Ordinary use: wang seals a note, the admin backs up and exports November's
    package. Returns the sealed session, the backup's witness and the package."""
    person = officer(world, "赵六", "440001", unit=world.unit2, police_type="交警")
    sid = sessions.log_session(world.login("wang"), SessionDraft(
        person_id=person, started_at=datetime(2026, 11, 28, 10, tzinfo=TZ),
        channel="face_to_face", kind="routine", topics=("work_stress",), duration_min=50,
        note="封存-reroot", intervention="干预", sealed=True)).id
    backup = backup_restore.backup(world.admin, tmp_path / "backups")
    settings.save_settings(world.admin, DOCUMENT)  # 主送机关, 签发人, 发文字号 set
    detail = submissions.compile_draft(world.office, "2026-11", "bureau")
    submissions.save_narrative(world.office, detail.info.id, {"highlights": "完成", "plan": "继续"})
    submissions.finalize(world.office, detail.info.id)
    package = submissions.export(world.office, detail.info.id, tmp_path / "out",
                                 PACKAGE_PASSWORD).path
    world.close()
    world.admin.close()
    return sid, witness.witness_path(backup), package


def _reroot(world: World, *, strip_signatures: bool) -> None:
    """li's attack on the vault files (see the module docstring)."""
    keys = slots.load(slots.keys_path(world.path))
    data_key = slots.open_slot(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    conn = open_connection(world.path, data_key)
    try:
        conn.execute("DELETE FROM role_grant")
        conn.execute("UPDATE user SET role = 'admin' WHERE username = 'li'")
        if strip_signatures:  # signatures are not part of the hash chain: nothing else moves
            conn.execute("UPDATE audit_event SET signer = NULL, sig = NULL")
        conn.commit()
    finally:
        conn.close()
    unbound = slots.rewrap(keys, keys.user_slot("li"), OTHER_PASSPHRASE, OTHER_PASSPHRASE,
                           (2, 65536), root="")
    alone = slots.KeySet(keys.vault_id, keys.key_id, (unbound,))
    slots.save(slots.keys_path(world.path), slots.with_role(alone, data_key, "li", "admin"))


def _check(world: World, **kw: object) -> dict[str, CheckLine]:
    result = integrity.check_vault(world.path, "li", OTHER_PASSPHRASE, state_dir=world.state_dir,
                                   clock=world.clock, **kw)  # type: ignore[arg-type]
    return {line.name: line for line in result.lines}


@pytest.mark.parametrize("strip_signatures", [False, True])
def test_a_re_rooted_vault_opens_nothing_sealed_and_is_detected(
        world: World, tmp_path: Path, strip_signatures: bool) -> None:
    assert world.created is not None
    printed_root = world.created.root_fingerprint  # printed at init, kept with the code
    sid, backup_witness, package = _before(world, tmp_path)
    ok = _check(world, anchor=package, anchor_password=PACKAGE_PASSWORD)
    assert ok["anchor"].ok and ok["audit_signatures"].ok  # positive control

    _reroot(world, strip_signatures=strip_signatures)

    # what it gets li: an admin session of a vault nobody else can open …
    li = lifecycle.unlock(world.path, "li", OTHER_PASSPHRASE, clock=world.clock,
                          state_dir=world.state_dir)
    try:
        assert li.actor.role.value == "admin" and li.trust_root != printed_root
        with li.reading(), pytest.raises(PermissionDenied):
            sealed.current_text(li, sid)  # … but no sealed note of another
        with pytest.raises(PermissionDenied):
            submissions.signer(li)  # … and no signing key
    finally:
        li.close()
    for other in ("coord", "admin", "wang"):
        with pytest.raises(ServiceError):
            lifecycle.unlock(world.path, other, OTHER_PASSPHRASE, clock=world.clock,
                             state_dir=world.state_dir)

    # how it is found
    lines = _check(world)
    shown = lines["role_grants"].detail
    assert grants.show_fingerprint(printed_root) not in shown and "root " in shown
    if not strip_signatures:
        assert not lines["audit_signatures"].ok
        assert "the grants were replaced" in lines["audit_signatures"].detail
    for anchor in (backup_witness, package):
        line = _check(world, anchor=anchor, anchor_password=PACKAGE_PASSWORD)["anchor"]
        assert not line.ok and "the grants were replaced" in line.detail, line.detail
        assert grants.show_fingerprint(printed_root) in line.detail
