"""Reading survey exports (domain/responses.py): scores and labels, headers, dates."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counselor_tui.domain.instruments import builtin
from counselor_tui.domain.responses import (
    AnswerError,
    ResponsesFormatError,
    answer_value,
    cell_date,
    normalize_badge,
    normalize_name,
    parse_table,
)

PHQ9 = builtin("phq9")
GAD7 = builtin("gad7")
SCL90 = builtin("scl90")


@pytest.mark.parametrize(("cell", "value"), [
    (0, 0), (3, 3), (2.0, 2), ("2", 2), ("２", 2), (" 1 ", 1), ("1分", 1), ("1.0", 1),
    ("完全不会", 0), ("好几天", 1), ("一半以上的天数", 2), ("几乎每天", 3),
    ("几乎 每天", 3), ("几乎\u3000每天 ", 3), ("A.完全不会", 0), ("B、好几天", 1),
    ("Ｃ．一半以上的天数", 2), ("完全不会(0分)", 0), ("几乎每天（3分）", 3),
    ("Not at all", 0), ("several days", 1), ("NEARLY EVERY DAY", 3),
    (None, None), ("", None), ("(跳过)", None), ("（跳过）", None), ("-", None),
])
def test_answers_as_scores_or_labels(cell: object, value: int | None) -> None:
    assert answer_value(PHQ9, cell) == value  # type: ignore[arg-type]


@pytest.mark.parametrize(("cell", "fault"), [
    (4, "outside 0–3"), ("4", "outside 0–3"), (-1, "outside"), (1.5, "whole number"),
    ("有时", "unknown answer"), ("D", "unknown answer"), (True, "unreadable"),
])
def test_bad_answers_are_refused_never_shifted(cell: object, fault: str) -> None:
    with pytest.raises(AnswerError) as info:
        answer_value(PHQ9, cell)  # type: ignore[arg-type]
    assert fault in str(info.value)


def test_scl90_labels_map_to_1_to_5() -> None:
    assert [answer_value(SCL90, x) for x in ["没有", "很轻", "中等", "偏重", "严重"]] == [
        1, 2, 3, 4, 5]
    assert answer_value(SCL90, "A little bit") == 2


@given(value=st.integers(0, 3), lang=st.sampled_from(["zh", "en"]),
       letter=st.booleans(), spaces=st.sampled_from(["", " ", "\u3000", "  "]),
       suffix=st.booleans())
def test_any_decorated_label_reads_back_its_value(value: int, lang: str, letter: bool,
                                                  spaces: str, suffix: bool) -> None:
    text = PHQ9.response_label(value, lang)
    if letter:
        text = "ABCD"[value] + "." + text
    if suffix:
        text += f"（{value}分）"
    assert answer_value(PHQ9, spaces + text + spaces) == value


@given(value=st.integers(0, 3))
def test_full_width_digits(value: int) -> None:
    assert answer_value(PHQ9, chr(0xFF10 + value)) == value


def test_normalizers() -> None:
    assert normalize_badge("３３０７１０") == "330710"
    assert normalize_badge(330710) == "330710"
    assert normalize_badge(330710.0) == "330710"
    assert normalize_badge("'330710 ") == "330710"
    assert normalize_badge("  ") is None
    assert normalize_name("丁辉 ") == "丁辉"
    assert normalize_name("丁\u3000辉") == "丁辉"
    assert normalize_name(None) is None


@pytest.mark.parametrize(("cell", "day"), [
    ("2026/11/19 18:10:27", date(2026, 11, 19)), ("2026-11-03", date(2026, 11, 3)),
    ("2026年11月3日 9:00", date(2026, 11, 3)), ("20261103", date(2026, 11, 3)),
    (datetime(2026, 11, 3, 8, 1), date(2026, 11, 3)), (46329, date(2026, 11, 3)),
    ("2026/13/40", None), ("昨天", None), (None, None), (12, None),
])
def test_cell_dates(cell: object, day: date | None) -> None:
    assert cell_date(cell) == day  # type: ignore[arg-type]


HEADER = ["序号", "提交答卷时间", "所用时间", "来源", "1、警号", "2、姓名", "3、单位",
          *[f"{i + 3}、PHQ9第{i}题" for i in range(1, 10)], "总分"]


def sheet(*rows: list[object]) -> list[list[object]]:
    return [HEADER, *[list(r) for r in rows]]


def test_platform_headers_with_running_numbers() -> None:
    parsed = parse_table(sheet(
        [1, "2026/11/19 18:10:27", "386秒", "微信", "330700", "高帆鑫", "城西派出所",
         2, 0, 1, 0, 1, 0, 0, 0, 0, 4]), PHQ9)
    assert parsed.columns.by == "header"
    assert parsed.columns.items == tuple(range(7, 16))
    (row,) = parsed.respondents
    assert row.row == 2
    assert row.badge_no == "330700"
    assert row.administered_on == date(2026, 11, 19)
    assert row.responses == (2, 0, 1, 0, 1, 0, 0, 0, 0)


def test_title_rows_above_and_item_text_headers_with_label_answers() -> None:
    header = ["工号", "姓名", "所在单位", "提交时间",
              *[f"{i.number}.{i.text_zh}" for i in PHQ9.items]]
    labels = [PHQ9.response_label(v) for v in (3, 2, 1, 0, 0, 0, 0, 0, 1)]
    rows: list[list[object]] = [["某县公安局 PHQ-9 测评"], [], header,
                                ["３３０７１０", "魏英伟 ", "政治处", "2026-11-09", *labels]]
    parsed = parse_table(rows, PHQ9)
    assert parsed.columns.header_row == 3
    (row,) = parsed.respondents
    assert (row.row, row.badge_no, row.name) == (4, "330710", "魏英伟")
    assert row.responses == (3, 2, 1, 0, 0, 0, 0, 0, 1)


def test_english_headers_q1_and_positional_fallback() -> None:
    english = ["Badge", "Name", "Unit", "Date", *[f"Q{i}" for i in range(1, 8)], "Total"]
    parsed = parse_table([english, ["A1", "Li", "X", "2026-11-01", 1, 1, 1, 1, 1, 1, 1, 7]],
                         GAD7)
    assert parsed.columns.by == "header"
    assert parsed.respondents[0].responses == (1,) * 7
    unnamed = ["姓名", "单位", "日期", "紧张", "担忧", "过度担心", "放松", "坐立", "烦躁", "害怕"]
    parsed = parse_table([unnamed, ["李", "X", "2026-11-01", 0, 1, 2, 3, 0, 1, 2]], GAD7)
    assert parsed.columns.by == "position"
    assert parsed.respondents[0].responses == (0, 1, 2, 3, 0, 1, 2)


def test_row_problems_name_the_row_and_item() -> None:
    parsed = parse_table(sheet(
        [1, "2026/11/19", "", "", "330700", "甲", "X", 2, 0, 1, 0, 1, 0, 0, 0, 4, 8],
        [2, "2026/11/19", "", "", "330701", "乙", "X", 2, 0, "有时", 0, 1, 0, 0, 0, 0, 3],
        [3, "", "", "", "330702", "丙", "X", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [4, "2026/11/19", "", "", "", "", "X", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [5, "2026/11/19", "", "", "330705", "戊", "X", *[None] * 9, 0],
        [None] * 17,
    ), PHQ9)
    assert parsed.respondents == ()
    assert [(p.row, p.reason) for p in parsed.problems] == [
        (2, "item 9: answer 4 is outside 0–3"),
        (3, "item 3: unknown answer '有时'"),
        (4, "unreadable submission date ''"),
        (5, "no badge number and no name"),
        (6, "no item is answered"),
    ]


def test_default_date_overrides_and_is_required_without_a_date_column() -> None:
    header = ["警号", *[f"第{i}题" for i in range(1, 10)]]
    rows: list[list[object]] = [header, ["1", *[0] * 9]]
    with pytest.raises(ResponsesFormatError, match="--date"):
        parse_table(rows, PHQ9)
    parsed = parse_table(rows, PHQ9, default_date=date(2026, 11, 2))
    assert parsed.respondents[0].administered_on == date(2026, 11, 2)


def test_not_an_export_of_this_instrument() -> None:
    with pytest.raises(ResponsesFormatError, match="phq9"):
        parse_table([["警号", "姓名", "a", "b"], ["1", "x", 1, 2]], PHQ9)
    with pytest.raises(ResponsesFormatError, match="missing items: 9"):
        parse_table([["警号", *[f"第{i}题" for i in range(1, 9)]]], PHQ9)


def test_gbk_csv_text_parses_the_same_as_cells() -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerow([1, "2026/11/19 18:10:27", "386秒", "微信", "３３０７００", "高帆鑫",
                     "城西派出所", "几乎每天", "好几天", 1, 0, 1, 0, 0, 0, "完全不会", 9])
    raw = buffer.getvalue().encode("gbk")
    rows = list(csv.reader(io.StringIO(raw.decode("gbk"))))
    (row,) = parse_table(rows, PHQ9).respondents  # type: ignore[arg-type]
    assert row.badge_no == "330700"
    assert row.responses == (3, 1, 1, 0, 1, 0, 0, 0, 0)


@given(answers=st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=9, max_size=9)
       .filter(lambda a: any(x is not None for x in a)),
       as_labels=st.lists(st.booleans(), min_size=9, max_size=9))
def test_round_trip_of_a_written_row(answers: list[int | None], as_labels: list[bool]) -> None:
    cells: list[object] = [
        None if a is None else (PHQ9.response_label(a) if lab else a)
        for a, lab in zip(answers, as_labels, strict=True)
    ]
    parsed = parse_table(sheet([1, "2026/11/19", "", "", "9", "某", "X", *cells, None]), PHQ9)
    assert parsed.respondents[0].responses == tuple(answers)


def test_an_export_of_another_instrument_is_refused() -> None:
    rows: list[list[object]] = [HEADER, [1, "2026/11/19", "", "", "1", "x", "X", *[0] * 9, 0]]
    with pytest.raises(ResponsesFormatError, match="belong to phq9, not gad7"):
        parse_table(rows, GAD7)
    plain = [["警号", "日期", *[f"第{i}题" for i in range(1, 10)]]]
    with pytest.raises(ResponsesFormatError, match="item 9, but gad7 has 7 items"):
        parse_table(plain, GAD7)


def test_one_export_with_two_instruments_imports_each_by_its_columns() -> None:
    header = ["警号", "提交时间", *[f"PHQ-9 第{i}题" for i in range(1, 10)],
              *[f"GAD-7 第{i}题" for i in range(1, 8)]]
    row = ["1", "2026-11-03", *[1] * 9, *[2] * 7]
    phq = parse_table([header, row], PHQ9)
    gad = parse_table([header, row], GAD7)
    assert phq.respondents[0].responses == (1,) * 9
    assert gad.respondents[0].responses == (2,) * 7
    assert gad.columns.items == tuple(range(11, 18))


def test_the_platform_total_is_read_but_never_scored() -> None:
    items = [f"PHQ9第{i}题" for i in range(1, 10)]
    parsed = parse_table([["警号", "日期", *items, "总分"],
                          ["1", "2026-11-05", *[1] * 9, "１２分"]], PHQ9)
    assert parsed.columns.total == 11
    assert parsed.respondents[0].platform_total == 12.0
    assert parsed.respondents[0].responses == (1,) * 9
    # two instruments in one export: the total naming this instrument is taken
    both = parse_table([["警号", "日期", *items, "GAD7总分", "PHQ9总分"],
                        ["1", "2026-11-05", *[1] * 9, 3, 9]], PHQ9)
    assert both.columns.total == 12 and both.respondents[0].platform_total == 9
    # only another instrument's total, or two anonymous totals: none is read
    other = parse_table([["警号", "日期", *items, "GAD7总分"], ["1", "2026-11-05", *[0] * 9, 3]],
                        PHQ9)
    assert other.columns.total is None and other.respondents[0].platform_total is None
    two = parse_table([["警号", "日期", *items, "总分", "得分"],
                       ["1", "2026-11-05", *[0] * 9, 3, 4]], PHQ9)
    assert two.columns.total is None


def test_identity_problems_differ_from_unreadable_rows() -> None:
    items = [f"Q{i}" for i in range(1, 10)]
    parsed = parse_table([["警号", "姓名", "日期", *items],
                          ["", "", "2026-11-05", *[0] * 9],
                          ["1", "张三", "2026-11-05", 0, 9, *[0] * 7],
                          ["2", "李四", "某天", *[0] * 9]], PHQ9)
    assert [(p.row, p.identity) for p in parsed.problems] == [(2, True), (3, False),
                                                              (4, False)]
