"""Reading files users import: limits first, then encodings, CSV, Excel and GIS formats.

Every file is checked **before it is parsed**:

- its size (:attr:`ImportLimits.max_file_bytes`, 100 MB by default);
- its type: the name must end in a known suffix (:data:`KNOWN_SUFFIXES`) and the first
  bytes must agree (an ``.xlsx`` or ``.zip`` starts with ``PK``, a GeoPackage with
  ``SQLite format 3``, a CSV or GeoJSON holds no NUL byte unless it is UTF-16 text: a CSV
  with a UTF-16 byte-order mark is read, UTF-16 without one, or a UTF-16 GeoJSON, is
  refused saying so and how to save it as UTF-8);
- a ZIP archive (and an ``.xlsx``, which is one) is read from its directory only: no member
  may have an absolute path, a drive letter or a ``..`` component, be a link, be encrypted
  or be another archive; the members may not unpack to more than
  :attr:`ImportLimits.max_unpacked_bytes` together, nor any member larger than 1 MiB to
  more than :attr:`ImportLimits.max_compression_ratio` times its packed size (a zip bomb).
  Python's :mod:`zipfile` never returns more bytes than a member declares, so checking the
  declared sizes bounds what is read.

Text files are decoded strictly: UTF-16 (little or big endian) when the file starts with
its byte-order mark (what Excel's "Unicode Text" writes), UTF-8 with a byte-order mark,
then UTF-8; failing both, Windows-1256 (Arabic) or Windows-1252 (Western European),
whichever reads the bytes above 0x7F as words: Arabic text puts them in runs (letters of
a word), Western text as single accented letters or punctuation between ASCII letters. A
guessed encoding is reported.

CSV files are read with the :mod:`csv` module (quoted values may hold delimiters, quotes
and line breaks); the delimiter (comma, semicolon or tab) is the most frequent one in the
header line. A value may hold up to :data:`MAX_FIELD_CHARS` characters (1 MiB, room for a
detailed WKT polygon); a longer one rejects its row, saying how long it is. Row numbers are
those a spreadsheet shows: the header is row 1 and a value spanning several lines still
counts as one row; blank rows are skipped but keep their numbers. Excel rows keep the
sheet's own numbers; a formula cell is never read as its saved result (see
:func:`read_xlsx_bytes`). A row of HXL hashtags under the header (``#adm1+name``,
``#geo+lat`` …) is recognised and kept apart. GIS layers (GeoJSON,
GeoPackage, shapefiles in a ZIP) are read with pyogrio; their "rows" are feature numbers.

Values are kept as text exactly as the file holds them (blank as ``""``); parsing into
numbers and dates belongs to the importers, which report what they cannot read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import stat
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from numpy.typing import NDArray
from pyogrio.errors import DataLayerError, DataSourceError

from geo.errors import InputError
from geo.schema import Problem

MIB = 1024 * 1024

FileKind = Literal["csv", "jsonl", "xlsx", "geojson", "gpkg", "zip", "shapefile"]
RowLabel = Literal["row", "feature"]

#: File name suffixes the importer reads, and what each is.
KNOWN_SUFFIXES: Mapping[str, FileKind] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "zip",
    ".shp": "shapefile",
}
#: Files of a shapefile set (read together, by stem).
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz")
_ZIP_NOISE = ("__MACOSX/", ".DS_Store", "Thumbs.db")
_RATIO_CHECK_BYTES = MIB

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_LE_BOM = b"\xff\xfe"
_UTF16_BE_BOM = b"\xfe\xff"
#: Bytes looked at to tell binary data (or UTF-16 without a byte-order mark) from text.
_SNIFF_BYTES = 8192
#: Longest value of a CSV file, in characters; a longer one rejects its row. Python's csv
#: module stops at 131,072 by default, which a detailed WKT polygon can exceed.
MAX_FIELD_CHARS = 1_048_576
# The csv module's own (process-wide) limit is lifted so that values are measured after
# parsing against MAX_FIELD_CHARS; 2**31 - 1 fits a C long on every platform.
_CSV_MODULE_LIMIT = 2**31 - 1

_HXL_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+\s*[a-z][a-z0-9_]*)*$", re.IGNORECASE)
_ARABIC = re.compile("[\u0600-\u06ff]")
_DELIMITERS = (",", ";", "\t")


class FileRejectedError(InputError):
    """A file refused before parsing: too large, of an unknown type, or an unsafe archive."""


@dataclass(frozen=True)
class ImportLimits:
    """Limits checked before a file is parsed.

    Parameters
    ----------
    max_file_bytes
        Largest file accepted (100 MB by default).
    max_unpacked_bytes
        Largest total size of the members of a ZIP archive (or ``.xlsx``) once unpacked.
    max_compression_ratio
        Largest unpacked/packed size ratio of one archive member (members under 1 MiB
        are not checked: small files compress well and are harmless).
    max_zip_members
        Most members an archive may list.
    max_records
        Most records a JSON table may hold (:func:`read_json_table_bytes`).
    """

    max_file_bytes: int = 100 * MIB
    max_unpacked_bytes: int = 500 * MIB
    max_compression_ratio: float = 200.0
    max_zip_members: int = 2_000
    max_records: int = 1_000_000


@dataclass(frozen=True)
class TextEncoding:
    """How a text file was decoded: the Python codec, a readable name, and whether guessed."""

    codec: str
    label: str
    guessed: bool = False


UTF8 = TextEncoding("utf-8", "UTF-8")
UTF8_BOM = TextEncoding("utf-8-sig", "UTF-8 with byte-order mark")
UTF16_LE = TextEncoding("utf-16-le", "UTF-16 LE with byte-order mark")
UTF16_BE = TextEncoding("utf-16-be", "UTF-16 BE with byte-order mark")
CP1256 = TextEncoding("cp1256", "Windows-1256 (Arabic)", guessed=True)
CP1252 = TextEncoding("cp1252", "Windows-1252 (Western European)", guessed=True)


@dataclass(frozen=True)
class RawTable:
    """One table of a file, every value as the text the file holds.

    Attributes
    ----------
    name
        The file name, followed by ``› sheet`` or ``› layer`` when the file holds several.
    frame
        One column per header name (in file order), values ``str`` (``""`` when blank),
        index ``0..n-1``.
    row_numbers
        For each frame row, the number the user sees: the spreadsheet row (header = 1) or
        the feature number of a GIS layer.
    row_label
        ``"row"`` or ``"feature"``.
    geometry
        The GIS layer's geometries in the file's own CRS (``None`` for plain tables).
    encoding
        How a text file was decoded (``None`` for binary formats).
    hxl_tags
        The HXL hashtag of each column when the file has a hashtag row, else ``None``.
    problems
        What went wrong while reading (ragged rows, unnamed columns …), with row numbers;
        the ``layer`` of each problem is the table name until an importer relabels it.
    notes
        Facts worth telling the user (sheet used, columns dropped because empty …).
    json_key
        For a JSON table held by an object, the key of its array of records.
    """

    name: str
    frame: pd.DataFrame
    row_numbers: NDArray[np.int64]
    row_label: RowLabel = "row"
    geometry: gpd.GeoSeries | None = None
    encoding: TextEncoding | None = None
    hxl_tags: tuple[str, ...] | None = None
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    json_key: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The header names, in file order."""
        return tuple(str(c) for c in self.frame.columns)

    def __len__(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class SourceFile:
    """A file read for import: its tables, in file order.

    ``sha256`` identifies the content (a cache key); ``kind`` is what the name and the
    first bytes say the file is.
    """

    filename: str
    kind: FileKind
    size_bytes: int
    sha256: str
    tables: tuple[RawTable, ...] = field(default_factory=tuple)

    def table(self, name: str | None = None) -> RawTable:
        """Return the table called ``name`` (the first one when ``None``).

        Raises
        ------
        InputError
            When the file holds no table, or none of that name.
        """
        if not self.tables:
            raise InputError(f"{self.filename} holds no table or layer to import")
        if name is None:
            return self.tables[0]
        for table in self.tables:
            if table.name == name:
                return table
        names = ", ".join(t.name for t in self.tables)
        raise InputError(f"{self.filename} has no table '{name}'; it holds {names}")


# -- entry points ----------------------------------------------------------------------


def read_upload(data: bytes, filename: str, *, limits: ImportLimits | None = None) -> SourceFile:
    """Check and read an uploaded file given as bytes and its name.

    Parameters
    ----------
    data
        The file's bytes.
    filename
        The name it was uploaded under (its suffix selects the reader).
    limits
        Size and archive limits; :class:`ImportLimits` defaults when ``None``.

    Returns
    -------
    SourceFile
        Every table of the file.

    Raises
    ------
    FileRejectedError
        When the file is too large, of an unknown type, not what its name says, or an
        unsafe archive; nothing has been parsed.
    InputError
        When the file cannot be read (broken CSV quoting, unreadable spreadsheet …).
    """
    limits = limits or ImportLimits()
    name = Path(filename).name or "upload"
    _check_size(name, len(data), limits)
    kind = file_kind(name)
    if kind == "shapefile":
        raise FileRejectedError(
            f"{name}: a shapefile is several files (.shp, .shx, .dbf, .prj); put them in one "
            "ZIP archive and upload the .zip"
        )
    _check_magic(name, kind, data)
    digest = hashlib.sha256(data).hexdigest()
    tables = _read_kind(name, kind, data, limits)
    return SourceFile(name, kind, len(data), digest, tables)


def read_path(path: str | Path, *, limits: ImportLimits | None = None) -> SourceFile:
    """Check and read a file on disk (the command line's way in).

    A ``.shp`` is read with its sibling ``.shx``, ``.dbf``, ``.prj`` and ``.cpg``; a folder
    is read as if it were a ZIP archive of its GIS and table files (e.g. an unpacked OCHA
    COD-AB download).

    Raises
    ------
    FileRejectedError, InputError
        As for :func:`read_upload`; also when the path does not exist.
    """
    limits = limits or ImportLimits()
    source = Path(path)
    if source.is_dir():
        members = _folder_members(source, limits)
        return _read_members_as_zip(source.name, members, limits)
    if not source.is_file():
        raise FileRejectedError(f"{source}: no such file; check the path")
    _check_size(source.name, source.stat().st_size, limits)
    kind = file_kind(source.name)
    if kind == "shapefile":
        parts = {
            p.name: p.read_bytes()
            for p in source.parent.iterdir()
            if p.is_file() and p.stem == source.stem and p.suffix.lower() in SHAPEFILE_PARTS
        }
        return _read_members_as_zip(source.name, parts, limits)
    return read_upload(source.read_bytes(), source.name, limits=limits)


def file_kind(filename: str) -> FileKind:
    """Return what kind of file ``filename`` names, from its suffix.

    Raises
    ------
    FileRejectedError
        For a suffix the importer does not read, saying which ones it reads.
    """
    suffix = Path(filename).suffix.lower()
    if suffix in KNOWN_SUFFIXES:
        return KNOWN_SUFFIXES[suffix]
    hint = ""
    if suffix == ".xls":
        hint = "; save the workbook as .xlsx (Excel 2007 or later) or as CSV UTF-8"
    elif suffix in _ARCHIVE_SUFFIXES:
        hint = "; pack the files as a .zip archive instead"
    known = ", ".join(sorted(KNOWN_SUFFIXES))
    raise FileRejectedError(
        f"{filename}: files of type '{suffix or 'without suffix'}' cannot be imported{hint}. "
        f"Known types: {known}"
    )


# -- limits ----------------------------------------------------------------------------


def _check_size(name: str, size: int, limits: ImportLimits) -> None:
    if size > limits.max_file_bytes:
        raise FileRejectedError(
            f"{name} is {size / MIB:,.1f} MB, more than the {limits.max_file_bytes / MIB:,.0f} "
            "MB allowed; split it into smaller files or ask an administrator to raise the limit"
        )
    if size == 0:
        raise FileRejectedError(f"{name} is empty (0 bytes); choose the file again")


def _check_magic(name: str, kind: FileKind, data: bytes) -> None:
    head = data[:16]
    is_zip = head.startswith(_ZIP_MAGIC) or head.startswith(_EMPTY_ZIP_MAGIC)
    if kind in ("zip", "xlsx") and not is_zip:
        what = "an Excel workbook (.xlsx)" if kind == "xlsx" else "a ZIP archive"
        extra = ""
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            extra = "; it looks like an old .xls workbook: save it as .xlsx or CSV"
        raise FileRejectedError(f"{name} is not {what}{extra}")
    if kind == "gpkg" and not head.startswith(_SQLITE_MAGIC):
        raise FileRejectedError(f"{name} is not a GeoPackage (an SQLite database)")
    if kind not in ("csv", "geojson", "jsonl"):
        return
    if is_zip or head.startswith(_SQLITE_MAGIC):
        raise FileRejectedError(
            f"{name} is named like a text file but holds binary data; if it is an "
            "Excel workbook or an archive, give it the right suffix (.xlsx, .zip)"
        )
    utf16 = _utf16_order(data)
    if utf16 is not None:
        order, has_bom = utf16
        if has_bom and kind == "csv":
            return  # decoded as UTF-16 by decode_text
        what = f"{name} is UTF-16 text"
        if not has_bom:
            what = (
                f"{name} looks like UTF-16 {order} text without a byte-order mark, which "
                "cannot be read reliably"
            )
        how = (
            "in Excel choose File › Save As › 'CSV UTF-8 (Comma delimited)'; in a text "
            "editor save it with the encoding UTF-8"
            if kind == "csv"
            else "JSON must be UTF-8: save it as UTF-8 in a text editor"
            if name.lower().endswith(".json")
            else "GeoJSON must be UTF-8: save it as UTF-8 in a text editor"
        )
        raise FileRejectedError(f"{what}; {how}, then import it again")
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise FileRejectedError(
            f"{name} is named like a text file but holds binary data; if it is an "
            "Excel workbook or an archive, give it the right suffix (.xlsx, .zip)"
        )


def _utf16_order(data: bytes) -> tuple[Literal["LE", "BE"], bool] | None:
    """Return the byte order of UTF-16 text and whether it has a byte-order mark.

    Without a mark, text is taken for UTF-16 when NUL bytes (the high byte of every ASCII
    character: digits, delimiters, line breaks) make at least a tenth of the bytes on one
    side of each pair and almost none (1 %) on the other; binary data has them on both.
    ``None`` when the data is not UTF-16.
    """
    if data.startswith(_UTF16_LE_BOM):
        return "LE", True
    if data.startswith(_UTF16_BE_BOM):
        return "BE", True
    head = data[: _SNIFF_BYTES - _SNIFF_BYTES % 2]
    first, second = head[0::2], head[1::2]
    if not second:
        return None
    nul_first, nul_second = first.count(0), second.count(0)
    if nul_second >= 0.1 * len(second) and nul_first <= 0.01 * len(first):
        return "LE", False
    if nul_first >= 0.1 * len(first) and nul_second <= 0.01 * len(second):
        return "BE", False
    return None


@dataclass(frozen=True)
class _Member:
    name: str
    info: zipfile.ZipInfo


def check_zip(data: bytes, name: str, limits: ImportLimits) -> list[zipfile.ZipInfo]:
    """Return the members of a ZIP archive after checking them against ``limits``.

    Raises
    ------
    FileRejectedError
        For an unreadable archive, too many members, an absolute or ``..`` path, a link,
        an encrypted member, a nested archive, or a member or total that unpacks beyond
        the limits (a zip bomb).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise FileRejectedError(f"{name} is not a readable ZIP archive ({exc})") from exc
    with archive:
        infos = archive.infolist()
    if len(infos) > limits.max_zip_members:
        raise FileRejectedError(
            f"{name} lists {len(infos):,} files, more than the {limits.max_zip_members:,} "
            "allowed; put only the files to import in the archive"
        )
    total = 0
    for info in infos:
        member = info.filename
        _check_member_path(name, member)
        mode = (info.external_attr >> 16) & 0xFFFF
        if stat.S_ISLNK(mode):
            raise FileRejectedError(f"{name}: '{member}' is a symbolic link; links are refused")
        if info.flag_bits & 0x1:
            raise FileRejectedError(
                f"{name}: '{member}' is password-protected; pack it without a password"
            )
        total += info.file_size
        if total > limits.max_unpacked_bytes:
            raise FileRejectedError(
                f"{name} would unpack to more than {limits.max_unpacked_bytes / MIB:,.0f} MB "
                "(a possible zip bomb); import smaller files"
            )
        if info.file_size >= _RATIO_CHECK_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise FileRejectedError(
                    f"{name}: '{member}' unpacks {ratio:,.0f} times its packed size (more "
                    f"than {limits.max_compression_ratio:,.0f}), the mark of a zip bomb; "
                    "it was not unpacked"
                )
    return infos


def _check_member_path(name: str, member: str) -> None:
    unsafe = (
        member.startswith(("/", "\\"))
        or re.match(r"^[A-Za-z]:", member) is not None
        or ".." in re.split(r"[\\/]", member)
    )
    if unsafe:
        raise FileRejectedError(
            f"{name}: the archive member '{member}' has an absolute path or climbs out of "
            "the archive with '..'; such archives are refused"
        )


def _is_noise(member: str) -> bool:
    return member.endswith("/") or any(part in member for part in _ZIP_NOISE)


def _unpack(data: bytes, name: str, limits: ImportLimits) -> dict[str, bytes]:
    """Unpack the data members of a checked archive (folders and OS clutter skipped)."""
    infos = check_zip(data, name, limits)
    members: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in infos:
            if _is_noise(info.filename):
                continue
            if info.filename.lower().endswith(_ARCHIVE_SUFFIXES):
                raise FileRejectedError(
                    f"{name}: '{info.filename}' is an archive inside the archive; unpack it "
                    "and import its files directly"
                )
            try:
                with archive.open(info) as handle:
                    members[info.filename] = handle.read(info.file_size + 1)
            except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
                raise FileRejectedError(
                    f"{name}: '{info.filename}' cannot be unpacked ({exc})"
                ) from exc
    return members


def _folder_members(folder: Path, limits: ImportLimits) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    total = 0
    for path in sorted(folder.iterdir()):
        kind = KNOWN_SUFFIXES.get(path.suffix.lower())
        if not path.is_file() or (kind is None and path.suffix.lower() not in SHAPEFILE_PARTS):
            continue
        total += path.stat().st_size
        if total > limits.max_unpacked_bytes:
            raise FileRejectedError(
                f"{folder}: the files add up to more than "
                f"{limits.max_unpacked_bytes / MIB:,.0f} MB; import fewer files at a time"
            )
        members[path.name] = path.read_bytes()
    return members


# -- dispatch --------------------------------------------------------------------------


def _read_kind(
    name: str, kind: FileKind, data: bytes, limits: ImportLimits
) -> tuple[RawTable, ...]:
    if kind == "csv":
        return (read_csv_bytes(data, name),)
    if kind == "jsonl":
        return (read_jsonl_bytes(data, name),)
    if kind == "xlsx":
        check_zip(data, name, limits)
        return (read_xlsx_bytes(data, name),)
    if kind == "geojson" and name.lower().endswith(".json"):
        tables = read_json_table_bytes(data, name, limits)
        if tables is not None:
            return tables
    if kind in ("geojson", "gpkg"):
        with tempfile.TemporaryDirectory(prefix="psp-import-") as folder:
            path = Path(folder) / ("data" + Path(name).suffix.lower())
            path.write_bytes(data)
            return _read_gis(path, name)
    members = _unpack(data, name, limits)
    return _tables_of_members(name, members, limits)


def _read_members_as_zip(
    name: str, members: Mapping[str, bytes], limits: ImportLimits
) -> SourceFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    tables = _tables_of_members(name, dict(members), limits)
    kind: FileKind = "shapefile" if name.lower().endswith(".shp") else "zip"
    return SourceFile(name, kind, len(data), digest, tables)


def _tables_of_members(
    name: str, members: Mapping[str, bytes], limits: ImportLimits
) -> tuple[RawTable, ...]:
    """Read every data file of an archive: shapefile sets, GIS files, CSV and Excel."""
    tables: list[RawTable] = []
    stems: dict[str, dict[str, bytes]] = {}
    others: list[tuple[str, bytes]] = []
    for member, content in members.items():
        path = PurePosixPath(member.replace("\\", "/"))
        suffix = path.suffix.lower()
        if suffix in SHAPEFILE_PARTS:
            stems.setdefault(str(path.with_suffix("")), {})[suffix] = content
        elif suffix in KNOWN_SUFFIXES and suffix != ".zip":
            others.append((member, content))
    if stems:
        with tempfile.TemporaryDirectory(prefix="psp-import-") as folder:
            for stem, parts in sorted(stems.items()):
                label = f"{name} › {PurePosixPath(stem).name}.shp"
                missing = [p for p in (".shp", ".shx", ".dbf") if p not in parts]
                if ".shp" not in parts:
                    continue
                if missing:
                    raise FileRejectedError(
                        f"{label}: the shapefile lacks its {', '.join(missing)} file(s); "
                        "put all parts (.shp, .shx, .dbf, .prj) in the archive"
                    )
                base = Path(folder) / f"{len(tables)}_{PurePosixPath(stem).name}"
                for suffix, content in parts.items():
                    base.with_suffix(suffix).write_bytes(content)
                tables += _read_gis(base.with_suffix(".shp"), label, single_label=True)
    for member, content in others:
        label = f"{name} › {PurePosixPath(member).name}"
        kind = file_kind(member)
        _check_magic(label, kind, content)
        for table in _read_kind(label, kind, content, limits):
            tables.append(table)
    if not tables:
        known = ", ".join(sorted(set(KNOWN_SUFFIXES) - {".zip"}))
        raise FileRejectedError(
            f"{name} holds no file that can be imported (looked for {known} and shapefiles)"
        )
    return tuple(tables)


# -- text ------------------------------------------------------------------------------


def decode_text(data: bytes, name: str = "the file") -> tuple[str, TextEncoding]:
    """Decode a text file strictly; see the module docstring for the order tried.

    Returns
    -------
    text, encoding
        The text (without a byte-order mark) and how it was decoded.

    Raises
    ------
    InputError
        When the file (called ``name`` in the message) starts with a UTF-16 byte-order
        mark but is not valid UTF-16.
    """
    for bom, utf16 in ((_UTF16_LE_BOM, UTF16_LE), (_UTF16_BE_BOM, UTF16_BE)):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(utf16.codec), utf16
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{name} starts with a UTF-16 byte-order mark but is not valid UTF-16 text "
                    f"({exc.reason} at byte {exc.start + len(bom):,}); save it again as "
                    "'CSV UTF-8 (Comma delimited)' and import it again"
                ) from exc
    if data.startswith(_UTF8_BOM):
        try:
            return data[len(_UTF8_BOM) :].decode("utf-8"), UTF8_BOM
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), UTF8
    except UnicodeDecodeError:
        pass
    return _decode_windows(data)


def _decode_windows(data: bytes) -> tuple[str, TextEncoding]:
    try:
        western: str | None = data.decode("cp1252")
    except UnicodeDecodeError:
        # Five bytes are undefined in Windows-1252 (0x81 0x8D 0x8F 0x90 0x9D) but are
        # letters in Windows-1256.
        western = None
    arabic = data.decode("cp1256")
    if western is None or _arabic_score(data) > 0:
        return arabic, CP1256
    return western, CP1252


def _arabic_score(data: bytes) -> int:
    """Positive when high bytes read as Arabic words rather than Western accents.

    Counts high bytes (0xC0-0xFF, letters in both code pages) next to another high byte
    (an Arabic word) against those between ASCII letters (an accented Latin word).
    """
    high = np.frombuffer(data, dtype=np.uint8)
    if not len(high):
        return 0
    is_high = high >= 0xC0
    is_ascii_letter = ((high >= 0x41) & (high <= 0x5A)) | ((high >= 0x61) & (high <= 0x7A))
    before = np.concatenate([[False], is_high[:-1]])
    after = np.concatenate([is_high[1:], [False]])
    letter_before = np.concatenate([[False], is_ascii_letter[:-1]])
    letter_after = np.concatenate([is_ascii_letter[1:], [False]])
    in_run = is_high & (before | after)
    latin = is_high & ~(before | after) & (letter_before | letter_after)
    return int(in_run.sum()) - int(latin.sum())


def _sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv_bytes(data: bytes, name: str) -> RawTable:
    """Read a delimited text file (CSV, semicolon-separated or TSV) into a :class:`RawTable`.

    A value longer than :data:`MAX_FIELD_CHARS` characters is an error of its row (the
    other rows are kept), saying how long it is and what the limit is.

    Raises
    ------
    InputError
        When the file has no header row or its quoting is broken (an opening quote that
        never closes), naming the row where the broken value starts.
    """
    text, encoding = decode_text(data, name)
    delimiter = _sniff_delimiter(text)
    # Lifted so that a long value is measured (below) rather than stopping the reader with
    # an error that reads like broken quoting; the same value for every caller.
    csv.field_size_limit(_CSV_MODULE_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
    except csv.Error as exc:
        raise InputError(
            f"{name}, row {len(records) + 1}: the file cannot be read as CSV ({exc}); a value "
            'probably opens a quote (") that never closes, or has text after its closing '
            "quote: check the quotes of that row and the rows below"
        ) from exc
    notes = [f"read as text encoded in {encoding.label}"]
    if delimiter != ",":
        notes.append("values separated by " + ("semicolons" if delimiter == ";" else "tabs"))
    issues = _long_values(records) if len(text) > MAX_FIELD_CHARS else []
    numbers = list(range(1, len(records) + 1))
    return _table_from_records(name, records, numbers, encoding, notes, issues)


class JsonProblem(Exception):
    """Why a text from a file is not JSON the product reads (:func:`parse_json`).

    ``key`` is the key an object names twice, else ``None``.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def parse_json(text: str) -> object:
    """Return the JSON value of ``text``, a text from a file; objects may not repeat a key.

    Raises
    ------
    JsonProblem
        With a short reason: not JSON (and where), nested too deep for the parser, a
        number too long to read, or a key named twice (``json.loads`` would keep the last
        silently). The caller names the file and the row.
    """
    import json

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        seen: dict[str, object] = {}
        for key, cell in items:
            if key in seen:
                raise JsonProblem(f"an object names '{_shorten(key)}' twice; keep one value", key)
            seen[key] = cell
        return seen

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"not JSON ({exc.msg} at character {exc.colno})") from exc
    except RecursionError as exc:
        raise JsonProblem("not JSON the planner reads: lists or objects nested too deep") from exc
    except ValueError as exc:  # int(): more than sys.get_int_max_str_digits() digits
        raise JsonProblem("not JSON the planner reads: a number too long to read") from exc


def read_jsonl_bytes(data: bytes, name: str) -> RawTable:
    """Read JSON lines (one JSON object per line, as field reporting systems send them).

    Each non-blank line is a row (its row number is its line number); the columns are
    the objects' keys in the order first met, values their text (``null`` and a missing
    key are blank). Decoded as text files are (:func:`decode_text`).

    Raises
    ------
    InputError
        When a line is not a JSON object of plain values, naming the line and the fix.
    """
    text, encoding = decode_text(data, name)
    header: dict[str, None] = {}
    rows: list[tuple[int, dict[str, object]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = parse_json(line)
        except JsonProblem as exc:
            if exc.key is not None:
                raise InputError(
                    f"{name}, row {number}, column '{_shorten(exc.key)}': the object names the "
                    "column twice; keep one value"
                ) from exc
            raise InputError(
                f"{name}, row {number}: {exc}; each line must hold one JSON object of plain "
                'values such as {"kind": "unit_back"}'
            ) from exc
        if not isinstance(value, dict):
            raise InputError(
                f"{name}, row {number}: the line holds a JSON {type(value).__name__}, not an "
                "object; write one object of column: value pairs per line"
            )
        for key, cell in value.items():
            if isinstance(cell, dict | list):
                raise InputError(
                    f"{name}, row {number}, column '{_shorten(str(key))}': the value is a "
                    "nested JSON object or list; give a plain text or number"
                )
            header.setdefault(str(key), None)
        rows.append((number, value))
    columns = list(header)
    records = [columns] + [[_cell_text(row.get(c)) for c in columns] for _, row in rows]
    numbers = [0] + [number for number, _ in rows]
    notes = [f"read as JSON lines encoded in {encoding.label}"]
    return _table_from_records(name, records, numbers, encoding, notes)


#: Levels of nested objects a JSON table's record may have (``a.b.c`` is three).
MAX_JSON_DEPTH = 8
#: Most columns (dotted field names) a JSON table may have.
MAX_JSON_COLUMNS = 1_000
_GEOJSON_TYPES = frozenset(
    (
        "FeatureCollection",
        "Feature",
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    )
)


class _JsonObject(dict[str, object]):
    """A parsed JSON object that remembers the keys it named twice."""

    twice: tuple[str, ...] = ()


def _json_object(items: list[tuple[str, object]]) -> _JsonObject:
    obj = _JsonObject()
    twice: list[str] = []
    for key, value in items:
        if key in obj:
            twice.append(key)
        obj[key] = value
    obj.twice = tuple(twice)
    return obj


def _is_records(value: object) -> bool:
    # Most of its items are objects: a few stray values are reported, not a reason to skip.
    if not isinstance(value, list) or not value:
        return False
    return 2 * sum(isinstance(v, dict) for v in value) >= len(value)


def read_json_table_bytes(
    data: bytes, name: str, limits: ImportLimits | None = None
) -> tuple[RawTable, ...] | None:
    """Read a JSON table: an array of records, or an object holding arrays of records.

    Returns ``None`` for GeoJSON (an object whose ``type`` is ``FeatureCollection``,
    ``Feature`` or a geometry), which is read as a GIS layer. An object holding arrays of
    records (values of its top-level keys) gives one table per key, named ``file › key``
    (its :attr:`RawTable.json_key`). Nested objects are flattened to dotted names
    (``location.lat``), up to :data:`MAX_JSON_DEPTH` levels; a list is kept as its JSON
    text. Rows are numbered by record (the first record is row 1).

    Raises
    ------
    InputError
        When the file is not JSON, nests too deeply to be read, holds no array of records
        (naming what it holds), or more records than :attr:`ImportLimits.max_records`.
    """
    import json

    limits = limits or ImportLimits()
    text, encoding = decode_text(data, name)
    try:
        value = json.loads(text, object_pairs_hook=_json_object)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}: not JSON ({exc.msg} at line {exc.lineno}, character {exc.colno}); a "
            'JSON table is an array of records such as [{"centre_id": "01002", …}, …]'
        ) from exc
    except RecursionError as exc:
        raise InputError(
            f"{name}: the JSON nests objects or arrays too deeply to be read; a JSON table "
            f"is an array of records with at most {MAX_JSON_DEPTH} levels of nested fields"
        ) from exc
    if isinstance(value, dict) and value.get("type") in _GEOJSON_TYPES:
        return None
    example = 'such as [{"id": "110", "location": {"lat": 32.9, "lon": 13.2}}, …]'
    if isinstance(value, list):
        if not value:
            raise InputError(f"{name}: the JSON array is empty; it holds no records to import")
        if not any(isinstance(v, dict) for v in value):
            what = type(value[0]).__name__.replace("str", "text").replace("int", "number")
            raise InputError(
                f"{name}: the JSON array holds values ({what}), not records; a JSON table "
                f"is an array of objects {example}"
            )
        return (_json_records_table(name, value, encoding, limits, None),)
    if not isinstance(value, dict):
        raise InputError(
            f"{name}: the JSON holds a single value, not records; a JSON table is an array "
            f"of objects {example}"
        )
    keys = [str(k) for k, v in value.items() if _is_records(v)]
    if not keys:
        held = ", ".join(f"'{_shorten(str(k))}'" for k in list(value)[:8]) or "nothing"
        raise InputError(
            f"{name}: the JSON object holds no array of records (its keys: {held}); a JSON "
            f"table is an array of objects {example}, or an object holding one under a key "
            'such as "municipalities"'
        )
    return tuple(
        _json_records_table(f"{name} › {key}", value[key], encoding, limits, key) for key in keys
    )


def _json_records_table(
    name: str,
    items: list[object],
    encoding: TextEncoding,
    limits: ImportLimits,
    key: str | None,
) -> RawTable:
    import json

    where = f"the array under key '{_shorten(key)}'" if key is not None else "the array"
    if len(items) > limits.max_records:
        raise InputError(
            f"{name}: {where} holds {len(items):,} records, more than the limit of "
            f"{limits.max_records:,}; split the file"
        )
    header: dict[str, int] = {}
    flat_records: list[tuple[int, dict[str, str]]] = []
    pending: list[tuple[int, str, str]] = []  # record, field, message
    not_records: list[int] = []

    def flatten(
        obj: dict[str, object], prefix: str, depth: int, number: int, out: dict[str, str]
    ) -> None:
        for field_name in getattr(obj, "twice", ()):
            pending.append(
                (number, prefix + field_name, "the record names the field twice; keep one value")
            )
        for raw_key, cell in obj.items():
            dotted = prefix + str(raw_key)
            if isinstance(cell, dict) and cell:
                if depth >= MAX_JSON_DEPTH:
                    out[dotted] = json.dumps(cell, ensure_ascii=False)[:200]
                    pending.append(
                        (
                            number,
                            dotted,
                            f"the field nests objects deeper than {MAX_JSON_DEPTH} levels; "
                            "give it fewer levels",
                        )
                    )
                    continue
                flatten(cell, dotted + ".", depth + 1, number, out)
            elif isinstance(cell, dict | list):
                out[dotted] = json.dumps(cell, ensure_ascii=False) if cell else ""
            else:
                out[dotted] = _cell_text(cell)

    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            not_records.append(number)
            continue
        out: dict[str, str] = {}
        flatten(item, "", 1, number, out)
        for dotted in out:
            if dotted not in header:
                if len(header) >= MAX_JSON_COLUMNS:
                    raise InputError(
                        f"{name}, record {number}: more than {MAX_JSON_COLUMNS:,} different "
                        "fields; a JSON table has one field per column"
                    )
                header[dotted] = len(header)
        flat_records.append((number, out))
    # A field that is null where other records nest it (``"location": null`` beside
    # ``location.lat``) is no column of its own.
    columns = [
        c
        for c in header
        if not (
            any(other.startswith(c + ".") for other in header)
            and not any(row.get(c) for _, row in flat_records)
        )
    ]
    header = {c: i for i, c in enumerate(columns)}
    records = [columns] + [[row.get(c, "") for c in columns] for _, row in flat_records]
    numbers = [0] + [number for number, _ in flat_records]
    position = {number: i + 1 for i, (number, _) in enumerate(flat_records)}
    issues = [
        _CellIssue(position[number], header[dotted], message)
        for number, dotted, message in pending
        if dotted in header
    ]
    read_as = f"read as a JSON table (records under key '{key}')" if key else "read as a JSON table"
    notes = [f"{read_as} encoded in {encoding.label}; nested fields are named with dots"]
    table = _table_from_records(name, records, numbers, encoding, notes, issues)
    if not_records:
        warning = Problem(
            name,
            None,
            None,
            f"{where}: {'record' if len(not_records) == 1 else 'records'} "
            f"{describe_rows(not_records)} {'is' if len(not_records) == 1 else 'are'} not JSON "
            "objects and were left out; write each record as an object of field: value pairs",
            "warning",
        )
        table = replace(table, problems=(*table.problems, warning))
    return replace(table, json_key=key)


@dataclass(frozen=True)
class _CellIssue:
    """A value that rejects its row: where it is in the parsed records and why.

    ``cell`` names the place for spreadsheets (``cell B3 of sheet 'centres'``) and is
    empty for CSV, whose problems carry row and column instead.
    """

    record: int
    column: int
    message: str
    cell: str = ""


def _long_values(records: Sequence[Sequence[str]]) -> list[_CellIssue]:
    issues: list[_CellIssue] = []
    for i, record in enumerate(records):
        if max(map(len, record), default=0) <= MAX_FIELD_CHARS:
            continue
        for j, value in enumerate(record):
            if len(value) <= MAX_FIELD_CHARS:
                continue
            message = (
                f"a value of {len(value):,} characters exceeds the limit of "
                f"{MAX_FIELD_CHARS:,} characters per value; shorten it (for a detailed "
                "geometry, import a GeoJSON, GeoPackage or zipped shapefile instead of WKT)"
            )
            if "\n" in value or "\r" in value:
                message += (
                    '. If it is not meant to be this long, look for a quote (") that opens the '
                    "value too early: the value runs to the next quote, many lines below"
                )
            issues.append(_CellIssue(i, j, message))
    return issues


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def read_xlsx_bytes(data: bytes, name: str) -> RawTable:
    """Read the first non-empty sheet of an Excel workbook into a :class:`RawTable`.

    Dates stored as dates become ``YYYY-MM-DD`` (with the time when there is one); whole
    numbers lose their ``.0``. Other sheets are named in the notes.

    A **formula cell** is never read as its value: the result a workbook stores beside a
    formula may be stale, and tools that never calculate store none (read as blank) or 0,
    which would import names "0" and counts of 0 without a word. In a data row the
    formula is an error of that row, naming the cell and the sheet (``cell C14 of sheet
    'centres'``): the row is rejected with that reason, the rows typed as values are kept,
    as for any other bad value (one wrong cell does not cost the user the whole file), and
    the rejected rows can be downloaded with the formula text. In the header row (or an
    HXL hashtag row under it), which names every column, a formula refuses the sheet.

    Raises
    ------
    InputError
        When the workbook cannot be opened, every sheet is empty, or a column name is a
        formula.
    """
    import openpyxl  # imported here: only Excel uploads need it
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # data_only=False: formula cells come as formulas (data type "f"), not as the
        # result the file may or may not have stored.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(
            f"{name} cannot be opened as an Excel workbook ({exc}); save it again as .xlsx "
            "or as CSV UTF-8"
        ) from exc
    try:
        for sheet in workbook.worksheets:
            records: list[list[str]] = []
            numbers: list[int] = []
            issues: list[_CellIssue] = []
            for number, row in enumerate(sheet.iter_rows(), start=1):
                values: list[str] = []
                for j, cell in enumerate(row):
                    if cell.data_type != "f":
                        values.append(_cell_text(cell.value))
                        continue
                    # An array formula's value is an object holding the formula text.
                    formula = str(getattr(cell.value, "text", cell.value) or "")
                    values.append(formula)
                    issues.append(
                        _CellIssue(
                            len(records),
                            j,
                            f"holds a formula ({_shorten(formula, 60)}), not a value; the "
                            "importer reads typed values only. In Excel select the cells, "
                            "copy them and use Paste Special › Values (or save a copy as "
                            "CSV UTF-8), then import again",
                            cell=f"cell {get_column_letter(j + 1)}{number} of sheet "
                            f"'{sheet.title}'",
                        )
                    )
                records.append(values)
                numbers.append(number)
            if any(any(cell.strip() for cell in record) for record in records):
                others = [s.title for s in workbook.worksheets if s.title != sheet.title]
                notes = [f"read sheet '{sheet.title}'"]
                if others:
                    notes.append(f"other sheets not read: {', '.join(others)}")
                label = name if len(workbook.worksheets) == 1 else f"{name} › {sheet.title}"
                return _table_from_records(label, records, numbers, None, notes, issues)
    finally:
        workbook.close()
    raise InputError(f"{name}: every sheet of the workbook is empty; fill in the first sheet")


def _is_hxl_row(values: Sequence[str]) -> bool:
    filled = [v.strip() for v in values if v.strip()]
    tags = [v for v in filled if _HXL_TAG.match(v)]
    return len(tags) >= 2 and len(tags) * 2 >= len(filled)


def _table_from_records(
    name: str,
    records: list[list[str]],
    numbers: list[int],
    encoding: TextEncoding | None,
    notes: list[str],
    issues: Sequence[_CellIssue] = (),
) -> RawTable:
    """Build a table from parsed records: header, HXL row, blank and ragged rows.

    ``issues`` are values that reject their row; one in the header (or HXL) row refuses
    the table.
    """
    problems: list[Problem] = []
    start = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if start is None:
        raise InputError(f"{name} is empty: it has no header row; add one (see the templates)")
    header = [c.strip().lstrip("\ufeff") for c in records[start]]
    body = records[start + 1 :]
    body_numbers = numbers[start + 1 :]
    header_end = start
    hxl_tags: list[str] | None = None
    if _is_hxl_row(header):
        hxl_tags = list(header)
        notes.append("the header row holds HXL hashtags")
    elif body and _is_hxl_row(body[0]):
        hxl_tags = [c.strip() for c in body[0]]
        notes.append(f"row {body_numbers[0]} holds HXL hashtags; read as tags, not data")
        body, body_numbers = body[1:], body_numbers[1:]
        header_end = start + 1
    for issue in issues:
        if issue.record <= header_end:
            role = "the header row" if issue.record == start else "the HXL hashtag row"
            if issue.cell:
                raise InputError(f"{name}: {issue.cell} ({role}) {issue.message}")
            raise InputError(
                f"{name}, row {numbers[issue.record]} ({role}), column {issue.column + 1}: "
                f"{issue.message}"
            )
    width = max([len(header), *(len(r) for r in body)])
    header += [""] * (width - len(header))
    if hxl_tags is not None:
        hxl_tags += [""] * (width - len(hxl_tags))
    blank = np.array([not any(c.strip() for c in r) for r in body], dtype=bool)
    body = [r for r, is_blank in zip(body, blank, strict=True) if not is_blank]
    row_numbers = np.asarray(body_numbers, dtype=np.int64)[~blank]
    padded = [r + [""] * (width - len(r)) if len(r) < width else r for r in body]
    columns_values: list[tuple[str, ...]] = (
        list(zip(*padded, strict=True)) if padded else [() for _ in range(width)]
    )
    keep: list[int] = []
    dropped = 0
    ragged: dict[int, int] = {}
    for i in range(width):
        if not header[i] and hxl_tags and hxl_tags[i]:
            header[i] = hxl_tags[i]
        if header[i]:
            keep.append(i)
            continue
        filled = [j for j, v in enumerate(columns_values[i]) if v.strip()]
        if not filled:
            dropped += 1
        elif 2 * len(filled) >= len(padded):
            header[i] = f"column_{i + 1}"
            keep.append(i)
            problems.append(
                Problem(
                    name,
                    None,
                    header[i],
                    f"column {i + 1} has values but no name in the header; it was read as "
                    f"'{header[i]}': give it a name",
                    "warning",
                )
            )
        else:
            for j in filled:
                ragged.setdefault(j, i)
    if dropped:
        notes.append(f"{dropped} empty column(s) without a name left out")
    for j, i in sorted(ragged.items()):
        problems.append(
            Problem(
                name,
                int(row_numbers[j]),
                None,
                f"the row has a value ('{_shorten(padded[j][i])}') in column {i + 1}, which "
                "has no name in the header; a value probably contains an unquoted delimiter: "
                "put that value in double quotes",
            )
        )
    names = _unique_names([header[i] for i in keep], name, problems)
    name_of = dict(zip(keep, names, strict=True))
    for issue in issues:
        problems.append(
            Problem(
                name,
                int(numbers[issue.record]),
                name_of.get(issue.column),
                f"{issue.cell} {issue.message}" if issue.cell else issue.message,
            )
        )
    frame = pd.DataFrame(
        {n: pd.Series(columns_values[i], dtype="str") for n, i in zip(names, keep, strict=True)},
        index=pd.RangeIndex(len(padded)),
    )
    return RawTable(
        name=name,
        frame=frame,
        row_numbers=row_numbers,
        encoding=encoding,
        hxl_tags=tuple(hxl_tags[i] for i in keep) if hxl_tags else None,
        problems=tuple(problems),
        notes=tuple(notes),
    )


def _shorten(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unique_names(names: Iterable[str], table: str, problems: list[Problem]) -> list[str]:
    seen: dict[str, int] = {}
    out: list[str] = []
    for column in names:
        if column in seen:
            seen[column] += 1
            renamed = f"{column}.{seen[column]}"
            problems.append(
                Problem(
                    table,
                    None,
                    column,
                    f"the header names '{column}' twice; the second one was read as "
                    f"'{renamed}': rename one of them",
                    "warning",
                )
            )
            out.append(renamed)
        else:
            seen[column] = 1
            out.append(column)
    return out


# -- GIS -------------------------------------------------------------------------------


def _read_gis(path: Path, name: str, *, single_label: bool = False) -> tuple[RawTable, ...]:
    try:
        layers = pyogrio.list_layers(path)
    except (DataSourceError, DataLayerError) as exc:
        raise InputError(f"{name} cannot be read as a GIS file ({exc})") from exc
    tables: list[RawTable] = []
    for layer_name, _geometry_type in layers:
        label = name if single_label or len(layers) == 1 else f"{name} › {layer_name}"
        try:
            frame = pyogrio.read_dataframe(path, layer=layer_name)
        except (DataSourceError, DataLayerError) as exc:
            raise InputError(f"{label} cannot be read ({exc})") from exc
        tables.append(_table_from_gis(label, frame))
    return tuple(tables)


def _gis_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        text = values.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_float_dtype(values):
        text = values.map(lambda v: "" if pd.isna(v) else _cell_text(float(v)))
    else:
        text = values.map(
            lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else _cell_text(v)
        )
    return text.fillna("").astype("str")


def _table_from_gis(name: str, frame: pd.DataFrame) -> RawTable:
    geometry: gpd.GeoSeries | None = None
    attributes = pd.DataFrame(frame)
    if isinstance(frame, gpd.GeoDataFrame):
        geometry = frame.geometry.reset_index(drop=True)
        attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    text = pd.DataFrame(
        {str(c): _gis_text(attributes[c]).to_numpy() for c in attributes.columns},
        index=pd.RangeIndex(len(attributes)),
    )
    numbers = np.arange(1, len(text) + 1, dtype=np.int64)
    notes = [f"{len(text):,} feature(s)"]
    return RawTable(name, text, numbers, row_label="feature", geometry=geometry, notes=tuple(notes))


# -- columns of format-specific exports ------------------------------------------------


def header_lookup(columns: Iterable[str]) -> dict[str, str]:
    """Map each header, stripped and lower-cased, to its spelling in the file."""
    return {c.strip().lower(): c for c in columns}


def column_or_blank(table: RawTable, lookup: Mapping[str, str], name: str) -> pd.Series:
    """Return the column ``lookup`` finds for ``name``, or blank text when there is none."""
    source = lookup.get(name)
    if source is None:
        return pd.Series("", index=table.frame.index, dtype="str")
    return table.frame[source]


def not_a_format(table: RawTable, what: str, signature: Sequence[str]) -> InputError:
    """Return the error for a table that lacks the ``signature`` columns of ``what``."""
    lower = header_lookup(table.columns)
    missing = [c for c in signature if c not in lower]
    return InputError(
        f"{table.name} is not {what}: it lacks {', '.join(missing)}; "
        "choose the generic format and map the columns instead"
    )


# -- writing ---------------------------------------------------------------------------


def iter_row_ranges(rows: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Yield (first, last) of each run of consecutive numbers in sorted ``rows``."""
    ordered = sorted(set(rows))
    if not ordered:
        return
    start = prev = ordered[0]
    for number in ordered[1:]:
        if number == prev + 1:
            prev = number
            continue
        yield start, prev
        start = prev = number
    yield start, prev


def describe_rows(rows: Iterable[int], *, limit: int = 8) -> str:
    """Write row numbers compactly: ``2-7, 9, 12-15`` (at most ``limit`` runs, then "…")."""
    runs = list(iter_row_ranges(rows))
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in runs[:limit]]
    if len(runs) > limit:
        parts.append("…")
    return ", ".join(parts)


# -- dates -----------------------------------------------------------------------------

#: Excel's day zero for serial dates (1900 date system, with its 1900 leap-year bug).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SLASHED = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_NAMED_MONTH = re.compile(r"^\d{1,2}[ -][A-Za-z]{3,9}\.?[ -]\d{2,4}$")
_SERIAL = re.compile(r"^\d{4,5}(?:\.\d+)?$")
#: Excel serials accepted as dates: 1954-10-03 (20000) to 2119-01-13 (80000).
SERIAL_RANGE = (20_000, 80_000)

DateOrder = Literal["day-first", "month-first"]


@dataclass(frozen=True)
class ParsedDates:
    """Dates read from text, with what could not be read and how the rest were read.

    ``values`` are ``datetime64`` (NaT where blank or unreadable); ``bad`` marks non-blank
    values that are not dates; ``styles`` counts the values per written style
    (``"YYYY-MM-DD"``, ``"DD/MM/YYYY"``, ``"16 May 2025"``, ``"Excel serial"``); ``order``
    says how slashed dates were read.
    """

    values: pd.Series
    bad: NDArray[np.bool_]
    styles: Mapping[str, int]
    order: DateOrder = "day-first"


def parse_dates(text: pd.Series) -> ParsedDates:
    """Read dates written as ``YYYY-MM-DD``, ``DD/MM/YYYY``, ``16 May 2025`` or Excel serials.

    Slashed dates are read day first (as in Libya, and in ACLED's older files) unless some
    value can only be month first (``05/16/2025``) and none only day first, in which case
    all are read month first. Two-digit years in ``16 May 25`` are read as 20YY.

    Parameters
    ----------
    text
        Values as text (blank as ``""`` or missing).

    Returns
    -------
    ParsedDates
        Dates and what could not be read, positionally aligned with ``text``.
    """
    values = text.astype("string").fillna("").str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ms]")
    styles: dict[str, int] = {}
    iso = values.str.match(_ISO_DATE).fillna(False).to_numpy(dtype=bool)
    if iso.any():
        out[iso] = pd.to_datetime(values[iso], errors="coerce", format="ISO8601")
        styles["YYYY-MM-DD"] = int(iso.sum())
    parts = values.str.extract(_SLASHED)
    slashed = parts[0].notna().to_numpy(dtype=bool)
    order: DateOrder = "day-first"
    if slashed.any():
        first = pd.to_numeric(parts.loc[slashed, 0])
        second = pd.to_numeric(parts.loc[slashed, 1])
        if bool((second > 12).any()) and not bool((first > 12).any()):
            order = "month-first"
        day, month = (first, second) if order == "day-first" else (second, first)
        frame = pd.DataFrame(
            {"year": pd.to_numeric(parts.loc[slashed, 2]), "month": month, "day": day}
        )
        out[slashed] = pd.to_datetime(frame, errors="coerce")
        styles["DD/MM/YYYY" if order == "day-first" else "MM/DD/YYYY"] = int(slashed.sum())
    named = values.str.match(_NAMED_MONTH).fillna(False).to_numpy(dtype=bool)
    if named.any():
        cleaned = (
            values[named].str.replace(r"[-.]", " ", regex=True).str.replace(r"\s+", " ", regex=True)
        )
        parsed = pd.Series(pd.NaT, index=cleaned.index, dtype="datetime64[ms]")
        for style in ("%d %B %Y", "%d %b %Y", "%d %B %y", "%d %b %y"):
            missing = parsed.isna()
            if not missing.any():
                break
            parsed[missing] = pd.to_datetime(cleaned[missing], format=style, errors="coerce")
        out[named] = parsed
        styles["16 May 2025"] = int(named.sum())
    serial = values.str.match(_SERIAL).fillna(False).to_numpy(dtype=bool) & ~iso
    if serial.any():
        numbers = pd.to_numeric(values[serial], errors="coerce")
        usable = numbers.between(*SERIAL_RANGE)
        days = pd.to_timedelta(numbers.where(usable).floordiv(1), unit="D")
        out[serial] = EXCEL_EPOCH + days
        styles["Excel serial"] = int(usable.sum())
    blank = (values == "").to_numpy(dtype=bool)
    bad = ~blank & out.isna().to_numpy(dtype=bool)
    return ParsedDates(out.reset_index(drop=True), bad, styles, order)
