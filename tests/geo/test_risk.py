"""Risk components, score, tiers and explanations, checked by hand and by properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import InputError
from geo.risk import RiskWeights, explain_risk, resolve_as_of, risk_tier, score_risk
from tests.geo import builders as b

AS_OF = pd.Timestamp("2025-01-01")
COMPONENT_COLUMNS = [
    "risk_incidents_nearby",
    "risk_incidents_at_centre",
    "risk_size",
    "risk_remoteness",
    "risk_context",
]
PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def one_centre(**overrides):
    return b.centres({"pos": b.at(0), "registered_voters": 0, **overrides})


def near_unit():
    return b.units({"pos": b.at(0)})


def test_incident_at_the_door_today_counts_a_quarter_of_the_nearby_cap():
    risk = score_risk(one_centre(), near_unit(), b.incidents({"date": "2025-01-01"}), as_of=AS_OF)
    # g = 5/5 * 0.5**0 = 1, taper 1, c = 1/4, points = 100 * 0.35 * 0.25
    assert risk.loc[0, "risk_incidents_nearby"] == pytest.approx(8.75)
    assert risk.loc[0, "incidents_nearby"] == 1


def test_nearby_incident_decays_with_distance_and_age():
    incidents = b.incidents({"pos": b.at(5), "date": "2024-01-02"})  # 365 days before AS_OF
    risk = score_risk(one_centre(), near_unit(), incidents, as_of=AS_OF)
    # g = 0.5 (one half-life), taper 1 - 5/10 = 0.5: 0.25 / 4 * 35 points
    assert risk.loc[0, "risk_incidents_nearby"] == pytest.approx(2.1875, rel=1e-4)
    assert risk.loc[0, "incidents_nearby_last_year"] == 1


def test_incidents_beyond_radius_or_after_as_of_do_not_count_nearby():
    incidents = b.incidents({"pos": b.at(10.5)}, {"pos": b.at(0), "date": "2025-02-01"})
    risk = score_risk(one_centre(), near_unit(), incidents, as_of=AS_OF)
    assert risk.loc[0, "risk_incidents_nearby"] == 0
    assert risk.loc[0, "incidents_nearby"] == 0


def test_incident_naming_the_centre_counts_wherever_it_lies():
    incidents = b.incidents(
        {"pos": b.at(40), "centre_id": "C1", "category": "attack_on_centre", "date": "2025-01-01"}
    )
    risk = score_risk(one_centre(), near_unit(), incidents, as_of=AS_OF)
    assert risk.loc[0, "risk_incidents_at_centre"] == pytest.approx(25.0)
    assert risk.loc[0, "incidents_at_centre"] == 1
    assert risk.loc[0, "last_incident_at_centre_category"] == "attack_on_centre"


def test_size_is_linear_up_to_its_cap():
    risk = score_risk(
        b.centres({"pos": b.at(0), "registered_voters": 2500}, {"pos": b.at(100)}),
        b.units({"pos": b.at(15)}),
        None,
        as_of=AS_OF,
    )
    assert risk["risk_size"].tolist() == pytest.approx([7.5, 3.0])


def test_remoteness_counts_whole_bands_of_the_nearest_unit_distance():
    # Centres 4.8, 5.2, 9.8, 10.2, 19.8, 20.2, 29.8 and 30.2 km west of the one unit (and
    # 100 km apart, so each has only that unit): 15 points × the share of the edges 5, 10,
    # 20, 30 km at or below the distance.
    distances = [4.8, 5.2, 9.8, 10.2, 19.8, 20.2, 29.8, 30.2]
    posts = [b.at(0, 100 * i) for i in range(len(distances))]
    centres = b.centres(
        *[
            {"pos": b.at(-d, origin=post), "registered_voters": 0}
            for d, post in zip(distances, posts, strict=True)
        ]
    )
    units = b.units(*[{"pos": post} for post in posts])
    risk = score_risk(centres, units, None, as_of=AS_OF)
    assert risk["nearest_unit_km"].tolist() == pytest.approx(distances, abs=0.05)
    assert risk["risk_remoteness"].tolist() == pytest.approx(
        [0.0, 3.75, 3.75, 7.5, 7.5, 11.25, 11.25, 15.0]
    )


def test_remoteness_bands_narrower_than_the_minimum_are_refused():
    with pytest.raises(InputError, match="at least 5 km"):
        RiskWeights(remoteness_bands_km=(5.0, 8.0, 20.0))
    with pytest.raises(InputError, match="at least 5 km"):
        RiskWeights(remoteness_bands_km=(2.0, 10.0))
    with pytest.raises(InputError, match="non-empty tuple"):
        RiskWeights(remoteness_bands_km=())


def test_remoteness_is_full_without_any_unit():
    risk = score_risk(one_centre(), None, None, as_of=AS_OF)
    assert risk.loc[0, "risk_remoteness"] == pytest.approx(15.0)
    assert np.isnan(risk.loc[0, "nearest_unit_km"])


def test_context_counts_municipal_incidents_per_10000_voters_over_two_years():
    centres = b.centres(
        {"registered_voters": 5000},
        {"registered_voters": 5000, "pos": b.at(200)},
        {"registered_voters": 1000, "municipality_pcode": "LY020202", "pos": b.at(300)},
    )
    incidents = b.incidents(
        {"pos": b.at(500), "date": "2024-06-01"},
        {"pos": b.at(500), "date": "2023-06-01"},
        {"pos": b.at(500), "date": "2022-06-01"},  # outside the 730-day window
        {"pos": b.at(500), "municipality_pcode": None, "centre_id": "C2"},  # via its centre
    )
    risk = score_risk(centres, near_unit(), incidents, as_of=AS_OF)
    assert risk["municipality_incidents"].tolist() == [3, 3, 0]
    assert risk["municipality_incidents_per_10k"].tolist() == pytest.approx([3.0, 3.0, 0.0])
    assert risk["risk_context"].tolist() == pytest.approx([6.0, 6.0, 0.0])


def test_score_is_sum_of_component_points_and_tier_follows():
    incidents = b.incidents({"date": "2025-01-01", "centre_id": "C1"})
    risk = score_risk(one_centre(registered_voters=5000), None, incidents, as_of=AS_OF)
    row = risk.iloc[0]
    assert row["risk_score"] == pytest.approx(row[COMPONENT_COLUMNS].sum())
    # 8.75 nearby + 25 at centre + 15 size + 15 remoteness + 10 context (2 per 10k, cap 5 → 4)
    assert row["risk_score"] == pytest.approx(8.75 + 25 + 15 + 15 + 4)
    assert row["risk_tier"] == "high"


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        (0, "low"),
        (24.99, "low"),
        (25, "medium"),
        (49.9, "medium"),
        (50, "high"),
        (74.99, "high"),
        (75, "critical"),
        (100, "critical"),
    ],
)
def test_tier_thresholds(score, tier):
    assert risk_tier(np.array([score])).tolist() == [tier]


def three_incidents_risk() -> pd.DataFrame:
    """4,100 voters, two incidents within 10 km (one in the last year), an attack on the
    centre in Nov 2024, the nearest unit 14 km away."""
    incidents = b.incidents(
        {"pos": b.at(2), "date": "2024-12-01"},
        {"pos": b.at(3), "date": "2023-05-01"},
        {"pos": b.at(30), "centre_id": "C1", "category": "attack_on_centre", "date": "2024-11-05"},
    )
    return score_risk(
        one_centre(registered_voters=4100), b.units({"pos": b.at(14)}), incidents, as_of=AS_OF
    )


def test_explanation_points_add_up_to_the_score():
    risk = three_incidents_risk()
    text = explain_risk(risk.iloc[0])
    score = round(risk.loc[0, "risk_score"])
    assert text.startswith(f"{score}/100 (")
    points = [int(p) for p in pd.Series([text]).str.findall(r"\(\+(\d+)\)")[0]]
    assert sum(points) == score
    assert "2 incidents within 10 km, 1 in the last year" in text
    assert "attack on this centre in Nov 2024" in text
    assert "4,100 voters" in text
    assert "14 km from the nearest unit" in text


def test_explanation_without_any_factor():
    risk = score_risk(one_centre(), near_unit(), None, as_of=AS_OF)
    assert explain_risk(risk.iloc[0]) == "0/100 (low): no risk factor found"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"nearby": -1}, "weight nearby must not be negative"),
        ({"distance_km": 0}, "distance_km must be positive"),
        ({"nearby": 0, "at_centre": 0, "size": 0, "remoteness": 0, "context": 0}, "all risk"),
        ({"half_life_days": float("nan")}, "half_life_days must be a finite number"),
    ],
)
def test_weights_reject_meaningless_values(kwargs, message):
    with pytest.raises(InputError, match=message):
        RiskWeights(**kwargs)


def test_as_of_that_is_not_a_date_is_named():
    with pytest.raises(InputError, match="as-of date '31/31/2025' is not a date"):
        score_risk(one_centre(), None, None, as_of="31/31/2025")


def test_without_an_as_of_date_the_latest_incident_is_the_day():
    # Two incidents at the door, dated 2024-01-15 and 2025-03-15 (425 days apart): as of the
    # later one, both count and one is within the last year. As of today, neither would be.
    incidents = b.incidents({"date": "2024-01-15"}, {"date": "2025-03-15"})
    risk = score_risk(one_centre(), near_unit(), incidents)
    assert risk.loc[0, "incidents_nearby"] == 2
    assert risk.loc[0, "incidents_nearby_last_year"] == 1
    assert resolve_as_of(None, incidents) == pd.Timestamp("2025-03-15")


def test_a_given_as_of_date_wins_and_no_incident_means_today():
    incidents = b.incidents({"date": "2025-03-15"})
    assert resolve_as_of("2024-01-01", incidents) == pd.Timestamp("2024-01-01")
    today = pd.Timestamp.now().normalize()
    assert resolve_as_of(None, incidents.iloc[:0]) == today
    assert resolve_as_of(None, None) == today


def test_weights_scale_freely():
    incidents = b.incidents({"pos": b.at(1)})
    one = score_risk(one_centre(registered_voters=900), near_unit(), incidents, as_of=AS_OF)
    double = score_risk(
        one_centre(registered_voters=900),
        near_unit(),
        incidents,
        weights=RiskWeights(nearby=0.7, at_centre=0.5, size=0.3, remoteness=0.3, context=0.2),
        as_of=AS_OF,
    )
    assert double.loc[0, "risk_score"] == pytest.approx(one.loc[0, "risk_score"])


# --- properties -------------------------------------------------------------------------

offsets = st.tuples(st.floats(-15, 15), st.floats(-15, 15))
incident_rows = st.fixed_dictionaries(
    {
        "at": offsets,
        "severity": st.integers(1, 5),
        "days_ago": st.integers(-30, 1500),
        "centre": st.sampled_from([None, "C1", "C2", "C3"]),
    }
)


def make_incidents(rows):
    return b.incidents(
        *[
            {
                "pos": b.at(*row["at"]),
                "severity": row["severity"],
                "date": AS_OF - pd.Timedelta(days=row["days_ago"]),
                "centre_id": row["centre"],
            }
            for row in rows
        ]
    )


def three_centres():
    return b.centres(
        {"pos": b.at(0), "registered_voters": 800},
        {"pos": b.at(6, 2), "registered_voters": 3000},
        {"pos": b.at(-4, -9), "registered_voters": 6000, "municipality_pcode": "LY020202"},
    )


@PROPERTY
@given(existing=st.lists(incident_rows, max_size=6), extra=incident_rows)
def test_adding_an_incident_never_lowers_a_score(existing, extra):
    centres, units = three_centres(), b.units({"pos": b.at(20)})
    before = score_risk(centres, units, make_incidents(existing), as_of=AS_OF)["risk_score"]
    after = score_risk(centres, units, make_incidents([*existing, extra]), as_of=AS_OF)
    assert (after["risk_score"].to_numpy() >= before.to_numpy() - 1e-9).all()


@PROPERTY
@given(
    others=st.lists(incident_rows, max_size=4),
    moved=incident_rows,
    bearing=st.floats(0, 360),
    near_km=st.floats(0, 12),
    further_km=st.floats(0, 12),
)
def test_moving_an_incident_further_away_never_raises_the_score(
    others, moved, bearing, near_km, further_km
):
    centres, units = three_centres(), b.units({"pos": b.at(20)})
    first, second = sorted([near_km, further_km])
    positions = []
    for km in (first, second):
        lon, lat, _ = b.GEOD.fwd(*b.ORIGIN, bearing, km * 1000)
        positions.append((lon, lat))
    near = make_incidents(others + [moved])
    far = near.copy()
    near.loc[len(near) - 1, "geometry"] = b.Point(positions[0])
    far.loc[len(far) - 1, "geometry"] = b.Point(positions[1])
    score_near = score_risk(centres, units, near, as_of=AS_OF).loc[0, "risk_score"]
    score_far = score_risk(centres, units, far, as_of=AS_OF).loc[0, "risk_score"]
    assert score_far <= score_near + 1e-9


@PROPERTY
@given(
    rows=st.lists(incident_rows, max_size=12),
    weights=st.tuples(*[st.floats(0, 5)] * 5).filter(lambda w: sum(w) > 0),
    voters=st.integers(0, 20_000),
)
def test_scores_stay_within_0_and_100(rows, weights, voters):
    centres = three_centres()
    centres.loc[0, "registered_voters"] = voters
    model = RiskWeights(*weights)
    risk = score_risk(centres, None, make_incidents(rows), weights=model, as_of=AS_OF)
    assert risk["risk_score"].between(0, 100).all()
    assert np.allclose(risk[COMPONENT_COLUMNS].sum(axis=1), risk["risk_score"])


def test_explanation_without_unit_distance_does_not_quote_one():
    from geo.risk import explain_risk

    row = {
        "risk_score": 3.75,
        "risk_tier": "low",
        "risk_incidents_nearby": 0.0,
        "risk_incidents_at_centre": 0.0,
        "risk_size": 0.0,
        "risk_remoteness": 3.75,
        "risk_context": 0.0,
    }
    assert explain_risk(row) == "4/100 (low): nearest unit 5–10 km away (+4)"


def test_the_explanation_in_arabic_has_the_same_parts_and_points():
    risk = three_incidents_risk()
    english, arabic = explain_risk(risk.iloc[0]), explain_risk(risk.iloc[0], lang="ar")
    points = pd.Series([english, arabic]).str.findall(r"\(\+(\d+)\)")
    assert points[0] == points[1]
    score = round(risk.loc[0, "risk_score"])
    assert arabic.startswith(f"{score}/100 (")
    assert "2 حادثة ضمن 10 كم، منها 1 في السنة الأخيرة" in arabic
    assert "اعتداء على هذا المركز (11/2024)" in arabic
    assert "4,100 ناخبًا مسجلًا" in arabic
    assert "14 كم من أقرب وحدة" in arabic
    assert not any("a" <= c.lower() <= "z" for c in arabic), arabic


def test_the_arabic_explanation_without_unit_distance_names_the_band():
    row = {
        "risk_score": 3.75,
        "risk_tier": "low",
        "risk_incidents_nearby": 0.0,
        "risk_incidents_at_centre": 0.0,
        "risk_size": 0.0,
        "risk_remoteness": 3.75,
        "risk_context": 0.0,
    }
    assert explain_risk(row, lang="ar") == "4/100 (منخفض): أقرب وحدة على بعد 5–10 كم (+4)"
