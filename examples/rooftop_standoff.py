"""Rooftop Standoff — a scene built in Python with previz's builder.

Validate or build it like a YAML scene file:
    previz validate examples/rooftop_standoff.py
    previz build examples/rooftop_standoff.py --out out/rooftop
"""

from previz import ProjectBuilder, dialogue, music, sfx

project = ProjectBuilder(
    "Rooftop Standoff",
    fps=23.976,
    aspect="2.39",
    resolution="1280x720",
    style={"look": "overcast steel-blue dusk, hazy skyline", "film_stock": "Alexa 35, LogC"},
    defaults={"lens": "40mm anamorphic", "duration": "3s"},
)

iris = project.character(
    "iris",
    "Iris",
    description="a lean detective in her forties, silver-streaked bob, tired grey eyes",
    wardrobe="a long charcoal trench coat over a white shirt",
    voice="calm, clipped",
)
kade = project.character(
    "kade",
    "Kade",
    description="a restless young hacker, shaved head, a tattoo of circuitry up his neck",
    wardrobe="a torn black windbreaker, fingerless gloves",
    voice="fast, defiant, cracking under pressure",
)
project.location(
    "roof",
    name="Rooftop",
    description="a gravel rooftop crowded with air-conditioning units and a "
    "rusted water tower, the city stretching out below",
)
project.prop("drive", description="a matte-black hard drive with a blinking blue light")

scene = project.scene(
    "sc1",
    "EXT. ROOFTOP - DUSK",
    location="roof",
    lighting={
        "look": "blue hour",
        "key": "the last of the sky",
        "ratio": "3:1",
        "color_temperature": 7000,
        "quality": "soft",
    },
)
scene.bed({"kind": "ambience", "description": "wind, distant sirens, city hum"})

scene.shot(
    "sc1-010",
    "The skyline at dusk; a door bangs open onto the roof.",
    size="EWS",
    angle="high",
    movement="slow crane down",
    duration="4s",
    sound=[
        sfx("metal door slams open", at=1.0),
        music("low cello ostinato", at=0.5, until="sc1-060", id="standoff"),
    ],
)
scene.shot(
    "sc1-020",
    "Kade backs toward the ledge, clutching the hard drive.",
    size="FS",
    movement="fast truck left",
    cast=[kade],
    props=["drive"],
)
scene.shot(
    "sc1-030",
    "Iris steps out of the stairwell, hands open and visible.",
    size="MS",
    angle="low",
    cast=[iris],
    sound=[dialogue(iris, "Nobody else has to get hurt, Kade.", at=0.3)],
)
scene.shot(
    "sc1-040",
    "Over Iris's shoulder: Kade, wind tearing at his jacket.",
    size="OTS",
    cast=[iris, kade],
    lens="75mm",
    sound=[dialogue(kade, "You don't know what's on this!", at=0.4)],
)
scene.shot(
    "sc1-050",
    "Kade's thumb hovers over the drive's release latch.",
    size="INSERT",
    movement="slow push in",
    lens="100mm",
    duration="2s",
    props=["drive"],
    sound=[sfx("wind gust", at=0.2)],
)
scene.shot(
    "sc1-060",
    "Iris takes one careful step closer.",
    size="CU",
    movement="dolly zoom",
    cast=[iris],
    sound=[dialogue(iris, "Then show me.", at=1.0, delivery="quietly")],
)
scene.shot(
    "sc1-070",
    "Kade lowers the drive. The city lights flicker on behind him.",
    size="WS",
    movement="slow orbit clockwise",
    duration="4s",
    cast=[kade, iris],
    transition_out="dissolve 24f",
)
