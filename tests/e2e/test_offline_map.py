"""The overview map works in Chromium with no internet, from the vendored assets alone.

Independent of ``app.py``: the map's HTML is written to a folder and served, together
with ``static/`` mounted at ``/app/static/`` (as Streamlit does), by a stdlib HTTP server
on 127.0.0.1. Every non-loopback request is blocked and recorded.
"""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import folium
import folium.plugins
import geopandas as gpd
import pytest
from playwright.sync_api import Page, Response
from shapely.geometry import Point, box

from geo.maps import (
    LAYER_CENTRES,
    LAYER_DISTRICTS,
    LAYER_MUNICIPALITIES,
    LAYER_OUTLINE,
    add_heat,
    build_overview_map,
    new_map,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
STATIC_DIR = REPO_ROOT / "static"
ASSETS_MARKER = STATIC_DIR / "vendor" / ".complete"
EVIL = "<img src=x onerror=alert(1)>"
WAIT_MS = 20_000


def overview_frames() -> dict[str, gpd.GeoDataFrame]:
    """Two regions, three districts, five municipalities (one without polygon), centres."""
    regions = gpd.GeoDataFrame(
        {"pcode": ["R-W", "R-E"], "name_en": ["West", "East"], "name_ar": ["الغرب", "الشرق"]},
        geometry=[box(11.0, 30.0, 16.0, 33.0), box(16.0, 30.0, 21.0, 33.0)],
        crs="EPSG:4326",
    )
    districts = gpd.GeoDataFrame(
        {
            "pcode": ["D1", "D2", "D3"],
            "name_en": ["Tripoli", "Misrata", "Benghazi"],
            "name_ar": ["طرابلس", "مصراتة", "بنغازي"],
            "region_pcode": ["R-W", "R-W", "R-E"],
        },
        geometry=[
            box(11.0, 30.0, 14.0, 33.0),
            box(14.0, 30.0, 16.0, 33.0),
            box(16.0, 30.0, 21.0, 33.0),
        ],
        crs="EPSG:4326",
    )
    municipalities = gpd.GeoDataFrame(
        {
            "pcode": ["M1", "M2", "M3", "M4", "M5"],
            "name_en": ["Janzour", EVIL, "Misrata", "Benghazi", "No polygon"],
            "name_ar": ["جنزور", "سوق الجمعة", "مصراتة", "بنغازي", "بلا حدود"],
            "district_pcode": ["D1", "D1", "D2", "D3", "D3"],
            "boundary_kind": ["official", "approximate", "imported", "approximate", "approximate"],
        },
        geometry=[
            box(11.0, 30.0, 12.5, 33.0),
            box(12.5, 30.0, 14.0, 33.0),
            box(14.0, 30.0, 16.0, 33.0),
            box(16.0, 30.0, 21.0, 33.0),
            None,
        ],
        crs="EPSG:4326",
    )
    centres = gpd.GeoDataFrame(
        {
            "centre_id": ["C1", "C2", "C3", "C4"],
            "name_ar": ["مدرسة الأمل", EVIL, "مدرسة النصر", "قاعة الشعب"],
            "name_en": ["Al-Amal school", None, "Al-Nasr school", "People's hall"],
        },
        geometry=[
            Point(13.18, 32.88),
            Point(13.20, 32.86),
            Point(15.09, 32.37),
            Point(20.07, 32.11),
        ],
        crs="EPSG:4326",
    )
    return {
        "regions": regions,
        "districts": districts,
        "municipalities": municipalities,
        "centres": centres,
    }


def layer_var(m: folium.Map, name: str) -> str:
    """JavaScript variable of the map layer called ``name``."""
    return next(c.get_name() for c in m._children.values() if getattr(c, "layer_name", "") == name)


@dataclass(frozen=True)
class Site:
    """The served pages and what they should show."""

    base_url: str
    map_var: str
    polygons: int
    dashed: int
    municipalities_var: str
    centres_var: str


class SiteHandler(SimpleHTTPRequestHandler):
    """Serve ``site_dir`` at ``/`` and the repository's ``static/`` at ``/app/static/``."""

    site_dir: Path = Path()

    def translate_path(self, path: str) -> str:
        url_path = posixpath.normpath(unquote(urlsplit(path).path))
        if url_path.startswith("/app/static/"):
            base, rest = STATIC_DIR, url_path.removeprefix("/app/static/")
        else:
            base, rest = self.site_dir, url_path.lstrip("/")
        target = (base / rest).resolve()
        return str(target if target.is_relative_to(base.resolve()) else base / "__outside__")

    def end_headers(self) -> None:
        # Streamlit's static route sends nosniff too: a wrong MIME type would block a script.
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def do_GET(self) -> None:
        if self.path == "/favicon.ico":  # Chromium asks for it; answer so no 404 is logged
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not ASSETS_MARKER.exists():
        pytest.fail(
            f"vendored assets missing ({ASSETS_MARKER}); run python3 scripts/fetch_assets.py"
        )
    frames = overview_frames()
    m = build_overview_map(**frames)
    site_dir = tmp_path_factory.mktemp("site")
    (site_dir / "overview.html").write_text(m.get_root().render(), encoding="utf-8")

    heat = new_map(center=(32.5, 14.0), zoom=7)
    incidents = gpd.GeoDataFrame(
        geometry=[Point(13.18, 32.88), Point(15.09, 32.37)], crs="EPSG:4326"
    )
    add_heat(heat, incidents, name="Incidents", weights=[2.0, 1.0], show=True)
    (site_dir / "heat.html").write_text(heat.get_root().render(), encoding="utf-8")

    munis = frames["municipalities"]
    drawn = munis.geometry.notna()
    handler = type("Handler", (SiteHandler,), {"site_dir": site_dir})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(
        base_url=f"http://127.0.0.1:{server.server_address[1]}",
        map_var=m.get_name(),
        polygons=len(frames["districts"]) + int(drawn.sum()),
        dashed=int((drawn & munis["boundary_kind"].eq("approximate")).sum()),
        municipalities_var=layer_var(m, LAYER_MUNICIPALITIES),
        centres_var=layer_var(m, LAYER_CENTRES),
    )
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def failed_loads(page: Page) -> list[str]:
    """Requests of the page that failed or answered with an HTTP error."""
    failures: list[str] = []

    def on_response(response: Response) -> None:
        if response.status >= 400:
            failures.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    page.on("requestfailed", lambda request: failures.append(f"failed {request.url}"))
    return failures


def open_map(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".leaflet-container", timeout=WAIT_MS)


def test_overview_map_draws_every_polygon_without_internet(
    page, site, blocked_requests, page_errors, failed_loads, artifacts_dir
):
    console_errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
    open_map(page, f"{site.base_url}/overview.html")
    page.wait_for_function(
        f"document.querySelectorAll('path.leaflet-interactive').length >= {site.polygons}",
        timeout=WAIT_MS,
    )
    # Once the opening zoom has settled: C1 and C2 (2 km apart) cluster, C3 and C4 do not.
    page.wait_for_function(
        """() => {
            const clusters = document.querySelectorAll('.marker-cluster');
            const single = document.querySelectorAll('.leaflet-marker-icon:not(.marker-cluster)');
            return clusters.length === 1 && clusters[0].textContent.trim() === '2'
                && single.length === 2;
        }""",
        timeout=WAIT_MS,
    )
    page.screenshot(path=artifacts_dir / "offline_overview_map.png")

    assert page.locator("path.leaflet-interactive").count() == site.polygons
    assert page.locator("path.leaflet-interactive[stroke-dasharray]").count() == site.dashed
    overlays = page.locator(".leaflet-control-layers-overlays").text_content() or ""
    for name in (LAYER_MUNICIPALITIES, LAYER_DISTRICTS, LAYER_OUTLINE, LAYER_CENTRES):
        assert name in overlays
    assert page.locator(".leaflet-control-scale-line").count() >= 1
    # leaflet.css really applied (not just requested)
    overflow = page.eval_on_selector(".leaflet-container", "e => getComputedStyle(e).overflow")
    assert overflow == "hidden"
    assert blocked_requests == []
    assert failed_loads == []
    assert page_errors == []
    assert console_errors == []


def test_names_from_data_show_as_text_in_tooltips(
    page, site, blocked_requests, page_errors, artifacts_dir
):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_map(page, f"{site.base_url}/overview.html")
    # Hover the municipality with the mouse, as a user would; Playwright's hover waits
    # until the path stops moving (the opening zoom is animated).
    page.evaluate(
        f"""() => {site.municipalities_var}.eachLayer(layer => {{
            if (layer.feature.properties.pcode === 'M2') {{
                layer.getElement().dataset.test = 'evil-municipality';
            }}
        }})"""
    )
    page.locator("[data-test=evil-municipality]").hover()
    tooltip = page.locator(".leaflet-tooltip").first
    tooltip.wait_for(timeout=WAIT_MS)
    assert EVIL in tooltip.inner_text()
    assert "approximate boundary" in tooltip.inner_text()
    page.mouse.move(1, 1)

    # Zoom onto the centre until its marker leaves the cluster, then hover its icon.
    page.evaluate(
        f"""() => {{ window.evilMarker = {site.centres_var}.getLayers().find(
            m => m.getTooltip() && m.getTooltip().getContent().includes('onerror')); }}"""
    )
    # setView is ignored while a zoom animation runs, so repeat it until it holds.
    page.wait_for_function(
        f"""() => {{
            {site.map_var}.setView(window.evilMarker.getLatLng(), 16, {{animate: false}});
            return {site.map_var}.getZoom() === 16;
        }}""",
        timeout=WAIT_MS,
    )
    page.wait_for_function(
        """() => {
            const icon = window.evilMarker.getElement();
            if (icon) { icon.dataset.test = 'evil-centre'; }
            return Boolean(icon);
        }""",
        timeout=WAIT_MS,
    )
    page.locator("[data-test=evil-centre]").hover()  # waits until the icon stops moving
    centre_tooltip = page.locator(".leaflet-tooltip", has_text="C2")
    centre_tooltip.wait_for(timeout=WAIT_MS)
    page.screenshot(path=artifacts_dir / "offline_overview_tooltip.png")
    assert EVIL in centre_tooltip.inner_text()
    assert page.locator("img[src='x']").count() == 0
    assert dialogs == []
    assert blocked_requests == []
    assert page_errors == []


def test_heat_map_draws_with_vendored_script(
    page, site, blocked_requests, page_errors, failed_loads
):
    open_map(page, f"{site.base_url}/heat.html")
    page.wait_for_selector("canvas.leaflet-heatmap-layer", state="attached", timeout=WAIT_MS)
    assert page.evaluate("() => typeof L.heatLayer") == "function"
    assert blocked_requests == []
    assert failed_loads == []
    assert page_errors == []
