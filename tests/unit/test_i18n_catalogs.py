"""Every user-facing string has a Chinese and an English translation, and the compiled
catalogs match the fragments (issue 3 item 9, DESIGN §6 "every string through gettext").

Fix a failure with the missing msgids listed (add them to your area's
``counselor_tui/locale/{zh,en}/<area>.po``), then run
``python -m counselor_tui.i18n_tools compile``.
"""

from __future__ import annotations

import gettext

import pytest

from counselor_tui.i18n import DOMAIN, LANGUAGES, LOCALE_DIR
from counselor_tui.i18n_tools import PACKAGE_DIR, iter_source_msgids, load_fragments, missing


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_msgid_in_the_source_is_translated(lang: str) -> None:
    gaps = missing(lang)
    listing = "\n".join(f"  {path.relative_to(PACKAGE_DIR.parent)}:{line}  {msgid!r}"
                        for msgid, path, line in gaps)
    assert not gaps, f"{len(gaps)} msgids without a {lang} translation:\n{listing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_matches_the_fragments(lang: str) -> None:
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    assert mo.exists(), f"{mo} is missing: run python -m counselor_tui.i18n_tools compile"
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    have = {k: v for k, v in compiled._catalog.items()  # type: ignore[attr-defined]
            if isinstance(k, str) and k}
    want = {k: v for k, v in load_fragments(lang).items() if v}
    stale = sorted(set(want.items()) ^ set(have.items()))
    assert not stale, (f"{mo.name} ({lang}) is stale for {len(stale)} entries, e.g. "
                       f"{stale[:3]!r}: run python -m counselor_tui.i18n_tools compile")


def test_translations_keep_every_placeholder() -> None:
    """A translation must keep the ``{name}`` placeholders of its msgid (else .format()
    raises at run time in that language)."""
    import string

    def fields(text: str) -> set[str]:
        try:
            return {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f}
        except ValueError:
            return {"<unparsable>"}

    used = {msgid for msgid, _path, _line in iter_source_msgids()}
    bad = []
    for lang in LANGUAGES:
        for msgid, msgstr in load_fragments(lang).items():
            if msgid in used and msgstr and fields(msgstr) != fields(msgid):
                bad.append((lang, msgid, msgstr))
    assert not bad, bad[:5]
