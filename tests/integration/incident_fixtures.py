"""Rows the incident and firearm tests need (units, officers, a counselor account)."""

from __future__ import annotations

from pathlib import Path

from counselor_tui.domain.pinyin import name_keys
from counselor_tui.services import accounts, audit, lifecycle
from counselor_tui.services.context import FixedClock, VaultSession
from db.models import Person, Unit
from tests.conftest import OTHER_PASSPHRASE

COORDINATOR_PASSPHRASE = "seven orange bicycles sing loudly"


def add_unit(vs: VaultSession, code: str, name: str, police_type: str = "派出所") -> int:
    now = vs.now_iso()
    with vs.transaction():
        unit = Unit.create(code=code, name=name, police_type=police_type, created_at=now,
                           created_by=vs.actor.id, updated_at=now, updated_by=vs.actor.id)
        audit.record(vs, "create", "unit", unit.id, {})
    return int(unit.id)


def add_officer(vs: VaultSession, name: str, badge: str | None, unit_id: int | None,
                kind: str = "officer") -> int:
    now = vs.now_iso()
    keys = name_keys(name)
    with vs.transaction():
        person = Person.create(kind=kind, name=name, badge_no=badge, unit=unit_id,
                               name_pinyin=keys.full, name_initials=keys.initials, post="",
                               name_sort=keys.sort,
                               police_type="派出所" if kind == "officer" else None,
                               created_at=now, created_by=vs.actor.id, updated_at=now,
                               updated_by=vs.actor.id)
        audit.record(vs, "create", "person", person.id, {"kind": kind})
    return int(person.id)


def login(admin: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path,
          username: str, role: str, unit_code: str | None = None,
          passphrase: str = OTHER_PASSPHRASE) -> VaultSession:
    """Add an account (as the admin ``admin``) and unlock a session for it."""
    accounts.add_user(admin, username, role, passphrase, kdf_seconds=0, unit_code=unit_code)
    return lifecycle.unlock(created.path, username, passphrase, clock=clock, state_dir=state_dir)
