"""The ``score`` and ``import responses`` commands (DESIGN §9 automation contract)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from counselor_tui.services import responses_import
from tests.conftest import OTHER_PASSPHRASE, run_cli, write_secret
from tests.integration.census_world import SURVEY, World


def test_score_prints_the_contract_json() -> None:
    done = run_cli("score", "phq9", "0,1,2,3,0,1,2,3,1")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert list(data)[:8] == ["instrument", "total", "band", "subscales", "critical_items",
                              "screen_positive", "provisional_diagnosis", "complete"]
    assert data["total"] == 13
    assert data["band"] == "moderate"
    assert data["critical_items"] == [9]
    assert data["provisional_diagnosis"] is None
    assert done.stdout.count("\n") == 1


def test_score_flags_a_missing_critical_item() -> None:
    done = run_cli("score", "phq9", "1,1,1,1,1,1,1,1,")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["total"], data["prorated"], data["critical_items"]) == (9, True, [])
    assert data["critical_items_unanswered"] == [9]


def test_score_pcl5_and_scl90_sanity_values() -> None:
    pcl = json.loads(run_cli("score", "pcl5", ",".join(["2"] * 20)).stdout)
    assert (pcl["total"], pcl["subscales"], pcl["provisional_diagnosis"]) == (
        40, {"B": 10, "C": 4, "D": 14, "E": 12}, True)
    scl = json.loads(run_cli("score", "SCL-90", ",".join(["2"] * 90), "--indent", "2").stdout)
    assert (scl["total"], scl["positive_count"], scl["screen_positive"]) == (180, 90, True)


@pytest.mark.parametrize(("args", "message"), [
    (("phq9", "0,1,2,3,0,1,2,3,4"), "9"),
    (("phq9", "0,1,2"), "needs 9 responses"),
    (("phq9", "0,1,x,3,0,1,2,3,1"), "'x'"),
    (("bdi", "0"), "Unknown instrument 'bdi'"),
    (("pcl5", ",".join(["2"] * 20), "--set", "cutoff=99"), "cutoff"),
])
def test_score_refuses_bad_input_with_exit_2(args: tuple[str, ...], message: str) -> None:
    done = run_cli("--lang", "en", "score", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert message in done.stderr
    assert "Traceback" not in done.stderr


pytestmark = pytest.mark.world("census")


def test_import_responses_dry_run_apply_and_again(world: World, tmp_path: Path) -> None:
    secret = write_secret(tmp_path, "pass.txt", OTHER_PASSPHRASE)
    base = ("--vault", str(world.path), "--user", "coord", "--passphrase-file", str(secret),
            "--lang", "en", "import", "responses", str(SURVEY), "--instrument", "phq9")
    dry = run_cli(*base)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == ["added 25, duplicate 0, unmatched 1, rejected 0",
                                       "row 27: badge number not in the archive"]
    assert "Dry run" in dry.stderr
    assert responses_import.existing_count(world.login("coord"), "phq9") == 0
    applied = run_cli(*base, "--apply")
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines()[0] == "added 25, duplicate 0, unmatched 1, rejected 0"
    assert "Critical items answered in rows" in applied.stderr
    assert responses_import.existing_count(world.login("coord"), "phq9") == 25
    again = run_cli(*base, "--apply")
    assert again.stdout.splitlines()[0] == "added 0, duplicate 25, unmatched 1, rejected 0"
    assert responses_import.existing_count(world.login("coord"), "phq9") == 25
    bad = run_cli(*base[:-2], "--instrument", "gad7")
    assert bad.returncode == 2
    assert "gad7" in bad.stderr
    bad_date = run_cli(*base, "--date", "2026/11/02")
    assert bad_date.returncode == 2


@pytest.mark.parametrize("args", [
    ("--set", "cutoff=nan"), ("--set", "cutoff=inf"), ("--set", "cutoff=1e999"),
    ("--indent", "99999999999999999999"), ("--indent", "-3"), ("--indent", "1000000"),
])
def test_score_refuses_numbers_it_cannot_use_with_exit_2(args: tuple[str, str]) -> None:
    done = run_cli("score", *args, "pcl5", ",".join(["1"] * 20))
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert "unexpected" not in done.stderr
