"""Shot order from the edit: which scene each shot ends up in, and the fewest moves to get there.

Scenes keep their order (a scene heading is the writer's, not the editor's); the shots between
them follow the cut. A shot the editor dropped between two shots of another scene moves into
that scene. Where the boundary between two scenes is ambiguous, the assignment that moves the
fewest shots out of their scene wins, and a scene is never left without a shot. Within a scene,
the shots already in the cut's order (the longest such run) stay where they are; only the others
move, so a reorder touches only the lines of the shots that moved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

INFINITE = 10**9


@dataclass(frozen=True)
class Move:
    """Move ``shot_id`` into ``scene_id`` right after ``after`` (first in the scene if None)."""

    shot_id: str
    scene_id: str
    after: str | None
    from_scene: str
    was_after: str | None


def scene_assignment(
    scenes: Sequence[tuple[str, Sequence[str]]], cut: Sequence[str]
) -> list[list[str]]:
    """For each scene (in order), the shots of ``cut`` that belong to it, in cut order.

    ``scenes`` lists every scene with every shot id in the file (omitted ones too); ``cut`` is
    the shots in the edited order. The cut is split into consecutive runs, one per scene.
    """
    home = {shot: index for index, (_, shots) in enumerate(scenes) for shot in shots}
    in_cut = set(cut)
    keeps_a_shot = [any(s not in in_cut for s in shots) for _, shots in scenes]
    n, m = len(cut), len(scenes)
    best = [[INFINITE] * (n + 1) for _ in range(m + 1)]
    back = [[0] * (n + 1) for _ in range(m + 1)]
    best[0][0] = 0
    for k in range(1, m + 1):
        for i in range(n + 1):
            for j in range(i + 1):
                if best[k - 1][j] >= INFINITE or (i == j and not keeps_a_shot[k - 1]):
                    continue
                cost = best[k - 1][j] + sum(1 for s in cut[j:i] if home[s] != k - 1)
                if cost < best[k][i]:
                    best[k][i], back[k][i] = cost, j
    if best[m][n] >= INFINITE:  # cannot keep every scene non-empty: follow the cut as it is
        return [[s for s in cut if home[s] == k] for k in range(m)]
    runs: list[list[str]] = []
    i = n
    for k in range(m, 0, -1):
        j = back[k][i]
        runs.append(list(cut[j:i]))
        i = j
    return list(reversed(runs))


def moves_for(scenes: Sequence[tuple[str, Sequence[str]]], cut: Sequence[str]) -> list[Move]:
    """The moves that put the file's shots in the cut's order, moving as few shots as it can."""
    runs = scene_assignment(scenes, cut)
    where = {shot: (scene_id, shots) for scene_id, shots in scenes for shot in shots}
    moves: list[Move] = []
    for (scene_id, shots), target in zip(scenes, runs, strict=True):
        staying = [s for s in target if s in shots]
        keep = set(_longest_increasing(staying, key=shots.index))
        for index, shot in enumerate(target):
            if shot in keep:
                continue
            from_scene, old_shots = where[shot]
            position = old_shots.index(shot)
            moves.append(
                Move(
                    shot_id=shot,
                    scene_id=scene_id,
                    after=target[index - 1] if index else None,
                    from_scene=from_scene,
                    was_after=old_shots[position - 1] if position else None,
                )
            )
    return moves


def _longest_increasing(items: list[str], *, key: Callable[[str], int]) -> list[str]:
    """The longest run of ``items`` (not always adjacent) whose ``key`` increases."""
    rank = [key(item) for item in items]
    length = [1] * len(items)
    prev = [-1] * len(items)
    for i in range(len(items)):
        for j in range(i):
            if rank[j] < rank[i] and length[j] + 1 > length[i]:
                length[i], prev[i] = length[j] + 1, j
    if not items:
        return []
    i = max(range(len(items)), key=lambda x: length[x])
    out = []
    while i >= 0:
        out.append(items[i])
        i = prev[i]
    return list(reversed(out))
