"""Reading a definition file's TOML tables with the faults named by line: the typed getters
and checks shared by every section of the loader (:mod:`.loader`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from counselor_tui.domain.instruments._toml_lines import KeyPath, TomlLines
from counselor_tui.domain.instruments.model import DefinitionError, Threshold
from counselor_tui.i18n import N_, _

AGGREGATIONS: Final = ("sum", "mean")


ROUNDINGS: Final = ("half_up", "half_even")


BASE_NAMES: Final = ("total", "item_count", "answered_count", "positive_count", "negative_count")


PLAIN_METRICS: Final = (
    "total",
    "positive_count",
    "negative_count",
    "any_subscale",
    "provisional_diagnosis",
)


SETTING_REF: Final = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:([+-])\s*(\d+(?:\.\d+)?))?\s*$"
)


TYPE_NAMES: Final = {
    "int": N_("a whole number"),
    "number": N_("a number"),
    "str": N_("a text in quotes"),
    "bool": N_("true or false"),
    "table": N_("a table"),
    "list": N_("a list"),
    "int_list": N_("a list of whole numbers"),
    "threshold": N_("a number or a setting name"),
}


class Reader:
    """The state of one definition being read and the typed getters every section uses.

    ``item_count``, the response range and the setting and subscale names are set by the
    loader as it reads the sections they come from."""

    item_count: int
    response_min: int
    response_max: int
    setting_names: set[str]
    subscale_names: set[str]

    def __init__(self, data: dict[str, Any], lines: TomlLines) -> None:
        self.data = data
        self.lines = lines

    def fail(self, fault: str, path: KeyPath, index: int | None = None) -> DefinitionError:
        return DefinitionError(fault, self.lines.line_of(path, index))

    def wrong_type(
        self, key: str, kind: str, path: KeyPath, index: int | None = None
    ) -> DefinitionError:
        expected = _(TYPE_NAMES[kind])
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
        if not is_kind(value, kind):
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
            match = SETTING_REF.match(raw)
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


def is_kind(value: Any, kind: str) -> bool:
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
        return isinstance(value, list) and all(is_kind(v, "int") for v in value)
    raise AssertionError(kind)
