"""The floor: the cheapest rerun Streamlit can do on this machine (one button, one line of text).

bench/bench.py measures click -> new text here; the app's own filter changes are judged against it.
"""

import streamlit as st

clicks = st.session_state.setdefault("clicks", 0)
if st.button("Next"):
    st.session_state.clicks = clicks = clicks + 1
st.text(f"floor clicks: {clicks}")
