"""Drafts that survive a lock (issue 15 item 7: "nothing typed is lost to a lock").

When the vault locks (idle or ctrl+l) the interface describes what was open — the screens
above the dashboard and the content of an open form — as a *resume point* and hands it to
:func:`keep_draft` **before** the data key is dropped (the lock closes the connection). At
the same account's next unlock :func:`load_draft` gives it back, the interface opens the
screens again with the form filled, and :func:`drop_draft` removes it.

Rules:

* **Per account.** One resume point per account (a new lock replaces the old one); an
  account only ever reads its own. The payload is AES-256-GCM encrypted with a key derived
  (HKDF-SHA256, RFC 5869) from the account's own slot key (:attr:`VaultSession.secret`), so
  another account holding the data key cannot read it either; a session opened without a
  slot key (none in practice) keeps it under the SQLCipher encryption only.
* **Inside the vault only.** The row is written in the SQLCipher database in one
  transaction (``secure_delete`` is on, so a dropped draft's pages are zeroed); nothing is
  written to a temp file or a log, and no audit detail holds any of the text.
* **Expiry.** A draft older than the ``draft_keep_hours`` setting (default
  :data:`DEFAULT_KEEP_HOURS`; 1–720) is deleted, unread, at the next unlock of any account.
* **Audit.** Keeping (``create form_draft``), restoring or expiring (``delete form_draft``)
  are audit events naming the account and how many screens — never their content.

The screens are opaque here: a list of JSON-able mappings the interface made
(:mod:`counselor_tui.ui.resume`); this module never interprets them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from counselor_tui.domain.dates import from_storage
from counselor_tui.services import audit
from counselor_tui.services.context import VaultSession
from db import sealing
from db.models import Setting

#: Hours a draft is kept when the ``draft_keep_hours`` setting is not set.
DEFAULT_KEEP_HOURS = 72
#: The kind the payload's encryption is bound to (with the vault id and the account id).
DRAFT_KIND = "form_draft"
_INFO = b"counselor-tui form draft v1"


@dataclass(frozen=True)
class ResumePoint:
    """What was open at the lock: ``screens`` bottom first (JSON-able mappings, as the
    interface described them) and ``saved_at`` (storage form, bureau time zone)."""

    screens: tuple[Mapping[str, Any], ...]
    saved_at: str
    #: Set (the ``draft_keep_hours`` then in force) when this account's draft was older
    #: and was deleted unread: ``screens`` is empty, the interface says the text is gone.
    expired_after_hours: int | None = None


def _key(vs: VaultSession) -> bytes | None:
    """The account's draft key (32 bytes) from its slot key; None without one."""
    if not vs.secret:
        return None
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=_INFO + b"|" + vs.keys.vault_id.encode()).derive(vs.secret)


def keep_hours(vs: VaultSession) -> int:
    """The ``draft_keep_hours`` setting (hours, default :data:`DEFAULT_KEEP_HOURS`)."""
    row = Setting.get_or_none(Setting.key == "draft_keep_hours")
    try:
        hours = int(row.value) if row is not None else DEFAULT_KEEP_HOURS
    except (TypeError, ValueError):
        return DEFAULT_KEEP_HOURS
    return hours if hours > 0 else DEFAULT_KEEP_HOURS


def keep_draft(vs: VaultSession, screens: Sequence[Mapping[str, Any]]) -> None:
    """Write this account's resume point (replacing an older one) in one transaction.

    ``screens``: JSON-able mappings (``TypeError``/``ValueError`` otherwise). Call it
    before the lock drops the key; raises what :meth:`VaultSession.transaction` raises
    (locked, damaged or read-only vault), in which case nothing was written.
    """
    user_id = int(vs.actor.id)
    payload = json.dumps({"v": 1, "screens": [dict(s) for s in screens]},
                         ensure_ascii=False).encode("utf-8")
    key = _key(vs)
    blob = payload if key is None else sealing.encrypt_text(
        key, vs.keys.vault_id, DRAFT_KIND, user_id, payload)
    with vs.transaction():
        vs.execute('INSERT OR REPLACE INTO "form_draft"(user_id, saved_at, sealed, payload) '
                   "VALUES (?, ?, ?, ?)", (user_id, vs.now_iso(), int(key is not None), blob))
        audit.record(vs, "create", DRAFT_KIND, user_id, {"screens": len(screens)})


def _expired(saved_at: str, now: datetime, hours: int) -> bool:
    try:
        return from_storage(saved_at) + timedelta(hours=hours) < now
    except (TypeError, ValueError):
        return True


def load_draft(vs: VaultSession) -> ResumePoint | None:
    """This account's resume point, or None (none kept, or not readable with this
    account's key). Deletes every account's expired drafts first (audited); when this
    account's own was one of them, a point without screens that says so
    (:attr:`ResumePoint.expired_after_hours`), so a lock's "comes back when you unlock"
    is not silently broken."""
    user_id = int(vs.actor.id)
    with vs.reading():
        hours = keep_hours(vs)
        rows = [(int(r[0]), str(r[1])) for r in vs.execute(
            'SELECT user_id, saved_at FROM "form_draft"')]
    now = vs.now()
    expired = [uid for uid, saved in rows if _expired(saved, now, hours)]
    if expired:
        with vs.transaction():
            for uid in expired:
                vs.execute('DELETE FROM "form_draft" WHERE user_id = ?', (uid,))
                audit.record(vs, "delete", DRAFT_KIND, uid, {"expired": True})
        if user_id in expired:
            return ResumePoint((), dict(rows)[user_id], expired_after_hours=hours)
    with vs.reading():
        row = vs.execute('SELECT saved_at, sealed, payload FROM "form_draft" '
                         "WHERE user_id = ?", (user_id,)).fetchone()
    if row is None:
        return None
    saved_at, sealed, blob = str(row[0]), bool(row[1]), bytes(row[2])
    try:
        if sealed:
            key = _key(vs)
            if key is None:
                return None
            blob = sealing.decrypt_text(key, vs.keys.vault_id, DRAFT_KIND, user_id, blob)
        data = json.loads(blob.decode("utf-8"))
        screens = tuple(s for s in data.get("screens", []) if isinstance(s, dict))
    except (sealing.SealError, ValueError, AttributeError):
        return None
    return ResumePoint(screens, saved_at)


def drop_draft(vs: VaultSession) -> bool:
    """Delete this account's resume point (once restored); True when there was one."""
    user_id = int(vs.actor.id)
    with vs.transaction():
        gone = vs.execute('DELETE FROM "form_draft" WHERE user_id = ?', (user_id,)).rowcount
        if gone:
            audit.record(vs, "delete", DRAFT_KIND, user_id, {"restored": True})
    return bool(gone)
