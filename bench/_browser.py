"""What the browser benchmarks share: a real ``streamlit run`` and an offline Chromium.

Every request a page makes to a host other than the server's loopback address is
aborted, so a figure never depends on the network (and a page that needs it shows it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def streamlit_server(
    script: Path, env: Mapping[str, str], *, timeout_s: float = 90
) -> Iterator[str]:
    """Run ``streamlit run script`` on 127.0.0.1 until the block ends; yield its URL.

    Waits for the health check; stops with the exit code if the server dies first.
    """
    port = free_port()
    python = ROOT / ".venv" / "bin" / "python"
    proc = subprocess.Popen(
        [str(python if python.exists() else sys.executable), "-m", "streamlit", "run", str(script)]
        + ["--server.headless", "true", "--server.address", "127.0.0.1"]
        + ["--server.port", str(port), "--browser.gatherUsageStats", "false"]
        + ["--server.enableStaticServing", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health") as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                try:
                    code = proc.wait(timeout=0.2)  # the poll interval; notices a crash
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"streamlit did not start for {script}") from None
                    continue
                raise SystemExit(
                    f"streamlit exited with code {code} before it was healthy"
                ) from None
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def launch(pw: Any) -> Any:
    """Return Debian Chromium, headless, launched by Playwright ``pw``."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def offline_context(browser: Any, width: int, height: int) -> Any:
    """Return a fresh browser context whose requests to any other host are aborted."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if urlsplit(route.request.url).hostname in ("127.0.0.1", None)
            else route.abort()
        ),
    )
    return context
