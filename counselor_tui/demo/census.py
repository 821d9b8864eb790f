"""Demo phase: two censuses (screening rounds) scored by the instrument engine."""

from __future__ import annotations

from datetime import date, timedelta

from counselor_tui.demo.base import TRACKED, BuilderBase, stored_json
from counselor_tui.services import audit
from counselor_tui.services import census as census_service
from counselor_tui.services.context import iso
from db.migrations import m0019_compile_aggregates as compile_aggregates
from db.models import (
    Assessment,
    Census,
    CensusUnit,
)


class CensusPhase(BuilderBase):
    """Two censuses (screening rounds) scored by the instrument engine."""

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
            self.w.add(Census, ("id", *TRACKED, "name", "starts_on", "ends_on", "instruments",
                                "status"),
                       [cid, *self._who(made, coord), f"{start.year}年度全警心理健康普查",
                        start.isoformat(), end.isoformat(), stored_json(list(instruments)), "open"])
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
        with self.vs.transaction():
            # the targets are the kept serving counts (migration 19), which the bulk path
            # fills at the very end: count the officers now (the same counts the per-row
            # triggers keep; refilled at the end with the tiers)
            for statement in compile_aggregates.FILL[1:]:
                self.vs.execute(statement)
        figures = census_service.figures(self.vs, census_id).to_json()
        figures["as_of"] = closed_at
        with self.vs.transaction():
            self.vs.execute(
                'UPDATE "census" SET "status" = ?, "closed_at" = ?, "frozen_figures" = ?, '
                '"updated_at" = ? WHERE "id" = ?',
                ("closed", closed_at, stored_json(figures), closed_at, census_id))
            audit.record(self.vs, "demo_generate", "census", census_id, {"closed": True})
