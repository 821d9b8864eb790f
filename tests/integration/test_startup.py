"""The interface's start (issue 18: first frame ≤ 0.4 s, dashboard filled ≤ 1.0 s at province).

Timed in ``benchmarks/bench_startup.py``; here only what the start must not do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from counselor_tui import cli
from counselor_tui.services import health, lifecycle
from counselor_tui.ui.app import CounselorApp
from tests.helpers import fresh_interpreter
from tests.worlds import PASSPHRASE


def test_the_interface_opens_without_waiting_for_the_unlock_or_the_health_check(
        created: lifecycle.CreatedVault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``counselor-tui --user U --passphrase-file F`` opens the interface at once, handing it
    the passphrase: the key derivation (Argon2id, 0.3 s) runs behind the first frame, in the
    unlock screen's worker (tests/functional/test_ui_start.py), and the open-time health
    check (a read of the whole file: minutes at province) in the app's worker. A headless
    command still unlocks and checks first."""
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    secret.chmod(0o600)
    events: list[str] = []
    real_check = health.check_health

    def check(vs: Any, **kwargs: Any) -> health.HealthReport:
        events.append("health check")
        return real_check(vs, **kwargs)

    def run(app: CounselorApp, *args: Any, **kwargs: Any) -> None:
        events.append("interface, unlocked" if app.backend.unlocked
                      else f"interface, given {app.start_passphrase == PASSPHRASE}")

    monkeypatch.setattr(health, "check_health", check)
    monkeypatch.setattr(CounselorApp, "run", run)
    base = ["--vault", str(created.path), "--user", "admin", "--passphrase-file", str(secret)]
    assert cli.main(base) == 0
    assert events == ["interface, given True"]
    assert cli.main([*base, "users", "list"]) == 0
    assert events == ["interface, given True", "health check"]
    assert cli.main(["--vault", str(tmp_path / "none.db"), "--user", "admin",
                     "--passphrase-file", str(secret)]) == 2  # no vault there: said at once
    assert events == ["interface, given True", "health check"]


#: Libraries a document, an import, a search or the disclosure check loads when first used;
#: none is needed to show the first screen (issue 18: "import only what the first screen
#: needs"). python-docx and lxml together alone cost about 15 MB and 0.2 s at every start.
HEAVY = ("numpy", "scipy", "highspy", "pypinyin", "py7zr", "openpyxl", "docx", "lxml",
         "pdfplumber", "defusedxml")


def test_the_interface_start_imports_no_heavy_library() -> None:
    """What ``counselor-tui`` imports before its first frame (the command line and the
    interface's modules) loads none of :data:`HEAVY` (a fresh interpreter: this one has
    loaded them for other tests)."""
    code = ("import sys\n"
            "import counselor_tui.cli, counselor_tui.commands.tui\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n")
    assert fresh_interpreter(code) == "[]"


def test_the_interface_start_imports_no_headless_command() -> None:
    """``counselor-tui`` with global options only reads them without importing a command
    module (nor the services behind them): the command line and the interface's module
    load ``commands.tui`` and what it needs, never ``commands.submissions``, ``score`` …
    (issue 18: the first frame does not wait for every command). A command still gets the
    full parser."""
    code = ("import sys\n"
            "from counselor_tui import cli\n"
            "args = cli.interface_args(['--vault', 'v', '--user', 'u', '--lang', 'zh'])\n"
            "assert args is not None and args.command is None and args.user == 'u'\n"
            "assert cli.interface_args(['--vault', 'v', 'users', 'list']) is None\n"
            "assert cli.interface_args(['--help']) is None\n"
            "assert cli.interface_args(['--lang', 'fr']) is None\n"
            "import counselor_tui.commands.tui\n"
            "print(sorted(m for m in sys.modules if m.startswith('counselor_tui.commands.')))\n")
    assert fresh_interpreter(code) == str(["counselor_tui.commands.common",
                                      "counselor_tui.commands.tui"])
