"""The instrument model (DESIGN §7.1): the frozen shapes a definition file is read into,
the errors of reading and scoring, and the result of scoring. The definition format and the
rules are documented in :mod:`counselor_tui.domain.instruments.engine`."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from counselor_tui.i18n import _

Aggregation = Literal["sum", "mean"]
Op = Literal[">=", ">", "<=", "<", "=="]

OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}


# -- errors -----------------------------------------------------------------------------------


class InstrumentError(ValueError):
    """Base class of the instrument engine's errors."""


class DefinitionError(InstrumentError):
    """An instrument definition is refused. ``line`` is its 1-based TOML line, when known."""

    def __init__(self, fault: str, line: int | None = None) -> None:
        self.fault = fault
        self.line = line
        text = _("line {line}: {fault}").format(line=line, fault=fault) if line else fault
        super().__init__(text)


class ResponseError(InstrumentError):
    """Responses cannot be scored: wrong count, a value out of range, or unparseable text.

    ``item`` is the 1-based item number (or field position for parse errors) when one item is
    at fault.
    """

    def __init__(self, message: str, item: int | None = None) -> None:
        self.item = item
        super().__init__(message)


class SettingError(InstrumentError):
    """A scoring setting (e.g. the PCL-5 cut-off) is unknown or out of its declared range."""


class UnknownInstrumentError(LookupError):
    """No built-in definition has this code."""


@dataclass(frozen=True)
class Threshold:
    """A number, or a named setting plus a constant offset (``"cutoff - 1"``)."""

    constant: float
    setting: str | None = None

    def resolve(self, settings: Mapping[str, float]) -> float:
        """The value under ``settings`` (effective values, every declared setting present)."""
        base = settings[self.setting] if self.setting is not None else 0.0
        return base + self.constant

    def __str__(self) -> str:
        if self.setting is None:
            return number_text(self.constant)
        if not self.constant:
            return self.setting
        sign = "+" if self.constant > 0 else "-"
        return f"{self.setting} {sign} {number_text(abs(self.constant))}"


@dataclass(frozen=True)
class Source:
    """Where the instrument and its scoring rules come from, and its licence terms."""

    citation: str
    licence: str
    authors: str = ""
    year: int | None = None
    url: str = ""
    notes: str = ""
    norms_citation: str = ""


@dataclass(frozen=True)
class Item:
    """One item: its 1-based number and its text where the licence allows shipping it."""

    number: int
    text_zh: str | None = None
    text_en: str | None = None


@dataclass(frozen=True)
class Subscale:
    """A named group of items aggregated by ``sum`` or ``mean`` (scored values)."""

    name: str
    label_zh: str
    label_en: str
    items: tuple[int, ...]
    aggregation: Aggregation


@dataclass(frozen=True)
class Band:
    """An inclusive range of totals with its code (English snake case) and labels."""

    low: Threshold
    high: Threshold
    code: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class CriticalItem:
    """An item whose answered value at or above ``threshold`` raises an alert."""

    item: int
    threshold: int
    topic_zh: str = ""
    topic_en: str = ""


@dataclass(frozen=True)
class ScreenCondition:
    """One clause of a positive-screen rule: ``metric op value``."""

    metric: str
    op: Op
    value: Threshold
    subscales: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScreenRule:
    """Screen-positive when ``any`` (or ``all``) of the conditions hold."""

    combine: Literal["any", "all"]
    conditions: tuple[ScreenCondition, ...]


@dataclass(frozen=True)
class DiagnosisCluster:
    """At least ``min_endorsed`` of ``items`` must be endorsed."""

    name: str
    items: tuple[int, ...]
    min_endorsed: int


@dataclass(frozen=True)
class Diagnosis:
    """A provisional-diagnosis rule: every cluster met, counting items scored >= endorse_at."""

    endorse_at: int
    clusters: tuple[DiagnosisCluster, ...]
    label_zh: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class Derived:
    """A value computed from named metrics by an arithmetic expression (e.g. SCL-90 GSI)."""

    name: str
    expression: str
    label_zh: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class Norm:
    """A published reference value for a total, subscale or derived value."""

    name: str
    mean: float
    sd: float | None = None


@dataclass(frozen=True)
class MissingRule:
    """What missing items do: ``incomplete``, or ``prorate`` up to ``max_missing`` items."""

    rule: Literal["incomplete", "prorate"] = "incomplete"
    max_missing: int = 0
    rounding: Literal["half_up", "half_even"] = "half_up"


@dataclass(frozen=True)
class SettingSpec:
    """A scoring parameter a bureau may change (e.g. PCL-5 cut-off), with its bounds."""

    name: str
    default: float
    minimum: float
    maximum: float
    integer: bool = True
    label_zh: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class InstrumentDefinition:
    """A validated instrument definition. Build it with :func:`load_definition`."""

    code: str
    name_zh: str
    name_en: str
    version: str
    item_count: int
    response_min: int
    response_max: int
    response_labels_zh: tuple[str, ...]
    response_labels_en: tuple[str, ...]
    source: Source
    items: tuple[Item, ...] = ()
    instructions_zh: str = ""
    instructions_en: str = ""
    total_aggregation: Literal["sum"] = "sum"
    reversed_items: frozenset[int] = frozenset()
    other_items: tuple[int, ...] = ()
    subscales_partition: bool = False
    subscales: tuple[Subscale, ...] = ()
    bands: tuple[Band, ...] = ()
    critical_items: tuple[CriticalItem, ...] = ()
    positive_item_threshold: int | None = None
    screen: ScreenRule | None = None
    diagnosis: Diagnosis | None = None
    derived: tuple[Derived, ...] = ()
    norms: tuple[Norm, ...] = ()
    missing: MissingRule = field(default_factory=MissingRule)
    settings: tuple[SettingSpec, ...] = ()

    @property
    def total_range(self) -> tuple[int, int]:
        """Smallest and largest possible total: ``item_count x min`` .. ``item_count x max``."""
        return self.item_count * self.response_min, self.item_count * self.response_max

    def response_label(self, value: int, lang: str = "zh") -> str:
        """The label of response ``value`` in ``lang`` (``zh`` or ``en``)."""
        labels = self.response_labels_zh if lang == "zh" else self.response_labels_en
        return labels[value - self.response_min]

    def effective_settings(self, settings: Mapping[str, float] | None = None) -> dict[str, float]:
        """Every declared setting's value: its default, overridden by ``settings``.

        Keys may be bare (``cutoff``) or qualified with the code (``pcl5.cutoff``); keys
        qualified with another instrument's code are ignored so one settings map can serve
        every instrument. Raises :class:`SettingError` for an unknown bare key, a non-number,
        a fraction where a whole number is required, or a value outside the declared range.
        """
        specs = {spec.name: spec for spec in self.settings}
        values: dict[str, float] = {
            spec.name: int(spec.default) if spec.integer else spec.default for spec in self.settings
        }
        for key, value in (settings or {}).items():
            name = key
            if "." in key:
                prefix, name = key.split(".", 1)
                if prefix != self.code:
                    continue
            spec = specs.get(name)
            if spec is None:
                raise SettingError(
                    _("Unknown setting '{name}' for {instrument}.").format(
                        name=key, instrument=self.code
                    )
                )
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SettingError(_("Setting '{name}' must be a number.").format(name=key))
            if spec.integer and value != int(value):
                raise SettingError(_("Setting '{name}' must be a whole number.").format(name=key))
            if not spec.minimum <= value <= spec.maximum:
                raise SettingError(
                    _("Setting '{name}' = {value} is outside {low}–{high}.").format(
                        name=key,
                        value=number_text(value),
                        low=number_text(spec.minimum),
                        high=number_text(spec.maximum),
                    )
                )
            values[name] = int(value) if spec.integer else float(value)
        return values


def scored_value(defn: InstrumentDefinition, item: int, value: int) -> int:
    """The value item ``item`` contributes after reversal.

    Reversed items score ``min + max - value`` (PSS-10: ``4 - x``; Cohen et al. 1983); the
    mapping is its own inverse. Other items score the answered value.
    """
    if item in defn.reversed_items:
        return defn.response_min + defn.response_max - value
    return value


@dataclass(frozen=True)
class NormComparison:
    """A scored value beside its published norm: ``difference`` = value - mean and
    ``z`` = difference / SD (when an SD is published), both rounded to 4 decimals."""

    name: str
    value: float | None
    mean: float
    sd: float | None
    difference: float | None
    z: float | None

    def to_json_dict(self) -> dict[str, float | None]:
        """``{"value", "mean", "sd", "difference", "z"}``."""
        return {
            "value": self.value,
            "mean": self.mean,
            "sd": self.sd,
            "difference": self.difference,
            "z": self.z,
        }


@dataclass(frozen=True)
class ScoreResult:
    """The scores of one administration.

    ``total`` is ``None`` when incomplete (missing items beyond the definition's rule); then
    ``band``, ``screen_positive``, ``provisional_diagnosis`` and the derived values are
    ``None`` too. ``complete`` is true when a total exists (all items answered, or prorated
    within the rule: then ``prorated`` is true and ``missing_items`` names the missing ones).
    ``critical_items`` lists the items that fired, in item order, complete or not;
    ``critical_items_unanswered`` the critical items left unanswered (they cannot fire, so
    the risk they ask about is unknown — whatever the total, prorated or not).
    ``provisional_diagnosis`` is ``None`` where the definition has no diagnosis rule.
    ``settings`` holds the effective settings used (e.g. ``{"cutoff": 33.0}``).
    """

    instrument: str
    version: str
    total: int | None
    prorated: bool
    complete: bool
    missing_items: tuple[int, ...]
    band: str | None
    band_label_zh: str | None
    band_label_en: str | None
    subscales: Mapping[str, int | float | None]
    critical_items: tuple[int, ...]
    screen_positive: bool | None
    provisional_diagnosis: bool | None
    positive_count: int | None = None
    negative_count: int | None = None
    derived: Mapping[str, float | None] = field(default_factory=dict)
    critical_items_unanswered: tuple[int, ...] = ()
    norms: tuple[NormComparison, ...] = ()
    settings: Mapping[str, float] = field(default_factory=dict)

    @property
    def extras(self) -> dict[str, Any]:
        """The instrument-specific outputs beyond the fixed contract, as JSON-ready values.

        Keys appear only where the definition defines them: ``positive_count`` and
        ``negative_count`` (with ``[positive_items]``), each derived value by name (SCL-90
        ``gsi``, ``psdi``), ``norms`` ``{name: {value, mean, sd, difference, z}}`` and
        ``settings``.
        """
        out: dict[str, Any] = {}
        if self.positive_count is not None or self.negative_count is not None:
            out["positive_count"] = self.positive_count
            out["negative_count"] = self.negative_count
        out.update(self.derived)
        if self.norms:
            out["norms"] = {norm.name: norm.to_json_dict() for norm in self.norms}
        if self.settings:
            out["settings"] = dict(self.settings)
        return out

    def to_json_dict(self) -> dict[str, Any]:
        """The ``score`` command's JSON object (DESIGN §9), then the extra keys.

        Contract keys, exactly: ``instrument``, ``total``, ``band``, ``subscales``,
        ``critical_items``, ``screen_positive``, ``provisional_diagnosis``, ``complete``.
        Extra keys after them: ``version``, ``prorated``, ``missing_items``,
        ``critical_items_unanswered`` (critical items left unanswered; ``[]`` when none or
        when the instrument has no critical item), ``band_label_zh``, ``band_label_en`` and
        :attr:`extras`.
        """
        out: dict[str, Any] = {
            "instrument": self.instrument,
            "total": self.total,
            "band": self.band,
            "subscales": dict(self.subscales),
            "critical_items": list(self.critical_items),
            "screen_positive": self.screen_positive,
            "provisional_diagnosis": self.provisional_diagnosis,
            "complete": self.complete,
            "version": self.version,
            "prorated": self.prorated,
            "missing_items": list(self.missing_items),
            "critical_items_unanswered": list(self.critical_items_unanswered),
            "band_label_zh": self.band_label_zh,
            "band_label_en": self.band_label_en,
        }
        out.update(self.extras)
        return out


# -- small helpers ----------------------------------------------------------------------------


def number_text(value: float) -> str:
    """``33.0`` -> ``33``; ``1.5`` -> ``1.5``."""
    return str(int(value)) if float(value).is_integer() else str(value)


def ranges(numbers: Sequence[int]) -> str:
    """``[1, 2, 3, 7, 9, 10]`` -> ``1–3, 7, 9–10``."""
    parts: list[str] = []
    start = prev = None
    for n in sorted(numbers):
        if start is None:
            start = prev = n
        elif prev is not None and n == prev + 1:
            prev = n
        else:
            parts.append(str(start) if start == prev else f"{start}–{prev}")
            start = prev = n
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}–{prev}")
    return ", ".join(parts)


def band_fault(
    bands: Sequence[Band], settings: Mapping[str, float], lowest: int, highest: int
) -> tuple[int, str] | None:
    """First fault of ``bands`` over the possible totals ``lowest..highest``: (band index,
    message), or ``None`` when every possible total lies in exactly one band. No bands at all
    is allowed (the instrument reports no band)."""
    if not bands:
        return None
    owner: dict[int, int] = {}
    for index, band in enumerate(bands):
        low, high = band.low.resolve(settings), band.high.resolve(settings)
        if low > high:
            return index, _("Band {code}: the lower bound {low} is above the upper bound "
                            "{high}.").format(code=band.code, low=number_text(low),
                                              high=number_text(high))  # fmt: skip
        if low < lowest or high > highest:
            return index, _(
                "Band {code} runs from {low} to {high}, outside the possible totals {min}–{max}."
            ).format(
                code=band.code,
                low=number_text(low),
                high=number_text(high),
                min=lowest,
                max=highest,
            )
        overlap = [t for t in range(math.ceil(low), math.floor(high) + 1) if t in owner]
        if overlap:
            return index, _("Bands {first} and {second} overlap at totals {totals}.").format(
                first=bands[owner[overlap[0]]].code, second=band.code, totals=ranges(overlap)
            )
        for total in range(math.ceil(low), math.floor(high) + 1):
            owner[total] = index
    gap = [t for t in range(lowest, highest + 1) if t not in owner]
    if gap:
        after = next(
            (i for i, b in enumerate(bands) if b.low.resolve(settings) > gap[0]), len(bands) - 1
        )
        return after, _("No band covers totals {totals} (possible totals {min}–{max}).").format(
            totals=ranges(gap), min=lowest, max=highest
        )
    return None
