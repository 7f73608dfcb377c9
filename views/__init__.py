"""Streamlit pages (run by app.py through st.navigation); a package so the layer contracts see them."""
