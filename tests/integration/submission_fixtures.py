"""A small, demo-like bureau for the submission tests (built straight with the models).

Three units (U01 派出所, U02 交警, U03 刑侦), counselors and a coordinator with a unit each,
officers and linked family members, sessions across October–December 2026 (anonymous ones,
a voided one, topics), tier history, a census with assessments, incidents with steps,
firearm restrictions, trainings and activities. Every row is attributed to one of the three
units, so unit scopes add up to the bureau scope exactly.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from counselor_tui.domain import vocab
from counselor_tui.services.context import VaultSession
from db.models import (
    Activity,
    ActivityCounselor,
    Assessment,
    Census,
    CensusUnit,
    CounselingSession,
    FamilyLink,
    FirearmEvent,
    FirearmRestriction,
    Incident,
    IncidentStep,
    Person,
    SessionTopic,
    Setting,
    TierChange,
    TierState,
    TrainingRecord,
    Unit,
    User,
)

TZ = ZoneInfo("Asia/Shanghai")
#: The official-document settings of a configured bureau (主送机关, 签发人, its own 发文字号):
#: without them finalize refuses (issue 17).
DOCUMENT = {"doc_recipient": "市公安局政治部", "doc_signer": "王建国",
            "doc_number_pattern": "东公政〔{年}〕{号}号"}
UNITS = (("U01", "城关派出所", "派出所"), ("U02", "交警大队", "交警"), ("U03", "刑侦大队", "刑侦"))


def _ts(d: datetime) -> str:
    return d.astimezone(TZ).replace(microsecond=0).isoformat()


def populate(vs: VaultSession, seed: int = 1, officers_per_unit: int = 12,
             sessions: int = 160) -> dict[str, Any]:
    """Fill the vault; returns ids of interest (unit ids by code, user ids)."""
    rng = random.Random(seed)
    now = vs.now_iso()
    who = {"created_at": now, "created_by": vs.actor.id, "updated_at": now,
           "updated_by": vs.actor.id}
    early = "2026-01-01T08:00:00+08:00"
    out: dict[str, Any] = {"units": {}, "counselors": []}
    with vs.transaction():
        for key, value in DOCUMENT.items():
            Setting.insert(key=key, value=value, updated_at=now,
                           updated_by=vs.actor.id).on_conflict_replace().execute()
        units = []
        for code, name, ptype in UNITS:
            u = Unit.create(code=code, name=name, police_type=ptype, **who)
            units.append(u)
            out["units"][code] = u.id
        counselors = []
        for i, u in enumerate(units):
            for j in range(2):
                c = User.create(username=f"c{i}{j}", display_name=f"辅导员{i}{j}",
                                role="counselor", unit=u.id, active=True, created_at=early,
                                updated_at=early)
                counselors.append(c)
        coord = User.create(username="coord", display_name="协调员", role="coordinator",
                            unit=units[0].id, active=True, created_at=early, updated_at=early)
        gone = User.create(username="gone", display_name="离任", role="counselor",
                           unit=units[1].id, active=False, disabled_at="2026-10-15T09:00:00+08:00",
                           created_at=early, updated_at=early)
        out["counselors"] = [c.id for c in counselors]
        officers: list[Person] = []
        n = 0
        for u in units:
            for _k in range(officers_per_unit):
                n += 1
                archived = "2026-11-10T10:00:00+08:00" if n % 17 == 0 else None
                ptype = None if n % 5 == 0 else rng.choice(
                    [u.police_type, u.police_type, "治安", "特警/巡特警"])
                p = Person.create(kind="officer", badge_no=f"B{n:04d}", name=f"民警{n}",
                                  unit=u.id, police_type=ptype, archived_at=archived,
                                  **{**who, "created_at": early})
                officers.append(p)
        late_officer = Person.create(kind="officer", badge_no="B9999", name="新警",
                                     unit=units[2].id, police_type="刑侦", **who)
        officers.append(late_officer)
        voided_person = Person.create(kind="officer", badge_no="B8888", name="作废",
                                      unit=units[0].id, voided_at=now, voided_by=vs.actor.id,
                                      void_reason="dup", **{**who, "created_at": early})
        family: list[Person] = []
        for i, off in enumerate(officers[::4]):
            f = Person.create(kind="family", name=f"家属{i}", **{**who, "created_at": early})
            FamilyLink.create(person=f.id, officer=off.id,
                              relation=rng.choice(list(vocab.RELATIONS)), **who)
            family.append(f)
        other = Person.create(kind="other", name="其他人", unit=units[1].id,
                              **{**who, "created_at": early})
        clients = [*officers, *family, other]
        start = datetime(2026, 10, 1, 8, 0, tzinfo=TZ)
        for i in range(sessions):
            when = start + timedelta(hours=rng.randrange(0, 24 * 91))
            anonymous = rng.random() < 0.12
            person = None if anonymous else rng.choice(clients)
            counselor = rng.choice(counselors)
            s = CounselingSession.create(
                person=None if person is None else person.id, counselor=counselor.id,
                started_at=_ts(when), duration_min=rng.choice([20, 30, 45, 50, 60, 90]),
                channel=rng.choice(list(vocab.CHANNELS)),
                kind=rng.choice(list(vocab.SESSION_KINDS)), note="",
                risk=rng.choice(list(vocab.RISKS)),
                referral=rng.choice(["none"] * 6 + list(vocab.REFERRALS)),
                voided_at=now if i % 41 == 0 else None,
                voided_by=vs.actor.id if i % 41 == 0 else None, **who)
            for topic in rng.sample(list(vocab.TOPICS), rng.choice([1, 1, 2, 3])):
                SessionTopic.create(session=s.id, topic=topic)
        # a session of a voided person, in November: never counted
        CounselingSession.create(person=voided_person.id, counselor=counselors[0].id,
                                 started_at="2026-11-05T10:00:00+08:00", duration_min=50,
                                 channel="hotline", kind="routine", **who)
        # tiers: history for a third of the officers
        for i, off in enumerate(officers[:30]):
            t1 = datetime(2026, 9, 1, 9, tzinfo=TZ) + timedelta(days=i)
            TierChange.create(person=off.id, from_tier=None, to_tier="green", reason="census",
                              by=vs.actor.id, at=_ts(t1))
            tier = "green"
            if i % 3 == 0:
                t2 = datetime(2026, 11, 1, 9, tzinfo=TZ) + timedelta(days=i % 28)
                tier = "yellow" if i % 2 else "red"
                TierChange.create(person=off.id, from_tier="green", to_tier=tier,
                                  reason="phq9", by=vs.actor.id, at=_ts(t2))
            TierState.create(person=off.id, tier=tier, since=t1.date().isoformat(), **who)
        # a tier state with no history (legacy import)
        TierState.create(person=officers[31].id, tier="yellow", since="2026-08-01", **who)
        # census in November on U01 and U02, PHQ-9 + GAD-7
        census = Census.create(name="2026年第四季度普查", starts_on="2026-11-01",
                               ends_on="2026-11-30", instruments=["phq9", "gad7"], **who)
        for u in units[:2]:
            CensusUnit.create(census=census.id, unit=u.id)
        for i, off in enumerate(officers[: 2 * officers_per_unit]):
            for code in ("phq9", "gad7"):
                if (i + len(code)) % 4 == 0:
                    continue
                day = date(2026, 11, 1) + timedelta(days=i % 29)
                Assessment.create(person=off.id, instrument_code=code, instrument_version="1",
                                  administered_on=day.isoformat(), responses=[], total=5,
                                  band="mild", positive=(i % 6 == 0), complete=(i % 9 != 0),
                                  census=census.id, **who)
        # an assessment outside any census in November, and one in October
        Assessment.create(person=officers[-2].id, instrument_code="pcl5", instrument_version="1",
                          administered_on="2026-11-20", responses=[], total=40, positive=True,
                          **who)
        Assessment.create(person=officers[-3].id, instrument_code="phq9", instrument_version="1",
                          administered_on="2026-10-20", responses=[], total=1, positive=False,
                          **who)
        # incidents
        kinds = list(vocab_incident_kinds())
        for i in range(9):
            reported = datetime(2026, 10, 20, 8, tzinfo=TZ) + timedelta(days=4 * i, hours=i)
            closed = _ts(reported + timedelta(days=10)) if i % 3 == 0 else None
            inc = Incident.create(kind=kinds[i % len(kinds)], title=f"事件{i}",
                                  occurred_at=_ts(reported - timedelta(hours=2)),
                                  reported_at=_ts(reported), severity="general",
                                  status="closed" if closed else "open", closed_at=closed,
                                  unit=units[i % 3].id, voided_at=now if i == 7 else None,
                                  **who)
            for j, (step, hours) in enumerate((("acknowledge", 2), ("first_contact", 12),
                                               ("session", 48), ("follow_up_7d", 24 * 7))):
                due = reported + timedelta(hours=hours)
                done = None
                waived = None
                if (i + j) % 4 == 0:
                    done = _ts(due - timedelta(minutes=30))
                elif (i + j) % 4 == 1:
                    done = _ts(due + timedelta(hours=3))
                elif (i + j) % 4 == 2 and j == 3:
                    waived, done = "declined", _ts(due - timedelta(hours=1))
                IncidentStep.create(incident=inc.id, step=step, due_at=_ts(due), done_at=done,
                                    waived_reason=waived, **who)
        # firearm restrictions
        fr = [
            ("recommended", "2026-11-03", None, None),
            ("suspended", "2026-10-02", "2026-10-05", None),
            ("suspended", "2026-11-02", "2026-11-06", None),
            ("revoked", "2026-09-02", "2026-09-05", None),
            ("reinstated", "2026-08-02", "2026-08-05", "2026-11-15"),
            ("declined", "2026-11-08", "2026-11-09", None),
            ("recommended", "2026-11-20", None, None),
        ]
        for i, (status, rec, dec, ended) in enumerate(fr):
            head = FirearmRestriction.create(
                person=officers[i * 5].id, status=status, reason_code="post_incident",
                recommended_by=vs.actor.id, recommended_at=f"{rec}T10:00:00+08:00", **who)
            steps = [("recommended", None, rec)]
            if dec:
                steps.append(("decided", "suspended" if status == "reinstated" else status,
                              dec))
            if ended:
                steps.append(("reinstated", "reinstated", ended))
            for kind, outcome, day in steps:
                FirearmEvent.create(restriction=head.id, kind=kind, outcome=outcome,
                                    on_date=day, by=vs.actor.id, at=f"{day}T10:00:00+08:00",
                                    decided_by_name=None if kind == "recommended" else "人事处长")
        # team
        for i, c in enumerate([*counselors, coord, gone]):
            TrainingRecord.create(user=c.id, date=f"2026-11-{(i % 27) + 1:02d}",
                                  title="培训", hours=1.5 + i % 3, **who)
        TrainingRecord.create(user=counselors[0].id, date="2026-10-12", title="旧", hours=2,
                              **who)
        for i in range(12):
            a = Activity.create(kind=list(vocab.ACTIVITY_KINDS)[i % 5], title=f"活动{i}",
                                date=f"2026-11-{i + 1:02d}", unit=units[i % 3].id,
                                participants=10 + i, hours=1.5 + (i % 2),
                                voided_at=now if i == 11 else None, **who)
            ActivityCounselor.create(activity=a.id, user=counselors[i % len(counselors)].id)
    return out


def vocab_incident_kinds() -> tuple[str, ...]:
    from counselor_tui.domain.incidents import INCIDENT_KINDS

    return tuple(INCIDENT_KINDS)
