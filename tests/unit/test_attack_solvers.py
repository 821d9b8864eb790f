"""The attacker's two ways to HiGHS agree (issue 13, benchmark point): the ``highspy`` model
kept per component (the default, faster) and one ``scipy.optimize.milp`` call per solve give
the same exact feasible range of every hidden cell, on random hidden sub-tables of random
count tables with their row, column and grand totals printed."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counselor_tui.domain.disclosure import attack


@st.composite
def problems(draw: st.DrawFn) -> tuple[list[int], list[int | None], list[attack.Equation],
                                       list[int]]:
    """A table of 2..4 × 2..4 counts 0..9 with some cells hidden (unknowns, bounds 0.. or
    1..2 for a small one) and every total printed."""
    rows, cols = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    values = [[draw(st.integers(0, 9)) for _c in range(cols)] for _r in range(rows)]
    hidden = [(r, c) for r in range(rows) for c in range(cols) if draw(st.booleans())]
    index = {cell: u for u, cell in enumerate(hidden)}
    truth = [values[r][c] for r, c in hidden]
    lo = [1 if 1 <= v < 3 else 0 for v in truth]
    hi: list[int | None] = [2 if 1 <= v < 3 else None for v in truth]
    equations: list[attack.Equation] = []
    lines: Iterator[list[tuple[int, int]]] = iter(
        [[(r, c) for c in range(cols)] for r in range(rows)]
        + [[(r, c) for r in range(rows)] for c in range(cols)])
    for line in lines:
        terms = tuple((index[cell], 1) for cell in line if cell in index)
        if terms:
            equations.append((terms, sum(values[r][c] for r, c in line if (r, c) in index)))
    return lo, hi, equations, truth


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_highspy_and_scipy_milp_give_the_same_exact_ranges(
        problem: tuple[list[int], list[int | None], list[attack.Equation], list[int]]) -> None:
    lo, hi, equations, truth = problem
    ranges = {}
    for solver in (attack.HIGHSPY, attack.SCIPY):
        attack.use_solver(solver)
        try:
            ranges[solver] = attack.feasible_ranges(lo, hi, equations, range(len(lo)), truth)
        finally:
            attack.use_solver(attack.HIGHSPY)
    assert ranges[attack.HIGHSPY] == ranges[attack.SCIPY]
    for u, (low, high, exact) in ranges[attack.HIGHSPY].items():
        assert exact and low <= truth[u] and (high is None or truth[u] <= high)
    assert attack.solver_name() == "HiGHS (highspy)"
