"""Security (issue 16 point 4): a stored definition of a bureau's own instrument counts only
when the signed audit log vouches for it (docs/threat-model.md "Bureau instrument
definitions"; :mod:`counselor_tui.services.instrument_trust`).

Two attacks by an insider with one ordinary passphrase and the product's own modules:
the counselor ``li`` gives themself the coordinator role in memory and adds a definition
(the service cannot tell; the event is signed by li); and raw SQL on the decrypted vault
rewrites a stored definition's bands and SHA-256 (the no-update trigger dropped and put
back). Either way ``check`` names the definition and scoring with it is refused; the
coordinator's own definition is accepted (positive control)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from counselor_tui.domain.roles import Role
from counselor_tui.services import assessments, instruments, integrity
from counselor_tui.services.errors import InvalidInput
from db import vault as slots
from db.connection import open_connection
from tests.conftest import OTHER_PASSPHRASE
from tests.integration.census_world import World, roster_rows
from tests.integration.instrument_files import V1_BANDS, V2_BANDS, definition, write

pytestmark = pytest.mark.world("census")


def _check(world: World) -> dict[str, integrity.CheckLine]:
    return {x.name: x for x in integrity.check_vault(
        world.path, "coord", OTHER_PASSPHRASE, state_dir=world.state_dir,
        clock=world.clock).lines}


def _score(world: World, code: str) -> assessments.AssessmentSaved:
    person = world.badges[roster_rows()[0][0]]
    return assessments.record_assessment(world.login("coord"), assessments.AssessmentDraft(
        person, code, (1, 1, 1, 1), date(2026, 11, 20)))


def test_a_definition_added_by_a_counselor_made_coordinator_in_memory_counts_for_nothing(
        world: World, tmp_path: Path) -> None:
    li = world.login("li")
    li.actor = replace(li.actor, role=Role.COORDINATOR)
    planted = instruments.add_definition(li, write(tmp_path, "p.toml",
                                                   definition(code="planted")))
    assert planted.added                                  # the service alone cannot tell
    real = instruments.add_definition(world.login("coord"),
                                      write(tmp_path, "r.toml", definition()))
    assert real.added
    assert _score(world, "bureau_stress").result.total == 4   # positive control
    with pytest.raises(InvalidInput, match="planted"):
        _score(world, "planted")
    assert "planted" not in {d.code for d in instruments.available(world.login("coord"))}
    world.close()
    line = _check(world)["instrument_definitions"]
    assert not line.ok and "planted" in line.detail and "li" in line.detail
    assert "bureau_stress" not in line.detail


def test_a_definition_rewritten_with_raw_sql_is_named_and_not_used(
        world: World, tmp_path: Path) -> None:
    instruments.add_definition(world.login("coord"), write(tmp_path, "v1.toml", definition()))
    old = _score(world, "bureau_stress")
    assert old.result.band == "low"
    world.close()
    assert _check(world)["instrument_definitions"].ok

    keys = slots.load(slots.keys_path(world.path))
    data_key, _secret = slots.open_slot_secret(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    conn = open_connection(world.path, data_key)
    try:
        text = str(conn.execute("SELECT definition FROM bureau_instrument").fetchone()[0])
        forged = text.replace(V1_BANDS, V2_BANDS)
        assert forged != text
        trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name = "
                               "'bureau_instrument_no_update'").fetchone()[0]
        conn.execute('DROP TRIGGER "bureau_instrument_no_update"')
        conn.execute("UPDATE bureau_instrument SET definition = ?, sha256 = ?",
                     (forged, hashlib.sha256(forged.encode("utf-8")).hexdigest()))
        conn.execute(trigger)
        conn.commit()
    finally:
        conn.close()

    line = _check(world)["instrument_definitions"]
    assert not line.ok and "bureau_stress 2026-1" in line.detail
    with pytest.raises(InvalidInput, match="bureau_stress"):
        _score(world, "bureau_stress")
