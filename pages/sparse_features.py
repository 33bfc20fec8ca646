import streamlit as st

st.title("sparse_features")
st.info("This page is being built.")
