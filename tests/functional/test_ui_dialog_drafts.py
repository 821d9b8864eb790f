"""Issue 15 item 7 for dialogs: the text typed in a dialog (an addendum, a tier change's
reason) survives a lock — kept encrypted in the vault, the dialog opened again after unlock
with the text as typed, still unsaved (Esc asks), and saving it then works."""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea

from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.addendum import AddendumDialog
from counselor_tui.ui.screens.person import PersonScreen
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


async def test_dialog_text_survives_a_lock(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    session_id = log(backend, bureau.ids["zhang"], "首次谈话")
    app = app_for(backend)

    async def lock_and_unlock() -> None:
        await pilot.press("ctrl+l")
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        text = screen_text(app)
        assert "comes back when you unlock" in text or "解锁后" in text, text
        assert "discarded" not in text and "丢弃" not in text
        app.screen.query_one("#passphrase", Input).value = OTHER_PASSPHRASE
        await pilot.pause()
        await pilot.press("enter")

    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(OpenPerson(bureau.ids["zhang"]))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None and "首次谈话" in screen_text(app))
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
        assert any("typing when the vault locked is back" in n or "锁定" in n
                   for n in notices(app))
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
