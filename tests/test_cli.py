import os

import geopandas as gpd
import pytest

from geo import boundaries, export, seeds
from geo.cli import main
from tests.helpers import assert_same_cells, frame_for, read_export, records_frame, states_frame


@pytest.fixture
def loaded(monkeypatch):
    """Hand-made frames instead of the seeds and boundary files; records the resolution asked."""
    asked = []

    def load_states(resolution="web"):
        asked.append(resolution)
        return states_frame()

    monkeypatch.setattr(seeds, "load_records", records_frame)
    monkeypatch.setattr(boundaries, "load_states", load_states)
    return asked


@pytest.mark.parametrize("layer", ["states", "clusters", "projects"])
@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg"])
def test_export_writes_a_file_that_reads_back(layer, fmt, loaded, tmp_path, capsys):
    out = tmp_path / f"out.{fmt}"
    assert main(["export", "--layer", layer, "--format", fmt, "--out", str(out)]) == 0
    expected = frame_for(layer)
    assert_same_cells(expected, read_export(out, fmt, expected), [c for c in expected.columns if c != "geometry"])
    assert capsys.readouterr().out == f"Wrote {len(expected)} {layer} rows ({fmt}) to {out}\n"
    assert loaded == (["full"] if layer == "states" else [])


@pytest.mark.parametrize(
    ("options", "ids"),
    [
        (["--sector", "aerospace"], ["cl-que-aero"]),
        (["--sector", "ICT", "--sector", "AUTOMOTIVE"], ["cl-nle-claut", "cl-nat-ict"]),
        (["--years", "2006-2020"], ["cl-nle-claut", "cl-nat-ict"]),  # unknown years stay
        (["--years", "2006-2020", "--known-years-only"], ["cl-nat-ict"]),
    ],
)
def test_filters(options, ids, loaded, tmp_path):
    out = tmp_path / "clusters.geojson"
    assert main(["export", "--layer", "clusters", "--format", "geojson", "--out", str(out), *options]) == 0
    assert gpd.read_file(out)["id"].tolist() == ids


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--sector", "Mining2"], "valid sectors: Aerospace, Automotive, ICT"),
        (["--years", "9999-1"], '"YYYY-YYYY"'),
        (["--years", "2018-2004"], "reversed"),
        (["--years", "2004:2018"], '"YYYY-YYYY"'),
        (["--years", "2004"], '"YYYY-YYYY"'),
        (["--layer", "roads"], "invalid choice: 'roads'"),
        (["--format", "shp"], "invalid choice: 'shp'"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(options, message, loaded, tmp_path, capsys):
    out = tmp_path / "out.geojson"
    argv = ["export", "--layer", "clusters", "--format", "geojson", "--out", str(out), *options]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("argv", [[], ["export"], ["export", "--layer", "states", "--format", "csv"]])
def test_incomplete_commands_exit_2(argv, capsys):
    assert main(argv) == 2
    assert "usage: atlas" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["export", "--help"]) == 0
    assert "--known-years-only" in capsys.readouterr().out


def test_seed_problems_are_listed_and_nothing_is_written(monkeypatch, tmp_path, capsys):
    problems = [
        "clusters.csv, line 4, column year: '20x5' is not a year; expected 1900..2026 or empty",
        "projects.csv, line 9, column state: 'Atlantis' is not a state; closest known: Campeche",
    ]

    def broken():
        raise seeds.SeedError(problems)

    monkeypatch.setattr(seeds, "load_records", broken)
    out = tmp_path / "out.csv"
    assert main(["export", "--layer", "clusters", "--format", "csv", "--out", str(out)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == problems
    assert "nothing written" in err[2]
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_a_failing_write_leaves_no_file(fmt, loaded, monkeypatch, tmp_path, capsys):
    def fail(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.os, "replace", fail)
    out = tmp_path / f"out.{fmt}"
    assert main(["export", "--layer", "projects", "--format", fmt, "--out", str(out)]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_a_missing_folder_is_an_error(loaded, tmp_path, capsys):
    out = tmp_path / "missing" / "out.csv"
    assert main(["export", "--layer", "clusters", "--format", "csv", "--out", str(out)]) == 1
    assert "No such file or directory" in capsys.readouterr().err
