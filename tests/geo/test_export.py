import io

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geo.export import FORMULA_PREFIXES, neutralise_formulas, to_csv_bytes


def test_cells_that_a_spreadsheet_would_run_get_a_quote():
    frame = pd.DataFrame(
        {"name": ['=HYPERLINK("x")', "+1", "-cmd", "@SUM(A1)", "\tx", "\rx", "ok", None]}
    )
    out = neutralise_formulas(frame)["name"].tolist()
    assert out[:6] == ['\'=HYPERLINK("x")', "'+1", "'-cmd", "'@SUM(A1)", "'\tx", "'\rx"]
    assert out[6] == "ok"
    assert pd.isna(out[7])


def test_numbers_stay_numbers():
    frame = pd.DataFrame({"change": [-3, 4], "share": [-0.5, 0.25]})
    pd.testing.assert_frame_equal(neutralise_formulas(frame), frame)


def test_csv_has_bom_keeps_arabic_and_leading_zeros():
    data = to_csv_bytes(pd.DataFrame({"centre_id": ["00123"], "name_ar": ["طرابلس"]}))
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    assert back.loc[0, "centre_id"] == "00123"
    assert back.loc[0, "name_ar"] == "طرابلس"


def test_geometry_is_written_as_wkt():
    frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(13.1, 32.9)], crs=4326)
    assert "POINT (13.1 32.9)" in to_csv_bytes(frame).decode("utf-8-sig")


def test_a_cell_split_at_a_semicolon_starts_no_formula():
    # Excel set to ";" as its list separator (Arabic and many European Windows settings)
    # opens our comma-separated file by splitting cells at ";": "a;=HYPERLINK(...)" became
    # a cell "=HYPERLINK(...)". Every part after a ";" is made inert too.
    import csv

    names = ['a;=HYPERLINK("http://x")', 'b; "+cmd"', "c;-1", "d;ok", "e;@SUM(A1)"]
    data = to_csv_bytes(pd.DataFrame({"id": ["1", "2", "3", "4", "5"], "name": names}))
    text = data.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text), delimiter=";"):
        for cell in row[1:]:
            assert not cell.lstrip(' "').startswith(FORMULA_PREFIXES), (row, cell)
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    assert list(back["name"]) == [
        'a;\'=HYPERLINK("http://x")',
        'b;\' "+cmd"',
        "c;'-1",
        "d;ok",
        "e;'@SUM(A1)",
    ]
