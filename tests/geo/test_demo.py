"""Invariants of the synthetic national demo (targets from DESIGN.md and issue 2)."""

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.demo import ELECTIONS, build_demo
from geo.errors import InputError
from geo.schema import INCIDENT_CATEGORIES, LAYER_NAMES, MAX_VOTERS_PER_STATION, validate_layer


def test_every_layer_is_built_and_valid(demo_layers):
    assert tuple(demo_layers) == LAYER_NAMES
    for name, frame in demo_layers.items():
        assert validate_layer(name, frame).ok, name


def test_centre_count_is_national_scale(demo_layers):
    assert 1_800 <= len(demo_layers["centres"]) <= 2_000


def test_registered_voters_total_and_sex_split(demo_layers):
    centres = demo_layers["centres"]
    voters = int(centres["registered_voters"].sum())
    men = int(centres["voters_male"].sum())
    assert 2_700_000 <= voters <= 3_000_000
    assert 0.54 <= men / voters <= 0.60
    assert (centres["voters_male"] + centres["voters_female"] == centres["registered_voters"]).all()


def test_stations_total_and_split(demo_layers):
    centres = demo_layers["centres"]
    male, female, mixed = (
        int(centres[c].sum()) for c in ("stations_male", "stations_female", "stations_mixed")
    )
    assert 5_000 <= male + female + mixed <= 6_000
    assert male > female > mixed > 0
    assert mixed < 0.1 * (male + female + mixed)


def test_no_station_holds_more_than_550_voters(demo_layers):
    c = demo_layers["centres"].astype({"voters_male": "int64", "voters_female": "int64"})
    stations = c["stations_male"] + c["stations_female"] + c["stations_mixed"]
    assert (c["registered_voters"] <= MAX_VOTERS_PER_STATION * stations).all()
    # Men vote at men's or mixed stations, women at women's or mixed ones.
    assert (
        c["voters_male"] <= MAX_VOTERS_PER_STATION * (c["stations_male"] + c["stations_mixed"])
    ).all()
    assert (
        c["voters_female"] <= MAX_VOTERS_PER_STATION * (c["stations_female"] + c["stations_mixed"])
    ).all()


def test_every_centre_lies_inside_its_municipality(demo_layers):
    centres = demo_layers["centres"]
    polygons = demo_layers["municipalities"].set_index("pcode").geometry
    own = polygons.loc[centres["municipality_pcode"]].to_numpy()
    inside = shapely.contains_xy(own, centres.geometry.x.to_numpy(), centres.geometry.y.to_numpy())
    assert inside.all()


def test_centre_ids_are_hnec_like_five_digit_text(demo_layers):
    ids = demo_layers["centres"]["centre_id"]
    assert ids.is_unique
    assert ids.str.fullmatch(r"\d{5}").all()
    assert ids.str.startswith("0").any()  # leading zeros must survive as text


def test_units_and_officers_at_national_scale(demo_layers):
    units = demo_layers["units"]
    counts = units["unit_type"].value_counts()
    assert 1_700 <= counts["static_guard"] <= 2_300
    assert counts["patrol"] > 0
    assert counts["rapid_response"] > 0
    assert counts["checkpoint"] > 0
    officers = int(units["officers"].sum())
    women = int(units["female_officers"].sum())
    assert 25_000 <= officers <= 35_000
    assert 0.01 <= women / officers <= 0.07


def test_gaps_are_deliberate(demo_layers):
    centres, units = demo_layers["centres"], demo_layers["units"]
    guarded = set(units.loc[units["unit_type"] == "static_guard", "assigned_centre_id"].dropna())
    unguarded = (~centres["centre_id"].isin(guarded)).mean()
    assert 0.03 <= unguarded <= 0.25


def test_south_has_fewer_female_officers(demo_layers):
    units = demo_layers["units"]
    region = units["municipality_pcode"].map(
        demo_layers["municipalities"]
        .set_index("pcode")["district_pcode"]
        .map(demo_layers["districts"].set_index("pcode")["region_pcode"])
    )
    share = units.groupby(region)[["female_officers", "officers"]].sum()
    share = share["female_officers"] / share["officers"]
    assert share["RG-S"] < share["RG-W"] / 2
    assert share["RG-S"] < share["RG-E"] / 2


def test_incidents_cover_both_election_phases(demo_layers):
    incidents = demo_layers["incidents"]
    assert 300 <= len(incidents) <= 600
    assert set(incidents["election"]) == {name for name, _ in ELECTIONS}
    assert set(incidents["category"]) <= set(INCIDENT_CATEGORIES)
    assert incidents["severity"].between(1, 5).all()
    assert incidents["date"].between(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31")).all()


def test_about_three_quarters_of_centres_are_audited(demo_layers):
    audited = demo_layers["access_audits"]["centre_id"].nunique()
    assert 0.70 <= audited / len(demo_layers["centres"]) <= 0.80


def test_same_seed_gives_identical_workspace(demo_layers):
    again = build_demo(seed=7)
    for name in LAYER_NAMES:
        pd.testing.assert_frame_equal(again[name], demo_layers[name])


def test_different_seed_gives_different_workspace(demo_layers):
    other = build_demo(seed=8)
    assert not other["centres"].geometry.equals(demo_layers["centres"].geometry)
    assert other["incidents"]["date"].tolist() != demo_layers["incidents"]["date"].tolist()


def test_scale_multiplies_centres_units_and_incidents(demo_layers):
    double = build_demo(seed=7, scale=2)
    for name in ("centres", "units", "incidents"):
        ratio = len(double[name]) / len(demo_layers[name])
        assert 1.7 <= ratio <= 2.3, name
    assert np.isclose(
        double["centres"]["registered_voters"].mean(),
        demo_layers["centres"]["registered_voters"].mean(),
        rtol=0.15,
    )


def test_non_positive_scale_is_refused_with_advice():
    with pytest.raises(InputError, match="scale must be a positive number"):
        build_demo(scale=0)
