"""Memory with the TUI open (DESIGN §11: ≤ 250 MB RSS at province; issue 18: ≤ 150 MB).

Each figure is the peak resident set size of a child process: the real app (headless, via
Textual's ``run_test``) unlocked on the vault, after the dashboard and the archive's first
page are shown; baseline, a bare Textual app in the same kind of process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from benchmarks.common import PASSPHRASE, Result, ensure_vault

#: Peak RSS of this process from /proc (getrusage's ru_maxrss is inherited across fork and
#: exec on Linux, so a child of a big parent would report the parent's peak).
PEAK = """
def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")
"""

CHILD_APP = PEAK + textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    from benchmarks.common import clock
    from counselor_tui.services.api import Backend
    from counselor_tui.ui.app import create_app
    from counselor_tui.ui.screens.archive import ArchiveScreen

    async def main():
        path = Path(sys.argv[1])
        backend = Backend(path, clock=clock(), state_dir=path.parent / "st", kdf_seconds=0)
        backend.unlock("demo", sys.argv[2])
        app = create_app(backend, idle_minutes=60)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(200):
                await app.workers.wait_for_complete()
                await pilot.pause()
            await pilot.press("f3")
            for _ in range(200):
                await app.workers.wait_for_complete()
                await pilot.pause()
                if isinstance(app.screen, ArchiveScreen):
                    break
            for _ in range(50):
                await app.workers.wait_for_complete()
                await pilot.pause()
        print(json.dumps({"rss_kib": peak_kib()}))

    asyncio.run(main())
    """
)

CHILD_BARE = PEAK + textwrap.dedent(
    """
    import asyncio, json
    from textual.app import App
    from textual.widgets import Footer, Static

    class Bare(App):
        def compose(self):
            yield Static("hello")
            yield Footer()

    async def main():
        async with Bare().run_test(size=(120, 40)) as pilot:
            await pilot.pause()
        print(json.dumps({"rss_kib": peak_kib()}))

    asyncio.run(main())
    """
)


def _rss_mib(code: str, *args: str) -> float:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True, timeout=900)
    return int(json.loads(out.stdout.strip().splitlines()[-1])["rss_kib"]) / 1024


def run(preset: str = "county") -> list[Result]:
    path = ensure_vault(preset)
    app = _rss_mib(CHILD_APP, str(path), PASSPHRASE)
    bare = _rss_mib(CHILD_BARE)
    return [Result(f"RSS, TUI on archive ({preset})", app, "MB", "bare Textual app", bare,
                   "≤ 150 MB at province")]
