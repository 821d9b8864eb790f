"""The demo generator (DESIGN §9 ``demo``): real SQLCipher vaults built in ``tmp_path``."""

from __future__ import annotations

import contextlib
import re
import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from counselor_tui import demo
from counselor_tui.demo.builder import DemoBuilder
from counselor_tui.domain.instruments import builtin, score
from counselor_tui.services import (
    audit,
    census,
    dashboard,
    firearms,
    incidents,
    integrity,
    lifecycle,
    persons,
    sessions,
    tier_policy,
)
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import InvalidInput
from db.models import ALL_MODELS
from tests.conftest import PASSPHRASE, TZ, run_cli, write_secret
from tests.helpers import table_dump

#: Tables whose content depends on the vault's own random keys, not on the seed.
KEYED = {"setting", "signing_key", "audit_event"}
#: Tables the demo leaves empty on purpose (compiled by the reports package; trusted signers
#: are added by a coordinator on purpose, never generated; appointments, handovers, consents,
#: referral exports, transfers, leavers and edited profiles are the users' own acts, issue 15;
#: a bureau's own instrument definitions are a coordinator's file, issue 16 point 4).
EMPTY = {"submission", "trusted_signer", "appointment", "handover", "case_access",
         "follow_up_holder", "step_holder", "consent", "referral_export", "person_move",
         "person_version", "bureau_instrument"}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def build(tmp_path: Path, clock: FixedClock, name: str = "demo", size: str = "tiny",
          seed: int = 7) -> demo.DemoResult:
    return demo.build_demo(tmp_path / name / "vault.db", size, seed, PASSPHRASE, clock,
                           kdf_seconds=0, state_dir=tmp_path / "state")


def open_as(result: demo.DemoResult, clock: FixedClock, tmp_path: Path,
            user: str = demo.DEMO_USER) -> VaultSession:
    return lifecycle.unlock(result.path, user, PASSPHRASE, clock=clock,
                        state_dir=tmp_path / "state")


def tables() -> list[str]:
    return [m._meta.table_name for m in ALL_MODELS]


@pytest.fixture(scope="session")
def tiny_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[datetime, demo.DemoResult]:
    """Tiny demos built once per test session (per clock instant), copied by ``tiny``."""
    return {}


@pytest.fixture
def tiny(tmp_path: Path, clock: FixedClock, tmp_path_factory: pytest.TempPathFactory,
         tiny_templates: dict[datetime, demo.DemoResult]) -> demo.DemoResult:
    """A byte copy of the tiny demo (seed 7) built at the clock's instant, in
    ``tmp_path/demo`` (the database and every file beside it)."""
    now = clock.now()
    if now not in tiny_templates:
        tiny_templates[now] = build(tmp_path_factory.mktemp("tiny"), FixedClock(now))
    template = tiny_templates[now]
    folder = tmp_path / "demo"
    shutil.copytree(template.path.parent, folder)
    return replace(template, path=folder / template.path.name)


def test_tiny_fills_every_table_and_passes_check(
    tiny: demo.DemoResult, clock: FixedClock, tmp_path: Path
) -> None:
    size = demo.SIZES["tiny"]
    empty = sorted(t for t, n in tiny.counts.items() if n == 0)
    assert empty == sorted(EMPTY)
    result = integrity.check_vault(tiny.path, demo.DEMO_USER, PASSPHRASE, clock=clock,
                               state_dir=tmp_path / "state")
    assert result.ok, result.lines
    assert {line.name for line in result.lines} >= {"foreign_key_check", "audit_chain"}
    assert tiny.counts["unit"] == size.units
    assert tiny.counts["counseling_session"] == size.sessions
    roles = {u.username: u.role for u in tiny.users}
    assert roles == {"admin": "admin", "demo": "coordinator", "auditor": "auditor",
                     **{f"counselor{i}": "counselor" for i in range(1, size.counselors + 1)}}
    vs = open_as(tiny, clock, tmp_path)
    try:
        with vs.reading():
            officers = vs.execute("SELECT COUNT(*), COUNT(DISTINCT badge_no) FROM person "
                                  "WHERE kind = 'officer'").fetchone()
            tiers = vs.execute("SELECT COUNT(*) FROM tier_state").fetchone()[0]
            kinds = {r[0] for r in vs.execute("SELECT DISTINCT kind FROM person")}
        assert officers == (size.officers, size.officers)
        assert tiers == size.officers  # a tier for every officer
        assert kinds == {"officer", "family", "other"}
        assert audit.verify_chain(vs).ok
    finally:
        vs.close()


def test_same_seed_gives_the_same_bureau(tmp_path: Path, clock: FixedClock) -> None:
    first = build(tmp_path, clock, "a", seed=11)
    second = build(tmp_path, clock, "b", seed=11)
    other = build(tmp_path, clock, "c", seed=12)
    dumps = []
    for result in (first, second, other):
        vs = open_as(result, clock, tmp_path, "admin")
        try:
            data = table_dump(vs, *(t for t in tables() if t not in KEYED))
            with vs.reading():  # the audit trail minus hashes and the random vault id
                data["audit_event"] = [tuple(r) for r in vs.execute(
                    "SELECT seq, at, user, action, entity, detail FROM audit_event "
                    "ORDER BY seq")]
            dumps.append(data)
        finally:
            vs.close()
    assert first.counts == second.counts
    assert dumps[0] == dumps[1]
    assert dumps[0]["person"] != dumps[2]["person"]


def test_existing_vault_is_refused(tiny: demo.DemoResult, clock: FixedClock,
                                   tmp_path: Path) -> None:
    before = tiny.path.stat().st_mtime_ns
    with pytest.raises(InvalidInput) as err:
        demo.build_demo(tiny.path, "tiny", 1, PASSPHRASE, clock, kdf_seconds=0,
                        state_dir=tmp_path / "state")
    assert err.value.exit_code == 2
    assert tiny.path.stat().st_mtime_ns == before
    proc = run_cli("--vault", str(tiny.path), "demo", "--size", "tiny", "--no-open",
                   env_extra={"COUNSELOR_TUI_LANG": "en"})
    assert proc.returncode == 2
    assert "already exists" in proc.stderr


def test_failed_build_leaves_no_half_vault(tmp_path: Path, clock: FixedClock,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(DemoBuilder, "census", broken)
    with pytest.raises(RuntimeError):
        build(tmp_path, clock)
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == []


def test_unknown_size_is_refused(tmp_path: Path, clock: FixedClock) -> None:
    with pytest.raises(InvalidInput):
        build(tmp_path, clock, size="galaxy")
    assert not (tmp_path / "demo").exists()


def test_cli_prints_user_and_generated_passphrase_that_opens_the_vault(
    tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "cli" / "vault.db"
    proc = run_cli("--vault", str(path), "demo", "--size", "tiny", "--seed", "3", "--no-open",
                   env_extra={"COUNSELOR_TUI_LANG": "en"})
    assert proc.returncode == 0, proc.stderr
    assert f"Demo vault: {path}" in proc.stdout
    assert "User: demo (coordinator)" in proc.stdout
    found = re.search(r"^Passphrase \(every demo account\): (\S+)$", proc.stdout, re.M)
    assert found is not None
    assert "counseling sessions done" in proc.stderr  # progress goes to stderr
    vs = lifecycle.unlock(path, "demo", found.group(1), clock=clock, state_dir=tmp_path / "state")
    try:
        assert vs.actor.role.value == "coordinator"
    finally:
        vs.close()


def test_cli_uses_the_passphrase_file_and_does_not_print_it(tmp_path: Path,
                                                            clock: FixedClock) -> None:
    path = tmp_path / "cli" / "vault.db"
    secret = write_secret(tmp_path, "pass.txt", PASSPHRASE)
    proc = run_cli("--vault", str(path), "--passphrase-file", str(secret), "demo", "--size",
                   "tiny", "--no-open", env_extra={"COUNSELOR_TUI_LANG": "en"})
    assert proc.returncode == 0, proc.stderr
    assert PASSPHRASE not in proc.stdout
    assert "Passphrase" not in proc.stdout
    vs = lifecycle.unlock(path, "counselor2", PASSPHRASE, clock=clock,
                      state_dir=tmp_path / "state")
    try:
        assert vs.actor.role.value == "counselor"
    finally:
        vs.close()


def test_weak_passphrase_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cli" / "vault.db"
    secret = write_secret(tmp_path, "pass.txt", "password")
    proc = run_cli("--vault", str(path), "--passphrase-file", str(secret), "demo", "--size",
                   "tiny", "--no-open", env_extra={"COUNSELOR_TUI_LANG": "en"})
    assert proc.returncode == 2
    assert not path.exists()


def test_generated_passphrase_is_strong_and_random() -> None:
    first, second = demo.generate_passphrase(), demo.generate_passphrase()
    assert first != second
    lifecycle.require_strong_passphrase(first, demo.DEMO_USER)
    assert len(first.split("-")) == 4


def test_dashboard_lists_have_something_to_show(tmp_path: Path) -> None:
    """Follow-ups overdue / today / later this week, an overdue incident step in the banner,
    and pending tier suggestions — on a Wednesday, so "later this week" exists."""
    clock = FixedClock(datetime(2026, 11, 25, 10, 30, tzinfo=TZ))
    result = build(tmp_path, clock)
    vs = open_as(result, clock, tmp_path)
    try:
        due = sessions.follow_ups(vs)
        assert due.overdue and due.today and due.this_week
        assert all(row.due == "2026-11-25" for row in due.today)
        banner = incidents.urgent_banner(vs)
        assert banner is not None and "overdue" in banner
        assert tier_policy.pending(vs)
    finally:
        vs.close()


def test_the_areas_read_the_demo_as_the_coordinator_sees_it(
    tiny: demo.DemoResult, clock: FixedClock, tmp_path: Path
) -> None:
    """The services the TUI calls accept every demo row: dashboard, archive, a person
    record, the firearm register, the census list."""
    vs = open_as(tiny, clock, tmp_path)
    try:
        sections = {s.id for s in dashboard.gather(vs)}
        assert {"incidents", "follow_ups", "census", "firearms"} <= sections
        rows = persons.list_persons(vs, persons.ArchiveQuery(), 0, 100)
        assert len(rows) == persons.count_persons(vs, persons.ArchiveQuery())
        busiest = max(rows, key=lambda r: r.last_session_on or "")
        record = persons.get_person(vs, busiest.id)
        assert record.sessions and record.tier is not None
        register = firearms.register(vs, include_ended=True)
        assert {r.status for r in register} == {"recommended", "suspended", "revoked",
                                                "reinstated", "declined"}
        statuses = {c.status: c for c in census.list_censuses(vs)}
        assert set(statuses) == {"open", "closed"}
        assert statuses["closed"].completed / statuses["closed"].target > 0.8
    finally:
        vs.close()


def test_rows_follow_the_storage_rules(tiny: demo.DemoResult, clock: FixedClock,
                                       tmp_path: Path) -> None:
    now = "2026-11-29T09:00:00+08:00"
    vs = open_as(tiny, clock, tmp_path, "admin")
    try:
        with vs.reading():
            rows = vs.execute(
                "SELECT started_at, created_at, updated_at, locked_at, follow_up_on, person_id,"
                " caller_label, created_by_id FROM counseling_session").fetchall()
            persons = vs.execute(
                "SELECT birth_date, hire_date, created_at, kind FROM person").fetchall()
            steps = vs.execute("SELECT due_at, done_at FROM incident_step").fetchall()
            states = vs.execute("SELECT since, review_due FROM tier_state").fetchall()
    finally:
        vs.close()
    for started, created, updated, locked, follow_up, person, caller, by in rows:
        assert ISO.match(started) and ISO.match(created) and ISO.match(updated)
        assert started <= now and created <= now
        assert by is not None
        # locked after the 7-day editing window (setting session_lock_days)
        assert (locked is not None) == (started < "2026-11-22T09:00:00+08:00")
        assert follow_up is None or DAY.match(follow_up)
        assert (person is None) == (caller is not None)  # anonymous hotline callers only
    for birth, hire, created, kind in persons:
        assert DAY.match(birth) and ISO.match(created)
        assert "1965-01-01" <= birth <= "2000-12-31" or kind != "officer"
        assert hire is None or (DAY.match(hire) and hire <= "2026-11-29")
    for due, done in steps:
        assert ISO.match(due) and (done is None or ISO.match(done))
    for since, review in states:
        assert DAY.match(since) and DAY.match(review)


def test_assessments_are_scored_by_the_engine(tiny: demo.DemoResult, clock: FixedClock,
                                              tmp_path: Path) -> None:
    vs = open_as(tiny, clock, tmp_path, "admin")
    try:
        with vs.reading():
            rows = vs.execute("SELECT instrument_code, responses, total, band, positive "
                              "FROM assessment").fetchall()
    finally:
        vs.close()
    import json

    codes = set()
    for code, responses, total, band, positive in rows:
        result = score(builtin(code), json.loads(responses))
        assert (total, band) == (result.total, result.band)
        assert positive == (None if result.screen_positive is None
                            else int(result.screen_positive))
        codes.add(code)
    assert codes >= {"phq9", "gad7", "scl90", "pss10"}
    assert any(p for *_rest, p in rows) and not all(p for *_rest, p in rows)


def _counts_by(vs: VaultSession, sql: str) -> dict[Any, int]:
    with vs.reading():
        return {r[0]: int(r[1]) for r in vs.execute(sql)}


@pytest.mark.slow
def test_county_matches_its_preset(tmp_path: Path, clock: FixedClock) -> None:
    """The ``county`` size of DESIGN §11: 1,000 officers, 20,000 sessions, ~20 units; a
    believable mix (mostly green, some yellow and red; risks mostly none/low)."""
    result = build(tmp_path, clock, size="county")
    size = demo.SIZES["county"]
    assert result.counts["unit"] == size.units == 20
    assert result.counts["counseling_session"] == size.sessions == 20_000
    assert result.counts["interest_group"] == 13
    vs = open_as(result, clock, tmp_path)
    try:
        officers = _counts_by(vs, "SELECT kind, COUNT(*) FROM person GROUP BY kind")
        tiers = _counts_by(vs, "SELECT tier, COUNT(*) FROM tier_state GROUP BY tier")
        risks = _counts_by(vs, "SELECT risk, COUNT(*) FROM counseling_session GROUP BY risk")
        statuses = _counts_by(vs, "SELECT status, COUNT(*) FROM firearm_restriction "
                                  "GROUP BY status")
    finally:
        vs.close()
    assert officers["officer"] == size.officers
    assert 60 <= officers["family"] <= 250  # about 10 % of officers have family members
    assert tiers["green"] > 0.75 * size.officers
    assert tiers["yellow"] > 0 and tiers["red"] > 0
    assert risks["none"] + risks["low"] > 0.9 * size.sessions
    assert risks["high"] + risks["imminent"] > 0
    assert set(statuses) == {"recommended", "suspended", "revoked", "reinstated", "declined"}


def _content(vs: VaultSession) -> dict[str, Any]:
    """What the seed decides (every table but the keyed ones and the audit trail), the
    schema's triggers, and what the note index finds."""
    data: dict[str, Any] = table_dump(vs, *(t for t in tables() if t not in KEYED))
    with vs.reading():
        data["triggers"] = vs.execute("SELECT name, sql FROM sqlite_master "
                                      "WHERE type = 'trigger' ORDER BY name").fetchall()
        data["last session"] = vs.execute("SELECT id, last_session_on FROM person "
                                          "WHERE last_session_on IS NOT NULL").fetchall()
        data["own cases"] = vs.execute("SELECT * FROM own_case "  # migration 29's pairs
                                       "ORDER BY user_id, person_id").fetchall()
        data["rising scores"] = vs.execute("SELECT * FROM score_rise "  # migration 30
                                           "ORDER BY person_id, instrument_code").fetchall()
        # the index's options (its format "version" moves to 5 at its first secure delete)
        data["index options"] = vs.execute(
            "SELECT k, v FROM session_note_fts_config WHERE k != 'version' ORDER BY k"
        ).fetchall()
        for needle in ("约定回访", "来访者", "睡眠"):
            data[f"search {needle}"] = [r[0] for r in vs.execute(
                "SELECT rowid FROM session_note_fts WHERE session_note_fts MATCH ? "
                "ORDER BY rowid", (f'"{needle}"',))]
    return data


def test_bulk_build_gives_what_the_row_by_row_triggers_gave(
        tiny: demo.DemoResult, clock: FixedClock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18: the builder sets the note-index and last-session triggers aside and does
    their work once at the end; the vault holds the same data, the same triggers and the same
    search results as one built with the triggers firing on every row."""
    monkeypatch.setattr("counselor_tui.demo.builder.deferred_triggers",
                        lambda _vs: contextlib.nullcontext())
    row_by_row = demo.build_demo(tmp_path / "rows" / "vault.db", "tiny", 7, PASSPHRASE, clock,
                                 kdf_seconds=0, state_dir=tmp_path / "state")
    contents = []
    for result in (tiny, row_by_row):
        vs = open_as(result, clock, tmp_path, "admin")
        try:
            contents.append(_content(vs))
        finally:
            vs.close()
    bulk, rows = contents
    assert bulk["search 来访者"], "the index finds notes"
    assert bulk["last session"], "persons with sessions have their last-session date"
    assert any(row[2] for row in bulk["own cases"]), "counselors served persons"
    assert bulk == rows


def _schema(vs: VaultSession) -> list[tuple[str, str, str, str]]:
    with vs.reading():
        return [tuple(r) for r in vs.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "ORDER BY type, name")]


def test_the_build_becomes_the_vault_only_when_complete(
        tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18: the phases write a file under a temporary name without a journal (a killed
    build leaves no vault at the path); the finished vault is renamed into place in WAL mode
    with every index and trigger of a new vault's schema."""
    path = tmp_path / "demo" / "vault.db"
    seen: dict[str, Any] = {}
    census_phase = DemoBuilder.census

    def census(self: DemoBuilder) -> None:
        seen["vault at the path"] = lifecycle.vault_exists(path)
        seen["files"] = sorted(p.name for p in path.parent.iterdir())
        with self.vs.reading():
            seen["journal"] = self.vs.execute("PRAGMA journal_mode").fetchone()[0]
        census_phase(self)

    monkeypatch.setattr(DemoBuilder, "census", census)
    result = demo.build_demo(path, "tiny", 7, PASSPHRASE, clock, kdf_seconds=0,
                             state_dir=tmp_path / "state")
    assert seen["vault at the path"] is False
    assert seen["journal"] == "off"
    assert seen["files"] and not [n for n in seen["files"] if n.startswith("vault.db")]
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "vault.db", "vault.db.keys", "vault.db.witness"]
    fresh = lifecycle.create_vault(tmp_path / "fresh" / "vault.db", bureau="示范",
                                   admin_username="admin", passphrase=PASSPHRASE, clock=clock,
                                   kdf_seconds=0)
    schemas = []
    for vault in (result.path, fresh.path):
        vs = lifecycle.unlock(vault, "admin", PASSPHRASE, clock=clock,
                              state_dir=tmp_path / "state")
        try:
            with vs.reading():
                assert vs.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            schemas.append(_schema(vs))
        finally:
            vs.close()
    assert schemas[0] == schemas[1]
