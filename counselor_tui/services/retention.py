"""Retention (issue 15 point 2; PIPL Art. 19 — kept no longer than necessary — and Art. 47
— deleted or de-identified once the period is over): a coordinator's de-identification run
for former officers whose leaving is older than the retention setting.

* :func:`retention_years` / :func:`set_retention_years` — the setting ``retention_years``
  (whole years after leaving service, :data:`DEFAULT_YEARS` unless set; coordinator or
  admin; audited ``settings_change``).
* :func:`dry_run` lists the records past retention with what would be replaced (counts, no
  names) and records the list (audited ``retention_dry_run`` with a digest of the ids).
* :func:`apply` runs only when a dry run of exactly the same records came first (a stale or
  missing dry run is refused): for each person, in one transaction each, audited
  ``deidentify person`` with the counts, it replaces

  - the identifying fields of the person: name (by :data:`PLACEHOLDER_NAME`), pinyin keys,
    badge number, gender, birth and hire dates, post, phone, void reason;
  - every note of theirs: session notes, interventions and addenda (sealed ones: their
    encrypted text and wraps removed, the row holds the placeholder), tier reasons,
    incident-step notes, firearm-restriction notes, move notes, the old and new values of
    edits, appointment and consent notes;

  - the family members linked to them (PIPL Art. 47: a link from a named spouse to the
    placeholder re-identifies the officer): a family member linked to no other officer
    who stays identified is de-identified the same way (fields and notes, counts kept; the
    link stays, between two placeholders); a family member also linked to an officer who
    stays identified keeps their record, and only the link to this officer is deleted
    (counted ``family_unlinked``). Links naming this officer as someone's family member
    are deleted as well. :func:`dry_run` lists each family member with what will happen;

  and keeps everything counted (kind, unit, police type, dates of sessions, channels,
  topics, risks, durations, assessments and their scores, tiers, incidents, restrictions),
  so every compiled figure stays the same. Nothing is deleted silently: rows stay, texts
  become :data:`PLACEHOLDER`. The connection's ``secure_delete`` and the note index's
  FTS5 secure-delete (migration 10) zero what the old values occupied; the WAL is
  checkpointed (TRUNCATE) at the end, so the old text is in no page of the vault.

Coordinator only (issue 16: the coordinator de-identifies; an admin reads no records).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date

from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import audit
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput
from counselor_tui.services.settings import get_setting, set_setting

SETTING = "retention_years"
DEFAULT_YEARS = 10
MAX_YEARS = 100
#: What replaces a note or free text of a de-identified record.
PLACEHOLDER = "〔已去标识〕"
#: What replaces the name (the person id follows, so rows stay distinguishable).
PLACEHOLDER_NAME = "已去标识"


@dataclass(frozen=True)
class FamilyCandidate:
    """A family member linked to a record past retention: their id, the relation code,
    ``action`` ``deidentify`` (linked to no officer who stays identified) or ``unlink``
    (only the link is deleted), and how many of their sessions hold text."""

    person_id: int
    relation: str
    action: str
    sessions: int


@dataclass(frozen=True)
class Candidate:
    """A former officer past retention: id, unit name, the day they left, the reason code,
    who recorded the leaving (display name) and when (storage time; ``None`` when no
    leaving was recorded through :func:`counselor_tui.services.person_moves.leave`), the
    hire date and the day of their latest session (so a wrong leaving stands out), how many
    texts of theirs would be replaced (sessions with text, addenda, tier reasons, other
    notes) and their family members."""

    person_id: int
    unit_name: str | None
    left_on: str
    left_reason: str | None
    sessions: int
    addenda: int
    tier_reasons: int
    other_notes: int
    recorded_by: str | None = None
    recorded_at: str | None = None
    hire_date: str | None = None
    last_session: str | None = None
    family: tuple[FamilyCandidate, ...] = ()


@dataclass(frozen=True)
class RetentionReport:
    """The outcome of a dry run (``applied`` False) or a run: the setting in years, the
    cut-off (left on or before it), the records and the digest tying a run to its dry run;
    ``checkpointed`` False when another connection kept the WAL checkpoint from completing
    (the old text then leaves the file at the next checkpoint: run ``check``)."""

    applied: bool
    years: int
    cutoff: str
    candidates: tuple[Candidate, ...]
    digest: str
    checkpointed: bool = True


def retention_years(vs: VaultSession) -> int:
    """The retention setting in whole years after leaving (default :data:`DEFAULT_YEARS`)."""
    value = get_setting(vs, SETTING, None)
    return DEFAULT_YEARS if not isinstance(value, int) or value < 1 else value


def set_retention_years(vs: VaultSession, years: int) -> int:
    """Store the retention setting (1 to :data:`MAX_YEARS` years); coordinator or admin;
    audited ``settings_change``. Raises :class:`InvalidInput`, :class:`PermissionDenied`."""
    vs.require(Role.COORDINATOR, Role.ADMIN)
    if not 1 <= years <= MAX_YEARS:
        raise InvalidInput(_("Retention is a whole number of years from 1 to {n}.").format(
            n=MAX_YEARS))
    set_setting(vs, SETTING, int(years))
    return int(years)


def _cutoff(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _candidates(vs: VaultSession, cutoff: date) -> list[Candidate]:
    rows = vs.execute(
        "SELECT p.id, u.name, substr(p.archived_at, 1, 10), p.left_reason, "
        "(SELECT COUNT(*) FROM counseling_session s WHERE s.person_id = p.id "
        " AND (s.note != '' OR s.intervention != '' OR s.sealed = 1)), "
        "(SELECT COUNT(*) FROM session_addendum a JOIN counseling_session s "
        " ON s.id = a.session_id WHERE s.person_id = p.id), "
        "(SELECT COUNT(*) FROM tier_change c WHERE c.person_id = p.id AND c.reason != ''), "
        "(SELECT COUNT(*) FROM incident_step i WHERE i.person_id = p.id AND i.note != '') + "
        "(SELECT COUNT(*) FROM firearm_restriction f WHERE f.person_id = p.id "
        " AND f.note != '') + "
        "(SELECT COUNT(*) FROM person_move m WHERE m.person_id = p.id AND m.note != '') + "
        "(SELECT COUNT(*) FROM person_version v WHERE v.person_id = p.id), "
        "(SELECT u2.display_name FROM person_move m JOIN user u2 ON u2.id = m.by_id "
        " WHERE m.person_id = p.id AND m.kind = 'leave' ORDER BY m.id DESC LIMIT 1), "
        "(SELECT m.at FROM person_move m WHERE m.person_id = p.id AND m.kind = 'leave' "
        " ORDER BY m.id DESC LIMIT 1), p.hire_date, "
        "(SELECT substr(MAX(s.started_at), 1, 10) FROM counseling_session s "
        " WHERE s.person_id = p.id AND s.voided_at IS NULL) "
        "FROM person p LEFT JOIN unit u ON u.id = p.unit_id "
        "WHERE p.archived_at IS NOT NULL AND p.deidentified_at IS NULL "
        "AND substr(p.archived_at, 1, 10) <= ? ORDER BY p.archived_at, p.id",
        (cutoff.isoformat(),))
    found = [Candidate(int(r[0]), r[1], str(r[2]), r[3], int(r[4]), int(r[5]), int(r[6]),
                       int(r[7]), r[8], r[9], r[10], r[11]) for r in rows.fetchall()]
    ids = {c.person_id for c in found}
    return [replace(c, family=_family(vs, c.person_id, ids)) for c in found]


def _family(vs: VaultSession, officer_id: int, leaving: set[int]) -> tuple[
        FamilyCandidate, ...]:
    """The family members linked to ``officer_id`` and what the run does to each: de-identify
    when every officer they are linked to is de-identified already or in ``leaving``."""
    out = []
    for r in vs.execute(
            "SELECT f.person_id, f.relation, p.deidentified_at, "
            "(SELECT COUNT(*) FROM counseling_session s WHERE s.person_id = f.person_id "
            " AND (s.note != '' OR s.intervention != '' OR s.sealed = 1)) "
            "FROM family_link f JOIN person p ON p.id = f.person_id "
            "WHERE f.officer_id = ? ORDER BY f.person_id", (officer_id,)).fetchall():
        others = [int(o[0]) for o in vs.execute(
            "SELECT f.officer_id FROM family_link f JOIN person o ON o.id = f.officer_id "
            "WHERE f.person_id = ? AND o.deidentified_at IS NULL", (int(r[0]),))]
        if r[2] is not None:
            continue  # de-identified already
        action = "deidentify" if all(o in leaving for o in others) else "unlink"
        out.append(FamilyCandidate(int(r[0]), str(r[1]), action, int(r[3])))
    return tuple(out)


def _digest(found: list[Candidate]) -> str:
    """Ties a run to its dry run: the records and their family members with the action."""
    parts = [f"{c.person_id}" + "".join(f":{f.person_id}{f.action[0]}" for f in c.family)
             for c in found]
    return hashlib.sha256(",".join(parts).encode()).hexdigest()[:16]


def dry_run(vs: VaultSession) -> RetentionReport:
    """The former officers past retention and what would be replaced; writes nothing but the
    ``retention_dry_run`` audit event (count and digest). Coordinator only."""
    vs.require(Role.COORDINATOR)
    years = retention_years(vs)
    cutoff = _cutoff(vs.today(), years)
    with vs.transaction():
        found = _candidates(vs, cutoff)
        digest = _digest(found)
        audit.record(vs, "retention_dry_run", "person", "",
                     {"count": len(found), "digest": digest, "years": years})
    return RetentionReport(False, years, cutoff.isoformat(), tuple(found), digest)


def _last_dry_run_digest(vs: VaultSession) -> str | None:
    row = vs.execute(
        "SELECT detail FROM audit_event WHERE action = 'retention_dry_run' AND user = ? "
        "ORDER BY seq DESC LIMIT 1", (vs.actor.username,)).fetchone()
    if row is None:
        return None
    detail = json.loads(row[0]) if row[0] else {}
    return str(detail.get("digest")) if detail.get("digest") else None


_SCRUB = (
    ("session notes",
     "UPDATE counseling_session SET note = CASE WHEN note = '' THEN '' ELSE :ph END, "
     "intervention = CASE WHEN intervention = '' THEN '' ELSE :ph END, "
     "caller_label = NULL, void_reason = CASE WHEN void_reason IS NULL THEN NULL ELSE :ph END "
     "WHERE person_id = :pid"),
    ("addenda",
     "UPDATE session_addendum SET text = :ph WHERE session_id IN "
     "(SELECT id FROM counseling_session WHERE person_id = :pid)"),
    ("tier reasons",
     "UPDATE tier_change SET reason = CASE WHEN reason = '' THEN '' ELSE :ph END "
     "WHERE person_id = :pid"),
    ("incident steps",
     "UPDATE incident_step SET note = CASE WHEN note = '' THEN '' ELSE :ph END, "
     "waived_reason = CASE WHEN waived_reason IS NULL THEN NULL ELSE :ph END "
     "WHERE person_id = :pid"),
    ("firearm notes",
     "UPDATE firearm_restriction SET note = CASE WHEN note = '' THEN '' ELSE :ph END "
     "WHERE person_id = :pid"),
    ("move notes",
     "UPDATE person_move SET note = CASE WHEN note = '' THEN '' ELSE :ph END "
     "WHERE person_id = :pid"),
    ("edit history",
     "UPDATE person_version SET changed = '{}' WHERE person_id = :pid"),
    ("appointments",
     "UPDATE appointment SET note = CASE WHEN note = '' THEN '' ELSE :ph END, "
     "caller_label = NULL, "
     "cancel_reason = CASE WHEN cancel_reason IS NULL THEN NULL ELSE :ph END "
     "WHERE person_id = :pid"),
    ("consent notes",
     "UPDATE consent SET note = CASE WHEN note = '' THEN '' ELSE :ph END "
     "WHERE person_id = :pid"),
)


def _deidentify(vs: VaultSession, person_id: int) -> dict[str, int]:
    """Replace one person's identifying fields and notes (inside a transaction)."""
    conn = vs.db.connection()
    counts: dict[str, int] = {}
    sealed = [int(r[0]) for r in conn.execute(
        "SELECT id FROM counseling_session WHERE person_id = ? AND sealed = 1", (person_id,))]
    for session_id in sealed:
        conn.execute("DELETE FROM sealed_text WHERE kind = 'addendum' AND ref_id IN "
                     "(SELECT id FROM session_addendum WHERE session_id = ?)", (session_id,))
        conn.execute("DELETE FROM sealed_text WHERE kind = 'session' AND ref_id = ?",
                     (session_id,))
        conn.execute("DELETE FROM sealed_wrap WHERE kind = 'note' AND ref_id = ?",
                     (session_id,))
        conn.execute("UPDATE counseling_session SET sealed = 0, note = ?, intervention = '' "
                     "WHERE id = ?", (PLACEHOLDER, session_id))
    counts["sealed"] = len(sealed)
    params = {"ph": PLACEHOLDER, "pid": person_id}
    for name, sql in _SCRUB:
        counts[name.replace(" ", "_")] = int(conn.execute(sql, params).rowcount)
    conn.execute(
        "UPDATE person SET name = :name, name_pinyin = '', name_initials = '', name_sort = '', "
        "badge_no = NULL, "
        "gender = NULL, birth_date = NULL, hire_date = NULL, post = '', phone = NULL, "
        "void_reason = CASE WHEN void_reason IS NULL THEN NULL ELSE :ph END, "
        "deidentified_at = :now, updated_at = :now, updated_by_id = :by WHERE id = :pid",
        {"name": f"{PLACEHOLDER_NAME}{person_id:06d}", "ph": PLACEHOLDER, "pid": person_id,
         "now": vs.now_iso(), "by": vs.actor.id})
    return counts


def apply(vs: VaultSession) -> RetentionReport:
    """De-identify every former officer past retention, one transaction and one
    ``deidentify person`` audit event per person, then checkpoint the WAL. Refused
    (:class:`Conflict`) unless this coordinator's latest dry run listed exactly these
    records; :class:`PermissionDenied` for other roles."""
    vs.require(Role.COORDINATOR)
    years = retention_years(vs)
    cutoff = _cutoff(vs.today(), years)
    with vs.reading():
        found = _candidates(vs, cutoff)
        digest = _digest(found)
        if _last_dry_run_digest(vs) != digest:
            raise Conflict(_("Run the dry run first: the records past retention are not the "
                             "ones your latest dry run listed."))
    for candidate in found:
        with vs.transaction():
            counts = _deidentify(vs, candidate.person_id)
            conn = vs.db.connection()
            counts["family_unlinked"] = int(conn.execute(
                "DELETE FROM family_link WHERE person_id = ?",
                (candidate.person_id,)).rowcount)
            counts["family_deidentified"] = 0
            for member in candidate.family:
                if member.action == "unlink":
                    counts["family_unlinked"] += int(conn.execute(
                        "DELETE FROM family_link WHERE person_id = ? AND officer_id = ?",
                        (member.person_id, candidate.person_id)).rowcount)
                    continue
                if conn.execute("SELECT deidentified_at FROM person WHERE id = ?",
                                (member.person_id,)).fetchone()[0] is not None:
                    continue  # linked to another record of this run, done with it
                family_counts = _deidentify(vs, member.person_id)
                counts["family_deidentified"] += 1
                audit.record(vs, "deidentify", "person", member.person_id,
                             {"years": years, "officer": candidate.person_id,
                              **family_counts})
            audit.record(vs, "deidentify", "person", candidate.person_id,
                         {"years": years, **counts})
    with vs.transaction():
        audit.record(vs, "retention_run", "person", "",
                     {"count": len(found), "digest": digest, "years": years})
    with vs.reading():
        busy = int(vs.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0])
    return RetentionReport(True, years, cutoff.isoformat(), tuple(found), digest,
                           checkpointed=not busy)
