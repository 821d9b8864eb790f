"""Drafts kept across a lock (issue 15 item 7), at the service: per account, sealed to the
account's own key inside the vault, replaced by the next lock, expired by the
``draft_keep_hours`` setting."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from counselor_tui.services import drafts, settings
from db.connection import open_connection
from db.migrations import migrate
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
    gone = drafts.load_draft(li)  # expired: deleted for every account, unread
    assert gone is not None and gone.screens == () and gone.expired_after_hours == 2
    assert drafts.load_draft(li) is None and drafts.load_draft(zhao) is None
    with coord.reading():
        assert coord.execute('SELECT count(*) FROM "form_draft"').fetchone()[0] == 0

    drafts.keep_draft(li, point(NOTE))
    assert drafts.drop_draft(li) and not drafts.drop_draft(li)
    assert drafts.load_draft(li) is None


def test_migration_14_adds_the_draft_table_to_a_vault_of_schema_13(tmp_path: Path) -> None:
    conn = open_connection(tmp_path / "v.db", secrets.token_bytes(32), create=True)
    try:
        assert migrate(conn, "2026-11-01T09:00:00+08:00", target=13)[-1] == 13
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'form_draft'"
                                ).fetchall()
        assert migrate(conn, "2026-12-01T09:00:00+08:00")[0] == 14
        columns = [r[1] for r in conn.execute('PRAGMA table_info("form_draft")')]
        assert columns == ["user_id", "saved_at", "sealed", "payload"]
    finally:
        conn.close()
