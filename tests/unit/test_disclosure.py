"""Disclosure control of the submission's count tables (DESIGN §8).

Worked examples fix the behaviour a reader of the printed tables would check; the Hypothesis
properties are the acceptance criterion: every 1..k−1 count hidden, no zero hidden, every shown
number exact, and no hidden number recoverable — checked by ``audit`` (exact linear algebra +
simplex) and, for small tables, by brute-force enumeration of integer completions written
here, independently of both the heuristic and the audit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counselor_tui.domain.disclosure import (
    COMPLEMENTARY_MARKER,
    Cell,
    CellRef,
    CellStatus,
    CountSeries,
    CountTable,
    Intruder,
    InvalidTableError,
    SuppressedTable,
    TableMismatchError,
    audit,
    render,
    suppress,
    suppress_series,
)
from counselor_tui.domain.disclosure.exact import _linearly_determined

P, PRI, COMP = CellStatus.PUBLISHED, CellStatus.PRIMARY, CellStatus.COMPLEMENTARY


def _table(*rows: Iterable[int]) -> CountTable:
    counts = tuple(tuple(row) for row in rows)
    n_cols = len(counts[0]) if counts else 0
    return CountTable(
        tuple(f"r{i}" for i in range(len(counts))),
        tuple(f"c{j}" for j in range(n_cols)),
        counts,
    )


def _with_hidden(table: CountTable, k: int, hidden: Iterable[CellRef]) -> SuppressedTable:
    """A hand-made suppression pattern: ``hidden`` cells are primary (<k) or complementary."""
    hide = set(hidden)

    def cell(ref: CellRef) -> Cell:
        value = table.value(ref)
        if ref not in hide:
            return Cell(P, value, k)
        return Cell(PRI if value < k else COMP, None, k)

    return SuppressedTable(
        k=k,
        row_labels=table.row_labels,
        col_labels=table.col_labels,
        cells=tuple(tuple(cell(CellRef(r, c)) for c in table.col_labels) for r in table.row_labels),
        row_totals=tuple(cell(CellRef(r, None)) for r in table.row_labels),
        col_totals=tuple(cell(CellRef(None, c)) for c in table.col_labels),
        grand_total=cell(CellRef(None, None)),
    )


def _everything_hidden(table: CountTable, k: int) -> SuppressedTable:
    return _with_hidden(table, k, [ref for ref in table.refs() if table.value(ref) > 0])


# ------------------------------------------------------------------------------------------
# Independent brute force: integer completions consistent with everything published
# ------------------------------------------------------------------------------------------


def _known_range(cell: Cell, value: int, intruder: Intruder) -> tuple[int | None, int | None]:
    if not cell.suppressed:
        return value, value
    if intruder is Intruder.LINEAR:
        return None, None
    if intruder is Intruder.POSITIVE:
        return 1, None
    return (1, cell.k - 1) if cell.status is PRI else (cell.k, None)


def _fits(bounds: tuple[int | None, int | None], value: int) -> bool:
    lo, hi = bounds
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def _completion_values(
    table: CountTable,
    published: SuppressedTable,
    intruder: Intruder,
    radius: int,
    stop_at_two: bool = False,
) -> dict[CellRef, set[int]]:
    """Values each hidden cell takes over all completions within ``radius`` of the truth.

    A completion assigns every hidden interior cell an integer; hidden margins are then the
    sums. It must reproduce every published number and respect what ``intruder`` knows.
    Any completion found is a proof that a cell is not determined; a network argument (total
    unimodularity: a second completion exists iff one exists within ±1) makes the search
    complete for radius ≥ 1.
    """
    rows, cols = table.row_labels, table.col_labels
    hidden = [ref for ref in table.refs() if published.at(ref).suppressed]
    seen: dict[CellRef, set[int]] = {ref: set() for ref in hidden}

    def bounds(ref: CellRef) -> tuple[int | None, int | None]:
        return _known_range(published.at(ref), table.value(ref), intruder)

    row_options: list[list[tuple[int, ...]]] = []
    for i, r in enumerate(rows):
        ranges: list[range] = []
        for j, c in enumerate(cols):
            value = table.counts[i][j]
            lo, hi = bounds(CellRef(r, c))
            low = value - radius if lo is None else max(lo, value - radius)
            high = value + radius if hi is None else min(hi, value + radius)
            ranges.append(range(low, high + 1))
        row_bounds = bounds(CellRef(r, None))
        row_options.append(
            [combo for combo in itertools.product(*ranges) if _fits(row_bounds, sum(combo))]
        )
    col_bounds = [bounds(CellRef(None, c)) for c in cols]
    grand_bounds = bounds(CellRef(None, None))
    for choice in itertools.product(*row_options):
        col_sums = [sum(row[j] for row in choice) for j in range(len(cols))]
        if not all(_fits(b, s) for b, s in zip(col_bounds, col_sums, strict=True)):
            continue
        grand = sum(col_sums)
        if not _fits(grand_bounds, grand):
            continue
        for ref in hidden:
            if ref.row is None and ref.col is None:
                seen[ref].add(grand)
            elif ref.row is None:
                assert ref.col is not None
                seen[ref].add(col_sums[cols.index(ref.col)])
            elif ref.col is None:
                seen[ref].add(sum(choice[rows.index(ref.row)]))
            else:
                seen[ref].add(choice[rows.index(ref.row)][cols.index(ref.col)])
        if stop_at_two and all(len(values) >= 2 for values in seen.values()):
            break
    return seen


def _brute_force_determined(
    table: CountTable, published: SuppressedTable, intruder: Intruder, radius: int
) -> set[CellRef]:
    values = _completion_values(table, published, intruder, radius)
    return {ref for ref, found in values.items() if len(found) == 1}


# ------------------------------------------------------------------------------------------
# Worked examples
# ------------------------------------------------------------------------------------------


def test_zero_is_published_as_zero_and_never_used_as_complement() -> None:
    table = _table([0, 1, 0], [0, 9, 0], [4, 6, 0])
    result = suppress(table)
    for ref in table.refs():
        if table.value(ref) == 0:
            assert result.at(ref).status is P
            assert render(result.at(ref)) == "0"
    assert result.cell("r0", "c1").render() == "<3"
    assert audit(table, result) == []


def test_single_small_cell_gets_a_complement_in_its_row_and_its_column() -> None:
    table = _table([1, 5, 7], [4, 6, 8], [9, 10, 11])
    result = suppress(table)
    # Cheapest rectangle: 4 + 6 + 5 beats every other cycle; totals stay published.
    assert result.rendered() == (
        ("<3", "x", "7", "13"),
        ("x", "x", "8", "18"),
        ("9", "10", "11", "30"),
        ("14", "21", "26", "61"),
    )
    assert result.cell("r0", "c0").status is PRI
    assert {ref for ref in result.suppressed_refs() if result.at(ref).status is COMP} == {
        CellRef("r0", "c1"),
        CellRef("r1", "c0"),
        CellRef("r1", "c1"),
    }
    for intruder in Intruder:
        assert audit(table, result, intruder) == []


def test_row_with_one_small_cell_and_zeros_hides_its_total_and_a_second_total() -> None:
    table = _table([2, 0, 0], [5, 6, 7], [8, 9, 4])
    result = suppress(table)
    assert result.rendered() == (
        ("<3", "0", "0", "<3"),
        ("x", "6", "7", "x"),
        ("8", "9", "4", "21"),
        ("15", "15", "11", "41"),
    )
    # The hidden 2 cannot be read off the grand total: r0 + r1 totals = 41 − 21 = 20 in
    # either of (1, 19) or (2, 18).
    assert result.grand_total.value == 41
    assert audit(table, result, Intruder.MARKERS) == []
    values = _completion_values(table, result, Intruder.MARKERS, radius=1)
    assert values[CellRef("r0", "c0")] == {1, 2}


def test_lone_nonzero_row_of_a_one_row_table_hides_the_grand_total_too() -> None:
    table = _table([2, 0, 0])
    result = suppress(table)
    assert [render(c) for c in result.grid()[0]] == ["<3", "0", "0", "<3"]
    assert [render(c) for c in result.grid()[1]] == ["<3", "0", "0", "<3"]
    assert audit(table, result) == []


@pytest.mark.parametrize(
    ("k", "expected"),
    [
        (
            5,
            (
                ("<5", "<5", "10", "17"),
                ("x", "x", "8", "21"),
                ("9", "11", "18", "38"),
            ),
        ),
        (
            3,
            (
                ("3", "4", "10", "17"),
                ("6", "7", "8", "21"),
                ("9", "11", "18", "38"),
            ),
        ),
    ],
)
def test_threshold_k_is_a_parameter(k: int, expected: tuple[tuple[str, ...], ...]) -> None:
    table = _table([3, 4, 10], [6, 7, 8])
    result = suppress(table, k=k)
    assert result.rendered() == expected
    assert result.k == k
    assert audit(table, result) == []
    assert audit(table, result, Intruder.MARKERS) == []


def test_all_large_table_is_untouched() -> None:
    table = _table([3, 10, 40], [7, 3, 0], [5, 5, 5])
    result = suppress(table)
    assert result.suppressed_refs() == ()
    assert result.rendered() == (
        ("3", "10", "40", "53"),
        ("7", "3", "0", "10"),
        ("5", "5", "5", "15"),
        ("15", "18", "45", "78"),
    )


def test_empty_and_all_zero_tables_publish_zeros() -> None:
    assert suppress(_table()).rendered() == (("0",),)
    zeros = suppress(_table([0, 0], [0, 0]))
    assert zeros.suppressed_refs() == ()
    assert zeros.rendered()[-1] == ("0", "0", "0")


def test_series_pairs_a_small_category_with_the_smallest_other_one() -> None:
    values = {"face_to_face": 12, "hotline": 2, "email": 0, "online": 7}
    result = suppress_series(values)
    assert result.rendered() == (
        ("face_to_face", "12"),
        ("hotline", "<3"),
        ("email", "0"),
        ("online", COMPLEMENTARY_MARKER),
    )
    assert result.total.render() == "21"
    assert result.cell("online").status is COMP
    assert audit(values, result, Intruder.MARKERS) == []


def test_series_whose_only_nonzero_category_is_small_hides_the_total() -> None:
    result = suppress_series({"a": 2, "b": 0, "c": 0})
    assert [text for _, text in result.rendered()] == ["<3", "0", "0"]
    assert result.total.render() == "<3"
    assert audit(CountSeries(("a", "b", "c"), (2, 0, 0)), result, Intruder.MARKERS) == []


def test_series_ties_are_broken_by_category_order() -> None:
    first = suppress_series({"a": 1, "b": 5, "c": 5})
    assert [c.status for c in first.cells] == [PRI, COMP, P]
    second = suppress_series({"c": 5, "b": 5, "a": 1})
    assert [c.status for c in second.cells] == [COMP, P, PRI]


def test_series_with_two_small_categories_protect_each_other() -> None:
    result = suppress_series({"a": 1, "b": 2, "c": 30}, k=3)
    assert [text for _, text in result.rendered()] == ["<3", "<3", "30"]
    assert result.total.render() == "33"
    assert audit({"a": 1, "b": 2, "c": 30}, result, Intruder.MARKERS) == []


def test_k2_marker_discloses_a_one_whatever_is_hidden() -> None:
    # With k = 2 a "<2" beside published zeros can only be 1: an inherent limit of the
    # marker (DESIGN §8), reported by the MARKERS audit; the equations still reveal nothing.
    # The complement 5 cannot lean on the fixed 1, so the 9 is hidden to protect it.
    values = {"a": 1, "b": 5, "c": 9}
    result = suppress_series(values, k=2)
    assert [text for _, text in result.rendered()] == ["<2", "x", "x"]
    assert result.total.render() == "15"
    assert audit(values, result) == []
    assert audit(values, result, Intruder.MARKERS) == [CellRef("a", None)]


def test_suppression_is_deterministic() -> None:
    table = _table([1, 2, 0, 9], [7, 1, 3, 3], [0, 4, 4, 1])
    assert suppress(table) == suppress(table)


def test_suppressed_cells_do_not_carry_their_value() -> None:
    result = suppress(_table([1, 5, 7], [4, 6, 8], [9, 10, 11]))
    for ref in result.suppressed_refs():
        assert result.at(ref).value is None


# ------------------------------------------------------------------------------------------
# The audit catches what naive checks miss
# ------------------------------------------------------------------------------------------


def test_audit_flags_a_lone_primary_suppression() -> None:
    table = _table([1, 5, 7], [4, 6, 8])
    naive = _with_hidden(table, 3, [CellRef("r0", "c0")])
    assert audit(table, naive, Intruder.LINEAR) == [CellRef("r0", "c0")]


def test_audit_flags_a_cell_recoverable_only_by_combining_rows_and_columns() -> None:
    # Two 2×2 rectangles joined by the hidden 9: every row and column holds at least two
    # hidden cells, yet (r0+r1 totals) − (c0+c1 totals) gives the 9 exactly.
    table = _table([5, 6, 0, 0], [7, 8, 9, 0], [0, 0, 5, 6], [0, 0, 7, 8])
    hidden = [
        CellRef(f"r{i}", f"c{j}")
        for i, j in [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (3, 3)]
    ]
    pattern = _with_hidden(table, 3, hidden)
    assert audit(table, pattern, Intruder.LINEAR) == [CellRef("r1", "c2")]
    assert _brute_force_determined(table, pattern, Intruder.LINEAR, radius=1) == {
        CellRef("r1", "c2")
    }


def test_audit_catches_an_interval_attack_invisible_to_linear_algebra() -> None:
    # Hidden block [[1, 1], [1, 5]]: the rectangle is linearly safe, but since hidden cells
    # are at least 1 (zeros are published) none of them can move.
    table = _table([1, 1, 9], [1, 5, 9], [9, 9, 9])
    block = [CellRef(f"r{i}", f"c{j}") for i in (0, 1) for j in (0, 1)]
    pattern = _with_hidden(table, 3, block)
    assert audit(table, pattern, Intruder.LINEAR) == []
    assert audit(table, pattern, Intruder.POSITIVE) == block
    assert _brute_force_determined(table, pattern, Intruder.POSITIVE, radius=2) == set(block)
    result = suppress(table)
    assert audit(table, result, Intruder.MARKERS) == []


def test_audit_rejects_a_result_that_is_not_the_tables() -> None:
    table = _table([1, 5], [4, 6])
    other = suppress(_table([1, 5], [4, 7]))
    with pytest.raises(TableMismatchError):
        audit(table, other)
    with pytest.raises(TableMismatchError):
        audit(table, suppress_series({"r0": 6, "r1": 10}))
    hidden_zero = _with_hidden(_table([0, 5], [4, 6]), 3, [CellRef("r0", "c0")])
    with pytest.raises(TableMismatchError):
        audit(_table([0, 5], [4, 6]), hidden_zero)


def test_rank_test_is_exact_beyond_unimodular_matrices() -> None:
    # Count tables only give ±1 coefficients; the elimination must stay exact otherwise too.
    assert _linearly_determined([[2, 1], [1, 1]], 2) == {0, 1}
    assert _linearly_determined([[2, 2, 1], [1, 1, 0]], 3) == {2}
    assert _linearly_determined([[3, 1, 0], [0, 1, 3]], 3) == set()


# ------------------------------------------------------------------------------------------
# Input validation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: CountTable(("a",), ("x",), ((-1,),)),
        lambda: CountTable(("a",), ("x",), ((True,),)),
        lambda: CountTable(("a",), ("x", "y"), ((1,),)),
        lambda: CountTable(("a", "a"), ("x",), ((1,), (2,))),
        lambda: CountTable(("a",), ("x",), ((1,), (2,))),
        lambda: CountSeries(("a", "b"), (1,)),
        lambda: CountSeries(("a",), (1.5,)),  # type: ignore[arg-type]
        lambda: suppress(_table([1, 2]), k=1),
        lambda: suppress_series({"a": 1}, k=True),
        lambda: Cell(P, None, 3),
        lambda: Cell(PRI, 2, 3),
    ],
)
def test_malformed_input_is_refused(build: object) -> None:
    assert callable(build)
    with pytest.raises(InvalidTableError):
        build()


def test_from_nested_fills_missing_cells_with_zero() -> None:
    table = CountTable.from_nested({"u1": {"phone": 2, "visit": 4}, "u2": {"visit": 1}})
    assert table.col_labels == ("phone", "visit")
    assert table.counts == ((2, 4), (0, 1))
    assert table.row_totals == (6, 1)
    assert table.col_totals == (2, 5)
    assert table.grand_total == 7
    with pytest.raises(InvalidTableError):
        CountTable.from_nested({"u1": {"phone": 2}}, col_labels=["visit"])


# ------------------------------------------------------------------------------------------
# Properties (acceptance criterion)
# ------------------------------------------------------------------------------------------

_values = st.one_of(st.integers(0, 4), st.integers(0, 20))


@st.composite
def _tables(
    draw: st.DrawFn, max_rows: int, max_cols: int, values: st.SearchStrategy[int]
) -> CountTable:
    n_rows = draw(st.integers(1, max_rows))
    n_cols = draw(st.integers(1, max_cols))
    row = st.lists(values, min_size=n_cols, max_size=n_cols)
    return _table(*draw(st.lists(row, min_size=n_rows, max_size=n_rows)))


def _check_rules(table: CountTable, result: SuppressedTable, k: int) -> None:
    for ref in table.refs():
        value, cell = table.value(ref), result.at(ref)
        if 1 <= value < k:
            assert cell.status is PRI, ref  # (a)
            assert render(cell) == f"<{k}"
        elif value == 0:
            assert cell.status is P, ref  # (b)
        if cell.status is P:
            assert cell.value == value, ref  # (c)
            assert render(cell) == str(value)
        else:
            assert cell.value is None


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=_tables(6, 6, _values), k=st.integers(2, 5))
def test_property_rules_hold_and_audit_finds_nothing(table: CountTable, k: int) -> None:
    result = suppress(table, k)
    _check_rules(table, result, k)
    assert audit(table, result, Intruder.LINEAR) == []  # (d)
    assert audit(table, result, Intruder.POSITIVE) == []  # (d), with the zero rule
    # MARKERS: whatever stays disclosed is disclosed even when every non-zero cell is hidden.
    inherent = set(audit(table, _everything_hidden(table, k), Intruder.MARKERS))
    assert set(audit(table, result, Intruder.MARKERS)) <= inherent


@settings(max_examples=150, deadline=None)
@given(table=_tables(3, 3, st.integers(0, 8)), k=st.integers(2, 5))
def test_property_brute_force_finds_two_completions_for_every_hidden_cell(
    table: CountTable, k: int
) -> None:
    result = suppress(table, k)
    _check_rules(table, result, k)
    values = _completion_values(table, result, Intruder.POSITIVE, radius=1, stop_at_two=True)
    for ref, found in values.items():
        assert len(found) >= 2, ref  # (d), checked without the audit's algebra


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    table=_tables(3, 2, st.one_of(st.integers(0, 2), st.integers(0, 6))),
    k=st.integers(2, 4),
    intruder=st.sampled_from(list(Intruder)),
)
def test_property_audit_agrees_with_brute_force_on_any_pattern(
    data: st.DataObject, table: CountTable, k: int, intruder: Intruder
) -> None:
    nonzero = [ref for ref in table.refs() if table.value(ref) > 0]
    hidden = data.draw(st.lists(st.sampled_from(nonzero), unique=True) if nonzero else st.just([]))
    pattern = _with_hidden(table, k, hidden)
    expected = _brute_force_determined(table, pattern, intruder, radius=2)
    assert set(audit(table, pattern, intruder)) == expected


@settings(max_examples=100, deadline=None)
@given(
    counts=st.lists(st.integers(0, 12), min_size=1, max_size=8),
    k=st.integers(2, 5),
)
def test_property_series(counts: list[int], k: int) -> None:
    series = CountSeries(tuple(f"cat{i}" for i in range(len(counts))), tuple(counts))
    result = suppress_series(series, k)
    for ref, cell in zip(series.refs(), (*result.cells, result.total), strict=True):
        value = series.value(ref)
        if 1 <= value < k:
            assert cell.render() == f"<{k}"
        if value == 0 or cell.status is P:
            assert cell.value == value
    assert audit(series, result) == []
    # Brute force on the series: hidden categories, hidden total = their sum.
    hidden = [i for i, cell in enumerate(result.cells) if cell.suppressed]
    published_total = result.total.value
    seen: dict[int, set[int]] = {i: set() for i in hidden}
    for combo in itertools.product(*(range(max(1, counts[i] - 1), counts[i] + 2) for i in hidden)):
        total = sum(combo) + sum(c for i, c in enumerate(counts) if i not in hidden)
        if published_total is None or total == published_total:
            for i, value in zip(hidden, combo, strict=True):
                seen[i].add(value)
    assert all(len(found) >= 2 for found in seen.values())
