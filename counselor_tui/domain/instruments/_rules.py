"""The rule sections of a definition (screen, diagnosis, derived values, norms, missing
items), read by the loader (:mod:`.loader`) on top of :class:`._reader.Reader`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, cast

from counselor_tui.domain.instruments._reader import (
    BASE_NAMES,
    PLAIN_METRICS,
    ROUNDINGS,
    Reader,
)
from counselor_tui.domain.instruments._toml_lines import KeyPath
from counselor_tui.domain.instruments.expressions import compile_expression
from counselor_tui.domain.instruments.model import (
    OPS,
    Derived,
    Diagnosis,
    DiagnosisCluster,
    MissingRule,
    Norm,
    Op,
    ScreenCondition,
    ScreenRule,
)
from counselor_tui.i18n import _


class RuleSections(Reader):
    """Reads ``[screen]``, ``[diagnosis]``, ``[derived.*]``, ``[norms.*]`` and ``[missing]``."""

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
        known = metric in PLAIN_METRICS
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
        if not isinstance(op, str) or op not in OPS:
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
        allowed = set(BASE_NAMES) | self.subscale_names
        out = []
        for name, spec in table.items():
            path: KeyPath = ("derived", name)
            if not isinstance(spec, dict):
                raise self.wrong_type(name, "table", path)
            if name in allowed or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise self.fail(_("Bad derived-value name '{name}'.").format(name=name), path)
            self.keys(spec, path, {"expression", "label_zh", "label_en"})
            expression = self.get(spec, path, "expression", "str")
            if compile_expression(expression, allowed) is None:
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
        if rounding not in ROUNDINGS:
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
