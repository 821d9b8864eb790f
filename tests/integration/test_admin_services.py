"""Services of the Users & settings and Audit screens, on real SQLCipher vaults: reading
the audit log (filters, newest first, roles, the ``view audit_log`` event), verifying the
chain after tampering, checking the open vault, and settings validation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from counselor_tui.domain import settings_rules
from counselor_tui.services import accounts, audit, integrity, lifecycle, settings
from counselor_tui.services.audit import AuditFilter
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import PermissionDenied
from tests.conftest import OTHER_PASSPHRASE


@pytest.fixture
def auditor(session: VaultSession, clock: FixedClock, state_dir: Path) -> Iterator[VaultSession]:
    accounts.add_user(session, "shen", "auditor", OTHER_PASSPHRASE, kdf_seconds=0)
    vs = lifecycle.unlock(session.path, "shen", OTHER_PASSPHRASE, clock=clock, state_dir=state_dir)
    yield vs
    vs.close()


@pytest.fixture
def counselor(session: VaultSession, clock: FixedClock,
              state_dir: Path) -> Iterator[VaultSession]:
    accounts.add_user(session, "li", "counselor", OTHER_PASSPHRASE, kdf_seconds=0)
    vs = lifecycle.unlock(session.path, "li", OTHER_PASSPHRASE, clock=clock, state_dir=state_dir)
    yield vs
    vs.close()


def test_events_are_listed_newest_first_and_filtered(session: VaultSession,
                                                      clock: FixedClock,
                                                      auditor: VaultSession) -> None:
    clock.advance(days=2)
    settings.set_setting(session, "backup_keep", 12)
    total = audit.count_events(auditor)
    page = audit.list_events(auditor, None, 0, 5)
    assert [r.seq for r in page] == list(range(total, total - 5, -1))
    assert audit.list_events(auditor, None, total - 1, 10)[0].seq == 1  # the oldest, last

    changes = audit.list_events(auditor, AuditFilter(action="settings_change"), 0, 50)
    assert [(r.user, r.entity, r.entity_id) for r in changes] == [
        ("admin", "setting", "backup_keep")]
    assert audit.count_events(auditor, AuditFilter(action="settings_change")) == 1
    assert audit.count_events(auditor, AuditFilter(user="shen")) >= 1  # shen's login
    assert audit.count_events(auditor, AuditFilter(entity="vault")) == 1  # vault_create

    today, created_day = clock.now().date(), date(2026, 11, 29)
    on_day = audit.count_events(auditor, AuditFilter(since=created_day, until=created_day))
    later = audit.count_events(auditor, AuditFilter(since=today))
    assert on_day + later == total and later == 1
    assert audit.count_events(auditor, AuditFilter(until=date(2026, 11, 28))) == 0

    choices = audit.audit_choices(auditor)
    assert {"vault_create", "login", "settings_change"} <= set(choices.actions)
    assert {"admin", "shen"} <= set(choices.users)
    assert "" not in choices.entities


def test_only_auditors_and_admins_read_the_log(session: VaultSession,
                                               counselor: VaultSession) -> None:
    assert audit.count_events(session) > 0
    for call in (lambda: audit.count_events(counselor),
                 lambda: audit.list_events(counselor, None, 0, 10),
                 lambda: audit.audit_choices(counselor),
                 lambda: audit.record_log_view(counselor),
                 lambda: audit.check_chain(counselor)):
        with pytest.raises(PermissionDenied):
            call()


def test_opening_the_log_is_audited(auditor: VaultSession) -> None:
    seq = audit.record_log_view(auditor)
    newest = audit.list_events(auditor, None, 0, 1)[0]
    assert (newest.seq, newest.user, newest.action, newest.entity) == (
        seq, "shen", "view", "audit_log")


def test_verify_names_the_first_tampered_sequence(session: VaultSession,
                                                  auditor: VaultSession) -> None:
    report = audit.check_chain(auditor)
    assert report.ok and report.count == audit.count_events(auditor)
    with session.transaction():
        session.execute("UPDATE audit_event SET entity_id = '99' WHERE seq = 3")
    broken = audit.check_chain(auditor)
    assert not broken.ok and broken.first_bad_seq == 3


def test_check_open_runs_every_check_on_the_open_vault(session: VaultSession,
                                                       counselor: VaultSession) -> None:
    result = integrity.check_open(session)
    assert result.ok
    assert [line.name for line in result.lines] == [
        "cipher_integrity_check", "integrity_check", "foreign_key_check", "audit_chain",
        "witness", "role_grants", "audit_signatures", "audit_roles", "signing_keys",
        "trusted_signers", "instrument_definitions", "witness_signature"]
    assert result.chain is not None and result.chain.count == audit.count_events(session)
    with session.transaction():
        session.execute("UPDATE audit_event SET action = 'view' WHERE seq = 2")
    bad = integrity.check_open(session)
    assert not bad.ok and bad.chain is not None and bad.chain.first_bad_seq == 2
    with pytest.raises(PermissionDenied):
        integrity.check_open(counselor)


def test_settings_are_validated_and_only_changes_are_stored(session: VaultSession,
                                                            counselor: VaultSession) -> None:
    with pytest.raises(settings.SettingsInvalid) as refused:
        settings.save_settings(session, {"idle_lock_minutes": "0", "suppression_k": "11",
                                         "bureau_name": "  "})
    assert set(refused.value.errors) == {"idle_lock_minutes", "suppression_k", "bureau_name"}
    assert "1 to 60" in refused.value.errors["idle_lock_minutes"]
    assert settings.get_setting(session, "idle_lock_minutes") == 5  # nothing written

    before = audit.count_events(session, AuditFilter(action="settings_change"))
    changed = settings.save_settings(session, {"idle_lock_minutes": "１０",
                                               "session_lock_days": "7",
                                               "bureau_name": "新县公安局"})
    assert changed == {"idle_lock_minutes": 10, "bureau_name": "新县公安局"}
    assert settings.get_setting(session, "idle_lock_minutes") == 10
    after = audit.count_events(session, AuditFilter(action="settings_change"))
    assert after - before == 2
    shown = {s.key: s.value for s in settings.editable_settings(session)}
    assert shown["idle_lock_minutes"] == 10 and shown["submission_due_day"] == 5
    with pytest.raises(PermissionDenied):
        settings.save_settings(counselor, {"idle_lock_minutes": "10"})


@pytest.mark.parametrize(("key", "text", "ok"), [
    ("idle_lock_minutes", "1", True), ("idle_lock_minutes", "60", True),
    ("idle_lock_minutes", "61", False), ("session_lock_days", "30", True),
    ("session_lock_days", "31", False), ("backup_keep", "100", True),
    ("backup_keep", "0", False), ("suppression_k", "2", True), ("suppression_k", "1", False),
    ("submission_due_day", "28", True), ("submission_due_day", "29", False),
    ("idle_lock_minutes", "5.5", False), ("bureau_name", "x" * 61, False),
])
def test_setting_ranges(key: str, text: str, ok: bool) -> None:
    values, errors = settings_rules.validate_settings({key: text})
    assert (key in values) is ok and (key in errors) is not ok


def test_k_two_is_allowed_with_a_warning() -> None:
    assert "weak" in settings_rules.warning("suppression_k", 2)
    assert settings_rules.warning("suppression_k", 3) == ""


def test_saving_every_field_as_shown_keeps_full_width_names_and_counts_real_changes(
        session: VaultSession) -> None:
    """The settings tab saves every field: the untouched bureau name (full-width brackets)
    must neither change nor count; only numbers are folded (full-width digits)."""
    name = "示范县公安局（演示数据）"
    settings.set_setting(session, "bureau_name", name)
    settings.set_setting(session, "doc_signer", "赵国平")
    shown = {s.key: str(s.value) for s in settings.editable_settings(session)}
    changed = settings.save_settings(session, shown | {"doc_signer": "",
                                                       "doc_cc": "示范市公安局（纪委）",
                                                       "backup_keep": "１２"})
    assert changed == {"doc_signer": "", "doc_cc": "示范市公安局（纪委）", "backup_keep": 12}
    assert settings.get_setting(session, "bureau_name") == name
    assert settings.save_settings(session, {"bureau_name": " " + name + " "}) == {}
    assert settings_rules.parse_setting("bureau_name", "城关分局（东）：") == "城关分局（东）："
