"""The tables of people who move or leave (issue 15 point 2): dated moves and the history
of edits of a person's details. Created by migration 12.

Kept apart from :mod:`db.models` (which re-exports them and lists them in ``ALL_MODELS``); the
foreign keys name their targets lazily (``DeferredForeignKey``), as :mod:`db.models_care`.
"""

from __future__ import annotations

import peewee as pw

from db.model_base import BaseModel, JSONField


class PersonMove(BaseModel):
    """A dated move of a person (migration 12): ``kind`` ``transfer`` (``from_unit`` →
    ``to_unit`` from ``on_date`` on) or ``leave`` (left service on ``on_date`` for
    ``reason``); ``note`` is free text (scrubbed by de-identification)."""

    person = pw.DeferredForeignKey("Person", backref="+")
    person_id: int
    kind = pw.TextField()
    on_date = pw.TextField()
    from_unit = pw.DeferredForeignKey("Unit", null=True, backref="+")
    from_unit_id: int | None
    to_unit = pw.DeferredForeignKey("Unit", null=True, backref="+")
    to_unit_id: int | None
    reason = pw.TextField(null=True)
    note = pw.TextField(default="")
    by = pw.DeferredForeignKey("User", backref="+")
    by_id: int
    at = pw.TextField()


class PersonVersion(BaseModel):
    """What one edit of a person's details changed (migration 12): ``changed`` maps each
    field to ``[old, new]``."""

    person = pw.DeferredForeignKey("Person", backref="+")
    person_id: int
    changed = JSONField()
    by = pw.DeferredForeignKey("User", backref="+")
    by_id: int
    at = pw.TextField()


PEOPLE_MODELS: tuple[type[BaseModel], ...] = (PersonMove, PersonVersion)
