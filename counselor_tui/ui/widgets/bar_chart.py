"""Terminal bar charts built from Unicode blocks (analysis screen, census progress).

Bars are drawn with eighth blocks (``▏▎▍▌▋▊▉█``), so a bar of width 20 has 160 steps;
stacked bars (tier distribution: red / yellow / green / untiered) use whole cells per
segment, shared out by largest remainder so the segments always add up to the bar length.
Labels are aligned by *cell width* (``rich.cells.cell_len``): a Chinese unit name takes two
cells per character, so ``len()`` would misalign them.

:func:`bar`, :func:`stacked` and :func:`chart_lines` are pure (tested without an app);
:class:`BarChart` renders them at the widget's current width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.console import RenderableType
from rich.text import Text
from textual.widgets import Static

EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"


@dataclass(frozen=True)
class Segment:
    """One part of a stacked bar: value and Rich style."""

    value: float
    style: str


@dataclass(frozen=True)
class ChartRow:
    """One bar: label, segments (one for a plain bar), text after the bar (``12/40 30%``)."""

    label: str
    segments: tuple[Segment, ...]
    suffix: str = ""

    @property
    def total(self) -> float:
        """Sum of the segments."""
        return sum(s.value for s in self.segments)


def bar(value: float, maximum: float, width: int) -> str:
    """A bar of ``value`` on a scale where ``maximum`` fills ``width`` cells, in eighths.

    Always exactly ``width`` cells (padded with spaces); empty when ``maximum`` <= 0.
    Values are clipped to 0..maximum.
    """
    if width <= 0:
        return ""
    if maximum <= 0 or value <= 0:
        return " " * width
    eighths = round(min(value, maximum) / maximum * width * 8)
    full, rest = divmod(eighths, 8)
    text = FULL * full + (EIGHTHS[rest] if rest else "")
    return text + " " * (width - len(text))


def _shares(values: Sequence[float], cells: int) -> list[int]:
    """Split ``cells`` among ``values`` in proportion (largest remainder; sums to ``cells``)."""
    total = sum(values)
    if total <= 0 or cells <= 0:
        return [0] * len(values)
    exact = [v / total * cells for v in values]
    whole = [int(x) for x in exact]
    left = cells - sum(whole)
    order = sorted(range(len(values)), key=lambda i: exact[i] - whole[i], reverse=True)
    for i in order[:left]:
        whole[i] += 1
    return whole


def stacked(segments: Sequence[Segment], maximum: float, width: int) -> Text:
    """A stacked bar: the segments' total scaled to ``maximum`` = ``width`` cells, each
    segment in its style with whole cells (a non-zero segment gets at least its share as
    rounded); padded to ``width`` cells."""
    total = sum(s.value for s in segments)
    length = 0 if maximum <= 0 else round(min(total, maximum) / maximum * width)
    out = Text()
    for segment, cells in zip(segments, _shares([s.value for s in segments], length),
                              strict=True):
        out.append(FULL * cells, style=segment.style)
    out.append(" " * (width - out.cell_len))
    return out


def chart_lines(rows: Sequence[ChartRow], width: int, maximum: float | None = None,
                label_width: int | None = None) -> list[Text]:
    """One line per row: label (padded to the widest label's cell width, at most
    ``label_width``), a space, the bar, a space, the suffix; the whole line fits ``width``
    cells. ``maximum`` defaults to the largest row total."""
    if not rows:
        return []
    widest = max(cell_len(r.label) for r in rows)
    labels = min(widest, label_width) if label_width else widest
    suffixes = max(cell_len(r.suffix) for r in rows)
    bar_width = max(1, width - labels - suffixes - 2)
    top = maximum if maximum is not None else max(r.total for r in rows)
    lines = []
    for row in rows:
        line = Text(set_cell_size(row.label, labels))
        line.append(" ")
        if len(row.segments) == 1:
            line.append(bar(row.segments[0].value, top, bar_width), style=row.segments[0].style)
        else:
            line.append_text(stacked(row.segments, top, bar_width))
        line.append(" ")
        line.append(row.suffix)
        lines.append(line)
    return lines


class BarChart(Static):
    """A horizontal bar chart re-drawn at the widget's width (:func:`chart_lines`)."""

    DEFAULT_CSS = """
    BarChart { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.rows: tuple[ChartRow, ...] = ()
        self.maximum: float | None = None
        self.legend: Text | None = None

    def set_rows(self, rows: Sequence[ChartRow], *, maximum: float | None = None,
                 legend: Text | None = None) -> None:
        """Show ``rows`` (scaled to ``maximum``, default the largest total) and a legend."""
        self.rows = tuple(rows)
        self.maximum = maximum
        self.legend = legend
        self.refresh(layout=True)

    def lines(self, width: int) -> list[Text]:
        """The chart as it would be drawn ``width`` cells wide (legend first)."""
        out = [] if self.legend is None else [self.legend]
        return out + chart_lines(self.rows, width, self.maximum, label_width=24)

    def render(self) -> RenderableType:
        width = max(20, self.size.width or 80)
        return Text("\n").join(self.lines(width))
