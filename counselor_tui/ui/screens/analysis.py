"""Analysis 分析 (issue 4 §8): the archive as an early-warning tool.

Four tabs:

1. **Tiers** — serving officers by tier, per unit or per police type (g switches), as a
   table and a stacked bar chart (red / yellow / green / no tier yet);
2. **Screen-positive** — per unit or police type, officers assessed with the chosen
   instrument and the share whose latest assessment was positive, table and bars;
3. **Early warning** — persons whose PHQ-9/GAD-7 total rose by 5 or more or crossed a band
   since their previous assessment, and red/yellow persons whose review is overdue;
   Enter opens the person;
4. **Trend** — one person's totals per instrument as a column chart.

Aggregates are open to every role; tabs 3 and 4 show persons (not to auditors).

| key | action |
|---|---|
| 1 / 2 / 3 / 4 | tiers / screen-positive / early warning / trend |
| g | group by unit ⇄ by police type |
| r | reload |
| Enter | (early warning) open the person |
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import (
    DataTable,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from counselor_tui.domain import instruments as engine
from counselor_tui.domain import vocab
from counselor_tui.i18n import N_, _
from counselor_tui.services import analysis, assessments
from counselor_tui.services.api import Backend
from counselor_tui.services.errors import PermissionDenied
from counselor_tui.ui.assessment_view import tier_text
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.census import percent
from counselor_tui.ui.widgets.assessment_person_picker import AssessmentPersonPicker
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.bar_chart import BarChart, ChartRow, Segment
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable
from counselor_tui.ui.widgets.trend_chart import Point, TrendChart

TIER_COLOURS = (("red", "red"), ("yellow", "yellow"), ("green", "green"),
                ("untiered", "grey50"))
BAND_COLOURS = ("green", "green", "yellow", "dark_orange", "red")


# --------------------------------------------------------------------------- worker jobs


def load_tiers(backend: Backend, by: str) -> list[analysis.TierGroupRow]:
    """Tier distribution (any role)."""
    return analysis.tier_distribution(backend.vs, by)


def load_rates(backend: Backend, instrument: str, by: str) -> list[analysis.RateRow]:
    """Screen-positive rates (any role)."""
    return analysis.positive_rates(backend.vs, instrument, by)


#: Lines of the early-warning list shown at once (issue 18: the first page and the whole
#: list's length are read, not every line: thousands at province).
WARNINGS_PAGE = 500


def load_warnings(backend: Backend) -> tuple[list[analysis.EarlyWarning], int] | None:
    """The first :data:`WARNINGS_PAGE` lines of the early-warning list and the whole list's
    length; ``None`` for roles that see no persons."""
    try:
        return analysis.warning_page(backend.vs, WARNINGS_PAGE)
    except PermissionDenied:
        return None


def load_trend(backend: Backend, person_id: int,
               instrument: str | None) -> tuple[list[str], str | None,
                                                list[analysis.TrendPoint]]:
    """Instruments the person has, the one shown, and its points."""
    vs = backend.vs
    codes = analysis.trend_instruments(vs, person_id)
    code = instrument if instrument in codes else (codes[0] if codes else None)
    points = analysis.score_trend(vs, person_id, code) if code else []
    return codes, code, points


def band_style(code: str, band: str | None) -> str:
    """A colour for a band: its rank among the instrument's bands, low green to high red."""
    try:
        bands = [b.code for b in engine.builtin(code).bands]
    except engine.UnknownInstrumentError:
        return ""
    if band not in bands:
        return ""
    rank = bands.index(band) * (len(BAND_COLOURS) - 1) // max(1, len(bands) - 1)
    return BAND_COLOURS[rank]


class AnalysisScreen(BaseScreen):
    """Tables and terminal charts of the archive."""

    CSS_PATH = "../styles/analysis.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "tab('tiers')", N_("Tiers"), id="tab_tiers", show=False),
        Binding("2", "tab('rates')", N_("Screen-positive"), id="tab_rates", show=False),
        Binding("3", "tab('warnings')", N_("Early warning"), id="tab_warnings", show=False),
        Binding("4", "tab('trend')", N_("Trend"), id="tab_trend", show=False),
        Binding("g", "toggle_grouping", N_("Unit / police type"), id="grouping"),
        Binding("r", "reload", N_("Reload"), id="reload"),
    ]

    def __init__(self, person_id: int | None = None) -> None:
        super().__init__()
        self.by = "unit"
        self.instrument = "phq9"
        self.tiers: list[analysis.TierGroupRow] = []
        self.rates: list[analysis.RateRow] = []
        self.warnings: list[analysis.EarlyWarning] | None = []
        self.trend_person = person_id
        self.trend_instrument: str | None = None
        self.trend: list[analysis.TrendPoint] = []
        self.loaded = 0
        #: possible totals per instrument: the built-in ones now, the bureau's own once read
        self.ranges: dict[str, tuple[int, int]] = {
            code: engine.builtin(code).total_range for code in engine.builtin_codes()}

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label(_("Analysis"), classes="screen-title")
        with TabbedContent(initial="tiers", id="analysis-tabs"):
            with TabPane(_("Tiers"), id="tiers"), VerticalScroll():
                yield Static("", id="tiers-title", classes="analysis-title", markup=False)
                yield BarChart(id="tiers-chart")
                yield PlainTable(id="tiers-table", zebra_stripes=True)
            with TabPane(_("Screen-positive"), id="rates"), VerticalScroll():
                with Horizontal(classes="analysis-controls"):
                    yield Label(_("Instrument"), classes="analysis-label")
                    yield Select([(self.instrument, self.instrument)],
                                 value=self.instrument, allow_blank=False, id="rates-instrument")
                yield Static("", id="rates-title", classes="analysis-title", markup=False)
                yield BarChart(id="rates-chart")
                yield PlainTable(id="rates-table", zebra_stripes=True)
            with TabPane(_("Early warning"), id="warnings"):
                yield Static("", id="warnings-title", classes="analysis-title", markup=False)
                yield PlainTable(id="warnings-table", cursor_type="row", zebra_stripes=True)
            with TabPane(_("Trend"), id="trend"), VerticalScroll():
                yield AssessmentPersonPicker(id="trend-picker")
                with Horizontal(classes="analysis-controls"):
                    yield Label(_("Instrument"), classes="analysis-label")
                    yield Select[str]([], prompt=_("(pick a person)"), id="trend-instrument")
                yield Static("", id="trend-title", classes="analysis-title", markup=False)
                yield TrendChart(id="trend-chart")
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#warnings-table", DataTable).add_columns(
            _("Name"), _("Badge no."), _("Unit"), _("Tier"), _("Why"), _("Instrument"),
            _("Before → now"), _("Date"), _("Review due"))
        self.reload()
        if self.trend_person is not None:
            self._load_trend()
        self.call(assessments.instruments, self.backend.vs, done=self._instruments_loaded,
                  group="analysis-instruments")

    def _instruments_loaded(self, rows: list[assessments.InstrumentInfo]) -> None:
        """The built-in instruments and the bureau's own, and their possible totals."""
        if not self.is_attached:
            return
        self.ranges = {i.code: (i.item_count * i.response_min, i.item_count * i.response_max)
                       for i in rows}
        select = self.query_one("#rates-instrument", Select)
        chosen = select.value
        with self.prevent(Select.Changed):
            select.set_options([(f"{i.code}  {i.name}", i.code) for i in rows])
            if chosen in self.ranges:
                select.value = chosen

    # -- loading -------------------------------------------------------------------------
    def action_reload(self) -> None:
        """Reload every tab."""
        self.reload()

    def reload(self) -> None:
        """Fetch the aggregates and the warnings (workers)."""
        self.call(load_tiers, self.backend, self.by, done=self._tiers, group="analysis-tiers")
        self.call(load_rates, self.backend, self.instrument, self.by, done=self._rates,
                  group="analysis-rates")
        self.call(load_warnings, self.backend, done=self._warnings, group="analysis-warn")

    def _group_label(self) -> str:
        return _("by unit") if self.by == "unit" else _("by police type")

    def _tiers(self, rows: list[analysis.TierGroupRow]) -> None:
        if not self.is_attached:
            return
        self.tiers = rows
        self.loaded += 1
        total = sum(r.officers for r in rows)
        self.query_one("#tiers-title", Static).update(
            _("Serving officers by tier, {grouping} ({n} officers; g: switch)").format(
                grouping=self._group_label(), n=total))
        legend = Text()
        for name, colour in TIER_COLOURS:
            label = _("no tier yet") if name == "untiered" else vocab.label(vocab.TIERS, name)
            legend.append("■ ", style=colour)
            legend.append(label + "   ")
        chart_rows = [ChartRow(r.label, (Segment(r.red, "red"), Segment(r.yellow, "yellow"),
                                         Segment(r.green, "green"),
                                         Segment(r.untiered, "grey50")),
                               f"{r.red}/{r.yellow}/{r.green}/{r.untiered}")
                      for r in rows]
        self.query_one("#tiers-chart", BarChart).set_rows(chart_rows, legend=legend)
        table = self.query_one("#tiers-table", DataTable)
        table.clear(columns=True)
        table.add_columns(_("Group"), _("Officers"), vocab.label(vocab.TIERS, "red"),
                          vocab.label(vocab.TIERS, "yellow"), vocab.label(vocab.TIERS, "green"),
                          _("no tier yet"), _("Red + yellow"))
        for r in rows:
            table.add_row(r.label, str(r.officers), str(r.red), str(r.yellow), str(r.green),
                          str(r.untiered),
                          percent((r.red + r.yellow) / r.officers if r.officers else None))

    def _rates(self, rows: list[analysis.RateRow]) -> None:
        if not self.is_attached:
            return
        self.rates = rows
        assessed = sum(r.assessed for r in rows)
        positive = sum(r.positive for r in rows)
        self.query_one("#rates-title", Static).update(
            _("{instrument} screen-positive, latest assessment per officer, {grouping}: "
              "{positive} of {assessed} ({percent})").format(
                  instrument=self.instrument, grouping=self._group_label(),
                  positive=positive, assessed=assessed,
                  percent=percent(positive / assessed if assessed else None)))
        chart_rows = [ChartRow(r.label, (Segment((r.rate or 0) * 100, "dark_orange"),),
                               f"{percent(r.rate)} ({r.positive}/{r.assessed})")
                      for r in rows]
        self.query_one("#rates-chart", BarChart).set_rows(chart_rows, maximum=100)
        table = self.query_one("#rates-table", DataTable)
        table.clear(columns=True)
        table.add_columns(_("Group"), _("Assessed"), _("Positive"), _("Rate"))
        for r in rows:
            table.add_row(r.label, str(r.assessed), str(r.positive), percent(r.rate))

    def _warnings(self, loaded: tuple[list[analysis.EarlyWarning], int] | None) -> None:
        if not self.is_attached:
            return
        rows = None if loaded is None else loaded[0]
        self.warnings = rows
        title = self.query_one("#warnings-title", Static)
        table = self.query_one("#warnings-table", DataTable)
        table.clear()
        if loaded is None or rows is None:
            title.update(_("Your role sees aggregate figures only."))
            return
        total = loaded[1]
        if total > len(rows):
            title.update(_("{n} lines to look at; the first {shown} are listed (Enter: open)"
                           ).format(n=total, shown=len(rows)))
        else:
            title.update(_("{n} persons to look at (Enter: open)").format(n=len(rows)))
        for i, w in enumerate(rows):
            change = ("" if w.previous_total is None else
                      f"{w.previous_total:g} → {w.latest_total:g}")
            table.add_row(w.name, w.badge_no or "", w.unit_name or "", tier_text(w.tier),
                          Text("; ".join(w.labels)), Text(w.instrument or ""), change,
                          w.latest_on or "", w.review_due or "", key=f"{i}:{w.person_id}")

    # -- trend -----------------------------------------------------------------------------
    @on(AssessmentPersonPicker.Picked)
    def _trend_person(self, event: AssessmentPersonPicker.Picked) -> None:
        event.stop()
        self.trend_person = event.person_id
        self.trend_instrument = None
        self._load_trend()

    @on(Select.Changed, "#trend-instrument")
    def _trend_instrument(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        if isinstance(value, str) and value != self.trend_instrument:
            self.trend_instrument = value
            self._load_trend()

    @on(Select.Changed, "#rates-instrument")
    def _rates_instrument(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.instrument:
            self.instrument = event.value
            self.call(load_rates, self.backend, self.instrument, self.by, done=self._rates,
                      group="analysis-rates")

    def _load_trend(self) -> None:
        if self.trend_person is None:
            return
        self.call(load_trend, self.backend, self.trend_person, self.trend_instrument,
                  done=self._trend_loaded, group="analysis-trend")

    def _trend_loaded(self, loaded: tuple[list[str], str | None,
                                          list[analysis.TrendPoint]]) -> None:
        if not self.is_attached:
            return
        codes, code, points = loaded
        self.trend_instrument = code
        self.trend = points
        select = self.query_one("#trend-instrument", Select)
        with self.prevent(Select.Changed):
            select.set_options([(c, c) for c in codes])
            if code is not None:
                select.value = code
        chart = self.query_one("#trend-chart", TrendChart)
        if code is None:
            self.query_one("#trend-title", Static).update(
                _("No complete assessment for this person yet."))
            chart.set_points([], 1)
            return
        low, high = self.ranges.get(code) or (
            0, int(max((p.total for p in points), default=1)))
        self.query_one("#trend-title", Static).update(
            _("{instrument}: {n} assessments, totals {low}–{high}").format(
                instrument=code, n=len(points), low=low, high=high))
        chart.set_points([Point(p.on, p.total, band_style(code, p.band)) for p in points],
                         maximum=high, minimum=low)

    # -- actions ---------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        """Show tab ``tab``."""
        self.query_one("#analysis-tabs", TabbedContent).active = tab
        if tab == "warnings":
            self.query_one("#warnings-table", DataTable).focus()
        elif tab == "trend":
            self.query_one(AssessmentPersonPicker).focus_input()

    def action_toggle_grouping(self) -> None:
        """Group by unit ⇄ by police type."""
        self.by = "police_type" if self.by == "unit" else "unit"
        self.reload()

    @on(DataTable.RowSelected, "#warnings-table")
    def _warning_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = str(event.row_key.value or "")
        if ":" in key:
            self.post_message(OpenPerson(int(key.split(":", 1)[1])))

    def snapshot(self) -> dict[str, Any]:
        """What the tabs hold (tests)."""
        return {
            "tiers": [(r.label, r.officers, r.red, r.yellow, r.green) for r in self.tiers],
            "rates": [(r.label, r.assessed, r.positive) for r in self.rates],
            "warnings": None if self.warnings is None else [
                (w.person_id, w.reasons) for w in self.warnings],
            "trend": [(p.on, p.total) for p in self.trend],
        }
