"""Camera moves, animated by ffmpeg over the still framing diagram — no per-frame Python.

Every move becomes expressions of the frame number for one ffmpeg filter:
- dolly in / zoom in: ``zoompan`` pushing into the frame (a zoom is slower than a dolly: it
  magnifies, it does not travel); dolly out / zoom out: the same, pulling out;
- dolly zoom: the set alone pulls out behind a cast that keeps its size (the cast is drawn on
  its own layer and laid over the moving set — the "Vertigo" effect);
- pan, truck, follow, orbit: ``crop`` drifting horizontally over an overscanned diagram;
- tilt, pedestal, crane: the same, vertically;
- handheld: ``crop`` shaking on a sum of incommensurate sines (deterministic, not random);
- static: the still, held.
Speed sets the rate (per second), capped so the frame never leaves the drawn picture. A move's
direction flips its drift; the middle of the shot is the neutral framing, so the card reads
as drawn at the shot's midpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from previz.backends.animatic.sheet import Movement

ZOOM_RATE = {"slow": 0.04, "medium": 0.08, "fast": 0.16}  # fraction of frame per second
DRIFT_RATE = {"slow": 0.025, "medium": 0.06, "fast": 0.12}  # of frame width per second
SHAKE = {"slow": 0.006, "medium": 0.012, "fast": 0.022}  # amplitude, fraction of height
MAX_ZOOM = 0.4
DRIFT_OVERSCAN = 0.16
SHAKE_OVERSCAN = 0.05

PUSH = ("dolly_in", "zoom_in")
PULL = ("dolly_out", "zoom_out", "dolly_zoom")
HORIZONTAL = ("pan", "truck", "follow", "orbit")
VERTICAL = ("tilt", "pedestal", "crane")


@dataclass(frozen=True)
class CameraMove:
    """One ffmpeg filter (name and options) that animates a diagram ``overscan`` too large.

    ``supersample`` is how many times the frame size the diagram is drawn at: zoompan places
    its window on whole input pixels, so a slow push-in on a 1x drawing wobbles by a pixel;
    on a 2x drawing the steps are half a pixel of output and the move reads smooth.
    """

    filter: str
    options: dict[str, str | int]
    overscan: float
    supersample: int = 1
    cast_apart: bool = False  # only the set moves; the cast is laid over it, still


def camera_move(
    movement: Movement, width: int, height: int, frames: int, fps: Fraction
) -> CameraMove | None:
    """The filter animating ``movement`` over ``frames`` frames, or ``None`` for a held frame."""
    seconds = frames / fps
    kind, speed = movement.type, movement.speed
    progress = f"(on/{max(1, frames - 1)})"
    if kind in PUSH or kind in PULL:
        rate = ZOOM_RATE.get(speed, ZOOM_RATE["medium"]) * (0.5 if kind.startswith("zoom") else 1)
        amount = min(MAX_ZOOM, rate * float(seconds))
        ramp = progress if kind in PUSH else f"(1-{progress})"
        zoom = f"1+{amount:.6f}*{ramp}"
        return CameraMove(
            "zoompan",
            {
                "z": zoom,
                "x": "iw/2-(iw/zoom/2)",
                "y": "ih/2-(ih/zoom/2)",
                "d": frames,
                "s": f"{width}x{height}",
                "fps": _rate(fps),
            },
            overscan=0.0,
            supersample=2,
            cast_apart=kind == "dolly_zoom",
        )
    if kind in HORIZONTAL or kind in VERTICAL:
        return _drift(movement, width, height, frames, float(seconds))
    if kind in ("handheld", "steadicam"):
        return _shake(kind, speed, width, height)
    return None


def _drift(movement: Movement, width: int, height: int, frames: int, seconds: float) -> CameraMove:
    horizontal = movement.type in HORIZONTAL
    span = width if horizontal else height
    room = DRIFT_OVERSCAN * span * 2
    travel = min(room, DRIFT_RATE.get(movement.speed, DRIFT_RATE["medium"]) * width * seconds)
    backwards = (
        movement.direction in ("left", "down") if horizontal or movement.direction else False
    )
    if not horizontal:  # screen y grows downwards: tilting up shows what is above
        backwards = movement.direction != "down"
    sign = -1 if backwards else 1
    pad_x, pad_y = round(DRIFT_OVERSCAN * width), round(DRIFT_OVERSCAN * height)
    step = f"({sign}*{travel:.3f}*(n/{max(1, frames - 1)}-0.5))"
    x = f"{pad_x}+{step}" if horizontal else str(pad_x)
    y = str(pad_y) if horizontal else f"{pad_y}+{step}"
    return CameraMove("crop", {"w": width, "h": height, "x": x, "y": y}, DRIFT_OVERSCAN)


def _shake(kind: str, speed: str, width: int, height: int) -> CameraMove:
    amplitude = SHAKE.get(speed, SHAKE["medium"]) * height * (0.4 if kind == "steadicam" else 1)
    slow = 0.35 if kind == "steadicam" else 1.0
    pad_x, pad_y = round(SHAKE_OVERSCAN * width), round(SHAKE_OVERSCAN * height)
    a = f"{amplitude:.3f}"
    x = f"{pad_x}+{a}*(sin({1.7 * slow:.3f}*t)+0.6*sin({4.3 * slow:.3f}*t+1.1))"
    y = f"{pad_y}+{a}*(sin({2.3 * slow:.3f}*t+0.5)+0.5*sin({5.9 * slow:.3f}*t+2.0))"
    return CameraMove("crop", {"w": width, "h": height, "x": x, "y": y}, SHAKE_OVERSCAN)


def _rate(fps: Fraction) -> str:
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"
