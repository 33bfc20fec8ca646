import streamlit as st

st.title("formula")
st.info("This page is being built.")
