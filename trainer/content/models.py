"""Course content models: lessons, tasks, call scenarios, rubrics, task types, levels and the
phrase bank, each a validated pydantic model of one kind of YAML file under ``lessons/``."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from trainer.config import get_settings


def default_root() -> Path:
    """The course files folder: the ``content_dir`` setting (default: the bundled lessons/)."""
    return Path(get_settings().content_dir)


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# --------------------------------------------------------------------------- vocabularies

Level = Literal["A2", "B1", "B2", "C1"]  # difficulty of a lesson, task or call
CEFR = Literal["A1", "A2", "B1", "B2", "C1", "C2"]  # levels an applicant can be placed at
Language = Literal["en-US"]
Dimension = Literal["grammar", "fluency", "pronunciation", "vocabulary", "comprehension", "call_handling"]
TaskType = Literal[
    "read_aloud",
    "repeat",
    "sentence_build",
    "listening",
    "retell",
    "open_question",
    "chat_reply",
    "role_play",
]
# Moves an agent is expected to make in a call (scenarios, chat replies).
Move = Literal["greeting", "verification", "empathy", "resolution", "escalation", "confirmation", "closing"]
# Moves the phrase bank knows phrases for (a superset of Move).
PhraseMove = Literal[
    "greeting",
    "verification",
    "empathy",
    "apology",
    "resolution",
    "escalation",
    "hold",
    "transfer",
    "confirmation",
    "closing",
    "politeness",
]
FactType = Literal["name", "account_number", "address", "email", "amount", "date", "phone"]
Mood = Literal["calm", "confused", "irate"]
Direction = Literal["inbound", "outbound"]
Topic = Literal[
    "order_tracking",
    "billing_dispute_refund",
    "internet_outage",
    "device_troubleshooting",
    "password_reset",
    "cancellation_retention",
    "irate_complaint",
    "outbound_sales",
    "satisfaction_survey",
    "payment_reminder",
    "insurance_claim_status",
    "medical_appointment",
    "travel_booking_change",
    "bank_card_blocked",
    "delivery_address_change",
    "subscription_upgrade",
    "warranty_claim",
    "utility_bill_explanation",
]

LEVELS: tuple[str, ...] = get_args(Level)
CEFR_LEVELS: tuple[str, ...] = get_args(CEFR)
DIMENSIONS: tuple[str, ...] = get_args(Dimension)
TASK_TYPES: tuple[str, ...] = get_args(TaskType)
MOVES: tuple[str, ...] = get_args(Move)
PHRASE_MOVES: tuple[str, ...] = get_args(PhraseMove)
FACT_TYPES: tuple[str, ...] = get_args(FactType)
TOPICS: tuple[str, ...] = get_args(Topic)
KINDS = ("lesson", "task", "scenario", "rubric")

# What each task type is called wherever people see it (pages, the candidate's PDF). An
# answer saved without a task of the bank has the type "free_answer" (a lesson's reading:
# "read_aloud").
TASK_TYPE_NAMES: dict[str, str] = {
    "read_aloud": "Read aloud",
    "repeat": "Repeat",
    "sentence_build": "Sentence build",
    "listening": "Listening question",
    "retell": "Retell",
    "open_question": "Open question",
    "chat_reply": "Typed chat reply",
    "role_play": "Role-play call",
    "free_answer": "Free answer",
}
if missing_names := set(TASK_TYPES) - set(TASK_TYPE_NAMES):
    raise RuntimeError(f"TASK_TYPE_NAMES has no name for {sorted(missing_names)}")


def task_type_name(task_type: str) -> str:
    """ "Listening question" for "listening"; an unknown type spelled out."""
    return TASK_TYPE_NAMES.get(task_type) or task_type.replace("_", " ").capitalize()


# The features the scoring engine computes, per rubric dimension. Rubric thresholds may
# only name these.
FEATURES: dict[str, tuple[str, ...]] = {
    "grammar": (
        "grammar_errors_per_100_words",
        "structure_variety",
        "subordinators_per_100_words",
        "mean_clause_length",
        "dependent_clauses_per_clause",
    ),
    "fluency": (
        "speech_rate_wpm",
        "articulation_rate_wpm",
        "phonation_time_ratio",
        "pauses_per_minute",
        "long_pauses_per_minute",
        "mean_length_of_run",
        "fillers_per_100_words",
        "repetitions_per_100_words",
        # read aloud / repeat: estimates of speechocean762 expert scores (0-10) made by
        # trainer.scoring.calibration from the features above and the recognition measures
        "calibrated_fluency",
        "calibrated_prosody",
    ),
    "pronunciation": ("pronunciation_accuracy", "completeness", "intelligibility", "calibrated_accuracy"),
    "vocabulary": (
        "word_types",
        "lexical_diversity_mtld",
        "mattr",
        "hdd",
        "share_above_a2",
        "share_b2_plus",
        "mean_zipf_content",
        "share_beyond_2k",
        "share_beyond_5k",
        "call_centre_phrases",
        "collocation_strength",
    ),
    "comprehension": ("key_point_coverage", "answer_match", "facts_captured"),
    "call_handling": ("call_moves_covered", "politeness_markers"),
}

# Used only when trainer.speech.tts cannot be imported; trainer.speech.tts.VOICE_PRESETS is the truth.
_FALLBACK_VOICE_PRESETS = (
    "calm_female",
    "calm_male",
    "brisk_female",
    "brisk_male",
    "elderly_male",
    "young_female",
    "irate_male",
    "irate_female",
)


def voice_presets() -> tuple[str, ...]:
    """Names of the voices the TTS module can speak with."""
    try:
        from trainer.speech.tts import VOICE_PRESETS  # content checks run without a voice engine
    except Exception:  # noqa: BLE001 - tts is optional for validating content
        return _FALLBACK_VOICE_PRESETS
    return tuple(VOICE_PRESETS)


_WORD_RE = re.compile(r"[A-Za-z0-9$£€]+(?:['’.,-][A-Za-z0-9]+)*")


def count_words(text: str) -> int:
    return len(_WORD_RE.findall(text))


def _norm(text: str) -> str:
    """Lower case, no punctuation, single spaces: for comparing answers."""
    return " ".join(re.sub(r"[^a-z0-9'@$]+", " ", text.lower()).split())


# --------------------------------------------------------------------------- models


def _at(field: str, message: str) -> ValueError:
    """An error from a model validator that names the field it is about."""
    return ValueError(f"@{field}: {message}")


_AT_RE = re.compile(r"^(?:Value error, )?@([\w\[\].]+): (.*)$", re.S)

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Spoken(_Model):
    """A line that is turned into audio by trainer.speech.tts."""

    text: Text
    voice: str = "calm_female"
    telephone: bool = False
    note: str | None = None


class PracticeItem(_Model):
    """A practice exercise inside a lesson.

    read_aloud / repeat: ``text`` is read by the learner (repeat: played first).
    choose: pick from ``options``; ``answers`` are the correct ones.
    fill_gap: ``prompt`` holds ``___``; ``answers`` are accepted fillings.
    rewrite / respond: ``answers`` are accepted or model answers.
    """

    type: Literal["read_aloud", "repeat", "choose", "fill_gap", "rewrite", "respond"]
    prompt: Text
    text: str | None = None
    voice: str = "calm_female"
    options: list[Text] = []
    answers: list[Text] = []
    hint: str | None = None

    @model_validator(mode="after")
    def _by_type(self) -> PracticeItem:
        if self.type in ("read_aloud", "repeat") and not (self.text or "").strip():
            raise _at("text", f"a {self.type} item needs 'text'")
        if self.type == "choose":
            if len(self.options) < 2:
                raise _at("options", "a choose item needs at least 2 options")
            missing = [a for a in self.answers if a not in self.options]
            if not self.answers or missing:
                raise _at("answers", "a choose item needs answers taken from its options")
        if self.type == "fill_gap" and "___" not in self.prompt:
            raise _at("prompt", "a fill_gap prompt must contain ___ where the answer goes")
        if self.type in ("fill_gap", "rewrite", "respond") and not self.answers:
            raise _at("answers", f"a {self.type} item needs at least one answer")
        return self


class QuizQuestion(_Model):
    question: Text
    options: list[Text] = Field(min_length=2, max_length=5)
    answer: Text
    explanation: Text

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> QuizQuestion:
        if self.answer not in self.options:
            raise _at("answer", "'answer' must be one of 'options'")
        if len(set(self.options)) != len(self.options):
            raise _at("options", "options must be different from each other")
        return self


class Lesson(_Model):
    id: Id
    kind: Literal["lesson"]
    unit: int = Field(ge=1, le=3)
    unit_title: Text
    order: int = Field(ge=1)
    title: Text
    level: Level
    language: Language = "en-US"
    summary: Text
    objectives: list[Text] = Field(min_length=1)
    explanation: Text
    examples: list[Spoken] = Field(min_length=1)
    practice: list[PracticeItem] = Field(min_length=3)
    quiz: list[QuizQuestion] = Field(min_length=3)
    tags: list[str] = []


class KeyPoint(_Model):
    point: Text
    accepted: list[Text] = Field(min_length=1)


class _TaskBase(_Model):
    id: Id
    level: Level
    title: str | None = None
    instructions: Text
    prep_seconds: int = Field(ge=0, le=120)
    answer_seconds: int = Field(gt=0, le=600)
    rubrics: list[Id] = Field(min_length=1)
    language: Language = "en-US"
    voice: str = "calm_female"  # voice of the prompt audio, where there is one
    tags: list[str] = []

    @property
    def kind(self) -> str:
        return "task"

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        text = next(
            (getattr(self, name) for name in ("text", "question", "customer_message") if getattr(self, name, None)),
            self.id,
        )
        return text if len(text) <= 60 else text[:57].rstrip() + "..."


class ReadAloudTask(_TaskBase):
    type: Literal["read_aloud"]
    text: Text  # the reference text the applicant reads

    @field_validator("text")
    @classmethod
    def _length(cls, value: str) -> str:
        if not 25 <= count_words(value) <= 160:
            raise ValueError("a read-aloud passage should have 25-160 words")
        return value


class RepeatTask(_TaskBase):
    type: Literal["repeat"]
    text: Text  # played once, then repeated

    @field_validator("text")
    @classmethod
    def _length(cls, value: str) -> str:
        n = count_words(value)
        if not 3 <= n <= 15:
            raise ValueError(f"a repeat sentence must have 3-15 words, this one has {n}")
        return value


class SentenceBuildTask(_TaskBase):
    type: Literal["sentence_build"]
    phrases: list[Text] = Field(min_length=3, max_length=3)  # in the order they are played
    answers: list[Text] = Field(min_length=1)  # every correct sentence

    @model_validator(mode="after")
    def _answers_are_orderings(self) -> SentenceBuildTask:
        orders = {_norm(" ".join(p)) for p in itertools.permutations(self.phrases)}
        for answer in self.answers:
            if _norm(answer) not in orders:
                raise _at("answers", f"answer {answer!r} is not an ordering of the three phrases")
        if _norm(" ".join(self.phrases)) in {_norm(a) for a in self.answers}:
            raise _at("phrases", "the phrases are already in a correct order; shuffle them")
        return self

    @property
    def display_title(self) -> str:
        # The phrases are heard, not read: a title that does not give them away.
        return self.title or f"Sentence {self.id.rsplit('.', 1)[-1]}"


class ListeningTask(_TaskBase):
    type: Literal["listening"]
    text: Text  # what is played before the question (a statement, message or exchange)
    question: Text
    answers: list[Text] = Field(min_length=1)  # accepted answers


class RetellTask(_TaskBase):
    type: Literal["retell"]
    text: str | None = None  # the passage played; or:
    scenario: Id | None = None  # retell a simulated call (its caller turns are played)
    key_points: list[KeyPoint] = Field(min_length=2)

    @model_validator(mode="after")
    def _one_source(self) -> RetellTask:
        if bool(self.text and self.text.strip()) == bool(self.scenario):
            raise _at("text", "a retell task needs either 'text' or 'scenario', not both")
        return self


class OpenQuestionTask(_TaskBase):
    type: Literal["open_question"]
    question: Text
    talking_points: list[Text] = []
    sample_answer: str | None = None


class ChatReplyTask(_TaskBase):
    type: Literal["chat_reply"]
    customer_name: Text
    customer_message: Text
    expected_moves: list[Move] = Field(min_length=1)
    key_points: list[KeyPoint] = []
    sample_reply: Text
    max_words: int = Field(default=120, gt=10)


class RolePlayTask(_TaskBase):
    type: Literal["role_play"]
    scenario: Id


Task = Annotated[
    ReadAloudTask
    | RepeatTask
    | SentenceBuildTask
    | ListeningTask
    | RetellTask
    | OpenQuestionTask
    | ChatReplyTask
    | RolePlayTask,
    Field(discriminator="type"),
]


class TaskBank(_Model):
    """A file of tasks. ``defaults`` are merged into every task before validation."""

    id: Id
    kind: Literal["task_bank"]
    title: Text
    description: str = ""
    defaults: dict[str, Any] = {}
    tasks: list[Task] = Field(min_length=1)


class Caller(_Model):
    name: Text
    voice: str
    rate_wpm: int = Field(ge=80, le=230)
    mood: Mood


class Turn(_Model):
    text: Text
    expect: list[Move] = []  # moves a good agent makes in reply to this turn


class Fact(_Model):
    type: FactType
    label: Text
    value: Text  # exactly as it appears in a caller turn
    accepted: list[Text] = []  # other ways of writing or saying the same value


class ExpectedMove(_Model):
    move: Move
    required: bool = True
    phrasings: list[Text] = Field(min_length=1)
    note: str | None = None


class Question(_Model):
    question: Text
    answers: list[Text] = Field(min_length=1)


class Scenario(_Model):
    id: Id
    kind: Literal["scenario"]
    title: Text
    level: Level
    language: Language = "en-US"
    direction: Direction
    topic: Topic
    industry: Text
    brand: Text
    outcome: Literal["resolve", "escalate"]
    agent_brief: Text  # what the agent sees on screen before the call
    caller: Caller
    telephone: bool = True  # caller audio goes through the telephone-line filter
    turns: list[Turn] = Field(min_length=3, max_length=6)
    facts: list[Fact] = Field(min_length=1)
    moves: list[ExpectedMove] = Field(min_length=4)
    questions: list[Question] = Field(min_length=1)
    rubric: Id

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        spoken = " ".join(t.text for t in self.turns)
        for i, fact in enumerate(self.facts):
            if fact.value not in spoken:
                raise _at(
                    f"facts[{i}].value",
                    f"{fact.value!r} ({fact.label}) does not appear in any caller turn",
                )
        names = [m.move for m in self.moves]
        if len(set(names)) != len(names):
            raise _at("moves", "each move may be listed once")
        for needed in ("greeting", "closing"):
            if needed not in names:
                raise _at("moves", f"must include {needed}")
        index = names.index("greeting")
        if not any(self.brand.lower() in p.lower() for p in self.moves[index].phrasings):
            raise _at(f"moves[{index}].phrasings", f"at least one greeting phrasing must name the brand {self.brand!r}")
        has_escalation = any(m.move == "escalation" and m.required for m in self.moves)
        if self.outcome == "escalate" and not has_escalation:
            raise _at("moves", "outcome 'escalate' needs a required 'escalation' move")
        if self.outcome == "resolve" and "resolution" not in names:
            raise _at("moves", "outcome 'resolve' needs a 'resolution' move")
        return self

    @property
    def display_title(self) -> str:
        return self.title

    def fact_turn(self, fact: Fact) -> int:
        """The turn (0-based) in which the caller first gives ``fact``: the first turn whose
        words contain its value (the validator makes sure there is one)."""
        return next(i for i, turn in enumerate(self.turns) if fact.value in turn.text)

    def move_turns(self, move: str) -> list[int]:
        """The turns (0-based) a good agent makes ``move`` in reply to (``Turn.expect``)."""
        return [i for i, turn in enumerate(self.turns) if move in turn.expect]


class Threshold(_Model):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Threshold:
        if self.min is None and self.max is None:
            raise ValueError("a threshold needs 'min' or 'max'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' is above 'max'")
        return self

    def met(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class Band(_Model):
    band: int = Field(ge=1, le=5)
    label: Text
    descriptor: Text
    score_range: tuple[float, float]
    thresholds: dict[str, Threshold] = {}

    @field_validator("score_range")
    @classmethod
    def _range(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 <= low < high <= 100:
            raise ValueError("score_range must be [min, max] with 0 <= min < max <= 100")
        return value


# The dimensions measured on the turns of a call, whose rubric says how turns the applicant
# never answered (a mock call ended early) count.
TURN_DIMENSIONS = ("comprehension", "call_handling")


class SkippedTurns(_Model):
    """How a mock call's unanswered turns count on a dimension measured per turn.

    ``left_out``: what the caller says in those turns, and what the agent should do in reply,
    is not part of the score (you cannot capture a detail you never heard); the dimension is
    scored on the turns answered. ``count_as_missed``: what the scenario expects of those
    turns counts as not done (a call ended early was never closed)."""

    rule: Literal["left_out", "count_as_missed"]
    explanation: Text  # the rule in plain words, shown with the score


class Component(_Model):
    """One feature of a compensatory rule: its value is placed on 0-1 between ``zero`` (the
    value that earns nothing) and ``full`` (the value that earns the whole weight), linearly
    and clipped. ``full`` below ``zero`` means lower values are better (error rates). Or by
    ``points``: [value, share] pairs, values rising and shares all rising or all falling,
    joined by straight lines and flat beyond the ends (anchors that are not one line, such
    as the error rates at a rubric's former band limits)."""

    feature: str
    weight: float = Field(gt=0)
    zero: float | None = None
    full: float | None = None
    points: list[tuple[float, float]] = []
    source: Text  # where the anchors come from (a published norm or a stated principle)
    # an answer of fewer words leaves this component out (too short to judge it)
    min_words: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _anchors(self) -> Component:
        if self.points:
            if self.zero is not None or self.full is not None:
                raise _at("points", "give 'points' or 'zero' and 'full', not both")
            values = [v for v, _ in self.points]
            shares = [share for _, share in self.points]
            if len(self.points) < 2 or values != sorted(set(values)):
                raise _at("points", "at least two points, their values rising")
            if not all(0 <= share <= 1 for share in shares):
                raise _at("points", "shares must be between 0 and 1")
            if shares != sorted(shares) and shares != sorted(shares, reverse=True):
                raise _at("points", "shares must all rise or all fall (a monotone rule)")
            if min(shares) != 0 or max(shares) != 1:
                raise _at("points", "the shares must run from 0 to 1")
            return self
        if self.zero is None or self.full is None:
            raise ValueError("a component needs 'zero' and 'full' (or 'points')")
        if self.zero == self.full:
            raise ValueError("'zero' and 'full' must differ")
        return self

    @property
    def nothing_at(self) -> float:
        """The value from which the component earns nothing (``zero``, or that point)."""
        if self.points:
            return next(v for v, share in self.points if share == 0)
        assert self.zero is not None
        return self.zero

    @property
    def all_at(self) -> float:
        """The value from which the component earns its whole weight."""
        if self.points:
            return next(v for v, share in self.points if share == 1)
        assert self.full is not None
        return self.full

    def share(self, value: float) -> float:
        """0-1: how far ``value`` has gone from ``zero`` to ``full``; monotone in value."""
        if self.points:
            if value <= self.points[0][0]:
                return self.points[0][1]
            for (v0, s0), (v1, s1) in zip(self.points, self.points[1:]):
                if value <= v1:
                    return s0 + (s1 - s0) * (value - v0) / (v1 - v0)
            return self.points[-1][1]
        assert self.zero is not None and self.full is not None
        return min(max((value - self.zero) / (self.full - self.zero), 0.0), 1.0)


class Compensatory(_Model):
    """A dimension scored as a weighted mean of its features (each placed on 0-1 by its
    component), times 100: a strong feature makes up for a weak one, and a better value of
    any feature never lowers the score. The band is the one whose score_range holds the
    score. Components on features not computed for an answer (``feature_scope``) are left
    out and the weights of the others rescaled. Below ``min_words`` words the dimension is
    not judged at all (the report says why) instead of getting a low band."""

    min_words: int = Field(default=0, ge=0)
    components: list[Component] = Field(min_length=1)
    note: Text


class Rubric(_Model):
    """How one dimension is banded. Either by thresholds: a band is reached when all of its
    thresholds are met, checked from band 5 downward; band 1 has none. A threshold on a
    feature the engine did not compute for a response (see ``feature_scope``) is skipped.
    Or by a ``compensatory`` rule (then no band has thresholds): see ``Compensatory``."""

    id: Id
    kind: Literal["rubric"]
    dimension: Dimension
    title: Text
    level: CEFR = "B2"
    language: Language = "en-US"
    description: Text
    # feature -> the task types it is computed for; a feature not listed applies to all.
    feature_scope: dict[str, list[TaskType]] = {}
    # feature -> [lowest, highest] value it can take (e.g. 0-10 for an estimate on the
    # experts' scale), so the 0-100 score also moves inside band 5 and band 1.
    feature_range: dict[str, tuple[float, float]] = {}
    # comprehension and call handling: how a mock call's unanswered turns count
    skipped_turns: SkippedTurns | None = None
    bands: list[Band] = Field(min_length=5, max_length=5)
    compensatory: Compensatory | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Rubric:
        if self.id != f"rubric.{self.dimension}":
            raise _at("id", f"must be 'rubric.{self.dimension}' for dimension {self.dimension}")
        if [b.band for b in self.bands] != [5, 4, 3, 2, 1]:
            raise _at("bands", "bands must be listed 5, 4, 3, 2, 1")
        if self.dimension in TURN_DIMENSIONS and self.skipped_turns is None:
            raise _at(
                "skipped_turns", f"{self.dimension} is measured on a call's turns: say how unanswered turns count"
            )
        if self.skipped_turns is not None and self.dimension not in TURN_DIMENSIONS:
            raise _at("skipped_turns", f"{self.dimension} is not measured turn by turn")
        allowed = FEATURES[self.dimension]
        for feature in self.feature_scope:
            if feature not in allowed:
                raise _at(f"feature_scope.{feature}", f"not a {self.dimension} feature")
        for feature, (low, high) in self.feature_range.items():
            if feature not in allowed:
                raise _at(f"feature_range.{feature}", f"not a {self.dimension} feature")
            if not low < high:
                raise _at(f"feature_range.{feature}", "must be [lowest, highest] with lowest < highest")
        for i, band in enumerate(self.bands):
            for feature in band.thresholds:
                if feature not in allowed:
                    raise _at(
                        f"bands[{i}].thresholds.{feature}", f"not a {self.dimension} feature (use {', '.join(allowed)})"
                    )
        if self.bands[-1].thresholds:
            raise _at("bands[4].thresholds", "band 1 must have no thresholds")
        if self.compensatory is not None:
            for i, component in enumerate(self.compensatory.components):
                if component.feature not in allowed:
                    raise _at(
                        f"compensatory.components[{i}].feature",
                        f"not a {self.dimension} feature (use {', '.join(allowed)})",
                    )
            if any(band.thresholds for band in self.bands):
                raise _at("bands", "a compensatory rubric bands by score: its bands have no thresholds")
        if self.bands[0].score_range[1] != 100 or self.bands[-1].score_range[0] != 0:
            raise _at("bands", "score ranges must run from 0 (band 1) to 100 (band 5)")
        for i, (upper, lower) in enumerate(zip(self.bands, self.bands[1:])):
            if upper.score_range[0] != lower.score_range[1]:
                raise _at(
                    f"bands[{i}].score_range",
                    f"band {upper.band} must start where band {lower.band} ends ({lower.score_range[1]})",
                )
            # a higher band is at least as demanding as the one below it
            for feature, low_t in lower.thresholds.items():
                high_t = upper.thresholds.get(feature)
                where = f"bands[{i}].thresholds.{feature}"
                if high_t is None:
                    raise _at(
                        f"bands[{i}].thresholds",
                        f"band {upper.band} drops the {feature!r} threshold of band {lower.band}",
                    )
                if low_t.min is not None and (high_t.min is None or high_t.min < low_t.min):
                    raise _at(where, f"band {upper.band} min is below band {lower.band}'s")
                if low_t.max is not None and (high_t.max is None or high_t.max > low_t.max):
                    raise _at(where, f"band {upper.band} max is above band {lower.band}'s")
        return self

    @property
    def display_title(self) -> str:
        return self.title

    def applies(self, feature: str, features: dict[str, float], task_type: str | None) -> bool:
        """Whether a feature counts for this answer: measured, and in its task-type scope."""
        scope = self.feature_scope.get(feature)
        return feature in features and not (task_type and scope and task_type not in scope)

    def compensatory_score(
        self, features: dict[str, float], task_type: str | None = None, words: int | None = None
    ) -> tuple[float, list[dict]]:
        """The 0-100 score of a compensatory rubric and each component's part in it (value,
        anchors, 0-1 share, weight, points): the points add up to the score. A component
        whose ``min_words`` the answer's ``words`` do not reach is left out."""
        assert self.compensatory is not None
        used = [
            c
            for c in self.compensatory.components
            if self.applies(c.feature, features, task_type) and (words is None or words >= c.min_words)
        ]
        total = sum(c.weight for c in used)
        parts = []
        for c in used:
            share = c.share(features[c.feature])
            parts.append(
                {
                    "feature": c.feature,
                    "value": features[c.feature],
                    "zero": c.nothing_at,
                    "full": c.all_at,
                    "share": round(share, 4),
                    "weight": round(c.weight / total, 4),
                    "points": round(100 * share * c.weight / total, 2),
                }
            )
        return (100 * sum(c.share(features[c.feature]) * c.weight for c in used) / total if total else 0.0), parts

    def band_for_score(self, score: float) -> Band:
        """The band whose score_range holds ``score`` (a range's top belongs to the band above)."""
        for band in self.bands:
            if score >= band.score_range[0]:
                return band
        return self.bands[-1]

    def band_for(self, features: dict[str, float], task_type: str | None = None, words: int | None = None) -> Band:
        """The highest band whose thresholds the features meet (skipped when not computed);
        for a compensatory rubric, the band of the score."""
        if self.compensatory is not None:
            return self.band_for_score(self.compensatory_score(features, task_type, words)[0])
        for band in self.bands:
            ok = True
            for name, threshold in band.thresholds.items():
                scope = self.feature_scope.get(name)
                if name not in features or (task_type and scope and task_type not in scope):
                    continue
                if not threshold.met(features[name]):
                    ok = False
                    break
            if ok:
                return band
        return self.bands[-1]


class TaskTypeWeights(_Model):
    weights: dict[Dimension, float]
    note: str = ""

    @field_validator("weights")
    @classmethod
    def _sum_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("at least one dimension is needed")
        if any(w <= 0 for w in value.values()):
            raise ValueError("weights must be positive")
        if abs(sum(value.values()) - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1, they sum to {sum(value.values()):.4f}")
        return value


class TaskTypes(_Model):
    id: Id
    kind: Literal["task_types"]
    title: Text
    description: Text
    task_types: dict[TaskType, TaskTypeWeights]

    @field_validator("task_types")
    @classmethod
    def _all_types(cls, value: dict) -> dict:
        missing = [t for t in TASK_TYPES if t not in value]
        if missing:
            raise ValueError(f"missing task types: {', '.join(missing)}")
        return value


class LevelCut(_Model):
    cefr: CEFR
    min_score: float = Field(ge=0, lt=100)
    label: Text
    job_suitability: Text


class SessionRule(_Model):
    """How sure a level is: the standard error of one answer's overall score (0-100) when
    the answer has ``full_words`` words or more, growing as sqrt(full_words / words) for a
    shorter one (counted from ``min_words``), combined over a session's answers as the error
    of their mean; the range shown is the mean plus or minus ``z`` errors. ``source``: where
    the figures come from."""

    answer_error: float = Field(gt=0, le=50)
    full_words: int = Field(gt=0)
    min_words: int = Field(gt=0)
    z: float = Field(gt=0, le=3)
    source: Text

    @model_validator(mode="after")
    def _words(self) -> SessionRule:
        if self.min_words > self.full_words:
            raise _at("min_words", "must not be above full_words")
        return self


class Levels(_Model):
    id: Id
    kind: Literal["levels"]
    title: Text
    description: Text
    hiring_bar: CEFR = "B2"
    session: SessionRule
    levels: list[LevelCut] = Field(min_length=6, max_length=6)

    @model_validator(mode="after")
    def _ordered(self) -> Levels:
        if [c.cefr for c in self.levels] != list(CEFR_LEVELS):
            raise _at("levels", "levels must be listed A1, A2, B1, B2, C1, C2")
        if self.levels[0].min_score != 0:
            raise _at("levels[0].min_score", "A1 must start at 0")
        scores = [c.min_score for c in self.levels]
        if scores != sorted(set(scores)):
            raise _at("levels", "min_score must rise from level to level")
        return self

    def level_for(self, score: float) -> str:
        """The CEFR level for an overall score on 0-100."""
        found = self.levels[0].cefr
        for cut in self.levels:
            if score >= cut.min_score:
                found = cut.cefr
        return found

    def cut_score(self, cefr: str) -> float:
        return next(c.min_score for c in self.levels if c.cefr == cefr)

    def meets_bar(self, score: float, bar: str | None = None) -> bool:
        return score >= self.cut_score(bar or self.hiring_bar)


class MovePhrases(_Model):
    phrases: list[Text] = Field(min_length=3)
    patterns: list[Text] = []  # regular expressions, matched case-insensitively

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from exc
        return value


class VocabularyItem(_Model):
    term: Text
    meaning: Text


class PhraseBank(_Model):
    id: Id
    kind: Literal["phrasebank"]
    title: Text
    language: Language = "en-US"
    description: Text
    moves: dict[PhraseMove, MovePhrases]
    fillers: list[Text] = Field(min_length=5)
    vocabulary: list[VocabularyItem] = Field(min_length=20)

    @field_validator("moves")
    @classmethod
    def _all_moves(cls, value: dict) -> dict:
        missing = [m for m in PHRASE_MOVES if m not in value]
        if missing:
            raise ValueError(f"missing moves: {', '.join(missing)}")
        return value


_FILE_MODELS: dict[str, type[BaseModel]] = {
    "lesson": Lesson,
    "task_bank": TaskBank,
    "scenario": Scenario,
    "rubric": Rubric,
    "task_types": TaskTypes,
    "levels": Levels,
    "phrasebank": PhraseBank,
}
