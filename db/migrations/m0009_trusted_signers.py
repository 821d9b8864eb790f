"""Migration 9: the trust list of known issuers of submission packages (issue 13, point 5).

``trusted_signer`` holds one row per signer fingerprint added on purpose by a coordinator
(``counselor-tui submission trust add``): the fingerprint (64 lower-case hex digits, unique),
the name of the bureau or unit it belongs to, and who added it when. ``submission verify``
with a vault and ``submission consolidate`` accept a package only from a signer on this list
or from the vault's own signing key (:mod:`counselor_tui.services.trusted_signers`).
"""

from __future__ import annotations

from typing import Any

NAME = "trust list of the issuers of submission packages"

STATEMENTS = (
    """CREATE TABLE "trusted_signer" ("id" INTEGER NOT NULL PRIMARY KEY,
        "fingerprint" TEXT NOT NULL, "name" TEXT NOT NULL, "added_at" TEXT NOT NULL,
        "added_by_id" INTEGER NOT NULL,
        FOREIGN KEY ("added_by_id") REFERENCES "user" ("id"))""",
    'CREATE UNIQUE INDEX "trusted_signer_fingerprint" ON "trusted_signer" ("fingerprint")',
    'CREATE INDEX "trusted_signer_added_by_id" ON "trusted_signer" ("added_by_id")',
)


def up(conn: Any) -> None:
    """Create the table and its indexes."""
    for statement in STATEMENTS:
        conn.execute(statement)
