"""Unit tests of geo.maps: offline assets, escaping, styles and layers on tiny frames."""

from __future__ import annotations

import ast
import base64
import hashlib
import html
import json
import re
from pathlib import Path

import branca.element
import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from folium.template import Template
from shapely.geometry import Point, box

from geo.errors import InputError
from geo.maps import (
    ASSET_URL_PREFIX,
    BLANK_TILE,
    LAYER_CENTRES,
    LAYER_DISTRICTS,
    LAYER_MUNICIPALITIES,
    LAYER_OUTLINE,
    LOCAL_ASSETS,
    MAX_ZOOM,
    SEQUENTIAL_PALETTES,
    CircleStyle,
    LegendEntry,
    LegendSection,
    MapLegend,
    OfflineAssetError,
    PolygonStyle,
    Symbol,
    TileSource,
    UnsafeElementError,
    add_badges,
    add_circles,
    add_heat,
    add_layer_control,
    add_points,
    add_polygons,
    add_symbols,
    add_tiles,
    build_overview_map,
    class_breaks,
    class_labels,
    classify,
    encode_labels,
    escape_text,
    html_text,
    legend_html,
    new_map,
    palette,
    ring_group,
    round_significant,
    script_json,
    simplify_polygons,
    standalone_html,
    use_offline_assets,
)
from tests.geo.template_payloads import PAYLOADS, check_literal, code_payload, renders

EVIL = "<img src=x onerror=alert(1)>"
# How EVIL reaches the page: HTML-escaped by geo.maps, then JSON-escaped by folium's tojson
EVIL_IN_FOLIUM_JSON = "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;"
ASSET_TAG = re.compile(r"<(?:script|link)\b[^>]*?\b(?:src|href)=[\"']([^\"']+)", re.IGNORECASE)


def regions() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"pcode": ["R-W", "R-E"], "name_en": ["West", "East"], "name_ar": ["الغرب", "الشرق"]},
        geometry=[box(11, 30, 16, 33), box(16, 30, 21, 33)],
        crs="EPSG:4326",
    )


def districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "pcode": ["D1", "D2", "D3"],
            "name_en": ["Tripoli", "Misrata", "Benghazi"],
            "name_ar": ["طرابلس", "مصراتة", "بنغازي"],
            "region_pcode": ["R-W", "R-W", "R-E"],
        },
        geometry=[box(11, 30, 14, 33), box(14, 30, 16, 33), box(16, 30, 21, 33)],
        crs="EPSG:4326",
    )


def municipalities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "pcode": ["M1", "M2", "M3", "M4"],
            "name_en": ["Janzour", "Souq Al-Jumaa", "Misrata", "No polygon"],
            "name_ar": ["جنزور", "سوق الجمعة", "مصراتة", "بلا حدود"],
            "district_pcode": ["D1", "D1", "D2", "D3"],
            "boundary_kind": ["official", "approximate", "imported", "approximate"],
        },
        geometry=[box(11, 30, 12.5, 33), box(12.5, 30, 14, 33), box(14, 30, 16, 33), None],
        crs="EPSG:4326",
    )


def centres() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "centre_id": ["C1", "C2", "C3"],
            "name_ar": ["مدرسة الأمل", EVIL, "قاعة الشعب"],
            "name_en": ["Al-Amal school", None, "People's hall"],
        },
        geometry=[Point(13.123456789, 32.87654321), Point(13.2, 32.86), Point(20.07, 32.11)],
        crs="EPSG:4326",
    )


def overview(**kwargs) -> folium.Map:
    return build_overview_map(regions(), districts(), municipalities(), centres(), **kwargs)


def layer(m: folium.Map, name: str):
    return next(c for c in m._children.values() if getattr(c, "layer_name", None) == name)


def asset_urls(html: str) -> list[str]:
    return ASSET_TAG.findall(html)


def test_overview_page_loads_scripts_and_styles_only_from_the_app():
    urls = asset_urls(overview().get_root().render())
    assert urls, "the page should load Leaflet"
    assert all(u.startswith(f"{ASSET_URL_PREFIX}/") for u in urls), urls
    assert f"{ASSET_URL_PREFIX}/{LOCAL_ASSETS['jquery']}" in urls  # popups need $


def test_overview_page_drops_bootstrap_and_font_awesome():
    html = overview().get_root().render().lower()
    for name in ("bootstrap", "fontawesome", "awesome-markers", "glyphicons"):
        assert name not in html


def test_folium_class_level_cdn_lists_are_left_alone():
    before = (list(folium.Map.default_js), list(folium.plugins.MarkerCluster.default_css))
    overview().get_root().render()
    assert (list(folium.Map.default_js), list(folium.plugins.MarkerCluster.default_css)) == before
    assert folium.Map.default_js[0][1].startswith("https://")


def test_plugins_added_after_building_are_served_locally():
    m = overview(show_centres=False)
    points = gpd.GeoDataFrame(geometry=[Point(13.2, 32.9)], crs="EPSG:4326")
    add_heat(m, points, name="Heat", weights=[1.0])
    add_symbols(m, points, name="Symbols", symbols=[Symbol()], symbol_codes=[0])
    urls = asset_urls(m.get_root().render())
    assert f"{ASSET_URL_PREFIX}/{LOCAL_ASSETS['leaflet-heat.js']}" in urls
    assert f"{ASSET_URL_PREFIX}/{LOCAL_ASSETS['markerclusterjs']}" in urls
    assert all(u.startswith(f"{ASSET_URL_PREFIX}/") for u in urls), urls


@pytest.mark.parametrize(
    "element",
    [
        lambda: folium.plugins.HeatMap([[32.9, 13.2, 1.0]]),
        lambda: folium.CircleMarker([32.9, 13.2], tooltip="a name"),
        lambda: folium.LayerControl(),
        lambda: folium.FeatureGroup(name="plain"),
    ],
    ids=["HeatMap", "CircleMarker", "LayerControl", "FeatureGroup"],
)
def test_plain_folium_elements_are_refused_before_anything_is_parsed(element, monkeypatch):
    m = new_map()
    element().add_to(m)
    parsed: list[str] = []
    monkeypatch.setattr(
        branca.element, "Template", lambda source: parsed.append(source) or Template(source)
    )
    with pytest.raises(UnsafeElementError, match="not a template-free element"):
        m.get_root().render()
    assert parsed == [], "a rendered text was compiled as a template"


def test_use_offline_assets_rewrites_a_plain_folium_map_already_rendered():
    m = folium.Map(tiles=None)
    m.get_root().render()
    use_offline_assets(m)
    urls = asset_urls(m.get_root().render())
    assert all(u.startswith(f"{ASSET_URL_PREFIX}/") for u in urls), urls


def test_st_folium_hands_only_local_links_to_the_iframe(monkeypatch):
    streamlit_folium = pytest.importorskip("streamlit_folium")
    sent: dict = {}
    monkeypatch.setattr(streamlit_folium, "_component_func", lambda **kw: sent.update(kw))
    m = overview()
    points = gpd.GeoDataFrame(geometry=[Point(13.2, 32.9)], crs="EPSG:4326")
    add_heat(m, points, name="Heat", weights=[1.0])
    streamlit_folium.st_folium(m, key="map", returned_objects=[])
    links = sent["js_links"] + sent["css_links"]
    assert links
    assert all(u.startswith(f"{ASSET_URL_PREFIX}/") for u in links), links
    assert not re.search(r"https?://", sent["header"])


def test_plugin_without_vendored_files_is_refused_with_its_name():
    m = new_map()
    folium.plugins.Fullscreen().add_to(m)
    with pytest.raises(OfflineAssetError, match="Fullscreen"):
        m.get_root().render()


def test_folium_icon_is_refused_because_awesome_markers_are_not_vendored():
    m = new_map()
    folium.Marker([32.9, 13.2], icon=folium.Icon(color="red")).add_to(m)
    with pytest.raises(OfflineAssetError, match="awesome-markers"):
        m.get_root().render()


def test_centre_name_reaches_the_page_only_escaped():
    html = overview().get_root().render()
    assert "<img src=x" not in html
    assert script_json("&lt;img src=x onerror=alert(1)&gt;") in html


def test_municipality_name_reaches_the_page_only_escaped():
    munis = municipalities()
    munis.loc[0, "name_en"] = EVIL
    html = build_overview_map(regions(), districts(), munis, centres()).get_root().render()
    assert "<img src=x" not in html
    assert EVIL_IN_FOLIUM_JSON in html


def test_point_labels_are_escaped_and_dictionary_encoded():
    points = centres()
    tables, codes = encode_labels(points, ["name_en", "name_ar"])
    assert tables[0] == ["Al-Amal school", "", "People&#x27;s hall"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in tables[1]
    assert [len(c) for c in codes] == [3, 3]
    assert tables[1][codes[1][1]] == "&lt;img src=x onerror=alert(1)&gt;"


def test_script_json_cannot_close_the_script_element():
    text = script_json(["</script><script>alert(1)</script>", "مدرسة"])
    assert "<" not in text
    assert ">" not in text
    assert "مدرسة" in text  # Arabic kept as UTF-8, not \u escapes
    assert json.loads(text)[0] == "</script><script>alert(1)</script>"


def test_approximate_municipality_is_dashed_and_says_so():
    munis = layer(overview(), LAYER_MUNICIPALITIES)
    features = munis.data["features"]
    by_pcode = {f["properties"]["pcode"]: f for f in features}
    approximate = by_pcode["M2"]
    assert approximate["properties"]["boundary"] == "approximate boundary"
    assert munis.style_function(approximate)["dashArray"] == "6 4"
    for pcode in ("M1", "M3"):
        assert munis.style_function(by_pcode[pcode])["dashArray"] is None
        assert by_pcode[pcode]["properties"]["boundary"] != "approximate boundary"


def test_approximate_boundary_is_named_in_the_tooltip_fields():
    munis = layer(overview(), LAYER_MUNICIPALITIES)
    tooltip = next(c for c in munis._children.values() if isinstance(c, folium.GeoJsonTooltip))
    assert "boundary" in tooltip.fields


def test_overview_has_every_layer_a_layer_control_and_a_scale_bar():
    m = overview()
    html = m.get_root().render()
    for name in (LAYER_MUNICIPALITIES, LAYER_DISTRICTS, LAYER_OUTLINE, LAYER_CENTRES):
        assert f'"{name}"' in html
    assert "L.control.layers(" in html
    assert "L.control.scale()" in html


def test_show_centres_false_leaves_the_centres_out():
    m = overview(show_centres=False)
    assert all(getattr(c, "layer_name", None) != LAYER_CENTRES for c in m._children.values())
    assert "markerClusterGroup" not in m.get_root().render()


def test_one_geojson_feature_per_polygon_row_with_geometry():
    m = overview()
    assert len(layer(m, LAYER_DISTRICTS).data["features"]) == 3
    assert len(layer(m, LAYER_MUNICIPALITIES).data["features"]) == 3  # M4 has no polygon
    assert len(layer(m, LAYER_OUTLINE).data["features"]) == 1


def test_outline_ignores_the_mouse():
    outline = layer(overview(), LAYER_OUTLINE)
    assert outline.options["interactive"] is False


def test_centres_are_clustered_with_coordinates_rounded_to_5_decimals():
    cluster = layer(overview(), LAYER_CENTRES)
    assert isinstance(cluster, folium.plugins.FastMarkerCluster)
    assert cluster.data[0][:2] == [32.87654, 13.12346]
    assert len(cluster.data) == 3


def test_new_map_has_max_zoom_scale_bar_and_no_tiles():
    m = new_map()
    assert m.options["maxZoom"] == MAX_ZOOM
    assert m.control_scale is True
    assert not any(isinstance(c, folium.TileLayer) for c in m._children.values())


def test_new_map_accepts_local_tiles_with_attribution():
    m = new_map(tiles="/app/static/tiles/{z}/{x}/{y}.png", tile_attribution="© OSM contributors")
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == 1
    assert tiles[0].tiles.startswith("/app/static/tiles/")


def test_new_map_refuses_tiles_from_another_host():
    with pytest.raises(InputError, match="served by the app"):
        new_map(tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png", tile_attribution="OSM")


def test_new_map_refuses_tiles_without_attribution():
    with pytest.raises(InputError, match="tile_attribution"):
        new_map(tiles="/app/static/tiles/{z}/{x}/{y}.png")


def test_missing_column_is_named_in_the_error():
    munis = municipalities().drop(columns="boundary_kind")
    with pytest.raises(InputError, match="boundary_kind"):
        build_overview_map(regions(), districts(), munis, centres())


def test_frame_without_crs_is_refused():
    points = centres().set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="no CRS"):
        add_points(new_map(), points, name="x")


def test_projected_polygons_are_drawn_in_degrees():
    projected = districts().to_crs("EPSG:3857")
    geojson = add_polygons(new_map(), projected, name="d", label_columns=["name_en"])
    x, y = geojson.data["features"][0]["geometry"]["coordinates"][0][0]
    assert 10 < x < 22
    assert 29 < y < 34


def test_dashed_flags_must_match_the_rows():
    with pytest.raises(InputError, match="'dashed' has 2 values for 3 rows"):
        add_polygons(new_map(), districts(), name="d", dashed=[True, False])


def test_simplify_keeps_neighbours_sharing_their_edge():
    wiggle = [(14 + 0.001 * (i % 2), 30 + 0.03 * i) for i in range(101)]
    west = shapely.Polygon([(11, 30), *wiggle, (11, 33)])
    east = shapely.Polygon([(17, 30), (17, 33), *reversed(wiggle)])
    simplified = simplify_polygons([west, east], 0.01)
    assert shapely.get_num_coordinates(simplified).sum() < 60
    gap = shapely.union_all(simplified).area - (simplified[0].area + simplified[1].area)
    assert abs(gap) < 1e-9
    assert shapely.intersection(simplified[0], simplified[1]).area == pytest.approx(0, abs=1e-9)


# --- class breaks, palettes and labels (computed by hand) ------------------------------------


def test_class_breaks_of_0_to_100_in_quarters():
    assert class_breaks(range(101), classes=4, integer=True) == (0, 25, 50, 75, 100)


def test_class_breaks_are_rounded_quantiles():
    # quantiles 1/3 and 2/3 of the six values (linear interpolation):
    # position 5/3 -> 340 + 2/3 * 220 = 486.7 -> 490; position 10/3 -> 1234 + 1/3 * 4444
    # = 2715.3 -> 2700
    values = [120, 340, 560, 1234, 5678, 9100]
    breaks = class_breaks(values, classes=3, integer=True)
    assert breaks == (120, 490, 2700, 9100)
    assert list(classify(values, breaks)) == [0, 0, 1, 1, 2, 2]
    assert class_labels(breaks, integer=True) == ["120 – 489", "490 – 2,699", "2,700 – 9,100"]


def test_class_breaks_merge_boundaries_that_round_to_the_same_value():
    # quantiles 0.25/0.5/0.75 of [0, 1, 1, 1, 1, 1, 10] are all 1: one inner boundary
    assert class_breaks([0, 1, 1, 1, 1, 1, 10], classes=4) == (0, 1, 10)


def test_class_breaks_ignore_missing_values_and_handle_constants():
    assert class_breaks([float("nan"), 5, 5]) == (5, 5)
    assert class_breaks([float("nan")]) == ()
    assert class_breaks([]) == ()


def test_classify_puts_the_maximum_in_the_last_class_and_missing_at_minus_one():
    breaks = (0.0, 10.0, 20.0)
    assert list(classify([0, 9.99, 10, 20, 25, -1, float("nan")], breaks)) == [
        0,
        0,
        1,
        1,
        1,
        0,
        -1,
    ]


def test_round_significant():
    assert round_significant(1234) == 1200
    assert round_significant(0.4567) == 0.46
    assert round_significant(-987) == -990
    assert round_significant(0) == 0


def test_share_labels_are_percentages_with_the_decimals_they_need():
    assert class_labels((0.1, 0.25, 0.5, 0.9), percent=True) == [
        "10% – 25%",
        "25% – 50%",
        "50% – 90%",
    ]
    assert class_labels((3.2, 3.9, 4.8, 45.0)) == ["3.2 – 3.9", "3.9 – 4.8", "4.8 – 45.0"]


def test_palette_is_light_to_dark_and_skips_the_palest():
    colours = palette("Blues", 5)
    assert len(colours) == 5
    assert colours[0] != SEQUENTIAL_PALETTES["Blues"][0]
    assert colours[-1] == SEQUENTIAL_PALETTES["Blues"][-1]
    with pytest.raises(InputError, match="unknown palette"):
        palette("Rainbow", 3)


# --- legend ----------------------------------------------------------------------------------


def test_legend_text_is_escaped():
    section = LegendSection("Units", EVIL, (LegendEntry(EVIL, "#ff0000"),), note=EVIL)
    html = legend_html(section)
    assert "<img" not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") == 3


def test_legend_reaches_the_page_only_as_escaped_json():
    m = new_map()
    MapLegend([LegendSection("Units", "Agencies", (LegendEntry(EVIL, "#ff0000"),))]).add_to(m)
    html = m.get_root().render()
    assert "<img src=x" not in html
    assert "L.control(" in html
    assert "overlayadd" in html  # sections follow the layer control


def test_legend_sections_remember_which_layers_open_hidden():
    legend = MapLegend(
        [LegendSection("A", "A"), LegendSection("B", "B", shown=False)], title="Legend"
    )
    sections = json.loads(legend.sections_json)
    assert [(s["layer"], s["shown"]) for s in sections] == [("A", True), ("B", False)]


# --- compact point layers ---------------------------------------------------------------------


def symbols() -> list[Symbol]:
    return [Symbol("circle", "#1a9850"), Symbol("square", "#d73027", stroke="#000000")]


def test_symbols_travel_as_compact_rows_with_escaped_labels():
    m = new_map()
    layer = add_symbols(
        m,
        centres(),
        name="Centres",
        symbols=symbols(),
        symbol_codes=[0, 1, 0],
        label_columns=["centre_id", "name_ar"],
    )
    assert layer.rows[0] == [32.87654, 13.12346, 0, 0, 0]
    assert [row[2] for row in layer.rows] == [0, 1, 0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in layer.config["labels"][1]
    html = m.get_root().render()
    assert "<img src=x" not in html
    assert "L.markerClusterGroup" in html


def test_clustered_symbols_load_markercluster_from_the_app():
    m = new_map()
    add_symbols(m, centres(), name="Centres", symbols=symbols(), symbol_codes=[0, 0, 0])
    urls = asset_urls(m.get_root().render())
    assert f"{ASSET_URL_PREFIX}/{LOCAL_ASSETS['markerclusterjs']}" in urls
    assert all(u.startswith(f"{ASSET_URL_PREFIX}/") for u in urls), urls


def test_symbol_codes_must_name_a_symbol():
    with pytest.raises(InputError, match="codes must lie in 0..1"):
        add_symbols(new_map(), centres(), name="C", symbols=symbols(), symbol_codes=[0, 1, 2])
    with pytest.raises(InputError, match="3 rows"):
        add_symbols(new_map(), centres(), name="C", symbols=symbols(), symbol_codes=[0, 1])


def test_unknown_shape_is_refused():
    with pytest.raises(InputError, match="unknown shape"):
        Symbol("star")


def test_symbols_can_be_drawn_in_their_own_pane():
    layer = add_symbols(
        new_map(),
        centres(),
        name="Units",
        symbols=symbols(),
        symbol_codes=[0, 0, 0],
        pane=("pspUnits", 590),
    )
    assert (layer.config["pane"], layer.config["paneZ"]) == ("pspUnits", 590)


def test_circles_carry_style_and_radius_per_row():
    layer = add_circles(
        new_map(),
        centres(),
        name="Incidents",
        styles=[CircleStyle("#ff0000"), CircleStyle("#0000ff")],
        style_codes=[1, 0, 1],
        radii=[4.5, 6.0, 10.5],
        label_columns=["name_ar"],
    )
    assert [row[2:4] for row in layer.rows] == [[1, 4.5], [0, 6.0], [1, 10.5]]
    assert layer.config["metres"] is False
    assert layer.config["styles"][0]["fill"] == "#ff0000"


def test_ground_circles_ignore_the_mouse_and_send_no_labels():
    layer = add_circles(
        new_map(),
        centres(),
        name="Radii",
        styles=[CircleStyle("#1f78b4")],
        style_codes=[0, 0, 0],
        radii=[7692.3, 7692.3, 23076.9],
        metres=True,
        interactive=False,
        label_columns=["name_ar"],
    )
    assert layer.config["labels"] == []
    assert layer.rows[2] == [32.11, 20.07, 0, 23076.9]


def test_badges_show_escaped_text():
    points = centres().assign(count=["12", EVIL, "3"])
    layer = add_badges(new_map(), points, name="Counts", text_column="count")
    assert "&lt;img src=x onerror=alert(1)&gt;" in layer.config["texts"]
    assert EVIL not in json.dumps(layer.config)


def test_heat_map_uses_the_vendored_script_and_weights():
    m = new_map()
    heat = add_heat(m, centres(), name="Heat", weights=[1.0, 0.5, 0.2])
    assert heat.data[1][2] == 0.5
    urls = asset_urls(m.get_root().render())
    assert f"{ASSET_URL_PREFIX}/{LOCAL_ASSETS['leaflet-heat.js']}" in urls


def test_polygons_take_one_fill_colour_per_row():
    layer = add_polygons(new_map(), districts(), name="d", fill_colors=["#111111", None, "#333333"])
    fills = [layer.style_function(f)["fillColor"] for f in layer.data["features"]]
    assert fills == ["#111111", PolygonStyle().fill_color, "#333333"]
    with pytest.raises(InputError, match="fill_colors"):
        add_polygons(new_map(), districts(), name="d", fill_colors=["#111111"])


# --- local tiles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/app/static/tiles/{z}/{x}/{y}.png",
        "http://localhost:8080/{z}/{x}/{y}.png",
        "http://127.0.0.1:8080/tiles/{z}/{x}/{y}.pbf.png",
    ],
)
def test_tiles_from_the_app_or_this_machine_are_accepted(url):
    assert TileSource(url, "© OSM contributors").url == url


def test_tiles_from_another_host_or_without_placeholders_are_refused():
    with pytest.raises(InputError, match="another host"):
        TileSource("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "OSM")
    with pytest.raises(InputError, match=r"\{z\}"):
        TileSource("/app/static/tiles/map.png", "OSM")
    with pytest.raises(InputError, match="tile_attribution"):
        TileSource("/app/static/tiles/{z}/{x}/{y}.png", " ")


def test_tiles_can_be_switched_off_and_failures_show_nothing():
    m = new_map()
    layer = add_tiles(m, TileSource("/app/static/tiles/{z}/{x}/{y}.png", "<b>OSM</b>"))
    assert layer.overlay is True
    assert layer.options["errorTileUrl"] == BLANK_TILE
    assert "<b>OSM" not in m.get_root().render()


# --- text from data never becomes template source -------------------------------------------

PAYLOAD_IDS = [*range(len(PAYLOADS)), "code"]


def payload_of(which: int | str, tmp_path, monkeypatch) -> str:
    """The payload ``which`` (``"code"``: one that would create ``tmp_path/ran``)."""
    return code_payload(tmp_path / "ran", monkeypatch) if which == "code" else PAYLOADS[int(which)]


def tagged_overview(payload: str) -> tuple[folium.Map, list[str]]:
    """The overview with ``payload`` in every text it shows, each tagged by its field."""
    r, d, m, c = regions(), districts(), municipalities(), centres()
    texts = []
    for frame, what, columns in (
        (c, "centre", ("name_en", "name_ar", "centre_id")),
        (m, "municipality", ("name_en", "name_ar", "pcode")),
        (d, "district", ("name_en", "name_ar")),
    ):
        for column in columns:
            text = f"{what}.{column} {payload}"
            frame.loc[0, column] = text
            texts.append(text)
    return build_overview_map(r, d, m, c), texts


@pytest.mark.parametrize("which", PAYLOAD_IDS)
def test_overview_map_carries_names_literally_on_every_render_path(which, tmp_path, monkeypatch):
    payload = payload_of(which, tmp_path, monkeypatch)
    m, texts = tagged_overview(payload)
    plain = overview().get_root().render()
    for path, page in renders(m, tmp_path).items():
        check_literal(page, texts, plain_page=plain, where=path)
    assert not (tmp_path / "ran").exists(), "a name ran as code"


@pytest.mark.parametrize("which", PAYLOAD_IDS)
def test_toolkit_layers_legend_and_layer_names_carry_text_literally(which, tmp_path, monkeypatch):
    payload = payload_of(which, tmp_path, monkeypatch)

    def build(text: str) -> tuple[folium.Map, list[str]]:
        texts = [f"{what} {text}" for what in ("label", "badge", "layer", "legend", "tiles")]
        label, badge, layer_name, legend, attribution = texts
        points = gpd.GeoDataFrame(
            {"label": [label], "badge": [badge]}, geometry=[Point(13.2, 32.9)], crs="EPSG:4326"
        )
        polygons = gpd.GeoDataFrame({"label": [label]}, geometry=[box(13, 32, 14, 33)], crs=4326)
        m = new_map()
        add_tiles(m, TileSource("/app/static/tiles/{z}/{x}/{y}.png", attribution, name=text))
        add_polygons(m, polygons, name=f"{layer_name} polygons", label_columns=["label"],
                     label_aliases=[f"{legend} alias"])  # fmt: skip
        add_symbols(m, points, name=f"{layer_name} symbols", symbols=[Symbol()],
                    symbol_codes=[0], label_columns=["label"])  # fmt: skip
        add_circles(m, points, name=f"{layer_name} circles", styles=[CircleStyle("#ff0000")],
                    style_codes=[0], radii=[5], label_columns=["label"])  # fmt: skip
        add_badges(m, points, name=f"{layer_name} badges", text_column="badge",
                   label_columns=["label"])  # fmt: skip
        add_points(m, points, name=f"{layer_name} points", label_columns=["label"])
        add_heat(m, points, name=f"{layer_name} heat", weights=[1.0])
        entries = (LegendEntry(f"{legend} entry"),)
        section = LegendSection(
            f"{layer_name} symbols", f"{legend} title", entries, note=f"{legend} note"
        )
        MapLegend([section], title=f"{legend} summary").add_to(m)
        add_layer_control(m)
        ring_group(32.9, 13.2, name=f"{layer_name} ring").add_to(m)
        return m, texts

    plain = build("plain")[0].get_root().render()
    m, texts = build(payload)
    for path, page in renders(m, tmp_path).items():
        check_literal(page, texts, plain_page=plain, where=path)
    assert not (tmp_path / "ran").exists(), "a text ran as code"


def test_layer_control_and_legend_name_a_layer_by_the_same_label():
    m = new_map()
    points = gpd.GeoDataFrame(geometry=[Point(13.2, 32.9)], crs="EPSG:4326")
    name = "Units {{ 7*7 }} <b>"
    add_symbols(m, points, name=name, symbols=[Symbol()], symbol_codes=[0])
    legend = MapLegend([LegendSection(name, "title")])
    legend.add_to(m)
    control = add_layer_control(m)
    m.get_root().render()
    assert list(control.overlays) == ["Units &#123;&#123; 7*7 &#125;&#125; &lt;b&gt;"]
    assert json.loads(legend.sections_json)[0]["layer"] == list(control.overlays)[0]


def test_rendering_a_toolkit_map_compiles_no_template(monkeypatch):
    m = overview()
    compiled: list[str] = []
    monkeypatch.setattr(
        branca.element, "Template", lambda source: compiled.append(source) or Template(source)
    )
    for _ in range(2):  # the second render replaces the first one's parts
        m.get_root().render()
    assert compiled == []
    root = m.get_root()
    parts = [*root.header._children.values(), *root.html._children.values()]
    parts += root.script._children.values()
    foreign = {type(p).__name__ for p in parts} - {"RawText", "JavascriptLink", "CssLink"}
    assert foreign == {"Element"}  # branca's constant <meta charset> of every Figure
    assert root.header._children["meta_http"]._template_str.startswith("<meta http-equiv")


def test_html_text_and_script_json_leave_no_template_delimiter():
    text = "{{ a }} {% b %} {# c #} ## d %% e </script> & 'q' \"w\" مدرسة"
    assert html.unescape(html_text(text)) == text
    assert json.loads(script_json([text, {"k": text}])) == [text, {"k": text}]
    for encoded in (html_text(text), script_json({"k": text})):
        for delimiter in ("{{", "{%", "{#", "#}", "%}", "##", "%%", "<", ">"):
            assert delimiter not in encoded
    assert "مدرسة" in script_json(text)


def test_escape_text_encodes_template_delimiters_as_character_references():
    out = escape_text(pd.Series(["{{ x }}", "50%", "#1", None]))
    assert out.tolist() == ["&#123;&#123; x &#125;&#125;", "50&#37;", "&#35;1", ""]


# --- one self-contained file ------------------------------------------------------------


def test_standalone_map_inlines_every_asset_and_loads_nothing():
    page = standalone_html(overview(), title="Map", notes=["for partners"]).decode("utf-8")
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL)  # code, not links
    assert asset_urls(page) == []
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//|/app/)""", markup)
    assert not re.search(r"url\((?!\"?data:|#)", markup), "a stylesheet still points to a file"
    assert "Leaflet 1.9.4" in page
    assert "jQuery v3.7.1" in page
    assert ".marker-cluster-small" in page  # Leaflet.markercluster's stylesheet, inlined
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    assert policy.group(1).startswith("default-src 'none'; script-src 'sha256-")
    # every script of the page is allowed by its hash, and nothing else
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
    hashes = {
        "sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts
    }
    assert set(re.findall(r"'(sha256-[^']+)'", policy.group(1))) == hashes
    assert "for partners" in page


def test_standalone_map_without_vendored_files_names_make_assets(tmp_path):
    with pytest.raises(OfflineAssetError, match="make assets"):
        standalone_html(overview(), title="Map", vendor_dir=tmp_path)


def test_standalone_map_refuses_tiles():
    m = new_map(tiles="/app/static/tiles/{z}/{x}/{y}.png", tile_attribution="local")
    with pytest.raises(OfflineAssetError, match="tiles"):
        standalone_html(m, title="Map")


@pytest.mark.parametrize("which", PAYLOAD_IDS)
def test_standalone_map_carries_names_and_notes_literally(which, tmp_path, monkeypatch):
    payload = payload_of(which, tmp_path, monkeypatch)
    m, texts = tagged_overview(payload)
    plain = standalone_html(overview(), title="plain", notes=["plain"]).decode("utf-8")
    page = standalone_html(m, title=f"title {payload}", notes=[f"note {payload}"])
    check_literal(
        page.decode("utf-8"), [*texts, f"title {payload}", f"note {payload}"], plain_page=plain
    )
    assert not (tmp_path / "ran").exists(), "a name ran as code"


# --- only the toolkit builds map elements -------------------------------------------------

#: Folium and branca names a builder may still use: types in annotations, not elements.
ANNOTATION_ONLY = {"folium.Map", "folium.FeatureGroup"}


def test_no_builder_outside_the_toolkit_makes_folium_elements():
    """Text reaches a map only through geo.maps (its encoders and template-free elements)."""
    repo = Path(__file__).resolve().parents[2]
    offenders = []
    files = [repo / "app.py"]
    for folder in ("geo", "ui", "views"):
        files += sorted((repo / folder).glob("*.py"))
    for path in files:
        if path.name == "maps.py" and path.parent.name == "geo":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name.split(".")[0] in ("folium", "branca"):
                    offenders.append(f"{path.name}:{node.lineno} {name}(...)")
            elif isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b) for b in node.bases}
                if any(b.split(".")[0] in ("folium", "branca") or "Element" in b for b in bases):
                    offenders.append(f"{path.name}:{node.lineno} class {node.name}")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                "folium",
                "branca",
            ):
                offenders.append(f"{path.name}:{node.lineno} from {node.module} import ...")
    assert offenders == []


@pytest.mark.parametrize("which", PAYLOAD_IDS)
def test_st_folium_carries_names_literally(which, tmp_path, monkeypatch):
    streamlit_folium = pytest.importorskip("streamlit_folium")
    payload = payload_of(which, tmp_path, monkeypatch)

    def sent_page(m: folium.Map) -> str:
        sent: dict = {}
        monkeypatch.setattr(streamlit_folium, "_component_func", lambda **kw: sent.update(kw))
        streamlit_folium.st_folium(m, key="map", returned_objects=[])
        return f"{sent['header']}{sent['html']}<script>{sent['script']}</script>"

    m, texts = tagged_overview(payload)
    check_literal(sent_page(m), texts, plain_page=sent_page(overview()), where="st_folium")
    assert not (tmp_path / "ran").exists(), "a name ran as code"
