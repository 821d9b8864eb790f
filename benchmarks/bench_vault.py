"""Unlock and session save (DESIGN §11).

* unlock = key derivation + open + dashboard data, against the key derivation alone;
* save a session (audit event + note index) against a bare INSERT of the same row.
"""

from __future__ import annotations

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
from counselor_tui.services import dashboard, lifecycle, sessions
from counselor_tui.services.context import VaultSession
from db import vault as slots

NOTE = ("来访民警近期连续加班，睡眠不足，情绪低落。\n与配偶沟通减少，担心子女学业。\n"
        "已做放松训练，约一周后随访。")


def unlock_once(preset: str) -> float:
    path = ensure_vault(preset)
    times = []
    for _ in range(3):
        def op() -> None:
            vs = lifecycle.unlock(path, "demo", PASSPHRASE, clock=clock(),
                              state_dir=path.parent / "st")
            dashboard.gather(vs)
            vs.close()
        times += timed(op, 1)
    return median(times)


def kdf_once(preset: str) -> float:
    path = ensure_vault(preset)
    keys = slots.load(slots.keys_path(path))
    slot = keys.user_slot("demo")
    return median(timed(lambda: slots.derive(PASSPHRASE, slot.kdf), 3))


def _person(vs: VaultSession) -> int:
    with vs.reading():
        return int(vs.execute("SELECT id FROM person WHERE kind='officer' LIMIT 1").fetchone()[0])


def session_save(vs: VaultSession, rounds: int) -> tuple[float, float]:
    pid = _person(vs)
    draft = sessions.SessionDraft(
        person_id=pid, started_at=vs.now() - timedelta(hours=1), channel="face_to_face",
        kind="routine", topics=("work_stress", "health_sleep"), duration_min=50, note=NOTE,
        risk="low")
    save = median(timed(lambda: sessions.log_session(vs, draft), rounds))

    def bare() -> None:
        now = vs.now_iso()
        with vs.transaction():
            vs.execute(
                "INSERT INTO counseling_session(created_at, created_by_id, updated_at,"
                " updated_by_id, person_id, counselor_id, started_at, duration_min, channel,"
                " kind, note, risk, intervention, referral, sealed) VALUES"
                " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
                (now, vs.actor.id, now, vs.actor.id, pid, vs.actor.id, now, 50, "hotline",
                 "routine", NOTE, "none", "", "none"))

    base = median(timed(bare, rounds))
    return save, base


def run(preset: str = "county", rounds: int = 30) -> list[Result]:
    kdf = kdf_once(preset)
    unlock = unlock_once(preset)
    with scratch_copy(ensure_vault(preset)) as path:  # writes never touch the cached vault
        vs = lifecycle.unlock(path, "demo", PASSPHRASE, clock=clock(),
                          state_dir=path.parent / "st")
        try:
            save, bare = session_save(vs, rounds)
        finally:
            vs.close()
    return [
        Result(f"unlock + dashboard ({preset})", unlock * 1000, "ms", "Argon2id alone",
               kdf * 1000, "≤ 1 s at city"),
        Result(f"save a session ({preset})", save * 1000, "ms", "bare INSERT", bare * 1000,
               "≤ 20 ms"),
    ]
