"""The vault settings (DESIGN §4 ``Setting``): reading and storing them, and editing them on
the Users & settings screen (DESIGN §5 "admin — users, settings, keys").

A leaf of the service layer: every area reads its settings here, never through the vault
life cycle.

The allowed values come from :mod:`counselor_tui.domain.settings_rules`; every change is
one ``settings_change`` audit event (the key and that it changed, never the old or new
value of a name), all in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from counselor_tui.domain.permissions import Action
from counselor_tui.domain.roles import Role
from counselor_tui.domain.settings_rules import RULES, validate_settings
from counselor_tui.i18n import _
from counselor_tui.services import audit
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import InvalidInput
from db.models import Setting

#: The settings every new vault starts with (the bureau name, time zone and vault id are
#: added when the vault is created).
DEFAULT_SETTINGS: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "idle_lock_minutes": 5,
    "session_lock_days": 7,
    "draft_keep_hours": 72,
    "backup_keep": 10,
    "suppression_k": 3,
    "submission_due_day": 5,
    "pcl5_cutoff": 33,
    "doc_number_pattern": "公政〔{年}〕{号}号",
    "doc_classification": "秘密",
    "doc_classification_years": 0,
    "doc_copy_no": 1,
}


def get_setting(vs: VaultSession, key: str, default: Any = None) -> Any:
    """The stored value of setting ``key`` (JSON-decoded), else ``default``."""
    with vs.reading():
        row = Setting.get_or_none(Setting.key == key)
    return default if row is None else row.value


def set_setting(vs: VaultSession, key: str, value: Any) -> None:
    """Store a setting (admin or coordinator) and audit it as ``settings_change``;
    ``None`` removes it (its default applies again)."""
    vs.require(Role.ADMIN, Role.COORDINATOR)
    with vs.transaction():
        old = Setting.get_or_none(Setting.key == key)
        if value is None:
            Setting.delete().where(Setting.key == key).execute()
        else:
            Setting.insert(key=key, value=value, updated_at=vs.now_iso(),
                           updated_by=vs.actor.id).on_conflict_replace().execute()
        audit.record(vs, "settings_change", "setting", key,
                     {"changed": old is None or old.value != value})


class SettingsInvalid(InvalidInput):
    """Some values are refused; ``errors`` maps each setting key to its message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(_("Please correct the marked settings."))
        self.errors = dict(errors)


@dataclass(frozen=True)
class SettingValue:
    """One editable setting as shown: key, stored value (the default when unset)."""

    key: str
    value: Any


def editable_settings(vs: VaultSession) -> list[SettingValue]:
    """The editable settings (:data:`~counselor_tui.domain.settings_rules.RULES` order) with
    their stored values, defaults for unset ones. Admin only."""
    vs.require_to(Action.CHANGE_SETTINGS)
    keys = [r.key for r in RULES]
    with vs.reading():
        stored = {s.key: s.value for s in Setting.select().where(Setting.key.in_(keys))}
    return [SettingValue(k, stored.get(k, DEFAULT_SETTINGS.get(k, ""))) for k in keys]


def save_settings(vs: VaultSession, texts: Mapping[str, str]) -> dict[str, Any]:
    """Validate ``{key: typed text}`` and store the values that changed, in one
    transaction with one ``settings_change`` event per changed key. Admin only
    (:class:`PermissionDenied`); any refused value refuses the whole save
    (:class:`SettingsInvalid`, nothing written). Returns ``{key: new value}`` of the
    settings that changed."""
    vs.require_to(Action.CHANGE_SETTINGS)
    values, errors = validate_settings(texts)
    if errors:
        raise SettingsInvalid(errors)
    changed: dict[str, Any] = {}
    with vs.transaction():
        for key, value in values.items():
            old = Setting.get_or_none(Setting.key == key)
            current = DEFAULT_SETTINGS.get(key, "") if old is None else old.value
            # unchanged: the same value, or the field left as shown (an unset setting
            # shown with its default, a stored text the parser would now tidy)
            if current == value or texts[key] == str(current):
                continue
            Setting.insert(key=key, value=value, updated_at=vs.now_iso(),
                           updated_by=vs.actor.id).on_conflict_replace().execute()
            audit.record(vs, "settings_change", "setting", key, {"changed": True})
            changed[key] = value
    return changed
