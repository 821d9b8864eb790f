"""Demo phase: officers, family members and other persons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from counselor_tui.demo.base import TRACKED, BuilderBase
from counselor_tui.domain import demo_names as names
from counselor_tui.services.context import iso
from db.models import (
    FamilyLink,
    Person,
)

#: Latent distress levels (0 healthy … 3 severe) and their shares among officers.
_DISTRESS_W = (85, 10, 4, 1)


class PersonsPhase(BuilderBase):
    """Officers, family members and other persons."""

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
        fields = ("id", *TRACKED, "kind", "badge_no", "name", "name_pinyin", "name_initials",
                  "gender", "birth_date", "unit", "police_type", "post", "hire_date", "phone",
                  "archived_at", "name_sort")
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
                    archived, keys.sort])
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
                    None, keys.sort])
                link_id += 1
                self.w.add(FamilyLink, ("id", *TRACKED, "person", "officer", "relation"),
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
                names.phone(rng), None, keys.sort])
            self.others.append(pid)
        self._commit()
