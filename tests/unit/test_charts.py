"""Terminal charts: bars in eighths, stacked segments, cell-width alignment, trend columns."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from counselor_tui.ui.widgets.bar_chart import ChartRow, Segment, bar, chart_lines, stacked
from counselor_tui.ui.widgets.trend_chart import Point, trend_lines


def test_bar_uses_eighth_blocks() -> None:
    assert bar(0, 10, 4) == "    "
    assert bar(10, 10, 4) == "████"
    assert bar(5, 10, 4) == "██  "
    assert bar(1, 16, 2) == "▏ "      # 1/16 of 2 cells = 1 eighth
    assert bar(3, 8, 1) == "▍"
    assert bar(20, 10, 3) == "███"    # clipped
    assert bar(1, 0, 3) == "   "


@given(value=st.floats(0, 1000), maximum=st.floats(0.1, 1000), width=st.integers(1, 80))
def test_bar_is_always_exactly_width_cells(value: float, maximum: float, width: int) -> None:
    assert cell_len(bar(value, maximum, width)) == width


@given(values=st.lists(st.integers(0, 50), min_size=1, max_size=5), width=st.integers(1, 60))
def test_stacked_segments_fill_the_scaled_length(values: list[int], width: int) -> None:
    segments = [Segment(v, "red") for v in values]
    text = stacked(segments, maximum=max(1, sum(values)), width=width)
    assert text.cell_len == width
    filled = text.plain.count("█")
    assert filled == (width if sum(values) else 0)


def test_chart_aligns_chinese_labels_by_cell_width() -> None:
    rows = [ChartRow("城东派出所", (Segment(4, ""),), "4"),
            ChartRow("交警大队", (Segment(2, ""),), "2"),
            ChartRow("CID", (Segment(1, ""),), "1")]
    lines = chart_lines(rows, 40)
    starts = [line.plain.index("█") for line in lines]
    cells = [cell_len(line.plain[:i]) for line, i in zip(lines, starts, strict=True)]
    assert cells == [11, 11, 11]  # 10 cells of the widest label + one space
    assert all(line.cell_len == 40 for line in lines)


def test_trend_keeps_the_newest_columns_and_labels_dates() -> None:
    points = [Point(f"2026-0{m}-01", m) for m in range(1, 10)]
    lines = trend_lines(points, maximum=27, height=4, width=30)
    text = "\n".join(line.plain for line in lines)
    assert "09-01" in text and "01-01" not in text
    assert lines[0].plain.split() == ["6", "7", "8", "9"]
    assert "2026" in lines[-1].plain


def test_trend_column_heights_follow_totals() -> None:
    lines = trend_lines([Point("2026-01-01", 0), Point("2026-02-01", 27)], 27, 3, 40)
    body = [line.plain for line in lines[1:4]]
    assert all("███" in row for row in body)       # the 27 column is full on every row
    assert body[-1].count("█") == 3                 # the 0 column is empty
