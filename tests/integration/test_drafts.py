"""Drafts kept across a lock (issue 15 item 7), at the service: per account, sealed to the
account's own key inside the vault, replaced by the next lock, expired by the
``draft_keep_hours`` setting."""

from __future__ import annotations

import pytest

from counselor_tui.services import drafts, settings
from tests.integration.archive_world import World

pytestmark = pytest.mark.world("archive")

NOTE = "夜班后失眠，半句话"


def point(note: str) -> list[dict[str, object]]:
    return [{"screen": "person", "person_id": 1},
            {"screen": "session_form", "unsaved": True, "fields": {"note": note}}]


def test_drafts_are_per_account_replaced_and_expire_by_the_setting(world: World) -> None:
    li, zhao, coord = world.login("li"), world.login("zhao"), world.login("coord")
    assert drafts.load_draft(li) is None
    drafts.keep_draft(li, point("旧的"))
    drafts.keep_draft(li, point(NOTE))  # the next lock replaces the older draft
    drafts.keep_draft(zhao, point("赵的"))
    got = drafts.load_draft(li)
    assert got is not None and list(got.screens) == point(NOTE)
    with coord.reading():  # a coordinator holds the data key, not li's slot key
        blobs = [bytes(r[0]) for r in coord.execute('SELECT payload FROM "form_draft"')]
    assert len(blobs) == 2 and not any(NOTE.encode() in b for b in blobs)
    assert drafts.load_draft(coord) is None

    settings.set_setting(coord, "draft_keep_hours", 2)
    world.clock.advance(hours=1, minutes=59)
    assert drafts.load_draft(zhao) is not None
    world.clock.advance(minutes=2)
    assert drafts.load_draft(li) is None  # expired: deleted for every account, unread
    with coord.reading():
        assert coord.execute('SELECT count(*) FROM "form_draft"').fetchone()[0] == 0

    drafts.keep_draft(li, point(NOTE))
    assert drafts.drop_draft(li) and not drafts.drop_draft(li)
    assert drafts.load_draft(li) is None
