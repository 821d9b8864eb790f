"""The demo builder: every phase mixin, run in order."""

from __future__ import annotations

from counselor_tui.demo.activities import ActivitiesPhase
from counselor_tui.demo.bulk import deferred_triggers
from counselor_tui.demo.census import CensusPhase
from counselor_tui.demo.fastload import bulk_settings, indexes_afterwards
from counselor_tui.demo.firearms import FirearmsPhase
from counselor_tui.demo.incidents import IncidentsPhase
from counselor_tui.demo.organisation import OrganisationPhase
from counselor_tui.demo.persons import PersonsPhase
from counselor_tui.demo.sessions import SessionsPhase
from counselor_tui.demo.sizes import DemoUser
from counselor_tui.demo.tiers import TiersPhase
from counselor_tui.demo.units import UnitsPhase
from counselor_tui.services import sealed


class DemoBuilder(
    UnitsPhase, PersonsPhase, IncidentsPhase, SessionsPhase,
    CensusPhase, TiersPhase, FirearmsPhase, ActivitiesPhase, OrganisationPhase,
):
    """Every phase of the demo, run in order by :meth:`build`."""

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
        # without journal or fsync; the note index, the kept values and (first) the big tables'
        # indexes: once, at the end
        with bulk_settings(self.vs), deferred_triggers(self.vs), indexes_afterwards(self.vs):
            self.persons()
            self.incidents()
            self.sessions()
            self.census()
            self.tiers()
            self.firearms()
            self.activities()
            self.organisation()
            sealed.seal_pending(self.vs)  # the bulk rows of sealed sessions: encrypt to readers
        self._done("session_note_fts", self.spec.sessions)
        return users
