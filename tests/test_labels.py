"""The ECEI label filter: in the link, the sidebar, the counts, the CLI and the bundle's name."""

import json
import zipfile

import pytest

from geo import export, seeds
from geo.cli import main
from geo.schema import LABELS
from geo.view import View, parse_view, view_to_params
from tests.helpers import layers, notices, run_app, shown

BOUNDS = (2004, 2020)


def parse(text):
    return parse_view({"labels": text}, sectors=("ICT",), year_bounds=BOUNDS, states=(), basemaps=())


@pytest.mark.parametrize(
    ("text", "labels", "notice"),
    [
        ("Gold Label", ("Gold Label",), None),
        ("bronze label, GOLD LABEL", ("Gold Label", "Bronze Label"), None),  # canonical order, any case
        ("Gold Label,Platinum", ("Gold Label",), 'Ignored unknown label(s) "Platinum"'),
        ("Platinum", (), "no known label"),
    ],
)
def test_the_link_holds_labels(text, labels, notice):
    view, notes = parse(text)
    assert view.labels == labels
    assert (notice is None and not notes) or any(notice in n for n in notes)
    if labels:
        assert view_to_params(view, View(years=BOUNDS))["labels"] == ",".join(labels)


def test_the_label_filter_keeps_only_labelled_records():
    records = seeds.load_records()
    at = run_app({"labels": "Gold Label,Silver Label"})
    assert not notices(at) and at.session_state["labels"] == ["Gold Label", "Silver Label"]
    labelled = records[records["label"].isin(["Gold Label", "Silver Label"])]
    info = layers(at)["states"]["info"]
    assert sum(row[3] for row in info.values()) == int((labelled["state_code"] != "").sum())
    at.multiselect(key="labels").set_value([]).run()
    assert "labels" not in at.query_params
    assert sum(row[3] for row in layers(at)["states"]["info"].values()) == int((records["state_code"] != "").sum())


def test_the_cli_filters_by_label_and_names_the_bundle_after_it(tmp_path, capsys):
    assert main(["export", "--layer", "clusters", "--format", "csv", "--label", "gold", "--date", "2026-12-02",
                 "--out", str(tmp_path / "gold.zip")]) == 0  # fmt: skip
    with zipfile.ZipFile(tmp_path / "gold.zip") as bundle:
        described = json.loads(bundle.read("FILTERS.json"))
    assert described["labels"] == ["Gold Label"] and "--label 'Gold Label'" in described["command"]
    records = seeds.load_records()
    assert described["rows"] == int(((records["label"] == "Gold Label") & (records["kind"] == "cluster")).sum())
    assert main(["export", "--layer", "clusters", "--format", "csv", "--label", "platinum",
                 "--out", str(tmp_path / "x.zip")]) == 2  # fmt: skip
    assert "unknown label(s) platinum" in capsys.readouterr().err and not (tmp_path / "x.zip").exists()


@pytest.mark.parametrize(
    ("labels", "part"), [((), "_2004-2020_csv_"), (("Gold Label", "Bronze Label"), "_2004-2020_gold-bronze_csv_")]
)
def test_bundle_names_say_the_label_filter(labels, part):
    import datetime

    from geo.join import Filters

    name = export.bundle_name("clusters", "csv", Filters(years=BOUNDS, labels=labels), datetime.date(2026, 12, 2))
    assert part in name


def test_cards_show_the_label():
    at = run_app({"state": "Nuevo León"})
    assert any("ECEI Gold Label" in shown(m.value) for m in at.markdown), "CLAUT's card names its label"
    assert set(LABELS) == {"Gold Label", "Silver Label", "Bronze Label"}
