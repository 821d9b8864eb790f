"""The scroll container of a form's fields.

Textual's :class:`~textual.containers.VerticalScroll` is a focus stop of its own (so that
a long text can be scrolled with the keys). In a form that stop is invisible: Tab lands on
it between two fields and whatever is typed there is lost. :class:`FormScroll` is not
focusable; its fields are, and the focused field is scrolled into view (Textual does that
for every focused widget), so keyboard users reach everything and lose nothing.

No bindings of its own.
"""

from __future__ import annotations

from textual.containers import VerticalScroll


class FormScroll(VerticalScroll, can_focus=False):
    """A :class:`~textual.containers.VerticalScroll` that is never a focus stop."""
