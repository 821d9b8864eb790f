"""Shared pieces of the Pilot tests of the issue-3 interface: a small bureau in a real
SQLCipher vault, a Backend on the test's FixedClock, and waiting on state."""

from __future__ import annotations

import contextlib
import html
import re
import time
import weakref
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from textual.app import App
from textual.errors import NoWidget
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Footer
from textual.worker import WorkerCancelled

from counselor_tui.services import accounts, persons, sessions
from counselor_tui.services.api import Backend
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.ui.app import CounselorApp, create_app
from tests.worlds import OTHER_PASSPHRASE, PASSPHRASE, World, as_office, register

#: How long :func:`settle` waits for a state before failing (seconds of wall time: a loaded
#: machine makes every round slower, so the bound is time, not a number of rounds).
SETTLE_TIMEOUT = 120.0


async def settle(pilot: Pilot[Any], until: Callable[[], bool], rounds: int | None = None,
                 delay: float | None = None, timeout: float = SETTLE_TIMEOUT) -> None:
    """Let workers finish and the screen update until ``until()`` holds and the screen on top
    has been drawn (no fixed sleeps: each round waits for the workers, then for the message
    queues to empty; ``delay``: real seconds per round instead, for states an app timer
    brings). ``rounds`` is accepted and ignored (the bound is ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        # a reload that superseded another (an exclusive worker group) cancels it: the
        # app's normal course, not a failure; the next round waits for what replaced it
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause(delay)
        if until() and drawn(pilot.app):
            return
        if time.monotonic() > deadline:
            raise AssertionError("the expected state was not reached")


#: The functional tests' world (kind ``"bureau"``, see :mod:`tests.worlds`): ``path``,
#: ``clock``, ``state_dir``, ``unit1``, ``unit2`` and ``ids`` as :func:`build` fills them.
Bureau = World


def build(world: World) -> None:
    """Fill the admin's vault: units U001 城关派出所 / U002 交警大队, counselor ``li`` (U001,
    display name 李辅导), officers 张三 (010001, ``ids["zhang"]``), 张思 (010002, ``zhangsi``),
    李四 (010003, ``li4``), 王五 (020001, U002, ``wang``), and 张三's spouse 刘芳 (``spouse``)."""
    session = world.admin
    world.unit1 = persons.create_unit(session, "城关派出所", "派出所", code="U001")
    world.unit2 = persons.create_unit(session, "交警大队", "交警", code="U002")
    accounts.add_user(session, "li", "counselor", OTHER_PASSPHRASE, unit_code="U001",
                      display_name="李辅导", kdf_seconds=0)
    for key, name, badge, unit, police in (
        ("zhang", "张三", "010001", world.unit1, "派出所"),
        ("zhangsi", "张思", "010002", world.unit1, "派出所"),
        ("li4", "李四", "010003", world.unit1, "派出所"),
        ("wang", "王五", "020001", world.unit2, "交警"),
    ):
        world.ids[key] = persons.create_person(world.office, persons.PersonDraft(
            kind="officer", name=name, badge_no=badge, unit_id=unit, police_type=police,
            gender="male", birth_date="1985-03-12"))
    world.ids["spouse"] = persons.add_family_member(
        world.office, world.ids["zhang"], persons.PersonDraft(kind="family", name="刘芳"), "spouse")


def add_auditor(world: World) -> None:
    """One more account: ``shen`` (auditor, 沈审计)."""
    accounts.add_user(world.admin, "shen", "auditor", OTHER_PASSPHRASE, display_name="沈审计",
                      kdf_seconds=0)


def add_team(world: World) -> None:
    """Three more accounts: ``wang`` (counselor of U002, 王辅导), ``zhou`` (coordinator,
    周主任) and ``shen`` (:func:`add_auditor`)."""
    accounts.add_user(world.admin, "wang", "counselor", OTHER_PASSPHRASE, unit_code="U002",
                      display_name="王辅导", kdf_seconds=0)
    accounts.add_user(world.admin, "zhou", "coordinator", OTHER_PASSPHRASE,
                      display_name="周主任", kdf_seconds=0)
    add_auditor(world)


register("bureau", build)
register("bureau+auditor", build, add_auditor)
register("bureau+team", build, add_team)


def build_bureau(session: VaultSession, clock: FixedClock, state_dir: Path) -> Bureau:
    """:func:`build` inside the open admin ``session`` (slower than the ``bureau`` fixture,
    which copies a template)."""
    bureau = World(session, session.path, clock, state_dir)
    build(bureau)
    return bureau


def backend_for(bureau: Bureau, username: str | None = "li") -> Backend:
    """A Backend on the bureau's vault and clock, unlocked as ``username`` (None: locked)."""
    backend = Backend(bureau.path, clock=bureau.clock, state_dir=bureau.state_dir,
                      kdf_seconds=0)
    if username is not None:
        backend.unlock(username, PASSPHRASE if username == "admin" else OTHER_PASSPHRASE)
    return backend


def office_backend(bureau: Bureau) -> Backend:
    """A Backend on the bureau's vault holding the admin's session with the office's rights
    (:func:`tests.worlds.as_office`): the archive, imports and submissions as a coordinator
    sees them, in worlds that have no coordinator account."""
    backend = Backend(bureau.path, clock=bureau.clock, state_dir=bureau.state_dir,
                      kdf_seconds=0)
    backend.unlock("admin", PASSPHRASE)
    backend.adopt(as_office(backend.vs))
    return backend


def app_for(backend: Backend, **options: Any) -> CounselorApp:
    """The real app over ``backend``; idle checked every 0.25 s (by the backend's clock: a
    test moves the clock and waits for the lock); its notifications recorded
    (:func:`notices`). Every 50 ms cost an idle app 6 ms of CPU per second of the test's
    wall time (0.9 ms at 1 s), more the slower a loaded machine runs the test."""
    options.setdefault("idle_check_seconds", 0.25)
    return record_notices(create_app(backend, **options))


_NOTICES: weakref.WeakKeyDictionary[App[Any], list[str]] = weakref.WeakKeyDictionary()


def record_notices(app: CounselorApp) -> CounselorApp:
    """Keep the message of every notification ``app`` shows from now on, for :func:`notices`
    (a toast disappears after its timeout, which a loaded machine can pass before a test
    looks); :meth:`App.clear_notifications` empties the record too. Returns ``app``."""
    shown: list[str] = []
    notify, clear = app.notify, app.clear_notifications

    def recording_notify(message: str, **options: Any) -> None:
        shown.append(str(message))
        notify(message, **options)

    def recording_clear() -> None:
        shown.clear()
        clear()

    app.notify = recording_notify  # type: ignore[method-assign]
    app.clear_notifications = recording_clear  # type: ignore[method-assign]
    _NOTICES[app] = shown
    return app


def notices(app: App[Any]) -> list[str]:
    """The messages of the notifications shown since :func:`record_notices` (or the last
    :meth:`App.clear_notifications`), oldest first."""
    return _NOTICES[app]


def log(backend: Backend, person_id: int | None, note: str, *, at: datetime | None = None,
        follow_up: str | None = None, channel: str = "face_to_face") -> int:
    """Log a session as the backend's actor (through the service); returns its id."""
    from datetime import date

    vs = backend.vs
    draft = sessions.SessionDraft(
        person_id=person_id, started_at=at or vs.now(), channel=channel, kind="routine",
        topics=("work_stress",), duration_min=50, note=note,
        follow_up_on=date.fromisoformat(follow_up) if follow_up else None)
    return sessions.log_session(vs, draft).id


_SVG_TEXT = re.compile(r'<text [^>]*?x="([^"]+)" y="[^"]+" textLength="[^"]+" '
                       r'clip-path="url\(#[^)]*-line-(\d+)\)">(.*?)</text>')
_SVG_LINE = re.compile(r'-line-0">\s*<rect [^>]*?width="([^"]+)"')


def drawn(app: App[Any]) -> bool:
    """Whether the screen on top has been laid out, so a screenshot of it has its rows (a
    screen just pushed has not: no widget is under its top-left cell yet, not even the screen
    itself; a one-row terminal counts as drawn), its footer included: Textual rebuilds a
    footer after the screen is drawn, and a loaded machine showed it empty to tests that read
    the keys offered. Asks the screen's public :meth:`~textual.screen.Screen.get_widget_at`
    instead of rendering a screenshot (which cost 5 % of the Pilot tests' CPU when every wait
    ended with one)."""
    if app.size.height <= 1:
        return True
    try:
        app.screen.get_widget_at(0, 0)
    except NoWidget:
        return False
    return footer_filled(app)


def footer_filled(app: App[Any]) -> bool:
    """False while a shown footer of the screen on top has no key yet though the screen
    offers some to show."""
    footers = [f for f in app.screen.query(Footer) if f.display]
    if not footers or any(f.query("FooterKey") for f in footers):
        return True
    return not any(b.binding.show and b.enabled for b in app.screen.active_bindings.values())


def screen_text(app: App[Any]) -> str:
    """Every character on the terminal now, as the user sees it (modal dialogs over the
    screens below them): the text of :meth:`App.export_screenshot`, one line per row,
    trailing blanks dropped."""
    width, height = app.size
    svg = app.export_screenshot()
    line = _SVG_LINE.search(svg)
    if line is None:
        return ""
    cell = float(line.group(1)) / width  # the SVG width of one terminal cell
    rows = [[" "] * width for _ in range(height)]
    for x, y, text in _SVG_TEXT.findall(svg):
        row, column = rows[int(y)], round(float(x) / cell)
        for char in html.unescape(text).replace("\xa0", " "):
            if column < width:
                row[column] = char
            if cell_len(char) == 2 and column + 1 < width:
                row[column + 1] = ""  # the right half of a wide character
            column += cell_len(char)
    return "\n".join("".join(row).rstrip() for row in rows)


def widget_texts(app: CounselorApp) -> str:
    """The text held by every widget of every screen of the app (mounted or not)."""
    from textual.widgets import Input, Static, TextArea

    parts: list[str] = []
    for screen in app.held_screens:
        for widget in screen.query("*"):
            parts.extend(_text_of(widget, Input, Static, TextArea))
    return "\n".join(parts)


def _text_of(widget: Widget, input_cls: type, static_cls: type, area_cls: type) -> list[str]:
    if isinstance(widget, input_cls):
        return [str(widget.value)]  # type: ignore[attr-defined]
    if isinstance(widget, area_cls):
        return [str(widget.text)]  # type: ignore[attr-defined]
    if isinstance(widget, static_cls):
        return [str(widget.render())]
    return []


def shown_whole(widget: Widget) -> bool:
    """True when every cell of ``widget`` is on the terminal: not cut off by the screen's
    edge nor by a (scrolled) container around it."""
    geometry = widget.screen.find_widget(widget)
    region = geometry.region
    return (region.area > 0 and widget.screen.region.contains_region(region)
            and geometry.clip.contains_region(region))


async def tab_through_shown(pilot: Pilot[Any]) -> list[Widget]:
    """Press Tab once per control of the screen on top, asserting after each press that
    the focused control is shown whole (:func:`shown_whole`); returns the controls."""
    screen = pilot.app.screen
    visited: list[Widget] = []
    for _ in screen.focus_chain:
        await pilot.press("tab")
        await settle(pilot, lambda: pilot.app.focused is not None)
        focused = pilot.app.focused
        assert focused is not None
        await settle(pilot, lambda f=focused: shown_whole(f), timeout=10)
        visited.append(focused)
    return visited
