"""Sizes, account names and the result of a demo build."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DemoSize:
    """One size preset: exact counts of units, officers, sessions, counselor accounts,
    incidents and persons of kind ``other``. Everything else follows from these (about 10 %
    of officers have family members; ~5 assessments per officer over the two censuses)."""

    name: str
    units: int
    officers: int
    sessions: int
    counselors: int
    incidents: int
    others: int


#: The presets: ``tiny`` for tests, ``county``/``city``/``province`` of DESIGN §11.
SIZES: Mapping[str, DemoSize] = {
    "tiny": DemoSize("tiny", 2, 50, 300, 3, 3, 2),
    "county": DemoSize("county", 20, 1_000, 20_000, 5, 20, 10),
    "city": DemoSize("city", 40, 20_000, 500_000, 6, 400, 50),
    "province": DemoSize("province", 40, 100_000, 2_000_000, 6, 2_000, 200),
}


#: Bump when the generated data changes (benchmarks cache their vaults by it).
DATA_VERSION = 4


DEMO_USER = "demo"


ADMIN_USER = "admin"


AUDITOR_USER = "auditor"


BUREAU = "示范县公安局（演示数据）"


#: The demo bureau's official-document settings (GB/T 9704-2012 elements of its upward
#: report, :mod:`counselor_tui.services.filing`): without them a finalized demo month would
#: lack 主送机关, 签发人 and a 发文字号 with the bureau's code.
DOCUMENT_SETTINGS: Mapping[str, str] = {
    "doc_recipient": "示范市公安局政治部",
    "doc_signer": "赵国平",
    "doc_number_pattern": "示公政〔{年}〕{号}号",
    "doc_note": "联系人：钱志远，电话：0000-12345678",
}


DAYS = 730  # two years of history


CURRENT_DAYS = 90  # evidence this recent holds the tier now; older evidence is history


CHUNK = 20_000  # rows per transaction for the big tables


@dataclass(frozen=True)
class DemoUser:
    """An account of the demo vault (all share the passphrase given to :func:`build_demo`)."""

    username: str
    role: str
    display_name: str
    unit_code: str | None


@dataclass(frozen=True)
class DemoResult:
    """What :func:`build_demo` built: the database path, the accounts, the row count of
    every table (``{table_name: rows}``), the recovery code and the build time in seconds."""

    path: Path
    bureau: str
    users: tuple[DemoUser, ...]
    counts: Mapping[str, int]
    recovery_code: str
    seconds: float
