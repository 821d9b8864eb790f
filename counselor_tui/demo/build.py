"""Building the demo vault: create it, run the phases, count the rows."""

from __future__ import annotations

import contextlib
import os
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
from db.connection import InUseLock, fsync_path, side_files
from db.models import (
    ALL_MODELS,
)
from db.presence import folder_of as presence_folder
from db.vault import keys_path
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
    # built under a temporary name beside the vault and renamed into place when complete
    # (issue 18): the build writes without a journal, and an interrupted build must leave
    # nothing that could be taken for a vault
    building = path.parent / f".{path.name}.demo-{secrets.token_hex(4)}"
    created = lifecycle.create_vault(building, bureau=BUREAU, admin_username=ADMIN_USER,
                                     passphrase=passphrase, clock=clock,
                                     admin_display_name="系统管理员", kdf_seconds=kdf_seconds)
    try:
        vs = lifecycle.unlock(building, ADMIN_USER, passphrase, clock=clock,
                              state_dir=state_dir or paths.state_dir())
        try:
            builder = DemoBuilder(vs, preset, random.Random(seed),
                                  progress or (lambda _m: None))
            users = builder.build(passphrase, kdf_seconds)
            settings.save_settings(vs, DOCUMENT_SETTINGS)
            counts = _counts(vs)
        finally:
            lifecycle.lock(vs, "quit")
        _move_into_place(building, path)
    finally:
        # a half-built demo is worth nothing: remove what is left of the build (everything
        # once it failed; the lock and writer files beside it once it was moved)
        _remove_vault_files(building)
    return DemoResult(path, BUREAU, users, counts, created.recovery_code,
                      time.perf_counter() - started)


def _move_into_place(building: Path, path: Path) -> None:
    """Rename the built vault's files to ``path``: witness, key slots, then the database
    last (a vault is there once its database is). Raises :class:`InvalidInput` when a vault
    appeared at ``path`` meanwhile (nothing of it is touched)."""
    if lifecycle.vault_exists(path):
        raise InvalidInput(
            _("A vault already exists at {path}: the demo needs a new path.").format(path=path))
    fsync_path(building)  # written without synchronous commits: on disk before it counts
    for source, target in ((next_witness_path(building), next_witness_path(path)),
                           (witness_path(building), witness_path(path)),
                           (keys_path(building), keys_path(path)), (building, path)):
        if source.exists():
            os.replace(source, target)
    fsync_path(path.parent)


def _remove_vault_files(path: Path) -> None:
    for leftover in (*side_files(path), keys_path(path), InUseLock(path).path,
                     queue_path(path), witness_path(path), next_witness_path(path)):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    shutil.rmtree(presence_folder(path), ignore_errors=True)


def _counts(vs: VaultSession) -> dict[str, int]:
    with vs.reading():
        return {
            m._meta.table_name: int(vs.execute(
                f'SELECT COUNT(*) FROM "{m._meta.table_name}"').fetchone()[0])
            for m in ALL_MODELS
        }
