"""Key figures of a workspace, as shown on the home page and in reports."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.access import centre_access, share_voters_accessible


@dataclass(frozen=True)
class KeyFigures:
    """Headline counts of a workspace (all aggregates: safe for every role)."""

    centres: int
    stations_male: int
    stations_female: int
    stations_mixed: int
    voters: int
    voters_male: int
    voters_female: int
    units: int
    officers: int
    female_officers: int
    incidents_by_election: tuple[tuple[str, int], ...]
    share_voters_accessible: float

    @property
    def stations(self) -> int:
        """All stations, men's, women's and mixed."""
        return self.stations_male + self.stations_female + self.stations_mixed

    @property
    def incidents(self) -> int:
        """All incidents, whatever the election."""
        return sum(n for _, n in self.incidents_by_election)


def _total(frame: pd.DataFrame, column: str) -> int:
    return int(frame[column].sum()) if column in frame and len(frame) else 0


def summarise_workspace(
    centres: pd.DataFrame,
    units: pd.DataFrame,
    incidents: pd.DataFrame,
    audits: pd.DataFrame,
) -> KeyFigures:
    """Compute the key figures from the current layers.

    Parameters
    ----------
    centres, units, incidents, audits
        Layers ``centres``, ``units``, ``incidents`` and ``access_audits`` (schema columns).

    Returns
    -------
    KeyFigures
        Counts; incidents without an election are counted under ``"(no election)"``.
    """
    by_election = (
        incidents["election"].fillna("(no election)").value_counts().sort_index()
        if len(incidents)
        else pd.Series(dtype="int64")
    )
    access = centre_access(centres, audits)
    return KeyFigures(
        centres=len(centres),
        stations_male=_total(centres, "stations_male"),
        stations_female=_total(centres, "stations_female"),
        stations_mixed=_total(centres, "stations_mixed"),
        voters=_total(centres, "registered_voters"),
        voters_male=_total(centres, "voters_male"),
        voters_female=_total(centres, "voters_female"),
        units=len(units),
        officers=_total(units, "officers"),
        female_officers=_total(units, "female_officers"),
        incidents_by_election=tuple((str(k), int(v)) for k, v in by_election.items()),
        share_voters_accessible=share_voters_accessible(centres, access),
    )
