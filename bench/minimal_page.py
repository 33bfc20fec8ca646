"""The baseline for page-load time: the smallest Streamlit page that draws one plotly chart.

bench/bench.py serves this next to app.py and compares the time to first chart; most of that
time is Streamlit's frontend and plotly.js themselves, which every page pays.
"""

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Minimal one-chart page", layout="wide")
st.title("One chart")
fig = go.Figure(go.Scatter(x=list(range(100)), y=[(i - 50) ** 2 for i in range(100)]))
st.plotly_chart(fig)
