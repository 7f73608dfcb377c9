"""Small things a new user met on the way (issue 12, "Also seen"), through Streamlit's
AppTest with a real database (SQLite in a temporary folder) and real espeak-ng audio: the
question of an open question is played, an interview task's clock says the time the task
states, the uploader's limit is the app's, an untouched quiz asks for answers, a withdrawn
invitation is confirmed first and not ranked, a refused upload says which formats work."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import dataworld
from tests.helpers.apptest import app, open_page
from trainer.content import get_bank
from trainer.data import accounts, interviews
from trainer.data.storage import Role

BANK = get_bank()
OPEN_QUESTION = "task.open_question.001"

pytestmark = pytest.mark.usefixtures("app_database")


def progress_texts(at: AppTest) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


# --------------------------------------------------------------------------- open questions


def test_an_open_question_in_practice_plays_the_question_it_asks_to_listen_to():
    task = BANK.get_task(OPEN_QUESTION)
    assert task.instructions.startswith("Listen to the question")
    at = open_page("practice", at=app(accounts.create_profile("Olga")))
    at.selectbox[0].select("open_question").run()
    at.selectbox[1].select_index([t.id for t in BANK.tasks_of_type("open_question")].index(OPEN_QUESTION)).run()
    assert not at.exception
    assert "Listen to the question" in [c.value for c in at.caption]
    assert at.get("audio"), "the question is promised as audio but not played"


# --------------------------------------------------------------------------- interview clock


def start_interview(answer_seconds: int) -> AppTest:
    admin = dataworld.admin()
    rita = dataworld.staff(admin, Role.RECRUITER, "rita")
    template = interviews.create_template(
        rita, "Screen", [interviews.TemplateItem(OPEN_QUESTION, prep_seconds=5, answer_seconds=answer_seconds)]
    )
    invitation = interviews.create_invitation(rita, template.id, "Tess")
    at = open_page("views/interview.py")
    at.text_input[0].input(invitation.code)
    at.button[0].click()
    at.run()
    at.checkbox[0].check()
    at.run()
    button(at, "Continue").click()
    at.session_state["iv_mic_ok"] = True  # the microphone check passed (it needs a recording)
    at.run()
    assert not at.exception, at.exception
    return at


def test_an_interview_task_counts_down_the_answer_time_it_states_then_says_time_is_up():
    at = start_interview(answer_seconds=15)
    assert at.get("audio"), "the interview's open question is not played"
    assert any("up to 15 s" in c.value for c in at.caption)
    assert "Preparation: 5 s left" in progress_texts(at)
    button(at, "I am ready: answer now").click()
    at.run()
    assert at.audio_input[0].label.startswith("Record your answer (up to 15 s)")
    assert "Answer time: 15 s left" in progress_texts(at), progress_texts(at)
    # the answer time is over: the few seconds to press Stop are said as such
    at.session_state["iv_answering"] = {k: v - 16 for k, v in at.session_state["iv_answering"].items()}
    at.run()
    assert not at.exception
    stop = [t for t in progress_texts(at) if t.startswith("Time is up: press Stop now")]
    assert stop and f"closes in {interviews.STOP_GRACE_SECONDS - 1} s" in stop[0], progress_texts(at)


def test_the_clock_of_a_task_runs_preparation_answer_time_then_the_stop_grace():
    item = interviews.InterviewItem(0, OPEN_QUESTION, "open_question", prep_seconds=5, answer_seconds=15)
    start = time.time()
    phases = [interviews.item_clock(item, start + 5, start + t) for t in (0, 5, 19.5, 21, 30)]
    assert [(c.phase, c.seconds) for c in phases] == [
        ("preparation", 5),
        ("answer", 15),
        ("answer", 15),
        ("stop", interviews.STOP_GRACE_SECONDS),
        ("closed", 0),
    ]
    assert phases[2].seconds_left(start + 19.5) == pytest.approx(0.5)


# --------------------------------------------------------------------------- lesson quiz


def test_an_untouched_quiz_asks_for_answers_instead_of_marking_them_wrong():
    lesson = BANK.get_lesson("lesson.u2.opening_closing_verifying")
    at = open_page("lessons", at=app(accounts.create_profile("Una")), lesson=lesson.id)
    button(at, "Check my answers").click().run()
    assert not at.exception
    assert not any("You got" in m.value for m in [*at.warning, *at.success])
    numbers = ", ".join(str(n) for n in range(1, len(lesson.quiz) + 1))
    assert f"Choose an answer to every question first (not answered yet: {numbers})." in [i.value for i in at.info]

    for n, question in enumerate(lesson.quiz, 1):  # all but the last answered: still asked
        if n < len(lesson.quiz):
            at.radio(key=f"quiz-{lesson.id}-{n}").set_value(question.answer)
    button(at, "Check my answers").click().run()
    assert f"(not answered yet: {len(lesson.quiz)})" in at.info[0].value
    at.radio(key=f"quiz-{lesson.id}-{len(lesson.quiz)}").set_value(lesson.quiz[-1].answer)
    button(at, "Check my answers").click().run()
    assert [s.value for s in at.success] == [f"You got {len(lesson.quiz)} of {len(lesson.quiz)} right."]


# --------------------------------------------------------------------------- invitations, results


def two_invitations():
    admin = dataworld.admin()
    rita = dataworld.staff(admin, Role.RECRUITER, "rita")
    template = interviews.create_template(rita, "Screen", [OPEN_QUESTION])
    ann = interviews.create_invitation(rita, template.id, "Ann")
    bob = interviews.create_invitation(rita, template.id, "Bob")
    return rita, template, ann.invitation, bob.invitation


def status_of(rita, invitation_id: int) -> str:
    return next(i.status for i in interviews.list_invitations(rita) if i.id == invitation_id)


def test_withdrawing_a_code_needs_a_choice_and_a_confirmation():
    rita, _, ann, _ = two_invitations()
    at = open_page("views/recruiter_invitations.py", rita)
    chooser = next(s for s in at.selectbox if s.label.startswith("Withdraw a code"))
    assert chooser.value is None  # nothing chosen beforehand
    assert not any(b.label.startswith("Withdraw") for b in at.button)
    chooser.select_index(chooser.options.index("Ann · Screen")).run()
    button(at, "Withdraw...").click().run()
    assert status_of(rita, ann.id) == "invited"  # asked, not done
    assert any(w.value.startswith("Withdraw the code of Ann (Screen)?") for w in at.warning)
    button(at, "Cancel").click().run()
    assert status_of(rita, ann.id) == "invited" and not at.warning
    button(at, "Withdraw...").click().run()
    button(at, "Yes, withdraw the code").click().run()
    assert not at.exception
    assert status_of(rita, ann.id) == "revoked"


def test_a_withdrawn_candidate_is_not_ranked_on_results_or_in_the_csv():
    rita, template, ann, bob = two_invitations()
    interviews.revoke_invitation(rita, ann.id)
    results = interviews.interview_results(rita, template.id)
    assert [(r.candidate_name, r.rank) for r in results] == [("Bob", 1), ("Ann", None)]
    csv_rows = interviews.results_csv(rita, template.id).splitlines()
    assert csv_rows[1].startswith("1,Bob,") and csv_rows[2].startswith(",Ann,revoked")

    at = open_page("views/recruiter_results.py", rita)
    assert not at.exception
    ranked, withdrawn = (d.value for d in at.dataframe)
    assert ranked["candidate"].tolist() == ["Bob"] and ranked["rank"].tolist() == [1]
    assert withdrawn["candidate"].tolist() == ["Ann"] and "rank" not in withdrawn.columns
    assert "Withdrawn invitations (not ranked; answers already recorded stay)" in [c.value for c in at.caption]


# --------------------------------------------------------------------------- uploads


def practice_read_aloud(name: str) -> AppTest:
    at = open_page("practice", at=app(accounts.create_profile(name)))
    at.selectbox[0].select("read_aloud").run()
    assert not at.exception
    return at


def test_the_uploader_states_the_apps_own_size_limit(monkeypatch):
    from trainer.config import get_settings

    at = practice_read_aloud("Ulla")
    assert at.file_uploader[0].proto.max_upload_size_mb == 50 == get_settings().max_upload_megabytes
    monkeypatch.setenv("TRAINER_MAX_UPLOAD_MEGABYTES", "20")
    get_settings.cache_clear()
    at = practice_read_aloud("Ugo")
    assert at.file_uploader[0].proto.max_upload_size_mb == 20


def test_a_file_that_is_not_a_recording_is_refused_saying_which_formats_work():
    at = practice_read_aloud("Tara")
    at.file_uploader[0].upload("notes.txt", b"my answer as text", "text/plain").run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert error.startswith('A .txt file is not a recording: "notes.txt" cannot be scored.')
    assert "WAV, FLAC, OGG, WebM, MP3 or M4A" in error
    assert not any(b.label == "Score my answer" for b in at.button)
