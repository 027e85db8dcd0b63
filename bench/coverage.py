"""Time the whole per-centre analysis at national size, ×10 and ×100, against geopandas.

Run ``python bench/coverage.py`` (the demo generator, ``geo.demo.build_demo``) or
``python bench/coverage.py --synthetic`` (random centres, units and incidents around Libya's
towns, sizes below). Figures are printed, never asserted. Targets: national under 0.2 s,
×100 under 10 s, at least 20× faster than a straightforward ``sjoin_nearest``/``sjoin``
implementation of the nearest-unit distances, incidents within 10 km and reachability.

The baseline runs only up to ``--baseline-max-scale`` (10): at ×100 the synthetic layers hold
about 210 million centre–incident pairs within 10 km, which ``sjoin`` materialises as frames
and which ran this 23 GB machine out of memory.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.coverage import CoverageParams, analyse_coverage  # noqa: E402
from geo.demo import build_demo  # noqa: E402
from geo.distance import (  # noqa: E402
    LIBYA_LCC,
    any_within,
    nearest,
    points_xy,
    sum_within,
)
from geo.risk import RiskWeights  # noqa: E402
from geo.schema import CRS, INCIDENT_CATEGORIES  # noqa: E402

#: Towns (name, lon, lat, population in thousands, spread in km) around which synthetic
#: points fall, in proportion to population.
TOWNS: tuple[tuple[str, float, float, float, float], ...] = (
    ("Tripoli", 13.19, 32.89, 1150, 9.0),
    ("Benghazi", 20.07, 32.12, 650, 7.0),
    ("Misrata", 15.09, 32.38, 400, 6.0),
    ("Zawiya", 12.73, 32.76, 200, 4.0),
    ("Bayda", 21.74, 32.76, 250, 4.0),
    ("Zliten", 14.57, 32.47, 200, 4.0),
    ("Khoms", 14.26, 32.65, 200, 4.0),
    ("Tarhuna", 13.63, 32.43, 100, 4.0),
    ("Gharyan", 13.02, 32.17, 180, 4.0),
    ("Zuwara", 12.08, 32.93, 90, 3.0),
    ("Sabratha", 12.49, 32.79, 100, 3.0),
    ("Ajdabiya", 20.22, 30.76, 140, 4.0),
    ("Tobruk", 23.96, 32.08, 140, 4.0),
    ("Derna", 22.64, 32.76, 100, 3.0),
    ("Marj", 20.88, 32.49, 100, 3.0),
    ("Sirte", 16.59, 31.21, 130, 4.0),
    ("Bani Walid", 14.00, 31.76, 90, 3.0),
    ("Sabha", 14.43, 27.04, 130, 4.0),
    ("Ubari", 12.78, 26.59, 40, 3.0),
    ("Murzuq", 13.92, 25.92, 40, 3.0),
    ("Ghat", 10.17, 24.96, 25, 2.0),
    ("Kufra", 23.31, 24.18, 50, 3.0),
    ("Nalut", 10.98, 31.87, 60, 3.0),
    ("Zintan", 12.25, 31.93, 50, 3.0),
    ("Yafran", 12.53, 32.06, 70, 3.0),
    ("Ghadames", 9.50, 30.13, 15, 2.0),
    ("Jalu", 21.57, 29.03, 30, 2.0),
    ("Hun", 15.95, 29.12, 30, 2.0),
    ("Brak", 14.27, 27.55, 40, 2.0),
    ("Tajura", 13.35, 32.88, 200, 4.0),
)


def synthetic_sizes(scale: float) -> tuple[int, int, int]:
    """Centres, units and incidents at ``scale``: 1,900/2,300/500 at 1, as issue 4 gives ×100.

    Centres grow with the scale, units with its square root and incidents with its 0.95th
    power, which gives about 190,000 centres, 23,000 units and 40,000 incidents at ×100.
    """
    return round(1_900 * scale), round(2_300 * scale**0.5), round(500 * scale**0.95)


def _scatter(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return lon, lat and town index of ``n`` points around the towns, by population."""
    weights = np.array([t[3] for t in TOWNS], dtype=float)
    town = rng.choice(len(TOWNS), size=n, p=weights / weights.sum())
    lon0 = np.array([t[1] for t in TOWNS])[town]
    lat0 = np.array([t[2] for t in TOWNS])[town]
    spread_km = np.array([t[4] for t in TOWNS])[town] * rng.uniform(0.3, 2.5, n)
    north = rng.normal(0, 1, n) * spread_km
    east = rng.normal(0, 1, n) * spread_km
    lat = lat0 + north / 111.0
    lon = lon0 + east / (111.0 * np.cos(np.radians(lat0)))
    return lon, lat, town


def synthetic_layers(scale: float, *, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Random centres, units, incidents, audits and municipalities (:func:`synthetic_sizes`)."""
    rng = np.random.default_rng(seed)
    n_centres, n_units, n_incidents = synthetic_sizes(scale)
    lon, lat, town = _scatter(rng, n_centres)
    pcode = np.array([f"LY{1 + i // 10:02d}{i % 10:02d}01" for i in range(len(TOWNS))])
    male = rng.integers(1, 5, n_centres)
    female = rng.integers(0, 4, n_centres)
    mixed = rng.integers(0, 2, n_centres)
    ids = np.array([f"{i:06d}" for i in range(n_centres)])
    centres = gpd.GeoDataFrame(
        {
            "centre_id": pd.array(ids, dtype="str"),
            "municipality_pcode": pd.array(pcode[town], dtype="str"),
            "stations_male": pd.array(male, dtype="Int64"),
            "stations_female": pd.array(female, dtype="Int64"),
            "stations_mixed": pd.array(mixed, dtype="Int64"),
            "registered_voters": pd.array(
                (male + female + mixed) * rng.integers(200, 550, n_centres), dtype="Int64"
            ),
            "status": pd.array(np.where(rng.random(n_centres) < 0.02, "closed", "open")),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=CRS,
    )
    ulon, ulat, _ = _scatter(rng, n_units)
    kinds = rng.choice(
        ["static_guard", "patrol", "rapid_response", "checkpoint"],
        n_units,
        p=[0.6, 0.25, 0.05, 0.1],
    )
    assigned = np.where(
        (kinds == "static_guard") & (rng.random(n_units) < 0.7),
        ids[rng.integers(0, n_centres, n_units)],
        None,
    )
    officers = rng.integers(2, 12, n_units)
    radius = np.where(rng.random(n_units) < 0.1, 15.0, np.nan)
    units = gpd.GeoDataFrame(
        {
            "unit_id": pd.array([f"U{i}" for i in range(n_units)], dtype="str"),
            "unit_type": pd.array(kinds, dtype="str"),
            "assigned_centre_id": pd.array(assigned, dtype="str"),
            "officers": pd.array(officers, dtype="Int64"),
            "female_officers": pd.array(rng.integers(0, 3, n_units), dtype="Int64"),
            "response_radius_km": radius,
        },
        geometry=gpd.points_from_xy(ulon, ulat),
        crs=CRS,
    )
    ilon, ilat, itown = _scatter(rng, n_incidents)
    dates = pd.Timestamp("2025-06-30") - pd.to_timedelta(
        rng.integers(0, 4 * 365, n_incidents), unit="D"
    )
    incidents = gpd.GeoDataFrame(
        {
            "incident_id": pd.array([f"I{i}" for i in range(n_incidents)], dtype="str"),
            "date": dates.astype("datetime64[ms]"),
            "election": pd.array(
                rng.choice(["municipal 2024 phase 1", "municipal 2025 phase 2"], n_incidents),
                dtype="str",
            ),
            "category": pd.array(rng.choice(INCIDENT_CATEGORIES, n_incidents), dtype="str"),
            "severity": pd.array(rng.integers(1, 6, n_incidents), dtype="Int64"),
            "centre_id": pd.array(
                np.where(
                    rng.random(n_incidents) < 0.1,
                    ids[rng.integers(0, n_centres, n_incidents)],
                    None,
                ),
                dtype="str",
            ),
            "municipality_pcode": pd.array(pcode[itown], dtype="str"),
        },
        geometry=gpd.points_from_xy(ilon, ilat),
        crs=CRS,
    )
    audited = rng.random(n_centres) < 0.4
    answers = rng.choice([True, False, None], (2, int(audited.sum())), p=[0.5, 0.3, 0.2])
    audits = pd.DataFrame(
        {
            "audit_id": pd.array([f"A{i}" for i in range(int(audited.sum()))], dtype="str"),
            "centre_id": pd.array(ids[audited], dtype="str"),
            "audit_date": pd.Timestamp("2025-01-15"),
            "step_free_entrance": pd.array(answers[0], dtype="boolean"),
            "ground_floor_voting": pd.array(answers[1], dtype="boolean"),
        }
    )
    municipalities = pd.DataFrame(
        {"pcode": pcode, "name_en": [t[0] for t in TOWNS], "district_pcode": [p[:6] for p in pcode]}
    )
    return {
        "centres": centres,
        "units": units,
        "incidents": incidents,
        "access_audits": audits,
        "municipalities": municipalities,
    }


def demo_layers(scale: float, *, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Build the demo workspace (``geo.demo.build_demo``) at ``scale``."""
    return build_demo(seed=seed, scale=scale)


def baseline(layers: dict[str, pd.DataFrame], params: CoverageParams, weights: RiskWeights):
    """Straightforward geopandas: sjoin_nearest per unit type, sjoin(dwithin) for the rest."""
    centres = layers["centres"]
    centres = centres[centres["status"] != "closed"].reset_index(drop=True).to_crs(LIBYA_LCC)
    units = layers["units"].to_crs(LIBYA_LCC)
    incidents = layers["incidents"].to_crs(LIBYA_LCC)
    out = pd.DataFrame(index=centres.index)
    centres_only = centres[["centre_id", "geometry"]]
    for name, mask in (
        ("static", units["unit_type"] == "static_guard"),
        ("patrol", units["unit_type"] == "patrol"),
        ("rapid", units["unit_type"] == "rapid_response"),
        ("any", units["unit_type"].notna()),
    ):
        joined = gpd.sjoin_nearest(centres_only, units[mask][["geometry"]], distance_col="d")
        out[f"nearest_{name}_km"] = joined.groupby(level=0)["d"].min() / 1000.0
    responders = units[units["unit_type"].isin(["patrol", "rapid_response"])].copy()
    default = np.where(responders["unit_type"] == "patrol", params.patrol_radius_km, 30.0)
    own = responders["response_radius_km"].to_numpy(dtype=float)
    responders["reach_m"] = np.where(np.isfinite(own), own, default) * 1000 / params.circuity
    pairs = gpd.sjoin(
        centres_only,
        responders[["reach_m", "geometry"]],
        predicate="dwithin",
        distance=float(responders["reach_m"].max()),
    )
    dist = shapely.distance(
        pairs.geometry.to_numpy(), responders.geometry.loc[pairs["index_right"]].to_numpy()
    )
    out["reachable"] = (
        pd.Series(dist <= pairs["reach_m"].to_numpy(), index=pairs.index).groupby(level=0).any()
    )
    as_of = pd.Timestamp("2025-07-01")
    radius = weights.distance_km * 1000
    near = gpd.sjoin(
        centres_only,
        incidents[["date", "severity", "geometry"]],
        predicate="dwithin",
        distance=radius,
    )
    d = shapely.distance(
        near.geometry.to_numpy(), incidents.geometry.loc[near["index_right"]].to_numpy()
    )
    age = (as_of - near["date"]).dt.days.to_numpy()
    w = near["severity"].to_numpy(float) / 5 * 0.5 ** (age / weights.half_life_days)
    w = w * np.clip(1 - d / radius, 0, None) * (age >= 0)
    out["nearby"] = pd.Series(w, index=near.index).groupby(level=0).sum()
    return out


def core(layers: dict[str, pd.DataFrame], params: CoverageParams, weights: RiskWeights):
    """Compute the outputs of :func:`baseline` with the KD-trees and the cell list."""
    centres = layers["centres"]
    centres = centres[centres["status"] != "closed"].reset_index(drop=True)
    units, incidents = layers["units"], layers["incidents"]
    centre_xy, unit_xy = points_xy(centres), points_xy(units)
    kinds = units["unit_type"].to_numpy()
    out = {
        name: nearest(centre_xy, unit_xy[mask])[0]
        for name, mask in (
            ("static", kinds == "static_guard"),
            ("patrol", kinds == "patrol"),
            ("rapid", kinds == "rapid_response"),
            ("any", np.ones(len(units), dtype=bool)),
        )
    }
    responder = np.isin(kinds, ["patrol", "rapid_response"])
    own = units["response_radius_km"].to_numpy(dtype=float)
    default = np.where(kinds == "patrol", params.patrol_radius_km, params.rapid_radius_km)
    reach_m = np.where(np.isfinite(own), own, default) * 1000 / params.circuity
    out["reachable"] = any_within(centre_xy, unit_xy[responder], reach_m[responder])
    age = (pd.Timestamp("2025-07-01") - incidents["date"]).dt.days.to_numpy()
    w = incidents["severity"].to_numpy(float) / 5 * 0.5 ** (age / weights.half_life_days)
    out["nearby"] = sum_within(
        centre_xy, points_xy(incidents), w * (age >= 0), radius_m=weights.distance_km * 1000
    )[0][:, 0]
    return out


def _time(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> None:
    """Print timings of the analysis and the baseline for each scale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append", help="e.g. 1, 10, 100 (repeatable)")
    parser.add_argument("--synthetic", action="store_true", help="random layers, not the demo")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline-max-scale", type=float, default=10.0)
    args = parser.parse_args(argv)
    scales = args.scale or [1, 10, 100]
    params, weights = CoverageParams(), RiskWeights()
    print(
        "analysis: the whole per-centre table (analyse_coverage); core: the baseline's outputs\n"
        "(nearest static/patrol/rapid/any unit, reachability, incidents within 10 km) with\n"
        "KD-trees and the cell list; baseline: the same with sjoin_nearest/sjoin(dwithin).\n"
    )
    print(
        f"{'scale':>6} {'centres':>8} {'units':>7} {'incidents':>9} {'analysis s':>10} "
        f"{'core s':>8} {'baseline s':>10} {'base/analysis':>13} {'base/core':>9}"
    )
    for scale in scales:
        build = synthetic_layers if args.synthetic else demo_layers
        layers = build(scale, seed=args.seed)

        def analyse(layers: dict[str, pd.DataFrame] = layers) -> object:
            return analyse_coverage(
                layers["centres"],
                layers["units"],
                layers["incidents"],
                layers.get("access_audits"),
                layers.get("municipalities"),
                params=params,
                weights=weights,
                as_of="2025-07-01",
            )

        repeat = 3 if scale <= 10 else 1
        ours = _time(analyse, repeat=repeat)
        kernel = _time(lambda layers=layers: core(layers, params, weights), repeat=repeat)
        if scale <= args.baseline_max_scale:
            base = _time(lambda layers=layers: baseline(layers, params, weights), repeat=1)
            base_text = f"{base:10.2f} {base / ours:12.1f}× {base / kernel:8.1f}×"
        else:
            base_text = f"{'skipped':>10} {'':>13} {'':>9}"
        print(
            f"{scale:>6g} {len(layers['centres']):>8,} {len(layers['units']):>7,} "
            f"{len(layers['incidents']):>9,} {ours:10.3f} {kernel:8.3f} {base_text}",
            flush=True,
        )


if __name__ == "__main__":
    main()
