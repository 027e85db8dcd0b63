"""Time the Operations board in a real browser: cold and warm loads, and staleness after events.

Run ``python bench/board.py`` (the national demo, 10 events) or ``python bench/board.py
--events 5``. Figures are printed, never asserted. What a user waits for, measured in
Debian Chromium against a real ``streamlit run`` (every non-loopback request aborted):

* **cold**: from opening ``/Operations`` on a server just started until the headline
  counts are drawn (imports, the live coverage's travel times on roads, the map);
* **warm**: the same in a fresh browser context once the server has served the page;
* **stale**: with the board open and untouched, an event is appended from another process
  (``record_events``, as another operator's session would); the time until this board
  shows the new log version, for ``--events`` events. The board's refresh is
  ``PSP_BOARD_REFRESH_S`` (``--refresh``, 2 s here).

Baseline, run the same way the same number of times: the smallest Streamlit page an expert
would write to show the log's version live: one ``st.fragment(run_every=...)`` with one
``st.metric`` of ``EventLog.version()``, no analysis, no map. The ratios are the board's
figures over the baseline's (the cost of what the board computes and draws).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._browser import launch, offline_context, streamlit_server  # noqa: E402
from geo.demo import write_demo  # noqa: E402
from geo.events import make_event  # noqa: E402
from geo.livestate import record_events  # noqa: E402
from geo.workspace import open_workspace  # noqa: E402

TIMEOUT_MS = 300_000
BASELINE_APP = textwrap.dedent(
    """
    import os
    import streamlit as st
    from geo.events import EventLog

    log = EventLog(os.environ["PSP_WORKSPACE"])

    @st.fragment(run_every=float(os.environ["PSP_BOARD_REFRESH_S"]))
    def board():
        st.metric("Open incidents", log.version())
        st.caption(f"log version {log.version()}")

    board()
    """
)


def _report(workspace: Path, centre: str) -> None:
    record_events(
        workspace,
        [make_event(kind="police_present", actor="bench", centre_id=centre, now=datetime.now(UTC))],
    )


def measure(
    script: Path, path: str, workspace: Path, refresh: float, events: int, centre: str
) -> tuple[float, float, list[float]]:
    """Return (cold s, warm s, staleness s per event) of the page ``path`` of ``script``."""
    from playwright.sync_api import sync_playwright

    env = {"PSP_WORKSPACE": str(workspace), "PSP_BOARD_REFRESH_S": str(refresh)}
    with streamlit_server(script, env) as url, sync_playwright() as pw:
        browser = launch(pw)
        loads = []
        for _ in range(2):  # cold, then warm
            context = offline_context(browser, 1400, 1000)
            page = context.new_page()
            start = time.perf_counter()
            page.goto(f"{url}{path}", wait_until="commit")
            page.get_by_text("Open incidents").first.wait_for(timeout=TIMEOUT_MS)
            loads.append(time.perf_counter() - start)
            if len(loads) == 1:
                context.close()
        stale = []
        for _ in range(events):
            version = len(stale) + 1
            start = time.perf_counter()
            _report(workspace, centre)
            page.get_by_text(f"log version {version}", exact=False).first.wait_for(
                timeout=TIMEOUT_MS
            )
            stale.append(time.perf_counter() - start)
            page.wait_for_timeout(500)
        context.close()
        browser.close()
    return loads[0], loads[1], stale


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, time the board and the baseline, print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10, help="events appended (10)")
    parser.add_argument("--refresh", type=float, default=2.0, help="board refresh, s (2)")
    parser.add_argument("--scale", type=float, default=1.0, help="demo scale (1)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="psp-bench-board-"))
    try:
        source = folder / "demo.gpkg"
        write_demo(source, scale=args.scale)
        centre = str(open_workspace(source).layer("centres")["centre_id"].iloc[0])
        baseline_app = folder / "baseline_app.py"
        baseline_app.write_text(BASELINE_APP)
        rows = []
        for label, script, path in (
            ("Operations board", ROOT / "app.py", "/Operations"),
            ("baseline: one fragment, one metric", baseline_app, "/"),
        ):
            workspace = folder / f"{len(rows)}.gpkg"
            shutil.copyfile(source, workspace)
            cold, warm, stale = measure(script, path, workspace, args.refresh, args.events, centre)
            rows.append((label, cold, warm, stale))
        print(f"national demo ×{args.scale:g}, refresh {args.refresh:g} s, {args.events} events")
        print(f"{'page':40} {'cold s':>7} {'warm s':>7} {'stale p50':>10} {'stale p95':>10}")
        for label, cold, warm, stale in rows:
            print(
                f"{label:40} {cold:7.2f} {warm:7.2f} {statistics.median(stale):10.2f} "
                f"{_pct(stale, 0.95):10.2f}"
            )
        board, base = rows[0], rows[1]
        print(
            f"  board / baseline: cold {board[1] / base[1]:.1f}×, warm {board[2] / base[2]:.1f}×, "
            f"stale p50 {statistics.median(board[3]) / statistics.median(base[3]):.1f}×"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
