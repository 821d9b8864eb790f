"""Tiers 档案等级 (DESIGN §2, §7.2): which persons' tier review is due.

Issue 3 part only: :func:`review_due` and the dashboard block. The tier policy (suggestions,
confirmations, review intervals) extends this module later.

A review is *due* when ``TierState.review_due`` is on or before the end (Sunday) of the
current week in the bureau time zone — the same horizon as follow-ups; earlier dates are
overdue. Only persons the actor sees (see :mod:`counselor_tui.services.persons`), not
archived, not voided. Counselors and coordinators get the list; admins and auditors do not
(tier reviews are clinical work).
"""

from __future__ import annotations

from datetime import date, timedelta

from counselor_tui.domain import vocab
from counselor_tui.domain.dates import relative_hint
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard_items import DashboardItem, DashboardSection
from counselor_tui.services.persons import PersonRow, person_rows, visibility_sql

#: Review lines the dashboard lists, earliest first (issue 18: 2,885 due this week at
#: province size); the summary counts them all and a last line says how many more.
DASHBOARD_LINES = 200

_DUE_WHERE = ("WHERE p.sort_review <= ? AND p.voided_at IS NULL "
              "AND p.archived_at IS NULL AND {cond} ")


def _horizon(vs: VaultSession) -> str:
    today = vs.today()
    return (today + timedelta(days=6 - today.weekday())).isoformat()


def _due(vs: VaultSession, limit: int = -1) -> list[tuple[int, str, str | None, str | None]]:
    """``(person id, name, tier, review date)`` of the reviews due by the week's end, in
    the dashboard's order, the first ``limit`` (all when negative; inside ``reading``): the
    review date and tier rank kept on the person (db migration 13: tier_state's review_due
    and tier) through their index, not a pass over every live person."""
    cond, params = visibility_sql(vs)
    return [(int(r[0]), str(r[1]), r[2], r[3]) for r in vs.execute(
        "SELECT p.id, p.name, t.tier, t.review_due FROM person p INDEXED BY person_sort_review "
        "LEFT JOIN tier_state t ON t.person_id = p.id " + _DUE_WHERE.format(cond=cond)
        + "ORDER BY p.sort_review, CASE p.sort_tier WHEN 2 THEN 0 WHEN 1 THEN 1 "
        "ELSE 2 END, p.name_sort, p.id LIMIT ?", (_horizon(vs), *params, limit))]


def review_due(vs: VaultSession) -> list[PersonRow]:
    """Persons whose tier review is due by the end of this week, earliest first (red
    before yellow before green on the same day). Empty for admins and auditors."""
    if vs.actor.role not in (Role.COUNSELOR, Role.COORDINATOR):
        return []
    with vs.reading():
        return person_rows(vs, [pid for pid, _name, _tier, _due_on in _due(vs)])


def dashboard_section(vs: VaultSession) -> DashboardSection | None:
    """The dashboard block "tier review due"; None for admins and auditors. The counts
    (summary, ``extra``) cover every review due; the lines are the :data:`DASHBOARD_LINES`
    first (as :func:`review_due` orders them), then one line saying how many more. One query
    of the four columns shown; each text template, tier label and hint made once."""
    if vs.actor.role not in (Role.COUNSELOR, Role.COORDINATOR):
        return None
    today = vs.today()
    cond, params = visibility_sql(vs)
    with vs.reading():
        total, overdue = (int(n or 0) for n in vs.execute(
            "SELECT COUNT(*), SUM(p.sort_review < ?) FROM person p "  # the kept review_due
            "INDEXED BY person_sort_review " + _DUE_WHERE.format(cond=cond),
            (today.isoformat(), _horizon(vs), *params)).fetchone())
        rows = _due(vs, DASHBOARD_LINES)
    template = _("{name} · {tier} · review {hint}")
    labels: dict[str | None, str] = {}
    hints: dict[str, tuple[str, bool]] = {}
    items = []
    for pid, name, tier, review_due_on in rows:
        day = review_due_on or today.isoformat()
        if day not in hints:
            due = date.fromisoformat(day)
            hints[day] = (relative_hint(due, today), due < today)
        if tier not in labels:
            labels[tier] = vocab.label(vocab.TIERS, tier)
        hint, late = hints[day]
        items.append(DashboardItem(
            text=template.format(name=name, tier=labels[tier], hint=hint),
            person_id=pid, due=review_due_on, level="warning" if late else "info",
            ref=f"person:{pid}"))
    if total > len(rows):
        items.append(DashboardItem(
            text=_("… {n} more tier reviews, later in the order, not listed here").format(
                n=total - len(rows))))
    return DashboardSection(
        id="tier_reviews", title=_("Tier reviews due"), items=tuple(items),
        summary=_("{n} due, {late} overdue").format(n=total, late=overdue),
        level="warning" if overdue else "info",
        extra={"due": total, "overdue": overdue})
