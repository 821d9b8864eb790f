"""The exact audit of one suppressed table: rational linear algebra and an exact simplex.

Independent of the heuristic in :mod:`.suppression`; see the package docstring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from counselor_tui.domain.disclosure.cells import (
    CellRef,
    CellStatus,
    CountSeries,
    CountTable,
    Intruder,
    SuppressedSeries,
    SuppressedTable,
    TableMismatchError,
    _bounds,
)

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
