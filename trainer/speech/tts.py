"""Caller voices: customer lines and lesson examples spoken by pyttsx3 on espeak-ng.

Each voice preset is a persona (espeak-ng voice and variant, rate, pitch), so simulated
calls do not all sound alike. Output can be rendered as a telephone line (8 kHz,
300-3400 Hz band, light noise). Results are cached on disk by a hash of everything
that shapes the sound, so a lesson played twice is synthesised once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from trainer.config import data_path
from trainer.speech.audio import from_array

CACHE_VERSION = "3"  # bump when synthesis or rendering changes what a cached file sounds like


@dataclass(frozen=True)
class VoicePreset:
    voice: str  # espeak-ng voice name plus "+variant"
    rate: int  # words per minute
    pitch: int  # 0-99, espeak-ng's default is 50
    description: str


VOICE_PRESETS: dict[str, VoicePreset] = {
    "calm_female": VoicePreset("en-us+f3", 160, 55, "a calm, even-paced woman"),
    "calm_male": VoicePreset("en-us+m3", 155, 45, "a calm, even-paced man"),
    "brisk_female": VoicePreset("en-us+f4", 190, 60, "a busy woman who talks fast"),
    "brisk_male": VoicePreset("en-us+m1", 190, 50, "a busy man who talks fast"),
    "elderly_male": VoicePreset("en-us+m7", 130, 35, "an older man who speaks slowly"),
    "young_female": VoicePreset("en-us+f2", 175, 70, "a young woman"),
    "irate_male": VoicePreset("en-us+m2", 200, 40, "an angry man who speaks quickly and loudly"),
    "irate_female": VoicePreset("en-us+f5", 200, 65, "an angry woman who speaks quickly"),
}
DEFAULT_VOICE = "calm_female"
ESPEAK_SAMPLE_RATE = 22050
TELEPHONE_SAMPLE_RATE = 8000

# espeak-ng is one global engine inside the process; pyttsx3 holds it too.
_engine_lock = threading.Lock()
_engine = None
_utterance_done = threading.Event()
SYNTHESIS_TIMEOUT_SECONDS = 60


class SpeechSynthesisError(RuntimeError):
    """The voice engine is missing or produced no audio."""


def _get_engine():
    global _engine
    if _engine is None:
        import pyttsx3

        try:
            engine = pyttsx3.init("espeak")
        except Exception as error:  # pyttsx3 raises bare errors when libespeak-ng is absent
            raise SpeechSynthesisError(
                "The caller voice is unavailable: espeak-ng is not installed (run ./run.sh app to set it up)."
            ) from error
        # espeak-ng synthesises on its own thread and pyttsx3's first loop after init
        # can return before the file is written: wait for the utterance's own end.
        engine.connect("finished-utterance", lambda **_: _utterance_done.set())
        _engine = engine
    return _engine


def _synthesise_to(path: Path, text: str, preset: VoicePreset) -> None:
    """One file per runAndWait: pyttsx3 2.99's espeak driver keeps only the last
    save_to_file target, so queuing two files would overwrite the first."""
    with _engine_lock:
        engine = _get_engine()
        # Set espeak-ng's parameters directly on the driver: engine.setProperty only
        # queues them, and a queued change can land after the next utterance started.
        driver = engine.proxy._driver
        _wait_until_idle()
        driver.setProperty("voice", preset.voice)
        driver.setProperty("rate", preset.rate)
        driver.setProperty("pitch", preset.pitch)
        _wait_until_idle()
        _utterance_done.clear()
        engine.save_to_file(text, str(path))
        engine.runAndWait()
        if not _utterance_done.wait(SYNTHESIS_TIMEOUT_SECONDS):
            raise SpeechSynthesisError("The voice engine did not finish in time.")
    if not path.is_file() or path.stat().st_size <= 44:
        raise SpeechSynthesisError(f"The voice engine produced no audio for: {text[:60]!r}")


def _wait_until_idle() -> None:
    """espeak-ng runs commands on its own thread; a parameter change sent while it is
    still finishing the previous utterance can be lost, so drain its queue first."""
    from pyttsx3.drivers import _espeak

    _espeak.Synchronize()


def cache_key(text: str, voice: str, telephone: bool) -> str:
    preset = VOICE_PRESETS[voice]
    material = "|".join([CACHE_VERSION, text.strip(), repr(asdict(preset)), str(telephone)])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:24]


def synthesize(text: str, voice: str = DEFAULT_VOICE, telephone: bool = False) -> Path:
    """A WAV file of ``text`` spoken by the preset ``voice``; cached on disk."""
    if not text.strip():
        raise ValueError("Nothing to say: the text is empty.")
    if voice not in VOICE_PRESETS:
        raise ValueError(f"Unknown voice {voice!r}; choose one of {', '.join(VOICE_PRESETS)}.")
    target = data_path("tts_cache", f"{cache_key(text, voice, telephone)}.wav")
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        _synthesise_to(raw, text, VOICE_PRESETS[voice])
        if telephone:
            import soundfile as sf

            samples, rate = sf.read(raw, dtype="float32")
            line = telephone_line(samples, rate)
            sf.write(Path(tmp) / "line.wav", line, TELEPHONE_SAMPLE_RATE, subtype="PCM_16")
            raw = Path(tmp) / "line.wav"
        partial = target.with_suffix(f".{os.getpid()}.part")
        shutil.copyfile(raw, partial)
        partial.replace(target)  # atomic: a concurrent reader never sees half a file
    return target


def telephone_line(samples: np.ndarray, sample_rate: int, noise_level: float = 0.004, seed: int = 0) -> np.ndarray:
    """Render audio as heard over a phone: 8 kHz, 300-3400 Hz, light line noise.

    The noise is seeded so the same line always sounds (and scores) the same.
    """

    spectrum = np.fft.rfft(samples.astype(np.float64))
    freqs = np.fft.rfftfreq(samples.size, d=1.0 / sample_rate)
    # Raised-cosine edges avoid the ringing a brick-wall filter would add.
    gain = np.clip((freqs - 250) / 100, 0, 1) * np.clip((3500 - freqs) / 200, 0, 1)
    gain = 0.5 - 0.5 * np.cos(np.pi * gain)
    band = np.fft.irfft(spectrum * gain, n=samples.size).astype(np.float32)
    narrow = from_array(band, sample_rate).samples  # to 16 kHz
    eight_k = narrow[::2]  # 16 kHz -> 8 kHz; the band-pass already removed content above 4 kHz
    rng = np.random.default_rng(seed)
    noisy = eight_k + rng.normal(0.0, noise_level, eight_k.size).astype(np.float32)
    peak = float(np.max(np.abs(noisy))) or 1.0
    return (noisy / max(peak, 1.0) * 0.95 if peak > 1.0 else noisy).astype(np.float32)
