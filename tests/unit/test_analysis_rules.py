"""Early-warning rules and rates (domain/analysis.py)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counselor_tui.domain.analysis import ScorePoint, rate, review_overdue, score_warnings
from counselor_tui.domain.instruments import builtin
from counselor_tui.domain.policy import default_policy

RULES = default_policy().early_warning
PHQ9_BANDS = [b.code for b in builtin("phq9").bands]
D1, D2 = date(2026, 5, 1), date(2026, 11, 1)


def point(total: float | None, band: str | None = None,
          positive: bool | None = None) -> ScorePoint:
    return ScorePoint(D2, total, band, positive)


@pytest.mark.parametrize(("before", "after", "reasons"), [
    ((2, "minimal"), (7, "mild"), ("rise", "band_crossed")),
    ((5, "mild"), (9, "mild"), ()),
    ((5, "mild"), (10, "moderate"), ("rise", "band_crossed")),
    ((4, "minimal"), (5, "mild"), ("band_crossed",)),
    ((10, "moderate"), (5, "mild"), ()),
    ((9, "mild"), (14, "moderate"), ("rise", "band_crossed")),
    ((15, "moderately_severe"), (19, "moderately_severe"), ()),
])
def test_phq9_rise_of_5_or_band_crossing(before: tuple[int, str], after: tuple[int, str],
                                         reasons: tuple[str, ...]) -> None:
    previous = ScorePoint(D1, *before)
    latest = ScorePoint(D2, *after)
    assert score_warnings(RULES, "phq9", PHQ9_BANDS, previous, latest) == reasons


def test_rise_only_for_phq9_and_gad7() -> None:
    pss_bands = [b.code for b in builtin("pss10").bands]
    assert score_warnings(RULES, "pss10", pss_bands, point(14, "moderate"),
                          point(20, "moderate")) == ()
    assert score_warnings(RULES, "gad7", [], point(3), point(8)) == ("rise",)


def test_scl90_becoming_positive_counts_as_crossing() -> None:
    assert score_warnings(RULES, "scl90", [], point(120, positive=False),
                          point(130, positive=True)) == ("became_positive",)
    assert score_warnings(RULES, "scl90", [], point(170, positive=True),
                          point(200, positive=True)) == ()


def test_incomplete_assessments_are_not_compared() -> None:
    assert score_warnings(RULES, "phq9", PHQ9_BANDS, point(None), point(20, "severe")) == ()


def test_review_overdue_for_red_and_yellow_only() -> None:
    today = date(2026, 11, 29)
    assert review_overdue(RULES, "red", date(2026, 11, 28), today)
    assert review_overdue(RULES, "yellow", date(2026, 11, 28), today)
    assert not review_overdue(RULES, "yellow", today, today)
    assert not review_overdue(RULES, "green", date(2026, 1, 1), today)
    assert not review_overdue(RULES, "red", None, today)


@given(d=st.integers(0, 1000), data=st.data())
def test_rate_is_a_fraction(d: int, data: st.DataObject) -> None:
    n = data.draw(st.integers(0, d))
    value = rate(n, d)
    if d == 0:
        assert value is None
    else:
        assert value is not None and 0 <= value <= 1
        assert value * d == pytest.approx(n)


def test_rate_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        rate(3, 2)
