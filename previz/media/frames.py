"""Single frames out of a clip: any moment as an image, and the last frame as a PNG.

The last frame of a take seeds the next shot in continuity mode; tests sample frames to check
what is on screen. Decoding goes through PyAV: seek to the keyframe before the moment, then
decode forward to the frame that is showing at that moment.
"""

from __future__ import annotations

from pathlib import Path

import av
from PIL import Image

from previz.errors import MediaError
from previz.media.ffmpeg import output_error
from previz.media.files import replacing


def extract_frame(path: Path, seconds: float) -> Image.Image:
    """The frame on screen ``seconds`` into ``path`` (the last frame if past the end)."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            time_base = stream.time_base
            if time_base is None:
                raise MediaError("the video stream has no time base", path=path)
            container.seek(max(0, int(seconds / time_base)), stream=stream, backward=True)
            shown: av.VideoFrame | None = None
            for frame in container.decode(stream):
                if shown is not None and frame.time is not None and frame.time > seconds + 1e-6:
                    break
                shown = frame
    except (av.FFmpegError, OSError, IndexError) as error:
        raise MediaError(f"cannot decode a frame: {error}", path=path) from error
    if shown is None:
        raise MediaError("the clip has no video frames", path=path)
    image: Image.Image = shown.to_image()  # type: ignore[no-untyped-call]
    return image


def last_frame(path: Path, dest: Path) -> Path:
    """Write the clip's final frame to ``dest`` as a PNG (atomically) and return ``dest``."""
    try:
        with av.open(str(path)) as container:
            seconds = (container.duration or 0) / 1_000_000
    except (av.FFmpegError, OSError) as error:
        raise MediaError(f"cannot read media: {error}", path=path) from error
    image = extract_frame(path, seconds)
    with replacing(dest) as temp:
        try:
            image.save(temp, format="PNG")
        except OSError as error:
            raise output_error(error, path=dest) from error
    return dest
