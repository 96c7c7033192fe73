"""The media layer: ffmpeg located and run, files probed, clips joined, frames pulled out.

Everything that touches encoded media goes through here, so the rest of previz never builds
an ffmpeg command line or parses media headers itself.
"""

from __future__ import annotations

from previz.media.concat import concat_clips
from previz.media.encoding import exact_fps, frame_count, sample_count
from previz.media.ffmpeg import find_ffmpeg, run_ffmpeg, run_ffmpeg_async
from previz.media.files import replacing
from previz.media.frames import extract_frame, last_frame
from previz.media.probe import MediaInfo, probe

__all__ = [
    "MediaInfo",
    "concat_clips",
    "exact_fps",
    "extract_frame",
    "find_ffmpeg",
    "frame_count",
    "last_frame",
    "probe",
    "replacing",
    "run_ffmpeg",
    "run_ffmpeg_async",
    "sample_count",
]
