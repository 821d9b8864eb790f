"""The shapes of the dashboard 工作台 (DESIGN §6): a section and its items.

A leaf module: every area service builds its :class:`DashboardSection` from these, and
:mod:`counselor_tui.services.dashboard` gathers them, so the gatherer can import the areas
without a loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class DashboardItem(NamedTuple):
    """One line of a section: text, optional person id (opens the record), due date (ISO),
    ``level`` ``info`` / ``warning`` / ``urgent`` (red). Immutable; a named tuple rather
    than a frozen dataclass because a province coordinator's dashboard holds some 11,000
    of them (a frozen dataclass costs about ten times as much to make, issue 18)."""

    text: str
    person_id: int | None = None
    due: str | None = None
    level: str = "info"
    ref: str = ""


@dataclass(frozen=True)
class DashboardSection:
    """A titled block of the dashboard (title already translated), with its items and an
    optional one-line summary (e.g. "3 overdue")."""

    id: str
    title: str
    items: tuple[DashboardItem, ...] = ()
    summary: str = ""
    level: str = "info"
    extra: dict[str, Any] = field(default_factory=dict)
