"""A bureau built from the roster sample, for the census / assessment / import tests.

Units and the 40 valid officers of ``shared/samples/roster_sample.xlsx`` (names and badge
numbers normalized as the roster importer stores them), inserted directly so these tests do
not depend on the roster importer. Accounts: ``coord`` (coordinator), ``li`` (counselor of
城东派出所), ``wang`` (counselor of 交警大队), ``audit`` (auditor). World kind ``"census"``
(see :mod:`tests.worlds`); :func:`make_world` builds the same into an open session.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl

from counselor_tui.domain.pinyin import name_keys
from counselor_tui.services import accounts, audit
from counselor_tui.services.context import FixedClock, VaultSession
from db.models import Person, Unit
from tests.worlds import OTHER_PASSPHRASE, SAMPLES, World, register

__all__ = ["ROSTER", "SAMPLES", "SURVEY", "World", "build", "make_world", "roster_rows"]

ROSTER = SAMPLES / "roster_sample.xlsx"
SURVEY = SAMPLES / "phq9_survey_export_sample.xlsx"


def _clean(value: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value)).split())


@functools.cache
def roster_rows() -> list[tuple[str, str, str, str]]:
    """``(badge, name, unit, police type)`` of the 40 valid roster rows (read once)."""
    sheet = openpyxl.load_workbook(ROSTER, read_only=True).worksheets[0]
    rows = []
    for row in list(sheet.iter_rows(values_only=True))[3:43]:
        rows.append((_clean(row[1]), _clean(row[2]), _clean(row[5]), _clean(row[6])))
    return rows


def build(world: World) -> None:
    """The units, officers and accounts above, made by the admin of ``world``."""
    session = world.admin
    now = session.now_iso()
    who = {"created_at": now, "created_by": session.actor.id, "updated_at": now,
           "updated_by": session.actor.id}
    with session.transaction():
        for badge, name, unit_name, police_type in roster_rows():
            if unit_name not in world.units:
                unit = Unit.create(code=f"U{len(world.units) + 1:02d}", name=unit_name,
                                   police_type=police_type, **who)
                world.units[unit_name] = int(unit.id)
                audit.record(session, "create", "unit", unit.id, {})
            keys = name_keys(name)
            person = Person.create(kind="officer", badge_no=badge, name=name,
                                   name_pinyin=keys.full, name_initials=keys.initials,
                                   name_sort=keys.sort,
                                   unit=world.units[unit_name], police_type=police_type,
                                   post="", **who)
            world.badges[badge] = int(person.id)
            audit.record(session, "create", "person", person.id, {"kind": "officer"})
    unit_codes = {name: Unit.get_by_id(uid).code for name, uid in world.units.items()}
    for username, role, unit in (("coord", "coordinator", None),
                                 ("li", "counselor", unit_codes["城东派出所"]),
                                 ("wang", "counselor", unit_codes["交警大队"]),
                                 ("audit", "auditor", None)):
        accounts.add_user(session, username, role, OTHER_PASSPHRASE, unit_code=unit,
                          display_name=username.upper(), kdf_seconds=0)


register("census", build)


@contextmanager
def make_world(session: VaultSession, clock: FixedClock, state_dir: Path) -> Iterator[World]:
    """Build the world inside the admin ``session``; closes the other sessions after.
    (Slower than the ``world`` fixture with ``world_kind`` ``"census"``, which copies it.)"""
    world = World(session, session.path, clock, state_dir)
    build(world)
    try:
        yield world
    finally:
        world.close()
