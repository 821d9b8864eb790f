"""Accounts (counselors, coordinators, auditors, admins) and their key slots.

``users add|disable|passwd|list`` of DESIGN §9. Every account has one user slot in the
key-slot file (:mod:`db.vault`); the ``user`` table row is the account's identity on every
write (``created_by``/``updated_by``). Only admins manage accounts; everyone may change
their own passphrase.
"""

from __future__ import annotations

from dataclasses import dataclass

from counselor_tui.domain.permissions import Action
from counselor_tui.domain.roles import Role, parse_role
from counselor_tui.domain.text import clean_display_name
from counselor_tui.i18n import _
from counselor_tui.services import audit, role_grants, sealed
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, WrongPassphrase
from counselor_tui.services.lifecycle import (
    require_strong_passphrase,
    validate_username,
    wrong_passphrase_message,
)
from db import sealing
from db import vault as slots
from db.models import Unit, User


@dataclass(frozen=True)
class UserInfo:
    """An account as listed: name, display name, role code, unit code, active flag."""

    username: str
    display_name: str
    role: str
    unit_code: str | None
    active: bool
    created_at: str


def _display_name(text: str) -> str:
    try:
        return clean_display_name(text)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def list_users(vs: VaultSession) -> list[UserInfo]:
    """Every account, active first then by user name (admin, coordinator, auditor)."""
    vs.require(Role.ADMIN, Role.COORDINATOR, Role.AUDITOR)
    with vs.reading():
        codes = {u.id: u.code for u in Unit.select(Unit.id, Unit.code)}
        rows = User.select().order_by(User.active.desc(), User.username)
        return [
            UserInfo(u.username, u.display_name, u.role,
                     codes.get(u.unit_id) if u.unit_id else None, bool(u.active), u.created_at)
            for u in rows
        ]


def add_user(
    vs: VaultSession,
    username: str,
    role: str,
    passphrase: str,
    *,
    display_name: str | None = None,
    unit_code: str | None = None,
    kdf_seconds: float = 0.5,
) -> UserInfo:
    """Create an account with its own key slot and a grant of its role signed by the acting
    admin (``db.grants``; admin only). A coordinator or admin also
    gets the signing key wrapped to its slot (the acting admin holds it); sealed notes
    written before reach a new coordinator by a coordinator's :func:`sealed.grant`.

    Raises :class:`InvalidInput` for a bad user name, role, unit or weak passphrase, and
    :class:`Conflict` when the user name is taken (also by a disabled account: names are
    never reused, so the audit trail stays unambiguous).
    """
    vs.require_to(Action.MANAGE_USERS)
    username = validate_username(username)
    display_name = _display_name(display_name or username)
    try:
        role_code = parse_role(role)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    require_strong_passphrase(passphrase, username)
    cost = slots.calibrate(kdf_seconds)
    with vs.transaction():
        if User.get_or_none(User.username == username) is not None:
            raise Conflict(_("The user name {user} is taken.").format(user=username))
        unit_id = None
        if unit_code:
            unit = Unit.get_or_none(Unit.code == unit_code)
            if unit is None:
                raise InvalidInput(_("Unknown unit code {code}.").format(code=unit_code))
            unit_id = unit.id
        now = vs.now_iso()
        user = User.create(username=username, display_name=display_name,
                           role=role_code.value, unit=unit_id, active=True, created_at=now,
                           created_by=vs.actor.id, updated_at=now, updated_by=vs.actor.id)
        audit.record(vs, "create", "user", user.id, {"role": role_code.value})
        slot = slots.make_slot(vs.keys, kind=slots.USER, username=username,
                               role=role_code.value, passphrase=passphrase,
                               data_key=vs.db.key, kdf_cost=cost, created_at=now,
                               root=role_grants.current_root(vs.execute, vs.keys.vault_id))
        role_grants.grant_slot(vs.execute, vs.keys.vault_id, vs.actor.username, vs.secret,
                               username, role_code.value, slot.public_key, now)
        if role_code.value in sealing.SIGNING_HOLDER_ROLES:
            sealed.share_signing_key(vs, username, slot.public_key)
        new_keys = vs.keys.with_slot(slot)
        slots.save(slots.keys_path(vs.path), new_keys)
        vs.keys = new_keys
    return UserInfo(username, user.display_name, role_code.value, unit_code, True, now)


def disable_user(vs: VaultSession, username: str) -> None:
    """Disable an account and remove its key slot (admin only).

    The account's rows stay (they are its identity in the records); its passphrase no longer
    opens the key-slot file, and its role grants are revoked (:func:`role_grants.revoke`).
    Rotate the data key (``rekey``) afterwards so that an old copy of the key-slot file
    stops opening the vault too. Refuses to disable the last active
    admin or oneself (:class:`Conflict`).
    """
    vs.require_to(Action.MANAGE_USERS)
    with vs.transaction():
        user = User.get_or_none(User.username == username)
        if user is None:
            raise NotFound(_("No account named {user}.").format(user=username))
        if user.id == vs.actor.id:
            raise Conflict(_("You cannot disable your own account."))
        if not user.active:
            raise Conflict(_("The account {user} is already disabled.").format(user=username))
        if user.role == Role.ADMIN.value:
            admins = User.select().where((User.role == Role.ADMIN.value) & (User.active == True))  # noqa: E712
            if admins.count() <= 1:
                raise Conflict(_("The last active admin cannot be disabled."))
        now = vs.now_iso()
        user.active = False
        user.disabled_at = now
        user.updated_at = now
        user.updated_by = vs.actor.id
        user.save()
        revoked = role_grants.revoke(vs.execute, vs.keys.vault_id, vs.actor.username,
                                     vs.account_key, username, now)
        audit.record(vs, "disable", "user", user.id,
                     {"user": username, "grants_revoked": revoked})
        new_keys = vs.keys.without(username)
        slots.save(slots.keys_path(vs.path), new_keys)
        vs.keys = new_keys


def change_passphrase(
    vs: VaultSession,
    username: str,
    new_passphrase: str,
    *,
    old_passphrase: str | None = None,
    kdf_seconds: float = 0.5,
) -> None:
    """Set a new passphrase for ``username``.

    For one's own account ``old_passphrase`` is required and the slot is rewrapped (same key
    pair). An admin resetting another account gives it a fresh slot instead (the admin never
    learns the old passphrase). Raises :class:`WrongPassphrase` for a wrong old passphrase,
    :class:`InvalidInput` for a weak new one, :class:`NotFound` for an unknown or disabled
    account.
    """
    require_strong_passphrase(new_passphrase, username)
    own = username == vs.actor.username
    if not own:
        vs.require_to(Action.MANAGE_USERS)
    cost = slots.calibrate(kdf_seconds)
    with vs.transaction():
        user = User.get_or_none(User.username == username)
        if user is None or not user.active:
            raise NotFound(_("No active account named {user}.").format(user=username))
        if own:
            if old_passphrase is None:
                raise InvalidInput(_("Give your current passphrase."))
            try:
                slot = slots.rewrap(vs.keys, vs.keys.user_slot(username), old_passphrase,
                                    new_passphrase, cost)
            except slots.KeySlotError:
                raise WrongPassphrase(wrong_passphrase_message()) from None
        else:
            slot = slots.make_slot(vs.keys, kind=slots.USER, username=username, role=user.role,
                                   passphrase=new_passphrase, data_key=vs.db.key,
                                   kdf_cost=cost, created_at=vs.now_iso(),
                                   root=role_grants.current_root(vs.execute, vs.keys.vault_id))
            role_grants.grant_slot(vs.execute, vs.keys.vault_id, vs.actor.username,
                                   vs.secret, username, user.role, slot.public_key,
                                   vs.now_iso())
            # a new key pair: the signing key follows (the admin holds it); sealed notes
            # need a coordinator's grant ('users grant-sealed')
            if user.role in sealing.SIGNING_HOLDER_ROLES:
                sealed.share_signing_key(vs, username, slot.public_key)
        audit.record(vs, "passphrase_change", "user", user.id, {"reset_by_admin": not own})
        new_keys = vs.keys.with_slot(slot)
        slots.save(slots.keys_path(vs.path), new_keys)
        vs.keys = new_keys
