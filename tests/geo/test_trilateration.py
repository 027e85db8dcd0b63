"""The trilateration attack (issue 12): a briefer's exports must not locate units.

The attacker downloads every export a briefer may have of the national demo (GeoJSON,
GeoPackage, CSV tables, the Excel workbook) and reads the map's details panel of every
centre, then intersects every distance the numbers imply (``tests/trilateration.py``
says which). Fewer than 1 % of the units must lie within 1 km of a point it names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.permissions import Viewer
from geo.workspace import open_workspace
from tests.trilateration import attack, collect_exports

AS_OF = "2025-08-01"


@pytest.fixture(scope="module")
def briefer_attack(demo_workspace: Path):
    workspace = open_workspace(demo_workspace)
    exports = collect_exports(workspace, Viewer("b", "briefer"), as_of=AS_OF)
    return exports, attack(exports, workspace.layer("units"))


def test_attack_reads_the_briefers_exports(briefer_attack):
    exports, result = briefer_attack
    # The attack really ran: it read the centres, the numeric columns and the details panel
    # and tried hypotheses on them (an attack that reads nothing would trivially pass).
    assert len(exports.centres) > 1000
    assert exports.details_radius_km is not None
    assert result.hypotheses_tried > 10
    assert result.targets > 500


def test_briefers_exports_place_fewer_than_1_percent_of_units_within_1_km(briefer_attack):
    _, result = briefer_attack
    assert result.share < 0.01, (
        f"{result.located} of {result.targets} units placed within 1 km "
        f"({result.share:.1%}); by {result.located_by}; kept {result.hypotheses_kept}"
    )
