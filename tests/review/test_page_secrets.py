"""Credentials stay out of the review page's cache: no card key, memo or page key holds them."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from pathlib import Path

import pytest
from markupsafe import escape

from previz.pipeline import BuildResult
from previz.products import ProductStore
from previz.review import read_build, write_review
from previz.review.build import ReviewBuild
from previz.review.page import PRODUCT, inputs_key, render_page
from previz.timeline.fragments import Fragments
from tests.review.test_page_cards import SECRET, from_memo, memo_in, posters_of, warm

QUOTED = 'pa"ss\\wo<rd>&1'  # a secret HTML-escaping (and repr) would spell otherwise


@pytest.fixture
def base(review_build: BuildResult, monkeypatch: pytest.MonkeyPatch) -> ReviewBuild:
    for name in [n for n in os.environ if re.search("KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", n)]:
        monkeypatch.delenv(name)
    return read_build(review_build.out_dir)


def pasted(build: ReviewBuild, secret: str) -> ReviewBuild:
    first = dataclasses.replace(build.shots[0], action=f"a note pasted with {secret} in it")
    return dataclasses.replace(build, shots=(first, *build.shots[1:]))


def test_card_keys_do_not_depend_on_the_credentials(
    base: ReviewBuild, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    without, with_one = memo_in(tmp_path / "a"), memo_in(tmp_path / "b")
    warm(without, base, posters_of(base))
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    warm(with_one, base, posters_of(base))
    # the same keys and cards: past the document's identity, the two memos are the same bytes
    assert (
        with_one.path.read_bytes().split(b"\0", 1)[1]
        == without.path.read_bytes().split(b"\0", 1)[1]
    )


def test_a_card_showing_a_secret_is_never_kept_in_the_memo(
    base: ReviewBuild, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    leaky = pasted(base, SECRET)
    memo = memo_in(tmp_path)
    warm(memo, leaky, posters_of(leaky))
    assert SECRET.encode() not in memo.path.read_bytes()
    assert Fragments(memo).kept == len(leaky.shots) - 1  # all cards but the blanked one
    html, fragments = from_memo(memo, leaky, posters_of(leaky))
    assert (fragments.rendered, fragments.reused) == (1, len(leaky.shots) - 1)
    assert SECRET not in html
    assert html == render_page(leaky, posters_of(leaky), {})


def test_a_secret_set_later_is_found_escaped_in_a_kept_card(
    base: ReviewBuild, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaky = pasted(base, QUOTED)
    memo = memo_in(tmp_path)
    warm(memo, leaky, posters_of(leaky))  # no credential set: the card shows it, escaped
    monkeypatch.setenv("LOCAL_PASSWORD", QUOTED)
    html, fragments = from_memo(memo, leaky, posters_of(leaky))
    assert fragments.rendered == 1
    assert QUOTED not in html and str(escape(QUOTED)) not in html
    assert html == render_page(leaky, posters_of(leaky), {})


@pytest.fixture
def copied(review_build: BuildResult, tmp_path: Path) -> Path:
    """The shared build's folder, copied (its product records are this test's own)."""
    return Path(shutil.copytree(review_build.out_dir, tmp_path / "out"))


def test_the_page_key_does_not_depend_on_the_credentials(
    copied: Path, base: ReviewBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    without = inputs_key(copied)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    assert inputs_key(copied) == without


def test_a_page_showing_a_credential_set_since_is_written_again(
    copied: Path, base: ReviewBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = write_review(copied)
    shown = base.shots[0].action
    assert len(shown) >= 8 and str(escape(shown)) in page.read_text(encoding="utf-8")
    monkeypatch.setenv("STUDIO_TOKEN", shown)  # its value is on the page written without it
    write_review(copied)
    assert str(escape(shown)) not in page.read_text(encoding="utf-8")
    assert ProductStore(page.parent).current_key(PRODUCT) != inputs_key(copied)  # blanked


def test_a_card_whose_shot_holds_a_secret_it_does_not_show_is_never_kept(
    base: ReviewBuild, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card does not show a shot's location, yet its key digests the whole shot."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    first = dataclasses.replace(base.shots[0], location=f"a note pasted with {SECRET} in it")
    hidden = dataclasses.replace(base, shots=(first, *base.shots[1:]))
    memo = memo_in(tmp_path)
    warm(memo, hidden, posters_of(hidden))
    assert Fragments(memo).kept == len(hidden.shots) - 1  # all cards but that shot's
    html, fragments = from_memo(memo, hidden, posters_of(hidden))
    assert (fragments.rendered, fragments.reused) == (1, len(hidden.shots) - 1)
    assert html == render_page(hidden, posters_of(hidden), {})
