"""Find the line of a key, table or array element in TOML text.

``tomllib`` (the standard-library TOML 1.0 reader) returns values without positions, so a
definition error could not otherwise name its line. :class:`TomlLines` scans the text once and
records, for every *key path*, the 1-based line where it is written:

- table headers: ``[scoring]`` -> ``("scoring",)``; the third ``[[subscales]]`` ->
  ``("subscales", 2)``; ``[[diagnosis.clusters]]`` inside it -> ``("diagnosis", "clusters", i)``;
- keys: ``items = [...]`` inside the third ``[[subscales]]`` -> ``("subscales", 2, "items")``;
- elements of an array value, each at the line where the element starts.

The scanner understands comments, basic and literal strings (single- and multi-line), and
nested arrays or inline tables; it is not a full TOML parser and needs none: ``tomllib`` has
already accepted the text when positions are asked for.
"""

from __future__ import annotations

import re
from typing import Final

PathPart = str | int
KeyPath = tuple[PathPart, ...]

_BARE_OR_QUOTED: Final = r'(?:[A-Za-z0-9_-]+|"[^"\n]*"|\'[^\'\n]*\')'
_KEY_RE: Final = re.compile(rf"^\s*({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=")
_PART_RE: Final = re.compile(_BARE_OR_QUOTED)


def _split_key(dotted: str) -> list[str]:
    """``a."b.c".d`` -> ``["a", "b.c", "d"]``."""
    parts = []
    for match in _PART_RE.finditer(dotted):
        token = match.group(0)
        if token[:1] in "\"'":
            token = token[1:-1]
        parts.append(token)
    return parts


class TomlLines:
    """Line numbers (1-based) of the headers, keys and array elements of one TOML text."""

    def __init__(self, text: str) -> None:
        self.headers: dict[KeyPath, int] = {}
        self.keys: dict[KeyPath, int] = {}
        self.elements: dict[KeyPath, list[int]] = {}
        self._array_index: dict[tuple[str, ...], int] = {}
        self._scan(text)

    def line_of(self, path: KeyPath, index: int | None = None) -> int | None:
        """Line of ``path`` (element ``index`` of its array value when given).

        Falls back to the nearest enclosing key or table that was written in the text, and to
        ``None`` when nothing encloses it (a missing top-level key).
        """
        if index is not None:
            lines = self.elements.get(path)
            if lines is not None and 0 <= index < len(lines):
                return lines[index]
        probe = path
        while probe:
            if probe in self.keys:
                return self.keys[probe]
            if probe in self.headers:
                return self.headers[probe]
            probe = probe[:-1]
        return None

    # -- scanning -----------------------------------------------------------------------------

    def _resolve(self, names: list[str]) -> KeyPath:
        """Insert the current index of each array of tables along a header's dotted name."""
        path: list[PathPart] = []
        for depth in range(len(names)):
            path.append(names[depth])
            key = tuple(names[: depth + 1])
            if depth < len(names) - 1 and key in self._array_index:
                path.append(self._array_index[key])
        return tuple(path)

    def _scan(self, text: str) -> None:
        current: KeyPath = ()
        value_path: KeyPath | None = None  # the key whose array value is being scanned
        depth = 0
        outer_is_array = False
        expect_element = False
        string_quote: str | None = None  # open multi-line string delimiter across lines
        for lineno, line in enumerate(text.splitlines(), start=1):
            start = 0
            if depth == 0 and string_quote is None:
                stripped = line.strip()
                if stripped.startswith("["):
                    array_table = stripped.startswith("[[")
                    close = stripped.find("]]" if array_table else "]")
                    inner = stripped[2 if array_table else 1 : close if close > 0 else None]
                    names = _split_key(inner)
                    if array_table:
                        key = tuple(names)
                        index = self._array_index.get(key, -1) + 1
                        self._array_index[key] = index
                        # nested arrays of tables restart under a new parent element
                        for other in list(self._array_index):
                            if len(other) > len(key) and other[: len(key)] == key:
                                del self._array_index[other]
                        current = (*self._resolve(names), index)
                    else:
                        current = self._resolve(names)
                    self.headers.setdefault(current, lineno)
                    continue
                match = _KEY_RE.match(line)
                if match is None:
                    continue
                value_path = (*current, *_split_key(match.group(1)))
                self.keys.setdefault(value_path, lineno)
                start = match.end()
                outer_is_array = False
            state = self._scan_value(
                line, start, lineno, value_path, depth, outer_is_array, expect_element, string_quote
            )
            depth, outer_is_array, expect_element, string_quote = state

    def _scan_value(
        self,
        line: str,
        start: int,
        lineno: int,
        value_path: KeyPath | None,
        depth: int,
        outer_is_array: bool,
        expect_element: bool,
        string_quote: str | None,
    ) -> tuple[int, bool, bool, str | None]:
        i = start
        n = len(line)
        while i < n:
            if string_quote is not None:
                if string_quote == '"' and line[i] == "\\":
                    i += 2
                    continue
                if line.startswith(string_quote * 3, i):
                    string_quote = None
                    i += 3
                    continue
                i += 1
                continue
            ch = line[i]
            if ch.isspace():
                i += 1
                continue
            if ch == "#":
                break
            if depth == 1 and outer_is_array and expect_element and ch != "]":
                if value_path is not None:
                    self.elements.setdefault(value_path, []).append(lineno)
                expect_element = False
            if ch in "\"'":
                if line.startswith(ch * 3, i):
                    string_quote = ch
                    i += 3
                    continue
                i = self._skip_string(line, i, ch)
                continue
            if ch in "[{":
                if depth == 0:
                    outer_is_array = ch == "["
                    if outer_is_array and value_path is not None:
                        self.elements[value_path] = []
                    expect_element = outer_is_array
                depth += 1
            elif ch in "]}":
                depth = max(depth - 1, 0)
            elif ch == "," and depth == 1:
                expect_element = outer_is_array
            i += 1
        return depth, outer_is_array, expect_element, string_quote

    @staticmethod
    def _skip_string(line: str, i: int, quote: str) -> int:
        """Index just past the single-line string that opens at ``line[i]``."""
        j = i + 1
        while j < len(line):
            if quote == '"' and line[j] == "\\":
                j += 2
                continue
            if line[j] == quote:
                return j + 1
            j += 1
        return j
