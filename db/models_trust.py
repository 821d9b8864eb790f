"""The trust list of submission packages (issue 13), kept apart from :mod:`db.models` (which
re-exports it and lists it in ``ALL_MODELS``); its foreign key names ``User`` lazily
(``DeferredForeignKey``), so :mod:`db.models` may import this module first. Created by
migration 9.
"""

from __future__ import annotations

import peewee as pw

from db.model_base import BaseModel


class TrustedSigner(BaseModel):
    """A known issuer of submission packages (issue 13): its signing-key ``fingerprint``
    (64 lower-case hex digits), the bureau or unit ``name``, who added it and when."""

    fingerprint = pw.TextField(unique=True)
    name = pw.TextField()
    added_at = pw.TextField()
    added_by = pw.DeferredForeignKey("User", backref="+")
    added_by_id: int
