"""The web server: the Streamlit app (app.py) plus the routes that keep a sign-in across
refreshes and the warm-up at start (trainer.webapp.server). ``./run.sh app`` runs
``streamlit run server.py``; Streamlit finds the ``app`` below and serves it."""

import streamlit as st

from trainer.webapp.server import ROUTES, lifespan

app = st.App("app.py", routes=ROUTES, lifespan=lifespan)
