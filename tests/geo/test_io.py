"""Reading import files: limits before parsing, archives, encodings, CSV shapes, dates."""

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

import geo.io as gio
from geo.errors import InputError
from geo.io import (
    CP1252,
    CP1256,
    UTF8,
    UTF8_BOM,
    FileRejectedError,
    ImportLimits,
    decode_text,
    describe_rows,
    parse_dates,
    read_csv_bytes,
    read_path,
    read_upload,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
MIB = 1024 * 1024


def zip_bytes(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# -- limits before parsing -------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the file was parsed")

    monkeypatch.setattr(gio, "read_csv_bytes", never)
    data = b"a,b\n" + b"1,2\n" * 400_000  # 1.6 MB
    with pytest.raises(FileRejectedError, match=r"big\.csv is 1\.5 MB, more than the 1 MB"):
        read_upload(data, "big.csv", limits=ImportLimits(max_file_bytes=MIB))


def test_the_default_size_limit_is_100_mb():
    assert ImportLimits().max_file_bytes == 100 * MIB


def test_an_empty_file_is_refused():
    with pytest.raises(FileRejectedError, match="empty"):
        read_upload(b"", "centres.csv")


@pytest.mark.parametrize("name", ["report.docx", "payload.exe", "data", "script.py"])
def test_unknown_file_types_are_refused_with_the_known_ones_listed(name):
    with pytest.raises(FileRejectedError, match=r"cannot be imported.*Known types: .csv"):
        read_upload(b"whatever", name)


def test_old_excel_files_are_refused_with_advice():
    with pytest.raises(FileRejectedError, match=r"save the workbook as \.xlsx"):
        read_upload(b"\xd0\xcf\x11\xe0junk", "centres.xls")


def test_a_file_that_is_not_what_its_name_says_is_refused():
    with pytest.raises(FileRejectedError, match="is not an Excel workbook"):
        read_upload(b"centre_id,name\n1,a\n", "centres.xlsx")
    with pytest.raises(FileRejectedError, match="holds binary data"):
        read_upload(zip_bytes({"a.csv": b"x"}), "centres.csv")
    with pytest.raises(FileRejectedError, match="not a GeoPackage"):
        read_upload(b"{}", "layer.gpkg")


def test_a_lone_shp_upload_asks_for_a_zip():
    with pytest.raises(FileRejectedError, match=r"put them in one ZIP archive"):
        read_upload(b"\x00\x00\x27\x0a", "districts.shp")


# -- archives --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "member", ["../evil.csv", "data/../../evil.csv", "/etc/evil.csv", "C:\\evil.csv", "\\x.csv"]
)
def test_archive_members_with_unsafe_paths_are_refused(member):
    data = zip_bytes({member: b"a,b\n1,2\n"})
    with pytest.raises(FileRejectedError, match="absolute path or climbs out"):
        read_upload(data, "upload.zip")


def test_a_symbolic_link_in_an_archive_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link.csv")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(FileRejectedError, match="symbolic link"):
        read_upload(buffer.getvalue(), "upload.zip")


def test_a_zip_bomb_is_refused_by_its_compression_ratio_without_unpacking(monkeypatch):
    # 4 MiB of zeros pack to about 4 KB: a ratio near 1000, far above the 200 allowed.
    data = zip_bytes({"zeros.csv": b"0" * (4 * MIB)})
    assert len(data) < 20_000

    def never(*args, **kwargs):
        raise AssertionError("a member was unpacked")

    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    with pytest.raises(FileRejectedError, match=r"zeros\.csv' unpacks .* times .*zip bomb"):
        read_upload(data, "bomb.zip")


def test_an_archive_unpacking_beyond_the_total_limit_is_refused():
    members = {f"part{i}.csv": bytes(np.random.default_rng(i).integers(65, 90, 600_000, np.uint8))
               for i in range(3)}  # fmt: skip
    data = zip_bytes(members)
    limits = ImportLimits(max_unpacked_bytes=MIB)
    with pytest.raises(FileRejectedError, match="would unpack to more than 1 MB"):
        read_upload(data, "big.zip", limits=limits)


def test_an_archive_with_too_many_members_is_refused():
    data = zip_bytes({f"f{i}.txt": b"x" for i in range(30)})
    with pytest.raises(FileRejectedError, match="lists 30 files, more than the 20"):
        read_upload(data, "many.zip", limits=ImportLimits(max_zip_members=20))


def test_an_archive_inside_an_archive_is_refused():
    inner = zip_bytes({"a.csv": b"a\n1\n"})
    with pytest.raises(FileRejectedError, match="archive inside the archive"):
        read_upload(zip_bytes({"inner.zip": inner}), "outer.zip")


def test_an_encrypted_member_is_refused():
    data = bytearray(zip_bytes({"a.csv": b"a\n1\n"}, compression=zipfile.ZIP_STORED))
    # Set the "encrypted" bit of the general purpose flags in both headers.
    data[6] |= 0x1
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1
    with pytest.raises(FileRejectedError, match="password-protected"):
        read_upload(bytes(data), "locked.zip")


def test_a_shapefile_without_its_dbf_is_refused_naming_what_is_missing(tmp_path):
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(13, 32)], crs=4326)
    frame.to_file(tmp_path / "p.shp")
    data = zip_bytes({n: (tmp_path / n).read_bytes() for n in ("p.shp", "p.shx", "p.prj")})
    with pytest.raises(FileRejectedError, match=r"lacks its \.dbf"):
        read_upload(data, "points.zip")


def test_os_clutter_in_an_archive_is_ignored():
    data = zip_bytes({"__MACOSX/._a.csv": b"\x00\x05", "a.csv": b"x,y\n1,2\n"})
    source = read_upload(data, "a.zip")
    assert [t.name for t in source.tables] == ["a.zip › a.csv"]


# -- encodings -------------------------------------------------------------------------


def test_utf8_is_read_as_utf8():
    assert decode_text("مصراتة,Misrata".encode()) == ("مصراتة,Misrata", UTF8)


def test_a_byte_order_mark_is_recognised_and_removed():
    text, encoding = decode_text(b"\xef\xbb\xbfcentre_id\n")
    assert (text, encoding) == ("centre_id\n", UTF8_BOM)


def test_windows_1256_arabic_is_read_without_mangling():
    original = "رقم المركز,الاسم\n90101,مدرسة النصر\n"
    text, encoding = decode_text(original.encode("cp1256"))
    assert text == original
    assert encoding == CP1256
    assert encoding.guessed


def test_windows_1252_accents_and_punctuation_are_read_as_latin():
    original = "notes\nMédecins Sans Frontières said the army’s strike – at dawn – hit a café\n"
    text, encoding = decode_text(original.encode("cp1252"))
    assert text == original
    assert encoding == CP1252


def test_bytes_undefined_in_windows_1252_mean_windows_1256():
    # 0x81 is undefined in Windows-1252 and is the letter پ in Windows-1256.
    assert decode_text(b"\x81") == ("پ", CP1256)


def test_the_encoding_is_noted_on_the_table():
    table = read_upload("a\nمصراتة\n".encode("cp1256"), "x.csv").table()
    assert "read as text encoded in Windows-1256 (Arabic)" in table.notes
    assert table.frame["a"].tolist() == ["مصراتة"]


def test_the_arabic_fixture_in_windows_1256_reads_its_arabic_headers():
    table = read_path(FIXTURES / "centres_arabic_cp1256.csv").table()
    assert table.encoding == CP1256
    assert table.columns[:3] == ("رقم المركز", "الاسم بالعربية", "الاسم بالإنجليزية")
    assert table.frame["الاسم بالعربية"].tolist() == ["مدرسة النصر", "مدرسة الوحدة"]


ARABIC_CENTRES = "centre_id,name_ar\n90301,مدرسة النصر\n90302,مدرسة الوحدة\n"


@pytest.mark.parametrize(
    ("bom", "codec", "label"),
    [
        (b"\xff\xfe", "utf-16-le", "UTF-16 LE with byte-order mark"),
        (b"\xfe\xff", "utf-16-be", "UTF-16 BE with byte-order mark"),
    ],
)
def test_utf16_with_a_byte_order_mark_is_read(bom, codec, label):
    # What Excel's "Unicode Text" and many Windows tools write.
    data = bom + ARABIC_CENTRES.encode(codec)
    text, encoding = decode_text(data)
    assert text == ARABIC_CENTRES
    assert encoding.label == label
    table = read_upload(data, "centres.csv").table()
    assert table.frame["name_ar"].tolist() == ["مدرسة النصر", "مدرسة الوحدة"]
    assert f"read as text encoded in {label}" in table.notes


@pytest.mark.parametrize(("codec", "order"), [("utf-16-le", "LE"), ("utf-16-be", "BE")])
def test_utf16_without_a_byte_order_mark_is_named_with_how_to_save_utf8(codec, order):
    data = ARABIC_CENTRES.encode(codec)
    assert b"\x00" in data  # every ASCII character has a NUL beside it
    with pytest.raises(FileRejectedError) as caught:
        read_upload(data, "centres.csv")
    message = str(caught.value)
    assert f"centres.csv looks like UTF-16 {order} text without a byte-order mark" in message
    assert "CSV UTF-8" in message
    assert "binary data" not in message


def test_real_binary_data_in_a_csv_is_still_refused_as_binary():
    noise = bytes(range(256)) * 8  # NUL bytes at even and odd positions alike
    with pytest.raises(FileRejectedError, match="holds binary data"):
        read_upload(noise, "centres.csv")


def test_a_utf16_geojson_is_refused_saying_it_must_be_utf8():
    data = b"\xff\xfe" + '{"type": "FeatureCollection", "features": []}'.encode("utf-16-le")
    with pytest.raises(FileRejectedError, match=r"p\.geojson is UTF-16 text.*save it as UTF-8"):
        read_upload(data, "p.geojson")


# -- CSV shapes ------------------------------------------------------------------------


def test_row_numbers_are_spreadsheet_rows_even_with_line_breaks_and_blank_rows():
    data = b'id,notes\n1,"first line\nsecond line"\n\n2,"say ""hi"""\n3,plain\n'
    table = read_csv_bytes(data, "t.csv")
    # header row 1; the two-line value is still row 2; row 3 is blank; then rows 4 and 5.
    assert table.row_numbers.tolist() == [2, 4, 5]
    assert table.frame["notes"].tolist() == ["first line\nsecond line", 'say "hi"', "plain"]


def test_trailing_empty_columns_are_dropped_and_said():
    table = read_csv_bytes(b"a,b,,\n1,2,,\n3,4,,\n", "t.csv")
    assert table.columns == ("a", "b")
    assert "2 empty column(s) without a name left out" in table.notes


def test_a_column_with_values_but_no_name_is_kept_and_named():
    table = read_csv_bytes(b"a,,c\n1,x,3\n2,y,4\n", "t.csv")
    assert table.columns == ("a", "column_2", "c")
    assert "give it a name" in table.problems[0].message


def test_a_row_with_an_extra_value_is_reported_with_its_row_number():
    table = read_csv_bytes(b"a,b\n1,2\n3,4,oops\n5,6\n", "t.csv")
    (problem,) = table.problems
    assert problem.row == 3
    assert problem.severity == "error"
    assert "('oops') in column 3, which has no name" in problem.message


def test_semicolon_separated_files_are_read():
    table = read_csv_bytes(b"id;name\n1;a\n", "t.csv")
    assert table.columns == ("id", "name")
    assert "values separated by semicolons" in table.notes


def test_a_header_named_twice_is_renamed_and_said():
    table = read_csv_bytes(b"id,id\n1,2\n", "t.csv")
    assert table.columns == ("id", "id.2")
    assert "names 'id' twice" in table.problems[0].message


def test_an_unclosed_quote_names_the_row_where_it_starts():
    with pytest.raises(InputError, match=r"t\.csv, row 3: .*never closes"):
        read_csv_bytes(b'a,b\n1,2\n3,"oops\n4,5\n', "t.csv")


def one_long_field(length: int, *, quoted: bool) -> bytes:
    value = b"x" * length
    if quoted:
        value = b'"' + value + b'"'
    return b"id,notes\n1," + value + b"\n2,short\n"


@pytest.mark.parametrize("quoted", [True, False])
def test_a_field_of_one_mebibyte_is_read_whole(quoted):
    # Python's csv module stops at 131,072 characters by default; a long WKT polygon or
    # a pasted report is legitimately longer.
    table = read_csv_bytes(one_long_field(1_048_576, quoted=quoted), "t.csv")
    assert table.problems == ()
    assert [len(v) for v in table.frame["notes"]] == [1_048_576, 5]
    assert table.row_numbers.tolist() == [2, 3]


@pytest.mark.parametrize("quoted", [True, False])
def test_a_field_over_the_limit_rejects_its_row_naming_the_limit(quoted):
    table = read_csv_bytes(one_long_field(2 * 1_048_576, quoted=quoted), "t.csv")
    (problem,) = table.problems
    assert (problem.row, problem.column, problem.severity) == (2, "notes", "error")
    assert problem.message.startswith(
        "a value of 2,097,152 characters exceeds the limit of 1,048,576 characters per value"
    )
    assert "quote" not in problem.message  # one line, no unclosed-quote story
    assert table.frame["id"].tolist() == ["1", "2"]  # the other row is kept
    assert gio.MAX_FIELD_CHARS == 1_048_576


def test_an_over_long_value_with_line_breaks_also_suggests_a_stray_quote():
    data = b'id,notes\n1,"' + b"line\n" * 300_000 + b'"\n2,short\n'
    (problem,) = read_csv_bytes(data, "t.csv").problems
    assert problem.row == 2
    assert "exceeds the limit of 1,048,576 characters" in problem.message
    assert 'a quote (") that opens the value too early' in problem.message


def test_an_unclosed_quote_in_a_large_file_keeps_its_hint_and_row():
    # More than 131,072 characters follow the stray quote: the csv module's own limit
    # used to answer first, with a message about a "field limit".
    data = b'a,b\n1,2\n3,"oops\n' + b"4,5\n" * 50_000
    with pytest.raises(InputError) as caught:
        read_csv_bytes(data, "t.csv")
    message = str(caught.value)
    assert message.startswith("t.csv, row 3: ")
    assert 'a value probably opens a quote (") that never closes' in message
    assert "field limit" not in message


def test_a_file_without_a_header_row_is_refused():
    with pytest.raises(InputError, match="no header row"):
        read_csv_bytes(b"\n\n  \n", "t.csv")


def test_an_hxl_hashtag_row_is_taken_as_tags_not_data():
    table = read_path(FIXTURES / "centres_hxl.csv").table()
    assert table.hxl_tags[:3] == ("#loc+code", "#loc+name+i_ar", "#loc+name+i_en")
    assert table.row_numbers.tolist() == [3, 4]
    assert table.frame["Centre code"].tolist() == ["90001", "90002"]


# -- Excel and GIS ---------------------------------------------------------------------


def test_excel_rows_keep_the_sheets_numbers_and_dates_become_iso(tmp_path):
    workbook = openpyxl.Workbook()
    empty = workbook.active
    empty.title = "cover"
    sheet = workbook.create_sheet("data")
    sheet.append(["id", "when", "count"])
    sheet.append([1, pd.Timestamp("2025-05-16").to_pydatetime(), 3.0])
    sheet.append([None, None, None])
    sheet.append([2, 45793, 4.5])
    workbook.save(tmp_path / "w.xlsx")
    table = read_path(tmp_path / "w.xlsx").table()
    assert table.name == "w.xlsx › data"
    assert table.row_numbers.tolist() == [2, 4]
    assert table.frame["when"].tolist() == ["2025-05-16", "45793"]
    assert table.frame["count"].tolist() == ["3", "4.5"]
    assert "other sheets not read: cover" in table.notes


def formula_workbook(tmp_path: Path) -> Path:
    """Centres typed as values in row 2, with formulas in B3 and C4 (no cached values)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "centres"
    sheet.append(["centre_id", "name_en", "stations_male"])
    sheet.append(["90301", "School A", 2])
    sheet.append(["90302", '=CONCAT("School ", "B")', 1])
    sheet.append(["90303", "School C", "=1+1"])
    path = tmp_path / "formulas.xlsx"
    workbook.save(path)  # openpyxl stores formulas without a cached value
    return path


def test_excel_formula_cells_reject_their_rows_naming_cell_and_sheet(tmp_path):
    table = read_path(formula_workbook(tmp_path)).table()
    assert table.row_numbers.tolist() == [2, 3, 4]
    assert table.frame.loc[0].tolist() == ["90301", "School A", "2"]
    problems = sorted(table.problems, key=lambda p: p.row)
    assert [(p.row, p.column, p.severity) for p in problems] == [
        (3, "name_en", "error"),
        (4, "stations_male", "error"),
    ]
    assert problems[0].message.startswith(
        'cell B3 of sheet \'centres\' holds a formula (=CONCAT("School ", "B")), not a value'
    )
    assert "Paste Special › Values" in problems[0].message
    assert problems[1].message.startswith("cell C4 of sheet 'centres' holds a formula (=1+1)")


def test_an_excel_formula_is_refused_even_with_a_cached_value(tmp_path):
    # XlsxWriter (like Excel) stores a cached result beside the formula; a tool that
    # never calculates stores 0. Neither may become the imported value.
    import xlsxwriter

    path = tmp_path / "cached.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("list")
    sheet.write_row(0, 0, ["centre_id", "name_en", "registered_voters"])
    sheet.write_row(1, 0, ["90301", "School A", 1400])
    sheet.write_string(2, 0, "90302")
    sheet.write_formula(2, 1, '=UPPER("school b")', None, "SCHOOL B")
    sheet.write_formula(2, 2, "=700*2", None, 0)
    workbook.close()
    table = read_path(path).table()
    problems = sorted(table.problems, key=lambda p: p.column)
    assert [(p.row, p.column) for p in problems] == [(3, "name_en"), (3, "registered_voters")]
    assert problems[0].message.startswith("cell B3 of sheet 'list' holds a formula")
    assert problems[1].message.startswith("cell C3 of sheet 'list' holds a formula (=700*2)")
    assert "0" not in table.frame["registered_voters"].tolist()


def test_a_formula_in_the_header_row_refuses_the_sheet(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "centres"
    sheet.append(["centre_id", '="name_"&"en"'])
    sheet.append(["90301", "School A"])
    workbook.save(tmp_path / "h.xlsx")
    with pytest.raises(InputError, match=r"cell B1 of sheet 'centres' \(the header row\) holds a"):
        read_path(tmp_path / "h.xlsx")


def test_geojson_features_are_numbered_and_keep_their_crs():
    table = read_path(FIXTURES / "municipalities_utm.geojson").table()
    assert table.row_label == "feature"
    assert table.row_numbers.tolist() == [1, 2]
    assert table.geometry.crs.to_epsg() == 32633
    assert table.frame["name_ar"].tolist() == ["مصراتة", "زليتن"]


def test_every_layer_of_a_geopackage_is_a_table(tmp_path):
    path = tmp_path / "two.gpkg"
    points = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(13, 32)], crs=4326)
    points.to_file(path, layer="centres")
    points.to_file(path, layer="units")
    source = read_upload(path.read_bytes(), "two.gpkg")
    assert [t.name for t in source.tables] == ["two.gpkg › centres", "two.gpkg › units"]


def test_a_folder_of_shapefiles_reads_every_set(real_fixtures):
    source = read_path(real_fixtures / "cod_ab_lby_20180507")
    sizes = {t.name.rsplit("› ", 1)[1]: len(t) for t in source.tables}
    assert sizes["lby_admbnda_adm1_unosat_lbsc_20180507.shp"] == 3
    assert sizes["lby_admbnda_adm2_unosat_lbsc_20180507.shp"] == 22


def test_a_shp_path_is_read_with_its_sibling_files(real_fixtures):
    path = real_fixtures / "cod_ab_lby_20180507" / "lby_admbnda_adm2_unosat_lbsc_20180507.shp"
    table = read_path(path).table()
    assert len(table) == 22
    assert "طرابلس" in table.frame["ADM2_AR"].tolist()


def test_a_missing_path_is_refused():
    with pytest.raises(FileRejectedError, match="no such file"):
        read_path("/nonexistent/centres.csv")


def test_geojson_bytes_are_read(tmp_path):
    data = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"id": "x"},
                 "geometry": {"type": "Point", "coordinates": [13.2, 32.9]}}
            ],
        }
    ).encode()  # fmt: skip
    table = read_upload(data, "p.geojson").table()
    assert table.frame["id"].tolist() == ["x"]
    assert shapely.get_x(table.geometry.iloc[0]) == pytest.approx(13.2)


# -- dates and helpers -----------------------------------------------------------------


def test_every_date_style_reads_the_same_day():
    parsed = parse_dates(pd.Series(["2025-05-16", "16/05/2025", "16 May 2025", "16-May-25",
                                    "45793", ""]))  # fmt: skip
    assert parsed.values.iloc[:5].tolist() == [pd.Timestamp("2025-05-16")] * 5
    assert pd.isna(parsed.values.iloc[5])
    assert not parsed.bad.any()
    assert parsed.styles == {"YYYY-MM-DD": 1, "DD/MM/YYYY": 1, "16 May 2025": 2, "Excel serial": 1}


def test_excel_serial_45793_is_16_may_2025():
    # Excel counts days from 1899-12-30 (with its 1900 leap-year bug): 45,793 days later.
    assert (pd.Timestamp("2025-05-16") - pd.Timestamp("1899-12-30")).days == 45793
    assert parse_dates(pd.Series(["45793"])).values.iloc[0] == pd.Timestamp("2025-05-16")


def test_slashed_dates_are_day_first_unless_only_month_first_fits():
    assert parse_dates(pd.Series(["01/02/2025"])).values.iloc[0] == pd.Timestamp("2025-02-01")
    parsed = parse_dates(pd.Series(["05/16/2025", "01/02/2025"]))
    assert parsed.order == "month-first"
    assert parsed.values.tolist() == [pd.Timestamp("2025-05-16"), pd.Timestamp("2025-01-02")]


def test_unreadable_dates_are_marked_bad():
    parsed = parse_dates(pd.Series(["31/02/2020", "soon", "2025-05-16"]))
    assert parsed.bad.tolist() == [True, True, False]


def test_describe_rows_writes_runs():
    assert describe_rows([2, 3, 4, 7, 9, 10]) == "2-4, 7, 9-10"
    assert describe_rows(range(1, 40, 2), limit=3) == "1, 3, 5, …"
