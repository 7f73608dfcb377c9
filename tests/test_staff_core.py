"""The plain-Python pieces under the coach and recruiter pages: single sign-on mapping,
unanswered interview items, one candidate's result, coach/machine agreement, evidence
spans, and the PDF candidate report read back with pypdf (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import pytest

from tests.helpers import dataworld
from trainer.content import get_bank
from trainer.data import accounts, interviews, records
from trainer.data.access import AccessDenied
from trainer.data.interviews import AnswerOutOfOrder, CodeSpent
from trainer.data.storage import AttemptStatus, Role
from trainer.reports import candidate as candidate_report
from trainer.reports import evidence
from trainer.scoring import GrammarError
from trainer.scoring.coach_agreement import agreement, quadratic_kappa

CHAT_1, CHAT_2 = "task.chat_reply.001", "task.chat_reply.002"


# --------------------------------------------------------------------------- single sign-on


def test_single_sign_on_maps_an_email_to_an_active_account(recruiter):
    admin, rita = recruiter
    coach = accounts.create_user(
        admin, "Carla", Role.COACH, login="carla", password=dataworld.PASSWORD, email="Carla@Example.com"
    )
    actor = accounts.sso_actor(" carla@example.COM ")
    assert (actor.user_id, actor.role) == (coach.id, Role.COACH)
    with pytest.raises(AccessDenied):
        accounts.sso_actor("nobody@example.com")
    with pytest.raises(AccessDenied):
        accounts.sso_actor("")
    accounts.update_user(admin, coach.id, active=False)
    with pytest.raises(AccessDenied):
        accounts.sso_actor("carla@example.com")


# --------------------------------------------------------------------------- interviews


def test_an_item_whose_time_ran_out_is_closed_and_counts_zero(recruiter, sample_reports):
    admin, rita = recruiter
    template = interviews.create_template(rita, "Chat screen", [CHAT_1, CHAT_2])
    new = interviews.create_invitation(rita, template.id, "Ana")
    interviews.give_consent(new.code)
    first = interviews.submit_no_answer(new.code, 0)
    with pytest.raises(AnswerOutOfOrder):
        interviews.submit_answer(new.code, 0, text="too late")
    assert interviews.redeem(new.code).next_item.position == 1
    # re-scoring leaves it as it is: there is nothing to score
    assert records.score_attempt(first).status == AttemptStatus.UNSCORABLE
    second = interviews.submit_answer(new.code, 1, text=get_bank().get_task(CHAT_2).sample_reply)
    records.score_attempt(second)
    with pytest.raises(CodeSpent):
        interviews.redeem(new.code)
    result = interviews.candidate_result(rita, new.invitation.id)
    scored = records.get_attempt(rita, second).summary.overall_score
    assert result.complete and result.answered == 2
    assert result.overall_score == pytest.approx(scored / 2, abs=0.05)
    assert records.get_attempt(rita, first).summary.status_reason == interviews.NO_ANSWER_REASON
    other = dataworld.staff(admin, Role.RECRUITER, "rob")
    with pytest.raises(AccessDenied):
        interviews.candidate_result(other, new.invitation.id)
    with pytest.raises(AccessDenied):
        interviews.candidate_result(dataworld.staff(admin, Role.COACH, "cora"), new.invitation.id)


# --------------------------------------------------------------------------- agreement


def _pairs(rows):
    return [SimpleNamespace(dimension=d, machine_band=m, coach_band=c) for d, m, c in rows]


def _weighted_kappa(a, b, k=5):
    """Quadratic weighted kappa written out (Cohen 1968), to check scikit-learn's use."""
    observed = np.zeros((k, k))
    for x, y in zip(a, b):
        observed[x - 1, y - 1] += 1
    expected = np.outer(observed.sum(1), observed.sum(0)) / observed.sum()
    weights = np.array([[(i - j) ** 2 for j in range(k)] for i in range(k)]) / (k - 1) ** 2
    return 1 - (weights * observed).sum() / (weights * expected).sum()


def test_agreement_per_dimension_exact_adjacent_and_weighted_kappa():
    grammar = [(3, 3), (4, 3), (2, 4), (5, 5), (1, 2), (3, 3)]
    fluency = [(2, 2), (4, 4), (3, 3)]
    rows = agreement(_pairs([("grammar", m, c) for m, c in grammar] + [("fluency", m, c) for m, c in fluency]))
    assert [r.dimension for r in rows] == ["grammar", "fluency", "all"]  # rubric order, then pooled
    g = rows[0]
    assert (g.pairs, g.overridden) == (6, 3)
    assert g.exact == pytest.approx(3 / 6) and g.adjacent == pytest.approx(5 / 6)
    assert g.mean_difference == pytest.approx((0 - 1 + 2 + 0 + 1 + 0) / 6)
    assert g.kappa == pytest.approx(_weighted_kappa([m for m, _ in grammar], [c for _, c in grammar]))
    assert rows[1].exact == 1.0 and rows[1].kappa == pytest.approx(1.0)
    pooled = grammar + fluency
    assert rows[2].kappa == pytest.approx(_weighted_kappa([m for m, _ in pooled], [c for _, c in pooled]))
    # every answer in one band on both sides: chance agreement is total, kappa undefined
    assert quadratic_kappa([3, 3], [3, 3]) is None
    assert agreement([]) == []


def test_grammar_spans_follow_the_error_offsets():
    text = "He go to the shop and she like it."
    errors = [
        GrammarError("like", 26, 4, "GRAMMAR", "SHE_LIKE", "agreement"),
        GrammarError("go", 3, 2, "GRAMMAR", "HE_GO", "agreement"),
        GrammarError("missing", 99, 7, "GRAMMAR", "NOWHERE", "not in the text"),
    ]
    spans = evidence.grammar_spans(text, errors)
    assert "".join(s.text for s in spans) == text
    assert [s.text for s in spans if s.error] == ["go", "like"]


def test_the_evidence_of_a_band_names_the_thresholds_that_decided_it(sample_reports):
    """A band's evidence lists first the thresholds of the band above that were missed
    (why the band is not higher), then those of the band reached, all met. Before, only
    the latter were listed: 'band 2 (Limited)' beside thresholds that were all met."""
    seen_missed = 0
    for _, _, report in sample_reports.values():
        for dimension in report.dimensions.values():
            lines = evidence.highlights(dimension)
            missed, met = evidence.deciding_checks(dimension)
            assert missed == [c for c in dimension.next_band_checks if c.met is False]
            if any(c.met is not None for c in dimension.next_band_checks):
                assert missed, dimension  # the band above was not reached: something was missed
            expected = [f"not met for band {dimension.band + 1}: {evidence.threshold_text(c)}" for c in missed]
            expected += [f"met for band {dimension.band}: {evidence.threshold_text(c)}" for c in met]
            assert lines[: len(expected)] == expected
            assert all(c.met for c in met) and not any("error " in line for line in lines)
            seen_missed += len(missed)
    assert seen_missed  # the sample answers have bands below the top


# --------------------------------------------------------------------------- PDF report


def test_pdf_report_holds_the_candidates_scores_level_verdict_and_audio_links(recruiter, sample_reports):
    from pypdf import PdfReader

    admin, rita = recruiter
    listening_id, recording, listening_report = sample_reports["listening"]
    chat_id, chat_text, chat_report = sample_reports["chat"]
    template = interviews.create_template(
        rita, "Voice and chat screen", [listening_id, chat_id], pass_level="B1", pass_minimums={"grammar": 10}
    )
    name = "Juana Dela Cruz-Ñuñez"
    new = interviews.create_invitation(rita, template.id, name)
    interviews.give_consent(new.code)
    spoken = interviews.submit_answer(new.code, 0, recording=recording)
    records.record_report(spoken, listening_report)
    typed = interviews.submit_answer(new.code, 1, text=chat_text)
    records.record_report(typed, chat_report)

    report = candidate_report.candidate_report(rita, new.invitation.id)
    data = candidate_report.render_pdf(report, app_url="https://trainer.example.com")
    assert data.startswith(b"%PDF")
    pdf = PdfReader(io.BytesIO(data))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)

    result = interviews.candidate_result(rita, new.invitation.id)
    assert name in text and "Voice and chat screen" in text
    assert f"Overall score {result.overall_score:.0f}/100" in text
    assert f"Level {result.level}" in text
    assert f"Result {result.verdict.upper()}" in text
    for dimension, value in result.dimensions.items():
        assert f"{dimension.replace('_', ' ')} {value:.0f}" in text  # the per-dimension table
    for _attempt_id, answer_report in ((spoken, listening_report), (typed, chat_report)):
        assert f"{answer_report.overall.score:.0f}/100, level {answer_report.overall.level}" in text
        for dimension in answer_report.dimensions.values():
            assert f"band {dimension.band}, {dimension.label}" in text
    # evidence: a threshold that set a band, and the transcript of the spoken answer
    first_check = next(c for d in chat_report.dimensions.values() for c in d.band_checks)
    assert evidence.feature_name(first_check.feature) in text
    # the thresholds that kept each band from the next one are printed beside it
    for answer_report in (listening_report, chat_report):
        for dimension in answer_report.dimensions.values():
            for check in evidence.deciding_checks(dimension)[0]:
                line = f"not met for band {dimension.band + 1}: {evidence.threshold_text(check)}"
                assert " ".join(line.split()) in text, line
    # each grammar error once, under the grammar line
    for error in chat_report.grammar_errors():
        assert text.count(evidence.grammar_error_text(error)) == 1
    assert " ".join(listening_report.transcript.text.split()[:4]) in text
    links = [annotation.get_object()["/A"]["/URI"] for page in pdf.pages for annotation in page.get("/Annots", [])]
    assert links == [candidate_report.audio_link(new.invitation.id, spoken, "https://trainer.example.com")]

    with pytest.raises(AccessDenied):
        candidate_report.candidate_report(dataworld.staff(admin, Role.RECRUITER, "rob"), new.invitation.id)


def test_pdf_report_shows_where_each_calibrated_score_likely_lies(recruiter, read_aloud_report, sample_reports):
    """Issue 15: a read-aloud answer's pronunciation and fluency scores, the answer's score
    and the interview's overall are printed with their intervals; an interview of two
    answers has a narrower overall interval than its read-aloud answer alone."""
    from pypdf import PdfReader

    _, rita = recruiter
    task_id, recording, report = read_aloud_report
    chat_id, chat_text, chat_report = sample_reports["chat"]
    template = interviews.create_template(rita, "Reading and chat", [task_id, chat_id])
    new = interviews.create_invitation(rita, template.id, "Rosa Reyes")
    interviews.give_consent(new.code)
    spoken = interviews.submit_answer(new.code, 0, recording=recording)
    records.record_report(spoken, report)
    typed = interviews.submit_answer(new.code, 1, text=chat_text)
    records.record_report(typed, chat_report)

    result = interviews.candidate_result(rita, new.invitation.id)
    interval = result.overall_interval
    assert interval is not None and interval.low <= result.overall_score <= interval.high
    assert interval.width < report.overall.interval.width
    pdf = PdfReader(io.BytesIO(candidate_report.render_pdf(candidate_report.candidate_report(rita, new.invitation.id))))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert (
        f"Overall score {result.overall_score:.0f}/100 (likely between {interval.low:.0f} and {interval.high:.0f})"
        in text
    )
    item = report.overall
    assert f"Score {item.score:.0f}/100 (likely between {item.interval.low:.0f} and {item.interval.high:.0f})" in text
    for name in ("pronunciation", "fluency"):
        dimension = report.dimensions[name]
        assert f"{name}: {dimension.interval.words(dimension.score)} (band {dimension.band}" in text
    for name, dimension in chat_report.dimensions.items():  # a typed reply: nothing calibrated
        assert f"{name.replace('_', ' ')}: {dimension.score:.0f} (band {dimension.band}" in text
    assert "8 in 10 comparable expert-rated readings" in text
