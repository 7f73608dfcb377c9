"""Settings: environment variables override a TOML settings file, which overrides defaults.

The settings file is ``$TRAINER_SETTINGS`` if set, else ``trainer.toml`` in the
working directory. Keys in the file are the field names below; environment
variables are the same names upper-cased with a ``TRAINER_`` prefix
(``TRAINER_WHISPER_MODEL=small.en``). ``DATABASE_URL`` also sets ``database_url``
(and wins over ``TRAINER_DATABASE_URL``).

Course files, LanguageTool rules and the demo audio are found with ``resource_path``: in
a checkout the top-level folders, in an installed wheel the copies shipped inside the
``trainer`` package (pyproject.toml maps them there).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PACKAGE_DIR = Path(__file__).resolve().parent
# The repository checkout (or, in an installed wheel, the site-packages folder).
PROJECT_ROOT = PACKAGE_DIR.parent
# Where pyproject.toml puts the top-level resource folders inside the installed package.
BUNDLED_RESOURCES = PACKAGE_DIR / "_resources"


def resource_path(name: str) -> Path:
    """A resource folder shipped with the app, by its path in the repository
    (``"lessons"``, ``"audio_samples"``, ``"languagetool/rules"``): the copy inside the
    installed package if there is one, else the folder of the checkout."""
    bundled = BUNDLED_RESOURCES.joinpath(*name.split("/"))
    return bundled if bundled.exists() else PROJECT_ROOT.joinpath(*name.split("/"))


def settings_file() -> Path:
    return Path(os.environ.get("TRAINER_SETTINGS", "trainer.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRAINER_", frozen=True, extra="ignore", validate_by_name=True)

    data_dir: str = str(PROJECT_ROOT / "data")
    # The course files (lessons, tasks, call scenarios, rubrics): the bundled lessons/.
    content_dir: str = str(resource_path("lessons"))
    # A CTranslate2 model folder, or a faster-whisper model name ("small.en") that
    # is fetched from the model hub on a machine with internet. Empty: the bundled model.
    whisper_model: str = ""
    whisper_compute_type: str = "int8"
    whisper_beam_size: int = 5
    # Free answers: test the word forms the recogniser may have repaired against the audio
    # (trainer.speech.verbatim). Off: on bench/grammar_speech.py it kept few more mistakes
    # and cost several seconds per 30 s answer (docs/validity.md, grammar).
    verbatim_pass: bool = False
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
    database_url: str = Field("", validation_alias=AliasChoices("DATABASE_URL", "TRAINER_DATABASE_URL"))
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
    # How long a sign-in lasts (a working day with its overtime); sign-out, a password change
    # or a deactivation end it sooner.
    session_hours: float = 12.0
    # Load the speech model and start the grammar server when the web server starts, so the
    # first answer does not wait for them.
    warm_up_on_start: bool = True
    # Scoring: "queue" hands each saved answer to worker processes through a message broker
    # (trainer.jobs); "inline" scores it in the web process that saved it (the old path,
    # for a quick look without workers and for page tests).
    scoring: str = "queue"
    # The broker's URL (redis://host:6379/0). Empty: the app starts its own Redis in
    # storage_dir, reachable by this machine only (the one-machine default).
    broker_url: str = ""
    # Worker processes the web server starts on its own machine: -1, one per core (each with
    # one thread: processes use the cores better than threads, bench/load.py); 0 on a
    # web-only machine, when `trainer worker` runs elsewhere. Threads of a `trainer worker`
    # started by hand: 0, one per core.
    embedded_workers: int = -1
    worker_threads: int = 0
    # Tries per answer before it is "scoring failed" (a killed worker counts as a try).
    scoring_tries: int = 3
    # A job whose worker sent no heartbeat for this long goes back to the queue.
    job_visibility_seconds: float = 30.0
    # Where recordings live: "folder" (storage_dir/recordings, one machine), "database"
    # (also in the database, so workers on other machines can read them), "auto": the
    # database when it is not SQLite.
    recordings_store: str = "auto"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file is looked up when the settings are read, so tests can point at another.
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, settings_file())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def data_path(*parts: str) -> Path:
    """A path under the data folder, with its parent folders created."""
    path = Path(get_settings().data_dir).joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
