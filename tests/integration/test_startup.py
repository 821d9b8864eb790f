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
from tests.worlds import PASSPHRASE


def test_the_interface_opens_without_waiting_for_the_health_check(
        created: lifecycle.CreatedVault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``counselor-tui --user U --passphrase-file F`` unlocks and opens the interface at once;
    the open-time health check (a read of the whole file: minutes at province) is the app's
    worker's, not a wait before the first frame. A headless command still checks first."""
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    secret.chmod(0o600)
    events: list[str] = []
    real_check = health.check_health

    def check(vs: Any, **kwargs: Any) -> health.HealthReport:
        events.append("health check")
        return real_check(vs, **kwargs)

    def run(app: CounselorApp, *args: Any, **kwargs: Any) -> None:
        events.append("interface" if app.backend.unlocked else "interface, locked")

    monkeypatch.setattr(health, "check_health", check)
    monkeypatch.setattr(CounselorApp, "run", run)
    base = ["--vault", str(created.path), "--user", "admin", "--passphrase-file", str(secret)]
    assert cli.main(base) == 0
    assert events == ["interface"]
    assert cli.main([*base, "users", "list"]) == 0
    assert events == ["interface", "health check"]
