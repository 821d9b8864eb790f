"""Building the demo vault: create it, run the phases, count the rows."""

from __future__ import annotations

import contextlib
import random
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from counselor_tui import paths
from counselor_tui.demo.builder import DemoBuilder
from counselor_tui.demo.sizes import (
    ADMIN_USER,
    BUREAU,
    DEMO_USER,
    DOCUMENT_SETTINGS,
    SIZES,
    DemoResult,
    DemoSize,
)
from counselor_tui.domain import demo_names as names
from counselor_tui.domain.passphrase import check_new_passphrase
from counselor_tui.i18n import _
from counselor_tui.services import lifecycle, settings
from counselor_tui.services.context import Clock, VaultSession
from counselor_tui.services.errors import InvalidInput
from db.connection import InUseLock, side_files
from db.models import (
    ALL_MODELS,
)
from db.presence import folder_of as presence_folder
from db.witness import next_witness_path, witness_path
from db.write_queue import queue_path


def generate_passphrase() -> str:
    """Four random words (``secrets``) that pass the vault's strength rule (zxcvbn ≥ 3)."""
    system = secrets.SystemRandom()
    while True:
        candidate = names.passphrase(system)
        try:
            check_new_passphrase(candidate, (DEMO_USER,))
        except ValueError:
            continue
        return candidate


def build_demo(
    path: Path,
    size: str | DemoSize,
    seed: int,
    passphrase: str,
    clock: Clock,
    kdf_seconds: float = 0.5,
    *,
    state_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Build the demo bureau of preset ``size`` (a key of :data:`SIZES`, or a
    :class:`DemoSize` of one's own, e.g. for benchmarks) into a NEW vault.

    ``passphrase`` protects every account; ``clock`` gives "now" (all data lies in the two
    years before it); ``kdf_seconds`` is the Argon2id target per key slot; ``state_dir`` the
    failed-attempt folder (default :func:`counselor_tui.paths.state_dir`); ``progress``
    receives one translated line per finished phase.

    Raises :class:`InvalidInput` (exit 2) for an unknown size, an existing vault or a weak
    passphrase — before anything is written.
    """
    if isinstance(size, DemoSize):
        preset = size
    elif size in SIZES:
        preset = SIZES[size]
    else:
        raise InvalidInput(_("Unknown demo size {size}: use one of {sizes}.").format(
            size=size, sizes=", ".join(SIZES)))
    path = Path(path)
    if lifecycle.vault_exists(path):
        raise InvalidInput(
            _("A vault already exists at {path}: the demo needs a new path.").format(path=path))
    started = time.perf_counter()
    created = lifecycle.create_vault(path, bureau=BUREAU, admin_username=ADMIN_USER,
                                 passphrase=passphrase, clock=clock,
                                 admin_display_name="系统管理员", kdf_seconds=kdf_seconds)
    try:
        vs = lifecycle.unlock(path, ADMIN_USER, passphrase, clock=clock,
                          state_dir=state_dir or paths.state_dir())
        try:
            builder = DemoBuilder(vs, preset, random.Random(seed),
                               progress or (lambda _m: None))
            users = builder.build(passphrase, kdf_seconds)
            settings.save_settings(vs, DOCUMENT_SETTINGS)
            counts = _counts(vs)
        finally:
            lifecycle.lock(vs, "quit")
    except BaseException:
        # a half-built demo is worth nothing and would block the next attempt: remove the
        # files this call created (never a vault that existed before: refused above)
        for leftover in (*side_files(path), created.keys_path, InUseLock(path).path,
                         queue_path(path), witness_path(path), next_witness_path(path)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        shutil.rmtree(presence_folder(path), ignore_errors=True)
        raise
    return DemoResult(path, BUREAU, users, counts, created.recovery_code,
                      time.perf_counter() - started)


def _counts(vs: VaultSession) -> dict[str, int]:
    with vs.reading():
        return {
            m._meta.table_name: int(vs.execute(
                f'SELECT COUNT(*) FROM "{m._meta.table_name}"').fetchone()[0])
            for m in ALL_MODELS
        }
