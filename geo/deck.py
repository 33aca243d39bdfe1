"""Scene decks: a presenter's sequence of map views, each with a title and a cited caption.

A deck is one TOML file in `decks/` (the format: `decks/README.md`). Each scene's view keys are the
URL's parameters (`geo.view`), checked by turning them into the same parameter strings a link holds
and calling `geo.view.parse_view`, so a deck obeys exactly the rules and messages of a link.

`load_deck()` never raises for bad input. A file that cannot be read, is not valid TOML or has the
wrong `version` gives a deck with no scenes and one problem. Otherwise every problem is reported as
`decks/<file>.toml, scene <n> (<title>), field '<key>': <what is wrong, what is expected>` and the
scene still plays, like a bad link: a bad view field falls back to what `parse_view` makes of it
(its default, or the usable part: known sectors kept, years clamped), an unknown layer is dropped,
a bad cite is dropped, a missing title becomes "Scene <n>". Only an entry that is not a table at all
is skipped. Unknown keys are problems (a typo such as `centre` must not silently do nothing).
"""

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from geo.paths import REPO_ROOT
from geo.view import DEFAULT_BASEMAP, PARAMS, PRESENTER_PARAMS, YEAR_RANGE_FORMAT, View, parse_view

DECKS_DIR = REPO_ROOT / "decks"
VERSION = 1
# The map's layer names. layers/style.py KIND_LABELS and layers/choropleth.STATES_LAYER use the same
# names; geo must not import layers, so they are repeated here (tests/test_deck.py keeps them equal).
LAYERS = ("States", "Clusters", "Projects")

DECK_KEYS = ("version", "title", "description", "scenes")
# The URL's parameters that name a view: sectors, years, known, metric, state, year, compare, basemap, zoom, center
VIEW_KEYS = tuple(param for param in PARAMS if param not in PRESENTER_PARAMS)
SCENE_KEYS = ("title", "caption", *VIEW_KEYS, "layers", "cites")
CITE_KEYS = ("file", "section", "quote")
TITLE_ECHO = 40
# Figures in a title or caption: digit runs with thousands separators or a decimal point ("1,616", "3.47").
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
# Plain text: no markup, no control characters (a caption may hold line breaks and tabs).
_MARKUP = re.compile(r"[<>\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\t\n\r]")


@dataclass(frozen=True)
class Cite:
    file: str  # a document's file name in ../shared/seeds, e.g. "002_b1590986cb6d8db3.txt"
    section: str  # the section or table as the document numbers or names it
    quote: str  # short and verbatim (whitespace-insensitive) from the file


@dataclass(frozen=True)
class Scene:
    number: int  # 1-based position in the file
    title: str
    caption: str
    view: View
    layers: tuple[str, ...]  # the layers shown, in LAYERS order
    cites: tuple[Cite, ...]


@dataclass(frozen=True)
class Deck:
    name: str  # the file's stem, e.g. "bajio-aerospace"
    title: str
    description: str
    scenes: tuple[Scene, ...]
    problems: tuple[str, ...]  # plain text, one per problem; empty for a good deck


def list_decks(folder: Path | None = None) -> dict[str, Path]:
    """Deck name (file stem) -> path, for every `*.toml` in `folder` (decks/ unless ATLAS_DECKS_DIR
    points elsewhere), sorted by name."""
    folder = Path(os.environ.get("ATLAS_DECKS_DIR", DECKS_DIR) if folder is None else folder)
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.toml"))}


def load_deck(
    path: Path,
    *,
    sectors: Sequence[str],
    year_bounds: tuple[int, int] | None,
    states: Sequence[str],
    basemaps: Sequence[str] = (DEFAULT_BASEMAP,),
    export_years: tuple[int, int] | None = None,
) -> Deck:
    """The deck in `path`, checked against the data's sectors, year bounds, states, basemaps and
    export years.

    Never raises for a bad file: see the module docstring for what is reported and what plays.
    """
    path = Path(path)
    where = _where(path)
    data, problem = _read(path, where)
    if problem:
        return Deck(name=path.stem, title=path.stem, description="", scenes=(), problems=(problem,))
    problems: list[str] = []
    title, description = _deck_texts(data, where, path.stem, problems)
    context = {
        "sectors": sectors, "year_bounds": year_bounds, "states": states, "basemaps": basemaps,
        "export_years": export_years,
    }  # fmt: skip
    scenes = _scenes(data.get("scenes"), where, context, problems)
    return Deck(name=path.stem, title=title, description=description, scenes=scenes, problems=tuple(problems))


# --- the file ---


def _where(path: Path) -> str:
    """The file as a message names it: relative to the repository, else `<folder>/<file>`."""
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _read(path: Path, where: str) -> tuple[dict, str | None]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        return {}, f"{where}: cannot be read ({exc.strerror or exc})"
    except UnicodeDecodeError as exc:
        return {}, f"{where}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {}, f"{where}: not valid TOML: {exc}"  # tomllib's message ends "(at line L, column C)"
    version = data.get("version")
    if "version" not in data:
        return {}, f"{where}, field 'version': missing; expected version = {VERSION} at the top of the file"
    if type(version) is not int or version != VERSION:
        return {}, f"{where}, field 'version': {_kind(version)} is not supported; expected version = {VERSION}"
    return data, None


def _deck_texts(data: dict, where: str, name: str, problems: list[str]) -> tuple[str, str]:
    for key in data:
        if key not in DECK_KEYS:
            problems.append(f"{where}, field '{key}': {_unknown_key(key, DECK_KEYS)}")
    title = _plain(data.get("title"), one_line=True)
    if title is None:
        problems.append(f"{where}, field 'title': {_text_problem(data.get('title'), required=True)}")
        title = name
    description = _plain(data.get("description", ""), one_line=False)
    if description is None:
        problems.append(f"{where}, field 'description': {_text_problem(data.get('description'))}")
        description = ""
    return title, description


def _scenes(entries, where: str, context: dict, problems: list[str]) -> tuple[Scene, ...]:
    if entries is None:
        problems.append(f"{where}, field 'scenes': missing; expected one [[scenes]] table per scene")
        return ()
    if not isinstance(entries, list):
        problems.append(f"{where}, field 'scenes': {_kind(entries)}; expected one [[scenes]] table per scene")
        return ()
    if not entries:
        problems.append(f"{where}, field 'scenes': no scenes; expected one [[scenes]] table per scene")
    scenes = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(f"{where}, scene {number}: {_kind(entry)}; expected a [[scenes]] table (skipped)")
            continue
        scenes.append(_scene(number, entry, _Report(where, number, entry, problems), context))
    return tuple(scenes)


# --- one scene ---


class _Report:
    """Adds `<file>, scene <n> (<title>), field '<key>': <message>` to the deck's problems."""

    def __init__(self, where: str, number: int, entry: dict, problems: list[str]):
        title = _plain(entry.get("title"), one_line=True)
        if not title:
            label = "untitled"
        else:
            label = title if len(title) <= TITLE_ECHO else title[:TITLE_ECHO] + "…"
        self.prefix = f"{where}, scene {number} ({label})"
        self.problems = problems

    def __call__(self, key: str, message: str) -> None:
        self.problems.append(f"{self.prefix}, field '{key}': {message}")


def _scene(number: int, entry: dict, report: _Report, context: dict) -> Scene:
    for key in entry:
        if key not in SCENE_KEYS:
            report(key, _unknown_key(key, SCENE_KEYS))
    title = _plain(entry.get("title"), one_line=True)
    if not title:
        report("title", _text_problem(entry.get("title"), required=True) + f'; shown as "Scene {number}"')
    caption = _plain(entry.get("caption"), one_line=False)
    if caption is None:
        report("caption", _text_problem(entry.get("caption"), required=True))
        caption = ""
    cites = _cites(entry.get("cites"), report)
    _check_figures(title or "", caption, cites, report)
    return Scene(
        number=number,
        title=title or f"Scene {number}",
        caption=caption,
        view=_view(entry, report, context),
        layers=_layers(entry.get("layers"), report),
        cites=cites,
    )


def _view(entry: dict, report: _Report, context: dict) -> View:
    """The scene's view: each key as the URL's parameter string, parsed by geo.view.parse_view."""
    view, _ = parse_view({}, **context)
    parsed = {}
    for param in VIEW_KEYS:
        if param not in entry:
            continue
        try:
            text = _PARAM_TEXT[param](entry[param])
        except _WrongType as exc:
            report(param, f"{_kind(entry[param])}; expected {exc}. Using the default.")
            continue
        one, notices = parse_view({param: text}, **context)
        for notice in notices:
            report(param, notice)
        parsed[param] = getattr(one, PARAMS[param])
    # The map area is a pair: a zoom without a center (or the reverse) is not a place, so one is
    # used only with the other (when the other is given but bad, it has been reported already).
    for given, missing in (("zoom", "center"), ("center", "zoom")):
        if parsed.get(given) is not None and parsed.get(missing) is None:
            if missing not in entry:
                report(given, f"set without {missing}; give both zoom and center (or neither). Using the default.")
            parsed[given] = None
    return replace(view, **{PARAMS[param]: value for param, value in parsed.items()})


def _layers(value, report: _Report) -> tuple[str, ...]:
    if value is None:
        return LAYERS
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        report("layers", f"{_kind(value)}; expected a list of layer names from {', '.join(LAYERS)}. Showing all.")
        return LAYERS
    by_key = {name.casefold(): name for name in LAYERS}
    chosen = set()
    for name in value:
        if name.strip().casefold() in by_key:
            chosen.add(by_key[name.strip().casefold()])
        else:
            report("layers", f"unknown layer {_echo(name)} (valid layers: {', '.join(LAYERS)}); left out")
    return tuple(name for name in LAYERS if name in chosen)


def _cites(value, report: _Report) -> tuple[Cite, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        report("cites", f"{_kind(value)}; expected [[scenes.cites]] tables with file, section and quote")
        return ()
    cites = []
    for index, cite in enumerate(value, start=1):
        key = f"cites[{index}]"
        if not isinstance(cite, dict):
            report(key, f"{_kind(cite)}; expected a [[scenes.cites]] table with file, section and quote (dropped)")
            continue
        for name in cite:
            if name not in CITE_KEYS:
                report(f"{key}.{name}", _unknown_key(name, CITE_KEYS))
        fields = {name: _plain(cite.get(name), one_line=True) for name in CITE_KEYS}
        bad = False
        for name, text in fields.items():
            if not text:
                report(f"{key}.{name}", _text_problem(cite.get(name), required=True) + " (cite dropped)")
                bad = True
        if fields["file"] and ("/" in fields["file"] or "\\" in fields["file"]):
            report(f"{key}.file", "expected a file name in ../shared/seeds, without a folder (cite dropped)")
            bad = True
        if not bad:
            cites.append(Cite(**fields))
    return tuple(cites)


def _check_figures(title: str, caption: str, cites: tuple[Cite, ...], report: _Report) -> None:
    """Every figure in the title and caption must be stated in one of the scene's quotes."""
    quoted = {figure for cite in cites for figure in _figures(cite.quote)}
    for key, text in (("title", title), ("caption", caption)):
        missing = [figure for figure in dict.fromkeys(_figures(text)) if figure not in quoted]
        if missing:
            report(key, f"the figure(s) {', '.join(missing)} appear in no quote of this scene; add a cite stating them")


def _figures(text: str) -> list[str]:
    """The figures in `text`, thousands separators dropped: "$1,616 million in 2007" -> ["1616", "2007"]."""
    return [re.sub(r",(?=\d{3}\b)", "", match) for match in _FIGURE.findall(text)]


# --- values as the URL's parameter strings ---


class _WrongType(ValueError):
    """A deck value of the wrong TOML type; the message says what is expected."""


def _string(expected: str) -> Callable[[object], str]:
    def convert(value) -> str:
        if not isinstance(value, str):
            raise _WrongType(expected)
        return value

    return convert


def _names_text(expected: str) -> Callable[[object], str]:
    """A list of names (sectors, states) as the URL's comma-separated text."""

    def text(value) -> str:
        if isinstance(value, str) or not isinstance(value, list):
            raise _WrongType(expected)
        if not all(isinstance(name, str) and "," not in name for name in value):
            raise _WrongType(expected + " (each a string without commas)")
        return ",".join(value)

    return text


def _known_text(value) -> str:
    if not isinstance(value, bool):
        raise _WrongType("true or false")
    return "1" if value else "0"


def _year_text(value) -> str:
    if type(value) is not int:
        raise _WrongType("a whole number, the exports metrics' year, e.g. year = 2019")
    return str(value)


def _zoom_text(value) -> str:
    if type(value) is not int:
        raise _WrongType("a whole number, e.g. zoom = 7")
    return str(value)


def _center_text(value) -> str:
    expected = "[LAT, LON] in decimal degrees, e.g. center = [20.6, -100.4]"
    if not isinstance(value, list) or len(value) != 2:
        raise _WrongType(expected)
    if not all(type(number) in (int, float) for number in value):
        raise _WrongType(expected)
    lat, lon = (float(number) for number in value)
    return f"{lat!r},{lon!r}"


_PARAM_TEXT: Mapping[str, Callable[[object], str]] = {
    "sectors": _names_text('a list of sector names, e.g. ["Aerospace", "ICT"]'),
    "years": _string(f'a string "{YEAR_RANGE_FORMAT}", e.g. years = "2004-2018"'),
    "known": _known_text,
    "labels": _names_text('a list of ECEI labels, e.g. labels = ["Gold Label"]'),
    "metric": _string('a string, e.g. metric = "clusters"'),
    "state": _string('a state name as a string, e.g. state = "Querétaro"'),
    "year": _year_text,
    "compare": _names_text('a list of 1-4 state names, e.g. compare = ["Querétaro", "Nuevo León"]'),
    "basemap": _string('a basemap key as a string, e.g. basemap = "none"'),
    "zoom": _zoom_text,
    "center": _center_text,
}


# --- plain text and messages ---


def _plain(value, *, one_line: bool) -> str | None:
    """`value` stripped when it is plain text (a string, no markup, one line if asked), else None."""
    if not isinstance(value, str) or _MARKUP.search(value) or (one_line and _LINE_BREAK.search(value)):
        return None
    return value.strip()


def _text_problem(value, *, required: bool = False) -> str:
    if value is None:
        return "missing; expected a string" if required else "expected a string"
    if not isinstance(value, str):
        return f"{_kind(value)}; expected a string"
    if not value.strip():
        return "empty; expected a string"
    return "expected plain text: no < or >, no control characters (and one line in a title or cite)"


def _unknown_key(key: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key (valid keys: {', '.join(valid)}){hint}"


def _kind(value) -> str:
    """A TOML value as a message describes it: 'integer 2004', 'string "x"', 'a table'."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"{'integer' if isinstance(value, int) else 'number'} {value!r}"
    if isinstance(value, str):
        return f"string {_echo(value)}"
    if isinstance(value, list):
        return f"an array of {len(value)} value(s)"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__  # dates and times


def _echo(text: str) -> str:
    safe = _LINE_BREAK.sub(" ", _MARKUP.sub("?", text))
    return f'"{safe[:TITLE_ECHO]}…"' if len(safe) > TITLE_ECHO else f'"{safe}"'
