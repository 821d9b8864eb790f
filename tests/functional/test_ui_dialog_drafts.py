"""Issue 15 item 7 for dialogs, in Chinese as the tester saw it: the text typed in a dialog
(an addendum, a tier change's reason) survives a lock — kept encrypted in the vault, the
dialog opened again after unlock with the text as typed, still unsaved (Esc asks), and
saving it then works. And (issue 15 item 2) the record's footer reaches m 调动 and l 离职 at
120 columns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import Input, TextArea

from counselor_tui.i18n import set_language
from counselor_tui.services import person_moves, tier_review
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.addendum import AddendumDialog
from counselor_tui.ui.screens.archive import ArchiveScreen
from counselor_tui.ui.screens.family_member import FamilyMemberDialog
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.screens.person_edit import PersonEditDialog
from counselor_tui.ui.screens.tier_decision import TierChangeDialog
from counselor_tui.ui.screens.unlock import UnlockScreen
from tests.conftest import OTHER_PASSPHRASE
from tests.functional.ui_support import (
    Bureau,
    app_for,
    backend_for,
    log,
    notices,
    screen_text,
    settle,
)

pytestmark = pytest.mark.world("bureau")

ADDENDUM = "补充来访者提到孩子成绩下滑"  # (Pilot types no full-width colon)
REASON = "家访后发现睡眠严重受影响"
PHONE = "13912345678"


@pytest.fixture
def chinese() -> Iterator[None]:
    set_language("zh")
    try:
        yield
    finally:
        set_language("en")


@pytest.mark.usefixtures("chinese")
async def test_dialog_text_survives_a_lock(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    session_id = log(backend, bureau.ids["zhang"], "首次谈话")
    app = app_for(backend)

    async def lock_and_unlock() -> None:
        await pilot.press("ctrl+l")
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        text = screen_text(app)
        assert "加密保存在加密库中，解锁后恢复" in text, text
        assert "丢弃" not in text
        app.screen.query_one("#passphrase", Input).value = OTHER_PASSPHRASE
        await pilot.pause()
        await pilot.press("enter")

    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(OpenPerson(bureau.ids["zhang"]))
        # the footer is rebuilt after the screen is drawn (a loaded machine showed it empty)
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None and "首次谈话" in screen_text(app)
                     and "n 补记" in screen_text(app).rsplit("\n", 1)[-1])
        footer = screen_text(app).splitlines()[-1]
        # every key the record shows in its footer fits at 120 columns (with o, added by
        # fix15 F, a longer n label cut "x 转介导出" to "x 转")
        for key in ("o 查看完整记录", "n 补记", "v 复核等级", "t 调整等级", "p 预约", "m 调动",
                    "l 离职", "e 修改信息", "c 知情同意", "x 转介导出"):
            assert key in footer, footer
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, AddendumDialog)
                     and app.screen.tracking)
        await pilot.press(*ADDENDUM)
        await lock_and_unlock()
        await settle(pilot, lambda: isinstance(app.screen, AddendumDialog)
                     and app.screen.tracking and app.drafts_restored == 1)
        assert isinstance(app.screen_stack[-2], PersonScreen)
        dialog = app.screen
        assert dialog.query_one("#addendum-text", TextArea).text == ADDENDUM
        assert dialog.has_unsaved_changes()
        assert "锁定时正在填写的内容已恢复。" in notices(app)
        await pilot.press("ctrl+s")  # and it saves, as if never interrupted
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen))
        record = app.screen
        await settle(pilot, lambda: record.record is not None and any(
            ADDENDUM in a for s in record.record.sessions if s.id == session_id
            for a in s.addenda))

        # a second dialog in the same run: the tier change's reason (a loading dialog)
        await pilot.press("t")
        await settle(pilot, lambda: isinstance(app.screen, TierChangeDialog)
                     and app.screen.tracking)
        app.screen.query_one("#tc-reason", Input).focus()
        await pilot.press(*REASON)
        await lock_and_unlock()
        await settle(pilot, lambda: isinstance(app.screen, TierChangeDialog)
                     and app.screen.tracking and app.drafts_restored == 2)
        change = app.screen
        await settle(pilot, lambda: change.query_one("#tc-reason", Input).value == REASON)
        assert change.has_unsaved_changes()
        change.close_form()
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen))

        # the details (e) and a new family member (a) keep what was typed too
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, PersonEditDialog)
                     and app.screen.tracking)
        app.screen.query_one("#pe-phone", Input).value = PHONE
        await lock_and_unlock()
        await settle(pilot, lambda: isinstance(app.screen, PersonEditDialog)
                     and app.screen.tracking and app.drafts_restored == 3)
        edit = app.screen
        assert edit.query_one("#pe-phone", Input).value == PHONE
        assert edit.query_one("#pe-name", Input).value == "张三"
        assert edit.has_unsaved_changes()
        edit.close_form()
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen))
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, FamilyMemberDialog)
                     and app.screen.tracking)
        app.screen.query_one("#family-name", Input).value = "王小梅"
        await lock_and_unlock()
        await settle(pilot, lambda: isinstance(app.screen, FamilyMemberDialog)
                     and app.screen.tracking and app.drafts_restored == 4)
        assert app.screen.query_one("#family-name", Input).value == "王小梅"


@pytest.mark.usefixtures("chinese")
async def test_a_former_officer_is_found_by_search_and_not_due_for_review(
        bureau: Bureau) -> None:
    """Issue 15 item 2: after 张三 left service, F8 and his badge, his name or its pinyin
    find him, marked 原民警, with no tier review date in the row nor on his record; the
    plain list (without the "officers, former too" filter) leaves him out."""
    backend = backend_for(bureau)
    vs = backend.vs
    tier_review.change(vs, bureau.ids["zhang"], "yellow", "夜班后失眠")
    person_moves.leave(vs, bureau.ids["zhang"], vs.today().isoformat(), "retired")
    app = app_for(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f8")
        await settle(pilot, lambda: isinstance(app.screen, ArchiveScreen)
                     and "张思" in screen_text(app))  # the plain list, drawn
        assert "张三" not in screen_text(app)  # serving people only
        for needle in ("010001", "张三", "zhangsan"):
            search = app.screen.query_one("#archive-search", Input)
            search.value = needle
            await pilot.press("enter")
            await settle(pilot, lambda: "城关派出所" in screen_text(app)
                         and "张思" not in screen_text(app))
            assert "共 1 人" in screen_text(app)
            line = next(x for x in screen_text(app).splitlines() if "城关派出所" in x)
            assert "张三" in line and "原民警" in line, line
            assert "20" not in line.split("原民警", 1)[1], line  # no review date shown
        await pilot.press("enter", "enter")  # to the list, then open the record
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None and "原民警" in screen_text(app))
        assert "复评" not in screen_text(app)  # the record shows no review as due
