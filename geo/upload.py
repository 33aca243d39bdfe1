"""A user's own file of clusters or projects, read into the records frame's columns but kept apart
from the cited records (docs/your-data.md).

`read_upload(filename, data)` reads a CSV, GeoJSON, GeoPackage or XLSX file, checks every row with
the seed loader's rules (geo.seeds: formula-like text, years, points in Mexico; geo.names for
states, geo.sectors for sectors) and returns an `Upload`: the rows that pass, in the records
frame's columns with `source` = "Your file <name>, row N", and one message per bad row. A problem
with the whole file (format, encoding, size, no rows, missing columns) raises one `UploadError`.

Rows are numbered as a spreadsheet shows them (the header is row 1, so the first data row is row
2); GeoJSON and GeoPackage rows are features, numbered from 1.
"""

import csv
import hashlib
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import shapely

from geo import boundaries, names, schema, seeds
from geo.sectors import SECTORS, UnknownSectorError, map_raw_label, resolve_sectors

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
COLUMNS = schema.UPLOAD_FILE.names
# Other headers people write for the same columns (matched case-insensitively, like the columns).
ALIASES = {"latitude": "lat", "longitude": "lon", "lng": "lon", "long": "lon", "type": "kind", "estado": "state",
           "nombre": "name", "sector raw": "sector_raw", "city": "place", "ciudad": "place"}  # fmt: skip
SOURCE_PREFIX = "Your file"
ID_PREFIX = "upload-"
DEFAULT_YEAR_BASIS = "reported"
_TEXT = schema.UPLOAD_FILE.text_columns
_MAX_NAME = 60  # characters of the file's name kept for labels and citations


class UploadError(ValueError):
    """The file as a whole cannot be used; the message says what is wrong and what is expected."""


@dataclass(frozen=True)
class Upload:
    """A read file: its display `name`, the rows that passed as a records frame, one message per
    bad row, how many rows the file had, notices about the file, and a digest of its bytes."""

    name: str
    records: gpd.GeoDataFrame
    problems: tuple[str, ...]
    rows: int
    notices: tuple[str, ...]
    digest: str


def read_upload(filename: str, data: bytes) -> Upload:
    """The checked rows of the file `filename` holding `data`; UploadError for a whole-file problem."""
    name = display_name(filename)
    if len(data) > MAX_BYTES:
        raise UploadError(f"{name} is larger than {MAX_BYTES // 2**20} MB, the limit for your own data; split it, "
                          "or keep only the columns listed in docs/your-data.md")  # fmt: skip
    reader, row_word, first = _reader(name)
    table, notices = reader(name, data)
    table = _columns(name, table)
    if table.empty:
        raise UploadError(f"{name} has a header but no rows; add one row per cluster or project")
    if len(table) > MAX_ROWS:
        raise UploadError(f"{name} has {len(table):,} rows; files up to {MAX_ROWS:,} rows can be used (split it)")
    records, problems = _check_rows(name, table, row_word, first)
    return Upload(name=name, records=records, problems=tuple(problems), rows=len(table), notices=tuple(notices),
                  digest=hashlib.sha256(data).hexdigest()[:16])  # fmt: skip


def display_name(filename: str) -> str:
    """The file's base name with only letters, digits, spaces and `._-()` kept (it is shown in the
    layer control, popups and exports), at most _MAX_NAME characters."""
    base = re.split(r"[\\/]", str(filename))[-1]
    kept = " ".join(re.sub(r"[^\w .()-]", " ", base).split())[-_MAX_NAME:].strip(" .")
    return kept or "upload"


def template_csv() -> bytes:
    """A CSV with every column and three example rows (docs/your-data-template.csv)."""
    rows = [
        {"name": "Clúster Automotriz de Ejemplo", "kind": "cluster", "sector": "Automotive", "state": "Coahuila",
         "place": "Saltillo", "lon": "-101.0", "lat": "25.42", "year": "2015", "year_basis": "founded",
         "notes": "an example row: replace it"},
        {"name": "Example supplier park", "kind": "project", "sector_raw": "aeronautics", "state": "Querétaro",
         "project_type": "facility", "notes": "no lon/lat: placed at the state's representative point"},
        {"name": "Example software hub", "kind": "cluster", "sector": "ICT", "lon": "-103.35", "lat": "20.67",
         "place": "Guadalajara", "notes": "no state: found from the point"},
    ]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- reading


def _reader(name: str) -> tuple[Callable, str, int]:
    """The reader for the file's extension, the word for its rows, and the first row's number."""
    suffix = Path(name).suffix.casefold()
    if suffix == ".csv":
        return _read_csv, "row", 2
    if suffix == ".xlsx":
        return _read_xlsx, "row", 2
    if suffix in (".geojson", ".json"):
        return _read_geojson, "feature", 1
    if suffix == ".gpkg":
        return _read_gpkg, "feature", 1
    raise UploadError(f"{name}: unknown format {suffix or '(no extension)'}; use a .csv, .geojson, .json, .gpkg "
                      "or .xlsx file")  # fmt: skip


def _read_csv(name: str, data: bytes) -> tuple[pd.DataFrame, list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise UploadError(f"{name} is not UTF-8 text (line {line} has the byte {data[err.start]:#04x}); save it as "
                          "UTF-8 (in Excel: Save as, 'CSV UTF-8')") from None  # fmt: skip
    if not text.strip():
        raise UploadError(f"{name} is empty; expected a header line with the columns {', '.join(COLUMNS)}")
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","  # Excel writes ';' in some locales
    try:
        table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=True, nrows=MAX_ROWS + 1)  # fmt: skip
    except (pd.errors.ParserError, csv.Error) as err:
        raise UploadError(f"{name} is not well-formed CSV ({err}); put values holding commas or quotes in double "
                          'quotes and double the inner quotes ("")') from None  # fmt: skip
    return table, []


def _read_xlsx(name: str, data: bytes) -> tuple[pd.DataFrame, list[str]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise UploadError(f"{name} is not an Excel workbook that can be read ({err}); save it as .xlsx") from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            if len(rows) > MAX_ROWS + 1:  # the header and one row too many say enough
                break
            if any(v is not None and str(v).strip() for v in values):
                rows.append([_cell_text(v) for v in values])
        notices = [f"read the first sheet, '{sheet.title}'"] if len(workbook.worksheets) > 1 else []
    finally:
        workbook.close()
    if not rows:
        raise UploadError(f"{name}: the first sheet is empty; expected a header row with the columns "
                          f"{', '.join(COLUMNS)}")  # fmt: skip
    width = len(rows[0])
    return pd.DataFrame([(r + [""] * width)[:width] for r in rows[1:]], columns=rows[0], dtype=str), notices


def _cell_text(value) -> str:
    """A spreadsheet cell as the text a CSV would hold (2016.0 -> "2016")."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read_geojson(name: str, data: bytes) -> tuple[pd.DataFrame, list[str]]:
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UploadError(f"{name} is not UTF-8 JSON ({err}); expected a GeoJSON FeatureCollection") from None
    if not isinstance(parsed, dict) or parsed.get("type") != "FeatureCollection":
        raise UploadError(f"{name} is JSON but not a GeoJSON FeatureCollection of Point features")
    if len(parsed.get("features") or []) > MAX_ROWS:
        raise UploadError(f"{name} has {len(parsed['features']):,} features; files up to {MAX_ROWS:,} rows can be "
                          "used (split it)")  # fmt: skip
    return _read_vector(name, data, ".geojson", None)


def _read_gpkg(name: str, data: bytes) -> tuple[pd.DataFrame, list[str]]:
    if not data.startswith(b"SQLite format 3\0"):
        raise UploadError(f"{name} is not a GeoPackage (an SQLite file); export it again as .gpkg")
    return _read_vector(name, data, ".gpkg", 0)


def _read_vector(name: str, data: bytes, suffix: str, layer: int | None) -> tuple[pd.DataFrame, list[str]]:
    """Properties as text columns, each Point's lon/lat in `lon`/`lat`; GDAL reads real files only,
    so the bytes go to a temporary file that is deleted at once."""
    with tempfile.TemporaryDirectory(prefix="atlas-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            layers = [str(n) for n, _ in pyogrio.list_layers(path)]
            info = pyogrio.read_info(path, layer=layer)
            if info["features"] > MAX_ROWS:
                raise UploadError(f"{name} has {info['features']:,} features; files up to {MAX_ROWS:,} rows can be "
                                  "used (split it)")  # fmt: skip
            frame = pyogrio.read_dataframe(path, layer=layer)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
            raise UploadError(f"{name} cannot be read as {suffix.lstrip('.')} ({err})") from None
    others = ", ".join(layers[1:])
    notices = [f"read the first layer, '{layers[0]}' (the file also has: {others})"] if others else []
    if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs(4326)
    table = pd.DataFrame({c: frame[c].map(_cell_text) for c in frame.columns if c != "geometry"}, dtype=str)
    if isinstance(frame, gpd.GeoDataFrame):
        geoms = frame.geometry.to_numpy()
        points = ~pd.isna(geoms)
        points[points] = shapely.get_type_id(geoms[points]) == 0
        kinds = frame.geometry.geom_type.fillna("")
        table["_geometry"] = np.where(points | (kinds == ""), "", kinds)
        lower = {c.casefold(): c for c in table.columns}
        for axis, get in (("lon", shapely.get_x), ("lat", shapely.get_y)):
            column = lower.get(axis, axis)
            given = table[column] if column in table else pd.Series("", index=table.index)
            table[column] = np.where(points, [repr(float(v)) if v == v else "" for v in get(geoms)], given)
    return table.fillna(""), notices


def _columns(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """The documented columns (headers matched case-insensitively, ALIASES too), all text, "" when
    absent; UploadError naming the required columns the file lacks."""
    renamed = {}
    for column in table.columns:
        key = " ".join(str(column).replace("\ufeff", "").split()).casefold()
        key = ALIASES.get(key, key)
        if (key in COLUMNS or key == "_geometry") and key not in renamed.values():
            renamed[column] = key
    table = table[list(renamed)].rename(columns=renamed)
    missing = [c for c in ("name", "kind") if c not in table.columns]
    if not {"sector", "sector_raw"} & set(table.columns):
        missing.append("sector (or sector_raw)")
    if "state" not in table.columns and not {"lon", "lat"} <= set(table.columns):
        missing.append("state (or lon and lat)")
    if missing:
        known = ", ".join(map(str, renamed)) or "none the atlas knows"
        raise UploadError(f"{name} lacks the column(s) {', '.join(missing)}; the columns it has that the atlas "
                          f"knows: {known} (see docs/your-data.md)")  # fmt: skip
    return table.reindex(columns=[*COLUMNS, "_geometry"], fill_value="").astype(str).reset_index(drop=True)


# --------------------------------------------------------------------------- checking


@dataclass
class _Places:
    anchors: dict
    shapes: gpd.GeoSeries  # state polygons (full resolution), indexed by state_code
    state_names: dict[str, str]
    codes: dict = field(default_factory=dict)  # state as written -> code or the error's text (a file repeats them)


def _check_rows(name: str, table: pd.DataFrame, word: str, first: int) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Every row checked: the records of the good ones and one message per bad one."""
    states = boundaries.load_states("full")
    places = _Places(boundaries.anchor_points(states), states.set_index("state_code").geometry,
                     dict(zip(states["state_code"], states["state"], strict=True)))  # fmt: skip
    columns = list(table.columns)
    values = zip(*(table[c].tolist() for c in columns), strict=True)  # plain lists: faster than to_dict
    rows = [(f"{word} {i + first}", dict(zip(columns, row, strict=True))) for i, row in enumerate(values)]
    checked = [_check_row(where, v, places) for where, v in rows]
    _check_points(checked, places)
    records, sources, problems = [], {}, []
    for (where, _), (record, errors) in zip(rows, checked, strict=True):
        if errors:
            problems.append(f"{where}: " + "; ".join(errors))
            continue
        record["id"] = f"{ID_PREFIX}{where.split()[-1]}"
        sources[record["id"]] = [f"{SOURCE_PREFIX} {name}, {where}"]
        records.append(record)
    if not records:
        return _empty_records(), problems
    return seeds.records_frame(records, sources, {}), problems


def _check_row(where: str, raw: dict, places: _Places) -> tuple[dict, list[str]]:
    v = {k: " ".join(val.split()) if k != "notes" else val.strip() for k, val in raw.items()}
    errors: list[str] = []

    def bad(column: str, expected: str, shown: str | None = None) -> None:
        shown = shown or (f"{v[column][:60]!r}" if v.get(column) else "empty")
        errors.append(f"'{column.lstrip('_')}' is {shown} — expected {expected}")

    for column in _TEXT:
        if raw[column] and seeds.formula_like(raw[column]):
            bad(column, seeds.NOT_FORMULA)
    if errors:  # formula-like text is not read further
        return {}, errors
    if not v["name"]:
        bad("name", "the cluster's or project's name")
    kind = v["kind"].casefold()
    if kind not in schema.KINDS:
        bad("kind", f"one of {', '.join(schema.KINDS)}")
    sector = _sector(v, bad)
    project_type = v["project_type"].casefold()
    if project_type and (project_type not in schema.PROJECT_TYPES or kind == "cluster"):
        bad("project_type", f"empty for a cluster; for a project empty or one of {', '.join(schema.PROJECT_TYPES)}")
    basis = v["year_basis"].casefold()
    if basis and basis not in schema.YEAR_BASES:
        bad("year_basis", f"empty or one of {', '.join(schema.YEAR_BASES)}")
    year_values = {"year": v["year"], "year_basis": (basis or DEFAULT_YEAR_BASIS) if v["year"] else basis}
    year = seeds.check_year(year_values, lambda column, expected: bad(column, expected))
    state = code = ""
    if v["state"]:
        code = places.codes.get(v["state"])
        if code is None:
            try:
                code = places.codes[v["state"]] = names.state_code(v["state"])
            except names.UnknownStateError as err:
                code = places.codes[v["state"]] = f"a Mexican state ({err})"
        if code in places.state_names:
            state = places.state_names[code]
        else:
            bad("state", code)
            code = ""
    point, precision = _point(v, bad, code, places)
    record = {
        "name": v["name"], "kind": kind, "project_type": project_type, "sector": sector,
        "sector_raw": v["sector_raw"] or sector, "state": state, "state_code": code, "related_states": "",
        "place": v["place"], "location_precision": precision, "year": year,
        "year_basis": year_values["year_basis"] if year is not None else schema.UNKNOWN_YEAR_BASIS,
        "notes": v["notes"], "label": "", "label_valid_until": "", "location_source": "", "geometry": point,
    }  # fmt: skip
    return record, errors


def _sector(v: dict, bad) -> str:
    """The atlas sector the row names in `sector`, else the one its `sector_raw` label maps to."""
    if v["sector"]:
        try:
            return resolve_sectors([v["sector"]])[0]
        except UnknownSectorError:
            bad("sector", f"one of {', '.join(SECTORS)}")
            return ""
    labels = [s.strip() for s in v["sector_raw"].split(";") if s.strip()]
    if not labels:
        bad("sector", f"one of {', '.join(SECTORS)} (or a `sector_raw` label listed in seeds/sector_map.csv)")
        return ""
    mapped = {map_raw_label(label) for label in labels}
    if None in mapped or len(mapped) != 1:
        bad("sector_raw", "one label listed in seeds/sector_map.csv (or a `sector` column with an atlas sector)")
        return ""
    return mapped.pop()


def _point(v: dict, bad, code: str, places: _Places):
    """(point, location_precision): the row's lon/lat in Mexico, else its state's anchor point."""
    if not (v["lon"] or v["lat"]):
        if v["_geometry"]:
            bad("_geometry", "a Point feature (or no geometry and a state)")
        elif not v["state"]:
            bad("state", "a state, or lon and lat")
        return (places.anchors[code] if code else None), "state"
    lon, lat = seeds.number(v, "lon", bad), seeds.number(v, "lat", bad)
    if lon is None or lat is None:
        return None, "city"
    return seeds.check_point(lon, lat, lambda _, expected: bad("lon/lat", expected, f"{lon}, {lat}")), "city"


def _check_points(checked: list[tuple[dict, list[str]]], places: _Places) -> None:
    """A row's point lies in its state (within seeds.INSIDE_TOLERANCE), or, without a state, in
    some state, which then fills `state`; all rows at once (a point-in-polygon query per row
    would take minutes for 200,000 rows)."""
    rows = [(record, errors) for record, errors in checked
            if not errors and record["location_precision"] == "city" and record["geometry"] is not None]  # fmt: skip
    if not rows:
        return
    points = np.array([record["geometry"] for record, _ in rows], dtype=object)
    codes = places.shapes.index.to_numpy()
    tree = shapely.STRtree(places.shapes.to_numpy())
    inside, at = tree.query(points, predicate="intersects")  # prepared polygons: fast
    within = np.full(len(points), "", dtype=object)
    within[inside] = codes[at]
    rest = np.flatnonzero(within == "")  # near a coast the web boundaries simplify: the tolerance
    found, at = tree.query_nearest(
        points[rest], max_distance=seeds.INSIDE_TOLERANCE, all_matches=False, return_distance=False
    )
    within[rest[found]] = codes[at]
    for (record, errors), code in zip(rows, within, strict=True):
        if record["state_code"] and code != record["state_code"]:
            shape = places.shapes[record["state_code"]]
            if shape.distance(record["geometry"]) > seeds.INSIDE_TOLERANCE:
                lies = f"it lies in {places.state_names[code]}" if code else "it lies in no Mexican state"
                errors.append(f"'lon/lat' is {record['geometry'].x}, {record['geometry'].y} — expected a point "
                              f"inside {record['state']} ({lies})")  # fmt: skip
        elif not record["state_code"]:
            if not code:
                errors.append(f"'lon/lat' is {record['geometry'].x}, {record['geometry'].y} — expected a point "
                              "inside a Mexican state (it lies at sea or outside Mexico)")  # fmt: skip
            else:
                record["state_code"], record["state"] = code, places.state_names[code]


def _empty_records() -> gpd.GeoDataFrame:
    """The records frame with no rows (every row of the file was bad), with the frame's dtypes."""
    dtypes = {schema.INTEGER: "Int64", schema.DECIMAL: "float64", schema.TEXT: "object"}
    columns = {c.name: pd.Series(dtype=dtypes[c.type]) for c in schema.RECORDS.columns}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
