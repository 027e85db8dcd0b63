"""The Briefing page in a real Chromium, offline: three slides, a screenshot of each."""

from playwright.sync_api import Page, expect

from geo.permissions import Viewer
from geo.reports import (
    ReportOptions,
    analyse_workspace,
    briefing_path,
    busiest_municipality,
    prepare_slides,
    slide_for,
)
from geo.workspace import open_workspace

#: A projector-like screen (16:10).
PROJECTOR = {"width": 1600, "height": 1000}


def expected_slides(workspace) -> list:
    ws = open_workspace(workspace)
    result = analyse_workspace(ws)
    scopes = briefing_path(ws, busiest_municipality(result))
    options = ReportOptions(viewer=Viewer("x", "briefer"), as_of=f"{result.as_of:%Y-%m-%d}")
    return [slide_for(d) for d in prepare_slides(ws, scopes, options, result=result)]


def test_briefing_steps_through_three_slides_without_exception(
    streamlit_server, demo_workspace, page: Page, blocked_requests, page_errors, artifacts_dir
):
    slides = expected_slides(demo_workspace)
    page.set_viewport_size(PROJECTOR)
    base_url = streamlit_server(workspace=demo_workspace)
    page.goto(f"{base_url}/Briefing", wait_until="domcontentloaded")
    expect(page.get_by_text("DEMO — synthetic data").first).to_be_visible(timeout=60_000)
    title = page.locator('[data-testid="stHeading"] h2')
    metrics = page.locator('[data-testid="stMetricValue"]')
    slide_map = page.locator('[data-testid="stImage"] img')
    for number, slide in enumerate(slides[:3], start=1):
        if number > 1:
            page.get_by_role("button", name="Next ▶").click()
        expect(title).to_have_text(slide.title, timeout=60_000)
        expect(page.get_by_text(f"Slide {number} / {len(slides)}")).to_be_visible()
        expect(metrics).to_have_count(4)
        expect(metrics.first).to_have_text(slide.figures[0].value)
        expect(slide_map).to_be_visible(timeout=30_000)
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=slide_map.element_handle()
        )
        page.screenshot(path=artifacts_dir / f"briefing_{number}.png")
        assert page.locator('[data-testid="stException"]').count() == 0
    expect(page.get_by_role("button", name="Download these slides as PDF")).to_be_enabled()
    # No sidebar clutter: it starts folded away.
    assert page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true"
    assert page_errors == []
    assert blocked_requests == []
