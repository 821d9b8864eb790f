"""Pilot tests of logging a session (issue 3 items 5 and 6): keystroke budget, paste of a
multi-line note, typed dates, validation in the fields, the emergency prompt, follow-ups
closing on the dashboard, corrections and addenda."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from textual import events
from textual.widgets import Input, Select, Static, TextArea

from counselor_tui.services import sessions
from counselor_tui.services.api import Backend
from counselor_tui.services.context import VaultSession
from counselor_tui.ui.app import CounselorApp
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.addendum import AddendumDialog
from counselor_tui.ui.screens.archive import ArchiveScreen
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.emergency import EmergencyScreen
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.screens.session_form import SessionFormScreen
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.form_field import FormField
from counselor_tui.ui.widgets.person_picker import PersonPicker
from counselor_tui.ui.widgets.topic_select import TopicSelect
from tests.conftest import TZ
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


def sessions_of(backend: Backend, person_id: int) -> list[sessions.SessionSummary]:
    vs = backend.vs
    with vs.reading():
        return sessions.sessions_of_person(vs, person_id)


class KeyCounter:
    """Counts the keys pressed through the pilot that are not part of typed text."""

    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self.keys = 0

    async def key(self, *keys: str) -> None:
        self.keys += len(keys)
        await self.pilot.press(*keys)

    async def type(self, text: str) -> None:
        await self.pilot.press(*text)


async def form_of(pilot: Any, app: CounselorApp) -> SessionFormScreen:
    await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen)
                 and app.screen.tracking)
    assert isinstance(app.screen, SessionFormScreen)
    return app.screen


async def test_logging_a_session_takes_at_most_ten_keys_beyond_the_text(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        count = KeyCounter(pilot)
        await count.key("f2")
        form = await form_of(pilot, app)
        await count.type("zhangsan")
        await settle(pilot, lambda: not form.query_one("#person", PersonPicker).searching)
        await count.key("enter")  # pick 张三, on to the topics
        await count.key("space")  # the first topic: work stress
        await count.key("tab")  # on to the note
        await count.type("谈工作压力")
        await count.key("ctrl+s")
        await settle(pilot, lambda: not isinstance(app.screen, SessionFormScreen))
        assert count.keys <= 10
        saved = sessions_of(backend, bureau.ids["zhang"])
        assert len(saved) == 1
        assert saved[0].note == "谈工作压力"
        assert saved[0].topics == ("work_stress",)
        assert saved[0].started_at.startswith("2026-11-29T09:00")
        assert isinstance(app.screen, DashboardScreen)
        await settle(pilot, lambda: any("Session saved" in n for n in notices(app)))


async def test_a_pasted_multi_line_note_keeps_every_line(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    note = "第一行：来访者自述压力大\n第二行：睡眠差\n\n第四行：  缩进保留\n"
    async with app.run_test(size=(110, 40)) as pilot:
        app.post_message(OpenPerson(bureau.ids["zhangsi"]))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None)
        await pilot.press("f2")
        form = await form_of(pilot, app)
        await pilot.press("space", "tab")
        assert isinstance(app.focused, TextArea)
        app.post_message(events.Paste(note))
        await settle(pilot, lambda: form.query_one("#note", TextArea).text == note)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen))
        assert sessions_of(backend, bureau.ids["zhangsi"])[0].note == note
        await settle(pilot, lambda: "第二行：睡眠差" in screen_text(app))


#: What a clerk types into the start field, and the moment it must mean.
CLERK_DATES: list[tuple[str, datetime]] = [
    ("今天 14:30", datetime(2026, 11, 29, 14, 30, tzinfo=TZ)),
    ("昨天", datetime(2026, 11, 28, 0, 0, tzinfo=TZ)),
    ("2026-11-03", datetime(2026, 11, 3, 0, 0, tzinfo=TZ)),
    ("2026年11月3日 9点", datetime(2026, 11, 3, 9, 0, tzinfo=TZ)),
    ("11-03 下午2点", datetime(2026, 11, 3, 14, 0, tzinfo=TZ)),
    ("２０２６－１１－０３", datetime(2026, 11, 3, 0, 0, tzinfo=TZ)),
]


async def test_the_date_field_reads_what_a_clerk_types(bureau: Bureau) -> None:
    """Every form of :data:`CLERK_DATES`, typed in turn into one open form."""
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        form = await form_of(pilot, app)
        started = form.query_one("#started", DateInput)
        for typed, expected in CLERK_DATES:
            started.text = typed
            await pilot.pause()
            assert started.value == expected, typed
            hint = f"→ {expected:%Y-%m-%d %H:%M}"
            await settle(pilot, lambda hint=hint: hint in screen_text(app))
            # a bare date is read as midnight, and the hint says so
            date_only = typed in ("昨天", "2026-11-03", "２０２６－１１－０３")
            shown = str(started.query_one(".date-hint", Static).render())
            assert ("no time typed: recorded as 00:00" in shown) == date_only, typed


#: What a clerk types as the follow-up date, and the day stored (the clock says 2026-11-29).
FOLLOW_UPS: list[tuple[str, date]] = [
    ("+7d", date(2026, 12, 6)), ("3天后", date(2026, 12, 2)), ("下周一", date(2026, 11, 30)),
    ("1个月后", date(2026, 12, 29)), ("2026-12-31", date(2026, 12, 31)),
]


async def test_follow_up_dates_are_read_and_stored(bureau: Bureau) -> None:
    """Each of :data:`FOLLOW_UPS` in a session logged from the record, one after another."""
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        app.post_message(OpenPerson(bureau.ids["li4"]))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None)
        before = len(sessions_of(backend, bureau.ids["li4"]))
        for logged, (typed, expected) in enumerate(FOLLOW_UPS, start=before + 1):
            await pilot.press("f2")
            form = await form_of(pilot, app)
            await pilot.press("space")
            form.query_one("#follow-up", DateInput).text = typed
            await pilot.pause()
            await pilot.press("ctrl+s")
            await settle(pilot, lambda n=logged: isinstance(app.screen, PersonScreen)
                         and len(sessions_of(backend, bureau.ids["li4"])) == n)
            latest = max(sessions_of(backend, bureau.ids["li4"]), key=lambda s: s.id)
            assert latest.follow_up_on == expected.isoformat(), typed


async def test_fields_are_checked_on_blur_and_on_save_with_messages_in_the_field(
        bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        form = await form_of(pilot, app)
        started = form.query_one("#started", DateInput)
        started.focus()
        await pilot.pause()
        started.text = "下个月"
        await pilot.press("tab")  # blur: the parser's message shows under the field
        await settle(pilot, lambda: "下个月" in form.query_one("#field-started_at",
                                                            FormField).error)
        assert form.query_one("#field-topics", FormField).error == ""  # not visited yet
        started.text = "明天 10:00"  # in the future
        await pilot.pause()
        form.query_one("#duration", Input).value = "0"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        errors = {f.name: f.error for f in form.query(FormField) if f.error}
        assert set(errors) >= {"person_id", "topics", "started_at", "duration_min"}
        assert "future" in errors["started_at"]
        assert "Please correct" in screen_text(app)
        assert isinstance(app.screen, SessionFormScreen)
        assert sessions_of(backend, bureau.ids["zhang"]) == []
        # an anonymous caller face to face is refused by the service's rule
        picker = form.query_one("#person", PersonPicker)
        picker.preset(None, anonymous=True)
        started.text = "今天 8:00"
        form.query_one("#duration", Input).value = "30"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "anonymous" in form.query_one("#field-person_id", FormField).error
        form.query_one("#channel", Select).value = "hotline"
        form.query_one("#topics", TopicSelect).select("emotional")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_high_risk_asks_at_once_to_flag_an_emergency(bureau: Bureau) -> None:
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        form = await form_of(pilot, app)
        form.query_one("#risk", Select).value = "high"
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "Flag an emergency" in screen_text(app)
        await pilot.press("enter")  # yes: the F9 screen
        # the answer reaches the app as a message after the dialog is gone: wait for the
        # screen it opens, not for the dialog to close (that state is passed on the way)
        await settle(pilot, lambda: isinstance(app.screen, EmergencyScreen))
        assert form in app.screen_stack  # the form stays open underneath


async def test_saving_closes_the_follow_up_on_the_dashboard_without_restart(
        bureau: Bureau) -> None:
    backend = backend_for(bureau)
    log(backend, bureau.ids["zhang"], "初谈", at=bureau.clock.now() - timedelta(days=7),
        follow_up="2026-11-29")
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                     and app.screen.loaded > 0)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        assert any("张三" in line for line in dashboard.text_lines())
        await pilot.press("f2")
        await form_of(pilot, app)
        await pilot.press(*"zs")
        await settle(pilot, lambda: not app.screen.query_one("#person",
                                                             PersonPicker).searching)
        await pilot.press("enter", "space", "tab", *"随访", "ctrl+s")
        await settle(pilot, lambda: app.screen is dashboard
                     and not any("张三" in line for line in dashboard.text_lines()))
        assert "张三" not in screen_text(app)


async def test_escape_asks_before_dropping_typed_text(bureau: Bureau) -> None:
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        form = await form_of(pilot, app)
        await pilot.press("escape")  # nothing typed: back at once
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        form = await form_of(pilot, app)
        form.query_one("#note", TextArea).focus()
        await pilot.press(*"半句话")
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")  # no: keep the form
        await settle(pilot, lambda: app.screen is form)
        assert form.query_one("#note", TextArea).text == "半句话"
        await pilot.press("f3")  # leaving by a global key asks too
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("left", "enter")  # "Yes, discard"
        await settle(pilot, lambda: isinstance(app.screen, ArchiveScreen))
        assert form not in app.screen_stack


async def test_a_recent_session_is_corrected_and_a_locked_one_gets_an_addendum(
        bureau: Bureau, session: VaultSession) -> None:
    backend = backend_for(bureau)
    old = log(backend, bureau.ids["zhang"], "旧记录", at=bureau.clock.now() - timedelta(hours=1))
    bureau.clock.advance(days=8)  # past the 7-day edit window of the first session
    recent = log(backend, bureau.ids["zhang"], "新记录")
    bureau.clock.advance(minutes=1)
    app = app_for(backend)
    async with app.run_test(size=(110, 50)) as pilot:
        app.post_message(OpenPerson(bureau.ids["zhang"]))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None)
        person = app.screen
        assert isinstance(person, PersonScreen)
        person.query_one("#sessions").focus()
        await pilot.press("home", "enter")  # the newest: still editable
        form = await form_of(pilot, app)
        assert form.editing is not None and form.editing.id == recent
        form.query_one("#note", TextArea).text = "新记录（已更正）"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is person and person.record is not None
                     and person.record.sessions[0].note == "新记录（已更正）")
        person.query_one("#sessions").focus()
        await pilot.press("end", "enter")  # the old one: locked, so an addendum
        await settle(pilot, lambda: isinstance(app.screen, AddendumDialog))
        await pilot.press(*"补充电话随访正常")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is person and person.record is not None
                     and any(s.id == old and s.addenda for s in person.record.sessions))
        assert "补充电话随访正常" in screen_text(app)


async def test_the_addendum_dialog_shows_the_whole_long_note(bureau: Bureau) -> None:
    """The record shows the first lines of a note; the addendum dialog shows all of it
    (read-only) with the earlier addenda, so a counselor can read before adding."""
    backend = backend_for(bureau)
    lines = [f"第{i}行：情况记录" for i in range(1, 13)]
    old = log(backend, bureau.ids["zhang"], "\n".join(lines),
              at=bureau.clock.now() - timedelta(hours=1))
    bureau.clock.advance(days=8)
    from counselor_tui.services import sessions as session_service
    session_service.add_addendum(backend.vs, old, "第一次补充")
    app = app_for(backend)
    async with app.run_test(size=(110, 50)) as pilot:
        app.post_message(OpenPerson(bureau.ids["zhang"]))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None)
        assert "第12行" not in screen_text(app)  # the record shows the first lines only
        app.screen.query_one("#sessions").focus()
        await pilot.press("home", "enter")
        await settle(pilot, lambda: isinstance(app.screen, AddendumDialog))
        shown = app.screen.query_one("#addendum-note", TextArea)
        assert shown.read_only
        assert shown.text == "\n".join(lines) + "\n\n+ 第一次补充"
        assert app.focused is app.screen.query_one("#addendum-text", TextArea)


async def test_every_tab_stop_of_the_form_is_a_field(bureau: Bureau) -> None:
    """No invisible focus stop (a scroll container) where typed text would be lost."""
    from textual.containers import VerticalScroll

    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        await form_of(pilot, app)
        stops = []
        for _ in range(20):
            await pilot.press("tab")
            stops.append(app.focused)
        assert stops and all(w is not None for w in stops)
        assert not [w for w in stops if isinstance(w, VerticalScroll)]


async def test_a_typed_non_integer_duration_is_kept_and_refused(bureau: Bureau) -> None:
    """"1.5" (hours?) must not silently become 15 minutes."""
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        form = await form_of(pilot, app)
        duration = form.query_one("#duration", Input)
        duration.focus()
        duration.value = ""
        await pilot.press(*"1.5")
        assert duration.value == "1.5"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: bool(form.query_one("#field-duration_min",
                                                        FormField).error))
        assert "whole minutes" in form.query_one("#field-duration_min", FormField).error


async def test_a_date_message_goes_as_soon_as_the_text_reads(bureau: Bureau) -> None:
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        form = await form_of(pilot, app)
        started = form.query_one("#started", DateInput)
        field = form.query_one("#field-started_at", FormField)
        started.focus()
        await pilot.pause()
        started.text = "2026-13-45"
        await pilot.press("tab")  # blur: the message shows
        await settle(pilot, lambda: "13" in field.error)
        started.text = "今天 8:00"
        await settle(pilot, lambda: field.error == "")


async def test_an_anonymous_caller_gets_a_caller_label(bureau: Bureau) -> None:
    """…and a category, and the form lists the past anonymous contacts of the label as it
    is typed (issue 15 item 6)."""
    backend = backend_for(bureau)
    for label, kind in (("热线来电A", "family"), ("热线来电B", "officer")):
        sessions.log_session(backend.vs, sessions.SessionDraft(
            person_id=None, started_at=bureau.clock.now() - timedelta(days=3),
            channel="hotline", kind="routine", topics=("children_education",),
            duration_min=20, caller_label=label, caller_kind=kind))
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        form = await form_of(pilot, app)
        label_field = form.query_one("#field-caller_label", FormField)
        assert not label_field.display  # only for the anonymous caller
        await pilot.press(*"nimi")  # no match: the anonymous caller is highlighted
        await settle(pilot, lambda: not form.query_one("#person", PersonPicker).searching)
        await pilot.press("enter")
        await settle(pilot, lambda: label_field.display)
        assert app.focused is form.query_one("#caller-label", Input)
        history = form.query_one("#anonymous-history", Static)
        assert form.query_one("#field-caller_kind", FormField).display
        await settle(pilot, lambda: "热线来电B" in str(history.render()))
        await pilot.press(*"热线来电A")
        await settle(pilot, lambda: "热线来电B" not in str(history.render()))
        assert "热线来电A · family member" in str(history.render())
        await pilot.press("enter")  # Enter goes on to the topics
        await pilot.press("space")
        form.query_one("#channel", Select).value = "hotline"
        form.query_one("#caller-kind", Select).value = "family"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        vs = backend.vs
        with vs.reading():
            rows = list(vs.execute("SELECT person_id, caller_label, channel, caller_kind "
                                   "FROM counseling_session ORDER BY id DESC LIMIT 1"))
        assert [tuple(r) for r in rows] == [(None, "热线来电A", "hotline", "family")]


async def test_imminent_risk_asks_for_an_emergency_then_offers_a_firearm_recommendation(
        bureau: Bureau) -> None:
    from counselor_tui.services import firearms
    from counselor_tui.ui.screens.firearm_recommend import FirearmRecommendModal

    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        form = await form_of(pilot, app)
        await pilot.press(*"zhangsan")
        await settle(pilot, lambda: not form.query_one("#person", PersonPicker).searching)
        await pilot.press("enter", "space")
        form.query_one("#risk", Select).value = "imminent"
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "Flag an emergency" in screen_text(app)
        await pilot.press("right", "enter")  # "Not now": the form stays
        await settle(pilot, lambda: app.screen is form)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, FirearmRecommendModal))
        modal = app.screen
        assert isinstance(modal, FirearmRecommendModal)
        assert modal.person_id == bureau.ids["zhang"]
        await settle(pilot, lambda: "imminent risk" in screen_text(app)
                     and "张三" in screen_text(app))
        assert any("Suggested tier: red (confirm it on the record)" in n for n in notices(app))
        assert firearms.active_status(backend.vs, bureau.ids["zhang"]) is None  # nothing yet
        await pilot.press("escape")  # not now: nothing is recorded
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert firearms.register(backend.vs) == []
        saved = sessions_of(backend, bureau.ids["zhang"])
        assert [s.risk for s in saved] == ["imminent"]


async def test_no_firearm_prompt_for_a_family_member(bureau: Bureau) -> None:
    """The firearm prompt is for officers only: a family member's imminent risk asks about
    the emergency, and the save goes straight back."""
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        form = await form_of(pilot, app)
        await pilot.press(*"liufang")
        await settle(pilot, lambda: not form.query_one("#person", PersonPicker).searching)
        await pilot.press("enter", "space")
        form.query_one("#risk", Select).value = "imminent"
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("right", "enter")  # not now
        await settle(pilot, lambda: app.screen is form)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert [s.risk for s in sessions_of(backend, bureau.ids["spouse"])] == ["imminent"]


@pytest.mark.world("bureau+team")
async def test_a_concurrent_edit_is_told_and_both_texts_are_kept(bureau: Bureau) -> None:
    """Two counselors edit one session (issue 14): li has the correction form open in the
    app while 周主任, in another session, saves the same session first — in the same second
    (the clock does not move). li's ctrl+s writes nothing and says who changed what; her
    text stays in the form and 周主任's stays in the record; a second ctrl+s then saves
    li's version over it deliberately."""
    backend = backend_for(bureau)
    sid = log(backend, bureau.ids["zhang"], "原记录")
    app = app_for(backend)
    async with app.run_test(size=(110, 50)) as pilot:
        app.post_message(OpenPerson(bureau.ids["zhang"]))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None)
        person = app.screen
        assert isinstance(person, PersonScreen)
        person.query_one("#sessions").focus()
        await pilot.press("home", "enter")
        form = await form_of(pilot, app)
        assert form.editing is not None and form.editing.id == sid
        # meanwhile, in 周主任's own session (another connection), the same session is saved
        other = backend_for(bureau, "zhou")
        shown = sessions.get_session(other.vs, sid)
        sessions.update_session(other.vs, sid, sessions.SessionDraft(
            person_id=bureau.ids["zhang"], started_at=datetime.fromisoformat(shown.started_at),
            channel=shown.channel, kind=shown.kind, topics=shown.topics,
            duration_min=shown.duration_min, note="周主任补充的记录"), shown.version)
        other.lock()
        form.query_one("#note", TextArea).text = "李的更正"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: any("周主任" in n for n in notices(app)))
        assert app.screen is form  # still open, nothing saved
        told = "\n".join(notices(app))
        assert "周主任 at 09:00 (note)" in told and "Nothing was saved" in told
        assert form.query_one("#note", TextArea).text == "李的更正"  # her text is kept
        assert sessions.get_session(backend.vs, sid).note == "周主任补充的记录"  # and his
        await pilot.press("ctrl+s")  # told, she saves her version over it
        await settle(pilot, lambda: app.screen is person and person.record is not None
                     and person.record.sessions[0].note == "李的更正")
    assert sessions.get_session(backend.vs, sid).note == "李的更正"
