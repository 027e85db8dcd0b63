"""Time the Map page's planning map: HTML size, build time and time to drawn layers.

Run ``python bench/map.py`` (builds the national demo and ``--scale 10`` in a temporary
folder) or ``python bench/map.py --workspace /tmp/s10.gpkg`` (any workspaces). For each
workspace it builds the planning map of ``geo.mapview`` (as a planner sees it: every
layer) and, in the same run, a naive map with the same polygons but one folium object
per centre (a ``CircleMarker`` with a tooltip in a folium ``MarkerCluster``), and prints:

* **build**: Python time to build the folium map and render it to HTML, and the HTML size;
* **drawn**: time from opening the page in headless Chromium (served from 127.0.0.1, every
  other host blocked) until Leaflet has drawn every municipality polygon and every
  centre is in a cluster or drawn on its own.

A third row draws the planning map with centres and polygons only (no units, incidents
or heat map), like for like with the naive map; a fourth times the real Map page on a
Streamlit server (warm), through ``st_folium`` (``--no-streamlit`` skips it).

Figures are printed, never asserted. Targets (issue 3): national demo under 3 MB and
under 4 s to drawn layers; scale 10 (about 19,000 centres) under 8 MB and under 8 s.
"""

from __future__ import annotations

import argparse
import html
import posixpath
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import folium
import folium.plugins

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._browser import launch, offline_context, streamlit_server  # noqa: E402
from geo.coverage import analyse_coverage  # noqa: E402
from geo.demo import write_demo  # noqa: E402
from geo.filters import FilteredLayers, MapFilters, apply_filters, filter_options  # noqa: E402
from geo.maps import (  # noqa: E402
    BOUNDARY_NOTES,
    DISTRICT_STYLE,
    MAX_ZOOM,
    MUNICIPALITY_STYLE,
    add_polygons,
    use_offline_assets,
)
from geo.mapview import CENTRE_CLUSTER_CLASS, MapOptions, build_planning_map  # noqa: E402
from geo.permissions import Viewer  # noqa: E402
from geo.workspace import open_workspace  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
STATIC = REPO / "static"
TIMEOUT_MS = 180_000
#: Fill of the naive map's centre markers (tells them apart from polygons).
NAIVE_FILL = "#1a9850"
_PATH = ".leaflet-overlay-pane path.leaflet-interactive"

# Polygons drawn and centres accounted for (cluster counts + single markers).
DRAWN_JS = """(want) => {
    const polygons = document.querySelectorAll(want.polygonSelector).length;
    let centres = 0;
    document.querySelectorAll(want.clusterSelector).forEach(c => {
        centres += parseInt(c.textContent, 10) || 0; });
    centres += document.querySelectorAll(want.singleSelector).length;
    return polygons >= want.polygons && centres >= want.centres;
}"""


@dataclass(frozen=True)
class Result:
    """Figures of one map build."""

    label: str
    html_mb: float
    build_s: float
    drawn_s: float | None


def naive_map(layers: FilteredLayers) -> folium.Map:
    """Return a map with the same polygons and one folium object per centre (the baseline).

    Each centre is a ``CircleMarker`` with a tooltip, in a folium ``MarkerCluster``, on a
    plain ``folium.Map``: folium's standard path, which parses the rendered text again
    as a template (the product's maps refuse such elements; the demo's names are safe).
    """
    m = folium.Map(
        location=[27.0, 17.5], zoom_start=5, tiles=None, control_scale=True, maxZoom=MAX_ZOOM
    )
    munis = layers.municipalities
    add_polygons(
        m,
        munis.assign(boundary=munis["boundary_kind"].map(dict(BOUNDARY_NOTES))),
        name="Municipalities",
        label_columns=("name_en", "name_ar", "pcode", "boundary"),
        style=MUNICIPALITY_STYLE,
        dashed=munis["boundary_kind"].eq("approximate").to_numpy(bool),
        simplify_tolerance_deg=0.005,
    )
    add_polygons(
        m,
        layers.districts,
        name="Districts",
        label_columns=("name_en",),
        style=DISTRICT_STYLE,
        simplify_tolerance_deg=0.005,
    )
    cluster = folium.plugins.MarkerCluster(name="Polling centres").add_to(m)
    for row in layers.centres.itertuples():
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=6,
            color="#ffffff",
            fill=True,
            fill_color=NAIVE_FILL,
            fill_opacity=0.9,
            tooltip=html.escape(f"{row.centre_id} {row.name_en} {row.name_ar}"),
        ).add_to(cluster)
    folium.LayerControl().add_to(m)
    use_offline_assets(m)
    return m


class _Handler(SimpleHTTPRequestHandler):
    site: Path = Path()

    def translate_path(self, path: str) -> str:
        url_path = posixpath.normpath(unquote(urlsplit(path).path))
        if url_path.startswith("/app/static/"):
            return str(STATIC / url_path.removeprefix("/app/static/"))
        return str(self.site / url_path.lstrip("/"))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # The browser closes connections as the benchmark ends; that is not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` at ``/`` and ``static/`` at ``/app/static/`` on 127.0.0.1."""
    handler = type("Handler", (_Handler,), {"site": site})
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def time_to_drawn(url: str, want: dict[str, object]) -> float:
    """Seconds from opening ``url`` until :data:`DRAWN_JS` holds, in a fresh Chromium."""
    from playwright.sync_api import Route, sync_playwright

    blocked: list[str] = []

    def guard(route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", None):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.route("**/*", guard)
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function(DRAWN_JS, arg=want, timeout=TIMEOUT_MS, polling=50)
        elapsed = time.perf_counter() - start
        browser.close()
    if blocked:
        raise SystemExit(f"the map tried to reach other hosts: {blocked[:3]}")
    return elapsed


def measure(label: str, build, site: Path, want: dict[str, object], browser: bool) -> Result:
    """Build and render a map, save it in ``site``, time it in Chromium."""
    start = time.perf_counter()
    page = build().get_root().render()
    build_s = time.perf_counter() - start
    name = f"{label.replace(' ', '_')}.html"
    (site / name).write_text(page, encoding="utf-8")
    drawn = None
    if browser:
        with serve(site) as base:
            drawn = time_to_drawn(f"{base}/{name}", want)
    return Result(label, len(page.encode("utf-8")) / 1e6, build_s, drawn)


def bench_workspace(path: Path, *, browser: bool, streamlit: bool) -> list[Result]:
    """Measure the planning map (all layers, centres only) and the naive map of a workspace."""
    ws = open_workspace(path)
    coverage = analyse_coverage(
        ws.layer("centres"),
        ws.layer("units"),
        ws.layer("incidents"),
        ws.layer("access_audits"),
        ws.layer("municipalities"),
    )
    layers = apply_filters(ws.layers, MapFilters())
    agencies = filter_options(ws.layers).unit_agencies
    munis = layers.municipalities
    polygons = int((munis.geometry.notna() & ~munis.geometry.is_empty).sum()) + len(
        layers.districts
    )
    centres = len(layers.centres)
    name = f"{path.stem} ({centres:,})"
    site = Path(tempfile.mkdtemp(prefix="psp-bench-map-"))
    planned = measure(
        f"{name} planning map",
        lambda: build_planning_map(
            layers, viewer=Viewer("bench", "planner"), coverage=coverage.centres, agencies=agencies
        ),
        site,
        {
            "polygons": polygons,
            "centres": centres,
            "polygonSelector": ".leaflet-overlay-pane path.leaflet-interactive",
            "clusterSelector": f".{CENTRE_CLUSTER_CLASS}",
            "singleSelector": ".leaflet-marker-pane .psp-pt",
        },
        browser,
    )
    centres_only = measure(
        f"{name} planning map, centres only",
        lambda: build_planning_map(
            layers,
            viewer=Viewer("bench", "planner"),
            coverage=coverage.centres,
            options=MapOptions(show_units=False, show_incidents=False),
        ),
        site,
        {
            "polygonSelector": ".leaflet-overlay-pane path.leaflet-interactive",
            "polygons": polygons,
            "centres": centres,
            "clusterSelector": f".{CENTRE_CLUSTER_CLASS}",
            "singleSelector": ".leaflet-marker-pane .psp-pt",
        },
        browser,
    )
    naive = measure(
        f"{name} naive one-marker-per-centre",
        lambda: naive_map(layers),
        site,
        {
            "polygons": polygons,
            "centres": centres,
            "polygonSelector": f'{_PATH}:not([fill="{NAIVE_FILL}"])',
            "clusterSelector": ".marker-cluster",
            "singleSelector": f'{_PATH}[fill="{NAIVE_FILL}"]',
        },
        browser,
    )
    results = [planned, centres_only, naive]
    if streamlit:
        results.insert(
            1,
            Result(
                f"{name} the Map page (Streamlit)",
                planned.html_mb,
                float("nan"),
                time_page(path, {"polygons": polygons, "centres": centres}),
            ),
        )
    return results


PAGE_DRAWN_JS = f"""(want) => {{
    const frame = [...document.querySelectorAll('iframe')].find(
        f => f.title === 'streamlit_folium.st_folium');
    const doc = frame && frame.contentDocument;
    if (!doc) {{ return false; }}
    const polygons = doc.querySelectorAll(
        '.leaflet-overlay-pane path.leaflet-interactive').length;
    let centres = doc.querySelectorAll('.leaflet-marker-pane .psp-pt').length;
    doc.querySelectorAll('.{CENTRE_CLUSTER_CLASS}').forEach(c => {{
        centres += parseInt(c.textContent, 10) || 0; }});
    return polygons >= want.polygons && centres >= want.centres;
}}"""


def time_page(workspace: Path, want: dict[str, object]) -> float:
    """Seconds from opening the Map page of a real server until the map is drawn.

    The server runs ``app.py`` on 127.0.0.1 with the workspace; a first load warms it up
    (imports, caches), the second, in a fresh browser context, is timed.
    """
    from playwright.sync_api import sync_playwright

    with (
        streamlit_server(REPO / "app.py", {"PSP_WORKSPACE": str(workspace)}) as url,
        sync_playwright() as pw,
    ):
        browser = launch(pw)
        elapsed = 0.0
        for _ in range(2):  # warm-up, then the timed load
            context = offline_context(browser, 1600, 1300)
            page = context.new_page()
            start = time.perf_counter()
            page.goto(f"{url}/Map", wait_until="commit")
            page.wait_for_function(PAGE_DRAWN_JS, arg=want, timeout=TIMEOUT_MS, polling=100)
            elapsed = time.perf_counter() - start
            context.close()
        browser.close()
    return elapsed


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run the benchmark, print the table and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workspace",
        type=Path,
        action="append",
        help="workspace to measure (repeat); default: the demo at scale 1 and 10",
    )
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium timings")
    parser.add_argument(
        "--no-streamlit", action="store_true", help="skip timing the page on a real server"
    )
    args = parser.parse_args(argv)
    workspaces = args.workspace
    if not workspaces:
        folder = Path(tempfile.mkdtemp(prefix="psp-bench-ws-"))
        workspaces = []
        for scale in (1, 10):
            path = folder / f"demo_scale{scale}.gpkg"
            write_demo(path, scale=scale)
            workspaces.append(path)
    print(f"{'map':60} {'HTML MB':>8} {'build s':>8} {'drawn s':>8}")
    for path in workspaces:
        results = bench_workspace(
            path,
            browser=not args.no_browser,
            streamlit=not (args.no_browser or args.no_streamlit),
        )
        for r in results:
            drawn = "–" if r.drawn_s is None else f"{r.drawn_s:8.2f}"
            build = "–" if r.build_s != r.build_s else f"{r.build_s:8.2f}"
            print(f"{r.label:60} {r.html_mb:8.2f} {build:>8} {drawn:>8}")
        planned, centres_only, naive = results[0], results[-2], results[-1]
        for what, mine in (("all layers", planned), ("centres only", centres_only)):
            ratios = (
                f"  naive / planning map ({what}): HTML {naive.html_mb / mine.html_mb:.1f}×, "
                f"build {naive.build_s / mine.build_s:.1f}×"
            )
            if mine.drawn_s and naive.drawn_s:
                ratios += f", drawn {naive.drawn_s / mine.drawn_s:.1f}×"
            print(ratios)


if __name__ == "__main__":
    main()
