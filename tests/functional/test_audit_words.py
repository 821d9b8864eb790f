"""Every view of a person's identifying data is audited, and the audit screen says who looked
at whose record in words (issue 16 point 3): the actor's name, the action, the person's name
and badge number — not ``person_id=526 suggested=false``."""

from __future__ import annotations

import pytest

from counselor_tui.i18n import set_language
from counselor_tui.services import analysis, assessments, audit, audit_view, persons
from counselor_tui.services.audit import AuditFilter
from counselor_tui.ui.screens.audit_log import AuditScreen, row_cells
from counselor_tui.ui.screens.dashboard import DashboardScreen
from tests.functional.ui_support import Bureau, app_for, backend_for, screen_text, settle

pytestmark = pytest.mark.world("bureau+auditor")


def _views(bureau: Bureau) -> list[tuple[str, str, str, object]]:
    shen = bureau.login("shen")
    return [(e.user, e.entity, e.entity_id, e.detail.get("part"))
            for e in audit.list_events(shen, AuditFilter(action="view"), 0, 50)
            if e.entity != "audit_log"][::-1]


def test_every_read_path_of_a_persons_data_writes_a_view_event(world: Bureau) -> None:
    """The trend chart, the head of F4 entry, the assessments list, one assessment and the
    record each leave a ``view`` naming the person (the chart did not)."""
    li = world.login("li")
    zhang = world.ids["zhang"]
    analysis.score_trend(li, zhang, "phq9")
    assessments.person_brief(li, zhang)
    assessments.for_person(li, zhang)
    persons.get_person(li, zhang)
    assert _views(world) == [("li", "person", str(zhang), "trend"),
                             ("li", "person", str(zhang), "brief"),
                             ("li", "person", str(zhang), "assessments"),
                             ("li", "person", str(zhang), None)]


async def test_the_audit_screen_names_actor_action_and_person(world: Bureau) -> None:
    li = world.login("li")
    analysis.score_trend(li, world.ids["zhang"], "phq9")
    lines = audit_view.page(world.login("shen"), AuditFilter(action="view"), 0, 5)
    trend = next(line for line in lines if line.row.detail.get("part") == "trend")
    set_language("zh")
    cells = row_cells(trend)
    assert cells[2:5] == ["李辅导（li）", "查看：服务对象（得分趋势图）", "张三 · 警号 010001"]
    assert "person_id" not in " ".join(cells) and "part" not in cells[5]
    app = app_for(backend_for(world, "shen"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.open_area("audit")
        await settle(pilot, lambda: isinstance(app.screen, AuditScreen) and app.screen.settled
                     and "张三 · 警号 010001" in screen_text(app))
        text = screen_text(app)
        assert "李辅导（li）" in text and "得分趋势图" in text
        assert "person_id" not in text
