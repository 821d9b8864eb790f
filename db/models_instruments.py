"""A bureau's own instrument definitions (issue 16 point 4), kept apart from
:mod:`db.models` (which re-exports it and lists it in ``ALL_MODELS``); its foreign key names
``User`` lazily (``DeferredForeignKey``), so :mod:`db.models` may import this module first.
Created by migration 18.
"""

from __future__ import annotations

import peewee as pw

from db.model_base import BaseModel


class BureauInstrument(BaseModel):
    """One version of a bureau's own instrument definition (never changed or deleted:
    triggers refuse it): code, declared version, revision (1, 2, … per code), the names and
    item count shown in lists, the validated TOML text and its SHA-256."""

    code = pw.TextField()
    version = pw.TextField()
    revision = pw.IntegerField()
    name_zh = pw.TextField()
    name_en = pw.TextField()
    item_count = pw.IntegerField()
    definition = pw.TextField()
    sha256 = pw.TextField()
    created_at = pw.TextField()
    created_by = pw.DeferredForeignKey("User", backref="+")
    created_by_id: int

    class Meta:
        indexes = ((("code", "revision"), True), (("code", "version"), True))
