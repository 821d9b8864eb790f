"""A key's bindings are those of the widget it was sent to, however late it is handled.

Textual sends a key to the focused widget when it arrives, but looks up the key's
*non-priority* bindings (Space on a list, Enter on a checkbox …) only once the key has
bubbled back up to the app, against the focus *of that moment*. This app's Tab and
Shift+Tab are priority bindings that move the focus at once (so that the characters typed
after them land in the next field, :mod:`counselor_tui.ui.keys`). In a burst — fast typing,
keys batched by an SSH link, a loaded bureau server — "Space, Tab" therefore moved the focus
before the Space was looked up: the Space met the next field's bindings and the topic was
never ticked (seen in the end-to-end test under load, and in a Pilot burst).

:func:`mark_arrival` remembers, on the key itself, the binding chain of the focus when the
key arrives; :func:`key_back` runs the key's non-priority bindings from that chain when the
key comes back to the app (a widget removed meanwhile is skipped), else the app's ``key_``
methods, as Textual's ``App._on_key`` does. Keys that carry no mark keep Textual's lookup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events
from textual._dispatch_key import dispatch_key
from textual.dom import DOMNode

if TYPE_CHECKING:
    from textual.app import App

#: The attribute of a :class:`textual.events.Key` holding the binding chain at arrival.
ARRIVAL_CHAIN = "_counselor_arrival_chain"


def mark_arrival(app: App[Any], event: events.Key) -> None:
    """Remember on ``event`` (a key just arrived, not yet forwarded) the binding chain of
    the widget that has the focus now: ``[(node, bindings map), …]`` from the focused
    widget up to the app, modal screens stopping the chain as Textual does."""
    setattr(event, ARRIVAL_CHAIN, list(app.screen._modal_binding_chain))


async def key_back(app: App[Any], event: events.Key) -> bool:
    """Handle ``event`` come back to the app unhandled: the first non-priority binding of
    ``event.key`` along the chain remembered at arrival, else the app's ``key_`` method.
    Returns False, having done nothing, when the key carries no chain (the caller then
    uses Textual's own lookup)."""
    chain = getattr(event, ARRIVAL_CHAIN, None)
    if chain is None:
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
