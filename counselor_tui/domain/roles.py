"""Roles and what each may do (DESIGN §5 "Roles").

* ``counselor`` — own sessions and the persons they serve, plus shared archives of their unit;
* ``coordinator`` — everything, and submissions (the programme office);
* ``auditor`` — the audit log and aggregates, never notes;
* ``admin`` — users, settings, keys.
"""

from __future__ import annotations

from enum import StrEnum

from counselor_tui.i18n import N_, _


class Role(StrEnum):
    """An account's role; the value is the stored code."""

    COUNSELOR = "counselor"
    COORDINATOR = "coordinator"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role's name in the current language."""
        return _(_ROLE_LABELS[self])


_ROLE_LABELS = {
    Role.COUNSELOR: N_("counselor"),
    Role.COORDINATOR: N_("coordinator"),
    Role.AUDITOR: N_("auditor"),
    Role.ADMIN: N_("admin"),
}

#: Roles allowed to read session notes at all (sealed notes: author and coordinators only).
READS_NOTES = frozenset({Role.COUNSELOR, Role.COORDINATOR})
#: Roles that write clinical records (persons, sessions, assessments, incidents).
WRITES_RECORDS = frozenset({Role.COUNSELOR, Role.COORDINATOR})
#: Roles that manage accounts, settings and keys.
MANAGES_VAULT = frozenset({Role.ADMIN})
#: Roles that read the audit log.
READS_AUDIT = frozenset({Role.AUDITOR, Role.ADMIN})


def parse_role(text: str) -> Role:
    """The :class:`Role` named by ``text``; raises ``ValueError`` listing the valid codes."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise ValueError(_("Unknown role {role}: use one of {valid}").format(
            role=text, valid=valid)) from None
