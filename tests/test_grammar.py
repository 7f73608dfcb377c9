"""Grammar checking through the real local LanguageTool server (no network but 127.0.0.1)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import time

import pytest

from tests.helpers.ports import free_port
from trainer.cli import grammar as grammar_cli
from trainer.features import grammar
from trainer.features.grammar import GrammarUnavailable, LanguageToolServer, check_grammar

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def lt_server() -> LanguageToolServer:
    srv = grammar.server()
    srv.ensure_running()  # shared: left running for the app and the next run
    return srv


# sentence, expected offending words, acceptable rule ids (the "kind" of error)
KNOWN_ERRORS = [
    ("He go to work every day", "go", {"HE_VERB_AGR"}),  # agreement
    ("she don't like it", "do", {"HE_VERB_AGR", "DONT_DOESNT"}),  # agreement
    ("i have a apple", "a", {"EN_A_VS_AN"}),  # article
    ("i am agree with you", "am agree", {"I_AM_VB"}),  # verb form
    ("yesterday i go to the store", "go", {"TRAINER_PAST_TIME_PRESENT_VERB"}),  # tense
    ("last week she buy a new phone", "buy", {"TRAINER_PAST_TIME_PRESENT_VERB"}),  # tense
    ("i am interesting in this job", "interesting", {"BE_INTEREST_IN"}),  # word form
    ("i didn't went there", "went", {"AUXILIARY_DO_WITH_INCORRECT_VERB_FORM"}),  # verb form
    ("she is more taller than me", "more taller", {"MOST_COMPARATIVE"}),  # comparative
    ("i look forward to hear from you", "to hear", {"ADMIT_ENJOY_VB"}),  # verb pattern
]


@pytest.mark.parametrize("sentence, words, rules", KNOWN_ERRORS)
def test_known_errors_are_flagged(lt_server, sentence, words, rules):
    result = check_grammar(sentence, lt_server)
    found = [(e.text, e.rule_id) for e in result.errors]
    assert any(text == words and rule in rules for text, rule in found), found
    for error in result.errors:
        assert grammar.is_counted(error.category, error.rule_id)
        assert sentence[error.offset : error.offset + error.length] == error.text
        assert error.message
    assert any(e.suggestions for e in result.errors)


CLEAN_SPOKEN = [
    "i will call you on monday",
    "good morning thank you for calling my name is kristine how can i help you today",
    "i understand your concern let me check your account for you",
    "yesterday i went to the store and bought some bread",
    "she doesn't like it but he goes to work every day",
    "i have an apple and a banana",
    "i'm interested in this job because i like talking to people",
    "could you please give me your account number and the name on the account",
    "i am sorry for the inconvenience i will transfer you to our billing department",
    "my name is jose dela cruz and i live in quezon city",
    "thank you for your patience is there anything else i can help you with",
    "their office is over there and they're open until five",  # homophones: ASR's spelling
]


@pytest.mark.parametrize("sentence", CLEAN_SPOKEN)
def test_clean_spoken_sentences_stay_clean(lt_server, sentence):
    result = check_grammar(sentence, lt_server)
    assert result.errors == [], [(e.text, e.rule_id, e.message) for e in result.errors]
    assert result.errors_per_100_words == 0.0


def test_casing_punctuation_and_names_do_not_count(lt_server):
    # Each of these would be flagged by LanguageTool's default rules.
    sentences = [
        "i will call you on monday",
        "hello   my name is kristine",
        "ok i understand",
        "i i think the the bill was paid",  # repetitions are fluency, not grammar
        "my contract ends in march or in may",  # month names heard, not their capitals
    ]
    for sentence in sentences:
        result = check_grammar(sentence, lt_server)
        assert result.errors == [], (sentence, [(e.rule_id, e.text) for e in result.errors])
    assert not grammar.is_counted("CASING", "UPPERCASE_SENTENCE_START")
    assert not grammar.is_counted("TYPOS", "MORFOLOGIK_RULE_EN_US")
    assert not grammar.is_counted("PUNCTUATION", "COMMA_PARENTHESIS_WHITESPACE")
    assert not grammar.is_counted("MISC", "WORD_REPEAT_RULE")
    assert grammar.is_counted("GRAMMAR", "HE_VERB_AGR")


def test_errors_per_100_words(lt_server):
    # 20 words, two errors
    text = "he go to the office every day and she don't like the traffic on the road near the big station"
    result = check_grammar(text, lt_server)
    assert result.word_count == 20
    assert [e.text for e in result.errors] == ["go", "do"]
    assert result.errors_per_100_words == pytest.approx(10.0)
    assert result.server_version.startswith("LanguageTool 6.")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["errors"][0]["rule_id"] == "HE_VERB_AGR"
    assert [grammar.GrammarError.from_dict(e) for e in data["errors"]] == result.errors


def test_empty_text_needs_no_server():
    result = check_grammar("   ", LanguageToolServer(url="http://127.0.0.1:9"))
    assert result.word_count == 0 and result.errors == [] and result.errors_per_100_words == 0


def test_normalisation_keeps_offsets():
    text = "i think i'm ready, i said"
    norm = grammar.normalise_for_check(text)
    assert norm == "I think I'm ready, I said"
    assert len(norm) == len(text)
    assert grammar.normalise_for_check("hi there") == "Hi there"  # "hi" is not "i"


def test_missing_jars_raise_a_clear_error(tmp_path):
    srv = LanguageToolServer(port=free_port(), lib_dir=tmp_path / "nowhere", state_dir=tmp_path)
    with pytest.raises(GrammarUnavailable) as info:
        check_grammar("He go to work", srv)
    message = str(info.value)
    assert message.startswith("Grammar scoring is unavailable")
    assert "not installed" in message and "install-languagetool.sh" in message


def test_missing_java_raises_a_clear_error(tmp_path, lt_server):
    srv = LanguageToolServer(port=free_port(), lib_dir=lt_server.lib_dir, java="no-such-java", state_dir=tmp_path)
    with pytest.raises(GrammarUnavailable, match="Java is not installed"):
        check_grammar("He go to work", srv)


def test_dead_configured_server_raises_a_clear_error(tmp_path):
    port = free_port()  # nothing listens there
    srv = LanguageToolServer(url=f"http://127.0.0.1:{port}", state_dir=tmp_path)
    with pytest.raises(GrammarUnavailable, match="does not answer"):
        check_grammar("He go to work", srv)
    assert not srv.managed and srv.status()["running"] is False


def test_server_is_shared_and_restarted_after_it_dies(tmp_path, lt_server):
    # A second, private server on another port: started once, found again by a new
    # manager (as another process would), and started again after it was killed.
    port = free_port()
    first = LanguageToolServer(port=port, lib_dir=lt_server.lib_dir, state_dir=tmp_path)
    try:
        first.ensure_running()
        pid = first.pid()
        assert pid and first.healthy()
        again = LanguageToolServer(port=port, lib_dir=lt_server.lib_dir, state_dir=tmp_path)
        again.ensure_running()
        assert again.pid() == pid  # reused, not started twice
        os.kill(pid, signal.SIGKILL)
        for _ in range(50):
            if not grammar._alive(pid):
                break
            time.sleep(0.1)
        assert not again.healthy()
        result = check_grammar("He go to work every day", again)  # restarts it
        assert [e.rule_id for e in result.errors] == ["HE_VERB_AGR"]
        assert again.pid() not in (None, pid)
    finally:
        first.stop()
    assert not first.healthy()


def test_cli_checks_text_and_reports_status(lt_server, capsys):
    parser = argparse.ArgumentParser()
    grammar_cli.register(parser.add_subparsers())
    args = parser.parse_args(["grammar", "he", "go", "to", "work", "--json"])
    assert args.handler(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["word_count"] == 4
    assert [e["rule_id"] for e in data["errors"]] == ["HE_VERB_AGR"]
    args = parser.parse_args(["grammar", "--server", "status"])
    assert args.handler(args) == 0
    assert json.loads(capsys.readouterr().out)["running"] is True
