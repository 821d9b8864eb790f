"""A bureau's definition file is hostile input (issue 16 point 4): whatever a file holds —
a valid definition with lines dropped, duplicated or overwritten with odd values, or bytes
of no shape at all — the strict reader answers with a :class:`DefinitionError` (one clear
message) or a definition that scores, never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counselor_tui.domain.instruments import bureau, score
from counselor_tui.domain.instruments.model import DefinitionError
from tests.integration.instrument_files import definition

LINES = definition().splitlines()
ODD_VALUES = ("nan", "inf", "-1", "0", "1e308", "99999999999", "true", '""', "[]", "{}",
              '"cutoff"', '"cutoff - 1"', "[[0, 12, \"x\", \"\", \"\"]]", "1979-05-27",
              '"' + "长" * 5000 + '"', "[" * 40 + "]" * 40, '"sum"', '"mean"', "3", "4")


@st.composite
def mangled(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(("drop", "copy", "value")))
        if action == "drop":
            del lines[index]
        elif action == "copy":
            lines.insert(draw(st.integers(0, len(lines))), lines[index])
        elif "=" in lines[index]:
            key = lines[index].split("=", 1)[0]
            lines[index] = f"{key}= {draw(st.sampled_from(ODD_VALUES))}"
        if not lines:
            break
    return "\n".join(lines)


def _read(raw: bytes) -> None:
    message = ""
    try:
        checked = bureau.check_bytes(raw)
    except DefinitionError as exc:
        message = str(exc)
    if message:
        assert "\n" not in message.strip()
        return
    defn = checked.definition
    score(defn, [defn.response_min] * defn.item_count)  # what it accepts, it scores


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_a_mangled_definition_is_refused_clearly_or_scores(text: str) -> None:
    _read(text.encode("utf-8"))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_bytes_of_no_shape_are_refused_clearly(raw: bytes) -> None:
    _read(raw)
