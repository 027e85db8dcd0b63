"""Tables as files users open in Excel: UTF-8 with BOM and no cell read as a formula."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from geopandas.array import GeometryDtype

#: A cell starting with one of these is read by spreadsheets as a formula (or can be).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy in which every text cell that a spreadsheet would run is made inert.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading single quote, which spreadsheets show as text. Numbers are left alone (a
    negative number is a number, not a formula).
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
            continue
        text = column.astype("string")
        risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).to_numpy(dtype=bool)
        if risky.any():
            values = column.astype(object).copy()
            values[risky] = "'" + text[risky].astype(str)
            out[name] = values
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """Return ``frame`` as CSV: UTF-8 with BOM (Excel shows Arabic), formula-safe, no index.

    Geometry columns are written as WKT text.
    """
    table = pd.DataFrame(frame).copy()
    for name in table.columns:
        if isinstance(table[name].dtype, GeometryDtype):
            table[name] = gpd.GeoSeries(table[name]).to_wkt()
    return neutralise_formulas(table).to_csv(index=False).encode("utf-8-sig")
