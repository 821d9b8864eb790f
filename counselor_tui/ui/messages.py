"""App-wide requests that any screen may post; the app shell handles them.

Screen-specific messages are nested in their screen or widget class; these three are the
navigation and refresh requests every area shares.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message


class OpenPerson(Message):
    """Open the person record of ``person_id`` on top of the current screen."""

    def __init__(self, person_id: int) -> None:
        super().__init__()
        self.person_id = person_id


class OpenArea(Message):
    """Open the registry area ``area_id`` (``counselor_tui.ui.registry.AREAS``) with the
    keyword arguments ``options`` given to its screen class."""

    def __init__(self, area_id: str, **options: Any) -> None:
        super().__init__()
        self.area_id = area_id
        self.options = options


class DataChanged(Message):
    """Something was saved (``what``: ``session``, ``person``, ``roster`` …): the app
    refreshes the banner and the dashboard."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what
