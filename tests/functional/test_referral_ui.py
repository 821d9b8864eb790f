"""Pilot test of consent and the referral export (issue 15, point 4), one app run in
Chinese: the record's c records a consent, x shows it before exporting and writes the
encrypted package (opened here with py7zr and read with python-docx: no sealed note
unless chosen), p schedules an appointment for the person."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import py7zr
import pytest
from textual.widgets import Checkbox, Input, Select, Static

from counselor_tui.i18n import set_language
from counselor_tui.services import referral, sessions
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.appointment_dialog import ScheduleDialog
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.screens.referral_dialogs import ConsentDialog, ReferralExportDialog
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.person_picker import PersonPicker
from tests.functional.ui_support import Bureau, app_for, backend_for, screen_text, settle

pytestmark = pytest.mark.world("bureau")

SEALED = "封存金丝雀：不应出现在转介档案中"


async def test_consent_then_export_then_schedule_from_the_record(
        bureau: Bureau, tmp_path: Path) -> None:
    set_language("zh")
    backend = backend_for(bureau)
    sessions.log_session(backend.vs, sessions.SessionDraft(
        person_id=bureau.ids["zhang"], started_at=backend.vs.now(), channel="hotline",
        kind="routine", topics=("work_stress",), duration_min=30, note=SEALED, sealed=True))
    app = app_for(backend, idle_minutes=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.post_message(OpenPerson(bureau.ids["zhang"]))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.loads > 0)
        record = app.screen
        assert isinstance(record, PersonScreen)

        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, ConsentDialog) and app.screen.ready)
        dialog = app.screen
        assert "未登记知情同意" in str(dialog.query_one("#cs-history", Static).render())
        dialog.query_one("#cs-referral", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is record and record.record is not None
                     and record.record.consent_on == "2026-11-29")

        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, ReferralExportDialog)
                     and app.screen.ready)
        export = app.screen
        assert isinstance(export, ReferralExportDialog)
        shown = str(export.query_one("#rx-consent", Static).render())
        assert shown == "知情同意：2026-11-29签署，范围：心理咨询、转介"
        without = export.query_one("#rx-without", Checkbox)
        assert not without.display
        export.query_one("#rx-recipient", Input).value = "市心理卫生中心"
        export.query_one("#rx-folder", Input).value = str(tmp_path / "out")
        # a transfer is not covered: said before exporting, and refused unless ticked
        export.query_one("#rx-purpose", Select).value = "transfer"
        await settle(pilot, lambda: without.display)
        assert "不包括移交" in str(export.query_one("#rx-consent", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "知情同意" in str(
            export.query_one("#rx-message", Static).render()) and not export.saving)
        assert export.result is None and not (tmp_path / "out").exists()
        export.query_one("#rx-purpose", Select).value = "referral"
        await settle(pilot, lambda: not without.display)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: export.result is not None)
        result = export.result
        assert result is not None and result.password is not None
        assert result.password in str(export.query_one("#rx-secret", Static).render())
        await settle(pilot, lambda: True)  # drawn: the password on one line, never wrapped
        assert any(result.password in line for line in screen_text(app).splitlines())
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is record)

        # fix15 A: c again starts from the consent on record, and unticking a scope of
        # it asks whether the person withdrew it (nothing recorded on No)
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, ConsentDialog) and app.screen.ready
                     and app.screen.tracking)
        again = app.screen
        assert isinstance(again, ConsentDialog)
        assert again.query_one("#cs-day", DateInput).text == "2026-11-29"
        assert [again.query_one(f"#cs-{c}", Checkbox).value for c in referral.CONSENT_SCOPES
                ] == [True, False, True, False]
        again.query_one("#cs-referral", Checkbox).value = False
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "转介" in str(app.screen.query_one("#question", Static).render())
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is again and not again.saving)
        assert len(referral.consents(backend.vs, bureau.ids["zhang"])) == 1
        again.query_one("#cs-referral", Checkbox).value = True
        await pilot.press("escape")  # unchanged again: closes without a question
        await settle(pilot, lambda: app.screen is record)
        # a withdrawal, confirmed, is recorded; the former consent stays on the record
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, ConsentDialog) and app.screen.ready
                     and app.screen.tracking)
        app.screen.query_one("#cs-referral", Checkbox).value = False
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.click("#yes")
        await settle(pilot, lambda: app.screen is record and "范围：心理咨询  " in str(
            record.query_one("#moves", Static).render()))
        shown = str(record.query_one("#moves", Static).render())
        assert shown.index("范围：心理咨询  ") < shown.index("范围：心理咨询、转介"), shown

        await pilot.press("p")
        await settle(pilot, lambda: isinstance(app.screen, ScheduleDialog) and app.screen.ready)
        picker = app.screen.query_one("#ap-person", PersonPicker)
        assert picker.person_id == bureau.ids["zhang"]
        # fix15 F: the dialog's fields are framed like the other forms' (they were bare)
        for ident in ("#ap-caller", "#ap-duration", "#ap-note"):
            assert app.screen.query_one(ident, Input).styles.border_top[0] not in (
                "", "none", "hidden"), ident
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is record)

    with py7zr.SevenZipFile(result.path, "r", password=result.password) as z:
        assert z.getnames() == [referral.DOCX_NAME]
        z.extractall(path=tmp_path / "x")
    document = docx.Document(io.BytesIO((tmp_path / "x" / referral.DOCX_NAME).read_bytes()))
    text = "".join([p.text for p in document.paragraphs] + [
        c.text for t in document.tables for r in t.rows for c in r.cells]).replace("\n", "")
    assert "张三" in text and "市心理卫生中心" in text and "知情同意：2026-11-29签署" in text
    assert SEALED not in text and "封存记录，未随档案导出" in text
