"""The one declaration of the atlas's data: every column of the seed files, the records frame and
the exported layers, with its type, its allowed values where they form a closed set, and its meaning.

Everything else is derived from here: the loader's column lists and allowed-value checks
(`geo.seeds`), the exported columns and DATA_DICTIONARY.md (`geo.export`), and the column tables in
docs/architecture.md and seeds/README.md (`markdown_table`; regenerate those with
`uv run python -m geo.schema`). Adding a column is one edit here plus regenerating the docs.

Types: `text` (str; `""` when empty), `integer` (whole number; pandas `Int64`, `<NA>` when
unknown), `decimal` (float; NaN when unknown).
"""

import re
from dataclasses import dataclass
from pathlib import Path

from geo.paths import REPO_ROOT
from geo.sectors import SECTORS

TEXT, INTEGER, DECIMAL = "text", "integer", "decimal"

# Closed sets of values.
KINDS = ("cluster", "project")
PROJECT_TYPES = ("investment", "cooperation", "institution", "facility", "event", "programme", "plant-location",
                 "project-location", "cluster-location")  # fmt: skip
YEAR_BASES = ("founded", "started", "announced", "reported")  # what a known year dates
UNKNOWN_YEAR_BASIS = "unknown"
PRECISIONS = ("city", "state", "none")
METRICS = ("members", "companies", "jobs", "exports", "investment", "other")
# Cluster-management quality labels (ECEI/ESCA), as 002 Table 2 names the levels, highest first.
LABELS = ("Gold Label", "Silver Label", "Bronze Label")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    meaning: str
    values: tuple[str, ...] = ()  # the allowed values when they form a closed set; () = open
    values_doc: str = ""  # how the docs name a long closed set instead of listing it

    @property
    def is_text(self) -> bool:
        return self.type == TEXT


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def text_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.is_text)

    def __getitem__(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.title} has no column {name!r}; columns: {', '.join(self.names)}")


def _text(name: str, meaning: str, values: tuple[str, ...] = (), values_doc: str = "") -> Column:
    return Column(name, TEXT, meaning, values, values_doc)


_SECTOR = {"values": SECTORS, "values_doc": "a name in `geo.sectors.SECTORS`"}

# --- the records frame (`geo.seeds.load_records()`), which is also the clusters/projects export ---
RECORDS = Table("records frame", (
    _text("id", "stable record id, e.g. `cl-nle-claut`, `pr-que-ellison-2007`"),
    _text("name", "name as written in the source"),
    _text("kind", "a cluster organisation or a project", KINDS),
    _text("project_type", "projects: what kind of project; empty for clusters", (*PROJECT_TYPES, "")),
    _text("sector", "normalised sector", **_SECTOR),
    _text("sector_raw", "the sector as written in the source"),
    _text("state", "canonical state name; empty when the record is not tied to one state"),
    _text("state_code", "INEGI two-digit state code (keep the leading zero); empty when none"),
    _text("related_states", "other states involved (multi-state bodies), separated by `; `"),
    _text("place", "city named by the source, else empty"),
    _text("location_precision", "`city`: the named city's point; `state`: a representative point of the "
          "state; `none`: no point (listed, not mapped)", PRECISIONS),
    Column("lon", DECIMAL, "longitude, WGS 84 degrees; empty when the record has no point"),
    Column("lat", DECIMAL, "latitude, WGS 84 degrees; empty when the record has no point"),
    _text("location_source", "citation for a city point's coordinates or an outside location fact "
          "(e.g. a GeoNames id)"),
    Column("year", INTEGER, "year the `year_basis` refers to; empty when unknown"),
    _text("year_basis", "what `year` dates; `unknown` when no document gives a year",
          (*YEAR_BASES, UNKNOWN_YEAR_BASIS)),
    _text("label", "the cluster-management quality label (ECEI/ESCA) a document names for the record; empty "
          "when none is named", (*LABELS, "")),
    _text("label_valid_until", "the date the label is valid until, `YYYY-MM-DD` (002 Table 2); empty when no "
          "document gives one"),
    Column("members", INTEGER, "members as stated (qualifier in `figures`); empty when unknown"),
    Column("companies", INTEGER, "companies as stated (qualifier in `figures`); empty when unknown"),
    Column("jobs", INTEGER, "jobs as stated (qualifier in `figures`); empty when unknown"),
    Column("exports_value", DECIMAL, "exports in `exports_unit`; empty when unknown"),
    _text("exports_unit", "unit of `exports_value`, e.g. `million USD per year`"),
    Column("investment_value", DECIMAL, "investment in `investment_unit`; empty when unknown"),
    _text("investment_unit", "unit of `investment_value`, e.g. `million $`"),
    _text("figures", "the facts with their qualifiers as the source gives them, one per line"),
    _text("source", "citations `file, section`, several joined with ` | `"),
    _text("notes", "contradictions between sources, reading notes and flags (shown to users)"),
))  # fmt: skip

# --- the states layer export (`geo.join.state_counts`), plus one count column per sector ---
STATE_LAYER = Table("states layer", (
    _text("state_code", "INEGI two-digit state code (keep the leading zero)"),
    _text("state", "canonical state name"),
    _text("state_official", "official INEGI state name"),
    Column("clusters", INTEGER, "clusters in the state matching the export's filters"),
    Column("projects", INTEGER, "projects in the state matching the export's filters"),
    Column("records", INTEGER, "`clusters` + `projects`"),
))  # fmt: skip

# Layer -> the GeoPackage geometry type; None = inferred from the shapes (Polygon or MultiPolygon).
LAYER_GEOMETRY = {"states": None, "clusters": "Point", "projects": "Point", "extra": "Point"}  # extra: a user's file


def state_layer(sectors: tuple[str, ...] = SECTORS) -> Table:
    """The states layer's columns including one count column per sector."""
    per_sector = tuple(Column(s, INTEGER, f"records of the sector {s} in the state") for s in sectors)
    return Table(STATE_LAYER.title, STATE_LAYER.columns + per_sector)


# --- the seed files (seeds/README.md) ---
RECORD_FILE = Table("clusters.csv and projects.csv", (
    _text("id", "stable id: `cl-` or `pr-`, the state's ISO 3166-2 suffix (`xx` when the record has no "
          "single state), a slug"),
    _text("kind", "`cluster` in clusters.csv, `project` in projects.csv", KINDS),
    _text("name", "the name as written in the source (typos kept, e.g. \"Cluster Logítico\", \"Monterry IT "
          "Cluster\"); merged records use the most descriptive form"),
    _text("project_type", "projects: what kind of project; empty for clusters", (*PROJECT_TYPES, "")),
    _text("sector", "normalised sector (see *Sectors* below)", **_SECTOR),
    _text("sector_raw", "the sector label(s) as written in the source, `; `-separated when sources differ; "
          "each listed in `sector_map.csv`"),
    _text("state", "canonical state name (`states.csv`); any spelling is accepted and normalised on load; "
          "empty when the body is multi-state or national, or the documents do not say"),
    _text("state_code", "INEGI two-digit code of `state` (checked on load)"),
    _text("related_states", "other states involved (`; `-separated) for multi-state bodies"),
    _text("place", "the city, only where a document names it"),
    _text("location_precision", "`city` (lon/lat of the named city), `state` (placed at the state's anchor "
          "point, a point inside its polygon computed from the boundaries), `none` (not mapped)", PRECISIONS),
    Column("lon", DECIMAL, "WGS84 degrees, only for `city` precision"),
    Column("lat", DECIMAL, "WGS84 degrees, only for `city` precision"),
    _text("location_source", "citation for the coordinates or for an outside location fact"),
    Column("year", INTEGER, "the year a document gives; empty when no document gives one"),
    _text("year_basis", "what `year` dates; `unknown` or empty when the year is unknown",
          (*YEAR_BASES, UNKNOWN_YEAR_BASIS, "")),
    _text("label", "the ECEI/ESCA quality label a document names (002 Table 2, 004 §2 and §4), as the document "
          "names the level; empty when none is named", (*LABELS, "")),
    _text("label_valid_until", "\"Label valid until\" of 002 Table 2 as `YYYY-MM-DD` (printed `YYYY/MM/DD`); "
          "empty when the record has no label or no document dates it"),
    _text("notes", "merges, readings of garbled tables, contradictions; shown to users in popups and the "
          "state panel"),
))  # fmt: skip
CITATIONS = Table("citations.csv", (
    _text("record_id", "the `id` of a record in clusters.csv or projects.csv"),
    _text("file", "the cited document's file name in `../shared/seeds/`"),
    _text("section", "the section or table as the document numbers it, e.g. `Annex, Table 6`"),
    _text("quote", "a short quote that occurs in the cited file"),
))  # fmt: skip
FIGURES = Table("figures.csv", (
    _text("record_id", "the `id` of a record in clusters.csv or projects.csv"),
    _text("metric", "what the figure counts", METRICS),
    Column("value", DECIMAL, "the number as the source states it (not negative)"),
    _text("qualifier", "the source's hedging: \"over\", \"approximately\", \"more than\"; else empty"),
    _text("unit", "unit and currency, e.g. \"million EUR per year\", \"million $\" where the source writes "
          "only \"$\""),
    _text("period", "the year the figure refers to, when stated"),
    _text("file", "the cited document's file name in `../shared/seeds/`"),
    _text("section", "the section or table as the document numbers it"),
    _text("quote", "a short quote stating the value (in digits or words)"),
))  # fmt: skip
STATES_FILE = Table("states.csv", (
    _text("state_code", "INEGI clave de entidad, `01`..`32`"),
    _text("state", "the name the atlas shows"),
    _text("state_official", "INEGI's official name, e.g. \"Coahuila de Zaragoza\", \"México\""),
    _text("iso_3166_2", "ISO 3166-2:MX code, e.g. `MX-NLE`"),
    _text("source", "citation"),
))  # fmt: skip
SECTOR_MAP_FILE = Table("sector_map.csv", (
    _text("sector_raw", "a raw sector label used in the records (matched case-insensitively)"),
    _text("sector", "the sector it maps to", **_SECTOR),
))  # fmt: skip
ANNEX_COUNTS_FILE = Table("annex_table6_counts.csv", (
    _text("state", "canonical state name"),
    Column("stated_count", INTEGER, "the number of clusters Annex Table 6 states for the state"),
    _text("file", "the cited document's file name"),
    _text("section", "the cited section"),
    _text("note", "where the stated count and the clusters listed differ"),
))  # fmt: skip

CROSSWALK_FILE = Table("scian_crosswalk.csv", (
    _text("sector", "an atlas sector", **_SECTOR),
    _text("scian", "a SCIAN 2007 subsector code of INEGI's exports table (three digits); empty: none fits"),
    _text("note", "why the sector maps to this code, or why to none"),
))  # fmt: skip

# --- a user's own file (geo.upload, docs/your-data.md): drawn apart, never mixed with the cited records ---
UPLOAD_FILE = Table("your own data", (
    _text("name", "required: the cluster's or project's name"),
    _text("kind", "required: what the row is (any letter case)", KINDS),
    _text("sector", "required unless `sector_raw` is given: an atlas sector (any letter case)", **_SECTOR),
    _text("sector_raw", "required unless `sector` is given: a sector label as the atlas's sources write it "
          "(one listed in `seeds/sector_map.csv`, e.g. `aeronautics`); also kept as written beside `sector`"),
    _text("state", "required unless `lon` and `lat` are given: a Mexican state, any spelling (`Nuevo Leon`, "
          "`CDMX`, `Edomex`); without lon/lat the row is placed at the state's representative point"),
    Column("lon", DECIMAL, "required (with `lat`) unless `state` is given: longitude, WGS 84 degrees, inside "
           "Mexico; in a GeoJSON or GeoPackage the feature's point"),
    Column("lat", DECIMAL, "required (with `lon`) unless `state` is given: latitude, WGS 84 degrees, inside "
           "Mexico; with a `state`, the point must lie in that state"),
    _text("place", "optional: the city or site"),
    _text("project_type", "optional, projects only: what kind of project", (*PROJECT_TYPES, "")),
    Column("year", INTEGER, "optional: a year from 1900 to this year"),
    _text("year_basis", "optional: what `year` dates; `reported` when a year is given without one",
          (*YEAR_BASES, "")),
    _text("notes", "optional: anything to show in the popup"),
))  # fmt: skip

RECORD_FILES = {"clusters.csv": "cluster", "projects.csv": "project"}  # file -> the kind it holds
SEED_FILES = {
    "clusters.csv": RECORD_FILE,
    "projects.csv": RECORD_FILE,
    "citations.csv": CITATIONS,
    "figures.csv": FIGURES,
    "states.csv": STATES_FILE,
    "sector_map.csv": SECTOR_MAP_FILE,
    "annex_table6_counts.csv": ANNEX_COUNTS_FILE,
}


# --- the docs ---------------------------------------------------------------------------------

# Tables generated into the docs: (file under the repo root, block name) -> table.
DOC_TABLES = {
    ("docs/architecture.md", "records"): RECORDS,
    ("seeds/README.md", "record-files"): RECORD_FILE,
    ("seeds/README.md", "citations"): CITATIONS,
    ("seeds/README.md", "figures"): FIGURES,
    ("docs/your-data.md", "upload"): UPLOAD_FILE,
}


def markdown_table(table: Table) -> str:
    """The columns of `table` as a markdown table: column, type, allowed values, meaning."""
    lines = ["| column | type | allowed values | meaning |", "|---|---|---|---|"]
    for column in table.columns:
        allowed = column.values_doc or ", ".join(f"`{v}`" if v else '`""` (empty)' for v in column.values)
        lines.append(f"| `{column.name}` | {column.type} | {_cell(allowed)} | {_cell(column.meaning)} |")
    return "\n".join(lines) + "\n"


def doc_block(text: str, name: str) -> str | None:
    """The generated block `name` of a markdown document, or None when it has none."""
    match = _block(name).search(text)
    return None if match is None else match["body"]


def render_doc(text: str, tables: dict[str, Table]) -> str:
    """`text` with each generated block (block name -> table) replaced by the table's markdown."""
    for name, table in tables.items():
        if doc_block(text, name) is None:
            raise ValueError(f"no generated block {name!r}: add {_START.format(name=name)} and "
                             f"{_END.format(name=name)} lines")  # fmt: skip
        text = _block(name).sub(lambda m, t=table: m["start"] + markdown_table(t) + m["end"], text)
    return text


def update_docs(root: Path = REPO_ROOT) -> list[Path]:
    """Regenerate the column tables in the docs; returns the files that changed."""
    changed = []
    for doc in sorted({path for path, _ in DOC_TABLES}):
        path = root / doc
        text = path.read_text(encoding="utf-8")
        new = render_doc(text, {name: table for (p, name), table in DOC_TABLES.items() if p == doc})
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


_START = "<!-- generated by geo/schema.py: {name} -->"
_END = "<!-- end of generated table: {name} -->"


def _block(name: str) -> re.Pattern:
    start, end = (re.escape(marker.format(name=name)) for marker in (_START, _END))
    return re.compile(rf"(?P<start>{start}\n)(?P<body>.*?)(?P<end>{end})", re.DOTALL)


def _cell(text: str) -> str:
    """Text for a markdown table cell: a bare | would end the cell, even inside backticks."""
    return text.replace("|", r"\|")


if __name__ == "__main__":
    for changed in update_docs():
        print(f"updated {changed.relative_to(REPO_ROOT)}")
