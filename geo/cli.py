"""The ``python -m geo`` command line: the same functions as the pages, for scripts."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

from geo.errors import PlannerError

if TYPE_CHECKING:
    import pandas as pd

    from geo.filters import MapFilters
    from geo.permissions import Viewer

EXIT_USAGE = 2


def _cli_actor() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


def _person(actor: str | None, where: str) -> str | None:
    """Return ``actor`` unless it is the room's clocks' name, which nobody else may record as.

    The handover brief and the board say "clock" for the escalations the clocks make; an
    event a person records under that name would read as automatic.
    """
    from geo.errors import InputError
    from geo.ops import CLOCK_ACTOR

    if actor is not None and actor.strip().casefold() == CLOCK_ACTOR:
        raise InputError(
            f"{where} '{actor.strip()}' is reserved for the room's clocks; give the name of "
            "the person recording the event (or leave it out: cli:<account>)"
        )
    return actor


def _write_export(
    workspace: str,
    out: str,
    content: bytes,
    *,
    details: dict[str, str],
    rows: int | None = None,
    actor: str | None = None,
) -> None:
    """Write a file for the user only once its export is in the workspace's audit log.

    Fails closed: when the entry cannot be written, no file is written (an older file of
    that name is kept) and the command exits 2 with the reason.
    """
    from geo.audit import export_file
    from geo.errors import StoreError

    try:
        export_file(workspace, out, content, actor=actor or _cli_actor(), details=details,
                    rows=rows)  # fmt: skip
    except StoreError as exc:
        raise StoreError(
            f"{out} was not written, because its export cannot be recorded: {exc}"
        ) from exc


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

    from geo.coverage import (
        REACH_FIELDS,
        CoverageParams,
        CoverageResult,
        analyse_coverage,
        describe_models,
        describe_reach,
        rollup_coverage,
        with_reach,
    )
    from geo.export import to_csv_bytes
    from geo.workspace import open_workspace

    ws = open_workspace(args.workspace)
    overrides = {
        name: value
        for name, value in (("guard_radius_km", args.guard_radius_km), ("circuity", args.circuity))
        if value is not None
    }
    if args.speeds:
        from geo.errors import InputError
        from geo.network import read_speeds

        if not Path(args.speeds).is_file():
            raise InputError(f"--speeds {args.speeds}: no such file; give a CSV of highway,kmh")
        overrides["road_speeds"] = read_speeds(
            Path(args.speeds).read_bytes(), file_name=args.speeds
        )
    if args.compare_reach and args.by in ("district", "region"):
        from geo.errors import InputError

        raise InputError(
            "--compare-reach lists municipalities; leave out --by (or use --by municipality)"
        )
    reaches = {name: getattr(args, name) for name in REACH_FIELDS}
    params = with_reach(
        CoverageParams(**overrides, reach=args.reach), reaches, use_unit_radii=args.unit_radii
    )
    roads, roads_version = ws.roads()

    def analyse(reach_params: CoverageParams) -> CoverageResult:
        return analyse_coverage(
            ws.require("centres"),
            ws.require("units"),
            ws.layer("incidents"),
            ws.layer("access_audits"),
            ws.layer("municipalities"),
            params=reach_params,
            as_of=args.as_of,
            roads=roads,
            roads_version=roads_version,
        )

    if args.compare_reach:
        from dataclasses import replace

        from geo.coverage import compare_reach

        comparison = compare_reach(
            analyse(replace(params, reach="straight")),
            analyse(replace(params, reach="network")),
            ws.require("centres"),
            ws.layer("municipalities"),
        )
        _write_export(
            args.workspace,
            args.out,
            to_csv_bytes(comparison.areas),
            details={"format": "csv", "table": "reach compared by municipality"},
            rows=len(comparison.areas),
        )
        print(comparison.describe())
        print(f"{len(comparison.areas):,} rows (municipality) written to {args.out}")
        return 0
    result = analyse(params)
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
    _write_export(
        args.workspace,
        args.out,
        to_csv_bytes(table),
        details={
            "format": "csv",
            "table": f"coverage by {args.by}",
            "as_of": f"{result.as_of:%Y-%m-%d}",
        },
        rows=len(table),
    )
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    counts = result.centres["status"].value_counts()
    models = result.centres["reach_model"].value_counts()
    print(describe_models(result))
    for line in describe_reach(ws.layer("units"), params, on_roads=models.get("network", 0) > 0):
        print(line)
    print(
        f"{len(result.centres):,} centres analysed as of {result.as_of:%Y-%m-%d}: "
        + ", ".join(
            f"{counts.get(s, 0):,} {s}" for s in ("full", "guard_only", "response_only", "gap")
        )
    )
    print(f"{len(table):,} rows ({args.by}) written to {args.out}")
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    from pathlib import Path

    from geo.coverage import analyse_coverage
    from geo.export import to_csv_bytes
    from geo.optimise import PlanRequest, candidate_sites, plan_units, read_candidates
    from geo.workspace import open_workspace

    ws = open_workspace(args.workspace)
    # Planning from scratch is allowed: with no units, today's coverage is zero.
    centres, units = ws.require("centres"), ws.layer("units")
    coverage = analyse_coverage(
        centres,
        units,
        ws.layer("incidents"),
        ws.layer("access_audits"),
        ws.layer("municipalities"),
        as_of=args.as_of,
        units_required=False,
    )
    uploaded = None
    if args.candidates:
        found = read_candidates(Path(args.candidates).read_bytes(), file_name=args.candidates)
        for problem in found.report.problems:
            print(f"warning: {problem}", file=sys.stderr)
        uploaded = found.sites
    request = PlanRequest(
        unit_type=args.unit_type,
        count=args.count,
        radius_km=args.radius_km,
        keep_existing=args.keep_existing,
        method=args.method,
        time_limit_s=args.time_limit,
    )
    candidates = candidate_sites(
        "uploaded" if uploaded is not None else "centres",
        centres=centres,
        units=units,
        unit_type=args.unit_type,
        uploaded=uploaded,
    )
    plan = plan_units(
        centres,
        units,
        coverage,
        candidates,
        request=request,
        municipalities=ws.layer("municipalities"),
        districts=ws.layer("districts"),
    )
    _write_export(
        args.workspace,
        args.out,
        to_csv_bytes(plan.sites.drop(columns="geometry")),
        details={"format": "csv", "table": f"planned {args.unit_type} sites"},
        rows=len(plan.sites),
    )
    for warning in plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    s = plan.solution
    gap = "n/a (heuristic, no bound)" if s.gap is None else f"{s.gap:.4%}"
    print(f"objective: {s.objective:,.1f} of {s.total_weight:,.1f} demand ({s.share:.1%})")
    print(f"status: {s.status} ({s.method}); gap: {gap}; {s.build_time_s + s.solve_time_s:.2f} s")
    print(
        f"voters within reach: {plan.voters_covered_after:,} "
        f"(current {args.unit_type} units: {plan.voters_covered_before:,})"
    )
    print(plan.change_sentence)
    print(f"{len(plan.sites):,} sites written to {args.out}")
    return 0


def _read_new_password(args: argparse.Namespace) -> str:
    """Read a new password from stdin (``--password-stdin``) or a prompt, never from argv."""
    import getpass

    from geo.errors import InputError

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InputError("no terminal to ask for the password; pipe it in with --password-stdin")
    first = getpass.getpass(f"New password for {args.username}: ")
    if first != getpass.getpass("Type it again: "):
        raise InputError("the two passwords differ; nothing was changed")
    return first


def _cmd_users(args: argparse.Namespace) -> int:
    import getpass
    from pathlib import Path

    from geo import users
    from geo.audit import record
    from geo.errors import InputError, StoreError
    from geo.permissions import Viewer

    path, action = args.file, args.users_action
    repository = Path(__file__).resolve().parents[1]
    if Path(path).expanduser().resolve().is_relative_to(repository):
        raise InputError(
            f"{path} is inside the application folder {repository}; keep the users file "
            "outside the repository (e.g. /etc/psp/users.yaml) so it is never committed"
        )
    if args.workspace and not Path(args.workspace).is_file():
        raise StoreError(
            f"no workspace at {args.workspace} to record the change in; nothing was changed"
        )
    # The command line acts with the rights of whoever may write the users file.
    operator = Viewer(name=f"cli:{getpass.getuser()}", role="admin")
    if action == "list":
        table = users.list_users(path, by=operator)
        print(table.to_string(index=False) if len(table) else f"{path}: no users")
        return 0
    if action == "create-admin":
        admin = users.create_first_admin(
            path, args.username, name=args.name, password=_read_new_password(args)
        )
        if args.workspace:
            record(
                args.workspace,
                actor=operator.name,
                action="user_create_admin",
                target=admin.username,
                details={"name": admin.name},
            )
        print(f"Administrator '{admin.username}' created in {path} (mode 0600).")
        return 0
    password = _read_new_password(args) if action in ("add", "reset") else None
    changed = users.change_user(
        path,
        args.change,
        args.username,
        by=operator,
        name=getattr(args, "name", None),
        role=getattr(args, "role", None),
        password=password,
        audit_workspace=args.workspace,
    )
    print(
        f"{action}: {changed.username} (role {changed.role}"
        f"{', disabled' if changed.disabled else ''})"
    )
    return 0


def _map_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """Return ``{target: source}`` from ``--map TARGET=SOURCE`` arguments."""
    from geo.errors import InputError

    mapped: dict[str, str] = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        target, source = target.strip(), source.strip()
        if not sep or not target or not source:
            raise InputError(
                f"--map takes TARGET=SOURCE (a column of the layer, '=', a column of the "
                f"file), not '{pair}'; for example --map centre_id=code"
            )
        if target in mapped:
            raise InputError(f"--map gives '{target}' twice; keep one file column for it")
        mapped[target] = source
    return mapped


def _cmd_import(args: argparse.Namespace) -> int:
    import getpass

    from geo.imports import ImportOptions, import_path
    from geo.io import ImportLimits
    from geo.permissions import Viewer

    # The command line runs as the machine's operator, who holds every right (no --role).
    operator = Viewer(name=f"cli:{getpass.getuser()}", role="admin")
    if args.layer == "roads":
        return _import_roads(args, operator)
    if args.unmatched is not None and args.layer != "municipalities":
        from geo.errors import InputError

        raise InputError(
            f"--unmatched applies to municipality lists (--layer municipalities), not to "
            f"'{args.layer}'; leave it out"
        )
    # Only an explicit --mode replace confirms a replace that removes most of the layer.
    options = ImportOptions(
        swap_coordinates=args.swap_coordinates,
        mode=args.mode,
        confirm_replace=args.mode == "replace",
        unmatched=args.unmatched or "new",
    )
    overrides = _map_pairs(args.map or [])
    run = import_path(
        args.workspace,
        args.layer,
        args.file,
        operator,
        fmt=args.format,
        options=options,
        rejected_path=args.rejected,
        dry_run=args.dry_run,
        limits=ImportLimits(max_file_bytes=args.max_mb * 1024 * 1024),
        overrides=overrides,
        mapping_path=args.mapping,
        save_mapping_path=args.save_mapping,
        json_key=args.json_key,
    )
    print(run.describe())
    return 0 if run.imported else EXIT_USAGE


def _import_roads(args: argparse.Namespace, operator: Viewer) -> int:
    """Import a road file: the whole layer is replaced; the report describes the network."""
    from geo.errors import InputError
    from geo.imports import import_roads_path
    from geo.io import ImportLimits

    refused = [
        flag
        for flag, given in (
            ("--format", args.format != "auto"),
            ("--mode upsert", args.mode == "upsert"),
            ("--swap-coordinates", args.swap_coordinates),
        )
        if given
    ]
    if refused:
        raise InputError(
            f"{', '.join(refused)} do(es) not apply to roads: a road file (GeoPackage, GeoJSON "
            "or zipped shapefile of lines) replaces the whole layer; leave the flag out"
        )
    run = import_roads_path(
        args.workspace,
        args.file,
        operator,
        class_column=args.class_column,
        rejected_path=args.rejected,
        dry_run=args.dry_run,
        limits=ImportLimits(max_file_bytes=args.max_mb * 1024 * 1024),
    )
    print(run.describe())
    return 0 if run.imported else EXIT_USAGE


def _cmd_restore(args: argparse.Namespace) -> int:
    import getpass

    from geo.imports import restore_layer
    from geo.permissions import Viewer
    from geo.store import GeoPackageStore

    operator = Viewer(name=f"cli:{getpass.getuser()}", role="admin")
    version = restore_layer(GeoPackageStore(args.workspace), args.layer, args.version, operator)
    print(
        f"{version.layer}: version {args.version} restored as version {version.version} "
        f"({version.rows:,} rows)"
    )
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from geo.permissions import Viewer
    from geo.reports import ReportOptions, export_report, parse_scope
    from geo.workspace import open_workspace

    # --role sets what the file may reveal: the default (analyst) gets no unit positions.
    viewer = Viewer(name=_cli_actor(), role=args.role)
    ws = open_workspace(args.workspace)
    options = ReportOptions(
        viewer=viewer, scope=parse_scope(args.scope), lang=args.lang, as_of=args.as_of
    )
    content = export_report(ws, args.format, options, table=args.table)
    units = "included" if viewer.can_see_unit_positions else "withheld (counts per municipality)"
    _write_export(
        args.workspace,
        args.out,
        content,
        actor=viewer.name,
        details={
            "format": args.format,
            "scope": str(options.scope),
            "language": args.lang,
            "role": args.role,
            "table": args.table or "",
            "unit_positions": "included" if viewer.can_see_unit_positions else "withheld",
        },
    )
    print(
        f"{args.format} report of {options.scope} ({args.lang}, role {args.role}; unit "
        f"positions {units}) written to {args.out} ({len(content):,} bytes)"
    )
    return 0


def _iso_date(flag: str, text: str | None) -> dt.date | None:
    """Read the ``YYYY-MM-DD`` date of ``--flag``, or say what is wrong."""
    from geo.errors import InputError

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--{flag} {text!r} is not a date; write it as YYYY-MM-DD") from None


#: Filter flags of ``map`` -> field of :class:`geo.filters.MapFilters` (given as its URL
#: query form, so the command and the Map page read filters the same way).
MAP_FILTER_FLAGS: dict[str, str] = {
    "region": "regions",
    "district": "districts",
    "municipality": "municipalities",
    "election": "elections",
    "category": "incident_categories",
    "agency": "unit_agencies",
    "unit_type": "unit_types",
    "centre_type": "centre_types",
    "access": "access_statuses",
}


def _map_filters(args: argparse.Namespace, layers: Mapping[str, pd.DataFrame]) -> MapFilters:
    """Read the filter flags into :class:`geo.filters.MapFilters`; refuse unknown values."""
    from dataclasses import replace

    import pandas as pd

    from geo.errors import InputError
    from geo.filters import QUERY_KEYS, filter_options, filters_from_query

    query: dict[str, list[str]] = {}
    for flag, name in MAP_FILTER_FLAGS.items():
        values = getattr(args, flag)
        if values:
            query[QUERY_KEYS[name]] = list(values)
    # Without workspace options nothing is left out, so no problem can come back.
    filters, _ = filters_from_query(query)
    since, until = _iso_date("since", args.since), _iso_date("until", args.until)
    filters = replace(filters, date_from=since, date_to=until)
    options = filter_options(layers)
    for flag, name in MAP_FILTER_FLAGS.items():
        known = getattr(options, name)
        allowed = (
            set(known["pcode"].astype("str")) if isinstance(known, pd.DataFrame) else set(known)
        )
        unknown = [v for v in getattr(filters, name) if v not in allowed]
        if unknown:
            examples = ", ".join(sorted(allowed)[:5]) or "none in this workspace"
            raise InputError(
                f"--{flag.replace('_', '-')} {', '.join(unknown)}: not in {args.workspace}; "
                f"use values the workspace holds (e.g. {examples})"
            )
    return filters


def _cmd_map(args: argparse.Namespace) -> int:

    from geo.coverage import CoverageParams, analyse_coverage
    from geo.filters import apply_filters, filter_options
    from geo.mapview import MapOptions, export_planning_map
    from geo.permissions import Viewer
    from geo.workspace import open_workspace

    # --role sets what the file may reveal: the default (analyst) gets no unit positions.
    viewer = Viewer(name=_cli_actor(), role=args.role)
    ws = open_workspace(args.workspace)
    filters = _map_filters(args, ws.layers)
    coverage = None
    try:
        coverage = analyse_coverage(
            ws.require("centres"),
            ws.require("units"),
            ws.layer("incidents"),
            ws.layer("access_audits"),
            ws.layer("municipalities"),
            as_of=args.as_of,
        )
    except PlannerError as exc:
        print(f"warning: coverage, risk and shortfall are not shown: {exc}", file=sys.stderr)
    colour_by = args.colour_by or ("coverage_status" if coverage else "access_status")
    options = MapOptions(
        measure=None if args.measure == "none" else args.measure,
        colour_by=colour_by,
        show_centres=not args.no_centres,
        show_units=not args.no_units,
        show_radii=args.radii,
        show_incidents=not args.no_incidents,
        heat_map=args.heat_map,
    )
    export = export_planning_map(
        apply_filters(ws.layers, filters),
        viewer=viewer,
        filters=filters,
        options=options,
        coverage=coverage.centres if coverage else None,
        params=coverage.params if coverage else CoverageParams(),
        agencies=filter_options(ws.layers).unit_agencies,
        lang=args.lang,
        is_demo=ws.is_demo,
    )
    _write_export(
        args.workspace,
        args.out,
        export.content,
        actor=viewer.name,
        details=dict(export.details),
        rows=export.rows,
    )
    units = "included" if viewer.can_see_unit_positions else "withheld (counts per municipality)"
    print(
        f"map of {export.rows:,} centres ({args.lang}, role {args.role}; unit positions "
        f"{units}) written to {args.out} ({len(export.content):,} bytes, opens offline)"
    )
    return 0


#: Columns of an event file (``event import``); ``kind`` is required.
EVENT_FILE_COLUMNS = (
    "event_id", "time", "actor", "kind", "centre_id", "unit_id", "incident_id",
    "lat", "lon", "category", "severity", "note", "reason", "owner", "previous_owner",
)  # fmt: skip


def _cmd_event(args: argparse.Namespace) -> int:
    from geo.events import make_event, parse_time
    from geo.livestate import record_events

    if args.event_action == "list":
        return _event_list(args)
    if args.event_action == "import":
        return _event_import(args)
    if args.event_action in ("handover", "timeline"):
        return _event_report(args)
    event = make_event(
        kind=args.kind,
        actor=_person(args.actor, "--actor") or _cli_actor(),
        event_id=args.id,
        time=None if args.time is None else parse_time(args.time, "--time"),
        centre_id=args.centre,
        unit_id=args.unit,
        incident_id=args.incident,
        lat=args.lat,
        lon=args.lon,
        category=args.category,
        severity=args.severity,
        note=args.note,
        reason=args.reason,
        owner=args.owner,
        previous_owner=args.previous_owner,
    )
    result = record_events(args.workspace, [event])
    done = "already recorded (not stored again)" if result.already else "recorded"
    about = f" incident {event.incident_id}" if event.kind == "incident_reported" else ""
    print(f"event {event.event_id} {event.kind}{about} {done}; log version {result.version}")
    return 0


def _event_import(args: argparse.Namespace) -> int:
    from geo.errors import InputError
    from geo.events import make_event, parse_time
    from geo.io import ImportLimits, read_path
    from geo.livestate import record_events

    source = read_path(args.file, limits=ImportLimits(max_file_bytes=args.max_mb * 1024 * 1024))
    if source.kind not in ("csv", "jsonl"):
        raise InputError(
            f"{source.filename}: events are read from CSV or JSON lines (.csv, .jsonl); "
            "save the file in one of these"
        )
    table = source.table()
    if table.problems:
        first = table.problems[0]
        raise InputError(f"{source.filename}: {first}; correct the file and import it again")
    unknown = [c for c in table.columns if c not in EVENT_FILE_COLUMNS]
    if unknown or "kind" not in table.columns:
        what = (
            f"column '{unknown[0]}' is not an event column"
            if unknown
            else "the column 'kind' is missing"
        )
        raise InputError(
            f"{source.filename}, row 1: {what}; the columns are {', '.join(EVENT_FILE_COLUMNS)}"
        )
    events = []
    rows: dict[str, int] = {}  # event id → row number, to name the row the log refuses
    actor = _person(args.actor, "--actor") or _cli_actor()
    for number, record in zip(table.row_numbers, table.frame.to_dict("records"), strict=True):
        cells = {c: (str(record.get(c) or "").strip() or None) for c in EVENT_FILE_COLUMNS}
        _person(cells["actor"], f"{source.filename}, row {number}, column 'actor':")
        try:
            when = None if cells["time"] is None else parse_time(cells["time"], "time")
            events.append(
                make_event(
                    kind=cells["kind"] or "",
                    actor=cells["actor"] or actor,
                    event_id=cells["event_id"],
                    time=when,
                    **{c: cells[c] for c in EVENT_FILE_COLUMNS[4:]},  # type: ignore[arg-type]
                )
            )
            rows[events[-1].event_id] = number
        except InputError as exc:
            raise InputError(
                f"{source.filename}, row {number}: {exc}; correct the row (nothing was recorded)"
            ) from exc
    try:
        result = record_events(args.workspace, events)
    except InputError as exc:
        row = rows.get(str(getattr(exc, "event_id", None)))
        where = source.filename if row is None else f"{source.filename}, row {row}"
        raise InputError(f"{where}: {exc}") from exc
    if table.encoding is not None and table.encoding.guessed:
        print(
            f"{source.filename}: read as {table.encoding.label}, a guess (not UTF-8): check "
            "the names and notes, or save the file as UTF-8"
        )
    print(
        f"{source.filename}: {len(result.stored)} event(s) recorded, {len(result.already)} "
        f"already recorded; log version {result.version}"
    )
    return 0


def _event_list(args: argparse.Namespace) -> int:
    from geo.events import parse_time
    from geo.livestate import read_live_state
    from geo.permissions import Viewer

    viewer = Viewer(name=_cli_actor(), role=args.role)
    as_of = None if args.as_of is None else parse_time(args.as_of, "--as-of")
    state = read_live_state(args.workspace, as_of=as_of)
    when = "now" if as_of is None else as_of.isoformat(timespec="minutes")
    print(f"{args.workspace}: live state as of {when} ({state.version} event(s))")
    incidents = state.incidents
    open_ones = incidents[~incidents["state"].isin(["closed", "invalid"])]
    print(f"incidents: {len(incidents)} reported, {len(open_ones)} open")
    for row in open_ones.itertuples():
        print(f"  {row.incident_id}  {row.state:<9}  {row.category}  severity {row.severity}")
    shut = state.centres[state.centres["status"] != "open"]
    print(f"centres not open: {len(shut)}")
    for row in shut.itertuples():
        print(f"  {row.centre_id}  {row.status}")
    away = state.units[~state.units["available"].astype(bool)]
    print(f"units: {len(state.units) - len(away)} available, {len(away)} dispatched")
    # Which unit is where (at its incident) only for roles that may see unit positions.
    if viewer.can_see_unit_positions:
        for row in away.itertuples():
            print(f"  {row.unit_id} at incident {row.incident_id} ({row.lat:.5f}, {row.lon:.5f})")
    # A skipped event's reason can name a unit and the incident it stands at: the reasons
    # only for roles that may see unit positions, a count for the others.
    if viewer.can_see_unit_positions:
        for warning in state.warnings:
            print(f"warning: {warning}")
    elif state.warnings:
        print(
            f"warning: {len(state.warnings)} event(s) of the log skipped; a role that may see "
            "unit positions lists why"
        )
    return 0


def _event_report(args: argparse.Namespace) -> int:
    """``event handover`` (PDF brief) and ``event timeline`` (CSV of the day's incidents)."""
    from datetime import UTC, datetime
    from pathlib import Path

    from geo.events import EventLog, parse_time
    from geo.export import to_csv_bytes
    from geo.livecoverage import LiveCoverage
    from geo.livestate import fold_events
    from geo.ops import Clocks, handover_brief, timeline
    from geo.pdf import handover_pdf
    from geo.permissions import Viewer
    from geo.redaction import live_state_for_viewer
    from geo.workspace import open_workspace

    ws = open_workspace(args.workspace)
    now = datetime.now(UTC) if args.as_of is None else parse_time(args.as_of, "--as-of")
    events = EventLog(args.workspace).read(until=now)
    state = fold_events(
        events,
        centres=ws.require("centres"),
        units=ws.require("units"),
        incidents=ws.layers.get("incidents"),
        as_of=now,
    )
    clocks = Clocks.from_env(os.environ)
    if args.event_action == "timeline":
        day = timeline(
            state,
            events,
            ws.layer("centres"),
            now,
            clocks,
            municipalities=ws.layer("municipalities"),
        )
        _write_export(
            args.workspace,
            args.out,
            to_csv_bytes(day.incidents),
            details={"format": "csv", "kind": "timeline"},
            rows=len(day.incidents),
        )
        print(f"{len(day.incidents):,} incident(s) of the day written to {args.out}")
        return 0
    viewer = Viewer(name=_cli_actor(), role=args.role)
    lost = LiveCoverage.of_workspace(ws).lost_cover(live_state_for_viewer(state, viewer))
    brief = handover_brief(
        state,
        events,
        ws.layer("centres"),
        now,
        clocks,
        lost_cover=len(lost),
        units_shown=viewer.can_see_unit_positions,
    )
    centres = ws.layer("centres")
    names = dict(
        zip(
            centres["centre_id"].astype("str"),
            centres["name_ar" if args.lang == "ar" else "name_en"],
            strict=True,
        )
    )
    pdf = handover_pdf(
        brief,
        lang=args.lang,
        viewer=viewer,
        is_demo=ws.is_demo,
        workspace_name=Path(args.workspace).name,
        centre_names=names,
    )
    _write_export(
        args.workspace,
        args.out,
        pdf,
        rows=len(brief.board),
        details={"format": "pdf", "kind": "handover", "role": args.role, "lang": args.lang},
    )
    print(
        f"handover brief written to {args.out}: {brief.headline.open_incidents} open, "
        f"{brief.headline.overdue_incidents} overdue, {len(brief.changes)} change(s) since "
        f"{'the start of the log' if brief.since is None else brief.since.isoformat()}"
    )
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
    cov.add_argument(
        "--unit-radii",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="use units' own response_radius_km (default: yes, unless a reach flag is given: "
        "a reach you set applies to every unit of its type)",
    )
    cov.add_argument(
        "--as-of", help="date of the analysis, YYYY-MM-DD (default: the latest incident's day)"
    )
    cov.add_argument(
        "--reach",
        choices=("auto", "network", "straight"),
        default="auto",
        help="reach on the road network or in straight line (default: network when the "
        "workspace has roads, else straight)",
    )
    cov.add_argument(
        "--patrol-minutes", type=float, help="patrol limit on roads, minutes (default 15)"
    )
    cov.add_argument(
        "--rapid-minutes", type=float, help="rapid-response limit on roads, minutes (default 30)"
    )
    cov.add_argument("--speeds", help="CSV highway,kmh: speeds per road class (others default)")
    cov.add_argument(
        "--compare-reach",
        action="store_true",
        help="compare straight lines with roads: centres and voters that change status, by "
        "municipality (CSV to --out, summary printed); needs the roads layer",
    )
    cov.set_defaults(run=_cmd_coverage)

    plan = sub.add_parser("plan", help="optimise where patrols or rapid-response units stand")
    plan.add_argument("--workspace", required=True, help="GeoPackage workspace file")
    plan.add_argument("--unit-type", choices=("patrol", "rapid_response"), default="patrol")
    plan.add_argument("--count", type=int, required=True, help="units to place (besides kept)")
    plan.add_argument("--radius-km", type=float, help="reach in road km (default by unit type)")
    plan.add_argument(
        "--keep-existing", action="store_true", help="keep current units of the type in place"
    )
    plan.add_argument("--candidates", help="CSV of candidate sites (site_id, lat, lon)")
    plan.add_argument("--out", required=True, help="CSV of the chosen sites to write")
    plan.add_argument("--method", choices=("auto", "exact", "greedy"), default="auto")
    plan.add_argument("--time-limit", type=float, default=20.0, help="seconds (default 20)")
    plan.add_argument(
        "--as-of", help="date of the risk analysis, YYYY-MM-DD (default: the latest incident's day)"
    )
    plan.set_defaults(run=_cmd_plan)

    from geo import permissions

    usr = sub.add_parser(
        "users",
        help="manage the users file of a team deployment (no password on the command line)",
        allow_abbrev=False,
    )
    usr.add_argument("--file", required=True, help="users file (YAML), outside the repository")
    usr.add_argument("--workspace", help="record the change in this workspace's audit log")
    actions = usr.add_subparsers(dest="users_action", required=True)
    for name, change, text in (
        ("create-admin", None, "create the first administrator of an empty users file"),
        ("add", "add", "add a user with a role"),
        ("disable", "disable", "disable a user (ends their sessions)"),
        ("enable", "enable", "enable a disabled user"),
        ("reset", "reset_password", "set a new password (unlocks, ends sessions)"),
        ("unlock", "unlock", "lift a lockout after failed sign-ins"),
        ("set-role", "set_role", "give a user another role"),
        ("logout-everywhere", "end_sessions", "end every session of a user"),
    ):
        action = actions.add_parser(name, help=text, allow_abbrev=False)
        action.set_defaults(change=change)
        action.add_argument("username")
        if name in ("create-admin", "add"):
            action.add_argument("--name", required=True, help='display name, e.g. "Amal Ben Ali"')
        if name in ("add", "set-role"):
            action.add_argument("--role", required=True, choices=permissions.ROLES)
        if name in ("create-admin", "add", "reset"):
            action.add_argument(
                "--password-stdin",
                action="store_true",
                help="read the password from the first line of stdin instead of a prompt",
            )
    actions.add_parser("list", help="list users (no password hashes)", allow_abbrev=False)
    usr.set_defaults(run=_cmd_users)

    from geo.imports import PERMISSION_BY_LAYER
    from geo.schema import LAYER_NAMES

    imp = sub.add_parser(
        "import",
        help="import a file into a layer as a new version (runs as the machine's operator, "
        "an administrator: no --role)",
        description="Check a file, print the report and store the accepted rows as a new "
        "version of the layer. Exit 0 when rows were imported, 2 when none could be or "
        "when a replace would remove more than half of the layer's rows without an "
        "explicit --mode replace (the workspace is then unchanged). The command line runs "
        "as the machine's operator, who holds every right: there is no --role.",
    )
    imp.add_argument("--workspace", required=True, help="GeoPackage workspace (created if absent)")
    # Roads have their own import (lines replacing the network), not the tabular one.
    importable = [name for name in LAYER_NAMES if name in PERMISSION_BY_LAYER or name == "roads"]
    imp.add_argument("--layer", required=True, choices=importable, help="layer to fill")
    imp.add_argument("file", help="CSV, XLSX, GeoJSON, GPKG, ZIP, .shp or a folder of shapefiles")
    imp.add_argument(
        "--format",
        choices=("auto", "cod-ab", "hnec", "acled", "hxl", "generic"),
        default="auto",
        help="file format (default: recognise it)",
    )
    imp.add_argument("--rejected", metavar="OUT.csv", help="write rejected rows with a reason")
    imp.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    imp.add_argument(
        "--map",
        action="append",
        metavar="TARGET=SOURCE",
        help="fill the layer's column TARGET from the file's column SOURCE (repeatable; "
        "generic and HXL files; the other columns keep their suggested mapping)",
    )
    imp.add_argument(
        "--mapping",
        metavar="FILE|NAME",
        help="read the columns by a mapping saved with --save-mapping (a .json file, or a "
        "name kept in the workspace for the layer), in place of the suggested one (--map "
        "pairs are laid over it)",
    )
    imp.add_argument(
        "--save-mapping",
        metavar="FILE|NAME",
        help="save the column mapping used to reuse it with --mapping: to a .json file, or "
        "in the workspace under NAME (printable, up to 64 characters); also in a dry run",
    )
    imp.add_argument(
        "--json-key",
        metavar="KEY",
        help="JSON tables: read the array of records under KEY when the file's object "
        "holds several",
    )
    imp.add_argument(
        "--swap-coordinates",
        action="store_true",
        help="exchange latitude and longitude in rows where they look swapped",
    )
    imp.add_argument(
        "--mode",
        choices=("replace", "upsert"),
        help="replace the layer, or add/update rows by ID (default: replace boundaries, "
        "upsert the rest). A replace that would remove more than half of the layer's rows "
        "is done only with an explicit --mode replace",
    )
    imp.add_argument(
        "--unmatched",
        choices=("new", "reject"),
        help="municipality lists: rows that match none of the workspace's municipalities "
        "become new municipalities with an unofficial X- code (new, the default) or are "
        "rejected with the reason (reject)",
    )
    imp.add_argument(
        "--class-column",
        help="roads: the column of the road class when it is not highway, fclass, class or "
        "road_class",
    )
    imp.add_argument("--max-mb", type=int, default=100, help="largest file accepted (default 100)")
    imp.set_defaults(run=_cmd_import)

    res = sub.add_parser("restore", help="store an old version of a layer again as the newest")
    res.add_argument("--workspace", required=True, help="GeoPackage workspace file")
    res.add_argument("--layer", required=True, choices=LAYER_NAMES, help="layer to restore")
    res.add_argument("--version", required=True, type=int, help="version number to bring back")
    res.set_defaults(run=_cmd_restore)

    rep = sub.add_parser(
        "report", help="coverage report or export (xlsx, pdf, csv, geojson, gpkg) of an area"
    )
    rep.add_argument("--workspace", required=True, help="GeoPackage workspace file")
    rep.add_argument("--format", required=True, choices=("xlsx", "pdf", "csv", "geojson", "gpkg"))
    rep.add_argument("--lang", choices=("en", "ar"), default="en", help="language (default en)")
    rep.add_argument(
        "--scope",
        default="national",
        help="national (default), region:P, district:P or municipality:P, e.g. district:LY-TB",
    )
    rep.add_argument(
        "--role",
        choices=("admin", "planner", "analyst", "briefer", "viewer"),
        default="analyst",
        help="role the file is made for (default analyst: units only as counts per "
        "municipality; planner or admin include unit positions)",
    )
    rep.add_argument(
        "--table", help="csv: table (default municipalities); geojson: layer (default centres)"
    )
    rep.add_argument(
        "--as-of", help="date of the analysis, YYYY-MM-DD (default: the latest incident's day)"
    )
    rep.add_argument("--out", required=True, help="file to write")
    rep.set_defaults(run=_cmd_report)

    mp = sub.add_parser(
        "map",
        help="the Map page's map as one HTML file that opens offline (redacted by role)",
        description="Write the planning map of the Map page, with the same filters, as one "
        "self-contained HTML file: Leaflet and its plugins are inlined, so it opens from "
        "disk with no request to any host. Units appear as counts per municipality unless "
        "--role may see unit positions. The file is recorded in the audit log. Repeat a "
        "filter flag to choose several values; values are those of the Map page's URL "
        "(P-codes, election names, category and type keys).",
    )
    mp.add_argument("--workspace", required=True, help="GeoPackage workspace file")
    mp.add_argument("--out", required=True, help="HTML file to write")
    mp.add_argument(
        "--role",
        choices=permissions.ROLES,
        default="analyst",
        help="role the file is made for (default analyst: units only as counts per "
        "municipality; planner or admin include unit positions)",
    )
    mp.add_argument("--lang", choices=("en", "ar"), default="en", help="language (default en)")
    for flag, what in (
        ("region", "region P-code"),
        ("district", "district P-code"),
        ("municipality", "municipality P-code"),
        ("election", "incident election, e.g. 'municipal 2025 phase 2'"),
        ("category", "incident category key, e.g. attack_on_centre"),
        ("agency", "security unit agency"),
        ("unit-type", "unit type: static_guard, patrol, rapid_response, checkpoint"),
        ("centre-type", "polling centre type key"),
        ("access", "centre access status: accessible, partial, inaccessible, unknown"),
    ):
        mp.add_argument(f"--{flag}", action="append", metavar="VALUE", help=f"only this {what}")
    mp.add_argument("--since", metavar="YYYY-MM-DD", help="incidents on or after this date")
    mp.add_argument("--until", metavar="YYYY-MM-DD", help="incidents on or before this date")
    mp.add_argument(
        "--measure",
        default="registered_voters",
        help="what shades the municipalities (default registered_voters; also centres, "
        "incidents, share_accessible, coverage_share, risk_mean, shortfall; none for outlines)",
    )
    mp.add_argument(
        "--colour-by",
        help="what colours the centres: coverage_status (default with units), risk_tier, "
        "access_status (default without units) or centre_type",
    )
    mp.add_argument("--heat-map", action="store_true", help="open with incidents as a heat map")
    mp.add_argument(
        "--radii", action="store_true", help="open with response radii on (unit positions only)"
    )
    mp.add_argument("--no-centres", action="store_true", help="leave the polling centres out")
    mp.add_argument("--no-units", action="store_true", help="leave the security units out")
    mp.add_argument("--no-incidents", action="store_true", help="leave the incidents out")
    mp.add_argument(
        "--as-of",
        help="date of the coverage analysis, YYYY-MM-DD (default: the latest incident's day)",
    )
    mp.set_defaults(run=_cmd_map)

    from geo.events import ESCALATION_REASONS, EVENT_KINDS
    from geo.schema import INCIDENT_CATEGORIES

    ev = sub.add_parser(
        "event",
        help="election day: record an event, import a field system's events, list the live state",
        allow_abbrev=False,
    )
    ev_actions = ev.add_subparsers(dest="event_action", required=True)
    add = ev_actions.add_parser("add", help="record one event", allow_abbrev=False)
    add.add_argument("--workspace", required=True, help="GeoPackage workspace file")
    add.add_argument("--kind", required=True, choices=EVENT_KINDS)
    add.add_argument("--centre", help="centre_id the event concerns")
    add.add_argument("--unit", help="unit_id (unit_dispatched, unit_back)")
    add.add_argument("--incident", help="incident_id (a new report gets one if left out)")
    add.add_argument("--lat", help="latitude, degrees (incident_reported, centre_relocated)")
    add.add_argument("--lon", help="longitude, degrees")
    add.add_argument("--category", choices=INCIDENT_CATEGORIES, help="of a reported incident")
    add.add_argument("--severity", help="of a reported incident, 1 to 5")
    add.add_argument("--reason", choices=ESCALATION_REASONS, help="of an escalation")
    add.add_argument("--owner", help="who takes charge of the incident (incident_assigned)")
    add.add_argument(
        "--previous-owner",
        metavar="NAME",
        help="the owner you saw ('' for nobody): refuse the assignment if someone else took "
        "the incident meanwhile (incident_assigned)",
    )
    add.add_argument("--note", help="free text, at most 1,000 characters")
    add.add_argument("--id", help="the event's UUID (a retry with the same id is stored once)")
    add.add_argument("--time", help="when it happened, ISO 8601; no offset means UTC")
    add.add_argument("--actor", help="who records it (default cli:<account>)")
    imp_ev = ev_actions.add_parser(
        "import",
        help="record the events of a CSV or JSON lines file, all or none",
        allow_abbrev=False,
    )
    imp_ev.add_argument("file", help=f"CSV or .jsonl with columns {', '.join(EVENT_FILE_COLUMNS)}")
    imp_ev.add_argument("--workspace", required=True, help="GeoPackage workspace file")
    imp_ev.add_argument("--actor", help="actor of rows without one (default cli:<account>)")
    imp_ev.add_argument(
        "--max-mb", type=int, default=100, help="largest file accepted (default 100)"
    )
    lst = ev_actions.add_parser("list", help="print the live state", allow_abbrev=False)
    lst.add_argument("--workspace", required=True, help="GeoPackage workspace file")
    lst.add_argument("--as-of", help="the moment, ISO 8601 (default now); no offset means UTC")
    lst.add_argument(
        "--role",
        choices=permissions.ROLES,
        default="analyst",
        help="role the listing is for (default analyst: dispatched units as a count; "
        "planner or admin also list which unit is where)",
    )
    for name, what in (
        ("handover", "the shift-handover brief as a PDF (redacted by --role)"),
        ("timeline", "the day's incidents as CSV: times to verify and resolve, units sent"),
    ):
        report = ev_actions.add_parser(name, help=what, allow_abbrev=False)
        report.add_argument("--workspace", required=True, help="GeoPackage workspace file")
        report.add_argument("--out", required=True, help="file to write")
        report.add_argument("--as-of", help="the moment, ISO 8601 (default now)")
        if name == "handover":
            report.add_argument("--lang", choices=("en", "ar"), default="en")
            report.add_argument(
                "--role",
                choices=permissions.ROLES,
                default="liaison",
                help="role the brief is for (default liaison: no unit id)",
            )
    ev.set_defaults(run=_cmd_event)
    return parser


@contextmanager
def stopping_cleanly() -> Iterator[None]:
    """Turn SIGTERM into ``SystemExit`` while the block runs (in the main thread).

    Python's default for SIGTERM ends the process at once; as an exception, the store's
    clean-up runs (a write in progress removes its temporary copy of the workspace).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        del frame
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for problems the user can fix)."""
    args = build_parser().parse_args(argv)
    try:
        with stopping_cleanly():
            code: int = args.run(args)
    except PlannerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return code
