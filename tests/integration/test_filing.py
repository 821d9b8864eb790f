"""The filing record of a submission (issue 17): document settings, 发文字号 numbered per
year, the classification chosen at finalize, and its print in the document view."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document

from counselor_tui import cli
from counselor_tui.domain import filing
from counselor_tui.domain.settings_rules import SettingInvalid, parse_setting
from counselor_tui.i18n import set_language
from counselor_tui.reports.render import render_files
from counselor_tui.reports.view import build
from counselor_tui.services import filing as filing_service
from counselor_tui.services import lifecycle, settings, submissions
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import InvalidInput
from tests.conftest import PASSPHRASE, TZ, write_secret
from tests.integration.submission_fixtures import populate
from tests.worlds import add_office, as_office


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
    draft = submissions.compile_draft(as_office(bureau), "2026-11")
    assert draft.document["filing"]["number"] is None  # a draft has no number yet
    with pytest.raises(InvalidInput):
        submissions.finalize(as_office(bureau), draft.info.id, classification="内部")
    submissions.finalize(as_office(bureau), draft.info.id, classification="机密")
    first = submissions.get(as_office(bureau), draft.info.id).document
    assert first["filing"]["number"] == "东公政〔2026〕1号"
    assert first["filing"]["classification"] == "机密"
    view = build(first)
    assert view.filing.classification == "机密★1年" and view.filing.copy_no == "000001"
    assert view.filing.recipient == "市公安局政治部" and view.filing.signer == "王建国"
    assert view.filing.date == "2026-12-02"  # (English) the 成文日期 is the finalize date
    assert view.marking == "机密★1年"
    # a correction gets the next number of the year; an unclassified one no 份号
    second = submissions.compile_draft(as_office(bureau), "2026-11")
    submissions.finalize(as_office(bureau), second.info.id, classification="")
    doc = submissions.get(as_office(bureau), second.info.id).document
    assert doc["filing"]["number"] == "东公政〔2026〕2号"
    assert build(doc).filing.copy_no == "" and build(doc).marking == ""
    assert "replacing version 1" in " ".join(build(doc).filing.notes)
    # the next year starts at 1 again
    clock.current = datetime(2027, 1, 3, 9, 0, tzinfo=TZ)
    third = submissions.compile_draft(as_office(bureau), "2026-12")
    submissions.finalize(as_office(bureau), third.info.id)
    doc = submissions.get(as_office(bureau), third.info.id).document
    assert doc["filing"]["number"] == "东公政〔2027〕1号"
    assert doc["filing"]["classification"] == "秘密"  # the setting's default


def test_finalize_refuses_a_document_without_recipient_signer_or_own_number_unless_allowed(
        bureau: VaultSession) -> None:
    """An upward report without 主送机关, 签发人 or a 发文字号 of the bureau's own code is sent
    back, and a final version never changes: finalize refuses, naming what is missing and
    the way on, unless told explicitly (the audit keeps the override)."""
    settings.save_settings(bureau, {"doc_recipient": "", "doc_signer": "",
                                    "doc_number_pattern": filing.DEFAULT_PATTERN})
    draft = submissions.compile_draft(as_office(bureau), "2026-11")
    with pytest.raises(InvalidInput) as refused:
        submissions.finalize(as_office(bureau), draft.info.id)
    message = str(refused.value)
    assert "主送机关" in message and "签发人" in message and "发文字号" in message
    assert "--allow-incomplete" in message and "Users & settings" in message
    # nothing frozen
    assert submissions.get(as_office(bureau), draft.info.id).info.status == "draft"
    settings.save_settings(bureau, {"doc_recipient": "市公安局政治部"})
    with pytest.raises(InvalidInput) as refused:
        submissions.finalize(as_office(bureau), draft.info.id)
    assert "主送机关" not in str(refused.value) and "签发人" in str(refused.value)
    assert set(filing_service.missing_elements(as_office(bureau))) == {"doc_signer",
                                                                       "doc_number_pattern"}
    info = submissions.finalize(as_office(bureau), draft.info.id, allow_incomplete=True)
    assert info.status == "final"
    with bureau.reading():
        (detail,) = bureau.execute("SELECT detail FROM audit_event WHERE action = 'finalize' "
                                   "ORDER BY seq DESC LIMIT 1").fetchone()
    assert json.loads(detail)["incomplete"] == ["doc_signer", "doc_number_pattern"]
    settings.save_settings(bureau, {"doc_signer": "王建国",
                                    "doc_number_pattern": "东公政〔{年}〕{号}号"})
    assert filing_service.missing_elements(as_office(bureau)) == ()


def test_classification_and_term_chosen_at_finalize_print_as_gbt_9704(
        bureau: VaultSession) -> None:
    settings.save_settings(bureau, {"doc_number_pattern": "东公政〔{年}〕{号}号",
                                    "doc_recipient": "市公安局政治部", "doc_signer": "王建国",
                                    "doc_classification": "秘密",
                                    "doc_classification_years": "1"})
    draft = submissions.compile_draft(as_office(bureau), "2026-11")
    for years in (-1, 31):
        with pytest.raises(InvalidInput):
            submissions.finalize(as_office(bureau), draft.info.id, classification_years=years)
    submissions.finalize(as_office(bureau), draft.info.id, classification="机密",
                         classification_years=5)
    doc = submissions.get(as_office(bureau), draft.info.id).document
    assert (doc["filing"]["classification"], doc["filing"]["classification_years"]) == ("机密", 5)
    assert build(doc).marking == "机密★5年"  # 密级★保密期限 (§7.2.2)
    set_language("zh")
    try:
        docx = render_files(doc)["submission.docx"]
    finally:
        set_language("en")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs[:3])
    assert "机密★5年" in text


@pytest.fixture
def cli_vault(created: lifecycle.CreatedVault, state_dir: Path, tmp_path: Path,
              clock: FixedClock) -> list[str]:
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        populate(vs)
        office = add_office(vs)
    finally:
        vs.close()
    secret = write_secret(tmp_path, "pass.txt", PASSPHRASE)
    return ["--lang", "en", "--vault", str(created.path), "--user", office,
            "--passphrase-file", str(secret)]


def test_cli_finalize_refuses_incomplete_then_takes_classification_term_and_override(
        cli_vault: list[str], created: lifecycle.CreatedVault, state_dir: Path, clock: FixedClock,
        capsys: pytest.CaptureFixture[str]) -> None:
    period = "2026-10"  # over on the real clock the CLI runs on
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:  # a bureau that never set its document settings
        settings.save_settings(vs, {"doc_recipient": "", "doc_signer": "",
                                    "doc_number_pattern": filing.DEFAULT_PATTERN})
    finally:
        vs.close()
    try:
        assert cli.main([*cli_vault, "submission", "compile", "--period", period]) == 0
        capsys.readouterr()
        assert cli.main([*cli_vault, "submission", "finalize", "--period", period]) == 2
        err = capsys.readouterr().err
        assert "主送机关" in err and "--allow-incomplete" in err and "Traceback" not in err
        assert cli.main([*cli_vault, "submission", "finalize", "--period", period,
                         "--classification", "绝密", "--classification-years", "3",
                         "--allow-incomplete"]) == 0
        out = capsys.readouterr()
        assert "Version 1 of 2026-10 (whole bureau) is final." in out.out
        assert "Finalized without the addressee (主送机关)" in out.err
    finally:
        set_language("en")
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        info = submissions.latest(as_office(vs), period)
        assert info is not None
        doc = submissions.get(as_office(vs), info.id).document
    finally:
        vs.close()
    assert build(doc).marking == "绝密★3年"


def test_a_correction_keeps_the_replaced_versions_classification_unless_told(
        cli_vault: list[str], created: lifecycle.CreatedVault, state_dir: Path, clock: FixedClock,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A unit's v1 finalized 机密★10年; v2, finalized without ``--classification``, is 机密★10年
    too (not the setting's 秘密): a corrected version never lowers the 密级 silently. The
    finalize dialog starts from the same values; an explicit choice still wins."""
    period, unit = "2026-10", ["--scope", "U02"]
    try:
        assert cli.main([*cli_vault, "submission", "compile", "--period", period, *unit]) == 0
        assert cli.main([*cli_vault, "submission", "finalize", "--period", period, *unit,
                         "--classification", "机密", "--classification-years", "10"]) == 0
        assert cli.main([*cli_vault, "submission", "compile", "--period", period, *unit]) == 0
        assert cli.main([*cli_vault, "submission", "finalize", "--period", period, *unit]) == 0
        assert "Version 2 of 2026-10" in capsys.readouterr().out
        assert cli.main([*cli_vault, "submission", "compile", "--period", period, *unit]) == 0
    finally:
        set_language("en")
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        versions = {i.version: i for i in submissions.list_versions(as_office(vs), period, "U02")}
        second = submissions.get(as_office(vs), versions[2].id).document
        assert versions[2].replaces_version == 1
        assert (second["filing"]["classification"],
                second["filing"]["classification_years"]) == ("机密", 10)
        assert build(second).marking == "机密★10年"
        defaults = filing_service.finalize_defaults(as_office(vs), versions[3].id)
        assert (defaults.classification, defaults.classification_years) == ("机密", 10)
        # no version replaced: the settings
        fresh = filing_service.finalize_defaults(as_office(vs))
        assert (fresh.classification, fresh.classification_years) == ("秘密", 0)
        submissions.finalize(as_office(vs), versions[3].id, classification="秘密",
                             classification_years=1)
        third = submissions.get(as_office(vs), versions[3].id).document
        assert build(third).marking == "秘密★1年"  # lowering it takes an explicit choice
    finally:
        vs.close()


def test_a_document_finalized_without_a_signer_prints_no_empty_signer_label(
        bureau: VaultSession) -> None:
    settings.save_settings(bureau, {"doc_recipient": "市公安局政治部", "doc_signer": "",
                                    "doc_number_pattern": "东公政〔{年}〕{号}号"})
    draft = submissions.compile_draft(as_office(bureau), "2026-11")
    submissions.finalize(as_office(bureau), draft.info.id, allow_incomplete=True)
    doc = submissions.get(as_office(bureau), draft.info.id).document
    set_language("zh")
    try:
        docx = render_files(doc)["submission.docx"]
    finally:
        set_language("en")
    head = [p.text for p in Document(io.BytesIO(docx)).paragraphs[:12]]
    number = next(t for t in head if "东公政〔2026〕1" in t)
    assert "签发人" not in number, number  # no label with nothing after it
    assert not any("签发人" in t for t in head), head
