"""Clusters and projects as clustered point layers, one toggleable FeatureGroup per kind.

Symbols: clusters are squares, projects diamonds (shape first, colour second); a hollow symbol
means the point is only the state's representative point. Leaflet.markercluster groups nearby
symbols; a group whose records all share one point (many records sit on their state's anchor)
spiderfies when clicked, at any zoom.

Data: a *marker table* holds, for every record with a point, its coordinates, escaped name and
popup. Popups are stored as parts (kind, sector, where, year, label, figures, source, notes), each part
an escaped HTML fragment stored once per distinct value plus a code per record, so 100,000 rows
that share sectors, states and sources stay small. The atlas runtime builds markers and popups
(on click) from the table, published once at start-up (`layers.assets.publish_map_data`);
`markers()` sends only which rows to show:
the table is sorted by kind, so that is the kind's row range plus a bitmask over it (nothing when
all are shown): at most ~17 kB for 100,000 records, a few dozen bytes for the seeds.

Large tables (more than LARGE_POINTS points, i.e. the benchmark's synthetic points; the seeds have
a few hundred) take another path in the browser: coordinates, codes and names go into binary
files (`layers/points.py`), and a Web Worker groups the selected points per screen cell for the
current view, drawn on one canvas (the runtime's `points` layer). Same `markers()` call, same
selection; no spiderfy and no hover tooltip there (docs/performance.md).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.documents import source_labels
from layers.points import encode_names, encode_points
from layers.runtime import AtlasCall
from layers.style import KIND_LABELS

KINDS = ("cluster", "project")
UPLOAD_KIND = "upload"  # the symbol of a user's own rows (layers/static/atlas-map.css)
PIN_SIZE = {"cluster": 22, "project": 20, UPLOAD_KIND: 18}
# Markers show from this zoom: at national zoom (5-6) their bubbles would cover the small central
# states (CDMX, Tlaxcala, Morelos...), which then could not be hovered or clicked; the choropleth
# and the state story carry the counts there.
MIN_ZOOM = 7
# Above this many points the table is binary and clustered in a worker (Leaflet.markercluster
# re-clusters 100,000 markers on the main thread for seconds).
LARGE_POINTS = 10_000
CLUSTER_OPTIONS = {
    "showCoverageOnHover": False,
    "spiderfyOnMaxZoom": True,
    "zoomToBoundsOnClick": True,
    "maxClusterRadius": 45,
    "spiderfyDistanceMultiplier": 1.8,
    # Spider legs must not be interactive: they would count as path.leaflet-interactive.
    "spiderLegPolylineOptions": {"weight": 2, "color": "#222222", "opacity": 0.6, "interactive": False},
}
PRECISION_TEXT = {
    "city": "placed at the city",
    "state": "placed at state level (the state's representative point)",
    "none": "not tied to one state",
}
BASIS_TEXT = {
    "founded": "founded",
    "started": "started",
    "announced": "announced",
    "reported": "reported",
}
_TEXT = (
    "id", "name", "kind", "project_type", "sector", "sector_raw", "state", "related_states",
    "place", "location_precision", "year_basis", "figures", "source", "notes", "exports_unit",
    "investment_unit", "label", "label_valid_until",
)  # fmt: skip
_NUMBERS = ("year", "members", "companies", "jobs", "exports_value", "investment_value")
_FIGURE_COLUMNS = (
    "figures", "members", "companies", "jobs", "exports_value", "exports_unit", "investment_value", "investment_unit",
)  # fmt: skip


@dataclass(frozen=True)
class MarkerTable:
    """Rows for every record with a point, sorted by kind: `ids` in row order, `ranges` the
    (start, stop) rows of each kind, `data` the columnar table the runtime reads (None once
    published), `url` where it was published; for a large table `binary` holds the "points" and
    "names" files whose URLs `data` names once published (layers/points.py)."""

    ids: pd.Index
    ranges: dict[str, tuple[int, int]]
    data: dict | None
    url: str | None = None
    binary: dict[str, bytes] | None = None

    @property
    def large(self) -> bool:
        """Whether the table is binary and drawn by the runtime's points worker."""
        return len(self.ids) > LARGE_POINTS

    def published(self, url: str) -> MarkerTable:
        """The same table, served from `url`; the data is dropped (the browser fetches it)."""
        return replace(self, url=url, data=None, binary=None)


def markers(
    records: gpd.GeoDataFrame, *, kind: str, table: MarkerTable, show: bool | None = None, name: str | None = None
) -> folium.FeatureGroup:
    """The records of one `kind` ("cluster" or "project") as a clustered, toggleable layer.

    `table` is the published `marker_table()` of all records; `records` only selects which of its
    rows to show, by `id` (rows without a point are not in the table).
    The group is returned even when empty, so layer order and layer control stay the same.
    `show` switches the layer on or off (None: as the user left it); `name` is its name in the
    layer control (default: the English KIND_LABELS).
    """
    _check(records, kind)
    if table.url is None:
        raise ValueError("markers() needs a published marker table (layers.assets.publish_map_data).")
    name = name or KIND_LABELS[kind]
    group = folium.FeatureGroup(name=name, control=True)
    AtlasCall(
        "markers",
        src=table.url,
        selection=_selection(table, records, kind),
        kind=kind,
        size=PIN_SIZE[kind],
        clusterOptions=CLUSTER_OPTIONS,
        layer=name,
        minZoom=MIN_ZOOM,
        show=show,
        large=table.large,
    ).add_to(group)
    return group


def upload_markers(table: MarkerTable, *, label: str, key: str, show: bool | None = None) -> folium.FeatureGroup:
    """A user's own rows (geo.upload) as one clustered, toggleable layer with its own symbol,
    shown at every zoom. Its `marker_table()` is the session's, so it travels with the run instead
    of being published; `key` (the file's digest) lets the runtime reuse the clustered markers
    while the file stays the same. Names and popups are escaped as the records' are."""
    if table.data is None:
        raise ValueError("upload_markers() sends its table with the run: pass an unpublished marker_table().")
    group = folium.FeatureGroup(name=html.escape(label), control=True)
    AtlasCall(
        "markers",
        src={**table.data, "key": key},
        selection=[0, len(table.ids), None],
        kind=UPLOAD_KIND,
        size=PIN_SIZE[UPLOAD_KIND],
        large=False,
        clusterOptions=CLUSTER_OPTIONS,
        layer=label,
        minZoom=0,  # the user asked to see these: at national zoom too
        show=show,
    ).add_to(group)
    return group


def marker_table(records: gpd.GeoDataFrame, *, inline: bool = False) -> MarkerTable:
    """The marker table of every record in `records` that has a point (any kind); binary above
    LARGE_POINTS unless `inline` (a table sent with the run, as a user's file is: JSON whatever its size)."""
    points = records[_has_point(records)]
    if "kind" in points.columns:  # one contiguous row range per kind
        order = pd.Categorical(points["kind"], categories=list(KINDS)).codes
        points = points.iloc[np.argsort(np.where(order < 0, len(KINDS), order), kind="stable")]
    columns = _plain_columns(points)
    ids = pd.Index(columns["id"] if "id" in points.columns else points.index.astype(str))
    if not ids.is_unique:
        raise ValueError("Record ids must be unique to build the marker table.")
    geoms = points.geometry.to_numpy()
    lat, lon = np.round(shapely.get_y(geoms), 5), np.round(shapely.get_x(geoms), 5)
    approx = [int(p == "state") for p in columns["location_precision"]]
    escaped = [html.escape(name or "(unnamed)") for name in columns["name"]]
    parts = [_factorised(columns, names, fragment) for names, fragment in _PARTS]
    binary = None
    if len(ids) > LARGE_POINTS and not inline:
        content, layout = encode_points(lon, lat, approx, [part.pop("codes") for part in parts])
        binary = {"points": content, "names": encode_names(escaped)}
        data = {"layout": layout, "parts": parts, "points": None, "names": None}  # URLs: once published
    else:
        data = {"lat": lat.tolist(), "lon": lon.tolist(), "approx": approx, "name": escaped, "parts": parts}
    kinds = np.asarray(columns["kind"], dtype=object)
    ranges = {}
    for kind in KINDS:
        rows = np.flatnonzero(kinds == kind)
        ranges[kind] = (int(rows[0]), int(rows[-1]) + 1) if rows.size else (0, 0)
    return MarkerTable(ids=ids, ranges=ranges, data=data, binary=binary)


def popup_html(record: Mapping) -> str:
    """The popup of one record (a mapping of records-frame columns): what the runtime shows."""
    values = {c: _plain(record.get(c), text=c in _TEXT) for c in (*_TEXT, *_NUMBERS)}
    parts = [fragment(*(values[c] for c in names)) for names, fragment in _PARTS]
    name = html.escape(values["name"] or "(unnamed)")
    return f'<div class="atlas-popup"><h3>{name}</h3>{parts[0]}<dl>{"".join(parts[1:])}</dl></div>'


# --------------------------------------------------------------------------- popup parts


def _item(label: str, text: str) -> str:
    return f"<dt>{label}</dt><dd>{html.escape(text)}</dd>" if text else ""


def _kind_part(kind: str, project_type: str) -> str:
    if kind == "project":
        text = f"Project \u2014 {project_type}" if project_type else "Project"
    else:
        text = "Cluster" if kind == "cluster" else kind
    return f'<div class="atlas-kind">{html.escape(text)}</div>'


def _sector_part(sector: str, raw: str) -> str:
    if raw and raw.casefold() != sector.casefold():
        text = f"{sector} (as written in the source: {raw})" if sector else raw
    else:
        text = sector
    return _item("Sector", text)


def _where_part(place: str, state: str, precision: str, related: str) -> str:
    where = ", ".join(part for part in (place, state) if part)
    how = PRECISION_TEXT.get(precision, "")
    lines = [f"{where} \u2014 {how}" if where and how else where or how]
    if related:
        lines.append(f"Also involves: {related}")
    return _item("Where", "\n".join(line for line in lines if line))


def _year_part(year, basis: str) -> str:
    if year is None:
        return _item("Year", "Year unknown")
    return _item("Year", f"{int(year)} ({BASIS_TEXT.get(basis, 'basis not stated')})")


def _label_part(label: str, valid_until: str) -> str:
    if not label:
        return ""
    return _item(
        "Label", f"ECEI {label}, valid until {valid_until}" if valid_until else f"ECEI {label} (validity not stated)"
    )


def _figures_part(figures, members, companies, jobs, exports, exports_unit, invest, invest_unit):
    if figures:
        return _item("Figures", figures)  # as stated, with qualifiers and units
    counts = ((members, "members"), (companies, "companies"), (jobs, "jobs"))
    amounts = ((exports, exports_unit, "Exports"), (invest, invest_unit, "Investment"))
    lines = [f"{int(v):,} {label}" for v, label in counts if v is not None]
    lines += [f"{label}: {v:,.6g} {unit}".rstrip() for v, unit, label in amounts if v is not None]
    return _item("Figures", "\n".join(lines))


def _source_part(source: str) -> str:
    return _item("Source", "\n".join(source_labels(source)))


def _notes_part(notes: str) -> str:
    return _item("Notes", notes)


_PARTS: tuple[tuple[tuple[str, ...], Callable[..., str]], ...] = (
    (("kind", "project_type"), _kind_part),  # first: shown above the list
    (("sector", "sector_raw"), _sector_part),
    (("place", "state", "location_precision", "related_states"), _where_part),
    (("year", "year_basis"), _year_part),
    (("label", "label_valid_until"), _label_part),
    (_FIGURE_COLUMNS, _figures_part),
    (("source",), _source_part),
    (("notes",), _notes_part),
)


# --------------------------------------------------------------------------- private steps


def _check(records, kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"Unknown kind {kind!r}; use one of: {', '.join(KINDS)}.")
    if not isinstance(records, gpd.GeoDataFrame):
        raise TypeError(f"markers() needs a GeoDataFrame of records, got {type(records)!r}.")
    if records.crs is not None and not records.crs.equals("EPSG:4326"):
        raise ValueError(f"The records frame must be in EPSG:4326, not {records.crs.to_string()}.")
    missing = [c for c in ("name", "kind") if c not in records.columns]
    if missing:
        raise ValueError(
            f"The records frame lacks column(s) {', '.join(missing)}; pass the frame from geo.seeds.load_records()."
        )


def _has_point(records: gpd.GeoDataFrame) -> np.ndarray:
    geoms = records.geometry.to_numpy()
    ok = ~pd.isna(geoms)
    ok[ok] = shapely.get_type_id(geoms[ok]) == 0  # 0 = Point
    ok[ok] = ~shapely.is_empty(geoms[ok])
    ok[ok] = np.isfinite(shapely.get_x(geoms[ok])) & np.isfinite(shapely.get_y(geoms[ok]))
    return ok


def _selection(table: MarkerTable, records, kind: str) -> list:
    """[start, stop, bits]: the kind's table rows, and a base64 bitmask (little-endian bits,
    bit i = row start + i) of those to show, or None when all of them are shown."""
    if "id" not in records.columns:
        raise ValueError("With a marker table, the records frame needs its `id` column.")
    start, stop = table.ranges[kind]
    positions = table.ids.get_indexer(records["id"].astype(str))
    positions = positions[(positions >= start) & (positions < stop)]  # no point: not in table
    mask = np.zeros(stop - start, dtype=bool)
    mask[positions - start] = True
    if mask.all():
        return [start, stop, None]
    bits = np.packbits(mask, bitorder="little").tobytes()
    return [start, stop, base64.b64encode(bits).decode("ascii")]


def _plain(value, *, text: bool):
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "" if text else None
    return str(value).strip() if text else value


def _plain_columns(frame: pd.DataFrame) -> dict[str, list]:
    """Columns as Python lists; missing text is "", missing numbers None; absent columns empty."""
    n = len(frame)
    columns = {}
    for column in _TEXT:
        if column in frame.columns:
            values = frame[column].astype(object).where(frame[column].notna(), "")
            columns[column] = [str(v).strip() for v in values]
        else:
            columns[column] = [""] * n
    for column in _NUMBERS:
        if column in frame.columns:
            values = frame[column].astype(object).where(frame[column].notna(), None).tolist()
            columns[column] = [None if _is_nan(v) else v for v in values]
        else:
            columns[column] = [None] * n
    return columns


def _is_nan(value) -> bool:
    return isinstance(value, float) and np.isnan(value)


def _factorised(columns: dict[str, list], names: tuple[str, ...], fragment) -> dict:
    """One popup part: each distinct fragment once (`values`) and a code per row (`codes`)."""
    index: dict[tuple, int] = {}
    codes = [index.setdefault(key, len(index)) for key in zip(*(columns[n] for n in names), strict=True)]
    return {"values": [fragment(*key) for key in index], "codes": codes}
