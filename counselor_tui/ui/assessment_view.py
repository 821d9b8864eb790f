"""How a scored assessment is shown: tier badges, the result table, incomplete results.

Rich renderables and texts only (no widget): used by the assessment entry, the census
screen's suggestions and the analysis screen's early warnings. The band and subscale
labels come from the instrument definition in the interface language; an incomplete
result says what is missing instead of a bare "no score".
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from counselor_tui.domain import instruments as engine
from counselor_tui.domain import vocab
from counselor_tui.i18n import _, language

#: Rich styles of the tier badges.
TIER_STYLES = {"red": "bold white on red", "yellow": "bold black on yellow",
               "green": "bold white on green"}


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _yes_no(value: bool | None) -> str:
    return "–" if value is None else (_("yes") if value else _("no"))


def tier_text(tier: str | None) -> Text:
    """A tier as a coloured badge (``none`` when untiered)."""
    if tier is None:
        return Text(_("none"), style="dim")
    return Text(f" {vocab.label(vocab.TIERS, tier)} ", style=TIER_STYLES.get(tier, ""))


def incomplete_text(result: engine.ScoreResult) -> str:
    """``incomplete: 1 item missing (item 20), no score`` for a result without a total."""
    items = ", ".join(map(str, result.missing_items))
    if len(result.missing_items) == 1:
        return _("incomplete: 1 item missing (item {items}), no score").format(items=items)
    return _("incomplete: {n} items missing (items {items}), no score").format(
        n=len(result.missing_items), items=items)


def incomplete_hint(defn: engine.InstrumentDefinition) -> str:
    """Why an incomplete form has no score, from the definition's missing-item rule."""
    if defn.missing.rule == "prorate":
        return _("{instrument} is prorated with at most {n} missing items: enter the missing "
                 "answers (n: new entry) for a score and a tier suggestion.").format(
                     instrument=defn.code, n=defn.missing.max_missing)
    return _("{instrument} is never prorated: enter every answer (n: new entry) for a score "
             "and a tier suggestion.").format(instrument=defn.code)


def unanswered_critical_text(result: engine.ScoreResult) -> str:
    """The warning for critical items left unanswered (``""`` when none)."""
    if not result.critical_items_unanswered:
        return ""
    return _("critical item {items} was not answered: the risk it asks about is unknown — ask "
             "it before relying on this result").format(
                 items=", ".join(map(str, result.critical_items_unanswered)))


def result_renderable(defn: engine.InstrumentDefinition,
                      result: engine.ScoreResult) -> RenderableType:
    """Total, band, flags, subscales and (SCL-90) the factor table against the norms."""
    zh = language() != "en"
    head = Table.grid(padding=(0, 2))
    head.add_column(style="dim")
    head.add_column()
    total = _number(result.total) if result.complete else incomplete_text(result)
    if result.prorated:
        total += "  " + _("(prorated: items {items} missing)").format(
            items=", ".join(map(str, result.missing_items)))
    head.add_row(_("Total"), Text(total, style="bold" if result.complete else "bold yellow"))
    band = (result.band_label_zh if zh else result.band_label_en) or "–"
    head.add_row(_("Band"), Text(band))  # a definition's text, never read as markup
    head.add_row(_("Screen-positive"), _yes_no(result.screen_positive))
    if result.provisional_diagnosis is not None:
        head.add_row(_("Provisional diagnosis"), _yes_no(result.provisional_diagnosis))
    critical = ", ".join(map(str, result.critical_items)) or _("none")
    head.add_row(_("Critical items"), Text(critical, style="bold red" if
                                           result.critical_items else ""))
    if result.critical_items_unanswered:
        head.add_row(_("Warning"), Text(unanswered_critical_text(result),
                                        style="bold black on yellow"))
    if result.positive_count is not None:
        head.add_row(_("Positive / negative items"),
                     f"{result.positive_count} / {result.negative_count}")
    for name, value in result.derived.items():
        label = next((d.label_zh if zh else d.label_en for d in defn.derived
                      if d.name == name), name)
        head.add_row(Text(label or name), _number(value))
    parts: list[RenderableType] = [head]
    if defn.subscales:
        norms = {n.name: n for n in result.norms}
        table = Table(title=_("Subscales"), title_justify="left", expand=False)
        table.add_column(_("Subscale"))
        table.add_column(_("Score"), justify="right")
        if norms:
            table.add_column(_("Norm"), justify="right")
            table.add_column(_("Difference"), justify="right")
        for sub in defn.subscales:
            value = result.subscales.get(sub.name)
            row: list[RenderableType] = [Text(sub.label_zh if zh else sub.label_en),
                                         _number(value)]
            norm = norms.get(sub.name)
            if norms:
                row += [_number(norm.mean) if norm else "–",
                        _number(norm.difference) if norm else "–"]
            style = "bold red" if (norm is not None and value is not None
                                   and sub.aggregation == "mean" and value >= 2) else ""
            table.add_row(*row, style=style)
        parts.append(table)
        other = [n for n in result.norms if n.name not in {s.name for s in defn.subscales}]
        if other:
            ref = Table(title=_("Against the norms"), title_justify="left")
            ref.add_column(_("Value"))
            ref.add_column(_("Score"), justify="right")
            ref.add_column(_("Norm"), justify="right")
            ref.add_column("SD", justify="right")
            ref.add_column("z", justify="right")
            for n in other:
                ref.add_row(Text(n.name.upper() if len(n.name) <= 4 else n.name),
                            _number(n.value),
                            _number(n.mean), _number(n.sd), _number(n.z))
            parts.append(ref)
    return Group(*parts)
