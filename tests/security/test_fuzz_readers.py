"""Issue 12 (fail safe): a hypothesis fuzz test over the roster, responses and package
readers, run in a subprocess whose address space is capped with ``resource.setrlimit``:
no crash, no unclear message (only the readers' own bad-input errors, each one line), no
run over its memory or time budget (security test 28)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.conftest import REPO

MEMORY_CAP = 1536 * 1024 * 1024
FUZZ = textwrap.dedent(
    """
    import io, resource, sys, tempfile, zipfile
    from pathlib import Path
    cap = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    import openpyxl
    from hypothesis import HealthCheck, given, settings, strategies as st
    from counselor_tui.i18n import set_language
    from counselor_tui.reports import package
    from counselor_tui.services import responses_import, roster
    from counselor_tui.services.errors import ServiceError
    set_language("en")
    folder = Path(tempfile.mkdtemp())

    def workbook(rows):
        wb = openpyxl.Workbook()
        for row in rows:
            wb.active.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    HEADER = ["警号", "姓名", "性别", "出生日期", "单位", "警种", "岗位", "入警时间"]
    SEEDS = [
        workbook([HEADER, ["010001", "张三", "男", "1985-03-02", "城关派出所", "派出所", "民警",
                           "2008-07-01"]]),
        (",".join(HEADER) + "\\n010001,张三,男,1985-03-02,城关派出所,派出所,民警,2008-07-01\\n"
         ).encode(),
        workbook([["姓名", "警号"] + [f"Q{i}" for i in range(1, 10)],
                  ["张三", "010001"] + [1] * 9]),
        package.archive_bytes({"manifest.json": b"{}", "a.csv": b"1,2"}, "amber falcon 11"),
    ]

    @st.composite
    def mutated(draw):
        data = bytearray(draw(st.sampled_from(SEEDS)))
        for _ in range(draw(st.integers(0, 8))):
            if not data:
                break
            at = draw(st.integers(0, len(data) - 1))
            action = draw(st.sampled_from(["flip", "cut", "grow"]))
            if action == "flip":
                data[at] ^= draw(st.integers(1, 255))
            elif action == "cut":
                del data[at:at + draw(st.integers(1, 64))]
            elif draw(st.booleans()):
                data[at:at] = draw(st.binary(min_size=1, max_size=64)) * draw(
                    st.integers(1, 2000))
            else:  # one long run: a huge cell or line
                data[at:at] = draw(st.sampled_from([b"a", "张".encode(), b"\\x00"])) * draw(
                    st.integers(1, 400_000))
        return bytes(data)

    inputs = st.one_of(mutated(), st.binary(max_size=4096))

    def ok_error(exc):
        text = str(exc)
        assert isinstance(exc, ServiceError), (type(exc).__name__, text)
        assert text.strip() and "\\n" not in text.strip() and "Traceback" not in text, text

    n = [0]
    @settings(max_examples=int(sys.argv[2]), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=inputs, suffix=st.sampled_from([".xlsx", ".csv"]))
    def readers(data, suffix):
        n[0] += 1
        path = folder / f"in{n[0]}{suffix}"
        path.write_bytes(data)
        for read in (roster.read_roster_file, responses_import.read_table):
            try:
                read(path)
            except Exception as exc:
                ok_error(exc)
        try:
            package.verify(data, "amber falcon 11")
        except Exception as exc:
            ok_error(exc)
        path.unlink()

    readers()
    print("fuzzed", n[0])
    """
)


def test_fuzz_roster_responses_and_package_readers_under_a_memory_cap() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run([sys.executable, "-c", FUZZ, str(MEMORY_CAP), "200"],
                            capture_output=True, text=True, env=env, timeout=600, check=False,
                            cwd=REPO)
    assert result.returncode == 0, result.stderr[:2500] + " … " + result.stderr[-800:]
    assert "fuzzed" in result.stdout
    assert int(result.stdout.split()[-1]) >= 200
