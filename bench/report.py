"""Time the national PDF and Excel reports (and the other exports) on the demo workspace.

Run ``python bench/report.py`` (national demo, seed 7) or ``python bench/report.py --scale
10``. The demo is written to a temporary GeoPackage and read back as the app reads it.
Figures are printed, never asserted. Target: under 10 s each for the national PDF and Excel
reports; the analysis itself is timed apart (pages reuse it from their cache).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.demo import write_demo  # noqa: E402
from geo.pdf import pdf_report, slides_pdf  # noqa: E402
from geo.permissions import Viewer  # noqa: E402
from geo.reports import (  # noqa: E402
    ReportOptions,
    analyse_workspace,
    briefing_path,
    busiest_municipality,
    csv_table,
    excel_report,
    geojson_layer,
    geopackage,
    prepare_report,
    prepare_slides,
)
from geo.workspace import open_workspace  # noqa: E402

TARGET_S = 10.0
T = TypeVar("T")


def timed(label: str, run: Callable[[], T], *, target_s: float | None = None) -> T:
    start = time.perf_counter()
    value = run()
    seconds = time.perf_counter() - start
    size = f"{len(value):>12,} bytes" if isinstance(value, bytes) else " " * 18
    verdict = ""
    if target_s is not None:
        verdict = f"  ({seconds / target_s:.0%} of the {target_s:g} s target)"
    print(f"{label:<42} {seconds:>7.2f} s {size}{verdict}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="demo scale (default 1)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.gpkg"
        timed(
            f"write demo (scale {args.scale:g})",
            lambda: write_demo(path, seed=args.seed, scale=args.scale),
        )
        ws = open_workspace(path)
        sizes = {name: len(ws.layer(name)) for name in ("centres", "units", "incidents")}
        print("workspace: " + ", ".join(f"{n:,} {name}" for name, n in sizes.items()))
        result = timed("coverage analysis (national)", lambda: analyse_workspace(ws))
        day = f"{result.as_of:%Y-%m-%d}"
        for role in ("planner", "briefer"):
            viewer = Viewer(role, role)
            for lang in ("en", "ar"):
                options = ReportOptions(viewer=viewer, lang=lang, as_of=day)
                data = timed(
                    f"prepare national data ({role}, {lang})",
                    lambda o=options: prepare_report(ws, o, result=result),  # type: ignore[misc]
                )
                timed(
                    f"national Excel ({role}, {lang})",
                    lambda d=data: excel_report(d),
                    target_s=TARGET_S,
                )
                timed(
                    f"national PDF ({role}, {lang})",
                    lambda d=data: pdf_report(d),
                    target_s=TARGET_S,
                )
            timed(f"CSV municipalities ({role})", lambda d=data: csv_table(d, "municipalities"))
            timed(f"GeoJSON centres ({role})", lambda d=data: geojson_layer(d, "centres"))
            timed(f"GeoPackage ({role})", lambda d=data: geopackage(d))
        briefer = ReportOptions(viewer=Viewer("b", "briefer"), as_of=day)
        scopes = briefing_path(ws, busiest_municipality(result) or "")
        slides = timed(
            f"prepare {len(scopes)} briefing slides",
            lambda: prepare_slides(ws, scopes, briefer, result=result),
        )
        timed(
            f"briefing slides PDF ({len(scopes)} pages)",
            lambda: slides_pdf(slides),
            target_s=TARGET_S,
        )


if __name__ == "__main__":
    main()
