"""The programme's organisation (issue 16 item 1): the protection committee and its office,
and the training of 教导员 and 政工干部. Created by migration 20.

Kept apart from :mod:`db.models` (which re-exports them and lists them in ``ALL_MODELS``); the
foreign keys name their targets lazily (``DeferredForeignKey``), as :mod:`db.models_care`.
Dates ``YYYY-MM-DD``, timestamps ISO-8601 with offset (DESIGN §4). Rows are voided with a
reason, never deleted.
"""

from __future__ import annotations

import peewee as pw

from db.model_base import BaseModel


class _Kept(BaseModel):
    created_at = pw.TextField()
    created_by = pw.DeferredForeignKey("User", backref="+")
    created_by_id: int
    updated_at = pw.TextField()
    updated_by = pw.DeferredForeignKey("User", backref="+")
    updated_by_id: int
    voided_at = pw.TextField(null=True)
    voided_by = pw.DeferredForeignKey("User", null=True, backref="+")
    voided_by_id: int | None
    void_reason = pw.TextField(null=True)


class OrgMember(_Kept):
    """A member of the committee or its office: ``post`` (a code of
    :data:`counselor_tui.domain.organisation.POSTS`), the account (``user``) or, for someone
    without one, ``name``; ``job`` (their position in the bureau, e.g. 局长); the term
    ``starts_on``..``ends_on`` (``NULL``: serving); ``counselor``: one of the bureau's
    part-time counselors."""

    post = pw.TextField()
    user = pw.DeferredForeignKey("User", null=True, backref="+")
    user_id: int | None
    name = pw.TextField(default="")
    job = pw.TextField(default="")
    starts_on = pw.TextField()
    ends_on = pw.TextField(null=True)
    counselor = pw.BooleanField(default=False)


class CadreTraining(_Kept):
    """One 教导员 or 政工干部 (``post`` ``instructor`` / ``political``) trained: ``name``,
    ``unit``, ``on_date``, ``title`` of the training, ``hours``."""

    name = pw.TextField()
    post = pw.TextField()
    unit = pw.DeferredForeignKey("Unit", null=True, backref="+")
    unit_id: int | None
    on_date = pw.TextField()
    title = pw.TextField()
    hours = pw.FloatField(default=0)


ORG_MODELS: tuple[type[BaseModel], ...] = (OrgMember, CadreTraining)
