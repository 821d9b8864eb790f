"""Every message of the incident and firearm modules has a zh and en translation with the
same placeholders (fragments ``locale/{zh,en}/incidents.po`` plus the shared ones)."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from counselor_tui.i18n_tools import load_fragments

ROOT = Path(__file__).resolve().parents[2] / "counselor_tui"
MODULES = [
    "domain/incidents.py", "domain/firearms.py", "services/incidents.py",
    "services/firearms.py", "services/firearm_events.py", "services/firearm_notice.py",
    "ui/screens/emergency.py", "ui/screens/incidents.py",
    "ui/screens/record_step.py", "ui/screens/waive_step.py", "ui/screens/add_exposure.py",
    "ui/screens/firearms.py", "ui/screens/firearm_notice.py",
    "ui/screens/firearm_decision.py", "ui/screens/firearm_recommend.py",
    "ui/widgets/incident_person_picker.py",
]


def msgids() -> set[str]:
    found: set[str] = set()
    for module in MODULES:
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "N_") and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_message_is_translated_with_its_placeholders(lang: str) -> None:
    catalog = load_fragments(lang)
    ids = msgids()
    assert len(ids) > 200
    for msgid in ids:
        translated = catalog.get(msgid)
        assert translated, f"{lang}: no translation for {msgid!r}"
        assert fields(translated) == fields(msgid), msgid
        if lang == "en":
            assert translated == msgid


def test_chinese_reads_as_the_bureau_writes() -> None:
    with (ROOT / "locale" / "zh" / "incidents.po").open("rb") as fh:
        zh = {m.id: m.string for m in read_po(fh) if isinstance(m.string, str)}
    assert zh["overdue by {span}"].format(span="5分0秒") == "已逾期5分0秒"
    assert zh["{span} left"].format(span="1小时20分") == "剩余1小时20分"
    assert zh["psychological first aid"] == "心理急救"
    assert zh["death of a colleague"] == "战友/同事离世"
    assert zh["firearm qualification suspended"] == "暂停配枪资格"
    assert zh["Badge number"] == "警号"
