"""Officer allocation: small pools with obvious answers, women first, reasons for unmet need."""

import pandas as pd
import pytest

from geo.coverage import analyse_coverage
from geo.errors import InputError
from geo.staffing import (
    REASON_NO_POOL,
    OfficerPool,
    StaffingParams,
    allocate_officers,
    pools_frame,
    pools_from_frame,
    pools_from_units,
)
from tests.geo.builders import at, centres, incidents, municipalities, units


def analysed(*rows, incident_rows=()):
    c = centres(*rows)
    u = units({"pos": at(500)})  # far away: no centre is guarded or reached
    inc = incidents(*incident_rows) if incident_rows else None
    return analyse_coverage(c, u, inc, None, as_of="2025-06-01")


MUNIS = municipalities(
    {"pcode": "M1", "name_en": "One", "district_pcode": "D1"},
    {"pcode": "M2", "name_en": "Two", "district_pcode": "D2"},
)


def by_centre(plan):
    return plan.centres.set_index("centre_id")


def test_a_pool_that_fits_the_need_fills_it_exactly():
    # One station each: need 2 + 2 = 4 officers, 1 woman (C1 women's station, C2 men only).
    cov = analysed(
        {"pos": at(0), "stations_male": 0, "stations_female": 1},
        {"pos": at(5), "stations_male": 1, "stations_female": 0},
    )
    plan = allocate_officers(cov, [OfficerPool("P", 8, 1)])
    table = by_centre(plan)
    assert table["officers_assigned"].tolist() == [4, 4]
    assert table["female_officers_assigned"].tolist() == [1, 0]
    assert plan.shortfall == 0
    assert plan.female_shortfall == 0


def test_scarce_officers_go_to_the_riskier_centre_after_base_needs():
    # Two centres of 3 stations (need 8 each); an attack at C2 makes it riskier.
    cov = analysed(
        {"pos": at(0), "stations_male": 2, "stations_female": 1},
        {"pos": at(50), "stations_male": 2, "stations_female": 1},
        incident_rows=[{"pos": at(50), "centre_id": "C2", "category": "attack_on_centre"}],
    )
    plan = allocate_officers(cov, [OfficerPool("P", 10, 0)])
    table = by_centre(plan)
    # Base first: 2 each; the other 6 go to the riskier C2 (8 in all), C1 keeps 2.
    assert table.loc["C2", "officers_assigned"] == 8
    assert table.loc["C1", "officers_assigned"] == 2
    pure = allocate_officers(
        cov, [OfficerPool("P", 10, 0)], params=StaffingParams(base_first=False)
    )
    assert by_centre(pure)["officers_assigned"].tolist() == [2, 8]


def test_women_stations_get_female_officers_first_riskiest_first():
    cov = analysed(
        {"pos": at(0), "stations_male": 0, "stations_female": 2},
        {"pos": at(50), "stations_male": 0, "stations_female": 1},
        incident_rows=[{"pos": at(50), "centre_id": "C2", "category": "attack_on_centre"}],
    )
    plan = allocate_officers(cov, [OfficerPool("P", 2, 2)], params=StaffingParams(base_first=False))
    table = by_centre(plan)
    # Two women, three women's stations: the riskier C2 gets one, C1 one; no man is placed
    # before women's stations are served.
    assert table["female_officers_assigned"].tolist() == [1, 1]
    assert plan.female_shortfall == 1
    assert plan.pools["female_left"].tolist() == [0]


def test_a_pool_staffs_only_centres_in_its_area():
    cov = analysed(
        {"pos": at(0), "municipality_pcode": "M1"},
        {"pos": at(50), "municipality_pcode": "M2"},
    )
    plan = allocate_officers(
        cov, [OfficerPool("D1 police", 100, 10, ("D1",))], municipalities=MUNIS
    )
    table = by_centre(plan)
    assert table.loc["C1", "shortfall"] == 0
    assert table.loc["C2", "officers_assigned"] == 0
    unmet = plan.unmet.set_index("pcode")
    assert list(unmet.index) == ["M2"]
    assert unmet.loc["M2", "reason"] == REASON_NO_POOL
    assert not table.loc["C2", "in_pool_area"]


def test_unmet_need_names_the_small_pool_and_the_missing_women():
    cov = analysed({"pos": at(0), "municipality_pcode": "M1", "stations_female": 1})
    plan = allocate_officers(cov, [OfficerPool("tiny", 3, 0)], municipalities=MUNIS)
    row = plan.unmet.set_index("pcode").loc["M1"]
    assert row["shortfall"] == 3  # 2 + 2 × 2 stations = 6 required, 3 placed
    assert row["female_shortfall"] == 1
    assert "pool too small (tiny)" in row["reason"]
    assert "no female officers left (tiny)" in row["reason"]


def test_pools_are_checked_and_read_back_from_a_table():
    with pytest.raises(InputError, match="female officers are counted within officers"):
        OfficerPool("P", 2, 3)
    pools = [OfficerPool("A", 10, 2, ("D1", "D2")), OfficerPool("B", 5)]
    assert pools_from_frame(pools_frame(pools)) == pools
    bad = pd.DataFrame({"pool_id": ["A", "A"], "officers": [1, "x"], "female_officers": [0, 0]})
    with pytest.raises(InputError, match="row 2.*whole numbers.*used twice|row 2"):
        pools_from_frame(bad)


def test_pools_from_units_sum_static_guards_per_district_and_agency():
    u = units(
        {
            "unit_type": "static_guard",
            "municipality_pcode": "M1",
            "officers": 6,
            "female_officers": 1,
        },
        {"unit_type": "static_guard", "municipality_pcode": "M2", "officers": 4, "agency": "X"},
        {"unit_type": "patrol", "municipality_pcode": "M1", "officers": 9},
    )
    by_district = pools_from_units(u, MUNIS, by="district")
    assert [(p.pool_id, p.officers, p.female_officers) for p in by_district] == [
        ("D1", 6, 1),
        ("D2", 4, 0),
    ]
    by_agency = {p.pool_id: p for p in pools_from_units(u, MUNIS, by="agency")}
    assert by_agency["X"].areas == ("D2",)
    assert by_agency["MoI"].areas == ("D1",)
