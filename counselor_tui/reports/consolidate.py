"""Consolidation: one submission from several verified packages (DESIGN §8, §12).

Consolidation is additive over the exact counts of each package's ``submission.json``, so it
is linear in the number of packages and works at every level (unit → county → city →
province). Every figure of the schema is additive because every counted row belongs to at
most one unit (:mod:`counselor_tui.services.submission_compile`): sessions, minutes, distinct
persons served and new persons
(a person counts under one unit), officers, tier counts and changes, assessments, incidents
and steps, restrictions, counselors and coordinators (by their account's unit), trainings,
training hours, activities, participants and hours; census campaigns add up by
``(starts_on, name, ends_on)`` (officers targeted and completed; the rate is recomputed).
Rows attributed to no unit exist only in a bureau-scope package.

The inputs must share one period; a unit appearing (with counts) in two inputs, or two
inputs of the same scope and signer, are refused, since they would be counted twice.
When every input is a unit package, figures attributed to no unit (bureau-level trainings,
activities and interest groups, sessions and officers of no unit) are not covered:
``source.not_covered`` lists ``"no_unit"`` and the documents say so. Disclosure control is
applied again to the result by the caller (:mod:`counselor_tui.reports.linking`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from counselor_tui import __version__
from counselor_tui.errors import Conflict, InvalidInput
from counselor_tui.i18n import _
from counselor_tui.reports.content import SCHEMA_ID, SCHEMA_VERSION, UNASSIGNED

CONSOLIDATED = "consolidated"
#: ``source.not_covered`` code: figures attributed to no unit (only a bureau package has them).
NO_UNIT = "no_unit"
#: Tables whose rows are unit codes (a unit may appear in one input only).
UNIT_TABLES: tuple[tuple[str, str], ...] = (("counseling", "by_unit"),
                                            ("archive", "tiers_by_unit"))


@dataclass(frozen=True)
class Input:
    """One verified package's document with the signer that vouches for it."""

    document: Mapping[str, Any]
    fingerprint: str
    content_sha256: str


def _merge_order(lists: Sequence[Sequence[str]], unit_rows: bool) -> list[str]:
    if unit_rows:
        codes = {c for lst in lists for c in lst}
        return sorted(codes, key=lambda c: (c.startswith("_"), c))
    position: dict[str, tuple[int, int]] = {}
    for i, lst in enumerate(lists):
        for j, code in enumerate(lst):
            position.setdefault(code, (j, i))
    return sorted(position, key=lambda c: (position[c], c))


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, float) or isinstance(b, float):
        return round(float(a) + float(b), 2)
    return int(a) + int(b)


def _sum_table(tables: Sequence[Mapping[str, Any]], unit_rows: bool) -> dict[str, Any]:
    kind = tables[0]["type"]
    if any(t["type"] != kind for t in tables):
        raise InvalidInput(_("The packages disagree on the shape of a table."))
    rows = _merge_order([t["rows"] for t in tables], unit_rows)
    if kind == "series":
        acc = dict.fromkeys(rows, 0)
        for t in tables:
            for code, n in zip(t["rows"], t["counts"], strict=True):
                acc[code] += int(n)
        return {"type": "series", "rows": rows, "counts": [acc[c] for c in rows]}
    cols = _merge_order([t["cols"] for t in tables], False)
    key = "counts" if kind == "table" else "values"
    cells: dict[tuple[str, str], Any] = {}
    for t in tables:
        for r, values in zip(t["rows"], t[key], strict=True):
            for c, v in zip(t["cols"], values, strict=True):
                cells[(r, c)] = _add(cells.get((r, c), 0), v)
    zero: Any = 0
    return {"type": kind, "rows": rows, "cols": cols,
            key: [[cells.get((r, c), zero) for c in cols] for r in rows]}


def _check_units(inputs: Sequence[Input]) -> None:
    owner: dict[str, int] = {}
    for i, item in enumerate(inputs):
        sections = item.document["sections"]
        for section, key in UNIT_TABLES:
            tbl = sections.get(section, {}).get("tables", {}).get(key)
            if tbl is None:
                continue
            for code, values in zip(tbl["rows"], tbl["counts"], strict=True):
                if code == UNASSIGNED or not any(values):
                    continue
                if owner.setdefault(code, i) != i:
                    raise Conflict(_("Unit {code} has figures in two packages: it would be "
                                     "counted twice.").format(code=code))


def combine(
    inputs: Sequence[Input],
    *,
    bureau_name: str,
    compiled_at: str,
    audit_head: str,
) -> dict[str, Any]:
    """The consolidated content (no disclosure record yet) of ``inputs``.

    ``bureau_name``, ``compiled_at`` and ``audit_head`` are those of the consolidating vault.
    Raises :class:`InvalidInput` for no input, different periods or schema versions, and
    :class:`Conflict` when a unit or a (scope, signer) pair appears twice.
    """
    if not inputs:
        raise InvalidInput(_("Give at least one package to consolidate."))
    ordered = sorted(inputs, key=lambda x: (x.document["scope"]["code"], x.fingerprint))
    period = ordered[0].document["period"]
    seen: set[tuple[str, str]] = set()
    for item in ordered:
        doc = item.document
        if doc.get("schema") != SCHEMA_ID or int(doc.get("schema_version", 0)) > SCHEMA_VERSION:
            raise InvalidInput(_("A package uses an unknown submission schema."))
        if doc["period"] != period:
            raise InvalidInput(_("The packages cover different periods ({a} and {b}).").format(
                a=period.get("label"), b=doc["period"].get("label")))
        pair = (str(doc["scope"]["code"]), item.fingerprint)
        if pair in seen:
            raise Conflict(_("Two packages have the same scope {scope} and signer: one of them "
                             "would be counted twice.").format(scope=pair[0]))
        seen.add(pair)
    _check_units(ordered)
    docs = [item.document for item in ordered]
    sections: dict[str, Any] = {}
    keys = _merge_order([list(d["sections"]) for d in docs], False)
    for key in keys:
        parts = [d["sections"][key] for d in docs if key in d["sections"]]
        merged: dict[str, Any] = {"figures": {}, "tables": {}}
        fig_keys = _merge_order([list(p.get("figures", {})) for p in parts], False)
        for fk in fig_keys:
            total: Any = 0
            for p in parts:
                total = _add(total, p.get("figures", {}).get(fk, 0))
            merged["figures"][fk] = total
        table_keys = _merge_order([list(p.get("tables", {})) for p in parts], False)
        for tk in table_keys:
            tables = [p["tables"][tk] for p in parts if tk in p.get("tables", {})]
            merged["tables"][tk] = _sum_table(tables, (key, tk) in UNIT_TABLES)
        if any("campaigns" in p for p in parts):
            merged["campaigns"] = _campaigns([p.get("campaigns", []) for p in parts])
        sections[key] = merged
    # Figures that belong to no unit (sessions, officers, activities, interest groups and
    # trainings attributed to no unit) exist only in a bureau-scope package: without one the
    # result does not cover them, and says so (issue 13 point 6).
    covered = any(d["scope"].get("kind") != "unit" for d in docs)
    units: dict[str, str] = {}
    for d in docs:
        for code, name in d.get("units", {}).items():
            units.setdefault(code, name)
    return {
        "schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "period": copy.deepcopy(period),
        "scope": {"kind": CONSOLIDATED, "code": CONSOLIDATED},
        "issuer": {"bureau": bureau_name, "unit_name": None},
        "units": dict(sorted(units.items())),
        "source": {
            "kind": CONSOLIDATED,
            "inputs": [{
                "scope": item.document["scope"],
                "issuer": item.document.get("issuer", {}),
                "version": item.document.get("submission", {}).get("version"),
                "signer_fingerprint": item.fingerprint,
                "content_sha256": item.content_sha256,
                "audit_head": item.document["integrity"].get("audit_head"),
            } for item in ordered],
            "not_covered": [] if covered else [NO_UNIT],
        },
        "sections": sections,
        "integrity": {"audit_head": audit_head, "compiled_at": compiled_at,
                      "software_version": __version__},
    }


def _campaigns(lists: Sequence[Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for lst in lists:
        for c in lst:
            key = (str(c["starts_on"]), str(c["name"]), str(c["ends_on"]))
            entry = merged.setdefault(key, {"name": c["name"], "starts_on": c["starts_on"],
                                            "ends_on": c["ends_on"], "instruments": [],
                                            "target": 0, "completed": 0})
            entry["instruments"] = sorted({*entry["instruments"], *c["instruments"]})
            entry["target"] += int(c["target"])
            entry["completed"] += int(c["completed"])
    return [merged[k] for k in sorted(merged)]
