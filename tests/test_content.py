"""Course content: every file validates, references resolve, counts are met, and the
``trainer content`` commands report problems with file and field."""

from __future__ import annotations

import argparse
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from trainer import content
from trainer.content import (
    DIMENSIONS,
    FEATURES,
    MOVES,
    PHRASE_MOVES,
    TASK_TYPES,
    TOPICS,
    ContentError,
    RepeatTask,
    Rubric,
    Scenario,
    SentenceBuildTask,
    check,
    count_words,
    load_all,
)

ROOT = content.default_root()

MINIMUM_TASKS = {
    "read_aloud": 20,
    "repeat": 30,
    "sentence_build": 15,
    "listening": 20,
    "retell": 8,
    "open_question": 8,
    "chat_reply": 10,
    "role_play": 20,
}


def voice_names() -> set[str]:
    from trainer.speech.tts import VOICE_PRESETS

    return set(VOICE_PRESETS)


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run ``trainer <argv>`` in-process: through trainer.cli when all its command modules
    import, else through a parser holding only the content commands."""
    try:
        from trainer import cli

        parser = cli.build_parser()
    except ImportError:
        from trainer.cli import content as content_cli

        parser = argparse.ArgumentParser(prog="trainer")
        content_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = int(args.handler(args) or 0)
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- validity


def test_every_file_validates():
    problems = check(ROOT)
    assert problems == [], "\n".join(str(p) for p in problems)


def test_every_yaml_file_is_loaded(bank):
    files = {p.relative_to(ROOT.parent).as_posix() for p in ROOT.rglob("*.yaml")}
    used = {file for file, _ in bank.sources.values()}
    # every file defines at least one item the bank knows about
    assert files and files <= used, sorted(files - used)


def test_ids_are_unique_across_all_kinds(bank):
    ids = (
        [lesson.id for lesson in bank.lessons]
        + [t.id for t in bank.tasks]
        + [s.id for s in bank.scenarios]
        + [r.id for r in bank.rubrics]
        + [bank.task_types.id, bank.levels.id, bank.phrasebank.id]
    )
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert duplicates == []


def test_language_is_en_us_and_levels_are_a2_to_c1(bank):
    for item in [*bank.lessons, *bank.tasks, *bank.scenarios]:
        assert item.language == "en-US", item.id
        assert item.level in ("A2", "B1", "B2", "C1"), item.id
    # the content spans the whole range
    assert {t.level for t in bank.tasks} == {"A2", "B1", "B2", "C1"}


def test_lookups(bank):
    assert bank.get_task("task.repeat.001").type == "repeat"
    assert bank.get_scenario("scenario.order_tracking").brand == "ShopNest"
    assert bank.get_rubric("fluency") is bank.get_rubric("rubric.fluency")
    with pytest.raises(KeyError):
        bank.get_task("task.repeat.999")
    with pytest.raises(KeyError):
        bank.get_rubric("charisma")


# --------------------------------------------------------------------------- counts


def test_lessons_count_units_and_parts(bank):
    assert len(bank.lessons) >= 12
    units = Counter(lesson.unit for lesson in bank.lessons)
    assert set(units) == {1, 2, 3}
    assert all(n >= 4 for n in units.values()), units
    for lesson in bank.lessons:
        assert lesson.explanation.strip()
        assert len(lesson.examples) >= 1
        assert len(lesson.practice) >= 3, lesson.id
        assert len(lesson.quiz) >= 3, lesson.id
    orders = [(lesson.unit, lesson.order) for lesson in bank.lessons]
    assert len(orders) == len(set(orders)), "two lessons share a unit and order"


@pytest.mark.parametrize("task_type,minimum", sorted(MINIMUM_TASKS.items()))
def test_task_counts(bank, task_type, minimum):
    assert len(bank.tasks_of_type(task_type)) >= minimum


def test_repeat_sentences_have_3_to_15_words(bank):
    for task in bank.tasks_of_type("repeat"):
        assert 3 <= count_words(task.text) <= 15, task.id


def test_sentence_builds_have_three_phrases_and_answers(bank):
    for task in bank.tasks_of_type("sentence_build"):
        assert len(task.phrases) == 3 and task.answers, task.id


def test_listening_and_retell_have_answers(bank):
    for task in bank.tasks_of_type("listening"):
        assert task.answers and all(a.strip() for a in task.answers), task.id
    for task in bank.tasks_of_type("retell"):
        assert len(task.key_points) >= 2, task.id
        for point in task.key_points:
            assert point.accepted, (task.id, point.point)


def test_every_task_has_times_and_scripted_text(bank):
    for task in bank.tasks:
        assert task.answer_seconds > 0 and task.prep_seconds >= 0, task.id
        assert task.instructions.strip(), task.id
        if task.type in ("read_aloud", "repeat"):
            assert task.text.strip(), task.id


def test_scenario_count_and_coverage(bank):
    scenarios = bank.scenarios
    assert len(scenarios) >= 20
    missing = set(TOPICS) - {s.topic for s in scenarios}
    assert not missing, missing
    assert {s.direction for s in scenarios} == {"inbound", "outbound"}
    escalations = [s for s in scenarios if s.outcome == "escalate"]
    assert len(escalations) >= 2
    for s in escalations:
        assert any(m.move == "escalation" and m.required for m in s.moves), s.id
        assert any("tier" in p.lower() for m in s.moves for p in m.phrasings), s.id
    assert {s.caller.mood for s in scenarios} == {"calm", "confused", "irate"}


def test_scenarios_are_complete(bank):
    for s in bank.scenarios:
        assert 3 <= len(s.turns) <= 6, s.id
        spoken = " ".join(t.text for t in s.turns)
        for fact in s.facts:
            assert fact.value in spoken, (s.id, fact.label)
        moves = {m.move for m in s.moves}
        assert {"greeting", "closing"} <= moves, s.id
        assert moves <= set(MOVES), s.id
        assert all(m.phrasings for m in s.moves), s.id
        assert s.questions and all(q.answers for q in s.questions), s.id
        assert 80 <= s.caller.rate_wpm <= 230, s.id


def test_every_role_play_scenario_is_used(bank):
    used = {t.scenario for t in bank.tasks_of_type("role_play")}
    assert used == {s.id for s in bank.scenarios}


# --------------------------------------------------------------------------- references


def test_task_rubrics_exist_and_match_task_types(bank):
    rubric_ids = {r.id for r in bank.rubrics}
    for task in bank.tasks:
        assert set(task.rubrics) <= rubric_ids, task.id
        dimensions = {bank.get_rubric(r).dimension for r in task.rubrics}
        assert dimensions == set(bank.weights_for(task.type)), task.id


def test_scenario_rubrics_and_references_exist(bank):
    rubric_ids = {r.id for r in bank.rubrics}
    scenario_ids = {s.id for s in bank.scenarios}
    for s in bank.scenarios:
        assert s.rubric in rubric_ids, s.id
        assert bank.get_rubric(s.rubric).dimension in DIMENSIONS
    for task in bank.tasks:
        if getattr(task, "scenario", None):
            assert task.scenario in scenario_ids, task.id


def test_voice_presets_exist(bank):
    voices = voice_names()
    assert set(content.voice_presets()) == voices
    for s in bank.scenarios:
        assert s.caller.voice in voices, s.id
    for task in bank.tasks:
        assert task.voice in voices, task.id
    for lesson in bank.lessons:
        for example in lesson.examples:
            assert example.voice in voices, lesson.id


def test_every_audio_line_can_be_generated(bank):
    voices = voice_names()
    lines = list(bank.audio_lines())
    owners = {line.owner for line in lines}
    # every lesson (examples), every scenario (caller turns) and every prompted task has audio
    assert {lesson.id for lesson in bank.lessons} <= owners
    assert {s.id for s in bank.scenarios} <= owners
    assert {t.id for t in bank.tasks if t.type in ("repeat", "listening", "sentence_build")} <= owners
    for line in lines:
        assert line.text.strip(), (line.owner, line.field)
        assert line.voice in voices, (line.owner, line.field)
    scenario_lines = [line for line in lines if line.owner.startswith("scenario.")]
    assert all(line.telephone for line in scenario_lines)


def test_scenario_moves_are_in_the_phrase_bank(bank):
    bank_moves = set(bank.phrasebank.moves)
    assert bank_moves == set(PHRASE_MOVES)
    assert set(MOVES) <= bank_moves
    for move, phrases in bank.phrasebank.moves.items():
        assert len(phrases.phrases) >= 3, move
    assert {"um", "uh", "er", "you know", "like"} <= set(bank.phrasebank.fillers)
    for task in bank.tasks_of_type("chat_reply"):
        assert set(task.expected_moves) <= bank_moves, task.id


# --------------------------------------------------------------------------- rubrics


def test_one_rubric_per_dimension(bank):
    assert sorted(r.dimension for r in bank.rubrics) == sorted(DIMENSIONS)
    for r in bank.rubrics:
        assert r.id == f"rubric.{r.dimension}"
        assert r.level == "B2"
        assert [b.band for b in r.bands] == [5, 4, 3, 2, 1]
        assert r.bands[-1].thresholds == {}
        assert r.bands[0].score_range[1] == 100 and r.bands[-1].score_range[0] == 0
        for band in r.bands[:-1]:
            # a compensatory rubric (issue 16) bands by its score, not by thresholds
            assert bool(band.thresholds) != bool(r.compensatory), (r.id, band.band)
            assert set(band.thresholds) <= set(FEATURES[r.dimension]), (r.id, band.band)
        if r.compensatory:
            assert {c.feature for c in r.compensatory.components} <= set(FEATURES[r.dimension]), r.id
            assert all(c.source for c in r.compensatory.components), r.id
        for band in r.bands:
            assert "you" in band.descriptor.lower(), (r.id, band.band)


def test_task_type_weights_sum_to_one(bank):
    assert set(bank.task_types.task_types) == set(TASK_TYPES)
    for task_type in TASK_TYPES:
        weights = bank.weights_for(task_type)
        assert abs(sum(weights.values()) - 1) < 1e-9, task_type
        assert set(weights) <= set(DIMENSIONS)
    # typed chat has no speech to score
    assert not {"fluency", "pronunciation"} & set(bank.weights_for("chat_reply"))


def test_levels_and_hiring_bar(bank):
    levels = bank.levels
    assert levels.hiring_bar == "B2"
    assert [c.cefr for c in levels.levels] == ["A1", "A2", "B1", "B2", "C1", "C2"]
    assert levels.level_for(0) == "A1"
    assert levels.level_for(100) == "C2"
    b2 = levels.cut_score("B2")
    assert levels.level_for(b2) == "B2"
    assert levels.level_for(b2 - 0.1) == "B1"
    assert levels.meets_bar(b2) and not levels.meets_bar(b2 - 0.1)
    # a band-4 dimension score is at B2 or above, band 3 is below it
    for r in bank.rubrics:
        assert r.bands[1].score_range[0] >= b2 > r.bands[2].score_range[0], r.id


def test_fluency_bands_separate_fluent_and_halting_speech(bank):
    fluency = bank.get_rubric("fluency")
    fluent = {
        "speech_rate_wpm": 150,
        "articulation_rate_wpm": 175,
        "phonation_time_ratio": 0.82,
        "pauses_per_minute": 6,
        "long_pauses_per_minute": 1,
        "mean_length_of_run": 11,
        "fillers_per_100_words": 1,
        "repetitions_per_100_words": 0.5,
    }
    halting = {
        "speech_rate_wpm": 70,
        "articulation_rate_wpm": 105,
        "phonation_time_ratio": 0.45,
        "pauses_per_minute": 30,
        "long_pauses_per_minute": 12,
        "mean_length_of_run": 2.6,
        "fillers_per_100_words": 11,
        "repetitions_per_100_words": 6,
    }
    assert fluency.band_for(fluent).band == 5
    assert fluency.band_for(halting).band == 2
    assert fluency.band_for({**fluent, "long_pauses_per_minute": 20}).band == 1


# --------------------------------------------------------------------------- validators


def test_validators_reject_bad_items():
    with pytest.raises(ValueError):
        RepeatTask.model_validate(
            {
                "id": "task.repeat.x",
                "type": "repeat",
                "level": "B1",
                "instructions": "Repeat.",
                "prep_seconds": 0,
                "answer_seconds": 15,
                "rubrics": ["rubric.fluency"],
                "text": "one two three four five six seven eight nine ten eleven twelve thirteen "
                "fourteen fifteen sixteen",
            }
        )
    with pytest.raises(ValueError, match="not an ordering"):
        SentenceBuildTask.model_validate(
            {
                "id": "task.sentence_build.x",
                "type": "sentence_build",
                "level": "B1",
                "instructions": "Build.",
                "prep_seconds": 0,
                "answer_seconds": 15,
                "rubrics": ["rubric.grammar"],
                "phrases": ["to the store", "I went", "yesterday"],
                "answers": ["I walked to the store yesterday"],
            }
        )
    rubric = yaml.safe_load((ROOT / "rubrics" / "fluency.yaml").read_text())
    rubric["bands"][0]["thresholds"]["mean_length_of_run"] = {"min": 1}  # below band 4
    with pytest.raises(ValueError, match="min is below"):
        Rubric.model_validate(rubric)
    vocabulary = yaml.safe_load((ROOT / "rubrics" / "vocabulary.yaml").read_text())
    Rubric.model_validate(vocabulary)
    for change, message in (
        (lambda r: r["compensatory"]["components"][0].update(feature="speech_rate_wpm"), "not a vocabulary feature"),
        (lambda r: r["compensatory"]["components"][0].update(weight=0), "greater than 0"),
        (lambda r: r["compensatory"]["components"][0].update(full=0.6), "must differ"),
        (lambda r: r["bands"][0].update(thresholds={"mattr": {"min": 0.8}}), "no thresholds"),
    ):
        broken = yaml.safe_load((ROOT / "rubrics" / "vocabulary.yaml").read_text())
        change(broken)
        with pytest.raises(ValueError, match=message):
            Rubric.model_validate(broken)
    scenario = yaml.safe_load((ROOT / "scenarios" / "order_tracking.yaml").read_text())
    scenario["facts"][1]["value"] = "SN-999999"
    with pytest.raises(ValueError, match="does not appear"):
        Scenario.model_validate(scenario)


# --------------------------------------------------------------------------- command line


def test_every_command_module_is_registered():
    from trainer import cli

    package = Path(cli.__file__).parent
    modules = {f"trainer.cli.{path.stem}" for path in package.glob("*.py") if not path.stem.startswith("_")}
    assert "trainer.cli.content" in cli.COMMAND_MODULES
    assert sorted(cli.COMMAND_MODULES) == sorted(modules)


def test_only_the_cli_package_parses_arguments():
    """Commands, options and their printing live in trainer/cli; the layers below only compute."""
    from trainer import cli

    package = Path(cli.__file__).parents[1]
    outside = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if path.relative_to(package).parts[0] != "cli" and "import argparse" in path.read_text(encoding="utf-8")
    ]
    assert outside == []


def test_content_check_passes_on_real_content(capsys):
    code, out, _ = run_cli(["content", "check"], capsys)
    assert code == 0
    assert out.startswith("OK:")


def _break(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_content_check_names_file_and_field_on_broken_copy(tmp_path, capsys):
    root = tmp_path / "lessons"
    shutil.copytree(ROOT, root)
    _break(root / "scenarios" / "order_tracking.yaml", "voice: calm_female", "voice: robot_voice")
    _break(root / "scenarios" / "billing_refund.yaml", "value: m.reed@outlook.com", "value: marcus@example.com")
    _break(root / "tasks" / "repeat.yaml", "{id: task.repeat.001, level: A2", "{id: task.repeat.001, level: Z9")
    _break(root / "tasks" / "role_play.yaml", "scenario: scenario.order_tracking", "scenario: scenario.no_such_call")
    _break(root / "rubrics" / "grammar.yaml", "- feature: structure_variety", "- feature: speech_rate_wpm")
    (root / "broken.yaml").write_text("kind: lesson\nid: [unclosed\n", encoding="utf-8")

    code, out, _ = run_cli(["content", "check", "--root", str(root)], capsys)
    assert code == 1
    lines = out.splitlines()

    def reported(file: str, field: str) -> bool:
        return any(line.startswith(f"lessons/{file}: {field}") for line in lines)

    assert reported("scenarios/order_tracking.yaml", "caller.voice"), out
    assert reported("scenarios/billing_refund.yaml", "facts[1].value"), out
    assert reported("tasks/repeat.yaml", "tasks[0].level"), out
    assert reported("tasks/role_play.yaml", "tasks[0].scenario"), out
    assert reported("rubrics/grammar.yaml", "compensatory.components[1].feature"), out
    assert any(line.startswith("lessons/broken.yaml: not valid YAML") for line in lines), out

    with pytest.raises(ContentError) as excinfo:
        load_all(root)
    assert len(excinfo.value.problems) >= 6


def test_content_check_reports_duplicate_ids(tmp_path, capsys):
    root = tmp_path / "lessons"
    shutil.copytree(ROOT, root)
    shutil.copy(root / "scenarios" / "order_tracking.yaml", root / "scenarios" / "copy.yaml")
    code, out, _ = run_cli(["content", "check", "--root", str(root)], capsys)
    assert code == 1
    assert "lessons/scenarios/order_tracking.yaml: id: duplicate id 'scenario.order_tracking'" in out


def test_content_list_json(bank, capsys):
    code, out, _ = run_cli(["content", "list", "--json"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert isinstance(rows, list)
    for row in rows:
        assert {"id", "kind", "title", "level"} <= set(row), row
        assert row["title"] and row["level"]
    kinds = Counter(row["kind"] for row in rows)
    assert kinds == {
        "lesson": len(bank.lessons),
        "task": len(bank.tasks),
        "scenario": len(bank.scenarios),
        "rubric": len(bank.rubrics),
    }


@pytest.mark.parametrize("kind", content.KINDS)
def test_content_list_kind_filter(kind, capsys):
    code, out, _ = run_cli(["content", "list", "--kind", kind, "--json"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert rows and {row["kind"] for row in rows} == {kind}


def test_content_list_plain_text(capsys):
    code, out, _ = run_cli(["content", "list", "--kind", "scenario"], capsys)
    assert code == 0
    assert "scenario.order_tracking" in out


def test_a_component_by_points_is_monotone_and_joins_its_points():
    from trainer.content.models import Component

    falling = Component(feature="x", weight=1, points=[[0, 1.0], [1, 0.8], [5, 0.0]], source="s")
    assert [falling.share(v) for v in (-1, 0, 0.5, 1, 3, 5, 9)] == pytest.approx([1, 1, 0.9, 0.8, 0.4, 0, 0])
    assert (falling.nothing_at, falling.all_at) == (5, 0)
    for points, why in (
        ([[0, 1.0], [1, 0.5], [2, 0.7], [3, 0.0]], "all rise or all fall"),
        ([[1, 0.0], [0, 1.0]], "values rising"),
        ([[0, 0.2], [1, 1.0]], "from 0 to 1"),
    ):
        with pytest.raises(ValueError, match=why):
            Component(feature="x", weight=1, points=points, source="s")
    with pytest.raises(ValueError, match="not both"):
        Component(feature="x", weight=1, zero=0, full=1, points=[[0, 0.0], [1, 1.0]], source="s")
