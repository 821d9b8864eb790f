"""The attacker: feasible ranges of hidden cells by integer linear programming.

Source of the method: the audit of secondary cell suppression by feasibility intervals
(Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, §4.3) as implemented by
sdcTable's ``attack()`` (Meindl, R package sdcTable): for every hidden cell, minimise and
maximise its value subject to every published value and every linear relation the reader
knows, over the integers. The solver is HiGHS — no home-made solver — through its own Python
interface ``highspy``: one model per connected component, built once, whose objective alone
changes between the minimisations and maximisations (the LP relaxation is re-solved from the
previous basis, the integer program only when the relaxation's optimum is fractional). The
same programs through :func:`scipy.optimize.milp` (one HiGHS model per solve) remain
available for comparison (:func:`use_solver`, ``benchmarks/bench_disclosure.py``).

Shapes
------
* a *problem* is a set of unknowns ``0..n-1`` with inclusive integer bounds ``lo[u]`` and
  ``hi[u]`` (``None``: no upper bound) and equations ``sum(coef * x[u]) == rhs``;
* :func:`feasible_ranges` returns ``{u: (min, max, exact)}`` for the unknowns asked, ``max``
  ``None`` when the cell is unbounded above (no total caps it).

Unknowns that share no equation are independent: the problem is split into connected
components (union–find) and each is solved on its own, which keeps the integer programs
small (a county month has a few hundred hidden cells, in components of a few dozen).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# numpy, scipy and highspy load on the first solve, not with the module: the command line
# and the interface import this module at start-up, and these take most of that time
# (issue 18). highspy is a dependency (pyproject); an environment installed before it
# falls back to scipy.
_HAVE_HIGHSPY = importlib.util.find_spec("highspy") is not None

__all__ = ["SOLVER", "AttackError", "Certified", "Equation", "Ranges", "components",
           "feasible_ranges", "solver_name", "use_solver"]

#: The solver named in the audit record (the default, :data:`HIGHSPY`).
SOLVER = "HiGHS (highspy)"
HIGHSPY = "highspy"
SCIPY = "scipy"
_SOLVER_NAMES = {HIGHSPY: SOLVER, SCIPY: "HiGHS (scipy.optimize.milp)"}
_current = [HIGHSPY if _HAVE_HIGHSPY else SCIPY]


def use_solver(name: str) -> None:
    """Solve through :data:`HIGHSPY` (default) or :data:`SCIPY` from now on (benchmarks
    compare the two on the same data). Raises ``ValueError`` for another name."""
    if name not in _SOLVER_NAMES or (name == HIGHSPY and not _HAVE_HIGHSPY):
        raise ValueError(f"unknown or missing solver {name!r}")
    _current[0] = name


def solver_name() -> str:
    """The solver in use, as named in the audit record."""
    return _SOLVER_NAMES[_current[0]]

Equation = tuple[tuple[tuple[int, int], ...], int]
"""``(((unknown, coef), ...), rhs)``: ``sum(coef * x[unknown]) == rhs``."""


class AttackError(RuntimeError):
    """The solver failed on a problem that has a feasible point (the true values)."""


def components(n: int, equations: Sequence[Equation]) -> list[tuple[list[int], list[int]]]:
    """Split unknowns ``0..n-1`` into groups linked by shared equations.

    Returns ``[(unknowns, equation indexes), ...]`` in order of each group's first unknown.
    """
    parent = list(range(n))

    def find(u: int) -> int:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for terms, _rhs in equations:
        if len(terms) > 1:
            first = find(terms[0][0])
            for u, _c in terms[1:]:
                root = find(u)
                if root != first:
                    parent[root] = first
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for u in range(n):
        groups.setdefault(find(u), ([], []))[0].append(u)
    for i, (terms, _rhs) in enumerate(equations):
        if terms:
            groups[find(terms[0][0])][1].append(i)
    return sorted(groups.values(), key=lambda g: g[0][0])


Certified = Callable[[int, int, int | None], bool]
"""``certified(unknown, low, high)``: True when values ``low..high`` being feasible is enough
(the audit's rule holds whatever the true end points are)."""
Ranges = dict[int, tuple[int, int | None, bool]]
"""``{unknown: (low, high, exact)}``; ``exact`` False: ``low..high`` are values shown
feasible (a witness solution reaches each), the true range may be wider."""


def feasible_ranges(
    lo: Sequence[int],
    hi: Sequence[int | None],
    equations: Sequence[Equation],
    ask: Iterable[int],
    truth: Sequence[int],
    certified: Certified | None = None,
    cache: dict[Hashable, Mapping[int, tuple[int, int | None, bool]]] | None = None,
    names: Sequence[Hashable] | None = None,
    prove: bool = True,
) -> Ranges:
    """The integer range of every unknown in ``ask`` (:data:`Ranges`).

    ``truth`` is a feasible point (the true values). Without ``certified`` every end point is
    its own integer program (exact). With it, each component is first searched for witness
    solutions (minimise, then maximise, the sum of the unknowns not yet certified; each
    solution shows one feasible value of every unknown); an unknown whose shown values
    satisfy ``certified`` is not solved further, every other one exactly. ``cache`` (keyed by
    ``names`` of the unknowns and the component's bounds and equations) skips components
    solved before. ``prove`` False leaves an unknown that the witnesses do not certify with
    its shown values (judged failing) instead of solving it exactly — for the intermediate
    rounds of a suppression, whose last audit proves. Raises :class:`AttackError` when
    HiGHS reports a status other than optimal (it cannot be infeasible: ``truth`` satisfies
    every equation).
    """
    wanted = set(ask)
    out: Ranges = {}
    for unknowns, rows in components(len(lo), equations):
        asked = [u for u in unknowns if u in wanted]
        if not asked:
            continue
        local = {u: p for p, u in enumerate(unknowns)}
        eqs = [equations[i] for i in rows]
        signature: Hashable = None
        if cache is not None and names is not None:
            signature = (
                tuple(names[u] for u in unknowns), tuple(lo[u] for u in unknowns),
                tuple(hi[u] for u in unknowns), tuple(local[u] for u in asked),
                tuple(sorted((tuple(sorted((local[u], c) for u, c in t)), b) for t, b in eqs)))
            found = cache.get(signature)
            if found is not None and prove and certified is not None and not all(
                    exact or certified(unknowns[p], low, high)
                    for p, (low, high, exact) in found.items()):
                found = None
            if found is not None:
                out.update({unknowns[p]: r for p, r in found.items()})
                continue
        solved = _solve_component(lo, hi, eqs, unknowns, asked, truth, certified, prove)
        if cache is not None and signature is not None:
            cache[signature] = {local[u]: r for u, r in solved.items()}
        out.update(solved)
    return out


class _Program:
    """One component as a HiGHS integer program (local indexes)."""

    def __init__(self, lo: Sequence[int], hi: Sequence[int | None],
                 equations: Sequence[Equation], unknowns: Sequence[int],
                 truth: Sequence[int]) -> None:
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint

        self.local = {u: p for p, u in enumerate(unknowns)}
        self.n = n = len(unknowns)
        # A cell without an upper bound is capped far above anything the tables allow;
        # reaching the cap means "unbounded" (None).
        self.cap = 4 * (sum(abs(rhs) for _t, rhs in equations)
                        + sum(truth[u] for u in unknowns)) + 16
        lower = np.array([lo[u] for u in unknowns], dtype=float)
        upper = np.array([self.cap if hi[u] is None else hi[u] for u in unknowns], dtype=float)
        matrix = np.zeros((len(equations), n))
        rhs = np.zeros(len(equations))
        for i, (terms, b) in enumerate(equations):
            for u, coef in terms:
                matrix[i, self.local[u]] += coef
            rhs[i] = b
        self.constraint = LinearConstraint(matrix, rhs, rhs) if len(equations) else None
        self.bounds = Bounds(lower, upper)
        self.integrality = np.ones(n)

    def solve(self, cost: Mapping[int, float]) -> list[int]:
        """A solution minimising ``sum(cost[u] * x[u])`` (global indexes), as integers."""
        import numpy as np
        from scipy.optimize import milp

        c = np.zeros(self.n)
        for u, w in cost.items():
            c[self.local[u]] = w
        # The relaxation first: count tables are (nearly) network matrices, so its optimal
        # vertex is usually integral — then it is also optimal over the integers.
        relaxed = milp(c, bounds=self.bounds, constraints=self.constraint)
        if relaxed.status == 0 and relaxed.x is not None:
            x = relaxed.x
            rounded = np.round(x)
            if np.all(np.abs(x - rounded) < 1e-7):
                return [int(v) for v in rounded]
        result = milp(c, integrality=self.integrality, bounds=self.bounds,
                      constraints=self.constraint)
        if result.status != 0 or result.x is None:
            raise AttackError(f"the solver stopped with status {result.status}")
        return [round(float(v)) for v in result.x]


class _HighsProgram:
    """One component as one HiGHS model (local indexes), kept between solves: only the
    objective (and, when the relaxation is fractional, the integrality) changes."""

    def __init__(self, lo: Sequence[int], hi: Sequence[int | None],
                 equations: Sequence[Equation], unknowns: Sequence[int],
                 truth: Sequence[int]) -> None:
        import numpy as np
        from highspy import HighsLp, MatrixFormat
        from highspy._core import _Highs  # the bindings without highspy.Highs's banner, threads

        self.local = {u: p for p, u in enumerate(unknowns)}
        self.n = n = len(unknowns)
        self.cap = 4 * (sum(abs(rhs) for _t, rhs in equations)
                        + sum(truth[u] for u in unknowns)) + 16
        columns: list[dict[int, float]] = [{} for _ in range(n)]
        for i, (terms, _b) in enumerate(equations):
            for u, coef in terms:
                col = columns[self.local[u]]
                col[i] = col.get(i, 0.0) + coef
        starts, index, value = [0], [], []
        for col in columns:
            for row in sorted(col):
                if col[row]:
                    index.append(row)
                    value.append(col[row])
            starts.append(len(index))
        rhs = np.array([float(b) for _t, b in equations])
        lp = HighsLp()
        lp.num_col_, lp.num_row_ = n, len(equations)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.array([float(lo[u]) for u in unknowns])
        lp.col_upper_ = np.array([float(self.cap) if (top := hi[u]) is None else float(top)
                                  for u in unknowns])
        lp.row_lower_ = rhs
        lp.row_upper_ = rhs
        lp.a_matrix_.format_ = MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, len(equations)
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value, dtype=float)
        self.highs = _Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.passModel(lp)
        self.cols = np.arange(n, dtype=np.int32)
        self.integer = False

    def _integrality(self, integer: bool) -> None:
        import numpy as np
        from highspy import HighsVarType

        if integer != self.integer:
            kind = HighsVarType.kInteger if integer else HighsVarType.kContinuous
            self.highs.changeColsIntegrality(
                self.n, self.cols, np.full(self.n, int(kind), dtype=np.uint8))
            self.integer = integer

    def _run(self) -> np.ndarray:
        import numpy as np
        from highspy import HighsModelStatus

        self.highs.run()
        if self.highs.getModelStatus() != HighsModelStatus.kOptimal:
            raise AttackError(f"the solver stopped with status {self.highs.getModelStatus()}")
        return np.array(self.highs.getSolution().col_value, dtype=float)

    def solve(self, cost: Mapping[int, float]) -> list[int]:
        """A solution minimising ``sum(cost[u] * x[u])`` (global indexes), as integers."""
        import numpy as np

        c = np.zeros(self.n)
        for u, w in cost.items():
            c[self.local[u]] = w
        self.highs.changeColsCost(self.n, self.cols, c)
        # the relaxation first (from the last basis): count tables are (nearly) network
        # matrices, so its optimal vertex is usually integral — then optimal over integers
        self._integrality(False)
        x = self._run()
        rounded = np.round(x)
        if np.all(np.abs(x - rounded) < 1e-7):
            return [int(v) for v in rounded]
        self._integrality(True)
        return [round(float(v)) for v in self._run()]


def _solve_component(
    lo: Sequence[int],
    hi: Sequence[int | None],
    equations: Sequence[Equation],
    unknowns: Sequence[int],
    asked: Sequence[int],
    truth: Sequence[int],
    certified: Certified | None,
    prove: bool = True,
) -> Ranges:
    if not equations:  # nothing links them: each ranges over its own bounds
        return {u: (lo[u], hi[u], True) for u in asked}
    program: _Program | _HighsProgram = (
        _HighsProgram if _current[0] == HIGHSPY else _Program)(lo, hi, equations, unknowns,
                                                               truth)
    local, cap = program.local, program.cap

    def top(u: int, value: int) -> int | None:
        return None if hi[u] is None and value >= cap else value

    seen = {u: [truth[u], truth[u]] for u in asked}
    out: Ranges = {}

    def observe(x: list[int]) -> None:
        for u in asked:
            v = x[local[u]]
            low_high = seen[u]
            low_high[0] = min(low_high[0], v)
            low_high[1] = max(low_high[1], v)

    if certified is not None:
        for _pass in range(3):
            open_ = [u for u in asked
                     if not certified(u, seen[u][0], top(u, seen[u][1]))]
            if not open_:
                break
            before = len(open_)
            observe(program.solve(dict.fromkeys(open_, 1.0)))
            observe(program.solve(dict.fromkeys(open_, -1.0)))
            if sum(1 for u in open_ if not certified(u, seen[u][0], top(u, seen[u][1]))) \
                    == before:
                break
        for u in asked:
            if not prove or certified(u, seen[u][0], top(u, seen[u][1])):
                out[u] = (seen[u][0], top(u, seen[u][1]), False)
    for u in asked:  # an end a witness already put on the unknown's own bound is exact
        if u in out:
            continue
        if seen[u][0] > lo[u]:
            observe(program.solve({u: 1.0}))
        upper = hi[u]
        if upper is None or seen[u][1] < upper:
            x = program.solve({u: -1.0})
            observe(x)
            seen[u][1] = x[local[u]]
        out[u] = (seen[u][0], top(u, seen[u][1]), True)
    return out
