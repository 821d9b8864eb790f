"""What encrypting sealed notes to their readers and signing grants cost (issue 11).

* unlock + dashboard as the coordinator ``demo``, against what the issue-11 steps of the
  unlock take alone (grant chain verification, opening the account key, looking for plain
  sealed notes) — the share those steps add;
* opening the person record with the most sealed sessions (every note opened with the
  coordinator's slot key), against the same record with those notes stored plain as they
  were before this change (same run, same copy of the vault).
"""

from __future__ import annotations

from benchmarks.common import (
    PASSPHRASE,
    Result,
    clock,
    ensure_vault,
    median,
    scratch_copy,
    timed,
)
from counselor_tui.services import dashboard, lifecycle, persons, role_grants, sealed
from db import sealing


def run(preset: str = "county", rounds: int = 15) -> list[Result]:
    with scratch_copy(ensure_vault(preset)) as path:
        state = path.parent / "st"

        def unlock() -> None:
            vs = lifecycle.unlock(path, "demo", PASSPHRASE, clock=clock(), state_dir=state)
            dashboard.gather(vs)
            vs.close()

        unlock()  # the first unlock binds the slot and seals anything plain: not measured
        unlocked = median(timed(unlock, 3))
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
        finally:
            vs.close()
    return [
        Result(f"issue-11 steps of unlock ({preset})", added * 1000, "ms",
               "unlock + dashboard", unlocked * 1000, "small share of ≤ 1 s"),
        Result(f"record with {count} sealed notes ({preset})", opened * 1000, "ms",
               "notes plain (before)", plain * 1000, "≤ 100 ms"),
    ]
