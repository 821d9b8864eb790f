"""The trust list of package signers (issue 13, point 5): migration 9, ``submission trust``,
``verify`` refusing an unknown signer, ``consolidate`` accepting trusted signers only and
listing its inputs in every document."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import docx
import openpyxl
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from counselor_tui import cli
from counselor_tui.reports import package as pkg
from counselor_tui.reports.render import render_files
from counselor_tui.services import audit, lifecycle, submissions, trusted_signers
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from db import vault as slots
from db.connection import attach, open_connection
from db.migrations import CURRENT_VERSION, migrate, schema_version
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, World, write_secret
from tests.integration import trust_world  # noqa: F401  (registers the "trust" world)

PASSWORD = "plum orchard lantern seventeen"
PERIOD = "2026-10"  # ended on the test clock (2026-11-29)


pytestmark = pytest.mark.world("trust")


def foreign_signer() -> pkg.Signer:
    """A signing key of another vault (or of an impostor)."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return pkg.Signer(private, public, pkg.fingerprint_of(public))


def final_document(vs: VaultSession, scope: str = "bureau") -> dict[str, object]:
    detail = submissions.compile_draft(vs, PERIOD, scope)
    submissions.finalize(vs, detail.info.id)
    return submissions.get(vs, detail.info.id).document


def signed_packages(vs: VaultSession, folder: Path,
                    *signers: pkg.Signer) -> list[Path]:
    """The final bureau document of ``PERIOD`` rendered once, then packaged and signed by
    each of ``signers`` (into ``folder/<n>/``)."""
    document = final_document(vs)
    files = render_files(document)
    paths = []
    for n, signer in enumerate(signers):
        path = folder / str(n) / pkg.package_name(document)
        path.parent.mkdir(parents=True)
        path.write_bytes(pkg.make_package(files, document, signer, PASSWORD,
                                          created_at=vs.now_iso()))
        paths.append(path)
    return paths


def test_only_coordinators_change_the_trust_list_and_every_change_is_audited(
        world: World) -> None:
    co = world.login("co")
    other = foreign_signer()
    spaced = " ".join(other.fingerprint[i:i + 4] for i in range(0, 64, 4)).upper()
    for name in ("admin", "li", "au"):
        vs = world.login(name)
        with pytest.raises(PermissionDenied):
            trusted_signers.add(vs, other.fingerprint, "城关派出所")
        with pytest.raises(PermissionDenied):
            trusted_signers.list_signers(vs)
        with pytest.raises(PermissionDenied):
            trusted_signers.remove(vs, other.fingerprint)
    added = trusted_signers.add(co, spaced, "  城关派出所 ")
    assert (added.fingerprint, added.name, added.added_by) == (other.fingerprint, "城关派出所",
                                                               "co")
    listed = trusted_signers.list_signers(co)
    own = submissions.fingerprint(co)
    assert [(s.fingerprint, s.own) for s in listed] == [(own, True), (other.fingerprint, False)]
    with pytest.raises(Conflict, match="already"):
        trusted_signers.add(co, other.fingerprint, "另一个名字")
    with pytest.raises(InvalidInput, match="own signing key"):
        trusted_signers.add(co, own, "本局")
    with pytest.raises(InvalidInput, match="64 hexadecimal"):
        trusted_signers.add(co, "abc", "城关派出所")
    with pytest.raises(InvalidInput):
        trusted_signers.add(co, foreign_signer().fingerprint, "  ")
    with pytest.raises(InvalidInput, match="own signing key"):
        trusted_signers.remove(co, own)
    removed = trusted_signers.remove(co, other.fingerprint)
    assert removed.name == "城关派出所"
    with pytest.raises(NotFound):
        trusted_signers.remove(co, other.fingerprint)
    assert [s.fingerprint for s in trusted_signers.list_signers(co)] == [own]
    with world.admin.reading():
        events = [(e.user, e.action, dict(e.detail)) for e in audit.iter_events(world.admin)
                  if e.entity == "trusted_signer"]
    assert events == [
        ("co", "trust_add", {"fingerprint": other.fingerprint, "name": "城关派出所"}),
        ("co", "trust_remove", {"fingerprint": other.fingerprint, "name": "城关派出所"}),
    ]


def test_migration_9_adds_the_trust_list_to_a_vault_of_schema_8(
        world: World, tmp_path: Path) -> None:
    """A vault of schema 8 (migrations 1-8 only) holding this world's rows, unlocked with
    this program. (Later migrations alter tables, so they cannot simply run again over a
    newer vault with its version rows taken out.)"""
    world.close()
    world.admin.close()
    keys = slots.load(slots.keys_path(world.path))
    key = slots.open_slot(keys, keys.user_slot("admin"), PASSPHRASE)
    conn = open_connection(world.path, key)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    old = tmp_path / "old.db"
    conn = open_connection(old, key, create=True)
    assert migrate(conn, "2026-01-01T00:00:00+08:00", target=8)[-1] == 8
    conn.execute("PRAGMA foreign_keys = OFF")
    attach(conn, world.path, key, "src")
    for (table,) in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE "
            "'sqlite%' AND name NOT LIKE 'session_note_fts%' AND name != 'schema_version'"
    ).fetchall():  # schema 8's columns of every table it had
        cols = ", ".join(f'"{r[1]}"' for r in conn.execute(f'PRAGMA main.table_info("{table}")'))
        conn.execute(f'INSERT INTO main."{table}" ({cols}) SELECT {cols} FROM src."{table}"')
    conn.execute("DETACH DATABASE src")
    assert schema_version(conn) == 8
    conn.close()
    old.replace(world.path)
    co = lifecycle.unlock(world.path, "co", OTHER_PASSPHRASE, clock=world.clock,
                          state_dir=world.state_dir)
    try:
        assert schema_version(co.db.raw()) == CURRENT_VERSION >= 10
        other = foreign_signer()
        trusted_signers.add(co, other.fingerprint, "交警大队")
        assert other.fingerprint in trusted_signers.known_signers(co)
    finally:
        co.close()


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["--lang", "en", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_verify_exits_1_for_an_unknown_signer_unless_named_or_trusted(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    co = world.login("co")
    other = foreign_signer()
    package, mine = signed_packages(co, tmp_path / "in", other, submissions.signer(co))
    pw = write_secret(tmp_path, "pkg.txt", PASSWORD)
    secret = write_secret(tmp_path, "co.txt", OTHER_PASSPHRASE)
    vault = ["--vault", str(world.path), "--user", "co", "--passphrase-file", str(secret)]
    verify = ["submission", "verify", str(package), "--package-passphrase-file", str(pw)]

    code, out, err = run(verify, capsys)  # no vault, no expected fingerprint
    assert code == 1 and other.fingerprint in err and "unknown" in err, err
    code, out, err = run([*vault, *verify], capsys)  # a vault that does not trust it
    assert code == 1 and "not on this vault's trust list" in err, err
    code, out, err = run([*verify, "--expect-fingerprint", other.fingerprint], capsys)
    assert code == 0 and "signer: expected" in out, err

    code, out, err = run([*vault, "submission", "trust", "add", other.fingerprint,
                          "--name", "城关派出所"], capsys)
    assert code == 0, err
    code, out, err = run([*vault, "submission", "trust", "list"], capsys)
    assert code == 0 and f"{other.fingerprint}\t城关派出所\tadded " in out, err
    code, out, err = run([*vault, *verify], capsys)
    assert code == 0 and "signer: trusted (城关派出所)" in out, err
    code, out, err = run([*vault, "submission", "trust", "remove", other.fingerprint], capsys)
    assert code == 0 and "No longer trusted" in out, err

    # the vault's own key is trusted implicitly
    code, out, err = run([*vault, "submission", "verify", str(mine),
                          "--package-passphrase-file", str(pw)], capsys)
    assert code == 0 and "signer: this vault" in out, err
    # a counselor may not change the trust list (refused by the service: exit 2)
    li = write_secret(tmp_path, "li.txt", OTHER_PASSPHRASE)
    code, out, err = run(["--vault", str(world.path), "--user", "li", "--passphrase-file",
                          str(li), "submission", "trust", "add", other.fingerprint,
                          "--name", "x"], capsys)
    assert code == 2 and "may not" in err


def _document_texts(files: dict[str, bytes]) -> dict[str, str]:
    docx_text = "\n".join(p.text for p in docx.Document(io.BytesIO(
        files[pkg.DOCX_NAME])).paragraphs)
    book = openpyxl.load_workbook(io.BytesIO(files[pkg.XLSX_NAME]))
    xlsx_text = "\n".join(str(c) for ws in book.worksheets
                          for row in ws.iter_rows(values_only=True) for c in row if c)
    csv_text = "\n".join(",".join(r) for r in csv.reader(io.StringIO(
        files[pkg.CSV_NAME].decode("utf-8-sig"))))
    return {"docx": docx_text, "xlsx": xlsx_text, "csv": csv_text}


def test_consolidate_accepts_trusted_signers_only_and_lists_its_inputs(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    co = world.login("co")
    other = foreign_signer()
    [package] = signed_packages(co, tmp_path / "in", other)
    with pytest.raises(trusted_signers.UnknownSigner) as refused:
        submissions.consolidate(co, [(package, PASSWORD)])
    assert package.name in str(refused.value) and other.fingerprint in str(refused.value)
    assert submissions.latest(co, PERIOD, "consolidated") is None  # nothing stored

    pw = write_secret(tmp_path, "pkg.txt", PASSWORD)
    secret = write_secret(tmp_path, "co.txt", OTHER_PASSPHRASE)
    vault = ["--vault", str(world.path), "--user", "co", "--passphrase-file", str(secret)]
    code, _out, err = run([*vault, "submission", "consolidate", str(package),
                          "--package-passphrase-file", str(pw)], capsys)
    assert code == 2 and package.name in err and other.fingerprint in err, err

    trusted_signers.add(co, other.fingerprint, "上级派出的测试局")
    detail = submissions.consolidate(co, [(package, PASSWORD)])
    [item] = detail.document["source"]["inputs"]
    assert item["signer_fingerprint"] == other.fingerprint
    texts = _document_texts(render_files(detail.document))
    for kind, text in texts.items():
        assert other.fingerprint in text, kind
        assert item["content_sha256"] in text, kind
        assert "(bureau), version 1" in text, kind
    # --expect-fingerprint restricts further
    with pytest.raises(trusted_signers.UnknownSigner, match="no --expect-fingerprint"):
        submissions.consolidate(co, [(package, PASSWORD)],
                                trusted_fingerprints=[foreign_signer().fingerprint])


def test_consolidate_errors_name_the_package_by_its_path(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two packages of one file name in two folders: the refusal names the one at fault by
    its path (the file name alone cannot tell them apart) — an unknown signer, a wrong
    password."""
    co = world.login("co")
    other = foreign_signer()
    mine, foreign = signed_packages(co, tmp_path / "in", submissions.signer(co), other)
    assert mine.name == foreign.name
    with pytest.raises(trusted_signers.UnknownSigner) as refused:
        submissions.consolidate(co, [(mine, PASSWORD), (foreign, PASSWORD)])
    assert str(foreign) in str(refused.value) and str(mine) not in str(refused.value)

    pw = write_secret(tmp_path, "pkg.txt", f"{PASSWORD}\nnot the password at all\n")
    secret = write_secret(tmp_path, "co.txt", OTHER_PASSPHRASE)
    vault = ["--vault", str(world.path), "--user", "co", "--passphrase-file", str(secret)]
    code, _out, err = run([*vault, "submission", "consolidate", str(mine), str(foreign),
                           "--package-passphrase-file", str(pw)], capsys)
    assert code == 2 and str(foreign) in err and str(mine) not in err, err
    assert "Traceback" not in err
    assert submissions.latest(co, PERIOD, "consolidated") is None  # nothing stored
