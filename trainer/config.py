"""Settings: environment variables override a TOML settings file, which overrides defaults.

The settings file is ``$TRAINER_SETTINGS`` if set, else ``trainer.toml`` in the
working directory. Keys in the file are the field names below; environment
variables are the same names upper-cased with a ``TRAINER_`` prefix
(``TRAINER_WHISPER_MODEL=small.en``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: str = str(PROJECT_ROOT / "data")
    # A CTranslate2 model folder, or a faster-whisper model name ("small.en") that
    # is fetched from the model hub on a machine with internet. Empty: the bundled model.
    whisper_model: str = ""
    whisper_compute_type: str = "int8"
    whisper_beam_size: int = 5
    asr_engine: str = "whisper"
    cpu_threads: int = 0  # 0: let CTranslate2 pick (all cores)
    max_audio_seconds: float = 180.0
    min_audio_seconds: float = 0.5
    max_upload_megabytes: float = 50.0
    languagetool_url: str = ""  # an already running server; empty: start the local one
    languagetool_port: int = 8081
    languagetool_dir: str = str(PROJECT_ROOT / "vendor" / "languagetool" / "lib")
    hiring_bar: str = "B2"
    # Storage: the SQLite file and the recordings live in storage_dir (empty: data_dir).
    # database_url (or the DATABASE_URL environment variable) selects another database,
    # e.g. postgresql://user:password@host/trainer.
    storage_dir: str = ""
    database_url: str = ""
    # Sign-in rate limit: this many failures for one login within the window lock it for
    # the lockout time.
    signin_max_failures: int = 5
    signin_window_minutes: float = 15.0
    signin_lockout_minutes: float = 15.0
    # Password hashing: "default" is argon2's RFC 9106 low-memory profile (64 MiB, 3 passes);
    # "test" is argon2's cheapest profile, for the test suite only (tests/conftest.py sets it).
    password_hash_profile: str = "default"
    invitation_valid_days: float = 7.0
    # Pick-a-profile mode: nobody needs an account to practise (a single-machine install).
    # Off on a shared server: applicants get accounts from an admin and sign in.
    open_practice: bool = True
    # The app's address as staff reach it, for links in PDF reports (to a candidate's audio).
    app_url: str = "http://localhost:8501"


def _coerce(value: str, default: object) -> object:
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    path = Path(os.environ.get("TRAINER_SETTINGS", "trainer.toml"))
    from_file: dict = {}
    if path.is_file():
        with path.open("rb") as handle:
            from_file = tomllib.load(handle)
    values: dict = {}
    for field in fields(Settings):
        env = os.environ.get(f"TRAINER_{field.name.upper()}")
        if env is not None:
            values[field.name] = _coerce(env, field.default)
        elif field.name in from_file:
            values[field.name] = from_file[field.name]
    return Settings(**values)


def data_path(*parts: str) -> Path:
    """A path under the data folder, with its parent folders created."""
    path = Path(get_settings().data_dir).joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
