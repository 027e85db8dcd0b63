"""Fixtures of the real-browser tests: Debian Chromium, a network jail, a Streamlit server.

Every test in this folder gets the ``e2e`` marker. Without ``/usr/bin/chromium`` the
tests skip on a developer's machine but fail when ``CI=true``: in CI they must run.

Fixtures
--------
chromium_browser
    Session-wide headless Chromium (``executable_path=/usr/bin/chromium``).
blocked_requests
    Every non-loopback URL the page tried to reach (HTTP and WebSocket), aborted.
browser_context, page
    A fresh context/page per test, with every non-loopback request blocked.
page_errors
    Uncaught JavaScript exceptions of the page.
streamlit_server
    Factory: ``streamlit_server(workspace=path) -> "http://127.0.0.1:<port>"``.
artifacts_dir
    ``test-artifacts/`` under the repository root, for screenshots and server logs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Route,
    WebSocketRoute,
    sync_playwright,
)

from tests.e2e.serverlog import server_log, tail

REPO_ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("PSP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
VIEWPORT = {"width": 1280, "height": 800}
SERVER_START_TIMEOUT_S = 60.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine; fail in CI (``CI=true``), where tests must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run, not skip)")
    pytest.skip(reason)


def is_loopback(url: str) -> bool:
    """Tell whether ``url`` stays on this machine (127.0.0.1, localhost, [::1])."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.hostname or "") in LOOPBACK_HOSTS


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``test-artifacts/`` under the repository root (git-ignored)."""
    path = REPO_ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright (never ``playwright install``)."""
    if not CHROMIUM.exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM}; apt-get install chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
        )
        yield browser
        browser.close()


@pytest.fixture
def blocked_requests() -> list[str]:
    """URLs of non-loopback requests the page attempted; they were aborted."""
    return []


@pytest.fixture
def browser_context(
    chromium_browser: Browser, blocked_requests: list[str]
) -> Iterator[BrowserContext]:
    """A fresh context that aborts and records every non-loopback request.

    The route is on the context, not the page, so iframes (the ``st_folium`` map) are
    covered too. Never ``time.sleep`` while it is installed: route callbacks only run
    while Playwright has control; use ``page.wait_for_timeout``.
    """
    context = chromium_browser.new_context(viewport=VIEWPORT)

    def guard(route: Route) -> None:
        url = route.request.url
        if is_loopback(url):
            route.continue_()
        else:
            blocked_requests.append(url)
            route.abort("blockedbyclient")

    def guard_websocket(ws: WebSocketRoute) -> None:
        blocked_requests.append(ws.url)
        ws.close()

    context.route("**/*", guard)
    context.route_web_socket(lambda url: not is_loopback(url), guard_websocket)
    yield context
    context.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught JavaScript exceptions raised in the page."""
    return []


@pytest.fixture
def page(browser_context: BrowserContext, page_errors: list[str]) -> Page:
    """A page in the guarded context; uncaught exceptions go to ``page_errors``."""
    new_page = browser_context.new_page()
    new_page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    return new_page


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(
    base_url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout_s: float
) -> None:
    """Poll ``/_stcore/health`` until it answers ``ok``; fail with the server log if not."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200 and resp.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        try:
            # Waiting on the process doubles as the poll interval and notices a crash.
            code = proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"streamlit exited with code {code} before it was healthy:\n{tail(log_path)}")
    pytest.fail(f"streamlit not healthy after {timeout_s:.0f} s at {base_url}:\n{tail(log_path)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def streamlit_server(artifacts_dir: Path) -> Iterator[Callable[..., str]]:
    """Factory starting ``streamlit run`` from the repository root; stops them all after.

    Call it as ``streamlit_server(workspace=path, env={...}, script="app.py",
    timeout_s=60)``: it starts the app on a free port of 127.0.0.1 with static serving
    on and usage statistics off, passes ``workspace`` as ``PSP_WORKSPACE`` (and ``env``
    on top of the current environment), polls ``/_stcore/health`` and returns the base
    URL, e.g. ``"http://127.0.0.1:38211"``. The server log goes to
    ``test-artifacts/streamlit-<port>.log``.
    """
    python = REPO_ROOT / ".venv" / "bin" / "python"
    started: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(
        *,
        workspace: Path | None = None,
        env: Mapping[str, str] | None = None,
        script: str = "app.py",
        timeout_s: float = SERVER_START_TIMEOUT_S,
    ) -> str:
        port = free_port()
        cmd = [
            str(python if python.exists() else sys.executable),
            "-m",
            "streamlit",
            "run",
            script,
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            "--server.enableStaticServing",
            "true",
            "--server.fileWatcherType",
            "none",
        ]
        full_env = {**os.environ, **(env or {})}
        if workspace is not None:
            full_env["PSP_WORKSPACE"] = str(workspace)
        base_url = f"http://127.0.0.1:{port}"
        log_path = server_log(artifacts_dir, base_url)
        log = log_path.open("wb")
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
        started.append((proc, log))
        wait_until_healthy(base_url, proc, log_path, timeout_s)
        return base_url

    yield start
    for proc, log in started:
        _stop(proc)
        log.close()
