"""Base classes and the worker pattern every screen uses (DESIGN §3 UI rules).

* Screens reach the data only through ``self.backend`` (a
  :class:`counselor_tui.services.api.Backend`) and service functions, never the database.
* Every service call runs in a thread worker via :meth:`BackendMixin.call`: the result comes
  back on the UI thread through ``call_from_thread``; a failure is posted as a
  :class:`ServiceFailed` message that bubbles to the app, whose single handler shows the
  error dialog. Only ``post_message`` and ``call_from_thread`` cross threads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from counselor_tui.services.errors import VaultDamaged

if TYPE_CHECKING:
    from counselor_tui.services.api import Backend

T = TypeVar("T")


class HasBackend(Protocol):
    """What screens need from the app."""

    backend: Backend


class ServiceFailed(Message):
    """A service call failed in a worker; the app shows ``error`` in the error dialog."""

    def __init__(self, error: BaseException, action: str = "") -> None:
        super().__init__()
        self.error = error
        self.action = action


class BackendMixin:
    """Gives a Textual screen or widget ``backend`` and the :meth:`call` worker helper."""

    @property
    def backend(self) -> Backend:
        """The app's :class:`Backend`."""
        return cast(HasBackend, cast(Any, self).app).backend

    def call(
        self,
        fn: Callable[..., T],
        *args: Any,
        done: Callable[[T], None] | None = None,
        failed: Callable[[BaseException], bool] | None = None,
        group: str = "service",
        exclusive: bool = True,
        **kwargs: Any,
    ) -> Worker[None]:
        """Run ``fn(*args, **kwargs)`` in a thread worker.

        On success ``done(result)`` runs on the UI thread. On failure ``failed(exc)`` runs on
        the UI thread if given, and when it returns ``False`` (or is absent) a
        :class:`ServiceFailed` message is posted so the app shows the error dialog.
        ``exclusive`` cancels the previous worker of the same ``group`` (search as you type).
        """
        node = cast(Any, self)

        def job() -> None:
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:  # every failure is reported, never swallowed
                error = exc

                def report() -> None:
                    if isinstance(error, VaultDamaged):  # read-only now: the banner says so
                        refresh = getattr(node.app, "refresh_banner", None)
                        if refresh is not None:
                            refresh()
                    if failed is None or not failed(error):
                        node.post_message(ServiceFailed(error, getattr(fn, "__name__", "")))

                node.app.call_from_thread(report)
                return
            if done is not None:
                node.app.call_from_thread(done, result)

        worker: Worker[None] = node.run_worker(job, thread=True, exclusive=exclusive,
                                               exit_on_error=False, group=group)
        return worker


class BaseScreen(BackendMixin, Screen[Any]):
    """A full screen of the app."""


class BaseModal(BackendMixin, ModalScreen[T]):
    """A modal dialog returning a ``T`` through ``dismiss``."""
