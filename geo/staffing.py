r"""Static guards: how to spread pools of officers over polling centres.

Model
-----
Symbols: centres :math:`i` with officers required :math:`R_i` and female officers required
:math:`F_i` (:mod:`geo.coverage`: ``2 + 2 × stations`` and one per women's or mixed station),
base need :math:`B_i = \min(\text{officers\_base}, R_i)` and weight
:math:`\rho_i = 1 + \kappa \, \text{risk\_score}_i / 100` (:math:`\kappa` = ``risk_factor``);
pools :math:`k` with :math:`O_k` officers, :math:`W_k` of them women, that may staff only the
centres :math:`A_k` in their area (an agency's districts, one district, or everywhere);
integer variables :math:`f_{ki}` (women placed against women's stations) and :math:`g_{ki}`
(other officers, men or women) for :math:`i \in A_k`; :math:`t_i = \sum_k (f_{ki} + g_{ki})`.

.. math::

    & \sum_{i} (f_{ki} + g_{ki}) \le O_k, \quad \sum_i f_{ki} \le W_k && \forall k \\
    & \sum_k f_{ki} \le F_i, \quad t_i \le R_i, \quad u_i \le B_i, \quad u_i \le t_i
      && \forall i \\
    & f, g \in \mathbb{Z}_{\ge 0}

Three objectives are maximised one after the other, each keeping the optimum of those
before (lexicographic):

1. :math:`\sum_i \rho_i \sum_k f_{ki}`: female officers go to women's stations first, the
   riskiest first, while any remain;
2. :math:`\sum_i \rho_i u_i`: every centre gets its base officers (riskiest first) before
   any centre gets more (``base_first``; skipped when off);
3. :math:`\sum_i \rho_i t_i`: the rest, riskiest first.

Maximising 3 is minimising the risk-weighted shortfall :math:`\sum_i \rho_i (R_i - t_i)`
(no centre gets more than it needs, so shortfalls are never negative). Each stage is solved
exactly by HiGHS (:func:`scipy.optimize.milp`).

Unmet need is reported per municipality with its reason: no pool covers the area, the pools
that cover it placed every officer (pool too small), or they have no female officer left.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.coverage import CoverageResult
from geo.errors import InfeasiblePlanError, InputError

PoolLevel = Literal["district", "agency"]
#: Columns of :attr:`StaffingPlan.centres`.
STAFFING_COLUMNS: tuple[str, ...] = (
    "centre_id",
    "municipality_pcode",
    "district_pcode",
    "risk_score",
    "officers_required",
    "female_officers_required",
    "officers_assigned",
    "female_officers_assigned",
    "shortfall",
    "female_shortfall",
    "in_pool_area",
)
REASON_NO_POOL = "no pool covers this area"
REASON_POOL_TOO_SMALL = "pool too small"
REASON_NO_WOMEN = "no female officers left"


@dataclass(frozen=True)
class OfficerPool:
    """Officers that one authority can send to the centres of its area.

    Attributes
    ----------
    pool_id
        A name (an agency, a district security directorate ...).
    officers
        Officers in the pool, women included.
    female_officers
        Women among them.
    areas
        District or municipality P-codes whose centres the pool may staff; empty for every
        centre.
    """

    pool_id: str
    officers: int
    female_officers: int = 0
    areas: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Reject pools that cannot exist, naming the pool."""
        problems = []
        if not str(self.pool_id).strip():
            problems.append("the pool has no name; give it one")
        for name in ("officers", "female_officers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                problems.append(f"{name} must be a whole number ≥ 0, got {value!r}")
        if not problems and self.female_officers > self.officers:
            problems.append(
                f"{self.female_officers} female officers but only {self.officers} officers; "
                "female officers are counted within officers"
            )
        if problems:
            raise InputError(f"officer pool '{self.pool_id}': " + "; ".join(problems))


@dataclass(frozen=True)
class StaffingParams:
    r"""Options of :func:`allocate_officers`.

    Attributes
    ----------
    base_first
        Give every centre its base officers (``officers_base`` of the coverage parameters)
        before any centre gets more.
    risk_factor
        :math:`\kappa` in the weight ``1 + κ × risk_score / 100``.
    time_limit_s
        Time limit of each of the (up to three) solves, seconds.
    """

    base_first: bool = True
    risk_factor: float = 1.0
    time_limit_s: float = 20.0

    def __post_init__(self) -> None:
        """Reject a negative risk factor or a non-positive time limit."""
        if not (math.isfinite(self.risk_factor) and self.risk_factor >= 0):
            raise InputError(f"the risk factor must be a number ≥ 0, got {self.risk_factor!r}")
        if not (math.isfinite(self.time_limit_s) and self.time_limit_s > 0):
            raise InputError(f"the time limit must be positive seconds, got {self.time_limit_s}")


@dataclass(frozen=True)
class StaffingPlan:
    """Officers allocated to centres, and the need left unmet.

    Attributes
    ----------
    centres
        :data:`STAFFING_COLUMNS`, one row per analysed centre; ``in_pool_area`` is False
        for centres outside every pool's area (their whole need stays as shortfall).
    allocation
        ``pool_id``, ``centre_id``, ``officers``, ``female_officers`` (women placed against
        women's stations, within ``officers``); only rows with officers.
    pools
        ``pool_id``, ``officers``, ``female_officers``, ``officers_placed``,
        ``female_placed``, ``officers_left``, ``female_left``, ``centres_in_area``.
    unmet
        Per municipality with unmet need: ``pcode``, ``name_en``, ``centres_short``,
        ``shortfall``, ``female_shortfall``, ``reason``.
    status
        ``optimal``, or ``time_limit`` when a stage stopped at its time limit.
    solve_time_s
        Seconds spent in the solver.
    """

    centres: pd.DataFrame
    allocation: pd.DataFrame
    pools: pd.DataFrame
    unmet: pd.DataFrame
    status: Literal["optimal", "time_limit"]
    solve_time_s: float
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def shortfall(self) -> int:
        """Officers missing at all centres together."""
        return int(self.centres["shortfall"].sum())

    @property
    def female_shortfall(self) -> int:
        """Female officers missing at all centres together."""
        return int(self.centres["female_shortfall"].sum())


def _district_lookup(municipalities: pd.DataFrame | None) -> pd.Series:
    if municipalities is None or "district_pcode" not in municipalities.columns:
        return pd.Series(dtype=object)
    unique = municipalities.drop_duplicates("pcode")
    return pd.Series(unique["district_pcode"].to_numpy(), index=unique["pcode"].astype(str))


def pools_from_units(
    units: pd.DataFrame,
    municipalities: pd.DataFrame | None,
    *,
    by: PoolLevel = "district",
    centres: pd.DataFrame | None = None,
) -> list[OfficerPool]:
    """Return today's static-guard officers as pools, per district or per agency.

    Parameters
    ----------
    units
        The ``units`` layer; only ``static_guard`` units count.
    municipalities
        ``pcode`` and ``district_pcode``: the district of each unit.
    by
        ``district``: one pool per district, staffing that district. ``agency``: one pool
        per agency, staffing the districts where it has static guards today.
    centres
        The ``centres`` layer: a unit without ``municipality_pcode`` takes that of its
        assigned centre.

    Returns
    -------
    list of OfficerPool
        Sorted by name; units whose district is unknown form a pool ``unknown district``
        (by district) or widen nothing (by agency).
    """
    if by not in ("district", "agency"):
        raise InputError(f"pools are made per district or per agency, not {by!r}")
    static = units[(units["unit_type"] == "static_guard").to_numpy(bool)]
    municipality = static["municipality_pcode"].astype("str")
    if centres is not None and "assigned_centre_id" in static.columns:
        by_centre = pd.Series(
            centres["municipality_pcode"].to_numpy(), index=centres["centre_id"].astype(str)
        )
        municipality = municipality.fillna(static["assigned_centre_id"].astype(str).map(by_centre))
    district = municipality.map(_district_lookup(municipalities))
    frame = pd.DataFrame(
        {
            "district": district.fillna("unknown district").to_numpy(),
            "agency": static["agency"].astype(str).to_numpy(),
            "officers": pd.to_numeric(static["officers"]).fillna(0).to_numpy(int),
            "female": pd.to_numeric(static["female_officers"]).fillna(0).to_numpy(int),
        }
    )
    if by == "district":
        sums = frame.groupby("district", sort=True)[["officers", "female"]].sum()
        return [
            OfficerPool(str(d), int(r.officers), int(r.female), (str(d),))
            for d, r in sums.iterrows()
        ]
    sums = frame.groupby("agency", sort=True)[["officers", "female"]].sum()
    areas = frame[frame["district"] != "unknown district"].groupby("agency")["district"].unique()
    return [
        OfficerPool(
            str(a), int(r.officers), int(r.female), tuple(sorted(areas.get(a, np.array([]))))
        )
        for a, r in sums.iterrows()
    ]


def pools_frame(pools: Sequence[OfficerPool]) -> pd.DataFrame:
    """Return pools as an editable table: ``pool_id``, ``officers``, ``female_officers``, ``areas``.

    ``areas`` is the P-codes joined by ``"; "`` (empty for everywhere).
    """
    return pd.DataFrame(
        {
            "pool_id": [p.pool_id for p in pools],
            "officers": pd.array([p.officers for p in pools], dtype="int64"),
            "female_officers": pd.array([p.female_officers for p in pools], dtype="int64"),
            "areas": ["; ".join(p.areas) for p in pools],
        }
    )


def pools_from_frame(frame: pd.DataFrame) -> list[OfficerPool]:
    """Read pools back from a table like :func:`pools_frame` (e.g. after a user edited it).

    Raises
    ------
    InputError
        Naming every row whose numbers are missing, negative or inconsistent.
    """
    missing = [c for c in ("pool_id", "officers", "female_officers") if c not in frame.columns]
    if missing:
        raise InputError(f"the pool table lacks column(s) {', '.join(missing)}")
    pools, problems = [], []
    for number, (name, officers, female, areas) in enumerate(
        zip(
            frame["pool_id"].astype("string").fillna(""),
            pd.to_numeric(frame["officers"], errors="coerce"),
            pd.to_numeric(frame["female_officers"], errors="coerce").fillna(0),
            frame["areas"].astype("string").fillna("") if "areas" in frame else [""] * len(frame),
            strict=True,
        ),
        start=1,
    ):
        if pd.isna(officers) or officers != int(officers) or female != int(female):
            problems.append(f"row {number} ({name}): give whole numbers of officers")
            continue
        codes = tuple(a.strip() for a in str(areas).replace(",", ";").split(";") if a.strip())
        try:
            pools.append(OfficerPool(str(name), int(officers), int(female), codes))
        except InputError as exc:
            problems.append(f"row {number}: {exc}")
    names = [p.pool_id for p in pools]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(f"pool name(s) {', '.join(repeated)} used twice; give each pool its own")
    if problems:
        raise InputError("officer pools: " + "; ".join(problems))
    return pools


@dataclass(frozen=True)
class _Network:
    """The allocation as a flow network, solved stage by stage.

    Variables: ``f`` and ``g`` per (pool, centre) pair, then per centre ``b`` (officers
    counting towards the base need, at most ``base``) and ``x`` (the rest, at most
    ``extra``), with ``sum_k (f + g) = b + x`` at every centre. Every constraint is a flow
    bound or a flow balance of the network pool → (women | others) → centre → (base | extra),
    so the linear programmes have integer optimal vertices and no branching is needed.
    Between stages the amounts reached per centre are fixed (women placed, base officers),
    which keeps each earlier optimum while leaving free which pool provides them.
    """

    ep: NDArray[np.intp]
    ec: NDArray[np.intp]
    m: int
    n: int
    officers: NDArray[np.float64]
    women: NDArray[np.float64]
    female_need: NDArray[np.float64]
    base: NDArray[np.float64]
    extra: NDArray[np.float64]

    def _matrix(
        self,
        rows: NDArray[np.intp],
        columns: NDArray[np.intp],
        size: int,
        values: NDArray[np.float64] | None = None,
    ) -> sparse.csr_array:
        e = len(self.ep)
        data = np.ones(len(columns)) if values is None else values
        return sparse.csr_array((data, (rows, columns)), shape=(size, 2 * e + 2 * self.n))

    def solve(
        self, rho: NDArray[np.float64], *, base_first: bool, time_limit_s: float
    ) -> tuple[NDArray[np.float64], bool]:
        """Return the variables after the last stage and whether every stage was proven."""
        e, n = len(self.ep), self.n
        f_cols, g_cols = np.arange(e), np.arange(e, 2 * e)
        b_cols, x_cols = np.arange(2 * e, 2 * e + n), np.arange(2 * e + n, 2 * e + 2 * n)
        both = np.concatenate([f_cols, g_cols])
        pool_total = self._matrix(np.concatenate([self.ep, self.ep]), both, self.m)
        pool_women = self._matrix(self.ep, f_cols, self.m)
        centre_women = self._matrix(self.ec, f_cols, n)
        balance = self._matrix(
            np.concatenate([self.ec, self.ec, np.arange(n), np.arange(n)]),
            np.concatenate([both, b_cols, x_cols]),
            n,
            np.concatenate([np.ones(2 * e), -np.ones(2 * n)]),
        )
        fixed = [
            LinearConstraint(pool_total, -np.inf, self.officers),
            LinearConstraint(pool_women, -np.inf, self.women),
            LinearConstraint(balance, 0.0, 0.0),
        ]
        lower = np.zeros(2 * e + 2 * n)
        upper = np.concatenate(
            [self.female_need[self.ec], (self.base + self.extra)[self.ec], self.base, self.extra]
        )
        stages = [np.concatenate([rho[self.ec], np.zeros(e + 2 * n)])]
        if base_first:
            stages.append(np.concatenate([np.zeros(2 * e), rho, np.zeros(n)]))
        stages.append(np.concatenate([np.zeros(2 * e), rho, rho]))
        women_low, women_high = np.zeros(n), self.female_need
        proven = True
        values = np.zeros(2 * e + 2 * n)
        for number, cost in enumerate(stages):
            constraints = [*fixed, LinearConstraint(centre_women, women_low, women_high)]
            values, ok = _solve_lp(cost, lower, upper, constraints, time_limit_s)
            proven &= ok
            if number == 0:
                placed = np.rint(np.bincount(self.ec, weights=values[f_cols], minlength=n))
                women_low = women_high = placed
            elif base_first and number == 1:
                lower = lower.copy()
                lower[b_cols] = np.rint(values[b_cols])
        return values, proven


def _solve_lp(
    cost: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
    constraints: list[LinearConstraint],
    time_limit_s: float,
) -> tuple[NDArray[np.float64], bool]:
    """Maximise ``cost @ x``; a network LP has integer optimal vertices, checked here."""
    options = {"time_limit": time_limit_s, "disp": False}
    result = milp(-cost, bounds=Bounds(lower, upper), constraints=constraints, options=options)
    if result.x is not None and np.abs(result.x - np.rint(result.x)).max() > 1e-6:
        # A non-vertex optimum (should not happen with simplex): ask for integers instead.
        result = milp(
            -cost,
            integrality=np.ones(len(cost)),
            bounds=Bounds(lower, upper),
            constraints=constraints,
            options={**options, "mip_rel_gap": 0.0},
        )
    if result.x is None:
        raise InfeasiblePlanError(
            f"the officer allocation found no solution within {time_limit_s:g} s; "
            "raise the time limit or split the pools"
        )
    return np.rint(np.asarray(result.x)), result.status == 0


def allocate_officers(
    coverage: CoverageResult,
    pools: Sequence[OfficerPool],
    *,
    municipalities: pd.DataFrame | None = None,
    params: StaffingParams = StaffingParams(),
) -> StaffingPlan:
    """Allocate officers of ``pools`` to the analysed centres (model in the module docstring).

    Parameters
    ----------
    coverage
        :func:`geo.coverage.analyse_coverage`: needs (``officers_required``,
        ``female_officers_required``), risk and municipality of every open centre.
    pools
        The officers available; their areas name districts or municipalities.
    municipalities
        ``pcode``, ``district_pcode`` (and ``name_en``): districts of centres, names.
    params
        Options.

    Returns
    -------
    StaffingPlan

    Raises
    ------
    InputError
        No pool, or two pools with the same name.
    InfeasiblePlanError
        The solver found nothing within its time limit.
    """
    if not pools:
        raise InputError("no officer pool given; add at least one pool of officers")
    names = [p.pool_id for p in pools]
    if len(set(names)) != len(names):
        raise InputError("two pools have the same name; give each pool its own")
    table = coverage.centres
    n, m = len(table), len(pools)
    municipality = table["municipality_pcode"].astype(str).to_numpy()
    district = pd.Series(municipality).map(_district_lookup(municipalities)).to_numpy(object)
    required = table["officers_required"].to_numpy(dtype=float)
    female_required = table["female_officers_required"].to_numpy(dtype=float)
    risk = table["risk_score"].to_numpy(dtype=float)
    rho = 1.0 + params.risk_factor * np.nan_to_num(risk) / 100.0
    base = np.minimum(float(coverage.params.officers_base), required)

    pool_idx, centre_idx = [], []
    for k, pool in enumerate(pools):
        if pool.areas:
            areas = np.asarray(pool.areas, dtype=object)
            inside = np.isin(municipality, areas) | np.isin(district, areas)
        else:
            inside = np.ones(n, dtype=bool)
        rows = np.flatnonzero(inside)
        pool_idx.append(np.full(len(rows), k))
        centre_idx.append(rows)
    ep = np.concatenate(pool_idx).astype(np.intp)
    ec = np.concatenate(centre_idx).astype(np.intp)
    e = len(ep)
    officers = np.array([p.officers for p in pools], dtype=float)
    women = np.array([p.female_officers for p in pools], dtype=float)
    network = _Network(ep, ec, m, n, officers, women, female_required, base, required - base)
    started = time.perf_counter()
    x, proven = network.solve(rho, base_first=params.base_first, time_limit_s=params.time_limit_s)
    solve_time = time.perf_counter() - started
    f_cols, g_cols = np.arange(e), np.arange(e, 2 * e)
    f = np.rint(x[f_cols]).astype(np.int64)
    g = np.rint(x[g_cols]).astype(np.int64)
    assigned = np.bincount(ec, weights=f + g, minlength=n).astype(np.int64)
    female_assigned = np.bincount(ec, weights=f, minlength=n).astype(np.int64)
    centres = pd.DataFrame(
        {
            "centre_id": table["centre_id"].to_numpy(),
            "municipality_pcode": municipality,
            "district_pcode": district,
            "risk_score": risk,
            "officers_required": required.astype(np.int64),
            "female_officers_required": female_required.astype(np.int64),
            "officers_assigned": assigned,
            "female_officers_assigned": female_assigned,
            "shortfall": np.maximum(0, required.astype(np.int64) - assigned),
            "female_shortfall": np.maximum(0, female_required.astype(np.int64) - female_assigned),
            "in_pool_area": np.bincount(ec, minlength=n) > 0,
        }
    )
    placed = (f + g) > 0
    allocation = pd.DataFrame(
        {
            "pool_id": np.asarray(names, dtype=object)[ep[placed]],
            "centre_id": table["centre_id"].to_numpy()[ec[placed]],
            "officers": (f + g)[placed],
            "female_officers": f[placed],
        }
    )
    used = np.bincount(ep, weights=f + g, minlength=m).astype(np.int64)
    used_women = np.bincount(ep, weights=f, minlength=m).astype(np.int64)
    pool_table = pd.DataFrame(
        {
            "pool_id": names,
            "officers": officers.astype(np.int64),
            "female_officers": women.astype(np.int64),
            "officers_placed": used,
            "female_placed": used_women,
            "officers_left": officers.astype(np.int64) - used,
            "female_left": women.astype(np.int64) - used_women,
            "centres_in_area": np.bincount(ep, minlength=m),
        }
    )
    warnings = []
    empty = pool_table.loc[pool_table["centres_in_area"] == 0, "pool_id"].tolist()
    if empty:
        warnings.append(
            f"pool(s) {', '.join(empty)} have no centre in their area; check their P-codes"
        )
    unmet = _unmet(centres, pool_table, ep, ec, municipalities)
    return StaffingPlan(
        centres=centres,
        allocation=allocation.reset_index(drop=True),
        pools=pool_table,
        unmet=unmet,
        status="optimal" if proven else "time_limit",
        solve_time_s=solve_time,
        warnings=tuple(warnings),
    )


def _unmet(
    centres: pd.DataFrame,
    pools: pd.DataFrame,
    ep: NDArray[np.intp],
    ec: NDArray[np.intp],
    municipalities: pd.DataFrame | None,
) -> pd.DataFrame:
    """Return unmet need per municipality and why: no pool, pools exhausted, no women left."""
    names = np.asarray(pools["pool_id"], dtype=object)
    covering = pd.DataFrame({"centre": ec, "pool": names[ep]})
    covering["municipality"] = centres["municipality_pcode"].to_numpy()[ec]
    by_muni = covering.groupby("municipality")["pool"].agg(lambda s: sorted(set(s)))
    no_officers_left = set(names[pools["officers_left"].to_numpy() <= 0])
    no_women_left = set(names[pools["female_left"].to_numpy() <= 0])
    short = centres[(centres["shortfall"] > 0) | (centres["female_shortfall"] > 0)]
    grouped = short.groupby("municipality_pcode", sort=True)
    out = pd.DataFrame(
        {
            "centres_short": grouped.size(),
            "shortfall": grouped["shortfall"].sum(),
            "female_shortfall": grouped["female_shortfall"].sum(),
        }
    ).reset_index(names="pcode")
    reasons = []
    for pcode, shortfall, female in zip(
        out["pcode"], out["shortfall"], out["female_shortfall"], strict=True
    ):
        serving = by_muni.get(pcode, [])
        if not serving:
            reasons.append(REASON_NO_POOL)
            continue
        why = []
        exhausted = [p for p in serving if p in no_officers_left]
        if shortfall > 0:
            why.append(f"{REASON_POOL_TOO_SMALL} ({', '.join(exhausted or serving)})")
        if female > 0:
            empty = [p for p in serving if p in no_women_left]
            why.append(f"{REASON_NO_WOMEN} ({', '.join(empty or serving)})")
        reasons.append("; ".join(why))
    out["reason"] = reasons
    names_en = (
        municipalities.drop_duplicates("pcode").set_index("pcode")["name_en"]
        if municipalities is not None and "name_en" in municipalities.columns
        else pd.Series(dtype=str)
    )
    out.insert(1, "name_en", out["pcode"].map(names_en).to_numpy())
    return out.sort_values(["shortfall", "pcode"], ascending=[False, True]).reset_index(drop=True)
