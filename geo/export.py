"""Export frames in the analysts' formats; shared by the app's download panel and the CLI.

Every format is one entry of FORMATS (extension, MIME type, label, writer, what the data dictionary
says about it); each writer is the field's own: pyogrio/GDAL for GeoPackage, Shapefile, KML and
FlatGeobuf, pyarrow (through geopandas) for GeoParquet, openpyxl for XLSX.

Decisions:
- GeoJSON follows RFC 7946: EPSG:4326 lon/lat, no `crs` member, exterior rings counterclockwise,
  UTF-8 without ASCII escapes, unknown values as `null`, whole numbers as JSON integers. The
  feature `id` is the `id` column; states get their INEGI number (`"09"` -> 9), since GDAL keeps a
  numeric id as the feature id but turns a text one without an `id` property into an extra column.
- CSV is UTF-8 (no byte-order mark), comma-separated, `\\n` line ends, unknown values as empty cells.
  Point layers keep their `lon`/`lat` columns instead of a geometry; the states layer has no
  geometry column at all (analysts want the counts; the GIS formats carry the shapes). XLSX holds
  the same table, plus a sheet describing the columns.
- Text is written verbatim (no spreadsheet-formula escaping) so every format reads back exactly;
  the seed loader rejects text a spreadsheet would run as a formula, so none reaches an export, and
  XLSX cells are typed as text so a spreadsheet never evaluates them.
- Point layers are POINT layers even when empty or without any point; the states layer is POLYGON
  or MULTIPOLYGON as its shapes are (schema.LAYER_GEOMETRY).
- A Shapefile's DBF cuts field names to 10 characters and text to 254 bytes: the zip carries the
  field-name map and the whole table as CSV, so nothing is lost, only shortened in the DBF.
- Bytes depend only on the data and the export date: zip entries, the DBF header, the GeoPackage's
  `last_change` and the XLSX properties carry that date, so the same export twice is the same file.
- The columns and their meanings come from geo/schema.py, the one declaration of the data.
- Rows without a point (records tied to no state) are exported with a null geometry, as the app
  lists them (FlatGeobuf therefore has no spatial index: GDAL's cannot hold a null geometry).
"""

import datetime
import errno
import hashlib
import html
import io
import json
import os
import re
import shlex
import sqlite3
import stat
import tempfile
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import shapely
from openpyxl.cell import WriteOnlyCell
from openpyxl.writer.excel import ExcelWriter

from geo import i18n, schema
from geo.documents import document_label, load_documents
from geo.join import Filters, filter_records, state_counts
from geo.sectors import SECTORS
from geo.upload import Upload

LAYERS = ("states", "clusters", "projects")
NO_FILTERS = Filters()


class Format(NamedTuple):
    """One export format: how its file is named, typed and labelled, its writer
    `write(frame, layer, date) -> bytes`, and what the data dictionary says about it."""

    extension: str
    mime: str
    label: str
    write: Callable[[gpd.GeoDataFrame, str, datetime.date], bytes]
    about: str


BUNDLE_MIME = "application/zip"
BUNDLE_PREFIX = "mexico-atlas"
DBF_TEXT_BYTES = 254  # the DBF's limit for a text field
MAX_NAMED_SECTORS = 3  # a bundle name lists at most this many sectors, else counts them

# Column -> (type, meaning), from geo/schema.py; the order is the export's column order.
POINT_COLUMNS = {column.name: (column.type, column.meaning) for column in schema.RECORDS.columns}
STATE_COLUMNS = {column.name: (column.type, column.meaning) for column in schema.STATE_LAYER.columns}
# What a KML placemark's description shows, in this order, when the layer has the column.
KML_DESCRIPTION = ("kind", "project_type", "sector", "state", "place", "year", "year_basis", "figures",
                   "clusters", "projects", "records", "source", "notes")  # fmt: skip

_LAYER_TEXT = {
    "states": "One row per Mexican state (32) with counts of the atlas records matching the "
    "export's filters: per kind and, in one column per sector, per sector.",
    "clusters": "One row per industrial cluster matching the export's filters.",
    "projects": "One row per project matching the export's filters (`project_type` says what kind).",
}
_FORMATS_NOTE = """Some readers load a whole-number column that has unknown values as decimals (60 -> 60.0).
FILTERS.json in the bundle gives the filters, the date and the `atlas export` command that rebuilds it.
"""
_CITATION_TEXT = """\
Sources: the documents cited per row in `source` (`file, section`; several joined with ` | `);
SOURCES.md lists the distinct documents and sections cited by this export. Figures are reported as
the documents state them, with their qualifiers in `figures`; contradictions between documents are
in `notes`. State names and codes: INEGI, Catálogo Único de Claves de Áreas Geoestadísticas
Estatales, Municipales y Localidades. When you use this data, cite Mexico Cluster Atlas and the
documents named in `source`.
"""

EXTRA_STEM = "atlas-extra"
_EXTRA_SOURCES_TEXT = """
## Your own file (not cited data)

`{member}` holds the {rows} rows of the file {file} given to `atlas export --extra`, as the atlas read
them (column `source`: the file and row). They are the user's own data: no document of the atlas
cites them, and they are in none of the documented layers or their counts.
"""

_NO_SOURCES_TEXT = """\
This layer counts the atlas's cluster and project records; the documents behind each record are
cited in the clusters and projects exports (column `source`).
"""
_STATES_SOURCES_TEXT = """\
This layer has no `source` column: its counts are made from the cluster and project records, and
the clusters and projects exports cite the documents behind each of them.
"""


def layer_frame(
    layer: str,
    states: gpd.GeoDataFrame | None,
    records: gpd.GeoDataFrame,
    filters: Filters,
) -> gpd.GeoDataFrame:
    """The exact frame exported for `layer`; `states` is only needed for the states layer.

    The layer decides the kind of record, whatever `filters.kinds` says.
    """
    _check_choice(layer, LAYERS, "layer")
    if layer == "states":
        if states is None:
            raise ValueError("the states layer needs the states frame (geo.boundaries.load_states)")
        counts = state_counts(states, records, filters)
        return counts[[*STATE_COLUMNS, *SECTORS, counts.geometry.name]].reset_index(drop=True)
    kind = layer.removesuffix("s")
    points = filter_records(records, replace(filters, kinds=(kind,)))
    return points[[*POINT_COLUMNS, points.geometry.name]].reset_index(drop=True)


def export_file(
    layer: str, fmt: str, frame: gpd.GeoDataFrame, *, date: datetime.date | None = None
) -> tuple[str, bytes, str]:
    """(file name, bytes, MIME type) of `frame` as one data file; `date` is the export's (default today)."""
    _check_choice(layer, LAYERS, "layer")
    _check_choice(fmt, FORMATS, "format")
    chosen = FORMATS[fmt]
    return f"atlas-{layer}{chosen.extension}", chosen.write(frame, layer, date or datetime.date.today()), chosen.mime


def export_bundle(
    layer: str,
    fmt: str,
    frame: gpd.GeoDataFrame,
    filters: Filters = NO_FILTERS,
    *,
    date: datetime.date | None = None,
    extra: Upload | None = None,
    lang: str = i18n.DEFAULT,
) -> tuple[str, bytes, str]:
    """(file name, bytes, MIME type) of a zip: the data file, DATA_DICTIONARY.md, SOURCES.md (their
    headings in `lang`) and FILTERS.json (`filters`: those that made `frame`). The same inputs and
    date give the same bytes.

    `extra` (a user's file, geo.upload) adds `atlas-extra.<ext>` in the same format, unfiltered,
    and says in SOURCES.md and FILTERS.json that it is the user's file, not cited data; the
    documented layer's file is the same as without it."""
    date = date or datetime.date.today()
    name, data, _ = export_file(layer, fmt, frame, date=date)
    members = [(name, data)]
    sources = source_list(frame, lang)
    if extra is not None:
        member = f"{EXTRA_STEM}{FORMATS[fmt].extension}"
        members.append((member, FORMATS[fmt].write(extra.records, "extra", date)))
        sources += _EXTRA_SOURCES_TEXT.format(member=member, rows=len(extra.records), file=_md_code(extra.name))
    members += [
        ("DATA_DICTIONARY.md", data_dictionary(layer, lang).encode("utf-8")),
        ("SOURCES.md", sources.encode("utf-8")),
        ("FILTERS.json", filters_json(layer, fmt, filters, date=date, rows=len(frame), extra=extra).encode("utf-8")),
    ]
    return bundle_name(layer, fmt, filters, date), _zip(members, date), BUNDLE_MIME


def layer_bundle(
    layer: str,
    fmt: str,
    states: gpd.GeoDataFrame | None,
    records: gpd.GeoDataFrame,
    filters: Filters,
    *,
    date: datetime.date,
    lang: str = i18n.DEFAULT,
) -> tuple[str, bytes, str]:
    """The bundle of `layer` under `filters`: what the app's download button and `atlas export` give
    (the headings of DATA_DICTIONARY.md and SOURCES.md in `lang`)."""
    return export_bundle(layer, fmt, layer_frame(layer, states, records, filters), filters, date=date, lang=lang)


def bundle_name(layer: str, fmt: str, filters: Filters, date: datetime.date) -> str:
    """The zip's file name, known before the (deferred) bundle is built; different layers, formats,
    filters or dates give different names, e.g.
    `mexico-atlas_projects_aerospace-ict_2004-2018_geojson_2026-12-02.zip`. Only [a-z0-9_-]."""
    _check_choice(layer, LAYERS, "layer")
    _check_choice(fmt, FORMATS, "format")
    return "_".join([BUNDLE_PREFIX, layer, _sectors_slug(filters.sectors), _years_slug(filters),
                     *_labels_slug(filters), fmt, date.isoformat()]) + ".zip"  # fmt: skip


def image_name(metric: str, filters: Filters, size: str, fmt: str, date: datetime.date) -> str:
    """A map image's file name, named like the bundles, e.g.
    `mexico-atlas_map-exports_automotive_2004-2018_slide_2026-12-02.png`. Only [a-z0-9_.-]."""
    parts = [BUNDLE_PREFIX, f"map-{metric}".replace("_", "-"), _sectors_slug(filters.sectors), _years_slug(filters),
             *_labels_slug(filters)]  # fmt: skip
    return "_".join([*parts, size, date.isoformat()]) + f".{fmt}"


def filters_json(
    layer: str, fmt: str, filters: Filters, *, date: datetime.date, rows: int, extra: Upload | None = None
) -> str:
    """FILTERS.json: what the bundle holds and the command line that rebuilds it (`extra`: the user's file)."""
    command = ["atlas", "export", "--layer", layer, "--format", fmt]
    command += [arg for sector in filters.sectors for arg in ("--sector", sector)]
    if filters.years is not None:
        command += ["--years", f"{filters.years[0]}-{filters.years[1]}"]
    if filters.known_years_only:
        command.append("--known-years-only")
    command += [arg for label in filters.labels for arg in ("--label", label)]
    command += ["--date", date.isoformat()]
    if extra is not None:
        command += ["--extra", extra.name]
    described = {
        "layer": layer,
        "format": fmt,
        "sectors": list(filters.sectors),  # empty: all sectors
        "years": None if filters.years is None else list(filters.years),  # inclusive
        "known_years_only": filters.known_years_only,
        "labels": list(filters.labels),  # ECEI labels; empty: no label filter
        "date": date.isoformat(),
        "rows": rows,
        "command": shlex.join(command),
    }
    if extra is not None:
        described["extra"] = {
            "file": extra.name,
            "member": f"{EXTRA_STEM}{FORMATS[fmt].extension}",
            "rows": len(extra.records),
            "rows_left_out": len(extra.problems),
            "cited": False,  # the user's own rows: in no documented layer, count or citation
        }
    return json.dumps(described, ensure_ascii=False, indent=2) + "\n"


def to_geojson(gdf: gpd.GeoDataFrame) -> bytes:
    """An RFC 7946 FeatureCollection, UTF-8.

    geopandas builds the features (`to_geo_dict`, what `to_json` serialises); we only add the ids,
    because `to_json` writes the index as a text id and the states' id must be a number.
    """
    frame = _wgs84(gdf).copy()
    # RFC 7946 section 3.1.6: exterior rings counterclockwise, holes clockwise.
    frame[frame.geometry.name] = shapely.orient_polygons(frame.geometry.array, exterior_cw=False)
    frame[frame.geometry.name] = frame.geometry.where(~frame.geometry.is_empty, None)
    collection = frame.to_geo_dict(na="null", drop_id=True)
    for feature, feature_id in zip(collection["features"], _feature_ids(frame), strict=True):
        if feature_id is not None:
            feature["id"] = feature_id
    return json.dumps(collection, ensure_ascii=False, allow_nan=False).encode("utf-8")


def to_csv(gdf: gpd.GeoDataFrame) -> bytes:
    """The attributes as UTF-8 CSV: point frames as lon/lat columns, no geometry column."""
    return attribute_table(gdf).to_csv(index=False, lineterminator="\n").encode("utf-8")


def attribute_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """The attributes without geometry, points as lon/lat columns: the table of CSV and XLSX."""
    frame = _wgs84(gdf)
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if {"lon", "lat"} - set(table.columns) and _all_points(frame.geometry):
        table = table.assign(lon=frame.geometry.x, lat=frame.geometry.y)
    return table


def to_gpkg(
    gdf: gpd.GeoDataFrame, layer_name: str, *, geometry_type: str | None = None, date: datetime.date | None = None
) -> bytes:
    """A GeoPackage holding `gdf` as the layer `layer_name`, written in memory by pyogrio.

    `geometry_type` (e.g. "Point") fixes the layer's geometry type, which pyogrio can only infer
    from the shapes present: an empty layer would otherwise be GEOMETRY. None = inferred.
    `date` replaces GDAL's write time in `gpkg_contents.last_change`, so the bytes are repeatable.
    """
    if not layer_name:
        raise ValueError("a GeoPackage layer needs a name")
    data = _ogr_bytes(gdf, "GPKG", layer_name, geometry_type=geometry_type)
    if date is None:
        return data
    database = sqlite3.connect(":memory:")
    try:
        database.deserialize(data)
        with database:
            database.execute("UPDATE gpkg_contents SET last_change = ?", (f"{date.isoformat()}T00:00:00.000Z",))
        data = bytearray(database.serialize())
    finally:
        database.close()
    # The SQLite header counts write transactions (file change counter, offset 24, and the
    # version-valid-for number, offset 92, kept equal), and GDAL's count varies between runs.
    data[24:28] = data[92:96] = (1).to_bytes(4, "big")
    return bytes(data)


def to_shapefile_zip(gdf: gpd.GeoDataFrame, layer: str, *, date: datetime.date) -> bytes:
    """A zipped Shapefile (`.shp.zip`, which GDAL and QGIS open as is) with, beside it,
    `atlas-<layer>.fields.csv` (DBF field -> full column name) and `atlas-<layer>.full.csv`, the whole table
    uncut, since the DBF holds 10-character field names and 254 bytes of text."""
    frame = _wgs84(gdf)
    attributes = [c for c in frame.columns if c != frame.geometry.name]
    names = dbf_field_names(attributes)
    table = frame.rename(columns=names)
    for column in attributes:
        if pd.api.types.is_string_dtype(frame[column]) or frame[column].dtype == object:
            table[names[column]] = frame[column].map(_dbf_text, na_action="ignore")
    stem = f"atlas-{layer}"
    # GDAL writes a Shapefile's parts as files only; a private temporary folder holds them.
    with tempfile.TemporaryDirectory() as folder:
        pyogrio.write_dataframe(
            table,
            Path(folder) / f"{stem}.shp",
            driver="ESRI Shapefile",
            geometry_type=schema.LAYER_GEOMETRY.get(layer),
            encoding="UTF-8",
            layer_options={"DBF_DATE_LAST_UPDATE": date.isoformat()},
        )
        members = [(path.name, path.read_bytes()) for path in sorted(Path(folder).iterdir())]
    field_map = pd.DataFrame({"dbf_field": list(names.values()), "column": list(names)})
    members.append((f"{stem}.fields.csv", field_map.to_csv(index=False, lineterminator="\n").encode("utf-8")))
    members.append((f"{stem}.full.csv", to_csv(frame)))
    return _zip(members, date)


def dbf_field_names(columns: Iterable[str]) -> dict[str, str]:
    """Column -> a DBF field name: ASCII letters, digits and `_`, at most 10 characters, unique
    (ignoring case) by a numbered suffix: `investment_value` -> `investment`, `investment_unit` ->
    `investme_1`."""
    names: dict[str, str] = {}
    for column in columns:
        ascii_name = unicodedata.normalize("NFKD", column).encode("ascii", "ignore").decode()
        base = re.sub(r"[^0-9A-Za-z_]+", "_", ascii_name)[:10].strip("_") or "field"
        name, number = base, 0
        while name.casefold() in {taken.casefold() for taken in names.values()}:
            number += 1
            name = f"{base[: 10 - len(str(number)) - 1]}_{number}"
        names[column] = name
    return names


def to_kml(gdf: gpd.GeoDataFrame, layer: str) -> bytes:
    """KML 2.2 (GDAL's KML driver): one placemark per row named after the record (states: the
    state), its description the main facts as escaped HTML; every column in ExtendedData."""
    frame = _wgs84(gdf)
    name_field = "name" if "name" in frame.columns else "state"
    described = frame.assign(description=[_kml_description(row) for row in frame.to_dict("records")])
    # GDAL's KML writer puts field names into XML unescaped: "Chemicals & Petroleum" would break it.
    described = described.rename(columns=lambda column: column.replace("&", "and"))
    return _ogr_bytes(
        described, "KML", layer, dataset_options={"NameField": name_field, "DescriptionField": "description"}
    )


def to_flatgeobuf(gdf: gpd.GeoDataFrame, layer: str) -> bytes:
    """FlatGeobuf, written in memory; without a spatial index, which cannot hold rows without a point."""
    return _ogr_bytes(
        gdf, "FlatGeobuf", layer, geometry_type=schema.LAYER_GEOMETRY.get(layer), layer_options={"SPATIAL_INDEX": "NO"}
    )


def to_geoparquet(gdf: gpd.GeoDataFrame) -> bytes:
    """GeoParquet 1.1 through pyarrow, with a bounding-box covering column for row-group filtering."""
    buffer = io.BytesIO()
    _wgs84(gdf).to_parquet(buffer, index=False, write_covering_bbox=True)
    return buffer.getvalue()


def to_xlsx(gdf: gpd.GeoDataFrame, layer: str, *, date: datetime.date) -> bytes:
    """An Excel workbook: the sheet `layer` holds the CSV's table (text cells typed as text, so
    nothing runs as a formula), the sheet `columns` what each column means."""
    workbook = openpyxl.Workbook(write_only=True)
    workbook.properties.creator = "Mexico Cluster Atlas"
    workbook.properties.created = workbook.properties.modified = datetime.datetime.combine(date, datetime.time())
    for title, table in ((layer, attribute_table(gdf)), ("columns", _columns_sheet(layer, gdf))):
        sheet = workbook.create_sheet(title)
        sheet.append([_xlsx_cell(sheet, name) for name in table.columns])
        for row in table.itertuples(index=False):
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    # Workbook.save would stamp the properties with the time of writing; its writer alone does not.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    with zipfile.ZipFile(buffer) as saved:  # and each zip entry is dated now: re-dated to `date`
        return _zip(((info.filename, saved.read(info)) for info in saved.infolist()), date)


_GIS_NULLS = "unknown values are NULL"
# The registry: one entry per format, used by the app's download panel and `atlas export`.
FORMATS = {
    "geojson": Format(".geojson", "application/geo+json", "GeoJSON", lambda frame, _, __: to_geojson(frame),
                      "RFC 7946, WGS 84 longitude/latitude; unknown values are `null`; each feature's `id` is the "
                      "row's `id` (states: `state_code` as a number)."),
    "csv": Format(".csv", "text/csv", "CSV", lambda frame, _, __: to_csv(frame),
                  "UTF-8, comma-separated, one header row; unknown values are empty cells. Point layers give "
                  "`lon`/`lat` instead of a geometry; the states CSV has no geometry. Read `state_code` as text "
                  "to keep its leading zero."),
    "gpkg": Format(".gpkg", "application/geopackage+sqlite3", "GeoPackage",
                   lambda frame, layer, date: to_gpkg(frame, layer, geometry_type=schema.LAYER_GEOMETRY[layer],
                                                      date=date),
                   f"EPSG:4326, one layer named after the layer; {_GIS_NULLS}."),
    "shp": Format(".shp.zip", "application/zip", "Shapefile (zip)",
                  lambda frame, layer, date: to_shapefile_zip(frame, layer, date=date),
                  "zipped ESRI Shapefile, EPSG:4326, UTF-8 (`.cpg`). The DBF cuts field names to 10 characters "
                  "and text to 254 bytes: `atlas-<layer>.fields.csv` maps each DBF field to its column and "
                  "`atlas-<layer>.full.csv` holds every value uncut (use it for `source`, `figures` and `notes`)."),
    "kml": Format(".kml", "application/vnd.google-earth.kml+xml", "KML", lambda frame, layer, _: to_kml(frame, layer),
                  "KML 2.2 for Google Earth: each placemark is named after the record (states: the state) and "
                  "describes it; every column is in its ExtendedData, sector columns with `&` spelled `and` (GDAL "
                  "reads the `id` column as `id2`, since the placemark has an id of its own)."),
    "fgb": Format(".fgb", "application/octet-stream", "FlatGeobuf",
                  lambda frame, layer, _: to_flatgeobuf(frame, layer),
                  f"EPSG:4326, no spatial index (rows without a point are kept); {_GIS_NULLS}."),
    "parquet": Format(".parquet", "application/vnd.apache.parquet", "GeoParquet",
                      lambda frame, _, __: to_geoparquet(frame),
                      f"GeoParquet 1.1 (WKB geometry, a `bbox` covering column), EPSG:4326; {_GIS_NULLS}."),
    "xlsx": Format(".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (XLSX)",
                   lambda frame, layer, date: to_xlsx(frame, layer, date=date),
                   "the CSV's table in the first sheet (text cells are text: nothing runs as a formula), what "
                   "each column means in the sheet `columns`; unknown values are empty cells."),
}  # fmt: skip


def data_dictionary(layer: str, lang: str = i18n.DEFAULT) -> str:
    """Markdown describing every column of `layer`, the formats and how to cite the data; its
    headings in `lang` (the column table and the explanations are the schema's English)."""
    _check_choice(layer, LAYERS, "layer")
    t = i18n.translator(lang).t
    table = schema.state_layer(SECTORS) if layer == "states" else schema.RECORDS
    lines = [
        t("export.dictionary_title", layer=t(f"layer.{layer}")),
        "",
        _LAYER_TEXT[layer],
        "",
        schema.markdown_table(table),
        t("export.formats"),
        "",
        *(f"- {spec.label} (`{spec.extension}`): {spec.about}" for spec in FORMATS.values()),
        "",
        _FORMATS_NOTE,
        t("export.citation"),
        "",
        _CITATION_TEXT,
    ]
    if layer == "states":
        lines.append(_STATES_SOURCES_TEXT)
    return "\n".join(lines)


def source_list(frame: pd.DataFrame, lang: str = i18n.DEFAULT) -> str:
    """Markdown listing the distinct documents (named from seeds/documents.csv) and sections cited
    in `frame`, and the citations for its city coordinates (`location_source`, e.g. GeoNames, whose
    licence asks for credit)."""
    tr = i18n.translator(lang)
    if "source" not in frame.columns:
        return f"{tr.t('export.sources_title')}\n\n{_NO_SOURCES_TEXT}"
    documents = load_documents()
    lines = [tr.t("export.sources_title"), "", tr.t("export.sources_cited", rows=tr.number(len(frame))), ""]
    for file, sections in sorted(_citations(frame["source"]).items()):
        label = document_label(file, documents=documents)
        lines.append(f"- {_md_code(file)}" if label == file else f"- {_md_code(file)}: {_md_text(label)}")
        lines.extend(f"  - {_md_text(section)}" for section in sorted(sections) if section)
    located = sorted(set(frame.get("location_source", pd.Series()).dropna()) - {""})
    if located:
        lines += ["", tr.t("export.coordinates"), ""]
        lines += [f"- {_md_text(citation)}" for citation in located]
    return "\n".join(lines) + "\n"


def write_atomic(path: str | os.PathLike, data: bytes, *, replace: bool = False) -> None:
    """Write `data` to `path` completely or not at all: temp file beside it, fsync, then link it
    into place (FileExistsError if `path` exists) or, with `replace`, os.replace a regular file,
    keeping its permission bits. Anything but a regular file (device, FIFO, symlink, folder) is
    refused at `path`, checked again just before the swap, so such a node is never replaced."""
    path = Path(path)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        # os.open honours the umask (tempfile's files are 0600); O_BINARY matters on Windows only.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(temp, flags, 0o666), "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        existing = _existing_regular_file(path)
        if existing is None:
            _place_new(temp, path)
        elif not replace:
            raise FileExistsError(errno.EEXIST, "the file exists", str(path))
        else:
            os.chmod(temp, stat.S_IMODE(existing.st_mode))
            os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


# errno values of a file system without hard links (FAT, some network shares).
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS})


def _place_new(temp: Path, path: Path) -> None:
    """Link `temp` to `path`, atomic and failing if something appeared there meanwhile; where the
    file system has no hard links, the check just made has to do and `temp` is renamed."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        os.replace(temp, path)
    else:
        temp.unlink()


def _existing_regular_file(path: Path) -> os.stat_result | None:
    """The stat of the regular file at `path`, None when nothing is there; OSError for anything else."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(found.st_mode):
        raise (
            IsADirectoryError(errno.EISDIR, "a folder", str(path))
            if stat.S_ISDIR(found.st_mode)
            else OSError(errno.EPERM, "not a regular file (a device, FIFO, socket or symlink)", str(path))
        )
    return found


def _citations(cells: pd.Series) -> dict[str, set[str]]:
    """Document -> cited sections, from cells of `file, section` joined with ` | `."""
    cited: dict[str, set[str]] = {}
    for cell in cells.dropna():
        for citation in filter(None, (part.strip() for part in cell.split(" | "))):
            document, _, section = citation.partition(", ")
            cited.setdefault(document.strip(), set()).add(section.strip())
    return cited


def _check_choice(value: str, allowed, what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of: {', '.join(allowed)}")


def _wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise ValueError("the frame has no CRS; set it (the atlas uses EPSG:4326) before export")
    return gdf if gdf.crs.to_epsg() == 4326 else gdf.to_crs(4326)


def _all_points(geometry: gpd.GeoSeries) -> bool:
    kinds = geometry.geom_type.dropna()
    return not kinds.empty and bool(kinds.eq("Point").all())


_MD_MARKUP = re.compile(r"([\\`*_\[\]<>&|~!#$])")
_MD_LEADING = re.compile(r"^([-+=]|[0-9]+(?=[.)]))")


def _md_text(text: str) -> str:
    """Cited text as inert markdown on one line: what could start markup (HTML, links, images,
    emphasis, code, a heading or list at the start) is backslash-escaped; the rest reads as is."""
    text = _MD_MARKUP.sub(r"\\\1", " ".join(str(text).split()))
    return _MD_LEADING.sub(lambda m: m[0] + "\\" if m[0].isdigit() else "\\" + m[0], text, count=1)


def _md_code(text: str) -> str:
    """A code span showing `text` verbatim, whatever backticks it holds (CommonMark 6.1)."""
    text = " ".join(str(text).split())
    fence = "`" * (max(map(len, re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _feature_ids(frame: pd.DataFrame) -> list[str | int | None]:
    """Per row: the `id` column; else (states) the INEGI code as a number; else None."""
    missing = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    ids, codes = frame.get("id", missing), frame.get("state_code", missing)
    return [
        value if not pd.isna(value) else int(code) if isinstance(code, str) and code.isdigit() else None
        for value, code in zip(ids, codes, strict=True)
    ]


def _ogr_bytes(gdf: gpd.GeoDataFrame, driver: str, layer: str, **options) -> bytes:
    """`gdf` written in memory by pyogrio with GDAL's `driver`."""
    buffer = io.BytesIO()
    pyogrio.write_dataframe(_wgs84(gdf), buffer, layer=layer, driver=driver, **options)
    return buffer.getvalue()


def _zip(members: Iterable[tuple[str, bytes]], date: datetime.date) -> bytes:
    """A zip of (name, bytes) in order, every entry dated `date` at midnight with fixed attributes,
    so that equal members give equal bytes on any machine."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(date.year, date.month, date.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the platform, so the attributes below mean the same
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _dbf_text(value: str) -> str:
    """At most DBF_TEXT_BYTES of UTF-8, cut at a character boundary (GDAL would cut mid-character)."""
    return str(value).encode("utf-8")[:DBF_TEXT_BYTES].decode("utf-8", errors="ignore")


def _kml_description(row: dict) -> str:
    """A placemark's description: `Label: value` lines of the row's main facts, as HTML with every
    value escaped (KML readers render descriptions as HTML)."""
    lines = []
    for column in KML_DESCRIPTION:
        value = row.get(column)
        if value is None or pd.isna(value) or value == "":
            continue
        text = "<br>".join(html.escape(line) for line in str(value).splitlines())
        lines.append(f"<b>{column.replace('_', ' ').capitalize()}:</b> {text}")
    return "<br>".join(lines)


def _columns_sheet(layer: str, gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """The XLSX `columns` sheet: each exported column with its type and meaning."""
    table = schema.state_layer(SECTORS) if layer == "states" else schema.RECORDS
    declared = {column.name: column for column in table.columns}
    rows = [(name, declared[name].type, declared[name].meaning) for name in attribute_table(gdf) if name in declared]
    return pd.DataFrame(rows, columns=["column", "type", "meaning"])


def _xlsx_cell(sheet, value):
    """A cell value openpyxl writes as is: text typed as text (never a formula), unknown as empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value.item() if hasattr(value, "item") else value


def _sectors_slug(sectors: tuple[str, ...]) -> str:
    if not sectors:
        return "all-sectors"
    if len(sectors) > MAX_NAMED_SECTORS:  # a short name that still differs per selection
        digest = hashlib.sha256("|".join(sectors).encode("utf-8")).hexdigest()[:8]
        return f"{len(sectors)}-sectors-{digest}"
    return "-".join(map(_slug, sectors))


def _labels_slug(filters: Filters) -> list[str]:
    """["gold-silver"] for a label filter (Gold and Silver Label), else nothing: names stay as before."""
    return ["-".join(_slug(label.removesuffix(" Label")) for label in filters.labels)] if filters.labels else []


def _years_slug(filters: Filters) -> str:
    if filters.years is None:
        years = "all-years"
    else:
        first, last = filters.years
        years = f"{first}" if first == last else f"{first}-{last}"
    return f"{years}-dated" if filters.known_years_only else years


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.casefold()).strip("-")
