"""Temp sound: each cue synthesised by ffmpeg's own sources, laid out as four stems.

- music: a sustained pad (root, fifth, octave; detuned between the ears, slowly swelling);
- ambience: a quiet bed of brown noise;
- sfx: a short hit (a falling thump and a noise burst) at the cue time — a zero-length cue is
  a hit at that instant with its natural decay;
- dialogue: the line spoken by ``espeak-ng`` (see :mod:`.voice`), or a voice-like placeholder
  whose bumps follow the line's syllables.

Every signal is written in cue time ``T = cue_offset + t``, so a cue that spans several shots
continues across the cuts: the pad keeps its phase, the fade-in happens only where the cue
begins and the fade-out only where it ends. Stems are exactly as long as the clip, sample for
sample. Nothing here is random at run time: noise and the small life in each sound (a pad's
swell, a voice's vibrato) take their seed and phase from the cue id, so two cues never share
a source and the same cue always sounds the same.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_python

from previz.backends.animatic.sheet import SOUND_KINDS, SoundCue
from previz.backends.animatic.voice import Speech, syllables
from previz.media.encoding import SAMPLE_RATE

# Synthesised voices and pads hold nothing above a few kHz, so ffmpeg's expression evaluator
# (the costly part) runs at a third of the output rate and the result is resampled.
SYNTH_RATE = 12_000
HIT_SECONDS = 0.35
HIT_GAIN = 0.56
"""A hit's thump and burst together peak near 1.25; scaled, a hit peaks about 3 dB below full
scale, and overlapping hits are averaged (not summed) in the SFX stem, so it never clips."""
FADE_SECONDS = 1.5
# Root notes for music pads (Hz); a cue's id picks one, so a cue sounds the same every time.
ROOTS = (55.0, 61.74, 65.41, 73.42, 82.41, 87.31, 98.0)

Stream = Any  # an ffmpeg-python stream node


def lavfi(source: str, **options: object) -> Stream:
    """An ffmpeg lavfi source as an input, option values quoted so expressions keep their commas."""
    spec = ":".join(f"{key}='{value}'" for key, value in options.items())
    return ffmpeg_python.input(f"{source}={spec}", f="lavfi")


def _seed(cue: SoundCue) -> int:
    return zlib.crc32(cue.id.encode("utf-8")) & 0x7FFFFFFF


def _samples(seconds: float) -> int:
    return round(seconds * SAMPLE_RATE)


def _phase(cue: SoundCue) -> str:
    """A phase (radians) peculiar to this cue."""
    return f"{(_seed(cue) % 6283) / 1000:.3f}"


def _envelope(cue: SoundCue, attack: float, release: float) -> str:
    """Gain in cue time: ramps in from the cue's start, out towards its end; continuous at cuts."""
    length = max(cue.cue_length, 1e-3)
    attack = min(attack, length / 2)
    release = min(release, length / 2)
    return f"max(0,min(1,min((T)/{attack:.4f},({length:.4f}-(T))/{release:.4f})))"


def _in_cue_time(expression: str, cue: SoundCue) -> str:
    return expression.replace("T", f"(t+{cue.cue_offset:.6f})")


def music(cue: SoundCue) -> Stream:
    root = ROOTS[_seed(cue) % len(ROOTS)] * 2
    env = _envelope(cue, FADE_SECONDS, FADE_SECONDS)
    swell = f"(0.85+0.15*sin(2*PI*0.11*T+{_phase(cue)}))"

    def voice(detune: float) -> str:
        tones = "+".join(
            f"{gain}*sin(2*PI*{root * ratio * detune:.4f}*T)"
            for ratio, gain in ((1.0, 0.5), (1.5, 0.3), (2.0, 0.22), (3.0, 0.08))
        )
        return _in_cue_time(f"0.14*{env}*{swell}*({tones})", cue)

    return _synth(f"{voice(1.0)}|{voice(1.003)}", cue.seconds)


def ambience(cue: SoundCue) -> Stream:
    noise = lavfi(
        "anoisesrc", color="brown", seed=_seed(cue), r=SAMPLE_RATE, a=0.5, d=cue.seconds
    ).filter("lowpass", f=900)
    gain = _in_cue_time(f"0.09*{_envelope(cue, FADE_SECONDS, FADE_SECONDS)}", cue)
    return noise.filter("volume", volume=gain, eval="frame").filter(
        "aformat", channel_layouts="stereo"
    )


def sfx(cue: SoundCue, clip_seconds: float) -> Stream:
    length = cue.seconds if cue.seconds > 1e-6 else min(HIT_SECONDS, clip_seconds - cue.start)
    decay = 6.9 / max(length, 0.05)  # about -60 dB by the end of the cue
    thump = "0.8*sin(2*PI*(45+140*exp(-25*T))*T)"
    seeded = f"0*if(eq(n,0),st(0,{_seed(cue)}),0)"  # seeds random(0) with the cue id
    burst = f"({seeded}+0.45*(2*random(0)-1)*exp(-30*T))"
    envelope = f"exp(-{decay:.4f}*T)*min(1,T/0.002)"
    hit = _in_cue_time(f"{HIT_GAIN}*({thump}+{burst})*{envelope}", cue)
    return _synth(f"{hit}|{hit}", max(length, 1.0 / SYNTH_RATE))


def placeholder_voice(cue: SoundCue, pitch: float) -> Stream:
    """A hummed line: one bump per syllable over the whole cue, pitch falling as lines do."""
    count = max(1, syllables(cue.text))
    length = max(cue.cue_length, 1e-3)
    rate = count / length
    vibrato = f"0.004*sin(2*PI*5.5*T+{_phase(cue)})"
    phase = f"2*PI*{pitch:.3f}*(1.08*T-0.08*T*T/{length:.4f}+{vibrato})"
    tone = f"(sin({phase})+0.5*sin(2*{phase})+0.3*sin(3*{phase})+0.12*sin(5*{phase}))"
    gate = f"pow(sin(PI*{rate:.5f}*T),2)*(0.8+0.2*sin(2*PI*{rate / 3:.5f}*T))"
    voice = _in_cue_time(f"0.25*{gate}*{tone}", cue)
    return _synth(f"{voice}|{voice}", cue.seconds)


def _synth(expressions: str, seconds: float) -> Stream:
    """``aevalsrc`` at :data:`SYNTH_RATE`, brought to the output rate."""
    source = lavfi("aevalsrc", exprs=expressions, s=SYNTH_RATE, d=f"{seconds:.6f}")
    return source.filter("aresample", SAMPLE_RATE)


def spoken(cue: SoundCue, speech: Speech) -> Stream:
    """The espeak take of a line, fitted into the cue and cut to this shot's part of it."""
    line = ffmpeg_python.input(str(speech.path)).audio.filter("aresample", SAMPLE_RATE)
    squeeze = speech.seconds / max(cue.cue_length, 1e-3)
    while squeeze > 1.001:  # atempo takes at most 2.0 per stage
        stage = min(2.0, squeeze)
        line = line.filter("atempo", f"{stage:.5f}")
        squeeze /= stage
    return (
        line.filter(
            "atrim", start=f"{cue.cue_offset:.6f}", end=f"{cue.cue_offset + cue.seconds:.6f}"
        )
        .filter("asetpts", "PTS-STARTPTS")
        .filter("volume", 0.9)
        .filter("aformat", channel_layouts="stereo")
    )


def cue_stream(
    cue: SoundCue, clip_seconds: float, speech: Speech | None, pitch: float
) -> Stream | None:
    """The sound of one cue, starting at 0, or ``None`` when it has nothing to play."""
    if cue.kind == "sfx":
        return sfx(cue, clip_seconds) if cue.start < clip_seconds else None
    if cue.seconds <= 1e-6:
        return None
    if cue.kind == "music":
        return music(cue)
    if cue.kind == "ambience":
        return ambience(cue)
    return spoken(cue, speech) if speech is not None else placeholder_voice(cue, pitch)


def stems(
    cues: tuple[SoundCue, ...],
    clip_samples: int,
    speeches: Mapping[str, Speech],
    pitches: Mapping[str, float],
) -> dict[str, Stream]:
    """One stereo stream per sound role, each exactly ``clip_samples`` long."""
    clip_seconds = clip_samples / SAMPLE_RATE
    laid: dict[str, list[Stream]] = {kind: [] for kind in SOUND_KINDS}
    for cue in cues:
        sound = cue_stream(cue, clip_seconds, speeches.get(cue.id), pitches.get(cue.id, 140.0))
        if sound is None:
            continue
        delay = _samples(cue.start)
        laid[cue.kind].append(
            sound.filter("aformat", sample_rates=SAMPLE_RATE, channel_layouts="stereo").filter(
                "adelay", delays=f"{delay}S", all=1
            )
        )
    silent = [kind for kind, parts in laid.items() if not parts]
    if silent:  # one silence, split: identical sources would collapse into one graph node
        silence = lavfi("anullsrc", r=SAMPLE_RATE, cl="stereo")
        copies = silence.filter_multi_output("asplit", len(silent)) if len(silent) > 1 else None
        for index, kind in enumerate(silent):
            laid[kind] = [copies[index] if copies is not None else silence]
    return {kind: _stem(parts, clip_samples, kind == "sfx") for kind, parts in laid.items()}


def _stem(parts: list[Stream], clip_samples: int, average: bool = False) -> Stream:
    if len(parts) == 1:
        bed = parts[0]
    else:
        bed = ffmpeg_python.filter(
            parts, "amix", inputs=len(parts), normalize=int(average), duration="longest"
        )
    return bed.filter("apad", whole_len=clip_samples).filter("atrim", end_sample=clip_samples)


def mixdown(streams: list[Stream]) -> Stream:
    """The clip's sound: every stem summed at unity, a little headroom kept."""
    mixed = ffmpeg_python.filter(streams, "amix", inputs=len(streams), normalize=0)
    return mixed.filter("volume", 0.85)


def pitch_for(speaker: str | None) -> float:
    """A stable speaking pitch (Hz) per speaker, so each character keeps their voice."""
    return 95.0 + (zlib.crc32((speaker or "").encode("utf-8")) % 120)


def stem_path(video: Path, kind: str) -> Path:
    return video.with_name(f"{video.stem}_{kind}.wav")
