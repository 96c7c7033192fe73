"""The review page's folder: self-contained, relative, locked down, untouched when unchanged."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from previz.cli import cli
from previz.pipeline import BuildResult, build
from previz.review import read_build, write_review
from previz.review.page import render_page
from tests.integration.test_build import FailingShot


@pytest.fixture(scope="module")
def page(review_build: BuildResult) -> Path:
    assert review_build.review is not None
    return review_build.review


def test_every_build_writes_a_review_page(review_build: BuildResult) -> None:
    assert review_build.review == review_build.out_dir / "review" / "index.html"


def test_every_file_the_page_uses_is_a_relative_path_inside_the_build(page: Path) -> None:
    tree = lxml_html.parse(str(page))
    links = tree.xpath("//@src | //link/@href")
    assert links
    for link in links:
        assert "://" not in link and not link.startswith("/")
        target = (page.parent / link).resolve()
        assert target.is_file() and page.parent.parent.resolve() in target.parents


def test_the_page_has_no_inline_script_or_event_handler(page: Path) -> None:
    tree = lxml_html.parse(str(page))
    assert all(script.get("src") and not (script.text or "").strip()
               for script in tree.iter("script"))  # fmt: skip
    handlers = [
        a for e in tree.iter() if isinstance(e.tag, str) for a in e.attrib if a.startswith("on")
    ]
    assert handlers == []


def test_the_content_security_policy_forbids_inline_script_and_the_network(page: Path) -> None:
    tree = lxml_html.parse(str(page))
    (policy,) = tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    rules = dict(rule.strip().split(" ", 1) for rule in policy.split(";"))
    assert rules["default-src"] == "'none'" and rules["connect-src"] == "'none'"
    assert rules["script-src"] == "'self'"
    assert "unsafe" not in policy


def test_each_character_chip_has_the_animatic_colour(review_build: BuildResult, page: Path) -> None:
    css = (page.parent / "cast.css").read_text()
    tree = lxml_html.parse(str(page))
    for shot, character in (("s1", "eve"), ("s2", "bob")):
        (chip,) = tree.xpath(f"//li[@id='shot-{shot}']//li[contains(@class, 'chip')]/@class")
        (cast_class,) = (c for c in chip.split() if c.startswith("cast-"))
        assert f".{cast_class} {{ --cast: {review_build.shotlist.colors[character]}; }}" in css


def test_reference_images_are_copied_beside_the_page(page: Path) -> None:
    tree = lxml_html.parse(str(page))
    (reference,) = tree.xpath("//div[@class='references']/img/@src")
    assert reference.startswith("refs/") and (page.parent / reference).is_file()


def test_every_take_has_a_poster_and_the_selected_one_is_marked(page: Path) -> None:
    tree = lxml_html.parse(str(page))
    takes = tree.xpath("//li[@id='shot-s2']//li[contains(@class, 'take')]")
    assert [t.get("class").split() for t in takes] == [["take", "selected"], ["take"]]
    assert all(t.xpath(".//img/@src")[0].startswith("posters/") for t in takes)


def test_an_unchanged_build_leaves_the_page_untouched(review_build: BuildResult) -> None:
    folder = review_build.out_dir / "review"
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    write_review(review_build.out_dir)
    after = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    assert after == before


def test_credentials_in_the_environment_never_reach_the_page(
    review_build: BuildResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-live-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    build = read_build(review_build.out_dir)
    leaked = dataclasses.replace(build.shots[0], prompt=f"a prompt pasted with {secret} in it")
    html = render_page(dataclasses.replace(build, shots=(leaked, *build.shots[1:])), {}, {})
    assert secret not in html
    assert re.search(r"a prompt pasted with \*+ in it", html)


def test_a_masked_key_echoed_by_a_service_is_blanked_with_no_credentials_set(
    review_build: BuildResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if re.search("KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", n)]:
        monkeypatch.delenv(name)
    build = read_build(review_build.out_dir)
    echoed = dataclasses.replace(build.shots[0], prompt="rejected key sk-ab***wxyz, try again")
    html = render_page(dataclasses.replace(build, shots=(echoed, *build.shots[1:])), {}, {})
    assert "sk-ab***wxyz" not in html
    assert "rejected key ***, try again" in html


def test_the_totals_say_running_time_shots_and_what_was_generated(page: Path) -> None:
    tree = lxml_html.parse(str(page))
    totals = {
        dt.text_content(): dd.text_content()
        for dt, dd in zip(
            tree.xpath("//dl[@id='totals']//dt"), tree.xpath("//dl[@id='totals']//dd"), strict=True
        )
    }
    assert totals == {
        "Running time": "00:00:04:12", "Shots": "4", "Generated": "4", "Cached": "0",
        "Failed": "1", "Spend": "$0.00",
    }  # fmt: skip


def test_a_failed_shot_shows_why(page: Path) -> None:
    tree = lxml_html.parse(str(page))
    (failure,) = tree.xpath("//li[@id='shot-s3']//p[@class='failure']")
    assert "blocked by policy" in failure.text_content()


def test_review_of_a_folder_without_a_build_is_one_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["review", str(tmp_path)])
    assert result.exit_code == 2
    assert "no timeline.otio" in result.output and "previz build" in result.output


def test_the_page_a_build_writes_is_the_page_its_folder_makes(review_build: BuildResult) -> None:
    # the build renders from its timeline in memory; `previz review` reads timeline.otio back
    folder = review_build.out_dir / "review"
    written = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    shutil.rmtree(folder)
    write_review(review_build.out_dir)
    again = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert again == written


def test_a_moved_build_keeps_its_posters(review_build: BuildResult, tmp_path: Path) -> None:
    moved = tmp_path / "moved"
    shutil.copytree(review_build.out_dir, moved)
    shutil.rmtree(moved / "review")
    page = write_review(moved)  # the timeline still names the clips where they were built
    tree = lxml_html.parse(str(page))
    posters = tree.xpath("//div[@class='poster']/img/@src")
    assert len(posters) == 3 and all((page.parent / p).is_file() for p in posters)


def test_a_poster_shows_the_middle_of_what_the_cut_plays(page: Path) -> None:
    tree = lxml_html.parse(str(page))
    (untrimmed,) = tree.xpath("//li[@id='shot-s1']//div[@class='poster']/img/@src")
    (trimmed,) = tree.xpath("//li[@id='shot-s4']//div[@class='poster']/img/@src")
    assert untrimmed.endswith("-12.jpg")  # 24 frames, none trimmed: frame 12
    assert trimmed.endswith("-18.jpg")  # clip_in 6f + 24 // 2


def test_a_poster_deleted_by_hand_is_made_again(review_build: BuildResult) -> None:
    posters = sorted((review_build.out_dir / "review" / "posters").glob("*.jpg"))
    posters[0].unlink()
    write_review(review_build.out_dir)
    assert posters[0].is_file()


def test_a_changed_build_rewrites_the_page(review_build: BuildResult, tmp_path: Path) -> None:
    copy = tmp_path / "out"
    shutil.copytree(review_build.out_dir, copy)
    page = write_review(copy)
    summary = json.loads((copy / "build.json").read_text())
    (copy / "build.json").write_text(json.dumps({**summary, "failures": []}))
    write_review(copy)
    (failed,) = lxml_html.parse(str(page)).xpath("//dl[@id='totals']/div[dt='Failed']/dd/text()")
    assert failed == "0"


def test_a_rebuild_from_the_cache_leaves_the_page_untouched(review_build: BuildResult) -> None:
    folder = review_build.out_dir / "review"
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    again = build(
        review_build.shotlist.source_path, out=review_build.out_dir, formats=["otio"],
        backends={"animatic": FailingShot("s3")},
    )  # fmt: skip
    assert again.report.generated == 0 and again.report.cached == review_build.report.generated
    after = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    assert after == before


def test_the_hand_off_files_are_linked_relatively(page: Path) -> None:
    links = lxml_html.parse(str(page)).xpath("//section[@class='handoff']//a/@href")
    assert links == ["../animatic.mp4", "../timeline.otio"]
    assert all((page.parent / link).is_file() for link in links)


def test_previz_build_prints_where_the_review_page_is(review_project: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["build", str(review_project), "--out", str(tmp_path / "out"), "-f", "otio"]
    )
    assert result.exit_code == 0, result.output
    page = tmp_path / "out" / "review" / "index.html"
    assert f"review: {page}" in " ".join(result.output.split()) and page.is_file()
