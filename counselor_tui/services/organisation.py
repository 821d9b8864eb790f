"""The programme's organisation as records (issue 16 item 1; rules in
:mod:`counselor_tui.domain.organisation`).

* Committee and office members (:func:`add_member`, :func:`change_member`,
  :func:`void_member`, :func:`list_members`): a post, an account or a named person, a term,
  and whether they are one of the bureau's part-time counselors (always so for a counselor or
  coordinator account).
* Each unit's designated counselors (:func:`unit_coverage`): the active counselor accounts
  of the unit (DESIGN §2: a counselor is an account, and an account names its unit); units
  with none or more than three break the 1–3 rule and are listed on the dashboard, the team
  screen and in the submission's section 6.
* 教导员 and 政工干部 trained (:func:`add_cadre_training`, :func:`void_cadre_training`,
  :func:`list_cadre_trainings`): one record per cadre and training.

Roles (``manage_organisation`` of :data:`counselor_tui.domain.permissions.RULES`): the
coordinator (the programme office) changes all of it; every role reads it (no clinical data).
Every change is audited (``create`` / ``update`` / ``void`` of ``org_member`` or
``cadre_training``, detail: the post, the term, old → new of each changed field; never a
name: the audit viewer reads it from the record).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from counselor_tui.domain import organisation as rules
from counselor_tui.domain.permissions import Action
from counselor_tui.domain.pinyin import name_keys
from counselor_tui.domain.roles import Role
from counselor_tui.domain.text_rules import check_display_text, escape_for_terminal
from counselor_tui.i18n import _
from counselor_tui.services import audit
from counselor_tui.services.activities import TEAM_ROLES
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard_items import DashboardItem, DashboardSection
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound
from db.models_org import CadreTraining, OrgMember

MAX_NAME = 40
MAX_TEXT = 100
MAX_REASON = 2000


def clean_text(text: str) -> str:
    """``text`` with runs of white space made one space, trimmed (no other change: full-width
    brackets in a title stay as typed)."""
    return " ".join(text.split())


def text_problem(text: str, field: str) -> str | None:
    """Why ``text`` (already :func:`clean_text`-ed; ``field``: its translated name) cannot be
    shown, or ``None``: control, bidi, zero-width and other format characters are refused
    (:func:`counselor_tui.domain.text_rules.check_display_text`), and a non-empty text needs
    at least one visible character (a letter, digit, mark of punctuation or symbol)."""
    try:
        check_display_text(text, field)
    except ValueError as exc:
        return str(exc)
    if text and not any(unicodedata.category(ch)[0] in "LNPS" for ch in text):
        return _("{field}: write at least one visible character.").format(field=field)
    return None

# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class MemberDraft:
    """A member as typed: ``post`` (a code of :data:`rules.POSTS`), ``user_id`` (an
    account) or ``name`` (someone without one; exactly one of the two), ``job`` (their
    position in the bureau, may be empty), the term ``starts_on``..``ends_on`` (``None``:
    serving) and ``counselor`` (one of the bureau's part-time counselors)."""

    post: str
    starts_on: date
    user_id: int | None = None
    name: str = ""
    job: str = ""
    ends_on: date | None = None
    counselor: bool = False


@dataclass(frozen=True)
class MemberRow:
    """A stored member: the draft's fields, the shown ``name`` (the account's display name
    for an account), ``username`` (``""`` without an account), ``body`` (``committee`` /
    ``office``) and ``serving`` (the term includes today)."""

    id: int
    post: str
    body: str
    name: str
    username: str
    user_id: int | None
    job: str
    starts_on: str
    ends_on: str | None
    counselor: bool
    serving: bool
    #: False when the member's account has been disabled since (the link is kept).
    account_active: bool = True

    def draft(self) -> MemberDraft:
        """The member as a draft (to change it)."""
        return MemberDraft(self.post, date.fromisoformat(self.starts_on), self.user_id,
                           "" if self.user_id is not None else self.name, self.job,
                           None if self.ends_on is None else date.fromisoformat(self.ends_on),
                           self.counselor)


@dataclass(frozen=True)
class UnitCoverage:
    """One active unit and its designated counselors (display names of its active counselor
    accounts); ``outside_rule``: none, or more than three."""

    unit_id: int
    code: str
    name: str
    counselors: tuple[str, ...]
    outside_rule: bool

    @property
    def count(self) -> int:
        """How many designated counselors the unit has."""
        return len(self.counselors)


@dataclass(frozen=True)
class CadreDraft:
    """A cadre trained: ``name``, ``post`` (``instructor`` 教导员 / ``political`` 政工干部),
    ``unit_id`` (may be ``None``: the bureau level), ``on_date`` (not after today),
    ``title`` of the training, ``hours`` (more than 0, at most 24)."""

    name: str
    post: str
    on_date: date
    title: str
    hours: float
    unit_id: int | None = None


@dataclass(frozen=True)
class CadreRow:
    """A stored cadre training, with the unit's name (``""`` for none)."""

    id: int
    name: str
    post: str
    unit_id: int | None
    unit_name: str
    on_date: str
    title: str
    hours: float


class OrgInvalid(InvalidInput):
    """A draft failed validation; ``errors`` maps field → translated message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


# --------------------------------------------------------------------------- members


def validate_member(draft: MemberDraft) -> dict[str, str]:
    """Field → message for each problem of ``draft`` (``{}`` when valid): a known post;
    an account or a name (1–40 characters), not both; a job of at most 100 characters; the
    term's end not before its start; names and job shown safely (:func:`text_problem`). Pure
    (accounts and overlapping terms: on save)."""
    errors: dict[str, str] = {}
    if draft.post not in rules.POSTS:
        errors["post"] = _("Choose a post.")
    name = clean_text(draft.name)
    if draft.user_id is None and not name:
        errors["name"] = _("Choose an account or write the member's name.")
    elif draft.user_id is not None and name:
        errors["name"] = _("Give an account or a name, not both.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("The name is too long (at most {n} characters).").format(n=MAX_NAME)
    elif (problem := text_problem(name, _("Name"))) is not None:
        errors["name"] = problem
    job = clean_text(draft.job)
    if len(job) > MAX_TEXT:
        errors["job"] = _("The position is too long (at most {n} characters).").format(
            n=MAX_TEXT)
    elif (problem := text_problem(job, _("Position"))) is not None:
        errors["job"] = problem
    if draft.ends_on is not None and draft.ends_on < draft.starts_on:
        errors["ends_on"] = _("The term ends before it starts.")
    return errors


def _account(vs: VaultSession, user_id: int) -> tuple[str, bool]:
    """The account's role and whether it is active; :class:`OrgInvalid` when unknown."""
    row = vs.execute('SELECT role, active FROM "user" WHERE id = ?', (user_id,)).fetchone()
    if row is None:
        raise OrgInvalid({"user_id": _("Unknown account.")})
    return str(row[0]), bool(row[1])


def _check_single_post(vs: VaultSession, draft: MemberDraft, exclude: int | None) -> None:
    if draft.post not in rules.SINGLE_POSTS:
        return
    for other in OrgMember.select().where(OrgMember.post == draft.post,
                                          OrgMember.voided_at.is_null(True)):
        if other.id == exclude:
            continue
        theirs = (date.fromisoformat(other.starts_on),
                  None if other.ends_on is None else date.fromisoformat(other.ends_on))
        if rules.terms_overlap((draft.starts_on, draft.ends_on), theirs):
            holder = other.name
            if other.user_id is not None:
                row = vs.execute('SELECT display_name, username FROM "user" WHERE id = ?',
                                 (other.user_id,)).fetchone()
                holder = str(row[0] or row[1]) if row is not None else ""
            post = _(rules.POSTS[draft.post])
            if other.ends_on is None:
                raise Conflict(_(
                    "The post {post} is held by {holder} from {start}, still serving (one "
                    "holder at a time): end that term first (org end, or e on the "
                    "organisation screen), then start this one after it.").format(
                    post=post, holder=holder, start=other.starts_on))
            raise Conflict(_(
                "The post {post} was held by {holder} from {start} to {end}, which overlaps "
                "this term (one holder at a time): start this term after {end}, or correct "
                "the dates of either term.").format(post=post, holder=holder,
                                                    start=other.starts_on, end=other.ends_on))


def _columns(vs: VaultSession, draft: MemberDraft, exclude: int | None,
             linked: int | None = None) -> dict[str, Any]:
    """The columns of ``draft`` once valid. An account disabled since it was linked
    (``linked``: the member's stored account) stays linked: only a *new* link must be to an
    active account."""
    errors = validate_member(draft)
    if errors:
        raise OrgInvalid(errors)
    counselor = draft.counselor
    if draft.user_id is not None:
        role, active = _account(vs, draft.user_id)
        if not active and draft.user_id != linked:
            raise OrgInvalid({"user_id": _(
                "This account is disabled: choose an active account, or write the "
                "member's name instead.")})
        counselor = counselor or role in TEAM_ROLES
    _check_single_post(vs, draft, exclude)
    return {"post": draft.post, "user": draft.user_id, "name": clean_text(draft.name),
            "job": clean_text(draft.job), "starts_on": draft.starts_on.isoformat(),
            "ends_on": None if draft.ends_on is None else draft.ends_on.isoformat(),
            "counselor": counselor}


def add_member(vs: VaultSession, draft: MemberDraft) -> MemberRow:
    """Record a member of the committee or its office (coordinator). Audited ``create
    org_member`` (post, account id). Raises :class:`PermissionDenied`,
    :class:`OrgInvalid`, :class:`Conflict` (a one-holder post already held in the term)."""
    vs.require_to(Action.MANAGE_ORGANISATION)
    now = vs.now_iso()
    with vs.transaction():
        columns = _columns(vs, draft, None)
        row = OrgMember.create(**columns, created_at=now, created_by=vs.actor.id,
                               updated_at=now, updated_by=vs.actor.id)
        audit.record(vs, "create", "org_member", row.id, _created_detail(vs, columns))
        return _member_rows(vs, int(row.id))[0]


def change_member(vs: VaultSession, member_id: int, draft: MemberDraft) -> MemberRow:
    """Change a member (coordinator): post, person, job, term (ending a term is a change of
    ``ends_on``), counselor flag. Audited ``update org_member`` naming the changed fields
    (nothing is written when none changed). Raises :class:`NotFound`, :class:`Conflict` (a
    voided member, a one-holder post), :class:`OrgInvalid`, :class:`PermissionDenied`."""
    vs.require_to(Action.MANAGE_ORGANISATION)
    with vs.transaction():
        row = _live_member(member_id)
        columns = _columns(vs, draft, member_id, row.user_id)
        current = {"post": row.post, "user": row.user_id, "name": row.name, "job": row.job,
                   "starts_on": row.starts_on, "ends_on": row.ends_on,
                   "counselor": bool(row.counselor)}
        changed = [k for k in columns if columns[k] != current[k]]
        if changed:
            OrgMember.update(**columns, updated_at=vs.now_iso(), updated_by=vs.actor.id).where(
                OrgMember.id == member_id).execute()
            audit.record(vs, "update", "org_member", member_id,
                         _changed_detail(vs, current, columns, changed))
        return _member_rows(vs, member_id)[0]


def _username(vs: VaultSession, user_id: Any) -> str:
    if user_id is None:
        return ""
    row = vs.execute('SELECT username FROM "user" WHERE id = ?', (user_id,)).fetchone()
    return "" if row is None else str(row[0])


def _created_detail(vs: VaultSession, columns: dict[str, Any]) -> dict[str, Any]:
    """What the audit records of a new member: post, account (username; none for a named
    person), term, counselor flag. Never the name (DESIGN §5: the audit viewer reads it from
    the record, :mod:`counselor_tui.services.audit_view`)."""
    detail: dict[str, Any] = {"post": columns["post"]}
    if columns["user"] is not None:
        detail["account"] = _username(vs, columns["user"])
    detail["starts_on"] = columns["starts_on"]
    if columns["ends_on"] is not None:
        detail["ends_on"] = columns["ends_on"]
    detail["counselor"] = columns["counselor"]
    return detail


def _changed_detail(vs: VaultSession, current: dict[str, Any], columns: dict[str, Any],
                    changed: list[str]) -> dict[str, Any]:
    """What the audit records of a change: the post (after it) and ``changes``, field →
    ``[old, new]`` (accounts as usernames, an open term end as ``None``); a changed name
    only as ``name_changed`` (no names in the audit, DESIGN §5)."""
    changes: dict[str, list[Any]] = {}
    for key in changed:
        if key == "name":
            continue
        if key == "user":
            changes["account"] = [_username(vs, current[key]), _username(vs, columns[key])]
        else:
            changes[key] = [current[key], columns[key]]
    detail: dict[str, Any] = {"post": columns["post"]}
    if changes:
        detail["changes"] = changes
    if "name" in changed:
        detail["name_changed"] = True
    return detail


def _live_member(member_id: int) -> OrgMember:
    row = OrgMember.get_or_none(OrgMember.id == member_id)
    if row is None:
        raise NotFound(_("No such member."))
    if row.voided_at is not None:
        raise Conflict(_("This member record was voided; it cannot be changed."))
    return row


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput(_("Give the reason (what was wrong with the record)."))
    if len(text) > MAX_REASON:
        raise InvalidInput(_("The reason is too long (at most {n} characters).").format(
            n=MAX_REASON))
    if (problem := text_problem(" ".join(text.split()), _("Reason"))) is not None:
        raise InvalidInput(problem)
    return text


def void_member(vs: VaultSession, member_id: int, reason: str) -> None:
    """Void a member record entered by mistake (coordinator; a member who left has their
    term ended instead). Audited ``void org_member`` (the post; never the reason).
    Raises :class:`InvalidInput` (no reason), :class:`NotFound`, :class:`Conflict`."""
    vs.require_to(Action.MANAGE_ORGANISATION)
    text = _reason(reason)
    with vs.transaction():
        row = _live_member(member_id)
        OrgMember.update(voided_at=vs.now_iso(), voided_by=vs.actor.id, void_reason=text,
                         updated_at=vs.now_iso(), updated_by=vs.actor.id).where(
            OrgMember.id == member_id).execute()
        audit.record(vs, "void", "org_member", member_id, {"post": row.post})


def _member_rows(vs: VaultSession, member_id: int | None = None, *,
                 serving_on: date | None = None) -> list[MemberRow]:
    today = vs.today()
    where = "m.voided_at IS NULL" + (" AND m.id = ?" if member_id is not None else "")
    params: tuple[Any, ...] = (member_id,) if member_id is not None else ()
    out = []
    for (mid, post, name, job, start, end, counselor, uid, username,
         display, active) in vs.execute(
            "SELECT m.id, m.post, m.name, m.job, m.starts_on, m.ends_on, m.counselor, "
            'm.user_id, u.username, u.display_name, u.active FROM org_member m '
            'LEFT JOIN "user" u '
            f"ON u.id = m.user_id WHERE {where} ORDER BY m.starts_on, m.id", params):
        term = (date.fromisoformat(start), None if end is None else date.fromisoformat(end))
        if serving_on is not None and not rules.in_term(*term, serving_on):
            continue
        shown = str(display or username) if uid is not None else str(name)
        out.append(MemberRow(int(mid), str(post), rules.body_of(str(post)), shown,
                             str(username or ""), None if uid is None else int(uid),
                             str(job), str(start), end, bool(counselor),
                             rules.in_term(*term, today), uid is None or bool(active)))
    if serving_on is None:
        out.sort(key=lambda m: (not m.serving, rules.post_order(m.post), m.starts_on, m.id))
    else:  # all serving on that day
        out.sort(key=lambda m: (rules.post_order(m.post), m.starts_on, m.id))
    return out


def list_members(vs: VaultSession, *, serving_on: date | None = None) -> list[MemberRow]:
    """Every (non-voided) member: serving ones first, by post (:data:`rules.POSTS` order),
    then by term start; with ``serving_on`` only those whose term includes that day. Every
    role may read it."""
    with vs.reading():
        return _member_rows(vs, serving_on=serving_on)


def director_missing(members: list[MemberRow]) -> str | None:
    """The warning when no member of ``members`` (:func:`list_members`) is the committee's
    主任 serving today (the regulation's 三(一): the committee has a director), else
    ``None``."""
    if any(m.serving and m.post == "director" for m in members):
        return None
    return _("The committee has no serving director: record one (post {post}).").format(
        post=_(rules.POSTS["director"]))


# --------------------------------------------------------------------------- units


def unit_coverage(vs: VaultSession) -> list[UnitCoverage]:
    """Each active unit (by code) with its designated counselors: the active accounts of
    role counselor whose unit it is, in the name order (pinyin syllables). Every role may
    read it."""
    with vs.reading():
        names: dict[int, list[str]] = {}
        for unit_id, display, username in vs.execute(
                'SELECT unit_id, display_name, username FROM "user" WHERE role = ? '
                "AND active = 1 AND unit_id IS NOT NULL ORDER BY username", ("counselor",)):
            names.setdefault(int(unit_id), []).append(str(display or username))
        for listed in names.values():  # the name order (pinyin syllables)
            listed.sort(key=lambda name: name_keys(name).sort)
        return [UnitCoverage(int(i), str(c), str(n), tuple(names.get(int(i), ())),
                             rules.outside_rule(len(names.get(int(i), ()))))
                for i, c, n in vs.execute(
                    "SELECT id, code, name FROM unit WHERE active = 1 ORDER BY code")]


def units_outside_rule(vs: VaultSession) -> list[UnitCoverage]:
    """The units of :func:`unit_coverage` with no designated counselor or more than three."""
    return [u for u in unit_coverage(vs) if u.outside_rule]


# --------------------------------------------------------------------------- cadres


def validate_cadre(draft: CadreDraft, today: date) -> dict[str, str]:
    """Field → message for each problem of ``draft``: a name (1–40 characters), a post of
    :data:`rules.CADRE_POSTS`, a date not after ``today``, a title (1–100 characters),
    hours more than 0 and at most 24; name and title shown safely (:func:`text_problem`).
    Pure."""
    errors: dict[str, str] = {}
    name = clean_text(draft.name)
    if not name:
        errors["name"] = _("Write the name of the person trained.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("The name is too long (at most {n} characters).").format(n=MAX_NAME)
    elif (problem := text_problem(name, _("Name"))) is not None:
        errors["name"] = problem
    if draft.post not in rules.CADRE_POSTS:
        errors["post"] = _("Choose political instructor or political-work cadre.")
    if draft.on_date > today:
        errors["on_date"] = _("The date cannot be after today ({today}).").format(
            today=today.isoformat())
    title = clean_text(draft.title)
    if not title:
        errors["title"] = _("Give the training a title.")
    elif len(title) > MAX_TEXT:
        errors["title"] = _("The title is too long (at most {n} characters).").format(
            n=MAX_TEXT)
    elif (problem := text_problem(title, _("Training"))) is not None:
        errors["title"] = problem
    hours = draft.hours
    if (isinstance(hours, bool) or not isinstance(hours, (int, float))
            or not math.isfinite(hours) or not 0 < hours <= 24):
        errors["hours"] = _("Hours: more than 0 and at most 24 (one day).")
    return errors


def add_cadre_training(vs: VaultSession, draft: CadreDraft) -> CadreRow:
    """Record one 教导员 or 政工干部 trained (coordinator). Audited ``create
    cadre_training`` (post, unit id). Raises :class:`PermissionDenied`,
    :class:`OrgInvalid` (fields, an unknown unit)."""
    vs.require_to(Action.MANAGE_ORGANISATION)
    errors = validate_cadre(draft, vs.today())
    if errors:
        raise OrgInvalid(errors)
    now = vs.now_iso()
    with vs.transaction():
        if draft.unit_id is not None and vs.execute(
                "SELECT 1 FROM unit WHERE id = ?", (draft.unit_id,)).fetchone() is None:
            raise OrgInvalid({"unit_id": _("Unknown unit.")})
        row = CadreTraining.create(
            name=clean_text(draft.name), post=draft.post, unit=draft.unit_id,
            on_date=draft.on_date.isoformat(), title=clean_text(draft.title),
            hours=float(draft.hours), created_at=now, created_by=vs.actor.id,
            updated_at=now, updated_by=vs.actor.id)
        audit.record(vs, "create", "cadre_training", row.id,
                     {"post": draft.post, "unit_id": draft.unit_id,
                      "on_date": draft.on_date.isoformat(), "hours": float(draft.hours)})
        return _cadre_rows(vs, int(row.id))[0]


def void_cadre_training(vs: VaultSession, record_id: int, reason: str) -> None:
    """Void a cadre training entered by mistake (coordinator): it leaves every figure.
    Audited ``void cadre_training``. Raises :class:`InvalidInput` (no reason),
    :class:`NotFound`, :class:`Conflict` (already voided)."""
    vs.require_to(Action.MANAGE_ORGANISATION)
    text = _reason(reason)
    with vs.transaction():
        row = CadreTraining.get_or_none(CadreTraining.id == record_id)
        if row is None:
            raise NotFound(_("No such training record."))
        if row.voided_at is not None:
            raise Conflict(_("This record was already voided."))
        CadreTraining.update(voided_at=vs.now_iso(), voided_by=vs.actor.id, void_reason=text,
                             updated_at=vs.now_iso(), updated_by=vs.actor.id).where(
            CadreTraining.id == record_id).execute()
        audit.record(vs, "void", "cadre_training", record_id, {"post": row.post})


def _cadre_rows(vs: VaultSession, record_id: int | None = None, start: date | None = None,
                end: date | None = None) -> list[CadreRow]:
    conds: list[str] = ["c.voided_at IS NULL"]
    params: list[Any] = []
    if record_id is not None:
        conds.append("c.id = ?")
        params.append(record_id)
    if start is not None:
        conds.append("c.on_date >= ?")
        params.append(start.isoformat())
    if end is not None:
        conds.append("c.on_date < ?")
        params.append(end.isoformat())
    return [CadreRow(int(i), str(n), str(p), None if u is None else int(u), str(un or ""),
                     str(d), str(t), float(h))
            for i, n, p, u, un, d, t, h in vs.execute(
                "SELECT c.id, c.name, c.post, c.unit_id, u.name, c.on_date, c.title, c.hours "
                "FROM cadre_training c LEFT JOIN unit u ON u.id = c.unit_id "
                f"WHERE {' AND '.join(conds)} ORDER BY c.on_date DESC, c.id DESC",
                tuple(params))]


def list_cadre_trainings(vs: VaultSession, start: date | None = None,
                         end: date | None = None) -> list[CadreRow]:
    """Non-voided cadre trainings, newest first; with ``start``/``end`` those dated in
    ``[start, end)``. Every role may read them."""
    with vs.reading():
        return _cadre_rows(vs, None, start, end)


# --------------------------------------------------------------------------- look-ups


def account_id(vs: VaultSession, username: str) -> int:
    """The id of the account ``username`` (command line); :class:`OrgInvalid` when none."""
    with vs.reading():
        row = vs.execute('SELECT id FROM "user" WHERE username = ?', (username,)).fetchone()
    if row is None:
        raise OrgInvalid({"user_id": _("No account named {user}.").format(
            user=escape_for_terminal(username))})
    return int(row[0])


def unit_id(vs: VaultSession, code: str) -> int:
    """The id of the unit with ``code`` (command line); :class:`OrgInvalid` when none."""
    with vs.reading():
        row = vs.execute("SELECT id FROM unit WHERE code = ?", (code.strip(),)).fetchone()
    if row is None:
        raise OrgInvalid({"unit_id": _("No unit with code {code}.").format(
            code=escape_for_terminal(code))})
    return int(row[0])


# --------------------------------------------------------------------------- dashboard


def dashboard_section(vs: VaultSession) -> DashboardSection | None:
    """"Units outside the 1–3 counselor rule" (warning; one line per unit, opening the
    organisation screen) for the office and the admin, who name counselors; ``None`` when
    every unit keeps the rule or for other roles."""
    if vs.actor.role not in (Role.COORDINATOR, Role.ADMIN):
        return None
    outside = units_outside_rule(vs)
    if not outside:
        return None
    items = tuple(DashboardItem(
        _("{unit}: no designated counselor").format(unit=u.name) if u.count == 0
        else _("{unit}: {n} designated counselors (at most three)").format(unit=u.name,
                                                                          n=u.count),
        level="warning", ref=f"organisation:{u.code}") for u in outside)
    return DashboardSection("unit_counselors", _("Units outside the one-to-three counselor "
                                                 "rule"), items,
                            summary=_("{n} units").format(n=len(outside)), level="warning")
