"""Shared pieces of the Pilot tests of the issue-3 interface: a small bureau in a real
SQLCipher vault, a Backend on the test's FixedClock, and waiting on state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widget import Widget

from counselor_tui.services import accounts, persons, sessions
from counselor_tui.services.api import Backend
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.ui.app import CounselorApp, create_app
from tests.worlds import OTHER_PASSPHRASE, PASSPHRASE, World, register


async def settle(pilot: Pilot[Any], until: Callable[[], bool], rounds: int = 400) -> None:
    """Let workers finish and the screen update until ``until()`` holds (no fixed sleeps:
    each round waits for the workers, then for the message queues to empty)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if until():
            return
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
        world.ids[key] = persons.create_person(session, persons.PersonDraft(
            kind="officer", name=name, badge_no=badge, unit_id=unit, police_type=police,
            gender="male", birth_date="1985-03-12"))
    world.ids["spouse"] = persons.add_family_member(
        session, world.ids["zhang"], persons.PersonDraft(kind="family", name="刘芳"), "spouse")


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


def app_for(backend: Backend, **options: Any) -> CounselorApp:
    """The real app over ``backend``; idle checked every 50 ms (by the backend's clock)."""
    options.setdefault("idle_check_seconds", 0.05)
    return create_app(backend, **options)


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


def screen_text(app: CounselorApp) -> str:
    """Every character on the terminal now, as the user sees it (modal dialogs over the
    screens below them), like :meth:`App.export_screenshot` but as plain text."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text()


def widget_texts(app: CounselorApp) -> str:
    """The text held by every widget of every screen of the app (mounted or not)."""
    from textual.widgets import Input, Static, TextArea

    parts: list[str] = []
    for stack in app._screen_stacks.values():
        for screen in stack:
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
