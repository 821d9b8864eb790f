"""The shape of a submission's content (DESIGN §8, ``docs/submission-json.md``): the schema
id and version, the special row and column codes, the ``series`` and ``table`` blocks and the
``period`` object. Plain data only: the content is compiled from the vault by
:mod:`counselor_tui.services.submission_compile` and rendered by the other ``reports``
modules, which never read the vault.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from counselor_tui.domain import vocab
from counselor_tui.domain.periods import Period

SCHEMA_ID = "counselor-tui/submission"
SCHEMA_VERSION = 1
BUREAU = "bureau"
#: Row code of per-unit tables for rows attributed to no unit (bureau scope only).
UNASSIGNED = "_unassigned"
#: Code of a missing value (police type not recorded, …).
UNKNOWN = "unknown"
CLIENT_KINDS: tuple[str, ...] = ("officer", "family", "other", "anonymous")
TIER_CODES: tuple[str, ...] = tuple(vocab.TIERS)
#: Tier columns of the archive table: the three tiers and "no archive yet".
TIER_COLUMNS: tuple[str, ...] = (*TIER_CODES, "none")
SCREEN_COLUMNS: tuple[str, ...] = ("positive", "negative")
STEP_COLUMNS: tuple[str, ...] = ("on_time", "late", "open_overdue", "waived", "pending")
ACTIVITY_COLUMNS: tuple[str, ...] = ("activities", "participants", "hours")
FIREARM_FIGURES: tuple[str, ...] = (
    "recommended", "restricted", "declined", "reinstated", "in_force_at_end", "pending_at_end",
)


# --------------------------------------------------------------------------- arranging


def ordered_codes(known: Sequence[str], found: Iterable[str | None]) -> list[str]:
    """``known`` codes in their order, then other codes found (sorted), then ``unknown``."""
    extra = sorted({c for c in found if c is not None and c not in known and c != UNKNOWN})
    codes = [*known, *extra]
    if any(c is None or c == UNKNOWN for c in found) and UNKNOWN not in codes:
        codes.append(UNKNOWN)
    return codes


def series(rows: Iterable[tuple[str | None, int]], known: Sequence[str]) -> dict[str, Any]:
    """``{"type": "series", "rows": [...], "counts": [...]}`` from grouped ``(code, n)``.

    Every ``known`` code appears (0 when absent); other codes follow sorted; a NULL code
    counts as ``unknown``.
    """
    counts: dict[str, int] = {}
    for code, n in rows:
        key = UNKNOWN if code is None else str(code)
        counts[key] = counts.get(key, 0) + int(n or 0)
    codes = ordered_codes(known, list(counts))
    return {"type": "series", "rows": codes, "counts": [counts.get(c, 0) for c in codes]}


def table(
    rows: Iterable[tuple[str | None, str | None, int]],
    row_codes: Sequence[str],
    col_codes: Sequence[str],
) -> dict[str, Any]:
    """``{"type": "table", "rows", "cols", "counts"}`` from grouped ``(row, col, n)``.

    Rows and columns are the given codes in order plus any other codes found (sorted);
    a NULL code counts as ``unknown``. Cells with no row are 0.
    """
    cells: dict[tuple[str, str], int] = {}
    for r, c, n in rows:
        key = (UNKNOWN if r is None else str(r), UNKNOWN if c is None else str(c))
        cells[key] = cells.get(key, 0) + int(n or 0)
    r_codes = ordered_codes(row_codes, [k[0] for k in cells])
    c_codes = ordered_codes(col_codes, [k[1] for k in cells])
    return {
        "type": "table", "rows": r_codes, "cols": c_codes,
        "counts": [[cells.get((r, c), 0) for c in c_codes] for r in r_codes],
    }


def period_json(period: Period) -> dict[str, str]:
    """``{"kind", "label", "start", "end"}`` of a period (end exclusive, ISO dates)."""
    return {"kind": period.kind, "label": period.label, "start": period.start.isoformat(),
            "end": period.end.isoformat()}


def period_from_json(data: dict[str, Any]) -> Period:
    """The :class:`Period` of a ``period`` object; ``ValueError`` when inconsistent."""
    return Period(data["kind"], date.fromisoformat(data["start"]),
                  date.fromisoformat(data["end"]))


def compiled_now(content: Mapping[str, Any]) -> datetime:
    """The compile time of ``content`` as an aware datetime."""
    return datetime.fromisoformat(content["integrity"]["compiled_at"])
