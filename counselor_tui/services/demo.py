"""The demo generator: a FICTITIOUS bureau built into a fresh vault (DESIGN §9 ``demo``, §11).

:func:`build_demo` creates the vault (admin ``admin``), adds one account of each role — the
coordinator ``demo`` (who sees everything), ``counselor1`` … ``counselorN`` in units and
``auditor``, all with the same passphrase — and fills every table of DESIGN §4 with
believable data: units with real organ names, officers with generated Chinese names,
family members, two years of counseling sessions, two censuses scored by the real instrument
engine, tiers consistent with the evidence, incidents with their step plans
(``shared/domain/policy.md``), firearm restrictions, activities, interest groups and
training records. Submissions stay empty (they are compiled by the reports package).

Determinism: one ``random.Random(seed)`` drives every choice and every date is relative to
the clock passed in, so the same seed and clock give identical table contents (the vault's
own keys, id and signing key are random by design, and so are the audit hashes that depend
on them).

Speed: rows are generated in chunks and written with ``executemany`` on this thread's
connection inside :meth:`VaultSession.transaction` (one ``BEGIN IMMEDIATE`` per chunk, foreign
keys deferred to the commit); each table's rows of a chunk are recorded by ONE audit event
``demo_generate`` (``{"rows": n}``), so the chain stays valid. ``executemany`` instead of
peewee's ``insert_many``: measured 4.6x faster on 20k session rows (peewee builds and binds
every row in Python), which is what keeps the ``province`` size within minutes.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import random
import secrets
import time
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from itertools import accumulate
from pathlib import Path
from typing import Any, Generic, TypeVar

from counselor_tui import paths
from counselor_tui.domain import demo_names as names
from counselor_tui.domain import incidents as incident_rules
from counselor_tui.domain import periods
from counselor_tui.domain import policy as policy_rules
from counselor_tui.domain.instruments import InstrumentDefinition, ScoreResult, builtin, score
from counselor_tui.domain.passphrase import check_new_passphrase
from counselor_tui.domain.pinyin import NameKeys, name_keys
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import accounts, audit, vault
from counselor_tui.services import census as census_service
from counselor_tui.services.assessments import flags_of
from counselor_tui.services.context import Clock, VaultSession, iso
from counselor_tui.services.errors import InvalidInput
from counselor_tui.services.incidents import FORM_CHANNELS
from db import sealing
from db.connection import InUseLock, side_files
from db.models import (
    ALL_MODELS,
    Activity,
    ActivityCounselor,
    ActivityVersion,
    Assessment,
    BaseModel,
    Census,
    CensusUnit,
    CounselingSession,
    FamilyLink,
    FirearmEvent,
    FirearmRestriction,
    Incident,
    IncidentExposure,
    IncidentStep,
    InterestGroup,
    JSONField,
    Person,
    SessionAddendum,
    SessionTopic,
    TierChange,
    TierState,
    TierSuggestion,
    TrainingRecord,
    TrainingRecordVersion,
    Unit,
    User,
)
from db.witness import witness_path

# -- sizes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSize:
    """One size preset: exact counts of units, officers, sessions, counselor accounts,
    incidents and persons of kind ``other``. Everything else follows from these (about 10 %
    of officers have family members; ~5 assessments per officer over the two censuses)."""

    name: str
    units: int
    officers: int
    sessions: int
    counselors: int
    incidents: int
    others: int


#: The presets: ``tiny`` for tests, ``county``/``city``/``province`` of DESIGN §11.
SIZES: Mapping[str, DemoSize] = {
    "tiny": DemoSize("tiny", 2, 50, 300, 3, 3, 2),
    "county": DemoSize("county", 20, 1_000, 20_000, 5, 20, 10),
    "city": DemoSize("city", 40, 20_000, 500_000, 6, 400, 50),
    "province": DemoSize("province", 40, 100_000, 2_000_000, 6, 2_000, 200),
}

#: Bump when the generated data changes (benchmarks cache their vaults by it).
DATA_VERSION = 2

DEMO_USER = "demo"
ADMIN_USER = "admin"
AUDITOR_USER = "auditor"
BUREAU = "示范县公安局（演示数据）"
DAYS = 730  # two years of history
CURRENT_DAYS = 90  # evidence this recent holds the tier now; older evidence is history
CHUNK = 20_000  # rows per transaction for the big tables


@dataclass(frozen=True)
class DemoUser:
    """An account of the demo vault (all share the passphrase given to :func:`build_demo`)."""

    username: str
    role: str
    display_name: str
    unit_code: str | None


@dataclass(frozen=True)
class DemoResult:
    """What :func:`build_demo` built: the database path, the accounts, the row count of
    every table (``{table_name: rows}``), the recovery code and the build time in seconds."""

    path: Path
    bureau: str
    users: tuple[DemoUser, ...]
    counts: Mapping[str, int]
    recovery_code: str
    seconds: float


def generate_passphrase() -> str:
    """Four random words (``secrets``) that pass the vault's strength rule (zxcvbn ≥ 3)."""
    system = secrets.SystemRandom()
    while True:
        candidate = names.passphrase(system)
        try:
            check_new_passphrase(candidate, (DEMO_USER,))
        except ValueError:
            continue
        return candidate


def build_demo(
    path: Path,
    size: str | DemoSize,
    seed: int,
    passphrase: str,
    clock: Clock,
    kdf_seconds: float = 0.5,
    *,
    state_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Build the demo bureau of preset ``size`` (a key of :data:`SIZES`, or a
    :class:`DemoSize` of one's own, e.g. for benchmarks) into a NEW vault.

    ``passphrase`` protects every account; ``clock`` gives "now" (all data lies in the two
    years before it); ``kdf_seconds`` is the Argon2id target per key slot; ``state_dir`` the
    failed-attempt folder (default :func:`counselor_tui.paths.state_dir`); ``progress``
    receives one translated line per finished phase.

    Raises :class:`InvalidInput` (exit 2) for an unknown size, an existing vault or a weak
    passphrase — before anything is written.
    """
    if isinstance(size, DemoSize):
        preset = size
    elif size in SIZES:
        preset = SIZES[size]
    else:
        raise InvalidInput(_("Unknown demo size {size}: use one of {sizes}.").format(
            size=size, sizes=", ".join(SIZES)))
    path = Path(path)
    if vault.vault_exists(path):
        raise InvalidInput(
            _("A vault already exists at {path}: the demo needs a new path.").format(path=path))
    started = time.perf_counter()
    created = vault.create_vault(path, bureau=BUREAU, admin_username=ADMIN_USER,
                                 passphrase=passphrase, clock=clock,
                                 admin_display_name="系统管理员", kdf_seconds=kdf_seconds)
    try:
        vs = vault.unlock(path, ADMIN_USER, passphrase, clock=clock,
                          state_dir=state_dir or paths.state_dir())
        try:
            builder = _Builder(vs, preset, random.Random(seed),
                               progress or (lambda _m: None))
            users = builder.build(passphrase, kdf_seconds)
            counts = _counts(vs)
        finally:
            vault.lock(vs, "quit")
    except BaseException:
        # a half-built demo is worth nothing and would block the next attempt: remove the
        # files this call created (never a vault that existed before: refused above)
        for leftover in (*side_files(path), created.keys_path, InUseLock(path).path,
                         witness_path(path)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        raise
    return DemoResult(path, BUREAU, users, counts, created.recovery_code,
                      time.perf_counter() - started)


def _counts(vs: VaultSession) -> dict[str, int]:
    with vs.reading():
        return {
            m._meta.table_name: int(vs.execute(
                f'SELECT COUNT(*) FROM "{m._meta.table_name}"').fetchone()[0])
            for m in ALL_MODELS
        }


Row = list[Any]
T = TypeVar("T")
_JSON_FIELD = JSONField()


def _json(value: Any) -> str:
    """JSON text exactly as :class:`db.models.JSONField` stores it."""
    return str(_JSON_FIELD.db_value(value))


class _Choice(Generic[T]):
    """A weighted choice with its cumulative weights computed once (the hot loops draw
    millions of times; ``random.choices`` would rebuild them on every call)."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cum = tuple(accumulate(weights))
        self.total = self.cum[-1]

    def draw(self, rng: random.Random) -> T:
        return self.items[bisect_right(self.cum, rng.random() * self.total)]


# -- vocabularies of the generator -----------------------------------------------------------

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

_CHANNEL = _Choice(("face_to_face", "hotline", "online", "visit", "email", "group", "on_scene"),
                   (40, 18, 14, 10, 5, 8, 5))
_DURATION = {"face_to_face": (40, 90), "hotline": (10, 45), "online": (30, 60),
             "visit": (20, 60), "email": (15, 30), "group": (60, 120), "on_scene": (15, 60)}
_TOPICS = ("work_stress", "interpersonal", "emotional", "children_education", "marriage_family",
           "health_sleep", "finance", "trauma", "substance", "other")
_TOPIC_OFFICER = _Choice(_TOPICS, (30, 14, 14, 8, 10, 14, 4, 3, 1, 2))
_TOPIC_FAMILY = _Choice(_TOPICS, (6, 8, 18, 24, 24, 10, 5, 1, 1, 3))
_TOPIC_COUNT = _Choice((1, 2, 3), (50, 35, 15))
_RISKS = ("none", "low", "moderate", "high", "imminent")
_RISK_BASE = _Choice(_RISKS, (74, 22.7, 3, 0.25, 0.05))
_RISK_DISTRESSED = _Choice(_RISKS, (40, 39.5, 17, 3, 0.5))
_RISK_CRISIS = _Choice(_RISKS, (0, 10, 50, 32, 8))
_RETURN_KIND = _Choice(("routine", "follow_up", "crisis"), (81.5, 17, 1.5))
_TIERS = ("green", "yellow", "red")
#: The written reasons of a counselor lowering a tier back to green after a review.
_REASONS_DOWN = ("复评结果正常，经面谈评估调整为一般。", "随访三个月情绪稳定，调整为一般。",
                 "危机已解除，社会支持良好，调整为一般。")
#: Latent distress levels (0 healthy … 3 severe) and their shares among officers.
_DISTRESS_W = (85, 10, 4, 1)
#: Response distributions by distress level for 4- and 5-point scales, as running sums of
#: the probabilities of answering min, min+1, ….
_RESP_4 = tuple(tuple(accumulate(p)) for p in (
    (0.80, 0.17, 0.025, 0.005), (0.50, 0.35, 0.12, 0.03), (0.22, 0.38, 0.28, 0.12),
    (0.08, 0.22, 0.35, 0.35)))
_RESP_5 = tuple(tuple(accumulate(p)) for p in (
    (0.78, 0.17, 0.04, 0.008, 0.002), (0.45, 0.35, 0.15, 0.04, 0.01),
    (0.20, 0.33, 0.28, 0.14, 0.05), (0.07, 0.18, 0.30, 0.27, 0.18)))
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

_SESSION_FIELDS = (
    "id", "created_at", "created_by", "updated_at", "updated_by", "person", "counselor",
    "started_at", "duration_min", "channel", "kind", "note", "risk", "intervention", "referral",
    "follow_up_on", "follow_up_closed_at", "follow_up_closed_by", "incident", "sealed",
    "locked_at", "caller_label",
)
_S_CLOSED_AT = _SESSION_FIELDS.index("follow_up_closed_at")
_S_CLOSED_BY = _S_CLOSED_AT + 1
_ASSESSMENT_FIELDS = (
    "id", "created_at", "created_by", "updated_at", "updated_by", "person", "instrument_code",
    "instrument_version", "administered_on", "responses", "total", "subscales", "band",
    "flags", "positive", "complete", "census", "source",
)
_TRACKED = ("created_at", "created_by", "updated_at", "updated_by")


@dataclass
class _Evidence:
    """One piece of tier evidence (policy.md): level 1 yellow / 2 red, rule, ids, moment."""

    at: datetime
    level: int
    rule: str
    evidence: Mapping[str, Any]


class _Writer:
    """Buffers rows per table and commits them in one transaction per chunk."""

    def __init__(self, vs: VaultSession) -> None:
        self.vs = vs
        self.rows: dict[type[BaseModel], tuple[Sequence[str], list[Row]]] = {}
        self.updates: dict[str, list[tuple[Any, ...]]] = {}

    def add(self, model: type[BaseModel], fields: Sequence[str], row: Row) -> None:
        entry = self.rows.get(model)
        if entry is None:
            entry = self.rows[model] = (fields, [])
        entry[1].append(row)

    def update(self, sql: str, params: tuple[Any, ...]) -> None:
        """Queue an UPDATE to run after this chunk's inserts."""
        self.updates.setdefault(sql, []).append(params)

    def pending(self, model: type[BaseModel]) -> int:
        entry = self.rows.get(model)
        return len(entry[1]) if entry else 0

    def commit(self) -> None:
        """Write every buffered row and update, one audit event per table."""
        if not self.rows and not self.updates:
            return
        with self.vs.transaction() as db:
            conn = db.raw()
            conn.execute("PRAGMA defer_foreign_keys = ON")
            for model, (fields, rows) in self.rows.items():
                if not rows:
                    continue
                meta = model._meta
                columns = ", ".join(f'"{meta.fields[f].column_name}"' for f in fields)
                marks = ", ".join("?" * len(fields))
                conn.executemany(
                    f'INSERT INTO "{meta.table_name}" ({columns}) VALUES ({marks})', rows)
                audit.record(self.vs, "demo_generate", meta.table_name, "",
                             {"rows": len(rows)})
            for sql, params in self.updates.items():
                conn.executemany(sql, params)
        self.rows = {}
        self.updates = {}


class _Builder:
    """The generator's state while it fills one vault (ids, officers, evidence)."""

    def __init__(self, vs: VaultSession, spec: DemoSize, rng: random.Random,
                 progress: Callable[[str], None]) -> None:
        self.vs = vs
        self.spec = spec
        self.rng = rng
        self.progress = progress
        self.now = vs.now()
        self.tz = self.now.tzinfo
        self.today = self.now.date()
        self.start = self.today - timedelta(days=DAYS)
        self.roster_at = self._at(self.start - timedelta(days=30), 10 * 3600)
        self.w = _Writer(vs)
        self.next_id: dict[str, int] = {}
        self.keys_cache: dict[str, NameKeys] = {}
        self.defs: dict[str, InstrumentDefinition] = {}
        self.score_cache: dict[tuple[str, tuple[int | None, ...]], ScoreResult] = {}
        self.evidence: dict[int, list[_Evidence]] = {}
        self.buffered: dict[int, Row] = {}  # session rows not yet written, by id
        self.tier_policy = policy_rules.default_policy()
        self.incident_policy = incident_rules.default_policy()
        self.risky = frozenset(r for r in _RISKS if policy_rules.evaluate(
            self.tier_policy, policy_rules.SessionRiskFacts(r), self.today) is not None)
        self.phase_started = time.perf_counter()

    # -- small helpers --------------------------------------------------------------------

    def _id(self, table: str) -> int:
        value = self.next_id.get(table, 0) + 1
        self.next_id[table] = value
        return value

    def _at(self, day: date, seconds: float) -> datetime:
        return datetime.combine(day, dtime(), tzinfo=self.tz) + timedelta(seconds=int(seconds))

    def _midnight(self, day: date | None) -> str | None:
        return iso(self._at(day, 0)) if day is not None else None

    def _who(self, at: str, user: int) -> Row:
        return [at, user, at, user]

    def _keys(self, name: str) -> NameKeys:
        keys = self.keys_cache.get(name)
        if keys is None:
            keys = self.keys_cache[name] = name_keys(name)
        return keys

    def _done(self, phase: str, rows: int) -> None:
        elapsed = time.perf_counter() - self.phase_started
        self.progress(_("demo: {phase} done, {rows} rows, {seconds} s").format(
            phase=phase, rows=rows, seconds=f"{elapsed:.1f}"))
        self.phase_started = time.perf_counter()

    def _commit(self) -> None:
        self.w.commit()
        self.buffered.clear()

    def _flush_if(self, model: type[BaseModel], limit: int = CHUNK) -> None:
        if self.w.pending(model) >= limit:
            self._commit()

    def _evidence(self, person: int, at: datetime, event: policy_rules.Event) -> None:
        """Keep what the tier policy makes of ``event`` (yellow or red) for the tiers phase."""
        if person not in self.officer_set:
            return
        match = policy_rules.evaluate(self.tier_policy, event, at.date())
        if match is not None and match.tier != "green":
            self.evidence.setdefault(person, []).append(
                _Evidence(at, policy_rules.rank(match.tier), match.rule, match.evidence))

    # -- the phases ---------------------------------------------------------------------------

    def build(self, passphrase: str, kdf_seconds: float) -> tuple[DemoUser, ...]:
        """Run every phase; returns the accounts."""
        with self.vs.reading():
            for table in ("person", "counseling_session", "incident", "assessment",
                          "tier_change", "tier_suggestion", "activity", "census",
                          "interest_group", "firearm_restriction", "training_record"):
                row = self.vs.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').fetchone()
                self.next_id[table] = int(row[0])
        self.units()
        users = self.users(passphrase, kdf_seconds)
        self.persons()
        self.incidents()
        self.sessions()
        self.census()
        self.tiers()
        self.firearms()
        self.activities()
        with self.vs.transaction():  # the bulk rows of sealed sessions: encrypt to readers
            sealing.seal_pending(self.vs.execute, self.vs.keys)
        return users

    def units(self) -> None:
        """The units of :func:`counselor_tui.domain.demo_names.unit_plan`."""
        self.plan = names.unit_plan(self.spec.units)
        admin = self.vs.actor.id
        at = iso(self.roster_at)
        self.unit_ids: list[int] = []
        with self.vs.transaction():
            for spec in self.plan:
                unit = Unit.create(code=spec.code, name=spec.name, police_type=spec.police_type,
                                   active=True, created_at=at, created_by=admin, updated_at=at,
                                   updated_by=admin)
                self.unit_ids.append(int(unit.id))
            audit.record(self.vs, "demo_generate", "unit", "", {"rows": len(self.plan)})
        self._done("unit", len(self.plan))

    def users(self, passphrase: str, kdf_seconds: float) -> tuple[DemoUser, ...]:
        """``demo`` (coordinator, 政治处), ``counselor1``… (one unit each, round robin) and
        ``auditor``, through :func:`counselor_tui.services.accounts.add_user`."""
        rng = self.rng
        codes = [u.code for u in self.plan]
        office = "ZZC" if "ZZC" in codes else None
        wanted = [DemoUser(DEMO_USER, Role.COORDINATOR.value,
                           names.person_name(rng, "female"), office)]
        for i in range(self.spec.counselors):
            gender = "female" if rng.random() < 0.5 else "male"
            wanted.append(DemoUser(f"counselor{i + 1}", Role.COUNSELOR.value,
                                   names.person_name(rng, gender), codes[i % len(codes)]))
        wanted.append(DemoUser(AUDITOR_USER, Role.AUDITOR.value,
                               names.person_name(rng, "male"), office))
        for user in wanted:
            accounts.add_user(self.vs, user.username, user.role, passphrase,
                              display_name=user.display_name, unit_code=user.unit_code,
                              kdf_seconds=kdf_seconds)
        with self.vs.transaction():
            # the accounts existed throughout the two years of history the demo invents
            # (the submission's team section counts accounts that existed in the period)
            at = iso(self.roster_at)
            User.update(created_at=at, updated_at=at).execute()
            audit.record(self.vs, "demo_generate", "user", "", {"backdated": len(wanted) + 1})
            ids = {u.username: int(u.id) for u in User.select(User.id, User.username)}
        self.coordinator = ids[DEMO_USER]
        self.counselors = [ids[u.username] for u in wanted if u.role == Role.COUNSELOR.value]
        # the counselor responsible for each unit (round robin over the counselors)
        self.unit_counselor = [self.counselors[i % len(self.counselors)]
                               for i in range(len(self.plan))]
        self.decision_makers = [names.person_name(rng, "male"), names.person_name(rng, "female")]
        admin = DemoUser(ADMIN_USER, Role.ADMIN.value, "系统管理员", None)
        self._done("user", len(wanted))
        return (admin, *wanted)

    # -- persons ----------------------------------------------------------------------------

    def persons(self) -> None:
        """Officers unit by unit (posts, names, 6-digit badge numbers, birth 1965–2000, hire
        at 21–27, phones, pinyin keys, ~1 % archived), each with a latent distress level
        that later drives answers and session risks; then family members and others."""
        rng, spec = self.rng, self.spec
        counts = names.share_out(spec.officers, [u.weight for u in self.plan])
        badges = names.badge_numbers(rng, spec.officers)
        self.first_officer = self.next_id["person"] + 1
        self.off_unit: list[int] = []
        self.off_gender: list[str] = []
        self.off_birth: list[int] = []
        self.off_surname: list[str] = []
        self.off_since: list[date] = []  # when the officer entered the roster
        self.off_archived: list[bool] = []
        self.off_level: list[int] = []  # latent distress now (0-3)
        self.off_level_past: list[int] = []  # … a year ago
        self.unit_range: list[tuple[int, int]] = []
        latest_hire = self.today - timedelta(days=60)
        coord = self.coordinator
        fields = ("id", *_TRACKED, "kind", "badge_no", "name", "name_pinyin", "name_initials",
                  "gender", "birth_date", "unit", "police_type", "post", "hire_date", "phone",
                  "archived_at")
        index = 0
        for u, (unit, count) in enumerate(zip(self.plan, counts, strict=True)):
            lo = index
            posts = names.unit_posts(unit.kind, count, rng)
            female_share = 0.35 if unit.kind in ("office", "command") else 0.15
            for post in posts:
                gender = "female" if rng.random() < female_share else "male"
                family = names.surname(rng)
                name = names.person_name(rng, gender, family)
                leader = post in names.LEADER_POSTS
                year = rng.randint(1966, 1984) if leader else rng.randint(1965, 2000)
                birth = date(year, rng.randint(1, 12), rng.randint(1, 28))
                hire = date(year + rng.randint(21, 27), rng.randint(1, 12), rng.randint(1, 28))
                if hire > latest_hire:
                    hire = latest_hire - timedelta(days=rng.randint(0, 400))
                since = max(hire, self.roster_at.date())
                created = iso(self._at(since, 10 * 3600))
                archived = None
                if rng.random() < 0.01:
                    archived = iso(self._at(self.today - timedelta(days=rng.randint(20, 300)),
                                            15 * 3600))
                police_type = unit.police_type
                if rng.random() < 0.02:
                    police_type = rng.choice(names.CORE_UNITS).police_type
                keys = self._keys(name)
                pid = self._id("person")
                self.w.add(Person, fields, [
                    pid, *self._who(created, coord), "officer", badges[index], name, keys.full,
                    keys.initials, gender, birth.isoformat(), self.unit_ids[u], police_type,
                    post, hire.isoformat(), names.phone(rng) if rng.random() < 0.9 else None,
                    archived])
                self.off_unit.append(u)
                self.off_gender.append(gender)
                self.off_birth.append(year)
                self.off_surname.append(family)
                self.off_since.append(since)
                self.off_archived.append(archived is not None)
                past = rng.choices(range(4), weights=_DISTRESS_W)[0]
                self.off_level_past.append(past)
                self.off_level.append(past if rng.random() < 0.6
                                      else rng.choices(range(4), weights=_DISTRESS_W)[0])
                index += 1
                self._flush_if(Person)
            self.unit_range.append((lo, index))
        self.officer_set = range(self.first_officer, self.first_officer + spec.officers)
        self._commit()
        self._family(fields)
        self._done("person", self.next_id["person"] - self.first_officer + 1)

    def _family(self, fields: Sequence[str]) -> None:
        rng, coord = self.rng, self.coordinator
        self.families: list[tuple[int, int]] = []  # (family person id, officer index)
        self.family_of: dict[int, list[int]] = {}  # officer index -> family person ids
        at = iso(self.roster_at)
        link_id = 0
        for o in range(self.spec.officers):
            if self.off_archived[o] or rng.random() >= 0.10:
                continue
            members = rng.choices((1, 2, 3), weights=(70, 25, 5))[0]
            relations = rng.sample(("spouse", "child", "parent", "other"), members)
            for relation in relations:
                year = self.off_birth[o]
                if relation == "spouse":
                    gender = "female" if self.off_gender[o] == "male" else "male"
                    name, year = names.person_name(rng, gender), year + rng.randint(-3, 4)
                elif relation == "child":
                    gender = rng.choice(("male", "female"))
                    name = names.person_name(rng, gender, self.off_surname[o])
                    year = min(year + rng.randint(24, 34), self.today.year - 1)
                elif relation == "parent":
                    gender = rng.choice(("male", "female"))
                    family = self.off_surname[o] if gender == "male" else None
                    name, year = names.person_name(rng, gender, family), year - rng.randint(22, 32)
                else:
                    gender = rng.choice(("male", "female"))
                    name, year = names.person_name(rng, gender), year + rng.randint(-10, 10)
                keys = self._keys(name)
                pid = self._id("person")
                self.w.add(Person, fields, [
                    pid, *self._who(at, coord), "family", None, name, keys.full, keys.initials,
                    gender, date(year, rng.randint(1, 12), rng.randint(1, 28)).isoformat(),
                    None, None, "", None, names.phone(rng) if rng.random() < 0.6 else None,
                    None])
                link_id += 1
                self.w.add(FamilyLink, ("id", *_TRACKED, "person", "officer", "relation"),
                           [link_id, *self._who(at, coord), pid, self.first_officer + o,
                            relation])
                self.families.append((pid, o))
                self.family_of.setdefault(o, []).append(pid)
            self._flush_if(Person)
        self.others: list[int] = []
        for _i in range(self.spec.others):
            gender = rng.choice(("male", "female"))
            name = names.person_name(rng, gender)
            keys = self._keys(name)
            pid = self._id("person")
            u = rng.randrange(len(self.plan))
            self.w.add(Person, fields, [
                pid, *self._who(at, coord), "other", None, name, keys.full, keys.initials,
                gender, date(rng.randint(1955, 2002), rng.randint(1, 12),
                             rng.randint(1, 28)).isoformat(),
                self.unit_ids[u], None, rng.choice(("辅警", "退休民警", "文职人员")), None,
                names.phone(rng), None])
            self.others.append(pid)
        self._commit()

    # -- assessments ----------------------------------------------------------------------------

    def _definition(self, code: str) -> InstrumentDefinition:
        defn = self.defs.get(code)
        if defn is None:
            defn = self.defs[code] = builtin(code)
        return defn

    def _responses(self, code: str, level: int) -> list[int | None]:
        """Answers of a person at distress ``level`` (0–3), per item, as printed on the form."""
        rng, defn = self.rng, self._definition(code)
        if code == "pss10":  # everyday stress is common: shift healthy answers up a little
            level = min(3, level + 1)
        span = defn.response_max - defn.response_min + 1
        table = _RESP_4 if span == 4 else _RESP_5
        offsets = rng.choices(range(span), cum_weights=table[level], k=defn.item_count)
        values: list[int | None] = []
        for item, off in enumerate(offsets, start=1):
            if code == "phq9" and item == 9:  # thoughts of self-harm only when distressed
                off = 0 if level < 2 else rng.choices(range(4), weights=(
                    (85, 15, 0, 0) if level == 2 else (50, 30, 15, 5)))[0]
            elif code == "scl90" and item in (15, 59, 63) and level < 3:
                off = min(off, 1)
            value = defn.response_min + off
            if item in defn.reversed_items:
                value = defn.response_min + defn.response_max - value
            values.append(value)
        roll = rng.random()
        if code in ("phq9", "gad7") and roll < 0.003:
            values[rng.randrange(len(values))] = None  # one missing item: prorated
        elif code == "scl90" and roll < 0.002:
            for item in rng.sample(range(len(values)), 2):
                values[item] = None  # incomplete form
        return values

    def _score(self, code: str, responses: list[int | None]) -> ScoreResult:
        key = (code, tuple(responses))
        result = self.score_cache.get(key)
        if result is None:
            if len(self.score_cache) > 200_000:
                self.score_cache.clear()
            result = self.score_cache[key] = score(self._definition(code), responses)
        return result

    def _assessment(self, person: int, code: str, level: int, on: date, by: int,
                    census: int | None, source: str) -> tuple[int, ScoreResult]:
        """Buffer one scored assessment; record its tier evidence; return id and result."""
        responses = self._responses(code, level)
        result = self._score(code, responses)
        aid = self._id("assessment")
        moment = min(self.now - timedelta(minutes=1),
                     self._at(on, self.rng.randint(9 * 3600, 17 * 3600)))
        at = iso(moment)
        self.w.add(Assessment, _ASSESSMENT_FIELDS, [
            aid, *self._who(at, by), person, code, result.version, on.isoformat(),
            _json(responses), result.total, _json(dict(result.subscales)), result.band,
            _json(flags_of(result)), result.screen_positive, result.complete, census, source])
        self._evidence(person, moment,
                       policy_rules.AssessmentFacts(result, tuple(responses), aid))
        return aid, result

    # -- incidents ------------------------------------------------------------------------------

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
            self.w.add(IncidentExposure, ("incident", "person", "role", *_TRACKED),
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
                "by", "note", "session", *_TRACKED), [
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
        self.w.add(Incident, ("id", *_TRACKED, "kind", "title", "occurred_at", "reported_at",
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
            risk = _RISK_CRISIS.draw(rng)
        elif early:
            risk = rng.choices(_RISKS, weights=(30, 45, 20, 5, 0))[0]
        else:
            risk = rng.choices(_RISKS, weights=(55, 35, 9, 1, 0))[0]
        topics = ["trauma", *rng.sample(("work_stress", "emotional", "health_sleep"),
                                        rng.randint(0, 2))]
        self.incident_sessions += 1
        return self._session_row(person, counselor, done, rng.randint(*_DURATION[channel]),
                                 channel, "post_incident", topics, risk, None, incident, None)

    # -- sessions -------------------------------------------------------------------------------

    def _session_row(self, person: int | None, counselor: int, started: datetime,
                     duration: int, channel: str, kind: str, topics: Sequence[str], risk: str,
                     follow_up: date | None, incident: int | None,
                     caller: str | None) -> int:
        """Buffer one session (and its topics, maybe an addendum); returns its id."""
        rng = self.rng
        sid = self._id("counseling_session")
        created_dt = min(self.now, started + timedelta(minutes=duration + rng.randint(5, 90)))
        created = iso(created_dt)
        locked_dt = started + timedelta(days=7)
        locked = iso(locked_dt) if locked_dt <= self.now else None
        if risk == "high":
            referral = rng.choices(("none", "psychiatry", "hospital"), weights=(30, 50, 20))[0]
        elif risk == "imminent":
            referral = rng.choices(("hospital", "psychiatry"), weights=(70, 30))[0]
        elif risk == "moderate" and rng.random() < 0.1:
            referral = "external_counselor"
        else:
            referral = "none" if rng.random() < 0.995 else "other"
        sensitive = any(t in ("marriage_family", "substance") for t in topics)
        sealed = rng.random() < (0.08 if sensitive else 0.015)
        note = names.session_note(rng, channel, topics, risk, follow_up is not None)
        row: Row = [sid, *self._who(created, counselor), person, counselor, iso(started),
                    duration, channel, kind, note, risk, names.intervention(rng, risk),
                    referral, follow_up.isoformat() if follow_up else None, None, None,
                    incident, sealed, locked, caller]
        self.w.add(CounselingSession, _SESSION_FIELDS, row)
        self.buffered[sid] = row
        for topic in topics:
            self.w.add(SessionTopic, ("session", "topic"), [sid, topic])
        if locked and rng.random() < 0.004:
            at = min(self.now, locked_dt + timedelta(days=rng.uniform(1, 30)))
            self.w.add(SessionAddendum, ("session", "text", "by", "at"),
                       [sid, rng.choice(names.ADDENDA), counselor, iso(at)])
        # policy.md: risk high/imminent suggests red, moderate yellow; old yellow evidence
        # is left out so that years of moderate sessions do not flood the tier history
        if person is not None and risk in self.risky and (
                risk in ("high", "imminent") or self.now - started <= timedelta(
                    days=CURRENT_DAYS)):
            self._evidence(person, started, policy_rules.SessionRiskFacts(risk, sid))
        return sid

    def _close(self, origin: int, at: str, by: int) -> None:
        row = self.buffered.get(origin)
        if row is not None:
            row[_S_CLOSED_AT], row[_S_CLOSED_BY] = at, by
            return
        self.w.update('UPDATE "counseling_session" SET "follow_up_closed_at" = ?, '
                      '"follow_up_closed_by_id" = ? WHERE "id" = ?', (at, by, origin))

    def sessions(self) -> None:
        """Two years of sessions, day by day, in the order they happened.

        Each day gets its share of the total (weekdays more, a slow upward trend, today
        only up to now); follow-ups planned by earlier sessions come back on their date and
        close what they follow up; three reserved officers carry follow-ups due today, due
        this week and overdue, so those dashboard lists are never empty.
        """
        rng, spec = self.rng, self.spec
        active = [o for o in range(spec.officers) if not self.off_archived[o]]
        reserved = sorted(rng.sample(active, min(3, len(active))))
        pool = [o for o in active if o not in reserved]
        frequent = [o for o in pool if self.off_level[o] >= 2 or rng.random() < 0.25] or pool
        # (day index) -> (reserved officer, follow-up offset from today in days); "later
        # this week" lies before Sunday (on a Sunday there is no later day this week)
        later = max(1, min(3, 6 - self.today.weekday()))
        showcase = {d: plan for d, plan in ((DAYS - 12, (0, -3)), (DAYS - 5, (1, 0)),
                                            (DAYS - 2, (2, later))) if plan[0] < len(reserved)}
        quota = spec.sessions - self.incident_sessions - len(showcase)
        now_seconds = (self.now - self._at(self.today, 0)).total_seconds()
        today_share = max(0.0, min(1.0, (now_seconds - 8.5 * 3600) / (10 * 3600)))
        weights = []
        for d in range(DAYS + 1):
            day = self.start + timedelta(days=d)
            w = (1.0 if day.weekday() < 5 else 0.35) * (0.85 + 0.3 * d / DAYS)
            weights.append(w * today_share if d == DAYS else w)
        targets = list(accumulate(names.share_out(quota, weights)))  # running totals
        self.seen = bytearray(self.next_id["person"] + 1)
        self.pending: dict[int, list[tuple[int, date]]] = {}
        heap: list[tuple[int, int, int, int]] = []  # (day index, seq, person, origin session)
        seq = 0
        emitted = 0
        for d in range(DAYS + 1):
            day = self.start + timedelta(days=d)
            remaining = quota - emitted
            fixed: list[tuple[int, date]] = []
            if d in showcase:
                who, offset = showcase[d]
                fixed.append((reserved[who], self.today + timedelta(days=offset)))
            due: list[tuple[int, int]] = []
            while heap and heap[0][0] <= d:
                _when, _seq, returning, origin = heapq.heappop(heap)
                due.append((returning, origin))
            due = due[:remaining]
            # returning follow-ups come first; fresh sessions fill up to the running target
            fresh = max(0, targets[d] - emitted - len(due))
            for index, promised in fixed:
                self._fresh(day, self.first_officer + index, index, "intake", promised)
            made: list[tuple[int | None, int, date | None]] = []
            for returning, origin in due:
                made.append((returning, *self._fresh(
                    day, returning, self._officer_index(returning), "follow_up", None, origin)))
            for _i in range(fresh):
                person, o = self._pick(day, pool, frequent)
                kind = "intake"
                if person is not None and self.seen[person]:
                    kind = _RETURN_KIND.draw(rng)
                    if kind == "crisis" and (o is None or self.off_level[o] < 2):
                        kind = "routine"  # crises come from officers in distress
                made.append((person, *self._fresh(day, person, o, kind,
                                                  self._draw_follow_up(day, person, kind))))
            for client, sid, follow_up in made:
                # planned follow-ups happen (a few days late at most); about a third of those
                # due in the last three weeks are still open: the overdue list
                if client is None or follow_up is None or follow_up > self.today:
                    continue
                if (self.today - follow_up).days > 21 or rng.random() >= 0.35:
                    when = (follow_up + timedelta(days=rng.randint(0, 2)) - self.start).days
                    if when <= DAYS:
                        seq += 1
                        heapq.heappush(heap, (when, seq, client, sid))
            emitted += len(due) + fresh
            if self.w.pending(CounselingSession) >= CHUNK:
                self._commit()
        self._commit()
        self._done("counseling_session", spec.sessions)

    def _draw_follow_up(self, day: date, person: int | None, kind: str) -> date | None:
        """The planned follow-up date of a fresh session (None for none)."""
        rng = self.rng
        if person is None:
            return None
        if kind == "crisis":
            return day + timedelta(days=rng.randint(1, 3))
        if rng.random() < 0.25:
            return day + timedelta(days=rng.choice((7, 7, 14, 14, 21, 30)))
        return None

    def _officer_index(self, person: int) -> int | None:
        o = person - self.first_officer
        if 0 <= o < self.spec.officers:
            return o
        return None

    def _pick(self, day: date, pool: list[int], frequent: list[int]) -> tuple[int | None,
                                                                               int | None]:
        """Who comes to a fresh session: (person id or None for anonymous, officer index)."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.06:
            return None, None
        if roll < 0.14 and self.families:
            pid, o = rng.choice(self.families)
            return pid, o
        if roll < 0.15 and self.others:
            return rng.choice(self.others), None
        for _try in range(6):
            o = rng.choice(frequent) if rng.random() < 0.5 else rng.choice(pool)
            if self.off_since[o] <= day:
                break
        return self.first_officer + o, o

    def _fresh(self, day: date, person: int | None, o: int | None, kind: str,
               follow_up: date | None, origin: int | None = None
               ) -> tuple[int, date | None]:
        """Generate one session on ``day`` for ``person`` (None: anonymous caller) and close
        the person's follow-ups that are due (and ``origin``, the one it follows up);
        returns its id and the follow-up date it plans."""
        rng = self.rng
        family = person is not None and o is not None and person != self.first_officer + o
        if person is None:
            channel = "hotline"
            caller = rng.choice(("匿名来电", "匿名来电（自称民警）", "匿名来电（自称家属）",
                                 "匿名来电（男）", "匿名来电（女）"))
        else:
            channel = _CHANNEL.draw(rng)
            caller = None
        if kind == "follow_up" and channel in ("group", "on_scene"):
            channel = "face_to_face"
        lo, hi = (7 * 3600, 23 * 3600) if channel == "hotline" else (8 * 3600 + 1800, 20 * 3600)
        if day == self.today:
            hi = min(hi, int((self.now - self._at(day, 0)).total_seconds()) - 900)
            lo = min(lo, max(0, hi - 3600))
        started = self._at(day, rng.randint(lo, max(lo, hi)))
        duration = rng.randint(*_DURATION[channel])
        topic_choice = _TOPIC_FAMILY if family else _TOPIC_OFFICER
        topics: list[str] = []
        for _n in range(_TOPIC_COUNT.draw(rng)):
            topic = topic_choice.draw(rng)
            if topic not in topics:
                topics.append(topic)
        if kind == "crisis":
            risk = _RISK_CRISIS.draw(rng)
        elif o is not None and not family and self.off_level[o] >= 2:
            risk = _RISK_DISTRESSED.draw(rng)
        else:
            risk = _RISK_BASE.draw(rng)
        if person is not None and follow_up is None and risk in ("moderate", "high",
                                                                 "imminent") and (
                rng.random() < 0.9):
            follow_up = day + timedelta(days=7 if risk == "moderate" else rng.randint(1, 3))
        if person is None:
            counselor = rng.choice(self.counselors)
        else:
            unit = self.off_unit[o] if o is not None else None
            counselor = (self.unit_counselor[unit] if unit is not None and rng.random() < 0.75
                         else rng.choice(self.counselors))
        sid = self._session_row(person, counselor, started, duration, channel, kind, topics,
                                risk, follow_up, None, caller)
        if person is None:
            return sid, None
        self.seen[person] = 1
        waiting = self.pending.pop(person, None)
        if waiting:
            # as sessions.log_session: close the person's follow-ups due up to the end
            # (Sunday) of this session's week, at the moment the session was entered
            at = self.buffered[sid][1]
            week_end = day + timedelta(days=6 - day.weekday())
            keep = []
            for pending_id, due in waiting:
                if due <= week_end or pending_id == origin:
                    self._close(pending_id, at, sid)
                else:
                    keep.append((pending_id, due))
            if keep:
                self.pending[person] = keep
        if follow_up is not None:
            self.pending.setdefault(person, []).append((sid, follow_up))
        if o is not None and not family and kind in ("intake", "routine") and (
                rng.random() < 0.006):
            self._assessment(person, "k10", self.off_level[o], day, counselor, None, "manual")
        return sid, follow_up

    # -- census ---------------------------------------------------------------------------------

    def census(self) -> None:
        """Two campaigns over every unit: last year's (PHQ-9, GAD-7, SCL-90; closed, figures
        frozen as :func:`counselor_tui.services.census.close_census` freezes them) and this
        year's, open now (PHQ-9, GAD-7, PSS-10; about 60 % screened so far). Answers follow
        each officer's latent distress; every form is scored by the real engine. Then a
        PCL-5 a month after each incident for those involved."""
        rng, spec = self.rng, self.spec
        year = self.today.year
        plans = (
            (date(year - 1, 4, 1), date(year - 1, 5, 31), ("phq9", "gad7", "scl90"), 0.95),
            (self.today - timedelta(days=21), self.today + timedelta(days=30),
             ("phq9", "gad7", "pss10"), 0.6),
        )
        coord = self.coordinator
        self.census_windows = [(start, end) for start, end, _codes, _share in plans]
        ids = []
        for start, end, instruments, _share in plans:
            cid = self._id("census")
            ids.append(cid)
            made = iso(self._at(start - timedelta(days=10), 10 * 3600))
            self.w.add(Census, ("id", *_TRACKED, "name", "starts_on", "ends_on", "instruments",
                                "status"),
                       [cid, *self._who(made, coord), f"{start.year}年度全警心理健康普查",
                        start.isoformat(), end.isoformat(), _json(list(instruments)), "open"])
            for unit_id in self.unit_ids:
                self.w.add(CensusUnit, ("census", "unit"), [cid, unit_id])
        self._commit()
        rows = 0
        for cid, (start, end, instruments, share) in zip(ids, plans, strict=True):
            past = end < self.today
            last = end if past else self.today - timedelta(days=1)
            window = max(1, (last - start).days + 1)
            for o in range(spec.officers):
                if self.off_since[o] > start or (not past and self.off_archived[o]):
                    continue
                roll = rng.random()
                taken: tuple[str, ...]
                if roll < share:
                    taken = instruments
                elif roll < share + 0.04:
                    taken = instruments[: rng.randint(1, len(instruments) - 1)]
                else:
                    continue
                on = start + timedelta(days=rng.randrange(window))
                level = self.off_level_past[o] if past else self.off_level[o]
                by = self.unit_counselor[self.off_unit[o]]
                source = "import" if rng.random() < 0.7 else "manual"
                for code in taken:
                    self._assessment(self.first_officer + o, code, level, on, by, cid, source)
                    rows += 1
                self._flush_if(Assessment)
            self._commit()
        self._freeze(ids[0], plans[0][1])
        # PCL-5 a month after a critical incident, for those involved or injured
        for person, reported in self.exposed:
            on = (reported + timedelta(days=30)).date()
            index = self._officer_index(person)
            if on < self.today and index is not None:
                level = max(self.off_level[index], 1 if rng.random() < 0.3 else 0)
                self._assessment(person, "pcl5", level, on,
                                 self.unit_counselor[self.off_unit[index]], None, "manual")
                rows += 1
        self._commit()
        self._done("assessment", rows)

    def _freeze(self, census_id: int, ended: date) -> None:
        """Close last year's campaign: its figures, computed by the census service exactly
        as for a live campaign, frozen as of five days after it ended."""
        closed_at = iso(self._at(ended + timedelta(days=5), 17 * 3600))
        figures = census_service.figures(self.vs, census_id).to_json()
        figures["as_of"] = closed_at
        with self.vs.transaction():
            self.vs.execute(
                'UPDATE "census" SET "status" = ?, "closed_at" = ?, "frozen_figures" = ?, '
                '"updated_at" = ? WHERE "id" = ?',
                ("closed", closed_at, _json(figures), closed_at, census_id))
            audit.record(self.vs, "demo_generate", "census", census_id, {"closed": True})

    # -- tiers ----------------------------------------------------------------------------------

    def tiers(self) -> None:
        """TierState for every officer, with the TierChange history and TierSuggestions
        that the collected evidence implies (policy.md: a suggestion only ever raises a tier;
        lowering is a counselor's decision with a written reason).

        Evidence older than :data:`CURRENT_DAYS` raised the tier back then and was lowered
        again two to five months later; the highest current evidence holds the tier now,
        except for a few recent ones still waiting as a pending suggestion.
        """
        window = self.now - timedelta(days=CURRENT_DAYS)
        recent = self.now - timedelta(days=14)
        # about a fifth of the officers with fresh evidence still wait for a decision
        fresh = [p for p, events in self.evidence.items() if any(e.at >= recent for e in events)]
        waiting = set(self.rng.sample(fresh, max(1, len(fresh) // 5))) if fresh else set()
        for o in range(self.spec.officers):
            person = self.first_officer + o
            by = self.unit_counselor[self.off_unit[o]]
            track = _TierTrack(self, person, by, self.off_since[o])
            events = sorted(self.evidence.get(person, []), key=lambda e: (e.at, -e.level))
            lower_at: datetime | None = None
            for ev in (e for e in events if e.at < window):
                if lower_at is not None and lower_at < ev.at:
                    track.change(0, lower_at, None)
                    lower_at = None
                if ev.level > track.tier:
                    track.change(ev.level, ev.at + timedelta(hours=self.rng.randint(4, 72)), ev)
                if track.tier:
                    lower_at = ev.at + timedelta(days=self.rng.randint(60, 150))
            if lower_at is not None and lower_at < window:
                track.change(0, lower_at, None)
            current = [e for e in events if e.at >= window]
            if current:
                top = max(current, key=lambda e: (e.level, -e.at.timestamp()))
                if top.level > track.tier:
                    if person in waiting and top.at >= recent:
                        track.suggest(top)
                    else:
                        track.change(top.level, top.at + timedelta(
                            hours=self.rng.randint(2, 48)), top)
            track.state()
            self._flush_if(TierState)
        self._commit()
        self._done("tier_state", self.spec.officers)

    # -- firearms -------------------------------------------------------------------------------

    def firearms(self) -> None:
        """A few restrictions in each status, for distinct officers: recommendations and
        suspensions for red-tier officers, reinstatements after incidents, the named
        decision-makers of the 政治处, review dates of the incident policy."""
        rng = self.rng
        n = max(1, min(40, round(self.spec.officers ** 0.5 / 12)))
        with self.vs.reading():
            red = [int(r[0]) for r in self.vs.execute(
                "SELECT person_id FROM tier_state WHERE tier = 'red' ORDER BY person_id")]
        used: set[int] = set()
        candidates = [self.first_officer + o for o in range(self.spec.officers)
                      if not self.off_archived[o]]

        def pick(prefer: list[int]) -> int:
            for source in (prefer, candidates):
                free = [p for p in source if p not in used]
                if free:
                    choice = rng.choice(free)
                    used.add(choice)
                    return choice
            raise RuntimeError("no officer left for a firearm restriction")

        review_days = self.incident_policy.firearm_review_days
        fields = ("id", "person", "status", "reason_code", "recommended_by", "recommended_at",
                  "review_on", "note", *_TRACKED)
        event_fields = ("restriction", "kind", "outcome", "on_date", "decided_by_name",
                        "reason_code", "next_review_on", "by", "at", "not_kept")
        post_incident = [p for p, _at in self.exposed]
        for status in ("recommended", "suspended", "revoked", "reinstated", "declined"):
            for _i in range(n):
                person = pick(red if status in ("recommended", "suspended") else
                              post_incident if status == "reinstated" else [])
                o = person - self.first_officer
                by = self.unit_counselor[self.off_unit[o]]
                age = {"recommended": (1, 10), "suspended": (15, 120), "revoked": (60, 400),
                       "reinstated": (150, 600), "declined": (20, 300)}[status]
                recommended = self.now - timedelta(days=rng.randint(*age), hours=rng.randint(0, 8))
                reason = rng.choices(("mh_assessment_pending", "mh_treatment", "post_incident",
                                      "other"), weights=(40, 30, 20, 10))[0]
                rid = self._id("firearm_restriction")
                # as services.firearms stores them: one event per step, each with its own
                # decision-maker and date; the restriction keeps the status and next review
                events: list[Row] = [[rid, "recommended", None, recommended.date().isoformat(),
                                      None, reason, None, by, iso(recommended), "[]"]]
                decided = None if status == "recommended" else (
                    recommended + timedelta(days=rng.randint(1, 5))).date()
                review = None
                last_at = recommended
                if decided is not None:
                    outcome = status if status in ("suspended", "revoked", "declined") else \
                        rng.choice(("suspended", "revoked"))
                    due = decided + timedelta(days=review_days)
                    last_at = self._at(decided, 10 * 3600)
                    events.append([rid, "decided", outcome, decided.isoformat(),
                                   rng.choice(self.decision_makers), None,
                                   None if outcome == "declined" else due.isoformat(),
                                   self.coordinator, iso(last_at), "[]"])
                    if status in ("suspended", "revoked"):
                        # each review held so far changed nothing: a new review date
                        while due < self.today - timedelta(days=rng.randint(0, 10)):
                            held, due = due, due + timedelta(days=review_days)
                            last_at = self._at(held, 11 * 3600)
                            events.append([rid, "reviewed", "no_change", held.isoformat(),
                                           rng.choice(self.decision_makers), None,
                                           due.isoformat(), self.coordinator, iso(last_at),
                                           "[]"])
                        review = due.isoformat()
                    elif status == "reinstated":  # reinstated after the review
                        ended = min(self.today, decided + timedelta(days=rng.randint(60, 120)))
                        last_at = self._at(ended, 11 * 3600)
                        events.append([rid, "reinstated", "reinstated", ended.isoformat(),
                                       rng.choice(self.decision_makers), None, None,
                                       self.coordinator, iso(last_at), "[]"])
                note = {"recommended": "待政治处决定", "suspended": "暂停配枪资格，到期复核",
                        "revoked": "取消配枪资格", "reinstated": "复核通过，恢复配枪资格",
                        "declined": "经研究不予暂停，加强关注"}[status]
                self.w.add(FirearmRestriction, fields, [
                    rid, person, status, reason, by, iso(recommended), review, note,
                    iso(recommended), by, iso(last_at),
                    self.coordinator if decided else by])
                for event in events:
                    self.w.add(FirearmEvent, event_fields, event)
        self._commit()
        self._done("firearm_restriction", 5 * n)

    # -- activities -----------------------------------------------------------------------------

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
            self.w.add(InterestGroup, ("id", *_TRACKED, "name", "lead", "members", "active"),
                       [gid, *self._who(at, coord), f"{title}兴趣小组", lead, members, active])
            if active:
                groups.append((gid, title))
        scale = max(1, len(self.plan) // 20)
        fields = ("id", *_TRACKED, "kind", "title", "date", "unit", "group", "participants",
                  "hours", "note", "version")
        version_fields = ("activity", "version", "kind", "title", "date", "unit", "group",
                          "participants", "hours", "note", "counselor_ids", "replaced_at",
                          "replaced_by")
        count = 0
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
        training_fields = ("id", "user", "date", "title", "hours", "provider", *_TRACKED,
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
        self._commit()
        self._done("activity", count)


class _TierTrack:
    """One officer's tier as the evidence is replayed: writes TierChange and TierSuggestion
    rows the way :mod:`counselor_tui.services.tier_policy` does (a confirmed suggestion's
    change carries the suggestion's evidence plus its id and the rule's label as reason),
    then the TierState row."""

    CHANGE = ("id", "person", "from_tier", "to_tier", "reason", "evidence", "suggested", "by",
              "at")
    SUGGESTION = ("id", "person", "tier", "rule", "evidence", "status", "created_at",
                  "resolved_at", "resolved_by", "change")
    STATE = ("person", "tier", "since", "review_due", *_TRACKED)

    def __init__(self, builder: _Builder, person: int, by: int, since: date) -> None:
        self.b = builder
        self.person = person
        self.by = by
        self.tier = 0
        self.since = self.entered = since
        self.changed_at: str | None = None

    def change(self, new: int, at: datetime, ev: _Evidence | None) -> None:
        """Record a change to tier ``new`` at ``at``: a confirmed suggestion when ``ev`` is
        given, else a counselor's lowering with a written reason."""
        b = self.b
        stamp = iso(min(at, b.now - timedelta(minutes=10)))
        tid = b._id("tier_change")
        if ev is None:
            reason, evidence = b.rng.choice(_REASONS_DOWN), {}
        else:
            sid = b._id("tier_suggestion")
            reason = b.tier_policy.rule_label(ev.rule, "zh")
            evidence = {**ev.evidence, "suggestion": sid}
            b.w.add(TierSuggestion, self.SUGGESTION, [
                sid, self.person, _TIERS[new], ev.rule, _json(ev.evidence), "confirmed",
                iso(ev.at), stamp, self.by, tid])
        b.w.add(TierChange, self.CHANGE, [
            tid, self.person, _TIERS[self.tier], _TIERS[new], reason, _json(evidence),
            ev is not None, self.by, stamp])
        self.tier, self.since, self.changed_at = new, date.fromisoformat(stamp[:10]), stamp

    def suggest(self, ev: _Evidence) -> None:
        """Leave ``ev`` as a pending suggestion (the counselor has not decided yet)."""
        self.b.w.add(TierSuggestion, self.SUGGESTION, [
            self.b._id("tier_suggestion"), self.person, _TIERS[ev.level], ev.rule,
            _json(ev.evidence), "pending", iso(ev.at), None, None, None])

    def state(self) -> None:
        """The TierState row. Review due (policy ``review_due``): red 7 / yellow 30 days
        after the tier was set, rolled forward by the reviews held since; green at the end
        of the next census."""
        b = self.b
        tier = _TIERS[self.tier]
        due = policy_rules.review_due(b.tier_policy, tier, self.since, b.census_windows)
        while due < b.today - timedelta(days=b.rng.randint(0, 5)):
            due = policy_rules.review_due(b.tier_policy, tier, due, b.census_windows)
        entered = iso(b._at(self.entered, 10 * 3600))  # with the person, from the roster
        b.w.add(TierState, self.STATE, [
            self.person, tier, self.since.isoformat(), due.isoformat(), entered,
            b.coordinator, self.changed_at or entered,
            self.by if self.changed_at else b.coordinator])

