"""The dashboard 工作台: sections contributed by every area (DESIGN §6).

Each area service module may define ``dashboard_section(vs) -> DashboardSection | None``;
:func:`gather` collects them in :data:`PROVIDERS` order (urgent first), skipping areas that
are not installed, so a new area adds its slot without touching the dashboard screen.
``counselor_tui.services.incidents:urgent_banner(vs) -> str | None`` feeds the banner shown
on every screen while an incident step is overdue or due within the hour.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from counselor_tui.services.context import VaultSession

PROVIDERS: tuple[str, ...] = (
    "counselor_tui.services.incidents:dashboard_section",
    "counselor_tui.services.sessions:dashboard_section",
    "counselor_tui.services.tier_policy:dashboard_section",
    "counselor_tui.services.tiers:dashboard_section",
    "counselor_tui.services.census:dashboard_section",
    "counselor_tui.services.firearms:dashboard_section",
    "counselor_tui.services.submissions:dashboard_section",
    "counselor_tui.services.backups:dashboard_section",
)
BANNER_PROVIDER = "counselor_tui.services.incidents:urgent_banner"


@dataclass(frozen=True)
class DashboardItem:
    """One line of a section: text, optional person id (opens the record), due date (ISO),
    ``level`` ``info`` / ``warning`` / ``urgent`` (red)."""

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


def _resolve(target: str) -> Callable[..., Any] | None:
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    fn = getattr(module, attr, None)
    return fn if callable(fn) else None


def gather(vs: VaultSession) -> list[DashboardSection]:
    """Every available section, in :data:`PROVIDERS` order."""
    sections: list[DashboardSection] = []
    for target in PROVIDERS:
        fn = _resolve(target)
        if fn is None:
            continue
        section = fn(vs)
        if section is not None:
            sections.append(section)
    return sections


def banner(vs: VaultSession) -> str | None:
    """The urgent banner text, or None when nothing is overdue or due within the hour.
    A read-only vault (lost changes, damage: issue 12) comes first, with its restore path."""
    if vs.read_only:
        return vs.read_only
    fn = _resolve(BANNER_PROVIDER)
    return None if fn is None else fn(vs)
