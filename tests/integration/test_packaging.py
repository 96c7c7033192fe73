"""The wheel carries what an installed previz needs: templates, the starter scene, backends."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling", reason="hatchling (a dev dependency) builds the wheel")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("previz-*.whl"))


def test_the_wheel_ships_every_packaged_template(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {
        p.relative_to(REPO / "templates").as_posix() for p in (REPO / "templates").rglob("*.j2")
    }
    assert templates
    assert {f"previz/_templates/{t}" for t in templates} <= names


def test_the_wheel_ships_the_review_page_and_its_assets(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    folder = "previz/_templates/review/"
    assert {folder + name for name in ("index.html.j2", "review.css", "review.js")} <= names


def test_the_wheel_ships_the_starter_scene(wheel: Path) -> None:
    assert "previz/starter/scene.yaml" in zipfile.ZipFile(wheel).namelist()


def test_the_wheel_registers_the_backends(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    entry_points = next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
    text = archive.read(entry_points).decode()
    assert "[previz.backends]" in text and "animatic = " in text


def test_an_installed_layout_finds_its_templates_inside_the_package(
    wheel: Path, tmp_path: Path
) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path)
    probe = "import previz.prompts.environment as e, sys; print(e.package_templates())"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": ""},
        timeout=60,
        check=True,
    )
    assert Path(result.stdout.strip()) == tmp_path / "previz" / "_templates"


def test_the_wheel_ships_the_animatic_typeface_and_its_licence(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    folder = "previz/backends/animatic/typeface/"
    assert {folder + "DejaVuSansCondensed.ttf", folder + "LICENSE"} <= names
