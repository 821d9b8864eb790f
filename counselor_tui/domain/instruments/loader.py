"""Loading instrument definitions (DESIGN §7.1): the built-in files of the package and a
bureau's own file, validated section by section; every fault names its TOML line
(:class:`~.model.DefinitionError`). The format is documented in
:mod:`counselor_tui.domain.instruments.engine`."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, cast

from counselor_tui.domain.instruments._reader import AGGREGATIONS, BASE_NAMES
from counselor_tui.domain.instruments._rules import RuleSections
from counselor_tui.domain.instruments._toml_lines import KeyPath, TomlLines
from counselor_tui.domain.instruments.model import (
    Aggregation,
    Band,
    CriticalItem,
    DefinitionError,
    InstrumentDefinition,
    Item,
    SettingSpec,
    Source,
    Subscale,
    UnknownInstrumentError,
    band_fault,
    ranges,
)
from counselor_tui.i18n import _

_TOML_LINE: Final = re.compile(r"at line (\d+)")


_PACKAGE: Final = "counselor_tui.domain.instruments"


_DEFINITIONS: Final = "definitions"


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
    return definition_from_data(data, text)


def definition_from_data(data: dict[str, Any], text: str) -> InstrumentDefinition:
    """Validate ``data``, the ``tomllib`` reading of ``text`` (whose lines name the faults).

    Raises :class:`DefinitionError` at the first fault (module docstring of
    :mod:`counselor_tui.domain.instruments.engine`)."""
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


_TOP_KEYS: Final = {
    "code", "name_zh", "name_en", "version", "item_count", "instructions_zh", "instructions_en",
    "source", "responses", "scoring", "missing", "items", "subscales", "critical_items",
    "positive_items", "screen", "diagnosis", "derived", "norms", "settings",
}  # fmt: skip


class _Builder(RuleSections):
    """Turns parsed TOML into an :class:`InstrumentDefinition`, raising at the first fault."""

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
                    items=ranges(absent)
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
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name in BASE_NAMES:
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
            if aggregation not in AGGREGATIONS:
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
                        items=ranges(absent)
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
        fault = band_fault(bands, defaults, self.item_count * self.response_min,
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
