"""Placeholder until this importer lands."""

from __future__ import annotations

from typing import Any


def register_import(group: Any) -> None:
    """Nothing yet."""
