"""One key per item: the response entry of the assessment screen (issue 4 §3, DESIGN §6).

A digit (ASCII or full-width, from an input method) within the instrument's response range
answers the current item and moves to the next; the item's text is shown where the licence
allows (SCL-90: item numbers only), with the response labels. Going past the last item posts
:class:`ResponseEntry.Completed` with every answer (``None`` for a skipped item: the
engine's missing-item rule then decides, e.g. PHQ-9 prorates one missing item).

| key | action |
|---|---|
| 0–9 | answer the current item, go to the next |
| ← / Backspace | previous item |
| → | next item (keeps the answer; an unanswered item stays missing) |
| - / Space | leave the item unanswered (missing) and go on |
| Home | first item |
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget

from counselor_tui.domain.instruments import InstrumentDefinition, response_for_key
from counselor_tui.i18n import N_, _, language
from counselor_tui.ui.keys import translate_bindings


class ResponseEntry(Widget, can_focus=True):
    """Answers of one administration of ``defn``, typed one key per item."""

    DEFAULT_CSS = """
    ResponseEntry { height: auto; padding: 0 1; }
    ResponseEntry:focus { background: $boost; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "back", N_("Previous item"), id="entry_left"),
        Binding("backspace", "back", N_("Previous item"), id="entry_back", show=False),
        Binding("right", "forward", N_("Next item"), id="entry_forward"),
        Binding("minus", "skip", N_("Skip item"), id="entry_skip"),
        Binding("space", "skip", N_("Skip item"), id="entry_space", show=False),
        Binding("home", "first", N_("First item"), id="entry_home", show=False),
    ]

    class Completed(Message):
        """Every item was passed: ``responses`` in item order (``None`` = missing)."""

        def __init__(self, responses: tuple[int | None, ...]) -> None:
            super().__init__()
            self.responses = responses

    class Moved(Message):
        """The current item changed to ``index`` (0-based)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, defn: InstrumentDefinition, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.defn = defn
        self.responses: list[int | None] = [None] * defn.item_count
        self.index = 0
        self.done = False
        self.refused = ""

    # -- keys ------------------------------------------------------------------------------
    def on_mount(self) -> None:
        translate_bindings(self)  # the footer shows these keys while the entry has focus

    def on_key(self, event: events.Key) -> None:
        if self.done or event.character is None or len(event.character) != 1:
            return
        if not event.character.isdigit():
            return
        event.stop()
        event.prevent_default()
        value = response_for_key(self.defn, event.character)
        if value is None:
            self.refused = _("Answers are {low}–{high}.").format(
                low=self.defn.response_min, high=self.defn.response_max)
            self.app.bell()
            self.refresh(layout=True)
            return
        self.answer(value)

    def answer(self, value: int | None) -> None:
        """Set the current item to ``value`` and move on (completes after the last)."""
        if self.done:
            return
        self.responses[self.index] = value
        self.refused = ""
        self._go(self.index + 1)

    def _go(self, index: int) -> None:
        if index >= self.defn.item_count:
            self.done = True
            self.refresh(layout=True)
            self.post_message(self.Completed(tuple(self.responses)))
            return
        self.index = max(0, index)
        self.refresh(layout=True)
        self.post_message(self.Moved(self.index))

    def action_back(self) -> None:
        """Previous item."""
        if not self.done:
            self._go(self.index - 1)

    def action_forward(self) -> None:
        """Next item, keeping the current answer."""
        if not self.done:
            self._go(self.index + 1)

    def action_skip(self) -> None:
        """Leave the current item unanswered and go on."""
        self.answer(None)

    def action_first(self) -> None:
        """First item."""
        if not self.done:
            self._go(0)

    # -- drawing ---------------------------------------------------------------------------
    def item_text(self, number: int) -> str:
        """The text of item ``number`` in the interface language, or "" (not shipped)."""
        for item in self.defn.items:
            if item.number == number:
                text = item.text_en if language() == "en" else item.text_zh
                return text or ""
        return ""

    def labels_line(self) -> Text:
        """``0 完全不会   1 好几天 …`` — the keys and what they mean."""
        out = Text()
        for value in range(self.defn.response_min, self.defn.response_max + 1):
            if out:
                out.append("   ")
            out.append(str(value), style="bold reverse")
            out.append(" " + self.defn.response_label(value, language()))
        return out

    def grid(self) -> Text:
        """Every item as ``number:answer`` (``_`` unanswered), the current one highlighted,
        in rows of 10."""
        out = Text()
        width = cell_len(str(self.defn.item_count))
        for i, value in enumerate(self.responses):
            if i and i % 10 == 0:
                out.append("\n")
            cell = f"{i + 1:>{width}}:{'_' if value is None else value}"
            style = "bold reverse" if (i == self.index and not self.done) else (
                "dim" if value is None else "")
            out.append(cell, style=style)
            out.append("  ")
        return out

    def render(self) -> RenderableType:
        number = self.index + 1
        lines = Text()
        if self.done:
            answered = sum(v is not None for v in self.responses)
            lines.append(_("All {count} items passed ({answered} answered).").format(
                count=self.defn.item_count, answered=answered), style="bold")
        else:
            lines.append(_("Item {number} of {count}").format(
                number=number, count=self.defn.item_count), style="bold")
            text = self.item_text(number)
            lines.append("\n")
            if text:
                lines.append(text)
            else:
                lines.append(_("Item {number} (enter by item number; item texts are not "
                               "shipped)").format(number=number), style="italic")
            lines.append("\n")
            lines.append_text(self.labels_line())
        if self.refused:
            lines.append("\n")
            lines.append(self.refused, style="bold red")
        lines.append("\n\n")
        lines.append_text(self.grid())
        return lines
