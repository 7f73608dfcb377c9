"""Helpers shared by the tests (fixtures are in tests/conftest.py):

- ``apptest``: the app through Streamlit's AppTest: ``app(actor)``, ``open_page(page, actor, **query)``
- ``audio``: ``wav_bytes(samples, rate)``, samples encoded as a 16-bit WAV file in memory
- ``clock``: ``Clock``, a time that moves only when a test says so (the ``clock`` fixture)
- ``dataworld``: people in roles and attempts carrying real reports, ``cli(...)``
- ``ports``: ``free_port()`` for the servers the tests start
- ``speechocean``: ``speechocean_rows(name, table)``, the non-native speech corpus beside the project
- ``streamlit_browser``: the app in a real browser (Streamlit server, Chromium, page objects)

Import them as ``from tests.helpers import dataworld`` or ``from tests.helpers.audio import wav_bytes``.
"""
