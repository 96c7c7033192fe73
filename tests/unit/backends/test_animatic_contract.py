"""The animatic, a built-in local backend, passes the local contract suite."""

from __future__ import annotations

import pytest

from previz.backends.animatic import AnimaticBackend
from previz.generate.plan import plan_jobs
from previz.shotlist.loader import load
from previz.testing import LocalBackendContract, LocalSetup
from tests.scene_text import MINIMAL


class TestAnimaticContract(LocalBackendContract):
    """Rendered from the planner's own job for a tiny scene (the payload is the animatic's)."""

    @pytest.fixture
    def contract(self, write_scene) -> LocalSetup:
        backend = AnimaticBackend(espeak=False)
        shotlist = load(write_scene(MINIMAL.replace("320x180", "160x90")))
        [job, *_] = plan_jobs(shotlist, {"animatic": backend})
        return LocalSetup(backend=backend, job=job)
