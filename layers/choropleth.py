"""The states choropleth and Mexico's outline, as folium FeatureGroups.

A layer ships its *view* (fill colour and counts per state, escaped text) and the URL of the
states' GeoJSON published at start-up (`states_geometry()` is what `layers.assets` publishes; ids
are the state codes). The atlas runtime (see layers/runtime.py) draws the polygons
with a style *function*, so the hover highlight's mouseout restores the class colour (a style
stored in the features' properties would be lost), and builds each tooltip from escaped text.

Not folium.GeoJson: it can only reference external data through jQuery's $.ajax (which the
offline atlas does not ship) after downloading that data in Python, and otherwise re-sends the
whole geometry with every filter change (~225 kB for the web-resolution states).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geo.i18n import DEFAULT, Translator, translator
from geo.sectors import SECTORS  # display order
from geo.view import BASE36
from layers.runtime import AtlasCall
from layers.style import (
    COMPARED_STYLE,
    HIGHLIGHT_STYLE,
    NODATA_LABEL,
    NODATA_STYLE,
    OUTLINE_COLOR,
    RANGE_DASH,
    SELECTED_STYLE,
    STATE_STYLE,
    Classes,
)

COUNT_COLUMNS = ("clusters", "projects", "records")
COORDINATE_DECIMALS = 5  # ~1 m: invisible at any zoom we allow, ~40% less GeoJSON
STATES_LAYER = "States"
OUTLINE_LAYER = "Mexico outline"
# The map runtime's words (tooltips, the "Copy link" button), sent with the states' view as templates
RUNTIME_MESSAGES = (
    "tip.counts", "tip.nodata", "tip.more.one", "tip.more.other", "tip.records.one", "tip.records.other",
    "copy.button", "copy.title", "copy.done", "copy.prompt",
)  # fmt: skip
TIP_MAX_SECTORS = 8  # the largest sectors listed in a tooltip; the rest are summed on one line
OUTLINE_STYLE = {"color": OUTLINE_COLOR, "weight": 2.5, "opacity": 1.0, "fill": False}
STEP_SLIDERS = ("year", "years")  # the page's slider keys (app.py) whose values name a step
SECTOR_CONTROL = "sectors"  # the page's sector multiselect's key (app.py), whose taps Taps follow
STEP_NODATA = "-"  # a state with no value in a step's code string
STEP_CODES = BASE36  # palette positions in base 36 (the ramps hold 12 colours)


class Taps(NamedTuple):
    """What the map repaints from in the browser when a sector is tapped on the page's sector
    control (SECTOR_CONTROL): `values` has one column per selection one tap reaches, named by
    geo.view.sector_key (geo.view.tap_sectors), rows indexed by state code, in the legend's unit,
    each in its own `classes` (as the server's run would class it); `current` names this run's.
    `keys`, when given, name the selection each of the page's Shift+<key> shortcuts steps to
    (KeyboardEvent.key, e.g. "ArrowRight": a presenter's next sector)."""

    values: pd.DataFrame
    current: str
    classes: Mapping[str, Classes]
    keys: Mapping[str, str] | None = None


class Steps(NamedTuple):
    """What the map repaints from in the browser when the page's `slider` (a key of STEP_SLIDERS)
    moves: `values` has one column per slider value, named as the slider shows it ("2019", or
    "2004-2010" for a range), rows indexed by state code, in the metric's legend unit; `current`
    is the value this run shows. The runtime follows the user's own drags and key presses on the
    slider; with `playing` also playback's moves, one step forward at a time (a scene or a link
    that moves the slider changes other filters too: the server's run repaints those). `classes`,
    when given, are each value's own class breaks (a records' year range is classed alone, as the
    server's run would); otherwise every value is in the layer's. `titles`, when given, are each
    value's legend title (an export year's). With either, the runtime redraws the page's legend
    (style.legend_html) with the map, so colours and legend never disagree during a drag.
    `taps`, when given, are the sector control's steps, in the same years (and export year)."""

    slider: str
    values: pd.DataFrame
    current: str
    playing: bool = False
    classes: Mapping[str, Classes] | None = None
    titles: Mapping[str, str] | None = None
    taps: Taps | None = None


def choropleth(
    states: pd.DataFrame,
    *,
    metric: str,
    classes: Classes,
    sectors: Sequence[str] | None = None,
    selected: str | None = None,
    compared: Sequence[str] = (),
    metric_label: str | None = None,
    metric_text: Mapping[str, str] | None = None,
    steps: Steps | None = None,
    geometry_url: str,
    show: bool | None = None,
    tr: Translator | None = None,
) -> folium.FeatureGroup:
    """States coloured by `metric` in `classes`, highlighted on hover, with a tooltip giving the
    state's clusters/projects/records and its non-zero counts for `sectors`.

    `states` is `geo.join.state_counts(...)` (its geometry column, if any, is not used).
    `sectors` defaults to every sector column present.
    `selected` (a state name or code) gets a heavy outline, `compared` states a dashed one.
    `metric_text` (state code -> the metric as text, e.g. "Confidential") adds a line
    "`metric_label`: text" to each tooltip. `steps` (optional) are the fills of other slider
    values, in `classes`: the runtime repaints from them while the slider is dragged or a playback
    step starts, before the server's run arrives (tooltips wait for it). `geometry_url` is where the
    `states_geometry()` of the same states is published. `show` switches the layer on or off
    (None: as the user left it). `tr` gives the words of the tooltips and the layer's name
    (English by default); state names stay as they are.
    """
    tr = tr or translator(DEFAULT)
    sectors = _sectors(states, sectors)
    _check_states(states, metric, sectors)
    view = _view(states, metric=metric, classes=classes, sectors=sectors, selected=selected, tr=tr)
    ids = _ids(states)
    view["compared"] = [_selected_id(states, ids, state) for state in compared]
    view["comparedStyle"] = COMPARED_STYLE
    if metric_text is not None:
        view["metricLabel"] = html.escape(metric_label or metric)
        for fid in ids:
            view["info"][fid].append(html.escape(str(metric_text.get(fid, ""))))
    if steps is not None:
        if steps.taps is not None and sectors != SECTORS:  # the runtime reads a tapped sector's place in view.sectors
            raise ValueError("Sector taps need the layer's sectors to be geo.sectors.SECTORS, in that order.")
        view["steps"] = step_fills(steps, classes, ids, nodata_label=tr.t("legend.nodata"))
    name = tr.t("layer.states")
    group = folium.FeatureGroup(name=name, control=True)
    AtlasCall("states", src=geometry_url, view=view, layer=name, show=show).add_to(group)
    return group


def step_fills(steps: Steps, classes: Classes, ids: Sequence[str], *, nodata_label: str = NODATA_LABEL) -> dict:
    """`steps` for the runtime, compact (a filter change sends them): {slider, current, playing,
    ids, palette, values (the slider values), pick (per value, its look's number), fills (each
    distinct look's fills in turn: one character per state of `ids`, its colour's position in
    `palette` (STEP_CODES) or STEP_NODATA; many values look alike, e.g. ranges differing only
    by years without records)}. Each value is in its own `steps.classes` when given, else in
    `classes`; with either those or taps, also legends (a look in `classes` has no row: the page's
    legend stays): {parts (the class bounds as written), dash (style.RANGE_DASH),
    nodata (the "no data" row's words), rows: per look [its classes' colours as palette codes,
    their labels (each a bound's position in parts, or two positions for "low" dash "high": bounds
    repeat from class to class and look to look, and the dash is sent once, not escaped in every
    label), whether it has the "no data" row]}; with `steps.titles`, titles (per value); with
    `steps.taps`, taps: {control (its key), current, values (the selections' keys), pick, keys
    (Shift+<key> -> a selection's key, when given)} into the same looks."""
    if steps.slider not in STEP_SLIDERS:
        raise ValueError(f"Unknown step slider {steps.slider!r}; use one of: {', '.join(STEP_SLIDERS)}.")
    for table in (steps.values, *([steps.taps.values] if steps.taps else [])):
        missing = sorted(set(ids) - set(table.index.astype(str)))
        if missing:
            raise ValueError(f"The steps lack state(s) {', '.join(missing[:5])}; index them by state code.")
    palette: list[str] = []
    parts: list[str] = []  # the legends' class bounds, as written

    def code(color: str) -> str:
        if color not in palette:
            palette.append(color)
        return STEP_CODES[palette.index(color)]

    def legend(own: Classes) -> tuple:
        return "".join(map(code, own.colors)), tuple(map(label_parts, own.labels)), own.has_nodata

    def part(text: str) -> int:
        if text not in parts:
            parts.append(text)
        return parts.index(text)

    def label_parts(label: str) -> int | tuple[int, ...]:
        at = tuple(part(text) for text in label.split(RANGE_DASH))
        return at[0] if len(at) == 1 else at

    looks: list[tuple[str, tuple | None]] = []  # (fills, legend row), each once

    def picks(values: pd.DataFrame, own_classes: Mapping[str, Classes] | None) -> tuple[list[str], list[int]]:
        table = values.set_axis(values.index.astype(str)).reindex(list(ids))
        names, pick = [str(value) for value in table.columns], []
        for value, column in zip(names, table.to_numpy(dtype=float, na_value=np.nan).T, strict=True):
            own = classes if own_classes is None else own_classes[value]
            colors = (own.color(_number(number)) for number in column.tolist())  # plain floats: fastest per state
            row = None if own_classes is None else legend(own)  # None: the layer's legend, as it is
            look = ("".join(STEP_NODATA if color is None else code(color) for color in colors), row)
            if look not in looks:
                looks.append(look)
            pick.append(looks.index(look))
        return names, pick

    values, pick = picks(steps.values, steps.classes)
    sent = {"slider": steps.slider, "current": steps.current, "playing": bool(steps.playing), "ids": list(ids),
            "palette": palette, "values": values, "pick": pick}  # fmt: skip
    if steps.taps is not None:
        keys, tapped = picks(steps.taps.values, steps.taps.classes)
        sent["taps"] = {"control": SECTOR_CONTROL, "current": steps.taps.current, "values": keys, "pick": tapped}
        if steps.taps.keys:
            sent["taps"]["keys"] = dict(steps.taps.keys)
    sent["fills"] = "".join(codes for codes, _ in looks)
    if steps.classes is not None or steps.taps is not None:
        sent["legends"] = {"parts": parts, "dash": RANGE_DASH, "nodata": nodata_label,
                           "rows": [row for _, row in looks]}  # fmt: skip
    if steps.titles is not None:
        sent["titles"] = [steps.titles[value] for value in values]
    return sent


def states_geometry(states: gpd.GeoDataFrame) -> dict:
    """The states as a compact GeoJSON FeatureCollection: id = state code, properties `state`
    and, when the frame has an `abbr` column, `abbr` with its `label` point ([lat, lon] inside
    the state) and `area` for the map's state labels."""
    ids = _ids(states)
    geoms = _round(states.geometry.to_numpy())
    names = states["state"].astype(str) if "state" in states.columns else ids
    abbrs = states["abbr"].astype(str) if "abbr" in states.columns else [None] * len(ids)
    return _collection(
        {"type": "Feature", "id": fid, "properties": _properties(name, abbr, geom), "geometry": geom}
        for fid, name, abbr, geom in zip(ids, names, abbrs, geoms, strict=True)
    )


def _properties(name: str, abbr: str | None, geom) -> dict:
    properties = {"state": str(name)}
    if abbr and geom is not None and not geom.is_empty:
        point = geom.representative_point()
        area = round(float(geom.area), 4)  # square degrees: which label wins where two would overlap
        properties.update(abbr=html.escape(abbr), label=[round(point.y, 4), round(point.x, 4)], area=area)
    return properties


def country_outline_layer(*, url: str) -> folium.FeatureGroup:
    """Mexico's outline (no fill, not interactive), for a clean look without tiles, drawn from
    the `url` of its published `outline_geometry()`."""
    group = folium.FeatureGroup(name=OUTLINE_LAYER, control=False)
    AtlasCall("outline", src=url, style=OUTLINE_STYLE).add_to(group)
    return group


def outline_geometry(geom) -> dict:
    """The outer boundary of `geom` as a one-feature GeoJSON FeatureCollection."""
    boundary = _round(np.array([_as_geometry(geom).boundary], dtype=object))[0]
    return _collection([{"type": "Feature", "id": "mexico", "properties": {}, "geometry": boundary}])


def state_info(row, *, sectors: Sequence[str]) -> list:
    """Tooltip data for one state row (a mapping): escaped name, the three counts, and
    [sector position, count] for the non-zero sectors, largest first (ties in `sectors` order)."""
    by_sector = sorted(
        ((position, _number(row.get(sector))) for position, sector in enumerate(sectors) if _positive(row.get(sector))),
        key=lambda item: -item[1],
    )
    return [
        html.escape(str(row.get("state", ""))),
        *(_number(row.get(column)) for column in COUNT_COLUMNS),
        [list(item) for item in by_sector],
    ]


# --------------------------------------------------------------------------- private steps


def _sectors(states, sectors: Sequence[str] | None) -> tuple[str, ...]:
    if sectors is not None:
        return tuple(sectors)
    return tuple(sector for sector in SECTORS if sector in states.columns)


def _check_states(states, metric: str, sectors: Sequence[str]) -> None:
    if not isinstance(states, pd.DataFrame):  # the geometry is not needed: the map draws the published copy
        raise TypeError(f"choropleth() needs a table of states, got {type(states)!r}.")
    crs = getattr(states, "crs", None)  # a GeoDataFrame's; the cached counts have no geometry
    if crs is not None and not crs.equals("EPSG:4326"):
        raise ValueError(f"The states frame must be in EPSG:4326, not {crs.to_string()}.")
    missing = [c for c in ("state", *COUNT_COLUMNS, *sectors) if c not in states.columns]
    if missing:
        raise ValueError(
            f"The states frame lacks column(s) {', '.join(map(repr, missing))}; "
            "pass the frame from geo.join.state_counts()."
        )
    if metric not in states.columns or not pd.api.types.is_numeric_dtype(states[metric]):
        numeric = [c for c in states.columns if pd.api.types.is_numeric_dtype(states[c])]
        raise ValueError(f"Unknown metric {metric!r}; use one of: {', '.join(numeric)}.")


def _view(states, *, metric: str, classes: Classes, sectors, selected, tr: Translator) -> dict:
    ids = _ids(states)
    rows = states[["state", *COUNT_COLUMNS, *sectors]].to_dict("records")
    return {
        "fills": {fid: classes.color(_number(v)) for fid, v in zip(ids, states[metric], strict=True)},
        "info": {fid: state_info(row, sectors=sectors) for fid, row in zip(ids, rows, strict=True)},
        "sectors": [html.escape(tr.sector(sector)) for sector in sectors],
        "maxSectors": TIP_MAX_SECTORS,
        "none": html.escape(tr.t("tip.none")),
        "msg": {key: html.escape(text) for key, text in tr.js_messages(RUNTIME_MESSAGES).items()},
        "locale": tr.bcp47,
        "base": STATE_STYLE,
        "nodata": NODATA_STYLE,
        "highlight": HIGHLIGHT_STYLE,
        "selected": _selected_id(states, ids, selected),
        "selectedStyle": SELECTED_STYLE,
    }


def _ids(states) -> list[str]:
    ids = (
        states["state_code"].astype(str).tolist() if "state_code" in states.columns else [str(i) for i in states.index]
    )
    if len(set(ids)) != len(ids):
        raise ValueError("State codes must be unique to colour each state.")
    return ids


def _selected_id(states, ids: list[str], selected: str | None) -> str | None:
    if selected is None or selected == "":
        return None
    if selected in ids:
        return selected
    names = states["state"].astype(str).tolist()
    if selected in names:
        return ids[names.index(selected)]
    raise ValueError(f"Unknown selected state {selected!r}; use a name or code from the frame.")


def _collection(features) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {**feature, "geometry": mapping(feature["geometry"])}
            for feature in features
            if feature["geometry"] is not None and not feature["geometry"].is_empty
        ],
    }


def _round(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.round(xy, COORDINATE_DECIMALS))


def _as_geometry(geom) -> BaseGeometry:
    if isinstance(geom, BaseGeometry):
        return geom
    if isinstance(geom, gpd.GeoDataFrame):
        geom = geom.geometry
    if isinstance(geom, gpd.GeoSeries):
        return geom.union_all()
    raise TypeError(f"Need a shapely geometry or a GeoSeries, got {type(geom)!r}.")


def _number(value):
    """A count as a JSON number (int when whole), None when missing."""
    if value is None or value is pd.NA or pd.isna(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else value


def _positive(value) -> bool:
    number = _number(value)
    return number is not None and number > 0
