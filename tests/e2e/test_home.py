"""The home page in a real Chromium against a real server, with the internet blocked."""

from playwright.sync_api import Page, expect

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'


def test_home_page_renders_offline_with_banner_figures_and_map(
    streamlit_server, demo_workspace, page: Page, blocked_requests, page_errors, artifacts_dir
):
    base_url = streamlit_server(workspace=demo_workspace)
    page.goto(base_url, wait_until="domcontentloaded")
    expect(page.get_by_text("DEMO — synthetic data")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Polling centres", exact=True)).to_be_visible()
    expect(page.get_by_text("Layers in this workspace")).to_be_visible()
    leaflet = page.frame_locator(MAP_IFRAME).locator(".leaflet-container")
    expect(leaflet).to_be_visible(timeout=60_000)
    # 22 district polygons and one catchment polygon per municipality are drawn.
    paths = page.frame_locator(MAP_IFRAME).locator("path.leaflet-interactive")
    expect(paths.first).to_be_attached(timeout=30_000)
    assert paths.count() >= 22
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts_dir / "home.png", full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page_errors == []
    assert blocked_requests == []


def test_arabic_menu_and_home_links_are_arabic_whole_and_offline(
    streamlit_server, demo_workspace, page: Page, blocked_requests, page_errors, artifacts_dir
):
    base_url = streamlit_server(workspace=demo_workspace)
    page.goto(f"{base_url}/?lang=ar", wait_until="domcontentloaded")
    expect(page.get_by_text("مراكز الاقتراع", exact=True)).to_be_visible(timeout=60_000)
    menu = page.locator('[data-testid="stSidebarNav"] a')
    expect(menu.first).to_be_visible()
    # Only the first items may show before "View more": read the names the menu holds.
    # Each link holds its Material icon (a ligature: the icon's name as text), then its name.
    names = [menu.nth(i).inner_text().strip().splitlines()[-1] for i in range(menu.count())]
    assert names[:2] == ["الرئيسية", "الخريطة"], names
    links = page.locator('[data-testid="stPageLink"] a')
    assert links.count() == 8
    texts = [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]
    assert not any("a" <= c.lower() <= "z" for t in texts for c in t), texts
    # Nothing cut off: every link's text fits in its box.
    cut = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stPageLink"] a')]
              .filter(a => a.scrollWidth > a.clientWidth + 1).map(a => a.innerText)"""
    )
    assert cut == []
    page.screenshot(path=artifacts_dir / "home-ar.png", full_page=True)
    assert page_errors == []
    assert blocked_requests == []
