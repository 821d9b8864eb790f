"""Command palette (ctrl+p): every area of the registry and every app action (DESIGN §6).

Commands match on their translated label, its pinyin (full and initials, so ``dag`` or
``danganku`` finds 档案) and the English msgid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, cast

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

from counselor_tui.domain.pinyin import name_keys
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import N_, _
from counselor_tui.ui.keys import key_label
from counselor_tui.ui.navigation import area_allowed
from counselor_tui.ui.registry import AREAS


class PaletteHost(Protocol):
    """What the palette needs from the app."""

    @property
    def working(self) -> bool: ...

    @property
    def role(self) -> Role | None: ...

    def open_area(self, area_id: str, **options: Any) -> None: ...
    def lock(self, reason: str = "manual") -> None: ...
    def backup(self) -> None: ...
    def show_help(self) -> None: ...
    def switch_language(self, lang: str) -> None: ...
    def quit_app(self) -> None: ...


@dataclass(frozen=True)
class Command:
    """One palette entry: translated label, help line, what to run, and its search keys."""

    label: str
    help: str
    run: Callable[[], Any]
    keys: tuple[str, ...]


def _keys(label: str, msgid: str, key: str) -> tuple[str, ...]:
    pinyin = name_keys(label)
    return tuple(k for k in (label, pinyin.full, pinyin.initials, msgid, key) if k)


def commands(host: PaletteHost) -> list[Command]:
    """The commands available now (areas only while the vault is open, and only those the
    unlocked role may open: an auditor is not offered the archive)."""
    found: list[Command] = []
    if host.working:
        role = host.role
        for entry in AREAS:
            if not area_allowed(entry.id, role):
                continue
            label = _(entry.label)
            key = key_label(entry.key) if entry.key else ""
            help_text = _("Open: {area}").format(area=label) + (f"  ({key})" if key else "")
            found.append(Command(label, help_text, partial(host.open_area, entry.id),
                                 _keys(label, entry.label, key)))
        for msgid, help_id, run in (
            (N_("Lock now"), N_("Drop the key and show the unlock screen (ctrl+l)"),
             host.lock),
            (N_("Backup"), N_("Write a verified backup of the vault now"), host.backup),
        ):
            found.append(Command(_(msgid), _(help_id), run, _keys(_(msgid), msgid, "")))
    for msgid, help_id, run in (
        (N_("Help: keys"), N_("Every key of the current screen (F1)"), host.show_help),
        (N_("Chinese interface"), N_("Switch the interface to Chinese"),
         partial(host.switch_language, "zh")),
        (N_("English interface"), N_("Switch the interface to English"),
         partial(host.switch_language, "en")),
        (N_("Quit"), N_("Lock the vault and quit (ctrl+q)"), host.quit_app),
    ):
        found.append(Command(_(msgid), _(help_id), run, _keys(_(msgid), msgid, "")))
    return found


class CounselorCommands(Provider):
    """The palette provider of the app."""

    def _host(self) -> PaletteHost:
        return cast(PaletteHost, self.app)

    async def discover(self) -> Hits:
        for command in commands(self._host()):
            yield DiscoveryHit(command.label, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in commands(self._host()):
            score = max(matcher.match(k) for k in command.keys)
            if score > 0:
                shown = (matcher.highlight(command.label)
                         if matcher.match(command.label) > 0 else command.label)
                yield Hit(score, shown, command.run, text=command.label, help=command.help)


class Palette(CommandPalette):
    """Textual's command palette, with its one hard-coded English line ("No matches found")
    said in the interface language."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(Option(
                    Align.center(Text(_("No matches found"), style="not bold")),
                    disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
