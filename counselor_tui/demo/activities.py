"""Demo phase: activities, interest groups and training records."""

from __future__ import annotations

import json
from datetime import date, timedelta

from counselor_tui.demo.base import TRACKED, BuilderBase
from counselor_tui.demo.sizes import DAYS
from counselor_tui.domain import demo_names as names
from counselor_tui.domain import periods
from counselor_tui.services.context import iso
from db.models import (
    Activity,
    ActivityCounselor,
    ActivityVersion,
    InterestGroup,
    TrainingRecord,
    TrainingRecordVersion,
)

_GROUPS = ("书法", "摄影", "羽毛球", "太极", "乒乓球", "篮球", "瑜伽", "读书会", "合唱", "登山徒步",
           "国画", "跑步", "八段锦")


_TRAININGS = (("心理危机干预技术培训", "省公安厅政治部"),
              ("EAP员工援助计划基础培训", "市心理咨询师协会"),
              ("心理健康教育师资培训", "市公安局政治部"), ("哀伤辅导工作坊", "省精神卫生中心"),
              ("正念减压训练", "市心理咨询师协会"), ("团体心理辅导技术", "省警官学院"),
              ("警察职业压力管理", "省警官学院"), ("心理测评与档案管理", "市公安局政治部"))


_ACTIVITY_TITLES = {
    "training": ("全局心理辅导员业务培训", "新警心理调适培训", "中层干部心理健康管理培训"),
    "drill": ("重大警情心理应急处置演练", "民警遇袭事件心理危机干预演练"),
    "lecture": ("{unit}心理健康讲座：压力与情绪管理", "{unit}家庭关系与亲子沟通讲座",
                "{unit}睡眠健康知识宣讲", "{unit}心理健康宣传进基层"),
    "interest_group": ("{group}兴趣小组活动", "{group}小组交流活动"),
    "group_session": ("{unit}减压团体辅导", "{unit}新警适应团体辅导", "{unit}沟通能力团体训练"),
}


class ActivitiesPhase(BuilderBase):
    """Activities, interest groups and training records."""

    def activities(self) -> None:
        """Thirteen interest groups (one paused), two years of monthly trainings, lectures,
        group sessions, quarterly drills and group meetings with their counselors, and the
        counselors' training records."""
        rng, coord = self.rng, self.coordinator
        at = iso(self.roster_at)
        groups: list[tuple[int, str]] = []  # (id, name) of the active groups
        for n, title in enumerate(_GROUPS):
            gid = self._id("interest_group")
            lead = names.person_name(rng, rng.choice(("male", "female")))
            members = rng.randint(12, 40) + rng.randint(0, self.spec.officers // 50)
            active = n < len(_GROUPS) - 1  # the last one paused
            self.w.add(InterestGroup, ("id", *TRACKED, "name", "lead", "members", "active"),
                       [gid, *self._who(at, coord), f"{title}兴趣小组", lead, members, active])
            if active:
                groups.append((gid, title))
        scale = max(1, len(self.plan) // 20)
        fields = ("id", *TRACKED, "kind", "title", "date", "unit", "group", "participants",
                  "hours", "note", "version")
        version_fields = ("activity", "version", "kind", "title", "date", "unit", "group",
                          "participants", "hours", "note", "counselor_ids", "replaced_at",
                          "replaced_by")
        count = 0
        # the bureau's own counselor trainings: every counselor and the coordinator attend,
        # so each also gets a training record of that day (the submission counts both)
        bureau_trainings: list[tuple[date, str, float]] = []
        months = [periods.period_of("month", self.today)]
        while len(months) < 25:
            months.append(periods.previous(months[-1]))
        for period in reversed(months):
            first = period.start
            monthly: list[tuple[str, int]] = [("training", scale), ("lecture", 2 * scale),
                                              ("group_session", scale)]
            if first.month % 3 == 1:
                monthly.append(("drill", 1))
            items: list[tuple[str, tuple[int, str] | None]] = []
            for kind, k in monthly:
                items += [(kind, None)] * k
            for meeting in groups:
                items += [("interest_group", meeting)] * rng.randint(1, 2)
            for what, group in items:
                day = first + timedelta(days=rng.randint(0, 27))
                if day >= self.today:
                    continue
                u = rng.randrange(len(self.plan))
                title = rng.choice(_ACTIVITY_TITLES[what]).format(
                    unit=self.plan[u].name, group=group[1] if group else "")
                participants = {"training": rng.randint(15, 60), "drill": rng.randint(20, 80),
                                "lecture": rng.randint(20, 150),
                                "interest_group": rng.randint(8, 30),
                                "group_session": rng.randint(8, 16)}[what]
                hours = {"training": rng.choice((4.0, 8.0, 16.0)), "drill": 3.0,
                         "lecture": rng.choice((1.5, 2.0)), "interest_group": 2.0,
                         "group_session": rng.choice((2.0, 2.5, 3.0))}[what]
                if what == "training" and "辅导员" in title:
                    participants = len(self.counselors) + 1
                    bureau_trainings.append((day, title, hours))
                aid = self._id("activity")
                made = iso(self._at(day, 18 * 3600))
                unit = self.unit_ids[u] if what in ("lecture", "group_session", "drill") \
                    else None
                # one in twenty was corrected the next day: version 2, version 1 kept
                corrected = rng.random() < 0.05 or count == 0
                self.w.add(Activity, fields, [
                    aid, *self._who(made, coord), what, title, day.isoformat(), unit,
                    group[0] if group else None, participants, hours, "",
                    2 if corrected else 1])
                ran: list[int] = []
                if what != "interest_group" or rng.random() < 0.4:
                    ran = rng.sample(self.counselors, rng.randint(1, 2))
                    for user in ran:
                        self.w.add(ActivityCounselor, ("activity", "user"), [aid, user])
                if corrected:
                    self.w.add(ActivityVersion, version_fields, [
                        aid, 1, what, title, day.isoformat(), unit,
                        group[0] if group else None, participants + rng.randint(1, 9), hours,
                        "", json.dumps(sorted(ran)), iso(self._at(day, 30 * 3600)), coord])
                count += 1
        training_fields = ("id", "user", "date", "title", "hours", "provider", *TRACKED,
                           "version", "voided_at", "voided_by", "void_reason")
        kept_fields = ("record", "version", "user", "date", "title", "hours", "provider",
                       "replaced_at", "replaced_by")
        first_training = self.next_id.get("training_record", 0) + 1
        for user in [*self.counselors, coord]:
            for title, provider in rng.sample(_TRAININGS, rng.randint(4, len(_TRAININGS))):
                day = self.start + timedelta(days=rng.randint(0, DAYS - 1))
                made = iso(self._at(day, 18 * 3600))
                later = iso(self._at(day, 42 * 3600))
                tid = self._id("training_record")
                hours = rng.choice((4.0, 8.0, 16.0, 24.0))
                # some were corrected (hours mistyped, version 1 kept), a few voided
                fate = rng.choices(("kept", "corrected", "voided"), weights=(85, 10, 5))[0]
                if tid == first_training:
                    fate = "corrected"
                self.w.add(TrainingRecord, training_fields, [
                    tid, user, day.isoformat(), title, hours, provider, *self._who(made, coord),
                    2 if fate == "corrected" else 1, later if fate == "voided" else None,
                    coord if fate == "voided" else None,
                    "重复录入" if fate == "voided" else None])
                if fate == "corrected":
                    self.w.add(TrainingRecordVersion, kept_fields, [
                        tid, 1, user, day.isoformat(), title, hours / 2, provider, later,
                        coord])
        for user in [*self.counselors, coord]:
            for when, title, hours in bureau_trainings:
                made = iso(self._at(when, 18 * 3600))
                self.w.add(TrainingRecord, training_fields, [
                    self._id("training_record"), user, when.isoformat(), title, hours,
                    "市公安局政治部", *self._who(made, coord), 1, None, None, None])
        self._commit()
        self._done("activity", count)
