r"""Risk score of each polling centre: an explainable weighted sum of five components.

Model
-----
For centre ``i``, incidents ``j`` dated on or before the as-of date ``t`` (later ones are
ignored), severity ``s_j`` (1–5, 3 when missing), age ``a_j = t - date_j`` in days and
scale-corrected straight-line distance ``d_ij``:

* decay of an incident: ``g_j = (s_j / 5) * 0.5 ** (a_j / H)``, half-life ``H`` = 365 days;
* **incidents nearby**: ``N_i = sum_j g_j * max(0, 1 - d_ij / D)``, ``D`` = 10 km
  (full weight at the centre, none beyond ``D``); ``c_nearby = min(1, N_i / 4)``;
* **incidents at this centre** (incident ``centre_id`` equals the centre's, wherever the point
  lies): ``A_i = sum_j g_j``; ``c_at_centre = min(1, A_i / 1)``, so one severity-5 incident
  today saturates it (such an incident also counts in ``N_i`` through its location);
* **size**: ``c_size = min(1, registered_voters / 5,000)``;
* **remoteness**, in whole bands: with ``u_i`` the straight-line distance to the nearest
  security unit of any type and band edges ``e`` = 5, 10, 20 and 30 km,
  ``c_remoteness = #{e : u_i >= e} / 4``: 0 below 5 km, 0.25 from 5 to 10 km, 0.5 from 10
  to 20 km, 0.75 from 20 to 30 km and 1 from 30 km (or with no unit at all). The component
  is a step, not a line, on purpose: anyone who sees a score sees only the band of the
  distance, which places no unit better than the band's width (at least
  :data:`MIN_BAND_KM`); a linear component would give the distance itself back
  (``geo/redaction.py``);
  **on roads** (the coverage analysis with a road layer, :mod:`geo.coverage`), ``u_i`` is
  instead the travel time in minutes from the nearest unit of any type
  (:func:`geo.network.nearest_travel_time`; a pair the network does not join drives the
  straight line × circuity), banded at ``e`` = 10, 20, 40 and 60 minutes (about the km
  bands at a patrol's 40 km/h with circuity 1.3), each band at least
  :data:`MIN_BAND_MIN` wide; ``remoteness_model`` says per centre which model gave the
  time and ``remoteness_unit`` (``min`` | ``km``) what the bands count;
* **municipality context**: incidents of the centre's municipality in the ``W`` = 730 days
  before ``t`` per 10,000 registered voters of that municipality, ``R_m``;
  ``c_context = min(1, R_m / 5)``. An incident's municipality is its ``municipality_pcode``,
  else that of the centre in its ``centre_id``; incidents with neither are not counted (the
  import step fills ``municipality_pcode`` from the location).

Each component is thus scaled to 0–1 and saturates at its cap. The score is

.. math::

    \text{risk\_score}_i = 100 \, \frac{\sum_k w_k c_{ik}}{\sum_k w_k} \in [0, 100]

with default weights ``w``: nearby 0.35, at centre 0.25, size 0.15, remoteness 0.15,
context 0.10 (every weight, cap, ``D``, ``H`` and ``W`` is a field of :class:`RiskWeights`).
The score is monotone: another incident, or an incident nearer or more recent, never lowers
it; another unit never raises it.

The points of component ``k``, ``100 w_k c_ik / sum(w)``, are returned beside the score in
``risk_incidents_nearby``, ``risk_incidents_at_centre``, ``risk_size``, ``risk_remoteness``
and ``risk_context``; they add up to ``risk_score``.

Beside the points, the table gives the figures the explanation quotes: incidents within ``D``
(any age, and in the last 365 days), incidents naming the centre with the latest one's date
and category, the distance to the nearest unit (withheld from roles that may not see unit
positions: their explanation quotes the band), and the municipal count and rate. Incident
sums run on :func:`geo.distance.sum_within` (exact; a cell list with KD-tree pairs), about
2 s for 190,000 centres × 40,000 incidents.

Tiers: ``low`` below 25, ``medium`` 25 to below 50, ``high`` 50 to below 75, ``critical``
75 and above (:data:`TIER_THRESHOLDS`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.distance import nearest, points_xy, sum_within
from geo.errors import InputError
from geo.i18n import N_, Language, translate

#: Lower bounds of the ``medium``, ``high`` and ``critical`` tiers (score 0–100).
TIER_THRESHOLDS: tuple[float, float, float] = (25.0, 50.0, 75.0)
TIERS: tuple[str, ...] = ("low", "medium", "high", "critical")

#: Component columns, in output order, and the weight field of each.
COMPONENTS: tuple[tuple[str, str], ...] = (
    ("risk_incidents_nearby", "nearby"),
    ("risk_incidents_at_centre", "at_centre"),
    ("risk_size", "size"),
    ("risk_remoteness", "remoteness"),
    ("risk_context", "context"),
)
#: Plain-English names of the components, for tables and charts.
COMPONENT_LABELS: dict[str, str] = {
    "risk_incidents_nearby": "Nearby incidents",
    "risk_incidents_at_centre": "Incidents at this centre",
    "risk_size": "Size (voters)",
    "risk_remoteness": "Remoteness from units",
    "risk_context": "Municipality context",
}
#: Columns that :func:`explain_risk` reads besides the components.
DETAIL_COLUMNS: tuple[str, ...] = (
    "registered_voters",
    "incidents_nearby",
    "incidents_nearby_last_year",
    "incidents_at_centre",
    "last_incident_at_centre_date",
    "last_incident_at_centre_category",
    "nearest_unit_km",
    "nearest_unit_min",
    "remoteness_model",
    "remoteness_unit",
    "municipality_incidents",
    "municipality_incidents_per_10k",
)
_MISSING_SEVERITY = 3
#: Edges of the remoteness bands, km (see the module docstring).
REMOTENESS_BANDS_KM: tuple[float, ...] = (5.0, 10.0, 20.0, 30.0)
#: Narrowest remoteness band allowed, km: a band tells where the nearest unit is not, and
#: only to this width where it is.
MIN_BAND_KM = 5.0
#: Edges of the remoteness bands on roads, minutes of travel (see the module docstring).
REMOTENESS_BANDS_MIN: tuple[float, ...] = (10.0, 20.0, 40.0, 60.0)
#: Narrowest remoteness band on roads, minutes (10 minutes are 17 km at 100 km/h).
MIN_BAND_MIN = 10.0


@dataclass(frozen=True)
class RiskWeights:
    """Weights, caps and horizons of the risk model (see the module docstring).

    Attributes
    ----------
    nearby, at_centre, size, remoteness, context
        Component weights (non-negative, not all zero); only their ratios matter.
    distance_km
        Radius ``D`` of the nearby-incidents component, km.
    half_life_days
        Age at which an incident counts half, days.
    nearby_cap
        Decayed, severity-weighted incident sum at which ``c_nearby`` reaches 1.
    at_centre_cap
        Decayed, severity-weighted sum of this centre's incidents at which ``c_at_centre``
        reaches 1.
    size_cap_voters
        Registered voters at which ``c_size`` reaches 1.
    remoteness_bands_km
        Edges of the remoteness bands, km, increasing, each band at least
        :data:`MIN_BAND_KM` wide (the first edge too); ``c_remoteness`` rises by
        ``1 / len(edges)`` at each edge and reaches 1 at the last.
    remoteness_bands_min
        The same on roads, in minutes of travel, each band at least :data:`MIN_BAND_MIN`
        wide.
    context_window_days
        Look-back window of the municipality context, days.
    context_cap_per_10k
        Municipal incidents per 10,000 voters at which ``c_context`` reaches 1.
    """

    nearby: float = 0.35
    at_centre: float = 0.25
    size: float = 0.15
    remoteness: float = 0.15
    context: float = 0.10
    distance_km: float = 10.0
    half_life_days: float = 365.0
    nearby_cap: float = 4.0
    at_centre_cap: float = 1.0
    size_cap_voters: float = 5000.0
    remoteness_bands_km: tuple[float, ...] = REMOTENESS_BANDS_KM
    remoteness_bands_min: tuple[float, ...] = REMOTENESS_BANDS_MIN
    context_window_days: float = 730.0
    context_cap_per_10k: float = 5.0

    def __post_init__(self) -> None:
        """Reject weights and caps that would make the score meaningless."""
        problems = _band_problems(self.remoteness_bands_km)
        problems += _band_problems(self.remoteness_bands_min, "min", MIN_BAND_MIN)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("remoteness_bands_km", "remoteness_bands_min"):
                continue
            if not isinstance(value, int | float) or not math.isfinite(value):
                problems.append(f"{f.name} must be a finite number, got {value!r}")
            elif f.name in _WEIGHT_FIELDS and value < 0:
                problems.append(f"weight {f.name} must not be negative, got {value:g}")
            elif f.name not in _WEIGHT_FIELDS and value <= 0:
                problems.append(f"{f.name} must be positive, got {value:g}")
        if not problems and self.total == 0:
            problems.append("all risk weights are zero; give at least one a positive weight")
        if problems:
            raise InputError("risk weights: " + "; ".join(problems))

    @property
    def total(self) -> float:
        """Sum of the five component weights."""
        return float(sum(getattr(self, name) for name in _WEIGHT_FIELDS))


_WEIGHT_FIELDS = tuple(name for _, name in COMPONENTS)


def _band_problems(edges: object, unit: str = "km", narrowest: float = MIN_BAND_KM) -> list[str]:
    """Return what is wrong with remoteness band edges (nothing: an empty list)."""
    shown = repr(edges)
    name = f"remoteness_bands_{unit}"
    if not isinstance(edges, tuple) or not edges:
        return [f"{name} must be a non-empty tuple of {unit}, got {shown}"]
    if not all(isinstance(e, int | float) and math.isfinite(e) for e in edges):
        return [f"{name} must hold finite numbers of {unit}, got {shown}"]
    widths = np.diff(np.asarray((0.0, *edges), dtype=float))
    if (widths < narrowest).any():
        return [
            f"remoteness bands must increase by at least {narrowest:g} {unit} from 0 "
            f"(narrower bands would tell how far the nearest unit is), got {shown}"
        ]
    return []


def remoteness_fraction(
    nearest_unit_km: NDArray[np.float64], edges: tuple[float, ...] = REMOTENESS_BANDS_KM
) -> NDArray[np.float64]:
    """Return ``c_remoteness`` (0–1): the share of band edges at or below each distance.

    ``inf`` (no unit at all) gives 1; so does any distance from the last edge on.
    """
    km = np.asarray(nearest_unit_km, dtype=np.float64)
    passed = np.searchsorted(np.asarray(edges, dtype=float), km, side="right")
    return passed / float(len(edges))


def remoteness_band(
    fraction: float, edges: tuple[float, ...] = REMOTENESS_BANDS_KM, unit: str = "km"
) -> str:
    """Say in words which band ``c_remoteness = fraction`` stands for (``"5–10 km"``)."""
    index = int(round(fraction * len(edges)))
    bounds = (0.0, *edges)
    if index >= len(edges):
        return f"{edges[-1]:g} {unit} or more"
    return f"{bounds[index]:g}–{bounds[index + 1]:g} {unit}"


def risk_tier(score: NDArray[np.float64] | pd.Series) -> NDArray[np.str_]:
    """Return the tier (``low``, ``medium``, ``high``, ``critical``) of scores 0–100."""
    values = np.asarray(score, dtype=np.float64)
    return np.asarray(TIERS, dtype=object)[np.searchsorted(TIER_THRESHOLDS, values, side="right")]


def score_risk(
    centres: pd.DataFrame,
    units: pd.DataFrame | None,
    incidents: pd.DataFrame | None,
    *,
    weights: RiskWeights = RiskWeights(),
    as_of: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Score the risk of every centre.

    Parameters
    ----------
    centres
        ``centre_id``, ``municipality_pcode``, ``registered_voters``, point geometry
        (EPSG:4326). Municipal voter totals for the context component are summed over these
        centres.
    units
        Security units (point geometry; every type counts for remoteness), or ``None``.
    incidents
        ``date``, ``severity``, ``category``, optional ``centre_id`` and
        ``municipality_pcode``, point geometry; or ``None``.
    weights
        Model parameters.
    as_of
        Reference date: incidents after it are ignored, ages are counted to it. ``None``
        means the latest incident's day (see :func:`resolve_as_of`).

    Returns
    -------
    pandas.DataFrame
        ``centre_id``, ``risk_score``, ``risk_tier``, the component points (see the module
        docstring) and :data:`DETAIL_COLUMNS`, one row per centre in input order.
    """
    centre_xy = points_xy(centres, layer="centres")
    unit_xy = points_xy(units, layer="units") if units is not None else np.empty((0, 2))
    incident_xy = (
        points_xy(incidents, layer="incidents") if incidents is not None else np.empty((0, 2))
    )
    unit_km, _ = nearest(centre_xy, unit_xy)
    return score_risk_xy(
        centres,
        centre_xy,
        unit_km / 1000.0,
        incidents,
        incident_xy,
        weights=weights,
        as_of=resolve_as_of(as_of, incidents),
    )


def resolve_as_of(
    as_of: pd.Timestamp | str | None, incidents: pd.DataFrame | None = None
) -> pd.Timestamp:
    """Return the as-of date as a day without time zone.

    ``None`` means the day of the latest dated incident in ``incidents`` (the workspace's
    latest election data), or today when there is none: analysing 2024–25 data "as of
    today" would leave every incident out of the last year and explain nothing.

    Raises
    ------
    InputError
        When ``as_of`` is not a date.
    """
    if as_of is None and incidents is not None and "date" in incidents.columns:
        latest = pd.to_datetime(incidents["date"], errors="coerce").max()
        if latest is not pd.NaT and pd.notna(latest):
            as_of = latest
    try:
        stamp = pd.Timestamp.now() if as_of is None else pd.Timestamp(as_of)
    except (TypeError, ValueError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise InputError(f"as-of date {as_of!r} is not a date; give it as YYYY-MM-DD")
    return (stamp.tz_localize(None) if stamp.tzinfo else stamp).normalize()


def score_risk_xy(
    centres: pd.DataFrame,
    centre_xy: NDArray[np.float64],
    nearest_unit_km: NDArray[np.float64],
    incidents: pd.DataFrame | None,
    incident_xy: NDArray[np.float64],
    *,
    weights: RiskWeights,
    as_of: pd.Timestamp,
    nearest_unit_min: NDArray[np.float64] | None = None,
    remoteness_model: NDArray[np.bool_] | None = None,
) -> pd.DataFrame:
    """Array core of :func:`score_risk`: coordinates projected, unit distances known.

    ``nearest_unit_km`` is ``inf`` for centres when there is no unit at all. With
    ``nearest_unit_min`` (travel time on roads, ``inf`` without any unit) remoteness counts
    the minute bands instead; ``remoteness_model`` is then True where the network gave
    the time (else the straight line did).
    """
    _require(centres, "centres", ("centre_id", "municipality_pcode", "registered_voters"))
    require_unique_ids(centres["centre_id"].astype("str"))
    n = len(centres)
    ids = centres["centre_id"].astype("str").to_numpy()
    muni = centres["municipality_pcode"].astype("str").to_numpy()
    voters = pd.to_numeric(centres["registered_voters"]).fillna(0).to_numpy(dtype=np.float64)

    recent = _usable_incidents(incidents, incident_xy, as_of)
    inc, inc_xy = recent.frame, recent.xy
    age_days = recent.age_days
    severity = inc["severity"].astype("Float64").fillna(_MISSING_SEVERITY).to_numpy(float)
    decayed = np.asarray(
        (severity / 5.0) * np.power(0.5, age_days / weights.half_life_days), dtype=np.float64
    )

    columns = np.column_stack([decayed, np.ones(len(inc)), (age_days <= 365).astype(float)])
    tapered, flat = sum_within(centre_xy, inc_xy, columns, radius_m=weights.distance_km * 1000.0)
    nearby_sum = tapered[:, 0]
    nearby_count = flat[:, 1].round().astype(np.int64)
    nearby_year = flat[:, 2].round().astype(np.int64)

    at = _at_centre(ids, inc, decayed)
    context_count, context_rate = _context(muni, voters, ids, inc, age_days, weights)

    remote_km = np.asarray(nearest_unit_km, dtype=np.float64)
    if nearest_unit_min is None:
        remote_min = np.full(n, np.nan)
        remoteness = remoteness_fraction(remote_km, weights.remoteness_bands_km)
        model = np.full(n, "straight", dtype=object)
        unit = "km"
    else:
        remote_min = np.asarray(nearest_unit_min, dtype=np.float64)
        remoteness = remoteness_fraction(remote_min, weights.remoteness_bands_min)
        on_network = np.zeros(n, dtype=bool) if remoteness_model is None else remoteness_model
        model = np.where(on_network, "network", "straight").astype(object)
        unit = "min"
    c = {
        "nearby": np.minimum(1.0, nearby_sum / weights.nearby_cap),
        "at_centre": np.minimum(1.0, at["sum"] / weights.at_centre_cap),
        "size": np.minimum(1.0, voters / weights.size_cap_voters),
        "remoteness": remoteness,
        "context": np.minimum(1.0, context_rate / weights.context_cap_per_10k),
    }
    points = {
        column: 100.0 * getattr(weights, name) * c[name] / weights.total
        for column, name in COMPONENTS
    }
    score = np.clip(np.sum(list(points.values()), axis=0), 0.0, 100.0) if n else np.zeros(0)
    out = pd.DataFrame(
        {
            "centre_id": ids,
            "risk_score": score,
            "risk_tier": pd.array(risk_tier(score), dtype="str"),
            **points,
            "registered_voters": voters.astype(np.int64),
            "incidents_nearby": nearby_count,
            "incidents_nearby_last_year": nearby_year,
            "incidents_at_centre": at["count"],
            "last_incident_at_centre_date": at["date"],
            "last_incident_at_centre_category": at["category"],
            "nearest_unit_km": np.where(np.isfinite(remote_km), remote_km, np.nan),
            "nearest_unit_min": np.where(np.isfinite(remote_min), remote_min, np.nan),
            "remoteness_model": pd.array(model, dtype="str"),
            "remoteness_unit": pd.array([unit] * n, dtype="str"),
            "municipality_incidents": context_count,
            "municipality_incidents_per_10k": context_rate,
        }
    )
    return out


@dataclass(frozen=True)
class _Incidents:
    frame: pd.DataFrame
    xy: NDArray[np.float64]
    age_days: NDArray[np.float64]


def _usable_incidents(
    incidents: pd.DataFrame | None, xy: NDArray[np.float64], as_of: pd.Timestamp
) -> _Incidents:
    """Incidents dated on or before ``as_of``, with their ages in days."""
    if incidents is None or len(incidents) == 0:
        empty = pd.DataFrame(
            {
                "date": pd.Series([], dtype="datetime64[ms]"),
                "severity": pd.Series([], dtype="Int64"),
                "category": pd.Series([], dtype="str"),
                "centre_id": pd.Series([], dtype="str"),
                "municipality_pcode": pd.Series([], dtype="str"),
            }
        )
        return _Incidents(empty, np.empty((0, 2)), np.empty(0))
    _require(incidents, "incidents", ("date", "severity", "category"))
    dates = pd.to_datetime(incidents["date"])
    age_days = ((as_of - dates) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64, na_value=np.nan)
    keep = np.isfinite(age_days) & (age_days >= 0)
    frame = incidents.loc[keep].reset_index(drop=True)
    for column in ("centre_id", "municipality_pcode"):
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    return _Incidents(
        frame, np.asarray(xy).reshape(-1, 2)[keep], np.asarray(age_days[keep], dtype=np.float64)
    )


def _at_centre(
    ids: NDArray[np.object_], incidents: pd.DataFrame, decayed: NDArray[np.float64]
) -> dict[str, np.ndarray]:
    """Decayed sum, count, latest date and its category of incidents naming each centre."""
    n = len(ids)
    result: dict[str, np.ndarray] = {
        "sum": np.zeros(n),
        "count": np.zeros(n, dtype=np.int64),
        "date": np.full(n, np.datetime64("NaT"), dtype="datetime64[ms]"),
        "category": np.full(n, None, dtype=object),
    }
    if len(incidents) == 0:
        return result
    position = pd.Index(ids).get_indexer(pd.Index(incidents["centre_id"].astype("str")))
    hit = position >= 0
    if not hit.any():
        return result
    where = position[hit]
    result["sum"] = np.bincount(where, weights=decayed[hit], minlength=n)
    result["count"] = np.bincount(where, minlength=n).astype(np.int64)
    named = pd.DataFrame(
        {
            "where": where,
            "date": pd.to_datetime(incidents["date"]).to_numpy()[hit],
            "category": incidents["category"].astype("str").to_numpy()[hit],
        }
    ).sort_values(["where", "date"], kind="stable")
    last = named.drop_duplicates("where", keep="last")
    result["date"][last["where"].to_numpy()] = last["date"].to_numpy().astype("datetime64[ms]")
    result["category"][last["where"].to_numpy()] = last["category"].to_numpy()
    return result


def _context(
    muni: NDArray[np.object_],
    voters: NDArray[np.float64],
    ids: NDArray[np.object_],
    incidents: pd.DataFrame,
    age_days: NDArray[np.float64],
    weights: RiskWeights,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Incidents in each centre's municipality over the window, and per 10,000 voters."""
    n = len(muni)
    if len(incidents) == 0 or n == 0:
        return np.zeros(n, dtype=np.int64), np.zeros(n)
    in_window = age_days <= weights.context_window_days
    place = incidents["municipality_pcode"].astype("str")
    by_centre = pd.Series(muni, index=ids)
    by_centre = by_centre[~by_centre.index.duplicated()]
    place = place.fillna(incidents["centre_id"].astype("str").map(by_centre))
    counts = place[in_window].value_counts()
    voters_by_muni = pd.Series(voters).groupby(muni).sum()
    count = pd.Series(muni).map(counts).fillna(0).to_numpy(dtype=np.int64)
    total = pd.Series(muni).map(voters_by_muni).to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(total > 0, count / total * 10_000.0, 0.0)
    return count.astype(np.int64, copy=False), rate.astype(np.float64, copy=False)


def require_unique_ids(ids: pd.Series, layer: str = "centres") -> None:
    """Raise :class:`InputError` naming the first repeated ID of a layer's key column."""
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise InputError(
            f"layer '{layer}': ID '{repeated.iloc[0]}' is used by more than one row "
            f"({len(repeated)} repeat(s)); give each row its own ID on the Data page"
        )


def _require(frame: pd.DataFrame, layer: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"layer '{layer}' lacks column(s) {', '.join(repr(c) for c in missing)}; "
            "re-import it on the Data page with the layer template's columns"
        )


_CATEGORY_WORDS: Mapping[str, str] = {
    "attack_on_centre": "attack on this centre",
    "armed_interference": "armed interference",
    "obstruction_of_voting": "obstruction of voting",
    "intimidation": "intimidation",
    "theft_destruction_of_materials": "theft or destruction of materials",
    "violent_protest": "violent protest",
    "hate_speech_misinformation": "hate speech or misinformation",
    "registration_irregularity": "registration irregularity",
    "monitor_neutrality_complaint": "monitor neutrality complaint",
    "other": "incident",
}


def _round_parts(parts: list[float], total: int) -> list[int]:
    """Round ``parts`` to integers that add up to ``total`` (largest remainder)."""
    floors = [math.floor(p) for p in parts]
    short = total - sum(floors)
    order = sorted(range(len(parts)), key=lambda i: parts[i] - floors[i], reverse=True)
    for i in order[: max(0, short)]:
        floors[i] += 1
    return floors


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _remoteness_text(row: pd.Series | Mapping[str, Any], weights: RiskWeights) -> str:
    """Return the remoteness phrase of :func:`explain_risk`: km, or minutes and the model."""
    on_roads = str(row.get("remoteness_unit", "km")) == "min"
    how = (
        "by road"
        if str(row.get("remoteness_model", "")) == "network"
        else "(straight line × circuity: no road joins them)"
    )
    column = "nearest_unit_min" if on_roads else "nearest_unit_km"
    value = float(row[column]) if column in row else math.nan
    if math.isnan(value):
        # The distance is withheld from viewers who may not locate units: the band is
        # all the points say anyway.
        share = float(row["risk_remoteness"]) * weights.total / (100.0 * weights.remoteness)
        if not on_roads:
            return f"nearest unit {remoteness_band(share, weights.remoteness_bands_km)} away"
        band = remoteness_band(share, weights.remoteness_bands_min, "min")
        return f"nearest unit {band} away {how}"
    if not math.isfinite(value):
        return "no security unit anywhere"
    if not on_roads:
        return f"{value:,.0f} km from the nearest unit"
    if how == "by road":
        return f"{value:,.0f} min by road from the nearest unit"
    return f"{value:,.0f} min from the nearest unit {how}"


def explain_risk(
    row: pd.Series | Mapping[str, Any],
    *,
    weights: RiskWeights = RiskWeights(),
    lang: Language = "en",
) -> str:
    """Say in one sentence why a centre has its risk score.

    Parameters
    ----------
    row
        One row of :func:`score_risk` (or of the coverage table): ``risk_score``,
        ``risk_tier``, the component points and :data:`DETAIL_COLUMNS`.
    weights
        The weights the score was computed with (for the radius and window in the text).
    lang
        The language of the sentence (:func:`_explain_arabic` writes the Arabic one).

    Returns
    -------
    str
        For example ``"66/100 (high): 3 incidents within 10 km, 2 in the last year (+31);
        attack on this centre in Nov 2024 (+18); 4,100 voters (+9); 14 km from the nearest
        unit (+8)"``. The points are rounded so that they add up to the rounded score;
        components worth 0 points are left out. Without ``nearest_unit_km`` (withheld from
        roles that may not see unit positions) the last part names the band instead:
        ``"nearest unit 10–20 km away (+8)"``.
    """
    score = float(row["risk_score"])
    total = int(round(score))
    parts = _round_parts([float(row[column]) for column, _ in COMPONENTS], total)
    if lang == "ar":
        return _explain_arabic(row, weights, total, parts)
    radius = f"{weights.distance_km:g} km"
    phrases: list[str] = []
    for (column, _), pts in zip(COMPONENTS, parts, strict=True):
        if pts <= 0:
            continue
        if column == "risk_incidents_nearby":
            count = int(row["incidents_nearby"])
            year = int(row["incidents_nearby_last_year"])
            text = f"{_plural(count, 'incident')} within {radius}, {year:,} in the last year"
        elif column == "risk_incidents_at_centre":
            count = int(row["incidents_at_centre"])
            category = row["last_incident_at_centre_category"]
            what = _CATEGORY_WORDS.get(str(category), str(category))
            date = pd.Timestamp(row["last_incident_at_centre_date"])
            when = f" in {date:%b %Y}" if date is not pd.NaT else ""
            text = f"{what}{when}"
            if what == "incident":
                text = f"incident at this centre{when}"
            elif not what.endswith("this centre"):
                text = f"{what} at this centre{when}"
            if count > 1:
                text += f" ({count} incidents here in all)"
        elif column == "risk_size":
            text = f"{int(row['registered_voters']):,} voters"
        elif column == "risk_remoteness":
            text = _remoteness_text(row, weights)
        else:
            years = weights.context_window_days / 365.0
            rate = float(row["municipality_incidents_per_10k"])
            text = (
                f"{_plural(int(row['municipality_incidents']), 'incident')} in the "
                f"municipality in {years:g} years ({rate:.1f} per 10,000 voters)"
            )
        phrases.append(f"{text} (+{pts})")
    head = f"{total}/100 ({row['risk_tier']})"
    return f"{head}: " + "; ".join(phrases) if phrases else f"{head}: no risk factor found"


#: The Arabic sentence's words (English keys of the catalogue, :func:`geo.i18n.translate`).
_AR_TIERS: Mapping[str, str] = {
    "low": N_("Low"),
    "medium": N_("Medium"),
    "high": N_("High"),
    "critical": N_("Critical"),
}
_AR_CATEGORIES: Mapping[str, str] = {
    "attack_on_centre": N_("an attack on this centre"),
    "armed_interference": N_("armed interference at this centre"),
    "obstruction_of_voting": N_("obstruction of voting at this centre"),
    "intimidation": N_("intimidation at this centre"),
    "theft_destruction_of_materials": N_("theft or destruction of materials at this centre"),
    "violent_protest": N_("a violent protest at this centre"),
    "hate_speech_misinformation": N_("hate speech or misinformation at this centre"),
    "registration_irregularity": N_("a registration irregularity at this centre"),
    "monitor_neutrality_complaint": N_("a monitor neutrality complaint at this centre"),
    "other": N_("an incident at this centre"),
}


def _explain_arabic(
    row: pd.Series | Mapping[str, Any], weights: RiskWeights, total: int, parts: list[int]
) -> str:
    """:func:`explain_risk` in Arabic: the same parts and points, in the catalogue's words."""

    def t(text: str, **values: object) -> str:
        return translate(text, "ar").format(**values)

    def units(text: str) -> str:  # a band such as "10–20 km" or "20–40 min"
        return text.replace(" km", " " + t("km")).replace(" min", " " + t("min"))

    phrases: list[str] = []
    for (column, _), pts in zip(COMPONENTS, parts, strict=True):
        if pts <= 0:
            continue
        if column == "risk_incidents_nearby":
            text = t(
                N_("{count} incident(s) within {km} km, {year} of them in the last year"),
                count=f"{int(row['incidents_nearby']):,}",
                km=f"{weights.distance_km:g}",
                year=f"{int(row['incidents_nearby_last_year']):,}",
            )
        elif column == "risk_incidents_at_centre":
            category = str(row["last_incident_at_centre_category"])
            text = t(_AR_CATEGORIES.get(category, _AR_CATEGORIES["other"]))
            date = pd.Timestamp(row["last_incident_at_centre_date"])
            if date is not pd.NaT:
                text += f" ({date:%m/%Y})"
            count = int(row["incidents_at_centre"])
            if count > 1:
                text += " " + t(N_("({count} incidents here in all)"), count=f"{count:,}")
        elif column == "risk_size":
            text = t(N_("{voters} registered voters"), voters=f"{int(row['registered_voters']):,}")
        elif column == "risk_remoteness":
            text = units(_remoteness_arabic(row, weights, t))
        else:
            text = t(
                N_(
                    "{count} incident(s) in the municipality in {years} years "
                    "({rate} per 10,000 voters)"
                ),
                count=f"{int(row['municipality_incidents']):,}",
                years=f"{weights.context_window_days / 365.0:g}",
                rate=f"{float(row['municipality_incidents_per_10k']):.1f}",
            )
        phrases.append(f"{text} (+{pts})")
    tier = t(_AR_TIERS.get(str(row["risk_tier"]), str(row["risk_tier"])))
    head = f"{total}/100 ({tier})"
    return (
        f"{head}: " + "؛ ".join(phrases) if phrases else f"{head}: " + t(N_("no risk factor found"))
    )


def _remoteness_arabic(row: pd.Series | Mapping[str, Any], weights: RiskWeights, t: Any) -> str:
    """Return the remoteness phrase of :func:`_explain_arabic` (as :func:`_remoteness_text`)."""
    on_roads = str(row.get("remoteness_unit", "km")) == "min"
    by_road = str(row.get("remoteness_model", "")) == "network"
    column = "nearest_unit_min" if on_roads else "nearest_unit_km"
    value = float(row[column]) if column in row else math.nan
    if math.isnan(value):
        share = float(row["risk_remoteness"]) * weights.total / (100.0 * weights.remoteness)
        edges = weights.remoteness_bands_min if on_roads else weights.remoteness_bands_km
        band = remoteness_band(share, edges, "min" if on_roads else "km")
        band = band.replace(" or more", " " + t(N_("or more")))
        if not on_roads:
            return t(N_("nearest unit {band} away"), band=band)
        if by_road:
            return t(N_("nearest unit {band} away by road"), band=band)
        return t(N_("nearest unit {band} away in a straight line (no road joins them)"), band=band)
    if not math.isfinite(value):
        return t(N_("no security unit anywhere"))
    if not on_roads:
        return t(N_("{value} km from the nearest unit"), value=f"{value:,.0f}")
    if by_road:
        return t(N_("{value} min by road from the nearest unit"), value=f"{value:,.0f}")
    return t(
        N_("{value} min from the nearest unit in a straight line (no road joins them)"),
        value=f"{value:,.0f}",
    )
