"""The floor: the atlas's sector control alone, the cheapest rerun a page with that widget can do.

The same widget kind, label, options, key and place as app.py's `sidebar()` (a multiselect
"Sectors" over geo.sectors.SECTORS, in the sidebar, empty = all sectors) and one line of text
saying what is selected: bench/bench.py times pointerdown -> that text, and judges the atlas's
filter change against it (measured in the same run, interleaved). Like the atlas (app.py
`settle_heap`), it freezes its heap once, so Streamlit's post-run gc.collect (runner.postScriptGC,
the same value for both servers: bench/adapters.py `post_script_gc`) costs both pages alike.
Keep the text in step with bench/adapters.py `floor_text`.
"""

import gc

import streamlit as st

from geo.sectors import SECTORS


@st.cache_resource(show_spinner=False)
def settle_heap() -> bool:
    gc.collect()
    gc.freeze()  # once per process, as layers.server.settle_heap does for the atlas
    return True


settle_heap()
with st.sidebar:
    st.header("Filters")
    st.multiselect("Sectors", SECTORS, key="sectors", placeholder="All sectors", help="Leave empty for all sectors.")
chosen = st.session_state.get("sectors") or []
st.text(f"floor sectors: {', '.join(chosen) if chosen else 'all'}")
