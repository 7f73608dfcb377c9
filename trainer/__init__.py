"""English training and assessment for call-centre (BPO) applicants.

The package is a functional core: each stage of the pipeline is a module with a
small public API (``audio``, ``vad``, ``asr``, ``tts``, ...) that works without
Streamlit. ``app.py`` and ``trainer.cli`` are thin layers over it.
"""

__version__ = "0.1.0"
