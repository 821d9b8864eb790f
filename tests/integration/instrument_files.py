"""A bureau's own instrument as a definition file, for the tests of issue 16 point 4."""

from __future__ import annotations

from pathlib import Path

__all__ = ["V1_BANDS", "V2_BANDS", "definition", "write"]

V1_BANDS = '[0, 5, "low", "较低", "Low"],\n  [6, 12, "high", "较高", "High"],'
V2_BANDS = ('[0, 3, "low", "偏低", "Rather low"],\n  [4, 8, "moderate", "中等", "Moderate"],\n'
            '  [9, 12, "high", "较高", "High"],')


def definition(version: str = "2026-1", bands: str = V1_BANDS, items: int = 4,
               code: str = "bureau_stress", extra: str = "") -> str:
    """A four-item bureau instrument (responses 0–3, totals 0–12) as a definition file."""
    item_tables = "".join(f'\n[[items]]\nnumber = {n}\ntext_zh = "题目{n}"\n'
                          f'text_en = "Item {n}"\n' for n in range(1, items + 1))
    return f'''# a bureau's own stress check
code = "{code}"
name_zh = "民警压力自评（本局）"
name_en = "Officer stress self-check (bureau)"
version = "{version}"
item_count = 4
{extra}
[source]
citation = "本局心理工作办公室编制，2026年。"
licence = "Bureau's own; internal use."

[responses]
min = 0
max = 3
labels_zh = ["没有", "偶尔", "经常", "总是"]
labels_en = ["Never", "Sometimes", "Often", "Always"]

[scoring]
total = "sum"
bands = [
  {bands}
]

[screen]
rule = "any"
conditions = [{{ metric = "total", op = ">=", value = 6 }}]
{item_tables}'''


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
