"""Export frames as GeoJSON, CSV or GeoPackage; shared by the app's download buttons and the CLI.

Decisions:
- GeoJSON follows RFC 7946: EPSG:4326 lon/lat, no `crs` member, exterior rings counterclockwise,
  UTF-8 without ASCII escapes, unknown values as `null`, whole numbers as JSON integers. The
  feature `id` is the `id` column; states get their INEGI number (`"09"` -> 9), since GDAL keeps a
  numeric id as the feature id but turns a text one without an `id` property into an extra column.
- CSV is UTF-8 (no byte-order mark), comma-separated, `\\n` line ends, unknown values as empty cells.
  Point layers keep their `lon`/`lat` columns instead of a geometry; the states layer has no
  geometry column at all (analysts want the counts; GeoJSON and GeoPackage carry the shapes).
- Text is written verbatim (no spreadsheet-formula escaping) so every format reads back exactly;
  the seed loader rejects text a spreadsheet would run as a formula, so none reaches an export.
- GeoPackage: point layers are POINT layers even when empty or without any point; the states layer
  is POLYGON or MULTIPOLYGON as its shapes are (schema.LAYER_GEOMETRY). Written in memory.
- The columns and their meanings come from geo/schema.py, the one declaration of the data.
- Rows without a point (records tied to no state) are exported with a null geometry, as the app
  lists them.
"""

import io
import json
import os
import re
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo import schema
from geo.join import Filters, filter_records, state_counts
from geo.sectors import SECTORS

LAYERS = ("states", "clusters", "projects")


class Format(NamedTuple):
    """One export format: how its file is named, typed and labelled, and its writer
    `write(frame, layer) -> bytes`."""

    extension: str
    mime: str
    label: str
    write: Callable[[gpd.GeoDataFrame, str], bytes]


BUNDLE_MIME = "application/zip"

# Column -> (type, meaning), from geo/schema.py; the order is the export's column order.
POINT_COLUMNS = {column.name: (column.type, column.meaning) for column in schema.RECORDS.columns}
STATE_COLUMNS = {column.name: (column.type, column.meaning) for column in schema.STATE_LAYER.columns}

_LAYER_TEXT = {
    "states": "One row per Mexican state (32) with counts of the atlas records matching the "
    "export's filters: per kind and, in one column per sector, per sector.",
    "clusters": "One row per industrial cluster matching the export's filters.",
    "projects": "One row per project matching the export's filters (`project_type` says what kind).",
}
_FORMATS_TEXT = """\
## Formats

- GeoJSON (RFC 7946): WGS 84 longitude/latitude; unknown values are `null`; each feature's `id` is
  the row's `id` (states: `state_code` as a number).
- CSV: UTF-8, comma-separated, one header row; unknown values are empty cells. Point layers give
  `lon`/`lat` instead of a geometry; the states CSV has no geometry (use GeoJSON or GeoPackage for
  the shapes). Read `state_code` as text to keep its leading zero.
- GeoPackage: EPSG:4326, one layer named after the layer; unknown values are NULL.

Some readers load a whole-number column that has unknown values as decimals (60 -> 60.0).
"""
_CITATION_TEXT = """\
## Sources and citation

Sources: the documents cited per row in `source` (`file, section`; several joined with ` | `);
SOURCES.md lists the distinct documents and sections cited by this export. Figures are reported as
the documents state them, with their qualifiers in `figures`; contradictions between documents are
in `notes`. State names and codes: INEGI, Catálogo Único de Claves de Áreas Geoestadísticas
Estatales, Municipales y Localidades. When you use this data, cite Mexico Cluster Atlas and the
documents named in `source`.
"""

_NO_SOURCES_TEXT = """\
# Sources

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


def export_file(layer: str, fmt: str, frame: gpd.GeoDataFrame) -> tuple[str, bytes, str]:
    """(file name, bytes, MIME type) of `frame` as one data file, e.g. for a download button."""
    _check_choice(layer, LAYERS, "layer")
    _check_choice(fmt, FORMATS, "format")
    chosen = FORMATS[fmt]
    return f"atlas-{layer}{chosen.extension}", chosen.write(frame, layer), chosen.mime


def export_bundle(layer: str, fmt: str, frame: gpd.GeoDataFrame) -> tuple[str, bytes, str]:
    """(file name, bytes, MIME type) of a zip: the data file, DATA_DICTIONARY.md and SOURCES.md."""
    name, data, _ = export_file(layer, fmt, frame)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(name, data)
        bundle.writestr("DATA_DICTIONARY.md", data_dictionary(layer))
        bundle.writestr("SOURCES.md", source_list(frame))
    return bundle_name(layer, fmt), buffer.getvalue(), BUNDLE_MIME


def bundle_name(layer: str, fmt: str) -> str:
    """The zip's file name, known before the (deferred) bundle is built."""
    return f"atlas-{layer}-{fmt}.zip"


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
    frame = _wgs84(gdf)
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if {"lon", "lat"} - set(table.columns) and _all_points(frame.geometry):
        table = table.assign(lon=frame.geometry.x, lat=frame.geometry.y)
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")


def to_gpkg(gdf: gpd.GeoDataFrame, layer_name: str, *, geometry_type: str | None = None) -> bytes:
    """A GeoPackage holding `gdf` as the layer `layer_name`, written in memory by pyogrio.

    `geometry_type` (e.g. "Point") fixes the layer's geometry type, which pyogrio can only infer
    from the shapes present: an empty layer would otherwise be GEOMETRY. None = inferred.
    """
    if not layer_name:
        raise ValueError("a GeoPackage layer needs a name")
    frame = _wgs84(gdf)
    buffer = io.BytesIO()
    pyogrio.write_dataframe(frame, buffer, layer=layer_name, driver="GPKG", geometry_type=geometry_type)
    return buffer.getvalue()


# The registry: one entry per format, used by the app's download panel and `atlas export`.
FORMATS = {
    "geojson": Format(".geojson", "application/geo+json", "GeoJSON", lambda frame, _: to_geojson(frame)),
    "csv": Format(".csv", "text/csv", "CSV", lambda frame, _: to_csv(frame)),
    "gpkg": Format(
        ".gpkg",
        "application/geopackage+sqlite3",
        "GeoPackage",
        lambda frame, layer: to_gpkg(frame, layer, geometry_type=schema.LAYER_GEOMETRY[layer]),
    ),
}


def data_dictionary(layer: str) -> str:
    """Markdown describing every column of `layer`, the formats and how to cite the data."""
    _check_choice(layer, LAYERS, "layer")
    table = schema.state_layer(SECTORS) if layer == "states" else schema.RECORDS
    lines = [
        f"# Data dictionary: {layer}",
        "",
        _LAYER_TEXT[layer],
        "",
        schema.markdown_table(table),
        _FORMATS_TEXT,
        _CITATION_TEXT,
    ]
    if layer == "states":
        lines.append(_STATES_SOURCES_TEXT)
    return "\n".join(lines)


def source_list(frame: pd.DataFrame) -> str:
    """Markdown listing the distinct documents and sections cited in `frame`, and the citations
    for its city coordinates (`location_source`, e.g. GeoNames, whose licence asks for credit)."""
    if "source" not in frame.columns:
        return _NO_SOURCES_TEXT
    lines = ["# Sources", "", f"Documents cited by the {len(frame)} rows (column `source`):", ""]
    for document, sections in sorted(_citations(frame["source"]).items()):
        lines.append(f"- {_md_code(document)}")
        lines.extend(f"  - {_md_text(section)}" for section in sorted(sections) if section)
    located = sorted(set(frame.get("location_source", pd.Series()).dropna()) - {""})
    if located:
        lines += ["", "City coordinates (column `location_source`):", ""]
        lines += [f"- {_md_text(citation)}" for citation in located]
    return "\n".join(lines) + "\n"


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` completely or not at all: temp file beside it, fsync, os.replace."""
    path = Path(path)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        # os.open honours the umask (tempfile's files are 0600); O_BINARY matters on Windows only.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(temp, flags, 0o666), "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


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
