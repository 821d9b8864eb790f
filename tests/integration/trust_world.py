"""World kind ``"trust"`` (see :mod:`tests.worlds`): the empty vault with a coordinator
``co``, a counselor ``li`` and an auditor ``au`` (passphrase :data:`OTHER_PASSPHRASE`), for
the trust list of package signers (issue 13 point 5)."""

from __future__ import annotations

from counselor_tui.services import accounts, settings
from tests.integration.submission_fixtures import DOCUMENT
from tests.worlds import OTHER_PASSPHRASE, World, register


def build(world: World) -> None:
    """Add the three accounts as the admin, and the bureau's document settings (主送机关,
    签发人, 发文字号: finalize refuses a document without them)."""
    for name, role in (("co", "coordinator"), ("li", "counselor"), ("au", "auditor")):
        accounts.add_user(world.admin, name, role, OTHER_PASSPHRASE, kdf_seconds=0)
    settings.save_settings(world.admin, DOCUMENT)


register("trust", build)
