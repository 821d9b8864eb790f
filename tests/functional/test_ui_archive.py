"""Pilot tests of the archive and the person record (issue 3 items 3 and 4)."""

from __future__ import annotations

import pytest
from textual.widgets import Checkbox, Input, OptionList, Select

from counselor_tui.domain.pinyin import name_keys
from counselor_tui.services.context import VaultSession
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.archive import ArchiveScreen, FirstAnswer
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.family_member import FamilyMemberDialog
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.screens.session_form import SessionFormScreen
from counselor_tui.ui.widgets.virtual_table import VirtualTable
from db.models import Person
from tests.functional.ui_support import (
    Bureau,
    app_for,
    backend_for,
    log,
    office_backend,
    screen_text,
    settle,
)

pytestmark = pytest.mark.world("bureau")


def bulk_officers(session: VaultSession, unit_id: int, count: int) -> None:
    """``count`` officers 测试00001 … with badge numbers 900001 … in one transaction."""
    now = session.now_iso()
    rows = []
    for i in range(1, count + 1):
        name = f"测试{i:05d}"
        keys = name_keys(name)
        rows.append({"kind": "officer", "badge_no": f"9{i:05d}", "name": name,
                     "name_pinyin": keys.full, "name_initials": keys.initials,
                     "name_sort": keys.sort,
                     "unit": unit_id, "police_type": "派出所", "post": "",
                     "created_at": now, "created_by": session.actor.id, "updated_at": now,
                     "updated_by": session.actor.id})
    with session.transaction():
        for start in range(0, len(rows), 500):
            Person.insert_many(rows[start:start + 500]).execute()


async def open_archive(pilot: object, app: object) -> ArchiveScreen:
    from typing import Any, cast

    p, a = cast(Any, pilot), cast(Any, app)
    await settle(p, lambda: isinstance(a.screen, DashboardScreen))
    await p.press("f3")
    await settle(p, lambda: isinstance(a.screen, ArchiveScreen) and a.screen.settled)
    return cast(ArchiveScreen, a.screen)


async def test_search_as_you_type_by_initials_pinyin_badge_and_chinese(bureau: Bureau) -> None:
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 36)) as pilot:
        archive = await open_archive(pilot, app)
        assert archive.total == 4  # li sees unit U001 only: 张三, 张思, 李四, 刘芳
        for typed, expected in (("zs", ["张三", "张思"]), ("zhangsan", ["张三"]),
                                ("三", ["张三"]), ("张三", ["张三"]),
                                ("01000", ["张三", "张思", "李四"]), ("lf", ["刘芳"])):
            archive.query_one("#archive-search", Input).value = ""
            await pilot.press(*typed)
            await settle(pilot, lambda: archive.settled)
            assert sorted(archive.visible_names()) == sorted(expected), typed
        assert "刘芳" in screen_text(app)


async def test_filters_and_sorting(bureau: Bureau) -> None:
    app = app_for(office_backend(bureau))
    async with app.run_test(size=(120, 36)) as pilot:
        archive = await open_archive(pilot, app)
        assert archive.total == 5
        archive.query_one("#filter-unit", Select).value = bureau.unit2
        await settle(pilot, lambda: archive.settled and archive.total == 1)
        assert archive.visible_names() == ["王五"]
        archive.query_one("#filter-unit", Select).clear()
        archive.query_one("#filter-kind", Select).value = "family"
        await settle(pilot, lambda: archive.settled and archive.total == 1)
        assert archive.visible_names() == ["刘芳"]
        archive.query_one("#filter-kind", Select).clear()
        archive.query_one("#filter-police-type", Select).value = "交警"
        await settle(pilot, lambda: archive.settled and archive.total == 1)
        archive.query_one("#filter-police-type", Select).clear()
        archive.query_one("#sort", Select).value = "badge_no"
        archive.query_one("#descending", Checkbox).value = True
        await settle(pilot, lambda: archive.settled and archive.total == 5
                     and archive.current.sort == "badge_no" and archive.current.descending)
        names = archive.visible_names()
        assert names[:4] == ["王五", "李四", "张思", "张三"]
        assert names[4] == "刘芳"  # no badge number: last in both directions


async def test_a_late_answer_to_an_older_query_is_dropped(bureau: Bureau) -> None:
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 36)) as pilot:
        archive = await open_archive(pilot, app)
        await pilot.press(*"zs")
        await settle(pilot, lambda: archive.settled)
        current = archive.query_serial
        archive._answer(FirstAnswer(current - 1, 99, []))  # the answer to "z", arriving late
        assert archive.total == 2
        assert sorted(archive.visible_names()) == ["张三", "张思"]


async def test_the_list_loads_only_the_pages_on_screen(bureau: Bureau,
                                                       session: VaultSession) -> None:
    bulk_officers(session, bureau.unit1, 1500)
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 36)) as pilot:
        archive = await open_archive(pilot, app)
        table = archive.query_one("#archive-table", VirtualTable)
        assert archive.total == 1504
        assert table.loaded_rows <= 200  # one page (and perhaps the next), not 1504 rows
        assert "1504" in screen_text(app)
        table.focus()
        await pilot.press("end")
        await settle(pilot, lambda: table.row_at(1503) is not None)
        await settle(pilot, lambda: "测试01500" in screen_text(app)
                     or "李四" in screen_text(app) or "张思" in screen_text(app))
        assert table.cursor == 1503
        assert table.loaded_rows <= 400
        await pilot.press("home", "down", "down", "enter")
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None)


async def test_person_record_shows_every_section_and_writes_a_view_event(
        bureau: Bureau, session: VaultSession) -> None:
    backend = backend_for(bureau)
    log(backend, bureau.ids["zhang"], "第一行\n第二行", follow_up="2026-12-06")
    app = app_for(backend)
    async with app.run_test(size=(110, 50)) as pilot:
        archive = await open_archive(pilot, app)
        await pilot.press(*"zhangsan", "enter")
        await settle(pilot, lambda: archive.settled and archive.total == 1)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None)
        person = app.screen
        assert isinstance(person, PersonScreen)
        text = screen_text(app)
        for expected in ("张三", "010001", "城关派出所", "刘芳", "spouse", "第一行", "第二行",
                         "2026-12-06"):
            assert expected in text, text
        assert text.count("none") >= 4  # tier, assessments, incidents, firearm
        with session.reading():
            views = list(session.execute(
                "SELECT entity_id FROM audit_event WHERE action = 'view' AND entity = 'person'"))
        assert (str(bureau.ids["zhang"]),) in [tuple(map(str, v)) for v in views]
        assert archive is not person


async def test_add_a_family_member_from_the_record(bureau: Bureau) -> None:
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 50)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.post_message(OpenPerson(bureau.ids["li4"]))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None)
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, FamilyMemberDialog))
        await pilot.press("ctrl+s")  # no name yet: the message sits under the field
        await settle(pilot, lambda: "Type the name" in screen_text(app))
        await pilot.press(*"李小明")
        dialog = app.screen
        dialog.query_one("#family-relation", Select).value = "child"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None
                     and any(f.name == "李小明" for f in app.screen.record.family))
        family = app.screen.query_one("#family", OptionList)
        assert "李小明" in str(family.get_option_at_index(0).prompt)
        await pilot.press("f2")  # logging from a record presets its person
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen))
        assert "李四" in screen_text(app)


async def test_a_dashboard_line_opens_the_person_record(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    log(backend, bureau.ids["zhangsi"], "约定随访", follow_up="2026-11-29")
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                     and app.screen.loaded > 0)
        assert any("张思" in line for line in app.screen.text_lines())
        app.screen.query_one("#dashboard-list", OptionList).focus()
        await pilot.press("down", "enter")
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None)
        assert app.screen.person_id == bureau.ids["zhangsi"]
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_one_view_event_per_opening_not_per_dialog(bureau: Bureau,
                                                         session: VaultSession) -> None:
    def views() -> int:
        with session.reading():
            return int(session.execute(
                "SELECT count(*) FROM audit_event WHERE action = 'view' AND entity = 'person'"
            ).fetchone()[0])

    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        before = views()
        app.post_message(OpenPerson(bureau.ids["zhang"]))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None)
        assert views() == before + 1
        await pilot.press("f1")
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen))
        assert views() == before + 1
        await pilot.press("r")
        await settle(pilot, lambda: views() == before + 2)
