"""Access status from audits, alternatives for inaccessible centres, voter shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.access import (
    centre_access,
    derive_access_status,
    nearest_accessible,
    share_voters_accessible,
)
from geo.errors import InputError
from tests.geo import builders as b

T, F, U = True, False, None


@pytest.mark.parametrize(
    ("step_free", "ground_floor", "expected"),
    [
        (T, T, "accessible"),
        (T, F, "partial"),
        (F, T, "partial"),
        (T, U, "partial"),
        (U, T, "partial"),
        (F, F, "inaccessible"),
        (F, U, "inaccessible"),
        (U, F, "inaccessible"),
        (U, U, "unknown"),
    ],
)
def test_access_status_truth_table(step_free, ground_floor, expected):
    audits = b.audits({"step_free_entrance": step_free, "ground_floor_voting": ground_floor})
    assert derive_access_status(audits)["access_status"].tolist() == [expected]


def test_latest_audit_decides():
    audits = b.audits(
        {"audit_date": "2025-03-01", "step_free_entrance": T, "ground_floor_voting": T},
        {"audit_date": "2024-01-01", "step_free_entrance": F, "ground_floor_voting": F},
        {"centre_id": "C2", "audit_date": "2023-01-01", "step_free_entrance": F},
    )
    got = derive_access_status(audits).set_index("centre_id")
    assert got.loc["C1", "access_status"] == "accessible"
    assert got.loc["C1", "audit_date"] == pd.Timestamp("2025-03-01")
    assert got.loc["C2", "access_status"] == "inaccessible"


def test_ramp_alone_does_not_make_a_centre_accessible():
    audits = b.audits({"ramp": T, "accessible_toilet": T, "parking_near": T})
    assert derive_access_status(audits)["access_status"].tolist() == ["unknown"]


def test_no_audits_gives_empty_table_with_columns():
    got = derive_access_status(None)
    assert list(got.columns) == ["centre_id", "audit_date", "access_status"]
    assert got.empty


def test_every_centre_gets_a_status_unknown_without_audit():
    centres = b.centres({}, {}, {})
    audits = b.audits(
        {"centre_id": "C2", "step_free_entrance": T, "ground_floor_voting": T},
        {"centre_id": "C9", "step_free_entrance": T, "ground_floor_voting": T},
    )
    got = centre_access(centres, audits)
    assert got["centre_id"].tolist() == ["C1", "C2", "C3"]
    assert got["access_status"].tolist() == ["unknown", "accessible", "unknown"]


def test_nearest_accessible_for_inaccessible_and_partial_centres():
    centres = b.centres(
        {"pos": b.at(0)},  # C1 inaccessible
        {"pos": b.at(4)},  # C2 accessible
        {"pos": b.at(-1)},  # C3 accessible but closed: never an alternative
        {"pos": b.at(10)},  # C4 partial
        {"pos": b.at(20)},  # C5 unknown: gets no alternative
    )
    centres.loc[2, "status"] = "closed"
    access = pd.DataFrame(
        {
            "centre_id": ["C1", "C2", "C3", "C4", "C5"],
            "access_status": ["inaccessible", "accessible", "accessible", "partial", "unknown"],
        }
    )
    got = nearest_accessible(centres, access)
    found = got["nearest_accessible_centre_id"]
    assert found.fillna("-").tolist() == ["C2", "-", "-", "C2", "-"]
    np.testing.assert_allclose(
        got["nearest_accessible_km"].to_numpy(), [4, np.nan, np.nan, 6, np.nan], rtol=1e-4
    )


def test_nearest_accessible_is_missing_when_none_is_accessible():
    centres = b.centres({"pos": b.at(0)}, {"pos": b.at(1)})
    access = pd.DataFrame({"centre_id": ["C1", "C2"], "access_status": ["inaccessible"] * 2})
    got = nearest_accessible(centres, access)
    assert got["nearest_accessible_centre_id"].isna().all()
    assert got["nearest_accessible_km"].isna().all()


def test_share_of_voters_at_accessible_open_centres():
    centres = b.centres(
        {"registered_voters": 3000},
        {"registered_voters": 1000},
        {"registered_voters": 5000, "status": "closed"},
    )
    access = pd.DataFrame(
        {"centre_id": ["C1", "C2", "C3"], "access_status": ["accessible", "unknown", "accessible"]}
    )
    assert share_voters_accessible(centres, access) == pytest.approx(0.75)


def test_share_is_nan_without_voters():
    centres = b.centres({"registered_voters": 0})
    access = pd.DataFrame({"centre_id": ["C1"], "access_status": ["accessible"]})
    assert np.isnan(share_voters_accessible(centres, access))


def test_audits_without_answer_columns_get_a_clear_message():
    audits = b.audits({}).drop(columns=["ground_floor_voting"])
    with pytest.raises(InputError, match="'ground_floor_voting'.*Data page"):
        derive_access_status(audits)
