"""Screening instruments as data (DESIGN §7.1): definitions, validation and scoring.

Re-exports the public API of :mod:`counselor_tui.domain.instruments.engine` (its
``__all__``), which documents the definition format and the rules; the built-in definitions
live in ``definitions/*.toml``.
"""

from __future__ import annotations

from counselor_tui.domain.instruments.engine import *  # noqa: F403
from counselor_tui.domain.instruments.engine import __all__ as __all__
