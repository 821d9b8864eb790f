"""Scoring an answered form against a definition (DESIGN §7.1): totals, subscales, bands,
critical items, screen, provisional diagnosis, derived values and norms, with the missing-item
rule of the definition. The rules are documented in
:mod:`counselor_tui.domain.instruments.engine`."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from counselor_tui.domain.instruments.expressions import compiled, evaluate
from counselor_tui.domain.instruments.model import (
    OPS,
    Band,
    Diagnosis,
    InstrumentDefinition,
    MissingRule,
    Norm,
    NormComparison,
    ResponseError,
    ScoreResult,
    ScreenCondition,
    ScreenRule,
    SettingError,
    Subscale,
    band_fault,
    scored_value,
)
from counselor_tui.i18n import _


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
        tree = compiled(item.expression, frozenset(names))
        derived[item.name] = None if total is None else evaluate(tree, names)

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
    fault = band_fault(defn.bands, settings, lowest, highest)
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
        compare = OPS[condition.op]
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
