"""Linked disclosure control of a submission's documents (DESIGN §8; ``docs/disclosure.md``).

:func:`link` takes every document a reader holds or will hold — the *present* ones (this
period's scopes, compiled now; they may still change) and the *fixed* ones (every finalized
version the vault keeps: earlier periods and the scopes of this period already finalized) —
and builds one :class:`~counselor_tui.domain.disclosure.linked.Release`:

* every protected table, its margins and the protected headline figures and campaign counts
  of each document, marked as the document prints them (from its ``disclosure`` record);
* within a document: a table's totals are the sums of its cells; a ``shared_total`` table's
  grand total is its section's headline figure (sessions, officers serving);
* across scopes of one period: a unit's row in a bureau per-unit table is that unit's row in
  its own document; every other bureau figure is the sum of the units' figures plus a
  non-negative rest (rows of no unit, units without a document); the same holds for a
  consolidated document;
* across versions of one period and scope: equal figures are the same figure;
* across consecutive periods of one scope (stock and flow): firearm restrictions in force
  at the end = in force at the previous end + restricted − reinstated; recommendations
  pending at the end = pending before + recommended − restricted − declined.

A relation is kept only when the true figures satisfy it (see
:meth:`~counselor_tui.domain.disclosure.linked.Release.relate`).
:func:`secure_document` runs :func:`~counselor_tui.domain.disclosure.linked.secure` and
returns the record of one present document, with an ``audit`` block (cells, ranges, solver,
time). :func:`protection_of` reads a record back into what the documents print.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from counselor_tui.domain.disclosure import (
    Cell,
    CellRef,
    CellStatus,
    CountSeries,
    CountTable,
    SuppressedSeries,
    SuppressedTable,
)
from counselor_tui.domain.disclosure.linked import AuditResult, Key, Mark, Release, secure
from counselor_tui.reports.protect import Protection, Shown, count_table, protect, record
from counselor_tui.reports.spec import CAMPAIGN_COLUMNS, CAMPAIGNS, SECTIONS, table_id

#: Tables whose rows are units (a unit's row is printed in the bureau's and its own).
PER_UNIT = ("counseling.by_unit", "archive.tiers_by_unit")
#: Shared totals: table id → the headline figure it equals.
SHARED = {
    "counseling.by_channel": "sessions", "counseling.by_kind": "sessions",
    "counseling.by_unit": "sessions", "counseling.by_police_type": "sessions",
    "archive.tiers_by_unit": "serving",
}
#: Group disclosure: table id → the sensitive columns. A row whose counted persons all fall in
#: one of them tells each person's column without any small cell, so the row's cells are
#: withheld (``…``) and guarded like small counts (DESIGN §8, issue 13 point 4).
SENSITIVE = {"archive.tiers_by_unit": ("yellow", "red"), "census.screening": ("positive",)}
_MARK = {"primary": Mark.PRIMARY, "complementary": Mark.COMPLEMENTARY,
         "withheld": Mark.WITHHELD}
_STATUS = {Mark.PRIMARY: CellStatus.PRIMARY, Mark.COMPLEMENTARY: CellStatus.COMPLEMENTARY,
           Mark.PUBLISHED: CellStatus.PUBLISHED, Mark.WITHHELD: CellStatus.WITHHELD}


@dataclass
class Doc:
    """One document: its ``content`` (exact figures, with a ``disclosure`` record) and whether
    it is ``fixed`` (finalized: its marks cannot change); ``tag`` tells versions apart."""

    content: dict[str, Any]
    fixed: bool
    tag: str = ""

    @property
    def period(self) -> tuple[str, str]:
        """``(kind, start)`` of its period."""
        p = self.content["period"]
        return str(p["kind"]), str(p["start"])

    @property
    def scope(self) -> str:
        """Its scope code (``bureau``, a unit code, ``consolidated``)."""
        return str(self.content["scope"]["code"])

    @property
    def prefix(self) -> Key:
        """The first part of every key of this document."""
        return (*self.period, self.scope, self.tag)


def _marks(rec: Mapping[str, Any], tid: str) -> dict[tuple[Any, Any], Mark]:
    return {(c["row"], c["col"]): _MARK[c["status"]]
            for c in rec.get("suppressed", {}).get(tid, [])}


def _add_document(release: Release, doc: Doc) -> None:
    content, rec, fixed = doc.content, doc.content.get("disclosure", {}), doc.fixed
    k = release.k
    pre = doc.prefix
    sections = content.get("sections", {})
    withheld, demoted = set(rec.get("withheld", [])), set(rec.get("demoted", []))
    for spec in SECTIONS:
        data = sections.get(spec.key, {})
        figures = data.get("figures", {})
        fmarks = _marks(rec, f"{spec.key}.figures")
        for fig in spec.figures:
            value = figures.get(fig.key)
            if fig.protected and isinstance(value, int) and not fig.follows:
                release.add((*pre, spec.key, "figures", fig.key, None), value,
                            fmarks.get((fig.key, None), Mark.PUBLISHED), fixed=fixed)
        for tspec in spec.tables:
            tables = data.get("tables", {})
            if not tspec.protected or tspec.key not in tables:
                continue
            tid = table_id(spec.key, tspec.key)
            source = count_table(tables[tspec.key])
            marks = _marks(rec, tid)
            group = (*pre, spec.key, tspec.key)
            guarded = _group_disclosive(source, SENSITIVE.get(tid, ()))
            if not fixed:
                for row in guarded:
                    for c in source.col_labels if isinstance(source, CountTable) else ():
                        marks[(row, c)] = Mark.WITHHELD
            grand = source.total if isinstance(source, CountSeries) else source.grand_total
            for ref in source.refs():
                value = source.value(ref)
                is_grand = ref.row is None and ref.col is None
                if tid in withheld and not is_grand:
                    mark = Mark.WITHHELD
                elif tid in withheld:
                    mark = marks.get((None, None),
                                     Mark.PRIMARY if 1 <= grand < k else Mark.PUBLISHED)
                elif tid in demoted and ref.col is not None:
                    mark = Mark.WITHHELD
                else:
                    mark = marks.get((ref.row, ref.col), Mark.PUBLISHED)
                margin = ref.is_margin if isinstance(source, CountTable) else is_grand
                release.add((*group, ref.row, ref.col), value, mark, fixed=fixed, group=group,
                            margin=margin, grand=is_grand,
                            guard=ref.row in guarded and ref.col is not None)
            _table_relations(release, group, source)
            figure = (*pre, spec.key, "figures", SHARED.get(tid, ""), None)
            if figure in release.entries:
                release.relate([((*group, None, None), 1), (figure, -1)])
    cmarks = _marks(rec, f"census.{CAMPAIGNS}")
    for i, campaign in enumerate(sections.get("census", {}).get(CAMPAIGNS, [])):
        for col, _label in CAMPAIGN_COLUMNS:
            release.add((*pre, "census", CAMPAIGNS, _campaign_key(campaign), col),
                        int(campaign[col]), cmarks.get((str(i), col), Mark.PUBLISHED),
                        fixed=fixed)


def _group_disclosive(source: CountTable | CountSeries, sensitive: Sequence[str]) -> set[str]:
    """Rows of ``source`` whose non-zero cells are all in one sensitive column."""
    if not sensitive or not isinstance(source, CountTable):
        return set()
    rows = set()
    for r, counts in zip(source.row_labels, source.counts, strict=True):
        used = [c for c, v in zip(source.col_labels, counts, strict=True) if v]
        if len(used) == 1 and used[0] in sensitive:
            rows.add(r)
    return rows


def _campaign_key(campaign: Mapping[str, Any]) -> str:
    return f"{campaign['starts_on']}|{campaign['name']}|{campaign['ends_on']}"


def _table_relations(release: Release, group: Key, source: CountTable | CountSeries) -> None:
    def key(row: str | None, col: str | None) -> Key:
        return (*group, row, col)

    if isinstance(source, CountSeries):
        release.relate([*((key(r, None), 1) for r in source.labels), (key(None, None), -1)])
        return
    for r in source.row_labels:
        release.relate([*((key(r, c), 1) for c in source.col_labels), (key(r, None), -1)])
    for c in source.col_labels:
        release.relate([*((key(r, c), 1) for r in source.row_labels), (key(None, c), -1)])
    release.relate([*((key(r, None), 1) for r in source.row_labels), (key(None, None), -1)])


Suffixes = dict[Key, dict[Key, Key]]
"""``{document prefix: {key without the prefix: full key}}`` (:func:`_suffix_index`)."""


def _suffix_index(release: Release, docs: Sequence[Doc]) -> Suffixes:
    """Every document's entries by their key without the document's prefix, in one pass
    over the entries (every prefix has the same length)."""
    index: Suffixes = {doc.prefix: {} for doc in docs}
    lengths = {len(pre) for pre in index}
    for key in release.entries:
        for n in lengths:
            found = index.get(key[:n])
            if found is not None:
                found[key[n:]] = key
    return index


def _suffixes(index: Suffixes, doc: Doc) -> dict[Key, Key]:
    """``{key without the document prefix: full key}`` of a document's entries."""
    return index.get(doc.prefix, {})


def _scope_relations(release: Release, docs: Sequence[Doc], index: Suffixes) -> None:
    by_period: dict[tuple[str, str], list[Doc]] = {}
    for doc in docs:
        by_period.setdefault(doc.period, []).append(doc)
    rest = 0
    for period, group in by_period.items():
        units = [d for d in group if d.content["scope"].get("kind") == "unit"]
        wholes = [d for d in group if d.content["scope"].get("kind") != "unit"]
        unit_keys = [(d, _suffixes(index, d)) for d in units]
        for whole in wholes:
            for suffix, key in _suffixes(index, whole).items():
                tid = f"{suffix[0]}.{suffix[1]}"
                if tid in PER_UNIT:
                    row = suffix[2]
                    for unit, keys in unit_keys:
                        if row is not None and row == unit.scope and suffix in keys:
                            release.relate([(key, 1), (keys[suffix], -1)])
                    if row is not None:
                        continue
                parts = [keys[suffix] for _u, keys in unit_keys if suffix in keys]
                if not parts:
                    continue
                left = release.entries[key].value - sum(release.entries[p].value for p in parts)
                if left < 0:
                    continue
                latent: Key = ("rest", rest)
                rest += 1
                release.add(latent, left, Mark.LATENT)
                release.relate([(key, 1), *((p, -1) for p in parts), (latent, -1)])
        del period


def _version_relations(release: Release, docs: Sequence[Doc], index: Suffixes) -> None:
    seen: dict[tuple[tuple[str, str], str], Doc] = {}
    for doc in docs:
        ident = (doc.period, doc.scope)
        first = seen.setdefault(ident, doc)
        if first is doc:
            continue
        a, b = _suffixes(index, first), _suffixes(index, doc)
        for suffix, key in b.items():
            if suffix in a:
                release.relate([(a[suffix], 1), (key, -1)])


def _flow_relations(release: Release, docs: Sequence[Doc], index: Suffixes) -> None:
    """Stock and flow of firearm restrictions between consecutive periods of one scope."""
    latest: dict[tuple[str, str, str], Doc] = {}
    for doc in docs:  # one document per (kind, start, scope): the last given
        latest[(*doc.period, doc.scope)] = doc
    for (kind, start, scope), doc in latest.items():
        before = [d for (k2, s2, sc2), d in latest.items()
                  if k2 == kind and sc2 == scope and str(d.content["period"]["end"]) == start]
        if not before:
            continue
        now, prev = _suffixes(index, doc), _suffixes(index, before[0])

        def fig(keys: dict[Key, Key], name: str) -> Key | None:
            return keys.get(("firearms", "figures", name, None))

        terms = [(fig(now, "in_force_at_end"), 1), (fig(prev, "in_force_at_end"), -1),
                 (fig(now, "restricted"), -1), (fig(now, "reinstated"), 1)]
        if all(t[0] is not None for t in terms):
            release.relate([(key, c) for key, c in terms if key is not None])
        terms = [(fig(now, "pending_at_end"), 1), (fig(prev, "pending_at_end"), -1),
                 (fig(now, "recommended"), -1), (fig(now, "restricted"), 1),
                 (fig(now, "declined"), 1)]
        if all(t[0] is not None for t in terms):
            release.relate([(key, c) for key, c in terms if key is not None])


def link(docs: Sequence[Doc], k: int) -> Release:
    """The :class:`Release` of ``docs`` (each with its ``disclosure`` record) for threshold
    ``k``. Raises :class:`~counselor_tui.domain.disclosure.InvalidTableError` when a record
    marks a cell against its value."""
    release = Release(k)
    for doc in docs:
        _add_document(release, doc)
    index = _suffix_index(release, docs)
    _scope_relations(release, docs, index)
    _version_relations(release, docs, index)
    _flow_relations(release, docs, index)
    return release


def _status(mark: Mark) -> CellStatus:
    return _STATUS.get(mark, CellStatus.PUBLISHED)


def _cell(value: int, status: CellStatus, k: int) -> Cell:
    return Cell(status, value if status is CellStatus.PUBLISHED else None, k)


Lookup = dict[tuple[str, Any, Any], Mark]
"""``{(table id, row, col): mark}``; a missing entry is published."""


def _build(content: Mapping[str, Any], k: int, marks: Lookup, withheld: set[str],
           demoted: set[str]) -> Protection:
    """The :class:`Protection` that prints ``content`` with ``marks``."""
    base = protect(content, k)  # unprotected figures and the shapes of every table
    out = Protection(k, withheld=set(withheld), demoted=set(demoted))
    sections = content.get("sections", {})
    for spec in SECTIONS:
        shown: dict[str, Shown] = {}
        for key, old in base.figures.get(spec.key, {}).items():
            mark = marks.get((f"{spec.key}.figures", key, None), Mark.PUBLISHED)
            shown[key] = old if mark is Mark.PUBLISHED else Shown(None, _status(mark))
        for fig in spec.figures:
            if fig.follows and fig.key in shown and shown[fig.follows].hidden:
                shown[fig.key] = Shown(None, CellStatus.COMPLEMENTARY)
        out.figures[spec.key] = shown
        tables = sections.get(spec.key, {}).get("tables", {})
        for tspec in spec.tables:
            tid = table_id(spec.key, tspec.key)
            if not tspec.protected or tspec.key not in tables:
                continue
            if tid in withheld:
                mark = marks.get((tid, None, None), Mark.PUBLISHED)
                if mark in (Mark.COMPLEMENTARY, Mark.WITHHELD):
                    out.withheld_totals[tid] = _status(mark)
                continue
            source = count_table(tables[tspec.key])
            if tid in demoted and isinstance(source, CountTable):
                source = CountSeries(source.row_labels, source.row_totals)

            def cell(ref: CellRef, value: int, tid: str = tid) -> Cell:
                return _cell(value, _status(marks.get((tid, ref.row, ref.col), Mark.PUBLISHED)),
                             k)

            if isinstance(source, CountSeries):
                out.tables[tid] = SuppressedSeries(
                    k, source.labels,
                    tuple(cell(CellRef(r, None), v) for r, v in zip(source.labels,
                                                                   source.counts, strict=True)),
                    cell(CellRef(None, None), source.total))
            else:
                out.tables[tid] = SuppressedTable(
                    k, source.row_labels, source.col_labels,
                    tuple(tuple(cell(CellRef(r, c), source.count(r, c))
                                for c in source.col_labels) for r in source.row_labels),
                    tuple(cell(CellRef(r, None), v)
                          for r, v in zip(source.row_labels, source.row_totals, strict=True)),
                    tuple(cell(CellRef(None, c), v)
                          for c, v in zip(source.col_labels, source.col_totals, strict=True)),
                    cell(CellRef(None, None), source.grand_total))
    for i, campaign in enumerate(sections.get("census", {}).get(CAMPAIGNS, [])):
        entry: dict[str, Shown] = {}
        for col, _label in CAMPAIGN_COLUMNS:
            mark = marks.get((f"census.{CAMPAIGNS}", str(i), col), Mark.PUBLISHED)
            entry[col] = (Shown(int(campaign[col]), CellStatus.PUBLISHED)
                          if mark is Mark.PUBLISHED else Shown(None, _status(mark)))
        out.campaigns.append(entry)
    return out


def protection_of(document: Mapping[str, Any], k: int) -> Protection:
    """What the documents of ``document`` print: read from its ``disclosure`` record when the
    record lists its hidden cells (``suppressed``), else :func:`protect` (threshold ``k``)."""
    rec = document.get("disclosure") or {}
    if "suppressed" not in rec:
        return protect(document, k)
    marks: Lookup = {}
    for tid, cells in rec["suppressed"].items():
        for c in cells:
            marks[(tid, c["row"], c["col"])] = _MARK[c["status"]]
    return _build(document, k, marks, set(rec.get("withheld", [])),
                  set(rec.get("demoted", [])))


def _from_release(release: Release, doc: Doc) -> Protection:
    before_demoted = set((doc.content.get("disclosure") or {}).get("demoted", []))
    pre = doc.prefix
    n = len(pre)
    marks: Lookup = {}
    groups: dict[str, list[tuple[Any, Any, Mark, bool]]] = {}
    campaigns = {_campaign_key(c): str(i) for i, c in enumerate(
        doc.content.get("sections", {}).get("census", {}).get(CAMPAIGNS, []))}
    for key, entry in release.entries.items():
        if key[:n] != pre:
            continue
        section, table, row, col = key[n:]
        tid = f"{section}.{table}"
        if table == CAMPAIGNS:
            row = campaigns[str(row)]
        marks[(tid, row, col)] = entry.mark
        if table not in ("figures", CAMPAIGNS):
            groups.setdefault(tid, []).append((row, col, entry.mark, entry.grand))
    withheld: set[str] = set()
    demoted: set[str] = set()
    for tid, cells in groups.items():
        rest = [mark for _r, _c, mark, grand in cells if not grand]
        columns = [mark for _r, c, mark, _g in cells if c is not None]
        rows = [mark for r, c, mark, _g in cells if c is None and r is not None]
        if rest and all(mark is Mark.WITHHELD for mark in rest):
            withheld.add(tid)
        elif (columns and rows and all(mark is Mark.WITHHELD for mark in columns)
              and tid in before_demoted):
            demoted.add(tid)
    for tid in demoted:  # the printed series is the row totals: drop the withheld columns
        for r, c, _m, _g in groups[tid]:
            if c is not None:
                marks.pop((tid, r, c), None)
    return _build(doc.content, release.k, marks, withheld, demoted)


def _audit_block(release: Release, doc: Doc, result: AuditResult,
                 n_docs: int) -> dict[str, Any]:
    pre = doc.prefix
    n = len(pre)
    campaigns = {_campaign_key(c): str(i) for i, c in enumerate(
        doc.content.get("sections", {}).get("census", {}).get(CAMPAIGNS, []))}
    cells = []
    for f in result.findings:
        if f.key[:n] != pre:
            continue
        section, table, row, col = f.key[n:]
        if table == CAMPAIGNS:
            row = campaigns[str(row)]
        cells.append({"table": f"{section}.{table}", "row": row, "col": col,
                      "status": f.mark.value, "min": f.low, "max": f.high, "ok": f.ok})
    return {
        "solver": result.solver,
        "seconds": round(result.seconds, 3),
        "rounds": result.rounds,
        "documents": n_docs,
        "hidden_cells": len(result.findings),
        "failing": len(result.failing),
        "inherited": sum(1 for f in result.findings if f.inherited),
        "passed": result.passed,
        "cells": cells,
    }


def linkable(present: Doc, others: Sequence[Doc]) -> list[Doc]:
    """The documents of ``others`` a reader can combine with ``present`` (the reduced
    linkage of ``docs/disclosure.md``): every scope and version of ``present``'s period, and
    the documents of the period just before it of the same kind (whose ``end`` is
    ``present``'s ``start``) — the stock-and-flow chain of firearm restrictions. Earlier
    periods were audited against their own previous period when they were finalized, and a
    stock printed in the previous period cuts the chain; order kept."""
    kind, start = present.period
    return [d for d in others
            if d.period == (kind, start)
            or (d.period[0] == kind and str(d.content["period"].get("end")) == start)]


def secure_document(present: Doc, others: Sequence[Doc], k: int, *,
                    linked: bool = True) -> dict[str, Any]:
    """The ``disclosure`` record of ``present`` protected together with ``others`` (fixed
    documents with their stored records; present ones get :func:`protect` first), with an
    ``audit`` block: ``solver``, ``seconds``, ``rounds``, ``documents``, ``hidden_cells``,
    ``failing``, ``inherited``, ``passed`` and ``cells`` (this document's hidden cells with
    their ``min``/``max`` — ``max`` null when unbounded — and ``ok``). Only
    :func:`linkable` documents of ``others`` are linked; ``linked=False`` keeps the same
    period's alone (no earlier period: the quick audit of a compile or preview)."""
    kept = linkable(present, others)
    if not linked:
        kept = [d for d in kept if d.period == present.period]
    docs: list[Doc] = []
    for doc in (*kept, present):
        if not doc.fixed:
            doc.content["disclosure"] = record(protect(doc.content, k))
        docs.append(doc)
    fixed = [d for d in docs if d.fixed]
    live = [d for d in docs if not d.fixed]
    live.sort(key=lambda d: (d.scope != "bureau", d.scope))
    ordered = [*fixed, *live]
    release = link(ordered, k)
    result = secure(release)
    rec = record(_from_release(release, present))
    rec["audit"] = _audit_block(release, present, result, len(ordered))
    return rec
