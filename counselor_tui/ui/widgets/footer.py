"""The key footer of every screen: Textual's :class:`~textual.widgets.Footer`, compact, with
the normal footer's look kept by ``styles/app.tcss``.

A footer is rebuilt on every change of the keys offered (each focus change). Textual's
footer keys start compact and a normal footer's binding then removes the compact class again,
so each key was restyled twice as it was mounted (6-14 % of the Pilot tests' CPU in a
profile). Here every key is made with the compact class already set, so binding it to the
compact footer changes nothing and restyles nothing.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class AppFooter(Footer):
    """A compact :class:`~textual.widgets.Footer` whose keys are compact from the start."""

    def __init__(self) -> None:
        super().__init__(compact=True)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_class(True, "-compact", update=False)
            yield widget
