"""A real sshd in front of the vault, set up by the project's own script (issue 14).

OpenSSH's server runs on 127.0.0.1 on a free port with a throwaway host key; a test service
account, its folders, the ForceCommand wrapper and the sshd ``Match`` block are made by
``deploy/setup-bureau-server.sh`` (as root). A counselor logs in with a key through ``ssh -t``
in tmux (own ``-L`` socket), unlocks and logs a session, which a second SSH session sees on
its open archive without a restart (live screens, ``PRAGMA data_version``); shell access,
a command on the ssh line and port forwarding through that account are refused. Skips,
saying why, when sshd cannot run here (not root, sshd or tmux missing). sshd, the sessions
and the account are removed even when the test fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from counselor_tui.services import accounts, lifecycle, persons
from counselor_tui.services.context import SystemClock
from db.throttle import AttemptLedger
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, REPO
from tests.worlds import as_office

SSHD = "/usr/sbin/sshd"
SCRIPT = REPO / "deploy" / "setup-bureau-server.sh"
APP = Path(sys.executable).with_name("counselor-tui")


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "the SSH server test creates an OS account and runs sshd: needs root"
    for tool in (SSHD, shutil.which("ssh"), shutil.which("tmux"), shutil.which("useradd"),
                 shutil.which("ssh-keygen"), shutil.which("setfacl")):
        if tool is None or not Path(tool).exists():
            return "openssh-server, openssh-client, tmux, acl and useradd are needed " \
                   "(.ci/system-deps installs them)"
    if not APP.exists():
        return f"the installed program {APP} is missing (make venv)"
    return None


pytestmark = [pytest.mark.e2e, pytest.mark.skipif(_why_not() is not None,
                                                  reason=_why_not() or "")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Server:
    root: Path
    account: str
    port: int
    key: Path
    vault: Path
    env: dict[str, str]

    def ssh(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ssh", *self.options(), *args], capture_output=True, text=True,
                              timeout=timeout, check=False, stdin=subprocess.DEVNULL)

    def options(self) -> list[str]:
        return ["-F", "/dev/null", "-p", str(self.port), "-i", str(self.key),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-l", self.account]


def _closed_ancestors(path: Path) -> list[Path]:
    """Folders above ``path`` (the interpreter, the checkout) that other users cannot
    traverse — e.g. ``/root`` when Python lives in ``/root/.pyenv``."""
    closed = []
    for folder in [*reversed(path.parents)]:
        if folder.exists() and not folder.stat().st_mode & 0o001:
            closed.append(folder)
    return closed


#: Held while an ACL is changed: several servers (xdist workers, other checkouts) may grant
#: and revoke on the same folders at once, and one's clean-up must not drop another's entry.
ACL_LOCK = Path("/tmp/ctui-ssh-acl.lock")


@contextlib.contextmanager
def _acl_lock() -> Iterator[None]:
    with ACL_LOCK.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _grant_traverse(account: str, folders: list[Path]) -> None:
    """Let ``account`` (only) traverse ``folders`` with an ACL entry of its own."""
    with _acl_lock():
        for folder in folders:
            subprocess.run(["setfacl", "-m", f"u:{account}:x", str(folder)], check=True)


def _revoke_traverse(account: str, folders: list[Path]) -> None:
    """Remove ``account``'s entries; a folder left with no named user or group entry gets
    its ACL removed entirely (as it was before any server of the suite ran)."""
    with _acl_lock():
        for folder in folders:
            subprocess.run(["setfacl", "-x", f"u:{account}", str(folder)], check=False,
                           capture_output=True)
            left = subprocess.run(["getfacl", "-cp", str(folder)], capture_output=True,
                                  text=True, check=False).stdout.splitlines()
            if not any(re.match(r"(user|group):[^:]+:", line) for line in left):
                subprocess.run(["setfacl", "-b", str(folder)], check=False,
                               capture_output=True)


def _script(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _make_vault(path: Path, state: Path) -> None:
    clock = SystemClock()
    lifecycle.create_vault(path, bureau="测试县公安局", admin_username="admin",
                       passphrase=PASSPHRASE, clock=clock, kdf_seconds=0)
    admin = lifecycle.unlock(path, "admin", PASSPHRASE, clock=clock, state_dir=state)
    try:
        unit = persons.create_unit(admin, "城关派出所", "派出所", code="U001")
        accounts.add_user(admin, "li", "counselor", OTHER_PASSPHRASE, unit_code="U001",
                          display_name="李辅导员", kdf_seconds=0)
        persons.create_person(as_office(admin), persons.PersonDraft(
            kind="officer", name="张三丰", badge_no="010001", unit_id=unit,
            police_type="派出所"))
    finally:
        admin.close()


@pytest.fixture
def server() -> Iterator[Server]:
    root = Path(tempfile.mkdtemp(prefix="ctui-ssh-", dir="/tmp"))
    root.chmod(0o711)  # the service account must reach its folders below
    account = f"ctui{secrets.token_hex(3)}"
    env = {**os.environ, "ACCOUNT": account, "DATA": str(root / "data"), "APP": str(APP),
           "SSHD_DIR": str(root / "sshd.d"), "BIN_DIR": str(root / "bin"),
           "SYSTEMD_DIR": str(root / "no-systemd"), "CRON_DIR": str(root / "cron"),
           "ETC_DIR": str(root / "etc"), "RELOAD": "0"}
    sshd: subprocess.Popen[bytes] | None = None
    # the service account runs this checkout's program with this interpreter
    closed = sorted({*_closed_ancestors(Path(sys.executable).resolve()),
                     *_closed_ancestors(REPO / "pyproject.toml")})
    try:
        _script(env, "install")
        _grant_traverse(account, closed)
        data = root / "data"
        db = data / "vault" / "vault.db"
        _make_vault(db, data / "state")
        subprocess.run(["chown", "-R", f"{account}:{account}", str(data / "vault"),
                        str(data / "state")], check=True)
        key = root / "client_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
                       check=True)
        _script(env, "add-key", "li", f"{key}.pub")
        host_key = root / "host_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)],
                       check=True)
        port = _free_port()
        config = root / "sshd_config"
        config.write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
            f"PidFile {root / 'sshd.pid'}\nUsePAM no\nStrictModes yes\n"
            f"AllowUsers {account}\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nAuthorizedKeysFile .ssh/authorized_keys\n"
            f"Include {root / 'sshd.d'}/*.conf\n", encoding="utf-8")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation folder
        checked = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True,
                                 text=True, check=False)
        assert checked.returncode == 0, checked.stderr
        sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)],
                                stderr=subprocess.DEVNULL)

        def listening() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                return False

        _wait(listening, "sshd to listen")
        yield Server(root, account, port, key, db, env)
    finally:
        if sshd is not None:
            sshd.terminate()
            try:
                sshd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                sshd.kill()
        _revoke_traverse(account, closed)
        subprocess.run(["bash", str(SCRIPT), "uninstall"], env={**env, "PURGE": "1"},
                       capture_output=True, check=False, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


class Tmux:
    """A private tmux server (``-L``) with one ssh session per window."""

    def __init__(self) -> None:
        self.socket = f"i14-ssh-{os.getpid()}-{secrets.token_hex(2)}"

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=True, timeout=30).stdout

    def start(self, name: str, command: str) -> None:
        if name == "a":
            self.run("new-session", "-d", "-s", "t", "-n", name, "-x", "120", "-y", "40",
                     command)
        else:
            self.run("new-window", "-t", "t", "-n", name, command)

    def keys(self, win: str, *keys: str) -> None:
        self.run("send-keys", "-t", f"t:{win}", *keys)

    def text(self, win: str, text: str) -> None:
        self.run("send-keys", "-t", f"t:{win}", "-l", text)

    def screen(self, win: str) -> str:
        return self.run("capture-pane", "-p", "-t", f"t:{win}")

    def wait_for(self, win: str, needle: str, timeout: float = 120) -> str:
        shown = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen(win)
            if needle in shown:
                return shown
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {needle!r}; the screen shows:\n{shown}")

    def settle(self, win: str, timeout: float = 30) -> None:
        previous = self.screen(win)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.4)
            current = self.screen(win)
            if current == previous:
                return
            previous = current
        raise AssertionError("the screen never settled")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       check=False)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    t = Tmux()
    try:
        yield t
    finally:
        t.kill()


def test_shell_commands_and_forwarding_are_refused(server: Server) -> None:
    shell = server.ssh("127.0.0.1", "id; cat /etc/passwd")
    assert shell.returncode != 0 and "uid=" not in shell.stdout and "root:" not in shell.stdout
    assert "counselor-tui only" in shell.stderr
    no_tty = server.ssh("-T", "127.0.0.1")
    assert no_tty.returncode != 0 and "counselor-tui only" in no_tty.stderr
    # a stdio forward (what -L uses) to the ssh port itself would return its banner
    forward = server.ssh("-W", f"127.0.0.1:{server.port}", "127.0.0.1")
    assert "SSH-2.0" not in forward.stdout and forward.returncode != 0
    remote = server.ssh("-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:22",
                        "127.0.0.1")
    assert remote.returncode != 0
    sftp = subprocess.run(["sftp", "-b", "-", *server.options()[:-2], "-o",
                           f"User={server.account}", "127.0.0.1"], input="ls /\n",
                          capture_output=True, text=True, timeout=60, check=False)
    assert sftp.returncode != 0 and "etc" not in sftp.stdout


def _as_account(server: Server, *command: str,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as the service account (what a shell escape would be allowed)."""
    extra = [f"{k}={v}" for k, v in (env or {}).items()]
    return subprocess.run(["runuser", "-u", server.account, "--", "env", *extra, *command],
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_failed_attempt_journal_is_out_of_the_service_accounts_reach(
        server: Server) -> None:
    """Build 7 of issue 12: on the server the failed unlocks are also kept in an append-only
    journal the service account can add to but not delete, truncate, rename or rewrite, so
    removing the state folder neither lifts the delay nor erases the failures."""
    data = server.root / "data"
    journal = data / "attempts" / "attempts.log"
    wrapper = (server.root / "bin" / f"counselor-tui-ssh-{server.account}").read_text()
    assert f'export COUNSELOR_TUI_ATTEMPTS_JOURNAL="{journal}"' in wrapper
    assert journal.stat().st_uid == 0 and journal.parent.stat().st_uid == 0
    flags = subprocess.run(["lsattr", "-d", str(journal)], capture_output=True, text=True,
                           check=False).stdout.split()
    if not flags or "a" not in flags[0]:
        pytest.skip(f"the filesystem of {data} does not support the append-only attribute "
                    "(chattr +a): setup-bureau-server.sh warned about it")
    for erase in ([": > \"$1\""], ['rm -f "$1"'], ['mv "$1" "$1.gone"'],
                  ['printf x | dd of="$1" conv=notrunc 2>/dev/null'], ['chmod 0666 "$1"']):
        tried = _as_account(server, "sh", "-c", erase[0], "sh", str(journal))
        assert tried.returncode != 0, erase
    wrong = data / "home" / "wrong.txt"
    wrong.write_text("not the passphrase\n", encoding="utf-8")
    subprocess.run(["chown", f"{server.account}:{server.account}", str(wrong)], check=True)
    env = {"COUNSELOR_TUI_STATE_DIR": str(data / "state"),
           "COUNSELOR_TUI_ATTEMPTS_JOURNAL": str(journal), "COUNSELOR_TUI_LANG": "en"}
    failed = _as_account(server, str(APP), "--vault", str(server.vault), "--user", "li",
                         "--passphrase-file", str(wrong), "users", "list", env=env)
    assert failed.returncode == 2 and "Traceback" not in failed.stderr, failed.stderr
    lines = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert [(line["op"], line["user"]) for line in lines] == [("fail", "li")]
    # the account removes every ledger copy it can reach ...
    gone = _as_account(server, "rm", "-rf", str(data / "state" / "attempts"),
                       str(data / "home" / ".config"))
    assert gone.returncode == 0, gone.stderr
    # ... and the failure is still counted for li (the product's own ledger, empty state)
    left = AttemptLedger(server.root / "empty-state", lines[0]["vault"], None, journal)
    assert left.read("li").count == 1


def _login(tmux: Tmux, win: str, server: Server) -> None:
    ssh = " ".join(["ssh", "-t", *server.options(), "-o", "RequestTTY=force", "127.0.0.1"])
    command = f"env TERM=xterm-256color LANG=C.UTF-8 {ssh}; echo SSH-EXITED-$?; sleep 600"
    tmux.start(win, command)
    tmux.wait_for(win, "解锁")
    tmux.settle(win)
    assert "li" in tmux.screen(win)  # the key named the vault account
    tmux.text(win, OTHER_PASSPHRASE)
    tmux.settle(win)
    tmux.keys(win, "Enter")
    tmux.wait_for(win, "工作台 · 测试县公安局")


def test_a_counselor_logs_a_session_over_ssh(server: Server, tmux: Tmux) -> None:
    _login(tmux, "a", server)
    # a second SSH session, its archive open on the officer (no session yet)
    _login(tmux, "b", server)
    tmux.keys("b", "F3")
    before = tmux.wait_for("b", "张三丰")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert today not in before
    tmux.keys("a", "F2")
    tmux.wait_for("a", "服务对象")
    tmux.settle("a")
    tmux.text("a", "zsf")
    tmux.wait_for("a", "张三丰 · 警号 010001")
    tmux.keys("a", "Enter")
    tmux.wait_for("a", "✔ 张三丰")
    tmux.settle("a")
    tmux.keys("a", "Space")
    tmux.settle("a")
    tmux.keys("a", "Tab")
    tmux.settle("a")
    tmux.text("a", "通过SSH记录的咨询")
    tmux.wait_for("a", "通过SSH记录的咨询")
    tmux.keys("a", "C-s")
    tmux.wait_for("a", "咨询记录已保存")
    # the other session's open archive shows the new session without a key pressed
    tmux.wait_for("b", today, timeout=60)
    tmux.keys("b", "C-q")
    tmux.keys("a", "C-q")
    tmux.wait_for("a", "SSH-EXITED-0")
    # stored in the server's vault, by li, through the ForceCommand
    vs = lifecycle.unlock(server.vault, "li", OTHER_PASSPHRASE, clock=SystemClock(),
                      state_dir=server.root / "data" / "state")
    try:
        with vs.reading():
            rows = vs.execute("SELECT note FROM counseling_session").fetchall()
        assert [r[0] for r in rows] == ["通过SSH记录的咨询"]
    finally:
        vs.close()
