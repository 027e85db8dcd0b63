"""The Map page in a real Chromium against a real server, with the internet blocked.

Checks that the national view draws every municipality polygon and accounts for every
polling centre in its clusters, that a click fills the details panel without rebuilding
the map, that a centre named like an HTML injection shows as text, and that a tile
basemap that cannot load leaves the map working. Any request to another host fails
the test (``blocked_requests``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Page, expect

from geo.mapview import CENTRE_CLUSTER_CLASS, LAYER_CENTRES, LAYER_MUNICIPALITIES
from geo.store import GeoPackageStore

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
EVIL = "<img src=x onerror=alert(1)>"
WAIT_MS = 60_000

# Municipality polygons drawn (features with a "boundary" property) and how many dashed.
COUNT_POLYGONS_JS = """() => {
    let drawn = 0, dashed = 0;
    window.map.eachLayer(layer => {
        const props = layer.feature && layer.feature.properties;
        if (props && props.boundary !== undefined && layer._path && layer._path.isConnected) {
            drawn += 1;
            if (layer._path.getAttribute('stroke-dasharray')) { dashed += 1; }
        }
    });
    return [drawn, dashed];
}"""
# Centres shown: the counts written in the centre clusters plus the single centre markers.
COUNT_CENTRES_JS = f"""() => {{
    let shown = 0;
    document.querySelectorAll('.{CENTRE_CLUSTER_CLASS}').forEach(
        c => {{ shown += parseInt(c.textContent, 10); }});
    shown += document.querySelectorAll('.leaflet-marker-pane .psp-pt').length;
    return [shown, document.querySelectorAll('.{CENTRE_CLUSTER_CLASS}').length];
}}"""


def map_frame(page: Page) -> Frame:
    """The st_folium iframe's frame (looked up again after every rerun)."""
    page.wait_for_selector(MAP_IFRAME, state="attached", timeout=WAIT_MS)
    for frame in page.frames:
        if "streamlit_folium" in frame.url:
            frame.wait_for_function("() => Boolean(window.map)", timeout=WAIT_MS)
            return frame
    raise AssertionError("no map iframe")


def open_map_page(page: Page, base_url: str) -> Frame:
    page.goto(f"{base_url}/Map", wait_until="domcontentloaded")
    expect(page.get_by_text("DEMO — synthetic data")).to_be_visible(timeout=WAIT_MS)
    leaflet = page.frame_locator(MAP_IFRAME).locator(f".{CENTRE_CLUSTER_CLASS}").first
    expect(leaflet).to_be_attached(timeout=WAIT_MS)
    return map_frame(page)


def find_centre(page: Page, centre_id: str) -> Frame:
    """Type a centre ID in the search box: the page selects it and zooms to it."""
    search = page.get_by_label("Find a centre or municipality")
    search.fill(centre_id)
    search.press("Enter")
    expect(page.locator("h3", has_text=centre_id)).to_be_visible(timeout=WAIT_MS)
    frame = map_frame(page)
    frame.wait_for_function("() => window.map.getZoom() === 15", timeout=WAIT_MS)
    page.wait_for_timeout(800)  # the cluster group redraws after the zoom
    return frame


def map_middle(page: Page) -> tuple[float, float]:
    """Scroll the map into view; return the middle of the map in page coordinates."""
    iframe = page.locator(MAP_IFRAME)
    iframe.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box = iframe.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def click_map_centre(page: Page) -> None:
    """Click the middle of the map, where a centre found by the search stands."""
    x, y = map_middle(page)
    page.mouse.move(x, y)
    page.wait_for_timeout(200)
    page.mouse.click(x, y)


def test_national_map_draws_every_polygon_and_centre_offline(
    streamlit_server, demo_workspace, demo_layers, page, blocked_requests, page_errors,
    artifacts_dir,
):  # fmt: skip
    base_url = streamlit_server(workspace=demo_workspace)
    page.set_viewport_size({"width": 1600, "height": 1350})  # the whole page in the screenshot
    frame = open_map_page(page, base_url)
    munis = demo_layers["municipalities"]
    with_polygon = munis.geometry.notna() & ~munis.geometry.is_empty
    expected = int(with_polygon.sum())
    dashed = int((with_polygon & munis["boundary_kind"].eq("approximate")).sum())
    frame.wait_for_function(f"({COUNT_POLYGONS_JS})()[0] === {expected}", timeout=WAIT_MS)
    assert frame.evaluate(COUNT_POLYGONS_JS) == [expected, dashed]
    # every centre is in exactly one cluster or drawn on its own (chunked loading ends)
    centres = len(demo_layers["centres"])
    frame.wait_for_function(f"({COUNT_CENTRES_JS})()[0] === {centres}", timeout=WAIT_MS)
    shown, clusters = frame.evaluate(COUNT_CENTRES_JS)
    assert clusters >= 10
    # layer control, a legend for the visible layers, a scale bar
    overlays = frame.locator(".leaflet-control-layers-overlays").text_content() or ""
    for name in (LAYER_MUNICIPALITIES, LAYER_CENTRES, "Security units", "Incidents"):
        assert name in overlays
    legend = frame.locator(".psp-legend")
    expect(legend).to_contain_text("Registered voters (persons)")
    expect(legend).to_contain_text("Approximate catchment (dashed)")
    assert frame.locator(".leaflet-control-scale-line").count() >= 1
    expect(page.get_by_text("Voters at fully covered centres")).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts_dir / "map_national.png")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page_errors == []
    assert blocked_requests == []


def test_legend_follows_the_layer_control(
    streamlit_server, demo_workspace, page, blocked_requests, page_errors
):
    frame = open_map_page(page, streamlit_server(workspace=demo_workspace))
    frame.locator(".psp-legend summary").click()  # folded on a map this narrow
    heat = frame.locator(".psp-legend .psp-section", has_text="Incident heat map")
    expect(heat).to_be_hidden()
    expect(frame.locator(".psp-legend .psp-section", has_text="Polling centres")).to_be_visible()
    frame.locator(".leaflet-control-layers").hover()
    frame.locator(".leaflet-control-layers-overlays label", has_text="Incident heat map").click()
    expect(heat).to_be_visible()
    frame.wait_for_selector("canvas.leaflet-heatmap-layer", state="attached", timeout=WAIT_MS)
    assert page_errors == []
    assert blocked_requests == []


def test_click_fills_the_details_panel_and_keeps_the_view(
    streamlit_server, demo_workspace, demo_layers, page, blocked_requests, page_errors,
    artifacts_dir,
):  # fmt: skip
    base_url = streamlit_server(workspace=demo_workspace)
    open_map_page(page, base_url)
    first, second = demo_layers["centres"].iloc[0], demo_layers["centres"].iloc[1]
    frame = find_centre(page, first["centre_id"])
    # the selected centre is ringed by a layer added in the browser, not by a new map
    frame.wait_for_selector('path[stroke="#00bcd4"]', state="attached", timeout=WAIT_MS)
    frame.evaluate(
        f"() => {{ window.map.setView([{second.geometry.y}, {second.geometry.x}], 16, "
        "{animate: false}); }"
    )
    frame.evaluate("window.pspProbe = 'same map'")
    page.wait_for_timeout(1000)
    click_map_centre(page)
    expect(page.locator("h3", has_text=second["centre_id"])).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(1500)
    frame = map_frame(page)
    assert frame.evaluate("window.pspProbe") == "same map"  # no rebuild
    assert frame.evaluate("window.map.getZoom()") == 16  # zoom kept
    center = frame.evaluate("window.map.getCenter()")
    assert (center["lat"], center["lng"]) == pytest.approx(
        (second.geometry.y, second.geometry.x), abs=1e-4
    )
    page.get_by_role("tab", name="Security").click()
    expect(page.get_by_text("units within 10 km")).to_be_visible()
    page.screenshot(path=artifacts_dir / "map_details.png", full_page=True)
    assert "centre=" + second["centre_id"] in page.url
    assert page_errors == []
    assert blocked_requests == []


@pytest.fixture
def evil_workspace(tmp_path_factory: pytest.TempPathFactory, demo_layers) -> tuple[Path, str]:
    """The demo with its first centre named like an HTML injection, in both languages."""
    layers = {name: frame.copy() for name, frame in demo_layers.items()}
    centres = layers["centres"]
    centres.loc[0, "name_en"] = EVIL
    centres.loc[0, "name_ar"] = EVIL
    path = tmp_path_factory.mktemp("evil") / "evil.gpkg"
    GeoPackageStore(path).write_layers(
        layers, author="test", note="evil name", info={"is_demo": "true"}
    )
    return path, str(centres.loc[0, "centre_id"])


def test_centre_named_like_html_shows_as_text_and_runs_nothing(
    streamlit_server, evil_workspace, page, blocked_requests, page_errors, artifacts_dir
):
    path, centre_id = evil_workspace
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_map_page(page, streamlit_server(workspace=path))
    frame = find_centre(page, centre_id)
    # the details panel shows the name as text
    expect(page.locator("h3", has_text=EVIL)).to_be_visible(timeout=WAIT_MS)
    # hover the marker: its tooltip shows the name as text
    page.mouse.move(*map_middle(page))
    tooltip = frame.locator(".leaflet-tooltip", has_text=centre_id)
    expect(tooltip).to_be_visible(timeout=WAIT_MS)
    assert EVIL in tooltip.inner_text()
    click_map_centre(page)
    page.wait_for_timeout(1500)
    page.screenshot(path=artifacts_dir / "map_evil_name.png", full_page=True)
    assert frame.locator("img[src='x']").count() == 0
    assert page.locator("img[src='x']").count() == 0
    assert dialogs == []
    assert page_errors == []
    assert blocked_requests == []


def test_map_works_when_the_tile_basemap_cannot_load(
    streamlit_server, demo_workspace, page, blocked_requests, page_errors
):
    base_url = streamlit_server(
        workspace=demo_workspace,
        env={
            "PSP_TILES_URL": "/app/static/no-such-tiles/{z}/{x}/{y}.png",
            "PSP_TILES_ATTRIBUTION": "test tiles",
        },
    )
    frame = open_map_page(page, base_url)
    frame.wait_for_function(f"({COUNT_POLYGONS_JS})()[0] > 50", timeout=WAIT_MS)
    overlays = frame.locator(".leaflet-control-layers-overlays").text_content() or ""
    assert "Basemap (local tiles)" in overlays
    assert frame.locator(".leaflet-tile-pane img").count() > 0  # tried, failed quietly
    assert page_errors == []
    assert blocked_requests == []


# Road lines drawn (features with a "_style" property, one per road class) and their colours.
COUNT_ROADS_JS = """() => {
    const colours = [];
    window.map.eachLayer(layer => {
        const props = layer.feature && layer.feature.properties;
        if (props && props._style !== undefined && layer._path && layer._path.isConnected) {
            colours.push(layer._path.getAttribute('stroke'));
        }
    });
    return colours.sort();
}"""


def test_the_roads_layer_draws_every_class_offline_and_toggles(
    streamlit_server, demo_workspace, demo_layers, page, blocked_requests, page_errors,
    artifacts_dir,
):  # fmt: skip
    from geo.mapview import LAYER_ROADS, ROAD_STYLES, road_class_of

    base_url = streamlit_server(workspace=demo_workspace)
    page.goto(f"{base_url}/Map?roads=1", wait_until="domcontentloaded")
    expect(page.get_by_text("DEMO — synthetic data")).to_be_visible(timeout=WAIT_MS)
    frame = map_frame(page)
    classes = sorted(set(road_class_of(demo_layers["roads"]["highway"])))
    expected = sorted(ROAD_STYLES[c].color for c in classes)
    frame.wait_for_function(f"({COUNT_ROADS_JS})().length === {len(expected)}", timeout=WAIT_MS)
    assert frame.evaluate(COUNT_ROADS_JS) == expected
    frame.locator(".psp-legend summary").click()  # folded on a map this narrow
    roads_legend = frame.locator(".psp-legend .psp-section", has_text="Roads by class")
    expect(roads_legend).to_be_visible()
    expect(roads_legend).to_contain_text("© OpenStreetMap contributors, ODbL 1.0")
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts_dir / "map_roads.png")
    # The layer control switches the roads off, and its legend with them.
    frame.locator(".leaflet-control-layers").hover()
    frame.locator(".leaflet-control-layers-overlays label", has_text=LAYER_ROADS).first.click()
    frame.wait_for_function(f"({COUNT_ROADS_JS})().length === 0", timeout=WAIT_MS)
    expect(roads_legend).to_be_hidden()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page_errors == []
    assert blocked_requests == []


# Reach areas drawn: SVG paths filled with the reach styles' colours.
COUNT_REACH_JS = """() => {
    const fills = [];
    window.map.eachLayer(layer => {
        if (layer.feature && layer._path && layer._path.isConnected) {
            const fill = layer._path.getAttribute('fill');
            if (fill === '#dd3497' || fill === '#fa9fb5') { fills.push(fill); }
        }
    });
    return fills.sort();
}"""


def frame_with(page: Page, text: str) -> Frame:
    """The map frame whose page holds ``text`` (while a rebuilt map replaces the old)."""
    for _ in range(WAIT_MS // 250):
        for frame in page.frames:
            if "streamlit_folium" not in frame.url:
                continue
            with contextlib.suppress(PlaywrightError):
                if frame.evaluate(
                    "(t) => Boolean(window.map) && document.body.textContent.includes(t)", text
                ):
                    return frame
        page.wait_for_timeout(250)
    raise AssertionError(f"no map frame shows {text!r}")


def test_a_patrols_reach_area_is_drawn_around_its_roads(
    streamlit_server, demo_workspace, demo_layers, page, blocked_requests, page_errors,
    artifacts_dir,
):  # fmt: skip
    from geo.coverage import CoverageParams
    from geo.mapview import site_reach
    from geo.permissions import Viewer

    units = demo_layers["units"]
    patrol = units[units["unit_type"] == "patrol"].iloc[0]
    expected = site_reach(
        "unit",
        str(patrol["unit_id"]),
        viewer=Viewer("a", "admin"),
        centres=demo_layers["centres"],
        units=units,
        params=CoverageParams(),
        roads=demo_layers["roads"],
    )
    frame = open_map_page(page, streamlit_server(workspace=demo_workspace))
    assert frame.evaluate(COUNT_REACH_JS) == []
    choice = page.locator('[data-testid="stSelectbox"]', has_text="Reach area of a unit or site")
    choice.click()
    page.keyboard.type(f"Unit {patrol['unit_id']} (")
    # Wait for the filtered option, then choose it (Enter on a list still opening chose none).
    option = page.get_by_role("option", name=f"Unit {patrol['unit_id']} (Patrol)")
    option.first.click(timeout=WAIT_MS)
    # The map is rebuilt (a new frame, the old one goes): wait for the one that names it.
    frame = frame_with(page, f"Unit {patrol['unit_id']} (Patrol)")
    frame.wait_for_function(f"({COUNT_REACH_JS})().length >= 2", timeout=WAIT_MS)
    drawn = frame.evaluate(COUNT_REACH_JS)
    # One path per polygon part: the 15- and the 30-minute areas, both drawn.
    assert "#dd3497" in drawn
    assert "#fa9fb5" in drawn
    frame.locator(".psp-legend summary").click()
    legend = frame.locator(".psp-legend .psp-section", has_text="Reach area")
    expect(legend).to_contain_text(f"Unit {patrol['unit_id']} (Patrol)")
    how = "on roads" if expected.areas[0].model == "network" else "straight line × circuity"
    expect(legend).to_contain_text(f"15 min ({how})")
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts_dir / "map_reach_area.png")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page_errors == []
    assert blocked_requests == []
