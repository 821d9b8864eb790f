"""Demo phase: the units and the accounts."""

from __future__ import annotations

from counselor_tui.demo.base import BuilderBase
from counselor_tui.demo.sizes import ADMIN_USER, AUDITOR_USER, DEMO_USER, DemoUser
from counselor_tui.domain import demo_names as names
from counselor_tui.domain.roles import Role
from counselor_tui.services import accounts, audit
from counselor_tui.services.context import iso
from db.models import (
    Unit,
    User,
)


class UnitsPhase(BuilderBase):
    """The units and the accounts."""

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
