"""A bureau's own instruments (issue 16 point 4): ``instruments validate|add|list`` in
process, strict validation of hostile files, versions stored in the vault, assessments bound
to the version they were scored with, and the added instrument in a census, in paper entry
(the service F4 calls) and in the responses import."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from counselor_tui.domain.instruments import bureau
from counselor_tui.i18n import language
from counselor_tui.services import assessments, census, instruments, responses_import
from counselor_tui.services.errors import Conflict, InvalidInput, PermissionDenied
from db import vault as slots
from db.connection import open_connection
from db.migrations import CURRENT_VERSION, migrate, schema_version
from db.models import BureauInstrument
from tests.conftest import OTHER_PASSPHRASE, run_cli, write_secret
from tests.integration.census_world import World, roster_rows
from tests.integration.instrument_files import V2_BANDS, definition, write
from tests.worlds import PASSPHRASE

pytestmark = pytest.mark.world("census")

BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'
                            .replace("&lol0;", "&lol;") for i in range(1, 10))
                  + ']>\n<lolz>&lol9;</lolz>\n')

#: (file content, the line named, words of the message) — each a kind of bad file.
BAD_FILES = {
    "missing items": (definition(items=3), 29, "missing: 4"),
    "overlapping bands": (definition(bands='[0, 6, "low", "较低", "Low"],\n'
                                     '  [6, 12, "high", "较高", "High"],'), 22,
                          "overlap at totals 6"),
    "band gap": (definition(bands='[0, 4, "low", "较低", "Low"],\n'
                            '  [6, 12, "high", "较高", "High"],'), 22, "No band covers"),
    "built-in code": (definition(code="phq_9"), 2, "built-in instrument phq9"),
    "unknown key": (definition(extra='colour = "red"'), 7, "Unknown key 'colour'"),
    "no code": (definition().replace('code = "bureau_stress"\n', ""), None,
                "Missing required key 'code'"),
    "not a number": (definition(extra="foo = nan"), 7, "not finite"),
    "huge item count": (definition().replace("item_count = 4", "item_count = 5000"),
                        6, "at most 300 items"),
    "huge number": (definition().replace("item_count = 4", "item_count = 100000000"),
                    6, "beyond ±1000000"),
    "huge file": (definition() + "#" * (bureau.MAX_BYTES + 1), None, "larger than the limit"),
    "XML entity bomb": (BILLION_LAUGHS, 1, "looks like XML"),
    "JSON": ('{"code": "x", "a": ' + "[" * 50_000 + "]" * 50_000 + "}", 1, "looks like JSON"),
    "deep TOML": ("a = " + "[" * 50_000 + "]" * 50_000 + "\n", None, "too deeply"),
    "endless integer": ("a = 1" + "0" * 6000 + "\n", None, "too long"),
    "not UTF-8": (b"code = \"\xff\xfe\"\n", None, "not UTF-8"),
    "NUL": ("code = \"a\"\x00\n", None, "NUL"),
    "empty": ("", None, "empty"),
}


def test_validate_accepts_a_good_file_and_refuses_each_kind_of_bad_one(tmp_path: Path) -> None:
    good = run_cli("--lang", "en", "instruments", "validate",
                   str(write(tmp_path, "good.toml", definition())))
    assert good.returncode == 0, good.stderr
    assert good.stdout.splitlines() == [
        "ok bureau_stress 2026-1: 4 items, responses 0–3, bands Low 0–5, High 6–12",
        "Officer stress self-check (bureau)"]
    for kind, (content, line, words) in BAD_FILES.items():
        path = write(tmp_path, f"{kind}.toml", content)
        done = run_cli("--lang", "en", "instruments", "validate", str(path))
        assert done.returncode == 2, (kind, done.stderr)
        assert done.stdout == "", kind
        assert words in done.stderr, (kind, done.stderr)
        assert str(path) in done.stderr, kind
        if line is not None:
            assert f"line {line}:" in done.stderr, (kind, done.stderr)
        assert "Traceback" not in done.stderr and "Unexpected" not in done.stderr, kind
    folder = run_cli("--lang", "en", "instruments", "validate", str(tmp_path))
    assert folder.returncode == 2 and "folder" in folder.stderr
    scored = run_cli("score", str(tmp_path / "good.toml"), "3,3,0,1")  # try it before adding
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["instrument"] == "bureau_stress"
    assert (json.loads(scored.stdout)["total"], json.loads(scored.stdout)["band"]) == (7, "high")
    refused = run_cli("--lang", "en", "score", str(tmp_path / "missing items.toml"), "0,0,0")
    assert refused.returncode == 2 and "line 29:" in refused.stderr


def test_add_list_versions_and_assessments_bound_to_their_version(
        world: World, tmp_path: Path) -> None:
    secret = write_secret(tmp_path, "pass.txt", OTHER_PASSPHRASE)

    def cli(user: str, *args: str) -> tuple[int, str, str]:
        done = run_cli("--vault", str(world.path), "--user", user, "--passphrase-file",
                       str(secret), "--lang", "en", "instruments", *args)
        return done.returncode, done.stdout, done.stderr

    v1 = write(tmp_path, "v1.toml", definition())
    assert cli("li", "add", str(v1))[0] == 2                       # a counselor may not
    code, out, err = cli("coord", "add", str(v1))
    assert code == 0, err
    assert "Added bureau_stress version 2026-1 as a new instrument." in out
    code, out, _err = cli("coord", "add", str(v1))                 # the same again: no-op
    assert code == 0 and "Identical to version 2026-1" in out
    same_version = write(tmp_path, "same.toml", definition(bands=V2_BANDS))
    code, out, err = cli("coord", "add", str(same_version))        # changed, same version
    assert code == 2 and "new version" in err and out == ""

    coord = world.login("coord")
    person = world.badges[roster_rows()[0][0]]
    day = date(2026, 11, 20)
    old = assessments.record_assessment(coord, assessments.AssessmentDraft(
        person, "bureau_stress", (1, 1, 1, 1), day))
    assert (old.result.total, old.result.band, old.result.screen_positive) == (4, "low", False)

    v2 = write(tmp_path, "v2.toml", definition(version="2026-2", bands=V2_BANDS))
    code, out, err = cli("coord", "add", str(v2))
    assert code == 0, err
    assert "revision 2" in out
    new = assessments.record_assessment(coord, assessments.AssessmentDraft(
        person, "bureau_stress", (1, 1, 1, 1), day))
    assert new.result.band == "moderate"

    shown_old, rescored_old = assessments.get_assessment(coord, old.id)
    shown_new, rescored_new = assessments.get_assessment(coord, new.id)
    assert (shown_old.instrument_version, shown_old.band, rescored_old.band) == (
        "2026-1", "low", "low")
    assert (shown_new.instrument_version, shown_new.band, rescored_new.band) == (
        "2026-2", "moderate", "moderate")
    labels = ("Low", "Moderate") if language() == "en" else ("较低", "中等")
    assert [(r.id, r.band_label) for r in assessments.for_person(coord, person)
            if r.instrument_code == "bureau_stress"] == [(old.id, labels[0]), (new.id, labels[1])]

    code, out, err = cli("audit", "list")
    assert code == 0, err
    lines = [line.split("\t") for line in out.splitlines()]
    assert lines[0][:3] == ["code", "version", "revision"]
    assert [row[0] for row in lines[1:7]] == ["gad7", "k10", "pcl5", "phq9", "pss10", "scl90"]
    assert all(row[3] == "built-in" for row in lines[1:7])
    ours = [row[:5] for row in lines if row[0] == "bureau_stress"]
    assert ours == [["bureau_stress", "2026-2", "2*", "bureau", "4"],
                    ["bureau_stress", "2026-1", "1", "bureau", "4"]]
    assert cli("admin", "list")[0] == 2                             # admins: no
    with coord.reading():
        events = [(r[0], json.loads(r[1])["revision"]) for r in coord.execute(
            "SELECT action, detail FROM audit_event WHERE entity = 'instrument' ORDER BY seq")]
        stored = list(BureauInstrument.select().order_by(BureauInstrument.revision))
    assert events == [("create", 1), ("create", 2)]
    assert [s.definition for s in stored] == [v1.read_text(encoding="utf-8"),
                                              v2.read_text(encoding="utf-8")]
    with coord.transaction(), pytest.raises(Exception, match="never changed"):
        coord.execute("UPDATE bureau_instrument SET version = 'x'")


def survey(path: Path, rows: list[tuple[str, str, tuple[int, ...]]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["警号", "姓名", "提交时间", *[f"第{i}题" for i in range(1, 5)]])
    for badge, name, answers in rows:
        writer.writerow([badge, name, "2026-11-10", *answers])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_added_instrument_in_a_census_paper_entry_and_responses_import(
        world: World, tmp_path: Path) -> None:
    coord = world.login("coord")
    with pytest.raises(PermissionDenied):
        instruments.add_definition(world.login("li"), write(tmp_path, "d.toml", definition()))
    added = instruments.add_definition(coord, write(tmp_path, "d.toml", definition()))
    assert (added.added, added.revision) == (True, 1)
    assert "bureau_stress" in [i.code for i in assessments.instruments(coord)]
    (badge1, name1, unit, _t), (badge2, name2, _u, _t2) = [
        r for r in roster_rows() if r[2] == roster_rows()[0][2]][:2]
    draft = census.CensusDraft("本局压力普查", date(2026, 11, 1), date(2026, 11, 30),
                               ("bureau_stress",), (world.units[unit],))
    assert census.validate(draft)  # the pure check knows only the built-in codes …
    assert census.validate(draft, instruments.codes(coord)) == {}  # … the vault's, ours
    census_id = census.create_census(coord, draft)

    plan = responses_import.plan_import(
        coord, survey(tmp_path / "s.csv", [(badge1, name1, (3, 3, 0, 0))]), "bureau_stress",
        census_id=census_id)
    assert plan.summary() == "added 1, duplicate 0, unmatched 0, rejected 0"
    assert (plan.added[0].total, plan.added[0].band) == (6, "high")
    applied = responses_import.apply_import(coord, plan)
    assert len(applied.assessment_ids) == 1

    entered = assessments.record_assessment(coord, assessments.AssessmentDraft(  # F4's call
        world.badges[badge2], "bureau_stress", (0, 1, 0, 1), date(2026, 11, 12)))
    assert (entered.census_id, entered.result.band) == (census_id, "low")
    figures = census.figures(coord, census_id)
    assert figures.per_instrument["bureau_stress"] == 2
    assert figures.positive["bureau_stress"] == 1

    stale = responses_import.plan_import(
        coord, survey(tmp_path / "t.csv", [(badge2, name2, (1, 1, 1, 1))]), "bureau_stress")
    instruments.add_definition(coord, write(tmp_path, "v2.toml", definition(
        version="2026-2", bands=V2_BANDS)))
    with pytest.raises(Conflict, match="dry run again"):
        responses_import.apply_import(coord, stale)
    with pytest.raises(InvalidInput, match="nothing"):
        instruments.current(coord, "nothing")


def test_migration_18_adds_the_definitions_table_to_a_vault_of_schema_17(
        world: World, tmp_path: Path) -> None:
    keys = slots.load(slots.keys_path(world.path))
    key = slots.open_slot(keys, keys.user_slot("admin"), PASSPHRASE)
    conn = open_connection(tmp_path / "old.db", key, create=True)
    try:
        assert migrate(conn, "2026-01-01T00:00:00+08:00", target=17)[-1] == 17
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "bureau_instrument" not in tables
        assert 18 in migrate(conn, "2026-11-25T09:00:00+08:00")
        assert schema_version(conn) == CURRENT_VERSION
        columns = {r[1] for r in conn.execute('PRAGMA table_info("bureau_instrument")')}
        assert columns == {f.column_name for f in BureauInstrument._meta.sorted_fields}
    finally:
        conn.close()


def test_cli_never_prints_raw_control_characters(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``validate`` refuses a name with ESC/BEL (naming line and field) and the message is
    escaped; a definition stored before the rule existed is listed escaped."""
    hostile = definition().replace('name_en = "Officer stress self-check (bureau)"',
                                   'name_en = "\\u001b]0;pwned\\u0007\\u001b[2Jx\\u202e"')
    path = write(tmp_path, "hostile.toml", hostile)
    done = run_cli("--lang", "en", "instruments", "validate", str(path))
    assert done.returncode == 2
    assert "line 4" in done.stderr and "name_en" in done.stderr and "U+001B" in done.stderr
    assert "\x1b" not in done.stdout + done.stderr

    monkeypatch.setattr(bureau, "_check_shown", lambda *_args: None)  # an older vault
    instruments.add_definition(world.login("coord"), path)
    monkeypatch.undo()
    secret = write_secret(tmp_path, "pass.txt", OTHER_PASSPHRASE)
    listed = run_cli("--vault", str(world.path), "--user", "coord", "--passphrase-file",
                     str(secret), "--lang", "en", "instruments", "list")
    assert listed.returncode == 0, listed.stderr
    assert "\\x1b]0;pwned\\x07\\x1b[2Jx\\u202e" in listed.stdout
    assert not any(ch in listed.stdout for ch in "\x1b\x07\u202e")
    assert "* marks the version new assessments use" in listed.stderr   # the legend


def test_validate_names_the_bands_in_chinese(tmp_path: Path) -> None:
    done = run_cli("--lang", "zh", "instruments", "validate",
                   str(write(tmp_path, "good.toml", definition())))
    assert done.returncode == 0, done.stderr
    assert "较低 0–5" in done.stdout and "较高 6–12" in done.stdout
    assert "low" not in done.stdout.splitlines()[0]
