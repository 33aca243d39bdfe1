import sys
import types
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.i18n import translator
from geo.view import (
    ECHO_CHARS,
    FIELDS,
    MAX_NOTICES,
    View,
    clicked_state,
    drag_ranges,
    parse_view,
    parse_year_range,
    sector_key,
    step_sector,
    step_years,
    tap_sectors,
    view_from_session,
    view_to_params,
    view_to_session,
)
from tests.helpers import ANY_CHAR

SECTORS = ("Aerospace", "Automotive", "ICT", "Energy", "Biotechnology")
STATES = ("Ciudad de México", "Nuevo León", "Querétaro")
BASEMAPS = ("none", "CartoDB.Positron", "OpenStreetMap.Mapnik")
BOUNDS = (1990, 2025)
DECKS = ("bajio-aerospace", "renewable-energy")
DEFAULT = View(years=BOUNDS)


def _fold(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


@pytest.fixture(autouse=True)
def fake_names(monkeypatch):
    """A stand-in geo.names so these tests pin the view rules, not the name table."""
    aliases = {_fold(state): state for state in STATES}
    aliases |= {"queretaro de arteaga": "Querétaro", "distrito federal": "Ciudad de México"}
    aliases["jalisco"] = "Jalisco"  # known to names but not offered by the app

    class UnknownStateError(ValueError):
        pass

    def normalise_state(name):
        try:
            return aliases[_fold(name.strip())]
        except KeyError:
            raise UnknownStateError(f"unknown state {name!r}") from None

    module = types.ModuleType("geo.names")
    module.normalise_state = normalise_state
    module.UnknownStateError = UnknownStateError
    monkeypatch.setitem(sys.modules, "geo.names", module)


def parse(params):
    return parse_view(params, sectors=SECTORS, year_bounds=BOUNDS, states=STATES, basemaps=BASEMAPS, decks=DECKS)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, DEFAULT),
        ({"sectors": "Aerospace"}, View(years=BOUNDS, sectors=("Aerospace",))),
        # Any letter case and order; stored in display order so equal selections are equal views.
        ({"sectors": "ict, AEROSPACE"}, View(years=BOUNDS, sectors=("Aerospace", "ICT"))),
        ({"sectors": "ICT,ict,"}, View(years=BOUNDS, sectors=("ICT",))),
        ({"sectors": ""}, DEFAULT),
        ({"years": "2004-2018"}, View(years=(2004, 2018))),
        ({"years": " 2010-2010 "}, View(years=(2010, 2010))),
        ({"known": "1"}, View(years=BOUNDS, known_years_only=True)),
        ({"known": "0"}, DEFAULT),
        ({"metric": "Clusters"}, View(years=BOUNDS, metric="clusters")),
        ({"state": "Queretaro de Arteaga"}, View(years=BOUNDS, state="Querétaro")),
        ({"state": "nuevo leon"}, View(years=BOUNDS, state="Nuevo León")),
        ({"state": "Distrito Federal"}, View(years=BOUNDS, state="Ciudad de México")),
        ({"basemap": "cartodb.positron"}, View(years=BOUNDS, basemap="CartoDB.Positron")),
        ({"zoom": "7"}, View(years=BOUNDS, zoom=7)),
        ({"zoom": "0"}, View(years=BOUNDS, zoom=0)),
        ({"center": "20.59,-100.39"}, View(years=BOUNDS, center=(20.59, -100.39))),
        ({"center": "-90, 180"}, View(years=BOUNDS, center=(-90.0, 180.0))),
        ({"years": ["2000-2001"]}, View(years=(2000, 2001))),  # a one-item list is one value
        ({"embed": "true"}, DEFAULT),  # Streamlit's own parameter
    ],
)
def test_valid_values(params, expected):
    assert parse(params) == (expected, [])


@pytest.mark.parametrize(
    ("params", "expected", "notice"),
    [
        ({"sectors": "Aerospace,Mining"}, View(years=BOUNDS, sectors=("Aerospace",)), '"Mining"'),
        ({"sectors": "Mining"}, DEFAULT, "valid sectors: Aerospace, Automotive"),
        ({"years": "9999-1"}, DEFAULT, "YYYY-YYYY"),
        ({"years": "2018-2004"}, DEFAULT, "reversed"),
        ({"years": "2004:2018"}, DEFAULT, "YYYY-YYYY"),
        ({"years": "2004"}, DEFAULT, "YYYY-YYYY"),
        ({"years": "04-18"}, DEFAULT, "YYYY-YYYY"),
        ({"years": "１９９９-２０００"}, DEFAULT, "YYYY-YYYY"),  # full-width digits
        ({"years": "1800-1850"}, DEFAULT, "outside the data's years 1990-2025"),
        ({"years": "2030-2040"}, DEFAULT, "outside"),
        # Overlapping ranges are clamped rather than dropped.
        ({"years": "1980-2000"}, View(years=(1990, 2000)), "clamped"),
        ({"years": "0000-9999"}, DEFAULT, "clamped"),
        ({"known": "yes"}, DEFAULT, "expected 1 or 0"),
        ({"metric": "jobs"}, DEFAULT, "records, clusters, projects"),
        ({"state": "Atlantis"}, DEFAULT, "unknown state"),
        ({"state": "Jalisco"}, DEFAULT, "unknown state"),  # a real state the app does not offer
        ({"basemap": "Stamen.Toner"}, DEFAULT, "unknown basemap"),
        ({"zoom": "19"}, DEFAULT, "0-18"),
        ({"zoom": "-1"}, DEFAULT, "0-18"),
        ({"zoom": "7.5"}, DEFAULT, "0-18"),
        ({"center": "91,0"}, DEFAULT, "latitude"),
        ({"center": "0,-181"}, DEFAULT, "longitude"),
        ({"center": "nan,inf"}, DEFAULT, "LAT,LON"),
        ({"center": "1e999,0"}, DEFAULT, "latitude"),
        ({"center": "20.5"}, DEFAULT, "LAT,LON"),
        ({"metric": ["clusters", "projects"]}, DEFAULT, "appears 2 times"),
        ({"metric": "x" * 201}, DEFAULT, "201 characters long"),
        ({"state": "<script>alert(1)</script>"}, DEFAULT, "markup"),
        ({"metric": "clusters\n"}, View(years=BOUNDS, metric="clusters"), None),  # edges stripped
        ({"metric": "clus\x00ters"}, DEFAULT, "control characters"),
        ({"sector": "Aerospace"}, DEFAULT, 'unknown link parameter "sector"'),
    ],
)
def test_bad_values_fall_back_with_a_notice(params, expected, notice):
    view, notices = parse(params)
    assert view == expected
    if notice is None:
        assert notices == []
    else:
        assert len(notices) == 1
        assert notice in notices[0]


def test_each_bad_value_gets_its_own_notice_and_good_ones_are_kept():
    view, notices = parse({"years": "9999-1", "metric": "jobs", "zoom": "5", "known": "1"})
    assert view == View(years=BOUNDS, zoom=5, known_years_only=True)
    assert [notice.split("=")[0] for notice in notices] == ["Ignored years", "Ignored metric"]


@pytest.mark.parametrize(
    "bad",
    [
        "Q" * 150,
        "A" * 150 + "<img src=x onerror=alert(1)>",
        "<b>" + "Z" * 100,
        "Mining" * 30,
    ],
)
@pytest.mark.parametrize("param", ["sectors", "state", "metric", "nonsense" * 20])
def test_notices_echo_little_and_no_markup(param, bad):
    _, notices = parse({param: bad})
    assert notices
    for notice in notices:
        assert "<" not in notice and ">" not in notice
        for echoed in (param, bad):
            assert len(echoed) <= ECHO_CHARS or echoed[: ECHO_CHARS + 1] not in notice


def test_state_spellings_go_through_geo_names(monkeypatch):
    monkeypatch.undo()  # the real name table this time, not the stand-in
    assert parse({"state": "Queretaro de Arteaga"}) == (View(years=BOUNDS, state="Querétaro"), [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2004-2018", (2004, 2018)), ("2010-2010", (2010, 2010)), (" 1999-2001 ", (1999, 2001))],
)
def test_parse_year_range(text, expected):
    assert parse_year_range(text) == expected


@pytest.mark.parametrize("text", ["9999-1", "2004:2018", "2004 - 2018", "2004", "", "abcd-efgh"])
def test_parse_year_range_rejects(text):
    with pytest.raises(ValueError, match="YYYY-YYYY"):
        parse_year_range(text)


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (DEFAULT, {}),
        (View(years=BOUNDS, sectors=("Aerospace", "ICT")), {"sectors": "Aerospace,ICT"}),
        (View(years=(2004, 2018)), {"years": "2004-2018"}),
        (View(years=BOUNDS, known_years_only=True), {"known": "1"}),
        (View(years=BOUNDS, state="Querétaro", metric="projects"), {"state": "Querétaro", "metric": "projects"}),
        (View(years=BOUNDS, zoom=6, center=(19.43, -99.13)), {"zoom": "6", "center": "19.43,-99.13"}),
    ],
)
def test_view_to_params_writes_only_what_differs(view, expected):
    assert view_to_params(view, DEFAULT) == expected


@st.composite
def views(draw):
    chosen = draw(st.sets(st.sampled_from(SECTORS)))
    start = draw(st.integers(*BOUNDS))
    coordinate = {"allow_nan": False, "allow_infinity": False}
    center = st.tuples(st.floats(-90, 90, **coordinate), st.floats(-180, 180, **coordinate))
    return View(
        sectors=tuple(sector for sector in SECTORS if sector in chosen),
        years=(start, draw(st.integers(start, BOUNDS[1]))),
        known_years_only=draw(st.booleans()),
        metric=draw(st.sampled_from(("records", "clusters", "projects"))),
        state=draw(st.none() | st.sampled_from(STATES)),
        basemap=draw(st.sampled_from(BASEMAPS)),
        zoom=draw(st.none() | st.integers(0, 18)),
        center=draw(st.none() | center),
        present=draw(st.none() | st.sampled_from(("light", "dark"))),
        deck=draw(st.none() | st.sampled_from(DECKS)),
        scene=draw(st.none() | st.integers(1, 99)),
    )


@given(views())
def test_round_trip(view):
    assert parse(view_to_params(view, DEFAULT)) == (view, [])


_values = st.text(ANY_CHAR, max_size=60) | st.lists(st.text(ANY_CHAR, max_size=20), max_size=3)


@given(
    st.dictionaries(
        st.sampled_from(["sectors", "years", "known", "metric", "state", "basemap", "zoom", "center", "x<y>"]), _values
    )
)
def test_any_params_give_a_valid_view_and_safe_notices(params):
    view, notices = parse(params)
    assert set(view.sectors) <= set(SECTORS)
    assert BOUNDS[0] <= view.years[0] <= view.years[1] <= BOUNDS[1]
    assert view.state in (None, *STATES)
    assert view.basemap in BASEMAPS
    assert all("<" not in notice and ">" not in notice for notice in notices)


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        ({"last_active_drawing": {"properties": {"state": "Querétaro"}}}, ("Querétaro", None)),
        ({"last_active_drawing": {"properties": {"state": "Querétaro", "click": 3}}}, ("Querétaro", 3)),
        ({"last_active_drawing": {"properties": {"state": "Querétaro", "click": "3"}}}, ("Querétaro", None)),
        ({"last_active_drawing": {"properties": {"state": "Querétaro", "click": True}}}, ("Querétaro", None)),
        ({"last_active_drawing": {"properties": {"state": "Atlantis"}}}, None),  # not one of the states
        ({"last_active_drawing": {"properties": {"state": "<b>x</b>"}}}, None),
        ({"last_active_drawing": {"properties": {"state": ["Querétaro"]}}}, None),  # forged types
        ({"last_active_drawing": {"properties": "Querétaro"}}, None),
        ({"last_active_drawing": "Querétaro"}, None),
        ({"last_active_drawing": None}, None),
        ({}, None),
        (None, None),
        ("Querétaro", None),
        ([{"properties": {"state": "Querétaro"}}], None),
    ],
)
def test_only_a_click_on_a_known_state_selects_it(returned, expected):
    assert clicked_state(returned, STATES) == expected


@given(views())
def test_session_state_round_trip(view):
    session = view_to_session(view)
    assert isinstance(session["sectors"], list)
    assert view_from_session(session, sectors=SECTORS) == view
    assert set(session) == {key for _, key in FIELDS.values()}


def test_a_year_range_needs_data_with_known_years():
    view, notices = parse_view(
        {"years": "2000-2010", "metric": "clusters"},
        sectors=SECTORS,
        year_bounds=None,
        states=STATES,
        basemaps=BASEMAPS,
    )
    assert view.years is None and view.metric == "clusters"
    assert notices == ['Ignored years="2000-2010": no record in the data has a known year. Using the default.']


@pytest.mark.parametrize(
    ("params", "expected", "notice"),
    [
        ({"present": "1"}, {"present": "light"}, None),
        ({"present": "DARK"}, {"present": "dark"}, None),
        ({"present": "neon"}, {}, 'Ignored present="neon": expected light, dark or 1.'),
        ({"deck": "Bajio-Aerospace", "scene": "3"}, {"deck": "bajio-aerospace", "scene": 3}, None),
        ({"deck": "atlantis"}, {}, "unknown deck (valid: bajio-aerospace, renewable-energy)"),
        ({"scene": "0"}, {}, "expected a scene number 1-99"),
        ({"scene": "100"}, {}, "expected a scene number 1-99"),
        ({"utm_source": "mail", "UTM_Campaign": "x", "fbclid": "abc", "gclid": "1"}, {}, None),  # silently
    ],
)
def test_presenter_and_tracking_parameters(params, expected, notice):
    view, notices = parse_view(
        params, sectors=SECTORS, year_bounds=BOUNDS, states=STATES, basemaps=BASEMAPS, decks=DECKS
    )
    assert {k: getattr(view, k) for k in ("present", "deck", "scene") if getattr(view, k) is not None} == expected
    assert notices == ([] if notice is None else [n for n in notices if notice in n])
    assert len(notices) == (0 if notice is None else 1)


def test_a_link_with_hundreds_of_bad_values_gets_a_short_list_of_notices():
    params = {f"junk{i}": "x" for i in range(300)} | {"metric": "nope"}
    _, notices = parse_view(params, sectors=SECTORS, year_bounds=BOUNDS, states=STATES, basemaps=BASEMAPS)
    assert len(notices) == MAX_NOTICES == 5
    assert notices[-1] == "… and 297 more values of the link were ignored."  # 301 in all


@pytest.mark.parametrize(
    ("chosen", "step", "expected"),
    [
        ((), 1, ("Aerospace",)),
        ((), -1, ("Biotechnology",)),
        (("Aerospace", "ICT"), 1, ("Aerospace",)),
        (("Aerospace",), 1, ("Automotive",)),
        (("Biotechnology",), 1, ("Aerospace",)),  # wraps
        (("Aerospace",), -1, ("Biotechnology",)),
    ],
)
def test_presenter_steps_through_sectors(chosen, step, expected):
    assert step_sector(chosen, SECTORS, step) == expected


@pytest.mark.parametrize(
    ("years", "step", "expected"),
    [
        ((1990, 2025), 1, (1990, 1990)),
        ((1990, 2025), -1, (2025, 2025)),
        ((2000, 2000), 1, (2001, 2001)),
        ((2025, 2025), 1, (1990, 1990)),  # wraps
        ((1990, 1990), -1, (2025, 2025)),
        (None, 1, (1990, 1990)),
    ],
)
def test_presenter_steps_through_years(years, step, expected):
    assert step_years(years, BOUNDS, step) == expected
    assert step_years(years, None, step) is None


@pytest.mark.parametrize(
    ("years", "bounds", "expected"),
    [
        ((2001, 2003), (2000, 2004), [(2001, 2003), (2000, 2003), (2002, 2003), (2003, 2003), (2001, 2001),
                                      (2001, 2002), (2001, 2004)]),
        ((2000, 2000), (2000, 2002), [(2000, 2000), (2000, 2001), (2000, 2002)]),
        ((2002, 2002), (2000, 2002), [(2002, 2002), (2000, 2002), (2001, 2002)]),
        ((2000, 2001), (2000, 2001), [(2000, 2001), (2001, 2001), (2000, 2000)]),
    ],
)  # fmt: skip
def test_one_drag_of_a_handle_reaches_these_ranges(years, bounds, expected):
    assert drag_ranges(years, bounds) == expected


@pytest.mark.parametrize(
    ("lang", "params", "notice"),
    [
        ("es", {"zoom": "99"}, 'Se ignoró zoom="99": se esperaba un número entero 0-18. Se usa el valor predeterminado.'),
        ("zh", {"zoom": "99"}, '已忽略 zoom="99"：应为 0-18 之间的整数。改用默认值。'),
        ("es", {"years": "1980-2010"}, "Años 1980-2010 ajustados a los años de los datos: 1990-2010."),
        ("zh", {"sectors": "Aerospace,Nope"}, '已忽略未知行业 "Nope"（有效行业：'),
        ("es", {"lang": "fr"}, 'Se ignoró lang="fr": se esperaba uno de es, en, zh.'),
        ("es", {"utm_source": "x", "nope": "1"}, 'Se ignoró el parámetro desconocido "nope" del enlace.'),
        ("zh", {"known": ["1", "0"]}, "已忽略 known：它出现了 2 次。改用默认值。"),
    ],
)  # fmt: skip
def test_notices_speak_the_language_and_echo_the_value_as_given(lang, params, notice):
    _, notices = parse_view(
        params, sectors=SECTORS, year_bounds=BOUNDS, states=STATES, basemaps=BASEMAPS, decks=DECKS, tr=translator(lang)
    )
    assert len(notices) == 1 and notices[0].startswith(notice), notices


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ((), [(), ("A",), ("B",), ("C",)]),
        (("C", "A"), [("A", "C"), ("C",), ("A", "B", "C"), ("A",), ()]),  # taxonomy order; "clear all" last
        (("B",), [("B",), ("A", "B"), (), ("B", "C")]),  # its own removal is already "all"
        (("A", "B", "C"), [("A", "B", "C"), ("B", "C"), ("A", "C"), ("A", "B"), ()]),
    ],
)
def test_one_tap_on_the_sector_control_reaches_these_selections(chosen, expected):
    assert tap_sectors(chosen, ("A", "B", "C")) == expected


@pytest.mark.parametrize(
    ("chosen", "key"), [((), ""), (("C", "A"), "02"), (tuple(f"s{i}" for i in range(18)), "0123456789abcdefgh")]
)
def test_a_sector_selection_is_named_by_its_places_in_base_36(chosen, key):
    sectors = tuple(f"s{i}" for i in range(18)) if len(chosen) == 18 else ("A", "B", "C")
    assert sector_key(chosen, sectors) == key
