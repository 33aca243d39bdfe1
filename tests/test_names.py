import pytest

from geo.names import UnknownStateError, load_state_table, normalise_state, state_code

SPELLINGS = [
    # (as met in a source, canonical state)
    ("Nuevo León", "Nuevo León"),
    ("Nuevo Léon", "Nuevo León"),  # misplaced accent
    ("Nuevo Leon", "Nuevo León"),
    ("NUEVO LEÓN", "Nuevo León"),
    ("  nuevo   leon ", "Nuevo León"),
    ("N.L.", "Nuevo León"),
    ("Queretaro", "Querétaro"),
    ("Querétaro de Arteaga", "Querétaro"),
    # "México" alone is the state (INEGI's name for state 15), never the country.
    ("México", "Estado de México"),
    ("Mexico", "Estado de México"),
    ("México State", "Estado de México"),
    ("Mexico state", "Estado de México"),
    ("Estado de México", "Estado de México"),
    ("Estado de Mexico", "Estado de México"),
    ("State of Mexico", "Estado de México"),
    ("Edomex", "Estado de México"),
    ("Edo. Méx.", "Estado de México"),
    ("Mexico City", "Ciudad de México"),
    ("Ciudad de Mexico", "Ciudad de México"),
    ("CDMX", "Ciudad de México"),
    ("Distrito Federal", "Ciudad de México"),
    ("D.F.", "Ciudad de México"),
    ("DF", "Ciudad de México"),
    ("México, D.F.", "Ciudad de México"),
    ("Coahuila de Zaragoza", "Coahuila"),
    ("Veracruz-Llave", "Veracruz"),
    ("Veracruz de Ignacio de la Llave", "Veracruz"),
    ("Michoacán de Ocampo", "Michoacán"),
    ("Michoacan", "Michoacán"),
    ("San Luis Potosi", "San Luis Potosí"),
    ("S.L.P.", "San Luis Potosí"),
    ("Yucatan", "Yucatán"),
    ("Baja California", "Baja California"),
    ("Baja California Sur", "Baja California Sur"),
    ("B.C.", "Baja California"),  # BC and BCS must not collapse into one key
    ("B.C.S.", "Baja California Sur"),
    ("BCS", "Baja California Sur"),
    ("Baja California Norte", "Baja California"),
    ("Q. Roo", "Quintana Roo"),
    ("Estado de Jalisco", "Jalisco"),
    ("Jalisco State", "Jalisco"),
    ("MX-NLE", "Nuevo León"),
    ("mx-cmx", "Ciudad de México"),
]


@pytest.mark.parametrize(("spelling", "expected"), SPELLINGS)
def test_normalise_state(spelling, expected):
    assert normalise_state(spelling) == expected


@pytest.mark.parametrize("column", ["state", "state_official", "iso_3166_2"], ids=lambda column: column)
def test_every_seed_spelling_maps_to_its_own_row(column):
    table = load_state_table()
    assert [normalise_state(name) for name in table[column]] == list(table["state"])
    assert [state_code(name) for name in table[column]] == list(table["state_code"])


@pytest.mark.parametrize(
    ("spelling", "code"),
    [("Aguascalientes", "01"), ("Distrito Federal", "09"), ("México", "15"), ("Zacatecas", "32")],
)
def test_state_code(spelling, code):
    assert state_code(spelling) == code


@pytest.mark.parametrize(
    ("spelling", "suggested"),
    [
        ("Queretarro", "Querétaro"),
        ("Nuevo Lion", "Nuevo León"),
        ("Chihuaha", "Chihuahua"),
        ("Tamaulipa", "Tamaulipas"),
        ("Sonorra", "Sonora"),
    ],
)
def test_unknown_name_suggests_closest(spelling, suggested):
    with pytest.raises(UnknownStateError) as caught:
        normalise_state(spelling)
    assert caught.value.suggestions[0] == suggested
    assert repr(spelling) in str(caught.value)
    assert suggested in str(caught.value)


@pytest.mark.parametrize("spelling", ["Texas", "Ontario", "", "   "])
def test_unknown_name_without_close_match(spelling):
    with pytest.raises(UnknownStateError, match="expected one of the 32 names") as caught:
        state_code(spelling)
    assert caught.value.suggestions == ()
    assert isinstance(caught.value, ValueError)


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError):
        normalise_state(None)


def test_state_table_is_a_fresh_copy():
    table = load_state_table()
    table.loc[0, "state"] = "changed"
    assert load_state_table().loc[0, "state"] == "Aguascalientes"
    assert list(table.columns[:3]) == ["state_code", "state", "state_official"]
