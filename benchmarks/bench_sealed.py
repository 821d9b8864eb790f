"""What encrypting sealed notes to their readers and signing grants cost (issue 11).

* unlock + dashboard as the coordinator ``demo``, against what the issue-11 steps of the
  unlock take alone (grant chain verification, opening the account key, looking for plain
  sealed notes) — the share those steps add;
* opening the person record with the most sealed sessions (every note opened with the
  coordinator's slot key), against the same record with those notes stored plain as they
  were before this change (same run, same copy of the vault);
* saving a new sealed session against saving the same session unsealed (a new sealed
  session never enters the note index, so it must not pay for merging it);
* sealing a session that was saved unsealed — its note leaves the shared index, whose
  ``secure-delete`` (migration 10) removes its trigrams from the stored blocks at once —
  against saving a new sealed session; and the FTS5 ``optimize`` (one rewrite of the whole
  index) that every sealing ran for the same purpose before migration 10.

``python -m benchmarks --only sealed --size city`` for the figures at city size.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from benchmarks.common import (
    PASSPHRASE,
    Result,
    clock,
    ensure_vault,
    median,
    scratch_copy,
    timed,
)
from counselor_tui.services import dashboard, lifecycle, persons, role_grants, sealed, sessions
from counselor_tui.services.context import VaultSession
from db import sealing
from db import vault as slots

NOTE = ("来访民警近期连续加班，睡眠不足，情绪低落。\n与配偶沟通减少，担心子女学业。\n"
        "已做放松训练，约一周后随访。")


def _saves(vs: VaultSession, rounds: int, seal_rounds: int) -> tuple[float, float, float, float]:
    """Medians (s): save a sealed session, save it unsealed, seal one saved unsealed,
    and the index merge alone."""
    with vs.reading():
        pid = int(vs.execute("SELECT id FROM person WHERE kind='officer' LIMIT 1").fetchone()[0])
    draft = sessions.SessionDraft(
        person_id=pid, started_at=vs.now() - timedelta(hours=1), channel="face_to_face",
        kind="routine", topics=("work_stress",), duration_min=50, note=NOTE, risk="low",
        sealed=True)
    sealed_save = median(timed(lambda: sessions.log_session(vs, draft), rounds))
    plain = replace(draft, sealed=False)
    plain_save = median(timed(lambda: sessions.log_session(vs, plain), rounds))
    seal_later = []
    for _ in range(seal_rounds):
        sid = sessions.log_session(vs, plain).id
        seal_later += timed(lambda: sessions.update_session(vs, sid, draft), 1)  # noqa: B023

    merges = []
    for _ in range(seal_rounds):  # a new segment in the index, as after a day's work
        sessions.log_session(vs, plain)
        with vs.transaction():
            merges += timed(lambda: vs.execute(
                "INSERT INTO session_note_fts(session_note_fts) VALUES ('optimize')"), 1)
    return sealed_save, plain_save, median(seal_later), median(merges)


def run(preset: str = "county", rounds: int = 15, seal_rounds: int = 3) -> list[Result]:
    with scratch_copy(ensure_vault(preset)) as path:
        state = path.parent / "st"

        def unlock() -> None:
            vs = lifecycle.unlock(path, "demo", PASSPHRASE, clock=clock(), state_dir=state)
            dashboard.gather(vs)
            vs.close()

        unlock()  # the first unlock binds the slot and seals anything plain: not measured
        unlocked = median(timed(unlock, 3))
        keys = slots.load(slots.keys_path(path))
        kdf = median(timed(lambda: slots.derive(PASSPHRASE, keys.user_slot("demo").kdf), 3))
        vs = lifecycle.unlock(path, "demo", PASSPHRASE, clock=clock(), state_dir=state)
        try:
            def added_steps() -> None:
                with vs.reading():
                    active = {str(r[0]): str(r[1]) for r in vs.execute(
                        'SELECT username, role FROM "user" WHERE active = 1')}
                    role_grants.verify_unlock(vs.execute, vs.keys, "demo", "coordinator",
                                              vs.secret, vs.now_iso(), active=active)
                    role_grants.account_key_of(vs.execute, vs.keys, vs.secret)
                with vs.transaction():
                    sealing.seal_pending(vs.execute, vs.keys)

            added = median(timed(added_steps, rounds))
            with vs.reading():
                pid, count = vs.execute(
                    "SELECT person_id, count(*) FROM counseling_session WHERE sealed = 1 AND "
                    "person_id IS NOT NULL AND voided_at IS NULL GROUP BY person_id "
                    "ORDER BY 2 DESC LIMIT 1").fetchone()
                ids = [int(r[0]) for r in vs.execute(
                    "SELECT id FROM counseling_session WHERE person_id = ? AND sealed = 1",
                    (pid,))]
            opened = median(timed(lambda: persons.get_person(vs, int(pid)), rounds))
            with vs.transaction():  # the same notes as stored before: plain in the row
                for sid in ids:
                    text = sealed.unseal(vs, sid)
                    vs.execute("UPDATE counseling_session SET note = ?, intervention = ? "
                               "WHERE id = ?", (text.note, text.intervention, sid))
            plain = median(timed(lambda: persons.get_person(vs, int(pid)), rounds))
            sealed_save, plain_save, seal_later, merge = _saves(vs, rounds, seal_rounds)
        finally:
            vs.close()
    return [
        Result(f"unlock + dashboard ({preset})", unlocked * 1000, "ms", "Argon2id alone",
               kdf * 1000, "≤ 1 s at city"),
        Result(f"issue-11 steps of unlock ({preset})", added * 1000, "ms",
               "unlock + dashboard", unlocked * 1000, "small share of ≤ 1 s"),
        Result(f"record with {count} sealed notes ({preset})", opened * 1000, "ms",
               "notes plain (before)", plain * 1000, "≤ 100 ms"),
        Result(f"save a sealed session ({preset})", sealed_save * 1000, "ms",
               "the same unsealed", plain_save * 1000, "≤ 20 ms"),
        Result(f"seal a note saved unsealed ({preset})", seal_later * 1000, "ms",
               "save a sealed session", sealed_save * 1000, "≤ 100 ms"),
        Result(f"index optimize (before m10) ({preset})", merge * 1000, "ms",
               "seal a note saved unsealed", seal_later * 1000, "(was run per sealing)"),
    ]
