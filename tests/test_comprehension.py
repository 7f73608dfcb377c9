"""Comprehension and call handling on the real content: listening answers, retell key
points, caller facts in spoken forms, call moves and politeness."""

from __future__ import annotations

import json

import pytest

from trainer.features.comprehension import (
    ANSWER_FUZZY_CUT,
    call_moves,
    facts_captured,
    key_point_coverage,
    match_answer,
    politeness_markers,
)

# --------------------------------------------------------------------------- answers


@pytest.mark.parametrize(
    "answer, expected, method",
    [
        ("Blue", 1.0, "exact"),
        ("It was a blue jacket.", 1.0, "contains"),
        ("blue one", 1.0, "contained"),
        ("a bleu jaket", None, "fuzzy"),  # a spelling or recognition slip
        ("black", 0.0, "none"),
        ("not blue", 0.0, "none"),
    ],
)
def test_listening_answer_color(bank, answer, expected, method):
    task = bank.get_task("task.listening.001")  # What color did the customer order? blue
    result = match_answer(answer, task.answers)
    assert result.method == method
    if expected is None:
        assert ANSWER_FUZZY_CUT / 100 <= result.answer_match < 1.0 and result.matched
    else:
        assert result.answer_match == expected
    assert set(result.features()) == {"answer_match"}
    json.dumps(result.evidence())


def test_numbers_and_yes_no_are_normalised(bank):
    phones = bank.get_task("task.listening.003")  # answers: two, "2", two phones
    assert match_answer("2 phones", phones.answers).answer_match == 1.0
    assert match_answer("three", phones.answers).answer_match == 0.0
    saturday = bank.get_task("task.listening.002")  # "no", "no, it is closed"
    assert match_answer("No, it's closed on Saturday", saturday.answers).answer_match == 1.0
    assert match_answer("yes", saturday.answers).answer_match == 0.0


def test_partial_answers_get_partial_credit(bank):
    scenario = bank.get_scenario("scenario.order_tracking")
    accepted = scenario.questions[2].answers  # a text when the parcel is out for delivery ...
    full = match_answer("She wants a text message when the parcel is out for delivery", accepted)
    partial = match_answer("something about the parcel", accepted)
    wrong = match_answer("a refund", accepted)
    assert full.answer_match == 1.0
    assert 0.0 < partial.answer_match < 0.75
    assert wrong.answer_match == 0.0


# --------------------------------------------------------------------------- key points


def test_retell_key_points_on_a_real_task(bank):
    task = bank.get_task("task.retell.002")  # the wrong pizza
    good = (
        "Mr Tan ordered a vegetarian pizza for his daughter's birthday, but they brought "
        "pepperoni. The agent apologised and sent the right pizza in half an hour, and "
        "he didn't have to pay for the first one. The kids were happy."
    )
    partial = "A man ordered a vegetarian pizza but got the wrong pizza."
    off_topic = "I like my job at the call center because my team is nice."
    g = key_point_coverage(good, task.key_points)
    p = key_point_coverage(partial, task.key_points)
    o = key_point_coverage(off_topic, task.key_points)
    assert g.key_point_coverage == 1.0
    assert p.key_point_coverage == pytest.approx(2 / 5)
    assert o.key_point_coverage == 0.0
    evidence = json.loads(json.dumps(g.evidence()))
    apology = evidence["points"][2]
    assert apology["found"] and apology["accepted"] == "apologized"
    assert apology["matched_text"] == "apologised"  # British spelling, same lemma
    rubric = bank.get_rubric("comprehension")
    assert rubric.band_for(g.features(), "retell").band == 5
    assert rubric.band_for(o.features(), "retell").band == 1


def test_key_points_fuzzy_and_reordered_words():
    points = [
        {"point": "She called her team leader", "accepted": ["called her team leader"]},
        {"point": "Late", "accepted": ["twenty minutes late"]},
    ]
    reordered = key_point_coverage("her team leader got a call from her", points)
    assert reordered.points[0].found and reordered.points[0].method == "words"
    misheard = key_point_coverage("she arrived twenty minute slate", points)  # ASR slip
    assert misheard.points[1].found and misheard.points[1].method == "fuzzy"
    assert not misheard.points[0].found


# --------------------------------------------------------------------------- facts


def test_billing_facts_in_spoken_forms(bank):
    scenario = bank.get_scenario("scenario.billing_refund")
    spoken = (
        "So that's Marcus Reed, e-mail m dot reed at outlook dot com, card ending four "
        "four seven one, and two charges of fifteen dollars and ninety-nine cents on May "
        "third."
    )
    result = facts_captured(spoken, scenario.facts)
    assert result.facts_captured == 1.0, result.evidence()
    written = "Marcus Reed, m.reed@outlook.com, 4471, $15.99, 3rd of May"
    assert facts_captured(written, scenario.facts).facts_captured == 1.0
    wrong = (
        "So that's Marcus Reid, m dot reed at gmail dot com, card ending four four seven "
        "two, fifty dollars on May fifth."
    )
    evidence = facts_captured(wrong, scenario.facts).evidence()
    found = {f["label"]: f["found"] for f in evidence["facts"]}
    assert found == {
        "Customer name": True,  # "Reid" is within the name cut of "Reed"
        "Account e-mail": False,
        "Last four digits of the card": False,
        "Amount charged twice": False,
        "Date of the charges": False,
    }


@pytest.mark.parametrize(
    "fact, said",
    [
        ({"type": "account_number", "value": "4471"}, "four four seven one"),
        ({"type": "account_number", "value": "SN-558120"}, "S N five five eight one two oh"),
        ({"type": "account_number", "value": "SN-558120"}, "it's S as in Sierra, N as in November, 558120"),
        ({"type": "account_number", "value": "2290"}, "the card ends in twenty-two ninety"),
        ({"type": "account_number", "value": "8820 1147"}, "double eight two zero, one one four seven"),
        ({"type": "phone", "value": "206-555-0181"}, "two oh six, five five five, oh one eight one"),
        ({"type": "email", "value": "john.cruz@gmail.com"}, "john dot cruz at gmail dot com"),
        ({"type": "email", "value": "linda.parker77@gmail.com"}, "linda dot parker seven seven at gmail dot com"),
        ({"type": "amount", "value": "$45"}, "forty five dollars"),
        ({"type": "amount", "value": "$45"}, "$45"),
        ({"type": "amount", "value": "$1,249"}, "twelve hundred forty-nine dollars"),
        ({"type": "amount", "value": "$3,850"}, "three thousand eight hundred and fifty dollars"),
        ({"type": "amount", "value": "$642.18"}, "six hundred forty-two dollars and eighteen cents"),
        ({"type": "date", "value": "February 14, 1990"}, "February fourteenth, nineteen ninety"),
        ({"type": "date", "value": "April 16 at 9:30"}, "on April sixteenth at nine thirty"),
        ({"type": "date", "value": "3 p.m."}, "at three p.m."),
        ({"type": "name", "value": "Linda Parker"}, "thank you, Ms. Linda Parker"),
        (
            {"type": "address", "value": "350 Mission Street, Suite 1200, San Francisco, 94105"},
            "three fifty Mission Street, suite twelve hundred, San Francisco, nine four one oh five",
        ),
    ],
)
def test_spoken_forms_of_facts(fact, said):
    fact = {"label": fact["type"], **fact}
    assert facts_captured(said, [fact]).facts_captured == 1.0, facts_captured(said, [fact]).evidence()


@pytest.mark.parametrize(
    "fact, said",
    [
        ({"type": "account_number", "value": "4471"}, "four four seven two"),
        ({"type": "account_number", "value": "4471"}, "four four seven one two"),  # a longer number
        ({"type": "account_number", "value": "SN-558120"}, "is N 558120"),
        ({"type": "phone", "value": "206-555-0181"}, "two oh six, five five five, oh one eight"),
        ({"type": "email", "value": "john.cruz@gmail.com"}, "john cruz at yahoo dot com"),
        ({"type": "amount", "value": "$45"}, "fifty four dollars"),
        ({"type": "date", "value": "May 3"}, "May thirteenth"),
        ({"type": "date", "value": "3 p.m."}, "at three"),
        ({"type": "name", "value": "Linda Parker"}, "Linda"),
    ],
)
def test_wrong_facts_are_not_captured(fact, said):
    fact = {"label": fact["type"], **fact}
    assert facts_captured(said, [fact]).facts_captured == 0.0


# --------------------------------------------------------------------------- call moves

GOOD_ORDER_CALL = (
    "Good morning, thank you for calling ShopNest, my name is Carlo. How may I help you today? "
    "I'm sorry your parcel hasn't arrived yet, I completely understand. May I have your full "
    "name and the order number, please? Thank you, Linda Parker, order S N five five eight one "
    "two zero. And for security purposes, the e-mail on the order? Linda dot parker seven seven "
    "at gmail dot com, thank you. The parcel was delayed in Memphis by bad weather, and you "
    "should receive it on Friday, June 14. You'll get a text from FastLane that morning. Just "
    "to confirm, your order should arrive on Friday. Is there anything else I can help you "
    "with? Thank you for shopping with ShopNest, have a great day."
)
POOR_ORDER_CALL = "Yeah. What's the problem? OK, it's late. It will come Friday. Bye."


def test_good_call_covers_moves_and_facts_poor_call_does_not(bank):
    scenario = bank.get_scenario("scenario.order_tracking")
    good = call_moves(GOOD_ORDER_CALL, scenario.moves, bank.phrasebank)
    poor = call_moves(POOR_ORDER_CALL, scenario.moves, bank.phrasebank)
    assert good.call_moves_covered == 1.0, good.evidence()["missing_required"]
    assert good.politeness_markers >= 5
    assert poor.call_moves_covered <= 0.2 and poor.politeness_markers == 0
    assert facts_captured(GOOD_ORDER_CALL, scenario.facts).facts_captured == 1.0
    assert facts_captured(POOR_ORDER_CALL, scenario.facts).facts_captured == 0.0
    rubric = bank.get_rubric("call_handling")
    assert rubric.band_for(good.features(), "role_play").band == 5
    assert rubric.band_for(poor.features(), "role_play").band == 1
    evidence = json.loads(json.dumps(good.evidence()))
    greeting = evidence["moves"][0]
    assert greeting["move"] == "greeting" and greeting["position"] < 5
    assert "thank you for calling" in greeting["matched_text"]
    assert set(good.features()) == {"call_moves_covered", "politeness_markers"}


def test_each_move_is_detected_on_its_own(bank):
    scenario = bank.get_scenario("scenario.billing_refund")
    only_empathy = call_moves("Oh no, I'm so sorry to hear that.", scenario.moves, bank.phrasebank)
    found = {m.move for m in only_empathy.moves if m.found}
    assert found == {"empathy"}
    assert only_empathy.call_moves_covered == pytest.approx(1 / 6)


def test_greeting_must_open_and_closing_must_end_the_call(bank):
    moves = ["greeting", "closing"]
    filler = " ".join(["we checked the account and the payment."] * 8)
    late_greeting = call_moves(f"{filler} Thank you for calling, have a great day.", moves, bank.phrasebank)
    assert [m.found for m in late_greeting.moves] == [False, True]
    early_closing = call_moves(f"Thank you for calling, have a great day. {filler}", moves, bank.phrasebank)
    assert [m.found for m in early_closing.moves] == [True, False]


def test_chat_reply_with_move_names_and_optional_moves(bank):
    task = bank.get_task("task.chat_reply.001")
    result = call_moves(task.sample_reply, task.expected_moves, bank.phrasebank)
    assert result.call_moves_covered == 1.0, result.evidence()
    optional = [
        {"move": "greeting", "phrasings": ["Hello"]},
        {"move": "escalation", "required": False, "phrasings": ["I will escalate this"]},
    ]
    result = call_moves("Hello, thank you for contacting us, how can I help you?", optional, bank.phrasebank)
    assert result.call_moves_covered == 1.0  # the optional escalation does not count against it
    assert not result.moves[1].found


def test_politeness_markers_count_each_use_once():
    markers = politeness_markers("Could you please hold, sir? Thank you! Thanks, ma'am, I appreciate it.")
    assert [m.text for m in markers] == ["could you", "please", "sir", "thank you", "thanks", "ma'am", "i appreciate"]
    assert politeness_markers("The shipment left the depot.") == []


@pytest.mark.parametrize(
    "said, groups",
    [
        ("twelve hundred forty nine", ["1249"]),
        ("one hundred thousand", ["100000"]),
        ("two thousand and twenty four", ["2024"]),
        ("fifteen ninety nine", ["15", "99"]),
        ("nineteen ninety", ["19", "90"]),
        ("the twenty first", ["21"]),
        ("four four seven one", ["4", "4", "7", "1"]),
        ("double five oh nine", ["55", "0", "9"]),
        ("zero three five one", ["0", "3", "5", "1"]),
        ("forty five dollars", ["45"]),
    ],
)
def test_spoken_number_runs(said, groups):
    from trainer.features.comprehension import _tokens, number_runs

    [run] = number_runs(_tokens(said))
    assert run.groups == groups
