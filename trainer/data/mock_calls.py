"""Mock calls turn by turn: started, answered turn by turn, joined into one recording and scored."""

from __future__ import annotations

import logging

from sqlalchemy import select

from trainer.content import get_bank
from trainer.data.access import (
    Actor,
    acting_user,
    visible_user,
)
from trainer.data.attempt_views import TURN_GAP_SECONDS, MockCallView
from trainer.data.attempts import _call_view, _own_open_call, _visible_call
from trainer.data.recordings import prepare_answer
from trainer.data.storage import (
    Attempt,
    AttemptKind,
    CallStatus,
    MockCall,
    recording_path,
    transaction,
    utcnow,
)
from trainer.speech.audio import AudioError, from_array, load_audio

log = logging.getLogger(__name__)


def start_mock_call(actor: Actor, task_id: str) -> MockCallView:
    """Start a simulated call on a role-play task; save each answered turn with
    ``save_attempt(actor, kind="mock_call", mock_call_id=..., position=N, recording=...)``."""

    try:
        task = get_bank().get_task(task_id)
    except KeyError as error:
        raise ValueError(f"There is no task {task_id!r} in the task bank.") from error
    if task.type != "role_play":
        raise ValueError("A mock call needs a role-play task.")
    with transaction() as session:
        me = acting_user(session, actor)
        call = MockCall(
            user_id=me.id,
            task_id=task.id,
            scenario_id=getattr(task, "scenario", None),
            status=CallStatus.IN_PROGRESS,
            started_at=utcnow(),
        )
        session.add(call)
        session.flush()
        return _call_view(session, call)


def get_mock_call(actor: Actor, mock_call_id: int) -> MockCallView:
    with transaction() as session:
        return _call_view(session, _visible_call(session, acting_user(session, actor), mock_call_id))


def list_mock_calls(actor: Actor, user_id: int | None = None) -> list[MockCallView]:
    with transaction() as session:
        me = acting_user(session, actor)
        user_id = me.id if user_id is None else user_id
        visible_user(session, me, user_id)
        calls = session.scalars(
            select(MockCall).where(MockCall.user_id == user_id).order_by(MockCall.started_at.desc(), MockCall.id.desc())
        ).all()
        return [_call_view(session, _visible_call(session, me, c.id)) for c in calls]


def finish_mock_call(actor: Actor, mock_call_id: int) -> int:
    """End the call: the turns' recordings (the latest take of each) are joined, with a short pause between them, into
    one recording of the whole call, saved as an attempt on the role-play task. Returns that
    attempt's id, to score with ``score_attempt`` for the full call report."""
    import numpy as np

    with transaction() as session:
        me = acting_user(session, actor)
        call = _own_open_call(session, me, mock_call_id)
        latest_take: dict[int, str] = {}  # a turn recorded again replaces the earlier take
        for position, relative in session.execute(
            select(Attempt.position, Attempt.recording_file)
            .where(Attempt.mock_call_id == call.id, Attempt.position.is_not(None), Attempt.recording_file.is_not(None))
            .order_by(Attempt.position, Attempt.id)
        ):
            latest_take[position] = relative
        files = [latest_take[p] for p in sorted(latest_take)]
        task_id = call.task_id
    pieces = []
    for relative in files:
        try:
            audio = load_audio(recording_path(relative), require_speech=False, min_seconds=0.0)
        except AudioError as error:  # that turn stays saved on its own; the call goes on without it
            log.warning("mock call %s: turn %s left out: %s", mock_call_id, relative, error)
            continue
        pieces += [audio.samples, np.zeros(int(TURN_GAP_SECONDS * audio.sample_rate), np.float32)]
    if not pieces:
        raise ValueError("No turn of this call has a usable recording yet.")
    whole = from_array(np.concatenate(pieces[:-1]), source="mock call").to_wav_bytes()
    # made here from the turns, each checked when it was saved: no limit on the whole
    prepared = prepare_answer(me.id, task_id, recording=whole, filename="call.wav", answer_seconds=None)
    try:
        with transaction() as session:
            call = _own_open_call(session, acting_user(session, actor), mock_call_id)
            attempt = prepared.attempt(me.id, AttemptKind.MOCK_CALL, mock_call_id=call.id, position=None)
            session.add(attempt)
            call.status = CallStatus.FINISHED
            call.finished_at = utcnow()
            session.flush()
            return attempt.id
    except BaseException:
        prepared.discard()
        raise
