"""The urgent banner shown on top of every screen (DESIGN §6, services.dashboard.banner).

The app keeps the text in its ``banner_text`` reactive (refreshed by a timer and after every
save); each :class:`Banner` watches it and hides itself while it is empty.
"""

from __future__ import annotations

from textual.widgets import Static


class Banner(Static):
    """One red line with the most urgent item (an overdue incident step …), or nothing."""

    def __init__(self) -> None:
        super().__init__("", classes="banner", markup=False)

    def on_mount(self) -> None:
        self.watch(self.app, "banner_text", self._show, init=True)

    def _show(self, text: str) -> None:
        self.update(text)
        self.display = bool(text)
