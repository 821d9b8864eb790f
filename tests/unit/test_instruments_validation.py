"""A bureau's own definition file is validated; every fault names its TOML line."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from counselor_tui.domain.instruments import DefinitionError, load_definition, score
from counselor_tui.i18n import language, set_language

BASE = """\
code = "demo10"
name_zh = "示例量表"
name_en = "Demo scale"
version = "1"
item_count = 10

[source]
citation = "Bureau working group, 2026."
licence = "Internal use."

[responses]
min = 0
max = 3
labels_zh = ["没有", "有时", "经常", "总是"]
labels_en = ["Never", "Sometimes", "Often", "Always"]

[settings.cutoff]
default = 15
min = 1
max = 30

[scoring]
total = "sum"
reversed_items = [2]
subscales_partition = true
bands = [
  [0, 9, "low", "低", "Low"],
  [10, 19, "moderate", "中", "Moderate"],
  [20, 30, "high", "高", "High"],
]

[missing]
rule = "prorate"
max_missing = 1

[screen]
conditions = [
  { metric = "total", op = ">=", value = "cutoff" },
  { metric = "subscale:first", op = ">", value = 2 },
]

[[critical_items]]
item = 10
threshold = 2

[derived.share]
expression = "total / item_count"

[[subscales]]
name = "first"
items = [
  1, 2, 3,
  4, 5,
]
aggregation = "mean"

[[subscales]]
name = "second"
items = [6, 7, 8, 9, 10]
aggregation = "sum"
"""


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    previous = language()
    set_language("en")
    yield
    set_language(previous)


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line containing ``fragment``."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    return hits[occurrence - 1]


def refused(text: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        load_definition(text)
    return caught.value


def mutate(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_base_definition_is_valid_and_scores() -> None:
    defn = load_definition(BASE)
    result = score(defn, [0, 3, 0, 0, 0, 3, 3, 3, 3, 0])
    # item 2 reversed: 3 -> 0; total 12; first = mean(0, 0, 0, 0, 0) = 0
    assert (result.total, result.band, result.subscales["first"]) == (12, "moderate", 0.0)
    assert result.screen_positive is False
    assert score(defn, [0, 3, 0, 0, 0, 3, 3, 3, 3, 3]).screen_positive is True  # 15 >= cutoff
    assert score(defn, [0, 3, 0, 0, 0, 3, 3, 3, 3, 3]).critical_items == (10,)


def test_item_beyond_item_count_in_multiline_subscale_names_its_line() -> None:
    text = mutate("  4, 5,\n", "  4, 11,\n")
    error = refused(text)
    assert error.line == line_of(text, "  4, 11,")
    assert "Item 11 does not exist" in str(error)
    assert f"line {error.line}" in str(error)


def test_duplicate_item_in_a_subscale_names_its_line() -> None:
    text = mutate("items = [6, 7, 8, 9, 10]", "items = [6, 7, 8, 9, 10, 7]")
    error = refused(text)
    assert error.line == line_of(text, "items = [6, 7, 8, 9, 10, 7]")
    assert "Item 7 is listed twice" in str(error)


def test_item_in_two_subscales_of_a_partition_is_refused() -> None:
    text = mutate("items = [6, 7, 8, 9, 10]", "items = [5, 6, 7, 8, 9, 10]")
    error = refused(text)
    assert error.line == line_of(text, "items = [5, 6, 7, 8, 9, 10]")
    assert "Item 5 is in two subscales" in str(error)


def test_item_left_out_of_a_partition_is_refused() -> None:
    text = mutate("items = [6, 7, 8, 9, 10]", "items = [6, 7, 8, 9]")
    error = refused(text)
    assert error.line == line_of(text, "subscales_partition = true")
    assert "Items 10 are in no subscale" in str(error)


def test_overlapping_bands_name_the_second_band() -> None:
    text = mutate('[10, 19, "moderate"', '[9, 19, "moderate"')
    error = refused(text)
    assert error.line == line_of(text, '"moderate"')
    assert "overlap at totals 9" in str(error)


def test_gapped_bands_name_the_band_after_the_gap() -> None:
    text = mutate('[10, 19, "moderate"', '[12, 19, "moderate"')
    error = refused(text)
    assert error.line == line_of(text, '"moderate"')
    assert "No band covers totals 10–11" in str(error)


def test_gap_at_the_top_of_the_range_is_refused() -> None:
    text = mutate('[20, 30, "high"', '[20, 29, "high"')
    error = refused(text)
    assert error.line == line_of(text, '"high"')
    assert "No band covers totals 30" in str(error)


def test_band_beyond_the_possible_totals_is_refused() -> None:
    text = mutate('[20, 30, "high"', '[20, 40, "high"')
    error = refused(text)
    assert error.line == line_of(text, '"high"')
    assert "outside the possible totals 0–30" in str(error)


def test_band_with_unknown_setting_is_refused() -> None:
    text = mutate('[20, 30, "high"', '["limit", 30, "high"')
    error = refused(text)
    assert error.line == line_of(text, '"high"')
    assert "Unknown setting 'limit'" in str(error)


def test_unknown_aggregation_names_its_line() -> None:
    text = mutate('aggregation = "sum"', 'aggregation = "median"')
    error = refused(text)
    assert error.line == line_of(text, 'aggregation = "median"')
    assert "Unknown aggregation 'median'" in str(error)


def test_unknown_total_aggregation_is_refused() -> None:
    text = mutate('total = "sum"', 'total = "mean"')
    error = refused(text)
    assert error.line == line_of(text, 'total = "mean"')


def test_response_range_with_min_above_max_names_max() -> None:
    text = mutate("max = 3\n", "max = 0\n")
    error = refused(text)
    assert error.line == line_of(text, "max = 0")
    assert "Bad response range 0..0" in str(error)


def test_negative_response_minimum_names_min() -> None:
    text = mutate("min = 0\n", "min = -1\n")
    error = refused(text)
    assert error.line == line_of(text, "min = -1")


def test_labels_must_match_the_response_range() -> None:
    text = mutate('labels_en = ["Never", "Sometimes", "Often", "Always"]', 'labels_en = ["Never"]')
    error = refused(text)
    assert error.line == line_of(text, 'labels_en = ["Never"]')
    assert "needs 4 texts" in str(error)


def test_missing_key_in_a_table_names_the_table() -> None:
    text = mutate("min = 0\n", "")
    error = refused(text)
    assert error.line == line_of(text, "[responses]")
    assert "Missing required key 'responses.min'" in str(error)


def test_missing_top_level_key_names_the_key() -> None:
    error = refused(mutate('code = "demo10"\n', ""))
    assert error.line is None
    assert str(error) == "Missing required key 'code'."


def test_missing_table_is_refused() -> None:
    text = mutate(
        '[source]\ncitation = "Bureau working group, 2026."\nlicence = "Internal use."\n', ""
    )
    assert "Missing required key 'source'" in str(refused(text))


def test_unknown_key_names_its_line() -> None:
    text = mutate('aggregation = "mean"', 'aggregation = "mean"\nweight = 2')
    error = refused(text)
    assert error.line == line_of(text, "weight = 2")
    assert "Unknown key 'weight'" in str(error)


def test_wrong_type_names_its_line() -> None:
    text = mutate("item_count = 10", 'item_count = "10"')
    error = refused(text)
    assert error.line == line_of(text, 'item_count = "10"')
    assert "'item_count' must be a whole number" in str(error)


def test_toml_syntax_error_names_its_line() -> None:
    text = mutate('version = "1"', "version = 1 2")
    error = refused(text)
    assert error.line == line_of(text, "version = 1 2")
    assert "TOML syntax error" in str(error)


def test_critical_item_out_of_range_names_its_line() -> None:
    text = mutate("item = 10\n", "item = 12\n")
    error = refused(text)
    assert error.line == line_of(text, "item = 12")


def test_critical_threshold_outside_responses_is_refused() -> None:
    text = mutate("threshold = 2\n", "threshold = 4\n")
    error = refused(text)
    assert error.line == line_of(text, "threshold = 4")
    assert "outside the response range 0..3" in str(error)


def test_unknown_screen_metric_names_the_condition_line() -> None:
    text = mutate('metric = "subscale:first"', 'metric = "subscale:third"')
    error = refused(text)
    assert error.line == line_of(text, "subscale:third")
    assert "Unknown metric 'subscale:third'" in str(error)


def test_positive_count_metric_needs_a_threshold() -> None:
    text = mutate('metric = "subscale:first"', 'metric = "positive_count"')
    error = refused(text)
    assert error.line == line_of(text, '"positive_count"')


def test_bad_derived_expression_names_its_line() -> None:
    text = mutate('expression = "total / item_count"', "expression = \"__import__('os')\"")
    error = refused(text)
    assert error.line == line_of(text, "__import__")
    assert "Bad expression" in str(error)


def test_unknown_missing_rule_and_bad_max_missing() -> None:
    text = mutate('rule = "prorate"', 'rule = "impute"')
    assert refused(text).line == line_of(text, 'rule = "impute"')
    text = mutate("max_missing = 1", "max_missing = 10")
    error = refused(text)
    assert error.line == line_of(text, "max_missing = 10")
    assert "between 1 and 9" in str(error)


def test_setting_default_outside_its_range_is_refused() -> None:
    text = mutate("default = 15", "default = 45")
    assert refused(text).line == line_of(text, "default = 45")


def test_fault_in_a_builtin_file_copy_names_the_right_line() -> None:
    folder = resources.files("counselor_tui.domain.instruments") / "definitions"
    original = (folder / "pcl5.toml").read_text(encoding="utf-8")
    text = mutate("items = [6, 7]", "items = [6, 7, 21]", original)
    error = refused(text)
    assert error.line == line_of(text, "items = [6, 7, 21]")
    assert "Item 21 does not exist: the instrument has 20 items" in str(error)

    scl = (folder / "scl90.toml").read_text(encoding="utf-8")
    text = mutate("items = [11, 24, 63, 67, 74, 81]", "items = [11, 24, 63, 67, 74, 81, 19]", scl)
    error = refused(text)
    assert error.line == line_of(text, "other_items = [19,")
    assert "Item 19 is in other_items and in subscale hostility" in str(error)


def test_load_definition_reads_a_path(tmp_path: Path) -> None:
    path = tmp_path / "demo10.toml"
    path.write_text(BASE, encoding="utf-8")
    assert load_definition(path).code == "demo10"
    assert load_definition(str(path)).name_en == "Demo scale"
    with pytest.raises(DefinitionError, match="Cannot read"):
        load_definition(tmp_path / "absent.toml")
