"""The downloaded map (one HTML file) opens from disk in Chromium with no request at all.

The file of :func:`geo.mapview.export_planning_map` is opened as ``file://``; every
request other than the file itself is aborted and recorded. Names from data carry
template and HTML payloads: they must show as text, and nothing may run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route

from geo.filters import MapFilters, apply_filters
from geo.mapview import LAYER_MUNICIPALITIES, MapOptions, export_planning_map
from geo.permissions import Viewer
from tests.geo.map_world import world

ASSETS_MARKER = Path(__file__).resolve().parents[2] / "static" / "vendor" / ".complete"
WAIT_MS = 20_000
AGENCY = "Agency {{ 7*7 }} <img src=x onerror=window.pspRan=1>"
CENTRE = "Centre {% if 1 %}x{% endif %} </script><script>window.pspRan=2</script>"
#: The text of every point's tooltip, after a (synthetic) hover on each.
TOOLTIP_TEXTS_JS = """() => {
    const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
    const texts = [];
    window[key].eachLayer(group => {
        if (!group.getLayers) { return; }
        group.getLayers().forEach(point => {
            if (!point.pspRow) { return; }
            group.fire('mouseover', {layer: point});
            const tooltip = point.getTooltip();
            if (tooltip) {
                const box = document.createElement('div');
                box.innerHTML = tooltip.getContent();
                texts.push(box.textContent);
            }
        });
    });
    return texts;
}"""


@pytest.fixture
def map_file(tmp_path: Path) -> Path:
    if not ASSETS_MARKER.exists():
        pytest.fail("static/vendor is not installed; run `make assets`")
    data = world()
    data["units"] = data["units"].assign(agency=AGENCY)
    centres = data["centres"].copy()
    centres.loc[centres.index[0], "name_en"] = CENTRE
    data["centres"] = centres
    export = export_planning_map(
        apply_filters(data, MapFilters()),
        viewer=Viewer("p", "planner"),
        filters=MapFilters(),
        options=MapOptions(colour_by="access_status"),
    )
    path = tmp_path / "map.html"
    path.write_bytes(export.content)
    return path


def test_map_file_draws_offline_and_shows_names_as_text(
    chromium_browser: Browser, map_file: Path, artifacts_dir: Path
) -> None:
    url = map_file.as_uri()
    requested: list[str] = []
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800})

    def guard(route: Route) -> None:
        requested.append(route.request.url)
        if route.request.url == url:
            route.continue_()
        else:
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(url)
    page.locator(".leaflet-container").wait_for(timeout=WAIT_MS)
    # 3 municipality polygons, 3 districts and the outline: 7 SVG paths
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-overlay-pane path').length >= 7",
        timeout=WAIT_MS,
    )
    legend = page.locator(".psp-legend")
    legend.wait_for(timeout=WAIT_MS)
    page.locator(".leaflet-control-layers").hover()
    assert LAYER_MUNICIPALITIES in page.locator(".leaflet-control-layers").inner_text()
    assert AGENCY in legend.inner_text()
    assert page.locator(".psp-legend img").count() == 0
    # Tooltips are built on the first hover, from the compact rows: hover every point.
    tooltips = page.evaluate(TOOLTIP_TEXTS_JS)
    assert any(CENTRE in t for t in tooltips), tooltips
    page.screenshot(path=str(artifacts_dir / "map-file.png"))
    assert page.evaluate("() => window.pspRan") is None
    assert page.evaluate("() => document.title") == "Polling Security Planner — map"
    context.close()
    assert requested == [url], requested
    assert errors == [], errors
