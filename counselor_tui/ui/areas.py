"""Open the screens of :data:`counselor_tui.ui.registry.AREAS` lazily, by name.

Areas are built by several people at different times: a screen module that is not there
yet is reported as ``None`` (the shell shows "not available yet") instead of an error.
"""

from __future__ import annotations

import importlib
from typing import Any

from textual.screen import Screen

from counselor_tui.ui.registry import AREAS, Area

#: Areas opened on top of the current screen (a form you return from), not instead of it.
FORM_AREAS = frozenset({"log_session", "emergency"})


def area(area_id: str) -> Area | None:
    """The registry entry ``area_id``, or None."""
    return next((a for a in AREAS if a.id == area_id), None)


def screen_class(entry: Area) -> type[Screen[Any]] | None:
    """The screen class of ``entry``, or None while its module or class does not exist.

    An import error *inside* an existing module is not hidden: it propagates.
    """
    module_name, _sep, class_name = entry.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            return None
        raise
    found = getattr(module, class_name, None)
    if isinstance(found, type) and issubclass(found, Screen):
        return found
    return None
