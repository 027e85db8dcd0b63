"""The Operations page's Streamlit side: the board's poller, cached live state, actions.

The board refreshes itself with a fragment that reads the event log's version number
every few seconds (one small SQLite read); only when the version or the minute changes
does it rerun the page, which then folds the events again (cached per version).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

import ui
from geo.errors import PlannerError
from geo.events import Event, EventLog, make_event
from geo.livecoverage import LiveCoverage
from geo.livestate import LiveState, fold_events, record_events
from geo.ops import KIND_LABELS, Clocks, clock_escalations
from geo.permissions import Viewer
from geo.workspace import Workspace
from ui.coverage import CoverageSettings, current_settings

#: Seconds between two looks at the event log (``PSP_BOARD_REFRESH_S``, default 5).
REFRESH_ENV = "PSP_BOARD_REFRESH_S"
_SEEN_KEY = "ops_seen"
_LAST_KEY = "ops_last_submission"
_OWNERS_KEY = "ops_owners_shown"
#: Seconds within which the same submission of a session is taken as a repeat of the last.
RESUBMIT_S = 10.0


def refresh_seconds() -> float:
    """Seconds between two looks at the event log (at least 1)."""
    try:
        return max(1.0, float(os.environ.get(REFRESH_ENV, "5")))
    except ValueError:
        return 5.0


def _mark(workspace: Workspace) -> tuple[int, str]:
    # What makes the board out of date: a new event, or a new minute (ages, clocks).
    return EventLog(workspace.path).version(), f"{datetime.now(UTC):%Y-%m-%dT%H:%M}"


def watch(workspace: Workspace, t: Callable[[str], str]) -> None:
    """Show when the board was updated; rerun the page when the log or the minute changes."""
    st.session_state[_SEEN_KEY] = _mark(workspace)

    @st.fragment(run_every=refresh_seconds())
    def poll() -> None:
        mark = _mark(workspace)
        if mark != st.session_state.get(_SEEN_KEY):
            st.session_state[_SEEN_KEY] = mark
            st.rerun(scope="app")
        st.caption(
            f"{t('Updated')} {datetime.now(UTC):%H:%M:%S} UTC · {t('log version')} {mark[0]:,}"
        )

    poll()


@st.cache_data(max_entries=8, show_spinner=False)
def _state(key: str, _workspace: Workspace) -> LiveState:
    del key  # workspace stamp and log version: what the cache hashes
    ws = _workspace
    return fold_events(
        events(ws),
        centres=ws.layer("centres"),
        units=ws.layer("units"),
        incidents=ws.layers.get("incidents"),
    )


def live_state(workspace: Workspace) -> LiveState:
    """Return the live state now (all stored events), cached per layer and log version.

    Folds the events over the layers already loaded (:func:`ui.load_workspace`), as
    :func:`geo.livestate.read_live_state` does over the file.
    """
    version = EventLog(workspace.path).version()
    return _state(f"{workspace.stamp}|{version}", workspace)


@st.cache_resource(max_entries=8, show_spinner=False)
def _events(key: str, path: str) -> tuple[Event, ...]:
    # A resource, not data: events are immutable (and their payloads do not pickle).
    del key
    return tuple(EventLog(path).read())


def events(workspace: Workspace) -> tuple[Event, ...]:
    """Return every stored event of the day, cached per log version."""
    version = EventLog(workspace.path).version()
    return _events(f"{workspace.path}|{version}", str(workspace.path))


@st.cache_resource(max_entries=4, show_spinner="Preparing live coverage…")
def _live_coverage(key: str, _workspace: Workspace, _settings: CoverageSettings) -> LiveCoverage:
    del key  # workspace stamp and settings: what the cache hashes
    return LiveCoverage.of_workspace(
        _workspace, params=_settings.params, weights=_settings.weights, as_of=_settings.as_of
    )


def live_coverage(workspace: Workspace) -> LiveCoverage:
    """Return the live coverage engine of ``workspace`` with this session's parameters.

    One engine per workspace version and parameters, shared by every board: it keeps the
    units' travel times, so an event costs only what it changes.
    """
    settings = current_settings()
    return _live_coverage(f"{workspace.stamp}|{settings!r}", workspace, settings)


def room_clocks(t: Callable[[str], str]) -> Clocks:
    """Return the room's clocks (``PSP_CLOCK_*``, one setting for every board); show them.

    Not a setting of the session: the escalations they call for go into the shared log in
    the clock's name.
    """
    try:
        clocks = Clocks.from_env(os.environ)
    except PlannerError as exc:
        ui.show_error(exc)
    st.sidebar.caption(
        f"{t('Clocks of the room')}: {t('verify within')} {clocks.verify_min:g} {t('min')} · "
        f"{t('act within')} {clocks.act_min:g} {t('min')} · {t('resolve within')} "
        f"{clocks.resolve_target_min:g} {t('min')}"
    )
    return clocks


def run_clocks(workspace: Workspace, state: LiveState, now: datetime, clocks: Clocks) -> int:
    """Record the escalations the clocks call for; return how many were new."""
    if state.incidents.empty:
        return 0
    namespace = EventLog(workspace.path).clock_namespace()
    stored = 0
    for event in clock_escalations(state, now, clocks, namespace=namespace):
        # One at a time: an incident another board has just changed does not hold back
        # the escalation of the others.
        try:
            stored += len(record_events(workspace.path, [event]).stored)
        except PlannerError:
            continue  # the next look folds the other board's events
    return stored


def owners_shown(board: pd.DataFrame) -> dict[str, str]:
    """Return each incident's owner as this session's board last showed it (``""``: nobody).

    The board of the run before this one: the run a click starts reads the log again, so
    what the operator saw when clicking is the previous run's. An assignment carries it
    (``previous_owner``) and is refused if someone took the incident in between.
    """
    before = st.session_state.get(_OWNERS_KEY) or {}
    now = {str(i): str(o or "") for i, o in zip(board["incident_id"], board["owner"], strict=True)}
    st.session_state[_OWNERS_KEY] = now
    return {**now, **{i: o for i, o in before.items() if i in now}}


def _submission_id(content: str) -> str:
    """Return the event id of a submission: the last one's when it repeats it.

    The same action with the same values from the same session within
    :data:`RESUBMIT_S` seconds (a double click, a rerun before the answer) carries the
    same id, so the log stores it once.
    """
    last = st.session_state.get(_LAST_KEY)
    if last is not None and last[0] == content and time.monotonic() - last[2] < RESUBMIT_S:
        return str(last[1])
    return str(uuid.uuid4())


def act(
    workspace: Workspace, viewer: Viewer, t: Callable[[str], str], kind: str, **fields: object
) -> Event | None:
    """Record one event of ``viewer``'s; show the outcome; rerun the page when stored."""
    if not viewer.can("operate"):
        st.error(t("Your role may not change the day's record."))
        return None
    content = repr((kind, sorted(fields.items())))
    try:
        event = make_event(kind=kind, actor=viewer.name, event_id=_submission_id(content), **fields)
        st.session_state[_LAST_KEY] = (content, event.event_id, time.monotonic())
        result = record_events(workspace.path, [event])
    except PlannerError as exc:
        st.error(ui.md_escape(exc))
        return None
    if not result.stored:
        st.info(t("Already recorded: the same action repeated within seconds is stored once."))
        return event
    st.session_state["ops_done"] = (kind, event.incident_id or event.centre_id or event.unit_id)
    st.rerun()
    return event


def last_done(t: Callable[[str], str]) -> None:
    """Confirm the last action of this session (once)."""
    done = st.session_state.pop("ops_done", None)
    if done:
        kind, what = done
        st.toast(f"{t('Recorded')}: {t(KIND_LABELS[kind])} · {ui.md_escape(what or '')}", icon="✅")


def minutes(value: object) -> str:
    """Return minutes as a whole number, or an empty string."""
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return ""
    return f"{float(value):.0f}"  # type: ignore[arg-type]
