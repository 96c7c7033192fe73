"""The shot-list DSL: scene format models, vocabulary, YAML loader and Python builder."""

from previz.shotlist.builder import (
    CharacterRef,
    ProjectBuilder,
    SceneBuilder,
    ambience,
    dialogue,
    music,
    sfx,
)
from previz.shotlist.cues import ResolvedCue
from previz.shotlist.heading import Heading, parse_heading
from previz.shotlist.loader import from_data, load
from previz.shotlist.models import SCHEMA_VERSION, ShotList
from previz.shotlist.resolve import ResolvedShot, ResolvedShotList

__all__ = [
    "SCHEMA_VERSION",
    "CharacterRef",
    "Heading",
    "ProjectBuilder",
    "ResolvedCue",
    "ResolvedShot",
    "ResolvedShotList",
    "SceneBuilder",
    "ShotList",
    "ambience",
    "dialogue",
    "from_data",
    "load",
    "music",
    "parse_heading",
    "sfx",
]
