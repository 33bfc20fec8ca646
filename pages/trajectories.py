import streamlit as st

st.title("trajectories")
st.info("This page is being built.")
