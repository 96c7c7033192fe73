"""Checks against what is installed here, not just the scene format: the backends a scene names.

A scene file may name any backend; whether it exists depends on the packages installed. Both
``validate`` and ``build`` check before anything is generated, and point at the ``backend:``
key that names a missing one (on the shot, the scene's or project's defaults, or the project).
"""

from __future__ import annotations

from previz.backends.registry import backend_names
from previz.shotlist.checks import Loc, suggest
from previz.shotlist.loader import located_error
from previz.shotlist.resolve import ResolvedShot, ResolvedShotList
from previz.shotlist.shown import shown


def check_backends(shotlist: ResolvedShotList) -> None:
    """Every backend the scene names is installed; else a located error at the key naming it."""
    known = backend_names()
    for shot in shotlist.shots:
        if shot.backend in known:
            continue
        where = _backend_key(shotlist, shot)
        raise located_error(
            shotlist,
            where,
            f"unknown backend {shown(shot.backend)}",
            suggest(shot.backend, known, "backend").replace("defined", "installed"),
            shot.id if "shots" in where else None,
        )


def _backend_key(shotlist: ResolvedShotList, shot: ResolvedShot) -> Loc:
    """Where the shot's backend was set: the shot, its scene's defaults, the project's."""
    si = shotlist.source.scenes.index(shot.scene)
    if shot.shot.backend:
        return ("scenes", si, "shots", shot.scene.shots.index(shot.shot), "backend")
    if shot.scene.defaults and shot.scene.defaults.backend:
        return ("scenes", si, "defaults", "backend")
    if shotlist.project.defaults and shotlist.project.defaults.backend:
        return ("project", "defaults", "backend")
    return ("project", "backend")
