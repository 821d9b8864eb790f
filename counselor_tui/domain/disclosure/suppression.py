"""Primary and complementary suppression: the network-flow heuristic.

See the docstring of :mod:`counselor_tui.domain.disclosure` for the algorithm and its sources.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass

from counselor_tui.domain.disclosure.cells import (
    DEFAULT_K,
    Cell,
    CellRef,
    CellStatus,
    CountSeries,
    CountTable,
    Intruder,
    SuppressedSeries,
    SuppressedTable,
    _bounds,
    _check_k,
)

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
