"""Maximal covering location: hand-solved instances, properties, the adapter and its errors."""

import itertools
import shutil
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from geo.coverage import analyse_coverage
from geo.errors import InfeasiblePlanError, InputError
from geo.optimise import (
    PlanRequest,
    _budgets,
    _counts,
    _covered_weight,
    _improve_by_swaps,
    _local_search,
    _reduce,
    _round,
    candidate_sites,
    coverage_matrix,
    parse_district_counts,
    parse_site_ids,
    plan_units,
    read_candidates,
    solve_max_coverage,
)
from tests.geo.builders import at, centres, units

# Four candidates A-D and six demand points 1-6 (weights 10, 10, 10, 10, 12, 12):
# A reaches {1, 2, 3, 4} (40), B {1, 2, 5} (32), C {3, 4, 6} (32), D {5} (12).
# Pairs: AB 52, AC 52, AD 52, BC 64, BD 32, CD 44, so with p = 2 the optimum is B + C = 64.
# Greedy takes A (40) first, then any of B, C, D adds 12: 52. One swap (A -> C or B) gives 64.
REACH = {0: [0, 1, 2, 3], 1: [0, 1, 4], 2: [2, 3, 5], 3: [4]}
WEIGHTS = np.array([10, 10, 10, 10, 12, 12], dtype=float)


def reach_matrix(reach: dict[int, list[int]], n_points: int) -> sparse.csr_array:
    rows = [i for j in reach for i in reach[j]]
    cols = [j for j in reach for _ in reach[j]]
    return sparse.csr_array((np.ones(len(rows), bool), (rows, cols)), shape=(n_points, len(reach)))


def hand_matrix() -> sparse.csr_array:
    return reach_matrix(REACH, 6)


def brute_force(matrix: sparse.csr_array, w: np.ndarray, p: int) -> float:
    """The optimum by enumerating every set of p sites."""
    return max(
        w[matrix[:, list(c)].toarray().any(axis=1)].sum()
        for c in itertools.combinations(range(matrix.shape[1]), p)
    )


def reduced(matrix: sparse.csr_array, w: np.ndarray, p: int):
    """The solver's reduced model of a one-block instance with nothing kept."""
    none = np.array([], dtype=np.intp)
    block, budget = _budgets(p, none, np.zeros(matrix.shape[1], dtype=np.intp), {})
    return _reduce(matrix, w, none, block, budget)


def test_exact_solver_finds_the_optimum_derived_on_paper():
    solution = solve_max_coverage(hand_matrix(), WEIGHTS, n_sites=2, method="exact")
    assert solution.selected.tolist() == [1, 2]
    assert solution.objective == 64
    assert solution.status == "optimal"
    assert solution.gap == 0
    assert solution.upper_bound == pytest.approx(64)
    assert solution.covered.all()


def test_plain_greedy_stops_at_52_as_on_paper():
    solution = solve_max_coverage(
        hand_matrix(), WEIGHTS, n_sites=2, method="greedy", max_swap_rounds=0
    )
    assert 0 in solution.selected
    assert solution.objective == 52
    assert solution.status == "heuristic"
    assert solution.gap is None


def test_swap_improvement_lifts_greedy_to_the_optimum():
    solution = solve_max_coverage(hand_matrix(), WEIGHTS, n_sites=2, method="greedy")
    assert solution.selected.tolist() == [1, 2]
    assert solution.objective == 64


def test_one_site_takes_the_heaviest_set_and_a_kept_site_stays():
    assert solve_max_coverage(hand_matrix(), WEIGHTS, n_sites=1).selected.tolist() == [0]
    kept = solve_max_coverage(hand_matrix(), WEIGHTS, n_sites=2, fixed=[3])
    # D is kept; the best partner is A (40 + 12 = 52), not B (32) or C (44).
    assert kept.selected.tolist() == [0, 3]
    assert kept.objective == 52


def test_a_block_with_its_own_number_of_sites_is_respected():
    # Block 0 = {A, B} must get exactly one site, block 1 = {C, D} the other.
    solution = solve_max_coverage(
        hand_matrix(), WEIGHTS, n_sites=2, site_block=np.array([0, 0, 1, 1]), block_sites={0: 1}
    )
    assert solution.selected.tolist() == [1, 2]
    forced = solve_max_coverage(
        hand_matrix(), WEIGHTS, n_sites=2, site_block=np.array([0, 0, 1, 1]), block_sites={1: 2}
    )
    assert forced.selected.tolist() == [2, 3]
    assert forced.objective == 44


def test_sites_beyond_what_adds_coverage_are_still_placed():
    solution = solve_max_coverage(hand_matrix(), WEIGHTS, n_sites=4)
    assert solution.selected.tolist() == [0, 1, 2, 3]
    assert solution.objective == 64


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_sites": 5}, "only 4 candidate sites"),
        ({"n_sites": 1, "fixed": [0, 1]}, "2 sites are kept but only 1"),
        ({"n_sites": 2, "site_block": np.array([0, 0, 1, 1]), "block_sites": {0: 3}}, "more than"),
        (
            {"n_sites": 2, "site_block": np.array([0, 0, 1, 1]), "block_sites": {0: 1, 1: 2}},
            "add up",
        ),
    ],
)
def test_infeasible_requests_say_why(kwargs, message):
    with pytest.raises(InfeasiblePlanError, match=message):
        solve_max_coverage(hand_matrix(), WEIGHTS, **kwargs)


def test_nonsense_numbers_are_input_errors():
    with pytest.raises(InputError, match="whole number"):
        solve_max_coverage(hand_matrix(), WEIGHTS, n_sites=-1)
    with pytest.raises(InputError, match="≥ 0"):
        solve_max_coverage(hand_matrix(), -WEIGHTS, n_sites=1)
    with pytest.raises(InputError, match="one each"):
        solve_max_coverage(hand_matrix(), WEIGHTS[:3], n_sites=1)


def test_no_site_within_reach_is_infeasible():
    empty = sparse.csr_array((6, 4), dtype=bool)
    with pytest.raises(InfeasiblePlanError, match="within reach"):
        solve_max_coverage(empty, WEIGHTS, n_sites=1)


def test_coverage_matrix_uses_straight_distance_within_the_radius():
    demand = np.array([[0.0, 0.0], [3000.0, 0.0], [12000.0, 0.0]]) + [0, 3.6e5]
    matrix = coverage_matrix(demand, np.array([[0.0, 3.6e5]]), radius_m=10000 / 1.3)
    assert matrix.toarray().ravel().tolist() == [True, True, False]


@st.composite
def instances(draw):
    n = draw(st.integers(3, 14))
    m = draw(st.integers(2, 7))
    cells = draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m))
    weights = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n))
    matrix = np.array(cells).reshape(n, m)
    matrix[0, 0] = True  # at least one pair, so the request is never void
    w = np.array(weights, float)
    w[0] = max(w[0], 1.0)
    return sparse.csr_array(matrix), w


@settings(max_examples=30, deadline=None)
@given(instances(), st.data())
def test_optimal_objective_never_decreases_when_p_grows(instance, data):
    matrix, w = instance
    m = matrix.shape[1]
    p = data.draw(st.integers(1, m - 1))
    smaller = solve_max_coverage(matrix, w, n_sites=p, method="exact")
    larger = solve_max_coverage(matrix, w, n_sites=p + 1, method="exact")
    assert larger.objective >= smaller.objective - 1e-9
    brute = brute_force(matrix, w, p)
    assert smaller.objective == pytest.approx(brute)


@settings(max_examples=30, deadline=None)
@given(instances(), st.data())
def test_kept_sites_are_always_in_the_solution(instance, data):
    matrix, w = instance
    m = matrix.shape[1]
    p = data.draw(st.integers(1, m))
    kept = data.draw(st.lists(st.integers(0, m - 1), max_size=p, unique=True))
    for method in ("exact", "greedy"):
        solution = solve_max_coverage(matrix, w, n_sites=p, fixed=kept, method=method)
        assert set(kept) <= set(solution.selected.tolist())
        assert len(solution.selected) == p


# Points a-e (weights 10, 10, 10, 10, 5); X reaches {a, b, e}, Y {c, d, e}, Z {a, c},
# W {b, d}. With p = 2: XY 45, ZW 40, and each pair one swap away from ZW (XW, XZ, YW, YZ)
# covers three of a-d plus e, 35. So {Z, W} is a swap-local optimum 5 below the optimum.
STUCK = {0: [0, 1, 4], 1: [2, 3, 4], 2: [0, 2], 3: [1, 3]}
STUCK_WEIGHTS = np.array([10, 10, 10, 10, 5], dtype=float)


def test_local_search_escapes_a_swap_local_optimum():
    model = reduced(reach_matrix(STUCK, 5), STUCK_WEIGHTS, 2)
    # The reduction keeps all four sites in their order (each reaches demand).
    assert model.columns.tolist() == [0, 1, 2, 3]
    start = np.array([False, False, True, True])  # Z + W = 40
    stuck = _improve_by_swaps(
        model.matrix,
        model.weight,
        start.copy(),
        _counts(model.matrix, start),
        model.column_block,
        10,
        time.perf_counter() + 10,
    )
    assert stuck.tolist() == start.tolist()
    assert _covered_weight(model, stuck) == 40
    moved = _local_search(model, start, max_rounds=10, deadline=time.perf_counter() + 10)
    assert moved.tolist() == [True, True, False, False]
    assert _covered_weight(model, moved) == 45
    assert start.tolist() == [False, False, True, True]  # the start is not changed in place


def test_relaxation_rounds_to_the_paper_optimum():
    # The hand instance's relaxation: B = C = 1 covers everything (64), no fraction helps.
    model = reduced(hand_matrix(), WEIGHTS, 2)
    chosen = _round(model, np.array([0.0, 1.0, 1.0, 0.0]), 10, time.perf_counter() + 10)
    assert model.columns[chosen].tolist() == [1, 2]
    # Half of everything rounds to the two largest x, ties by index (A, B), then swaps: B, C.
    halves = _round(model, np.full(4, 0.5), 10, time.perf_counter() + 10)
    assert model.columns[halves].tolist() == [1, 2]


@settings(max_examples=30, deadline=None)
@given(instances(), st.data())
def test_the_bound_holds_when_time_runs_out_before_branch_and_bound(instance, data):
    # A time limit too short for branch and bound: the answer rests on the relaxation's
    # bound, which must still lie above the true optimum (found here by enumeration).
    matrix, w = instance
    m = matrix.shape[1]
    p = data.draw(st.integers(1, m - 1))
    solution = solve_max_coverage(matrix, w, n_sites=p, method="exact", time_limit_s=1e-6)
    brute = brute_force(matrix, w, p)
    assert solution.upper_bound is not None
    assert solution.objective <= brute + 1e-9
    assert brute <= solution.upper_bound * (1 + 1e-7)  # simplex tolerances
    assert solution.gap == pytest.approx(
        (solution.upper_bound - solution.objective) / solution.upper_bound
    )
    assert solution.status in ("optimal", "time_limit")
    if solution.status == "optimal":
        assert solution.objective == pytest.approx(brute, rel=1e-4)


# -- the adapter on tiny layers -----------------------------------------------------------


@pytest.fixture
def town():
    """Three centres east of Tripoli at 0, 6 and 30 km; a patrol at 0 km."""
    c = centres(
        {"pos": at(0), "registered_voters": 1000},
        {"pos": at(6), "registered_voters": 500},
        {"pos": at(30), "registered_voters": 800},
    )
    u = units({"pos": at(0.5)}, {"unit_type": "static_guard", "assigned_centre_id": "C1"})
    return c, u, analyse_coverage(c, u, None, None)


def test_one_patrol_goes_where_it_reaches_most_voters(town):
    c, u, cov = town
    request = PlanRequest(count=1, weight_by_risk=False)
    plan = plan_units(c, u, cov, candidate_sites("centres", centres=c), request=request)
    # From C1 or C2 (6 km apart, 10 road-km = 7.7 km straight) both reach 1,500 voters.
    assert plan.voters_covered_after == 1500
    assert plan.sites["site_id"].iloc[0] in {"C1", "C2"}
    assert plan.voters_covered_before == 1500
    assert plan.solution.status == "optimal"


def test_kept_units_stay_and_count_on_top(town):
    c, u, cov = town
    request = PlanRequest(count=1, keep_existing=True, weight_by_risk=False)
    plan = plan_units(c, u, cov, candidate_sites("centres", centres=c), request=request)
    assert set(plan.sites["site_id"]) == {"U1", "C3"}
    assert plan.sites.set_index("site_id").loc["U1", "kept"]
    assert plan.voters_covered_after == 2300


def test_too_many_units_and_unreachable_candidates_are_explained(town):
    c, u, cov = town
    sites = candidate_sites("centres", centres=c)
    with pytest.raises(InfeasiblePlanError, match="only 3 candidate sites are free"):
        plan_units(c, u, cov, sites, request=PlanRequest(count=4))
    far = candidate_sites("centres", centres=centres({"pos": at(0, 200)}))
    with pytest.raises(InfeasiblePlanError, match="within 10 road-km"):
        plan_units(c, u, cov, far, request=PlanRequest(count=1))


def test_request_rejects_negative_numbers_with_every_reason():
    with pytest.raises(InputError, match="number of units.*radius"):
        PlanRequest(count=-1, radius_km=-5)


def test_candidate_csv_keeps_good_rows_and_reports_bad_ones():
    data = (
        b"site_id,lat,lon,name\n"
        b"S1,32.89,13.18,Base\n"
        b"S2,13.18,32.89,Swapped\n"
        b",32.1,13.1,No id\n"
        b"S1,32.2,13.2,Repeat\n"
        b"S5,abc,13.2,Bad lat\n"
    )
    found = read_candidates(data, file_name="sites.csv")
    assert found.sites["site_id"].tolist() == ["S1"]
    rows = {p.row: p.message for p in found.report.errors}
    assert set(rows) == {3, 4, 5, 6}
    assert "swapped" in rows[3]
    assert found.rejected["row"].tolist() == [3, 4, 5, 6]


def test_candidate_csv_without_coordinates_names_the_file():
    with pytest.raises(InputError, match="sites.csv: a latitude column"):
        read_candidates(b"site_id,lon\nS1,13.1\n", file_name="sites.csv")


def test_text_inputs_parse_ids_and_district_numbers():
    assert parse_site_ids("C1, C2;C3  C1") == ("C1", "C2", "C3")
    assert parse_district_counts("LY-TB=5, LY-BA=3") == (("LY-TB", 5), ("LY-BA", 3))
    with pytest.raises(InputError, match="P-CODE=number"):
        parse_district_counts("LY-TB five")


def test_plan_command_writes_sites_and_prints_objective_status_and_gap(
    demo_workspace, tmp_path, capsys
):
    from geo.cli import main

    out = tmp_path / "sites.csv"
    workspace = tmp_path / "demo.gpkg"  # the export records itself in the audit log
    shutil.copyfile(demo_workspace, workspace)
    argv = ["plan", "--workspace", str(workspace), "--count", "12", "--out", str(out)]
    assert main([*argv, "--as-of", "2025-09-01"]) == 0
    printed = capsys.readouterr().out
    assert "objective:" in printed
    assert "status: optimal (exact); gap: 0.0000%" in printed
    sites = pd.read_csv(out, encoding="utf-8-sig", dtype={"site_id": str})
    assert len(sites) == 12
    assert {"site_id", "demand_in_reach", "sole_demand", "lon", "lat"} <= set(sites.columns)


def test_plan_command_explains_an_impossible_count(demo_workspace, tmp_path, capsys):
    from geo.cli import main

    argv = ["plan", "--workspace", str(demo_workspace), "--count", "99999"]
    assert main([*argv, "--out", str(tmp_path / "x.csv")]) == 2
    assert "candidate sites are free" in capsys.readouterr().err


# -- what the change in voters within reach is measured against ----------------------------


def test_a_plan_without_kept_units_says_it_replaces_todays(town):
    c, u, cov = town
    request = PlanRequest(count=1, weight_by_risk=False)
    plan = plan_units(c, u, cov, candidate_sites("centres", centres=c), request=request)
    # Today's patrol at 0.5 km reaches C1 and C2 (1,500 voters); so does the plan's one.
    assert plan.units_today == 1
    assert plan.voters_change == 0
    assert plan.baseline == "today's 1 patrol at the same 10 road-km reach"
    assert plan.change_sentence == (
        "Voters within reach: 1,500 with the plan, against 1,500 with today's 1 patrol at "
        "the same 10 road-km reach. The plan's 1 patrol replaces them (keep existing units "
        "is off)."
    )


def test_a_plan_keeping_todays_units_says_it_adds_to_them(town):
    c, u, cov = town
    request = PlanRequest(count=1, keep_existing=True, weight_by_risk=False)
    plan = plan_units(c, u, cov, candidate_sites("centres", centres=c), request=request)
    assert plan.voters_change == 800  # C3, 30 km away, gets the new patrol
    assert plan.change_sentence.endswith(
        "today's 1 patrol at the same 10 road-km reach. The plan keeps them where they "
        "stand and adds 1 patrol."
    )


def test_a_plan_keeping_some_units_says_which_are_left_out():
    c = centres({"pos": at(0)}, {"pos": at(30)}, {"pos": at(60)})
    u = units({"pos": at(0)}, {"pos": at(30)})
    cov = analyse_coverage(c, u, None, None)
    request = PlanRequest(count=2, keep_unit_ids=("U1",), weight_by_risk=False)
    plan = plan_units(c, u, cov, candidate_sites("centres", centres=c), request=request)
    assert plan.voters_covered_before == 2000
    assert plan.voters_covered_after == 3000
    assert plan.change_sentence.endswith(
        "The plan keeps 1 of them where they stand, leaves out the other 1 and adds 2 patrols."
    )


def test_a_plan_from_scratch_is_measured_against_no_unit():
    # 20 km apart = 26 road-km: one rapid-response unit (30 road-km) at either reaches both.
    c = centres({"pos": at(0)}, {"pos": at(20)})
    guard = units({"unit_type": "static_guard", "assigned_centre_id": "C1"})
    for today in (guard, guard.iloc[:0]):
        cov = analyse_coverage(c, today, None, None, units_required=False)
        request = PlanRequest(unit_type="rapid_response", count=1, weight_by_risk=False)
        plan = plan_units(c, today, cov, candidate_sites("centres", centres=c), request=request)
        assert plan.units_today == 0
        assert plan.voters_covered_before == 0
        assert plan.voters_covered_after == 2000
        assert plan.change_sentence == (
            "Voters within reach: 2,000 with the plan, against 0 with no rapid-response unit "
            "(the workspace has none today). Every unit of the plan is new."
        )
