"""The Pilot tests' ``bureau``: the ``world`` of a test marked with a bureau kind
(``@pytest.mark.world("bureau")``, ``"bureau+auditor"``, ``"bureau+team"``; see
``ui_support``)."""

from __future__ import annotations

import pytest

from tests.functional.ui_support import Bureau
from tests.worlds import World


@pytest.fixture
def bureau(world: World, world_kind: str) -> Bureau:
    assert world_kind.startswith("bureau"), "mark the test with pytest.mark.world('bureau')"
    return world
