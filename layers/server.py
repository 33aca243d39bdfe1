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
from streamlit import runtime
from streamlit.components.v1 import declare_component

COMPONENT_PATH = "/component/"  # where Streamlit serves a declared component's folder


def serve(folders: dict[str, Path]) -> dict[str, str]:
    """Folder name -> the URL prefix its files are served at. Call from a script run (Streamlit
    registers components only there); once per runtime is enough (`registered`)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    root = f"/{base}" if base else ""
    prefixes = {}
    for name, folder in folders.items():
        component = declare_component(f"atlas_{name}", path=str(folder))
        prefixes[name] = f"{root}{COMPONENT_PATH}{component.name}"
    return prefixes


def registered(prefixes: dict[str, str]) -> bool:
    """Whether the running Streamlit serves every folder of `serve`'s `prefixes` (the launcher's
    warm-up registered them with AppTest's stand-in runtime, not with the server's)."""
    registry = runtime.get_instance().component_registry
    return all(registry.get_component_path(prefix.rsplit(COMPONENT_PATH, 1)[1]) for prefix in prefixes.values())


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
WARM_TIMEOUT_S = 120  # a page that takes longer (a million benchmark points on a slow disk) starts cold
PRELOAD = ("pandas", "geopandas", "shapely", "pyogrio", "folium", "mapclassify", "geo.seeds", "geo.export",
           "geo.metrics", "geo.search", "geo.source", "geo.i18n", "geo.upload", "layers.basemap", "layers.assets",
           "layers.mapimage")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """`python -m layers.server run app.py [streamlit options]`: `streamlit run`, warmed (`warm`),
    then Streamlit's own command line in this same process."""
    import sys

    from streamlit.web import cli

    args = sys.argv[1:] if argv is None else argv
    script = _script(args)
    if script is not None:
        _load_config(args)
    warm(script)
    sys.argv = ["streamlit", *args]
    return cli.main()


def _load_config(args: list[str]) -> None:
    """Streamlit's config as `streamlit run` will set it (config.toml, then the command line's
    flags), before the warm-up runs the page: what that run caches (the map data's URLs under
    `--server.baseUrlPath`, say) must be what the server serves. Parsed leniently: the command line
    reports its own errors once it runs."""
    from streamlit.web import bootstrap, cli

    context = cli.main_run.make_context("run", list(args[1:]), resilient_parsing=True)
    bootstrap.load_config_options({k: v for k, v in context.params.items() if k not in ("target", "args")})


def warm(script: Path | None) -> None:
    """Imports PRELOAD, reads the boundaries and seeds once (a broken seed file is left for the page
    to report), then runs the page itself once (`_warm_page`)."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    _warm_data()
    if script is not None:
        _warm_page(script)


def _script(args: list[str]) -> Path | None:
    """The script of `run SCRIPT ...`, when there is one."""
    if len(args) >= 2 and args[0] == "run" and args[1].endswith(".py") and Path(args[1]).is_file():
        return Path(args[1]).resolve()
    return None


def _warm_page(script: Path) -> None:
    """One run of the page before the server listens (streamlit.testing's AppTest, in this process):
    its first run costs ~1.2 s more than later ones (folium compiling its Jinja templates, the
    script's own imports, the data frames cached), which the first visitor would otherwise wait for.
    The st.cache_data and st.cache_resource entries it fills stay (they are process-wide). What
    registered a component with AppTest's stand-in runtime must do so again with the real one: the
    page's cached `serve` result is revalidated (`registered`), and streamlit_folium, which declares
    its component when imported, is imported again by the first real run (its own code only, ~ms). A page that fails
    here is left for the first visitor to see reported."""
    import logging
    import sys

    from streamlit.testing.v1 import AppTest

    context_log = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = context_log.level
    context_log.setLevel(logging.ERROR)  # AppTest's own set-up warns that it runs without a server
    try:
        AppTest.from_file(str(script), default_timeout=WARM_TIMEOUT_S).run()
    except Exception:  # the server must start whatever the page does
        logging.getLogger("atlas").warning("warming the page failed; the first visitor runs it cold", exc_info=True)
    finally:
        context_log.setLevel(level)
    for name in [name for name in sys.modules if name.split(".")[0] == "streamlit_folium"]:
        del sys.modules[name]


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
