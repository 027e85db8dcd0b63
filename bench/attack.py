"""Try to locate security units from a briefer's exports of the national demo (issue 12).

Run ``python bench/attack.py`` (national demo, seed 7). The attacker downloads everything a
briefer may have (GeoJSON, GeoPackage, CSV tables, the Excel workbook and the map's details
panel of every centre) and intersects every distance the numbers imply
(``tests/trilateration.py`` says how). Printed: the units placed within 1 km of a point
the attack names, out of the units it should not place, and their share; target under 1 %.

``--before`` runs the same attack again with the linear remoteness component of the old
model (``15 × min(1, d / 30 km)`` at full precision) patched in, to show what the bands
changed. Figures are printed, never asserted (the test ``tests/geo/test_trilateration.py``
asserts the target).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geo.risk  # noqa: E402
from geo.demo import write_demo  # noqa: E402
from geo.permissions import Viewer  # noqa: E402
from geo.workspace import open_workspace  # noqa: E402
from tests.trilateration import AttackResult, attack, collect_exports  # noqa: E402

TARGET_SHARE = 0.01
AS_OF = "2025-08-01"
OLD_CAP_KM = 30.0


def linear_remoteness(km: np.ndarray, edges: tuple[float, ...] = ()) -> np.ndarray:
    """Return the old model's ``c_remoteness = min(1, d / 30 km)`` (1 with no unit at all)."""
    return np.minimum(1.0, np.asarray(km, dtype=np.float64) / OLD_CAP_KM)


def run(label: str, path: Path, role: str) -> AttackResult:
    start = time.perf_counter()
    workspace = open_workspace(path)
    exports = collect_exports(workspace, Viewer("attacker", role), as_of=AS_OF)
    result = attack(exports, workspace.layer("units"))
    seconds = time.perf_counter() - start
    verdict = "meets" if result.share < TARGET_SHARE else "MISSES"
    print(
        f"{label:<34} {result.located:>4} / {result.targets:<5} units within 1 km "
        f"({result.share:6.2%}; {verdict} the < {TARGET_SHARE:.0%} target)  "
        f"{result.cells_named:>5} cells named  {seconds:5.1f} s"
    )
    for how, count in sorted(result.located_by.items(), key=lambda kv: -kv[1]):
        print(f"    {count:>4}  {how}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--role", default="briefer", help="role of the attacker (default briefer)")
    parser.add_argument(
        "--before", action="store_true", help="also attack the old linear remoteness model"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.gpkg"
        write_demo(path, seed=args.seed)
        run(f"{args.role}, banded remoteness", path, args.role)
        if args.before:
            banded = geo.risk.remoteness_fraction
            geo.risk.remoteness_fraction = linear_remoteness
            try:
                run(f"{args.role}, old linear remoteness", path, args.role)
            finally:
                geo.risk.remoteness_fraction = banded


if __name__ == "__main__":
    main()
