"""`atlas map`: the map image of a view, the same bytes the app's "Export this view" gives."""

import datetime

import pytest

from geo import boundaries, seeds
from geo.cli import main
from geo.view import View
from layers import mapimage
from tests.helpers import png_size, svg_text

DATE = "2026-12-02"


def draw(out, *options):
    return main(["map", "--out", str(out), "--date", DATE, *options])


@pytest.fixture(scope="module")
def records():
    return seeds.load_records()


def test_the_cli_image_is_the_apps_image(tmp_path, records, capsys):
    """Both call layers.mapimage.view_map with the same view, link and date."""
    out = tmp_path / "qro.png"
    options = ["--metric", "exports", "--sector", "Automotive", "--export-year", "2019", "--state", "qro"]
    assert draw(out, *options) == 0
    assert capsys.readouterr().out == f"Wrote the map (png, slide) to {out}\n"
    view = View(years=(2004, 2020), sectors=("Automotive",), metric="exports", state="Querétaro", year=2019)
    link = "http://localhost:8501/?sectors=Automotive&metric=exports&state=Quer%C3%A9taro&year=2019"
    expected = mapimage.view_map(view, boundaries.load_states("web"), records, link=link, date=DATE)
    assert out.read_bytes() == expected
    assert png_size(expected) == mapimage.pixel_size("slide")


def test_an_svg_carries_title_legend_metric_and_link(tmp_path):
    out = tmp_path / "map.svg"
    assert draw(out, "--metric", "per_million", "--sector", "Aerospace", "--size", "a4") == 0
    text = svg_text(out.read_bytes())
    for expected in (
        "Mexico Cluster Atlas — Aerospace, 2004–2020",
        "Clusters + projects per million inhabitants",
        "INEGI, Censo de Población y Vivienda 2020",
        "?sectors=Aerospace&metric=per_million",
        DATE,
    ):
        assert expected in text  # fmt: skip


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--years", "1990-1995"], "outside the data's years 2004-2020"),
        (["--export-year", "2030"], "INEGI's exports cover 2007-2025"),
        (["--state", "Texas"], "--state: Unknown state name 'Texas'"),
        (["--sector", "Space"], "unknown"),
        (["--format", "svg"], "contradicts --out"),
        (["--metric", "gdp"], None),  # argparse lists the choices
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(options, message, tmp_path, capsys):
    out = tmp_path / "map.png"
    assert draw(out, *options) == 2
    err = capsys.readouterr().err
    assert message is None or message in err
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["map.jpg", "map", "-", ""])
def test_an_out_that_is_not_an_image_file_exits_2(name, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["map", "--out", name]) == 2
    assert list(tmp_path.iterdir()) == [] and "atlas:" in capsys.readouterr().err


def test_an_existing_file_needs_force(tmp_path, capsys):
    out = tmp_path / "map.pdf"
    out.write_bytes(b"old")
    assert draw(out) == 2 and out.read_bytes() == b"old"
    assert "use --force" in capsys.readouterr().err
    assert draw(out, "--force") == 0 and out.read_bytes().startswith(b"%PDF")


def test_the_date_defaults_to_today(tmp_path):
    out = tmp_path / "map.svg"
    assert main(["map", "--out", str(out)]) == 0
    assert datetime.date.today().isoformat() in svg_text(out.read_bytes())
