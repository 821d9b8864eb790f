"""What each role may do: the one table of role × action (DESIGN §5 "Roles", issue 16).

* **counselor** — person records, sessions, assessments and incidents of the persons they
  serve and of their unit (the scope itself is decided by ``services/access.py``);
* **coordinator** (the programme office) — every person record and note, the census,
  roster and responses imports, the bureau's own instruments, submissions (compile,
  finalize, export, consolidate);
* **auditor** — the audit log and aggregate figures, never a person record or a note;
* **admin** — users, settings and keys: no person record (not even the list of names,
  tiers, scores or sessions) and no submission work.

Services refuse an action with :meth:`counselor_tui.services.context.VaultSession.require_to`
(``PermissionDenied``); the UI hides what a role may not use from the same table.
``docs/roles.md`` is generated from :data:`RULES` by :func:`markdown_table`
(``make roles-doc``; a unit test compares them) and
``tests/security/test_roles_table.py`` calls each service as each role.
"""

from __future__ import annotations

from enum import StrEnum

from counselor_tui.domain.roles import Role

_C, _O, _A, _D = Role.COUNSELOR, Role.COORDINATOR, Role.AUDITOR, Role.ADMIN


class Action(StrEnum):
    """A thing an account does that one role may and another may not."""

    READ_PERSON = "read_person"
    WRITE_PERSON = "write_person"
    LOG_SESSION = "log_session"
    RECORD_ASSESSMENT = "record_assessment"
    RECORD_INCIDENT = "record_incident"
    MANAGE_CENSUS = "manage_census"
    IMPORT_ROSTER = "import_roster"
    IMPORT_RESPONSES = "import_responses"
    LIST_INSTRUMENTS = "list_instruments"
    MANAGE_INSTRUMENTS = "manage_instruments"
    MANAGE_UNITS = "manage_units"
    MANAGE_ORGANISATION = "manage_organisation"
    VIEW_SUBMISSIONS = "view_submissions"
    COMPILE_SUBMISSION = "compile_submission"
    FINALIZE_SUBMISSION = "finalize_submission"
    EXPORT_SUBMISSION = "export_submission"
    CONSOLIDATE = "consolidate"
    PRINT_EXACT_COUNTS = "print_exact_counts"
    MANAGE_TRUSTED_SIGNERS = "manage_trusted_signers"
    MANAGE_USERS = "manage_users"
    CHANGE_SETTINGS = "change_settings"
    SET_TIER_POLICY = "set_tier_policy"
    ROTATE_KEY = "rotate_key"
    READ_AUDIT = "read_audit"
    CHECK_INTEGRITY = "check_integrity"


#: action → (roles allowed, what it covers). The single source of every role check below.
RULES: dict[Action, tuple[frozenset[Role], str]] = {
    Action.READ_PERSON: (frozenset({_C, _O}), "archive list, search, person record, tiers, "
                         "scores, session list, trend (counselor: own unit and own clients)"),
    Action.WRITE_PERSON: (frozenset({_C, _O}), "create or change a person, family links"),
    Action.LOG_SESSION: (frozenset({_C, _O}), "log a counseling session"),
    Action.RECORD_ASSESSMENT: (frozenset({_C, _O}), "enter an assessment (F4)"),
    Action.RECORD_INCIDENT: (frozenset({_C, _O}), "open incidents, record their steps"),
    Action.MANAGE_CENSUS: (frozenset({_O}), "create, change and close a census"),
    Action.IMPORT_ROSTER: (frozenset({_O}), "import the roster of officers"),
    Action.IMPORT_RESPONSES: (frozenset({_O}), "import survey responses"),
    Action.LIST_INSTRUMENTS: (frozenset({_C, _O, _A}), "list the instruments and their "
                              "versions (definitions only, no person data)"),
    Action.MANAGE_INSTRUMENTS: (frozenset({_O}), "add a bureau's own instrument definition "
                                "(or a new version of one)"),
    Action.MANAGE_UNITS: (frozenset({_O, _D}), "create units"),
    Action.MANAGE_ORGANISATION: (frozenset({_O}), "committee and office members, their "
                                 "terms; 教导员/政工干部 trained"),
    Action.VIEW_SUBMISSIONS: (frozenset({_O, _A, _D}), "list and preview submissions "
                              "(aggregates, no names)"),
    Action.COMPILE_SUBMISSION: (frozenset({_O}), "compile a submission, write its narrative"),
    Action.FINALIZE_SUBMISSION: (frozenset({_O}), "finalize a submission"),
    Action.EXPORT_SUBMISSION: (frozenset({_O}), "export the signed, encrypted package"),
    Action.CONSOLIDATE: (frozenset({_O}), "consolidate the packages of units"),
    Action.PRINT_EXACT_COUNTS: (frozenset({_O}), "print exact (unsuppressed) counts"),
    Action.MANAGE_TRUSTED_SIGNERS: (frozenset({_O}), "trust or distrust a package signer"),
    Action.MANAGE_USERS: (frozenset({_D}), "add, disable and re-enable accounts"),
    Action.CHANGE_SETTINGS: (frozenset({_D}), "change the vault's settings"),
    Action.SET_TIER_POLICY: (frozenset({_O, _D}), "store the bureau's tier policy"),
    Action.ROTATE_KEY: (frozenset({_D}), "rotate the data key (rekey)"),
    Action.READ_AUDIT: (frozenset({_A, _D}), "read the audit log"),
    Action.CHECK_INTEGRITY: (frozenset({_O, _A, _D}), "check the vault's integrity"),
}

#: Column order of the table (DESIGN §2 order of the roles).
ROLE_ORDER: tuple[Role, ...] = (_C, _O, _A, _D)


def roles_for(action: Action) -> frozenset[Role]:
    """The roles allowed ``action`` (:data:`RULES`)."""
    return RULES[action][0]


def allowed(role: Role, action: Action) -> bool:
    """True when ``role`` may do ``action`` (:data:`RULES`)."""
    return role in RULES[action][0]


#: Audit events ``(action, entity)`` → the :class:`Action` their actor must have been allowed.
#: ``check`` flags such an event signed by an account whose role may not do it: a change
#: made with the product's modules and the data key, outside the services' role checks
#: (docs/threat-model.md). Only events written by one service path with that one check.
AUDITED_ACTIONS: dict[tuple[str, str], Action] = {
    ("create", "org_member"): Action.MANAGE_ORGANISATION,
    ("update", "org_member"): Action.MANAGE_ORGANISATION,
    ("void", "org_member"): Action.MANAGE_ORGANISATION,
    ("create", "cadre_training"): Action.MANAGE_ORGANISATION,
    ("void", "cadre_training"): Action.MANAGE_ORGANISATION,
}


def event_allowed(role: str, action: str, entity: str) -> bool:
    """False when the audit event ``action`` on ``entity`` (:data:`AUDITED_ACTIONS`) was not
    the ``role``'s to do (an unknown role included); True for every other event."""
    needed = AUDITED_ACTIONS.get((action, entity))
    if needed is None:
        return True
    return role in {r.value for r in RULES[needed][0]}


def markdown_table() -> str:
    """``docs/roles.md``: one row per :class:`Action`, one column per role (✓ allowed,
    — refused), generated from :data:`RULES`."""
    head = ["# Roles × actions", "",
            "Generated from `counselor_tui/domain/permissions.py` (`make roles-doc`); do not "
            "edit by hand. A refused action raises `PermissionDenied` in the service "
            "(tests/security/test_roles_table.py calls each one as each role).", "",
            "| action | " + " | ".join(r.value for r in ROLE_ORDER) + " | covers |",
            "|---|" + "---|" * len(ROLE_ORDER) + "---|"]
    rows = [f"| `{a.value}` | " + " | ".join("✓" if r in roles else "—" for r in ROLE_ORDER)
            + f" | {text} |" for a, (roles, text) in RULES.items()]
    return "\n".join(head + rows) + "\n"
