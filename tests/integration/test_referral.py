"""Consent 知情同意 and the referral / transfer export (issue 15, point 4): the package opens
in 7-Zip with its password, lists no names without it, holds the archive in the official
layout and no sealed note unless chosen — opened as the receiver would (``7z``, py7zr) and
read back with python-docx; real SQLCipher vault."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import docx
import py7zr
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH

from counselor_tui import cli
from counselor_tui.i18n import set_language
from counselor_tui.services import assessments, referral, sessions, tier_review
from counselor_tui.services.assessments import AssessmentDraft
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import InvalidInput, NotFound, PermissionDenied
from counselor_tui.services.referral import ReferralDraft
from counselor_tui.services.sessions import SessionDraft
from db.models import AuditEvent, TierState
from db.models_care import ReferralExport
from tests.conftest import TZ, write_secret
from tests.integration.archive_world import World, officer
from tests.integration.layout_support import open_pdf, page_lines, soffice
from tests.worlds import OTHER_PASSPHRASE

pytestmark = pytest.mark.world("archive")

PASSWORD = "蓝色海豚在月光下跳舞 2026"
PLAIN = "睡眠问题明显好转，建议继续随访"
SEALED = "封存金丝雀：配偶冲突细节"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


def log(vs: VaultSession, person: int, note: str, days_ago: int, **kw: object) -> None:
    sessions.log_session(vs, SessionDraft(
        person_id=person, started_at=vs.now() - timedelta(days=days_ago),
        channel="face_to_face", kind="routine", topics=("health_sleep",), duration_min=50,
        note=note, **kw))  # type: ignore[arg-type]


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "".join(parts).replace("\n", "")  # cells break lines to fit: compare without


def opened_with_7z(path: Path, password: str, dest: Path) -> str:
    done = subprocess.run(["7z", "x", f"-p{password}", f"-o{dest}", "-y", str(path)],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    files = sorted(dest.iterdir())
    assert [f.name for f in files] == [referral.DOCX_NAME]
    return docx_text(files[0].read_bytes())


def test_consent_shown_and_the_package_holds_no_sealed_note_unless_chosen(
        world: World, tmp_path: Path) -> None:
    zs = officer(world, "张三", "330001")
    li, coord, wang = world.login("li"), world.login("coord"), world.login("wang")
    log(li, zs, PLAIN, 3)
    log(li, zs, SEALED, 2, sealed=True)
    assessments.record_assessment(li, AssessmentDraft(zs, "phq9", (2, 2, 2, 2, 1, 1, 0, 0, 0),
                                                      date(2026, 11, 20)))
    assert referral.latest_consent(li, zs) is None
    with pytest.raises(InvalidInput):
        referral.record_consent(li, zs, date(2026, 11, 26), ("referral",))  # future
    with pytest.raises(InvalidInput):
        referral.record_consent(li, zs, date(2026, 11, 20), ("everything",))
    referral.record_consent(li, zs, date(2026, 11, 20), ("counseling", "referral", "transfer"),
                            "本人签字")
    consent = referral.latest_consent(li, zs)
    assert consent is not None and consent.scope == ("counseling", "referral", "transfer")

    out = tmp_path / "out"
    with pytest.raises(PermissionDenied):  # an admin does not export
        referral.export_referral(world.admin, ReferralDraft(zs, "市心理医院", "referral"), out)
    with pytest.raises(NotFound):  # wang's unit is another one
        referral.export_referral(wang, ReferralDraft(zs, "市心理医院", "referral"), out)
    with pytest.raises(InvalidInput):
        referral.export_referral(li, ReferralDraft(zs, " ", "referral"), out)
    with pytest.raises(InvalidInput):
        referral.export_referral(li, ReferralDraft(zs, "市心理医院", "referral",
                                                   password="123456"), out)
    assert not out.exists() or not any(out.iterdir())

    plain = referral.export_referral(li, ReferralDraft(zs, "市心理医院", "referral",
                                                       password=PASSWORD), out)
    assert plain.password is None and plain.sealed_included == 0 and plain.consent == consent
    assert "张三" not in plain.path.name
    # without the password 7-Zip lists nothing, not even a file name
    bare = subprocess.run(["7z", "l", "-pwrong", str(plain.path)], capture_output=True,
                          text=True, check=False, timeout=60)
    assert bare.returncode != 0 and referral.DOCX_NAME not in bare.stdout + bare.stderr
    text = opened_with_7z(plain.path, PASSWORD, tmp_path / "x1")
    for expected in ("张三", "330001", "市心理医院", PLAIN, "PHQ-9", "2026-11-20",
                     "Moderate", "Consent given on 2026-11-20"):
        assert expected in text, expected
    assert SEALED not in text

    chosen = referral.export_referral(coord, ReferralDraft(zs, "市公安局政治部", "transfer",
                                                           include_sealed=True), out)
    assert chosen.password and chosen.sealed_included == 1
    with py7zr.SevenZipFile(chosen.path, "r", password=chosen.password) as z:
        assert z.getnames() == [referral.DOCX_NAME]
        z.extractall(path=tmp_path / "x2")
    assert SEALED in docx_text((tmp_path / "x2" / referral.DOCX_NAME).read_bytes())

    with coord.reading():
        exports = [(r.recipient, r.purpose, r.include_sealed) for r in ReferralExport.select()]
        events = [e.detail for e in AuditEvent.select().where(
            (AuditEvent.action == "export") & (AuditEvent.entity == "person"))]
    assert exports == [("市心理医院", "referral", False), ("市公安局政治部", "transfer", True)]
    assert [(e["recipient"], e["sealed_notes"]) for e in events] == [
        ("市心理医院", 0), ("市公安局政治部", 1)]
    assert all("张三" not in str(e) for e in events)


def test_cli_records_consent_and_exports(world: World, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    zs = officer(world, "张三", "330001")
    li = world.login("li")
    log(li, zs, SEALED, 1, sealed=True)
    world.close()
    secret = write_secret(tmp_path, "li.txt", OTHER_PASSPHRASE)
    package_secret = write_secret(tmp_path, "pkg.txt", PASSWORD)
    base = ["--lang", "en", "--vault", str(world.path), "--user", "li",
            "--passphrase-file", str(secret), "referral"]
    export = [*base, "export", str(zs), "--recipient", "市心理医院", "--purpose", "referral",
              "--out", str(tmp_path / "out"), "--package-passphrase-file", str(package_secret)]
    # no consent: said first, then refused — nothing written unless chosen explicitly
    assert cli.main(export) == 2
    said = capsys.readouterr()
    assert "No informed consent is recorded" in said.out and "--without-consent" in said.err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert cli.main([*export, "--without-consent"]) == 0
    out = capsys.readouterr().out
    assert out.index("No informed consent is recorded") < out.index("Package written")
    assert "Sealed notes included: 0" in out
    assert cli.main([*base, "consent", str(zs), "--given-on", "2026-11-01",
                     "--scope", "counseling"]) == 0
    capsys.readouterr()
    assert cli.main(export) == 2  # a consent that does not cover a referral
    assert "it does not cover a referral" in capsys.readouterr().out
    assert len(list((tmp_path / "out").iterdir())) == 1
    narrower = [*base, "consent", str(zs), "--given-on", "2026-11-01",
                "--scope", "referral,transfer"]
    assert cli.main(narrower) == 2  # leaves out counseling: said, nothing recorded
    assert "also covers counseling" in capsys.readouterr().err
    assert cli.main([*narrower, "--withdraw"]) == 0
    assert "2026-11-01" in capsys.readouterr().out
    assert cli.main([*base, "consent", str(zs), "--given-on", "2026-11-01",
                     "--scope", "nothing"]) == 2
    assert cli.main([*base, "export", str(zs), "--recipient", "市心理医院",
                     "--purpose", "transfer", "--out", str(tmp_path / "out"),
                     "--include-sealed"]) == 0
    out = capsys.readouterr().out
    assert "Consent given on 2026-11-01" in out and "Sealed notes included: 1" in out
    password = next(line.split(": ", 1)[1] for line in out.splitlines()
                    if line.startswith("password: "))
    path = Path(next(line.split(": ", 1)[1] for line in out.splitlines()
                     if line.startswith("Package written: ")))
    assert SEALED in opened_with_7z(path, password, tmp_path / "x")


def test_document_reads_right_for_a_person_tiered_with_the_record(
        world: World, tmp_path: Path) -> None:
    """The new user's reading of an exported archive (zh): the current tier and since when
    although no tier change was recorded (a tier_state row only, as the demo and the roster
    leave it), the SCL-90's screening result (it has no bands), summaries as typed (no
    inserted line breaks), text columns left-aligned and only numbers right-aligned, a list
    title over the sessions, the name with the badge in brackets in the text."""
    set_language("zh")
    cai = officer(world, "蔡文", "523926")
    li = world.login("li")
    with li.transaction():  # a tier set with the record: no TierChange row
        TierState.create(person=cai, tier="green", since="2024-11-08", review_due=None,
                         created_at=li.now_iso(), created_by=li.actor.id,
                         updated_at=li.now_iso(), updated_by=li.actor.id)
    summary = "新入职半年，反映工作节奏快、夜班多，融入集体有困难，睡眠一般，约定两周后随访"
    log(li, cai, summary, 3)
    # fix15 C: a review and an addendum, as they read in the document
    tier_review.review(li, cai, "复核无变化")
    first = sessions.sessions_of_person(li, cai)[0]
    sessions.add_addendum(li, first.id, "补充：家属反映睡眠已改善")
    assessments.record_assessment(li, AssessmentDraft(cai, "scl90", (2,) * 90,
                                                      date(2026, 11, 20)))
    referral.record_consent(li, cai, date(2026, 11, 20), ("referral",))
    done = referral.export_referral(li, ReferralDraft(cai, "市心理医院", "referral",
                                                      password=PASSWORD), tmp_path / "out")
    with py7zr.SevenZipFile(done.path, "r", password=PASSWORD) as z:
        z.extractall(path=tmp_path / "x")
    document = docx.Document(str(tmp_path / "x" / referral.DOCX_NAME))
    text = "".join(p.text for p in document.paragraphs)
    assert "因蔡文（警号523926）转介" in text
    assert "咨询辅导记录" in text and "（人次）" not in text
    profile, tiers, tests, visits = document.tables

    def cells(table: Any) -> list[list[str]]:
        return [[c.text for c in row.cells] for row in table.rows]

    def align(table: Any, row: int, col: int) -> Any:
        return table.cell(row, col).paragraphs[0].alignment

    assert ["姓名", "蔡文"] in cells(profile)
    assert ["等级", "一般（自2024-11-08起）"] in cells(profile)
    assert cells(tiers)[1][0] == "2024-11-08" and cells(tiers)[1][2] == "一般"
    assert cells(tiers)[2][1:] == ["一般", "复核：维持一般", "复核无变化"]
    assert cells(visits)[1][3].split("\n") == [
        summary, "补记（2026-11-25 09:00，LI）：补充：家属反映睡眠已改善"]
    # one heading in the covering letter: not numbered 一、 without a 二、
    assert "移送内容" in [p.text for p in document.paragraphs]
    assert not any(p.text.startswith("一、") for p in document.paragraphs)
    assert cells(tests)[1][1:] == ["症状自评量表（SCL-90）", "180", "筛查阳性（阳性项目90项）"]
    assert cells(visits)[1][3].startswith(summary + "\n")  # flows: no line break inserted
    left, right = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT
    assert align(profile, 1, 1) == left and align(visits, 1, 3) == left
    assert align(visits, 1, 1) == left and align(tests, 1, 1) == left
    assert align(tests, 1, 2) == right  # the total, a number


def test_a_consent_that_leaves_out_a_scope_on_record_is_refused_unless_withdrawn(
        world: World) -> None:
    """fix15 A: recording 心理咨询、转介 over 心理咨询、档案移交 dropped the transfer consent
    silently; now it is refused naming what it drops, recorded only as a withdrawal (audited),
    and the former consent stays on the record."""
    zs = officer(world, "张三", "330001")
    li = world.login("li")
    referral.record_consent(li, zs, date(2026, 11, 20), ("counseling", "transfer"))
    with pytest.raises(referral.ConsentNarrowed) as refused:
        referral.record_consent(li, zs, date(2026, 11, 24), ("counseling", "referral"))
    assert refused.value.dropped == ("transfer",)
    assert "transfer of the archive" in str(refused.value)
    with pytest.raises(InvalidInput):  # the same consent again adds nothing
        referral.record_consent(li, zs, date(2026, 11, 20), ("transfer", "counseling"))
    referral.record_consent(li, zs, date(2026, 11, 24), ("counseling", "transfer", "referral"))
    referral.record_consent(li, zs, date(2026, 11, 25), ("counseling",), withdraw=True)
    assert [(c.given_on, c.scope) for c in referral.consents(li, zs)] == [
        ("2026-11-25", ("counseling",)),
        ("2026-11-24", ("counseling", "transfer", "referral")),
        ("2026-11-20", ("counseling", "transfer"))]
    with li.reading():
        withdrawn = [e.detail["withdrawn"] for e in AuditEvent.select().where(
            (AuditEvent.action == "create") & (AuditEvent.entity == "consent"))
            .order_by(AuditEvent.seq)]
    assert withdrawn == [[], [], ["transfer", "referral"]]


@pytest.mark.slow
def test_the_printed_archive_numbers_its_pages_one_to_the_last(world: World,
                                                                tmp_path: Path) -> None:
    """fix15 C: converted as the receiver would (``soffice --convert-to pdf``), the last page
    of a 7-page archive read "— 8 —": the 版记 opened an even-page section, and the blank
    page inserted before it is left out of the PDF. Every page now carries its own number."""
    binary = soffice()
    set_language("zh")
    zs = officer(world, "张三", "330001")
    li = world.login("li")
    log(li, zs, PLAIN, 3)
    referral.record_consent(li, zs, date(2026, 11, 20), ("referral",))
    done = referral.export_referral(li, ReferralDraft(zs, "市心理医院", "referral",
                                                      password=PASSWORD), tmp_path / "out")
    with py7zr.SevenZipFile(done.path, "r", password=PASSWORD) as z:
        z.extractall(path=tmp_path / "x")
    subprocess.run([binary, "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo'}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path / "x"),
                    str(tmp_path / "x" / referral.DOCX_NAME)],
                   check=True, capture_output=True, timeout=300)
    with open_pdf(tmp_path / "x" / "archive.pdf") as pdf:
        feet = [page_lines(page)[-1].text for page in pdf.pages]
    assert len(feet) >= 6  # letter, four attachments, the 版记
    assert feet == [f"— {n} —" for n in range(1, len(feet) + 1)], feet
