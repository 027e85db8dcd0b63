"""The synthetic national demo workspace, built deterministically from a seed.

Everything here is invented except the reference geography (district outlines,
municipality seats and names, see ``data/README.md``). The figures are tuned to be
plausible for Libya (``DESIGN.md``): about 1,900 polling centres in the populated places,
2.7-3.0 million registered voters (about 57 % men) in 5,000-6,000 stations of at most
550 voters, about 2,000 static guard posts plus patrols, rapid-response units and
checkpoints with about 30,000 officers of whom a few percent are women, 300-600
incidents over the 2024 and 2025 municipal election phases and accessibility audits
for about three quarters of the centres. Gaps are deliberate: some municipalities are
under-staffed, some centres have no guard, and the south has few female officers.

``scale`` multiplies centres, units and incidents (for benchmarks); voters per centre
stay the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.errors import InputError
from geo.reference import Reference, read_reference
from geo.roads import read_reference_roads
from geo.schema import CRS, MAX_VOTERS_PER_STATION, check_layer
from geo.store import GeoPackageStore, LayerVersion

DEFAULT_SEED = 7
DEMO_SOURCE = "synthetic demo"
SOUTH_REGION = "RG-S"
#: Times an incident that would fall outside its municipality is pulled halfway back.
_PULL_BACKS = 12

#: Election phases of the demo, with their (fictional but plausible) polling days.
ELECTIONS: tuple[tuple[str, str], ...] = (
    ("municipal 2024 phase 1", "2024-11-16"),
    ("municipal 2025 phase 2", "2025-08-16"),
)

_CENTRAL_TRIPOLI = ("Tripoli Center", "Souq al Jumaa", "Abu Salim", "Hay al Andalus", "Ain Zara")
_CENTRAL_TRIPOLI_GUESS = 250_000.0

AGENCIES = (
    "Electoral Security Department",
    "Specialised Police",
    "Central Support Force",
    "Municipal Guard",
)

# (Arabic, English) parts of centre names: most centres are schools.
_NAME_KINDS = (
    ("مدرسة", "School", 0.7),
    ("مركز", "Centre", 0.1),
    ("معهد", "Institute", 0.1),
    ("قاعة", "Hall", 0.1),
)
_NAME_STEMS = (
    ("عمر بن الخطاب", "Omar Ibn Al-Khattab"),
    ("خالد بن الوليد", "Khalid Ibn Al-Walid"),
    ("علي بن أبي طالب", "Ali Ibn Abi Talib"),
    ("النصر", "Al-Nasr"),
    ("الفجر", "Al-Fajr"),
    ("الأمل", "Al-Amal"),
    ("القدس", "Al-Quds"),
    ("الحرية", "Al-Hurriya"),
    ("الوحدة", "Al-Wahda"),
    ("الزهراء", "Al-Zahraa"),
    ("الأندلس", "Al-Andalus"),
    ("السلام", "Al-Salam"),
    ("النهضة", "Al-Nahda"),
    ("المستقبل", "Al-Mustaqbal"),
    ("الشروق", "Al-Shurooq"),
    ("النجم الساطع", "Al-Najm Al-Sati"),
    ("الرواد", "Al-Ruwwad"),
    ("عقبة بن نافع", "Uqba Ibn Nafi"),
    ("الفاروق", "Al-Farouq"),
    ("المختار", "Al-Mukhtar"),
    ("الجيل الصاعد", "Al-Jeel Al-Saed"),
    ("طارق بن زياد", "Tariq Ibn Ziyad"),
    ("ابن سينا", "Ibn Sina"),
    ("الخنساء", "Al-Khansaa"),
    ("أسماء بنت أبي بكر", "Asmaa Bint Abi Bakr"),
    ("الهدى", "Al-Huda"),
    ("الإشعاع", "Al-Ishaa"),
    ("الوفاء", "Al-Wafaa"),
)

_CATEGORIES = (
    # category, share, severity range (low, high)
    ("intimidation", 0.20, (1, 3)),
    ("obstruction_of_voting", 0.12, (2, 4)),
    ("attack_on_centre", 0.10, (3, 5)),
    ("armed_interference", 0.10, (3, 5)),
    ("theft_destruction_of_materials", 0.08, (2, 4)),
    ("violent_protest", 0.10, (2, 4)),
    ("hate_speech_misinformation", 0.10, (1, 2)),
    ("registration_irregularity", 0.08, (1, 2)),
    ("monitor_neutrality_complaint", 0.05, (1, 2)),
    ("other", 0.07, (1, 3)),
)
_DESCRIPTIONS = {
    "intimidation": "Polling staff reported threats from a group outside the centre.",
    "obstruction_of_voting": "Access to the centre was blocked and voting was delayed.",
    "attack_on_centre": "Armed men attacked the centre and damaged polling materials.",
    "armed_interference": "An armed group entered the centre and interrupted the count.",
    "theft_destruction_of_materials": "Ballot boxes were taken or destroyed before the count.",
    "violent_protest": "A protest near the centre turned violent; staff were evacuated.",
    "hate_speech_misinformation": "Leaflets with false claims about candidates were spread.",
    "registration_irregularity": "Complaints of voters registered at the wrong centre.",
    "monitor_neutrality_complaint": "A candidate complained about an observer's conduct.",
    "other": "Unrest near the centre on polling day.",
}


@dataclass(frozen=True)
class DemoSizes:
    """Target sizes of the demo at ``scale`` 1."""

    stations_low: int = 5_400
    stations_high: int = 5_800
    centres: int = 1_900
    patrols: int = 520
    rapid_response: int = 90
    checkpoints: int = 260
    incidents_low: int = 380
    incidents_high: int = 520
    audit_share: float = 0.75


def build_demo(
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    reference: Reference | None = None,
    sizes: DemoSizes = DemoSizes(),
) -> dict[str, pd.DataFrame]:
    """Build every layer of the demo workspace.

    Parameters
    ----------
    seed
        Seed of the random generator: the same seed gives the same workspace.
    scale
        Multiplies centres, stations, units and incidents (1 = national size).
    reference
        Reference geography; read from ``data/reference`` when ``None``.
    sizes
        Target sizes at scale 1.

    Returns
    -------
    dict[str, pandas.DataFrame]
        Layer name to validated frame (EPSG:4326), in :data:`geo.schema.LAYER_NAMES` order.
    """
    if not scale > 0:
        raise InputError(f"scale must be a positive number, got {scale}; use e.g. --scale 10")
    ref = reference if reference is not None else read_reference()
    rng = np.random.default_rng(seed)
    municipalities = ref.municipalities.reset_index(drop=True)
    profile = _municipality_profile(municipalities, ref.districts, rng)
    centres = _build_centres(municipalities, profile, ref.districts, rng, scale, sizes)
    units = _build_units(centres, municipalities, profile, rng, scale, sizes)
    incidents = _build_incidents(centres, municipalities, profile, rng, scale, sizes)
    audits = _build_audits(centres, rng, sizes)
    layers: dict[str, pd.DataFrame] = {
        "regions": ref.regions,
        "districts": ref.districts,
        "municipalities": municipalities,
        "centres": centres,
        "access_audits": audits,
        "units": units,
        "incidents": incidents,
        # Real roads (OpenStreetMap, ODbL): their `source` carries the attribution.
        "roads": read_reference_roads(),
    }
    return {name: check_layer(name, frame) for name, frame in layers.items()}


def write_demo(
    path: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    author: str = "demo generator",
) -> list[LayerVersion]:
    """Build the demo and write it as one atomic new version of every layer at ``path``."""
    layers = build_demo(seed=seed, scale=scale)
    store = GeoPackageStore(path)
    return store.write_layers(
        layers,
        author=author,
        note=f"demo workspace, seed {seed}, scale {scale:g}",
        info={
            "is_demo": "true",
            "title": "Demo workspace (synthetic data)",
            "seed": str(seed),
            "scale": f"{scale:g}",
        },
    )


def _municipality_profile(
    municipalities: pd.DataFrame, districts: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Per municipality: weight (for centres), region, and the deliberate weaknesses."""
    population = _demo_population(municipalities)
    region = municipalities["district_pcode"].map(districts.set_index("pcode")["region_pcode"])
    n = len(municipalities)
    understaffed = rng.random(n) < 0.15
    no_patrols = rng.random(n) < np.where(region == SOUTH_REGION, 0.45, 0.12)
    tension = rng.gamma(0.6, 1.0, n) * np.where(rng.random(n) < 0.15, 6.0, 1.0)
    female_rate = np.where(region == SOUTH_REGION, 0.008, rng.uniform(0.03, 0.075, n))
    return pd.DataFrame(
        {
            "weight": population**0.8,
            "region": region.to_numpy(),
            "understaffed": understaffed,
            "no_patrols": no_patrols,
            "tension": tension,
            "female_rate": female_rate,
            # Spread of centres around the seat: compact towns, wider rural municipalities.
            "spread_km": np.clip(45_000 / np.sqrt(population) * 1.5, 2.0, 25.0),
        }
    )


def _demo_population(municipalities: pd.DataFrame) -> pd.Series:
    """Return the population that sizes the demo: the reference figure, else a guess.

    The reference leaves population empty where GeoNames has no figure for the
    municipality. The central Tripoli municipalities (over a million people together) are
    then given :data:`_CENTRAL_TRIPOLI_GUESS` each; other gaps the district's median.
    """
    population = municipalities["population"].astype("float64")
    guess = population.groupby(municipalities["district_pcode"]).transform("median")
    central = municipalities["name_en"].isin(_CENTRAL_TRIPOLI)
    guess = guess.where(~central, _CENTRAL_TRIPOLI_GUESS)
    return population.fillna(guess).fillna(12_000).clip(lower=4_000)


def _allocate(total: int, weights: NDArray[np.float64], minimum: int) -> NDArray[np.int64]:
    """Split ``total`` into integers proportional to ``weights``, each at least ``minimum``."""
    base = np.full(len(weights), minimum, dtype=np.int64)
    rest = max(total - int(base.sum()), 0)
    share = weights / weights.sum() * rest
    counts = np.floor(share).astype(np.int64)
    remainder = rest - int(counts.sum())
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[:remainder]] += 1
    return base + counts


def _sample_in_polygons(
    polygons: NDArray[np.object_],
    seats: NDArray[np.float64],
    spread_km: NDArray[np.float64],
    counts: NDArray[np.int64],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Draw ``counts[i]`` points inside ``polygons[i]``, clustered around ``seats[i]``."""
    out = np.empty((int(counts.sum()), 2))
    start = 0
    for poly, (lon0, lat0), spread, n in zip(polygons, seats, spread_km, counts, strict=True):
        got = np.empty((0, 2))
        sigma = np.array([spread / (111.32 * np.cos(np.radians(lat0))), spread / 110.57])
        attempts = 0
        while len(got) < n:
            attempts += 1
            if attempts > 60:  # a seat near an odd-shaped edge: sample the polygon uniformly
                minx, miny, maxx, maxy = poly.bounds
                batch = rng.uniform([minx, miny], [maxx, maxy], size=(4 * n + 16, 2))
            else:
                batch = np.array([lon0, lat0]) + rng.standard_normal((2 * n + 8, 2)) * sigma
            inside = shapely.contains_xy(poly, batch[:, 0], batch[:, 1])
            got = np.vstack([got, batch[inside]])
        out[start : start + n] = got[:n]
        start += n
    return out


def _centre_ids(district_pcodes: pd.Series, district_order: list[str]) -> list[str]:
    """HNEC-like IDs: two digits of the district, three of the sequence (wider if needed)."""
    index = district_pcodes.map({p: i + 1 for i, p in enumerate(district_order)}).to_numpy()
    seq = pd.Series(np.ones(len(index), dtype=np.int64)).groupby(index).cumsum().to_numpy()
    width = max(3, len(str(int(seq.max()))))
    return [f"{d:02d}{s:0{width}d}" for d, s in zip(index, seq, strict=True)]


def _build_centres(
    municipalities: pd.DataFrame,
    profile: pd.DataFrame,
    districts: pd.DataFrame,
    rng: np.random.Generator,
    scale: float,
    sizes: DemoSizes,
) -> gpd.GeoDataFrame:
    n_centres = round(sizes.centres * scale)
    per_muni = _allocate(n_centres, profile["weight"].to_numpy(), max(1, round(2 * scale)))
    n_centres = int(per_muni.sum())
    muni_index = np.repeat(np.arange(len(municipalities)), per_muni)
    xy = _sample_in_polygons(
        municipalities.geometry.to_numpy(),
        municipalities[["seat_lon", "seat_lat"]].to_numpy(dtype="float64"),
        profile["spread_km"].to_numpy(),
        per_muni,
        rng,
    )
    # Stations: every centre has one, the rest go to centres by a skewed size factor.
    n_stations = round(rng.integers(sizes.stations_low, sizes.stations_high + 1) * scale)
    stations = _allocate(n_stations, rng.lognormal(0.0, 0.6, n_centres), 1)
    men_share = np.clip(rng.normal(0.575, 0.05, n_centres), 0.45, 0.7)
    single = stations == 1
    stations_male = np.where(single, 0, np.maximum(1, np.round(stations * men_share)))
    stations_male = np.minimum(stations_male, np.where(single, 0, stations - 1)).astype(np.int64)
    stations_female = np.where(single, 0, stations - stations_male).astype(np.int64)
    stations_mixed = single.astype(np.int64)
    # Voters per station: well filled, never above the 550 limit.
    fill_male = rng.integers(440, MAX_VOTERS_PER_STATION + 1, n_centres)
    fill_female = rng.integers(400, MAX_VOTERS_PER_STATION + 1, n_centres)
    fill_mixed = rng.integers(250, MAX_VOTERS_PER_STATION + 1, n_centres)
    mixed_men = np.round(fill_mixed * stations_mixed * 0.56).astype(np.int64)
    voters_male = stations_male * fill_male + mixed_men
    voters_female = stations_female * fill_female + fill_mixed * stations_mixed - mixed_men
    kind = rng.choice(len(_NAME_KINDS), n_centres, p=[k[2] for k in _NAME_KINDS])
    stem = rng.integers(0, len(_NAME_STEMS), n_centres)
    name_ar = [f"{_NAME_KINDS[k][0]} {_NAME_STEMS[s][0]}" for k, s in zip(kind, stem, strict=True)]
    name_en = [f"{_NAME_STEMS[s][1]} {_NAME_KINDS[k][1]}" for k, s in zip(kind, stem, strict=True)]
    centre_type = rng.choice(
        ["general", "displaced", "oil_field", "other"], n_centres, p=[0.93, 0.04, 0.01, 0.02]
    )
    district_pcode = municipalities["district_pcode"].to_numpy()[muni_index]
    frame = pd.DataFrame(
        {
            "centre_id": _centre_ids(pd.Series(district_pcode), list(districts["pcode"])),
            "name_ar": name_ar,
            "name_en": name_en,
            "municipality_pcode": municipalities["pcode"].to_numpy()[muni_index],
            "centre_type": centre_type,
            "stations_male": stations_male,
            "stations_female": stations_female,
            "stations_mixed": stations_mixed,
            "registered_voters": voters_male + voters_female,
            "voters_male": voters_male,
            "voters_female": voters_female,
            "status": rng.choice(["open", "planned"], n_centres, p=[0.985, 0.015]),
            "source": DEMO_SOURCE,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=shapely.points(np.round(xy, 6)), crs=CRS)


def _offset_points(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    distance_km: NDArray[np.float64],
    rng: np.random.Generator,
    *,
    within: NDArray[np.object_] | None = None,
) -> NDArray[np.object_]:
    """Points at ``distance_km`` in a random direction from (lon, lat).

    With ``within`` (one polygon per point, each containing its (lon, lat)), a point that
    would fall outside its polygon is pulled back towards its origin (the distance halved,
    up to :data:`_PULL_BACKS` times, then the origin itself), so it stays inside. No extra
    random numbers are drawn, so the rest of the workspace does not change.
    """
    angle = rng.uniform(0, 2 * np.pi, len(lon))

    def place(distance: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        dlat = distance * np.sin(angle) / 110.57
        dlon = distance * np.cos(angle) / (111.32 * np.cos(np.radians(lat)))
        return np.round(lon + dlon, 6), np.round(lat + dlat, 6)

    distance = np.asarray(distance_km, dtype=np.float64)
    x, y = place(distance)
    if within is not None:
        outside = ~shapely.contains_xy(within, x, y)
        for _ in range(_PULL_BACKS):
            if not outside.any():
                break
            distance = np.where(outside, distance / 2, distance)
            x, y = place(distance)
            outside &= ~shapely.contains_xy(within, x, y)
        x, y = np.where(outside, lon, x), np.where(outside, lat, y)
    return shapely.points(x, y)


def _build_units(
    centres: gpd.GeoDataFrame,
    municipalities: pd.DataFrame,
    profile: pd.DataFrame,
    rng: np.random.Generator,
    scale: float,
    sizes: DemoSizes,
) -> gpd.GeoDataFrame:
    muni_row = pd.Series(np.arange(len(municipalities)), index=municipalities["pcode"])
    c_muni = muni_row.loc[centres["municipality_pcode"]].to_numpy()
    lon = centres.geometry.x.to_numpy()
    lat = centres.geometry.y.to_numpy()
    stations = (
        centres[["stations_male", "stations_female", "stations_mixed"]].sum(axis=1).to_numpy(int)
    )
    n_c = len(centres)
    # Static guards: most centres have a post; under-staffed municipalities often do not.
    understaffed = profile["understaffed"].to_numpy()[c_muni]
    guarded = rng.random(n_c) > np.where(understaffed, 0.35, 0.04)
    second = guarded & (stations >= 5) & (rng.random(n_c) < 0.25)
    post_centre = np.concatenate([np.flatnonzero(guarded), np.flatnonzero(second)])
    need = 2 + 2 * stations[post_centre]
    factor = rng.uniform(1.0, 2.2, len(post_centre)) * np.where(understaffed[post_centre], 0.5, 1)
    officers = np.maximum(2, np.round(need * factor / np.where(second[post_centre], 2, 1)))
    rate = profile["female_rate"].to_numpy()[c_muni[post_centre]]
    female = rng.binomial(officers.astype(np.int64), rate)
    # A few posts stand beside their centre without a recorded assignment.
    unassigned = rng.random(len(post_centre)) < 0.03
    static = pd.DataFrame(
        {
            "agency": rng.choice(AGENCIES, len(post_centre), p=[0.7, 0.1, 0.05, 0.15]),
            "unit_type": "static_guard",
            "assigned_centre_id": np.where(
                unassigned, None, centres["centre_id"].to_numpy()[post_centre]
            ),
            "municipality_pcode": centres["municipality_pcode"].to_numpy()[post_centre],
            "officers": officers.astype(np.int64),
            "female_officers": female,
            "vehicles": rng.integers(0, 2, len(post_centre)),
            "response_radius_km": np.nan,
            "geometry": _offset_points(
                lon[post_centre],
                lat[post_centre],
                rng.uniform(0.0, 0.12, len(post_centre)),
                rng,
            ),
        }
    )
    mobile = [
        _mobile_units(
            unit_type,
            round(count * scale),
            centres,
            c_muni,
            profile,
            rng,
            crew=crew,
            radius_km=radius_km,
            spread_km=spread_km,
        )
        for unit_type, count, crew, radius_km, spread_km in (
            ("patrol", sizes.patrols, (3, 6), 10.0, (0.5, 6.0)),
            ("rapid_response", sizes.rapid_response, (10, 24), 30.0, (0.5, 4.0)),
            ("checkpoint", sizes.checkpoints, (4, 8), np.nan, (3.0, 15.0)),
        )
    ]
    units = pd.concat([static, *mobile], ignore_index=True)
    width = len(str(len(units)))
    units.insert(0, "unit_id", [f"U-{i + 1:0{max(width, 5)}d}" for i in range(len(units))])
    units["source"] = DEMO_SOURCE
    return gpd.GeoDataFrame(units, geometry="geometry", crs=CRS)


def _mobile_units(
    unit_type: str,
    count: int,
    centres: gpd.GeoDataFrame,
    c_muni: NDArray[np.int64],
    profile: pd.DataFrame,
    rng: np.random.Generator,
    *,
    crew: tuple[int, int],
    radius_km: float,
    spread_km: tuple[float, float],
) -> pd.DataFrame:
    """Units based near centres, more where voters are, none in municipalities left bare."""
    weight = centres["registered_voters"].to_numpy(dtype="float64")
    if unit_type != "checkpoint":
        weight = weight * ~profile["no_patrols"].to_numpy()[c_muni]
    base = rng.choice(len(centres), count, p=weight / weight.sum())
    officers = rng.integers(crew[0], crew[1] + 1, count)
    rate = profile["female_rate"].to_numpy()[c_muni[base]]
    return pd.DataFrame(
        {
            "agency": rng.choice(AGENCIES, count, p=[0.45, 0.3, 0.2, 0.05]),
            "unit_type": unit_type,
            "assigned_centre_id": None,
            "municipality_pcode": centres["municipality_pcode"].to_numpy()[base],
            "officers": officers,
            "female_officers": rng.binomial(officers, rate),
            "vehicles": rng.integers(1, 4, count),
            "response_radius_km": radius_km,
            "geometry": _offset_points(
                centres.geometry.x.to_numpy()[base],
                centres.geometry.y.to_numpy()[base],
                rng.uniform(*spread_km, count),
                rng,
            ),
        }
    )


def _build_incidents(
    centres: gpd.GeoDataFrame,
    municipalities: pd.DataFrame,
    profile: pd.DataFrame,
    rng: np.random.Generator,
    scale: float,
    sizes: DemoSizes,
) -> gpd.GeoDataFrame:
    count = round(rng.integers(sizes.incidents_low, sizes.incidents_high + 1) * scale)
    muni_row = pd.Series(np.arange(len(municipalities)), index=municipalities["pcode"])
    c_muni = muni_row.loc[centres["municipality_pcode"]].to_numpy()
    weight = profile["tension"].to_numpy()[c_muni] * np.sqrt(
        centres["registered_voters"].to_numpy(dtype="float64")
    )
    at = rng.choice(len(centres), count, p=weight / weight.sum())
    shares = np.array([c[1] for c in _CATEGORIES])
    cat = rng.choice(len(_CATEGORIES), count, p=shares / shares.sum())
    low = np.array([_CATEGORIES[c][2][0] for c in cat])
    high = np.array([_CATEGORIES[c][2][1] for c in cat])
    severity = rng.integers(low, high + 1)
    category = np.array([_CATEGORIES[c][0] for c in cat])
    # Incidents of these kinds happen at the centre itself; others nearby.
    at_centre = np.isin(category, ["attack_on_centre", "obstruction_of_voting"]) | (
        rng.random(count) < 0.2
    )
    distance = np.where(at_centre, rng.uniform(0, 0.05, count), rng.exponential(3.0, count))
    election = rng.choice(len(ELECTIONS), count, p=[0.45, 0.55])
    polling_day = pd.to_datetime([ELECTIONS[e][1] for e in election])
    offset_days = np.clip(np.round(rng.normal(-10, 20, count)), -75, 12).astype(int)
    dates = polling_day + pd.to_timedelta(offset_days, unit="D")
    fatalities = np.where(severity >= 4, rng.poisson(0.6, count), 0)
    injuries = np.where(severity >= 3, rng.poisson(np.maximum(severity - 1.5, 0), count), 0)
    width = max(4, len(str(count)))
    frame = pd.DataFrame(
        {
            "incident_id": [f"INC-{i + 1:0{width}d}" for i in range(count)],
            "date": dates.normalize(),
            "election": [ELECTIONS[e][0] for e in election],
            "category": category,
            "severity": severity,
            "fatalities": fatalities,
            "injuries": injuries,
            "centre_id": np.where(at_centre, centres["centre_id"].to_numpy()[at], None),
            "municipality_pcode": centres["municipality_pcode"].to_numpy()[at],
            "verified": rng.random(count) < 0.7,
            "description": [_DESCRIPTIONS[c] for c in category],
            "source": DEMO_SOURCE,
        }
    )
    frame = frame.sort_values(["date", "incident_id"], kind="stable")
    # The permutation of the sort, taken before re-indexing, so that each incident keeps
    # the place of its own centre.
    order = frame.index.to_numpy()
    frame = frame.reset_index(drop=True)
    polygons = municipalities.geometry.to_numpy()[c_muni[at][order]]
    geometry = _offset_points(
        centres.geometry.x.to_numpy()[at][order],
        centres.geometry.y.to_numpy()[at][order],
        distance[order],
        rng,
        within=polygons,
    )
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)


def _build_audits(
    centres: gpd.GeoDataFrame, rng: np.random.Generator, sizes: DemoSizes
) -> pd.DataFrame:
    n_c = len(centres)
    audited = np.flatnonzero(rng.random(n_c) < sizes.audit_share)
    n = len(audited)

    def flag(p_true: float, p_missing: float) -> pd.Series:
        values = pd.Series(rng.random(n) < p_true, dtype="boolean")
        values[rng.random(n) < p_missing] = pd.NA
        return values

    days = rng.integers(0, 600, n)
    note_texts = np.array(
        [None, "Steps at the main gate.", "Ramp installed in 2024.", "مدخل بدرج بدون منحدر"],
        dtype=object,
    )
    notes = note_texts[rng.choice(len(note_texts), n, p=[0.7, 0.12, 0.1, 0.08])]
    return pd.DataFrame(
        {
            "audit_id": [f"A-{i + 1:06d}" for i in range(n)],
            "centre_id": centres["centre_id"].to_numpy()[audited],
            "audit_date": pd.Timestamp("2024-03-01") + pd.to_timedelta(days, unit="D"),
            "step_free_entrance": flag(0.55, 0.03),
            "ramp": flag(0.35, 0.05),
            "ground_floor_voting": flag(0.8, 0.03),
            "accessible_toilet": flag(0.2, 0.1),
            "parking_near": flag(0.6, 0.1),
            "notes": notes,
            "source": DEMO_SOURCE,
        }
    )
