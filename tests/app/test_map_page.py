"""AppTest of the Map page on the national demo: filters, figures, search, clicks, roles, URL."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from geo.audit import read_log
from geo.maps import COORDINATE_DECIMALS
from geo.permissions import Viewer
from geo.store import GeoPackageStore
from tests.markdown_text import shown

APP = str(Path(__file__).resolve().parents[2] / "app.py")
MAP_PAGE = "views/map.py"
TRIPOLI_CENTER = "DM-TB-09"


@pytest.fixture
def app(demo_workspace, monkeypatch) -> AppTest:
    monkeypatch.setenv("PSP_WORKSPACE", str(demo_workspace))
    monkeypatch.delenv("PSP_TILES_URL", raising=False)
    return AppTest.from_file(APP, default_timeout=120)


def open_map(at: AppTest) -> AppTest:
    at.run()
    at.switch_page(MAP_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def map_component(at: AppTest):
    components = at.get("component_instance")
    assert len(components) == 1
    return components[0]


def map_script(at: AppTest) -> str:
    return json.loads(map_component(at).proto.json_args)["script"]


def click(at: AppTest, centre_id: str, lat: float, lon: float) -> AppTest:
    """Fake a click on a centre marker, as streamlit-folium reports it."""
    at.session_state[map_component(at).key] = {
        "last_object_clicked": {"lat": lat, "lng": lon},
        "last_object_clicked_tooltip": f"{centre_id}\nname",
        "last_object_clicked_count": 1,
        "center": {"lat": lat, "lng": lon},
        "zoom": 9,
    }
    return at.run()


def table_with(at: AppTest, column: str):
    """The first table of the page that has ``column``, or ``None``."""
    return next((d.value for d in at.dataframe if column in d.value.columns), None)


def subheaders(at: AppTest) -> list[str]:
    return [s.value for s in at.subheader]


# --- rendering and figures ---------------------------------------------------------------------


def test_map_page_renders_with_banner_figures_and_one_map(app, demo_layers):
    at = open_map(app)
    assert "DEMO — synthetic data" in at.warning[0].value
    assert at.title[0].value == "Map"
    assert metric(at, "Polling centres") == f"{len(demo_layers['centres']):,}"
    assert metric(at, "Incidents") == f"{len(demo_layers['incidents']):,}"
    assert metric(at, "Security units") == f"{len(demo_layers['units']):,}"
    voters = int(demo_layers["centres"]["registered_voters"].sum())
    assert metric(at, "Registered voters") == f"{voters:,}"
    assert metric(at, "Voters at fully covered centres").endswith("%")
    args = json.loads(map_component(at).proto.json_args)
    assert "L.markerClusterGroup" in args["script"]
    assert all(url.startswith("/app/static/vendor/") for url in args["js_links"])


def test_district_filter_changes_the_figures_and_the_map(app, demo_layers):
    at = open_map(app)
    key_before = map_component(at).key
    at.sidebar.multiselect(key="map_districts").select("LY-TB").run()
    assert not at.exception
    municipalities = demo_layers["municipalities"]
    in_tripoli = municipalities.loc[municipalities["district_pcode"] == "LY-TB", "pcode"]
    centres = demo_layers["centres"]
    kept = centres[centres["municipality_pcode"].isin(in_tripoli)]
    assert metric(at, "Polling centres") == f"{len(kept):,}"
    assert metric(at, "Registered voters") == f"{int(kept['registered_voters'].sum()):,}"
    assert map_component(at).key != key_before  # the map shows the new area
    assert at.query_params["district"] == "LY-TB"


def test_election_filter_changes_the_incident_count(app, demo_layers):
    at = open_map(app)
    election = "municipal 2025 phase 2"
    at.sidebar.multiselect(key="map_elections").select(election).run()
    incidents = demo_layers["incidents"]
    assert metric(at, "Incidents") == f"{int((incidents['election'] == election).sum()):,}"


def test_access_filter_changes_the_centre_count(app):
    at = open_map(app)
    total = int(metric(at, "Polling centres").replace(",", ""))
    at.sidebar.multiselect(key="map_access").select("inaccessible").run()
    kept = int(metric(at, "Polling centres").replace(",", ""))
    assert 0 < kept < total
    assert metric(at, "Voters at accessible centres") == "0%"


def test_unit_type_filter_changes_the_unit_count(app, demo_layers):
    at = open_map(app)
    at.sidebar.multiselect(key="map_unit_types").select("patrol").run()
    patrols = int((demo_layers["units"]["unit_type"] == "patrol").sum())
    assert metric(at, "Security units") == f"{patrols:,}"


def test_clear_button_restores_every_centre(app, demo_layers):
    at = open_map(app)
    at.sidebar.multiselect(key="map_regions").select("RG-S").run()
    assert metric(at, "Polling centres") != f"{len(demo_layers['centres']):,}"
    at.sidebar.button(key="map_clear").click().run()
    assert metric(at, "Polling centres") == f"{len(demo_layers['centres']):,}"


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["طرابلس", "Tripoli"])
def test_search_finds_tripoli_in_arabic_and_english(app, query):
    at = open_map(app)
    at.text_input(key="map_search").input(query).run()
    matches = at.selectbox(key="map_search_pick")
    assert TRIPOLI_CENTER in matches.options or any(
        TRIPOLI_CENTER in option for option in matches.options
    )
    matches.select(TRIPOLI_CENTER).run()
    assert not at.exception
    lat, lon, zoom = at.session_state["map_goto"]
    assert 32.7 < lat < 33.0
    assert 13.0 < lon < 13.4
    assert zoom >= 10


def test_search_by_centre_id_selects_it_and_zooms_to_it(app, demo_layers):
    at = open_map(app)
    centre = demo_layers["centres"].iloc[5]
    at.text_input(key="map_search").input(centre["centre_id"]).run()
    at.selectbox(key="map_search_pick").select(centre["centre_id"]).run()
    assert subheaders(at)[0].startswith(centre["centre_id"])
    lat, lon, zoom = at.session_state["map_goto"]
    assert (lat, lon) == pytest.approx((centre.geometry.y, centre.geometry.x))
    assert zoom == 15
    assert at.query_params["centre"] == centre["centre_id"]


def test_search_for_nothing_says_so(app):
    at = open_map(app)
    at.text_input(key="map_search").input("qqqqqq").run()
    assert any("No centre or municipality matches" in shown(c.value) for c in at.caption)


# --- clicks and the details panel -----------------------------------------------------------------


def test_a_click_on_a_centre_fills_the_details_panel(app, demo_layers):
    at = open_map(app)
    assert subheaders(at) == ["Centre details"]
    centre = demo_layers["centres"].iloc[0]
    click(at, centre["centre_id"], centre.geometry.y, centre.geometry.x)
    assert not at.exception
    assert subheaders(at)[0] == f"{centre['centre_id']} · {centre['name_en']}"
    stations = table_with(at, "stations")
    assert stations.iloc[3, 1] == (
        centre["stations_male"] + centre["stations_female"] + centre["stations_mixed"]
    )
    # The demo has roads: the nearest units are the nearest in travel time.
    nearest = table_with(at, "unit_id")
    assert nearest["travel_min"].is_monotonic_increasing
    assert set(nearest["reach_model"]) <= {"network", "straight"}
    checklist = table_with(at, "item")
    assert len(checklist) == 5
    attributes = table_with(at, "attribute")
    assert centre["name_ar"] in set(attributes["value"])
    assert at.query_params["centre"] == centre["centre_id"]


def test_a_click_keeps_the_map_as_it_is(app, demo_layers):
    at = open_map(app)
    component = map_component(at)
    script = map_script(at)
    centre = demo_layers["centres"].iloc[0]
    click(at, centre["centre_id"], centre.geometry.y, centre.geometry.x)
    # same component key: the browser keeps the map, its zoom and its position
    assert map_component(at).key == component.key
    assert len(map_script(at)) == len(script)


def test_a_click_reported_under_the_page_key_also_fills_the_panel(app, demo_layers):
    at = open_map(app)
    centre = demo_layers["centres"].iloc[10]
    at.session_state["map_view"] = {
        "last_object_clicked": {"lat": centre.geometry.y, "lng": centre.geometry.x},
        "last_object_clicked_tooltip": centre["centre_id"],
        "last_object_clicked_count": 1,
    }
    at.run()
    assert subheaders(at)[0].startswith(centre["centre_id"])
    # the selected centre is ringed by a layer added on top, not by a new map
    feature_group = json.loads(map_component(at).proto.json_args)["feature_group"]
    ring = re.search(r"L\.circleMarker\(\s*\[([-\d.]+), ([-\d.]+)\]", feature_group)
    assert ring is not None
    assert (float(ring[1]), float(ring[2])) == pytest.approx((centre.geometry.y, centre.geometry.x))


def test_a_click_on_an_area_leaves_the_panel_empty(app):
    at = open_map(app)
    at.session_state[map_component(at).key] = {
        "last_object_clicked": {"lat": 25.0, "lng": 17.0},
        "last_object_clicked_tooltip": "Municipality Kufra",
        "last_object_clicked_count": 1,
    }
    at.run()
    assert subheaders(at) == ["Centre details"]


def test_moving_the_map_is_mirrored_in_the_url(app):
    at = open_map(app)
    at.session_state[map_component(at).key] = {"center": {"lat": 32.5, "lng": 14.25}, "zoom": 8}
    at.run()
    assert (at.query_params["lat"], at.query_params["lon"], at.query_params["zoom"]) == (
        "32.5000",
        "14.2500",
        "8",
    )


# --- roles --------------------------------------------------------------------------------------


def test_briefer_sees_no_unit_coordinates(app, demo_layers):
    app.session_state["viewer"] = Viewer("b", "briefer")
    at = open_map(app)
    script = map_script(at)
    units = demo_layers["units"]
    centres = demo_layers["centres"]
    centre_points = {
        (round(p.y, 5), round(p.x, 5)) for p in centres.geometry
    }  # guards may stand on a centre, whose position is public
    rng = np.random.default_rng(3)
    for i in rng.choice(len(units), 200, replace=False):
        unit = units.iloc[int(i)]
        point = (round(unit.geometry.y, 5), round(unit.geometry.x, 5))
        if point in centre_points:
            continue
        assert f"[{point[0]},{point[1]}," not in script
        assert f'"{unit["unit_id"]}"' not in script
    assert "Security units (count per municipality)" in script
    assert "Response radii" not in script
    labels = [c.label for c in at.sidebar.checkbox]
    assert "Response radii" not in labels


def test_briefer_details_count_units_without_positions(app, demo_layers):
    app.session_state["viewer"] = Viewer("b", "briefer")
    at = open_map(app)
    centre = demo_layers["centres"].iloc[0]
    click(at, centre["centre_id"], centre.geometry.y, centre.geometry.x)
    assert table_with(at, "unit_id") is None
    assert table_with(at, "distance_km") is None or "unit_id" not in table_with(at, "distance_km")
    text = " ".join(m.value for m in at.markdown)
    assert "units within 10 km" in text
    assert any("counts only" in shown(c.value) for c in at.caption)
    fields = set().union(*(set(d.value.get("field", [])) for d in at.dataframe))
    assert "Officer shortfall" in fields
    assert "Nearest static guard (km)" not in fields


def test_planner_sees_units_and_response_radii(app):
    app.session_state["viewer"] = Viewer("p", "planner")
    at = open_map(app)
    script = map_script(at)
    assert "Response radii" in script
    assert "psp-unit-cluster-icon" in script


# --- the map as one file ------------------------------------------------------------------------


@pytest.fixture
def map_file(demo_workspace, tmp_path, monkeypatch):
    """Open the Map page as ``role`` with ``query``.

    Returns the app, its HTML download buttons, the producer of the file (called as
    Streamlit calls it when the browser asks for the file after the click) and a function
    giving the export entries recorded since the page was opened (the shared demo may
    already hold entries of other tests).
    """
    workspace = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_workspace, workspace)
    before = len(exports(workspace))
    producers: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def remember(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        producers[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    monkeypatch.setenv("PSP_WORKSPACE", str(workspace))
    monkeypatch.delenv("PSP_TILES_URL", raising=False)

    def open_as(role: str, **query: str):
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["viewer"] = Viewer(role[0], role)
        for key, value in query.items():
            at.query_params[key] = value
        at = open_map(at)
        buttons = [b.proto for b in at.get("download_button") if "HTML" in b.proto.label]
        return at, buttons, producers.get("map.html"), lambda: exports(workspace).iloc[before:]

    return open_as


def exports(workspace: Path):
    return read_log(workspace, viewer=Viewer("root", "admin"), action="export")


def unit_marks(units, centres):
    """(unit ID, ``[lat,lon,`` as the map file writes a marker) of units off any centre.

    Coordinates are rounded as the map rounds them (``numpy.round``, which can differ from
    ``round`` in the last digit).
    """

    def rounded(p) -> tuple[float, float]:
        return (
            float(np.round(p.y, COORDINATE_DECIMALS)),
            float(np.round(p.x, COORDINATE_DECIMALS)),
        )

    centre_points = {rounded(p) for p in centres.geometry}
    marks = []
    for unit in units.itertuples():
        point = rounded(unit.geometry)
        if point not in centre_points:  # a guard on a centre stands at a public position
            marks.append((unit.unit_id, f"[{point[0]},{point[1]},"))
    return marks


def test_briefer_downloads_the_filtered_map_redacted_and_audited(map_file, demo_layers):
    at, buttons, produce, recorded = map_file("briefer", district="LY-MI")
    assert [b.label for b in buttons] == ["Download this map (HTML)"]
    assert buttons[0].ignore_rerun  # made on click, without a rerun racing it
    assert recorded().empty  # nothing is recorded until the file is asked for
    page = produce().decode("utf-8")  # what the click makes
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""<(?:script|link|img)\b[^>]*(?:src|href)=""", page)  # offline
    centres, units = demo_layers["centres"], demo_layers["units"]
    misrata = centres["municipality_pcode"].str.startswith("DM-MI")
    in_misrata = units["municipality_pcode"].str.startswith("DM-MI")
    marks = unit_marks(units, centres)
    assert len(marks) > in_misrata.sum() > 0
    for unit_id, point in marks:
        assert f'"{unit_id}"' not in page
        assert point not in page
    assert "Security units (count per municipality)" in page
    assert "Response radii" not in page
    assert "Security units appear as counts per municipality" in page
    log = recorded()
    assert len(log) == 1
    entry = log.iloc[0]
    details = json.loads(entry["details"])
    assert (entry["actor"], entry["target"]) == ("b", "map.html")
    assert details["format"] == "html"
    assert details["role"] == "briefer"
    assert details["filters"] == "district=LY-MI"
    assert details["unit_positions"] == "withheld"
    assert details["units"] == str(int(in_misrata.sum()))
    assert entry["rows"] == int(misrata.sum()) > 0


def test_planner_downloads_the_map_with_unit_positions(map_file, demo_layers):
    at, buttons, produce, recorded = map_file("planner", district="LY-MI")
    assert [b.label for b in buttons] == ["Download this map (HTML)"]
    page = produce().decode("utf-8")
    centres, units = demo_layers["centres"], demo_layers["units"]
    in_misrata = units[units["municipality_pcode"].str.startswith("DM-MI")]
    marks = unit_marks(in_misrata, centres)
    assert marks
    for unit_id, point in marks:  # the check the briefer's file passes can fail
        assert point in page
        assert unit_id in page
    (details,) = (json.loads(d) for d in recorded()["details"])
    assert details["unit_positions"] == "included"


def test_viewer_gets_no_map_download(map_file):
    at, buttons, produce, recorded = map_file("viewer")
    assert buttons == []
    assert produce is None
    assert recorded().empty


# --- URL ----------------------------------------------------------------------------------------


def test_a_link_reproduces_the_view(app, demo_layers):
    app.query_params.update(
        {
            "district": "LY-MI",
            "measure": "risk_mean",
            "colour": "access_status",
            "heat": "1",
            "lat": "32.3",
            "lon": "15.1",
            "zoom": "9",
        }
    )
    at = open_map(app)
    assert at.sidebar.multiselect(key="map_districts").value == ["LY-MI"]
    assert at.sidebar.selectbox(key="map_measure").value == "risk_mean"
    assert at.sidebar.selectbox(key="map_colour_by").value == "access_status"
    assert at.sidebar.checkbox(key="map_heat_map").value is True
    assert at.session_state["map_goto"] == (32.3, 15.1, 9)
    municipalities = demo_layers["municipalities"]
    in_misrata = municipalities.loc[municipalities["district_pcode"] == "LY-MI", "pcode"]
    kept = demo_layers["centres"]["municipality_pcode"].isin(in_misrata).sum()
    assert metric(at, "Polling centres") == f"{kept:,}"


def test_unknown_values_in_a_link_are_reported(app):
    app.query_params["district"] = "LY-XX"
    at = open_map(app)
    assert any("LY-XX" in shown(w.value) for w in at.warning)
    assert at.sidebar.multiselect(key="map_districts").value == []


def test_changing_the_measure_is_mirrored_in_the_url(app):
    at = open_map(app)
    at.sidebar.selectbox(key="map_measure").select("shortfall").run()
    assert at.query_params["measure"] == "shortfall"


def test_arabic_page_translates_the_map_labels(app):
    at = open_map(app)
    at.sidebar.radio(key="ui_lang").set_value("ar").run()
    assert not at.exception
    assert any(m.label == "مراكز الاقتراع" for m in at.metric)


# --- partial workspaces -----------------------------------------------------------------------


@pytest.fixture
def centres_only(tmp_path, demo_layers, monkeypatch) -> AppTest:
    """A workspace with reference layers and centres, but no units, incidents or audits."""
    path = tmp_path / "centres_only.gpkg"
    keep = ("regions", "districts", "municipalities", "centres")
    GeoPackageStore(path).write_layers(
        {name: demo_layers[name] for name in keep}, author="test", info={"is_demo": "true"}
    )
    monkeypatch.setenv("PSP_WORKSPACE", str(path))
    return AppTest.from_file(APP, default_timeout=120)


def test_without_units_the_map_says_why_coverage_is_missing(centres_only, demo_layers):
    at = open_map(centres_only)
    assert metric(at, "Polling centres") == f"{len(demo_layers['centres']):,}"
    assert metric(at, "Centres with a gap") == "–"
    assert any("Coverage, risk and shortfall are not shown" in shown(c.value) for c in at.caption)
    measures = at.sidebar.selectbox(key="map_measure").options
    assert "Mean risk" not in measures
    assert "Registered voters" in measures
    assert "L.markerClusterGroup" in map_script(at)


def test_filters_that_keep_no_centre_leave_a_working_map(app):
    at = open_map(app)
    at.sidebar.multiselect(key="map_centre_types").select("prison").run()
    assert not at.exception
    assert metric(at, "Polling centres") == "0"
    assert any("No polling centre matches" in shown(w.value) for w in at.warning)


def test_filters_are_kept_when_coming_back_to_the_page(app, demo_layers):
    at = open_map(app)
    at.sidebar.multiselect(key="map_districts").select("LY-TB").run()
    kept = metric(at, "Polling centres")
    at.switch_page("views/home.py").run()
    at.switch_page(MAP_PAGE).run()
    assert at.sidebar.multiselect(key="map_districts").value == ["LY-TB"]
    assert metric(at, "Polling centres") == kept


def test_a_link_with_dates_outside_the_data_is_clamped(app, demo_layers):
    app.query_params.update({"from": "2020-01-01", "to": "2025-06-30", "measure": "none"})
    at = open_map(app)
    assert not at.exception
    start, end = at.sidebar.date_input(key="map_dates").value
    assert start == demo_layers["incidents"]["date"].min().date()
    assert str(end) == "2025-06-30"
    assert at.sidebar.selectbox(key="map_measure").value == "none"
    incidents = demo_layers["incidents"]
    kept = int((incidents["date"] <= "2025-06-30").sum())
    assert metric(at, "Incidents") == f"{kept:,}"


# --- roads and reach areas (issue 18) ------------------------------------------------------------


def test_the_roads_layer_is_off_until_ticked_then_drawn_by_class(app):
    at = open_map(app)
    assert "Roads by class" not in map_script(at)
    box = at.sidebar.checkbox(key="map_show_roads")
    assert box.label == "Roads"
    assert box.value is False
    box.check().run()
    assert not at.exception
    script = map_script(at)
    assert "Roads by class" in script
    for colour in ("#b2182b", "#ef6548", "#fc8d59", "#4393c3", "#737373"):
        assert colour in script  # every drawn class has its style
    assert "ODbL" in script
    assert at.query_params["roads"] == "1"


def test_a_planner_draws_a_units_reach_area_on_roads(app, demo_layers):
    app.session_state["viewer"] = Viewer("p", "planner")
    at = open_map(app)
    unit = demo_layers["units"].query("unit_type == 'patrol'").iloc[0]
    choice = at.sidebar.selectbox(key="map_reach_site")
    assert choice.value is None
    choice.set_value(f"unit:{unit['unit_id']}").run()
    assert not at.exception
    script = map_script(at)
    assert f"Reach area: Unit {unit['unit_id']} (Patrol)" in script
    assert "15 min (on roads)" in script
    assert "30 min (on roads)" in script


def test_a_briefer_has_no_reach_area_choice(app):
    app.session_state["viewer"] = Viewer("b", "briefer")
    at = open_map(app)
    assert not [s for s in at.sidebar.selectbox if s.key == "map_reach_site"]
    at.session_state["map_reach_site"] = "unit:anything"
    at.run()
    assert not at.exception
    assert "Reach area" not in map_script(at)
