"""The submission document: content + narrative + version, as canonical JSON bytes.

The document is what ``submission.json`` holds inside the package and what
``Submission.content_sha256`` hashes (``docs/submission-json.md``). Canonical form: UTF-8,
keys sorted, two-space indent, non-ASCII kept, one trailing newline — so the same document
always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from counselor_tui.i18n import _
from counselor_tui.reports.content import SCHEMA_ID, SCHEMA_VERSION

NARRATIVE_KEYS: tuple[str, ...] = ("highlights", "problems", "plan")


class DocumentError(ValueError):
    """A submission document is not valid JSON of a known schema; translated message."""


def canonical_bytes(obj: Any) -> bytes:
    """Canonical JSON bytes of ``obj`` (sorted keys, indent 2, UTF-8, trailing newline)."""
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def clean_narrative(narrative: Mapping[str, Any] | None) -> dict[str, str]:
    """``{"highlights", "problems", "plan"}`` as stripped strings (missing keys empty)."""
    narrative = narrative or {}
    return {key: str(narrative.get(key, "") or "").strip() for key in NARRATIVE_KEYS}


def build_document(
    content: Mapping[str, Any],
    narrative: Mapping[str, Any] | None,
    *,
    version: int | None,
    replaces_version: int | None = None,
) -> dict[str, Any]:
    """The document of a submission: ``content`` (with its ``disclosure`` record) plus
    ``narrative`` and ``submission`` (``version``, ``replaces_version``)."""
    doc = dict(content)
    doc["narrative"] = clean_narrative(narrative)
    doc["submission"] = {"version": version, "replaces_version": replaces_version}
    return doc


def parse_document(data: bytes) -> dict[str, Any]:
    """Read a ``submission.json``: raises :class:`DocumentError` unless it is UTF-8 JSON with
    this program's schema id and a schema version it knows."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DocumentError(_("The submission file is not valid JSON.")) from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA_ID:
        raise DocumentError(_("The file is not a counselor-tui submission."))
    version = doc.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION or version < 1:
        raise DocumentError(
            _("The submission uses schema version {found}; this program reads up to "
              "{known}: update the program.").format(found=version, known=SCHEMA_VERSION))
    for key in ("period", "scope", "sections", "integrity"):
        if key not in doc:
            raise DocumentError(_("The submission file lacks “{key}”.").format(key=key))
    return doc
