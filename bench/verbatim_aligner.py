"""Can the aligner tell a repaired mistake from a form heard right? (issue 14, verbatim pass)

For every word of the cached grammar_speech transcripts that the verbatim pass would test
(``trainer.speech.verbatim.variants`` and ``at_risk``), PocketSphinx force-aligns the word
with its neighbours over their audio (Whisper's word times, 0.15 s either side) once as
written and once with each candidate form; the evidence for a form is its acoustic score
less the written form's. A candidate is *repaired* when the sentence said holds the form and
not the word written, *heard right* when the reverse. Printed per condition: the AUC of the
evidence, and the share of repaired mistakes restored when 1, 2 or 5 % of heard-right words
would be changed.

    nice .venv/bin/python bench/grammar_speech.py          # first: the cached transcripts
    nice .venv/bin/python bench/verbatim_aligner.py        # about 2 minutes on 2 cores
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grammar_speech  # noqa: E402

from trainer.features import pronunciation  # noqa: E402
from trainer.speech import tts, verbatim  # noqa: E402
from trainer.speech.audio import load_audio  # noqa: E402
from trainer.speech.textnorm import normalize  # noqa: E402
from trainer.speech.transcript import Transcript  # noqa: E402

PAD_SECONDS = 0.15
NEIGHBOURS = 1
CHANGED_SHARES = (0.01, 0.02, 0.05)


def _score(pcm: bytes, words: list[str]) -> float | None:
    tokens = [t for w in words for t in w.split()]
    added = {}
    for token in tokens:
        phones, source = pronunciation.pronunciation_of(token)
        if source == "g2p":
            added[token] = phones
    segments, _ = pronunciation._align(pcm, tokens, added, phone_level=False)
    return None if segments is None else float(sum(s.score for s in segments))


def candidates(condition: str) -> tuple[list[tuple[int, float]], float, float]:
    """([(1 repaired / 0 heard right, evidence)], seconds spent, seconds of audio)."""
    voice, telephone = grammar_speech.CONDITIONS[condition]
    cache = json.loads((grammar_speech.CACHE / f"{condition}-default.json").read_text())
    found: list[tuple[int, float]] = []
    spent = heard = 0.0
    for row in grammar_speech.load_rows():
        for kind in ("wrong", "right"):
            said = normalize(getattr(row, kind)).split()
            words = Transcript.from_dict(cache[f"{row.number}:{kind}"]["transcript"]).words
            audio = load_audio(tts.synthesize(getattr(row, kind), voice, telephone=telephone), require_speech=False)
            pcm, heard = audio.to_pcm16(), heard + audio.duration
            started = time.perf_counter()
            for i, word in enumerate(words):
                previous = words[i - 1].text if i else ""
                following = words[i + 1].text if i + 1 < len(words) else ""
                forms = dict.fromkeys(
                    f for f, k in verbatim.variants(word.text) if verbatim.at_risk(previous, word.text, following, f, k)
                )
                if not forms:
                    continue
                low, high = max(0, i - NEIGHBOURS), min(len(words), i + NEIGHBOURS + 1)
                start = max(0.0, words[low].start - PAD_SECONDS)
                end = min(audio.duration, words[high - 1].end + PAD_SECONDS)
                piece = pcm[2 * int(start * 16000) : 2 * int(end * 16000)]
                written = [normalize(w.text) for w in words[low:high]]
                base = _score(piece, written)
                core = normalize(word.text)
                for form in map(normalize, forms):
                    alternative = list(written)
                    alternative[i - low] = form
                    score = _score(piece, alternative)
                    if base is None or score is None:
                        continue
                    if form in said and core not in said:
                        found.append((1, score - base))
                    elif core in said and form not in said:
                        found.append((0, score - base))
            spent += time.perf_counter() - started
    return found, spent, heard


def report(name: str, found: list[tuple[int, float]]) -> None:
    truth = np.array([t for t, _ in found])
    evidence = np.array([e for _, e in found])
    repaired, right = evidence[truth == 1], evidence[truth == 0]
    auc = float(np.mean([(r > right).mean() + 0.5 * (r == right).mean() for r in repaired]))
    cells = [f"{name:<16} {len(repaired):>8} {len(right):>10} {auc:>6.2f}"]
    for share in CHANGED_SHARES:
        cells.append(f"{(repaired > np.quantile(right, 1 - share)).mean():>11.0%}")
    print("  ".join(cells))


def main() -> int:
    print(
        f"{'condition':<16} {'repaired':>8} {'heard right':>10} {'AUC':>6}  "
        + "  ".join(f"restored@{s:.0%}" for s in CHANGED_SHARES)
    )
    every: list[tuple[int, float]] = []
    spent = heard = 0.0
    for condition in grammar_speech.CONDITIONS:
        found, seconds, audio_seconds = candidates(condition)
        spent, heard = spent + seconds, heard + audio_seconds
        every += found
        report(condition, found)
    report("all", every)
    print(f"aligner time: {30 * spent / heard:.2f} s per 30 s of speech")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
