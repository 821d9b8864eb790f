"""``org list|add|change|end|void|units|cadre-add|cadre-list|cadre-void``: the programme's
organisation (issue 16 item 1; :mod:`counselor_tui.services.organisation`).

Changes are the coordinator's (exit 2 for another role, a bad date or field); every role
lists.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from counselor_tui.commands import common
from counselor_tui.domain import organisation as rules
from counselor_tui.domain.date_input import DateParseError, make_date
from counselor_tui.domain.periods import parse_period
from counselor_tui.domain.text_rules import escape_for_terminal as shown
from counselor_tui.i18n import _
from counselor_tui.services import lifecycle, organisation
from counselor_tui.services.context import VaultSession
from counselor_tui.services.organisation import CadreDraft, MemberDraft


def register(sub: Any) -> None:
    """Add ``org …`` to the sub-parser collection ``sub``."""
    p = sub.add_parser("org", help=_("the protection committee, its office and the units' "
                                      "counselors"))
    org = p.add_subparsers(dest="org_command", metavar="ACTION", required=True)

    org.add_parser("list", help=_("list the committee and office members")).set_defaults(
        handler=cmd_list)

    a = org.add_parser("add", help=_("add a committee or office member"))
    a.add_argument("post", type=_post_type(rules.POSTS), metavar=_("POST"),
                   help=_post_help(rules.POSTS))
    _member_options(a)
    a.set_defaults(handler=cmd_add)

    c = org.add_parser("change", help=_("change a member's post, name, position or term"))
    c.add_argument("id", type=int, help=_("member number (see org list)"))
    c.add_argument("--post", type=_post_type(rules.POSTS), metavar=_("POST"),
                   help=_post_help(rules.POSTS))
    _member_options(c, required=False)
    c.set_defaults(handler=cmd_change)

    e = org.add_parser("end", help=_("end a member's term"))
    e.add_argument("id", type=int, help=_("member number (see org list)"))
    e.add_argument("--on", required=True, metavar="YYYY-MM-DD", help=_("last day of the term"))
    e.set_defaults(handler=cmd_end)

    v = org.add_parser("void", help=_("void a member record entered by mistake"))
    v.add_argument("id", type=int, help=_("member number (see org list)"))
    v.add_argument("--reason", required=True, help=_("what was wrong with the record"))
    v.set_defaults(handler=cmd_void)

    org.add_parser("units", help=_("each unit's designated counselors (rule: one to three)")
                   ).set_defaults(handler=cmd_units)

    t = org.add_parser("cadre-add", help=_("record a political instructor or political-work "
                                           "cadre trained"))
    t.add_argument("name", help=_("name of the person trained"))
    t.add_argument("--post", required=True, type=_post_type(rules.CADRE_POSTS),
                   metavar=_("POST"), help=_post_help(rules.CADRE_POSTS))
    t.add_argument("--date", required=True, metavar="YYYY-MM-DD", help=_("date of the training"))
    t.add_argument("--title", required=True, help=_("title of the training"))
    t.add_argument("--hours", required=True, type=float, help=_("hours"))
    t.add_argument("--unit", metavar="CODE", help=_("unit code"))
    t.set_defaults(handler=cmd_cadre_add)

    tl = org.add_parser("cadre-list", help=_("list the cadres trained"))
    tl.add_argument("--period", metavar="YYYY-MM|YYYY-Qn|YYYY", help=_("only this period"))
    tl.set_defaults(handler=cmd_cadre_list)

    tv = org.add_parser("cadre-void", help=_("void a cadre training entered by mistake"))
    tv.add_argument("id", type=int, help=_("record number (see org cadre-list)"))
    tv.add_argument("--reason", required=True, help=_("what was wrong with the record"))
    tv.set_defaults(handler=cmd_cadre_void)


def _post_type(posts: Mapping[str, str]) -> Callable[[str], str]:
    """An argparse ``type`` taking a post by its name in either language (委员, committee
    member) or its code (member): the code; a clear refusal listing the names otherwise."""

    def post(text: str) -> str:
        wanted = text.strip()
        for code, msgid in posts.items():
            if wanted.casefold() in (code, msgid.casefold(), _(msgid).casefold()):
                return code
        raise argparse.ArgumentTypeError(_("no post '{text}': write one of {names}").format(
            text=shown(text), names=_names(posts)))

    return post


def _names(posts: Mapping[str, str]) -> str:
    return _("、").join(_(msgid) for msgid in posts.values())


def _post_help(posts: Mapping[str, str]) -> str:
    return _("post: {names}").format(names=_names(posts))


def _member_options(p: Any, *, required: bool = True) -> None:
    who = p.add_mutually_exclusive_group(required=required)
    who.add_argument("--user", dest="member_user", metavar="NAME",
                     help=_("the member's account"))
    who.add_argument("--name", metavar="NAME", help=_("the member's name (no account)"))
    p.add_argument("--job", help=_("position in the bureau (e.g. 局长)"))
    p.add_argument("--from", dest="starts_on", required=required, metavar="YYYY-MM-DD",
                   help=_("first day of the term"))
    p.add_argument("--to", dest="ends_on", metavar="YYYY-MM-DD",
                   help=_("last day of the term ('' : still serving)"))
    p.add_argument("--counselor", action="store_true",
                   help=_("one of the bureau's part-time counselors"))


def _date(text: str) -> date:
    """``text`` as a date (YYYY-MM-DD); a day that does not exist (2026-02-30) is said so."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        pass
    shape = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text.strip())
    if shape:
        try:
            year, month, day = (int(g) for g in shape.groups())
            return make_date(year, month, day, text)
        except DateParseError as exc:
            raise common.CommandError(str(exc)) from None
    raise common.CommandError(
        _("Write the date as YYYY-MM-DD, not '{text}'.").format(text=shown(text))) from None


def _post(code: str) -> str:
    return _(rules.POSTS[code]) if code in rules.POSTS else code


def _draft(vs: VaultSession, args: argparse.Namespace, base: MemberDraft | None) -> MemberDraft:
    draft = base or MemberDraft(args.post, _date(args.starts_on))
    if getattr(args, "post", None):
        draft = replace(draft, post=args.post)
    if args.member_user:
        draft = replace(draft, user_id=organisation.account_id(vs, args.member_user), name="")
    elif args.name is not None:
        draft = replace(draft, user_id=None, name=args.name)
    if args.job is not None:
        draft = replace(draft, job=args.job)
    if args.starts_on:
        draft = replace(draft, starts_on=_date(args.starts_on))
    if args.ends_on is not None:  # --to '': the term is open again (still serving)
        draft = replace(draft, ends_on=_date(args.ends_on) if args.ends_on.strip() else None)
    if args.counselor:
        draft = replace(draft, counselor=True)
    return draft


def _member(vs: VaultSession, member_id: int) -> organisation.MemberRow:
    for row in organisation.list_members(vs):
        if row.id == member_id:
            return row
    raise common.CommandError(_("No member number {id} (see org list).").format(id=member_id),
                              exit_code=1)


def _line(m: organisation.MemberRow) -> str:
    term = f"{m.starts_on} – {m.ends_on or _('now')}"
    marks = " ".join(x for x in (_("counselor") if m.counselor else "",
                                 "" if m.serving else _("(not serving)"),
                                 "" if m.account_active else _("(account disabled)")) if x)
    return "\t".join((str(m.id), _(rules.BODIES[m.body]), _post(m.post), shown(m.name),
                      shown(m.job) or "-", term, marks or "-"))


def cmd_list(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        rows = organisation.list_members(vs)
    finally:
        lifecycle.lock(vs, "quit")
    print("\t".join((_("No."), _("Body"), _("Post"), _("Name"), _("Position"), _("Term"),
                     _("Notes"))))
    for m in rows:
        print(_line(m))
    if not rows:
        print(_("No members recorded yet: add them with 'counselor-tui org add'."))
    missing = organisation.director_missing(rows)
    if missing is not None:
        print(_("Warning: {what}").format(what=missing))
    return 0


def _write(args: argparse.Namespace, action: str) -> int:
    vs = common.unlock(args)
    try:
        if action == "add":
            row = organisation.add_member(vs, _draft(vs, args, None))
            print(_("Member {id} recorded: {post} {name}.").format(
                id=row.id, post=_post(row.post), name=shown(row.name)))
        elif action == "change":
            current = _member(vs, args.id)
            draft = _draft(vs, args, current.draft())
            if draft == current.draft():
                print(_("Nothing to change: member {id} already reads so.").format(
                    id=current.id))
                return 0
            row = organisation.change_member(vs, args.id, draft)
            print(_("Member {id} changed.").format(id=row.id))
        elif action == "end":
            current = _member(vs, args.id)
            row = organisation.change_member(vs, args.id, replace(
                current.draft(), ends_on=_date(args.on)))
            print(_("The term of member {id} ends on {day}.").format(id=row.id,
                                                                     day=row.ends_on))
        else:
            organisation.void_member(vs, args.id, args.reason)
            print(_("Member record {id} voided.").format(id=args.id))
    finally:
        lifecycle.lock(vs, "quit")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    return _write(args, "add")


def cmd_change(args: argparse.Namespace) -> int:
    return _write(args, "change")


def cmd_end(args: argparse.Namespace) -> int:
    return _write(args, "end")


def cmd_void(args: argparse.Namespace) -> int:
    return _write(args, "void")


def cmd_units(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        rows = organisation.unit_coverage(vs)
    finally:
        lifecycle.lock(vs, "quit")
    print("\t".join((_("Unit code"), _("Unit"), _("Designated counselors"), _("Names"),
                     _("Rule"))))
    for u in rows:
        verdict = (_("none: name one") if u.count == 0 else _("more than three")
                   if u.outside_rule else _("ok"))
        print("\t".join((shown(u.code), shown(u.name), str(u.count),
                         "、".join(shown(c) for c in u.counselors) or "-",
                         verdict)))
    outside = [u for u in rows if u.outside_rule]
    print(_("{n} of {total} units outside the rule of one to three counselors.").format(
        n=len(outside), total=len(rows)))
    return 0


def cmd_cadre_add(args: argparse.Namespace) -> int:
    day = _date(args.date)
    vs = common.unlock(args)
    try:
        unit = organisation.unit_id(vs, args.unit) if args.unit else None
        row = organisation.add_cadre_training(vs, CadreDraft(
            args.name, args.post, day, args.title, args.hours, unit))
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Training record {id} added: {post} {name}, {day}.").format(
        id=row.id, post=_(rules.CADRE_POSTS[row.post]), name=shown(row.name), day=row.on_date))
    return 0


def cmd_cadre_list(args: argparse.Namespace) -> int:
    start = end = None
    if args.period:
        try:
            period = parse_period(args.period)
        except ValueError as exc:  # PeriodParseError: a translated message saying what to do
            raise common.CommandError(str(exc)) from None
        start, end = period.start, period.end
    vs = common.unlock(args)
    try:
        rows = organisation.list_cadre_trainings(vs, start, end)
    finally:
        lifecycle.lock(vs, "quit")
    print("\t".join((_("No."), _("Date"), _("Post"), _("Name"), _("Unit"), _("Training"),
                     _("Hours"))))
    for r in rows:
        print("\t".join((str(r.id), r.on_date, _(rules.CADRE_POSTS.get(r.post, r.post)),
                         shown(r.name), shown(r.unit_name) or "-", shown(r.title),
                         f"{r.hours:g}")))
    people = {(r.name, r.post, r.unit_id) for r in rows}
    print(_("{n} trained ({records} records).").format(n=len(people), records=len(rows)))
    return 0


def cmd_cadre_void(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        organisation.void_cadre_training(vs, args.id, args.reason)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Training record {id} voided.").format(id=args.id))
    return 0
