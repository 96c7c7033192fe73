"""A generated scene file that uses every part of the cascade, for the golden-prompt tests.

Project, scene and shot defaults; lighting merged over three layers; wardrobe per scene;
locations named by heading; props; omitted shots and head trims; transitions; every cue kind
with start/end/duration, ``until`` across cuts and scene beds ``from`` a later shot; YAML
anchors, a merge key, escapes and YAML 1.2 scalars (``no``, ``on``, timecodes stay text).
"""

from __future__ import annotations

SIZES = ["EWS", "wide", "FS", "medium shot", "MCU", "close up", "ECU", "OTS", "INSERT", "two shot"]
ANGLES = ["eye level", "low", "high", "dutch", "overhead", "worms eye"]
MOVES = [
    "static",
    "slow dolly in",
    "pan left",
    "fast truck right",
    "tilt up",
    "handheld",
    "crane up",
    "zoom in",
    "orbit clockwise",
    "steadicam",
]
LENSES = ["24mm", "35mm f/2", "50mm f/1.8", "85mm T/2.8", "40mm f/4 anamorphic", "100"]
BACKENDS = ["animatic", "veo", "runway", "luma", "openai"]
HEADINGS = [
    "INT. WAREHOUSE - NIGHT",
    "EXT. ALLEY - CONTINUOUS",
    "INT./EXT. CAR - DAWN",
    "EXT. ROOFTOP - MAGIC HOUR",
    "INT. DINER",
]


def varied_scene_text(scenes: int = 10, per_scene: int = 7) -> str:
    """A valid scene file of ``scenes`` × ``per_scene`` shots, varied by index."""
    lines = [
        "schema_version: 1",
        "project:",
        "  title: Varied — a café at 00:00:02:12",
        "  fps: 23.976",
        "  aspect: 2.39",
        "  resolution: 1080p",
        "  style:",
        "    look: neo-noir, wet streets",
        "    grade: teal and orange",
        "    film_stock: Kodak Vision3 500T",
        "    era: no",
        '    notes: "tabs\\tand a quote \\" inside"',
        "  lighting: {color_temperature: 3200K, practicals: neon signs}",
        "  defaults: {lens: 35mm f/2, duration: 3s, takes: 2, negative_prompt: text, seed: 0x1F}",
    ]
    lines += ["characters:"]
    for c in range(5):
        lines += [
            f"  - id: c{c}",
            f"    name: Person {c}",
            f"    description: >-\n      person number {c}, tall,\n      scar over one eye  ",
        ]
        if c % 2:
            lines += [
                "    wardrobe:",
                f"      default: a long coat number {c}",
                f"      scenes: {{sc1: a wet coat, sc{c + 1}: 'on: a uniform'}}",
            ]
        elif c:
            lines += [f"    wardrobe: a jumper, {c}"]
    lines += [
        "locations:",
        "  - {id: warehouse, name: Warehouse, description: a cavernous warehouse}",
        "  - {id: alley, description: '  a narrow alley, rain  '}",
        "  - {id: car, name: Car, description: inside a parked car}",
        "props:",
        "  - {id: case, name: case, description: a dented aluminium case}",
        "  - {id: key, description: a brass key}",
        "scenes:",
    ]
    for s in range(scenes):
        lines += _scene(s, per_scene)
    return "\n".join(lines) + "\n"


def _scene(s: int, per_scene: int) -> list[str]:
    lines = [f"  - id: sc{s}", f"    heading: {HEADINGS[s % len(HEADINGS)]}"]
    if s % 5 == 4:
        lines += ["    location: car"]
    if s % 3 == 0:
        anchor = " &night" if s == 0 else ""
        lines += [f"    lighting:{anchor}", "      look: low-key", "      key: a work light"]
    elif s % 3 == 1:
        lines += ["    lighting: {fill: bounce, back: cyan spill, color_temperature: 5600}"]
    if s % 2:
        lines += [f"    defaults: {{size: CU, movement: slow push in, duration: {s % 3 + 2}s}}"]
    lines += ["    sound:", "      - {kind: ambience, description: room tone}"]
    if s % 2 == 0:
        lines += [
            f"      - {{kind: music, id: theme{s}, description: a drone, from: sh{s}-2,"
            f" until: sh{s}-{per_scene - 2}, end: 1}}"
        ]
    lines += ["    shots:"]
    for k in range(per_scene):
        lines += _shot(s, k, per_scene)
    return lines


def _shot(s: int, k: int, per_scene: int) -> list[str]:
    n = s * per_scene + k
    lines = [f"      - id: sh{s}-{k}"]
    if n % 4:
        lines += [f"        size: {SIZES[n % len(SIZES)]}"]
    if n % 3:
        lines += [f"        angle: {ANGLES[n % len(ANGLES)]}"]
    if n % 5:
        lines += [f"        movement: {MOVES[n % len(MOVES)]}"]
    if n % 6 == 1:
        lines += [f"        lens: {LENSES[n % len(LENSES)]}"]
    if n % 7 == 3:
        lines += ["        duration: 52f"]
    elif n % 7 == 5:
        lines += ["        duration: 00:00:02:12"]
    lines += [f'        action: "Beat {n}: Person {n % 5} crosses\\u2014and stops.  "']
    lines += [f"        cast: [c{n % 5}, c{(n + 2) % 5}]" if n % 3 else "        cast: []"]
    if n % 4 == 2:
        lines += ["        props: [case, key]" if n % 8 == 2 else "        props: [key]"]
    if n % 9 == 4:
        lines += ["        location: alley"]
    if n % 5 == 3:
        light = "*night" if n % 2 else "{key: a torch, look: flashlight}"
        lines += [f"        lighting: {light}"]
    if n % 6 == 2:
        lines += [f"        backend: {BACKENDS[n % len(BACKENDS)]}"]
    if n % 8 == 6:
        lines += ["        transition_in: dissolve 6f", "        transition_out: fade to black"]
    if n % 11 == 7:
        lines += ["        clip_in: 6f"]
    if n % 13 == 9 and 2 < k < per_scene - 2:
        lines += ["        omit: true"]
    lines += ["        sound:", *_cues(s, k, n, per_scene)]
    return lines


def _cues(s: int, k: int, n: int, per_scene: int) -> list[str]:
    cue = "          - {kind: "
    cues = [f"{cue}dialogue, speaker: c{n % 5}, line: 'Line {n}: yes.', start: 0.5}}"]
    if n % 3 == 1:
        cues += [
            f"          - {{kind: dialogue, speaker: c{(n + 1) % 5}, line: on, mode: VO,"
            " delivery: whispering, start: 1, end: 1.8}"
        ]
    if n % 4 == 3:
        cues += [f"{cue}dialogue, speaker: c0, line: Who's there?, mode: OS, start: 0.2}}"]
    cues += ["          - {kind: sfx, description: footstep, start: 1.5}"]
    if n % 5 == 0:
        cues += ["          - {kind: sfx, description: a door slams, start: 12f, duration: 0.25}"]
    if n % 6 == 0 and k < per_scene - 3:
        cues += [
            f"          - {{kind: music, description: a sting, start: 1, until: sh{s}-{k + 2},"
            " end: 0.5, diegetic: false}"
        ]
    return cues
