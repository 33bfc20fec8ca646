"""UI helpers for the Streamlit pages: settings in the URL, the shared theme, figure builders.

``params`` and ``theme`` and the figure modules are pure (no streamlit); ``ui`` is the thin
streamlit layer the pages call.
"""
