"""Shown instead of every screen while the terminal is smaller than the app can lay out.

The app switches to a mode holding only this screen below its minimum size
(:data:`counselor_tui.ui.sizes.MIN_WIDTH` × :data:`~counselor_tui.ui.sizes.MIN_HEIGHT`) and back
to the working screens, as they were, once the window is big enough again; no other screen
is laid out at a size it cannot take. It is a modal screen so that the screens it hides
treat it like a dialog on top (the person record does not reload, and audit another view,
when the window is made bigger again).

No keys of its own: the global keys (ctrl+q, ctrl+l) still work.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from counselor_tui.i18n import _
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.sizes import MIN_HEIGHT, MIN_WIDTH


class TooSmallScreen(BaseScreen):
    """One short line: the window is too small (and how big it must be)."""

    DEFAULT_CSS = """
    TooSmallScreen {
        background: $surface;
        align: center middle;
        overflow: hidden hidden;  /* no scrollbar that comes and goes at 1 × 1 */
    }
    TooSmallScreen > Static {
        width: 100%;
        height: auto;
        text-align: center;
        color: $warning;
        overflow: hidden hidden;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(_("Window too small: make it at least {width}×{height}.").format(
            width=MIN_WIDTH, height=MIN_HEIGHT), id="too-small", markup=False)
