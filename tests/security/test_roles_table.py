"""The role × action table (``docs/roles.md``, :data:`counselor_tui.domain.permissions.RULES`)
walked from outside the UI: every action called through its service as every role of a real
account (counselor ``li``, coordinator ``zhou``, auditor ``shen``, the ``admin``), each
unlocked with its own passphrase. An allowed role's call works (it returns what the service
returns); a refused role's call raises :class:`PermissionDenied`.

A new action in the table without a probe here fails :func:`test_every_action_has_a_probe`,
so the table and this walk cannot drift apart; ``docs/roles.md`` is compared with the table
by :func:`test_docs_table_is_generated_from_the_code`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from counselor_tui.domain.permissions import RULES, Action, allowed, markdown_table
from counselor_tui.domain.roles import Role
from counselor_tui.services import (
    accounts,
    assessments,
    audit,
    census,
    incidents,
    instruments,
    integrity,
    key_rotation,
    organisation,
    persons,
    plain_output,
    responses_import,
    roster,
    sessions,
    settings,
    submissions,
    tier_policy,
    trusted_signers,
)
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import PermissionDenied
from tests.conftest import TZ
from tests.functional.ui_support import Bureau
from tests.worlds import OTHER_PASSPHRASE, REPO

pytestmark = pytest.mark.world("bureau+team")

#: role → the account of the ``bureau+team`` world that has it.
ACCOUNTS = {Role.COUNSELOR: "li", Role.COORDINATOR: "zhou", Role.AUDITOR: "shen",
            Role.ADMIN: "admin"}
PERIOD = "2026-10"  # over on the test clock (2026-11-29)
PACKAGE_PASSWORD = "plum orchard lantern seventeen"


@dataclass
class Walk:
    """What the probes share: the world, a folder, and the coordinator's submissions made
    on first need (a refused role must meet a real draft, a real final version, a real
    package — so its refusal is about its role, not a missing thing)."""

    world: Bureau
    tmp: Path
    made: dict[str, Any] = field(default_factory=dict)
    serial: int = 0

    def next(self) -> int:
        self.serial += 1
        return self.serial

    @property
    def office(self) -> VaultSession:
        return self.world.login("zhou")

    def draft(self) -> int:
        if "draft" not in self.made:
            self.made["draft"] = submissions.compile_draft(self.office, PERIOD).info.id
        return int(self.made["draft"])

    def final(self) -> int:
        if "final" not in self.made:
            unit = submissions.compile_draft(self.office, PERIOD, "U002")
            self.made["final"] = submissions.finalize(self.office, unit.info.id,
                                                      allow_incomplete=True).id
        return int(self.made["final"])

    def package(self) -> Path:
        if "package" not in self.made:
            self.made["package"] = submissions.export(
                self.office, self.final(), self.tmp / "packages", PACKAGE_PASSWORD).path
        return Path(self.made["package"])


def _csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _person(w: Walk, vs: VaultSession) -> Any:
    return persons.get_person(vs, w.world.ids["zhang"])


def _write(w: Walk, vs: VaultSession) -> Any:
    return persons.create_person(vs, persons.PersonDraft(
        kind="officer", name="新警", badge_no=f"0109{w.next():02d}", unit_id=w.world.unit1,
        police_type="派出所"))


def _session(w: Walk, vs: VaultSession) -> Any:
    return sessions.log_session(vs, sessions.SessionDraft(
        person_id=w.world.ids["zhang"], started_at=datetime(2026, 11, 28, 10, 0, tzinfo=TZ),
        channel="face_to_face", kind="routine", topics=("work_stress",), duration_min=30))


def _assessment(w: Walk, vs: VaultSession) -> Any:
    return assessments.record_assessment(vs, assessments.AssessmentDraft(
        person_id=w.world.ids["zhang"], instrument="phq9", responses=(0,) * 9,
        administered_on=date(2026, 11, 28)))


def _incident(w: Walk, vs: VaultSession) -> Any:
    return incidents.flag_emergency(vs, incidents.IncidentDraft(
        kind="acute_stress", occurred_at=datetime(2026, 11, 28, 8, 0, tzinfo=TZ),
        persons=(incidents.ExposureDraft(role="involved", person_id=w.world.ids["zhang"]),)))


def _census(w: Walk, vs: VaultSession) -> Any:
    return census.create_census(vs, census.CensusDraft(
        f"普查{w.next()}", date(2026, 11, 1), date(2026, 12, 31), ("phq9",),
        (w.world.unit1,)))


def _roster(w: Walk, vs: VaultSession) -> Any:
    path = _csv(w.tmp / "roster.csv", [["警号", "姓名", "单位"], ["019999", "赵新", "城关派出所"]])
    return roster.plan_roster_import(vs, path)


def _responses(w: Walk, vs: VaultSession) -> Any:
    path = _csv(w.tmp / "phq.csv", [["警号", "姓名", *[f"Q{i}" for i in range(1, 10)]],
                                    ["010001", "张三", *["0"] * 9]])
    return responses_import.plan_import(vs, path, "phq9", administered_on=date(2026, 11, 2))


def _add_instrument(w: Walk, vs: VaultSession) -> Any:
    text = (REPO / "counselor_tui/domain/instruments/definitions/gad7.toml").read_text(
        encoding="utf-8").replace('code = "gad7"', 'code = "bureau_anx"').replace(
        'version = "2006"', f'version = "v{w.next()}"')
    path = w.tmp / "bureau_anx.toml"
    path.write_text(text, encoding="utf-8")
    return instruments.add_definition(vs, path)


def _consolidate(w: Walk, vs: VaultSession) -> Any:
    package = w.package()
    return submissions.consolidate(vs, [(package, PACKAGE_PASSWORD)],
                                   trusted_fingerprints=[submissions.fingerprint(w.office)])


def _add_user(w: Walk, vs: VaultSession) -> Any:
    return accounts.add_user(vs, f"new{w.next()}", "counselor", OTHER_PASSPHRASE,
                             kdf_seconds=0)


def _rekey(w: Walk, vs: VaultSession) -> Any:
    if allowed(vs.actor.role, Action.ROTATE_KEY):
        w.world.close()  # a rotation needs the vault to itself (the other roles were refused)
    return key_rotation.rekey(vs)


#: action → a call of its service as ``vs`` (what a user of that role would try).
PROBES: dict[Action, Callable[[Walk, VaultSession], Any]] = {
    Action.READ_PERSON: _person,
    Action.WRITE_PERSON: _write,
    Action.LOG_SESSION: _session,
    Action.RECORD_ASSESSMENT: _assessment,
    Action.RECORD_INCIDENT: _incident,
    Action.MANAGE_CENSUS: _census,
    Action.IMPORT_ROSTER: _roster,
    Action.IMPORT_RESPONSES: _responses,
    Action.LIST_INSTRUMENTS: lambda w, vs: instruments.list_instruments(vs),
    Action.MANAGE_INSTRUMENTS: _add_instrument,
    Action.MANAGE_UNITS: lambda w, vs: persons.create_unit(vs, f"新单位{w.next()}", "派出所"),
    Action.MANAGE_ORGANISATION: lambda w, vs: organisation.add_member(
        vs, organisation.MemberDraft("member", date(2026, 1, 1), name=f"委员{w.next()}")),
    Action.VIEW_SUBMISSIONS: lambda w, vs: submissions.list_versions(vs),
    Action.COMPILE_SUBMISSION: lambda w, vs: submissions.compile_draft(vs, PERIOD),
    Action.FINALIZE_SUBMISSION: lambda w, vs: submissions.finalize(vs, w.draft(),
                                                                   allow_incomplete=True),
    Action.EXPORT_SUBMISSION: lambda w, vs: submissions.export(
        vs, w.final(), w.tmp / f"export{w.next()}", PACKAGE_PASSWORD),
    Action.CONSOLIDATE: _consolidate,
    Action.PRINT_EXACT_COUNTS: lambda w, vs: plain_output.require_exact_reader(vs),
    Action.MANAGE_TRUSTED_SIGNERS: lambda w, vs: trusted_signers.list_signers(vs),
    Action.MANAGE_USERS: _add_user,
    Action.CHANGE_SETTINGS: lambda w, vs: settings.editable_settings(vs),
    Action.SET_TIER_POLICY: lambda w, vs: tier_policy.set_policy(vs, None),
    Action.ROTATE_KEY: _rekey,
    Action.READ_AUDIT: lambda w, vs: audit.count_events(vs),
    Action.CHECK_INTEGRITY: lambda w, vs: integrity.check_open(vs),
}


def test_every_action_has_a_probe() -> None:
    assert set(PROBES) == set(Action) == set(RULES)


def test_docs_table_is_generated_from_the_code() -> None:
    """``docs/roles.md`` is what ``make roles-doc`` writes from the code's table."""
    assert (REPO / "docs" / "roles.md").read_text(encoding="utf-8") == markdown_table()


def test_design_roles_admin_and_auditor_read_no_person_and_only_the_office_submits() -> None:
    """The table says what DESIGN §5 and issue 16 say (a change to it must be deliberate)."""
    for role in (Role.ADMIN, Role.AUDITOR):
        assert not allowed(role, Action.READ_PERSON)
        assert not allowed(role, Action.WRITE_PERSON)
    for action in (Action.IMPORT_ROSTER, Action.IMPORT_RESPONSES, Action.COMPILE_SUBMISSION,
                   Action.FINALIZE_SUBMISSION, Action.EXPORT_SUBMISSION, Action.CONSOLIDATE):
        assert RULES[action][0] == {Role.COORDINATOR}
    for action in (Action.MANAGE_USERS, Action.CHANGE_SETTINGS, Action.ROTATE_KEY):
        assert RULES[action][0] == {Role.ADMIN}


def test_each_service_as_each_role_follows_the_table(world: Bureau, tmp_path: Path) -> None:
    walk = Walk(world, tmp_path)
    seen: list[tuple[str, str, str]] = []
    # the key rotation last: it needs every other session closed
    order = [a for a in Action if a is not Action.ROTATE_KEY] + [Action.ROTATE_KEY]
    for action in order:
        for role, username in ACCOUNTS.items():
            vs = world.login(username)
            assert vs.actor.role is role
            if allowed(role, action):
                PROBES[action](walk, vs)  # works: any error fails the test
                seen.append((action.value, role.value, "ok"))
            else:
                with pytest.raises(PermissionDenied):
                    PROBES[action](walk, vs)
                seen.append((action.value, role.value, "refused"))
    assert len(seen) == len(Action) * len(ACCOUNTS)
