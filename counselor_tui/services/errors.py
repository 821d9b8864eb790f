"""The application's errors under their service-layer path: see :mod:`counselor_tui.errors`
(a leaf module, so that ``reports`` can raise them without importing ``services``)."""

from __future__ import annotations

from counselor_tui.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceError,
    Throttled,
    VaultDamaged,
    VaultLocked,
    WrongPassphrase,
)

__all__ = [
    "Conflict",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "ServiceError",
    "Throttled",
    "VaultDamaged",
    "VaultLocked",
    "WrongPassphrase",
]
