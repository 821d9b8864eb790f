"""Commands of this area are registered here once the area lands."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Nothing yet."""
