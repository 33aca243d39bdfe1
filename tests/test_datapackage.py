"""seeds/datapackage.json: generated from geo/schema.py, committed, and valid with the seeds it describes."""

import json
import shutil

import pytest
from frictionless import validate

from geo import datapackage, schema
from geo.documents import DOCUMENTS_FILE
from geo.paths import SEEDS_DIR
from tests.helpers import copy_seeds, rewrite_csv


def test_committed_package_is_the_generators_output():
    committed = (SEEDS_DIR / datapackage.PACKAGE_FILE).read_text(encoding="utf-8")
    assert committed == datapackage.package_text(), "run `uv run python -m geo.datapackage` and commit the result"


def test_package_and_every_seed_file_validate():
    report = validate(str(SEEDS_DIR / datapackage.PACKAGE_FILE))
    assert report.valid, report.flatten(["taskName", "rowNumber", "fieldName", "message"])[:10]
    assert report.stats["tasks"] == len(datapackage.RESOURCES)


def test_every_seed_file_and_column_is_described():
    package = datapackage.data_package()
    resources = {resource["path"]: resource for resource in package["resources"]}
    assert set(resources) == {*schema.SEED_FILES, DOCUMENTS_FILE, schema.CROSSWALK_FILE.title}
    for path, table in schema.SEED_FILES.items():
        fields = resources[path]["schema"]["fields"]
        assert [f["name"] for f in fields] == list(table.names)
        assert all(f["description"] == table[f["name"]].meaning for f in fields)
    sector = next(f for f in resources["clusters.csv"]["schema"]["fields"] if f["name"] == "sector")
    assert sector["constraints"]["enum"][:3] == ["Aerospace", "Automotive", "ICT"]
    assert any(source["title"].startswith("Preparatory Briefing on Mexico (ECCP)") for source in package["sources"])
    assert package["licenses"]


def _first_row(column, value):
    """A change for rewrite_csv: `column` of the file's first row becomes `value`."""
    changed = []

    def change(row):
        if changed:
            return False
        row[column] = value
        changed.append(row)
        return True

    return change


@pytest.mark.parametrize(
    ("file", "column", "value", "error"),
    [
        ("clusters.csv", "sector", "Nope", "constraint-error"),
        ("clusters.csv", "year", "20x5", "type-error"),
        ("citations.csv", "file", "999_0000000000000000.txt", "foreign-key"),
    ],
)
def test_validation_catches_a_broken_seed(file, column, value, error, tmp_path):
    folder = copy_seeds(tmp_path / "seeds")
    shutil.copy(SEEDS_DIR / datapackage.PACKAGE_FILE, folder)
    assert len(rewrite_csv(folder / file, _first_row(column, value))) == 1
    report = validate(str(folder / datapackage.PACKAGE_FILE))
    assert error in {e["type"] for task in report.to_dict()["tasks"] for e in task["errors"]}


def test_package_text_is_plain_json():
    assert json.loads(datapackage.package_text())["name"] == "mexico-cluster-atlas-seeds"
