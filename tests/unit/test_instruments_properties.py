"""Property tests of the instrument engine (Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counselor_tui.domain.instruments import (
    builtin,
    builtin_codes,
    parse_responses,
    score,
    scored_value,
)


def complete_responses(code: str) -> st.SearchStrategy[list[int]]:
    defn = builtin(code)
    value = st.integers(defn.response_min, defn.response_max)
    return st.lists(value, min_size=defn.item_count, max_size=defn.item_count)


@pytest.mark.parametrize("code", sorted(builtin_codes()))
@given(data=st.data())
def test_totals_stay_within_range_and_are_banded(code: str, data: st.DataObject) -> None:
    defn = builtin(code)
    answers = data.draw(complete_responses(code))
    result = score(defn, answers)
    low, high = defn.total_range
    assert result.total is not None
    assert low <= result.total <= high
    assert result.complete
    assert result.screen_positive is not None
    assert (result.band is None) == (not defn.bands)


@pytest.mark.parametrize("code", sorted(builtin_codes()))
@given(data=st.data())
def test_scoring_is_deterministic(code: str, data: st.DataObject) -> None:
    defn = builtin(code)
    answers = data.draw(complete_responses(code))
    assert score(defn, answers) == score(defn, list(answers))
    assert score(defn, answers).to_json_dict() == score(builtin(code), answers).to_json_dict()


@pytest.mark.parametrize("code", sorted(builtin_codes()))
@given(data=st.data())
def test_reversal_is_involutive(code: str, data: st.DataObject) -> None:
    defn = builtin(code)
    item = data.draw(st.integers(1, defn.item_count))
    value = data.draw(st.integers(defn.response_min, defn.response_max))
    once = scored_value(defn, item, value)
    assert defn.response_min <= once <= defn.response_max
    assert scored_value(defn, item, once) == value


@given(st.lists(st.integers(0, 4), min_size=10, max_size=10))
def test_pss10_total_is_raw_sum_with_items_4_5_7_8_reversed(answers: list[int]) -> None:
    expected = sum(4 - v if i in (4, 5, 7, 8) else v for i, v in enumerate(answers, 1))
    assert score(builtin("pss10"), answers).total == expected


def test_scl90_factors_and_other_items_partition_1_to_90() -> None:
    defn = builtin("scl90")
    grouped = [item for sub in defn.subscales for item in sub.items] + list(defn.other_items)
    assert sorted(grouped) == list(range(1, 91))
    assert len(defn.subscales) == 9
    assert len(defn.other_items) == 7


def test_pcl5_clusters_partition_1_to_20() -> None:
    defn = builtin("pcl5")
    assert {sub.name: sub.items for sub in defn.subscales} == {
        "B": (1, 2, 3, 4, 5),
        "C": (6, 7),
        "D": (8, 9, 10, 11, 12, 13, 14),
        "E": (15, 16, 17, 18, 19, 20),
    }
    grouped = [item for sub in defn.subscales for item in sub.items]
    assert sorted(grouped) == list(range(1, 21))
    assert defn.diagnosis is not None
    assert [(c.name, c.min_endorsed) for c in defn.diagnosis.clusters] == [
        ("B", 1), ("C", 1), ("D", 2), ("E", 2),
    ]  # fmt: skip


def test_pss10_subscales_partition_1_to_10() -> None:
    defn = builtin("pss10")
    assert sorted(item for sub in defn.subscales for item in sub.items) == list(range(1, 11))
    assert defn.reversed_items == {4, 5, 7, 8}


@pytest.mark.parametrize("code", ["phq9", "gad7"])
@given(data=st.data())
def test_prorated_total_is_mean_times_count_rounded_half_up(code: str, data: st.DataObject) -> None:
    defn = builtin(code)
    answers: list[int | None] = list(data.draw(complete_responses(code)))
    missing = data.draw(st.integers(0, defn.item_count - 1))
    answers[missing] = None
    answered = [v for v in answers if v is not None]
    exact = sum(answered) * defn.item_count / len(answered)
    result = score(defn, answers)
    assert result.prorated
    assert result.missing_items == (missing + 1,)
    assert result.total is not None
    assert abs(result.total - exact) <= 0.5
    if exact - int(exact) == 0.5:
        assert result.total == int(exact) + 1


@given(st.lists(st.one_of(st.none(), st.integers(0, 99)), min_size=1, max_size=90))
def test_parse_responses_round_trips(values: list[int | None]) -> None:
    dashed = ",".join("-" if v is None else str(v) for v in values)
    assert parse_responses(dashed) == values
    text = ",".join("" if v is None else str(v) for v in values)
    if values == [None]:
        return  # blank text is refused rather than read as one missing item
    assert parse_responses(text) == values
    wide = text.translate(str.maketrans("0123456789,", "０１２３４５６７８９，"))
    assert parse_responses(wide) == values
