"""The smallest window the app lays its screens out in (a leaf: imports nothing of the app).

Below :data:`MIN_WIDTH` × :data:`MIN_HEIGHT` cells the app shows only "window too small"
(:class:`counselor_tui.ui.screens.too_small.TooSmallScreen`); the screens need about
50 × 12 cells.
"""

from __future__ import annotations

#: Below this size only "window too small" is shown.
MIN_WIDTH = 50
MIN_HEIGHT = 12


def too_small(width: int, height: int) -> bool:
    """True below :data:`MIN_WIDTH` × :data:`MIN_HEIGHT` cells."""
    return width < MIN_WIDTH or height < MIN_HEIGHT
