"""The staff and interview pages through Streamlit's AppTest (app.py's navigation, the
signed-in actor in session_state as the sign-in page puts it there): sign-in and its rate
limit, pages per role, query parameters that select what a role may not see, a coach's
override in the audit log, a recruiter's template, invitation, the candidate's interview
with real espeak-ng speech (abandoned and resumed), results with CSV and PDF, escaping.

The data layer's rules are tested on SQLite and PostgreSQL in test_access.py; these page
tests run on SQLite."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from tests.helpers import dataworld
from tests.helpers.apptest import open_page, tables_showing_none
from trainer.content import get_bank
from trainer.data import accounts, interviews, records
from trainer.data.access import AccessDenied
from trainer.data.storage import AttemptStatus, Role
from trainer.speech.tts import synthesize
from trainer.webapp.session import ACTOR_KEY
from trainer.webapp.text import a_role, dimension_title
from trainer.webapp.text import escape_markdown as md

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

NASTY = "<script>alert(1)</script> **Bold** [x](http://evil)"
STAFF_PAGES = {  # page -> (title it shows, roles that may use it)
    "views/admin_users.py": ("Users", {Role.ADMIN}),
    "views/admin_cohorts.py": ("Cohorts", {Role.ADMIN}),
    "views/admin_audit.py": ("Audit log", {Role.ADMIN}),
    "views/coach_queue.py": ("Review queue", {Role.COACH, Role.ADMIN}),
    "views/coach_calibration.py": ("Calibration: coaches vs the machine", {Role.COACH, Role.ADMIN}),
    "views/recruiter_results.py": ("Results", {Role.RECRUITER, Role.ADMIN}),
    "views/recruiter_invitations.py": ("Invitations", {Role.RECRUITER, Role.ADMIN}),
    "views/recruiter_templates.py": ("Interview templates", {Role.RECRUITER, Role.ADMIN}),
}


def texts(at: AppTest) -> str:
    """Everything the page wrote as text (markdown, titles, captions, messages, tables)."""
    parts = [
        e.value
        for kind in (
            "title",
            "header",
            "subheader",
            "markdown",
            "caption",
            "error",
            "warning",
            "info",
            "success",
            "code",
            "text",
        )
        for e in getattr(at, kind)
    ]
    parts += [e.value.to_csv() for e in at.dataframe]
    parts += [e.label for e in at.expander]
    return "\n".join(str(p) for p in parts)


def wav(text: str) -> tuple[str, bytes, str]:
    return ("answer.wav", synthesize(text, "calm_male").read_bytes(), "audio/wav")


@pytest.fixture
def downloads(monkeypatch):
    """What the pages offered for download, as stored by Streamlit's own media storage."""
    offered: list[tuple[str | None, str, bytes]] = []
    real = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes) and filename:
            offered.append((filename, mimetype, path_or_data))
        return real(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return offered


# --------------------------------------------------------------------------- sign-in and roles


def test_sign_in_with_a_right_and_a_wrong_password_and_the_rate_limit(database):
    dataworld.admin()
    at = open_page("views/sign_in.py")
    assert not at.exception and at.title[0].value == "Sign in"

    def attempt(login, password):
        at.text_input[0].input(login)
        at.text_input[1].input(password)
        at.button[0].click()
        at.run()
        assert not at.exception

    attempt("root", "not-the-password")
    assert "Wrong login or password" in at.error[0].value
    assert ACTOR_KEY not in at.session_state
    attempt("root", dataworld.PASSWORD)
    assert at.session_state[ACTOR_KEY].role == Role.ADMIN
    assert "Signed in as **Admin**" in at.sidebar.caption[0].value

    # another login: five failures lock it, and then even the right password is refused
    admin = accounts.sign_in("root", dataworld.PASSWORD)
    dataworld.staff(admin, Role.COACH, "cora")
    at = open_page("views/sign_in.py")
    for _ in range(5):
        attempt("cora", "wrong-guess")
    attempt("cora", dataworld.PASSWORD)
    assert ACTOR_KEY not in at.session_state
    assert any("ask an admin" in e.value for e in at.error), [e.value for e in at.error]
    attempt("", "")
    assert "Please enter your login and your password." in at.error[0].value


@pytest.mark.parametrize(
    "role, start",
    [
        (Role.APPLICANT, "BPO English Trainer"),
        (Role.COACH, "Review queue"),
        (Role.RECRUITER, "Results"),
        (Role.ADMIN, "Users"),
    ],
)
def test_each_role_lands_on_its_start_page_after_signing_in(database, role, start):
    admin = dataworld.admin()
    login = "root" if role == Role.ADMIN else dataworld.staff(admin, role, role.value) and role.value
    at = open_page("views/sign_in.py")
    at.text_input[0].input(login)
    at.text_input[1].input(dataworld.PASSWORD)
    at.button[0].click()
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == [start]
    assert at.session_state[ACTOR_KEY].role == role


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.COACH, Role.RECRUITER, Role.ADMIN, None])
def test_each_role_opens_only_its_own_pages(database, role):
    admin = dataworld.admin()
    actor = {Role.ADMIN: admin, None: None, Role.APPLICANT: dataworld.applicant("Ana")}.get(role)
    if actor is None and role is not None:
        actor = dataworld.staff(admin, role, role.value)
    for page, (title, roles) in STAFF_PAGES.items():
        at = open_page(page, actor)
        assert not at.exception, (page, at.exception)
        titles = [t.value for t in at.title]
        if role in roles:
            assert titles == [title], (page, role, titles)
        elif role is None:
            # a link or a bookmark: to the sign-in page, which comes back here afterwards
            assert titles == ["Sign in"], (page, titles)
            assert at.query_params["next"] == f"/{page.removeprefix('views/').removesuffix('.py')}"
        else:
            # another role's page opens by its address only to say whose page it is
            assert title not in titles, (page, role)
            errors = [e.value for e in at.error]
            assert len(errors) == 1 and errors[0].startswith("This page is for a"), (page, role, errors)
            assert errors[0].endswith(f"You are signed in as {a_role(role)}."), (page, errors)
            assert not at.dataframe and not at.metric and not at.main.button, page


# --------------------------------------------------------------------------- query parameters


@pytest.fixture
def floor(database, sample_reports):
    """An admin, two coaches with a cohort each, two applicants, two recruiters with an
    interview and a candidate each; attempts carry real reports."""
    admin = dataworld.admin()
    people = {"admin": admin}
    for login in ("coach_a", "coach_b"):
        people[login] = dataworld.staff(admin, Role.COACH, login)
    for login in ("rec_1", "rec_2"):
        people[login] = dataworld.staff(admin, Role.RECRUITER, login)
    people["app_a"] = dataworld.applicant(NASTY)
    people["app_b"] = dataworld.applicant("Bea Outside")
    cohort = accounts.create_cohort(admin, "June batch")
    accounts.add_member(admin, cohort.id, people["coach_a"].user_id)
    accounts.add_member(admin, cohort.id, people["app_a"].user_id)
    cohort_b = accounts.create_cohort(admin, "July batch")
    accounts.add_member(admin, cohort_b.id, people["coach_b"].user_id)
    accounts.add_member(admin, cohort_b.id, people["app_b"].user_id)
    attempts = {name: dataworld.scored_attempt(people[name], sample_reports["chat"]) for name in ("app_a", "app_b")}
    task_id, text, _ = sample_reports["chat"]
    invitations = {}
    for login in ("rec_1", "rec_2"):
        template = interviews.create_template(people[login], f"Screen of {login}", [task_id])
        new = interviews.create_invitation(people[login], template.id, f"Candidate of {login}")
        interviews.give_consent(new.code)
        attempt_id = interviews.submit_answer(new.code, 0, text=text)
        records.score_attempt(attempt_id)
        invitations[login] = (new.invitation.id, attempt_id)
    return people, attempts, invitations


def test_an_attempt_outside_the_coachs_cohorts_is_refused(floor):
    people, attempts, invitations = floor
    at = open_page("views/coach_attempt.py", people["coach_a"], attempt=attempts["app_a"])
    assert not at.exception and at.title[0].value == f"Attempt {attempts['app_a']}"
    shown = texts(at)
    assert md(NASTY) in shown and NASTY not in shown  # the name is escaped, not rendered

    for attempt_id in (attempts["app_b"], invitations["rec_1"][1], 999_999):
        at = open_page("views/coach_attempt.py", people["coach_a"], attempt=attempt_id)
        assert not at.exception
        assert len(at.error) == 1 and not at.title, attempt_id
        shown = texts(at)
        assert "Bea Outside" not in shown and "Candidate of" not in shown and not at.dataframe
    at = open_page("views/coach_attempt.py", people["coach_a"], attempt="1 OR 1=1")
    assert "The link is broken" in at.error[0].value and not at.title
    # a recruiter may not open the coach's page at all, whatever the parameter
    at = open_page("views/coach_attempt.py", people["rec_1"], attempt=attempts["app_a"])
    # (opened by its address, it only says whose page it is)
    assert not at.title and md(NASTY) not in texts(at)
    assert [e.value for e in at.error] == ["This page is for a coach or an admin. You are signed in as a recruiter."]


def test_another_recruiters_candidate_is_refused(floor):
    people, attempts, invitations = floor
    own, own_attempt = invitations["rec_1"]
    other, other_attempt = invitations["rec_2"]
    at = open_page("views/recruiter_candidate.py", people["rec_1"], invitation=own)
    assert not at.exception and at.title[0].value == "Candidate of rec\\_1"

    for params in (
        {"invitation": other},
        {"invitation": own, "attempt": other_attempt},
        {"invitation": own, "attempt": attempts["app_a"]},
        {"invitation": 424242},
    ):
        at = open_page("views/recruiter_candidate.py", people["rec_1"], **params)
        assert not at.exception
        assert len(at.error) == 1 and not at.title and not at.download_button, params
        shown = texts(at)
        assert "rec\\_2" not in shown and "Bea" not in shown and not at.metric, params
    # the PDF's links go through sign-in (?next=): still only one's own candidates
    for invitation_id, allowed in ((own, True), (other, False)):
        at = open_page(
            "views/sign_in.py",
            next="recruiter_candidate",
            invitation=invitation_id,
            attempt=own_attempt if allowed else other_attempt,
        )
        at.text_input[0].input("rec_1")
        at.text_input[1].input(dataworld.PASSWORD)
        at.button[0].click()
        at.run()
        assert not at.exception
        if allowed:
            assert at.title[0].value == "Candidate of rec\\_1" and at.expander[0].proto.expanded
        else:
            assert len(at.error) == 1 and not at.title and not at.metric and "rec\\_2" not in texts(at)
    # today's links open the page itself: nobody signed in signs in there and comes back
    at = open_page("views/recruiter_candidate.py", invitation=own, attempt=own_attempt)
    assert [t.value for t in at.title] == ["Sign in"]
    assert at.query_params["next"] == f"/recruiter_candidate?invitation={own}&attempt={own_attempt}"
    at = open_page("views/sign_in.py", next=at.query_params["next"])  # where the browser now is
    at.text_input[0].input("rec_1")
    at.text_input[1].input(dataworld.PASSWORD)
    at.button[0].click()
    at.run()
    assert at.title[0].value == "Candidate of rec\\_1" and at.expander[0].proto.expanded
    # a coach gets no candidate either
    at = open_page("views/recruiter_candidate.py", people["coach_a"], invitation=own)
    assert not at.title and not at.metric and "This page is for a recruiter" in at.error[0].value
    # the admin sees every candidate
    at = open_page("views/recruiter_candidate.py", people["admin"], invitation=other)
    assert at.title[0].value == "Candidate of rec\\_2"


def test_the_feedback_page_refuses_another_applicants_attempt(floor):
    people, attempts, invitations = floor
    at = open_page("views/feedback.py", people["app_a"], attempt=attempts["app_a"])
    assert not at.exception and not at.error and at.subheader
    for attempt_id in (attempts["app_b"], invitations["rec_1"][1]):
        at = open_page("views/feedback.py", people["app_a"], attempt=attempt_id)
        assert not at.exception and len(at.error) == 1, attempt_id
        assert not at.subheader and not at.dataframe and "Bea" not in texts(at)
    with pytest.raises(AccessDenied):
        records.get_attempt(people["app_a"], attempts["app_b"])


# --------------------------------------------------------------------------- coach override


def test_a_coachs_override_and_comment_reach_the_audit_log_and_the_applicant(floor):
    people, attempts, _ = floor
    attempt_id = attempts["app_a"]
    before = records.get_attempt(people["app_a"], attempt_id).dimensions["grammar"]
    new_band = next(b for b in (1, 2, 3, 4, 5) if b != before.band)
    reason = "Two tense errors the checker missed <b>really</b>"

    at = open_page("views/coach_attempt.py", people["coach_a"], attempt=attempt_id)
    at.selectbox[0].select("grammar")
    at.run()
    at.selectbox[1].select(new_band)
    at.text_area[0].input(reason)
    next(b for b in at.button if b.label == "Save band").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    rows = at.dataframe[0].value
    grammar = rows[rows["dimension"] == "grammar"].iloc[0]
    assert grammar["band"] == new_band and grammar["machine band"] == before.band
    assert grammar["reason"] == reason and grammar["changed by"] == "Coach_A"

    comment_box = next(t for t in at.text_area if t.label.startswith("New comment"))
    comment = "Good greeting; **watch** your past tenses."
    comment_box.input(comment)
    next(b for b in at.button if b.label == "Add comment").click()
    at.run()
    assert md(comment) in texts(at) and "\\*\\*watch\\*\\*" in md(comment)

    next(b for b in at.button if b.label == "Mark reviewed").click()
    at.run()
    assert [t.value for t in at.title] == ["Review queue"] and not at.exception
    assert "Nothing to review" in at.success[0].value  # app_a's only attempt is reviewed

    # calibration: the changed band and the kept ones, for this coach only
    at = open_page("views/coach_calibration.py", people["coach_a"])
    table = at.dataframe[0].value.set_index("dimension")
    assert table.loc["grammar", "pairs"] == 1 and table.loc["grammar", "changed"] == 1
    assert table.loc["grammar", "exact"] == "0%"
    assert table.loc["grammar", "adjacent (±1)"] == ("100%" if abs(new_band - before.band) == 1 else "0%")
    kept = [d for d in table.index if d not in ("grammar", "all")]
    assert kept and all(table.loc[d, "exact"] == "100%" and table.loc[d, "changed"] == 0 for d in kept)
    at = open_page("views/coach_calibration.py", people["coach_b"])
    assert not at.dataframe and "No reviewed or changed bands" in at.info[0].value

    # the applicant's feedback page shows the coach's comment, escaped
    at = open_page("views/feedback.py", people["app_a"], attempt=attempt_id)
    shown = texts(at)
    assert not at.exception and "Good greeting" in shown and "\\*\\*watch\\*\\*" in shown
    assert "**watch**" not in shown

    # the applicant's data: the band that counts, the reason, the comment
    mine = records.get_attempt(people["app_a"], attempt_id)
    assert mine.dimensions["grammar"].band == new_band
    assert mine.dimensions["grammar"].override.reason == reason
    assert [c.text for c in mine.comments] == [comment]

    # the audit log page: who, what, before, after
    at = open_page("views/admin_audit.py", people["admin"])
    log = at.dataframe[0].value
    override = log[log["action"] == "attempt.override"].iloc[0]
    assert override["who"] == "Coach_A" and int(override["id"]) == attempt_id
    assert f'"band": {before.band}' in override["before"] and f'"band": {new_band}' in override["after"]
    assert reason in override["after"]
    assert (log["action"] == "comment.create").sum() == 1
    # the coach may not read it
    at = open_page("views/admin_audit.py", people["coach_a"])
    assert not at.title and reason not in texts(at) and not at.dataframe
    assert "This page is for an admin" in at.error[0].value


def test_a_band_changed_on_a_dimension_other_than_the_first_is_saved_as_chosen(floor):
    """The band list follows the dimension chosen (its own labels, its band selected), and
    the band saved is the one picked, for that dimension, confirmed on the page. (Before:
    inside one form the list kept the first dimension's labels, and the save stored the
    chosen dimension's old band without a word.)"""
    people, attempts, _ = floor
    coach, attempt_id = people["coach_a"], attempts["app_a"]
    before = records.get_attempt(coach, attempt_id).dimensions
    first, dimension = list(before)[0], list(before)[-1]
    assert dimension != first
    labels = {b.band: b.label for b in get_bank().get_rubric(dimension).bands}
    new_band = next(b for b in sorted(labels, reverse=True) if b not in (before[dimension].band, before[first].band))
    reason = f"Raise {dimension} to {new_band}: precise words the lists do not know"

    at = open_page("views/coach_attempt.py", coach, attempt=attempt_id)
    next(s for s in at.selectbox if s.label == "Dimension").select(dimension)
    at.run()
    band_box = next(s for s in at.selectbox if s.label == "Band")
    assert band_box.options == [f"{b} · {labels[b]}" for b in sorted(labels)]
    assert band_box.value == before[dimension].band
    band_box.select(new_band)
    next(t for t in at.text_area if t.label.startswith("Reason")).input(reason)
    next(b for b in at.button if b.label == "Save band").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == [
        f"Saved: {dimension_title(dimension)} band {new_band} ({labels[new_band]}). The applicant now sees this band."
    ]
    stored = records.get_attempt(coach, attempt_id).overrides
    assert [(o.dimension, o.machine_band, o.coach_band, o.reason) for o in stored] == [
        (dimension, before[dimension].machine_band, new_band, reason)
    ]
    rows = at.dataframe[0].value.set_index("dimension")
    assert rows.loc[dimension.replace("_", " "), "band"] == new_band
    assert rows.loc[first.replace("_", " "), "band"] == before[first].band
    # the page stays on that dimension, now showing the band that counts
    assert next(s for s in at.selectbox if s.label == "Dimension").value == dimension
    assert next(s for s in at.selectbox if s.label == "Band").value == new_band


def test_results_leave_the_cells_of_a_candidate_not_scored_yet_empty(floor):
    """A candidate who has not answered has no overall, level or dimension scores: the
    table and the CSV leave those cells empty (they showed "None")."""
    people, _, _ = floor
    recruiter = people["rec_1"]
    template = next(t for t in interviews.list_templates(recruiter) if t.name == "Screen of rec_1")
    interviews.create_invitation(recruiter, template.id, "Not Started Yet")
    at = open_page("views/recruiter_results.py", recruiter)
    templates = [t.id for t in interviews.list_templates(recruiter, include_archived=True)]
    at.selectbox[0].select_index(templates.index(template.id)).run()
    table = at.dataframe[0].value
    assert list(table["candidate"]) == ["Candidate of rec_1", "Not Started Yet"]
    assert table.iloc[1][["overall", "level"]].isna().all()
    assert not tables_showing_none(at), tables_showing_none(at)
    text = interviews.results_csv(recruiter, template.id)
    pending = list(csv.DictReader(io.StringIO(text)))[1]
    assert pending["candidate"] == "Not Started Yet" and pending["overall_score"] == pending["level"] == ""
    assert "None" not in text


# --------------------------------------------------------------------------- recruiter and candidate


LISTENING, CHAT = "task.listening.001", "task.chat_reply.001"


def test_interview_from_template_to_pdf(database, sample_reports, downloads):
    admin = dataworld.admin()
    rita = dataworld.staff(admin, Role.RECRUITER, "rita", name="Rita")

    # template
    at = open_page("views/recruiter_templates.py", rita)
    at.text_input[0].input("Voice screen <i>June</i>")
    at.multiselect[0].set_value([LISTENING, CHAT])
    at.run()
    next(b for b in at.button if b.label == "Create interview").click()
    at.run()
    assert not at.exception and "with 2 tasks" in at.success[0].value, [e.value for e in at.error]
    template = interviews.list_templates(rita)[0]
    assert [i.task_id for i in template.items] == [LISTENING, CHAT]

    # invitation: the code is shown once
    at = open_page("views/recruiter_invitations.py", rita)
    at.text_input[0].input(NASTY)
    next(b for b in at.button if b.label == "Create invitation").click()
    at.run()
    assert not at.exception
    assert md(NASTY) in at.success[0].value and NASTY not in at.success[0].value
    code = at.code[0].value
    assert interviews.redeem(code).candidate_name == NASTY

    # the candidate: code, consent, microphone check, the listening task answered aloud
    candidate = open_page("views/interview.py")
    candidate.text_input[0].input(code.lower())  # typed as the candidate types it
    candidate.button[0].click()
    candidate.run()
    assert not candidate.exception
    assert md(NASTY) in candidate.caption[0].value and "recorded" in candidate.markdown[0].value
    candidate.checkbox[0].check()
    candidate.run()
    next(b for b in candidate.button if b.label == "Continue").click()
    candidate.run()
    assert candidate.subheader[0].value == "Microphone check"
    candidate.audio_input[0].set_value(wav("My name is Ana and I live in Manila."))
    candidate.run()
    assert not candidate.exception and candidate.success, [e.value for e in candidate.error]
    next(b for b in candidate.button if b.label == "Start the interview").click()
    candidate.run()
    assert "Task 1 of 2" in candidate.get("progress")[0].proto.text
    assert not candidate.button  # no preparation time for a listening task: recording at once
    answer = get_bank().get_task(LISTENING).answers[0]
    candidate.audio_input[0].set_value(wav(f"The customer ordered {answer}, a blue jacket."))
    candidate.run()
    assert not candidate.exception and candidate.success[0].value == "Your answer is saved."
    assert not candidate.metric  # no score during the interview
    progress = interviews.redeem(code)
    assert progress.answered == 1 and progress.next_item.task_id == CHAT

    # abandoned: a new session with the same code resumes at the chat reply, consent kept
    again = open_page("views/interview.py")
    again.text_input[0].input(code)
    again.button[0].click()
    again.run()
    assert not again.exception and not again.checkbox and "Task 2 of 2" in again.get("progress")[0].proto.text
    again.text_area[0].input(get_bank().get_task(CHAT).sample_reply)
    next(b for b in again.button if b.label.startswith("Send reply")).click()
    again.run()
    assert "Your interview is complete" in again.success[-1].value, texts(again)

    # the used code, and an expired one, are refused
    used = open_page("views/interview.py")
    used.text_input[0].input(code)
    used.button[0].click()
    used.run()
    assert used.error and "XXXX" not in used.error[0].value and not used.checkbox
    late = interviews.create_invitation(rita, template.id, "Late Larry", valid_for=timedelta(seconds=1))
    dataworld.expire(late.invitation.id)
    expired = open_page("views/interview.py")
    expired.text_input[0].input(late.code)
    expired.button[0].click()
    expired.run()
    assert "expired" in expired.error[0].value.lower() and not expired.checkbox

    # a second candidate, through the data layer: the listening task ran out of time
    slow = interviews.create_invitation(rita, template.id, "Slow Sam")
    interviews.give_consent(slow.code)
    interviews.submit_no_answer(slow.code, 0)
    records.score_attempt(interviews.submit_answer(slow.code, 1, text="ok i check it"))

    # the background scoring of the candidate's answers finishes
    invitation_id = next(i.id for i in interviews.list_invitations(rita) if i.candidate_name == NASTY)
    deadline = time.time() + 600
    while time.time() < deadline:
        result = interviews.candidate_result(rita, invitation_id)
        if result.complete:
            break
        time.sleep(2)
    result = interviews.candidate_result(rita, invitation_id)
    assert result.answered == 2 and result.overall_score is not None, result

    # results: ranked, and the CSV holds the scores
    at = open_page("views/recruiter_results.py", rita)
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["candidate"][:2]) == [NASTY, "Slow Sam"]
    assert list(table["rank"][:2]) == [1, 2]
    ((name, mime, data),) = [d for d in downloads if d[0].endswith(".csv")]
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert [r["candidate"] for r in rows[:2]] == [NASTY, "Slow Sam"]
    assert float(rows[0]["overall_score"]) == pytest.approx(result.overall_score, abs=0.05)
    for dimension, value in result.dimensions.items():
        assert float(rows[0][f"{dimension}_score"]) == pytest.approx(value, abs=0.05)

    # the candidate's page and PDF
    at = open_page("views/recruiter_candidate.py", rita, invitation=invitation_id)
    assert not at.exception and at.title[0].value == md(NASTY)
    ((name, mime, data),) = [d for d in downloads if d[0].endswith(".pdf")]
    assert mime == "application/pdf"
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert NASTY in text.splitlines()  # the name as typed: a PDF renders no markup
    assert f"Overall score {result.overall_score:.0f}/100" in text and f"Level {result.level}" in text
    assert f"Result {result.verdict.upper()}" in text
    for dimension, value in result.dimensions.items():
        assert f"{dimension.replace('_', ' ')} {value:.0f}" in text, dimension


# --------------------------------------------------------------------------- escaping


def test_names_in_admin_and_recruiter_messages_are_shown_as_typed(database):
    admin = dataworld.admin()
    name = "**June** <b>batch</b> [link](http://evil)"
    accounts.create_cohort(admin, name)
    at = open_page("views/admin_cohorts.py", admin)
    assert f"Members of {md(name)}" in [s.value for s in at.subheader]
    at.text_input[0].input(name)  # the same name again: refused, with the name in the message
    next(b for b in at.button if b.label == "Create cohort").click()
    at.run()
    assert not at.exception and len(at.error) == 1
    message = at.error[0].value
    assert "already a cohort" in message and "**June**" not in message and "](http" not in message

    at = open_page("views/admin_users.py", admin)
    at.text_input[0].input(name)
    at.selectbox[0].select(Role.APPLICANT)
    next(b for b in at.button if b.label == "Create account").click()
    at.run()
    assert not at.exception and "Created the applicant account" in at.success[0].value
    assert "**June**" not in at.success[0].value and md(name) in at.success[0].value

    rita = dataworld.staff(admin, Role.RECRUITER, "rita")
    at = open_page("views/recruiter_templates.py", rita)
    at.text_input[0].input(name)
    at.multiselect[0].set_value([CHAT])
    at.run()
    next(b for b in at.button if b.label == "Create interview").click()
    at.run()
    assert not at.exception and md(name) in at.success[0].value and "**June**" not in at.success[0].value


def test_a_wrong_code_and_a_task_whose_time_ran_out(database):
    admin = dataworld.admin()
    rita = dataworld.staff(admin, Role.RECRUITER, "rita")
    template = interviews.create_template(rita, "Chat screen", [CHAT, "task.chat_reply.002"])
    new = interviews.create_invitation(rita, template.id, "Tess")

    at = open_page("views/interview.py")
    at.text_input[0].input("ABCD-EFGH-JKMN")
    at.button[0].click()
    at.run()
    assert len(at.error) == 1 and not at.checkbox and "Tess" not in texts(at)

    at.text_input[0].input(new.code)
    at.button[0].click()
    at.run()
    at.checkbox[0].check()
    at.run()
    next(b for b in at.button if b.label == "Continue").click()
    at.run()
    assert "Task 1 of 2" in at.get("progress")[0].proto.text and at.text_area  # a chat reply: no microphone check
    # the candidate went away while the first task's time ran out
    for clock in ("iv_started", "iv_answering"):  # when the task was shown, when answering began
        at.session_state[clock] = {key: value - 3600 for key, value in at.session_state[clock].items()}
    at.run()
    assert not at.exception
    assert "ran out" in at.warning[0].value and "Task 2 of 2" in at.get("progress")[0].proto.text
    progress = interviews.redeem(new.code)
    assert progress.answered == 1 and progress.next_item.position == 1


def test_staff_pages_list_each_grammar_error_once(database):
    """The coach's attempt page (a spoken answer) and the recruiter's candidate page (a
    typed reply) list each grammar error once, under the answer where it is marked (they
    listed it again in the machine's report, and in the evidence lines)."""
    admin = dataworld.admin()
    coach = dataworld.staff(admin, Role.COACH, "cora")
    rita = dataworld.staff(admin, Role.RECRUITER, "rita")
    applicant = dataworld.applicant("Ana")
    cohort = accounts.create_cohort(admin, "June batch")
    for person in (coach, applicant):
        accounts.add_member(admin, cohort.id, person.user_id)
    # Whisper writes what it hears: errors it does not smooth away
    said = "The customer don't have his receipt. I have went to the store and it was more better than before."
    spoken = records.save_attempt(
        applicant, get_bank().tasks_of_type("open_question")[0].id, recording=synthesize(said, "calm_male")
    )
    assert records.score_attempt(spoken).status == AttemptStatus.SCORED

    reply = "Hi Liza, I is sorry your shoes has not arrived. They arrives tomorrow, June 6."
    template = interviews.create_template(rita, "Chat screen", [CHAT])
    new = interviews.create_invitation(rita, template.id, "Carl")
    interviews.give_consent(new.code)
    typed = interviews.submit_answer(new.code, 0, text=reply)
    records.score_attempt(typed)

    for actor, attempt_id, at in (
        (coach, spoken, open_page("views/coach_attempt.py", coach, attempt=spoken)),
        (rita, typed, open_page("views/recruiter_candidate.py", rita, invitation=new.invitation.id)),
    ):
        errors = records.get_attempt(actor, attempt_id).report.grammar_errors()
        assert len(errors) >= 2, errors
        shown = texts(at)
        for error in errors:
            assert shown.count(md(error.message)) == 1, (at.title[0].value, error.message, shown)


# --------------------------------------------------------------------------- cohorts


def test_saved_members_are_shown_at_once_and_leave_the_add_list(database):
    """Save members reruns the page: the members table and the lists must come from the
    cohort as saved, not from the cohort object the select box kept from before."""
    admin = dataworld.admin()
    cohort = accounts.create_cohort(admin, "June voice batch")
    coach = dataworld.staff(admin, Role.COACH, "carlo", "Carlo Mendoza")
    at = open_page("views/admin_cohorts.py", admin)
    assert at.dataframe[1].value.empty  # no members yet
    add = next(m for m in at.multiselect if m.label == "Add people")
    add.set_value([next(o for o in add.options if o.startswith("Carlo Mendoza"))])
    at.run()
    next(b for b in at.button if b.label == "Save members").click()
    at.run()
    assert not at.exception and not at.error
    (saved,) = accounts.list_cohorts(admin)
    assert saved.id == cohort.id and set(saved.member_ids) == {coach.user_id}
    assert list(at.dataframe[1].value["name"]) == ["Carlo Mendoza"]
    add = next(m for m in at.multiselect if m.label == "Add people")
    assert not any(o.startswith("Carlo Mendoza") for o in add.options) and not add.value
