"""Coverage status, staffing, roll-ups and the gap list, on layers checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.coverage import (
    CENTRE_COLUMNS,
    CoverageParams,
    ReachUse,
    analyse_coverage,
    coverage_warnings,
    describe_reach,
    gap_list,
    need_list,
    reach_use,
    rollup_coverage,
    summarise_coverage,
    with_reach,
)
from geo.errors import InputError, LayerMissingError
from geo.permissions import Viewer
from geo.risk import RiskWeights, explain_risk
from tests.geo import builders as b

AS_OF = pd.Timestamp("2025-06-01")
STATUS_RANK = {"gap": 0, "guard_only": 1, "response_only": 1, "full": 2}


def analyse(centres, units, incidents=None, audits=None, **params):
    return analyse_coverage(
        centres, units, incidents, audits, None, params=CoverageParams(**params), as_of=AS_OF
    ).centres


def test_patrol_reaches_centres_within_ten_road_km():
    centres = b.centres({"pos": b.at(0)}, {"pos": b.at(3)}, {"pos": b.at(12)})
    table = analyse(centres, b.units({"pos": b.at(0)}))
    assert table["reachable"].tolist() == [True, True, False]
    assert table["nearest_patrol_km"].tolist() == pytest.approx([0, 3, 12], abs=1e-4)


def test_patrol_radius_in_straight_line_is_radius_over_circuity():
    # 10 road-km / 1.3 = 7.69 km straight line
    centres = b.centres({"pos": b.at(7.6)}, {"pos": b.at(7.8)})
    assert analyse(centres, b.units({"pos": b.at(0)}))["reachable"].tolist() == [True, False]


def test_rapid_response_reaches_thirty_road_km():
    centres = b.centres({"pos": b.at(20)}, {"pos": b.at(25)})
    units = b.units({"unit_type": "rapid_response"})
    table = analyse(centres, units)
    assert table["reachable"].tolist() == [True, False]
    assert table["nearest_rapid_km"].tolist() == pytest.approx([20, 25], rel=1e-5)
    assert table["nearest_patrol_km"].isna().all()


def test_units_own_radius_overrides_the_default_unless_disabled():
    centres = b.centres({"pos": b.at(12)})
    units = b.units({"response_radius_km": 20.0})  # 20 / 1.3 = 15.4 km straight line
    assert analyse(centres, units)["reachable"].tolist() == [True]
    assert analyse(centres, units, use_unit_radii=False)["reachable"].tolist() == [False]


def test_a_reach_the_user_sets_applies_to_every_unit_of_its_type():
    # A centre 12 km from a patrol whose own radius is 20 road km (15.4 km straight): it
    # reaches with the defaults; once the user sets the patrol reach to 5 km, the 5 km
    # applies to this patrol too, so the centre is not reached, unless the user also asks
    # for units' own radii.
    centres = b.centres({"pos": b.at(12)})
    units = b.units({"response_radius_km": 20.0})
    base = CoverageParams()
    assert with_reach(base, {}) == base
    assert with_reach(base, {"patrol_radius_km": None}) == base
    set_5 = with_reach(base, {"patrol_radius_km": 5})
    assert (set_5.patrol_radius_km, set_5.use_unit_radii) == (5.0, False)
    assert with_reach(base, {"patrol_minutes": 20}).use_unit_radii is False
    both = with_reach(base, {"patrol_radius_km": 5}, use_unit_radii=True)
    assert (both.patrol_radius_km, both.use_unit_radii) == (5.0, True)
    table = analyse_coverage(centres, units, None, None, None, params=set_5, as_of=AS_OF)
    assert table.centres["reachable"].tolist() == [False]
    table = analyse_coverage(centres, units, None, None, None, params=both, as_of=AS_OF)
    assert table.centres["reachable"].tolist() == [True]
    with pytest.raises(InputError, match="not a reach: guard_radius_km"):
        with_reach(base, {"guard_radius_km": 1.0})


def test_each_reach_says_which_units_it_applies_to():
    units = b.units(
        {"response_radius_km": 20.0},
        {},
        {"unit_type": "rapid_response", "response_radius_km": 50.0},
        {"unit_type": "static_guard"},
    )
    assert reach_use(units, CoverageParams()) == ReachUse(1, 1, 0, 1)
    off = CoverageParams(use_unit_radii=False)
    assert reach_use(units, off) == ReachUse(2, 0, 1, 0)
    assert reach_use(None, off) == ReachUse(0, 0, 0, 0)
    assert describe_reach(units, CoverageParams()) == (
        "Patrol reach 10 km: units 1; own radius 1",
        "Rapid-response reach 30 km: units 0; own radius 1",
    )
    assert describe_reach(units, off, on_roads=True) == (
        "Patrol reach 15 min: units 2 (units' own radii not used)",
        "Rapid-response reach 30 min: units 1 (units' own radii not used)",
    )
    patrols, _ = describe_reach(units, CoverageParams(), lang="ar")
    assert patrols == "مدى الدوريات 10 كم: الوحدات 1; بنصف قطرها الخاص 1"


def test_assigned_static_unit_guards_its_centre_regardless_of_distance():
    centres = b.centres({"pos": b.at(0)}, {"pos": b.at(60)})
    units = b.units({"unit_type": "static_guard", "assigned_centre_id": "C1", "pos": b.at(60)})
    table = analyse(centres, units)
    assert table["guarded"].tolist() == [True, False]
    assert table["officers_assigned"].tolist() == [4, 0]


def test_unassigned_static_unit_guards_centres_within_200_m():
    centres = b.centres({"pos": b.at(0)}, {"pos": b.at(0.4)}, {"pos": b.at(5)})
    units = b.units({"unit_type": "static_guard", "pos": b.at(0.15)})
    table = analyse(centres, units)
    assert table["guarded"].tolist() == [True, False, False]


def test_unassigned_guard_officers_count_once_at_the_nearest_centre():
    centres = b.centres({"pos": b.at(0)}, {"pos": b.at(0.3)})
    units = b.units({"unit_type": "static_guard", "pos": b.at(0.18), "officers": 6})
    table = analyse(centres, units)
    assert table["guarded"].tolist() == [True, True]
    assert table["officers_assigned"].tolist() == [0, 6]


def test_checkpoint_at_the_door_neither_guards_nor_responds():
    table = analyse(b.centres({"pos": b.at(0)}), b.units({"unit_type": "checkpoint"}))
    assert table.loc[0, "status"] == "gap"
    assert table.loc[0, "nearest_unit_km"] == pytest.approx(0)


def test_status_combines_guard_and_response():
    centres = b.centres({"pos": b.at(0)}, {"pos": b.at(0.1)}, {"pos": b.at(30)}, {"pos": b.at(60)})
    units = b.units(
        {"unit_type": "static_guard", "assigned_centre_id": "C1"},
        {"unit_type": "patrol", "pos": b.at(0)},
        {"unit_type": "static_guard", "assigned_centre_id": "C3", "pos": b.at(30)},
    )
    table = analyse(centres, units)
    assert table["status"].tolist() == ["full", "response_only", "guard_only", "gap"]


def test_required_officers_for_three_stations_is_eight():
    centres = b.centres({"stations_male": 1, "stations_female": 1, "stations_mixed": 1})
    table = analyse(centres, b.units({}))
    assert table.loc[0, "officers_required"] == 8
    assert table.loc[0, "shortfall"] == 8


def test_two_womens_stations_and_one_female_officer_leave_a_shortfall_of_one():
    centres = b.centres({"stations_male": 1, "stations_female": 2, "stations_mixed": 0})
    units = b.units(
        {
            "unit_type": "static_guard",
            "assigned_centre_id": "C1",
            "officers": 10,
            "female_officers": 1,
        }
    )
    table = analyse(centres, units)
    assert table.loc[0, "female_officers_required"] == 2
    assert table.loc[0, "female_officers_assigned"] == 1
    assert table.loc[0, "female_shortfall"] == 1
    assert table.loc[0, "shortfall"] == 0  # 10 assigned, 8 required: never negative


def test_staffing_rule_is_a_parameter():
    centres = b.centres({"stations_male": 2, "stations_female": 1, "stations_mixed": 1})
    table = analyse(centres, b.units({}), officers_base=4, officers_per_station=3)
    assert table.loc[0, "officers_required"] == 4 + 3 * 4
    assert table.loc[0, "female_officers_required"] == 2


def test_response_time_uses_circuity_and_speed():
    table = analyse(b.centres({"pos": b.at(4)}), b.units({}))
    assert table.loc[0, "patrol_road_km"] == pytest.approx(5.2, rel=1e-4)
    assert table.loc[0, "patrol_response_min"] == pytest.approx(5.2 / 40 * 60, rel=1e-4)


def test_output_columns_in_order_then_risk_components():
    table = analyse(b.centres({}), b.units({}))
    assert tuple(table.columns[: len(CENTRE_COLUMNS)]) == CENTRE_COLUMNS
    assert list(table.columns[len(CENTRE_COLUMNS) : len(CENTRE_COLUMNS) + 5]) == [
        "risk_incidents_nearby",
        "risk_incidents_at_centre",
        "risk_size",
        "risk_remoteness",
        "risk_context",
    ]


def test_access_columns_come_from_latest_audit():
    centres = b.centres({"pos": b.at(0)}, {"pos": b.at(2)})
    audits = b.audits(
        {"centre_id": "C1", "step_free_entrance": False, "ground_floor_voting": False},
        {"centre_id": "C2", "step_free_entrance": True, "ground_floor_voting": True},
    )
    table = analyse(centres, b.units({}), audits=audits)
    assert table["access_status"].tolist() == ["inaccessible", "accessible"]
    assert table.loc[0, "nearest_accessible_centre_id"] == "C2"
    assert table.loc[0, "nearest_accessible_km"] == pytest.approx(2, rel=1e-4)


def test_closed_centres_are_left_out_by_default():
    centres = b.centres({}, {"status": "closed"}, {"status": "planned"})
    assert analyse(centres, b.units({}))["centre_id"].tolist() == ["C1", "C3"]
    assert len(analyse(centres, b.units({}), include_closed=True)) == 3


def test_assignment_to_unknown_centre_is_treated_as_unassigned_with_a_warning():
    units = b.units({"unit_type": "static_guard", "assigned_centre_id": "C99"})
    result = analyse_coverage(b.centres({}), units, None, None, as_of=AS_OF)
    assert result.centres.loc[0, "guarded"]
    assert "1 static unit is assigned to a retired centre" in " ".join(result.warnings)
    assert result.stray_guards == ("U1",)


def test_retired_centre_warning_counts_units_and_names_them_only_to_planners():
    # C2 retired (closed), C9 gone from the layer: three static units point at them.
    centres = b.centres({}, {"status": "closed", "pos": b.at(50)})
    units = b.units(
        {"unit_type": "static_guard", "assigned_centre_id": "C2", "pos": b.at(50)},
        {"unit_type": "static_guard", "assigned_centre_id": "C2", "pos": b.at(50)},
        {"unit_type": "static_guard", "assigned_centre_id": "C9", "pos": b.at(60)},
        {"unit_type": "static_guard", "assigned_centre_id": "C1"},
    )
    result = analyse_coverage(centres, units, None, None, as_of=AS_OF)
    briefer = " ".join(coverage_warnings(result, Viewer("b", "briefer")))
    planner = " ".join(coverage_warnings(result, Viewer("p", "planner")))
    assert "3 static units are assigned to retired centres" in briefer
    assert not any(f"U{i}" in briefer for i in range(1, 5))
    assert "3 static units are assigned to retired centres" in planner
    assert "U1, U2, U3" in planner
    assert "U4" not in planner


@pytest.mark.parametrize("layer", ["centres", "units"])
def test_empty_layer_says_what_to_do(layer):
    layers = {"centres": b.centres({}), "units": b.units({})}
    layers[layer] = layers[layer].iloc[0:0]
    with pytest.raises(
        LayerMissingError,
        match=f"layer '{layer}' is empty; import {layer} on the Data page or run "
        "python -m geo demo",
    ):
        analyse_coverage(layers["centres"], layers["units"], None, None)


def test_missing_units_layer_says_what_to_do():
    with pytest.raises(LayerMissingError, match="layer 'units' is missing; import units"):
        analyse_coverage(b.centres({}), None, None, None)


def test_repeated_centre_id_is_named():
    centres = b.centres({"centre_id": "C7"}, {"centre_id": "C7", "pos": b.at(3)})
    with pytest.raises(InputError, match="ID 'C7' is used by more than one row"):
        analyse_coverage(centres, b.units({}), None, None)


def test_missing_column_names_it():
    with pytest.raises(InputError, match="layer 'units' lacks column\\(s\\) 'unit_type'"):
        analyse_coverage(b.centres({}), b.units({}).drop(columns="unit_type"), None, None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"circuity": 0.9}, "circuity must be at least 1"), ({"patrol_radius_km": -1}, "≥ 0")],
)
def test_params_reject_meaningless_values(kwargs, message):
    with pytest.raises(InputError, match=message):
        CoverageParams(**kwargs)


def test_explanation_reads_a_row_of_the_coverage_table():
    incidents = b.incidents({"centre_id": "C1", "category": "attack_on_centre"})
    result = analyse_coverage(b.centres({}), b.units({}), incidents, None, as_of=AS_OF)
    text = explain_risk(result.centres.iloc[0], weights=result.weights)
    assert text.startswith(f"{round(result.centres.loc[0, 'risk_score'])}/100")
    assert "attack on this centre in Jan 2025" in text


def test_centre_in_unknown_municipality_is_reported():
    municipalities = b.municipalities({"pcode": "LY020202", "district_pcode": "LY0202"})
    result = analyse_coverage(b.centres({}), b.units({}), None, None, municipalities)
    assert any("LY010101" in w for w in result.warnings)


def test_no_incidents_or_audits_is_allowed_and_said():
    result = analyse_coverage(b.centres({}), b.units({}), None, None, as_of=AS_OF)
    assert result.centres.loc[0, "access_status"] == "unknown"
    assert len(result.warnings) == 2


# --- roll-ups and gap list ---------------------------------------------------------------


def tiny_workspace():
    """Two municipalities in one district, one more district in another region.

    M1 (LY010101): C1 full, 1000 voters, accessible; C2 gap, 3000 voters.
    M2 (LY010102): C3 guard_only, 2000 voters, accessible.
    M3 (LY020201) has no centre.
    """
    centres = b.centres(
        {"pos": b.at(0), "registered_voters": 1000},
        {"pos": b.at(100), "registered_voters": 3000},
        {"pos": b.at(200), "registered_voters": 2000, "municipality_pcode": "LY010102"},
    )
    units = b.units(
        {
            "unit_type": "static_guard",
            "assigned_centre_id": "C1",
            "officers": 7,
            "female_officers": 2,
        },
        {"unit_type": "patrol"},
        {
            "unit_type": "static_guard",
            "assigned_centre_id": "C3",
            "pos": b.at(200),
            "officers": 2,
            "female_officers": 0,
        },
    )
    incidents = b.incidents(
        {"category": "intimidation", "date": "2025-01-01"},
        {"category": "attack_on_centre", "centre_id": "C3", "municipality_pcode": None},
        {"category": "attack_on_centre", "date": "2025-12-01"},  # after as-of: left out
    )
    audits = b.audits(
        {"centre_id": "C1", "step_free_entrance": True, "ground_floor_voting": True},
        {"centre_id": "C3", "step_free_entrance": True, "ground_floor_voting": True},
    )
    municipalities = b.municipalities(
        {"pcode": "LY010101", "name_en": "One", "district_pcode": "LY0101"},
        {"pcode": "LY010102", "name_en": "Two", "district_pcode": "LY0101"},
        {"pcode": "LY020201", "name_en": "Three", "district_pcode": "LY0202"},
    )
    districts = b.districts(
        {"pcode": "LY0101", "name_en": "D1", "region_pcode": "LY01"},
        {"pcode": "LY0202", "name_en": "D2", "region_pcode": "LY02"},
    )
    result = analyse_coverage(centres, units, incidents, audits, municipalities, as_of=AS_OF)
    return result, centres, incidents, municipalities, districts


def test_rollup_by_municipality_by_hand():
    result, centres, incidents, municipalities, districts = tiny_workspace()
    assert result.centres["status"].tolist() == ["full", "gap", "guard_only"]
    areas = rollup_coverage(
        result, centres, incidents, municipalities, districts, by="municipality"
    ).areas.set_index("pcode")
    one = areas.loc["LY010101"]
    assert one["name_en"] == "One"
    assert (one["centres"], one["centres_full"], one["centres_gap"]) == (2, 1, 1)
    assert (one["voters"], one["voters_full"], one["voters_gap"]) == (4000, 1000, 3000)
    assert one["share_voters_gap"] == pytest.approx(0.75)
    # C1 and C2 each have 1 male + 1 female station: 6 officers, 1 woman required each
    assert (one["officers_required"], one["officers_assigned"], one["shortfall"]) == (12, 7, 6)
    assert (one["female_officers_required"], one["female_shortfall"]) == (2, 1)
    assert one["centres_no_female_officer"] == 1
    assert one["share_voters_accessible"] == pytest.approx(0.25)
    assert one["incidents"] == 1
    assert one["incidents_intimidation"] == 1
    two = areas.loc["LY010102"]
    assert two["incidents_attack_on_centre"] == 1  # placed by its centre
    assert two["shortfall"] == 4
    assert two["share_voters_accessible"] == 1.0
    three = areas.loc["LY020201"]
    assert three["centres"] == 0
    assert np.isnan(three["share_voters_gap"])
    risk = result.centres.set_index("centre_id")["risk_score"]
    assert one["risk_mean"] == pytest.approx((risk["C1"] + risk["C2"]) / 2)
    assert one["risk_max"] == pytest.approx(max(risk["C1"], risk["C2"]))


def test_rollup_by_district_and_region_sum_municipalities():
    result, centres, incidents, municipalities, districts = tiny_workspace()
    district = rollup_coverage(
        result, centres, incidents, municipalities, districts, by="district"
    ).areas.set_index("pcode")
    assert district.loc["LY0101", "voters"] == 6000
    assert district.loc["LY0101", "share_voters_gap"] == pytest.approx(0.5)
    assert district.loc["LY0101", "shortfall"] == 10
    assert district.loc["LY0202", "centres"] == 0
    regions = pd.DataFrame({"pcode": ["LY01", "LY02", "LY03"], "name_en": ["W", "E", "S"]})
    region = rollup_coverage(
        result, centres, incidents, municipalities, districts, by="region", regions=regions
    )
    assert region.areas["pcode"].tolist() == ["LY01", "LY02", "LY03"]
    assert region.areas["name_en"].tolist() == ["W", "E", "S"]
    assert region.areas.set_index("pcode").loc["LY01", "incidents"] == 2
    assert set(region.incidents.columns) == {"pcode", "election", "category", "incidents"}
    assert region.incidents["incidents"].sum() == 2


def test_rollup_by_region_needs_districts():
    result, centres, incidents, municipalities, _ = tiny_workspace()
    with pytest.raises(LayerMissingError, match="'districts' layer"):
        rollup_coverage(result, centres, incidents, municipalities, None, by="region")


def test_gap_list_ranks_by_risk_times_voters():
    result, centres, *_ = tiny_workspace()
    gaps = gap_list(result, centres)
    # C1 is full, C3 guarded (short of officers only): the gap list holds only C2
    assert gaps["centre_id"].tolist() == ["C2"]
    table = result.centres.set_index("centre_id")
    expected = table.loc["C2", "risk_score"] * table.loc["C2", "registered_voters"]
    assert gaps["priority"].tolist() == pytest.approx([expected])
    assert gaps["rank"].tolist() == [1]
    assert list(gaps.columns[:5]) == ["rank", "centre_id", "name_en", "name_ar", "priority"]


def test_officer_list_holds_centres_short_of_officers_whatever_their_status():
    result, centres, *_ = tiny_workspace()
    table = result.centres.set_index("centre_id")
    short = table.index[table["shortfall"] > 0].tolist()
    assert "C3" in short  # guarded by 2 officers, needs more
    listed = need_list(result, centres, "officers")
    assert sorted(listed["centre_id"]) == sorted(short)
    assert "C1" not in listed["centre_id"].tolist()


def test_women_list_holds_centres_with_no_or_too_few_female_officers():
    # C1: 2 women's stations, 1 female officer (too few); C2: 1 women's station, none;
    # C3: no women's station, so no female officer is needed.
    centres = b.centres(
        {"stations_female": 2, "stations_male": 0},
        {"pos": b.at(50), "stations_female": 1},
        {"pos": b.at(100), "stations_female": 0, "stations_mixed": 0},
    )
    units = b.units(
        {"unit_type": "static_guard", "assigned_centre_id": "C1", "officers": 9,
         "female_officers": 1},
        {"unit_type": "static_guard", "assigned_centre_id": "C2", "officers": 9,
         "female_officers": 0},
        {"unit_type": "static_guard", "assigned_centre_id": "C3", "officers": 9,
         "female_officers": 0},
    )  # fmt: skip
    result = analyse_coverage(centres, units, None, None, as_of=AS_OF)
    assert sorted(need_list(result, centres, "women")["centre_id"]) == ["C1", "C2"]
    assert need_list(result, centres, "officers").empty
    summary = summarise_coverage(result)
    assert summary.centres_short_of_female_officers == 2
    assert summary.centres_without_female_officer == 1


def test_each_list_counts_what_its_headline_says_on_the_demo(demo_layers):
    result = analyse_coverage(
        demo_layers["centres"],
        demo_layers["units"],
        demo_layers["incidents"],
        demo_layers["access_audits"],
        as_of="2025-08-28",
    )
    centres = demo_layers["centres"]
    summary = summarise_coverage(result)
    gaps = need_list(result, centres, "gaps")
    assert len(gaps) == summary.centres_gap
    assert set(gaps["status"]) == {"gap"}
    assert gap_list(result, centres)["centre_id"].tolist() == gaps["centre_id"].tolist()
    assert len(need_list(result, centres, "officers")) == summary.centres_short_of_officers
    assert len(need_list(result, centres, "women")) == (summary.centres_short_of_female_officers)
    assert summary.centres_short_of_officers == int((result.centres["shortfall"] > 0).sum())


def test_unknown_list_is_named():
    result, centres, *_ = tiny_workspace()
    with pytest.raises(InputError, match="'guards'.*gaps, officers, women"):
        need_list(result, centres, "guards")  # type: ignore[arg-type]


# --- property -----------------------------------------------------------------------------

unit_rows = st.fixed_dictionaries(
    {
        "at": st.tuples(st.floats(-20, 20), st.floats(-20, 20)),
        "unit_type": st.sampled_from(["static_guard", "patrol", "rapid_response", "checkpoint"]),
        "assigned": st.sampled_from([None, None, "C1", "C2", "C3", "C4"]),
        "officers": st.integers(0, 8),
        "female_officers": st.integers(0, 2),
        "radius": st.sampled_from([None, None, 5.0, 15.0]),
    }
)


def make_units(rows):
    return b.units(
        *[
            {
                "pos": b.at(*row["at"]),
                "unit_type": row["unit_type"],
                "assigned_centre_id": row["assigned"],
                "officers": row["officers"],
                "female_officers": min(row["female_officers"], row["officers"]),
                "response_radius_km": row["radius"],
            }
            for row in rows
        ]
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(existing=st.lists(unit_rows, min_size=1, max_size=6), extra=unit_rows)
def test_adding_a_unit_never_lowers_any_centres_coverage(existing, extra):
    centres = b.centres(
        {"pos": b.at(0)}, {"pos": b.at(0.1)}, {"pos": b.at(8, 3)}, {"pos": b.at(-15, 10)}
    )
    before = analyse(centres, make_units(existing))
    after = analyse(centres, make_units([*existing, extra]))
    assert (after["guarded"] >= before["guarded"]).all()
    assert (after["reachable"] >= before["reachable"]).all()
    assert (after["status"].map(STATUS_RANK) >= before["status"].map(STATUS_RANK)).all()
    assert (after["shortfall"] <= before["shortfall"]).all()
    assert (after["female_shortfall"] <= before["female_shortfall"]).all()
    assert (after["risk_score"] <= before["risk_score"] + 1e-9).all()


def test_summary_counts_gaps_voters_and_centres_without_female_officer():
    from geo.coverage import CoverageResult, summarise_coverage

    table = pd.DataFrame(
        {
            "status": ["gap", "full", "gap", "guard_only"],
            "registered_voters": [100, 200, 300, 400],
            "female_officers_required": [1, 2, 0, 1],
            "female_officers_assigned": [0, 1, 0, 0],
            "officers_required": [4, 6, 4, 8],
            "officers_assigned": [0, 6, 1, 3],
            "shortfall": [4, 0, 3, 5],
            "female_shortfall": [1, 1, 0, 1],
        }
    )
    result = CoverageResult(
        centres=table,
        params=CoverageParams(),
        weights=RiskWeights(),
        as_of=pd.Timestamp("2025-01-01"),
    )
    s = summarise_coverage(result)
    assert (s.centres, s.voters, s.centres_gap, s.voters_gap) == (4, 1000, 2, 400)
    assert s.centres_without_female_officer == 2  # first and last: women vote, none assigned
    assert (s.officers_required, s.officers_assigned, s.shortfall, s.female_shortfall) == (
        22,
        10,
        12,
        3,
    )
    assert s.share_voters_gap == 0.4
