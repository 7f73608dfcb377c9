"""An answer as it arrives: checked against its task and, when spoken, written to the
recordings folder durably before anything else happens to it.

The rules every way of answering shares (practice, lessons, mock calls, interviews) live
here, in ``prepare_answer``: a typed chat reply within the task's ``max_words``; a
recording that can be read, no longer than the time allowed for the answer (plus a moment
to press Stop) and, where asked (a mock call's turns), with speech in it. A refusal is an
error whose message is written for the person answering: ``ReplyTooLong`` (a ValueError)
or an ``AudioError`` (its ``user_message``)."""

from __future__ import annotations

import math
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from trainer.config import get_settings
from trainer.content import get_bank
from trainer.data.storage import (
    RECORDINGS_FOLDER,
    Attempt,
    AttemptKind,
    AttemptStatus,
    RecordingBlob,
    database_url,
    recording_path,
    storage_root,
    transaction,
    utcnow,
)
from trainer.speech.audio import AudioTooLongError, NotAudioFileError, _read_bytes, load_audio
from trainer.speech.textnorm import words

RecordingSource = bytes | bytearray | str | Path | BinaryIO
AUDIO_EXTENSIONS = ("wav", "flac", "ogg", "webm", "mp3", "m4a")
# How much longer than the time allowed a recording may be: pressing Stop takes a moment.
ANSWER_GRACE_SECONDS = 3.0


class ReplyTooLong(ValueError):
    """A typed reply longer than its task allows; the message says by how much."""


def answer_limit(task) -> int:
    """Seconds allowed for the whole answer to ``task``: a role-play's limit is per agent
    turn, so answering the whole call in one recording gets one turn's time per caller turn."""
    if task.type == "role_play":
        return task.answer_seconds * len(get_bank().get_scenario(task.scenario).turns)
    return task.answer_seconds


def check_reply(task, text: str) -> None:
    """Refuse an empty reply, and one longer than the task's ``max_words`` (chat replies)."""

    if not text.strip():
        raise ValueError("Please type a reply first.")
    limit = getattr(task, "max_words", None)
    count = len(words(text))
    if limit is not None and count > limit:
        raise ReplyTooLong(f"Your reply has {count} words; please keep it within {limit} words.")


def check_recording(data: bytes, limit_seconds: float | None, require_speech: bool = False) -> None:
    """Refuse a recording that cannot be read, one longer than ``limit_seconds`` (plus a
    moment to press Stop; None: the longest any answer may be) and, with ``require_speech``,
    one with no speech in it: raises an AudioError whose ``user_message`` says what to do."""

    max_seconds = None if limit_seconds is None else limit_seconds + ANSWER_GRACE_SECONDS
    try:
        load_audio(data, max_seconds=max_seconds, min_seconds=0.0, require_speech=require_speech)
    except AudioTooLongError as error:
        if limit_seconds is None:
            raise
        raise AudioTooLongError(
            f"Your recording is longer than the {limit_seconds:g} seconds this task allows."
        ) from error


@dataclass
class PreparedAnswer:
    """An answer checked and, if spoken, already written to disk (not yet in the database)."""

    task_id: str | None
    task_type: str
    recording_file: str | None
    answer_text: str | None
    reference_text: str | None

    def discard(self) -> None:
        if self.recording_file:
            recording_path(self.recording_file).unlink(missing_ok=True)
            if recordings_in_database():
                with transaction() as session:
                    blob = session.get(RecordingBlob, self.recording_file)
                    if blob is not None:
                        session.delete(blob)

    def attempt(self, user_id: int, kind: AttemptKind, **links) -> Attempt:
        return Attempt(
            user_id=user_id,
            task_id=self.task_id,
            task_type=self.task_type,
            kind=kind,
            recording_file=self.recording_file,
            answer_text=self.answer_text,
            reference_text=self.reference_text,
            status=AttemptStatus.RECORDED,
            created_at=utcnow(),
            **links,
        )


def _task(task_id: str):
    try:
        return get_bank().get_task(task_id)
    except KeyError as error:
        raise ValueError(f"There is no task {task_id!r} in the task bank.") from error


# FFmpeg's demuxer names (PyAV's probe) -> the extension a recording is stored under.
# An ADTS AAC stream is MPEG audio frames: stored as .mp3, as the old frame-sync test did.
_CONTAINER_EXTENSIONS = {
    "wav": "wav",
    "ogg": "ogg",
    "flac": "flac",
    "webm": "webm",
    "matroska": "webm",
    "mov": "m4a",
    "mp4": "m4a",
    "m4a": "m4a",
    "mp3": "mp3",
    "aac": "mp3",
}


def _sniff_extension(data: bytes, filename: str | None) -> str:
    """The stored file's extension from its content (FFmpeg's format probe), else from the
    uploaded name if that is an audio one, else ``bin``."""
    import io

    import av  # loaded here: the data layer imports this module without decoding anything

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            names = container.format.name.split(",")
    except (av.FFmpegError, ValueError, OSError):
        names = []
    for name in names:
        if name in _CONTAINER_EXTENSIONS:
            return _CONTAINER_EXTENSIONS[name]
    suffix = Path(filename or "").suffix.lower().lstrip(".")
    return suffix if suffix in AUDIO_EXTENSIONS else "bin"


def upload_limit_megabytes() -> int:
    """The largest upload, in MB, as an uploader states it (the check itself is on the
    bytes read: ``max_upload_megabytes``)."""
    return max(1, math.ceil(get_settings().max_upload_megabytes))


def check_upload_name(filename: str) -> None:
    """Refuse an uploaded file whose name is not one of ``AUDIO_EXTENSIONS``, saying which
    formats are accepted (before anything is saved)."""
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix not in AUDIO_EXTENSIONS:
        kind = f"A .{suffix} file" if suffix else "A file without an extension"
        raise NotAudioFileError(f'{kind} is not a recording: "{filename}" cannot be scored.')


def write_recording(data: bytes, user_id: int, filename: str | None = None) -> str:
    """Write a recording under ``storage_dir/recordings/USER/YYYY-MM/`` as it was received
    (no re-encoding), durably and atomically. Returns its path relative to storage_dir."""
    now = utcnow()
    relative = f"{RECORDINGS_FOLDER}/{user_id}/{now:%Y-%m}/{uuid.uuid4().hex}.{_sniff_extension(data, filename)}"
    target = storage_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(target)
    if recordings_in_database():
        with transaction() as session:
            session.add(RecordingBlob(name=relative, content=data, created_at=now))
    return relative


def recordings_in_database() -> bool:
    """Whether recordings are also kept in the database (``recordings_store``), so that a
    worker on another machine can read them."""
    store = get_settings().recordings_store
    if store == "auto":
        return not database_url().startswith("sqlite")
    if store not in ("folder", "database"):
        raise ValueError(f'recordings_store is "folder", "database" or "auto", not {store!r}')
    return store == "database"


def fetch_recording(relative: str) -> Path | None:
    """The local path of a stored recording: the file in storage_dir if this machine has it,
    else a copy written there from the database (a worker on another machine); None when
    neither holds it."""
    path = recording_path(relative)
    if path.is_file():
        return path
    if not recordings_in_database():
        return None
    with transaction() as session:
        blob = session.get(RecordingBlob, relative)
        content = None if blob is None else bytes(blob.content)
    if content is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    partial.write_bytes(content)
    partial.replace(path)
    return path


def prepare_answer(
    user_id: int,
    task_id: str | None,
    *,
    recording: RecordingSource | None = None,
    filename: str | None = None,
    text: str | None = None,
    reference_text: str | None = None,
    answer_seconds: float | Literal["task"] | None = "task",
    require_speech: bool = False,
) -> PreparedAnswer:
    """Check an answer and write its recording to disk. Raises ValueError for a mismatch
    (a typed answer to a spoken task...) or a reply over the task's ``max_words``
    (``ReplyTooLong``), and an AudioError (too large, empty, unreadable, too long, no
    speech with ``require_speech``) for a recording that is refused.

    ``answer_seconds`` is the time allowed for a spoken answer: ``"task"``, the task's own
    (``answer_limit``; without a task, the longest any answer may be); a number, that many
    seconds (an interview item's time); None, no check at all (a recording the app made
    itself, such as a whole mock call joined from its checked turns)."""

    task = _task(task_id) if task_id is not None else None
    task_type = task.type if task is not None else ("read_aloud" if reference_text else "free_answer")
    name = (
        filename or getattr(recording, "name", None) or (str(recording) if isinstance(recording, (str, Path)) else None)
    )
    if hasattr(recording, "getvalue"):  # Streamlit uploads: whole content, wherever the read position is
        recording = bytes(recording.getvalue())
    if task_type == "chat_reply":
        if recording is not None or text is None:
            raise ValueError("A chat reply is typed: give text, not a recording.")
        check_reply(task, text)
        return PreparedAnswer(task_id, task_type, None, text, reference_text)
    if recording is None or text is not None:
        raise ValueError("This task is answered by voice: give a recording.")
    data, _ = _read_bytes(recording, int(get_settings().max_upload_megabytes * 1e6))
    if answer_seconds is not None:
        if answer_seconds == "task":
            answer_seconds = answer_limit(task) if task is not None else None
        check_recording(data, answer_seconds, require_speech)
    return PreparedAnswer(task_id, task_type, write_recording(data, user_id, name), None, reference_text)
