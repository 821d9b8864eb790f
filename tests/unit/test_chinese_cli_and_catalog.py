"""No English left in the Chinese command line and catalogs (issue 16 point 6, the catalog
test): every ``--help`` page of every command and subcommand, read in Chinese, holds no
English word but the tokens one types (commands, options, metavariables, choices); and no
Chinese translation is left as the English msgid."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from counselor_tui import cli
from counselor_tui.i18n import set_language
from counselor_tui.i18n_tools import iter_source_msgids, load_fragments

_WORD = re.compile(r"(?<![\w/.\-'%])[A-Za-z][A-Za-z]+(?![\w/.\-'])")
#: Names that are the same in Chinese text (file types, standards, product names).
NAMES = {"XLSX", "CSV", "DOCX", "JSON", "PDF", "ID", "UTF", "GBK", "SHA", "XML", "TOML",
         "WHO", "NICE", "PHQ", "GAD", "PSS", "SCL", "PCL", "YYYY", "MM", "DD", "Qn",
         "English", "SQLCipher", "Argon2id", "counselor", "tui", "ssh",
         "cutoff"}  # an example of what to type: score … --set cutoff=31


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield from parsers(child)


def typed_tokens(parser: argparse.ArgumentParser) -> set[str]:
    """What a user types on this parser's command line: option names, metavariables,
    destinations, choices and subcommand names."""
    tokens: set[str] = set()
    for action in parser._actions:
        for option in action.option_strings:
            tokens.update(re.findall(r"[A-Za-z]+", option))
        for value in (action.metavar, action.dest):
            if isinstance(value, str):
                tokens.update(re.findall(r"[A-Za-z]+", value))
                tokens.update(re.findall(r"[A-Za-z]+", value.upper()))  # argparse's metavar
        for choice in action.choices or ():
            tokens.update(re.findall(r"[A-Za-z]+", str(choice)))
    tokens.update(re.findall(r"[A-Za-z]+", parser.prog))
    return tokens


def test_every_chinese_help_page_is_chinese() -> None:
    set_language("zh")
    try:
        cli._translate_argparse()
        root = cli.build_parser()
        everything = set().union(*(typed_tokens(p) for p in parsers(root)))
        english: dict[str, list[str]] = {}
        for parser in parsers(root):
            words = [w for w in _WORD.findall(parser.format_help())
                     if w not in everything and w not in NAMES]
            if words:
                english[parser.prog] = words
    finally:
        set_language("en")
    assert english == {}


def _english_msgids() -> Iterator[str]:
    seen: set[str] = set()
    for msgid, _path, _line in iter_source_msgids():
        text = re.sub(r"\{[^}]*\}", "", msgid)
        if msgid not in seen and re.search(r"[a-z]{3,} [a-z]{2,}", text):
            seen.add(msgid)
            yield msgid


@pytest.mark.parametrize("lang", ["zh"])
def test_no_chinese_translation_is_the_english_text(lang: str) -> None:
    catalog = load_fragments(lang)
    left = [m for m in _english_msgids() if catalog.get(m, m) == m
            or not re.search(r"[\u3400-\u9fff]", catalog[m])]
    assert left == []
