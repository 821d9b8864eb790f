"""``persons transfer|leave|correct-leave|withdraw-leave|moves``, ``tier review|change``
and ``retention show|set|run`` (issue 15 points 1–2). Persons are named by badge number
(警号), units by code; output holds ids, codes and dates, never names or notes."""

from __future__ import annotations

import argparse
from typing import Any

from counselor_tui.commands import common
from counselor_tui.domain import vocab
from counselor_tui.i18n import _
from counselor_tui.services import lifecycle, person_moves, persons, retention, tier_review
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import InvalidInput


def register(sub: Any) -> None:
    """Add ``persons …``, ``tier …`` and ``retention …`` to the sub-parsers ``sub``."""
    p = sub.add_parser("persons", help=_("people who move or leave"))
    ps = p.add_subparsers(dest="persons_command", metavar="ACTION", required=True)
    t = ps.add_parser("transfer", help=_("transfer an officer to another unit from a date"))
    t.add_argument("badge", help=_("badge number"))
    t.add_argument("--unit", required=True, metavar="CODE", help=_("unit code"))
    t.add_argument("--on", required=True, metavar="YYYY-MM-DD", help=_("effective date"))
    t.add_argument("--note", default="")
    t.set_defaults(handler=cmd_transfer)
    lv = ps.add_parser("leave", help=_("record that an officer left service"))
    lv.add_argument("badge", help=_("badge number"))
    lv.add_argument("--on", required=True, metavar="YYYY-MM-DD", help=_("the day they left"))
    lv.add_argument("--reason", required=True, choices=tuple(person_moves.LEAVE_REASONS))
    lv.add_argument("--note", default="")
    lv.set_defaults(handler=cmd_leave)
    cl = ps.add_parser("correct-leave", help=_(
        "correct the date or reason of a recorded leaving (coordinator)"))
    cl.add_argument("badge", help=_("badge number"))
    cl.add_argument("--on", required=True, metavar="YYYY-MM-DD", help=_("the day they left"))
    cl.add_argument("--reason", required=True, choices=tuple(person_moves.LEAVE_REASONS))
    cl.add_argument("--note", default=None)
    cl.set_defaults(handler=cmd_correct_leave)
    wl = ps.add_parser("withdraw-leave", help=_(
        "withdraw a leaving recorded by mistake: the officer serves again (coordinator)"))
    wl.add_argument("badge", help=_("badge number"))
    wl.set_defaults(handler=cmd_withdraw_leave)
    mv = ps.add_parser("moves", help=_("list an officer's transfers and leaving"))
    mv.add_argument("badge", help=_("badge number"))
    mv.set_defaults(handler=cmd_moves)

    tp = sub.add_parser("tier", help=_("review or change a person's tier"))
    ts = tp.add_subparsers(dest="tier_command", metavar="ACTION", required=True)
    rv = ts.add_parser("review", help=_("confirm the tier; next review set by the policy"))
    rv.add_argument("badge", help=_("badge number"))
    rv.add_argument("--note", default="")
    rv.set_defaults(handler=cmd_review)
    ch = ts.add_parser("change", help=_("change the tier with a written reason"))
    ch.add_argument("badge", help=_("badge number"))
    ch.add_argument("--tier", required=True, choices=vocab.TIER_ORDER)
    ch.add_argument("--reason", required=True)
    ch.add_argument("--without-evidence", action="store_true", help=_(
        "the change rests on none of the person's records (say why in the reason)"))
    ch.set_defaults(handler=cmd_change)

    rp = sub.add_parser("retention", help=_("retention period and de-identification"))
    rs = rp.add_subparsers(dest="retention_command", metavar="ACTION", required=True)
    rs.add_parser("show", help=_("show the retention setting")).set_defaults(handler=cmd_show)
    st = rs.add_parser("set", help=_("set the retention in years after leaving"))
    st.add_argument("years", type=int)
    st.set_defaults(handler=cmd_set)
    run = rs.add_parser("run", help=_(
        "list the records past retention (dry run), or de-identify them with --apply"))
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help=_("only list (the default)"))
    mode.add_argument("--apply", action="store_true", help=_(
        "de-identify the records your latest dry run listed"))
    run.set_defaults(handler=cmd_run)


def _unit_id(vs: VaultSession, code: str) -> int:
    for unit in persons.units(vs, include_inactive=True):
        if unit.code == code.strip():
            return unit.id
    raise InvalidInput(_("Unknown unit code {code}.").format(code=code))


def cmd_transfer(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        move = person_moves.transfer(vs, person_moves.person_id_by_badge(vs, args.badge),
                                     _unit_id(vs, args.unit), args.on, args.note)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Transfer recorded from {on} to unit {unit}.").format(on=move.on_date,
                                                                   unit=args.unit))
    return 0


def cmd_leave(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        move = person_moves.leave(vs, person_moves.person_id_by_badge(vs, args.badge),
                                  args.on, args.reason, args.note)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Left service on {on} ({reason}); the record stays in the archive as former.")
          .format(on=move.on_date, reason=vocab.label(person_moves.LEAVE_REASONS, move.reason)))
    return 0


def cmd_correct_leave(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        move = person_moves.correct_leave(vs, person_moves.person_id_by_badge(vs, args.badge),
                                          args.on, args.reason, args.note)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Leaving corrected: left service on {on} ({reason}).").format(
        on=move.on_date, reason=vocab.label(person_moves.LEAVE_REASONS, move.reason)))
    return 0


def cmd_withdraw_leave(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        person_moves.withdraw_leave(vs, person_moves.person_id_by_badge(vs, args.badge))
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Leaving withdrawn: the officer serves again."))
    return 0


def cmd_moves(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        rows = person_moves.moves(vs, person_moves.person_id_by_badge(vs, args.badge))
    finally:
        lifecycle.lock(vs, "quit")
    for m in rows:
        what = (vocab.label(person_moves.LEAVE_REASONS, m.reason) if m.kind == "leave"
                else f"{m.from_unit or '-'} → {m.to_unit or '-'}")
        print(f"{m.on_date}\t{m.kind}\t{what}")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        done = tier_review.review(vs, person_moves.person_id_by_badge(vs, args.badge),
                                  args.note)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Tier {tier} confirmed; next review {date}.").format(
        tier=vocab.label(vocab.TIERS, done.state.tier), date=done.state.review_due or "-"))
    return 0


def cmd_change(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        done = tier_review.change(vs, person_moves.person_id_by_badge(vs, args.badge),
                                  args.tier, args.reason,
                                  without_evidence=args.without_evidence)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Tier changed to {tier}; next review {date}.").format(
        tier=vocab.label(vocab.TIERS, done.state.tier), date=done.state.review_due or "-"))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        years = retention.retention_years(vs)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Retention: {n} years after leaving service.").format(n=years))
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        years = retention.set_retention_years(vs, args.years)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Retention: {n} years after leaving service.").format(n=years))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        report = retention.apply(vs) if args.apply else retention.dry_run(vs)
    finally:
        lifecycle.lock(vs, "quit")
    for c in report.candidates:
        print(_("person {id} · left {on} ({reason}) · {sessions} sessions, {addenda} addenda, "
                "{tiers} tier reasons, {other} other notes").format(
            id=c.person_id, on=c.left_on,
            reason=vocab.label(person_moves.LEAVE_REASONS, c.left_reason),
            sessions=c.sessions, addenda=c.addenda, tiers=c.tier_reasons, other=c.other_notes))
        print("  " + _("recorded by {by} at {at} · hired {hired} · latest session {last}").format(
            by=c.recorded_by or "—", at=(c.recorded_at or "—")[:16].replace("T", " "),
            hired=c.hire_date or "—", last=c.last_session or "—"))
        for f in c.family:
            what = (_("de-identified too ({n} sessions with text)").format(n=f.sessions)
                    if f.action == "deidentify" else
                    _("linked to another officer: only this link is removed"))
            print("  " + _("family member {id} ({relation}): {what}").format(
                id=f.person_id, relation=vocab.label(vocab.RELATIONS, f.relation), what=what))
    if report.applied:
        print(_("De-identified {n} records (left on or before {cutoff}).").format(
            n=len(report.candidates), cutoff=report.cutoff))
        if not report.checkpointed:
            print(_("Another program has the vault open: the old text leaves the file at its "
                    "next checkpoint. Close it and run 'counselor-tui check'."))
    else:
        print(_("Dry run: {n} records left service on or before {cutoff} ({years}-year "
                "retention). Nothing was changed; run 'retention run --apply' to "
                "de-identify them.").format(n=len(report.candidates), cutoff=report.cutoff,
                                            years=report.years))
    return 0
