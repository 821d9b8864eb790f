"""The real TUI's start in a terminal (issue 18: first frame ≤ 0.4 s, dashboard filled ≤ 1.0 s).

``counselor-tui --vault V --user demo --passphrase-file F`` is started in a tmux window of
120×40 on a private tmux server; the pane is read every few milliseconds from the moment the
window is asked for. Two times per run, seconds from that moment:

* **first frame**: the first time the pane shows anything;
* **dashboard filled**: the first time the dashboard's header names the user and no section
  is still loading (:data:`counselor_tui.ui.screens.dashboard` shows "loading" until the last
  section arrived).

Baseline, started the same way in the same run: a bare Textual app (one ``Static`` and a
``Footer``) to its first frame. Runs alternate app and baseline; medians of ``rounds``.
The language is English (``--lang en``) so that the markers are plain ASCII.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import PASSPHRASE, Result, ensure_vault, median

WIDTH, HEIGHT = 120, 40
#: Seconds a run may take before it is given up (a province vault on a loaded machine).
RUN_LIMIT = 120.0
#: A new tmux server per run: a new session on the name of one just killed may meet it dying
#: ("server exited unexpectedly").
_RUNS = itertools.count()

BARE = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import Footer, Static

    class Bare(App):
        BINDINGS = [("q", "quit", "Quit")]

        def compose(self):
            yield Static("hello")
            yield Footer()

    Bare().run()
    """
)


def _pane(server: str) -> str:
    out = subprocess.run(["tmux", "-L", server, "capture-pane", "-p"], capture_output=True,
                         text=True, check=False)
    return out.stdout if out.returncode == 0 else ""


def probe(argv: list[str], filled: Callable[[str], bool] | None, *,
          env: dict[str, str] | None = None) -> tuple[float, float]:
    """Start ``argv`` in a fresh tmux window; seconds to the first frame and to the first
    pane ``filled`` accepts (``nan`` when ``filled`` is None). Raises :class:`RuntimeError`
    when the pane does not get there within :data:`RUN_LIMIT` (the last pane is not shown:
    it may hold data)."""
    server = f"bench-start-{os.getpid()}-{next(_RUNS)}"
    command = " ".join(_quote(a) for a in argv) + "; sleep 60"
    merged = {**os.environ, **(env or {})}
    first = done = float("nan")
    started = time.perf_counter()
    subprocess.run(["tmux", "-L", server, "-f", "/dev/null", "new-session", "-d",
                    "-x", str(WIDTH), "-y", str(HEIGHT), command], check=True, env=merged)
    try:
        while time.perf_counter() - started < RUN_LIMIT:
            text = _pane(server)
            now = time.perf_counter() - started
            if first != first and text.strip():
                first = now
            if filled is None and first == first:
                return first, done
            if filled is not None and filled(text):
                return first, now
            time.sleep(0.005)
        raise RuntimeError(f"{argv[0]}: no {'frame' if first != first else 'dashboard'} "
                           f"within {RUN_LIMIT:.0f} s")
    finally:
        subprocess.run(["tmux", "-L", server, "kill-server"], capture_output=True, check=False)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def dashboard_filled(text: str) -> bool:
    """The dashboard's header is there and no section is still loading."""
    return "Dashboard · " in text and "Loading" not in text


def run(preset: str = "county", rounds: int = 5) -> list[Result]:
    if shutil.which("tmux") is None:
        print("tmux not found: start-up not measured", file=sys.stderr)
        return []
    path = ensure_vault(preset)
    with tempfile.TemporaryDirectory() as tmp:
        secret = Path(tmp) / "passphrase"
        secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
        secret.chmod(0o600)
        app = [sys.executable, "-m", "counselor_tui", "--vault", str(path), "--user", "demo",
               "--passphrase-file", str(secret), "--lang", "en"]
        bare = [sys.executable, "-c", BARE]
        env = {"COUNSELOR_TUI_STATE_DIR": str(path.parent / "st")}
        firsts: list[float] = []
        fills: list[float] = []
        bares: list[float] = []
        for _ in range(rounds):
            first, fill = probe(app, dashboard_filled, env=env)
            firsts.append(first)
            fills.append(fill)
            bares.append(probe(bare, None)[0])
    base = median(bares) * 1000
    return [
        Result(f"start → first frame ({preset})", median(firsts) * 1000, "ms",
               "bare Textual app", base, "≤ 400 ms at province"),
        Result(f"start → dashboard filled ({preset})", median(fills) * 1000, "ms",
               "bare Textual app", base, "≤ 1,000 ms at province"),
    ]
