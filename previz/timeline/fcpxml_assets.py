"""The assets of an FCPXML document: one ``<asset>`` per media file in its ``resources``.

An asset is made when the document first meets its file (:func:`asset_id`, asked for each
clip of the storyline and of every connected track) and describes the file itself, as Final
Cut expects: a sound file (WAV stem...) has no video format; a picture file is heard
(``hasAudio``) when it sounds — a clip of it on a sound track, or its probe facts say so. Each
asset's line is a fragment (:mod:`previz.timeline.fragments`) reused from the last write when
everything it is made of is the same.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import opentimelineio as otio

from previz.timeline import serialised
from previz.timeline.fragments import Fragments, key
from previz.timeline.media import media_url
from previz.timeline.xmltree import Element, Verbatim, lines_of

AUDIO_SUFFIXES = (".wav", ".aif", ".aiff", ".mp3", ".m4a", ".flac", ".caf")


class Document(Protocol):
    """What an asset needs of the document it is in (the FCPXML writer's)."""

    rate: Fraction
    resources: Element
    relative_to: Path | None
    assets: dict[str, Asset]  # by src
    fragments: Fragments

    def time(self, frames: int) -> str: ...

    def frames(self, time: otio.opentime.RationalTime) -> int: ...


def asset_id(
    document: Document,
    clip: otio.schema.Clip,
    stored: serialised.Data,
    own: str,
    audio: bool,
    facts: Any,
) -> str | None:
    """The id of the asset of ``clip``'s file (its media read from ``stored``, its JSON, whose
    digest is ``own``), made when the file is first seen; it is heard when the file sounds,
    the clip is on a sound track or its probe facts say the file has sound."""
    url = serialised.target_url(stored)
    if url is None:
        return None
    src = media_url(url, document.relative_to)
    asset = document.assets.get(src)
    if asset is None:
        asset = document.assets[src] = Asset(document, clip, own, src, len(document.assets) + 2)
        document.resources.append(asset)
    if not asset.heard:
        asset.heard = asset.sound_file or audio or bool(hasattr(facts, "get")
                                                         and facts.get("has_audio"))  # fmt: skip
    return asset.get("id")


class Asset(Verbatim):
    """A media file's asset, described as the file is: a WAV has no video format; a video
    file says whether it has sound. Written as a fragment: its key holds what its line is made
    of (the clip that named it, by its stored JSON's digest — its media and their range —,
    the src, the id, whether it is heard, the rate, the indent)."""

    __slots__ = ("clip", "document", "heard", "number", "own", "sound_file", "src")

    def __init__(self, document: Document, clip: otio.schema.Clip, own: str, src: str,
                 number: int) -> None:  # fmt: skip
        super().__init__("asset", id=f"r{number}")
        self.document, self.clip, self.own, self.src, self.number = (
            document, clip, own, src, number)  # fmt: skip
        self.sound_file = stem_and_suffix(src)[1].lower() in AUDIO_SUFFIXES
        self.heard = False

    def render(self, indent: str | None) -> str:
        parts = (str(self.document.rate), indent, self.own, self.src, self.number, self.heard)
        return self.document.fragments.render(
            key("asset", *parts), lambda: lines_of(self._element(), indent or "")
        )

    def _element(self) -> Element:
        document, available = self.document, self.clip.available_range()
        element = Element(
            "asset", id=self.get("id"), name=stem_and_suffix(self.src)[0], src=self.src,
            start="0s", duration=document.time(document.frames(available.end_time_exclusive())),
            hasVideo="0" if self.sound_file else "1",
        )  # fmt: skip
        if not self.sound_file:
            element.set("format", "r1")
        if self.heard:
            element.set("hasAudio", "1")
            element.set("audioSources", "1")
            element.set("audioChannels", "2")
            element.set("audioRate", "48000")
        return element


def stem_and_suffix(src: str) -> tuple[str, str]:
    """``Path(src).stem`` and ``.suffix``, without building a path per clip."""
    name = src.rpartition("/")[2]
    if name in ("", "."):  # a trailing slash or dot: the last part that names something
        parts = [part for part in src.split("/") if part and part != "."]
        name = parts[-1] if parts else ""
    dot = name.rfind(".")
    return (name[:dot], name[dot:]) if 0 < dot < len(name) - 1 else (name, "")
