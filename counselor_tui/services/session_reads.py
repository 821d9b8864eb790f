"""Reading counseling sessions 咨询记录: the session list of a person, one session, note
search, follow-ups and the dashboard's follow-up block. Who reads what is the "Reading" and
"Follow-up lists" rules of :mod:`counselor_tui.services.sessions`; writing (log, edit,
addenda) is there too.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from counselor_tui.domain import vocab
from counselor_tui.domain.dates import from_storage, relative_hint
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import audit
from counselor_tui.services import sealed as sealed_notes
from counselor_tui.services.access import can_see_person, require_archive_reader, visibility_sql
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard_items import DashboardItem, DashboardSection
from counselor_tui.services.errors import NotFound, PermissionDenied
from db.models import CounselingSession, Setting

DEFAULT_LOCK_DAYS = 7


def lock_days(vs: VaultSession) -> int:
    """The edit window in days (setting ``session_lock_days``, default 7)."""
    row = Setting.get_or_none(Setting.key == "session_lock_days")
    try:
        return int(row.value) if row is not None else DEFAULT_LOCK_DAYS
    except (TypeError, ValueError):
        return DEFAULT_LOCK_DAYS


def is_locked(vs: VaultSession, created_at: str, locked_at: str | None, days: int) -> bool:
    """True once a session recorded at ``created_at`` is past its ``days`` edit window."""
    return locked_at is not None or from_storage(created_at) + timedelta(days=days) <= vs.now()


def may_edit(vs: VaultSession, counselor_id: int) -> bool:
    """True when the actor may change a session written by ``counselor_id``."""
    return vs.actor.role == Role.COORDINATOR or (
        vs.actor.role == Role.COUNSELOR and counselor_id == vs.actor.id)


def reads_text(vs: VaultSession, counselor_id: int, sealed: bool) -> bool:
    """True when the actor may read the free text of a session by ``counselor_id``."""
    if vs.actor.role == Role.COORDINATOR:
        return True
    if vs.actor.role == Role.COUNSELOR:
        return counselor_id == vs.actor.id or not sealed
    return False


#: Days ahead that the dashboard lists upcoming follow-ups for.
UPCOMING_DAYS = 7


@dataclass(frozen=True)
class SessionSummary:
    """A session as listed and shown. ``started_at`` in storage form (ISO with offset);
    ``counselor`` is the author's display name; ``note``/``intervention``/``addenda`` are
    empty and ``note_hidden`` True when the actor may not read them; ``locked`` once the
    edit window is over; ``editable`` when this actor may still change it."""


    id: int
    person_id: int | None
    person_name: str | None
    started_at: str
    channel: str
    kind: str
    topics: tuple[str, ...]
    duration_min: int
    risk: str
    follow_up_on: str | None
    sealed: bool
    locked: bool
    counselor: str
    note: str
    addenda: tuple[str, ...]
    note_hidden: bool = False
    intervention: str = ""
    referral: str = "none"
    incident_id: int | None = None
    caller_label: str | None = None
    counselor_id: int = 0
    follow_up_closed_at: str | None = None
    editable: bool = False
    #: When the row was last changed (storage form).
    updated_at: str = ""
    #: The row's edit version (1, one more per change): what an edit form started from
    #: (the optimistic check of :func:`~counselor_tui.services.sessions.update_session`).
    version: int = 0
    #: An anonymous caller's category (``vocab.CALLER_KINDS``; ``unknown`` for an anonymous
    #: session recorded before categories); None for a session with a person.
    caller_kind: str | None = None
    #: Display names of the co-counselors besides the author (issue 15 item 6).
    co_counselors: tuple[str, ...] = ()
    #: Their user ids, same order.
    co_counselor_ids: tuple[int, ...] = ()
    #: Who wrote each of ``addenda`` and when: ``(display name, storage time)``, same order.
    addenda_by: tuple[tuple[str, str], ...] = ()


def change_refusal(vs: VaultSession, s: SessionSummary) -> str | None:
    """Why the actor may not correct session ``s`` (translated), or None when they may
    (``s.editable``). The rules (DESIGN §4; :func:`may_edit`, :func:`is_locked`): only the
    author, or a coordinator, corrects a session, and only within the edit window
    (``session_lock_days``); after it the author or a coordinator adds an addendum; another
    counselor does neither. A colleague's session of today was refused as "locked" (fix15)."""
    if s.editable:
        return None
    if not may_edit(vs, s.counselor_id):
        return _("This session is {author}'s: only its author may correct it, within the edit "
                 "window; an addendum is added by the author or a coordinator.").format(
                     author=s.counselor)
    return _("This session is locked: its edit window is over. Add an addendum instead (n): "
             "it is kept with your name and the time.")


class FollowUpRow(NamedTuple):
    """An open follow-up: the session that planned it, the person, the due date
    (``YYYY-MM-DD``) and the author's display name. A named tuple (immutable, made ten
    times faster than a frozen dataclass: 8,429 open at province size, issue 18)."""


    session_id: int
    person_id: int
    person_name: str
    due: str
    counselor: str
    badge_no: str | None = None
    kind: str = "officer"


    @property
    def who(self) -> str:
        """The person as the dashboard names them: name and badge number for an officer,
        name and kind otherwise, so that namesakes (an officer and a family member both
        called 李晨东) are told apart."""
        if self.badge_no:
            return _("{name} (badge {badge})").format(name=self.person_name,
                                                      badge=self.badge_no)
        return _("{name} ({kind})").format(name=self.person_name,
                                           kind=vocab.label(vocab.PERSON_KINDS, self.kind))


@dataclass(frozen=True)
class FollowUps:
    """Open follow-ups: overdue (before today), today, in the next 7 days
    (``this_week``: tomorrow to today + 7)."""


    overdue: tuple[FollowUpRow, ...]
    today: tuple[FollowUpRow, ...]
    this_week: tuple[FollowUpRow, ...]


# --------------------------------------------------------------------------- reading


def may_see_session(vs: VaultSession, row: CounselingSession) -> bool:
    role = vs.actor.role
    if role == Role.AUDITOR:
        return False
    if role == Role.ADMIN:
        return False
    if role == Role.COORDINATOR:
        return True
    if row.counselor_id == vs.actor.id:
        return True
    return row.person_id is not None and can_see_person(vs, row.person_id)


_SUMMARY_SQL = (
    "SELECT s.id, s.person_id, p.name, s.started_at, s.channel, s.kind, s.duration_min, "
    "s.risk, s.follow_up_on, s.sealed, s.locked_at, s.created_at, u.display_name, s.note, "
    "s.intervention, s.referral, s.incident_id, s.caller_label, s.counselor_id, "
    "s.follow_up_closed_at, s.updated_at, s.version, s.caller_kind FROM counseling_session s "
    "LEFT JOIN person p ON p.id = s.person_id JOIN user u ON u.id = s.counselor_id "
)


def _summaries(vs: VaultSession, rows: Sequence[Sequence[Any]]) -> list[SessionSummary]:
    """Build summaries (inside ``reading``/``transaction``) applying the text rules."""
    if not rows:
        return []
    ids = [int(r[0]) for r in rows]
    marks = ",".join("?" * len(ids))
    topics: dict[int, list[str]] = defaultdict(list)
    for sid, topic in vs.execute(
            f"SELECT session_id, topic FROM session_topic WHERE session_id IN ({marks})",
            tuple(ids)):
        topics[int(sid)].append(topic)
    opened = sealed_notes.opened(vs, [int(r[0]) for r in rows if r[9]])
    addenda: dict[int, list[str]] = defaultdict(list)
    addenda_by: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for sid, add_id, text, by, at in vs.execute(
            "SELECT a.session_id, a.id, a.text, u.display_name, a.at FROM session_addendum a "
            f"JOIN user u ON u.id = a.by_id WHERE a.session_id IN ({marks}) "
            "ORDER BY a.at, a.id", tuple(ids)):
        sealed_text = opened.get(int(sid))
        addenda[int(sid)].append(sealed_text.addenda.get(int(add_id), text)
                                 if sealed_text is not None else text)
        addenda_by[int(sid)].append((str(by), str(at)))
    co: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for sid, uid, name in vs.execute(
            "SELECT c.session_id, c.user_id, u.display_name FROM session_counselor c "
            f"JOIN user u ON u.id = c.user_id WHERE c.session_id IN ({marks}) "
            "ORDER BY u.display_name", tuple(ids)):
        co[int(sid)].append((int(uid), str(name)))
    days = lock_days(vs)
    order = list(vocab.TOPICS)
    out = []
    for r in rows:
        sid, counselor_id, sealed = int(r[0]), int(r[18]), bool(r[9])
        readable = reads_text(vs, counselor_id, sealed) and (not sealed or sid in opened)
        note, intervention = r[13], r[14]
        if sealed and sid in opened:
            note, intervention = opened[sid].note, opened[sid].intervention
        locked = is_locked(vs, r[11], r[10], days)
        out.append(SessionSummary(
            id=sid, person_id=r[1], person_name=r[2], started_at=r[3], channel=r[4],
            kind=r[5], topics=tuple(sorted(topics[sid], key=lambda t: (
                order.index(t) if t in order else len(order), t))),
            duration_min=int(r[6]), risk=r[7], follow_up_on=r[8], sealed=sealed,
            locked=locked, counselor=r[12], note=note if readable else "",
            addenda=tuple(addenda[sid]) if readable else (), note_hidden=not readable,
            intervention=intervention if readable else "", referral=r[15],
            incident_id=r[16],
            caller_label=r[17], counselor_id=counselor_id, follow_up_closed_at=r[19],
            editable=not locked and may_edit(vs, counselor_id), updated_at=r[20],
            version=int(r[21]),
            addenda_by=tuple(addenda_by[sid]) if readable else (),
            caller_kind=(r[22] or "unknown") if r[1] is None else None,
            co_counselors=tuple(n for _u, n in co[sid]),
            co_counselor_ids=tuple(u for u, _n in co[sid]),
        ))
    return out


def sessions_of_person(vs: VaultSession, person_id: int) -> list[SessionSummary]:
    """Every non-voided session of a person, newest first (inside ``reading`` or a
    transaction; the caller checked that the person is visible)."""
    rows = list(vs.execute(
        _SUMMARY_SQL + "WHERE s.person_id = ? AND s.voided_at IS NULL "
        "ORDER BY s.started_at DESC, s.id DESC", (person_id,)))
    return _summaries(vs, rows)


def get_session(vs: VaultSession, session_id: int) -> SessionSummary:
    """One session as this actor may see it; writes a ``view counseling_session`` audit
    event. Raises :class:`PermissionDenied` (auditor), :class:`NotFound`."""
    if vs.actor.role == Role.AUDITOR:
        raise PermissionDenied(_("Auditors do not read counseling sessions."))
    require_archive_reader(vs)
    with vs.snapshot():  # read without the write lock; the view event is written after
        row = CounselingSession.get_or_none(CounselingSession.id == session_id)
        if row is None or row.voided_at is not None or not may_see_session(vs, row):
            raise NotFound(_("No such session, or not visible to your account."))
        summary = _summaries(vs, list(vs.execute(_SUMMARY_SQL + "WHERE s.id = ?",
                                                 (session_id,))))[0]
    with vs.transaction():  # nothing is returned unless the view is recorded
        audit.record(vs, "view", "counseling_session", session_id, {})
    return summary


def _note_visibility(vs: VaultSession) -> tuple[str, list[Any]]:
    """SQL condition (alias ``s``) for sessions whose note this actor may read."""
    if vs.actor.role == Role.COORDINATOR:
        return "1", []
    if vs.actor.role != Role.COUNSELOR:
        raise PermissionDenied(_("Your role may not read session notes."))
    cond, params = visibility_sql(vs)
    # a probe per session row (the list of every visible person was gathered per statement)
    return (f"(s.counselor_id = ? OR (s.sealed = 0 AND EXISTS (SELECT 1 FROM person p "
            f"WHERE p.id = s.person_id AND p.voided_at IS NULL AND {cond})))",
            [vs.actor.id, *params])


def _fts_rows(vs: VaultSession, needle: str, cond: str, params: list[Any],
              limit: int) -> list[Sequence[Any]]:
    """Matches of the trigram index newest-entered first (FTS5 walks rowids backwards and
    stops early), filtered by ``cond`` in batches, at most ``limit``."""
    phrase = '"' + needle.replace('"', '""') + '"'
    cursor = vs.db.cursor()
    cursor.execute("SELECT rowid FROM session_note_fts WHERE session_note_fts MATCH ? "
                   "ORDER BY rowid DESC", (phrase,))
    found: list[Sequence[Any]] = []
    try:
        while len(found) < limit:
            batch = [int(r[0]) for r in cursor.fetchmany(200)]
            if not batch:
                break
            marks = ",".join("?" * len(batch))
            found.extend(vs.execute(
                _SUMMARY_SQL + f"WHERE s.id IN ({marks}) AND s.voided_at IS NULL AND {cond} "
                "ORDER BY s.id DESC", (*batch, *params)))
    finally:
        cursor.close()
    return found[:limit]


def search_notes(vs: VaultSession, text: str, limit: int = 50) -> list[SessionSummary]:
    """Sessions whose note contains ``text`` (most recently entered first, at most
    ``limit``), among the notes this actor may read. Three or more characters use the
    trigram index (``session_note_fts``); shorter text a scan by session start, newest
    first. Matching ignores Latin case. Raises
    :class:`PermissionDenied` for admins and auditors."""
    cond, params = _note_visibility(vs)
    needle = unicodedata.normalize("NFC", text).strip()
    if not needle:
        return []
    limit = max(1, min(int(limit), 500))
    with vs.reading():
        if len(needle) >= 3:
            rows = _fts_rows(vs, needle, cond, params, limit)
        else:
            rows = list(vs.execute(
                _SUMMARY_SQL + f"WHERE instr(lower(s.note), lower(?)) > 0 "
                f"AND s.voided_at IS NULL AND {cond} "
                "ORDER BY s.started_at DESC, s.id DESC LIMIT ?", (needle, *params, limit)))
        hits = sealed_notes.search(vs, needle)  # sealed notes are not in the shared index
        if hits:
            marks = ",".join("?" * len(hits))
            rows = [*rows, *vs.execute(
                _SUMMARY_SQL + f"WHERE s.id IN ({marks}) AND s.voided_at IS NULL AND {cond}",
                (*hits, *params))]
            rows.sort(key=(lambda r: -int(r[0])) if len(needle) >= 3 else
                      (lambda r: (str(r[3]), int(r[0]))), reverse=len(needle) < 3)
            rows = rows[:limit]
        return _summaries(vs, rows)


def anonymous_contacts(vs: VaultSession, label: str = "",
                       limit: int = 20) -> list[SessionSummary]:
    """Past anonymous contacts (sessions without a person; issue 15 item 6), newest first,
    at most ``limit`` (1–200): a counselor's own, every one for a coordinator. With
    ``label``, only those whose caller label contains it (Latin case ignored), so a repeat
    caller is recognised. Raises :class:`PermissionDenied` for admins and auditors."""
    vs.require(Role.COUNSELOR, Role.COORDINATOR)
    cond, params = ("1", ()) if vs.actor.role == Role.COORDINATOR else (
        "s.counselor_id = ?", (vs.actor.id,))
    needle = unicodedata.normalize("NFC", label).strip()
    if needle:
        cond += " AND instr(lower(COALESCE(s.caller_label, '')), lower(?)) > 0"
        params = (*params, needle)
    with vs.reading():
        rows = list(vs.execute(
            _SUMMARY_SQL + f"WHERE s.person_id IS NULL AND s.voided_at IS NULL AND {cond} "
            "ORDER BY s.started_at DESC, s.id DESC LIMIT ?",
            (*params, max(1, min(int(limit), 200)))))
        return _summaries(vs, rows)


#: Follow-up lines the dashboard lists, most urgent first (issue 18: a province coordinator
#: has 8,429 due within 7 days). The summary counts them all and a last line says how many
#: more there are; the county demo's 89 are all listed.
DASHBOARD_LINES = 200

_FOLLOW_UP_COLUMNS = ("SELECT s.id, s.person_id, p.name, s.follow_up_on, u.display_name, "
                      "p.badge_no, p.kind ")
_FOLLOW_UP_ORDER = "ORDER BY s.follow_up_on, p.name_sort, s.id"


def _open_follow_ups(vs: VaultSession) -> tuple[str, list[Any]] | None:
    """The FROM and WHERE of the open follow-ups due within the next 7 days the actor holds
    (see the module doc for whose), with their parameters; None for other roles. Served by
    the open follow-up index (db migration 3), by due date."""
    if vs.actor.role == Role.COORDINATOR:
        cond, params = "1", []
    elif vs.actor.role == Role.COUNSELOR:
        # the follow-up's holder: its author, or whom a handover gave it (issue 15)
        cond = "(COALESCE(h.user_id, s.counselor_id) = ?" + (
            " OR p.unit_id = ?)" if vs.actor.unit_id else ")")
        params = [vs.actor.id] + ([vs.actor.unit_id] if vs.actor.unit_id else [])
    else:
        return None
    week = (vs.today() + timedelta(days=UPCOMING_DAYS)).isoformat()
    return ("FROM counseling_session s JOIN person p ON p.id = s.person_id "
            "LEFT JOIN follow_up_holder h ON h.session_id = s.id "
            "JOIN user u ON u.id = COALESCE(h.user_id, s.counselor_id) "
            "WHERE s.follow_up_on <= ? AND s.follow_up_closed_at IS NULL "
            f"AND s.voided_at IS NULL AND p.voided_at IS NULL AND {cond} ", [week, *params])


def _split(rows: Any, today: date) -> FollowUps:
    overdue: list[FollowUpRow] = []
    due_today: list[FollowUpRow] = []
    week: list[FollowUpRow] = []
    day = today.isoformat()  # ISO dates compare as text
    for r in rows:
        item = FollowUpRow(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6])
        (overdue if r[3] < day else due_today if r[3] == day else week).append(item)
    return FollowUps(tuple(overdue), tuple(due_today), tuple(week))


def follow_ups(vs: VaultSession) -> FollowUps:
    """Open follow-ups due within the next 7 days, split overdue / today / next 7 days,
    each by due date then person (see the module doc for whose)."""
    found = _open_follow_ups(vs)
    if found is None:
        return FollowUps((), (), ())
    sql, params = found
    with vs.reading():
        rows = list(vs.execute(_FOLLOW_UP_COLUMNS + sql + _FOLLOW_UP_ORDER, tuple(params)))
    return _split(rows, vs.today())


def dashboard_section(vs: VaultSession) -> DashboardSection | None:
    """The dashboard's follow-up block (overdue first); None for admins and auditors. The
    counts (summary, ``extra``) cover every open follow-up; the lines are the
    :data:`DASHBOARD_LINES` most urgent (as :func:`follow_ups` orders them), then one line
    saying how many more. Each text template, kind label and relative hint is made once."""
    found = _open_follow_ups(vs)
    if found is None:
        return None
    sql, params = found
    today = vs.today()
    day = today.isoformat()
    with vs.reading():
        counts = vs.execute("SELECT COALESCE(SUM(s.follow_up_on < ?), 0), "
                            "COALESCE(SUM(s.follow_up_on = ?), 0), "
                            "COALESCE(SUM(s.follow_up_on > ?), 0) " + sql,
                            (day, day, day, *params)).fetchone()
        due = _split(vs.execute(_FOLLOW_UP_COLUMNS + sql + _FOLLOW_UP_ORDER + " LIMIT ?",
                                (*params, DASHBOARD_LINES)), today)
    overdue, due_today, week = (int(n) for n in counts)
    template = _("{name} · follow-up {hint} ({counselor})")
    with_badge, with_kind = _("{name} (badge {badge})"), _("{name} ({kind})")
    kinds: dict[str, str] = {}
    hints: dict[str, str] = {}
    items = []
    for rows, level in ((due.overdue, "warning"), (due.today, "warning"),
                        (due.this_week, "info")):
        for f in rows:
            if f.due not in hints:
                hints[f.due] = relative_hint(date.fromisoformat(f.due), today)
            if f.badge_no:  # as FollowUpRow.who names them
                who = with_badge.format(name=f.person_name, badge=f.badge_no)
            else:
                if f.kind not in kinds:
                    kinds[f.kind] = vocab.label(vocab.PERSON_KINDS, f.kind)
                who = with_kind.format(name=f.person_name, kind=kinds[f.kind])
            items.append(DashboardItem(
                text=template.format(name=who, hint=hints[f.due], counselor=f.counselor),
                person_id=f.person_id, due=f.due, level=level, ref=f"session:{f.session_id}"))
    more = overdue + due_today + week - len(items)
    if more > 0:
        items.append(DashboardItem(
            text=_("… {n} more follow-ups, later in the order, not listed here").format(n=more)))
    summary = _("{overdue} overdue, {today} today, {week} in the next 7 days").format(
        overdue=overdue, today=due_today, week=week)
    return DashboardSection(
        id="follow_ups", title=_("Follow-ups"), items=tuple(items), summary=summary,
        level="warning" if overdue else "info",
        extra={"overdue": overdue, "today": due_today, "this_week": week})
