"""Time the maximal covering optimiser on the national demo and at ×10, against spopt.

Run ``python bench/plan.py`` (the national and ×10 demos are built in memory, seed 7, as
``python -m geo demo`` builds them). Figures are printed, never asserted. For each case:
time to build the coverage matrix and the reduced model, solve time (relaxation, rounding,
local search and branch and bound, within the time limit), objective, proven gap, and greedy
(with swaps) as a share of the best objective. Targets (issue 5): national optimal in under
2 s, ×10 optimal or gap under 0.5 % in under 30 s, greedy at least 98 % of the optimum.
``--p10 100,200,400`` tries more unit counts at ×10 (the issue's case is p = 200).

spopt's ``MCLP.from_cost_matrix`` builds the same model from a dense cost matrix and is
solved with the bundled CBC (PuLP) in the same run, with the same time limit for CBC (the
build has none). At ×10 the dense 19,000 × 2,000 build alone takes over two minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.coverage import CoverageParams, analyse_coverage  # noqa: E402
from geo.demo import build_demo  # noqa: E402
from geo.distance import pairs_within, points_xy  # noqa: E402
from geo.optimise import coverage_matrix, demand_weights, solve_max_coverage  # noqa: E402

AS_OF = "2025-09-01"


def instance(layers, candidates: int, seed: int = 1):
    centres, units = layers["centres"], layers["units"]
    cov = analyse_coverage(
        centres, units, layers["incidents"], layers["access_audits"], as_of=AS_OF
    )
    table = cov.centres
    xy = points_xy(centres.set_index("centre_id").loc[table["centre_id"]].reset_index())
    rng = np.random.default_rng(seed)
    sites = xy[np.sort(rng.choice(len(xy), candidates, replace=False))]
    weights = demand_weights(
        table["registered_voters"].to_numpy(float),
        table["risk_score"].to_numpy(float),
        by_voters=True,
        by_risk=True,
        risk_factor=1.0,
    )
    return xy, sites, weights


def run_case(label, xy, sites, weights, p, *, time_limit_s, spopt):
    params = CoverageParams()
    reach_m = params.patrol_radius_km * 1000.0 / params.circuity
    started = time.perf_counter()
    matrix = coverage_matrix(xy, sites, radius_m=reach_m)
    matrix_s = time.perf_counter() - started
    exact = solve_max_coverage(
        matrix, weights, n_sites=p, method="exact", time_limit_s=time_limit_s
    )
    greedy = solve_max_coverage(matrix, weights, n_sites=p, method="greedy")
    build = matrix_s + exact.build_time_s
    total = build + exact.solve_time_s
    gap = "n/a" if exact.gap is None else f"{exact.gap:.4%}"
    print(
        f"{label:<28} {len(xy):>6,} × {len(sites):>5,} p={p:<4} pairs {matrix.nnz:>9,} "
        f"groups {exact.groups:>6,}  build {build:6.2f} s  solve {exact.solve_time_s:6.2f} s  "
        f"total {total:6.2f} s  {exact.status:<10} gap {gap:>8}  objective {exact.objective:,.0f}  "
        f"greedy {greedy.objective / exact.objective:.2%} in {greedy.solve_time_s:.2f} s"
    )
    if spopt:
        spopt_s, spopt_objective = run_spopt(xy, sites, weights, p, reach_m, time_limit_s)
        print(
            f"{'':<28} spopt MCLP.from_cost_matrix + CBC: {spopt_s:6.2f} s, objective "
            f"{spopt_objective:,.0f} ({spopt_objective / exact.objective:.2%} of ours); ours is "
            f"{spopt_s / total:.1f}× faster"
        )


def run_spopt(xy, sites, weights, p, reach_m, time_limit_s):
    import pulp
    from spopt.locate import MCLP

    started = time.perf_counter()
    cost = np.full((len(xy), len(sites)), reach_m * 10.0)
    i, j, d = pairs_within(xy, sites, radius_m=reach_m)
    cost[i, j] = d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MCLP.from_cost_matrix(cost, weights, service_radius=reach_m, p_facilities=p)
        model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s))
    elapsed = time.perf_counter() - started
    covered = np.zeros(len(xy), dtype=bool)
    for site, points in enumerate(model.fac2cli):
        if points:
            covered[np.asarray(points)] = True
        del site
    return elapsed, float(weights[covered].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--p10", default="200", help="unit counts at ×10, comma-separated")
    parser.add_argument(
        "--time-limit", type=float, default=20.0, help="seconds per exact solve (app default)"
    )
    parser.add_argument("--no-spopt", action="store_true", help="skip the spopt comparison")
    args = parser.parse_args()

    cases = (  # label, scale, candidates, unit counts
        ("national demo", 1, 500, (50, 250)),
        ("×10 demo", 10, 2000, tuple(int(value) for value in args.p10.split(","))),
    )
    for label, scale, candidates, counts in cases:
        xy, sites, weights = instance(build_demo(seed=7, scale=scale), candidates)
        for p in counts:
            run_case(
                label, xy, sites, weights, p, time_limit_s=args.time_limit, spopt=not args.no_spopt
            )


if __name__ == "__main__":
    main()
