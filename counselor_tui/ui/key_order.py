"""A key's bindings are those of the widget it was sent to, however late it is handled.

Textual sends a key to the focused widget when it arrives, but looks up the key's
*non-priority* bindings (Space on a list, Enter on a checkbox …) only once the key has
bubbled back up to the app, against the focus *of that moment*. This app's Tab and
Shift+Tab are priority bindings that move the focus at once (so that the characters typed
after them land in the next field, :mod:`counselor_tui.ui.keys`). In a burst — fast typing,
keys batched by an SSH link, a loaded bureau server — "Space, Tab" therefore moved the focus
before the Space was looked up: the Space met the next field's bindings and the topic was
never ticked (seen in the end-to-end test under load, and in a Pilot burst).

:func:`mark_arrival` numbers each key and remembers, on the key itself, the binding chain of
the focus when it arrives; :func:`arrived` notes a key a priority binding handled on arrival.
When a key comes back to the app and a *later* key has been handled by a priority binding
meanwhile (it jumped the queue), :func:`key_back` runs the key's non-priority bindings from
the chain of its arrival (a widget removed meanwhile is skipped), else the app's ``key_``
methods, as Textual's ``App._on_key`` does. Otherwise the key keeps Textual's lookup at the
focus of the moment: a key's own binding that moves the focus ("Down" from the archive's
search to its list) acts in order, so the next key of the burst ("Down" again) acts where
the focus went — looking that one up at arrival too moved the focus twice and left the
cursor on the first row (seen in tmux: Down Down Enter opened the wrong record).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual import events
from textual._dispatch_key import dispatch_key
from textual.dom import DOMNode

if TYPE_CHECKING:
    from textual.app import App

#: The attribute of a :class:`textual.events.Key` holding ``(number, binding chain)`` at arrival.
ARRIVAL_CHAIN = "_counselor_arrival_chain"
#: The app's attribute holding the :class:`Arrivals` count.
ARRIVALS = "_counselor_key_arrivals"


class Arrivals:
    """How many keys arrived, and the number of the latest one a priority binding handled
    on arrival (0: none yet)."""

    def __init__(self) -> None:
        self.count = 0
        self.jumped = 0


def _arrivals(app: App[Any]) -> Arrivals:
    found = getattr(app, ARRIVALS, None)
    if not isinstance(found, Arrivals):
        found = Arrivals()
        setattr(app, ARRIVALS, found)
    return found


def mark_arrival(app: App[Any], event: events.Key) -> None:
    """Number ``event`` (a key just arrived, not yet forwarded) and remember on it the
    binding chain of the widget that has the focus now: ``[(node, bindings map), …]`` from
    the focused widget up to the app, modal screens stopping the chain as Textual does."""
    arrivals = _arrivals(app)
    arrivals.count += 1
    setattr(event, ARRIVAL_CHAIN, (arrivals.count, list(app.screen._modal_binding_chain)))


def arrived(app: App[Any], event: events.Key) -> None:
    """After Textual's arrival handling of ``event``: a key that was not forwarded to a
    widget was handled by a priority binding (Tab, F-keys …) ahead of the keys still on
    their way back."""
    mark = getattr(event, ARRIVAL_CHAIN, None)
    if mark is not None and not event.is_forwarded:
        arrivals = _arrivals(app)
        arrivals.jumped = max(arrivals.jumped, mark[0])


async def arrive(app: App[Any], event: events.Event,
                 handle: Callable[[events.Event], Awaitable[None]]) -> None:
    """The app's ``on_event``: ``handle`` (Textual's own) with a key just arrived marked
    before (:func:`mark_arrival`) and noted after (:func:`arrived`); other events as they
    are."""
    if not isinstance(event, events.Key) or event.is_forwarded:
        await handle(event)
        return
    mark_arrival(app, event)
    await handle(event)
    arrived(app, event)


async def key_back(app: App[Any], event: events.Key) -> bool:
    """Handle ``event`` come back to the app unhandled, when a later key has jumped the
    queue meanwhile: the first non-priority binding of ``event.key`` along the chain
    remembered at arrival, else the app's ``key_`` method. Returns False, having done
    nothing, when the key carries no mark or no later key jumped it (the caller then uses
    Textual's own lookup, at the focus of the moment)."""
    mark = getattr(event, ARRIVAL_CHAIN, None)
    if mark is None:
        return False
    number, chain = mark
    if _arrivals(app).jumped <= number:
        return False
    for namespace, bindings in chain:
        if isinstance(namespace, DOMNode) and namespace is not app \
                and not namespace.is_attached:
            continue  # closed meanwhile (the key after it changed the screen)
        for binding in bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await app.run_action(binding.action, namespace):
                return True
    await dispatch_key(app, event)
    return True
