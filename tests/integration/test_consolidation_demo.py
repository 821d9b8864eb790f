"""Consolidation keeps everything (issue 13, point 6): the signed packages of every unit of
the tiny demo's month, consolidated in-process, give the bureau compile in every figure that
has a unit; what only the bureau level has (its coordinators, trainings and activities of no
unit) is exactly the difference, and every document of the result says it is not covered."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest

from counselor_tui.demo.builder import DemoBuilder
from counselor_tui.demo.sizes import DOCUMENT_SETTINGS, SIZES
from counselor_tui.domain.periods import parse_period
from counselor_tui.reports import consolidate as consolidation
from counselor_tui.reports import package as pkg
from counselor_tui.reports.render import render_files
from counselor_tui.services import settings, submissions
from counselor_tui.services.submission_compile import compile_content
from tests.conftest import PASSPHRASE, World
from tests.worlds import register

PERIOD = "2026-10"  # the demo's last full month on the test clock (2026-11-29)
PASSWORD = "plum orchard lantern seventeen"


def _tiny_demo(world: World) -> None:
    DemoBuilder(world.admin, SIZES["tiny"], random.Random(1), lambda _m: None).build(
        PASSPHRASE, 0)
    settings.save_settings(world.admin, DOCUMENT_SETTINGS)  # as build_demo does


register("demo-tiny", _tiny_demo)
pytestmark = pytest.mark.world("demo-tiny")


def _no_unit_team(world: World) -> dict[str, Any]:
    """The team figures of ``PERIOD`` that belong to no unit, counted in plain SQL."""
    vs = world.admin
    with vs.reading():
        def one(sql: str) -> Any:
            return vs.execute(sql).fetchone()[0]

        trainings = vs.execute(
            "SELECT COUNT(*), COALESCE(SUM(t.hours), 0), COUNT(DISTINCT t.user_id) FROM "
            "training_record t JOIN \"user\" u ON u.id = t.user_id WHERE t.voided_at IS NULL "
            "AND t.date >= '2026-10-01' AND t.date < '2026-11-01' AND u.unit_id IS NULL"
        ).fetchone()
        activities = {str(k): (int(n), int(p), round(float(h), 2)) for k, n, p, h in vs.execute(
            "SELECT kind, COUNT(*), SUM(participants), SUM(hours) FROM activity WHERE "
            "voided_at IS NULL AND date >= '2026-10-01' AND date < '2026-11-01' "
            "AND unit_id IS NULL GROUP BY kind")}
        coordinators = one(
            "SELECT COUNT(*) FROM \"user\" WHERE role = 'coordinator' AND unit_id IS NULL "
            "AND active = 1")
    return {"coordinators": int(coordinators), "trainings": int(trainings[0]),
            "training_hours": round(float(trainings[1]), 1),
            "counselors_trained": int(trainings[2]), "activities": activities}


def test_unit_packages_of_the_demo_month_give_the_bureau_figures_and_say_what_is_missing(
        world: World, tmp_path: Path) -> None:
    vs = world.office
    units = [code for code, _name in submissions.scopes(vs)[1:]]
    assert len(units) == SIZES["tiny"].units
    key = submissions.signer(vs)
    packages: list[tuple[Path | bytes, str]] = []
    for code in units:
        detail = submissions.compile_draft(vs, PERIOD, code)
        submissions.finalize(vs, detail.info.id)
        document = submissions.get(vs, detail.info.id).document
        packages.append((pkg.make_package(render_files(document), document, key, PASSWORD,
                                          created_at=vs.now_iso()), PASSWORD))
    result = submissions.consolidate(vs, packages).document
    bureau = compile_content(vs, parse_period(PERIOD), "bureau")
    assert result["source"]["not_covered"] == [consolidation.NO_UNIT]
    assert [i["scope"]["code"] for i in result["source"]["inputs"]] == sorted(units)

    # every section but the team's: equal figure for figure, table for table
    for section, data in bureau["sections"].items():
        if section != "team":
            assert result["sections"][section] == data, section
    assert result["units"] == bureau["units"]
    # the team section: the consolidation plus the bureau level's own rows is the bureau
    missing = _no_unit_team(world)
    assert missing["trainings"] > 0 and missing["activities"], "the demo has bureau-level rows"
    got, want = result["sections"]["team"], bureau["sections"]["team"]
    assert got["figures"]["counselors"] == want["figures"]["counselors"]
    for name in ("coordinators", "trainings", "counselors_trained"):
        assert got["figures"][name] + missing[name] == want["figures"][name], name
    assert round(got["figures"]["training_hours"] + missing["training_hours"], 1) == \
        want["figures"]["training_hours"]
    table, full = got["tables"]["activities"], want["tables"]["activities"]
    assert table["rows"] == full["rows"]
    for kind, values, expected in zip(full["rows"], table["values"], full["values"],
                                      strict=True):
        extra = missing["activities"].get(kind, (0, 0, 0.0))
        assert [round(a + b, 2) for a, b in zip(values, extra, strict=True)] == expected, kind

    # every document says what it does not cover: on the scope line and under the team's
    # tables
    files = render_files(result)
    texts = {
        "docx": "\n".join(p.text for p in docx.Document(io.BytesIO(
            files[pkg.DOCX_NAME])).paragraphs),
        "xlsx": "\n".join(str(c) for ws in openpyxl.load_workbook(io.BytesIO(
            files[pkg.XLSX_NAME])).worksheets for row in ws.iter_rows(values_only=True)
            for c in row if c),
        "csv": "\n".join(",".join(r) for r in csv.reader(io.StringIO(
            files[pkg.CSV_NAME].decode("utf-8-sig")))),
    }
    for kind, text in texts.items():
        assert "bureau-level coordinators, trainings, activities and interest groups" in text, \
            kind
        assert text.count("Consolidated from unit packages only") >= 2, kind


def _hidden(document: dict[str, Any]) -> set[tuple[str, Any, Any]]:
    """The cells a document does not print: ``(table id, row, col)``; ``(table, "*", "*")``
    for a withheld table."""
    rec = document["disclosure"]
    out = {(tid, c["row"], c["col"]) for tid, cells in rec["suppressed"].items()
           for c in cells}
    return out | {(tid, "*", "*") for tid in rec.get("withheld", [])}


def test_a_corrected_bureau_version_prints_again_what_version_1_printed(
        world: World) -> None:
    """The tester's path (issue 13/17): the bureau's v1 finalized, then two units' v1 and the
    consolidation of their packages; the bureau compiled again (a v2 draft, same data) still
    prints every figure v1 printed — 咨询辅导（人次）, 面谈 and the totals were ``x`` — since a
    figure the reader holds exactly protects nothing when hidden."""
    vs = world.office
    first = submissions.compile_draft(vs, PERIOD, "bureau")
    submissions.finalize(vs, first.info.id)
    v1 = submissions.get(vs, first.info.id).document
    key = submissions.signer(vs)
    packages: list[tuple[Path | bytes, str]] = []
    for code in [code for code, _name in submissions.scopes(vs)[1:]][:2]:
        detail = submissions.compile_draft(vs, PERIOD, code)
        submissions.finalize(vs, detail.info.id)
        document = submissions.get(vs, detail.info.id).document
        packages.append((pkg.make_package(render_files(document), document, key, PASSWORD,
                                          created_at=vs.now_iso()), PASSWORD))
    merged = submissions.consolidate(vs, packages)
    submissions.finalize(vs, merged.info.id)

    again = submissions.compile_draft(vs, PERIOD, "bureau")
    assert again.info.version == 2
    v2 = again.document
    assert v2["sections"] == v1["sections"]
    assert _hidden(v2) <= _hidden(v1), sorted(_hidden(v2) - _hidden(v1), key=str)
    assert v2["disclosure"]["audit"]["passed"]
