import json
import os
import signal
import stat
import zipfile

import geopandas as gpd
import pytest

from geo import boundaries, export, seeds
from geo.cli import main
from geo.join import Filters
from tests.helpers import DATE, assert_round_trip, frame_for, read_export, records_frame, states_frame

# The hand-made records date from 1999 to 2010.
BOUNDS_MESSAGE = "outside the data's years 1999-2010"


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


def run(*options):
    return main(["export", "--layer", "clusters", "--date", DATE.isoformat(), *options])


# --- bare files -------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", export.LAYERS)
@pytest.mark.parametrize("fmt", export.FORMATS)
def test_no_bundle_writes_a_file_that_reads_back(layer, fmt, loaded, tmp_path, capsys):
    out = tmp_path / f"out{export.FORMATS[fmt].extension}"
    assert main(["export", "--layer", layer, "--format", fmt, "--no-bundle", "--out", str(out)]) == 0
    expected = frame_for(layer)
    assert_round_trip(expected, read_export(out, fmt, expected), fmt)
    assert capsys.readouterr().out == f"Wrote {len(expected)} {layer} rows ({fmt}) to {out}\n"
    assert loaded == (["full"] if layer == "states" else [])


@pytest.mark.parametrize("name", ["out.gpkg", "OUT.GeoJSON", "out.shp.zip", "out.parquet", "out.xlsx"])
def test_no_bundle_infers_the_format_from_the_extension(name, loaded, tmp_path, capsys):
    assert run("--no-bundle", "--out", str(tmp_path / name)) == 0
    fmt = next(key for key, spec in export.FORMATS.items() if name.casefold().endswith(spec.extension))
    assert f"({fmt}) to" in capsys.readouterr().out
    assert (tmp_path / name).read_bytes() == export.export_file("clusters", fmt, frame_for("clusters"), date=DATE)[1]


@pytest.mark.parametrize(
    ("options", "ids"),
    [
        (["--sector", "aerospace"], ["cl-que-aero"]),
        (["--sector", "ICT", "--sector", "AUTOMOTIVE"], ["cl-nle-claut", "cl-nat-ict"]),
        (["--years", "2006-2020"], ["cl-nle-claut", "cl-nat-ict"]),  # unknown years stay; clamped to 2006-2010
        (["--years", "2006–2010"], ["cl-nle-claut", "cl-nat-ict"]),  # the en dash of the app's title
        (["--years", "2006-2020", "--known-years-only"], ["cl-nat-ict"]),
    ],
)
def test_filters(options, ids, loaded, tmp_path):
    out = tmp_path / "clusters.geojson"
    assert run("--no-bundle", "--out", str(out), *options) == 0
    assert gpd.read_file(out)["id"].tolist() == ids


# --- bundles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", export.LAYERS)
@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "xlsx"])
def test_bundle_is_the_apps_bundle(layer, fmt, loaded, tmp_path, monkeypatch, capsys):
    """Without --out the bundle gets the app's name, and it is byte for byte what the app's download
    button gives (app.py's `_bundle` returns export.layer_bundle for the same filters and date)."""
    monkeypatch.chdir(tmp_path)
    argv = ["export", "--layer", layer, "--format", fmt, "--sector", "aerospace", "--sector", "ICT"]
    assert main([*argv, "--years", "2000-2010", "--date", DATE.isoformat()]) == 0
    filters = Filters(sectors=("Aerospace", "ICT"), years=(2000, 2010))
    name, data, _ = export.layer_bundle(layer, fmt, states_frame(), records_frame(), filters, date=DATE)
    assert os.listdir(tmp_path) == [name]
    assert (tmp_path / name).read_bytes() == data
    assert capsys.readouterr().out.endswith(f"({fmt} bundle) to {name}\n")


def test_bundle_holds_data_dictionary_sources_and_filters(loaded, tmp_path, capsys):
    out = tmp_path / "mine.zip"
    assert run("--format", "csv", "--years", "1990-2005", "--known-years-only", "--out", str(out)) == 0
    assert "Years 1990-2005 clamped to the data's years: 1999-2005." in capsys.readouterr().err
    with zipfile.ZipFile(out) as bundle:
        assert bundle.namelist() == ["atlas-clusters.csv", "DATA_DICTIONARY.md", "SOURCES.md", "FILTERS.json"]
        described = json.loads(bundle.read("FILTERS.json"))
    assert described["years"] == [1999, 2005] and described["known_years_only"] is True
    assert described["command"].endswith("--years 1999-2005 --known-years-only --date 2026-12-02")


def test_without_years_the_bundle_covers_the_datas_years(loaded, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("--format", "csv") == 0
    assert os.listdir(tmp_path) == ["mexico-atlas_clusters_all-sectors_1999-2010_csv_2026-12-02.zip"]


# --- bad arguments: exit 2, nothing written ---------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--sector", "Mining2"], "valid sectors: Aerospace, Automotive, ICT"),
        (["--years", "9999-1"], '"YYYY-YYYY"'),
        (["--years", "2018-2004"], "reversed"),
        (["--years", "2004:2018"], '"YYYY-YYYY"'),
        (["--years", "2004"], '"YYYY-YYYY"'),
        (["--years", "1990-1995"], f"invalid year range '1990-1995': {BOUNDS_MESSAGE}"),  # wholly before the data
        (["--years", "2011-2030"], BOUNDS_MESSAGE),  # wholly after
        (["--layer", "roads"], "invalid choice: 'roads'"),
        (["--format", "dxf"], "invalid choice: 'dxf'"),
        (["--date", "2026-13-01"], "expected YYYY-MM-DD"),
        (["--format", "csv"], "--format csv contradicts --out out.geojson: a csv file ends with .csv"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(options, message, loaded, tmp_path, capsys):
    out = tmp_path / "out.geojson"
    assert run("--format", "geojson", "--no-bundle", "--out", str(out), *options) == 2
    assert message in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--out", "x.zip"], "--format is needed for a bundle"),
        (["--format", "csv", "--out", "x.csv"], "a bundle is a .zip file"),
        (["--format", "shp", "--out", "x.shp.zip"], "looks like a bare shp file"),
        (["--no-bundle", "--out", "x.txt"], "cannot tell the format of 'x.txt'"),
        (["--no-bundle"], "cannot tell the format of the output"),
    ],
)
def test_bundle_and_format_mistakes(options, message, loaded, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run(*options) == 2
    assert message in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def _fifo(path):
    os.mkfifo(path)


def _symlink(path):
    path.symlink_to(path.parent / "elsewhere.csv")  # dangling: writing through it would create a file


def _file(path):
    path.write_bytes(b"keep me")


@pytest.mark.parametrize(
    ("out", "make", "message"),
    [
        ("", None, "--out '' is not a file name"),
        ("-", None, "--out '-' is not a file name"),
        (".", None, "is a folder"),
        ("/", None, "is a folder"),
        ("{tmp}/", None, "is a folder"),
        ("{tmp}/sub", os.mkdir, "is a folder"),
        ("{tmp}/missing/out.csv", None, "the folder {tmp}/missing does not exist"),
        ("{tmp}/pipe.csv", _fifo, "is not a regular file"),
        ("{tmp}/link.csv", _symlink, "is a symbolic link"),
        ("{tmp}/out.csv", _file, "exists; use --force to replace it"),
    ],
)
@pytest.mark.parametrize("bundle", [False, True])
def test_unsafe_out_exits_2_and_replaces_nothing(out, make, message, bundle, loaded, tmp_path, capsys):
    out, message = out.format(tmp=tmp_path), message.format(tmp=tmp_path)
    if make:
        make(tmp_path / os.path.basename(out))
    before = {p.name: (os.lstat(p).st_mode, p.is_file() and p.read_bytes()) for p in tmp_path.iterdir()}
    options = ["--format", "csv"] + ([] if bundle else ["--no-bundle"])
    assert run(*options, "--out", out) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert message in line
    assert {p.name: (os.lstat(p).st_mode, p.is_file() and p.read_bytes()) for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("force", [False, True])
def test_a_device_is_never_replaced(force, loaded, capsys):
    before = os.lstat("/dev/null")
    assert run("--format", "csv", "--no-bundle", "--out", "/dev/null", *(["--force"] if force else [])) == 2
    assert "is not a regular file" in capsys.readouterr().err
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode) and os.lstat("/dev/null").st_ino == before.st_ino


def test_force_replaces_a_file_keeping_its_permissions(loaded, tmp_path):
    out = tmp_path / "out.csv"
    out.write_bytes(b"old")
    out.chmod(0o600)
    assert run("--no-bundle", "--force", "--out", str(out)) == 0
    assert out.read_bytes() == export.export_file("clusters", "csv", frame_for("clusters"), date=DATE)[1]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["out.csv"]


# --- interruptions and failures ---------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_mid_write_leaves_no_file(signum, loaded, tmp_path, monkeypatch, capsys):
    fsync = os.fsync

    def signalled_fsync(fd):
        os.kill(os.getpid(), signum)  # arrives while the temporary file is open
        fsync(fd)

    monkeypatch.setattr(export.os, "fsync", signalled_fsync)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    assert run("--format", "csv", "--out", str(tmp_path / "out.zip")) == 128 + signum
    assert os.listdir(tmp_path) == []
    assert capsys.readouterr().err == f"atlas: stopped by {signal.Signals(signum).name}; nothing written.\n"
    assert {s: signal.getsignal(s) for s in handlers} == handlers  # the previous handlers are back


def test_ctrl_c_prints_one_line(monkeypatch, tmp_path, capsys):
    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(seeds, "load_records", interrupted)
    assert run("--format", "csv", "--out", str(tmp_path / "out.zip")) == 130
    assert capsys.readouterr().err == "atlas: interrupted; nothing written.\n"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("argv", [[], ["export"], ["export", "--format", "csv"]])
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
    assert main(["export", "--layer", "clusters", "--format", "csv", "--no-bundle", "--out", str(out)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == problems
    assert "nothing written" in err[2]
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("options", [["--format", "geojson", "--no-bundle"], ["--format", "gpkg"]])
def test_a_failing_write_leaves_no_file(options, loaded, monkeypatch, tmp_path, capsys):
    def fail(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.os, "link", fail)
    out = tmp_path / ("out.geojson" if "--no-bundle" in options else "out.zip")
    assert main(["export", "--layer", "projects", *options, "--out", str(out)]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []
