"""Regenerate the committed demo audio in audio_samples/ (calls, lessons, answers, manifest).

- calls/<scenario_id>/turn_<n>.ogg: the caller turns of a few representative simulated calls
  (calm, irate, confused, two escalations), as heard over the phone line.
- lessons/<lesson_id>/example_<n>.ogg: worked examples of a few lessons.
- answers/<task_id>_{good,weak}.ogg: sample applicant answers. The good one is fluent and
  correct, in a natural voice at its normal rate. The weak one has the grammar mistakes
  Filipino learners often make (agreement, tense, articles), fillers, a repeated word, is
  slowed down, and has real silent pauses: its phrases are synthesised one by one and joined
  with digital silence of the length written in the script ("[pause 1.2 s]").
  answers/<task_id>_good_telephone.ogg: one good answer as heard over the phone line.
- manifest.yaml: every file with its kind, content id, voice, exact text and duration.

Everything is Opus in Ogg (16 kHz wideband; 8 kHz for telephone audio), encoded bit-exact,
so a rerun writes identical files. audio_samples/speech/ belongs to
scripts/make_speech_samples.py and is left alone.
Run: .venv/bin/python scripts/make_audio_samples.py
"""

from __future__ import annotations

import io
import re
import shutil
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trainer.content import load_all  # noqa: E402
from trainer.speech.audio import from_array  # noqa: E402
from trainer.speech.tts import synthesize  # noqa: E402

OUT = ROOT / "audio_samples"
OWN_FOLDERS = ("calls", "lessons", "answers")

WIDEBAND_RATE = 16000
TELEPHONE_RATE = 8000
BITRATE = {WIDEBAND_RATE: 20000, TELEPHONE_RATE: 12000}  # bits per second; plenty for speech

SCENARIOS = [
    "scenario.order_tracking",  # calm
    "scenario.irate_complaint",  # irate
    "scenario.password_reset",  # confused, elderly caller
    "scenario.billing_dispute_escalation",  # confused, escalate to tier 2
    "scenario.internet_repeated_drops_escalation",  # irate, escalate to tier 2
]
LESSONS = [
    "lesson.u2.opening_closing_verifying",
    "lesson.u2.spelling_numbers",
    "lesson.u3.sound_pairs",
]

WEAK_TEMPO = 0.8  # weak answers are played at 80 % speed (pitch kept): slow speech
EDGE_SECONDS = 0.25  # silence before and after every answer, as in a recording
PAUSE = re.compile(r"\[pause (\d+(?:\.\d+)?) s\]")

# task id -> applicant voice, good answer (one breath), weak script with pauses.
# Good answers to read-aloud and repeat tasks are the task's own text; "{sample_answer}"
# stands for an open question's model answer.
ANSWERS: dict[str, dict] = {
    "task.read_aloud.001": {
        "voice": "calm_female",
        "good": "{text}",
        "weak": (
            "Welcome to your first day at the, um, contact center. [pause 1.1 s] "
            "This morning you will meets your team leader [pause 0.8 s] and get your headset. "
            "[pause 1.4 s] After lunch, you will listen to real call with a experienced agent. "
            "[pause 1.6 s] Please ask, uh, ask question whenever something are not clear. "
            "[pause 1.2 s] Everyone here is new once."
        ),
        "errors": [
            "agreement after a modal: 'will meets'",
            "plural: 'real call', 'ask question'",
            "article: 'a experienced agent'",
            "subject-verb agreement: 'something are'",
            "tense: 'Everyone here is new once'",
        ],
    },
    "task.repeat.013": {
        "voice": "young_female",
        "good": "{text}",
        "weak": "Uh, I, I am waiting [pause 0.9 s] for almost [pause 0.7 s] a hour.",
        "errors": ["tense: 'I am waiting' for 'I have been waiting'", "article: 'a hour'"],
    },
    "task.open_question.001": {
        "voice": "calm_male",
        "good": "{sample_answer}",
        "weak": (
            "Um, I want to work in call center [pause 1.3 s] because I am enjoy to help people. "
            "[pause 1.0 s] I study in college for two years, uh, and I use English every day, "
            "[pause 1.7 s] so I think, I think I can talk to the customer clearly. [pause 1.2 s] "
            "Uh, I also like working in a team. [pause 0.9 s] In the future, um, I want to become "
            "a team leader."
        ),
        "errors": [
            "article: 'in call center'",
            "verb form: 'I am enjoy to help'",
            "tense: 'I study in college for two years'",
        ],
    },
    "task.retell.002": {
        "voice": "young_female",
        "good": (
            "Mr. Tan ordered a large vegetarian pizza for his daughter's birthday party, but the "
            "rider delivered a pepperoni pizza instead. He called the restaurant, and the agent "
            "apologized. The agent sent the correct pizza within thirty minutes and told him he "
            "could keep the first one for free. In the end, the children were happy because they "
            "had two pizzas."
        ),
        "weak": (
            "Um, Mr. Tan order a pizza, a vegetarian pizza, [pause 1.2 s] for the birthday of his "
            "daughter. [pause 0.8 s] But the rider bring, uh, a pepperoni pizza. [pause 1.5 s] "
            "He call the restaurant and the, the agent say sorry. [pause 1.1 s] Um, they send the "
            "correct pizza in thirty minute, [pause 1.8 s] and he can keep the first one for free. "
            "[pause 0.9 s] The children is happy because they have two pizza."
        ),
        "errors": [
            "tense: 'order', 'bring', 'call', 'say', 'send', 'have' for past events",
            "subject-verb agreement: 'The children is'",
            "plural: 'thirty minute', 'two pizza'",
        ],
    },
    "task.role_play.001": {  # the agent's reply to the caller's first turn
        "voice": "calm_male",
        "good": (
            "Thank you for calling ShopNest, my name is Carlo. I'm sorry your order hasn't "
            "arrived yet, and I'll check it for you right away. May I have your full name and "
            "the order number, please?"
        ),
        "weak": (
            "Um, thank you for calling ShopNest, my name is Carlo. [pause 1.0 s] Sorry for that, "
            "uh, your order is not arrive yet. [pause 1.5 s] Can I have, um, your name and the, "
            "the order number? [pause 0.8 s] So I will check in the system."
        ),
        "errors": ["tense and auxiliary: 'your order is not arrive yet'"],
        "telephone": True,  # also write a telephone-band version of the good answer
    },
    "task.role_play.007": {
        "voice": "calm_female",
        "good": (
            "Thank you for calling Oakline Home, this is Anna. I'm truly sorry. You took a day "
            "off and waited all day, and that's not acceptable. I'm going to take care of this "
            "personally. So I can pull up your order, may I have your full name and the order "
            "number, please?"
        ),
        "weak": (
            "Uh, sorry ma'am for the inconvenient. [pause 1.2 s] The driver, the driver don't "
            "come to your house? [pause 1.6 s] Um, I will check it, [pause 0.9 s] but first you "
            "give me, uh, the order number please."
        ),
        "errors": [
            "word form: 'the inconvenient'",
            "subject-verb agreement and tense: 'the driver don't come'",
            "impolite request form: 'you give me the order number'",
        ],
    },
}


def read_tts(text: str, voice: str, telephone: bool) -> tuple[np.ndarray, int]:
    """The project's TTS (cached), at 16 kHz, or 8 kHz for the telephone line."""
    samples, rate = sf.read(synthesize(text, voice, telephone), dtype="float32")
    if telephone:
        assert rate == TELEPHONE_RATE, rate
        return samples, rate
    return from_array(samples, rate).samples, WIDEBAND_RATE


def trim(samples: np.ndarray, rate: int, level: float = 0.02, keep: float = 0.04) -> np.ndarray:
    """Cut the engine's leading and trailing silence, keeping ``keep`` seconds of it."""
    loud = np.flatnonzero(np.abs(samples) > level)
    if loud.size == 0:
        return samples
    margin = int(keep * rate)
    return samples[max(loud[0] - margin, 0) : loud[-1] + margin + 1]


def stretch(samples: np.ndarray, rate: int, tempo: float) -> np.ndarray:
    """Slow speech down (tempo < 1) without changing its pitch: FFmpeg's atempo filter."""
    graph = av.filter.Graph()
    source = graph.add_abuffer(format="flt", sample_rate=rate, layout="mono", time_base=Fraction(1, rate))
    atempo = graph.add("atempo", str(tempo))
    sink = graph.add("abuffersink")
    source.link_to(atempo)
    atempo.link_to(sink)
    graph.configure()
    mono = np.ascontiguousarray(samples, np.float32).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(mono, format="flt", layout="mono")
    frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
    graph.push(frame)
    graph.push(None)
    parts = []
    while True:
        try:
            parts.append(graph.pull().to_ndarray().reshape(-1))
        except (av.error.EOFError, av.error.BlockingIOError, BlockingIOError):
            break
    return np.concatenate(parts).astype(np.float32)


def silence(seconds: float, rate: int) -> np.ndarray:
    return np.zeros(int(round(seconds * rate)), np.float32)


def encode_opus(samples: np.ndarray, rate: int, path: Path) -> float:
    """Write Ogg/Opus, bit-exact (no random stream serial, no version tags); return seconds."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg", options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream("libopus", rate=rate, layout="mono", options={"application": "voip"})
        stream.bit_rate = BITRATE[rate]
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate, frame.pts = rate, 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return round(samples.size / rate, 3)


def parse_script(script: str) -> tuple[list[str], list[float]]:
    """'phrase [pause 1.2 s] phrase' -> phrases and the pauses between them."""
    phrases = [p.strip() for p in PAUSE.split(script)[0::2]]
    pauses = [float(p) for p in PAUSE.findall(script)]
    assert all(phrases) and len(pauses) == len(phrases) - 1, script
    assert all(0.6 <= p <= 2.0 for p in pauses), script
    return phrases, pauses


def render_answer(script: str, voice: str, tempo: float, telephone: bool = False) -> tuple[np.ndarray, int]:
    phrases, pauses = parse_script(script)
    parts: list[np.ndarray] = []
    rate = WIDEBAND_RATE
    for index, phrase in enumerate(phrases):
        samples, rate = read_tts(phrase, voice, telephone)
        samples = trim(samples, rate)
        if tempo != 1.0:
            samples = stretch(samples, rate, tempo)
        if index:
            parts.append(silence(pauses[index - 1], rate))
        parts.append(samples)
    edge = silence(EDGE_SECONDS, rate)
    return np.concatenate([edge, *parts, edge]), rate


def plain_text(script: str) -> str:
    return re.sub(r"\s+", " ", PAUSE.sub(" ", script)).strip()


def main() -> None:
    bank = load_all()
    for folder in OWN_FOLDERS:
        shutil.rmtree(OUT / folder, ignore_errors=True)
    entries: list[dict] = []

    for scenario_id in SCENARIOS:
        scenario = bank.get_scenario(scenario_id)
        for number, turn in enumerate(scenario.turns, start=1):
            samples, rate = read_tts(turn.text, scenario.caller.voice, telephone=True)
            relative = f"calls/{scenario_id}/turn_{number}.ogg"
            entries.append(
                {
                    "path": relative,
                    "kind": "caller_turn",
                    "scenario": scenario_id,
                    "turn": number,
                    "mood": scenario.caller.mood,
                    "voice": scenario.caller.voice,
                    "telephone": True,
                    "text": turn.text,
                    "duration": encode_opus(samples, rate, OUT / relative),
                }
            )

    for lesson_id in LESSONS:
        lesson = bank.get_lesson(lesson_id)
        for number, example in enumerate(lesson.examples, start=1):
            samples, rate = read_tts(example.text, example.voice, example.telephone)
            relative = f"lessons/{lesson_id}/example_{number}.ogg"
            entries.append(
                {
                    "path": relative,
                    "kind": "example",
                    "lesson": lesson_id,
                    "example": number,
                    "voice": example.voice,
                    "telephone": bool(example.telephone),
                    "text": example.text,
                    "duration": encode_opus(samples, rate, OUT / relative),
                }
            )

    for task_id, spec in ANSWERS.items():
        task = bank.get_task(task_id)
        good = spec["good"].format(text=getattr(task, "text", None), sample_answer=getattr(task, "sample_answer", None))
        variants = [("good", good, 1.0, False), ("weak", spec["weak"], WEAK_TEMPO, False)]
        if spec.get("telephone"):
            variants.append(("good", good, 1.0, True))
        for quality, script, tempo, telephone in variants:
            samples, rate = render_answer(script, spec["voice"], tempo, telephone)
            relative = f"answers/{task_id}_{quality}{'_telephone' if telephone else ''}.ogg"
            entry = {
                "path": relative,
                "kind": "answer",
                "task": task_id,
                "task_type": task.type,
                "quality": quality,
                "voice": spec["voice"],
                "tempo": tempo,
                "telephone": telephone,
                "text": plain_text(script),
            }
            if quality == "weak":
                entry["script"] = script
                entry["pauses"] = parse_script(script)[1]
                entry["errors"] = spec["errors"]
            entry["duration"] = encode_opus(samples, rate, OUT / relative)
            entries.append(entry)

    header = (
        "# Demo and test audio; written by scripts/make_audio_samples.py, do not edit by hand.\n"
        "# path: relative to audio_samples/. duration: seconds. text: exactly what is spoken;\n"
        "# for weak answers, script marks the silent pauses inserted between phrases.\n"
    )
    body = yaml.safe_dump({"files": entries}, sort_keys=False, allow_unicode=True, width=100)
    (OUT / "manifest.yaml").write_text(header + body, encoding="utf-8")
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"wrote {len(entries)} files; audio_samples/ is {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
