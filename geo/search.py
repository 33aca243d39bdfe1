"""One search box for states, clusters, projects and cities.

Matching ignores accents, case and punctuation (geo.names.name_key), and every word typed must
begin a word of the name, so "quer" finds Querétaro and "aero bajio" finds "Aerospace cluster of
El Bajío". States also match their aliases and abbreviations ("CDMX", "Edomex", "NL", "Qro",
"SLP"). Results come best first: an exact name or alias, then names that begin with the query,
then the rest; states before cities before records; ties in alphabetical order.
"""

from dataclasses import dataclass

import pandas as pd

from geo import names

MIN_CHARS = 2  # one letter would match half the atlas
KIND_ORDER = ("state", "city", "cluster", "project")


@dataclass(frozen=True)
class Hit:
    kind: str  # one of KIND_ORDER
    label: str  # plain text for the result list
    state: str | None  # the state choosing this hit selects; None for a record tied to no state
    record_id: str | None = None  # the record, for cluster and project hits
    name: str = ""  # the state's, city's or record's name as written (the page words the rest in its language)


@dataclass(frozen=True)
class _Entry:
    hit: Hit
    keys: tuple[str, ...]  # matching keys of every spelling of the entry


def build_index(records: pd.DataFrame) -> tuple[_Entry, ...]:
    """The searchable entries: the 32 states (with every spelling geo.names knows), the cities
    records are placed in, and every record by its name."""
    table = names.load_state_table()
    state_of = dict(zip(table["state_code"], table["state"], strict=True))
    spellings: dict[str, list[str]] = {}
    for key, code in names.spellings().items():
        spellings.setdefault(code, []).append(key)
    entries = [
        _Entry(Hit("state", f"{state} (state)", state, name=state), tuple(spellings[code]))
        for code, state in state_of.items()
    ]
    places = records.loc[records["place"] != "", ["place", "state"]].drop_duplicates()
    entries += [
        _Entry(Hit("city", f"{place}, {state} (city)", state, name=place), (names.name_key(place),))
        for place, state in places.itertuples(index=False)
    ]
    for rec in records[["id", "name", "kind", "state"]].itertuples(index=False):
        where = rec.state or "not tied to one state"
        hit = Hit(rec.kind, f"{rec.name} ({rec.kind}, {where})", rec.state or None, rec.id, name=rec.name)
        entries.append(_Entry(hit, (names.name_key(rec.name),)))
    return tuple(entries)


def search(query: str, index: tuple[_Entry, ...], *, limit: int = 8) -> list[Hit]:
    """The best `limit` hits for `query`; none for fewer than MIN_CHARS letters or digits."""
    wanted = names.name_key(query or "")
    if len(wanted.replace(" ", "")) < MIN_CHARS:
        return []
    scored = []
    for entry in index:
        ranks = [rank for rank in (_rank(wanted, key) for key in entry.keys) if rank is not None]
        if ranks:
            scored.append((min(ranks), KIND_ORDER.index(entry.hit.kind), names.name_key(entry.hit.label), entry.hit))
    scored.sort(key=lambda item: item[:3])
    return [hit for *_, hit in scored[:limit]]


def is_exact(query: str, hit: Hit) -> bool:
    """Whether `query` is exactly the hit's state name or one of its aliases (Enter chooses it)."""
    return hit.kind == "state" and names.name_key(query or "") in {
        key for key, code in names.spellings().items() if code == names.state_code(hit.state)
    }


def _rank(wanted: str, key: str) -> int | None:
    """0 exact, 1 the name begins with the query, 2 every query word begins a word; None: no match."""
    if key == wanted:
        return 0
    if key.startswith(wanted):
        return 1
    words = key.split()
    if all(any(word.startswith(part) for word in words) for part in wanted.split()):
        return 2
    return None
