"""Shot cards reused from the page's last write: the page is byte-identical to a full write."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from previz.pipeline import BuildResult
from previz.products import ProductStore
from previz.review import page as page_module
from previz.review import read_build, write_review
from previz.review.build import ReviewBuild
from previz.review.cards import card_memo
from previz.review.page import PRODUCT, _review_templates, render_page
from previz.timeline.fragments import Fragments, Memo
from previz.timeline.reading import TIMELINE_FILE

Posters = dict[tuple[str, int], str]
SECRET = "sk-live-0123456789abcdef"


@pytest.fixture
def base(review_build: BuildResult) -> ReviewBuild:
    return read_build(review_build.out_dir)


def posters_of(build: ReviewBuild, tag: str = "") -> Posters:
    return {(s.id, t.number): f"posters/{s.id}-{t.number}{tag}.jpg" for s in build.shots
            for t in s.takes if t.media is not None}  # fmt: skip


def memo_in(tmp_path: Path) -> Memo:
    page = tmp_path / "review" / "index.html"
    page.parent.mkdir(exist_ok=True)
    return card_memo(tmp_path / "records", page, _review_templates(), "renderer-1")


def warm(memo: Memo, build: ReviewBuild, posters: Posters) -> None:
    """Write ``build``'s page as write_review does: page first, then its cards' memo."""
    fragments = Fragments(memo)
    memo.document.write_text(render_page(build, posters, {}, fragments), encoding="utf-8")
    fragments.save({memo.document.name: memo.document})


def from_memo(memo: Memo, build: ReviewBuild, posters: Posters) -> tuple[str, Fragments]:
    fragments = Fragments(memo)
    assert fragments.kept, "the memo of the previous write was not trusted"
    return render_page(build, posters, {}, fragments), fragments


def shot_changed(build: ReviewBuild) -> ReviewBuild:
    shots = list(build.shots)
    shots[1] = dataclasses.replace(shots[1], action="Bob <b>drops</b> the key.", frames=30)
    return dataclasses.replace(build, shots=tuple(shots))


def shots_removed_and_added(build: ReviewBuild) -> ReviewBuild:
    extra = dataclasses.replace(build.shots[0], id="s9", action="An added shot.")
    return dataclasses.replace(build, shots=(*build.shots[:1], extra, *build.shots[2:]))


def order_changed(build: ReviewBuild) -> ReviewBuild:
    # s3 (another scene) moves first: the scene headings move with the order
    return dataclasses.replace(build, shots=tuple(reversed(build.shots)))


def notes_and_takes_changed(build: ReviewBuild) -> ReviewBuild:
    shots = [dataclasses.replace(s, notes=f"note on {s.id} & <co>") for s in build.shots]
    shots[1] = dataclasses.replace(shots[1], takes=shots[1].takes[:1])
    return dataclasses.replace(build, shots=tuple(shots))


def cast_renamed(build: ReviewBuild) -> ReviewBuild:
    first = dataclasses.replace(build.characters[0], name="Evelyn")
    return dataclasses.replace(build, characters=(first, *build.characters[1:]))


def cast_reordered(build: ReviewBuild) -> ReviewBuild:
    return dataclasses.replace(build, characters=tuple(reversed(build.characters)))


def rate_changed(build: ReviewBuild) -> ReviewBuild:
    return dataclasses.replace(build, rate=Fraction(25))


CHANGES: dict[str, Callable[[ReviewBuild], ReviewBuild]] = {
    "shot changed": shot_changed,
    "shots removed and added": shots_removed_and_added,
    "order changed": order_changed,
    "notes and takes changed": notes_and_takes_changed,
    "cast renamed": cast_renamed,
    "cast reordered": cast_reordered,
    "rate changed": rate_changed,
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_page_from_a_memo_of_another_build_is_the_full_page(
    base: ReviewBuild, tmp_path: Path, change: str
) -> None:
    memo = memo_in(tmp_path)
    warm(memo, base, posters_of(base))
    after = CHANGES[change](base)
    html, _ = from_memo(memo, after, posters_of(after))
    assert html == render_page(after, posters_of(after), {})


def test_a_new_poster_renders_its_card_again(base: ReviewBuild, tmp_path: Path) -> None:
    memo = memo_in(tmp_path)
    warm(memo, base, posters_of(base))
    posters = posters_of(base)
    posters[(base.shots[0].id, 1)] = "posters/regenerated.jpg"
    html, fragments = from_memo(memo, base, posters)
    assert html == render_page(base, posters, {})
    assert (fragments.rendered, fragments.reused) == (1, len(base.shots) - 1)


def test_a_one_shot_change_renders_that_card_only(base: ReviewBuild, tmp_path: Path) -> None:
    memo = memo_in(tmp_path)
    warm(memo, base, posters_of(base))
    _, fragments = from_memo(memo, shot_changed(base), posters_of(base))
    assert (fragments.rendered, fragments.reused) == (1, len(base.shots) - 1)


def test_a_credential_set_since_the_last_write_is_blanked_from_reused_cards(
    base: ReviewBuild, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.endswith(("KEY", "TOKEN", "SECRET"))]:
        monkeypatch.delenv(name)
    shots = list(base.shots)
    shots[0] = dataclasses.replace(shots[0], prompt=f"a prompt pasted with {SECRET} in it")
    leaky = dataclasses.replace(base, shots=tuple(shots))
    memo = memo_in(tmp_path)
    warm(memo, leaky, posters_of(leaky))  # no credential set: the card shows the text as is
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    html, _ = from_memo(memo, leaky, posters_of(leaky))
    assert SECRET not in html
    assert html == render_page(leaky, posters_of(leaky), {})


def test_another_renderer_version_ignores_the_memo(base: ReviewBuild, tmp_path: Path) -> None:
    memo = memo_in(tmp_path)
    warm(memo, base, posters_of(base))
    other = dataclasses.replace(memo, version=memo.version.replace("renderer-1", "renderer-2"))
    assert Fragments(other).kept == 0


def test_a_damaged_memo_is_ignored(base: ReviewBuild, tmp_path: Path) -> None:
    memo = memo_in(tmp_path)
    warm(memo, base, posters_of(base))
    data = bytearray(memo.path.read_bytes())
    at = data.index(b"<li class")
    data[at + 1 : at + 3] = b"XX"  # same length: only the checksum can tell
    memo.path.write_bytes(bytes(data))
    assert Fragments(memo).kept == 0


def test_a_memo_of_a_page_changed_since_is_ignored(base: ReviewBuild, tmp_path: Path) -> None:
    memo = memo_in(tmp_path)
    warm(memo, base, posters_of(base))
    memo.document.write_text("edited by hand", encoding="utf-8")
    assert Fragments(memo).kept == 0


def test_write_review_renders_its_page_again_from_the_cards_it_kept(
    review_build: BuildResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = review_build.out_dir / "review" / "index.html"
    before = page.read_bytes()
    used: list[Fragments] = []

    class Spy(Fragments):
        def __init__(self, memo: Memo | None) -> None:
            super().__init__(memo)
            used.append(self)

    monkeypatch.setattr("previz.review.page.Fragments", Spy)
    for _ in range(2):  # the first keeps its cards (wherever product records go now)
        ProductStore(page.parent).forget(PRODUCT)  # the page is made again, not left alone
        write_review(review_build.out_dir)
        assert page.read_bytes() == before
    shots = len(read_build(review_build.out_dir).shots)
    assert (used[-1].rendered, used[-1].reused) == (0, shots)


@pytest.fixture
def copied(review_build: BuildResult, tmp_path: Path) -> Path:
    """The shared build's folder, copied (its product records are this test's own)."""
    return Path(shutil.copytree(review_build.out_dir, tmp_path / "out"))


def test_the_page_key_takes_a_recorded_timeline_from_its_record_unread(
    copied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeline = copied / TIMELINE_FILE
    ProductStore(copied).record(TIMELINE_FILE, "otio-export-key", [timeline])
    read: list[Path] = []
    monkeypatch.setattr(page_module, "_read", lambda path: read.append(path) or b"")
    page_module.inputs_key(copied)
    assert timeline not in read


def test_the_page_key_follows_a_timeline_edited_by_hand(copied: Path) -> None:
    timeline = copied / TIMELINE_FILE
    ProductStore(copied).record(TIMELINE_FILE, "otio-export-key", [timeline])
    before = page_module.inputs_key(copied)
    text = timeline.read_text(encoding="utf-8")
    timeline.write_text(text.replace('"s1"', '"s8"', 1), encoding="utf-8")  # same size
    after = page_module.inputs_key(copied)
    assert after != before
    timeline.write_text(text.replace('"s1"', '"s7"', 1), encoding="utf-8")
    assert page_module.inputs_key(copied) != after  # read from the bytes now
