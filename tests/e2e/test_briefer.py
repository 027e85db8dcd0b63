"""A briefer signs in through the real login form and finds no security unit's position.

A team server (``PSP_USERS``) is started on a copy of the demo. In Chromium the briefer
signs in, is recognised again from the signed cookie after a reload, then opens every
page a briefer uses that exists (home, Map, Coverage, Reports, Briefing). On each page
the map's markers (read from Leaflet itself), the map's HTML and every file offered for
download are searched for unit IDs and unit positions; none may appear.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from geo import users
from geo.permissions import Viewer
from tests.e2e.serverlog import server_log, tail
from tests.unit_leaks import leaked_ids, leaked_positions, public_points

REPO = Path(__file__).resolve().parents[2]
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
IDLE_APP = '[data-testid="stApp"][data-test-script-state="notRunning"]'
BRIEFER_PASSWORD = "briefing slides 2025"
COOKIE_KEY = "e2e-cookie-key-" + "x" * 32
#: Pages a briefer works with, by file; those not written yet are skipped.
BRIEFER_PAGES = (
    ("app.py", ""),
    ("views/map.py", "Map"),
    ("views/coverage.py", "Coverage"),
    ("views/reports.py", "Reports"),
    ("views/briefing.py", "Briefing"),
)
# Every point marker on every Leaflet map of the frame, clustered ones included.
MARKER_POSITIONS_JS = """() => {
  const out = [];
  const seen = new Set();
  const visit = (layer) => {
    if (!layer || seen.has(layer)) { return; }
    seen.add(layer);
    if (typeof layer.getLatLng === "function") {
      const p = layer.getLatLng();
      out.push([p.lng, p.lat]);
    }
    if (typeof layer.getLayers === "function") { layer.getLayers().forEach(visit); }
  };
  for (const name of Object.keys(window)) {
    let value;
    try { value = window[name]; } catch (e) { continue; }
    if (window.L && value instanceof window.L.Map) { value.eachLayer(visit); }
  }
  return out;
}"""


@pytest.fixture
def team_server(streamlit_server, demo_workspace, tmp_path) -> str:
    workspace = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_workspace, workspace)
    users_file = tmp_path / "etc" / "users.yaml"
    users.create_first_admin(users_file, "root", name="Root", password="the first key 1", rounds=4)
    users.add_user(
        users_file,
        "amal",
        name="Amal Ben Ali",
        role="briefer",
        password=BRIEFER_PASSWORD,
        by=Viewer("root", "admin"),
        rounds=4,
    )
    return streamlit_server(
        workspace=workspace,
        env={"PSP_USERS": str(users_file), "PSP_COOKIE_KEY": COOKIE_KEY},
    )


def wait_until_idle(page: Page) -> None:
    """Wait until the script has finished, and stays finished (maps may rerun it once)."""
    for _ in range(2):
        page.wait_for_selector(IDLE_APP, state="attached", timeout=180_000)
        page.wait_for_timeout(1_500)
    page.wait_for_selector(IDLE_APP, state="attached", timeout=180_000)


def sign_in(page: Page, base_url: str) -> None:
    page.goto(base_url, wait_until="domcontentloaded")
    expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
    page.get_by_role("textbox", name="Username").fill("amal")
    page.get_by_role("textbox", name="Password").fill(BRIEFER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Polling centres", exact=True)).to_be_visible(timeout=60_000)


def wait_for_cookie(context: BrowserContext, page: Page, timeout_ms: int = 15_000) -> None:
    """The cookie is written by an iframe, a moment after the page shows signed in."""
    for _ in range(timeout_ms // 250):
        if any(c["name"] == "psp_auth" for c in context.cookies()):
            return
        page.wait_for_timeout(250)
    pytest.fail("the sign-in cookie psp_auth was never set")


def map_contents(page: Page) -> tuple[list[str], list[tuple[float, float]]]:
    """HTML of every map frame and the positions of all its point markers."""
    texts: list[str] = []
    positions: list[tuple[float, float]] = []
    iframes = page.locator(MAP_IFRAME)
    for i in range(iframes.count()):
        frame = iframes.nth(i).element_handle().content_frame()
        frame.wait_for_selector(".leaflet-container", timeout=60_000)
        page.wait_for_timeout(500)
        texts.append(frame.content())
        positions += [tuple(p) for p in frame.evaluate(MARKER_POSITIONS_JS)]
    return texts, positions


def download_contents(data: bytes, name: str) -> tuple[list[str], list[pd.DataFrame]]:
    """Texts and tables inside a downloaded file (CSV, JSON, Excel, PDF, GeoPackage, zip)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        tables = [pd.DataFrame(list(sheet.iter_rows(values_only=True))) for sheet in book]
        return [t.to_csv() for t in tables], tables
    if suffix == ".pdf":
        if not shutil.which("pdftotext"):
            pytest.fail("pdftotext (poppler-utils) is needed to read PDF downloads")
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode("utf-8", errors="replace")
        return [text], []
    if suffix == ".gpkg":
        return [], gpkg_tables(data)
    if suffix == ".zip":
        texts, tables = [], []
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                more_texts, more_tables = download_contents(archive.read(member), member)
                texts += more_texts
                tables += more_tables
        return texts, tables
    text = data.decode("utf-8-sig", errors="replace")
    tables = []
    if suffix == ".csv":
        tables.append(pd.read_csv(io.StringIO(text), dtype=str))
    if suffix in (".json", ".geojson"):
        features = json.loads(text).get("features", [])
        points = [
            f["geometry"]["coordinates"]
            for f in features
            if f.get("geometry") and f["geometry"]["type"] == "Point"
        ]
        tables.append(pd.DataFrame(points, columns=["lon", "lat"]))
    return [text], tables


def gpkg_tables(data: bytes) -> list[pd.DataFrame]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "download.gpkg"
        path.write_bytes(data)
        tables = []
        for layer, geometry_type in pyogrio.list_layers(path):
            frame = pyogrio.read_dataframe(path, layer=layer)
            if geometry_type == "Point" and len(frame):
                frame = frame.assign(lon=frame.geometry.x, lat=frame.geometry.y)
            tables.append(pd.DataFrame(frame.drop(columns="geometry", errors="ignore")))
        return tables


def downloads_of(page: Page, log: Path) -> list[tuple[str, bytes]]:
    """Click every enabled download button of the page, in every tab; return (name, bytes).

    A click that brings no file within a minute is tried once more on the idle page,
    with a warning that names the button and the server's last log lines, since a user
    would click again; a second failure fails the test with the same details.
    """
    found, seen = [], set()
    tabs = page.get_by_role("tab")
    for tab in [None, *(tabs.nth(i) for i in range(tabs.count()))]:
        if tab is not None:  # a button in another tab is hidden until its tab is chosen
            tab.click()
            wait_until_idle(page)
        buttons = page.locator('[data-testid="stDownloadButton"] button')
        for i in range(buttons.count()):
            button = buttons.nth(i)
            if not button.is_visible() or not button.is_enabled():
                continue
            label = button.inner_text()
            if label in seen:
                continue
            seen.add(label)
            for attempt in (1, 2):
                wait_until_idle(page)
                try:
                    with page.expect_download(timeout=60_000) as info:
                        button.click()
                    break
                except PlaywrightTimeoutError:
                    what = (
                        f"download button {label!r} gave no file "
                        f"(attempt {attempt}); the server log ends with:\n{tail(log)}"
                    )
                    if attempt == 2:
                        pytest.fail(what)
                    warnings.warn(what, stacklevel=1)
            download = info.value
            found.append((download.suggested_filename, Path(download.path()).read_bytes()))
    return found


def test_a_briefer_sees_no_unit_position_on_any_page_or_download(
    team_server,
    demo_layers,
    page: Page,
    browser_context: BrowserContext,
    blocked_requests,
    artifacts_dir,
):
    units, public = demo_layers["units"], public_points(demo_layers)
    sign_in(page, team_server)
    expect(page.get_by_text("Signed in as").first).to_contain_text("amal")
    wait_for_cookie(browser_context, page)
    page.reload(wait_until="domcontentloaded")
    expect(page.get_by_text("Polling centres", exact=True)).to_be_visible(timeout=60_000)
    assert page.get_by_role("textbox", name="Password").count() == 0

    # The menu offers a briefer exactly the briefer's pages; the others refuse by URL.
    menu = page.locator('[data-testid="stSidebarNav"] a')
    hrefs = {
        (menu.nth(i).get_attribute("href") or "").rsplit("/", 1)[-1] for i in range(menu.count())
    }
    assert hrefs == {"", "Map", "Coverage", "Reports", "Briefing"}
    for path, refusal in (("Plan", "'plan' permission"), ("Data", "may not change data"),
                          ("Admin", "Only administrators")):  # fmt: skip
        page.goto(f"{team_server}/{path}", wait_until="domcontentloaded")
        expect(page.get_by_text(refusal)).to_be_visible(timeout=60_000)
        assert page.locator('[data-testid="stMetric"], [data-testid="stDataFrame"]').count() == 0

    visited = []
    for script, path in BRIEFER_PAGES:
        if not (REPO / script).is_file():
            continue
        page.goto(f"{team_server}/{path}", wait_until="domcontentloaded")
        expect(page.get_by_text("Signed in as").first).to_be_visible(timeout=60_000)
        wait_until_idle(page)
        assert page.get_by_role("textbox", name="Password").count() == 0, f"{script}: signed out"
        assert page.locator('[data-testid="stException"]').count() == 0, script
        texts, positions = map_contents(page)
        texts.append(page.content())
        files = downloads_of(page, server_log(artifacts_dir, team_server))
        tables: list[pd.DataFrame] = [pd.DataFrame(positions, columns=["lon", "lat"])]
        for name, data in files:
            more_texts, more_tables = download_contents(data, name)
            texts += more_texts
            tables += more_tables
        page.screenshot(path=artifacts_dir / f"briefer-{path or 'home'}.png", full_page=True)
        assert leaked_ids(texts, units) == [], f"{script} shows unit IDs to a briefer"
        assert leaked_positions(texts, units, public, tables=tables) == [], (
            f"{script} shows unit positions to a briefer"
        )
        visited.append((script, len(positions), [name for name, _ in files]))

    scripts = [script for script, _, _ in visited]
    assert "app.py" in scripts
    assert any(markers for _, markers, _ in visited), "no map marker was checked at all"
    assert blocked_requests == []
