"""Random links through the whole page (AppTest): the page never breaks, every value either takes
effect or is noticed, and notices are safe.

tests/test_view.py fuzzes `geo.view.parse_view` alone; this file checks that the page passes every
parameter (repeats included) to it, shows every notice as plain text, and rewrites the link to what
it shows. Bounded: 25 examples of one AppTest run each (~0.2-1 s once the data is cached).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.view import ECHO_CHARS, MAX_NOTICES, PARAMS, TRACKING, parse_year_range
from tests.helpers import ANY_CHAR, assert_safe_notice, map_elements, notices, run_app, shown

STREAMLIT_OWN = {"embed", "embed_options"}  # Streamlit reads these itself
INTERESTING = [
    "", " ", "Aerospace", "aerospace, ict", "Aerospace,Atlantis", ",,,", "2004-2018", "2010-2012", "1990-2030",
    "9999-1", "2018-2004", "0", "1", "records", "CLUSTERS", "projects", "Querétaro", "Nuevo Leon", "CDMX",
    "none", "osm", "grey", "7", "18", "19", "-1", "20.59,-100.39", "91,0", "nan,nan", "1e400,0",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '" onmouseover="alert(1)',
    "[x](https://evil.example)", ":red[x] $x$", "`${x}`", "\u202eevil", "\x00\x1f", "é" * 5000, "x" * 201,
]  # fmt: skip

text_values = st.one_of(
    st.sampled_from(INTERESTING),
    st.text(ANY_CHAR, max_size=60),
    st.text(ANY_CHAR, min_size=190, max_size=260),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
values = st.one_of(text_values, st.lists(text_values, min_size=2, max_size=3))  # a list repeats the key
keys = st.one_of(
    st.sampled_from(list(PARAMS)),
    st.sampled_from(["Sectors", "YEARS", "utm_source", "state[]", "<b>", "x" * 300]),
    st.text(ANY_CHAR, min_size=1, max_size=30),
).filter(lambda key: key not in STREAMLIT_OWN and key.strip())
links = st.dictionaries(keys, values, max_size=6)


def _spells_the_default(param: str, text: str, bounds: tuple[int, int]) -> bool:
    """Values that parse to the default view: they leave the link without a notice."""
    folded = text.casefold()
    if param == "years":
        try:
            return parse_year_range(text) == bounds
        except ValueError:
            return False
    return (param, folded) in {("metric", "records"), ("known", "0"), ("basemap", "none")}


def _shown_key(key: str) -> str:
    """How a notice echoes an unknown key: its first characters, markup and controls as '?'."""
    return "".join("?" if ch in "<>" or ord(ch) < 32 or ord(ch) == 127 else ch for ch in key)[:ECHO_CHARS]


def _mentions(texts: list[str], param: str) -> bool:
    return any(param in text or param.rstrip("s") in text.casefold() for text in texts)


@pytest.fixture(scope="module")
def bounds():
    at = run_app()  # also warms the data caches once for the examples
    low, high = at.slider(key="years").value
    return int(low), int(high)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(link=links)
def test_any_link_gives_a_page_and_notices_every_unused_value(link, bounds):
    at = run_app(link)
    assert not at.exception, at.exception
    assert at.title and map_elements(at)
    raw = notices(at)
    texts = [shown(text) for text in raw]
    for text_raw, text in zip(raw, texts, strict=True):
        bad = [key for key in link] + [
            v for value in link.values() for v in ([value] if isinstance(value, str) else value)
        ]
        assert_safe_notice(text_raw, text, bad)

    capped = bool(texts) and texts[-1].startswith("… and ")  # more than MAX_NOTICES: one summary line
    assert len(texts) <= MAX_NOTICES and (capped or len(texts) < MAX_NOTICES or "… and" not in texts[-1])
    unknown = [key for key in link if key not in PARAMS and not TRACKING.fullmatch(key)]
    for key, value in link.items() if not capped else ():  # which notices a cap cut is not knowable
        if key not in PARAMS:
            assert key in unknown or TRACKING.fullmatch(key)
            assert TRACKING.fullmatch(key) or any(_shown_key(key) in text for text in texts), (key, texts)
            continue
        if not isinstance(value, str):
            assert any(f"Ignored {key}: it appears {len(value)} times" in text for text in texts), texts
            assert key not in at.query_params
            continue
        stripped = value.strip()
        if not stripped or _spells_the_default(key, stripped, bounds):
            continue
        # either the value took effect (the link keeps it, normalised) or a notice names the parameter
        assert key in at.query_params or _mentions(texts, key), (key, value[:80], texts)
    # the rewritten link reopens the same view with no notice
    again = run_app(dict(at.query_params))
    assert notices(again) == [] and not again.exception
    assert dict(again.query_params) == dict(at.query_params)
