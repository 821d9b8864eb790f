"""Catalog maintenance: extract msgids from the source, compile per-area fragments to .mo.

Usage::

    python -m counselor_tui.i18n_tools extract   # list msgids missing from a catalog
    python -m counselor_tui.i18n_tools compile   # fragments -> LC_MESSAGES/counselor_tui.mo

Msgids are found by parsing the source (``ast``) for calls ``_("...")``, ``N_("...")`` and
``ngettext("...", "...", n)`` with literal arguments. Catalog files are read and written with
Babel (``babel.messages``); a development dependency, not needed at run time.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE_DIR = Path(__file__).parent
LOCALE_DIR = PACKAGE_DIR / "locale"
MARKERS = {"_", "N_", "ngettext"}


def iter_source_msgids(root: Path = PACKAGE_DIR) -> Iterator[tuple[str, Path, int]]:
    """Yield ``(msgid, file, line)`` for every marked literal string under ``root``."""
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else None
            if name not in MARKERS or not node.args:
                continue
            args = node.args[:2] if name == "ngettext" else node.args[:1]
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield arg.value, path, node.lineno


def load_fragments(lang: str) -> dict[str, str]:
    """Merge every ``locale/<lang>/*.po`` fragment into ``{msgid: msgstr}``.

    Raises ``ValueError`` when two fragments translate the same msgid differently.
    """
    from babel.messages.pofile import read_po

    merged: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / lang).glob("*.po")):
        with path.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else str(message.id[0])
            raw = message.string
            value = raw if isinstance(raw, str) else (str(raw[0]) if raw else "")
            if key in merged and merged[key] != value and value:
                raise ValueError(f"{path.name}: conflicting translation for {key!r}")
            if value or key not in merged:
                merged[key] = value
    return merged


def compile_catalogs() -> None:
    """Write ``locale/<lang>/LC_MESSAGES/counselor_tui.mo`` from the fragments of each language."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    for lang_dir in sorted(p for p in LOCALE_DIR.iterdir() if p.is_dir()):
        catalog = Catalog(locale=lang_dir.name, domain="counselor_tui", fuzzy=False)
        for msgid, msgstr in sorted(load_fragments(lang_dir.name).items()):
            catalog.add(msgid, msgstr)
        out = lang_dir / "LC_MESSAGES" / "counselor_tui.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".mo.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(out)


def missing(lang: str) -> list[tuple[str, Path, int]]:
    """Msgids used in the source that ``lang``'s fragments lack or leave untranslated."""
    have = load_fragments(lang)
    seen: set[str] = set()
    result = []
    for msgid, path, line in iter_source_msgids():
        if msgid in seen:
            continue
        seen.add(msgid)
        if not have.get(msgid):
            result.append((msgid, path, line))
    return result


def main(argv: list[str]) -> int:
    """Entry point of ``python -m counselor_tui.i18n_tools``; returns the exit code."""
    if argv[:1] == ["compile"]:
        compile_catalogs()
        return 0
    if argv[:1] == ["extract"]:
        bad = 0
        for lang in ("zh", "en"):
            for msgid, path, line in missing(lang):
                bad += 1
                print(f"{lang}\t{path.relative_to(PACKAGE_DIR.parent)}:{line}\t{msgid!r}")
        return 1 if bad else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
