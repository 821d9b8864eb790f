"""The demo generator: a FICTITIOUS bureau built into a fresh vault (DESIGN §9 ``demo``, §11).

:func:`build_demo` creates the vault (admin ``admin``), adds one account of each role — the
coordinator ``demo`` (who sees everything), ``counselor1`` … ``counselorN`` in units and
``auditor``, all with the same passphrase — and fills every table of DESIGN §4 with
believable data: units with real organ names, officers with generated Chinese names,
family members, two years of counseling sessions, two censuses scored by the real instrument
engine, tiers consistent with the evidence, incidents with their step plans
(``shared/domain/policy.md``), firearm restrictions, activities, interest groups and
training records. Submissions stay empty (they are compiled by the reports package).

Determinism: one ``random.Random(seed)`` drives every choice and every date is relative to
the clock passed in, so the same seed and clock give identical table contents (the vault's
own keys, id and signing key are random by design, and so are the audit hashes that depend
on them).

Speed: rows are generated in chunks and written with ``executemany`` on this thread's
connection inside :meth:`VaultSession.transaction` (one ``BEGIN IMMEDIATE`` per chunk, foreign
keys deferred to the commit); each table's rows of a chunk are recorded by ONE audit event
``demo_generate`` (``{"rows": n}``), so the chain stays valid. ``executemany`` instead of
peewee's ``insert_many``: measured 4.6x faster on 20k session rows (peewee builds and binds
every row in Python), which is what keeps the ``province`` size within minutes. The session
table's note-index and last-session triggers are set aside while the phases write and their
work is done once at the end (:mod:`.bulk`: one index ``rebuild``, one grouped ``UPDATE``),
with the same content as row by row (issue 18).

The package (a tool beside the interface, above the services; ``commands/demo.py`` calls
it): :mod:`.build` runs :class:`.builder.DemoBuilder`, whose phases live one per module
(:mod:`.units`, :mod:`.persons`, :mod:`.incidents`, :mod:`.sessions`, :mod:`.census`,
:mod:`.tiers`, :mod:`.firearms`, :mod:`.activities`) on the shared state of :mod:`.base`.
"""

from __future__ import annotations

from counselor_tui.demo.build import build_demo, generate_passphrase
from counselor_tui.demo.sizes import (
    ADMIN_USER,
    AUDITOR_USER,
    BUREAU,
    CURRENT_DAYS,
    DATA_VERSION,
    DAYS,
    DEMO_USER,
    DOCUMENT_SETTINGS,
    SIZES,
    DemoResult,
    DemoSize,
    DemoUser,
)

__all__ = [
    "ADMIN_USER",
    "AUDITOR_USER",
    "BUREAU",
    "CURRENT_DAYS",
    "DATA_VERSION",
    "DAYS",
    "DEMO_USER",
    "DOCUMENT_SETTINGS",
    "SIZES",
    "DemoResult",
    "DemoSize",
    "DemoUser",
    "build_demo",
    "generate_passphrase",
]
