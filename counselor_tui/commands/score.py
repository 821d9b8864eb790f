"""``score INSTRUMENT R1,R2,…`` — score a paper form without a vault (DESIGN §9).

Output: one line of JSON on stdout (UTF-8, ``ensure_ascii=False``), the object of
:meth:`counselor_tui.domain.instruments.ScoreResult.to_json_dict`: first the contract keys
``instrument``, ``total``, ``band``, ``subscales``, ``critical_items``, ``screen_positive``,
``provisional_diagnosis`` (``null`` where undefined), ``complete``, then extra keys
(``version``, ``prorated``, ``missing_items``, ``critical_items_unanswered`` — critical
items left unanswered, e.g. ``[9]`` for a PHQ-9 prorated without item 9 — band labels,
derived values, norms, settings). ``--indent N`` pretty-prints instead. Responses:
``0,1,2`` (full-width digits and ``，``/``、`` accepted; an empty field or ``-`` is a
missing item). ``--set NAME=VALUE`` overrides a scoring setting (``--set cutoff=31`` for
the PCL-5).

INSTRUMENT may also be the path of a bureau's own definition file (``….toml``, checked as
``instruments validate`` does), to try its scoring before adding it to the vault.

Exit codes: 0 scored; 2 unknown instrument, a bad definition file, unreadable or
out-of-range responses, bad setting — with a one-line message on stderr naming the item
(or the file's line) at fault.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from typing import Any

from counselor_tui.commands import common
from counselor_tui.domain import instruments as engine
from counselor_tui.i18n import _
from counselor_tui.services import instruments

#: Largest ``--indent`` (more only blows up the output).
MAX_INDENT = 16


def register(sub: Any) -> None:
    """Add the ``score`` command."""
    p = sub.add_parser(
        "score", help=_("score an instrument's responses and print JSON (no vault needed)"),
        description=_("Score one administration of an instrument, e.g. "
                      "'score phq9 0,1,2,3,0,1,2,3,1'. Instruments: {codes}.").format(
                          codes=", ".join(engine.builtin_codes())))
    p.add_argument("instrument", metavar="INSTRUMENT",
                   help=_("instrument code ({codes}), or the path of a bureau's definition "
                          "file (.toml)").format(codes=", ".join(engine.builtin_codes())))
    p.add_argument("responses", metavar="R1,R2,…",
                   help=_("one response per item, separated by commas; empty or - = missing"))
    p.add_argument("--set", dest="settings", action="append", default=[],
                   metavar="NAME=VALUE", help=_("override a scoring setting (e.g. cutoff=31)"))
    p.add_argument("--indent", type=_indent, default=None, metavar="N",
                   help=_("pretty-print the JSON with N spaces (default: one line)"))
    p.set_defaults(handler=cmd_score)


def _indent(text: str) -> int:
    """``--indent``: 0 to 16 spaces (more would only blow up the output)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a whole number: {text}").format(
            text=text[:40])) from None
    if not 0 <= value <= MAX_INDENT:
        raise argparse.ArgumentTypeError(_("give 0 to {max} spaces").format(max=MAX_INDENT))
    return value


def _settings(pairs: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError(pair)
            number = float(value)
            if not math.isfinite(number):  # nan, inf, 1e999
                raise ValueError(pair)
            out[name.strip()] = number
        except ValueError:
            raise common.CommandError(
                _("Write a setting as NAME=NUMBER, not '{text}'.").format(text=pair)) from None
    return out


def _definition(text: str) -> engine.InstrumentDefinition:
    """A built-in definition by code, or a bureau's definition file by path (``.toml``)."""
    if text.lower().endswith(".toml") or os.sep in text:
        return instruments.check_file(text).definition  # InvalidInput: exit 2
    try:
        return engine.builtin(text)
    except engine.UnknownInstrumentError as exc:
        raise common.CommandError(str(exc.args[0]) if exc.args else str(exc)) from None


def cmd_score(args: argparse.Namespace) -> int:
    """Print the score JSON; exit 2 with a message for bad input."""
    defn = _definition(args.instrument)
    try:
        responses = engine.parse_responses(args.responses)
        result = engine.score(defn, responses, _settings(args.settings))
    except engine.InstrumentError as exc:
        text = str(exc)
        raise common.CommandError(text if text.startswith(defn.code) else
                                  f"{defn.code}: {text}") from None
    print(json.dumps(result.to_json_dict(), ensure_ascii=False, indent=args.indent))
    return 0
