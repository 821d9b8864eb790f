"""``counselor-tui submission …`` through the real command line (DESIGN §9 contract)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from counselor_tui.i18n import set_language
from counselor_tui.reports.view import build
from counselor_tui.services import lifecycle
from counselor_tui.services.context import FixedClock
from tests.conftest import PASSPHRASE, run_cli, write_secret
from tests.integration.submission_fixtures import populate
from tests.worlds import add_office

PERIOD = "2026-10"  # a month already over on the real clock
NAMES = ("民警1", "家属0", "其他人", "作废", "新警", "辅导员")


@pytest.fixture
def populated(created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path,
              tmp_path: Path) -> list[str]:
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        populate(vs)
        office = add_office(vs)
    finally:
        vs.close()
    secret = write_secret(tmp_path, "pass.txt", PASSPHRASE)
    return ["--lang", "en", "--vault", str(created.path), "--user", office,
            "--passphrase-file", str(secret)]


def test_compile_json_has_counts_and_no_names(populated: list[str]) -> None:
    run = run_cli(*populated, "submission", "compile", "--period", PERIOD, "--json",
                  "--plaintext")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["schema"] == "counselor-tui/submission" and doc["schema_version"] == 1
    assert doc["period"]["label"] == PERIOD
    assert doc["sections"]["counseling"]["figures"]["sessions"] > 10
    assert "disclosure" in doc and doc["disclosure"]["k"] == 3
    assert not any(name in run.stdout for name in NAMES)
    assert "Draft version 1 of 2026-10 (whole bureau) stored." in run.stderr
    unit = run_cli(*populated, "submission", "compile", "--period", PERIOD, "--scope", "U01",
                   "--preview")
    assert unit.returncode == 0, unit.stderr
    assert "Scope: 城关派出所" in unit.stdout and "Attachment 1 Key figures" in unit.stdout
    bad = run_cli(*populated, "submission", "compile", "--period", "2026-13")
    assert bad.returncode == 2 and "no month 13" in bad.stderr


def verify(package: str, password_file: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """``submission verify`` without any vault option."""
    return run_cli("--lang", "en", "submission", "verify", package, "--package-passphrase-file",
                   password_file, *extra)


def test_finalize_export_verify_round_trip(populated: list[str], tmp_path: Path) -> None:
    assert run_cli(*populated, "submission", "compile", "--period", PERIOD).returncode == 0
    export_draft = run_cli(*populated, "submission", "export", "--period", PERIOD, "--out",
                           str(tmp_path / "out"))
    assert export_draft.returncode == 2 and "Finalize" in export_draft.stderr
    fin = run_cli(*populated, "submission", "finalize", "--period", PERIOD)
    assert fin.returncode == 0, fin.stderr
    assert "Version 1 of 2026-10 (whole bureau) is final." in fin.stdout
    pw = write_secret(tmp_path, "pkg.txt", "granite willow patiently 42")
    exp = run_cli(*populated, "submission", "export", "--period", PERIOD, "--out",
                  str(tmp_path / "out"), "--package-passphrase-file", str(pw))
    assert exp.returncode == 0, exp.stderr
    package = tmp_path / "out" / "submission-2026-10-bureau-v1.7z"
    assert f"package: {package}" in exp.stdout and "password:" not in exp.stdout
    fingerprint = run_cli(*populated, "submission", "fingerprint").stdout.strip()
    assert len(fingerprint) == 64
    ok = verify(str(package), str(pw), "--expect-fingerprint", fingerprint)
    assert ok.returncode == 0, ok.stderr
    assert f"signer fingerprint: {fingerprint}" in ok.stdout
    assert "signer: expected" in ok.stdout
    other = verify(str(package), str(pw), "--expect-fingerprint", "ab" * 32)
    assert other.returncode == 1 and "not an expected signer" in other.stderr
    wrong = write_secret(tmp_path, "wrong.txt", "granite willow patiently 43")
    bad = verify(str(package), str(wrong))
    assert bad.returncode == 2
    assert "does not open with this password" in bad.stderr and "Traceback" not in bad.stderr
    listed = [json.loads(line) for line in run_cli(
        *populated, "submission", "list", "--period", PERIOD).stdout.splitlines()]
    assert [(r["version"], r["status"]) for r in listed] == [(1, "exported")]
    generated = run_cli(*populated, "submission", "export", "--period", PERIOD, "--out",
                        str(tmp_path / "gen"))
    assert generated.returncode == 0, generated.stderr
    password = generated.stdout.split("password: ", 1)[1].strip()
    again = write_secret(tmp_path, "gen.txt", password)
    assert verify(str(tmp_path / "gen" / package.name), str(again), "--expect-fingerprint",
                  fingerprint).returncode == 0
    unknown = verify(str(tmp_path / "gen" / package.name), str(again))
    assert unknown.returncode == 1 and "is unknown" in unknown.stderr


def test_consolidate_three_unit_packages(populated: list[str], tmp_path: Path) -> None:
    passwords = ["amber falcon quietly 11", "copper meadow swiftly 22", "violet harbor gently 33"]
    packages = []
    for code, password in zip(("U01", "U02", "U03"), passwords, strict=True):
        for action in ("compile", "finalize"):
            run = run_cli(*populated, "submission", action, "--period", PERIOD, "--scope", code)
            assert run.returncode == 0, run.stderr
        pw = write_secret(tmp_path, f"{code}.txt", password)
        run = run_cli(*populated, "submission", "export", "--period", PERIOD, "--scope", code,
                      "--out", str(tmp_path / "units"), "--package-passphrase-file", str(pw))
        assert run.returncode == 0, run.stderr
        packages.append(str(tmp_path / "units" / f"submission-{PERIOD}-{code}-v1.7z"))
    lines = tmp_path / "passwords.txt"
    lines.write_text("\n".join(passwords) + "\n", encoding="utf-8")
    out_pw = write_secret(tmp_path, "out.txt", "silver river calmly 44")
    run = run_cli(*populated, "submission", "consolidate", *packages, "--package-passphrase-file",
                  str(lines), "--out", str(tmp_path / "up"), "--out-passphrase-file",
                  str(out_pw), "--json")
    assert run.returncode == 0, run.stderr
    # --json alone prints the suppressed view, as compile --json does (issue 12)
    shown = json.loads(run.stdout.split("\n", 2)[2])
    assert shown["suppressed"] is True and '"figures"' not in run.stdout
    assert "Warning" not in run.stderr
    assert (tmp_path / "up" / f"submission-{PERIOD}-consolidated-v1.7z").is_file()
    exact = run_cli(*populated, "submission", "consolidate", *packages,
                    "--package-passphrase-file", str(lines), "--json", "--plaintext")
    assert exact.returncode == 0, exact.stderr
    assert "Warning: these are exact, unsuppressed counts" in exact.stderr
    consolidated = json.loads(exact.stdout)
    direct = json.loads(run_cli(*populated, "submission", "compile", "--period", PERIOD,
                                "--preview", "--json", "--plaintext").stdout)
    assert consolidated["sections"] == direct["sections"]
    set_language("en")
    exact_view = dataclasses.asdict(build(consolidated, exact=True))
    table_ids = [[t["id"] for t in section["tables"]] for section in shown["sections"]]
    assert table_ids == [[t["id"] for t in section["tables"]]
                         for section in exact_view["sections"]]
    cells = [c for section in shown["sections"] for table in section["tables"]
             for row in table["rows"] for c in row]
    assert "<3" in cells and "x" in cells  # small counts hidden, as the documents print them
    mismatched = tmp_path / "two.txt"
    mismatched.write_text("a\nb\n", encoding="utf-8")
    run = run_cli(*populated, "submission", "consolidate", *packages,
                  "--package-passphrase-file", str(mismatched))
    assert run.returncode == 2 and "2 lines for 3 packages" in run.stderr


def test_cli_refuses_running_periods_empty_scope_and_overwriting(populated: list[str],
                                                                 tmp_path: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    this_month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    running = run_cli(*populated, "submission", "compile", "--period", this_month)
    assert running.returncode == 0, running.stderr
    assert "running month: figures up to" in running.stdout.splitlines()[0]
    fin = run_cli(*populated, "submission", "finalize", "--period", this_month)
    assert fin.returncode == 2 and "has not ended yet" in fin.stderr
    for period in ("1999-12", "2999-01"):
        early = run_cli(*populated, "submission", "compile", "--period", period)
        assert early.returncode == 2 and early.stdout == "", early.stderr
    empty = run_cli(*populated, "submission", "compile", "--period", PERIOD, "--scope", "")
    assert empty.returncode == 2 and "scope is empty" in empty.stderr
    helptext = run_cli(*populated, "submission", "compile", "--help").stdout
    assert "consolidated" not in helptext
    assert "consolidated" in run_cli(*populated, "submission", "export", "--help").stdout
    for action in ("compile", "finalize"):
        assert run_cli(*populated, "submission", action, "--period", PERIOD).returncode == 0
    out = tmp_path / "out"
    first = run_cli(*populated, "submission", "export", "--period", PERIOD, "--out", str(out))
    assert first.returncode == 0, first.stderr
    package = out / f"submission-{PERIOD}-bureau-v1.7z"
    before = package.read_bytes()
    again = run_cli(*populated, "submission", "export", "--period", PERIOD, "--out", str(out))
    assert again.returncode == 2 and package.name in again.stderr
    assert "password:" not in again.stdout  # no new password for a package never written
    assert package.read_bytes() == before
