"""A small bureau for the archive, session and roster tests (real SQLCipher vault).

Units U001 城关派出所 (派出所) and U002 交警大队 (交警); accounts ``coord`` (coordinator),
``li`` and ``zhao`` (counselors of U001), ``wang`` (counselor of U002), ``audit`` (auditor).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from counselor_tui.services import accounts, persons, vault
from counselor_tui.services.context import FixedClock, VaultSession
from tests.conftest import OTHER_PASSPHRASE


@dataclass
class World:
    """The admin session plus a way to act as any other account."""

    admin: VaultSession
    path: Path
    clock: FixedClock
    state_dir: Path
    unit1: int = 0
    unit2: int = 0
    _open: dict[str, VaultSession] = field(default_factory=dict)

    def login(self, username: str) -> VaultSession:
        """An unlocked session as ``username`` (kept open until :meth:`close`)."""
        if username == "admin":
            return self.admin
        if username not in self._open:
            self._open[username] = vault.unlock(self.path, username, OTHER_PASSPHRASE,
                                                clock=self.clock, state_dir=self.state_dir)
        return self._open[username]

    def close(self) -> None:
        for vs in self._open.values():
            vs.close()
        self._open.clear()


@contextmanager
def make_world(session: VaultSession, clock: FixedClock, state_dir: Path) -> Iterator[World]:
    """Build the world inside the admin ``session``; closes the other sessions after."""
    unit1 = persons.create_unit(session, "城关派出所", "派出所", code="U001")
    unit2 = persons.create_unit(session, "交警大队", "交警", code="U002")
    for name, role, unit in (("coord", "coordinator", None), ("li", "counselor", "U001"),
                             ("zhao", "counselor", "U001"), ("wang", "counselor", "U002"),
                             ("audit", "auditor", None)):
        accounts.add_user(session, name, role, OTHER_PASSPHRASE, unit_code=unit,
                          display_name=name.upper(), kdf_seconds=0)
    world = World(session, session.path, clock, state_dir, unit1, unit2)
    try:
        yield world
    finally:
        world.close()


def officer(world: World, name: str, badge: str, unit: int | None = None,
            police_type: str | None = "派出所") -> int:
    """Create an officer as the admin; returns the person id."""
    return persons.create_person(world.admin, persons.PersonDraft(
        kind="officer", name=name, badge_no=badge, unit_id=unit or world.unit1,
        police_type=police_type))
