"""Accessibility of polling centres for voters with disabilities, from their latest audit.

A centre is ``accessible`` when its latest audit found both a step-free entrance and voting on
the ground floor, i.e. a step-free route to a ground-floor voting room. The full truth table
(``T`` true, ``F`` false, ``?`` not recorded):

=================== ===================== ================
step_free_entrance  ground_floor_voting   access_status
=================== ===================== ================
T                   T                     ``accessible``
T                   F or ?                ``partial``
F or ?              T                     ``partial``
F                   F or ?                ``inaccessible``
?                   F                     ``inaccessible``
?                   ?                     ``unknown``
=================== ===================== ================

A centre with no audit is ``unknown``. Other audit answers (ramp, toilet, parking) are kept in
the audits layer but do not change the status.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from geo.distance import nearest, points_xy
from geo.errors import InputError

#: Access statuses, best first.
ACCESS_STATUSES: tuple[str, ...] = ("accessible", "partial", "inaccessible", "unknown")
#: Statuses for which :func:`nearest_accessible` looks for an accessible alternative.
NEEDS_ALTERNATIVE: tuple[str, ...] = ("inaccessible", "partial")
_AUDIT_ANSWERS = ("step_free_entrance", "ground_floor_voting")


def _require(frame: pd.DataFrame, layer: str, columns: Collection[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"layer '{layer}' lacks column(s) {', '.join(repr(c) for c in missing)}; "
            "re-import it on the Data page with the layer template's columns"
        )


def _open(centres: pd.DataFrame) -> pd.DataFrame:
    """Centres that are not closed (all of them when there is no ``status`` column)."""
    if "status" not in centres.columns:
        return centres
    return centres[(centres["status"] != "closed").to_numpy(dtype=bool)]


def derive_access_status(audits: pd.DataFrame | None) -> pd.DataFrame:
    """Return the access status of each audited centre from its latest audit.

    Parameters
    ----------
    audits
        The ``access_audits`` layer: ``centre_id``, ``audit_date``, ``step_free_entrance``,
        ``ground_floor_voting`` (nullable booleans). ``None`` or empty gives an empty result.

    Returns
    -------
    pandas.DataFrame
        One row per audited centre: ``centre_id``, ``audit_date`` (of the latest audit),
        ``access_status`` (see the module's truth table). When a centre has two audits on its
        latest date, the one listed last wins.
    """
    columns = ["centre_id", "audit_date", "access_status"]
    if audits is None or len(audits) == 0:
        return pd.DataFrame(
            {
                "centre_id": pd.Series([], dtype="str"),
                "audit_date": pd.Series([], dtype="datetime64[ms]"),
                "access_status": pd.Series([], dtype="str"),
            }
        )
    _require(audits, "access_audits", ("centre_id", "audit_date", *_AUDIT_ANSWERS))
    dated = audits.assign(_row=np.arange(len(audits)))
    latest = (
        dated.sort_values(["audit_date", "_row"], kind="stable", na_position="first")
        .drop_duplicates("centre_id", keep="last")
        .sort_values("_row")
    )
    step_free = latest["step_free_entrance"].astype("boolean")
    ground = latest["ground_floor_voting"].astype("boolean")
    n_true = step_free.fillna(False).astype(int) + ground.fillna(False).astype(int)
    any_false = (~step_free).fillna(False) | (~ground).fillna(False)
    status = np.select(
        [n_true.to_numpy() == 2, n_true.to_numpy() == 1, any_false.to_numpy(dtype=bool)],
        ["accessible", "partial", "inaccessible"],
        default="unknown",
    )
    out = pd.DataFrame(
        {
            "centre_id": latest["centre_id"].astype("str").to_numpy(),
            "audit_date": latest["audit_date"].to_numpy(),
            "access_status": status,
        }
    )
    return out[columns].reset_index(drop=True)


def centre_access(centres: pd.DataFrame, audits: pd.DataFrame | None) -> pd.DataFrame:
    """Give every centre an access status, ``unknown`` when it has no audit.

    Parameters
    ----------
    centres
        The ``centres`` layer (``centre_id``).
    audits
        The ``access_audits`` layer, or ``None``.

    Returns
    -------
    pandas.DataFrame
        ``centre_id``, ``access_status``, ``audit_date`` (missing without audit), one row per
        centre in the order of ``centres``. Audits of centres not in ``centres`` are ignored.
    """
    _require(centres, "centres", ("centre_id",))
    status = derive_access_status(audits)
    ids = centres["centre_id"].astype("str").reset_index(drop=True)
    matched = pd.DataFrame({"centre_id": ids}).merge(status, on="centre_id", how="left")
    matched["access_status"] = matched["access_status"].fillna("unknown").astype("str")
    return matched[["centre_id", "access_status", "audit_date"]]


def nearest_accessible(
    centres: pd.DataFrame,
    access: pd.DataFrame,
    *,
    for_statuses: Collection[str] = NEEDS_ALTERNATIVE,
) -> pd.DataFrame:
    """Find, for centres that are not accessible, the nearest accessible open centre.

    Both ``inaccessible`` and ``partial`` centres get an alternative by default: a partial
    centre still turns some voters away (a step-free door to an upstairs room, or a
    ground-floor room behind steps). ``unknown`` centres get none: audit them first.

    Parameters
    ----------
    centres
        The ``centres`` layer (``centre_id``, point geometry in EPSG:4326, optional
        ``status``; closed centres are never offered as alternatives).
    access
        ``centre_id`` and ``access_status``, as from :func:`centre_access`.
    for_statuses
        Access statuses that get an alternative.

    Returns
    -------
    pandas.DataFrame
        ``centre_id``, ``nearest_accessible_centre_id`` and ``nearest_accessible_km``
        (straight line, km), one row per centre in the order of ``centres``; missing for
        centres that need no alternative or when no accessible open centre exists.
    """
    _require(centres, "centres", ("centre_id",))
    _require(access, "access", ("centre_id", "access_status"))
    ids = centres["centre_id"].astype("str").to_numpy()
    status = (
        pd.Series(ids)
        .map(access.drop_duplicates("centre_id").set_index("centre_id")["access_status"])
        .fillna("unknown")
        .to_numpy()
    )
    return nearest_accessible_xy(
        ids, points_xy(centres, layer="centres"), status, _open_mask(centres), for_statuses
    )


def _open_mask(centres: pd.DataFrame) -> np.ndarray:
    if "status" not in centres.columns:
        return np.ones(len(centres), dtype=bool)
    return (centres["status"] != "closed").to_numpy(dtype=bool, na_value=True)


def nearest_accessible_xy(
    ids: np.ndarray,
    xy: np.ndarray,
    status: np.ndarray,
    is_open: np.ndarray,
    for_statuses: Collection[str],
) -> pd.DataFrame:
    """Array core of :func:`nearest_accessible`.

    Parameters
    ----------
    ids
        Centre IDs.
    xy
        ``(n, 2)`` projected coordinates (:func:`geo.distance.points_xy`), metres.
    status
        Access status per centre.
    is_open
        Whether each centre may serve as an alternative (not closed).
    for_statuses
        Access statuses that get an alternative.
    """
    target = (status == "accessible") & is_open
    need = np.isin(status, list(for_statuses))
    found_id = np.full(len(ids), None, dtype=object)
    found_km = np.full(len(ids), np.nan)
    if need.any() and target.any():
        dist, index = nearest(xy[need], xy[target])
        found_id[need] = ids[target][index]
        found_km[need] = dist / 1000.0
    return pd.DataFrame(
        {
            "centre_id": ids,
            "nearest_accessible_centre_id": pd.array(found_id, dtype="str"),
            "nearest_accessible_km": found_km,
        }
    )


def share_voters_accessible(centres: pd.DataFrame, access: pd.DataFrame) -> float:
    """Share of registered voters (0–1) whose open centre is ``accessible``.

    Parameters
    ----------
    centres
        The ``centres`` layer (``centre_id``, ``registered_voters``, optional ``status``;
        closed centres are left out).
    access
        ``centre_id`` and ``access_status``, as from :func:`centre_access`; centres missing
        from it count as ``unknown`` (not accessible).

    Returns
    -------
    float
        Voters at accessible centres / all voters; ``nan`` when there are no voters.
    """
    _require(centres, "centres", ("centre_id", "registered_voters"))
    _require(access, "access", ("centre_id", "access_status"))
    open_centres = _open(centres)
    voters = pd.to_numeric(open_centres["registered_voters"]).fillna(0).to_numpy(dtype=float)
    status = (
        open_centres["centre_id"]
        .astype("str")
        .map(access.drop_duplicates("centre_id").set_index("centre_id")["access_status"])
    )
    total = voters.sum()
    if total <= 0:
        return float("nan")
    return float(voters[(status == "accessible").to_numpy(dtype=bool)].sum() / total)
