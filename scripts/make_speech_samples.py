"""Regenerate audio_samples/speech/: espeak-ng utterances with known transcripts.

Used by the ASR benchmark and tests. Three kinds of lines: plain call-centre sentences,
answers with fillers ("um", "uh") and answers with grammar mistakes, so we can measure
whether recognition keeps what an assessment must see.
Run: .venv/bin/python scripts/make_speech_samples.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import soundfile as sf

from trainer.speech.tts import VOICE_PRESETS, synthesize

OUT = Path(__file__).resolve().parent.parent / "audio_samples" / "speech"

LINES = [
    ("plain", "Thank you for calling Northwind Telecom, my name is Grace, how may I help you today?"),
    ("plain", "I can see that your order was shipped on Monday and should arrive by Friday."),
    ("plain", "May I have your account number so I can pull up your records?"),
    ("plain", "I understand how frustrating this must be, and I will do my best to fix it."),
    ("plain", "Your refund of forty five dollars will be credited within five business days."),
    ("plain", "Please hold for a moment while I check the status of your claim."),
    ("plain", "Is there anything else I can help you with today?"),
    ("plain", "The technician will visit your home between nine and eleven in the morning."),
    ("plain", "Could you please spell your last name for me?"),
    ("plain", "I am transferring your call to our billing department now."),
    ("fillers", "Um, I think the, uh, the package was delivered to the wrong address."),
    ("fillers", "So, uh, you know, I have been working in sales for, um, two years."),
    ("fillers", "Uh, let me check, um, your payment was received yesterday."),
    ("fillers", "I, um, I would like to, uh, cancel my subscription."),
    ("grammar", "He go to the office every day and he work very hard."),
    ("grammar", "She don't like the new plan because it cost too much."),
    ("grammar", "Yesterday I call the customer and I explain the problem."),
    ("grammar", "I am agree with you that the service are very slow."),
    ("grammar", "There is many reason why I want to work in a call center."),
    ("grammar", "I have a experience in customer service since three years."),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    voices = list(VOICE_PRESETS)
    rows = []
    for index, (kind, text) in enumerate(LINES):
        voice = voices[index % len(voices)]
        samples, rate = sf.read(synthesize(text, voice), dtype="float32")
        name = f"{kind}_{index:02d}.flac"
        sf.write(OUT / name, samples, rate, format="FLAC")
        rows.append({"file": name, "kind": kind, "voice": voice, "text": text})
    with (OUT / "transcripts.tsv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "kind", "voice", "text"], delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} files to {OUT}")


if __name__ == "__main__":
    main()
