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
