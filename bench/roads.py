"""Time the road network engine on Libya's OSM roads, against networkx, osmnx and pandana.

Run ``python bench/roads.py [--repeat 3]``. Figures are printed (median and range over the
repetitions), never asserted. Steps and targets (issue 18):

1. build the national graph from the fixture ``libya_roads.gpkg`` (24,942 lines): < 10 s;
2. snap the national demo's centres and mobile units: < 1 s;
3. nearest patrol or rapid-response unit for every centre (no limit): national < 1 s,
   ×10 (``geo.demo.build_demo(scale=10)``: 19,000 centres, 6,100 units) < 5 s;
4. coverage matrix ×10: 19,000 demand points × 2,000 candidate sites (centres drawn at
   random, as ``bench/plan.py`` does) within 15 minutes: < 15 s;
5. moving one unit (one row of that matrix recomputed): < 50 ms.

Baselines run in the same process, on the same graph and with the same repetitions:

* **networkx** 3.6.1 (pinned in requirements-dev.txt): a ``DiGraph`` of the very arcs of our
  graph, sources and spliced targets included, so the answers must agree (the maximum
  difference is printed); ``multi_source_dijkstra_path_length`` for step 3 and
  ``single_source_dijkstra_path_length(cutoff=15)`` per site for steps 4 and 5. Step 4 runs
  on a sample of sites and is scaled up to 2,000 (said in the output).
* **osmnx** 2.1.1: ``graph_from_gdfs`` (its graph is a networkx ``MultiDiGraph``; osmnx
  routes with networkx, so its routing is the networkx line) and ``nearest_edges`` for step 2.
* **pandana** 0.8 (contraction hierarchies, C++): a ``Network`` of the same arcs;
  ``nearest_pois`` on the reversed graph for step 3 (pandana measures from nodes to
  points of interest) and ``nodes_in_range`` for step 4. pandana snaps points to the
  nearest *node*, not onto edges; for a like-for-like comparison it is given our nodes
  (sources and targets are nodes of the graph), and its own snapping is timed apart.

Both osmnx and pandana installed from PyPI into the venv (pandana brings PyTables and
blosc2); they are pinned in the benchmark section of requirements-dev.txt.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.demo import build_demo  # noqa: E402
from geo.network import (  # noqa: E402
    ReachParams,
    _with_sources,
    build_network,
    nearest_travel_time,
    prepare_targets,
    snap_points,
    travel_times_within,
    update_travel_times,
)
from geo.roads import read_roads  # noqa: E402

FIXTURE = ROOT.parent / "shared/fixtures/real/osm_roads_lby_20210806/libya_roads.gpkg"
LIMIT_MIN = 15.0
CANDIDATES = 2_000
PATROL_KMH, RAPID_KMH = 40.0, 60.0


def timed(repeat: int, run: Callable[[], object]) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return times, result


def show(label: str, times: list[float], target_s: float | None = None, note: str = "") -> float:
    median = statistics.median(times)
    spread = f"{min(times):8.3f}–{max(times):.3f}"
    goal = f"  (target < {target_s:g} s)" if target_s is not None else ""
    print(f"  {label:<44} {median:8.3f} s  [{spread}]{goal}{note}")
    return median


def ratio(ours: float, other: float) -> str:
    if ours <= 0 or other <= 0:
        return ""
    if other >= ours:
        return f"  → ours {other / ours:,.1f}× faster"
    return f"  → ours {ours / other:,.1f}× slower"


def points_of(frame):
    return frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()


def mobile(units):
    keep = units["unit_type"].isin(["patrol", "rapid_response"]).to_numpy()
    speeds = np.where(units["unit_type"].to_numpy()[keep] == "patrol", PATROL_KMH, RAPID_KMH)
    return units[keep], speeds


def networkx_graph(graph):
    import networkx as nx

    return nx.from_scipy_sparse_array(graph, create_using=nx.DiGraph, edge_attribute="weight")


def pandana_network(graph, node_xy, *, reverse: bool):
    import pandas as pd
    from pandana import Network

    coo = graph.tocoo()
    start, end = (coo.col, coo.row) if reverse else (coo.row, coo.col)
    return Network(
        pd.Series(node_xy[:, 0]),
        pd.Series(node_xy[:, 1]),
        pd.Series(start),
        pd.Series(end),
        pd.DataFrame({"minutes": coo.data}),
        twoway=False,
    )


def graph_positions(network, split, sources, n_total):
    """Coordinates for every node of the graph with sources (pandana needs them)."""
    xy = np.zeros((n_total, 2))
    xy[: network.n_nodes] = network.node_xy
    on_t = np.flatnonzero(split.targets.on_network)
    xy[split.node[on_t]] = split.targets.road_xy[on_t]
    # A source node stands at the unit itself, so that pandana (which places points of
    # interest at the nearest node) puts each unit on its own node.
    xy[split.n_nodes :] = sources.xy[sources.on_network]
    return xy


def step_build(repeat: int):
    print("1. National graph from the fixture")
    read_s, roads = timed(1, lambda: read_roads(FIXTURE))
    show("read the GeoPackage (geo.roads.read_roads, once)", read_s)
    ours_s, network = timed(repeat, lambda: build_network(roads))
    ours = show("build_network (ours)", ours_s, 10)
    print(f"     {network.summary.describe()}")
    import networkx as nx

    (i, j, w) = network.arcs
    nx_s, _ = timed(
        repeat,
        lambda: nx.DiGraph([(a, b, {"weight": c}) for a, b, c in zip(i, j, w, strict=True)]),
    )
    show("networkx DiGraph from our arcs", nx_s, note=ratio(ours, statistics.median(nx_s)))
    ox_s, ox_graph = timed(repeat, lambda: osmnx_graph(network))
    show(
        "osmnx graph_from_gdfs (from our nodes and lines)",
        ox_s,
        note=ratio(ours, statistics.median(ox_s)),
    )
    pd_s, _ = timed(repeat, lambda: pandana_network(network.graph, network.node_xy, reverse=False))
    show(
        "pandana Network (contraction hierarchies)", pd_s, note=ratio(ours, statistics.median(pd_s))
    )
    return network, ox_graph


def osmnx_graph(network):
    import geopandas as gpd
    import osmnx as ox
    import pandas as pd

    from geo.distance import LIBYA_LCC

    nodes = gpd.GeoDataFrame(
        {"x": network.node_xy[:, 0], "y": network.node_xy[:, 1]},
        geometry=gpd.points_from_xy(network.node_xy[:, 0], network.node_xy[:, 1]),
        crs=LIBYA_LCC,
    )
    nodes.index.name = "osmid"
    two_way = ~network.line_oneway
    u = np.concatenate([network.line_u, network.line_v[two_way]])
    v = np.concatenate([network.line_v, network.line_u[two_way]])
    parts = network.lines.parts
    geometry = np.concatenate([parts, [g.reverse() for g in parts[two_way]]])
    minutes = np.concatenate([network.line_minutes, network.line_minutes[two_way]])
    index = pd.MultiIndex.from_arrays([u, v, np.zeros(len(u), dtype=int)], names=["u", "v", "key"])
    length = np.concatenate([network.lines.length_m, network.lines.length_m[two_way]])
    edges = gpd.GeoDataFrame(
        {"length": length, "minutes": minutes}, geometry=geometry, index=index, crs=LIBYA_LCC
    )
    edges = edges[~edges.index.duplicated()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ox.graph_from_gdfs(nodes, edges)


def step_snap(repeat, network, ox_graph, layers):
    print("2. Snap the national demo's centres and mobile units")
    centres = layers["centres"]
    units, _ = mobile(layers["units"])
    lon = np.concatenate([points_of(centres)[0], points_of(units)[0]])
    lat = np.concatenate([points_of(centres)[1], points_of(units)[1]])
    ours_s, snapped = timed(repeat, lambda: snap_points(network, lon, lat))
    ours = show(f"snap_points, {len(lon):,} points onto edges (ours)", ours_s, 1)
    off = int((~snapped.on_network).sum())
    print(
        f"     connector median {np.median(snapped.connector_km):.2f} km, "
        f"90th percentile {np.percentile(snapped.connector_km, 90):.1f} km; {off} of "
        f"{len(lon):,} farther than {ReachParams().max_connector_km:g} km (straight line)"
    )
    import osmnx as ox

    x, y = snapped.xy[:, 0], snapped.xy[:, 1]
    ox_s, _ = timed(repeat, lambda: ox.distance.nearest_edges(ox_graph, x, y))
    show(
        "osmnx nearest_edges (edge only, no position)",
        ox_s,
        note=ratio(ours, statistics.median(ox_s)),
    )
    pdn = pandana_network(network.graph, network.node_xy, reverse=False)
    import pandas as pd

    pd_s, _ = timed(repeat, lambda: pdn.get_node_ids(pd.Series(x), pd.Series(y)))
    show(
        "pandana get_node_ids (nearest node only)", pd_s, note=ratio(ours, statistics.median(pd_s))
    )


def step_nearest(repeat, network, layers, label, target_s):
    centres = layers["centres"]
    units, speeds = mobile(layers["units"])
    targets = snap_points(network, *points_of(centres))
    sources = snap_points(network, *points_of(units))
    print(f"3. Nearest unit per centre, {label}: {len(centres):,} centres, {len(units):,} units")

    def ours_run():
        return nearest_travel_time(
            network, sources, prepare_targets(network, targets), straight_speed_kmh=speeds
        )

    ours_s, result = timed(repeat, ours_run)
    ours = show("nearest_travel_time incl. splicing the targets (ours)", ours_s, target_s)
    models, counts = np.unique(result.model, return_counts=True)
    print("     " + ", ".join(f"{m}: {c:,}" for m, c in zip(models, counts, strict=True)))
    split = prepare_targets(network, targets)
    graph, nodes = _with_sources(split, sources, ReachParams())
    on_t = np.flatnonzero(targets.on_network)
    t_nodes = split.node[on_t]
    import networkx as nx

    dijkstra_s, ours_net = timed(
        repeat, lambda: _network_part(split, sources, graph, nodes, t_nodes)
    )
    core = show("  of which csgraph multi-source Dijkstra alone", dijkstra_s)
    build_s, g = timed(repeat, lambda: networkx_graph(graph))
    starts = {int(n) for n in nodes}
    nx_s, lengths = timed(repeat, lambda: nx.multi_source_dijkstra_path_length(g, starts))
    show(
        "networkx multi_source_dijkstra_path_length",
        nx_s,
        note=ratio(core, statistics.median(nx_s)) + " (Dijkstra against Dijkstra)",
    )
    both_s = [a + b for a, b in zip(build_s, nx_s, strict=True)]
    show(
        "networkx incl. building its graph from our arcs",
        both_s,
        note=ratio(ours, statistics.median(both_s)) + " (whole query)",
    )
    theirs = np.array([lengths.get(int(n), np.inf) for n in t_nodes])
    both = np.isfinite(theirs)
    gap = np.abs(ours_net[both] - theirs[both]).max()
    print(f"     networkx agrees with csgraph: max |difference| {gap:.2e} min")
    xy = graph_positions(network, split, sources, graph.shape[0])
    pdn = pandana_network(graph, xy, reverse=True)
    import pandas as pd

    def pandana_run():
        pdn.set_pois("unit", 10_000, 1, pd.Series(xy[nodes, 0]), pd.Series(xy[nodes, 1]))
        return pdn.nearest_pois(10_000, "unit", num_pois=1)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pd_s, found = timed(repeat, pandana_run)
    show(
        "pandana set_pois + nearest_pois (reversed graph)",
        pd_s,
        note=ratio(ours, statistics.median(pd_s)),
    )
    got = found[1].to_numpy()[t_nodes]
    ok = (got < 10_000) & both
    print(f"     pandana agrees: max |difference| {np.abs(got[ok] - theirs[ok]).max():.2e} min")


def _network_part(split, sources, graph, nodes, t_nodes):
    from scipy.sparse.csgraph import dijkstra

    dist = dijkstra(graph, directed=True, indices=nodes, min_only=True)
    return dist[t_nodes]


def step_matrix(repeat, network, layers, sample):
    centres = layers["centres"]
    rng = np.random.default_rng(1)
    sites = centres.iloc[np.sort(rng.choice(len(centres), CANDIDATES, replace=False))]
    targets = prepare_targets(network, snap_points(network, *points_of(centres)))
    sources = snap_points(network, *points_of(sites))
    print(
        f"4. Coverage matrix ×10: {len(centres):,} demand × {len(sites):,} sites within "
        f"{LIMIT_MIN:g} min"
    )
    ours_s, times = timed(
        repeat,
        lambda: travel_times_within(
            network, sources, targets, limit_min=LIMIT_MIN, straight_speed_kmh=PATROL_KMH
        ),
    )
    ours = show("travel_times_within (ours)", ours_s, 15)
    print(f"     {len(times.minutes):,} pairs, {times.network.mean():.1%} on the network model")
    graph, nodes = _with_sources(targets, sources, ReachParams())
    import networkx as nx

    g = networkx_graph(graph)
    chosen = nodes[:: max(1, len(nodes) // sample)][:sample]

    def nx_run():
        return [nx.single_source_dijkstra_path_length(g, int(n), cutoff=LIMIT_MIN) for n in chosen]

    nx_s, _ = timed(repeat, nx_run)
    scale = len(nodes) / len(chosen)
    show(
        f"networkx, {len(chosen)} sites × {scale:.1f} (scaled)",
        [t * scale for t in nx_s],
        note=ratio(ours, statistics.median(nx_s) * scale),
    )
    xy = graph_positions(network, targets, sources, graph.shape[0])
    pdn = pandana_network(graph, xy, reverse=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pd_s, _ = timed(repeat, lambda: pdn.nodes_in_range(list(nodes), LIMIT_MIN))
    show(
        "pandana nodes_in_range (every node in range)",
        pd_s,
        note=ratio(ours, statistics.median(pd_s)),
    )

    print("5. Move one unit (one row of the ×10 matrix)")
    moves = rng.choice(len(centres), 20, replace=False)
    new_points = [snap_points(network, *points_of(centres.iloc[[m]])) for m in moves]
    rows = rng.choice(len(nodes), 20, replace=False)
    on_rows = np.flatnonzero(sources.on_network)
    each: list[float] = []
    for _ in range(repeat):
        for row, point in zip(rows, new_points, strict=True):
            started = time.perf_counter()
            update_travel_times(times, int(on_rows[row]), point)
            each.append(time.perf_counter() - started)
    ours = show("update_travel_times, 20 moves each (ours)", each, 0.05)
    nx_each = []
    for _ in range(repeat):
        for row in rows:
            started = time.perf_counter()
            nx.single_source_dijkstra_path_length(g, int(nodes[row]), cutoff=LIMIT_MIN)
            nx_each.append(time.perf_counter() - started)
    show(
        "networkx one limited search (graph already built)",
        nx_each,
        note=ratio(ours, statistics.median(nx_each)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of every step")
    parser.add_argument("--nx-sample", type=int, default=100, help="sites networkx runs in step 4")
    args = parser.parse_args()
    network, ox_graph = step_build(args.repeat)
    national = build_demo(seed=7)
    step_snap(args.repeat, network, ox_graph, national)
    step_nearest(args.repeat, network, national, "national", 1)
    tenfold = build_demo(seed=7, scale=10)
    step_nearest(args.repeat, network, tenfold, "×10", 5)
    step_matrix(args.repeat, network, tenfold, args.nx_sample)


if __name__ == "__main__":
    main()
