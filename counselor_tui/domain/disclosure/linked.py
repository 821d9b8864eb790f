"""Linked suppression: every document a reader holds, audited and protected together.

Source of the rule: DESIGN §8 ("Disclosure control") and issue 13: the reader to defend
against holds every document the vault has exported — every table of a document, the other
scopes of the same period (bureau, each unit, consolidated) and earlier periods (stocks and
flows). Method: Hundepool et al., *Statistical Disclosure Control* (Wiley 2012) §4.3 (linked
tables; audit by feasibility intervals) and sdcTable's ``attack()``; the integer programs
are solved by HiGHS (:mod:`.attack`).

Shapes
------
* A :class:`Release` holds *entries*: one per printed figure of every document (keyed by an
  opaque tuple chosen by the caller, e.g. ``(period, scope, table, row, col)``), each with its
  true ``value``, its :class:`Mark` and whether it is ``fixed`` (printed in a document already
  finalized: nothing about it can change). ``LATENT`` entries are unknowns printed nowhere
  (the part of a bureau figure that belongs to no unit). Relations are linear equations
  ``sum(coef * value) == 0`` the reader knows (a total is the sum of its cells; a bureau cell is
  the sum of the unit cells plus a non-negative rest; a stock is the previous stock plus the
  flows). :meth:`Release.relate` keeps a relation only when the true values satisfy it.
* What the reader knows of each entry (its bounds): a printed value exactly; ``<k``
  (``PRIMARY``) holds 1..k−1; ``x`` (``COMPLEMENTARY``) holds k or more; a cell of a withheld
  table (``WITHHELD``) and a ``LATENT`` rest hold 0 or more.
* :func:`audit` solves every hidden entry's feasible range (:class:`Finding`) and says which
  fail: a ``<k`` narrowed below 1..k−1, an ``x`` left fewer than k possible values, a withheld
  non-zero cell determined exactly (a withheld zero is not protected: zeros are printed
  everywhere by rule).
* :func:`secure` adds complementary suppressions (and withholds tables) among the entries that
  are not fixed until :func:`audit` finds nothing, then returns the final :class:`AuditResult`.

Decisions
---------
* A failing entry is not blamed on the present documents when the reader knows as much
  without anything they print: it is reported as ``inherited`` (its range, with every
  non-fixed entry unknown and non-negative, is already the same) — e.g. a figure an earlier
  version printed, or a unit's total that the bureau's total less the other units' gives.
* An entry the reader already holds exactly from the fixed documents alone
  (:func:`known_entries`: printed in an earlier version, or in another document as the same
  figure, or worked out from such figures by the relations) protects nothing when hidden: it
  is printed (an ``x`` the single-table step gave it is taken back) and never chosen as a
  complement — so a corrected version prints again what the replaced one printed, unless the
  value changed (then the equality is not a relation).
* The complement chosen for a failing entry is a printed non-zero, non-fixed entry sharing a
  relation with it (breadth-first through hidden entries) that is not known, least by (is a
  total, value, order) — the same preference as the single-table heuristic. When there is
  none, the failing entry's table is withheld (the document prints its grand total alone) —
  the "withheld total" rule, which covers ``<k + <k = <k`` (1, 1, 2) — or, for a headline
  figure, the figure itself (units' ``<3`` beside a bureau ``<3``).
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from counselor_tui.domain.disclosure.attack import Equation, feasible_ranges, solver_name
from counselor_tui.domain.disclosure.cells import DEFAULT_K, InvalidTableError, _check_k

__all__ = ["AuditResult", "Entry", "Finding", "Key", "Mark", "Release", "Settled", "audit",
           "known_entries", "secure"]

Key = tuple[str | int | None, ...]
"""An entry's address, chosen by the caller (hashable, sortable by position)."""


class Mark(Enum):
    """How an entry is printed (or not)."""

    PUBLISHED = "published"
    PRIMARY = "primary"
    COMPLEMENTARY = "complementary"
    WITHHELD = "withheld"
    LATENT = "latent"


_HIDDEN_PRINTED = (Mark.PRIMARY, Mark.COMPLEMENTARY, Mark.WITHHELD)


@dataclass
class Entry:
    """One figure: true ``value``, ``mark``; ``fixed`` (already published, cannot change);
    ``group`` (the table it belongs to, withheld as a whole); ``margin`` (a total);
    ``grand`` (the table's grand total, printed even when the table is withheld);
    ``order`` (position, for deterministic choices); ``guard``: a withheld zero that must not
    be determined either (group disclosure: the zeros of a row whose counted persons all sit
    in one sensitive column)."""

    value: int
    mark: Mark
    fixed: bool = False
    group: Key | None = None
    margin: bool = False
    grand: bool = False
    order: int = 0
    guard: bool = False


@dataclass(frozen=True)
class Finding:
    """The feasible range ``low..high`` (``high`` None: unbounded) of a hidden entry ``key``
    with its ``mark`` and true ``value``; ``ok`` when it meets the rule of :func:`audit`;
    ``inherited`` when it fails already without the present documents; ``exact`` False when
    ``low..high`` are values shown feasible by witness solutions (the true range is at least
    that wide) rather than solved end points."""

    key: Key
    mark: Mark
    value: int
    low: int
    high: int | None
    ok: bool
    inherited: bool = False
    exact: bool = True


@dataclass(frozen=True)
class AuditResult:
    """Every hidden entry audited (:class:`Finding`, in entry order), the ``solver`` and the
    wall time in ``seconds``; ``failing``: the findings that fail and are not inherited."""

    findings: tuple[Finding, ...]
    solver: str
    seconds: float
    rounds: int = 0

    @property
    def failing(self) -> tuple[Finding, ...]:
        """The findings that fail because of the present documents."""
        return tuple(f for f in self.findings if not f.ok and not f.inherited)

    @property
    def passed(self) -> bool:
        """True when no finding fails (inherited ones aside)."""
        return not self.failing


@dataclass
class Release:
    """Everything a reader holds; see the module docstring. ``k`` is the threshold (≥ 2)."""

    k: int = DEFAULT_K
    entries: dict[Key, Entry] = field(default_factory=dict)
    relations: list[tuple[tuple[Key, int], ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        _check_k(self.k)

    def add(self, key: Key, value: int, mark: Mark, *, fixed: bool = False,
            group: Key | None = None, margin: bool = False, grand: bool = False,
            guard: bool = False) -> None:
        """Add an entry. Raises :class:`InvalidTableError` for a duplicate key, a negative
        value, a hidden zero marked ``<k``/``x``, or a mark against its value."""
        if key in self.entries:
            raise InvalidTableError(f"entry {key!r} added twice")
        if value < 0:
            raise InvalidTableError(f"entry {key!r} has a negative value")
        if mark is Mark.PRIMARY and not 1 <= value < self.k:
            raise InvalidTableError(f"entry {key!r} is marked <k but holds {value}")
        if mark is Mark.COMPLEMENTARY and value < self.k:
            raise InvalidTableError(f"entry {key!r} is marked x but holds {value}")
        self.entries[key] = Entry(value, mark, fixed, group, margin, grand, len(self.entries),
                                  guard)

    def relate(self, terms: Iterable[tuple[Key, int]]) -> bool:
        """Add the relation ``sum(coef * value) == 0`` over known keys when the true values
        satisfy it (a reader cannot use a relation the figures contradict); True if added.
        Raises ``KeyError`` for an unknown key."""
        merged: dict[Key, int] = {}
        for key, coef in terms:
            merged[key] = merged.get(key, 0) + coef
        cleaned = tuple((key, c) for key, c in merged.items() if c != 0)
        if not cleaned:
            return False
        if sum(self.entries[key].value * c for key, c in cleaned) != 0:
            return False
        self.relations.append(cleaned)
        return True

    def bounds(self, entry: Entry) -> tuple[int, int | None]:
        """What the reader knows of ``entry``: its inclusive range (None: unbounded)."""
        if entry.mark is Mark.PUBLISHED:
            return entry.value, entry.value
        if entry.mark is Mark.PRIMARY:
            return 1, self.k - 1
        if entry.mark is Mark.COMPLEMENTARY:
            return self.k, None
        return 0, None

    def ok(self, entry: Entry, low: int, high: int | None) -> bool:
        """Whether a hidden entry with feasible range ``low..high`` meets the rule."""
        k = self.k
        if entry.mark is Mark.PRIMARY:
            return low <= 1 and (high is None or high >= k - 1)
        if entry.mark is Mark.COMPLEMENTARY:
            return high is None or high - low + 1 >= k
        if entry.mark is Mark.WITHHELD:
            return (entry.value == 0 and not entry.guard) or high is None or high > low
        return True


def _problem(release: Release, *, present_unknown: bool = False
             ) -> tuple[list[Key], list[int], list[int | None], list[int], list[Equation]]:
    """Unknowns, bounds, true values and equations; ``present_unknown``: every non-fixed
    entry unknown with bounds 0.. (what the reader knows before the present documents)."""
    unknown = [key for key, e in release.entries.items()
               if e.mark is not Mark.PUBLISHED or (present_unknown and not e.fixed)]
    index = {key: u for u, key in enumerate(unknown)}
    lo: list[int] = []
    hi: list[int | None] = []
    for key in unknown:
        entry = release.entries[key]
        low, high = ((0, None) if present_unknown and not entry.fixed
                     else release.bounds(entry))
        lo.append(low)
        hi.append(high)
    truth = [release.entries[key].value for key in unknown]
    equations: list[Equation] = []
    for r in range(len(release.relations)):
        terms: list[tuple[int, int]] = []
        rhs = 0
        for key, coef in release.relations[r]:
            u = index.get(key)
            if u is None:
                rhs -= coef * release.entries[key].value
            else:
                terms.append((u, coef))
        if terms:
            equations.append((tuple(terms), rhs))
    return unknown, lo, hi, truth, equations


def _by_key(release: Release) -> dict[Key, list[int]]:
    """``{key: indexes of the relations it appears in}``."""
    by_key: dict[Key, list[int]] = {}
    for r, terms in enumerate(release.relations):
        for key, _c in terms:
            by_key.setdefault(key, []).append(r)
    return by_key


def _touched(release: Release, memo: Settled) -> set[Key]:
    """Hidden entries whose range the present (non-fixed) entries can affect: those linked
    through hidden entries to a relation with a non-fixed entry (relations never change
    between rounds: their index and the ones with a non-fixed entry are kept in ``memo``)."""
    entries = release.entries
    if memo.by_key is None or memo.start is None:
        memo.by_key = _by_key(release)
        memo.start = [r for r, terms in enumerate(release.relations)
                      if any(not entries[key].fixed for key, _c in terms)]
    by_key, start = memo.by_key, memo.start
    seen_rel = set(start)
    seen: set[Key] = {key for key, e in entries.items()
                      if not e.fixed and e.mark is not Mark.PUBLISHED}
    stack = list(start)
    for key in seen:
        stack.extend(by_key.get(key, ()))
    while stack:
        r = stack.pop()
        for key, _c in release.relations[r]:
            if key in seen or entries[key].mark is Mark.PUBLISHED:
                continue
            seen.add(key)
            for other in by_key.get(key, ()):
                if other not in seen_rel:
                    seen_rel.add(other)
                    stack.append(other)
    return seen


Cache = dict[Hashable, Mapping[int, tuple[int, int | None, bool]]]


@dataclass
class Settled:
    """What one :func:`audit` of a suppression tells the next rounds (:func:`secure`).

    Between rounds entries only become hidden (a printed entry ≥ k becomes ``x``, a table is
    withheld: ``0..``), so the reader's feasible set only grows: a finding that passed keeps
    passing while its mark is unchanged (its range can only widen), and an inherited one
    stays inherited (its range is squeezed between the previous one and the range without
    the present documents). ``findings``: those entries, by key; ``before``: the ranges of
    entries without the present documents (that problem never changes between rounds);
    ``by_key``/``start``: the relations of each key and those with a non-fixed entry."""

    findings: dict[Key, Finding] = field(default_factory=dict)
    before: dict[Key, tuple[int, int | None]] = field(default_factory=dict)
    by_key: dict[Key, list[int]] | None = None
    start: list[int] | None = None


def audit(release: Release, *, everything: bool = False, exact: bool = False,
          cache: Cache | None = None, prove: bool = True,
          settled: Settled | None = None) -> AuditResult:
    """Solve the feasible range of every hidden printed entry the present documents can
    affect (all of them when ``everything``) by integer programming (:mod:`.attack`).

    With ``exact`` every end point is solved; otherwise a range is solved only as far as
    needed to show the rule holds (witness solutions, :func:`.attack.feasible_ranges`), and
    exactly when it may fail (with ``prove`` False: judged failing unsolved). ``cache``
    carries solved components from one audit to the next; ``settled`` (:class:`Settled`)
    the findings a previous round of the same suppression settled: they are not solved again
    (a passing one is reported ``exact`` False: its range may have widened since).

    A failing entry of a fixed document is ``inherited`` when it fails also without the
    relations that involve non-fixed entries. Raises
    :class:`~counselor_tui.domain.disclosure.attack.AttackError` if the solver fails.
    """
    began = time.perf_counter()
    entries = release.entries
    memo = settled if settled is not None else Settled()
    scope = set(entries) if everything else _touched(release, memo)
    unknown, lo, hi, truth, equations = _problem(release)
    hidden = [u for u, key in enumerate(unknown)
              if key in scope and entries[key].mark in _HIDDEN_PRINTED]
    known = {u: memo.findings[unknown[u]] for u in hidden
             if unknown[u] in memo.findings
             and memo.findings[unknown[u]].mark is entries[unknown[u]].mark}
    ask = [u for u in hidden if u not in known]
    known_keys = {unknown[u] for u in known}

    def certified(u: int, low: int, high: int | None) -> bool:
        return release.ok(entries[unknown[u]], low, high)

    ranges = feasible_ranges(lo, hi, equations, ask, truth,
                             None if exact else certified, cache, unknown, prove)
    findings: list[Finding] = []
    stale: list[int] = []
    for u in hidden:
        if u in known:
            findings.append(known[u])
            continue
        key = unknown[u]
        entry = entries[key]
        low, high, solved = ranges[u]
        ok = release.ok(entry, low, high)
        findings.append(Finding(key, entry.mark, entry.value, low, high, ok, exact=solved))
        if not ok:
            stale.append(len(findings) - 1)
    missing = [i for i in stale if findings[i].key not in memo.before]
    if missing:  # would the reader know it without anything the present documents print?
        p_unknown, p_lo, p_hi, p_truth, p_eq = _problem(release, present_unknown=True)
        p_index = {key: u for u, key in enumerate(p_unknown)}
        wanted = {p_index[findings[i].key]: i for i in missing}
        before = feasible_ranges(p_lo, p_hi, p_eq, wanted, p_truth)
        for u, i in wanted.items():
            memo.before[findings[i].key] = before[u][:2]
    for i in stale:
        f = findings[i]
        if memo.before[f.key] == (f.low, f.high):  # the present documents narrow nothing
            findings[i] = Finding(f.key, f.mark, f.value, f.low, f.high, False, True,
                                  f.exact)
    for f in findings:
        if f.key not in known_keys and (f.ok or f.inherited):
            memo.findings[f.key] = (f if not f.ok or not f.exact else
                                    Finding(f.key, f.mark, f.value, f.low, f.high, True,
                                            False, False))
    return AuditResult(tuple(findings), solver_name(), time.perf_counter() - began)


def known_entries(release: Release, by_key: Mapping[Key, Sequence[int]] | None = None
                  ) -> set[Key]:
    """Keys of the non-fixed entries whose value a reader works out exactly from the fixed
    documents alone: starting from the fixed printed entries, a relation whose terms are all
    known but one makes that one known (to a fixed point). ``by_key``: the relations of each
    key (:func:`_by_key`), computed when not given. Sound, not complete: what only bounds
    imply (a sum of non-negative entries that is 0) is not counted."""
    entries, relations = release.entries, release.relations
    if by_key is None:
        by_key = _by_key(release)
    known = {key for key, e in entries.items() if e.fixed and e.mark is Mark.PUBLISHED}
    left = [sum(1 for key, _c in terms if key not in known) for terms in relations]
    stack = [r for r, n in enumerate(left) if n == 1]
    while stack:
        r = stack.pop()
        if left[r] != 1:
            continue
        key = next(key for key, _c in relations[r] if key not in known)
        known.add(key)
        for other in by_key.get(key, ()):
            left[other] -= 1
            if left[other] == 1:
                stack.append(other)
    return {key for key in known if not entries[key].fixed}


def _complement(release: Release, target: Key, by_key: dict[Key, list[int]],
                known: set[Key] | frozenset[Key] = frozenset()) -> Key | None:
    """The entry to hide next for ``target`` (see the module docstring), or None; the
    entries of ``known`` are never chosen (hiding them protects nothing)."""
    entries = release.entries
    frontier = [target]
    seen_keys = {target}
    seen_rel: set[int] = set()
    while frontier:
        rels = [r for key in frontier for r in by_key.get(key, ()) if r not in seen_rel]
        seen_rel.update(rels)
        best: tuple[tuple[bool, int, int], Key] | None = None
        following: list[Key] = []
        for r in rels:
            for key, _c in release.relations[r]:
                if key in seen_keys:
                    continue
                e = entries[key]
                if e.mark is Mark.PUBLISHED:
                    if e.value > 0 and not e.fixed and key not in known:
                        rank = (e.margin, e.value, e.order)
                        if best is None or rank < best[0]:
                            best = (rank, key)
                else:
                    seen_keys.add(key)
                    following.append(key)
        if best is not None:
            return best[1]
        frontier = following
    return None


def _present_near(release: Release, target: Key, by_key: dict[Key, list[int]]) -> list[Key]:
    """Non-fixed entries linked to ``target`` through hidden entries, nearest first (whose
    tables to withhold when a fixed entry fails and no complement helps)."""
    entries = release.entries
    found: list[Key] = []
    frontier, seen = [target], {target}
    while frontier:
        following: list[Key] = []
        for key in frontier:
            for r in by_key.get(key, ()):
                for other, _c in release.relations[r]:
                    if other in seen:
                        continue
                    seen.add(other)
                    e = entries[other]
                    if not e.fixed and e.mark is not Mark.LATENT:
                        found.append(other)
                    if e.mark is not Mark.PUBLISHED:
                        following.append(other)
        frontier = following
    return found


def _withhold(release: Release, key: Key) -> bool:
    """Withhold every entry of ``key``'s group but its grand total — or, when they are
    withheld already, the grand total too (an entry of no group: itself). False when nothing
    more can be withheld (fixed, or withheld already)."""
    entry = release.entries[key]
    group = entry.group
    if group is None:
        if entry.fixed or entry.mark is Mark.WITHHELD:
            return False
        entry.mark = Mark.WITHHELD
        return True
    members = [e for e in release.entries.values() if e.group == group]
    if any(e.fixed for e in members):
        return False
    rest = [e for e in members if not e.grand]
    if all(e.mark is Mark.WITHHELD for e in rest):
        rest = [e for e in members if e.grand and e.mark is not Mark.WITHHELD]
        if not rest:
            return False
    for e in rest:
        e.mark = Mark.WITHHELD
    return True


def _mirror(release: Release, known: set[Key]) -> None:
    """Hide (``x``) every printed non-fixed entry of k or more that a relation makes equal
    to a hidden entry of a fixed document (the same figure in an earlier version, a unit's
    row of a bureau per-unit table): printing it would tell the hidden one, and hiding it is
    the complement the audit would otherwise look for elsewhere (withholding whole tables
    when it finds none) — so a corrected version hides what the replaced one hid. Entries of
    ``known`` are left printed."""
    entries = release.entries
    for terms in release.relations:
        if len(terms) != 2 or terms[0][1] != -terms[1][1]:
            continue
        for (mine, _c), (other, _d) in (terms, terms[::-1]):
            e, o = entries[mine], entries[other]
            if (not e.fixed and e.mark is Mark.PUBLISHED and e.value >= release.k
                    and mine not in known and o.fixed and o.mark in _HIDDEN_PRINTED):
                e.mark = Mark.COMPLEMENTARY


def secure(release: Release, *, max_rounds: int = 200) -> AuditResult:
    """Hide further non-fixed entries of ``release`` (in place) until :func:`audit` passes,
    or no change can help; return the last audit (its ``rounds``: the audits run).

    Each round fixes every failing entry it can: one complement per failing entry whose
    relations no earlier fix of the round touched, or its table withheld (module doc).
    Entries the reader knows from the fixed documents alone (:func:`known_entries`) are
    printed first (an ``x`` on them is taken back) and never chosen as complements.
    """
    by_key = _by_key(release)
    known = known_entries(release, by_key)
    for key in known:
        if release.entries[key].mark is Mark.COMPLEMENTARY:
            release.entries[key].mark = Mark.PUBLISHED
    _mirror(release, known)
    began = time.perf_counter()
    rounds = 0
    cache: Cache = {}
    settled = Settled(by_key=by_key)
    while True:
        result = audit(release, cache=cache, settled=settled)
        rounds += 1
        failing = result.failing
        if not failing or rounds >= max_rounds:
            break
        changed: set[Key] = set()
        progress = False
        for finding in failing:
            if finding.key in changed:
                continue
            choice = _complement(release, finding.key, by_key, known)
            if choice is not None:
                release.entries[choice].mark = Mark.COMPLEMENTARY
                changed.update(key for r in by_key.get(choice, ())
                               for key, _c in release.relations[r])
                progress = True
            elif _withhold(release, finding.key) or any(
                    _withhold(release, near) for near in _present_near(release, finding.key,
                                                                       by_key)):
                progress = True
                break
        if not progress:
            break
    return AuditResult(result.findings, result.solver, time.perf_counter() - began, rounds)


def hidden_keys(release: Release, marks: Sequence[Mark] = _HIDDEN_PRINTED) -> list[Key]:
    """Keys of the entries with one of ``marks``, in entry order."""
    return [key for key, e in release.entries.items() if e.mark in marks]
