"""The session form as a resume point, and back (issue 15 item 7: a lock keeps the text).

:func:`form_point` describes an open :class:`~counselor_tui.ui.screens.session_form.
SessionFormScreen` — the session it corrects, the picked person and every field exactly as
typed — as a JSON-able mapping for :func:`counselor_tui.services.drafts.keep_draft`;
:func:`fill_form` puts the fields back into a new form after unlock. Nothing here is
written anywhere: the mapping goes only to the vault.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping
from typing import Any

from textual.screen import Screen
from textual.widgets import Checkbox, Input, Select, SelectionList, TextArea
from textual.widgets.select import InvalidSelectValueError

from counselor_tui.services.persons import PersonRow
from counselor_tui.services.sessions import SessionSummary
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.person_picker import PersonPicker
from counselor_tui.ui.widgets.topic_select import TopicSelect

#: The resume point kind of the session form.
KIND = "session_form"
#: Inputs and selects kept as typed: field key → widget id.
_INPUTS = {"caller_label": "caller-label", "duration": "duration",
           "intervention": "intervention"}
_DATES = {"started": "started", "follow_up": "follow-up"}
_SELECTS = {"channel": "channel", "kind": "kind", "risk": "risk", "referral": "referral",
            "caller_kind": "caller-kind"}


def rebuild_dataclass(cls: type[Any], data: Any) -> Any:
    """A dataclass ``cls`` from a JSON mapping (lists back to tuples; unknown keys, from
    another version of the program, left out); None when it does not fit."""
    if not isinstance(data, Mapping):
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    try:
        return cls(**values)
    except TypeError:
        return None


def person_of(point: Mapping[str, Any]) -> PersonRow | None:
    """The person the form was opened for."""
    row = rebuild_dataclass(PersonRow, point.get("person"))
    return row if isinstance(row, PersonRow) else None


def session_of(point: Mapping[str, Any]) -> SessionSummary | None:
    """The session the form corrects (None: a new session)."""
    row = rebuild_dataclass(SessionSummary, point.get("session"))
    return row if isinstance(row, SessionSummary) else None


def form_fields(form: Screen[Any]) -> dict[str, Any]:
    """Every field of ``form`` as typed (the picker's search text too), and which control
    had the focus (with the note's cursor)."""
    picker = form.query_one("#person", PersonPicker)
    note = form.query_one("#note", TextArea)
    fields: dict[str, Any] = {
        "picked": dataclasses.asdict(picker.picked) if picker.picked is not None else None,
        "anonymous": picker.anonymous,
        "search": picker.input.value,
        "topics": list(form.query_one("#topics", TopicSelect).topics),
        "note": note.text,
        "cursor": list(note.cursor_location),
        "sealed": form.query_one("#sealed", Checkbox).value,
        "co_counselors": list(getattr(form, "co_counselor_ids", ())),
    }
    for key, ident in _INPUTS.items():
        fields[key] = form.query_one(f"#{ident}", Input).value
    for key, ident in _DATES.items():
        fields[key] = form.query_one(f"#{ident}", DateInput).text
    for key, ident in _SELECTS.items():
        value = form.query_one(f"#{ident}", Select).value
        fields[key] = None if value is Select.NULL else str(value)
    focused = form.focused
    owner = next((w for w in focused.ancestors_with_self if w.id in _FOCUSABLE), None) \
        if focused is not None else None
    fields["focus"] = owner.id if owner is not None else None
    return fields


#: Ids of the controls the focus may be given back to.
_FOCUSABLE = frozenset({"person", "topics", "note", "sealed", *_INPUTS.values(),
                        *_DATES.values(), *_SELECTS.values()})


def fill_form(form: Screen[Any], fields: Mapping[str, Any]) -> None:
    """Put ``fields`` (from :func:`form_fields`) back into ``form``; a value that no
    longer fits a control (a code gone from a vocabulary) leaves that control as it is."""
    picker = form.query_one("#person", PersonPicker)
    picked = rebuild_dataclass(PersonRow, fields.get("picked"))
    if isinstance(picked, PersonRow) or fields.get("anonymous"):
        picker.preset(picked if isinstance(picked, PersonRow) else None,
                      anonymous=bool(fields.get("anonymous")))
    else:
        picker.preset(None)
        picker.input.value = str(fields.get("search") or "")
    form.query_one("#topics", TopicSelect).set_topics(
        t for t in fields.get("topics") or () if isinstance(t, str))
    note = form.query_one("#note", TextArea)
    note.load_text(str(fields.get("note") or ""))
    cursor = fields.get("cursor")
    if isinstance(cursor, list) and len(cursor) == 2:
        note.move_cursor((int(cursor[0]), int(cursor[1])))
    form.query_one("#sealed", Checkbox).value = bool(fields.get("sealed"))
    co = [int(i) for i in fields.get("co_counselors") or () if isinstance(i, int)]
    if hasattr(form, "co_wanted"):
        form.co_wanted = co
        box = form.query_one("#co-counselors", SelectionList)
        box.deselect_all()
        for uid in co:
            with contextlib.suppress(Exception):
                box.select(uid)
    for key, ident in _INPUTS.items():
        form.query_one(f"#{ident}", Input).value = str(fields.get(key) or "")
    for key, ident in _DATES.items():
        form.query_one(f"#{ident}", DateInput).text = str(fields.get(key) or "")
    for key, ident in _SELECTS.items():
        select = form.query_one(f"#{ident}", Select)
        value = fields.get(key)
        if isinstance(value, str):
            with contextlib.suppress(InvalidSelectValueError):
                select.value = value
    focus = fields.get("focus")
    if isinstance(focus, str) and focus in _FOCUSABLE:
        form.query_one(f"#{focus}").focus()
