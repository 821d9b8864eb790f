"""Disclosure control as the submission documents print it (DESIGN §8; issue 6 acceptance).

Random sessions and officers are turned into submission content the way the compiler shapes
it; the rendered tables (the text the DOCX, XLSX and CSV carry) are read back and checked:
published cells are exact, zeros are shown, ``<k`` only marks 1..k−1, and no hidden cell can
be worked out — neither within its table (exact audit of
:func:`counselor_tui.domain.disclosure.audit`) nor with the grand total that other tables of
the same section publish.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from counselor_tui.domain import vocab
from counselor_tui.domain.disclosure import (
    Cell,
    CellStatus,
    CountSeries,
    CountTable,
    Intruder,
    SuppressedSeries,
    SuppressedTable,
    audit,
)
from counselor_tui.reports.content import CLIENT_KINDS, TIER_COLUMNS
from counselor_tui.reports.protect import protect
from counselor_tui.reports.view import TableView, build

CHANNELS = list(vocab.CHANNELS)
KINDS = list(vocab.SESSION_KINDS)
UNITS = ["U01", "U02", "U03", "U04"]
SHARED = ("counseling.by_channel", "counseling.by_kind", "counseling.by_unit")

session = st.tuples(st.sampled_from(CHANNELS), st.sampled_from(KINDS), st.sampled_from(UNITS),
                    st.sampled_from(CLIENT_KINDS))
officer = st.tuples(st.sampled_from(UNITS), st.sampled_from(TIER_COLUMNS))


def content_of(sessions: list[tuple[str, str, str, str]],
               officers: list[tuple[str, str]]) -> dict[str, Any]:
    """Submission content built from records, with the compiler's table shapes."""
    by_channel = Counter(s[0] for s in sessions)
    by_kind = Counter(s[1] for s in sessions)
    cells = Counter((s[2], s[3]) for s in sessions)
    tiers = Counter(officers)
    return {
        "schema": "counselor-tui/submission", "schema_version": 1,
        "period": {"kind": "month", "label": "2026-11", "start": "2026-11-01",
                   "end": "2026-12-01"},
        "scope": {"kind": "bureau", "code": "bureau"},
        "issuer": {"bureau": "测试县公安局", "unit_name": None},
        "units": {u: f"单位{u}" for u in UNITS},
        "source": {"kind": "compiled"},
        "integrity": {"audit_head": "0" * 64, "compiled_at": "2026-12-02T09:00:00+08:00",
                      "software_version": "test"},
        "sections": {
            "counseling": {
                "figures": {"sessions": len(sessions), "minutes": 50 * len(sessions),
                            "persons_served": len({s[2] for s in sessions}), "new_persons": 0},
                "tables": {
                    "by_channel": {"type": "series", "rows": CHANNELS,
                                   "counts": [by_channel[c] for c in CHANNELS]},
                    "by_kind": {"type": "series", "rows": KINDS,
                                "counts": [by_kind[c] for c in KINDS]},
                    "by_unit": {"type": "table", "rows": UNITS, "cols": list(CLIENT_KINDS),
                                "counts": [[cells[(u, c)] for c in CLIENT_KINDS]
                                           for u in UNITS]},
                },
            },
            "archive": {
                "figures": {"serving": len(officers), "archived_in_period": 0},
                "tables": {
                    "tiers_by_unit": {"type": "table", "rows": UNITS, "cols": list(TIER_COLUMNS),
                                      "counts": [[tiers[(u, t)] for t in TIER_COLUMNS]
                                                 for u in UNITS]},
                },
            },
        },
    }


def parse(text: str, k: int) -> Cell:
    """A printed cell read back as a disclosure Cell."""
    if text == f"<{k}":
        return Cell(CellStatus.PRIMARY, None, k)
    if text == "x":
        return Cell(CellStatus.COMPLEMENTARY, None, k)
    return Cell(CellStatus.PUBLISHED, int(text), k)


def read_back(view: TableView, k: int, exact: CountTable | CountSeries,
              ) -> tuple[CountTable | CountSeries, SuppressedTable | SuppressedSeries]:
    """The printed table as (exact source, suppressed form), with the labels of ``exact``."""
    assert view.total is not None
    if len(view.header) == 2:  # a one-way table, or a two-way one shown by its row totals
        source = exact if isinstance(exact, CountSeries) else CountSeries(
            exact.row_labels, exact.row_totals)
        cells = tuple(parse(row[1], k) for row in view.rows)
        return source, SuppressedSeries(k, source.labels, cells, parse(view.total[1], k))
    assert isinstance(exact, CountTable)
    grid = [[parse(t, k) for t in row[1:]] for row in view.rows]
    totals = [parse(t, k) for t in view.total[1:]]
    return exact, SuppressedTable(
        k, exact.row_labels, exact.col_labels, tuple(tuple(r[:-1]) for r in grid),
        tuple(r[-1] for r in grid), tuple(totals[:-1]), totals[-1])


def with_total_published(sup: SuppressedTable | SuppressedSeries,
                         total: int) -> SuppressedTable | SuppressedSeries:
    published = Cell(CellStatus.PUBLISHED, total, sup.k)
    if isinstance(sup, SuppressedSeries):
        return SuppressedSeries(sup.k, sup.labels, sup.cells, published)
    return SuppressedTable(sup.k, sup.row_labels, sup.col_labels, sup.cells, sup.row_totals,
                           sup.col_totals, published)


@settings(max_examples=60, deadline=None)
@given(sessions=st.lists(session, max_size=30), officers=st.lists(officer, max_size=30),
       k=st.integers(min_value=2, max_value=5))
def test_rendered_tables_publish_exact_values_and_disclose_no_hidden_cell(
        sessions: list[tuple[str, str, str, str]], officers: list[tuple[str, str]],
        k: int) -> None:
    content = content_of(sessions, officers)
    protection = protect(content, k)
    document = {**content, "disclosure": {"k": k}, "narrative": {}}
    views = {t.id: t for s in build(document).sections for t in s.tables}
    shared_total_published = not 1 <= len(sessions) < k
    for tid in (*SHARED, "archive.tiers_by_unit", "archive.figures", "counseling.figures"):
        view = views[tid]
        section, key = tid.split(".")
        if key == "figures":
            exact_figures = content["sections"][section]["figures"]
            for (label, text), fig_key in zip(view.rows, exact_figures, strict=False):
                value = exact_figures[fig_key]
                if fig_key == "minutes":
                    continue
                assert text == (f"<{k}" if 1 <= value < k else str(value)), label
            continue
        data = content["sections"][section]["tables"][key]
        exact: CountTable | CountSeries = (
            CountSeries(tuple(data["rows"]), tuple(data["counts"])) if data["type"] == "series"
            else CountTable(tuple(data["rows"]), tuple(data["cols"]),
                            tuple(tuple(r) for r in data["counts"])))
        grand = exact.total if isinstance(exact, CountSeries) else exact.grand_total
        if tid in protection.withheld:
            assert view.rows == ()
            assert view.total is not None
            assert view.total[1] == (f"<{k}" if 1 <= grand < k else str(grand))
            continue
        source, printed = read_back(view, k, exact)
        # published cells are exact, zeros shown, markers only where the rules allow
        for ref in source.refs():
            cell, value = printed.at(ref), source.value(ref)
            if cell.status is CellStatus.PUBLISHED:
                assert cell.value == value
            else:
                assert value > 0
                assert (value < k) == (cell.status is CellStatus.PRIMARY)
        # nothing hidden can be worked out from the table, nor with the shared total known
        assert audit(source, printed, Intruder.POSITIVE) == []
        assert audit(source, printed, Intruder.LINEAR) == []
        if tid in SHARED or tid == "archive.tiers_by_unit":
            total_cell = (printed.total if isinstance(printed, SuppressedSeries)
                          else printed.grand_total)
            published_elsewhere = (shared_total_published if tid in SHARED
                                   else not 1 <= len(officers) < k)
            assert (total_cell.status is CellStatus.PUBLISHED) == published_elsewhere
            if published_elsewhere:
                assert audit(source, with_total_published(printed, grand),
                             Intruder.POSITIVE) == []


def test_a_lone_unit_with_all_ones_is_withheld_not_betrayed_by_its_total() -> None:
    sessions = [(c, "routine", "U01", "officer") for c in CHANNELS[:4]]
    content = content_of(sessions, [])
    protection = protect(content, 3)
    # by channel: four hidden cells of 1 would be betrayed by the published total 4
    assert "counseling.by_channel" in protection.withheld
    views = {t.id: t for s in build({**content, "disclosure": {"k": 3}}).sections
             for t in s.tables}
    assert views["counseling.by_channel"].rows == ()
    assert views["counseling.by_channel"].total == ("Totals", "4")
    assert "withheld" in views["counseling.by_channel"].note
    assert views["counseling.by_kind"].total == ("Totals", "4")  # routine 4: published
