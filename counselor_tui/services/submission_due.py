"""When the next submission is due and the dashboard block that says so (DESIGN §6, §8):
the due day of the month (setting ``submission_due_day``), the first period the vault can
report, and whether that period is finalized; which periods may be compiled and finalized
(:func:`check_compilable`, :func:`check_ended`). Re-exported by
:mod:`counselor_tui.services.submissions`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from counselor_tui.domain.periods import (
    Period,
    PeriodParseError,
    due_date,
    parse_period,
    period_of,
    previous,
)
from counselor_tui.domain.permissions import Action, roles_for
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.reports import consolidate as consolidation
from counselor_tui.reports.content import BUREAU
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard_items import DashboardItem, DashboardSection
from counselor_tui.services.errors import Conflict, InvalidInput
from counselor_tui.services.settings import get_setting
from db.models import Submission

#: Statuses of a stored submission version.
DRAFT, FINAL, EXPORTED = "draft", "final", "exported"
#: Roles that see the submissions (and their dashboard block).
VIEWERS: tuple[Role, ...] = tuple(sorted(roles_for(Action.VIEW_SUBMISSIONS)))
CONSOLIDATED = consolidation.CONSOLIDATED


@dataclass(frozen=True)
class DueInfo:
    """The monthly submissions as the dashboard shows them.

    ``last_period``: the month just ended (e.g. ``2026-10`` during November), ``last_due`` its
    due date (day ``submission_due_day`` of this month), ``last_finalized`` whether its
    bureau-scope (or consolidated) submission is final, ``overdue`` when it is not and the
    due date has passed; ``next_period``/``next_due``: the submission to work on next — the
    month just ended until it is finalized, then the current month. ``last_exported``: its
    newest final version has been exported (the dashboard says so). ``last_expected`` is
    False when the month just ended had ended before the vault was created (see
    :func:`vault_started`): then nothing is asked for it (not overdue, next = the current
    month). ``current_period``/``current_due``: the month running now and its due date (next
    month), shown as well while the month just ended is overdue.
    """

    last_period: str
    last_due: date
    last_finalized: bool
    overdue: bool
    next_period: str
    next_due: date
    last_expected: bool = True
    current_period: str = ""
    current_due: date | None = None
    last_exported: bool = False


def next_due(vs: VaultSession) -> DueInfo:
    """The due dates of the monthly (bureau-scope) submission (DESIGN §7.4, policy.md): the
    month just ended is due on day ``submission_due_day`` (default 5, clamped to the month)
    of the current month. See :class:`DueInfo`."""
    today = vs.today()
    try:
        day = int(get_setting(vs, "submission_due_day", 5))
    except (TypeError, ValueError):
        day = 5
    day = min(31, max(1, day))
    current = period_of("month", today)
    last = previous(current)
    with vs.reading():
        done = _is_final(last)
        exported = done and _newest_final_status(last) == EXPORTED
        started = vault_started(vs)
    last_due = due_date(last, day)
    expected = started is None or last.end > started
    nxt = current if done or not expected else last
    return DueInfo(last.label, last_due, done, expected and not done and today > last_due,
                   nxt.label, due_date(nxt, day), expected, current.label,
                   due_date(current, day), exported)


def vault_started(vs: VaultSession) -> date | None:
    """The day the vault's records begin: the earlier of its ``vault_create`` audit event
    and its first account's ``created_at`` (a vault holding older history, such as the demo,
    dates its accounts back). ``None`` when neither is known. Call inside ``vs.reading()``."""
    days: list[str] = []
    row = vs.execute("SELECT at FROM audit_event WHERE action = 'vault_create' "
                     "ORDER BY seq LIMIT 1").fetchone()
    if row and row[0]:
        days.append(str(row[0])[:10])
    row = vs.execute("SELECT MIN(created_at) FROM \"user\"").fetchone()
    if row and row[0]:
        days.append(str(row[0])[:10])
    try:
        return min(date.fromisoformat(d) for d in days) if days else None
    except ValueError:
        return None


def _is_final(period: Period) -> bool:
    return (Submission.select()
            .where((Submission.period_kind == period.kind)
                   & (Submission.period_start == period.start.isoformat())
                   & (Submission.scope.in_([BUREAU, CONSOLIDATED]))
                   & (Submission.status.in_([FINAL, EXPORTED])))
            .exists())


def _newest_final_status(period: Period) -> str | None:
    """The status (final or exported) of the newest final bureau-scope or consolidated
    version of ``period``; None when there is none. Call inside ``vs.reading()``."""
    row = (Submission.select(Submission.status)
           .where((Submission.period_kind == period.kind)
                  & (Submission.period_start == period.start.isoformat())
                  & (Submission.scope.in_([BUREAU, CONSOLIDATED]))
                  & (Submission.status.in_([FINAL, EXPORTED])))
           .order_by(Submission.version.desc()).first())
    return None if row is None else str(row.status)


def dashboard_section(vs: VaultSession) -> DashboardSection | None:
    """The dashboard's submissions block (coordinators, admins, auditors; None for
    counselors): the month due, its due date, and whether it is finalized."""
    if vs.actor.role not in VIEWERS:
        return None
    due = next_due(vs)
    items = []
    if not due.last_expected:
        level = "info"
        items.append(DashboardItem(
            _("Submission {period}: due {due}.").format(
                period=due.next_period, due=due.next_due.isoformat()),
            due=due.next_due.isoformat(), level=level, ref="submissions"))
    elif due.last_finalized:
        items.append(DashboardItem(
            (_("Submission {period}: exported.") if due.last_exported
             else _("Submission {period}: finalized.")).format(period=due.last_period),
            due=due.last_due.isoformat(), level="info", ref="submissions"))
        level = "info"
    elif due.overdue:
        level = "urgent"
        items.append(DashboardItem(
            _("Submission {period}: not finalized, was due {due}.").format(
                period=due.last_period, due=due.last_due.isoformat()),
            due=due.last_due.isoformat(), level=level, ref="submissions"))
    else:
        level = "warning" if (due.last_due - vs.today()).days <= 3 else "info"
        items.append(DashboardItem(
            _("Submission {period}: due {due}, not finalized yet.").format(
                period=due.last_period, due=due.last_due.isoformat()),
            due=due.last_due.isoformat(), level=level, ref="submissions"))
    # the month to work on after the one just ended: while that one is overdue it is still
    # "next" (DueInfo), so the running month is named here
    upcoming, upcoming_due = ((due.current_period, due.current_due) if due.overdue
                              else (due.next_period, due.next_due))
    if due.last_expected and upcoming != due.last_period and upcoming_due is not None:
        items.append(DashboardItem(
            _("Next: submission {period}, due {due}.").format(
                period=upcoming, due=upcoming_due.isoformat()),
            due=upcoming_due.isoformat(), level="info", ref="submissions"))
    return DashboardSection(
        id="submissions", title=_("Submissions"), items=tuple(items),
        summary=(_("{period} overdue (was due {due})").format(
            period=due.last_period, due=due.last_due.isoformat()) if due.overdue
            else _("next due {due}").format(due=due.next_due.isoformat())), level=level,
        extra={"period": due.last_period, "finalized": due.last_finalized,
               "exported": due.last_exported,
               "next_period": due.next_period, "next_due": due.next_due.isoformat()})


# --------------------------------------------------------------------------- periods


def to_period(period: Period | str) -> Period:
    """A :class:`Period` from a period or typed text; :class:`InvalidInput` otherwise."""
    if isinstance(period, Period):
        return period
    try:
        return parse_period(period)
    except PeriodParseError as exc:
        raise InvalidInput(str(exc)) from None


#: No period before this year is compiled (a typo such as 1026-11 is refused).
EARLIEST_YEAR = 2000


def check_compilable(vs: VaultSession, period: Period) -> None:
    """Refuse (:class:`InvalidInput`) a period before :data:`EARLIEST_YEAR` or one that
    starts after today (bureau time zone). A running period (started, not ended) is
    allowed: its document is a preview of figures so far."""
    if period.start.year < EARLIEST_YEAR:
        raise InvalidInput(_("The period {period} is before {year}: check the year.").format(
            period=period.label, year=EARLIEST_YEAR))
    if period.start > vs.today():
        raise InvalidInput(_("The period {period} has not started yet (it starts on {start}): "
                             "nothing to compile.").format(period=period.label,
                                                            start=period.start.isoformat()))


def check_ended(vs: VaultSession, period: Period) -> None:
    """Refuse (:class:`Conflict`) to finalize or export a period that has not ended yet
    (its last day is today or later, bureau time zone)."""
    if period.end > vs.today():
        raise Conflict(_("The period {period} has not ended yet (its last day is {last}): it "
                         "can be finalized and exported from {end} on. Until then, compile "
                         "drafts to follow the running figures.").format(
                             period=period.label,
                             last=(period.end - timedelta(days=1)).isoformat(),
                             end=period.end.isoformat()))
