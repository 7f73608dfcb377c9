"""``trainer transcribe`` and ``trainer say``: the speech layer on its own."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from trainer.speech.asr import RecognitionError, transcribe
from trainer.speech.audio import AudioError, load_audio
from trainer.speech.tts import DEFAULT_VOICE, VOICE_PRESETS, synthesize


def register(subparsers) -> None:
    parser = subparsers.add_parser("transcribe", help="transcribe recordings (the model is loaded once)")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--engine", choices=["whisper", "sphinx"], default=None)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(handler=_cli_transcribe)

    parser = subparsers.add_parser("say", help="synthesise a caller line to a WAV file")
    parser.add_argument("text")
    parser.add_argument("--voice", default=DEFAULT_VOICE, choices=sorted(VOICE_PRESETS))
    parser.add_argument("--telephone", action="store_true", help="render as a phone line")
    parser.add_argument("--out", help="copy the WAV here (default: print the cached path)")
    parser.set_defaults(handler=_cli_say)


def _cli_transcribe(args) -> int:
    failures = 0
    for name in args.files:
        try:
            audio = load_audio(name)
            result = transcribe(audio, args.engine)
        except RecognitionError as error:  # the installation, not this file: no use going on
            print(f"trainer transcribe: {error}", file=sys.stderr)
            return 2
        except AudioError as error:
            failures += 1
            if args.json:
                print(json.dumps({"file": name, "error": error.code, "message": error.user_message}))
            else:
                print(f"{name}: {error.user_message}", file=sys.stderr)
            continue
        if args.json:
            print(
                json.dumps(
                    {
                        "file": name,
                        "text": result.text,
                        "words": [w.__dict__ for w in result.words],
                        "engine": result.engine,
                        "model": result.model,
                        "language": result.language,
                        "audio_seconds": round(result.audio_seconds, 3),
                        "processing_seconds": round(result.processing_seconds, 3),
                    }
                ),
                flush=True,
            )
        else:
            print(f"{name}: {result.text}", flush=True)
    return 1 if failures else 0


def _cli_say(args) -> int:
    path = synthesize(args.text, args.voice, args.telephone)
    if args.out:
        shutil.copyfile(path, args.out)
        path = Path(args.out)
    print(path)
    return 0
