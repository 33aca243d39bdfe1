"""Map the many spellings of Mexico's 32 states to the canonical names in seeds/states.csv.

Matching is done on a key that ignores accents, case, punctuation and spacing, so "Nuevo Léon",
"NUEVO LEON" and "nuevo  león" are one name. Dots are dropped rather than turned into spaces so
that "B.C." and "B.C.S." stay apart ("bc" vs "bcs").

"México" / "Mexico" alone is read as the state (INEGI's catalogue names state 15 "México"), never
the country: a document that lists states by name means the state. "Estado de", "State of" and
"State" around a name are ignored, which is how "Estado de Jalisco" or "México State" resolve.

The table is read from the seeds folder (`folder`, else geo.paths.seeds_dir(), which honours
ATLAS_SEEDS_DIR), once per folder per process.
"""

import difflib
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pandas as pd

from geo.paths import seeds_dir

STATES_FILE = "states.csv"

# Spellings met in sources that the seed table's own columns do not cover; value = canonical name.
_ALIASES = {
    "Mexico City": "Ciudad de México",
    "CDMX": "Ciudad de México",
    "Distrito Federal": "Ciudad de México",
    "Federal District": "Ciudad de México",
    "D.F.": "Ciudad de México",
    "México, D.F.": "Ciudad de México",
    "Edomex": "Estado de México",
    "Edo. Méx.": "Estado de México",
    "Edo. de México": "Estado de México",
    "Baja California Norte": "Baja California",
    "B.C.": "Baja California",
    "B.C.S.": "Baja California Sur",
    "Coahuila de Zaragoza": "Coahuila",
    "Michoacán de Ocampo": "Michoacán",
    "N.L.": "Nuevo León",
    "Querétaro de Arteaga": "Querétaro",
    "Q. Roo": "Quintana Roo",
    "S.L.P.": "San Luis Potosí",
    "Veracruz-Llave": "Veracruz",
    "Veracruz de Ignacio de la Llave": "Veracruz",
}
# Short forms people type into a search box or a link: the abbreviations of INEGI's state
# catalogue (its NOM_ABR column, as recalled; not checked against a copy on this machine).
_ABBREVIATIONS = {
    "Ags.": "Aguascalientes", "BC": "Baja California", "BCS": "Baja California Sur", "Camp.": "Campeche",
    "Coah.": "Coahuila", "Col.": "Colima", "Chis.": "Chiapas", "Chih.": "Chihuahua", "Dgo.": "Durango",
    "Gto.": "Guanajuato", "Gro.": "Guerrero", "Hgo.": "Hidalgo", "Jal.": "Jalisco", "Méx.": "Estado de México",
    "Mich.": "Michoacán", "Mor.": "Morelos", "Nay.": "Nayarit", "NL": "Nuevo León", "Oax.": "Oaxaca",
    "Pue.": "Puebla", "Qro.": "Querétaro", "Q. Roo": "Quintana Roo", "SLP": "San Luis Potosí", "Sin.": "Sinaloa",
    "Son.": "Sonora", "Tab.": "Tabasco", "Tamps.": "Tamaulipas", "Tlax.": "Tlaxcala", "Ver.": "Veracruz",
    "Yuc.": "Yucatán", "Zac.": "Zacatecas",
}  # fmt: skip

# Wrappers that do not change which state is meant ("Estado de Jalisco", "Mexico State").
_WRAPPERS = (
    re.compile(r"^(?:estado de|state of) (?P<name>.+)$"),
    re.compile(r"^(?P<name>.+) state$"),
)


class UnknownStateError(ValueError):
    """A state name that matches none of the 32 states; `suggestions` holds the closest ones."""

    def __init__(self, name: str, suggestions: tuple[str, ...]):
        self.name = name
        self.suggestions = suggestions
        hint = (
            f"closest known: {', '.join(suggestions)}"
            if suggestions
            else f"expected one of the 32 names in {STATES_FILE}"
        )
        super().__init__(f"Unknown state name {name!r}; {hint}")


def load_state_table(folder: Path | None = None) -> pd.DataFrame:
    """states.csv as strings (state_code, state, state_official, iso_3166_2, source)."""
    return _state_table(_folder(folder)).copy()


def normalise_state(name: str, folder: Path | None = None) -> str:
    """The canonical `state` for any spelling of a state; raises UnknownStateError."""
    folder = _folder(folder)
    return _canonical_by_code(folder)[_lookup_code(name, folder)]


def state_code(name: str, folder: Path | None = None) -> str:
    """The two-digit INEGI code ("01".."32") for any spelling of a state name."""
    return _lookup_code(name, _folder(folder))


def _folder(folder: Path | None) -> Path:
    return seeds_dir() if folder is None else Path(folder)


def _lookup_code(name: str, folder: Path) -> str:
    if not isinstance(name, str):
        raise TypeError(f"state name must be a str, got {type(name).__name__}")
    index = _code_by_key(folder)
    key = name_key(name)
    candidates = [key] + [m["name"] for m in (w.match(key) for w in _WRAPPERS) if m]
    for candidate in candidates:
        if candidate in index:
            return index[candidate]
    raise UnknownStateError(name, _suggest(key, folder))


def _suggest(key: str, folder: Path) -> tuple[str, ...]:
    """Up to three states whose name or official name is close to `key` (abbreviations would
    make any short word look close to some state)."""
    table = _state_table(folder)
    by_name = {name_key(name): state for column in ("state", "state_official") for name, state in
               zip(table[column], table["state"], strict=True)}  # fmt: skip
    close = difflib.get_close_matches(key, by_name, n=8, cutoff=0.6)
    return tuple(dict.fromkeys(by_name[k] for k in close))[:3]


def spellings(folder: Path | None = None) -> dict[str, str]:
    """Every known spelling's matching key -> state code (names, official names, ISO codes,
    aliases and abbreviations): what a search box matches a typed name against."""
    return dict(_code_by_key(_folder(folder)))


def name_key(name: str) -> str:
    """The matching key of a name: no accents, case, punctuation or extra spaces ("Querétaro" ->
    "queretaro"); dots dropped so "B.C." and "B.C.S." stay apart."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = plain.replace(".", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


# Keyed on the folder, so pointing ATLAS_SEEDS_DIR at another copy reads that copy's table.
@lru_cache(maxsize=8)
def _state_table(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / STATES_FILE, dtype=str, keep_default_na=False)


@lru_cache(maxsize=8)
def _canonical_by_code(folder: Path) -> dict[str, str]:
    table = _state_table(folder)
    return dict(zip(table["state_code"], table["state"], strict=True))


@lru_cache(maxsize=8)
def _code_by_key(folder: Path) -> dict[str, str]:
    table = _state_table(folder)
    code_of_state = dict(zip(table["state"], table["state_code"], strict=True))
    spellings = [
        *zip(table["state"], table["state_code"], strict=True),
        *zip(table["state_official"], table["state_code"], strict=True),
        *zip(table["iso_3166_2"], table["state_code"], strict=True),
        *(
            (alias, code_of_state[state])
            for alias, state in {**_ALIASES, **_ABBREVIATIONS}.items()
            if state in code_of_state
        ),
    ]
    index: dict[str, str] = {}
    for spelling, code in spellings:
        key = name_key(spelling)
        if index.setdefault(key, code) != code:
            raise ValueError(f"State spelling {spelling!r} would match two states")
    return index
