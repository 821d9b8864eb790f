"""Size and shape budgets for files read from outside (issue 12, security test 28).

Every roster, responses export, submission package and passphrase file is checked *before*
it is parsed, so a hostile file gets one clear refusal instead of exhausting memory or
hanging:

* :func:`read_regular_file` — a regular file or a pipe, at most ``max_bytes``; a device,
  socket or folder is refused up front, a pipe that does not finish within a timeout is
  refused (it is opened non-blocking, so nothing hangs);
* :func:`check_xlsx` — the workbook's zip: entry count, declared uncompressed sizes (in
  total and per entry), compression ratio, and no ``<!DOCTYPE``/``<!ENTITY`` in any XML part
  (OOXML never needs one: it is how entity expansion and XXE attacks start). ``zipfile``
  never inflates an entry beyond its declared size, so the declared sizes bound the work;
* :func:`bounded_rows` — rows as they are actually read (never the sheet's declared
  dimension), refused beyond ``max_rows`` rows, ``max_cols`` cells in a row or a cell of
  more than ``max_cell_chars`` characters;
* :func:`open_sheet_rows` — openpyxl in read-only, streaming mode with the declared
  dimension discarded (``A1:XFD1048576`` would otherwise pad every row to 16,384 cells and
  the sheet to 1,048,576 rows).

Every refusal is :class:`InputRefused`, whose message names the file and the limit (the
callers turn it into their own bad-input error, exit code 2). Nothing here writes.
"""

from __future__ import annotations

import csv
import io
import os
import select
import stat
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counselor_tui.i18n import _

MIB = 1024 * 1024


class InputRefused(ValueError):
    """A file outside its budget or of the wrong kind; ``str()`` is the translated message
    naming the file and the limit."""


@dataclass(frozen=True)
class Budget:
    """Limits of one kind of input file. Sizes in bytes, ``max_ratio`` is uncompressed /
    compressed size of one zip entry (checked for entries above 1 MiB)."""

    max_bytes: int
    max_rows: int = 50_000
    max_cols: int = 400
    max_cell_chars: int = 4_000
    max_zip_entries: int = 2_000
    max_zip_total: int = 200 * MIB
    max_zip_entry: int = 150 * MIB
    max_ratio: int = 100


#: A roster: a bureau has a few thousand officers; a roster is a few columns wide.
ROSTER = Budget(max_bytes=20 * MIB, max_rows=50_000, max_cols=200, max_cell_chars=1_000)
#: A survey-platform export: one row per answer sheet, up to ~100 item columns plus metadata.
RESPONSES = Budget(max_bytes=50 * MIB, max_rows=50_000, max_cols=600, max_cell_chars=4_000)
#: A submission package (7z): aggregate tables only, a few hundred KiB in practice.
PACKAGE_BYTES = 20 * MIB
#: A passphrase or recovery-code file: one short line (or one per package).
SECRET_FILE_BYTES = 64 * 1024
#: A narrative text file of a submission (highlights, problems, plan).
NARRATIVE_FILE_BYTES = 1 * MIB
#: How long a pipe given as an input file may take to deliver its content.
PIPE_TIMEOUT_SECONDS = 10.0


def _size_text(n: int) -> str:
    return f"{n // MIB} MiB" if n >= MIB else f"{n // 1024} KiB"


def read_regular_file(path: Path | str, max_bytes: int,
                      timeout: float = PIPE_TIMEOUT_SECONDS) -> bytes:
    """The bytes of ``path``: a regular file of at most ``max_bytes``, or a pipe (FIFO, as
    from ``<(…)``) that delivers at most ``max_bytes`` within ``timeout`` seconds.

    Raises :class:`InputRefused` for a folder, a device or a socket (checked before opening,
    and again on the open descriptor), for a file over the limit and for a pipe that does
    not finish in time; ``OSError`` when the file cannot be read at all (missing, no
    permission).
    """
    name = str(path)
    _require_readable_kind(os.stat(path).st_mode, name)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        _require_readable_kind(st.st_mode, name)
        if st.st_size > max_bytes:
            raise InputRefused(_too_large(name, max_bytes))
        deadline = time.monotonic() + timeout
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        chunks = []
        total = 0
        while True:
            try:
                chunk = os.read(fd, min(MIB, max_bytes + 1 - total))
            except BlockingIOError:  # a pipe with nothing to read yet
                left = deadline - time.monotonic()
                if left <= 0:
                    raise InputRefused(_("Reading {file} did not finish within {n} s: give a "
                                         "file saved on disk.").format(
                                             file=name, n=int(timeout))) from None
                poller.poll(int(left * 1000) + 1)
                continue
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # a pipe, or a file that grew while being read
                raise InputRefused(_too_large(name, max_bytes))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_large(name: str, limit: int) -> str:
    return _("{file} is larger than the limit of {limit} for this kind of file: check that "
             "it is the right file.").format(file=name, limit=_size_text(limit))


def _require_readable_kind(mode: int, name: str) -> None:
    if stat.S_ISDIR(mode):
        raise InputRefused(_("{file} is a folder, not a file.").format(file=name))
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise InputRefused(_("{file} is not a regular file (a device or socket): give "
                             "a file saved on disk.").format(file=name))


_DTD_MARKERS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be"))


def check_xlsx(data: bytes, name: str, budget: Budget) -> None:
    """Refuse (:class:`InputRefused`) an XLSX whose zip is outside ``budget`` or whose XML
    parts declare a DTD (see the module docstring). Not a zip at all: also refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InputRefused(_("{file} is not a readable .xlsx workbook.").format(
            file=name)) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > budget.max_zip_entries:
            raise InputRefused(_("{file} holds {n} parts, more than the limit of {limit}: it "
                                 "is not an ordinary workbook.").format(
                                     file=name, n=len(infos), limit=budget.max_zip_entries))
        total = sum(i.file_size for i in infos)
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if (info.file_size > budget.max_zip_entry or total > budget.max_zip_total
                    or (info.file_size > MIB and ratio > budget.max_ratio)):
                raise InputRefused(_(
                    "{file} unpacks to more than its limit ({limit}, at most {ratio}:1 "
                    "compression): it is not an ordinary workbook.").format(
                        file=name, limit=_size_text(budget.max_zip_total),
                        ratio=budget.max_ratio))
        for info in infos:
            if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with archive.open(info) as part:
                    tail = b""
                    while chunk := part.read(MIB):
                        window = tail + chunk
                        if any(m in window for m in _DTD_MARKERS):
                            raise InputRefused(_(
                                "{file} contains an XML document type declaration (entity "
                                "definitions), which workbooks never need: refused.").format(
                                    file=name))
                        tail = window[-32:]
            except InputRefused:
                raise
            except Exception:  # zlib.error, BadZipFile, EOFError, … : a damaged part
                raise InputRefused(_("{file} is not a readable .xlsx workbook.").format(
                    file=name)) from None


def bounded_rows(rows: Iterable[Sequence[Any]], name: str, budget: Budget) -> list[list[Any]]:
    """The rows of ``rows`` as lists (trailing empty cells dropped from a row longer than
    the limit); :class:`InputRefused`
    beyond ``budget.max_rows`` rows, ``budget.max_cols`` cells in a row, or a text cell of
    more than ``budget.max_cell_chars`` characters (named by row and column)."""
    out: list[list[Any]] = []
    for number, row in enumerate(rows, start=1):
        if number > budget.max_rows:
            raise InputRefused(_("{file} has more than {limit} rows: split it, or check that "
                                 "it is the right file.").format(file=name,
                                                                 limit=budget.max_rows))
        cells = list(row)
        if len(cells) > budget.max_cols:  # only trailing empty cells may run past the limit
            while cells and (cells[-1] is None or cells[-1] == ""):
                cells.pop()
        if len(cells) > budget.max_cols:
            raise InputRefused(_("Row {row} of {file} has {n} cells, more than the limit of "
                                 "{limit}.").format(row=number, file=name, n=len(cells),
                                                    limit=budget.max_cols))
        for col, value in enumerate(cells, start=1):
            if isinstance(value, str) and len(value) > budget.max_cell_chars:
                raise InputRefused(_("Row {row}, column {col} of {file} holds {n} characters, "
                                     "more than the limit of {limit}.").format(
                                         row=number, col=col, file=name, n=len(value),
                                         limit=budget.max_cell_chars))
        out.append(cells)
    return out


def open_sheet_rows(worksheet: Any) -> Iterator[tuple[Any, ...]]:
    """Values of a read-only openpyxl worksheet, row by row as stored, ignoring the sheet's
    declared dimension (see the module docstring)."""
    reset = getattr(worksheet, "reset_dimensions", None)
    if reset is not None:
        reset()
    yield from worksheet.iter_rows(values_only=True)


def csv_rows(reader: Iterable[list[str]], name: str, budget: Budget) -> list[list[Any]]:
    """:func:`bounded_rows` over a ``csv.reader``, turning its own errors (a field over
    ``csv.field_size_limit``, a NUL byte) into :class:`InputRefused`."""
    try:
        return bounded_rows(reader, name, budget)
    except csv.Error:
        raise InputRefused(_("{file} has a line or cell too long to be a table row (over "
                             "{limit} characters), or binary content.").format(
                                 file=name, limit=budget.max_cell_chars)) from None
