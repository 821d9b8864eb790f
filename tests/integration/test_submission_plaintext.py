"""``submission compile --json`` prints the suppressed view; exact counts need
``--plaintext``, warn on stderr, are audited and are refused for auditors (issue 12,
DESIGN §5 "No plaintext leaks")."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from counselor_tui.i18n import set_language
from counselor_tui.reports.view import build
from counselor_tui.services import accounts, audit, lifecycle
from counselor_tui.services.context import FixedClock
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, run_cli, write_secret
from tests.integration.submission_fixtures import populate
from tests.worlds import OFFICE, add_office

PERIOD = "2026-10"


@pytest.fixture
def cli(created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path,
        tmp_path: Path) -> dict[str, list[str]]:
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        populate(vs)
        accounts.add_user(vs, "shen", "auditor", OTHER_PASSPHRASE, kdf_seconds=0)
        add_office(vs)
    finally:
        vs.close()
    admin_pw = write_secret(tmp_path, "admin.txt", PASSPHRASE)
    auditor_pw = write_secret(tmp_path, "auditor.txt", OTHER_PASSPHRASE)
    base = ["--lang", "en", "--vault", str(created.path)]
    return {"office": [*base, "--user", OFFICE, "--passphrase-file", str(admin_pw)],
            "auditor": [*base, "--user", "shen", "--passphrase-file", str(auditor_pw)]}


def _cells(view: dict[str, Any]) -> list[list[str]]:
    return [row for section in view["sections"] for table in section["tables"]
            for row in table["rows"]]


def test_compile_json_prints_the_suppressed_view_by_default(
        cli: dict[str, list[str]]) -> None:
    exact_run = run_cli(*cli["office"], "submission", "compile", "--period", PERIOD, "--json",
                        "--plaintext", "--preview")
    document = json.loads(exact_run.stdout)
    set_language("en")
    printed = json.loads(json.dumps(dataclasses.asdict(build(document))))
    exact = json.loads(json.dumps(dataclasses.asdict(build(document, exact=True))))
    assert _cells(printed) != _cells(exact)  # the period has small counts to hide
    for who, extra in (("office", []), ("auditor", ["--preview"])):
        run = run_cli(*cli[who], "submission", "compile", "--period", PERIOD, "--json", *extra)
        assert run.returncode == 0, run.stderr
        view = json.loads(run.stdout)
        assert view["suppressed"] is True and view["exact"] is False
        assert _cells(view) == _cells(printed)  # the tables as the documents print them
        assert any("<3" in row for row in _cells(view))
        assert '"figures"' not in run.stdout  # not the exact document
        assert "Warning" not in run.stderr


def test_plaintext_prints_exact_counts_with_a_warning_and_is_audited(
        cli: dict[str, list[str]], created: lifecycle.CreatedVault, clock: FixedClock,
        state_dir: Path) -> None:
    run = run_cli(*cli["office"], "submission", "compile", "--period", PERIOD, "--json",
                  "--plaintext", "--preview")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["sections"]["counseling"]["figures"]["sessions"] > 10
    assert "Warning: these are exact, unsuppressed counts" in run.stderr
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        with vs.reading():
            events = [e for e in audit.iter_events(vs) if e.entity == "submission_plaintext"]
    finally:
        vs.close()
    assert [(e.action, e.user, e.entity_id) for e in events] == [
        ("export", OFFICE, f"{PERIOD}/bureau")]


@pytest.mark.parametrize("extra", [["--json"], []])
def test_plaintext_is_refused_for_auditors(cli: dict[str, list[str]], extra: list[str]) -> None:
    run = run_cli(*cli["auditor"], "submission", "compile", "--period", PERIOD, "--preview",
                  "--plaintext", *extra)
    assert run.returncode == 2
    assert run.stdout == ""
    assert "suppressed view" in run.stderr and "Unexpected" not in run.stderr


def test_consolidate_plaintext_is_refused_for_auditors_before_reading_packages(
        cli: dict[str, list[str]], tmp_path: Path) -> None:
    package = tmp_path / "any.7z"
    package.write_bytes(b"not read")
    pw = write_secret(tmp_path, "pkg.txt", "amber falcon quietly 11")
    run = run_cli(*cli["auditor"], "submission", "consolidate", str(package),
                  "--package-passphrase-file", str(pw), "--json", "--plaintext")
    assert run.returncode == 2
    assert run.stdout == ""
    assert "suppressed view" in run.stderr and "Unexpected" not in run.stderr
