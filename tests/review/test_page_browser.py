"""The review page in a real headless Chromium: opened from disk, driven like a reviewer would."""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from previz import timebase
from previz.pipeline import BuildResult
from previz.review import read_build
from previz.review.notes import merge_notes
from previz.review.page import render_page
from previz.shotlist.loader import load
from tests.conftest import REPO
from tests.review.browser import Browser
from tests.review.conftest import TITLE

ARTEFACTS = REPO / "artefacts"


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the page")


@pytest.fixture
def page(browser: Browser, review_build: BuildResult) -> Browser:
    """The shared build's review page, freshly loaded with no notes stored, the video ready."""
    assert review_build.review is not None
    browser.open(review_build.review)
    browser.js("window.localStorage.clear()")
    browser.open(review_build.review)
    wait_for(lambda: browser.js("return document.getElementById('player').readyState >= 1"))
    return browser


def player_time(page: Browser) -> float:
    wait_for(lambda: page.js("return !document.getElementById('player').seeking"))
    return float(page.js("return document.getElementById('player').currentTime"))


def test_the_page_loads_from_disk_without_a_console_error(page: Browser) -> None:
    time.sleep(0.3)
    problems = [e for e in page.console() if e["level"] in ("SEVERE", "WARNING")]
    assert problems == []


def test_the_page_requests_nothing_but_its_own_files(page: Browser, review_build) -> None:
    page.js("document.getElementById('player').play()")
    time.sleep(0.5)
    requests = page.requests()
    schemes = {r["request"]["url"].split(":", 1)[0] for r in requests}
    assert not schemes & {"http", "https", "ws", "wss", "ftp"}, schemes
    mine = [r["request"]["url"] for r in requests if r["documentURL"].startswith("file://")]
    assert any(u.endswith("/animatic.mp4") for u in mine)
    assert any(u.endswith("/review.js") for u in mine)
    build_dir = review_build.out_dir.resolve().as_uri() + "/"
    files = [u for u in mine if not u.startswith(("data:", "blob:"))]  # the player's own icons
    assert all(u.startswith(build_dir) for u in files), files


def test_clicking_a_shot_puts_the_player_at_its_record_time(page: Browser) -> None:
    page.driver.find_element("id", "shot-s2").click()
    assert abs(player_time(page) - 24 / 24) < 0.5 / 24
    assert page.js("return document.getElementById('timecode').textContent") == "01:00:01:00"


def test_the_shot_under_the_playhead_is_highlighted(page: Browser) -> None:
    page.driver.find_element("id", "shot-s4").click()
    player_time(page)
    current = page.js("return [...document.querySelectorAll('li.shot.current')].map(e => e.id)")
    assert current == ["shot-s4"]


def test_playing_moves_the_highlight_to_the_next_shot(page: Browser) -> None:
    page.driver.find_element("id", "shot-s1").click()
    player_time(page)
    page.js("document.getElementById('player').play()")
    wait_for(lambda: page.js("return document.getElementById('player').currentTime > 1.2"))
    assert page.js("return document.querySelector('li.shot.current').id") == "shot-s2"


def test_editor_keys_step_shots_and_frames(page: Browser) -> None:
    keys = page.driver.find_element("tag name", "body")
    keys.send_keys("\ue015")  # ↓ next shot: s2 at frame 24
    assert round(player_time(page) * 24) == 24
    keys.send_keys("\ue014", "\ue014")  # → → two frames on
    assert round(player_time(page) * 24) == 26
    keys.send_keys("\ue012")  # ← one frame back
    assert round(player_time(page) * 24) == 25
    keys.send_keys("\ue013")  # ↑ back to the head of this shot
    assert round(player_time(page) * 24) == 24


def test_hostile_strings_stay_text(page: Browser) -> None:
    assert page.driver.title == f"{TITLE} — previz review"
    assert page.js("return document.querySelectorAll('img[src=x], svg, b, u, i').length") == 0
    action = page.js("return document.querySelector('#shot-s1 .action').textContent")
    assert action.startswith("<script>document.title='pwned'</script>")
    chip = page.js("return document.querySelector('#shot-s1 .chip').textContent")
    assert chip.startswith("Eve <img")


def download_notes(page: Browser, reviewer: str, shot: str, text: str) -> Path:
    """Type ``text`` as a note on ``shot`` and download notes.json; its path."""
    for old in page.downloads.glob("*"):
        old.unlink()
    page.driver.find_element("id", "reviewer-name").send_keys(reviewer)
    field = page.driver.find_element("css selector", f"#shot-{shot} form.shot-note textarea")
    field.send_keys(text)
    page.driver.find_element("css selector", f"#shot-{shot} form.shot-note button").click()
    page.driver.find_element("id", "download-notes").click()
    saved: Path = wait_for(lambda: next(page.downloads.glob("notes.json"), None))
    wait_for(lambda: saved.read_text().endswith("}\n"))
    return saved


def test_a_note_typed_in_the_page_comes_out_in_notes_json(page: Browser) -> None:
    saved = download_notes(page, "Dana <Director>", "s2", "Hold on Bob a beat longer </script>")
    notes = json.loads(saved.read_text())
    assert notes["reviewer"] == "Dana <Director>"
    assert notes["notes"] == [
        {
            "reviewer": "Dana <Director>",
            "shot": "s2",
            "record_timecode": "01:00:01:00",
            "text": "Hold on Bob a beat longer </script>",
            "frame": 24,
            "created": notes["notes"][0]["created"],
        }
    ]


def test_notes_from_the_page_merge_into_the_scene_file(
    page: Browser, review_project: Path, tmp_path: Path
) -> None:
    scene = tmp_path / review_project.name
    shutil.copy(review_project, scene)
    shutil.copy(review_project.parent / "eve.png", tmp_path)
    saved = download_notes(page, "Dana", "s4", "end on the skyline")
    assert merge_notes(scene, saved, apply=True).written
    assert load(scene).shot("s4").shot.notes == "01:00:03:12 Dana: end on the skyline"


def test_a_note_at_the_playhead_names_the_shot_and_timecode_there(page: Browser) -> None:
    page.js("document.getElementById('player').currentTime = (30 + 0.01) / 24")
    player_time(page)
    page.driver.find_element("id", "playhead-text").send_keys("too dark here")
    page.driver.find_element("css selector", "#playhead-note button").click()
    stored = page.js("return JSON.parse(localStorage.getItem(document.body.dataset.storageKey))")
    assert [(n["shot"], n["record_timecode"], n["text"]) for n in stored] == [
        ("s2", "01:00:01:06", "too dark here")
    ]


def test_the_notes_list_jumps_to_a_note(page: Browser) -> None:
    field = page.driver.find_element("css selector", "#shot-s3 form.shot-note textarea")
    field.send_keys("wider here\n")  # Enter adds the note
    (jump,) = page.driver.find_elements("css selector", "#all-notes .note-jump")
    assert jump.text == "01:00:02:12 s3"
    page.driver.find_element("id", "shot-s1").click()
    jump.click()
    assert round(player_time(page) * 24) == 60


def test_a_screenshot_of_the_page_is_kept(page: Browser, tmp_path: Path) -> None:
    page.driver.find_element("id", "reviewer-name").send_keys("Dana")
    field = page.driver.find_element("css selector", "#shot-s2 form.shot-note textarea")
    field.send_keys("Hold on Bob a beat longer\n")
    page.driver.find_element("id", "shot-s2").click()
    player_time(page)
    shot = tmp_path / "review-page.png"
    assert page.driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000
    ARTEFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTEFACTS / "review-page.png")


def presented_frame(page: Browser) -> int:
    """The frame the player is showing, from the frame it hands to the compositor."""
    seconds = page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const video = document.getElementById('player');"
        "video.requestVideoFrameCallback((now, meta) => done(meta.mediaTime));"
        "video.currentTime = video.currentTime;"  # present the current frame again
    )
    return round(float(seconds) * 24)


def test_a_seek_presents_exactly_the_shots_first_frame(page: Browser) -> None:
    page.driver.find_element("id", "shot-s3").click()
    player_time(page)
    assert presented_frame(page) == 60


def test_the_cut_strip_seeks_to_a_shot(page: Browser) -> None:
    page.driver.find_element("css selector", "#strip [data-shot='s4']").click()
    assert round(player_time(page) * 24) == 84
    assert "current" in page.driver.find_element(
        "css selector", "#strip [data-shot='s4']"
    ).get_attribute("class")


def test_space_and_l_play_k_stops_and_l_again_doubles_the_speed(page: Browser) -> None:
    keys = page.driver.find_element("tag name", "body")
    state = "const v = document.getElementById('player'); return [v.paused, v.playbackRate]"
    keys.send_keys(" ")
    assert page.js(state) == [False, 1]
    keys.send_keys("k")
    assert page.js(state) == [True, 1]
    keys.send_keys("l", "l")
    assert page.js(state) == [False, 2]
    keys.send_keys("k")
    assert page.js(state)[0] is True


def test_j_shuttles_backwards(page: Browser) -> None:
    page.driver.find_element("id", "shot-s4").click()
    start = player_time(page)
    page.driver.find_element("tag name", "body").send_keys("j")
    wait_for(lambda: page.js("return document.getElementById('player').currentTime") < start - 0.1)
    page.driver.find_element("tag name", "body").send_keys("k")


def test_on_paper_the_player_is_hidden_and_each_shot_is_a_row(page: Browser) -> None:
    page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert (
            page.js("return getComputedStyle(document.querySelector('.viewer')).display") == "none"
        )
        rows = page.js(
            "return [...document.querySelectorAll('li.shot .card')]"
            ".map(e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom, r.width]; })"
        )
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(rows))  # stacked, not side by side
        page_width = page.js("return document.documentElement.clientWidth")
        assert all(width > 0.8 * page_width for _, _, width in rows)
    finally:
        page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_the_printed_page_lists_every_shot(page: Browser, tmp_path: Path) -> None:
    printed = page.driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})
    pdf = tmp_path / "printed.pdf"
    pdf.write_bytes(base64.b64decode(printed["data"]))
    if shutil.which("pdftotext") is None:
        pytest.skip("reading the printout back needs poppler-utils")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert all(shot in text for shot in ("s1", "s2", "s3", "s4"))
    assert "Note at the playhead" not in text


@pytest.mark.parametrize("start", [1799, 1800, 17982, 108000 + 1800])
def test_the_playhead_timecode_counts_non_drop_frames_at_29_97_like_the_exports(
    browser: Browser, review_build: BuildResult, tmp_path: Path, start: int
) -> None:
    ntsc = dataclasses.replace(
        read_build(review_build.out_dir), rate=Fraction(30000, 1001), start_frame=start,
        animatic=None,
    )  # fmt: skip
    for asset in ("review.css", "review.js", "cast.css"):
        shutil.copy(review_build.out_dir / "review" / asset, tmp_path)
    page = tmp_path / "index.html"
    page.write_text(render_page(ntsc, {}, {}).replace(ntsc.timecode(0), "--:--:--;--"))
    browser.open(page)
    expected = timebase.timecode(start, Fraction(30000, 1001))
    assert expected.count(":") == 3
    assert browser.js("return document.getElementById('timecode').textContent") == expected


def test_the_list_scrolls_to_the_shot_the_strip_jumps_to(page: Browser) -> None:
    page.js("document.querySelector('.shotlist').style.maxHeight = '200px'")
    page.driver.find_element("css selector", "#strip [data-shot='s4']").click()
    player_time(page)
    visible = page.js(
        "const box = document.querySelector('.shotlist').getBoundingClientRect();"
        "const card = document.querySelector('#shot-s4 .card').getBoundingClientRect();"
        "return card.top >= box.top - 1 && card.bottom <= box.bottom + 1"
    )
    assert visible
