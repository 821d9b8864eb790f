"""An option list that does not wrap round (issue 15: a wrapped highlight once saved
一般 → 一般 as a tier change)."""

from __future__ import annotations

from textual.widgets import OptionList


class NoWrapOptionList(OptionList):
    """An option list whose ↑/↓ stop at the ends instead of wrapping round (a wrapped
    highlight once saved 一般 → 一般 as a change)."""

    def _step(self, direction: int) -> None:
        start = -1 if self.highlighted is None and direction > 0 else (
            self.option_count if self.highlighted is None else self.highlighted)
        index = start + direction
        while 0 <= index < self.option_count:
            if not self.get_option_at_index(index).disabled:
                self.highlighted = index
                return
            index += direction

    def action_cursor_down(self) -> None:
        """The next enabled option below; none past the last."""
        self._step(1)

    def action_cursor_up(self) -> None:
        """The next enabled option above; none past the first."""
        self._step(-1)
