"""Passphrase rules (DESIGN §5): refuse empty, whitespace-only and weak passphrases.

Strength is estimated with zxcvbn (Wheeler, "zxcvbn: Low-Budget Password Strength
Estimation", USENIX Security 2016; Python port ``zxcvbn``); a score below
:data:`MIN_SCORE` (0–4 scale) is weak. The passphrase itself never appears in a message.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from counselor_tui.i18n import _

MIN_SCORE = 3
MIN_LENGTH = 8


class PassphraseRejected(ValueError):
    """The passphrase is empty, blank or too weak; the message says what to do."""


@dataclass(frozen=True)
class Strength:
    """zxcvbn's verdict: ``score`` 0–4, whether it is acceptable, and a translated hint."""

    score: int
    acceptable: bool
    hint: str


def strength(passphrase: str, user_inputs: tuple[str, ...] = ()) -> Strength:
    """Estimate ``passphrase``'s strength; ``user_inputs`` (user and bureau names) count
    as guessable words. Never raises."""
    if not passphrase.strip():
        return Strength(0, False, _("The passphrase is empty."))
    if len(passphrase) < MIN_LENGTH:
        return Strength(0, False, _("Use at least {n} characters.").format(n=MIN_LENGTH))
    from zxcvbn import zxcvbn  # 13 MB of dictionaries, only when a passphrase is chosen

    result = zxcvbn(passphrase[:100], user_inputs=[u for u in user_inputs if u])
    score = int(result["score"])
    if score >= MIN_SCORE:
        return Strength(score, True, _("Strong enough."))
    return Strength(
        score,
        False,
        _("Too easy to guess: use four or more unrelated words, or a long sentence."),
    )


def check_new_passphrase(passphrase: str, user_inputs: tuple[str, ...] = ()) -> None:
    """Raise :class:`PassphraseRejected` unless ``passphrase`` may protect a vault: not
    empty, no spaces at either end (easily lost when typed again), no control characters
    (cannot be typed in the interface), and strong enough."""
    if not passphrase or not passphrase.strip():
        raise PassphraseRejected(_("The passphrase is empty or only spaces: choose another."))
    if passphrase != passphrase.strip():
        raise PassphraseRejected(_("The passphrase begins or ends with a space, which is easy "
                                   "to lose when typing it again: remove it."))
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in passphrase):
        raise PassphraseRejected(_("The passphrase contains control characters that cannot "
                                   "be typed at the unlock screen: choose another."))
    verdict = strength(passphrase, user_inputs)
    if not verdict.acceptable:
        raise PassphraseRejected(_("The passphrase is too weak. {hint}").format(hint=verdict.hint))
