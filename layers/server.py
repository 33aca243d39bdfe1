"""What the app's server process needs beyond the page: the map's files served, a settled heap.

Serving the map's folders (layers/assets.py) through Streamlit, under the app's own base path:

Streamlit's static serving (`server.enableStaticServing`) only serves `static/` beside the main
script, which a read-only install cannot write, and refuses files linked in from elsewhere. A
component declared with `path=` is served from any folder at `<baseUrlPath>/component/<name>/`:
the documented way to serve a folder, used here for files only (the components are never drawn).
"""

from __future__ import annotations

import gc
from pathlib import Path

import streamlit as st
from streamlit.components.v1 import declare_component


def serve(folders: dict[str, Path]) -> dict[str, str]:
    """Folder name -> the URL prefix its files are served at. Call from a script run (Streamlit
    registers components only there); once per process is enough (`st.cache_resource`)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    root = f"/{base}" if base else ""
    prefixes = {}
    for name, folder in folders.items():
        component = declare_component(f"atlas_{name}", path=str(folder))
        prefixes[name] = f"{root}/component/{component.name}"
    return prefixes


def settle_heap() -> None:
    """Once per process, after the imports and the data load: exempt every object alive now from
    the cyclic garbage collector (gc.freeze). Streamlit runs gc.collect(2) after every script run
    (runner.postScriptGC); over the ~180,000 objects pandas, geopandas and folium bring, that took
    ~120 ms holding the GIL, while the run's messages, the map's among them, waited to be sent.
    Frozen objects are still freed by reference counting; only cycles among them are never found."""
    gc.collect()
    gc.freeze()


# What the first visitor would otherwise wait for: Streamlit imports the app's script only when the
# first session opens, and these imports take seconds on a small machine (mapclassify alone pulls
# scipy.stats). Imported before the server starts listening, they are in memory for that visitor.
# Not streamlit_folium: it declares its component when imported, which Streamlit only registers
# inside a running app.
PRELOAD = ("pandas", "geopandas", "shapely", "pyogrio", "folium", "mapclassify", "geo.seeds", "geo.export",
           "geo.metrics", "geo.search", "geo.source", "geo.i18n", "geo.upload", "layers.basemap", "layers.assets",
           "layers.mapimage")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """`python -m layers.server run app.py [streamlit options]`: `streamlit run`, warmed.

    Imports PRELOAD and reads the boundaries and seeds once (a broken seed file is left for the
    page to report), then hands over to Streamlit's own command line in this same process.
    """
    import importlib
    import sys

    from streamlit.web import cli

    for name in PRELOAD:
        importlib.import_module(name)
    _warm_data()
    sys.argv = ["streamlit", *(sys.argv[1:] if argv is None else argv)]
    return cli.main()


def _warm_data() -> None:
    from geo import boundaries, documents, i18n, official, seeds

    for lang in i18n.LANGUAGES:  # the catalogues and Babel's locale data
        i18n.translator(lang)

    boundaries.load_states("web")
    boundaries.load_states("full")
    for load in (official.load_population, official.load_exports, official.load_crosswalk, documents.load_documents):
        try:  # INEGI's tables and the document register, read and checked once (exports metric, cards)
            load()
        except ValueError:
            pass  # the page says what is wrong to whoever asks for it
    try:
        seeds.load_records()
    except seeds.SeedError:
        pass  # the page lists the problems to whoever opens it


if __name__ == "__main__":
    raise SystemExit(main())
