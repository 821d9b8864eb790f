"""The demo builder's shared state and helpers: the row writer, weighted choices, the
vocabularies and the helpers more than one phase uses (ids, times, assessments, sessions)."""

from __future__ import annotations

import functools
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from itertools import accumulate
from typing import Any, Generic, TypeVar

from counselor_tui.demo.sizes import CHUNK, CURRENT_DAYS, DAYS, DemoSize
from counselor_tui.domain import demo_names as names
from counselor_tui.domain import incidents as incident_rules
from counselor_tui.domain import policy as policy_rules
from counselor_tui.domain.instruments import InstrumentDefinition, ScoreResult, builtin, score
from counselor_tui.domain.pinyin import NameKeys, name_keys
from counselor_tui.i18n import N_, _
from counselor_tui.services import audit
from counselor_tui.services.assessments import flags_of
from counselor_tui.services.context import VaultSession, iso
from db.models import (
    Assessment,
    BaseModel,
    CounselingSession,
    JSONField,
    SessionAddendum,
    SessionTopic,
)

Row = list[Any]


T = TypeVar("T")


_JSON_FIELD = JSONField()


def stored_json(value: Any) -> str:
    """JSON text exactly as :class:`db.models.JSONField` stores it."""
    return str(_JSON_FIELD.db_value(value))



#: What each build phase writes, for the progress lines (never the table names).
PHASE_LABELS: dict[str, str] = {
    "unit": N_("units"), "user": N_("accounts"), "person": N_("persons"),
    "incident": N_("incidents"), "counseling_session": N_("counseling sessions"),
    "assessment": N_("assessments"), "tier_state": N_("archive tiers"),
    "firearm_restriction": N_("firearm restrictions"), "activity": N_("activities"),
    "org_member": N_("Organisation"),
}

class Choice(Generic[T]):
    """A weighted choice with its cumulative weights computed once (the hot loops draw
    millions of times; ``random.choices`` would rebuild them on every call)."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cum = tuple(accumulate(weights))
        self.total = self.cum[-1]

    def draw(self, rng: random.Random) -> T:
        return self.items[bisect_right(self.cum, rng.random() * self.total)]


def below(bits: Callable[[int], int], n: int) -> int:
    """``random.Random._randbelow`` (``n`` > 0) through ``bits`` (the generator's
    ``getrandbits``): the very draws of ``randrange``/``randint``/``choice``, so one seed
    gives what it gave, without their layers of calls (the hot loops draw millions)."""
    k = n.bit_length()
    x = bits(k)
    while x >= n:
        x = bits(k)
    return x


def between(bits: Callable[[int], int], lo: int, hi: int) -> int:
    """``randint(lo, hi)`` through :func:`below`."""
    return lo + below(bits, hi - lo + 1)


def pick(bits: Callable[[int], int], items: Sequence[T]) -> T:
    """``choice(items)`` through :func:`below`."""
    return items[below(bits, len(items))]


@functools.cache
def _clock() -> tuple[str, ...]:
    """"HH:MM:SS" of every second of a day (5 MB: made by the first build, not at import —
    the command line imports this package)."""
    return tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400))


class Stamps:
    """Storage-form times (:func:`counselor_tui.services.context.iso`) of moments given as
    a day index from ``start`` and seconds after that day's midnight (wall clock, as
    :meth:`BuilderBase._at`), from per-day text pieces instead of a ``datetime`` per moment.
    A day whose UTC offset changes (a DST switch) takes the ``datetime`` path."""

    def __init__(self, start: date, tz: Any) -> None:
        self.start = start
        self.tz = tz
        self.days: dict[int, tuple[str, str] | None] = {}
        self.dates: dict[int, str] = {}
        self.clock = _clock()

    def day(self, d: int) -> str:
        """The storage form (ISO date) of day index ``d``."""
        try:
            return self.dates[d]
        except KeyError:
            text = self.dates[d] = (self.start + timedelta(days=d)).isoformat()
            return text

    def _pieces(self, d: int) -> tuple[str, str] | None:
        day = self.start + timedelta(days=d)
        first = datetime.combine(day, dtime(), tzinfo=self.tz)
        last = datetime.combine(day, dtime(23, 59, 59), tzinfo=self.tz)
        if first.utcoffset() != last.utcoffset():
            return None
        return day.isoformat() + "T", iso(first)[19:]

    def at(self, d: int, seconds: int) -> str:
        """The stamp of ``seconds`` (may exceed a day) after midnight of day ``d``."""
        d += seconds // 86400
        seconds %= 86400
        try:
            parts = self.days[d]
        except KeyError:
            parts = self.days[d] = self._pieces(d)
        if parts is None:
            return iso(datetime.combine(self.start + timedelta(days=d), dtime(),
                                        tzinfo=self.tz) + timedelta(seconds=seconds))
        return parts[0] + self.clock[seconds] + parts[1]


DURATION = {"face_to_face": (40, 90), "hotline": (10, 45), "online": (30, 60),
             "visit": (20, 60), "email": (15, 30), "group": (60, 120), "on_scene": (15, 60)}


TOPICS = ("work_stress", "interpersonal", "emotional", "children_education", "marriage_family",
           "health_sleep", "finance", "trauma", "substance", "other")


RISKS = ("none", "low", "moderate", "high", "imminent")


RISK_CRISIS = Choice(RISKS, (0, 10, 50, 32, 8))


_REFERRAL_HIGH = Choice(("none", "psychiatry", "hospital"), (30, 50, 20))


_REFERRAL_IMMINENT = Choice(("hospital", "psychiatry"), (70, 30))


#: Response distributions by distress level for 4- and 5-point scales, as running sums of
#: the probabilities of answering min, min+1, ….
_RESP_4 = tuple(tuple(accumulate(p)) for p in (
    (0.80, 0.17, 0.025, 0.005), (0.50, 0.35, 0.12, 0.03), (0.22, 0.38, 0.28, 0.12),
    (0.08, 0.22, 0.35, 0.35)))


_RESP_5 = tuple(tuple(accumulate(p)) for p in (
    (0.78, 0.17, 0.04, 0.008, 0.002), (0.45, 0.35, 0.15, 0.04, 0.01),
    (0.20, 0.33, 0.28, 0.14, 0.05), (0.07, 0.18, 0.30, 0.27, 0.18)))


_SESSION_FIELDS = (
    "id", "created_at", "created_by", "updated_at", "updated_by", "person", "counselor",
    "started_at", "duration_min", "channel", "kind", "note", "risk", "intervention", "referral",
    "follow_up_on", "follow_up_closed_at", "follow_up_closed_by", "incident", "sealed",
    "locked_at", "caller_label",
)


S_CLOSED_AT = _SESSION_FIELDS.index("follow_up_closed_at")


_ASSESSMENT_FIELDS = (
    "id", "created_at", "created_by", "updated_at", "updated_by", "person", "instrument_code",
    "instrument_version", "administered_on", "responses", "total", "subscales", "band",
    "flags", "positive", "complete", "census", "source",
)


_A_ON = _ASSESSMENT_FIELDS.index("administered_on")


#: Complete answer sheets kept per instrument and distress level, then drawn again.
FORMS = 200


TRACKED = ("created_at", "created_by", "updated_at", "updated_by")


@dataclass(frozen=True)
class _Form:
    """A scored answer sheet: the engine's result, the answers, the assessment columns
    from ``instrument_code`` to ``complete`` (``administered_on`` filled per row) and
    whether the tier policy makes it yellow or red evidence."""

    result: ScoreResult
    responses: tuple[int | None, ...]
    columns: list[Any]
    flagged: bool


@dataclass
class Evidence:
    """One piece of tier evidence (policy.md): level 1 yellow / 2 red, rule, ids, moment."""

    at: datetime
    level: int
    rule: str
    evidence: Mapping[str, Any]


class _Writer:
    """Buffers rows per table and commits them in one transaction per chunk."""

    def __init__(self, vs: VaultSession) -> None:
        self.vs = vs
        self.rows: dict[type[BaseModel], tuple[Sequence[str], list[Any]]] = {}
        self.updates: dict[str, list[tuple[Any, ...]]] = {}

    def table(self, model: type[BaseModel], fields: Sequence[str]) -> list[Any]:
        """The buffer of ``model``'s rows (columns ``fields``): a list kept for the whole
        build (emptied in place by :meth:`commit`), so a hot loop can append to it."""
        entry = self.rows.get(model)
        if entry is None:
            entry = self.rows[model] = (fields, [])
        return entry[1]

    def add(self, model: type[BaseModel], fields: Sequence[str], row: Row) -> None:
        self.table(model, fields).append(row)

    def update(self, sql: str, params: tuple[Any, ...]) -> None:
        """Queue an UPDATE to run after this chunk's inserts."""
        self.updates.setdefault(sql, []).append(params)

    def pending(self, model: type[BaseModel]) -> int:
        entry = self.rows.get(model)
        return len(entry[1]) if entry else 0

    def commit(self) -> None:
        """Write every buffered row and update, one audit event per table."""
        if not self.updates and not any(rows for _fields, rows in self.rows.values()):
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
        for _fields, rows in self.rows.values():
            rows.clear()
        self.updates = {}


class BuilderBase:
    """The generator's state while it fills one vault (ids, officers, evidence) and the
    helpers every phase uses; each phase is a mixin in its own module (:mod:`.builder`
    puts them together in build order)."""

    # set by the phases, in build order (units, users, persons, incidents, sessions, census)
    plan: list[names.UnitSpec]
    unit_ids: list[int]
    coordinator: int
    counselors: list[int]
    unit_counselor: list[int]
    decision_makers: list[str]
    first_officer: int
    off_unit: list[int]
    off_gender: list[str]
    off_birth: list[int]
    off_surname: list[str]
    off_since: list[date]
    off_archived: list[bool]
    off_level: list[int]
    off_level_past: list[int]
    unit_range: list[tuple[int, int]]
    officer_set: range
    families: list[tuple[int, int]]
    family_of: dict[int, list[int]]
    others: list[int]
    incident_sessions: int
    exposed: list[tuple[int, datetime]]
    seen: bytearray
    pending: dict[int, list[tuple[int, int]]]
    since_index: list[int]
    census_windows: list[tuple[date, date]]

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
        self.r = rng.random
        self.bits = rng.getrandbits
        self.stamps = Stamps(self.start, self.tz)
        #: now as seconds after midnight of day index 0 (:attr:`start`), wall clock
        self.now_abs = DAYS * 86400 + int((self.now - self._at(self.today, 0)).total_seconds())
        # the session and topic rows of the chunk, in the writer (see _Writer.add_rows)
        self.session_rows: list[Row] = self.w.table(CounselingSession, _SESSION_FIELDS)
        self.topic_rows: list[Any] = self.w.table(SessionTopic, ("session", "topic"))
        self.assessment_rows: list[Row] = self.w.table(Assessment, _ASSESSMENT_FIELDS)
        self.next_id: dict[str, int] = {}
        self.keys_cache: dict[str, NameKeys] = {}
        self.defs: dict[str, InstrumentDefinition] = {}
        self.forms: dict[tuple[str, int], list[_Form]] = {}
        self.evidence: dict[int, list[Evidence]] = {}
        self.buffered: dict[int, Row] = {}  # session rows not yet written, by id
        self.tier_policy = policy_rules.default_policy()
        self.incident_policy = incident_rules.default_policy()
        self.risky = frozenset(r for r in RISKS if policy_rules.evaluate(
            self.tier_policy, policy_rules.SessionRiskFacts(r), self.today) is not None)
        self.phase_started = time.perf_counter()

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
        """Say that ``phase`` (a table name, shown by its :data:`PHASE_LABELS` name) wrote
        ``rows`` rows."""
        elapsed = time.perf_counter() - self.phase_started
        label = _(PHASE_LABELS[phase]) if phase in PHASE_LABELS else phase
        self.progress(_("demo: {phase} done, {rows} rows, {seconds} s").format(
            phase=label, rows=rows, seconds=f"{elapsed:.1f}"))
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
                Evidence(at, policy_rules.rank(match.tier), match.rule, match.evidence))

    def _definition(self, code: str) -> InstrumentDefinition:
        defn = self.defs.get(code)
        if defn is None:
            defn = self.defs[code] = builtin(code)
        return defn

    def _responses(self, code: str, level: int) -> tuple[list[int | None], bool]:
        """Answers of a person at distress ``level`` (0–3), per item, as printed on the form,
        and whether items were left out (a few forms: PHQ-9 / GAD-7 one item, prorated;
        SCL-90 two, incomplete)."""
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
            return values, True
        if code == "scl90" and roll < 0.002:
            for item in rng.sample(range(len(values)), 2):
                values[item] = None  # incomplete form
            return values, True
        return values, False

    def _form(self, code: str, level: int) -> _Form:
        """A scored answer sheet of instrument ``code`` at distress ``level``: a new one
        until :data:`FORMS` complete sheets of that instrument and level were made, then
        mostly one of those again (scored once by the engine, not once per row — issue 18);
        incomplete sheets are always new."""
        pool = self.forms.setdefault((code, level), [])
        if len(pool) >= FORMS:
            roll = self.r()
            if not (code in ("phq9", "gad7", "scl90") and roll < 0.003):
                return pool[below(self.bits, FORMS)]
        values, missing = self._responses(code, level)
        result = score(self._definition(code), values)
        responses = tuple(values)
        match = policy_rules.evaluate(self.tier_policy,
                                      policy_rules.AssessmentFacts(result, responses), self.today)
        form = _Form(result, responses, [
            code, result.version, None, stored_json(values), result.total,
            stored_json(dict(result.subscales)), result.band, stored_json(flags_of(result)),
            result.screen_positive, result.complete], match is not None and match.tier != "green")
        if not missing:
            pool.append(form)
        return form

    def _assessment(self, person: int, code: str, level: int, on: date, by: int,
                    census: int | None, source: str) -> None:
        """Buffer one scored assessment administered ``on`` and record its tier evidence."""
        form = self._form(code, level)
        aid = self._id("assessment")
        d = (on - self.start).days
        at_abs = min(self.now_abs - 60, d * 86400 + between(self.bits, 9 * 3600, 17 * 3600))
        at = self.stamps.at(0, at_abs)
        row = [aid, at, by, at, by, person, *form.columns, census, source]
        row[_A_ON] = self.stamps.day(d)
        self.assessment_rows.append(row)
        if form.flagged:
            self._evidence(person, self._at(self.start, at_abs), policy_rules.AssessmentFacts(
                form.result, form.responses, aid))

    def _moment(self, moment: datetime) -> tuple[int, int]:
        """``moment`` (bureau time zone) as (day index from :attr:`start`, seconds)."""
        return ((moment.date() - self.start).days,
                moment.hour * 3600 + moment.minute * 60 + moment.second)

    def _session_row(self, person: int | None, counselor: int, d: int, sec: int,
                     duration: int, channel: str, kind: str, topics: Sequence[str], risk: str,
                     follow_up: int | None, incident: int | None,
                     caller: str | None) -> int:
        """Buffer one session started ``sec`` seconds after midnight of day index ``d`` (and
        its topics, maybe an addendum); ``follow_up`` is a day index; returns its id."""
        r, bits = self.r, self.bits
        sid = self._id("counseling_session")
        begun = d * 86400 + sec
        stamp = self.stamps.at
        created = stamp(0, min(self.now_abs, begun + 60 * (duration + between(bits, 5, 90))))
        locked_abs = begun + 7 * 86400
        locked = stamp(0, locked_abs) if locked_abs <= self.now_abs else None
        if risk == "high":
            referral = _REFERRAL_HIGH.draw(self.rng)
        elif risk == "imminent":
            referral = _REFERRAL_IMMINENT.draw(self.rng)
        elif risk == "moderate" and r() < 0.1:
            referral = "external_counselor"
        else:
            referral = "none" if r() < 0.995 else "other"
        sensitive = "marriage_family" in topics or "substance" in topics
        sealed = r() < (0.08 if sensitive else 0.015)
        note = names.session_note(r, bits, channel, topics, risk, follow_up is not None)
        row: Row = [sid, created, counselor, created, counselor, person, counselor,
                    stamp(d, sec), duration, channel, kind, note, risk,
                    names.intervention(bits, risk), referral,
                    self.stamps.day(follow_up) if follow_up is not None else None, None, None,
                    incident, sealed, locked, caller]
        self.session_rows.append(row)
        self.buffered[sid] = row
        topic_rows = self.topic_rows
        for topic in topics:
            topic_rows.append((sid, topic))
        if locked and r() < 0.004:
            locked_dt = self._at(self.start, locked_abs)
            added = min(self.now, locked_dt + timedelta(days=self.rng.uniform(1, 30)))
            self.w.add(SessionAddendum, ("session", "text", "by", "at"),
                       [sid, pick(bits, names.ADDENDA), counselor, iso(added)])
        # policy.md: risk high/imminent suggests red, moderate yellow; old yellow evidence
        # is left out so that years of moderate sessions do not flood the tier history
        if person is not None and risk in self.risky and (
                risk in ("high", "imminent") or self.now_abs - begun <= CURRENT_DAYS * 86400):
            self._evidence(person, self._at(self.start + timedelta(days=d), sec),
                           policy_rules.SessionRiskFacts(risk, sid))
        return sid

    def _officer_index(self, person: int) -> int | None:
        o = person - self.first_officer
        if 0 <= o < self.spec.officers:
            return o
        return None
