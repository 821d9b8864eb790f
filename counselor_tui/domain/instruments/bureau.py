"""A bureau's own instrument definitions (DESIGN §7.1 "a bureau may add its own definition
file (validated)"; issue 16 point 4): the strict reading of a file that came from outside.

The format is the built-in one (TOML, documented in
:mod:`counselor_tui.domain.instruments.engine`); on top of the loader's checks, a file from
outside is held to budgets *before* its content is trusted, so a hostile file gets one clear
refusal instead of exhausting memory or hanging:

* at most :data:`MAX_BYTES` bytes, UTF-8 text (a BOM is allowed), no NUL character;
* XML and JSON are refused by their first character, never parsed (no entity expansion, no
  deep JSON): a definition is TOML like the built-in ones;
* ``tomllib`` reads it (nesting it cannot follow is refused, as are integers too long to
  convert); every value is then walked: at most :data:`MAX_DEPTH` levels, :data:`MAX_LIST`
  elements per list or table, :data:`MAX_TEXT` characters per text, finite numbers within
  ±:data:`MAX_NUMBER`;
* at most :data:`MAX_ITEMS` items, responses within 0..:data:`MAX_RESPONSE`, so that the
  checks over every possible total (bands cover each total exactly once) stay small;
* the code is lower-case snake case of at most :data:`MAX_CODE` characters and is not a
  built-in instrument's code, also once hyphens and underscores are dropped (``phq_9``
  would be looked up as ``phq9``); the version is a short one-line text without spaces
  around it (``"2024-1 "`` would look the same as ``"2024-1"`` but compare different);
* no text or key holds a control or format character (ESC, BEL, bidi overrides, zero-width
  characters, BOM: :mod:`counselor_tui.domain.text_rules`), which would rewrite the
  terminal or reorder what is shown; line breaks only in ``[source]`` and the instructions.

Every refusal is a :class:`DefinitionError` whose message names the line (when the text has
lines) and the key at fault. Pure: no I/O (the service reads the file with its own budget).
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from dataclasses import dataclass
from typing import Any, Final

from counselor_tui.domain.instruments._toml_lines import KeyPath, TomlLines
from counselor_tui.domain.instruments.loader import builtin_codes, definition_from_data
from counselor_tui.domain.instruments.model import DefinitionError, InstrumentDefinition
from counselor_tui.domain.text_rules import check_display_text, escape_for_terminal
from counselor_tui.i18n import _

#: Largest definition file (the SCL-90 definition, the largest built-in, is about 10 KiB).
MAX_BYTES: Final = 256 * 1024
#: Deepest nesting of tables and lists (the format needs 4: ``screen.conditions[i].x``).
MAX_DEPTH: Final = 6
#: Most elements of one list or keys of one table.
MAX_LIST: Final = 1_000
#: Longest text value (a citation, an item text).
MAX_TEXT: Final = 4_000
#: Largest magnitude of a number.
MAX_NUMBER: Final = 1_000_000
#: Most items of an instrument (the SCL-90 has 90).
MAX_ITEMS: Final = 300
#: Highest response value.
MAX_RESPONSE: Final = 100
#: Longest instrument code and version text.
MAX_CODE: Final = 32
MAX_VERSION: Final = 40

_TOML_LINE: Final = re.compile(r"at line (\d+)")
_TOML_COLUMN: Final = re.compile(r"column (\d+)")


@dataclass(frozen=True)
class CheckedDefinition:
    """A definition that passed every check: the parsed definition, its text and the
    SHA-256 (hex) of the text as stored."""

    definition: InstrumentDefinition
    text: str
    sha256: str


def lookup_key(code: str) -> str:
    """The key an instrument code is looked up by (lower case, letters and digits only:
    ``PHQ-9`` → ``phq9``), as :func:`~.loader.builtin` does."""
    return re.sub(r"[^a-z0-9]", "", code.lower())


def check_bytes(raw: bytes) -> CheckedDefinition:
    """Read and validate a bureau's definition file given as bytes (module docstring).

    Raises :class:`DefinitionError` (with ``.line`` where known) for any fault."""
    if len(raw) > MAX_BYTES:
        raise DefinitionError(_("The file has {size} bytes; a definition has at most {limit} "
                                "(check that it is the right file).").format(
                                    size=len(raw), limit=MAX_BYTES))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DefinitionError(_("The file is not UTF-8 text (byte {offset}): save it as "
                                "UTF-8.").format(offset=exc.start)) from None
    return check_text(text)


def check_text(text: str) -> CheckedDefinition:
    """Validate a bureau's definition given as text (module docstring); raises
    :class:`DefinitionError`."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise DefinitionError(_("The definition is longer than {limit} bytes.").format(
            limit=MAX_BYTES))
    if "\x00" in text:
        raise DefinitionError(_("The file holds NUL characters: it is not a text file."))
    head = text.lstrip()
    if not head:
        raise DefinitionError(_("The file is empty."))
    if head.startswith("<"):
        raise DefinitionError(_("The file looks like XML. A definition is TOML, like the "
                                "built-in ones (code = \"…\", [responses], [scoring], …)."), 1)
    if head.startswith("{"):
        raise DefinitionError(_("The file looks like JSON. A definition is TOML, like the "
                                "built-in ones (code = \"…\", [responses], [scoring], …)."), 1)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(str(exc)) from None
    except RecursionError:
        raise DefinitionError(_("The file nests lists or tables too deeply.")) from None
    except ValueError:  # e.g. an integer of thousands of digits
        raise DefinitionError(_("The file holds a number too long to read.")) from None
    lines = TomlLines(text)
    _walk(data, (), 0, lines)
    _check_budgets(data, lines)
    try:
        definition = definition_from_data(data, text)
    except DefinitionError:
        raise
    except (ArithmeticError, ValueError, TypeError, KeyError, IndexError,
            RecursionError) as exc:  # pragma: no cover - a hole in the loader's checks
        raise DefinitionError(_("The definition cannot be read ({kind}): compare it with a "
                                "built-in definition.").format(kind=type(exc).__name__)) from None
    return CheckedDefinition(definition, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _syntax_error(detail: str) -> DefinitionError:
    """A translated :class:`DefinitionError` for a ``tomllib`` message (English, with the
    line and column): the kind of fault in the interface language, the line kept."""
    match = _TOML_LINE.search(detail)
    line = int(match.group(1)) if match else None
    column = _TOML_COLUMN.search(detail)
    kinds = (
        (("Cannot overwrite", "twice"), _("a key or table is given twice")),
        (("Illegal character", "Unterminated", "Unescaped"),
         _("a text is not closed or holds a character TOML refuses (check the quotes)")),
        (("Expected '=' after a key",), _("a key without '= value'")),
        (("Expected newline",), _("something follows a value on the same line")),
        (("Unclosed",), _("a list or table is not closed (check the brackets)")),
        (("Invalid value",), _("a value is not valid TOML (text in quotes, numbers, lists "
                              "in [ ])")),
    )
    kind = next((text for keys, text in kinds if any(k in detail for k in keys)),
                _("the file is not valid TOML"))
    if column is not None:
        kind = _("{fault} (column {column})").format(fault=kind, column=column.group(1))
    return DefinitionError(_("TOML syntax error: {detail}").format(detail=kind), line)


def _where(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return escape_for_terminal(out) or _("(top level)")


def _fault(lines: TomlLines, path: KeyPath, fault: str) -> DefinitionError:
    line = lines.line_of(path[:-1], path[-1]) if path and isinstance(path[-1], int) else None
    if line is None:
        line = lines.line_of(path)
    return DefinitionError(f"{_where(path)}: {fault}", line)


def _walk(value: Any, path: KeyPath, depth: int, lines: TomlLines) -> None:
    """Refuse values beyond the budgets (module docstring), naming the key."""
    if depth > MAX_DEPTH:
        raise _fault(lines, path, _("nested more than {n} levels deep.").format(n=MAX_DEPTH))
    if isinstance(value, dict):
        if len(value) > MAX_LIST:
            raise _fault(lines, path, _("more than {n} keys.").format(n=MAX_LIST))
        for key, inner in value.items():
            if len(key) > MAX_TEXT:
                raise _fault(lines, path, _("a key longer than {n} characters.").format(
                    n=MAX_TEXT))
            _check_shown(key, (*path, key), lines)
            _walk(inner, (*path, key), depth + 1, lines)
    elif isinstance(value, list):
        if len(value) > MAX_LIST:
            raise _fault(lines, path, _("more than {n} elements.").format(n=MAX_LIST))
        for index, inner in enumerate(value):
            _walk(inner, (*path, index), depth + 1, lines)
    elif isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise _fault(lines, path, _("a text longer than {n} characters.").format(
                n=MAX_TEXT))
        _check_shown(value, path, lines)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int | float):
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise _fault(lines, path, _("the number {value} is not finite or beyond "
                                        "±{n}.").format(value=value, n=MAX_NUMBER))
    else:  # dates and times: the format has none
        raise _fault(lines, path, _("dates and times have no place in a definition."))


def _check_shown(text: str, path: KeyPath, lines: TomlLines) -> None:
    """Refuse control and format characters in a text that will be shown
    (:func:`counselor_tui.domain.text_rules.check_display_text`); line breaks and tabs are
    allowed only in the source and the instructions (texts of several lines)."""
    multi_line = bool(path) and (path[0] == "source" or str(path[0]).startswith("instructions"))
    try:
        check_display_text(text, _where(path), allow_newlines=multi_line)
    except ValueError as exc:
        line = lines.line_of(path[:-1], path[-1]) if path and isinstance(path[-1], int) else None
        raise DefinitionError(str(exc), line if line is not None else lines.line_of(path)
                              ) from None


def _check_budgets(data: dict[str, Any], lines: TomlLines) -> None:
    """Code, version, item count and response range within the budgets, before the loader
    walks the possible totals."""
    code = data.get("code")
    if isinstance(code, str):
        if len(code) > MAX_CODE:
            raise _fault(lines, ("code",), _("at most {n} characters.").format(n=MAX_CODE))
        key = lookup_key(code)
        if key in builtin_codes():
            raise _fault(lines, ("code",), _(
                "'{code}' is the code of the built-in instrument {builtin}: give your "
                "instrument a code of its own.").format(code=code, builtin=key))
    version = data.get("version")
    if isinstance(version, str) and (not version.strip() or len(version) > MAX_VERSION
                                     or not version.isprintable()
                                     or version != version.strip()):
        raise _fault(lines, ("version",), _(
            "write the version as one line of 1 to {n} characters (e.g. \"2024-1\")."
        ).format(n=MAX_VERSION))
    count = data.get("item_count")
    if isinstance(count, int) and not isinstance(count, bool) and count > MAX_ITEMS:
        raise _fault(lines, ("item_count",), _("at most {n} items.").format(n=MAX_ITEMS))
    responses = data.get("responses")
    if isinstance(responses, dict):
        for key in ("min", "max"):
            value = responses.get(key)
            if (isinstance(value, int) and not isinstance(value, bool)
                    and not 0 <= value <= MAX_RESPONSE):
                raise _fault(lines, ("responses", key), _(
                    "responses run from 0 to at most {n}.").format(n=MAX_RESPONSE))
