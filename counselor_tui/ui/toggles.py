"""Checkboxes and radio buttons that say their state by shape, not by colour alone.

Textual draws a :class:`~textual.widgets.Checkbox` as ``▐X▌`` ticked or not (only the colour
of the X changes), which reads as ticked on a monochrome terminal, to a colour-blind user
and in a screenshot. :func:`install` makes the inner mark ``✓`` when ticked and a blank
when not (radio buttons: ``●`` / blank). DESIGN §6; WCAG 2.1 SC 1.4.1 (use of colour).
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Checkbox, RadioButton


def _mark(on: str) -> Any:
    return property(lambda self: on if self.value else " ")


def install() -> None:
    """Give :class:`Checkbox` and :class:`RadioButton` their state-shaped marks
    (idempotent)."""
    Checkbox.BUTTON_INNER = _mark("✓")
    RadioButton.BUTTON_INNER = _mark("●")
