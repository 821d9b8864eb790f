"""Schema migrations are numbered 1..N without a gap or a repeat, in order, one module each
(``db/migrations/mNNNN_*.py``). A vault upgraded to N never runs a migration numbered below N
that lands later, so a gap filled afterwards would be skipped for ever by every vault already
at N."""

from __future__ import annotations

import re
from pathlib import Path

from db import migrations
from db.migrations import CURRENT_VERSION, MIGRATIONS


def test_versions_run_from_one_to_current_without_gaps() -> None:
    versions = [m.version for m in MIGRATIONS]
    assert versions == list(range(1, CURRENT_VERSION + 1))


def test_each_module_number_is_its_registered_version() -> None:
    folder = Path(migrations.__file__).parent
    numbers = sorted(int(m.group(1)) for p in folder.glob("m*.py")
                     if (m := re.fullmatch(r"m(\d{4})_\w+\.py", p.name)))
    assert numbers == [m.version for m in MIGRATIONS]
