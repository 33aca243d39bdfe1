"""The view a shared link reproduces, read from and written to URL query parameters.

Parameters (all optional; an absent or empty parameter means its default):

| param     | format                                            | example          | default        |
|-----------|---------------------------------------------------|------------------|----------------|
| `sectors` | sector names, comma-separated, any letter case    | `Aerospace,ICT`  | all sectors    |
| `years`   | `FROM-TO`, four-digit years, inclusive            | `2004-2018`      | the data's bounds |
| `known`   | `1` = only records with a known year, `0` = all   | `1`              | `0`            |
| `labels`  | ECEI labels (`geo.schema.LABELS`), comma-separated, any case | `Gold Label` | no label filter |
| `metric`  | a key of `geo.metrics.METRICS`, e.g. `per_million`  | `exports`        | `records`      |
| `state`   | a state, any spelling `geo.names.normalise_state` accepts | `Nuevo Leon` | none     |
| `year`    | the exports metrics' year, four digits             | `2019`           | the latest     |
| `compare` | 1-4 states to compare, comma-separated, any spelling | `Queretaro,NL`  | none           |
| `basemap` | one of the app's basemap keys, any letter case    | `none`           | `none`         |
| `zoom`    | whole number 0-18                                 | `7`              | the app's      |
| `center`  | `LAT,LON` in decimal degrees                      | `20.59,-100.39`  | the app's      |
| `present` | presenter mode: `light` or `dark` (`1` = `light`)  | `dark`           | off            |
| `deck`    | a scene deck's name (a file in `decks/`)          | `bajio-aerospace`| none           |
| `scene`   | the deck's scene, from 1                           | `3`              | 1 with a deck  |
| `lang`    | the page's language, `geo.i18n.LANGUAGES` (or a locale such as `es-MX`) | `es` | the browser's |

Tracking parameters (`utm_*`, `fbclid`, `gclid`, ...) are dropped silently.
Bad values never raise. A value that is unknown, malformed, out of range, repeated, longer than
`MAX_VALUE_CHARS` or that contains markup falls back to its default and adds a plain-text notice.
Two partial cases keep what is usable, also with a notice: unknown names in `sectors` are dropped
and the known ones kept; a year range that overlaps the data's bounds is clamped to them (one
wholly outside them, or reversed like `9999-1`, is rejected).
Notices are in the language of `parse_view`'s `tr` (geo.i18n; English by default); a rejected
value's reason is a `LinkValueError`, a ValueError whose text is English (the CLI's) and whose
`key`/`values` name its catalogue message.
"""

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from geo import i18n, metrics
from geo.join import Filters
from geo.schema import LABELS

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"  # one character per position: sector keys, palette codes

METRICS = tuple(metrics.METRICS)


class LinkValueError(ValueError):
    """A link value that cannot be used: catalogue message `key` with `values`; str() is English."""

    def __init__(self, key: str, **values):
        self.key, self.values = key, values
        super().__init__(i18n.translator(i18n.DEFAULT).t(key, **values))

    def text(self, tr: i18n.Translator) -> str:
        return tr.t(self.key, **self.values)


DEFAULT_BASEMAP = "none"
ZOOM_RANGE = (0, 18)
MAX_VALUE_CHARS = 200
ECHO_CHARS = 40
YEAR_RANGE_FORMAT = "YYYY-YYYY"

# The one table of the view's three spellings: URL parameter -> (View field, the app's
# session-state key, which is also its widget key). view_to_params writes them in this order.
FIELDS = {
    "sectors": ("sectors", "sectors"),
    "years": ("years", "years"),
    "known": ("known_years_only", "known"),
    "labels": ("labels", "labels"),
    "metric": ("metric", "metric"),
    "state": ("state", "state"),
    "year": ("year", "year"),
    "compare": ("compare", "compare"),
    "basemap": ("basemap", "basemap"),
    "zoom": ("zoom", "zoom"),
    "center": ("center", "center"),
    "present": ("present", "present"),
    "deck": ("deck", "deck"),
    "scene": ("scene", "scene"),
    "lang": ("lang", "lang"),
}
# how the view is shown, not which view (not in decks)
PRESENTER_PARAMS = ("present", "deck", "scene", "lang")
PRESENT_MODES = ("light", "dark")
PRESENT_OFF = "off"  # the presenter-mode widget's value for the normal page (a radio shows None as no choice)
MAX_SCENE = 99
MAX_COMPARE = 4
MAX_NOTICES = 5
PARAMS = {param: field for param, (field, _) in FIELDS.items()}  # URL parameter -> View field
# Streamlit adds these itself; they are not ours to complain about.
_STREAMLIT_PARAMS = frozenset({"embed", "embed_options"})
# Added by mail and ad campaigns to shared links: never ours, never worth a notice.
TRACKING = re.compile(r"(utm_[a-z]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|_gl)", re.IGNORECASE)
_UNSAFE = re.compile(r"[<>\x00-\x1f\x7f]")
_YEAR_RANGE = re.compile(r"([0-9]{4})[-–]([0-9]{4})")  # also the en dash the page title shows
_ZOOM = re.compile(r"[0-9]{1,2}")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


@dataclass(frozen=True)
class View:
    years: tuple[int, int] | None  # None when no record has a known year
    sectors: tuple[str, ...] = ()  # canonical names in display order; empty = all
    known_years_only: bool = False
    labels: tuple[str, ...] = ()  # ECEI labels in geo.schema.LABELS order; empty = no label filter
    metric: str = "records"
    state: str | None = None  # canonical state name
    basemap: str = DEFAULT_BASEMAP
    zoom: int | None = None
    center: tuple[float, float] | None = None  # (lat, lon)
    present: str | None = None  # presenter mode: "light" or "dark"; None = the normal page
    year: int | None = None  # the year of the exports metrics; None = the latest
    compare: tuple[str, ...] = ()  # canonical state names, at most MAX_COMPARE, in the order chosen
    deck: str | None = None  # a scene deck's name (geo.deck)
    scene: int | None = None  # 1-based scene of `deck`
    lang: str | None = None  # the page's language (geo.i18n.LANGUAGES); None = the default


def parse_view(
    params: Mapping[str, str | list[str]],
    *,
    sectors: Sequence[str],
    year_bounds: tuple[int, int] | None,
    states: Sequence[str],
    basemaps: Sequence[str],
    decks: Sequence[str] = (),
    export_years: tuple[int, int] | None = None,
    tr: i18n.Translator | None = None,
) -> tuple[View, list[str]]:
    """The view in `params` and a plain-text notice for every value not used (escape before
    display), in `tr`'s language (default English).

    From Streamlit pass `{key: st.query_params.get_all(key) for key in st.query_params}`: indexing
    `st.query_params` returns only the last of repeated values, which would hide the repetition.
    """
    tr = tr or i18n.translator(i18n.DEFAULT)
    notices: list[str] = []
    texts = _single_texts(params, notices, tr)
    parsers: dict[str, Callable[[str], tuple[object, str | None]]] = {
        "sectors": lambda text: _names(text, sectors, "sector", tr),
        "years": lambda text: clamp_years(parse_year_range(text), year_bounds, tr),
        "known": _known,
        "labels": lambda text: _names(text, LABELS, "label", tr),
        "metric": lambda text: (_choice(text, METRICS, "metric"), None),
        "state": lambda text: (_state(text, states), None),
        "year": lambda text: (_year(text, export_years), None),
        "compare": lambda text: _compare(text, states, tr),
        "basemap": lambda text: (_choice(text, (DEFAULT_BASEMAP, *basemaps), "basemap"), None),
        "zoom": _zoom,
        "center": _center,
        "present": _present,
        "deck": lambda text: (_choice(text, decks, "deck") if decks else _no_decks(), None),
        "scene": _scene,
        "lang": _lang,
    }
    values = {}
    for param, text in texts.items():
        try:
            values[PARAMS[param]], notice = parsers[param](text)
        except LinkValueError as exc:
            notices.append(tr.t("link.ignored", param=param, value=_shown(text), reason=exc.text(tr)))
            continue
        if notice:
            notices.append(notice)
    return replace(View(years=year_bounds), **values), _capped(notices, tr)


def _capped(notices: list[str], tr: i18n.Translator) -> list[str]:
    """At most MAX_NOTICES notices: a link with 300 bad parameters gets one summary line."""
    if len(notices) <= MAX_NOTICES:
        return notices
    rest = len(notices) - (MAX_NOTICES - 1)
    return [*notices[: MAX_NOTICES - 1], tr.t("link.more", count=rest)]


def view_to_session(view: View) -> dict:
    """The session-state values (widget keys) that show `view`."""
    values = {key: getattr(view, field) for field, key in FIELDS.values()}
    values["sectors"] = list(view.sectors)  # a multiselect's value is a list
    values["compare"] = list(view.compare)
    values["labels"] = list(view.labels)
    values["present"] = view.present or PRESENT_OFF
    return values


def view_from_session(state: Mapping, *, sectors: Sequence[str]) -> View:
    """The view the widgets in `state` show; sectors in the order of `sectors` (display order)."""
    values = {field: state.get(key) for field, key in FIELDS.values()}
    chosen = set(values["sectors"] or ())
    values["sectors"] = tuple(name for name in sectors if name in chosen)
    values["compare"] = tuple(values["compare"] or ())
    values["labels"] = tuple(label for label in LABELS if label in set(values["labels"] or ()))
    if values["years"] is not None:
        values["years"] = tuple(values["years"])
    if values["present"] == PRESENT_OFF:
        values["present"] = None
    return View(**values)


def view_to_params(view: View, defaults: View) -> dict[str, str]:
    """The query parameters for `view`: only the fields that differ from `defaults`."""
    params = {}
    for param, field in PARAMS.items():
        value = getattr(view, field)
        if value is not None and value != getattr(defaults, field):
            params[param] = _format(param, value)
    return params


def clicked_state(returned, states: Sequence[str]) -> tuple[str, int | None] | None:
    """(state, click number) of the last click on a state, from what st_folium returned
    (`last_active_drawing`, the clicked feature, numbered by the map runtime so that a second
    click on the same state is a new click). That value comes from the browser: anything but one
    of `states` is None, and a click number that is not a whole number is None."""
    feature = returned.get("last_active_drawing") if isinstance(returned, Mapping) else None
    properties = feature.get("properties") if isinstance(feature, Mapping) else None
    state = properties.get("state") if isinstance(properties, Mapping) else None
    if not isinstance(state, str) or state not in states:
        return None
    click = properties.get("click")
    return state, click if isinstance(click, int) and not isinstance(click, bool) else None


def parse_year_range(text: str) -> tuple[int, int]:
    """`"2004-2018"` -> `(2004, 2018)`; ValueError saying what is expected otherwise."""
    match = _YEAR_RANGE.fullmatch(text.strip())
    if not match:
        raise LinkValueError("link.reason.range", format=YEAR_RANGE_FORMAT)
    start, end = int(match[1]), int(match[2])
    if start > end:
        raise LinkValueError("link.reason.reversed", format=YEAR_RANGE_FORMAT)
    return start, end


def _single_texts(params: Mapping[str, str | list[str]], notices: list[str], tr: i18n.Translator) -> dict[str, str]:
    """One stripped text per known parameter; what cannot be used safely becomes a notice."""
    texts = {}
    for key, value in params.items():
        values = [value] if isinstance(value, str) else list(value)
        if key not in PARAMS:
            if key not in _STREAMLIT_PARAMS and not TRACKING.fullmatch(key):
                notices.append(tr.t("link.unknown_param", name=_shown(key)))
            continue
        if len(values) > 1:
            notices.append(tr.t("link.repeated", param=key, count=len(values)))
            continue
        text = values[0].strip() if values else ""
        if not text:
            continue
        if len(text) > MAX_VALUE_CHARS:
            notices.append(tr.t("link.too_long", param=key, length=len(text), limit=MAX_VALUE_CHARS))
        elif _UNSAFE.search(text):
            notices.append(tr.t("link.markup", param=key))
        else:
            texts[key] = text
    return texts


def _names(text: str, known: Sequence[str], what: str, tr: i18n.Translator) -> tuple[tuple[str, ...], str | None]:
    """Comma-separated names among `known`, any letter case, in `known`'s order (so equal choices
    give equal views and equal links); unknown names are dropped with a notice, none known is an error."""
    by_key = {name.casefold(): name for name in known}
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name.casefold() not in by_key]
    chosen = {by_key[name.casefold()] for name in names if name.casefold() in by_key}
    valid = ", ".join(known)  # the link's values: canonical names
    if not chosen:
        raise LinkValueError(f"link.reason.no_{what}", valid=valid)
    notice = None
    if unknown:
        notice = tr.t(f"link.unknown_{what}", names=_shown(", ".join(unknown)), valid=valid)
    return tuple(name for name in known if name in chosen), notice


def clamp_years(
    years: tuple[int, int], bounds: tuple[int, int] | None, tr: i18n.Translator | None = None
) -> tuple[tuple[int, int], str | None]:
    """The bounds rule shared with `geo.filters`: a range overlapping `bounds` is clamped to them (with a
    notice in `tr`'s language, default English); one wholly outside them raises LinkValueError naming them."""
    start, end = years
    if bounds is None:
        raise LinkValueError("link.reason.no_years")
    low, high = bounds
    if end < low or start > high:
        raise LinkValueError("link.reason.outside_years", low=low, high=high)
    clamped = (max(start, low), min(end, high))
    if clamped == (start, end):
        return clamped, None
    notice = (tr or i18n.translator(i18n.DEFAULT)).t(
        "link.clamped", start=start, end=end, low=clamped[0], high=clamped[1]
    )
    return clamped, notice


def _known(text: str) -> tuple[bool, None]:
    if text not in ("0", "1"):
        raise LinkValueError("link.reason.known")
    return text == "1", None


def _choice(text: str, allowed: Sequence[str], what: str) -> str:
    for name in allowed:
        if name.casefold() == text.casefold():
            return name
    raise LinkValueError(f"link.reason.unknown_{what}", valid=", ".join(dict.fromkeys(allowed)))


def _state(text: str, states: Sequence[str]) -> str:
    # Imported here so that parsing a link never depends on names being importable up front.
    from geo.names import normalise_state

    try:
        name = normalise_state(text)
    except ValueError:
        name = None
    if name not in states:
        raise LinkValueError("link.reason.state")
    return name


def _year(text: str, bounds: tuple[int, int] | None) -> int:
    if bounds is None:
        raise LinkValueError("link.reason.no_exports")
    low, high = bounds
    if not re.fullmatch(r"[0-9]{4}", text) or not low <= int(text) <= high:
        raise LinkValueError("link.reason.year", low=low, high=high)
    return int(text)


def _compare(text: str, states: Sequence[str], tr: i18n.Translator) -> tuple[tuple[str, ...], str | None]:
    chosen, unknown = [], []
    for name in (part.strip() for part in text.split(",")):
        if not name:
            continue
        try:
            chosen.append(_state(name, states))
        except ValueError:
            unknown.append(name)
    chosen = list(dict.fromkeys(chosen))
    if not chosen:
        raise LinkValueError("link.reason.no_state")
    names, many = _shown(", ".join(unknown)), len(chosen) > MAX_COMPARE
    key = {(True, False): "unknown", (False, True): "many", (True, True): "both"}.get((bool(unknown), many))
    notice = tr.t(f"link.compare.{key}", names=names, max=MAX_COMPARE) if key else None
    return tuple(chosen[:MAX_COMPARE]), notice


def _zoom(text: str) -> tuple[int, None]:
    low, high = ZOOM_RANGE
    if not _ZOOM.fullmatch(text) or not low <= int(text) <= high:
        raise LinkValueError("link.reason.whole", low=low, high=high)
    return int(text), None


def _center(text: str) -> tuple[tuple[float, float], None]:
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 2 or not all(_DECIMAL.fullmatch(part) for part in parts):
        raise LinkValueError("link.reason.center")
    lat, lon = float(parts[0]), float(parts[1])
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise LinkValueError("link.reason.center_range")
    return (lat, lon), None


def _present(text: str) -> tuple[str, None]:
    mode = "light" if text == "1" else text.casefold()
    if mode not in PRESENT_MODES:
        raise LinkValueError("link.reason.present")
    return mode, None


def _no_decks():
    raise LinkValueError("link.reason.no_decks")


def _lang(text: str) -> tuple[str, None]:
    lang = i18n.negotiate(text)
    if lang is None:
        raise LinkValueError("link.reason.lang", valid=", ".join(i18n.LANGUAGES))
    return lang, None


def _scene(text: str) -> tuple[int, None]:
    if not _ZOOM.fullmatch(text) or not 1 <= int(text) <= MAX_SCENE:
        raise LinkValueError("link.reason.scene", max=MAX_SCENE)
    return int(text), None


def _format(param: str, value: object) -> str:
    if param in ("sectors", "compare", "labels"):
        return ",".join(value)
    if param == "years":
        return f"{value[0]:04d}-{value[1]:04d}"
    if param == "known":
        return "1" if value else "0"
    if param == "center":
        return f"{value[0]!r},{value[1]!r}"  # repr: the shortest text that reads back exactly
    return str(value)


def _shown(text: str) -> str:
    """A bad value as a notice may echo it: at most ECHO_CHARS characters, no markup."""
    safe = _UNSAFE.sub("?", text)
    if len(safe) > ECHO_CHARS:
        safe = safe[:ECHO_CHARS] + "…"
    return f'"{safe}"'


def view_filters(view: View) -> Filters:
    """The record filters `view` applies (the page, map images and the CLI's map alike)."""
    return Filters(sectors=view.sectors, years=view.years, known_years_only=view.known_years_only, labels=view.labels)


def view_title(view: View, tr: i18n.Translator | None = None) -> str:
    """The page's and a map image's title: "Mexico Cluster Atlas — Aerospace, ICT, 2004–2018"
    (in the language of `tr`, English by default)."""
    tr = tr or i18n.translator(i18n.DEFAULT)
    sectors = tr.list([tr.sector(s) for s in view.sectors]) if view.sectors else tr.t("view.all_sectors")
    if view.years is None:
        years = tr.t("view.years_unknown")
    else:
        years = str(view.years[0]) if view.years[0] == view.years[1] else f"{view.years[0]}–{view.years[1]}"
    if view.known_years_only:
        years = tr.t("view.known_only", years=years)
    return tr.t("view.title", sectors=sectors, years=years)


def step_sector(chosen: Sequence[str], sectors: Sequence[str], step: int) -> tuple[str, ...]:
    """A presenter's next (+1) or previous (-1) single sector: from all sectors (or several) the
    first (or last); from one, its neighbour, wrapping around."""
    if len(chosen) != 1:
        return (sectors[0] if step > 0 else sectors[-1],)
    return (sectors[(sectors.index(chosen[0]) + step) % len(sectors)],)


def step_years(years: tuple[int, int] | None, bounds: tuple[int, int] | None, step: int) -> tuple[int, int] | None:
    """A presenter's next (+1) or previous (-1) single year within `bounds`: from a range, the
    first (or last) year; from one year, the next (or previous), wrapping around."""
    if bounds is None:
        return None
    low, high = bounds
    if years is None or years[0] != years[1]:
        year = low if step > 0 else high
    else:
        year = low + (years[0] - low + step) % (high - low + 1)
    return (year, year)


def drag_ranges(years: tuple[int, int], bounds: tuple[int, int]) -> list[tuple[int, int]]:
    """The year ranges one drag of a handle of the range slider reaches from `years` within
    `bounds` (the first handle from the lowest year to the last, the second from the first to the
    highest), `years` itself first: what the map can repaint from before the server's run."""
    first, last = years
    starts = [(year, last) for year in range(bounds[0], last + 1) if year != first]
    ends = [(first, year) for year in range(first, bounds[1] + 1) if year != last]
    return [years, *starts, *ends]


def tap_sectors(chosen: Sequence[str], sectors: Sequence[str]) -> list[tuple[str, ...]]:
    """The sector selections one tap on the sector control reaches from `chosen` (empty = all), in
    `sectors`' order, `chosen` itself first: each sector added or removed, then (with two or more
    chosen) "clear all". What the map can repaint from before the server's run."""
    current = tuple(sector for sector in sectors if sector in chosen)
    toggled = [tuple(s for s in sectors if (s in current) != (s == sector)) for sector in sectors]
    return [current, *toggled, *([()] if len(current) > 1 else [])]


def sector_key(chosen: Sequence[str], sectors: Sequence[str]) -> str:
    """A sector selection as the map's runtime names it: each chosen sector's position in
    `sectors` in base 36, in that order ("" = all sectors), whatever order they were chosen in."""
    return "".join(BASE36[i] for i, sector in enumerate(sectors) if sector in chosen)
