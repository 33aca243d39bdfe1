"""Scene decks: bad files give messages naming file, scene and field; every shipped deck is clean and cited."""

import csv
import json
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo import deck as deck_module
from geo.deck import LAYERS, Cite, list_decks, load_deck
from geo.join import year_bounds
from geo.paths import SEEDS_DIR
from geo.sectors import SECTORS
from geo.seeds import load_records
from geo.view import PARAMS, PRESENTER_PARAMS, parse_view, view_to_params
from layers.choropleth import STATES_LAYER
from layers.style import KIND_LABELS
from tests.helpers import GOOD_SCENE, caption_numbers, source_documents, squash, write_deck

BOUNDS = (2004, 2020)
STATES = ("Querétaro", "Nuevo León", "Baja California", "Guanajuato")
CONTEXT = {"sectors": SECTORS, "year_bounds": BOUNDS, "states": STATES}
HEADER = 'version = 1\ntitle = "Test deck"\ndescription = "For the tests."\n'


def _load(tmp_path, text, name="bad"):
    return load_deck(write_deck(tmp_path, name, text), **CONTEXT)


def _bad_scene(body, *, title=True, caption=True, label=None):
    lines = ["[[scenes]]"]
    if title:
        lines.append('title = "Bad scene"')
    if caption:
        lines.append('caption = "No figures here."')
    return "\n".join([*lines, body.strip(), ""])


# (id, the bad scene's body, the field named, a fragment of the message, a check of what still plays)
BAD_SCENES = [
    ("unknown-sector", 'sectors = ["Aerospace", "Rocketry"]', "sectors", '"Rocketry"',
     lambda s: s.view.sectors == ("Aerospace",)),  # as a link: the known names are kept
    ("no-known-sector", 'sectors = ["Rocketry"]', "sectors", "no known sector", lambda s: s.view.sectors == ()),
    ("sectors-not-a-list", 'sectors = "Aerospace"', "sectors", "expected a list of sector names",
     lambda s: s.view.sectors == ()),
    ("reversed-years", 'years = "2018-2004"', "years", "reversed", lambda s: s.view.years == BOUNDS),
    ("malformed-years", 'years = "2004"', "years", "YYYY-YYYY", lambda s: s.view.years == BOUNDS),
    ("years-outside-data", 'years = "1800-1850"', "years", "outside the data's years 2004-2020",
     lambda s: s.view.years == BOUNDS),
    ("years-clamped", 'years = "1990-2010"', "years", "clamped", lambda s: s.view.years == (2004, 2010)),
    ("years-wrong-type", "years = 2004", "years", 'integer 2004; expected a string "YYYY-YYYY"',
     lambda s: s.view.years == BOUNDS),
    ("known-wrong-type", 'known = "yes"', "known", "expected true or false", lambda s: not s.view.known_years_only),
    ("unknown-metric", 'metric = "jobs"', "metric", "unknown metric", lambda s: s.view.metric == "records"),
    ("unknown-state", 'state = "Atlantis"', "state", "unknown state", lambda s: s.view.state is None),
    ("state-wrong-type", "state = 22", "state", "integer 22", lambda s: s.view.state is None),
    ("unknown-basemap", 'basemap = "satellite"', "basemap", "unknown basemap", lambda s: s.view.basemap == "none"),
    ("zoom-out-of-range", "zoom = 30\ncenter = [20.6, -100.4]", "zoom", "0-18",
     lambda s: s.view.zoom is None and s.view.center is None),  # the map area is a pair
    ("zoom-not-whole", "zoom = 7.5\ncenter = [20.6, -100.4]", "zoom", "number 7.5; expected a whole number",
     lambda s: s.view.zoom is None),
    ("center-out-of-range", "zoom = 7\ncenter = [200, 0]", "center", "latitude must be within",
     lambda s: s.view.center is None and s.view.zoom is None),
    ("center-wrong-shape", "zoom = 7\ncenter = [20.6]", "center", "[LAT, LON]", lambda s: s.view.center is None),
    ("zoom-without-center", "zoom = 7", "zoom", "without center", lambda s: s.view.zoom is None),
    ("unknown-key", 'colour = "red"', "colour", "unknown key", lambda s: s.title == "Bad scene"),
    ("typo-key", "centre = [20.6, -100.4]", "centre", "did you mean 'center'?", lambda s: s.view.center is None),
    ("unknown-layer", 'layers = ["States", "Rivers"]', "layers", 'unknown layer "Rivers"',
     lambda s: s.layers == ("States",)),
    ("layer-any-case", 'layers = ["states", "Lakes"]', "layers", '"Lakes"', lambda s: s.layers == ("States",)),
    ("layers-wrong-type", 'layers = "States"', "layers", "expected a list of layer names",
     lambda s: s.layers == LAYERS),
    ("caption-figure-uncited", 'caption = "Over 70 members."', "caption", "70",
     lambda s: s.caption == "Over 70 members."),
    ("title-figure-uncited", 'title = "The 13 clusters"', "title", "13", lambda s: s.title == "The 13 clusters"),
    ("markup-in-caption", 'caption = "<b>bold</b>"', "caption", "plain text", lambda s: s.caption == ""),
]  # fmt: skip
NO_CAPTION, NO_TITLE = {"caption": False}, {"title": False}
FLAGS = {"caption-figure-uncited": NO_CAPTION, "markup-in-caption": NO_CAPTION,
         "title-figure-uncited": NO_TITLE | {"label": "The 13 clusters"}}  # fmt: skip
BAD_SCENES = [(i, body, field, fragment, check, FLAGS.get(i, {})) for i, body, field, fragment, check in BAD_SCENES]
CITE = '[[scenes.cites]]\nfile = "000_97e5dc63d500ae07.txt"\nsection = "Intro"\nquote = "over 60 global"\n'
BAD_SCENES += [  # cites and the required texts
    ("cite-without-quote", '[[scenes.cites]]\nfile = "000_97e5dc63d500ae07.txt"\nsection = "Intro"',
     "cites[1].quote", "missing; expected a string", lambda s: s.cites == (), {}),
    ("cite-without-file", '[[scenes.cites]]\nsection = "Intro"\nquote = "over 60 global"',
     "cites[1].file", "missing", lambda s: s.cites == (), {}),
    ("cite-empty-section", CITE.replace('"Intro"', '""'), "cites[1].section", "empty", lambda s: s.cites == (), {}),
    ("cite-unknown-key", CITE + "page = 3", "cites[1].page", "unknown key",
     lambda s: s.cites == (Cite("000_97e5dc63d500ae07.txt", "Intro", "over 60 global"),), {}),
    ("cite-with-folder", CITE.replace('"000_', '"../secret/000_'), "cites[1].file", "without a folder",
     lambda s: s.cites == (), {}),
    ("cites-not-tables", 'cites = "002, Table 6"', "cites", "expected [[scenes.cites]]", lambda s: s.cites == (), {}),
    ("missing-title", 'sectors = ["ICT"]', "title", "missing", lambda s: s.title == "Scene 2", NO_TITLE | {"label": "untitled"}),
    ("missing-caption", 'sectors = ["ICT"]', "caption", "missing", lambda s: s.caption == "", NO_CAPTION),
]  # fmt: skip


@pytest.mark.parametrize(("body", "field", "fragment", "check", "flags"), [c[1:] for c in BAD_SCENES],
                         ids=[c[0] for c in BAD_SCENES])  # fmt: skip
def test_a_bad_scene_is_reported_by_file_scene_and_field_and_the_rest_plays(
    tmp_path, body, field, fragment, check, flags
):
    deck = _load(tmp_path, HEADER + GOOD_SCENE + _bad_scene(body, **flags) + GOOD_SCENE)
    label = flags.get("label", "Bad scene")
    where = f"decks/bad.toml, scene 2 ({label}), field '{field}': "
    assert [p for p in deck.problems if p.startswith(where) and fragment in p], deck.problems
    assert all(p.startswith("decks/bad.toml, scene 2 (") for p in deck.problems), deck.problems
    first, bad, last = deck.scenes  # the bad scene still plays, and so do the others
    assert check(bad), bad
    for good in (first, last):
        assert (good.title, good.view.sectors, good.view.state) == (
            "Querétaro: the Aerocluster",
            ("Aerospace",),
            "Querétaro",
        )
        assert good.layers == LAYERS and len(good.cites) == 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (HEADER + "[[scenes]]\ntitle = \n", "line 5"),  # not valid TOML: tomllib's line is kept
        ('title = "x"\n\n[[scenes]\n', "line 3"),
        ("version = 2\n" + GOOD_SCENE, "field 'version': integer 2 is not supported; expected version = 1"),
        ('version = "1"\n' + GOOD_SCENE, 'string "1" is not supported'),
        ('title = "No version"\n' + GOOD_SCENE, "field 'version': missing"),
    ],
    ids=["bad-toml", "bad-table-header", "wrong-version", "version-as-string", "no-version"],
)
def test_a_file_that_cannot_be_read_as_a_deck_gives_one_problem_and_no_scenes(tmp_path, text, fragment):
    deck = _load(tmp_path, text)
    assert deck.scenes == () and len(deck.problems) == 1
    assert deck.problems[0].startswith("decks/bad.toml") and fragment in deck.problems[0], deck.problems
    assert (deck.name, deck.title) == ("bad", "bad")


def test_a_file_that_is_not_utf8_gives_one_problem(tmp_path):
    path = write_deck(tmp_path, "latin", "")
    path.write_bytes(HEADER.encode() + 'title = "Quer\xe9taro"\n'.encode("latin-1"))
    deck = load_deck(path, **CONTEXT)
    assert deck.scenes == () and deck.problems == (
        f"decks/latin.toml: not UTF-8 text (byte {len(HEADER) + 13}); save the file as UTF-8",
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (HEADER + 'author = "me"\n' + GOOD_SCENE, "decks/bad.toml, field 'author': unknown key"),
        ('version = 1\n' + GOOD_SCENE, "decks/bad.toml, field 'title': missing"),
        (HEADER + "scenes = 3\n", "decks/bad.toml, field 'scenes': integer 3"),
        (HEADER, "decks/bad.toml, field 'scenes': missing"),
        (HEADER + "scenes = []\n", "decks/bad.toml, field 'scenes': no scenes"),
        (HEADER + 'scenes = [1, {title = "Inline"}]\n', "decks/bad.toml, scene 1: integer 1; expected a [[scenes]] table (skipped)"),
    ],
    ids=["unknown-deck-key", "no-deck-title", "scenes-not-an-array", "no-scenes", "empty-scenes", "scene-not-a-table"],
)  # fmt: skip
def test_deck_level_problems_name_the_file_and_field(tmp_path, text, fragment):
    deck = _load(tmp_path, text)
    assert any(p.startswith(fragment) for p in deck.problems), deck.problems


def test_a_scene_that_is_not_a_table_is_skipped_and_the_next_keeps_its_number(tmp_path):
    deck = _load(tmp_path, HEADER + 'scenes = [1, {title = "Inline", caption = "No figures."}]\n')
    [scene] = deck.scenes
    assert (scene.number, scene.title, scene.layers, scene.cites) == (2, "Inline", LAYERS, ())


def test_a_good_deck_has_no_problems_and_its_scenes_are_links(tmp_path):
    text = (
        HEADER
        + GOOD_SCENE
        + """
[[scenes]]
title = "Everything set"
caption = "No figures."
sectors = ["ict", "AEROSPACE"]
years = "2010-2016"
known = true
metric = "clusters"
state = "Nuevo Leon"
basemap = "none"
zoom = 7
center = [25.49, -99.61]
layers = ["Clusters", "States"]
"""
    )
    deck = _load(tmp_path, text, name="good")
    assert deck.problems == ()
    assert (deck.name, deck.title, deck.description) == ("good", "Test deck", "For the tests.")
    scene = deck.scenes[1]
    assert scene.number == 2 and scene.layers == ("States", "Clusters")  # LAYERS order
    view = scene.view
    assert (view.sectors, view.years, view.known_years_only, view.metric) == (
        ("Aerospace", "ICT"),
        (2010, 2016),
        True,
        "clusters",
    )
    assert (view.state, view.zoom, view.center) == ("Nuevo León", 7, (25.49, -99.61))
    # a scene's view is exactly what its link gives: deck and URL share one set of rules
    defaults, _ = parse_view({}, **CONTEXT, basemaps=())
    again, notices = parse_view(view_to_params(view, defaults), **CONTEXT, basemaps=())
    assert (again, notices) == (view, [])


def test_every_url_parameter_of_a_view_is_a_deck_key():
    view_params = tuple(param for param in PARAMS if param not in PRESENTER_PARAMS)
    assert deck_module.VIEW_KEYS == view_params and set(PRESENTER_PARAMS) <= set(PARAMS)
    assert set(deck_module._PARAM_TEXT) == set(view_params)  # each needs its TOML type


def test_layer_names_are_the_maps():
    assert LAYERS == (STATES_LAYER, KIND_LABELS["cluster"], KIND_LABELS["project"])


def test_list_decks(tmp_path):
    for name in ("b-second", "a-first"):
        write_deck(tmp_path, name, HEADER)
    (tmp_path / "decks" / "README.md").write_text("not a deck")
    assert list_decks(tmp_path / "decks") == {
        "a-first": tmp_path / "decks" / "a-first.toml",
        "b-second": tmp_path / "decks" / "b-second.toml",
    }
    assert list_decks(tmp_path / "missing") == {}


def _toml(value) -> str:
    """A Python value as a TOML inline value (enough for the fuzz test below)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return (
            repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
        )
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


SCALARS = st.one_of(st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(), st.text(max_size=30),
                    st.sampled_from(["Aerospace", "2004-2018", "Querétaro", "States", "<b>", "2018-2004"]))  # fmt: skip
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)  # fmt: skip
KEYS = st.sampled_from([*deck_module.SCENE_KEYS, "colour"])


@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_load_deck_never_raises_on_any_scene(tmp_path_factory, scene):
    text = HEADER + "[[scenes]]\n" + "".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in scene.items())
    deck = _load(tmp_path_factory.mktemp("fuzz"), text)
    assert len(deck.scenes) <= 1 and all(isinstance(p, str) for p in deck.problems)


# --- the shipped decks, against the real data and the source documents ---


def _states():
    with open(SEEDS_DIR / "states.csv", encoding="utf-8", newline="") as fh:
        return [row["state"] for row in csv.DictReader(fh)]


SHIPPED = list_decks()


@pytest.fixture(scope="module")
def real_context():
    return {"sectors": SECTORS, "year_bounds": year_bounds(load_records()), "states": _states()}


@pytest.fixture(scope="module")
def documents():
    return source_documents()


def test_at_least_two_decks_ship():
    assert len(SHIPPED) >= 2, SHIPPED


@pytest.mark.parametrize("path", SHIPPED.values(), ids=list(SHIPPED))
def test_shipped_deck_loads_with_no_problems(path, real_context):
    deck = load_deck(path, **real_context)
    assert deck.problems == ()
    assert 4 <= len(deck.scenes) <= 6 and deck.title and deck.description
    for scene in deck.scenes:
        assert scene.cites, f"{path.name}, scene {scene.number}: no cites"


@pytest.mark.parametrize("path", SHIPPED.values(), ids=list(SHIPPED))
def test_shipped_deck_quotes_occur_in_their_documents(path, real_context, documents):
    for scene in load_deck(path, **real_context).scenes:
        for cite in scene.cites:
            where = f"{path.name}, scene {scene.number}"
            assert cite.file in documents, f"{where}: unknown document {cite.file}"
            assert squash(cite.quote) in documents[cite.file], f"{where}: quote not in {cite.file}: {cite.quote!r}"
            assert len(cite.quote) <= 260, f"{where}: keep quotes short and cite instead"


@pytest.mark.parametrize("path", SHIPPED.values(), ids=list(SHIPPED))
def test_every_number_in_a_shipped_caption_is_in_one_of_its_quotes(path, real_context):
    for scene in load_deck(path, **real_context).scenes:
        quoted = " ".join(cite.quote.replace(",", "") for cite in scene.cites)
        for number in caption_numbers(scene.title + " " + scene.caption):
            assert re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", quoted), (
                f"{path.name}, scene {scene.number}: {number} is in no quote"
            )
