"""Streamlit entry point. Pages live in views/; they gather input and show results, and
everything they show comes from the trainer package."""

import streamlit as st

st.set_page_config(page_title="BPO English Trainer", page_icon="🎧", layout="wide")

pages = [
    st.Page("views/home.py", title="Home", icon="🏠", default=True),
    st.Page("views/practice.py", title="Practice", icon="🎙️"),
]
st.navigation(pages).run()
