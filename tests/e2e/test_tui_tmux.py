"""End to end: the real program in tmux (DESIGN §13, issue 3 acceptance).

First-run wizard (admin plus the working account ``li``, same passphrase) → quit; a roster
through the CLI; then, in the TUI (the passphrase typed ahead while it starts: it lands
masked), log a session with a Chinese multi-line note (pasted), find the person again by
pinyin initials, see the note in the record, start a second note and wait for the idle
lock (``COUNSELOR_TUI_IDLE_SECONDS``) half-way through it, check nothing of the record or
the note is left on screen, unlock, find the form again with the half-written note (issue
15 item 7), finish and save it, and quit. Every step waits for what the screen shows
(``capture-pane`` polled), never a fixed sleep.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, REPO

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

IDLE_SECONDS = 15
NOTE = "来访者自述近期夜班多，入睡困难。\n与配偶争吵增多，情绪低落。\n约定一周后电话随访。"
#: A note half-written when the idle lock comes, and the rest typed after unlocking.
HALF = "复诊：睡眠略有改善，"
REST = "仍担心考核。"
#: The first topic of the session form, ticked.
TICKED = "▐✓▌ 工作压力"


class Tmux:
    """One private tmux server (``-L``) running one program in a 120x40 pane."""

    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def _tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=check, timeout=30)
        return done.stdout

    def start(self, *argv: str) -> None:
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        program = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "counselor_tui",
                                                    *argv))
        command = f"cd {shlex.quote(str(REPO))} && env {assignments} {program}; " \
                  "echo PROGRAM-EXITED-$?; sleep 600"
        self._tmux("new-session", "-d", "-s", "main", "-x", "120", "-y", "40", command)

    def keys(self, *keys: str) -> None:
        """Send key names (``Enter``, ``F2``, ``C-s`` …)."""
        self._tmux("send-keys", "-t", "main", *keys)

    def text(self, text: str) -> None:
        """Type ``text`` literally (UTF-8, so Chinese arrives as typed characters)."""
        self._tmux("send-keys", "-t", "main", "-l", text)

    def paste(self, text: str) -> None:
        """Paste ``text`` as a terminal would (bracketed paste)."""
        self._tmux("set-buffer", "-b", "note", text)
        self._tmux("paste-buffer", "-p", "-b", "note", "-t", "main")

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "main")

    def wait(self, predicate: Callable[[str], bool], what: str, timeout: float = 60) -> str:
        """Poll the pane until ``predicate(screen)`` holds; on a timeout the message shows
        the last screens seen (what happened just before, e.g. an idle lock, is kept)."""
        deadline = time.monotonic() + timeout
        shown = ""
        seen: list[tuple[float, str]] = []
        while time.monotonic() < deadline:
            shown = self.screen()
            if predicate(shown):
                return shown
            if not seen or seen[-1][1] != shown:
                seen.append((time.monotonic(), shown))
            time.sleep(0.2)
        start = seen[0][0] if seen else 0.0
        history = "\n".join(f"--- at {at - start:.1f} s:\n{screen}" for at, screen in seen[-4:])
        raise AssertionError(f"timed out waiting for {what}; the last screens:\n{history}")

    def settle(self, timeout: float = 30) -> str:
        """Wait until the pane stops changing (two equal captures 0.3 s apart): the keys
        sent so far were handled, so the next ones reach the widget that now has focus."""
        previous = self.screen()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.3)
            current = self.screen()
            if current == previous:
                return current
            previous = current
        raise AssertionError("the screen never settled")

    def wait_for(self, needle: str, timeout: float = 60) -> str:
        return self.wait(lambda s: needle in s, repr(needle), timeout)

    def kill(self) -> None:
        self._tmux("kill-server", check=False)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    env = {
        "COUNSELOR_TUI_KDF_SECONDS": "0",
        "COUNSELOR_TUI_STATE_DIR": str(tmp_path / "state"),
        "COUNSELOR_TUI_IDLE_SECONDS": str(IDLE_SECONDS),
        "COUNSELOR_TUI_LANG": "zh",
        "LANG": "C.UTF-8",
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
    }
    session = Tmux(f"counselor-e2e-{os.getpid()}-{tmp_path.name}", env)
    try:
        yield session
    finally:
        session.kill()


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COUNSELOR_TUI_KDF_SECONDS="0",
               COUNSELOR_TUI_STATE_DIR=str(tmp_path / "state"), COUNSELOR_TUI_LANG="en")
    return subprocess.run([sys.executable, "-m", "counselor_tui", *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120, check=False)


def test_wizard_session_search_idle_lock_unlock(tmux: Tmux, tmp_path: Path) -> None:
    db = tmp_path / "vault" / "vault.db"
    admin_pw = tmp_path / "admin.pw"
    admin_pw.write_text(PASSPHRASE + "\n", encoding="utf-8")

    # 1. first-run wizard, in Chinese
    tmux.start("--vault", str(db))
    tmux.wait_for("新建加密库", timeout=90)
    tmux.settle()
    tmux.text("测试县公安局")
    tmux.wait_for("测试县公安局")
    tmux.keys("Enter")  # → admin user name (prefilled "admin")
    tmux.settle()
    tmux.keys("Enter")  # → display name
    tmux.settle()
    tmux.text("管理员")
    tmux.wait_for("管理员")
    tmux.keys("Enter")  # → the working account's user name
    tmux.settle()
    tmux.text("li")
    tmux.settle()
    tmux.keys("Enter")  # → its display name (role: coordinator by default)
    tmux.settle()
    tmux.text("李主任")
    tmux.wait_for("李主任")
    tmux.keys("Enter")  # → step 2
    tmux.wait_for("第 2 步")
    tmux.settle()
    tmux.text(PASSPHRASE)
    tmux.wait_for("强度")
    tmux.keys("Enter")
    tmux.settle()
    tmux.text(PASSPHRASE)
    tmux.settle()
    tmux.keys("Enter")
    shown = tmux.wait_for("第 3 步")
    found = re.search(r"[0-9A-Z]{5}(?:-[0-9A-Z]{5}){5}", shown)
    assert found, shown
    tmux.settle()
    tmux.text(found.group(0))
    tmux.settle()
    tmux.keys("Enter")
    tmux.wait_for("第 4 步")
    tmux.settle()
    tmux.keys("Enter")  # "go to the dashboard" has the focus
    shown = tmux.wait_for("工作台 · 测试县公安局")
    assert "李主任" in shown  # signed in as the working account, not the admin
    tmux.keys("C-q")
    tmux.wait_for("PROGRAM-EXITED-0")
    tmux.kill()

    # 2. the roster, through the command line
    roster = tmp_path / "roster.csv"
    roster.write_text("警号,姓名,性别,单位,警种\n010001,张三丰,男,城关派出所,派出所\n"
                      "010002,李四,男,城关派出所,派出所\n", encoding="utf-8")
    # by the working account (coordinator, same passphrase): an admin does not import
    imported = cli(tmp_path, "--vault", str(db), "--user", "li", "--passphrase-file",
                   str(admin_pw), "import", "roster", str(roster), "--apply", "--create-units")
    assert imported.returncode == 0, imported.stderr
    assert "added 2" in imported.stdout + imported.stderr

    # 3. log a session with a pasted multi-line Chinese note
    tmux.start("--vault", str(db), "--user", "li")
    tmux.text(PASSPHRASE)  # typed ahead while the program starts: it must land masked
    shown = tmux.wait(lambda s: "•" * len(PASSPHRASE) in s, "the passphrase, masked",
                      timeout=90)
    assert PASSPHRASE not in shown and "li" in shown
    tmux.settle()
    tmux.keys("Enter")
    tmux.wait_for("工作台 · 测试县公安局")
    tmux.keys("F2")
    tmux.wait_for("服务对象")  # a label of the form ("记录咨询" is in the footer too)
    tmux.settle()
    tmux.text("zsf")
    tmux.wait_for("张三丰 · 警号 010001")
    tmux.keys("Enter")
    tmux.wait_for("✔ 张三丰")
    tmux.settle()
    tmux.keys("Space")
    # wait for the tick itself: a list's Space is resolved when the key has bubbled up to
    # the app, against the focus of that moment, so a Tab sent before it is handled (a
    # loaded machine) would take the focus away first and the Space would be lost
    tmux.wait_for(TICKED)
    tmux.keys("Tab")
    tmux.settle()
    tmux.paste(NOTE)
    tmux.wait_for("约定一周后电话随访")
    tmux.keys("C-s")
    tmux.wait_for("咨询记录已保存")

    # 4. find the person again by pinyin initials, open the record, see the note
    tmux.keys("F3")
    tmux.wait_for("共 2 人")
    tmux.settle()
    tmux.text("zsf")
    tmux.wait_for("共 1 人")
    tmux.keys("Enter")  # → the list
    tmux.settle()
    tmux.keys("Enter")  # → the record
    record = tmux.wait_for("与配偶争吵增多，情绪低落。")
    for line in NOTE.splitlines():
        assert line in record

    # 5. half-way through a second note (F2 on the record), the idle lock clears every
    #    screen; the half-written note is kept encrypted in the vault (issue 15 item 7)
    tmux.keys("F2")
    tmux.wait(lambda s: "服务对象" in s and "✔ 张三丰" in s, "the form for 张三丰")
    tmux.settle()
    tmux.keys("Space")  # the first topic
    tmux.wait_for(TICKED)
    tmux.keys("Tab")  # → the note
    tmux.settle()
    tmux.text(HALF)
    tmux.wait_for(HALF)
    locked = tmux.wait(lambda s: "解锁" in s and "用户名" in s, "the idle lock",
                       timeout=IDLE_SECONDS * 4)
    for secret in ("张三丰", "010001", "入睡困难", "争吵", HALF):
        assert secret not in locked
    assert "解锁后恢复" in locked  # the unlock screen says the text is kept

    # 6. unlock: back on the form over the record, the half-written note is there; finish
    #    it and save, and the record shows the whole note
    tmux.settle()
    tmux.text(PASSPHRASE)
    tmux.wait(lambda s: "•" * len(PASSPHRASE) in s, "the passphrase typed (masked)")
    tmux.settle()
    tmux.keys("Enter")
    # the form is back scrolled to the note, which has the focus again: its title (the
    # header's first line) and the half-written note are on screen, the picker may not be
    tmux.wait(lambda s: HALF in s and "记录咨询" in s.splitlines()[0],
              "the form with the kept note")
    tmux.settle()
    tmux.text(REST)
    tmux.wait_for(REST)
    tmux.keys("C-s")
    tmux.wait_for("咨询记录已保存")
    record = tmux.wait(lambda s: HALF + REST in s and "服务对象" not in s,
                       "the record with the finished note")
    assert "来访者自述近期夜班多" in record  # the first session is still in the list
    tmux.keys("C-q")
    tmux.wait_for("PROGRAM-EXITED-0")


def test_user_and_passphrase_file_open_the_tui_unlocked(tmux: Tmux, tmp_path: Path) -> None:
    db = tmp_path / "vault" / "vault.db"
    secret = tmp_path / "admin.pw"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    made = cli(tmp_path, "--vault", str(db), "--passphrase-file", str(secret), "init",
               "--bureau", "脚本县公安局", "--admin", "admin",
               "--recovery-code-out", str(tmp_path / "recovery.txt"))
    assert made.returncode == 0, made.stderr
    tmux.start("--vault", str(db), "--user", "admin", "--passphrase-file", str(secret),
               "--lang", "en")
    shown = tmux.wait_for("Dashboard · 脚本县公安局", timeout=90)
    assert "Unlock" not in shown
    tmux.keys("C-l")  # lock: the unlock screen names the same user
    tmux.wait(lambda s: "Unlock" in s and "admin" in s, "the unlock screen")
    tmux.keys("C-q")
    tmux.wait_for("PROGRAM-EXITED-0")
