"""The shot cards of the review page, each reused from the page's last write when it shows the same.

A one-shot change alters one card of a 200-shot page; the other 199 render to the bytes they
had. Each card is a fragment (:mod:`previz.timeline.fragments`, the memo the text exports use:
writer version, CRC, the page's identity) under a key made of EVERYTHING ``card.html.j2``
reads: the whole :class:`~previz.review.build.ReviewShot` (its ``repr``: every field, its
takes and cues), whether it opens a scene, the posters of its takes, the name and colour index
of each cast member and the frame rate (durations in seconds). The credentials are NOT in
the key (the memo sits in the user's cache, and a digest of a short secret could be guessed
offline): a card is only ever made of what its key holds plus :class:`Redaction`, which
blanks the credentials from each value shown, so a card whose values hold none is the same
with or without them. A card rendered while some value was blanked (a secret, a masked echo)
is used and never saved; a saved card is reused only when no credential set now shows in it,
as is or HTML-escaped (escaping maps each character on its own, so a value holding a secret
puts the escaped secret into the card). A shot holding a credential in any of its values,
shown or not, is rendered and never kept either: its key, a digest of the whole shot, would
otherwise carry one into the memo. The memo's version is the card template and this
code, so changing either renders every card again. The page is the join of its cards and
the rest of ``index.html.j2``, so it is byte-identical to a page whose cards are all
rendered, as the tests check from memos warmed by other builds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import Environment
from markupsafe import escape

from previz.backends.http.redaction import redact
from previz.review.build import ReviewBuild, ReviewShot
from previz.timeline.formats import source_version
from previz.timeline.fragments import Fragments, Memo, key

CARD_TEMPLATE = "card.html.j2"


class Card:
    """A rendered card put into the page as it is (already escaped and redacted)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __html__(self) -> str:
        return self.text


class Redaction:
    """The page's ``finalize``: every string shown goes through :func:`redact`, counting those
    it touches (a credential in it, a masked echo). Without secrets only a masked echo
    (``***``) can change a string, so one without it is shown as it is, skipping the pattern
    search (~7,000 strings on a 200-shot page)."""

    __slots__ = ("secrets", "touched")

    def __init__(self, secrets: tuple[str, ...]) -> None:
        self.secrets = secrets
        self.touched = 0  # strings shown blanked (or holding a secret) so far

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str) and (self.secrets or "***" in value):
            shown = redact(value, self.secrets)
            if shown != value or any(secret in value for secret in self.secrets):
                self.touched += 1
            return shown
        return value

    def absent_from(self, text: str) -> bool:
        """Whether no secret shows in ``text`` (HTML), as it is or escaped."""
        return not any(s in text or str(escape(s)) in text for s in self.secrets)


def _holds(value: object, secrets: tuple[str, ...]) -> bool:
    """Whether any string in ``value`` (a dataclass, a sequence, a mapping or a string, at
    any depth) holds one of ``secrets``."""
    if isinstance(value, str):
        return any(secret in value for secret in secrets)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts: Iterable[object] = (getattr(value, f.name) for f in dataclasses.fields(value))
    elif isinstance(value, Mapping):
        parts = (*value.keys(), *value.values())
    elif isinstance(value, (tuple, list, set, frozenset)):
        parts = value
    else:
        return False
    return any(_holds(part, secrets) for part in parts)


def _never(*_: object) -> bool:
    return False


def card_memo(records: Path, page: Path, templates: Path, renderer: str) -> Memo:
    """Where the cards of ``page`` are kept: beside its product record, versioned by this
    code, the card template, Jinja's version and ``renderer`` (the version of the code that
    sets up the environment: its filters and the redaction of every string)."""
    template = (templates / CARD_TEMPLATE).read_bytes()
    version = "/".join(
        (source_version(sys.modules[__name__]), renderer, jinja2.__version__,
         hashlib.sha256(template).hexdigest())
    )  # fmt: skip
    return Memo(records / f"{page.name}.cards", page, version)


def render_cards(
    environment: Environment,
    build: ReviewBuild,
    posters: Mapping[tuple[str, int], str],
    redaction: Redaction,
    fragments: Fragments,
) -> list[Card]:
    """Every shot's card in cut order, kept from ``fragments``' last write when its key is
    (and no credential shows in it); a card that had anything blanked is not kept.
    ``redaction`` must be ``environment``'s finalize."""
    template = environment.get_template(CARD_TEMPLATE)
    characters = {c.id: c for c in build.characters}
    cast_index = {c.id: i for i, c in enumerate(build.characters)}
    shared = (CARD_TEMPLATE, str(build.rate))
    reusable = redaction.absent_from if redaction.secrets else None
    cards = []
    previous: ReviewShot | None = None
    for shot in build.shots:
        scene_heading = previous is None or shot.scene != previous.scene
        shown = [(shot.id, 0), *((shot.id, take.number) for take in shot.takes)]
        cast = [
            (m, cast_index.get(m), characters[m].name if m in characters else None)
            for m in shot.cast
        ]
        card_key = key(shared, shot, scene_heading, [(k[1], posters.get(k)) for k in shown], cast)

        def make(shot: ReviewShot = shot, scene_heading: bool = scene_heading) -> str:
            return template.render(
                shot=shot,
                scene_heading=scene_heading,
                posters=posters,
                characters=characters,
                cast_index=cast_index,
            )

        def clean(before: int = redaction.touched) -> bool:
            return redaction.touched == before

        if redaction.secrets and _holds(shot, redaction.secrets):
            # a secret in a field the card may not show would still be digested into its key
            cards.append(Card(fragments.render(card_key, make, _never, _never)))
        else:
            cards.append(Card(fragments.render(card_key, make, reusable, clean)))
        previous = shot
    return cards
