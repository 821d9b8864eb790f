"""Submission life cycle, signed encrypted package, verify, consolidate (issue 6; security
tests 18 and 19)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest

from counselor_tui.domain.disclosure import linked
from counselor_tui.domain.periods import parse_period
from counselor_tui.reports import linking
from counselor_tui.reports import package as pkg
from counselor_tui.reports.xlsx_out import display_width
from counselor_tui.services import accounts, lifecycle, settings, submissions
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, PermissionDenied, ServiceError
from counselor_tui.services.submission_compile import compile_content
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, TZ
from tests.integration.submission_fixtures import populate
from tests.worlds import as_office

PASSWORD = "plum orchard lantern seventeen"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 2, 9, 0, tzinfo=TZ))


@pytest.fixture
def bureau(created: lifecycle.CreatedVault, state_dir: Path,
           clock: FixedClock) -> Iterator[VaultSession]:
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    populate(vs)
    yield as_office(vs)
    vs.close()


def final_package(vs: VaultSession, out: Path, scope: str = "bureau",
                  password: str | None = PASSWORD, *,
                  allow_incomplete: bool = False) -> submissions.ExportResult:
    detail = submissions.compile_draft(vs, "2026-11", scope)
    submissions.save_narrative(vs, detail.info.id, {"highlights": "完成普查", "plan": "继续"})
    submissions.finalize(vs, detail.info.id, allow_incomplete=allow_incomplete)
    return submissions.export(vs, detail.info.id, out, password)


def extract_with_7z(package: Path, password: str, dest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["7z", "x", f"-p{password}", f"-o{dest}", "-y", str(package)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)


def test_life_cycle_final_never_changes_and_corrections_are_new_versions(
        bureau: VaultSession) -> None:
    first = submissions.compile_draft(bureau, "2026-11")
    assert (first.info.version, first.info.status) == (1, "draft")
    again = submissions.compile_draft(bureau, "2026-11")
    assert again.info.id == first.info.id  # recompiling refreshes the draft
    submissions.save_narrative(bureau, first.info.id, {"highlights": " 亮点 ", "problems": "问题",
                                                      "plan": "计划"})
    final = submissions.finalize(bureau, first.info.id)
    assert final.status == "final" and final.content_sha256 and final.audit_head
    detail = submissions.get(bureau, first.info.id)
    assert detail.narrative == {"highlights": "亮点", "problems": "问题", "plan": "计划"}
    assert detail.document["integrity"]["audit_head"] == final.audit_head
    with pytest.raises(Conflict, match="final"):
        submissions.save_narrative(bureau, first.info.id, {"highlights": "改"})
    with pytest.raises(Conflict, match="already final"):
        submissions.finalize(bureau, first.info.id)
    correction = submissions.compile_draft(bureau, "2026-11")
    assert (correction.info.version, correction.info.replaces_id) == (2, first.info.id)
    assert correction.info.replaces_version == 1
    assert correction.narrative["plan"] == "计划"  # carried over to the correction
    unchanged = submissions.get(bureau, first.info.id)
    assert unchanged.info.content_sha256 == final.content_sha256
    assert [v.version for v in submissions.list_versions(bureau, "2026-11", "bureau")] == [2, 1]
    with bureau.reading():
        actions = [r[0] for r in bureau.execute(
            "SELECT action FROM audit_event WHERE entity = 'submission' ORDER BY seq")]
    assert actions == ["compile", "compile", "update", "finalize", "compile"]


def test_finalize_refreshes_a_stale_draft_instead_of_freezing_it(bureau: VaultSession) -> None:
    draft = submissions.compile_draft(bureau, "2026-11")
    with bureau.transaction():
        bureau.execute("UPDATE counseling_session SET voided_at = ? WHERE id = "
                       "(SELECT MAX(id) FROM counseling_session WHERE voided_at IS NULL "
                       "AND started_at >= '2026-11-01' AND started_at < '2026-12-01' "
                       "AND (person_id IS NULL OR person_id IN "
                       "(SELECT id FROM person WHERE voided_at IS NULL)))",
                       (bureau.now_iso(),))
    with pytest.raises(Conflict, match="changed"):
        submissions.finalize(bureau, draft.info.id)
    refreshed = submissions.get(bureau, draft.info.id)
    assert refreshed.info.status == "draft"
    assert (refreshed.document["sections"]["counseling"]["figures"]["sessions"]
            == draft.document["sections"]["counseling"]["figures"]["sessions"] - 1)
    assert submissions.finalize(bureau, draft.info.id).status == "final"


def test_roles(bureau: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
               state_dir: Path) -> None:
    admin = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock,
                             state_dir=state_dir)
    accounts.add_user(admin, "li", "counselor", OTHER_PASSPHRASE, kdf_seconds=0)
    accounts.add_user(admin, "audit", "auditor", OTHER_PASSPHRASE, kdf_seconds=0)
    with pytest.raises(PermissionDenied):  # an admin manages accounts, not submissions
        submissions.compile_draft(admin, "2026-11")
    admin.close()
    counselor = lifecycle.unlock(created.path, "li", OTHER_PASSPHRASE, clock=clock,
                             state_dir=state_dir)
    auditor = lifecycle.unlock(created.path, "audit", OTHER_PASSPHRASE, clock=clock,
                           state_dir=state_dir)
    try:
        with pytest.raises(PermissionDenied):
            submissions.preview(counselor, "2026-11")
        assert submissions.dashboard_section(counselor) is None
        doc = submissions.preview(auditor, "2026-11")
        assert doc["sections"]["counseling"]["figures"]["sessions"] > 0
        with pytest.raises(PermissionDenied):
            submissions.compile_draft(auditor, "2026-11")
        assert submissions.list_versions(auditor) == []
    finally:
        counselor.close()
        auditor.close()


def test_dashboard_shows_due_date_and_finalized_state(bureau: VaultSession,
                                                      clock: FixedClock,
                                                      tmp_path: Path) -> None:
    due = submissions.next_due(bureau)  # 2026-12-02: November is due 2026-12-05
    assert (due.last_period, due.last_due.isoformat(), due.last_finalized, due.overdue) == (
        "2026-11", "2026-12-05", False, False)
    section = submissions.dashboard_section(bureau)
    assert section is not None and section.level == "warning"
    assert section.items[0].text == "Submission 2026-11: due 2026-12-05, not finalized yet."
    clock.advance(days=4)
    overdue = submissions.dashboard_section(bureau)
    assert overdue is not None and overdue.level == "urgent"
    # the summary never shows a passed date as "next due"; the running month is named too
    assert overdue.summary == "2026-11 overdue (was due 2026-12-05)"
    assert [i.text for i in overdue.items] == [
        "Submission 2026-11: not finalized, was due 2026-12-05.",
        "Next: submission 2026-12, due 2027-01-05."]
    draft = submissions.compile_draft(bureau, "2026-11")
    submissions.finalize(bureau, draft.info.id)
    due = submissions.next_due(bureau)
    assert (due.last_finalized, due.next_period, due.next_due.isoformat()) == (
        True, "2026-12", "2027-01-05")
    texts = [i.text for i in submissions.dashboard_section(bureau).items]  # type: ignore[union-attr]
    assert texts == ["Submission 2026-11: finalized.", "Next: submission 2026-12, due 2027-01-05."]
    submissions.export(bureau, draft.info.id, tmp_path, PASSWORD)  # then it says exported
    assert submissions.next_due(bureau).last_exported
    texts = [i.text for i in submissions.dashboard_section(bureau).items]  # type: ignore[union-attr]
    assert texts[0] == "Submission 2026-11: exported."
    settings.set_setting(bureau, "submission_due_day", 31)
    assert submissions.next_due(bureau).next_due.isoformat() == "2027-01-31"


def test_package_opens_with_7z_hides_names_and_matches_its_manifest(
        bureau: VaultSession, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = final_package(bureau, out)
    assert result.path == out / "submission-2026-11-bureau-v1.7z"
    assert result.password is None
    data = result.path.read_bytes()
    for name in (*pkg.CONTENT_FILES, pkg.MANIFEST_NAME, pkg.SIGNATURE_NAME):
        for encoded in (name.encode(), name.encode("utf-16-le")):
            assert encoded not in data
    assert b"submission" not in data and "submission".encode("utf-16-le") not in data
    listing = subprocess.run(["7z", "l", "-pwrong password", str(result.path)],
                             capture_output=True, text=True, stdin=subprocess.DEVNULL,
                             check=False)
    inner = (*pkg.CONTENT_FILES, pkg.MANIFEST_NAME, pkg.SIGNATURE_NAME)
    assert listing.returncode != 0
    assert not any(n in listing.stdout + listing.stderr for n in inner)
    bare = subprocess.run(["7z", "l", str(result.path)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False)
    assert bare.returncode != 0
    assert not any(n in bare.stdout + bare.stderr for n in inner)
    dest = tmp_path / "opened"
    run = extract_with_7z(result.path, PASSWORD, dest)
    assert run.returncode == 0, run.stdout + run.stderr
    names = sorted(p.name for p in dest.iterdir())
    assert names == sorted([*pkg.CONTENT_FILES, pkg.MANIFEST_NAME, pkg.SIGNATURE_NAME,
                            "tables"])
    assert len(list((dest / "tables").glob("*.csv"))) >= 10
    manifest = json.loads((dest / pkg.MANIFEST_NAME).read_text("utf-8"))
    for name, entry in manifest["files"].items():
        blob = (dest / name).read_bytes()
        assert hashlib.sha256(blob).hexdigest() == entry["sha256"]
        assert len(blob) == entry["bytes"]
    assert manifest["period"]["label"] == "2026-11"
    assert manifest["scope"] == {"kind": "bureau", "code": "bureau"}
    assert manifest["signer"]["fingerprint"] == submissions.fingerprint(bureau)
    info = submissions.latest(bureau, "2026-11")
    assert info is not None and info.status == "exported"
    assert manifest["content_sha256"] == info.content_sha256
    assert manifest["audit_head"] == info.audit_head
    verified = pkg.verify(result.path, PASSWORD, [submissions.fingerprint(bureau)])
    assert verified.fingerprint == submissions.fingerprint(bureau)
    assert verified.trusted is True
    exact = json.loads(verified.files[pkg.JSON_NAME])
    assert exact["narrative"]["highlights"] == "完成普查"
    # exact counts in the JSON, suppressed ones in the documents
    assert exact["sections"]["firearms"]["figures"]["declined"] == 1
    assert {"row": "declined", "col": None, "status": "primary"} in exact["disclosure"][
        "suppressed"]["firearms.figures"]
    csv_text = verified.files[pkg.CSV_NAME].decode("utf-8")
    assert csv_text.startswith("\ufeff") and "<3" in csv_text
    with bureau.reading():
        (detail,) = bureau.execute(
            "SELECT detail FROM audit_event WHERE action = 'export'").fetchone()
    assert json.loads(detail)["file"] == result.path.name


def test_docx_and_xlsx_reopen_with_expected_content(bureau: VaultSession,
                                                    tmp_path: Path) -> None:
    result = final_package(bureau, tmp_path)
    files = pkg.verify(result.path, PASSWORD).files
    document = docx.Document(io.BytesIO(files[pkg.DOCX_NAME]))
    texts = [p.text for p in document.paragraphs]
    # GB/T 9704 版头: 份号 and 密级 (the default classification), then the issuing body
    assert texts[:3] == ["000001", "秘密", "测试县公安局"]
    assert "Report on the officers' mental-health work in 2026-11" in [
        t.replace("\n", " ") for t in texts]
    assert "一、Highlights" in texts and "完成普查" in texts
    assert "Attachment 1" in texts and "Counseling: key figures" in texts
    assert "Team and activities: key figures" in texts
    first_table = document.tables[0]
    assert [c.text for c in first_table.rows[0].cells] == ["Item", "Figure"]
    sessions = compile_content(bureau, parse_period("2026-11"))["sections"]["counseling"]
    assert first_table.rows[1].cells[1].text == str(sessions["figures"]["sessions"])
    all_cells = {c.text for t in document.tables for r in t.rows for c in r.cells}
    assert "<3" in all_cells and "x" in all_cells
    east_asian = {r._element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
        for p in document.paragraphs for r in p.runs}
    assert {"仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312"} <= east_asian
    with zipfile.ZipFile(io.BytesIO(files[pkg.DOCX_NAME])) as z:
        font_table = z.read("word/fontTable.xml").decode()
    assert 'w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in font_table
    section = document.sections[0]
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28

    book = openpyxl.load_workbook(io.BytesIO(files[pkg.XLSX_NAME]))
    # the report sheet, then one sheet per table
    assert book.sheetnames[0] == "Report" and len(book.sheetnames) == 1 + len(document.tables)
    by_heading = {str(book[name]["A1"].value): book[name] for name in book.sheetnames[1:]}
    sheet = by_heading["Attachment 1 Counseling: key figures"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["Counseling sessions", sessions["figures"]["sessions"]] in [v[:2] for v in values]
    widest = max(display_width(str(v[0])) for v in values[2:] if v[0] is not None)
    assert sheet.column_dimensions["A"].width >= widest
    archive = next(ws for heading, ws in by_heading.items()
                   if heading.endswith("Serving officers by tier at period end"))
    unit_row = next(row for row in archive.iter_rows(values_only=True) if row[0] == "城关派出所")
    assert archive.column_dimensions["A"].width >= display_width("城关派出所")
    assert "<3" in unit_row or "x" in unit_row


def test_verify_rejects_a_changed_byte_a_wrong_password_and_another_vault(
        bureau: VaultSession, tmp_path: Path, clock: FixedClock, state_dir: Path) -> None:
    result = final_package(bureau, tmp_path / "a")
    good = result.path.read_bytes()
    for position in (40, len(good) // 2, len(good) - 30):
        changed = bytearray(good)
        changed[position] ^= 0x01
        with pytest.raises((pkg.PackageError, pkg.PackagePasswordError)):
            pkg.verify(bytes(changed), PASSWORD)
    # another vault signs its own package: fine on its own, refused when A is expected
    other_path = tmp_path / "other" / "vault.db"
    lifecycle.create_vault(other_path, bureau="另一个公安局", admin_username="admin",
                       passphrase=PASSPHRASE, clock=clock, kdf_seconds=0)
    other = lifecycle.unlock(other_path, "admin", PASSPHRASE, clock=clock,
                         state_dir=state_dir / "o")
    try:
        other_result = final_package(as_office(other), tmp_path / "b",
                                     allow_incomplete=True)
        other_key = submissions.signer(other)
    finally:
        other.close()
    mine = submissions.fingerprint(bureau)
    assert pkg.verify(other_result.path, PASSWORD).fingerprint == other_result.fingerprint
    with pytest.raises(pkg.UntrustedSigner, match="not an expected signer"):
        pkg.verify(other_result.path, PASSWORD, [mine])
    # A's manifest re-signed with B's key (A's public key left in it)
    files = dict(pkg.open_package(good, PASSWORD))
    files[pkg.SIGNATURE_NAME] = pkg.sign(files[pkg.MANIFEST_NAME], other_key)
    with pytest.raises(pkg.PackageError, match="signature does not verify"):
        pkg.verify(pkg.archive_bytes(files, PASSWORD), PASSWORD)
    # B's public key swapped into A's manifest, A's fingerprint kept
    manifest = json.loads(files[pkg.MANIFEST_NAME])
    manifest["signer"]["public_key"] = other_key.public_key.hex()
    files[pkg.MANIFEST_NAME] = json.dumps(manifest).encode()
    files[pkg.SIGNATURE_NAME] = pkg.sign(files[pkg.MANIFEST_NAME], other_key)
    with pytest.raises(pkg.PackageError, match="does not match its signer fingerprint"):
        pkg.verify(pkg.archive_bytes(files, PASSWORD), PASSWORD)
    # a document changed after signing
    files = dict(pkg.open_package(good, PASSWORD))
    files[pkg.CSV_NAME] = files[pkg.CSV_NAME].replace(b"<3", b"1", 1)
    with pytest.raises(pkg.PackageError, match=r"submission\.csv does not match"):
        pkg.verify(pkg.archive_bytes(files, PASSWORD), PASSWORD)


def test_security_18_wrong_password_leaves_no_plaintext(
        bureau: VaultSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.chdir(scratch)
    result = final_package(bureau, tmp_path / "out")
    assert list(scratch.iterdir()) == []  # rendering and packing happen in memory
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [result.path.name]
    before = sorted(p.name for p in (tmp_path / "out").iterdir())
    with pytest.raises(pkg.PackagePasswordError) as err:
        pkg.verify(result.path, "not the password at all")
    assert str(err.value).startswith("The package does not open with this password")
    assert err.value.exit_code == 2
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == before
    opened = pkg.verify(result.path, PASSWORD)
    for name, entry in opened.manifest["files"].items():
        assert hashlib.sha256(opened.files[name]).hexdigest() == entry["sha256"]
    assert list(scratch.iterdir()) == []


def test_security_19_write_failure_leaves_previous_package_intact(
        bureau: VaultSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    first = final_package(bureau, out)
    previous = first.path.read_bytes()
    correction = submissions.compile_draft(bureau, "2026-11")  # version 2, same folder
    info = submissions.finalize(bureau, correction.info.id)
    assert info.version == 2
    real_fdopen = os.fdopen

    class Full(io.RawIOBase):
        def __init__(self, fd: int) -> None:
            self.inner = real_fdopen(fd, "wb")

        def write(self, b: Any) -> int:
            self.inner.write(bytes(b)[: len(b) // 2])
            self.inner.flush()
            raise OSError(28, "No space left on device")

        def fileno(self) -> int:
            return self.inner.fileno()

        def close(self) -> None:
            self.inner.close()
            super().close()

    monkeypatch.setattr(pkg.os, "fdopen", lambda fd, mode: Full(fd))
    with pytest.raises(ServiceError, match="No space left on device"):
        submissions.export(bureau, info.id, out, "another strong package password")
    monkeypatch.undo()
    assert sorted(p.name for p in out.iterdir()) == [first.path.name]
    assert first.path.read_bytes() == previous
    assert pkg.verify(first.path, PASSWORD).fingerprint == first.fingerprint


def test_generated_password_is_long_and_opens_the_package(bureau: VaultSession,
                                                         tmp_path: Path) -> None:
    result = final_package(bureau, tmp_path, password=None)
    assert result.password is not None and len(result.password) >= 29
    assert result.password != pkg.generate_password()
    assert pkg.verify(result.path, result.password).fingerprint == result.fingerprint
    latest = submissions.latest(bureau, "2026-11")
    assert latest is not None
    with pytest.raises(InvalidInput, match=r"too weak|at least"):
        submissions.export(bureau, latest.id, tmp_path, "1234")


def test_three_unit_packages_consolidate_to_the_bureau_figures(
        bureau: VaultSession, tmp_path: Path) -> None:
    passwords = {"U01": "amber falcon quietly 11", "U02": "copper meadow swiftly 22",
                 "U03": "violet harbor gently 33"}
    packages = [(final_package(bureau, tmp_path / code, code, pw).path, pw)
                for code, pw in passwords.items()]
    trusted = [submissions.fingerprint(bureau)]
    detail = submissions.consolidate(bureau, packages[::-1], trusted_fingerprints=trusted)
    assert detail.info.scope == "consolidated" and detail.info.status == "draft"
    direct = compile_content(bureau, parse_period("2026-11"), "bureau")
    assert detail.document["sections"] == direct["sections"]
    assert detail.document["units"] == direct["units"]
    assert detail.document["disclosure"]["k"] == 3
    inputs = detail.document["source"]["inputs"]
    assert [i["scope"]["code"] for i in inputs] == ["U01", "U02", "U03"]
    # a unit given twice is refused
    with pytest.raises(Conflict):
        submissions.consolidate(bureau, [packages[0], packages[0]])
    # the consolidated submission goes through finalize and export like any other
    final = submissions.finalize(bureau, detail.info.id)
    exported = submissions.export(bureau, final.id, tmp_path / "up", "silver river calmly 44")
    assert exported.path.name == "submission-2026-11-consolidated-v1.7z"
    assert submissions.next_due(bureau).last_finalized


def test_export_never_replaces_an_existing_package(bureau: VaultSession,
                                                  tmp_path: Path) -> None:
    """Exporting the same version into the same folder again is refused, naming the file:
    a generated password would otherwise leave the old package's password useless."""
    out = tmp_path / "out"
    first = final_package(bureau, out, password=None)
    before = first.path.read_bytes()
    info = submissions.latest(bureau, "2026-11")
    assert info is not None
    with pytest.raises(submissions.PackageExists, match=r"submission-2026-11-bureau-v1\.7z"):
        submissions.export(bureau, info.id, out, None)
    assert first.path.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [first.path.name]
    again = submissions.export(bureau, info.id, tmp_path / "elsewhere", PASSWORD)
    assert again.path.name == first.path.name and again.path.parent.name == "elsewhere"
    with pytest.raises(FileExistsError):  # the writer itself never replaces either
        pkg.write_package(first.path, b"x", overwrite=False)
    assert first.path.read_bytes() == before


def test_periods_that_have_not_ended_are_not_finalized(bureau: VaultSession,
                                                       clock: FixedClock) -> None:
    """On 2026-12-02 December is running: a draft is a preview (titled as such), but it is
    not finalized; periods before 2000 or not started are not compiled at all."""
    from counselor_tui.reports.view import build

    draft = submissions.compile_draft(bureau, "2026-12")
    title = build(draft.document).title
    assert "running month: figures up to 2026-12-02" in title
    with pytest.raises(Conflict, match="has not ended yet"):
        submissions.finalize(bureau, draft.info.id)
    for period in ("2027-01", "2027", "2027-Q1", "1999-12"):
        with pytest.raises(InvalidInput):
            submissions.compile_draft(bureau, period)
        with pytest.raises(InvalidInput):
            submissions.preview(bureau, period)
    year = submissions.compile_draft(bureau, "2026")  # running year: a draft, not final
    assert "running year" in build(year.document).title
    with pytest.raises(Conflict):
        submissions.finalize(bureau, year.info.id)
    assert "running" not in build(submissions.compile_draft(bureau, "2026-11").document).title
    clock.advance(days=30)  # 2027-01-01: December has ended
    final = submissions.finalize(bureau, draft.info.id)
    assert final.status == "final"
    with pytest.raises(InvalidInput, match="scope is empty"):
        submissions.compile_draft(bureau, "2026-11", "")


def test_dashboard_does_not_ask_for_months_before_the_vault_existed(
        created: lifecycle.CreatedVault, state_dir: Path) -> None:
    """A vault created on 2026-11-20 with no older history: October is not asked for."""
    clock = FixedClock(datetime(2026, 11, 29, 9, 0, tzinfo=TZ))
    fresh_path = created.path.parent / "fresh.db"
    lifecycle.create_vault(fresh_path, bureau="新局", admin_username="admin",
                       passphrase=PASSPHRASE,
                       clock=FixedClock(datetime(2026, 11, 20, 9, 0, tzinfo=TZ)),
                       kdf_seconds=0)
    vs = lifecycle.unlock(fresh_path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        due = submissions.next_due(vs)
        assert (due.last_expected, due.overdue, due.next_period, due.next_due.isoformat()) == (
            False, False, "2026-11", "2026-12-05")
        section = submissions.dashboard_section(vs)
        assert section is not None and section.level == "info"
        assert [i.text for i in section.items] == ["Submission 2026-11: due 2026-12-05."]
        clock.advance(days=10)  # 2026-12-09: November is now the vault's own, and overdue
        due = submissions.next_due(vs)
        assert (due.last_expected, due.last_period, due.overdue) == (True, "2026-11", True)
    finally:
        vs.close()


def test_text_that_looks_like_a_formula_stays_text_in_csv_and_xlsx(
        bureau: VaultSession, tmp_path: Path) -> None:
    """OWASP CSV injection: a narrative line ``=cmd|…`` or ``=HYPERLINK(…)`` must reach the
    office as text, never as a formula that Excel or LibreOffice would run."""
    evil = '=HYPERLINK("http://example.invalid","x")'
    detail = submissions.compile_draft(bureau, "2026-11", "bureau")
    submissions.save_narrative(bureau, detail.info.id, {"highlights": evil,
                                                        "plan": "@SUM(A1)"})
    submissions.finalize(bureau, detail.info.id)
    result = submissions.export(bureau, detail.info.id, tmp_path, PASSWORD)
    files = pkg.verify(result.path, PASSWORD).files
    csv_text = files[pkg.CSV_NAME].decode("utf-8-sig")
    assert "'" + evil.replace('"', '""') in csv_text and "'@SUM(A1)" in csv_text
    assert "," + evil not in csv_text and ',"' + evil.replace('"', '""') not in csv_text
    book = openpyxl.load_workbook(io.BytesIO(files[pkg.XLSX_NAME]))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and (evil in c.value or "@SUM" in c.value)]
    assert cells and all(c.data_type == "s" for c in cells)
    assert not [c for ws in book.worksheets for row in ws.iter_rows() for c in row
                if c.data_type == "f"]


def test_the_users_own_vault_passphrase_is_refused_as_package_password(
        bureau: VaultSession, tmp_path: Path) -> None:
    detail = submissions.compile_draft(bureau, "2026-11", "bureau")
    submissions.finalize(bureau, detail.info.id)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InvalidInput, match="vault passphrase"):
        submissions.export(bureau, detail.info.id, out, PASSPHRASE)
    assert list(out.iterdir()) == []  # nothing written
    assert submissions.export(bureau, detail.info.id, out, PASSWORD).path.exists()


def test_finalize_refuses_a_document_the_disclosure_audit_fails(
        bureau: VaultSession, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit is real; the suppression is stopped after its first audit (no complement
    added), so the small cells of the month are left recoverable and finalize must refuse."""
    draft = submissions.compile_draft(bureau, "2026-11")
    real = linked.secure
    monkeypatch.setattr(linking, "secure", lambda release: real(release, max_rounds=1))
    with pytest.raises(Conflict, match="disclosure audit"):
        submissions.finalize(bureau, draft.info.id)
    refused = submissions.get(bureau, draft.info.id)
    assert refused.info.status == "draft"
    block = refused.document["disclosure"]["audit"]
    assert block["failing"] > 0 and block["passed"] is False
    with bureau.reading():
        stages = [json.loads(d).get("stage") for (d,) in bureau.execute(
            "SELECT detail FROM audit_event WHERE action = 'disclosure_audit'")]
        finals = bureau.execute("SELECT COUNT(*) FROM audit_event WHERE action = 'finalize'"
                                ).fetchone()[0]
    assert "finalize" in stages and finals == 0
    monkeypatch.setattr(linking, "secure", real)
    assert submissions.finalize(bureau, draft.info.id).status == "final"
