"""Issue 12 (fail safe), hostile inputs: security test 28.

Each hostile file is given to the real command line (in a subprocess with its address space
capped by ``resource.setrlimit`` and an alarm per run; one subprocess runs a test's whole list
of command lines, each through ``cli.main`` as ``counselor-tui`` would), as an attacker would
hand it over: huge
declared dimensions, a zip bomb, XML entity tricks, devices, pipes, huge cells and lines,
a huge passphrase file. Each must end with exit 2, one clear line naming the file and the
limit, no "Unexpected error", and the vault unchanged.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from counselor_tui.reports import input_limits as limits
from counselor_tui.services import accounts, lifecycle
from counselor_tui.services.context import FixedClock
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, write_secret

MEMORY_CAP = 1536 * 1024 * 1024  # bytes of address space for one CLI run
TIME_CAP = 120  # seconds; a run over it is a hang


#: Runs each command line of a JSON list through ``cli.main`` in turn, under the memory cap,
#: and prints one JSON result per line; an alarm ends a run that hangs, naming it.
DRIVER = r"""
import contextlib, io, json, resource, signal, sys
cap, seconds, runs = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from counselor_tui import cli
for args in runs:
    def hung(signum, frame, args=args):
        print(json.dumps({"args": args, "code": None, "stderr": "hung"}), flush=True)
        sys.exit(3)
    signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(args)
        except SystemExit as exc:
            code = exc.code
    signal.alarm(0)
    print(json.dumps({"args": args, "code": code, "stderr": err.getvalue()}), flush=True)
"""


def run_capped(runs: list[list[str]], *, tmp_path: Path) -> list[subprocess.CompletedProcess[str]]:
    """Each command line of ``runs`` in one subprocess capped at :data:`MEMORY_CAP` bytes of
    address space, each within :data:`TIME_CAP` seconds; their exit codes and stderr."""
    env = dict(os.environ)
    env.update({"COUNSELOR_TUI_STATE_DIR": str(tmp_path / "cli-state"),
                "COUNSELOR_TUI_LANG": "en"})
    done = subprocess.run([sys.executable, "-c", DRIVER, str(MEMORY_CAP), str(TIME_CAP),
                           json.dumps(runs)], capture_output=True, text=True, env=env,
                          timeout=TIME_CAP * len(runs), check=False)
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and len(results) == len(runs), (done.returncode,
                                                                results[-1:], done.stderr[-800:])
    return [subprocess.CompletedProcess(r["args"], r["code"], "", r["stderr"]) for r in results]


def _workbook_bytes(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite_part(data: bytes, part: str, change: object) -> bytes:
    """``data`` (a zip) with ``part`` replaced by ``change(old_text)``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == part:
                body = change(body.decode("utf-8")).encode("utf-8")  # type: ignore[operator]
            dst.writestr(info.filename, body)
    return out.getvalue()


def _body(xml: str) -> str:
    """``xml`` without its XML declaration."""
    return xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml


ROSTER_HEADER = ["警号", "姓名", "性别", "出生日期", "单位", "警种", "岗位", "入警时间"]
SHEET = "xl/worksheets/sheet1.xml"


def _hostile_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name → (file, words the refusal must contain)."""
    folder.mkdir(exist_ok=True)
    base = _workbook_bytes([ROSTER_HEADER, ["010001", "张三", "男", "1985-03-02", "城关派出所",
                                            "派出所", "民警", "2008-07-01"]])
    files: dict[str, tuple[Path, str]] = {}

    def put(name: str, data: bytes, words: str) -> None:
        assert data != base  # the hostile change was made
        path = folder / name
        path.write_bytes(data)
        files[name] = (path, words)

    put("dimension.xlsx", _rewrite_part(base, SHEET, lambda x: x.replace(
        '<dimension ref="A1:H2"/>', '<dimension ref="A1:XFD1048576"/>')), "*")
    put("far-cell.xlsx", _rewrite_part(base, SHEET, lambda x: x.replace(
        "</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is>'
                        "</c></row></sheetData>")), "rows")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        src = zipfile.ZipFile(io.BytesIO(base))
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == SHEET:
                text = body.decode()
                body = text.replace("</sheetData>", "<row/>" * 8_000_000 + "</sheetData>"
                                    ).encode()
            z.writestr(info.filename, body)
    put("bomb.xlsx", bomb.getvalue(), "limit")
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{i} "{"&lol{};".format(i - 1 if i > 1 else "") * 10}">'
                        for i in range(1, 10)) + "]>")
    put("laughs.xlsx", _rewrite_part(base, SHEET, lambda x: laughs + _body(x)),
        "document type")
    put("xxe.xlsx", _rewrite_part(base, "xl/workbook.xml", lambda x: (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + _body(x))), "document type")
    put("big-cell.csv", (",".join(ROSTER_HEADER) + "\n010001," + "张" * 1_000_000
                         + ",男,1985-03-02,城关派出所,派出所,民警,2008-07-01\n").encode(), "")
    put("long-line.csv", (",".join(ROSTER_HEADER) + "\n" + "a" * 10_000_000 + "\n").encode(),
        "")
    return files


def _assert_refused(result: subprocess.CompletedProcess[str], name: str, words: str) -> None:
    """Exit 2 with one line holding ``words``; ``*``: a file that is fine once read as
    stored (a false declared dimension) may also be read, but never crash."""
    assert "Unexpected error" not in result.stderr and "Traceback" not in result.stderr
    if words == "*" and result.returncode == 0:
        return
    assert result.returncode == 2, (name, result.returncode, result.stderr[-500:])
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, (name, lines)
    assert words == "*" or words in lines[0], (name, lines[0])


@pytest.fixture
def cli_vault(created: lifecycle.CreatedVault, tmp_path: Path, clock: FixedClock,
              state_dir: Path) -> list[str]:
    """CLI options of a coordinator (who may import rosters and responses)."""
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        accounts.add_user(vs, "coord", "coordinator", OTHER_PASSPHRASE, kdf_seconds=0)
    finally:
        lifecycle.lock(vs, "quit")
    pw = write_secret(tmp_path, "pw.txt", OTHER_PASSPHRASE)
    return ["--vault", str(created.path), "--user", "coord", "--passphrase-file", str(pw)]


@pytest.mark.parametrize("kind", ["roster", "responses"])
def test_28_hostile_spreadsheets_refused_within_budget_nothing_written(
    created: lifecycle.CreatedVault, cli_vault: list[str], tmp_path: Path, kind: str,
    clock: FixedClock, state_dir: Path,
) -> None:
    hostile = _hostile_files(tmp_path / "hostile")
    extra = ["--instrument", "phq9"] if kind == "responses" else []
    results = run_capped([[*cli_vault, "import", kind, str(path), *extra]
                          for path, _words in hostile.values()], tmp_path=tmp_path)
    for (name, (_path, words)), result in zip(hostile.items(), results, strict=True):
        _assert_refused(result, name, words)
        if words != "*":
            assert name in result.stderr
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        with vs.reading():
            stored = [vs.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                      for t in ("person", "assessment", "unit")]
    finally:
        lifecycle.lock(vs, "quit")
    assert stored == [0, 0, 0]  # nothing was written


def test_28_devices_pipes_and_huge_secret_files_refused(
    created: lifecycle.CreatedVault, cli_vault: list[str], tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    huge = tmp_path / "huge-pass.txt"
    with huge.open("wb") as fh:
        fh.truncate(100 * 1024 * 1024)  # a 100 MB passphrase file (sparse)
    pw = write_secret(tmp_path, "pkgpw.txt", "amber falcon quietly 11")
    cases = [
        (["import", "roster", "/dev/zero"], "not a regular file"),
        (["import", "responses", "/dev/zero", "--instrument", "phq9"], ""),  # no suffix
        (["submission", "verify", "/dev/zero", "--package-passphrase-file", str(pw)],
         "not a regular file"),
        (["submission", "verify", str(fifo), "--package-passphrase-file", str(pw)], ""),
        (["submission", "verify", str(tmp_path), "--package-passphrase-file", str(huge)],
         "larger than the limit"),
    ]
    secret_files = ("/dev/zero", str(huge), str(fifo))
    results = run_capped([[*cli_vault, *args] for args, _words in cases]
                         + [["--vault", str(created.path), "--user", "admin",
                             "--passphrase-file", secret_file, "check"]
                            for secret_file in secret_files], tmp_path=tmp_path)
    for (args, words), result in zip(cases, results[:len(cases)], strict=True):
        _assert_refused(result, " ".join(args), words)
    for secret_file, result in zip(secret_files, results[len(cases):], strict=True):
        _assert_refused(result, secret_file, "")


def test_pipe_that_never_finishes_times_out(tmp_path: Path) -> None:
    fifo = tmp_path / "slow"
    os.mkfifo(fifo)
    # a writer that sends a little and never closes (O_RDWR: opening does not wait for a
    # reader, so the test cannot hang on it)
    writer = os.open(fifo, os.O_RDWR)
    try:
        os.write(writer, b"partial")
        with pytest.raises(limits.InputRefused) as info:
            limits.read_regular_file(fifo, 1024, timeout=0.3)
        assert "did not finish" in str(info.value) and str(fifo) in str(info.value)
    finally:
        os.close(writer)


def test_openpyxl_parses_with_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True  # type: ignore[attr-defined]
