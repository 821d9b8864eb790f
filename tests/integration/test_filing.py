"""The filing record of a submission (issue 17): document settings, 发文字号 numbered per
year, the classification chosen at finalize, and its print in the document view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from counselor_tui.domain import filing
from counselor_tui.domain.settings_rules import SettingInvalid, parse_setting
from counselor_tui.reports.view import build
from counselor_tui.services import lifecycle, settings, submissions
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import InvalidInput
from tests.conftest import PASSPHRASE, TZ
from tests.integration.submission_fixtures import populate


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 2, 9, 0, tzinfo=TZ))


@pytest.fixture
def bureau(created: lifecycle.CreatedVault, state_dir: Path,
           clock: FixedClock) -> Iterator[VaultSession]:
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    populate(vs)
    yield vs
    vs.close()


def test_document_number_pattern_and_marks() -> None:
    assert filing.document_number("X公政〔{年}〕{号}号", 2026, 3) == "X公政〔2026〕3号"
    assert filing.document_number("公政〔{year}〕{n}号", 2027, 12) == "公政〔2027〕12号"
    for bad in ("公政〔2026〕号", "公政{号}{号}", "公政{年}{年}{号}", "公政{x}{号}",
                "x" * 41 + "{号}"):
        with pytest.raises(filing.FilingInvalid):
            filing.check_pattern(bad)
    assert filing.classification_mark("秘密", 1) == "秘密★1年"
    assert filing.classification_mark("机密", None) == "机密"
    assert filing.classification_mark("", 5) == ""
    assert filing.copy_number(7) == "000007"
    with pytest.raises(SettingInvalid):
        parse_setting("doc_classification", "内部")
    with pytest.raises(SettingInvalid):
        parse_setting("doc_number_pattern", "公政〔2026〕1号")
    # full-width punctuation typed in a document text stays as typed (no NFKC)
    assert parse_setting("doc_note", " 联系人：李明，电话：1234 ") == "联系人：李明，电话：1234"
    assert parse_setting("doc_cc", "") == ""


def test_numbers_run_per_year_and_the_classification_is_chosen_at_finalize(
        bureau: VaultSession, clock: FixedClock) -> None:
    settings.save_settings(bureau, {"doc_number_pattern": "东公政〔{年}〕{号}号",
                                    "doc_recipient": "市公安局政治部", "doc_signer": "王建国",
                                    "doc_classification_years": "1"})
    draft = submissions.compile_draft(bureau, "2026-11")
    assert draft.document["filing"]["number"] is None  # a draft has no number yet
    with pytest.raises(InvalidInput):
        submissions.finalize(bureau, draft.info.id, classification="内部")
    submissions.finalize(bureau, draft.info.id, classification="机密")
    first = submissions.get(bureau, draft.info.id).document
    assert first["filing"]["number"] == "东公政〔2026〕1号"
    assert first["filing"]["classification"] == "机密"
    view = build(first)
    assert view.filing.classification == "机密★1年" and view.filing.copy_no == "000001"
    assert view.filing.recipient == "市公安局政治部" and view.filing.signer == "王建国"
    assert view.filing.date == "2026-12-02"  # (English) the 成文日期 is the finalize date
    assert view.marking == "机密★1年"
    # a correction gets the next number of the year; an unclassified one no 份号
    second = submissions.compile_draft(bureau, "2026-11")
    submissions.finalize(bureau, second.info.id, classification="")
    doc = submissions.get(bureau, second.info.id).document
    assert doc["filing"]["number"] == "东公政〔2026〕2号"
    assert build(doc).filing.copy_no == "" and build(doc).marking == ""
    assert "replacing version 1" in " ".join(build(doc).filing.notes)
    # the next year starts at 1 again
    clock.current = datetime(2027, 1, 3, 9, 0, tzinfo=TZ)
    third = submissions.compile_draft(bureau, "2026-12")
    submissions.finalize(bureau, third.info.id)
    doc = submissions.get(bureau, third.info.id).document
    assert doc["filing"]["number"] == "东公政〔2027〕1号"
    assert doc["filing"]["classification"] == "秘密"  # the setting's default
