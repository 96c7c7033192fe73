"""The offline animatic backend: every shot rendered locally as a timed storyboard clip.

For one job it draws the card with Pillow (once, as PNGs), speaks the dialogue with espeak-ng
if present, then runs one ffmpeg process that animates the camera move, lays on the lettering,
subtitles and burn-ins, synthesises the four sound stems and mixes them into the clip. All of it
happens in a scratch folder inside ``workdir``; the finished files are renamed into place at
the end (stems, card, then the clip), so a failure leaves earlier clips — and no half files —
behind. The same job renders the same bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

from PIL import Image

from previz.backends.animatic import card
from previz.backends.animatic.fonts import write_font_file
from previz.backends.animatic.framing import draw_framing
from previz.backends.animatic.graph import (
    COUNTER_FILE,
    COUNTER_TEXT,
    FONT_FILE,
    Overlay,
    Picture,
    command,
)
from previz.backends.animatic.motion import CameraMove, camera_move
from previz.backends.animatic.payload import animatic_payload
from previz.backends.animatic.sheet import ShotSheet, SoundCue, read_sheet
from previz.backends.animatic.sound import pitch_for, stem_path, stems
from previz.backends.animatic.voice import Speech, find_espeak, speak, syllables
from previz.backends.base import Capabilities, Job, LocalBackend, RenderedMedia
from previz.backends.payload import ShotFacts
from previz.errors import BackendError
from previz.media.encoding import exact_fps, frame_count, sample_count
from previz.media.ffmpeg import find_ffmpeg, output_error, run_ffmpeg_async


class AnimaticBackend(LocalBackend):
    """Renders storyboard-card clips with temp sound, offline, for free."""

    name = "animatic"
    version = "4"  # part of every cache key: raise it whenever the rendered bytes change
    default_model = "card"
    models = ("card",)

    def __init__(self, ffmpeg: Path | None = None, *, espeak: str | bool | None = None) -> None:
        self._ffmpeg = ffmpeg
        self._espeak = find_espeak(espeak)

    @property
    def espeak(self) -> str | None:
        """The espeak-ng that speaks dialogue, or ``None`` when lines are hummed."""
        return self._espeak

    def capabilities(self, model: str | None = None) -> Capabilities:
        return Capabilities(
            durations=None,
            sizes=None,
            audio=True,
            reference_images=False,
            cost_per_second=0.0,
            max_concurrency=os.cpu_count() or 1,
        )

    def payload(self, facts: ShotFacts) -> Mapping[str, Any]:
        """The card, slate, move and sound cues to draw (see :mod:`.payload`)."""
        return animatic_payload(facts)

    @property
    def ffmpeg(self) -> Path:
        """The ffmpeg binary, located on first use (listing backends needs no ffmpeg)."""
        if self._ffmpeg is None:
            self._ffmpeg = find_ffmpeg()
        return self._ffmpeg

    async def render(self, job: Job, workdir: Path) -> RenderedMedia:
        sheet = read_sheet(job.payload, job.shot_id)
        fps = exact_fps(job.fps)
        frames = frame_count(job.seconds, fps)
        _check_job(job, frames)
        ffmpeg = self.ffmpeg
        video = workdir / f"{job.shot_id}_t{job.take}.mp4"
        board = video.with_name(f"{video.stem}_card.png")
        kinds = ("dialogue", "sfx", "ambience", "music")
        stem_files = {kind: stem_path(video, kind) for kind in kinds}
        with _scratch(workdir, job.shot_id) as scratch:
            plan = _draw(sheet, job, fps, frames, scratch)
            speeches = await self._speak(sheet, scratch, job.shot_id)
            pitches = {cue.id: pitch_for(cue.speaker) for cue in sheet.sound}
            sound = stems(sheet.sound, sample_count(frames, fps), speeches, pitches)
            temp_video = scratch / "clip.mp4"
            temp_stems = {kind: scratch / f"{kind}.wav" for kind in kinds}
            args = command(plan, sound, temp_video, temp_stems)
            await run_ffmpeg_async(
                args, ffmpeg=ffmpeg, shot_id=job.shot_id, cwd=scratch, dest=video
            )
            moves = [(temp_stems[kind], stem_files[kind]) for kind in kinds]
            moves += [(scratch / "card.png", board), (temp_video, video)]
            for source, dest in moves:
                try:
                    os.replace(source, dest)
                except OSError as error:
                    raise output_error(error, path=dest, shot_id=job.shot_id) from error
        return RenderedMedia(video=video, stems=stem_files)

    async def _speak(self, sheet: ShotSheet, scratch: Path, shot_id: str) -> dict[str, Speech]:
        if self._espeak is None:
            return {}
        spoken: dict[str, Speech] = {}
        for index, cue in enumerate(sheet.sound):
            if cue.kind == "dialogue" and cue.seconds > 1e-6 and syllables(cue.text):
                dest = scratch / f"line{index}.wav"
                spoken[cue.id] = await speak(
                    cue.text, cue.speaker, dest, espeak=self._espeak, shot_id=shot_id
                )
        return spoken


def _check_job(job: Job, frames: int) -> None:
    problem = None
    if frames < 1:
        problem = f"a clip of {job.seconds} s at {job.fps} fps has no frames"
    elif job.width % 2 or job.height % 2 or job.width < 16 or job.height < 16:
        problem = f"the frame size {job.width}x{job.height} must be even and at least 16x16"
    if problem:
        raise BackendError(
            problem,
            shot_id=job.shot_id,
            backend="animatic",
            hint="set the project's resolution to even numbers and give the shot a length",
        )


@contextmanager
def _scratch(workdir: Path, shot_id: str) -> Iterator[Path]:
    """A scratch folder inside ``workdir`` (same disk, so the final renames are atomic)."""
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        folder = tempfile.TemporaryDirectory(prefix=f".{shot_id}-", dir=workdir)
    except OSError as error:
        raise output_error(error, path=workdir, shot_id=shot_id) from error
    with folder as name:
        yield Path(name)


def _draw(sheet: ShotSheet, job: Job, fps: Fraction, frames: int, scratch: Path) -> Picture:
    """Draw the card's images into ``scratch`` and return the picture plan that uses them."""
    width, height = job.width, job.height
    layout = card.Layout(width, height)
    move: CameraMove | None = camera_move(sheet.movement, width, height, frames, fps)
    diagram, framed, cast_layer = _diagram(sheet, move, width, height)
    bar = card.bar_height(width, height, sheet.letterbox)
    bottom = card.action(sheet, layout)
    panels = [card.slate(sheet, job.take, layout), card.heading(sheet, layout), bottom]
    still = card.board(card.letterboxed(framed, bar), panels)
    files: list[tuple[str, Image.Image]] = [("card.png", still)]
    overlays: list[Overlay] = []
    if move is not None:  # the diagram moves; the lettering is laid over it, standing still
        files.append(("diagram.png", diagram))
        if cast_layer is not None:
            files.append(("cast.png", cast_layer))
            overlays.append(Overlay("cast.png", 0, 0))
        for index, panel in enumerate(panels):
            files.append((f"panel{index}.png", panel.image))
            overlays.append(Overlay(f"panel{index}.png", panel.x, panel.y))
    for name, line, cue in _subtitles(sheet, layout, float(frames / fps), above=bottom.y):
        files.append((name, line.image))
        overlays.append(Overlay(name, line.x, line.y, cue.start, cue.end))
    try:
        for name, image in files:
            image.save(scratch / name, format="PNG")
        write_font_file(scratch / FONT_FILE)
        (scratch / COUNTER_FILE).write_text(COUNTER_TEXT, encoding="utf-8")
    except OSError as error:
        raise output_error(error, path=scratch, shot_id=job.shot_id) from error
    return Picture(
        width=width,
        height=height,
        fps=fps,
        frames=frames,
        still="card.png" if move is None else "diagram.png",
        move=move,
        overlays=overlays,
        text_size=layout.text_size,
        strip_top=layout.strip_top,
        strip_height=layout.strip_height,
        bar=bar,
    )


def _diagram(
    sheet: ShotSheet, move: CameraMove | None, width: int, height: int
) -> tuple[Image.Image, Image.Image, Image.Image | None]:
    """The diagram the camera moves over, the frame it shows at rest, and the cast layer if the
    cast is kept apart from the moving set."""
    overscan = move.overscan if move is not None else 0.0
    scale = move.supersample if move is not None else 1
    apart = move is not None and move.cast_apart
    diagram = draw_framing(
        sheet, width * scale, height * scale, overscan, "set" if apart else "whole"
    )
    pad_x, pad_y = round(width * scale * overscan), round(height * scale * overscan)
    framed = diagram.crop((pad_x, pad_y, pad_x + width * scale, pad_y + height * scale))
    if scale > 1:
        framed = framed.resize((width, height), Image.Resampling.LANCZOS)
    if not apart:
        return diagram, framed, None
    cast_layer = draw_framing(sheet, width, height, 0.0, "cast")
    framed = framed.convert("RGBA")
    framed.alpha_composite(cast_layer)
    return diagram, framed, cast_layer


def _subtitles(
    sheet: ShotSheet, layout: card.Layout, seconds: float, *, above: int
) -> Iterator[tuple[str, card.Panel, SoundCue]]:
    """A subtitle panel (and its file name) for every line that is heard in this clip.

    Lines heard at the same time (dual dialogue) are stacked, the later one above the earlier,
    so neither covers the other.
    """
    shown: list[tuple[SoundCue, card.Panel]] = []
    for index, cue in enumerate(sheet.sound):
        heard = cue.kind == "dialogue" and cue.seconds > 1e-6 and cue.start < seconds
        if heard and cue.text.strip():
            overlapping = [p.y for c, p in shown if c.start < cue.end and cue.start < c.end]
            line = card.subtitle(cue, layout, above=min([above, *overlapping]))
            shown.append((cue, line))
            yield f"subtitle{index}.png", line, cue
