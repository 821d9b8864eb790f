"""The programme's organisation (issue 16 item 1) on a real vault: committee and office
members with posts and terms, each unit's designated counselors against the 1–3 rule, the
教导员/政工干部 trained, the submission's section 6, and who may change them."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text

from counselor_tui.domain.periods import parse_period
from counselor_tui.reports.view import build
from counselor_tui.services import (
    accounts,
    audit,
    audit_view,
    integrity,
    organisation,
    persons,
    team,
)
from counselor_tui.services.errors import Conflict, InvalidInput, PermissionDenied
from counselor_tui.services.organisation import CadreDraft, MemberDraft
from counselor_tui.services.submission_compile import compile_content
from counselor_tui.ui.screens.audit_log import detail_text, entity_label, person_text
from counselor_tui.ui.widgets.plain_table import as_cell
from db.connection import open_connection
from db.migrations import migrate
from db.models_org import OrgMember
from tests.conftest import run_cli, write_secret
from tests.integration.archive_world import World
from tests.worlds import OTHER_PASSPHRASE

pytestmark = pytest.mark.world("archive")


def _ids(world: World) -> dict[str, int]:
    return {u.username: u.user_id for u in team.list_counselors(world.admin)}


def test_members_posts_terms_and_what_the_audit_says(world: World) -> None:
    """The office records the committee and its office; a one-holder post cannot have two
    holders at once; ending a term and voiding are changes the audit names in words."""
    coord = world.login("coord")
    ids = _ids(world)
    chief = organisation.add_member(coord, MemberDraft(
        "director", date(2026, 1, 1), name="王局长", job="局长"))
    deputy = organisation.add_member(coord, MemberDraft(
        "executive_deputy", date(2026, 1, 1), name="陈政委", job="政委"))
    office = organisation.add_member(coord, MemberDraft(
        "office_director", date(2026, 1, 1), user_id=ids["coord"]))
    li = organisation.add_member(coord, MemberDraft("office_member", date(2026, 3, 1),
                                                    user_id=ids["li"]))
    assert (chief.body, office.body, office.name) == ("committee", "office", "COORD")
    assert li.counselor and office.counselor and not chief.counselor  # accounts of the team
    with pytest.raises(Conflict, match=r"王局长 from 2026-01-01, still serving.*end that term"):
        organisation.add_member(coord, MemberDraft("director", date(2026, 6, 1),
                                                   name="赵副局长"))
    with pytest.raises(InvalidInput):
        organisation.add_member(coord, MemberDraft("member", date(2026, 6, 1),
                                                   user_id=ids["li"], name="李"))
    with pytest.raises(InvalidInput):
        organisation.add_member(coord, MemberDraft("member", date(2026, 6, 1),
                                                   ends_on=date(2026, 5, 1), name="李"))
    # the chief leaves: the term ends, a successor takes the post the day after
    ended = organisation.change_member(coord, chief.id, MemberDraft(
        "director", date(2026, 1, 1), name="王局长", job="局长", ends_on=date(2026, 6, 30)))
    assert not ended.serving
    with pytest.raises(Conflict) as overlap:  # an ended term that overlaps: not "end it"
        organisation.add_member(coord, MemberDraft("director", date(2026, 6, 1), name="赵局长"))
    assert "王局长 from 2026-01-01 to 2026-06-30" in str(overlap.value)
    assert "start this term after 2026-06-30" in str(overlap.value)
    organisation.add_member(coord, MemberDraft("director", date(2026, 7, 1), name="赵局长"))
    organisation.void_member(coord, deputy.id, "录错了人")
    listed = organisation.list_members(coord)
    assert [(m.post, m.name) for m in listed] == [
        ("director", "赵局长"), ("office_director", "COORD"), ("office_member", "LI"),
        ("director", "王局长")]  # serving first, by post; the voided one gone
    assert [m.name for m in organisation.list_members(
        coord, serving_on=date(2026, 2, 1))] == ["王局长", "COORD"]
    with coord.reading():
        rows = coord.execute("SELECT action, detail FROM audit_event WHERE entity = "
                             "'org_member' ORDER BY seq").fetchall()
    actions = [(a, json.loads(d)) for a, d in rows]
    assert [a for a, _d in actions] == ["create"] * 4 + ["update", "create", "void"]
    assert actions[4][1] == {"post": "director",
                             "changes": {"ends_on": [None, "2026-06-30"]}}
    assert all("王局长" not in json.dumps(d, ensure_ascii=False) for _a, d in actions)
    # what the auditor reads (audit screen): whose record, the post, old → new, in words
    assert entity_label("org_member") == "committee or office member"
    lines = [line for line in audit_view.page(world.login("audit"), None, 0, 500)
             if line.row.entity == "org_member"]
    shown = {(line.row.action, person_text(line)): detail_text(line.row.detail)
             for line in lines}
    assert shown[("update", "王局长")] == "post: committee director changed: term to: — → " \
        "2026-06-30"
    assert shown[("create", "LI")] == "post: office member account: li counselor: yes " \
        "term from: 2026-03-01"
    assert shown[("void", "陈政委")] == "post: executive deputy director"
    organisation.change_member(coord, li.id, replace(li.draft(), post="member", job="干事"))
    changed = next(line for line in audit_view.page(world.login("audit"), None, 0, 500)
                   if line.row.entity == "org_member" and person_text(line) == "LI"
                   and line.row.action == "update")
    assert detail_text(changed.row.detail) == "post: committee member changed: position: " \
        "— → 干事, post: office member → committee member"


def test_a_member_whose_account_was_disabled_is_still_changed(world: World) -> None:
    """An account disabled after it was linked stays linked: the member's term ends and
    other fields change; only a *new* link to a disabled account is refused, saying what
    to do."""
    coord = world.login("coord")
    ids = _ids(world)
    li = organisation.add_member(coord, MemberDraft("office_member", date(2026, 3, 1),
                                                    user_id=ids["li"]))
    other = organisation.add_member(coord, MemberDraft("member", date(2026, 3, 1),
                                                       name="刘委员"))
    accounts.disable_user(world.admin, "li")
    shown = {m.id: m for m in organisation.list_members(coord)}
    assert (shown[li.id].account_active, shown[other.id].account_active) == (False, True)
    ended = organisation.change_member(coord, li.id, replace(
        shown[li.id].draft(), ends_on=date(2026, 12, 8), job="干事"))
    assert (ended.user_id, ended.ends_on, ended.job) == (ids["li"], "2026-12-08", "干事")
    with pytest.raises(InvalidInput, match="active account"):
        organisation.change_member(coord, other.id, replace(other.draft(), name="",
                                                            user_id=ids["li"]))


def test_names_and_texts_refuse_control_and_invisible_characters(world: World,
                                                                  tmp_path: Path) -> None:
    """A name, position or training title with a terminal control (ESC, BEL), a bidi
    override or only zero-width characters is refused with the reason; a record stored before
    (straight in the vault) is printed with its control characters escaped, never raw; in the
    TUI it is a plain-text cell (no markup)."""
    coord = world.login("coord")
    hostile = {"赵\a\x1b[31m红": "U+0007", "\u200b": "U+200B", "\u202e\u202d": "U+202E",
               "\u0301": "visible"}
    for name, said in hostile.items():
        with pytest.raises(organisation.OrgInvalid) as refused:
            organisation.add_member(coord, MemberDraft("member", date(2026, 1, 1), name=name))
        assert said in refused.value.errors["name"]
    with pytest.raises(organisation.OrgInvalid) as refused:
        organisation.add_member(coord, MemberDraft("member", date(2026, 1, 1), name="赵红",
                                                   job="局长\x1b]0;pwn\a"))
    assert "U+001B" in refused.value.errors["job"]
    with pytest.raises(organisation.OrgInvalid) as refused:
        organisation.add_cadre_training(coord, CadreDraft(
            "\x1b]0;pwn\a韩", "instructor", date(2026, 11, 3), "培训\u202e", 2))
    assert set(refused.value.errors) == {"name", "title"}
    stamp = "2026-01-01T09:00:00+08:00"
    with coord.transaction():  # stored before the rule, or by another program
        OrgMember.create(post="member", name="赵\a\x1b[31m红", job="[b]局长",
                         starts_on="2026-01-01", counselor=False, created_at=stamp,
                         created_by=world.admin.actor.id, updated_at=stamp,
                         updated_by=world.admin.actor.id)
    world.close()
    listed = run_cli("--vault", str(world.path), "--user", "coord", "--passphrase-file",
                     str(write_secret(tmp_path, "pw", OTHER_PASSPHRASE)), "org", "list")
    assert listed.returncode == 0 and "\x1b" not in listed.stdout and "\a" not in listed.stdout
    assert "赵\\x07\\x1b[31m红" in listed.stdout
    cell = as_cell("赵\a\x1b]0;pwn[b]红")  # how the organisation tables show a name
    assert isinstance(cell, Text)
    assert cell.plain == "赵\\x07\\x1b]0;pwn[b]红" and not cell.spans


def test_only_the_office_changes_the_organisation(world: World) -> None:
    """Counselor, auditor and admin are refused every change (in the service); all read."""
    coord = world.login("coord")
    member = organisation.add_member(coord, MemberDraft("member", date(2026, 1, 1),
                                                        name="刘委员"))
    cadre = organisation.add_cadre_training(coord, CadreDraft(
        "周教导员", "instructor", date(2026, 11, 3), "心理危机识别", 4, world.unit1))
    for name in ("li", "audit", "admin"):
        vs = world.login(name)
        with pytest.raises(PermissionDenied):
            organisation.add_member(vs, MemberDraft("member", date(2026, 1, 1), name="某"))
        with pytest.raises(PermissionDenied):
            organisation.change_member(vs, member.id, member.draft())
        with pytest.raises(PermissionDenied):
            organisation.void_member(vs, member.id, "x")
        with pytest.raises(PermissionDenied):
            organisation.add_cadre_training(vs, CadreDraft(
                "某", "political", date(2026, 11, 3), "培训", 2))
        with pytest.raises(PermissionDenied):
            organisation.void_cadre_training(vs, cadre.id, "x")
        assert [m.id for m in organisation.list_members(vs)] == [member.id]
        assert [c.id for c in organisation.list_cadre_trainings(vs)] == [cadre.id]


def test_check_flags_an_organisation_change_signed_by_a_role_that_may_not(
        world: World) -> None:
    """A counselor with the product's modules and the data key writes a committee member and
    signs its audit event (the services would refuse): ``check`` names that event and the
    role; the coordinator's own changes pass."""
    coord = world.login("coord")
    organisation.add_member(coord, MemberDraft("member", date(2026, 1, 1), name="刘委员"))
    assert _line(integrity.check_open(coord), "audit_roles").ok
    li = world.login("li")
    stamp = li.now_iso()
    with li.transaction():  # around the service's role check
        row = OrgMember.create(post="director", name="李某", job="", starts_on="2026-01-01",
                               counselor=False, created_at=stamp, created_by=li.actor.id,
                               updated_at=stamp, updated_by=li.actor.id)
        audit.record(li, "create", "org_member", row.id, {"post": "director"})
    line = _line(integrity.check_open(coord), "audit_roles")
    assert not line.ok
    assert "(li, counselor): create org_member needs manage_organisation" in line.detail


def _line(result: integrity.CheckResult, name: str) -> Any:
    return next(line for line in result.lines if line.name == name)


def test_units_outside_the_rule_and_section_six(world: World) -> None:
    """Units with none or more than three designated counselors are listed (unit_coverage,
    the submission's section 6, its documents); the trained 教导员/政工干部 are their own
    figure; a vault without organisation records compiles as before (no new keys)."""
    coord = world.login("coord")
    november = parse_period("2026-11")
    before = compile_content(coord, november)["sections"]["team"]
    assert "cadres_trained" not in before["figures"]
    assert "unit_counselors" not in before["tables"]  # U001 has two, U002 one
    empty = persons.create_unit(world.admin, "特警大队", "特警", code="U003")
    for i, shown in enumerate(("程安", "陈子", "张安")):
        accounts.add_user(world.admin, f"c{i}", "counselor", OTHER_PASSPHRASE,
                          unit_code="U001", display_name=shown, kdf_seconds=0)
    coverage = {u.code: u for u in organisation.unit_coverage(coord)}
    han = ("程安", "陈子", "张安")  # names in the name order, not by character code
    assert [n for n in coverage["U001"].counselors if n in han] == ["陈子", "程安", "张安"]
    assert [c.display_name for c in team.list_counselors(coord)
            if c.display_name in han] == ["陈子", "程安", "张安"]
    assert (coverage["U001"].count, coverage["U002"].count, coverage["U003"].count) == \
        (5, 1, 0)
    assert [u.code for u in organisation.units_outside_rule(coord)] == ["U001", "U003"]
    for name, post, day in (("周教导员", "instructor", 3), ("周教导员", "instructor", 10),
                            ("吴干事", "political", 12), ("郑干事", "political", 31)):
        organisation.add_cadre_training(coord, CadreDraft(
            name, post, date(2026, 11, day) if day <= 30 else date(2026, 10, day),
            "心理健康知识", 3, world.unit2))
    wrong = organisation.add_cadre_training(coord, CadreDraft(
        "误录", "political", date(2026, 11, 5), "心理健康知识", 3))
    organisation.void_cadre_training(coord, wrong.id, "重复录入")
    six = compile_content(coord, november)["sections"]["team"]
    assert six["figures"]["cadres_trained"] == 2  # 周 twice is one person; October's not
    assert six["tables"]["unit_counselors"] == {
        "type": "series", "rows": ["U001", "U003"], "counts": [5, 0]}
    assert empty
    # a unit created after the period's end is not in that period's section 6
    world.clock.advance(days=40)
    persons.create_unit(world.admin, "刑侦大队", "刑侦", code="U004")
    assert compile_content(coord, november)["sections"]["team"] == six
    scoped = compile_content(coord, november, "U002")["sections"]["team"]
    assert scoped["figures"]["cadres_trained"] == 2 and "unit_counselors" not in scoped["tables"]
    view = build(compile_content(coord, november), exact=True)
    section = next(s for s in view.sections if s.key == "team")
    listing = next(t for t in section.tables if t.id == "team.unit_counselors")
    assert listing.rows == (("城关派出所", "5"), ("特警大队", "0")) and listing.total is None
    figures = dict(section.tables[0].rows)
    assert figures["Political instructors and political-work cadres trained"] == "2"


def test_org_command_line(world: World, tmp_path: Path) -> None:
    """``org add|list|end|units|cadre-add|cadre-list`` as the coordinator; a counselor is
    refused with exit 2 and a bad date is exit 2 with what to write, never a traceback."""
    coord = ("--vault", str(world.path), "--user", "coord", "--passphrase-file",
             str(write_secret(tmp_path, "pw", OTHER_PASSPHRASE)))
    li = ("--vault", str(world.path), "--user", "li", "--passphrase-file",
          str(tmp_path / "pw"))
    world.close()
    done = run_cli(*coord, "org", "add", "office_director", "--user", "coord",
                   "--from", "2026-01-01")
    assert done.returncode == 0, done.stderr
    assert "办公室主任" in done.stdout
    assert "没有在任的主任" in run_cli(*coord, "org", "list").stdout
    assert run_cli(*coord, "org", "add", "主任", "--name", "王局长", "--job", "局长",
                   "--from", "2026-01-01").returncode == 0  # the post in Chinese
    assert "没有在任的主任" not in run_cli(*coord, "org", "list").stdout
    listed = run_cli(*coord, "org", "list").stdout.splitlines()
    assert listed[1].split("\t")[1:4] == ["保护工作委员会", "主任", "王局长"]
    assert "辅导员" in listed[2]
    member = listed[1].split("\t")[0]
    assert run_cli(*coord, "org", "end", member, "--on", "2026-06-30").returncode == 0
    assert "2026-01-01 – 2026-06-30" in run_cli(*coord, "org", "list").stdout
    units = run_cli(*coord, "org", "units").stdout
    assert units.splitlines()[1].split("\t")[:3] == ["U001", "城关派出所", "2"]
    assert units.splitlines()[-1] == "2个单位中有0个不符合每单位1–3名辅导员的要求。"
    wrong = run_cli(*coord, "org", "cadre-add", "周教导员", "--post", "主任", "--date",
                    "2026-11-03", "--title", "培训", "--hours", "4")
    assert wrong.returncode == 2 and "教导员、政工干部" in wrong.stderr
    added = run_cli(*coord, "org", "cadre-add", "周教导员", "--post", "教导员",
                    "--date", "2026-11-03", "--title", "心理危机识别", "--hours", "4",
                    "--unit", "U001")
    assert added.returncode == 0, added.stderr
    assert "周教导员" in run_cli(*coord, "org", "cadre-list", "--period", "2026-11").stdout
    hostile = run_cli(*coord, "org", "add", "member", "--user", "\x1b]0;pwn\a", "--from",
                      "2026-01-01")
    assert hostile.returncode == 2 and "\\x1b]0;pwn\\x07" in hostile.stderr
    assert "\x1b" not in hostile.stderr + hostile.stdout
    refused = run_cli(*li, "org", "add", "member", "--name", "某", "--from", "2026-01-01")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    bad = run_cli(*coord, "--lang", "en", "org", "end", member, "--on", "2026-13-01")
    assert bad.returncode == 2 and "no month 13" in bad.stderr
    bad = run_cli(*coord, "--lang", "en", "org", "add", "member", "--name", "某",
                  "--from", "2026-02-30")
    assert bad.returncode == 2 and "no day 30 in 2026-02" in bad.stderr
    bad = run_cli(*coord, "--lang", "en", "org", "end", member, "--on", "next week")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    reopened = run_cli(*coord, "--lang", "en", "org", "change", member, "--to", "")
    assert reopened.returncode == 0 and "2026-01-01 – 至今" in run_cli(
        *coord, "org", "list").stdout
    same = run_cli(*coord, "--lang", "en", "org", "change", member, "--job", "局长")
    assert same.returncode == 0 and "Nothing to change" in same.stdout


def test_migration_20_adds_the_organisation_to_an_existing_vault(tmp_path: Path) -> None:
    """A vault of schema 19 upgrades in one step to both tables, empty."""
    conn = open_connection(tmp_path / "v.db", secrets.token_bytes(32), create=True)
    try:
        assert migrate(conn, "2026-11-01T09:00:00+08:00", target=19)[-1] == 19
        assert migrate(conn, "2026-12-01T09:00:00+08:00")[0] == 20
        for table in ("org_member", "cadre_training"):
            assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0
    finally:
        conn.close()
