"""Single-user (no login, administrator) mode on a real server, from a real Chromium.

The happy path (Chromium on this machine, talking to 127.0.0.1 directly) is every other
browser test of this folder. Here the browser adds a header that a proxy would add, or
reaches the server under a rebound host name (a DNS rebinding attack's end state: a web
page whose own name now resolves to 127.0.0.1): neither may become the administrator.
"""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT

REFUSAL = "Single-user mode is only for a server on this machine"


class HeaderProxy:
    """A reverse proxy on 127.0.0.1 that adds one header to every request it forwards.

    It rewrites ``Host`` and ``Origin`` to the app's own address (as nginx does with its
    default ``Host: $proxy_host``), so that the added header is the only sign of it.
    """

    def __init__(self, upstream_port: int, header: str, value: str) -> None:
        self.upstream_port = upstream_port
        self.extra = f"{header}: {value}\r\n".encode()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client, socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    return
                head += chunk
            head, rest = head.split(b"\r\n\r\n", 1)
            request_line, *lines = head.split(b"\r\n")
            own = f"127.0.0.1:{self.upstream_port}".encode()
            kept = [
                b"Host: " + own
                if line.lower().startswith(b"host:")
                else b"Origin: http://" + own
                if line.lower().startswith(b"origin:")
                else line
                for line in lines
            ]
            upstream.sendall(
                b"\r\n".join([request_line, *kept]) + b"\r\n" + self.extra + b"\r\n" + rest
            )
            back = threading.Thread(target=self._pump, args=(upstream, client), daemon=True)
            back.start()
            self._pump(client, upstream)
            back.join()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.server.close()


@pytest.mark.parametrize(
    ("header", "value"),
    [("Via", "1.1 proxy"), ("X-Forwarded-Proto", "https"), ("CF-Connecting-IP", "203.0.113.9")],
)
def test_a_forwarding_header_gets_the_refusal_not_the_admin(
    streamlit_server, demo_workspace, page: Page, blocked_requests, header, value
):
    base_url = streamlit_server(workspace=demo_workspace, env={"PSP_USERS": ""})
    proxy = HeaderProxy(int(base_url.rsplit(":", 1)[1]), header, value)
    try:
        page.goto(f"http://127.0.0.1:{proxy.port}/", wait_until="domcontentloaded")
        expect(page.get_by_text(REFUSAL)).to_be_visible(timeout=60_000)
        expect(page.get_by_text(f"header {header.lower()}")).to_be_visible()
        assert page.get_by_text("local administrator").count() == 0
        assert page.get_by_text("Polling centres", exact=True).count() == 0
    finally:
        proxy.close()
    assert blocked_requests == []


def test_a_rebound_host_name_never_reaches_the_app(
    streamlit_server, demo_workspace, chromium_browser: Browser
):
    base_url = streamlit_server(workspace=demo_workspace, env={"PSP_USERS": ""})
    port = base_url.rsplit(":", 1)[1]
    # A second Chromium whose resolver maps rebind.test to this machine and nothing else.
    playwright = chromium_browser.browser_type
    rules = "--host-resolver-rules=MAP rebind.test 127.0.0.1, MAP * ~NOTFOUND"
    browser = playwright.launch(
        executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, rules]
    )
    try:
        page = browser.new_page(viewport=VIEWPORT)
        with page.expect_websocket(timeout=60_000) as opened:
            page.goto(f"http://rebind.test:{port}/", wait_until="domcontentloaded")
        socket_ = opened.value
        frames: list[object] = []
        socket_.on("framereceived", lambda frame: frames.append(frame))
        # Streamlit's own Host check (server.allowedHosts) refuses the WebSocket: it
        # refuses the handshake: no message, no page, no session.
        socket_.wait_for_event("socketerror", timeout=60_000)
        assert frames == []
        assert page.get_by_text("local administrator").count() == 0
        assert page.get_by_text("Polling centres", exact=True).count() == 0
    finally:
        browser.close()
