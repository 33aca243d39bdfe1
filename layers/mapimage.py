"""The analyst's map as an image: PNG, SVG or PDF for a report or a slide ("Export this view").

`render_map(states, values, classes, title=..., ...) -> bytes` draws the view the screen shows:
the same classes and colours (`layers.style.Classes`), the legend with every class label and the
zero / no-data rows, the selected state's heavy outline, the optional cluster and project points
(squares and diamonds in the screen's colours), an inset on the Valle de México so the small
central states can be read, state abbreviations where they fit, and a footer with the sources
line, the date and the link that reopens the view.

Decisions:
- Drawn on the server with matplotlib's object API (`Figure`, never `pyplot`: no global figure
  registry, no backend switch) from shapely geometry turned into matplotlib paths; no tiles, no
  network. matplotlib is imported inside the functions that draw, so importing this module (and
  the app) does not pay for it.
- Projected to EPSG:6372 (Mexico ITRF2008 / LCC, conformal, the projection INEGI maps use).
- Deterministic: the same arguments give the same bytes. No clock is read (the date is an
  argument); PNG/SVG/PDF metadata that would carry a time or a version is dropped, SVG ids use a
  fixed hash salt, and every matplotlib setting comes from `_RC` inside an `rc_context`, so the
  process's own matplotlib settings neither change nor leak in.
- Text stays text: SVG `<text>` elements (`svg.fonttype: none`) and embedded TrueType in PDF
  (`pdf.fonttype: 42`) so titles, labels and sources can be searched, copied and extracted.
  Math parsing is off: a `$` in a title is a dollar sign.
- The font is DejaVu Sans, shipped with matplotlib, so the layout does not depend on the machine.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date as _date
from typing import TYPE_CHECKING, NamedTuple

import geopandas as gpd
import pandas as pd
import shapely
import shapely.ops
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from layers import style

if TYPE_CHECKING:  # matplotlib is imported lazily (see the module docstring)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class Size(NamedTuple):
    """A page size in inches, and what it is for."""

    width: float
    height: float
    label: str


SIZES = {
    "slide": Size(40 / 3, 7.5, "16:9 slide, 13.333 x 7.5 in"),
    "a4": Size(297 / 25.4, 210 / 25.4, "A4 landscape, 297 x 210 mm"),
}
DPI = 150  # PNG only; SVG and PDF are vector (their size is the page size in inches)
IMAGE_FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}

PROJECTION = "EPSG:6372"  # Mexico ITRF2008 / LCC
# The Valle de México inset: its extent is these states' bounds (CDMX, Estado de México, Morelos,
# Querétaro, Tlaxcala), padded; most of Hidalgo and western Puebla show too.
INSET_STATES = ("09", "15", "17", "22", "29")
INSET_PAD = 0.04  # of the extent's larger side
INSET_TITLE = "Valle de México"
FONT = "DejaVu Sans"
SVG_HASH_SALT = "mexico-cluster-atlas"

_MARGIN = 0.3  # inches around the page
_PANEL = 3.7  # inches for the legend column on the right
_TEXT_COLOR = "#1a1a1a"
_MUTED = "#4d4d4d"
_OCEAN = style.BACKGROUND_COLOR
_INSET_COLOR = "#c0392b"  # the inset's frame and its box on the main map


@dataclass(frozen=True)
class _Type:
    """Font sizes (points) for one page size."""

    title: float
    legend_title: float
    legend: float
    note: float
    footer: float
    label: float
    label_small: float


_TYPE = {
    "slide": _Type(title=24, legend_title=15, legend=13, note=11, footer=9, label=9, label_small=7),
    "a4": _Type(title=21, legend_title=14, legend=12, note=10, footer=8.5, label=8.5, label_small=6.5),
}

_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "text.color": _TEXT_COLOR,
    "text.parse_math": False,
    "text.usetex": False,
    "axes.unicode_minus": True,
    "svg.fonttype": "none",
    "svg.hashsalt": SVG_HASH_SALT,
    "svg.image_inline": True,
    "pdf.fonttype": 42,
    "pdf.compression": 6,
    "path.simplify": False,
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "savefig.transparent": False,
    "savefig.bbox": None,
    "savefig.pad_inches": 0,
    "legend.frameon": False,
    "hatch.linewidth": 0.5,
}
_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def render_map(
    states: gpd.GeoDataFrame,
    values: pd.Series,
    classes: style.Classes,
    *,
    title: str,
    legend_title: str,
    sources: str,
    link: str,
    date: str,
    size: str = "slide",
    fmt: str = "png",
    selected: str | None = None,
    notes: Sequence[str] = (),
    points: gpd.GeoDataFrame | None = None,
    zero_label: str = style.ZERO_LABEL,
) -> bytes:
    """The map as PNG, SVG or PDF bytes (see the module docstring for what it shows).

    `values` is the metric per state, aligned to `states` (same index, or a plain sequence in
    the same order); NaN is no data. `classes` must be the screen's `style.classify(values)`.
    `selected` is a state name, code or abbreviation; `date` an ISO date (YYYY-MM-DD), printed
    as given; `points` has a `kind` column ("cluster"/"project") and may have
    `location_precision` ("city" draws a solid symbol, anything else a hollow one).
    """
    _check_choice(size, SIZES, "size")
    _check_choice(fmt, IMAGE_FORMATS, "fmt")
    frame = _frame(states, values, selected)
    _check_date(date)
    marks = _points(points)
    import matplotlib

    with matplotlib.rc_context(_RC):
        figure = _draw(
            frame,
            classes,
            marks,
            size=size,
            title=title,
            legend_title=legend_title,
            zero_label=zero_label,
            sources=sources,
            link=link,
            date=date,
            notes=tuple(notes),
        )
        return _save(figure, fmt)


def pixel_size(size: str) -> tuple[int, int]:
    """Width and height in pixels of a PNG of `size` (matplotlib rounds inches x DPI down)."""
    _check_choice(size, SIZES, "size")
    page = SIZES[size]
    return int(page.width * DPI + 1e-6), int(page.height * DPI + 1e-6)


# --- checks ---


def _check_choice(value: str, allowed, what: str) -> None:
    if value not in allowed:
        raise ValueError(f"Unknown {what} {value!r}; use one of: {', '.join(allowed)}.")


def _check_date(text: str) -> None:
    try:
        _date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"date must be an ISO date such as 2026-12-02, got {text!r}.") from None


def _frame(states: gpd.GeoDataFrame, values, selected: str | None) -> gpd.GeoDataFrame:
    """The states in PROJECTION with their `value` and whether each is `selected`."""
    if not isinstance(states, gpd.GeoDataFrame):
        raise ValueError(f"states must be a GeoDataFrame, got {type(states).__name__}.")
    missing = [c for c in ("state_code", "state", "geometry") if c not in states.columns]
    if missing:
        raise ValueError(f"states lacks column(s) {', '.join(missing)}; see geo.boundaries.load_states().")
    if states.crs is None:
        raise ValueError("states has no CRS; expected EPSG:4326 as geo.boundaries.load_states() gives.")
    if len(values) != len(states):
        raise ValueError(
            f"values has {len(values)} entries but states has {len(states)} rows; pass one value per state."
        )
    if isinstance(values, pd.Series):
        if not values.index.equals(states.index):
            raise ValueError("values must have the same index as states (e.g. counts[metric] with counts = states).")
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=math.nan)
    else:
        numbers = pd.to_numeric(pd.Series(list(values)), errors="coerce").to_numpy(dtype=float, na_value=math.nan)
    frame = states.to_crs(PROJECTION)
    frame = frame.assign(value=numbers, selected=_selected(states, selected))
    if "abbr" not in frame.columns:
        frame["abbr"] = ""
    return frame


def _selected(states: gpd.GeoDataFrame, selected: str | None) -> list[bool]:
    if not selected:
        return [False] * len(states)
    columns = [c for c in ("state", "state_code", "abbr") if c in states.columns]
    hits = [False] * len(states)
    for column in columns:
        matches = states[column].astype(str).str.casefold() == selected.casefold()
        hits = [a or bool(b) for a, b in zip(hits, matches, strict=True)]
    if not any(hits):
        known = ", ".join(sorted(states["state"].astype(str)))
        raise ValueError(f"selected state {selected!r} is not among the states; use a name or code: {known}.")
    return hits


def _points(points: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if points is None or len(points) == 0:
        return None
    if "kind" not in points.columns:
        raise ValueError("points needs a 'kind' column with 'cluster' or 'project'.")
    unknown = sorted(set(points["kind"]) - set(style.KIND_COLOURS))
    if unknown:
        raise ValueError(f"points has unknown kind(s) {unknown}; use: {', '.join(style.KIND_COLOURS)}.")
    placed = points[points.geometry.notna() & ~points.geometry.is_empty]
    if points.crs is None:
        raise ValueError("points has no CRS; expected EPSG:4326 as the records frame has.")
    return placed.to_crs(PROJECTION) if len(placed) else None


# --- layout and drawing ---


@dataclass(frozen=True)
class _Layout:
    """Where things go, in inches from the page's bottom-left corner."""

    width: float
    height: float
    title_lines: tuple[str, ...]
    footer_lines: tuple[str, ...]
    map_box: tuple[float, float, float, float]  # left, bottom, width, height
    panel_left: float
    title_top: float
    footer_top: float


def _layout(size: str, title: str, footer: list[str], limits) -> _Layout:
    page, type_ = SIZES[size], _TYPE[size]
    title_lines = _wrap(title, page.width - 2 * _MARGIN, type_.title, factor=0.64)  # bold is wider
    title_height = len(title_lines) * type_.title * 1.3 / 72
    footer_height = len(footer) * type_.footer * 1.45 / 72
    top = page.height - _MARGIN - title_height - 0.15
    bottom = _MARGIN + footer_height + 0.15
    room_w, room_h = page.width - 2 * _MARGIN - _PANEL, top - bottom
    xmin, ymin, xmax, ymax = limits
    aspect = (ymax - ymin) / (xmax - xmin)
    width = min(room_w, room_h / aspect)
    height = width * aspect
    shift = (room_h - height) / 2  # a map narrower than its room: title, map and footer move together
    return _Layout(
        width=page.width,
        height=page.height,
        title_lines=tuple(title_lines),
        footer_lines=tuple(footer),
        map_box=(_MARGIN, top - shift - height, width, height),
        panel_left=_MARGIN + width + 0.25,
        title_top=page.height - _MARGIN - shift,
        footer_top=top - shift - height - 0.15,
    )


def _wrap(text: str, width_in: float, font_pt: float, *, factor: float = 0.56) -> list[str]:
    """`text` broken into lines that fit `width_in` at `font_pt` (DejaVu Sans averages ~0.56 em)."""
    chars = max(10, int(width_in * 72 / (font_pt * factor)))
    lines = []
    for paragraph in str(text).splitlines() or [""]:
        lines += textwrap.wrap(paragraph, chars, break_on_hyphens=False, break_long_words=False) or [""]
    return lines


def _footer(sources: str, date: str, link: str, size: str) -> list[str]:
    page, type_ = SIZES[size], _TYPE[size]
    width = page.width - 2 * _MARGIN
    lines = _wrap(sources, width, type_.footer)
    made = f"Made {date} with Mexico Cluster Atlas · Reopen this view: {link}"
    if len(_wrap(made, width, type_.footer)) == 1:
        return [*lines, made]
    return [*lines, f"Made {date} with Mexico Cluster Atlas · Reopen this view:", link]  # a link is never broken


def _draw(frame, classes, marks, *, size, title, legend_title, zero_label, sources, link, date, notes) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    page, type_ = SIZES[size], _TYPE[size]
    limits = _limits(frame)
    layout = _layout(size, title, _footer(sources, date, link, size), limits)
    figure = Figure(figsize=(page.width, page.height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)  # measures text for the layout; savefig switches to SVG/PDF as needed
    _text_block(figure, layout.title_lines, y=layout.title_top, size=type_.title, weight="bold", page=page)

    left, bottom, width, height = layout.map_box
    main = figure.add_axes((left / page.width, bottom / page.height, width / page.width, height / page.height))
    _map_axes(main, limits)
    _states(main, frame, classes, lw=0.6)
    _marks(main, marks, size=4.2)
    has_inset = frame["state_code"].isin(INSET_STATES).any()  # hand-made test frames may lack them
    inset_limits = _inset_extent(frame) if has_inset else None
    _labels(main, frame, classes, marks, type_, width_in=width, inset=inset_limits)
    _scale_bar(main, limits, type_.note)
    if has_inset:
        _inset(main, frame, classes, marks, limits, inset_limits, width_in=width, size=size)

    has_nodata = classes.has_nodata or bool(frame["value"].isna().any())
    for scale in _PANEL_SCALES:  # a long legend and many notes: smaller type until they fit beside the map
        artists, lowest = _legend_panel(
            figure, layout, classes, has_nodata, legend_title, zero_label, notes, marks, type_, scale
        )
        if lowest >= layout.map_box[1] or scale == _PANEL_SCALES[-1]:
            break
        for artist in artists:
            artist.remove()
    _text_block(
        figure, layout.footer_lines, y=layout.footer_top, size=type_.footer, color=_MUTED, page=page, spacing=1.45
    )
    return figure


def _inset(main: Axes, frame, classes, marks, limits, inset_limits, *, width_in: float, size: str) -> None:
    """The Valle de México inset in open water on the main map, and its box where it zooms in."""
    type_ = _TYPE[size]
    place, zoom = _inset_place(frame, limits, width_in, title_in=_inset_title_in(size))
    inset = main.inset_axes(place, transform=main.transData, zorder=5)
    _map_axes(inset, inset_limits)
    _states(inset, frame, classes, lw=0.8)
    _marks(inset, marks, size=6)
    inset_w = (inset_limits[2] - inset_limits[0]) / (limits[2] - limits[0]) * width_in * zoom
    _labels(inset, frame, classes, marks, type_, width_in=inset_w)
    inset.set_title(INSET_TITLE, fontsize=type_.note, loc="left", color=_TEXT_COLOR, pad=3)
    for spine in inset.spines.values():
        spine.set_visible(True)
        spine.set_edgecolor(_INSET_COLOR)
        spine.set_linewidth(1.2)
    _inset_box(main, inset_limits)


def _inset_extent(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """What the inset shows: the INSET_STATES' bounds, padded (PROJECTION metres)."""
    xmin, ymin, xmax, ymax = frame[frame["state_code"].isin(INSET_STATES)].total_bounds
    pad = INSET_PAD * max(xmax - xmin, ymax - ymin)
    return xmin - pad, ymin - pad, xmax + pad, ymax + pad


_INSET_ZOOMS = (4.0, 1.8)  # the inset's scale, from this many times the main map's down to this
_SMALL_ISLAND_M2 = 2e9  # islands smaller than 2,000 km² (Revillagigedo, Islas Marías) may lie under it
# Open water in the map's frame: the Gulf of Mexico (top right, where no US state is drawn) and the
# Pacific south of Baja California (bottom left); the inset goes where it can be largest.
_INSET_CORNERS = ("top right", "bottom left")


def _inset_place(frame, limits, map_width_in: float, title_in: float) -> tuple[tuple[float, ...], float]:
    """Where the inset goes on the main map, (x, y, width, height) in metres, and its zoom: the
    corner and the largest zoom at which the inset and its title strip touch no land (islands aside)."""
    extent = _inset_extent(frame)
    per_inch = (limits[2] - limits[0]) / map_width_in
    parts = frame.geometry.explode(index_parts=False)
    land = parts[parts.area >= _SMALL_ISLAND_M2].buffer(0.08 * per_inch).to_numpy()
    best = None
    for corner in _INSET_CORNERS:
        zoom = _INSET_ZOOMS[0]
        while zoom > _INSET_ZOOMS[1]:
            place = _corner_box(corner, limits, extent, zoom, per_inch)
            strip = box(place[0], place[1], place[0] + place[2], place[1] + place[3] + title_in * per_inch)
            if not shapely.intersects(land, strip).any():
                break
            zoom = round(zoom - 0.05, 2)
        if best is None or zoom > best[1]:
            best = (place, zoom)
    return best


def _inset_title_in(size: str) -> float:
    return _TYPE[size].note * 1.7 / 72


def _corner_box(corner: str, limits, extent, zoom: float, per_inch: float) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = limits
    w, h = (extent[2] - extent[0]) * zoom, (extent[3] - extent[1]) * zoom
    gap = 0.1 * per_inch
    if corner == "top right":
        return xmax - gap - w, ymax - gap - h - 0.25 * per_inch, w, h
    return xmin + gap, ymin + gap, w, h


def inset_frame(states: gpd.GeoDataFrame, *, map_width_in: float, size: str = "slide") -> BaseGeometry:
    """The inset with its title strip as a rectangle on the main map (PROJECTION metres), for a
    main map `map_width_in` inches wide: to check that it covers no land."""
    frame = states.to_crs(PROJECTION)
    limits = _limits(frame)
    title_in = _inset_title_in(size)
    (x, y, w, h), _ = _inset_place(frame, limits, map_width_in, title_in)
    return box(x, y, x + w, y + h + title_in * (limits[2] - limits[0]) / map_width_in)


def _limits(frame) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = frame.total_bounds
    pad = 0.02 * max(xmax - xmin, ymax - ymin)
    return xmin - pad, ymin - pad, xmax + pad, ymax + pad


def _map_axes(ax: Axes, limits) -> None:
    xmin, ymin, xmax, ymax = limits
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal", adjustable="box", anchor="C")
    ax.set_facecolor(_OCEAN)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#b0b0b0")
        spine.set_linewidth(0.6)


def _inset_box(main: Axes, inset_limits) -> None:
    from matplotlib.patches import Rectangle

    xmin, ymin, xmax, ymax = inset_limits
    main.add_patch(
        Rectangle((xmin, ymin), xmax - xmin, ymax - ymin, fill=False, edgecolor=_INSET_COLOR, linewidth=1.2, zorder=4)
    )


def _states(ax: Axes, frame, classes: style.Classes, *, lw: float) -> None:
    """The states as one collection (fills, borders, dashed no-data borders), then the selected
    state's heavy outline on top. Collections skip matplotlib's per-patch data-limit walk."""
    from matplotlib.collections import PathCollection

    paths = [_path(geometry) for geometry in frame.geometry]
    fills = [classes.color(None if math.isnan(v) else v) for v in frame["value"]]
    ax.add_collection(
        PathCollection(
            paths,
            facecolors=["white" if f is None else f for f in fills],
            edgecolors=style.BORDER_COLOR,
            linewidths=lw,
            linestyles=[(0, (3, 2)) if f is None else "solid" for f in fills],
            joinstyle="round",
            zorder=1,
        ),
        autolim=False,
    )
    chosen = [path for path, is_selected in zip(paths, frame["selected"], strict=True) if is_selected]
    if chosen:
        outline = PathCollection(
            chosen, facecolors="none", edgecolors=style.SELECTED_STYLE["color"], linewidths=2.6, zorder=3
        )
        ax.add_collection(outline, autolim=False)


def _path(geometry: BaseGeometry):
    """A matplotlib Path of a (multi)polygon: exterior and holes as closed sub-paths."""
    from matplotlib.path import Path

    rings = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        rings.append(polygon.exterior)
        rings.extend(polygon.interiors)
    return Path.make_compound_path(*(Path(shapely.get_coordinates(ring), closed=True) for ring in rings))


def _marks(ax: Axes, marks, *, size: float) -> None:
    """Clusters as squares, projects as diamonds, in the screen's colours; solid where the city is
    known, hollow where a record is placed at its state's representative point."""
    if marks is None:
        return
    solid = _solid(marks)
    for kind, marker in (("cluster", "s"), ("project", "D")):
        colour = style.KIND_COLOURS[kind]
        for filled in (False, True):
            chosen = (marks["kind"].eq(kind) & solid.eq(filled)).to_numpy()
            if not chosen.any():
                continue
            xy = shapely.get_coordinates(marks.geometry[chosen])
            ax.plot(
                xy[:, 0],
                xy[:, 1],
                linestyle="none",
                marker=marker,
                markersize=size * (0.85 if marker == "D" else 1.0),
                markerfacecolor=colour if filled else "white",
                markeredgecolor=colour,
                markeredgewidth=1.3,
                zorder=6,
            )


def _solid(marks) -> pd.Series:
    if "location_precision" not in marks.columns:
        return pd.Series(False, index=marks.index)
    return marks["location_precision"].eq("city")


def _variants(marks) -> set[tuple[str, bool]]:
    """The (kind, solid) symbols drawn, for the legend."""
    if marks is None:
        return set()
    return set(zip(marks["kind"], _solid(marks), strict=True))


def _labels(ax: Axes, frame, classes: style.Classes, marks, type_: _Type, *, width_in: float, inset=None) -> None:
    """State abbreviations where the text fits inside the state, clear of the point symbols.

    On the main map (`inset` = the inset's extent) the inset's states get no small-type label and
    none that would sit in the inset's box: the inset labels them. On the inset (`inset` = None
    and the axes limits are the inset's), only states with a fair share inside it are labelled.
    """
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    per_inch = (xmax - xmin) / width_in  # metres per inch on this axes
    view = box(xmin, ymin, xmax, ymax)
    crowded = box(*inset) if inset is not None else None
    obstacles = shapely.get_coordinates(marks.geometry) if marks is not None else None
    for geometry, code, abbr, value in zip(
        frame.geometry, frame["state_code"], frame["abbr"], frame["value"], strict=True
    ):
        if not abbr:
            continue
        part = _label_part(geometry, view)
        if part is None:
            continue
        fonts = (type_.label,) if crowded is not None and code in INSET_STATES else (type_.label, type_.label_small)
        spot = _label_spot(part, abbr, fonts, per_inch, obstacles, crowded)
        if spot is None:
            continue
        x, y, font = spot
        ax.text(
            x,
            y,
            abbr,
            fontsize=font,
            fontweight="bold",
            ha="center",
            va="center",
            color=_label_colour(classes.color(None if math.isnan(value) else value)),
            zorder=7,
            clip_on=True,
        )


def _label_part(geometry: BaseGeometry, view) -> BaseGeometry | None:
    """The largest polygon of `geometry` within `view`, if a fair share of the state is visible."""
    part = geometry.intersection(view)
    if part.is_empty or part.area < 0.25 * geometry.area and part.area < 0.15 * view.area:
        return None
    polygons = [g for g in getattr(part, "geoms", [part]) if g.geom_type == "Polygon"]
    return max(polygons, key=lambda g: g.area) if polygons else None


def _label_spot(part, abbr: str, fonts, per_inch: float, obstacles, crowded) -> tuple[float, float, float] | None:
    """(x, y, font size) of a label box inside `part`, off the symbols and the crowded box."""
    anchor = shapely.ops.polylabel(part, tolerance=per_inch * 0.02)
    inside = part.buffer(per_inch * 0.02)
    covered = None  # the first spot that fits but touches a symbol: used when no spot is clear
    for font in fonts:
        w = len(abbr) * font * 0.68 / 72 * per_inch
        h = font * 0.85 / 72 * per_inch
        for dx, dy in ((0, 0), (0, 1.1), (0, -1.1), (0.7, 0), (-0.7, 0), (0, 2.2), (0, -2.2)):
            x, y = anchor.x + dx * w, anchor.y + dy * h
            label = box(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            if not inside.contains(label):
                continue
            if (
                crowded is not None
                and label.intersects(crowded)
                and (font != fonts[0] or label.intersects(crowded.boundary))
            ):
                continue
            if obstacles is not None and len(obstacles):
                near = (abs(obstacles[:, 0] - x) < w / 2 + 0.05 * per_inch) & (
                    abs(obstacles[:, 1] - y) < h / 2 + 0.05 * per_inch
                )
                if near.any():
                    covered = covered or (x, y, font)
                    continue
            return x, y, font
    return covered


def _label_colour(fill: str | None) -> str:
    """Dark text on light fills, white on dark ones (WCAG relative luminance)."""
    if fill is None:
        return _TEXT_COLOR
    r, g, b = (int(fill.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return "white" if luminance < 0.25 else _TEXT_COLOR


def _scale_bar(ax: Axes, limits, font: float) -> None:
    """A scale bar (500 km for all of Mexico) at the map's bottom right, at most a fifth of its width.
    EPSG:6372 is in metres, true to scale on 17.5°N and 29.5°N and within ~1.5% between."""
    xmin, ymin, xmax, ymax = limits
    length = max([km * 1000 for km in (10, 20, 50, 100, 200, 250, 500) if km * 1000 <= 0.2 * (xmax - xmin)] or [10_000])
    x1 = xmax - 0.03 * (xmax - xmin)
    x0 = x1 - length
    y = ymin + 0.04 * (ymax - ymin)
    ax.plot([x0, x1], [y, y], color=_TEXT_COLOR, linewidth=2.2, solid_capstyle="butt", zorder=6)
    for x in (x0, x1):
        ax.plot([x, x], [y, y + 0.012 * (ymax - ymin)], color=_TEXT_COLOR, linewidth=1.2, zorder=6)
    ax.text(
        (x0 + x1) / 2,
        y + 0.018 * (ymax - ymin),
        f"{length // 1000:,} km",
        ha="center",
        va="bottom",
        fontsize=font,
        zorder=6,
    )


_PANEL_SCALES = (1.0, 0.9, 0.8, 0.7)


def _legend_panel(
    figure, layout: _Layout, classes, has_nodata, legend_title, zero_label, notes, marks, type_: _Type, scale: float
):
    """The legend column: classes, point symbols drawn, notes. Returns its artists and its lowest
    edge in inches, so a column that runs below the map can be redrawn in smaller type."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    type_ = replace(
        type_, legend_title=type_.legend_title * scale, legend=type_.legend * scale, note=type_.note * scale
    )
    variants = _variants(marks)
    artists = []

    handles = [Patch(facecolor=style.ZERO_COLOR, edgecolor=style.BORDER_COLOR, linewidth=0.8)]
    labels = [zero_label]
    for colour, label in zip(classes.colors, classes.labels, strict=True):
        handles.append(Patch(facecolor=colour, edgecolor=style.BORDER_COLOR, linewidth=0.8))
        labels.append(label)
    if has_nodata:
        handles.append(Patch(facecolor="white", edgecolor=style.BORDER_COLOR, linewidth=1.0, linestyle=(0, (3, 2))))
        labels.append(style.NODATA_LABEL)
    top = layout.map_box[1] + layout.map_box[3]
    x = layout.panel_left / layout.width
    panel_w = layout.width - _MARGIN - layout.panel_left
    rows_title = _wrap(legend_title, panel_w, type_.legend_title)
    zero_lines = _wrap(zero_label, panel_w - 0.6, type_.legend)
    labels[0] = "\n".join(zero_lines)
    legend = figure.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(x, top / layout.height),
        title="\n".join(rows_title),
        title_fontproperties={"size": type_.legend_title, "weight": "bold"},
        fontsize=type_.legend,
        alignment="left",
        handlelength=1.6,
        handleheight=1.1,
        borderaxespad=0,
        borderpad=0,
        labelspacing=0.45,
        frameon=False,
    )
    artists.append(legend)
    renderer = figure.canvas.get_renderer()
    y = _bottom_of(legend, figure, renderer) - 0.2
    if variants:
        symbols, texts = [], []
        for kind, marker, text in (("cluster", "s", "Cluster"), ("project", "D", "Project")):
            colour = style.KIND_COLOURS[kind]
            for solid, where in ((True, "city known"), (False, "placed at state level")):
                if (kind, solid) not in variants:
                    continue
                symbols.append(
                    Line2D(
                        [],
                        [],
                        linestyle="none",
                        marker=marker,
                        markersize=8 if marker == "s" else 7,
                        markerfacecolor=colour if solid else "white",
                        markeredgecolor=colour,
                        markeredgewidth=1.5,
                    )
                )
                texts.append(f"{text} ({where})")
        marker_legend = figure.legend(
            symbols,
            texts,
            loc="upper left",
            bbox_to_anchor=(x, y / layout.height),
            fontsize=type_.note,
            borderaxespad=0,
            borderpad=0,
            handlelength=1.6,
            labelspacing=0.35,
            frameon=False,
        )
        artists.append(marker_legend)
        y = _bottom_of(marker_legend, figure, renderer) - 0.2
    lines = []
    for note in notes:
        lines += _wrap(f"• {note}", panel_w, type_.note)
    lowest = y + 0.2
    if lines:
        text = figure.text(
            x,
            y / layout.height,
            "\n".join(lines),
            fontsize=type_.note,
            color=_MUTED,
            va="top",
            ha="left",
            linespacing=1.3,
        )
        artists.append(text)
        lowest = _bottom_of(text, figure, renderer)
    return artists, lowest


def _bottom_of(artist, figure, renderer) -> float:
    """The artist's lower edge in inches (measured with the Agg renderer)."""
    return artist.get_window_extent(renderer).y0 / figure.dpi


def _text_block(figure, lines, *, y: float, size: float, page: Size, weight="normal", color=None, spacing=1.3) -> None:
    figure.text(
        _MARGIN / page.width,
        y / page.height,
        "\n".join(lines),
        fontsize=size,
        fontweight=weight,
        color=color or _TEXT_COLOR,
        va="top",
        ha="left",
        linespacing=spacing,
    )


def _save(figure: Figure, fmt: str) -> bytes:
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=DPI, metadata=_METADATA[fmt])
    return buffer.getvalue()


# --- one view of the atlas as an image: the app's "Export this view" and `atlas map` ---


def sources_line(records: pd.DataFrame, metric_source: str = "") -> str:
    """One line naming the documents `records` cite, most-cited first, by their titles (seeds/documents.csv)
    with their file names and how many of their sections are cited; then the metric's own source."""
    from geo.documents import document_label

    counts: dict[str, dict[str, int]] = {}
    for cell in records["source"].dropna():
        for citation in filter(None, (part.strip() for part in cell.split("|"))):
            document, _, section = citation.partition(",")
            cited = counts.setdefault(document.strip(), {})
            cited[section.strip()] = cited.get(section.strip(), 0) + 1
    parts = []
    for document, cited in sorted(counts.items(), key=lambda item: (-sum(item[1].values()), item[0])):
        title = document_label(document)
        n = len([s for s in cited if s])
        named = f"{title} ({document}" if title != document else f"({document}"
        parts.append(named + (f", {n} section{'s' * (n != 1)})" if n else ")"))
    located = any("GeoNames" in str(s) for s in records.get("location_source", pd.Series(dtype=str)))
    tail = " City points: GeoNames (CC BY 4.0)." if located else ""
    metric = f" Metric: {metric_source}." if metric_source and not metric_source.startswith("Atlas") else ""
    return "Sources: " + "; ".join(parts) + "." + metric + tail + " Boundaries: Natural Earth (public domain)."


def view_map(view, states: gpd.GeoDataFrame, records: pd.DataFrame, *, link: str, date: str, size: str = "slide",
             fmt: str = "png") -> bytes:  # fmt: skip
    """The map image of `view` (geo.view.View): its filters, metric and export year, the screen's
    classes (geo.metrics.classed_values), title, legend, caveats, sources and the link that reopens it."""
    from geo import join, metrics
    from geo.view import view_filters, view_title

    metric = metrics.METRICS[view.metric]
    filters = view_filters(view)
    counts = join.state_counts(states, records, filters)
    points = join.filter_records(records, filters)
    timed = join.filter_records(records, replace(filters, sectors=()))
    values = metrics.state_metric(view.metric, timed, sectors=view.sectors, export_year=view.year)
    pooled = metrics.classed_values(view.metric, timed, sectors=view.sectors, export_year=view.year)
    undated = int(points["year"].isna().sum())
    notes = list(values.notes)
    if undated and not view.known_years_only:
        notes.append(f"{undated} records without a known year are counted whatever the years.")
    return render_map(
        counts,
        counts["state_code"].map(values.values / metric.scale),
        style.classify(pooled, k=5),
        title=view_title(view),
        legend_title=metric.title(view.year),
        sources=sources_line(points, metric.source),
        link=link,
        date=date,
        size=size,
        fmt=fmt,
        selected=view.state,
        notes=notes,
        points=points,
        zero_label=metric.zero_label,
    )


def _example(out: str, size: str = "slide", fmt: str | None = None) -> float:
    """Writes the README's example (all sectors, records metric); returns the render time in s."""
    import time
    from pathlib import Path

    from geo import boundaries, join, seeds
    from geo.view import View

    records = seeds.load_records()
    started = time.perf_counter()
    image = view_map(
        View(years=join.year_bounds(records)),
        boundaries.load_states("web"),
        records,
        link="http://localhost:8501/",
        date="2026-12-02",
        size=size,
        fmt=fmt or Path(out).suffix.lstrip(".") or "png",
    )
    elapsed = time.perf_counter() - started
    Path(out).write_bytes(image)
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m layers.mapimage", description=__doc__.splitlines()[0])
    parser.add_argument("--example", metavar="OUT", required=True, help="write the README's example map to OUT")
    parser.add_argument("--size", choices=list(SIZES), default="slide")
    parser.add_argument("--format", choices=list(IMAGE_FORMATS), default=None, help="default: OUT's extension")
    args = parser.parse_args(argv)
    elapsed = _example(args.example, args.size, args.format)
    print(f"wrote {args.example} in {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
