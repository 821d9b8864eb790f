"""domain/roster.py: header detection, cell normalisation, roster dates (DESIGN §10)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counselor_tui.domain import roster as r

TODAY = date(2026, 11, 29)
FULL = str.maketrans("0123456789./-", "０１２３４５６７８９．／－")

HEADER = ["序号", "警号", "姓名", "性别", "出生日期", "单位", "警种", "职务", "入警时间",
          "联系电话"]


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(("cell", "expected"), [
    ("1985.03.12", date(1985, 3, 12)),
    ("1985年3月12日", date(1985, 3, 12)),
    ("19850312", date(1985, 3, 12)),
    ("1985/3/12", date(1985, 3, 12)),
    ("1985-03-12", date(1985, 3, 12)),
    ("1985-03-12 00:00:00", date(1985, 3, 12)),
    ("１９８５．０３．１２", date(1985, 3, 12)),
    ("1985.03.12   ", date(1985, 3, 12)),
    (datetime(1985, 3, 12), date(1985, 3, 12)),
    (date(1985, 3, 12), date(1985, 3, 12)),
    (31118, date(1985, 3, 12)),            # Excel serial (number cell)
    (31118.0, date(1985, 3, 12)),
    ("31118", date(1985, 3, 12)),          # Excel serial written into a CSV
    (19850312, date(1985, 3, 12)),         # a number cell typed as YYYYMMDD
    ("1985.03", date(1985, 3, 1)),         # 出生年月
    ("1985年3月", date(1985, 3, 1)),
    (44197, date(2021, 1, 1)),
    (61, date(1900, 3, 1)),
])
def test_roster_dates_in_every_form_a_clerk_types(cell: object, expected: date) -> None:
    assert r.parse_roster_date(cell, TODAY) == expected


@pytest.mark.parametrize("cell", [None, "", "   "])
def test_empty_date_cells_are_none(cell: object) -> None:
    assert r.parse_roster_date(cell, TODAY) is None


@pytest.mark.parametrize("cell", ["3月12日", "03-12", "3/12", "今天", "12日", "下月底"])
def test_dates_without_a_year_are_refused(cell: str) -> None:
    with pytest.raises(r.RosterValueError, match="no year"):
        r.parse_roster_date(cell, TODAY)


@pytest.mark.parametrize("cell", ["1988-13-40", "1985-02-30", "1985年13月", "12/03/1985",
                                  "850312", "abc", 12, 60])
def test_impossible_or_ambiguous_dates_are_refused(cell: object) -> None:
    with pytest.raises(r.RosterValueError):
        r.parse_roster_date(cell, TODAY)


def test_excel_1904_date_system() -> None:
    assert r.excel_serial_to_date(0, epoch_1904=True) == date(1904, 1, 1)
    assert r.parse_roster_date(29656, TODAY, epoch_1904=True) == date(1985, 3, 12)


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 12, 31)))
def test_every_written_form_reads_back_the_same_date(d: date) -> None:
    forms = [
        f"{d.year}.{d.month:02d}.{d.day:02d}", f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}{d.month:02d}{d.day:02d}", f"{d.year}/{d.month}/{d.day}",
        f"{d.year}-{d.month:02d}-{d.day:02d} 00:00:00",
    ]
    for form in forms:
        assert r.parse_roster_date(form, TODAY) == d
        assert r.parse_roster_date(form.translate(FULL) + " ", TODAY) == d
    serial = (d - date(1899, 12, 30)).days
    assert r.parse_roster_date(serial, TODAY) == d
    assert r.parse_roster_date(float(serial), TODAY) == d
    assert r.parse_roster_date(datetime(d.year, d.month, d.day), TODAY) == d
    if d >= date(1904, 1, 1):
        assert r.excel_serial_to_date((d - date(1904, 1, 1)).days, epoch_1904=True) == d


@given(st.integers(1, 12), st.integers(1, 28))
def test_month_day_without_year_is_never_given_this_year(month: int, day: int) -> None:
    for form in (f"{month}月{day}日", f"{month:02d}-{day:02d}", f"{month}/{day}"):
        with pytest.raises(r.RosterValueError):
            r.parse_roster_date(form, TODAY)


def test_plausibility_of_birth_and_hire_dates() -> None:
    assert r.check_birth(date(1985, 3, 12), TODAY) is None
    assert r.check_birth(date(1939, 12, 31), TODAY) is not None
    assert r.check_birth(TODAY - timedelta(days=365 * 15), TODAY) is not None
    assert r.check_hire(date(2010, 8, 1), date(1985, 3, 12), TODAY) is None
    assert "future" in (r.check_hire(date(2027, 3, 12), date(2000, 3, 12), TODAY) or "")
    assert "16" in (r.check_hire(date(1995, 1, 1), date(1985, 3, 12), TODAY) or "")
    assert r.check_hire(date(1955, 12, 31), None, TODAY) is not None


@given(st.dates(min_value=date(1940, 1, 1), max_value=date(2010, 11, 29)))
def test_every_birth_date_in_range_is_plausible(d: date) -> None:
    assert r.check_birth(d, TODAY) is None


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize(("cell", "badge"), [
    ("330700", "330700"), ("３３０７１０", "330710"), (330700, "330700"),
    (" 330700 ", "330700"), ("ab-12", "AB-12"), (None, ""),
])
def test_badge_numbers(cell: object, badge: str) -> None:
    assert r.normalize_badge(cell) == badge


@pytest.mark.parametrize("cell", ["33 07/00", "警号1", "1" * 25, 330700.0, "330700.0",
                                  "3.307E+05"])
def test_bad_badge_numbers_are_refused(cell: str) -> None:
    with pytest.raises(r.RosterValueError):
        r.normalize_badge(cell)


@given(st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=12))
def test_full_width_badge_equals_half_width(badge: str) -> None:
    wide = badge.translate(str.maketrans("0123456789ABCDEF", "０１２３４５６７８９ＡＢＣＤＥＦ"))
    assert r.normalize_badge(wide + "  ") == r.normalize_badge(badge) == badge
    assert r.normalize_badge(r.normalize_badge(badge)) == badge


@pytest.mark.parametrize(("cell", "name"), [
    ("丁辉 ", "丁辉"), ("王　伟", "王伟"), (" 欧阳 娜娜 ", "欧阳娜娜"), ("Li  Ming ", "Li Ming"),
    ("阿依古丽·买买提", "阿依古丽·买买提"),
])
def test_names_lose_trailing_and_alignment_spaces(cell: str, name: str) -> None:
    assert r.normalize_name(cell) == name


@given(st.text(alphabet="张王李三丰欧阳娜伟", min_size=1, max_size=4),
       st.text(alphabet=" \u3000\t", max_size=3))
def test_name_normalisation_is_idempotent_and_ignores_padding(name: str, pad: str) -> None:
    assert r.normalize_name(pad + name + pad) == name
    assert r.normalize_name(r.normalize_name(name)) == name


@given(st.text(max_size=30))
def test_normalize_text_is_idempotent(text: str) -> None:
    once = r.normalize_text(text)
    assert r.normalize_text(once) == once
    assert once == once.strip()


def test_gender_and_police_type() -> None:
    assert r.normalize_gender("男") == "male"
    assert r.normalize_gender("女性") == "female"
    assert r.normalize_gender("") is None
    with pytest.raises(r.RosterValueError):
        r.normalize_gender("未知")
    assert r.normalize_police_type("刑警") == "刑侦"
    assert r.normalize_police_type("巡特警") == "特警"
    assert r.normalize_police_type(" 交警 ") == "交警"
    assert r.normalize_police_type(None) is None
    with pytest.raises(r.RosterValueError, match="police type"):
        r.normalize_police_type("水警")


# --------------------------------------------------------------------------- header & rows


def test_header_found_by_name_below_title_rows() -> None:
    rows = [["某县公安局民警花名册（2026年11月）"],
            ["填报单位：政治处", None, "填报日期：2026年11月20日"],
            HEADER, [1, "330700", "张三", "男", "1985.03.12", "城关派出所", "派出所", "民警",
                     "2008.08.01", "13800000000"]]
    header = r.find_header(rows)
    assert header.row == 3
    assert header.columns["badge_no"] == 1
    assert header.columns["phone"] == 9


def test_header_variants() -> None:
    variants = ["警员编号", "民警姓名", "出生年月", "所在单位", "岗位", "参加公安工作时间",
                "手机号码", "性别*", "警种（类别）"]
    header = r.find_header([variants])
    assert set(header.columns) == {"badge_no", "name", "birth_date", "unit", "post",
                                   "hire_date", "phone", "gender", "police_type"}
    assert r.find_header([["部门", "姓名", "警号"]]).columns == {"unit": 0, "name": 1,
                                                             "badge_no": 2}


def test_missing_header_or_unit_column_is_a_format_error() -> None:
    with pytest.raises(r.RosterFormatError, match="header"):
        r.find_header([["a", "b"], [1, 2]])
    with pytest.raises(r.RosterFormatError, match="单位"):
        r.find_header([["警号", "姓名", "性别"]])


def test_rows_collect_every_problem_and_keep_row_numbers() -> None:
    rows = [["title"], HEADER,
            [1, "330700", "张三 ", "男", "1985.03.12", "城关派出所", "派出所", "民警",
             "2008.08.01", ""],
            [None, None, None, None, None, None, None, None, None, None],
            ["填表人：李四"],
            [2, "330700", "张三二", "男", "1985.03.12", "城关派出所", "", "", "", ""],
            [3, "", "缺警号", "女", "1988-13-40", "", "水警", "", "3月1日", ""],
            [4, "330799", "未来", "女", "2000.03.12", "城关派出所", "", "", "2027年3月12日", ""]]
    header, parsed = r.parse_rows(rows, TODAY)
    assert header.row == 2
    assert [p.row for p in parsed] == [3, 6, 7, 8]
    first, dup, bad, future = parsed
    assert first.name == "张三" and first.problems == () and first.hire_date == "2008-08-01"
    assert first.phone is None
    assert dup.problems == ("badge number 330700 repeats row 3",)
    assert len(bad.problems) == 5  # badge, birth date, unit, police type, hire date
    assert future.problems == ()
    assert future.hire_date is None
    assert "in the future" in future.warnings[0]


def test_decode_csv_encodings() -> None:
    text = "警号,姓名\n330700,张三\n"
    assert r.decode_csv(text.encode("utf-8")) == text
    assert r.decode_csv(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert r.decode_csv(text.encode("gbk")) == text
    assert r.decode_csv(text.encode("gb18030")) == text
    with pytest.raises(r.RosterFormatError, match="encoding"):
        r.decode_csv(text.encode("utf-16"))


# --------------------------------------------------------------------------- tester findings


def test_two_columns_of_the_same_header_refuse_the_file() -> None:
    with pytest.raises(r.RosterFormatError, match="two columns named “警号”"):
        r.find_header([["title"], ["序号", "警号", "姓名", "警号", "单位"]])
    with pytest.raises(r.RosterFormatError, match="“单位” and “部门”"):
        r.find_header([["警号", "姓名", "单位", "部门"]])
    # two unrelated columns nobody reads stay allowed
    header = r.find_header([["警号", "姓名", "单位", "备注", "备注"]])
    assert header.columns == {"badge_no": 0, "name": 1, "unit": 2}


@pytest.mark.parametrize("bad", ["\x1b[31m所长", "所\x00长", "所长\u200b", "\u202e所长",
                                 "所长\x7f", "所\x9b长", "\ufeff所长"])
def test_control_characters_reject_the_row_without_echoing_them(bad: str) -> None:
    header = r.find_header([HEADER])
    row = [1, "330700", "张三", "男", "1985.03.12", "城关派出所", "派出所", bad, "", ""]
    parsed = r.parse_row(5, row, header, TODAY)
    assert parsed is not None
    assert parsed.problems == ("contains control characters (post)",)
    assert (parsed.badge_no, parsed.name) == ("330700", "张三")
    name_row = [1, "3307\x1b00", "张\u200d三", "男", "", "城关派出所", "", "", "", ""]
    parsed = r.parse_row(6, name_row, header, TODAY)
    assert parsed is not None
    assert parsed.problems == ("contains control characters (badge number, name)",)
    assert (parsed.badge_no, parsed.name) == ("330700", "张三")  # shown without them
    assert not any(r.has_control_chars(p) for p in parsed.problems)


@pytest.mark.parametrize("fine", ["所长", "所 长", "所\t长", "副所长\n(主持工作)", "所长\r\n",
                                  "王\u3000伟", "A\u00a0B"])
def test_tabs_line_breaks_and_wide_spaces_are_ordinary_spaces(fine: str) -> None:
    assert not r.has_control_chars(fine)
    header = r.find_header([HEADER])
    row = [1, "330700", "张三", "男", "1985.03.12", "城关派出所", "派出所", fine, "", ""]
    parsed = r.parse_row(5, row, header, TODAY)
    assert parsed is not None and parsed.problems == ()


@given(st.text(min_size=1, max_size=20))
def test_stripping_control_characters_leaves_none(text: str) -> None:
    cleaned = r.strip_control_chars(text)
    assert isinstance(cleaned, str) and not r.has_control_chars(cleaned)


def test_a_badge_repeated_in_any_written_form_rejects_every_later_row() -> None:
    rows = [HEADER,
            [1, "330700", "张三", "男", "", "城关派出所", "", "", "", ""],
            [2, "３３０７００", "张三", "男", "", "城关派出所", "", "所长", "", ""],
            [3, 330700, "李四", "男", "", "城关派出所", "", "", "", ""]]
    _header, parsed = r.parse_rows(rows, TODAY)
    assert [p.problems for p in parsed] == [
        (), ("badge number 330700 repeats row 2",), ("badge number 330700 repeats row 2",)]


@pytest.mark.parametrize(("name", "unit", "columns"), [
    ("=1+1", "城关派出所", "name"), ("张三", '=HYPERLINK("http://x","y")', "unit"),
    ("@SUM(A1)", "+城关", "name, unit"),
])
def test_names_and_units_that_are_formulas_reject_the_row(name: str, unit: str,
                                                          columns: str) -> None:
    header = r.find_header([HEADER])
    parsed = r.parse_row(5, [1, "330700", name, "男", "", unit, "", "", "", ""], header, TODAY)
    assert parsed is not None
    assert f"looks like a spreadsheet formula ({columns})" in "; ".join(parsed.problems)
