"""Load the curated seed files into one validated records frame (see docs/architecture.md).

`load_records()` reads `clusters.csv`, `projects.csv`, `citations.csv` and `figures.csv`, checks every
value at this boundary and either returns the frame or raises `SeedError` listing every problem with
file, line, column, value and what was expected, so an analyst editing a CSV by hand can fix it.
"""

import csv
import datetime
import io
import math
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geo import boundaries, names, schema
from geo.paths import seeds_dir as default_seeds_dir
from geo.sectors import map_raw_label

RECORD_COLUMNS = schema.RECORD_FILE.names
CITATION_COLUMNS = schema.CITATIONS.names
FIGURE_COLUMNS = schema.FIGURES.names
RECORD_FILES = schema.RECORD_FILES
REFERENCE_FILES = ("states.csv", "sector_map.csv")

PROJECT_TYPES = schema.PROJECT_TYPES
YEAR_BASES = schema.YEAR_BASES
PRECISIONS = schema.PRECISIONS
METRICS = schema.METRICS
FIRST_YEAR = 1900
# Mexico's extent with a small margin (Natural Earth admin-0), for catching swapped or stray points.
MEXICO_BBOX = (-118.5, 14.4, -86.6, 32.8)
# Text a spreadsheet would run as a formula when an analyst opens a CSV download (OWASP CSV injection):
# its first character, after leading whitespace and NFKC normalisation (so fullwidth "＝" counts), is
# one of these, or the leading whitespace holds a tab or a carriage return.
FORMULA_START = ("=", "+", "-", "@")
FORMULA_SPACE = ("\t", "\r")
NOT_FORMULA = (
    "text that does not start with =, +, -, @, a tab or a carriage return "
    "(a spreadsheet would run it as a formula; reword it)"
)
# Every text column of every seed file is checked for formula-like text.
TEXT_COLUMNS = tuple(dict.fromkeys(c for table in schema.SEED_FILES.values() for c in table.text_columns))
# City points may sit on a coastline the web boundaries simplify away; tolerance in degrees.
INSIDE_TOLERANCE = 0.05


class SeedError(Exception):
    """The seed files have problems; `problems` holds one readable message per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the seed files:\n" + "\n".join(problems))


@dataclass
class _Row:
    file: str
    line: int
    values: dict[str, str]


class _Problems(list):
    def add(self, file: str, line: int | None, column: str | None, value, expected: str) -> None:
        where = file if line is None else f"{file}, line {line}"
        if column is not None:
            where += f", column '{column}'"
        shown = "" if value is None else f": {str(value)[:80]!r}"
        self.append(f"{where}{shown} — expected {expected}")


def load_records(seeds_dir: Path | None = None) -> gpd.GeoDataFrame:
    """The validated records frame; raises SeedError naming every problem found.

    Every seed file (schema.SEED_FILES) is read from one folder, `seeds_dir` or else
    geo.paths.seeds_dir() (ATLAS_SEEDS_DIR), including the states and sector tables.
    """
    folder = default_seeds_dir() if seeds_dir is None else Path(seeds_dir)
    problems = _Problems()
    files = {name: _read_csv(folder / name, table.names, problems) for name, table in schema.SEED_FILES.items()}
    if problems:  # structural problems make row checks meaningless
        raise SeedError(problems)
    for name in REFERENCE_FILES:  # the records are checked against these two tables
        _check_cells(files[name], schema.SEED_FILES[name], problems)
    if problems:
        raise SeedError(problems)
    for name in (n for n in schema.SEED_FILES if n not in REFERENCE_FILES):
        _check_cells(files[name], schema.SEED_FILES[name], problems)
    rows = [(row, kind) for fname, kind in RECORD_FILES.items() for row in files[fname]]
    citations, figures = files["citations.csv"], files["figures.csv"]

    states = boundaries.load_states("full")
    anchors = boundaries.anchor_points(states)
    shapes = dict(zip(states["state_code"], states.geometry, strict=True))
    records = [_check_record(row, kind, problems, anchors, shapes, folder) for row, kind in rows]
    ids = _check_unique_ids(rows, problems)
    by_record = _check_links(citations, figures, ids, problems)
    if problems:
        raise SeedError(problems)
    return records_frame(records, *by_record)


def _read_csv(path: Path, columns: tuple[str, ...], problems: _Problems) -> list[_Row]:
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        problems.add(name, None, None, None, "the file to exist in seeds/")
        return []
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        problems.add(name, line, None, repr(err.object[err.start : err.start + 4]),
                     "UTF-8 text (save the file as UTF-8)")  # fmt: skip
        return []
    if not text.strip():
        problems.add(name, None, None, None, f"a header line with columns {', '.join(columns)}")
        return []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        missing = [c for c in columns if c not in header]
        extra = [c for c in header if c not in columns]
        for col in missing:
            problems.add(name, 1, col, None, "this column in the header")
        for col in extra:
            problems.add(name, 1, col, col, f"only the columns {', '.join(columns)}")
        if missing or extra:
            return []
        rows = []
        start = reader.line_num + 1
        for values in reader:
            line, start = start, reader.line_num + 1  # a quoted value may span lines: name the first
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                problems.add(name, line, None, ",".join(values)[:80],
                             f"{len(header)} fields (a comma or quote inside a value must be quoted)")  # fmt: skip
                continue
            rows.append(_Row(name, line, dict(zip(header, values, strict=True))))
        return rows
    except csv.Error as err:
        problems.add(name, reader.line_num, None, None,
                     f"well-formed CSV ({err}); put values containing quotes in double quotes "
                     'and double the inner quotes ("")')  # fmt: skip
        return []


def _check_record(row: _Row, kind: str, problems: _Problems, anchors, shapes, folder: Path) -> dict:
    v = {k: val.strip() for k, val in row.values.items()}
    bad = lambda col, expected: problems.add(row.file, row.line, col, v[col], expected)  # noqa: E731
    if not v["id"]:
        bad("id", "a non-empty stable id")
    # Values outside a column's closed set were reported by _check_cells; these are the rules
    # that depend on the file or on another column.
    if v["kind"] in schema.KINDS and v["kind"] != kind:
        bad("kind", f"'{kind}' in {row.file}")
    if not v["name"]:
        bad("name", "the organisation or project name as written in the source")
    if kind == "project" and not v["project_type"]:
        bad("project_type", f"one of {', '.join(PROJECT_TYPES)} for a project")
    if kind == "cluster" and v["project_type"] in PROJECT_TYPES:
        bad("project_type", "an empty value for a cluster")
    sectors = schema.RECORD_FILE["sector"].values
    for raw in filter(None, (s.strip() for s in v["sector_raw"].split(";"))):
        mapped = map_raw_label(raw, folder)
        if mapped is None:
            bad("sector_raw", f"a label listed in seeds/sector_map.csv (add '{raw}' there)")
        elif mapped != v["sector"] and v["sector"] in sectors:
            bad("sector_raw", f"a label that maps to '{v['sector']}' ('{raw}' maps to '{mapped}')")
    if not v["sector_raw"]:
        bad("sector_raw", "the sector as written in the source")

    state = code = ""
    if v["state"]:
        try:
            state = names.normalise_state(v["state"], folder)
            code = names.state_code(state, folder)
        except names.UnknownStateError as err:
            bad("state", f"a Mexican state ({err})")
        if code and v["state_code"] and v["state_code"].zfill(2) != code:
            bad("state_code", f"the INEGI code of {state}, '{code}'")
    elif v["state_code"]:
        bad("state_code", "an empty value when state is empty")
    related = []
    for other in filter(None, (s.strip() for s in v["related_states"].split(";"))):
        try:
            related.append(names.normalise_state(other, folder))
        except names.UnknownStateError as err:
            bad("related_states", f"'; '-separated Mexican states ({err})")

    year = check_year(v, bad)
    _check_label(v, bad)
    point = _check_location(v, state, code, bad, anchors, shapes)
    return {
        "id": v["id"], "name": v["name"], "kind": kind, "project_type": v["project_type"],
        "sector": v["sector"], "sector_raw": v["sector_raw"], "state": state, "state_code": code,
        "related_states": "; ".join(related), "place": v["place"],
        "location_precision": v["location_precision"], "year": year,
        "year_basis": v["year_basis"] if year is not None else schema.UNKNOWN_YEAR_BASIS, "notes": v["notes"],
        "label": v["label"], "label_valid_until": v["label_valid_until"],
        "location_source": v["location_source"], "geometry": point,
    }  # fmt: skip


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would run `text` as a formula (see FORMULA_START)."""
    if text[:1].isascii() and text[:1].isalnum():  # the common case, decided without normalising
        return False
    normal = unicodedata.normalize("NFKC", text)
    start = next((i for i, ch in enumerate(normal) if not _blank(ch)), len(normal))
    return any(ch in normal[:start] for ch in FORMULA_SPACE) or normal[start:].startswith(FORMULA_START)


def _blank(ch: str) -> bool:
    """Whitespace, or an invisible format character such as a zero-width space or a BOM."""
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def _check_cells(rows: list[_Row], table: schema.Table, problems: _Problems) -> None:
    """The rules of single cells that the schema declares: no formula-like text in any text
    column, and a value from the closed set where the column has one."""
    for row in rows:
        for column in table.columns:
            value = row.values[column.name]
            if column.is_text and formula_like(value):
                problems.add(row.file, row.line, column.name, value, NOT_FORMULA)
            elif column.values and value.strip() not in column.values:
                problems.add(row.file, row.line, column.name, value.strip(), f"one of {_one_of(column.values)}")


def _one_of(values: tuple[str, ...]) -> str:
    shown = ", ".join(v for v in values if v)
    return f"{shown}, or empty" if "" in values else shown


def check_year(v: dict, bad) -> int | None:
    """`v['year']` as a year FIRST_YEAR..this year agreeing with `v['year_basis']`, None when empty or bad
    (after `bad(column, expected)`). Shared with geo.upload."""
    last_year = datetime.date.today().year
    basis = v["year_basis"] or schema.UNKNOWN_YEAR_BASIS
    if not v["year"]:
        if basis in YEAR_BASES:
            bad("year_basis", "'unknown' (or empty) when the year is unknown")
        return None
    try:
        year = int(v["year"])
    except ValueError:
        bad("year", "a whole year such as 2016, or empty when unknown")
        return None
    if not FIRST_YEAR <= year <= last_year:
        bad("year", f"a year between {FIRST_YEAR} and {last_year}, or empty when unknown")
        return None
    if basis == schema.UNKNOWN_YEAR_BASIS:
        bad("year_basis", f"one of {', '.join(YEAR_BASES)} for a known year")
    return year


def _check_label(v: dict, bad) -> None:
    """A valid-until date is an ISO date, and only on a labelled record (the level is checked by _check_cells)."""
    until = v["label_valid_until"]
    if not until:
        return
    try:
        datetime.date.fromisoformat(until)
        iso = len(until) == 10
    except ValueError:
        iso = False
    if not iso:
        bad("label_valid_until", "a date YYYY-MM-DD (Table 2 prints 2019/06/23 as 2019-06-23), or empty")
    if not v["label"]:
        bad("label_valid_until", f"an empty value when label is empty (or a label: {', '.join(schema.LABELS)})")


def _check_location(v: dict, state: str, code: str, bad, anchors, shapes) -> Point | None:
    precision = v["location_precision"]
    if precision not in PRECISIONS:  # reported by _check_cells
        return None
    if precision == "none":
        if state:
            bad("location_precision", "'state' or 'city' when a state is given")
        return None
    if not state:
        if not v["state"]:
            bad("state", f"a state for location_precision '{precision}' (or precision 'none')")
        return None
    if precision == "state":
        if v["lon"] or v["lat"]:
            bad("lon", "empty lon/lat for a state-level location (the state's anchor point is used)")
        return anchors[code]
    lon, lat = number(v, "lon", bad), number(v, "lat", bad)
    if not v["place"]:
        bad("place", "the city named in the source for a city-level location")
    if not v["location_source"]:
        bad("location_source", "a citation for the city coordinates (e.g. a GeoNames id)")
    if lon is None or lat is None:
        return None
    point = check_point(lon, lat, bad)
    if point is None:
        return None
    if shapes[code].distance(point) > INSIDE_TOLERANCE:
        bad("lon", f"a point inside {state} ({lon}, {lat} lies outside it)")
    return point


def check_point(lon: float, lat: float, bad) -> Point | None:
    """The point lon/lat when it lies in Mexico (MEXICO_BBOX), else None after `bad("lon", expected)`.
    Shared with geo.upload."""
    west, south, east, north = MEXICO_BBOX
    if not (west <= lon <= east and south <= lat <= north):
        swapped = west <= lat <= east and south <= lon <= north
        bad("lon", "lon/lat in Mexico (lon -118.5..-86.6, lat 14.4..32.8)"
            + ("; lon and lat look swapped" if swapped else ""))  # fmt: skip
        return None
    return Point(lon, lat)


def number(v: dict, col: str, bad) -> float | None:
    """`v[col]` as a finite decimal, else None after `bad(col, expected)`. Shared with geo.upload."""
    try:
        value = float(v[col])
    except ValueError:
        bad(col, "a decimal number in degrees")
        return None
    if not math.isfinite(value):
        bad(col, "a finite decimal number in degrees")
        return None
    return value


def _check_unique_ids(rows: list[tuple[_Row, str]], problems: _Problems) -> set[str]:
    first: dict[str, _Row] = {}
    for row, _ in rows:
        rid = row.values["id"].strip()
        if rid in first:
            seen = first[rid]
            problems.add(row.file, row.line, "id", rid,
                         f"a unique id (already used in {seen.file}, line {seen.line})")  # fmt: skip
        elif rid:
            first[rid] = row
    return set(first)


def _check_links(citations: list[_Row], figures: list[_Row], ids: set[str], problems: _Problems):
    sources: dict[str, list[str]] = defaultdict(list)
    facts: dict[str, list[dict]] = defaultdict(list)
    for row in citations:
        v = {k: val.strip() for k, val in row.values.items()}
        if _linked(row, v, ids, problems):
            cite = f"{v['file']}, {v['section']}"
            if cite not in sources[v["record_id"]]:
                sources[v["record_id"]].append(cite)
    for row in figures:
        v = {k: val.strip() for k, val in row.values.items()}
        if not _linked(row, v, ids, problems):
            continue
        if v["metric"] not in METRICS:  # reported by _check_cells
            continue
        try:
            value = float(v["value"])
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= 0):  # "-2+3" must not reach the figures text
            problems.add(row.file, row.line, "value", v["value"], "a number as stated in the source, not negative")
            continue
        if not v["unit"]:
            problems.add(row.file, row.line, "unit", "", "the unit (and currency) of the figure")
        facts[v["record_id"]].append({**v, "value": value})
    for rid in sorted(ids - set(sources)):
        problems.add("citations.csv", None, "record_id", rid, "at least one citation for every record")
    return sources, facts


def _linked(row: _Row, v: dict, ids: set[str], problems: _Problems) -> bool:
    ok = True
    if v["record_id"] not in ids:
        problems.add(
            row.file,
            row.line,
            "record_id",
            v["record_id"],
            "the id of a record in clusters.csv or projects.csv",
        )
        ok = False
    for col in ("file", "section", "quote"):
        if not v[col]:
            problems.add(row.file, row.line, col, "", "a non-empty value (seed file, section, short quote)")
            ok = False
    return ok


def records_frame(records: list[dict], sources: dict, facts: dict) -> gpd.GeoDataFrame:
    """The records frame (schema.RECORDS, in order) of checked rows, their citations (id -> list) and
    figures (id -> list); shared with geo.upload so a user's rows have exactly the same columns."""
    for rec in records:
        rec["source"] = " | ".join(sources[rec["id"]])
        rec.update(_pivot_figures(facts.get(rec["id"], [])))
    frame = gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")
    frame["lon"] = frame.geometry.x.where(frame.geometry.notna())
    frame["lat"] = frame.geometry.y.where(frame.geometry.notna())
    frame["year"] = pd.array(frame["year"], dtype="Int64")
    for col in ("members", "companies", "jobs"):
        frame[col] = pd.array(frame[col], dtype="Int64")
    frame = frame[[*schema.RECORDS.names, frame.geometry.name]]  # the declared columns, in order
    return frame.sort_values(["kind", "state_code", "id"], ignore_index=True)


def _pivot_figures(facts: list[dict]) -> dict:
    """One column per headline metric (the first stated figure wins) plus all figures as text."""
    out = {"members": None, "companies": None, "jobs": None, "exports_value": math.nan,
           "exports_unit": "", "investment_value": math.nan, "investment_unit": ""}  # fmt: skip
    lines = []
    for fact in facts:
        metric, value = fact["metric"], fact["value"]
        if metric in ("members", "companies", "jobs") and out[metric] is None:
            out[metric] = int(value)
        elif metric in ("exports", "investment") and math.isnan(out[f"{metric}_value"]):
            out[f"{metric}_value"], out[f"{metric}_unit"] = value, fact["unit"]
        shown = f"{value:,.2f}".rstrip("0").rstrip(".")
        text = " ".join(filter(None, (fact["qualifier"], shown, fact["unit"])))
        period = f" ({fact['period']})" if fact["period"] else ""
        label = "" if metric == "other" else f"{metric.capitalize()}: "
        lines.append(f"{label}{text}{period} [{fact['file']}, {fact['section']}]")
    out["figures"] = "\n".join(lines)
    return out
