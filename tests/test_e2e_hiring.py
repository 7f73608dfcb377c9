"""The staff paths end to end in a real browser (Debian's headless Chromium, Playwright, the
fake microphone), in accounts mode (open practice off), against one Streamlit server for the
module with an empty data folder of its own and the first admin made through the data layer:

- an admin signs in, creates a coach, a recruiter and an applicant on Users and a cohort
  with two of them on Cohorts; the pages and the database agree, and the coach can sign in;
- a recruiter makes an interview template and two invitations; a candidate (a browser of
  her own, the fake microphone playing espeak-ng speech) enters the code on the Interview
  page, passes the microphone check, answers two tasks, finds after a reload that the
  first one cannot be taken again, and the spent code refused; the recruiter then sees her
  ranked first on Results and reads the CSV and the PDF (text and links read with pypdf);
- the PDF's "Listen to the recording in the app" link opens that answer after sign-in;
- an applicant's recording waits for its upload (the race behind a flaky "Score my answer").

Helpers and pitfalls: tests/helpers/streamlit_browser.py and the docstring of
tests/test_e2e_browser.py. Found on the way:

- One WAV per candidate: Chromium opens ``--use-file-for-fake-audio-capture`` anew each time
  a page opens the microphone, so rewriting the file between recordings gives each recording
  its own speech (the mic check, then the right sentence for each task).
- The Interview page reruns a countdown fragment every second, so "the page ran" says
  nothing there: its steps wait for what the run shows ("Task 2 of 2", "Your answer is saved").
- Interview answers are scored in a background thread of the server: the test waits for the
  scores in the database (polled; Whisper's first load is inside that wait) before it opens
  Results.
- Screenshots of every step go to pytest's temporary folder; with
  ``TRAINER_UPDATE_SCREENSHOTS=1`` the four role pages the README shows are written to
  docs/screenshots/ (one viewport, 1280 px wide, 256 colours).
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.helpers.dataworld import PASSWORD
from tests.helpers.streamlit_browser import (
    AudioRecorder,
    StreamlitPage,
    StreamlitServer,
    close_with_screenshots,
    keep_offline,
    launch_chromium,
    microphone_wav,
)
from trainer.config import PROJECT_ROOT, get_settings
from trainer.content import get_bank, task_type_name
from trainer.data import Role, accounts, interviews, records
from trainer.scoring.engine import score_text
from trainer.speech.textnorm import words
from trainer.speech.tts import synthesize

pytestmark = pytest.mark.slow

README_SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
ADMIN_LOGIN = "ana"
TASKS = ("task.repeat.001", "task.repeat.002")  # "Thank you for calling.", "How may I help you?"
MIC_CHECK_SENTENCE = "My name is Maria Santos and I live in Quezon City."
SCORING_TIMEOUT_S = 300  # the server's first answer loads the speech model in its scoring thread
DOWNLOAD_NAME = re.compile(r"^[\w.-]+$")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hiring_server(tmp_path_factory):
    """The app in accounts mode on a free port, its ``app_url`` (the links it writes) its own
    address; this test process uses the same database, to set up people and check what the
    pages stored. The first admin, Ana Cruz, is made through the data layer."""
    from trainer.data import storage
    from trainer.features import grammar
    from trainer.speech.asr import resolve_whisper_model

    try:
        grammar.server().ensure_running()  # shared with the suite and left running, as app_server does
    except grammar.GrammarUnavailable:
        pass
    whisper = resolve_whisper_model()  # the suite's unpacked model: before the data folder changes
    data = tmp_path_factory.mktemp("hiring-app")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TRAINER_DATA_DIR", str(data))
        env.setenv("TRAINER_STORAGE_DIR", str(data / "storage"))
        for name in ("DATABASE_URL", "TRAINER_DATABASE_URL"):
            env.delenv(name, raising=False)
        env.setenv("TRAINER_OPEN_PRACTICE", "false")
        server = StreamlitServer(data, env={"TRAINER_WHISPER_MODEL": whisper})
        env.setenv("TRAINER_APP_URL", server.url)
        server.env["TRAINER_APP_URL"] = server.url
        get_settings.cache_clear()
        storage.dispose_engines()
        accounts.create_admin("Ana Cruz", ADMIN_LOGIN, PASSWORD)
        server.start()
        try:
            yield server
        finally:
            server.stop()
            storage.dispose_engines()
            get_settings.cache_clear()


@pytest.fixture
def admin(hiring_server):
    return accounts.sign_in(ADMIN_LOGIN, PASSWORD)


@pytest.fixture
def browse(playwright_driver, chromium_executable, hiring_server, tmp_path):
    """``browse(microphone=None, timeout_ms=60_000) -> StreamlitPage``: a fresh Chromium
    (profile, cookies, fake microphone of its own) at the app's start page. Requests anywhere but the app are
    aborted; none may be made. A screenshot of each page left open is kept on the way out."""
    opened = []

    def launch(microphone: Path | None = None, timeout_ms: float = 60_000) -> StreamlitPage:
        context = launch_chromium(
            playwright_driver, chromium_executable, microphone, tmp_path / f"profile-{len(opened)}"
        )
        opened.append((context, keep_offline(context, hiring_server.url)))
        page = context.pages[0] if context.pages else context.new_page()
        return StreamlitPage(page, hiring_server.url, timeout_ms=timeout_ms).open()

    yield launch
    close_with_screenshots([context for context, _ in opened], tmp_path)
    blocked = [url for _, refused in opened for url in refused]
    assert not blocked, f"the page tried to reach the network: {blocked}"


@pytest.fixture
def shots(tmp_path):
    """``shots(page, name)``: a full-page screenshot of this step in pytest's temporary
    folder; ``shots(page, name, readme=True)`` also the README's picture of a role's page."""
    folder = tmp_path / "screenshots"
    update = os.environ.get("TRAINER_UPDATE_SCREENSHOTS") == "1"

    def take(page: StreamlitPage, name: str, readme: bool = False) -> Path:
        path = page.screenshot(folder / f"{name}.png")
        if readme and update:
            readme_screenshot(page, README_SCREENSHOTS / f"{name}.png")
        return path

    return take


def readme_screenshot(page: StreamlitPage, target: Path) -> None:
    """The viewport (1280 px wide) as a 256-colour PNG: small enough to keep in git."""
    from PIL import Image

    raw = page.page.screenshot(animations="disabled")
    image = Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, optimize=True)


def staff(admin, role: Role, login: str, name: str):
    accounts.create_user(admin, name, role, login=login, password=PASSWORD)
    return accounts.sign_in(login, PASSWORD)


def success(page: StreamlitPage, text: str | re.Pattern):
    return page.page.get_by_test_id("stAlertContentSuccess").filter(has_text=text)


def number(cell: str) -> float:
    return float(cell.replace(",", ""))


def pdf_text_and_links(content: bytes) -> tuple[str, list[str]]:
    """All the text of a PDF and the URIs of its link annotations (pypdf)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    links = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and action.get("/URI"):
                links.append(str(action["/URI"]))
    return text, links


# --------------------------------------------------------------------------- admin


def test_admin_creates_people_and_a_cohort(browse, admin, shots):
    page = browse()
    assert page.title() == "Sign in" and not page.exceptions()
    page.sign_in(ADMIN_LOGIN, PASSWORD)
    expect(page.signed_in_caption()).to_contain_text("Ana Cruz")
    page.go_to("Users")
    assert page.title() == "Users"
    assert [(r["name"], r["role"], r["login"]) for r in page.table()] == [("Ana Cruz", "admin", ADMIN_LOGIN)]

    people = [
        ("Carlo Mendoza", "coach", "carlo"),
        ("Rosa Lim", "recruiter", "rosa"),
        ("Jun Bautista", "applicant", "jun"),
    ]
    page.tab("Create an account")
    for name, role, login in people:
        page.fill("Name", name)
        page.select("Role", role)
        page.fill("Login", login)
        page.fill("First password", PASSWORD)
        page.click("Create account")
        expect(success(page, f"Created the {role} account “{login}”.")).to_be_visible()
        assert not page.errors() and not page.exceptions(), page.errors() + page.exceptions()
    shots(page, "admin-created-accounts")

    page.go_to("Cohorts")
    assert page.title() == "Cohorts"
    page.fill("Name", "June voice batch")
    page.fill("Description", "Night shift, voice accounts")
    page.click("Create cohort")
    expect(page.page.get_by_role("heading", name="Members of June voice batch")).to_be_visible()
    page.multiselect("Add people", "Carlo Mendoza (coach)", search="Carlo")
    page.multiselect("Add people", "Jun Bautista (applicant)", search="Jun")
    page.click("Save members")
    expect(page.page.get_by_test_id("stDataFrame").nth(1).locator("tbody tr")).to_have_count(2)
    page.wait_until_idle()
    cohorts = page.table(0)
    assert [(c["cohort"], c["coaches"], c["applicants"]) for c in cohorts] == [("June voice batch", "1", "1")]
    members = page.table(1)
    assert sorted((m["name"], m["role"], m["login"]) for m in members) == [
        ("Carlo Mendoza", "coach", "carlo"),
        ("Jun Bautista", "applicant", "jun"),
    ]
    shots(page, "admin-cohort")

    page.go_to("Users")
    shown = {r["login"]: (r["name"], r["role"], r["active"]) for r in page.table()}
    assert shown == {
        ADMIN_LOGIN: ("Ana Cruz", "admin", "true"),
        **{login: (name, role, "true") for name, role, login in people},
    }
    shots(page, "admin-users", readme=True)

    # What is stored: the accounts with their roles and working passwords, the cohort and its members.
    stored = {u.login: u for u in accounts.list_users(admin, include_inactive=True)}
    for name, role, login in people:
        assert (stored[login].name, str(stored[login].role), stored[login].active) == (name, role, True)
        assert accounts.sign_in(login, PASSWORD).user_id == stored[login].id
    (cohort,) = accounts.list_cohorts(admin)
    assert (cohort.name, cohort.description) == ("June voice batch", "Night shift, voice accounts")
    assert set(cohort.member_ids) == {stored["carlo"].id, stored["jun"].id}

    # The coach the admin made signs in with that password and finds the answer of the
    # applicant of the cohort (a chat reply, scored by LanguageTool) in the review queue.
    chat = get_bank().get_task("task.chat_reply.001")
    jun = accounts.sign_in("jun", PASSWORD)
    records.record_report(
        records.save_attempt(jun, chat.id, text=chat.sample_reply), score_text(chat.sample_reply, chat)
    )
    coach = browse()
    coach.sign_in("carlo", PASSWORD)
    expect(coach.signed_in_caption()).to_contain_text("Carlo Mendoza")
    coach.go_to("Review queue")
    assert coach.title() == "Review queue" and not coach.exceptions(), coach.exceptions()
    queue = coach.table()
    assert [row[next(k for k in row if "Jun Bautista" in row[k])] for row in queue] == ["Jun Bautista"], queue
    shots(coach, "coach-review-queue", readme=True)


# --------------------------------------------------------------------------- recruiter and candidate


class Candidate:
    """The candidate's browser: one fake-microphone WAV, rewritten before each recording."""

    def __init__(self, page: StreamlitPage, microphone: Path):
        self.page = page
        self.microphone = microphone

    def say(self, text: str) -> float:
        """Put ``text`` (espeak-ng) on the microphone; returns the seconds to record."""
        _, seconds = microphone_wav(synthesize(text, "calm_female"), self.microphone)
        return seconds + 1.0

    def enter_code(self, code: str) -> None:
        self.page.fill("Access code", code)
        self.page.button("Start").click()

    def microphone_check(self) -> None:
        seconds = self.say(MIC_CHECK_SENTENCE)
        start = self.page.button("Start the interview")
        AudioRecorder(self.page, "Test recording").record(seconds, until=start)
        expect(success(self.page, "Your microphone works")).to_be_visible()
        assert number(self.page.metrics()["Speech heard"].removesuffix(" s")) >= 1.0
        start.click()

    def answer(self, text: str, then) -> None:
        seconds = self.say(text)
        AudioRecorder(self.page, "Record your answer").record(seconds, until=then)


def test_recruiter_invites_a_candidate_and_reads_the_ranking(browse, admin, shots, tmp_path):
    rosa = staff(admin, Role.RECRUITER, "rita", "Rita Reyes")
    bank = get_bank()
    tasks = [bank.get_task(t) for t in TASKS]
    answers = [t.text for t in tasks]
    started = time.monotonic()

    # The recruiter makes the interview and two invitations.
    recruiter = browse()
    recruiter.sign_in("rita", PASSWORD)
    recruiter.go_to("Interview templates")
    assert recruiter.title() == "Interview templates"
    recruiter.fill("Interview name", "Voice screen, June")
    for task in tasks:
        label = f"{task_type_name(task.type)} · {task.level} · {task.display_title}"
        recruiter.multiselect("Tasks, in the order the candidate takes them", label, search=task.display_title)
    recruiter.click("Create interview")
    expect(success(recruiter, "Created “Voice screen, June” with 2 tasks.")).to_be_visible()
    shots(recruiter, "recruiter-template")
    (template,) = interviews.list_templates(rosa)
    assert [i.task_id for i in template.items] == list(TASKS) and template.pass_level == "B2"

    recruiter.go_to("Invitations")
    assert recruiter.title() == "Invitations"
    codes = {}
    for name in ("Maria Santos", "Paolo Cruz"):
        recruiter.fill("Candidate's name", name)
        recruiter.click("Create invitation")
        expect(success(recruiter, f"Invitation for {name} created.")).to_be_visible()
        codes[name] = recruiter.page.get_by_test_id("stCode").inner_text().strip()
        assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4})+", codes[name]), codes[name]
    shots(recruiter, "recruiter-invitations")
    invited = {i.candidate_name: i for i in interviews.list_invitations(rosa)}
    assert set(invited) == {"Maria Santos", "Paolo Cruz"}
    maria = invited["Maria Santos"]

    # The candidate: code, consent, microphone check, the first answer.
    candidate = Candidate(browse(tmp_path / "microphone.wav"), tmp_path / "microphone.wav")
    interview = candidate.page
    interview.go_to("Interview")
    candidate.enter_code(codes["Maria Santos"])
    agree = interview.page.get_by_role("checkbox", name=re.compile("I have read this and agree"))
    interview.page.get_by_test_id("stCheckbox").filter(has=agree).locator("label").click()  # the box is drawn over
    expect(agree).to_be_checked()
    expect(interview.button("Continue")).to_be_enabled()
    interview.button("Continue").click()
    expect(interview.page.get_by_role("heading", name="Microphone check")).to_be_visible()
    candidate.microphone_check()
    expect(interview.page.get_by_text("Task 1 of 2")).to_be_visible()
    expect(interview.page.get_by_text(tasks[0].instructions)).to_be_visible()
    shots(interview, "candidate-task-1")
    candidate.answer(answers[0], then=interview.page.get_by_text("Task 2 of 2"))
    expect(success(interview, "Your answer is saved.")).to_be_visible()
    shots(interview, "candidate-task-2")

    # A reload (a dropped connection): the same code resumes at task 2; task 1 is not offered again.
    interview.page.reload()
    interview.page.get_by_role("textbox", name="Access code").wait_for()
    candidate.enter_code(codes["Maria Santos"])
    expect(interview.page.get_by_role("heading", name="Microphone check")).to_be_visible()  # consent kept
    candidate.microphone_check()
    expect(interview.page.get_by_text("Task 2 of 2")).to_be_visible()
    assert not interview.page.get_by_text("Task 1 of 2").is_visible()
    candidate.answer(answers[1], then=success(interview, "Your interview is complete."))
    answered = time.monotonic()
    shots(interview, "candidate-done")
    interview.button("Close").click()
    candidate.enter_code(codes["Maria Santos"])
    expect(interview.page.get_by_test_id("stAlertContentError")).to_contain_text("the access code has been used")
    attempts = records.list_attempts(rosa, invitation_id=maria.id, newest_first=False)
    assert [a.position for a in attempts] == [0, 1]  # one answer per task: nothing was taken twice

    # The answers are scored in the server's background thread.
    deadline = time.monotonic() + SCORING_TIMEOUT_S
    while (result := interviews.candidate_result(rosa, maria.id)).pending:
        assert time.monotonic() < deadline, f"not scored in {SCORING_TIMEOUT_S} s: {result}"
        interview.page.wait_for_timeout(500)  # polling the database, not a guess at a duration
    scored_at = time.monotonic()

    # Results: Maria first (scored), Paolo after her (invited, nothing answered).
    recruiter.go_to("Results")
    assert recruiter.title() == "Results"
    rows = recruiter.table()
    assert [(r["rank"], r["candidate"], r["answered"]) for r in rows] == [
        ("1", "Maria Santos", "2/2"),
        ("2", "Paolo Cruz", "0/2"),
    ], rows
    assert number(rows[0]["overall"]) == pytest.approx(result.overall_score, abs=0.01)
    assert rows[0]["level"] == result.level_estimate.text() and rows[0]["result"] == result.verdict
    assert rows[1]["result"] == "pending"
    shots(recruiter, "recruiter-results", readme=True)

    name, content = recruiter.download("Download the list (CSV)")
    assert name == f"interview-{template.id}-results.csv"
    table = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert [(r["rank"], r["candidate"], r["answered"]) for r in table] == [
        ("1", "Maria Santos", "2/2"),
        ("2", "Paolo Cruz", "0/2"),
    ]
    assert float(table[0]["overall_score"]) == pytest.approx(result.overall_score, abs=0.01)
    assert table[0]["level"] == result.level and table[0]["passed"] == result.verdict
    for dimension, score in result.dimensions.items():
        assert float(table[0][f"{dimension}_score"]) == pytest.approx(score, abs=0.01)

    # The candidate's report and its PDF.
    recruiter.select("Candidate", re.compile(r"^Maria Santos · "))
    recruiter.click("Open the candidate's report")
    expect(recruiter.page.get_by_role("heading", name="Maria Santos", level=1)).to_be_visible()
    assert recruiter.metrics()["Overall"] == f"{result.overall_score:.0f}/100"
    shots(recruiter, "recruiter-candidate")
    name, content = recruiter.download("Download the report (PDF)")
    assert name == f"candidate-{maria.id}-report.pdf" and content.startswith(b"%PDF-")
    text, links = pdf_text_and_links(content)
    flat = " ".join(text.split())
    assert "Maria Santos" in flat and "Interview: Voice screen, June" in flat
    assert f"Overall score {result.overall_score:.0f}/100" in flat, flat
    assert f"Level {result.level}" in flat and f"Result {result.verdict.upper()}" in flat
    attempt_ids = result.attempt_ids
    for number_, (task, said) in enumerate(zip(tasks, answers), 1):
        assert f"{number_}. {task_type_name(task.type)}: {task.display_title}" in flat
        transcript = flat.split(f"{number_}. {task_type_name(task.type)}: {task.display_title}", 1)[1]
        transcript = transcript.split("Transcript:", 1)[1].split("Listen to the recording", 1)[0]
        # Each answer holds its own sentence, whole and in order. Whisper may add a "you" in
        # the second of silence before Stop (seen once in nine runs), so not "nothing else".
        heard, expected = words(transcript), words(said)
        assert any(heard[i : i + len(expected)] == expected for i in range(len(heard))), (transcript, said)
        assert len(heard) <= len(expected) + 1, (transcript, said)
    # One link per answer, to this server's candidate page (directly, or through sign-in with
    # next=: the sign-in rework changes which), naming this invitation and this answer.
    assert len(links) == 2, links
    for link, attempt_id in zip(links, attempt_ids):
        parts = urlparse(link)
        assert f"{parts.scheme}://{parts.netloc}" == recruiter.base_url and parts.path == "/recruiter_candidate"
        assert parse_qs(parts.query) == {"invitation": [str(maria.id)], "attempt": [str(attempt_id)]}
    print(
        f"hiring test: {time.monotonic() - started:.1f} s; the last answer {answered - started:.1f} s in, "
        f"both scored {scored_at - answered:.1f} s after it; {result.overall_score:.1f}/100 {result.level} "
        f"{result.verdict}; {result.dimensions}"
    )


def test_pdf_link_opens_the_answer_after_sign_in(browse, admin, tmp_path):
    recruiter = staff(admin, Role.RECRUITER, "ines", "Ines Garcia")
    template = interviews.create_template(recruiter, "Link check", list(TASKS))
    new = interviews.create_invitation(recruiter, template.id, "Lea Torres")
    interviews.give_consent(new.code)
    for position, task_id in enumerate(TASKS):
        speech, _ = microphone_wav(synthesize(get_bank().get_task(task_id).text, "calm_female"), tmp_path / "a.wav")
        interviews.submit_answer(new.code, position, recording=speech)
    from trainer.reports.candidate import candidate_report, render_pdf

    _, links = pdf_text_and_links(render_pdf(candidate_report(recruiter, new.invitation.id)))
    second = interviews.candidate_result(recruiter, new.invitation.id).attempt_ids[1]
    (link,) = [u for u in links if parse_qs(urlparse(u).query).get("attempt") == [str(second)]]

    page = browse(timeout_ms=20_000)
    page.page.goto(link)
    page.page.get_by_test_id("stApp").wait_for()
    page.wait_until_idle()
    assert not page.page.get_by_text("Page not found").is_visible()
    page.sign_in("ines", PASSWORD)
    expect(page.page.get_by_role("heading", name="Lea Torres", level=1)).to_be_visible()
    query = parse_qs(urlparse(page.page.url).query)
    assert urlparse(page.page.url).path == "/recruiter_candidate"
    assert query.get("invitation") == [str(new.invitation.id)] and query.get("attempt") == [str(second)]
    task = get_bank().get_task(TASKS[1])
    opened = page.page.locator("details[open]")  # the expander of the answer the link named
    expect(opened).to_have_count(1)
    expect(opened.locator("summary")).to_contain_text(f"2. {task_type_name(task.type)}: {task.display_title}")


# --------------------------------------------------------------------------- applicant


def test_recording_waits_for_the_run_with_it(browse, admin, shots, tmp_path):
    """The flaky "Score my answer" not visible: ``AudioRecorder.record`` returned once Play
    showed and the page looked idle 250 ms later, but the page runs with the recording only
    when the server has its message. With the page's messages to the server held back 1 s
    (a busy server), the button must be there the moment record returns."""
    accounts.create_user(admin, "Lina Flores", Role.APPLICANT, login="lina", password=PASSWORD)
    chat = get_bank().get_task("task.chat_reply.001")  # an answer of hers, so Home shows a level
    lina = accounts.sign_in("lina", PASSWORD)
    records.record_report(
        records.save_attempt(lina, chat.id, text=chat.sample_reply), score_text(chat.sample_reply, chat)
    )
    task = get_bank().get_task("task.repeat.003")
    microphone, seconds = microphone_wav(synthesize(task.text, "calm_male"), tmp_path / "microphone.wav")
    page = browse(microphone)
    page.sign_in("lina", PASSWORD)
    page.go_to("Home")
    assert page.title() and not page.exceptions(), page.exceptions()
    expect(page.page.get_by_text("Lina Flores").first).to_be_visible()
    shots(page, "applicant-home", readme=True)

    page.go_to("Practice")
    page.select("Task type", "Repeat")
    page.select("Task", re.compile(rf"{re.escape(task.display_title)}$"))
    page.page.evaluate(HOLD_BACK_MESSAGES)
    AudioRecorder(page, "Record your answer").record(seconds + 1.0)
    assert page.page.evaluate("window.__heldMessages") >= 1  # the delay was in force
    assert page.button("Score my answer").is_visible()  # no waiting here: record() did
    shots(page, "applicant-recorded")


# Holds every message the page sends to the server (a widget's new value, a rerun request)
# back 1 s, in order, as a busy server or network would.
HOLD_BACK_MESSAGES = """() => {
  window.__heldMessages = 0;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    window.__heldMessages += 1;
    setTimeout(() => send.call(this, data), 1000);
  };
}"""
