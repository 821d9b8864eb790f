"""Issue 13: the three leaks of the monthly documents, rebuilt on small hand-made data.

Each scenario is read as a receiving office would: the printed documents only (numbers,
``<3``, ``x``, ``…``) and the sums every reader knows. The check is a plain enumeration of
every assignment of the hidden cells (small domains, no solver), written here independently
of :mod:`counselor_tui.domain.disclosure`. "Before" uses the per-document protection alone
(:func:`counselor_tui.reports.protect.protect`, what the program printed before this work)
and shows the leak; "after" uses :func:`counselor_tui.reports.linking.secure_document`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counselor_tui.domain.disclosure import CountSeries
from counselor_tui.domain.disclosure.linked import Mark, Release, audit, known_entries, secure
from counselor_tui.i18n import language, set_language
from counselor_tui.reports import consolidate as consolidation
from counselor_tui.reports.content import SCHEMA_ID, SCHEMA_VERSION
from counselor_tui.reports.linking import (
    Doc,
    link,
    linkable,
    protection_of,
    secure_document,
)
from counselor_tui.reports.protect import Protection, count_table, marker, protect, record
from counselor_tui.reports.view import _scope_text

K = 3
TOP = 17  # enumeration domain of an "x" or "…" cell: 0..TOP (above every true count here)
OCT = {"kind": "month", "label": "2026-10", "start": "2026-10-01", "end": "2026-11-01"}
NOV = {"kind": "month", "label": "2026-11", "start": "2026-11-01", "end": "2026-12-01"}


def content(scope: str, period: Mapping[str, str] = OCT, **sections: Any) -> dict[str, Any]:
    kind = "bureau" if scope == "bureau" else "unit"
    return {"period": dict(period), "scope": {"kind": kind, "code": scope},
            "units": {}, "sections": sections}


def series(rows: Mapping[str, int]) -> dict[str, Any]:
    return {"type": "series", "rows": list(rows), "counts": list(rows.values())}


def table(rows: Mapping[str, Mapping[str, int]], cols: list[str]) -> dict[str, Any]:
    return {"type": "table", "rows": list(rows), "cols": cols,
            "counts": [[rows[r][c] for c in cols] for r in rows]}


def printed(doc: dict[str, Any], prot: Protection) -> dict[tuple[str, Any, Any], str]:
    """What the document prints: ``{(table id, row, col): text}``."""
    out: dict[tuple[str, Any, Any], str] = {}
    for tid in prot.withheld:  # the document prints the table's total alone
        out[(tid, "*", "*")] = "withheld"
        section, key = tid.split(".")
        grand = count_table(doc["sections"][section]["tables"][key])
        total = grand.total if isinstance(grand, CountSeries) else grand.grand_total
        out[(tid, None, None)] = (marker(prot.withheld_totals[tid], K)
                                  if tid in prot.withheld_totals
                                  else "<3" if 1 <= total < K else str(total))
    for tid, st_ in prot.tables.items():
        for ref in st_.refs():
            out[(tid, ref.row, ref.col)] = st_.at(ref).render()
    for section, figs in prot.figures.items():
        for key, shown in figs.items():
            out[(f"{section}.figures", key, None)] = (
                "<3" if shown.status.value == "primary" else
                "x" if shown.status.value == "complementary" else
                "…" if shown.hidden else str(shown.value))
    return out


Rule = tuple[Sequence[str], Callable[[Mapping[str, int]], bool]]
"""The cells a sum involves and the check of that sum."""


def domain(text: str, top: int = TOP) -> range:
    if text == "<3":
        return range(1, K)
    if text == "x":
        return range(K, top + 1)
    if text in ("…", "withheld"):  # any count, zero included
        return range(0, top + 1)
    return range(int(text), int(text) + 1)


def enumerate_ranges(cells: Mapping[str, str], rules: list[Rule],
                     top: int = TOP) -> dict[str, set[int]]:
    """Every value each cell takes over all assignments that satisfy ``rules``: exhaustive
    depth-first enumeration, a rule checked as soon as its cells are all assigned."""
    names = list(cells)
    position = {n: i for i, n in enumerate(names)}
    due: dict[int, list[Rule]] = {}
    for rule in rules:
        due.setdefault(max(position[n] for n in rule[0]), []).append(rule)
    seen: dict[str, set[int]] = {n: set() for n in names}
    v: dict[str, int] = {}

    def walk(i: int) -> None:
        if i == len(names):
            for n in names:
                seen[n].add(v[n])
            return
        for value in domain(cells[names[i]], top):
            v[names[i]] = value
            if all(fn(v) for _names, fn in due.get(i, [])):
                walk(i + 1)
        del v[names[i]]

    walk(0)
    return seen


def disclosed(cells: Mapping[str, str], truth: Mapping[str, int],
              rules: list[Rule]) -> list[str]:
    """Hidden cells the enumeration narrows: exact, or a ``<3`` not free over 1..2."""
    seen = enumerate_ranges(cells, rules)
    assert all(truth[n] in seen[n] for n in cells), "the truth must be feasible"
    bad = []
    for n, text in cells.items():
        if text.isdigit():
            continue
        if (len(seen[n]) == 1 and truth[n] != 0) or (text == "<3" and seen[n] != {1, 2}):
            bad.append(n)
    return sorted(bad)


def secured(present: dict[str, Any], *others: Doc) -> Protection:
    present["disclosure"] = secure_document(Doc(present, False, "now"), list(others), K)
    assert present["disclosure"]["audit"]["passed"]
    return protection_of(present, K)


def fixed(doc: dict[str, Any]) -> Doc:
    return Doc(doc, True, "v1")


# ------------------------------------------------------------------- leak 1: one unit document


def unit_referrals() -> dict[str, Any]:
    return content("U01", counseling={"figures": {}, "tables": {"referrals": series(
        {"psychiatry": 1, "external": 1, "hospital": 0})}})


def referral_cells(view: Mapping[tuple[str, Any, Any], str]) -> dict[str, str]:
    tid = "counseling.referrals"
    if (tid, "*", "*") in view:  # withheld: only the total is printed
        return {"psychiatry": "withheld", "external": "withheld", "hospital": "withheld",
                "total": view.get((tid, None, None), "<3")}
    return {"psychiatry": view[(tid, "psychiatry", None)],
            "external": view[(tid, "external", None)],
            "hospital": view[(tid, "hospital", None)], "total": view[(tid, None, None)]}


LEAK1_TRUTH = {"psychiatry": 1, "external": 1, "hospital": 0, "total": 2}
LEAK1_RULES: list[Rule] = [
    (("psychiatry", "external", "hospital", "total"),
     lambda v: v["psychiatry"] + v["external"] + v["hospital"] == v["total"])]


def test_leak1_unit_document_small_cells_and_small_total_before_and_after() -> None:
    doc = unit_referrals()
    before = referral_cells(printed(doc, protect(doc, K)))
    assert disclosed(before, LEAK1_TRUTH, LEAK1_RULES) == ["external", "psychiatry", "total"]
    after = referral_cells(printed(doc, secured(doc)))
    assert after["psychiatry"] == "withheld" and after["total"] == "<3"
    assert disclosed(after, LEAK1_TRUTH, LEAK1_RULES) == []


# ------------------------------------------------- leak 2: bureau beside the unit documents

BY_UNIT = {"U01": {"officer": 5, "family": 1}, "U02": {"officer": 4, "family": 6}}
COLS = ["officer", "family"]


def bureau_by_unit() -> dict[str, Any]:
    return content("bureau", counseling={"figures": {}, "tables": {
        "by_unit": table(BY_UNIT, COLS)}})


def unit_by_unit(code: str) -> dict[str, Any]:
    return content(code, counseling={"figures": {}, "tables": {
        "by_unit": table({code: BY_UNIT[code]}, COLS)}})


def leak2_cells(bureau: Mapping[tuple[str, Any, Any], str],
                units: Mapping[str, Mapping[tuple[str, Any, Any], str]]) -> dict[str, str]:
    tid = "counseling.by_unit"
    cells: dict[str, str] = {}
    for r in ("U01", "U02", None):
        for c in (*COLS, None):
            cells[f"B{r}{c}"] = bureau[(tid, r, c)]
    for code, view in units.items():
        if (tid, "*", "*") in view:
            for c in COLS:
                cells[f"{code}{c}"] = "withheld"
            cells[f"{code}None"] = view.get((tid, None, None), "withheld")
            continue
        for c in (*COLS, None):
            cells[f"{code}{c}"] = view[(tid, code, c)]
    return cells


def leak2_truth() -> dict[str, int]:
    truth: dict[str, int] = {}
    for r in ("U01", "U02"):
        for c in COLS:
            truth[f"B{r}{c}"] = truth[f"{r}{c}"] = BY_UNIT[r][c]
        truth[f"B{r}None"] = truth[f"{r}None"] = sum(BY_UNIT[r].values())
    for c in COLS:
        truth[f"BNone{c}"] = sum(BY_UNIT[r][c] for r in BY_UNIT)
    truth["BNoneNone"] = 16
    return truth


def sums_to(parts: Sequence[str], total: str) -> Rule:
    """The rule ``sum(parts) == total``."""
    def check(v: Mapping[str, int]) -> bool:
        return sum(v[n] for n in parts) == v[total]
    return ((*parts, total), check)


def leak2_rules() -> list[Rule]:
    rules: list[Rule] = []
    for r in ("U01", "U02"):
        rules.append(sums_to((f"B{r}officer", f"B{r}family"), f"B{r}None"))
        for c in (*COLS, None):  # a unit's row is the same row in its own document
            rules.append(sums_to((f"B{r}{c}",), f"{r}{c}"))
    for c in (*COLS, None):
        rules.append(sums_to((f"BU01{c}", f"BU02{c}"), f"BNone{c}"))
    return rules


def test_leak2_bureau_read_beside_unit_documents_before_and_after() -> None:
    b, u1, u2 = bureau_by_unit(), unit_by_unit("U01"), unit_by_unit("U02")
    before = leak2_cells(printed(b, protect(b, K)),
                         {c: printed(d, protect(d, K)) for c, d in (("U01", u1), ("U02", u2))})
    assert "BU01family" in disclosed(before, leak2_truth(), leak2_rules())
    # the bureau is finalized first, then each unit is linked with what is already out
    bp = secured(b)
    b["disclosure"] = record(bp) | {"audit": b["disclosure"]["audit"]}
    p1 = secured(u1, fixed(b))
    u1_doc = Doc(u1, True, "v1")
    p2 = secured(u2, fixed(b), u1_doc)
    after = leak2_cells(printed(b, bp), {"U01": printed(u1, p1), "U02": printed(u2, p2)})
    assert disclosed(after, leak2_truth(), leak2_rules()) == []


# ------------------------------------------------ leak 3: stock and flow over two months


def firearms(period: Mapping[str, str], **figures: int) -> dict[str, Any]:
    return content("bureau", period, firearms={"figures": figures, "tables": {}})


def leak3_cells(oct_view: Mapping[tuple[str, Any, Any], str],
                nov_view: Mapping[tuple[str, Any, Any], str]) -> dict[str, str]:
    f = "firearms.figures"
    return {"oct_stock": oct_view[(f, "in_force_at_end", None)],
            "restricted": nov_view[(f, "restricted", None)],
            "reinstated": nov_view[(f, "reinstated", None)],
            "nov_stock": nov_view[(f, "in_force_at_end", None)]}


LEAK3_TRUTH = {"oct_stock": 2, "restricted": 2, "reinstated": 0, "nov_stock": 4}
LEAK3_RULES: list[Rule] = [
    (("oct_stock", "restricted", "reinstated", "nov_stock"),
     lambda v: v["oct_stock"] + v["restricted"] - v["reinstated"] == v["nov_stock"])]


def test_leak3_firearm_stock_and_flows_of_two_months_before_and_after() -> None:
    october = firearms(OCT, restricted=3, reinstated=0, in_force_at_end=2)
    november = firearms(NOV, restricted=2, reinstated=0, in_force_at_end=4)
    before = leak3_cells(printed(october, protect(october, K)),
                         printed(november, protect(november, K)))
    assert disclosed(before, LEAK3_TRUTH, LEAK3_RULES) == ["oct_stock", "restricted"]
    op = secured(october)
    after = leak3_cells(printed(october, op), printed(november, secured(november,
                                                                         fixed(october))))
    assert after["nov_stock"] in ("x", "…")
    assert disclosed(after, LEAK3_TRUTH, LEAK3_RULES) == []


SEP = {"kind": "month", "label": "2026-09", "start": "2026-09-01", "end": "2026-10-01"}
Q4 = {"kind": "quarter", "label": "2026-Q4", "start": "2026-10-01", "end": "2027-01-01"}


def test_reduced_linkage_keeps_the_period_and_the_one_before_it_only() -> None:
    """docs/disclosure.md §3: a November document is linked to November's other scopes and
    versions and to October (the stock/flow chain); September and other period kinds are
    not linked (September was audited against August when it was finalized)."""
    docs = {name: fixed(content(scope, period)) for name, scope, period in (
        ("sep", "bureau", SEP), ("oct_b", "bureau", OCT), ("oct_u", "U01", OCT),
        ("nov_u", "U01", NOV), ("q4", "bureau", Q4))}
    present = Doc(content("bureau", NOV), False, "now")
    kept = linkable(present, list(docs.values()))
    assert kept == [docs["oct_b"], docs["oct_u"], docs["nov_u"]]
    with_stocks = firearms(OCT, restricted=3, reinstated=0, in_force_at_end=2)
    older = firearms(SEP, restricted=1, reinstated=0, in_force_at_end=0)
    november = firearms(NOV, restricted=2, reinstated=0, in_force_at_end=4)
    secured(with_stocks)
    quick = secure_document(Doc(november, False, "now"),
                            [fixed(older), fixed(with_stocks)], K, linked=False)
    assert quick["audit"]["documents"] == 1  # the quick audit of a compile: its period only
    full = secure_document(Doc(november, False, "now"), [fixed(older), fixed(with_stocks)], K)
    assert full["audit"]["documents"] == 2 and full["audit"]["passed"]


# ----------------------------------------------------- property: random tables and history

CATS = ("a", "b", "c")


@st.composite
def history(draw: st.DrawFn) -> list[list[dict[str, int]]]:
    """Per period, per unit, a series of three small counts (2 periods × 2–3 units)."""
    n_units = draw(st.integers(2, 3))
    counts = st.integers(0, 6)
    return [[{c: draw(counts) for c in CATS} for _u in range(n_units)] for _p in range(2)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history(), st.randoms(use_true_random=False))
def test_property_linked_suppression_leaves_no_hidden_cell_exact(
        periods: list[list[dict[str, int]]], rnd: Any) -> None:
    finalized: list[Doc] = []
    for period, units in zip((OCT, NOV), periods, strict=True):
        docs = {f"U0{i + 1}": content(f"U0{i + 1}", period, counseling={
            "figures": {}, "tables": {"referrals": series(u)}}) for i, u in enumerate(units)}
        docs["bureau"] = content("bureau", period, counseling={"figures": {}, "tables": {
            "referrals": series({c: sum(u[c] for u in units) for c in CATS})}})
        order = list(docs)
        rnd.shuffle(order)  # scopes are finalized in any order
        for scope in order:
            doc = docs[scope]
            doc["disclosure"] = secure_document(Doc(doc, False, "now"), finalized, K)
            assert doc["disclosure"]["audit"]["passed"]
            finalized.append(Doc(doc, True, f"v{len(finalized)}"))
    release = link(finalized, K)
    result = audit(release, everything=True, exact=True)
    for f in result.findings:
        if f.mark is Mark.WITHHELD and f.value == 0:
            continue
        assert f.high is None or f.high > f.low, f
        if f.mark is Mark.PRIMARY:
            assert (f.low, f.high) == (1, K - 1), f


# ------------------------------------------- group disclosure: a unit all in one sensitive tier

TIERS = ["green", "yellow", "red", "none"]
ARCHIVE = {"U01": {"green": 0, "yellow": 5, "red": 0, "none": 0},
           "U02": {"green": 3, "yellow": 4, "red": 0, "none": 0}}


def test_group_disclosure_unit_row_all_in_one_sensitive_tier_before_and_after() -> None:
    doc = content("bureau", archive={"figures": {}, "tables": {
        "tiers_by_unit": table(ARCHIVE, TIERS)}})
    tid = "archive.tiers_by_unit"

    def cells(view: Mapping[tuple[str, Any, Any], str]) -> dict[str, str]:
        out = {f"{r}{c}": view.get((tid, r, c), "withheld") for r in ("U01", "U02", None)
               for c in (*TIERS, None)}
        if (tid, "*", "*") in view:
            out["NoneNone"] = view[(tid, None, None)]
        return out

    rules: list[Rule] = [sums_to([f"{r}{c}" for c in TIERS], f"{r}None")
                         for r in ("U01", "U02", None)]
    rules += [sums_to((f"U01{c}", f"U02{c}"), f"None{c}") for c in (*TIERS, None)]

    def others_of_u01(view: Mapping[tuple[str, Any, Any], str]) -> set[int]:
        seen = enumerate_ranges(cells(view), rules, top=12)
        return seen["U01green"] | seen["U01red"] | seen["U01none"]

    def consistent(table_: Mapping[str, Mapping[str, int]],
                   view: Mapping[tuple[str, Any, Any], str]) -> bool:
        """Whether another table agrees with everything printed (a plain check)."""
        values = {f"{r}{c}": table_[r][c] for r in table_ for c in TIERS}
        for r in table_:
            values[f"{r}None"] = sum(table_[r].values())
        for c in (*TIERS, None):
            values[f"None{c}"] = sum(values[f"{r}{c}"] for r in table_)
        return all(values[n] in domain(text, 99) for n, text in cells(view).items())

    before = printed(doc, protect(doc, K))
    assert others_of_u01(before) == {0}  # every officer of U01 is yellow: disclosed
    after = printed(doc, secured(doc))
    assert after.get((tid, "U01", "yellow"), "withheld") != "5"
    # one U01 officer green instead of yellow (and one U02 officer the other way round) reads
    # the same in the document: U01's tiers are not disclosed any more
    other = {"U01": {"green": 1, "yellow": 4, "red": 0, "none": 0},
             "U02": {"green": 2, "yellow": 5, "red": 0, "none": 0}}
    assert consistent(ARCHIVE, after) and consistent(other, after)
    assert not consistent(other, before)


# ------------------------------------------------ consolidation says what it does not cover


def _input(scope: str, sessions: int) -> Any:
    doc = content(scope, counseling={"figures": {"sessions": sessions}, "tables": {}})
    doc.update(schema=SCHEMA_ID, schema_version=SCHEMA_VERSION,
               integrity={"audit_head": "0" * 64})
    return consolidation.Input(doc, f"{scope}-signer", "0" * 64)


def test_consolidating_unit_packages_names_the_figures_of_no_unit() -> None:
    units_only = consolidation.combine([_input("U01", 4), _input("U02", 5)],
                                       bureau_name="局", compiled_at="2026-12-01T09:00:00+08:00",
                                       audit_head="0" * 64)
    assert units_only["sections"]["counseling"]["figures"]["sessions"] == 9
    assert units_only["source"]["not_covered"] == [consolidation.NO_UNIT]
    assert [i["scope"]["code"] for i in units_only["source"]["inputs"]] == ["U01", "U02"]
    assert all(i["signer_fingerprint"] and i["content_sha256"]
               for i in units_only["source"]["inputs"])
    with_bureau = consolidation.combine([_input("bureau", 3)], bureau_name="局",
                                        compiled_at="2026-12-01T09:00:00+08:00",
                                        audit_head="0" * 64)
    assert with_bureau["source"]["not_covered"] == []
    before = language()
    set_language("en")
    try:
        assert "not covered" in _scope_text(units_only)
        assert "not covered" not in _scope_text(with_bureau)
        # the DOCX body prints the scope inside its own parentheses: none nested in it
        for lang in ("en", "zh"):
            set_language(lang)
            text = _scope_text(units_only)
            assert not set("()（）") & set(text), (lang, text)
        assert "仅由各单位报送包汇总" in text
    finally:
        set_language(before)


# ------------------------------------ figures the reader already holds are printed again

def test_a_figure_already_printed_is_never_chosen_as_complement_nor_hidden_again() -> None:
    """A corrected version replacing v1 (fixed) prints v1's figures again: a figure the reader
    holds exactly (here ``v2.face`` = the ``v1.face`` printed) protects nothing when hidden, so
    it is neither chosen as a complement (the cheapest candidate by value here) nor left as an
    ``x`` from the single-table step (``v2.total``)."""
    release = Release(K)
    release.add(("v1", "face"), 4, Mark.PUBLISHED, fixed=True)
    release.add(("v1", "total"), 20, Mark.PUBLISHED, fixed=True)
    release.add(("u", "t"), 5, Mark.COMPLEMENTARY, fixed=True)  # another finalized document
    release.add(("u", "h"), 5, Mark.COMPLEMENTARY, fixed=True)
    release.add(("v2", "face"), 4, Mark.PUBLISHED)
    release.add(("v2", "total"), 20, Mark.COMPLEMENTARY)  # x of the single-table step
    release.add(("v2", "other"), 6, Mark.PUBLISHED)
    release.add(("v2", "same_as_t"), 5, Mark.PUBLISHED)  # printing it tells ("u", "t")
    assert release.relate([(("v1", "face"), 1), (("v2", "face"), -1)])  # equal versions
    assert release.relate([(("v1", "total"), 1), (("v2", "total"), -1)])
    assert release.relate([(("u", "t"), 1), (("v2", "face"), 1), (("v2", "other"), 1),
                           (("u", "h"), 1), (("v2", "total"), -1)])
    assert release.relate([(("u", "t"), 1), (("v2", "same_as_t"), -1)])
    assert known_entries(release) == {("v2", "face"), ("v2", "total")}

    result = secure(release)

    assert result.passed
    marks = {key: e.mark for key, e in release.entries.items()}
    assert marks[("v2", "face")] is Mark.PUBLISHED  # as v1 printed it
    assert marks[("v2", "total")] is Mark.PUBLISHED
    assert marks[("v2", "same_as_t")] is Mark.COMPLEMENTARY  # the complement that helps
    final = audit(release, everything=True, exact=True)
    assert final.passed and all(f.ok for f in final.findings if f.key[0] == "u")


def test_a_figure_the_replaced_version_hid_is_hidden_again_not_its_table_withheld() -> None:
    """v1 (fixed) hid ``a`` and ``b`` (``x``); v2, same figures, starts from the single-table
    step that printed ``a``: printing it would tell v1's ``a``, so v2 hides it as v1 did —
    the whole table is not withheld for want of a complement."""
    release = Release(K)
    values = {"a": 4, "b": 5, "c": 6, None: 15}
    for name, value in values.items():
        release.add(("v1", name), value, Mark.COMPLEMENTARY if name in ("a", "b")
                    else Mark.PUBLISHED, fixed=True, group=("v1",), margin=name is None,
                    grand=name is None)
    for name, value in values.items():
        release.add(("v2", name), value, Mark.COMPLEMENTARY if name == "b"
                    else Mark.PUBLISHED, group=("v2",), margin=name is None,
                    grand=name is None)
    for doc in ("v1", "v2"):
        assert release.relate([*(((doc, n), 1) for n in "abc"), ((doc, None), -1)])
    for name in values:
        assert release.relate([(("v1", name), 1), (("v2", name), -1)])

    result = secure(release)

    assert result.passed
    assert {n: release.entries[("v2", n)].mark for n in values} == {
        "a": Mark.COMPLEMENTARY, "b": Mark.COMPLEMENTARY, "c": Mark.PUBLISHED,
        None: Mark.PUBLISHED}
