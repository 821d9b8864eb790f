"""Rewrite a ZIP container (DOCX, XLSX) with fixed member times, so the same submission gives
the same bytes whenever it is rendered (zipfile otherwise stamps the current time)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from datetime import datetime


def normalize_zip(data: bytes, when: datetime,
                  rewrite: Mapping[str, Callable[[bytes], bytes]] | None = None) -> bytes:
    """``data`` re-zipped in the same member order with every member dated ``when``
    (local wall time, seconds rounded down to even as ZIP stores them), deflated;
    ``rewrite`` maps member names to functions applied to their content."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute,
             when.second - when.second % 2)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            content = src.read(info.filename)
            if rewrite and info.filename in rewrite:
                content = rewrite[info.filename](content)
            dst.writestr(member, content)
    return out.getvalue()
