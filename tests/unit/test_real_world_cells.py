"""Cells of real spreadsheets read purely (issue 16 point 5): totals rows, converted
numbers, month-only dates, names beyond the BMP and with middle dots."""

from __future__ import annotations

from datetime import date

import pytest

from counselor_tui.domain import roster as r
from counselor_tui.domain.pinyin import name_keys
from counselor_tui.domain.text import has_han, is_totals_cell, without_middle_dots


@pytest.mark.parametrize("cell", ["合计", "总 计", "小计：", "合计35人", "总计(人)", "合计："])
def test_totals_cells(cell: str) -> None:
    assert is_totals_cell(cell)


@pytest.mark.parametrize("cell", ["合计科", "张合计", "城关派出所", 12, None, ""])
def test_not_totals_cells(cell: object) -> None:
    assert not is_totals_cell(cell)


@pytest.mark.parametrize("cell", [13812345678.0, "13812345678.0", "1.38123E+10",
                                  "１．３８１２３Ｅ＋１０"])
def test_converted_phone_numbers_are_refused(cell: object) -> None:
    with pytest.raises(r.RosterValueError, match="spreadsheet converted"):
        r.normalize_phone(cell)


@pytest.mark.parametrize(("cell", "phone"), [("13812345678", "13812345678"),
                                             (13812345678, "13812345678"),
                                             ("0571-8888 1234", "0571-88881234")])
def test_phone_numbers_as_typed(cell: object, phone: str) -> None:
    assert r.normalize_phone(cell) == phone


@pytest.mark.parametrize(("cell", "month_only"), [("1985.03", True), ("1985年3月", True),
                                                  ("1985-3", True), ("1985.03.12", False),
                                                  ("19850312", False), (date(1985, 3, 1), False)])
def test_month_only_dates_are_known(cell: object, month_only: bool) -> None:
    assert r.is_month_only(cell) is month_only


def test_names_beyond_the_bmp_and_with_dots() -> None:
    assert has_han("\U0002123c") and not has_han("abc·")
    assert name_keys("\U00020bb7\U0002123c").full == "jiting"
    assert name_keys("阿依古丽·买买提").initials == "aygl" + "mmt"
    assert without_middle_dots("阿依古丽•买买提") == "阿依古丽买买提"
    assert r.normalize_name(" 阿依古丽 · 买买提 ") == "阿依古丽·买买提"
    assert r.normalize_name("城关（东区）") == "城关（东区）"  # stored as typed, not folded
