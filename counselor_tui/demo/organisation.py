"""Demo phase: the programme's organisation (issue 16 item 1) — the protection committee and
its office (the coordinator directs the office, the counselors are its members) and the
教导员 and 政工干部 trained in the last year."""

from __future__ import annotations

from datetime import timedelta

from counselor_tui.demo.base import TRACKED, BuilderBase
from counselor_tui.domain import demo_names as names
from counselor_tui.services.context import iso
from db.models_org import CadreTraining, OrgMember

#: The committee's named members: (post, position in the bureau).
_COMMITTEE = (("director", "局长"), ("executive_deputy", "政委"), ("member", "副局长"),
              ("member", "副局长"), ("member", "纪委书记"), ("office_deputy", "政治处主任"))
_CADRE_TRAININGS = ("基层教导员心理健康知识培训", "政工干部心理危机识别与干预培训",
                    "民警心理健康保护工作业务培训")


class OrganisationPhase(BuilderBase):
    """The committee, its office and the cadres trained."""

    def organisation(self) -> None:
        """Six named members and the accounts of the office (serving since the roster), and
        about one 教导员 per two units plus a few 政工干部 trained in the last year."""
        rng, coord = self.rng, self.coordinator
        since = self.roster_at.date().isoformat()
        at = iso(self.roster_at)
        fields = (*TRACKED, "post", "user", "name", "job", "starts_on", "ends_on", "counselor")
        for post, job in _COMMITTEE:
            name = names.person_name(rng, "male" if rng.random() < 0.8 else "female")
            self.w.add(OrgMember, fields, [*self._who(at, coord), post, None, name, job, since,
                                           None, False])
        for user, post in ((coord, "office_director"),
                           *((c, "office_member") for c in self.counselors)):
            self.w.add(OrgMember, fields, [*self._who(at, coord), post, user, "", "", since,
                                           None, True])
        cadre_fields = (*TRACKED, "name", "post", "unit", "on_date", "title", "hours")
        rows = 0
        for u, unit_id in enumerate(self.unit_ids):
            for post in ("instructor", "political"):
                if (u, post) == (0, "instructor") or rng.random() < (
                        0.5 if post == "instructor" else 0.15):
                    day = self.today - timedelta(days=rng.randint(1, 360))
                    made = iso(self._at(day, 18 * 3600))
                    self.w.add(CadreTraining, cadre_fields, [
                        *self._who(made, coord), names.person_name(rng, "male"), post,
                        unit_id if post == "instructor" or u % 2 else None, day.isoformat(),
                        rng.choice(_CADRE_TRAININGS), rng.choice((2.0, 4.0, 8.0))])
                    rows += 1
        self._commit()
        self._done("org_member", len(_COMMITTEE) + 1 + len(self.counselors) + rows)
