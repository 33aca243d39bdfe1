"""The atlas's languages: catalogues complete and in use, Babel formats, negotiation, and the page
in Spanish, Chinese and a pseudo-locale that marks every catalogue string."""

import ast
import datetime
import re
import zipfile
from pathlib import Path

import pytest

from geo import boundaries, i18n, seeds
from geo.cli import cli_lang, main
from geo.join import YEAR_COLUMNS
from geo.metrics import METRICS
from geo.paths import REPO_ROOT
from geo.schema import KINDS, LABELS, PROJECT_TYPES, UNKNOWN_YEAR_BASIS, YEAR_BASES
from geo.sectors import SECTORS
from layers import markers
from layers.basemap import BASEMAPS
from layers.charts import TIP_FIELDS
from layers.choropleth import RUNTIME_MESSAGES
from tests.helpers import atlas_calls, frame_for, layers, map_args, records_frame, run_app, shown, states_frame

CATALOGUES = {lang: i18n.load_catalogue(lang) for lang in i18n.LANGUAGES}
# Where the page, the map layers and the map runtime take their words from
CODE = [REPO_ROOT / "app.py", *sorted((REPO_ROOT / "layers").glob("*.py")), *sorted((REPO_ROOT / "geo").glob("*.py"))]
# Keys built from a canonical value (f"sector.{name}"): each family has exactly one key per value
FAMILIES = {
    "sector.{}": SECTORS,
    "ecei.{}": LABELS,
    "metric.{}.label": tuple(METRICS),
    "metric.{}.zero": tuple(METRICS),
    "metric.{}.title": tuple(key for key, metric in METRICS.items() if metric.uses_export_year),
    "basemap.{}": tuple(BASEMAPS),
    "presenter.{}": ("off", "light", "dark"),
    "play.{}": ("in", "upto"),
    "images.{}": ("slide", "a4"),
    "layer.{}": ("states", "clusters", "projects"),
    "basis.{}": (*YEAR_BASES, UNKNOWN_YEAR_BASIS),
    "kind.{}": (*KINDS, *PROJECT_TYPES),
    "search.hit.{}": ("state", "city"),
    "popup.where.{}": markers.PRECISIONS,
    "popup.precision.{}": markers.PRECISIONS,
    "popup.year.{}": markers.BASES,
    "metric.{}.explanation": tuple(METRICS),
    "chart.year.{}": tuple(column.replace(" ", ".") for column in YEAR_COLUMNS),
    "chart.tip.{}": TIP_FIELDS,
    "link.unknown_{}": ("sector", "label"),
    "link.reason.no_{}": ("sector", "label"),
    "link.reason.unknown_{}": ("metric", "basemap", "deck"),
    "link.compare.{}": ("unknown", "many", "both"),
    "metric.status.{}": ("confidential", "unavailable", "under500"),
    "metric.missing.{}.one": ("confidential", "unavailable", "under500"),
    "metric.missing.{}.other": ("confidential", "unavailable", "under500"),
}
MARK = re.compile(r"⟦[^⟦⟧]*⟧")


def literal_keys() -> tuple[set[str], set[str]]:
    """(every string literal of the code that is a catalogue key or a plural's base, the first
    argument of every t()/plural() call written as a literal)."""
    english = CATALOGUES["en"]
    bases = {key.rsplit(".", 1)[0] for key in english if key.endswith((".one", ".other"))}
    found, called = set(), set()
    for path in CODE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value in english or node.value in bases:
                    found.add(node.value)
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in ("t", "plural") and isinstance(node.args[0].value, str):
                    called.add((name, node.args[0].value))
    return found, called


def test_every_catalogue_has_the_same_keys_and_placeholders():
    english = CATALOGUES["en"]
    for lang, catalogue in CATALOGUES.items():
        assert set(catalogue) == set(english), lang
        for key, text in catalogue.items():
            assert text.strip(), (lang, key)
            assert i18n.placeholders(text) == i18n.placeholders(english[key]), (lang, key)


def test_every_key_is_used_and_every_key_used_exists():
    found, called = literal_keys()
    english = CATALOGUES["en"]
    family_keys = {pattern.format(value) for pattern, values in FAMILIES.items() for value in values}
    plurals = {key for key in english if key.rsplit(".", 1)[0] in found and key.endswith((".one", ".other"))}
    assert family_keys <= set(english), sorted(family_keys - set(english))
    used = (found & set(english)) | family_keys | plurals
    assert set(english) == used, sorted(set(english) - used)
    for function, key in called:
        if function == "plural":
            assert {f"{key}.one", f"{key}.other"} <= set(english), key
        else:
            assert key in english, key
    assert set(RUNTIME_MESSAGES) <= set(english) and set(markers.POPUP_MESSAGES) <= set(english)


def test_the_map_runtime_has_no_words_of_its_own():
    """Every text the runtime shows comes from `view.msg`: no English sentence left in its code."""
    js = (REPO_ROOT / "layers/static/atlas-runtime.js").read_text(encoding="utf-8")
    code = "\n".join(re.sub(r"//.*", "", line) for line in js.splitlines() if not line.lstrip().startswith("*"))
    words = [text for text in re.findall(r'"([^"\\]*)"', code) if re.search(r"[A-Z][a-z]+ [a-z]+", text)]
    assert words == []
    for key in RUNTIME_MESSAGES:
        if not key.endswith((".one", ".other")):
            assert f'"{key}"' in js, key


@pytest.mark.parametrize(
    ("lang", "number", "decimal", "percent", "currency", "date"),
    [
        ("en", "1,374.46", "1,374.5", "12.5%", "$1,374.46", "December 2, 2026"),
        ("es", "1,374.46", "1,374.5", "12.5%", "USD1,374.46", "2 de diciembre de 2026"),  # es-MX, not 1.374,46
        ("zh", "1,374.46", "1,374.5", "12.5%", "US$1,374.46", "2026年12月2日"),
    ],
)
def test_babel_formats_per_language(lang, number, decimal, percent, currency, date):
    tr = i18n.translator(lang)
    assert tr.number(1374.46) == number
    assert tr.decimal(1374.46, 1) == decimal
    assert tr.percent(0.125) == percent
    assert tr.currency(1374.46, "USD").replace("\xa0", "") == currency
    assert tr.date(datetime.date(2026, 12, 2)) == date


@pytest.mark.parametrize(
    ("lang", "count", "text"),
    [("en", 1, "1 record"), ("en", 1374, "1,374 records"), ("es", 1, "1 registro"), ("es", 2, "2 registros"),
     ("zh", 1, "1 条记录"), ("zh", 5, "5 条记录")],
)  # fmt: skip
def test_plural_follows_the_language_rule(lang, count, text):
    assert i18n.translator(lang).plural("count.records", count) == text


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        ("es-MX", "es"), ("es-ES", "es"), ("es-419", "es"), ("es", "es"), ("ES_mx", "es"),
        ("en-US", "en"), ("en_GB.UTF-8", "en"),
        ("zh-CN", "zh"), ("zh-Hans", "zh"), ("zh-Hans-CN", "zh"), ("zh-TW", "zh"), ("zh-Hant-HK", "zh"),
        ("fr-FR", None), ("de", None), ("C", None), ("POSIX", None), ("", None), (None, None), ("<b>", None),
    ],
)  # fmt: skip
def test_negotiate(locale, lang):
    assert i18n.negotiate(locale) == lang


def test_unknown_language_and_missing_key_say_what_is_wrong():
    with pytest.raises(ValueError, match="Unknown language 'fr'; use one of: es, en, zh"):
        i18n.translator("fr")
    with pytest.raises(i18n.MissingMessageError, match="No message 'nope' in the 'es' catalogue"):
        i18n.translator("es").t("nope")


def test_a_broken_catalogue_is_named(tmp_path):
    (tmp_path / "es.json").write_text('{"a": 1}', encoding="utf-8")
    (tmp_path / "en.json").write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="must be one JSON object of key -> text"):
        i18n.load_catalogue("es", tmp_path)
    with pytest.raises(ValueError, match="is not valid JSON"):
        i18n.load_catalogue("en", tmp_path)
    with pytest.raises(ValueError, match="No catalogue for language 'zh'"):
        i18n.load_catalogue("zh", tmp_path)


# --- the page ---


@pytest.mark.parametrize(
    ("params", "locale", "lang", "title"),
    [
        ({}, None, "en", "Mexico Cluster Atlas — All sectors"),
        ({}, "es-MX", "es", "Atlas de Clústeres de México — Todos los sectores"),
        ({}, "zh-CN", "zh", "墨西哥产业集群地图集 — 所有行业"),
        ({}, "fr-FR", "en", "Mexico Cluster Atlas — All sectors"),
        ({"lang": "es"}, "zh-CN", "es", "Atlas de Clústeres de México — Todos los sectores"),
        ({"lang": "zh-Hans"}, None, "zh", "墨西哥产业集群地图集 — 所有行业"),
    ],
)
def test_the_language_comes_from_the_link_else_the_browser(params, locale, lang, title):
    at = run_app(params, locale=locale)
    assert not at.exception
    assert at.session_state["lang"] == lang
    assert at.title[0].value.startswith(title)
    [switch] = [w for w in at.sidebar.segmented_control if w.key == "lang"]
    assert switch.value == lang and switch.options == ["Español", "English", "中文"]


def test_a_bad_lang_in_the_link_falls_back_with_a_notice():
    at = run_app({"lang": "fr"}, locale="es-MX")
    assert at.session_state["lang"] == "es"
    assert any('lang="fr"' in shown(w.value) and "es, en, zh" in shown(w.value) for w in at.warning)


def test_spanish_page_sidebar_and_map_tooltips():
    at = run_app({"lang": "es", "sectors": "Aerospace"})
    sidebar = {w.label for kind in ("multiselect", "selectbox", "toggle", "text_input") for w in at.sidebar.get(kind)}
    assert {"Sectores", "Perfil del estado", "Solo años conocidos", "Buscar", "Colorear estados por"} <= sidebar
    [sectors] = [w for w in at.sidebar.multiselect if w.label == "Sectores"]
    assert sectors.value == ["Aerospace"]  # the value stays canonical; only its label is translated
    assert sectors.format_func("Aerospace") == "Aeroespacial"
    view = layers(at)["states"]
    assert view["locale"] == "es-MX" and view["msg"]["tip.counts"].startswith("Clústeres: {clusters}")
    assert view["sectors"][SECTORS.index("Aerospace")] == "Aeroespacial"
    assert any("Sin datos" in h.proto.body or "Clúster (ciudad conocida)" in h.proto.body for h in at.get("html"))
    assert at.markdown[0].value.startswith("#### ") and "clúster" in at.markdown[0].value


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("es", "Quer", "Querétaro (estado)"),  # a part: a whole name is chosen at once
        ("zh", "Quer", "Querétaro（州）"),
        ("es", "Monterrey", "Monterrey, Nuevo León (ciudad)"),
        ("en", "Monterrey", "Monterrey, Nuevo León (city)"),
        ("es", "aero", "Aerocluster de Querétaro (clúster, Querétaro)"),  # a record's kind worded, its name as written
    ],
)
def test_search_results_in_the_language_with_names_as_written(lang, query, expected):
    at = run_app({"lang": lang})
    at.text_input(key="search").input(query).run()
    labels = [button.label for button in at.sidebar.button if button.key and button.key.startswith("hit-")]
    assert expected in labels


def test_switching_language_keeps_the_view():
    at = run_app({"sectors": "Aerospace,ICT", "state": "Querétaro", "zoom": "7", "center": "20.6,-100.4"})
    before = dict(at.query_params)
    [switch] = [w for w in at.sidebar.segmented_control if w.key == "lang"]
    switch.set_value("zh").run()
    assert not at.exception
    assert at.session_state["sectors"] == ["Aerospace", "ICT"] and at.session_state["state"] == "Querétaro"
    assert at.title[0].value.startswith("墨西哥产业集群地图集 — 航空航天和信息通信技术")
    after = dict(at.query_params)
    assert after.pop("lang") == "zh" and {k: v for k, v in after.items() if k not in ("zoom", "center")} == {
        k: v for k, v in before.items() if k not in ("zoom", "center")
    }


def test_pseudo_locale_marks_every_visible_text(monkeypatch):
    """With every message wrapped in ⟦…⟧, any visible text without a mark bypassed the catalogue.
    Allowed unmarked: state names (official Spanish names, never translated) and numbers."""
    pseudo = i18n.translator(i18n.PSEUDO)
    monkeypatch.setattr(i18n, "translator", lambda lang: pseudo)
    at = run_app({"state": "Jalisco", "compare": "Jalisco,Sonora"})
    assert not at.exception
    texts = [e.value for kind in ("title", "header", "subheader", "caption", "info", "warning", "error")
             for e in at.get(kind)]  # fmt: skip
    texts += [e.value for e in at.markdown]
    texts += [w.label for kind in ("multiselect", "selectbox", "toggle", "text_input", "slider", "radio", "button",
                                   "segmented_control", "expander", "tab") for w in at.get(kind)]  # fmt: skip
    texts += [w.placeholder for kind in ("multiselect", "selectbox", "text_input") for w in at.get(kind)]
    texts += [w.help for kind in ("multiselect", "selectbox", "text_input", "slider") for w in at.get(kind)]
    allowed = {"Jalisco", "Sonora", ""}
    unmarked = [text for text in texts if text not in allowed and not MARK.search(text or "")]
    assert [text[:100] for text in unmarked] == []
    legends = [h.proto.body for h in at.get("html") if 'class="atlas-legend"' in h.proto.body]
    assert legends and all(MARK.search(body) for body in legends)
    view = layers(at)["states"]
    assert all(text.startswith("⟦") for text in view["msg"].values()) and view["none"].startswith("⟦")
    assert all(sector.startswith("⟦") for sector in view["sectors"])
    calls = [options for function, options in atlas_calls(map_args(at)["feature_group"]) if function == "markers"]
    assert len(calls) == 2 and all(text.startswith("⟦") for o in calls for text in o["words"]["msg"].values())


def test_pseudo_locale_marks_the_metric_texts_caveats_and_explanation(monkeypatch):
    """The exports metric of a sector with withheld values: its caveats under the legend, the
    explanation behind the legend's "?", and every text of the map's tooltips that has words."""
    pseudo = i18n.translator(i18n.PSEUDO)
    monkeypatch.setattr(i18n, "translator", lambda lang: pseudo)
    at = run_app({"metric": "exports", "sectors": "Electronics & Appliances"})
    assert not at.exception
    captions = [c for c in at.caption if not c.value.startswith("Fuente")]  # INEGI's credit, quoted as written
    assert len(captions) >= 3 and all(MARK.search(c.value) for c in captions), [c.value for c in captions]
    assert any(c.help and MARK.search(c.help) for c in at.caption)  # the legend's "?"
    texts = [info[5] for info in layers(at)["states"]["info"].values()]
    worded = [text for text in texts if re.search(r"[A-Za-z]", text)]
    assert worded and all(MARK.search(text) for text in worded), worded


# What a popup quotes as written (the source's figures, citations, notes): no mark expected there
QUOTED = {"⟦Figures⟧", "⟦Source⟧", "⟦Notes⟧"}


def test_pseudo_locale_marks_every_word_of_every_seed_popup():
    """Every popup of the seeds in the pseudo-locale: its kind, each row's label and each worded
    value (sector, place and precision, year) come from the catalogue."""
    pseudo = i18n.translator(i18n.PSEUDO)
    for record in seeds.load_records().to_dict("records"):
        popup = markers.popup_html(record, pseudo)
        [kind] = re.findall(r'<div class="atlas-kind">(.*?)</div>', popup)
        rows = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", popup, flags=re.DOTALL)
        assert kind.startswith("⟦") and kind.endswith("⟧") and rows, record["id"]  # marks may nest
        for label, value in rows:
            assert MARK.fullmatch(label), (record["id"], label)
            assert label in QUOTED or MARK.search(value), (record["id"], label, value)


def test_the_catalogue_files_are_the_ones_shipped():
    assert sorted(path.stem for path in Path(i18n.LOCALES_DIR).glob("*.json")) == sorted(i18n.LANGUAGES)


# --- the command line and the bundles' documents ---


@pytest.mark.parametrize(
    ("chosen", "environ", "lang"),
    [
        ("zh", {"LANG": "es_MX.UTF-8"}, "zh"),  # --lang wins
        (None, {"LC_ALL": "es_ES.UTF-8", "LANG": "zh_CN.UTF-8"}, "es"),  # LC_ALL before LANG
        (None, {"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        (None, {"LANG": "es_MX.UTF-8"}, "es"),
        (None, {"LANG": "C.UTF-8"}, "en"),
        (None, {"LC_ALL": "fr_FR.UTF-8", "LANG": "es_MX.UTF-8"}, "en"),  # the locale in force is none of ours
        (None, {}, "en"),
    ],
)
def test_cli_language_from_option_else_locale(chosen, environ, lang):
    assert cli_lang(chosen, environ) == lang


@pytest.fixture
def hand_made(monkeypatch):
    monkeypatch.setattr(seeds, "load_records", records_frame)
    monkeypatch.setattr(boundaries, "load_states", lambda resolution="web": states_frame())


@pytest.mark.parametrize(
    ("lang", "message", "headings"),
    [
        ("en", "Wrote {rows} clusters rows (geojson bundle) to {out}",
         ("# Data dictionary: Clusters", "## Formats", "## Sources and citation", "# Sources")),
        ("es", "Se escribieron {rows} filas de la capa clusters (paquete geojson) en {out}",
         ("# Diccionario de datos: Clústeres", "## Formatos", "## Fuentes y cita", "# Fuentes")),
        ("zh", "已将 clusters 图层的 {rows} 行（geojson 数据包）写入 {out}",
         ("# 数据字典：集群", "## 格式", "## 来源与引用", "# 来源")),
    ],
)  # fmt: skip
def test_cli_export_speaks_the_language_and_the_bundle_headings_follow(lang, message, headings, hand_made, tmp_path,
                                                                       capsys, monkeypatch):  # fmt: skip
    monkeypatch.setenv("LANG", "C.UTF-8")
    out = tmp_path / "bundle.zip"
    assert main(["export", "--layer", "clusters", "--format", "geojson", "--out", str(out), "--lang", lang]) == 0
    rows = len(frame_for("clusters"))
    assert capsys.readouterr().out == message.format(rows=rows, out=out) + "\n"
    with zipfile.ZipFile(out) as bundle:
        dictionary = bundle.read("DATA_DICTIONARY.md").decode("utf-8").splitlines()
        sources = bundle.read("SOURCES.md").decode("utf-8").splitlines()
    assert dictionary[0] == headings[0] and headings[1] in dictionary and headings[2] in dictionary
    assert sources[0] == headings[3]
    assert "Sources: the documents cited per row" in "\n".join(dictionary)  # the explanations stay as written


def test_cli_messages_follow_the_locale(hand_made, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "es_MX.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    out = tmp_path / "x.geojson"
    assert main(["export", "--layer", "clusters", "--format", "geojson", "--no-bundle", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("Se escribieron ")
