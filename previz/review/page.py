"""The review page: ``BUILD_DIR/review/index.html``, opened from disk by a director or producer.

One static folder with relative paths and nothing fetched from anywhere: the page, its
stylesheet and script (shipped in the package's ``templates/review``), a generated stylesheet of
cast colours, a poster JPEG per take and a copy of each reference image. The animatic plays from
``../animatic.mp4``. Every string from the shot list goes through Jinja's autoescaping, and the
page's Content-Security-Policy allows scripts and styles from files only, so a ``<script>`` in an
action or a name is text and no inline handler can run. Values of credential-like environment
variables are blanked from every string, in case one was pasted into a shot list.

The page is a product (see :mod:`previz.products`): when nothing it is made of changed and
its files are the ones written last time, it is left alone without reading the build; when
something did, each file is still written only if its bytes change, so their mtimes stay, and
the cards of the shots that did not change are reused from the page's last write
(:mod:`previz.review.cards`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import opentimelineio as otio
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from previz.backends.http import redaction as redaction_module
from previz.generate.plan import content_hash
from previz.media import replacing
from previz.products import ProductStore, identity, product_key
from previz.prompts.compiled import compiled_templates
from previz.prompts.environment import package_templates
from previz.review import build as review_build_module
from previz.review import camera as camera_module
from previz.review import cards as cards_module
from previz.review import facts as facts_module
from previz.review import posters as posters_module
from previz.review.build import (
    ANIMATIC_FILE,
    CLIPS_DIR,
    RUN_COUNTERS,
    SUMMARY_FILE,
    ReviewBuild,
    read_build,
)
from previz.review.cards import Redaction, card_memo, render_cards
from previz.review.posters import TakeDigests, take_posters
from previz.timeline.formats import source_version
from previz.timeline.fragments import Fragments
from previz.timeline.reading import TIMELINE_FILE

REVIEW_DIR = "review"
PAGE_FILE = "index.html"
POSTER_DIR = "posters"
PRODUCT = "review-page"
DIGESTS = "take-digests.json"  # beside the page's product record: see posters.TakeDigests
PAGE_IGNORES = frozenset({*RUN_COUNTERS, "clips"})  # build.json fields the page key leaves out
ASSETS = ("review.css", "review.js")
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; connect-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIALS?)$|API_?KEY", re.I)


def write_review(build_dir: Path, timeline: otio.schema.Timeline | None = None) -> Path:
    """Write (or leave untouched, when unchanged) the review page of ``build_dir``; its path.

    ``timeline``: the one just written as ``timeline.otio``, still in memory (see
    :func:`~previz.review.build.read_build`)."""
    folder = build_dir / REVIEW_DIR
    key = inputs_key(build_dir)
    store = ProductStore(folder)
    redaction = Redaction(credential_values(os.environ))
    if store.current(PRODUCT, key) and _no_secret_shown(folder / PAGE_FILE, redaction):
        return folder / PAGE_FILE  # nothing it is made of changed, nor any file it wrote
    build = read_build(build_dir, timeline)
    folder.mkdir(parents=True, exist_ok=True)
    posters = _posters(build, folder / POSTER_DIR, TakeDigests(store.records / DIGESTS))
    references = _references(build, folder / "refs")
    renderer = source_version(sys.modules[__name__], redaction_module)
    memo = card_memo(store.records, folder / PAGE_FILE, _review_templates(), renderer)
    fragments = Fragments(memo)
    html = render_page(build, posters, references, fragments, redaction)
    for name in ASSETS:
        write_if_changed(folder / name, (_review_templates() / name).read_bytes())
    write_if_changed(folder / "cast.css", cast_stylesheet(build).encode())
    write_if_changed(folder / PAGE_FILE, html.encode())
    fragments.save({PAGE_FILE: folder / PAGE_FILE})  # after the page: see fragments.Memo
    # a page that had anything blanked is never current (its key holds no credential)
    recorded = f"blanked {key}" if redaction.touched else key
    store.record(PRODUCT, recorded, sorted(p for p in folder.rglob("*") if p.is_file()))
    return folder / PAGE_FILE


def inputs_key(build_dir: Path) -> str:
    """The page's content key, found without decoding anything: this code and its templates,
    what ``timeline.otio`` holds (every fact shown, the reference images' hashes),
    ``build.json`` but its run counters and the identity of every take file. A rebuild that
    only took everything from the cache changes the counters (cached, generated, spent) and
    nothing else, so it leaves the page — and the totals of the run that
    made this cut — as they were. No credential is in it (the record is in the user's cache):
    a page is current only if nothing was blanked from it when written and no credential set
    now shows in it (see :class:`~previz.review.cards.Redaction`)."""
    identities = _take_identities(build_dir / CLIPS_DIR)
    templates = [p.read_bytes() for p in sorted(_review_templates().iterdir()) if p.is_file()]
    return product_key(
        PRODUCT,
        source_version(
            sys.modules[__name__],
            review_build_module,
            facts_module,
            camera_module,
            posters_module,
            cards_module,
            redaction_module,
        ),
        *templates,
        _timeline_content(build_dir),
        _without_run_counters(_read(build_dir / SUMMARY_FILE)),
        (build_dir / ANIMATIC_FILE).is_file(),
        identities,
    )


def _no_secret_shown(page: Path, redaction: Redaction) -> bool:
    """Whether no credential set now shows in ``page`` (read only when one is set)."""
    return not redaction.secrets or redaction.absent_from(_read(page).decode("utf-8", "replace"))


def _timeline_content(build_dir: Path) -> list[str] | bytes:
    """What ``timeline.otio`` holds, for the page's key: the content key the export that wrote
    it recorded (the cut, the writer's version...), while the file is still the one it wrote
    — saving a read and a hash of the whole cut (3 MB at 200 shots) —, else its bytes (a
    folder whose products are not recorded here: copied, moved, edited by hand)."""
    recorded = ProductStore(build_dir).current_key(TIMELINE_FILE)
    return ["recorded", recorded] if recorded else _read(build_dir / TIMELINE_FILE)


def _take_identities(clips: Path) -> list[list[object]]:
    """``[name, size, mtime, inode]`` of every entry of ``clips`` by name (none without it)."""
    try:
        with os.scandir(clips) as entries:
            names = sorted(entry.name for entry in entries)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [[name, *identity((clips / name).stat())] for name in names]


def _without_run_counters(summary: bytes) -> Any:
    try:
        data = json.loads(summary)
    except ValueError:
        return summary
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k not in PAGE_IGNORES}
    return data


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def render_page(
    build: ReviewBuild,
    posters: Mapping[tuple[str, int], str],
    references: Mapping[Path, str],
    fragments: Fragments | None = None,
    redaction: Redaction | None = None,
) -> str:
    """The page's HTML; ``posters`` and ``references`` map to paths relative to the page.
    ``fragments``: the shot cards of the page's last write, reused by key (see
    :mod:`previz.review.cards`); without it every card is rendered. ``redaction``: blanks
    the credentials (by default those of the environment) and counts what it blanked."""
    if redaction is None:
        redaction = Redaction(credential_values(os.environ))
    environment = Environment(
        loader=FileSystemLoader(str(_review_templates())),
        bytecode_cache=compiled_templates(sys.modules[__name__]),  # compiled once, kept
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        finalize=redaction,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["seconds"] = lambda frames: f"{frames / build.fps:.1f}s"
    environment.filters["money"] = lambda usd: f"${usd:,.2f}"
    cards = render_cards(environment, build, posters, redaction, fragments or Fragments(None))
    return environment.get_template("index.html.j2").render(
        build=build,
        csp=CONTENT_SECURITY_POLICY,
        animatic=f"../{build.animatic.name}" if build.animatic else None,
        cards=cards,
        references=references,
        rate=f"{build.rate.numerator}/{build.rate.denominator}",
        storage_key=f"previz-notes:{build.title}:{build.folder.resolve().name}",
    )


def cast_stylesheet(build: ReviewBuild) -> str:
    """``.cast-N`` classes with each character's animatic colour (inline styles are forbidden)."""
    rules = [f".cast-{i} {{ --cast: {c.color}; }}" for i, c in enumerate(build.characters)]
    return "/* generated by previz: each character's animatic colour */\n" + "\n".join(rules) + "\n"


def credential_values(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Values of environment variables named like credentials (``*_API_KEY``, ``*_TOKEN``…)."""
    return tuple(v for k, v in environ.items() if _SECRET_NAME.search(k) and len(v) >= 8)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically unless it already holds exactly that; True if so."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    with replacing(path) as temp:
        temp.write_bytes(data)
    return True


def _review_templates() -> Path:
    return package_templates() / "review"


def _posters(build: ReviewBuild, folder: Path, digests: TakeDigests) -> dict[tuple[str, int], str]:
    """A poster per take that has media, keyed by (shot, take), as paths relative to the page."""
    made = take_posters(build, folder, digests)
    return {key: f"{folder.name}/{path.name}" for key, path in made.items()}


def _references(build: ReviewBuild, folder: Path) -> dict[Path, str]:
    """Each character's reference images copied beside the page, named by their content."""
    copied: dict[Path, str] = {}
    sources: Iterable[Path] = (p for c in build.characters for p in c.references)
    for source in sources:
        name = f"{content_hash(source)[:24]}{source.suffix.lower()}"
        dest = folder / name
        if not dest.exists():
            folder.mkdir(parents=True, exist_ok=True)
            with replacing(dest) as temp:
                shutil.copyfile(source, temp)
        copied[source] = f"{folder.name}/{name}"
    return copied
