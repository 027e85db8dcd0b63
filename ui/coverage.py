"""Cached coverage analysis shared by the Coverage, Map, Plan, Reports and Briefing pages."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from geo.coverage import CoverageParams, CoverageResult, Level, Rollup
from geo.coverage import rollup_coverage as _rollup
from geo.reports import analyse_workspace
from geo.risk import RiskWeights, resolve_as_of
from geo.workspace import Workspace


@st.cache_data(max_entries=16, show_spinner="Analysing coverage and risk…")
def _analyse(
    key: str,
    _workspace: Workspace,
    _params: CoverageParams,
    _weights: RiskWeights,
    as_of: str,
) -> CoverageResult:
    # ``key`` (workspace stamp + parameters) is what the cache hashes.
    del key
    return analyse_workspace(_workspace, params=_params, weights=_weights, as_of=as_of)


def coverage(
    workspace: Workspace,
    params: CoverageParams = CoverageParams(),
    weights: RiskWeights = RiskWeights(),  # noqa: B008 - frozen, never mutated
    as_of: pd.Timestamp | str | None = None,
) -> CoverageResult:
    """Return the per-centre analysis, cached per workspace version and parameters.

    Raises the app's own errors (e.g. ``LayerMissingError``) for the page to show.
    """
    day = resolve_as_of(as_of, workspace.layer("incidents")).strftime("%Y-%m-%d")
    key = f"{workspace.stamp}|{params!r}|{weights!r}|{day}"
    return _analyse(key, workspace, params, weights, day)


@st.cache_data(max_entries=32, show_spinner=False)
def _rollup_cached(key: str, _result: CoverageResult, _workspace: Workspace, by: Level) -> Rollup:
    del key
    ws = _workspace
    return _rollup(
        _result,
        ws.layer("centres"),
        ws.layer("incidents"),
        ws.layer("municipalities"),
        ws.layer("districts"),
        by=by,
        regions=ws.layer("regions"),
    )


def rollup(workspace: Workspace, result: CoverageResult, by: Level) -> Rollup:
    """Return the roll-up of ``result`` by municipality, district or region (cached)."""
    key = f"{workspace.stamp}|{result.params!r}|{result.weights!r}|{result.as_of}|{by}"
    return _rollup_cached(key, result, workspace, by)


SETTINGS_KEY = "coverage_settings"


@dataclass(frozen=True)
class CoverageSettings:
    """The analysis parameters chosen on the Coverage page, used by every page."""

    params: CoverageParams = CoverageParams()
    weights: RiskWeights = RiskWeights()
    as_of: str | None = None


def current_settings() -> CoverageSettings:
    """Return the parameters chosen in this session (the defaults until changed)."""
    settings = st.session_state.get(SETTINGS_KEY)
    return settings if isinstance(settings, CoverageSettings) else CoverageSettings()


def save_settings(settings: CoverageSettings) -> None:
    """Remember ``settings`` for this session (every page then uses them)."""
    st.session_state[SETTINGS_KEY] = settings


def current_coverage(workspace: Workspace) -> CoverageResult:
    """Return the analysis of ``workspace`` with this session's parameters (cached)."""
    s = current_settings()
    return coverage(workspace, s.params, s.weights, s.as_of)
