"""Pure helpers of the analysis area 分析 (issue 4 §8): rates and early-warning rules.

Early-warning rules (parameters in the tier policy, ``[early_warning]`` of
``counselor_tui/settings/policy.toml``):

* **rise**: the total rose by at least ``rise`` (default 5) since the person's previous
  complete assessment of the same instrument, for ``rise_instruments`` (PHQ-9, GAD-7);
* **band crossed**: the total moved into a higher band since the previous assessment (band
  order = the definition's bands, lowest first); for an instrument without bands (SCL-90),
  becoming screen-positive counts as crossing;
* **review overdue**: a person of an ``overdue_tiers`` tier (red, yellow) whose review date
  is before today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from counselor_tui.domain.policy import EarlyWarningRules
from counselor_tui.i18n import N_, _

__all__ = [
    "REASONS",
    "ScorePoint",
    "rate",
    "reason_label",
    "review_overdue",
    "score_warnings",
]

#: Early-warning reason codes and their labels (msgids).
REASONS: Final[dict[str, str]] = {
    "rise": N_("score rose by {rise} or more"),
    "band_crossed": N_("moved into a higher band"),
    "became_positive": N_("became screen-positive"),
    "review_overdue": N_("tier review overdue"),
}


@dataclass(frozen=True)
class ScorePoint:
    """One complete assessment as the rules see it: day, total, band code, screen result."""

    on: date
    total: float | None
    band: str | None = None
    positive: bool | None = None


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` as a fraction in 0..1, ``None`` when the denominator is 0.

    Raises ``ValueError`` for a negative count or a numerator above the denominator.
    """
    if numerator < 0 or denominator < 0 or numerator > denominator:
        raise ValueError("counts must satisfy 0 <= numerator <= denominator")
    return None if denominator == 0 else numerator / denominator


def score_warnings(
    rules: EarlyWarningRules,
    instrument: str,
    bands: Sequence[str],
    previous: ScorePoint,
    latest: ScorePoint,
) -> tuple[str, ...]:
    """Reason codes (:data:`REASONS`) raised by ``latest`` compared with ``previous``.

    ``bands`` are the instrument's band codes, lowest first (empty when it has none).
    Returns ``()`` when nothing warns or a total is missing (incomplete assessments are not
    compared).
    """
    if previous.total is None or latest.total is None:
        return ()
    reasons: list[str] = []
    if instrument in rules.rise_instruments and latest.total - previous.total >= rules.rise:
        reasons.append("rise")
    if rules.band_crossing:
        if bands:
            order = {code: i for i, code in enumerate(bands)}
            before, after = order.get(previous.band or ""), order.get(latest.band or "")
            if before is not None and after is not None and after > before:
                reasons.append("band_crossed")
        elif previous.positive is False and latest.positive is True:
            reasons.append("became_positive")
    return tuple(reasons)


def review_overdue(
    rules: EarlyWarningRules, tier: str | None, review_due: date | None, today: date
) -> bool:
    """True when ``tier`` is watched (red/yellow by default) and ``review_due`` < ``today``."""
    return (tier in rules.overdue_tiers and review_due is not None and review_due < today)


def reason_label(reason: str, rules: EarlyWarningRules) -> str:
    """The translated label of a reason code (the code itself when unknown)."""
    msgid = REASONS.get(reason)
    if msgid is None:
        return reason
    rise = int(rules.rise) if float(rules.rise).is_integer() else rules.rise
    return _(msgid).format(rise=rise)
