import pytest

from geo.errors import AccessDeniedError
from geo.permissions import ROLE_PERMISSIONS, ROLES, Viewer, parse_role, require


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", True),
        ("planner", True),
        ("operator", True),
        ("analyst", False),
        ("liaison", False),
        ("briefer", False),
        ("viewer", False),
    ],
)
def test_only_admins_planners_and_operators_see_unit_positions(role, allowed):
    assert Viewer("x", role).can_see_unit_positions is allowed


def test_every_role_has_an_entry_in_the_matrix():
    assert set(ROLE_PERMISSIONS) == set(ROLES)


def test_viewer_role_grants_nothing_beyond_reading_aggregates():
    assert ROLE_PERMISSIONS["viewer"] == frozenset()


def test_require_names_viewer_role_and_action():
    expected = r"Amal \(role 'briefer'\) may not see unit positions"
    with pytest.raises(AccessDeniedError, match=expected):
        require(Viewer("Amal", "briefer"), "see_unit_positions")


def test_require_passes_silently_when_allowed():
    require(Viewer("Omar", "planner"), "plan")


def test_parse_role_lists_valid_roles_on_error():
    assert parse_role("analyst") == "analyst"
    with pytest.raises(
        ValueError, match="use one of admin, planner, operator, analyst, liaison, briefer, viewer"
    ):
        parse_role("boss")


@pytest.mark.parametrize(
    ("role", "board", "operate"),
    [
        ("admin", True, True),
        ("planner", True, False),
        ("operator", True, True),
        ("analyst", False, False),
        ("liaison", True, False),
        ("briefer", False, False),
        ("viewer", False, False),
    ],
)
def test_election_day_roles_operator_acts_and_liaison_only_watches(role, board, operate):
    viewer = Viewer("x", role)
    assert viewer.can("see_operations") is board
    assert viewer.can("operate") is operate


def test_operator_and_liaison_touch_nothing_outside_the_operations_room():
    assert ROLE_PERMISSIONS["operator"] == {"see_unit_positions", "see_operations", "operate"}
    assert ROLE_PERMISSIONS["liaison"] == {"see_operations"}
