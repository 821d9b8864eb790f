"""Scoring of the built-in instruments: published sanity values and worked examples at every
band edge (shared/domain/instruments.md), missing-item rules, settings and entry helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from counselor_tui.domain.instruments import (
    ResponseError,
    SettingError,
    UnknownInstrumentError,
    builtin,
    builtin_codes,
    load_definition,
    parse_responses,
    response_for_key,
    score,
)
from counselor_tui.i18n import language, set_language

CONTRACT_KEYS = [
    "instrument",
    "total",
    "band",
    "subscales",
    "critical_items",
    "screen_positive",
    "provisional_diagnosis",
    "complete",
]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    previous = language()
    set_language("en")
    yield
    set_language(previous)


def fill(count: int, total: int, low: int, high: int) -> list[int]:
    """``count`` answers in ``low..high`` summing to ``total``, filled from item 1 onwards."""
    answers = [low] * count
    extra = total - low * count
    for index in range(count):
        step = min(extra, high - low)
        answers[index] += step
        extra -= step
    assert extra == 0
    assert sum(answers) == total
    return answers


# -- sanity values of instruments.md ----------------------------------------------------------


def test_builtin_codes_are_the_six_shipped_instruments() -> None:
    assert set(builtin_codes()) == {"phq9", "gad7", "pcl5", "pss10", "k10", "scl90"}


def test_builtin_accepts_printed_names_and_refuses_unknown_codes() -> None:
    assert builtin("PHQ-9").code == "phq9"
    with pytest.raises(UnknownInstrumentError, match="cssrs"):
        builtin("cssrs")


def test_phq9_all_zero_is_minimal() -> None:
    result = score(builtin("phq9"), [0] * 9)
    assert (result.total, result.band, result.critical_items) == (0, "minimal", ())
    assert result.screen_positive is False
    assert result.complete is True
    assert result.prorated is False


def test_phq9_all_three_is_severe_and_fires_item_9() -> None:
    result = score(builtin("phq9"), [3] * 9)
    assert (result.total, result.band, result.critical_items) == (27, "severe", (9,))
    assert result.band_label_zh == "重度"


def test_pcl5_all_two_gives_published_cluster_scores_and_diagnosis() -> None:
    result = score(builtin("pcl5"), [2] * 20)
    assert result.total == 40
    assert dict(result.subscales) == {"B": 10, "C": 4, "D": 14, "E": 12}
    assert result.provisional_diagnosis is True
    assert result.band == "probable_ptsd"
    assert result.screen_positive is True


def test_scl90_all_one_is_not_screen_positive() -> None:
    result = score(builtin("scl90"), [1] * 90)
    assert result.total == 90
    assert result.positive_count == 0
    assert result.negative_count == 90
    assert result.screen_positive is False
    assert result.derived["gsi"] == 1.0
    assert result.derived["psdi"] is None  # no positive item: PSDI undefined
    assert result.band is None  # SCL-90 has no severity bands


def test_scl90_all_two_is_screen_positive_with_every_factor_at_two() -> None:
    result = score(builtin("scl90"), [2] * 90)
    assert result.total == 180
    assert result.positive_count == 90
    assert result.negative_count == 0
    assert len(result.subscales) == 9
    assert all(value == 2.0 for value in result.subscales.values())
    assert result.screen_positive is True
    assert result.derived == {"gsi": 2.0, "psdi": 2.0}


# -- band edges: both sides of every boundary -------------------------------------------------

BAND_EDGES = [
    # (instrument, total, band, screen_positive)
    ("phq9", 0, "minimal", False),
    ("phq9", 4, "minimal", False),
    ("phq9", 5, "mild", False),
    ("phq9", 9, "mild", False),
    ("phq9", 10, "moderate", True),
    ("phq9", 14, "moderate", True),
    ("phq9", 15, "moderately_severe", True),
    ("phq9", 19, "moderately_severe", True),
    ("phq9", 20, "severe", True),
    ("phq9", 27, "severe", True),
    ("gad7", 0, "minimal", False),
    ("gad7", 4, "minimal", False),
    ("gad7", 5, "mild", False),
    ("gad7", 9, "mild", False),
    ("gad7", 10, "moderate", True),
    ("gad7", 14, "moderate", True),
    ("gad7", 15, "severe", True),
    ("gad7", 21, "severe", True),
    ("pcl5", 0, "below_threshold", False),
    ("pcl5", 32, "below_threshold", False),
    ("pcl5", 33, "probable_ptsd", True),
    ("pcl5", 80, "probable_ptsd", True),
    ("k10", 10, "low", False),
    ("k10", 15, "low", False),
    ("k10", 16, "moderate", False),
    ("k10", 21, "moderate", False),
    ("k10", 22, "high", False),
    ("k10", 29, "high", False),
    ("k10", 30, "very_high", True),
    ("k10", 50, "very_high", True),
]


@pytest.mark.parametrize(("code", "total", "band", "positive"), BAND_EDGES)
def test_band_edges(code: str, total: int, band: str, positive: bool) -> None:
    defn = builtin(code)
    answers = fill(defn.item_count, total, defn.response_min, defn.response_max)
    result = score(defn, answers)
    assert (result.total, result.band, result.screen_positive) == (total, band, positive)


PSS10_EDGES = [
    # raw answers (items 4, 5, 7, 8 reverse-scored 4 - x), total, helplessness, efficacy, band
    ([4, 4, 4, 4, 4, 1, 4, 4, 0, 0], 13, 13, 0, "low"),
    ([4, 4, 4, 4, 4, 2, 4, 4, 0, 0], 14, 14, 0, "moderate"),
    ([4, 4, 4, 2, 4, 4, 4, 4, 4, 4], 26, 24, 2, "moderate"),
    ([4, 4, 4, 1, 4, 4, 4, 4, 4, 4], 27, 24, 3, "high"),
    ([0, 0, 0, 4, 4, 0, 4, 4, 0, 0], 0, 0, 0, "low"),
    ([4, 4, 4, 0, 0, 4, 0, 0, 4, 4], 40, 24, 16, "high"),
]


@pytest.mark.parametrize(("answers", "total", "helpless", "efficacy", "band"), PSS10_EDGES)
def test_pss10_band_edges_after_reversal(
    answers: list[int], total: int, helpless: int, efficacy: int, band: str
) -> None:
    result = score(builtin("pss10"), answers)
    assert result.total == total
    assert result.band == band
    assert dict(result.subscales) == {"helplessness": helpless, "self_efficacy": efficacy}
    assert result.screen_positive is (total >= 27)


def test_pss10_reversal_turns_all_zero_into_sixteen() -> None:
    # items 4, 5, 7, 8 answered 0 ("never" confident / on top of things) score 4 each
    assert score(builtin("pss10"), [0] * 10).total == 16
    assert score(builtin("pss10"), [4] * 10).total == 24


def test_k10_minimum_and_maximum() -> None:
    low, high = score(builtin("k10"), [1] * 10), score(builtin("k10"), [5] * 10)
    assert (low.total, low.band, low.subscales["k6"]) == (10, "low", 6)
    assert (high.total, high.band, high.subscales["k6"]) == (50, "very_high", 30)


def test_k6_subset_is_items_2_4_5_8_9_10_and_not_item_6() -> None:
    only_item_6 = score(builtin("k10"), [1, 1, 1, 1, 1, 5, 1, 1, 1, 1])
    assert only_item_6.total == 14
    assert only_item_6.subscales["k6"] == 6
    k6_items_high = score(builtin("k10"), [1, 5, 1, 5, 5, 1, 1, 5, 5, 5])
    assert k6_items_high.subscales["k6"] == 30
    assert k6_items_high.total == 34


# -- PCL-5: cut-off setting and provisional diagnosis ----------------------------------------


def test_pcl5_cutoff_is_a_setting() -> None:
    defn = builtin("pcl5")
    answers = fill(20, 31, 0, 4)
    default = score(defn, answers)
    assert (default.band, default.screen_positive) == ("below_threshold", False)
    lowered = score(defn, answers, {"cutoff": 31})
    assert (lowered.band, lowered.screen_positive) == ("probable_ptsd", True)
    assert lowered.settings == {"cutoff": 31}
    assert score(defn, fill(20, 30, 0, 4), {"pcl5.cutoff": 31}).band == "below_threshold"


def test_settings_for_other_instruments_are_ignored() -> None:
    result = score(builtin("pcl5"), fill(20, 32, 0, 4), {"phq9.whatever": 1, "pcl5.cutoff": 32})
    assert result.band == "probable_ptsd"


@pytest.mark.parametrize(
    "settings", [{"cutof": 31}, {"cutoff": 0}, {"cutoff": 81}, {"cutoff": 31.5}]
)
def test_bad_pcl5_settings_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(SettingError, match="cutof"):
        score(builtin("pcl5"), [0] * 20, settings)


def test_pcl5_diagnosis_needs_every_cluster() -> None:
    no_avoidance = [4] * 20
    no_avoidance[5] = no_avoidance[6] = 1  # items 6-7 (cluster C) below "moderately"
    result = score(builtin("pcl5"), no_avoidance)
    assert result.total == 74
    assert result.band == "probable_ptsd"
    assert result.provisional_diagnosis is False

    one_d_item = [2] * 20
    for item in range(9, 15):  # items 9-14 at 1: only item 8 of cluster D endorsed
        one_d_item[item - 1] = 1
    assert score(builtin("pcl5"), one_d_item).provisional_diagnosis is False

    minimal = [0] * 20
    for item in (1, 6, 8, 9, 15, 16):  # 1 B, 1 C, 2 D, 2 E at exactly 2
        minimal[item - 1] = 2
    result = score(builtin("pcl5"), minimal)
    assert result.provisional_diagnosis is True
    assert result.total == 12
    assert result.screen_positive is False


def test_provisional_diagnosis_is_null_where_undefined() -> None:
    assert score(builtin("phq9"), [1] * 9).provisional_diagnosis is None


# -- SCL-90: each screen-positive path on its own ---------------------------------------------

SCL90_OTHER = [19, 44, 59, 60, 64, 66, 89]


def scl90_high_total(total: int) -> list[int]:
    """Raise the total without any factor mean reaching 2 and with few positive items: the
    seven "other" items first, then at most (k - 1) points per factor of k items, in steps
    of 4 on as few items as possible."""
    answers = [1] * 90
    extra = total - 90
    for item in SCL90_OTHER:
        step = min(extra, 4)
        answers[item - 1] += step
        extra -= step
    for factor in builtin("scl90").subscales:
        budget = len(factor.items) - 1
        for item in factor.items:
            step = min(extra, budget, 4)
            answers[item - 1] += step
            extra -= step
            budget -= step
    assert extra == 0
    return answers


def test_scl90_total_above_160_alone_makes_positive() -> None:
    defn = builtin("scl90")
    at_160, at_161 = score(defn, scl90_high_total(160)), score(defn, scl90_high_total(161))
    for result in (at_160, at_161):
        assert result.positive_count is not None
        assert result.positive_count <= 43
        assert max(v for v in result.subscales.values() if v is not None) < 2
    assert (at_160.total, at_160.screen_positive) == (160, False)
    assert (at_161.total, at_161.screen_positive) == (161, True)


def scl90_positive_items(count: int) -> list[int]:
    """``count`` items at 2, the rest at 1, no factor mean reaching 2."""
    answers = [1] * 90
    chosen = list(SCL90_OTHER)
    for factor in builtin("scl90").subscales:
        chosen.extend(factor.items[:-1])
    for item in chosen[:count]:
        answers[item - 1] = 2
    return answers


def test_scl90_more_than_43_positive_items_alone_makes_positive() -> None:
    defn = builtin("scl90")
    at_43, at_44 = score(defn, scl90_positive_items(43)), score(defn, scl90_positive_items(44))
    assert (at_43.positive_count, at_43.total, at_43.screen_positive) == (43, 133, False)
    assert (at_44.positive_count, at_44.total, at_44.screen_positive) == (44, 134, True)
    assert max(v for v in at_44.subscales.values() if v is not None) < 2


def test_scl90_one_factor_mean_at_two_alone_makes_positive() -> None:
    hostility = [11, 24, 63, 67, 74, 81]
    answers = [1] * 90
    for item in hostility[:5]:
        answers[item - 1] = 2
    below = score(builtin("scl90"), answers)
    assert below.subscales["hostility"] == pytest.approx(11 / 6)
    assert below.screen_positive is False
    answers[81 - 1] = 2
    at_two = score(builtin("scl90"), answers)
    assert at_two.subscales["hostility"] == 2.0
    assert (at_two.total, at_two.positive_count, at_two.screen_positive) == (96, 6, True)


def test_scl90_psdi_gsi_and_critical_items() -> None:
    answers = [1] * 90
    for item in range(1, 11):
        answers[item - 1] = 3
    result = score(builtin("scl90"), answers)
    assert (result.total, result.positive_count, result.negative_count) == (110, 10, 80)
    assert result.derived["psdi"] == 3.0  # (110 - 80) / 10
    assert result.derived["gsi"] == pytest.approx(110 / 90)
    assert result.critical_items == ()

    for item in (15, 59, 63):
        answers = [1] * 90
        answers[item - 1] = 2
        assert score(builtin("scl90"), answers).critical_items == ()
        answers[item - 1] = 3
        assert score(builtin("scl90"), answers).critical_items == (item,)


def test_scl90_other_items_count_in_total_only() -> None:
    answers = [1] * 90
    for item in SCL90_OTHER:
        answers[item - 1] = 5
    result = score(builtin("scl90"), answers)
    assert result.total == 118
    assert all(value == 1.0 for value in result.subscales.values())


def test_scl90_norm_comparison() -> None:
    result = score(builtin("scl90"), [2] * 90)
    norms = {norm.name: norm for norm in result.norms}
    assert norms["depression"].mean == 1.50
    assert norms["depression"].difference == 0.5
    assert norms["total"].sd == 38.76
    assert norms["total"].z == round((180 - 129.96) / 38.76, 4)
    assert norms["gsi"].z == round((2.0 - 1.44) / 0.43, 4)
    assert norms["somatization"].z is None  # no SD listed for factors


# -- missing items ----------------------------------------------------------------------------


def test_phq9_one_missing_item_is_prorated_half_up() -> None:
    result = score(builtin("phq9"), [1, 1, 1, 1, 0, 0, 0, 0, None])
    # 4 over 8 answered items x 9 = 4.5 -> 5 (half up; Python's round would give 4)
    assert (result.total, result.band, result.prorated) == (5, "mild", True)
    assert result.complete is True
    assert result.missing_items == (9,)


def test_gad7_one_missing_item_is_prorated() -> None:
    result = score(builtin("gad7"), [3, 3, 3, 0, 0, 0, None])
    # 9 over 6 answered items x 7 = 10.5 -> 11
    assert (result.total, result.band, result.screen_positive) == (11, "moderate", True)


def test_prorating_rounds_below_half_down() -> None:
    # 13 / 8 x 9 = 14.625 -> 15; 10 / 8 x 9 = 11.25 -> 11
    assert score(builtin("phq9"), [2, 2, 2, 2, 2, 2, 1, 0, None]).total == 15
    assert score(builtin("phq9"), [None, 2, 2, 2, 2, 2, 0, 0, 0]).total == 11


def test_two_missing_items_leave_phq9_incomplete() -> None:
    result = score(builtin("phq9"), [3, 3, 3, 3, 3, 3, 3, None, None])
    assert result.total is None
    assert result.band is None
    assert result.screen_positive is None
    assert result.complete is False
    assert result.prorated is False
    assert result.missing_items == (8, 9)


def test_critical_item_fires_even_when_incomplete() -> None:
    result = score(builtin("phq9"), [None, None, None, 0, 0, 0, 0, 0, 2])
    assert result.complete is False
    assert result.critical_items == (9,)


def test_instruments_without_prorating_are_incomplete_with_one_missing_item() -> None:
    for code in ("pcl5", "pss10", "k10", "scl90"):
        defn = builtin(code)
        answers: list[int | None] = [defn.response_min] * defn.item_count
        answers[0] = None
        result = score(defn, answers)
        assert (result.total, result.band, result.complete) == (None, None, False), code
        assert result.screen_positive is None


def test_scl90_incomplete_has_no_counts_or_indices() -> None:
    answers: list[int | None] = [2] * 90
    answers[45] = None
    result = score(builtin("scl90"), answers)
    assert result.positive_count is None
    assert result.derived == {"gsi": None, "psdi": None}
    assert result.subscales["obsessive_compulsive"] is None  # item 46 is in this factor
    assert result.subscales["depression"] == 2.0


def test_half_even_rounding_can_be_chosen_by_a_definition() -> None:
    text = (
        builtin_text("phq9")
        .replace('rounding = "half_up"', 'rounding = "half_even"')
        .replace('code = "phq9"', 'code = "phq9_even"')
    )
    result = score(load_definition(text), [1, 1, 1, 1, 0, 0, 0, 0, None])
    assert (result.total, result.band) == (4, "minimal")


def builtin_text(code: str) -> str:
    from importlib import resources

    folder = resources.files("counselor_tui.domain.instruments") / "definitions"
    return (folder / f"{code}.toml").read_text(encoding="utf-8")


# -- response errors --------------------------------------------------------------------------


def test_out_of_range_response_names_the_item() -> None:
    with pytest.raises(ResponseError, match="Item 3") as caught:
        score(builtin("phq9"), [0, 0, 4, 0, 0, 0, 0, 0, 0])
    assert caught.value.item == 3
    with pytest.raises(ResponseError, match="Item 90"):
        score(builtin("scl90"), [1] * 89 + [0])


def test_wrong_number_of_responses_is_refused() -> None:
    with pytest.raises(ResponseError, match="9 responses, got 8"):
        score(builtin("phq9"), [0] * 8)


@pytest.mark.parametrize("bad", [True, 1.0, "1"])
def test_non_integer_responses_are_refused(bad: object) -> None:
    answers: list[object] = [0] * 9
    answers[1] = bad
    with pytest.raises(ResponseError, match="Item 2"):
        score(builtin("phq9"), answers)  # type: ignore[arg-type]


# -- JSON contract (DESIGN §9) ----------------------------------------------------------------


def test_json_contract_keys_come_first_and_exactly() -> None:
    data = score(builtin("pcl5"), [2] * 20).to_json_dict()
    assert list(data)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert data["subscales"] == {"B": 10, "C": 4, "D": 14, "E": 12}
    assert data["critical_items"] == []
    assert data["provisional_diagnosis"] is True
    json.dumps(data)  # serialisable as is


def test_json_of_phq9_has_null_diagnosis_and_prorated_flag() -> None:
    data = score(builtin("phq9"), [3] * 8 + [None]).to_json_dict()
    assert data["provisional_diagnosis"] is None
    assert data["prorated"] is True
    assert data["total"] == 27
    assert data["critical_items"] == []
    assert data["missing_items"] == [9]


def test_json_of_scl90_carries_its_extras() -> None:
    data = score(builtin("scl90"), [1] * 90).to_json_dict()
    assert data["gsi"] == 1.0
    assert data["psdi"] is None
    assert (data["positive_count"], data["negative_count"]) == (0, 90)
    assert data["norms"]["total"]["mean"] == 129.96
    assert json.loads(json.dumps(data)) == data


# -- entry helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0,1,2,3", [0, 1, 2, 3]),
        ("１，２，３", [1, 2, 3]),
        ("1,,3", [1, None, 3]),
        ("1,-,3", [1, None, 3]),
        ("1,－,3", [1, None, 3]),
        (" 1 , 2 ,3 ", [1, 2, 3]),
        ("1、2、3", [1, 2, 3]),
        ("4,", [4, None]),
    ],
)
def test_parse_responses(text: str, expected: list[int | None]) -> None:
    assert parse_responses(text) == expected


@pytest.mark.parametrize(("text", "position"), [("a", 1), ("1,2,x", 3), ("1,-1", 2), ("1.5", 1)])
def test_parse_responses_names_the_bad_field(text: str, position: int) -> None:
    with pytest.raises(ResponseError, match=f"Response {position}") as caught:
        parse_responses(text)
    assert caught.value.item == position


def test_parse_responses_refuses_blank_text() -> None:
    with pytest.raises(ResponseError, match="No responses"):
        parse_responses("  ")


def test_response_for_key() -> None:
    phq9, scl90 = builtin("phq9"), builtin("scl90")
    assert [response_for_key(phq9, k) for k in "01234"] == [0, 1, 2, 3, None]
    assert [response_for_key(scl90, k) for k in "0156"] == [None, 1, 5, None]
    assert response_for_key(phq9, "２") == 2
    assert response_for_key(phq9, "a") is None
    assert response_for_key(phq9, "12") is None


def test_item_texts_ship_except_for_scl90() -> None:
    for code in ("phq9", "gad7", "pcl5", "pss10", "k10"):
        defn = builtin(code)
        assert len(defn.items) == defn.item_count
        assert all(item.text_zh and item.text_en for item in defn.items), code
    assert builtin("scl90").items == ()
    assert builtin("phq9").items[8].text_zh == "有不如死掉或用某种方式伤害自己的念头"


def test_every_builtin_cites_source_and_licence() -> None:
    for code in builtin_codes():
        source = builtin(code).source
        assert source.citation, code
        assert source.licence, code
        assert source.year, code


# -- critical items left unanswered (tester finding) ------------------------------------------


def test_a_missing_critical_item_is_flagged_even_when_prorated() -> None:
    result = score(builtin("phq9"), [1] * 8 + [None])
    assert (result.total, result.prorated, result.complete) == (9, True, True)
    assert result.critical_items == ()  # unchanged meaning: items that fired
    assert result.critical_items_unanswered == (9,)
    data = result.to_json_dict()
    assert list(data)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert data["critical_items_unanswered"] == [9]


def test_critical_items_unanswered_lists_only_critical_items() -> None:
    assert score(builtin("phq9"), [None] + [1] * 8).critical_items_unanswered == ()
    assert score(builtin("phq9"), [1] * 9).critical_items_unanswered == ()
    assert score(builtin("gad7"), [None] + [1] * 6).to_json_dict()[
        "critical_items_unanswered"] == []
    answers: list[int | None] = [1] * 90
    answers[14] = answers[62] = None
    scl = score(builtin("scl90"), answers)
    assert scl.critical_items_unanswered == (15, 63) and not scl.complete
