"""Exact (unsuppressed) submission counts printed in plain text (DESIGN §5 "No plaintext
leaks": a plain export needs an explicit ``--plaintext`` flag and a warning; issue 12).

By default ``submission compile --json`` and ``submission consolidate --json`` print the
*suppressed* view — the cells as the documents print them, small counts replaced by
markers (:func:`suppressed_json`). Exact counts leave the vault unencrypted only through
:func:`allow_exact_output`, which refuses auditors (they read aggregates, never cells of
one or two officers) and writes an ``export`` audit event.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from counselor_tui.domain.permissions import Action, roles_for
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.reports.view import build
from counselor_tui.services import audit
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import PermissionDenied

#: Roles that may print exact counts in plain text (the compilers of a submission).
EXACT_READERS: tuple[Role, ...] = tuple(sorted(roles_for(Action.PRINT_EXACT_COUNTS)))


def require_exact_reader(vs: VaultSession) -> None:
    """Raise :class:`PermissionDenied` unless the actor may print exact counts (coordinators
    and admins, :data:`EXACT_READERS`); call it before any work a refusal would waste."""
    if vs.actor.role not in EXACT_READERS:
        raise PermissionDenied(_(
            "Exact counts in plain text are for coordinators and admins; your role ({role}) "
            "sees the suppressed view: leave out --plaintext.").format(role=vs.actor.role.label))


def allow_exact_output(vs: VaultSession, period: str, scope: str) -> None:
    """Permit printing the exact counts of ``period``/``scope`` in plain text, and audit it
    (``export``, entity ``submission_plaintext``). Raises :class:`PermissionDenied` for an
    auditor or a counselor (:func:`require_exact_reader`)."""
    require_exact_reader(vs)
    with vs.transaction():
        audit.record(vs, "export", "submission_plaintext", f"{period}/{scope}",
                     {"format": "json", "plaintext": True})


def plaintext_warning() -> str:
    """The stderr warning printed with exact counts."""
    return _("Warning: these are exact, unsuppressed counts in plain text; small cells can "
             "identify officers. Do not save or forward this output; send the encrypted "
             "package instead.")


def suppressed_json(document: Mapping[str, Any]) -> bytes:
    """The suppressed view of ``document`` (:func:`counselor_tui.reports.view.build`) as
    UTF-8 JSON: title lines, sections with their tables as text cells (``<3``/``x``
    markers for protected counts), the footnote. Keys sorted, one trailing newline."""
    view = dataclasses.asdict(build(document))
    view["suppressed"] = True
    view["period_label"] = str(document.get("period", {}).get("label", ""))
    return (json.dumps(view, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()
