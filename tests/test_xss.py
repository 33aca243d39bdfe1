"""Hostile text in the seed files must show up as text everywhere the atlas renders it.

A copy of seeds/ has a few records' human text (name, notes, place, location_source, citation
section and quote, figure qualifier and unit) replaced by payloads; ids, sectors and states stay
valid so the records load. Then, per surface:

- the map: layers rendered to HTML, embedded and published; popups, marker and state tooltips
  assembled as the runtime assembles them and parsed: only the runtime's fixed markup is markup;
- the page (AppTest): state-panel cards and the unmapped list render (CommonMark) with no active
  element and show the payload as text; Streamlit's own $…$ and :colour[…] syntax is escaped;
- the charts: sector names come from the fixed taxonomy only;
- the downloads: SOURCES.md and DATA_DICTIONARY.md render inert;
- the URL: notices echo no markup.

tests/test_layers.py covers the layer builders with hand-made frames; this file runs the whole
chain from CSV files.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile

import pyarrow as pa
import pytest
import streamlit as st

from geo import boundaries, export, join, seeds
from geo.sectors import SECTORS
from layers import assets, basemap, markers, style
from tests.helpers import (
    MD,
    PAYLOADS,
    assert_only_markup,
    assert_safe_notice,
    atlas_calls,
    copy_seeds,
    map_args,
    map_assets,
    map_elements,
    notices,
    publish,
    rewrite_csv,
    run_app,
    run_runtime,
    runtime_popups,
    shown,
)

HOSTILE = " ".join(PAYLOADS)
# Notes also try block syntax after a line break.
HOSTILE_NOTES = HOSTILE + "\n# not a heading\n- not a list\n> not a quote\n    not code"
STATE = "Nuevo León"  # the state panel opened in the page tests
ACTIVE = ("<script", "<img", "<a ", "<a>", "<code", "<h1", "<ul", "<blockquote", "<pre", "<iframe", "<svg")


def active_markup(rendered: str) -> list[str]:
    return [tag for tag in ACTIVE if tag in rendered.lower()]


# --------------------------------------------------------------------------- hostile seeds


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    """A seeds folder with hostile text in a city cluster and a project of STATE and in an
    unmapped cluster; returns the folder and the hostile records' ids."""
    folder = copy_seeds(tmp_path_factory.mktemp("hostile") / "seeds")
    ids: dict[str, str] = {}

    def clusters(row):
        if "city" not in ids and row["state"] == STATE and row["location_precision"] == "city":
            ids["city"] = row["id"]
            row.update(
                name="City " + HOSTILE, notes=HOSTILE_NOTES, place=HOSTILE, location_source="GeoNames " + HOSTILE
            )
            return True
        if "unmapped" not in ids and row["state"] == "":
            ids["unmapped"] = row["id"]
            row.update(name="Unmapped " + HOSTILE, notes=HOSTILE_NOTES)
            return True
        return False

    def projects(row):
        if "project" not in ids and row["state"] == STATE:
            ids["project"] = row["id"]
            row.update(name="Project " + HOSTILE, notes=HOSTILE_NOTES)
            return True
        return False

    rewrite_csv(folder / "clusters.csv", clusters)
    rewrite_csv(folder / "projects.csv", projects)
    assert set(ids) == {"city", "unmapped", "project"}, ids
    chosen = set(ids.values())
    cited = rewrite_csv(
        folder / "citations.csv",
        lambda row: row["record_id"] in chosen and row.update(section="Section " + HOSTILE, quote=HOSTILE) is None,
    )
    assert len(cited) >= 3
    with (folder / "figures.csv").open("a", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        for rid in sorted(chosen):
            writer.writerow([rid, "other", "7", HOSTILE, HOSTILE, HOSTILE, "000_hostile.txt", HOSTILE, HOSTILE])
    return {"folder": folder, "ids": ids}


@pytest.fixture(scope="module")
def hostile_records(hostile):
    frame = seeds.load_records(hostile["folder"])
    by_id = frame.set_index("id")
    for rid in hostile["ids"].values():
        assert HOSTILE in by_id.loc[rid, "name"] and HOSTILE in by_id.loc[rid, "source"]
        assert HOSTILE in by_id.loc[rid, "figures"]
    return frame


@pytest.fixture(scope="module")
def states():
    return boundaries.load_states("web")


# --------------------------------------------------------------------------- markup checks


def decoded(page: str) -> str:
    """A page with JSON's \\u escapes decoded: what the runtime hands to innerHTML."""
    for escape, char in (("\\u003c", "<"), ("\\u003e", ">"), ("\\u0026", "&"), ("\\u0027", "'")):
        page = page.replace(escape, char)
    return page


def assert_no_live_payload(page: str) -> None:
    for text in (page, decoded(page)):
        assert "<script>alert" not in text and "<img src=x" not in text
        assert '" onmouseover="' not in text and "' onfocus='" not in text
        assert "</div></dd></dl>" not in text
        assert not re.search(r"(href|src)\s*=\s*[\"']?javascript:", text, re.IGNORECASE)


def runtime_tips(view: dict) -> dict[str, str]:
    """What the runtime's stateTip(view, id) shows for every state (the real JS, run in Node)."""
    return run_runtime(
        "Object.fromEntries(Object.keys(view.info).map(id => [id, atlas.stateTip(view, id)]))", view=view
    )


def check_marker_table(table: dict, hostile_names: set[str]) -> None:
    """Every popup and marker tooltip is fixed markup around text; the hostile names show as text."""
    names, popup_text = set(), []
    for tooltip, popup in zip(table["name"], runtime_popups(table), strict=True):
        names.add(assert_only_markup(tooltip, set()))  # a marker tooltip is text only
        popup_text.append(assert_only_markup(popup, {"div", "h3", "dl", "dt", "dd"}))
    assert hostile_names <= names
    joined = "\n".join(popup_text)
    assert ("Section " + HOSTILE) in joined  # the citation, as text
    assert HOSTILE_NOTES in joined  # the notes with their line breaks, as text


# --------------------------------------------------------------------------- (a) map layers


def test_layers_and_published_data_show_hostile_text_as_text(hostile_records, states, hostile, tmp_path):
    data = publish(tmp_path, states, hostile_records, outline=boundaries.country_outline(states))
    files = {p.name.split("-")[0]: p for p in tmp_path.glob("*.json")}
    published = files["records"].read_text(encoding="utf-8")
    assert "alert(1)" in decoded(published)  # the payloads are there...
    assert_no_live_payload(published)  # ...as text only
    table = json.loads(published)
    by_id = hostile_records.set_index("id")
    check_marker_table(table, {by_id.loc[hostile["ids"][k], "name"] for k in ("city", "project")})
    unmapped_name = by_id.loc[hostile["ids"]["unmapped"], "name"]
    assert all(html.unescape(name) != unmapped_name for name in table["name"])

    counts = join.state_counts(states, hostile_records, join.Filters())
    classes = style.classify(counts["records"])
    groups = basemap.map_layers(counts, hostile_records, metric="records", classes=classes, selected=STATE, data=data)
    m = basemap.base_map(assets=map_assets())
    for group in groups:
        group.add_to(m)
    page = m.get_root().render()
    assert "alert" not in page  # only selections, URLs and state names travel per rerun
    assert_no_live_payload(page)

    [view] = [options["view"] for function, options in atlas_calls(page) if function == "states"]
    titles = set()
    for fid, tip in runtime_tips(view).items():
        tip = assert_only_markup(tip, {"div", "ul", "li"})
        titles.add(html.unescape(view["info"][fid][0]))
        assert tip.startswith(html.unescape(view["info"][fid][0]))
    assert titles == set(states["state"])
    assert [html.unescape(s) for s in view["sectors"]] == list(SECTORS)  # "&" in sector names escaped
    assert "Chemicals &amp; Petroleum" in view["sectors"]


def test_popup_html_matches_the_runtime_assembly_for_hostile_records(hostile_records, hostile):
    table = markers.marker_table(hostile_records).data
    points = hostile_records[hostile_records.geometry.notna()]
    expected = {markers.popup_html(rec) for rec in points.to_dict("records")}
    assert set(runtime_popups(table)) == expected


# --------------------------------------------------------------------------- (b, c) the page


@pytest.fixture(scope="module")
def hostile_app(hostile, tmp_path_factory):
    """The app on the hostile seeds, its map data published to a temporary folder."""
    static = tmp_path_factory.mktemp("map-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATLAS_SEEDS_DIR", str(hostile["folder"]))
        mp.setenv(assets.CACHE_ENV, str(static))
        st.cache_data.clear()
        st.cache_resource.clear()
        try:
            at = run_app({"state": STATE})
            yield at, static
        finally:
            st.cache_data.clear()
            st.cache_resource.clear()


def _cards(block) -> list[str]:
    return [m.value for m in block.markdown if "alert" in m.value]


def assert_markdown_is_text(body: str) -> str:
    """A markdown body from the page renders with no active element and escapes Streamlit's
    extensions; returns what a reader sees."""
    rendered = MD.render(body)
    assert not active_markup(rendered), (active_markup(rendered), rendered[:300])
    assert rendered.count("<strong>") == 1 and rendered.count("<em>") <= 1  # the card's own bold name, italic notes
    bare = re.sub(r"\\.", "", body)  # drop backslash escapes: what is left is live syntax
    assert not re.search(r"[$\[\]`<>]", bare), bare[:300]  # no $…$, :red[…], links, code, tags
    return shown(body)


def test_state_panel_cards_show_hostile_text_as_text(hostile_app, hostile):
    at, _ = hostile_app
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader][:1] == [STATE]
    cards = [card for tab in at.tabs for card in _cards(tab)]
    assert len(cards) == 2  # the city cluster and the project
    for card in cards:
        text = assert_markdown_is_text(card)
        assert HOSTILE in text  # the name, exactly
        assert "Section " + HOSTILE in text  # the citation
        assert re.sub(r"\s+", " ", HOSTILE_NOTES) in re.sub(r"\s+", " ", text)  # the notes, lines kept as text
    city = next(card for card in cards if "City " in card)
    assert "in " + HOSTILE in shown(city)  # the place


def test_unmapped_list_shows_hostile_text_as_text(hostile_app):
    at, _ = hostile_app
    at.session_state["unmapped"] = True  # the reader opens the list
    at.run()
    [listing] = [e for e in at.expander if "not on the map" in e.label]
    [card] = _cards(listing)
    text = assert_markdown_is_text(card)
    assert "Unmapped " + HOSTILE in text and "Section " + HOSTILE in text


def test_the_page_sends_no_hostile_text_to_the_map_and_legends(hostile_app):
    at, static = hostile_app
    assert map_elements(at)
    args = map_args(at)
    assert "alert" not in json.dumps(args)  # records travel as a published, escaped file
    [published] = static.glob("records-*.json")
    assert "alert" in published.read_text(encoding="utf-8")
    assert_no_live_payload(published.read_text(encoding="utf-8"))
    assert all("alert" not in h.proto.body for h in at.get("html"))
    assert notices(at) == []


def chart_frames(at):
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        for dataset in element.proto.datasets:
            frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            yield spec, frame


def test_charts_name_only_taxonomy_sectors(hostile_app):
    at, _ = hostile_app
    frames = list(chart_frames(at))
    assert len(frames) >= 3  # the state's sectors and timeline, all records by sector and by year
    by_sector = [frame for spec, frame in frames if spec.get("encoding", {}).get("y", {}).get("field") == "sector"]
    assert len(by_sector) == 2
    for frame in by_sector:
        assert set(frame["sector"]) <= set(SECTORS) and len(frame["sector"]) > 0
    for spec, frame in frames:
        assert "alert" not in json.dumps(spec) and "alert" not in frame.to_csv()


# --------------------------------------------------------------------------- (d) downloads


@pytest.mark.parametrize("layer", export.LAYERS)
def test_download_bundle_markdown_renders_inert(layer, hostile_records, states):
    frame = export.layer_frame(layer, states, hostile_records, join.Filters())
    _, data, _ = export.export_bundle(layer, "csv", frame)
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        sources = bundle.read("SOURCES.md").decode("utf-8")
        dictionary = bundle.read("DATA_DICTIONARY.md").decode("utf-8")
    # only the files' own structure is markup: headings, paragraphs, lists, code spans
    assert_only_markup(MD.render(sources), {"h1", "p", "ul", "li", "code"})
    assert_only_markup(MD.render(dictionary), {"h1", "h2", "p", "ul", "li", "code"})
    if layer == "states":
        assert "alert" not in sources
        return
    rendered = MD.render(sources)
    items = [html.unescape(re.sub(r"<[^>]+>", "", li)).strip() for li in re.findall(r"<li>(.*?)</li>", rendered, re.S)]
    # each cited section is one list item showing exactly the cited text
    assert "Section " + HOSTILE in [item.split("\n")[-1].strip() for item in items]
    if layer == "clusters":
        assert "GeoNames " + HOSTILE in items  # a city's coordinates citation
    documents = {html.unescape(code) for code in re.findall(r"<li><code>(.*?)</code>", rendered)}
    cited = {part.split(", ")[0] for cell in frame["source"] for part in cell.split(" | ")}
    assert documents == cited  # each document named verbatim, once


def test_sources_list_survives_backticks_and_line_breaks_in_citations(hostile_records):
    frame = hostile_records.head(1).copy()
    frame["source"] = "a`b``c.txt, Intro | ```x```, <b>bold</b>\n# heading | 1. d.txt, 2) sec"
    frame["location_source"] = "- [x](https://evil.example)\n> quote"
    text = export.source_list(frame)
    rendered = MD.render(text)
    assert_only_markup(rendered, {"h1", "p", "ul", "li", "code"})
    codes = [html.unescape(c) for c in re.findall(r"<li><code>(.*?)</code>", rendered)]
    assert sorted(codes) == sorted(["a`b``c.txt", "```x```", "1. d.txt"])  # file names verbatim
    shown_text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert "<b>bold</b> # heading" in shown_text and "2) sec" in shown_text
    assert "- [x](https://evil.example) > quote" in shown_text


# --------------------------------------------------------------------------- (e) the URL


@pytest.mark.parametrize("payload", PAYLOADS)
def test_link_payloads_are_echoed_as_plain_text(payload):
    params = {"state": payload, "metric": payload, "sectors": payload, "zz" + payload: "1"}
    at = run_app(params)
    assert not at.exception, at.exception
    texts = notices(at)
    assert len(texts) == 4, texts  # one per parameter
    for raw in texts:
        assert_safe_notice(raw, shown(raw), [payload, "zz" + payload])
        assert not active_markup(MD.render(raw))
    assert dict(at.query_params) == {}
