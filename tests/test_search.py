"""The search box: accents, case, aliases and abbreviations, the order of results."""

import pytest

from geo import search, seeds


@pytest.fixture(scope="module")
def index():
    return search.build_index(seeds.load_records())


SEARCH_CASES = [  # query, the first hit's (kind, state)
    ("queretaro", ("state", "Querétaro")),
    ("QUERÉTARO", ("state", "Querétaro")),
    ("  quer  ", ("state", "Querétaro")),
    ("Qro", ("state", "Querétaro")),
    ("qro.", ("state", "Querétaro")),
    ("CDMX", ("state", "Ciudad de México")),
    ("Mexico City", ("state", "Ciudad de México")),
    ("Edomex", ("state", "Estado de México")),
    ("NL", ("state", "Nuevo León")),
    ("nuevo leon", ("state", "Nuevo León")),
    ("SLP", ("state", "San Luis Potosí")),
    ("Q. Roo", ("state", "Quintana Roo")),
    ("monterrey", ("city", "Nuevo León")),
    ("aerocluster de quer", ("cluster", "Querétaro")),
    ("bombardier", ("project", "Querétaro")),
]


@pytest.mark.parametrize(("query", "first"), SEARCH_CASES)
def test_first_hit(index, query, first):
    hit = search.search(query, index)[0]
    assert (hit.kind, hit.state) == first


@pytest.mark.parametrize("query", ["", " ", "q", "é", "--", "zzzzzz", "<script>"])
def test_too_short_or_unknown_finds_nothing(index, query):
    assert search.search(query, index) == []


def test_every_word_must_begin_a_word(index):
    hits = search.search("aero bajio", index)
    assert hits and all("aero" in h.label.lower() and "baj" in h.label.lower() for h in hits)
    assert search.search("ospace", index) == []  # inside a word is not a match


def test_states_before_records_and_limit(index):
    hits = search.search("queretaro", index, limit=3)
    assert len(hits) == 3
    assert [h.kind for h in hits][0] == "state"
    assert all(h.kind in ("cluster", "project") for h in hits[1:])


def test_record_hits_carry_their_record(index):
    records = seeds.load_records().set_index("id")
    for hit in search.search("cluster", index, limit=50):
        assert hit.record_id in records.index
        assert (hit.state or "") == records.loc[hit.record_id, "state"]


@pytest.mark.parametrize(
    ("query", "exact"),
    [("queretaro", True), ("Qro", True), ("cdmx", True), ("quer", False), ("aerocluster de queretaro", False)],
)
def test_enter_chooses_only_an_exact_state(index, query, exact):
    assert search.is_exact(query, search.search(query, index)[0]) is exact
