"""Screening-instrument engine: instruments as data, scored by one generic engine.

DESIGN §7.1: an instrument is a TOML definition file (``definitions/<code>.toml``) read with
the standard-library ``tomllib``; the engine scores any valid definition and the built-in
ones reproduce the published rules collected in ``shared/domain/instruments.md``. A bureau may
add its own definition; :func:`load_definition` validates every file and names the offending
TOML line of any fault (:class:`DefinitionError`).

Definition format (every section is validated; unknown keys are refused)::

    code, name_zh, name_en, version, item_count      # required top-level keys
    instructions_zh, instructions_en                 # optional stem shown above the items
    [source]     citation, licence (required); authors, year, url, notes, norms_citation
    [responses]  min, max (integers, min < max); labels_zh, labels_en (max - min + 1 each)
    [scoring]    total = "sum"; reversed_items = [...] (x -> min + max - x);
                 other_items = [...] (counted in the total only, in no subscale);
                 subscales_partition = true (subscales + other_items hold each item once);
                 bands = [[low, high, code, label_zh, label_en], ...] inclusive, on the total;
                 a bound may name a setting: "cutoff" or "cutoff - 1"
    [missing]    rule = "incomplete" (default) | "prorate"; max_missing; rounding =
                 "half_up" (default) | "half_even"
    [[items]]    number, text_zh, text_en (optional; all items or none)
    [[subscales]] name, label_zh, label_en, items, aggregation = "sum" | "mean"
    [[critical_items]] item, threshold (fires when the answered value >= threshold),
                 topic_zh, topic_en (a short paraphrase of the item's subject, not its text)
    [positive_items] threshold (an item scored >= threshold counts as positive, else negative)
    [screen]     rule = "any" | "all"; [[screen.conditions]] metric, op, value — metrics:
                 total, positive_count, negative_count, any_subscale (optionally limited by
                 subscales = [...]), subscale:NAME, item:N, derived:NAME, provisional_diagnosis
                 (1 when met, else 0); ops >=, >, <=, <, ==; value a number or a setting name
    [diagnosis]  endorse_at (an item scored >= endorse_at is endorsed);
                 [[diagnosis.clusters]] subscale (or items = [...]), min_endorsed
    [derived.NAME] expression (+ - * / over total, item_count, answered_count, positive_count,
                 negative_count and subscale names; division by zero gives None), label_zh/en
    [norms.NAME] mean, sd (optional): NAME is total, a subscale or a derived value
    [settings.NAME] default, min, max, integer (default true), label_zh, label_en

Missing items are never scored silently: with rule ``incomplete`` any missing item leaves
the total, band, screen and diagnosis at ``None``; with ``prorate`` and at most
``max_missing`` missing items the total is ``round(mean of answered items x item_count)``,
rounded half up by default (2.5 -> 3, unlike Python's ``round`` which gives 2), and the
result is marked ``prorated``. Critical items fire from the answered items whatever is
missing, so a risk answer is never hidden by an incomplete form; a critical item left
*unanswered* is listed in ``critical_items_unanswered`` (a PHQ-9 without item 9 may be
prorated, but nobody knows whether item 9 would have fired: the form must say so).

File reading: built-in definitions are the package's own data; :func:`load_definition` also
reads a bureau's file when given a path (the one file read outside the package data).
"""

from __future__ import annotations

import ast
import math
import operator
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal, cast

from counselor_tui.domain.instruments._toml_lines import KeyPath, TomlLines
from counselor_tui.i18n import N_, _

__all__ = [
    "Band",
    "CriticalItem",
    "DefinitionError",
    "Derived",
    "Diagnosis",
    "DiagnosisCluster",
    "InstrumentDefinition",
    "InstrumentError",
    "Item",
    "MissingRule",
    "Norm",
    "NormComparison",
    "ResponseError",
    "ScoreResult",
    "ScreenCondition",
    "ScreenRule",
    "SettingError",
    "SettingSpec",
    "Source",
    "Subscale",
    "Threshold",
    "UnknownInstrumentError",
    "builtin",
    "builtin_codes",
    "load_definition",
    "parse_responses",
    "response_for_key",
    "score",
    "scored_value",
]

Aggregation = Literal["sum", "mean"]
Op = Literal[">=", ">", "<=", "<", "=="]

_OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
_AGGREGATIONS: Final = ("sum", "mean")
_ROUNDINGS: Final = ("half_up", "half_even")
_BASE_NAMES: Final = ("total", "item_count", "answered_count", "positive_count", "negative_count")
_PLAIN_METRICS: Final = (
    "total",
    "positive_count",
    "negative_count",
    "any_subscale",
    "provisional_diagnosis",
)
_SETTING_REF: Final = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:([+-])\s*(\d+(?:\.\d+)?))?\s*$"
)
_TOML_LINE: Final = re.compile(r"at line (\d+)")
_PACKAGE: Final = "counselor_tui.domain.instruments"
_DEFINITIONS: Final = "definitions"

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


# -- the definition model ---------------------------------------------------------------------


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
            return _number_text(self.constant)
        if not self.constant:
            return self.setting
        sign = "+" if self.constant > 0 else "-"
        return f"{self.setting} {sign} {_number_text(abs(self.constant))}"


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
                        value=_number_text(value),
                        low=_number_text(spec.minimum),
                        high=_number_text(spec.maximum),
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


# -- results ----------------------------------------------------------------------------------


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


# -- loading ----------------------------------------------------------------------------------


def load_definition(source: str | os.PathLike[str]) -> InstrumentDefinition:
    """Parse and validate a definition given as TOML text or as a file path.

    A ``PathLike`` is always a path; a ``str`` is TOML text when it contains a newline or
    ``=``, else a path. Raises :class:`DefinitionError` (with ``.line`` where known) for an
    unreadable file, a TOML syntax error or any fault listed in the module docstring.
    """
    if isinstance(source, str) and ("\n" in source or "=" in source):
        text = source
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DefinitionError(
                _("Cannot read the definition file: {reason}").format(reason=exc.__class__.__name__)
            ) from exc
    return _parse_definition(text)


def _parse_definition(text: str) -> InstrumentDefinition:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE.search(str(exc))
        raise DefinitionError(
            _("TOML syntax error: {detail}").format(detail=str(exc)),
            int(match.group(1)) if match else None,
        ) from exc
    return _Builder(data, TomlLines(text)).build()


@cache
def builtin(code: str) -> InstrumentDefinition:
    """The built-in definition ``code`` (``phq9``, ``gad7``, ``pcl5``, ``pss10``, ``k10``,
    ``scl90``); case, hyphens and spaces are ignored (``PHQ-9`` works).

    Raises :class:`UnknownInstrumentError` for any other code.
    """
    key = re.sub(r"[^a-z0-9]", "", code.lower())
    if key not in builtin_codes():
        raise UnknownInstrumentError(
            _("Unknown instrument '{code}'. Built-in instruments: {codes}.").format(
                code=code, codes=", ".join(builtin_codes())
            )
        )
    text = (resources.files(_PACKAGE) / _DEFINITIONS / f"{key}.toml").read_text(encoding="utf-8")
    return _parse_definition(text)


@lru_cache(maxsize=1)
def builtin_codes() -> tuple[str, ...]:
    """Codes of the built-in definitions, sorted."""
    folder = resources.files(_PACKAGE) / _DEFINITIONS
    return tuple(
        sorted(
            entry.name[: -len(".toml")]
            for entry in folder.iterdir()
            if entry.name.endswith(".toml")
        )
    )


# -- validation -------------------------------------------------------------------------------

_TYPE_NAMES: Final = {
    "int": N_("a whole number"),
    "number": N_("a number"),
    "str": N_("a text in quotes"),
    "bool": N_("true or false"),
    "table": N_("a table"),
    "list": N_("a list"),
    "int_list": N_("a list of whole numbers"),
    "threshold": N_("a number or a setting name"),
}

_TOP_KEYS: Final = {
    "code", "name_zh", "name_en", "version", "item_count", "instructions_zh", "instructions_en",
    "source", "responses", "scoring", "missing", "items", "subscales", "critical_items",
    "positive_items", "screen", "diagnosis", "derived", "norms", "settings",
}  # fmt: skip


class _Builder:
    """Turns parsed TOML into an :class:`InstrumentDefinition`, raising at the first fault."""

    def __init__(self, data: dict[str, Any], lines: TomlLines) -> None:
        self.data = data
        self.lines = lines

    # helpers ---------------------------------------------------------------------------------

    def fail(self, fault: str, path: KeyPath, index: int | None = None) -> DefinitionError:
        return DefinitionError(fault, self.lines.line_of(path, index))

    def wrong_type(
        self, key: str, kind: str, path: KeyPath, index: int | None = None
    ) -> DefinitionError:
        expected = _(_TYPE_NAMES[kind])
        return self.fail(
            _("'{key}' must be {expected}.").format(key=key, expected=expected), path, index
        )

    def keys(self, table: Mapping[str, Any], path: KeyPath, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(_("Unknown key '{key}'.").format(key=key), (*path, key))

    def get(
        self,
        table: Mapping[str, Any],
        path: KeyPath,
        key: str,
        kind: str,
        default: Any = ...,
    ) -> Any:
        if key not in table:
            if default is ...:
                name = ".".join(str(part) for part in (*path, key) if isinstance(part, str))
                raise self.fail(_("Missing required key '{key}'.").format(key=name), path)
            return default
        value = table[key]
        if not _is_kind(value, kind):
            raise self.wrong_type(key, kind, (*path, key))
        return value

    def item_list(
        self, table: Mapping[str, Any], path: KeyPath, key: str, default: Any = ...
    ) -> tuple[int, ...]:
        """A list of item numbers, each existing and listed once."""
        values = self.get(table, path, key, "int_list", default)
        seen: set[int] = set()
        for index, number in enumerate(values):
            self.check_item(number, (*path, key), index)
            if number in seen:
                raise self.fail(
                    _("Item {item} is listed twice in '{key}'.").format(item=number, key=key),
                    (*path, key),
                    index,
                )
            seen.add(number)
        return tuple(values)

    def check_item(self, number: int, path: KeyPath, index: int | None = None) -> None:
        if not 1 <= number <= self.item_count:
            raise self.fail(
                _("Item {item} does not exist: the instrument has {count} items.").format(
                    item=number, count=self.item_count
                ),
                path,
                index,
            )

    def threshold(self, raw: Any, path: KeyPath, index: int | None = None) -> Threshold:
        if isinstance(raw, bool):
            raise self.wrong_type(str(path[-1]), "threshold", path, index)
        if isinstance(raw, int | float):
            return Threshold(float(raw))
        if isinstance(raw, str):
            match = _SETTING_REF.match(raw)
            if match is not None:
                name, sign, amount = match.groups()
                if name not in self.setting_names:
                    raise self.fail(_("Unknown setting '{name}'.").format(name=name), path, index)
                offset = float(amount) if amount else 0.0
                return Threshold(-offset if sign == "-" else offset, name)
        raise self.wrong_type(str(path[-1]), "threshold", path, index)

    def response_threshold(self, raw: int, path: KeyPath) -> int:
        if not self.response_min <= raw <= self.response_max:
            raise self.fail(
                _("Threshold {value} is outside the response range {low}..{high}.").format(
                    value=raw, low=self.response_min, high=self.response_max
                ),
                path,
            )
        return raw

    # sections --------------------------------------------------------------------------------

    def build(self) -> InstrumentDefinition:
        data = self.data
        self.keys(data, (), _TOP_KEYS)
        code = self.get(data, (), "code", "str")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", code):
            raise self.fail(
                _("The code '{code}' must be lower-case letters, digits or _.").format(code=code),
                ("code",),
            )
        self.item_count = self.get(data, (), "item_count", "int")
        if self.item_count < 1:
            raise self.fail(_("item_count must be at least 1."), ("item_count",))
        source = self.source()
        self.responses()
        self.setting_specs = self.settings()
        self.setting_names = {spec.name for spec in self.setting_specs}
        scoring = self.get(data, (), "scoring", "table")
        self.keys(
            scoring,
            ("scoring",),
            {"total", "reversed_items", "other_items", "subscales_partition", "bands"},
        )
        total = self.get(scoring, ("scoring",), "total", "str")
        if total != "sum":
            raise self.fail(
                _("Unknown total aggregation '{value}': use sum.").format(value=total),
                ("scoring", "total"),
            )
        reversed_items = self.item_list(scoring, ("scoring",), "reversed_items", [])
        subscales = self.subscales()
        self.subscale_names = {sub.name for sub in subscales}
        other_items = self.item_list(scoring, ("scoring",), "other_items", [])
        partition = self.get(scoring, ("scoring",), "subscales_partition", "bool", False)
        self.check_groups(subscales, other_items, partition)
        positive = self.positive_items()
        derived = self.derived()
        definition = InstrumentDefinition(
            code=code,
            name_zh=self.get(data, (), "name_zh", "str"),
            name_en=self.get(data, (), "name_en", "str"),
            version=self.get(data, (), "version", "str"),
            item_count=self.item_count,
            response_min=self.response_min,
            response_max=self.response_max,
            response_labels_zh=self.labels_zh,
            response_labels_en=self.labels_en,
            source=source,
            items=self.items(),
            instructions_zh=self.get(data, (), "instructions_zh", "str", ""),
            instructions_en=self.get(data, (), "instructions_en", "str", ""),
            reversed_items=frozenset(reversed_items),
            other_items=other_items,
            subscales_partition=partition,
            subscales=subscales,
            bands=self.bands(scoring),
            critical_items=self.critical_items(),
            positive_item_threshold=positive,
            screen=self.screen(positive, {d.name for d in derived}),
            diagnosis=self.diagnosis(),
            derived=derived,
            norms=self.norms({d.name for d in derived}),
            missing=self.missing(),
            settings=self.setting_specs,
        )
        return definition

    def source(self) -> Source:
        table = self.get(self.data, (), "source", "table")
        path: KeyPath = ("source",)
        self.keys(
            table,
            path,
            {"citation", "licence", "authors", "year", "url", "notes", "norms_citation"},
        )
        return Source(
            citation=self.get(table, path, "citation", "str"),
            licence=self.get(table, path, "licence", "str"),
            authors=self.get(table, path, "authors", "str", ""),
            year=self.get(table, path, "year", "int", None),
            url=self.get(table, path, "url", "str", ""),
            notes=self.get(table, path, "notes", "str", ""),
            norms_citation=self.get(table, path, "norms_citation", "str", ""),
        )

    def responses(self) -> None:
        table = self.get(self.data, (), "responses", "table")
        path: KeyPath = ("responses",)
        self.keys(table, path, {"min", "max", "labels_zh", "labels_en"})
        low = self.get(table, path, "min", "int")
        high = self.get(table, path, "max", "int")
        if not 0 <= low < high:
            raise self.fail(
                _("Bad response range {low}..{high}: min must be 0 or more and below max.").format(
                    low=low, high=high
                ),
                (*path, "min" if low < 0 else "max"),
            )
        self.response_min, self.response_max = low, high
        needed = high - low + 1
        labels: dict[str, tuple[str, ...]] = {}
        for key in ("labels_zh", "labels_en"):
            values = self.get(table, path, key, "list")
            if len(values) != needed or not all(isinstance(v, str) for v in values):
                raise self.fail(
                    _("'{key}' needs {needed} texts, one per response {low}..{high}.").format(
                        key=key, needed=needed, low=low, high=high
                    ),
                    (*path, key),
                )
            labels[key] = tuple(values)
        self.labels_zh, self.labels_en = labels["labels_zh"], labels["labels_en"]

    def settings(self) -> tuple[SettingSpec, ...]:
        table = self.get(self.data, (), "settings", "table", {})
        specs = []
        for name, spec in table.items():
            path: KeyPath = ("settings", name)
            if not isinstance(spec, dict):
                raise self.wrong_type(name, "table", path)
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise self.fail(_("Bad setting name '{name}'.").format(name=name), path)
            self.keys(spec, path, {"default", "min", "max", "integer", "label_zh", "label_en"})
            default = self.get(spec, path, "default", "number")
            low = self.get(spec, path, "min", "number")
            high = self.get(spec, path, "max", "number")
            integer = self.get(spec, path, "integer", "bool", True)
            if not low <= default <= high or (integer and default != int(default)):
                raise self.fail(
                    _(
                        "Setting '{name}': default {value} is not a valid value in {low}–{high}."
                    ).format(name=name, value=default, low=low, high=high),
                    (*path, "default"),
                )
            specs.append(
                SettingSpec(
                    name=name,
                    default=float(default),
                    minimum=float(low),
                    maximum=float(high),
                    integer=integer,
                    label_zh=self.get(spec, path, "label_zh", "str", ""),
                    label_en=self.get(spec, path, "label_en", "str", ""),
                )
            )
        return tuple(specs)

    def items(self) -> tuple[Item, ...]:
        tables = self.get(self.data, (), "items", "list", [])
        items: dict[int, Item] = {}
        for index, table in enumerate(tables):
            path: KeyPath = ("items", index)
            if not isinstance(table, dict):
                raise self.wrong_type("items", "table", ("items",), index)
            self.keys(table, path, {"number", "text_zh", "text_en"})
            number = self.get(table, path, "number", "int")
            self.check_item(number, (*path, "number"))
            if number in items:
                raise self.fail(
                    _("Item {item} is listed twice in '{key}'.").format(item=number, key="items"),
                    (*path, "number"),
                )
            items[number] = Item(
                number,
                self.get(table, path, "text_zh", "str", None),
                self.get(table, path, "text_en", "str", None),
            )
        if items and len(items) != self.item_count:
            absent = [n for n in range(1, self.item_count + 1) if n not in items]
            raise self.fail(
                _("The [[items]] tables must list every item once; missing: {items}.").format(
                    items=_ranges(absent)
                ),
                ("items", 0),
            )
        return tuple(items[n] for n in sorted(items))

    def subscales(self) -> tuple[Subscale, ...]:
        tables = self.get(self.data, (), "subscales", "list", [])
        out: list[Subscale] = []
        names: set[str] = set()
        for index, table in enumerate(tables):
            path: KeyPath = ("subscales", index)
            if not isinstance(table, dict):
                raise self.wrong_type("subscales", "table", ("subscales",), index)
            self.keys(table, path, {"name", "label_zh", "label_en", "items", "aggregation"})
            name = self.get(table, path, "name", "str")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name in _BASE_NAMES:
                raise self.fail(_("Bad subscale name '{name}'.").format(name=name), (*path, "name"))
            if name in names:
                raise self.fail(
                    _("Duplicate subscale name '{name}'.").format(name=name), (*path, "name")
                )
            names.add(name)
            items = self.item_list(table, path, "items")
            if not items:
                raise self.fail(_("'{key}' must not be empty.").format(key="items"), path)
            aggregation = self.get(table, path, "aggregation", "str", "sum")
            if aggregation not in _AGGREGATIONS:
                raise self.fail(
                    _("Unknown aggregation '{value}': use sum or mean.").format(value=aggregation),
                    (*path, "aggregation"),
                )
            out.append(
                Subscale(
                    name=name,
                    label_zh=self.get(table, path, "label_zh", "str", name),
                    label_en=self.get(table, path, "label_en", "str", name),
                    items=items,
                    aggregation=cast(Aggregation, aggregation),
                )
            )
        return tuple(out)

    def check_groups(
        self, subscales: tuple[Subscale, ...], other_items: tuple[int, ...], partition: bool
    ) -> None:
        """``other_items`` belong to no subscale; with ``partition`` every item is in one group."""
        in_subscale: dict[int, str] = {}
        for position, sub in enumerate(subscales):
            for index, number in enumerate(sub.items):
                if partition and number in in_subscale:
                    raise self.fail(
                        _("Item {item} is in two subscales: {first} and {second}.").format(
                            item=number, first=in_subscale[number], second=sub.name
                        ),
                        ("subscales", position, "items"),
                        index,
                    )
                in_subscale.setdefault(number, sub.name)
        for index, number in enumerate(other_items):
            if number in in_subscale:
                raise self.fail(
                    _("Item {item} is in other_items and in subscale {name}.").format(
                        item=number, name=in_subscale[number]
                    ),
                    ("scoring", "other_items"),
                    index,
                )
        if partition:
            grouped = set(in_subscale) | set(other_items)
            absent = [n for n in range(1, self.item_count + 1) if n not in grouped]
            if absent:
                raise self.fail(
                    _("Items {items} are in no subscale, yet subscales_partition is true.").format(
                        items=_ranges(absent)
                    ),
                    ("scoring", "subscales_partition"),
                )

    def bands(self, scoring: Mapping[str, Any]) -> tuple[Band, ...]:
        path: KeyPath = ("scoring", "bands")
        raw = self.get(scoring, ("scoring",), "bands", "list", [])
        bands: list[Band] = []
        codes: set[str] = set()
        for index, entry in enumerate(raw):
            if (
                not isinstance(entry, list)
                or len(entry) != 5
                or not all(isinstance(text, str) for text in entry[2:])
            ):
                raise self.fail(
                    _("A band must be [low, high, code, label_zh, label_en]."), path, index
                )
            code = entry[2]
            if not re.fullmatch(r"[a-z][a-z0-9_]*", code):
                raise self.fail(
                    _("Band code '{code}' must be English snake case.").format(code=code),
                    path,
                    index,
                )
            if code in codes:
                raise self.fail(_("Duplicate band code '{code}'.").format(code=code), path, index)
            codes.add(code)
            bands.append(
                Band(
                    low=self.threshold(entry[0], path, index),
                    high=self.threshold(entry[1], path, index),
                    code=code,
                    label_zh=entry[3],
                    label_en=entry[4],
                )
            )
        defaults = {spec.name: spec.default for spec in self.setting_specs}
        fault = _band_fault(bands, defaults, self.item_count * self.response_min,
                            self.item_count * self.response_max)  # fmt: skip
        if fault is not None:
            raise self.fail(fault[1], path, fault[0])
        return tuple(bands)

    def critical_items(self) -> tuple[CriticalItem, ...]:
        tables = self.get(self.data, (), "critical_items", "list", [])
        out = []
        for index, table in enumerate(tables):
            path: KeyPath = ("critical_items", index)
            if not isinstance(table, dict):
                raise self.wrong_type("critical_items", "table", ("critical_items",), index)
            self.keys(table, path, {"item", "threshold", "topic_zh", "topic_en"})
            item = self.get(table, path, "item", "int")
            self.check_item(item, (*path, "item"))
            threshold = self.response_threshold(
                self.get(table, path, "threshold", "int"), (*path, "threshold")
            )
            out.append(
                CriticalItem(
                    item,
                    threshold,
                    self.get(table, path, "topic_zh", "str", ""),
                    self.get(table, path, "topic_en", "str", ""),
                )
            )
        return tuple(sorted(out, key=lambda c: c.item))

    def positive_items(self) -> int | None:
        table = self.get(self.data, (), "positive_items", "table", None)
        if table is None:
            return None
        path: KeyPath = ("positive_items",)
        self.keys(table, path, {"threshold"})
        return self.response_threshold(
            self.get(table, path, "threshold", "int"), (*path, "threshold")
        )

    def screen(self, positive: int | None, derived_names: set[str]) -> ScreenRule | None:
        table = self.get(self.data, (), "screen", "table", None)
        if table is None:
            return None
        path: KeyPath = ("screen",)
        self.keys(table, path, {"rule", "conditions"})
        combine = self.get(table, path, "rule", "str", "any")
        if combine not in ("any", "all"):
            raise self.fail(
                _("Unknown screen rule '{value}': use any or all.").format(value=combine),
                (*path, "rule"),
            )
        raw = self.get(table, path, "conditions", "list")
        if not raw:
            raise self.fail(_("'{key}' must not be empty.").format(key="conditions"), path)
        conditions = []
        for index, entry in enumerate(raw):
            cpath: KeyPath = ("screen", "conditions", index)
            if not isinstance(entry, dict):
                raise self.wrong_type("conditions", "table", ("screen", "conditions"), index)
            conditions.append(self.condition(entry, cpath, positive, derived_names))
        return ScreenRule(cast(Literal["any", "all"], combine), tuple(conditions))

    def condition(
        self,
        entry: Mapping[str, Any],
        cpath: KeyPath,
        positive: int | None,
        derived_names: set[str],
    ) -> ScreenCondition:
        # conditions may be [[screen.conditions]] tables or inline tables in one array
        inline = cpath not in self.lines.headers
        where: Callable[[str], tuple[KeyPath, int | None]] = (
            (lambda key: (cpath[:-1], int(cpath[-1])))
            if inline
            else (lambda key: ((*cpath, key), None))
        )
        for key in entry:
            if key not in {"metric", "op", "value", "subscales"}:
                raise self.fail(_("Unknown key '{key}'.").format(key=key), *where(key))
        if "metric" not in entry or not isinstance(entry["metric"], str):
            raise self.fail(
                _("Missing required key '{key}'.").format(key="metric"), *where("metric")
            )
        metric = entry["metric"]
        subscale_filter: tuple[str, ...] = ()
        prefix, _sep, rest = metric.partition(":")
        known = metric in _PLAIN_METRICS
        if prefix == "subscale":
            known = rest in self.subscale_names
        elif prefix == "derived":
            known = rest in derived_names
        elif prefix == "item":
            known = rest.isdigit() and 1 <= int(rest) <= self.item_count
        if not known:
            raise self.fail(_("Unknown metric '{metric}'.").format(metric=metric), *where("metric"))
        if metric in ("positive_count", "negative_count") and positive is None:
            raise self.fail(
                _("Metric {metric} needs a [positive_items] threshold.").format(metric=metric),
                *where("metric"),
            )
        if metric == "provisional_diagnosis" and "diagnosis" not in self.data:
            raise self.fail(
                _("Metric {metric} needs a [diagnosis] section.").format(metric=metric),
                *where("metric"),
            )
        if "subscales" in entry:
            names = entry["subscales"]
            if metric != "any_subscale" or not isinstance(names, list):
                raise self.fail(
                    _("'subscales' applies to the metric any_subscale only."), *where("subscales")
                )
            for name in names:
                if not isinstance(name, str) or name not in self.subscale_names:
                    raise self.fail(
                        _("Unknown subscale '{name}'.").format(name=name), *where("subscales")
                    )
            subscale_filter = tuple(names)
        elif metric == "any_subscale" and not self.subscale_names:
            raise self.fail(_("Unknown subscale '{name}'.").format(name="*"), *where("metric"))
        op = entry.get("op", ">=")
        if not isinstance(op, str) or op not in _OPS:
            raise self.fail(
                _("Unknown comparison '{op}': use one of >=, >, <=, <, ==.").format(op=op),
                *where("op"),
            )
        if "value" not in entry:
            raise self.fail(_("Missing required key '{key}'.").format(key="value"), *where("value"))
        value_path, value_index = where("value")
        value = self.threshold(entry["value"], value_path, value_index)
        return ScreenCondition(metric, cast(Op, op), value, subscale_filter)

    def diagnosis(self) -> Diagnosis | None:
        table = self.get(self.data, (), "diagnosis", "table", None)
        if table is None:
            return None
        path: KeyPath = ("diagnosis",)
        self.keys(table, path, {"endorse_at", "clusters", "label_zh", "label_en"})
        endorse_at = self.response_threshold(
            self.get(table, path, "endorse_at", "int"), (*path, "endorse_at")
        )
        raw = self.get(table, path, "clusters", "list")
        if not raw:
            raise self.fail(_("'{key}' must not be empty.").format(key="clusters"), path)
        subscales = {sub["name"]: tuple(sub["items"]) for sub in self.data.get("subscales", [])}
        clusters = []
        for index, entry in enumerate(raw):
            cpath: KeyPath = ("diagnosis", "clusters", index)
            if not isinstance(entry, dict):
                raise self.wrong_type("clusters", "table", (*path, "clusters"), index)
            self.keys(entry, cpath, {"subscale", "items", "min_endorsed"})
            if "subscale" in entry:
                name = self.get(entry, cpath, "subscale", "str")
                if name not in subscales:
                    raise self.fail(
                        _("Unknown subscale '{name}'.").format(name=name), (*cpath, "subscale")
                    )
                items = subscales[name]
            else:
                items = self.item_list(entry, cpath, "items")
                name = f"cluster_{index + 1}"
            needed = self.get(entry, cpath, "min_endorsed", "int")
            if not 1 <= needed <= len(items):
                raise self.fail(
                    _("min_endorsed must be between 1 and the cluster's {count} items.").format(
                        count=len(items)
                    ),
                    (*cpath, "min_endorsed"),
                )
            clusters.append(DiagnosisCluster(name, items, needed))
        return Diagnosis(
            endorse_at,
            tuple(clusters),
            self.get(table, path, "label_zh", "str", ""),
            self.get(table, path, "label_en", "str", ""),
        )

    def derived(self) -> tuple[Derived, ...]:
        table = self.get(self.data, (), "derived", "table", {})
        allowed = set(_BASE_NAMES) | self.subscale_names
        out = []
        for name, spec in table.items():
            path: KeyPath = ("derived", name)
            if not isinstance(spec, dict):
                raise self.wrong_type(name, "table", path)
            if name in allowed or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise self.fail(_("Bad derived-value name '{name}'.").format(name=name), path)
            self.keys(spec, path, {"expression", "label_zh", "label_en"})
            expression = self.get(spec, path, "expression", "str")
            if _compile_expression(expression, allowed) is None:
                raise self.fail(
                    _(
                        "Bad expression '{expression}': use numbers, + - * / ( ) and the "
                        "names {names}."
                    ).format(expression=expression, names=", ".join(sorted(allowed))),
                    (*path, "expression"),
                )
            out.append(
                Derived(
                    name,
                    expression,
                    self.get(spec, path, "label_zh", "str", ""),
                    self.get(spec, path, "label_en", "str", ""),
                )
            )
        return tuple(out)

    def norms(self, derived_names: set[str]) -> tuple[Norm, ...]:
        table = self.get(self.data, (), "norms", "table", {})
        out = []
        for name, spec in table.items():
            path: KeyPath = ("norms", name)
            if name != "total" and name not in self.subscale_names and name not in derived_names:
                raise self.fail(
                    _("Norm '{name}' names nothing scored: use total, a subscale or a derived "
                      "value.").format(name=name),
                    path,
                )  # fmt: skip
            if not isinstance(spec, dict):
                raise self.wrong_type(name, "table", path)
            self.keys(spec, path, {"mean", "sd"})
            sd = self.get(spec, path, "sd", "number", None)
            if sd is not None and sd <= 0:
                raise self.fail(_("'{key}' must be above 0.").format(key="sd"), (*path, "sd"))
            out.append(
                Norm(
                    name,
                    float(self.get(spec, path, "mean", "number")),
                    None if sd is None else float(sd),
                )
            )
        return tuple(out)

    def missing(self) -> MissingRule:
        table = self.get(self.data, (), "missing", "table", {})
        path: KeyPath = ("missing",)
        self.keys(table, path, {"rule", "max_missing", "rounding"})
        rule = self.get(table, path, "rule", "str", "incomplete")
        if rule not in ("incomplete", "prorate"):
            raise self.fail(
                _("Unknown missing-item rule '{value}': use incomplete or prorate.").format(
                    value=rule
                ),
                (*path, "rule"),
            )
        rounding = self.get(table, path, "rounding", "str", "half_up")
        if rounding not in _ROUNDINGS:
            raise self.fail(
                _("Unknown rounding rule '{value}': use half_up or half_even.").format(
                    value=rounding
                ),
                (*path, "rounding"),
            )
        if rule == "incomplete":
            if "max_missing" in table:
                raise self.fail(
                    _("max_missing applies to the rule prorate only."), (*path, "max_missing")
                )
            return MissingRule("incomplete", 0, cast(Literal["half_up", "half_even"], rounding))
        max_missing = self.get(table, path, "max_missing", "int")
        if not 1 <= max_missing < self.item_count:
            raise self.fail(
                _("max_missing must be between 1 and {limit}.").format(limit=self.item_count - 1),
                (*path, "max_missing"),
            )
        return MissingRule("prorate", max_missing, cast(Literal["half_up", "half_even"], rounding))


def _is_kind(value: Any, kind: str) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "table":
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    if kind == "int_list":
        return isinstance(value, list) and all(_is_kind(v, "int") for v in value)
    raise AssertionError(kind)


def _band_fault(
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
                            "{high}.").format(code=band.code, low=_number_text(low),
                                              high=_number_text(high))  # fmt: skip
        if low < lowest or high > highest:
            return index, _(
                "Band {code} runs from {low} to {high}, outside the possible totals {min}–{max}."
            ).format(
                code=band.code,
                low=_number_text(low),
                high=_number_text(high),
                min=lowest,
                max=highest,
            )
        overlap = [t for t in range(math.ceil(low), math.floor(high) + 1) if t in owner]
        if overlap:
            return index, _("Bands {first} and {second} overlap at totals {totals}.").format(
                first=bands[owner[overlap[0]]].code, second=band.code, totals=_ranges(overlap)
            )
        for total in range(math.ceil(low), math.floor(high) + 1):
            owner[total] = index
    gap = [t for t in range(lowest, highest + 1) if t not in owner]
    if gap:
        after = next(
            (i for i, b in enumerate(bands) if b.low.resolve(settings) > gap[0]), len(bands) - 1
        )
        return after, _("No band covers totals {totals} (possible totals {min}–{max}).").format(
            totals=_ranges(gap), min=lowest, max=highest
        )
    return None


# -- derived-value expressions ----------------------------------------------------------------

_BIN_OPS: Final[dict[type[ast.operator], Callable[[float, float], float]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _compile_expression(expression: str, names: set[str]) -> ast.expr | None:
    """The checked syntax tree of ``expression``, or ``None`` when it uses anything but
    numbers, ``+ - * /``, unary minus, parentheses and ``names``."""
    if len(expression) > 500:
        return None
    try:
        tree = ast.parse(expression, mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Expression | ast.operator | ast.unaryop):
            if isinstance(node, ast.operator) and type(node) not in _BIN_OPS:
                return None
            if isinstance(node, ast.unaryop) and not isinstance(node, ast.USub):
                return None
            continue
        if isinstance(node, ast.BinOp | ast.UnaryOp | ast.Load):
            continue
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            continue
        if isinstance(node, ast.Name) and node.id in names:
            continue
        return None
    return tree.body


@lru_cache(maxsize=256)
def _compiled(expression: str, names: frozenset[str]) -> ast.expr:
    tree = _compile_expression(expression, set(names))
    assert tree is not None, "checked when the definition was loaded"
    return tree


def _evaluate(node: ast.expr, values: Mapping[str, float | None]) -> float | None:
    """Value of a checked expression; ``None`` when a name is ``None`` or on division by 0."""
    if isinstance(node, ast.Constant):
        return float(cast(float, node.value))
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        inner = _evaluate(node.operand, values)
        return None if inner is None else -inner
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div) and right == 0:
            return None
        return _BIN_OPS[type(node.op)](left, right)
    raise AssertionError(ast.dump(node))


# -- scoring ----------------------------------------------------------------------------------


def score(
    defn: InstrumentDefinition,
    responses: Sequence[int | None],
    settings: Mapping[str, float] | None = None,
) -> ScoreResult:
    """Score one administration of ``defn``.

    ``responses`` holds one entry per item in item order: the answered value (an integer in
    the definition's response range, as printed on the form, before any reversal) or
    ``None`` for a missing item. ``settings`` overrides declared settings (e.g.
    ``{"cutoff": 31}`` for the PCL-5; see :meth:`InstrumentDefinition.effective_settings`).

    Raises :class:`ResponseError` for the wrong number of responses or a value that is not a
    whole number in range (naming the item), and :class:`SettingError` for a bad setting.
    Rules: see the module docstring and ``shared/domain/instruments.md``.
    """
    values = _checked_responses(defn, responses)
    effective = defn.effective_settings(settings)
    scored = [None if v is None else scored_value(defn, i + 1, v) for i, v in enumerate(values)]
    missing = tuple(i + 1 for i, v in enumerate(values) if v is None)
    answered = [v for v in scored if v is not None]

    total: int | None = None
    prorated = False
    if not missing:
        total = sum(answered)
    elif defn.missing.rule == "prorate" and len(missing) <= defn.missing.max_missing:
        total = _round(Fraction(sum(answered), len(answered)) * defn.item_count, defn.missing)
        prorated = True

    critical = tuple(
        c.item
        for c in defn.critical_items
        if (value := values[c.item - 1]) is not None and value >= c.threshold
    )
    critical_unanswered = tuple(
        sorted({c.item for c in defn.critical_items if values[c.item - 1] is None})
    )
    subscales = {sub.name: _aggregate(sub, scored) for sub in defn.subscales}

    positive_count = negative_count = None
    if defn.positive_item_threshold is not None and not missing:
        positive_count = sum(1 for v in answered if v >= defn.positive_item_threshold)
        negative_count = defn.item_count - positive_count

    band = None
    if total is not None:
        band = _band_for(defn, total, effective)

    names: dict[str, float | None] = {
        "total": total,
        "item_count": defn.item_count,
        "answered_count": len(answered),
        "positive_count": positive_count,
        "negative_count": negative_count,
        **subscales,
    }
    derived: dict[str, float | None] = {}
    for item in defn.derived:
        tree = _compiled(item.expression, frozenset(names))
        derived[item.name] = None if total is None else _evaluate(tree, names)

    diagnosis = _diagnosis(defn.diagnosis, scored)
    screen = None
    if defn.screen is not None and total is not None:
        context = _ScreenContext(
            total, positive_count, negative_count, subscales, derived, diagnosis, scored
        )
        screen = _screen(defn.screen, context, effective)

    norms = tuple(
        _compare(norm, _norm_value(norm.name, total, subscales, derived)) for norm in defn.norms
    )
    return ScoreResult(
        instrument=defn.code,
        version=defn.version,
        total=total,
        prorated=prorated,
        complete=total is not None,
        missing_items=missing,
        band=band.code if band else None,
        band_label_zh=band.label_zh if band else None,
        band_label_en=band.label_en if band else None,
        subscales=subscales,
        critical_items=critical,
        screen_positive=screen,
        provisional_diagnosis=diagnosis,
        positive_count=positive_count,
        negative_count=negative_count,
        derived=derived,
        critical_items_unanswered=critical_unanswered,
        norms=norms,
        settings=effective,
    )


def _checked_responses(
    defn: InstrumentDefinition, responses: Sequence[int | None]
) -> list[int | None]:
    if isinstance(responses, str | bytes) or len(responses) != defn.item_count:
        count = len(responses)
        raise ResponseError(
            _("{instrument} needs {expected} responses, got {count}.").format(
                instrument=defn.code, expected=defn.item_count, count=count
            )
        )
    out: list[int | None] = []
    for index, value in enumerate(responses):
        item = index + 1
        if value is None:
            out.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise ResponseError(
                _("Item {item}: the response must be a whole number, not {value}.").format(
                    item=item, value=repr(value)
                ),
                item,
            )
        if not defn.response_min <= value <= defn.response_max:
            raise ResponseError(
                _("Item {item}: response {value} is outside {low}–{high}.").format(
                    item=item, value=value, low=defn.response_min, high=defn.response_max
                ),
                item,
            )
        out.append(value)
    return out


def _round(value: Fraction, rule: MissingRule) -> int:
    """Round a non-negative exact value: half up (2.5 -> 3) or half to even (2.5 -> 2)."""
    if rule.rounding == "half_even":
        return round(value)
    return math.floor(value + Fraction(1, 2))


def _aggregate(sub: Subscale, scored: Sequence[int | None]) -> int | float | None:
    """Sum or mean of the subscale's scored items; ``None`` when any of them is missing."""
    values = [scored[number - 1] for number in sub.items]
    present = [v for v in values if v is not None]
    if len(present) != len(values):
        return None
    total = sum(present)
    return total if sub.aggregation == "sum" else total / len(present)


def _band_for(defn: InstrumentDefinition, total: int, settings: Mapping[str, float]) -> Band | None:
    if not defn.bands:
        return None
    lowest, highest = defn.total_range
    fault = _band_fault(defn.bands, settings, lowest, highest)
    if fault is not None:
        raise SettingError(
            _("With these settings the bands of {instrument} are invalid: {fault}").format(
                instrument=defn.code, fault=fault[1]
            )
        )
    for band in defn.bands:
        if band.low.resolve(settings) <= total <= band.high.resolve(settings):
            return band
    raise AssertionError("validated bands cover every possible total")


def _diagnosis(rule: Diagnosis | None, scored: Sequence[int | None]) -> bool | None:
    """Every cluster has ``min_endorsed`` items scored >= ``endorse_at``; ``None`` if any
    cluster item is missing or there is no rule."""
    if rule is None:
        return None
    met = True
    for cluster in rule.clusters:
        values = [scored[number - 1] for number in cluster.items]
        if any(v is None for v in values):
            return None
        endorsed = sum(1 for v in values if v is not None and v >= rule.endorse_at)
        met = met and endorsed >= cluster.min_endorsed
    return met


@dataclass(frozen=True)
class _ScreenContext:
    total: int
    positive_count: int | None
    negative_count: int | None
    subscales: Mapping[str, int | float | None]
    derived: Mapping[str, float | None]
    diagnosis: bool | None
    scored: Sequence[int | None]


def _metric_values(condition: ScreenCondition, ctx: _ScreenContext) -> Iterator[float | None]:
    """The value(s) a condition tests; ``any_subscale`` yields one per subscale."""
    metric = condition.metric
    prefix, _sep, rest = metric.partition(":")
    if metric == "total":
        yield ctx.total
    elif metric == "positive_count":
        yield ctx.positive_count
    elif metric == "negative_count":
        yield ctx.negative_count
    elif metric == "provisional_diagnosis":
        yield None if ctx.diagnosis is None else float(ctx.diagnosis)
    elif metric == "any_subscale":
        names = condition.subscales or tuple(ctx.subscales)
        for name in names:
            yield ctx.subscales[name]
    elif prefix == "subscale":
        yield ctx.subscales[rest]
    elif prefix == "derived":
        yield ctx.derived[rest]
    elif prefix == "item":
        yield ctx.scored[int(rest) - 1]
    else:
        raise AssertionError(metric)


def _truth(values: Sequence[bool | None], combine: str) -> bool | None:
    """Three-valued any/all: an unknown clause leaves the answer unknown only if it matters."""
    if combine == "any":
        if any(v is True for v in values):
            return True
        return None if any(v is None for v in values) else False
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _screen(rule: ScreenRule, ctx: _ScreenContext, settings: Mapping[str, float]) -> bool | None:
    results: list[bool | None] = []
    for condition in rule.conditions:
        compare = _OPS[condition.op]
        threshold = condition.value.resolve(settings)
        clause = [
            None if value is None else compare(value, threshold)
            for value in _metric_values(condition, ctx)
        ]
        results.append(_truth(clause, "any"))
    return _truth(results, rule.combine)


def _norm_value(
    name: str,
    total: int | None,
    subscales: Mapping[str, int | float | None],
    derived: Mapping[str, float | None],
) -> float | None:
    if name == "total":
        return total
    if name in subscales:
        return subscales[name]
    return derived[name]


def _compare(norm: Norm, value: float | None) -> NormComparison:
    """Difference from the norm mean and z-score, rounded to 4 decimals (display values)."""
    difference = None if value is None else value - norm.mean
    z = None if difference is None or norm.sd is None else round(difference / norm.sd, 4)
    difference = None if difference is None else round(difference, 4)
    return NormComparison(norm.name, value, norm.mean, norm.sd, difference, z)


# -- entry helpers ----------------------------------------------------------------------------


def parse_responses(text: str) -> list[int | None]:
    """Parse the command-line form ``R1,R2,…`` into responses for :func:`score`.

    Fields are separated by ``,`` (also full-width ``，`` and ``、``); an empty field or ``-``
    (also ``－``) is a missing item; digits may be full-width (``１，２``); spaces around a
    field are ignored. Range checks happen in :func:`score`. Raises :class:`ResponseError`
    (``item`` = the 1-based field position) for a field that is not a whole number, and for
    blank text.
    """
    normalized = unicodedata.normalize("NFKC", text).replace("、", ",")
    if not normalized.strip():
        raise ResponseError(_("No responses given: type them as R1,R2,… (e.g. 0,1,2)."))
    out: list[int | None] = []
    for position, field_text in enumerate(normalized.split(","), start=1):
        token = field_text.strip()
        if token in ("", "-"):
            out.append(None)
        elif re.fullmatch(r"[0-9]+", token):
            out.append(int(token))
        else:
            raise ResponseError(
                _("Response {position} is not a whole number: '{text}'.").format(
                    position=position, text=token
                ),
                position,
            )
    return out


def response_for_key(defn: InstrumentDefinition, key: str) -> int | None:
    """The response a single key press enters on one-key-per-item forms.

    A digit key (ASCII or full-width) whose value is in the definition's response range
    (PHQ-9 ``0``–``3``, SCL-90 ``1``–``5``) returns that value; any other key returns
    ``None`` (the caller decides whether it means skip, back or nothing).
    """
    normalized = unicodedata.normalize("NFKC", key)
    if len(normalized) != 1 or normalized not in "0123456789":
        return None
    value = int(normalized)
    return value if defn.response_min <= value <= defn.response_max else None


# -- small helpers ----------------------------------------------------------------------------


def _number_text(value: float) -> str:
    """``33.0`` -> ``33``; ``1.5`` -> ``1.5``."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _ranges(numbers: Sequence[int]) -> str:
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
