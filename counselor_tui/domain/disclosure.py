"""Statistical disclosure control for the count tables of the monthly submission.

Source of the rule: DESIGN §8 ("Disclosure control"): any cell from 1 to k−1 (k = 3 by
default, settable) is shown as ``<k``; enough further cells are suppressed (complementary
suppression) that no suppressed value can be recomputed from row or column totals; zero is not
suppressed. Methods follow Hundepool et al., *Statistical Disclosure Control* (Wiley 2012),
ch. 4 (secondary cell suppression, audit by feasibility intervals) and ch. 5 (threshold rule
for frequency tables); the network model of a two-way table is Cox, "Network models for
complementary cell suppression", JASA 90 (1995) 1453–1462, building on Cox, "Suppression
methodology and statistical disclosure control", JASA 75 (1980) 377–385.

Shapes
------
* :class:`CountTable` — rows × columns of non-negative integer counts, labelled by strings.
  Its row totals, column totals and grand total are the sums of the cells and are *published*
  unless this module suppresses them. Every cell and margin is addressed by a
  :class:`CellRef`: ``CellRef(row, col)`` an interior cell, ``CellRef(row, None)`` a row total,
  ``CellRef(None, col)`` a column total, ``CellRef(None, None)`` the grand total.
* :class:`CountSeries` — a one-way table (categories + total). Category ``label`` is
  ``CellRef(label, None)`` and the total is ``CellRef(None, None)`` (a series is read as the
  total column of a table).
* :func:`suppress` / :func:`suppress_series` return a :class:`SuppressedTable` /
  :class:`SuppressedSeries` in which every cell and margin is a :class:`Cell`: the exact count
  when published, or a marker (primary or complementary) with *no* value, so a document
  renderer cannot leak it. :func:`render` gives the text: the count, ``<k`` for a primary
  suppression, ``x`` (:data:`COMPLEMENTARY_MARKER`) for a complementary one — a complementary
  cell holds k or more, so printing ``<k`` for it would be false.

Decisions
---------
* Margins are published and only interior cells are used for complementary suppression,
  unless that is impossible: a margin of 1..k−1 is itself a primary suppression, and a margin is
  suppressed as a complement when no interior-only pattern protects a cell (for example a row
  ``[2, 0, 0]``: its total is 2 and is hidden; it is then protected against recomputation from
  the grand total and the other margins like any other suppressed cell).
* Zeros are always published and are never used as complements (a hidden zero beside
  published zeros would be read as "non-zero").
* Totals are additive: the published totals are the sums computed here. For a tally where one
  record may fall in several categories (topics of a session) print these sums as the totals;
  a separately counted figure printed beside the table (number of sessions) is not modelled.

What "cannot be recomputed" means (the intruder models, :class:`Intruder`)
-----------------------------------------------------------------------------
The intruder knows every published number, that totals are sums, and the rules above:

* ``LINEAR`` — only the linear equations (rows, columns, grand total).
* ``POSITIVE`` — also that every hidden value is a positive integer (zeros are published, so a
  hidden cell holds at least 1). This subsumes plain non-negativity.
* ``MARKERS`` — also what the markers say: ``<k`` holds 1..k−1, ``x`` holds k or more.

A suppressed cell is *disclosed* under a model when the model admits exactly one value for it.
:func:`suppress` guarantees that no suppressed cell is disclosed under ``LINEAR`` or
``POSITIVE``. Under ``MARKERS`` it protects every cell that can be protected at all; the
exceptions are cells disclosed by the mandated markers and published zeros themselves, which
no amount of further suppression can hide — e.g. with k = 2 a ``<2`` can only be 1 (zeros are
shown), and in a table whose grand total is ``<3`` two non-zero cells must both be 1.

Algorithm of :func:`suppress` (a network-flow heuristic)
-----------------------------------------------------------
A two-way table with margins is a circulation on a network: source → row node (row total),
row node → column node (interior cell), column node → sink (column total), sink → source
(grand total); conservation at each node is exactly "a total is the sum of its cells". A
series is source → sink (categories) and sink → source (total). The constraint matrix of a
network is totally unimodular, so a hidden cell can take another integer value consistent with
everything published iff the hidden cells contain a cycle through it along which one unit can
be pushed within the intruder's bounds (a conformal-decomposition argument).

1. Primary suppression: every cell and margin with value 1..k−1.
2. For each suppressed cell in table order (row-major over the grid including the total
   column, then the total row), look for such a cycle using only suppressed cells. If there
   is none, run Dijkstra over the residual graph where a suppressed cell costs nothing and a
   published non-zero cell costs ``(is a margin, its value, 1)`` lexicographically — fewest
   margins, then the smallest total value, then fewest cells — and suppress the cells of the
   cheapest cycle as complementary. Every cell on the cycle is then protected too, and adding
   suppressions never un-protects a cell (it only relaxes what the intruder knows).
3. Step 2 runs first under ``MARKERS`` (skipping cells no pattern can protect), then under
   ``POSITIVE``, where a cycle always exists (through the cell's row total, grand total and
   column total), so the ``POSITIVE`` guarantee always holds; both passes repeat until
   neither adds a cell, so complements added in the second pass get the ``MARKERS``
   protection too. A cell found unprotectable under ``MARKERS`` stays so: the search already
   allowed every non-zero cell.

Ties are broken by position in the table (the row and column order as given), so the same
input always gives the same output.

:func:`audit` checks a result independently of that heuristic, in exact rational arithmetic
(``int`` and :class:`fractions.Fraction`, no numpy), on the constraint matrix rather than the
network: a hidden value is linearly determined iff its unit vector lies in the row space of the
constraint matrix restricted to the hidden cells (Gauss–Jordan rank test). For the bounded
models it computes whether each hidden cell's feasibility interval (Hundepool et al. ch. 4) is
a single point: for every hidden cell sitting at a bound the intruder knows (a 1, a ``<k``
holding k−1, an ``x`` holding k) an exact simplex (Bland's rule) decides whether it can leave
that bound; those that cannot are added as equations and the rank test decides every cell
(the cone of feasible directions spans the remaining subspace). By total unimodularity the
intervals have integer end points, so a single point is exactly "one integer completion".
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Final

__all__ = [
    "COMPLEMENTARY_MARKER",
    "DEFAULT_K",
    "Cell",
    "CellRef",
    "CellStatus",
    "CountSeries",
    "CountTable",
    "DisclosureError",
    "Intruder",
    "InvalidTableError",
    "SuppressedSeries",
    "SuppressedTable",
    "TableMismatchError",
    "audit",
    "primary_marker",
    "render",
    "suppress",
    "suppress_series",
]

DEFAULT_K: Final = 3
"""Default threshold: counts 1..k−1 are suppressed (DESIGN §8)."""

COMPLEMENTARY_MARKER: Final = "x"
"""Text shown for a complementary suppression (its value is k or more)."""


class DisclosureError(ValueError):
    """Base class of the errors raised by this module."""


class InvalidTableError(DisclosureError):
    """A table, series or threshold is malformed (shape, label, count or k)."""


class TableMismatchError(DisclosureError):
    """:func:`audit` was given a suppressed result that does not belong to the table."""


class CellStatus(Enum):
    """Whether a cell is published, hidden by the threshold rule, or hidden to protect others."""

    PUBLISHED = "published"
    PRIMARY = "primary"
    COMPLEMENTARY = "complementary"


class Intruder(Enum):
    """What the intruder is assumed to know besides the published numbers (see module doc)."""

    LINEAR = "linear"
    POSITIVE = "positive"
    MARKERS = "markers"


def primary_marker(k: int) -> str:
    """The text of a primary suppression for threshold ``k``: ``"<3"`` for k = 3."""
    return f"<{k}"


@dataclass(frozen=True)
class CellRef:
    """Address of a cell: ``row``/``col`` labels, ``None`` standing for the total line."""

    row: str | None
    col: str | None

    @property
    def is_margin(self) -> bool:
        """True for a total of a two-way table (row, column or grand total).

        In a series every ref has ``col`` ``None``; its total is the one with ``row`` ``None``.
        """
        return self.row is None or self.col is None


@dataclass(frozen=True)
class Cell:
    """One published or suppressed cell of a :class:`SuppressedTable`/:class:`SuppressedSeries`.

    ``value`` is the exact count when ``status`` is ``PUBLISHED`` and ``None`` otherwise.
    Raises :class:`InvalidTableError` when the two disagree or ``k`` < 2.
    """

    status: CellStatus
    value: int | None
    k: int

    def __post_init__(self) -> None:
        _check_k(self.k)
        if self.status is CellStatus.PUBLISHED:
            if not _is_count(self.value):
                raise InvalidTableError("a published cell needs a non-negative integer value")
        elif self.value is not None:
            raise InvalidTableError("a suppressed cell must not carry its value")

    @property
    def suppressed(self) -> bool:
        """True when the cell is hidden (primary or complementary)."""
        return self.status is not CellStatus.PUBLISHED

    def render(self) -> str:
        """The printed text: the count, ``<k`` (primary) or ``x`` (complementary)."""
        if self.status is CellStatus.PRIMARY:
            return primary_marker(self.k)
        if self.status is CellStatus.COMPLEMENTARY:
            return COMPLEMENTARY_MARKER
        return str(self.value)


def render(cell: Cell) -> str:
    """The printed text of ``cell``; see :meth:`Cell.render`."""
    return cell.render()


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_k(k: object) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 2:
        raise InvalidTableError(f"the threshold k must be an integer of at least 2, got {k!r}")


def _check_labels(labels: tuple[str, ...], what: str) -> None:
    for position, label in enumerate(labels, start=1):
        if not isinstance(label, str):
            raise InvalidTableError(f"{what} label {position} is not a string")
    if len(set(labels)) != len(labels):
        raise InvalidTableError(f"{what} labels must be unique")


def _check_count(value: object, where: str) -> None:
    if not _is_count(value):
        raise InvalidTableError(f"{where} is {value!r}; counts must be non-negative integers")


@dataclass(frozen=True)
class CountTable:
    """A two-way table of counts with additive margins.

    ``counts[i][j]`` is the count of row ``row_labels[i]`` and column ``col_labels[j]``.
    Lists are accepted and stored as tuples. Raises :class:`InvalidTableError` for a ragged
    shape, duplicate or non-string labels, or a count that is not a non-negative ``int``.
    """

    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "row_labels", tuple(self.row_labels))
        object.__setattr__(self, "col_labels", tuple(self.col_labels))
        object.__setattr__(self, "counts", tuple(tuple(row) for row in self.counts))
        _check_labels(self.row_labels, "row")
        _check_labels(self.col_labels, "column")
        if len(self.counts) != len(self.row_labels):
            raise InvalidTableError(
                f"{len(self.counts)} rows of counts for {len(self.row_labels)} row labels"
            )
        for i, row in enumerate(self.counts, start=1):
            if len(row) != len(self.col_labels):
                raise InvalidTableError(
                    f"row {i} has {len(row)} counts for {len(self.col_labels)} column labels"
                )
            for j, value in enumerate(row, start=1):
                _check_count(value, f"the count at row {i}, column {j}")

    @classmethod
    def from_nested(
        cls, rows: Mapping[str, Mapping[str, int]], col_labels: Sequence[str] | None = None
    ) -> CountTable:
        """Build from ``{row: {col: count}}``; a missing entry counts 0.

        Column order is ``col_labels`` when given, else first appearance. Raises
        :class:`InvalidTableError` for a column not in ``col_labels``.
        """
        if col_labels is None:
            seen: dict[str, None] = {}
            for inner in rows.values():
                seen.update(dict.fromkeys(inner))
            cols = tuple(seen)
        else:
            cols = tuple(col_labels)
            known = set(cols)
            for inner in rows.values():
                if any(c not in known for c in inner):
                    raise InvalidTableError("a row has a column that is not in col_labels")
        counts = tuple(tuple(inner.get(c, 0) for c in cols) for inner in rows.values())
        return cls(tuple(rows), cols, counts)

    def count(self, row: str, col: str) -> int:
        """The count at ``row``, ``col``; raises ``KeyError`` for an unknown label."""
        return self.counts[_index(self.row_labels, row)][_index(self.col_labels, col)]

    @property
    def row_totals(self) -> tuple[int, ...]:
        """Sum of each row, in row order."""
        return tuple(sum(row) for row in self.counts)

    @property
    def col_totals(self) -> tuple[int, ...]:
        """Sum of each column, in column order."""
        return tuple(sum(row[j] for row in self.counts) for j in range(len(self.col_labels)))

    @property
    def grand_total(self) -> int:
        """Sum of all cells."""
        return sum(sum(row) for row in self.counts)

    def refs(self) -> tuple[CellRef, ...]:
        """Every cell and margin, row-major over the grid with the total column and row last."""
        return _grid_refs(self.row_labels, self.col_labels)

    def value(self, ref: CellRef) -> int:
        """The exact count of a cell or margin; raises ``KeyError`` for an unknown label."""
        if ref.row is None and ref.col is None:
            return self.grand_total
        if ref.row is None:
            assert ref.col is not None
            return self.col_totals[_index(self.col_labels, ref.col)]
        if ref.col is None:
            return self.row_totals[_index(self.row_labels, ref.row)]
        return self.count(ref.row, ref.col)


@dataclass(frozen=True)
class CountSeries:
    """A one-way table: categories with counts, and their (additive) total.

    Raises :class:`InvalidTableError` for mismatched lengths, duplicate or non-string labels,
    or a count that is not a non-negative ``int``.
    """

    labels: tuple[str, ...]
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "counts", tuple(self.counts))
        _check_labels(self.labels, "category")
        if len(self.counts) != len(self.labels):
            raise InvalidTableError(
                f"{len(self.counts)} counts for {len(self.labels)} category labels"
            )
        for i, value in enumerate(self.counts, start=1):
            _check_count(value, f"the count of category {i}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, int]) -> CountSeries:
        """Build from ``{category: count}``, keeping the mapping's order."""
        return cls(tuple(values), tuple(values.values()))

    @property
    def total(self) -> int:
        """Sum of the counts."""
        return sum(self.counts)

    def refs(self) -> tuple[CellRef, ...]:
        """``CellRef(label, None)`` for each category, then ``CellRef(None, None)``."""
        return (*(CellRef(label, None) for label in self.labels), CellRef(None, None))

    def value(self, ref: CellRef) -> int:
        """The exact count of a category or the total; ``KeyError`` for an unknown ref."""
        if ref.col is not None:
            raise KeyError(ref)
        if ref.row is None:
            return self.total
        return self.counts[_index(self.labels, ref.row)]


def _index(labels: tuple[str, ...], label: str) -> int:
    try:
        return labels.index(label)
    except ValueError:
        raise KeyError(label) from None


@dataclass(frozen=True)
class SuppressedTable:
    """The publishable form of a :class:`CountTable`.

    ``cells[i][j]``, ``row_totals[i]``, ``col_totals[j]`` and ``grand_total`` are
    :class:`Cell` objects for the same labels as the source table; ``k`` is the threshold used.
    """

    k: int
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    col_totals: tuple[Cell, ...]
    grand_total: Cell

    def cell(self, row: str, col: str) -> Cell:
        """The interior cell at ``row``, ``col``; ``KeyError`` for an unknown label."""
        return self.cells[_index(self.row_labels, row)][_index(self.col_labels, col)]

    def at(self, ref: CellRef) -> Cell:
        """The cell or margin addressed by ``ref``; ``KeyError`` for an unknown label."""
        if ref.row is None and ref.col is None:
            return self.grand_total
        if ref.row is None:
            assert ref.col is not None
            return self.col_totals[_index(self.col_labels, ref.col)]
        if ref.col is None:
            return self.row_totals[_index(self.row_labels, ref.row)]
        return self.cell(ref.row, ref.col)

    def refs(self) -> tuple[CellRef, ...]:
        """Every cell and margin in the order of :meth:`CountTable.refs`."""
        return _grid_refs(self.row_labels, self.col_labels)

    def suppressed_refs(self) -> tuple[CellRef, ...]:
        """The hidden cells and margins, in table order."""
        return tuple(ref for ref in self.refs() if self.at(ref).suppressed)

    def grid(self) -> tuple[tuple[Cell, ...], ...]:
        """Rows of cells each followed by its row total, then the column totals and grand total."""
        rows = tuple((*row, total) for row, total in zip(self.cells, self.row_totals, strict=True))
        return (*rows, (*self.col_totals, self.grand_total))

    def rendered(self) -> tuple[tuple[str, ...], ...]:
        """:meth:`grid` as printed text."""
        return tuple(tuple(cell.render() for cell in row) for row in self.grid())


@dataclass(frozen=True)
class SuppressedSeries:
    """The publishable form of a :class:`CountSeries`: one :class:`Cell` per category + total."""

    k: int
    labels: tuple[str, ...]
    cells: tuple[Cell, ...]
    total: Cell

    def cell(self, label: str) -> Cell:
        """The cell of category ``label``; ``KeyError`` for an unknown label."""
        return self.cells[_index(self.labels, label)]

    def at(self, ref: CellRef) -> Cell:
        """The cell addressed by ``CellRef(label, None)`` or the total ``CellRef(None, None)``."""
        if ref.col is not None:
            raise KeyError(ref)
        return self.total if ref.row is None else self.cell(ref.row)

    def refs(self) -> tuple[CellRef, ...]:
        """Categories in order, then the total."""
        return (*(CellRef(label, None) for label in self.labels), CellRef(None, None))

    def suppressed_refs(self) -> tuple[CellRef, ...]:
        """The hidden categories (and total), in order."""
        return tuple(ref for ref in self.refs() if self.at(ref).suppressed)

    def rendered(self) -> tuple[tuple[str, str], ...]:
        """``(label, text)`` per category; the total is ``self.total.render()``."""
        return tuple(
            (label, cell.render()) for label, cell in zip(self.labels, self.cells, strict=True)
        )


def _grid_refs(row_labels: tuple[str, ...], col_labels: tuple[str, ...]) -> tuple[CellRef, ...]:
    refs: list[CellRef] = []
    for r in row_labels:
        refs.extend(CellRef(r, c) for c in col_labels)
        refs.append(CellRef(r, None))
    refs.extend(CellRef(None, c) for c in col_labels)
    refs.append(CellRef(None, None))
    return tuple(refs)


# --------------------------------------------------------------------------------------------
# Suppression: network-flow heuristic
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Network:
    """Cells and margins as arcs ``(tail, head)`` of a circulation network, in table order."""

    refs: tuple[CellRef, ...]
    values: tuple[int, ...]
    arcs: tuple[tuple[int, int], ...]
    margin: tuple[bool, ...]
    n_nodes: int


def _table_network(table: CountTable) -> _Network:
    n_rows, n_cols = len(table.row_labels), len(table.col_labels)
    source, sink = 0, n_rows + n_cols + 1
    arcs: list[tuple[int, int]] = []
    for i in range(n_rows):
        arcs.extend((1 + i, 1 + n_rows + j) for j in range(n_cols))
        arcs.append((source, 1 + i))
    arcs.extend((1 + n_rows + j, sink) for j in range(n_cols))
    arcs.append((sink, source))
    values: list[int] = []
    for row in table.counts:
        values.extend(row)
        values.append(sum(row))
    values.extend(table.col_totals)
    values.append(table.grand_total)
    refs = table.refs()
    return _Network(
        refs,
        tuple(values),
        tuple(arcs),
        tuple(ref.is_margin for ref in refs),
        n_rows + n_cols + 2,
    )


def _series_network(series: CountSeries) -> _Network:
    source, sink = 0, 1
    arcs = [(source, sink)] * len(series.labels) + [(sink, source)]
    refs = series.refs()
    return _Network(
        refs,
        (*series.counts, series.total),
        tuple(arcs),
        tuple(ref.row is None for ref in refs),
        2,
    )


def _bounds(value: int, status: CellStatus, model: Intruder, k: int) -> tuple[int, int | None]:
    """What a ``POSITIVE``/``MARKERS`` intruder knows of a cell: its inclusive range.

    ``None`` as upper bound means unbounded. ``LINEAR`` knows no range and is refused.
    """
    if status is CellStatus.PUBLISHED:
        return value, value
    if model is Intruder.MARKERS:
        return (1, k - 1) if status is CellStatus.PRIMARY else (k, None)
    if model is Intruder.POSITIVE:
        return 1, None
    raise ValueError("the linear intruder knows no bounds")


class _Residual:
    """The residual graph of a network under one intruder model, for cycle searches.

    Every non-zero arc is a candidate: a primary arc with the bounds of ``<k``, any other with
    those of a complementary cell (its bounds do not change when it is suppressed, so the graph
    is built once). An arc appears forwards (tail → head) if one more unit fits its bounds and
    backwards (head → tail) if one less does. Suppressing a cell only changes its cost.
    """

    def __init__(self, net: _Network, k: int, model: Intruder) -> None:
        self.net = net
        self.k = k
        self.model = model
        self.adjacency: list[list[tuple[int, int]]] = [[] for _ in range(net.n_nodes)]
        self.hidden: list[list[tuple[int, int]]] = [[] for _ in range(net.n_nodes)]
        self.ranges: list[tuple[int, int | None]] = []
        for e, value in enumerate(net.values):
            status = CellStatus.PRIMARY if 1 <= value < k else CellStatus.COMPLEMENTARY
            self.ranges.append(_bounds(value, status, model, k))
            if value > 0:
                self._add_edges(self.adjacency, e)
                if status is CellStatus.PRIMARY:
                    self._add_edges(self.hidden, e)

    def _add_edges(self, adjacency: list[list[tuple[int, int]]], e: int) -> None:
        tail, head = self.net.arcs[e]
        value = self.net.values[e]
        lo, hi = self.ranges[e]
        if hi is None or value + 1 <= hi:
            adjacency[tail].append((head, e))
        if value - 1 >= lo:
            adjacency[head].append((tail, e))

    def mark_suppressed(self, e: int) -> None:
        """Record that arc ``e`` became a complementary suppression."""
        self._add_edges(self.hidden, e)

    def _hidden_path_exists(self, exclude: int, start: int, goal: int) -> bool:
        seen = {start}
        stack = [start]
        while stack:
            node = stack.pop()
            for nxt, arc in self.hidden[node]:
                if arc == exclude or nxt in seen:
                    continue
                if nxt == goal:
                    return True
                seen.add(nxt)
                stack.append(nxt)
        return False

    def cheapest_path(
        self, cost: list[int], exclude: int, start: int, goal: int
    ) -> list[int] | None:
        """Dijkstra from ``start`` to ``goal`` avoiding arc ``exclude``; the arcs, or ``None``."""
        adjacency = self.adjacency
        dist: dict[int, int] = {start: 0}
        previous: dict[int, tuple[int, int]] = {}
        done: set[int] = set()
        heap: list[tuple[int, int]] = [(0, start)]
        while heap:
            d, node = heapq.heappop(heap)
            if node in done:
                continue
            if node == goal:
                path: list[int] = []
                while node != start:
                    node, arc = previous[node]
                    path.append(arc)
                return path[::-1]
            done.add(node)
            for nxt, arc in adjacency[node]:
                if arc == exclude or nxt in done:
                    continue
                candidate = d + cost[arc]
                known = dist.get(nxt)
                if known is None or candidate < known:
                    dist[nxt] = candidate
                    previous[nxt] = (node, arc)
                    heapq.heappush(heap, (candidate, nxt))
        return None

    def protection(self, cost: list[int], s: int) -> list[int] | None:
        """Arcs whose suppression puts ``s`` on a pushable cycle at least cost (``[]``: none
        needed); ``None`` when no cycle exists even with every non-zero cell suppressed."""
        value = self.net.values[s]
        lo, hi = self.ranges[s]
        tail, head = self.net.arcs[s]
        up = hi is None or value + 1 <= hi
        down = value - 1 >= lo
        if (up and self._hidden_path_exists(s, head, tail)) or (
            down and self._hidden_path_exists(s, tail, head)
        ):
            return []
        best: tuple[int, list[int]] | None = None
        if up:  # push one more unit through s
            found = self.cheapest_path(cost, s, head, tail)
            if found is not None:
                best = (sum(cost[e] for e in found), found)
        if down:  # push one unit less through s
            found = self.cheapest_path(cost, s, tail, head)
            if found is not None:
                total = sum(cost[e] for e in found)
                if best is None or total < best[0]:
                    best = (total, found)
        if best is None:
            return None
        return [e for e in best[1] if cost[e] > 0]


def _protect(net: _Network, k: int) -> list[CellStatus]:
    status = [
        CellStatus.PRIMARY if 1 <= value < k else CellStatus.PUBLISHED for value in net.values
    ]
    # Lexicographic cost (is a margin, value, 1) packed into one integer.
    base = 2 * sum(net.values) + len(net.values) + 1
    cost = [
        0 if st is not CellStatus.PUBLISHED else (int(m) * base + v) * base + 1
        for st, m, v in zip(status, net.margin, net.values, strict=True)
    ]
    searches = [_Residual(net, k, Intruder.MARKERS), _Residual(net, k, Intruder.POSITIVE)]
    hopeless: set[int] = set()  # cells no pattern protects under MARKERS
    changed = True
    while changed:  # cells added for POSITIVE must then be protected under MARKERS too
        changed = False
        for search in searches:
            for s in range(len(status)):
                if status[s] is CellStatus.PUBLISHED:
                    continue
                if search.model is Intruder.MARKERS and s in hopeless:
                    continue
                added = search.protection(cost, s)
                if added is None:
                    if search.model is Intruder.POSITIVE:  # pragma: no cover - see module doc
                        raise RuntimeError("no complementary pattern exists for a hidden cell")
                    hopeless.add(s)
                    continue
                for e in added:
                    status[e] = CellStatus.COMPLEMENTARY
                    cost[e] = 0
                    for other in searches:
                        other.mark_suppressed(e)
                    changed = True
    return status


def _cell(value: int, status: CellStatus, k: int) -> Cell:
    return Cell(status, value if status is CellStatus.PUBLISHED else None, k)


def suppress(table: CountTable, k: int = DEFAULT_K) -> SuppressedTable:
    """Apply primary and complementary suppression to ``table`` (DESIGN §8).

    Every cell and margin of 1..k−1 becomes ``PRIMARY``; further non-zero cells (interior ones
    first, margins only when needed) become ``COMPLEMENTARY`` until no hidden value can be
    recomputed under :attr:`Intruder.POSITIVE` (hence :attr:`Intruder.LINEAR`), and under
    :attr:`Intruder.MARKERS` wherever that is possible (see the module docstring for the
    algorithm and its sources). Zeros are always published. Deterministic.

    Raises :class:`InvalidTableError` when ``k`` is not an integer ≥ 2.
    """
    _check_k(k)
    net = _table_network(table)
    status = _protect(net, k)
    cells = [_cell(v, s, k) for v, s in zip(net.values, status, strict=True)]
    n_cols = len(table.col_labels)
    width = n_cols + 1
    rows = [cells[i * width : (i + 1) * width] for i in range(len(table.row_labels))]
    tail = cells[len(table.row_labels) * width :]
    return SuppressedTable(
        k=k,
        row_labels=table.row_labels,
        col_labels=table.col_labels,
        cells=tuple(tuple(row[:n_cols]) for row in rows),
        row_totals=tuple(row[n_cols] for row in rows),
        col_totals=tuple(tail[:n_cols]),
        grand_total=tail[n_cols],
    )


def suppress_series(
    values: Mapping[str, int] | CountSeries, k: int = DEFAULT_K
) -> SuppressedSeries:
    """Suppression for a one-way table ``{category: count}`` and its total (DESIGN §8).

    Same rules and guarantees as :func:`suppress`: a lone small category is paired with the
    smallest other non-zero category; when every other category is zero the total is hidden.
    Raises :class:`InvalidTableError` for a malformed series or ``k``.
    """
    _check_k(k)
    series = values if isinstance(values, CountSeries) else CountSeries.from_mapping(values)
    net = _series_network(series)
    status = _protect(net, k)
    cells = [_cell(v, s, k) for v, s in zip(net.values, status, strict=True)]
    return SuppressedSeries(k=k, labels=series.labels, cells=tuple(cells[:-1]), total=cells[-1])


# --------------------------------------------------------------------------------------------
# Audit: exact rational linear algebra, independent of the heuristic above
# --------------------------------------------------------------------------------------------

_Equation = list[tuple[CellRef, int]]


def _table_equations(table: CountTable) -> list[_Equation]:
    """Each published relation as ``sum(coef * value) == 0``."""
    equations: list[_Equation] = []
    for r in table.row_labels:
        equations.append([*((CellRef(r, c), 1) for c in table.col_labels), (CellRef(r, None), -1)])
    for c in table.col_labels:
        equations.append([*((CellRef(r, c), 1) for r in table.row_labels), (CellRef(None, c), -1)])
    grand = (CellRef(None, None), -1)
    equations.append([*((CellRef(r, None), 1) for r in table.row_labels), grand])
    equations.append([*((CellRef(None, c), 1) for c in table.col_labels), grand])
    return equations


def _series_equations(series: CountSeries) -> list[_Equation]:
    return [[*((CellRef(label, None), 1) for label in series.labels), (CellRef(None, None), -1)]]


_Q = int | Fraction
"""An exact rational: entries stay ``int`` while divisions are by ±1 (always the case for the
totally unimodular matrices of count tables) and become ``Fraction`` otherwise."""


def _div(x: _Q, p: _Q) -> _Q:
    if p == 1:
        return x
    if p == -1:
        return -x
    return Fraction(x) / p


def _linearly_determined(matrix: Sequence[Sequence[_Q]], n: int) -> set[int]:
    """Columns whose unit vector lies in the row space of ``matrix`` (``n`` columns).

    Exact Gauss–Jordan elimination to reduced row echelon form: e_c is in the row space iff
    some pivot row has its only non-zero entry in column c.
    """
    rows: list[list[_Q]] = [list(row) for row in matrix]
    pivots: list[tuple[int, int]] = []
    r = 0
    for c in range(n):
        if r == len(rows):
            break
        found = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if found is None:
            continue
        rows[r], rows[found] = rows[found], rows[r]
        pivot = rows[r][c]
        rows[r] = [_div(x, pivot) for x in rows[r]]
        nonzero = [(j, x) for j, x in enumerate(rows[r]) if x != 0]
        for i in range(len(rows)):
            factor = rows[i][c]
            if i != r and factor != 0:
                target = rows[i]
                for j, x in nonzero:
                    target[j] -= factor * x
        pivots.append((r, c))
        r += 1
    return {c for (i, c) in pivots if all(rows[i][j] == 0 for j in range(n) if j != c)}


class _Tableau:
    """A simplex tableau in canonical form (minimisation, Bland's rule).

    Each row ends with its right-hand side; ``objective`` holds the reduced costs of the
    current cost vector and is kept up to date by :meth:`pivot`.
    """

    def __init__(self, rows: list[list[_Q]], basis: list[int], n_cols: int) -> None:
        self.rows = rows
        self.basis = basis
        self.n_cols = n_cols
        self.blocked: set[int] = set()
        self.objective: list[_Q] = [0] * (n_cols + 1)

    def set_objective(self, cost: Mapping[int, _Q]) -> None:
        """Minimise ``sum(cost[j] * x_j)`` from now on."""
        reduced: list[_Q] = [0] * (self.n_cols + 1)
        for j, c in cost.items():
            reduced[j] = c
        for i, var in enumerate(self.basis):
            cb = cost.get(var, 0)
            if cb != 0:
                for j, x in enumerate(self.rows[i]):
                    if x != 0:
                        reduced[j] -= cb * x
        self.objective = reduced

    def pivot(self, r: int, c: int) -> None:
        row = self.rows[r]
        p = row[c]
        if p != 1:
            row = [_div(x, p) for x in row]
            self.rows[r] = row
        nonzero = [(j, x) for j, x in enumerate(row) if x != 0]
        for i, other in enumerate((*self.rows, self.objective)):
            factor = other[c]
            if i != r and factor != 0:
                for j, x in nonzero:
                    other[j] -= factor * x
        self.basis[r] = c

    def step(self) -> str:
        """One pivot: ``"optimal"``, ``"unbounded"`` or ``"pivoted"``."""
        objective, blocked = self.objective, self.blocked
        entering = next(
            (j for j in range(self.n_cols) if objective[j] < 0 and j not in blocked), -1
        )
        if entering < 0:
            return "optimal"
        best: tuple[tuple[_Q, int], int] | None = None
        for i, row in enumerate(self.rows):
            a = row[entering]
            if a > 0:
                key = (_div(row[-1], a), self.basis[i])
                if best is None or key < best[0]:
                    best = (key, i)
        if best is None:
            return "unbounded"
        self.pivot(best[1], entering)
        return "pivoted"


def _bounded_constant(
    matrix: list[list[_Q]],
    lo: list[int],
    hi: list[int | None],
    truth: list[int],
) -> set[int]:
    """Unknowns constant over the polyhedron ``{y : matrix·y = matrix·truth, lo ≤ y ≤ hi}``.

    By convexity, y_u can differ from truth_u iff some feasible direction d at ``truth``
    (matrix·d = 0; d_v ≥ 0 where truth_v = lo_v; d_v ≤ 0 where truth_v = hi_v) has d_u ≠ 0.
    For each v at a bound, an exact simplex (two phases, Bland's rule) decides whether y_v can
    leave that bound; every vertex visited that differs from ``truth`` settles those
    coordinates at once. If P is the set of bound-held v that can move, the cone of feasible
    directions spans ``{d : matrix·d = 0, d_v = 0 for the other bound-held v}`` (add a large
    multiple of a direction moving all of P), so the constant unknowns are those whose unit
    vector lies in the row space of that system — the rank test of
    :func:`_linearly_determined`.
    """
    n = len(truth)
    zero: _Q = 0
    one: _Q = 1
    pinned: list[int] = []  # lo == hi: nothing can move it
    at_bound: dict[int, _Q] = {}  # cost that pushes it off its bound (minimised)
    for u in range(n):
        upper = hi[u]
        if upper is not None and lo[u] == upper:
            pinned.append(u)
        elif truth[u] == lo[u]:
            at_bound[u] = -one
        elif upper is not None and truth[u] == upper:
            at_bound[u] = one
    m = len(matrix)
    slack_of: dict[int, int] = {}
    for u in range(n):
        if hi[u] is not None:
            slack_of[u] = n + len(slack_of)
    n_struct = n + len(slack_of)
    n_cols = n_struct + m
    rows: list[list[_Q]] = []
    basis: list[int] = []
    for i, source in enumerate(matrix):  # matrix·(lo + z) = matrix·truth, z ≥ 0
        b = sum((source[u] * (truth[u] - lo[u]) for u in range(n)), zero)
        flip = -1 if b < 0 else 1
        row = [flip * source[u] for u in range(n)] + [zero] * (n_cols - n) + [flip * b]
        row[n_struct + i] = one
        rows.append(row)
        basis.append(n_struct + i)
    for u, s in slack_of.items():  # z_u + slack = hi − lo
        upper = hi[u]
        assert upper is not None
        row = [zero] * (n_cols + 1)
        row[u] = one
        row[s] = one
        row[-1] = upper - lo[u]
        rows.append(row)
        basis.append(s)
    tableau = _Tableau(rows, basis, n_cols)
    tableau.set_objective({n_struct + i: 1 for i in range(m)})
    while tableau.step() == "pivoted":
        pass
    for i in range(len(tableau.rows) - 1, -1, -1):
        if tableau.basis[i] < n_struct:
            continue
        if tableau.rows[i][-1] != 0:  # pragma: no cover - truth is a feasible point
            raise RuntimeError("the true values do not satisfy the table's equations")
        j = next((j for j in range(n_struct) if tableau.rows[i][j] != 0), None)
        if j is None:
            del tableau.rows[i]
            del tableau.basis[i]
        else:
            tableau.pivot(i, j)
    tableau.blocked = set(range(n_struct, n_cols))

    moved: set[int] = set()

    def observe() -> None:
        z = [zero] * n
        for i, var in enumerate(tableau.basis):
            if var < n:
                z[var] = tableau.rows[i][-1]
        moved.update(u for u in range(n) if lo[u] + z[u] != truth[u])

    observe()
    for u, push in at_bound.items():
        if u in moved:
            continue
        tableau.set_objective({u: push})
        while u not in moved:
            outcome = tableau.step()
            if outcome == "unbounded":
                moved.add(u)
            elif outcome == "optimal":
                break
            else:
                observe()
    held = [*pinned, *(u for u in at_bound if u not in moved)]
    unit_rows = [[one if j == u else zero for j in range(n)] for u in held]
    return _linearly_determined([*matrix, *unit_rows], n)


def audit(
    table: CountTable | CountSeries | Mapping[str, int],
    suppressed: SuppressedTable | SuppressedSeries,
    intruder: Intruder = Intruder.POSITIVE,
) -> list[CellRef]:
    """The suppressed cells whose exact value the ``intruder`` can work out, in table order.

    ``table`` holds the true counts (a mapping is read as a :class:`CountSeries`);
    ``suppressed`` what would be published. The check is independent of :func:`suppress`:
    exact rational Gaussian elimination for the linear equations (row, column and grand
    totals), then, for ``POSITIVE``/``MARKERS``, an exact simplex deciding whether each hidden
    cell's feasibility interval is a single value. For output of :func:`suppress` the result is
    empty under ``LINEAR`` and ``POSITIVE``; under ``MARKERS`` it lists only cells that the
    markers and published zeros disclose whatever else is hidden.

    Raises :class:`TableMismatchError` when ``suppressed`` has other labels or ``k`` than
    ``table`` allows, publishes a value other than the true one, or marks a cell against the
    rules (a hidden zero, a primary cell outside 1..k−1, a complementary cell below k).
    """
    if isinstance(table, CountTable):
        if not isinstance(suppressed, SuppressedTable):
            raise TableMismatchError("a two-way table needs a SuppressedTable")
        if (suppressed.row_labels, suppressed.col_labels) != (table.row_labels, table.col_labels):
            raise TableMismatchError("the suppressed table has other labels than the table")
        equations = _table_equations(table)
        source: CountTable | CountSeries = table
    else:
        series = table if isinstance(table, CountSeries) else CountSeries.from_mapping(table)
        if not isinstance(suppressed, SuppressedSeries):
            raise TableMismatchError("a series needs a SuppressedSeries")
        if suppressed.labels != series.labels:
            raise TableMismatchError("the suppressed series has other labels than the series")
        equations = _series_equations(series)
        source = series
    k = suppressed.k
    refs = source.refs()
    truth = {ref: source.value(ref) for ref in refs}
    unknown: list[CellRef] = []
    for ref in refs:
        cell = suppressed.at(ref)
        value = truth[ref]
        if cell.k != k:
            raise TableMismatchError("cells of one suppressed table must share one k")
        if cell.status is CellStatus.PUBLISHED:
            if cell.value != value:
                raise TableMismatchError("a published value differs from the true count")
            continue
        if value == 0:
            raise TableMismatchError("a zero is marked as suppressed; zeros are always published")
        if cell.status is CellStatus.PRIMARY and value >= k:
            raise TableMismatchError("a cell marked primary is not in 1..k-1")
        if cell.status is CellStatus.COMPLEMENTARY and value < k:
            raise TableMismatchError("a cell marked complementary is below k")
        unknown.append(ref)
    position = {ref: p for p, ref in enumerate(unknown)}
    n = len(unknown)
    # The intruder knows matrix·y = (published terms moved to the right); the true hidden
    # values satisfy it, so only the matrix matters for what is determined.
    matrix: list[list[_Q]] = []
    for equation in equations:
        row: list[_Q] = [0] * n
        for ref, coef in equation:
            if ref in position:
                row[position[ref]] += coef
        if any(row):
            matrix.append(row)
    values = [truth[ref] for ref in unknown]
    ranges = (
        []
        if intruder is Intruder.LINEAR
        else [_bounds(truth[ref], suppressed.at(ref).status, intruder, k) for ref in unknown]
    )
    determined: set[int] = set()
    for columns, rows in _components(matrix, n):  # independent sub-systems, solved apart
        sub = [[matrix[i][u] for u in columns] for i in rows]
        if intruder is Intruder.LINEAR:
            found = _linearly_determined(sub, len(columns))
        else:
            found = _bounded_constant(
                sub,
                [ranges[u][0] for u in columns],
                [ranges[u][1] for u in columns],
                [values[u] for u in columns],
            )
        determined.update(columns[p] for p in found)
    return [unknown[u] for u in sorted(determined)]


def _components(matrix: list[list[_Q]], n: int) -> list[tuple[list[int], list[int]]]:
    """Split unknowns ``0..n-1`` into groups linked by shared equations: ``(columns, rows)``."""
    parent = list(range(n))

    def find(u: int) -> int:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for row in matrix:
        used = [u for u in range(n) if row[u] != 0]
        for u in used[1:]:
            parent[find(u)] = find(used[0])
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for u in range(n):
        groups.setdefault(find(u), ([], []))[0].append(u)
    for i, row in enumerate(matrix):
        first = next(u for u in range(n) if row[u] != 0)
        groups[find(first)][1].append(i)
    return list(groups.values())
