"""A person's score trend per instrument as a terminal column chart (analysis screen).

Each assessment is a column of eighth blocks (``▁▂▃▄▅▆▇█``) scaled to the instrument's
maximum total, with the total above the column, the date (``MM-DD``) below and the year under
the first column of each year. Columns that do not fit the width are dropped from the
*left* (the newest stay visible). :func:`trend_lines` is pure; :class:`TrendChart` renders
it at the widget's width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.console import RenderableType
from rich.text import Text
from textual.widgets import Static

LEVELS = " ▁▂▃▄▅▆▇█"
COLUMN = 6  # cells per assessment: 3 of bar, 3 of gap (fits "12-31" and a 3-digit total)


@dataclass(frozen=True)
class Point:
    """One assessment: ISO date, total, style of its column (band colour)."""

    on: str
    total: float
    style: str = ""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def trend_lines(points: Sequence[Point], maximum: float, height: int, width: int,
                minimum: float = 0) -> list[Text]:
    """The chart: a totals row, ``height`` rows of columns, the axis, a date row and a year
    row; y-axis labels
    (``maximum`` at the top, ``minimum`` at the bottom) on the left. Empty list without
    points."""
    if not points or height <= 0:
        return []
    axis = max(cell_len(_number(maximum)), cell_len(_number(minimum)))
    fit = max(1, (width - axis - 2) // COLUMN)
    shown = list(points)[-fit:]
    span = max(maximum - minimum, 1e-9)
    steps = [round((min(max(p.total, minimum), maximum) - minimum) / span * height * 8)
             for p in shown]
    lines: list[Text] = []
    totals = Text(" " * (axis + 2))
    for p in shown:
        totals.append(set_cell_size(_number(p.total).center(COLUMN - 1), COLUMN))
    lines.append(totals)
    for row in range(height, 0, -1):
        label = _number(maximum) if row == height else (_number(minimum) if row == 1 else "")
        line = Text(label.rjust(axis) + " │")
        for p, eighths in zip(shown, steps, strict=True):
            filled = eighths - (row - 1) * 8
            block = LEVELS[max(0, min(8, filled))]
            line.append(" " + block * 3, style=p.style)
            line.append("  ")
        lines.append(line)
    base = Text(" " * axis + " └" + "─" * (COLUMN * len(shown)))
    lines.append(base)
    dates = Text(" " * (axis + 2))
    years = Text(" " * (axis + 2))
    previous_year = ""
    for p in shown:
        year, _sep, rest = p.on.partition("-")
        dates.append(set_cell_size(rest.center(COLUMN - 1), COLUMN))
        years.append(set_cell_size((year if year != previous_year else "").center(COLUMN - 1),
                                   COLUMN), style="dim")
        previous_year = year
    lines.append(dates)
    lines.append(years)
    return lines


class TrendChart(Static):
    """A column chart of one person's totals for one instrument (:func:`trend_lines`)."""

    DEFAULT_CSS = """
    TrendChart { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.points: tuple[Point, ...] = ()
        self.maximum = 1.0
        self.minimum = 0.0
        self.title = ""

    def set_points(self, points: Sequence[Point], maximum: float, minimum: float = 0,
                   title: str = "") -> None:
        """Show ``points`` on a ``minimum``..``maximum`` scale under ``title``."""
        self.points = tuple(points)
        self.maximum = maximum
        self.minimum = minimum
        self.title = title
        self.refresh(layout=True)

    def render(self) -> RenderableType:
        width = max(20, self.size.width or 80)
        lines = trend_lines(self.points, self.maximum, 8, width, self.minimum)
        head = [Text(self.title, style="bold")] if self.title else []
        return Text("\n").join(head + lines)
