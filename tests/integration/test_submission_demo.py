"""A compiled month of the tiny demo bureau (counselor_tui.demo) against plain-SQL counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from counselor_tui import demo
from counselor_tui.domain import vocab
from counselor_tui.domain.periods import parse_period
from counselor_tui.services import filing, lifecycle, submissions
from counselor_tui.services.context import FixedClock
from counselor_tui.services.submission_compile import compile_content
from tests.conftest import PASSPHRASE

START, END = "2026-10-01T00:00:00+08:00", "2026-11-01T00:00:00+08:00"
VALID = ("s.voided_at IS NULL AND (s.person_id IS NULL OR s.person_id IN "
         "(SELECT id FROM person WHERE voided_at IS NULL)) "
         f"AND s.started_at >= '{START}' AND s.started_at < '{END}'")


def test_tiny_demo_month_matches_plain_sql(tmp_path: Path, clock: FixedClock,
                                           state_dir: Path) -> None:
    path = tmp_path / "demo" / "demo.db"
    demo.build_demo(path, "tiny", 1, PASSPHRASE, clock, kdf_seconds=0, state_dir=state_dir)
    vs = lifecycle.unlock(path, demo.DEMO_USER, PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        content = compile_content(vs, parse_period("2026-10"))
        with vs.reading():
            def one(sql: str, *params: Any) -> Any:
                return vs.execute(sql, params).fetchone()[0]

            c = content["sections"]["counseling"]
            assert c["figures"]["sessions"] == one(
                f"SELECT COUNT(*) FROM counseling_session s WHERE {VALID}") > 0
            assert c["figures"]["minutes"] == one(
                f"SELECT SUM(duration_min) FROM counseling_session s WHERE {VALID}")
            assert c["figures"]["persons_served"] == one(
                f"SELECT COUNT(DISTINCT person_id) FROM counseling_session s WHERE {VALID}")
            for code, n in zip(c["tables"]["by_channel"]["rows"],
                               c["tables"]["by_channel"]["counts"], strict=True):
                assert n == one(f"SELECT COUNT(*) FROM counseling_session s WHERE {VALID} "
                                "AND s.channel = ?", code), code
            assert c["tables"]["by_kind"]["rows"][:5] == list(vocab.SESSION_KINDS)
            for code, n in zip(c["tables"]["by_topic"]["rows"], c["tables"]["by_topic"]["counts"],
                               strict=True):
                assert n == one("SELECT COUNT(*) FROM session_topic t JOIN counseling_session s "
                                f"ON s.id = t.session_id WHERE {VALID} AND t.topic = ?", code)
            by_unit = c["tables"]["by_unit"]
            assert sum(map(sum, by_unit["counts"])) == c["figures"]["sessions"]
            archive = content["sections"]["archive"]
            assert archive["figures"]["serving"] == one(
                "SELECT COUNT(*) FROM person WHERE kind = 'officer' AND voided_at IS NULL "
                "AND created_at < ? AND (archived_at IS NULL OR archived_at >= '2026-11-01')",
                END)
            screening = content["sections"]["census"]["tables"]["screening"]
            assert sum(map(sum, screening["counts"])) == one(
                "SELECT COUNT(*) FROM assessment WHERE voided_at IS NULL AND complete = 1 "
                "AND administered_on >= '2026-10-01' AND administered_on < '2026-11-01'")
            reported = content["sections"]["incidents"]["tables"]["reported_by_kind"]
            assert sum(reported["counts"]) == one(
                "SELECT COUNT(*) FROM incident WHERE voided_at IS NULL AND reported_at >= ? "
                "AND reported_at < ?", START, END)
            activities = content["sections"]["team"]["tables"]["activities"]
            assert sum(v[0] for v in activities["values"]) == one(
                "SELECT COUNT(*) FROM activity WHERE voided_at IS NULL AND date >= '2026-10-01' "
                "AND date < '2026-11-01'")
        # the demo bureau's documents carry 主送机关, 签发人 and its own 发文字号: a demo month
        # finalizes without an override, and prints them
        assert filing.missing_elements(vs) == ()
        draft = submissions.compile_draft(vs, "2026-10")
        submissions.finalize(vs, draft.info.id)
        record = submissions.get(vs, draft.info.id).document["filing"]
        assert record["recipient"] == demo.DOCUMENT_SETTINGS["doc_recipient"]
        assert record["signer"] == demo.DOCUMENT_SETTINGS["doc_signer"]
        assert record["number"].startswith("示公政〔")
    finally:
        vs.close()
