"""The receiving clerk's last findings on the command line's language (issue 17, finding 9):
the ``--version`` help and the scope in a Chinese message are Chinese, not argparse's or the
command-line token's English."""

from __future__ import annotations

import pytest

from counselor_tui import cli
from counselor_tui.i18n import set_language
from counselor_tui.reports.view import scope_label


def test_every_line_of_the_chinese_help_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        with pytest.raises(SystemExit) as done:
            cli.main(["--lang", "zh", "--help"])
    finally:
        set_language("en")
    assert done.value.code == 0
    out = capsys.readouterr().out
    version = next(line for line in out.splitlines() if line.strip().startswith("--version"))
    assert "显示程序版本并退出" in version
    assert "show program" not in out and "exit" not in out


def test_scopes_are_named_in_the_reader_s_language() -> None:
    set_language("zh")
    try:
        assert (scope_label("bureau"), scope_label("consolidated"), scope_label("U01")) == (
            "全局", "汇总", "U01")
    finally:
        set_language("en")
    assert scope_label("bureau") == "whole bureau"


class _ClosedPipe:
    """A standard output whose reader went away (``counselor-tui … | head``)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_ends_quietly_not_as_an_unexpected_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    code = cli.main(["--lang", "en", "score", "phq9", "0,1,2,3,0,1,2,3,1"])
    set_language("en")
    assert code == 141  # as a program stopped by SIGPIPE
    assert "Unexpected error" not in capsys.readouterr().err
