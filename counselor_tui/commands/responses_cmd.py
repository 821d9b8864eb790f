"""``import responses FILE --instrument CODE [--census ID] [--date YYYY-MM-DD] [--apply]``
(DESIGN §9, §10; issue 4 §4).

Output (automation contract, the same words in every language): the first stdout line is
``added N, duplicate N, unmatched N, rejected N``, then one ``row R: reason`` line per row
not imported — unmatched (nobody certain to fit) or rejected (unreadable date or answers,
a respondent repeated in the file) — in row order (reasons translated). Notes go to stderr:
one ``row R (warning): reason`` line per imported row with a warning (the platform's own
total differs from the computed one; dated outside the chosen census window, with a
count), the item columns used when they were taken by position, critical items of
imported rows (row numbers only), the dry-run reminder. No name or score is printed.
Without ``--apply`` nothing is written. Exit code 0 whenever the file was read (also with
unmatched rows), 2 when it cannot be read, names no items, or the account may not import.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from counselor_tui.commands import common
from counselor_tui.i18n import _
from counselor_tui.services import lifecycle, responses_import


def register_import(group: Any) -> None:
    """Add ``responses`` to the ``import`` sub-commands."""
    p = group.add_parser("responses",
                         help=_("import a survey platform's export of one instrument"))
    p.add_argument("file", metavar="FILE", help=_("survey export (.xlsx or .csv)"))
    p.add_argument("--instrument", required=True, metavar="CODE",
                   help=_("instrument of the survey (phq9, gad7, pcl5, pss10, k10, scl90, "
                          "or a bureau's own: see 'instruments list')"))
    p.add_argument("--census", type=int, default=None, metavar="ID",
                   help=_("link the assessments to this census campaign"))
    p.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                   help=_("administration date of every row (default: each row's "
                          "submission date)"))
    p.add_argument("--apply", action="store_true",
                   help=_("write the import (without it: dry run, nothing is written)"))
    p.set_defaults(handler=cmd_responses)


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise common.CommandError(
            _("Write the date as YYYY-MM-DD, not '{text}'.").format(text=text)) from None


def cmd_responses(args: argparse.Namespace) -> int:
    """Plan (and with ``--apply`` write) a responses import; print the contract lines."""
    day = _date(args.date)
    vs = common.unlock(args)
    applied = None
    try:
        plan = responses_import.plan_import(vs, Path(args.file), args.instrument,
                                            census_id=args.census, administered_on=day)
        if args.apply:
            applied = responses_import.apply_import(vs, plan)
    finally:
        lifecycle.lock(vs, "quit")
    if applied is not None:
        moved = len(applied.duplicate_rows)
        print(f"added {len(applied.assessment_ids)}, duplicate {len(plan.duplicate) + moved}, "
              f"unmatched {len(plan.unmatched)}, rejected {len(plan.rejected)}")
    else:
        print(plan.summary())
    for item in plan.not_imported():
        print(f"row {item.row}: {item.reason}")
    for item in plan.warnings:
        common.info(_("row {row} (warning): {reason}").format(row=item.row, reason=item.reason))
    if plan.outside_window and plan.census_window is not None:
        common.info(_("{n} rows are dated outside the census window ({start} – {end}): they "
                      "are imported but do not count toward its completion.").format(
                          n=len(plan.outside_window), start=plan.census_window[0],
                          end=plan.census_window[1]))
    if plan.columns.by == "position":
        common.info(_("No header names the items: columns {columns} were taken as items 1–"
                      "{count} in order. Check them before --apply.").format(
                          columns=", ".join(plan.columns.item_headers),
                          count=len(plan.columns.items)))
    critical = [r.row for r in plan.added if r.critical_items]
    if critical:
        common.info(_("Critical items answered in rows {rows}: review these respondents "
                      "at once.").format(rows=", ".join(map(str, critical))))
    if applied is not None:
        if applied.suggestions:
            common.info(_("Tier suggestions made: {n} ({red} red) — decide them in the "
                          "census screen.").format(n=applied.suggestions,
                                                   red=applied.red_suggestions))
    else:
        common.info(_("Dry run: nothing was written. Add --apply to import."))
    return 0
