"""``trainer pronounce``: per-word pronunciation labels for a read-aloud recording."""

from __future__ import annotations

import json
import sys

from trainer.features.pronunciation import assess_read_aloud
from trainer.speech.audio import AudioError, load_audio
from trainer.speech.textnorm import normalize


def register(subparsers) -> None:
    parser = subparsers.add_parser("pronounce", help="per-word pronunciation labels for a read-aloud recording")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--text", required=True, help="the text that was read")
    parser.add_argument("--json", action="store_true", help="print features and evidence as JSON")
    parser.set_defaults(handler=_cli_pronounce)


def _cli_pronounce(args) -> int:
    if not normalize(args.text).split():
        print("error: --text has no words to read", file=sys.stderr)
        return 2
    try:
        audio = load_audio(args.file)
    except AudioError as error:
        print(error.user_message, file=sys.stderr)
        return 1
    result = assess_read_aloud(audio, args.text)
    if args.json:
        print(json.dumps({"features": result.features(), "evidence": result.evidence()}, indent=2))
        return 0
    features = result.features()
    print(
        f"pronunciation accuracy {features['pronunciation_accuracy']:.0f}/100, "
        f"completeness {features['completeness']:.0f}/100"
    )
    for word in result.words:
        when = f"{word.start:6.2f}-{word.end:<6.2f}" if word.start is not None and word.end is not None else " " * 13
        gop = f"GOP {word.gop:6.2f}" if word.gop is not None else " " * 10
        heard = f"  heard: {word.heard}" if word.heard and word.heard != word.word else ""
        print(f"  {word.word:<16} {word.label:<14} {when} {gop}{heard}")
    for extra in result.inserted:
        print(f"  + {extra.word:<14} inserted       {extra.start:6.2f}-{extra.end:<6.2f}")
    for note in result.notes:
        print(f"Note: {note}")
    return 0
