"""The archive list and the person picker: search, filters, sort, pages (DESIGN §4, §6,
§11).

Search (:class:`ArchiveQuery.text`), on indexed columns so it stays fast at 100,000 persons:
Chinese text matches anywhere in the name (one character is enough: ``三`` finds 张三;
looked up in ``person_name_key``, migration 26: one row per character and pair of
characters of the name, in name order; characters beyond the BMP count
as Chinese; a middle dot or its look-alikes is ignored on both sides, so 阿依古丽买买提 finds
阿依古丽·买买提); Latin letters only match the
start of the full pinyin (``zhang``) or of the initials (``zs`` finds 张三), looked up in
``person_search_key`` (migration 24: one row per prefix, in name order, so a search reads
only the persons it finds); text with a
digit matches the start of the badge number (letters upper-cased; ``person_badge_key``,
migration 27, in name order as well). Trigram full-text search serves
session notes only (:func:`counselor_tui.services.sessions.search_notes`).

Sorting puts missing values last in both directions; ties break on the name then id, so
pages never overlap. Names sort by pinyin syllable, the order a Chinese reader expects (all
陈 chen before all 程 cheng: ``person.name_sort``, migration 17).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from counselor_tui.domain.roles import Role
from counselor_tui.domain.text import has_han, without_middle_dots
from counselor_tui.i18n import _
from counselor_tui.services.access import visibility_sql, visible_id_sql, visible_ids_sql
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import InvalidInput
from db.migrations.m0024_person_search_key import KEY_LENGTH
from db.migrations.m0026_person_name_key import DOTS, undotted
from db.migrations.m0027_person_badge_key import KEY_LENGTH as BADGE_KEY_LENGTH

SORTS: tuple[str, ...] = ("name", "badge_no", "unit", "tier", "review_due", "last_session")
_TOP = "\U0010ffff"  # sorts after every other character: the upper bound of a prefix range
_LAST_SESSION = "p.last_session_on"  # kept by triggers (db migration 3)


@dataclass(frozen=True)
class PersonRow:
    """One archive line. ``tier`` (green/yellow/red), ``review_due`` and
    ``last_session_on`` (``YYYY-MM-DD``) are None when missing. ``visible`` is False for an
    officer shown only by the session form's picker (:func:`find_persons`) to a counselor
    outside the officer's unit: tier, review and last session are then left empty."""

    id: int
    kind: str
    badge_no: str | None
    name: str
    gender: str | None
    unit_id: int | None
    unit_name: str | None
    police_type: str | None
    post: str
    tier: str | None
    review_due: str | None
    last_session_on: str | None
    archived: bool = False
    visible: bool = True
    #: a family member's officer and relation code (``("张三", "spouse")``), filled by the
    #: picker's :func:`find_persons` only
    family_of: tuple[str, str] | None = None
    #: Where the row lies in the list it was read for (:func:`list_persons`' ``after``).
    page_key: tuple[Any, ...] = ()


@dataclass(frozen=True)
class ArchiveQuery:
    """What the archive list shows: search text, filters, sort (see the module doc)."""

    text: str = ""
    unit_id: int | None = None
    police_type: str | None = None
    tier: str | None = None
    kind: str | None = None
    sort: str = "name"
    descending: bool = False
    include_archived: bool = False



# --------------------------------------------------------------------------- search & list


def clean_text(text: str) -> str:
    """``text`` NFKC-normalized with runs of white space made one space, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _has_cjk(text: str) -> bool:
    return has_han(text)


def latin_query(text: str) -> str | None:
    """The pinyin or initials query of an archive search text: its letters lower-cased
    without spaces when ``text`` is ASCII letters (and spaces) only, else None."""
    compact = clean_text(text).replace(" ", "")
    if compact and compact.isascii() and compact.isalpha():
        return compact.lower()
    return None


@dataclass(frozen=True)
class KeyLookup:
    """Where a search text's persons are kept: ``table`` (``person_search_key``, column
    ``prefix``: migration 24; ``person_name_key``, column ``gram``: migration 26;
    ``person_badge_key``, column ``prefix``: migration 27) holds one
    row per key with the person's ``name_sort`` and ``person_id`` in name order;
    ``key_sql``/``key_params`` select the key's rows (unqualified column), ``rest_sql``/
    ``rest_params`` check what the key leaves open on the person (``"1"`` when nothing)."""

    table: str
    key_sql: str
    key_params: list[Any]
    rest_sql: str = "1"
    rest_params: list[Any] = field(default_factory=list)


def key_lookup(text: str, alias: str = "p") -> KeyLookup | None:
    """The key rows of an archive search text (see the module doc), or None for empty text.
    Pinyin: the first :data:`KEY_LENGTH` letters are the key, a longer query checks the rest
    on the person's pinyin or initials. A badge number (any other text, upper-cased, without
    spaces): its first :data:`BADGE_KEY_LENGTH` characters are the key, a longer one checks
    the rest on the person's badge number. Text with a Han character,
    without spaces or middle dots (the needle): one or two characters are the gram; a
    longer needle looks up its first pair holding a non-ASCII character and checks the
    whole needle on the name without middle dots."""
    t = clean_text(text)
    if t and _has_cjk(t):
        needle = without_middle_dots(t.replace(" ", ""))
        if len(needle) <= 2:
            return KeyLookup("person_name_key", "gram = ?", [needle])
        pair = next(needle[i:i + 2] for i in range(len(needle) - 1)
                    if not needle[i:i + 2].isascii())
        return KeyLookup("person_name_key", "gram = ?", [pair],
                         f"instr({undotted(f'{alias}.name')}, ?) > 0", [needle])
    low = latin_query(t)
    if low is None:
        badge = t.replace(" ", "").upper()
        if not badge:
            return None
        if len(badge) <= BADGE_KEY_LENGTH:
            return KeyLookup("person_badge_key", "prefix = ?", [badge])
        return KeyLookup("person_badge_key", "prefix = ?", [badge[:BADGE_KEY_LENGTH]],
                         f"({alias}.badge_no >= ? AND {alias}.badge_no < ?)",
                         [badge, badge + _TOP])
    if len(low) <= KEY_LENGTH:
        return KeyLookup("person_search_key", "prefix = ?", [low])
    return KeyLookup("person_search_key", "prefix = ?", [low[:KEY_LENGTH]],
                     f"(({alias}.name_pinyin >= ? AND {alias}.name_pinyin < ?) OR "
                     f"({alias}.name_initials >= ? AND {alias}.name_initials < ?))",
                     [low, low + _TOP, low, low + _TOP])


def _key_source(table: str, alias: str = "p", key: str = "k", ordered: bool = True) -> str:
    """Key ``table`` joined to person ``alias``; ``ordered`` walks the keys first
    (``CROSS JOIN``: the rows of a key come in name order, so a page stops at its limit)."""
    join = "CROSS JOIN" if ordered else "JOIN"
    return (f"{table} {key} {join} person {alias} ON {alias}.id = {key}.person_id "
            f"AND {key}.name_sort = coalesce({alias}.name_sort, '')")


def text_condition(text: str, alias: str = "p") -> tuple[str, list[Any]]:
    """The SQL condition of an archive search text (see the module doc) and parameters;
    ``("1", [])`` for empty text. A name or pinyin search finds non-voided persons only
    (voided ones have no search keys, and no search shows them)."""
    t = clean_text(text)
    if not t:
        return "1", []
    found = key_lookup(t, alias)
    if found is None:
        return "1", []
    return (f"{alias}.id IN (SELECT person_id FROM {found.table} "
            f"WHERE {found.key_sql}) AND {found.rest_sql}",
            found.key_params + found.rest_params)


def row_condition(text: str, alias: str = "p") -> tuple[str, list[Any]]:
    """The condition of an archive search text on the person row itself (the same persons
    as :func:`text_condition`): for the few thousand persons of one unit, checking each row
    costs less than probing the key tables for each. ``("1", [])`` for empty text."""
    t = clean_text(text)
    if not t:
        return "1", []
    if _has_cjk(t):  # the dots taken out only of names holding one
        needle = without_middle_dots(t.replace(" ", ""))
        return (f"(instr({alias}.name, ?) > 0 OR ({alias}.name GLOB '*[{DOTS}]*' AND "
                f"instr({undotted(f'{alias}.name')}, ?) > 0))", [needle, needle])
    low = latin_query(t)
    if low is not None:
        return (f"(({alias}.name_pinyin >= ? AND {alias}.name_pinyin < ?) OR "
                f"({alias}.name_initials >= ? AND {alias}.name_initials < ?))",
                [low, low + _TOP, low, low + _TOP])
    badge = t.replace(" ", "").upper()
    return f"({alias}.badge_no >= ? AND {alias}.badge_no < ?)", [badge, badge + _TOP]


#: Per sort: the person column holding its key (None: the name alone) and the index that
#: serves ``key, name_sort, id`` (migrations 13 and 17; the key is kept by triggers where
#: computed).
_SORT_KEYS: dict[str, tuple[str | None, str]] = {
    "name": (None, "person_name_sort"),
    "badge_no": ("p.badge_no", "person_sort_badge"),
    "unit": ("p.sort_unit", "person_sort_unit"),
    "tier": ("p.sort_tier", "person_sort_tier"),
    "review_due": ("p.sort_review", "person_sort_review"),
    "last_session": (_LAST_SESSION, "person_sort_last"),
}
_TIER_RANKS = {"green": 0, "yellow": 1, "red": 2}


def _where(vs: VaultSession, q: ArchiveQuery, text: bool = True,
           visible: bool = True) -> tuple[str, list[Any]]:
    """WHERE clause and parameters (every filter on person columns: no join); without the
    search text's condition when ``text`` is False, without the actor's visibility when
    ``visible`` is False (the caller applies it)."""
    cond, params = visibility_sql(vs) if visible else ("1", [])
    parts = ["p.voided_at IS NULL", cond]
    if not q.include_archived:
        parts.append("p.archived_at IS NULL")
    if q.unit_id is not None:
        parts.append("p.unit_id = ?")
        params.append(q.unit_id)
    if q.police_type:
        parts.append("p.police_type = ?")
        params.append(q.police_type)
    if q.kind:
        parts.append("p.kind = ?")
        params.append(q.kind)
    if q.tier:
        parts.append("p.sort_tier = ?")  # tier_state's tier, kept on the person (migration 13)
        params.append(_TIER_RANKS.get(q.tier, -1))  # an unknown tier matches no one
    search = row_condition if q.unit_id is not None else text_condition  # see row_condition
    text_sql, text_params = search(q.text) if text else ("1", [])
    if text_params:
        parts.append(text_sql)
        params.extend(text_params)
    return " AND ".join(parts), params


def _sort_key(q: ArchiveQuery) -> tuple[str | None, str]:
    if q.sort not in SORTS:
        raise InvalidInput(_("Unknown sort {sort}.").format(sort=q.sort))
    return _SORT_KEYS[q.sort]


def _row_filters(q: ArchiveQuery) -> bool:
    """True when ``q`` has a filter on person columns (unit, police type, kind, tier)."""
    return q.unit_id is not None or bool(q.police_type) or bool(q.kind) or bool(q.tier)


def count_persons(vs: VaultSession, q: ArchiveQuery) -> int:
    """How many persons match ``q`` (for the list's scroll size and the status line).

    A pinyin search counts its rows of ``person_search_key``; the persons are read only
    for a filter the key rows do not hold. For an actor who sees only some persons
    (a counselor), a count without search text intersects the visible ids
    (:func:`visible_ids_sql`) with the matching persons' ids, and a search without another
    filter checks visibility on the key rows' person ids (:func:`visible_id_sql`)."""
    found = key_lookup(q.text)
    with vs.reading():
        visible = visible_ids_sql(vs) if found is None else None
        if found is not None and q.unit_id is not None:  # the unit's rows (row_condition)
            where, params = _where(vs, q)
            sql = f"SELECT count(*) FROM person p INDEXED BY person_unit_id WHERE {where}"
        elif visible is not None:
            where, params = _where(vs, q, visible=False)
            sql = (f"SELECT count(*) FROM ({visible[0]} INTERSECT "
                   f"SELECT p.id FROM person p WHERE {where})")
            params = visible[1] + params
        elif found is None:
            where, params = _where(vs, q)
            sql = f"SELECT count(*) FROM person p WHERE {where}"
        elif found.rest_sql == "1" and not _row_filters(q):
            live = "" if q.include_archived else " AND archived = 0"
            cond, params = visible_id_sql(vs, "k.person_id")
            sql = (f"SELECT count(*) FROM {found.table} k WHERE k.{found.key_sql}{live} "
                   f"AND {cond}")
            params = list(found.key_params) + params
        else:
            where, more = _where(vs, q, text=False)
            sql = (f"SELECT count(*) FROM {_key_source(found.table, ordered=False)} "
                   f"WHERE k.{found.key_sql} AND {where} AND {found.rest_sql}")
            params = found.key_params + more + found.rest_params
        row = vs.execute(sql, tuple(params)).fetchone()
    return int(row[0])


#: Where a row lies in its sort (:attr:`PersonRow.page_key`): segment (0: has the sort key,
#: 1: lacks it, listed last in both directions), the key, the name sort key and the id.
PageKey = tuple[Any, ...]


def page_queries(vs: VaultSession, q: ArchiveQuery, after: PageKey | None = None
                 ) -> list[tuple[int, str, list[Any]]]:
    """The SELECTs of ``q``'s sorted list, one per segment still to read after ``after``
    (all of them for ``None``): ``(segment, sql, params)``; each selects ``id, key, name_sort``
    and ends in ``LIMIT ? OFFSET ?`` (to be bound by the caller).

    Without search text each reads the index of its sort in order (``INDEXED BY``: no
    sorting step, whatever the filters; the query-plan test holds this); a search gathers
    its matches from the search indexes first and orders only those.
    """
    key, index = _sort_key(q)
    d, cmp = ("DESC", "<") if q.descending else ("ASC", ">")
    found = key_lookup(q.text)
    if found is not None and key is None and q.unit_id is None:
        return [_key_page_query(vs, q, found, after)]
    where, params = _where(vs, q)
    text = clean_text(q.text)
    # A Chinese search collects its few matching ids from the name index; "+" keeps the
    # planner from walking the whole pinyin index instead to avoid the small sort.
    pinyin = "+p.name_sort" if _has_cjk(text) else "p.name_sort"
    if q.kind and key is None:
        index = "person_kind_name_sort"  # (kind, name_sort): the kind filter's range
    out: list[tuple[int, str, list[Any]]] = []
    segments = [(0, key, index)] if key is None else [
        (0, key, index), (1, None, "person_kind_name_sort" if q.kind
                          else "person_name_sort")]
    for segment, column, seg_index in segments:
        if after is not None and segment < after[0]:
            continue
        conds, args = [where], list(params)
        if key is not None:
            conds.append(f"{key} IS NOT NULL" if segment == 0 else f"{key} IS NULL")
        if after is not None and segment == after[0]:
            if column is None:
                conds.append(f"(p.name_sort, p.id) {cmp} (?, ?)")
                args += [after[2], after[3]]
            else:
                conds.append(f"({column}, p.name_sort, p.id) {cmp} (?, ?, ?)")
                args += [after[1], after[2], after[3]]
        order = f"{pinyin} {d}, p.id {d}"
        if column is not None:
            order = f"{column} {d}, {order}"
        source = "person p" if text else f"person p INDEXED BY {seg_index}"
        if text and q.unit_id is not None:  # the unit's persons, each row checked
            source = "person p INDEXED BY person_unit_id"
        out.append((segment, f"SELECT p.id, {column or 'NULL'}, p.name_sort FROM {source} "
                    f"WHERE {' AND '.join(conds)} ORDER BY {order} LIMIT ? OFFSET ?", args))
    return out


def _key_page_query(vs: VaultSession, q: ArchiveQuery, found: KeyLookup,
                    after: PageKey | None) -> tuple[int, str, list[Any]]:
    """The name-ordered list of a search with key rows (:func:`key_lookup`): the rows of
    its key are already in name order (no sorting step; a page reads its own rows, each
    person fetched for the filters)."""
    d, cmp = ("DESC", "<") if q.descending else ("ASC", ">")
    where, params = _where(vs, q, text=False)
    conds = [f"k.{found.key_sql}", where, found.rest_sql]
    args = found.key_params + params + found.rest_params
    if after is not None:
        conds.append(f"(k.name_sort, k.person_id) {cmp} (?, ?)")
        args += [after[2], after[3]]
    return (0, f"SELECT p.id, NULL, k.name_sort FROM {_key_source(found.table)} "
            f"WHERE {' AND '.join(conds)} ORDER BY k.name_sort {d}, k.person_id {d} "
            "LIMIT ? OFFSET ?", args)


def list_persons(vs: VaultSession, q: ArchiveQuery, offset: int, limit: int,
                 after: PageKey | None = None) -> list[PersonRow]:
    """One page (``limit`` ≤ 500 rows) of the archive in ``q``'s order: the rows after
    ``after`` (the :attr:`PersonRow.page_key` of the previous page's last row: keyset
    pagination, the cost of one page wherever it lies) or, without it, from ``offset``.

    Sorting puts persons missing the sort key last in both directions; ties break on
    the name (by pinyin syllable) then id. Raises :class:`PermissionDenied` for auditors,
    :class:`InvalidInput` for a bad sort.
    """
    limit = max(0, min(int(limit), 500))
    skip = 0 if after is not None else max(0, int(offset))
    found: list[tuple[int, PageKey]] = []
    with vs.reading():
        for segment, sql, args in page_queries(vs, q, after):
            want = limit - len(found)
            if want <= 0:
                break
            got = [(int(r[0]), (segment, r[1], str(r[2]), int(r[0])))
                   for r in vs.execute(sql, (*args, want, skip))]
            if skip and not got:  # the page starts beyond this segment: skip all of it
                skip -= int(vs.execute(f"SELECT count(*) FROM ({sql})",
                                       (*args, -1, 0)).fetchone()[0])
                skip = max(0, skip)
            else:
                skip = 0
            found += got
        rows = _rows_by_id(vs, [pid for pid, _k in found])
    return [replace(rows[pid], page_key=k) for pid, k in found if pid in rows]


def _rows_by_id(vs: VaultSession, ids: Sequence[int],
                hidden: Iterable[int] = ()) -> dict[int, PersonRow]:
    """PersonRows for ``ids`` (inside ``reading``); ids in ``hidden`` get no clinical
    columns."""
    if not ids:
        return {}
    hide = set(hidden)
    marks = ",".join("?" * len(ids))
    cursor = vs.execute(
        "SELECT p.id, p.kind, p.badge_no, p.name, p.gender, p.unit_id, u.name, p.police_type, "
        f"p.post, t.tier, t.review_due, substr({_LAST_SESSION}, 1, 10), p.archived_at "
        "FROM person p LEFT JOIN unit u ON u.id = p.unit_id "
        f"LEFT JOIN tier_state t ON t.person_id = p.id WHERE p.id IN ({marks})",
        tuple(ids),
    )
    out: dict[int, PersonRow] = {}
    for r in cursor:
        pid = int(r[0])
        secret = pid in hide
        out[pid] = PersonRow(
            id=pid, kind=r[1], badge_no=r[2], name=r[3], gender=r[4], unit_id=r[5],
            unit_name=r[6], police_type=r[7], post=r[8] or "",
            tier=None if secret else r[9], review_due=None if secret else r[10],
            last_session_on=None if secret else r[11], archived=r[12] is not None,
            visible=not secret,
        )
    return out


def person_rows(vs: VaultSession, ids: Sequence[int]) -> list[PersonRow]:
    """PersonRows of ``ids`` in that order (inside ``reading``; no visibility check)."""
    rows = _rows_by_id(vs, ids)
    return [rows[i] for i in ids if i in rows]


def find_persons(vs: VaultSession, text: str, limit: int = 20,
                 kind: str | None = None) -> list[PersonRow]:
    """The person picker of the session and emergency forms: up to ``limit`` matches of
    ``text`` (as in the archive), visible persons first.

    A counselor also finds serving officers outside their unit (an officer of any unit
    may call the hotline): those rows carry identity only (``visible=False``, no tier or
    session dates); logging a session for them makes them "served". Archived and voided
    persons are left out. Raises :class:`PermissionDenied` for auditors and admins (they
    log no sessions). A family member's row names their officer and relation
    (``family_of``), so the picker can tell two 刘芳 apart.
    """
    vs.require(Role.COUNSELOR, Role.COORDINATOR)
    found = key_lookup(text)
    if found is None:
        source, order = "person p", "p.name_sort, p.id"
        text_sql, text_params = text_condition(text)
    else:  # the key's rows, already in name order
        source, order = _key_source(found.table), "k.name_sort, k.person_id"
        text_sql = f"k.{found.key_sql} AND {found.rest_sql}"
        text_params = found.key_params + found.rest_params
    cond, vparams = visibility_sql(vs)
    kind_sql = "AND p.kind = ? " if kind else ""
    kparams = [kind] if kind else []
    limit = max(1, min(int(limit), 200))
    base = (f"FROM {source} WHERE p.voided_at IS NULL AND p.archived_at IS NULL "
            f"AND {text_sql} {kind_sql}")
    with vs.reading():
        seen = [int(r[0]) for r in vs.execute(
            f"SELECT p.id {base}AND {cond} ORDER BY {order} LIMIT ?",
            (*text_params, *kparams, *vparams, limit))]
        others: list[int] = []
        if len(seen) < limit and vs.actor.role == Role.COUNSELOR and kind in (None, "officer"):
            marks = ",".join("?" * len(seen))
            skip = f"AND p.id NOT IN ({marks}) " if seen else ""
            others = [int(r[0]) for r in vs.execute(
                f"SELECT p.id {base}AND p.kind = 'officer' {skip}"
                f"ORDER BY {order} LIMIT ?",
                (*text_params, *kparams, *seen, limit - len(seen)))]
        rows = _rows_by_id(vs, seen + others, hidden=others)
        family = [pid for pid, row in rows.items() if row.kind == "family"]
        if family:
            marks = ",".join("?" * len(family))
            for pid, officer, relation in vs.execute(
                    "SELECT fl.person_id, o.name, fl.relation FROM family_link fl "
                    "JOIN person o ON o.id = fl.officer_id "
                    f"WHERE fl.person_id IN ({marks}) ORDER BY fl.id", tuple(family)):
                if rows[int(pid)].family_of is None:
                    rows[int(pid)] = replace(rows[int(pid)], family_of=(officer, relation))
    return [rows[i] for i in seen + others if i in rows]
