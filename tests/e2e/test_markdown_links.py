"""A crafted Map-page link in a real Chromium: its text shows, nothing in it goes live.

The Map page quotes URL values it does not know in a warning. Rendered as Markdown, a
value like ``![x](http://127.0.0.9/x.png)`` made the browser fetch an image from any host
(127.0.0.9 stands for it: the network jail blocks and records it) and
``[x](http://127.0.0.9/)`` showed a live link.
"""

from __future__ import annotations

from urllib.parse import urlencode

from playwright.sync_api import Page, expect

PAYLOAD = "[x](http://127.0.0.9/) ![x](http://127.0.0.9/x.png) <img src=x onerror=alert(1)>"


def test_a_crafted_map_link_shows_its_values_as_text(
    streamlit_server, demo_workspace, page: Page, blocked_requests, page_errors
):
    base_url = streamlit_server(workspace=demo_workspace)
    query = urlencode({"region": PAYLOAD, "category": PAYLOAD})
    page.goto(f"{base_url}/Map?{query}", wait_until="domcontentloaded")
    # The reader sees the values as typed (an invisible word joiner breaks each URL).
    page.wait_for_function(
        """payload => [...document.querySelectorAll('[data-testid="stAlertContentWarning"]')]
            .some(w => w.textContent.replaceAll('\\u2060', '').includes(payload))""",
        arg=PAYLOAD,
        timeout=60_000,
    )
    expect(page.get_by_text("DEMO — synthetic data")).to_be_visible()
    assert page.locator('a[href^="http://127.0.0.9"]').count() == 0
    assert page.locator('img[src*="127.0.0.9"], img[src="x"]').count() == 0
    assert page_errors == []
    assert blocked_requests == []
