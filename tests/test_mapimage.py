"""Map images (layers/mapimage.py): size, text layer, determinism, selection, bad arguments.

One render per format and size for the whole module (the `images` fixture), of the real states and
records, with a zero and a no-data state, a selected state, notes and the points: every check reads
those bytes, so the module costs about six renders plus the few that a check needs of its own.
"""

import math
import subprocess
import sys

import geopandas as gpd
import matplotlib
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from geo import boundaries, seeds
from geo.join import Filters, filter_records, state_counts
from layers import mapimage, style
from tests.helpers import REPO, pdf_pages, pdf_text, png_chunks, png_size, states_frame, svg_size, svg_text

FORMATS = list(mapimage.IMAGE_FORMATS)
SIZES = list(mapimage.SIZES)
CASES = [(fmt, size) for fmt in FORMATS for size in SIZES]
VECTOR = [(fmt, size) for fmt, size in CASES if fmt != "png"]
# PNG pixels at mapimage.DPI (150): a 13.333 x 7.5 in slide and an A4 page (297 x 210 mm, rounded down)
PIXELS = {"slide": (2000, 1125), "a4": (1753, 1240)}
POINTS_PER_INCH = 72

TITLE = "Mexico Cluster Atlas — All sectors, 2004–2020"
ARGS = {
    "title": TITLE,
    "legend_title": "Clusters + projects",
    "sources": "Sources: Preparatory Briefing on Mexico (ECCP), Annex, Table 6; D3.5 Discussion paper on Mexico "
    "(ECCP), 4.2 Aerospace sector; an article on the national network of automotive clusters. "
    "Boundaries: Natural Earth.",
    "link": "http://localhost:8501/?metric=records&state=Quer%C3%A9taro",
    "date": "2026-12-02",
    "notes": ("Automotive and Aerospace share one SCIAN code", "Records with an unknown year are counted"),
    "selected": "Querétaro",
}
NODATA_STATE, ZERO_STATE = "Campeche", "Colima"  # made missing / zero in the rendered values


@pytest.fixture(scope="module")
def view():
    """The real states and counts (all sectors, records metric) with one state missing and one
    zero, their classes as the screen makes them, and the records as points."""
    states = boundaries.load_states("web")
    records = seeds.load_records()
    counts = state_counts(states, records, Filters())
    values = counts["records"].astype(float)
    values[counts["state"] == NODATA_STATE] = math.nan
    values[counts["state"] == ZERO_STATE] = 0
    points = filter_records(records, Filters())
    return counts, values, style.classify(values, k=5), points


@pytest.fixture(scope="module")
def images(view):
    counts, values, classes, points = view
    return {
        (fmt, size): mapimage.render_map(counts, values, classes, size=size, fmt=fmt, points=points, **ARGS)
        for fmt, size in CASES
    }


@pytest.fixture(scope="module")
def texts(images):
    """The text layer of each vector image (pypdf takes about a second per page)."""
    return {(fmt, size): text_of(fmt, images[fmt, size]) for fmt, size in VECTOR}


def text_of(fmt: str, data: bytes) -> str:
    return svg_text(data) if fmt == "svg" else pdf_text(data)


def squashed(text: str) -> str:
    return " ".join(text.split())


# --- size and format ---


@pytest.mark.parametrize(("fmt", "size"), CASES)
def test_image_has_the_requested_format_and_size(images, fmt, size):
    data = images[fmt, size]
    page = mapimage.SIZES[size]
    if fmt == "png":
        assert png_size(data) == PIXELS[size] == mapimage.pixel_size(size)
    elif fmt == "svg":
        assert data.startswith(b"<?xml")
        assert svg_size(data) == pytest.approx((page.width * POINTS_PER_INCH, page.height * POINTS_PER_INCH), abs=1e-3)
    else:
        assert data.startswith(b"%PDF-")
        [first] = pdf_pages(data)
        box = first.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(
            (page.width * POINTS_PER_INCH, page.height * POINTS_PER_INCH), abs=0.01
        )


def test_sizes_are_a_slide_and_a4_landscape():
    assert mapimage.SIZES["slide"][:2] == pytest.approx((13.333, 7.5), abs=1e-3)
    assert mapimage.SIZES["a4"][:2] == pytest.approx((11.69, 8.27), abs=0.01)
    assert mapimage.IMAGE_FORMATS == {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


# --- what the image says ---


@pytest.mark.parametrize(("fmt", "size"), VECTOR)
def test_text_layer_has_title_legend_sources_date_and_link(texts, view, fmt, size):
    _, _, classes, _ = view
    assert classes.has_nodata and classes.labels
    text = texts[fmt, size]
    expected = [
        TITLE,
        ARGS["legend_title"],
        style.ZERO_LABEL,
        *classes.labels,
        style.NODATA_LABEL,
        ARGS["sources"],
        ARGS["date"],
        ARGS["link"],
        *ARGS["notes"],
        mapimage.INSET_TITLE,
        "Cluster (city known)",
        "Project (placed at state level)",
    ]
    for item in expected:
        assert squashed(item) in text, item


@pytest.mark.parametrize(("fmt", "size"), VECTOR)
def test_state_abbreviations_are_labels_and_the_inset_names_the_small_central_states(texts, fmt, size):
    text = texts[fmt, size]
    for abbr in ("SON", "CHH", "JAL", "OAX", "YUC", "NLE"):  # large states: on the main map
        assert abbr in text, abbr
    for abbr in ("CMX", "TLA", "MOR"):  # too small at national scale: in the Valle de México inset
        assert abbr in text, abbr


def test_svg_text_is_text_not_paths(images):
    data = images["svg", "slide"].decode()
    assert "font-family: 'DejaVu Sans'" in data
    assert f">{TITLE}</text>" in data
    assert "<defs>" not in data.split(TITLE)[0][-200:]  # not a glyph-path definition next to it


def test_png_carries_no_text_chunks_or_time(images):
    for size in SIZES:
        chunks = png_chunks(images["png", size])
        assert chunks[0] == "IHDR" and chunks[-1] == "IEND"
        assert not {"tEXt", "iTXt", "zTXt", "tIME"} & set(chunks), chunks


def test_pdf_has_no_dates_in_its_metadata(images):
    for size in SIZES:
        data = images["pdf", size]
        assert b"/CreationDate" not in data and b"/ModDate" not in data


# --- determinism ---


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_inputs_give_the_same_bytes(images, view, fmt):
    counts, values, classes, points = view
    again = mapimage.render_map(counts, values, classes, size="slide", fmt=fmt, points=points, **ARGS)
    assert again == images[fmt, "slide"]


def test_rendering_leaves_matplotlib_settings_alone(view):
    counts, values, classes, _ = view
    before = dict(matplotlib.rcParams)
    with matplotlib.rc_context({"font.size": 31, "svg.fonttype": "path"}):  # a caller's own settings
        data = mapimage.render_map(counts, values, classes, fmt="svg", **ARGS)
    assert dict(matplotlib.rcParams) == before
    assert TITLE in svg_text(data)  # svg.fonttype "path" did not leak in: the title is still text


def test_importing_the_module_imports_no_more_of_matplotlib():
    """matplotlib is imported where the drawing starts. (mapclassify, which layers.style needs for
    the classes, already imports matplotlib.pyplot; this module adds nothing to that.)"""
    code = (
        "import sys, layers.style\n"
        "before = {m for m in sys.modules if m.startswith('matplotlib')}\n"
        "import layers.mapimage\n"
        "print(sorted({m for m in sys.modules if m.startswith('matplotlib')} - before))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- selection, values, classes ---

SELECTED_STROKE = "stroke: #000000; stroke-width: 2.6"


@pytest.mark.parametrize("selected", ["Querétaro", "22", "QUE", "querétaro"])
def test_selected_state_by_name_code_or_abbreviation(images, view, selected):
    counts, values, classes, _ = view
    args = ARGS | {"selected": selected, "notes": ()}
    data = mapimage.render_map(counts, values, classes, fmt="svg", **args)
    assert data.decode().count(SELECTED_STROKE) == 2  # main map and inset
    reference = mapimage.render_map(counts, values, classes, fmt="svg", **(ARGS | {"notes": ()}))
    assert data == reference


def test_no_selection_draws_no_heavy_outline(view):
    counts, values, classes, _ = view
    data = mapimage.render_map(counts, values, classes, fmt="svg", **(ARGS | {"selected": None}))
    assert SELECTED_STROKE not in data.decode()


def test_state_fills_are_the_screen_colours(view):
    counts, values, classes, _ = view
    data = mapimage.render_map(counts, values, classes, fmt="svg", **ARGS).decode()
    for colour in (*classes.colors, style.ZERO_COLOR):
        assert f"fill: {colour}" in data, colour


def test_all_zero_values_render_the_zero_row_only(view):
    counts, _, _, _ = view
    zeros = pd.Series(0, index=counts.index)
    classes = style.classify(zeros)
    text = svg_text(mapimage.render_map(counts, zeros, classes, fmt="svg", **ARGS))
    assert style.ZERO_LABEL in text and style.NODATA_LABEL not in text


def test_values_as_a_plain_list_in_state_order(view):
    counts, values, classes, _ = view
    from_list = mapimage.render_map(counts, list(values), classes, fmt="svg", **ARGS)
    assert from_list == mapimage.render_map(counts, values, classes, fmt="svg", **ARGS)


def test_states_without_abbr_column(view):
    counts, values, classes, _ = view
    data = mapimage.render_map(counts.drop(columns="abbr"), values, classes, fmt="svg", **ARGS)
    assert TITLE in svg_text(data) and "SON" not in svg_text(data).split()


def test_text_is_never_mathtext(view):
    counts, values, classes, _ = view
    title = "Exports $1,616 million and $2 (50% of $x^2$)"
    text = svg_text(mapimage.render_map(counts, values, classes, fmt="svg", **(ARGS | {"title": title})))
    assert title in text


def test_a_long_link_gets_a_line_of_its_own_and_is_never_broken(view):
    counts, values, classes, _ = view
    link = "http://localhost:8501/?sectors=" + ",".join(["Aerospace", "Automotive", "ICT"] * 8) + "&metric=records"
    data = mapimage.render_map(counts, values, classes, fmt="svg", **(ARGS | {"link": link}))
    assert f">{link.replace('&', '&amp;')}</text>" in data.decode()


@pytest.mark.parametrize(
    ("codes", "inset"), [(["09", "19", "22"], True), (["05", "19", "08"], False)], ids=["with-cdmx", "no-inset-states"]
)
def test_hand_made_states_without_abbreviations(codes, inset):
    states = states_frame().assign(state_code=codes)  # three unit squares, no abbr column
    values = pd.Series([0, 3, math.nan], index=states.index)
    classes = style.classify(values)
    text = svg_text(mapimage.render_map(states, values, classes, fmt="svg", **(ARGS | {"selected": "19"})))
    assert TITLE in text and (mapimage.INSET_TITLE in text) == inset
    assert style.ZERO_LABEL in text and style.NODATA_LABEL in text and "3" in text.split()


# --- the inset ---


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("map_width_in", [7.5, 8.4, 9.3, 10.5])  # the main map is 8-9.5 in wide
def test_inset_covers_no_land_but_small_islands(map_width_in, size):
    states = boundaries.load_states("web").to_crs(mapimage.PROJECTION)
    frame = mapimage.inset_frame(states, map_width_in=map_width_in, size=size)
    parts = states.geometry.explode(index_parts=False)
    big = parts[parts.area >= 2e9]
    assert not shapely.intersects(big.to_numpy(), frame).any()


# --- bad arguments ---


def _points_with_kind(kind: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"kind": [kind]}, geometry=[Point(-100.4, 20.6)], crs="EPSG:4326")


BAD = [
    ({"size": "poster"}, r"Unknown size 'poster'; use one of: slide, a4"),
    ({"fmt": "jpg"}, r"Unknown fmt 'jpg'; use one of: png, svg, pdf"),
    ({"values": [1, 2, 3]}, r"values has 3 entries but states has 32 rows"),
    ({"values": "reindexed"}, r"same index as states"),
    ({"date": "02/12/2026"}, r"ISO date"),
    ({"selected": "Atlantis"}, r"selected state 'Atlantis' is not among the states.*Querétaro"),
    ({"points": _points_with_kind("plant")}, r"unknown kind\(s\) \['plant'\]; use: cluster, project"),
    ({"states": "not a frame"}, r"states must be a GeoDataFrame"),
]


@pytest.mark.parametrize(("change", "message"), BAD, ids=[next(iter(c)) + "-" + m[:12] for c, m in BAD])
def test_bad_arguments_raise_value_error(view, change, message):
    counts, values, classes, _ = view
    call = {"states": counts, "values": values, "classes": classes, **ARGS} | change
    if isinstance(call["values"], str):
        call["values"] = values.set_axis(range(100, 100 + len(values)))
    states, values_, classes_ = call.pop("states"), call.pop("values"), call.pop("classes")
    with pytest.raises(ValueError, match=message):
        mapimage.render_map(states, values_, classes_, **call)


# --- the README's sources line ---


def test_sources_line_names_every_cited_document_and_the_boundaries():
    records = seeds.load_records()
    line = mapimage.sources_line(records)
    assert line.startswith("Sources: ")
    cited = {part.split(", ")[0].strip() for cell in records["source"] for part in cell.split(" | ")}
    for document in cited:
        assert document in line
    assert "Natural Earth" in line and "GeoNames" in line
