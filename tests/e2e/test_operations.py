"""Two browser sessions on the Operations page: an incident logged in one shows on the other."""

from __future__ import annotations

import shutil
import time

from playwright.sync_api import BrowserContext, Page, expect

from geo.events import EventLog

REFRESH_S = 2


def headline(page: Page, label: str):
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]')


def test_an_incident_logged_in_one_session_appears_on_the_others_board(
    streamlit_server,
    demo_workspace,
    tmp_path,
    browser_context: BrowserContext,
    page: Page,
    blocked_requests,
    page_errors,
    artifacts_dir,
):
    workspace = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_workspace, workspace)
    base_url = streamlit_server(workspace=workspace, env={"PSP_BOARD_REFRESH_S": str(REFRESH_S)})
    watcher = page
    watcher.goto(f"{base_url}/Operations", wait_until="domcontentloaded")
    expect(headline(watcher, "Open incidents")).to_have_text("0", timeout=120_000)

    operator = browser_context.new_page()
    operator.on("pageerror", lambda exc: page_errors.append(str(exc)))
    operator.goto(f"{base_url}/Operations", wait_until="domcontentloaded")
    expect(headline(operator, "Open incidents")).to_have_text("0", timeout=120_000)
    # Tripoli's centre, as an operator would type it (or click it on the map).
    operator.get_by_label("Latitude").fill("32.8872")
    operator.get_by_label("Longitude").fill("13.1913")
    operator.get_by_role("button", name="Log the incident").click()
    logged = time.monotonic()
    expect(headline(operator, "Open incidents")).to_have_text("1", timeout=60_000)

    # The other session was not touched: its board polls the log and reruns by itself.
    expect(headline(watcher, "Open incidents")).to_have_text("1", timeout=30_000)
    stale_s = time.monotonic() - logged
    print(f"the watching board showed the incident {stale_s:.1f} s after the click")
    expect(watcher.get_by_text("log version 1", exact=False)).to_be_visible()
    events = EventLog(workspace).read()
    assert [(e.kind, e.actor, e.lon_lat) for e in events] == [
        ("incident_reported", "local admin", (13.1913, 32.8872))
    ]
    watcher.screenshot(path=artifacts_dir / "operations-watcher.png", full_page=True)
    assert watcher.locator('[data-testid="stException"]').count() == 0
    assert page_errors == []
    assert blocked_requests == []
