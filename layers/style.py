"""Colours, classes, legends and the map's CSS: one place for how the atlas looks.

The choropleth palette is ColorBrewer YlGnBu (sequential, colour-blind safe, prints in grey).
Zero ("none recorded in the sources") and missing values ("no data") get their own styles, outside
the palette, so a state with nothing recorded never looks like a state with a little.
Markers use shape first and colour second (Dark2 orange / purple), so colour is never the only cue.
"""

from __future__ import annotations

import bisect
import html
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd

from geo.i18n import DEFAULT, Translator, translator

SCHEMES = ("quantiles", "natural_breaks", "equal_interval")
MAX_CLASSES = 7

# ColorBrewer YlGnBu, by number of classes (1 and 2 are picked from the 5-class ramp).
_YLGNBU: dict[int, tuple[str, ...]] = {
    1: ("#41b6c4",),
    2: ("#a1dab4", "#2c7fb8"),
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}
PALETTE = _YLGNBU[5]

ZERO_COLOR = "#d4d4d4"
ZERO_LABEL = "0 \u2014 none recorded in the sources"
NODATA_LABEL = "No data"
RANGE_DASH = "\u2013"  # between the two bounds in a class's label: "1.04–1.79"
BORDER_COLOR = "#4d4d4d"
OUTLINE_COLOR = "#1a1a1a"
BACKGROUND_COLOR = "#f4f6f8"  # the map's background (layers/static/atlas-map.css has it too)

STATE_STYLE = {"color": BORDER_COLOR, "weight": 1, "opacity": 1.0, "fillOpacity": 0.85}
ZERO_STYLE = {**STATE_STYLE, "fillColor": ZERO_COLOR}
NODATA_STYLE = {**STATE_STYLE, "fillColor": "#ffffff", "fillOpacity": 0.0, "dashArray": "4 4"}
HIGHLIGHT_STYLE = {"color": "#000000", "weight": 4, "fillOpacity": 0.95}
SELECTED_STYLE = {"color": "#000000", "weight": 5, "opacity": 1.0, "fill": False}
COMPARED_STYLE = {"color": "#c2185b", "weight": 4, "opacity": 1.0, "fill": False, "dashArray": "8 5"}

# Marker symbols: clusters are squares, projects are diamonds. Solid = city known,
# hollow = placed at the state's representative point.
KIND_COLOURS = {"cluster": "#d95f02", "project": "#7570b3"}  # also in layers/static/atlas-map.css
KIND_LABELS = {"cluster": "Clusters", "project": "Projects"}
UPLOAD_COLOUR = "#1b9e77"  # a user's own rows (layers.markers.upload_markers); also in atlas-map.css


@dataclass(frozen=True)
class Classes:
    """Classes for a choropleth: upper bounds of the non-zero classes, their colours and labels."""

    bins: tuple[float, ...]
    colors: tuple[str, ...]
    labels: tuple[str, ...]
    scheme: str
    has_nodata: bool = False

    def index(self, value) -> int | None:
        """Class number of `value` (0-based), -1 for zero, None for missing."""
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        if value == 0:
            return -1
        if not self.bins:
            return None  # nothing non-zero was classified: a stray value has no class
        position = bisect.bisect_left(self.bins, value)  # np.searchsorted's side="left", ~10x faster on one value
        return min(position, len(self.bins) - 1)

    def color(self, value) -> str | None:
        """Fill colour for `value`; None for missing values."""
        idx = self.index(value)
        if idx is None:
            return None
        return ZERO_COLOR if idx == -1 else self.colors[idx]

    def style(self, value) -> dict:
        """Leaflet path style for a state with this value."""
        idx = self.index(value)
        if idx is None:
            return dict(NODATA_STYLE)
        if idx == -1:
            return dict(ZERO_STYLE)
        return {**STATE_STYLE, "fillColor": self.colors[idx]}


def classify(values: Iterable, scheme: str = "quantiles", k: int = 5) -> Classes:
    """Classes for `values`: mapclassify on the non-zero values; zero and missing kept apart.

    `scheme` is one of SCHEMES ("natural_breaks" is Fisher-Jenks, which is deterministic).
    When there are no more distinct non-zero values than `k`, each value is its own class;
    when all values are zero or missing there are no classes (only the zero style is used).
    """
    _check_scheme(scheme, k)
    numbers, has_nodata = _numbers(pd.Series(values))
    nonzero = numbers[numbers != 0]
    bins = _bins(nonzero, scheme, k)
    integral = bool(np.all(np.mod(nonzero, 1) == 0)) if nonzero.size else True
    if integral:
        bins = np.unique(np.floor(bins))
    colors = _YLGNBU[len(bins)] if len(bins) else ()
    labels = _labels(bins, float(nonzero.min()) if nonzero.size else 0.0, integral)
    return Classes(
        bins=tuple(float(b) for b in bins),
        colors=tuple(colors),
        labels=labels,
        scheme=scheme,
        has_nodata=has_nodata,
    )


def _check_scheme(scheme: str, k: int) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"Unknown scheme {scheme!r}; use one of: {', '.join(SCHEMES)}.")
    if not isinstance(k, int) or not 1 <= k <= MAX_CLASSES:
        raise ValueError(f"k must be an integer from 1 to {MAX_CLASSES}, got {k!r}.")


def _numbers(series: pd.Series) -> tuple[np.ndarray, bool]:
    numeric = pd.to_numeric(series, errors="coerce").astype("Float64")
    has_nodata = bool(numeric.isna().any())
    numbers = numeric.dropna().to_numpy(dtype=float)
    if (numbers < 0).any():
        raise ValueError("classify() expects counts or other non-negative values.")
    return numbers, has_nodata


def _bins(nonzero: np.ndarray, scheme: str, k: int) -> np.ndarray:
    distinct = np.unique(nonzero)
    if distinct.size <= k:
        return distinct  # one class per value: exact, and nothing for mapclassify to do
    classifier = {
        "quantiles": mapclassify.Quantiles,
        "natural_breaks": mapclassify.FisherJenks,
        "equal_interval": mapclassify.EqualInterval,
    }[scheme]
    with warnings.catch_warnings():
        # mapclassify warns and lowers k when ties leave too few distinct quantiles.
        warnings.simplefilter("ignore", UserWarning)
        bins = classifier(nonzero, k=k).bins
    return np.unique(np.asarray(bins, dtype=float))


def _labels(bins: np.ndarray, lowest: float, integral: bool) -> tuple[str, ...]:
    labels = []
    lower = lowest
    for upper in bins:
        if integral:
            low, high = int(lower), int(upper)
            labels.append(f"{low:,}" if low == high else f"{low:,}{RANGE_DASH}{high:,}")
            lower = upper + 1
        else:
            low, high = number_label(lower), number_label(upper)
            labels.append(low if low == high else f"{low}{RANGE_DASH}{high}")
            lower = upper
    return tuple(labels)


def number_label(value: float) -> str:
    """A class bound with three significant digits and thousands separators, never in exponent
    form: 0.0312 -> "0.0312", 1.853 -> "1.85", 205.4 -> "205", 45280.3 -> "45,280"."""
    if value == 0:
        return "0"
    decimals = max(0, 2 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def legend_html(classes: Classes, title: str, zero_label: str = ZERO_LABEL, nodata_label: str = NODATA_LABEL) -> str:
    """A plain HTML legend (large type; its CSS is layers/static/atlas-page.css) to draw beside the
    map with st.html; `zero_label` says what a 0 means for the metric shown, `nodata_label` what a
    blank state means."""
    rows = [_legend_row(ZERO_COLOR, zero_label)]
    rows += [_legend_row(c, label) for c, label in zip(classes.colors, classes.labels, strict=True)]
    if classes.has_nodata:
        rows.append(_legend_row("#ffffff", nodata_label, dashed=True))
    return (  # data-legend: the map's runtime redraws these rows while a year slider is dragged
        '<div class="atlas-legend" data-legend="classes">'
        f'<div class="atlas-legend-title">{html.escape(title)}</div><ul>' + "".join(rows) + "</ul></div>"
    )


def marker_legend_html(tr: Translator | None = None, *, upload: bool = False) -> str:
    """Legend for the point symbols (shape, fill and colour), to draw beside the map, in the
    language of `tr` (English by default); with `upload`, also the symbol of the user's own rows
    (layers.markers.upload_markers)."""
    t = (tr or translator(DEFAULT)).t
    rows = [
        _symbol_row("cluster", solid=True, text=t("legend.cluster_city")),
        _symbol_row("cluster", solid=False, text=t("legend.cluster_state")),
        _symbol_row("project", solid=True, text=t("legend.project_city")),
        _symbol_row("project", solid=False, text=t("legend.project_state")),
    ]
    if upload:
        rows.append(_symbol_row("upload", solid=True, text=t("legend.upload")))
    return (
        '<div class="atlas-legend" data-legend="symbols"><ul>' + "".join(rows) + "</ul>"
        f'<div class="atlas-legend-note">{html.escape(t("legend.zoom"))}</div></div>'
    )


def _legend_row(color: str, label: str, *, dashed: bool = False) -> str:
    kind = "atlas-swatch atlas-nodata" if dashed else "atlas-swatch"
    return f'<li><span class="{kind}" style="background:{html.escape(color)};"></span>{html.escape(label)}</li>'


def _symbol_row(kind: str, *, solid: bool, text: str) -> str:
    color = UPLOAD_COLOUR if kind == "upload" else KIND_COLOURS[kind]
    fill = color if solid else "#ffffff"
    return (  # the shape of each kind is in atlas-page.css
        f'<li><span class="atlas-symbol atlas-symbol-{kind}" style="background:{fill};border-color:{color};"></span>'
        f"{html.escape(text)}</li>"
    )
