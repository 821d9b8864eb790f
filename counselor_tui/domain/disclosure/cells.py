"""Cells, tables and their publishable forms (shapes of :mod:`counselor_tui.domain.disclosure`).

Rule source: DESIGN §8 ("Disclosure control"); see the package docstring for the models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final

DEFAULT_K: Final = 3
"""Default threshold: counts 1..k−1 are suppressed (DESIGN §8)."""

COMPLEMENTARY_MARKER: Final = "x"
"""Text shown for a complementary suppression (its value is k or more)."""

WITHHELD_MARKER: Final = "…"
"""Text shown for a figure withheld by linked suppression (any value, zero included)."""


class DisclosureError(ValueError):
    """Base class of the errors raised by this module."""


class InvalidTableError(DisclosureError):
    """A table, series or threshold is malformed (shape, label, count or k)."""


class TableMismatchError(DisclosureError):
    """:func:`audit` was given a suppressed result that does not belong to the table."""


class CellStatus(Enum):
    """Whether a cell is published, hidden by the threshold rule, or hidden to protect others."""

    PUBLISHED = "published"
    PRIMARY = "primary"
    COMPLEMENTARY = "complementary"
    WITHHELD = "withheld"


class Intruder(Enum):
    """What the intruder is assumed to know besides the published numbers (see module doc)."""

    LINEAR = "linear"
    POSITIVE = "positive"
    MARKERS = "markers"


def primary_marker(k: int) -> str:
    """The text of a primary suppression for threshold ``k``: ``"<3"`` for k = 3."""
    return f"<{k}"


@dataclass(frozen=True)
class CellRef:
    """Address of a cell: ``row``/``col`` labels, ``None`` standing for the total line."""

    row: str | None
    col: str | None

    @property
    def is_margin(self) -> bool:
        """True for a total of a two-way table (row, column or grand total).

        In a series every ref has ``col`` ``None``; its total is the one with ``row`` ``None``.
        """
        return self.row is None or self.col is None


@dataclass(frozen=True)
class Cell:
    """One published or suppressed cell of a :class:`SuppressedTable`/:class:`SuppressedSeries`.

    ``value`` is the exact count when ``status`` is ``PUBLISHED`` and ``None`` otherwise.
    Raises :class:`InvalidTableError` when the two disagree or ``k`` < 2.
    """

    status: CellStatus
    value: int | None
    k: int

    def __post_init__(self) -> None:
        _check_k(self.k)
        if self.status is CellStatus.PUBLISHED:
            if not _is_count(self.value):
                raise InvalidTableError("a published cell needs a non-negative integer value")
        elif self.value is not None:
            raise InvalidTableError("a suppressed cell must not carry its value")

    @property
    def suppressed(self) -> bool:
        """True when the cell is hidden (primary or complementary)."""
        return self.status is not CellStatus.PUBLISHED

    def render(self) -> str:
        """The printed text: the count, ``<k`` (primary) or ``x`` (complementary)."""
        if self.status is CellStatus.PRIMARY:
            return primary_marker(self.k)
        if self.status is CellStatus.COMPLEMENTARY:
            return COMPLEMENTARY_MARKER
        if self.status is CellStatus.WITHHELD:
            return WITHHELD_MARKER
        return str(self.value)


def render(cell: Cell) -> str:
    """The printed text of ``cell``; see :meth:`Cell.render`."""
    return cell.render()


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_k(k: object) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 2:
        raise InvalidTableError(f"the threshold k must be an integer of at least 2, got {k!r}")


def _check_labels(labels: tuple[str, ...], what: str) -> None:
    for position, label in enumerate(labels, start=1):
        if not isinstance(label, str):
            raise InvalidTableError(f"{what} label {position} is not a string")
    if len(set(labels)) != len(labels):
        raise InvalidTableError(f"{what} labels must be unique")


def _check_count(value: object, where: str) -> None:
    if not _is_count(value):
        raise InvalidTableError(f"{where} is {value!r}; counts must be non-negative integers")


@dataclass(frozen=True)
class CountTable:
    """A two-way table of counts with additive margins.

    ``counts[i][j]`` is the count of row ``row_labels[i]`` and column ``col_labels[j]``.
    Lists are accepted and stored as tuples. Raises :class:`InvalidTableError` for a ragged
    shape, duplicate or non-string labels, or a count that is not a non-negative ``int``.
    """

    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "row_labels", tuple(self.row_labels))
        object.__setattr__(self, "col_labels", tuple(self.col_labels))
        object.__setattr__(self, "counts", tuple(tuple(row) for row in self.counts))
        _check_labels(self.row_labels, "row")
        _check_labels(self.col_labels, "column")
        if len(self.counts) != len(self.row_labels):
            raise InvalidTableError(
                f"{len(self.counts)} rows of counts for {len(self.row_labels)} row labels"
            )
        for i, row in enumerate(self.counts, start=1):
            if len(row) != len(self.col_labels):
                raise InvalidTableError(
                    f"row {i} has {len(row)} counts for {len(self.col_labels)} column labels"
                )
            for j, value in enumerate(row, start=1):
                _check_count(value, f"the count at row {i}, column {j}")

    @classmethod
    def from_nested(
        cls, rows: Mapping[str, Mapping[str, int]], col_labels: Sequence[str] | None = None
    ) -> CountTable:
        """Build from ``{row: {col: count}}``; a missing entry counts 0.

        Column order is ``col_labels`` when given, else first appearance. Raises
        :class:`InvalidTableError` for a column not in ``col_labels``.
        """
        if col_labels is None:
            seen: dict[str, None] = {}
            for inner in rows.values():
                seen.update(dict.fromkeys(inner))
            cols = tuple(seen)
        else:
            cols = tuple(col_labels)
            known = set(cols)
            for inner in rows.values():
                if any(c not in known for c in inner):
                    raise InvalidTableError("a row has a column that is not in col_labels")
        counts = tuple(tuple(inner.get(c, 0) for c in cols) for inner in rows.values())
        return cls(tuple(rows), cols, counts)

    def count(self, row: str, col: str) -> int:
        """The count at ``row``, ``col``; raises ``KeyError`` for an unknown label."""
        return self.counts[_index(self.row_labels, row)][_index(self.col_labels, col)]

    @property
    def row_totals(self) -> tuple[int, ...]:
        """Sum of each row, in row order."""
        return tuple(sum(row) for row in self.counts)

    @property
    def col_totals(self) -> tuple[int, ...]:
        """Sum of each column, in column order."""
        return tuple(sum(row[j] for row in self.counts) for j in range(len(self.col_labels)))

    @property
    def grand_total(self) -> int:
        """Sum of all cells."""
        return sum(sum(row) for row in self.counts)

    def refs(self) -> tuple[CellRef, ...]:
        """Every cell and margin, row-major over the grid with the total column and row last."""
        return _grid_refs(self.row_labels, self.col_labels)

    def value(self, ref: CellRef) -> int:
        """The exact count of a cell or margin; raises ``KeyError`` for an unknown label."""
        if ref.row is None and ref.col is None:
            return self.grand_total
        if ref.row is None:
            assert ref.col is not None
            return self.col_totals[_index(self.col_labels, ref.col)]
        if ref.col is None:
            return self.row_totals[_index(self.row_labels, ref.row)]
        return self.count(ref.row, ref.col)


@dataclass(frozen=True)
class CountSeries:
    """A one-way table: categories with counts, and their (additive) total.

    Raises :class:`InvalidTableError` for mismatched lengths, duplicate or non-string labels,
    or a count that is not a non-negative ``int``.
    """

    labels: tuple[str, ...]
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "counts", tuple(self.counts))
        _check_labels(self.labels, "category")
        if len(self.counts) != len(self.labels):
            raise InvalidTableError(
                f"{len(self.counts)} counts for {len(self.labels)} category labels"
            )
        for i, value in enumerate(self.counts, start=1):
            _check_count(value, f"the count of category {i}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, int]) -> CountSeries:
        """Build from ``{category: count}``, keeping the mapping's order."""
        return cls(tuple(values), tuple(values.values()))

    @property
    def total(self) -> int:
        """Sum of the counts."""
        return sum(self.counts)

    def refs(self) -> tuple[CellRef, ...]:
        """``CellRef(label, None)`` for each category, then ``CellRef(None, None)``."""
        return (*(CellRef(label, None) for label in self.labels), CellRef(None, None))

    def value(self, ref: CellRef) -> int:
        """The exact count of a category or the total; ``KeyError`` for an unknown ref."""
        if ref.col is not None:
            raise KeyError(ref)
        if ref.row is None:
            return self.total
        return self.counts[_index(self.labels, ref.row)]


def _index(labels: tuple[str, ...], label: str) -> int:
    try:
        return labels.index(label)
    except ValueError:
        raise KeyError(label) from None


@dataclass(frozen=True)
class SuppressedTable:
    """The publishable form of a :class:`CountTable`.

    ``cells[i][j]``, ``row_totals[i]``, ``col_totals[j]`` and ``grand_total`` are
    :class:`Cell` objects for the same labels as the source table; ``k`` is the threshold used.
    """

    k: int
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    col_totals: tuple[Cell, ...]
    grand_total: Cell

    def cell(self, row: str, col: str) -> Cell:
        """The interior cell at ``row``, ``col``; ``KeyError`` for an unknown label."""
        return self.cells[_index(self.row_labels, row)][_index(self.col_labels, col)]

    def at(self, ref: CellRef) -> Cell:
        """The cell or margin addressed by ``ref``; ``KeyError`` for an unknown label."""
        if ref.row is None and ref.col is None:
            return self.grand_total
        if ref.row is None:
            assert ref.col is not None
            return self.col_totals[_index(self.col_labels, ref.col)]
        if ref.col is None:
            return self.row_totals[_index(self.row_labels, ref.row)]
        return self.cell(ref.row, ref.col)

    def refs(self) -> tuple[CellRef, ...]:
        """Every cell and margin in the order of :meth:`CountTable.refs`."""
        return _grid_refs(self.row_labels, self.col_labels)

    def suppressed_refs(self) -> tuple[CellRef, ...]:
        """The hidden cells and margins, in table order."""
        return tuple(ref for ref in self.refs() if self.at(ref).suppressed)

    def grid(self) -> tuple[tuple[Cell, ...], ...]:
        """Rows of cells each followed by its row total, then the column totals and grand total."""
        rows = tuple((*row, total) for row, total in zip(self.cells, self.row_totals, strict=True))
        return (*rows, (*self.col_totals, self.grand_total))

    def rendered(self) -> tuple[tuple[str, ...], ...]:
        """:meth:`grid` as printed text."""
        return tuple(tuple(cell.render() for cell in row) for row in self.grid())


@dataclass(frozen=True)
class SuppressedSeries:
    """The publishable form of a :class:`CountSeries`: one :class:`Cell` per category + total."""

    k: int
    labels: tuple[str, ...]
    cells: tuple[Cell, ...]
    total: Cell

    def cell(self, label: str) -> Cell:
        """The cell of category ``label``; ``KeyError`` for an unknown label."""
        return self.cells[_index(self.labels, label)]

    def at(self, ref: CellRef) -> Cell:
        """The cell addressed by ``CellRef(label, None)`` or the total ``CellRef(None, None)``."""
        if ref.col is not None:
            raise KeyError(ref)
        return self.total if ref.row is None else self.cell(ref.row)

    def refs(self) -> tuple[CellRef, ...]:
        """Categories in order, then the total."""
        return (*(CellRef(label, None) for label in self.labels), CellRef(None, None))

    def suppressed_refs(self) -> tuple[CellRef, ...]:
        """The hidden categories (and total), in order."""
        return tuple(ref for ref in self.refs() if self.at(ref).suppressed)

    def rendered(self) -> tuple[tuple[str, str], ...]:
        """``(label, text)`` per category; the total is ``self.total.render()``."""
        return tuple(
            (label, cell.render()) for label, cell in zip(self.labels, self.cells, strict=True)
        )


def _grid_refs(row_labels: tuple[str, ...], col_labels: tuple[str, ...]) -> tuple[CellRef, ...]:
    refs: list[CellRef] = []
    for r in row_labels:
        refs.extend(CellRef(r, c) for c in col_labels)
        refs.append(CellRef(r, None))
    refs.extend(CellRef(None, c) for c in col_labels)
    refs.append(CellRef(None, None))
    return tuple(refs)


def _bounds(value: int, status: CellStatus, model: Intruder, k: int) -> tuple[int, int | None]:
    """What a ``POSITIVE``/``MARKERS`` intruder knows of a cell: its inclusive range.

    ``None`` as upper bound means unbounded. ``LINEAR`` knows no range and is refused.
    """
    if status is CellStatus.PUBLISHED:
        return value, value
    if model is Intruder.MARKERS:
        return (1, k - 1) if status is CellStatus.PRIMARY else (k, None)
    if model is Intruder.POSITIVE:
        return 1, None
    raise ValueError("the linear intruder knows no bounds")
