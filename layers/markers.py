"""Clusters and projects as clustered point layers, one toggleable FeatureGroup per kind.

Symbols: clusters are squares, projects diamonds (shape first, colour second); a hollow symbol
means the point is only the state's representative point. Leaflet.markercluster groups nearby
symbols; a group whose records all share one point (many records sit on their state's anchor)
spiderfies when clicked, at any zoom.

Data: a *marker table* holds, for every record with a point, its coordinates, escaped name and
popup. Popups are stored as parts (kind, sector, where, year, label, figures, source, notes), each part
an escaped HTML fragment stored once per distinct value plus a code per record, so 100,000 rows
that share sectors, states and sources stay small. The table is the same for every language: its
words are *word tokens*, `<w k="popup.year.founded" year="2004"></w>` (a catalogue key and its
escaped values; `name.k="key"` names a catalogue key for a value, e.g. a sector's label), which
the runtime fills from the `words` each markers call sends in the session's language
(`popup_words()`, the same fill as `fill_words()` here). Escaped data never holds `<` or `"`, so
no data can look like a token; names, figures, notes and citations stay as written. The atlas
runtime builds markers and popups (on click) from the table, published once at start-up
(`layers.assets.publish_map_data`); `markers()` sends only which rows to show: the table is
sorted by kind, so that is the kind's row range plus a bitmask over it (nothing when all are
shown): at most ~17 kB for 100,000 records, a few dozen bytes for the seeds.

Large tables (more than LARGE_POINTS points, i.e. the benchmark's synthetic points; the seeds have
a few hundred) take another path in the browser: coordinates, codes and names go into binary
files (`layers/points.py`), and a Web Worker groups the selected points per screen cell for the
current view, drawn on one canvas (the runtime's `points` layer). Same `markers()` call, same
selection; no spiderfy and no hover tooltip there (docs/performance.md).
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from babel import Locale

from geo.documents import source_labels
from geo.i18n import DEFAULT, Translator, translator
from geo.schema import PROJECT_TYPES
from geo.sectors import SECTORS
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
PRECISIONS = ("city", "state", "none")  # location_precision values with words in the catalogue
BASES = ("founded", "started", "announced", "reported")  # year_basis values with words
# The catalogue keys of the popups' words (plurals by their base), sent with every markers call
POPUP_MESSAGES = (
    "popup.unnamed", "popup.cluster", "popup.project", "popup.project.type", "popup.sector", "popup.sector.raw",
    "popup.sector.value", "popup.where", "popup.also", "popup.year", "popup.year.unknown",
    "popup.year.unstated", "popup.label", "popup.label.until", "popup.label.unstated", "popup.figures",
    "popup.members.one", "popup.members.other", "popup.companies.one", "popup.companies.other",
    "popup.jobs.one", "popup.jobs.other", "popup.exports", "popup.investment", "popup.source", "popup.notes",
    "popup.more",
    *(f"popup.where.{p}" for p in PRECISIONS), *(f"popup.precision.{p}" for p in PRECISIONS),
    *(f"popup.year.{b}" for b in BASES),
    *(f"sector.{s}" for s in SECTORS), *(f"kind.{t}" for t in PROJECT_TYPES),
)  # fmt: skip
_TOKEN = re.compile(r'<w k="([^"]+)"((?: [\w.]+="[^"]*")*)></w>')
_ATTR = re.compile(r' (\w+)(\.k)?="([^"]*)"')
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
    # the table row of each record of the frame it was built from (-1: no point), so that
    # `markers(rows=...)` selects by position: matching a million id strings takes ~0.4 s
    record_rows: np.ndarray | None = None
    # language -> URL of its popup_words(), once published: a run then names the file instead of
    # sending ~2.8 kB of words per kind (the browser fetches each language once)
    words: Mapping[str, str] | None = None

    @property
    def large(self) -> bool:
        """Whether the table is binary and drawn by the runtime's points worker."""
        return len(self.ids) > LARGE_POINTS

    def published(self, url: str, words: Mapping[str, str] | None = None) -> MarkerTable:
        """The same table, served from `url`, with its words per language at `words` (language ->
        URL); the data is dropped (the browser fetches it)."""
        return replace(self, url=url, data=None, binary=None, words=dict(words or {}))


def markers(
    records: gpd.GeoDataFrame,
    *,
    kind: str,
    table: MarkerTable,
    show: bool | None = None,
    name: str | None = None,
    tr: Translator | None = None,
    rows: np.ndarray | None = None,
) -> folium.FeatureGroup:
    """The records of one `kind` ("cluster" or "project") as a clustered, toggleable layer.

    `table` is the published `marker_table()` of all records; `records` only selects which of its
    rows to show, by `id` (rows without a point are not in the table), or, when given, `rows`
    does: the shown records' positions in the frame the table was built from (`records` is then
    only checked; geo.join.matching_rows gives them without matching ids).
    The group is returned even when empty, so layer order and layer control stay the same.
    `show` switches the layer on or off (None: as the user left it); `name` is its name in the
    layer control (default: the English KIND_LABELS); `tr` the popups' language (default English).
    """
    _check(records, kind)
    if table.url is None:
        raise ValueError("markers() needs a published marker table (layers.assets.publish_map_data).")
    name = name or KIND_LABELS[kind]
    group = folium.FeatureGroup(name=name, control=True)
    AtlasCall(
        "markers",
        src=table.url,
        selection=_selection(table, records, kind, rows),
        kind=kind,
        size=PIN_SIZE[kind],
        clusterOptions=CLUSTER_OPTIONS,
        layer=name,
        minZoom=MIN_ZOOM,
        show=show,
        large=table.large,
        words=_words(table, tr or translator(DEFAULT)),
    ).add_to(group)
    return group


def upload_markers(
    table: MarkerTable, *, label: str, key: str, show: bool | None = None, tr: Translator | None = None
) -> folium.FeatureGroup:
    """A user's own rows (geo.upload) as one clustered, toggleable layer with its own symbol,
    shown at every zoom. Its `marker_table()` is the session's, so it travels with the run instead
    of being published; `key` (the file's digest) lets the runtime reuse the clustered markers
    while the file stays the same. Names and popups are escaped as the records' are; `tr` gives
    the popups' words (default English)."""
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
        words=popup_words(tr or translator(DEFAULT)),
    ).add_to(group)
    return group


def marker_table(records: gpd.GeoDataFrame, *, inline: bool = False) -> MarkerTable:
    """The marker table of every record in `records` that has a point (any kind); binary above
    LARGE_POINTS unless `inline` (a table sent with the run, as a user's file is: JSON whatever its size)."""
    source = np.flatnonzero(_has_point(records))
    if "kind" in records.columns:  # one contiguous row range per kind
        order = pd.Categorical(records["kind"].iloc[source], categories=list(KINDS)).codes
        source = source[np.argsort(np.where(order < 0, len(KINDS), order), kind="stable")]
    points = records.iloc[source]
    record_rows = np.full(len(records), -1, dtype=np.int32)
    record_rows[source] = np.arange(len(source), dtype=np.int32)
    columns = _plain_columns(points)
    ids = pd.Index(columns["id"] if "id" in points.columns else points.index.astype(str))
    if not ids.is_unique:
        raise ValueError("Record ids must be unique to build the marker table.")
    geoms = points.geometry.to_numpy()
    lat, lon = np.round(shapely.get_y(geoms), 5), np.round(shapely.get_x(geoms), 5)
    approx = [int(p == "state") for p in columns["location_precision"]]
    escaped = [html.escape(name) if name else _w("popup.unnamed") for name in columns["name"]]
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
    return MarkerTable(ids=ids, ranges=ranges, data=data, binary=binary, record_rows=record_rows)


def popup_html(record: Mapping, tr: Translator | None = None) -> str:
    """The popup of one record (a mapping of records-frame columns) in `tr`'s language (default
    English): what the runtime shows."""
    values = {c: _plain(record.get(c), text=c in _TEXT) for c in (*_TEXT, *_NUMBERS)}
    parts = [fragment(*(values[c] for c in names)) for names, fragment in _PARTS]
    name = html.escape(values["name"]) if values["name"] else _w("popup.unnamed")
    raw = f'<div class="atlas-popup"><h3>{name}</h3>{parts[0]}<dl>{"".join(parts[1:])}</dl></div>'
    return fill_words(raw, popup_words(tr or translator(DEFAULT)))


def _words(table: MarkerTable, tr: Translator) -> str | dict:
    """The popups' words for a markers call: the URL of the language's published file, else the words."""
    return (table.words or {}).get(tr.lang) or popup_words(tr)


def popup_words(tr: Translator) -> dict:
    """The popups' words in `tr`'s language, as the runtime takes them: `msg` (escaped key ->
    escaped template, the catalogue's POPUP_MESSAGES) and `locale` (for the plural rule)."""
    messages = tr.js_messages(POPUP_MESSAGES)
    return {"msg": {html.escape(k): html.escape(text) for k, text in messages.items()}, "locale": tr.bcp47}


def fill_words(fragment: str, words: Mapping) -> str:
    """`fragment` with its word tokens replaced by `words`' templates, as the runtime's fillWords():
    a token with an `n` value takes the key's plural form for n; a `name.k` value is the message
    of that key, else the plain `name` value."""
    msg = words["msg"]
    locale = Locale.parse(words["locale"], sep="-")

    def token(match: re.Match) -> str:
        key, values = match[1], {}
        for name, ref, value in _ATTR.findall(match[2]):
            if ref:
                values[f"{name}.k"] = value
            else:
                values[name] = value
        values = {n: msg.get(values.get(f"{n}.k"), v) for n, v in values.items() if not n.endswith(".k")}
        if "n" in values:
            key += ".one" if locale.plural_form(int(values["n"])) == "one" else ".other"
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], m[0]), msg[key]).strip()

    return _TOKEN.sub(token, fragment)


# --------------------------------------------------------------------------- popup parts


def _w(key: str, **values) -> str:
    """A word token: catalogue `key` with escaped `values` (`x__k=` is written `x.k`: the key of value x)."""
    attrs = "".join(f' {name.replace("__", ".")}="{html.escape(str(v))}"' for name, v in values.items())
    return f'<w k="{key}"{attrs}></w>'


def _item(label: str, text: str) -> str:
    return f"<dt>{_w(label)}</dt><dd>{text}</dd>" if text else ""


def _kind_part(kind: str, project_type: str) -> str:
    if kind == "project" and project_type:
        text = _w("popup.project.type", type=project_type, type__k=f"kind.{project_type}")
    elif kind in KINDS:
        text = _w(f"popup.{kind}")
    else:
        text = html.escape(kind)
    return f'<div class="atlas-kind">{text}</div>'


def _sector_part(sector: str, raw: str) -> str:
    label = {"sector": sector, "sector__k": f"sector.{sector}"}
    if raw and raw.casefold() != sector.casefold():
        text = _w("popup.sector.raw", **label, raw=raw) if sector else html.escape(raw)
    else:
        text = _w("popup.sector.value", **label) if sector else ""
    return _item("popup.sector", text)


def _where_part(place: str, state: str, precision: str, related: str) -> str:
    where = ", ".join(part for part in (place, state) if part)
    known = precision in PRECISIONS
    if where and known:
        line = _w(f"popup.where.{precision}", where=where)
    else:
        line = _w(f"popup.precision.{precision}") if known else html.escape(where)
    lines = [line, _w("popup.also", states=related) if related else ""]
    return _item("popup.where", "\n".join(line for line in lines if line))


def _year_part(year, basis: str) -> str:
    if year is None:
        return _item("popup.year", _w("popup.year.unknown"))
    key = f"popup.year.{basis}" if basis in BASES else "popup.year.unstated"
    return _item("popup.year", _w(key, year=int(year)))


def _label_part(label: str, valid_until: str) -> str:
    if not label:
        return ""
    if valid_until:
        return _item("popup.label", _w("popup.label.until", label=label, until=valid_until))
    return _item("popup.label", _w("popup.label.unstated", label=label))


def _figures_part(figures, members, companies, jobs, exports, exports_unit, invest, invest_unit):
    if figures:
        return _item("popup.figures", html.escape(figures))  # as stated, with qualifiers and units
    counts = ((members, "popup.members"), (companies, "popup.companies"), (jobs, "popup.jobs"))
    amounts = ((exports, exports_unit, "popup.exports"), (invest, invest_unit, "popup.investment"))
    # Digits from Python: grouped as es-MX and zh-CN group them too (1,374)
    lines = [_w(key, n=int(v), count=f"{int(v):,}") for v, key in counts if v is not None]
    lines += [_w(key, amount=f"{v:,.6g}", unit=unit) for v, unit, key in amounts if v is not None]
    return _item("popup.figures", "\n".join(lines))


def _source_part(source: str) -> str:
    return _item("popup.source", html.escape("\n".join(source_labels(source))))


def _notes_part(notes: str) -> str:
    return _item("popup.notes", html.escape(notes))


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


def _selection(table: MarkerTable, records, kind: str, rows: np.ndarray | None = None) -> list:
    """[start, stop, bits]: the kind's table rows, and a base64 bitmask (little-endian bits,
    bit i = row start + i) of those to show, or None when all of them are shown. The rows are
    found from `rows` (positions in the table's own frame) when given, else by id."""
    start, stop = table.ranges[kind]
    if rows is not None:
        if table.record_rows is None:
            raise ValueError("Selecting by position needs a marker table built by marker_table().")
        if len(rows) and (rows.min() < 0 or rows.max() >= len(table.record_rows)):
            raise ValueError(f"Row positions must lie in 0..{len(table.record_rows) - 1}: the table's own frame.")
        positions = table.record_rows[rows]
    elif "id" not in records.columns:
        raise ValueError("With a marker table, the records frame needs its `id` column.")
    else:
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
