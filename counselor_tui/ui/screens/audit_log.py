"""Audit log 审计 (DESIGN §5 "Audit", §6): auditors and admins only.

Every event of the hash-chained log, newest first, in a
:class:`~counselor_tui.ui.widgets.virtual_table.VirtualTable` (pages from
:func:`counselor_tui.services.audit.list_events`, length from
:func:`~counselor_tui.services.audit.count_events`), filtered by action, user, entity and a
date range typed the way dates are typed everywhere (``2026-11-03``, ``昨天``, ``11月3日``).
"Verify chain" re-hashes the whole chain and shows OK with the number of events and the
head, or the first bad sequence number. Opening the screen is itself audited once
(``view audit_log``). The chain holds ids, field names and counts only (never names or
notes); each line shows what an auditor needs (issue 16 point 3): the actor's name, the
action in words, and the person concerned by name and badge number
(:mod:`counselor_tui.services.audit_view`).

| key | action |
|---|---|
| v | verify the chain |
| r | reload |
| ↑ / ↓ / PgUp / PgDn / Home / End | move in the list |
| Enter (in the list) | the whole event |
| Tab | filters: action, user, entity, from, to |
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Button, Label, Select, Static

from counselor_tui.domain import organisation as rules
from counselor_tui.domain.audit_chain import ChainReport
from counselor_tui.domain.roles import READS_AUDIT
from counselor_tui.domain.text_rules import escape_for_terminal
from counselor_tui.i18n import N_, _
from counselor_tui.services import audit, audit_view
from counselor_tui.services.api import Backend
from counselor_tui.services.audit import AuditChoices, AuditFilter, AuditRow
from counselor_tui.services.audit_view import AuditLine
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.virtual_table import Column, VirtualTable

PAGE_SIZE = 100
DEBOUNCE_SECONDS = 0.15

#: Names of the actions written by the services (unknown codes are shown as they are).
ACTION_LABELS: Mapping[str, str] = {
    "login": N_("login"), "login_failed": N_("failed login"), "unlock": N_("unlock"),
    "lock": N_("lock"), "view": N_("view"), "create": N_("create"), "update": N_("update"),
    "void": N_("void"), "disable": N_("disable"), "passphrase_change": N_("passphrase change"),
    "settings_change": N_("settings change"), "backup": N_("backup"),
    "restore": N_("restore"), "rekey": N_("key rotation"),
    "recovery_used": N_("recovery code used"), "export": N_("export"),
    "import": N_("import"), "compile": N_("compile"), "finalize": N_("finalize"),
    "vault_create": N_("vault created"), "demo_generate": N_("demo data"),
    "trust_add": N_("signer trusted"), "trust_remove": N_("signer no longer trusted"),
    "witness_missing": N_("witness file missing"),
}
#: Names of the entities (tables and objects) events are about.
ENTITY_LABELS: Mapping[str, str] = {
    "user": N_("account"), "person": N_("person"), "counseling_session": N_("session"),
    "session_addendum": N_("session addendum"), "setting": N_("setting"),
    "vault": N_("vault"), "audit_log": N_("audit log"), "unit": N_("unit"),
    "incident": N_("incident"), "incident_step": N_("incident step"),
    "incident_exposure": N_("exposed person"), "firearm_restriction": N_("firearm restriction"),
    "firearm_notice": N_("firearm notice"), "submission": N_("submission"),
    "assessment": N_("assessment"), "census": N_("census"), "tier_change": N_("tier change"),
    "tier_suggestion": N_("tier suggestion"), "family_link": N_("family link"),
    "activity": N_("activity"), "interest_group": N_("interest group"),
    "training_record": N_("training record"), "roster": N_("roster"),
    "signing_key": N_("signing key"), "trusted_signer": N_("trusted signer"),
    "instrument": N_("instrument"),
    "org_member": N_("committee or office member"), "cadre_training": N_("cadre trained"),
}


#: What part of a person's data a ``view person`` event read (detail ``part``).
PART_LABELS: Mapping[str, str] = {
    "trend": N_("score trend chart"), "brief": N_("summary for assessment entry"),
    "assessments": N_("assessments"),
}
#: Names of the detail keys (unknown keys are shown as they are).
DETAIL_LABELS: Mapping[str, str] = {
    "suggested": N_("suggested"), "fields": N_("fields"), "changed": N_("changed"),
    "rows": N_("rows"), "instrument": N_("instrument"), "reason": N_("reason"),
    "kind": N_("kind"), "role": N_("role"), "notes": N_("sealed notes"),
    "signing_keys": N_("signing keys"), "from": N_("from"), "to": N_("to"),
    "days": N_("days"), "file": N_("file"), "session_id": N_("session"),
    "user_id": N_("account"),
    "failed_attempts_since_last": N_("failed attempts before"), "relation": N_("relation"),
    "code": N_("code"), "version": N_("version"), "revision": N_("revision"),
    "sha256": N_("SHA-256 of the file"),
    "post": N_("post"), "starts_on": N_("term from"), "unit_id": N_("unit"),
    "ends_on": N_("term to"), "account": N_("account"), "counselor": N_("counselor"),
    "job": N_("position"), "name_changed": N_("name changed"), "on_date": N_("date"),
    "hours": N_("hours"), "changes": N_("changed"),
}
#: Detail keys shown in their own column or in the action (not repeated in the detail).
SHOWN_ELSEWHERE = frozenset({"person_id", "part"})


def action_label(code: str) -> str:
    """The action's name in the current language (the code when unknown)."""
    return _(ACTION_LABELS[code]) if code in ACTION_LABELS else code


def entity_label(code: str) -> str:
    """The entity's name in the current language (the code when unknown)."""
    return _(ENTITY_LABELS[code]) if code in ENTITY_LABELS else code


def columns() -> list[Column]:
    """The audit table's columns (translated titles)."""
    return [
        Column(_("No."), 5), Column(_("Time"), 16), Column(_("User"), 14),
        Column(_("Action"), 28), Column(_("Concerning"), 20),
        Column(_("Detail"), 8, flex=True),
    ]


def what_text(row: AuditRow) -> str:
    """The action in words: ``查看：服务对象（得分趋势图）``, ``设置变更：设置``."""
    text = _("{action} {entity}").format(action=action_label(row.action),
                                         entity=entity_label(row.entity))
    part = row.detail.get("part")
    if isinstance(part, str) and part:
        text += _(" ({part})").format(part=_(PART_LABELS[part]) if part in PART_LABELS
                                      else part)
    return text


def person_text(line: AuditLine) -> str:
    """What the event concerns: the person as ``张三 · 警号 010001`` (name only without a
    badge number; ``#526`` for a person no longer stored), else the account's username,
    else the entity's id (a setting's key, a unit's number)."""
    if line.person_id is None:
        if line.account:
            return line.account
        if line.subject:
            return escape_for_terminal(line.subject)
        if line.row.entity in ("person", *audit_view.PERSON_OF):
            return ""
        return line.row.entity_id
    if not line.person_name:
        return f"#{line.person_id}"
    if not line.badge_no:
        return line.person_name
    return _("{name} · badge {badge}").format(name=line.person_name, badge=line.badge_no)


def short_time(stamp: str) -> str:
    """``2026-11-29T09:00:00+08:00`` → ``2026-11-29 09:00`` (as stored: bureau time)."""
    return stamp[:16].replace("T", " ")


def _value_text(key: str, value: Any) -> str:
    """One detail value in words: yes/no, a post of the organisation, none as "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "post" and isinstance(value, str):  # a post of the organisation
        msgid = rules.POSTS.get(value) or rules.CADRE_POSTS.get(value)
        return _(msgid) if msgid else value
    if isinstance(value, str):
        return escape_for_terminal(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, ensure_ascii=False)


def _changes_text(changes: Mapping[str, Any]) -> str:
    """``term to: — → 2026-12-08, post: member → director`` of a ``changes`` detail
    (field → ``[old, new]``)."""
    parts = []
    for key, pair in changes.items():
        label = _(DETAIL_LABELS[key]) if key in DETAIL_LABELS else key
        if isinstance(pair, list) and len(pair) == 2:
            parts.append(_("{key}: {old} → {new}").format(
                key=label, old=_value_text(key, pair[0]), new=_value_text(key, pair[1])))
        else:
            parts.append(_("{key}: {value}").format(key=label, value=_value_text(key, pair)))
    return _(", ").join(parts)


def _detail_order(item: tuple[str, Any]) -> int:
    """The post first, the old → new changes last, the rest as stored."""
    return 0 if item[0] == "post" else 2 if item[0] == "changes" else 1


def detail_text(detail: Mapping[str, Any]) -> str:
    """``name: value`` pairs of an event's detail (field names, counts), keys and yes/no
    in words; the person and the part read are shown in their own columns."""
    parts = []
    for key, value in sorted(detail.items(), key=_detail_order):
        if key in SHOWN_ELSEWHERE:
            continue
        label = _(DETAIL_LABELS[key]) if key in DETAIL_LABELS else key
        if key == "changes" and isinstance(value, Mapping):
            parts.append(_("{key}: {value}").format(key=label, value=_changes_text(value)))
            continue
        if isinstance(value, bool):
            shown = _("yes") if value else _("no")
        elif key == "post" or isinstance(value, str):
            shown = _value_text(key, value) if value != "" else ""
        else:
            shown = json.dumps(value, ensure_ascii=False)
        parts.append(_("{key}: {value}").format(key=label, value=shown))
    return " ".join(parts)


def row_cells(line: AuditLine) -> list[str]:
    """The cells of one event line."""
    row = line.row
    return [str(row.seq), short_time(row.at), line.actor, what_text(row),
            person_text(line), detail_text(row.detail)]


def verify_text(report: ChainReport) -> str:
    """The verdict line of "Verify chain"."""
    if report.ok:
        return _("Chain OK: {n} events, head {head}").format(n=report.count,
                                                            head=report.head[:16])
    return _("Chain BROKEN at sequence number {seq} ({reason}).").format(
        seq=report.first_bad_seq, reason=report.reason)


def open_log(backend: Backend) -> AuditChoices:
    """Audit this opening (``view audit_log``) and fetch the filter choices (worker)."""
    vs = backend.vs
    audit.record_log_view(vs)
    return audit.audit_choices(vs)


def first_page(backend: Backend, flt: AuditFilter, serial: int) -> tuple[int, int,
                                                                          list[AuditLine]]:
    """``(serial, count, first page)`` of ``flt`` (worker)."""
    vs = backend.vs
    return serial, audit.count_events(vs, flt), audit_view.page(vs, flt, 0, PAGE_SIZE)


def page_of(backend: Backend, flt: AuditFilter, page: int) -> list[AuditLine]:
    """Page ``page`` of ``flt`` (worker)."""
    return audit_view.page(backend.vs, flt, page * PAGE_SIZE, PAGE_SIZE)


class AuditScreen(BaseScreen):
    """The audit log with filters and chain verification."""

    CSS_PATH = "../styles/audit_log.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "verify", N_("Verify chain"), id="verify_chain"),
        Binding("r", "reload", N_("Reload"), id="reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.serial = 0
        self.answered = 0
        self.total = 0
        self.current = AuditFilter()
        self.report: ChainReport | None = None
        self.opened = False
        self._debounce: Timer | None = None

    @property
    def allowed(self) -> bool:
        """True for auditors and admins."""
        vs = self.backend.session
        return vs is not None and vs.actor.role in READS_AUDIT

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label(_("Audit log"), classes="screen-title")
        if not self.allowed:
            yield Static(_("The audit log is for auditors and admins only."),
                         id="audit-refused", markup=False)
            yield AppFooter()
            return
        with Horizontal(id="audit-filters"):
            yield Select[str]([], prompt=_("all actions"), id="audit-action", compact=True)
            yield Select[str]([], prompt=_("all users"), id="audit-user", compact=True)
            yield Select[str]([], prompt=_("all entities"), id="audit-entity", compact=True)
        with Horizontal(id="audit-dates"):
            yield Label(_("From"), classes="audit-date-label")
            yield DateInput(optional=True, id="audit-since", compact=True,
                            placeholder=_("any date"))
            yield Label(_("to"), classes="audit-date-label")
            yield DateInput(optional=True, id="audit-until", compact=True,
                            placeholder=_("any date"))
            yield Button(_("Verify chain (v)"), id="audit-verify", compact=True)
        yield VirtualTable(columns(), row_cells, page_size=PAGE_SIZE, id="audit-table")
        yield Static("", id="audit-verify-result", markup=False)
        yield Static("", id="audit-status", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        if not self.allowed:
            return
        translate_bindings(self.query_one("#audit-table", VirtualTable))
        self.call(open_log, self.backend, done=self._opened, group="audit-open")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("verify", "reload"):
            return self.allowed
        return True

    def _opened(self, choices: AuditChoices) -> None:
        if not self.is_attached:
            return
        self.opened = True
        self.query_one("#audit-action", Select).set_options(
            [(action_label(a), a) for a in choices.actions])
        self.query_one("#audit-user", Select).set_options([(u, u) for u in choices.users])
        self.query_one("#audit-entity", Select).set_options(
            [(entity_label(e), e) for e in choices.entities])
        self.run_query()
        self.set_focus(self.query_one("#audit-table", VirtualTable))

    # -- query -------------------------------------------------------------------------------
    def build_filter(self) -> AuditFilter:
        """The filter the widgets describe (an unreadable date is ignored, and says so)."""
        def chosen(ident: str) -> str | None:
            value = self.query_one(ident, Select).value
            return None if value is Select.NULL else str(value)

        def day(ident: str) -> date | None:
            value = self.query_one(ident, DateInput).value
            return value.date() if isinstance(value, datetime) else value

        return AuditFilter(action=chosen("#audit-action"), user=chosen("#audit-user"),
                           entity=chosen("#audit-entity"), since=day("#audit-since"),
                           until=day("#audit-until"))

    def run_query(self) -> None:
        """Count and load the first page of the current filter (in a worker)."""
        self._debounce = None
        self.current = self.build_filter()
        self.serial += 1
        self.query_one("#audit-status", Static).update(_("Searching…"))
        self.call(first_page, self.backend, self.current, self.serial, done=self._answer,
                  group="audit-query")

    @property
    def settled(self) -> bool:
        """True when the list shows the answer to the latest filter."""
        return self.opened and self._debounce is None and self.answered == self.serial

    def _answer(self, answer: tuple[int, int, list[AuditLine]]) -> None:
        serial, total, rows = answer
        if serial != self.serial or not self.is_attached:
            return
        self.answered = serial
        self.total = total
        self.query_one("#audit-table", VirtualTable).reset(total, rows)
        text = _("Events: {n}").format(n=total)
        if self.current.since and self.current.until and self.current.since > self.current.until:
            text += " · " + _("the start date is after the end date")
        self.query_one("#audit-status", Static).update(text)

    def _schedule(self) -> None:
        if not self.opened:
            return
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self.run_query)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._schedule()

    def on_date_input_changed(self, event: DateInput.Changed) -> None:
        event.stop()
        self._schedule()

    def on_virtual_table_page_wanted(self, event: VirtualTable.PageWanted) -> None:
        event.stop()
        table, flt, generation = event.table, self.current, event.generation
        self.call(page_of, self.backend, flt, event.page,
                  done=lambda rows: table.set_page(event.page, rows, generation),
                  group="audit-page", exclusive=False)

    def on_virtual_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
        """Enter: the whole event (long ids and details are cut in the list)."""
        event.stop()
        line: AuditLine = event.row
        row = line.row
        self.notify(" · ".join(p for p in (f"#{row.seq}", short_time(row.at), line.actor,
                                           what_text(row), person_text(line),
                                           detail_text(row.detail)) if p),
                    title=_("Audit event"), timeout=15, markup=False)

    def visible_lines(self) -> list[AuditLine]:
        """The loaded lines on screen, top first (for tests)."""
        table = self.query_one("#audit-table", VirtualTable)
        top = int(table.scroll_offset.y)
        rows = (table.row_at(i) for i in range(top, min(table.total, top + table.size.height)))
        return [r for r in rows if r is not None]

    def visible_rows(self) -> list[AuditRow]:
        """The events of :meth:`visible_lines` (for tests)."""
        return [line.row for line in self.visible_lines()]

    # -- actions -----------------------------------------------------------------------------
    def action_reload(self) -> None:
        """r: list again with the same filter."""
        if self.opened:
            self.run_query()

    def action_verify(self) -> None:
        """v: verify the whole chain (in a worker)."""
        if not self.allowed:
            return
        self.query_one("#audit-verify-result", Static).update(_("Verifying the chain…"))
        self.call(audit.check_chain, self.backend.vs, done=self._verified,
                  group="audit-verify")

    def _verified(self, report: ChainReport) -> None:
        self.report = report
        line = self.query_one("#audit-verify-result", Static)
        line.update(verify_text(report))
        line.set_class(report.ok, "-ok")
        line.set_class(not report.ok, "-bad")

    @on(Button.Pressed, "#audit-verify")
    def _verify_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_verify()
