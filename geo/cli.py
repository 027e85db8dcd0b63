"""The ``python -m geo`` command line: the same functions as the pages, for scripts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from geo.errors import PlannerError

EXIT_USAGE = 2


def _cmd_demo(args: argparse.Namespace) -> int:
    from geo.demo import write_demo

    versions = write_demo(args.out, seed=args.seed, scale=args.scale)
    for v in versions:
        print(f"{v.layer:<15} version {v.version:>3}  {v.rows:>9,} rows")
    print(f"Demo workspace written to {args.out} (synthetic data, seed {args.seed}).")
    return 0


def _cmd_layers(args: argparse.Namespace) -> int:
    from geo.workspace import open_workspace

    workspace = open_workspace(args.workspace)
    summary = workspace.versions
    if summary.empty:
        print(f"{args.workspace}: no layers")
        return 0
    kind = "demo (synthetic data)" if workspace.is_demo else "workspace"
    print(f"{args.workspace}: {kind}")
    columns = [c for c in ("layer", "version", "rows", "created_at", "author", "source_file")]
    print(summary[[c for c in columns if c in summary]].to_string(index=False))
    return 0


def _cmd_coverage(args: argparse.Namespace) -> int:
    from pathlib import Path

    from geo.coverage import CoverageParams, analyse_coverage, rollup_coverage
    from geo.export import to_csv_bytes
    from geo.workspace import open_workspace

    ws = open_workspace(args.workspace)
    overrides = {
        name: value
        for name, value in (
            ("patrol_radius_km", args.patrol_radius_km),
            ("rapid_radius_km", args.rapid_radius_km),
            ("guard_radius_km", args.guard_radius_km),
            ("circuity", args.circuity),
        )
        if value is not None
    }
    # Radii given on the command line apply to every unit, overriding units' own radii.
    radius_flags = {"patrol_radius_km", "rapid_radius_km"} & set(overrides)
    params = CoverageParams(**overrides, use_unit_radii=not radius_flags)
    result = analyse_coverage(
        ws.require("centres"),
        ws.require("units"),
        ws.layer("incidents"),
        ws.layer("access_audits"),
        ws.layer("municipalities"),
        params=params,
        as_of=args.as_of,
    )
    if args.by == "centre":
        table = result.centres
    else:
        table = rollup_coverage(
            result,
            ws.layer("centres"),
            ws.layer("incidents"),
            ws.layer("municipalities"),
            ws.layer("districts"),
            by=args.by,
            regions=ws.layer("regions"),
        ).areas
    Path(args.out).write_bytes(to_csv_bytes(table))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    counts = result.centres["status"].value_counts()
    print(
        f"{len(result.centres):,} centres analysed as of {result.as_of:%Y-%m-%d}: "
        + ", ".join(
            f"{counts.get(s, 0):,} {s}" for s in ("full", "guard_only", "response_only", "gap")
        )
    )
    print(f"{len(table):,} rows ({args.by}) written to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="python -m geo", description="Polling Security Planner command line"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="build the synthetic national demo workspace")
    demo.add_argument("--out", required=True, help="GeoPackage file to write")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument(
        "--scale", type=float, default=1.0, help="multiply centres, units, incidents (default 1)"
    )
    demo.set_defaults(run=_cmd_demo)

    layers = sub.add_parser("layers", help="list layers, versions and row counts")
    layers.add_argument("--workspace", required=True, help="GeoPackage workspace file")
    layers.set_defaults(run=_cmd_layers)

    cov = sub.add_parser(
        "coverage", help="coverage, staffing, risk and access of every centre (or roll-ups)"
    )
    cov.add_argument("--workspace", required=True, help="GeoPackage workspace file")
    cov.add_argument("--out", required=True, help="CSV file to write (UTF-8 with BOM)")
    cov.add_argument(
        "--by",
        choices=("centre", "municipality", "district", "region"),
        default="centre",
        help="one row per centre (default) or per area",
    )
    cov.add_argument(
        "--patrol-radius-km", type=float, help="patrol reach in road km (default 10; all units)"
    )
    cov.add_argument(
        "--rapid-radius-km", type=float, help="rapid-response reach in road km (default 30)"
    )
    cov.add_argument(
        "--guard-radius-km", type=float, help="unassigned static guard distance (default 0.2)"
    )
    cov.add_argument("--circuity", type=float, help="road km per straight-line km (default 1.3)")
    cov.add_argument("--as-of", help="date of the analysis, YYYY-MM-DD (default today)")
    cov.set_defaults(run=_cmd_coverage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for problems the user can fix)."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except PlannerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return code
