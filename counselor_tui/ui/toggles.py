"""Checkboxes, radio buttons and selection lists that say their state by shape, not by
colour alone.

Textual draws a :class:`~textual.widgets.Checkbox` (and each line of a
:class:`~textual.widgets.SelectionList`) as ``▐X▌`` ticked or not — only the colour of the X
changes —, which reads as ticked on a monochrome terminal, to a colour-blind user and in a
screenshot. :func:`install` makes the inner mark ``✓`` when ticked and a blank when not
(radio buttons: ``●`` / blank). DESIGN §6; WCAG 2.1 SC 1.4.1 (use of colour).
"""

from __future__ import annotations

from typing import Any

from textual.strip import Strip
from textual.widgets import Checkbox, RadioButton, SelectionList
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist

_textual_render_line = SelectionList.render_line


def _mark(on: str) -> Any:
    return property(lambda self: on if self.value else " ")


def _render_line(self: SelectionList[Any], y: int) -> Strip:
    """SelectionList's line with ``✓`` or a blank in its button (the class-wide
    ``ToggleButton.BUTTON_INNER`` is what Textual draws, so it is set for this line)."""
    _x, scroll_y = self.scroll_offset
    try:
        selection = self.get_option_at_index(scroll_y + y)
    except OptionDoesNotExist:
        return _textual_render_line(self, y)
    saved = ToggleButton.BUTTON_INNER
    ToggleButton.BUTTON_INNER = "✓" if selection.value in self._selected else " "
    try:
        return _textual_render_line(self, y)
    finally:
        ToggleButton.BUTTON_INNER = saved


def install() -> None:
    """Give checkboxes, radio buttons and selection lists their state-shaped marks
    (idempotent)."""
    Checkbox.BUTTON_INNER = _mark("✓")
    RadioButton.BUTTON_INNER = _mark("●")
    SelectionList.render_line = _render_line  # type: ignore[method-assign]
