"""Statistical disclosure control for the count tables of the monthly submission.

Source of the rule: DESIGN §8 ("Disclosure control"): any cell from 1 to k−1 (k = 3 by
default, settable) is shown as ``<k``; enough further cells are suppressed (complementary
suppression) that no suppressed value can be recomputed from row or column totals; zero is not
suppressed. Methods follow Hundepool et al., *Statistical Disclosure Control* (Wiley 2012),
ch. 4 (secondary cell suppression, audit by feasibility intervals) and ch. 5 (threshold rule
for frequency tables); the network model of a two-way table is Cox, "Network models for
complementary cell suppression", JASA 90 (1995) 1453–1462, building on Cox, "Suppression
methodology and statistical disclosure control", JASA 75 (1980) 377–385.

Shapes
------
* :class:`CountTable` — rows × columns of non-negative integer counts, labelled by strings.
  Its row totals, column totals and grand total are the sums of the cells and are *published*
  unless this module suppresses them. Every cell and margin is addressed by a
  :class:`CellRef`: ``CellRef(row, col)`` an interior cell, ``CellRef(row, None)`` a row total,
  ``CellRef(None, col)`` a column total, ``CellRef(None, None)`` the grand total.
* :class:`CountSeries` — a one-way table (categories + total). Category ``label`` is
  ``CellRef(label, None)`` and the total is ``CellRef(None, None)`` (a series is read as the
  total column of a table).
* :func:`suppress` / :func:`suppress_series` return a :class:`SuppressedTable` /
  :class:`SuppressedSeries` in which every cell and margin is a :class:`Cell`: the exact count
  when published, or a marker (primary or complementary) with *no* value, so a document
  renderer cannot leak it. :func:`render` gives the text: the count, ``<k`` for a primary
  suppression, ``x`` (:data:`COMPLEMENTARY_MARKER`) for a complementary one — a complementary
  cell holds k or more, so printing ``<k`` for it would be false.

Decisions
---------
* Margins are published and only interior cells are used for complementary suppression,
  unless that is impossible: a margin of 1..k−1 is itself a primary suppression, and a margin is
  suppressed as a complement when no interior-only pattern protects a cell (for example a row
  ``[2, 0, 0]``: its total is 2 and is hidden; it is then protected against recomputation from
  the grand total and the other margins like any other suppressed cell).
* Zeros are always published and are never used as complements (a hidden zero beside
  published zeros would be read as "non-zero").
* Totals are additive: the published totals are the sums computed here. For a tally where one
  record may fall in several categories (topics of a session) print these sums as the totals;
  a separately counted figure printed beside the table (number of sessions) is not modelled.

What "cannot be recomputed" means (the intruder models, :class:`Intruder`)
-----------------------------------------------------------------------------
The intruder knows every published number, that totals are sums, and the rules above:

* ``LINEAR`` — only the linear equations (rows, columns, grand total).
* ``POSITIVE`` — also that every hidden value is a positive integer (zeros are published, so a
  hidden cell holds at least 1). This subsumes plain non-negativity.
* ``MARKERS`` — also what the markers say: ``<k`` holds 1..k−1, ``x`` holds k or more.

A suppressed cell is *disclosed* under a model when the model admits exactly one value for it.
:func:`suppress` guarantees that no suppressed cell is disclosed under ``LINEAR`` or
``POSITIVE``. Under ``MARKERS`` it protects every cell that can be protected at all; the
exceptions are cells disclosed by the mandated markers and published zeros themselves, which
no amount of further suppression can hide — e.g. with k = 2 a ``<2`` can only be 1 (zeros are
shown), and in a table whose grand total is ``<3`` two non-zero cells must both be 1.

Algorithm of :func:`suppress` (a network-flow heuristic)
-----------------------------------------------------------
A two-way table with margins is a circulation on a network: source → row node (row total),
row node → column node (interior cell), column node → sink (column total), sink → source
(grand total); conservation at each node is exactly "a total is the sum of its cells". A
series is source → sink (categories) and sink → source (total). The constraint matrix of a
network is totally unimodular, so a hidden cell can take another integer value consistent with
everything published iff the hidden cells contain a cycle through it along which one unit can
be pushed within the intruder's bounds (a conformal-decomposition argument).

1. Primary suppression: every cell and margin with value 1..k−1.
2. For each suppressed cell in table order (row-major over the grid including the total
   column, then the total row), look for such a cycle using only suppressed cells. If there
   is none, run Dijkstra over the residual graph where a suppressed cell costs nothing and a
   published non-zero cell costs ``(is a margin, its value, 1)`` lexicographically — fewest
   margins, then the smallest total value, then fewest cells — and suppress the cells of the
   cheapest cycle as complementary. Every cell on the cycle is then protected too, and adding
   suppressions never un-protects a cell (it only relaxes what the intruder knows).
3. Step 2 runs first under ``MARKERS`` (skipping cells no pattern can protect), then under
   ``POSITIVE``, where a cycle always exists (through the cell's row total, grand total and
   column total), so the ``POSITIVE`` guarantee always holds; both passes repeat until
   neither adds a cell, so complements added in the second pass get the ``MARKERS``
   protection too. A cell found unprotectable under ``MARKERS`` stays so: the search already
   allowed every non-zero cell.

Ties are broken by position in the table (the row and column order as given), so the same
input always gives the same output.

:func:`audit` checks a result independently of that heuristic, in exact rational arithmetic
(``int`` and :class:`fractions.Fraction`, no numpy), on the constraint matrix rather than the
network: a hidden value is linearly determined iff its unit vector lies in the row space of the
constraint matrix restricted to the hidden cells (Gauss–Jordan rank test). For the bounded
models it computes whether each hidden cell's feasibility interval (Hundepool et al. ch. 4) is
a single point: for every hidden cell sitting at a bound the intruder knows (a 1, a ``<k``
holding k−1, an ``x`` holding k) an exact simplex (Bland's rule) decides whether it can leave
that bound; those that cannot are added as equations and the rank test decides every cell
(the cone of feasible directions spans the remaining subspace). By total unimodularity the
intervals have integer end points, so a single point is exactly "one integer completion".
"""

from counselor_tui.domain.disclosure.cells import (
    COMPLEMENTARY_MARKER,
    DEFAULT_K,
    WITHHELD_MARKER,
    Cell,
    CellRef,
    CellStatus,
    CountSeries,
    CountTable,
    DisclosureError,
    Intruder,
    InvalidTableError,
    SuppressedSeries,
    SuppressedTable,
    TableMismatchError,
    primary_marker,
    render,
)
from counselor_tui.domain.disclosure.exact import audit
from counselor_tui.domain.disclosure.suppression import suppress, suppress_series

__all__ = [
    "COMPLEMENTARY_MARKER",
    "DEFAULT_K",
    "WITHHELD_MARKER",
    "Cell",
    "CellRef",
    "CellStatus",
    "CountSeries",
    "CountTable",
    "DisclosureError",
    "Intruder",
    "InvalidTableError",
    "SuppressedSeries",
    "SuppressedTable",
    "TableMismatchError",
    "audit",
    "primary_marker",
    "render",
    "suppress",
    "suppress_series",
]
