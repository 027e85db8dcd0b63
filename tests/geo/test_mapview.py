"""Unit tests of geo.mapview: measures, figures, the planning map, clicks and centre details."""

from __future__ import annotations

import datetime as dt
import html
import math

import folium
import numpy as np
import pandas as pd
import pytest

from geo.errors import AccessDeniedError, InputError
from geo.filters import MapFilters, apply_filters
from geo.maps import NO_DATA_COLOUR, MapLegend, SymbolLayer
from geo.mapview import (
    CENTRE_CLUSTER_CLASS,
    LAYER_CENTRES,
    LAYER_DISTRICTS,
    LAYER_HEAT,
    LAYER_INCIDENTS,
    LAYER_MUNICIPALITIES,
    LAYER_OUTLINE,
    LAYER_RADII,
    LAYER_UNIT_COUNTS,
    LAYER_UNITS,
    NOT_ANALYSED,
    MapOptions,
    build_planning_map,
    centre_details,
    centre_view,
    export_planning_map,
    highlight_group,
    map_export_details,
    map_figures,
    municipality_measures,
    options_from_query,
    options_to_query,
    resolve_click,
    zoom_for_bounds,
)
from geo.permissions import Viewer
from tests.geo import builders as b
from tests.geo.map_world import EVIL, world
from tests.geo.template_payloads import (
    PAYLOADS,
    carried_texts,
    check_literal,
    code_payload,
    renders,
)

PLANNER = Viewer("p", "planner")
BRIEFER = Viewer("b", "briefer")


def coverage() -> pd.DataFrame:
    """A hand-made coverage table; centre 30001 was not analysed (e.g. closed)."""
    return pd.DataFrame(
        {
            "centre_id": ["10001", "10002", "20001"],
            "status": ["full", "gap", "guard_only"],
            "risk_score": [20.0, 60.0, 30.0],
            "risk_tier": ["low", "high", "medium"],
            "shortfall": [0, 4, 1],
            "female_shortfall": [0, 1, 0],
        }
    )


def layers(**filters):
    return apply_filters(world(), MapFilters(**filters))


def layer(m: folium.Map, name: str):
    return next(c for c in m._children.values() if getattr(c, "layer_name", None) == name)


def layer_names(m: folium.Map) -> set[str]:
    return {c.layer_name for c in m._children.values() if hasattr(c, "layer_name")}


def legend_of(m: folium.Map) -> MapLegend:
    return next(c for c in m._children.values() if isinstance(c, MapLegend))


# --- measures and figures -------------------------------------------------------------------


def test_municipality_measures_by_hand():
    table = municipality_measures(layers(), coverage()).set_index("pcode")
    # every centre of the world has 1,000 voters
    assert table["registered_voters"].to_dict() == {"M1": 2000, "M2": 0, "M3": 1000, "M4": 1000}
    assert table["centres"].to_dict() == {"M1": 2, "M2": 0, "M3": 1, "M4": 1}
    # I3 names no municipality: it counts in M4 through its centre 30001
    assert table["incidents"].to_dict() == {"M1": 1, "M2": 1, "M3": 1, "M4": 1}
    assert table.loc["M1", "share_accessible"] == 0.5  # 10001 accessible, 10002 not
    assert table.loc["M3", "share_accessible"] == 0.0  # partial is not accessible
    assert math.isnan(table.loc["M2", "share_accessible"])  # no centre, no value
    assert table.loc["M1", "coverage_share"] == 0.5  # 10001 full, 10002 gap
    assert table.loc["M1", "risk_mean"] == 40.0
    assert table.loc["M1", "shortfall"] == 4
    assert table.loc["M3", "shortfall"] == 1
    assert math.isnan(table.loc["M4", "coverage_share"])  # its only centre was not analysed


def test_measures_follow_the_filters():
    table = municipality_measures(layers(access_statuses=("accessible",)), coverage())
    assert table.set_index("pcode")["registered_voters"].to_dict() == {
        "M1": 1000,
        "M2": 0,
        "M3": 0,
        "M4": 0,
    }


def test_without_coverage_the_coverage_measures_are_missing():
    table = municipality_measures(layers())
    assert table[["coverage_share", "risk_mean", "shortfall"]].isna().all().all()


def test_centres_outside_the_analysis_are_marked_not_analysed():
    view = centre_view(layers().centres, coverage()).set_index("centre_id")
    assert view.loc["30001", "status"] == NOT_ANALYSED
    assert view.loc["30001", "risk_tier"] == NOT_ANALYSED
    assert view.loc["10002", "status"] == "gap"
    assert view.loc["10001", "centre_status"] == "open"  # the layer's own status is kept


def test_figures_by_hand():
    figures = map_figures(layers(), coverage())
    assert figures.centres == 4
    assert figures.voters == 4000
    assert figures.stations == 8  # one men's and one women's station each
    assert figures.share_voters_accessible == 0.25
    assert figures.units == 3
    assert figures.incidents == 4
    assert figures.share_voters_full == pytest.approx(1 / 3)  # 1,000 of 3,000 analysed
    assert figures.centres_gap == 1
    assert figures.shortfall == 5


def test_figures_follow_the_filters():
    figures = map_figures(layers(districts=("D1",)), coverage())
    assert (figures.centres, figures.voters, figures.units, figures.incidents) == (2, 2000, 1, 2)


def test_figures_without_coverage_leave_coverage_figures_empty():
    figures = map_figures(layers())
    assert (figures.share_voters_full, figures.centres_gap, figures.shortfall) == (None,) * 3


# --- the planning map ----------------------------------------------------------------------------


def test_planner_map_has_every_layer_a_layer_control_and_a_scale_bar():
    m = build_planning_map(layers(), viewer=PLANNER, coverage=coverage())
    assert {
        LAYER_MUNICIPALITIES,
        LAYER_DISTRICTS,
        LAYER_OUTLINE,
        LAYER_INCIDENTS,
        LAYER_HEAT,
        LAYER_RADII,
        LAYER_UNITS,
        LAYER_CENTRES,
    } <= layer_names(m)
    html = m.get_root().render()
    assert "L.control.layers(" in html
    assert "L.control.scale()" in html


def test_every_visible_layer_has_a_legend_section():
    m = build_planning_map(layers(), viewer=PLANNER, coverage=coverage())
    sections = {s.layer: s for s in legend_of(m).sections}
    assert set(sections) == {
        LAYER_MUNICIPALITIES,
        LAYER_DISTRICTS,
        LAYER_INCIDENTS,
        LAYER_HEAT,
        LAYER_RADII,
        LAYER_UNITS,
        LAYER_CENTRES,
    }
    assert sections[LAYER_HEAT].shown is False  # the heat map and radii open switched off
    assert sections[LAYER_RADII].shown is False
    assert "persons" in sections[LAYER_MUNICIPALITIES].title


def test_briefer_gets_unit_counts_and_no_unit_position():
    world_layers = layers()
    m = build_planning_map(world_layers, viewer=BRIEFER, coverage=coverage())
    names = layer_names(m)
    assert LAYER_UNITS not in names
    assert LAYER_RADII not in names
    assert LAYER_UNIT_COUNTS in names
    html = m.get_root().render()
    for unit in world_layers.units.itertuples():
        assert f'"{unit.unit_id}"' not in html
        point = f"[{round(unit.geometry.y, 5)},{round(unit.geometry.x, 5)}"
        assert point not in html
    badges = layer(m, LAYER_UNIT_COUNTS)
    summaries = set(badges.config["labels"][2]) | set(badges.config["labels"][3])
    assert "1 units, 4 officers (0 women)" in summaries
    assert {"Static guard 1", "Patrol 1"} <= summaries
    # badges stand at municipal seats: M1 (U1), M3 (U2), M4 (U3 through its centre 30001)
    assert sorted(row[:2] for row in badges.rows) == [
        [32.11, 20.07],
        [32.37, 15.09],
        [32.89, 13.18],
    ]


def test_radii_are_drawn_in_straight_line_metres():
    m = build_planning_map(layers(), viewer=PLANNER, coverage=coverage())
    radii = layer(m, LAYER_RADII)
    # the only responder is patrol U2: 10 road-km / circuity 1.3 = 7,692.3 m
    assert [row[3] for row in radii.rows] == [7692.3]
    assert radii.config["interactive"] is False


def test_units_can_be_left_out():
    m = build_planning_map(
        layers(), viewer=PLANNER, coverage=coverage(), options=MapOptions(show_units=False)
    )
    assert not {LAYER_UNITS, LAYER_RADII, LAYER_UNIT_COUNTS} & layer_names(m)


def test_heat_map_option_opens_the_heat_map_instead_of_points():
    m = build_planning_map(
        layers(), viewer=PLANNER, coverage=coverage(), options=MapOptions(heat_map=True)
    )
    assert layer(m, LAYER_HEAT).show is True
    assert layer(m, LAYER_INCIDENTS).show is False


def test_incidents_are_sized_by_severity_and_coloured_by_category():
    m = build_planning_map(layers(), viewer=PLANNER, coverage=coverage())
    incidents = layer(m, LAYER_INCIDENTS)
    assert {row[3] for row in incidents.rows} == {3 + 1.5 * 5}  # every world incident is 5
    categories = {row[2] for row in incidents.rows}
    assert len(categories) == 2  # attack on a centre, intimidation


def test_approximate_catchments_are_dashed_and_filled_by_class():
    m = build_planning_map(
        layers(),
        viewer=PLANNER,
        coverage=coverage(),
        options=MapOptions(measure="share_accessible"),
    )
    munis = layer(m, LAYER_MUNICIPALITIES)
    styles = {f["properties"]["pcode"]: munis.style_function(f) for f in munis.data["features"]}
    assert set(styles) == {"M1", "M2", "M3"}  # M4 has no polygon
    assert all(s["dashArray"] == "6 4" for s in styles.values())
    assert styles["M2"]["fillColor"] == NO_DATA_COLOUR  # no centre: no share
    assert styles["M1"]["fillColor"] != styles["M3"]["fillColor"]  # 50% and 0%
    props = {f["properties"]["pcode"]: f["properties"] for f in munis.data["features"]}
    assert html.unescape(props["M1"]["measure_value"]) == "50.0%"
    assert props["M1"]["boundary"] == "approximate boundary"


def test_inaccessible_centres_get_the_square_symbol():
    m = build_planning_map(
        layers(), viewer=PLANNER, coverage=coverage(), options=MapOptions(colour_by="risk_tier")
    )
    centres = layer(m, LAYER_CENTRES)
    assert isinstance(centres, SymbolLayer)
    assert centres.config["clusterClass"] == CENTRE_CLUSTER_CLASS
    code_of = {
        centres.config["labels"][0][row[3]]: row[2] for row in centres.rows
    }  # first label is the centre ID
    assert code_of["10002"] % 2 == 1  # inaccessible: square
    assert code_of["10001"] % 2 == 0
    assert "<rect" in centres.config["symbols"][code_of["10002"]]["html"]


def test_centre_names_reach_the_page_only_escaped():
    html = build_planning_map(layers(), viewer=PLANNER, coverage=coverage()).get_root().render()
    assert "<img src=x" not in html
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html
    assert EVIL not in html


def test_coverage_measures_need_the_coverage_analysis():
    with pytest.raises(InputError, match="needs the coverage analysis"):
        build_planning_map(layers(), viewer=PLANNER, options=MapOptions(measure="risk_mean"))
    with pytest.raises(InputError, match="needs the coverage analysis"):
        build_planning_map(
            layers(),
            viewer=PLANNER,
            options=MapOptions(measure=None, colour_by="coverage_status"),
        )


def test_map_without_coverage_draws_access_colours():
    m = build_planning_map(layers(), viewer=PLANNER, options=MapOptions(colour_by="access_status"))
    assert LAYER_CENTRES in layer_names(m)


def test_map_opens_on_the_chosen_area():
    m = build_planning_map(layers(districts=("D2",)), viewer=PLANNER, coverage=coverage())
    bounds = next(c for c in m._children.values() if isinstance(c, folium.map.FitBounds)).bounds
    assert bounds == [[30.0, 14.0], [33.0, 16.0]]  # the box of M3


def test_unknown_options_are_refused():
    with pytest.raises(InputError, match="unknown map measure"):
        MapOptions(measure="population_density")
    with pytest.raises(InputError, match="unknown centre colouring"):
        MapOptions(colour_by="rainbow")


def test_options_round_trip_through_the_url_query():
    options = MapOptions(measure=None, colour_by="risk_tier", heat_map=True, show_units=False)
    query = options_to_query(options)
    assert query == {"measure": ["none"], "colour": ["risk_tier"], "units": ["0"], "heat": ["1"]}
    assert options_from_query(query) == (options, [])
    assert options_to_query(MapOptions()) == {}


def test_bad_options_in_a_link_are_reported():
    options, problems = options_from_query({"measure": "bogus", "heat": "yes"})
    assert options == MapOptions()
    assert len(problems) == 2


# --- clicks ------------------------------------------------------------------------------------


def test_click_names_the_centre_by_its_tooltip():
    clicked = {"last_object_clicked_tooltip": "10002\n<img src=x onerror=alert(1)>"}
    assert resolve_click(clicked, layers().centres) == "10002"


def test_click_without_tooltip_finds_the_centre_at_the_position():
    clicked = {"last_object_clicked": {"lat": 32.37, "lng": 15.09}}
    assert resolve_click(clicked, layers().centres) == "20001"


def test_click_on_an_area_or_nowhere_selects_nothing():
    centres = layers().centres
    area = {
        "last_object_clicked_tooltip": "Municipality Janzour",
        "last_object_clicked": {"lat": 32.5, "lng": 12.0},
    }
    assert resolve_click(area, centres) is None
    assert resolve_click(None, centres) is None
    assert resolve_click({"last_object_clicked": {"lat": "x", "lng": 1}}, centres) is None


def test_highlight_ring_ignores_the_mouse():
    group = highlight_group(32.0, 13.0)
    ring = next(iter(group._children.values()))
    assert ring.options["interactive"] is False
    assert group.control is False


def test_zoom_for_bounds_frames_libya_at_zoom_5():
    lat, lon, zoom = zoom_for_bounds((9.3, 19.5, 25.2, 33.2), width_px=900, height_px=600)
    assert zoom == 5
    assert (lat, lon) == pytest.approx((26.35, 17.25))
    # 0.1 degree of latitude at 32.85 N is 0.00208 Mercator units: 600 px hold zoom 12
    assert zoom_for_bounds((13.1, 32.8, 13.2, 32.9))[2] == 12


# --- centre details ----------------------------------------------------------------------------


def detail_world():
    """One centre at the origin; units 1, 5 and 12 km east; incidents 3, 9.9, 10.5 km north."""
    centres = b.centres(
        {"centre_id": "C1", "stations_male": 2, "stations_female": 1, "voters_male": 900,
         "voters_female": 600, "registered_voters": 1500, "access_status": "partial"},
    )  # fmt: skip
    units = b.units(
        {"unit_id": "U12", "unit_type": "rapid_response", "pos": b.at(12)},
        {"unit_id": "U1", "unit_type": "static_guard", "assigned_centre_id": "C1",
         "pos": b.at(1)},
        {"unit_id": "U5", "unit_type": "patrol", "pos": b.at(5)},
    )  # fmt: skip
    incidents = b.incidents(
        {"incident_id": "I3", "pos": b.at(0, 3), "category": "violent_protest"},
        {"incident_id": "I9", "pos": b.at(0, 9.9), "date": "2024-06-01"},
        {"incident_id": "I10", "pos": b.at(0, 10.5)},
    )
    audits = b.audits(
        {"centre_id": "C1", "audit_date": "2024-01-01", "step_free_entrance": False},
        {"centre_id": "C1", "audit_date": "2025-02-01", "step_free_entrance": True,
         "ground_floor_voting": False, "ramp": True, "notes": "ramp at the side door"},
    )  # fmt: skip
    return centres, units, incidents, audits


def details(viewer: Viewer, **kwargs):
    centres, units, incidents, audits = detail_world()
    return centre_details(
        "C1",
        centres=centres,
        viewer=viewer,
        units=units,
        incidents=incidents,
        audits=audits,
        **kwargs,
    )


def test_planner_sees_the_nearest_units_with_distances():
    found = details(PLANNER)
    nearest = found.nearest_units
    assert list(nearest["unit_id"]) == ["U1", "U5", "U12"]
    assert nearest["distance_km"].tolist() == pytest.approx([1.0, 5.0, 12.0], abs=0.01)
    assert nearest["assigned_here"].tolist() == [True, False, False]


def test_briefer_sees_only_how_many_units_are_near():
    found = details(BRIEFER)
    assert found.nearest_units is None
    within = found.units_within.set_index("unit_type")["units"]
    assert within.to_dict() == {
        "static_guard": 1,
        "patrol": 1,
        "rapid_response": 0,
        "checkpoint": 0,
    }


def test_unit_count_radius_is_a_parameter():
    found = details(BRIEFER, units_radius_km=15)
    assert found.units_within["units"].sum() == 3


def test_incidents_within_10_km_nearest_first():
    found = details(PLANNER)
    assert found.incidents["distance_km"].tolist() == pytest.approx([3.0, 9.9], abs=0.01)
    assert found.incidents["category"].tolist() == ["violent_protest", "intimidation"]


def test_stations_by_sex_and_voters():
    stations = details(PLANNER).stations.set_index("kind")
    assert stations["stations"].to_dict() == {"men": 2, "women": 1, "mixed": 0, "total": 3}
    assert stations.loc["men", "voters"] == 900
    assert stations.loc["women", "voters"] == 600
    assert stations.loc["total", "voters"] == 1500


def test_checklist_comes_from_the_latest_audit():
    found = details(PLANNER)
    answers = dict(zip(found.checklist["item"], found.checklist["answer"], strict=True))
    assert answers["Step-free entrance"] == "yes"
    assert answers["Voting on the ground floor"] == "no"
    assert answers["Ramp"] == "yes"
    assert answers["Accessible toilet"] == "not recorded"
    assert found.audit_date == "2025-02-01"
    assert found.audit_notes == "ramp at the side door"
    assert found.access_status == "partial"


def test_all_attributes_are_listed_with_the_position():
    attributes = details(PLANNER).attributes.set_index("attribute")["value"]
    assert attributes["centre_id"] == "C1"
    assert attributes["registered_voters"] == "1500"
    assert float(attributes["latitude"]) == pytest.approx(b.ORIGIN[1])


def test_coverage_details_hide_unit_distances_from_a_briefer():
    table = pd.DataFrame(
        {
            "centre_id": ["C1"],
            "status": ["guard_only"],
            "guarded": [True],
            "reachable": [False],
            "risk_score": [42.0],
            "risk_tier": ["medium"],
            "officers_required": [8],
            "officers_assigned": [6],
            "shortfall": [2],
            "female_officers_required": [1],
            "female_officers_assigned": [0],
            "female_shortfall": [1],
            "nearest_static_km": [1.0],
            "patrol_response_min": [9.75],
            "rapid_response_min": [np.nan],
            "nearest_accessible_centre_id": [None],
            "nearest_accessible_km": [np.nan],
        }
    )
    planner = details(PLANNER, coverage=table).coverage.set_index("field")["value"]
    briefer = details(BRIEFER, coverage=table).coverage.set_index("field")["value"]
    assert planner["Risk score"] == "42 (medium)"
    assert planner["Officer shortfall"] == "2"
    assert "Nearest static guard (km)" in planner.index
    assert "Nearest static guard (km)" not in briefer.index
    assert "Patrol response (min)" not in briefer.index
    assert briefer["Officer shortfall"] == "2"


def test_unknown_centre_is_named_in_the_error():
    centres, *_ = detail_world()
    with pytest.raises(InputError, match="'C9'"):
        centre_details("C9", centres=centres, viewer=PLANNER)


def test_details_without_other_layers():
    centres, *_ = detail_world()
    found = centre_details("C1", centres=centres, viewer=PLANNER)
    assert found.incidents.empty
    assert found.nearest_units.empty
    assert found.access_status == "partial"


# --- text from data never becomes template source -------------------------------------------

UNIT_FIELDS = ("unit.unit_id", "unit.agency")


def payload_world(payload: str) -> tuple[dict, dict[str, str]]:
    """The map world with ``payload`` in every text field the map shows, tagged by field."""
    data = world()
    texts: dict[str, str] = {}
    for layer_name, what, columns in (
        ("centres", "centre", ("name_en", "name_ar")),
        ("municipalities", "municipality", ("name_en", "name_ar")),
        ("districts", "district", ("name_en", "name_ar")),
        ("units", "unit", ("unit_id", "agency")),
        ("incidents", "incident", ("election", "category")),
    ):
        frame = data[layer_name].copy()
        for column in columns:
            text = f"{what}.{column} {payload}"
            frame[column] = frame[column].astype(object)
            frame.loc[frame.index[0], column] = text
            texts[f"{what}.{column}"] = text
        data[layer_name] = frame
    return data, texts


@pytest.mark.parametrize("viewer", [PLANNER, BRIEFER], ids=["planner", "briefer"])
@pytest.mark.parametrize("which", [*range(len(PAYLOADS)), "code"])
def test_planning_map_carries_names_literally_on_every_render_path(
    which, viewer, tmp_path, monkeypatch
):
    payload = code_payload(tmp_path / "ran", monkeypatch) if which == "code" else PAYLOADS[which]
    data, texts = payload_world(payload)
    filtered = apply_filters(data, MapFilters())
    options = MapOptions(show_radii=True, heat_map=False)
    m = build_planning_map(filtered, viewer=viewer, options=options, coverage=coverage())
    plain = build_planning_map(layers(), viewer=viewer, options=options, coverage=coverage())
    plain_page = plain.get_root().render()
    shown = [t for f, t in texts.items() if viewer.can_see_unit_positions or f not in UNIT_FIELDS]
    for path, page in renders(m, tmp_path).items():
        check_literal(page, shown, plain_page=plain_page, where=path)
        if not viewer.can_see_unit_positions:
            assert not any(texts["unit.unit_id"] in s for s in carried_texts(page))
    assert not (tmp_path / "ran").exists(), "a name ran as code"


# --- the map as one file -----------------------------------------------------------------------


def test_briefer_map_file_has_no_unit_id_or_position_and_says_so():
    world_layers = layers()
    export = export_planning_map(
        world_layers, viewer=BRIEFER, filters=MapFilters(), coverage=coverage(), is_demo=True
    )
    page = export.content.decode("utf-8")
    for unit in world_layers.units.itertuples():
        assert f'"{unit.unit_id}"' not in page
        # rounded as the map rounds (numpy.round, which can differ from round) and as round
        for places in (np.round, round):
            lat, lon = places(unit.geometry.y, 5), places(unit.geometry.x, 5)
            assert f"[{float(lat)},{float(lon)}," not in page
    shown = carried_texts(page)
    assert "Security units appear as counts per municipality, without their positions." in shown
    assert "DEMO — synthetic data" in shown
    assert export.details["unit_positions"] == "withheld"
    assert export.details["role"] == "briefer"


def test_planner_map_file_holds_units_and_warns_to_share_it_carefully():
    export = export_planning_map(
        layers(), viewer=PLANNER, filters=MapFilters(), coverage=coverage()
    )
    page = export.content.decode("utf-8")
    assert any("U1" in s for s in carried_texts(page))
    assert any("exact positions of security units" in s for s in carried_texts(page))
    assert export.details["unit_positions"] == "included"


def test_map_file_records_filters_options_and_counts():
    filters = MapFilters(districts=("D1",), date_from=dt.date(2024, 1, 1))
    options = MapOptions(measure=None, show_incidents=False)
    chosen = layers(districts=("D1",), date_from=dt.date(2024, 1, 1))
    export = export_planning_map(
        chosen, viewer=BRIEFER, filters=filters, options=options, coverage=coverage(),
        made_on=dt.date(2026, 3, 1),
    )  # fmt: skip
    # D1 holds M1 and M2: centres 10001 and 10002, units U1, incidents I1 and I4 (not drawn)
    assert export.rows == 2
    assert export.details == {
        "format": "html",
        "table": "planning map",
        "role": "briefer",
        "language": "en",
        "filters": "district=D1&from=2024-01-01",
        "options": "measure=none&incidents=0",
        "unit_positions": "withheld",
        "centres": "2",
        "units": "1",
        "incidents": "0",
        "municipalities": "2",
    }
    shown = carried_texts(export.content.decode("utf-8"))
    assert "Filters: district=D1&from=2024-01-01" in shown
    assert "Made on 2026-03-01 · role: briefer" in shown
    assert map_export_details(chosen, viewer=BRIEFER, filters=filters, options=options) == (
        export.rows,
        dict(export.details),
    )


def test_arabic_map_file_is_in_arabic_and_right_to_left():
    export = export_planning_map(
        layers(), viewer=BRIEFER, filters=MapFilters(), coverage=coverage(), lang="ar"
    )
    page = export.content.decode("utf-8")
    assert '<html lang="ar">' in page
    assert 'class="psp-export-note" dir="rtl"' in page
    assert "<title>مخطط أمن مراكز الاقتراع — خريطة</title>" in page


def test_viewer_role_may_not_export_the_map():
    with pytest.raises(AccessDeniedError, match="export coverage"):
        export_planning_map(layers(), viewer=Viewer("v", "viewer"), filters=MapFilters())


@pytest.mark.parametrize("which", [*range(len(PAYLOADS)), "code"])
def test_map_file_carries_names_literally(which, tmp_path, monkeypatch):
    payload = code_payload(tmp_path / "ran", monkeypatch) if which == "code" else PAYLOADS[which]
    data, texts = payload_world(payload)
    plain = export_planning_map(layers(), viewer=PLANNER, filters=MapFilters(), coverage=coverage())
    export = export_planning_map(
        apply_filters(data, MapFilters()),
        viewer=PLANNER,
        filters=MapFilters(elections=(texts["incident.election"],)),
        coverage=coverage(),
    )
    check_literal(
        export.content.decode("utf-8"),
        [*texts.values()],
        plain_page=plain.content.decode("utf-8"),
    )
    assert not (tmp_path / "ran").exists(), "a name ran as code"
