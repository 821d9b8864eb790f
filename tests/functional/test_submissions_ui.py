"""Pilot tests of the submissions screen (F7): compile with progress, preview as published,
narrative, finalize, export with a generated password shown once; versions list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, ProgressBar, Static, TextArea

from counselor_tui.reports import package as pkg
from counselor_tui.services import accounts, lifecycle, settings, submissions
from counselor_tui.services.api import Backend
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.ui.app import create_app
from counselor_tui.ui.screens.finalize_dialog import FinalizeDialog
from counselor_tui.ui.screens.submission_export import SubmissionExportModal
from counselor_tui.ui.screens.submissions import SubmissionsScreen
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, TZ
from tests.functional.ui_support import screen_text, settle, shown_whole, tab_through_shown
from tests.integration.submission_fixtures import populate
from tests.worlds import as_admin, as_office


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 2, 9, 0, tzinfo=TZ))


@pytest.fixture
def admin(created: lifecycle.CreatedVault, clock: FixedClock,
          state_dir: Path) -> Iterator[VaultSession]:
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    populate(vs)
    yield as_office(vs)  # submissions are the office's (DESIGN §5)
    vs.close()


def backend_for(vs: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
                state_dir: Path) -> Backend:
    backend = Backend(created.path, clock=clock, state_dir=state_dir, kdf_seconds=0)
    backend.adopt(vs)
    return backend


async def open_screen(pilot: Pilot[Any]) -> SubmissionsScreen:
    app: Any = pilot.app
    await settle(pilot, lambda: app.working)
    await pilot.press("f7")
    await settle(pilot, lambda: isinstance(app.screen, SubmissionsScreen)
                 and app.screen.query_one("#sb-scope").value == "bureau")
    screen = app.screen
    assert isinstance(screen, SubmissionsScreen)
    return screen


async def test_compile_preview_narrative_finalize_export(
        admin: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
        state_dir: Path, tmp_path: Path) -> None:
    app = create_app(backend_for(admin, created, clock, state_dir), idle_minutes=60)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await open_screen(pilot)
        assert screen.query_one("#sb-period", Input).value == "2026-11"  # last month
        # nothing runs until asked, and the screen says how to ask
        assert "press Enter in the period, or C" in str(
            screen.query_one("#sb-status", Static).render())
        await pilot.click("#sb-compile")
        await settle(pilot, lambda: screen.detail is not None and screen.rendered > 0)
        assert screen.query_one("#sb-progress", ProgressBar).percentage == 1.0
        assert screen.detail is not None and screen.detail.info.status == "draft"
        status = str(screen.query_one("#sb-status", Static).render())
        assert "2026-11 · whole bureau · version 1 · draft" in status
        cells = screen.preview_cells()
        assert "<3" in cells and "x" in cells  # as the documents print them
        sessions = screen.detail.document["sections"]["counseling"]["figures"]["sessions"]
        assert str(sessions) in cells
        tables = list(screen.query("#sb-preview DataTable"))
        assert len(tables) >= 15
        await pilot.press("e")
        await settle(pilot, lambda: screen.rendered > 1)
        assert "<3" not in screen.preview_cells()  # exact figures
        await pilot.press("e")
        await settle(pilot, lambda: screen.rendered > 2)
        # narrative: typed, then ctrl+s (the app's save key) stores it
        screen.query_one("#sb-highlights", TextArea).text = "完成第四季度普查。\n开展讲座。"
        screen.query_one("#sb-plan", TextArea).text = "继续随访。"
        assert screen.has_unsaved_changes()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: not screen.has_unsaved_changes())
        stored = submissions.get(admin, screen.detail.info.id).narrative
        assert stored["highlights"] == "完成第四季度普查。\n开展讲座。"
        # finalize after confirming
        screen.query_one("#sb-versions", DataTable).focus()
        await pilot.press("f")
        await settle(pilot, lambda: isinstance(app.screen, FinalizeDialog))
        dialog = app.screen
        assert isinstance(dialog, FinalizeDialog) and dialog.chosen == "秘密"  # the default
        assert not dialog.query("#fz-missing")  # the bureau's document settings are set
        assert dialog.query_one("#fz-years", Input).value == "0"  # the setting: statutory
        await pilot.click("#fz-level-2")  # 机密
        await settle(pilot, lambda: dialog.chosen == "机密")
        dialog.query_one("#fz-years", Input).value = "2"
        await pilot.click("#yes")
        await settle(pilot, lambda: screen.detail is not None
                     and screen.detail.info.status == "final")
        assert screen.detail.document["filing"]["classification"] == "机密"
        assert screen.detail.document["filing"]["classification_years"] == 2
        assert screen.query_one("#sb-highlights", TextArea).read_only
        # export with a generated password, shown once
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, SubmissionExportModal))
        modal = app.screen
        assert isinstance(modal, SubmissionExportModal)
        modal.query_one("#sx-folder", Input).value = str(tmp_path / "out")
        assert modal.query_one("#sx-generate", Checkbox).value
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: modal.result is not None)
        assert modal.result is not None and modal.result.password is not None
        secret = str(modal.query_one("#sx-secret", Static).render())
        assert modal.result.password in secret
        await settle(pilot, lambda: True)  # drawn: the password on one line, never wrapped
        assert any(modal.result.password in line for line in screen_text(app).splitlines())
        password = modal.result.password
        path = modal.result.path
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen and screen.detail is not None
                     and screen.detail.info.status == "exported")
        await settle(pilot, lambda: len(screen.versions) == 1)
        versions = screen.query_one("#sb-versions", DataTable)
        assert versions.row_count == 1
        finalized = str(versions.get_row_at(0)[4])  # as people write times, not ISO 8601
        assert finalized == "2026-12-02 9:00", finalized
        # a correction (version 2) starts the dialog from version 1's 机密 and term
        await pilot.click("#sb-compile")
        await settle(pilot, lambda: screen.detail is not None
                     and screen.detail.info.version == 2)
        screen.query_one("#sb-versions", DataTable).focus()
        await pilot.press("f")
        await settle(pilot, lambda: isinstance(app.screen, FinalizeDialog))
        again = app.screen
        assert isinstance(again, FinalizeDialog) and again.chosen == "机密"
        assert again.query_one("#fz-years", Input).value == "2"
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)
    assert pkg.verify(path, password).fingerprint == submissions.fingerprint(admin)


async def test_typed_password_must_match_and_auditor_gets_a_preview_only(
        admin: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
        state_dir: Path, tmp_path: Path) -> None:
    draft = submissions.compile_draft(admin, "2026-11")
    submissions.finalize(admin, draft.info.id)
    accounts.add_user(as_admin(admin), "audit", "auditor", OTHER_PASSPHRASE, kdf_seconds=0)
    app = create_app(backend_for(admin, created, clock, state_dir), idle_minutes=60)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await open_screen(pilot)
        await settle(pilot, lambda: len(screen.versions) == 1)
        screen.query_one("#sb-versions", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: screen.detail is not None)
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, SubmissionExportModal))
        modal = app.screen
        assert isinstance(modal, SubmissionExportModal)
        modal.query_one("#sx-folder", Input).value = str(tmp_path / "typed")
        modal.query_one("#sx-generate", Checkbox).value = False
        modal.query_one("#sx-password", Input).value = "quiet amber orchard 77"
        modal.query_one("#sx-password2", Input).value = "quiet amber orchard 78"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "differ" in str(modal.query_one("#sx-message", Static).render())
        modal.query_one("#sx-password2", Input).value = "quiet amber orchard 77"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: modal.result is not None)
        assert modal.result is not None and modal.result.password is None
        assert str(modal.query_one("#sx-secret", Static).render()) == ""
        assert pkg.verify(modal.result.path, "quiet amber orchard 77").fingerprint
    auditor = lifecycle.unlock(created.path, "audit", OTHER_PASSPHRASE, clock=clock,
                           state_dir=state_dir)
    app = create_app(backend_for(auditor, created, clock, state_dir), idle_minutes=60)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await open_screen(pilot)
        screen.query_one("#sb-period", Input).value = "2026-Q4"
        await pilot.click("#sb-compile")
        await settle(pilot, lambda: screen.document is not None)
        assert screen.detail is None
        assert "preview, not stored" in str(screen.query_one("#sb-status", Static).render())
    assert [v.version for v in submissions.list_versions(admin)] == [1]
    auditor.close()


async def test_finalize_dialog_names_missing_filing_elements_and_needs_the_override(
        admin: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
        state_dir: Path) -> None:
    """Without 主送机关 and 签发人 the dialog says so; finalizing without ticking "finalize
    without them" is refused (the draft stays a draft), with the box ticked it is final."""
    settings.save_settings(as_admin(admin), {"doc_recipient": "", "doc_signer": ""})
    draft = submissions.compile_draft(admin, "2026-11")
    app = create_app(backend_for(admin, created, clock, state_dir), idle_minutes=60)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await open_screen(pilot)
        await settle(pilot, lambda: len(screen.versions) == 1)
        screen.query_one("#sb-versions", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: screen.detail is not None)
        for tick in (False, True):
            screen.query_one("#sb-versions", DataTable).focus()
            await pilot.press("f")
            await settle(pilot, lambda: isinstance(app.screen, FinalizeDialog))
            dialog = app.screen
            assert isinstance(dialog, FinalizeDialog)
            warning = str(dialog.query_one("#fz-missing", Static).render())
            assert "主送机关" in warning and "签发人" in warning and "发文字号" not in warning
            dialog.query_one("#fz-incomplete", Checkbox).value = tick
            await pilot.click("#yes")
            if not tick:
                await settle(pilot, lambda d=dialog: app.screen is not d
                             and app.screen is not screen)  # the refusal is shown
                assert submissions.get(admin, draft.info.id).info.status == "draft"
                await pilot.press("escape")
                await settle(pilot, lambda: app.screen is screen)
        await settle(pilot, lambda: screen.detail is not None
                     and screen.detail.info.status == "final")


@pytest.mark.parametrize("missing", [False, True])
async def test_finalize_dialog_fits_80x24_and_every_control_is_shown_when_focused(
        admin: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
        state_dir: Path, missing: bool) -> None:
    """A tester at 80x24: the 定稿/取消 buttons were below the screen and Tab did not bring
    them into view. Now the question and the focused 定稿 show on opening; with the
    missing-elements warning (a taller dialog) every control scrolls into view on Tab."""
    settings.save_settings(as_admin(admin), {
        "doc_recipient": "" if missing else "示范市公安局政治部",
        "doc_signer": "" if missing else "赵国平"})
    submissions.compile_draft(admin, "2026-11")
    app = create_app(backend_for(admin, created, clock, state_dir), idle_minutes=60)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        assert shown_whole(screen.query_one("#sb-compile"))  # the 汇总 button at 80 columns
        await settle(pilot, lambda: len(screen.versions) == 1)
        screen.query_one("#sb-versions", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: screen.detail is not None)
        await pilot.press("f")
        await settle(pilot, lambda: isinstance(app.screen, FinalizeDialog))
        dialog = app.screen
        yes = dialog.query_one("#yes")
        await settle(pilot, lambda: app.focused is yes and shown_whole(yes))
        if not missing:  # all of it fits: question, choices, term and both buttons
            for widget in ("#question", "#fz-classification", "#fz-years", "#no"):
                assert shown_whole(dialog.query_one(widget)), widget
        visited = await tab_through_shown(pilot)
        assert {"yes", "no", "fz-years"} <= {w.id for w in visited}
        assert ("fz-incomplete" in {w.id for w in visited}) is missing


async def test_c_compiles_on_arrival_and_enter_in_the_period_still_does(
        admin: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
        state_dir: Path) -> None:
    """A tester pressed C (汇总 in F1) on opening F7 and it replaced 2026-11 in the period
    with "C". On arrival the screen's keys act as the status line says; Enter typed in the
    period compiles too."""
    app = create_app(backend_for(admin, created, clock, state_dir), idle_minutes=60)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        period = screen.query_one("#sb-period", Input)
        assert "press Enter in the period, or C" in str(
            screen.query_one("#sb-status", Static).render())
        await pilot.press("c")
        await settle(pilot, lambda: screen.detail is not None)
        assert period.value == "2026-11" and screen.detail.info.period_label == "2026-11"
        period.focus()
        await pilot.press("end", *["backspace"] * 7, *"2026-Q4", "enter")
        await settle(pilot, lambda: screen.detail is not None
                     and screen.detail.info.period_label == "2026-Q4")
