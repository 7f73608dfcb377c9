"""The data layer on SQLite and on a real PostgreSQL server: migrations, answers saved before
scoring (and surviving a crash), rescoring, overrides and comments with their audit trail,
progress, export, calibration data and mock calls."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import select

from tests.helpers import dataworld
from trainer.config import PROJECT_ROOT, get_settings
from trainer.content import get_bank
from trainer.data import ANSWER_GRACE_SECONDS, ReplyTooLong, accounts, answer_limit, records, storage
from trainer.data.access import AccessDenied, NotFound
from trainer.data.storage import Attempt, AttemptStatus, Role, transaction
from trainer.scoring.engine import Report
from trainer.speech.audio import (
    AudioFileTooLargeError,
    AudioTooLongError,
    EmptyAudioError,
    NoSpeechError,
    UnreadableAudioError,
    from_array,
)

CLI = [sys.executable, "-m", "trainer.cli"]
cli = dataworld.cli


def status_of(attempt_id: int) -> AttemptStatus:
    with transaction() as session:
        return session.get(Attempt, attempt_id).status


@pytest.fixture
def coach_and_applicant(database):
    admin = dataworld.admin()
    coach = dataworld.staff(admin, Role.COACH, "coach")
    applicant = dataworld.applicant("Maria Santos")
    cohort = accounts.create_cohort(admin, "June batch")
    accounts.add_member(admin, cohort.id, coach.user_id)
    accounts.add_member(admin, cohort.id, applicant.user_id)
    return admin, coach, applicant, cohort


# --------------------------------------------------------------------------- schema


def test_migrations_make_the_schema_the_models_describe(database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = storage.get_engine()  # first use: upgrade head
    assert storage.current_revision(engine) == storage.head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), storage.Base.metadata
        )
    assert differences == []
    if database == "sqlite":
        assert storage.database_url() == f"sqlite:///{storage.storage_root() / 'trainer.db'}"
        assert (storage.storage_root() / "trainer.db").is_file()
    else:
        assert storage.database_url().startswith("postgresql+psycopg://")


def test_db_upgrade_and_status_commands(database):
    upgraded = cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"schema at {storage.head_revision()}" in upgraded.stdout
    status = cli("db", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "postgresql" in status.stdout if database == "postgresql" else "sqlite" in status.stdout


def test_database_url_setting_drives_postgresql_with_psycopg(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://trainer:s3cret@db.example/trainer")
    assert storage.database_url() == "postgresql+psycopg://trainer:s3cret@db.example/trainer"
    assert "s3cret" not in storage.describe_url(storage.database_url())
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("TRAINER_DATABASE_URL", "postgresql://u@h/x")
    get_settings.cache_clear()
    try:
        assert storage.database_url() == "postgresql+psycopg://u@h/x"
    finally:
        monkeypatch.delenv("TRAINER_DATABASE_URL")
        get_settings.cache_clear()


def test_an_unreachable_database_is_named_without_its_password(monkeypatch, tmp_path):
    from tests.helpers.ports import free_port

    monkeypatch.setenv("DATABASE_URL", f"postgresql://trainer:s3cret@127.0.0.1:{free_port()}/trainer")
    monkeypatch.setenv("TRAINER_STORAGE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        with pytest.raises(storage.StorageUnavailable) as error:
            storage.get_engine()
    finally:
        get_settings.cache_clear()
    assert "127.0.0.1" in str(error.value) and "s3cret" not in str(error.value)


# --------------------------------------------------------------------------- save before score


def test_recording_is_on_disk_and_committed_before_scoring_starts(database, sample_reports):
    task_id, path, _ = sample_reports["listening"]
    applicant = dataworld.applicant("Maria")
    attempt_id = records.save_attempt(applicant, task_id, recording=path.read_bytes(), filename="answer.wav")

    with transaction() as session:
        attempt = session.get(Attempt, attempt_id)
        assert attempt.status == AttemptStatus.RECORDED
        stored = storage.recording_path(attempt.recording_file)
    assert stored.read_bytes() == path.read_bytes()
    assert stored.suffix == ".wav" and storage.storage_root() in stored.parents

    seen = []

    def progress(stage: str) -> None:  # what another session sees while scoring runs
        seen.append((stage, status_of(attempt_id), stored.is_file()))

    outcome = records.score_attempt(attempt_id, progress=progress)
    assert outcome.status == AttemptStatus.SCORED and outcome.message is None
    assert seen and all(status == AttemptStatus.SCORING and on_disk for _, status, on_disk in seen)
    assert seen[0][0] == "transcribing"
    detail = records.get_attempt(applicant, attempt_id)
    assert detail.report.transcript.text and detail.summary.overall_score is not None
    assert set(detail.dimensions) == set(detail.report.dimensions)


def test_a_streamlit_upload_is_saved_whole_even_after_the_page_read_it(database, sample_reports):
    from streamlit.proto.Common_pb2 import FileURLs
    from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

    task_id, path, _ = sample_reports["listening"]
    upload = UploadedFile(UploadedFileRec("f1", "answer.wav", "audio/wav", path.read_bytes()), FileURLs())
    upload.read()  # e.g. a page that played or checked it first
    applicant = dataworld.applicant("Maria")
    attempt_id = records.save_attempt(applicant, task_id, recording=upload)
    saved = records.get_attempt(applicant, attempt_id).recording_path
    assert saved.read_bytes() == path.read_bytes() and saved.suffix == ".wav"


def test_a_crash_during_scoring_loses_nothing_and_rescore_finishes_it(database, sample_reports):
    task_id, path, _ = sample_reports["listening"]
    applicant = dataworld.applicant("Maria")
    attempt_id = records.save_attempt(applicant, task_id, recording=path)
    scorer = subprocess.Popen(
        [*CLI, "rescore", str(attempt_id)],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while status_of(attempt_id) != AttemptStatus.SCORING:
            assert scorer.poll() is None, "the scorer ended before it started scoring"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        scorer.send_signal(signal.SIGKILL)  # the process dies in the middle of scoring
    finally:
        scorer.wait(timeout=60)
    assert scorer.returncode == -signal.SIGKILL
    storage.dispose_engines()  # as a new process would

    with transaction() as session:
        attempt = session.get(Attempt, attempt_id)
        assert attempt.status == AttemptStatus.SCORING and attempt.report is None
        assert storage.recording_path(attempt.recording_file).read_bytes() == path.read_bytes()
    assert attempt_id in records.unfinished_attempt_ids()

    assert records.score_attempt(attempt_id).status == AttemptStatus.SCORED
    assert attempt_id not in records.unfinished_attempt_ids()
    assert records.get_attempt(applicant, attempt_id).report.transcript.text


def test_an_error_while_scoring_leaves_a_failed_attempt_that_can_be_rescored(database, sample_reports):
    task_id, text, _ = sample_reports["chat"]
    applicant = dataworld.applicant("Maria")
    attempt_id = records.save_attempt(applicant, task_id, text=text)

    def tab_closed(stage: str) -> None:
        if stage == "grammar":
            raise RuntimeError("the browser tab was closed")

    outcome = records.score_attempt(attempt_id, progress=tab_closed)
    assert outcome.status == AttemptStatus.FAILED
    assert "the browser tab was closed" in outcome.reason and "saved" in outcome.message
    summary = records.get_attempt(applicant, attempt_id).summary
    assert summary.status == AttemptStatus.FAILED and "browser tab" in summary.status_reason
    assert records.get_attempt(applicant, attempt_id).answer_text == text
    assert records.unfinished_attempt_ids() == [attempt_id]

    rescored = cli("rescore", "--unfinished")
    assert rescored.returncode == 0, rescored.stderr
    assert f"attempt {attempt_id}: scored" in rescored.stdout
    assert status_of(attempt_id) == AttemptStatus.SCORED
    assert records.get_attempt(applicant, attempt_id).summary.status_reason is None


def test_a_missing_recording_fails_with_the_reason(database, sample_reports, monkeypatch):
    task_id, path, _ = sample_reports["listening"]
    applicant = dataworld.applicant("Maria")
    monkeypatch.setenv("TRAINER_RECORDINGS_STORE", "folder")
    get_settings.cache_clear()
    attempt_id = records.save_attempt(applicant, task_id, recording=path)
    records.get_attempt(applicant, attempt_id).recording_path.unlink()
    outcome = records.score_attempt(attempt_id)
    assert outcome.status == AttemptStatus.FAILED and "RecordingMissing" in outcome.reason


def test_a_worker_without_the_file_reads_the_recording_from_the_database(database, sample_reports, monkeypatch):
    """With recordings in the database (the default on PostgreSQL), a machine that lacks
    the file (a worker elsewhere) scores the answer from the stored bytes."""
    task_id, path, _ = sample_reports["listening"]
    applicant = dataworld.applicant("Maria")
    monkeypatch.setenv("TRAINER_RECORDINGS_STORE", "database")
    get_settings.cache_clear()
    attempt_id = records.save_attempt(applicant, task_id, recording=path)
    stored = records.get_attempt(applicant, attempt_id).recording_path
    original = stored.read_bytes()
    stored.unlink()
    outcome = records.score_attempt(attempt_id)
    assert outcome.status == AttemptStatus.SCORED, outcome
    assert stored.read_bytes() == original


def test_an_unusable_recording_is_kept_and_marked_unscorable(database, spoken):
    applicant = dataworld.applicant("Maria")
    noise = b"\x00\x01" * 3000  # not audio in any format: refused before anything is saved
    with pytest.raises(UnreadableAudioError):
        records.save_attempt(applicant, "task.listening.002", recording=noise, filename="x.wav")
    assert records.list_attempts(applicant) == []
    # a recording that was readable when saved but is no longer (a damaged disk, a copy
    # gone wrong) is kept and marked unscorable, with what to do
    path, _ = spoken("The customer ordered a blue jacket.")
    attempt_id = records.save_attempt(applicant, "task.listening.002", recording=path)
    records.get_attempt(applicant, attempt_id).recording_path.write_bytes(noise)
    outcome = records.score_attempt(attempt_id)
    assert outcome.status == AttemptStatus.UNSCORABLE
    assert "record" in outcome.message.lower() or "upload" in outcome.message.lower()
    detail = records.get_attempt(applicant, attempt_id)
    assert detail.recording_path.read_bytes() == noise and detail.summary.overall_score is None
    assert detail.dimensions == {} and detail.report is not None and not detail.report.scorable


def with_silence(audio, seconds: float) -> bytes:
    """Real speech followed by ``seconds`` of silence, as a WAV file."""
    silence = np.zeros(int(seconds * audio.sample_rate), np.float32)
    return from_array(np.concatenate([audio.samples, silence]), audio.sample_rate).to_wav_bytes()


def test_practice_refuses_a_reply_over_its_words_and_a_recording_over_its_time(database, spoken):
    applicant = dataworld.applicant("Maria")
    chat = get_bank().get_task("task.chat_reply.001")
    with pytest.raises(ReplyTooLong, match=f"has {chat.max_words + 1} words; please keep it within {chat.max_words} "):
        records.save_attempt(applicant, chat.id, text="word " * (chat.max_words + 1))
    with pytest.raises(ValueError, match="type a reply"):
        records.save_attempt(applicant, chat.id, text="  ")

    listening = get_bank().get_task("task.listening.001")
    path, audio = spoken("The customer ordered a blue jacket.")
    long = with_silence(audio, listening.answer_seconds + 5)
    with pytest.raises(AudioTooLongError) as error:
        records.save_attempt(applicant, listening.id, recording=long, filename="long.wav")
    assert f"longer than the {listening.answer_seconds} seconds this task allows" in error.value.user_message
    assert "record again" in error.value.user_message
    # a moment to press Stop is allowed
    within = with_silence(audio, listening.answer_seconds + ANSWER_GRACE_SECONDS - audio.duration - 0.5)
    kept = records.save_attempt(applicant, listening.id, recording=within, filename="within.wav")
    # a role-play answered in one recording: one turn's time for each of the caller's turns
    call = get_bank().tasks_of_type("role_play")[0]
    assert answer_limit(call) == call.answer_seconds * len(get_bank().get_scenario(call.scenario).turns)
    with pytest.raises(AudioTooLongError, match=f"longer than the {answer_limit(call)} seconds"):
        records.save_attempt(applicant, call.id, recording=with_silence(audio, answer_limit(call) + 5))
    whole = records.save_attempt(applicant, call.id, recording=with_silence(audio, call.answer_seconds + 5))

    # a mock call's turn: one turn's time, and speech in it
    started = records.start_mock_call(applicant, call.id)
    turn = dict(kind="mock_call", mock_call_id=started.id, position=0)
    with pytest.raises(AudioTooLongError, match=f"longer than the {call.answer_seconds} seconds"):
        records.save_attempt(applicant, recording=with_silence(audio, call.answer_seconds + 5), **turn)
    silence = from_array(np.zeros(16000 * 3, np.float32)).to_wav_bytes()
    with pytest.raises(NoSpeechError):
        records.save_attempt(applicant, recording=silence, **turn)
    answered = records.save_attempt(applicant, recording=path, **turn)

    assert [a.id for a in records.list_attempts(applicant, newest_first=False)] == [kept, whole, answered]
    files = [p for p in (storage.storage_root() / storage.RECORDINGS_FOLDER).rglob("*") if p.is_file()]
    assert len(files) == 3  # nothing of the refused answers was written


def test_what_cannot_be_saved_is_refused_before_anything_is_written(database, monkeypatch, sample_reports):
    applicant = dataworld.applicant("Maria")
    task_id, path, _ = sample_reports["listening"]
    with pytest.raises(EmptyAudioError):
        records.save_attempt(applicant, task_id, recording=b"")
    with pytest.raises(ValueError, match="typed"):
        records.save_attempt(applicant, "task.chat_reply.001", recording=path)
    with pytest.raises(ValueError, match="voice"):
        records.save_attempt(applicant, task_id, text="blue")
    with pytest.raises(ValueError, match="no task"):
        records.save_attempt(applicant, "task.nope.999", recording=path)
    monkeypatch.setenv("TRAINER_MAX_UPLOAD_MEGABYTES", "0.01")
    get_settings.cache_clear()
    with pytest.raises(AudioFileTooLargeError):
        records.save_attempt(applicant, task_id, recording=path)
    recordings = storage.storage_root() / storage.RECORDINGS_FOLDER
    assert not recordings.exists() or not any(p.is_file() for p in recordings.rglob("*"))
    with transaction() as session:
        assert session.scalars(select(Attempt)).all() == []


def test_rescore_command(database, sample_reports):
    task_id, text, _ = sample_reports["chat"]
    admin = dataworld.admin()
    applicant = dataworld.applicant("Maria")
    attempt_id = records.save_attempt(applicant, task_id, text=text)

    first = cli("rescore", str(attempt_id))
    assert first.returncode == 0, first.stderr
    assert f"attempt {attempt_id}: scored, overall" in first.stdout
    assert status_of(attempt_id) == AttemptStatus.SCORED
    assert records.audit_log(admin, action="attempt.rescore") == []

    again = cli("rescore", str(attempt_id))
    assert again.returncode == 0, again.stderr
    [entry] = records.audit_log(admin, action="attempt.rescore")
    assert entry.object_id == attempt_id and entry.actor_id is None
    assert entry.before["overall_score"] == entry.after["overall_score"]  # same engine, same answer
    assert entry.after["bands"] == entry.before["bands"] and entry.before["bands"]
    assert entry.after["scored_at"] > entry.before["scored_at"]

    missing = cli("rescore", "999999")
    assert missing.returncode == 2 and "no attempt" in missing.stderr.lower()
    assert cli("rescore").returncode == 2


def test_stored_report_reads_back_as_the_same_report(database, sample_reports):
    applicant = dataworld.applicant("Maria")
    for sample in sample_reports.values():
        attempt_id = dataworld.scored_attempt(applicant, sample)
        detail = records.get_attempt(applicant, attempt_id)
        assert isinstance(detail.report, Report)
        assert detail.report.to_dict() == sample[2].to_dict()
        assert detail.summary.overall_score == sample[2].overall.score
        assert detail.summary.level == sample[2].overall.level
        assert {n: d.band for n, d in detail.dimensions.items()} == {n: d.band for n, d in sample[2].dimensions.items()}


# --------------------------------------------------------------------------- coach edits


def test_override_is_audited_and_shown_to_the_applicant_with_comments(coach_and_applicant, sample_reports):
    admin, coach, applicant, _ = coach_and_applicant
    attempt_id = dataworld.scored_attempt(applicant, sample_reports["chat"])
    report = sample_reports["chat"][2]
    dimension = "grammar"
    machine_band = report.dimensions[dimension].band
    coach_band = machine_band - 1 if machine_band > 1 else 2

    override = records.override_band(coach, attempt_id, dimension, coach_band, "Missing articles in two sentences")
    [entry] = records.audit_log(admin, action="attempt.override")
    assert (entry.actor_id, entry.object_id) == (coach.user_id, attempt_id)
    assert entry.before == {
        "dimension": dimension,
        "band": machine_band,
        "source": "machine",
        "machine_band": machine_band,
    }
    assert entry.after["band"] == coach_band and entry.after["reason"] == "Missing articles in two sentences"
    assert entry.after["override_id"] == override.id

    comment = records.add_comment(coach, attempt_id, "Watch <b>articles</b>: 'an order', not 'a order'.")
    seen = records.get_attempt(applicant, attempt_id)
    result = seen.dimensions[dimension]
    assert (result.band, result.machine_band, result.overridden) == (coach_band, machine_band, True)
    rubric_band = next(b for b in get_bank().get_rubric(dimension).bands if b.band == coach_band)
    assert result.label == rubric_band.label
    assert seen.report.dimensions[dimension].band == machine_band  # the machine's report is kept
    assert [c.text for c in seen.comments] == ["Watch <b>articles</b>: 'an order', not 'a order'."]
    assert seen.comments[0].author_name == "Coach"
    untouched = [d for name, d in seen.dimensions.items() if name != dimension]
    assert untouched and all(d.band == d.machine_band and not d.overridden for d in untouched)

    records.override_band(coach, attempt_id, dimension, machine_band, "On second listening it is fine")
    second = records.audit_log(admin, action="attempt.override")[0]
    assert second.before["band"] == coach_band and second.before["source"] == "coach"
    assert records.get_attempt(applicant, attempt_id).dimensions[dimension].band == machine_band
    assert len(records.get_attempt(coach, attempt_id).overrides) == 2

    records.edit_comment(coach, comment.id, "Watch your articles.")
    [edit] = records.audit_log(admin, action="comment.edit")
    assert edit.before["text"].startswith("Watch <b>") and edit.after["text"] == "Watch your articles."
    assert records.get_attempt(applicant, attempt_id).comments[0].updated_at is not None
    records.delete_comment(coach, comment.id)
    assert records.get_attempt(applicant, attempt_id).comments == ()
    assert records.audit_log(admin, action="comment.delete")[0].before["text"] == "Watch your articles."


def test_bad_overrides_are_refused_and_leave_no_trace(coach_and_applicant, sample_reports):
    admin, coach, applicant, _ = coach_and_applicant
    attempt_id = dataworld.scored_attempt(applicant, sample_reports["chat"])
    with pytest.raises(ValueError, match="reason"):
        records.override_band(coach, attempt_id, "grammar", 2, "  ")
    with pytest.raises(ValueError, match="band is one of"):
        records.override_band(coach, attempt_id, "grammar", 9, "typo")
    with pytest.raises(ValueError, match="no fluency score"):
        records.override_band(coach, attempt_id, "fluency", 2, "not scored on chat")
    with pytest.raises(AccessDenied):
        records.override_band(applicant, attempt_id, "grammar", 5, "I think I did well")
    with pytest.raises(ValueError, match="empty"):
        records.add_comment(coach, attempt_id, "   ")
    assert records.audit_log(admin, object_type="attempt") == []
    assert records.get_attempt(applicant, attempt_id).overrides == ()


def test_review_queue_filters_and_mark_reviewed(coach_and_applicant, sample_reports):
    admin, coach, applicant, cohort = coach_and_applicant
    other_cohort = accounts.create_cohort(admin, "July batch")
    chat = dataworld.scored_attempt(applicant, sample_reports["chat"])
    listening = dataworld.scored_attempt(applicant, sample_reports["listening"])
    unscored = records.save_attempt(applicant, "task.chat_reply.002", text="Hello, I can help you with that.")

    assert [a.id for a in records.review_queue(coach)] == [chat, listening]  # oldest first
    assert unscored not in [a.id for a in records.review_queue(coach)]
    assert [a.id for a in records.review_queue(coach, task_type="listening")] == [listening]
    assert [a.id for a in records.review_queue(coach, cohort_id=cohort.id)] == [chat, listening]
    with pytest.raises(AccessDenied):
        records.review_queue(coach, cohort_id=other_cohort.id)
    low = min(sample_reports["chat"][2].overall.score, sample_reports["listening"][2].overall.score)
    assert all(a.overall_score > low for a in records.review_queue(coach, min_score=low + 0.01))
    future = storage.utcnow() + timedelta(days=1)
    assert records.review_queue(coach, since=future) == []

    reviewed = records.mark_reviewed(coach, chat)
    assert reviewed.reviewed_at is not None
    assert [a.id for a in records.review_queue(coach)] == [listening]
    assert [a.id for a in records.review_queue(coach, include_reviewed=True)] == [chat, listening]
    assert records.audit_log(admin, action="attempt.review")[0].object_id == chat
    with pytest.raises(AccessDenied):
        records.review_queue(applicant)


def test_calibration_pairs_hold_overrides_and_confirmed_bands(coach_and_applicant, sample_reports):
    admin, coach, applicant, _ = coach_and_applicant
    chat = dataworld.scored_attempt(applicant, sample_reports["chat"])
    report = sample_reports["chat"][2]
    band = report.dimensions["grammar"].band
    new_band = 1 if band != 1 else 2
    start = storage.utcnow()
    records.override_band(coach, chat, "grammar", new_band, "disagree")
    records.mark_reviewed(coach, chat)

    pairs = records.calibration_pairs(coach)
    by_dimension = {p.dimension: p for p in pairs}
    assert set(by_dimension) == set(report.dimensions)
    assert (by_dimension["grammar"].machine_band, by_dimension["grammar"].coach_band) == (band, new_band)
    assert not by_dimension["grammar"].confirmed
    for name, dimension in report.dimensions.items():
        if name != "grammar":
            pair = by_dimension[name]
            assert pair.confirmed and pair.machine_band == pair.coach_band == dimension.band
    assert {p.coach_id for p in pairs} == {coach.user_id}
    assert [p.dimension for p in records.calibration_pairs(coach, dimension="grammar")] == ["grammar"]
    assert records.calibration_pairs(coach, include_confirmed=False) == [by_dimension["grammar"]]
    assert records.calibration_pairs(coach, since=storage.utcnow() + timedelta(minutes=1)) == []
    assert len(records.calibration_pairs(coach, since=start)) == len(pairs)
    assert records.calibration_pairs(admin) == pairs


# --------------------------------------------------------------------------- the applicant's data


def test_progress_history_per_dimension_and_level(database, sample_reports):
    applicant = dataworld.applicant("Maria")
    first = dataworld.scored_attempt(applicant, sample_reports["listening"])
    second = dataworld.scored_attempt(applicant, sample_reports["chat"])
    records.save_attempt(applicant, "task.chat_reply.002", text="Not scored yet, this one.")

    levels = records.level_history(applicant)
    assert [(p.attempt_id, p.overall_score, p.level) for p in levels] == [
        (first, sample_reports["listening"][2].overall.score, sample_reports["listening"][2].overall.level),
        (second, sample_reports["chat"][2].overall.score, sample_reports["chat"][2].overall.level),
    ]
    points = records.dimension_history(applicant)
    expected = [(first, name, d.score) for name, d in sorted(sample_reports["listening"][2].dimensions.items())]
    expected += [(second, name, d.score) for name, d in sorted(sample_reports["chat"][2].dimensions.items())]
    assert [(p.attempt_id, p.dimension, p.score) for p in points] == expected
    assert all(p.band == p.machine_band for p in points)
    assert records.dimension_history(applicant, since=storage.utcnow() + timedelta(seconds=5)) == []


def test_export_of_ones_own_data_as_json_and_csv(database, sample_reports):
    admin = dataworld.admin()
    applicant = dataworld.applicant("Maria")
    other = dataworld.applicant("Jun")
    attempt_id = dataworld.scored_attempt(applicant, sample_reports["listening"])
    formula = records.save_attempt(applicant, "task.chat_reply.002", text='=HYPERLINK("http://x") hello there')
    dataworld.scored_attempt(other, sample_reports["chat"])

    data = json.loads(records.export_json(applicant))
    assert data["user"]["id"] == applicant.user_id and data["user"]["name"] == "Maria"
    assert [a["id"] for a in data["attempts"]] == [attempt_id, formula]
    exported = data["attempts"][0]
    assert exported["transcript"] == sample_reports["listening"][2].transcript.text
    assert exported["report"]["overall"]["score"] == sample_reports["listening"][2].overall.score
    assert {n: d["band"] for n, d in exported["dimensions"].items()} == {
        n: d.band for n, d in sample_reports["listening"][2].dimensions.items()
    }
    assert (storage.storage_root() / exported["recording_file"]).is_file()

    rows = list(csv.DictReader(io.StringIO(records.export_csv(applicant))))
    assert [int(r["attempt_id"]) for r in rows] == [attempt_id, formula]
    for name, dimension in sample_reports["listening"][2].dimensions.items():
        assert float(rows[0][f"{name}_score"]) == dimension.score
        assert int(rows[0][f"{name}_band"]) == dimension.band
    assert rows[0]["answer"] == sample_reports["listening"][2].transcript.text
    assert rows[1]["answer"].startswith("'=HYPERLINK")  # never a live spreadsheet formula

    with pytest.raises(AccessDenied):
        records.export_data(applicant, other.user_id)
    assert records.export_data(admin, other.user_id)["user"]["name"] == "Jun"


# --------------------------------------------------------------------------- mock calls


def test_mock_call_turns_are_joined_into_the_whole_call(coach_and_applicant, spoken):
    admin, coach, applicant, _ = coach_and_applicant
    task = get_bank().tasks_of_type("role_play")[0]
    call = records.start_mock_call(applicant, task.id)
    assert call.scenario_id == task.scenario and call.turns == ()
    lines = [
        "Thank you for calling, my name is Maria. How can I help you?",
        "I am sorry about that. Let me check your account right away.",
    ]
    seconds = []
    for position, line in enumerate(lines):
        path, audio = spoken(line)
        seconds.append(audio.duration)
        records.save_attempt(applicant, kind="mock_call", mock_call_id=call.id, position=position, recording=path)

    retake, _ = spoken("Hello, this is a first take of turn two that I will record again.")
    records.save_attempt(applicant, kind="mock_call", mock_call_id=call.id, position=1, recording=retake)
    path, audio = spoken(lines[1])
    records.save_attempt(applicant, kind="mock_call", mock_call_id=call.id, position=1, recording=path)

    call = records.get_mock_call(applicant, call.id)
    assert [t.position for t in call.turns] == [0, 1, 1, 1] and all(t.task_id == task.id for t in call.turns)
    whole_id = records.finish_mock_call(applicant, call.id)
    call = records.get_mock_call(coach, call.id)
    assert call.status == "finished" and call.call_attempt_id == whole_id
    whole = records.get_attempt(applicant, whole_id)
    assert whole.summary.kind == "mock_call" and whole.summary.position is None
    assert whole.summary.task_type == "role_play" and whole.summary.status == AttemptStatus.RECORDED
    info = sf.info(whole.recording_path)
    assert info.duration == pytest.approx(sum(seconds) + records.TURN_GAP_SECONDS, abs=0.05)
    assert [a.id for a in records.list_attempts(applicant, mock_call_id=call.id)] == [
        whole_id,
        *[t.id for t in reversed(call.turns)],
    ]

    path, _ = spoken(lines[0])
    with pytest.raises(ValueError, match="finished"):
        records.save_attempt(applicant, kind="mock_call", mock_call_id=call.id, position=2, recording=path)
    with pytest.raises(ValueError, match="role-play"):
        records.start_mock_call(applicant, "task.listening.001")
    stranger = dataworld.applicant("Jun")
    with pytest.raises(AccessDenied):
        records.get_mock_call(stranger, call.id)
    with pytest.raises(AccessDenied):
        records.save_attempt(stranger, kind="mock_call", mock_call_id=call.id, position=0, recording=path)
    with pytest.raises(NotFound):
        records.get_mock_call(admin, 424242)
