"""The tables that let the interface start without importing every area screen (issue 18):
``ui.areas.SCREEN_PATHS`` (area id → module and class) and ``ui.keymap.AREA_BINDING_IDS``
(the ids a keymap file may rebind) must match the real screens."""

from __future__ import annotations

from textual.binding import Binding

from counselor_tui.ui import areas, keymap
from counselor_tui.ui.registry import AREAS
from tests.helpers import fresh_interpreter


def test_every_area_screen_is_where_the_table_says_and_its_keys_are_known() -> None:
    ids: set[str] = set()
    for area_id, (module, name) in areas.SCREEN_PATHS.items():
        cls = areas.load_screen(area_id)
        assert cls is not None and (cls.__module__, cls.__name__) == (module, name)
        assert areas.area_of(cls()) == area_id
        ids |= {b.id for b in cls.BINDINGS if isinstance(b, Binding) and b.id}
    assert ids == keymap.AREA_BINDING_IDS
    assert areas.load_screen("no such area") is None
    assert set(areas.SCREEN_PATHS) <= {entry.id for entry in AREAS}


def test_the_interface_start_imports_no_area_screen_but_the_dashboard() -> None:
    """The modules the interface's first frame needs (the command line and ``commands.tui``,
    which holds the app shell) load the dashboard's screen but no other area's; reading the
    keymap's ids loads none either (a fresh interpreter)."""
    code = ("import sys\n"
            "import counselor_tui.cli, counselor_tui.commands.tui\n"
            "from counselor_tui.ui import areas, keymap\n"
            "keymap.binding_ids()\n"
            "loaded = {m for m in sys.modules if m.startswith('counselor_tui.ui.screens.')}\n"
            "print(sorted(area for area, (module, _) in areas.SCREEN_PATHS.items()\n"
            "             if module in loaded))\n")
    assert fresh_interpreter(code) == str(["dashboard", "log_session"])
