"""The level of an answer and of a session (several answers of one person: a practice
session, an interview), with how sure it is.

    estimate = session_level([AnswerEvidence(58.0, 120), AnswerEvidence(44.0, 35)])
    estimate.level, estimate.low_level, estimate.high_level   # "B1", "A2", "B2"
    estimate.text()        # "B1, possibly A2-B2"
    estimate.sentence()    # the same in a full sentence, with the answers and words counted

The rule is data: the CEFR cut scores and the session rule (``session``: the error of one
answer, how it grows for a short answer, the width of the range) are in
``lessons/rubrics/levels.yaml`` (``trainer.content.Levels``); this module only computes.
An answer's level is its overall score's level (the weighted mean of its dimensions, with
the task type's weights of ``lessons/rubrics/task_types.yaml``); a session's level is the
level of the mean of its answers' overall scores, the same mean the interview results show.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import mean, stdev

from trainer.content import Levels, get_bank
from trainer.speech.textnorm import words as norm_words


@dataclass(frozen=True)
class AnswerEvidence:
    """One answer as evidence for a level: its overall score (0-100) and how many words it
    had (None: not known, counted as a full answer)."""

    score: float
    words: int | None = None


@dataclass(frozen=True)
class LevelEstimate:
    level: str  # CEFR level of the mean score
    score: float  # the mean overall score, 0-100
    low: float  # the range the score could be in (score -/+ z standard errors, 0-100)
    high: float
    low_level: str
    high_level: str
    answers: int
    words: int  # the words counted (answers whose words are not known count none)
    standard_error: float

    @property
    def certain(self) -> bool:
        """The whole range is one level."""
        return self.low_level == self.high_level

    def text(self) -> str:
        """ "B1", "B1, possibly B2", "B1, possibly A2-B2"."""
        if self.certain:
            return self.level
        if self.low_level == self.level:
            return f"{self.level}, possibly {self.high_level}"
        if self.high_level == self.level:
            return f"{self.level}, possibly {self.low_level}"
        return f"{self.level}, possibly {self.low_level}-{self.high_level}"

    def sentence(self) -> str:
        """The level in plain words, with what it rests on."""
        answers = f"{self.answers} answer" + ("" if self.answers == 1 else "s")
        words = f"{self.words} words" if self.words else "words not counted"
        basis = f"from {answers} ({words}), mean score {self.score:.0f}/100"
        if self.certain:
            return f"Level {self.level}: {basis}."
        return (
            f"Level {self.level}, but it could be anywhere from {self.low_level} to {self.high_level}: "
            f"{basis}. More and longer answers make it surer."
        )


def answer_error(levels: Levels, words: int | None) -> float:
    """The standard error (0-100 points) of one answer's overall score with ``words`` words."""
    rule = levels.session
    if words is None:
        return rule.answer_error
    counted = min(max(words, rule.min_words), rule.full_words)
    return rule.answer_error * math.sqrt(rule.full_words / counted)


def session_level(answers: Sequence[AnswerEvidence], levels: Levels | None = None) -> LevelEstimate | None:
    """The level of a session's answers and the range it could be in; None without answers.
    The score is the plain mean of the answers' overall scores; its error is that of a mean
    of answers each with ``answer_error``, or the spread of the scores over the square root
    of their number when they disagree more than that."""
    if not answers:
        return None
    rules = levels if levels is not None else get_bank().levels
    assert rules is not None  # the bank always has its levels file
    n = len(answers)
    score = mean(a.score for a in answers)
    error = math.sqrt(sum(answer_error(rules, a.words) ** 2 for a in answers)) / n
    if n >= 2:
        error = max(error, stdev(a.score for a in answers) / math.sqrt(n))
    half = rules.session.z * error
    low, high = max(score - half, 0.0), min(score + half, 100.0)
    return LevelEstimate(
        level=rules.level_for(score),
        score=round(score, 1),
        low=round(low, 1),
        high=round(high, 1),
        low_level=rules.level_for(low),
        high_level=rules.level_for(high),
        answers=n,
        words=sum(a.words or 0 for a in answers),
        standard_error=round(error, 2),
    )


def answer_level(score: float, words: int | None, levels: Levels | None = None) -> LevelEstimate:
    """The level of one answer, with its range."""
    estimate = session_level([AnswerEvidence(score, words)], levels)
    assert estimate is not None
    return estimate


def report_words(report: Mapping | None, answer_text: str | None = None) -> int | None:
    """The words of an answer: of its typed text, else of the transcript in its stored
    report (``Report.to_dict()``); None when neither is there."""
    if answer_text:
        return len(norm_words(answer_text))
    transcript = (report or {}).get("transcript") or {}
    text = transcript.get("text")
    return len(norm_words(text)) if text is not None else None
