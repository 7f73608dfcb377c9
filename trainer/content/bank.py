"""Course content: lessons, task bank, simulated customer calls, rubrics and the phrase bank.

Everything applicants learn from and are assessed on lives as YAML files under ``lessons/``.
Each file declares its ``kind`` and is validated by the pydantic models below; after that,
references between files are checked (rubric ids, scenario ids, voice presets, weights).

Public API::

    bank = load_all()                 # ContentBank, or ContentError listing every problem
    bank.lessons, bank.tasks, bank.scenarios, bank.rubrics
    bank.get_task("task.repeat.001"), bank.get_scenario("scenario.order_tracking")
    bank.get_rubric("fluency")        # by dimension or by id ("rubric.fluency")
    problems = check(root)            # list[Problem]; each names file and field

Command line (``trainer.cli.content``)::

    trainer content check [--root DIR]
    trainer content list [--kind lesson|task|scenario|rubric] [--json] [--root DIR]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from trainer.content.models import (
    _AT_RE,
    _FILE_MODELS,
    _YAML_LOADER,
    DIMENSIONS,
    TASK_TYPES,
    Lesson,
    Levels,
    PhraseBank,
    Rubric,
    Scenario,
    Task,
    TaskBank,
    TaskTypes,
    default_root,
    voice_presets,
)

# --------------------------------------------------------------------------- problems, bank


@dataclass(frozen=True)
class Problem:
    file: str  # path shown to the user, e.g. "lessons/tasks/repeat.yaml"
    field: str  # e.g. "tasks[3].text"; "" for the whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class ContentError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} content problem(s):\n{lines}{more}")


@dataclass(frozen=True)
class AudioLine:
    """A piece of text that is played to the learner, synthesised by trainer.speech.tts."""

    owner: str  # id of the lesson, task or scenario
    file: str
    field: str
    text: str
    voice: str
    telephone: bool = False


@dataclass
class ContentBank:
    lessons: list[Lesson] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    rubrics: list[Rubric] = field(default_factory=list)
    task_types: TaskTypes | None = None
    levels: Levels | None = None
    phrasebank: PhraseBank | None = None
    root: Path = field(default_factory=default_root)
    # id -> (file, field path) where the item is defined
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)

    def get_lesson(self, lesson_id: str) -> Lesson:
        return _find(self.lessons, lesson_id, "lesson")

    def get_task(self, task_id: str) -> Task:
        return _find(self.tasks, task_id, "task")

    def get_scenario(self, scenario_id: str) -> Scenario:
        return _find(self.scenarios, scenario_id, "scenario")

    def get_rubric(self, id_or_dimension: str) -> Rubric:
        """A rubric by id ("rubric.fluency") or by dimension ("fluency")."""
        for rubric in self.rubrics:
            if id_or_dimension in (rubric.id, rubric.dimension):
                return rubric
        raise KeyError(f"no rubric {id_or_dimension!r}")

    def tasks_of_type(self, task_type: str) -> list[Task]:
        return [t for t in self.tasks if t.type == task_type]

    def lessons_in_unit(self, unit: int) -> list[Lesson]:
        return sorted((lesson for lesson in self.lessons if lesson.unit == unit), key=lambda lesson: lesson.order)

    def weights_for(self, task_type: str) -> dict[str, float]:
        """Dimension -> weight for a task type (from rubrics/task_types.yaml)."""
        if self.task_types is None:
            raise KeyError("task_types.yaml is not loaded")
        return dict(self.task_types.task_types[task_type].weights)

    def items(self, kind: str | None = None) -> list[dict]:
        """Summaries for listing: id, kind, title, level and a few extras."""
        rows: list[dict] = []
        if kind in (None, "lesson"):
            rows += [
                {
                    "id": lesson.id,
                    "kind": "lesson",
                    "title": lesson.title,
                    "level": lesson.level,
                    "unit": lesson.unit,
                    "order": lesson.order,
                }
                for lesson in sorted(self.lessons, key=lambda lesson: (lesson.unit, lesson.order))
            ]
        if kind in (None, "task"):
            rows += [
                {
                    "id": t.id,
                    "kind": "task",
                    "title": t.display_title,
                    "level": t.level,
                    "type": t.type,
                    "rubrics": list(t.rubrics),
                }
                for t in self.tasks
            ]
        if kind in (None, "scenario"):
            rows += [
                {
                    "id": s.id,
                    "kind": "scenario",
                    "title": s.title,
                    "level": s.level,
                    "topic": s.topic,
                    "direction": s.direction,
                    "outcome": s.outcome,
                }
                for s in self.scenarios
            ]
        if kind in (None, "rubric"):
            rows += [
                {"id": r.id, "kind": "rubric", "title": r.title, "level": r.level, "dimension": r.dimension}
                for r in self.rubrics
            ]
        for row in rows:
            row["file"] = self.sources.get(row["id"], ("", ""))[0]
        return rows

    def audio_lines(self) -> Iterator[AudioLine]:
        """Every text the learner hears, with its voice: what trainer.speech.tts must synthesise."""
        for lesson in self.lessons:
            file = self.sources.get(lesson.id, ("", ""))[0]
            for i, ex in enumerate(lesson.examples):
                yield AudioLine(lesson.id, file, f"examples[{i}].text", ex.text, ex.voice, ex.telephone)
            for i, item in enumerate(lesson.practice):
                if item.type == "repeat":
                    yield AudioLine(lesson.id, file, f"practice[{i}].text", item.text or "", item.voice)
        for task in self.tasks:
            file, path = self.sources.get(task.id, ("", ""))
            spoken: list[tuple[str, str]] = []
            if task.type in ("repeat", "listening") or (task.type == "retell" and task.text):
                spoken.append(("text", task.text))
            if task.type in ("listening", "open_question"):
                spoken.append(("question", task.question))
            if task.type == "sentence_build":
                spoken += [(f"phrases[{i}]", p) for i, p in enumerate(task.phrases)]
            for name, text in spoken:
                yield AudioLine(task.id, file, f"{path}.{name}", text, task.voice)
        for scenario in self.scenarios:
            file = self.sources.get(scenario.id, ("", ""))[0]
            for i, turn in enumerate(scenario.turns):
                yield AudioLine(
                    scenario.id, file, f"turns[{i}].text", turn.text, scenario.caller.voice, scenario.telephone
                )


def _find(items: list, item_id: str, what: str):
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(f"no {what} {item_id!r}")


# --------------------------------------------------------------------------- loading


def _field_path(loc: tuple) -> str:
    parts: list[str] = []
    previous: object = None
    for element in loc:
        if isinstance(element, int):
            parts.append(f"[{element}]")
        elif isinstance(previous, int) and element in TASK_TYPES:
            pass  # the discriminator tag pydantic adds for tagged unions
        elif isinstance(element, str) and element.startswith("function-"):
            pass
        else:
            parts.append(("." if parts else "") + str(element))
        previous = element
    return "".join(parts)


def _display(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def _merge_defaults(data: dict) -> dict:
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict) or not isinstance(data.get("tasks"), list):
        return data
    merged = dict(data)
    merged["tasks"] = [{**defaults, **task} if isinstance(task, dict) else task for task in data["tasks"]]
    return merged


def _load(root: Path) -> tuple[ContentBank, list[Problem]]:
    root = Path(root)
    bank = ContentBank(root=root)
    problems: list[Problem] = []
    if not root.is_dir():
        return bank, [Problem(str(root), "", "content folder not found")]

    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    ids: dict[str, tuple[str, str]] = {}

    def remember(item_id: str, file: str, path: str) -> None:
        if item_id in ids:
            first = ids[item_id]
            problems.append(
                Problem(
                    file,
                    f"{path}.id" if path else "id",
                    f"duplicate id {item_id!r} (first defined in {first[0]} {first[1]})".rstrip(),
                )
            )
        else:
            ids[item_id] = (file, path)

    for path in files:
        file = _display(path, root)
        try:
            with path.open(encoding="utf-8") as handle:
                data = yaml.load(handle, Loader=_YAML_LOADER)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append(Problem(file, "", f"not valid YAML: {exc}"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(file, "", "the file must hold a mapping with a 'kind' field"))
            continue
        kind = data.get("kind")
        model = _FILE_MODELS.get(kind)  # type: ignore[arg-type]
        if model is None:
            problems.append(Problem(file, "kind", f"unknown kind {kind!r}; use one of {', '.join(_FILE_MODELS)}"))
            continue
        if kind == "task_bank":
            data = _merge_defaults(data)
        try:
            item = model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                where, message = _field_path(error["loc"]), error["msg"]
                tagged = _AT_RE.match(message)
                if tagged:
                    inner, message = tagged.groups()
                    where = f"{where}.{inner}" if where else inner
                problems.append(Problem(file, where, message))
            continue

        remember(item.id, file, "")
        if isinstance(item, TaskBank):
            for i, task in enumerate(item.tasks):
                remember(task.id, file, f"tasks[{i}]")
                bank.sources.setdefault(task.id, (file, f"tasks[{i}]"))
                bank.tasks.append(task)
            continue
        bank.sources.setdefault(item.id, (file, ""))
        if isinstance(item, Lesson):
            bank.lessons.append(item)
        elif isinstance(item, Scenario):
            bank.scenarios.append(item)
        elif isinstance(item, Rubric):
            bank.rubrics.append(item)
        else:
            attr = {"task_types": "task_types", "levels": "levels", "phrasebank": "phrasebank"}[kind]
            if getattr(bank, attr) is not None:
                problems.append(Problem(file, "kind", f"a second {kind} file; only one is allowed"))
            else:
                setattr(bank, attr, item)

    problems += _cross_check(bank, root)
    return bank, problems


def _cross_check(bank: ContentBank, root: Path) -> list[Problem]:
    problems: list[Problem] = []
    where = root.name or str(root)
    voices = set(voice_presets())
    rubrics = {r.id: r for r in bank.rubrics}
    scenarios = {s.id for s in bank.scenarios}

    for dimension in DIMENSIONS:
        if not any(r.dimension == dimension for r in bank.rubrics):
            problems.append(Problem(where, "", f"no rubric file for dimension {dimension!r}"))
    for attr, name in (
        ("task_types", "rubrics/task_types.yaml"),
        ("levels", "rubrics/levels.yaml"),
        ("phrasebank", "phrasebank.yaml"),
    ):
        if getattr(bank, attr) is None:
            problems.append(Problem(where, "", f"missing {name} (kind: {attr})"))

    def voice_ok(file: str, path: str, voice: str) -> None:
        if voice not in voices:
            problems.append(Problem(file, path, f"unknown voice {voice!r}; use one of {', '.join(sorted(voices))}"))

    for lesson in bank.lessons:
        file = bank.sources[lesson.id][0]
        for i, ex in enumerate(lesson.examples):
            voice_ok(file, f"examples[{i}].voice", ex.voice)
        for i, item in enumerate(lesson.practice):
            voice_ok(file, f"practice[{i}].voice", item.voice)

    for task in bank.tasks:
        file, path = bank.sources[task.id]
        voice_ok(file, f"{path}.voice", task.voice)
        for j, rubric_id in enumerate(task.rubrics):
            if rubric_id not in rubrics:
                problems.append(Problem(file, f"{path}.rubrics[{j}]", f"unknown rubric {rubric_id!r}"))
        if bank.task_types is not None and all(r in rubrics for r in task.rubrics):
            expected = set(bank.task_types.task_types[task.type].weights)
            got = {rubrics[r].dimension for r in task.rubrics}
            if got != expected:
                problems.append(
                    Problem(
                        file,
                        f"{path}.rubrics",
                        f"a {task.type} task is scored on {sorted(expected)} "
                        f"(rubrics/task_types.yaml), its rubrics cover {sorted(got)}",
                    )
                )
        scenario_id = getattr(task, "scenario", None)
        if scenario_id and scenario_id not in scenarios:
            problems.append(Problem(file, f"{path}.scenario", f"unknown scenario {scenario_id!r}"))

    for scenario in bank.scenarios:
        file = bank.sources[scenario.id][0]
        voice_ok(file, "caller.voice", scenario.caller.voice)
        if scenario.rubric not in rubrics:
            problems.append(Problem(file, "rubric", f"unknown rubric {scenario.rubric!r}"))

    return problems


def check(root: Path | str | None = None) -> list[Problem]:
    """Validate every content file under ``root`` (default: the content_dir setting)."""
    _, problems = _load(Path(root) if root is not None else default_root())
    return problems


def load_all(root: Path | str | None = None) -> ContentBank:
    """Load and validate all content; raises ContentError listing every problem."""
    bank, problems = _load(Path(root) if root is not None else default_root())
    if problems:
        raise ContentError(problems)
    return bank


@lru_cache(maxsize=1)
def get_bank() -> ContentBank:
    """The course content the app and the scoring engine use: loaded and validated once
    per process from the content folder of the settings (``lessons/`` by default)."""
    return load_all()
