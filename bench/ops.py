"""Time election day's operations room: appending events, coverage after an event, a soak.

Run ``python bench/ops.py`` (everything, a 10-minute soak) or, for a quick run,
``python bench/ops.py --runs 10 --scale 1 --soak-minutes 1``. Figures are printed, never
asserted. Targets (issue 19):

1. **append**: an event appended in under 50 ms at the 95th percentile with 20 processes
   writing at once. Timed three ways, each process appending ``--runs`` events after a
   common start: ``record_events`` (the product: the event checked against the
   process's fold of the log, brought up to date with what other writers stored; the
   base layers read and one event appended per process before the start, as a running
   app has, that first append timed apart: it reads and folds the whole log once),
   ``EventLog.append`` (the log alone, no check) and the baseline, a plain
   ``sqlite3`` INSERT written the way an expert would (one connection per process kept
   open, WAL, ``busy_timeout``, ``synchronous=FULL`` like the log, ``BEGIN
   IMMEDIATE``/``COMMIT`` per event), the same number of runs.
2. **coverage after an event**: under 1 s on the national demo and under 3 s at ×10
   (``geo.demo.build_demo``, what ``python -m geo demo --out …`` writes, with its real
   roads). A day of events (a report, a dispatch of the nearest patrol, a centre closed,
   one relocated, a unit back, ...) is folded one event at a time; after each, the
   incremental ``LiveCoverage.at`` plus the board's figures (``summarise_coverage``,
   ``lost_cover``) against the baseline, the full ``analyse_coverage(**live_layers(...))``
   with the same figures, the road graph cached for both. The results are compared.
3. **soak** (``--soak-minutes``, default 10): 20 writer processes each adding an event
   every few seconds (``--soak-interval``, jittered) to the national demo workspace
   through ``record_events`` (each writer reads the layers once before it starts, as a
   running app has); two of them are killed with ``kill -9`` while inside an append.
   Then: every acknowledged event id is stored, none is stored twice, at most one
   unacknowledged event per killed writer, and the log's integrity check. ``--browsers``
   (default 2) opens the Operations board of a real ``streamlit run`` in that many
   Chromium pages and reads the log version each one shows every second: how far behind
   the log it was (target 10 s at most). ``--watchers`` adds processes that poll the
   version the way the board's fragment does, without a browser.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.coverage import CoverageParams, analyse_coverage, summarise_coverage  # noqa: E402
from geo.demo import build_demo, write_demo  # noqa: E402
from geo.distance import nearest, points_xy  # noqa: E402
from geo.events import EventLog, events_path, make_event  # noqa: E402
from geo.livecoverage import LiveCoverage  # noqa: E402
from geo.livestate import _base_layers, fold_events, live_layers, record_events  # noqa: E402

WRITERS = 20
KILLED = 2


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


# -- 1. appending ------------------------------------------------------------------------


def _centre_ids(workspace: Path) -> list[str]:
    from geo.workspace import open_workspace

    return open_workspace(workspace).layer("centres")["centre_id"].astype("str").tolist()


def _warm(path: Path) -> None:
    """Read the base layers and build the starting fold once, as a running app has."""
    centres, units, incidents = _base_layers(path)
    fold_events([], centres=centres, units=units, incidents=incidents)


def _flag_event(name: str, i: int, centres: list[str]):
    return make_event(
        kind="police_present" if i % 2 else "police_absent",
        actor=name,
        centre_id=centres[(int(name[1:]) * 7 + i) % len(centres)],
    )


def _append_worker(
    mode: str,
    workspace: str,
    name: str,
    runs: int,
    centres: list[str],
    barrier,
    out,
) -> None:
    path = Path(workspace)
    times: list[float] = []
    if mode == "baseline":
        con = sqlite3.connect(str(path) + ".plain.sqlite", isolation_level=None, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA busy_timeout=30000")
        con.execute(
            "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, event_id TEXT UNIQUE,"
            " time TEXT, actor TEXT, kind TEXT, centre_id TEXT, payload TEXT)"
        )
    elif mode == "record":
        _warm(path)
        # A running app's process has appended before: its first append reads and folds
        # the whole log once (timed apart, below), the later ones only what is new.
        start = time.perf_counter()
        record_events(path, [_flag_event(name, -1, centres)])
        out.put(("first", time.perf_counter() - start))
    elif mode == "log":
        EventLog(path).append([_flag_event(name, -1, centres)])  # opens its writer, as above
    barrier.wait()
    for i in range(runs):
        event = _flag_event(name, i, centres)
        start = time.perf_counter()
        if mode == "record":
            record_events(path, [event])
        elif mode == "log":
            EventLog(path).append([event])
        else:
            con.execute("BEGIN IMMEDIATE")
            con.execute(
                "INSERT INTO events (event_id, time, actor, kind, centre_id, payload) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (event.event_id, event.time.isoformat(), name, event.kind, event.centre_id, "{}"),
            )
            con.execute("COMMIT")
        times.append(time.perf_counter() - start)
    out.put(times)


def bench_append(workspace: Path, runs: int, record_runs: int) -> None:
    centres = _centre_ids(workspace)
    ctx = mp.get_context("fork")
    print(f"\n1. appending an event, {WRITERS} processes writing at once (target p95 < 50 ms)")
    print(f"  {'path':<44} {'events':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/base':>9}")
    results = {}
    for mode, n in (("baseline", runs), ("log", runs), ("record", record_runs)):
        barrier = ctx.Barrier(WRITERS)
        out = ctx.Queue()
        procs = [
            ctx.Process(
                target=_append_worker,
                args=(mode, str(workspace), f"w{k}", n, centres, barrier, out),
            )
            for k in range(WRITERS)
        ]
        for p in procs:
            p.start()
        got = [out.get() for _ in range(len(procs) * (2 if mode == "record" else 1))]
        firsts = [x[1] * 1000 for x in got if isinstance(x, tuple)]
        times = [t * 1000 for x in got if not isinstance(x, tuple) for t in x]
        for p in procs:
            p.join()
        if firsts:
            print(
                f"  {'record_events, first of each process':<44} {len(firsts):>7,} "
                f"{pct(firsts, 50):8.1f} {pct(firsts, 95):8.1f} {max(firsts):8.1f}",
                flush=True,
            )
        results[mode] = times
        label = {
            "baseline": "baseline: plain sqlite3 INSERT (WAL, busy timeout)",
            "log": "EventLog.append (the log, no check)",
            "record": "record_events (checked against the log)",
        }[mode]
        ratio = pct(times, 95) / pct(results["baseline"], 95)
        print(
            f"  {label:<44} {len(times):>7,} {pct(times, 50):8.1f} {pct(times, 95):8.1f} "
            f"{max(times):8.1f} {ratio:8.1f}×",
            flush=True,
        )


# -- 2. coverage after an event -----------------------------------------------------------


def _day(layers: dict[str, pd.DataFrame], seed: int, count: int):
    """Return a day of legal events: reports, dispatches, closures, moves, returns."""
    rng = random.Random(seed)
    centres, units = layers["centres"], layers["units"]
    open_c = centres[centres["status"] != "closed"].reset_index(drop=True)
    xy_c = points_xy(open_c)
    patrols = units[units["unit_type"].isin(["patrol", "rapid_response"])].reset_index(drop=True)
    xy_u = points_xy(patrols)
    now = datetime.now(UTC)
    minute = 0
    events, dispatched, sent = [], set(), []

    def at() -> datetime:
        return now.replace(hour=7, minute=0, second=0, microsecond=0) + pd.Timedelta(minutes=minute)

    while len(events) < count:
        minute += 1
        step = len(events) % 5
        row = rng.randrange(len(open_c))
        cid = str(open_c["centre_id"].iloc[row])
        if step == 0:
            report = make_event(
                kind="incident_reported", actor="bench", time=at(), centre_id=cid,
                category="intimidation", severity=3, now=now,
            )  # fmt: skip
            events.append(report)
            # Dispatch the nearest available responder to it.
            free = np.flatnonzero(~patrols["unit_id"].isin(dispatched).to_numpy())
            _, k = nearest(xy_c[row : row + 1], xy_u[free])
            uid = str(patrols["unit_id"].iloc[free[k[0]]])
            events.append(
                make_event(
                    kind="unit_dispatched",
                    actor="bench",
                    time=at(),
                    unit_id=uid,
                    incident_id=report.incident_id,
                    now=now,
                )  # fmt: skip
            )
            dispatched.add(uid)
            sent.append(uid)
        elif step == 2:
            events.append(
                make_event(kind="centre_closed", actor="bench", time=at(), centre_id=cid, now=now)
            )
        elif step == 3:
            geom = open_c.geometry.iloc[row]
            events.append(
                make_event(
                    kind="centre_relocated",
                    actor="bench",
                    time=at(),
                    centre_id=cid,
                    lat=geom.y + 0.02,
                    lon=geom.x + 0.02,
                    now=now,
                )  # fmt: skip
            )
        elif step == 4 and sent:
            uid = sent.pop(0)
            dispatched.discard(uid)
            events.append(
                make_event(kind="unit_back", actor="bench", time=at(), unit_id=uid, now=now)
            )
    return events[:count]


def bench_coverage(scales: list[float], count: int, seed: int, straight: bool) -> None:
    print(
        "\n2. coverage and the board's figures after an event (target < 1 s national, "
        "< 3 s ×10)\n   incremental: LiveCoverage.at + summarise_coverage + lost_cover;"
        "\n   baseline: analyse_coverage(**live_layers(...)) + the same figures; fold apart"
    )
    print(
        f"  {'scale':>5} {'reach':>8} {'centres':>7} {'units':>6} {'setup s':>8} "
        f"{'fold s':>7} {'incr. s':>8} {'incr. max':>9} {'full s':>7} {'full/incr':>9} equal"
    )
    for scale in scales:
        layers = build_demo(scale=scale)
        events = _day(layers, seed, count)
        for model in ["roads", "straight"] if straight else ["roads"]:
            _coverage_row(layers, events, scale, model)


def _coverage_row(layers: dict[str, pd.DataFrame], events: list, scale: float, model: str) -> None:
    roads = layers["roads"] if model == "roads" else None
    params = CoverageParams(reach="auto" if roads is not None else "straight")
    version = f"bench-{scale}" if roads is not None else None
    start = time.perf_counter()
    lc = _setup(layers, params, roads, version)
    setup = time.perf_counter() - start
    morning = lc.morning()
    mine, theirs, folds, equal = [], [], [], True
    for n in range(1, len(events) + 1):
        start = time.perf_counter()
        state = fold_events(
            events[:n],
            centres=layers["centres"],
            units=layers["units"],
            incidents=layers["incidents"],
        )
        folds.append(time.perf_counter() - start)
        start = time.perf_counter()
        a = lc.at(state)
        summarise_coverage(a)
        lc.lost_cover(state)
        mine.append(time.perf_counter() - start)
        start = time.perf_counter()
        b = analyse_coverage(
            **live_layers(state, layers["centres"], layers["units"], layers["incidents"]),
            audits=layers["access_audits"],
            municipalities=layers["municipalities"],
            params=params,
            roads=roads,
            roads_version=version,
        )
        summarise_coverage(b)
        _lost(morning, b)
        theirs.append(time.perf_counter() - start)
        try:
            pd.testing.assert_frame_equal(a.centres, b.centres, check_exact=False, rtol=1e-9)
        except AssertionError:
            equal = False
    m, f = statistics.median(mine), statistics.median(theirs)
    print(
        f"  {scale:>5g} {model:>8} {len(layers['centres']):>7,} {len(layers['units']):>6,} "
        f"{setup:8.2f} {statistics.median(folds):7.3f} {m:8.3f} {max(mine):9.3f} "
        f"{f:7.2f} {f / m:8.1f}× {'yes' if equal else 'NO'}",
        flush=True,
    )


def _setup(layers, params, roads, version) -> LiveCoverage:
    lc = LiveCoverage(
        {
            k: layers[k]
            for k in ("centres", "units", "incidents", "access_audits", "municipalities")
        },
        params=params,
        roads=roads,
        roads_version=version if roads is not None else None,
    )
    lc.morning()
    return lc


def _lost(morning, now) -> list[str]:
    was = dict(zip(morning.centres["centre_id"], morning.centres["status"], strict=True))
    return [
        c
        for c, s in zip(now.centres["centre_id"], now.centres["status"], strict=True)
        if s == "gap" and was.get(c, "gap") != "gap"
    ]


# -- 3. soak ------------------------------------------------------------------------------


def _soak_writer(workspace: str, name: str, until: float, interval: float, centres, state, acks):
    rng = random.Random(name)
    path = Path(workspace)
    _warm(path)
    with open(acks, "a") as out:
        i = 0
        while time.time() < until:
            time.sleep(rng.uniform(0.5, 1.5) * interval)
            event = _flag_event(name, i, centres)
            i += 1
            start = time.perf_counter()
            for attempt in range(5):
                state.value = 1  # inside an append
                try:
                    record_events(path, [event])
                    break
                except Exception as exc:  # a retry with the same id is never stored twice
                    if attempt == 4:
                        print(f"  {name}: gave up on {event.event_id}: {exc}", flush=True)
                finally:
                    state.value = 0
            else:
                continue
            out.write(f"{event.event_id} {time.perf_counter() - start:.4f}\n")
            out.flush()


def _watcher(workspace: str, until: float, poll_s: float, out) -> None:
    log = EventLog(workspace)
    seen, stale = 0, []
    while time.time() < until:
        version = log.version()
        if version > seen:
            newest = log.read()[-1]
            recorded = datetime.fromisoformat(
                sqlite3.connect(events_path(workspace))
                .execute("SELECT recorded_at FROM events WHERE seq = ?", (newest.seq,))
                .fetchone()[0]
            )
            stale.append((datetime.now(UTC) - recorded).total_seconds())
            seen = version
        time.sleep(poll_s)
    out.put(stale)


def _browsers(workspace: str, until: float, pages: int, refresh: float, out) -> None:
    """Open the Operations board in ``pages`` Chromium pages; read each one's log version.

    Every second, until ``until``: (wall time, page, version shown). A real ``streamlit
    run`` of the app on the workspace (single-user mode on loopback: the administrator).
    """
    from playwright.sync_api import sync_playwright

    from bench._browser import launch, offline_context, streamlit_server

    samples: list[tuple[float, int, int]] = []
    env = {"PSP_WORKSPACE": workspace, "PSP_BOARD_REFRESH_S": str(refresh)}
    with streamlit_server(ROOT / "app.py", env) as url, sync_playwright() as pw:
        browser = launch(pw)
        tabs = []
        for _ in range(pages):
            page = offline_context(browser, 1400, 1000).new_page()
            page.goto(f"{url}/Operations", wait_until="commit")
            page.get_by_text("log version").first.wait_for(timeout=300_000)
            tabs.append(page)
        while time.time() < until:
            for k, page in enumerate(tabs):
                text = page.get_by_text("log version").first.inner_text(timeout=30_000)
                found = re.search(r"log version ([\d,]+)", text)
                if found:
                    samples.append((time.time(), k, int(found.group(1).replace(",", ""))))
            time.sleep(1.0)
        browser.close()
    out.put(samples)


def _staleness(workspace: Path, samples: list[tuple[float, int, int]]) -> list[float]:
    """Seconds each sample's board was behind: since the first event it did not show."""
    with sqlite3.connect(events_path(workspace)) as con:
        stored = {
            int(seq): datetime.fromisoformat(at).timestamp()
            for seq, at in con.execute("SELECT seq, recorded_at FROM events")
        }
    # recorded_at is taken before the append waits for the lock: the figure errs long.
    return [
        max(0.0, t - stored[v + 1]) if v + 1 in stored and stored[v + 1] <= t else 0.0
        for t, _page, v in samples
    ]


def bench_soak(
    workspace: Path, minutes: float, interval: float, watchers: int, browsers: int = 0
) -> None:
    print(
        f"\n3. soak: {WRITERS} writers × one event every ~{interval:g} s for {minutes:g} min, "
        f"{KILLED} killed with kill -9 inside an append"
    )
    centres = _centre_ids(workspace)
    before = len(EventLog(workspace).read())
    ctx = mp.get_context("fork")
    until = time.time() + minutes * 60
    tmp = Path(tempfile.mkdtemp(prefix="ops-soak-"))
    states = [ctx.Value("i", 0) for _ in range(WRITERS)]
    procs = [
        ctx.Process(
            target=_soak_writer,
            args=(str(workspace), f"s{k}", until, interval, centres, states[k], tmp / f"{k}.txt"),
        )
        for k in range(WRITERS)
    ]
    out = ctx.Queue()
    polls = [
        ctx.Process(target=_watcher, args=(str(workspace), until, 1.0, out))
        for _ in range(watchers)
    ]
    shown = ctx.Queue()
    if browsers:
        polls.append(
            ctx.Process(target=_browsers, args=(str(workspace), until, browsers, 5.0, shown))
        )
    for p in [*procs, *polls]:
        p.start()
    kills = []
    for k, when in ((0, 0.3), (1, 0.6)):
        while time.time() < until - minutes * 60 * (1 - when):
            time.sleep(0.05)
        while states[k].value != 1 and time.time() < until:
            time.sleep(0.0005)
        os.kill(procs[k].pid, signal.SIGKILL)
        kills.append(bool(states[k].value))
    stale = [s for _ in range(watchers) for s in out.get()]
    samples = shown.get() if browsers else []
    for p in [*procs, *polls]:
        p.join()
    acked, latency = [], []
    for f in tmp.glob("*.txt"):
        for line in f.read_text().split("\n"):
            if line:
                eid, seconds = line.split()
                acked.append(eid)
                latency.append(float(seconds) * 1000)
    shutil.rmtree(tmp, ignore_errors=True)
    stored = [e.event_id for e in EventLog(workspace).read()][before:]
    lost = set(acked) - set(stored)
    dup = len(stored) - len(set(stored))
    with sqlite3.connect(events_path(workspace)) as con:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    print(
        f"  acknowledged {len(acked):,}, stored {len(stored):,}; lost {len(lost)}, "
        f"duplicated {dup}, stored but not acknowledged {len(set(stored) - set(acked))} "
        f"(at most {KILLED}); killed inside an append: {sum(kills)} of {KILLED}; "
        f"integrity {integrity}"
    )
    print(
        f"  append latency under load: p50 {pct(latency, 50):.0f} ms, p95 "
        f"{pct(latency, 95):.0f} ms, max {max(latency, default=float('nan')):.0f} ms"
    )
    if browsers:
        behind = _staleness(workspace, samples)
        print(
            f"  {browsers} Chromium pages on the Operations board (refresh 5 s), "
            f"{len(samples):,} looks: behind the log p50 {pct(behind, 50):.1f} s, p95 "
            f"{pct(behind, 95):.1f} s, max {max(behind, default=float('nan')):.1f} s "
            "(target ≤ 10 s)"
        )
    if watchers:
        print(
            f"  {watchers} version pollers (every 1 s): staleness p50 {pct(stale, 50):.1f} s, "
            f"p95 {pct(stale, 95):.1f} s (target ≤ 10 s at p95; browsers: the Operations page)"
        )
    elif not browsers:
        print("  board staleness: not measured (--browsers N, --watchers N)")


def main(argv: list[str] | None = None) -> None:
    """Run the three benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="appends per process (50)")
    parser.add_argument(
        "--record-runs", type=int, default=None, help="for record_events (default --runs)"
    )
    parser.add_argument("--scale", type=float, action="append", help="1, 10 (repeatable)")
    parser.add_argument("--events", type=int, default=8, help="events of the day (8)")
    parser.add_argument("--straight", action="store_true", help="also in straight lines")
    parser.add_argument("--soak-minutes", type=float, default=10.0)
    parser.add_argument("--soak-interval", type=float, default=3.0, help="seconds (3)")
    parser.add_argument("--watchers", type=int, default=0, help="version pollers (0)")
    parser.add_argument(
        "--browsers", type=int, default=2, help="Chromium pages on the board in the soak (2)"
    )
    parser.add_argument("--only", choices=["append", "coverage", "soak"], action="append")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    only = set(args.only or ["append", "coverage", "soak"])
    with tempfile.TemporaryDirectory(prefix="ops-bench-") as folder:
        workspace = Path(folder) / "demo.gpkg"
        if only & {"append", "soak"}:
            write_demo(workspace, seed=args.seed)
        if "append" in only:
            bench_append(workspace, args.runs, args.record_runs or args.runs)
        if "coverage" in only:
            bench_coverage(args.scale or [1, 10], args.events, args.seed, args.straight)
        if "soak" in only:
            fresh = Path(folder) / "soak.gpkg"
            write_demo(fresh, seed=args.seed)
            bench_soak(fresh, args.soak_minutes, args.soak_interval, args.watchers, args.browsers)


if __name__ == "__main__":
    main()
