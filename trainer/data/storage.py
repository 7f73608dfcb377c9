"""Storage: the database schema, the engine and sessions, migrations and the recordings folder.

    with transaction() as session:            # commits on success, rolls back on error
        session.scalars(select(User)).all()

The schema is SQLAlchemy 2 with typed ``Mapped[...]`` models. The database is SQLite in
``storage_dir`` (default: the data folder), ``trainer.db``; ``DATABASE_URL`` (or the
``database_url`` setting) selects another one, e.g. ``postgresql://user:pw@host/trainer``
(driven by psycopg 3). The schema is created and upgraded by the Alembic migrations in
``trainer/data/migrations``: automatically the first time a process uses a database, and by
``trainer db upgrade``. Recordings are files under ``storage_dir/recordings``; rows keep
their path relative to ``storage_dir`` so the folder can move.

Pages never use this module directly: they call ``trainer.data.accounts``, ``trainer.data.records``
and ``trainer.data.interviews``, which check who may see what.
"""

from __future__ import annotations

import enum
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

from trainer.config import get_settings

SQLITE_FILE = "trainer.db"
RECORDINGS_FOLDER = "recordings"


# --------------------------------------------------------------------------- vocabularies


class Role(enum.StrEnum):
    APPLICANT = "applicant"
    COACH = "coach"
    RECRUITER = "recruiter"
    ADMIN = "admin"


class Origin(enum.StrEnum):
    """How a user came to be: a name picked on the app's start page (no password), an
    account made by an admin or the command line, or a candidate invited to an interview."""

    PROFILE = "profile"
    ACCOUNT = "account"
    INVITATION = "invitation"


class AttemptKind(enum.StrEnum):
    PRACTICE = "practice"
    MOCK_CALL = "mock_call"
    INTERVIEW = "interview"


class AttemptStatus(enum.StrEnum):
    RECORDED = "recorded"  # saved, not scored yet; with queued_at set: waiting for a worker
    SCORING = "scoring"  # scoring started; stays here if the process died: rescore it
    SCORED = "scored"
    FAILED = "failed"  # scoring raised an error; status_reason says which; rescore it
    UNSCORABLE = "unscorable"  # the answer cannot be judged (silence, not English...)


class CallStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"


def utcnow() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- column types


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every database (SQLite keeps no time zone: stored as naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use an aware one (storage.utcnow())")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONData = JSON().with_variant(JSONB(), "postgresql")


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as the value text with a CHECK constraint: portable, and readable in SQL.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


# --------------------------------------------------------------------------- models

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONData, list[Any]: JSONData}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    origin: Mapped[Origin] = mapped_column(_enum(Origin, "origin"))
    login: Mapped[str | None] = mapped_column(String(200), unique=True)  # lower-case
    email: Mapped[str | None] = mapped_column(String(320), unique=True)  # lower-case
    password_hash: Mapped[str | None] = mapped_column(String(255))  # argon2id; None: no sign-in
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cohort(Base):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CohortMember(Base):
    """Applicants and coaches in a cohort; a coach sees the applicants of their cohorts."""

    __tablename__ = "cohort_members"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class MockCall(Base):
    """A simulated call answered turn by turn; each turn is an attempt, and so is the whole
    call once finished (position None)."""

    __tablename__ = "mock_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(100))
    scenario_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[CallStatus] = mapped_column(_enum(CallStatus, "call_status"), default=CallStatus.IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class InterviewTemplate(Base):
    __tablename__ = "interview_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # [{"task_id": ..., "prep_seconds": int, "answer_seconds": int}, ...] in interview order
    items: Mapped[list[Any]]
    pass_level: Mapped[str | None] = mapped_column(String(2))  # CEFR; overall level needed
    pass_minimums: Mapped[dict[str, Any]] = mapped_column(default=dict)  # dimension -> min score
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class Invitation(Base):
    """One candidate's interview: a single-use access code (stored hashed) and progress."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("interview_templates.id"), index=True)
    recruiter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    candidate_email: Mapped[str | None] = mapped_column(String(320))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    redeemed_at: Mapped[datetime | None]
    consent_at: Mapped[datetime | None]
    next_position: Mapped[int] = mapped_column(Integer, default=0)  # items answered so far
    finished_at: Mapped[datetime | None]  # all items answered: the code is spent
    revoked_at: Mapped[datetime | None]


class Attempt(Base):
    """One answer: the recording (or typed text) and, once scored, its report."""

    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_user_created", "user_id", "created_at"),
        # no retakes: one answer per interview item
        UniqueConstraint("invitation_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    task_id: Mapped[str | None] = mapped_column(String(100))  # None: a free answer
    task_type: Mapped[str] = mapped_column(String(40))
    kind: Mapped[AttemptKind] = mapped_column(_enum(AttemptKind, "kind"))
    mock_call_id: Mapped[int | None] = mapped_column(ForeignKey("mock_calls.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"), index=True)
    position: Mapped[int | None]  # turn of a mock call, item of an interview
    recording_file: Mapped[str | None] = mapped_column(String(500))  # relative to storage_dir
    answer_text: Mapped[str | None] = mapped_column(Text)  # typed answers (chat replies)
    reference_text: Mapped[str | None] = mapped_column(Text)  # read-aloud text outside the bank
    status: Mapped[AttemptStatus] = mapped_column(_enum(AttemptStatus, "status"), index=True)
    status_code: Mapped[str | None] = mapped_column(String(40))  # e.g. too_short, not_english
    status_reason: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict[str, Any] | None]  # scoring.Report.to_dict()
    overall_score: Mapped[float | None] = mapped_column(Float)
    level: Mapped[str | None] = mapped_column(String(2))
    engine_version: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    scoring_started_at: Mapped[datetime | None]
    scored_at: Mapped[datetime | None]
    # The scoring job (trainer.jobs): when it was queued, the stage a worker has reached,
    # how many tries it has had, and its token (only the run holding the current token may
    # store a report, so a job delivered twice still ends with one report).
    queued_at: Mapped[datetime | None]
    scoring_stage: Mapped[str | None] = mapped_column(String(40))
    scoring_tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    job_token: Mapped[str | None] = mapped_column(String(36))
    scored_by: Mapped[str | None] = mapped_column(String(100))  # the worker of the last try: host:pid
    scoring_alive_at: Mapped[datetime | None]  # the running try's last sign of life (its worker's beat)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AttemptScore(Base):
    """The machine's score of one dimension of an attempt, one row each, for queries."""

    __tablename__ = "attempt_scores"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    score: Mapped[float] = mapped_column(Float)
    band: Mapped[int] = mapped_column(Integer)


class ScoreOverride(Base):
    """A coach's band for one dimension; the latest one per dimension is the effective band."""

    __tablename__ = "score_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    dimension: Mapped[str] = mapped_column(String(40))
    machine_band: Mapped[int] = mapped_column(Integer)
    coach_band: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Comment(Base):
    """A coach's comment on an attempt; the applicant sees it on their feedback page."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: command line
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]

    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)


class SignInFailure(Base):
    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A browser's sign-in: the cookie carries a random token; only its SHA-256 is stored, so
    a copy of the database cannot be used to sign in. Ended by sign-out, a password change,
    deactivation, or ``expires_at``."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SignInGrant(Base):
    """A one-time code handed from the sign-in page (which cannot set cookies: it talks to
    the browser over a websocket) to ``/auth/session``, which exchanges it for the session
    cookie. Stored hashed, exchangeable for a minute, once."""

    __tablename__ = "sign_in_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # the session it was exchanged for: the tab that signed in follows that session's end
    session_id: Mapped[int | None] = mapped_column(ForeignKey("web_sessions.id", ondelete="CASCADE"))


class RecordingBlob(Base):
    """A recording's bytes, for workers on other machines (``recordings_store``); the file
    in storage_dir/recordings is the same bytes under the same name."""

    __tablename__ = "recording_blobs"

    name: Mapped[str] = mapped_column(String(500), primary_key=True)  # Attempt.recording_file
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def audit(
    session: Session,
    actor_id: int | None,
    action: str,
    obj_type: str,
    obj_id: int | None,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Add an audit entry to the caller's transaction, so it commits with the change."""
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            object_type=obj_type,
            object_id=obj_id,
            before=before,
            after=after,
            at=utcnow(),
        )
    )


# --------------------------------------------------------------------------- where data lives


def storage_root() -> Path:
    settings = get_settings()
    root = Path(settings.storage_dir or settings.data_dir)
    root.mkdir(parents=True, exist_ok=True)
    return root


def recording_path(relative: str) -> Path:
    return storage_root() / relative


def database_url() -> str:
    """``DATABASE_URL``, else the ``database_url`` setting, else SQLite in storage_dir.
    ``postgres://`` and ``postgresql://`` URLs are driven by psycopg 3."""
    url = os.environ.get("DATABASE_URL") or get_settings().database_url
    if not url:
        return f"sqlite:///{storage_root() / SQLITE_FILE}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def describe_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


# --------------------------------------------------------------------------- engine, migrations

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # Streamlit serves sessions from threads; scoring may run in another one.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class StorageUnavailable(RuntimeError):
    """The database cannot be opened; the message names it (without its password)."""


def get_engine() -> Engine:
    """The engine for ``database_url()``, with the schema upgraded on first use."""
    url = database_url()
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            try:
                upgrade(engine)
            except OperationalError as error:
                engine.dispose()
                reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
                raise StorageUnavailable(f"The database {describe_url(url)} cannot be opened: {reason}") from error
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before a process forks)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def transaction() -> Iterator[Session]:
    """A session in a transaction: committed when the block ends, rolled back on an error.
    Objects stay readable after the commit (expire_on_commit=False)."""
    with Session(get_engine(), expire_on_commit=False) as session, session.begin():
        yield session


def alembic_config(engine_or_url: Engine | str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    url = engine_or_url if isinstance(engine_or_url, str) else engine_or_url.url.render_as_string(False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (Alembic ``upgrade``)."""
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
