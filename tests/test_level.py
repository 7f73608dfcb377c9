"""The level of an answer and of a session (several answers), with the range it could be in:
the rule in lessons/rubrics/levels.yaml (``session``), computed by trainer.scoring.level,
shown on Progress and Home, on Feedback, on the recruiter's candidate page and in the PDF.

The reports stored here are made by hand (an overall score on a typed answer): what is
tested is how stored answers become a level, not how an answer is scored."""

from __future__ import annotations

import io

import pytest
import yaml
from pydantic import ValidationError

from tests.helpers import dataworld
from tests.helpers.apptest import open_page
from trainer.content import Levels, get_bank
from trainer.data import interviews, records
from trainer.scoring import AnswerEvidence, Overall, Report, answer_level, report_words, session_level

BANK = get_bank()
LEVELS = BANK.levels
CHAT = BANK.tasks_of_type("chat_reply")[0]


def words(n: int) -> str:
    return " ".join(["word"] * n)


# --------------------------------------------------------------------------- the rule


def test_the_session_rule_is_data_in_the_levels_file():
    rule = LEVELS.session
    assert rule.answer_error > 0 and rule.min_words <= rule.full_words and rule.z > 0
    assert "not fitted" in rule.source
    # the rule as data: a wider z in the file gives a wider range for the same answers
    data = LEVELS.model_dump()
    data["session"]["z"] = rule.z * 2
    wider = Levels(**data)
    answers = [AnswerEvidence(55, 100), AnswerEvidence(60, 100)]
    narrow, wide = session_level(answers, LEVELS), session_level(answers, wider)
    assert wide.high - wide.score == pytest.approx(2 * (narrow.high - narrow.score), abs=0.11)


def test_the_content_model_refuses_a_rule_that_makes_no_sense():
    data = LEVELS.model_dump()
    data["session"]["min_words"] = data["session"]["full_words"] + 1
    with pytest.raises(ValidationError, match="min_words"):
        Levels(**data)
    data = LEVELS.model_dump()
    del data["session"]
    with pytest.raises(ValidationError, match="session"):
        Levels(**data)


def test_the_levels_file_names_its_sources():
    text = yaml.safe_load((BANK.root / "rubrics" / "levels.yaml").read_text())["session"]["source"]
    assert "In'nami" in text and "80 %" in text


# --------------------------------------------------------------------------- the computation


def test_an_answers_level_is_its_overall_scores_level_with_a_range():
    for score in (10, 30, 45, 60, 70, 90):
        estimate = answer_level(score, 100)
        assert estimate.level == LEVELS.level_for(score)
        assert estimate.low <= score <= estimate.high
        assert estimate.low_level <= estimate.level <= estimate.high_level  # A1 < A2 < ... as text


def test_fewer_words_widen_the_range_and_more_answers_narrow_it():
    long, short = answer_level(55, 120), answer_level(55, 30)
    assert short.high - short.low > long.high - long.low
    # a word count above full_words is no surer than full_words (the rule is capped)
    assert answer_level(55, 1000).standard_error == answer_level(55, LEVELS.session.full_words).standard_error
    widths = [
        (e.high - e.low) for e in (session_level([AnswerEvidence(55, 100)] * n, LEVELS) for n in (1, 2, 4, 8, 16))
    ]
    assert widths == sorted(widths, reverse=True) and widths[-1] < widths[0] / 3


def test_answers_that_disagree_widen_the_range():
    agree = session_level([AnswerEvidence(55, 100), AnswerEvidence(56, 100), AnswerEvidence(54, 100)], LEVELS)
    disagree = session_level([AnswerEvidence(25, 100), AnswerEvidence(55, 100), AnswerEvidence(85, 100)], LEVELS)
    assert agree.score == disagree.score == 55
    assert disagree.high - disagree.low > agree.high - agree.low


def test_the_level_in_plain_words():
    one = answer_level(52, 40)
    assert one.level == "B1" and not one.certain
    assert one.text() == f"B1, possibly {one.low_level}-{one.high_level}"
    assert one.sentence().startswith(f"Level B1, but it could be anywhere from {one.low_level} to {one.high_level}")
    assert "1 answer (40 words)" in one.sentence()
    many = session_level([AnswerEvidence(52, 120)] * 30, LEVELS)
    assert many.certain and many.text() == "B1"
    assert many.sentence() == "Level B1: from 30 answers (3600 words), mean score 52/100."
    near_top = session_level([AnswerEvidence(58, 120)] * 4, LEVELS)  # B2 starts at 61
    assert near_top.text() == "B1, possibly B2"
    assert session_level([], LEVELS) is None


def test_the_words_of_an_answer():
    assert report_words(None, "Hi Maria, thanks for waiting.") == 5
    assert report_words({"transcript": {"text": "I can help you with that"}}) == 6
    assert report_words({"transcript": None}) is None and report_words(None) is None


# --------------------------------------------------------------------------- where people see it


def typed_report(score: float) -> Report:
    return Report(
        task_id=CHAT.id,
        task_type="chat_reply",
        scorable=True,
        overall=Overall(score, LEVELS.level_for(score), "not yet", LEVELS.hiring_bar),
    )


def test_progress_shows_the_level_of_the_latest_answers_with_its_range(app_database):
    actor = dataworld.applicant("Lia Progress")
    for score, n in ((50, 20), (56, 30)):
        attempt_id = records.save_attempt(actor, CHAT.id, text=words(n))
        records.record_report(attempt_id, typed_report(score))
    points = records.level_history(actor)
    assert [p.words for p in points] == [20, 30]
    expected = session_level([AnswerEvidence(50, 20), AnswerEvidence(56, 30)], LEVELS)
    assert not expected.certain  # two short answers: the range spans more than one level

    at = open_page("progress", actor)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Your level now"] == expected.text()
    assert any(expected.sentence() in c.value.replace("\\", "") for c in at.caption)
    home = open_page("home", actor)
    assert {m.label: m.value for m in home.metric}["Your level"] == expected.text()


def test_feedback_shows_the_answers_level_with_its_range(app_database):
    actor = dataworld.applicant("Lia Feedback")
    attempt_id = records.save_attempt(actor, CHAT.id, text=words(25))
    records.record_report(attempt_id, typed_report(52))
    at = open_page("feedback", actor, attempt=attempt_id)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Level"] == answer_level(52, 25).text() != "B1"


def test_the_recruiter_sees_the_candidates_level_with_its_range_on_the_page_and_in_the_pdf(recruiter):
    from pypdf import PdfReader

    from trainer.reports.candidate import candidate_report, render_pdf

    _, rita = recruiter
    template = interviews.create_template(rita, "Level screen", [CHAT.id, CHAT.id])
    new = interviews.create_invitation(rita, template.id, "Carla Range")
    interviews.give_consent(new.code)
    for position, (score, n) in enumerate(((48, 40), (58, 60))):
        attempt_id = interviews.submit_answer(new.code, position, text=words(n))
        records.record_report(attempt_id, typed_report(score))
    result = interviews.candidate_result(rita, new.invitation.id)
    expected = session_level([AnswerEvidence(48, 40), AnswerEvidence(58, 60)], LEVELS)
    assert result.level_estimate == expected and result.level == expected.level == "B1"
    assert result.overall_score == pytest.approx(expected.score)

    table = interviews.results_csv(rita, template.id)
    assert f"{expected.low_level}-{expected.high_level}" in table

    at = open_page("views/recruiter_candidate.py", rita, invitation=new.invitation.id)
    assert {m.label: m.value for m in at.metric}["Level"] == expected.text()
    at = open_page("views/recruiter_results.py", rita)
    assert list(at.dataframe[0].value["level"]) == [expected.text()]

    data = render_pdf(candidate_report(rita, new.invitation.id))
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())
    assert f"Level {expected.text()}" in text
    assert " ".join(expected.sentence().split()) in text
