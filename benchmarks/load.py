"""Load test: many processes on one vault, as a bureau server runs them (issue 14, DESIGN §12).

``python -m benchmarks.load`` (``make load``): 30 processes for 60 s on a copy of the county
demo vault — 24 log counseling sessions with notes, 4 read the archive (search, person
record) and search notes, 1 compiles the month's submission, 1 takes backups — then
``check``. Printed: writes attempted, writes stored (must be equal), errors (must be 0),
save latency p50/p95/p99 under load and alone, and their ratio; the check and every backup
opened with the account's passphrase. Exit status 1 when stored ≠ attempted, an error
occurred, the check failed or a backup did not open.

Pacing (what the figures mean): a logger pauses ``--think`` seconds on average (exponential,
default 10 s) before each save — a counselor saves a session every few minutes, so 24
loggers at 10 s are about twenty times a bureau's busiest hour, and the random pauses still
bring saves together; they do not all start at the same instant, which no bureau does
either. A reader pauses ``--browse`` seconds (default 2 s) before each round of person
search, note search and person record (which writes its view event). The compiler and the
backup process work back to back for the whole run (a month's compile and a full backup
every few seconds: far more than a real server, kept as the heavy background); the backup
process runs at the CPU priority the server's backup timer has (``nice`` 10).
``--think 0 --browse 0`` saturates the write lock (every process in a tight loop). Before the
load, one logger saves alone for a few seconds (every 0.25 s on average) in the same run:
the baseline of the save latency. ``--no-queue`` turns the writers' queue
(:mod:`db.write_queue`) off in every process, to measure what it does.

``--sync-witness`` rewrites the witness inside each save, on the saving thread, as before
the witness writer thread (:mod:`counselor_tui.services.witness`), to measure what it does.

``--fresh`` builds a small vault instead of the demo one (the short version in the test
suite: ``tests/integration/test_load.py``). Every process is a real OS process with its own
connection, its own unlock (key derivation) and the product's own services.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import PASSPHRASE, ensure_vault
from counselor_tui.services import (
    accounts,
    backup_restore,
    integrity,
    lifecycle,
    persons,
    sessions,
    submissions,
    witness,
)
from counselor_tui.services.context import SystemClock, VaultSession
from counselor_tui.services.person_record import get_person
from counselor_tui.services.person_search import find_persons
from counselor_tui.services.sessions import SessionDraft
from db import write_queue

FRESH_USER = "load"
NOTE = ("来访民警近期连续加班，睡眠不足，情绪低落。\n与配偶沟通减少，担心子女学业。\n"
        "已做放松训练，约一周后随访。")
WORDS = ("睡眠", "加班", "配偶", "子女", "放松")
SURNAMES = "王李张刘陈杨赵黄周吴"
#: CPU priority of the backup process: what deploy/setup-bureau-server.sh gives the backup
#: timer (``Nice=10``; cron: ``nice -n 10``).
BACKUP_NICE = 10
#: Mean pause between the lone logger's saves (the baseline wants many saves, and nobody
#: else writes meanwhile).
ALONE_THINK = 0.25


@dataclass(frozen=True)
class Plan:
    """How many processes of each kind, for how long (seconds), and the alone baseline."""

    loggers: int = 24
    readers: int = 4
    compilers: int = 1
    backups: int = 1
    seconds: float = 60.0
    alone_seconds: float = 5.0
    #: Mean pause of a logger before each save (exponential, so saves come at random
    #: moments and sometimes together; 0 = back to back). A counselor saves a session every
    #: few minutes: 10 s is still about twenty times that pace.
    think: float = 10.0
    #: Mean pause of a reader before each round of person search, note search and person
    #: record (exponential; 0 = back to back): a person reads what a search found.
    browse: float = 2.0


@dataclass
class Outcome:
    """What one process reports back."""

    kind: str
    attempted: int = 0
    stored: int = 0
    operations: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _session_draft(person_id: int, marker: str, n: int) -> SessionDraft:
    started = SystemClock().now() - timedelta(minutes=30 + n % 600)
    return SessionDraft(person_id=person_id, started_at=started, channel="face_to_face",
                        kind="routine", topics=("work_stress",), duration_min=50,
                        note=f"{NOTE}\n{marker}-{n}")


def _pause(rng: random.Random, mean: float, deadline: float) -> None:
    """Sleep an exponentially distributed time of ``mean`` seconds (not past ``deadline``)."""
    if mean > 0:
        time.sleep(min(rng.expovariate(1 / mean), max(0.0, deadline - time.monotonic())))


def _work(kind: str, vs: VaultSession, deadline: float, ids: list[int], marker: str,
          out_dir: Path, out: Outcome, think: float, browse: float) -> None:
    rng = random.Random(os.getpid())
    n = 0
    while time.monotonic() < deadline:
        n += 1
        try:
            if kind == "logger":
                _pause(rng, think, deadline)  # writing the note: saves do not start in step
                if time.monotonic() >= deadline:
                    break
                draft = _session_draft(rng.choice(ids), marker, n)
                out.attempted += 1
                start = time.perf_counter()
                sessions.log_session(vs, draft)
                out.latencies.append(time.perf_counter() - start)
                out.stored += 1
            elif kind == "reader":
                _pause(rng, browse, deadline)
                if time.monotonic() >= deadline:
                    break
                find_persons(vs, rng.choice(SURNAMES))
                sessions.search_notes(vs, rng.choice(WORDS))
                get_person(vs, rng.choice(ids))  # writes its 'view person' event
            elif kind == "compiler":
                submissions.compile_draft(vs, "2026-11")
            elif kind == "backup":
                backup_restore.backup(vs, out_dir, keep=3)
            out.operations += 1
        except Exception as exc:  # every failure is counted and reported, never hidden
            out.errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:300])


def worker(kind: str, path: str, user: str, state_dir: str, ids: list[int], marker: str,
           out_dir: str, seconds: float, pace: tuple[float, float], unlock_slots: Any,
           ready: Any, go: Any, results: Any) -> None:
    """One process: unlock (a few at a time, as people arrive), say ready, wait for the
    start, work for ``seconds``, report an :class:`Outcome` (as a dict) on ``results``."""
    out = Outcome(kind)
    vs: VaultSession | None = None
    if kind == "backup":
        os.nice(BACKUP_NICE)  # as the server's backup timer runs
    try:
        with unlock_slots:
            vs = lifecycle.unlock(Path(path), user, PASSPHRASE, clock=SystemClock(),
                              state_dir=Path(state_dir))
    except Exception as exc:
        out.errors.append(f"unlock: {type(exc).__name__}: {exc}"[:300])
    ready.put(os.getpid())
    go.wait()
    try:
        if vs is not None:
            _work(kind, vs, time.monotonic() + seconds, ids, marker, Path(out_dir), out,
                  *pace)
    except BaseException:
        out.errors.append(traceback.format_exc()[-300:])
    finally:
        if vs is not None:
            vs.close()
        results.put(out.__dict__)


def prepare_fresh(folder: Path, persons_count: int = 60) -> tuple[Path, str]:
    """A new vault in ``folder`` with one unit, a coordinator ``load`` and some officers;
    returns (database path, username)."""
    path = folder / "vault.db"
    clock = SystemClock()
    lifecycle.create_vault(path, bureau="负载测试局", admin_username="admin",
                       passphrase=PASSPHRASE, clock=clock, kdf_seconds=0)
    admin = lifecycle.unlock(path, "admin", PASSPHRASE, clock=clock, state_dir=_state(folder))
    try:
        unit = persons.create_unit(admin, "城关派出所", "派出所", code="U001")
        accounts.add_user(admin, FRESH_USER, "coordinator", PASSPHRASE, kdf_seconds=0)
    finally:
        admin.close()
    office = lifecycle.unlock(path, FRESH_USER, PASSPHRASE, clock=clock,
                              state_dir=_state(folder))
    try:  # persons are the office's to create (an admin reads and writes none, DESIGN §5)
        for i in range(persons_count):
            persons.create_person(office, persons.PersonDraft(
                kind="officer", name=f"{SURNAMES[i % len(SURNAMES)]}警官{i}",
                badge_no=f"L{i:05d}", unit_id=unit, police_type="派出所"))
    finally:
        office.close()
    return path, FRESH_USER


def _state(folder: Path) -> Path:
    return folder / "state"


def _person_ids(path: Path, user: str, folder: Path) -> list[int]:
    vs = lifecycle.unlock(path, user, PASSPHRASE, clock=SystemClock(), state_dir=_state(folder))
    try:
        with vs.reading():
            return [int(r[0]) for r in vs.execute(
                "SELECT id FROM person WHERE kind = 'officer' ORDER BY id LIMIT 500")]
    finally:
        vs.close()


def _stored(path: Path, user: str, folder: Path, marker: str) -> int:
    vs = lifecycle.unlock(path, user, PASSPHRASE, clock=SystemClock(), state_dir=_state(folder))
    try:
        with vs.reading():
            row = vs.execute("SELECT count(*) FROM counseling_session WHERE note LIKE ?",
                             (f"%{marker}-%",)).fetchone()
        return int(row[0])
    finally:
        vs.close()


def _run_phase(plan: list[tuple[str, int]], path: Path, user: str, folder: Path,
               ids: list[int], marker: str, seconds: float,
               pace: tuple[float, float]) -> list[Outcome]:
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    slots = ctx.Semaphore(4)
    procs = []
    for kind, count in plan:
        for _ in range(count):
            proc = ctx.Process(target=worker, args=(
                kind, str(path), user, str(_state(folder)), ids, marker,
                str(folder / "backups"), seconds, pace, slots, ready, go, results))
            proc.start()
            procs.append(proc)
    for _ in procs:
        ready.get(timeout=600)
    go.set()
    outcomes = [Outcome(**results.get(timeout=seconds + 600)) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    return outcomes


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0–100) of ``values`` (NaN when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


@dataclass(frozen=True)
class LoadReport:
    """The printed figures of one run (latencies in seconds)."""

    attempted: int
    stored: int
    errors: tuple[str, ...]
    loaded: tuple[float, float, float]
    alone: tuple[float, float, float]
    operations: dict[str, int]
    check_ok: bool
    chain_ok: bool
    backups: int
    backups_open: int

    @property
    def ok(self) -> bool:
        return (self.attempted == self.stored and not self.errors and self.check_ok
                and self.chain_ok and self.backups == self.backups_open)

    def lines(self) -> list[str]:
        ms = [f"{v * 1000:.1f}" for v in (*self.loaded, *self.alone)]
        ratio = self.loaded[1] / self.alone[1] if self.alone[1] else float("nan")
        return [
            f"writes attempted        {self.attempted}",
            f"writes stored           {self.stored}",
            f"errors                  {len(self.errors)}",
            f"save latency under load p50 {ms[0]} ms  p95 {ms[1]} ms  p99 {ms[2]} ms",
            f"save latency alone      p50 {ms[3]} ms  p95 {ms[4]} ms  p99 {ms[5]} ms",
            f"ratio p95 load/alone    {ratio:.2f}   (target: p95 under load <= 100 ms)",
            "operations              " + ", ".join(f"{k} {v}" for k, v in
                                                   sorted(self.operations.items())),
            f"check                   {'ok' if self.check_ok else 'FAILED'}"
            f" (audit chain {'intact' if self.chain_ok else 'BROKEN'})",
            f"backups opened          {self.backups_open} of {self.backups}",
            *[f"  error: {e}" for e in self.errors[:10]],
        ]


def _open_backups(folder: Path, user: str) -> tuple[int, int]:
    """How many backups the folder holds, and how many of them open with ``user``'s
    passphrase and pass ``check``."""
    found = sorted((folder / "backups").glob("*.db"))
    opened = 0
    for backup_file in found:
        result = integrity.check_vault(backup_file, user, PASSPHRASE, state_dir=_state(folder),
                                   clock=SystemClock())
        opened += int(result.ok)
    return len(found), opened


def run(plan: Plan, folder: Path, *, fresh: bool, preset: str = "county") -> LoadReport:
    """Run the load in ``folder`` (emptied scratch space) and return the figures."""
    os.environ.setdefault("COUNSELOR_TUI_STATE_DIR", str(_state(folder)))
    (folder / "backups").mkdir(mode=0o700)
    if fresh:
        path, user = prepare_fresh(folder)
    else:
        cached = ensure_vault(preset)
        path, user = folder / "vault.db", "demo"
        shutil.copyfile(cached, path)
        shutil.copyfile(f"{cached}.keys", f"{path}.keys")
    ids = _person_ids(path, user, folder)
    marker = f"LOAD{os.getpid()}{int(time.time())}"
    pace = (plan.think, plan.browse)
    alone = _run_phase([("logger", 1)], path, user, folder, ids, marker, plan.alone_seconds,
                       (min(plan.think, ALONE_THINK), plan.browse))
    loaded = _run_phase([("logger", plan.loggers), ("reader", plan.readers),
                         ("compiler", plan.compilers), ("backup", plan.backups)],
                        path, user, folder, ids, marker, plan.seconds, pace)
    everything = alone + loaded
    operations: dict[str, int] = {}
    for o in loaded:
        operations[o.kind] = operations.get(o.kind, 0) + o.operations
    load_lat = [v for o in loaded for v in o.latencies]
    alone_lat = [v for o in alone for v in o.latencies]
    result = integrity.check_vault(path, user, PASSPHRASE, state_dir=_state(folder),
                               clock=SystemClock())
    backups, opened = _open_backups(folder, user)
    return LoadReport(
        attempted=sum(o.attempted for o in everything),
        stored=_stored(path, user, folder, marker),
        errors=tuple(e for o in everything for e in o.errors),
        loaded=tuple(percentile(load_lat, q) for q in (50, 95, 99)),  # type: ignore[arg-type]
        alone=tuple(percentile(alone_lat, q) for q in (50, 95, 99)),  # type: ignore[arg-type]
        operations=operations, check_ok=result.ok,
        chain_ok=result.chain is not None and result.chain.ok,
        backups=backups, backups_open=opened)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--loggers", type=int, default=24)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--compilers", type=int, default=1)
    parser.add_argument("--backups", type=int, default=1)
    parser.add_argument("--alone-seconds", type=float, default=5.0)
    parser.add_argument("--think", type=float, default=Plan.think,
                        help="mean seconds a logger pauses between saves (0: back to back)")
    parser.add_argument("--browse", type=float, default=Plan.browse,
                        help="mean seconds a reader pauses between searches (0: back to back)")
    parser.add_argument("--no-queue", action="store_true",
                        help="writers without the writers' queue (db/write_queue.py): "
                             "SQLite's own busy wait alone, to measure what the queue does")
    parser.add_argument("--sync-witness", action="store_true",
                        help="the witness rewritten on the saving thread, inside each save "
                             "(services/witness.py), to measure what the writer thread does")
    parser.add_argument("--fresh", action="store_true",
                        help="a small new vault instead of the county demo vault")
    args = parser.parse_args(argv)
    if args.no_queue:
        os.environ[write_queue.SWITCH] = "off"  # inherited by every worker process
    if args.sync_witness:
        os.environ[witness.SWITCH] = "sync"
    plan = Plan(args.loggers, args.readers, args.compilers, args.backups, args.seconds,
                args.alone_seconds, args.think, args.browse)
    with tempfile.TemporaryDirectory(prefix="counselor-load-") as tmp:
        print(f"load: {plan.loggers} loggers, {plan.readers} readers, {plan.compilers} "
              f"compiler, {plan.backups} backup process(es) for {plan.seconds:.0f} s "
              f"on {os.cpu_count()} cores; loggers pause {plan.think:g} s and readers "
              f"{plan.browse:g} s on average; writers' queue "
              f"{'off' if args.no_queue else 'on'}; witness rewritten "
              f"{'in the save' if args.sync_witness else 'by the writer thread'}", flush=True)
        report = run(plan, Path(tmp), fresh=args.fresh)
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
