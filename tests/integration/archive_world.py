"""A small bureau for the archive, session and roster tests (real SQLCipher vault).

Units U001 城关派出所 (派出所) and U002 交警大队 (交警); accounts ``coord`` (coordinator),
``li`` and ``zhao`` (counselors of U001), ``wang`` (counselor of U002), ``audit`` (auditor).
World kind ``"archive"`` (see :mod:`tests.worlds`): a module sets ``world_kind`` to it and
takes the ``world`` fixture; :func:`make_world` builds the same into an open session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from counselor_tui.services import accounts, persons
from counselor_tui.services.context import FixedClock, VaultSession
from tests.worlds import OTHER_PASSPHRASE, World, register

__all__ = ["World", "build", "make_world", "officer"]


def build(world: World) -> None:
    """The units and accounts above, made by the admin of ``world``."""
    world.unit1 = persons.create_unit(world.admin, "城关派出所", "派出所", code="U001")
    world.unit2 = persons.create_unit(world.admin, "交警大队", "交警", code="U002")
    for name, role, unit in (("coord", "coordinator", None), ("li", "counselor", "U001"),
                             ("zhao", "counselor", "U001"), ("wang", "counselor", "U002"),
                             ("audit", "auditor", None)):
        accounts.add_user(world.admin, name, role, OTHER_PASSPHRASE, unit_code=unit,
                          display_name=name.upper(), kdf_seconds=0)


register("archive", build)


@contextmanager
def make_world(session: VaultSession, clock: FixedClock, state_dir: Path) -> Iterator[World]:
    """Build the world inside the admin ``session``; closes the other sessions after.
    (Slower than the ``world`` fixture with ``world_kind`` ``"archive"``, which copies it.)"""
    world = World(session, session.path, clock, state_dir)
    build(world)
    try:
        yield world
    finally:
        world.close()


def officer(world: World, name: str, badge: str, unit: int | None = None,
            police_type: str | None = "派出所") -> int:
    """Create an officer (with the office's rights); returns the person id."""
    return persons.create_person(world.office, persons.PersonDraft(
        kind="officer", name=name, badge_no=badge, unit_id=unit or world.unit1,
        police_type=police_type))
