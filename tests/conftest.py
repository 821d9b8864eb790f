"""Shared fixtures: every storage test uses a real SQLCipher vault in ``tmp_path``.

``created`` / ``session`` / ``world`` are a byte copy of a template built once per test session
(see :mod:`tests.worlds`); a module picks its world by overriding ``world_kind``."""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import importlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import py7zr.compressor as py7zr_compressor
import pytest
from hypothesis import HealthCheck, settings
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.css.types import CSSLocation

from counselor_tui import cli, i18n
from counselor_tui.i18n import set_language
from counselor_tui.services import lifecycle
from counselor_tui.services.context import FixedClock, VaultSession
from db import vault as key_slots
from tests import worlds
from tests.worlds import OTHER_PASSPHRASE, PASSPHRASE, REPO, SAMPLES, World

__all__ = ["OTHER_PASSPHRASE", "PASSPHRASE", "REPO", "SAMPLES", "TZ", "World"]

TZ = ZoneInfo("Asia/Shanghai")

key_slots.derive = worlds.derive_once  # each Argon2id result derived once per process
key_slots.new_salt = worlds.fixed_salt  # ... and each passphrase's slots share one salt
# 7zAES key derivation (py7zr's own calculate_key: 2**19 SHA-256 blocks per key, once for
# the data and once for the encrypted header) is most of the CPU of writing and opening a
# package; the tests reuse a few package passwords, so each key is derived once per process
# by the library's own function and then remembered (test-only, like Argon2id above)
py7zr_compressor.calculate_key = functools.lru_cache(maxsize=512)(  # type: ignore[attr-defined]
    py7zr_compressor.calculate_key)  # type: ignore[attr-defined]

# the modules that register world kinds (tests.worlds.KINDS), so any module may name them
importlib.import_module("tests.integration.archive_world")
importlib.import_module("tests.integration.census_world")
importlib.import_module("tests.functional.ui_support")

# Every app a Pilot test starts parses the same Textual CSS (the widgets' DEFAULT_CSS, the
# app's and its screens' files) into rule sets again: 2.5 % of the suite's CPU. A parse is a
# pure function of the text, where it came from and the theme's variables, and the rule sets
# are only read afterwards, so this process parses each once (an error is raised each time,
# as before: failures are not remembered).
_parsed_css: dict[tuple[Any, ...], list[RuleSet]] = {}
_parse_css_rules = Stylesheet._parse_rules


def _parse_css_rules_once(self: Stylesheet, css: str, read_from: CSSLocation,
                          is_default_rules: bool = False, tie_breaker: int = 0,
                          scope: str = "") -> list[RuleSet]:
    key = (css, read_from, is_default_rules, tie_breaker, scope,
           tuple(sorted(self._variables.items())))
    if key not in _parsed_css:
        _parsed_css[key] = _parse_css_rules(self, css, read_from, is_default_rules,
                                            tie_breaker, scope)
    return _parsed_css[key]


Stylesheet._parse_rules = _parse_css_rules_once  # type: ignore[method-assign]

# The suite's heap is large (Textual, the app, every module of the product): the collector's
# full passes over it cost 8-17 % of a Pilot test's CPU (measured on the archive and form
# tests, same machine, alternating runs). What is imported by now lives to the end, so it
# leaves the collector's generations, and young objects are collected less often; test code
# that leaks cycles still has them collected.
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 20)

# Property tests: a loaded machine (pytest-xdist workers, other jobs) makes an example slow
# now and then, which is no failure of the property; Hypothesis's 200 ms deadline and its
# "too slow" health check turned that into a red run (test_dates, the K10 scoring test).
# Examples are derived from each test's own name, so a run cannot fail at random: a
# property that breaks, breaks on every run, with the falsifying example printed.
settings.register_profile("suite", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Fast key derivation (the 64 MiB / 2-pass floor), a private state folder, English."""
    monkeypatch.setenv("COUNSELOR_TUI_KDF_SECONDS", "0")
    monkeypatch.setenv("COUNSELOR_TUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("COUNSELOR_TUI_ATTEMPTS_MIRROR", str(tmp_path / "attempts-mirror"))
    monkeypatch.setenv("COUNSELOR_TUI_KEYMAP", str(tmp_path / "keymap.toml"))  # none
    monkeypatch.delenv("COUNSELOR_TUI_LANG", raising=False)
    monkeypatch.delenv("COUNSELOR_TUI_ATTEMPTS_JOURNAL", raising=False)
    set_language("en")
    yield
    set_language("en")


@pytest.fixture(autouse=True)
def _random_salts_for_attacks(request: pytest.FixtureRequest,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The security tests make every slot with a random salt, as the product does; what they
    derive is remembered like everywhere else (:func:`tests.worlds.derive_once`: Argon2id
    is deterministic, so a remembered result is the one a real derivation gives, and an
    edited salt, cost or passphrase is a new derivation, made for real and checked against
    the floor)."""
    if request.path.parent.name == "security":
        monkeypatch.setattr(key_slots, "new_salt", worlds._real_new_salt)


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> worlds.Templates:
    """The world templates of this test session (this xdist worker)."""
    return worlds.Templates(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def world_kind(request: pytest.FixtureRequest) -> str:
    """Which world ``created`` / ``session`` / ``world`` copy (see :data:`worlds.KINDS`): the
    closest ``@pytest.mark.world("kind")`` (a test's, else its module's ``pytestmark``), else
    ``"empty"`` (the vault and its admin)."""
    marker = request.node.get_closest_marker("world")
    return str(marker.args[0]) if marker else "empty"


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
def created(vault_path: Path, clock: FixedClock, templates: worlds.Templates,
            world_kind: str) -> lifecycle.CreatedVault:
    """A copy of the ``world_kind`` template at ``vault_path`` (bureau 测试县公安局, admin
    ``admin`` / :data:`PASSPHRASE`, created at the ``clock``'s instant)."""
    return templates.copy(world_kind, clock.now(), vault_path)


@pytest.fixture
def session(created: lifecycle.CreatedVault, clock: FixedClock,
            state_dir: Path) -> Iterator[VaultSession]:
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    yield vs
    vs.close()


@pytest.fixture
def world(templates: worlds.Templates, world_kind: str, session: VaultSession,
          created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path) -> Iterator[World]:
    """The ``world_kind`` world on this test's copy; ``world.admin`` is ``session``."""
    w = templates.world(world_kind, session, created, clock, state_dir)
    yield w
    w.close()


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file below ``folder`` (relative name → hex)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def run_cli(*args: str, env_extra: dict[str, str] | None = None,
            cwd: Path | None = None, timeout: float = 120,
            isolated: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the command line ``counselor-tui ARGS`` with the test environment and return its
    exit code, stdout and stderr.

    By default in this process (``cli.main`` with stdout/stderr captured, the environment,
    working directory and interface language restored afterwards), which costs no interpreter
    start and derives each Argon2id key once (:func:`tests.worlds.derive_once`). A test that
    needs a process of its own — a fresh interpreter's imports, a signal, a resource limit, a
    hang cut by ``timeout`` — passes ``isolated=True`` for ``python -m counselor_tui``."""
    if isolated:
        env = dict(os.environ)
        env.update(env_extra or {})
        return subprocess.run([sys.executable, "-m", "counselor_tui", *args],
                              capture_output=True, text=True, env=env, cwd=cwd,
                              timeout=timeout, check=False)
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_language = i18n.language()
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    try:
        os.environ.update(env_extra or {})
        if cwd is not None:
            os.chdir(cwd)
        sys.stdin = io.StringIO("")  # not a terminal, like a subprocess with no input
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(args))
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        set_language(saved_language)
    return subprocess.CompletedProcess(["counselor-tui", *args], code, out.getvalue(),
                                       err.getvalue())


def write_secret(folder: Path, name: str, secret: str) -> Path:
    path = folder / name
    path.write_text(secret + "\n", encoding="utf-8")
    return path
