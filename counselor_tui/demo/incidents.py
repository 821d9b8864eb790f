"""Demo phase: critical incidents with their exposures, steps and post-incident sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from counselor_tui.demo.base import DURATION, RISK_CRISIS, RISKS, TRACKED, BuilderBase
from counselor_tui.demo.sizes import CHUNK, DAYS
from counselor_tui.domain import demo_names as names
from counselor_tui.domain import incidents as incident_rules
from counselor_tui.domain import policy as policy_rules
from counselor_tui.services.context import iso
from counselor_tui.services.incidents import FORM_CHANNELS
from db.models import (
    Incident,
    IncidentExposure,
    IncidentStep,
)

#: Incident titles by kind (codes of :data:`counselor_tui.domain.incidents.INCIDENT_KINDS`).
_INCIDENT_TITLES = {
    "shooting": "{unit}民警处置持刀行凶警情依法使用武器",
    "attack_on_officers": "{unit}民警执勤时遭暴力袭击",
    "officer_casualty": "{unit}民警在处置警情中受伤",
    "major_rescue": "{unit}参与{place}抢险救援",
    "colleague_death": "{unit}一名民警因公殉职",
    "suicidal_ideation": "{unit}民警出现自杀意念",
    "self_harm": "{unit}民警自伤事件",
    "violence_risk": "{unit}民警存在冲动伤人风险",
    "acute_stress": "{unit}民警出现急性应激反应",
}


_ROADS = ("人民路", "建设路", "解放路", "滨河路", "中山街", "迎宾大道", "国道沿线", "农贸市场",
          "汽车站广场", "工业园区")


#: How each step of the default plans is usually done (codes of ``STEP_FORMS``).
_STEP_FORMS = {
    "acknowledge": ("phone_contact",), "first_contact": ("pfa",),
    "safety_contact": ("pfa", "phone_contact"), "session": ("individual_session",
                                                            "individual_session",
                                                            "group_session"),
    "review_90d": ("individual_session",),
}


#: Steps recorded without a session, with the note the counselor wrote.
_STEP_NOTES = {"acknowledge": "已接报，通知所在单位并安排辅导员。", "review_90d": "90天复评完成。"}


_WAIVE_REASONS = ("当事人已调离本单位", "当事人婉拒，已告知求助渠道", "已由上级心理服务中心接手")


class IncidentsPhase(BuilderBase):
    """Critical incidents with their exposures, steps and post-incident sessions."""

    def incidents(self) -> None:
        """About one incident per 100 officers a year (``DemoSize.incidents``), 60 % critical
        incidents and 40 % individual crises, with exposures, the policy's step plan
        (:func:`counselor_tui.domain.incidents.plan_steps`) and a post-incident session for
        each step done in person. The two newest incidents each keep one step open and
        overdue now, so the dashboard banner has something to show."""
        rng, spec = self.rng, self.spec
        kinds = {category: [k.code for k in incident_rules.INCIDENT_KINDS.values()
                            if k.category == category] for category in incident_rules.CATEGORIES}
        moments: list[tuple[datetime, str]] = []
        span = (DAYS - 3) * 86400
        for _i in range(max(0, spec.incidents - 2)):
            category = "critical" if rng.random() < 0.6 else "crisis"
            moments.append((self._at(self.start, rng.randrange(span)), category))
        moments.sort(key=lambda m: m[0])
        moments.append((self.now - timedelta(hours=26), "critical"))
        moments.append((self.now - timedelta(hours=7), "crisis"))
        self.incident_sessions = 0
        self.exposed: list[tuple[int, datetime]] = []  # involved / injured, when reported
        for n, (reported, category) in enumerate(moments):
            self._incident(reported, rng.choice(kinds[category]), n >= len(moments) - 2)
            self._flush_if(IncidentStep, CHUNK // 4)
        self._commit()
        self._done("incident", len(moments))

    def _officers_of(self, u: int, k: int) -> list[int]:
        lo, hi = self.unit_range[u]
        pool = [o for o in range(lo, hi) if not self.off_archived[o]]
        return self.rng.sample(pool, min(k, len(pool)))

    def _incident(self, reported: datetime, kind: str, showcase: bool) -> None:
        rng = self.rng
        critical = incident_rules.category_of(kind) == "critical"
        u = self.off_unit[rng.randrange(self.spec.officers)]
        while not self._officers_of(u, 1):
            u = (u + 1) % len(self.plan)
        occurred = reported - timedelta(minutes=45 if showcase else rng.randint(20, 240))
        counselor = self.unit_counselor[u]
        iid = self._id("incident")
        roles: dict[int, str] = {}
        if critical:
            chosen = self._officers_of(u, rng.randint(2, 7))
            injured = 1 if kind in ("attack_on_officers", "officer_casualty") else 0
            for i, o in enumerate(chosen):
                roles[self.first_officer + o] = (
                    "injured" if i < injured else "involved" if i < 3 else "witness")
            if kind in ("officer_casualty", "colleague_death"):
                for relative in self.family_of.get(chosen[0], []):
                    roles.setdefault(relative, "family")
        else:
            o = self._officers_of(u, 1)[0]
            roles[self.first_officer + o] = "involved"
            if rng.random() < 0.3:
                for relative in self.family_of.get(o, [])[:1]:
                    roles.setdefault(relative, "family")
        exposures = list(roles.items())
        exp_at = iso(reported + timedelta(minutes=rng.randint(10, 60)))
        for person, role in exposures:
            self.w.add(IncidentExposure, ("incident", "person", "role", *TRACKED),
                       [iid, person, role, *self._who(exp_at, counselor)])
            if role in ("involved", "injured"):
                self.exposed.append((person, reported))
            self._evidence(person, reported,
                           policy_rules.ExposureFacts(role, occurred.date(), iid))
        main = next(p for p, r in exposures if r in ("involved", "injured"))
        planned = incident_rules.plan_steps(self.incident_policy, kind, reported, exposures)
        passed = [i for i, step in enumerate(planned) if step.due_at <= self.now]
        keep_open = passed[-1] if showcase and passed else -1
        open_steps = 0
        last_done = reported
        for index, step in enumerate(planned):
            due = step.due_at
            done: datetime | None = None
            waived: str | None = None
            if due <= self.now:
                roll = rng.random()
                if index == keep_open:
                    pass  # left open: overdue now
                elif roll < 0.03 and step.step != "acknowledge":
                    waived = rng.choice(_WAIVE_REASONS)
                elif roll < 0.15:
                    done = min(due + timedelta(minutes=rng.randint(60, 48 * 60)),
                               self.now - timedelta(minutes=5))
                else:
                    done = reported + (due - reported) * rng.uniform(0.3, 0.95)
            elif reported + (due - reported) * 0.3 < self.now and rng.random() < 0.5:
                low = reported + (due - reported) * 0.2
                done = low + (self.now - low) * rng.uniform(0.1, 0.9)
            session_id = form = None
            note = ""
            if done is not None:
                done = done.replace(microsecond=0)
                last_done = max(last_done, done)
                form = rng.choice(_STEP_FORMS.get(step.step,
                                                  ("individual_session", "phone_contact")))
                if step.step in _STEP_NOTES:
                    note = _STEP_NOTES[step.step]
                else:
                    session_id = self._incident_session(
                        step.person_id or main, iid, critical, step.step, done, counselor,
                        FORM_CHANNELS[form])
            elif waived is None:
                open_steps += 1
            self.w.add(IncidentStep, (
                "incident", "person", "step", "due_at", "done_at", "waived_reason", "form",
                "by", "note", "session", *TRACKED), [
                iid, step.person_id, step.step, iso(due), iso(done) if done else None, waived,
                form, counselor if done else None, note, session_id,
                *self._who(iso(reported + timedelta(minutes=5)), counselor)])
        unit = self.plan[u]
        place = rng.choice(names.TOWNS)
        title = _INCIDENT_TITLES[kind].format(unit=unit.name, place=place)
        if critical:
            location: str | None = f"{place}{rng.choice(_ROADS)}"
            severity = rng.choice(("serious", "serious", "major", "general"))
            summary = "事件发生后按应激预案启动心理援助，已通知相关单位。"
        else:
            location = rng.choice((None, "单位宿舍", "家中"))
            severity = "serious" if kind in ("suicidal_ideation", "self_harm") else "general"
            summary = "单位发现民警情绪异常后报告，已启动个体危机干预。"
        closed_at = None if open_steps else iso(min(self.now, last_done + timedelta(days=1)))
        at = iso(reported + timedelta(minutes=5))
        self.w.add(Incident, ("id", *TRACKED, "kind", "title", "occurred_at", "reported_at",
                              "location", "severity", "status", "summary", "unit", "closed_at"),
                   [iid, at, counselor, closed_at or at, counselor, kind, title, iso(occurred),
                    iso(reported), location, severity, "open" if open_steps else "closed",
                    summary, self.unit_ids[u], closed_at])

    def _incident_session(self, person: int, incident: int, critical: bool, step: str,
                          done: datetime, counselor: int, channel: str) -> int:
        """The post-incident session logged when a step is recorded done (as
        :func:`counselor_tui.services.incidents.record_step` does); returns its id."""
        rng = self.rng
        early = step in ("first_contact", "safety_contact", "session")
        if early and not critical:
            risk = RISK_CRISIS.draw(rng)
        elif early:
            risk = rng.choices(RISKS, weights=(30, 45, 20, 5, 0))[0]
        else:
            risk = rng.choices(RISKS, weights=(55, 35, 9, 1, 0))[0]
        topics = ["trauma", *rng.sample(("work_stress", "emotional", "health_sleep"),
                                        rng.randint(0, 2))]
        self.incident_sessions += 1
        return self._session_row(person, counselor, *self._moment(done),
                                 rng.randint(*DURATION[channel]),
                                 channel, "post_incident", topics, risk, None, incident, None)
