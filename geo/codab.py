"""OCHA COD-AB administrative boundaries, matched to the workspace's boundary layers.

A COD-AB dataset (zipped shapefiles, GeoJSON or GeoPackage, as distributed on HDX) has one
layer per administrative level with columns ``ADM{n}_EN``, ``ADM{n}_AR``, ``ADM{n}_PCODE``
and the same for every parent level. The level of a layer is its deepest ``ADM{n}_PCODE``
column, and what that level *is* follows from the length of its P-codes, as OCHA nests
them for Libya: ``LY`` country (2 characters), ``LY02`` region (4), ``LY0211`` district (6),
``LY021104`` municipality (8). So:

==========  ==================  ====================  ==================================
P-code      workspace layer     parent column         parent from
==========  ==================  ====================  ==================================
4 chars     ``regions``         —                     —
6 chars     ``districts``       ``region_pcode``      ``ADM{n-1}_PCODE``
8 chars     ``municipalities``  ``district_pcode``    ``ADM{n-1}_PCODE``
==========  ==================  ====================  ==================================

Polygon layers are preferred over point layers of the same level (COD-AB packages also
hold label points). Imported polygons are official: municipalities get
``boundary_kind = "official"`` and a seat placed at a point inside each polygon (COD-AB
carries no seat; the report says so). OCHA publishes Libya's municipalities as points
only: a point layer gives the seats, and the importer derives approximate catchments when
the workspace holds the districts the P-codes nest in. Importing COD-AB into a workspace
built on other codes (the demo's ``RG-*``, ``LY-XX``, ``DM-XX-NN``) replaces those rows
with official P-codes; the report lists the rows of other layers that still refer to the
old codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.io import RawTable, SourceFile, describe_rows
from geo.mapping import ColumnMapping, Conversion
from geo.schema import Problem

#: Workspace layer by P-code length (Libya's OCHA scheme).
LAYER_BY_LENGTH = {4: "regions", 6: "districts", 8: "municipalities"}
LENGTH_BY_LAYER = {layer: length for length, layer in LAYER_BY_LENGTH.items()}
LEVEL_NAMES = {2: "country", 4: "regions", 6: "districts", 8: "municipalities"}
PARENT_COLUMN = {"districts": "region_pcode", "municipalities": "district_pcode"}
SOURCE = "OCHA COD-AB (CC BY 3.0 IGO)"
_PCODE_COLUMN = re.compile(r"^adm(\d)_pcode$", re.IGNORECASE)


@dataclass(frozen=True)
class CodabLevel:
    """One layer of a COD-AB dataset: its table, ``ADM{n}`` index and P-code length."""

    table: RawTable
    adm: int
    pcode_length: int
    is_polygon: bool

    @property
    def layer(self) -> str | None:
        """The workspace layer this level fills, or None (country level, odd lengths)."""
        return LAYER_BY_LENGTH.get(self.pcode_length)


def _deepest_level(table: RawTable) -> int | None:
    levels = [int(m.group(1)) for c in table.columns if (m := _PCODE_COLUMN.match(c.strip()))]
    return max(levels) if levels else None


def _column(table: RawTable, name: str) -> str | None:
    for column in table.columns:
        if column.strip().lower() == name.lower():
            return column
    return None


def codab_levels(source: SourceFile) -> list[CodabLevel]:
    """Return the administrative levels found in a COD-AB file, one per usable table."""
    levels: list[CodabLevel] = []
    for table in source.tables:
        adm = _deepest_level(table)
        if adm is None or not len(table):
            continue
        column = _column(table, f"ADM{adm}_PCODE")
        assert column is not None  # found by _deepest_level
        codes = table.frame[column].astype("str").str.strip()
        lengths = codes[codes != ""].str.len()
        if lengths.empty:
            continue
        length = int(lengths.mode().iloc[0])
        polygon = False
        if table.geometry is not None:
            types = shapely.get_type_id(table.geometry.to_numpy())
            polygon = bool(np.isin(types, (3, 6)).any())
        levels.append(CodabLevel(table, adm, length, polygon))
    return levels


def _check_layer(layer: str) -> None:
    if layer not in LENGTH_BY_LAYER:
        raise InputError(
            f"COD-AB boundaries fill regions, districts or municipalities, not '{layer}'"
        )


def choose_codab_level(source: SourceFile, layer: str) -> CodabLevel:
    """Return the level of ``source`` that fills ``layer``, polygons before points.

    Raises
    ------
    InputError
        When the file holds no level for ``layer``; the message lists the levels found.
    """
    _check_layer(layer)
    levels = codab_levels(source)
    matching = [lv for lv in levels if lv.layer == layer]
    if not matching:
        found = ", ".join(
            f"{LEVEL_NAMES.get(lv.pcode_length, f'{lv.pcode_length}-character codes')} "
            f"({lv.table.name})"
            for lv in levels
        )
        raise InputError(
            f"{source.filename} holds no {layer} (P-codes of {LENGTH_BY_LAYER[layer]} "
            f"characters); it holds: {found or 'no ADM P-codes'}. Choose another layer"
        )
    matching.sort(key=lambda lv: (not lv.is_polygon, -len(lv.table)))
    return matching[0]


def convert_codab(table: RawTable, layer: str, *, adm: int | None = None) -> Conversion:
    """Turn one COD-AB level into the rows of a boundary layer.

    Parameters
    ----------
    table
        The level's table (with geometry).
    layer
        ``regions``, ``districts`` or ``municipalities``.
    adm
        The ``ADM{n}`` index of the level; the deepest one in the table when ``None``.

    Returns
    -------
    Conversion
        ``pcode``, ``name_en``, ``name_ar``, the parent P-code, ``source``; for
        municipalities also ``boundary_kind`` and the seat. Problems: P-codes of the
        wrong length, codes that do not start with their parent's code.

    Raises
    ------
    InputError
        When the table has no ``ADM{n}_PCODE`` column or ``layer`` is not a boundary layer.
    """
    level = adm if adm is not None else _deepest_level(table)
    if level is None:
        raise InputError(f"{table.name} has no ADM{{n}}_PCODE column: it is not a COD-AB layer")
    _check_layer(layer)
    names = {
        "pcode": _column(table, f"ADM{level}_PCODE"),
        "name_en": _column(table, f"ADM{level}_EN"),
        "name_ar": _column(table, f"ADM{level}_AR"),
    }
    parent_target = PARENT_COLUMN.get(layer)
    if parent_target is not None and level > 0:
        names[parent_target] = _column(table, f"ADM{level - 1}_PCODE")
    pairs = tuple((t, s) for t, s in names.items() if s is not None)
    frame = pd.DataFrame(
        {t: table.frame[s].astype("str").str.strip().to_numpy(dtype=object) for t, s in pairs},
        index=table.frame.index,
    )
    frame["source"] = f"{SOURCE}: {table.name}"
    rows = table.row_numbers
    problems: list[Problem] = []
    notes = [f"OCHA COD-AB level ADM{level} → {layer}", *table.notes]
    expected = LENGTH_BY_LAYER[layer]
    codes = frame["pcode"].astype("str")
    wrong = (codes != "") & (codes.str.len() != expected)
    for position in np.flatnonzero(wrong.to_numpy(dtype=bool)):
        problems.append(
            Problem(
                layer,
                int(rows[position]),
                names["pcode"],
                f"P-code '{codes.iloc[position]}' has {len(codes.iloc[position])} characters; "
                f"{layer} have {expected} (LY + 2 digits per level); correct it",
            )
        )
    if parent_target is not None and parent_target in frame:
        parents = frame[parent_target].astype("str")
        stray = (
            (codes != "")
            & (parents != "")
            & ~pd.Series(
                [c.startswith(p) for c, p in zip(codes, parents, strict=True)], index=codes.index
            )
        )
        if stray.any():
            problems.append(
                Problem(
                    layer,
                    None,
                    names["pcode"],
                    f"P-code(s) that do not start with their parent's code (rows "
                    f"{describe_rows(rows[stray.to_numpy(dtype=bool)])}); check the nesting",
                    "warning",
                )
            )
    geometry = table.geometry
    if layer == "municipalities" and geometry is not None:
        shapes = geometry.to_numpy()
        if (shapely.get_type_id(shapes) == 0).all():
            frame["seat_lon"] = shapely.get_x(shapes)
            frame["seat_lat"] = shapely.get_y(shapes)
            frame["boundary_kind"] = "approximate"
            geometry = None
            notes.append(
                "the layer holds points: they are the municipal seats; catchment polygons are "
                "derived when the workspace has the districts"
            )
        else:
            seats = shapely.point_on_surface(shapes)
            frame["seat_lon"] = shapely.get_x(seats)
            frame["seat_lat"] = shapely.get_y(seats)
            frame["boundary_kind"] = "official"
            problems.append(
                Problem(
                    layer,
                    None,
                    "seat_lon, seat_lat",
                    "COD-AB polygons carry no municipal seat: each seat was placed at a point "
                    "inside its polygon; correct the seats where you know them",
                    "warning",
                )
            )
    return Conversion(
        layer=layer,
        format="cod-ab",
        table=table,
        frame=frame,
        mapping=ColumnMapping(pairs),
        geometry=geometry,
        problems=tuple(problems),
        notes=tuple(notes),
    )
