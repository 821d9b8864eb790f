"""The base of every model: the database proxy, the JSON column type, ``BaseModel``.

Split out of :mod:`db.models` (which re-exports every name here) so the tables there stay
one area each. :data:`database_proxy` is initialised with a
:class:`db.connection.VaultDatabase` at unlock; JSON columns hold UTF-8 JSON text with sorted
keys and no spaces, so equal values store as equal bytes.
"""

from __future__ import annotations

import json
from typing import Any

import peewee as pw

database_proxy = pw.DatabaseProxy()


class JSONField(pw.TextField):
    """A column holding JSON text; Python values in, Python values out."""

    def db_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        return json.loads(value)


class BaseModel(pw.Model):
    """Base of every model: bound to :data:`database_proxy`, table names in snake case."""

    id: int  # the implicit primary key (models with a composite key have none)

    class Meta:
        database = database_proxy
        legacy_table_names = False


class SchemaVersion(BaseModel):
    """One row per applied migration."""

    version = pw.IntegerField(primary_key=True)
    name = pw.TextField()
    applied_at = pw.TextField()
