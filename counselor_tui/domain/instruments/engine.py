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

The engine is split by job, this module keeping the public import path: the shapes in
:mod:`.model`, reading and validating definitions in :mod:`.loader`, derived-value
expressions in :mod:`.expressions`, scoring in :mod:`.scoring`.

File reading: built-in definitions are the package's own data; :func:`load_definition` also
reads a bureau's file when given a path (the one file read outside the package data).
"""

from __future__ import annotations

from counselor_tui.domain.instruments.loader import (
    builtin,
    builtin_codes,
    load_definition,
)
from counselor_tui.domain.instruments.model import (
    Band,
    CriticalItem,
    DefinitionError,
    Derived,
    Diagnosis,
    DiagnosisCluster,
    InstrumentDefinition,
    InstrumentError,
    Item,
    MissingRule,
    Norm,
    NormComparison,
    ResponseError,
    ScoreResult,
    ScreenCondition,
    ScreenRule,
    SettingError,
    SettingSpec,
    Source,
    Subscale,
    Threshold,
    UnknownInstrumentError,
    scored_value,
)
from counselor_tui.domain.instruments.scoring import parse_responses, response_for_key, score

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
