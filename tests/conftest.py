"""Shared fixtures: every storage test uses a real SQLCipher vault in ``tmp_path``."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from counselor_tui.i18n import set_language
from counselor_tui.services import vault
from counselor_tui.services.context import FixedClock, VaultSession

PASSPHRASE = "correct horse battery staple"
OTHER_PASSPHRASE = "purple elephant typing quietly"
TZ = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Fast key derivation (the 64 MiB / 2-pass floor), a private state folder, English."""
    monkeypatch.setenv("COUNSELOR_TUI_KDF_SECONDS", "0")
    monkeypatch.setenv("COUNSELOR_TUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("COUNSELOR_TUI_LANG", raising=False)
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 29, 9, 0, tzinfo=TZ))


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    folder.mkdir()
    return folder / "vault.db"


@pytest.fixture
def created(vault_path: Path, clock: FixedClock) -> vault.CreatedVault:
    return vault.create_vault(vault_path, bureau="测试县公安局", admin_username="admin",
                              passphrase=PASSPHRASE, clock=clock, kdf_seconds=0)


@pytest.fixture
def session(created: vault.CreatedVault, clock: FixedClock,
            state_dir: Path) -> Iterator[VaultSession]:
    vs = vault.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    yield vs
    vs.close()


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file below ``folder`` (relative name → hex)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def run_cli(*args: str, env_extra: dict[str, str] | None = None,
            cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m counselor_tui ARGS`` with the test environment."""
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "counselor_tui", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=timeout, check=False)


def write_secret(folder: Path, name: str, secret: str) -> Path:
    path = folder / name
    path.write_text(secret + "\n", encoding="utf-8")
    return path
