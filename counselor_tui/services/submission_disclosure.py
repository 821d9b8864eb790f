"""Disclosure control of a submission against everything already exported (issue 13).

:func:`protected` gives a compiled content its ``disclosure`` record: linked suppression and
the built-in attack (:mod:`counselor_tui.reports.linking`) against the finalized versions a
reader can combine with it (same period, all scopes; at finalize also the period before it;
see ``docs/disclosure.md``). :func:`audit_summary` is the audit log's copy of the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from counselor_tui.domain.periods import Period
from counselor_tui.reports.content import period_from_json
from counselor_tui.reports.linking import Doc, secure_document
from counselor_tui.services.context import VaultSession
from counselor_tui.services.submission_due import EXPORTED, FINAL
from db.models import Submission


def history_of(period: Period, exclude: int | None) -> list[Doc]:
    """Every finalized version of ``period``'s kind up to ``period`` (all scopes): what a
    reader of the exported documents holds. Call inside a read or a transaction."""
    rows = (Submission.select()
            .where((Submission.period_kind == period.kind)
                   & (Submission.period_start <= period.start.isoformat())
                   & (Submission.status.in_([FINAL, EXPORTED])))
            .order_by(Submission.period_start, Submission.scope, Submission.version))
    return [Doc(dict(row.content or {}), True, f"v{row.version}") for row in rows
            if row.id != exclude and (row.content or {}).get("disclosure")]


def protected(vs: VaultSession, content: dict[str, Any], k: int,
              exclude: int | None = None, *, full: bool = False) -> dict[str, Any]:
    """``content`` with its ``disclosure`` record, protected together with the finalized
    documents a reader can combine with it (linked suppression and the built-in attack,
    :mod:`counselor_tui.reports.linking`): ``full`` (finalize) links the other scopes and
    versions of its period and the period before it (:func:`~counselor_tui.reports.linking.
    linkable`); otherwise (compile, preview, consolidate: the quick audit) its own period's
    only. ``exclude``: the row being finalized."""
    period = period_from_json(content["period"])
    with vs.reading():
        history = history_of(period, exclude)
    content["disclosure"] = secure_document(Doc(content, False, "now"), history, k,
                                            linked=full)
    return content


def audit_summary(content: Mapping[str, Any]) -> dict[str, Any]:
    """The audit log's copy of a document's disclosure audit: solver, time and counts."""
    block = (content.get("disclosure") or {}).get("audit") or {}
    return {key: block.get(key) for key in ("solver", "seconds", "documents", "hidden_cells",
                                            "failing", "passed")}
