"""Disclosure control applied to a submission's content (DESIGN §8 "Disclosure control").

Every protected table of :data:`counselor_tui.reports.spec.SECTIONS` goes through
:func:`counselor_tui.domain.disclosure.suppress` (two-way tables) or
:func:`~counselor_tui.domain.disclosure.suppress_series` (one-way tables): cells of 1..k−1
become ``<k`` (primary), further cells ``x`` (complementary) so that no hidden value can be
recomputed from the table's totals; zeros are always shown. Protected headline figures get the
threshold rule alone (they have no totals); a figure that ``follows`` another (the hours of the
sessions) is hidden whenever that one is.

Linked tables. Several tables of a section break the same total down in different ways (the
sessions by channel, by kind, by unit …), and that total is also a headline figure. Their only
shared figure is that grand total; each other margin is published in one table only
(:mod:`.spec`). The disclosure module may hide a table's grand total as a complement (a series
whose non-zero cells are all small; a two-way table with a lone small cell in a row and column
of its own). For a table whose grand total is shared (``shared_total``) that would publish in
one place what is hidden in another — with the total known, a series of four hidden cells
summing to 4 is all ones. Such a table is therefore:

* *demoted* when it is a two-way table whose row totals, as a one-way table, can be published
  with their total: the document shows only the row totals (listed under ``demoted``);
* *withheld* otherwise, and always when the shared total itself is 1..k−1: the document
  shows the total alone (listed under ``withheld``).

So a shared total is hidden exactly when it is 1..k−1, everywhere, and every published
breakdown of it is protected on its own.

The census campaign list publishes, per campaign, the officers targeted and those who
completed; both get the threshold rule and the completion rate is hidden with either.

:func:`protect` returns a :class:`Protection` (what the documents may print);
:func:`record` turns it into the JSON ``disclosure`` object listing every hidden cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from counselor_tui.domain.disclosure import (
    COMPLEMENTARY_MARKER,
    WITHHELD_MARKER,
    Cell,
    CellRef,
    CellStatus,
    CountSeries,
    CountTable,
    SuppressedSeries,
    SuppressedTable,
    primary_marker,
    suppress,
    suppress_series,
)
from counselor_tui.reports.spec import CAMPAIGN_COLUMNS, CAMPAIGNS, SECTIONS, table_id

Number = int | float


@dataclass(frozen=True)
class Shown:
    """A figure as published: ``value`` (None when hidden) and its :class:`CellStatus`."""

    value: Number | None
    status: CellStatus

    @property
    def hidden(self) -> bool:
        """True when the value is not printed."""
        return self.status is not CellStatus.PUBLISHED


@dataclass
class Protection:
    """What the documents of one submission may print, for threshold ``k``.

    * ``tables``: ``{"section.table": SuppressedTable | SuppressedSeries}`` for every protected
      table (a demoted table maps to the series of its row totals);
    * ``demoted``: ids of demoted tables; ``withheld``: ids of withheld tables (not in
      ``tables``);
    * ``figures``: ``{"section": {figure: Shown}}`` for every figure of :data:`SECTIONS`;
    * ``campaigns``: one ``{"target": Shown, "completed": Shown}`` per census campaign;
    * ``withheld_totals``: the total of a withheld table that linked suppression hid as well
      (``x`` or ``…``; otherwise a withheld table prints its total, ``<k`` when small).
    """

    k: int
    tables: dict[str, SuppressedTable | SuppressedSeries] = field(default_factory=dict)
    demoted: set[str] = field(default_factory=set)
    withheld: set[str] = field(default_factory=set)
    figures: dict[str, dict[str, Shown]] = field(default_factory=dict)
    campaigns: list[dict[str, Shown]] = field(default_factory=list)
    withheld_totals: dict[str, CellStatus] = field(default_factory=dict)


def count_table(data: Mapping[str, Any]) -> CountTable | CountSeries:
    """The :mod:`~counselor_tui.domain.disclosure` table of a content table object."""
    if data["type"] == "series":
        return CountSeries(tuple(data["rows"]), tuple(int(v) for v in data["counts"]))
    if data["type"] == "table":
        return CountTable(tuple(data["rows"]), tuple(data["cols"]),
                          tuple(tuple(int(v) for v in row) for row in data["counts"]))
    raise ValueError(f"not a count table: {data['type']!r}")


def _threshold(value: int, k: int) -> Shown:
    if 1 <= value < k:
        return Shown(None, CellStatus.PRIMARY)
    return Shown(value, CellStatus.PUBLISHED)


def protect(content: Mapping[str, Any], k: int) -> Protection:
    """Apply disclosure control with threshold ``k`` to every section of ``content``.

    Deterministic (the disclosure module breaks ties by table order). Raises
    :class:`counselor_tui.domain.disclosure.InvalidTableError` for ``k`` < 2 or a malformed
    table.
    """
    out = Protection(k)
    sections = content["sections"]
    for spec in SECTIONS:
        data = sections.get(spec.key, {})
        shown: dict[str, Shown] = {}
        figures = data.get("figures", {})
        for fig in spec.figures:
            value = figures.get(fig.key, 0)
            if fig.protected and isinstance(value, int):
                shown[fig.key] = _threshold(value, k)
            else:
                shown[fig.key] = Shown(value, CellStatus.PUBLISHED)
        for fig in spec.figures:
            if fig.follows and shown[fig.follows].hidden:
                shown[fig.key] = Shown(None, CellStatus.COMPLEMENTARY)
        out.figures[spec.key] = shown
        tables = data.get("tables", {})
        for tspec in spec.tables:
            if not tspec.protected or tspec.key not in tables:
                continue
            tid = table_id(spec.key, tspec.key)
            source = count_table(tables[tspec.key])
            if not tspec.shared_total:
                out.tables[tid] = (suppress_series(source, k) if isinstance(source, CountSeries)
                                   else suppress(source, k))
                continue
            grand = source.total if isinstance(source, CountSeries) else source.grand_total
            if 1 <= grand < k:
                out.withheld.add(tid)
                continue
            result = (suppress_series(source, k) if isinstance(source, CountSeries)
                      else suppress(source, k))
            if _total_of(result).status is CellStatus.PUBLISHED:
                out.tables[tid] = result
                continue
            if isinstance(source, CountTable):
                rows = suppress_series(CountSeries(source.row_labels, source.row_totals), k)
                if rows.total.status is CellStatus.PUBLISHED:
                    out.demoted.add(tid)
                    out.tables[tid] = rows
                    continue
            out.withheld.add(tid)
    for campaign in sections.get("census", {}).get(CAMPAIGNS, []):
        out.campaigns.append({key: _threshold(int(campaign[key]), k)
                              for key, _label in CAMPAIGN_COLUMNS})
    return out


def _total_of(result: SuppressedTable | SuppressedSeries) -> Cell:
    return result.total if isinstance(result, SuppressedSeries) else result.grand_total


def marker(status: CellStatus, k: int) -> str:
    """The printed text of a hidden cell: ``<k`` (primary), ``…`` (withheld by linked
    suppression) or ``x`` (complementary)."""
    if status is CellStatus.WITHHELD:
        return WITHHELD_MARKER
    return primary_marker(k) if status is CellStatus.PRIMARY else COMPLEMENTARY_MARKER


def _ref_json(ref: CellRef, status: CellStatus) -> dict[str, Any]:
    return {"row": ref.row, "col": ref.col, "status": status.value}


def record(protection: Protection) -> dict[str, Any]:
    """The JSON ``disclosure`` object: ``k``, the ``markers``, ``demoted`` and ``withheld``
    table ids and,
    per table id (``section.table``, ``section.figures``, ``census.campaigns``), the list of
    hidden cells ``{"row", "col", "status"}`` (``row``/``col`` null for a total; a figure or
    campaign is addressed by ``row`` = its key or index and ``col`` = the column)."""
    hidden: dict[str, list[dict[str, Any]]] = {}
    for tid in sorted(protection.tables):
        st = protection.tables[tid]
        cells = [_ref_json(ref, st.at(ref).status) for ref in st.suppressed_refs()]
        if cells:
            hidden[tid] = cells
    for tid in sorted(protection.withheld_totals):
        hidden[tid] = [_ref_json(CellRef(None, None), protection.withheld_totals[tid])]
    for section in sorted(protection.figures):
        cells = [{"row": key, "col": None, "status": shown.status.value}
                 for key, shown in protection.figures[section].items() if shown.hidden]
        if cells:
            hidden[f"{section}.figures"] = cells
    campaign_cells = [
        {"row": str(i), "col": key, "status": shown.status.value}
        for i, campaign in enumerate(protection.campaigns)
        for key, shown in campaign.items() if shown.hidden
    ]
    if campaign_cells:
        hidden[f"census.{CAMPAIGNS}"] = campaign_cells
    return {
        "k": protection.k,
        "markers": {"primary": primary_marker(protection.k),
                    "complementary": COMPLEMENTARY_MARKER},
        "demoted": sorted(protection.demoted),
        "withheld": sorted(protection.withheld),
        "suppressed": hidden,
    }


def attach(content: dict[str, Any], k: int) -> dict[str, Any]:
    """Set ``content["disclosure"]`` to the record of :func:`protect` and return ``content``."""
    content["disclosure"] = record(protect(content, k))
    return content
