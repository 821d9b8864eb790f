"""The submission DOCX printed through LibreOffice, measured as GB/T 9704-2012 places each
element of an upward report (issue 17). Positions are read back from the PDF in mm from the
page's top left; the text block is 28–184 mm across and 37–262 mm down."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.layout_support import MM, Line, Printed, open_pdf, page_lines, printed_once

pytestmark = pytest.mark.slow  # one LibreOffice print of a demo month for the module

TOP, BOTTOM, LEFT, RIGHT = 37.0, 262.0, 28.0, 184.0
GRID = 225 / 22  # mm per line
RED = (0.7529411764, 0.0, 0.0)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    return printed_once(tmp_path_factory)


@pytest.fixture(scope="module")
def pages(printed: Printed) -> Iterator[list[list[Line]]]:
    with open_pdf(printed.docx_pdf) as pdf:
        yield [page_lines(p) for p in pdf.pages]


def body(lines: list[Line]) -> list[Line]:
    return [ln for ln in lines if ln.bottom <= BOTTOM + 0.5]


def find(lines: list[Line], pattern: str) -> Line:
    return next(ln for ln in lines if re.search(pattern, ln.text))


def red_rules(printed: Printed, page: int) -> list[tuple[float, float, float]]:
    with open_pdf(printed.docx_pdf) as pdf:
        p = pdf.pages[page]
        return [(r["top"] * MM, r["x0"] * MM, r["x1"] * MM) for r in p.rects + p.lines
                if tuple(r.get("non_stroking_color") or r.get("stroking_color") or ())[:3]
                == RED]


def test_head_copy_number_classification_mark_number_and_red_rule(
        printed: Printed, pages: list[list[Line]]) -> None:
    first = body(pages[0])
    copy_no, level, mark, number = first[:4]
    assert copy_no.text == "000001" and abs(copy_no.x0 - LEFT) < 1  # 份号: line 1, flush left
    # 密级★保密期限 on line 2
    assert level.text.replace(" ", "") == "秘密★1年" and abs(level.x0 - LEFT) < 1
    assert copy_no.top < TOP + GRID < level.top < TOP + 2 * GRID
    assert mark.text == "示范县公安局（演示数据）"
    assert all(tuple(c["non_stroking_color"])[:3] == RED for c in mark.chars)
    assert abs(mark.top - (TOP + 35)) < 1.0  # 发文机关标志: top 35 mm into the text block
    assert abs((mark.x0 + mark.x1) / 2 - (LEFT + RIGHT) / 2) < 1.5
    # 发文字号 one character in from the left, 签发人 one in from the right, same line,
    # two empty lines under the mark
    assert re.fullmatch(r"东公政〔2026〕1 ?号 签发人：王建国", number.text)
    assert abs(number.x0 - (LEFT + 16 * MM)) < 1.5 and abs(number.x1 - (RIGHT - 16 * MM)) < 1.5
    assert 2 * GRID < number.top - mark.bottom < 3.5 * GRID
    (rule, *_rest) = red_rules(printed, 0)
    top, x0, x1 = rule
    assert abs(x0 - LEFT) < 1 and abs(x1 - RIGHT) < 1  # as wide as the text block
    assert 3.0 < top - number.bottom < 5.0  # 4 mm under the 发文字号


def test_title_two_lines_below_the_rule_then_the_recipient(
        printed: Printed, pages: list[list[Line]]) -> None:
    first = body(pages[0])
    rule_top = red_rules(printed, 0)[0][0]
    title = [ln for ln in first if ln.size == 22.0]
    assert [t.text.replace(" ", "") for t in title] == ["关于2026年11月",
                                                         "民警心理健康工作情况的报告"]
    # the rule's own line, two empty lines, then the title
    assert 2 * GRID <= title[0].top - rule_top < 3 * GRID
    # on line 12 of the grid (2号 glyphs sit 2 mm lower in their line than 3号 ones)
    assert abs((title[0].top - first[0].top) / GRID - 11) < 0.3
    assert title[0].x1 - title[0].x0 < title[1].x1 - title[1].x0  # 梯形: the first shorter
    for line in title:
        assert abs((line.x0 + line.x1) / 2 - (LEFT + RIGHT) / 2) < 1.5
    recipient = first[first.index(title[-1]) + 1]
    assert recipient.text == "市公安局政治部：" and abs(recipient.x0 - LEFT) < 0.8
    assert 1.8 * GRID < recipient.top - title[-1].top < 2.3 * GRID  # one line left empty


def test_a_full_body_line_holds_28_characters_on_22_lines(pages: list[list[Line]]) -> None:
    full = [ln for page in pages[:3] for ln in body(page)
            if ln.size == 16.0 and abs(ln.x0 - LEFT) < 0.8 and ln.x1 > RIGHT - 1.5
            and re.fullmatch(r"[\u3000-\u9fff\uff00-\uffef]+", ln.text)]
    assert full, "no full line of Chinese text in the body"
    assert {len(ln.text) for ln in full} == {28}
    # every line of the body sits on the 22-line grid
    tops = [ln.top for ln in body(pages[0]) if ln.size == 16.0]
    for top in tops:
        offset = (top - tops[0]) / GRID
        assert abs(offset - round(offset)) < 0.08, top


def test_page_numbers_outside_7_mm_below_the_text_block(pages: list[list[Line]]) -> None:
    assert len(pages) >= 4
    for n, lines in enumerate(pages, start=1):
        if not lines:
            continue  # the blank page before the 版记 carries no number (§7.5)
        foot = [ln for ln in lines if ln.top > BOTTOM]
        assert [ln.text for ln in foot] == [f"— {n} —"], n
        (number,) = foot
        assert number.size == 14.0  # 4号
        assert abs((number.top + number.bottom) / 2 - (BOTTOM + 7)) < 1.0
        if n % 2:  # odd pages: right, one character in
            assert abs(number.x1 - (RIGHT - 14 * MM)) < 1.0, n
        else:
            assert abs(number.x0 - (LEFT + 14 * MM)) < 1.0, n


def test_legend_before_the_tables_attachments_each_on_their_own_pages(
        pages: list[list[Line]]) -> None:
    text = ["\n".join(ln.text for ln in body(page)) for page in pages]
    legend = next(i for i, t in enumerate(text) if "“<3”表示" in t)
    first_use = next(i for i, page in enumerate(pages)
                     if any(re.search(r"(^| )<3( |$)", ln.text) for ln in body(page)
                            if "表示" not in ln.text))
    assert legend < first_use
    listed = [int(m) for t in text[:4] for m in re.findall(r"^(?:附件：)?(\d+)\. ", t, re.M)]
    assert listed == list(range(1, len(listed) + 1)) and len(listed) >= 10
    starts = [i for i, page in enumerate(pages) if body(page)
              and re.fullmatch(r"附件 ?\d+", body(page)[0].text)]
    assert len(starts) == len(listed)  # each attachment begins a page
    for i in starts:
        head, title = body(pages[i])[:2]
        assert abs(head.x0 - LEFT) < 0.8 and abs(title.top - (TOP + 2 * GRID)) < 3
    assert "审计链头" in text[starts[-1]] and "审计链头" not in "".join(text[:starts[0]])
    assert "编制时间" not in "".join(text[:starts[0]])  # machine data out of the body
    joined = "\n".join(text)
    assert "GAD-7" in joined or "GAD‑7" in joined
    assert not re.search(r"GAD[-‑]\n", joined)  # never broken at the hyphen


def test_signature_date_note_and_imprint_on_the_last_page(pages: list[list[Line]]) -> None:
    body_pages = [body(p) for p in pages]
    end = next(i for i, lines in enumerate(body_pages)
               if any(re.fullmatch(r"2026 ?年 ?12 ?月 ?7 ?日", ln.text) for ln in lines))
    lines = body_pages[end]
    date = find(lines, r"^2026 ?年 ?12 ?月 ?7 ?日$")
    signer = lines[lines.index(date) - 1]
    assert signer.text == "示范县公安局（演示数据）"
    assert abs(date.x1 - (RIGHT - 4 * 16 * MM)) < 1.5  # 成文日期 four characters in
    assert abs((signer.x0 + signer.x1) / 2 - (date.x0 + date.x1) / 2) < 3.5  # centred over it
    note = lines[lines.index(date) + 1]
    assert note.text == "（联系人：李明，电话：12345678）"
    assert abs(note.x0 - (LEFT + 2 * 16 * MM)) < 1.0
    last = body_pages[-1]
    assert [ln.text.replace(" ", "") for ln in last] == [
        "抄送：市公安局警务保障部，市公安局督察支队。", "示范县公安局（演示数据）2026年12月7日印发"]
    assert BOTTOM - GRID < last[-1].bottom <= BOTTOM  # on the last line of the text block
    assert not any("印发" in ln.text for page in body_pages[:-1] for ln in page)


def test_the_imprint_is_on_an_even_last_page_after_a_blank_page_when_needed(
        pages: list[list[Line]]) -> None:
    """GB/T 9704 §7.4: the 版记 on the last page, the back of the last sheet — an even page;
    when the attachments end on an even page, a blank page (no page number) comes between."""
    assert len(pages) % 2 == 0
    assert any("印发" in ln.text for ln in pages[-1])
    integrity = next(i for i, page in enumerate(pages)
                     if any("审计链头" in ln.text for ln in page))
    between = pages[integrity + 1:-1]
    assert len(between) == (1 if integrity % 2 else 0)  # integrity on an even page: a blank
    assert all(not page for page in between)  # blank: no text, no page number


def test_a_table_crossing_a_page_repeats_its_header_row(printed: Printed) -> None:
    with open_pdf(printed.long_table_pdf) as pdf:
        long_pages = [page_lines(p) for p in pdf.pages]
    holding = [i for i, lines in enumerate(long_pages)
               if any(re.match(r"单位\d\d ", ln.text) for ln in lines)]
    assert len(holding) >= 2  # the 70 rows run over a page
    for i in holding:
        header = next(ln for ln in long_pages[i] if ln.size < 16 and ln.top > TOP)
        assert header.text.split()[0] == "方式", i


def test_pdf_pages_are_a4(printed: Printed) -> None:
    with open_pdf(printed.docx_pdf) as pdf:
        assert {(round(p.width * MM), round(p.height * MM)) for p in pdf.pages} == {(210, 297)}


def test_the_printed_pdf_exists_for_the_checklist(printed: Printed) -> None:
    assert Path(printed.docx_pdf).stat().st_size > 10_000


def _attachment_pages(pages: list[list[Line]], title: str) -> list[list[Line]]:
    start = next(i for i, page in enumerate(pages)
                 if any(ln.text.replace(" ", "") == title for ln in body(page)))
    out = [pages[start]]
    for page in pages[start + 1:]:
        if not body(page) or re.fullmatch(r"附件 ?\d+", body(page)[0].text):
            break
        out.append(page)
    return out


def test_instrument_names_and_date_ranges_never_break(pages: list[list[Line]]) -> None:
    """附件11 (census campaigns): each date range on one line, each instrument name whole;
    short headers (应测人数, 完成率) on one line."""
    campaign = _attachment_pages(pages, "本期普查进度")
    lines = [ln.text.replace("\u00a0", " ").replace("\u2060", "").replace("\u2011", "-")
             .replace("\u200b", "")
             for page in campaign for ln in body(page)]
    text = "\n".join(lines)
    assert re.search(r"2026-11-16 ?– ?2027-01-06", text), text  # the window, on one line
    for name in ("GAD-7", "PHQ-9", "PSS-10"):
        assert name in text, (name, text)
    assert not re.search(r"(GAD|PHQ|PSS|PCL|SCL)-?\n", text)
    header = next(ln for ln in lines if ln.startswith("普查"))
    assert "应测人数" in header.replace(" ", "") and "完成率" in header.replace(" ", "")
    assert not re.search(r"\d{4}-\d\d-\d\d ?–?\n", text)  # no date range split


def test_the_integrity_record_prints_times_for_people(pages: list[list[Line]]) -> None:
    """The compile time as a clerk writes it (2026年12月7日 9:00), not ISO 8601."""
    record = _attachment_pages(pages, "数据完整性说明")
    text = "\n".join(ln.text.replace(" ", "") for page in record for ln in body(page))
    assert re.search(r"编制时间：2026年12月7日9:00", text), text
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\+08:00", text)
