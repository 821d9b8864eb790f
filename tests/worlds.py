"""The one test world: a bureau in a real SQLCipher vault, built once and copied per test.

A *kind* of world names a list of build steps (:data:`KINDS`). The first test of a session
(of each pytest-xdist worker) that asks for a kind at a given clock instant builds it — a
vault through :func:`lifecycle.create_vault`, then the steps through the services as the admin —
into a template folder; every test then gets a byte copy of that folder (the database, its
``.keys`` slot file and the lock file beside them) and unlocks its copy. Nothing is derived
again: the copy has the same key slots, and :func:`derive_once` remembers each Argon2id
result by passphrase and parameters (salt included), so unlocking a copy costs a dictionary
look-up instead of 64 MiB of hashing.

How a test picks its world: override the ``world_kind`` fixture in the module (default
``"empty"``: the vault with its admin only). ``created``, ``session`` (the admin) and
``world`` then all refer to the same copy. :func:`register` adds a kind.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from counselor_tui.domain.roles import Role
from counselor_tui.services import accounts, lifecycle
from counselor_tui.services.context import FixedClock, VaultSession
from db import vault as key_slots

PASSPHRASE = "correct horse battery staple"
OTHER_PASSPHRASE = "purple elephant typing quietly"
BUREAU = "测试县公安局"

REPO = Path(__file__).resolve().parents[1]


def _samples() -> Path:
    """``shared/samples`` beside the repository (CI clones with ``shared/`` next to the clone)
    or beside a folder above it (a git worktree under ``wt/``); ``COUNSELOR_TUI_SAMPLES``
    overrides. Tests that need a sample skip when it is absent."""
    if "COUNSELOR_TUI_SAMPLES" in os.environ:
        return Path(os.environ["COUNSELOR_TUI_SAMPLES"])
    for folder in REPO.parents:
        if (folder / "shared" / "samples").is_dir():
            return folder / "shared" / "samples"
    return REPO.parent / "shared" / "samples"


SAMPLES = _samples()


_real_derive = key_slots.derive
_real_new_salt = key_slots.new_salt
_derived: dict[tuple[str, key_slots.KdfParams], bytes] = {}

#: The salt of every slot made outside ``tests/security`` (:func:`fixed_salt`).
TEST_SALT = bytes(range(16))


def fixed_salt() -> bytes:
    """:func:`db.vault.new_salt` for the tests outside ``tests/security``: always
    :data:`TEST_SALT`, so a slot made for a passphrase already derived in this process (an
    account added by a test, a password change, a demo's users) costs :func:`derive_once` a
    look-up instead of 64 MiB of hashing. The derivation and its checks are the product's;
    only the salt's randomness is given up (no test outside ``tests/security`` looks at a
    salt; the security tests keep random salts)."""
    return TEST_SALT


def derive_once(passphrase: str, params: key_slots.KdfParams) -> bytes:
    """:func:`db.vault.derive`, remembered per ``(passphrase, params)`` for this process.

    The same inputs give the same key (Argon2id is deterministic), so this changes no
    result: a wrong passphrase or an edited salt is a new key, derived for real (and
    refused by the floor check as before)."""
    key = (passphrase, params)
    if key not in _derived:
        _derived[key] = _real_derive(passphrase, params)
    return _derived[key]


@dataclass
class World:
    """An unlocked world: the admin session, and a way to act as any account.

    ``unit1`` / ``unit2`` and ``ids`` (short name → person id) are filled by the steps that
    make them; ``units`` maps unit name → id and ``badges`` badge → person id (census);
    ``created`` is the vault's :class:`lifecycle.CreatedVault` when it came from a template."""

    admin: VaultSession
    path: Path
    clock: FixedClock
    state_dir: Path
    unit1: int = 0
    unit2: int = 0
    units: dict[str, int] = field(default_factory=dict)
    badges: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    created: lifecycle.CreatedVault | None = None
    _open: dict[str, VaultSession] = field(default_factory=dict)

    def login(self, username: str, passphrase: str = OTHER_PASSPHRASE) -> VaultSession:
        """An unlocked session as ``username`` (the admin's own; others kept open until
        :meth:`close`)."""
        if username == self.admin.actor.username:
            return self.admin
        if username not in self._open:
            self._open[username] = lifecycle.unlock(self.path, username, passphrase,
                                                clock=self.clock, state_dir=self.state_dir)
        return self._open[username]

    @property
    def office(self) -> VaultSession:
        """The admin's session acting with the programme office's rights (:func:`as_office`):
        build steps make persons, sessions and imports with it."""
        return as_office(self.admin)

    def close(self) -> None:
        """Close the sessions :meth:`login` opened (not the admin's)."""
        for vs in self._open.values():
            vs.close()
        self._open.clear()


def as_office(vs: VaultSession) -> VaultSession:
    """``vs`` (the same connection, keys and clock) with its actor given the coordinator's
    role: fixture building only. An admin may not write or read person records nor import
    or submit (DESIGN §5, :mod:`counselor_tui.domain.permissions`); tests *of* roles log in
    as real accounts (:meth:`World.login`), never through this."""
    if vs.actor.role is Role.COORDINATOR:
        return vs
    return replace(vs, actor=replace(vs.actor, role=Role.COORDINATOR))


def as_admin(vs: VaultSession) -> VaultSession:
    """An :func:`as_office` view of the admin's session back in the admin's own role (for
    the account, settings and key steps of a fixture)."""
    return replace(vs, actor=replace(vs.actor, role=Role.ADMIN))


#: The coordinator account :func:`add_office` makes (passphrase :data:`PASSPHRASE`).
OFFICE = "office"


def add_office(admin: VaultSession) -> str:
    """Add the coordinator account :data:`OFFICE` (办公室, :data:`PASSPHRASE`) as ``admin``
    and return its name: command-line tests compile, finalize, export and import as it."""
    accounts.add_user(admin, OFFICE, "coordinator", PASSPHRASE, display_name="办公室",
                      kdf_seconds=0)
    return OFFICE


Step = Callable[[World], None]

#: kind → build steps, run in order as the admin on a new vault.
KINDS: dict[str, tuple[Step, ...]] = {"empty": ()}


def register(kind: str, *steps: Step) -> None:
    """Make ``kind`` a world built by ``steps`` (a kind registered twice must not change)."""
    if KINDS.get(kind, steps) != steps:
        raise ValueError(f"world kind {kind!r} is already registered with other steps")
    KINDS[kind] = steps


@dataclass(frozen=True)
class Template:
    """A built world at rest: its folder and what the steps recorded."""

    folder: Path
    created: lifecycle.CreatedVault
    facts: dict[str, Any]


class Templates:
    """The templates of one test session (one xdist worker), built on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._built: dict[tuple[str, datetime], Template] = {}

    def get(self, kind: str, now: datetime) -> Template:
        key = (kind, now)
        if key not in self._built:
            self._built[key] = self._build(kind, now, self.root / f"{kind}-{len(self._built)}")
        return self._built[key]

    @staticmethod
    def _build(kind: str, now: datetime, folder: Path) -> Template:
        steps = KINDS[kind]
        clock = FixedClock(now)
        created = lifecycle.create_vault(folder / "vault" / "vault.db", bureau=BUREAU,
                                     admin_username="admin", passphrase=PASSPHRASE,
                                     clock=clock, kdf_seconds=0)
        admin = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock,
                             state_dir=folder / "state")
        world = World(admin, created.path, clock, folder / "state", created=created)
        try:
            for step in steps:
                step(world)
        finally:
            world.close()
            admin.close()
        facts = {"unit1": world.unit1, "unit2": world.unit2, "units": world.units,
                 "badges": world.badges, "ids": world.ids}
        return Template(folder / "vault", created, facts)

    def copy(self, kind: str, now: datetime, vault_path: Path) -> lifecycle.CreatedVault:
        """Copy the ``kind`` template's files into ``vault_path``'s folder (made 0700)."""
        template = self.get(kind, now)
        vault_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        for source in template.folder.iterdir():
            if source.is_file():
                name = source.name.replace(template.created.path.name, vault_path.name, 1)
                shutil.copy2(source, vault_path.parent / name)
        return replace(template.created, path=vault_path,
                       keys_path=key_slots.keys_path(vault_path))

    def world(self, kind: str, admin: VaultSession, created: lifecycle.CreatedVault,
              clock: FixedClock, state_dir: Path) -> World:
        """The :class:`World` of an unlocked copy of the ``kind`` template."""
        facts = self.get(kind, clock.now()).facts
        return World(admin, created.path, clock, state_dir, facts["unit1"], facts["unit2"],
                     dict(facts["units"]), dict(facts["badges"]), dict(facts["ids"]), created)
